#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""TIME-WAIT records (issue 9) as synackctl sees them: a connection synack
closes first leaves its slot for a compact record, which conns still lists
as TIME-WAIT with ss's timewait timer (2 x the default msl of 30 s) under the
connection's own id, trace still draws to the end, and kill ends at once
(an abort in TIME-WAIT sends nothing); its trace then ends in CLOSED."""

import socket
import subprocess

import synacktest as st
from ctltest import Ctl, check


def close_first(t):
    """synack-nc closes first towards a kernel listener; returns the kernel port."""
    srv = socket.socket()
    srv.bind((st.KERNEL, 0))
    srv.listen(1)
    srv.settimeout(10)
    port = srv.getsockname()[1]
    nc = t.nc("-d", st.KERNEL, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conn, _ = srv.accept()
    conn.settimeout(10)
    check(conn.recv(10) == b"", "the kernel reads EOF: synack closed first")
    conn.close()
    nc.wait(5)
    srv.close()
    return port


def main():
    t = Ctl("ctl-tw-records")
    port = close_first(t)
    est = t.json("trace", "dport", "=", f":{port}")
    tw = t.find(lambda c: c["remote"]["port"] == port and c["state"] == "TIME-WAIT")
    check(tw["timer"] and tw["timer"]["name"] == "timewait" and
          55000 < tw["timer"]["remaining_ms"] <= 60000,
          f"listed in TIME-WAIT with a timewait timer near 2 x 30 s ({tw['timer']})")
    check(isinstance(est, list) and len(est) >= 8, f"trace by port finds it ({len(est)} entries)")
    table = t.run("conns", "-o", "state", "time-wait").stdout
    check(f":{port}" in table and "timer:(timewait," in table,
          f"conns -o state time-wait shows it with ss's timer:\n{table}")
    ladder = t.run("trace", tw["id"]).stdout
    check("TIME-WAIT" in ladder, f"trace <id> draws it into TIME-WAIT:\n{ladder}")
    # a second one, so kill has to pick the right record
    other = close_first(t)
    t.find(lambda c: c["remote"]["port"] == other and c["state"] == "TIME-WAIT")
    r = t.run("kill", "dport", "=", f":{port}")
    check(r.stdout.startswith("killed TIME-WAIT") and f"id:{tw['id']}" in r.stdout,
          f"kill ends the TIME-WAIT record: {r.stdout.strip()}")
    left = [c for c in t.conns() if c["remote"]["port"] in (port, other)]
    check([c["remote"]["port"] for c in left] == [other],
          f"only the other record is left ({left})")
    ladder = t.run("trace", tw["id"]).stdout
    check(ladder.rstrip().splitlines()[-1].split()[1] == "CLOSED",
          f"its trace ends in CLOSED:\n{ladder}")
    stats = t.counters()
    check(stats.get("SynackTcpTimeWait") == 1, f"one TIME-WAIT record left: {stats.get('SynackTcpTimeWait')}")
    check("TcpExtTCPTimeWaitOverflow" in stats and stats["TcpExtTCPTimeWaitOverflow"] == 0 and
          stats.get("TcpExtTW") == 0, "no record was recycled or expired")


if __name__ == "__main__":
    main()
