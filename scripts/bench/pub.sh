#!/usr/bin/env bash
# pub.sh: `esfs pub` side by side with the REAL reference pub (earthstar-pub
# 6.0.5, memory storage, 127.0.0.1) in the same run (issue #20).
#
#   bash scripts/bench/pub.sh [--sizes "10000 100000"] [--esfs PATH] [--out DIR]
#
# 1. Push and pull 10,000 documents (200-byte contents, signed by node with
#    the reference library): the reference client (refclient.js push =
#    pushOnce, one POST; pull = pullOnce) against each pub, and esfs's
#    client (`esfs sync --once`) against each pub. docs/s of the whole
#    client process; every result is checked (the pub or store must hold
#    all N afterwards, else the row says why).
# 2. Resync after one change, per N in --sizes: a client store already in
#    sync with a pub of N documents; one new document reaches the pub; the
#    client syncs again (a first pass pushes everything to the pub, a
#    second one catches up; then the change). The bytes on the wire (both directions, HTTP
#    headers included) and the requests are counted by a TCP proxy in front
#    of the pub: esfs's client with esfs pub (incremental extension),
#    esfs's client with the reference pub (the full protocol: it pulls the
#    whole listing and pushes what the pub lacks) and the reference client
#    (syncLocalAndHttp: pull all, push all) with the reference pub.
# 3. Each pub's resident memory (VmRSS, and VmHWM = peak) holding the
#    largest N, after serving one full listing.
# Figures on a shared, loaded machine: count bytes and requests first, time second.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
kit="${ES4_INTEROP_KIT:-$(dirname "$repo")/shared/interop}"
sizes="10000 100000"
esfs="$repo/build/esfs"
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --sizes) sizes="${2:?--sizes needs a list}"; shift ;;
    --esfs) esfs="${2:?--esfs needs a path}"; shift ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pub.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in node python3 curl; do command -v "$tool" >/dev/null || { echo "pub.sh: $tool is needed" >&2; exit 1; }; done
[[ -x "$esfs" ]] || { echo "pub.sh: no esfs binary at $esfs (build first, or --esfs PATH)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/var/tmp}/esfs-pubbench.XXXXXX")"
[[ -n "$out" ]] && mkdir -p "$out"
ws="+bench.esfs"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -n "$out" ]] && cp "$work"/*.log "$work"/*.tsv "$out"/ 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_s() { python3 -c 'import time; print(time.monotonic())'; }
count_json() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo 0; }
pub_count() { curl -sf "$1/earthstar-api/v1/$ws/documents" | count_json; }

# start_ref NAME / start_esfs NAME: a fresh pub; sets $url and $pid.
start_ref() {
  local dir="$work/ref-$1" port
  port="$(free_port)"; mkdir -p "$dir"
  bash "$kit/start-pub.sh" "$port" "$dir" >"$work/ref-$1.log" 2>&1 &
  for _ in $(seq 600); do
    grep -q "ES4-PUB READY" "$work/ref-$1.log" 2>/dev/null && break
    sleep 0.1
  done
  pid="$(cat "$dir/pub.pid")"; pids+=("$pid"); url="http://127.0.0.1:$port"
}
start_esfs() {
  local port
  port="$(free_port)"
  "$esfs" pub --host 127.0.0.1 --port "$port" --data "$work/esfs-$1" >"$work/esfs-$1.log" 2>&1 &
  pid=$!; pids+=("$pid"); url="http://127.0.0.1:$port"
  for _ in $(seq 200); do grep -q "listening on" "$work/esfs-$1.log" && return 0; sleep 0.05; done
  echo "pub.sh: esfs pub did not start: $(cat "$work/esfs-$1.log")" >&2; exit 1
}
# start_proxy TARGET_URL: a byte-counting TCP proxy; sets $purl and $pcount (its counter file).
start_proxy() {
  local port; port="$(free_port)"; pcount="$work/proxy-$port.count"
  python3 - "$port" "${1#http://127.0.0.1:}" "$pcount" <<'EOF' &
import asyncio, sys
port, target, counter = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
totals = {"up": 0, "down": 0, "connections": 0, "requests": 0}
def save():
    with open(counter + ".tmp", "w") as f: f.write("%(up)d %(down)d %(connections)d %(requests)d\n" % totals)
    import os; os.replace(counter + ".tmp", counter)
async def pump(reader, writer, key):
    try:
        while True:
            data = await reader.read(65536)
            if not data: break
            totals[key] += len(data)
            if key == "up": totals["requests"] += sum(data.count(m) for m in (b"GET /", b"POST /"))
            writer.write(data); await writer.drain()
    except Exception: pass
    finally:
        try: writer.close()
        except Exception: pass
async def handle(cr, cw):
    totals["connections"] += 1
    sr, sw = await asyncio.open_connection("127.0.0.1", target)
    await asyncio.gather(pump(cr, sw, "up"), pump(sr, cw, "down"))
    save()
async def main():
    save()
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server: await server.serve_forever()
asyncio.run(main())
EOF
  pids+=("$!"); purl="http://127.0.0.1:$port"
  for _ in $(seq 100); do [[ -f "$pcount" ]] && return 0; sleep 0.05; done
}
counts() { sleep 0.3; cat "$pcount"; }  # up down connections requests (after the client's sockets closed)

gen_docs() {  # gen_docs N FILE KEYPAIR PREFIX
  node - "$1" "$2" "$3" "$kit" "$ws" "$4" <<'EOF'
const [n, file, keyfile, kit, ws, prefix] = process.argv.slice(2);
const es = require(kit + '/kitdeps').load().es5;
const fs = require('fs');
const keypair = fs.existsSync(keyfile) ? JSON.parse(fs.readFileSync(keyfile)) : es.generateAuthorKeypair('suzy');
fs.writeFileSync(keyfile, JSON.stringify(keypair));
const now = Date.now() * 1000;
const out = fs.createWriteStream(file);
out.write('[');
for (let i = 0; i < +n; i++) {
  const content = ('document ' + i + ' ').padEnd(200, 'x');
  const doc = { format: 'es.4', workspace: ws, path: '/' + prefix + '/' + Math.floor(i / 1000) + '/' + i + '.txt',
    contentHash: es.sha256base32(content), content, author: keypair.address,
    timestamp: now - (+n - i), deleteAfter: null, signature: '' };
  out.write((i ? ',\n' : '\n') + JSON.stringify(es.ValidatorEs4.signDocument(keypair, doc)));
}
out.end('\n]\n');
EOF
}

rows="$work/rows.tsv"; : >"$rows"
row() { printf '%s\n' "$*" | tee -a "$rows" >&2; }
echo "pub.sh: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# ---- 1. push and pull 10,000 ----
n=10000
gen_docs "$n" "$work/docs.json" "$work/suzy.json" bench
for kind in esfs ref; do
  # The reference client: push (one POST of all), then pull.
  "start_$kind" "push-$kind"; target="$url"
  t0="$(now_s)"; node "$kit/refclient.js" push "$target" "$ws" "$work/docs.json" >"$work/refpush-$kind.log" 2>&1 || true; t1="$(now_s)"
  got="$(pub_count "$target")"
  row "push	$n	refclient	$kind-pub	$(python3 -c "print(round($n/($t1-$t0)))")	holds=$got"
  t0="$(now_s)"; node "$kit/refclient.js" pull "$target" "$ws" --out "$work/pulled.json" >"$work/refpull-$kind.log" 2>&1 || true; t1="$(now_s)"
  got="$(count_json <"$work/pulled.json")"
  row "pull	$n	refclient	$kind-pub	$(python3 -c "print(round($n/($t1-$t0)))")	got=$got"
  # esfs's client: push from a store holding the documents to a fresh pub, pull into a fresh store.
  "start_$kind" "push2-$kind"; target2="$url"
  a="$work/client-a-$kind"; "$esfs" --data "$a" workspace add "$ws" --pub "$target2" >/dev/null 2>&1
  "$esfs" --data "$a" import "$ws" "$work/docs.json" >/dev/null
  t0="$(now_s)"; "$esfs" --data "$a" sync --once >"$work/esfspush-$kind.log" 2>&1 || true; t1="$(now_s)"
  got="$(pub_count "$target2")"
  row "push	$n	esfs-client	$kind-pub	$(python3 -c "print(round($n/($t1-$t0)))")	holds=$got"
  b="$work/client-b-$kind"; "$esfs" --data "$b" workspace add "$ws" --pub "$target2" >/dev/null 2>&1
  t0="$(now_s)"; "$esfs" --data "$b" sync --once >"$work/esfspull-$kind.log" 2>&1 || true; t1="$(now_s)"
  got="$("$esfs" --data "$b" export "$ws" 2>/dev/null | count_json)"
  row "pull	$n	esfs-client	$kind-pub	$(python3 -c "print(round($n/($t1-$t0)))")	got=$got"
  rm -rf "$a" "$b"
done

# ---- 2. resync after one change, 3. RSS ----
for n in $sizes; do
  gen_docs "$n" "$work/docs-$n.json" "$work/suzy.json" "big$n"
  gen_docs 1 "$work/one-$n.json" "$work/suzy.json" "later$n"
  gen_docs 1 "$work/two-$n.json" "$work/suzy.json" "reflater$n"
  for kind in esfs ref; do
    "start_$kind" "resync-$kind-$n"; target="$url"; target_pid="$pid"
    start_proxy "$target"
    # esfs's client, in sync first (through the proxy: same URL throughout).
    c="$work/resync-client-$kind-$n"
    "$esfs" --data "$c" workspace add "$ws" --pub "$purl" >/dev/null 2>&1
    "$esfs" --data "$c" import "$ws" "$work/docs-$n.json" >/dev/null
    "$esfs" --data "$c" sync --once >"$work/resync-first-$kind-$n.log" 2>&1 || true
    full="$(counts)"
    # A second pass: with esfs pub it pulls back once what the first one
    # pushed (those documents got the pub's numbers after it); from then on
    # the two are in the steady state that a resync starts from.
    "$esfs" --data "$c" sync --once >"$work/resync-catchup-$kind-$n.log" 2>&1 || true
    catchup="$(counts)"
    curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/one-$n.json" \
      "$target/earthstar-api/v1/$ws/documents" >/dev/null
    before="$(counts)"
    "$esfs" --data "$c" sync --once >"$work/resync-second-$kind-$n.log" 2>&1 || true
    after="$(counts)"
    row "resync	$n	esfs-client	$kind-pub	first-pass:$full	after-catch-up:$catchup	one-change:$(python3 -c "
b=list(map(int,'$before'.split())); a=list(map(int,'$after'.split()))
print('up=%d down=%d requests=%d' % (a[0]-b[0], a[1]-b[1], a[3]-b[3]))")	$(tail -1 "$work/resync-second-$kind-$n.log")"
    if [[ "$kind" == ref ]]; then
      # The reference client: a store file already holding everything.
      curl -sf "$target/earthstar-api/v1/$ws/documents" >"$work/refstore-$n.json"
      curl -sf -X POST -H 'Content-Type: application/json' --data-binary @"$work/two-$n.json" \
        "$target/earthstar-api/v1/$ws/documents" >/dev/null
      before="$(counts)"
      node "$kit/refclient.js" sync "$purl" "$ws" "$work/refstore-$n.json" >"$work/refsync-$n.log" 2>&1 || true
      after="$(counts)"
      row "resync	$n	refclient	ref-pub	-	one-change:$(python3 -c "
b=list(map(int,'$before'.split())); a=list(map(int,'$after'.split()))
print('up=%d down=%d requests=%d' % (a[0]-b[0], a[1]-b[1], a[3]-b[3]))")	$(tr -d '\n ' <"$work/refsync-$n.log" | tail -c 200)"
    fi
    # The pub's memory holding N (+ a few) documents, after one full listing.
    curl -sf "$target/earthstar-api/v1/$ws/documents" >/dev/null
    row "rss	$n	-	$kind-pub	$(awk '/VmRSS|VmHWM/ {printf "%s=%d MB ", $1, $2/1024}' "/proc/$target_pid/status")"
    kill "$target_pid" 2>/dev/null || true
    rm -rf "$c" "$work/esfs-resync-$kind-$n"
  done
done
echo
echo "kind	N	client	pub	figures"
cat "$rows"
