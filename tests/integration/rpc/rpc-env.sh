# SPDX-License-Identifier: MIT
# rpc-env.sh - sourced by the RPC integration tests: run in a network
# namespace of our own (re-exec under unshare), start synackd on a TAP there
# with a private socket, and clean up by PID. Arguments of every test:
#   SYNACKD SYNACK_NC RPC_CLIENT
# $SYNACKD_OVERRIDE replaces SYNACKD (to try a locally patched daemon).
set -eu

if [ -z "${RPC_IN_NETNS:-}" ]; then
	export RPC_IN_NETNS=1
	if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
		exec unshare -n "$0" "$@"
	elif unshare -rn true 2>/dev/null; then
		exec unshare -rn "$0" "$@"
	fi
	echo "SKIP: cannot create a network namespace (need root or user namespaces)"
	exit 77
fi
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }

SYNACKD=${SYNACKD_OVERRIDE:-$1}
SYNACK_NC=$2
RPC_CLIENT=$3
SYNACKCTL=$(dirname "$SYNACK_NC")/../ctl/synackctl
HERE=$(cd "$(dirname "$0")" && pwd)
KPEER="/usr/bin/python3 $HERE/kpeer.py"
T=$(mktemp -d /tmp/synack-rpc-test.XXXXXX)
export SYNACK_SOCKET=$T/synackd.sock
# under AddressSanitizer synackd's RSS says nothing (quarantine, shadow
# memory): the tests' RSS bounds are then reported as not checked
if grep -q __asan_init "$SYNACKD"; then
	export SYNACK_RSS_UNCHECKED=1
fi
PIDS=""
DAEMON_PID=""

rpc_cleanup()
{
	for p in $PIDS $DAEMON_PID; do
		kill "$p" 2>/dev/null || true
	done
	for p in $PIDS $DAEMON_PID; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${RPC_KEEP:-}" ] || rm -rf "$T"
}
trap rpc_cleanup EXIT

fail()
{
	echo "FAIL: $*"
	[ -f "$T/synackd.log" ] && tail -20 "$T/synackd.log"
	exit 1
}

# rpc_start_daemon [EXTRA_YAML]: synackd on TAP sk0, 10.77.0.2 (kernel: 10.77.0.1);
# $RPC_EXTRA adds keys to the rpc: section ("hello_timeout: 200ms")
rpc_start_daemon()
{
	cat > "$T/synackd.yaml" <<-YAML
	interface:
	  tap: sk0
	  address: 10.77.0.2/24
	  gateway: ""
	  configure: true
	  peer_address: 10.77.0.1
	rpc: { socket: $T/synackd.sock, group: "", mode: "0666"${RPC_EXTRA:+, $RPC_EXTRA} }
	control: { socket: $T/control.sock, group: "", admin_group: "" }
	${1:-}
	YAML
	chmod 755 "$T"
	"$SYNACKD" -c "$T/synackd.yaml" -l "${SYNACKD_LOG:-info}" > "$T/synackd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		[ -S "$SYNACK_SOCKET" ] && break
		kill -0 "$DAEMON_PID" 2>/dev/null || fail "synackd exited"
		sleep 0.1
	done
	[ -S "$SYNACK_SOCKET" ] || fail "synackd did not create its socket"
	# wait until ARP and the link settle: ping through the stack
	for _ in $(seq 50); do
		ping -c1 -W1 10.77.0.2 >/dev/null 2>&1 && break
		sleep 0.1
	done
	set +e
	"$RPC_CLIENT" probe
	r=$?
	set -e
	[ "$r" -eq 77 ] && exit 77
	[ "$r" -eq 0 ] || fail "cannot talk to synackd over RPC"
	return 0
}

# rpc_bg CMD...: run in the background, remember the PID in LAST_PID
rpc_bg()
{
	"$@" &
	LAST_PID=$!
	PIDS="$PIDS $LAST_PID"
}

# wait_for_line FILE TEXT: until TEXT appears in FILE (10 s)
wait_for_line()
{
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "timed out waiting for '$2' in $1"
}

# wait_kernel_listen PORT: until a kernel socket listens on PORT in this
# namespace (20 s). Not a connect probe: a one-shot nc -l would take it.
wait_kernel_listen()
{
	for _ in $(seq 200); do
		[ -n "$(ss -Hltn "sport = :$1")" ] && return 0
		sleep 0.1
	done
	fail "no kernel listener on port $1 after 20 s"
}

# wait_synack_listen PORT: until synackd has a listener on PORT, i.e. a
# client's Listen was answered (20 s)
wait_synack_listen()
{
	for _ in $(seq 200); do
		[ -n "$("$SYNACKCTL" -s "$T/control.sock" conns -l -H "sport = :$1" 2>/dev/null)" ] &&
			return 0
		sleep 0.1
	done
	fail "synackd has no listener on port $1 after 20 s"
}

# wait_no_clients: until synackd counts no RPC session (SynackRpcClients),
# e.g. once rpc_start_daemon's probe has hung up (20 s)
wait_no_clients()
{
	clients=
	for _ in $(seq 200); do
		clients=$("$SYNACKCTL" -s "$T/control.sock" stats -z SynackRpcClients 2>/dev/null |
			awk '$1 == "SynackRpcClients" { print $2 }')
		[ "$clients" = 0 ] && return 0
		sleep 0.1
	done
	fail "synackd still counts ${clients:-?} RPC clients after 20 s"
}
