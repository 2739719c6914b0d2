#!/bin/bash
# The full evaluation as a testbed case: bench/run-eval boots the guest
# with this case and the settings it wrote to /usr/lib/agentcg-bench/
# eval.conf (plan, repetitions, arms, scenarios), and takes the results
# back from /run/agentcg-tests/eval.  Fails only if the harness did not
# produce well-formed results; what the numbers say is the analysis's job.
. /usr/lib/agentcg-tests/lib.sh

bench=/usr/lib/agentcg-bench
out=/run/agentcg-tests/eval
[ -f "$bench/eval.conf" ] || fail "no $bench/eval.conf (bench/run-eval writes it)"
# FIRST_REP REPS ARMS SCENARIOS DEADLINE_MS PLAN
. "$bench/eval.conf"

rm -rf "$out"
"$bench/eval-guest" --plan "$bench/$PLAN" --out "$out" --first-rep "$FIRST_REP" \
	--reps "$REPS" --arms "$ARMS" --scenarios "$SCENARIOS" --deadline-ms "$DEADLINE_MS" ||
	fail "eval-guest failed"
"$bench/eval-check" "$out" "$ARMS" "$SCENARIOS" "$REPS" "$FIRST_REP" ||
	fail "the harness's output is not well formed"
