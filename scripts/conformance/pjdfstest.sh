#!/usr/bin/env bash
# pjdfstest.sh: runs pjdfstest (the POSIX file-system test suite FUSE file
# systems hold themselves to) inside a workspace folder of a fresh esfs
# mount made with -o allow_other (so its tests as other uids run), and
# compares every failing subtest with the committed list of failures es.4
# explains (scripts/conformance/pjdfstest-expected.txt, each entry with its
# reason). Prints "N unexpected failures, M unexpected passes" and exits
# non-zero on any unexpected failure (an unexpected pass only asks for the
# list to shrink).
#
#   bash scripts/conformance/pjdfstest.sh [--pjdfstest DIR] [--bindfs] [--keep] [--only T...]
#
#   --pjdfstest DIR  a built pjdfstest tree (the binary DIR/pjdfstest and
#                    DIR/tests); default $PJDFSTEST_DIR, else
#                    /opt/conformance/pjdfstest
#   --bindfs         also run it on bindfs (a pass-through FUSE file system
#                    over a folder of the same disk) for the side-by-side count
#   --only T         only these test folders or files (chmod, rename/09.t, ...);
#                    the comparison then covers only them
#   --keep           keep the work folder (raw prove output, daemon log)
#
# Root, /dev/fuse, bindfs and perl's prove are needed. esfs is $ESFS_BIN or
# ./build/esfs (built if needed). Not run in CI: pjdfstest is not packaged
# by Debian; build it once (docs/conformance.md, "POSIX suites"):
#   git clone https://github.com/pjd/pjdfstest && cd pjdfstest &&
#   autoreconf -ifs && ./configure && make pjdfstest
# It takes about 10 minutes on esfs (8,800 subtests, a process each).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"

pjd="${PJDFSTEST_DIR:-/opt/conformance/pjdfstest}"
with_bindfs=0
conf_keep=0
only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --pjdfstest) pjd="$2"; shift 2 ;;
    --bindfs) with_bindfs=1; shift ;;
    --keep) conf_keep=1; shift ;;
    --only) shift; while [[ $# -gt 0 && $1 != --* ]]; do only+=("$1"); shift; done ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "pjdfstest.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
if [[ ! -x "$pjd/pjdfstest" || ! -d "$pjd/tests" ]]; then
  cat >&2 <<MSG
pjdfstest.sh: no built pjdfstest at $pjd (want $pjd/pjdfstest and $pjd/tests).
  Build it once outside the repository and point --pjdfstest or PJDFSTEST_DIR at it:
    git clone https://github.com/pjd/pjdfstest && cd pjdfstest
    autoreconf -ifs && ./configure && make pjdfstest
MSG
  exit 2
fi
command -v prove >/dev/null || { echo "pjdfstest.sh: prove (perl) is missing" >&2; exit 2; }

conf_setup pjdfstest
targets=()
if [[ ${#only[@]} -gt 0 ]]; then
  for t in "${only[@]}"; do targets+=("$pjd/tests/$t"); done
else
  targets=("$pjd/tests")
fi

# run_suite LABEL DIR: prove in DIR, raw output to $work/LABEL.prove.
run_suite() {
  local label="$1" dir="$2" start end
  conf_log "running pjdfstest on $label in $dir"
  start=$(date +%s)
  (cd "$dir" && prove -r -v --merge "${targets[@]}") >"$work/$label.prove" 2>&1
  end=$(date +%s)
  conf_log "$label: $((end - start)) s"
  echo $((end - start)) >"$work/$label.seconds"
}

conf_mount_esfs "$work/esfs" -o allow_other
mkdir "$work/esfs/$ws/pjd" || conf_die "cannot make a folder in the workspace"
run_suite esfs "$work/esfs/$ws/pjd"
mountpoint -q "$work/esfs" || conf_die "the esfs mount is gone after the suite (daemon crashed?)"

if [[ $with_bindfs == 1 ]]; then
  conf_mount_bindfs "$work/bindfs-backing" "$work/bindfs"
  run_suite bindfs "$work/bindfs"
fi

args=(--tests "$pjd/tests" --expected "$here/pjdfstest-expected.txt" --esfs "$work/esfs.prove"
      --seconds "$(cat "$work/esfs.seconds")")
[[ $with_bindfs == 1 ]] && args+=(--bindfs "$work/bindfs.prove" --bindfs-seconds "$(cat "$work/bindfs.seconds")")
for t in "${only[@]}"; do args+=(--only "$t"); done
python3 "$here/pjdfstest_compare.py" "${args[@]}"
