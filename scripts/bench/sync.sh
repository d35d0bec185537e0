#!/usr/bin/env bash
# sync.sh: esfs sync side by side with the reference client (refclient.js
# pull/push: earthstar 5.7.6's OnePubOneWorkspaceSyncer) against the same
# REAL reference pub (earthstar-pub 6.0.5, memory storage, 127.0.0.1); one
# table with docs/s, peak RSS and the ratios, then save-to-visible latency
# between two mounts.
#
#   bash scripts/bench/sync.sh [--quick] [--sizes "N ..."] [--saves S]
#                              [--pull-reps R] [--no-latency] [--esfs PATH]
#                              [--out DIR]
#
#   --quick        N = 10,000 only (default: 10,000 and 100,000)
#   --sizes        the workspace sizes to run, e.g. "10000 50000"
#   --saves S      saves timed for the latency (default 100)
#   --pull-reps R  pulls per tool and N below 100,000, alternating esfs and
#                  the reference; the table shows medians (default 3)
#   --no-latency   skip the two-mount latency part (needs /dev/fuse)
#   --esfs PATH    the esfs binary (default: build/esfs)
#   --out DIR      keep the raw lines (raw.tsv) and logs in DIR
#
# Per N: node signs N documents with the reference library (200-byte
# contents, one author) and `esfs import` loads them into store A (not
# timed). Push: `esfs sync WS --once` from A to a fresh pub, then
# `refclient push` of the same file to another fresh pub. Pull: a fresh
# store B runs `esfs sync WS --once` against the filled pub, then
# `refclient pull` from it. Every timing is one whole process, start to
# exit, under /usr/bin/time (wall time, peak RSS); the reference client's
# fixed 150 ms sleep and node's start-up are part of its time as esfs's
# start-up is part of ours. Each result is checked: the pub (or store)
# must hold N documents afterwards, else the row says why.
#
# Latency: two stores, two identities, two mounts (`esfs mount`) with the
# same pub; S times a file is written in mount A and mount B is polled
# (every 2 ms) until it reads the new content; p50, p99, max. One untimed
# warm-up save goes through first (both mounts synced and streaming).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
kit="${ES4_INTEROP_KIT:-$(dirname "$repo")/shared/interop}"

sizes="10000 100000"
saves=100
pull_reps=3
latency=1
esfs="$repo/build/esfs"
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) sizes="10000" ;;
    --sizes) sizes="${2:?--sizes needs a list}"; shift ;;
    --saves) saves="${2:?--saves needs a number}"; shift ;;
    --pull-reps) pull_reps="${2:?--pull-reps needs a number}"; shift ;;
    --no-latency) latency=0 ;;
    --esfs) esfs="${2:?--esfs needs a path}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

command -v node >/dev/null || { echo "sync.sh: node is needed for the reference" >&2; exit 1; }
command -v python3 >/dev/null || { echo "sync.sh: python3 is needed for the table" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "sync.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
[[ -x "$esfs" ]] || { echo "sync.sh: no esfs binary at $esfs (build first, or --esfs PATH)" >&2; exit 1; }
[[ -f "$kit/start-pub.sh" ]] || { echo "sync.sh: interop kit not found at $kit" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/var/tmp}/esfs-syncbench.XXXXXX")"
[[ -n "$out" ]] && mkdir -p "$out"
raw="${out:-$work}/raw.tsv"
: >"$raw"
ws="+bench.esfs"
pubs=()
mounts=()

cleanup() {
  local m p
  for m in "${mounts[@]}"; do "$esfs" umount "$m" >/dev/null 2>&1 || fusermount3 -uz "$m" >/dev/null 2>&1 || true; done
  for p in "${pubs[@]}"; do [[ -f "$p/pub.pid" ]] && kill "$(cat "$p/pub.pid")" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "$out" ]] && cp "$work"/*.log "$out"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_pub NAME: a fresh memory pub; sets $url.
start_pub() {
  local dir="$work/pub-$1" port
  port="$(free_port)"
  mkdir -p "$dir"
  pubs+=("$dir")
  bash "$kit/start-pub.sh" "$port" "$dir" >"$work/pub-$1.log" 2>&1 &
  for _ in $(seq 600); do
    grep -q "ES4-PUB READY" "$work/pub-$1.log" 2>/dev/null && { url="http://127.0.0.1:$port"; return 0; }
    sleep 0.1
  done
  echo "sync.sh: pub $1 did not start: $(cat "$work/pub-$1.log")" >&2
  exit 1
}

stop_pub() {
  local dir="$work/pub-$1"
  [[ -f "$dir/pub.pid" ]] && kill "$(cat "$dir/pub.pid")" 2>/dev/null || true
  sleep 0.3
}

# How many documents the pub at $1 holds for $ws.
pub_count() {
  curl -sf "$1/earthstar-api/v1/$ws/documents" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0
}

# timed LABEL CMD...: runs CMD under /usr/bin/time; sets $secs, $rss_kb, $rc.
timed() {
  local label="$1"; shift
  set +e
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/$label.out" 2>"$work/$label.log"
  rc=$?
  set -e
  # On failure time(1) writes "Command exited with non-zero status N" first.
  read -r secs rss_kb < <(tail -n 1 "$work/time.txt") || { secs=0; rss_kb=0; }
}

# record N OP TOOL OK_COUNT: one raw line; the docs/s only if all N arrived.
record() {
  local n="$1" op="$2" tool="$3" got="$4" note=""
  if [[ "$rc" != 0 ]]; then note="exit $rc: $(grep -Ev '^\s*(at .*)?$' "$work/$op-$tool-$n.log" | tail -1 | cut -c1-100)"; fi
  if [[ "$got" != "$n" ]]; then note="${note:+$note; }holds $got of $n"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$op" "$tool" "$secs" "$rss_kb" "$note" >>"$raw"
  echo "sync.sh: N=$n $op $tool: ${secs}s, peak RSS $((rss_kb / 1024)) MB${note:+ ($note)}" >&2
}

gen_docs() {  # gen_docs N FILE KEYPAIR
  node - "$1" "$2" "$3" "$kit" "$ws" <<'EOF'
const [n, file, keyfile, kit, ws] = process.argv.slice(2);
const es = require(kit + '/kitdeps').load().es5;
const fs = require('fs');
const keypair = es.generateAuthorKeypair('suzy');
fs.writeFileSync(keyfile, JSON.stringify(keypair));
const now = Date.now() * 1000;
const out = fs.createWriteStream(file);
out.write('[');
for (let i = 0; i < +n; i++) {
  const content = ('document ' + i + ' ').padEnd(200, 'x');
  const doc = { format: 'es.4', workspace: ws, path: '/bench/' + Math.floor(i / 1000) + '/' + i + '.txt',
    contentHash: es.sha256base32(content), content, author: keypair.address,
    timestamp: now - (+n - i), deleteAfter: null, signature: '' };
  out.write((i ? ',\n' : '\n') + JSON.stringify(es.ValidatorEs4.signDocument(keypair, doc)));
}
out.end('\n]\n');
EOF
}

echo "sync.sh: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), esfs $esfs" >&2
for n in $sizes; do
  docs="$work/docs-$n.json"
  gen_docs "$n" "$docs" "$work/suzy-$n.json"
  a="$work/a-$n" b="$work/b-$n"
  "$esfs" --data "$a" workspace add "$ws" 2>/dev/null
  "$esfs" --data "$a" import "$ws" "$docs" >/dev/null
  # Push: esfs.
  start_pub "push-esfs-$n"; esfs_pub="$url"
  "$esfs" --data "$a" workspace add "$ws" --pub "$esfs_pub" 2>/dev/null
  timed "push-esfs-$n" "$esfs" --data "$a" sync "$ws" --once
  record "$n" push esfs "$(pub_count "$esfs_pub")"
  # Push: the reference client, the same documents.
  start_pub "push-ref-$n"; ref_pub="$url"
  timed "push-ref-$n" node "$kit/refclient.js" push "$ref_pub" "$ws" "$docs"
  record "$n" push ref "$(pub_count "$ref_pub")"
  stop_pub "push-ref-$n"
  # Pull from the pub esfs filled: esfs into a fresh store, then the
  # reference; $pull_reps times, alternating (the table takes medians).
  for r in $(seq "$pull_reps"); do
    rm -rf "$b" "$work/pulled-$n.json"
    "$esfs" --data "$b" workspace add "$ws" --pub "$esfs_pub" 2>/dev/null
    timed "pull-esfs-$n" "$esfs" --data "$b" sync "$ws" --once
    record "$n" pull esfs "$("$esfs" --data "$b" export "$ws" 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
    timed "pull-ref-$n" node "$kit/refclient.js" pull "$esfs_pub" "$ws" --out "$work/pulled-$n.json"
    record "$n" pull ref "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$work/pulled-$n.json" 2>/dev/null || echo 0)"
    [[ "$n" -ge 100000 ]] && break  # the reference's 100,000-document pull takes minutes
  done
  stop_pub "push-esfs-$n"
  rm -rf "$a" "$b" "$docs" "$work/pulled-$n.json"
done

latency_line=""
if [[ "$latency" == 1 ]]; then
  start_pub latency; lat_pub="$url"
  for who in a b; do
    d="$work/lat-$who"
    mkdir -p "$d/mnt"
    name=suzy; [[ "$who" == b ]] && name=matt
    "$esfs" --data "$d/data" --key "$d/key.json" keygen "$name" >/dev/null
    "$esfs" --data "$d/data" workspace add "$ws" --pub "$lat_pub" 2>/dev/null
    "$esfs" --data "$d/data" --key "$d/key.json" mount "$d/mnt" 2>"$work/mount-$who.log"
    mounts+=("$d/mnt")
  done
  latency_line="$(python3 - "$work/lat-a/mnt/$ws" "$work/lat-b/mnt/$ws" "$saves" <<'EOF'
import os, sys, time
a, b, saves = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(a + "/lat", exist_ok=True)
def read(p):
    try:
        with open(p) as f: return f.read()
    except OSError: return None
# Untimed warm-up: one save must go through before timing starts, so that
# both mounts' first passes and live streams are up (steady state).
t0 = time.monotonic()
with open(os.path.join(a, "lat/warmup.txt"), "w") as f: f.write("warm-up\n")
while read(os.path.join(b, "lat/warmup.txt")) != "warm-up\n":
    if time.monotonic() - t0 > 60: sys.exit("the warm-up save never became visible in mount B")
    time.sleep(0.01)
lat = []
for i in range(saves):
    name = "lat/%d.txt" % (i % 10)
    text = "save %d at %f\n" % (i, time.time())
    t0 = time.monotonic()
    with open(os.path.join(a, name), "w") as f: f.write(text)
    while read(os.path.join(b, name)) != text:
        if time.monotonic() - t0 > 30: sys.exit("save %d never became visible in mount B" % i)
        time.sleep(0.002)
    lat.append(time.monotonic() - t0)
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * len(lat) + 0.5)) - 1)]
print("%d\t%.0f\t%.0f\t%.0f" % (len(lat), pct(50) * 1000, pct(99) * 1000, lat[-1] * 1000))
EOF
)"
fi

python3 - "$raw" "$latency_line" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
import statistics
runs = {}
for n, op, tool, secs, rss, note in rows:
    runs.setdefault((int(n), op, tool), []).append((float(secs), int(rss) / 1024, note))
# Repeated cells (the pulls): median time, highest peak RSS, the first note.
res = {k: (statistics.median(r[0] for r in v), max(r[1] for r in v), next((r[2] for r in v if r[2]), ""))
       for k, v in runs.items()}
reps = {k: len(v) for k, v in runs.items()}
print("| N | operation | esfs docs/s | reference docs/s | esfs ÷ ref | esfs peak RSS | reference peak RSS | RSS ratio |")
print("|---:|---|---:|---:|---:|---:|---:|---:|")
def cell(n, r):
    secs, rss, note = r
    return ("%s" % note if note else "{:,.0f}".format(n / secs) if secs > 0 else "?"), "%.0f MB" % rss
for n in sorted({k[0] for k in res}):
    for op in ("pull", "push"):
        e, f = res.get((n, op, "esfs")), res.get((n, op, "ref"))
        if not e or not f: continue
        er, em = cell(n, e)
        fr, fm = cell(n, f)
        ratio = "%.1f×" % (f[0] / e[0]) if not e[2] and not f[2] and e[0] > 0 else "—"
        rss_ratio = "%.2f" % (e[1] / f[1]) if f[1] > 0 else "—"
        label = op if reps.get((n, op, "esfs"), 1) == 1 else "%s (median of %d)" % (op, reps[(n, op, "esfs")])
        print("| {:,} | {} | {} | {} | {} | {} | {} | {} |".format(n, label, er, fr, ratio, em, fm, rss_ratio))
lat = sys.argv[2]
if lat:
    k, p50, p99, mx = lat.split("\t")
    print()
    print("Save in mount A → readable in mount B (%s saves): p50 %s ms, p99 %s ms, max %s ms (target p99 < 1,000 ms)." % (k, p50, p99, mx))
EOF
