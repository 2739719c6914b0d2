#!/bin/bash
# agentcg.conf and its drop-ins set the class defaults of new steps; a
# reload (SIGHUP through systemctl reload, or the Reload method) picks up
# changes, and a bad file is rejected with FILE:LINE while the old
# configuration stays.  A bad file at start keeps the daemon from starting.
. /usr/lib/agentcg-tests/lib.sh

conf=/etc/agentcg
mkdir -p "$conf/agentcg.conf.d"
cleanup() {
	rm -rf "$conf/agentcg.conf" "$conf/agentcg.conf.d"
}
trap cleanup EXIT

cat >"$conf/agentcg.conf" <<'CONF'
[Class.batch]
CPUWeight=150
MemoryMax=512M
CONF
cat >"$conf/agentcg.conf.d/10-interactive.conf" <<'CONF'
[Class.interactive]
CPUWeight=700
CONF

start_daemon
sleep 600 &
agentcgctl session-new conf --pid $!
S=$SLICE/agentcg-conf.scope

agentcgctl step-new conf plain
assert_eq "$(cat $S/plain/cpu.weight)" 150 "cpu.weight of the default class from agentcg.conf"
assert_eq "$(cat $S/plain/memory.max)" 536870912 "memory.max of the default class"
agentcgctl step-new conf inter --class interactive
assert_eq "$(cat $S/inter/cpu.weight)" 700 "cpu.weight of class interactive from a drop-in"
agentcgctl step-new conf explicit --cpu-weight 90
assert_eq "$(cat $S/explicit/cpu.weight)" 90 "an explicit weight beats the class default"

# A bad drop-in: rejected with its file and line, old values stay.
printf '[Class.batch]\nCPUWeight=150\nCPUWieght=3\n' >"$conf/agentcg.conf.d/99-bad.conf"
out=$(gdbus call --system --dest org.agentcg1 --object-path /org/agentcg1 \
	--method org.agentcg1.Manager.Reload 2>&1 || true)
assert_match "$out" 'org\.agentcg1\.Error\.InvalidConfig.*99-bad\.conf:3' "Reload error"
systemctl reload agentcgroupd.service
assert_match "$(journal_field $MID_CONFIG_REJECTED AGENTCG_CONFIG_ERROR)" '99-bad\.conf:3' \
	"journal: rejected configuration"
agentcgctl step-new conf after-bad
assert_eq "$(cat $S/after-bad/cpu.weight)" 150 "cpu.weight after a rejected reload"

# Fixed: the reload takes.
printf '[Class.batch]\nCPUWeight=175\n' >"$conf/agentcg.conf.d/99-bad.conf"
systemctl reload agentcgroupd.service
assert_eq "$(systemctl is-active agentcgroupd.service)" active "agentcgroupd after reload"
agentcgctl step-new conf after-fix
assert_eq "$(cat $S/after-fix/cpu.weight)" 175 "cpu.weight after a good reload"
assert_eq "$(journal_field $MID_CONFIG_LOADED AGENTCG_RELOAD)" 1 "journal: configuration reloaded"

agentcgctl session-end conf
stop_daemon

# A bad configuration at start: the daemon refuses to run on defaults.
printf '[Manager]\nDefaultClass=turbo\n' >"$conf/agentcg.conf.d/99-bad.conf"
if systemctl start agentcgroupd.service 2>/dev/null; then
	fail "agentcgroupd started with an invalid configuration"
fi
note "ok: agentcgroupd refused to start with an invalid configuration"
rm "$conf/agentcg.conf.d/99-bad.conf"
systemctl reset-failed agentcgroupd.service
start_daemon
stop_daemon
