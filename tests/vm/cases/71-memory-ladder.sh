#!/bin/bash
# vm-timeout: 300
# The memory escalation ladder on a step stuck over memory.high, with the
# batch class's delays shortened by a drop-in (freeze after 2 s over,
# kill 4 s after freezing):
#   - the kernel throttles it (memory.events "high" grows) and the daemon
#     notices from the observer's event, not by polling;
#   - it is frozen (cgroup.events "frozen 1") within a bounded time;
#   - its runtime can thaw it, and it runs again;
#   - left frozen, it is killed at the deadline, even across a SIGKILL of
#     the daemon in between (the deadline lives on the cgroup);
#   - a sibling step and the session keep running throughout.
. /usr/lib/agentcg-tests/lib.sh

FREEZE=2 KILL=4
mkdir -p /etc/agentcg/agentcg.conf.d
cat >/etc/agentcg/agentcg.conf.d/71-ladder.conf <<CONF
[Class.batch]
MemoryFreezeSec=${FREEZE}s
MemoryKillSec=${KILL}s
CONF
trap 'rm -f /etc/agentcg/agentcg.conf.d/71-ladder.conf; kill $monitor_pid 2>/dev/null || true' EXIT

start_daemon
monitor=/tmp/ladder-signals.json
busctl monitor --json=short --match "type='signal',interface='org.agentcg1.Memory'" >"$monitor" &
monitor_pid=$!

sleep 600 &
agentcgctl session-new ladder --pid $!
S=$SLICE/agentcg-ladder.scope
agentcgctl step-new ladder calm

counter=/tmp/ladder-counter
sh -c "i=0; while :; do i=\$((i+1)); echo \$i >$counter; sleep 0.1; done" &
agentcgctl step-add ladder calm $!

high_events() {
	sed -n 's/^high //p' "$S/hog/memory.events"
}
frozen() {
	sed -n 's/^frozen //p' "$S/hog/cgroup.events"
}
# Commands for wait_for, which runs its arguments again on every try.
throttled() {
	[ "$(high_events)" -gt 0 ]
}
is_frozen() {
	[ "$(frozen)" = 1 ]
}

# Twice its memory.high, started in the step (CLONE_INTO_CGROUP) so no
# worker it forks can be left outside.
agentcgctl run --session ladder --step hog --memory-high 32M -- \
	stress-ng --vm 1 --vm-bytes 64M --vm-keep --timeout 200s >/dev/null 2>&1 &
hog=$!
wait_for 20 test -f "$S/hog/memory.events" || fail "step hog did not appear"

# Rung 1: the kernel throttles; the daemon records it from the event.
wait_for 30 throttled || fail "memory.events high stayed 0"
t_high=$(now_ms)
note "ok: memory.events high = $(high_events)"
wait_for 10 journal_has $MID_MEMORY_HIGH AGENTCG_STEP=hog ||
	fail "no throttle decision for step hog"
note "throttle decision, kernel event to daemon: $(journal_field $MID_MEMORY_HIGH AGENTCG_REACTION_USEC AGENTCG_STEP=hog) us"

# The kernel-side record the scheduler reads: one mem_pressure map, shared
# by the observer and the scheduler, with this step's over-high count.
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
assert_eq "$(bpftool -j map show | jq '[.[] | select(.name == "mem_pressure")] | length')" 1 \
	"mem_pressure maps (the scheduler shares the observer's)"
cgid=$(stat -c %i "$S/hog")
hev=$(bpftool -j map dump name mem_pressure |
	jq --argjson id "$cgid" '[.[] | (.formatted // .) | select(.key == $id) | .value.high_events][0] // 0')
[ "$hev" -ge 1 ] || fail "mem_pressure has no over-high events for step hog (cgroup $cgid)"
note "ok: mem_pressure[$cgid].high_events = $hev"

# Rung 2: frozen within FREEZE s plus slack for a slow guest.
wait_for $((FREEZE + 8)) is_frozen || fail "step hog was not frozen"
elapsed=$(( $(now_ms) - t_high ))
note "ok: frozen ${elapsed} ms after memory.events high was first seen (freeze delay ${FREEZE} s)"
[ "$elapsed" -le $(( (FREEZE + 8) * 1000 )) ] || fail "froze too late: $elapsed ms"
wait_for 5 journal_has $MID_MEMORY_FROZEN AGENTCG_STEP=hog ||
	fail "no freeze decision for step hog"
grep -q '"StepMemoryFrozen"' "$monitor" || fail "no StepMemoryFrozen signal"

# The runtime thaws it in time: it runs again and is not killed.
agentcgctl thaw ladder hog
assert_eq "$(frozen)" 0 "frozen after the runtime's thaw"
kill -0 "$hog" || fail "the thawed step's command is gone"
wait_for 10 journal_has $MID_MEMORY_RECOVERED AGENTCG_STEP=hog ||
	fail "the ladder did not let go of the thawed step"
note "ok: $(journal_field $MID_MEMORY_RECOVERED AGENTCG_REASON AGENTCG_STEP=hog)"
assert_eq "$(journal_count $MID_MEMORY_KILLED AGENTCG_STEP=hog)" 0 "kill decisions after a thaw"

# Still over, so the ladder starts again and freezes it again.  This time
# nobody thaws it, and the daemon dies in between: the restarted daemon
# still kills the step at the deadline.
wait_for $((FREEZE + 15)) is_frozen || fail "step hog was not frozen again"
t_frozen=$(now_ms)
pid_before=$(systemctl show -P MainPID agentcgroupd.service)
systemctl kill -s SIGKILL agentcgroupd.service
wait_for 20 sh -c '[ "$(systemctl show -P MainPID agentcgroupd.service)" != "'"$pid_before"'" ] &&
	[ "$(systemctl is-active agentcgroupd.service)" = active ]' ||
	fail "agentcgroupd did not come back after SIGKILL"
note "ok: agentcgroupd restarted after SIGKILL"

wait_for $((KILL + 15)) proc_gone "$hog" || fail "the frozen step was not killed"
elapsed=$(( $(now_ms) - t_frozen ))
rc=0
wait "$hog" || rc=$?
assert_eq "$rc" 137 "exit status of the killed step's command (agentcgctl run)"
note "ok: killed ${elapsed} ms after the second freeze (kill delay ${KILL} s)"
[ "$elapsed" -ge $(( KILL * 1000 - 500 )) ] || fail "killed before its grace period: $elapsed ms"
wait_for 5 journal_has $MID_MEMORY_KILLED AGENTCG_STEP=hog ||
	fail "no kill decision for step hog"
wait_for 5 grep -q '"StepMemoryKilled"' "$monitor" || fail "no StepMemoryKilled signal"

# The rest of the session never stopped.
a=$(cat $counter); sleep 1; b=$(cat $counter)
[ "$b" -gt "$a" ] || fail "the sibling step stopped ($a -> $b)"
note "ok: sibling step kept counting ($a -> $b)"
assert_eq "$(systemctl is-active agentcg-ladder.scope)" active "session still running"

agentcgctl session-end ladder
