#!/usr/bin/env bash
# fsx.sh: xfstests' fsx and fsstress on a fresh esfs mount, each also on
# bindfs (a pass-through FUSE file system over a folder of the same disk)
# for the side-by-side figures in docs/conformance.md. Then checks that the
# esfs mount still answers, that it unmounts and mounts again, and that
# every file reads back the same after the remount.
#
#   bash scripts/conformance/fsx.sh [--xfstests DIR] [--ops N] [--seed S] [--keep]
#
#   --xfstests DIR  a built xfstests tree (DIR/ltp/fsx, DIR/ltp/fsstress);
#                   default $XFSTESTS_DIR, else /opt/conformance/xfstests
#   --ops N         fsx operations per run (default 100000)
#   --seed S        fsx and fsstress seed (default 1)
#   --keep          keep the work folder (logs, the daemon's log)
#
# The runs:
#   fsx on a text name (data.txt): es.4 text must be UTF-8, so fsx writes
#     one character (-g x) and zero-fills holes; every size, offset,
#     truncate and hole is still checked.
#   fsx on a binary-extension name (data.png): fsx's own random bytes
#     (stored as base64, docs/names.md).
#   Both close and reopen the file at one operation in 100 (-c 100), so a
#   save (a signed document) happens about 1,000 times per run. fallocate,
#   hole punching and the other range calls are not offered by FUSE file
#   systems without them; fsx checks that at start and leaves them out.
#   fsstress -p 4 -n 2000: four processes, 2,000 random operations each
#     (creat, write, truncate, rename, mkdir, link, symlink, ...): failures
#     of calls es.4 rules out are expected; it must not crash or corrupt.
# Exits non-zero if fsx reports corruption on esfs, fsstress crashes, or
# the checks after it fail. Root, /dev/fuse and bindfs are needed; esfs is
# $ESFS_BIN or ./build/esfs (built if needed). Not run in CI (minutes).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

xfs="${XFSTESTS_DIR:-/opt/conformance/xfstests}"
ops=100000
seed=1
conf_keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --xfstests) xfs="$2"; shift 2 ;;
    --ops) ops="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --keep) conf_keep=1; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "fsx.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
fsx="$xfs/ltp/fsx"
fsstress="$xfs/ltp/fsstress"
if [[ ! -x "$fsx" || ! -x "$fsstress" ]]; then
  cat >&2 <<MSG
fsx.sh: no built fsx and fsstress in $xfs/ltp. Build them once outside the repository:
  git clone https://git.kernel.org/pub/scm/fs/xfs/xfstests-dev.git && cd xfstests-dev
  make configure && ./configure && make -C lib && make -C ltp fsx fsstress
and point --xfstests or XFSTESTS_DIR at that folder.
MSG
  exit 2
fi

conf_setup fsx
conf_mount_esfs "$work/esfs"
conf_mount_bindfs "$work/bindfs-backing" "$work/bindfs"
mkdir -p "$work/logs"
esfs_dir="$work/esfs/$ws"
failed=0
rows=()

# run LABEL FS DIR CMD...: times CMD in DIR; one row "LABEL FS seconds exit".
run() {
  local label="$1" fs="$2" dir="$3" start end rc
  shift 3
  conf_log "$label on $fs"
  start=$(date +%s.%N)
  (cd "$dir" && "$@") >"$work/logs/$label-$fs.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  rows+=("$label|$fs|$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')|$rc")
  [[ $rc == 0 ]] || { conf_log "$label on $fs: exit $rc (tail of $work/logs/$label-$fs.log:)"; tail -n 15 "$work/logs/$label-$fs.log" >&2; }
  return $rc
}

fsx_args=(-N "$ops" -S "$seed" -c 100 -q -P "$work/logs")
for fs in esfs bindfs; do
  dir="$esfs_dir"; [[ $fs == bindfs ]] && dir="$work/bindfs"
  mkdir -p "$dir/fsx-text" "$dir/fsx-binary" "$dir/fsstress"
  run fsx-text "$fs" "$dir/fsx-text" "$fsx" "${fsx_args[@]}" -g x data.txt || { [[ $fs == esfs ]] && failed=1; }
  run fsx-binary "$fs" "$dir/fsx-binary" "$fsx" "${fsx_args[@]}" data.png || { [[ $fs == esfs ]] && failed=1; }
  run fsstress "$fs" "$dir" "$fsstress" -d "$dir/fsstress" -p 4 -n 2000 -s "$seed" || { [[ $fs == esfs ]] && failed=1; }
done

# After the suites: the mount answers, every file reads back the same
# after an unmount and a mount.
sums() { (cd "$esfs_dir" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) }
if ! mountpoint -q "$work/esfs" || ! ls -R "$esfs_dir" >/dev/null 2>"$work/logs/ls.err"; then
  conf_log "the esfs mount does not answer after the suites"; failed=1
fi
sums >"$work/logs/before.sums" 2>"$work/logs/before.err" || { conf_log "reading every file failed before the remount"; failed=1; }
files=$(wc -l <"$work/logs/before.sums")
conf_unmount_esfs "$work/esfs" || { conf_log "unmount failed"; failed=1; }
conf_mount_esfs "$work/esfs"
sums >"$work/logs/after.sums" 2>"$work/logs/after.err" || { conf_log "reading every file failed after the remount"; failed=1; }
if cmp -s "$work/logs/before.sums" "$work/logs/after.sums"; then
  remount="all $files files read back the same"
else
  remount="DIFFERENT after the remount: $(diff "$work/logs/before.sums" "$work/logs/after.sums" | grep -c '^[<>]') lines differ"
  failed=1
fi

echo
echo "| run | file system | seconds | exit |"
echo "|---|---|---|---|"
for r in "${rows[@]}"; do IFS='|' read -r l f s c <<<"$r"; echo "| $l | $f | $s | $c |"; done
echo
echo "fsx: $ops operations per run, seed $seed; fsstress: -p 4 -n 2000 -s $seed"
echo "after the suites: mount answers: $([[ -s $work/logs/ls.err ]] && echo "with errors" || echo yes); remount: $remount"
for fs in esfs bindfs; do
  echo "fsstress on $fs: $(grep -ci 'error\|fail' "$work/logs/fsstress-$fs.log" || true) error lines in its output"
done
[[ $failed == 0 ]] && echo "fsx.sh: PASS" || echo "fsx.sh: FAIL"
exit $failed
