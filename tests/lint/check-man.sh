#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man.sh PAGE... - issue 13: every man page built from man/*.scd renders
# with man(1) without a single groff warning, and is a man page of the
# section its file name says, with NAME and SYNOPSIS.
#
# For each PAGE (NAME.SECTION, as meson built it):
#   MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l PAGE >/dev/null
# must exit 0 and write nothing on stderr (what it wrote is printed); the
# page's .TH names SECTION; the rendered text has the NAME and SYNOPSIS
# headings, NAME starts with the page's name, and the header says NAME(SECTION).
# LC_ALL=C.UTF-8 keeps man from warning about a locale the machine lacks.
set -u
[ $# -gt 0 ] || { echo "usage: check-man.sh PAGE..." >&2; exit 2; }
export LC_ALL=C.UTF-8
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() # PAGE MESSAGE
{
	echo "FAIL: $1: $2" >&2
	failed=1
	page_failed=1
}

for page in "$@"; do
	file=$(basename "$page")
	page_failed=0
	name=${file%.*}
	section=${file##*.}
	if [ ! -s "$page" ]; then
		fail "$file" "missing or empty ($page)"
		continue
	fi
	if ! grep -q "^\.TH \"$name\" \"$section\"" "$page"; then
		fail "$file" "its .TH does not say \"$name\" \"$section\": $(grep -m1 '^\.TH' "$page")"
	fi

	MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l "$page" > /dev/null 2> "$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$file" "man exited with status $rc"
	fi
	if [ -s "$tmp/err" ]; then
		fail "$file" "man/groff wrote warnings:"
		sed 's/^/    /' "$tmp/err" >&2
	fi

	# the text as a reader sees it (no formatting: stdout is not a terminal)
	MANROFFSEQ='' MANWIDTH=80 man -E UTF-8 -l "$page" 2> /dev/null | col -bx > "$tmp/text"
	head -n 1 "$tmp/text" | grep -q "^$name($section) " ||
		fail "$file" "the header line is not \"$name($section) ...\": $(head -n 1 "$tmp/text")"
	for heading in NAME SYNOPSIS; do
		grep -q "^$heading\$" "$tmp/text" || fail "$file" "no $heading section"
	done
	sed -n '/^NAME$/{n;p;q}' "$tmp/text" | grep -q "^ *$name - " ||
		fail "$file" "NAME does not start with \"$name - \""
	[ $page_failed -ne 0 ] || echo "ok: $file: section $section, NAME and SYNOPSIS, no warnings"
done
exit $failed
