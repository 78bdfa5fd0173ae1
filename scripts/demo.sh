#!/bin/sh
# scripts/demo.sh BUILD_DIR -- serve the demo shop on http://127.0.0.1:8080/mcp
# (what `make run` does, after building BUILD_DIR/mcpgate).
#
# Everything lives in run/demo/ (git-ignored): the config, shop.db, state.db,
# the demo API key, lighttpd's config, sockets and logs.  The data is kept
# between runs; `rm -rf run/demo` starts afresh.  lighttpd runs in the
# foreground with 2 mcpgate FastCGI workers; Ctrl-C stops it all.
#
# Environment: MCPGATE_DEMO_PORT (default 8080), MCPGATE_DEMO_WORKERS (2).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/default}
case $build in
/*) ;;
*) build="$top/$build" ;;
esac
port=${MCPGATE_DEMO_PORT:-8080}
workers=${MCPGATE_DEMO_WORKERS:-2}
demo="$top/run/demo"

die() {
	echo "demo: $*" >&2
	exit 1
}

[ -x "$build/mcpgate" ] || die "no $build/mcpgate; run make first"
command -v lighttpd >/dev/null 2>&1 ||
    die "lighttpd is not installed (sh scripts/deps.sh runtime)"
command -v sqlite3 >/dev/null 2>&1 ||
    die "sqlite3 is not installed (sh scripts/deps.sh runtime)"
if [ ! -f "$top/deploy/demo/mcpgate.json" ] ||
    [ ! -f "$top/deploy/demo/shop.sql" ]; then
	die "deploy/demo/mcpgate.json or shop.sql is missing"
fi

# Is something already listening there?
if curl -s -o /dev/null --connect-timeout 1 --max-time 2 \
    "http://127.0.0.1:$port/" 2>/dev/null || [ $? -ne 7 ]; then
	die "127.0.0.1:$port is in use; stop what runs there or set MCPGATE_DEMO_PORT"
fi

# As root, the server and its workers run as www-data (lighttpd drops
# privileges), so the demo's files must be theirs.
if [ "$(id -u)" -eq 0 ]; then
	user=www-data
	id "$user" >/dev/null 2>&1 || user=nobody
	group=$(id -gn "$user")
else
	user=$(id -un)
	group=$(id -gn)
fi
as_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$user" -- "$@"
	else
		"$@"
	fi
}

mkdir -p "$demo/htdocs" "$demo/bin" || die "cannot create $demo"
# The config is the repo's, every time; the data stays.
cp "$top/deploy/demo/mcpgate.json" "$demo/mcpgate.json" || die "cannot copy the config"
# A copy of the binary the service account can surely execute (the
# checkout may sit in a home directory it cannot enter).
if ! cp "$build/mcpgate" "$demo/bin/mcpgate.new" ||
    ! mv "$demo/bin/mcpgate.new" "$demo/bin/mcpgate"; then
	die "cannot copy $build/mcpgate"
fi
if [ ! -f "$demo/shop.db" ]; then
	sqlite3 "$demo/shop.db" <"$top/deploy/demo/shop.sql" >/dev/null ||
	    die "cannot create shop.db from deploy/demo/shop.sql"
fi
if [ "$(id -u)" -eq 0 ]; then
	chown -R "$user:$group" "$demo"
fi
chmod 755 "$demo"

cfg="$demo/mcpgate.json"
bin="$demo/bin/mcpgate"
as_user "$bin" check "$cfg" || die "the demo config does not check: $cfg"
as_user "$bin" init "$cfg" >/dev/null || die "mcpgate init failed"

# The demo API key: created once, kept in run/demo/demo-key (mode 600).
key=
keyfile="$demo/demo-key"
if [ -s "$keyfile" ]; then
	key=$(cat "$keyfile")
elif out=$(as_user "$bin" key create --name demo \
    --scope 'orders:read refunds:write outbox:write' --config "$cfg" \
    2>"$demo/key-create.err"); then
	key=$(printf '%s\n' "$out" | grep -o 'mcpk_[0-9A-Za-z_]*' | head -n 1)
	[ -n "$key" ] || key=$(printf '%s\n' "$out" | tail -n 1)
	(umask 077 && printf '%s\n' "$key" >"$keyfile")
	rm -f "$demo/key-create.err"
else
	# An older binary without `mcpgate key create`: the demo still runs,
	# with the config's auth and no key.
	echo "demo: note: \`mcpgate key create\` failed; no demo key:" >&2
	head -n 3 "$demo/key-create.err" | sed 's/^/demo:   /' >&2
fi

# lighttpd's config from the template.
sed -e "s|@BIND@|127.0.0.1|g" -e "s|@PORT@|$port|g" \
    -e "s|@BIN@|$bin|g" -e "s|@CONFIG@|$cfg|g" \
    -e "s|@RUNDIR@|$demo|g" -e "s|@WORKERS@|$workers|g" \
    -e "s|@USER@|$user|g" -e "s|@GROUP@|$group|g" \
    "$top/deploy/lighttpd/mcpgate.conf" >"$demo/lighttpd.conf" ||
    die "cannot write $demo/lighttpd.conf"
lighttpd -tt -f "$demo/lighttpd.conf" || die "lighttpd rejects $demo/lighttpd.conf"

url="http://127.0.0.1:$port/mcp"
if [ -n "$key" ]; then
	auth_curl="  -H 'Authorization: Bearer $key' \\
"
	auth_json=",
        \"headers\": { \"Authorization\": \"Bearer $key\" }"
else
	auth_curl=
	auth_json=
fi

cat <<EOF

mcpgate demo shop: $url
  config  $cfg
  data    $demo/shop.db (orders, refunds, outbox), $demo/state.db
  logs    $demo/lighttpd-error.log (mcpgate logs to stderr, which lands there)
EOF
if [ -n "$key" ]; then
	cat <<EOF
  API key (scopes orders:read refunds:write outbox:write), also in $keyfile:

    $key
EOF
fi
cat <<EOF

Try it:

  curl -i $url \\
  -H 'Content-Type: application/json' \\
  -H 'Accept: application/json, text/event-stream' \\
$auth_curl  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'

  (then send the Mcp-Session-Id it returns with every later request)

An MCP client (Claude Code .mcp.json, Cursor mcp.json, ...):

  {
    "mcpServers": {
      "mcpgate-demo": {
        "type": "http",
        "url": "$url"$auth_json
      }
    }
  }

lighttpd is running in the foreground; Ctrl-C stops it and its workers.
EOF

exec lighttpd -D -f "$demo/lighttpd.conf"
