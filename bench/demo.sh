#!/bin/bash
# The demo tools/demo runs in the testbed: a victim step does a fixed
# amount of CPU work, first alone, then next to a noisy step that runs one
# CPU spinner per CPU.  The victim asks for cpu.weight 400, the noisy step
# gets the default 100.  Prints, from each step's cpu.stat, what each got,
# and how much longer the victim's work took with the neighbour.
set -euo pipefail

systemctl start agentcgroupd.service
echo "sched_ext: $(cat /sys/kernel/sched_ext/state), ops: $(cat /sys/kernel/sched_ext/root/ops)"

ncpu=$(nproc)
work='i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'

sleep 600 &
agentcgctl session-new demo --pid $!
slice=/sys/fs/cgroup/agentcg.slice/agentcg-demo.scope

timed() {
	local start end
	start=$(date +%s%N)
	agentcgctl run --session demo --step "$1" --cpu-weight 400 -- sh -c "$work"
	end=$(date +%s%N)
	echo $(( (end - start) / 1000000 ))
}

alone=$(timed victim-alone)

agentcgctl step-new demo noisy --cpu-weight 100
for _ in $(seq "$ncpu"); do
	sh -c 'while :; do :; done' &
	agentcgctl step-add demo noisy $!
done
sleep 1

noisy0=$(sed -n 's/^usage_usec //p' "$slice/noisy/cpu.stat")
t0=$(date +%s%N)
agentcgctl run --session demo --step victim-work --cpu-weight 400 -- sh -c "$work" &
victim_pid=$!
# Sample the victim's usage while it runs (the step disappears at the end).
victim=0
while kill -0 $victim_pid 2>/dev/null; do
	v=$(sed -n 's/^usage_usec //p' "$slice/victim-work/cpu.stat" 2>/dev/null || true)
	[ -n "$v" ] && victim=$v
	sleep 0.2
done
wait $victim_pid
t1=$(date +%s%N)
noisy1=$(sed -n 's/^usage_usec //p' "$slice/noisy/cpu.stat")
with=$(( (t1 - t0) / 1000000 ))
noisy=$(( noisy1 - noisy0 ))

echo
echo "victim step (cpu.weight 400): same work alone ${alone} ms, next to the noisy step ${with} ms"
echo "while both ran ($with ms wall, $ncpu CPUs):"
echo "  victim used $((victim / 1000)) ms CPU"
echo "  noisy  used $((noisy / 1000)) ms CPU"
awk -v a="$alone" -v w="$with" 'BEGIN { printf "victim slowdown next to the noisy step: %.2fx\n", w / a }'
agentcgctl session-end demo
systemctl stop agentcgroupd.service
