#!/usr/bin/env bash
# build.sh [BUILD_DIR] [extra cmake args...]: configure (when needed) and build.
# ESFS_TARGETS="a b": build only these targets (default: all).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
shift || true
if [ ! -f "$build/CMakeCache.txt" ] || [ "$#" -gt 0 ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null || exit 1
fi
targets=()
for t in ${ESFS_TARGETS:-}; do targets+=(--target "$t"); done
# Show warnings and errors, not the progress chatter.
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" "${targets[@]}" 2>&1 \
  | grep -Ev '^\[ *[0-9]+%\] (Building|Linking|Built)|^(Consolidate|Scanning|\[ *[0-9]+%\] Built target)'
exit "${PIPESTATUS[0]}"
