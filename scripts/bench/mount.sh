#!/usr/bin/env bash
# mount.sh: the esfs mount side by side with tmpfs and bindfs, on the same
# operations and data, in one run; one table (Markdown).
#
#   bash scripts/bench/mount.sh [--quick] [--reps R] [--dir PARENT] [--keep]
#
#   --quick       smaller N (200 creates, 2,000 stats, 50 saves, 3 big files,
#                 a 400-file tarball, 10,000 documents for the memory check);
#                 about 1 minute. Default: 1,000 / 10,000 / 200 / 10 / 2,000
#                 and 100,000 documents; about 3-4 minutes on 2 cores.
#   --reps R      runs per case; the table shows the median (default 3)
#   --dir PARENT  where the work folder goes (default /var/tmp). Must be a
#                 real disk: the esfs store and bindfs's backing folder live
#                 there, and their fsyncs should cost what they cost.
#   --keep        keep the work folder (raw results, esfs log and store)
#
# The three file systems:
#   tmpfs   a fresh tmpfs (mount -t tmpfs; as root) - the kernel's limit
#   bindfs  bindfs --multithreaded -o big_writes over a folder on PARENT's
#           disk - a passthrough FUSE daemon, the FUSE-overhead limit
#   esfs    esfs mount --workspace +bench.esfs (the mount point is the
#           workspace), its data folder on PARENT's disk; every save is a
#           signed document, durable when close()/fsync() returns
#
# Cases (each run R times per file system, interleaved, in a fresh folder;
# timed inside scripts/bench/mount_ops.py, so no interpreter start-up):
#   create   create+write+close of N small files (~300 B each)
#   createsync  the same with fsync before each close: durable everywhere,
#            which esfs is in both cases (close() commits a signed document)
#   stat     stat of N files of one folder (made by esfs import for esfs)
#   ls       ls -l of that folder
#   save     N gio-style atomic saves of a 10 KB file: temp file
#            .goutputstream-XXXXXX, write, fsync, close, rename over it
#   seqwrite write K files of 3.9 MB (the es.4 limit is 4,000,000 bytes) in
#            128 KiB writes, fsync, close
#   seqread  read them back (128 KiB reads)
#   untar    tar -xf of a synthetic source tarball (text files, 100 B-48 KB,
#            some names with spaces, %, + and non-ASCII letters)
# stat and ls wait 1.2 s first, so that the kernel's 1 s entry/attribute
# caches have run out and the daemons answer every lookup.
# Then the esfs daemon's memory (VmRSS, VmHWM, RssAnon, RssFile) after the
# cases, and with 100,000 documents (signed by mount_gendocs.py, stored with
# esfs import): a fresh mount, then after stat+read of every one of them;
# and the time to look up the workspace folder of an all-workspaces mount.
#
# Builds esfs (./build, as scripts/build.sh would) unless ESFS_BIN is set.
# Installs bindfs and python3-cryptography with apt-get if missing (root).
# Everything is unmounted on exit (fusermount3 -u, then -uz). Exits non-zero
# if an operation fails or gives wrong data; missed targets are reported,
# not fatal.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ops="$here/mount_ops.py"
ws="+bench.esfs"

quick=0
reps=3
parent="/var/tmp"
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="${2:?--reps needs a value}"; shift ;;
    --dir) parent="${2:?--dir needs a directory}"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "mount.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then
  n_create=200; n_stat=2000; n_save=50; seq_k=3; n_tar=400; n_rss=10000
else
  n_create=1000; n_stat=10000; n_save=200; seq_k=10; n_tar=2000; n_rss=100000
fi
seq_bytes=3900000
create_bytes=300
save_bytes=10000

log() { echo "mount.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# --- what it needs -----------------------------------------------------------
[[ $(id -u) == 0 ]] || die "run as root (it mounts a tmpfs and installs bindfs if missing)"
need_pkgs=()
command -v bindfs >/dev/null || need_pkgs+=(bindfs)
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null || need_pkgs+=(python3-cryptography)
command -v fusermount3 >/dev/null || need_pkgs+=(fuse3)
command -v tar >/dev/null || need_pkgs+=(tar)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
install_missing_pkgs mount.sh "${need_pkgs[@]}" || die "could not install what the benchmark needs"

# --- build -------------------------------------------------------------------
if [[ -n "${ESFS_BIN:-}" ]]; then
  esfs="$ESFS_BIN"
else
  bdir="$repo/build"
  if [[ ! -f "$bdir/CMakeCache.txt" ]]; then
    log "configuring $bdir (RelWithDebInfo)"
    cmake -S "$repo" -B "$bdir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  fi
  btype="$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$bdir/CMakeCache.txt")"
  sanitize="$(sed -n 's/^ESFS_SANITIZE:[A-Z]*=//p' "$bdir/CMakeCache.txt")"
  case "$btype" in ""|Release|RelWithDebInfo) ;; *) log "WARNING: $bdir is a $btype build: numbers will be slow" ;; esac
  [[ "${sanitize:-OFF}" == OFF ]] || log "WARNING: $bdir is a sanitizer build: numbers will be slow"
  log "building esfs in $bdir"
  built=0
  for attempt in 1 2 3; do  # others build in the same folder: retry on a collision
    if cmake --build "$bdir" --target esfs -j"$(nproc)" >&2; then built=1; break; fi
    log "build attempt $attempt failed; retrying"
    sleep 5
  done
  [[ $built == 1 ]] || die "could not build esfs"
  esfs="$bdir/esfs"
fi
[[ -x "$esfs" ]] || die "no esfs binary at $esfs"

# --- work folder, mounts, cleanup ------------------------------------------------
mkdir -p "$parent"
work="$(mktemp -d "$parent/esfs-mount-bench.XXXXXX")"
fuse_mounts=()
tmpfs_mounts=()
daemon_pids=()
cleanup() {
  set +e
  for m in "${fuse_mounts[@]}"; do
    if mountpoint -q "$m" 2>/dev/null || ! stat "$m" >/dev/null 2>&1; then
      fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null
    fi
  done
  for m in "${tmpfs_mounts[@]}"; do
    mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m"; }
  done
  for pid in "${daemon_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  local busy=0
  for m in "${fuse_mounts[@]}" "${tmpfs_mounts[@]}"; do mountpoint -q "$m" 2>/dev/null && busy=1; done
  if [[ $keep == 1 || $busy == 1 ]]; then
    log "work folder kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

data="$work/esfs-data"
key="$work/identity.json"
mnt_tmpfs="$work/tmpfs"
mnt_bindfs="$work/bindfs"
back_bindfs="$work/bindfs-backing"
mnt_esfs="$work/esfs"
mnt_all="$work/esfs-all"
results="$work/results.jsonl"
memory="$work/memory.jsonl"
daemon_log="$work/esfs-daemon.log"
mkdir -p "$mnt_tmpfs" "$mnt_bindfs" "$back_bindfs" "$mnt_esfs" "$mnt_all"
: >"$results"
: >"$memory"

# esfs in the foreground (its pid is ours to watch), told to say "ready" on
# fd 3 once the kernel has the mount. Sets esfs_pid.
esfs_pid=""
mount_esfs() {
  local mnt="$1"; shift
  local fifo="$work/ready.fifo" line=""
  rm -f "$fifo"; mkfifo "$fifo"
  "$esfs" --data "$data" --key "$key" mount "$mnt" -f --ready-fd 3 "$@" 3>"$fifo" >>"$daemon_log" 2>&1 &
  esfs_pid=$!
  daemon_pids+=("$esfs_pid")
  fuse_mounts+=("$mnt")
  read -r -t 60 line <"$fifo" || true
  rm -f "$fifo"
  [[ $line == ready ]] || { tail -n 20 "$daemon_log" >&2; die "esfs did not mount at $mnt"; }
}
unmount_esfs() {  # mountpoint pid
  fusermount3 -u "$1" || fusermount3 -uz "$1"
  for _ in $(seq 100); do kill -0 "$2" 2>/dev/null || return 0; sleep 0.1; done
  die "esfs (pid $2) did not exit after unmounting $1"
}
# One line of memory.jsonl from /proc/PID/status (values in kB).
# rss_target: the row counts for the "< 100 MB" target; phase: a compact
# after-this-case sample of the main daemon.
record_memory() {  # label pid rss_target(0/1) note [phase]
  python3 - "$1" "$2" "$3" "${4:-}" "${5:-}" >>"$memory" <<'EOF'
import json, sys
label, pid, target, note, phase = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5]
vals = {}
with open(f"/proc/{pid}/status") as f:
    for line in f:
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem", "Threads"):
            vals[k] = int(v.split()[0])
out = {"label": label, **vals, "rss_target": target, "note": note}
if phase:
    out["phase"] = phase
print(json.dumps(out))
EOF
}
note_time() {  # label seconds note
  printf '{"label": "%s", "seconds": %s, "note": "%s"}\n' "$1" "$2" "${3:-}" >>"$memory"
}

# --- machine -----------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
mem_gb="$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
fstype="$(findmnt -n -o FSTYPE -T "$work" 2>/dev/null || stat -f -c %T "$work")"
machine="$(nproc) cores ($cpu), ${mem_gb} GB RAM, Linux $(uname -r), $parent on $fstype ($(df --output=source "$work" | tail -n1))"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
log "machine: $machine"
log "work folder: $work"

# --- anchors -------------------------------------------------------------------
mount -t tmpfs -o size=4g,mode=0755 esfs-bench "$mnt_tmpfs" || die "cannot mount a tmpfs at $mnt_tmpfs"
tmpfs_mounts+=("$mnt_tmpfs")
bindfs --multithreaded -o big_writes "$back_bindfs" "$mnt_bindfs" || die "bindfs failed"
fuse_mounts+=("$mnt_bindfs")
bindfs_version="$(bindfs --version 2>&1 | head -n1)"

# --- esfs: identity, workspace, the stat/ls folder (imported) ------------------------
"$esfs" --data "$data" --key "$key" keygen suzy >/dev/null 2>&1
"$esfs" --data "$data" --key "$key" workspace add "$ws" >/dev/null 2>&1
log "signing and importing the $n_stat documents of the stat/ls folder"
python3 "$here/mount_gendocs.py" --key "$key" --workspace "$ws" --prefix /many --count "$n_stat" --per-folder 0 \
  >"$work/many.json"
"$esfs" --data "$data" --key "$key" import "$ws" "$work/many.json" >/dev/null
rm -f "$work/many.json"
mount_esfs "$mnt_esfs" --workspace "$ws"
main_pid="$esfs_pid"
log "esfs mounted (pid $main_pid)"
for t in "$mnt_tmpfs" "$mnt_bindfs"; do python3 "$ops" mkmany "$t/many" "$n_stat" >/dev/null; done

log "making the $n_tar-file source tarball"
python3 "$ops" maketree "$work/tree" "$n_tar" >/dev/null
tar -cf "$work/src.tar" -C "$work/tree" .
rm -rf "$work/tree"

# --- timed cases -------------------------------------------------------------------
declare -A root=([tmpfs]="$mnt_tmpfs" [bindfs]="$mnt_bindfs" [esfs]="$mnt_esfs")
run_case() {  # case rep target ops-args...
  local c="$1" r="$2" t="$3"; shift 3
  local out
  out="$(python3 "$ops" "$@")" || die "$c on $t (run $r) failed"
  echo "{\"case\": \"$c\", \"target\": \"$t\", \"rep\": $r, ${out#\{}" >>"$results"
  log "  $c $t run $r: $out"
}
t_start=$(date +%s)
for c in create createsync stat ls save seqwrite seqread untar; do
  log "case $c"
  for r in $(seq "$reps"); do
    for t in tmpfs bindfs esfs; do
      d="${root[$t]}"
      case "$c" in
        create) run_case "$c" "$r" "$t" create "$d/create-$r" "$n_create" "$create_bytes" ;;
        createsync) run_case "$c" "$r" "$t" createsync "$d/createsync-$r" "$n_create" "$create_bytes" ;;
        stat) sleep 1.2; run_case "$c" "$r" "$t" stat "$d/many" "$n_stat" ;;
        ls) sleep 1.2; run_case "$c" "$r" "$t" ls "$d/many" "$n_stat" ;;
        save) run_case "$c" "$r" "$t" save "$d/save-$r" "$n_save" "$save_bytes" ;;
        seqwrite) run_case "$c" "$r" "$t" seqwrite "$d/seq-$r" "$seq_k" "$seq_bytes" ;;
        seqread) run_case "$c" "$r" "$t" seqread "$d/seq-$r" "$seq_k" "$seq_bytes" ;;
        untar) run_case "$c" "$r" "$t" untar "$work/src.tar" "$d/untar-$r" "$n_tar" ;;
      esac
    done
  done
  record_memory "after $c" "$main_pid" 0 "" "$c"
done
t_cases=$(( $(date +%s) - t_start ))
# The saves really are documents in the store.
for p in /create-1/note-00000.txt /save-1/report.txt /seq-1/big-0.txt; do
  "$esfs" --data "$data" --key "$key" get "$ws" "$p" >/dev/null || die "$p is not a document in the store"
done
record_memory "after the timed cases (same daemon)" "$main_pid" 0 \
  "workspace: $n_stat + the cases' documents; data.mdb $(du -m "$data/store/data.mdb" | cut -f1) MB"

# --- memory with many documents ------------------------------------------------------
log "signing $n_rss documents for the memory check"
t0=$(date +%s.%N)
python3 "$here/mount_gendocs.py" --key "$key" --workspace "$ws" --prefix /rss --count "$n_rss" --per-folder 100 \
  >"$work/rss.json"
log "importing them (esfs import, while mounted)"
t1=$(date +%s.%N)
"$esfs" --data "$data" --key "$key" import "$ws" "$work/rss.json" >/dev/null
t2=$(date +%s.%N)
rm -f "$work/rss.json"
note_time "esfs import of $n_rss documents (signed beforehand in $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s)" \
  "$(awk "BEGIN {print $t2 - $t1}")" "while mounted"
sleep 1  # the change feed thread catches up
record_memory "same daemon, after esfs import of $n_rss documents" "$main_pid" 0 \
  "it followed the change feed; data.mdb $(du -m "$data/store/data.mdb" | cut -f1) MB"
unmount_esfs "$mnt_esfs" "$main_pid"

mount_esfs "$mnt_esfs" --workspace "$ws"
rss_pid="$esfs_pid"
record_memory "fresh mount, $n_rss+ documents, idle" "$rss_pid" 1 "just mounted"
walk="$(python3 "$ops" walk "$mnt_esfs/rss")" || die "walking $mnt_esfs/rss failed"
walked="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["files"])' "$walk")"
[[ $walked == "$n_rss" ]] || die "the walk saw $walked files, expected $n_rss"
note_time "stat+read of all $n_rss files through the fresh mount" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$walk")" "$(( n_rss / 100 )) folders of 100"
record_memory "fresh mount, after stat+read of all $n_rss files" "$rss_pid" 1 "every file looked up and opened once"

# All-workspaces mode: the workspace folder is looked up again whenever
# its entry (1 s) runs out.
mount_esfs "$mnt_all"
all_pid="$esfs_pid"
rootstat="$(python3 "$ops" rootstat "$mnt_all/$ws" 5)"
note_time "stat of the workspace folder in an all-workspaces mount (median of 5, entry expired)" \
  "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$rootstat")" "$n_rss+ documents in the store"
record_memory "second daemon (all workspaces), after those 5 stats" "$all_pid" 0 ""
unmount_esfs "$mnt_all" "$all_pid"
unmount_esfs "$mnt_esfs" "$rss_pid"

# --- table -------------------------------------------------------------------
cat >"$work/info.json" <<EOF
{"create": $n_create, "stat": $n_stat, "save": $n_save, "seq_k": $seq_k, "seq_bytes": $seq_bytes,
 "tar": $n_tar, "rss_docs": $n_rss}
EOF
total=$(( $(date +%s) - t_start ))
echo
echo "## esfs mount benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "- command: \`bash scripts/bench/mount.sh$([[ $quick == 1 ]] && echo ' --quick')$([[ $reps != 3 ]] && echo " --reps $reps")\`"
echo "- machine: $machine"
echo "- esfs: $esfs ($(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo '?'), working tree as built); $bindfs_version; $(fusermount3 --version 2>&1 | head -n1)"
echo "- timed cases: ${t_cases} s; everything after the build: ${total} s; load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
python3 "$here/mount_table.py" "$results" "$memory" "$work/info.json"
