#!/usr/bin/env bash
# core.sh: sign, hash and validate N es.4 documents with esfs, with the
# reference library (earthstar 5.7.6 via the interop kit) and with bare
# libsodium Ed25519 on the same 53-byte messages, and print one table.
#
#   bash scripts/bench/core.sh [--quick] [--reps R] [--out DIR]
#
#   --quick    N = 10,000 only (default: N = 10,000 and 100,000)
#   --reps R   runs per measurement; the table shows the median (default 3)
#   --out DIR  keep the raw JSON lines of both programs in DIR
#
# Builds build/core_bench if needed (the repository's ./build, whose default
# build type is RelWithDebInfo = -O2; a Debug or sanitizer build there is
# left alone and ./build-bench is used instead). Exits non-zero if any
# document fails to validate, a signature differs between esfs and the
# reference, or a program fails. Missed speed targets are reported, not fatal.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
kit="${ES4_INTEROP_KIT:-$(dirname "$repo")/shared/interop}"

quick=0
reps=3
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="${2:?--reps needs a value}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "core.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then sizes=(10000); else sizes=(10000 100000); fi

command -v node >/dev/null || { echo "core.sh: node is needed for the reference library" >&2; exit 1; }
command -v python3 >/dev/null || { echo "core.sh: python3 is needed for the table" >&2; exit 1; }
[[ -f "$kit/ensure-deps.sh" ]] || { echo "core.sh: interop kit not found at $kit" >&2; exit 1; }

# --- build -----------------------------------------------------------------
bdir="$repo/build"
if [[ -f "$bdir/CMakeCache.txt" ]]; then
  btype="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$bdir/CMakeCache.txt")"
  sanitize="$(sed -n 's/^ESFS_SANITIZE:BOOL=//p' "$bdir/CMakeCache.txt")"
  bench="$(sed -n 's/^ESFS_BENCH:BOOL=//p' "$bdir/CMakeCache.txt")"
  case "$btype" in ""|Release|RelWithDebInfo) ;; *) bdir="$repo/build-bench" ;; esac
  [[ "${sanitize:-OFF}" == OFF && "${bench:-ON}" == ON ]] || bdir="$repo/build-bench"
fi
if [[ ! -f "$bdir/CMakeCache.txt" ]]; then
  echo "core.sh: configuring $bdir (RelWithDebInfo)" >&2
  cmake -S "$repo" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESFS_BENCH=ON -DESFS_SANITIZE=OFF >&2
fi
echo "core.sh: building core_bench in $bdir" >&2
cmake --build "$bdir" --target core_bench -j"$(nproc)" >&2
bench_bin="$bdir/core_bench"

# --- reference library -----------------------------------------------------
bash "$kit/ensure-deps.sh" >/dev/null

if [[ -n "$out" ]]; then
  mkdir -p "$out"
  work="$out"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

# --- run -------------------------------------------------------------------
start=$(date +%s)
for n in "${sizes[@]}"; do
  echo "core.sh: N=$n esfs + bare libsodium ($reps runs each)" >&2
  "$bench_bin" --n "$n" --reps "$reps" --write-keypair "$work/keypair.json" >"$work/esfs-$n.jsonl"
  echo "core.sh: N=$n reference earthstar 5.7.6 ($reps runs each)" >&2
  ES4_INTEROP_KIT="$kit" node "$here/ref_core.js" --n "$n" --reps "$reps" --keypair "$work/keypair.json" \
    >"$work/ref-$n.jsonl"
done
elapsed=$(( $(date +%s) - start ))

# --- table -----------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
python3 - "$work" "$reps" "$elapsed" "$(nproc)" "$cpu" "${sizes[@]}" <<'PY'
import json, sys, datetime

work, reps, elapsed, nproc, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sizes = [int(s) for s in sys.argv[6:]]

def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                r = json.loads(line)
                rows[r['op']] = r
    return rows

def num(x):
    return f"{x:,.0f}"

ok = True
print(f"# Core: sign, hash, validate  ({datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')})")
print(f"# machine: {nproc} cores, {cpu}; median of {reps} runs per cell; docs/s (higher is better)")
checks = []
for n in sizes:
    e, r = load(f"{work}/esfs-{n}.jsonl"), load(f"{work}/ref-{n}.jsonl")
    if n == sizes[0]:
        print(f"# reference: earthstar {r['info']['earthstar']} on node {r['info']['node']}")
    same = e['info']['sig_digest'] == r['info']['sig_digest']
    bad = e['info']['failures'] + r['info']['failures']
    bt = e['validate_batch']['threads']
    vc = e['sodium_verify_all_cores']['threads']
    print()
    print(f"N = {n:,}  (signatures identical in esfs and reference: {'yes' if same else 'NO'}; "
          f"invalid documents: {bad})")
    print()
    print("| operation | esfs | reference | esfs / reference | bare libsodium | esfs / libsodium |")
    print("|---|---:|---:|---:|---:|---:|")
    def row(label, eop, rop, sop, slabel):
        er = e[eop]['rate']
        rr = r[rop]['rate'] if rop else None
        sr = e[sop]['rate'] if sop else None
        print(f"| {label} | {num(er)} | {num(rr) if rr else '—'} | "
              f"{f'{er / rr:.2f}×' if rr else '—'} | "
              f"{f'{num(sr)} ({slabel})' if sr else '—'} | {f'{100 * er / sr:.0f} %' if sr else '—'} |")
    row("sign (1 thread)", 'sign', 'sign', 'sodium_sign', 'sign, 1 thread')
    row("hash (1 thread)", 'hash', 'hash', None, None)
    row("validate (1 thread)", 'validate', 'validate', 'sodium_verify', 'verify, 1 thread')
    row(f"validate batch ({bt} threads)", 'validate_batch', None, 'sodium_verify_all_cores',
        f'verify, {vc} threads')
    sign_pct = 100 * e['sign']['rate'] / e['sodium_sign']['rate']
    val_pct = 100 * e['validate']['rate'] / e['sodium_verify']['rate']
    speedup = e['validate_batch']['rate'] / e['validate']['rate']
    print()
    print(f"batch validate / single-thread validate: {speedup:.2f}× on {bt} threads "
          f"(bare verify scales {e['sodium_verify_all_cores']['rate'] / e['sodium_verify']['rate']:.2f}× on {vc})")
    checks.append((n, 'sign >= 85% of bare crypto_sign_detached', sign_pct >= 85, f"{sign_pct:.0f} %"))
    checks.append((n, 'validate >= 85% of bare crypto_sign_verify_detached', val_pct >= 85, f"{val_pct:.0f} %"))
    target = 1.7 if bt == 2 else None
    checks.append((n, f'batch validate >= 1.7x single-thread on 2 cores', (speedup >= 1.7) if target else None,
                   f"{speedup:.2f}× on {bt} threads"))
    if not same:
        ok = False
        print("ERROR: esfs and the reference produced different signatures for the same documents", file=sys.stderr)
    if bad:
        ok = False
        print(f"ERROR: {bad} documents failed to sign or validate", file=sys.stderr)

print()
print("Targets:")
for n, what, met, got in checks:
    verdict = 'met' if met else ('n/a (not a 2-core machine)' if met is None else 'MISSED')
    print(f"  N={n:>7,}  {what}: {got}  -> {verdict}")
print()
print(f"(total benchmark time {elapsed} s)")
sys.exit(0 if ok else 1)
PY
