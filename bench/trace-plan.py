#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Turns the agent tool-call traces into a replay plan for agentcg-replay.

The traces (traces/agent-tool-calls/TASK/{tool_calls.json,resources.json},
see traces/README.md) record when each tool call of a coding agent started
and ended and, once a second, how much memory the whole container used and
its CPU use averaged since the container started.  They hold no per-call
figures: both are attributed by aligning the samples with the calls.  This script picks tasks, turns every task
into a session and every tool call into a step, and adds the synthetic
sessions the evaluation needs (a compile-burst/memory-swing session, an
interactive latency probe, and three noisy neighbours).  The output is a
small tab-separated file that agentcg-replay reads in the guest, where
there is no Python.

How a tool call becomes a step:

- Timing.  A session replays closed-loop: a step starts GAP ms after the
  previous step of its session ended (the agent's "think time", which does
  not depend on the host), and its planned duration is the call's recorded
  duration.  Both are divided by --speedup and clamped (--min-step-ms,
  --max-step-ms, --max-gap-ms) so that a task fits in a short replay; steps
  whose planned start falls after --window-ms are dropped.

- Memory curve.  The container sample at or before the call's start is
  the baseline.  Every later sample up to the first one at least a
  sampling period (about 1 s) after the call ended gives a level: the
  sample minus the baseline, clamped at 0, scaled by --mem-scale and
  capped at --mem-cap-mb.  A sample reports what was used by its time, so
  its level is placed one sampling period earlier, at that point's
  fraction of the call (0 if before the start; so a call shorter than
  the period, most of them, holds its level from the start).  The step
  holds 0 MiB until the first point, then follows the levels (at most
  --curve-points, the highest level of each bin); its memory target is
  the highest level.  This over-attributes growth that merely coincides
  with a call: it is an upper estimate.  The worker allocates and writes
  memory as a level rises and unmaps it as it falls.

- CPU demand (--cpu-source trace, the default).  podman's cpu_percent is
  the average since the container started, so cpu% x (time since start)
  is the CPU time used so far, and its growth between two samples over
  their distance is the container's CPU use in that second (the start is
  taken as one period before the first sample).  A step's duty cycle is
  that use averaged over the seconds the call overlaps, capped at 100 %
  (the worker is one thread), at least 1 %.  Calls that build or test
  come out at 40-100 %, file tools at 1-5 %.  With --cpu-source tool, or
  for a task without CPU samples, the duty is a guess by tool instead:
  Bash calls that build, test or install (pytest, python, pip, make, ...)
  90 %, other Bash calls 40 %, file tools (Read, Edit, Write, Grep, Glob,
  TodoWrite) 20 %, sub-agents (Task) 10 %, network tools (WebSearch,
  WebFetch) 5 %.  The step burns that fraction of its duration in CPU,
  spread over 20 ms periods, and sleeps the rest.

- Knobs, used by the arms that set any: the step's class picks cpu.weight
  and memory.max the way policy/agentcg.conf's class defaults do
  (interactive 400, latency 200, batch 100).  File tools are "latency",
  everything else of the agent "batch", the probe "interactive".  The
  noisy neighbours are other tenants' batch steps: nobody labels itself
  noisy.

The plan is a pure function of the traces and the options: tasks are
picked with random.Random(--seed) from the tasks that have at least
--min-calls calls, in name order, and nothing else is random.

Usage: trace-plan.py [--traces DIR] [--out FILE] [--seed N] [--speedup X]
                     [--tasks N] [--window-ms MS] [...]
"""

import argparse
import bisect
import datetime
import json
import os
import random
import re
import sys

PLAN_VERSION = 1

# cpu.weight and memory.max (MiB) per class; the weights are the class
# defaults of policy/agentcg.conf, the memory limits a per-step sandbox
# ceiling of the kind an operator would set once for everybody.
CLASSES = {
    "interactive": (400, 512),
    "latency": (200, 512),
    "batch": (100, 1024),
}

FILE_TOOLS = {"Read", "Edit", "Write", "MultiEdit", "Grep", "Glob", "LS",
              "TodoWrite", "NotebookEdit", "BashOutput", "KillShell"}
NETWORK_TOOLS = {"WebSearch", "WebFetch"}
HEAVY_BASH = re.compile(
    r"\b(pytest|py\.test|python[0-9.]*|pip[0-9]*|tox|nox|make|cmake|ninja|gcc|"
    r"cc|clang|cargo|rustc|go|npm|npx|yarn|node|mvn|gradle|javac|setup\.py|"
    r"install|build|test|tests|mypy|ruff|flake8|pylint|coverage)\b")


def parse_utc(text):
    """Seconds since the epoch of an ISO 8601 UTC timestamp."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def parse_mb(text):
    """MB used from a podman mem_usage field such as '243.1MB / 134.5GB'."""
    used = text.split("/")[0].strip()
    m = re.match(r"([0-9.]+)\s*([kKMGT]?i?B)$", used)
    if not m:
        raise ValueError(f"unreadable mem_usage '{text}'")
    scale = {"B": 1e-6, "K": 1e-3, "k": 1e-3, "M": 1.0, "G": 1e3, "T": 1e6}
    return float(m.group(1)) * scale[m.group(2)[0]]


def duty_for(tool, command):
    if tool == "Bash":
        return 90 if HEAVY_BASH.search(command) else 40
    if tool in FILE_TOOLS:
        return 20
    if tool == "Task":
        return 10
    if tool in NETWORK_TOOLS:
        return 5
    return 20


def class_for(tool):
    return "latency" if tool in FILE_TOOLS else "batch"


def safe_name(text, limit):
    """A name agentcgroupd accepts: [A-Za-z0-9_-], not starting with '-'."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")
    return (name or "x")[:limit].rstrip("-")


def load_task(path):
    with open(os.path.join(path, "tool_calls.json")) as f:
        calls = json.load(f)
    with open(os.path.join(path, "resources.json")) as f:
        samples = json.load(f)["samples"]
    samples = [s for s in samples if "epoch" in s and "mem_usage" in s]
    samples.sort(key=lambda s: s["epoch"])
    return calls, samples


def sample_period(epochs):
    gaps = [b - a for a, b in zip(epochs, epochs[1:]) if b > a]
    return sorted(gaps)[len(gaps) // 2] if gaps else 1.0


def cpu_use(samples, epochs, period):
    """Per interval (epochs[k-1], epochs[k]], the container's CPU use in
    CPUs, from podman's average-since-start cpu_percent (see above); None
    when the samples have no cpu_percent."""
    try:
        pct = [float(s["cpu_percent"].rstrip("%")) / 100 for s in samples]
    except (KeyError, ValueError, AttributeError):
        return None
    if len(pct) < 2:
        return None
    born = epochs[0] - period
    used = [p * (e - born) for p, e in zip(pct, epochs)]
    return [0.0] + [max(0.0, (used[k] - used[k - 1]) / (epochs[k] - epochs[k - 1]))
                    if epochs[k] > epochs[k - 1] else 0.0 for k in range(1, len(epochs))]


def call_duty(start, end, epochs, use):
    """CPU use averaged over the intervals [start, end] overlaps, in %."""
    k = min(max(bisect.bisect_left(epochs, start), 1), len(epochs) - 1)
    total = weight = 0.0
    while k < len(epochs):
        lo, hi = max(epochs[k - 1], start), min(epochs[k], max(end, start))
        w = max(hi - lo, 0.0) or (1.0 if weight == 0 and epochs[k] >= start else 0.0)
        total += use[k] * w
        weight += w
        if epochs[k] >= end:
            break
        k += 1
    duty = 100.0 * total / weight if weight else 0.0
    return int(min(100, max(1, round(duty))))


def memory_curve(start, end, epochs, mem, period, args):
    """[(permille of the call, MiB)] levels (see above), at most
    --curve-points of them."""
    if not epochs:
        return []
    i = bisect.bisect_right(epochs, start) - 1
    base = mem[max(i, 0)]
    j = bisect.bisect_left(epochs, end + period)
    dur = end - start
    points = {}
    for k in range(i + 1, min(j, len(epochs))):
        level = min(args.mem_cap_mb, max(0.0, mem[k] - base) * args.mem_scale)
        frac = (epochs[k] - period - start) / dur if dur > 0 else 0.0
        if frac >= 1:
            continue
        pm = int(max(0, frac * 1000))
        bucket = pm * args.curve_points // 1000 * 1000 // args.curve_points
        points[bucket] = max(points.get(bucket, 0.0), level)
    return [(pm, int(mb)) for pm, mb in sorted(points.items())]


def curve_arg(curve):
    """The worker's argument: PERMILLE:MIB,... or "-" for no memory."""
    if not curve or max(mb for _, mb in curve) < 1:
        return "-"
    return ",".join(f"{pm}:{mb}" for pm, mb in curve)


def task_steps(path, args):
    """The step lines of one task, already scaled, clamped and windowed."""
    calls, samples = load_task(path)
    epochs = [s["epoch"] for s in samples]
    mem = [parse_mb(s["mem_usage"]) for s in samples]
    period = sample_period(epochs)
    use = cpu_use(samples, epochs, period) if args.cpu_source == "trace" else None
    calls = [c for c in calls if c.get("timestamp") and c.get("end_timestamp")]
    calls.sort(key=lambda c: c["timestamp"])

    steps = []
    clock_ms = 0.0
    prev_end = epochs[0] if epochs else None
    for index, call in enumerate(calls):
        start, end = parse_utc(call["timestamp"]), parse_utc(call["end_timestamp"])
        if prev_end is None:
            prev_end = start
        gap = min(args.max_gap_ms, max(0.0, start - prev_end) * 1000 / args.speedup)
        dur = (end - start) * 1000 / args.speedup
        dur = min(args.max_step_ms, max(args.min_step_ms, dur))
        prev_end = max(prev_end, end)
        if clock_ms + gap >= args.window_ms:
            break
        clock_ms += gap + dur

        tool = str(call.get("tool", "unknown"))
        command = json.dumps(call.get("input", ""))
        curve = memory_curve(start, end, epochs, mem, period, args)
        target = max((mb for _, mb in curve), default=0)
        duty = call_duty(start, end, epochs, use) if use else duty_for(tool, command)
        cls = class_for(tool)
        steps.append({
            "name": f"s{index:03d}-{safe_name(tool.lower(), 20)}",
            "kind": "work",
            "tool": safe_name(tool, 32),
            "class": cls,
            "gap": round(gap),
            "dur": round(dur),
            "duty": duty,
            "mem": int(target) if target >= 1 else 0,
            "arg": curve_arg(curve),
        })
    return steps


def synthetic_steps(args):
    """A compile burst and a memory swing, alternating for the window.

    The burst is ARG=N,PAR,BURN_MS: N processes, PAR at a time, each
    burning BURN_MS of CPU (make -j2 of small compilation units).  The
    swing is ARG=CYCLES,HOLD_MS: map and touch MEM MiB, hold, unmap.
    """
    steps = []
    clock_ms = 0.0
    gap = 400
    index = 0
    while True:
        if index % 2 == 0:
            n, par, burn = 16, 2, 20
            step = {"name": f"c{index:03d}-compile", "kind": "compile", "tool": "compile",
                    "class": "batch", "dur": n // par * burn, "duty": 100, "mem": 0,
                    "arg": f"{n},{par},{burn}"}
        else:
            cycles, hold = 2, 50
            step = {"name": f"m{index:03d}-memswing", "kind": "memswing",
                    "tool": "memswing", "class": "batch", "dur": cycles * hold,
                    "duty": 0, "mem": args.swing_mb, "arg": f"{cycles},{hold}"}
        if clock_ms + gap >= args.window_ms:
            break
        step["gap"] = gap
        clock_ms += gap + step["dur"]
        steps.append(step)
        index += 1
    return steps


def probe_steps(args):
    """One interactive step that lasts the window: ARG=INTERVAL_US,WORK_US."""
    return [{"name": "probe", "kind": "probe", "tool": "probe", "class": "interactive",
             "gap": 0, "dur": round(args.window_ms), "duty": 0, "mem": 0,
             "arg": f"{args.probe_interval_us},{args.probe_work_us}"}]


# The neighbours: stress-ng, started before the victims and killed after
# them; @NPROC@ and @TIMEOUT@ are filled in by the replayer in the guest
# (the timeout is only a safety net if the replayer dies).  The memory
# blow-up maps --noise-mem-mb (stress-ng divides --vm-bytes among its
# workers) in two workers with MAP_POPULATE and keeps unmapping and
# mapping it again: touched from user space, under TCG it would not even
# reach 1 GiB within a replay.  Even so it did not reach its class's 1 GiB
# within a replay, so it gets a limit of its own (--noise-mem-limit-mb,
# below what it maps): a tenant's step that outgrows its sandbox, which is
# what the memory policies exist for.
NOISE = [
    ("cpu", "stress-ng --cpu @NPROC@ --cpu-method int64 --timeout @TIMEOUT@"),
    ("fork", "stress-ng --fork @NPROC@ --timeout @TIMEOUT@"),
    ("mem", "stress-ng --vm 2 --vm-bytes {noise_mem}m --vm-populate --timeout @TIMEOUT@"),
]


def noise_steps(tag, command, mem_limit_mb):
    step = {"name": f"noise-{tag}", "kind": "exec", "tool": f"noise-{tag}",
            "class": "batch", "gap": 0, "dur": 0, "duty": 100, "mem": 0,
            "arg": command}
    if tag == "mem":
        step["mem_max"] = mem_limit_mb
    return [step]


def step_line(session, step):
    weight, mem_max = CLASSES[step["class"]]
    mem_max = step.get("mem_max", mem_max)
    fields = ["step", session, step["name"], step["kind"], step["tool"], step["class"],
              str(weight), str(mem_max * 1024 * 1024), str(step["gap"]), str(step["dur"]),
              str(step["duty"]), str(step["mem"]), step["arg"]]
    return "\t".join(fields)


def pick_tasks(args):
    names = sorted(d for d in os.listdir(args.traces)
                   if os.path.isfile(os.path.join(args.traces, d, "tool_calls.json")))
    if not names:
        sys.exit(f"trace-plan: no tasks in {args.traces}")
    eligible = []
    for name in names:
        calls, _ = load_task(os.path.join(args.traces, name))
        if len(calls) >= args.min_calls:
            eligible.append(name)
    rng = random.Random(args.seed)
    if args.tasks <= 0 or args.tasks >= len(eligible):
        return eligible
    return sorted(rng.sample(eligible, args.tasks))


def build_plan(args):
    lines = [f"agentcg-replay-plan\t{PLAN_VERSION}"]
    for key in ("seed", "speedup", "tasks", "window_ms", "min_step_ms", "max_step_ms",
                "max_gap_ms", "mem_scale", "mem_cap_mb", "min_calls", "noise_mem_mb",
                "noise_mem_limit_mb",
                "cpu_source", "curve_points"):
        lines.append(f"param\t{key}\t{getattr(args, key)}")

    sessions = []
    for i, task in enumerate(pick_tasks(args)):
        name = f"v{i}-{safe_name(task.split('__')[-1], 40)}"
        sessions.append((name, "victim", safe_name(task, 100),
                         task_steps(os.path.join(args.traces, task), args)))
    if not args.no_synthetic:
        sessions.append(("v-synth", "victim", "synthetic", synthetic_steps(args)))
    sessions.append(("v-probe", "probe", "synthetic", probe_steps(args)))
    for tag, command in NOISE:
        command = command.format(noise_mem=args.noise_mem_mb)
        sessions.append((f"n-{tag}", "noise", tag,
                         noise_steps(tag, command, args.noise_mem_limit_mb)))

    for name, role, source, steps in sessions:
        lines.append("\t".join(["session", name, role, source]))
        lines.extend(step_line(name, s) for s in steps)
    return "\n".join(lines) + "\n"


def default_traces():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("AGENTCG_TRACES",
                          os.path.join(here, "..", "..", "shared", "traces", "agent-tool-calls"))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--traces", default=default_traces(),
                   help="the agent-tool-calls directory (default: $AGENTCG_TRACES or "
                        "../shared/traces/agent-tool-calls beside the source tree)")
    p.add_argument("--out", default="-", help="plan file to write (default stdout)")
    p.add_argument("--seed", type=int, default=1, help="picks the tasks (default 1)")
    p.add_argument("--speedup", type=float, default=10.0,
                   help="divide recorded durations and gaps by this (default 10)")
    p.add_argument("--tasks", type=int, default=4,
                   help="number of tasks, one session each; 0 for all (default 4)")
    p.add_argument("--min-calls", type=int, default=5,
                   help="only tasks with at least this many calls (default 5)")
    p.add_argument("--window-ms", type=float, default=6000,
                   help="replay this much of each task, in planned time (default 6000)")
    p.add_argument("--min-step-ms", type=float, default=10, help="default 10")
    p.add_argument("--max-step-ms", type=float, default=3000, help="default 3000")
    p.add_argument("--max-gap-ms", type=float, default=2000, help="default 2000")
    p.add_argument("--mem-scale", type=float, default=1.0, help="default 1.0")
    p.add_argument("--mem-cap-mb", type=float, default=384, help="default 384")
    p.add_argument("--cpu-source", choices=("trace", "tool"), default="trace",
                   help="CPU demand from the trace's samples or guessed by tool "
                        "(default trace)")
    p.add_argument("--curve-points", type=int, default=8,
                   help="at most this many memory levels per step (default 8)")
    p.add_argument("--swing-mb", type=int, default=192,
                   help="memory swing of the synthetic session (default 192)")
    p.add_argument("--noise-mem-mb", type=int, default=1536,
                   help="what the memory blow-up neighbour maps (default 1536)")
    p.add_argument("--noise-mem-limit-mb", type=int, default=256,
                   help="the memory blow-up neighbour's memory limit instead of its "
                        "class's (default 256)")
    p.add_argument("--probe-interval-us", type=int, default=1000, help="default 1000")
    p.add_argument("--probe-work-us", type=int, default=50,
                   help="CPU the probe burns per wake-up (default 50)")
    p.add_argument("--no-synthetic", action="store_true",
                   help="leave out the compile-burst/memory-swing session")
    args = p.parse_args(argv)
    if args.speedup <= 0 or args.window_ms <= 0:
        p.error("--speedup and --window-ms must be positive")
    if not 1 <= args.curve_points <= 32:
        p.error("--curve-points must be between 1 and 32")
    if not os.path.isdir(args.traces):
        p.error(f"no traces at {args.traces} (set --traces or $AGENTCG_TRACES)")
    return args


def main(argv):
    args = parse_args(argv)
    plan = build_plan(args)
    if args.out == "-":
        sys.stdout.write(plan)
        return
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(plan)
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
