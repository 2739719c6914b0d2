# bash completion for agentcgctl(1): verbs, options, and session and step
# names as the daemon lists them (agentcgctl list).
_agentcgctl_sessions() {
	agentcgctl list 2>/dev/null | awk '/^[^ ]/ { print $1 }'
}

_agentcgctl_steps() {
	agentcgctl list 2>/dev/null |
		awk -v s="$1" '/^[^ ]/ { cur = $1; next } cur == s { print $1 }'
}

_agentcgctl() {
	local cur prev verb="" i
	local verbs="status list show top session-new session-end step-new step-add step-end freeze thaw kill run"
	local limits="--class --cpu-weight --cpu-max --memory-high --memory-max --tasks-max"
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	for ((i = 1; i < COMP_CWORD; i++)); do
		case "${COMP_WORDS[i]}" in
		-*) ;;
		*) verb=${COMP_WORDS[i]}; break ;;
		esac
	done

	case "$prev" in
	--class)
		COMPREPLY=($(compgen -W "interactive latency batch besteffort" -- "$cur"))
		return ;;
	--session)
		COMPREPLY=($(compgen -W "$(_agentcgctl_sessions)" -- "$cur"))
		return ;;
	--cpu-weight | --cpu-max | --memory-high | --memory-max | --tasks-max | --pid | --step | --grace)
		return ;;
	esac

	if [ -z "$verb" ]; then
		COMPREPLY=($(compgen -W "$verbs --help --version --no-ask-password --json" -- "$cur"))
		return
	fi

	# Words after the verb that are not options: the positional arguments.
	local -a pos=()
	for ((i = i + 1; i < COMP_CWORD; i++)); do
		case "${COMP_WORDS[i]}" in
		--) [ "$verb" = run ] && { COMPREPLY=($(compgen -c -- "$cur")); return; } ;;
		-*) ;;
		*) pos+=("${COMP_WORDS[i]}") ;;
		esac
	done

	case "$verb" in
	step-new) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "$limits" -- "$cur")) ;;
	run) COMPREPLY=($(compgen -W "$limits --session --step --" -- "$cur")) ;;
	step-end) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "--grace" -- "$cur")) ;;
	session-new) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "--pid" -- "$cur")) ;;
	list | status | show) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
	top) [[ "$cur" == -* ]] && COMPREPLY=($(compgen -W "--interval --iterations" -- "$cur")) ;;
	esac
	[ ${#COMPREPLY[@]} -gt 0 ] && return

	case "$verb:${#pos[@]}" in
	show:0 | session-end:0 | step-new:0 | step-add:0 | step-end:0 | freeze:0 | thaw:0 | kill:0)
		COMPREPLY=($(compgen -W "$(_agentcgctl_sessions)" -- "$cur")) ;;
	show:1 | step-add:1 | step-end:1 | freeze:1 | thaw:1 | kill:1)
		COMPREPLY=($(compgen -W "$(_agentcgctl_steps "${pos[0]}")" -- "$cur")) ;;
	step-add:2)
		COMPREPLY=($(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur")) ;;
	esac
}
complete -F _agentcgctl agentcgctl
