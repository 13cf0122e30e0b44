#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl conns during a kernel -> synack transfer to the discard service:
the connection is ESTAB with growing byte counters, and `conns -o json`
(or -j) parses and says what the table says."""

import json
import threading
import time

from ctltest import DISCARD, ECHO, Ctl, check
import synacktest as st


def main():
    t = Ctl("ctl-conns")
    s = t.h.connect(DISCARD)
    port = s.getsockname()[1]
    stop = threading.Event()

    def pump():
        chunk = b"x" * 16384
        while not stop.is_set():
            s.sendall(chunk)
            time.sleep(0.002)

    th = threading.Thread(target=pump, daemon=True)
    th.start()
    mine = lambda c: c["remote"]["port"] == port and c["local"]["port"] == DISCARD
    first = t.find(lambda c: mine(c) and c["bytes_received"] > 0)
    check(first["state"] == "ESTABLISHED" and first["ss_state"] == "ESTAB",
          f"the transfer's connection is ESTAB ({first['state']})")
    time.sleep(0.3)
    second = t.find(mine)
    check(second["bytes_received"] > first["bytes_received"],
          f"bytes_received grows ({first['bytes_received']} -> {second['bytes_received']})")
    check(second["id"] == first["id"], "the connection id is stable")

    table = t.run("conns", "-e", "state", "established").stdout.splitlines()
    check(table[0].split()[:2] == ["State", "Recv-Q"], "the table has ss's header")
    rows = [r.split() for r in table[1:]]
    row = [r for r in rows if r[4] == f"{st.KERNEL}:{port}"]
    check(len(row) == 1, f"the table lists the connection once: {table}")
    row = row[0]
    js = [c for c in t.conns() if c["state"] == "ESTABLISHED"]
    check(len(js) == len(rows), f"JSON and table list as many connections ({len(js)})")
    check(row[0] == "ESTAB" and row[3] == f"{st.OURS}:{DISCARD}" and
          row[-1] == f"id:{first['id']}",
          f"table row matches JSON (state, addresses, id): {row}")
    # -j, as every other command takes it (and combined with ss-style flags)
    for flags in (["-j"], ["-tanj"]):
        js2 = json.loads(t.run("conns", *flags, "state", "established").stdout)
        check(any(c["id"] == first["id"] for c in js2), f"conns {' '.join(flags)} prints JSON")
    # ss's expression grammar (parentheses, not, && ||, one quoted argument) and ss -s,
    # with a second connection (to echo) for the filters to tell apart
    other = t.h.connect(ECHO)
    other_port = other.getsockname()[1]
    t.find(lambda c: c["remote"]["port"] == other_port and c["state"] == "ESTABLISHED")
    every = t.conns()
    ids = lambda rows: sorted(c["id"] for c in rows)
    got = ids(t.json("ss", f"( sport = :{DISCARD} or sport = :{ECHO} ) and not dport = :{port}"))
    check(got == ids(c for c in every if c["local"]["port"] in (DISCARD, ECHO) and
                     c["remote"]["port"] != port),
          f"a parenthesised filter with not picks the rows it says: {got}")
    got = ids(t.json("ss", "-4", "state", "connected", "!", "(", "dport", "=", f":{port}", "||",
                     "dst", f"{st.KERNEL}:{port}", ")"))
    check(got == ids(c for c in every if c["state"] not in ("LISTEN", "CLOSED") and
                     c["remote"]["port"] != port),
          f"not over an or of a port and an address term (De Morgan), with -4: {got}")
    check(ids(t.json("ss", "not dst 10.77.0.0/24")) ==
          ids(c for c in every if c["state"] == "LISTEN"),
          "not dst PREFIX leaves the listeners (peer 0.0.0.0)")
    r = t.run("ss", "( sport = :9", rc=2)
    check("'(' is never closed (word 1)" in r.stderr, f"unbalanced: exit 2, named: {r.stderr}")
    summary = t.json("ss", "-s")
    check(summary["total"] == len(every) and
          summary["estab"] == sum(c["state"] == "ESTABLISHED" for c in every) and
          summary["listen"] == sum(c["state"] == "LISTEN" for c in every) and
          "orphaned" in summary,
          f"ss -s -o json counts the table by state: {summary}")
    text = t.run("conns", "--summary", "state", "established").stdout.splitlines()
    estab = sum(c["state"] == "ESTABLISHED" for c in every)
    check(text[0].startswith(f"TCP:   {estab} (estab {estab}, closed 0, synrecv 0,") and
          "orphaned" not in text[0],
          f"conns --summary with a filter: ss -s's TCP line, no orphan count: {text}")
    check(estab == 2 and other_port in [c["remote"]["port"] for c in every],
          "the filters above had two connections to tell apart")
    other.close()
    stop.set()
    th.join(5)
    s.close()
    listeners = t.json("conns", "-l")
    check(any(c["state"] == "LISTEN" and c["local"]["port"] == DISCARD for c in listeners),
          "the discard listener is listed as LISTEN")


if __name__ == "__main__":
    main()
