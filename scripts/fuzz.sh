#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of tests/fuzz (docs/fuzzing.md).
#
#   scripts/fuzz.sh SECONDS [TARGET...]
#
# TARGET is fuzz_document, fuzz_address_path, fuzz_local_path and/or
# fuzz_pub_reply (default: all four). SECONDS is the total fuzzing time,
# split between the targets in turn by weight: fuzz_document 4,
# fuzz_pub_reply 3, fuzz_address_path 2, fuzz_local_path 1 (the smaller the
# code under test, the sooner it saturates). Each target gets SECONDS *
# weight / (sum of the weights of the targets run), rounded down; the last
# one gets what is left, so the shares add up to SECONDS (each gets at least
# 1 s, so with SECONDS below the number of targets they add up to more).
# E.g. 600 s for all four: 240 + 120 + 60 + 180. Building, seeding and
# replaying regressions come on top.
#
# Environment:
#   ESFS_FUZZ_BUILD    build directory (default: build-fuzz, git-ignored)
#   ESFS_VECTORS_DIR   test vectors for the seed corpus (default: ../shared/vectors)
#   FUZZ_ARGS          extra libFuzzer flags for every target (e.g. "-jobs=2")
#
# Under the build directory, fuzz/ holds seeds/<target> (regenerated from the
# vectors on every run), corpus/<target> (what libFuzzer found, kept between
# runs), artifacts/<target> (crashing inputs) and logs/<target>.log.
#
# Prints one summary line per target; exits 1 if any target crashed (or a
# file of tests/fuzz/regressions no longer passes), 2 on usage/build errors.
set -u -o pipefail

usage() { echo "usage: $0 SECONDS [fuzz_document|fuzz_address_path|fuzz_local_path|fuzz_pub_reply]..." >&2; exit 2; }
[[ $# -ge 1 && $1 =~ ^[0-9]+$ && $1 -gt 0 ]] || usage
SECONDS_TOTAL=$1
shift
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=(fuzz_document fuzz_address_path fuzz_local_path fuzz_pub_reply)
for t in "${TARGETS[@]}"; do
  [[ $t == fuzz_document || $t == fuzz_address_path || $t == fuzz_local_path || $t == fuzz_pub_reply ]] || usage
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${ESFS_FUZZ_BUILD:-$ROOT/build-fuzz}
VECTORS=${ESFS_VECTORS_DIR:-$ROOT/../shared/vectors}
WORK=$BUILD/fuzz
FUZZ_DIR=$ROOT/tests/fuzz

# --- build (configure once; the build itself is incremental) ---
if [[ ! -f $BUILD/CMakeCache.txt ]]; then
  CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DESFS_FUZZ=ON -DESFS_TESTS=OFF -DESFS_BENCH=OFF -DESFS_SANITIZE=ON >/dev/null || exit 2
fi
cmake --build "$BUILD" -j"$(nproc)" --target "${TARGETS[@]}" fuzz_seed_corpus >/dev/null ||
  { echo "fuzz.sh: build failed (run: cmake --build $BUILD --target ${TARGETS[*]})" >&2; exit 2; }

# --- seed corpus from the vectors ---
rm -rf "$WORK/seeds"
mkdir -p "$WORK/seeds/fuzz_document" "$WORK/seeds/fuzz_address_path" "$WORK/seeds/fuzz_local_path" \
  "$WORK/seeds/fuzz_pub_reply"
# fuzz_local_path: selector byte ('0': split at newlines, '1': at '/'), then text.
printf '0+gardening.friends\nnotes~\na.txt' >"$WORK/seeds/fuzz_local_path/names"
printf '1notes/../../../../tmp/x.txt' >"$WORK/seeds/fuzz_local_path/dotdot"
printf '1.git/objects/./pack' >"$WORK/seeds/fuzz_local_path/dot"
shopt -s nullglob
vector_files=("$VECTORS"/*.json)
if [[ ${#vector_files[@]} -eq 0 ]]; then
  echo "fuzz.sh: no vectors in $VECTORS; fuzzing from the saved corpus only" >&2
else
  "$BUILD/fuzz_seed_corpus" "$WORK/seeds/fuzz_document" "$WORK/seeds/fuzz_address_path" \
    "${vector_files[@]}" || exit 2
fi
# fuzz_pub_reply: replies built from the document seeds: each JSON list as a
# pull listing, each document wrapped as a one-element listing and as an
# event of a stream (with a keep-alive and a comment line), and all the
# documents in one listing.
pub_seeds=$WORK/seeds/fuzz_pub_reply
printf 'data: KEEPALIVE\n\n: a comment\r\ndata: [1,\r\ndata: 2]\r\n\r\n' >"$pub_seeds/keepalive"
printf '[]' >"$pub_seeds/empty"
all=()
for f in "$WORK/seeds/fuzz_document"/*; do
  first=$(head -c 1 "$f")
  if [[ $first == '[' ]]; then
    cp "$f" "$pub_seeds/list-${f##*/}"
  elif [[ $first == '{' ]]; then
    { printf '['; cat "$f"; printf ']'; } >"$pub_seeds/one-${f##*/}"
    { printf ': hi\n\ndata: KEEPALIVE\n\ndata: '; cat "$f"; printf '\n\n'; } >"$pub_seeds/event-${f##*/}"
    all+=("$f")
  fi
done
if [[ ${#all[@]} -gt 0 ]]; then
  # Under -max_len (65536): a longer seed would be cut off, no longer a listing.
  { printf '[\n'; sep=''; bytes=0
    for f in "${all[@]}"; do
      size=$(stat -c %s "$f")
      ((bytes + size < 60000)) || break
      printf '%s' "$sep"; cat "$f"; sep=$',\n'; bytes=$((bytes + size + 2))
    done
    printf '\n]'; } >"$pub_seeds/all"
fi

# --- time split (weights: see the top of this file) ---
declare -A WEIGHT=([fuzz_document]=4 [fuzz_pub_reply]=3 [fuzz_address_path]=2 [fuzz_local_path]=1)
declare -A BUDGET
weights=0
for t in "${TARGETS[@]}"; do weights=$((weights + WEIGHT[$t])); done
left=$SECONDS_TOTAL
for i in "${!TARGETS[@]}"; do
  t=${TARGETS[$i]}
  if ((i == ${#TARGETS[@]} - 1)); then share=$left; else share=$((SECONDS_TOTAL * WEIGHT[$t] / weights)); fi
  ((share > 0)) || share=1
  BUDGET[$t]=$share
  left=$((left - share))
done
declare -A MAXLEN=([fuzz_document]=65536 [fuzz_address_path]=4096 [fuzz_local_path]=4096
  [fuzz_pub_reply]=65536)
declare -A DICT=([fuzz_document]=document.dict [fuzz_address_path]=address_path.dict
  [fuzz_local_path]=local_path.dict [fuzz_pub_reply]=pub_reply.dict)

failed=0
summaries=()
for t in "${TARGETS[@]}"; do
  short=${t#fuzz_}
  corpus=$WORK/corpus/$t
  artifacts=$WORK/artifacts/$t
  log=$WORK/logs/$t.log
  mkdir -p "$corpus" "$artifacts" "$WORK/logs"

  # Known crashers first: every tests/fuzz/regressions/<short>-* must pass now.
  regressions=("$FUZZ_DIR/regressions/$short"-*)
  if [[ ${#regressions[@]} -gt 0 ]]; then
    if "$BUILD/$t" -runs=1 "${regressions[@]}" >"$WORK/logs/$t.regressions.log" 2>&1; then
      echo "$t: ${#regressions[@]} regression input(s) pass"
    else
      echo "$t: a regression input still fails, see $WORK/logs/$t.regressions.log"
      summaries+=("$t: regression inputs in tests/fuzz/regressions/$short-* still FAIL")
      failed=1
    fi
  fi

  before=$(ls "$artifacts" | grep -cE '^(crash|leak|timeout|oom)-')
  echo "$t: fuzzing for ${BUDGET[$t]} s (log: $log)"
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  "$BUILD/$t" "$corpus" "$WORK/seeds/$t" \
    -max_total_time="${BUDGET[$t]}" -max_len="${MAXLEN[$t]}" -timeout=25 \
    -dict="$FUZZ_DIR/${DICT[$t]}" -artifact_prefix="$artifacts/" \
    -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [[ -n $runs ]] || runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
  secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  [[ -n $secs ]] || secs=$(sed -n 's/^INFO: exiting: .* time: \([0-9]*\)s.*/\1/p' "$log" | tail -1)  # -fork
  status=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1 |
    sed -E 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+(\/[^ ]+)?).*/\1/')
  crashes=$(ls "$artifacts" | grep -cE '^(crash|leak|timeout|oom)-')
  new=$((crashes - before))
  if ((rc != 0 && new <= 0)); then new=1; fi  # died without writing an artifact
  summary="$t: ${runs:-0} runs in ${secs:-?} s, ${status:-no coverage line}, crashes: $new (exit $rc)"
  summaries+=("$summary")
  if ((new > 0)); then
    failed=1
    echo "$t: CRASH; from $log:"
    awk '/ERROR|runtime error|^fuzz_(document|address_path|local_path|pub_reply): /{on=1} on&&n<40{print; n++}' "$log"
    grep -E 'Test unit written|^SUMMARY' "$log"
    echo "Copy the input to tests/fuzz/regressions/$short-<name> and report it."
  fi
done

echo "---- fuzz summary ----"
printf '%s\n' "${summaries[@]}"
exit $failed
