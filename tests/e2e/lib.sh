# tests/e2e/lib.sh -- helpers for the end-to-end tests (POSIX sh, dash).
#
# Sourced by tests/e2e/[0-9]*.sh:
#
#	. "$(dirname "$0")/lib.sh"
#	e2e_init
#	e2e_start_lighttpd "$cfg" 2
#	e2e_req POST '{"jsonrpc":"2.0","id":1,"method":"ping"}'
#	e2e_expect "lighttpd: ping -> 200 {}" 200 '.result == {}'
#	e2e_stop
#	e2e_done
#
# Every server started here listens on 127.0.0.1 on a free port in
# 20000-60000, keeps its files in the test's temp dir, and is stopped by the
# EXIT trap even when the test fails or is interrupted.  The binary under
# test is "$MCPGATE_TEST_ASAN/mcpgate" (tests/run.sh exports it; default
# build/asan/mcpgate).  Its sanitizer reports go to files that
# e2e_check_sanitizers turns into failures.
#
# TAP: e2e_ok, e2e_not_ok, e2e_check, e2e_expect print "ok N - name" /
# "not ok N - name" plus "# " diagnostics; e2e_done prints the plan and
# exits non-zero when anything failed.
#
# Every JSON response e2e_req receives (and every one the Node clients
# receive, through MCPGATE_CAPTURE=$E2E_CAPTURE) is kept in $E2E_CAPTURE, one
# line each: the MCP-Protocol-Version sent, the JSON-RPC method, the status,
# the path and the body.  e2e_done validates them all against the official
# MCP schema of that revision (tests/e2e/schemacheck.c) as one more test.
#
# Environment: E2E_KEEP=1 keeps the temp dir; E2E_VERBOSE=1 prints every
# request and response as diagnostics.

# shellcheck shell=sh
# Variables set here are read by the tests that source this file, and lists
# of pids are meant to be split:
# shellcheck disable=SC2034,SC2086

E2E_TOP=$(cd "$(dirname "$0")/../.." && pwd)
E2E_SRC_BIN=${MCPGATE_TEST_ASAN:-$E2E_TOP/build/asan}/mcpgate
E2E_SHARED=${MCPGATE_SHARED:-$E2E_TOP/../shared}
E2E_N=0
E2E_FAILED=0
E2E_TMP=
E2E_TAG=
E2E_SERVERS=
E2E_URL=
E2E_PORT=
E2E_RUN=
E2E_NAME=
E2E_SID=
E2E_PV=
E2E_AUTH=
E2E_CODE=
E2E_LASTREQ=
E2E_CAPTURE=
E2E_SCHEMACHECK=

# --- TAP --------------------------------------------------------------------

e2e_ok() {
	E2E_N=$((E2E_N + 1))
	echo "ok $E2E_N - $*"
}

e2e_not_ok() {
	E2E_N=$((E2E_N + 1))
	E2E_FAILED=$((E2E_FAILED + 1))
	echo "not ok $E2E_N - $*"
}

# e2e_diag TEXT...: diagnostics, one "# " line each (input lines too).
e2e_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# e2e_check NAME CMD...: ok when CMD succeeds.
e2e_check() {
	_ckname=$1
	shift
	if "$@"; then
		e2e_ok "$_ckname"
	else
		e2e_not_ok "$_ckname"
		e2e_diag "command failed: $*"
		return 1
	fi
}

# e2e_show_last: the last request and its response, as diagnostics.
e2e_show_last() {
	e2e_diag "request:  $E2E_LASTREQ"
	e2e_diag "got:      HTTP $E2E_CODE"
	if [ -s "$E2E_TMP/resp.h" ]; then
		tr -d '\r' <"$E2E_TMP/resp.h" | grep -iE \
		    '^(content-type|allow|mcp-session-id|content-length|www-authenticate):' |
		    sed 's/^/          /' | e2e_diag_stdin
	fi
	if [ -s "$E2E_TMP/resp.b" ]; then
		e2e_diag "body:     $(head -c 400 "$E2E_TMP/resp.b" | tr -d '\r' |
		    tr '\n' ' ')"
	else
		e2e_diag "body:     (empty)"
	fi
}

e2e_diag_stdin() {
	sed 's/^/# /'
}

# e2e_expect NAME STATUS [JQ_FILTER]: ok when the last response had HTTP
# status STATUS ("200|202" allowed) and, if given, JQ_FILTER is true of its
# body (jq -e).  On failure shows the request, expectation and response.
e2e_expect() {
	_exname=$1
	_want=$2
	_filter=${3:-}
	_okst=0
	_okbody=1
	case "|$_want|" in
	*"|$E2E_CODE|"*) _okst=1 ;;
	esac
	if [ -n "$_filter" ]; then
		if ! jq -e "$_filter" <"$E2E_TMP/resp.b" >/dev/null 2>&1; then
			_okbody=0
		fi
	fi
	if [ "$_okst" -eq 1 ] && [ "$_okbody" -eq 1 ]; then
		e2e_ok "$_exname"
		[ "${E2E_VERBOSE:-0}" = 1 ] && e2e_show_last
		return 0
	fi
	e2e_not_ok "$_exname"
	if [ -n "$_filter" ]; then
		e2e_diag "expected: HTTP $_want and body matching jq: $_filter"
	else
		e2e_diag "expected: HTTP $_want"
	fi
	e2e_show_last
	return 1
}

# e2e_hdr NAME: the value of response header NAME (case-insensitive).
e2e_hdr() {
	tr -d '\r' <"$E2E_TMP/resp.h" | awk -v n="$1" '
	    BEGIN { n = tolower(n) ":" }
	    tolower(substr($0, 1, length(n))) == n {
		v = substr($0, length(n) + 1); sub(/^[ \t]+/, "", v); print v; exit
	    }'
}

# e2e_schema_check: ok when every captured response validates against its
# revision's schema (nothing captured: nothing to say).
e2e_schema_check() {
	[ -n "$E2E_TMP" ] && [ -s "$E2E_CAPTURE" ] || return 0
	if [ ! -x "$E2E_SCHEMACHECK" ]; then
		e2e_not_ok "the response schema checker is built: $E2E_SCHEMACHECK (make VARIANT=asan)"
		return 1
	fi
	"$E2E_SCHEMACHECK" "$E2E_SHARED/testdata/mcp-schema" "$E2E_CAPTURE" \
	    >"$E2E_TMP/schemacheck.out" 2>&1
	_scrc=$?
	_sum=$(tail -n 1 "$E2E_TMP/schemacheck.out" | sed 's/^# //')
	if [ $_scrc -eq 0 ]; then
		e2e_ok "every JSON response validates against its revision's MCP schema: $_sum"
	else
		e2e_not_ok "every JSON response validates against its revision's MCP schema: $_sum"
		head -n 40 "$E2E_TMP/schemacheck.out" | sed 's/^# //' | e2e_diag_stdin
	fi
}

# e2e_done: the schema check, the plan line; cleans up (trap) and sets the
# exit status.
e2e_done() {
	e2e_schema_check
	echo "1..$E2E_N"
	[ "$E2E_FAILED" -eq 0 ]
	exit $?
}

e2e_bail() {
	e2e_not_ok "$*"
	e2e_done
}

# --- setup and cleanup ------------------------------------------------------

# e2e_init: temp dir, EXIT trap, service account, sanitizer options, and a
# copy of the binary under test that the service account can execute.
e2e_init() {
	for _c in curl jq sqlite3; do
		command -v "$_c" >/dev/null 2>&1 ||
		    e2e_bail "$_c is installed (run: sh scripts/deps.sh test)"
	done
	[ -x "$E2E_SRC_BIN" ] ||
	    e2e_bail "the binary under test exists: $E2E_SRC_BIN (make VARIANT=asan)"
	E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcpgate-e2e.XXXXXX") ||
	    e2e_bail "mktemp -d"
	chmod 755 "$E2E_TMP"
	E2E_TAG="mcpgate-e2e:$E2E_TMP"
	E2E_CAPTURE="$E2E_TMP/responses.jsonl"
	E2E_SCHEMACHECK=${MCPGATE_TEST_ASAN:-$E2E_TOP/build/asan}/tests/schemacheck
	trap 'e2e_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP

	if [ "$(id -u)" -eq 0 ]; then
		# Apache will not run its children as root, and neither should
		# mcpgate: the tests run the servers as an unprivileged account.
		if id www-data >/dev/null 2>&1; then
			E2E_USER=www-data
			E2E_GROUP=$(id -gn www-data)
		else
			E2E_USER=nobody
			E2E_GROUP=$(id -gn nobody)
		fi
	else
		E2E_USER=$(id -un)
		E2E_GROUP=$(id -gn)
	fi

	mkdir -p "$E2E_TMP/san" "$E2E_TMP/bin"
	E2E_SAN="$E2E_TMP/san"
	ASAN_OPTIONS="log_path=$E2E_SAN/asan:detect_leaks=0:halt_on_error=1:abort_on_error=0"
	UBSAN_OPTIONS="log_path=$E2E_SAN/ubsan:print_stacktrace=1:halt_on_error=1"
	export ASAN_OPTIONS UBSAN_OPTIONS
	cp "$E2E_SRC_BIN" "$E2E_TMP/bin/mcpgate"
	chmod 755 "$E2E_TMP/bin/mcpgate"
	E2E_BIN="$E2E_TMP/bin/mcpgate"
	e2e_own "$E2E_SAN"
}

# e2e_own PATH...: give PATH (recursively) to the service account, so the
# servers' workers can write databases, logs and sockets there.
e2e_own() {
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$E2E_USER:$E2E_GROUP" "$@"
	fi
}

# e2e_svc CMD...: run CMD as the service account (as the workers would).
e2e_svc() {
	if [ "$(id -u)" -eq 0 ] && [ "$E2E_USER" != root ]; then
		runuser -u "$E2E_USER" -- "$@"
	else
		"$@"
	fi
}

# e2e_tagged_pids: processes started by this test run (they carry
# MCPGATE_E2E_TAG=$E2E_TAG in their environment), excluding this shell.
e2e_tagged_pids() {
	for _d in /proc/[0-9]*; do
		_p=${_d#/proc/}
		[ "$_p" = "$$" ] && continue
		if { tr '\0' '\n' <"$_d/environ"; } 2>/dev/null |
		    grep -qxF "MCPGATE_E2E_TAG=$E2E_TAG"; then
			echo "$_p"
		fi
	done
}

# e2e_kill_wait PID...: SIGTERM, wait up to 10 s, then SIGKILL.
e2e_kill_wait() {
	for _p in "$@"; do
		kill -TERM "$_p" 2>/dev/null
	done
	_i=0
	while [ $_i -lt 100 ]; do
		_alive=
		for _p in "$@"; do
			if kill -0 "$_p" 2>/dev/null &&
			    ! grep -q '^State:.*Z' "/proc/$_p/status" 2>/dev/null; then
				_alive="$_alive $_p"
			fi
		done
		[ -z "$_alive" ] && break
		sleep 0.1
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

# e2e_stop: stop every server started so far (most recent first), then any
# process of ours they left behind (mod_fcgid and spawn-fcgi workers, or
# servers whose pid was lost): those found by their MCPGATE_E2E_TAG.
e2e_stop() {
	if [ -n "$E2E_SERVERS" ]; then
		e2e_kill_wait $E2E_SERVERS
	fi
	E2E_SERVERS=
	if [ -n "${E2E_TAG:-}" ]; then
		_left=$(e2e_tagged_pids)
		if [ -n "$_left" ]; then
			e2e_kill_wait $_left
		fi
	fi
	E2E_URL=
	E2E_PORT=
	return 0
}

e2e_cleanup() {
	_rc=$?
	trap - EXIT INT TERM HUP
	e2e_stop
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "${E2E_KEEP:-0}" = 1 ] || [ "$E2E_FAILED" -gt 0 ]; then
			echo "# temp dir kept: $E2E_TMP"
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	exit $_rc
}

# --- ports and waiting ------------------------------------------------------

# e2e_port_free PORT: true when nothing accepts connections on it.
e2e_port_free() {
	curl -s -o /dev/null --connect-timeout 1 --max-time 2 \
	    "http://127.0.0.1:$1/" 2>/dev/null
	[ $? -eq 7 ]
}

# e2e_free_port: prints a free port in 20000-60000 (there is a race with
# other programs until the server binds it; the start functions retry).
e2e_free_port() {
	_i=0
	while [ $_i -lt 50 ]; do
		_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
		_port=$((20000 + _r % 40000))
		if e2e_port_free "$_port"; then
			echo "$_port"
			return 0
		fi
		_i=$((_i + 1))
	done
	return 1
}

# e2e_wait_up PORT PID [SECONDS]: wait until PORT answers HTTP, while PID
# lives.  Returns 1 if PID died or the time ran out.
e2e_wait_up() {
	_lim=$(( ${3:-15} * 10 ))
	_i=0
	while [ $_i -lt $_lim ]; do
		if ! kill -0 "$2" 2>/dev/null; then
			return 1
		fi
		if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" \
		    2>/dev/null; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# e2e_started NAME PORT PID: record a server, set E2E_URL and E2E_PORT.
e2e_started() {
	E2E_SERVERS="$3 $E2E_SERVERS"
	E2E_NAME=$1
	E2E_PORT=$2
	E2E_URL="http://127.0.0.1:$2"
}

# e2e_fill TEMPLATE OUT: replace @VAR@ placeholders from E2E_F_* variables.
e2e_fill() {
	sed -e "s|@BIND@|127.0.0.1|g" \
	    -e "s|@PORT@|$E2E_F_PORT|g" \
	    -e "s|@BIN@|$E2E_BIN|g" \
	    -e "s|@BINDIR@|$(dirname "$E2E_BIN")|g" \
	    -e "s|@CONFIG@|$E2E_F_CONFIG|g" \
	    -e "s|@RUNDIR@|$E2E_F_RUNDIR|g" \
	    -e "s|@WORKERS@|$E2E_F_WORKERS|g" \
	    -e "s|@USER@|$E2E_USER|g" \
	    -e "s|@GROUP@|$E2E_GROUP|g" \
	    -e "s|@TOP@|$E2E_TOP|g" \
	    -e "s|@TAG@|$E2E_TAG|g" \
	    -e "s|@ASAN_OPTIONS@|$ASAN_OPTIONS|g" \
	    -e "s|@UBSAN_OPTIONS@|$UBSAN_OPTIONS|g" \
	    "$1" >"$2"
}

# e2e_logs_diag: the tail of the current server's error logs.
e2e_logs_diag() {
	for _f in "$E2E_RUN"/*error.log "$E2E_RUN"/*.out; do
		[ -s "$_f" ] || continue
		e2e_diag "--- $_f (tail)"
		tail -n 15 "$_f" | e2e_diag_stdin
	done
}

# --- lighttpd ---------------------------------------------------------------

# e2e_start_lighttpd CONFIG [WORKERS] [TEMPLATE]: lighttpd with mod_fastcgi
# spawning WORKERS (default 2) mcpgate processes for mcpgate config CONFIG,
# from deploy/lighttpd/mcpgate.conf (or TEMPLATE, e.g. mcpgate-cgi.conf).
e2e_start_lighttpd() {
	_tmpl=${3:-$E2E_TOP/deploy/lighttpd/mcpgate.conf}
	command -v lighttpd >/dev/null 2>&1 || {
		e2e_not_ok "lighttpd is installed (run: sh scripts/deps.sh test)"
		return 1
	}
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		E2E_F_PORT=$(e2e_free_port) || break
		E2E_F_CONFIG=$1
		E2E_F_WORKERS=${2:-2}
		E2E_F_RUNDIR="$E2E_TMP/lighttpd-$E2E_F_PORT"
		E2E_RUN=$E2E_F_RUNDIR
		mkdir -p "$E2E_RUN/htdocs"
		e2e_fill "$_tmpl" "$E2E_RUN/lighttpd.conf"
		e2e_own "$E2E_RUN"
		if ! lighttpd -tt -f "$E2E_RUN/lighttpd.conf" \
		    >"$E2E_RUN/configtest.out" 2>&1; then
			e2e_not_ok "lighttpd accepts $(basename "$_tmpl") (lighttpd -tt)"
			e2e_logs_diag
			return 1
		fi
		env MCPGATE_E2E_TAG="$E2E_TAG" \
		    lighttpd -D -f "$E2E_RUN/lighttpd.conf" \
		    >"$E2E_RUN/lighttpd.out" 2>&1 </dev/null &
		_pid=$!
		if e2e_wait_up "$E2E_F_PORT" "$_pid"; then
			e2e_started lighttpd "$E2E_F_PORT" "$_pid"
			return 0
		fi
		e2e_kill_wait "$_pid"
	done
	e2e_not_ok "lighttpd starts with $(basename "$_tmpl")"
	e2e_logs_diag
	return 1
}

# --- Apache -----------------------------------------------------------------

# e2e_start_apache MODE CONFIG [WORKERS]: Apache httpd from
# tests/e2e/apache.conf.in, MODE one of
#   fcgid           deploy/apache/mcpgate-fcgid.conf (mod_fcgid spawns mcpgate)
#   proxy_fcgi      deploy/apache/mcpgate-proxy-fcgi.conf, in front of a
#                   spawn-fcgi pool of WORKERS processes started here
#   cgi             deploy/apache/mcpgate-cgi.conf (mod_cgid, plain CGI)
#   htaccess_cgi    deploy/apache/htaccess-cgi as .htaccess + mcp.cgi
#   htaccess_fcgid  deploy/apache/htaccess-fcgid as .htaccess + mcp.fcgi
e2e_start_apache() {
	_mode=$1
	command -v apache2 >/dev/null 2>&1 || {
		e2e_not_ok "apache2 is installed (run: sh scripts/deps.sh test)"
		return 1
	}
	if [ "$_mode" = proxy_fcgi ] && ! command -v spawn-fcgi >/dev/null 2>&1
	then
		e2e_not_ok "spawn-fcgi is installed (run: sh scripts/deps.sh test)"
		return 1
	fi
	_try=0
	while [ $_try -lt 3 ]; do
		_try=$((_try + 1))
		E2E_F_PORT=$(e2e_free_port) || break
		E2E_F_CONFIG=$2
		E2E_F_WORKERS=${3:-2}
		E2E_F_RUNDIR="$E2E_TMP/apache-$_mode-$E2E_F_PORT"
		E2E_RUN=$E2E_F_RUNDIR
		mkdir -p "$E2E_RUN/htdocs" "$E2E_RUN/apache-rt"
		e2e_fill "$E2E_TOP/tests/e2e/apache.conf.in" "$E2E_RUN/httpd.conf"
		case $_mode in
		htaccess_cgi)
			sed "s|^SetEnv MCPGATE_CONFIG .*|SetEnv MCPGATE_CONFIG $2|" \
			    "$E2E_TOP/deploy/apache/htaccess-cgi" \
			    >"$E2E_RUN/htdocs/.htaccess"
			cp "$E2E_BIN" "$E2E_RUN/htdocs/mcp.cgi"
			chmod 755 "$E2E_RUN/htdocs/mcp.cgi"
			;;
		htaccess_fcgid)
			cp "$E2E_TOP/deploy/apache/htaccess-fcgid" \
			    "$E2E_RUN/htdocs/.htaccess"
			printf '#!/bin/sh\nMCPGATE_CONFIG=%s exec %s\n' \
			    "$2" "$E2E_BIN" >"$E2E_RUN/htdocs/mcp.fcgi"
			chmod 755 "$E2E_RUN/htdocs/mcp.fcgi"
			;;
		esac
		e2e_own "$E2E_RUN"
		if [ "$_mode" = proxy_fcgi ]; then
			e2e_spawn_fcgi "$2" "$E2E_F_WORKERS" || return 1
		fi
		if ! apache2 -t -f "$E2E_RUN/httpd.conf" -D "MODE_$_mode" \
		    >"$E2E_RUN/configtest.out" 2>&1; then
			e2e_not_ok "apache2 accepts the $_mode config (apache2 -t)"
			e2e_logs_diag
			return 1
		fi
		env MCPGATE_E2E_TAG="$E2E_TAG" \
		    apache2 -f "$E2E_RUN/httpd.conf" -D "MODE_$_mode" \
		    -DFOREGROUND >"$E2E_RUN/apache.out" 2>&1 </dev/null &
		_pid=$!
		if e2e_wait_up "$E2E_F_PORT" "$_pid"; then
			e2e_started "apache-$_mode" "$E2E_F_PORT" "$_pid"
			return 0
		fi
		e2e_kill_wait "$_pid"
		e2e_stop
	done
	e2e_not_ok "apache2 starts in mode $_mode"
	e2e_logs_diag
	return 1
}

# e2e_spawn_fcgi CONFIG WORKERS: a FastCGI pool on $E2E_RUN/mcpgate.sock, the
# way deploy/apache/README.md runs it.
e2e_spawn_fcgi() {
	_sock="$E2E_RUN/mcpgate.sock"
	rm -f "$_sock" "$E2E_RUN/spawn-fcgi.pid"
	if [ "$(id -u)" -eq 0 ]; then
		set -- "$1" "$2" -u "$E2E_USER" -g "$E2E_GROUP" \
		    -U "$E2E_USER" -G "$E2E_GROUP"
	else
		set -- "$1" "$2"
	fi
	_cfg=$1
	_w=$2
	shift 2
	if ! env MCPGATE_E2E_TAG="$E2E_TAG" MCPGATE_CONFIG="$_cfg" \
	    spawn-fcgi -s "$_sock" -M 0660 -F "$_w" \
	    -P "$E2E_RUN/spawn-fcgi.pid" "$@" -- "$E2E_BIN" \
	    >"$E2E_RUN/spawn-fcgi.out" 2>&1 </dev/null; then
		e2e_not_ok "spawn-fcgi starts $_w mcpgate workers"
		e2e_logs_diag
		return 1
	fi
	# The pool is not our child: remember its pids for e2e_stop.
	E2E_SERVERS="$(tr -cs '0-9' ' ' <"$E2E_RUN/spawn-fcgi.pid") $E2E_SERVERS"
	return 0
}

# --- requests ---------------------------------------------------------------

# e2e_req_headers CURLCONFIG: the request headers, one line, credentials
# shortened.
e2e_req_headers() {
	sed -n 's/^header = "\(.*\)"$/\1/p' "$1" | grep -v '^Expect:' |
	    sed 's/^\(Authorization: [^ ]* .\{0,10\}\).*/\1.../' | tr '\n' ';'
}

# e2e_req [options] METHOD [BODY]: one HTTP request to $E2E_URL.
#   -a ACCEPT   Accept (default "application/json, text/event-stream";
#               "" sends none)
#   -c CTYPE    Content-Type of a body (default application/json; "" none)
#   -s SID      Mcp-Session-Id (default $E2E_SID; "" none)
#   -v VERSION  MCP-Protocol-Version (default $E2E_PV; "" none)
#   -A VALUE    Authorization (default $E2E_AUTH; "" none)
#   -o ORIGIN   Origin;  -h HOST  Host;  -H 'Name: value'  any header (may
#               be repeated)
#   -p PATH     path (default /mcp)
#   -f FILE     body from FILE (exact bytes)
#   -C          send the body chunked (no Content-Length)
# Sets E2E_CODE; headers in $E2E_TMP/resp.h, body in $E2E_TMP/resp.b.
e2e_req() {
	_accept="application/json, text/event-stream"
	_ctype="application/json"
	_sid=$E2E_SID
	_pv=$E2E_PV
	_auth=$E2E_AUTH
	_origin=
	_host=
	_extra=
	_path=/mcp
	_file=
	_chunked=0
	while [ $# -gt 0 ]; do
		case $1 in
		-a) _accept=$2; shift 2 ;;
		-c) _ctype=$2; shift 2 ;;
		-s) _sid=$2; shift 2 ;;
		-v) _pv=$2; shift 2 ;;
		-A) _auth=$2; shift 2 ;;
		-o) _origin=$2; shift 2 ;;
		-h) _host=$2; shift 2 ;;
		-H) _extra="$_extra${_extra:+
}$2"; shift 2 ;;
		-p) _path=$2; shift 2 ;;
		-f) _file=$2; shift 2 ;;
		-C) _chunked=1; shift ;;
		*) break ;;
		esac
	done
	_method=$1
	_k="$E2E_TMP/req.curl"
	{
		echo 'header = "Expect:"'
		if [ -n "$_accept" ]; then
			echo "header = \"Accept: $_accept\""
		else
			echo 'header = "Accept:"'
		fi
		[ -n "$_sid" ] && echo "header = \"Mcp-Session-Id: $_sid\""
		[ -n "$_pv" ] && echo "header = \"MCP-Protocol-Version: $_pv\""
		[ -n "$_auth" ] && echo "header = \"Authorization: $_auth\""
		[ -n "$_origin" ] && echo "header = \"Origin: $_origin\""
		[ -n "$_host" ] && echo "header = \"Host: $_host\""
		[ -n "$_extra" ] && printf '%s\n' "$_extra" |
		    sed 's/^\(.*\)$/header = "\1"/'
		[ "$_chunked" -eq 1 ] &&
		    echo 'header = "Transfer-Encoding: chunked"'
	} >"$_k"
	_body=
	if [ -n "$_file" ]; then
		_body=$_file
	elif [ $# -ge 2 ]; then
		_body="$E2E_TMP/req.body"
		printf '%s' "$2" >"$_body"
	fi
	if [ -n "$_body" ]; then
		if [ -n "$_ctype" ]; then
			echo "header = \"Content-Type: $_ctype\"" >>"$_k"
		else
			echo 'header = "Content-Type:"' >>"$_k"
		fi
		set -- --data-binary "@$_body"
		E2E_LASTREQ="$_method $_path [$(e2e_req_headers "$_k")] body($(wc -c <"$_body") bytes): $(head -c 200 "$_body" | tr '\n' ' ')"
	else
		set --
		E2E_LASTREQ="$_method $_path [$(e2e_req_headers "$_k")] no body"
	fi
	: >"$E2E_TMP/resp.h"
	: >"$E2E_TMP/resp.b"
	E2E_CODE=$(curl -sS -K "$_k" -X "$_method" -o "$E2E_TMP/resp.b" \
	    -D "$E2E_TMP/resp.h" -w '%{http_code}' --max-time 30 "$@" \
	    "$E2E_URL$_path" 2>"$E2E_TMP/curl.err")
	_rc=$?
	if [ $_rc -ne 0 ]; then
		# A transport error fails the test even if a status arrived.
		E2E_CODE="$E2E_CODE, then curl error $_rc: $(head -c 200 \
		    "$E2E_TMP/curl.err" | tr '\n' ' ')"
	fi
	[ "${E2E_VERBOSE:-0}" = 1 ] && e2e_diag "$E2E_LASTREQ -> $E2E_CODE"
	e2e_capture "$_pv" "${_body:-/dev/null}" "$_path"
	return 0
}

# e2e_capture VERSION REQUEST_BODY_FILE PATH: keep the last response for the
# schema check, when it is JSON.
e2e_capture() {
	[ -s "$E2E_TMP/resp.b" ] || return 0
	case $(e2e_hdr Content-Type) in
	application/json*) ;;
	*) return 0 ;;
	esac
	jq -cn --arg rev "$1" --rawfile req "$2" --arg path "$3" \
	    --arg status "${E2E_CODE%%,*}" --rawfile body "$E2E_TMP/resp.b" \
	    '($req | try fromjson catch null) as $r |
	     {rev: $rev, path: $path, body: $body,
	      status: ($status | try tonumber catch 0),
	      method: (if ($r | type) == "object" and ($r.method | type) == "string"
	               then $r.method else "" end)}' \
	    >>"$E2E_CAPTURE" 2>/dev/null || true
}

# e2e_rpc METHOD [PARAMS_JSON [ID [e2e_req options...]]]: POST a JSON-RPC
# request (PARAMS_JSON "" for none, ID default 1).
e2e_rpc() {
	_m=$1
	_p=${2:-}
	_id=${3:-1}
	if [ $# -ge 3 ]; then shift 3; else shift $#; fi
	if [ -n "$_p" ]; then
		_b="{\"jsonrpc\":\"2.0\",\"id\":$_id,\"method\":\"$_m\",\"params\":$_p}"
	else
		_b="{\"jsonrpc\":\"2.0\",\"id\":$_id,\"method\":\"$_m\"}"
	fi
	e2e_req "$@" POST "$_b"
}

# e2e_initialize [VERSION]: initialize, set E2E_SID from the response and
# E2E_PV to the negotiated version, send notifications/initialized.
# Returns 1 if any step fails (callers assert the details).
e2e_initialize() {
	_v=${1:-2025-11-25}
	E2E_SID=
	E2E_PV=
	e2e_rpc initialize "{\"protocolVersion\":\"$_v\",\"capabilities\":{},\"clientInfo\":{\"name\":\"e2e\",\"version\":\"1\"}}"
	[ "$E2E_CODE" = 200 ] || return 1
	E2E_SID=$(e2e_hdr Mcp-Session-Id)
	E2E_PV=$(jq -r '.result.protocolVersion // empty' "$E2E_TMP/resp.b")
	e2e_req POST '{"jsonrpc":"2.0","method":"notifications/initialized"}'
	[ "$E2E_CODE" = 202 ]
}

# --- sanitizers and crashes -------------------------------------------------

# e2e_check_sanitizers LABEL: not ok if any worker wrote an ASan/UBSan
# report since the last call (the reports are then moved aside).
e2e_check_sanitizers() {
	_reports=$(ls "$E2E_SAN" 2>/dev/null)
	if [ -z "$_reports" ]; then
		e2e_ok "$1: no AddressSanitizer/UBSan reports from mcpgate"
		return 0
	fi
	e2e_not_ok "$1: no AddressSanitizer/UBSan reports from mcpgate"
	mkdir -p "$E2E_TMP/san-seen"
	for _r in $_reports; do
		e2e_diag "--- $_r"
		grep -E 'ERROR|SUMMARY|runtime error|^    #[0-9] ' \
		    "$E2E_SAN/$_r" | head -n 20 | e2e_diag_stdin
		mv "$E2E_SAN/$_r" "$E2E_TMP/san-seen/$1-$_r"
	done
	return 1
}
