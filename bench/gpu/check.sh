#!/usr/bin/env bash
# The first run of flex on a GPU machine, as one prepared command (issue 14).
# The machine has no internet and none of MPI, HDF5, FFTW, Boost, Kokkos or
# GoogleTest; it has a C++ compiler, CUDA's nvcc and Python with a CUDA
# PyTorch (its LibTorch and the NCCL of its nvidia-nccl wheel are used). The
# Debian 12 packages flex needs come along in .gpu-debs/ (made on a machine
# with network by bench/gpu/fetch-packages.sh). Stages:
#   unpack  the packages into a prefix, their absolute /usr paths made relative to it
#   build   flex against that prefix and the Python PyTorch's LibTorch, CUDA on
#   run     the tests labelled cuda (NCCL communicator, the network on the GPU
#           against the CPU, `flex train` with run.device=cuda), bench_gpu_check
#           (NCCL all-reduce; FLEX-S training step and 2-step sampling at 256²
#           in fp32 and bf16: time, memory, GFLOP/s) and a 2048² SR inference
#           (`flex dns` -> `flex train` -> `flex infer` on the GPU)
# Each check prints one "gpu-check:" summary line; they are gathered at the
# end, and into $OUT/gpu-check-summary.txt when $OUT is set (the device tool).
#   bash bench/gpu/check.sh [--stage unpack|build|run|all] [--jobs N]
#   bash bench/gpu/check.sh --dry-run   # no GPU: Debian's CPU LibTorch, CUDA off,
#                                       # the same stages at a small size on the CPU
# Environment: FLEX_GPU_WORK (default /tmp/flex-gpu) holds the prefix, the
# build and the run outputs; FLEX_GPU_TORCH_PREFIX overrides where LibTorch's
# CMake package is (default: the Python torch's cmake_prefix_path).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
stage=all
dry=0
jobs=$(nproc)
while [ $# -gt 0 ]; do
  case $1 in
    --stage) stage=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    *) echo "check.sh: unknown argument '$1' (--stage unpack|build|run|all, --jobs N, --dry-run)" >&2; exit 2 ;;
  esac
done
case $stage in unpack|build|run|all) ;; *) echo "check.sh: --stage must be unpack, build, run or all, not '$stage'" >&2; exit 2 ;; esac

work=${FLEX_GPU_WORK:-/tmp/flex-gpu}
prefix=$work/prefix
build=$work/build
runs=$work/runs
ma=x86_64-linux-gnu
usr=$prefix/usr
summary=$work/summary.txt
mkdir -p "$work"

say() { echo "gpu-check: $*" | tee -a "$summary"; }
die() { say "$*"; exit 1; }
# run_step NAME LOG COMMAND...: the command's output to LOG; on failure its
# last lines on the terminal and a FAIL summary line.
run_step() {
  local name=$1 log=$2 t0 rc=0
  shift 2
  t0=$(date +%s)
  "$@" >"$log" 2>&1 || rc=$?
  local dt=$(( $(date +%s) - t0 ))
  if [ $rc -ne 0 ]; then
    tail -n 25 "$log" >&2
    say "$name FAIL (exit $rc after $dt s; log $log)"
    return $rc
  fi
  say "$name ok ($dt s; log $log)"
}

# --- unpack ------------------------------------------------------------------
unpack_one() {  # DEB: its files into the prefix (dpkg-deb, or ar + tar where there is no dpkg)
  if command -v dpkg-deb >/dev/null; then
    dpkg-deb -x "$1" "$prefix"
    return
  fi
  local member
  member=$(ar t "$1" | grep '^data\.tar')
  case $member in
    *.xz) ar p "$1" "$member" | tar -xJ -C "$prefix" ;;
    *.zst) ar p "$1" "$member" | tar --zstd -x -C "$prefix" ;;
    *.gz) ar p "$1" "$member" | tar -xz -C "$prefix" ;;
    *) ar p "$1" "$member" | tar -x -C "$prefix" ;;
  esac
}

# Absolute /usr/... paths in the CMake packages and pkg-config files (Kokkos
# names /usr/bin/mpicxx and /usr/include/trilinos) point into the prefix,
# each only where the prefix has that file: the others are the system's own
# (/usr/lib/x86_64-linux-gnu/libdl.a of libc). A rewritten path is preceded by
# the prefix, not by a separator, so a second pass leaves it alone.
relocate_paths() {
  local file path re sep='[^A-Za-z0-9_.+/-]'
  while IFS= read -r file; do
    while IFS= read -r path; do
      [ -e "$prefix$path" ] || continue
      re=$(printf '%s' "$path" | sed 's/[.+]/\\&/g')
      # Twice: neighbouring paths share the separator between them.
      sed -i -E "s#(^|$sep)$re($sep|\$)#\\1$prefix$path\\2#g; s#(^|$sep)$re($sep|\$)#\\1$prefix$path\\2#g" "$file"
    done < <(grep -oE "(^|$sep)/usr/[A-Za-z0-9_.+/-]*" "$file" | sed -E 's#^[^/]##' | sort -u)
  done < <(grep -rlI --include='*.cmake' --include='*.pc' -e '/usr/' "$usr" 2>/dev/null)
}

unpack() {
  shopt -s nullglob
  local debs=("$src"/.gpu-debs/*.deb)
  shopt -u nullglob
  [ ${#debs[@]} -gt 0 ] || die "unpack FAIL: no packages in .gpu-debs/ (run bash bench/gpu/fetch-packages.sh on a machine with network, and carry .gpu-debs/)"
  local want
  want=$(cd "$src/.gpu-debs" && ls ./*.deb | md5sum | cut -d' ' -f1)
  if [ "$(cat "$prefix/.unpacked" 2>/dev/null)" = "$want" ]; then
    say "unpack ok (${#debs[@]} packages already in $prefix)"
    return
  fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  local deb
  for deb in "${debs[@]}"; do unpack_one "$deb"; done
  # Links that name an absolute path (libfoo.so -> /usr/lib/...) point into the prefix.
  local link target
  while IFS= read -r link; do
    target=$(readlink "$link")
    case $target in /*) ln -sfn "$prefix$target" "$link" ;; esac
  done < <(find "$prefix" -type l)
  # The Debian alternatives a postinst would have made (not run here).
  ln -sfn mpiexec.openmpi "$usr/bin/mpiexec" 2>/dev/null || true
  ln -sfn "$usr/lib/$ma/openmpi/lib/libmpi.so" "$usr/lib/$ma/libmpi.so" 2>/dev/null || true
  relocate_paths
  echo "$want" >"$prefix/.unpacked"
  say "unpack ok (${#debs[@]} packages, $(du -sm "$prefix" | cut -f1) MiB in $prefix)"
}

# The unpacked Open MPI, HDF5 and friends at run time: libraries, Open MPI's
# relocated installation (OPAL_PREFIX: orted, components, help files) and
# PMIx's (its components).
use_prefix() {
  export PATH=$usr/bin:$PATH
  export LD_LIBRARY_PATH=$usr/lib/$ma:$prefix/lib/$ma:$usr/lib/$ma/openmpi/lib:$usr/lib/$ma/hdf5/openmpi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  export OPAL_PREFIX=$usr
  export OPAL_LIBDIR=$usr/lib/$ma/openmpi/lib
  export PMIX_INSTALL_PREFIX=$usr
  export PMIX_MCA_mca_base_component_path=$usr/lib/$ma/pmix2/lib/pmix
  export OMPI_MCA_rmaps_base_oversubscribe=1
  export OMPI_MCA_plm=isolated  # one node: daemons are forked, no ssh/rsh agent needed
  [ "$(id -u)" -ne 0 ] || export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
}

# --- build -------------------------------------------------------------------
torch_prefix() {
  if [ -n "${FLEX_GPU_TORCH_PREFIX:-}" ]; then
    echo "$FLEX_GPU_TORCH_PREFIX"
  elif [ $dry -eq 1 ]; then
    echo ""  # Debian's libtorch-dev, in the default search path
  else
    python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'
  fi
}

# The NCCL of the Python PyTorch's nvidia-nccl wheel, laid out as NCCL_HOME
# (include/nccl.h, lib/libnccl.so): the one LibTorch itself loads.
nccl_home() {
  local site lib header
  site=$(python3 -c 'import torch, os; print(os.path.dirname(os.path.dirname(torch.__file__)))')
  lib=$(find "$site/nvidia" -name 'libnccl.so*' 2>/dev/null | sort | head -n 1)
  header=$(find "$site/nvidia" -name nccl.h 2>/dev/null | head -n 1)
  [ -n "$lib" ] && [ -n "$header" ] || return 0
  mkdir -p "$work/nccl/lib"
  ln -sfn "$lib" "$work/nccl/lib/libnccl.so"
  ln -sfn "$(dirname "$header")" "$work/nccl/include"
  echo "$work/nccl"
}

configure_and_build() {
  local torch cuda=ON generator=() args=()
  torch=$(torch_prefix) || die "build FAIL: no Python torch to take LibTorch from (set FLEX_GPU_TORCH_PREFIX)"
  if [ $dry -eq 1 ]; then
    cuda=OFF
  else
    local nvcc home
    nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
    [ -x "$nvcc" ] || die "build FAIL: no nvcc (CUDA Toolkit) on PATH or in /usr/local/cuda"
    args+=(-DCUDAToolkit_ROOT="$(dirname "$(dirname "$(readlink -f "$nvcc")")")")
    home=$(nccl_home)
    if [ -n "$home" ]; then export NCCL_HOME=$home; fi
  fi
  ! command -v ninja >/dev/null || generator=(-G Ninja)
  # FindMPI without a compiler wrapper (none is installed): headers and libraries
  # named (Open MPI's mpi.h declares its C++ bindings: libmpi_cxx).
  args+=(-DMPI_SKIP_COMPILER_WRAPPER=ON
         -DMPI_C_HEADER_DIR="$usr/lib/$ma/openmpi/include" -DMPI_CXX_HEADER_DIR="$usr/lib/$ma/openmpi/include"
         -DMPI_C_LIB_NAMES=mpi -DMPI_CXX_LIB_NAMES="mpi_cxx;mpi"
         -DMPI_mpi_LIBRARY="$usr/lib/$ma/openmpi/lib/libmpi.so"
         -DMPI_mpi_cxx_LIBRARY="$usr/lib/$ma/openmpi/lib/libmpi_cxx.so"
         -DMPIEXEC_EXECUTABLE="$usr/bin/mpiexec.openmpi"
         # FindHDF5 without h5pcc: the parallel build's header folder and library.
         -DHDF5_C_INCLUDE_DIR="$usr/include/hdf5/openmpi"
         -DHDF5_hdf5_LIBRARY_RELEASE="$usr/lib/$ma/hdf5/openmpi/libhdf5.so"
         -DCMAKE_PREFIX_PATH="${torch:+$torch;}$usr"
         -DCMAKE_BUILD_TYPE=Release -DFLEX_ENABLE_CUDA=$cuda)
  run_step configure "$work/configure.log" cmake -S "$src" -B "$build" "${generator[@]}" "${args[@]}" || exit 1
  grep -E "^-- flex: CUDA paths" "$work/configure.log" | sed 's/^-- /gpu-check: configure: /' | tee -a "$summary"
  if [ $dry -eq 0 ] && ! grep -q "CUDA paths ON, NCCL ON, LibTorch with CUDA ON" "$work/configure.log"; then
    die "build FAIL: configure did not find CUDA, NCCL and a CUDA LibTorch (see $work/configure.log)"
  fi
  run_step build "$work/build.log" cmake --build "$build" -j "$jobs" --target \
    flex_exe comm_communicator model_device bench_gpu_check || exit 1
}

# --- run ---------------------------------------------------------------------
# dns -> train -> infer of one 2048² field (128² on the CPU dry run): SR x8
# with FLEX-S at 256² patches (FLEX-tiny at 32²), trained a few steps.
whole_field_sr() {
  local flex=$build/bin/flex out=$runs/sr n img size steps device
  if [ $dry -eq 1 ]; then n=128 img=32 size=tiny steps=4 device=cpu; else n=2048 img=256 size=S steps=20 device=cuda; fi
  rm -rf "$out"
  mkdir -p "$out"
  # run_step's `||` turns off set -e in here: each command checks its own result.
  timeout 120 "$flex" dns "$src/input-decks/dns/ci.ini" grid.n=$n dns.k0=10 dns.re=1000 dns.dt=5e-4 dns.t_end=0.002 \
    dns.snapshot_interval=0.001 run.output_dir="$out" run.profile=false || return
  timeout 240 "$flex" train "$src/input-decks/train/ci.ini" data.files="$out/nskt_ci.h5" data.patches_per_snapshot=8 \
    model.size=$size model.tasks=sr model.img=$img model.dropout=0 train.steps=$steps train.batch=4 \
    train.checkpoint_every=$steps train.validate_every=$steps run.device=$device run.precision=bf16 \
    run.output_dir="$out/train" run.profile=false || return
  local t0 t1
  t0=$(date +%s.%N)
  timeout 240 "$flex" infer "$src/input-decks/infer/ci-sr.ini" infer.input="$out/nskt_ci.h5" infer.snapshots=2:3 \
    infer.factor=8 infer.halo=$((img / 8)) infer.members=2 infer.batch=16 infer.checkpoint="$out/train/flex_ema.pt" \
    model.size=$size model.tasks=sr run.device=$device run.precision=bf16 run.output_dir="$out" run.profile=false ||
    return
  t1=$(date +%s.%N)
  echo "whole-field SR: ${n}² field, 2 members, $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s for flex infer"
}

run_checks() {
  mkdir -p "$runs"
  local device=cuda gpu_args=()
  if [ $dry -eq 1 ]; then device=cpu gpu_args=(size=tiny img=64 batch=2 reps=2); fi
  if [ $dry -eq 0 ] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null |
      sed 's/^/gpu-check: device: /' | tee -a "$summary" || true
  fi
  local failed=0
  # One GPU: the 1-rank registrations (-L np1) of the tests labelled cuda.
  run_step "tests (ctest -L cuda -L np1)" "$work/ctest.log" \
    ctest --test-dir "$build" -L cuda -L np1 --output-on-failure --timeout 300 || failed=1
  grep -E "tests passed|Skipped|Passed|Failed" "$work/ctest.log" | sed 's/^/gpu-check:   /' | tee -a "$summary" || true
  run_step "bench_gpu_check device=$device" "$work/bench_gpu_check.log" \
    timeout 300 "$build/bench/gpu/bench_gpu_check" device=$device "${gpu_args[@]}" || failed=1
  grep "^gpu-check: " "$work/bench_gpu_check.log" | sed 's/^gpu-check: /gpu-check:   /' | tee -a "$summary" || true
  run_step "whole-field SR (dns, train, infer)" "$work/sr.log" whole_field_sr || failed=1
  grep -E "^whole-field SR|^PROGRESS (train|infer)" "$work/sr.log" | tail -n 3 | sed 's/^/gpu-check:   /' | tee -a "$summary" || true
  return $failed
}

# --- main --------------------------------------------------------------------
: >"$summary"
t_start=$(date +%s)
say "flex $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?'), stage $stage$([ $dry -eq 1 ] && echo ', dry run on the CPU'), $(nproc) cores, work folder $work"
status=0
case $stage in unpack|build|all) unpack ;; esac
use_prefix
case $stage in build|all) configure_and_build ;; esac
case $stage in run|all) run_checks || status=1 ;; esac
say "done in $(( $(date +%s) - t_start )) s: $([ $status -eq 0 ] && echo 'all checks passed' || echo 'SOME CHECKS FAILED')"
if [ -n "${OUT:-}" ] && [ -d "$OUT" ]; then
  cp "$summary" "$OUT/gpu-check-summary.txt"
  cp "$work"/*.log "$OUT/" 2>/dev/null || true
fi
exit $status
