#!/usr/bin/env python3
"""Turn bench/run.sh's results (JSON lines) into BENCHMARKS.md: medians,
spread (min-max) and ratios against HAProxy and a direct connection."""
import json
import statistics
import sys
from collections import defaultdict

results_file, out_file, command, machine = sys.argv[1:5]
rows = [json.loads(l) for l in open(results_file) if l.strip()]
data = defaultdict(lambda: defaultdict(list))
for r in rows:
    data[r["metric"]][r["target"]].append(r["value"])

METRICS = [
    ("rps_keepalive", "requests/s, keep-alive (wrk, 64 connections)", True, "{:,.0f}"),
    ("rps_newconn", "new connections/s (one request each)", True, "{:,.0f}"),
    ("bulk_gibps", "bulk throughput, GiB/s (iperf3, one stream)", True, "{:.2f}"),
    ("p50_ms", "latency p50, ms (keep-alive)", False, "{:.3f}"),
    ("p99_ms", "latency p99, ms (keep-alive)", False, "{:.3f}"),
    ("mem_kib_per_conn", "memory per idle connection, KiB (5,000 held)", False, "{:.1f}"),
]
TARGETS = ["direct", "zosmf-ha", "haproxy"]


def cell(metric, target, fmt):
    v = data[metric].get(target)
    if not v:
        return "n/a", None
    m = statistics.median(v)
    lo, hi = min(v), max(v)
    return f"{fmt.format(m)} ({fmt.format(lo)}–{fmt.format(hi)})", m


lines = []
lines.append("# Benchmarks\n")
lines.append("Produced by `" + command + "`, which installs what it needs (HAProxy 2.6, wrk, nginx and iperf3 from Debian), builds zosmf-ha in release mode and measures, in one run, a direct connection, zosmf-ha and HAProxy in TCP mode with the same preferred/backup setup. Each figure is the median of the runs with the spread (min–max) in brackets. Not part of CI.\n")
lines.append(f"Machine: {machine}\n")
lines.append("| measure | direct | zosmf-ha | HAProxy | zosmf-ha / HAProxy | zosmf-ha / direct |")
lines.append("|---|---|---|---|---|---|")
for metric, label, higher_better, fmt in METRICS:
    cells = {t: cell(metric, t, fmt) for t in TARGETS}
    z, h, d = cells["zosmf-ha"][1], cells["haproxy"][1], cells["direct"][1]
    ratio_h = f"{z / h:.2f}" if z is not None and h else "n/a"
    ratio_d = f"{z / d:.2f}" if z is not None and d else "n/a"
    lines.append(f"| {label} | {cells['direct'][0]} | {cells['zosmf-ha'][0]} | {cells['haproxy'][0]} | {ratio_h} | {ratio_d} |")
lines.append("")
lines.append("Ratios: for rates and throughput higher is better; for latency and memory lower is better. Memory per idle connection is (RSS with 5,000 open keep-alive connections − RSS idle) / 5,000 of the proxy process; a direct connection has no proxy, hence n/a.\n")
runs = max((len(v) for m in data.values() for v in m.values()), default=0)
lines.append(f"Runs: {runs}. Raw results: `bench/results.jsonl` of the run.\n")
# Sections other scripts or tests produced (`## Many ports`, `## Sysplex
# takeover` ...) follow the generated table: keep them.
kept = ""
try:
    old = open(out_file).read()
    at = old.find("\n## ")
    if at >= 0:
        kept = old[at:]
except FileNotFoundError:
    pass
open(out_file, "w").write("\n".join(lines) + kept.rstrip("\n") + "\n")
print("\n".join(lines))
