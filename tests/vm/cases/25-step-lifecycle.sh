#!/bin/bash
# Step settings, freeze and thaw, kill, ending with a grace period, steps
# that end on their own when their processes exit, and the usage report:
# all checked against cgroupfs, /proc and what the bus and journal carry.
. /usr/lib/agentcg-tests/lib.sh

start_daemon
monitor=/tmp/step-ended.json
busctl monitor --json=short \
	--match "type='signal',interface='org.agentcg1.Manager',member='StepEnded'" >"$monitor" &
monitor_pid=$!
trap 'kill $monitor_pid 2>/dev/null || true' EXIT

sleep 600 &
holder=$!
agentcgctl session-new life --pid "$holder"
S=$SLICE/agentcg-life.scope

# Settings land in the cgroup files.
agentcgctl step-new life tuned --class latency --cpu-weight 250 --cpu-max 50% \
	--memory-high 48M --memory-max 64M --tasks-max 32
assert_eq "$(cat $S/tuned/cpu.weight)" 250 "cpu.weight"
assert_eq "$(cat $S/tuned/cpu.max)" "50000 100000" "cpu.max"
assert_eq "$(cat $S/tuned/memory.high)" 50331648 "memory.high"
assert_eq "$(cat $S/tuned/memory.max)" 67108864 "memory.max"
assert_eq "$(cat $S/tuned/pids.max)" 32 "pids.max"
assert_eq "$(cat $S/tuned/memory.oom.group)" 1 "memory.oom.group"
assert_eq "$(journal_field $MID_STEP_CREATED AGENTCG_CLASS AGENTCG_STEP=tuned)" latency \
	"journal: class of step tuned"

# Refused settings create nothing.
if agentcgctl step-new life bad --memory-high 128M --memory-max 64M 2>/dev/null; then
	fail "memory.high above memory.max was accepted"
fi
[ ! -d "$S/bad" ] || fail "a refused step left its cgroup"
note "ok: memory.high above memory.max refused, nothing created"

# Freeze stops a counter; thaw lets it go on.
counter=/tmp/counter
sh -c "i=0; while :; do i=\$((i+1)); echo \$i >$counter; sleep 0.05; done" &
worker=$!
agentcgctl step-add life tuned "$worker"
sleep 0.5
agentcgctl freeze life tuned
assert_eq "$(sed -n 's/^frozen //p' $S/tuned/cgroup.events)" 1 "frozen in cgroup.events"
a=$(cat $counter); sleep 1; b=$(cat $counter)
assert_eq "$b" "$a" "counter while frozen"
agentcgctl thaw life tuned
assert_eq "$(sed -n 's/^frozen //p' $S/tuned/cgroup.events)" 0 "frozen after thaw"
sleep 1
[ "$(cat $counter)" -gt "$b" ] || fail "counter did not move after thaw"
note "ok: counter moves again after thaw"

# Kill: the worker dies and the used, now empty step ends on its own.
agentcgctl kill life tuned
wait_for 5 proc_gone "$worker" || fail "worker alive after kill"
wait_for 10 test ! -d "$S/tuned" || fail "killed step was not ended"
note "ok: killed step ended on its own"
assert_match "$(journal_field $MID_STEP_ENDED AGENTCG_PIDS_PEAK AGENTCG_STEP=tuned)" '^[1-9]' \
	"journal: pids.peak of step tuned"
assert_eq "$(journal_field $MID_STEP_ENDED AGENTCG_KILLED AGENTCG_STEP=tuned)" 1 \
	"journal: step tuned ended killed"

# A step whose process simply exits ends on its own too.
agentcgctl step-new life brief
sh -c 'sleep 0.5' &
brief=$!
agentcgctl step-add life brief "$brief"
wait_for 15 test ! -d "$S/brief" || fail "step brief not ended after its process exited"
note "ok: step brief ended after its process exited"

# EndStep with a grace period: a process that handles SIGTERM exits
# cleanly (nothing killed); one that ignores it is killed after the grace.
agentcgctl step-new life polite
sh -c 'trap "echo bye >/tmp/polite; exit 0" TERM; while :; do sleep 0.1; done' &
agentcgctl step-add life polite $!
sleep 0.5
usage=$(busctl --json=short call org.agentcg1 /org/agentcg1 org.agentcg1.Manager \
	EndStep sst life polite 5000000)
assert_eq "$(cat /tmp/polite)" bye "SIGTERM handler ran"
assert_eq "$(jq -r '.data[0].Killed.data' <<<"$usage")" false "Killed for a polite step"
[ ! -d "$S/polite" ] || fail "step polite left behind"

agentcgctl step-new life stubborn
sh -c 'trap "" TERM; while :; do sleep 0.1; done' &
agentcgctl step-add life stubborn $!
sleep 0.5
usage=$(busctl --json=short call org.agentcg1 /org/agentcg1 org.agentcg1.Manager \
	EndStep sst life stubborn 1000000)
assert_eq "$(jq -r '.data[0].Killed.data' <<<"$usage")" true "Killed for a stubborn step"
assert_match "$(jq -r '.data[0].WallUSec.data' <<<"$usage")" '^[1-9][0-9]{6,}$' \
	"wall time of the stubborn step (>= 1 s)"

# An OOM inside a step shows in its usage and kills only that step.
agentcgctl step-new life hog --memory-max 64M
sleep 600 &
bystander=$!
agentcgctl step-new life bystander
agentcgctl step-add life bystander "$bystander"
rc=0
agentcgctl run --session life --step oom --memory-max 64M -- \
	stress-ng --vm 1 --vm-bytes 256M --vm-keep --timeout 20s -q || rc=$?
note "stress-ng in a 64M step exited with $rc"
wait_for 15 sh -c "journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_STEP_ENDED AGENTCG_STEP=oom | grep -q ." ||
	fail "no step-ended entry for step oom"
assert_match "$(journal_field $MID_STEP_ENDED AGENTCG_MEMORY_OOM_KILL_EVENTS AGENTCG_STEP=oom)" \
	'^[1-9]' "journal: oom_kill events of step oom"
kill -0 "$bystander" || fail "the bystander step's process died with the OOM"
note "ok: the bystander survived"

# The StepEnded signals carried the same usage.
sleep 1
grep -q '"polite"' "$monitor" || fail "no StepEnded signal for step polite"
grep -q '"oom"' "$monitor" || fail "no StepEnded signal for step oom"
note "ok: StepEnded signals seen for polite and oom"

agentcgctl session-end life
stop_daemon
