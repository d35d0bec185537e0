#!/usr/bin/env bash
# run.sh: install what is missing, build the esfs program (only it: the
# tests and benchmarks are built by scripts/test.sh, so a first run on a
# 2-core machine is quick), and run the main job: mount the default
# workspace on the local store.
#
#   identity   $ESFS_KEY  (default ~/.config/esfs/identity.json), made if missing
#   store      $ESFS_DATA (default ~/.local/share/esfs)
#   workspace  $ESFS_WORKSPACE (default +demo.esfs), added if missing
#   mount      $ESFS_MOUNT (default ~/earthstar): one folder per workspace
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
ESFS_TARGETS=esfs bash scripts/build.sh "$here/build"
esfs="$here/build/esfs"

key="${ESFS_KEY:-${XDG_CONFIG_HOME:-$HOME/.config}/esfs/identity.json}"
data="${ESFS_DATA:-${XDG_DATA_HOME:-$HOME/.local/share}/esfs}"
workspace="${ESFS_WORKSPACE:-+demo.esfs}"
mountpoint="${ESFS_MOUNT:-$HOME/earthstar}"
run() { "$esfs" --key "$key" --data "$data" "$@"; }

if [ ! -f "$key" ]; then
  echo "run: no identity yet; creating one at $key"
  run keygen "${ESFS_NAME:-user}"
fi
run workspace add "$workspace"
if grep -qs " $mountpoint fuse.esfs " /proc/mounts; then
  echo "run: esfs is already mounted at $mountpoint"
else
  mkdir -p "$mountpoint"
  run mount "$mountpoint"
fi
cat <<TXT

esfs is mounted at $mountpoint; your workspace is $mountpoint/$workspace
  echo "Hello" > $mountpoint/$workspace/hello.txt    # one new signed document
  $esfs --data $data get $workspace /hello.txt       # read it back from the store
  $esfs --data $data export $workspace               # every document, as JSON
  $esfs --help                                       # everything else
The daemon logs to $data/esfs.log. Unmount with:
  $esfs umount $mountpoint
To install esfs with its man page, bash completion and systemd user units:
  cmake --install $here/build          # /usr/local; --prefix DIR for another place
  man esfs
TXT
