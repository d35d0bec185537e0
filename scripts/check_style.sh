#!/usr/bin/env bash
# check_style.sh [--changed-since REF] [--build DIR] [--format-only | --tidy-only]
#
# Checks esfs's C++ against .clang-format (clang-format --dry-run -Werror) and
# .clang-tidy (clang-tidy with DIR/compile_commands.json, default build/), over
# every project file or only those changed since REF (git diff REF, committed
# or not, plus untracked files). Also checks that nothing below cli/ includes it.
# Prints the findings, then one summary line; exits 1 on any finding, 2 on a
# usage or set-up error. Changes nothing.
#
# clang-tidy checks .cc files that have a compile command; a header is checked
# through the .cc files of the build that include it (HeaderFilterRegex), so a
# changed header brings in its own .cc and every .cc that includes it.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

since=""
build="$here/build"
do_format=1
do_tidy=1
while [ $# -gt 0 ]; do
  case "$1" in
    --changed-since) since="${2:?--changed-since needs a git ref}"; shift 2 ;;
    --build) build="${2:?--build needs a folder}"; shift 2 ;;
    --format-only) do_tidy=0; shift ;;
    --tidy-only) do_format=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check_style.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for tool in clang-format clang-tidy git; do
  command -v "$tool" >/dev/null || { echo "check_style.sh: $tool is missing (scripts/setup.sh installs it)" >&2; exit 2; }
done

# Project sources: everything tracked (or new) under our folders, not build output.
project_re='^(cli|core|fs|keys|pub|scripts|sync|tests)/.*\.(cc|h)$'
if [ -n "$since" ]; then
  git rev-parse --verify --quiet "$since^{commit}" >/dev/null || { echo "check_style.sh: no commit $since" >&2; exit 2; }
  mapfile -t files < <({ git diff --name-only --diff-filter=d "$since" --; git ls-files --others --exclude-standard; } |
                       grep -E "$project_re" | sort -u)
else
  mapfile -t files < <({ git ls-files; git ls-files --others --exclude-standard; } | grep -E "$project_re" | sort -u)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
format_files=0
format_lines=0
tidy_findings=0
layer_findings=0

# 1. Layering: nothing below cli/ includes it (STYLE.md 2; tests may).
for f in "${files[@]}"; do
  case "$f" in cli/*|tests/*) continue ;; esac
  if grep -Hn '^#include "cli/' "$f"; then layer_findings=$((layer_findings + 1)); fi
done

# 2. Formatting.
if [ "$do_format" = 1 ]; then
  for f in "${files[@]}"; do
    if ! clang-format --dry-run -Werror --style=file "$f" 2>/dev/null; then
      n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^<')
      echo "$f: $n lines to reformat (clang-format -i $f)"
      format_files=$((format_files + 1))
      format_lines=$((format_lines + n))
    fi
  done
fi

# 3. clang-tidy over the translation units of the build.
tidy_units=0
if [ "$do_tidy" = 1 ]; then
  if [ ! -f "$build/compile_commands.json" ]; then
    # Configuring is enough: clang-tidy needs the compile commands, not objects.
    cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DESFS_TESTS=ON >/dev/null ||
      { echo "check_style.sh: cannot configure $build" >&2; exit 2; }
  fi
  # The .cc files the build compiles (absolute paths in compile_commands.json).
  python3 - "$build/compile_commands.json" "$here" >"$tmp/units.txt" <<'EOF' || exit 2
import json, os, sys
root = sys.argv[2] + "/"
for entry in json.load(open(sys.argv[1])):
    path = os.path.normpath(os.path.join(entry["directory"], entry["file"]))
    if path.startswith(root):
        print(path[len(root):])
EOF
  sort -u -o "$tmp/units.txt" "$tmp/units.txt"
  if [ -n "$since" ]; then
    # A changed .cc, and for a changed header its .cc and every unit that includes it.
    : >"$tmp/wanted.txt"
    for f in "${files[@]}"; do
      case "$f" in
        *.cc) echo "$f" >>"$tmp/wanted.txt" ;;
        *.h)
          echo "${f%.h}.cc" >>"$tmp/wanted.txt"
          grep -lF "#include \"$f\"" $(cat "$tmp/units.txt") 2>/dev/null >>"$tmp/wanted.txt" ;;
      esac
    done
    sort -u "$tmp/wanted.txt" | comm -12 - "$tmp/units.txt" >"$tmp/run.txt"
  else
    cp "$tmp/units.txt" "$tmp/run.txt"
  fi
  tidy_units=$(wc -l <"$tmp/run.txt")
  if [ "$tidy_units" -gt 0 ]; then
    # -Wno-error: the build's -Werror would turn compiler warnings into hard errors here.
    xargs -a "$tmp/run.txt" -P "$(nproc 2>/dev/null || echo 2)" -n 1 \
      clang-tidy -p "$build" --quiet --extra-arg=-Wno-error --extra-arg=-Wno-unknown-warning-option \
      >"$tmp/tidy.txt" 2>/dev/null
    # A header's finding is printed once per unit that includes it: keep one.
    grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .*\[[a-z0-9.,-]+\]$' "$tmp/tidy.txt" | sort -u >"$tmp/findings.txt"
    tidy_findings=$(wc -l <"$tmp/findings.txt")
    sed "s|^$here/||" "$tmp/findings.txt"
    if [ "$tidy_findings" -gt 0 ]; then
      echo "clang-tidy findings by check:"
      sed -E 's/.*\[([a-z0-9.,-]+)\]$/\1/' "$tmp/findings.txt" | sort | uniq -c | sort -rn
    fi
  fi
fi

echo "check_style: ${#files[@]} files; clang-format: $format_files files ($format_lines lines) to reformat;" \
     "clang-tidy: $tidy_findings findings in $tidy_units units; layering: $layer_findings"
[ "$format_files" -eq 0 ] && [ "$tidy_findings" -eq 0 ] && [ "$layer_findings" -eq 0 ]
