#!/bin/bash
# With sched_ext taken by another scheduler, the daemon runs in cgroup-only
# mode: it says so once in the journal, keeps serving sessions and steps,
# and leaves the other scheduler alone when it stops.  The other scheduler
# here is agentcg's own object registered with bpftool, which is all the
# kernel can tell apart: a different owner.
. /usr/lib/agentcg-tests/lib.sh

pin=/sys/fs/bpf/agentcg-test
mkdir -p "$pin"
cleanup() {
	rm -rf "$pin"
}
trap cleanup EXIT

bpftool struct_ops register /usr/lib/agentcg-tests/agentcg.bpf.o "$pin" >/dev/null
wait_for 10 sh -c '[ "$(cat /sys/kernel/sched_ext/state)" = enabled ]' ||
	fail "bpftool could not enable the stand-in scheduler ($(scx_state))"
note "ok: a scheduler not owned by the daemon holds sched_ext"

start_daemon
assert_eq "$(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Manager Scheduler)" \
	's "none"' "Scheduler property in cgroup-only mode"
assert_match "$(journal_field $MID_CGROUP_ONLY AGENTCG_REASON)" "another sched_ext scheduler" \
	"journal: reason for cgroup-only mode"
count=$(journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_CGROUP_ONLY | wc -l)
assert_eq "$count" 1 "cgroup-only decisions logged"

out=$(agentcgctl run --cpu-weight 300 -- sh -c 'cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/cpu.weight')
assert_eq "$out" 300 "cpu.weight of a step in cgroup-only mode"

stop_daemon
assert_eq "$(scx_state)" enabled "sched_ext state after the daemon stopped"
cleanup
wait_for 10 sh -c '[ "$(cat /sys/kernel/sched_ext/state)" = disabled ]' ||
	fail "sched_ext still $(scx_state) after unpinning the stand-in"
note "ok: sched_ext disabled once the stand-in was unpinned"
