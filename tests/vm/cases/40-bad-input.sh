#!/bin/bash
# Bad input gets a D-Bus error that names the problem, and leaves nothing
# behind: no unit, no cgroup.  dbus-send shows the error name, which busctl
# does not.
. /usr/lib/agentcg-tests/lib.sh

start_daemon

# gdbus shows the error name, which busctl does not, and takes arguments
# in GVariant text: strings quoted, integers typed.
call() {
	local method=$1
	shift
	gdbus call --system --dest org.agentcg1 --object-path /org/agentcg1 \
		--method "org.agentcg1.Manager.$method" -- "$@" 2>&1 || true
}

q() {
	printf "'%s'" "$1"
}

# expect_error ERROR_NAME PHRASE METHOD ARGS...
expect_error() {
	local name=$1 phrase=$2 out
	shift 2
	out=$(call "$@")
	[[ "$out" == *"org.agentcg1.Error.$name"* ]] ||
		fail "$* : expected org.agentcg1.Error.$name, got: $out"
	[[ "$out" == *"$phrase"* ]] || fail "$* : message lacks '$phrase': $out"
	note "ok: $1 -> $name ($phrase)"
}

units_and_cgroups() {
	systemctl list-units --all --no-legend --plain 'agentcg-*.scope' | awk '{ print $1 }'
	slice_children
}

sleep 600 &
holder=$!
agentcgctl session-new good --pid "$holder"
before=$(units_and_cgroups)

long=$(printf 'x%.0s' $(seq 65))
for bad in "" "a/b" ".." "." "../../etc" "$long" "cgroup.procs" "cpu.weight" \
	"memory.max" "supervisor" "-x" "a b"; do
	expect_error InvalidName "name" CreateSession "$(q "$bad")" "uint32 $holder"
	expect_error InvalidName "name" CreateStep "'good'" "$(q "$bad")" "@a(sv) []"
done
expect_error InvalidName "contains '/'" CreateStep "'good'" "'a/b'" "@a(sv) []"
expect_error InvalidName "relative directory" CreateStep "'good'" "'..'" "@a(sv) []"
expect_error InvalidName "is empty" CreateSession "''" "uint32 $holder"
expect_error InvalidName "longer than 64" CreateStep "'good'" "$(q "$long")" "@a(sv) []"
expect_error InvalidName "cgroup interface file" CreateStep "'good'" "'cgroup.procs'" "@a(sv) []"

expect_error NoSuchSession "No session 'nope'" CreateStep "'nope'" "'s'" "@a(sv) []"
expect_error NoSuchSession "No session 'nope'" EndSession "'nope'"
expect_error NoSuchSession "No session 'nope'" AddProcess "'nope'" "'s'" "uint32 $holder"
expect_error NoSuchSession "No session 'nope'" EndStep "'nope'" "'s'" "uint64 0"
expect_error NoSuchStep "No step 'nostep'" EndStep "'good'" "'nostep'" "uint64 0"
expect_error NoSuchStep "No step 'nostep'" AddProcess "'good'" "'nostep'" "uint32 $holder"
expect_error NoSuchStep "No step 'nostep'" FreezeStep "'good'" "'nostep'"
expect_error NoSuchStep "No step 'nostep'" KillStep "'good'" "'nostep'"

# A PID that does not exist: the largest possible and one just freed.
sh -c 'exit 0' & dead=$!; wait $dead
expect_error NoSuchProcess "No process with PID" CreateSession "'ghost'" "uint32 $dead"
expect_error NoSuchProcess "No process with PID" CreateSession "'ghost'" "uint32 4194305"
agentcgctl step-new good s1
expect_error NoSuchProcess "No process with PID" AddProcess "'good'" "'s1'" "uint32 $dead"
agentcgctl step-end good s1

# Settings out of range, unknown or of the wrong type.
expect_error InvalidLimit "CPUWeight 10001" CreateStep "'good'" "'w'" \
	"@a(sv) [('CPUWeight', <uint64 10001>)]"
expect_error InvalidLimit "CPUWeight 0" CreateStep "'good'" "'w'" \
	"@a(sv) [('CPUWeight', <uint64 0>)]"
expect_error InvalidLimit "MemoryMax 4096" CreateStep "'good'" "'w'" \
	"@a(sv) [('MemoryMax', <uint64 4096>)]"
expect_error InvalidLimit "above MemoryMax" CreateStep "'good'" "'w'" \
	"@a(sv) [('MemoryMax', <uint64 67108864>), ('MemoryHigh', <uint64 134217728>)]"
expect_error InvalidLimit "CPUMaxPeriodUSec" CreateStep "'good'" "'w'" \
	"@a(sv) [('CPUMaxPeriodUSec', <uint64 10>)]"
expect_error InvalidLimit "Unknown step property" CreateStep "'good'" "'w'" \
	"@a(sv) [('Bogus', <uint64 1>)]"
expect_error InvalidLimit "not one of" CreateStep "'good'" "'w'" \
	"@a(sv) [('Class', <'realtime'>)]"
expect_error InvalidLimit "must be of D-Bus type" CreateStep "'good'" "'w'" \
	"@a(sv) [('CPUWeight', <'heavy'>)]"
expect_error InvalidLimit "grace_usec" EndStep "'good'" "'nostep'" "uint64 999999999999"
expect_error SessionExists "already exists" CreateSession "'good'" "uint32 $holder"

# Session budgets: the same names and ranges, and only what systemd can set.
expect_error InvalidLimit "not a session property" CreateSessionWithProperties "'bp'" \
	"uint32 $holder" "@a(sv) [('OOMGroup', <true>)]"
expect_error InvalidLimit "must be of D-Bus type" CreateSessionWithProperties "'bp'" \
	"uint32 $holder" "@a(sv) [('MemoryMax', <'1G'>)]"
expect_error InvalidLimit "CPUWeight 0" SetSessionProperties "'good'" \
	"@a(sv) [('CPUWeight', <uint64 0>)]"
expect_error InvalidLimit "above MemoryMax" SetSessionProperties "'good'" \
	"@a(sv) [('MemoryMax', <uint64 67108864>), ('MemoryHigh', <uint64 134217728>)]"
expect_error NoSuchSession "No session 'nope'" SetSessionProperties "'nope'" \
	"@a(sv) [('CPUWeight', <uint64 100>)]"
expect_error SessionExists "already exists" CreateSessionWithProperties "'good'" \
	"uint32 $holder" "@a(sv) [('CPUWeight', <uint64 100>)]"

after=$(units_and_cgroups)
assert_eq "$after" "$before" "units and cgroups after the refused calls"
[ -z "$(systemctl list-units --all --no-legend 'agentcg-ghost*')" ] || fail "ghost unit exists"

refused=$(journalctl -b -u agentcgroupd -o json MESSAGE_ID=$MID_REQUEST_REFUSED | wc -l)
[ "$refused" -ge 30 ] || fail "only $refused refusals in the journal"
note "ok: $refused refusals logged with AGENTCG_ERROR"

# The daemon survived all of it.
assert_eq "$(systemctl is-active agentcgroupd)" active "agentcgroupd after bad input"
agentcgctl session-end good
stop_daemon
