#!/usr/bin/env python3
"""Turn bench/run.sh's results (JSON lines) into BENCHMARKS.md: medians,
spread (min-max), ratios of zosmf-ha's kernel forwarding to a direct
connection and of its proxy to HAProxy, and whether issue 11's targets are
met, each measured in the same run."""
import json
import statistics
import sys
from collections import defaultdict

results_file, out_file, command, machine = sys.argv[1:5]
duration = sys.argv[5] if len(sys.argv) > 5 else "10"
hold = sys.argv[6] if len(sys.argv) > 6 else "7000"
rows = [json.loads(l) for l in open(results_file) if l.strip()]
data = defaultdict(lambda: defaultdict(list))
for r in rows:
    if r["value"] is not None:
        data[r["metric"]][r["target"]].append(r["value"])

# metric, label, higher is better, format
METRICS = [
    ("rps_keepalive_64", "requests/s, keep-alive, 64 connections", True, "{:,.0f}"),
    ("rps_keepalive_512", "requests/s, keep-alive, 512 connections", True, "{:,.0f}"),
    ("rps_newconn", "new connections/s (one request each)", True, "{:,.0f}"),
    ("bulk_gibps", "bulk, GiB/s (iperf3, one stream)", True, "{:.2f}"),
    ("p50_ms", "latency p50, ms (keep-alive, 64)", False, "{:.3f}"),
    ("p99_ms", "latency p99, ms (keep-alive, 64)", False, "{:.3f}"),
    ("mem_kib_per_conn", f"memory per idle connection, KiB ({int(hold):,} held)", False, "{:.2f}"),
    ("cpu_s_per_10k_conn", "CPU seconds per 10,000 new connections", False, "{:.3f}"),
    ("cpu_s_per_gib", "CPU seconds per GiB of bulk", False, "{:.3f}"),
]
TARGETS = ["direct", "direct-ct", "kernel", "proxy", "haproxy"]
NAMES = {
    "direct": "direct",
    "direct-ct": "direct + conntrack",
    "kernel": "zosmf-ha kernel",
    "proxy": "zosmf-ha proxy",
    "haproxy": "HAProxy",
}


def median(metric, target):
    v = data[metric].get(target)
    return statistics.median(v) if v else None


def cell(metric, target, fmt):
    v = data[metric].get(target)
    if not v:
        return "n/a"
    return f"{fmt.format(statistics.median(v))} ({fmt.format(min(v))}–{fmt.format(max(v))})"


def ratio(metric, a, b):
    x, y = median(metric, a), median(metric, b)
    return x / y if x is not None and y else None


def fmt_ratio(r):
    return "n/a" if r is None else f"{r:.2f}"


lines = ["# Benchmarks\n"]
lines.append(
    "Produced by `" + command + "`, which installs what it needs (HAProxy, wrk, nginx, iperf3 and nftables from Debian), "
    "builds zosmf-ha in release mode and measures, in one run and inside a network namespace of its own, a direct connection "
    "(without and with conntrack active), zosmf-ha's kernel forwarding, zosmf-ha's proxy and HAProxy in TCP mode "
    "(`option splice-auto`, `nbthread` = cores, `maxconn` as high as the descriptor limit allows: 20,000 descriptors per process here, and HAProxy reserves 2.5 per connection) with the same preferred/backup setup. "
    "Each contender has its own backend addresses. Runs are interleaved; each figure is the median of the runs "
    f"with the spread (min–max) in brackets; {duration} s per measure. Not part of CI.\n"
)
lines.append(f"Machine: {machine}\n")
head = "| measure | " + " | ".join(NAMES[t] for t in TARGETS) + " | kernel / direct | proxy / HAProxy |"
lines.append(head)
lines.append("|---" * (len(TARGETS) + 3) + "|")
for metric, label, _, fmt in METRICS:
    cells = " | ".join(cell(metric, t, fmt) for t in TARGETS)
    lines.append(
        f"| {label} | {cells} | {fmt_ratio(ratio(metric, 'kernel', 'direct'))} | {fmt_ratio(ratio(metric, 'proxy', 'haproxy'))} |"
    )
lines.append("")
lines.append(
    "Ratios: for rates and throughput higher is better; for latency, memory and CPU lower is better. "
    f"Memory per idle connection: (RSS with {int(hold):,} open keep-alive connections − RSS before) / {int(hold):,} of the proxy process; "
    "for kernel forwarding, the growth of conntrack's slab (`nf_conntrack` objects × object size) instead, since no process holds the connection. "
    "CPU seconds: the whole machine's (`/proc/stat`: user, nice, system, irq, softirq) during the measure, minus the load generator's own "
    "(its rusage); it includes the backends, the same for every contender.\n"
)

# Issue 11's targets, measured in this run.
checks = [
    ("kernel ≥ 0.9× direct, keep-alive requests/s (64)", ratio("rps_keepalive_64", "kernel", "direct"), 0.9, True),
    ("kernel ≥ 0.9× direct, keep-alive requests/s (512)", ratio("rps_keepalive_512", "kernel", "direct"), 0.9, True),
    ("kernel ≥ 0.9× direct, bulk", ratio("bulk_gibps", "kernel", "direct"), 0.9, True),
    ("kernel ≥ 0.8× direct, new connections/s", ratio("rps_newconn", "kernel", "direct"), 0.8, True),
    ("kernel p99 ≤ 1.2× direct", ratio("p99_ms", "kernel", "direct"), 1.2, False),
    ("proxy ≥ 1.2× HAProxy, keep-alive requests/s (64)", ratio("rps_keepalive_64", "proxy", "haproxy"), 1.2, True),
    ("proxy ≥ 1.2× HAProxy, keep-alive requests/s (512)", ratio("rps_keepalive_512", "proxy", "haproxy"), 1.2, True),
    ("proxy ≥ 1.2× HAProxy, new connections/s", ratio("rps_newconn", "proxy", "haproxy"), 1.2, True),
    ("proxy < HAProxy, CPU per connection", ratio("cpu_s_per_10k_conn", "proxy", "haproxy"), 1.0, False),
    ("proxy ≥ 1.5× HAProxy, bulk", ratio("bulk_gibps", "proxy", "haproxy"), 1.5, True),
    ("proxy p99 ≤ HAProxy's", ratio("p99_ms", "proxy", "haproxy"), 1.0, False),
    ("proxy memory per idle connection ≤ HAProxy's", ratio("mem_kib_per_conn", "proxy", "haproxy"), 1.0, False),
]
lines.append("Issue 11's targets, as ratios of this run's medians:\n")
lines.append("| target | ratio | met |")
lines.append("|---|---|---|")
for label, r, bound, higher in checks:
    if r is None:
        met = "n/a"
    else:
        met = "yes" if (r >= bound if higher else r <= bound) else "**no**"
    lines.append(f"| {label} | {fmt_ratio(r)} | {met} |")
lines.append("")
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
