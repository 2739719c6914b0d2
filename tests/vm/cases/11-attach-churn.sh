#!/bin/bash
# vm-timeout: 300
# Attaching and detaching the scheduler again and again while every CPU
# is busy and tasks fork, wake and exit: each cycle must switch sched_ext
# on and off cleanly, and the kernel must neither oops nor warn.  Every
# attach and detach flips the kernel's static keys (text_poke on live
# code) and moves all tasks between classes, the moments a scheduler
# (or an emulator running the guest) is most likely to break.  Asserted
# on the kernel's own record: sched_ext enable_seq, its state file, the
# taint flags and the kernel log.
. /usr/lib/agentcg-tests/lib.sh

CYCLES=${CYCLES:-40}
# Taint bits that mean something went wrong: D (oops), W (warning),
# L (soft lockup).
BAD_TAINT=$(((1 << 7) | (1 << 9) | (1 << 14)))

load=()
cleanup() {
	[ ${#load[@]} -eq 0 ] || kill -KILL "${load[@]}" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq "$(nproc)"); do
	sh -c 'while :; do :; done' &
	load+=($!)
done
sh -c 'while :; do /bin/true; sleep 0.001; done' &
load+=($!)

taint0=$(cat /proc/sys/kernel/tainted)
seq0=$(scx_enable_seq)
klog0=$(journalctl -k -b -o cat --no-pager | wc -l)

for i in $(seq "$CYCLES"); do
	systemctl start agentcgroupd.service
	wait_for 10 sh -c '[ "$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)" = agentcg ]' ||
		fail "cycle $i: the scheduler did not attach (state $(scx_state))"
	systemctl stop agentcgroupd.service
	wait_for 10 sh -c '[ "$(cat /sys/kernel/sched_ext/state)" = disabled ]' ||
		fail "cycle $i: sched_ext still $(scx_state) after the daemon stopped"
done
note "ok: $CYCLES attach/detach cycles under load"

assert_eq "$(($(scx_enable_seq) - seq0))" "$CYCLES" "sched_ext enables during the cycles"
for pid in "${load[@]}"; do
	kill -0 "$pid" 2>/dev/null || fail "load process $pid died during the cycles"
done

taint1=$(cat /proc/sys/kernel/tainted)
[ $(((taint1 & ~taint0) & BAD_TAINT)) -eq 0 ] ||
	fail "the kernel is tainted $taint1 (was $taint0): an oops, warning or lockup"
bad=$(journalctl -k -b -o cat --no-pager | tail -n +"$((klog0 + 1))" |
	grep -E 'BUG:|Oops|WARNING:|int3|general protection|sched_ext: .*(error|stall)' |
	head -n 5 || true)
[ -z "$bad" ] || fail "kernel log during the cycles: $bad"
note "ok: kernel taint unchanged ($taint1) and no oops or warning in its log"
