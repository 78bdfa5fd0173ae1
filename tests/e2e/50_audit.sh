#!/bin/sh
# tests/e2e/50_audit.sh -- the audit log through lighttpd + mod_fastcgi
# (the ASan binary, authentication required, a sealing key, the syslog
# mirror on a Unix datagram socket that tests/e2e/dgram_sink.c collects):
#
#   1. A mixed run -- metadata, 405, missing/invalid/Basic/revoked
#      credentials, initialize, a notification, tools/list, good calls,
#      tool errors (not_found, validation, a tool rate limit), protocol
#      errors (unknown tool, unknown method, bad JSON), 406, 415, 413, the
#      403 scope step-up, a bad Origin, idempotent writes (new, replay,
#      conflict), a continued traceparent, DELETE, and the auth throttle's
#      429 -- gives exactly one row per request, and each row's columns
#      say what happened.
#   2. Secrets planted in credentials (API keys and their secret parts, a
#      revoked key, a bogus key, Basic, a cookie, X-API-Key, a query
#      string) and in marked arguments (x-redact, writeOnly, a name that
#      matches a pattern, nested) are in none of audit.db, audit.db-wal and
#      the syslog mirror (byte scans).
#   3. `mcpgate audit verify` passes; a deleted or edited row in a copy is
#      reported.
#   4. Load: 4 workers, 6 client loops, a worker SIGKILLed every 0.3 s.
#      Every response a client received (its X-Request-Id) has its row;
#      PRAGMA integrity_check is ok; the chain verifies.
#
#   sh tests/e2e/50_audit.sh          E2E_KEEP=1 keeps the temp dir
# shellcheck disable=SC2016,SC2034
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init
LOAD_SECONDS=${E2E_AUDIT_LOAD_SECONDS:-8}

# --- the syslog stand-in ----------------------------------------------------

SINK="$E2E_TMP/bin/dgram_sink"
if ! cc -O1 -o "$SINK" "$E2E_TOP/tests/e2e/dgram_sink.c" \
    >"$E2E_TMP/cc.log" 2>&1; then
	e2e_bail "tests/e2e/dgram_sink.c builds"
fi
SOCK="$E2E_TMP/syslog.sock"
SYSLOG="$E2E_TMP/syslog.out"
: >"$SYSLOG"
env MCPGATE_E2E_TAG="$E2E_TAG" "$SINK" "$SOCK" "$SYSLOG" \
    >"$E2E_TMP/sink.log" 2>&1 </dev/null &
SINK_PID=$!
_i=0
while [ ! -S "$SOCK" ] && [ $_i -lt 50 ]; do
	sleep 0.1
	_i=$((_i + 1))
done
[ -S "$SOCK" ] || e2e_bail "the syslog stand-in listens on $SOCK"

# --- data -------------------------------------------------------------------

# make_data NAME SESSIONS: $E2E_TMP/NAME with the config, shop.db, a
# sealing key outside the data directory, initialised databases.  Sets
# DATA, CFG, ADB (the audit database).
make_data() {
	DATA="$E2E_TMP/$1"
	CFG="$DATA/mcpgate.json"
	ADB="$DATA/audit.db"
	mkdir -p "$DATA" "$E2E_TMP/keys-$1"
	head -c 32 /dev/urandom >"$E2E_TMP/keys-$1/seal.key"
	chmod 0400 "$E2E_TMP/keys-$1/seal.key"
	cat >"$CFG" <<EOF
{
  "server": { "name": "e2e-audit", "state_db": "state.db",
    "resource_url": "http://127.0.0.1/mcp", "max_body_bytes": 16384,
    "sessions": $2, "allowed_origins": ["http://localhost:8080"],
    "allowed_hosts": ["localhost", "127.0.0.1"] },
  "auth": { "mode": "required",
    "throttle": { "failures": 3, "window_seconds": 600, "block_seconds": 600 } },
  "audit": { "db": "audit.db", "sealing_key": "$E2E_TMP/keys-$1/seal.key",
    "host_id": "e2e-host", "synchronous": "FULL",
    "syslog": { "facility": "local0", "socket": "$SOCK" } },
  "databases": { "shop": { "path": "shop.db" } },
  "tools": [
    { "name": "get_order", "kind": "sql", "database": "shop",
      "sql": "SELECT id, customer FROM orders WHERE id = :order_id",
      "result": "one", "scope": "orders:read",
      "input_schema": { "type": "object",
        "properties": { "order_id": { "type": "integer" } },
        "required": ["order_id"] },
      "annotations": { "readOnlyHint": true } },
    { "name": "add_note", "kind": "sql", "database": "shop",
      "sql": "INSERT INTO notes (body) VALUES (:body)", "result": "exec",
      "scope": "orders:read",
      "input_schema": { "type": "object",
        "properties": { "body": { "type": "string" } }, "required": ["body"] } },
    { "name": "probe", "kind": "static", "scope": "orders:read",
      "content": [ { "type": "text", "text": "ok" } ],
      "input_schema": { "type": "object", "properties": {
        "user": { "type": "string" },
        "otp_code": { "type": "string", "x-redact": true },
        "phrase": { "type": "string", "writeOnly": true },
        "nested": { "type": "object",
          "properties": { "api_key": { "type": "string" } } } } } },
    { "name": "admin_tool", "kind": "static", "scope": "admin",
      "content": [ { "type": "text", "text": "x" } ] },
    { "name": "limited", "kind": "static", "rate_limit": { "per_minute": 1 },
      "content": [ { "type": "text", "text": "x" } ] }
  ]
}
EOF
	sqlite3 "$DATA/shop.db" <<'EOF'
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer TEXT NOT NULL);
INSERT INTO orders VALUES (1, 'ada'), (2, 'bob');
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
EOF
	e2e_own "$DATA" "$E2E_TMP/keys-$1"
	if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
	    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1; then
		e2e_not_ok "$1: mcpgate init + check accept the audit config"
		e2e_diag "$(cat "$DATA/init.out")"
		return 1
	fi
	KEY=$(e2e_svc "$E2E_BIN" key create --name alice \
	    --scope 'orders:read' --config "$CFG" 2>>"$DATA/init.out")
	case $KEY in
	mcpk_*) ;;
	*) e2e_not_ok "$1: key create"; return 1 ;;
	esac
	return 0
}

# sql QUERY: one query on the audit database, as the service account.
sql() {
	e2e_svc sqlite3 -batch "$ADB" "$1" 2>&1
}

NREQ=0
req() {
	e2e_req "$@"
	NREQ=$((NREQ + 1))
}
rpc() {
	e2e_rpc "$@"
	NREQ=$((NREQ + 1))
}

# row NAME "col=value ...": the row of the last response (by its
# X-Request-Id) holds these values; NULL is SQL NULL, * any non-NULL.
row() {
	_name=$1
	_rid=$(e2e_hdr X-Request-Id)
	if [ -z "$_rid" ]; then
		e2e_not_ok "$_name: the response carries X-Request-Id"
		e2e_show_last
		return 1
	fi
	echo "$_rid" >>"$E2E_TMP/mixed.rids"
	_bad=
	for _kv in $2; do
		_col=${_kv%%=*}
		_want=${_kv#*=}
		_got=$(sql "SELECT coalesce(CAST($_col AS TEXT), 'NULL') FROM
		    audit_events WHERE request_id = '$_rid'")
		if [ "$_want" = '*' ]; then
			if [ -z "$_got" ] || [ "$_got" = NULL ]; then
				_bad="$_bad $_col=${_got:-(no row)} (want non-NULL)"
			fi
		elif [ "$_got" != "$_want" ]; then
			_bad="$_bad $_col=${_got:-(no row)} (want $_want)"
		fi
	done
	if [ -z "$_bad" ]; then
		e2e_ok "$_name: its audit row says so"
	else
		e2e_not_ok "$_name: its audit row says so"
		e2e_diag "request $_rid:$_bad"
		e2e_show_last
	fi
}

# --- 1. the mixed run ---------------------------------------------------------

make_data mixed true || e2e_done
e2e_start_lighttpd "$CFG" 2 || e2e_done
GOOD="Bearer $KEY"
SECRET_PART=${KEY##*_}
BOGUS="mcpk_AAAAAAAAAAAA_PlantedBogusSecret0123456789abcdefABC"
COOKIE_SECRET="cookie-PLANTED-5b1e0c"
APIKEY_HDR_SECRET="xapikey-PLANTED-77d2a1"
QUERY_SECRET="query-PLANTED-31f0aa"
OTP_SECRET="otp-PLANTED-9c4d21"
PHRASE_SECRET="phrase-PLANTED-2a8e6f"
NESTED_SECRET="nested-PLANTED-e07b55"
BASIC_PW="basic-PLANTED-6f6f1d"
E2E_PV=2025-11-25

req -A "" -p "/.well-known/oauth-protected-resource/mcp?token=$QUERY_SECRET" GET
e2e_expect "PRM metadata" 200
row "PRM metadata" "http_status=200 outcome=ok auth_result=NULL decision=NULL \
http_method=GET http_path=/.well-known/oauth-protected-resource/mcp \
host_id=e2e-host chain_alg=hmac-sha256 seal_key_id=*"
req -A "$GOOD" GET
e2e_expect "GET /mcp" 405
row "GET /mcp" "outcome=http_error error_code=method_not_allowed principal=NULL"
rpc ping '{}' 1 -A ""
e2e_expect "no credential" 401
row "no credential" "outcome=auth_error error_category=authentication \
error_code=credential_missing auth_result=missing decision=deny \
decision_reason=unauthenticated retryable=0 client_addr=127.0.0.1"
rpc ping '{}' 1 -A "Bearer $BOGUS"
e2e_expect "bogus key" 401
row "bogus key" "auth_result=invalid auth_method=apikey \
error_code=credential_invalid"
rpc ping '{}' 1 -A "Basic $(printf 'u:%s' "$BASIC_PW" | base64)"
e2e_expect "Basic credential" 401
row "Basic credential" "auth_result=missing"

rpc initialize '{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e-audit","version":"1"}}' \
    1 -A "$GOOD" -H "Cookie: session=$COOKIE_SECRET"
e2e_expect "initialize" 200
E2E_SID=$(e2e_hdr Mcp-Session-Id)
SIDHASH=$(printf '%s' "$E2E_SID" | sha256sum | cut -c1-64)
row "initialize" "outcome=ok rpc_method=initialize principal=alice \
auth_method=apikey auth_result=ok key_id=* decision=allow \
decision_reason=authenticated protocol_version=2025-11-25 \
session_hash=$SIDHASH user_agent=*"
E2E_AUTH=$GOOD
req POST '{"jsonrpc":"2.0","method":"notifications/initialized"}'
e2e_expect "notification" 202
row "notification" "outcome=ok rpc_method=notifications/initialized \
rpc_id=NULL session_hash=$SIDHASH"
rpc tools/list '{}' 2 -H "X-API-Key: $APIKEY_HDR_SECRET"
e2e_expect "tools/list" 200
row "tools/list" "outcome=ok rpc_method=tools/list rpc_id=2 tool=NULL"
rpc tools/call '{"name":"get_order","arguments":{"order_id":1}}' 3
e2e_expect "get_order 1" 200 '.result.isError != true'
row "get_order 1" "outcome=ok tool=get_order scope_required=orders:read \
decision=allow decision_reason=scope_granted args_redacted={\"order_id\":1} \
args_digest=* latency_us=* bytes_in=* bytes_out=* error_code=NULL"
rpc tools/call '{"name":"get_order","arguments":{"order_id":999}}' 4
e2e_expect "get_order 999" 200 '.result.isError == true'
row "get_order 999" "outcome=tool_error error_category=not_found \
error_code=not_found retryable=0"
rpc tools/call '{"name":"get_order","arguments":{"order_id":"x"}}' 5
e2e_expect "get_order bad argument" 200 '.result.isError == true'
row "get_order bad argument" "outcome=tool_error error_category=validation \
error_code=invalid_arguments"
PROBE="{\"name\":\"probe\",\"arguments\":{\"user\":\"ada\",\"otp_code\":\"$OTP_SECRET\",\"phrase\":\"$PHRASE_SECRET\",\"nested\":{\"api_key\":\"$NESTED_SECRET\"}}}"
rpc tools/call "$PROBE" 6
e2e_expect "probe with marked arguments" 200 '.result.isError != true'
row "probe with marked arguments" "outcome=ok tool=probe \
args_redacted={\"nested\":{\"api_key\":\"[redacted]\"},\"otp_code\":\"[redacted]\",\"phrase\":\"[redacted]\",\"user\":\"ada\"}"
D1=$(sql "SELECT args_digest FROM audit_events WHERE request_id = '$(e2e_hdr X-Request-Id)'")
rpc tools/call "$PROBE" 7 -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
e2e_expect "the same call again" 200
row "the same call again, with a traceparent" "args_digest=$D1 \
trace_id=4bf92f3577b34da6a3ce929d0e0e4736 parent_span_id=00f067aa0ba902b7"
case $(e2e_hdr traceparent) in
00-4bf92f3577b34da6a3ce929d0e0e4736-????????????????-01)
	e2e_ok "the response's traceparent continues the caller's trace" ;;
*)	e2e_not_ok "the response's traceparent continues the caller's trace"
	e2e_diag "got: $(e2e_hdr traceparent)" ;;
esac
rpc tools/call '{"name":"add_note","arguments":{"body":"n1"}}' 8 \
    -H "Idempotency-Key: e2e-idem-1"
e2e_expect "write, new key" 200
row "write, new key" "outcome=ok idem_status=new idem_key_hash=*"
IK=$(sql "SELECT idem_key_hash FROM audit_events WHERE request_id = '$(e2e_hdr X-Request-Id)'")
rpc tools/call '{"name":"add_note","arguments":{"body":"n1"}}' 9 \
    -H "Idempotency-Key: e2e-idem-1"
e2e_expect "write, replay" 200
row "write, replay" "outcome=ok idem_status=replay idem_key_hash=$IK"
rpc tools/call '{"name":"add_note","arguments":{"body":"n2"}}' 10 \
    -H "Idempotency-Key: e2e-idem-1"
e2e_expect "write, same key, other arguments" 200 '.result.isError == true'
row "write, conflict" "outcome=tool_error error_category=conflict \
idem_status=conflict"
rpc tools/call '{"name":"nope","arguments":{"password":"pw"}}' 11
e2e_expect "unknown tool" 200 '.error.code == -32602'
row "unknown tool" "outcome=protocol_error error_code=unknown_tool \
rpc_error_code=-32602 tool=nope args_redacted={\"password\":\"[redacted]\"}"
rpc frobnicate '{}' 12
e2e_expect "unknown method" 200 '.error.code == -32601'
row "unknown method" "outcome=protocol_error error_code=method_not_found \
rpc_error_code=-32601"
req POST '{"jsonrpc":"2.0","id":13,'
e2e_expect "bad JSON" 400
row "bad JSON" "outcome=protocol_error error_code=parse_error \
rpc_error_code=-32700 rpc_method=NULL"
rpc ping '{}' 14 -a "text/html"
e2e_expect "406" 406
row "406" "outcome=http_error error_code=not_acceptable"
rpc ping '{}' 15 -c "text/plain"
e2e_expect "415" 415
row "415" "outcome=http_error error_code=unsupported_media_type"
head -c 20000 /dev/zero | tr '\0' 'x' >"$E2E_TMP/big.body"
req -f "$E2E_TMP/big.body" POST
e2e_expect "413" 413
row "413" "outcome=http_error error_category=validation \
error_code=content_too_large"
rpc tools/call '{"name":"admin_tool"}' 16
e2e_expect "403 scope" 403
row "403 scope" "outcome=auth_error error_category=authorization \
error_code=insufficient_scope decision=deny scope_required=admin \
rpc_error_code=-32001"
rpc ping '{}' 17 -o "http://evil.example"
e2e_expect "403 Origin" 403
row "403 Origin" "outcome=http_error error_code=origin_not_allowed \
decision=deny"
rpc tools/call '{"name":"limited"}' 18
e2e_expect "rate-limited tool, first call" 200
rpc tools/call '{"name":"limited"}' 19
e2e_expect "rate-limited tool, second call" 200 '.result.isError == true'
row "rate limited" "outcome=tool_error error_category=rate_limited \
retryable=1 retry_after_ms=*"
rpc ping '{}' 20 -s ""
e2e_expect "no session" 400
row "no session" "error_code=session_required"
REVOKED=$(e2e_svc "$E2E_BIN" key create --name bob --scope 'orders:read' \
    --config "$CFG" 2>/dev/null)
RID=$(echo "$REVOKED" | cut -d_ -f2)
e2e_svc "$E2E_BIN" key revoke "$RID" --config "$CFG" >/dev/null 2>&1
rpc ping '{}' 21 -A "Bearer $REVOKED"
e2e_expect "revoked key" 401
row "revoked key" "auth_result=revoked error_code=credential_revoked \
key_id=$RID principal=NULL"
req DELETE
e2e_expect "DELETE" 204
row "DELETE" "outcome=ok http_method=DELETE"
# The third failed authentication from 127.0.0.1 blocks it: 429.
rpc ping '{}' 22 -A "Bearer $BOGUS"
e2e_expect "third failure" 401
rpc ping '{}' 23 -s ""
e2e_expect "throttled" 429
row "throttled" "outcome=auth_error error_category=rate_limited \
error_code=auth_throttled decision=deny decision_reason=throttled \
retry_after_ms=* auth_result=NULL"

N=$(sql "SELECT count(*) FROM audit_events WHERE kind = 'request'")
if [ "$N" = "$NREQ" ]; then
	e2e_ok "rows == requests ($NREQ)"
else
	e2e_not_ok "rows == requests"
	e2e_diag "rows $N, requests $NREQ"
fi
N=$(sql "SELECT count(DISTINCT request_id) FROM audit_events")
[ "$N" = "$NREQ" ] && e2e_ok "every row has its own request id" ||
    e2e_not_ok "every row has its own request id ($N)"

# --- 2. secrets ---------------------------------------------------------------

# The mirror is best effort and asynchronous to nothing: give it a moment.
sleep 0.5
NL=$(grep -c 'mcpgate-audit\[' "$SYSLOG")
if [ "$NL" = "$NREQ" ]; then
	e2e_ok "the syslog mirror has one line per row ($NL)"
else
	e2e_not_ok "the syslog mirror has one line per row"
	e2e_diag "lines $NL, rows $NREQ"
fi
if grep -q '^<13[0-5]>' "$SYSLOG" &&
    sed 's/^[^]]*\]: //' "$SYSLOG" | jq -e -s \
    'length > 0 and all(.[]; .host_id == "e2e-host" and (.row_hash | length) == 64)' \
    >/dev/null 2>&1; then
	e2e_ok "syslog lines: facility local0, each a JSON row with its hash"
else
	e2e_not_ok "syslog lines: facility local0, each a JSON row with its hash"
	e2e_diag "$(head -c 600 "$SYSLOG")"
fi
sed 's/^[^]]*\]: //' "$SYSLOG" | jq -r .request_id | sort >"$E2E_TMP/syslog.rids"
sql "SELECT request_id FROM audit_events ORDER BY request_id" >"$E2E_TMP/db.rids"
if cmp -s "$E2E_TMP/syslog.rids" "$E2E_TMP/db.rids"; then
	e2e_ok "the syslog mirror names the same requests as the database"
else
	e2e_not_ok "the syslog mirror names the same requests as the database"
fi

# scan NAME: every planted secret is absent from the audit files.
scan() {
	_where="$ADB $ADB-wal $SYSLOG"
	for _s in "$KEY" "$SECRET_PART" "$REVOKED" "${REVOKED##*_}" "$BOGUS" \
	    PlantedBogusSecret "$COOKIE_SECRET" "$APIKEY_HDR_SECRET" \
	    "$QUERY_SECRET" "$OTP_SECRET" "$PHRASE_SECRET" "$NESTED_SECRET" \
	    "$BASIC_PW" "$(printf 'u:%s' "$BASIC_PW" | base64)" \
	    "e2e-idem-1" "Bearer "; do
		_hit=
		for _f in $_where; do
			[ -f "$_f" ] || continue
			if grep -a -q -F -- "$_s" "$_f"; then
				_hit="$_hit $(basename "$_f")"
			fi
		done
		if [ -z "$_hit" ]; then
			e2e_ok "$1: secret ${_s%"${_s#??????????}"}... in none of audit.db, audit.db-wal, syslog"
		else
			e2e_not_ok "$1: secret ${_s%"${_s#??????????}"}... found in:$_hit"
		fi
	done
}
if [ -f "$ADB-wal" ] && [ -s "$ADB-wal" ]; then
	e2e_ok "audit.db-wal exists while the workers run (it is scanned)"
else
	e2e_not_ok "audit.db-wal exists while the workers run"
fi
scan "while serving"
e2e_check_sanitizers "mixed run"
e2e_stop
scan "after stopping"

# --- 3. verify ------------------------------------------------------------------

if OUT=$(e2e_svc "$E2E_BIN" audit verify "$CFG" 2>&1) &&
    echo "$OUT" | grep -q ": ok: "; then
	e2e_ok "mcpgate audit verify: the chain is intact, MACs checked"
else
	e2e_not_ok "mcpgate audit verify: the chain is intact"
	e2e_diag "$OUT"
fi
mkdir -p "$E2E_TMP/tamper"
cp "$ADB" "$E2E_TMP/tamper/audit.db"
sed "s|\"db\": \"audit.db\"|\"db\": \"$E2E_TMP/tamper/audit.db\"|" "$CFG" \
    >"$E2E_TMP/tamper/mcpgate.json"
cp "$DATA/state.db" "$E2E_TMP/tamper/state.db" 2>/dev/null
e2e_own "$E2E_TMP/tamper"
e2e_svc sqlite3 "$E2E_TMP/tamper/audit.db" \
    "DELETE FROM audit_events WHERE seq = 5" >/dev/null 2>&1
if OUT=$(e2e_svc "$E2E_BIN" audit verify "$E2E_TMP/tamper/mcpgate.json" 2>&1); then
	e2e_not_ok "a deleted row is reported"
	e2e_diag "$OUT"
else
	echo "$OUT" | grep -q "BROKEN (gap) at row 6" &&
	    e2e_ok "a deleted row is reported (gap at row 6)" ||
	    { e2e_not_ok "a deleted row is reported"; e2e_diag "$OUT"; }
fi
cp "$ADB" "$E2E_TMP/tamper/audit.db"
e2e_own "$E2E_TMP/tamper"
e2e_svc sqlite3 "$E2E_TMP/tamper/audit.db" \
    "DROP TRIGGER audit_events_no_update; UPDATE audit_events SET principal = 'mallory' WHERE seq = 9" \
    >/dev/null 2>&1
if OUT=$(e2e_svc "$E2E_BIN" audit verify "$E2E_TMP/tamper/mcpgate.json" 2>&1); then
	e2e_not_ok "an edited row is reported"
	e2e_diag "$OUT"
else
	echo "$OUT" | grep -q "BROKEN (hash) at row 9" &&
	    e2e_ok "an edited row is reported (hash at row 9)" ||
	    { e2e_not_ok "an edited row is reported"; e2e_diag "$OUT"; }
fi

# --- 4. load, with workers SIGKILLed -------------------------------------------

make_data load false || e2e_done
e2e_start_lighttpd "$CFG" 4 || e2e_done
E2E_SID=
E2E_AUTH=

# client N: POSTs until the time is up; records the X-Request-Id of every
# response it received (lighttpd's own 5xx for a killed worker has none).
client() {
	_end=$(($(date +%s) + LOAD_SECONDS))
	_k=0
	while [ "$(date +%s)" -lt "$_end" ]; do
		_k=$((_k + 1))
		case $((_k % 3)) in
		0) _b='{"jsonrpc":"2.0","id":1,"method":"ping"}' ;;
		1) _b='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_order","arguments":{"order_id":1}}}' ;;
		*) _b='{"jsonrpc":"2.0","id":3,"method":"tools/list"}' ;;
		esac
		curl -s -o /dev/null --max-time 20 \
		    -H "Authorization: Bearer $KEY" \
		    -H 'Content-Type: application/json' \
		    -H 'Accept: application/json, text/event-stream' \
		    -w '%{http_code} %header{x-request-id}\n' \
		    --data-binary "$_b" "$E2E_URL/mcp" >>"$E2E_TMP/load-$1.out" \
		    2>/dev/null
	done
}

# The worker processes: our binary, children of this run's lighttpd.
LPID=${E2E_SERVERS%% *}
workers() {
	for _p in $(ps -o pid= --ppid "$LPID" 2>/dev/null); do
		[ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$E2E_BIN" ] &&
		    echo "$_p"
	done
}

CPIDS=
for c in 1 2 3 4 5 6; do
	client "$c" &
	CPIDS="$CPIDS $!"
done
KILLS=0
_end=$(($(date +%s) + LOAD_SECONDS - 1))
while [ "$(date +%s)" -lt "$_end" ]; do
	sleep 0.3
	# A different worker each time, most likely in the middle of a request.
	_w=$(workers | awk -v r="$KILLS" '{ p[NR] = $1 } END { if (NR) print p[r % NR + 1] }')
	if [ -n "$_w" ] && kill -KILL "$_w" 2>/dev/null; then
		KILLS=$((KILLS + 1))
	fi
done
for _p in $CPIDS; do
	wait "$_p"
done
cat "$E2E_TMP"/load-*.out >"$E2E_TMP/load.all"
awk 'length($2) == 32 { print $2 }' "$E2E_TMP/load.all" | sort -u \
    >"$E2E_TMP/load.rids"
GOT=$(wc -l <"$E2E_TMP/load.rids" | tr -d ' ')
OTHER=$(awk 'length($2) != 32' "$E2E_TMP/load.all" | wc -l | tr -d ' ')
e2e_diag "load: $GOT responses from mcpgate, $OTHER without (killed workers), $KILLS workers SIGKILLed"
[ "$KILLS" -ge 5 ] && e2e_ok "workers were SIGKILLed under load ($KILLS)" ||
    e2e_not_ok "workers were SIGKILLed under load ($KILLS)"
[ "$GOT" -ge 50 ] && e2e_ok "the clients got answers throughout ($GOT)" ||
    e2e_not_ok "the clients got answers throughout ($GOT)"
cp "$E2E_TMP/load.rids" "$DATA/load.rids"
e2e_own "$DATA/load.rids"
MISSING=$(e2e_svc sqlite3 -batch "$ADB" "CREATE TEMP TABLE r (id TEXT)" \
    ".import $DATA/load.rids r" \
    "SELECT count(*) FROM r WHERE id NOT IN (SELECT request_id FROM audit_events WHERE request_id IS NOT NULL)" 2>&1)
if [ "$MISSING" = 0 ]; then
	e2e_ok "every response a client received has its audit row ($GOT)"
else
	e2e_not_ok "every response a client received has its audit row"
	e2e_diag "missing: $MISSING of $GOT"
fi
ROWS=$(sql "SELECT count(*) FROM audit_events")
[ "$ROWS" -ge "$GOT" ] && e2e_ok "rows ($ROWS) >= responses ($GOT)" ||
    e2e_not_ok "rows ($ROWS) >= responses ($GOT)"
IC=$(sql "PRAGMA integrity_check")
[ "$IC" = ok ] && e2e_ok "PRAGMA integrity_check: ok" ||
    { e2e_not_ok "PRAGMA integrity_check"; e2e_diag "$IC"; }
if OUT=$(e2e_svc "$E2E_BIN" audit verify "$CFG" 2>&1) &&
    echo "$OUT" | grep -q ": ok: "; then
	e2e_ok "one unbroken chain across 4 workers and the kills ($OUT)"
else
	e2e_not_ok "one unbroken chain across 4 workers and the kills"
	e2e_diag "$OUT"
fi
e2e_check_sanitizers "load"
e2e_stop
e2e_done
