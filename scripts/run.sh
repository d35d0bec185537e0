#!/usr/bin/env bash
# run.sh: install what is missing, build, and run the main job.
#
# Until the mount exists (see the issues), the main job shows the core at
# work: it creates your identity if you have none, signs a document with
# it, validates it and shows the exact text that was signed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
bash scripts/setup.sh
bash scripts/build.sh "$here/build"
esfs="$here/build/esfs"

key="${ESFS_KEY:-${XDG_CONFIG_HOME:-$HOME/.config}/esfs/identity.json}"
if [ ! -f "$key" ]; then
  echo "run: no identity yet; creating one at $key"
  "$esfs" --key "$key" keygen "${ESFS_NAME:-user}"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "run: signing /hello.txt in +demo.esfs with $key"
"$esfs" --key "$key" sign --workspace +demo.esfs --path /hello.txt --content "Hello from esfs at $(date -u +%FT%TZ)" > "$work/doc.json"
cat "$work/doc.json"
echo "run: validating it"
"$esfs" validate "$work/doc.json"
echo "run: the exact text that was hashed and signed"
"$esfs" hash "$work/doc.json"
echo "run: done. Try: $esfs --help"
