#!/bin/bash
# Host test of the replay pieces that need no VM: trace-plan.py is a pure
# function of traces and seed (two runs, same plan; skipped without the
# traces), and agentcg-replay, placing nothing, replays a small hand-made
# plan (a work step that follows a memory curve, one without, a compile
# burst, a memory swing, the probe) to completion with a CSV row per step.
# A plan with a malformed curve is refused.
#
# Usage: test-replay.sh PATH-TO-agentcg-replay PATH-TO-trace-plan.py
set -euo pipefail

replay=${1:?usage: test-replay.sh AGENTCG-REPLAY TRACE-PLAN}
planner=${2:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
	echo "test-replay: $*" >&2
	exit 1
}

traces=${AGENTCG_TRACES:-$(dirname "$planner")/../../shared/traces/agent-tool-calls}
if [ -d "$traces" ] && command -v python3 >/dev/null; then
	python3 "$planner" --traces "$traces" --seed 7 --tasks 3 --out "$work/a.tsv"
	python3 "$planner" --traces "$traces" --seed 7 --tasks 3 --out "$work/b.tsv"
	cmp -s "$work/a.tsv" "$work/b.tsv" || fail "trace-plan.py is not deterministic"
	python3 "$planner" --traces "$traces" --seed 8 --tasks 3 --out "$work/c.tsv"
	! cmp -s "$work/a.tsv" "$work/c.tsv" || fail "the seed changes nothing"
else
	echo "test-replay: no traces at $traces; determinism not checked"
fi

tab=$'\t'
{
	echo "agentcg-replay-plan${tab}1"
	echo "param${tab}window_ms${tab}600"
	echo "session${tab}v-a${tab}victim${tab}test"
	echo "step${tab}v-a${tab}curve${tab}work${tab}Bash${tab}batch${tab}100${tab}1073741824${tab}0${tab}200${tab}30${tab}24${tab}0:8,250:24,750:4"
	echo "step${tab}v-a${tab}flat${tab}work${tab}Read${tab}latency${tab}200${tab}536870912${tab}10${tab}50${tab}5${tab}4${tab}-"
	echo "step${tab}v-a${tab}burst${tab}compile${tab}compile${tab}batch${tab}100${tab}1073741824${tab}10${tab}20${tab}100${tab}0${tab}4,2,5"
	echo "step${tab}v-a${tab}swing${tab}memswing${tab}memswing${tab}batch${tab}100${tab}1073741824${tab}10${tab}20${tab}0${tab}16${tab}2,10"
	echo "session${tab}v-probe${tab}probe${tab}synthetic"
	echo "step${tab}v-probe${tab}probe${tab}probe${tab}probe${tab}interactive${tab}400${tab}536870912${tab}0${tab}600${tab}0${tab}0${tab}1000,50"
} >"$work/plan.tsv"

"$replay" calibrate >"$work/cal.txt" || fail "calibrate failed"
"$replay" run --plan "$work/plan.tsv" --calibration "$work/cal.txt" --out "$work/out" \
	--noise none --arm test --scenario alone --deadline-ms 20000 || fail "the replay failed"
[ "$(awk -F, 'NR > 1 && $23 == "ok"' "$work/out/steps.csv" | wc -l)" = 5 ] ||
	fail "not every step completed: $(cat "$work/out/steps.csv")"
grep -q '^t0_mono_ns=[1-9]' "$work/out/run.txt" || fail "no t0_mono_ns in run.txt"
awk -F, 'NR > 1 && $5 == "probe" && $6 > 0 { found = 1 } END { exit !found }' \
	"$work/out/probe.csv" || fail "no probe samples"

sed 's/0:8,250:24,750:4/0:8,250:x/' "$work/plan.tsv" >"$work/bad.tsv"
! "$replay" run --plan "$work/bad.tsv" --calibration "$work/cal.txt" --out "$work/bad" \
	--noise none 2>/dev/null || fail "a malformed curve was accepted"
echo "test-replay: ok"
