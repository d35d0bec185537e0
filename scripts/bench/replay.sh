#!/usr/bin/env bash
# replay.sh: the live view's replay (fs/replayer.h, docs/mount.md "Live
# view"): replay rate of a burst of documents from another process, `ls`
# during it, the store unchanged, and the latency from a remote change to
# the watcher's event; one Markdown table (scripts/bench/replay_bench.py).
#
#   bash scripts/bench/replay.sh [--quick] [--dir PARENT] [--keep]
#
#   --quick       1,000 documents in the burst and 200 changes (default
#                 10,000 and 1,000); about 20 s instead of 1-2 minutes
#   --dir PARENT  where the work folder goes (default /var/tmp; a real disk)
#   --keep        keep the work folder (store, daemon log)
#
# Builds esfs (./build) unless ESFS_BIN is set. Installs inotify-tools and
# python3-cryptography with apt-get if missing (root). Needs /dev/fuse.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/bench/lib.sh
source "$here/lib.sh"
burst=10000 changes=1000 parent=/var/tmp keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) burst=1000 changes=200 ;;
    --dir) parent="$2"; shift ;;
    --keep) keep=1 ;;
    *) echo "usage: replay.sh [--quick] [--dir PARENT] [--keep]" >&2; exit 2 ;;
  esac
  shift
done
missing=()
command -v inotifywait >/dev/null || missing+=(inotify-tools)
python3 -c 'import cryptography' 2>/dev/null || missing+=(python3-cryptography)
install_missing_pkgs replay.sh "${missing[@]}"
bin="${ESFS_BIN:-$(build_bench_target replay.sh esfs)}"
work="$(mktemp -d "$parent/esfs-replay-XXXXXX")"
cleanup() {
  fusermount3 -uz "$work/mnt" 2>/dev/null || true
  if [[ $keep == 1 ]]; then echo "replay.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
echo "replay.sh: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)" >&2
python3 "$here/replay_bench.py" --esfs "$bin" --dir "$work" --burst "$burst" --changes "$changes"
