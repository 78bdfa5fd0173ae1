#!/bin/sh
# tests/e2e/45_modern.sh -- MCP 2026-07-28 beside the legacy revisions, on
# one endpoint, under ASan, behind lighttpd + FastCGI (and the header rules
# again behind Apache mod_fcgid), with auth.mode "required" and an API key:
#
#   - the official 2026-07-28 examples a tools server receives
#     ($MCPGATE_SHARED/testdata/mcp-schema/2026-07-28/examples/*Request and
#     the client notifications), sent with their standard headers: the ones
#     a tools server serves (server/discover, tools/list, tools/call) are
#     answered, every other method gets 404 with -32601 and the example's
#     id, a notification 202; ping (removed, no example) 404
#   - every 2026-07-28 method and error path: server/discover, tools/list
#     pages with ttlMs/cacheScope in a deterministic order, tools/call
#     results and tool errors, Mcp-Method / Mcp-Name / Mcp-Param-* checks
#     (Base64 sentinel, numbers, booleans, nested), _meta errors, an
#     unsupported version (-32022), initialize and ping (404), GET and
#     DELETE (405), a notification (202), a posted response (400), a stray
#     Mcp-Session-Id (ignored), 401, and the scope 403 (-31403)
#   - the same server in 2025-03-26 (no header), 2025-06-18 and 2025-11-25:
#     initialize, tools/list, tools/call, ping, errors, the scope 403
#     (-32001), DELETE
#   - one dispatch path: an idempotency key used in the legacy era replays
#     in the modern one; the audit rows name the revision each request used
#   - tests/e2e/schemacheck.c fails on responses that break the schema
#
# Every response is captured and, at the end (e2e_done), validated against
# its revision's official schema.
. "$(dirname "$0")/lib.sh"

e2e_init
EX="$E2E_SHARED/testdata/mcp-schema/2026-07-28/examples"
[ -d "$EX" ] || e2e_bail "the official 2026-07-28 examples are in $EX"
MV=2026-07-28

# --- the server --------------------------------------------------------------

DATA="$E2E_TMP/modern"
CFG="$DATA/mcpgate.json"
mkdir -p "$DATA"
cat >"$CFG" <<'EOF'
{
  "server": { "name": "mcpgate-modern", "title": "Modern E2E", "version": "9.9.9",
    "instructions": "Tools for the 2026-07-28 end-to-end test.",
    "state_db": "state.db", "page_size": 3, "tools_ttl_ms": 120000,
    "allowed_hosts": ["localhost", "127.0.0.1"] },
  "auth": { "mode": "required" },
  "audit": { "db": "audit.db" },
  "databases": { "shop": { "path": "shop.db" } },
  "tools": [
    { "name": "get_weather", "kind": "static", "scope": "e2e:read",
      "description": "The weather (the official CallToolRequest example calls it)",
      "input_schema": { "type": "object",
        "properties": { "location": { "type": "string" } },
        "required": ["location"] },
      "content": [ { "type": "text", "text": "Sunny." } ] },
    { "name": "route", "kind": "static", "scope": "e2e:read",
      "description": "Arguments mirrored into Mcp-Param headers",
      "input_schema": { "type": "object", "properties": {
        "region": { "type": "string", "x-mcp-header": "Region" },
        "count": { "type": "integer", "x-mcp-header": "Count" },
        "dry": { "type": "boolean", "x-mcp-header": "Dry-Run" },
        "target": { "type": "object", "properties": {
          "zone": { "type": "string", "x-mcp-header": "Zone" } } } } },
      "content": [ { "type": "text", "text": "Routed." } ] },
    { "name": "add_note", "kind": "sql", "database": "shop", "scope": "e2e:write",
      "description": "Adds a note (a write: idempotency keys apply)",
      "sql": "INSERT INTO notes (body) VALUES (:body) RETURNING id",
      "result": "one",
      "input_schema": { "type": "object",
        "properties": { "body": { "type": "string" } }, "required": ["body"] } },
    { "name": "failing", "kind": "static", "scope": "e2e:read", "is_error": true,
      "description": "Always a tool error",
      "content": [ { "type": "text", "text": "It failed." } ] },
    { "name": "admin_tool", "kind": "static", "scope": "admin",
      "description": "Needs a scope the test key lacks",
      "content": [ { "type": "text", "text": "x" } ] }
  ]
}
EOF
sqlite3 "$DATA/shop.db" 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);'
e2e_own "$DATA"
if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1; then
	e2e_diag "$(cat "$DATA/init.out")"
	e2e_bail "mcpgate init + check accept the config"
fi
KEY=$(e2e_svc "$E2E_BIN" key create --name modern --scope 'e2e:read e2e:write' \
    --config "$CFG" 2>>"$DATA/init.out" | grep -o 'mcpk_[A-Za-z0-9_]*' | head -n 1)
[ -n "$KEY" ] || e2e_bail "mcpgate key create makes an API key"
e2e_start_lighttpd "$CFG" 2 || e2e_done
AUTH="Bearer $KEY"
E2E_AUTH=$AUTH

# --- helpers -----------------------------------------------------------------

META='{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"e2e","version":"1"}}'

# mbody ID METHOD [PARAMS]: a 2026-07-28 request body, _meta added.
mbody() {
	jq -cn --argjson id "$1" --arg m "$2" --argjson p "${3:-{\}}" \
	    --argjson meta "$META" \
	    '{jsonrpc: "2.0", id: $id, method: $m, params: ($p + {_meta: $meta})}'
}

# mreq ID METHOD [PARAMS [e2e_req options...]]: the request with
# MCP-Protocol-Version, Mcp-Method and (tools/call) Mcp-Name from the body;
# options come after, so -H adds headers and -v overrides the version.
mreq() {
	_mid=$1
	_mm=$2
	_mp=${3:-\{\}}
	if [ $# -ge 3 ]; then shift 3; else shift $#; fi
	_mn=$(printf '%s' "$_mp" | jq -r '.name // empty')
	if [ -n "$_mn" ]; then
		e2e_req -s "" -v "$MV" -H "Mcp-Method: $_mm" -H "Mcp-Name: $_mn" \
		    "$@" POST "$(mbody "$_mid" "$_mm" "$_mp")"
	else
		e2e_req -s "" -v "$MV" -H "Mcp-Method: $_mm" "$@" POST \
		    "$(mbody "$_mid" "$_mm" "$_mp")"
	fi
}

# raw BODY [e2e_req options...]: a body sent as is with the 2026 version.
raw() {
	_rb=$1
	shift
	e2e_req -s "" -v "$MV" "$@" POST "$_rb"
}

t() {	# NAME STATUS [JQ]
	e2e_expect "$@"
}

# --- the official examples -----------------------------------------------------

# Requests a tools server receives: those with the client's _meta.
for f in "$EX"/*Request/*.json; do
	d=$(basename "$(dirname "$f")")
	m=$(jq -r '.method' "$f")
	jq -e '.id != null and (.params._meta["io.modelcontextprotocol/protocolVersion"] != null)' \
	    "$f" >/dev/null 2>&1 || continue
	id=$(jq -c '.id' "$f")
	nm=$(jq -r 'if .method == "resources/read" then .params.uri
	    elif .method == "tools/call" or .method == "prompts/get" then .params.name
	    else empty end' "$f")
	if [ -n "$nm" ]; then
		e2e_req -s "" -v "$MV" -H "Mcp-Method: $m" -H "Mcp-Name: $nm" \
		    -f "$f" POST
	else
		e2e_req -s "" -v "$MV" -H "Mcp-Method: $m" -f "$f" POST
	fi
	case $m in
	server/discover)
		t "example $d ($m) -> 200, DiscoverResult with 2026-07-28" 200 \
		    ".id == $id and .result.resultType == \"complete\" and
		     (.result.supportedVersions | index(\"2026-07-28\")) != null and
		     .result.capabilities.tools != null" ;;
	tools/list)
		t "example $d ($m) -> 200, the tools" 200 \
		    ".id == $id and (.result.tools | length) == 3 and
		     .result.resultType == \"complete\"" ;;
	tools/call)
		t "example $d ($m get_weather) -> 200, its content" 200 \
		    ".id == $id and .result.content == [{\"type\":\"text\",\"text\":\"Sunny.\"}]" ;;
	*)
		t "example $d ($m) -> 404, -32601 with its id" 404 \
		    ".id == $id and .error.code == -32601" ;;
	esac
done
for f in "$EX"/CancelledNotification/*.json; do
	m=$(jq -r '.method' "$f")
	e2e_req -s "" -v "$MV" -H "Mcp-Method: $m" -f "$f" POST
	t "example $(basename "$(dirname "$f")") ($m) -> 202, no body" 202
	[ -s "$E2E_TMP/resp.b" ] && e2e_not_ok "the 202 has no body"
done
mreq 1 ping
t "ping (removed in 2026-07-28; no example) -> 404, -32601" 404 \
    '.id == 1 and .error.code == -32601'

# --- 2026-07-28: methods -------------------------------------------------------

mreq 2 server/discover
t "server/discover -> 200" 200 \
    '.result.supportedVersions == ["2026-07-28","2025-11-25","2025-06-18","2025-03-26"] and
     .result.capabilities == {"tools":{"listChanged":false}} and
     .result.instructions == "Tools for the 2026-07-28 end-to-end test." and
     .result._meta["io.modelcontextprotocol/serverInfo"] ==
       {"name":"mcpgate-modern","version":"9.9.9","title":"Modern E2E"} and
     .result.ttlMs == 120000 and .result.cacheScope == "private"'
[ -z "$(e2e_hdr Mcp-Session-Id)" ] && e2e_ok "no Mcp-Session-Id is issued" ||
    e2e_not_ok "no Mcp-Session-Id is issued"

mreq 3 tools/list
t "tools/list page 1: 3 tools, nextCursor, ttlMs 120000, cacheScope private (auth required)" 200 \
    '[.result.tools[].name] == ["get_weather","route","add_note"] and
     (.result.nextCursor | type) == "string" and .result.ttlMs == 120000 and
     .result.cacheScope == "private" and .result.resultType == "complete"'
CUR=$(jq -r '.result.nextCursor' "$E2E_TMP/resp.b")
P1=$(jq -c '.result.tools' "$E2E_TMP/resp.b")
mreq 4 tools/list "{\"cursor\":\"$CUR\"}"
t "tools/list page 2 follows the cursor: the last tool the key may call" 200 \
    '[.result.tools[].name] == ["failing"] and (.result | has("nextCursor") | not)'
mreq 5 tools/list '{}' -H 'Mcp-Session-Id: 00000000'
t "tools/list again, a stray Mcp-Session-Id ignored" 200 \
    "(.result.tools | tojson) == $(printf '%s' "$P1" | jq -R .)"
mreq 6 tools/list '{"cursor":"forged"}'
t "a forged cursor -> -32602 in-band (HTTP 200)" 200 '.id == 6 and .error.code == -32602'

mreq 7 tools/call '{"name":"get_weather","arguments":{"location":"Oslo"}}'
t "tools/call -> 200, content, resultType complete, serverInfo in _meta" 200 \
    '.result.content[0].text == "Sunny." and .result.resultType == "complete" and
     .result._meta["io.modelcontextprotocol/serverInfo"].name == "mcpgate-modern" and
     (.result | has("ttlMs") | not)'
mreq 8 tools/call '{"name":"failing"}'
t "a tool error -> 200, isError" 200 '.result.isError == true and .result.resultType == "complete"'
mreq 9 tools/call '{"name":"get_weather","arguments":{}}'
t "arguments failing the schema -> 200, isError validation with both _meta keys" 200 \
    '.result.isError == true and .result._meta["dev.mcpgate/error"].category == "validation" and
     .result._meta["io.modelcontextprotocol/serverInfo"] != null'
mreq 10 tools/call '{"name":"no_such_tool"}'
t "an unknown tool -> -32602 in-band" 200 '.id == 10 and .error.code == -32602'
mreq 11 tools/call '{"name":"admin_tool"}'
t "a tool the key lacks the scope for -> 403, -31403 with the id" 403 \
    '.id == 11 and .error.code == -31403 and .error.data.required_scope == "admin"'
case $(e2e_hdr WWW-Authenticate) in
*'error="insufficient_scope"'*'scope="admin"'*) e2e_ok "the 403 carries the step-up challenge" ;;
*) e2e_not_ok "the 403 carries the step-up challenge"; e2e_show_last ;;
esac
mreq 12 tools/list '{}' -A ""
t "no credential -> 401 with WWW-Authenticate" 401
[ -n "$(e2e_hdr WWW-Authenticate)" ] && e2e_ok "the 401 names the resource metadata" ||
    e2e_not_ok "the 401 names the resource metadata"

# --- 2026-07-28: the header rules ----------------------------------------------

raw "$(mbody 20 tools/list)"
t "no Mcp-Method -> 400, -32020 with the id" 400 '.id == 20 and .error.code == -32020'
raw "$(mbody 21 tools/list)" -H "Mcp-Method: prompts/list"
t "Mcp-Method of another method -> 400, -32020" 400 '.error.code == -32020'
raw "$(mbody 22 tools/list)" -H "Mcp-Method: TOOLS/LIST"
t "Mcp-Method values are case-sensitive -> 400, -32020" 400 '.error.code == -32020'
raw "$(mbody 23 tools/list)" -H "mcp-method: tools/list"
t "header names are not (mcp-method) -> 200" 200 '.result.tools != null'
raw "$(mbody 24 tools/call '{"name":"get_weather","arguments":{"location":"x"}}')" \
    -H "Mcp-Method: tools/call"
t "tools/call without Mcp-Name -> 400, -32020" 400 '.id == 24 and .error.code == -32020'
raw "$(mbody 25 tools/call '{"name":"get_weather","arguments":{"location":"x"}}')" \
    -H "Mcp-Method: tools/call" -H "Mcp-Name: failing"
t "Mcp-Name of another tool -> 400, -32020" 400 '.error.code == -32020'
raw "$(mbody 26 tools/call '{"name":"get_weather","arguments":{"location":"x"}}')" \
    -H "Mcp-Method: tools/call" -H "Mcp-Name: =?base64?Z2V0X3dlYXRoZXI=?="
t "a Base64 Mcp-Name is decoded -> 200" 200 '.result.content[0].text == "Sunny."'
raw "$(mbody 27 tools/call '{"name":"get_weather","arguments":{"location":"x"}}')" \
    -H "Mcp-Method: tools/call" -H "Mcp-Name: =?base64?Z2V0X3dlYXRoZXI?="
t "a malformed Base64 Mcp-Name -> 400, -32020" 400 '.error.code == -32020'

route() {	# ID ARGS [headers...]
	_ri=$1
	_ra=$2
	shift 2
	raw "$(mbody "$_ri" tools/call "{\"name\":\"route\",\"arguments\":$_ra}")" \
	    -H "Mcp-Method: tools/call" -H "Mcp-Name: route" "$@"
}
route 30 '{}'
t "route without arguments needs no Mcp-Param header -> 200" 200 '.result.content[0].text == "Routed."'
route 31 '{"region":"us-west1"}' -H "Mcp-Param-Region: us-west1"
t "Mcp-Param-Region matching -> 200" 200 '.result.content[0].text == "Routed."'
route 32 '{"region":"Hello, 世界"}' -H "Mcp-Param-Region: =?base64?SGVsbG8sIOS4lueVjA==?="
t "Mcp-Param-Region in Base64 matching -> 200" 200 '.result.content != null'
route 33 '{"region":"us-west1"}'
t "a value without its Mcp-Param header -> 400, -32020" 400 '.id == 33 and .error.code == -32020'
route 34 '{"region":"us-west1"}' -H "Mcp-Param-Region: eu-north1"
t "Mcp-Param-Region of another value -> 400, -32020" 400 '.error.code == -32020'
route 35 '{}' -H "Mcp-Param-Region: us-west1"
t "an Mcp-Param header without a value -> 400, -32020" 400 '.error.code == -32020'
route 36 '{"region":"Hello"}' -H "Mcp-Param-Region: =?base64?SGVsbG8?="
t "Mcp-Param-Region with bad Base64 padding -> 400, -32020" 400 '.error.code == -32020'
route 37 '{"count":42,"dry":false,"target":{"zone":"b"}}' \
    -H "Mcp-Param-Count: 42.0" -H "Mcp-Param-Dry-Run: false" -H "Mcp-Param-Zone: b"
t "integer (42.0 = 42), boolean and nested Mcp-Param headers -> 200" 200 '.result.content != null'
route 38 '{"count":42}' -H "Mcp-Param-Count: 43"
t "Mcp-Param-Count 43 for 42 -> 400, -32020" 400 '.error.code == -32020'
route 39 '{"target":{"zone":"b"}}'
t "a nested value without its header -> 400, -32020" 400 '.error.code == -32020'

raw '{"jsonrpc":"2.0","id":40,"method":"tools/list","params":{}}' -H "Mcp-Method: tools/list"
t "no _meta -> 400, -32602 with the id" 400 '.id == 40 and .error.code == -32602'
raw '{"jsonrpc":"2.0","id":41,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}' \
    -H "Mcp-Method: tools/list"
t "_meta without clientCapabilities -> 400, -32602" 400 '.error.code == -32602'
raw "$(mbody 42 tools/list | sed 's/"2026-07-28"/"2025-11-25"/')" -H "Mcp-Method: tools/list"
t "_meta protocolVersion other than the header's -> 400, -32020" 400 '.id == 42 and .error.code == -32020'
mreq 43 tools/list '{}' -v v999.0.0
t "an unsupported version -> 400, -32022, supported and requested, the id" 400 \
    '.id == 43 and .error.code == -32022 and
     .error.data.supported == ["2026-07-28","2025-11-25","2025-06-18","2025-03-26"] and
     .error.data.requested == "v999.0.0"'
mreq 44 initialize '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}'
t "initialize under 2026-07-28 -> 404, -32601 naming the legacy revisions" 404 \
    '.id == 44 and .error.code == -32601 and (.error.message | test("2025-11-25"))'
mreq 45 logging/setLevel '{"level":"info"}'
t "logging/setLevel -> 404, -32601" 404 '.error.code == -32601'
raw '{"jsonrpc":"2.0","id":46,"result":{}}'
t "a posted response -> 400, -32600" 400 '.error.code == -32600'
e2e_req -s "" -v "$MV" GET
t "GET -> 405" 405
case $(e2e_hdr Allow) in POST) e2e_ok "GET: Allow: POST" ;; *) e2e_not_ok "GET: Allow: POST"; e2e_show_last ;; esac
e2e_req -s "0123" -v "$MV" DELETE
t "DELETE -> 405" 405
case $(e2e_hdr Allow) in POST) e2e_ok "DELETE: Allow: POST" ;; *) e2e_not_ok "DELETE: Allow: POST" ;; esac

# --- the legacy revisions on the same endpoint ---------------------------------

for v in 2025-03-26 2025-06-18 2025-11-25; do
	E2E_SID=
	E2E_PV=
	if [ "$v" = 2025-03-26 ]; then
		# The revision without the header: it is never sent.
		e2e_rpc initialize "{\"protocolVersion\":\"$v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}" 1 -v ""
		t "$v: initialize (no MCP-Protocol-Version) -> 200, $v" 200 \
		    ".result.protocolVersion == \"$v\" and (.result | has(\"resultType\") | not)"
		E2E_SID=$(e2e_hdr Mcp-Session-Id)
		E2E_PV=
	else
		e2e_initialize "$v"
		t "$v: initialize + initialized" 202
	fi
	[ -n "$E2E_SID" ] && e2e_ok "$v: a session is issued" || e2e_not_ok "$v: a session is issued"
	e2e_rpc tools/list '{}' 2
	t "$v: tools/list -> 200, no caching hints" 200 \
	    '(.result.tools | length) == 3 and (.result | has("ttlMs") | not) and (.result | has("resultType") | not)'
	e2e_rpc tools/call '{"name":"get_weather","arguments":{"location":"Oslo"}}' 3
	t "$v: tools/call -> 200" 200 '.result.content[0].text == "Sunny." and (.result._meta == null)'
	e2e_rpc tools/call '{"name":"failing"}' 4
	t "$v: a tool error -> isError" 200 '.result.isError == true'
	e2e_rpc tools/call '{"name":"route","arguments":{"region":"eu"}}' 5
	t "$v: no Mcp-Param header is asked of a legacy client" 200 '.result.content != null'
	e2e_rpc ping '' 6
	t "$v: ping -> {}" 200 '.result == {}'
	e2e_rpc server/discover '{}' 7
	t "$v: server/discover is not a legacy method -> 200, -32601" 200 '.id == 7 and .error.code == -32601'
	e2e_rpc tools/call '{"name":"admin_tool"}' 8
	t "$v: the scope 403 keeps -32001" 403 '.id == 8 and .error.code == -32001'
	e2e_rpc tools/call '{"name":"nope"}' 9
	t "$v: an unknown tool -> -32602" 200 '.error.code == -32602'
	e2e_req POST '{bad'
	t "$v: a parse error -> 400, -32700 without id" 400 '.error.code == -32700 and (has("id") | not)'
	# Interleaved: a modern request between two legacy ones of a session.
	mreq 50 tools/list
	t "$v: a 2026-07-28 request in between -> 200" 200 '.result.resultType == "complete"'
	e2e_rpc tools/list '{}' 10
	t "$v: the legacy session still works" 200 '(.result.tools | length) == 3'
	e2e_req DELETE
	t "$v: DELETE ends the session" 204
done
E2E_SID=
E2E_PV=

# --- one dispatch path: idempotency across the eras ----------------------------

e2e_initialize 2025-11-25 >/dev/null
e2e_rpc tools/call '{"name":"add_note","arguments":{"body":"first"}}' 60 \
    -H "Idempotency-Key: cross-era-1"
t "legacy: add_note with an Idempotency-Key -> a new row" 200 \
    '(.result.structuredContent.id | type) == "number" and (.result._meta == null)'
NOTE=$(jq '.result.structuredContent.id' "$E2E_TMP/resp.b")
E2E_SID=
E2E_PV=
mreq 61 tools/call '{"name":"add_note","arguments":{"body":"first"}}' \
    -H "Idempotency-Key: cross-era-1"
t "modern: the same key and arguments replay the legacy call's result" 200 \
    ".result.structuredContent.id == $NOTE and .result._meta[\"dev.mcpgate/replay\"] == true and
     .result._meta[\"io.modelcontextprotocol/serverInfo\"] != null and .result.resultType == \"complete\""
mreq 62 tools/call '{"name":"add_note","arguments":{"body":"other"}}' \
    -H "Idempotency-Key: cross-era-1"
t "modern: the same key with other arguments -> conflict tool error" 200 \
    '.result.isError == true and .result._meta["dev.mcpgate/error"].code == "idempotency_key_reused"'
n=$(sqlite3 "$DATA/shop.db" 'SELECT count(*) FROM notes')
[ "$n" = 1 ] && e2e_ok "one row was written for the key in both eras" ||
    e2e_not_ok "one row was written for the key in both eras (got $n)"

# --- the audit rows --------------------------------------------------------------

asql() {
	e2e_svc sqlite3 -batch "$DATA/audit.db" "$1" 2>&1
}
for v in 2026-07-28 2025-11-25 2025-06-18 2025-03-26; do
	n=$(asql "SELECT count(*) FROM audit_events WHERE protocol_version = '$v'")
	[ "${n:-0}" -gt 0 ] 2>/dev/null && e2e_ok "audit: $n rows record revision $v" ||
	    e2e_not_ok "audit: rows record revision $v (got $n)"
done
n=$(asql "SELECT count(*) FROM audit_events WHERE protocol_version = '2026-07-28' AND session_hash IS NOT NULL")
[ "$n" = 0 ] && e2e_ok "audit: no 2026-07-28 row holds a session" ||
    e2e_not_ok "audit: no 2026-07-28 row holds a session (got $n)"
n=$(asql "SELECT count(*) FROM audit_events WHERE protocol_version = '2026-07-28' AND rpc_error_code = -32020 AND error_code = 'header_mismatch' AND http_status = 400")
[ "${n:-0}" -ge 10 ] 2>/dev/null && e2e_ok "audit: $n header mismatches, labelled" ||
    e2e_not_ok "audit: header mismatches are labelled (got $n)"
n=$(asql "SELECT count(*) FROM audit_events WHERE rpc_id = '11' AND rpc_error_code = -31403 AND decision = 'deny' AND tool = 'admin_tool' AND protocol_version = '2026-07-28'")
[ "$n" = 1 ] && e2e_ok "audit: the modern 403 row (-31403, deny, admin_tool)" ||
    e2e_not_ok "audit: the modern 403 row (got $n)"
n=$(asql "SELECT count(*) FROM audit_events WHERE rpc_id = '61' AND idem_status = 'replay' AND protocol_version = '2026-07-28'")
[ "$n" = 1 ] && e2e_ok "audit: the modern replay row (idem_status replay)" ||
    e2e_not_ok "audit: the modern replay row (got $n)"
n=$(asql "SELECT count(*) FROM audit_events WHERE rpc_id = '43' AND rpc_error_code = -32022 AND protocol_version IS NULL")
[ "$n" = 1 ] && e2e_ok "audit: the unsupported version row has no revision" ||
    e2e_not_ok "audit: the unsupported version row (got $n)"
if e2e_svc "$E2E_BIN" audit verify "$CFG" >"$E2E_TMP/verify.out" 2>&1; then
	e2e_ok "audit: the chain verifies"
else
	e2e_not_ok "audit: the chain verifies"
	e2e_diag "$(cat "$E2E_TMP/verify.out")"
fi
e2e_stop

# --- Apache: the headers reach mcpgate through CGI meta-variables -------------

if e2e_start_apache fcgid "$CFG"; then
	mreq 70 server/discover
	t "apache mod_fcgid: server/discover -> 200" 200 '.result.resultType == "complete"'
	route 71 '{"region":"Hello, 世界","count":7,"dry":true,"target":{"zone":"z"}}' \
	    -H "Mcp-Param-Region: =?base64?SGVsbG8sIOS4lueVjA==?=" -H "Mcp-Param-Count: 7" \
	    -H "mcp-param-dry-run: true" -H "MCP-PARAM-ZONE: z"
	t "apache mod_fcgid: every Mcp-Param header arrives and matches -> 200" 200 '.result.content != null'
	route 72 '{"region":"eu"}' -H "Mcp-Param-Region: us"
	t "apache mod_fcgid: a mismatch -> 400, -32020" 400 '.error.code == -32020'
	raw "$(mbody 73 tools/call '{"name":"get_weather","arguments":{"location":"x"}}')" \
	    -H "Mcp-Method: tools/call" -H "Mcp-Name:   get_weather  "
	t "apache mod_fcgid: whitespace around Mcp-Name -> 200" 200 '.result.content[0].text == "Sunny."'
	e2e_req -s "" -v "$MV" DELETE
	t "apache mod_fcgid: DELETE -> 405" 405
	e2e_stop
fi

# --- the schema check fails on what breaks the schema ---------------------------

bad="$E2E_TMP/bad.jsonl"
{
	jq -cn '{rev:"2026-07-28",method:"tools/list",status:200,path:"/mcp",
	    body:({jsonrpc:"2.0",id:1,result:{resultType:"complete",tools:[]}} | tojson)}'
	jq -cn '{rev:"2025-11-25",method:"tools/call",status:200,path:"/mcp",
	    body:({jsonrpc:"2.0",id:1,result:{content:"text"}} | tojson)}'
	jq -cn '{rev:"2025-06-18",method:"ping",status:400,path:"/mcp",
	    body:({jsonrpc:"2.0",error:{code:-32600},extra:1} | tojson)}'
	jq -cn '{rev:"2026-07-28",method:"x",status:400,path:"/mcp",
	    body:({jsonrpc:"2.0",id:1,error:{code:-32022,message:"m"}} | tojson)}'
} >"$bad"
"$E2E_SCHEMACHECK" "$E2E_SHARED/testdata/mcp-schema" "$bad" >"$E2E_TMP/bad.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q '4 invalid' "$E2E_TMP/bad.out"; then
	e2e_ok "schemacheck rejects 4 broken responses (no ttlMs, content not an array, a stray member, -32022 without data)"
else
	e2e_not_ok "schemacheck rejects 4 broken responses"
	e2e_diag "$(cat "$E2E_TMP/bad.out")"
fi

e2e_check_sanitizers modern
e2e_done
