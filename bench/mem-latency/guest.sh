#!/bin/bash
# vm-timeout: 1800
# In the testbed: N times, a fresh step with memory.high 16M gets a process
# that allocates 24M.  For each crossing, record the kernel's event time
# (the observer's bpf_ktime_get_ns, as the daemon's throttle decision
# carries it), the daemon's reaction (that decision's AGENTCG_REACTION_USEC)
# and when pollers reading memory.events every 10, 50 and 100 ms noticed.
# The rows come back to the host as mem-latency.csv.
set -euo pipefail
. /usr/lib/agentcg-tests/lib.sh

N=$(cat /usr/lib/agentcg-tests/mem-latency.n 2>/dev/null || echo 50)
POLL=/usr/lib/agentcg-tests/mem-poll
out=/run/agentcg-tests/mem-latency.csv
mkdir -p /run/agentcg-tests

# Throttle decisions only: no step is frozen or killed during the run.
mkdir -p /etc/agentcg/agentcg.conf.d
printf '[Class.batch]\nMemoryFreezeSec=infinity\n' >/etc/agentcg/agentcg.conf.d/bench.conf
systemctl restart agentcgroupd.service
sleep 600 &
agentcgctl session-new membench --pid $! >/dev/null
S=$SLICE/agentcg-membench.scope

echo "kernel $(uname -r), $(nproc) vCPUs, memory hooks: $(busctl get-property org.agentcg1 /org/agentcg1 org.agentcg1.Memory Hooks)"
echo "trial,kernel_usec,daemon_usec,poll10_usec,poll50_usec,poll100_usec" >"$out"

for i in $(seq "$N"); do
	step=t$i
	rm -f /tmp/poll10 /tmp/poll50 /tmp/poll100
	pollers=()
	for ms in 10 50 100; do
		"$POLL" "$S/$step" "$ms" 20 >"/tmp/poll$ms" &
		pollers+=($!)
	done
	# Started in the step; after a random phase against the pollers'
	# ticks (and time for them to read their baseline), tail buffers 24M.
	# Without swap the kernel throttles it for seconds per charge over
	# memory.high, so it is stopped after 2 s: only the crossing counts.
	agentcgctl run --session membench --step "$step" --memory-high 16M -- \
		sh -c "sleep 0.5$((RANDOM % 10))$((RANDOM % 10)); head -c 24M /dev/zero | timeout -s KILL 2 tail >/dev/null; sleep 1" || true
	wait "${pollers[@]}" || true

	wait_for 10 journal_has $MID_MEMORY_HIGH AGENTCG_STEP=$step || {
		echo "# trial $i: no throttle decision" >&2
		continue
	}
	k=$(journal_field $MID_MEMORY_HIGH AGENTCG_KERNEL_USEC AGENTCG_STEP=$step)
	d=$(journal_field $MID_MEMORY_HIGH AGENTCG_REACTION_USEC AGENTCG_STEP=$step)
	row="$i,$k,$d"
	for ms in 10 50 100; do
		t=$(cat "/tmp/poll$ms" 2>/dev/null || true)
		row="$row,$([ -n "$t" ] && echo $((t - k)) || echo)"
	done
	echo "$row" >>"$out"
done

echo "# $(($(wc -l <"$out") - 1)) of $N trials recorded"
agentcgctl session-end membench
rm -f /etc/agentcg/agentcg.conf.d/bench.conf
