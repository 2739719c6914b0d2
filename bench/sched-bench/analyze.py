#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns bench/sched-bench's results.tsv (rep, arm, metric, value) into a
Markdown table: per metric the median over repetitions of each arm (with
the range), and the agentcg/fair ratio as the median of the per-repetition
ratios (the arms of one repetition ran back to back, so pairing them
cancels slow drift of the shared host).  Then the issue's targets, with a
plain verdict.

Usage: analyze.py RESULTS.TSV [--command CMD] [--kernel K] [--date D]
                  [--revision R] [--scheduler-sha S]
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict

ARMS = ("fair", "agentcg")

# (metric, label, unit); derived metrics are computed per repetition.
ROWS = [
    ("messaging_s", "perf bench sched messaging, total time", "s"),
    ("throughput", "  throughput (1 / time)", "1/s"),
    ("wake_idle_p50_us", "wake-up lateness, idle, p50", "us"),
    ("wake_idle_p99_us", "wake-up lateness, idle, p99", "us"),
    ("wake_loaded_p50_us", "wake-up lateness, next to 2 hog steps, p50", "us"),
    ("wake_loaded_p99_us", "wake-up lateness, next to 2 hog steps, p99", "us"),
    ("wake_ratio", "  wake-up p99 loaded / idle", "x"),
    ("victim_alone_p50_us", "victim step latency, alone, p50", "us"),
    ("victim_alone_p99_us", "victim step latency, alone, p99", "us"),
    ("victim_noisy_p50_us", "victim step latency, noisy neighbours, p50", "us"),
    ("victim_noisy_p99_us", "victim step latency, noisy neighbours, p99", "us"),
    ("victim_inflation", "  victim p99 inflation (noisy / alone)", "x"),
]


def load(path):
    """{arm: {rep: {metric: value}}}"""
    data = defaultdict(lambda: defaultdict(dict))
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["arm"] in ARMS:
                data[row["arm"]][int(row["rep"])][row["metric"]] = float(row["value"])
    for arm in ARMS:
        for m in data[arm].values():
            if "messaging_s" in m:
                m["throughput"] = 1.0 / m["messaging_s"]
            if "wake_idle_p99_us" in m and "wake_loaded_p99_us" in m:
                m["wake_ratio"] = m["wake_loaded_p99_us"] / m["wake_idle_p99_us"]
            if "victim_alone_p99_us" in m and "victim_noisy_p99_us" in m:
                m["victim_inflation"] = m["victim_noisy_p99_us"] / m["victim_alone_p99_us"]
    return data


def values(data, arm, metric):
    return [m[metric] for _, m in sorted(data[arm].items()) if metric in m]


def paired_ratio(data, metric):
    """Median of agentcg/fair over the repetitions both arms completed."""
    reps = set(data["agentcg"]) & set(data["fair"])
    r = [data["agentcg"][k][metric] / data["fair"][k][metric] for k in sorted(reps)
         if metric in data["agentcg"][k] and metric in data["fair"][k] and data["fair"][k][metric]]
    return statistics.median(r) if r else None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell(vals):
    if not vals:
        return "-"
    return f"{fmt(statistics.median(vals))} [{fmt(min(vals))}-{fmt(max(vals))}]"


def verdicts(data):
    out = []
    loss = paired_ratio(data, "throughput")
    if loss is not None:
        pct = (1 - loss) * 100
        what = f"a loss of {pct:.1f} %" if pct > 0 else f"no loss: a gain of {-pct:.1f} %"
        out.append(f"- messaging throughput of agentcg against fair: {loss:.2f}x, {what} "
                   f"(target: at most 5 % loss): {'met' if pct <= 5 else 'MISSED'}")
    fi = values(data, "fair", "victim_inflation")
    ai = values(data, "agentcg", "victim_inflation")
    if fi and ai:
        f, a = statistics.median(fi), statistics.median(ai)
        ok = a <= 1.3
        out.append(f"- victim p99 inflation under noisy neighbours: agentcg {a:.2f}x, fair {f:.2f}x "
                   f"(target at most 1.3x where fair's is higher): "
                   f"{'met' if ok else 'MISSED'}{'' if f > 1.3 else ' (fair is within 1.3x too)'}")
    fw = values(data, "fair", "wake_ratio")
    aw = values(data, "agentcg", "wake_ratio")
    if fw and aw:
        a = statistics.median(aw)
        out.append(f"- interactive wake-up p99, loaded / idle: agentcg {a:.2f}x, "
                   f"fair {statistics.median(fw):.2f}x (vm case 80's target at most 2x): "
                   f"{'met' if a <= 2 else 'MISSED'}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--command", default="bench/sched-bench/run")
    ap.add_argument("--kernel", default="unknown")
    ap.add_argument("--date", default="unknown")
    ap.add_argument("--revision", default="unknown")
    ap.add_argument("--scheduler-sha", default="unknown")
    args = ap.parse_args()

    data = load(args.results)
    nreps = {arm: len(data[arm]) for arm in ARMS}
    if not all(nreps.values()):
        print(f"analyze.py: no results for an arm in {args.results}: {nreps}", file=sys.stderr)
        return 1

    print(f"Command: `{args.command}` (source revision {args.revision}, "
          f"bpf/agentcg.bpf.c sha256 {args.scheduler_sha}); guest kernel {args.kernel}; "
          f"run {args.date}; repetitions: fair {nreps['fair']}, agentcg {nreps['agentcg']}.")
    print()
    print("| metric | unit | fair (static cpu.weight) | agentcg | agentcg / fair |")
    print("|---|---|---|---|---|")
    for metric, label, unit in ROWS:
        fv, av = values(data, "fair", metric), values(data, "agentcg", metric)
        if not fv and not av:
            continue
        print(f"| {label} | {unit} | {cell(fv)} | {cell(av)} | {fmt(paired_ratio(data, metric))} |")
    print()
    print("Median over repetitions [min-max]; the ratio is the median of the "
          "per-repetition ratios.")
    print()
    for line in verdicts(data):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
