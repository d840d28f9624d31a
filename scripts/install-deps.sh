#!/usr/bin/env bash
# Installs everything flex builds and runs with, from Debian 12 packages only.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libtrilinos-kokkos-dev
  libboost-program-options-dev
  libfftw3-dev libfftw3-mpi-dev
  libgtest-dev googletest
  nlohmann-json3-dev
  python3-matplotlib python3-h5py
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# LibTorch calls whatever libblas.so.3 is selected; the default reference BLAS is slow.
$sudo update-alternatives --set libblas.so.3-x86_64-linux-gnu \
  /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3 >/dev/null
echo "install-deps: done (BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3))"
