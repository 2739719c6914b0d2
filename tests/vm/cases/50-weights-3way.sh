#!/bin/bash
# Three CPU-bound steps with cpu.weight 100, 200 and 300 share the CPUs
# 1:2:3 under the agentcg scheduler.  Each step runs one spinner per CPU,
# so any of them could use every CPU and only the weights decide.  Each
# step's share of the CPU time the three used together, read from its
# cpu.stat, must be within 5% (relative) of 1/6, 2/6 and 3/6.
. /usr/lib/agentcg-tests/lib.sh

WINDOW=${WINDOW:-10}
ncpu=$(nproc)
steps=(w1 w2 w3)
weights=(100 200 300)

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"

sleep 600 &
holder=$!
agentcgctl session-new threeway --pid "$holder"
for i in 0 1 2; do
	agentcgctl step-new threeway "${steps[i]}" --cpu-weight "${weights[i]}"
done

spin() {
	local step=$1 count=$2 i pid
	for i in $(seq "$count"); do
		sh -c 'while :; do :; done' &
		pid=$!
		agentcgctl step-add threeway "$step" "$pid"
	done
}
for s in "${steps[@]}"; do
	spin "$s" "$ncpu"
done

usage() {
	sed -n 's/^usage_usec //p' "$SLICE/agentcg-threeway.scope/$1/cpu.stat"
}

sleep 1
declare -a u0 u1 used
for i in 0 1 2; do u0[i]=$(usage "${steps[i]}"); done
sleep "$WINDOW"
for i in 0 1 2; do u1[i]=$(usage "${steps[i]}"); done
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the window"

total=0
for i in 0 1 2; do
	used[i]=$((u1[i] - u0[i]))
	total=$((total + used[i]))
done
[ "$total" -gt 0 ] || fail "the steps got no CPU at all"
result="window=$WINDOW"
bad=
for i in 0 1 2; do
	want=$(awk -v w="${weights[i]}" 'BEGIN { printf "%.4f", w / 600 }')
	got=$(awk -v u="${used[i]}" -v t="$total" 'BEGIN { printf "%.4f", u / t }')
	note "${steps[i]} (weight ${weights[i]}): ${used[i]} us, share $got (target $want +- 5%)"
	result="$result ${steps[i]}_usec=${used[i]} ${steps[i]}_share=$got"
	awk -v g="$got" -v w="$want" 'BEGIN { exit !(g >= w * 0.95 && g <= w * 1.05) }' ||
		bad="$bad ${steps[i]}=$got/$want"
done
echo "$result" >/run/agentcg-tests/weights-3way.txt 2>/dev/null || true
[ -z "$bad" ] || fail "shares not within 5% of 1:2:3:$bad"
note "ok: shares within 5% of 1:2:3"

agentcgctl session-end threeway
stop_daemon
