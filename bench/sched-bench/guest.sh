#!/bin/bash
# vm-timeout: 3300
# In the testbed: the kernel's fair class with static cpu.weight (the
# daemon in cgroup-only mode, "[Manager] Scheduler=no" in a drop-in)
# against agentcg (the daemon with its sched_ext scheduler), interleaved,
# REPS repetitions, the order of the two arms alternating.  Per arm and
# repetition:
#
#   messaging  `perf bench sched messaging` in a batch step: its total
#              time (throughput is its inverse);
#   wake       sched-probe sleep in an interactive step, idle and next to
#              two batch steps with one spinner per CPU each (as in
#              tests/vm/cases/80-wakeup-latency.sh);
#   victim     sched-probe work (fixed short work, step latency) in a
#              batch step of its own session, alone and next to noisy
#              neighbours in another session: one spinner per CPU in one
#              step and a stress-ng fork storm in another.
#
# Neighbours are created once per arm and frozen (cgroup.freeze, which
# works the same under either scheduler) while they are not wanted.
# Results go to /run/agentcg-tests/sched-bench/: results.tsv (rep, arm,
# metric, value) and raw/ (every probe sample); bench/sched-bench/run
# brings them back and analyze.py turns them into the table.
. /usr/lib/agentcg-tests/lib.sh

conf=/usr/lib/agentcg-tests/sched-bench.conf
# The host writes the settings next to the program; defaults otherwise.
REPS=5 PHASE_SECONDS=8 MSG_GROUPS=4 MSG_LOOPS=50 WORK_US=2000 PERIOD_US=3000
[ ! -f "$conf" ] || . "$conf"
probe=/usr/lib/agentcg-tests/sched-probe
out=/run/agentcg-tests/sched-bench
dropin=/etc/agentcg/agentcg.conf.d/90-sched-bench.conf
ncpu=$(nproc)
mkdir -p "$out/raw"
results=$out/results.tsv
printf 'rep\tarm\tmetric\tvalue\n' >"$results"

[ -x "$probe" ] || fail "$probe is missing from the guest"
command -v perf >/dev/null || fail "perf is missing from the guest (linux-perf in tests/vm/build-root)"
# perf must not look for debug info over a network the guest lacks.
export DEBUGINFOD_URLS=

cleanup() {
	local s
	for s in wake victim noisy; do
		[ ! -e "$SLICE/agentcg-$s.scope/cgroup.kill" ] ||
			echo 1 >"$SLICE/agentcg-$s.scope/cgroup.kill" 2>/dev/null || true
	done
	rm -f "$dropin"
}
trap cleanup EXIT

record() {
	printf '%s\t%s\t%s\t%s\n' "$rep" "$arm" "$1" "$2" >>"$results"
	note "rep $rep $arm: $1 = $2"
}

# arm_start fair|agentcg: the daemon, restarted with or without its
# scheduler, and the check that sched_ext says the same.
arm_start() {
	if [ "$arm" = fair ]; then
		mkdir -p "$(dirname "$dropin")"
		printf '[Manager]\nScheduler=no\n' >"$dropin"
		start_daemon
		assert_eq "$(scx_state)" disabled "sched_ext state with Scheduler=no"
	else
		rm -f "$dropin"
		start_daemon
		assert_eq "$(scx_ops)" agentcg "sched_ext root ops"
	fi
	seq0=$(scx_enable_seq)
	for s in wake victim noisy; do
		sleep 3600 &
		disown
		agentcgctl session-new "$s" --pid $! >/dev/null
	done
}

# Killing a session's scope outright (its frozen steps would otherwise
# hold up a SIGTERM) empties it, and systemd then removes it.  The
# processes were disowned, so the shell reports none of these kills.
arm_end() {
	local s
	[ "$(scx_enable_seq)" = "$seq0" ] || fail "sched_ext enable_seq changed during arm $arm"
	for s in wake victim noisy; do
		echo 1 >"$SLICE/agentcg-$s.scope/cgroup.kill"
	done
	for s in wake victim noisy; do
		wait_for 60 test ! -d "$SLICE/agentcg-$s.scope" || fail "session $s did not go away"
	done
}

# spinners SESSION STEP: one CPU spinner per CPU in a new, frozen step.
spinners() {
	local i pid
	agentcgctl step-new "$1" "$2" --class batch >/dev/null
	for i in $(seq "$ncpu"); do
		sh -c 'while :; do :; done' >/dev/null 2>&1 &
		pid=$!
		disown
		agentcgctl step-add "$1" "$2" "$pid"
	done
	agentcgctl freeze "$1" "$2"
}

# forkstorm SESSION STEP: stress-ng forking, in a new, frozen step; it
# starts stopped so it forks nothing outside the step.
forkstorm() {
	local pid
	agentcgctl step-new "$1" "$2" --class batch >/dev/null
	sh -c 'kill -STOP $$; exec stress-ng --fork "$1" --fork-max 16 --timeout 3600s --quiet' \
		sh "$ncpu" >/dev/null 2>&1 &
	pid=$!
	disown
	wait_for 30 grep -q '^State:[[:space:]]*T' "/proc/$pid/status" ||
		fail "the fork storm's shell did not stop itself"
	agentcgctl step-add "$1" "$2" "$pid"
	agentcgctl freeze "$1" "$2"
	kill -CONT "$pid"
}

messaging() {
	local log=$out/raw/$rep-$arm-messaging.txt secs
	agentcgctl run --session victim --step messaging --class batch -- \
		perf bench sched messaging -g "$MSG_GROUPS" -l "$MSG_LOOPS" >"$log" 2>&1 ||
		{ cat "$log" >&2; fail "perf bench sched messaging failed"; }
	secs=$(sed -n 's/^ *Total time: *\([0-9.]*\) .*/\1/p' "$log")
	[ -n "$secs" ] || { cat "$log" >&2; fail "no total time from perf bench sched messaging"; }
	record messaging_s "$secs"
}

# probe_run SESSION STEP CLASS NAME ARGS...: sched-probe in a fresh step;
# records NAME_p50_us and NAME_p99_us.
probe_run() {
	local session=$1 step=$2 class=$3 name=$4 raw line
	shift 4
	raw=$out/raw/$rep-$arm-$name.txt
	line=$(agentcgctl run --session "$session" --step "$step" --class "$class" -- \
		"$probe" "$@" --seconds "$PHASE_SECONDS" --raw "$raw")
	note "rep $rep $arm $name: $line"
	record "${name}_p50_us" "$(percentile 50 "$raw")"
	record "${name}_p99_us" "$(percentile 99 "$raw")"
}

wake() {
	probe_run wake idle interactive wake_idle sleep
	agentcgctl thaw wake hog1
	agentcgctl thaw wake hog2
	probe_run wake loaded interactive wake_loaded sleep
	agentcgctl freeze wake hog1
	agentcgctl freeze wake hog2
}

victim() {
	probe_run victim alone batch victim_alone work --loops "$loops" --period-us "$PERIOD_US"
	agentcgctl thaw noisy spin
	agentcgctl thaw noisy fork
	probe_run victim noisy batch victim_noisy work --loops "$loops" --period-us "$PERIOD_US"
	agentcgctl freeze noisy spin
	agentcgctl freeze noisy fork
}

echo "kernel $(uname -r), $(nproc) vCPUs, $(perf version 2>&1), $(stress-ng --version 2>&1 | head -n 1)"
perf bench sched messaging -g 1 -l 1 >/dev/null 2>&1 ||
	fail "perf bench does not run against this kernel: $(perf bench sched messaging -g 1 -l 1 2>&1 | tail -n 3)"

# One loop count for all arms, measured on the idle guest before anything.
loops=$("$probe" calibrate --us "$WORK_US")
note "victim work: $loops loops (about $WORK_US us idle), period $PERIOD_US us"
printf '0\t-\tvictim_loops\t%s\n' "$loops" >>"$results"

for rep in $(seq "$REPS"); do
	if [ $((rep % 2)) -eq 1 ]; then arms=(fair agentcg); else arms=(agentcg fair); fi
	for arm in "${arms[@]}"; do
		arm_start
		spinners wake hog1
		spinners wake hog2
		spinners noisy spin
		forkstorm noisy fork
		messaging
		wake
		victim
		arm_end
	done
done
rm -f "$dropin"
stop_daemon
