#!/bin/bash
# vm-timeout: 240
# vm-known-failure: p99 2.1-4.9x, not 2x (issue 4: a 2.4-3.6 ms tail under load, the fair class's is as long on this testbed)
# Interactive wake-up latency under the agentcg scheduler: an
# interactive-class step that sleeps 1-5 ms again and again (sched-probe
# sleep) must wake, at the 99th percentile, within 2x of how late it wakes
# on an otherwise idle system when two batch steps, each with one CPU
# spinner per CPU, sit next to it in the same session (issue 4).
#
# The phases alternate idle, loaded, idle, loaded (ROUNDS times), each
# PHASE_SECONDS long and in a fresh step, and the samples of each kind are
# pooled: the host under the TCG guest is shared, and interleaving spreads
# its noise over both kinds.  The spinners are stopped (SIGSTOP) in the
# idle phases.  Kernel-side checks: the hog steps' cpu.stat shows they
# really took the CPUs in the loaded phases, and sched_ext stayed enabled
# with our scheduler (same enable_seq) throughout.
. /usr/lib/agentcg-tests/lib.sh

PHASE_SECONDS=${PHASE_SECONDS:-8}
ROUNDS=${ROUNDS:-2}
MAX_RATIO=${MAX_RATIO:-2.0}
probe=/usr/lib/agentcg-tests/sched-probe
out=/run/agentcg-tests/wakeup-latency
ncpu=$(nproc)
scope=$SLICE/agentcg-wake.scope

[ -x "$probe" ] || fail "$probe is missing from the guest"
mkdir -p "$out"

hogs=()
cleanup() {
	[ ${#hogs[@]} -eq 0 ] || kill -KILL "${hogs[@]}" 2>/dev/null || true
}
trap cleanup EXIT

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
seq0=$(scx_enable_seq)

sleep 600 &
holder=$!
agentcgctl session-new wake --pid "$holder" >/dev/null

# Two batch steps with one spinner per CPU each, created stopped.
for step in hog1 hog2; do
	agentcgctl step-new wake "$step" --class batch >/dev/null
	for _ in $(seq "$ncpu"); do
		sh -c 'while :; do :; done' >/dev/null &
		kill -STOP $!
		hogs+=($!)
		agentcgctl step-add wake "$step" $!
	done
done

usage() {
	sed -n 's/^usage_usec //p' "$scope/$1/cpu.stat"
}
hog_usage() {
	echo $(($(usage hog1) + $(usage hog2)))
}

# probe_phase NAME: one run of the probe in a fresh interactive step.
probe_phase() {
	agentcgctl run --session wake --step "$1" --class interactive -- \
		"$probe" sleep --seconds "$PHASE_SECONDS" --raw "$out/$1.txt" |
		sed "s/^/# $1: /"
}

loaded_cpus=()
for round in $(seq "$ROUNDS"); do
	probe_phase "idle$round"
	kill -CONT "${hogs[@]}"
	sleep 0.5
	u0=$(hog_usage) t0=${EPOCHREALTIME/./}
	probe_phase "loaded$round"
	u1=$(hog_usage) t1=${EPOCHREALTIME/./}
	kill -STOP "${hogs[@]}"
	loaded_cpus+=("$(awk -v u=$((u1 - u0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", u / t }')")
	note "round $round: the hog steps used ${loaded_cpus[-1]} CPUs while the probe ran"
done
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the phases"
note "scheduler counters: $(busctl --json=short call org.agentcg1 /org/agentcg1/scheduler \
	org.agentcg1.Scheduler Stats | jq -r '.data[0] | map(select(.[0] |
	test("^(enqueue|direct|boost|boost_kick|boost_exhausted|wake_preempt)$")) |
	"\(.[0])=\(.[1])") | join(" ")')"
assert_eq "$(scx_enable_seq)" "$seq0" "sched_ext enable_seq (no exit and reattach)"

idle_p50=$(percentile 50 "$out"/idle*.txt) idle_p99=$(percentile 99 "$out"/idle*.txt)
load_p50=$(percentile 50 "$out"/loaded*.txt) load_p99=$(percentile 99 "$out"/loaded*.txt)
idle_n=$(cat "$out"/idle*.txt | wc -l) load_n=$(cat "$out"/loaded*.txt | wc -l)
ratio=$(awk -v a="$load_p99" -v b="$idle_p99" 'BEGIN { printf "%.2f", a / b }')
note "idle:   n=$idle_n p50=${idle_p50}us p99=${idle_p99}us"
note "loaded: n=$load_n p50=${load_p50}us p99=${load_p99}us (hogs on ${loaded_cpus[*]} CPUs)"
note "p99 loaded/idle = $ratio (target <= $MAX_RATIO)"
echo "idle_n=$idle_n idle_p50_us=$idle_p50 idle_p99_us=$idle_p99 loaded_n=$load_n" \
	"loaded_p50_us=$load_p50 loaded_p99_us=$load_p99 ratio_p99=$ratio hog_cpus=${loaded_cpus[*]}" \
	>"$out/summary.txt"

for c in "${loaded_cpus[@]}"; do
	awk -v c="$c" -v n="$ncpu" 'BEGIN { exit !(c >= 0.75 * n) }' ||
		fail "the hog steps used only $c of $ncpu CPUs while the probe ran: not a loaded system"
done
note "ok: the hog steps kept the CPUs busy"
awk -v r="$ratio" -v m="$MAX_RATIO" 'BEGIN { exit !(r <= m) }' ||
	fail "interactive wake-up p99 next to the hogs is ${ratio}x the idle one (${load_p99} vs ${idle_p99} us), over ${MAX_RATIO}x"
note "ok: wake-up p99 next to two batch hogs within ${MAX_RATIO}x of idle"

agentcgctl session-end wake
stop_daemon
