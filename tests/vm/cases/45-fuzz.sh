#!/bin/bash
# vm-timeout: 600
# Random input against every method, on the manager and on the session
# and step objects: hostile strings, huge and zero numbers, wrong argument
# types (busctl sends whatever signature it is told), file descriptors
# that are no pidfds, and object paths that name nothing.  The daemon must never crash or restart, and a call that was
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
	KillStep ListSteps OpenStep Reload CreateSessionWithProperties SetSessionProperties
	CreateSessionByPIDFD AddProcessByPIDFD)
sigs=(su s ss ssu sst "ssa(sv)" t u "" x b as "sua(sv)" "sa(sv)" "a(sv)" "sha(sv)" ssh h)
# Objects: real ones, escaped garbage, and paths below them.
objects=(/org/agentcg1/session/fz /org/agentcg1/session/fz/step/live
	/org/agentcg1/session/nope /org/agentcg1/session/fz/step/nope
	/org/agentcg1/session/_2e_2e /org/agentcg1/session/fz/step/_2fetc
	/org/agentcg1/session/fz/step /org/agentcg1/session/fz/step/live/x)
object_methods=(Session.End Session.SetProperties Step.Freeze Step.Thaw Step.Kill Step.End)

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
		# busctl's stdin, stdout or stderr: fds, but no pidfds.
		h) printf '%s\0' "$((RANDOM % 3))" ;;
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
	path=/org/agentcg1 iface=org.agentcg1.Manager
	# One call in four goes to a session or step object.
	if [ $((RANDOM % 4)) = 0 ]; then
		path=$(pick objects)
		om=$(pick object_methods)
		iface=org.agentcg1.${om%%.*} method=${om#*.}
	fi
	case $((RANDOM % 2)):$method in
	0:CreateSession) sig=su ;; 0:EndSession | 0:ListSteps) sig=s ;;
	0:CreateSessionWithProperties) sig="sua(sv)" ;; 0:SetSessionProperties) sig="sa(sv)" ;;
	0:SetProperties) sig="a(sv)" ;; 0:End) [ "$iface" = org.agentcg1.Step ] && sig=t || sig="" ;;
	0:Freeze | 0:Thaw | 0:Kill) sig="" ;;
	0:CreateStep) sig="ssa(sv)" ;; 0:AddProcess) sig=ssu ;; 0:EndStep) sig=sst ;;
	0:CreateSessionByPIDFD) sig="sha(sv)" ;; 0:AddProcessByPIDFD) sig=ssh ;;
	0:FreezeStep | 0:ThawStep | 0:KillStep | 0:OpenStep) sig=ss ;; 0:Reload) sig="" ;;
	*) sig=$(pick sigs) ;;
	esac
	before=$(tree)
	mapfile -d '' argv < <(args_for "$sig")
	if timeout 60 busctl call org.agentcg1 "$path" "$iface" "$method" \
		"$sig" "${argv[@]}" >/dev/null 2>/tmp/fuzz.err; then
		accepted=$((accepted + 1))
	else
		refused=$((refused + 1))
		after=$(tree)
		[ "$after" = "$before" ] || fail "refused $path $method $sig ${argv[*]} changed the tree: $(diff <(echo "$before") <(echo "$after"))"
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
