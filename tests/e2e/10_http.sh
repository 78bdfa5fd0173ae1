#!/bin/sh
# tests/e2e/10_http.sh -- the Streamable HTTP rules, status code by status
# code, over real HTTP: lighttpd + mod_fastcgi, Apache + mod_fcgid, Apache +
# mod_proxy_fcgi (spawn-fcgi pool), and, smaller, Apache plain CGI (mod_cgid,
# vhost and .htaccess), Apache mod_fcgid from .htaccess, lighttpd plain CGI.
#
#   sh tests/e2e/10_http.sh            (tests/run.sh runs it the same way)
#   E2E_ONLY=lighttpd sh tests/e2e/10_http.sh   one server set: lighttpd,
#       fcgid, proxy_fcgi, cgi, htaccess_cgi, htaccess_fcgid, lighttpd_cgi
#   E2E_KEEP=1 / E2E_VERBOSE=1         keep the temp dir / show every request
#
# Each server gets its own copy of the data (config, shop.db, state.db).
# The configured limits are small on purpose: max_body_bytes 16384 (tested
# at N and N+1), page_size 2 over 5 tools (3 pages).
# shellcheck disable=SC2016,SC2034,SC2317
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

MAXBODY=16384
DEPTH=64		# BOUNDS_JSON_DEPTH in lib/bounds.h
RESOURCE=http://127.0.0.1/mcp
ACCEPT_BOTH="application/json, text/event-stream"

e2e_init

# --- data -------------------------------------------------------------------

# make_data NAME none|required: $E2E_TMP/data-NAME with the test config
# (auth mode as given), shop.db and an initialised state.db, owned by the
# service account.  Sets DATA and CFG; with "required" also AUTH_KEY, an API
# key with the scope orders:read only.
make_data() {
	DATA="$E2E_TMP/data-$1"
	AUTH_KEY=
	if [ "${2:-none}" = required ]; then
		# list_unauthorized_tools: a tool outside the key's scopes is
		# listed, and calling it is the 403 step-up challenge.
		_auth='{ "mode": "required", "list_unauthorized_tools": true,
    "throttle": { "failures": 1000, "window_seconds": 60, "block_seconds": 1 } }'
	else
		_auth='{ "mode": "none" }'
	fi
	CFG="$DATA/mcpgate.json"
	mkdir -p "$DATA"
	cat >"$CFG" <<EOF
{
  "server": {
    "name": "e2e",
    "endpoint": "/mcp",
    "resource_url": "$RESOURCE",
    "state_db": "state.db",
    "max_body_bytes": $MAXBODY,
    "page_size": 2,
    "sessions": true,
    "session_ttl_seconds": 3600,
    "allowed_origins": ["http://localhost:8080"],
    "allowed_hosts": ["localhost", "127.0.0.1"]
  },
  "auth": $_auth,
  "databases": { "shop": { "path": "shop.db" } },
  "tools": [
    { "name": "get_order", "kind": "sql", "database": "shop",
      "sql": "SELECT id, customer, amount_cents, status FROM orders WHERE id = :order_id",
      "result": "one", "scope": "orders:read",
      "input_schema": { "type": "object",
        "properties": { "order_id": { "type": "integer" } },
        "required": ["order_id"] },
      "annotations": { "readOnlyHint": true } },
    { "name": "list_orders", "kind": "sql", "database": "shop",
      "sql": "SELECT id, customer FROM orders ORDER BY id",
      "result": "rows", "scope": "orders:read",
      "input_schema": { "type": "object" },
      "annotations": { "readOnlyHint": true } },
    { "name": "add_note", "kind": "sql", "database": "shop",
      "sql": "INSERT INTO notes (body) VALUES (:body)",
      "result": "exec", "scope": "notes:write",
      "input_schema": { "type": "object",
        "properties": { "body": { "type": "string" } },
        "required": ["body"] },
      "annotations": { "readOnlyHint": false, "destructiveHint": false } },
    { "name": "hello", "kind": "static",
      "content": [ { "type": "text", "text": "hi" } ],
      "input_schema": { "type": "object" } },
    { "name": "goodbye", "kind": "static",
      "content": [ { "type": "text", "text": "bye" } ],
      "input_schema": { "type": "object" } }
  ]
}
EOF
	sqlite3 "$DATA/shop.db" <<'EOF'
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL,
    amount_cents INTEGER NOT NULL, status TEXT NOT NULL);
INSERT INTO orders VALUES (1, 'ada', 1250, 'paid'), (2, 'bob', 990, 'shipped');
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
EOF
	e2e_own "$DATA"
	if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
	    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1; then
		e2e_not_ok "$1: mcpgate init + check accept the test config"
		e2e_diag "$(cat "$DATA/init.out")"
		return 1
	fi
	[ "${2:-none}" = required ] || return 0
	AUTH_KEY=$(e2e_svc "$E2E_BIN" key create --name e2e \
	    --scope 'orders:read' --config "$CFG" 2>>"$DATA/init.out")
	case $AUTH_KEY in
	mcpk_*) return 0 ;;
	esac
	e2e_not_ok "$1: mcpgate key create --name e2e --scope orders:read prints a key"
	e2e_diag "$(cat "$DATA/init.out")"
	return 1
}

# notes_count LENGTH: rows in notes whose body is LENGTH characters long.
notes_count() {
	e2e_svc sqlite3 "$DATA/shop.db" \
	    "SELECT count(*) FROM notes WHERE length(body) = $1" 2>&1
}

# body_of_size FILE SIZE CHAR: a tools/call add_note request of exactly
# SIZE bytes whose note is a run of CHAR.  Prints the note's length.
body_of_size() {
	_pre='{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add_note","arguments":{"body":"'
	_suf='"}}}'
	_padlen=$(($2 - ${#_pre} - ${#_suf}))
	{
		printf '%s' "$_pre"
		head -c "$_padlen" /dev/zero | tr '\0' "$3"
		printf '%s' "$_suf"
	} >"$1"
	echo "$_padlen"
}

# nested FILE LEVELS: a ping whose body nests LEVELS arrays+objects in
# all (the message object and params count as 2).
nested() {
	_n=$(($2 - 2))
	{
		printf '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"d":'
		_i=0
		while [ "$_i" -lt "$_n" ]; do printf '['; _i=$((_i + 1)); done
		_i=0
		while [ "$_i" -lt "$_n" ]; do printf ']'; _i=$((_i + 1)); done
		printf '}}'
	} >"$1"
}

# mcpgate_pids: our running processes executing the binary under test.
mcpgate_pids() {
	for _p in $(e2e_tagged_pids); do
		_exe=$(readlink "/proc/$_p/exe" 2>/dev/null) || continue
		case $_exe in
		*/mcpgate|*/mcp.cgi|*/mcp.fcgi) echo "$_p" ;;
		esac
	done
}

t() {
	e2e_expect "$L: $1" "$2" "${3:-}"
}

json_ctype() {
	case $(e2e_hdr Content-Type) in
	application/json*) return 0 ;;
	esac
	e2e_diag "Content-Type: $(e2e_hdr Content-Type)"
	return 1
}

# --- the full rule set (FastCGI servers) ------------------------------------

suite_full() {
	E2E_SID=
	E2E_PV=

	# Routing: the endpoint and both RFC 9728 metadata URLs reach mcpgate.
	e2e_req -p /.well-known/oauth-protected-resource GET
	t "GET /.well-known/oauth-protected-resource -> 200 metadata from mcpgate" \
	    200 ".resource == \"$RESOURCE\""
	e2e_req -p /.well-known/oauth-protected-resource/mcp GET
	t "GET /.well-known/oauth-protected-resource/mcp -> 200 metadata from mcpgate" \
	    200 ".resource == \"$RESOURCE\""

	# Lifecycle and version negotiation.
	for v in 2025-11-25 2025-06-18 2025-03-26; do
		e2e_rpc initialize "{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}"
		t "initialize protocolVersion $v -> 200, $v echoed" 200 \
		    ".jsonrpc == \"2.0\" and .id == 1 and .result.protocolVersion == \"$v\" and .result.serverInfo.name == \"e2e\" and (.result.capabilities.tools | type) == \"object\""
	done
	for v in 2024-11-05 2099-01-01; do
		e2e_rpc initialize "{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}"
		t "initialize protocolVersion $v (unsupported) -> 200 with the latest, 2025-11-25" \
		    200 '.result.protocolVersion == "2025-11-25"'
	done
	e2e_check "$L: initialize answers Content-Type application/json" json_ctype
	_sid=$(e2e_hdr Mcp-Session-Id)
	e2e_check "$L: initialize issues an Mcp-Session-Id of visible ASCII (0x21-0x7E)" \
	    sh -c 'printf "%s" "$1" | grep -qE "^[!-~]+$"' sh "$_sid"
	e2e_rpc initialize '{"capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}'
	t "initialize without protocolVersion -> -32602" 200 \
	    '.error.code == -32602 and .id == 1'

	e2e_initialize 2025-11-25
	e2e_req POST '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	t "notifications/initialized -> 202 Accepted" 202
	e2e_check "$L: notifications/initialized -> empty body" \
	    test ! -s "$E2E_TMP/resp.b"
	e2e_req POST '{"jsonrpc":"2.0","id":77,"result":{}}'
	t "a JSON-RPC response from the client -> 202 Accepted" 202
	e2e_check "$L: a JSON-RPC response from the client -> empty body" \
	    test ! -s "$E2E_TMP/resp.b"

	e2e_rpc ping
	t "ping -> 200, empty result, same id" 200 \
	    '.jsonrpc == "2.0" and .id == 1 and .result == {}'
	e2e_rpc ping '' '"req-abc"'
	t "ping with a string id -> the same string id" 200 '.id == "req-abc"'
	e2e_check "$L: ping answers Content-Type application/json" json_ctype

	# tools/list, 5 tools at page_size 2: 2 + 2 + 1.
	e2e_rpc tools/list '{}'
	t "tools/list page 1 -> 2 tools and a nextCursor" 200 \
	    '(.result.tools | length) == 2 and (.result.nextCursor | type) == "string"'
	_c1=$(jq -r '.result.nextCursor // empty' "$E2E_TMP/resp.b")
	jq -r '.result.tools[].name' "$E2E_TMP/resp.b" >"$E2E_TMP/names"
	e2e_rpc tools/list "{\"cursor\":\"$_c1\"}"
	t "tools/list page 2 (cursor) -> 2 tools and a nextCursor" 200 \
	    '(.result.tools | length) == 2 and (.result.nextCursor | type) == "string"'
	_c2=$(jq -r '.result.nextCursor // empty' "$E2E_TMP/resp.b")
	jq -r '.result.tools[].name' "$E2E_TMP/resp.b" >>"$E2E_TMP/names"
	e2e_rpc tools/list "{\"cursor\":\"$_c2\"}"
	t "tools/list page 3 -> the last tool, no nextCursor" 200 \
	    '(.result.tools | length) == 1 and (.result | has("nextCursor") | not)'
	jq -r '.result.tools[].name' "$E2E_TMP/resp.b" >>"$E2E_TMP/names"
	e2e_check "$L: tools/list pages hold each of the 5 tools exactly once" \
	    sh -c 'test "$(sort -u "$1" | wc -l)" -eq 5 && test "$(wc -l <"$1")" -eq 5' \
	    sh "$E2E_TMP/names"
	e2e_rpc tools/list '{"cursor":"bogus"}'
	t "tools/list with an invalid cursor -> -32602" 200 \
	    '.error.code == -32602 and .id == 1'
	e2e_rpc tools/list '{"cursor":"999.000000000000"}'
	t "tools/list with a forged cursor -> -32602" 200 '.error.code == -32602'

	# tools/call
	e2e_rpc tools/call '{"name":"get_order","arguments":{"order_id":1}}'
	t "tools/call sql tool get_order -> the row" 200 \
	    '(.result.isError | not) and (.result.structuredContent.customer == "ada" or (.result.content[0].text | contains("ada")))'
	e2e_rpc tools/call '{"name":"hello","arguments":{}}'
	t "tools/call static tool hello -> its content" 200 \
	    '(.result.isError | not) and .result.content[0].type == "text" and .result.content[0].text == "hi"'
	e2e_rpc tools/call '{"name":"no_such_tool","arguments":{}}'
	t "tools/call unknown tool -> -32602" 200 \
	    '.error.code == -32602 and .id == 1'
	e2e_rpc tools/call '{"arguments":{}}'
	t "tools/call without name -> -32602" 200 '.error.code == -32602'
	e2e_rpc tools/call '{"name":"get_order","arguments":{"order_id":"one"}}'
	t "tools/call with arguments that fail the input schema -> isError result" \
	    200 '.result.isError == true and (.result.content | length) > 0'
	e2e_rpc no/such/method '{}'
	t "unknown method -> -32601" 200 '.error.code == -32601 and .id == 1'

	# Malformed JSON-RPC: HTTP 400, a JSON-RPC error, no usable id.
	e2e_req POST '{"jsonrpc":"2.0","id":1,"method":"ping"'
	t "truncated JSON -> 400, -32700 parse error, id null" 400 \
	    '.error.code == -32700 and .id == null'
	e2e_req POST 'not json'
	t "non-JSON body -> 400, -32700" 400 '.error.code == -32700'
	e2e_req POST ''
	t "empty body -> 400, -32700" 400 '.error.code == -32700'
	e2e_req POST '{"id":1,"method":"ping"}'
	t "missing \"jsonrpc\" -> 400, -32600 invalid request" 400 \
	    '.error.code == -32600'
	e2e_req POST '{"jsonrpc":"1.0","id":1,"method":"ping"}'
	t "\"jsonrpc\": \"1.0\" -> 400, -32600" 400 '.error.code == -32600'
	e2e_req POST '{"jsonrpc":"2.0","id":1,"method":42}'
	t "\"method\" a number -> 400, -32600" 400 '.error.code == -32600'
	e2e_req POST '{"jsonrpc":"2.0","id":null,"method":"ping"}'
	t "\"id\": null -> 400, -32600, id null" 400 \
	    '.error.code == -32600 and .id == null'
	e2e_req POST '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}'
	t "\"id\" an object -> 400, -32600, id null" 400 \
	    '.error.code == -32600 and .id == null'
	e2e_req POST '{"jsonrpc":"2.0","id":[1],"method":"ping"}'
	t "\"id\" an array -> 400, -32600, id null" 400 \
	    '.error.code == -32600 and .id == null'
	e2e_req POST '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'
	t "a batch (array) -> 400, -32600 (batches removed in 2025-06-18)" 400 \
	    '.error.code == -32600'
	e2e_req POST '42'
	t "a JSON number as the message -> 400, -32600" 400 '.error.code == -32600'
	e2e_req POST '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}'
	t "duplicate object keys -> 400, -32700 (rejected by the parser)" 400 \
	    '.error.code == -32700'
	printf '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"\377\376"}}' \
	    >"$E2E_TMP/bad-utf8"
	e2e_req -f "$E2E_TMP/bad-utf8" POST
	t "invalid UTF-8 in a string -> 400, -32700" 400 '.error.code == -32700'
	e2e_req POST '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"s":"a\u0000b"}}'
	t "\\u0000 in a string -> 400, -32700" 400 '.error.code == -32700'
	nested "$E2E_TMP/deep-ok" "$DEPTH"
	e2e_req -f "$E2E_TMP/deep-ok" POST
	t "JSON nested $DEPTH deep (BOUNDS_JSON_DEPTH) -> 200" 200 '.result == {}'
	nested "$E2E_TMP/deep-bad" $((DEPTH + 1))
	e2e_req -f "$E2E_TMP/deep-bad" POST
	t "JSON nested $((DEPTH + 1)) deep -> 400, -32700" 400 \
	    '.error.code == -32700'

	# Body limit: max_body_bytes N is accepted, N+1 is 413 and runs nothing.
	_len=$(body_of_size "$E2E_TMP/body-n" "$MAXBODY" a)
	e2e_req -f "$E2E_TMP/body-n" POST
	t "body of exactly max_body_bytes ($MAXBODY) -> 200, write tool runs" \
	    200 '.result.isError | not'
	e2e_check "$L: ... and its row is in the database" \
	    test "$(notes_count "$_len")" = 1
	_len=$(body_of_size "$E2E_TMP/body-n1" $((MAXBODY + 1)) b)
	e2e_req -f "$E2E_TMP/body-n1" POST
	t "body of max_body_bytes+1 -> 413 from mcpgate (JSON-RPC error body)" \
	    413 '.error.code | type == "number"'
	e2e_check "$L: ... and the write tool did not run" \
	    test "$(notes_count "$_len")" = 0
	_len=$(body_of_size "$E2E_TMP/body-n1c" $((MAXBODY + 1)) c)
	e2e_req -C -f "$E2E_TMP/body-n1c" POST
	t "chunked body of max_body_bytes+1 (no Content-Length) -> 413" 413
	e2e_check "$L: ... and the write tool did not run" \
	    test "$(notes_count "$_len")" = 0
	e2e_req -C POST '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	t "chunked body within the limit -> 200" 200 '.result == {}'

	# HTTP methods.
	e2e_req GET
	t "GET /mcp -> 405 (no server-initiated stream)" 405
	e2e_check "$L: GET 405 carries Allow with POST" \
	    sh -c 'echo "$1" | grep -q POST' sh "$(e2e_hdr Allow)"
	e2e_req PUT '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	t "PUT /mcp -> 405" 405
	e2e_check "$L: PUT 405 carries Allow with POST" \
	    sh -c 'echo "$1" | grep -q POST' sh "$(e2e_hdr Allow)"

	# Accept and Content-Type.
	e2e_rpc ping '' 1 -a text/html
	t "POST with Accept: text/html only -> 406" 406
	e2e_rpc ping '' 1 -a application/json
	t "POST with Accept: application/json only (no text/event-stream) -> 406" 406
	e2e_rpc ping '' 1 -a text/event-stream
	t "POST with Accept: text/event-stream only -> 406" 406
	e2e_rpc ping '' 1 -a '*/*'
	t "POST with Accept: */* -> 200" 200 '.result == {}'
	e2e_rpc ping '' 1 -c text/plain
	t "POST with Content-Type: text/plain -> 415" 415
	e2e_rpc ping '' 1 -c ''
	t "POST without Content-Type -> 415" 415
	e2e_rpc ping '' 1 -c 'application/json; charset=utf-8'
	t "POST with Content-Type: application/json; charset=utf-8 -> 200" 200 \
	    '.result == {}'

	# Origin and Host (DNS rebinding).
	e2e_rpc ping '' 1 -o http://localhost:8080
	t "Origin in allowed_origins -> 200" 200 '.result == {}'
	e2e_rpc ping '' 1 -o http://evil.example
	t "Origin not in allowed_origins -> 403" 403
	e2e_rpc ping '' 1 -h evil.example
	t "Host not in allowed_hosts (loopback listener) -> 403" 403
	e2e_rpc ping '' 1 -h "localhost:$E2E_PORT"
	t "Host localhost:PORT (allowed name, any port) -> 200" 200

	# MCP-Protocol-Version.
	e2e_rpc ping '' 1 -v 2025-06-18
	t "MCP-Protocol-Version 2025-06-18 (supported) -> 200" 200 '.result == {}'
	e2e_rpc ping '' 1 -v 1999-01-01
	t "MCP-Protocol-Version 1999-01-01 (unsupported) -> 400" 400
	e2e_rpc ping '' 1 -v ''
	t "no MCP-Protocol-Version (means 2025-03-26) -> 200" 200 '.result == {}'

	# Sessions.
	e2e_rpc tools/list '{}' 1 -s ''
	t "request without Mcp-Session-Id after initialize -> 400" 400
	e2e_rpc tools/list '{}' 1 \
	    -s 0000000000000000000000000000000000000000000000000000000000000000
	t "request with an unknown Mcp-Session-Id -> 404" 404
	e2e_rpc tools/list '{}' 1 -s 'not-a-session'
	t "request with a malformed Mcp-Session-Id -> 404" 404
	_n=0
	_bad=0
	while [ "$_n" -lt 6 ]; do
		e2e_rpc ping '' "$_n"
		[ "$E2E_CODE" = 200 ] || _bad=$((_bad + 1))
		_n=$((_n + 1))
	done
	e2e_check "$L: the session holds across 6 requests (any worker serves it)" \
	    test "$_bad" -eq 0
	e2e_req -s '' DELETE
	t "DELETE without Mcp-Session-Id -> 400" 400
	e2e_req DELETE
	t "DELETE with the session id -> 2xx (session ended)" '200|202|204'
	e2e_rpc ping
	t "request with the deleted session id -> 404" 404
	e2e_req DELETE
	t "DELETE of the deleted session -> 404" 404

	# Other paths never reach mcpgate's tools.
	e2e_req -p /mcp-other POST '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	t "POST /mcp-other -> 403 or 404 (not the endpoint)" '403|404'

}

# --- plain CGI: the same binary, one process per request --------------------

# suite_cgi cgi|fastcgi: the smaller set; the argument says whether a worker
# may stay up after its request.
suite_cgi() {
	_kind=$1
	E2E_SID=
	E2E_PV=
	e2e_rpc initialize '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}'
	t "initialize -> 200, 2025-11-25" 200 \
	    '.result.protocolVersion == "2025-11-25" and .result.serverInfo.name == "e2e"'
	E2E_SID=$(e2e_hdr Mcp-Session-Id)
	E2E_PV=2025-11-25
	e2e_check "$L: initialize issues an Mcp-Session-Id" test -n "$E2E_SID"
	e2e_req POST '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	t "notifications/initialized -> 202" 202
	e2e_rpc tools/list '{}'
	t "tools/list in the session (a new process) -> 200, 2 tools" 200 \
	    '(.result.tools | length) == 2'
	e2e_rpc tools/call '{"name":"get_order","arguments":{"order_id":2}}'
	t "tools/call sql tool get_order -> the row" 200 \
	    '(.result.isError | not) and (.result.structuredContent.customer == "bob" or (.result.content[0].text | contains("bob")))'
	e2e_rpc tools/call '{"name":"hello","arguments":{}}'
	t "tools/call static tool hello -> hi" 200 '.result.content[0].text == "hi"'
	e2e_rpc ping '' 1 -s ''
	t "request without Mcp-Session-Id -> 400" 400
	e2e_req -p /.well-known/oauth-protected-resource/mcp GET
	t "GET /.well-known/oauth-protected-resource/mcp -> 200 metadata" 200 \
	    ".resource == \"$RESOURCE\""
	e2e_req -p /.well-known/oauth-protected-resource GET
	t "GET /.well-known/oauth-protected-resource -> 200 metadata" 200 \
	    ".resource == \"$RESOURCE\""
	_len=$(body_of_size "$E2E_TMP/body-n1" $((MAXBODY + 1)) d)
	e2e_req -f "$E2E_TMP/body-n1" POST
	t "body of max_body_bytes+1 -> 413 from mcpgate (body drained, clean reply)" \
	    413 '.error.code | type == "number"'
	e2e_check "$L: ... and the write tool did not run" \
	    test "$(notes_count "$_len")" = 0
	e2e_req GET
	t "GET /mcp -> 405" 405
	e2e_req DELETE
	t "DELETE the session -> 2xx" '200|202|204'
	e2e_rpc ping
	t "the deleted session -> 404" 404
	if [ "$_kind" = cgi ]; then
		e2e_check "$L: no mcpgate process outlives its request (plain CGI)" \
		    test -z "$(mcpgate_pids)"
	else
		fastcgi_workers_persist
	fi
}

# Worker processes stay up under FastCGI (and serve many requests).
fastcgi_workers_persist() {
	e2e_check "$L: mcpgate workers are persistent FastCGI processes" \
	    test -n "$(mcpgate_pids)"
}

# --- mcpgate as CGI / FastCGI without a web server: short bodies ------------

# A body shorter than CONTENT_LENGTH cannot be sent through a web server
# (it waits for the rest), so speak CGI and FastCGI to mcpgate directly.
short_body_tests() {
	_env="GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST REQUEST_URI=/mcp \
SERVER_ADDR=127.0.0.1 HTTP_HOST=127.0.0.1 CONTENT_TYPE=application/json \
CONTENT_LENGTH=100 MCPGATE_CONFIG=$CFG ASAN_OPTIONS=$ASAN_OPTIONS \
UBSAN_OPTIONS=$UBSAN_OPTIONS"
	# shellcheck disable=SC2086
	printf '{"jsonrpc":"2.0","id":1,"method":"ping"}' |
	    e2e_svc env -i $_env "HTTP_ACCEPT=$ACCEPT_BOTH" "$E2E_BIN" \
	    >"$E2E_TMP/short-cgi.out" 2>&1
	if head -n 1 "$E2E_TMP/short-cgi.out" | grep -q '^Status: 400'; then
		e2e_ok "plain CGI (no web server): body shorter than CONTENT_LENGTH -> 400"
	else
		e2e_not_ok "plain CGI (no web server): body shorter than CONTENT_LENGTH -> 400"
		e2e_diag "request: CONTENT_LENGTH=100, 40 bytes on stdin"
		e2e_diag "got: $(head -c 300 "$E2E_TMP/short-cgi.out")"
	fi
	if command -v cgi-fcgi >/dev/null 2>&1 && [ -S "$E2E_RUN/mcpgate.sock" ]
	then
		# shellcheck disable=SC2086
		printf '{"jsonrpc":"2.0","id":1,"method":"ping"}' |
		    env -i $_env "HTTP_ACCEPT=$ACCEPT_BOTH" \
		    cgi-fcgi -bind -connect "$E2E_RUN/mcpgate.sock" \
		    >"$E2E_TMP/short-fcgi.out" 2>&1
		if head -n 1 "$E2E_TMP/short-fcgi.out" | grep -q '^Status: 400'
		then
			e2e_ok "FastCGI (cgi-fcgi to the spawn-fcgi pool): body shorter than CONTENT_LENGTH -> 400"
		else
			e2e_not_ok "FastCGI (cgi-fcgi to the spawn-fcgi pool): body shorter than CONTENT_LENGTH -> 400"
			e2e_diag "request: CONTENT_LENGTH=100, 40 bytes on FCGI_STDIN"
			e2e_diag "got: $(head -c 300 "$E2E_TMP/short-fcgi.out")"
		fi
	fi
}

# --- authentication: the Authorization header reaches mcpgate -------------

INIT='{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}'

# www_auth_has TEXT: the last response's WWW-Authenticate contains TEXT.
www_auth_has() {
	_w=$(e2e_hdr WWW-Authenticate)
	case $_w in
	*"$1"*) return 0 ;;
	esac
	e2e_diag "WWW-Authenticate: ${_w:-(none)}"
	return 1
}

# scope_challenge SCOPE: the last response is an RFC 6750 insufficient_scope
# challenge naming SCOPE.
scope_challenge() {
	www_auth_has 'error="insufficient_scope"' &&
	    www_auth_has "scope=\"$1\""
}

suite_auth() {
	E2E_SID=
	E2E_PV=
	E2E_AUTH=
	e2e_rpc initialize "$INIT"
	t "auth required, no Authorization -> 401" 401
	e2e_check "$L: ... with WWW-Authenticate: Bearer resource_metadata=\"...\"" \
	    www_auth_has 'Bearer resource_metadata="'
	e2e_check "$L: ... and no error=\"invalid_token\" (no credential is not a bad one)" \
	    sh -c 'case $1 in *invalid_token*) exit 1;; esac' sh \
	    "$(e2e_hdr WWW-Authenticate)"
	e2e_rpc initialize "$INIT" 1 -A "Basic ZTJlOmUyZQ=="
	t "Authorization: Basic ... (not Bearer) -> 401" 401
	# The same key with its last (checksum) character changed.
	case $AUTH_KEY in
	*0) _bad="${AUTH_KEY%?}1" ;;
	*) _bad="${AUTH_KEY%?}0" ;;
	esac
	e2e_rpc initialize "$INIT" 1 -A "Bearer $_bad"
	t "Authorization: Bearer <wrong API key> -> 401" 401
	e2e_check "$L: ... with WWW-Authenticate error=\"invalid_token\"" \
	    www_auth_has 'error="invalid_token"'

	E2E_AUTH="Bearer $AUTH_KEY"
	e2e_rpc initialize "$INIT"
	t "Authorization: Bearer <API key> reaches mcpgate -> 200" 200 \
	    '.result.protocolVersion == "2025-11-25"'
	E2E_SID=$(e2e_hdr Mcp-Session-Id)
	E2E_PV=2025-11-25
	e2e_rpc tools/call '{"name":"get_order","arguments":{"order_id":1}}'
	t "tools/call get_order with a key holding orders:read -> the row" 200 \
	    '(.result.isError | not) and (.result.structuredContent.customer == "ada" or (.result.content[0].text | contains("ada")))'
	e2e_rpc ping '' 1 -A "bearer $AUTH_KEY"
	t "lower-case scheme (bearer <API key>) -> 200" 200 '.result == {}'
	e2e_rpc ping '' 1 -A ''
	t "a later request without Authorization (session alone is no credential) -> 401" 401
	e2e_rpc tools/call '{"name":"add_note","arguments":{"body":"x"}}'
	t "tools/call add_note without its scope notes:write -> 403" 403
	e2e_check "$L: ... with WWW-Authenticate error=\"insufficient_scope\", scope=\"notes:write\"" \
	    scope_challenge notes:write
	e2e_check "$L: ... and the write tool did not run" \
	    test "$(notes_count 1)" = 0
	e2e_req -A '' -p /.well-known/oauth-protected-resource/mcp GET
	t "GET /.well-known/oauth-protected-resource/mcp needs no credential -> 200" \
	    200 ".resource == \"$RESOURCE\""
	E2E_AUTH=
}

want() {
	[ -z "${E2E_ONLY:-}" ] && return 0
	case ",$E2E_ONLY," in
	*",$1,"*) return 0 ;;
	esac
	return 1
}

# --- run --------------------------------------------------------------------

# start KIND CONFIG: the server set KIND serving CONFIG.
start() {
	case $1 in
	lighttpd) e2e_start_lighttpd "$2" 2 ;;
	lighttpd_cgi) e2e_start_lighttpd "$2" 1 \
	    "$E2E_TOP/deploy/lighttpd/mcpgate-cgi.conf" ;;
	*) e2e_start_apache "$1" "$2" 2 ;;
	esac
}

suite_fastcgi() {
	suite_full
	fastcgi_workers_persist
}

suite_proxy_fcgi() {
	suite_full
	fastcgi_workers_persist
	short_body_tests
}

suite_htaccess_cgi() {
	suite_cgi cgi
	echo 'secret' >"$E2E_RUN/htdocs/leak.db"
	e2e_req -p /leak.db GET
	t "GET /leak.db (a database in the document root) -> 403" 403
}

# phase KIND LABEL SUITE: SUITE against KIND with auth off, then the auth
# tests against KIND with auth required, then the sanitizer check.
phase() {
	want "$1" || return 0
	L=$2
	if make_data "$1" none && start "$1" "$CFG"; then
		$3
		e2e_stop
	fi
	L="$2, auth required"
	if make_data "$1-auth" required && start "$1" "$CFG"; then
		suite_auth
		e2e_stop
	fi
	e2e_check_sanitizers "$2"
}

phase lighttpd       "lighttpd (FastCGI)"           suite_fastcgi
phase fcgid          "apache mod_fcgid"             suite_fastcgi
phase proxy_fcgi     "apache mod_proxy_fcgi"        suite_proxy_fcgi
phase cgi            "apache mod_cgid (plain CGI)"  "suite_cgi cgi"
phase htaccess_cgi   "apache .htaccess plain CGI"   suite_htaccess_cgi
phase htaccess_fcgid "apache .htaccess mod_fcgid"   "suite_cgi fastcgi"
phase lighttpd_cgi   "lighttpd (plain CGI)"         "suite_cgi cgi"

e2e_done
