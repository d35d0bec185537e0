#!/usr/bin/env python3
"""Counts the disk flushes a save costs in a real esfs mount (issue #16:
"disk flushes per save (write+close, no fsync) <= 1.0, counted, not timed;
with fsync <= 2").

Runs `esfs mount -f` under `strace -f`, makes N saves of new small files
(write+close) and N saves with fsync (write+fsync+close), and counts in the
daemon's trace, per save:
  - fsync, fdatasync, msync and sync_file_range calls, and
  - writes to a file descriptor opened with O_DSYNC or O_SYNC (each is a
    flush: LMDB writes its meta page that way unless MDB_NOMETASYNC).
Usage: flushes.py ESFS_BINARY [N]. Needs root (FUSE), strace. Prints a
table; exits 1 if a requirement is missed.
"""
import os, re, subprocess, sys, tempfile, time

esfs = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100
work = tempfile.mkdtemp(prefix="esfs-flushes.")
data, mnt, key = f"{work}/data", f"{work}/mnt", f"{work}/id.json"
os.makedirs(mnt)
ws = "+bench.flushes"
def esfs_cmd(*a):
    subprocess.run([esfs, "--data", data, "--key", key, *a], check=True, stdout=subprocess.DEVNULL)
esfs_cmd("keygen", "bnch")
esfs_cmd("workspace", "add", ws)

def dsync_fds(pid):
    """The daemon's fds opened with O_DSYNC or O_SYNC (from /proc fdinfo)."""
    fds = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            for line in open(f"/proc/{pid}/fdinfo/{fd}"):
                if line.startswith("flags:") and int(line.split()[1], 8) & 0o10000:
                    fds.add(fd)
        except OSError:
            pass
    return fds

def save(path, text, do_fsync):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(fd, text.encode())
    if do_fsync:
        os.fsync(fd)
    os.close(fd)

def phase(label, do_fsync):
    r, w = os.pipe()
    daemon = subprocess.Popen([esfs, "--data", data, "--key", key, "mount", mnt, "-f", "--ready-fd", str(w)],
                              pass_fds=(w,), stderr=subprocess.DEVNULL)
    os.close(w)
    if os.read(r, 16) == b"":
        sys.exit("the mount did not come up")
    os.close(r)
    try:
        save(f"{mnt}/{ws}/warm-{label}.txt", "warm", do_fsync)
        sync_fds = dsync_fds(daemon.pid)
        # Attach to every thread of the daemon for the saves only: start-up
        # and unmount are not counted.
        trace = f"{work}/{label}.trace"
        tids = os.listdir(f"/proc/{daemon.pid}/task")
        tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-e",
                                   "trace=openat,fsync,fdatasync,msync,sync_file_range,pwrite64,write,pwritev,writev"]
                                  + sum((["-p", t] for t in tids), []), stderr=subprocess.DEVNULL)
        # Attached once the daemon's reply to a lookup shows in the trace.
        deadline = time.time() + 30
        while time.time() < deadline:
            os.path.exists(f"{mnt}/{ws}/probe-{time.time()}")
            if os.path.exists(trace) and os.path.getsize(trace) > 0:
                break
            time.sleep(0.05)
        t0 = time.time()
        for i in range(n):
            save(f"{mnt}/{ws}/{label}-{i}.txt", f"save {i}\n", do_fsync)
        elapsed = time.time() - t0
        tracer.send_signal(2)
        tracer.wait(timeout=30)
        return count(trace, sync_fds), elapsed
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        daemon.wait(timeout=60)

def count(trace, sync_fds):
    flushes = 0
    for line in open(trace, errors="replace"):
        m = re.match(r"(\d+)\s+(\w+)\((.*)", line)
        if not m:
            continue
        _, call, rest = m.groups()
        if call == "openat":
            fdm = re.search(r"= (\d+)", rest)
            if fdm and ("O_DSYNC" in rest or "O_SYNC" in rest):
                sync_fds.add(fdm.group(1))
            continue
        if call in ("fsync", "fdatasync", "msync", "sync_file_range"):
            flushes += 1
        elif call in ("pwrite64", "write", "pwritev", "writev") and rest.split(",", 1)[0] in sync_fds:
            flushes += 1
    return flushes

rows = []
for label, do_fsync, limit in (("close", False, 1.0), ("fsync", True, 2.0)):
    flushes, elapsed = phase(label, do_fsync)
    rows.append((label, flushes / n, limit, elapsed / n * 1000))
print(f"| save ({n} new files) | disk flushes per save | required | ms per save (under strace) |")
print("|---|---:|---:|---:|")
missed = False
for label, per, limit, ms in rows:
    ok = per <= limit
    missed |= not ok
    what = "write+close" if label == "close" else "write+fsync+close"
    print(f"| {what} | {per:.2f}{'' if ok else ' **MISSED**'} | <= {limit:.1f} | {ms:.2f} |")
subprocess.run(["rm", "-rf", work])
sys.exit(1 if missed else 0)
