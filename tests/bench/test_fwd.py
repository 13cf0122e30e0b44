#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""impair-fwd and the bench harness, in CI (the benches themselves run by hand):
the reference path of the goodput bench (two kernels in two namespaces joined
by impair-fwd) carries a SHA-256-checked 5 MB transfer at 1 % loss, with
offloads (super-frames cut for the engine) and without (plain frames); the
engine drops between 0.3 % and 3 % of the frames, the
forwarder loses no frame of its own, and every namespace and process is gone
afterwards. Usage: test_fwd.py BUILDDIR (skips, 77, when not root)."""
import os
import subprocess
import sys

import benchlib as bl


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (network namespaces)", file=sys.stderr)
        return 77
    b = bl.Build(sys.argv[1])
    failed = []

    def check(ok, what):
        print(("ok: " if ok else "FAIL: ") + what)
        if not ok:
            failed.append(what)

    for offload in (True, False):
        mode = "offloads" if offload else "plain frames"
        with bl.Run(b) as run:
            path = run.kernel_path(["--loss", "1%", "--seed", "3"], offload=offload)
            res = bl.transfer(run, path.endpoint("kernel"), path.endpoint("synack"),
                              5_000_000, 3, 40)
            c = path.forwarder_counters()
            names = list(run.netns)
        check(res["verified"], f"{mode}: 5 MB arrived SHA-256-identical, both ends closed "
              f"({res['recv']})")
        # both directions together (some 4,000 frames, 40 drops expected): the bounds
        # are 4 standard deviations away, whatever share each direction got
        frames = c["in"]["frames"] + c["out"]["frames"]
        dropped = c["in"]["dropped"] + c["out"]["dropped"]
        check(frames > 0 and 0.003 <= dropped / frames <= 0.03,
              f"{mode}: the engine dropped {dropped} of {frames} frames (1 %)")
        for d in ("in", "out"):
            check(c[d]["write_errors"] == 0 and c[d]["queue_full"] == 0 and
                  c[d]["bad_frames"] == 0, f"{mode}: {d}: no frame lost by the forwarder ({c[d]})")
        check((c["in"]["super_frames"] > 0) == offload,
              f"{mode}: super-frames cut: {c['in']['super_frames']}")
        left = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        check(not any(n in left for n in names), f"{mode}: namespaces {names} deleted")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
