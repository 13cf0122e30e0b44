# SPDX-License-Identifier: MIT
# preload-env.sh - sourced by the synack-run tests (issue 12): rpc-env.sh's
# namespace, TAP and synackd, plus the runner. Arguments of every test:
#   SYNACKD SYNACK_NC RPC_CLIENT [PRELOAD_CALLS]
# RUN is synack-run from the build tree (it finds libsynack-preload.so beside it).
. "$(dirname "$0")/../rpc/rpc-env.sh"
RUN=$(cd "$(dirname "$SYNACK_NC")" && pwd)/synack-run
SYNACKCTL=$(cd "$(dirname "$SYNACK_NC")/../ctl" && pwd)/synackctl
[ -x "$RUN" ] || fail "no synack-run at $RUN"
# the kernel reaches its own 10.77.0.1 over loopback (wait_port, kernel clients)
ip link set lo up

# need PROGRAM...: skip unless every one is installed (.ci/setup installs them)
need()
{
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || { echo "SKIP: $p is not installed"; exit 77; }
	done
}

# counter NAME: synackd's counter, as synackctl stats prints it
counter()
{
	"$SYNACKCTL" -s "$T/control.sock" stats -z 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'
}

# sha FILE
sha()
{
	sha256sum < "$1" | cut -d' ' -f1
}

# wait_port ADDR PORT: until something accepts there (10 s)
wait_port()
{
	for _ in $(seq 100); do
		python3 -c "import socket,sys; socket.create_connection(('$1', $2), 1).close()" \
			2>/dev/null && return 0
		sleep 0.1
	done
	fail "nothing listens on $1:$2"
}
