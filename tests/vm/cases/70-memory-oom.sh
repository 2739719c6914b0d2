#!/bin/bash
# vm-timeout: 300
# A step that blows past memory.max is OOM-killed as a whole, and nothing
# else is: a sibling step in the same session and a step of another
# session finish their work.  The memory observer reports the kill to the
# daemon (a journal entry naming the step), and the step's end report
# carries oom_kill, in the journal and in the StepEnded signal.
. /usr/lib/agentcg-tests/lib.sh

start_daemon
assert_match "$(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Memory Observer)" \
	"^b true$" "memory observer loaded"

monitor=/tmp/oom-signals.json
busctl monitor --json=short --match "type='signal',sender='org.agentcg1'" >"$monitor" &
monitor_pid=$!
trap 'kill $monitor_pid 2>/dev/null || true' EXIT
sleep 1

for s in oomA oomB; do
	sleep 600 &
	agentcgctl session-new "$s" --pid $!
done

# Work that holds 16 MiB for a while, then reports it finished.
work='x=$(head -c 16M /dev/zero | tr "\0" a); sleep 8; echo ${#x} >"$1"'
rm -f /tmp/oom-sibling /tmp/oom-other
agentcgctl run --session oomA --step sibling -- sh -c "$work" sh /tmp/oom-sibling &
sibling=$!
agentcgctl run --session oomB --step other -- sh -c "$work" sh /tmp/oom-other &
other=$!

# Four times its memory.max, with no swap to hide in.
rc=0
timeout 120 agentcgctl run --session oomA --step blowup --memory-max 64M -- \
	stress-ng --vm 2 --vm-bytes 128M --vm-keep --timeout 90s >/dev/null 2>&1 || rc=$?
note "blow-up step exited with $rc"
[ "$rc" -ne 0 ] || fail "the blow-up step finished instead of being killed"
[ "$rc" -ne 124 ] || fail "the blow-up step was not killed within 120 s"

wait "$sibling" || fail "the sibling step failed"
wait "$other" || fail "the other session's step failed"
assert_eq "$(cat /tmp/oom-sibling)" 16777216 "sibling step finished its work"
assert_eq "$(cat /tmp/oom-other)" 16777216 "other session's step finished its work"
assert_eq "$(systemctl is-active agentcg-oomA.scope)" active "session oomA still running"

# Kernel-side: the blow-up step's end report (read from its memory.events
# before the cgroup went) has the kill; the others have none.
wait_for 10 journal_has $MID_STEP_ENDED AGENTCG_STEP=blowup ||
	fail "no end report for the blow-up step"
kills=$(journal_field $MID_STEP_ENDED AGENTCG_MEMORY_OOM_KILL_EVENTS AGENTCG_STEP=blowup)
[ "$kills" -ge 1 ] || fail "blow-up step's end report: oom_kill $kills"
note "ok: blow-up step's end report: oom_kill $kills"
for s in sibling other; do
	assert_eq "$(journal_field $MID_STEP_ENDED AGENTCG_MEMORY_OOM_KILL_EVENTS AGENTCG_STEP=$s)" 0 \
		"oom_kill in $s's end report"
done

# The observer saw the kill in the blow-up step and nowhere else.
wait_for 10 journal_has $MID_MEMORY_OOM AGENTCG_STEP=blowup ||
	fail "no OOM decision for the blow-up step"
assert_eq "$(journal_count $MID_MEMORY_OOM AGENTCG_STEP=sibling)" 0 "OOM decisions for sibling"
assert_eq "$(journal_count $MID_MEMORY_OOM AGENTCG_STEP=other)" 0 "OOM decisions for other"
note "OOM decision: $(journal_field $MID_MEMORY_OOM MESSAGE AGENTCG_STEP=blowup)"
# stress-ng's parent sets its oom_score_adj to -1000, which the kernel's
# group kill spares; the daemon ends the step with cgroup.kill instead.
assert_eq "$(journal_field $MID_MEMORY_OOM AGENTCG_ACTION AGENTCG_STEP=blowup)" step-killed \
	"daemon's action after the OOM kill"
note "observer to daemon: $(journal_field $MID_MEMORY_OOM AGENTCG_REACTION_USEC AGENTCG_STEP=blowup) us"

# The signals: StepMemoryOOM for the step, and StepEnded carrying the kill.
sleep 1
jq -e -s 'map(select(.member == "StepMemoryOOM" and .payload.data[1] == "blowup")) | length >= 1' \
	"$monitor" >/dev/null || fail "no StepMemoryOOM signal for the blow-up step"
jq -e -s 'map(select(.member == "StepEnded" and .payload.data[1] == "blowup")
	| .payload.data[2].MemoryOOMKillEvents.data) | .[0] >= 1' "$monitor" >/dev/null ||
	fail "StepEnded of the blow-up step does not carry oom_kill"
note "ok: StepMemoryOOM and StepEnded with oom_kill on the bus"

agentcgctl session-end oomA
agentcgctl session-end oomB
