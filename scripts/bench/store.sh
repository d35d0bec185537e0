#!/usr/bin/env bash
# store.sh: the LMDB document store side by side with the reference library
# (earthstar 5.7.6's StorageMemory and StorageSqlite, via the interop kit) and
# with bare libsodium verification of the same documents; one table.
#
#   bash scripts/bench/store.sh [--quick] [--reps R] [--dir PARENT] [--out DIR]
#
#   --quick       N = 10,000 and a 100,000-document workspace for look-ups
#                 (default: N = 100,000 and 1,000,000)
#   --reps R      runs per throughput measurement; the table shows the median
#                 (default 3; the reference's sqlite storage always runs once)
#   --dir PARENT  where the temporary stores go (default /var/tmp); must be a
#                 real disk, not tmpfs, or fsync costs nothing
#   --out DIR     keep the raw JSON lines (and the stores) in DIR
#
# What runs: store_bench gen signs the documents once (M of them, on every
# core); ref_store.js ingests the first N into StorageMemory and the first
# 10,000 into StorageSqlite (it manages ~600 docs/s, so more would take
# minutes), and each set again; store_bench ingest verifies the first N with
# bare libsodium, ingests them into fresh stores in batches of 1,000 (path
# order, two callers, shuffled order), re-ingests them, then fills the store
# up to M; store_bench lookup times Winner, ListFolder and QueryDocuments in a
# fresh process and reports its peak RSS and the size of data.mdb.
#
# Builds build/store_bench if needed (as core.sh does: ./build unless it is a
# Debug or sanitizer build, else ./build-bench). Needs node (and, once, ~70 s
# to compile better-sqlite3 for the kit). Exits non-zero if any document is
# not ACCEPTED / IGNORED / found as expected, or a program fails. Missed
# targets are reported, not fatal.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
kit="${ES4_INTEROP_KIT:-$(dirname "$repo")/shared/interop}"

quick=0
reps=3
parent="/var/tmp"
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="${2:?--reps needs a value}"; shift ;;
    --dir) parent="${2:?--dir needs a directory}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "store.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then n=10000; total=100000; else n=100000; total=1000000; fi
n_sqlite=10000
lookups=10000
listings=1000
batch=1000

command -v node >/dev/null || { echo "store.sh: node is needed for the reference library" >&2; exit 1; }
command -v python3 >/dev/null || { echo "store.sh: python3 is needed for the table" >&2; exit 1; }
[[ -f "$kit/ensure-deps.sh" ]] || { echo "store.sh: interop kit not found at $kit" >&2; exit 1; }

# --- build -----------------------------------------------------------------
source "$here/lib.sh"
bench_bin="$(build_bench_target store.sh store_bench)" || exit 1

# --- reference library (with its sqlite storage) -----------------------------
echo "store.sh: preparing the interop kit (first time: ~70 s to compile better-sqlite3)" >&2
bash "$kit/ensure-deps.sh" --sqlite >/dev/null

# --- work folder -------------------------------------------------------------
if [[ -n "$out" ]]; then
  mkdir -p "$out"
  work="$(cd "$out" && pwd)"
else
  mkdir -p "$parent"
  work="$(mktemp -d "$parent/esfs-store-bench.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
fstype="$(df -PT "$work" | awk 'NR==2{print $2}')"
if [[ "$(stat -f -c %T "$work")" == tmpfs || "$fstype" == tmpfs || "$fstype" == ramfs ]]; then
  echo "store.sh: $work is on $fstype, where fsync costs nothing; use --dir on a real disk" >&2
  exit 1
fi
need_mb=$(( quick == 1 ? 600 : 4500 ))
avail_mb=$(df -Pm "$work" | awk 'NR==2{print $4}')
if (( avail_mb < need_mb )); then
  echo "store.sh: $work has $avail_mb MB free; this run needs about $need_mb MB" >&2
  exit 1
fi

# --- run -------------------------------------------------------------------
# CPU time of the whole machine and of our own children (as core.sh), so the
# table can say how much CPU something else took meanwhile.
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8, $9}' /proc/stat; }
our_ticks() { awk '{print $16+$17}' "/proc/$$/stat"; }
read -r busy0 steal0 < <(machine_ticks)
ours0=$(our_ticks)
start=$(date +%s)
json_n=$(( n > n_sqlite ? n : n_sqlite ))

echo "store.sh: signing $total documents (store_bench gen)" >&2
"$bench_bin" gen --total "$total" --out "$work/docs.bin" --json-n "$json_n" --json "$work/docs.json" \
  >"$work/gen.jsonl"
echo "store.sh: reference earthstar 5.7.6: StorageMemory N=$n ($reps runs), StorageSqlite N=$n_sqlite (1 run)" >&2
mkdir -p "$work/ref"
ES4_INTEROP_KIT="$kit" node "$here/ref_store.js" --docs "$work/docs.json" --n-memory "$n" --n-sqlite "$n_sqlite" \
  --reps "$reps" --sqlite-reps 1 --batch "$batch" --dir "$work/ref" >"$work/ref.jsonl"
rm -f "$work/docs.json"
echo "store.sh: esfs: verify, ingest N=$n ($reps runs each), re-ingest, fill to $total" >&2
"$bench_bin" ingest --docs "$work/docs.bin" --dir "$work/esfs" --n "$n" --total "$total" --reps "$reps" \
  --batch "$batch" >"$work/ingest.jsonl"
rm -f "$work/docs.bin"
echo "store.sh: esfs: look-ups on $total documents (fresh process)" >&2
"$bench_bin" lookup --dir "$work/esfs" --total "$total" --lookups "$lookups" --listings "$listings" \
  >"$work/lookup.jsonl"
du_kb=$(du -k "$work/esfs/store/store/data.mdb" | cut -f1)
elapsed=$(( $(date +%s) - start ))
read -r busy1 steal1 < <(machine_ticks)
ours1=$(our_ticks)
hz=$(getconf CLK_TCK)
other_cpu_s=$(awk -v b="$((busy1 - busy0))" -v o="$((ours1 - ours0))" -v hz="$hz" 'BEGIN{x=(b-o)/hz; if(x<0)x=0; printf "%.1f", x}')
steal_s=$(awk -v s="$((steal1 - steal0))" -v hz="$hz" 'BEGIN{printf "%.1f", s/hz}')

# --- table -----------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
python3 - "$work" "$reps" "$elapsed" "$(nproc)" "$cpu" "$other_cpu_s" "$steal_s" "$du_kb" "$fstype" "$parent" \
  "$n" "$total" "$n_sqlite" "$batch" <<'PY'
import json, sys, datetime

(work, reps, elapsed, nproc, cpu, other_cpu, steal, du_kb, fstype, parent,
 n, total, n_sqlite, batch) = sys.argv[1:]
reps, elapsed, nproc = int(reps), int(elapsed), int(nproc)
other_cpu, steal, du_kb = float(other_cpu), float(steal), int(du_kb)
n, total, n_sqlite, batch = int(n), int(total), int(n_sqlite), int(batch)

def load(name):
    rows = {}
    with open(f"{work}/{name}") as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                r = json.loads(line)
                rows[r['op']] = r
    return rows

g, r, e, l = load('gen.jsonl'), load('ref.jsonl'), load('ingest.jsonl'), load('lookup.jsonl')
ok = all(x.get('failures', 0) == 0 for rows in (g, r, e, l) for x in rows.values())

def num(x): return f"{x:,.0f}"
def mib(b): return f"{b / 2**20:,.0f} MiB"
def us(x): return f"{x:,.1f} µs" if x < 1000 else f"{x / 1000:,.2f} ms"

bare = e['sodium_verify_all_cores']['rate']
mem, sql = r['ingest_memory']['rate'], r['ingest_sqlite']['rate']
mem_again, sql_again = r['reingest_memory']['rate'], r['reingest_sqlite']['rate']

print(f"# Store: ingest, re-ingest, look-ups  ({datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')})")
print(f"# machine: {nproc} cores, {cpu}; stores in {parent} ({fstype}), LMDB's default durable mode "
      "(every commit fsync'd); reference sqlite file in the same folder")
print(f"# reference: earthstar {r['info']['earthstar']} on node {r['info']['node']}; "
      f"median of {reps} run{'s' if reps != 1 else ''} per cell (reference StorageSqlite: 1 run)")
print(f"# documents: {total:,} signed by 4 authors ({num(g['generate_sign']['rate'])} docs/s on {g['generate_sign']['threads']} "
      f"threads), /bench/dir-NNNN/doc-NNNNNN.txt, 100 per folder, 200-byte content, in path order;")
print(f"#   esfs: Store::IngestMany, batches of {batch:,} (each a durable transaction; two callers: IngestBatch per batch); reference: ingestDocument() one by one (it has no batch call)")
print()
print(f"Throughput (N = {n:,} unless marked; docs/s, higher is better; 'cores used' = CPU time / wall time)")
print()
print("| operation | docs/s | / bare verify (all cores) | / reference memory | / reference sqlite | cores used |")
print("|---|---:|---:|---:|---:|---:|")
def row(label, rate, cores=None, vs_bare=True, vs_ref=True, ref_mem=mem, ref_sql=sql):
    cells = [label, num(rate),
             f"{100 * rate / bare:.0f} %" if vs_bare else "—",
             f"{rate / ref_mem:.1f}×" if vs_ref and ref_mem else "—",
             f"{rate / ref_sql:.0f}×" if vs_ref and ref_sql else "—",
             f"{cores:.2f}" if cores is not None else "—"]
    print("| " + " | ".join(cells) + " |")
sv = e['sodium_verify']
print(f"| bare libsodium verify, 1 core | {num(sv['rate'])} | {100 * sv['rate'] / bare:.0f} % | — | — | {sv['cpu_per_wall']:.2f} |")
print(f"| bare libsodium verify, {e['sodium_verify_all_cores']['threads']} threads (the CPU limit) | {num(bare)} | 100 % | — | — | "
      f"{e['sodium_verify_all_cores']['cpu_per_wall']:.2f} |")
vb = e['validate_batch']
row("esfs ValidateBatch alone (no store), batches of 1,000", vb['rate'], vb['cpu_per_wall'], vs_ref=False)
ing = e['ingest']
row("**esfs ingest**, path order, 1 caller", ing['rate'], ing['cpu_per_wall'])
row("esfs ingest, path order, 2 callers at once", e['ingest_2_callers']['rate'], e['ingest_2_callers']['cpu_per_wall'])
row("esfs ingest, shuffled order, 1 caller", e['ingest_shuffled']['rate'], e['ingest_shuffled']['cpu_per_wall'])
if 'ingest_fill' in e:
    f = e['ingest_fill']
    row(f"esfs ingest, path order, store growing {f['from']:,} → {f['to']:,} (1 run)", f['rate'], f['cpu_per_wall'])
print(f"| reference StorageMemory ingest | {num(mem)} | {100 * mem / bare:.0f} % | 1.0× | — | {r['ingest_memory']['cpu_per_wall']:.2f} |")
print(f"| reference StorageSqlite ingest (**N = {n_sqlite:,} only**: it is slow) | {num(sql)} | {100 * sql / bare:.1f} % | — | 1× | "
      f"{r['ingest_sqlite']['cpu_per_wall']:.2f} |")
ri = e['reingest']
print(f"| **esfs re-ingest** (all {n:,} already stored) | {num(ri['rate'])} | — | {ri['rate'] / mem_again:.0f}× (vs its re-ingest) | "
      f"{ri['rate'] / sql_again:.0f}× (vs its re-ingest) | {ri['cpu_per_wall']:.2f} |")
print(f"| reference StorageMemory re-ingest | {num(mem_again)} | — | 1.0× | — | {r['reingest_memory']['cpu_per_wall']:.2f} |")
print(f"| reference StorageSqlite re-ingest (N = {n_sqlite:,}) | {num(sql_again)} | — | — | 1× | "
      f"{r['reingest_sqlite']['cpu_per_wall']:.2f} |")
print()
if n != n_sqlite:
    print(f"(ratios to the reference's sqlite storage compare esfs at N = {n:,} with the reference at N = {n_sqlite:,}.)")
    print()
print(f"Latency on a {total:,}-document workspace (fresh process; untimed warm-up of 1,000 / 100 calls first)")
print()
print("| call | calls | p50 | p90 | p99 | max |")
print("|---|---:|---:|---:|---:|---:|")
def lat(label, x):
    print(f"| {label} | {x['count']:,} | {us(x['p50_us'])} | {us(x['p90_us'])} | {us(x['p99_us'])} | {us(x['max_us'])} |")
lat("Store::Winner(random path)", l['winner'])
lat("Store::ListFolder(random folder), 100 entries", l['list_folder'])
lat("Store::QueryDocuments{pathPrefix: random folder}, 100 docs", l['query_prefix'])
lat(f"Store::ListFolder(\"/bench/\"), {l['list_top_folder']['entries']:,} sub-folders", l['list_top_folder'])
lat(f"IngestBatch of {batch:,}, path order (N = {n:,})", e['ingest']['batch'])
lat(f"IngestBatch of {batch:,}, shuffled order", e['ingest_shuffled']['batch'])
lat(f"IngestBatch of {batch:,}, re-ingest", e['reingest']['batch'])
print()
lp = l['lookup_process']
ip = e['ingest_process']
lay = lp['layout']
print(f"Memory and disk ({total:,} documents)")
print()
print("| what | value |")
print("|---|---:|")
print(f"| data.mdb on disk (du) | {mib(du_kb * 1024)} = {du_kb * 1024 / total:,.0f} bytes/doc |")
parts = []
for name in ('docs', 'winners', 'by_author', 'by_time', 'changes'):
    if name in lay:
        parts.append(f"{name} {mib(lay[name]['pages'] * lay['page_size'])}")
print(f"| of which (LMDB pages per database) | {', '.join(parts)}; {lay['free_pages']:,} free pages |")
print(f"| look-up process peak RSS (VmHWM) | {mib(lp['vm_hwm'])}: {mib(lp['rss_anon'])} anonymous, "
      f"{mib(lp['rss_file'])} mapped pages of data.mdb (page cache, shared, reclaimable) |")
print(f"| ingest process peak RSS (VmHWM) | {mib(ip['vm_hwm'])} (includes the benchmark's own copies of the documents); at the end "
      f"{mib(ip['rss_anon'])} anonymous + {mib(ip['rss_file'])} mapped |")
print(f"| reference process max RSS (StorageMemory with {n:,} docs, then sqlite) | {mib(r['info']['max_rss'])} |")
print(f"| reference StorageSqlite file ({n_sqlite:,} docs) | {mib(r['ingest_sqlite']['sqlite_bytes'])} = "
      f"{r['ingest_sqlite']['sqlite_bytes'] / n_sqlite:,.0f} bytes/doc |")
print()

checks = []
def check(what, value, met):
    checks.append((what, value, met))
for label, op in (("path order", 'ingest'), ("shuffled order", 'ingest_shuffled')):
    rate = e[op]['rate']
    check(f"durable ingest ({label}) >= 80 % of bare verify on every core", f"{100 * rate / bare:.0f} %", rate >= 0.8 * bare)
    check(f"durable ingest ({label}) >= 50x reference StorageSqlite", f"{rate / sql:.0f}×", rate >= 50 * sql)
    check(f"durable ingest ({label}) >= 2.5x reference StorageMemory", f"{rate / mem:.2f}×", rate >= 2.5 * mem)
check("re-ingest of known documents >= 10x reference StorageMemory (its re-ingest)",
      f"{ri['rate'] / mem_again:.0f}×", ri['rate'] >= 10 * mem_again)
check("re-ingest of known documents >= 10x reference StorageMemory (its first ingest)",
      f"{ri['rate'] / mem:.0f}×", ri['rate'] >= 10 * mem)
for label, op in (("ListFolder", 'list_folder'), ("QueryDocuments{pathPrefix}", 'query_prefix')):
    p99 = l[op]['p99_us']
    check(f"100-entry prefix listing ({label}) in a {total:,}-doc workspace < 1 ms p99", us(p99), p99 < 1000)
print("Targets:")
for what, value, met in checks:
    print(f"  {what}: {value}  -> {'met' if met else 'MISSED'}")
print()
share = other_cpu / elapsed if elapsed else 0.0
print(f"(total benchmark time {elapsed} s; other processes used {other_cpu:.1f} CPU-s meanwhile = "
      f"{100 * share:.0f} % of one core; hypervisor steal {steal:.1f} s)")
if share > 0.10 or (elapsed and steal / elapsed > 0.10):
    print("WARNING: the machine was not idle during the run; the multi-core rows (and to a lesser "
          "degree all rows) understate what the code can do. Re-run on an idle machine.")
if not ok:
    print("ERROR: some documents were not ACCEPTED / IGNORED / found as expected (see stderr)", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
