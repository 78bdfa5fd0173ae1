#!/bin/sh
# The default (-O2) build, run as plain CGI under valgrind for every kind of
# request path: a clean run has no invalid access and no definite leak.
# (The ASan build covers the same paths in every other test; valgrind also
# sees the uninstrumented libraries: jansson, SQLite, OpenSSL, libfcgi.)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin="${MCPGATE_TEST_BUILD:-$top/build/default}/mcpgate"
n=0
if ! command -v valgrind >/dev/null 2>&1; then
	echo "not ok 1 - valgrind is not installed (scripts/deps.sh test installs it)"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-vg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$top/deploy/demo/mcpgate.json" "$tmp/mcpgate.json"
sqlite3 "$tmp/shop.db" <"$top/deploy/demo/shop.sql" >/dev/null
export MCPGATE_CONFIG="$tmp/mcpgate.json"
"$bin" init >/dev/null || { echo "not ok 1 - mcpgate init"; exit 1; }
key=$("$bin" key create --name demo --scope 'orders:read refunds:write outbox:write' 2>/dev/null)

vg() {	# name, expected status, body, [extra env...]
	name=$1 want=$2 body=$3
	shift 3
	n=$((n + 1))
	printf '%s' "$body" | env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
	    REQUEST_URI=/mcp SERVER_ADDR=127.0.0.1 HTTP_HOST=127.0.0.1:8080 \
	    CONTENT_TYPE=application/json REMOTE_ADDR=127.0.0.1 \
	    HTTP_ACCEPT='application/json, text/event-stream' \
	    CONTENT_LENGTH=${#body} HTTP_AUTHORIZATION="Bearer $key" \
	    HTTP_MCP_PROTOCOL_VERSION=2025-11-25 HTTP_MCP_SESSION_ID="${sid:-}" \
	    "$@" valgrind -q --leak-check=full --errors-for-leak-kinds=definite \
	    --error-exitcode=9 "$bin" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got=$(sed -n '1s/^Status: \([0-9]*\).*/\1/p' "$tmp/out")
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ]; then
		echo "ok $n - valgrind clean: $name ($got)"
	else
		echo "not ok $n - valgrind: $name (exit $rc, status $got, want $want)"
		sed 's/^/#   /' "$tmp/err" | head -30
	fi
}

sid=
vg "initialize" 200 '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"vg","version":"1"}}}'
sid=$(sed -n 's/^Mcp-Session-Id: \([0-9a-f]*\).*/\1/p' "$tmp/out")
vg "tools/list" 200 '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'
vg "read tool" 200 '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_orders","arguments":{"status":"paid"}}}'
vg "write tool with key" 200 '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"issue_refund","arguments":{"order_id":1001,"amount_cents":100,"reason":"dented","idempotency_key":"vg-1"}}}'
vg "replayed write" 200 '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"issue_refund","arguments":{"order_id":1001,"amount_cents":100,"reason":"dented","idempotency_key":"vg-1"}}}'
vg "failing check" 200 '{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"issue_refund","arguments":{"order_id":1001,"amount_cents":9999999,"reason":"dented","idempotency_key":"vg-2"}}}'
vg "schema violations" 200 '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"issue_refund","arguments":{"order_id":"x","extra":1}}}'
vg "unknown method" 200 '{"jsonrpc":"2.0","id":8,"method":"nope"}'
vg "parse error" 400 '{"jsonrpc":'
vg "bad credential" 401 '{"jsonrpc":"2.0","id":9,"method":"ping"}' HTTP_AUTHORIZATION="Bearer mcpk_nope"
vg "notification" 202 '{"jsonrpc":"2.0","method":"notifications/initialized"}'
echo "1..$n"
