#!/bin/bash
# vm-timeout: 240
# The scheduler's fail-safe.  sysrq-S makes the kernel stop the sched_ext
# scheduler, as an error or a stall would: every task goes back to the fair
# class.  The daemon must notice by itself (nothing here tells it), log the
# exit with the kernel's reason, and attach a fresh scheduler after a
# backoff of 1 s, 2 s, 4 s.  The fourth exit within the window makes it give
# up: sched_ext stays disabled, the journal says so, and the daemon keeps
# running in cgroup-only mode.
. /usr/lib/agentcg-tests/lib.sh

MID_SCHEDULER_EXITED=7fa8048787714eed87cc3fab88b67d59
MID_SCHEDULER_REATTACHED=e97dd4f81515413a9e108c95a2d9646c
MID_SCHEDULER_GAVE_UP=44892475306844d79aa7d8cfba0caef0
SCX_EXIT_SYSRQ=67

# count_mid MESSAGE_ID: entries of agentcgroupd with it in this boot.
count_mid() {
	journalctl --sync 2>/dev/null || true
	journalctl -b -u agentcgroupd.service -o json --no-pager "MESSAGE_ID=$1" | wc -l
}

state_is() {
	[ "$(scx_state)" = "$1" ]
}

attached() {
	state_is enabled && [ "$(scx_ops)" = agentcg ]
}

sysrq_saved=$(cat /proc/sys/kernel/sysrq)
echo 1 >/proc/sys/kernel/sysrq
trap 'echo "$sysrq_saved" >/proc/sys/kernel/sysrq' EXIT

start_daemon
wait_for 30 attached || fail "the scheduler is not attached after the start ($(scx_state))"
note "ok: attached at start"

exits0=$(count_mid $MID_SCHEDULER_EXITED)
reattached0=$(count_mid $MID_SCHEDULER_REATTACHED)
gaveup0=$(count_mid $MID_SCHEDULER_GAVE_UP)

# force_exit N: sysrq-S, then wait until sched_ext is disabled and the
# daemon logged exit N with the kernel's reason.
force_exit() {
	local t0=${EPOCHREALTIME/./}
	echo S >/proc/sysrq-trigger
	wait_for 20 state_is disabled || fail "sched_ext still $(scx_state) after sysrq-S $1"
	note "sysrq-S $1: sched_ext disabled after $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms"
	wait_for 20 sh -c "[ \$(journalctl --sync; journalctl -b -u agentcgroupd -o json \
		MESSAGE_ID=$MID_SCHEDULER_EXITED | wc -l) -ge $((exits0 + $1)) ]" ||
		fail "no exit entry in the journal after sysrq-S $1"
	assert_eq "$(journal_field $MID_SCHEDULER_EXITED AGENTCG_EXIT_KIND)" $SCX_EXIT_SYSRQ \
		"exit $1: kind"
	assert_match "$(journal_field $MID_SCHEDULER_EXITED AGENTCG_EXIT_REASON)" sysrq \
		"exit $1: reason"
	assert_eq "$(journal_field $MID_SCHEDULER_EXITED AGENTCG_FAILURES)" "$1" \
		"exit $1: failures counted"
}

for n in 1 2 3; do
	force_exit $n
	retry=$(journal_field $MID_SCHEDULER_EXITED AGENTCG_RETRY_USEC)
	assert_eq "$retry" $((1000000 << (n - 1))) "exit $n: backoff"
	wait_for 90 attached || fail "not attached again after exit $n ($(scx_state))"
	wait_for 20 sh -c "[ \$(journalctl --sync; journalctl -b -u agentcgroupd -o json \
		MESSAGE_ID=$MID_SCHEDULER_REATTACHED | wc -l) -ge $((reattached0 + n)) ]" ||
		fail "no reattach entry in the journal after exit $n"
	# The backoff, from the daemon's own entries: exit logged, then the
	# reattach logged after the wait and the load.
	exited_at=$(journal_field $MID_SCHEDULER_EXITED __MONOTONIC_TIMESTAMP)
	reattached_at=$(journal_field $MID_SCHEDULER_REATTACHED __MONOTONIC_TIMESTAMP)
	waited=$(( (reattached_at - exited_at) / 1000 ))
	note "exit $n: attached again $waited ms after the exit entry"
	[ "$waited" -ge $((retry / 1000)) ] ||
		fail "attached again after $waited ms, before the backoff of $((retry / 1000)) ms"
	assert_eq "$(journal_field $MID_SCHEDULER_REATTACHED AGENTCG_ATTEMPT)" 1 \
		"reattach $n: first attempt"
	assert_eq "$(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Manager \
		Scheduler)" 's "agentcg"' "Scheduler property after reattach $n"
	assert_eq "$(ext_enabled $$)" 1 "ext.enabled of the test shell after reattach $n"
done

# The fourth failure within the window: no more attempts.
force_exit 4
assert_eq "$(journal_field $MID_SCHEDULER_EXITED AGENTCG_RETRY_USEC)" 0 "exit 4: no retry"
wait_for 20 sh -c "[ \$(journalctl --sync; journalctl -b -u agentcgroupd -o json \
	MESSAGE_ID=$MID_SCHEDULER_GAVE_UP | wc -l) -gt $gaveup0 ]" ||
	fail "no give-up entry in the journal after exit 4"
assert_eq "$(journal_field $MID_SCHEDULER_GAVE_UP AGENTCG_FAILURES)" 4 "give-up: failures"

# Longer than the next backoff (8 s) would have been.
sleep 12
assert_eq "$(scx_state)" disabled "sched_ext state 12 s after giving up"
assert_eq "$(count_mid $MID_SCHEDULER_REATTACHED)" $((reattached0 + 3)) \
	"reattach entries after giving up"
assert_eq "$(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Manager Scheduler)" \
	's "none"' "Scheduler property after giving up"
assert_eq "$(ext_enabled $$)" 0 "ext.enabled of the test shell after giving up"
assert_eq "$(systemctl is-active agentcgroupd.service)" active "agentcgroupd still active"

# A restart starts afresh.
start_daemon
wait_for 30 attached || fail "not attached after a restart ($(scx_state))"
note "ok: a restart attaches the scheduler again"
stop_daemon
