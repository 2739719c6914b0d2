#!/bin/bash
# cpu.max under the agentcg scheduler, which has to enforce it itself
# (sched_ext bypasses the kernel's own bandwidth control):
#  - a step with cpu.max "50000 100000" and two spinners gets 0.5 CPU;
#  - a cgroup with "80000 100000" inside one with "50000 100000" gets 0.5
#    CPU as well: the smaller limit, an ancestor's, wins;
#  - burst: with cpu.max "200000 500000" and cpu.max.burst 200000, a step
#    that was idle for several periods uses more than its quota in the
#    first 0.3 s after it wakes (up to 400 ms), while the same step without
#    burst gets at most its quota (the control).  A period starts when a
#    cgroup first runs after idling, so 0.3 s stays within one period and
#    without burst support both would stay within 200 ms;
#  - lifting a limit ("max") frees a throttled step at once;
#  - the scheduler's per-cgroup statistics (the cgrp_stats map, read with
#    bpftool where the guest has it) count the step's throttles.
# CPU time is read from the cgroups' cpu.stat and divided by the time the
# shell measured between the reads: under TCG, a "sleep 10" can take far
# longer than 10 s when the guest is busy.
. /usr/lib/agentcg-tests/lib.sh

WINDOW=${WINDOW:-10}

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"

sleep 600 &
holder=$!
agentcgctl session-new cpumax --pid "$holder"
scope=$SLICE/agentcg-cpumax.scope

# sample CGROUP: sets u (usage_usec) and t (microseconds since the epoch)
# without forking, so the two are taken as close together as possible.
sample() {
	local key value
	while read -r key value; do
		[ "$key" != usage_usec ] || break
	done <"$scope/$1/cpu.stat"
	u=$value
	t=${EPOCHREALTIME/./}
}

# spin N: starts N spinners, stopped, in the array "pids".  They are forked
# from this shell, not from a command substitution: a child stopped before
# it redirected its stdout would keep the substitution's pipe open.
spin() {
	local i
	pids=()
	for i in $(seq "$1"); do
		sh -c 'while :; do :; done' >/dev/null &
		kill -STOP $!
		pids+=($!)
	done
}

# reap PID...: kills spinners without the shell's "Killed" notices.
reap() {
	kill -KILL "$@"
	wait "$@" 2>/dev/null || true
}

# place CGROUP PID...: moves the pids into a cgroup below the scope.
place() {
	local cg=$1 pid
	shift
	for pid in "$@"; do
		echo "$pid" >"$scope/$cg/cgroup.procs"
	done
}

# within VALUE TARGET PERCENT
within() {
	awk -v v="$1" -v t="$2" -v p="$3" \
		'BEGIN { exit !(v >= t * (1 - p / 100) && v <= t * (1 + p / 100)) }'
}

# rate DUSEC DT_USEC: CPUs used.
rate() {
	awk -v u="$1" -v t="$2" 'BEGIN { printf "%.3f", u / t }'
}

# A quota on a step, and an ancestor's quota below its child's, side by
# side: together they may use 1 CPU of the guest's 2, so neither is short
# of CPU and only the limits decide.
agentcgctl step-new cpumax half
echo "50000 100000" >"$scope/half/cpu.max"
mkdir "$scope/capped"
echo "50000 100000" >"$scope/capped/cpu.max"
echo +cpu >"$scope/capped/cgroup.subtree_control"
mkdir "$scope/capped/inner"
echo "80000 100000" >"$scope/capped/inner/cpu.max"

spin 2
half_pids=("${pids[@]}")
for pid in "${half_pids[@]}"; do
	agentcgctl step-add cpumax half "$pid"
done
spin 2
inner_pids=("${pids[@]}")
place capped/inner "${inner_pids[@]}"
kill -CONT "${half_pids[@]}" "${inner_pids[@]}"

nap 1
sample half; hu0=$u ht0=$t
sample capped/inner; iu0=$u it0=$t
nap "$WINDOW"
sample half; hu1=$u ht1=$t
sample capped/inner; iu1=$u it1=$t
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the quota window"

# The scheduler's own statistics for the step, by cgroup id (the
# directory's inode number), while the step still exists: the entry goes
# with the cgroup.
throttles=
if command -v bpftool >/dev/null; then
	id=$(stat -c %i "$scope/half")
	# With BTF, bpftool's plain dump is JSON with the fields named.
	throttles=$(bpftool map dump name cgrp_stats |
		jq -r --argjson id "$id" '.[] | select(.key == $id) | .value.nr_throttled')
	note "cgrp_stats of half (cgroup $id): nr_throttled=$throttles"
fi

# Lifting the step's limit while its spinners are throttled most of the
# time: they get what capped/inner leaves of the two CPUs.
echo max >"$scope/half/cpu.max"
nap 0.5
sample half; hu2=$u ht2=$t
nap 2
sample half; hu3=$u ht3=$t
reap "${half_pids[@]}" "${inner_pids[@]}"

half=$(rate $((hu1 - hu0)) $((ht1 - ht0)))
inner=$(rate $((iu1 - iu0)) $((it1 - it0)))
note "half: $((hu1 - hu0)) us in $((ht1 - ht0)) us = $half CPU (target 0.500 +- 5%)"
note "capped/inner: $((iu1 - iu0)) us in $((it1 - it0)) us = $inner CPU (target 0.500 +- 5%)"
unlimited=$(rate $((hu3 - hu2)) $((ht3 - ht2)))
note "half after cpu.max max: $unlimited CPU (expected over 1.0)"

# burst_first BURST_USEC: sets "first" to the usage (us) of a fresh step
# with cpu.max "200000 500000" and that burst in the first 0.3 s after
# 2.5 s (five periods) of idling, which follow 1.5 s of running into its
# quota, and "span" to how long that window really was.  A window longer
# than 0.45 s could hold a refill; it is measured again, up to three times.
burst_first() {
	local step=burst$1 try u0 t0
	agentcgctl step-new cpumax "$step" >/dev/null
	echo "200000 500000" >"$scope/$step/cpu.max"
	echo "$1" >"$scope/$step/cpu.max.burst"
	spin 2
	place "$step" "${pids[@]}"
	for try in 1 2 3; do
		kill -CONT "${pids[@]}"
		nap 1.5
		kill -STOP "${pids[@]}"
		nap 2.5
		sample "$step"; u0=$u t0=$t
		kill -CONT "${pids[@]}"
		nap 0.3
		sample "$step"
		kill -STOP "${pids[@]}"
		first=$((u - u0)) span=$((t - t0))
		note "burst $1, try $try: ${first} us in the first ${span} us after idling"
		[ "$span" -gt 450000 ] || break
	done
	reap "${pids[@]}"
}
burst_first 200000
with_burst=$first with_span=$span
burst_first 0
without=$first without_span=$span

echo "half_cpu=$half inner_cpu=$inner burst_first_usec=$with_burst burst_span_usec=$with_span" \
	"noburst_first_usec=$without noburst_span_usec=$without_span" \
	>/run/agentcg-tests/cpu-max.txt 2>/dev/null || true

within "$half" 0.5 5 || fail "the step with cpu.max 50000 100000 got $half CPU, not 0.5 +- 5%"
note "ok: cpu.max 50000 100000 gives 0.5 CPU"
within "$inner" 0.5 5 ||
	fail "the cgroup under a 50000 100000 parent got $inner CPU, not 0.5 +- 5%"
note "ok: the parent's smaller cpu.max caps its child"
awk -v r="$unlimited" 'BEGIN { exit !(r > 1.0) }' ||
	fail "the step got only $unlimited CPU after its limit was lifted"
note "ok: lifting cpu.max frees the step"
[ "$with_span" -le 450000 ] && [ "$without_span" -le 450000 ] ||
	fail "the guest is too slow to time a window within one period"
[ "$without" -le 230000 ] ||
	fail "without burst, the first period after idling used $without us, over the quota"
note "ok: without burst, the first period stays within the quota"
[ "$with_burst" -gt 250000 ] ||
	fail "with burst, the first period after idling used $with_burst us, not over 1.25 x quota"
note "ok: with burst, the first period exceeds the quota"

if command -v bpftool >/dev/null; then
	[ "${throttles:-0}" -gt 50 ] ||
		fail "cgrp_stats counts ${throttles:-no} throttles of half, expected one per period"
	note "ok: the scheduler counted the step's throttles"
else
	note "bpftool is not in the guest; cgrp_stats not checked"
fi

agentcgctl session-end cpumax
stop_daemon
