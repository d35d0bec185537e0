#!/usr/bin/env python3
"""The measurements of scripts/bench/load.sh (issue #16: the mount under
load), one per call; each prints one JSON object on stdout.

  gendocs  KEY WS OUT SPEC...   sign documents for `esfs import` on every
                                core; SPEC = PREFIX:COUNT (all in one folder,
                                PREFIX/doc-IIIIII.txt, the content of
                                mount_gendocs.py with 200 bytes)
  saves    ROOT N PROCS LAYOUT [--strace PID TRACE]
                                N saves of new files by PROCS processes at
                                once (N/PROCS each); a save = open
                                O_CREAT|O_TRUNC, write 1-4 KB, close.
                                LAYOUT own: each process in ROOT/pK;
                                shared: all in ROOT. Timed from one start
                                signal to the last process's last close.
                                --strace PID TRACE: count the disk flushes
                                of daemon PID during the saves instead (see
                                count_flushes; the time is then not meant).
                                TRACE must not be in a FUSE mount that PID
                                serves: strace stops the daemon's threads
  storm    ROOT PROBEDIR NPROBE PROCS SECONDS
                                PROCS processes save new files for SECONDS
                                while this process times open+read+close of
                                the NPROBE existing files PROBEDIR/doc-*.txt
                                in turn, one every 2 ms (PROCS = 0: the
                                probe alone, the quiet baseline)
  mv       SRC DST NFILES PROBEDIR NPROBE [--strace PID TRACE]
                                `mv SRC DST` (a folder of NFILES files),
                                timed, while a probe process times
                                open+read+close as above; the probe samples
                                that overlap the rename count. --strace:
                                also count daemon PID's disk flushes (the
                                time is then not meant)
Latencies are of open+read+close together: close() of a FUSE file is a
request too (FLUSH), answered by the same daemon.
"""
import json
import math
import multiprocessing
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PROBE_BYTES = 200          # what mount_gendocs.py / mount_ops.py mkmany write
PROBE_PAUSE = 0.002        # between two probe samples
WORDS = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "


def emit(**fields):
    print(json.dumps(fields))


def quantiles(lat):
    """p50/p99/max in milliseconds (nearest rank), or Nones if empty."""
    if not lat:
        return {"samples": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    s = sorted(lat)
    rank = lambda q: s[max(0, math.ceil(q * len(s)) - 1)]
    return {"samples": len(s), "p50_ms": round(rank(0.50) * 1e3, 3), "p99_ms": round(rank(0.99) * 1e3, 3),
            "max_ms": round(s[-1] * 1e3, 3)}


def blob(proc, i):
    """1-4 KB of ASCII text, different for every (process, save)."""
    rng = random.Random(proc * 1_000_003 + i)
    size = rng.randint(1024, 4096)
    head = f"load.sh save {proc}/{i}\n".encode()
    return (head + WORDS * (size // len(WORDS) + 1))[:size]


def save(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


# --- gendocs -------------------------------------------------------------------

def _sign_range(args):
    key_file, ws, prefix, begin, end, base_ts = args
    import mount_gendocs as g
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    import hashlib
    with open(key_file) as f:
        ident = json.load(f)
    author = ident["address"]
    key = Ed25519PrivateKey.from_private_bytes(g.b32decode(ident["secret"]))
    out = []
    for i in range(begin, end):
        path = f"{prefix}/doc-{i:06d}.txt"
        content = g.content_of(i, PROBE_BYTES)
        content_hash = g.b32encode(hashlib.sha256(content.encode()).digest())
        ts = base_ts + i
        signing_text = (f"author\t{author}\ncontentHash\t{content_hash}\nformat\tes.4\n"
                        f"path\t{path}\ntimestamp\t{ts}\nworkspace\t{ws}\n")
        doc_hash = g.b32encode(hashlib.sha256(signing_text.encode()).digest())
        out.append(json.dumps({
            "format": "es.4", "workspace": ws, "path": path, "contentHash": content_hash, "content": content,
            "author": author, "timestamp": ts, "deleteAfter": None,
            "signature": g.b32encode(key.sign(doc_hash.encode("ascii"))),
        }, separators=(",", ":")))
    return out


def cmd_gendocs(key_file, ws, out_file, *specs):
    t0 = time.perf_counter()
    base_ts = int(time.time() * 1_000_000) - 10 * 60 * 1_000_000
    jobs = []
    for spec in specs:
        prefix, count = spec.rsplit(":", 1)
        count = int(count)
        for b in range(0, count, 5000):
            jobs.append((key_file, ws, prefix.rstrip("/"), b, min(count, b + 5000), base_ts))
    n = 0
    with multiprocessing.Pool(os.cpu_count()) as pool, open(out_file, "w") as out:
        out.write("[\n")
        for part in pool.imap(_sign_range, jobs):
            for line in part:
                out.write(("" if n == 0 else ",\n") + line)
                n += 1
        out.write("\n]\n")
    emit(seconds=round(time.perf_counter() - t0, 3), docs=n)


# --- saves by several processes ----------------------------------------------------

def _saver(proc, folder, count, go_r, ready_w, result_w, deadline_s=None):
    """A child: prepares its data, says ready, waits for the start signal,
    saves, then writes its per-save latencies and end time as JSON."""
    blobs = [blob(proc, i) for i in range(count if count else 4096)]
    os.write(ready_w, b"r")
    if os.read(go_r, 1) != b"g":
        os._exit(1)  # the parent is gone
    lat = []
    i = 0
    start = time.perf_counter()
    stop = start + deadline_s if deadline_s else None
    while (i < count) if count else (time.perf_counter() < stop):
        t0 = time.perf_counter()
        save(f"{folder}/s{proc:02d}-{i:06d}.txt", blobs[i % len(blobs)])
        lat.append(time.perf_counter() - t0)
        i += 1
    end = time.perf_counter()
    data = json.dumps({"end": end, "lat": lat}).encode()
    while data:
        data = data[os.write(result_w, data):]
    os.close(result_w)


class Savers:
    """PROCS forked children that save once released (count each, or until
    deadline seconds have passed)."""

    def __init__(self, root, procs, layout, count=0, seconds=None):
        self.procs = procs
        go_r, self.go_w = os.pipe()
        ready_r, ready_w = os.pipe()
        self.pids, self.results = [], []
        for p in range(procs):
            folder = f"{root}/p{p}" if layout == "own" else root
            os.makedirs(folder, exist_ok=True)
            res_r, res_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                try:
                    # Only the parent may hold the write end of the start
                    # pipe: if it dies, the read sees EOF and this child ends.
                    for fd in [res_r, self.go_w, ready_r] + self.results:
                        os.close(fd)
                    _saver(p, folder, count, go_r, ready_w, res_w, seconds)
                    os._exit(0)
                except BaseException as e:  # noqa: BLE001 - the child reports and exits
                    print(f"load_ops: saver {p}: {e}", file=sys.stderr)
                    os._exit(1)
            os.close(res_w)
            self.pids.append(pid)
            self.results.append(res_r)
        os.close(go_r)
        os.close(ready_w)
        got = 0
        while got < procs:
            b = os.read(ready_r, procs)
            if not b:
                sys.exit("load_ops: a saver died before it was ready")
            got += len(b)
        os.close(ready_r)

    def go(self):
        self.t0 = time.perf_counter()
        os.write(self.go_w, b"g" * self.procs)
        os.close(self.go_w)

    def wait(self):
        ends, lat = [], []
        for pid, r in zip(self.pids, self.results):
            chunks = []
            while True:
                b = os.read(r, 1 << 20)
                if not b:
                    break
                chunks.append(b)
            os.close(r)
            _, status = os.waitpid(pid, 0)
            if status != 0:
                sys.exit(f"load_ops: a saver failed (status {status})")
            res = json.loads(b"".join(chunks))
            ends.append(res["end"])
            lat.extend(res["lat"])
        return max(ends) - self.t0, lat


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


FLUSH_CALLS = ("fsync", "fdatasync", "msync", "sync_file_range", "syncfs", "sync")
WRITE_CALLS = ("pwrite64", "write", "pwritev", "writev", "pwritev2")


def start_strace(pid, trace, mount_root):
    """strace -f on every thread of PID (fds opened later are followed by
    their openat); returns once a lookup in the mount shows in the trace."""
    tids = os.listdir(f"/proc/{pid}/task")
    tracer = subprocess.Popen(["strace", "-f", "-qq", "-o", trace, "-e",
                               "trace=openat," + ",".join(FLUSH_CALLS + WRITE_CALLS)]
                              + sum((["-p", t] for t in tids), []), stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        os.path.exists(f"{mount_root}/.load-probe-{time.time()}")  # a lookup; its reply is a write to /dev/fuse
        if os.path.exists(trace) and os.path.getsize(trace) > 0:
            return tracer
        time.sleep(0.05)
    tracer.kill()
    sys.exit("load_ops: strace did not attach")


def count_flushes(trace, sync_fds):
    """Flush calls and writes to O_DSYNC/O_SYNC descriptors, by kind."""
    kinds = {}
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
        if call in FLUSH_CALLS:
            kinds[call] = kinds.get(call, 0) + 1
        elif call in WRITE_CALLS and rest.split(",", 1)[0] in sync_fds:
            kinds["O_DSYNC write"] = kinds.get("O_DSYNC write", 0) + 1
    return kinds


def cmd_saves(root, n, procs, layout, *opt):
    n, procs = int(n), int(procs)
    strace_pid, trace = (opt[1], opt[2]) if len(opt) == 3 and opt[0] == "--strace" else (None, None)
    os.makedirs(root, exist_ok=True)
    savers = Savers(root, procs, layout, count=n // procs)
    tracer = None
    if strace_pid:
        sync_fds = dsync_fds(strace_pid)
        tracer = start_strace(strace_pid, trace, root)
    try:
        savers.go()
        seconds, lat = savers.wait()
    except BaseException:
        if tracer:
            tracer.kill()  # never leave the daemon's threads stopped
        raise
    out = {"seconds": round(seconds, 6), "saves": len(lat), "rate": round(len(lat) / seconds, 1),
           "save_p50_ms": quantiles(lat)["p50_ms"], "save_p99_ms": quantiles(lat)["p99_ms"]}
    if tracer:
        time.sleep(0.5)  # flushes the daemon does just after the last close count too
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
        kinds = count_flushes(trace, sync_fds)
        os.unlink(trace)
        out.update(flushes=sum(kinds.values()), flush_kinds=kinds)
    made = sum(len(os.listdir(f"{root}/p{p}")) for p in range(procs)) if layout == "own" else len(os.listdir(root))
    if made != len(lat):
        sys.exit(f"load_ops: {made} files in {root}, expected {len(lat)}")
    emit(**out)


# --- latency of another file's open+read --------------------------------------------

def probe_once(path):
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY)
    got = 0
    try:
        while True:
            b = os.read(fd, 65536)
            if not b:
                break
            got += len(b)
    finally:
        os.close(fd)
    t1 = time.perf_counter()
    if got != PROBE_BYTES:
        raise RuntimeError(f"{path}: read {got} bytes, expected {PROBE_BYTES}")
    return t0, t1


def probe_loop(probedir, nprobe, until):
    """Samples (start, end) until perf_counter() >= until() is true."""
    samples, i = [], 0
    while not until():
        samples.append(probe_once(f"{probedir}/doc-{i % nprobe:06d}.txt"))
        i += 1
        time.sleep(PROBE_PAUSE)
    return samples


def cmd_storm(root, probedir, nprobe, procs, seconds):
    nprobe, procs, seconds = int(nprobe), int(procs), float(seconds)
    savers = Savers(root, procs, "own", seconds=seconds) if procs else None
    t0 = time.perf_counter()
    if savers:
        savers.go()
    samples = probe_loop(probedir, nprobe, lambda: time.perf_counter() - t0 >= seconds)
    saves, storm_s = 0, seconds
    if savers:
        storm_s, lat = savers.wait()
        saves = len(lat)
    # Samples that started while the storm ran.
    lat = [b - a for a, b in samples if a < t0 + storm_s]
    emit(**quantiles(lat), storm_saves=saves, storm_seconds=round(storm_s, 3))


def _probe_child(probedir, nprobe, stop_r, out_w):
    os.set_blocking(stop_r, False)

    def stopped():  # a byte or EOF on the pipe: stop
        try:
            os.read(stop_r, 1)
            return True
        except BlockingIOError:
            return False
    samples = probe_loop(probedir, nprobe, stopped)
    data = json.dumps(samples).encode()
    while data:
        data = data[os.write(out_w, data):]
    os.close(out_w)


def cmd_mv(src, dst, nfiles, probedir, nprobe, *opt):
    nfiles, nprobe = int(nfiles), int(nprobe)
    strace_pid, trace = (opt[1], opt[2]) if len(opt) == 3 and opt[0] == "--strace" else (None, None)
    stop_r, stop_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(stop_w)
            os.close(out_r)
            _probe_child(probedir, nprobe, stop_r, out_w)
            os._exit(0)
        except BaseException as e:  # noqa: BLE001
            print(f"load_ops: probe: {e}", file=sys.stderr)
            os._exit(1)
    os.close(stop_r)
    os.close(out_w)
    tracer = None
    if strace_pid:
        sync_fds = dsync_fds(strace_pid)
        tracer = start_strace(strace_pid, trace, os.path.dirname(src))
    time.sleep(0.3)  # the probe is running
    t0 = time.perf_counter()
    r = subprocess.run(["mv", src, dst], stderr=subprocess.PIPE)
    t1 = time.perf_counter()
    time.sleep(0.1)
    flushes = {}
    if tracer:
        time.sleep(0.4)
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=60)
        kinds = count_flushes(trace, sync_fds)
        os.unlink(trace)
        flushes = {"flushes": sum(kinds.values()), "flush_kinds": kinds}
    os.write(stop_w, b"x")
    chunks = []
    while True:
        b = os.read(out_r, 1 << 20)
        if not b:
            break
        chunks.append(b)
    _, status = os.waitpid(pid, 0)
    if r.returncode != 0:
        sys.exit(f"load_ops: mv {src} {dst}: exit {r.returncode}: {r.stderr[:300]!r}")
    if status != 0:
        sys.exit("load_ops: the probe failed")
    got = len(os.listdir(dst))
    if got != nfiles or os.path.exists(src):
        sys.exit(f"load_ops: after mv, {dst} has {got} entries (expected {nfiles}); {src} exists: {os.path.exists(src)}")
    samples = json.loads(b"".join(chunks))
    during = [b - a for a, b in samples if a < t1 and b > t0]
    emit(seconds=round(t1 - t0, 6), files=nfiles, **quantiles(during), probe_total=len(samples), **flushes)


COMMANDS = {"gendocs": cmd_gendocs, "saves": cmd_saves, "storm": cmd_storm, "mv": cmd_mv}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
