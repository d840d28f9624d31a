#!/usr/bin/env bash
# Short libFuzzer run of the input-deck parser and the HDF5 field reader.
#
#   tests/fuzz/run.sh [--update-corpus] [BUILD_DIR] [SECONDS]
#
# Builds fuzz_deck and fuzz_field_reader with clang (the sources under test
# are compiled into the targets with -fsanitize=fuzzer,address,undefined) into
# BUILD_DIR (default /tmp/flex-fuzz), then runs each for SECONDS (default 60).
# The corpus in tests/fuzz/corpus/<target> is copied to a scratch dir first;
# with --update-corpus libFuzzer adds new inputs to the repository corpus.
# Prints one summary line per target; exits with libFuzzer's code on a crash
# (the crash file path is printed). Prints SKIP and exits 0 when clang,
# libFuzzer or a dependency is missing.
set -u

update_corpus=0
args=()
for a in "$@"; do
  case "$a" in
    --update-corpus) update_corpus=1 ;;
    -h | --help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$a") ;;
  esac
done
build=${args[0]:-/tmp/flex-fuzz}
seconds=${args[1]:-60}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

skip() { echo "SKIP: fuzz: $*"; exit 0; }

# ---------------------------------------------------------------- toolchain
cxx=${FLEX_FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  for c in clang++ clang++-18 clang++-17 clang++-16 clang++-15 clang++-14; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$(command -v "$c"); break; fi
  done
fi
[ -n "$cxx" ] || skip "clang++ not found (set FLEX_FUZZ_CXX)"
mkdir -p "$build" || skip "cannot create $build"
build=$(cd "$build" && pwd)
probe="$build/probe.cpp"
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe"
"$cxx" -fsanitize=fuzzer,address,undefined "$probe" -o "$build/probe" >/dev/null 2>&1 ||
  skip "$cxx cannot link -fsanitize=fuzzer,address,undefined (libFuzzer/compiler-rt missing)"

mpi_cflags=$(mpicxx --showme:compile 2>/dev/null || pkg-config --cflags ompi 2>/dev/null) || true
mpi_libs=$(mpicxx --showme:link 2>/dev/null || pkg-config --libs ompi 2>/dev/null) || true
[ -n "$mpi_libs" ] || skip "MPI (mpicxx --showme) not found"
if pkg-config --exists hdf5-openmpi 2>/dev/null; then
  h5_cflags=$(pkg-config --cflags hdf5-openmpi)
  h5_libs=$(pkg-config --libs hdf5-openmpi)
elif [ -f /usr/include/hdf5/openmpi/hdf5.h ]; then
  h5_cflags=-I/usr/include/hdf5/openmpi
  h5_libs="-L/usr/lib/x86_64-linux-gnu/hdf5/openmpi -lhdf5"
else
  skip "parallel HDF5 (hdf5-openmpi) not found"
fi

cxxflags="-std=c++17 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -D_GLIBCXX_ASSERTIONS
  -I$src/include -I$src/src/io $mpi_cflags $h5_cflags"
[ -d "$src/build/include" ] && cxxflags="$cxxflags -I$src/build/include"

# compile SRC OBJ: rebuilt when missing or older than any file it includes.
compile() {
  local s=$1 o=$2 d=${2%.o}.d stale=0
  if [ ! -f "$o" ] || [ ! -f "$d" ]; then
    stale=1
  else
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$d"); do
      if [ ! -e "$dep" ] || [ "$dep" -nt "$o" ]; then stale=1; break; fi
    done
  fi
  [ $stale = 0 ] && return 0
  echo "fuzz: compiling ${s#$src/}"
  # shellcheck disable=SC2086
  "$cxx" $cxxflags -fsanitize=fuzzer-no-link,address,undefined -MMD -MF "$d" -c "$s" -o "$o"
}

# link TARGET SRC...
link() {
  local t=$1 objs=() s o
  shift
  mkdir -p "$build/obj/$t"
  for s in "$@"; do
    o="$build/obj/$t/$(basename "${s%.cpp}").o"
    compile "$s" "$o" || return 1
    objs+=("$o")
  done
  local newest=0
  for o in "${objs[@]}"; do [ "$o" -nt "$build/$t" ] && newest=1; done
  [ -f "$build/$t" ] && [ $newest = 0 ] && return 0
  echo "fuzz: linking $t"
  # shellcheck disable=SC2086
  "$cxx" -fsanitize=fuzzer,address,undefined "${objs[@]}" -o "$build/$t" \
    $h5_libs $mpi_libs -lboost_program_options
}

link fuzz_deck "$here/fuzz_deck.cpp" "$src/src/core/deck.cpp" "$src/src/core/error.cpp" ||
  { echo "fuzz: FAILED to build fuzz_deck"; exit 2; }
link fuzz_field_reader "$here/fuzz_field_reader.cpp" "$src/src/io/field_reader.cpp" "$src/src/io/h5_handle.cpp" \
  "$src/src/io/h5_attributes.cpp" "$src/src/io/hyperslab.cpp" "$src/src/io/array.cpp" \
  "$src/src/io/layout.cpp" "$src/src/io/wall_derivative.cpp" "$src/src/core/deck.cpp" \
  "$src/src/core/collectives.cpp" "$src/src/core/error.cpp" ||
  { echo "fuzz: FAILED to build fuzz_field_reader"; exit 2; }

# ---------------------------------------------------------------- run
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMPI_MCA_btl=${OMPI_MCA_btl:-self}  # singleton MPI_COMM_SELF, no network probing
export OMP_NUM_THREADS=1
known=${FLEX_FUZZ_KNOWN_BUGS:-}
# The targets write each input to a file here (a crashed run leaves its file).
shm=/tmp
[ -w /dev/shm ] && shm=/dev/shm
export FLEX_FUZZ_TMPDIR=$(mktemp -d "$shm/flex-fuzz.XXXXXX")
trap 'rm -rf "$FLEX_FUZZ_TMPDIR"' EXIT
stamp=$(date +%Y%m%d-%H%M%S)

# top_frame LOG BINARY: the first stack frame of the sanitizer report that is
# not in the sanitizer/fuzzer runtime (frames of BINARY without a source
# line), libc or libstdc++: where the fault happened.
top_frame() {
  grep -E '^ +#[0-9]+ 0x' "$1" | grep -vF "($2+0x" |
    grep -vE '__interceptor_|__asan|__sanitizer|__ubsan|fuzzer::|libc\.so|libstdc\+\+|/sysdeps/|<unknown module>' |
    head -1
}

status=0
summary=()
for t in fuzz_deck fuzz_field_reader; do
  name=${t#fuzz_}
  [ "$name" = field_reader ] && name=field
  if [ $update_corpus = 1 ]; then
    corpus="$here/corpus/$name"
  else
    corpus="$build/corpus-$name"
    rm -rf "$corpus" && mkdir -p "$corpus" && cp "$here/corpus/$name/"* "$corpus/"
  fi
  artifacts="$build/artifacts/$t-$stamp"
  mkdir -p "$artifacts"
  log="$build/$t.log"
  : >"$log"
  opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "$here/$name.dict" ] && opts+=("-dict=$here/$name.dict")
  dirs=("$corpus")
  asan=$ASAN_OPTIONS
  if [ "$t" = fuzz_field_reader ]; then
    # No leak checks (Open MPI and HDF5 1.10 leak on their own error paths;
    # the harness checks instead that no HDF5 id stays open). A malloc over
    # 512 MB returns NULL, which HDF5 handles: a damaged length makes it ask
    # for GBs, harmless natively but seconds per input under ASan; a C++
    # `new` that large (in flex) is still reported as out-of-memory.
    asan="$asan:detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=512"
    [ -n "$known" ] && [ -d "$here/corpus/field-vlen" ] && dirs+=("$here/corpus/field-vlen")
  fi
  echo "fuzz: running $t for ${seconds}s (log: $log)"
  # HDF5 1.10.8 itself crashes on some damaged files (README.md). A crash
  # whose faulting frame lies in libhdf5 is set aside and fuzzing resumes
  # for the time left (not with FLEX_FUZZ_KNOWN_BUGS=1); any other ends it.
  end=$(($(date +%s) + seconds)) runs=0 hdf5_crashes=() crash="" rc=0 restarts=0
  while :; do
    left=$((end - $(date +%s)))
    [ $left -ge 1 ] || break
    seg="$build/$t.segment.log"
    (cd "$build" && ASAN_OPTIONS=$asan "./$t" "${opts[@]}" -max_total_time="$left" "${dirs[@]}") >"$seg" 2>&1
    rc=$?
    cat "$seg" >>"$log"
    r=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$seg" | tail -1)
    [ -n "$r" ] || r=$(sed -n 's/^#\([0-9][0-9]*\).*/\1/p' "$seg" | tail -1)
    runs=$((runs + ${r:-0}))
    [ $rc = 0 ] && break
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$seg" | tail -1)
    if [ -z "$artifact" ]; then
      # Killed before libFuzzer could save the unit (an abort caught by Open
      # MPI's handler first): the input the target wrote is still here.
      stray=$(find "$FLEX_FUZZ_TMPDIR" -type f | head -1)
      [ -n "$stray" ] && artifact="$artifacts/crash-input-$restarts.h5" && mv "$stray" "$artifact"
    fi
    [ -n "$artifact" ] && cp "$seg" "$artifact.log"
    frame=$(top_frame "$seg" "$build/$t")
    # A stack-protector abort comes from code built with canaries: the system
    # libraries (HDF5, Open MPI). flex's own frames are ASan-instrumented,
    # and ASan reports an overflow there before any canary is checked.
    grep -q '\*\*\* stack smashing detected \*\*\*' "$seg" && [ -z "$frame" ] && frame="(stack protector: libhdf5 or Open MPI)"
    restarts=$((restarts + 1))
    if [ -z "$known" ] && [[ "$frame" == *libhdf5* ]] && [ $restarts -le 50 ]; then
      hdf5_crashes+=("${artifact:-?}")
      # A corpus input that crashes HDF5 would crash every restart: drop it.
      if [ -n "$artifact" ]; then
        sum=$(sha1sum <"$artifact" | cut -d' ' -f1)
        for c in "$corpus"/*; do
          [ "$(sha1sum <"$c" | cut -d' ' -f1)" = "$sum" ] && echo "fuzz: dropping $c (crashes HDF5)" && rm -f "$c"
        done
      fi
    else
      crash=${artifact:-see $log}
      echo "---- $t: the report (also in $crash.log)"
      tail -n 60 "$seg"
      break
    fi
  done
  rm -f "$build/$t.segment.log"
  files=$(find "$corpus" -type f | wc -l)
  if [ -n "$crash" ]; then
    summary+=("$t: CRASH (exit $rc) after $runs runs; input: $crash")
    [ $status = 0 ] && status=$rc
  elif [ ${#hdf5_crashes[@]} -gt 0 ]; then
    summary+=("$t: $runs runs, no crash in flex (corpus: $files files); ${#hdf5_crashes[@]} inside libhdf5 (known, third-party; report in <input>.log): ${hdf5_crashes[*]}")
  else
    summary+=("$t: $runs runs, no crash (corpus: $files files)")
  fi
done
printf '%s\n' "${summary[@]}"
exit $status
