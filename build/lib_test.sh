#!/usr/bin/env bash
# Tests of build/lib.sh's step: a step that dies prints FAILED and the reason,
# a failing command inside a step fails it (set -e holds there), and step logs
# never share a name with a daemon's log. Run by build/verify.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# run_step BODY: runs a script that defines f with BODY and calls step demo f,
# with the node's logs under $tmp; prints its output and exit code.
run_step() {
	OUT=$tmp ROOT=$ROOT bash -c "
		source '$ROOT/build/lib.sh'
		NODE_LOGS=$tmp/logs
		f() { $1; }
		step demo f
		echo after-step
	" 2>&1 && echo "exit=0" || echo "exit=$?"
}

out=$(run_step 'echo working; die "a containerd not started by node-up serves the socket"')
if [[ $out != *"==> demo"*"FAILED"* || $out != *"a containerd not started by node-up serves the socket"* || $out == *after-step* || $out != *exit=1* ]]; then
	echo "FAIL: a step that dies must print FAILED and its reason and stop the script; got:"; echo "$out"; fail=1
fi

out=$(run_step 'false; echo should-not-run')
if [[ $out != *FAILED* || $out == *after-step* ]] || grep -q should-not-run "$tmp/logs/steps/demo.log"; then
	echo "FAIL: a failing command inside a step must fail it; got:"; echo "$out"; fail=1
fi

out=$(run_step 'echo fine')
if [[ $out != *"ok ("* || $out != *after-step* || $out != *exit=0* ]]; then
	echo "FAIL: a step that succeeds must print ok and go on; got:"; echo "$out"; fail=1
fi
if [[ ! -f $tmp/logs/steps/demo.log || -e $tmp/logs/demo.log ]]; then
	echo "FAIL: a step's log must be logs/steps/NAME.log, apart from the daemons' logs"; fail=1
fi

((fail == 0)) && echo "lib_test: ok"
exit $fail
