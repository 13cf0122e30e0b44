#!/bin/sh
# SPDX-License-Identifier: MIT
# check-stack-purity.sh - the protocol core (daemon/stack) must make no system
# calls, read no clock and log nothing: its static library may only need the
# memory primitives below from outside. Sanitizer and stack-protector hooks
# are allowed because the build adds them, not the code.
# Usage: check-stack-purity.sh path/to/libsynack-stack.a
set -eu
lib=$1
[ -f "$lib" ] || { echo "no such library: $lib" >&2; exit 1; }
allowed='^(memcpy|memset|memmove|memcmp|__stack_chk_fail|_GLOBAL_OFFSET_TABLE_|__asan_.*|__ubsan_.*|__sanitizer_.*|__sancov_.*|__tsan_.*|__msan_.*|__lsan_.*)$'
undef=$(nm -u --format=posix "$lib" | awk 'NF >= 2 && $2 ~ /^[Uw]$/ { print $1 }' | sort -u)
# symbols defined somewhere in the library itself are internal references
defined=$(nm --defined-only --format=posix "$lib" | awk 'NF >= 2 { print $1 }' | sort -u)
bad=$(printf '%s\n' "$undef" | grep -v -x -F "$defined" | grep -v -E "$allowed" || true)
count=$(printf '%s\n' "$undef" | grep -c . || true)
if [ -n "$bad" ]; then
	echo "daemon/stack uses symbols outside its allow-list:" >&2
	printf '  %s\n' $bad >&2
	exit 1
fi
echo "stack purity: $count external references, all allowed"
