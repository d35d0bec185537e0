#!/usr/bin/env python3
"""The live view's replay (fs/replayer.h), measured; run by scripts/bench/replay.sh.

    replay_bench.py --esfs BIN --dir WORK [--burst N] [--changes M]

1. Bursts: N documents by another author (signed by mount_gendocs.py) stored
   with one `esfs import` in another process, into an existing folder, while
   `inotifywait -m -r` watches the mount (esfs mount --workspace): the replay
   rate (N / the time from the first CREATE to the last CLOSE_WRITE the
   watcher read), once alone and once with `ls` of the folder run over and
   over (its slowest run), and what the replay costs the store (its export
   before and after: equal; bytes the daemon wrote, /proc/PID/io).
   Anchor, same run: the same system calls (create, write of 1 byte, close)
   made by this script on a tmpfs folder watched the same way.
2. Latency: M changes, one `esfs put` each (another process), one after the
   other; per document, the time from its timestamp (signed just before the
   commit) to the watcher reading its CLOSE_WRITE: p50, p99, max.
Prints a Markdown table. Exits non-zero if a check fails (events missing,
store changed).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

WS = "+bench.esfs"


class Watcher:
    """inotifywait -m -r on a folder; every line with the time it was read."""

    def __init__(self, folder):
        self.lines = []
        self.lock = threading.Lock()
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "inotifywait", "-m", "-r", "--format", "%e %w%f", folder],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        if not self.wait(lambda: self.count("Watches established") > 0, 30):
            raise SystemExit("inotifywait did not start")

    def _read(self):
        for line in self.proc.stdout:
            now = time.time()
            with self.lock:
                self.lines.append((now, line.rstrip("\n")))

    def count(self, part):
        with self.lock:
            return sum(1 for _, t in self.lines if part in t)

    def times(self, event, part):
        with self.lock:
            return {t.split(" ", 1)[1]: at for at, t in self.lines if t.startswith(event + " ") and part in t}

    @staticmethod
    def wait(check, seconds):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if check():
                return True
            time.sleep(0.005)
        return check()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def run(argv, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:6])}...: exit {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def write_bytes(pid):
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--esfs", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--burst", type=int, default=10000)
    ap.add_argument("--changes", type=int, default=1000)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    work = a.dir
    data, key, remote, mnt = (os.path.join(work, n) for n in ("data", "id.json", "remote.json", "mnt"))
    os.makedirs(mnt, exist_ok=True)
    esfs = [a.esfs, "--data", data, "--key", key]
    run(esfs + ["keygen", "dana"])
    run([a.esfs, "keygen", "fern", "--out", remote])
    run(esfs + ["workspace", "add", WS])
    run(esfs + ["put", WS, "/burst/first.txt", "-"], input="1")  # the burst's folder exists
    r, w = os.pipe()
    daemon = subprocess.Popen(esfs + ["mount", mnt, "--workspace", WS, "-f", "--ready-fd", str(w)],
                              pass_fds=(w,), stdout=open(os.path.join(work, "daemon.log"), "w"),
                              stderr=subprocess.STDOUT)
    os.close(w)
    if not os.read(r, 16).startswith(b"ready"):
        raise SystemExit("the mount did not start")
    os.close(r)
    failures = []
    rows = []
    try:
        watcher = Watcher(mnt)
        # ---- 1. burst, twice: alone (the rate), then with `ls` running (the stall check) ----
        def burst(folder, with_ls):
            docs = os.path.join(work, folder + ".json")
            with open(docs, "w") as out:
                subprocess.run([sys.executable, os.path.join(here, "mount_gendocs.py"), "--key", remote, "--workspace",
                                WS, "--prefix", "/" + folder, "--count", str(a.burst), "--per-folder", "0"],
                               stdout=out, check=True)
            run(esfs + ["put", WS, f"/{folder}/first.txt", "-"], input="1")  # the folder exists
            where = os.path.join(mnt, folder + "/doc-")
            Watcher.wait(lambda: watcher.count("CLOSE_WRITE,CLOSE " + os.path.join(mnt, folder + "/first.txt")) >= 1, 10)
            written_before = write_bytes(daemon.pid)
            t0 = time.time()
            run(esfs + ["import", WS, docs])
            t_import = time.time()
            export_before = hashlib.sha256(run(esfs + ["export", WS]).encode()).hexdigest()
            slowest_ls, listings = 0.0, 0
            deadline = time.time() + 600
            while watcher.count("CLOSE_WRITE,CLOSE " + where) < a.burst and time.time() < deadline:
                if with_ls:
                    s = time.time()
                    subprocess.run(["ls", os.path.join(mnt, folder)], stdout=subprocess.DEVNULL, check=True)
                    slowest_ls = max(slowest_ls, time.time() - s)
                    listings += 1
                else:
                    time.sleep(0.01)
            ends = watcher.times("CLOSE_WRITE,CLOSE", where)
            creates = watcher.times("CREATE", where)
            written = write_bytes(daemon.pid) - written_before
            export_after = hashlib.sha256(run(esfs + ["export", WS]).encode()).hexdigest()
            if len(ends) < a.burst or len(creates) < a.burst:
                failures.append(f"{folder}: {len(creates)} CREATE and {len(ends)} CLOSE_WRITE of {a.burst}")
            if export_before != export_after:
                failures.append(f"{folder}: the store changed during the replay")
            first, last = min(creates.values()), max(ends.values())
            return {"rate": len(ends) / max(last - first, 1e-9), "span": last - first, "import": t_import - t0,
                    "tail": last - t_import, "events": watcher.count(where) / a.burst, "ls": slowest_ls,
                    "listings": listings, "same": export_before == export_after, "written": written}
        alone = burst("burst", False)
        busy = burst("busy", True)
        with open(os.path.join(work, "daemon.log")) as f:
            replay_lines = [l.strip() for l in f if "live view: replayed" in l]
        # Anchor: the same calls on a tmpfs folder, watched the same way.
        anchor_dir = tempfile.mkdtemp(dir="/dev/shm")
        anchor = Watcher(anchor_dir)
        s = time.time()
        for i in range(a.burst):
            fd = os.open(os.path.join(anchor_dir, f"doc-{i:06d}.txt"), os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b"x")
            os.close(fd)
        Watcher.wait(lambda: anchor.count("CLOSE_WRITE") >= a.burst, 120)
        anchor_ends = anchor.times("CLOSE_WRITE,CLOSE", anchor_dir)
        anchor_rate = len(anchor_ends) / max(max(anchor_ends.values()) - s, 1e-9)
        anchor.stop()
        subprocess.run(["rm", "-rf", anchor_dir])
        rows += [
            ("documents per burst (one `esfs import` in another process, into an existing folder)",
             f"{a.burst:,} (import: {alone['import']:.2f} s and {busy['import']:.2f} s)"),
            ("replay rate, burst alone (first CREATE to last CLOSE_WRITE read by inotifywait)",
             f"**{alone['rate']:,.0f} docs/s** ({alone['span']:.2f} s)"),
            ("replay rate, burst with `ls` of the folder run again and again",
             f"{busy['rate']:,.0f} docs/s ({busy['span']:.2f} s)"),
            ("`ls` of the folder during that burst", f"{busy['listings']} runs, slowest **{busy['ls'] * 1000:.0f} ms**"),
            ("anchor: create + write 1 byte + close on tmpfs, same watcher, same run", f"{anchor_rate:,.0f} files/s"),
            ("import returned to last event (alone / with ls)", f"{alone['tail']:.2f} s / {busy['tail']:.2f} s"),
            ("events the watcher read per document", f"{alone['events']:.2f} (CREATE, OPEN, MODIFY, CLOSE_WRITE)"),
            ("store export before/after each replay", "identical" if alone["same"] and busy["same"] else "CHANGED"),
            ("bytes the daemon wrote during each replay (/proc/PID/io: its log line)",
             f"{alone['written']:,} / {busy['written']:,}"),
            ("daemon's own count", "; ".join(l.split("esfs: ", 1)[-1] for l in replay_lines[-2:])),
        ]
        # ---- 2. latency ----
        for i in range(a.changes):
            run(esfs + ["put", WS, f"/lat-{i:05d}.txt", "-"], input=f"change {i}\n")
        Watcher.wait(lambda: watcher.count("CLOSE_WRITE,CLOSE " + os.path.join(mnt, "lat-")) >= a.changes, 60)
        seen = watcher.times("CLOSE_WRITE,CLOSE", os.path.join(mnt, "lat-"))
        stamps = {os.path.join(mnt, d["path"].lstrip("/")): d["timestamp"] / 1e6
                  for d in json.loads(run(esfs + ["export", WS])) if d["path"].startswith("/lat-")}
        lat = [(seen[p] - stamps[p]) * 1000 for p in stamps if p in seen]
        if len(lat) < a.changes:
            failures.append(f"latency: {len(lat)} of {a.changes} changes seen")
        if lat:
            rows.append((f"latency, {len(lat):,} changes by `esfs put` one after the other: document timestamp to event read",
                         f"p50 **{pct(lat, 50):.1f} ms**, p99 **{pct(lat, 99):.1f} ms**, max {max(lat):.1f} ms"))
        watcher.stop()
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            subprocess.run(["fusermount3", "-uz", mnt])
    print("| measure | result |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    for f in failures:
        print(f"FAILED: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
