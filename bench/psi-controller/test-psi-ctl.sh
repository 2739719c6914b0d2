#!/bin/bash
# Host test of agentcg-psi-ctl on a fake cgroup tree (plain files in a
# temporary directory): session "hog" keeps using both CPUs while session
# "victim" stalls, and the hog's step keeps hitting memory.max.  The
# controller must halve the hog's weight, double the victim's, put a
# memory.high on the hog's step, log all three, and write its summary on
# SIGTERM.  Nothing here needs cgroups, root or a VM.
#
# Usage: test-psi-ctl.sh PATH-TO-agentcg-psi-ctl
set -euo pipefail

ctl=${1:?usage: test-psi-ctl.sh AGENTCG-PSI-CTL}
root=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$root"' EXIT
pid=

psi() {
	printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=%s\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' "$1"
}

for s in hog victim; do
	d=$root/agentcg-$s.scope
	mkdir -p "$d/supervisor" "$d/step"
	echo 100 >"$d/cpu.weight"
	echo "usage_usec 0" >"$d/cpu.stat"
	psi 0 >"$d/cpu.pressure"
	printf 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n' >"$d/step/memory.events"
	psi 0 >"$d/step/memory.pressure"
	echo max >"$d/step/memory.high"
	echo 1073741824 >"$d/step/memory.max"
done
echo 536870912 >"$root/agentcg-hog.scope/step/memory.current"
echo 16777216 >"$root/agentcg-victim.scope/step/memory.current"

"$ctl" --interval-ms 20 --root "$root" --log "$root/actions.csv" --summary "$root/summary.txt" &
pid=$!

# Counters that grow as they would: the hog 2 CPUs' worth, the victim
# stalled half the time, the hog's step at memory.max now and then.
for ((i = 1; i <= 40; i++)); do
	echo "usage_usec $((i * 20000 * 2))" >"$root/agentcg-hog.scope/cpu.stat"
	echo "usage_usec $((i * 200))" >"$root/agentcg-victim.scope/cpu.stat"
	psi $((i * 10000)) >"$root/agentcg-victim.scope/cpu.pressure"
	printf 'low 0\nhigh 0\nmax %d\noom 0\noom_kill 0\n' "$i" >"$root/agentcg-hog.scope/step/memory.events"
	sleep 0.02
done
kill -TERM "$pid"
wait "$pid"
pid=

fail() {
	echo "test-psi-ctl: $*" >&2
	cat "$root/actions.csv" >&2
	exit 1
}

grep -q '^[0-9]*,agentcg-hog.scope,cpu.weight,100,50,hog$' "$root/actions.csv" || fail "hog not halved"
grep -q '^[0-9]*,agentcg-victim.scope,cpu.weight,100,200,stalled$' "$root/actions.csv" ||
	fail "victim not boosted"
grep -q '^[0-9]*,agentcg-hog.scope/step,memory.high,max,402653184,pressure$' "$root/actions.csv" ||
	fail "no memory.high at 3/4 of the hog step's usage"
[ "$(cat "$root/agentcg-hog.scope/step/memory.high")" != max ] || fail "memory.high not written"
grep -q '^ticks=[1-9]' "$root/summary.txt" || fail "no summary"
! grep -q 'agentcg-victim.scope/step,memory.high' "$root/actions.csv" || fail "the victim's step was throttled"
echo "test-psi-ctl: ok"
