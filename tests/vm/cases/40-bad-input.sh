#!/bin/bash
# Bad input gets a D-Bus error that names the problem, and leaves nothing
# behind: no unit, no cgroup.  dbus-send shows the error name, which busctl
# does not.
. /usr/lib/agentcg-tests/lib.sh

start_daemon

call() {
	dbus-send --system --print-reply --dest=org.agentcg1 /org/agentcg1 \
		"org.agentcg1.Manager.$@" 2>&1 || true
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
	expect_error InvalidName "name" CreateSession "string:$bad" uint32:$holder
	expect_error InvalidName "name" CreateStep string:good "string:$bad" uint64:0 uint64:0
done
expect_error InvalidName "contains '/'" CreateStep string:good string:a/b uint64:0 uint64:0
expect_error InvalidName "relative directory" CreateStep string:good string:.. uint64:0 uint64:0
expect_error InvalidName "is empty" CreateSession string: uint32:$holder
expect_error InvalidName "longer than 64" CreateStep string:good "string:$long" uint64:0 uint64:0
expect_error InvalidName "cgroup interface file" CreateStep string:good string:cgroup.procs \
	uint64:0 uint64:0

expect_error NoSuchSession "No session 'nope'" CreateStep string:nope string:s uint64:0 uint64:0
expect_error NoSuchSession "No session 'nope'" EndSession string:nope
expect_error NoSuchSession "No session 'nope'" AddProcess string:nope string:s uint32:$holder
expect_error NoSuchSession "No session 'nope'" EndStep string:nope string:s
expect_error NoSuchStep "No step 'nostep'" EndStep string:good string:nostep
expect_error NoSuchStep "No step 'nostep'" AddProcess string:good string:nostep uint32:$holder

# A PID that does not exist: the largest possible and one just freed.
sh -c 'exit 0' & dead=$!; wait $dead
expect_error NoSuchProcess "No process with PID" CreateSession string:ghost uint32:$dead
expect_error NoSuchProcess "No process with PID" CreateSession string:ghost uint32:4194305
agentcgctl step-new good s1
expect_error NoSuchProcess "No process with PID" AddProcess string:good string:s1 uint32:$dead
agentcgctl step-end good s1

expect_error InvalidLimit "cpu_weight" CreateStep string:good string:w uint64:10001 uint64:0
expect_error InvalidLimit "memory_max" CreateStep string:good string:w uint64:100 uint64:4096
expect_error SessionExists "already exists" CreateSession string:good uint32:$holder

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
