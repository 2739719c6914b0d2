#!/bin/bash
# agentcgctl run places a command in agentcg.slice/<session scope>/<step>
# with the requested limits, passes output and exit status through, and
# leaves nothing behind; sessions adopt processes into a delegated scope.
. /usr/lib/agentcg-tests/lib.sh

start_daemon

# What the command sees of itself, from inside its step.
probe='c=$(cut -d: -f3 /proc/self/cgroup); echo "cgroup=$c";
echo "weight=$(cat /sys/fs/cgroup$c/cpu.weight)";
echo "memmax=$(cat /sys/fs/cgroup$c/memory.max)";
s=${c#/agentcg.slice/}; s=${s%%/*};
echo "unit=$s";
echo "active=$(systemctl show -P ActiveState "$s")";
echo "delegate=$(systemctl show -P Delegate "$s")";
echo "subtree=$(cat /sys/fs/cgroup/agentcg.slice/$s/cgroup.subtree_control)"'

out=$(agentcgctl run --cpu-weight 250 --memory-max 256M -- sh -c "$probe")
echo "$out"
get() { sed -n "s/^$1=//p" <<<"$out"; }

assert_match "$(get cgroup)" '^/agentcg\.slice/agentcg-run-[0-9]+\.scope/main$' "cgroup of the command"
assert_eq "$(get weight)" 250 "cpu.weight of the step"
assert_eq "$(get memmax)" 268435456 "memory.max of the step"
assert_eq "$(get active)" active "ActiveState of the session scope"
assert_eq "$(get delegate)" yes "Delegate of the session scope"
assert_match "$(get subtree)" 'cpu.*memory.*pids' "controllers enabled for steps"

unit=$(get unit)
wait_for 15 sh -c "! systemctl is-active --quiet $unit" || fail "$unit still active after run"
session=${unit#agentcg-}
session=${session%.scope}
wait_for 10 sh -c "journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_SESSION_ENDED AGENTCG_SESSION=$session | grep -q ." ||
	fail "no session-ended entry for $session, which ended with agentcgctl run"
note "ok: run's session ended and was logged"
assert_match "$(journal_field $MID_STEP_ENDED AGENTCG_CPU_USAGE_USEC AGENTCG_SESSION=$session)" \
	'^[0-9]+$' "journal: usage of run's step"
assert_eq "$(slice_children)" "" "agentcg.slice empty after run"

# Exit status and output pass through.
rc=0; agentcgctl run -- sh -c 'exit 7' || rc=$?
assert_eq "$rc" 7 "exit status of a failing command"
rc=0; agentcgctl run -- sh -c 'kill -9 $$' || rc=$?
assert_eq "$rc" 137 "exit status of a killed command"
rc=0; agentcgctl run -- /nonexistent/cmd 2>/dev/null || rc=$?
assert_eq "$rc" 127 "exit status of a missing command"
assert_eq "$(echo piped | agentcgctl run -- cat)" piped "stdin and stdout pass through"

# A named session adopts a process into its supervisor leaf; a step runs
# next to it; ending the session kills both.
sleep 300 &
holder=$!
agentcgctl session-new demo --pid "$holder"
assert_eq "$(cut -d: -f3 /proc/$holder/cgroup)" \
	/agentcg.slice/agentcg-demo.scope/supervisor "cgroup of the adopted process"
assert_eq "$(systemctl show -P Delegate agentcg-demo.scope)" yes "Delegate of agentcg-demo.scope"

out=$(agentcgctl run --session demo --step build --cpu-weight 400 -- \
	sh -c 'cut -d: -f3 /proc/self/cgroup')
assert_eq "$out" /agentcg.slice/agentcg-demo.scope/build "cgroup of a step in a named session"
[ ! -d "$SLICE/agentcg-demo.scope/build" ] || fail "step build left behind after run"
note "ok: step removed after its command ended"

agentcgctl step-new demo idle --cpu-weight 50 --memory-max 64M
assert_eq "$(cat $SLICE/agentcg-demo.scope/idle/cpu.weight)" 50 "cpu.weight of step-new"
assert_eq "$(cat $SLICE/agentcg-demo.scope/idle/memory.max)" 67108864 "memory.max of step-new"
sleep 300 &
worker=$!
agentcgctl step-add demo idle "$worker"
assert_eq "$(cut -d: -f3 /proc/$worker/cgroup)" /agentcg.slice/agentcg-demo.scope/idle \
	"cgroup of a process added to a step"
agentcgctl list | grep -q 'idle' || fail "agentcgctl list does not show step idle"
assert_eq "$(agentcgctl list --json | jq -r '.sessions[] | select(.name == "demo") | .steps[] | select(.name == "idle") | .cgroup')" \
	/agentcg.slice/agentcg-demo.scope/idle "cgroup of step idle in list --json"
assert_eq "$(agentcgctl --json status | jq -r .scheduler)" agentcg "scheduler in status --json"
usage=$(agentcgctl step-end demo idle)
echo "$usage"
assert_eq "$(sed -n 's/^Killed=//p' <<<"$usage")" yes "Killed in step-end's usage"
assert_match "$(sed -n 's/^TasksPeak=//p' <<<"$usage")" '^[1-9]' "TasksPeak in step-end's usage"
wait_for 5 proc_gone "$worker" || fail "worker alive after step-end"
[ ! -d "$SLICE/agentcg-demo.scope/idle" ] || fail "step idle left behind after step-end"
note "ok: step-end killed the worker and removed the step"

agentcgctl session-end demo
wait_for 5 proc_gone "$holder" || fail "adopted process alive after session-end"
assert_eq "$(slice_children)" "" "agentcg.slice empty after session-end"

# The decisions are in the journal with their fields.
assert_eq "$(journal_field $MID_STEP_CREATED AGENTCG_CPU_WEIGHT AGENTCG_STEP=idle)" 50 \
	"journal: cpu.weight of step idle"
assert_eq "$(journal_field $MID_STEP_CREATED AGENTCG_CGROUP AGENTCG_STEP=idle)" \
	/agentcg.slice/agentcg-demo.scope/idle "journal: cgroup of step idle"
assert_eq "$(journal_field $MID_PROCESS_PLACED AGENTCG_PID AGENTCG_STEP=idle)" "$worker" \
	"journal: PID placed in step idle"
assert_eq "$(journal_field $MID_STEP_ENDED AGENTCG_KILLED AGENTCG_STEP=idle)" 1 \
	"journal: step idle ended with a kill"
assert_eq "$(journal_field $MID_SESSION_CREATED AGENTCG_PID AGENTCG_SESSION=demo)" "$holder" \
	"journal: PID adopted by session demo"
wait_for 10 sh -c "journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_SESSION_ENDED AGENTCG_SESSION=demo | grep -q ." ||
	fail "no session-ended entry for demo"
assert_eq "$(journal_field $MID_SESSION_ENDED AGENTCG_UNIT AGENTCG_SESSION=demo)" \
	agentcg-demo.scope "journal: session demo ended"

stop_daemon
