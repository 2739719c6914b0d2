#!/bin/bash
# vm-timeout: 180
# The latency boost.  An interactive step runs a task that wakes every
# 10 ms and does almost nothing (bash's builtin read with a timeout), next
# to two batch steps with two spinners each, so no CPU is ever idle.  From
# the task's /proc/PID/schedstat (time spent waiting on a run queue, and
# the number of times it ran) we get its mean wait per wake-up, once with
# LatencyBoost=yes and once with LatencyBoost=no for the interactive class.
# The boosted task is queued first and preempts a spinner; without the
# boost it still queues first (it wakes with a slice of credit) but waits
# for a spinner's slice to end.  The boost must at least halve the wait,
# the scheduler must count the boosts, and the batch steps must still get
# nearly all the CPU time (the boost is paid from a small credit).  After a
# daemon restart the step must be boosted again: its class is restored
# from its cgroup into the new scheduler's map.
. /usr/lib/agentcg-tests/lib.sh

WINDOW=${WINDOW:-5}
ncpu=$(nproc)
conf=/etc/agentcg/agentcg.conf.d
mkdir -p "$conf"
pids=()
cleanup() {
	kill -KILL "${pids[@]}" 2>/dev/null || true
	rm -f "$conf/57-boost.conf"
}
trap cleanup EXIT

mkfifo /run/agentcg-57.fifo
exec {never}<>/run/agentcg-57.fifo
nap() {
	read -r -t "$1" -u "$never" _ || true
}

usage() {
	sed -n 's/^usage_usec //p' "$scope/$1/cpu.stat"
}

# measure BOOST: sets "wait_us" (mean run-queue wait per run of the waker,
# in us), "boosts" (the scheduler's count for the step) and "batch" (the
# batch steps' share of all CPU time the three steps used).
measure() {
	local i pid w0 n0 w1 n1 b0 b1 t0 t1 _
	printf '[Class.interactive]\nLatencyBoost=%s\n' "$1" >"$conf/57-boost.conf"
	start_daemon
	sleep 600 &
	holder=$!
	pids+=("$holder")
	agentcgctl session-new "boost$1" --pid "$holder"
	scope=$SLICE/agentcg-boost$1.scope
	agentcgctl step-new "boost$1" waker --class interactive >/dev/null
	for s in b1 b2; do
		agentcgctl step-new "boost$1" "$s" >/dev/null
		for i in $(seq "$ncpu"); do
			sh -c 'while :; do :; done' >/dev/null &
			pids+=($!)
			echo $! >"$scope/$s/cgroup.procs"
		done
	done
	bash -c 'exec {fd}<>/run/agentcg-57.fifo; while :; do read -t 0.01 -u $fd _; done' &
	pid=$!
	pids+=("$pid")
	echo "$pid" >"$scope/waker/cgroup.procs"

	nap 1
	read -r _ w0 n0 <"/proc/$pid/schedstat"
	b0=$(( $(usage b1) + $(usage b2) )); t0=$(usage waker)
	nap "$WINDOW"
	read -r _ w1 n1 <"/proc/$pid/schedstat"
	b1=$(( $(usage b1) + $(usage b2) )); t1=$(usage waker)

	wait_us=$(awk -v w=$((w1 - w0)) -v n=$((n1 - n0)) 'BEGIN { printf "%.1f", n ? w / n / 1000 : 1e9 }')
	batch=$(awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.4f", b / (b + t) }')
	boosts=$(busctl call org.agentcg1 /org/agentcg1/scheduler org.agentcg1.Scheduler \
		CgroupCounters s "/agentcg.slice/agentcg-boost$1.scope/waker" | awk '{ print $2 }')
	note "LatencyBoost=$1: $((n1 - n0)) runs, mean wait $wait_us us, boosts $boosts," \
		"batch share $batch"

	# A restarted daemon attaches a fresh scheduler, which knows nothing:
	# the step's class has to come back from its cgroup.
	if [ "$1" = yes ]; then
		start_daemon
		nap 2
		restored=$(busctl call org.agentcg1 /org/agentcg1/scheduler \
			org.agentcg1.Scheduler CgroupCounters s \
			"/agentcg.slice/agentcg-boost$1.scope/waker" | awk '{ print $2 }')
		note "boosts in the 2 s after a daemon restart: $restored"
	fi

	kill -KILL "${pids[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
	pids=()
	agentcgctl session-end "boost$1" || true
	stop_daemon
}

measure yes
boosted=$wait_us boosted_count=$boosts boosted_batch=$batch
measure no
plain=$wait_us plain_count=$boosts
rm /run/agentcg-57.fifo

echo "boosted_wait_us=$boosted plain_wait_us=$plain boosts=$boosted_count" \
	"batch_share_boosted=$boosted_batch" >/run/agentcg-tests/boost.txt 2>/dev/null || true

[ "${boosted_count:-0}" -gt 0 ] || fail "the scheduler counted no boosts for the interactive step"
note "ok: the scheduler boosted the interactive step ($boosted_count times)"
assert_eq "$plain_count" 0 "boosts with LatencyBoost=no"
[ "${restored:-0}" -gt 0 ] || fail "after a daemon restart the step was not boosted: its class was lost"
note "ok: a restarted daemon hands the step's class to the new scheduler"
awk -v b="$boosted" -v p="$plain" 'BEGIN { exit !(b * 2 <= p) }' ||
	fail "the boost did not halve the wait: $boosted us boosted, $plain us without"
note "ok: boosted wake-ups wait $boosted us, unboosted $plain us"
awk -v s="$boosted_batch" 'BEGIN { exit !(s >= 0.9) }' ||
	fail "the batch steps got only $boosted_batch of the CPU next to the boosted step"
note "ok: the batch steps keep their CPU time"
