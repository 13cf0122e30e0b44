#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A reload keeps what `synackctl set` changed unless the file names the key,
and says what it did (issue 13): `set msl 10s`, then a reload of a file that
does not name tcp.msl keeps 10s (listed as kept, set at runtime) while the
file's own change (tcp.rto.min) is listed as changed; a file that names
tcp.msl wins (listed as changed, 10s -> 5s); a key the file stops naming and
nobody set goes back to its default. A reload of an unchanged file after no
`set` says nothing changed; -j gives the same as JSON; a restart-only key
(interface.mtu) is listed as not applied and stays. SIGHUP does the same and
logs it: a kept value, then a change."""

import json
import re
import signal

from ctltest import Ctl, check

MS = 1000
S = 1000 * MS


def tunable(t, key):
    """The running value of a tunable in its base unit (µs for durations)."""
    return t.json("get", key)[0]["value"]


def reload(t, text):
    """Write text as the file synackd reads, then synackctl reload; its stdout."""
    t.h.write_config(text, "synackd-0.yaml")
    out = t.run("reload").stdout
    print(f"$ synackctl reload\n{out}", end="", flush=True)
    # read RELOADING=1 and READY=1: past max_dgram_qlen (10) unread datagrams
    # synackd holds them back (test_notify_full.py); reading keeps them flowing
    t.d.wait_notify("READY=1", 5)
    return out


def reload_json(t):
    r = t.run("-j", "reload")
    print(f"$ synackctl -j reload\n{r.stdout}", end="", flush=True)
    t.d.wait_notify("READY=1", 5)
    return json.loads(r.stdout)


def reload_json_text(t, text):
    t.h.write_config(text, "synackd-0.yaml")
    return reload_json(t)


def main():
    t = Ctl("ctl-reload-set")
    base = t.text
    path = t.h.write_config(base, "synackd-0.yaml")

    # a runtime value the file does not name survives, and is listed as kept
    t.run("set", "msl", "10s")
    rto = base + "tcp:\n  rto:\n    min: 300ms\n"
    out = reload(t, rto)
    check(tunable(t, "msl") == 10 * S,
          f"tcp.msl set at runtime (10s) is kept by a file that does not name it "
          f"(now {tunable(t, 'msl')} us)")
    check(tunable(t, "rto.min") == 300 * MS, "the file's tcp.rto.min is in force")
    lines = out.splitlines()
    check(lines[0] == f"configuration reloaded from {path}: 1 changed, 1 kept",
          f"the summary counts one change, one kept ({lines[0]!r})")
    check("  tcp.rto.min: 200ms -> 300ms" in lines, "the file's change is listed: old -> new")
    check("  tcp.msl = 10s (set at runtime, not in the file)" in lines,
          "the kept runtime value is listed")
    check(len(lines) == 3, f"nothing else is listed ({lines})")

    # the same file again: nothing changes, the runtime value is still kept (and said so)
    js = reload_json(t)
    check(js["changed"] == [], f"-j: the same file again changes nothing ({js['changed']})")
    check(js["kept"] == [{"key": "tcp.msl", "value": "10s", "file": "30s"}],
          f"-j: tcp.msl is kept, the file's value would be 30s ({js['kept']})")
    check(tunable(t, "msl") == 10 * S, "still 10s")

    # a file that names the key wins over the runtime value
    named = base + "tcp:\n  msl: 5s\n  rto:\n    min: 300ms\n"
    out = reload(t, named)
    check(tunable(t, "msl") == 5 * S, "the file names tcp.msl: its 5s wins over the runtime 10s")
    lines = out.splitlines()
    check(lines[0] == f"configuration reloaded from {path}: 1 changed", f"summary ({lines[0]!r})")
    check("  tcp.msl: 10s -> 5s" in lines and len(lines) == 2,
          f"tcp.msl listed as changed, nothing kept ({lines})")

    # the same file again, nothing set since: nothing to say
    out = reload(t, named)
    check(out.strip() == f"configuration reloaded from {path}: nothing changed",
          f"an unchanged file after no set: nothing changed ({out.strip()!r})")
    js = reload_json(t)
    check(js["file"] == path and js["changed"] == [] and js["kept"] == []
          and js["not_applied"] == [], f"-j: empty lists ({js})")

    # from the file now, not set at runtime: a file without it gives the default again
    t.h.write_config(rto, "synackd-0.yaml")
    js = reload_json(t)
    check(js["changed"] == [{"key": "tcp.msl", "before": "5s", "after": "30s"}]
          and js["kept"] == [], f"-j: tcp.msl goes back to the default with the file ({js})")
    check(tunable(t, "msl") == 30 * S, "tcp.msl is 30s")

    # a key that needs a restart is reported and left as it runs
    out = reload(t, rto.replace("interface:\n", "interface:\n  mtu: 9000\n"))
    lines = out.splitlines()
    check(lines[0] == f"configuration reloaded from {path}: 1 not applied", f"({lines[0]!r})")
    check("  interface.mtu = 1500 (not applied: needs a restart; the file says 9000)" in lines,
          f"interface.mtu is listed as not applied ({lines})")
    t.d.wait_log(r"interface changes need a restart", 5)
    check(json.loads(t.run("status", "-o", "json").stdout)["interface"]["mtu"] == 1500,
          "the MTU stays 1500")

    # SIGHUP: the same rules, said in the log
    t.h.write_config(rto, "synackd-0.yaml")
    t.run("set", "msl", "2s")
    applied = r"reload: .*synackd-0\.yaml applied: 1 kept$"
    before = len(re.findall(applied, t.d.log(), re.M))
    t.d.send(signal.SIGHUP)
    t.d.wait_notify("READY=1", 5)
    t.d.wait_log(r"reload: tcp\.msl = 2s kept \(set at runtime, not in the file\)$", 5)
    t.wait_log_count(applied, before + 1, 5)
    check(tunable(t, "msl") == 2 * S, "SIGHUP keeps the runtime tcp.msl too")
    t.h.write_config(base + "tcp:\n  msl: 7s\n", "synackd-0.yaml")
    t.d.send(signal.SIGHUP)
    t.d.wait_notify("READY=1", 5)
    t.d.wait_log(r"reload: tcp\.msl: 2s -> 7s$", 5)
    t.d.wait_log(r"reload: tcp\.rto\.min: 300ms -> 200ms$", 5)
    check(tunable(t, "msl") == 7 * S, "SIGHUP: a file that names tcp.msl wins")
    check(not re.search(r"reload: tcp\.msl = 7s kept", t.d.log()), "nothing kept then")

    # a kept runtime value may not break the file's own rule with the file's
    # values (rto.min and rto.initial <= rto.max): the runtime one gives way
    t.run("set", "rto.max", "1s")
    js = reload_json_text(t, base + "tcp:\n  msl: 7s\n  rto:\n    min: 2s\n")
    check(tunable(t, "rto.min") == 2 * S and tunable(t, "rto.max") == 120 * S,
          f"rto.min 2s from the file; the runtime rto.max 1s gave way to the file's 120s "
          f"({tunable(t, 'rto.min')} / {tunable(t, 'rto.max')} us)")
    check(all(k["key"] != "tcp.rto.max" for k in js["kept"]) and
          any(c["key"] == "tcp.rto.max" and c["before"] == "1s" for c in js["changed"]),
          f"rto.max is listed as changed, not kept ({js})")
    t.d.wait_log(r"tcp\.rto\.max set at runtime gives way to the file's", 5)
    check(t.d.alive(), "synackd runs on")


if __name__ == "__main__":
    main()
