#!/bin/bash
# vm-timeout: 600
# Random input against every method: hostile strings, huge and zero
# numbers, and wrong argument types (busctl sends whatever signature it is
# told).  The daemon must never crash or restart, and a call that was
# refused must leave the cgroup tree and the unit list exactly as they
# were.  Deterministic: the seed is fixed.
. /usr/lib/agentcg-tests/lib.sh

CALLS=${CALLS:-150}
RANDOM=4242

start_daemon
pid=$(systemctl show -P MainPID agentcgroupd.service)
sleep 3600 &
holder=$!
agentcgctl session-new fz --pid "$holder"
agentcgctl step-new fz live

long=$(printf 'a%.0s' $(seq 300))
strings=("" "." ".." "/" "a/b" "../../etc" "$long" "cgroup.procs" "cpu.max" "supervisor"
	"-rf" "%s%n%x" '$(reboot)' "a b" "é" "fz" "live" "nope" "x" "memory.max" "\\")
numbers=(0 1 100 10000 10001 4096 1048576 18446744073709551615 4294967295 65536 $holder 1)
methods=(CreateSession EndSession CreateStep AddProcess EndStep FreezeStep ThawStep
	KillStep ListSteps OpenStep Reload)
sigs=(su s ss ssu sst "ssa(sv)" t u "" x b as)

pick() {
	local -n arr=$1
	echo "${arr[RANDOM % ${#arr[@]}]}"
}

# An argument list for SIGNATURE: random values of the right basic types,
# so that the daemon, not busctl, decides.
args_for() {
	local sig=$1 c
	for ((i = 0; i < ${#sig}; i++)); do
		c=${sig:i:1}
		case "$c" in
		s) printf '%s\0' "$(pick strings)" ;;
		u) printf '%s\0' "$(( $(pick numbers) % 4294967296 ))" ;;
		t) printf '%s\0' "$(pick numbers)" ;;
		x) printf '%s\0' "-$(pick numbers | cut -c1-18)" ;;
		b) printf '%s\0' true ;;
		a) if [ "${sig:i:5}" = "a(sv)" ]; then
			printf '%s\0' 2 CPUWeight t "$(pick numbers)" MemoryMax s "$(pick strings)"
			i=$((i + 4))
		   else
			printf '%s\0' 1 "$(pick strings)"; i=$((i + 1))
		   fi ;;
		esac
	done
}

tree() {
	find "$SLICE" -mindepth 1 -type d | sort
	systemctl list-units --all --no-legend --plain 'agentcg-*.scope' | awk '{ print $1 }'
}

refused=0 accepted=0
for n in $(seq "$CALLS"); do
	method=$(pick methods)
	# Half the calls use the method's real signature, half a random one.
	case $((RANDOM % 2)):$method in
	0:CreateSession) sig=su ;; 0:EndSession | 0:ListSteps) sig=s ;;
	0:CreateStep) sig="ssa(sv)" ;; 0:AddProcess) sig=ssu ;; 0:EndStep) sig=sst ;;
	0:FreezeStep | 0:ThawStep | 0:KillStep | 0:OpenStep) sig=ss ;; 0:Reload) sig="" ;;
	*) sig=$(pick sigs) ;;
	esac
	before=$(tree)
	mapfile -d '' argv < <(args_for "$sig")
	if timeout 60 busctl call org.agentcg1 /org/agentcg1 org.agentcg1.Manager "$method" \
		"$sig" "${argv[@]}" >/dev/null 2>/tmp/fuzz.err; then
		accepted=$((accepted + 1))
	else
		refused=$((refused + 1))
		after=$(tree)
		[ "$after" = "$before" ] || fail "refused $method $sig ${argv[*]} changed the tree: $(diff <(echo "$before") <(echo "$after"))"
	fi
	# A frozen step would hold later calls hostage; thaw whatever froze.
	for d in "$SLICE"/*/*/; do
		[ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null || true
	done
done
note "ok: $CALLS random calls, $accepted accepted, $refused refused without side effects"

assert_eq "$(systemctl show -P MainPID agentcgroupd.service)" "$pid" "daemon PID after the fuzz"
assert_eq "$(systemctl show -P NRestarts agentcgroupd.service)" 0 "daemon restarts"
assert_eq "$(systemctl is-active agentcgroupd.service)" active "daemon state"
for s in $(busctl --json=short call org.agentcg1 /org/agentcg1 org.agentcg1.Manager ListSessions |
	jq -r '.data[0][][0]'); do
	agentcgctl session-end "$s" 2>/dev/null || true
done
stop_daemon
