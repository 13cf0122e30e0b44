#!/bin/sh
# SPDX-License-Identifier: MIT
# check-format.sh - every tracked C file follows .clang-format.
# Usage: check-format.sh SOURCE_ROOT
set -eu
cd "$1"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "not a git checkout: cannot tell source files from build output" >&2
	exit 77
fi
files=$(git ls-files -co --exclude-standard '*.c' '*.h')
[ -n "$files" ] || { echo "no C files found" >&2; exit 1; }
bad=0
n=0
for f in $files; do
	[ -f "$f" ] || continue # deleted in the work tree, not yet in the index
	n=$((n + 1))
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run clang-format -i $f)" >&2
		bad=$((bad + 1))
	fi
done
echo "clang-format: $n files checked, $bad not formatted"
[ "$bad" -eq 0 ]
