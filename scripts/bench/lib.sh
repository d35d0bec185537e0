# Sourced by the benchmark scripts of scripts/bench.

# build_bench_target SCRIPT TARGET: builds TARGET in an optimized build
# folder and prints its path. ./build when it is a Release/RelWithDebInfo
# build without sanitizers and with the benchmarks on; else ./build-bench
# (configured as RelWithDebInfo the first time). Progress goes to stderr,
# prefixed with SCRIPT.
build_bench_target() {
  local script="$1" target="$2" repo bdir btype sanitize bench
  repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  bdir="$repo/build"
  if [[ -f "$bdir/CMakeCache.txt" ]]; then
    btype="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$bdir/CMakeCache.txt")"
    sanitize="$(sed -n 's/^ESFS_SANITIZE:[A-Z]*=//p' "$bdir/CMakeCache.txt")"
    bench="$(sed -n 's/^ESFS_BENCH:BOOL=//p' "$bdir/CMakeCache.txt")"
    case "$btype" in ""|Release|RelWithDebInfo) ;; *) bdir="$repo/build-bench" ;; esac
    [[ "${sanitize:-OFF}" == OFF && "${bench:-ON}" == ON ]] || bdir="$repo/build-bench"
  fi
  if [[ ! -f "$bdir/CMakeCache.txt" ]]; then
    echo "$script: configuring $bdir (RelWithDebInfo)" >&2
    cmake -S "$repo" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESFS_BENCH=ON -DESFS_SANITIZE=OFF >&2 || return 1
  fi
  echo "$script: building $target in $bdir" >&2
  cmake --build "$bdir" --target "$target" -j"$(nproc)" >&2 || return 1
  echo "$bdir/$target"
}
