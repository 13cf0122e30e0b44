#!/bin/sh
# SPDX-License-Identifier: MIT
# test-servers.sh - issue 12: unmodified servers under synack-run, kernel
# clients: python3 -m http.server (threads, blocking accept) serves 10 MB
# intact; nginx (daemon on: its listener outlives the process that made it;
# a master and a worker, epoll, sendfile with tcp_nopush (TCP_CORK) as the
# packaged config has it, TCP_NODELAY set by the worker on connections
# another session accepted) serves 1,000 requests
# to ab with none failed and nothing in its error log above notice; redis-server
# (epoll) answers redis-cli.
. "$(dirname "$0")/preload-env.sh"
need curl nginx ab redis-server redis-cli
rpc_start_daemon
mkdir -p "$T/www" "$T/ngx"
head -c 10000000 /dev/urandom > "$T/www/big.bin"
head -c 10000 /dev/urandom > "$T/www/small.bin"
want=$(sha "$T/www/big.bin")

(cd "$T/www" && exec "$RUN" python3 -m http.server --bind 0.0.0.0 8080) \
	> "$T/py.log" 2>&1 < /dev/null &
PIDS="$PIDS $!"
wait_port 10.77.0.2 8080
timeout 60 curl -sS --fail -o "$T/py.bin" http://10.77.0.2:8080/big.bin || fail "curl from python"
[ "$(sha "$T/py.bin")" = "$want" ] || fail "python's 10 MB differ"
grep -q '"GET /big.bin HTTP/1.1" 200' "$T/py.log" || fail "python logged no GET"
echo "ok: python3 -m http.server under synack-run served 10 MB intact"

cat > "$T/ngx/nginx.conf" <<NGX
daemon on;
master_process on;
worker_processes 1;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log notice;
events { worker_connections 512; }
http {
  access_log $T/ngx/access.log;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path $T/ngx/body;
  proxy_temp_path $T/ngx/proxy;
  fastcgi_temp_path $T/ngx/fastcgi;
  uwsgi_temp_path $T/ngx/uwsgi;
  scgi_temp_path $T/ngx/scgi;
  server { listen 8081; root $T/www; }
}
NGX
chmod 755 "$T/www" "$T/ngx"
chmod 644 "$T/www"/*
proofs0=$(counter SynackRpcFdProofs)
# daemon on, as the packaged config: the process that made the listener
# exits, the master it forked accepts (its connections outlive their maker)
timeout 30 "$RUN" nginx -c "$T/ngx/nginx.conf" < /dev/null || fail "nginx did not start"
wait_for_line "$T/ngx/nginx.pid" .
PIDS="$PIDS $(cat "$T/ngx/nginx.pid")"
wait_port 10.77.0.2 8081
timeout 120 ab -q -n 1000 -c 10 -k http://10.77.0.2:8081/small.bin > "$T/ab.txt" 2>&1 ||
	fail "ab: $(tail -3 "$T/ab.txt")"
grep -q '^Complete requests: *1000$' "$T/ab.txt" || fail "ab: $(grep Complete "$T/ab.txt")"
grep -q '^Failed requests: *0$' "$T/ab.txt" || fail "ab: $(grep Failed "$T/ab.txt")"
# nginx logs a request after its response is out: the last line may lag ab a little
for _ in $(seq 50); do
	n=$(grep -c '"GET /small.bin' "$T/ngx/access.log")
	[ "$n" -ge 1000 ] && break
	sleep 0.1
done
[ "$n" -eq 1000 ] || fail "nginx logged $n requests, not 1000"
if grep -E '\[(warn|error|crit|alert|emerg)\]' "$T/ngx/error.log"; then
	fail "nginx's error log has complaints"
fi
proofs=$(counter SynackRpcFdProofs)
[ "$proofs" -gt "${proofs0:-0}" ] ||
	fail "the worker's TCP_NODELAY did not reach a connection by its data socket"
timeout 60 curl -sS --fail -o "$T/ngx.bin" http://10.77.0.2:8081/big.bin || fail "nginx 10 MB"
[ "$(sha "$T/ngx.bin")" = "$want" ] || fail "nginx's 10 MB differ"
echo "ok: nginx under synack-run: 1000 requests from ab, none failed; 10 MB intact (sendfile)"

"$RUN" redis-server --bind 0.0.0.0 --port 6380 --protected-mode no --save "" \
	--appendonly no --dir "$T" > "$T/redis.log" 2>&1 < /dev/null &
PIDS="$PIDS $!"
wait_port 10.77.0.2 6380
[ "$(timeout 10 redis-cli -h 10.77.0.2 -p 6380 set greeting hello)" = OK ] || fail "redis SET"
[ "$(timeout 10 redis-cli -h 10.77.0.2 -p 6380 get greeting)" = hello ] || fail "redis GET"
for i in $(seq 100); do echo "INCR counter"; done |
	timeout 30 redis-cli -h 10.77.0.2 -p 6380 > /dev/null || fail "redis INCR x100"
[ "$(timeout 10 redis-cli -h 10.77.0.2 -p 6380 get counter)" = 100 ] || fail "redis counter"
echo "ok: redis-server under synack-run answered redis-cli (SET, GET, 100 INCR)"
