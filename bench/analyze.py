#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Analyses what bench/run-eval brought back from the testbed.

Input: one or more eval directories (one per boot), each as
bench/guest/eval-guest writes it: runs.tsv, env.txt, calibration.txt,
plan.tsv and runs/ARM-rREP-SCENARIO/{steps,probe,probe-hist}.csv.

Output: a Markdown section (--doc), and in --results: summary.csv (every
metric per arm and scenario: median over repetitions with a bootstrap 95 %
confidence interval), comparisons.csv, gnuplot data and scripts, the plots
rendered to SVG (when gnuplot is installed) and raw.tar.gz (the inputs).

Definitions (also printed in the report):

- A victim step is a step of a trace session or of the synthetic
  compile/memory-swing session.  Its latency is what its worker measured
  from its release in the step to its end (placement excluded).
- Its reference is the median of its latency over every "alone" replay of
  every arm and repetition: what that step takes among the other victims
  but without neighbours, on this guest in this run.  Its slowdown is
  latency / reference.  (The replayer also records latency / expected,
  expected being the idle-guest time from the calibration; even alone
  that ratio is well above 1 under TCG, because the victims compete with
  each other and TCG makes process creation and page faults expensive,
  so it is reported only as a sanity check.)
- SLO: a victim step that ran meets it when it completed before the
  replay's deadline with slowdown <= 2; one killed at the deadline
  violates it.  The violation rate is over the steps that ran and have a
  reference (completed alone at least once).  Steps that never started
  (the deadline came first) are not in it: they show up in "completed",
  which also reflects placement time, since a replay is closed-loop and
  slow placement pushes later steps past the deadline.
- "vs own alone": for the steps that completed in both the noisy and the
  alone replay of the same arm and repetition, the median of
  latency(noisy) / latency(alone).
- The probe is the interactive step: a loop that sleeps 1 ms and records
  how late each wake-up comes; its p99 is the headline victim metric.
- OOM kills: the kernel's "Killed process" lines in the journal during the
  replay, a neighbour's when the process is stress-ng, a victim's
  otherwise.
- Reaction time: from a neighbour's start to the first action against its
  session (the userspace controller's throttling writes, from its log;
  agentcgroupd's journal decisions other than bookkeeping), both on
  CLOCK_MONOTONIC; only actions before the victims finished count.
- Control-plane cost: agentcgroupd's CPU time and memory.peak (its
  service cgroup), its BPF programs' run time (kernel.bpf_stats_enabled),
  the userspace controller's getrusage; per replay.
- Per repetition every metric is computed on that replay; the report
  shows the median over repetitions and a percentile-bootstrap 95 % CI of
  that median.  Two arms differ beyond the noise only when their CIs do
  not overlap; otherwise the report says the difference is inside the
  noise.

Python standard library only; gnuplot for the plots.
"""

import argparse
import csv
import datetime
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tarfile

SLO_SLOWDOWN = 2.0
BOOTSTRAP = 2000
BOOTSTRAP_SEED = 20261203
ARM_ORDER = ["nocontrol", "static", "statichigh", "userspace-10ms", "userspace-50ms",
             "userspace-100ms", "memhigh", "agentcg-cpu", "agentcg", "agentcg-nocoupling"]
SCENARIO_ORDER = ["alone", "cpu", "fork", "mem", "noisy"]
# Short names for plot labels.
ARM_LABELS = {
    "nocontrol": "none",
    "static": "static",
    "statichigh": "static+high",
    "userspace-10ms": "user 10ms",
    "userspace-50ms": "user 50ms",
    "userspace-100ms": "user 100ms",
    "memhigh": "mem.high",
    "agentcg-cpu": "agentcg CPU",
    "agentcg": "agentcg",
    "agentcg-nocoupling": "no coupling",
}
ARM_TITLES = {
    "nocontrol": "no control",
    "static": "static knobs, fair scheduler",
    "statichigh": "static knobs with memory.high, fair scheduler",
    "userspace-10ms": "userspace PSI controller, 10 ms",
    "userspace-50ms": "userspace PSI controller, 50 ms",
    "userspace-100ms": "userspace PSI controller, 100 ms",
    "memhigh": "memory.high alone, fair scheduler",
    "agentcg-cpu": "agentcg, CPU policy only (no memory escalation)",
    "agentcg": "agentcg, full",
    "agentcg-nocoupling": "agentcg, full without CPU-memory coupling",
}
USERSPACE_ARMS = ["userspace-10ms", "userspace-50ms", "userspace-100ms"]
AGENTCG_ARMS = ["agentcg-cpu", "agentcg", "agentcg-nocoupling"]
NOISE_KINDS = ["cpu", "fork", "mem"]
# What the userspace controller does against a neighbour (its log's
# reasons); "stalled" and "relax" are not reactions against anyone.
CTL_REACTIONS = {"hog", "pressure", "still-high"}

# Metrics: key -> (title, unit, lower is better).
METRICS = {
    "probe_p50": ("probe wake-up lateness p50", "ms", True),
    "probe_p99": ("probe wake-up lateness p99", "ms", True),
    "probe_p999": ("probe wake-up lateness p99.9", "ms", True),
    "slow_p50": ("victim step slowdown p50", "x", True),
    "slow_p95": ("victim step slowdown p95", "x", True),
    "slow_p99": ("victim step slowdown p99", "x", True),
    "slow_p999": ("victim step slowdown p99.9", "x", True),
    "cal_p50": ("victim step latency / calibrated expectation, p50", "x", True),
    "lat_p50": ("victim step latency p50", "ms", True),
    "lat_p95": ("victim step latency p95", "ms", True),
    "lat_p99": ("victim step latency p99", "ms", True),
    "lat_p999": ("victim step latency p99.9", "ms", True),
    "slo_viol": ("SLO violation rate", "%", True),
    "completed": ("victim steps completed", "steps", False),
    "vs_alone": ("step latency vs own alone (median ratio)", "x", True),
    "probe_p99_vs_alone": ("probe p99 vs alone", "x", True),
    "place_p50": ("placement time p50 (fork to running in its step)", "ms", True),
    "oom_victim": ("OOM kills of victim processes", "kills", True),
    "oom_noise": ("OOM kills of neighbour processes", "kills", True),
    "react_cpu": ("reaction to the CPU spin", "ms", True),
    "react_fork": ("reaction to the fork storm", "ms", True),
    "react_mem": ("reaction to the memory blow-up", "ms", True),
    "react_any": ("first reaction to any neighbour", "ms", True),
    "decide_ms": ("kernel event to agentcgroupd decision, median", "ms", True),
    "decisions": ("agentcgroupd decisions on load per replay", "decisions", True),
    "ctl_actions": ("controller writes per replay", "writes", True),
    "daemon_cpu_ms": ("agentcgroupd CPU time per replay", "ms", True),
    "daemon_mem_kb": ("agentcgroupd memory.peak", "KiB", True),
    "bpf_ms": ("run time of agentcg's BPF programs per replay", "ms", True),
    "ctl_cpu_ms": ("userspace controller CPU time per replay", "ms", True),
    "ctl_rss_kb": ("userspace controller peak RSS", "KiB", True),
    "ctl_tick_us": ("userspace controller mean tick", "us", True),
    "ctl_overrun_pct": ("userspace controller ticks that overran", "%", True),
    "ctl_period_ms": ("userspace controller achieved period", "ms", True),
    "ctrl_cpu_pct": ("control-plane CPU, % of the machine", "%", True),
}
HEADLINE = ["probe_p50", "probe_p99", "slow_p99", "slo_viol", "completed", "vs_alone"]
# The pairs that answer MISSION.md's questions, (arm, baseline, why).
RQ_PAIRS = [
    ("agentcg", "nocontrol", "RQ1"),
    ("agentcg", "static", "RQ1"),
    ("agentcg", "userspace-10ms", "RQ1/RQ2"),
    ("agentcg", "userspace-50ms", "RQ1/RQ2"),
    ("agentcg", "userspace-100ms", "RQ1/RQ2"),
    ("userspace-10ms", "userspace-100ms", "RQ2"),
    ("userspace-10ms", "static", "RQ2"),
    ("agentcg", "agentcg-cpu", "RQ3"),
    ("agentcg", "agentcg-nocoupling", "RQ3"),
    ("agentcg", "memhigh", "RQ3"),
    ("memhigh", "static", "RQ3"),
    ("agentcg-cpu", "static", "RQ3"),
]
RQ_METRICS = ["probe_p99", "slow_p99", "slo_viol", "completed"]


def percentile(sorted_values, q):
    """Nearest rank, as agentcg-replay computes the probe's percentiles."""
    if not sorted_values:
        return None
    rank = math.ceil(q / 100.0 * len(sorted_values))
    return sorted_values[max(rank, 1) - 1]


def read_kv(path):
    values = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    values[key] = value
    return values


def read_events(path):
    """events.tsv: monotonic usec, source, MESSAGE_ID, session, step,
    cgroup, the daemon's kernel-event-to-decision usec, message."""
    events = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) >= 8 and fields[0].isdigit():
                    events.append({"mono_us": int(fields[0]), "source": fields[1],
                                   "mid": fields[2], "session": fields[3],
                                   "step": fields[4], "cgroup": fields[5],
                                   "decide_us": int(fields[6]) if fields[6].isdigit() else None,
                                   "message": "\t".join(fields[7:])})
    return events


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Run:
    """One replay: arm, repetition, scenario and what it recorded."""

    def __init__(self, base, row):
        self.arm, self.scenario = row["arm"], row["scenario"]
        self.rep = int(row["rep"])
        self.status, self.sched_ok = row["status"], row["sched_ok"]
        self.dir = os.path.join(base, "runs", f"{self.arm}-r{self.rep}-{self.scenario}")
        self.steps = read_csv(os.path.join(self.dir, "steps.csv"))
        self.probe = read_csv(os.path.join(self.dir, "probe.csv"))
        self.hist = read_csv(os.path.join(self.dir, "probe-hist.csv"))
        self.info = read_kv(os.path.join(self.dir, "run.txt"))
        self.overhead = read_kv(os.path.join(self.dir, "overhead.txt"))
        self.ctl = read_kv(os.path.join(self.dir, "ctl-summary.txt"))
        self.actions = read_csv(os.path.join(self.dir, "ctl-actions.csv"))
        self.events = read_events(os.path.join(self.dir, "events.tsv"))

    @property
    def valid(self):
        return (self.status == "0" and self.sched_ok == "1" and bool(self.steps)
                and bool(self.probe))

    def why_invalid(self):
        if self.status != "0":
            return f"agentcg-replay exited {self.status}"
        if self.sched_ok != "1":
            return "the arm's scheduler was not in place throughout"
        return "no steps.csv or probe.csv"

    def victims(self):
        return [s for s in self.steps if s["role"] == "victim"]


def load(dirs):
    runs, envs, cals = [], [], []
    for base in dirs:
        envs.append(read_kv(os.path.join(base, "env.txt")))
        cal = {}
        if os.path.exists(os.path.join(base, "calibration.txt")):
            with open(os.path.join(base, "calibration.txt")) as f:
                cal = dict(line.split() for line in f if line.strip())
        cals.append(cal)
        with open(os.path.join(base, "runs.tsv")) as f:
            for row in csv.DictReader(f, delimiter="\t"):
                runs.append(Run(base, row))
    return runs, envs, cals


def step_key(s):
    return s["session"], s["step"]


def completed(run):
    return [s for s in run.victims() if s["status"] == "ok" and s["latency_ms"]]


def references(runs):
    """Per victim step, its median latency over all valid alone replays."""
    lat = {}
    for r in runs:
        if r.valid and r.scenario == "alone":
            for s in completed(r):
                lat.setdefault(step_key(s), []).append(float(s["latency_ms"]))
    return {k: statistics.median(v) for k, v in lat.items()}


KILLED = re.compile(r"Killed process \d+ \(([^)]*)\)")


def oom_kills(run):
    """Kernel OOM kills during the replay: (victims, neighbours), told
    apart by the killed process's name (neighbours are stress-ng)."""
    victim = noise = 0
    for e in run.events:
        m = KILLED.search(e["message"]) if e["source"] == "kernel" else None
        if m:
            if m.group(1).startswith("stress-ng"):
                noise += 1
            else:
                victim += 1
    return victim, noise


def reactions(run):
    """Per neighbour kind, ms from the neighbour's start to the first
    action against its session: a throttling write of the userspace
    controller, or a decision of agentcgroupd other than bookkeeping.
    Only actions before the victims finished count."""
    t0 = int(run.info.get("t0_mono_ns", "0") or 0)
    if not t0:
        return {}
    end = t0 + float(run.info.get("wall_ms", "0") or 0) * 1e6
    times = [(int(a["mono_ns"]), a["cgroup"].split("/")[0]) for a in run.actions
             if a.get("reason") in CTL_REACTIONS]
    for e in run.events:
        if e["source"] != "daemon":
            continue
        # The session by name, or the scope in the cgroup path.
        scope = f"agentcg-{e['session']}.scope"
        m = re.search(r"agentcg-[^/]*\.scope", e["cgroup"])
        times.append((e["mono_us"] * 1000, scope if e["session"] != "-" or not m else m.group(0)))
    out = {}
    for s in run.steps:
        if s["role"] != "noise" or not s["start_ms"]:
            continue
        start = t0 + float(s["start_ms"]) * 1e6
        scope = f"agentcg-{s['session']}.scope"
        hits = [t for t, where in times if where == scope and start <= t <= end]
        if hits:
            out[s["session"].removeprefix("n-")] = (min(hits) - start) / 1e6
    return out


def overhead_metrics(run, ncpu):
    o, c, m = run.overhead, run.ctl, {}
    num = lambda d, k: float(d[k]) if d.get(k) not in (None, "") else None
    m["daemon_cpu_ms"] = num(o, "daemon_cpu_ms")
    m["daemon_mem_kb"] = num(o, "daemon_memory_peak_kb")
    m["bpf_ms"] = num(o, "bpf_run_ms") if run.arm in AGENTCG_ARMS else None
    m["ctl_cpu_ms"] = num(c, "cpu_ms")
    m["ctl_rss_kb"] = num(c, "maxrss_kb")
    m["ctl_tick_us"] = num(c, "tick_mean_us")
    ticks = num(c, "ticks")
    if ticks:
        m["ctl_overrun_pct"] = 100.0 * (num(c, "overruns") or 0) / ticks
        wall = num(c, "wall_ms")
        m["ctl_period_ms"] = wall / ticks if wall else None
        m["ctl_actions"] = float(len(run.actions))
    spent = sum(v for v in (m["daemon_cpu_ms"], m["bpf_ms"], m["ctl_cpu_ms"]) if v)
    span = sum(float(run.info.get(k, "0") or 0) for k in ("setup_ms", "wall_ms"))
    if run.arm != "nocontrol" and span > 0 and ncpu:
        m["ctrl_cpu_pct"] = 100.0 * spent / (span * ncpu)
    return m


def run_metrics(run, alone, ref, ncpu=0):
    """The metrics of one valid replay; ALONE is the same arm and
    repetition's alone replay (or None), REF the step references."""
    victims = run.victims()
    done = completed(run)
    lat = sorted(float(s["latency_ms"]) for s in done)
    slow = sorted(float(s["latency_ms"]) / ref[step_key(s)] for s in done
                  if ref.get(step_key(s), 0) > 0)
    met = sum(1 for s in done if ref.get(step_key(s), 0) > 0
              and float(s["latency_ms"]) / ref[step_key(s)] <= SLO_SLOWDOWN)
    evaluable = sum(1 for s in victims if step_key(s) in ref and s["start_ms"])
    cal = sorted(float(s["slowdown"]) for s in done if s["slowdown"])
    placed = sorted(float(s["place_ms"]) for s in victims if s["place_ms"])

    m = {}
    for q, name in ((50, "p50"), (95, "p95"), (99, "p99"), (99.9, "p999")):
        m[f"lat_{name}"] = percentile(lat, q)
        m[f"slow_{name}"] = percentile(slow, q)
    m["cal_p50"] = percentile(cal, 50)
    m["completed"] = len(done)
    m["planned"] = len(victims)
    m["slo_viol"] = 100.0 * (1 - met / evaluable) if evaluable else None
    m["place_p50"] = percentile(placed, 50)

    m["oom_victim"], m["oom_noise"] = oom_kills(run)
    daemon = [e for e in run.events if e["source"] == "daemon"]
    if run.arm in AGENTCG_ARMS:
        m["decisions"] = float(len(daemon))
        decide = sorted(e["decide_us"] / 1000 for e in daemon if e["decide_us"] is not None)
        m["decide_ms"] = statistics.median(decide) if decide else None
    if run.scenario != "alone":
        react = reactions(run)
        for kind in NOISE_KINDS:
            m[f"react_{kind}"] = react.get(kind)
        m["react_any"] = min(react.values()) if react else None
    m.update(overhead_metrics(run, ncpu))

    probe = run.probe[0]
    for key in ("p50", "p99", "p999"):
        m[f"probe_{key}"] = float(probe[f"{key}_us"]) / 1000.0
    m["probe_samples"] = int(probe["samples"])

    if alone is not None and run.scenario != "alone":
        base = {step_key(s): float(s["latency_ms"]) for s in completed(alone)}
        ratios = sorted(float(s["latency_ms"]) / base[step_key(s)]
                        for s in done if base.get(step_key(s), 0) > 0)
        m["vs_alone"] = statistics.median(ratios) if ratios else None
        ap99 = float(alone.probe[0]["p99_us"]) / 1000.0
        m["probe_p99_vs_alone"] = m["probe_p99"] / ap99 if ap99 > 0 else None
    return m


def bootstrap_median_ci(values, rng):
    if len(values) < 2:
        return None
    meds = sorted(statistics.median(rng.choices(values, k=len(values)))
                  for _ in range(BOOTSTRAP))
    return meds[int(0.025 * BOOTSTRAP)], meds[int(0.975 * BOOTSTRAP) - 1]


def bootstrap_ratio_ci(a, b, rng):
    """CI of median(a) / median(b), resampling both independently."""
    if len(a) < 2 or len(b) < 2:
        return None
    ratios = []
    for _ in range(BOOTSTRAP):
        mb = statistics.median(rng.choices(b, k=len(b)))
        if mb == 0:
            continue
        ratios.append(statistics.median(rng.choices(a, k=len(a))) / mb)
    if len(ratios) < BOOTSTRAP // 2:
        return None
    ratios.sort()
    return ratios[int(0.025 * len(ratios))], ratios[int(0.975 * len(ratios)) - 1]


def ordered(items, order):
    return sorted(items, key=lambda x: (order.index(x) if x in order else len(order), x))


class Summary:
    """Per (arm, scenario, metric): the per-repetition values, their
    median and its CI."""

    def __init__(self, runs, ncpu=0):
        self.rng = random.Random(BOOTSTRAP_SEED)
        valid = [r for r in runs if r.valid]
        alone = {(r.arm, r.rep): r for r in valid if r.scenario == "alone"}
        ref = references(runs)
        self.values = {}
        self.reacted = {}
        for r in valid:
            m = run_metrics(r, alone.get((r.arm, r.rep)), ref, ncpu)
            if r.scenario != "alone":
                n, k = self.reacted.get((r.arm, r.scenario), (0, 0))
                self.reacted[(r.arm, r.scenario)] = (n + 1, k + (m.get("react_any") is not None))
            for key, v in m.items():
                if v is not None:
                    self.values.setdefault((r.arm, r.scenario, key), []).append(v)
        self.arms = ordered({r.arm for r in runs}, ARM_ORDER)
        self.scenarios = ordered({r.scenario for r in runs}, SCENARIO_ORDER)
        self.stats = {}
        for key, vals in self.values.items():
            self.stats[key] = (statistics.median(vals), bootstrap_median_ci(vals, self.rng),
                               len(vals))

    def get(self, arm, scenario, metric):
        return self.stats.get((arm, scenario, metric))

    def compare(self, arm, base, scenario, metric):
        a = self.values.get((arm, scenario, metric))
        b = self.values.get((base, scenario, metric))
        sa, sb = self.get(arm, scenario, metric), self.get(base, scenario, metric)
        if not a or not b or not sa or not sb:
            return None
        ratio = sa[0] / sb[0] if sb[0] else None
        ci = bootstrap_ratio_ci(a, b, self.rng)
        if sa[1] is None or sb[1] is None:
            verdict = "too few repetitions to tell"
        elif sa[1][1] < sb[1][0] or sb[1][1] < sa[1][0]:
            better = (sa[0] < sb[0]) == METRICS[metric][2]
            verdict = "better" if better else "worse"
        else:
            verdict = "inside the noise (CIs overlap)"
        return ratio, ci, verdict


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit == "%":
        return f"{v:.1f} %"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def fmt_stat(stat, unit):
    if not stat:
        return "n/a"
    med, ci, n = stat
    text = fmt(med, unit)
    if unit == "%":
        text = text[:-2]
    if ci:
        text += f" [{fmt(ci[0])}, {fmt(ci[1])}]"
    return text


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_summary_csv(summary, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["arm", "scenario", "metric", "unit", "reps", "median", "ci_low", "ci_high"])
        for (arm, scenario, metric), (med, ci, n) in sorted(summary.stats.items()):
            unit = METRICS.get(metric, ("", "", True))[1]
            w.writerow([arm, scenario, metric, unit, n, f"{med:.6g}",
                        f"{ci[0]:.6g}" if ci else "", f"{ci[1]:.6g}" if ci else ""])


def comparisons(summary):
    """Every arm against no control and static knobs, and the RQ pairs."""
    pairs = []
    for base in ("nocontrol", "static"):
        for arm in summary.arms:
            if arm != base and base in summary.arms and not (base == "static" and arm == "nocontrol"):
                pairs.append((arm, base))
    pairs += [(a, b) for a, b, _ in RQ_PAIRS if a in summary.arms and b in summary.arms]
    metrics = list(dict.fromkeys(HEADLINE + ["slow_p50", "place_p50", "oom_victim",
                                             "oom_noise", "react_any"]))
    rows = []
    for scenario in summary.scenarios:
        for arm, base in dict.fromkeys(pairs):
            for metric in metrics:
                c = summary.compare(arm, base, scenario, metric)
                if c:
                    rows.append((scenario, arm, base, metric) + c)
    return rows


def write_comparisons_csv(rows, path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["scenario", "arm", "baseline", "metric", "ratio", "ci_low", "ci_high",
                    "verdict"])
        for scenario, arm, base, metric, ratio, ci, verdict in rows:
            w.writerow([scenario, arm, base, metric, f"{ratio:.4g}" if ratio else "",
                        f"{ci[0]:.4g}" if ci else "", f"{ci[1]:.4g}" if ci else "", verdict])


# --- plots ---

GP_HEAD = """set terminal svg size 860,460 dynamic font "sans,11" background "white"
set termoption noenhanced
set output '{out}'
set title "{title}"
set grid ytics lc rgb "#dddddd"
set key top left
set xtics rotate by -30
"""


def bar_plot(summary, results, name, metric, title, scale=1.0):
    """Bars per arm, one per scenario, with CI error bars."""
    dat = os.path.join(results, f"{name}.dat")
    with open(dat, "w") as f:
        f.write("# arm " + " ".join(f"{s}_med {s}_lo {s}_hi" for s in summary.scenarios) + "\n")
        for arm in summary.arms:
            cols = [f'"{ARM_LABELS.get(arm, arm)}"']
            for s in summary.scenarios:
                st = summary.get(arm, s, metric)
                if st:
                    med, ci, _ = st
                    lo, hi = ci if ci else (med, med)
                    cols += [f"{med * scale:.6g}", f"{lo * scale:.6g}", f"{hi * scale:.6g}"]
                else:
                    cols += ["NaN", "NaN", "NaN"]
            f.write(" ".join(cols) + "\n")
    unit = METRICS[metric][1]
    plots = []
    for i, s in enumerate(summary.scenarios):
        c = 2 + 3 * i
        plots.append(f"'{name}.dat' using {c}:{c + 1}:{c + 2}:xtic(1) title '{s}'")
    gp = GP_HEAD.format(out=f"{name}.svg", title=title) + f"""set ylabel "{unit} (median over repetitions, 95 % CI)"
set yrange [0:*]
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.6 border -1
set boxwidth 0.9
plot {", ".join(plots)}
"""
    with open(os.path.join(results, f"{name}.gp"), "w") as f:
        f.write(gp)
    return f"{name}.gp"


def ccdf_plot(runs, results, scenarios):
    """Pooled probe lateness, P(lateness > x), per arm and scenario."""
    pooled = {}
    for r in runs:
        # The noisy scenario per arm, and alone only for no control as the
        # floor: nine arms twice would be unreadable.
        if not r.valid or r.scenario not in scenarios or (
                r.scenario == "alone" and r.arm != "nocontrol" and len(scenarios) > 1):
            continue
        for row in r.hist:
            le = float(row["le_us"])
            key = (r.arm, r.scenario)
            pooled.setdefault(key, {})
            pooled[key][le] = pooled[key].get(le, 0) + int(row["count"])
    if not pooled:
        return None
    plots = []
    def arm_rank(arm):
        return ARM_ORDER.index(arm) if arm in ARM_ORDER else len(ARM_ORDER)

    for (arm, scenario) in sorted(pooled, key=lambda k: (arm_rank(k[0]), k[0], k[1])):
        hist = pooled[(arm, scenario)]
        total = sum(hist.values())
        # le -1 is the overflow bucket (above 10 s).
        bounds = sorted(b for b in hist if b >= 0)
        name = f"probe-ccdf-{arm}-{scenario}.dat"
        with open(os.path.join(results, name), "w") as f:
            f.write("# lateness_ms P(lateness > x)\n")
            seen = 0
            for b in bounds:
                seen += hist[b]
                f.write(f"{b / 1000.0:.6g} {max(total - seen, 0) / total:.6g}\n")
        # One colour per arm, dashed when alone.
        colour = ordered(list({k[0] for k in pooled}), ARM_ORDER).index(arm) + 1
        dash = "dt 2" if scenario == "alone" else "dt 1"
        plots.append(f"'{name}' using 1:($2 > 0 ? $2 : 1/0) with steps lw 2 lc {colour} "
                     f"{dash} title '{ARM_LABELS.get(arm, arm)}, {scenario}'")
    gp = GP_HEAD.format(out="probe-ccdf.svg",
                        title="Probe wake-up lateness, pooled over repetitions") + f"""set key bottom left
set logscale xy
set xlabel "lateness of a 1 ms sleep (ms)"
set ylabel "fraction of wake-ups later than x"
set format y "10^{{%L}}"
plot {", ".join(plots)}
"""
    with open(os.path.join(results, "probe-ccdf.gp"), "w") as f:
        f.write(gp)
    return "probe-ccdf.gp"


def render(results, scripts):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("analyze: gnuplot not found; plots left as scripts", file=sys.stderr)
        return []
    done = []
    for script in scripts:
        if not script:
            continue
        r = subprocess.run([gnuplot, script], cwd=results, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"analyze: gnuplot {script} failed:\n{r.stderr}", file=sys.stderr)
            continue
        done.append(script[:-3] + ".svg")
    return done


# --- the report ---

TCG_PARAGRAPH = """**What TCG does to these numbers.** The guest runs under qemu's TCG, which
translates every guest instruction in software: guest code runs slower
than on the host, and unevenly so: system calls, page faults and process
creation suffer far more than arithmetic{factors}. The guest's timers are
coarse: {timer_floor}so the probe's floor is
TCG's, not the scheduler's. Both vCPUs are threads on a 2-core host that
other VMs and builds share, so a guest CPU can stall for milliseconds for
reasons no arm controls; that noise lands on every arm alike because the
arms are interleaved within one boot. Absolute latencies here therefore say
nothing about hardware; ratios between arms measured in the same run, and
each arm's noisy/alone ratio, are what this section reports."""


def describe_plan(path):
    params = {}
    counts = {"victim": 0, "probe": 0, "noise": 0}
    steps = 0
    if os.path.exists(path):
        with open(path) as f:
            role = None
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if fields[0] == "param":
                    params[fields[1]] = fields[2]
                elif fields[0] == "session":
                    role = fields[2]
                    counts[role] = counts.get(role, 0) + 1
                elif fields[0] == "step" and role == "victim":
                    steps += 1
    return params, counts, steps


def validity_section(runs):
    bad = [r for r in runs if not r.valid]
    lines = [f"{len(runs)} replays, {len(runs) - len(bad)} valid."]
    for r in bad:
        lines.append(f"- left out: {r.arm} rep {r.rep} {r.scenario}: {r.why_invalid()}")
    return "\n".join(lines)


def headline_table(summary, scenario):
    rows = []
    for arm in summary.arms:
        row = [ARM_TITLES.get(arm, arm)]
        for metric in HEADLINE:
            row.append(fmt_stat(summary.get(arm, scenario, metric), METRICS[metric][1]))
        reps = summary.get(arm, scenario, "probe_p99")
        row.append(reps[2] if reps else 0)
        rows.append(row)
    header = ["arm"] + [f"{METRICS[m][0]} ({METRICS[m][1]})" for m in HEADLINE] + ["reps"]
    return md_table(header, rows)


def percentile_table(summary, prefix, unit):
    rows = []
    for scenario in summary.scenarios:
        for arm in summary.arms:
            row = [scenario, ARM_TITLES.get(arm, arm)]
            for q in ("p50", "p95", "p99", "p999"):
                row.append(fmt_stat(summary.get(arm, scenario, f"{prefix}_{q}"), unit))
            rows.append(row)
    return md_table(["scenario", "arm", "p50", "p95", "p99", "p99.9"], rows)


def comparison_table(rows, scenario, pairs=None, metrics=None):
    """Rows of SCENARIO, limited to PAIRS ((arm, base) in that order)
    and METRICS when given."""
    out = []
    metrics = metrics or HEADLINE + ["place_p50"]
    order = {p: i for i, p in enumerate(pairs or [])}
    chosen = [r for r in rows if r[0] == scenario and r[3] in metrics
              and (pairs is None or (r[1], r[2]) in order)]
    if pairs is not None:
        chosen.sort(key=lambda r: (order[(r[1], r[2])], metrics.index(r[3])))
    for sc, arm, base, metric, ratio, ci, verdict in chosen:
        out.append([f"{ARM_TITLES.get(arm, arm)} / {ARM_TITLES.get(base, base)}",
                    METRICS[metric][0], fmt(ratio),
                    f"[{fmt(ci[0])}, {fmt(ci[1])}]" if ci else "n/a", verdict])
    return md_table(["arms", "metric", "ratio of medians", "95 % CI", "verdict"], out)


def overhead_table(summary):
    rows = []
    for arm in summary.arms:
        rows.append([ARM_TITLES.get(arm, arm),
                     fmt_stat(summary.get(arm, "alone", "slow_p50"), "x"),
                     fmt_stat(summary.get(arm, "alone", "cal_p50"), "x"),
                     fmt_stat(summary.get(arm, "alone", "probe_p99"), "ms"),
                     fmt_stat(summary.get(arm, "alone", "place_p50"), "ms"),
                     fmt_stat(summary.get(arm, "alone", "completed"), "steps")])
    return md_table(["arm", "victim slowdown p50", "latency / calibration p50", "probe p99 (ms)",
                     "placement p50 (ms)", "completed"], rows)


def samples_note(summary):
    """Steps per replay: p99.9 of fewer than 1000 is the maximum."""
    planned = [v for (a, s, k), vals in summary.values.items() if k == "planned" for v in vals]
    probes = [v for (a, s, k), vals in summary.values.items() if k == "probe_samples"
              for v in vals]
    text = ""
    if planned:
        text += (f"Each replay plans {int(statistics.median(planned))} victim steps, so a "
                 "per-replay p99.9 of step latency or slowdown is the maximum and p99 is "
                 "close to it. ")
    if probes:
        text += (f"The probe records a median of {int(statistics.median(probes))} wake-ups "
                 "per replay.")
    return text


ARM_DESCRIPTIONS = {
    "nocontrol": """*no control*: agentcgroupd stopped, no sched_ext scheduler; victims,
  probe and neighbours all in one transient scope (one cgroup, default
  weight, every task against every task under the fair class).""",
    "static": """*static knobs, fair scheduler*: agentcgroupd places every session and step
  with the plan's class, `cpu.weight` (interactive 400, latency 200, batch
  100) and `memory.max` (512 MiB, 1 GiB for batch), with `[Manager]
  Scheduler=no` in a drop-in, so it loads no scheduler and the kernel's
  fair class enforces the knobs. The fair class is hierarchical: each
  session scope has weight 100, so a step's `cpu.weight` only counts among
  the steps of its own session.""",
    "statichigh": """*static knobs with memory.high*: as the previous arm, but the plan's
  memory limit is written to `memory.high` and `memory.max` stays `max`.""",
    "userspace-10ms": """*userspace PSI controller, 10/50/100 ms*: the static arm plus
  `agentcg-psi-ctl` (`bench/psi-controller/`), which every 10, 50 or 100 ms
  reads `cpu.pressure`, `cpu.stat`, `memory.pressure`, `memory.events` and
  `memory.current` of every session and step and rewrites limits: a session
  that stalls on CPU while using less than its share gets its scope's
  `cpu.weight` doubled and every session using more than its share and
  half a CPU gets it halved (within 1/16 and 4 times the start); on memory
  stall, `memory.max` hits or OOM kills, the largest step gets `memory.high`
  at 3/4 of its usage, tightened while its `high` events grow; all of it
  relaxes after 1 s of calm. It runs beside the replay as an ordinary
  process, as such a controller would.""",
    "memhigh": """*memory.high alone, fair scheduler*: the daemon (`Scheduler=no`) places
  steps with the plan's memory limit as `memory.high` (`memory.max` stays
  `max`) and no CPU knob at all (every step `cpu.weight` 100).""",
    "agentcg": """*agentcg, full*: the daemon with its sched_ext scheduler, the plan's
  class and `cpu.weight`, and the plan's memory limit as `memory.high`
  (`memory.max` stays `max`, as in the memory.high arm): the daemon's
  memory escalation (freeze, then kill, a step that stays over
  `memory.high`) and the scheduler's coupling (less CPU for a step over
  `memory.high` or in reclaim) both act on `memory.high`, and would never
  fire with `memory.max` alone. The classes' `MemoryFreezeSec` and
  `MemoryKillSec` are divided by the plan's speed-up in a drop-in, as the
  replay divides time (batch: 1 s and 3 s).""",
    "agentcg-cpu": """*agentcg, CPU policy only*: as the full arm with `[Manager]
  MemoryEscalation=no`: no freezing or killing for memory; the scheduler's
  coupling stays on.""",
    "agentcg-nocoupling": """*agentcg, full without coupling*: as the full arm with `[Manager]
  MemoryCoupling=no`: the scheduler ignores memory pressure.""",
}


def arm_list(arms):
    shown, lines = set(), []
    # The full arm first: the two ablations are described against it.
    if "agentcg" in arms:
        arms = [a for a in arms if a not in AGENTCG_ARMS] + [a for a in
                ("agentcg", "agentcg-cpu", "agentcg-nocoupling") if a in arms]
    for a in arms:
        if a in USERSPACE_ARMS:
            if "userspace" in shown:
                continue
            shown.add("userspace")
            lines.append("- " + ARM_DESCRIPTIONS["userspace-10ms"])
            continue
        lines.append("- " + ARM_DESCRIPTIONS.get(a, f"*{a}*"))
    return "\n".join(lines)


def missing_text(missing):
    """The arms run-eval left out because the daemon lacks their key."""
    items = [m.split(":", 1) for m in missing.split() if ":" in m]
    if not items:
        return "Every arm of the harness ran."
    names = ", ".join(f"*{ARM_TITLES.get(a, a)}* (needs `[Manager] {k}=`)" for a, k in items)
    return (f"Not run: {names}: the daemon of this revision does not know the key, "
            "and an unknown key makes it refuse its configuration. The arm runs as soon "
            "as the key is in `src/daemon/conf.c`.")


def stat_cell(summary, arm, scenario, metric):
    return fmt_stat(summary.get(arm, scenario, metric), METRICS[metric][1])


def reaction_table(summary, scenario):
    rows = []
    for arm in summary.arms:
        if arm not in USERSPACE_ARMS + AGENTCG_ARMS:
            continue
        n, k = summary.reacted.get((arm, scenario), (0, 0))
        row = [ARM_TITLES.get(arm, arm)]
        row += [stat_cell(summary, arm, scenario, f"react_{kind}") for kind in NOISE_KINDS]
        row += [f"{k} of {n}"]
        if arm in USERSPACE_ARMS:
            row += [stat_cell(summary, arm, scenario, m)
                    for m in ("ctl_period_ms", "ctl_overrun_pct", "ctl_tick_us", "ctl_actions")]
            row += ["n/a (polls)"]
        else:
            row += ["no loop", "", "", stat_cell(summary, arm, scenario, "decisions"),
                    stat_cell(summary, arm, scenario, "decide_ms")]
        rows.append(row)
    return md_table(["arm", "CPU spin (ms)", "fork storm (ms)", "memory blow-up (ms)",
                     "replays with a reaction", "loop period achieved (ms)",
                     "ticks overrun (%)", "tick (us)", "writes / decisions",
                     "kernel event to decision (ms)"], rows)


def cost_table(summary, scenario):
    rows = []
    for arm in summary.arms:
        if arm == "nocontrol":
            continue
        rows.append([ARM_TITLES.get(arm, arm)] + [
            stat_cell(summary, arm, scenario, m)
            for m in ("daemon_cpu_ms", "bpf_ms", "ctl_cpu_ms", "ctrl_cpu_pct",
                      "daemon_mem_kb", "ctl_rss_kb")])
    return md_table(["arm", "agentcgroupd CPU (ms)", "BPF programs (ms)",
                     "userspace controller CPU (ms)", "control plane, % of the machine",
                     "agentcgroupd memory.peak (KiB)", "controller peak RSS (KiB)"], rows)


def oom_table(summary, scenario):
    rows = []
    for arm in summary.arms:
        v = summary.values.get((arm, scenario, "oom_victim"), [])
        n = summary.values.get((arm, scenario, "oom_noise"), [])
        rows.append([ARM_TITLES.get(arm, arm), stat_cell(summary, arm, scenario, "oom_victim"),
                     stat_cell(summary, arm, scenario, "oom_noise"),
                     f"{int(sum(v))} / {int(sum(n))} in {len(v)}"])
    return md_table(["arm", "victim processes killed", "neighbour processes killed",
                     "all replays (victims / neighbours in replays)"], rows)


def memory_fired(runs, scenario):
    """Whether the memory policies had anything to act on: replays of the
    agentcg arms with a daemon memory decision (those carry the kernel
    event's time), and of the userspace arms with a memory.high write."""
    def count(arms, hit):
        rs = [r for r in runs if r.valid and r.scenario == scenario and r.arm in arms]
        return sum(1 for r in rs if hit(r)), len(rs)

    d, dn = count(AGENTCG_ARMS, lambda r: any(e["decide_us"] is not None for e in r.events))
    u, un = count(USERSPACE_ARMS, lambda r: any(a["knob"] == "memory.high" for a in r.actions))
    text = (f"Memory policy had something to act on in {d} of {dn} {scenario} replays of the "
            f"agentcg arms (a memory decision of agentcgroupd) and in {u} of {un} of the "
            "userspace arms (a `memory.high` write).")
    if dn and d == 0:
        text += (" So in this run neither escalation nor coupling fired, and whatever "
                 "differences the agentcg arms show among themselves here are not theirs.")
        if un and u == 0:
            text += (" The userspace arms never saw a `memory.max` hit or memory stall either: "
                     "the memory blow-up did not reach its memory limit within the replay "
                     "(TCG makes its page faults slow). Testing the memory policies needs a "
                     "plan whose neighbour gets there sooner (a longer `--window-ms`, or a "
                     "lower `--noise-mem-limit-mb` for `trace-plan.py`).")
    return text


def rq_pairs(summary, tags):
    """The RQ pairs whose first question is one of TAGS."""
    return [(a, b) for a, b, t in RQ_PAIRS if a in summary.arms and b in summary.arms
            and t.split("/")[0] in tags]


def read_calibration(path):
    cal = {}
    if path and os.path.exists(path):
        with open(path) as f:
            cal = dict(line.split() for line in f if line.strip())
    return cal


def tcg_factors(guest, host):
    """ "(guest vs host: ...)" from the two calibrations, or "". """
    try:
        burn = float(host["iters_per_ms"]) / float(guest["iters_per_ms"])
        touch = float(guest["touch_ms_per_mb"]) / float(host["touch_ms_per_mb"])
        spawn = float(guest["spawn_ms"]) / float(host["spawn_ms"])
    except (KeyError, ValueError, ZeroDivisionError):
        return ""
    return (f" (the same calibration, guest against host: the burn loop {burn:.1f}x "
            f"slower, writing fresh memory {touch:.1f}x, spawning a process {spawn:.0f}x)")


def timer_floor(summary):
    """How late the probe wakes without neighbours, on the best arm."""
    best = [summary.get(a, "alone", "probe_p50") for a in summary.arms]
    best = [b[0] for b in best if b]
    if not best:
        return ""
    return (f"even without neighbours the probe's median wake-up from a 1 ms sleep comes "
            f"{min(best):.2f} ms late on the best arm, ")


def calibration_row(cal):
    if not cal:
        return "?"
    return (f"burn loop {fmt(float(cal.get('iters_per_ms', 'nan')) / 1000)}k iterations/ms, "
            f"writing fresh memory {float(cal.get('touch_ms_per_mb', 'nan')):.2f} ms/MiB, "
            f"process spawn {float(cal.get('spawn_ms', 'nan')):.1f} ms")


def replay_seconds(runs, scenario):
    spans = [sum(float(r.info.get(k, "0") or 0) for k in ("setup_ms", "wall_ms")) / 1000
             for r in runs if r.valid and r.scenario == scenario]
    return f"{statistics.median(spans):.0f}" if spans else "?"


def write_doc(args, runs, envs, cals, summary, comps, plots, doc, plots_dir):
    """Writes the section to DOC, its links relative to DOC's directory."""
    here = os.path.dirname(os.path.abspath(doc))
    text = doc_text(args, runs, envs, cals, summary, comps, plots,
                    os.path.relpath(plots_dir, here),
                    os.path.relpath(os.path.join(args.results, "raw.tar.gz"), here))
    with open(doc, "w") as f:
        f.write(text)
    return text


SECTION = "## Evaluation harness"


def merge_into(path, text):
    """Replaces PATH's section that starts with SECTION (up to the next
    "## " heading) with TEXT, or appends TEXT if there is none."""
    with open(path) as f:
        lines = f.read().split("\n")
    start = next((i for i, l in enumerate(lines) if l.startswith(SECTION)), None)
    if start is None:
        new = "\n".join(lines).rstrip("\n") + "\n\n" + text
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        new = "\n".join(lines[:start]) + "\n" + text.rstrip("\n") + "\n"
        if end < len(lines):
            new += "\n" + "\n".join(lines[end:])
    with open(path + ".tmp", "w") as f:
        f.write(new)
    os.replace(path + ".tmp", path)


def doc_text(args, runs, envs, cals, summary, comps, plots, rel, raw):
    env = envs[0] if envs else {}
    cal = cals[0] if cals else {}
    host_cal = read_calibration(args.host_calibration)
    params, counts, n_steps = describe_plan(os.path.join(args.inputs[0], "plan.tsv"))
    reps = sorted({r.rep for r in runs})
    noisy = "noisy" if "noisy" in summary.scenarios else summary.scenarios[-1]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    parts = [f"""## Evaluation harness (issue 6): isolation with noisy neighbours ({env.get('date', now)[:10]})

<!-- Generated by bench/analyze.py from bench/run-eval's results; edit the
generator, not this text. -->

Command: `{args.command}` (source revision {args.revision}), run {env.get('date', 'unknown')},
analysed {now}.

| | |
|---|---|
| host | {args.host} |
| qemu | {args.qemu}, accelerator: {args.accel} |
| guest kernel | {env.get('kernel', '?')} ({env.get('machine', '?')}), {env.get('cpus', '?')} vCPUs, {int(env.get('mem_total_kb', '0')) // 1024} MiB |
| guest CPU model | {env.get('cpu_model', '?')} |
| systemd, stress-ng | {env.get('systemd', '?')}; {env.get('stress_ng', '?')} |
| boots | {len(args.inputs)} (repetitions {reps[0] if reps else '?'}..{reps[-1] if reps else '?'} ran inside them) |
| calibration, guest | {calibration_row(cal)} |
| calibration, host | {calibration_row(host_cal)} (same binary, measured by run-eval) |

**Workload.** Plan: {params.get('tasks', '?')} tasks of the agent traces (seed {params.get('seed', '?')}),
speed-up {params.get('speedup', '?')}, {params.get('window_ms', '?')} ms of planned time per session,
{n_steps} victim steps in {counts.get('victim', 0)} victim sessions (one per task plus
a synthetic session of compile bursts and memory swings), an interactive
probe session, and {counts.get('noise', 0)} neighbours, each a session of its own:
CPU spin (`stress-ng --cpu NPROC`), fork storm (`stress-ng --fork NPROC`) and a
memory blow-up (`stress-ng --vm 2 --vm-populate`, {params.get('noise_mem_mb', '?')} MiB in all, in a step whose
memory limit is {params.get('noise_mem_limit_mb', 'its class limit,')} MiB). Scenario "alone" runs the
victims without neighbours, "noisy" with all three, which start 1 s before
the victims. A replay stops at twice the planned window: steps not done by
then count as not completed. How tool calls become steps (recorded duration
and think time, a memory curve and a CPU duty cycle from the container's
1 s samples aligned with each call; CPU source: {params.get('cpu_source', 'tool')}) is in the
header of `bench/trace-plan.py`.

**Arms** (interleaved, order rotating per repetition, same plan and seed for all):

{arm_list(summary.arms)}

{missing_text(args.missing_arms)}

Replays whose sched_ext state differed from the arm's at start or end are
left out. {validity_section(runs)}

{TCG_PARAGRAPH.format(factors=tcg_factors(cal, host_cal), timer_floor=timer_floor(summary))}

### Headline: the {noisy} scenario

Median over repetitions, bootstrap 95 % CI in brackets.

{headline_table(summary, noisy)}

#### RQ1: isolation against static knobs and a userspace controller

{comparison_table(comps, noisy, rq_pairs(summary, ["RQ1"]), RQ_METRICS)}

OOM kills in the {noisy} scenario (median per replay [CI], and the totals):

{oom_table(summary, noisy)}

#### RQ2: timescale

Time from a neighbour's start to the first action against its session:
for the userspace controller a throttling write (a halved `cpu.weight`,
a lowered `memory.high`), for agentcg a decision of agentcgroupd in the
journal other than bookkeeping. agentcg's scheduler itself has no loop: it
applies weights and its memory coupling on every scheduling decision, so
its CPU reaction is not a number this harness can time from userspace.
For the daemon's memory decisions the last column is the time from the
kernel's event (the BPF observer's timestamp) to the decision, as the
daemon records it (`AGENTCG_REACTION_USEC`); a polling controller has no
such timestamp, its delay is up to one achieved period plus a tick.
The loop period achieved is the controller's run time over its ticks:
under TCG, with the neighbours running, a tick costs milliseconds and the
loop cannot keep a short period.

{reaction_table(summary, noisy)}

{comparison_table(comps, noisy, rq_pairs(summary, ["RQ2"]), RQ_METRICS)}

#### RQ3: CPU and memory policy, alone and together

{memory_fired(runs, noisy)}

{comparison_table(comps, noisy, rq_pairs(summary, ["RQ3"]), RQ_METRICS + ["oom_victim"])}

#### Every arm against no control

{comparison_table(comps, noisy, [(a, "nocontrol") for a in summary.arms if a != "nocontrol"], ["probe_p99", "slow_p99", "slo_viol"])}

#### RQ4: what control costs ({noisy} scenario)

Per replay (about {replay_seconds(runs, noisy)} s of wall time including session set-up).
agentcgroupd's CPU time and memory.peak come from its service cgroup; the
BPF programs' run time from `kernel.bpf_stats_enabled` (enabled in every
arm; it adds two clock reads per program run); the userspace controller's
from its own `getrusage`. "% of the machine" is their sum over the
replay's wall time times the vCPUs.

{cost_table(summary, noisy)}
""",
    ]
    if "alone" in summary.scenarios:
        parts.append(f"""### Alone: what each arm costs without neighbours (RQ4)

{overhead_table(summary)}

{comparison_table(comps, "alone", [(a, "nocontrol") for a in summary.arms if a != "nocontrol"], ["probe_p99", "slow_p50", "completed", "place_p50"])}

Control-plane cost without neighbours:

{cost_table(summary, "alone")}
""")
    parts.append(f"""### Victim step slowdown (latency / the step's alone reference), all scenarios

{percentile_table(summary, "slow", "x")}

### Victim step latency (ms), all scenarios

{percentile_table(summary, "lat", "ms")}

{samples_note(summary)}

### Plots

""")
    titles = {
        "probe-p99.svg": "Probe wake-up lateness p99 per arm",
        "slowdown-p99.svg": "Victim step slowdown p99 per arm",
        "slo.svg": "SLO violation rate per arm",
        "probe-ccdf.svg": "Probe wake-up lateness distribution",
        "control-cost.svg": "Control plane CPU per arm",
    }
    for p in plots:
        parts.append(f"![{titles.get(p, p)}]({rel}/{p})\n")
    if not plots:
        parts.append("(gnuplot was not available; the scripts are in the results directory.)\n")
    parts.append(f"""
### Definitions

- **latency**: measured by the step's worker from its release inside the
  step to its end; placement (fork, CreateStep, AddProcess) is excluded and
  reported separately as placement time.
- **reference** of a victim step: the median of its latency over all
  "alone" replays of all arms and repetitions of this run (the same step
  among the other victims, without neighbours). **slowdown** = latency /
  reference.
- **SLO**: a victim step that ran meets it if it completed before the
  deadline with slowdown <= {SLO_SLOWDOWN:g}; one killed at the deadline violates it.
  The violation rate is over the victim steps that ran and have a
  reference. Steps that never started because the deadline came first are
  counted by **completed** instead, which therefore also reflects placement
  time: the replay is closed-loop, so slow placement pushes later steps
  past the deadline.
- **latency / calibration**: latency over what the step's work takes on
  the idle guest according to the calibration (planned duration plus the
  time to touch its memory; ceil(N/PAR) x (burn + spawn) for a compile
  burst; cycles x (touch + hold) for a memory swing). Above 1 even alone:
  the victims compete with each other, and TCG makes process creation and
  page faults far dearer than the calibration's loop suggests.
- **vs own alone**: median over steps of latency(noisy) / latency(alone),
  same arm and repetition, steps completed in both.
- **probe**: the interactive step (class interactive) sleeps 1 ms with
  `clock_nanosleep(TIMER_ABSTIME)`, records how late it woke and burns about
  50 us of CPU; its percentiles are per replay.
- **OOM kills**: the kernel's "Killed process" lines in the journal during
  the replay; a neighbour's when the killed process is stress-ng, a
  victim's otherwise.
- **reaction time**: from a neighbour's start to the first action against
  its session (see RQ2), on CLOCK_MONOTONIC; only actions before the
  victims finished count, and replays without one have no value.
- **control-plane cost**: per replay, agentcgroupd's CPU time (its service
  cgroup's `cpu.stat`), its BPF programs' run time, the userspace
  controller's CPU time (`getrusage`); memory as agentcgroupd's
  `memory.peak` and the controller's peak RSS.
- **CI**: percentile bootstrap ({BOOTSTRAP} resamples) of the median over
  repetitions; ratios resample both arms independently. "Inside the noise"
  means the two arms' CIs overlap. With fewer than 2 valid repetitions there
  is no CI.

Raw data: `{raw}`, next to it every metric with its CI (`summary.csv`)
and the arm comparisons (`comparisons.csv`).
""")
    return "\n".join(parts)


def archive(inputs, results):
    path = os.path.join(results, "raw.tar.gz")
    with tarfile.open(path + ".tmp", "w:gz") as tar:
        for i, base in enumerate(inputs, 1):
            tar.add(base, arcname=f"batch-{i}")
    os.replace(path + ".tmp", path)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("inputs", nargs="+", help="eval directories (one per boot)")
    p.add_argument("--results", required=True, help="directory for plots, tables, raw data")
    p.add_argument("--doc", required=True, help="Markdown file to write")
    p.add_argument("--command", default="(unknown)", help="the command that produced the data")
    p.add_argument("--accel", default="unknown")
    p.add_argument("--host", default="unknown")
    p.add_argument("--qemu", default="unknown")
    p.add_argument("--revision", default="unknown")
    p.add_argument("--host-calibration", help="agentcg-replay calibrate's output on the host")
    p.add_argument("--no-archive", action="store_true", help="do not write raw.tar.gz")
    p.add_argument("--plots-dir", help="copy the SVGs here and link them from there "
                                       "(default: the results directory)")
    p.add_argument("--merge-into", help="replace the evaluation section of this Markdown "
                                        "file (docs/EVAL.md) with the report")
    p.add_argument("--missing-arms", default="",
                   help="ARM:KEY ... arms left out because the daemon lacks KEY")
    return p.parse_args(argv)


def main(argv):
    args = parse_args(argv)
    runs, envs, cals = load(args.inputs)
    if not runs:
        sys.exit("analyze: no replays in the inputs")
    os.makedirs(args.results, exist_ok=True)
    # Plot data of arms or scenarios an earlier run had must not linger.
    for name in os.listdir(args.results):
        if name.endswith((".dat", ".gp", ".svg")):
            os.remove(os.path.join(args.results, name))
    summary = Summary(runs, ncpu=int(envs[0].get("cpus", "0") or 0) if envs else 0)
    comps = comparisons(summary)
    write_summary_csv(summary, os.path.join(args.results, "summary.csv"))
    write_comparisons_csv(comps, os.path.join(args.results, "comparisons.csv"))
    scripts = [
        bar_plot(summary, args.results, "probe-p99", "probe_p99",
                 "Interactive probe: wake-up lateness p99"),
        bar_plot(summary, args.results, "slowdown-p99", "slow_p99",
                 "Victim steps: slowdown p99 (latency / alone reference)"),
        bar_plot(summary, args.results, "slo", "slo_viol",
                 f"Victim steps that ran and missed the SLO (slowdown > {SLO_SLOWDOWN:g} or killed)"),
        bar_plot(summary, args.results, "control-cost", "ctrl_cpu_pct",
                 "Control plane CPU (daemon, BPF programs, userspace controller), % of the machine"),
        ccdf_plot(runs, args.results, summary.scenarios),
    ]
    plots = render(args.results, scripts)
    plots_dir = args.plots_dir or args.results
    if plots_dir != args.results:
        os.makedirs(plots_dir, exist_ok=True)
        for p in plots:
            shutil.copy(os.path.join(args.results, p), os.path.join(plots_dir, p))
    if not args.no_archive:
        archive(args.inputs, args.results)
    write_doc(args, runs, envs, cals, summary, comps, plots, args.doc, plots_dir)
    if args.merge_into:
        tmp = args.merge_into + ".section"
        merge_into(args.merge_into,
                   write_doc(args, runs, envs, cals, summary, comps, plots, tmp, plots_dir))
        os.remove(tmp)
    print(f"analyze: {len(runs)} replays, {sum(r.valid for r in runs)} valid; "
          f"wrote {args.doc}{' and ' + args.merge_into if args.merge_into else ''} "
          f"and {args.results}/")


if __name__ == "__main__":
    main(sys.argv[1:])
