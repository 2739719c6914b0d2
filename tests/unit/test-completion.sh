#!/bin/bash
# The bash completion offers agentcgctl's verbs, options and classes (the
# parts that need no daemon).  Prints "N passed, N failed".
set -u
source "$1"
pass=0 failed=0

check() {
	local expected=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_agentcgctl
	if [ "${COMPREPLY[*]}" = "$expected" ]; then
		pass=$((pass + 1))
	else
		failed=$((failed + 1))
		echo "completing '$*': expected '$expected', got '${COMPREPLY[*]}'" >&2
	fi
}

check "step-new step-add step-end" agentcgctl ste
check "freeze" agentcgctl fr
check "--class" agentcgctl step-new s x --cl
check "interactive latency batch besteffort" agentcgctl run --class ""
check "--grace" agentcgctl step-end --g
check "--session --step" agentcgctl run --s
check "show" agentcgctl sh
check "top" agentcgctl to
check "--interval --iterations" agentcgctl top --
check "--json" agentcgctl show s t --j

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
