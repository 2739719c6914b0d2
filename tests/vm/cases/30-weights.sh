#!/bin/bash
# Two CPU-bound steps with cpu.weight 100 and 300 share the CPUs 1:3 under
# the agentcg scheduler.  The heavy step runs one spinner per CPU, so it
# could use every CPU and only the weights decide; the light step runs
# twice as many, so a scheduler that weighted tasks instead of cgroups
# would give it 2:3, not 1:3.  Shares are read from each step's cpu.stat,
# a kernel-side number.
. /usr/lib/agentcg-tests/lib.sh

WINDOW=${WINDOW:-10}
ncpu=$(nproc)

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"

sleep 600 &
holder=$!
agentcgctl session-new weights --pid "$holder"
agentcgctl step-new weights light --cpu-weight 100
agentcgctl step-new weights heavy --cpu-weight 300

spin() {
	local step=$1 count=$2 i pid
	for i in $(seq "$count"); do
		sh -c 'while :; do :; done' &
		pid=$!
		agentcgctl step-add weights "$step" "$pid"
	done
}
spin light $((2 * ncpu))
spin heavy "$ncpu"

usage() {
	sed -n 's/^usage_usec //p' "$SLICE/agentcg-weights.scope/$1/cpu.stat"
}

sleep 1
l0=$(usage light) h0=$(usage heavy)
sleep "$WINDOW"
l1=$(usage light) h1=$(usage heavy)
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the window"

light=$((l1 - l0)) heavy=$((h1 - h0))
note "over ${WINDOW}s: light used ${light} us, heavy ${heavy} us"
[ "$light" -gt 0 ] || fail "light step got no CPU at all"
ratio=$(awk -v h="$heavy" -v l="$light" 'BEGIN { printf "%.3f", h / l }')
note "heavy:light = $ratio (target 3.000 +- 10%)"
echo "ratio=$ratio light_usec=$light heavy_usec=$heavy window=$WINDOW" >/run/agentcg-tests/weights.txt 2>/dev/null || true
awk -v r="$ratio" 'BEGIN { exit !(r >= 2.7 && r <= 3.3) }' ||
	fail "CPU share ratio $ratio is not within 10% of 3"

agentcgctl session-end weights
stop_daemon
