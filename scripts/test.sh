#!/usr/bin/env bash
# test.sh: install what is missing, build, run every test (ctest), then the
# same suite built with AddressSanitizer + UndefinedBehaviorSanitizer.
# Ends with ctest's summaries and a line "N passed, M failed".
# Options: --no-sanitize (skip the ASan/UBSan pass, for quick local runs).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
sanitize=1
[ "${1:-}" = "--no-sanitize" ] && sanitize=0

bash scripts/setup.sh || { echo "test.sh: setup failed"; exit 1; }

passed=0
failed=0
run_suite() {  # run_suite NAME BUILD_DIR [cmake args...]
  local name="$1" build="$2"
  shift 2
  echo "=== $name: build ($build)"
  if ! bash scripts/build.sh "$build" "$@"; then
    echo "=== $name: BUILD FAILED"
    failed=$((failed + 1))
    return
  fi
  echo "=== $name: conformance record counts"
  "$build/esfs_unit_tests" --gtest_filter='Conformance.*' 2>&1 | sed -n '/records checked:/,$p'
  echo "=== $name: ctest"
  local log="$build/ctest-summary.txt"
  (cd "$build" && ctest --output-on-failure -j "$(nproc)" --timeout 900) 2>&1 | tee "$log"
  local p f total
  total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$log" | tail -1)
  f=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  if [ -z "$total" ]; then
    echo "=== $name: ctest produced no summary"
    failed=$((failed + 1))
    return
  fi
  p=$((total - f))
  passed=$((passed + p))
  failed=$((failed + f))
}

run_suite "release" "$here/build" -DESFS_TESTS=ON
if [ "$sanitize" = 1 ]; then
  # ASan and LSan run inside every test process; UBSan aborts on any finding.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite "asan+ubsan" "$here/build-asan" -DESFS_TESTS=ON -DESFS_SANITIZE=ON -DESFS_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
fi

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
