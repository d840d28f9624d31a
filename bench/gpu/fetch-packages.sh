#!/usr/bin/env bash
# Step 1 of the GPU check (bench/gpu/check.sh unpacks and builds with them
# there; doc/install.md): downloads, on a Debian 12 machine with network,
# the Debian packages a GPU machine without MPI, HDF5, FFTW, Boost, Kokkos
# or GoogleTest needs to build and run flex, into the ignored folder
# .gpu-debs/ (carried to that machine with the checkout: 64 MiB for both
# together). The list is the dependency closure of the -dev packages
# scripts/install-deps.sh installs, less what any machine with a C++
# compiler has (libc, libstdc++, GCC, binutils, perl, python), less LibTorch
# (the GPU machine's own, CUDA), and less what neither the build nor a
# single-node run loads (found with readelf: hwloc's X11/OpenCL/libxml2
# plugins and their ICU, HDF5's Fortran libraries, ssh and passwd, libjpeg;
# Open MPI runs on one node with plm=isolated: no ssh).
#   bash bench/gpu/fetch-packages.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-debs
limit_mib=64
packages=(
  googletest openmpi-common ibverbs-providers libaec-dev libaec0
  libboost-program-options-dev libboost-program-options1.74-dev
  libboost-program-options1.74.0 libboost1.74-dev libbrotli1 libbz2-1.0
  libcap-ng0 libcom-err2 libcurl4 libevent-2.1-7 libevent-core-2.1-7
  libevent-dev libevent-extra-2.1-7 libevent-openssl-2.1-7
  libevent-pthreads-2.1-7 libfabric1 libffi8 libfftw3-bin libfftw3-dev
  libfftw3-double3 libfftw3-long3 libfftw3-mpi-dev libfftw3-mpi3
  libfftw3-quad3 libfftw3-single3 libgmp10 libgnutls30 libgssapi-krb5-2
  libgtest-dev libhdf5-openmpi-103-1 libhdf5-openmpi-cpp-103-1
  libhdf5-openmpi-dev libhdf5-openmpi-hl-100 libhdf5-openmpi-hl-cpp-100
  libhogweed6 libhwloc-dev libhwloc15 libibverbs-dev libibverbs1 libidn2-0
  libk5crypto3 libkeyutils1 libkrb5-3 libkrb5support0 libldap-2.5-0 liblzma5
  libmunge2 libnettle8 libnghttp2-14 libnl-3-200 libnl-3-dev
  libnl-route-3-200 libnl-route-3-dev libnuma-dev libnuma1 libopenmpi-dev
  libopenmpi3 libp11-kit0 libpciaccess0 libpmix-dev libpmix2 libpsl5
  libpsm-infinipath1 libpsm2-2 librdmacm1 librtmp1 libsasl2-2
  libsasl2-modules-db libssh2-1 libssl3 libsz2 libtasn1-6
  libtrilinos-kokkos-13.2 libtrilinos-kokkos-dev libucx0 libudev1
  libunistring2 libuuid1 libzstd1 nlohmann-json3-dev openmpi-bin trilinos-dev
  zlib1g-dev
)
rm -rf "$dest"
mkdir -p "$dest"
sandbox=()
[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)  # root downloads into a folder _apt cannot write
(cd "$dest" && apt-get download -q "${sandbox[@]}" "${packages[@]}" >/dev/null)
total=$(du -cb "$dest"/*.deb | tail -1 | cut -f1)
mib=$(( (total + 1048575) / 1048576 ))
# What travels beside it: the tracked and untracked-not-ignored files.
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
tree_mib=$(( (tree + 1048575) / 1048576 ))
echo "fetch-packages: $(ls "$dest"/*.deb | wc -l) packages, $mib MiB in $dest/ (with the checkout's $tree_mib MiB: $((mib + tree_mib)) MiB)"
if [ $((mib + tree_mib)) -gt "$limit_mib" ]; then
  echo "fetch-packages: more than the $limit_mib MiB a device run carries" >&2
  exit 1
fi
