#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl capture --bpf EXPR: libpcap's filter beside the connection
filter, and the summary said on exit.

Three captures at once over the same traffic (echo and discard connections,
pings): one unfiltered as the reference, one with --bpf 'tcp dst port 7', one
with a BPF expression and a connection filter. Each file holds exactly the
frames tshark's own filter picks out of the reference, every frame matches,
the others were counted as left out (stderr and -o json): at least the rest
of the test's traffic, at most the rest of the reference, which starts
before the other two and stops after them (the kernel's own frames, ARP or
IPv6, may come at any time). An expression
libpcap refuses is a usage error (exit 2) with libpcap's message, before any
capture starts. A capture stopped (SIGSTOP) during a 20 MB transfer makes
synackd drop frames; with --bpf icmp -c 3 it stops after the pings that
follow, and its summary reports exactly as many drops as synackd counted
(SynackCtlStreamDrops), though -c stopped it."""

import json
import os
import re
import shutil
import signal
import subprocess
import time

from ctltest import DISCARD, ECHO, Ctl, check, tshark, wait_counter, wait_sleeping
import synacktest as st


def tshark_lines(path, *args):
    return tshark(path, *args).splitlines()


def summary(err):
    """(written, dropped, left out by --bpf or None) from the stderr summary."""
    m = re.search(r"(\d+) frames? written to .*, (\d+) dropped by synackd", err)
    check(m is not None, f"the summary says written and dropped: {err.strip()}")
    b = re.search(r"(\d+) frames? did not match the BPF expression", err)
    return int(m.group(1)), int(m.group(2)), int(b.group(1)) if b else None


def stop(t, cap):
    wait_sleeping(cap.pid)  # in poll: it has read every frame sent so far
    cap.send_signal(signal.SIGINT)
    out, err = cap.communicate(timeout=20)
    check(cap.returncode == 0, f"capture stops cleanly on ^C ({cap.returncode}: {err.strip()})")
    return out, err


def traffic(t):
    """Two echo connections, one to discard, three pings; until they are gone."""
    ports = []
    for i in range(2):
        s = t.h.connect(ECHO)
        ports.append(s.getsockname()[1])
        msg = b"bpf %d\n" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            got += s.recv(100)
        s.close()
    s = t.h.connect(DISCARD)
    ports.append(s.getsockname()[1])
    s.sendall(b"d" * 100000)
    s.close()
    ok, out = t.h.ping(count=3)
    check(ok, f"ping answers ({out.strip()[-200:]})")
    deadline = time.monotonic() + 5
    while (any(c["remote"]["port"] in ports for c in t.conns())
           and time.monotonic() < deadline):
        time.sleep(0.05)
    time.sleep(0.3)


def main():
    if not shutil.which("tshark"):
        st.skip("tshark is not installed (apt-get install tshark)")
    # meson says whether synackctl was built with libpcap; by hand, its help does
    built = os.environ.get("SYNACKCTL_HAVE_PCAP")
    if built == "0":
        st.skip("synackctl was built without libpcap (apt-get install libpcap-dev)")
    t = Ctl("ctl-capture-bpf")
    offered = "--bpf" in t.run("capture", "--help").stdout
    if built is None and not offered:
        st.skip("synackctl was built without libpcap (apt-get install libpcap-dev)")
    check(offered, "capture --help offers --bpf")
    started = 0

    # --- refused: libpcap's message, exit 2, nothing started or written
    bad = os.path.join(t.h.tmp, "bad.pcapng")
    r = t.run("capture", "-w", bad, "--bpf", "tcp dst port", rc=2)
    check("--bpf 'tcp dst port': " in r.stderr and "syntax error" in r.stderr and r.stdout == "",
          f"an expression libpcap refuses is a usage error with its message: {r.stderr.strip()}")
    r = t.run("capture", "-w", bad, "--bpf", "udp port 70000", "dport", "=", ":7", rc=2)
    check("illegal port number 70000 > 65535" in r.stderr,
          f"... libpcap's own words: {r.stderr.strip()}")
    check(not os.path.exists(bad) and "capture started" not in t.d.log(),
          "a refused expression starts no capture and writes no file")

    # --- three captures over the same traffic
    ref = os.path.join(t.h.tmp, "all.pcapng")
    dst7 = os.path.join(t.h.tmp, "dst7.pcapng")
    syn7 = os.path.join(t.h.tmp, "syn7.pcapng")
    pipe = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the reference first and, stopped last, it sees every frame the others do
    cap_ref = t.spawn("capture", "-w", ref, **pipe)
    started += 1
    t.wait_log_count(r"capture started", started)
    caps = [t.spawn("capture", "-w", dst7, "-j", "--bpf", "tcp dst port 7", **pipe),
            # both filters: BPF keeps SYNs, the connection filter port 7's
            t.spawn("capture", "-w", syn7, "--bpf=tcp[tcpflags] & tcp-syn != 0",
                    "sport", "=", f":{ECHO}", **pipe)]
    started += 2
    t.wait_log_count(r"capture started", started)
    traffic(t)
    (out7, err7), (_, err_syn) = [stop(t, c) for c in caps]
    _, err_ref = stop(t, cap_ref)

    n_ref, d_ref, b_ref = summary(err_ref)
    check(b_ref is None and d_ref == 0 and "too slow" not in err_ref,
          f"without --bpf: no BPF count, 0 dropped said all the same ({err_ref.strip()})")
    check(len(tshark_lines(ref)) == n_ref, f"the reference holds {n_ref} frames")

    n7, d7, b7 = summary(err7)
    want = tshark_lines(ref, "-Y", "tcp.dstport == 7")
    rows = tshark_lines(dst7, "-T", "fields", "-e", "tcp.dstport", "-e",
                  "frame.packet_flags_direction")
    check(n7 == len(rows) and n7 == len(want) and n7 >= 2 * 3,
          f"--bpf 'tcp dst port 7' wrote the {len(want)} frames tshark picks from the "
          f"reference (wrote {n7}, file holds {len(rows)})")
    check(all(r.split("\t")[0] == "7" and int(r.split("\t")[1], 0) & 3 == 1 for r in rows),
          "every frame written is TCP to port 7, inbound")
    # the test's own traffic the three saw alike; the kernel's own frames (ARP,
    # an IPv6 router solicitation) come when they do: the reference, running
    # before and after this capture, has those this one saw and maybe more
    ours = tshark_lines(ref, "-Y", f"tcp.port == {ECHO} || tcp.port == {DISCARD} || icmp")
    check(b7 is not None and b7 > 0 and len(ours) <= n7 + b7 <= n_ref,
          f"the rest were left out and counted: {n7} + {b7} frames seen, {len(ours)} of the "
          f"test's traffic and {n_ref} in all in the reference")
    j = json.loads(out7)
    check(j == {"file": dst7, "written": n7, "write_failed": False, "dropped": d7,
                "dropped_final": True, "bpf": "tcp dst port 7", "bpf_filtered": b7,
                "stopped": "signal"} and d7 == 0,
          f"-j: the summary as JSON on stdout ({out7.strip()})")

    ns, _, bs = summary(err_syn)
    want = tshark_lines(ref, "-Y", "tcp.flags.syn == 1 && tcp.port == 7")
    rows = tshark_lines(syn7, "-T", "fields", "-e", "tcp.port", "-e", "tcp.flags.syn",
                        "-e", "tcp.flags.ack")
    # a SYN or SYN,ACK sent again (a slow handshake) is in the reference too
    kinds = {(r.split("\t")[0], r.split("\t")[2]) for r in rows}
    check(ns == len(rows) == len(want) and len(kinds) == 4,
          f"--bpf with a FILTER: both must match (the 2 SYNs and 2 SYN,ACKs of port 7: "
          f"{ns} written, {len(want)} in the reference, {len(kinds)} different)")
    check(all("7" in r.split("\t")[0].split(",") and r.split("\t")[1] in ("1", "True")
              for r in rows), "every frame is a SYN of a port 7 connection")
    check(bs is not None and 0 < bs < n_ref,
          f"frames the connection filter passed but --bpf did not are counted ({bs})")

    # --- drops: the reader stopped under load; -c stops it, the count is said
    before = t.counters().get("SynackCtlStreamDrops", 0)
    icmp = os.path.join(t.h.tmp, "icmp.pcapng")
    cap = t.spawn("capture", "-w", icmp, "-c", "3", "-o", "json", "--bpf", "icmp", **pipe)
    started += 1
    t.wait_log_count(r"capture started", started)
    os.kill(cap.pid, signal.SIGSTOP)
    try:
        s = t.h.connect(DISCARD)
        port = s.getsockname()[1]
        s.sendall(b"z" * 20_000_000)
        s.close()
        deadline = time.monotonic() + 20
        while (any(c["remote"]["port"] == port for c in t.conns())
               and time.monotonic() < deadline):
            time.sleep(0.05)
        dropped = wait_counter(t, "SynackCtlStreamDrops", lambda v: v > before)
        check(dropped is not None, f"synackd drops frames for a stopped capture ({dropped})")
    finally:
        os.kill(cap.pid, signal.SIGCONT)
    time.sleep(1)  # it reads what synackd queued for it: TCP, all left out by --bpf
    ok, _ = t.h.ping(count=3)
    out, err = cap.communicate(timeout=20)
    total = t.counters().get("SynackCtlStreamDrops", 0) - before
    n, d, b = summary(err)
    check(cap.returncode == 0 and n == 3 and len(tshark_lines(icmp, "-Y", "icmp")) == 3,
          f"-c 3 stopped after 3 ICMP frames (rc {cap.returncode})")
    check(d == total and d > 0 and "(the reader was too slow)" in err,
          f"the summary reports synackd's {total} drops: {err.strip()}")
    j = json.loads(out)
    check(j["dropped"] == d and j["written"] == 3 and j["stopped"] == "count"
          and j["bpf_filtered"] == b and b > 0,
          f"... and so does -o json ({out.strip()})")
    print(f"stopped reader: {n} written, {d} dropped by synackd, {b} left out by --bpf",
          flush=True)


if __name__ == "__main__":
    main()
