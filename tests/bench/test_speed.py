#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The speed bench in CI (the bench itself runs by hand): its synack paths set
up and torn down, one short measurement of each kind, each a sane row (bytes
moved with synackd's and the whole machine's CPU per GB, connections made,
round trips with p50 <= p99, idle connections held and seen established by
synackd), the unix socketpair alone each way, and nothing left behind. No
timing is asserted. Usage: test_speed.py BUILDDIR (skips, 77, when not root)."""
import os
import subprocess
import sys

import benchlib as bl
import bench_speed as bs


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)", file=sys.stderr)
        return 77
    b = bl.Build(sys.argv[1])
    b.speed = b._prog("tests/bench/bench-speed")
    b.need("speed", "synackd", "synackctl")
    a = bs.options(["--conns", "300", "--idle-seconds", "0.5"])
    failed = []

    def check(ok, what):
        print(("ok: " if ok else "FAIL: ") + what, flush=True)
        if not ok:
            failed.append(what)

    names = []
    for path in ("stack", "app"):
        with bl.Run(b) as run:
            t = bs.Target(run, b, a, path, 1500, True)
            for d in ("k2s", "s2k"):
                r = t.bulk(d, 0.5)
                check(r["bytes"] > 0 and r["gbit"] > 0 and r["cpu_per_gb"] is not None and
                      (r["busy_cores"] or 0) > 0 and (r["machine_cpu_per_gb"] or 0) > 0,
                      f"{path} {d}: {r['bytes']} bytes moved, {r['gbit']:.2f} Gbit/s, "
                      f"synackd {r['cpu_per_gb']} CPU s/GB, the machine "
                      f"{r['machine_cpu_per_gb']} CPU s/GB on {r['busy_cores']} cores")
            t.start_echo()
            for mode in ("crr", "rr"):
                r = t.rr(mode, 0.5)
                check(r["count"] > 0 and 0 < r["p50_us"] <= r["p99_us"],
                      f"{path} {mode}: {r['count']} round trips, p50 {r['p50_us']} µs "
                      f"<= p99 {r['p99_us']} µs")
            names += run.netns
    # the data socket's transport alone, no network, each way: bytes written, all
    # read by the other process (bench-speed reports an error unless it exited 0)
    with bl.Run(b) as run:
        t = bs.Target(run, b, a, "socketpair", 1500, True)
        for d in ("k2s", "s2k"):
            r = t.bulk(d, 0.5)
            check(r["bytes"] > 0 and r["gbit"] > 0 and (r["busy_cores"] or 0) > 0 and
                  (r["machine_cpu_per_gb"] or 0) > 0,
                  f"socketpair {d}: {r['bytes']} bytes, {r['gbit']:.2f} Gbit/s, the machine "
                  f"{r['machine_cpu_per_gb']} CPU s/GB on {r['busy_cores']} cores")
    mem = bs.measure_memory(b, a)
    m = mem[300]
    check(m["held"] == 300 and m["failed"] == 0 and m["established"] == 300 and
          m["per_conn_kib"] > 0, f"300 idle connections held, synackd counts them "
          f"established, {m['per_conn_kib']:.2f} KiB each ({m})")
    check(mem["idle_cpu_s"] >= 0, f"idle CPU measured: {mem['idle_cpu_s']} s")
    left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    check(not any(n in left for n in names), f"namespaces {names} deleted")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
