#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Issue 13: -j (and -o json) on every synackctl command that prints a
result, against a live synackd: each prints one parseable JSON value with
the fields its table shows, and one line break after it. watch draws for people and says so; events and
trace -f stream JSON lines (tests of their own: ctl-events, ctl-trace)."""

import json
import os
import subprocess
import tempfile

from ctltest import ECHO, Ctl, check
from synacktest import fail


def main():
    t = Ctl("ctl-json")
    s = t.h.connect(ECHO)
    port = s.getsockname()[1]
    cid = t.find(lambda c: c["remote"]["port"] == port and c["state"] == "ESTABLISHED")["id"]

    js = json.loads(t.run("-j", "ping").stdout)
    check(js == {"ready": True, "socket": t.sock}, f"ping -j: {js}")
    js = json.loads(t.run("ping", "-o", "json").stdout)
    check(js["ready"] is True, "ping -o json")

    js = json.loads(t.run("set", "-j", "msl", "7s").stdout)
    check(js == {"key": "msl", "value": "7s", "base": 7000000}, f"set -j: {js}")
    js = json.loads(t.run("-j", "get", "msl").stdout)
    check(js[0]["value"] == 7000000, f"get -j agrees: {js[0]['value']}")

    js = json.loads(t.run("kill", "-j", "--dry-run", "dport", "=", f":{port}").stdout)
    check(len(js) == 1 and js[0]["id"] == cid and js[0]["result"] == "dry-run" and
          js[0]["remote"].endswith(f":{port}") and js[0]["state"] == "ESTABLISHED",
          f"kill -j --dry-run: one object per connection ({js})")
    check(any(c["id"] == cid for c in t.conns()), "--dry-run killed nothing")
    js = json.loads(t.run("kill", "-o", "json", "dport", "=", f":{port}").stdout)
    check(len(js) == 1 and js[0]["result"] == "killed", f"kill -o json: {js}")
    js = json.loads(t.run("kill", "-j", "dport", "=", ":1").stdout)
    check(js == [], "kill -j with no match: an empty array")

    js = json.loads(t.run("impair", "-j").stdout)
    check(js["active"] is False and js["summary"] == "off", f"impair -j (off): {js['summary']}")
    js = json.loads(t.run("impair", "-j", "--loss", "1%", "--seed", "3").stdout)
    check(js["active"] is True and js["loss_ppm"] == 10000 and js["seed"] == 3 and
          js["direction"] == "both", f"impair -j --loss 1%: {js['summary']}")
    js = json.loads(t.run("impair", "off", "-j").stdout)
    check(js["active"] is False, "impair off -j")

    # one document and one line break: no blank line after it (ping, set, kill
    # and impair printed one)
    for args in (["ping"], ["set", "msl", "7s"], ["kill", "--dry-run", "dport", "=", ":1"],
                 ["impair"], ["status"], ["get", "msl"], ["conns"]):
        out = t.run("-j", *args).stdout
        check(out.endswith(("}\n", "]\n")) and not out.endswith("\n\n"),
              f"{' '.join(args)} -j: the JSON, then one line break ({out[-12:]!r})")

    for args in (["status"], ["conns"], ["conns", "--closed"], ["conns", "-s"], ["stats"],
                 ["get"], ["reload"], ["trace", str(cid)]):
        r = t.run("-j", *args)
        try:
            json.loads(r.stdout)
        except ValueError as e:
            fail(f"{' '.join(args)} -j is not JSON ({e}): {r.stdout[:200]!r}")
        print(f"ok: {' '.join(args)} -j: JSON", flush=True)
    with tempfile.TemporaryDirectory() as d:
        # a frame for it once it has started: a ping (the kernel's own may come first)
        cap = t.spawn("capture", "-w", os.path.join(d, "x.pcapng"), "-c", "1", "-j",
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        t.wait_log_count(r"capture started", 1)
        t.h.ping(count=1)
        out, err = cap.communicate(timeout=20)
        check(cap.returncode == 0, f"capture -c 1 -j exits 0 ({cap.returncode}: {err.strip()})")
        js = json.loads(out)
        check(js["written"] == 1, f"capture -j: the summary object ({js})")
    r = t.run("-j", "watch", rc=2)
    check("draws for people" in r.stderr, f"watch -j says why not: {r.stderr.strip()}")
    s.close()


if __name__ == "__main__":
    main()
