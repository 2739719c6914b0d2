#!/bin/bash
# vm-timeout: 900
# The daemon keeps no state of its own beyond cgroupfs, so a SIGKILL loses
# nothing: after systemd restarts it, the same sessions and steps exist
# with the same limits, the steps are watched again (one whose process
# exits still ends on its own), and a create/end churn interrupted by
# SIGKILLs leaves no step behind.
. /usr/lib/agentcg-tests/lib.sh

# The churn runs in one client process (churn-client) over one bus
# connection; as two agentcgctl runs per cycle it took 0.3 s a cycle
# under TCG, too slow for a thousand.
STEPS=${STEPS:-100}
CYCLES=${CYCLES:-1000}
KILLS=${KILLS:-8}

start_daemon
sleep 3600 &
agentcgctl session-new keep --pid $!
S=$SLICE/agentcg-keep.scope

declare -a workers
for i in $(seq "$STEPS"); do
	agentcgctl step-new keep "s$i" --cpu-weight $((i * 10)) --memory-max $((i + 16))M >/dev/null
	sleep 3600 &
	workers[$i]=$!
	agentcgctl step-add keep "s$i" "${workers[$i]}"
done

snapshot() {
	local d
	for d in "$S"/s[0-9]*; do
		echo "$(basename "$d") $(cat "$d/cpu.weight") $(cat "$d/memory.max") $(cat "$d/cgroup.procs")"
	done | sort
}
before=$(snapshot)
assert_eq "$(wc -l <<<"$before")" "$STEPS" "steps before the SIGKILL"

pid=$(systemctl show -P MainPID agentcgroupd.service)
systemctl kill -s KILL agentcgroupd.service
wait_for 60 sh -c "[ \"\$(systemctl show -P MainPID agentcgroupd.service)\" != $pid ] &&
	systemctl is-active --quiet agentcgroupd.service" ||
	fail "systemd did not restart agentcgroupd after SIGKILL"
note "ok: restarted after SIGKILL (PID $pid -> $(systemctl show -P MainPID agentcgroupd.service))"
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after the restart"

after=$(snapshot)
assert_eq "$after" "$before" "steps, limits and processes after the restart"
listed=$(busctl --json=short call org.agentcg1 /org/agentcg1 org.agentcg1.Manager \
	ListSteps s keep | jq '.data[0] | length')
assert_eq "$listed" "$STEPS" "ListSteps after the restart"

# The restarted daemon watches the old steps: one whose process exits ends.
kill "${workers[1]}"
wait_for 15 test ! -d "$S/s1" || fail "step s1 did not end after its process exited"
note "ok: a step from before the restart ended on its own"
agentcgctl session-end keep

# Churn: create and end steps while the daemon is SIGKILLed now and then.
# The client retries a call that failed because the daemon was down; a
# retried create finding the step (the first try went through) or a
# retried end finding none counts as done.
sleep 3600 &
agentcgctl session-new churn --pid $!
churn_start=$SECONDS
/usr/lib/agentcg-tests/churn-client churn "$CYCLES" &
churner=$!
# Kill only a daemon that is up and has had a few seconds of work, so the
# churn makes progress (loading the scheduler takes seconds under TCG)
# and systemd's start rate limit is never what stops it.
kills=0
while kill -0 "$churner" 2>/dev/null && [ "$kills" -lt "$KILLS" ]; do
	wait_for 60 systemctl is-active --quiet agentcgroupd.service || break
	sleep 2
	systemctl kill -s KILL agentcgroupd.service 2>/dev/null && kills=$((kills + 1))
done
wait "$churner" || fail "the churn client gave up"
[ "$kills" -ge 2 ] || fail "the churn ended after $kills SIGKILLs, too soon to prove anything"
note "ok: $CYCLES create/end cycles with $kills SIGKILLs of the daemon in $((SECONDS - churn_start)) s"
wait_for 30 systemctl is-active --quiet agentcgroupd.service || fail "agentcgroupd not back"
left=$(find "$SLICE/agentcg-churn.scope" -mindepth 1 -maxdepth 1 -type d -name 'c*' | wc -l)
assert_eq "$left" 0 "steps left after the churn"
agentcgctl session-end churn
assert_eq "$(slice_children)" "" "agentcg.slice empty at the end"
stop_daemon
