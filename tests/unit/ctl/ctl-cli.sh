#!/bin/sh
# SPDX-License-Identifier: MIT
# ctl-cli.sh SYNACKCTL - synackctl's argument parsing and exit codes, run as
# users run it: 0 ok, 1 refused, 2 usage error, 3 synackd unreachable;
# errors on stderr only, nothing on stdout when a command fails.
set -u
ctl=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sock=$tmp/no-daemon.sock
export SYNACK_CONTROL="$sock"
fails=0
n=0

# expect RC 'TEXT ON STDERR (or -)' ARGS...
expect() {
	want=$1 text=$2
	shift 2
	n=$((n + 1))
	"$ctl" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	ok=1
	[ "$rc" -eq "$want" ] || ok=0
	if [ "$text" != "-" ] && ! grep -qF -- "$text" "$tmp/err"; then ok=0; fi
	# a failure prints nothing on stdout
	if [ "$want" -ne 0 ] && [ -s "$tmp/out" ]; then ok=0; fi
	if [ "$ok" -eq 0 ]; then
		fails=$((fails + 1))
		echo "FAIL: synackctl $* -> rc $rc (want $want, stderr with '$text')"
		sed 's/^/  stdout: /' "$tmp/out"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

# expect_out RC 'TEXT ON STDOUT' ARGS...
expect_out() {
	want=$1 text=$2
	shift 2
	n=$((n + 1))
	"$ctl" "$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -qF -- "$text" "$tmp/out" || [ -s "$tmp/err" ]; then
		fails=$((fails + 1))
		echo "FAIL: synackctl $* -> rc $rc (want $want, stdout with '$text')"
		sed 's/^/  stdout: /' "$tmp/out"
		sed 's/^/  stderr: /' "$tmp/err"
	fi
}

unreach="cannot reach synackd at $sock"

# global options and help
expect 2 "Usage: synackctl" 
expect_out 0 "Usage: synackctl [-s SOCKET]" --help
expect_out 0 "Exit status: 0 ok, 1 refused by synackd, 2 usage error, 3 synackd unreachable" -h
expect_out 0 "synackctl 0." --version
expect 2 "unknown command 'frob'" frob
expect 2 "unknown option '--frob'" --frob conns
expect 2 "unknown output format 'yaml'" -o yaml conns
expect 2 "unknown option '-s'" watch -s   # -s is global: before the command (conns: --summary)
expect 2 "needs a socket path" -s
expect 3 "cannot reach synackd at /elsewhere.sock" -s /elsewhere.sock conns
expect 3 "cannot reach synackd at /elsewhere.sock" --socket=/elsewhere.sock ping
expect 3 "$unreach" -o json conns
expect 3 "$unreach" -j stats
for cmd in status ping conns ss watch events trace stats get set kill capture impair reload help; do
	expect_out 0 "Usage: synackctl" "$cmd" --help
	expect_out 0 "Examples:" "$cmd" -h
done
expect_out 0 "Usage: synackctl conns" help ss
expect_out 0 "Commands:" help
expect 2 "unknown command 'nope'" help nope
expect 2 "expected one command" help conns stats

# conns / ss
expect 3 "$unreach" conns
expect 3 "$unreach" ss -tanoi
expect 3 "$unreach" conns -o
expect 3 "$unreach" conns -o json
expect 3 "$unreach" conns -ojson
expect 3 "$unreach" conns --json state established
expect 3 "$unreach" conns -o state connected dport = :443
expect 3 "$unreach" conns -e -p -H -l
expect 3 "$unreach" conns state time-wait src 10.77.0.0/24 or dst 10.77.0.1:80
expect 2 "unknown state 'bogus'" conns state bogus
expect 2 "unknown option '-x'" conns -x
expect 2 "unknown option '--frob'" conns --frob
expect 2 "dport: bad port ':99999'" conns dport = :99999
expect 2 "bad IPv4 address" conns src 300.1.1.1
expect 2 "unknown filter word 'foo'" conns foo
expect 2 "Try 'synackctl conns --help'" conns sport
expect 2 "--output needs table or json" conns --output xml
# -s/--summary and -4 (synack is IPv4-only) as ss takes them
expect 3 "$unreach" conns -s
expect 3 "$unreach" ss -4 --summary -j state connected
expect 3 "$unreach" ss -tan4s
expect 3 "$unreach" conns --ipv4
expect 2 "unknown option '--summary'" watch --summary
# the expression grammar: parentheses, not/!, and/&&, or/||, one quoted argument as ss takes it
expect 3 "$unreach" ss -tan '( sport = :22 or dport = :22 )'
expect 3 "$unreach" conns state established '(' sport = :80 '||' sport = :443 ')' and not dst 10.77.0.0/24
expect 3 "$unreach" conns ! '(' dport '>=' :1024 '&&' src 10.77.0.2 ')'
expect 2 "'(' is never closed (word 1)" conns '(' sport = :80
expect 2 "')' has no '(' before it (word 4)" ss 'sport = :80 )'
expect 2 "'not' needs a term after it (word 4)" conns sport = :80 not
expect 2 "'or' needs a term on each side (word 4)" conns sport = :80 or
expect 2 "'(sport' (word 1): parentheses are words of their own" conns '(sport' = :80 ')'
expect 2 "'state' cannot stand here (word 2)" conns not state established
expect 2 "filter too big at 'or'" conns sport = :1 or sport = :2 or sport = :3 or sport = :4 \
	or sport = :5 or sport = :6 or sport = :7 or sport = :8 or sport = :9 or sport = :10 \
	or sport = :11 or sport = :12 or sport = :13 or sport = :14 or sport = :15 \
	or sport = :16 or sport = :17

# watch
expect 3 "$unreach" watch -n 0.5 -o
expect 2 "bad interval 'x'" watch -n x
expect 2 "needs an interval" watch -n
expect 2 "watch draws for people" watch -o json

# events and trace
expect 3 "$unreach" events
expect 3 "$unreach" events -o json state established
expect 2 "unknown output format 'xml'" events -o xml
expect 2 "unknown state" events state nope
expect 2 "unknown filter word 'frob' (word 2)" events not frob
expect 3 "$unreach" events not '(' dport = :80 or dport = :443 ')'
expect 2 "needs CONN" trace
expect 2 "needs CONN" trace --absolute
expect 3 "$unreach" trace 12
expect 3 "$unreach" trace 12 --absolute --follow
expect 3 "$unreach" trace dport = :80 dst 10.77.0.1
expect 2 "--follow draws the ladder" trace -f -o json 12
expect 2 "unknown option" trace --frob 12

# stats
expect 3 "$unreach" stats
expect 3 "$unreach" stats -z --delta 'Tcp*'
expect 3 "$unreach" stats --prometheus
expect 2 "choose one of --prometheus and -o json" stats --prometheus -o json
expect 2 "unknown option '-q'" stats -q

# get / set
expect_out 0 "rto.min" get --keys
expect 3 "$unreach" get
expect 3 "$unreach" get msl -o json
expect 1 "unknown key 'nokey'" get nokey
expect 2 "expected at most one KEY" get msl rto.min
expect 2 "expected KEY VALUE" set
expect 2 "expected KEY VALUE" set msl
expect 2 "expected KEY VALUE" set msl 1s 2s
expect 1 "unknown key 'nokey'" set nokey 1
expect 1 "msl: bad value '5': expected a duration with a unit" set msl 5
expect 1 "msl: 0s is out of range 1ms..10min" set msl 0s
expect 1 "out of range 1..127" set syn_retries 0
expect 1 "true or false" set sack perhaps
expect 3 "$unreach" set msl 1s
expect 3 "$unreach" set rto.min 50ms
expect 3 "$unreach" set sack off

# kill
expect 2 "needs a FILTER" kill
expect 2 "needs a FILTER" kill --dry-run
expect 2 "needs a FILTER" kill state all
expect 3 "$unreach" kill dport = :80 --dry-run
expect 3 "$unreach" kill state close-wait
expect 2 "-o needs table or json" kill -o dport = :80
expect 2 "unknown option '-i'" kill -i dport = :80
expect 2 "unknown option '-x'" set -x msl 1s
expect 2 "unknown output format 'yaml'" ping -o yaml
expect 2 "unknown output format 'yaml'" impair -o yaml
expect 3 "$unreach" kill --dry-run '( dport = :80 or dport = :443 ) and not src 10.77.0.2'
expect 2 "')' has no '(' before it (word 4)" kill dport = :80 ')'

# capture
expect 2 "needs -w FILE" capture
expect 2 "needs -w FILE" capture -c 10
expect 2 "not both" capture -w "$tmp/x.pcapng" -c 1 -d 1s
expect 2 "-c needs a count" capture -w "$tmp/x.pcapng" -c x
expect 2 "-c needs a count" capture -w "$tmp/x.pcapng" -c 0
expect 2 "-d needs a duration with a unit" capture -w "$tmp/x.pcapng" -d 5
expect 2 "option '-w' needs a value" capture -w
expect 2 "unknown state" capture -w "$tmp/x.pcapng" state nope
expect 2 "'!' needs a term after it (word 1)" capture -w "$tmp/x.pcapng" '!'
expect 3 "$unreach" capture -w "$tmp/x.pcapng" -c 10 dport = :80
[ ! -e "$tmp/x.pcapng" ] || { echo "FAIL: capture created its file without a daemon"; fails=$((fails + 1)); }
expect 2 "unknown output format 'yaml'" capture -w "$tmp/x.pcapng" -o yaml
expect 3 "$unreach" capture -w "$tmp/x.pcapng" -j -c 1
# --bpf: libpcap compiles it, checked before connecting; meson says whether
# synackctl was built with libpcap, and only then may the help offer it
n=$((n + 1))
"$ctl" capture --help > "$tmp/help" 2>&1
if [ "${SYNACKCTL_HAVE_PCAP:-}" = 1 ]; then
	grep -qF -- "--bpf EXPR" "$tmp/help" || { echo "FAIL: capture --help does not offer --bpf"; fails=$((fails + 1)); }
	# libpcap's words: "syntax error" (1.10: "can't parse filter expression: syntax error")
	expect 2 "syntax error" capture -w "$tmp/x.pcapng" --bpf 'tcp port'
	expect 2 "--bpf 'tcp dst port 99999': illegal port number 99999 > 65535" \
		capture -w "$tmp/x.pcapng" --bpf 'tcp dst port 99999'
	expect 2 "--bpf 'nosuchproto': " capture -w "$tmp/x.pcapng" -c 3 --bpf nosuchproto
	expect 2 "--bpf given twice" capture -w "$tmp/x.pcapng" --bpf tcp --bpf 'not arp'
	expect 2 "unknown state" capture -w "$tmp/x.pcapng" --bpf tcp state nope
	expect 3 "$unreach" capture -w "$tmp/x.pcapng" --bpf 'tcp dst port 7 and not arp'
	expect 3 "$unreach" capture -w "$tmp/x.pcapng" -c 2 --bpf= dport = :7
else
	if grep -qF -- "--bpf" "$tmp/help"; then
		echo "FAIL: capture --help offers --bpf, which is not built in"
		fails=$((fails + 1))
	fi
	expect 2 "--bpf: BPF expressions are not built in" capture -w "$tmp/x.pcapng" --bpf tcp
fi
[ ! -e "$tmp/x.pcapng" ] || { echo "FAIL: capture created its file without a daemon"; fails=$((fails + 1)); }

# impair
expect 3 "$unreach" impair
expect 3 "$unreach" impair off
expect 3 "$unreach" impair --loss 1% --delay 20ms --seed 7 --direction out
expect 2 "--loss needs a percentage" impair --loss 200%
expect 2 "--loss needs a percentage" impair --loss 1
expect 2 "--delay needs a duration" impair --delay 20
expect 2 "--direction is in, out or both" impair --direction up
expect 2 "'off' (--clear) takes no other options" impair --loss 1% off
expect 2 "unexpected 'bogus'" impair bogus
expect 2 "--seed needs a whole number" impair --seed x
expect 3 "$unreach" impair --dup 100% --match syn --dup-delay 3s --direction in
expect 3 "$unreach" impair --clear
expect 3 "$unreach" impair --rate 10Mbit --ge-p 1% --ge-r 25% --jitter 1ms
expect 2 "--match is all, or a comma-separated list" impair --match syn,bogus
expect 2 "--match is all, or a comma-separated list" impair --match syn,
expect 2 "--rate needs bits per second" impair --rate fast
expect 2 "--dup-delay needs a duration" impair --dup-delay 3
expect 2 "impair.reorder needs reorder_frames or reorder_time" impair --reorder 1% --reorder-frames 0 --reorder-time 0s
expect 2 "impair.gilbert_elliott.r must be above 0%" impair --ge-p 1% --ge-r 0%
expect 2 "impair.delay = 120000000 is out of range" impair --delay 2min
expect 2 "'off' (--clear) takes no other options" impair --clear --loss 1%

# status, ping, reload
expect 3 "$unreach" status
expect 3 "$unreach" status -o json
expect 3 "$unreach" ping
expect 3 "$unreach" reload
expect 2 "takes no arguments" ping now
expect 2 "takes no arguments" reload now
expect 2 "takes no arguments" status now

echo "$((n - fails))/$n passed"
[ "$fails" -eq 0 ]
