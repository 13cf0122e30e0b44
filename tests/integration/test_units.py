#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The systemd units: `systemd-analyze verify` is clean and
`systemd-analyze security --offline=true` rates synackd.service "OK" with an
exposure of at most 2.0. The configured unit names the installed binary, so the
check runs on a copy whose ExecStart= points at the build's synackd.
Usage: test_units.py BUILT_SERVICE SOURCE_SYSTEMD_DIR"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import synacktest as st

if not st.have("systemd-analyze"):
    st.skip("systemd-analyze is not installed")
service, srcdir = sys.argv[1], sys.argv[2]
synackd = os.environ["SYNACKD"]
tmp = tempfile.mkdtemp(prefix="synack-units-")
try:
    text = open(service).read()
    text = re.sub(r"^ExecStart=\S+", f"ExecStart={synackd}", text, flags=re.M)
    with open(os.path.join(tmp, "synackd.service"), "w") as f:
        f.write(text)
    for name in ("synackd.socket", "synackd-control.socket"):
        shutil.copy(os.path.join(srcdir, name), tmp)
    units = ["./synackd.service", "./synackd.socket", "./synackd-control.socket"]
    r = subprocess.run(["systemd-analyze", "verify"] + units, cwd=tmp, capture_output=True,
                       text=True, timeout=60)
    out = (r.stdout + r.stderr).strip()
    st.check(r.returncode == 0 and out == "", f"systemd-analyze verify is clean ({out!r})")

    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                        "./synackd.service"], cwd=tmp, capture_output=True, text=True,
                       timeout=60)
    m = re.search(r"Overall exposure level for synackd.service: ([0-9.]+) (\S+)", r.stdout)
    st.check(m is not None, f"systemd-analyze security printed a score ({r.stderr.strip()})")
    score, rating = float(m.group(1)), m.group(2)
    st.check(score <= 2.0 and rating == "OK", f"exposure {score} {rating} (<= 2.0, OK)")

    for f in ("synack.sysusers", "synack.tmpfiles"):
        st.check(os.path.getsize(os.path.join(srcdir, f)) > 0, f"{f} present")
    if st.have("systemd-sysusers"):
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, "etc"))
        r = subprocess.run(["systemd-sysusers", f"--root={root}",
                            os.path.join(srcdir, "synack.sysusers")],
                           capture_output=True, text=True, timeout=60)
        passwd = open(os.path.join(root, "etc", "passwd")).read() if r.returncode == 0 else ""
        group = open(os.path.join(root, "etc", "group")).read() if r.returncode == 0 else ""
        st.check(passwd.startswith("synack:") or "\nsynack:" in passwd,
                 f"sysusers.d creates user synack ({r.stderr.strip()})")
        st.check("synack-admin:" in group and "synack:" in group,
                 "sysusers.d creates groups synack and synack-admin")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
