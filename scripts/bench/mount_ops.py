#!/usr/bin/env python3
"""The timed operations of scripts/bench/mount.sh, one per call.

Each sub-command does its untimed setup, then times only the operation
itself (time.perf_counter, in this process: no interpreter start-up in the
numbers) and prints one JSON object {"seconds": S, ...}. File system calls
go straight to os.open/os.write/os.close (no Python buffering, no isatty
probe), as a shell redirect or an editor would make them.

  create   DIR N BYTES       create+write+close N new files of ~BYTES
  createsync DIR N BYTES     the same with fsync before each close: every
                             file durable, on every file system
  mkmany   DIR N             untimed: the N files that `stat`/`ls` use
  stat     DIR N             os.stat of the N files made by mkmany / gendocs
  ls       DIR N             `ls -l DIR` (checks that it lists N entries)
  save     DIR N BYTES       N atomic saves of DIR/report.txt: temp file
                             .goutputstream-XXXXXX, write, fsync, close,
                             rename over the target (gio's pattern)
  seqwrite DIR K BYTES       K files of BYTES, 128 KiB writes, fsync, close
  seqread  DIR K BYTES       read those K files back, 128 KiB reads
  maketree DIR N             untimed: a synthetic source tree of N text files
  untar    TAR DIR N         `tar -xf TAR -C DIR` (checks N files arrived)
  walk     DIR               stat and read every file below DIR
  rootstat PATH K            K stats of PATH, each after the 1 s entry
                             timeout ran out; prints the median latency
"""
import json
import os
import random
import statistics
import subprocess
import sys
import time

CHUNK = 128 * 1024
WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron "
         "pi rho sigma tau upsilon phi chi psi omega ").split()


def text(seed: int, size: int) -> bytes:
    """Deterministic UTF-8 text of exactly |size| bytes (ASCII words)."""
    rng = random.Random(seed)
    head = f"esfs mount benchmark text {seed}\n"
    parts = [head]
    n = len(head)
    while n < size:
        w = rng.choice(WORDS) + (" " if rng.random() < 0.9 else "\n")
        parts.append(w)
        n += len(w)
    return "".join(parts).encode()[:size]


def many_content(i: int) -> bytes:
    """Same content as mount_gendocs.py puts in document i (size 200)."""
    head = f"esfs mount benchmark document {i:06d}\n"
    words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
    body = (words * (200 // len(words) + 2))[: max(0, 200 - len(head) - 1)]
    return (head + body + "\n").encode()


def write_file(path: str, data: bytes, flags=os.O_WRONLY | os.O_CREAT | os.O_TRUNC, fsync=False):
    fd = os.open(path, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view[:CHUNK])
            view = view[n:]
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def emit(seconds: float, **extra):
    print(json.dumps({"seconds": round(seconds, 6), **extra}))


def cmd_create(d, n, size, sync=False):
    os.makedirs(d, exist_ok=True)
    blobs = [text(i, int(size)) for i in range(int(n))]
    t0 = time.perf_counter()
    for i, blob in enumerate(blobs):
        fd = os.open(f"{d}/note-{i:05d}.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(fd, blob)
        if sync:
            os.fsync(fd)
        os.close(fd)
    emit(time.perf_counter() - t0, files=int(n))


def cmd_createsync(d, n, size):
    cmd_create(d, n, size, sync=True)


def cmd_mkmany(d, n):
    os.makedirs(d, exist_ok=True)
    for i in range(int(n)):
        write_file(f"{d}/doc-{i:06d}.txt", many_content(i))
    emit(0.0, files=int(n))


def cmd_stat(d, n):
    paths = [f"{d}/doc-{i:06d}.txt" for i in range(int(n))]
    t0 = time.perf_counter()
    total = 0
    for p in paths:
        total += os.stat(p).st_size
    dt = time.perf_counter() - t0
    if total != 200 * int(n):
        sys.exit(f"stat: expected {200 * int(n)} bytes in all, saw {total}")
    emit(dt, files=int(n))


def cmd_ls(d, n):
    t0 = time.perf_counter()
    r = subprocess.run(["ls", "-l", d], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    lines = r.stdout.count(b"\n") - 1  # "total N"
    if r.returncode != 0 or lines != int(n):
        sys.exit(f"ls -l {d}: exit {r.returncode}, {lines} entries (expected {n}): {r.stderr[:300]!r}")
    emit(dt, entries=lines)


def cmd_save(d, n, size):
    os.makedirs(d, exist_ok=True)
    target = f"{d}/report.txt"
    write_file(target, text(10**6, int(size)))
    rng = random.Random(7)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    blobs = [text(10**6 + i + 1, int(size)) for i in range(int(n))]
    temps = [f"{d}/.goutputstream-{''.join(rng.choice(alphabet) for _ in range(6))}" for _ in range(int(n))]
    t0 = time.perf_counter()
    for blob, temp in zip(blobs, temps):
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, blob)
        os.fsync(fd)
        os.close(fd)
        os.rename(temp, target)
    dt = time.perf_counter() - t0
    with open(target, "rb") as f:
        if f.read() != blobs[-1]:
            sys.exit(f"save: {target} does not hold the last save")
    emit(dt, saves=int(n))


def cmd_seqwrite(d, k, size):
    os.makedirs(d, exist_ok=True)
    base = text(5, int(size))
    blobs = [(f"{j:04d}".encode() + base[4:]) for j in range(int(k))]
    t0 = time.perf_counter()
    for j, blob in enumerate(blobs):
        write_file(f"{d}/big-{j}.txt", blob, fsync=True)
    dt = time.perf_counter() - t0
    emit(dt, files=int(k), bytes=int(k) * int(size), mb_s=round(int(k) * int(size) / dt / 1e6, 1))


def cmd_seqread(d, k, size):
    t0 = time.perf_counter()
    total = 0
    for j in range(int(k)):
        fd = os.open(f"{d}/big-{j}.txt", os.O_RDONLY)
        while True:
            b = os.read(fd, CHUNK)
            if not b:
                break
            total += len(b)
        os.close(fd)
    dt = time.perf_counter() - t0
    if total != int(k) * int(size):
        sys.exit(f"seqread: read {total} bytes, expected {int(k) * int(size)}")
    emit(dt, files=int(k), bytes=total, mb_s=round(total / dt / 1e6, 1))


def cmd_maketree(d, n):
    """A source-like tree: ~40 folders two levels deep, N text files of 100 B
    to ~48 KB (most a few KB), a few names with spaces and non-ASCII."""
    rng = random.Random(2024)
    n = int(n)
    folders = [f"lib{a}/mod{b:02d}" for a in range(4) for b in range(10)] + ["docs", "tests", "tools"]
    exts = [".c", ".h", ".cc", ".py", ".md", ".txt", ".json", ".sh"]
    odd = ["read me.md", "notes (draft).txt", "café.txt", "naïve-änderung.md", "50% done.txt", "a+b=c.txt"]
    made = 0
    for i in range(n):
        folder = folders[i % len(folders)]
        if i < len(odd):
            name = odd[i]
        else:
            name = f"file_{i:05d}{exts[i % len(exts)]}"
        size = int(min(48_000, max(100, rng.lognormvariate(7.8, 1.0))))
        path = f"{d}/{folder}/{name}"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_file(path, text(20_000 + i, size))
        made += 1
    emit(0.0, files=made)


def count_files(d):
    return sum(len(files) for _, _, files in os.walk(d))


def cmd_untar(tar, d, n):
    os.makedirs(d, exist_ok=True)
    t0 = time.perf_counter()
    r = subprocess.run(["tar", "-xf", tar, "-C", d], stderr=subprocess.PIPE)
    dt = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"tar -xf into {d}: exit {r.returncode}: {r.stderr[:500]!r}")
    got = count_files(d)
    if got != int(n):
        sys.exit(f"untar: {got} files in {d}, expected {n}")
    emit(dt, files=got)


def cmd_walk(d):
    t0 = time.perf_counter()
    files = 0
    total = 0
    for root, _, names in os.walk(d):
        for name in names:
            p = os.path.join(root, name)
            os.stat(p)
            fd = os.open(p, os.O_RDONLY)
            while True:
                b = os.read(fd, CHUNK)
                if not b:
                    break
                total += len(b)
            os.close(fd)
            files += 1
    emit(time.perf_counter() - t0, files=files, bytes=total)


def cmd_rootstat(path, k):
    lat = []
    for _ in range(int(k)):
        time.sleep(1.2)  # the kernel's entry and attribute timeouts (1 s) run out
        t0 = time.perf_counter()
        os.stat(path)
        lat.append(time.perf_counter() - t0)
    emit(statistics.median(lat), all=[round(x, 6) for x in lat])


COMMANDS = {
    "create": cmd_create, "createsync": cmd_createsync, "mkmany": cmd_mkmany, "stat": cmd_stat, "ls": cmd_ls, "save": cmd_save,
    "seqwrite": cmd_seqwrite, "seqread": cmd_seqread, "maketree": cmd_maketree, "untar": cmd_untar,
    "walk": cmd_walk, "rootstat": cmd_rootstat,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
