#!/usr/bin/env python3
"""Prints the table of scripts/bench/mount.sh (Markdown) from its raw results.

    mount_table.py RESULTS.jsonl MEMORY.jsonl INFO.json

RESULTS: one {"case", "target", "rep", "seconds", ...} per timed run.
MEMORY:  one {"label", "VmRSS", "VmHWM", "RssAnon", "RssFile", ...} (kB) per
         look at the esfs daemon, plus {"label", "seconds", ...} notes.
INFO:    the sizes of this run (create, stat, save, seq_k, seq_bytes, tar,
         rss_docs) and the machine description.
Exit status 0 always: missed targets are reported, not fatal.
"""
import json
import statistics
import sys

TARGETS = ("tmpfs", "bindfs", "esfs")


def load_lines(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def fmt_s(x):
    if x is None:
        return "—"
    if x < 0.001:
        return f"{x * 1e6:.0f} µs"
    if x < 0.01:
        return f"{x * 1000:.2f} ms"
    if x < 1:
        return f"{x * 1000:.0f} ms"
    return f"{x:.2f} s"


def fmt_ratio(x):
    return "—" if x is None else f"{x:.2f}×" if x < 10 else f"{x:.0f}×"


def main():
    results = load_lines(sys.argv[1])
    memory = load_lines(sys.argv[2])
    with open(sys.argv[3]) as f:
        info = json.load(f)
    mb = info["seq_bytes"] / 1e6
    cases = [
        # id, label, items (per-item time), kind, limit on esfs/bindfs (time)
        ("create", f"create+write+close {info['create']:,} files (~300 B)", info["create"], "small save", 3.0),
        ("createsync", f"create+write+fsync+close {info['create']:,} files (~300 B)", info["create"],
         "small durable save", 3.0),
        ("stat", f"stat of {info['stat']:,} files", info["stat"], "metadata", 1.5),
        ("ls", f"`ls -l` of a folder with {info['stat']:,} entries", info["stat"], "metadata", 1.5),
        ("save", f"{info['save']:,} atomic saves of a 10 KB file (temp, fsync, rename)", info["save"],
         "small save", 3.0),
        ("seqwrite", f"sequential write, {info['seq_k']} × {mb:.1f} MB (+fsync)", info["seq_k"], None, None),
        ("seqread", f"sequential read, {info['seq_k']} × {mb:.1f} MB", info["seq_k"], "seq read", 1 / 0.7),
        ("untar", f"`tar -xf` of a {info['tar']:,}-file source tarball", info["tar"], "small save", 3.0),
    ]
    med = {}
    for c, *_ in cases:
        for t in TARGETS:
            xs = [r["seconds"] for r in results if r["case"] == c and r["target"] == t]
            med[(c, t)] = statistics.median(xs) if xs else None
    reps = max((r["rep"] for r in results), default=0)

    lines = []
    lines.append(f"Median of {reps} runs. Ratios are of times (lower is better for esfs/bindfs).")
    lines.append("")
    lines.append("| case | tmpfs | bindfs | esfs | esfs per item | esfs/bindfs | bindfs/tmpfs | target | met? |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---|---|")
    verdicts = []
    for c, label, items, kind, limit in cases:
        tm, bf, es = (med[(c, t)] for t in TARGETS)
        r_eb = es / bf if es is not None and bf else None
        r_bt = bf / tm if bf is not None and tm else None
        per = fmt_s(es / items) if es is not None else "—"
        if c in ("seqwrite", "seqread"):
            per = f"{mb * items / es:.0f} MB/s" if es else "—"
            extra = [f"{mb * items / x:.0f} MB/s" if x else "—" for x in (tm, bf)]
        else:
            extra = None
        if limit is None:
            target, met = "— (none set)", ""
        elif c == "seqread":
            target = "≥ 70% of bindfs throughput"
            pct = bf / es * 100 if es and bf else None
            met = "—" if pct is None else (f"yes ({pct:.0f}%)" if r_eb <= limit else f"**no** ({pct:.0f}%)")
            verdicts.append((label, met))
        else:
            target = f"≤ {limit:g}× bindfs ({kind})"
            met = "—" if r_eb is None else ("yes" if r_eb <= limit else "**no**")
            verdicts.append((label, met))
        cells = [fmt_s(tm), fmt_s(bf)]
        if extra:
            cells = [f"{fmt_s(tm)} ({extra[0]})", f"{fmt_s(bf)} ({extra[1]})"]
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {fmt_s(es)} | {per} | {fmt_ratio(r_eb)} | "
                     f"{fmt_ratio(r_bt)} | {target} | {met} |")

    lines.append("")
    lines.append("esfs daemon memory (from /proc/PID/status; RssFile is the LMDB map's pages of the page cache,")
    lines.append("shared and reclaimable, RssAnon the daemon's own heap):")
    lines.append("")
    lines.append("| when | VmRSS | VmHWM | RssAnon | RssFile | target VmRSS < 100 MB | note |")
    lines.append("|---|---:|---:|---:|---:|---|---|")
    for m in memory:
        if "VmRSS" not in m or "phase" in m:
            continue
        rss = m["VmRSS"] / 1024
        met = "yes" if rss < 100 else "**no**"
        if m.get("rss_target"):
            verdicts.append((m["label"], met + f" ({rss:.0f} MB; anon {m['RssAnon'] / 1024:.0f} MB)"))
        else:
            met = ""
        lines.append(f"| {m['label']} | {rss:.1f} MB | {m['VmHWM'] / 1024:.1f} MB | {m['RssAnon'] / 1024:.1f} MB | "
                     f"{m['RssFile'] / 1024:.1f} MB | {met} | {m.get('note', '')} |")
    phases = [m for m in memory if "phase" in m]
    if phases:
        lines.append("")
        lines.append("- the same daemon after each case, RssAnon / VmRSS: " + ", ".join(
            f"{m['phase']} {m['RssAnon'] / 1024:.1f} / {m['VmRSS'] / 1024:.0f} MB" for m in phases))
    notes = [m for m in memory if "VmRSS" not in m]
    if notes:
        lines.append("")
        for m in notes:
            lines.append(f"- {m['label']}: {fmt_s(m['seconds'])}" + (f" ({m['note']})" if m.get("note") else ""))
    lines.append("")
    lines.append("Targets: " + "; ".join(f"{label}: {met}" for label, met in verdicts))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
