#!/usr/bin/env bash
# Builds flex and runs its whole test suite on Debian 13 ("trixie": LibTorch
# 2.6, Open MPI 5.0, HDF5 1.14, Boost 1.83) in a debootstrap chroot, through
# the project's own install script and the README test command, as a user of
# that release would. The chroot stays in the ignored folder .debian13/ of
# this checkout (a later run reuses it and rebuilds only what changed); the
# log is .debian13.log. Needs root (debootstrap, chroot, mounts).
# Not part of .ci/run: the first run takes about an hour on 2 cores.
#   bash scripts/test-debian13.sh            # set up if needed, build, test
#   FLEX_DEBIAN13_MIRROR=http://... bash scripts/test-debian13.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
root=${FLEX_DEBIAN13_ROOT:-$repo/.debian13}
mirror=${FLEX_DEBIAN13_MIRROR:-http://deb.debian.org/debian}
log=$root.log
say() { echo "test-debian13: $*"; }

[ "$(id -u)" -eq 0 ] || { say "needs root (debootstrap, chroot and mounts); run it with sudo"; exit 1; }
if ! command -v debootstrap >/dev/null; then
  say "installing Debian's debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
fi

if [ ! -f "$root/etc/debian_version" ]; then
  say "creating the Debian 13 chroot in $root (from $mirror)"
  rm -rf "$root.partial"
  debootstrap --variant=minbase trixie "$root.partial" "$mirror" >"$root.debootstrap.log" 2>&1 ||
    { say "debootstrap failed; see $root.debootstrap.log"; exit 1; }
  mv "$root.partial" "$root"
fi
say "chroot: Debian $(cat "$root/etc/debian_version")"

# The checkout as a clone would have it (tracked and untracked, not ignored
# files); mtimes kept, so the chroot's build directory rebuilds only changes.
rm -rf "$root/src/flex"
mkdir -p "$root/src/flex"
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf - | tar -xf - -C "$root/src/flex"
cp /etc/resolv.conf "$root/etc/resolv.conf"

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
mount_in() {
  local what=$1 where=$2
  mkdir -p "$root$where"
  if ! mountpoint -q "$root$where"; then
    case $what in
      proc) mount -t proc proc "$root$where" ;;
      *) mount --rbind "$what" "$root$where" ;;
    esac
    mounted+=("$root$where")
  fi
}
mount_in proc /proc
mount_in /sys /sys
mount_in /dev /dev

say "running scripts/test.sh inside the chroot (log: $log)"
set +e
chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  FLEX_BUILD_DIR=/src/build bash -c 'cd /src/flex && bash scripts/test.sh' >"$log" 2>&1
rc=$?
set -e
versions=$(chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' libtorch-dev libopenmpi-dev \
  libhdf5-openmpi-dev libboost-program-options-dev libtrilinos-kokkos-dev 2>/dev/null | tr '\n' ';')
say "packages: ${versions%;}"
grep -E "tests passed|tests failed" "$log" | tail -1 | sed 's/^/test-debian13: /'
if [ $rc -eq 0 ]; then
  say "passed on Debian $(cat "$root/etc/debian_version")"
else
  grep -E "^\s+[0-9]+ - .*\((Failed|Timeout|Not Run|SEGFAULT|Subprocess aborted)\)" "$log" | sed 's/^/test-debian13: failed: /' || true
  say "FAILED (exit $rc); the last lines of $log:"
  tail -20 "$log"
fi
exit $rc
