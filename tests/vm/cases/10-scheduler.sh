#!/bin/bash
# The daemon loads the agentcg sched_ext scheduler while it runs and the
# kernel returns to the fair class when it stops.
. /usr/lib/agentcg-tests/lib.sh

assert_eq "$(scx_state)" disabled "sched_ext state before the daemon"

start_daemon
assert_eq "$(scx_state)" enabled "sched_ext state with the daemon"
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
assert_eq "$(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Manager Scheduler)" \
	's "agentcg"' "Scheduler property"
assert_eq "$(journal_field $MID_SCHEDULER_ATTACHED AGENTCG_SCHEDULER)" agentcg \
	"journal: scheduler attached"

# Full mode: ordinary tasks, this shell included, run in the ext class.
assert_eq "$(ext_enabled $$)" 1 "ext.enabled of the test shell"

stop_daemon
wait_for 10 sh -c '[ "$(cat /sys/kernel/sched_ext/state)" = disabled ]' ||
	fail "sched_ext still $(scx_state) 10 s after the daemon stopped"
note "ok: sched_ext disabled after the daemon stopped"
assert_eq "$(ext_enabled $$)" 0 "ext.enabled of the test shell after the stop"
assert_eq "$(journal_field $MID_SCHEDULER_DETACHED AGENTCG_SCHEDULER)" agentcg \
	"journal: scheduler detached"

# A second start loads it again (no state left over from the first).
start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops after a restart"
stop_daemon
