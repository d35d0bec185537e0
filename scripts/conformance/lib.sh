# Sourced by scripts/conformance/*.sh: a fresh esfs store mounted in a temp
# folder (and bindfs beside it for the side-by-side count), unmounted on
# exit in all cases. Needs root (allow_other, bindfs) and /dev/fuse.
#
# After conf_setup NAME: $work (temp folder), $esfs (the binary), $ws.
# conf_mount_esfs MNT [ARGS...]   foreground daemon, waits for "ready"
# conf_unmount_esfs MNT           fusermount3 -u (then -uz), waits for exit
# conf_mount_bindfs BACKING MNT   bindfs with allow_other
# Everything mounted is unmounted by the EXIT trap (-u, then lazy -uz).

conf_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
conf_name=conformance
conf_fuse_mounts=()
conf_daemons=()
ws="+conform.esfs"

conf_log() { echo "$conf_name: $*" >&2; }
conf_die() { conf_log "$*"; exit 1; }

conf_cleanup() {
  local m p
  cd / || true
  for m in "${conf_fuse_mounts[@]}"; do
    if mountpoint -q "$m" 2>/dev/null || ! stat "$m" >/dev/null 2>&1; then
      fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true
    fi
  done
  for p in "${conf_daemons[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null
  done
  if [[ -n "${work:-}" && -d "$work" ]]; then
    if [[ "${conf_keep:-0}" == 1 ]]; then conf_log "kept $work"; else rm -rf "$work"; fi
  fi
}

# conf_setup NAME: checks root, fuse, bindfs; finds esfs ($ESFS_BIN, else
# ./build/esfs, built with `cmake --build build --target esfs`); makes the
# work folder, an identity and the workspace $ws.
conf_setup() {
  conf_name="$1"
  [[ $(id -u) == 0 ]] || conf_die "run as root (allow_other, bindfs, other uids)"
  [[ -e /dev/fuse ]] || conf_die "/dev/fuse is missing"
  command -v fusermount3 >/dev/null || conf_die "fusermount3 is missing (apt-get install fuse3)"
  command -v bindfs >/dev/null || conf_die "bindfs is missing (apt-get install bindfs; scripts/setup.sh installs it)"
  esfs="${ESFS_BIN:-$conf_repo/build/esfs}"
  if [[ -z "${ESFS_BIN:-}" ]]; then
    conf_log "building esfs in $conf_repo/build"
    nice cmake --build "$conf_repo/build" --target esfs >&2 || conf_die "could not build esfs (configure $conf_repo/build first)"
  fi
  [[ -x "$esfs" ]] || conf_die "no esfs binary at $esfs"
  work="$(mktemp -d "${TMPDIR:-/tmp}/esfs-$conf_name.XXXXXX")"
  chmod 755 "$work"  # other uids walk through it to the mounts (allow_other)
  trap conf_cleanup EXIT
  trap 'exit 130' INT TERM
  data="$work/esfs-data"
  key="$work/identity.json"
  daemon_log="$work/esfs-daemon.log"
  "$esfs" --data "$data" --key "$key" keygen conf >/dev/null 2>&1 || conf_die "esfs keygen failed"
  "$esfs" --data "$data" --key "$key" workspace add "$ws" >/dev/null 2>&1 || conf_die "esfs workspace add failed"
}

# The daemon in the foreground (its pid is ours), saying "ready" on fd 3.
conf_mount_esfs() {
  local mnt="$1" fifo="$work/ready.fifo" line=""
  shift
  mkdir -p "$mnt"
  rm -f "$fifo"; mkfifo "$fifo"
  "$esfs" --data "$data" --key "$key" mount "$mnt" -f --ready-fd 3 "$@" 3>"$fifo" >>"$daemon_log" 2>&1 &
  esfs_pid=$!
  conf_daemons+=("$esfs_pid")
  conf_fuse_mounts+=("$mnt")
  read -r -t 60 line <"$fifo" || true
  rm -f "$fifo"
  [[ $line == ready ]] || { tail -n 20 "$daemon_log" >&2; conf_die "esfs did not mount at $mnt"; }
}

conf_unmount_esfs() {
  local mnt="$1"
  fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" || return 1
  for _ in $(seq 300); do kill -0 "$esfs_pid" 2>/dev/null || return 0; sleep 0.1; done
  conf_log "esfs (pid $esfs_pid) did not exit after unmounting $mnt"
  return 1
}

conf_mount_bindfs() {
  local backing="$1" mnt="$2"
  mkdir -p "$backing" "$mnt"
  bindfs -o allow_other "$backing" "$mnt" || conf_die "bindfs did not mount at $mnt"
  conf_fuse_mounts+=("$mnt")
}
