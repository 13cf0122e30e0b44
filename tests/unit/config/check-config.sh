#!/bin/sh
# SPDX-License-Identifier: MIT
# check-config.sh - synackd --check-config as a user runs it: a valid file
# exits 0 with an OK line; a file with an unknown key on line 7 column 3
# prints FILE:7:3: ... on stderr (FILE as given) and exits 1; so does a
# missing file (without a position), and an impairment that would do
# nothing.
# Usage: check-config.sh SYNACKD DEFAULT_YAML UNKNOWN_KEY_YAML
set -u
synackd=$1 good=$2 bad=$3
case $synackd in /*) ;; *) synackd=$PWD/$synackd ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$synackd" --check-config "$good" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/err" >&2; fail "valid file: exit $rc, want 0"; }
grep -q "^$good: configuration OK$" "$tmp/out" || fail "valid file: no OK line"
[ -s "$tmp/err" ] && fail "valid file: something on stderr"

"$synackd" --check-config "$bad" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "unknown key: exit $rc, want 1"
head -n 1 "$tmp/err" | grep -q "^$bad:7:3: " || { cat "$tmp/err" >&2; fail "unknown key: stderr does not begin with $bad:7:3:"; }
grep -q "unknown key \"msll\" in tcp" "$tmp/err" || fail "unknown key: message does not name the key"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "unknown key: more than one error line"

"$synackd" --check-config "$tmp/missing.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "missing file: exit $rc, want 1"
grep -q "^$tmp/missing.yaml: cannot read: No such file or directory$" "$tmp/err" || fail "missing file: message"

# An impairment the daemon cannot apply is not OK (issue 10): it would hold nothing back.
printf 'impair:\n  reorder: 1%%\n  reorder_frames: 0\n  reorder_time: 0s\n' >"$tmp/imp.yaml"
"$synackd" --check-config "$tmp/imp.yaml" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "impossible impairment: exit $rc, want 1"
grep -q "^$tmp/imp.yaml:4:17: impair.reorder needs reorder_frames or reorder_time" "$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "impossible impairment: message"; }

# The path is reported as given, relative too.
cd "$(dirname "$bad")" || exit 1
"$synackd" --check-config "./$(basename "$bad")" 2>"$tmp/err" >/dev/null
grep -q "^\./$(basename "$bad"):7:3: " "$tmp/err" || fail "relative path not reported as given"
echo "check-config: ok"
