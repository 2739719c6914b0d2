#!/bin/bash
# Weights are hierarchical: session A (CPUWeight=300, set through systemd)
# holds two steps of weight 100, session B (CPUWeight=100) one step.  A
# gets 3/4 of the CPUs and splits it evenly, so the shares are 3/8, 3/8
# and 1/4.  A flat scheduler, where the three steps compete as equals,
# gives 1/3 each and fails here.  Every step runs one spinner per CPU.
. /usr/lib/agentcg-tests/lib.sh

WINDOW=${WINDOW:-10}
ncpu=$(nproc)

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"

sleep 600 &
holder_a=$!
sleep 600 &
holder_b=$!
agentcgctl session-new nesta --pid "$holder_a"
agentcgctl session-new nestb --pid "$holder_b"
systemctl set-property --runtime agentcg-nesta.scope CPUWeight=300
systemctl set-property --runtime agentcg-nestb.scope CPUWeight=100
assert_eq "$(cat "$SLICE/agentcg-nesta.scope/cpu.weight")" 300 "cpu.weight of session A"
assert_eq "$(cat "$SLICE/agentcg-nestb.scope/cpu.weight")" 100 "cpu.weight of session B"
agentcgctl step-new nesta a1 --cpu-weight 100
agentcgctl step-new nesta a2 --cpu-weight 100
agentcgctl step-new nestb b1 --cpu-weight 100

# spin SESSION STEP: one spinner per CPU in the step.
spin() {
	local i pid
	for i in $(seq "$ncpu"); do
		sh -c 'while :; do :; done' &
		pid=$!
		agentcgctl step-add "$1" "$2" "$pid"
	done
}
spin nesta a1
spin nesta a2
spin nestb b1

paths=(agentcg-nesta.scope/a1 agentcg-nesta.scope/a2 agentcg-nestb.scope/b1)
names=(a1 a2 b1)
want=(0.375 0.375 0.25)
usage() {
	sed -n 's/^usage_usec //p' "$SLICE/$1/cpu.stat"
}

sleep 1
declare -a u0 u1 used
for i in 0 1 2; do u0[i]=$(usage "${paths[i]}"); done
sleep "$WINDOW"
for i in 0 1 2; do u1[i]=$(usage "${paths[i]}"); done
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
	got=$(awk -v u="${used[i]}" -v t="$total" 'BEGIN { printf "%.4f", u / t }')
	note "${names[i]}: ${used[i]} us, share $got (target ${want[i]} +- 5%)"
	result="$result ${names[i]}_usec=${used[i]} ${names[i]}_share=$got"
	awk -v g="$got" -v w="${want[i]}" 'BEGIN { exit !(g >= w * 0.95 && g <= w * 1.05) }' ||
		bad="$bad ${names[i]}=$got/${want[i]}"
done
echo "$result" >/run/agentcg-tests/weights-nested.txt 2>/dev/null || true
[ -z "$bad" ] || fail "shares not within 5% of 3/8, 3/8, 1/4:$bad"
note "ok: shares within 5% of 3/8, 3/8, 1/4"

agentcgctl session-end nesta
agentcgctl session-end nestb
stop_daemon
