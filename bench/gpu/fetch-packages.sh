#!/usr/bin/env bash
# Step 1 of the GPU check (issue 14; bench/gpu/check.sh, which unpacks and
# builds with them there, is still to come): downloads, on a Debian 12 machine with
# network, the Debian packages a GPU machine without MPI, HDF5, FFTW, Boost,
# Kokkos or GoogleTest needs to build and run flex, into the ignored folder
# .gpu-debs/ (carried to that machine; at most 64 MiB). The list is the
# dependency closure of the -dev packages scripts/install-deps.sh installs,
# less what any machine with a C++ compiler has (libc, libstdc++, GCC,
# binutils, perl, python) and less LibTorch (the GPU machine's own, CUDA).
#   bash bench/gpu/fetch-packages.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.gpu-debs
limit_mib=64
packages=(
  adduser googletest ibverbs-providers libaec-dev libaec0 libaudit-common 
  libaudit1 libboost-program-options-dev libboost-program-options1.74-dev 
  libboost-program-options1.74.0 libboost1.74-dev libbrotli1 libbsd0 
  libbz2-1.0 libcap-ng0 libcbor0.8 libcom-err2 libcurl4 libdb5.3 libedit2 
  libevent-2.1-7 libevent-core-2.1-7 libevent-dev libevent-extra-2.1-7 
  libevent-openssl-2.1-7 libevent-pthreads-2.1-7 libfabric1 libffi8 
  libfftw3-bin libfftw3-dev libfftw3-double3 libfftw3-long3 libfftw3-mpi-dev 
  libfftw3-mpi3 libfftw3-quad3 libfftw3-single3 libfido2-1 libgfortran5 
  libgmp10 libgnutls30 libgssapi-krb5-2 libgtest-dev libhdf5-openmpi-103-1 
  libhdf5-openmpi-cpp-103-1 libhdf5-openmpi-dev libhdf5-openmpi-fortran-102 
  libhdf5-openmpi-hl-100 libhdf5-openmpi-hl-cpp-100 
  libhdf5-openmpi-hl-fortran-100 libhogweed6 libhwloc-dev libhwloc-plugins 
  libhwloc15 libibverbs-dev libibverbs1 libicu72 libidn2-0 libjpeg-dev 
  libjpeg62-turbo libjpeg62-turbo-dev libk5crypto3 libkeyutils1 libkrb5-3 
  libkrb5support0 libldap-2.5-0 libltdl-dev libltdl7 liblzma5 libmd0 
  libmunge2 libnettle8 libnghttp2-14 libnl-3-200 libnl-3-dev 
  libnl-route-3-200 libnl-route-3-dev libnuma-dev libnuma1 libopenmpi-dev 
  libopenmpi3 libp11-kit0 libpam-modules libpam0g libpciaccess0 libpmix-dev 
  libpmix2 libpsl5 libpsm-infinipath1 libpsm2-2 librdmacm1 librtmp1 
  libsasl2-2 libsasl2-modules-db libsemanage-common libsemanage2 libsepol2 
  libssh2-1 libssl3 libsz2 libtasn1-6 libtrilinos-kokkos-13.2 
  libtrilinos-kokkos-dev libucx0 libudev1 libunistring2 libuuid1 libx11-6 
  libx11-data libxau6 libxcb1 libxdmcp6 libxext6 libxml2 libxnvctrl0 libzstd1 
  nlohmann-json3-dev ocl-icd-libopencl1 openmpi-bin openssh-client passwd 
  trilinos-dev zlib1g-dev 
)
mkdir -p "$dest"
sandbox=()
[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)  # root downloads into a folder _apt cannot write
(cd "$dest" && apt-get download -q "${sandbox[@]}" "${packages[@]}" >/dev/null)
total=$(du -cb "$dest"/*.deb | tail -1 | cut -f1)
mib=$(( (total + 1048575) / 1048576 ))
echo "fetch-packages: $(ls "$dest"/*.deb | wc -l) packages, $mib MiB in $dest/"
if [ "$mib" -gt "$limit_mib" ]; then
  echo "fetch-packages: more than the $limit_mib MiB a device run carries" >&2
  exit 1
fi
