#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""synackctl capture writes pcapng that tshark reads without errors: a
filtered capture of a kernel -> synack transfer holds every frame of the
connection (handshake, all payload bytes, close) and as many frames as
synackctl says it wrote; one of synack -> kernel (echo) holds every byte
sent, as sent (synackd sends from its send ring in pieces and makes a
frame whole only for a running capture); -c COUNT stops after exactly COUNT frames; a capture
that cannot keep up (its output not read for a while during a 20 MB
transfer) says on exit how many frames the daemon dropped for it, and one
that stops after COUNT says so too (0 dropped), and one stopped after its
lag, with no frame after it, reports synackd's final count (CaptureStop,
StreamEnd.dropped), not the stale one of its last frame. test_capture_bpf.py covers
--bpf and drops counted while -c stops the capture."""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

from ctltest import DISCARD, ECHO, Ctl, check, tshark, wait_sleeping
import synacktest as st


def written(stderr):
    m = re.search(r"(\d+) frames? written", stderr)
    check(m is not None, f"synackctl capture reports its count: {stderr.strip()}")
    return int(m.group(1))


def lagging_capture(t, nth, *opts):
    """A capture to a pipe nobody reads during a 20 MB transfer (synackctl
    blocks, synackd drops what it cannot queue), then read: (process, the
    output read once it ends, the reading thread)."""
    cap = t.spawn("capture", "-w", "-", *opts, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t.wait_log_count(r"capture started", nth)
    s = t.h.connect(DISCARD)
    port = s.getsockname()[1]
    s.sendall(b"z" * 20_000_000)
    s.close()
    deadline = time.monotonic() + 20  # the transfer over, before the pipe is read
    while any(c["remote"]["port"] == port for c in t.conns()) and time.monotonic() < deadline:
        time.sleep(0.05)
    got = []
    reader = threading.Thread(target=lambda: got.append(cap.stdout.read()))
    reader.start()
    return cap, got, reader


def main():
    if not shutil.which("tshark"):
        st.skip("tshark is not installed (apt-get install tshark)")
    t = Ctl("ctl-capture")
    path = os.path.join(t.h.tmp, "transfer.pcapng")
    cap = t.spawn("capture", "-w", path, "sport", "=", f":{DISCARD}",
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t.wait_log_count(r"capture started", 1)
    sent = 300000
    s = t.h.connect(DISCARD)
    port = s.getsockname()[1]
    s.sendall(b"y" * sent)
    s.close()
    deadline = time.monotonic() + 20
    while any(c["remote"]["port"] == port for c in t.conns()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    wait_sleeping(cap.pid)  # it read what synackd sent: ^C now loses none of it
    cap.send_signal(signal.SIGINT)
    _, err = cap.communicate(timeout=10)
    check(cap.returncode == 0, f"capture stops cleanly on ^C ({cap.returncode})")
    n = written(err)
    rows = tshark(path, "-T", "fields", "-e", "tcp.srcport", "-e", "tcp.flags.str",
                  "-e", "tcp.len").splitlines()
    check(len(rows) == n, f"tshark counts {len(rows)} frames, synackctl wrote {n}")
    fields = [r.split("\t") for r in rows]
    check(all(f[0] in (str(port), str(DISCARD)) for f in fields),
          "the filter kept only the connection's frames")
    flags = [f[1] for f in fields]
    check("S" in flags[0] and "A" not in flags[0], f"the capture starts with the SYN ({flags[:3]})")
    check(any("F" in f for f in flags), "the FINs are in the capture")
    payload = sum(int(f[2] or 0) for f in fields if f[0] == str(port))
    check(payload >= sent, f"every payload byte is in the capture ({payload} >= {sent})")
    dirs = {int(d, 0) & 3 for d in
            tshark(path, "-T", "fields", "-e", "frame.packet_flags_direction").split()}
    check(dirs == {1, 2}, f"frames carry their direction, inbound and outbound ({dirs})")

    # synack -> kernel: data segments leave from the send ring in pieces
    # (link_emit_tail); while a capture runs they are made whole for it, so
    # every byte echoed is in the capture, and is the byte sent
    path_out = os.path.join(t.h.tmp, "echo.pcapng")
    cap = t.spawn("capture", "-w", path_out, "sport", "=", f":{ECHO}",
                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t.wait_log_count(r"capture started", 2)
    data = bytes((i * 7 + i // 251) & 0xff for i in range(200000))
    s = t.h.connect(ECHO)
    port = s.getsockname()[1]
    s.sendall(data)
    back = b""
    while len(back) < len(data):
        chunk = s.recv(65536)
        if not chunk:
            break
        back += chunk
    s.close()
    deadline = time.monotonic() + 20
    while any(c["remote"]["port"] == port for c in t.conns()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    wait_sleeping(cap.pid)
    cap.send_signal(signal.SIGINT)
    _, err = cap.communicate(timeout=10)
    check(cap.returncode == 0 and back == data, f"the echo came back whole ({len(back)} bytes)")
    rows = tshark(path_out, "-o", "tcp.relative_sequence_numbers:TRUE", "-T", "fields",
                  "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.payload").splitlines()
    segs = {}
    for r in rows:
        f = r.split("\t")
        if len(f) == 3 and f[0] == str(ECHO) and f[2]:
            segs[int(f[1])] = bytes.fromhex(f[2].replace(":", ""))
    stream = bytearray(len(data))
    covered = 0
    for seq, b in sorted(segs.items()):
        if seq - 1 <= covered and seq - 1 + len(b) > covered:
            stream[seq - 1:seq - 1 + len(b)] = b[:len(data) - (seq - 1)]
            covered = seq - 1 + len(b)
    check(covered >= len(data) and bytes(stream) == data,
          f"the outbound payload in the capture is the bytes echoed ({covered} of "
          f"{len(data)} in {len(segs)} frames)")

    path2 = os.path.join(t.h.tmp, "count.pcapng")
    cap = t.spawn("capture", "-w", path2, "-c", "5", stdout=subprocess.DEVNULL,
                  stderr=subprocess.PIPE, text=True)
    t.wait_log_count(r"capture started", 3)
    ok, _ = t.h.ping(count=5)
    _, err = cap.communicate(timeout=10)
    check(cap.returncode == 0 and written(err) == 5, "capture -c 5 stops after 5 frames")
    check(re.search(r"5 frames written to .*count\.pcapng, 0 dropped by synackd$", err, re.M)
          is not None, f"... and says it dropped none: {err.strip()}")
    check(len(tshark(path2).splitlines()) == 5, "tshark counts 5 frames")

    # to a pipe nobody reads for a while: synackctl blocks, the daemon drops
    # what it cannot take; once the pipe is read again, the next frames (a
    # ping after the transfer) carry the count
    cap, got, reader = lagging_capture(t, 4)
    t.h.ping(count=3)
    time.sleep(0.5)
    cap.send_signal(signal.SIGINT)
    err = cap.stderr.read().decode()
    cap.wait(timeout=20)
    reader.join(timeout=20)
    m = re.search(r"(\d+) dropped by synackd \(the reader was too slow\)", err)
    check(cap.returncode == 0 and m is not None and int(m.group(1)) > 0,
          f"a lagging capture reports the frames dropped for it: {err.strip()}")
    print(f"lagging capture: {written(err)} frames written ({len(got[0])} bytes), "
          f"{m.group(1)} dropped", flush=True)

    # the same lag, stopped with no frame after it: every frame it read was
    # queued before the last drops, so only synackd's final word (CaptureStop,
    # StreamEnd.dropped) has them; the summary says exactly what synackd
    # counts (SynackCtlStreamDrops: this is the only session that lags)
    drops0 = t.counters()["SynackCtlStreamDrops"]
    cap, got, reader = lagging_capture(t, 5, "-o", "json")
    time.sleep(1)
    cap.send_signal(signal.SIGINT)
    err = cap.stderr.read().decode()
    cap.wait(timeout=20)
    reader.join(timeout=20)
    # read once the capture has ended: its session drops nothing more
    drops = t.counters()["SynackCtlStreamDrops"] - drops0
    m = re.search(r"(\d+) dropped by synackd \(the reader was too slow\)$", err, re.M)
    check(cap.returncode == 0 and m is not None and int(m.group(1)) == drops > 0,
          f"a capture stopped after its lag reports synackd's final count ({drops}): "
          f"{err.strip()}")
    summary = json.loads(err.strip().splitlines()[-1])
    check(summary["dropped"] == drops and summary["dropped_final"] is True,
          f"-o json says the same, final: {summary}")
    print(f"lag, then stop: {summary['written']} frames written, {drops} dropped "
          f"(SynackCtlStreamDrops)", flush=True)


if __name__ == "__main__":
    main()
