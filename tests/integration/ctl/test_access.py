#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Access to the control socket (SO_PEERCRED): an unprivileged uid in
control.group can read (conns, stats, get) but not set, kill, capture or
reload, and is told which group it needs; outside the group it cannot even
read; in control.admin_group it may change things. Uses nobody with
supplementary groups this test creates and deletes.

The same once more with synackd unable to see other users' processes in
/proc, as under the unit's ProtectProc=invisible (a proc mounted with
hidepid=invisible in a mount namespace of its own, CAP_SYS_PTRACE dropped):
membership through a supplementary group is read from the socket
(SO_PEERGROUPS). Reading /proc/PID/status refused the member there."""

import grp
import os
import subprocess

import synacktest as st
from ctltest import DISCARD, Ctl, check


def main():
    if os.geteuid() != 0 or os.environ.get("SYNACK_TEST_USERNS"):
        st.skip("needs root: creates groups and runs synackctl as nobody")
    tag = os.getpid() % 100000
    reader, admin = f"skr{tag}", f"ska{tag}"
    made = []
    try:
        for g in (reader, admin):
            r = subprocess.run(["groupadd", "-f", g], capture_output=True, text=True)
            if r.returncode != 0:
                st.skip(f"groupadd {g} failed: {r.stderr.strip()}")
            made.append(g)
        run_checks(reader, admin)
        hidden_proc_checks(reader, admin)
    finally:
        for g in made:
            subprocess.run(["groupdel", g], capture_output=True)


def run_checks(reader, admin):
    t = Ctl("ctl-access", control_groups=(reader, admin))
    rgid, agid = grp.getgrnam(reader).gr_gid, grp.getgrnam(admin).gr_gid
    as_reader = ("nobody", "nogroup", [rgid])
    as_admin = ("nobody", "nogroup", [agid])
    as_stranger = ("nobody", "nogroup", [])

    s = t.h.connect(DISCARD)
    port = s.getsockname()[1]
    t.find(lambda c: c["remote"]["port"] == port and c["state"] == "ESTABLISHED")

    r = t.run("conns", user=as_reader)
    check(f":{port}" in r.stdout, "a member of control.group can list connections")
    t.run("stats", user=as_reader)
    t.run("get", "msl", user=as_reader)
    check(True, "... read counters and tunables")

    r = t.run("set", "msl", "2s", user=as_reader, rc=1)
    check(admin in r.stderr, f"set is refused, naming the admin group: {r.stderr.strip()}")
    check(t.json("get", "msl")[0]["value"] == 30000000, "msl did not change")
    r = t.run("kill", "dport", "=", f":{port}", user=as_reader, rc=1)
    check(admin in r.stderr, f"kill is refused, naming the admin group: {r.stderr.strip()}")
    check(any(c["remote"]["port"] == port for c in t.conns()), "the connection is still there")
    r = t.run("reload", user=as_reader, rc=1)
    check(admin in r.stderr, "reload is refused")
    r = t.run("capture", "-w", "/dev/null", "-c", "1", user=as_reader, rc=1)
    check(admin in r.stderr, "capture is refused")

    r = t.run("conns", user=as_stranger, rc=1)
    check(reader in r.stderr, f"outside control.group reading is refused: {r.stderr.strip()}")
    t.run("ping", user=as_stranger)
    check(True, "ping answers anyone who can open the socket (probes)")

    t.run("set", "msl", "2s", user=as_admin)
    check(t.json("get", "msl")[0]["value"] == 2000000, "a member of admin_group can set msl")
    s.close()



# synackd in a mount namespace whose /proc hides other users' processes (from
# root too: gid= names a group root is not in), and
# without CAP_SYS_PTRACE (which would let it see them anyway)
HIDEPID = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           'mount -t proc -o hidepid=invisible,gid=65533 proc /proc && '
           'exec setpriv --bounding-set -sys_ptrace --inh-caps -sys_ptrace "$@"', "hidepid"]


def hidden_proc_checks(reader, admin):
    t = Ctl("ctl-access-hidepid", control_groups=(reader, admin), start_kw={"prefix": HIDEPID})
    rgid, agid = grp.getgrnam(reader).gr_gid, grp.getgrnam(admin).gr_gid
    r = t.run("conns", user=("nobody", "nogroup", [rgid]), rc=None)
    check(r.returncode == 0,
          f"with /proc hidden from synackd, a member of control.group (a supplementary "
          f"group) can list connections (rc {r.returncode}: {r.stderr.strip()})")
    r = t.run("conns", user=("nobody", "nogroup", []), rc=1)
    check(reader in r.stderr, "... and one outside it still cannot")
    t.run("set", "msl", "2s", user=("nobody", "nogroup", [agid]))
    check(t.json("get", "msl")[0]["value"] == 2000000, "... and admin_group can set msl")


if __name__ == "__main__":
    main()
