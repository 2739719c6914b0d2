#!/bin/bash
# vm-timeout: 240
# vm-known-failure: p99 1.40-1.60x, not 1.5x: passes one run in three (issue 4: the fork storm still adds a tail)
# A fork storm in one step must not raise a victim step's p99 step latency
# by more than 1.5x (issue 4).  The victim (session "victim", default
# class) does fixed short work again and again: it sleeps PERIOD_US, then
# burns a loop calibrated to WORK_US on the idle guest, and its step
# latency is the time from the planned wake-up to the end of that work
# (sched-probe work).  The storm (session "storm", default class) is
# stress-ng with one forking worker per CPU, each keeping up to 32 short
# children alive at a time.
#
# The phases alternate alone, storm, alone, storm (ROUNDS times), each
# PHASE_SECONDS long and in a fresh victim step; the storm step is frozen
# with the cgroup freezer in the alone phases, so it takes no CPU then.
# Kernel-side checks: the storm step's cpu.stat and pids.peak show it ran
# and forked during the storm phases, and sched_ext stayed enabled with
# our scheduler (same enable_seq) throughout.
. /usr/lib/agentcg-tests/lib.sh

PHASE_SECONDS=${PHASE_SECONDS:-8}
ROUNDS=${ROUNDS:-2}
WORK_US=${WORK_US:-2000}
PERIOD_US=${PERIOD_US:-3000}
MAX_RATIO=${MAX_RATIO:-1.5}
probe=/usr/lib/agentcg-tests/sched-probe
out=/run/agentcg-tests/fork-storm
ncpu=$(nproc)
storm_cg=$SLICE/agentcg-storm.scope/fork

[ -x "$probe" ] || fail "$probe is missing from the guest"
command -v stress-ng >/dev/null || fail "stress-ng is missing from the guest"
mkdir -p "$out"

storm=
cleanup() {
	[ -z "$storm" ] || kill -KILL "$storm" 2>/dev/null || true
	[ ! -e "$storm_cg/cgroup.kill" ] || echo 1 >"$storm_cg/cgroup.kill" 2>/dev/null || true
}
trap cleanup EXIT

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
seq0=$(scx_enable_seq)

for s in victim storm; do
	sleep 600 &
	agentcgctl session-new "$s" --pid $! >/dev/null
done

# The loop count for WORK_US, measured now, while the guest is idle.
loops=$(agentcgctl run --session victim --step calibrate -- "$probe" calibrate --us "$WORK_US")
note "work: $loops loops (about $WORK_US us on the idle guest), period $PERIOD_US us"

# stress-ng starts stopped, so it forks nothing before it is in its step,
# and the step is frozen before it may run.
agentcgctl step-new storm fork >/dev/null
sh -c 'kill -STOP $$; exec stress-ng --fork "$1" --fork-max 32 --timeout 3600s --quiet' \
	sh "$ncpu" >/dev/null 2>&1 &
storm=$!
stopped() {
	grep -q '^State:[[:space:]]*T' "/proc/$storm/status"
}
wait_for 30 stopped || fail "the storm's shell did not stop itself"
agentcgctl step-add storm fork "$storm"
agentcgctl freeze storm fork
kill -CONT "$storm"

usage() {
	sed -n 's/^usage_usec //p' "$storm_cg/cpu.stat"
}

victim_phase() {
	agentcgctl run --session victim --step "$1" -- \
		"$probe" work --loops "$loops" --period-us "$PERIOD_US" \
		--seconds "$PHASE_SECONDS" --raw "$out/$1.txt" |
		sed "s/^/# $1: /"
}

storm_cpus=()
for round in $(seq "$ROUNDS"); do
	victim_phase "alone$round"
	agentcgctl thaw storm fork
	sleep 1
	u0=$(usage) t0=${EPOCHREALTIME/./}
	victim_phase "storm$round"
	u1=$(usage) t1=${EPOCHREALTIME/./}
	agentcgctl freeze storm fork
	storm_cpus+=("$(awk -v u=$((u1 - u0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", u / t }')")
	note "round $round: the storm step used ${storm_cpus[-1]} CPUs while the victim ran"
done
peak=$(cat "$storm_cg/pids.peak")
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the phases"
assert_eq "$(scx_enable_seq)" "$seq0" "sched_ext enable_seq (no exit and reattach)"

alone_p50=$(percentile 50 "$out"/alone*.txt) alone_p99=$(percentile 99 "$out"/alone*.txt)
storm_p50=$(percentile 50 "$out"/storm*.txt) storm_p99=$(percentile 99 "$out"/storm*.txt)
alone_n=$(cat "$out"/alone*.txt | wc -l) storm_n=$(cat "$out"/storm*.txt | wc -l)
ratio=$(awk -v a="$storm_p99" -v b="$alone_p99" 'BEGIN { printf "%.2f", a / b }')
note "alone: n=$alone_n p50=${alone_p50}us p99=${alone_p99}us"
note "storm: n=$storm_n p50=${storm_p50}us p99=${storm_p99}us (storm on ${storm_cpus[*]} CPUs, pids.peak $peak)"
note "p99 storm/alone = $ratio (target <= $MAX_RATIO)"
echo "loops=$loops alone_n=$alone_n alone_p50_us=$alone_p50 alone_p99_us=$alone_p99" \
	"storm_n=$storm_n storm_p50_us=$storm_p50 storm_p99_us=$storm_p99 ratio_p99=$ratio" \
	"storm_cpus=${storm_cpus[*]} storm_pids_peak=$peak" >"$out/summary.txt"

# One CPU's worth at least: the storm competes for every CPU the victim
# might want.
for c in "${storm_cpus[@]}"; do
	awk -v c="$c" 'BEGIN { exit !(c >= 1.0) }' ||
		fail "the storm step used only $c CPUs while the victim ran: no storm"
done
[ "$peak" -gt $((2 * ncpu)) ] || fail "the storm step peaked at $peak processes: it did not fork"
note "ok: the storm ran and forked"
awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r <= m) }' ||
	fail "victim step latency p99 next to the fork storm is ${ratio}x the one alone (${storm_p99} vs ${alone_p99} us), over ${MAX_RATIO}x"
note "ok: victim p99 within ${MAX_RATIO}x of alone next to a fork storm"

agentcgctl kill storm fork
agentcgctl session-end victim
agentcgctl session-end storm
stop_daemon
