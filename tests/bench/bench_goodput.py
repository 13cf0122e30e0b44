# SPDX-License-Identifier: MIT
"""goodput: bulk-transfer goodput of synack against the kernel, under impairment.

For each impairment (none, 1 % loss, the 5 % mix) and each direction
(kernel -> synack, synack -> kernel), one SHA-256-checked transfer over:
  - the synack path: the kernel and synackd on one TAP, synackd's own
    impairment stage doing the impairing (synackctl impair);
  - the reference: two kernels joined by impair-fwd, on the same engine with
    the same parameters and seed; the far kernel stands where synackd stands.
Prints a table with both goodputs and their ratio (target: >= 0.9 at 1 % and
at the mix), then the retransmission and RTO counters of both ends of both
runs. A transfer not done within --cap seconds is reported with the bytes it
moved. See tests/bench/README.md.
"""

import argparse
import json
import os
import signal
import sys
import time

import benchlib as bl

# name -> the impairment, as synackctl impair (and impair-fwd) options
IMPAIRMENTS = {
    "none": [],
    "loss1": ["--loss", "1%"],
    "mix5": ["--loss", "5%", "--reorder", "2%", "--duplicate", "1%", "--corrupt", "0.5%",
             "--reorder-frames", "1", "--reorder-time", "10ms"],  # synackd's defaults
}
LABELS = {
    "none": "none",
    "loss1": "1 % loss",
    "mix5": "5 % loss + 2 % reorder + 1 % dup + 0.5 % corrupt",
}
DIRECTIONS = {  # name -> (sender, receiver) as Endpoint sides
    "k2s": ("kernel", "synack"),
    "s2k": ("synack", "kernel"),
}
DLABELS = {"k2s": "kernel → synack", "s2k": "synack → kernel"}

# counters shown per end (nstat names); the kernel and synackd both count these
COUNTERS = [
    ("retr", "TcpRetransSegs"),
    ("RTO", "TcpExtTCPTimeouts"),
    ("fast", "TcpExtTCPFastRetrans"),
    ("TLP", "TcpExtTCPLossProbes"),
]
TARGET = 0.9


def options(argv):
    ap = argparse.ArgumentParser(prog="run-bench goodput", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mb", type=float, default=50, help="megabytes per transfer (10^6 bytes)")
    ap.add_argument("--cap", type=int, default=100, help="seconds a transfer may take")
    ap.add_argument("--seed", type=int, default=1, help="impairment (and data) seed")
    ap.add_argument("--repeat", type=int, default=1,
                    help="transfers per row and path; the median is shown (with the range)")
    ap.add_argument("--impair", default=",".join(IMPAIRMENTS),
                    help=f"impairments to run, from {','.join(IMPAIRMENTS)}")
    ap.add_argument("--direction", default=",".join(DIRECTIONS),
                    help="directions to run: k2s (kernel -> synack), s2k")
    ap.add_argument("--path", default="synack,kernel",
                    help="paths to run: synack (synackd's stage), kernel (the reference)")
    ap.add_argument("--mtu", type=int, default=1500)
    ap.add_argument("--offload", choices=["on", "off"], default="on",
                    help="TAP offloads of synackd (interface.offload) and impair-fwd")
    ap.add_argument("--cc", choices=sorted(bl.SYNACK_CC), default="cubic",
                    help="congestion control of synackd and, unless --kernel-cc says "
                         "otherwise, of every kernel socket: one algorithm on both paths")
    ap.add_argument("--kernel-cc", metavar="ALG",
                    help="congestion control of the kernel sockets (both ends of the "
                         "reference, the kernel on the synack path), e.g. bbr; "
                         "default: the same as --cc")
    ap.add_argument("--json", metavar="FILE", help="also write every result to FILE")
    ap.add_argument("--keep-logs", action="store_true", help="keep each run's logs in /tmp")
    ap.add_argument("--capture", metavar="DIR",
                    help="write each run's frames to DIR/PATH-IMPAIR-DIRECTION-N.pcap(ng), as "
                         "seen where synackd stands: synackctl capture on the synack path "
                         "(frames synackd sends, before the impairment acts, and frames the "
                         "kernel sends, before it acts), tcpdump on the far kernel's TAP on "
                         "the reference path (what it sends, before; what it gets, after)")
    a = ap.parse_args(argv)
    for what, allowed in (("impair", IMPAIRMENTS), ("direction", DIRECTIONS),
                          ("path", ("synack", "kernel"))):
        vals = getattr(a, what).split(",")
        bad = [v for v in vals if v not in allowed]
        if bad:
            ap.error(f"--{what}: unknown {', '.join(bad)}")
        setattr(a, what, vals)
    return a


def start_capture(a, path, name, imp, direction):
    """With --capture: start capturing this run into a new file; the Proc to stop."""
    if not a.capture:
        return None
    os.makedirs(a.capture, exist_ok=True)
    n = 1
    while os.path.exists(os.path.join(a.capture, f"{name}-{imp}-{direction}-{n}.pcapng")):
        n += 1
    return path.start_capture(os.path.join(a.capture, f"{name}-{imp}-{direction}-{n}.pcapng"))


def measure_synack(b, a, imp, direction):
    """One transfer over the synack path; the result with both ends' counters."""
    with bl.Run(b, a.keep_logs, a.cc, a.kernel_cc) as run:
        path = run.synack_path(mtu=a.mtu, offload=a.offload == "on")
        path.impair(IMPAIRMENTS[imp] + ["--seed", str(a.seed), "--direction", "both"]
                    if IMPAIRMENTS[imp] else [])
        snd, rcv = DIRECTIONS[direction]
        cap = start_capture(a, path, "synack", imp, direction)
        res = bl.transfer(run, path.endpoint(snd), path.endpoint(rcv), int(a.mb * 1e6),
                          a.seed, a.cap)
        if cap:
            run.stop(cap, signal.SIGINT)
        res["counters"] = {"synack": path.synack_counters(), "kernel": path.kernel_counters()}
        res["impair_status"] = path.impair_status()
        res["impair"] = path.impair_counters()
        return res


def measure_kernel(b, a, imp, direction):
    """The same transfer kernel to kernel through impair-fwd."""
    with bl.Run(b, a.keep_logs, a.cc, a.kernel_cc) as run:
        args = IMPAIRMENTS[imp] + ["--seed", str(a.seed)]
        path = run.kernel_path(args, mtu=a.mtu, offload=a.offload == "on")
        snd, rcv = DIRECTIONS[direction]
        cap = start_capture(a, path, "kernel", imp, direction)
        res = bl.transfer(run, path.endpoint(snd), path.endpoint(rcv), int(a.mb * 1e6),
                          a.seed, a.cap)
        if cap:
            run.stop(cap, signal.SIGINT)
        # "synack" is the far kernel, the one standing where synackd stands
        res["counters"] = {"synack": bl.netns_counters(path.far),
                           "kernel": bl.netns_counters(path.near)}
        res["impair"] = path.forwarder_counters()
        return res


def median(runs):
    """The run with the median goodput (any error wins), with every run's goodput."""
    bad = [r for r in runs if "error" in r]
    if bad:
        return bad[0]
    ranked = sorted(runs, key=lambda r: r["mbit"])
    pick = dict(ranked[(len(ranked) - 1) // 2])
    pick["runs"] = [{"mbit": r["mbit"], "done": r["done"], "verified": r["verified"]}
                    for r in runs]
    return pick


def goodput(res):
    if res is None:
        return "-"
    if "error" in res:
        return "error"
    spread = ""
    if len(res.get("runs", ())) > 1:
        lo, hi = min(r["mbit"] for r in res["runs"]), max(r["mbit"] for r in res["runs"])
        digits = 1 if hi < 10 else 0
        spread = f"{lo:.{digits}f}–{hi:.{digits}f}"
    if any(not r["verified"] and r["done"] for r in res.get("runs", [res])):
        return f"{res['mbit']:.0f} (SHA-256 MISMATCH)"
    if not res["done"]:
        return (f"not done: {res['moved'] / 1e6:.1f} MB in {res['seconds']:.0f} s "
                f"({res['mbit']:.1f}{'; runs ' + spread if spread else ''})")
    return f"{res['mbit']:.1f}" + (f" ({spread})" if spread else "")


def ratio(s, k):
    if not s or not k or "error" in s or "error" in k or k["mbit"] <= 0:
        return "-"
    r = s["mbit"] / k["mbit"]
    return (f"{r:.2f}" if r >= 0.1 else f"{r:.3f}") + ("" if s["done"] else " (not done)")


def counters(res, side):
    if not res or "counters" not in res:
        return "-"
    c = res["counters"][side]
    return " / ".join(str(c[n]) if n in c else "-" for _, n in COUNTERS)


def engine(res):
    """What the engine did to the frames of each direction of one run."""
    if not res or not res.get("impair"):
        return "-"
    parts = []
    for d in ("in", "out"):
        c = res["impair"].get(d) or {}
        if c.get("frames") is None:
            return "-"
        what = [f"{c[k]} {short}" for k, short in (("dropped", "lost"), ("duplicated", "dup"),
                                                  ("reordered", "reord"),
                                                  ("corrupted", "corrupt")) if c.get(k)]
        parts.append(f"{d} {c['frames']}: " + (", ".join(what) or "untouched"))
    return "; ".join(parts)


def main(build, argv):
    a = options(argv)
    b = bl.Build(build)
    b.need("xfer", *(["synackd", "synackctl"] if "synack" in a.path else []),
           *(["fwd"] if "kernel" in a.path else []))
    results = []
    print(f"# goodput: {a.mb:g} MB per transfer, seed {a.seed}, cap {a.cap} s, MTU {a.mtu}, "
          f"TAP offloads {a.offload}, congestion control: synackd {a.cc}, kernels {a.kernel_cc or a.cc}", flush=True)
    print(f"# {bl.host_note()}", flush=True)
    for imp in a.impair:
        for d in a.direction:
            row = {"impair": imp, "direction": d}
            for p, fn in (("synack", measure_synack), ("kernel", measure_kernel)):
                if p not in a.path:
                    continue
                runs = []
                for i in range(a.repeat):
                    t0 = time.monotonic()
                    try:
                        runs.append(fn(b, a, imp, d))
                    except bl.BenchError as e:
                        runs.append({"error": str(e)})
                        print(f"# {imp} {d} {p}: {e}", file=sys.stderr, flush=True)
                    print(f"# {LABELS[imp]}, {DLABELS[d]}, {p} path: {goodput(runs[-1])} "
                          f"(Mbit/s; {time.monotonic() - t0:.0f} s)", flush=True)
                row[p] = median(runs)
            results.append(row)
    print()
    bl.table(["impairment", "direction", "synack Mbit/s", "kernel↔kernel Mbit/s",
              f"ratio (target ≥ {TARGET} with loss)"],
             [[LABELS[r["impair"]], DLABELS[r["direction"]], goodput(r.get("synack")),
               goodput(r.get("kernel")), ratio(r.get("synack"), r.get("kernel"))]
              for r in results])
    print()
    names = " / ".join(short for short, _ in COUNTERS)
    print(f"Counters ({names}: {', '.join(n for _, n in COUNTERS)}), "
          "each end of each run; on the reference path the kernel in synackd's place "
          "stands in the synack column:")
    print()
    bl.table(["impairment", "direction", "synack run: synackd", "synack run: kernel",
              "reference: kernel in synackd's place", "reference: kernel"],
             [[LABELS[r["impair"]], DLABELS[r["direction"]],
               counters(r.get("synack"), "synack"), counters(r.get("synack"), "kernel"),
               counters(r.get("kernel"), "synack"), counters(r.get("kernel"), "kernel")]
              for r in results])
    print()
    print("What the impairment engine did (frames it saw per direction, in = towards "
          "synackd's place):")
    print()
    bl.table(["impairment", "direction", "synack run (synackctl stats)",
              "reference (impair-fwd)"],
             [[LABELS[r["impair"]], DLABELS[r["direction"]], engine(r.get("synack")),
               engine(r.get("kernel"))] for r in results])
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"options": vars(a), "host": bl.host_note(), "results": results}, f,
                      indent=1)
    bad = [r for r in results for p in ("synack", "kernel") if p in r and
           ("error" in r[p] or any(x["done"] and not x["verified"] for x in r[p]["runs"]))]
    return 1 if bad else 0
