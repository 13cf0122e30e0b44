#!/bin/sh
# SPDX-License-Identifier: MIT
# test-deb.sh SOURCE_DIR - issue 13: the Debian packages. From a copy of the
# source tree (what git tracks, plus what is not ignored), dpkg-buildpackage
# -b -us -uc builds synackd, synackctl, libsynack0, libsynack-dev and
# synack-tools; lintian reports no error and no warning; each package,
# unpacked into a scratch root, has the files it should, and they work
# there: the programs print their versions, a program built against the
# -dev package's header and pkg-config file links and runs, the unit starts
# the packaged daemon with the packaged configuration, and every program has
# its manual page.
set -eu
src=$1
for tool in dpkg-buildpackage dh lintian; do
	command -v "$tool" >/dev/null ||
		{ echo "SKIP: $tool not installed (.ci/setup installs debhelper, lintian)"; exit 77; }
done
tmp=$(mktemp -d /tmp/synack-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP # dash runs the EXIT trap only on exit
fail() { echo "FAIL: $*" >&2; exit 1; }

# the source as a fresh clone has it: no build directories, no stale objects
mkdir "$tmp/synack"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$src" ls-files -co --exclude-standard -z | (cd "$src" && tar --null -T - -cf -) |
		tar -xf - -C "$tmp/synack"
else
	(cd "$src" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$tmp/synack"
fi
(cd "$tmp/synack" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
	dpkg-buildpackage -b -us -uc > "$tmp/build.log" 2>&1) ||
	{ tail -30 "$tmp/build.log"; fail "dpkg-buildpackage -b -us -uc failed"; }
for p in synackd synackctl libsynack0 libsynack-dev synack-tools; do
	[ -f "$tmp/${p}_"*"_$(dpkg --print-architecture).deb" ] 2>/dev/null ||
		ls "$tmp/${p}_"*.deb >/dev/null 2>&1 || fail "no $p package built"
done
# a symbol added to lib/libsynack.sym goes into debian/libsynack0.symbols too
if grep -q 'dpkg-gensymbols: warning' "$tmp/build.log"; then
	sed -n '/dpkg-gensymbols: warning/,/^ dh_/p' "$tmp/build.log" | head -30
	fail "debian/libsynack0.symbols does not match the library's symbols"
fi
echo "ok: dpkg-buildpackage -b -us -uc built: $(cd "$tmp" && ls ./*.deb | grep -v dbgsym | tr '\n' ' ')"

lintian --fail-on error,warning "$tmp"/*.changes > "$tmp/lintian.log" 2>&1 ||
	{ grep -v '^N:' "$tmp/lintian.log"; fail "lintian reports errors or warnings"; }
echo "ok: lintian: no error, no warning"

root=$tmp/root
for d in "$tmp"/*.deb; do
	case $d in *-dbgsym_*) continue ;; esac
	dpkg-deb -x "$d" "$root"
done
has() { [ -e "$root/$1" ] || fail "no /$1 in the packages"; }
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in usr/sbin/synackd etc/synack/synackd.yaml lib/systemd/system/synackd.service \
	lib/systemd/system/synackd.socket lib/systemd/system/synackd-control.socket \
	usr/lib/sysusers.d/synack.conf usr/lib/tmpfiles.d/synack.conf usr/bin/synackctl \
	usr/share/bash-completion/completions/synackctl "usr/lib/$multiarch/libsynack.so.0" \
	usr/include/synack.h "usr/lib/$multiarch/libsynack.so" \
	"usr/lib/$multiarch/pkgconfig/libsynack.pc" usr/bin/synack-nc usr/bin/synack-run \
	"usr/lib/$multiarch/synack/libsynack-preload.so"; do
	has "$f"
done
# the conffile, and the postinst that makes the synack user before /run/synack
dpkg-deb -e "$tmp"/synackd_*.deb "$tmp/ctl"
grep -qx /etc/synack/synackd.yaml "$tmp/ctl/conffiles" || fail "synackd.yaml is not a conffile"
grep -q 'systemd-sysusers' "$tmp/ctl/postinst" || fail "postinst does not create the users"
echo "ok: the files are where they belong; synackd.yaml is a conffile; postinst runs systemd-sysusers"

# each program has its manual page, and it renders
for prog in $(cd "$root" && ls usr/bin/* usr/sbin/* | xargs -n1 basename); do
	page=$(find "$root/usr/share/man" -name "$prog.[18].gz" 2>/dev/null | head -1)
	[ -n "$page" ] || fail "no manual page for $prog"
done
for page in "$root"/usr/share/man/man*/*.gz; do
	w=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "man -l $page failed"
	[ -z "$w" ] || fail "man -l $page: $w"
done
echo "ok: every program has a manual page; $(ls "$root"/usr/share/man/man*/*.gz | wc -l) pages render without warnings"

# they run from the scratch root
export LD_LIBRARY_PATH="$root/usr/lib/$multiarch"
"$root/usr/sbin/synackd" --version | grep -q synackd || fail "synackd --version"
"$root/usr/bin/synackctl" --version | grep -q synackctl || fail "synackctl --version"
"$root/usr/bin/synack-nc" --help > /dev/null || fail "synack-nc --help"
"$root/usr/sbin/synackd" --check-config "$root/etc/synack/synackd.yaml" > "$tmp/check.log" 2>&1 ||
	fail "synackd --check-config on the packaged synackd.yaml: $(cat "$tmp/check.log")"
grep -q '^ExecStart=/usr/sbin/synackd' "$root/lib/systemd/system/synackd.service" ||
	fail "the unit does not start /usr/sbin/synackd"
grep -q '/etc/synack/synackd.yaml' "$root/lib/systemd/system/synackd.service" ||
	fail "the unit does not read /etc/synack/synackd.yaml"
grep -q "/usr/lib/$multiarch/synack/libsynack-preload.so" "$root/usr/bin/synack-run" ||
	fail "synack-run does not load the packaged module"
cat > "$tmp/app.c" <<'C'
#include <stdio.h>
#include <synack.h>
int main(void)
{
	struct synack *s;
	int r = synack_open("/nonexistent/synackd.sock", "deb-test", &s);
	printf("%s\n", synack_strerror(r));
	return r < 0 ? 0 : 1;
}
C
cflags=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR="$root/usr/lib/$multiarch/pkgconfig" \
	pkg-config --cflags --libs libsynack)
# shellcheck disable=SC2086
cc -o "$tmp/app" "$tmp/app.c" $cflags || fail "a program against libsynack-dev does not build"
"$tmp/app" > "$tmp/app.out" || fail "the program linked against libsynack0 failed"
echo "ok: synackd, synackctl and synack-nc run from the packages; the packaged config checks;" \
	"a program built with pkg-config libsynack runs ($(cat "$tmp/app.out"))"
