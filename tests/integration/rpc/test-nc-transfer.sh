#!/bin/sh
# SPDX-License-Identifier: MIT
# test-nc-transfer.sh - issue 5: kernel nc -> synack-nc -l and synack-nc ->
# kernel nc -l, SIZE_MB (default 100) each way, SHA-256 identical, and both
# sides see an orderly close (exit status 0).
. "$(dirname "$0")/rpc-env.sh"
MB=${SIZE_MB:-100}
rpc_start_daemon
head -c $((MB * 1000000)) /dev/urandom > "$T/data"
want=$(sha256sum < "$T/data" | cut -d' ' -f1)

# synack-nc -> kernel
rpc_bg sh -c "timeout 120 nc -N -l 10.77.0.1 5000 < /dev/null | sha256sum > '$T/k.sum'; echo \$? > '$T/k.rc'"
K=$LAST_PID
sleep 0.3
timeout 120 "$SYNACK_NC" 10.77.0.1 5000 < "$T/data" || fail "synack-nc -> kernel: exit $?"
wait "$K" || true
[ "$(cut -d' ' -f1 "$T/k.sum")" = "$want" ] || fail "synack-nc -> kernel: data differs"
echo "ok: synack-nc -> kernel nc, $MB MB, SHA-256 identical, orderly close"

# kernel -> synack-nc -l
rpc_bg sh -c "timeout 120 '$SYNACK_NC' -l -d 6000 | sha256sum > '$T/s.sum'"
S=$LAST_PID
sleep 0.5
timeout 120 nc -N 10.77.0.2 6000 < "$T/data" || fail "kernel nc -> synack-nc: nc exit $?"
wait "$S" || fail "synack-nc -l did not end cleanly"
[ "$(cut -d' ' -f1 "$T/s.sum")" = "$want" ] || fail "kernel -> synack-nc: data differs"
echo "ok: kernel nc -> synack-nc -l, $MB MB, SHA-256 identical, orderly close"
