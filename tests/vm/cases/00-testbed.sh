#!/bin/bash
# Smoke case of the qemu testbed: asserts that the guest is the system every
# other case assumes (systemd as PID 1 with a system bus, a cgroup v2-only
# hierarchy with the controllers agentcg drives, sched_ext present and idle,
# the unprivileged test user).
# If this fails, failures of the other cases say nothing about agentcg.
set -euo pipefail

failures=0

check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what" >&2
		failures=$((failures + 1))
	fi
}

pid1_is_systemd() {
	local comm
	comm=$(cat /proc/1/comm)
	[ "$comm" = systemd ] || { echo "  PID 1 is '$comm'" >&2; return 1; }
}

sched_ext_disabled() {
	local f=/sys/kernel/sched_ext/state state
	[ -r "$f" ] || { echo "  $f missing: kernel without sched_ext?" >&2; return 1; }
	state=$(cat "$f")
	[ "$state" = disabled ] || { echo "  $f reads '$state'" >&2; return 1; }
}

# cgroup2 on /sys/fs/cgroup and no v1 hierarchy anywhere (unified mode).
cgroup2_only() {
	local fstype v1
	fstype=$(stat -fc %T /sys/fs/cgroup)
	[ "$fstype" = cgroup2fs ] || { echo "  /sys/fs/cgroup is $fstype" >&2; return 1; }
	v1=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
	[ -z "$v1" ] || { echo "  cgroup v1 mounted at: $v1" >&2; return 1; }
}

has_controllers() {
	local have c missing=
	have=" $(cat /sys/fs/cgroup/cgroup.controllers) "
	for c in cpu memory pids; do
		[[ $have == *" $c "* ]] || missing+=" $c"
	done
	[ -z "$missing" ] || { echo "  missing:$missing (have:$have)" >&2; return 1; }
}

scope_in_agentcg_slice() {
	local cg
	systemd-run --quiet --scope --slice=agentcg.slice true || return 1
	cg=$(systemd-run --quiet --scope --slice=agentcg.slice cat /proc/self/cgroup)
	[[ $cg == 0::/agentcg.slice/* ]] || { echo "  scope landed in '$cg'" >&2; return 1; }
}

system_bus_up() {
	busctl list --no-pager >/dev/null || return 1
	busctl status org.freedesktop.systemd1 >/dev/null
}

# The unprivileged user later cases run clients as.
test_user_works() {
	local uid
	uid=$(id -u agentcg-test) || return 1
	[ "$uid" = 1500 ] || { echo "  agentcg-test has uid $uid" >&2; return 1; }
	[ "$(runuser -u agentcg-test -- id -un)" = agentcg-test ]
}

main() {
	check "PID 1 is systemd" pid1_is_systemd
	check "sched_ext present and disabled" sched_ext_disabled
	check "cgroup2 only, mounted on /sys/fs/cgroup" cgroup2_only
	check "cgroup.controllers has cpu memory pids" has_controllers
	check "systemd-run --scope --slice=agentcg.slice works" scope_in_agentcg_slice
	check "system bus is up" system_bus_up
	check "user agentcg-test (uid 1500) can run commands" test_user_works
	echo "kernel $(uname -r), $(systemctl --version | head -n 1)," \
		"state $(systemctl is-system-running || true)"
	if [ "$failures" -gt 0 ]; then
		echo "00-testbed: $failures check(s) failed: the testbed guest is broken" >&2
		exit 1
	fi
}

main "$@"
