#!/usr/bin/env bash
# binary.sh: a 2.9 MB binary file under a name outside the binary-extension
# list (stored as a data URL, docs/content.md) on esfs and on bindfs, side by
# side in one run, and the cost of keeping local versions on the save path.
#
#   bash scripts/bench/binary.sh [--reps R] [--dir PARENT]
#
# Cases, each R times per file system, interleaved (median shown):
#   write   open(O_TRUNC)+write (128 KiB writes)+fsync+close of 2,900,000
#           random bytes; on esfs every rep replaces the previous content,
#           so each one also keeps a local version of ~3.9 MB
#   read    read it back after dropping the page cache (128 KiB reads)
# Counted as well as timed (the machine is shared and loaded): bytes the
# esfs daemon wrote (/proc/PID/io write_bytes) per first save (nothing to
# keep) and per overwrite (the replaced content is kept), and the store's
# versions (esfs config / the history folder).
# BENCH_TEXT=1: ASCII text of the same size instead (stored as it is), the
# anchor for what the data-URL encoding adds.
# Run as root (mounts). ESFS_BIN: the esfs binary (default ./build/esfs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
reps=5
parent=/var/tmp
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --dir) parent="$2"; shift 2 ;;
    *) echo "usage: $0 [--reps R] [--dir PARENT]" >&2; exit 2 ;;
  esac
done
esfs="${ESFS_BIN:-$repo/build/esfs}"
[[ -x $esfs ]] || { echo "no esfs binary at $esfs" >&2; exit 1; }
command -v bindfs >/dev/null || { echo "bindfs is missing (apt-get install bindfs)" >&2; exit 1; }
work="$(mktemp -d "$parent/esfs-binary-bench.XXXXXX")"
ws="+bench.esfs"
data="$work/data" key="$work/key.json"
mkdir -p "$work/esfs" "$work/bindfs" "$work/backing"
pid=""
cleanup() {
  fusermount3 -u "$work/esfs" 2>/dev/null || fusermount3 -uz "$work/esfs" 2>/dev/null || true
  fusermount3 -u "$work/bindfs" 2>/dev/null || fusermount3 -uz "$work/bindfs" 2>/dev/null || true
  [[ -n $pid ]] && wait "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$esfs" --data "$data" --key "$key" keygen bnch >/dev/null
"$esfs" --data "$data" --key "$key" workspace add "$ws" >/dev/null
fifo="$work/ready"; mkfifo "$fifo"
"$esfs" --data "$data" --key "$key" mount "$work/esfs" --workspace "$ws" -f --ready-fd 3 3>"$fifo" \
  >"$work/esfs.log" 2>&1 &
pid=$!
read -r -t 60 line <"$fifo"; [[ $line == ready ]] || { cat "$work/esfs.log"; exit 1; }
bindfs --multithreaded -o big_writes "$work/backing" "$work/bindfs"

python3 - "$work" "$reps" "$pid" <<'PY'
import os, statistics, sys, time
work, reps, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size, chunk = 2_900_000, 128 << 10
def wbytes():
    with open(f"/proc/{pid}/io") as f:
        return int(next(l for l in f if l.startswith("write_bytes")).split()[1])
def drop():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f: f.write("3")
def write(path, data):
    t = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for i in range(0, len(data), chunk): os.write(fd, data[i:i + chunk])
    os.fsync(fd); os.close(fd)
    return time.perf_counter() - t
def read(path):
    drop()
    t = time.perf_counter()
    fd = os.open(path, os.O_RDONLY); got = b""
    while True:
        b = os.read(fd, chunk)
        if not b: break
        got += b
    os.close(fd)
    return time.perf_counter() - t, got
times = {("write", "esfs"): [], ("write", "bindfs"): [], ("read", "esfs"): [], ("read", "bindfs"): []}
written = []
for rep in range(reps):
    data = os.urandom(size)
    if os.environ.get("BENCH_TEXT"):  # the anchor: UTF-8 text, stored as it is
        data = bytes(65 + b % 26 for b in data)
    for fs in ("bindfs", "esfs"):
        path = f"{work}/{fs}/photo-{fs}"
        before = wbytes()
        times[("write", fs)].append(write(path, data))
        if fs == "esfs": written.append(wbytes() - before)
        t, got = read(path)
        assert got == data, f"{fs}: read back differs"
        times[("read", fs)].append(t)
print("| case | bindfs (median ms) | esfs (median ms) | esfs / bindfs |")
print("|---|---|---|---|")
for case in ("write", "read"):
    b = statistics.median(times[(case, "bindfs")]) * 1000
    e = statistics.median(times[(case, "esfs")]) * 1000
    print(f"| {case} 2.9 MB ({reps} reps) | {b:.1f} | {e:.1f} | {e / b:.2f}x |")
print()
print(f"esfs daemon write_bytes per save: first save (nothing kept) {written[0] / 1e6:.2f} MB; "
      f"overwrites (the replaced ~3.87 MB data URL kept as a local version) median "
      f"{statistics.median(written[1:]) / 1e6:.2f} MB" if len(written) > 1 else "")
kept = [n for n in os.listdir(f"{work}/esfs/.esfs-history/photo-esfs") if not n.startswith("@")]
print(f"local versions of photo-esfs: {len(kept)} (expected {reps - 1})")
PY
