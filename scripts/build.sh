#!/usr/bin/env bash
# build.sh [BUILD_DIR] [extra cmake args...]: configure (when needed) and build.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build}"
shift || true
if [ ! -f "$build/CMakeCache.txt" ] || [ "$#" -gt 0 ]; then
  cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null || exit 1
fi
# Show warnings and errors, not the progress chatter.
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" 2>&1 \
  | grep -Ev '^\[ *[0-9]+%\] (Building|Linking|Built)|^(Consolidate|Scanning|\[ *[0-9]+%\] Built target)'
exit "${PIPESTATUS[0]}"
