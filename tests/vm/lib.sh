# Shared helpers for the vm cases, sourced from /usr/lib/agentcg-tests/lib.sh
# in the guest.  Every assertion reads what the kernel or systemd shows
# (cgroupfs, /proc, sched_ext's sysfs, unit properties, the journal); the
# daemon's own replies are only trusted where the case checks them against
# the system as well.
set -euo pipefail

export SYSTEMD_PAGER= SYSTEMD_COLORS=0
CG=/sys/fs/cgroup
SLICE=$CG/agentcg.slice

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

note() {
	echo "# $*"
}

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
	note "ok: $3 = '$1'"
}

# assert_match ACTUAL REGEX WHAT
assert_match() {
	[[ "$1" =~ $2 ]] || fail "$3: '$1' does not match /$2/"
	note "ok: $3 ~ /$2/"
}

# wait_for SECONDS COMMAND...: retries COMMAND every 0.1 s.
wait_for() {
	local deadline=$(( $(date +%s) + $1 ))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# True once PID has exited (a zombie the test shell has not reaped counts).
proc_gone() {
	[ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

# nap SECONDS: a builtin sleep, a read that times out on a fifo nothing
# writes to, so the cases that measure CPU shares do not fork a sleep(1)
# into the numbers they read.
nap() {
	if [ -z "${nap_fd:-}" ]; then
		local fifo=/run/agentcg-nap.$BASHPID
		mkfifo "$fifo"
		exec {nap_fd}<>"$fifo"
		rm "$fifo"
	fi
	read -r -t "$1" -u "$nap_fd" _ || true
}

# cpu_usage DIR: usage_usec from DIR/cpu.stat, read by builtins.
cpu_usage() {
	local key value
	while read -r key value; do
		[ "$key" != usage_usec ] || break
	done <"$1/cpu.stat"
	echo "$value"
}

scx_state() {
	cat /sys/kernel/sched_ext/state
}

scx_ops() {
	cat /sys/kernel/sched_ext/root/ops 2>/dev/null || true
}

# ext.enabled from /proc/PID/sched: 1 while the task is in the ext class.
ext_enabled() {
	awk '$1 == "ext.enabled" { print $3 }' "/proc/$1/sched"
}

# A restart, not a start: a case must not inherit a daemon (or its
# configuration) that an earlier case left running.
start_daemon() {
	systemctl reset-failed agentcgroupd.service 2>/dev/null || true
	systemctl restart agentcgroupd.service
	assert_eq "$(systemctl is-active agentcgroupd.service)" active "agentcgroupd active"
}

stop_daemon() {
	systemctl stop agentcgroupd.service
}

# Directories below agentcg.slice: sessions and anything left of them.
slice_children() {
	find "$SLICE" -mindepth 1 -type d 2>/dev/null | sort
}

# journal_field MESSAGE_ID FIELD [MATCH...]: FIELD of the newest entry of
# agentcgroupd with that MESSAGE_ID (and the extra field=value matches).
journal_field() {
	local id=$1 field=$2
	shift 2
	journalctl --sync 2>/dev/null || true
	journalctl -b -u agentcgroupd.service -o json --no-pager "MESSAGE_ID=$id" "$@" |
		tail -n 1 | jq -r --arg f "$field" '.[$f] // empty'
}

# Message ids from catalog/agentcg.catalog.
MID_SCHEDULER_ATTACHED=353394fbed3f4886a2f0339a1e18547f
MID_SCHEDULER_DETACHED=e86ec58530c34690a9c95fc0ebbc9da8
MID_CGROUP_ONLY=92eaad95e6044053bdc60c35ed034ec6
MID_SESSION_CREATED=a4e0719ce7d5484caeeb2711b50a055f
MID_SESSION_ENDED=63b7002dac554f0f9ee93a389c5aaf3e
MID_STEP_CREATED=e17b0df9a75c44a9a19f4b4e66f5b6cb
MID_PROCESS_PLACED=00827d2a7f394d7fb742fc4ab44f328c
MID_STEP_ENDED=365902cd99ef496ba5e1bd2f3e7b73bb
MID_REQUEST_REFUSED=0d420c18c3154da5aeb33abf3229d50a
MID_STEP_FROZEN=e98c6096b092453ab77093ef73da0ef4
MID_STEP_KILLED=6a0a01a0bebf4bfa9aa9f783f962421e
MID_CONFIG_LOADED=6e92ac6d559c4d27aa79fcdf971f4ccd
MID_CONFIG_REJECTED=227da1fb6a894c49941d48da508ad81c
MID_UNIT_DISCOVERED=6254ff86b5364951ac0f203840fe64c5
MID_UNIT_GONE=3eaabd965c484249a057e9eb56351c8d

# How many times a sched_ext scheduler was enabled since boot: a scheduler
# that exited and was attached again (by the daemon or anyone) shows as a
# change, however quickly it came back.
scx_enable_seq() {
	cat /sys/kernel/sched_ext/enable_seq
}

# percentile P FILE...: the nearest-rank P-th percentile (0-100) of the
# numbers in the files, one per line, pooled (the same rank rule as
# bench/sched-bench/sched-probe.c).  Fails on no numbers at all.
percentile() {
	local p=$1
	shift
	cat "$@" | sort -g | awk -v p="$p" '
		{ v[NR] = $1 }
		END { if (NR == 0) exit 1; print v[int(p / 100 * (NR - 1) + 0.5) + 1] }'
}

# Message ids of the memory policy (src/daemon/mem-decision.h).
MID_MEMORY_HOOKS=6b5622c82b6b48668cc35615bd98dc3f
MID_MEMORY_HIGH=741febff528546d98d3f7151ecaf8c87
MID_MEMORY_FROZEN=8f4b8067467847feafbc751593316505
MID_MEMORY_KILLED=94ab379edb144b1688222210cae033b6
MID_MEMORY_RECOVERED=41dd3190e81b4dbe8b87ec30a6f0d760
MID_MEMORY_OOM=803316eaed154331a026238fa5d7a327

# journal_count MESSAGE_ID [MATCH...]: how many entries of agentcgroupd
# with that MESSAGE_ID (and the extra field=value matches) this boot has.
journal_count() {
	local id=$1
	shift
	journalctl --sync 2>/dev/null || true
	journalctl -b -u agentcgroupd.service -o cat --no-pager "MESSAGE_ID=$id" "$@" | wc -l
}

# A millisecond clock for measuring how long the daemon took.
now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

# journal_has MESSAGE_ID [MATCH...]: true once such an entry exists; a
# command, so wait_for can retry it (a "$(...)" argument is expanded once).
journal_has() {
	[ "$(journal_count "$@")" -ge 1 ]
}
