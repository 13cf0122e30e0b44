#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install-prefix.sh SOURCE_DIR - issue 13: `meson install --prefix=P`
# writes nothing outside P (units, sysusers.d and tmpfiles.d snippets, the
# configuration included), and with --prefix=/usr the units go where
# systemd.pc says and the configuration to /etc/synack, as the docs say.
# Configures throw-away build directories (no compiling): `meson introspect
# --installed` lists every file install would write.
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

installed() # BUILDDIR: the destinations, one per line
{
	meson introspect "$1" --installed |
		python3 -c 'import json, sys; print("\n".join(sorted(set(json.load(sys.stdin).values()))))'
}

meson setup "$tmp/opt" "$src" --prefix=/opt/synack-test -Dtests=false > "$tmp/opt.log" 2>&1 ||
	fail "meson setup --prefix=/opt/synack-test: $(tail -5 "$tmp/opt.log")"
installed "$tmp/opt" > "$tmp/opt.list"
[ -s "$tmp/opt.list" ] || fail "meson introspect --installed listed nothing"
outside=$(grep -v '^/opt/synack-test/' "$tmp/opt.list" || true)
[ -z "$outside" ] || fail "--prefix=/opt/synack-test installs outside it: $outside"
for f in lib/systemd/system/synackd.service lib/sysusers.d/synack.conf \
	lib/tmpfiles.d/synack.conf etc/synack/synackd.yaml sbin/synackd; do
	grep -qx "/opt/synack-test/$f" "$tmp/opt.list" || fail "no /opt/synack-test/$f"
done
echo "ok: --prefix=/opt/synack-test: $(wc -l < "$tmp/opt.list") files, all under it"

meson setup "$tmp/usr" "$src" --prefix=/usr -Dtests=false > "$tmp/usr.log" 2>&1 ||
	fail "meson setup --prefix=/usr: $(tail -5 "$tmp/usr.log")"
installed "$tmp/usr" > "$tmp/usr.list"
grep -qx /etc/synack/synackd.yaml "$tmp/usr.list" || fail "--prefix=/usr: no /etc/synack/synackd.yaml"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /usr/lib/systemd/system)
grep -qx "$unitdir/synackd.service" "$tmp/usr.list" || fail "--prefix=/usr: no $unitdir/synackd.service"
echo "ok: --prefix=/usr: units in $unitdir, the configuration in /etc/synack"
