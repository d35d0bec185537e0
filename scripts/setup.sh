#!/usr/bin/env bash
# Installs what esfs needs to build and test, if it is missing; idempotent
# and quick (a few seconds) when everything is there. Debian 12, as root
# (or with sudo). Also installs the interop kit's npm packages.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Debian packages: build tools, libraries (headers), and the programs the
# tests drive.
packages=(
  build-essential cmake pkg-config git
  libsodium-dev liblmdb-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libfuse3-dev fuse3 libcurl4-openssl-dev libcpp-httplib-dev
  clang libclang-rt-14-dev clang-format clang-tidy
  nodejs npm curl python3 util-linux
  # The editors and file tools the integration tests drive on real mounts.
  vim nano emacs-nox ed rsync git strace tmux attr libglib2.0-bin
  # The pass-through FUSE file system scripts/conformance compares with.
  bindfs
  # The install tests: man(1) renders the man page, systemd-analyze verifies
  # the units, mount(8) mounts with type fuse.esfs.
  man-db groff-base systemd mount
  # The live view's watchers (inotifywait; gio is in libglib2.0-bin).
  inotify-tools
  # The pub's HTML page is checked in a headless browser (esfs pub tests).
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from another source than Debian (e.g. nodesource ships
# npm inside nodejs): a working node and npm count as installed.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "setup: Debian packages present" >&2
fi

# The reference Earthstar packages for interop tests (cached outside the repo).
interop="$here/../shared/interop"
if [ -x "$(command -v node)" ] && [ -f "$interop/ensure-deps.sh" ]; then
  bash "$interop/ensure-deps.sh" >/dev/null
  echo "setup: interop kit ready" >&2
else
  echo "setup: WARNING: ../shared/interop not found; interop tests will fail" >&2
fi
