#!/usr/bin/env python3
"""The table of scripts/bench/load.sh (Markdown), from its results.jsonl and
info.json: medians over the repetitions, the issue #16 targets, and every
repetition's figure below so that the spread is visible.

    load_table.py RESULTS.jsonl INFO.json
"""
import json
import statistics
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
info = json.load(open(sys.argv[2]))


def pick(case, fs):
    return [r for r in rows if r["case"] == case and r["fs"] == fs]


def med(case, fs, key):
    vals = [r[key] for r in pick(case, fs) if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def dur(s):
    if s is None:
        return "—"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 0.001:
        return f"{s * 1e3:.0f} ms" if s >= 0.01 else f"{s * 1e3:.1f} ms"
    return f"{s * 1e6:.0f} µs"


def ms(x):
    return "—" if x is None else (f"{x:.2f}" if x < 10 else f"{x:.0f}")


def lat(case, fs):
    p50, p99, mx = (med(case, fs, k) for k in ("p50_ms", "p99_ms", "max_ms"))
    if p99 is None:
        return "no sample", None
    n = sum(r["samples"] for r in pick(case, fs))
    return f"{ms(p50)} / {ms(p99)} / {ms(mx)} ms ({n} samples)", p99


def verdict(ok):
    return "—" if ok is None else ("yes" if ok else "**no**")


N, P = info["saves"], info["procs"]
out = []
add = out.append
add(f"Median of {info['reps']} repetition{'s' if info['reps'] != 1 else ''} per cell; "
    "both file systems measured in turn within each repetition.")
add("")
add("| measure | bindfs | esfs | esfs/bindfs | target | met? |")
add("|---|---:|---:|---:|---|---|")

# saves per second
rate = {(c, f): med(c, f, "rate") for c in ("saves1", "saves8", "saves8shared") for f in ("bindfs", "esfs")}
for c, label in (("saves1", f"saves/s, 1 process ({N} saves)"),
                 ("saves8", f"saves/s, {P} processes, each in its own folder ({N} saves)"),
                 ("saves8shared", f"saves/s, {P} processes, one folder ({N} saves)")):
    b, e = rate[(c, "bindfs")], rate[(c, "esfs")]
    ratio = f"{b / e:.2f}× (time)" if b and e else "—"
    add(f"| {label} | {b:,.0f} | {e:,.0f} | {ratio} | | |")
for c, label in (("saves8", f"{P} processes / 1 process (own folders)"),
                 ("saves8shared", f"{P} processes / 1 process (one folder)")):
    b = rate[(c, "bindfs")] / rate[("saves1", "bindfs")] if rate[("saves1", "bindfs")] else None
    e = rate[(c, "esfs")] / rate[("saves1", "esfs")] if rate[("saves1", "esfs")] else None
    add(f"| {label} | {b:.2f}× | **{e:.2f}×** | | esfs ≥ 3× | {verdict(e >= 3)} |")

# One saver's rate is what is left after its worst stalls (on a busy machine
# the lone process waits for a CPU while the mount idles); 1 / its median
# save time is its rate when it is not held up, a steadier base.
p50 = {f: med("saves1", f, "save_p50_ms") for f in ("bindfs", "esfs")}
if all(p50.values()):
    b, e = rate[("saves8", "bindfs")] * p50["bindfs"] / 1e3, rate[("saves8", "esfs")] * p50["esfs"] / 1e3
    add(f"| {P} processes (own folders) / (1 ÷ one process's median save time) | {b:.2f}× | {e:.2f}× | | | |")

# flushes, counted
for c, label, limit in (("flushes8", f"disk flushes per save, {P} processes (counted)", 1.0),
                        ("flushes1", "disk flushes per save, 1 process (counted)", 1.0)):
    cells = {}
    for f in ("bindfs", "esfs"):
        r = pick(c, f)
        cells[f] = r[0]["flushes"] / r[0]["saves"] if r else None
    e = cells["esfs"]
    add(f"| {label} | {cells['bindfs']:.2f} | **{e:.2f}** | | ≤ {limit:.1f} | {verdict(e <= limit)} |")

# latency
for c, label, target in (("quiet", "open+read+close of another file, quiet: p50 / p99 / max", None),
                         ("storm", f"the same during an {P}-process save storm ({info['storm_s']} s)", 5.0),
                         ("mv", f"the same during `mv` of a {info['mv']:,}-file folder", 5.0)):
    (bt, _), (et, ep99) = lat(c, "bindfs"), lat(c, "esfs")
    tcell = f"esfs p99 ≤ {target:.0f} ms" if target else ""
    add(f"| {label} | {bt} | {et} | | {tcell} | {verdict(ep99 <= target) if target and ep99 is not None else ''} |")
bm, em = med("mv", "bindfs", "seconds"), med("mv", "esfs", "seconds")
add(f"| `mv` of a {info['mv']:,}-file folder of published files | {dur(bm)} | **{dur(em)}** | "
    f"{em / bm:,.0f}× | esfs ≤ 1 s | {verdict(em <= 1.0)} |")

mvf = {f: pick("mvflushes", f) for f in ("bindfs", "esfs")}
if mvf["esfs"] and mvf["bindfs"]:
    add(f"| disk flushes during that `mv` (counted, once) | {mvf['bindfs'][0]['flushes']:,} | "
        f"{mvf['esfs'][0]['flushes']:,} | | | |")

# ls -l and memory
bl, el = med("ls", "bindfs", "seconds"), med("ls", "esfs", "seconds")
big = info["ls"] >= 100_000
add(f"| `ls -l` of a folder of {info['ls']:,} files | {dur(bl)} | {dur(el)} | **{el / bl:.2f}×** | ≤ 1.5× | "
    f"{verdict(el / bl <= 1.5)} |")
mem = {r["label"]: r for r in rows if r["case"] == "memory"}
after_ls = next((r for k, r in mem.items() if k.startswith("after ls")), None)
if after_ls:
    rss, hwm = after_ls["VmRSS"] / 1024, after_ls["VmHWM"] / 1024
    add(f"| esfs daemon VmRSS / VmHWM after that listing ({info['ls']:,} documents) | | {rss:.0f} / {hwm:.0f} MB | | "
        f"< 100 MB{'' if big else ' (at 100,000)'} | {verdict(max(rss, hwm) < 100) if big else '— (quick)'} |")
add("")
add(f"esfs/bindfs is a ratio of times (lower is better for esfs); the `mv` row's ratio is large because bindfs "
    "renames one folder entry.")
add("")

# details
add("Every repetition (load average before the case in brackets):")
add("")
for c in ("ls", "saves1", "saves8", "saves8shared", "quiet", "storm", "mv"):
    for f in ("bindfs", "esfs"):
        parts = []
        for r in pick(c, f):
            if c.startswith("saves"):
                v = f"{r['rate']:,.0f}/s (save p50 {ms(r['save_p50_ms'])} ms, p99 {ms(r['save_p99_ms'])} ms)"
            elif c in ("quiet", "storm"):
                v = f"p99 {ms(r['p99_ms'])} ms of {r['samples']}" + (f", {r['storm_saves']} saves" if c == "storm" else "")
            elif c == "mv":
                v = f"{dur(r['seconds'])}, p99 {ms(r['p99_ms'])} ms of {r['samples']}"
            else:
                v = dur(r["seconds"])
            parts.append(f"{v} [{r['load']}]")
        add(f"- {c} {f}: " + "; ".join(parts))
for c in ("flushes8", "flushes1", "mvflushes"):
    for f in ("bindfs", "esfs"):
        for r in pick(c, f):
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(r["flush_kinds"].items())) or "none"
            what = f"{r['saves']} saves" if "saves" in r else f"a rename of {r['files']:,} files, {dur(r['seconds'])} under strace"
            add(f"- {c} {f}: {r['flushes']} flushes for {what} ({kinds}) [{r['load']}]")
for label, r in mem.items():
    add(f"- esfs memory, {label}: VmRSS {r['VmRSS'] / 1024:.1f} MB, VmHWM {r['VmHWM'] / 1024:.1f} MB, "
        f"RssAnon {r['RssAnon'] / 1024:.1f} MB, RssFile {r['RssFile'] / 1024:.1f} MB")
print("\n".join(out))
