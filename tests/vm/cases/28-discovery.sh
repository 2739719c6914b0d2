#!/bin/bash
# A unit started in agentcg.slice without the API is found, governed with
# the default class's limits through systemd, listed with the sessions,
# and logged when it goes.  A unit that was there before the daemon
# started is governed too.
. /usr/lib/agentcg-tests/lib.sh

conf=/etc/agentcg
mkdir -p "$conf"
printf '[Class.batch]\nCPUWeight=150\nMemoryMax=256M\n' >"$conf/agentcg.conf"
trap 'rm -f "$conf/agentcg.conf"; systemctl stop early.service late.service 2>/dev/null || true' EXIT

systemd-run --quiet --slice=agentcg.slice --unit=early.service sleep 300
start_daemon

systemd-run --quiet --slice=agentcg.slice --unit=late.service sleep 300
for unit in early.service late.service; do
	wait_for 10 sh -c "[ \"\$(systemctl show -P CPUWeight $unit)\" = 150 ]" ||
		fail "$unit: CPUWeight is $(systemctl show -P CPUWeight $unit), not 150"
	assert_eq "$(cat $SLICE/$unit/cpu.weight)" 150 "cpu.weight of $unit"
	assert_eq "$(cat $SLICE/$unit/memory.max)" 268435456 "memory.max of $unit"
	assert_eq "$(journal_field $MID_UNIT_DISCOVERED AGENTCG_CLASS AGENTCG_UNIT=$unit)" batch \
		"journal: $unit discovered"
done

agentcgctl list | grep -q '^late.service' || fail "agentcgctl list does not show late.service"
note "ok: late.service listed"

systemctl stop late.service
wait_for 10 sh -c "journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_UNIT_GONE AGENTCG_UNIT=late.service | grep -q ." ||
	fail "no journal entry for late.service leaving"
note "ok: late.service leaving logged"

# Our own sessions are not "discovered".
sleep 300 &
agentcgctl session-new own --pid $!
[ -z "$(journal_field $MID_UNIT_DISCOVERED AGENTCG_UNIT AGENTCG_UNIT=agentcg-own.scope)" ] ||
	fail "the daemon's own session was treated as a foreign unit"
note "ok: own session not treated as foreign"
agentcgctl session-end own
systemctl stop early.service
stop_daemon
