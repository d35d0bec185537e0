#!/usr/bin/env bash
# core.sh: sign, hash and validate N es.4 documents with esfs, with the
# reference library (earthstar 5.7.6 via the interop kit) and with bare
# libsodium Ed25519 on the same 53-byte messages, and print one table.
#
#   bash scripts/bench/core.sh [--quick] [--reps R] [--out DIR]
#   bash scripts/bench/core.sh --from DIR
#
#   --quick    N = 10,000 only (default: N = 10,000 and 100,000)
#   --reps R   runs per measurement; the table shows the median (default 3)
#   --out DIR  keep the raw results (JSON lines of both programs, run.json) in DIR
#   --from DIR print the table of an earlier --out DIR again; runs nothing
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
from=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="${2:?--reps needs a value}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    --from) from="${2:?--from needs a directory}"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "core.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then sizes=(10000); else sizes=(10000 100000); fi
command -v python3 >/dev/null || { echo "core.sh: python3 is needed for the table" >&2; exit 1; }

# The table, from the raw results in a directory (see run.json below).
print_table() {
python3 - "$1" <<'PY'

import json, sys

work = sys.argv[1]
with open(f"{work}/run.json") as f:
    run = json.load(f)
reps, elapsed, nproc, cpu = run['reps'], run['elapsed_s'], run['nproc'], run['cpu']
other_cpu, steal, sizes = run['other_cpu_s'], run['steal_s'], run['sizes']

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
print(f"# Core: sign, hash, validate  (run {run['date']})")
print(f"# machine: {nproc} cores, {cpu}; median of {reps} runs per cell; docs/s (higher is better)")
print("# 'esfs cores used' = CPU time / wall time of that measurement (1 thread: ~1; n threads: ~n if they got the cores)")
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
    print("| operation | esfs | reference | esfs / reference | bare libsodium | esfs / libsodium | esfs cores used |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    def row(label, eop, rop, sop, slabel):
        er = e[eop]['rate']
        rr = r[rop]['rate'] if rop else None
        sr = e[sop]['rate'] if sop else None
        print(f"| {label} | {num(er)} | {num(rr) if rr else '—'} | "
              f"{f'{er / rr:.2f}×' if rr else '—'} | "
              f"{f'{num(sr)} ({slabel})' if sr else '—'} | {f'{100 * er / sr:.1f} %' if sr else '—'} | "
              f"{e[eop]['cpu_per_wall']:.2f} |")
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
    checks.append((n, 'sign >= 85% of bare crypto_sign_detached', sign_pct >= 85, f"{sign_pct:.1f} %"))
    checks.append((n, 'validate >= 85% of bare crypto_sign_verify_detached', val_pct >= 85, f"{val_pct:.1f} %"))
    target = 1.7 if bt == 2 else None
    bare_scale = e['sodium_verify_all_cores']['rate'] / e['sodium_verify']['rate']
    note = f"{speedup:.2f}× on {bt} threads"
    used = e['validate_batch']['cpu_per_wall']
    if used < 0.85 * bt:
        note += f" (it got only {used:.2f} cores' worth of CPU: the cores were not free)"
    if bare_scale < 1.7:
        note += f" (bare verify itself only scaled {bare_scale:.2f}×)"
    checks.append((n, f'batch validate >= 1.7x single-thread on 2 cores', (speedup >= 1.7) if target else None,
                   note))
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
share = other_cpu / elapsed if elapsed else 0.0
print(f"(total benchmark time {elapsed} s; other processes used {other_cpu:.1f} CPU-s meanwhile = "
      f"{100 * share:.0f} % of one core; hypervisor steal {steal:.1f} s)")
if share > 0.10 or (elapsed and steal / elapsed > 0.10):
    print("WARNING: the machine was not idle during the run; the multi-core rows (and to a lesser "
          "degree all rows) understate what the code can do. Re-run on an idle machine.")
sys.exit(0 if ok else 1)
PY
}

if [[ -n "$from" ]]; then
  print_table "$from"
  exit $?
fi

command -v node >/dev/null || { echo "core.sh: node is needed for the reference library" >&2; exit 1; }
[[ -f "$kit/ensure-deps.sh" ]] || { echo "core.sh: interop kit not found at $kit" >&2; exit 1; }

# --- build -----------------------------------------------------------------
source "$here/lib.sh"
bench_bin="$(build_bench_target core.sh core_bench)" || exit 1

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
# CPU time of the whole machine (/proc/stat: user+nice+system+irq+softirq,
# and steal) and of our own children (/proc/$$/stat cutime+cstime), in clock
# ticks, so the table can say how much CPU something else took meanwhile:
# a busy second core makes the multi-core rows meaningless.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $9}' /proc/stat; }
our_ticks() { awk '{print $16+$17}' "/proc/$$/stat"; }
read -r busy0 steal0 < <(machine_ticks)
ours0=$(our_ticks)
start=$(date +%s)
run_date="$(date '+%Y-%m-%d %H:%M %Z')"
for n in "${sizes[@]}"; do
  echo "core.sh: N=$n esfs + bare libsodium ($reps runs each)" >&2
  "$bench_bin" --n "$n" --reps "$reps" --write-keypair "$work/keypair.json" >"$work/esfs-$n.jsonl"
  echo "core.sh: N=$n reference earthstar 5.7.6 ($reps runs each)" >&2
  ES4_INTEROP_KIT="$kit" node "$here/ref_core.js" --n "$n" --reps "$reps" --keypair "$work/keypair.json" \
    >"$work/ref-$n.jsonl"
done
elapsed=$(( $(date +%s) - start ))
read -r busy1 steal1 < <(machine_ticks)
ours1=$(our_ticks)
hz=$(getconf CLK_TCK)
other_cpu_s=$(awk -v b="$((busy1 - busy0))" -v o="$((ours1 - ours0))" -v hz="$hz" 'BEGIN{x=(b-o)/hz; if(x<0)x=0; printf "%.1f", x}')
steal_s=$(awk -v s="$((steal1 - steal0))" -v hz="$hz" 'BEGIN{printf "%.1f", s/hz}')

# --- table -----------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
python3 - "$work/run.json" "$reps" "$elapsed" "$(nproc)" "$cpu" "$other_cpu_s" "$steal_s" "$run_date" \
  "${sizes[@]}" <<'PY'
import json, sys
a = sys.argv
json.dump({'reps': int(a[2]), 'elapsed_s': int(a[3]), 'nproc': int(a[4]), 'cpu': a[5], 'other_cpu_s': float(a[6]),
           'steal_s': float(a[7]), 'date': a[8], 'sizes': [int(x) for x in a[9:]]}, open(a[1], 'w'), indent=1)
PY
print_table "$work"
