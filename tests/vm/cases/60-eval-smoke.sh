#!/bin/bash
# vm-timeout: 600
# The evaluation harness end to end, small: a tiny replay plan, one
# repetition, every arm the daemon supports (eval-guest --list-arms: no
# control, static knobs, the userspace controller at 10/50/100 ms,
# memory.high alone, agentcg CPU-only, full, without coupling), each alone
# and next to the noisy neighbours; about 3 minutes under TCG.  It asserts
# only that every replay ran under its arm's scheduler and left well-formed
# results (bench/guest/eval-check), nothing about speed.
# bench/run-eval --quick runs this case and analyses what it leaves in
# /run/agentcg-tests/eval.  The harness is not part of `meson install`;
# bench/install-guest puts it into the testbed tree, and without it the
# case skips.
. /usr/lib/agentcg-tests/lib.sh

bench=/usr/lib/agentcg-bench
out=/run/agentcg-tests/eval
scenarios="alone noisy"

if [ ! -x "$bench/eval-guest" ] || [ ! -f "$bench/plan-quick.tsv" ]; then
	echo "SKIP: the eval harness is not in the testbed tree (see bench/install-guest)"
	exit 77
fi
arms=$("$bench/eval-guest" --list-arms) || fail "eval-guest --list-arms failed"
note "arms: $arms"

rm -rf "$out"
"$bench/eval-guest" --plan "$bench/plan-quick.tsv" --out "$out" --reps 1 \
	--arms "$arms" --scenarios "$scenarios" ||
	fail "eval-guest failed"
"$bench/eval-check" "$out" "$arms" "$scenarios" 1 ||
	fail "the harness's output is not well formed"
note "ok: every arm and scenario produced well-formed results"
sed "s/^/# /" "$out/runs.tsv"
