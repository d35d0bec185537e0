#!/usr/bin/env bash
# load.sh: the esfs mount under load (issue #16), side by side with bindfs
# over a plain folder on the same disk, in the same run; one table.
#
#   bash scripts/bench/load.sh [--quick] [--reps R] [--dir PARENT] [--keep]
#
#   --quick       fewer files: 400 saves, 1.5 s storms, `ls -l` of 10,000
#                 files, 1 repetition; the rename stays 3,000 files (its
#                 target is for that size); about 2-3 minutes. Default:
#                 2,000 saves, 3 s storms, 100,000 files, 3 repetitions.
#   --reps R      repetitions of each timed case; the table shows the median
#   --dir PARENT  where the work folder goes (default /var/tmp); a real disk:
#                 the esfs store and bindfs's backing folder live there
#   --keep        keep the work folder (raw results, esfs log and store)
#
# The two file systems, both on PARENT's disk:
#   bindfs  bindfs --multithreaded -o big_writes over a plain folder
#   esfs    esfs mount --workspace +load.esfs (the mount point is the
#           workspace); every save is a signed document
# Before mounting, the same files are put in both (esfs: signed with
# load_ops.py gendocs on every core and stored with one `esfs import`;
# bindfs: written into its backing folder): big/ (the ls folder), pub/
# (the folder that is renamed) and probe/ (100 files that the latency probe
# reads), 200 bytes each.
#
# Cases, in this order (the timed ones interleaved bindfs, esfs per rep):
#   ls       `ls -l big/` after the 1 s entry/attribute caches ran out;
#            then the esfs daemon's VmRSS/VmHWM/RssAnon/RssFile
#   saves    N saves of new files (open O_CREAT|O_TRUNC, write 1-4 KB,
#            close) by 1 process, by 8 processes each in its own folder, by
#            8 processes in one folder; saves per second from one start
#            signal to the last close
#   flushes  the 8-process and 1-process saves once more, counted: strace
#            on every thread of the daemon, fsync/fdatasync/msync/
#            sync_file_range and writes to O_DSYNC/O_SYNC fds, per save
#            (as scripts/bench/flushes.py; strace slows the daemon, so
#            these runs are not timed)
#   quiet    open+read+close of probe/ files, one every 2 ms, nothing else
#   storm    the same while 8 processes save new files for S seconds
#   mv       the same while `mv pub pub-moved` (and back on the next rep)
#            runs; and the time of that mv. Then one more rename, with the
#            daemon's disk flushes counted (strace, as above)
# Each case records `uptime`'s load average before it: other work on the
# machine moves these numbers, and the anchor in the same minute is what
# makes a ratio mean something.
#
# Builds esfs (scripts/bench/lib.sh) unless ESFS_BIN is set. Installs
# bindfs, strace, python3-cryptography with apt-get if missing (root).
# Every mount is undone on exit, also on failure or Ctrl-C. Exits non-zero
# if an operation fails or gives wrong data; missed targets are reported,
# not fatal.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ops="$here/load_ops.py"
mops="$here/mount_ops.py"
ws="+load.esfs"

quick=0
reps=""
reps_arg=""
parent="/var/tmp"
keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --reps) reps="${2:?--reps needs a value}"; reps_arg=1; shift ;;
    --dir) parent="${2:?--dir needs a directory}"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,51p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "load.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ $quick == 1 ]]; then
  n_saves=400; storm_s=1.5; n_ls=10000; n_mv=3000; n_flush=160; reps="${reps:-1}"
else
  n_saves=2000; storm_s=3; n_ls=100000; n_mv=3000; n_flush=400; reps="${reps:-3}"
fi
n_probe=100
procs=8

log() { echo "load.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# --- what it needs ---------------------------------------------------------------
[[ $(id -u) == 0 ]] || die "run as root (FUSE mounts, strace of the daemons, apt-get if something is missing)"
need_pkgs=()
command -v bindfs >/dev/null || need_pkgs+=(bindfs)
command -v strace >/dev/null || need_pkgs+=(strace)
command -v fusermount3 >/dev/null || need_pkgs+=(fuse3)
python3 -c 'import cryptography.hazmat.primitives.asymmetric.ed25519' 2>/dev/null || need_pkgs+=(python3-cryptography)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
install_missing_pkgs load.sh "${need_pkgs[@]}" || die "could not install what the benchmark needs"

if [[ -n "${ESFS_BIN:-}" ]]; then
  esfs="$ESFS_BIN"
else
  source "$here/lib.sh"
  esfs="$(build_bench_target load.sh esfs)" || die "could not build esfs"
fi
[[ -x "$esfs" ]] || die "no esfs binary at $esfs"

# --- work folder, mounts, cleanup ---------------------------------------------------
mkdir -p "$parent"
work="$(mktemp -d "$parent/esfs-load-bench.XXXXXX")"
fuse_mounts=()
daemon_pids=()
cleanup() {
  set +e
  for m in "${fuse_mounts[@]:-}"; do
    [[ -n $m ]] || continue
    if mountpoint -q "$m" 2>/dev/null || ! stat "$m" >/dev/null 2>&1; then
      fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null
    fi
  done
  for pid in "${daemon_pids[@]:-}"; do
    [[ -n $pid ]] || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  local busy=0
  for m in "${fuse_mounts[@]:-}"; do [[ -n $m ]] && mountpoint -q "$m" 2>/dev/null && busy=1; done
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
mnt_esfs="$work/esfs"
mnt_bindfs="$work/bindfs"
back_bindfs="$work/bindfs-backing"
results="$work/results.jsonl"
daemon_log="$work/esfs-daemon.log"
mkdir -p "$mnt_esfs" "$mnt_bindfs" "$back_bindfs"
: >"$results"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
# One line of results.jsonl: the fields of a load_ops/mount_ops JSON object
# plus case, fs, rep and the load average before the case.
record() {  # case fs rep load json
  echo "{\"case\": \"$1\", \"fs\": \"$2\", \"rep\": $3, \"load\": \"$4\", ${5#\{}" >>"$results"
  log "  $1 $2 rep $3 (load $4): $5"
}
run() {  # case fs rep command...
  local c="$1" f="$2" r="$3" l out
  shift 3
  l="$(loadavg)"
  out="$(timeout 600 "$@")" || die "$c on $f (rep $r) failed"
  record "$c" "$f" "$r" "$l" "$out"
}

# --- machine ------------------------------------------------------------------------
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
mem_gb="$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)"
fstype="$(findmnt -n -o FSTYPE -T "$work" 2>/dev/null || stat -f -c %T "$work")"
machine="$(nproc) cores ($cpu), ${mem_gb} GB RAM, Linux $(uname -r), $parent on $fstype ($(df --output=source "$work" | tail -n1))"
commit="$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo '?')"
dirty="$(cd "$repo" && git status --porcelain --untracked-files=no 2>/dev/null | grep -qv '^?? ' && echo ', working tree modified' || true)"
uptime_before="$(uptime)"
machine_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
busy0="$(machine_ticks)"
log "machine: $machine; $uptime_before"
log "work folder: $work"

# --- the same files in both ------------------------------------------------------------
"$esfs" --data "$data" --key "$key" keygen suzy >/dev/null 2>&1
"$esfs" --data "$data" --key "$key" workspace add "$ws" >/dev/null 2>&1
log "signing $((n_ls + n_mv + n_probe)) documents"
gen="$(python3 "$ops" gendocs "$key" "$ws" "$work/docs.json" "/big:$n_ls" "/pub:$n_mv" "/probe:$n_probe")"
log "  $gen"
t0=$(date +%s.%N)
"$esfs" --data "$data" --key "$key" import "$ws" "$work/docs.json" >/dev/null
import_s="$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')"
log "  esfs import: $import_s s"
rm -f "$work/docs.json"
for d in big:$n_ls pub:$n_mv probe:$n_probe; do
  python3 "$mops" mkmany "$back_bindfs/${d%%:*}" "${d##*:}" >/dev/null
done
sync

# esfs in the foreground (its pid is ours), told to say "ready" on fd 3.
mount_esfs() {
  local fifo="$work/ready.fifo" line=""
  rm -f "$fifo"; mkfifo "$fifo"
  "$esfs" --data "$data" --key "$key" mount "$mnt_esfs" -f --ready-fd 3 --workspace "$ws" 3>"$fifo" >>"$daemon_log" 2>&1 &
  esfs_pid=$!
  daemon_pids+=("$esfs_pid")
  fuse_mounts+=("$mnt_esfs")
  read -r -t 60 line <"$fifo" || true
  rm -f "$fifo"
  [[ $line == ready ]] || { tail -n 20 "$daemon_log" >&2; die "esfs did not mount at $mnt_esfs"; }
}
mount_esfs
bindfs -f --multithreaded -o big_writes "$back_bindfs" "$mnt_bindfs" 2>>"$work/bindfs.log" &
bindfs_pid=$!
daemon_pids+=("$bindfs_pid")
fuse_mounts+=("$mnt_bindfs")
for _ in $(seq 100); do mountpoint -q "$mnt_bindfs" && break; sleep 0.1; done
mountpoint -q "$mnt_bindfs" || die "bindfs did not mount at $mnt_bindfs"
bindfs_version="$(bindfs --version 2>&1 | head -n1)"
log "esfs pid $esfs_pid, bindfs pid $bindfs_pid"
declare -A root=([bindfs]="$mnt_bindfs" [esfs]="$mnt_esfs")
declare -A pid_of=([bindfs]="$bindfs_pid" [esfs]="$esfs_pid")

memory() {  # label: the esfs daemon's memory now (kB), one line of results.jsonl
  local vals
  vals="$(awk '/^(VmRSS|VmHWM|RssAnon|RssFile):/ {printf "\"%s\": %s, ", substr($1, 1, length($1) - 1), $2}' "/proc/$esfs_pid/status")"
  record memory esfs 0 "$(loadavg)" "{${vals}\"label\": \"$1\"}"
}
t_start=$(date +%s)

# --- ls -l of the big folder, then the daemon's memory -------------------------------------
log "case ls ($n_ls files)"
memory "fresh mount, $n_ls+ documents, before the listing"
for r in $(seq "$reps"); do
  for f in bindfs esfs; do
    sleep 1.2  # the kernel's 1 s entry and attribute caches run out
    run ls "$f" "$r" python3 "$mops" ls "${root[$f]}/big" "$n_ls"
  done
done
memory "after ls -l of the $n_ls-file folder"

# --- saves per second: 1 process, 8 processes --------------------------------------------
log "case saves ($n_saves saves)"
for r in $(seq "$reps"); do
  for f in bindfs esfs; do
    run saves1 "$f" "$r" python3 "$ops" saves "${root[$f]}/s1-$r" "$n_saves" 1 own
    run saves8 "$f" "$r" python3 "$ops" saves "${root[$f]}/s8-$r" "$n_saves" "$procs" own
    run saves8shared "$f" "$r" python3 "$ops" saves "${root[$f]}/s8shared-$r" "$n_saves" "$procs" shared
  done
done

log "case flushes ($n_flush saves, under strace)"
for f in bindfs esfs; do
  run flushes8 "$f" 1 python3 "$ops" saves "${root[$f]}/f8" "$n_flush" "$procs" own --strace "${pid_of[$f]}" "$work/$f.trace"
  run flushes1 "$f" 1 python3 "$ops" saves "${root[$f]}/f1" "$n_flush" 1 own --strace "${pid_of[$f]}" "$work/$f.trace"
done

# --- latency of open+read of other files -------------------------------------------------
log "case latency (quiet, during an 8-process save storm of $storm_s s)"
for r in $(seq "$reps"); do
  for f in bindfs esfs; do
    run quiet "$f" "$r" python3 "$ops" storm "${root[$f]}/quiet-$r" "${root[$f]}/probe" "$n_probe" 0 "$storm_s"
    run storm "$f" "$r" python3 "$ops" storm "${root[$f]}/storm-$r" "${root[$f]}/probe" "$n_probe" "$procs" "$storm_s"
  done
done

log "case mv ($n_mv-file folder)"
for r in $(seq "$reps"); do
  if (( r % 2 == 1 )); then from=pub; to=pub-moved; else from=pub-moved; to=pub; fi
  for f in bindfs esfs; do
    run mv "$f" "$r" python3 "$ops" mv "${root[$f]}/$from" "${root[$f]}/$to" "$n_mv" "${root[$f]}/probe" "$n_probe"
  done
done
# Once more, counted: the disk flushes of the daemon during one rename.
if (( reps % 2 == 1 )); then from=pub-moved; to=pub; else from=pub; to=pub-moved; fi
for f in bindfs esfs; do
  run mvflushes "$f" 1 python3 "$ops" mv "${root[$f]}/$from" "${root[$f]}/$to" "$n_mv" "${root[$f]}/probe" "$n_probe" \
    --strace "${pid_of[$f]}" "$work/$f.trace"
done
memory "at the end"
t_cases=$(( $(date +%s) - t_start ))
busy1="$(machine_ticks)"
busy_cores="$(awk -v b="$((busy1 - busy0))" -v hz="$(getconf CLK_TCK)" -v s="$(( $(date +%s) - t_start ))" \
  'BEGIN {printf "%.2f", (s > 0 ? b / hz / s : 0)}')"

# --- table ----------------------------------------------------------------------------
cat >"$work/info.json" <<EOF
{"saves": $n_saves, "procs": $procs, "flush_saves": $n_flush, "storm_s": $storm_s, "ls": $n_ls, "mv": $n_mv,
 "probe": $n_probe, "reps": $reps, "quick": $quick}
EOF
echo
echo "## esfs under load ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "- command: \`bash scripts/bench/load.sh$([[ $quick == 1 ]] && echo ' --quick')$([[ -n ${reps_arg:-} ]] && echo " --reps $reps")\`"
echo "- machine: $machine"
echo "- esfs $commit$dirty ($esfs); $bindfs_version (\`--multithreaded -o big_writes\`)"
read -r gen_docs gen_s < <(python3 -c 'import json, sys; g = json.loads(sys.argv[1]); print(format(g["docs"], ","), "%.1f" % g["seconds"])' "$gen")
echo "- set-up: $gen_docs documents signed in $gen_s s (load_ops.py gendocs, $(nproc) processes), stored by one \`esfs import\` in $import_s s; the same files written into bindfs's backing folder"
echo "- timed cases: ${t_cases} s; the machine's CPUs were busy $busy_cores cores on average meanwhile (this run included)"
echo "- uptime before: $uptime_before"
echo "- uptime after:  $(uptime)"
echo
python3 "$here/load_table.py" "$results" "$work/info.json"
