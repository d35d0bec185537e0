#!/usr/bin/env python3
"""Compares a pjdfstest run (prove -v --merge output) with the committed
list of failures es.4 explains (pjdfstest-expected.txt) and prints
"N unexpected failures, M unexpected passes". Exit status 1 on any
unexpected failure or a malformed list entry, else 0.

The list: one entry per line, '#' starts a comment,
    <test file> <subtests> <reason>
e.g. "rename/00.t 12-15,20 symlink". <subtests> is numbers and ranges;
<reason> is one of REASONS below. A subtest the run did not reach (the test
file stopped early) counts as failed.

--propose FILE writes a list for this run's failures, each with the reason
its failing command suggests ("?" where none does: decide by hand)."""
import argparse
import re
import sys

# Why es.4 (and DESIGN) rule a POSIX behaviour out. docs/conformance.md
# explains each at length.
REASONS = {
    "symlink": "es.4 has no symbolic links: symlink(2) gives EPERM, so every step on a link fails",
    "hardlink": "es.4 has no hard links (one document per path): link(2) gives EPERM; nlink is always 1",
    "fifo": "es.4 has no FIFOs: mkfifo(2) gives EPERM",
    "device": "es.4 has no device nodes or sockets: mknod(2)/bind(2) give EPERM",
    "owner": "es.4 has no owners: every file is the mount owner's; chown is accepted and not kept, "
             "and other uids may only read (DESIGN 13, fs/owner_gate.h)",
    "pathmax": "es.4 paths are at most 512 characters: longer paths are refused (ENAMETOOLONG)",
    "filesize": "es.4 content is at most 4,000,000 bytes (3,000,000 under a binary name): a write or "
                "truncate past that gives EFBIG before anything is allocated",
    "foldernlink": "a folder's link count is always 2: es.4 has no folders (they are derived from document "
                   "paths), and counting sub-folders would list the folder on every stat. A design choice, "
                   "not an es.4 rule",
    "posix": "a POSIX bug that no es.4 rule explains: never an expected failure, fix it",
}

HEADER = re.compile(r"^(\S+\.t) \.+ ?")
PLAN = re.compile(r"^1\.\.(\d+)")
RESULT = re.compile(r"^(not ok|ok) (\d+)(.*)$")


def parse_prove(path, tests_dir):
    """{file: (plan, {failing number: message})}"""
    files = {}
    current = None
    plan = 0
    oks = set()
    fails = {}

    def close():
        if current is None:
            return
        missing = {n: "not run (the test file stopped early)" for n in range(1, plan + 1)
                   if n not in oks and n not in fails}
        files[current] = (plan, {**fails, **missing})

    with open(path, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            m = HEADER.match(line)
            if m and m.group(1).startswith(tests_dir):
                close()
                current = m.group(1)[len(tests_dir):].lstrip("/")
                plan, oks, fails = 0, set(), {}
                rest = line[m.end():]
                line = rest
            if current is None:
                continue
            m = PLAN.match(line)
            if m:
                plan = int(m.group(1))
                continue
            m = RESULT.match(line)
            if m:
                n = int(m.group(2))
                if m.group(1) == "ok" or "# TODO" in m.group(3) or "# SKIP" in m.group(3).upper():
                    oks.add(n)
                else:
                    fails[n] = m.group(3).lstrip(" -")
    close()
    return files


def parse_numbers(text):
    out = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        else:
            out.add(int(part))
    return out


def ranges(numbers):
    nums = sorted(numbers)
    out = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ",".join(out)


def read_expected(path):
    expected = {}  # (file, n) -> reason
    errors = []
    with open(path) as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split()
            if len(parts) != 3 or parts[2] not in REASONS:
                errors.append(f"{path}:{lineno}: want '<file> <subtests> <reason>' with a reason of "
                              f"{', '.join(REASONS)}: {raw.strip()}")
                continue
            try:
                nums = parse_numbers(parts[1])
            except ValueError:
                errors.append(f"{path}:{lineno}: bad subtest numbers: {parts[1]}")
                continue
            for n in nums:
                expected[(parts[0], n)] = parts[2]
    return expected, errors


def suggest(msg):
    """The reason a failing subtest's own command suggests, or "?"."""
    m = re.search(r"tried '([^']*)'", msg)
    cmd = m.group(1) if m else msg
    words = cmd.split()
    got = msg.rsplit("got ", 1)[-1].strip() if "got " in msg else ""
    if any(w in ("symlink", "readlink", "lchmod", "lchown", "O_NOFOLLOW") for w in words) or "ELOOP" in msg:
        return "symlink"
    if "link" in words:
        return "hardlink"
    if "mkfifo" in words:
        return "fifo"
    if any(w in ("mknod", "bind", "connect") for w in words):
        return "device"
    if "expected ENAMETOOLONG, got ENOENT" in msg:
        return "posix"  # a 255-byte name limit: names of 256 bytes
    if "EFBIG" in msg:
        return "filesize"
    if "-u" in words or "-g" in words or "chown" in words or "fchown" in words:
        return "owner"
    if "ENAMETOOLONG" in msg or any(len(w) > 255 for w in words):
        return "pathmax"
    if any(w in ("atime", "ctime") for w in words) and not got.startswith("E"):
        return "posix"  # atime, mtime and ctime are one value
    if re.search(r"unlink \S+ : fstat 0 nlink', expected 0, got 1", msg):
        return "posix"  # nlink of an unlinked open file
    if re.search(r"uid,gid', expected [1-9]", msg) or re.search(r"uid,gid', expected \S+,[1-9]\d*,[1-9]\d*, got \S+,0,0", msg):
        return "owner"
    if re.search(r"\bnlink', expected [2-9], got 1$", msg):
        return "hardlink"
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tests", required=True)
    ap.add_argument("--expected", required=True)
    ap.add_argument("--esfs", required=True)
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--bindfs")
    ap.add_argument("--bindfs-seconds", type=int, default=0)
    ap.add_argument("--only", action="append", default=[])
    ap.add_argument("--propose")
    a = ap.parse_args()

    def in_scope(name):
        return not a.only or any(name == o or name.startswith(o.rstrip("/") + "/") for o in a.only)

    esfs = parse_prove(a.esfs, a.tests)
    expected, errors = read_expected(a.expected)
    for e in errors:
        print(e)
    total = sum(plan for plan, _ in esfs.values())
    failed = {(f, n): msg for f, (_, fails) in esfs.items() for n, msg in fails.items()}
    unexpected_fail = sorted(k for k in failed if k not in expected)
    unexpected_pass = sorted(k for k in expected
                             if k not in failed and k[0] in esfs and in_scope(k[0]))
    by_reason = {}
    for k in failed:
        r = expected.get(k, "unexpected")
        by_reason[r] = by_reason.get(r, 0) + 1

    print(f"esfs:   {len(esfs)} test files, {total} subtests, {len(failed)} failed ({a.seconds} s)")
    if a.bindfs:
        b = parse_prove(a.bindfs, a.tests)
        btotal = sum(plan for plan, _ in b.values())
        bfailed = sum(len(fails) for _, fails in b.values())
        print(f"bindfs: {len(b)} test files, {btotal} subtests, {bfailed} failed ({a.bindfs_seconds} s)")
    for r in sorted(by_reason, key=lambda r: -by_reason[r]):
        print(f"  {by_reason[r]:5d}  {r}")
    for f, n in unexpected_fail:
        print(f"UNEXPECTED FAILURE {f} {n}: {failed[(f, n)]}")
    for f, n in unexpected_pass:
        print(f"unexpected pass {f} {n} (listed as {expected[(f, n)]}: remove it from the list)")
    if a.propose:
        # A failing subtest that no command explains inherits the reason of
        # the failing subtest right before it (a step on what a refused
        # symlink, mkfifo or chown should have made).
        per = {}
        notes = {}
        for f in sorted(esfs):
            prev_n, prev_reason = None, "?"
            unmade = {}  # name a refused symlink/mkfifo/mknod/bind should have made -> reason
            for n in sorted(esfs[f][1]):
                msg = esfs[f][1][n]
                reason = expected.get((f, n)) or suggest(msg)
                m = re.search(r"tried '([^']*)'", msg)
                words = m.group(1).split() if m else []
                if reason in ("symlink", "fifo", "device", "hardlink") and len(words) >= 2:
                    made = words[-1] if words[0] in ("symlink", "link") else words[1]
                    unmade[made] = reason
                if reason == "?":
                    for w in words:
                        if w in unmade:
                            reason = unmade[w]
                            break
                if reason == "?" and prev_n == n - 1:
                    reason = prev_reason
                if reason == "?":
                    notes.setdefault(f, []).append(f"#   {n}: {msg[:300]}")
                per.setdefault((f, reason), set()).add(n)
                prev_n, prev_reason = n, reason
        with open(a.propose, "w") as out:
            for (f, reason), nums in sorted(per.items(), key=lambda kv: (kv[0][0], min(kv[1]))):
                out.write(f"{f} {ranges(nums)} {reason}\n")
                if reason == "?":
                    out.write("\n".join(notes[f]) + "\n")
    print(f"{len(unexpected_fail)} unexpected failures, {len(unexpected_pass)} unexpected passes")
    return 1 if unexpected_fail or errors else 0


if __name__ == "__main__":
    sys.exit(main())
