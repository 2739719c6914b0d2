#!/bin/bash
# vm-timeout: 240
# Memory coupling.  Two steps of equal weight, each with one CPU-bound
# worker per CPU: "hog" spins, "mem" is stress-ng's vm stressor, which
# keeps touching its own pages.  Three phases, CPU shares from cpu.stat:
#  1. no memory limit: about half each;
#  2. mem's memory.high set just below its usage (0.5% over, too little
#     for the kernel's own over-high throttling to sleep it): the
#     scheduler sees the cgroup over memory.high and cuts its weight to a
#     quarter, so mem gets about a fifth;
#  3. memory.high back to max: after the hysteresis hold mem gets half
#     again.
# The journal must show the penalty going on and off for mem.  Then the
# daemon runs again with MemoryCoupling=no and phase 2 is repeated: mem
# keeps its half, so the drop was the scheduler's doing, not the kernel's.
. /usr/lib/agentcg-tests/lib.sh

MID_SCHED_MEM_PENALTY=d6349b7235d44e02ad2abac46b3a4d80
WINDOW=${WINDOW:-5}
ncpu=$(nproc)
conf=/etc/agentcg/agentcg.conf.d
mkdir -p "$conf"
trap 'rm -f $conf/55-coupling.conf' EXIT

command -v stress-ng >/dev/null || fail "stress-ng is missing from the guest"

# usage STEP: the step's usage_usec.
usage() {
	cpu_usage "$scope/$1"
}

# mem_share: mem's share of the CPU time both steps used in WINDOW s.
mem_share() {
	local h0 m0 h1 m1
	h0=$(usage hog); m0=$(usage mem)
	nap "$WINDOW"
	h1=$(usage hog); m1=$(usage mem)
	awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN { printf "%.4f", (h + m) ? m / (h + m) : 0 }'
}

# setup SESSION: the two steps with their workers.
setup() {
	local i
	sleep 600 &
	holder=$!
	agentcgctl session-new "$1" --pid "$holder"
	scope=$SLICE/agentcg-$1.scope
	agentcgctl step-new "$1" hog >/dev/null
	agentcgctl step-new "$1" mem >/dev/null
	pids=()
	for i in $(seq "$ncpu"); do
		sh -c 'while :; do :; done' >/dev/null &
		echo $! >"$scope/hog/cgroup.procs"
		pids+=($!)
	done
	# stress-ng starts stopped so that its workers are born in the step.
	sh -c 'kill -STOP $$; exec stress-ng --vm "$1" --vm-bytes 24M --vm-keep --timeout 600s --quiet' \
		_ "$ncpu" >/dev/null 2>&1 &
	stress=$!
	wait_for 5 sh -c "grep -q '^State:.*T' /proc/$stress/status" || fail "stress-ng did not stop"
	echo "$stress" >"$scope/mem/cgroup.procs"
	kill -CONT "$stress"
	pids+=("$stress")
	# Its workers have touched all their pages once usage stops growing.
	local last=0 now
	for i in $(seq 50); do
		nap 0.3
		now=$(cat "$scope/mem/memory.current")
		[ "$now" -gt $((ncpu * 24 * 1024 * 1024)) ] && [ "$now" -le $((last + 65536)) ] && break
		last=$now
	done
	note "mem's usage settled at $now bytes"
}

teardown() {
	pkill -KILL -P "$stress" 2>/dev/null || true
	kill -KILL "${pids[@]}" "$holder" 2>/dev/null || true
	wait "${pids[@]}" "$holder" 2>/dev/null || true
	agentcgctl session-end "$1" || true
}

# squeeze: memory.high 0.5% below mem's usage.
squeeze() {
	local cur
	cur=$(cat "$scope/mem/memory.current")
	echo $((cur - cur / 200)) >"$scope/mem/memory.high"
	note "mem: memory.current $cur, memory.high $(cat "$scope/mem/memory.high")"
}

start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
setup coupled
nap 1
before=$(mem_share)
note "phase 1, no limit: mem share $before"
squeeze
nap 1
over=$(mem_share)
note "phase 2, over memory.high: mem share $over"
high_events=$(awk '$1 == "high" { print $2 }' "$scope/mem/memory.events")
note "mem's memory.events high: $high_events"
top=$(agentcgctl top -n 1 --interval 500ms)
sed 's/^/# top: /' <<<"$top"
top_mem=$(awk '$1 == "coupled/mem" { print $NF }' <<<"$top")
echo max >"$scope/mem/memory.high"
nap 1.5
after=$(mem_share)
note "phase 3, limit lifted: mem share $after"
memid=$(stat -c %i "$scope/mem")
teardown coupled

journalctl --sync 2>/dev/null || true
penalties=$(journalctl -b -u agentcgroupd.service -o json --no-pager \
	"MESSAGE_ID=$MID_SCHED_MEM_PENALTY" "AGENTCG_CGROUP_ID=$memid" |
	jq -r '.AGENTCG_MEM_PENALTY' | tr '\n' ' ')
note "memory penalty entries for mem (cgroup $memid): $penalties"

# The same squeeze without coupling.
printf '[Manager]\nMemoryCoupling=no\n' >"$conf/55-coupling.conf"
start_daemon
assert_eq "$(scx_ops)" agentcg "sched_ext root ops without coupling"
setup uncoupled
nap 1
squeeze
nap 1
uncoupled=$(mem_share)
note "without coupling, over memory.high: mem share $uncoupled"
teardown uncoupled
rm -f "$conf/55-coupling.conf"
stop_daemon

echo "before=$before over=$over after=$after uncoupled=$uncoupled" \
	>/run/agentcg-tests/mem-coupling.txt 2>/dev/null || true

in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}
in_range "$before" 0.40 0.60 || fail "without pressure mem got $before, not about half"
note "ok: without pressure the steps share evenly"
in_range "$over" 0 0.33 || fail "over memory.high mem still got $over of the CPU"
note "ok: over memory.high mem loses CPU share"
in_range "$after" 0.40 0.60 || fail "after the pressure mem got $after, not half again"
note "ok: mem gets its share back after the pressure"
assert_match "$penalties" "1 .*0" "journal: the penalty went on, then off"
assert_match "$top_mem" "^on/[1-9]" "agentcgctl top: mem under a memory penalty"
in_range "$uncoupled" 0.40 0.60 ||
	fail "with MemoryCoupling=no mem got $uncoupled over memory.high: the drop is not the scheduler's"
note "ok: with MemoryCoupling=no mem keeps its share over memory.high"
