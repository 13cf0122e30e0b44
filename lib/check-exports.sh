#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh - libsynack exports exactly the functions of synack.h:
# nothing else (the proto codec, protobuf-c's generated code stay hidden),
# and nothing declared there is missing.
# Usage: check-exports.sh LIBSYNACK.so SYNACK.h
set -eu
lib=$1
hdr=$2
command -v nm >/dev/null || { echo "SKIP: no nm"; exit 77; }
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }' | sed 's/@.*//' | sort -u)
declared=$(grep -oE '\bsynack_[a-z_]+\(' "$hdr" | tr -d '(' | sort -u)
extra=$(printf '%s\n' "$exported" | grep -vxF "$declared" || true)
missing=$(printf '%s\n' "$declared" | grep -vxF "$exported" || true)
[ -z "$extra" ] || { echo "exported but not in synack.h:"; echo "$extra"; }
[ -z "$missing" ] || { echo "declared in synack.h but not exported:"; echo "$missing"; }
[ -z "$extra" ] && [ -z "$missing" ] || exit 1
echo "libsynack exports the $(printf '%s\n' "$exported" | wc -l) functions of synack.h, nothing else"
