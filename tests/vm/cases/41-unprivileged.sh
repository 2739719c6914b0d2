#!/bin/bash
# vm-timeout: 600
# An unprivileged user manages its own sessions through the API: it may
# adopt and place only its own processes, sees and touches only its own
# sessions, cannot reload or set budgets, and is held to the per-user
# quotas of agentcg.conf, each refusal with its own error name.  polkitd
# runs in the testbed: by default it does not authorize the user for
# org.agentcg1.manage-all; once a rule grants it, the user manages root's
# session and may reload.  agentcgctl run works for the user too.
. /usr/lib/agentcg-tests/lib.sh

U=agentcg-test
uid=$(id -u $U)
conf=/etc/agentcg
mkdir -p "$conf"
printf '[Manager]\nMaxSessionsPerUser=2\nMaxStepsPerUser=3\nMaxMemoryPerUser=160M\n' >"$conf/agentcg.conf"
rules=/etc/polkit-1/rules.d/50-agentcg-test.rules
trap 'rm -f "$conf/agentcg.conf" "$rules"' EXIT
[ -f /usr/share/polkit-1/actions/org.agentcg1.policy ] || fail "polkit action file not installed"
start_daemon

as_user() {
	runuser -u $U -- "$@"
}

# gdbus as the user, printing the error name of a refusal.
ucall() {
	local path=$1 method=$2
	shift 2
	as_user gdbus call --system --dest org.agentcg1 --object-path "$path" \
		--method "$method" -- "$@" 2>&1 || true
}

# expect_refused ERROR OUTPUT WHAT
expect_refused() {
	[[ "$2" == *"org.agentcg1.Error.$1"* ]] || fail "$3: expected org.agentcg1.Error.$1, got: $2"
	note "ok: $3 -> $1"
}

snapshot() {
	systemctl list-units --all --no-legend --plain 'agentcg-*.scope' | awk '{ print $1 }'
	slice_children
}

# The user's own process, and one of root's.
as_user sleep 600 &
sleep 0.5
upid=$(pgrep -u $U -n sleep)
sleep 600 &
rpid=$!

# Root's session, which the user must not touch.
agentcgctl session-new rootsess --pid "$rpid"
agentcgctl step-new rootsess rstep >/dev/null

# The user's session, for its own process.
as_user agentcgctl session-new mine --pid "$upid"
assert_eq "$(cut -d: -f3 /proc/$upid/cgroup)" /agentcg.slice/agentcg-mine.scope/supervisor \
	"cgroup of the user's adopted process"
assert_eq "$(busctl --json=short get-property org.agentcg1 /org/agentcg1/session/mine \
	org.agentcg1.Session Owner | jq -r .data)" "$uid" "Owner of the user's session"

as_user agentcgctl step-new mine s1 --memory-max 64M >/dev/null
as_user sleep 600 &
sleep 0.5
upid2=$(pgrep -u $U -n sleep)
as_user agentcgctl step-add mine s1 "$upid2"
assert_eq "$(cut -d: -f3 /proc/$upid2/cgroup)" /agentcg.slice/agentcg-mine.scope/s1 \
	"cgroup of the user's process in its step"
as_user agentcgctl freeze mine s1
assert_eq "$(sed -n 's/^frozen //p' $SLICE/agentcg-mine.scope/s1/cgroup.events)" 1 "user froze its step"
as_user agentcgctl thaw mine s1

# agentcgctl run as the user: it may not write the step's cgroup.procs, so
# clone3(CLONE_INTO_CGROUP) is refused and the daemon places the child by
# pidfd before it execs.  The command sees itself in its step.
rc=0
out=$(as_user agentcgctl run --session mine --step r1 --memory-max 16M -- \
	sh -c 'cat /proc/self/cgroup; exit 3') || rc=$?
assert_eq "$rc" 3 "exit status of the user's agentcgctl run"
assert_eq "$out" 0::/agentcg.slice/agentcg-mine.scope/r1 "cgroup of the command the user ran"
[ ! -d "$SLICE/agentcg-mine.scope/r1" ] || fail "the user's run left its step behind"

# What the user sees: its own session only.
seen=$(as_user agentcgctl list | awk '/^[^ ]/ { print $1 }' | tr '\n' ' ')
assert_eq "$seen" "mine " "sessions the user lists"
if as_user busctl introspect org.agentcg1 /org/agentcg1/session/rootsess 2>/dev/null |
	grep -q org.agentcg1.Session; then
	fail "the user sees root's session object"
fi
note "ok: root's session object is invisible to the user"

before=$(snapshot)
# Root's process and root's session are out of reach.
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.CreateSession theirs "uint32 $rpid")" \
	"session for root's process"
# agentcgctl session-new names the process by pidfd (CreateSessionByPIDFD).
assert_match "$(as_user agentcgctl session-new theirs --pid "$rpid" 2>&1 || true)" \
	"Process $rpid does not run as uid $uid" "session-new for root's process, by pidfd"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.AddProcess mine s1 "uint32 $rpid")" \
	"root's process into the user's step"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.CreateStep rootsess x '@a(sv) []')" \
	"step in root's session"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.EndSession rootsess)" \
	"ending root's session"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.KillStep rootsess rstep)" \
	"killing root's step"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.ListSteps rootsess)" \
	"listing root's steps"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.Reload)" "Reload"
expect_refused AccessDenied "$(ucall /org/agentcg1 org.agentcg1.Manager.SetSessionProperties mine \
	"[('MemoryMax', <uint64 1073741824>)]")" "a budget on its own session"
assert_eq "$(snapshot)" "$before" "units and cgroups after the refusals"
[ -d "$SLICE/agentcg-rootsess.scope/rstep" ] || fail "root's step is gone"
assert_eq "$(cut -d: -f3 /proc/$rpid/cgroup)" /agentcg.slice/agentcg-rootsess.scope/supervisor \
	"root's process stayed where it was"

# Quotas: 2 sessions, 3 steps, 160M of MemoryMax.
as_user sleep 600 &
sleep 0.5
as_user agentcgctl session-new second --pid "$(pgrep -u $U -n sleep)"
as_user sleep 600 &
sleep 0.5
expect_refused TooManySessions \
	"$(ucall /org/agentcg1 org.agentcg1.Manager.CreateSession third "uint32 $(pgrep -u $U -n sleep)")" \
	"a third session"
expect_refused MemoryQuotaExceeded \
	"$(ucall /org/agentcg1 org.agentcg1.Manager.CreateStep mine nolimit '@a(sv) []')" \
	"a step without MemoryMax under a memory quota"
expect_refused MemoryQuotaExceeded \
	"$(ucall /org/agentcg1 org.agentcg1.Manager.CreateStep mine big "[('MemoryMax', <uint64 134217728>)]")" \
	"64M + 128M above 160M"
as_user agentcgctl step-new second s2 --memory-max 32M >/dev/null
as_user agentcgctl step-new second s3 --memory-max 32M >/dev/null
expect_refused TooManySteps \
	"$(ucall /org/agentcg1 org.agentcg1.Manager.CreateStep second s4 "[('MemoryMax', <uint64 16777216>)]")" \
	"a fourth step"
[ ! -d "$SLICE/agentcg-second.scope/s4" ] || fail "a refused step exists"
[ -z "$(systemctl list-units --all --no-legend 'agentcg-third*')" ] || fail "a refused session exists"

assert_match "$(ucall /org/agentcg1 org.agentcg1.Manager.Reload)" 'polkit does not authorize' \
	"the refusal names polkit's answer"

# Root is exempt from the quotas and manages the user's session too.
agentcgctl step-new second rootmade >/dev/null
agentcgctl step-end second rootmade >/dev/null

refused=$(journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_REQUEST_REFUSED | jq -r .AGENTCG_ERROR | sort | uniq -c)
echo "$refused"
grep -q 'TooManySessions' <<<"$refused" || fail "no TooManySessions refusal in the journal"

# A polkit rule makes the user an administrator: root's session, beyond
# the quotas, and Reload.
cat >"$rules" <<'RULES'
polkit.addRule(function(action, subject) {
	if (action.id == "org.agentcg1.manage-all" && subject.user == "agentcg-test")
		return polkit.Result.YES;
});
RULES
wait_for 30 sh -c "runuser -u $U -- gdbus call --system --dest org.agentcg1 --object-path /org/agentcg1 \
	--method org.agentcg1.Manager.Reload >/dev/null 2>&1" ||
	fail "Reload still refused for the user with a polkit rule: $(ucall /org/agentcg1 org.agentcg1.Manager.Reload)"
note "ok: the polkit rule lets the user reload"
out=$(ucall /org/agentcg1 org.agentcg1.Manager.KillStep rootsess rstep)
[[ "$out" != *Error* ]] || fail "KillStep on root's step refused with the rule: $out"
out=$(ucall /org/agentcg1 org.agentcg1.Manager.CreateStep second s4 "[('MemoryMax', <uint64 16777216>)]")
[[ "$out" != *Error* ]] || fail "a fourth step refused with the rule: $out"
[ -d "$SLICE/agentcg-second.scope/s4" ] || fail "the fourth step does not exist"
note "ok: with the rule the user manages root's step and goes beyond its quota"
seen=$(as_user agentcgctl list | awk '/^[^ ]/ { print $1 }' | sort | tr '\n' ' ')
assert_eq "$seen" "mine rootsess second " "sessions an administrator by polkit's word lists"
rm -f "$rules"

as_user agentcgctl step-end mine s1 >/dev/null
as_user agentcgctl session-end mine
as_user agentcgctl session-end second
agentcgctl session-end rootsess
assert_eq "$(slice_children)" "" "agentcg.slice empty at the end"
stop_daemon
