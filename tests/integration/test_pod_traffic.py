#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Kubernetes sidecar recipe, run for real (issue 13, "the sidecar, really
usable"): systemd/k8s-sidecar.yaml and the Containerfile that builds its image.

1. The Containerfile (no image is built here: no registry, no container
   daemon): every file it COPYs exists, symbolic links inside what it copies
   stay inside it, the copied tree configures as debian/rules configures it,
   the packages it installs are packages debian/ builds, with the programs
   the image and the manifest run; the image tag is the manifest's.
2. In network namespaces built like a pod and its node (a veth: the pod's
   eth0 10.99.0.2/24, the node 10.99.0.1), the manifest's ConfigMap as it is
   written: pod-net.sh run as the init container runs it (CAP_NET_ADMIN
   only, /proc/sys read-only: it refuses while net.ipv4.ip_forward is 0,
   loads pod-nat.nft once the pod's sysctl is 1, and again without
   duplicating rules); synackd with synackd.yaml and CAP_NET_ADMIN only, its
   sockets in a directory like the fsGroup's emptyDir; the probes' command;
   the app as the manifest's uid with the fsGroup (and refused without it).
   Ingress: curl in the node fetches files from synack-http through the
   pod's IP (DNAT), and synack sees the node's address. Egress: curl under
   synack-run in the pod fetches from a server in the node, which sees the
   pod's IP (masquerade)."""
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import synacktest as st

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MANIFEST = os.path.join(SRC, "systemd", "k8s-sidecar.yaml")
CONTAINERFILE = os.path.join(SRC, "Containerfile")
SYNACKD = os.environ.get("SYNACKD") or st.fail("$SYNACKD is not set")
BUILD = os.path.dirname(os.path.dirname(os.path.abspath(SYNACKD)))  # BUILD/daemon/synackd

POD_IP, NODE_IP, POD_PREFIX = "10.99.0.2", "10.99.0.1", 24
EGRESS_PORT = 8000  # the node's server


def tool(env, *rel):
    """A program of the build: $env when set, else BUILD/rel (beside SYNACKD's)."""
    p = (os.environ.get(env) if env else None) or os.path.join(BUILD, *rel)
    if not os.path.exists(p):
        st.fail(f"{p} is missing: build the whole tree first (meson compile -C {BUILD})")
    return p


# ---------------------------------------------------------------- the manifest

def read(path):
    with open(path) as f:
        return f.read()


def block_scalar(text, key):
    """The literal block `key: |` of the manifest, dedented."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = re.match(rf"^( *){re.escape(key)}: \|\s*$", line)
        if not m:
            continue
        indent, out, block = len(m.group(1)), [], None
        for body in lines[i + 1:]:
            if body.strip() == "":
                out.append("")
                continue
            n = len(body) - len(body.lstrip(" "))
            if n <= indent:
                break
            block = n if block is None else block
            out.append(body[block:])
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n"
    st.fail(f"{MANIFEST}: no block `{key}: |`")


def flow_list(text, after, key="command"):
    """The JSON-style list of the first `key: [...]` after the line matching after."""
    m = re.search(after + r"[^\n]*\n(?:[^\n]*\n)*?\s*" + key + r":\s*(\[[^\n]*\])", text)
    if not m:
        st.fail(f"{MANIFEST}: no {key}: [...] after {after!r}")
    return json.loads(m.group(1))


def int_field(text, key):
    m = re.search(rf"^\s*{key}:\s*(\d+)", text, re.M)
    if not m:
        st.fail(f"{MANIFEST}: no {key}")
    return int(m.group(1))


manifest = read(MANIFEST)
pod_spec = manifest[manifest.index("\nkind: Pod"):]
app_spec = pod_spec[pod_spec.index("\n  containers:"):]
CM = {k: block_scalar(manifest, k) for k in ("synackd.yaml", "pod-net.sh", "pod-nat.nft")}
FSGROUP = int_field(pod_spec[:pod_spec.index("\n  volumes:")], "fsGroup")
APP_UID = int_field(app_spec, "runAsUser")
APP_GID = int_field(app_spec, "runAsGroup")
st.check(APP_UID != 0 and re.search(r"runAsNonRoot:\s*true", app_spec) is not None,
         f"the app container runs as uid {APP_UID}, non-root, with fsGroup {FSGROUP}")
PROBES = {p: flow_list(pod_spec, p) for p in ("startupProbe", "livenessProbe", "readinessProbe")}
for name, cmd in PROBES.items():
    st.check(cmd[:2] == ["synackctl", "-s"] and cmd[-1] == "ping",
             f"the {name} runs {' '.join(cmd)}")
NET_CMD = flow_list(pod_spec, r"- name: synack-net")
st.check(NET_CMD[0] == "sh" and os.path.basename(NET_CMD[1]) in CM and
         os.path.dirname(NET_CMD[1]) == "/etc/synack",
         f"the init container synack-net runs the ConfigMap's {' '.join(NET_CMD)}")
SYNACKD_ARGS = flow_list(pod_spec, r"- name: synackd\n", key="args")
st.check("sysctls:" in pod_spec and re.search(
    r"name: net\.ipv4\.ip_forward\s*\n\s*value: \"1\"", pod_spec) is not None,
    "the pod sets net.ipv4.ip_forward=1 (securityContext.sysctls)")
images = set(re.findall(r"image:\s*(\S*synackd\S*)", pod_spec))
st.check(len(images) == 1, f"the sidecar and synack-net run one image: {images}")
IMAGE = images.pop()

with tempfile.TemporaryDirectory(prefix="synack-pod-check-") as d:
    path = os.path.join(d, "synackd.yaml")
    with open(path, "w") as f:
        f.write(CM["synackd.yaml"])
    r = st.run([SYNACKD, "--check-config", path], check_rc=False)
    if r.returncode != 0:
        st.fail(f"synackd --check-config refuses the ConfigMap's synackd.yaml:\n"
                f"{r.stdout}{r.stderr}")
    st.check(True, "synackd --check-config accepts the ConfigMap's synackd.yaml")
st.check(re.search(r"^rpc:\n(  .*\n)*  mode: \"0660\"", CM["synackd.yaml"], re.M) and
         re.search(r"^rpc:\n(  .*\n)*  group: \"\"", CM["synackd.yaml"], re.M),
         "the app socket: mode 0660, group \"\" (the fsGroup emptyDir's)")

# ---------------------------------------------------------------- the Containerfile


def instructions(text):
    """[(stage index, INSTRUCTION, rest)], continuation lines joined."""
    out, stage, cur = [], -1, ""
    for line in text.split("\n"):
        if not cur and (line.lstrip().startswith("#") or not line.strip()):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued RUN
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        if word.upper() == "FROM":
            stage += 1
        out.append((stage, word.upper(), rest.strip()))
        cur = ""
    return out


cf_text = read(CONTAINERFILE)
cf = instructions(cf_text)
froms = [rest for _, w, rest in cf if w == "FROM"]
st.check(len(froms) == 2 and re.fullmatch(r"debian:12 AS build", froms[0], re.I) and
         froms[1] == "debian:12-slim",
         f"two stages: debian:12 AS build, then debian:12-slim ({froms})")
build = [(w, rest) for s, w, rest in cf if s == 0]
final = [(w, rest) for s, w, rest in cf if s == 1]

copied = []
for w, rest in build:
    if w != "COPY":
        continue
    args = rest.split()
    if any(a.startswith("--") for a in args):
        st.fail(f"COPY {rest}: the build stage copies from the context only")
    for src in args[:-1]:
        if not os.path.lexists(os.path.join(SRC, src)):
            st.fail(f"Containerfile: COPY {src}: no such file in the tree")
        copied.append(os.path.normpath(src))
st.check(copied, f"the build stage's COPY sources exist in the tree: {' '.join(copied)}")


def inside_copied(rel):
    rel = os.path.normpath(rel)
    return any(rel == c or rel.startswith(c + "/") for c in copied)


for c in copied:
    top = os.path.join(SRC, c)
    for dirpath, dirnames, filenames in os.walk(top):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                target = os.path.relpath(os.path.realpath(p), SRC)
                if not (os.path.exists(p) and inside_copied(target)):
                    st.fail(f"{os.path.relpath(p, SRC)} links to {target}, which the "
                            "Containerfile does not copy")
st.check(True, "every symbolic link in what the build stage copies points inside it")

runs = " ".join(rest for w, rest in build if w == "RUN")
st.check("dpkg-buildpackage -b -us -uc" in runs and "apt-get build-dep" in runs,
         "the build stage installs debian/control's build dependencies and runs "
         "dpkg-buildpackage -b -us -uc")
workdir = [rest for w, rest in build if w == "WORKDIR"][-1]
debs = []
for w, rest in final:
    if w == "COPY":
        args = rest.split()
        st.check(args[0] == "--from=build", f"the final stage copies from the build: {rest}")
        for g in args[1:-1]:
            m = re.fullmatch(r"(.*)/([a-z0-9.+-]+)_\*\.deb", g)
            st.check(m and m.group(1) == os.path.dirname(workdir),
                     f"{g}: a .deb dpkg-buildpackage writes beside {workdir}")
            debs.append(m.group(2))
install = " ".join(rest for w, rest in final if w == "RUN")
for p in debs:
    st.check(f"./{p}_*.deb" in install, f"the final stage installs {p} from the build")
st.check(set(debs) >= {"synackd", "synackctl"} and re.search(r"\bnftables\b", install),
         "synackd, synackctl and nftables (pod-net.sh's nft) are installed")
entry = json.loads([rest for w, rest in final if w == "ENTRYPOINT"][-1])
st.check(entry == ["synackd", "--foreground"], f"ENTRYPOINT {entry}")
st.check("--foreground" in st.run([SYNACKD, "--help"]).stdout, "synackd takes --foreground")

# what debian/ builds: the packages named, with the programs the image runs
control = os.path.join(SRC, "debian", "control")
if os.path.exists(control):
    pkgs = set(re.findall(r"^Package:\s*(\S+)", read(control), re.M))
    for p in debs:
        st.check(p in pkgs, f"debian/control builds {p}")
    for p, f in (("synackd", "usr/sbin/synackd"), ("synackctl", "usr/bin/synackctl")):
        inst = os.path.join(SRC, "debian", f"{p}.install")
        st.check(os.path.exists(inst) and f in read(inst).split(),
                 f"debian/{p}.install installs /{f}")
else:
    print("note: no debian/ in this tree: the package names are not checked")

# the same build command and image everywhere
build_cmd = f"build -t {IMAGE} -f Containerfile ."
for where in (CONTAINERFILE, MANIFEST, os.path.join(SRC, "systemd", "README.md")):
    st.check(build_cmd in read(where),
             f"{os.path.relpath(where, SRC)} shows `podman {build_cmd}`")

# the copied tree configures as debian/rules configures it (-Dtests=false)
meson = shutil.which("meson")
if meson:
    with tempfile.TemporaryDirectory(prefix="synack-pod-ctx-") as d:
        for c in copied:
            s, t = os.path.join(SRC, c), os.path.join(d, c)
            os.makedirs(os.path.dirname(t), exist_ok=True)
            if os.path.isdir(s) and not os.path.islink(s):
                shutil.copytree(s, t, symlinks=True, dirs_exist_ok=True)
            else:
                shutil.copy2(s, t, follow_symlinks=False)
        r = st.run([meson, "setup", "--prefix=/usr", "-Dtests=false", os.path.join(d, "obj"), d],
                   check_rc=False, timeout=60)
        if r.returncode != 0:
            st.fail("the tree the Containerfile copies does not configure:\n"
                    f"{r.stdout[-3000:]}{r.stderr[-3000:]}")
        st.check(True, "the tree the Containerfile copies configures as debian/rules does "
                 "(meson setup --prefix=/usr -Dtests=false)")
else:
    print("note: meson is not on PATH: the copied tree's configuration is not checked")

# ---------------------------------------------------------------- the pod, for real


class PodHarness(st.Harness):
    """The harness's namespace is the pod; the node is a second namespace."""
    node = None

    def cleanup(self):
        super().cleanup()
        if self.node:
            subprocess.run(["ip", "netns", "del", self.node], capture_output=True)
            self.node = None


h = PodHarness("pod-traffic", need_named_netns=True)
for prog, pkg in (("nft", "nftables"), ("curl", "curl"), ("setpriv", "util-linux"),
                  ("unshare", "util-linux")):
    if not st.have(prog):
        st.skip(f"{prog} is not installed (apt-get install {pkg}; .ci/setup installs it)")
r = st.run(["nft", "-f", "-"], check_rc=False, input=(
    "table ip synack_probe {\n"
    " chain pre { type nat hook prerouting priority dstnat; policy accept;\n"
    "  tcp dport 1 dnat to 10.0.0.1\n }\n"
    " chain post { type nat hook postrouting priority srcnat; policy accept;\n"
    "  masquerade\n }\n}\n"))
if r.returncode != 0:
    st.skip(f"this kernel has no nf_tables NAT (dnat, masquerade): {r.stderr.strip()}")
st.run(["nft", "delete", "table", "ip", "synack_probe"])

# the node, and the pod's eth0 as a CNI makes it
h.node = f"sk-pod-node-{os.getpid()}"  # deleted by h.cleanup()
st.run(["ip", "netns", "add", h.node])


def node(*cmd):
    return ["ip", "netns", "exec", h.node] + list(cmd)


st.run(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "node0", "netns", h.node])
st.run(["ip", "addr", "add", f"{POD_IP}/{POD_PREFIX}", "dev", "eth0"])
st.run(["ip", "link", "set", "eth0", "up"])
st.run(["ip", "route", "add", "default", "via", NODE_IP])
st.run(node("ip", "link", "set", "lo", "up"))
st.run(node("ip", "addr", "add", f"{NODE_IP}/{POD_PREFIX}", "dev", "node0"))
st.run(node("ip", "link", "set", "node0", "up"))

# the ConfigMap, mounted: /etc/synack here is cfg/
cfg = os.path.join(h.tmp, "etc-synack")
os.mkdir(cfg, 0o755)
for k, v in CM.items():
    with open(os.path.join(cfg, k), "w") as f:
        f.write(v)
    os.chmod(os.path.join(cfg, k), 0o644)

# a container: its own mount namespace with /proc/sys read-only, only CAP_NET_ADMIN
CAPS = ["setpriv", "--inh-caps=-all", "--bounding-set=-all,+net_admin", "--no-new-privs", "--"]
CONTAINER = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
             'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && '
             'exec "$@"', "sh"] + CAPS
pod_net = CONTAINER + [NET_CMD[0], os.path.join(cfg, os.path.basename(NET_CMD[1]))]


def nat_table():
    return st.run(["nft", "list", "table", "ip", "synack_pod"], check_rc=False)


st.run(["sysctl", "-qw", "net.ipv4.ip_forward=0"])
r = st.run(pod_net, check_rc=False)
st.check(r.returncode != 0 and "securityContext.sysctls" in r.stderr and
         nat_table().returncode != 0,
         f"synack-net refuses while ip_forward is 0 and says why: {r.stderr.strip()}")
st.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])  # what the pod's sysctls do
for n in (1, 2):
    r = st.run(pod_net, check_rc=False)
    st.check(r.returncode == 0, f"synack-net run {n} (CAP_NET_ADMIN, read-only /proc/sys) "
             f"loads pod-nat.nft: {r.stdout.strip()} {r.stderr.strip()}")
table = nat_table().stdout
st.check(table.count("dnat to") == 1 and table.count("masquerade") == 1,
         "run again, it replaces the table (one DNAT rule, one masquerade rule)")


def counter(rule):
    m = re.search(r"counter packets (\d+) bytes \d+ " + rule, nat_table().stdout)
    return int(m.group(1)) if m else -1


# the sidecar: its sockets in a directory like the fsGroup's emptyDir (the group,
# set-group-ID, 0777), synackd as root with CAP_NET_ADMIN only
rundir = os.path.join(h.tmp, "run-synack")
os.mkdir(rundir)
os.chown(rundir, 0, FSGROUP)
os.chmod(rundir, 0o2777)
conf = CM["synackd.yaml"].replace("/run/synack/", rundir + "/")
conf_path = h.write_config(conf, "synackd.yaml")
args = [conf_path if a == "/etc/synack/synackd.yaml" else a for a in SYNACKD_ARGS]
st.check(conf_path in args, f"the sidecar's args name the ConfigMap's file: {SYNACKD_ARGS}")
d = h.start(args=args, prefix=CAPS)
capeff = re.search(r"^CapEff:\s*(\S+)", read(f"/proc/{d.pid}/status"), re.M).group(1)
st.check(int(capeff, 16) == 1 << 12, f"synackd runs with CAP_NET_ADMIN only (CapEff {capeff})")
RPC, CTL = os.path.join(rundir, "synackd.sock"), os.path.join(rundir, "control.sock")
for s in (RPC, CTL):
    sb = os.stat(s)
    st.check(sb.st_gid == FSGROUP and sb.st_mode & 0o777 == 0o660,
             f"{os.path.basename(s)}: group {sb.st_gid} (the fsGroup), mode "
             f"{sb.st_mode & 0o777:04o}")

# copies of the programs every uid may run (the build tree may be private)
bindir = os.path.join(h.tmp, "bin")
os.mkdir(bindir, 0o755)
for env, rel in (("SYNACKCTL", ("ctl", "synackctl")), ("SYNACK_NC", ("lib", "synack-nc")),
                 ("", ("lib", "synack-http")), ("", ("lib", "synack-run")),
                 ("", ("lib", "libsynack-preload.so")), ("", ("lib", "libsynack.so.0"))):
    shutil.copy(tool(env, *rel), os.path.join(bindir, rel[-1]))
    os.chmod(os.path.join(bindir, rel[-1]), 0o755)
BIN = {n: os.path.join(bindir, n) for n in os.listdir(bindir)}
ENV = dict(os.environ, LD_LIBRARY_PATH=bindir, SYNACK_SOCKET=RPC)
APP = ["setpriv", f"--reuid={APP_UID}", f"--regid={APP_GID}", f"--groups={FSGROUP}",
       "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
STRANGER = APP[:3] + ["--clear-groups"] + APP[4:]


def probe(name):
    cmd = [BIN["synackctl"] if a == "synackctl" else a.replace("/run/synack/", rundir + "/")
           for a in PROBES[name]]
    return st.run(CAPS + cmd, check_rc=False, env=ENV, timeout=10)


for name in PROBES:
    r = probe(name)
    st.check(r.returncode == 0 and "is ready" in r.stdout,
             f"the {name} (as the sidecar's root, CAP_NET_ADMIN only) passes: {r.stdout.strip()}")

r = st.run(APP + [BIN["synackctl"], "-s", CTL, "ping"], check_rc=False, env=ENV)
st.check(r.returncode == 0, f"uid {APP_UID} with the fsGroup may read state: {r.stdout.strip()}")
r = st.run(APP + [BIN["synackctl"], "-s", CTL, "set", "msl", "1s"], check_rc=False, env=ENV)
st.check(r.returncode != 0, f"... not change it (admin_group \"\"): {r.stderr.strip()}")
r = st.run(STRANGER + [BIN["synack-nc"], "-d", "-w", "2", NODE_IP, "9"], check_rc=False, env=ENV)
st.check(r.returncode != 0 and "ermission denied" in r.stderr,
         f"uid {APP_UID} without the fsGroup cannot use the app socket: {r.stderr.strip()}")


def wait_file(path, pattern, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(pattern, read(path))
        if m:
            return m
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    st.fail(f"no {pattern!r} in {path} within {timeout}s (exit {proc.poll()}):\n{read(path)}")


def spawn_logged(cmd, name, **kw):
    log = os.path.join(h.tmp, name + ".log")
    with open(log, "w") as f:
        p = h.spawn(cmd, stdout=f, stderr=subprocess.STDOUT, **kw)
    return p, log


def sha(b):
    return hashlib.sha256(b).hexdigest()[:16]


def write_files(d, files):
    """files ({name: bytes}) in a new directory d, readable by every uid."""
    os.mkdir(d, 0o755)
    for n, b in files.items():
        with open(os.path.join(d, n), "wb") as f:
            f.write(b)
        os.chmod(os.path.join(d, n), 0o644)


# ---- ingress: the node -> the pod's IP:8080 -> DNAT -> synack-http as the app
ports = re.search(r"elements = \{ ([\d, ]+) \}", CM["pod-nat.nft"]).group(1)
PORT = int(ports.split(",")[0])
www = os.path.join(h.tmp, "www")
files = {"index.txt": b"served by synack in the pod\n", "blob.bin": os.urandom(1 << 20)}
write_files(www, files)
opens = {}


def stat(name):
    out = st.run([BIN["synackctl"], "-s", CTL, "stats", name], env=ENV).stdout
    m = re.search(rf"^{name}\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else 0


opens["passive"] = stat("TcpPassiveOpens")
http, http_log = spawn_logged(APP + [BIN["synack-http"], "-p", str(PORT), www], "synack-http",
                              env=ENV)
wait_file(http_log, r"serving", http)
for n, b in files.items():
    out = os.path.join(h.tmp, "got-" + n)
    r = st.run(node("curl", "-sS", "--max-time", "20", "-o", out,
                    f"http://{POD_IP}:{PORT}/{n}"), check_rc=False, timeout=30)
    got = open(out, "rb").read() if os.path.exists(out) else b""
    st.check(r.returncode == 0 and got == b,
             f"ingress: curl in the node gets {n} ({len(b)} bytes, sha256 {sha(b)}) from "
             f"http://{POD_IP}:{PORT}/ {r.stderr.strip()}")
st.check(stat("TcpPassiveOpens") - opens["passive"] >= len(files),
         "... accepted by synack (TcpPassiveOpens)")
st.check(counter("dnat to") >= len(files), f"... through the DNAT rule ({counter('dnat to')} "
         "packets counted: the first of each connection)")
http.terminate()
http.wait(5)

# the client's address reaches synack unchanged
nc, nc_log = spawn_logged(APP + [BIN["synack-nc"], "-l", "-d", "-v", str(PORT)], "synack-nc-l",
                          env=ENV)
wait_file(nc_log, r"listening on", nc)
client = ("import socket\n"
          f"s = socket.create_connection(('{POD_IP}', {PORT}), timeout=10)\n"
          "s.sendall(b'hello from the node\\n')\n"
          "s.shutdown(socket.SHUT_WR)\n"
          "while s.recv(4096):\n"
          "    pass\n")
st.run(node(sys.executable, "-c", client), timeout=20)
try:
    nc.wait(10)
except subprocess.TimeoutExpired:
    st.fail(f"synack-nc -l did not end:\n{read(nc_log)}")
log = read(nc_log)
st.check("hello from the node" in log and f"connection from {NODE_IP}:" in log,
         f"ingress: synack sees the node's address ({NODE_IP}), not a NATed one")

# ---- egress: curl under synack-run as the app -> synack -> the TAP's kernel side
# -> masquerade -> eth0 -> the node's server
srv_dir = os.path.join(h.tmp, "node-www")
egress = {"egress.txt": b"served by the node\n", "big.bin": os.urandom(1 << 20)}
write_files(srv_dir, egress)
srv, srv_log = spawn_logged(node(sys.executable, "-u", "-m", "http.server", str(EGRESS_PORT),
                                 "--bind", NODE_IP, "--directory", srv_dir), "node-http",
                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
deadline = time.monotonic() + 10
while not st.run(node("ss", "-ltnH", f"sport = :{EGRESS_PORT}")).stdout.strip():
    if time.monotonic() > deadline or srv.poll() is not None:
        st.fail(f"the node's server did not listen:\n{read(srv_log)}")
    time.sleep(0.05)
opens["active"] = stat("TcpActiveOpens")
masq = counter("masquerade")
for n, b in egress.items():
    r = subprocess.run(APP + [BIN["synack-run"], "--others", "refuse", "--", "curl", "-sS",
                              "--max-time", "20", f"http://{NODE_IP}:{EGRESS_PORT}/{n}"],
                       capture_output=True, timeout=30, env=ENV)
    st.check(r.returncode == 0 and r.stdout == b,
             f"egress: curl under synack-run (uid {APP_UID}) gets {n} ({len(b)} bytes, sha256 "
             f"{sha(b)}) from the node {r.stderr.decode(errors='replace').strip()}")
st.check(stat("TcpActiveOpens") - opens["active"] == len(egress),
         "... on synack's TCP (TcpActiveOpens)")
seen = re.findall(r'^(\S+) - - \[[^]]*\] "GET /(\S+) ', read(srv_log), re.M)
st.check(sorted(seen) == sorted((POD_IP, n) for n in egress),
         f"egress: the node's server saw the pod's IP as the source: {seen}")
st.check(counter("masquerade") - masq == len(egress),
         f"... through the masquerade rule ({counter('masquerade')} connections counted)")

# still live, as the liveness probe sees it; then stopped as the kubelet stops it
r = probe("livenessProbe")
st.check(r.returncode == 0, "the livenessProbe passes after the traffic")
st.check(d.stop() == 0, "synackd stops on SIGTERM with exit 0")
r = probe("livenessProbe")
st.check(r.returncode != 0, f"... and then the probe fails: {r.stderr.strip()}")
