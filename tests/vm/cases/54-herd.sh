#!/bin/bash
# vm-timeout: 180
# No thundering herd.  A hog step (one spinner, weight 100) runs alone for
# a while; eight steps of the same weight sat idle all that time, so by
# their own clocks they are seconds behind.  Then all eight wake at once.
# If an idle cgroup kept its credit, the eight would hold both CPUs until
# their clocks caught up and the hog would get next to nothing for
# seconds.  The scheduler lets a waking cgroup start at most one slice
# (plus a bounded boost, for boosted classes) ahead, so the hog keeps its
# fair share, 1/9 of the CPU time, from the first moment: asserted on the
# steps' cpu.stat over the first 0.5 s and the first 3 s after the wake.
. /usr/lib/agentcg-tests/lib.sh

NWAKE=8
IDLE=${IDLE:-6}

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"

sleep 600 &
holder=$!
agentcgctl session-new herd --pid "$holder"
scope=$SLICE/agentcg-herd.scope

# usage STEP: the step's usage_usec.
usage() {
	cpu_usage "$scope/$1"
}

# spin STEP: a spinner, stopped, in STEP; its pid in "pid".
spin() {
	sh -c 'while :; do :; done' >/dev/null &
	pid=$!
	kill -STOP "$pid"
	echo "$pid" >"$scope/$1/cgroup.procs"
}

agentcgctl step-new herd hog >/dev/null
# One task per step: a cgroup with more tasks than another gets a little
# more than its share (its tasks run in parallel on one clock reading),
# which is not what this case is about.
spin hog; hog_pids=("$pid")
wakers=()
for i in $(seq $NWAKE); do
	agentcgctl step-new herd "w$i" >/dev/null
	spin "w$i"
	wakers+=("$pid")
done

kill -CONT "${hog_pids[@]}"
nap "$IDLE"

# sample_all: hog usage in "h", the wakers' summed usage in "w".
sample_all() {
	local i
	h=$(usage hog)
	w=0
	for i in $(seq $NWAKE); do
		w=$((w + $(usage "w$i")))
	done
}

sample_all; h0=$h w0=$w
kill -CONT "${wakers[@]}"
nap 0.5
sample_all; h1=$h w1=$w
nap 2.5
sample_all; h2=$h w2=$w
kill -KILL "${hog_pids[@]}" "${wakers[@]}"
wait "${hog_pids[@]}" "${wakers[@]}" 2>/dev/null || true
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the wake"

share() {
	awk -v h="$1" -v w="$2" 'BEGIN { printf "%.4f", (h + w) ? h / (h + w) : 0 }'
}
first=$(share $((h1 - h0)) $((w1 - w0)))
whole=$(share $((h2 - h0)) $((w2 - w0)))
fair=$(awk -v n=$NWAKE 'BEGIN { printf "%.4f", 1 / (n + 1) }')
note "hog share in the first 0.5 s: $first ($((h1 - h0)) us against $((w1 - w0)) us), fair $fair"
note "hog share in the first 3 s: $whole ($((h2 - h0)) us against $((w2 - w0)) us), fair $fair"
echo "fair=$fair first=$first whole=$whole" >/run/agentcg-tests/herd.txt 2>/dev/null || true

[ $((w2 - w0)) -gt 0 ] || fail "the woken steps got no CPU at all"
awk -v s="$first" -v f="$fair" 'BEGIN { exit !(s >= 0.6 * f) }' ||
	fail "the hog got $first of the CPU in the first 0.5 s after $NWAKE steps woke, not near its fair $fair"
note "ok: the hog keeps its share while the herd wakes"
# The herd's bound is the lower one.  The upper one only catches the herd
# being starved in turn: a busy cgroup may run up to 100 ms ahead of the
# others before it is held back, which gave the hog +26% and +41% of its
# share in two runs (issue 4), so it is loose.
awk -v s="$whole" -v f="$fair" 'BEGIN { exit !(s >= 0.85 * f && s <= 1.5 * f) }' ||
	fail "the hog got $whole of the CPU over 3 s, not its fair $fair (-15%/+50%)"
note "ok: over 3 s the herd took no more than its share"

agentcgctl session-end herd
stop_daemon
