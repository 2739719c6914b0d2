#!/bin/bash
# vm-timeout: 600
# One bus object per session and per step: introspection shows the
# interfaces, every property agrees with the cgroup files it comes from,
# the methods on the objects act on the cgroups, StepStarted is sent, the
# objects vanish with their cgroups and come back after a daemon restart
# (cgroupfs is the only record).  A session's budget goes to systemd and
# caps the sum of its steps.
. /usr/lib/agentcg-tests/lib.sh

start_daemon
monitor=/tmp/step-started.json
busctl monitor --json=short \
	--match "type='signal',interface='org.agentcg1.Manager',member='StepStarted'" >"$monitor" &
monitor_pid=$!
trap 'kill $monitor_pid 2>/dev/null || true' EXIT
sleep 1

SP=/org/agentcg1/session
prop() { # OBJECT INTERFACE PROPERTY: the value alone
	busctl --json=short get-property org.agentcg1 "$1" "org.agentcg1.$2" "$3" | jq -r .data
}

sleep 600 &
holder=$!
# The budget: a memory.max and a cpu.max on the scope, through systemd.
busctl call org.agentcg1 /org/agentcg1 org.agentcg1.Manager CreateSessionWithProperties \
	'sua(sv)' obj-1 "$holder" 3 MemoryMax t 268435456 CPUMaxQuotaUSec t 50000 TasksMax t 64
S=$SLICE/agentcg-obj-1.scope
assert_eq "$(systemctl show -P MemoryMax agentcg-obj-1.scope)" 268435456 "MemoryMax of the scope (systemd)"
assert_eq "$(cat $S/memory.max)" 268435456 "memory.max of the scope"
assert_eq "$(cat $S/cpu.max)" "50000 100000" "cpu.max of the scope"
assert_eq "$(cat $S/pids.max)" 64 "pids.max of the scope"

# The session object; its path escapes the '-'.
sobj=$SP/obj_2d1
busctl introspect org.agentcg1 "$sobj" >/tmp/intro-session
grep -q '^org.agentcg1.Session ' /tmp/intro-session || fail "no org.agentcg1.Session on $sobj"
grep -q '^\.SetProperties ' /tmp/intro-session || fail "no SetProperties on $sobj"
note "ok: $sobj introspects as org.agentcg1.Session"
assert_eq "$(prop $sobj Session Name)" obj-1 "session Name"
assert_eq "$(prop $sobj Session Unit)" agentcg-obj-1.scope "session Unit"
assert_eq "$(prop $sobj Session ControlGroup)" /agentcg.slice/agentcg-obj-1.scope "session ControlGroup"
assert_eq "$(prop $sobj Session Owner)" 0 "session Owner"
assert_eq "$(prop $sobj Session MemoryMax)" "$(cat $S/memory.max)" "session MemoryMax = memory.max"
assert_eq "$(prop $sobj Session CPUMaxQuotaUSec)" 50000 "session CPUMaxQuotaUSec"
assert_eq "$(prop $sobj Session State)" running "session State"

# SetSessionProperties changes the budget through systemd.
busctl call org.agentcg1 $sobj org.agentcg1.Session SetProperties 'a(sv)' 1 MemoryMax t 134217728
assert_eq "$(cat $S/memory.max)" 134217728 "memory.max of the scope after SetProperties"
assert_eq "$(systemctl show -P MemoryMax agentcg-obj-1.scope)" 134217728 "MemoryMax (systemd) after SetProperties"
out=$(gdbus call --system --dest org.agentcg1 --object-path /org/agentcg1 \
	--method org.agentcg1.Manager.SetSessionProperties obj-1 "[('OOMGroup', <true>)]" 2>&1 || true)
assert_match "$out" 'org\.agentcg1\.Error\.InvalidLimit' "an unknown budget property"

# A step: properties against its files.
agentcgctl step-new obj-1 work --class latency --cpu-weight 300 --cpu-max 20% \
	--memory-high 48M --memory-max 64M --tasks-max 16 >/dev/null
T=$S/work
tobj=$SP/obj_2d1/step/work
busctl introspect org.agentcg1 "$tobj" >/tmp/intro-step
cat /tmp/intro-step
for member in .Freeze .Thaw .Kill .End .Class .State .CPUWeight .MemoryCurrent .TasksCurrent .OOMGroup; do
	grep -q "^$member " /tmp/intro-step || fail "$member missing from the introspection of $tobj"
done
note "ok: $tobj introspects with its methods and properties"
assert_eq "$(prop $tobj Step Name)" work "step Name"
assert_eq "$(prop $tobj Step Session)" obj-1 "step Session"
assert_eq "$(prop $tobj Step Class)" latency "step Class"
assert_eq "$(prop $tobj Step ControlGroup)" /agentcg.slice/agentcg-obj-1.scope/work "step ControlGroup"
assert_eq "$(prop $tobj Step CPUWeight)" "$(cat $T/cpu.weight)" "step CPUWeight = cpu.weight"
assert_eq "$(prop $tobj Step CPUMaxQuotaUSec) $(prop $tobj Step CPUMaxPeriodUSec)" "$(cat $T/cpu.max)" "step cpu.max"
assert_eq "$(prop $tobj Step MemoryHigh)" "$(cat $T/memory.high)" "step MemoryHigh"
assert_eq "$(prop $tobj Step MemoryMax)" 67108864 "step MemoryMax"
assert_eq "$(prop $tobj Step TasksMax)" "$(cat $T/pids.max)" "step TasksMax"
assert_eq "$(prop $tobj Step OOMGroup)" true "step OOMGroup"
assert_eq "$(prop $tobj Step State)" empty "State of an empty step"
grep -q '"work"' "$monitor" || { sleep 1; grep -q '"work"' "$monitor"; } || fail "no StepStarted for work"
note "ok: StepStarted seen for work"

# Live usage and state follow the kernel.  The worker allocates only once
# it is in the step (a move does not take memory charges along).
sh -c 'sleep 2; x=$(head -c 8000000 /dev/zero | tr "\0" a); touch /tmp/allocated; sleep 600' &
worker=$!
agentcgctl step-add obj-1 work "$worker"
assert_eq "$(prop $tobj Step State)" running "State with a process"
wait_for 60 test -e /tmp/allocated || fail "the worker did not allocate"
assert_eq "$(prop $tobj Step TasksCurrent)" "$(cat $T/pids.current)" "TasksCurrent = pids.current"
peak=$(prop $tobj Step MemoryPeak)
[ "$peak" -ge 4000000 ] || fail "MemoryPeak $peak below 4 MB for a process that held 8 MB"
note "ok: MemoryPeak $peak (memory.peak $(cat $T/memory.peak))"
[ "$(prop $tobj Step MemoryCurrent)" -gt 0 ] || fail "MemoryCurrent is 0"
cpu=$(prop $tobj Step CPUUsageUSec)
[ "$cpu" -gt 0 ] || fail "CPUUsageUSec is 0"
note "ok: CPUUsageUSec $cpu"
assert_eq "$(agentcgctl --json show obj-1 work | jq -r .MemoryMax)" 67108864 "show --json MemoryMax"
agentcgctl show obj-1 work | grep -q '^State=running$' || fail "agentcgctl show lacks State=running"
agentcgctl show obj-1 | grep -q '^Unit=agentcg-obj-1.scope$' || fail "agentcgctl show SESSION lacks Unit"

# Methods on the object act on the cgroup.
busctl call org.agentcg1 $tobj org.agentcg1.Step Freeze
assert_eq "$(sed -n 's/^frozen //p' $T/cgroup.events)" 1 "frozen after Step.Freeze"
assert_eq "$(prop $tobj Step State)" frozen "State after Freeze"
busctl call org.agentcg1 $tobj org.agentcg1.Step Thaw
assert_eq "$(sed -n 's/^frozen //p' $T/cgroup.events)" 0 "frozen after Step.Thaw"
busctl call org.agentcg1 $tobj org.agentcg1.Step Kill
wait_for 5 proc_gone "$worker" || fail "worker alive after Step.Kill"
wait_for 10 test ! -d "$T" || fail "killed step not ended"
if busctl get-property org.agentcg1 $tobj org.agentcg1.Step Name 2>/dev/null; then
	fail "the object of an ended step still answers"
fi
note "ok: the object went with its cgroup"

agentcgctl step-new obj-1 ending >/dev/null
sleep 600 &
agentcgctl step-add obj-1 ending $!
usage=$(busctl --json=short call org.agentcg1 $SP/obj_2d1/step/ending org.agentcg1.Step End t 0)
assert_eq "$(jq -r '.data[0].Killed.data' <<<"$usage")" true "Killed from Step.End"
[ ! -d "$S/ending" ] || fail "Step.End left the cgroup"

# A step's memory.max above its session's budget is still capped by it.
agentcgctl step-new obj-1 big --memory-max 1G >/dev/null
rc=0
agentcgctl run --session obj-1 --step hog -- stress-ng --vm 1 --vm-bytes 400M --vm-keep --timeout 15s -q || rc=$?
note "stress-ng wanting 400M in a 128M session exited with $rc"
assert_match "$(journal_field $MID_STEP_ENDED AGENTCG_MEMORY_PEAK AGENTCG_STEP=hog)" '^[0-9]+$' "journal: peak of hog"
peak=$(journal_field $MID_STEP_ENDED AGENTCG_MEMORY_PEAK AGENTCG_STEP=hog)
# The kernel charges memory in per-CPU batches, so a peak may pass the
# limit by a few pages; 400M wanted must still end near 128M.
[ "$peak" -le $((134217728 + 4194304)) ] || fail "step hog peaked at $peak, above the session's 128M"
note "ok: step hog peaked at $peak, within the session's budget of 134217728 (+ charge batches)"

# Objects come from cgroupfs: after a SIGKILL and restart they are there.
agentcgctl step-new obj-1 survivor --cpu-weight 77 >/dev/null
systemctl kill -s KILL agentcgroupd.service
wait_for 60 systemctl is-active --quiet agentcgroupd.service || fail "agentcgroupd not restarted"
wait_for 30 busctl get-property org.agentcg1 $SP/obj_2d1/step/survivor org.agentcg1.Step CPUWeight >/dev/null 2>&1 ||
	fail "step object gone after the restart"
assert_eq "$(prop $SP/obj_2d1/step/survivor Step CPUWeight)" 77 "CPUWeight after the restart"
busctl tree org.agentcg1 >/tmp/tree
grep -q 'step/survivor' /tmp/tree || fail "busctl tree does not list step survivor"
note "ok: busctl tree lists the step objects"

# Bad input on the objects.
out=$(gdbus call --system --dest org.agentcg1 --object-path $SP/obj_2d1/step/survivor \
	--method org.agentcg1.Step.End 999999999999 2>&1 || true)
assert_match "$out" 'org\.agentcg1\.Error\.InvalidLimit' "Step.End with a huge grace"
if busctl introspect org.agentcg1 $SP/nosuch/step/x 2>/dev/null | grep -q org.agentcg1.Step; then
	fail "a step object of a missing session exists"
fi
note "ok: no object for a missing session"

busctl call org.agentcg1 $sobj org.agentcg1.Session End
wait_for 10 test ! -d "$S" || fail "Session.End left the scope"
assert_eq "$(slice_children)" "" "agentcg.slice empty at the end"
stop_daemon
