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

# install_missing_pkgs SCRIPT PKG...: installs the Debian packages named
# (none: nothing to do), quietly, updating the package lists only if the
# first attempt fails; then checks that /dev/fuse is there. Progress and
# errors go to stderr, prefixed with SCRIPT; returns non-zero on failure.
install_missing_pkgs() {
  local script="$1"
  shift
  if [[ $# -gt 0 ]]; then
    echo "$script: installing $*" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "$@" >&2 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >&2; } || return 1
  fi
  [[ -e /dev/fuse ]] || { echo "$script: /dev/fuse is missing" >&2; return 1; }
}
