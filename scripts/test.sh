#!/usr/bin/env bash
# test.sh: install what is missing, build, run every test (ctest), then the
# same suite built with AddressSanitizer + UndefinedBehaviorSanitizer, then
# the concurrency and mount tests built with ThreadSanitizer (build-tsan).
# Also checks the formatting (scripts/check_style.sh --format-only, one test).
# Ends with ctest's summaries and a line "tests: N passed, M failed" over
# all three suites and the style check.
# Options: --no-sanitize (skip both sanitizer passes, for quick local runs).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
sanitize=1
[ "${1:-}" = "--no-sanitize" ] && sanitize=0

bash scripts/setup.sh || { echo "test.sh: setup failed"; exit 1; }

passed=0
failed=0

timings=()  # "name: build N s, tests N s", printed at the end
# run_suite NAME BUILD_DIR [cmake args...]; $targets (default: all) limits
# what is built, $ctest_args (default: none) which tests run.
targets=""
ctest_args=()
run_suite() {
  local name="$1" build="$2"
  shift 2
  echo "=== $name: build ($build)"
  local t0=$SECONDS
  if ! ESFS_TARGETS="$targets" bash scripts/build.sh "$build" "$@"; then
    echo "=== $name: BUILD FAILED"
    failed=$((failed + 1))
    return
  fi
  if [ -x "$build/esfs_unit_tests" ] && [ -z "$targets" ]; then
    echo "=== $name: conformance record counts"
    "$build/esfs_unit_tests" --gtest_filter='Conformance.*' 2>&1 | sed -n '/records checked:/,$p'
  fi
  local t1=$SECONDS
  echo "=== $name: ctest"
  local log="$build/ctest-summary.txt"
  (cd "$build" && ctest --output-on-failure -j "$(nproc)" --timeout 900 "${ctest_args[@]}") 2>&1 | tee "$log"
  timings+=("$name: build $((t1 - t0)) s, tests $((SECONDS - t1)) s")
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

# Formatting (.clang-format) and layering, checked over every project file;
# counted as one test. clang-tidy is not run here: over the whole tree it
# takes longer than CI's budget on 2 cores (scripts/check_style.sh --tidy-only
# runs it; docs/design.md "Style checks").
echo "=== style: clang-format and layering (scripts/check_style.sh --format-only)"
if bash scripts/check_style.sh --format-only; then
  passed=$((passed + 1))
else
  echo "=== style: FAILED (clang-format -i the files named above)"
  failed=$((failed + 1))
fi
if [ "$sanitize" = 1 ]; then
  # ASan and LSan run inside every test process; UBSan aborts on any finding.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  run_suite "asan+ubsan" "$here/build-asan" -DESFS_TESTS=ON -DESFS_SANITIZE=ON -DESFS_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug

  # ThreadSanitizer: only what runs threads against each other, to stay in CI's
  # time budget: the store under concurrent processes, the syncer, the mount
  # (the esfs binary the mount tests start is built with TSan too).
  # RelWithDebInfo: TSan's slowdown on -O0 code would make the mount tests time out.
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  [ -f tests/tsan.supp ] && TSAN_OPTIONS="$TSAN_OPTIONS:suppressions=$here/tests/tsan.supp"
  targets="esfs esfs_unit_tests esfs_store_process_tests esfs_sync_tests esfs_mount_tests"
  # SyncHostile.JunkListing... is left out: its in-process hostile pub writes a large junk
  # listing too slowly under TSan on a loaded 2-core machine and trips the client's 30 s stall
  # timeout (73 s alone; a resource bound, not a concurrency test; release and ASan run it).
  # The unit suites with threads: the change feed, group commit, the store's parts and the mount's
  # parts (locking: saves and reads while a commit is held).
  ctest_args=(-R '^(StoreProcess|Sync[A-Za-z]*|Mount[A-Za-z]*|BackgroundMount|ChangeFeedTest|StoreCommitTest|StorePartsTest|LockingTest|InodeTableTest|InvalidatorTest|PublisherTest)\.'
              -E '_NOT_BUILT$|^SyncHostile\.JunkListingGivesOneBoundedSummaryLine$')
  run_suite "tsan" "$here/build-tsan" -DESFS_TESTS=ON -DESFS_SANITIZE=thread -DESFS_BENCH=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
  targets=""
  ctest_args=()
fi

echo
for t in "${timings[@]}"; do echo "time: $t"; done
echo "time: total $SECONDS s (setup included)"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
