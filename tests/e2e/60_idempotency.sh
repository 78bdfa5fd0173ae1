#!/bin/sh
# tests/e2e/60_idempotency.sh -- idempotent writes, rate limits, deadlines
# and lock waits (issue 5) through a real lighttpd with 4 FastCGI workers,
# API keys required.
#
#   sh tests/e2e/60_idempotency.sh      (tests/run.sh runs it the same way)
#   E2E_KEEP=1 / E2E_VERBOSE=1          keep the temp dir / show requests
#
# What must hold, and how it is seen (rows counted in the tool's database,
# never inferred from responses alone):
#   - one write sent 100 times at once with one Idempotency-Key runs once;
#     every caller gets the first result (replays marked
#     _meta["dev.mcpgate/replay"]) or a retryable in_progress conflict;
#   - the key with other arguments: idempotency_key_reused, nothing run;
#     another principal's identical key is its own call; failures (schema,
#     semantic check) store nothing; "derived" and "required" tools; the
#     idempotency_key argument, and the header winning over it;
#   - every worker SIGKILLed in the middle of a 2-million-row INSERT: the
#     write happened 0 or 1 times, the retry with the key completes it once,
#     both databases pass integrity_check, no journal or lock is left;
#   - rate limits shared by the 4 workers: a tool's bucket (burst 3 of 12
#     concurrent calls), the principal's total (second server), other
#     principals untouched, nothing executed for a limited call;
#   - a statement past timeout_ms is a quick transient error and leaves no
#     transaction open; a lock held by another process is a bounded wait;
#   - expired records are pruned by later writes, no daemon.
# Lists of pids are meant to be split:
# shellcheck disable=SC2016,SC2034,SC2086
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

WORKERS=4
BULK_ROWS=2000000	# slow_bulk: ~1-2 s of INSERT
E2E_PV=2025-11-25

e2e_init

# --- data -------------------------------------------------------------------

DATA="$E2E_TMP/data"
CFG="$DATA/mcpgate.json"
CFG2="$DATA/mcpgate-total.json"
mkdir -p "$DATA"

# The tools.  add_item and its kin write one row and return it, request id
# included: a replay is recognisable as the first call's result.  add_work
# also computes for ~0.1 s inside its statement, so that while it runs the
# other workers' duplicates are certainly waiting on its claim.
cat >"$CFG" <<'EOF'
{
  "server": {
    "name": "e2e-idem",
    "endpoint": "/mcp",
    "resource_url": "http://127.0.0.1/mcp",
    "state_db": "state.db",
    "sessions": false,
    "idempotency_ttl_seconds": 60
  },
  "auth": { "mode": "required",
    "throttle": { "failures": 1000, "window_seconds": 60, "block_seconds": 1 } },
  "databases": {
    "w": { "path": "w.db" },
    "slow": { "path": "slow.db" },
    "lock": { "path": "lock.db" }
  },
  "tools": [
    { "name": "add_item", "kind": "sql", "database": "w", "scope": "w",
      "annotations": { "readOnlyHint": false },
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string", "minLength": 1 },
                        "note": { "type": "string" } },
        "required": ["label"] },
      "sql": "INSERT INTO items (label, note, principal, req) VALUES (:label, :note, @principal, @request_id) RETURNING id, label, principal, req",
      "result": "one",
      "checks": [ { "sql": "SELECT :label <> 'forbidden'",
        "category": "validation", "code": "label_forbidden",
        "message": "The label {label} is not allowed." } ] },
    { "name": "add_work", "kind": "sql", "database": "w", "scope": "w",
      "annotations": { "readOnlyHint": false },
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string", "minLength": 1 } },
        "required": ["label"] },
      "sql": "INSERT INTO items (label, principal, req, work) SELECT :label, @principal, @request_id, (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) SELECT sum(x) FROM c) RETURNING id, label, principal, req, work",
      "result": "one" },
    { "name": "add_req", "kind": "sql", "database": "w", "scope": "w",
      "idempotency": "required",
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string" } }, "required": ["label"] },
      "sql": "INSERT INTO items (label, principal, req) VALUES (:label, @principal, @request_id) RETURNING id, label, principal, req",
      "result": "one" },
    { "name": "add_derived", "kind": "sql", "database": "w", "scope": "w",
      "idempotency": "derived",
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string" } }, "required": ["label"] },
      "sql": "INSERT INTO items (label, principal, req) VALUES (:label, @principal, @request_id) RETURNING id, label, principal, req",
      "result": "one" },
    { "name": "add_limited", "kind": "sql", "database": "w", "scope": "w",
      "rate_limit": { "per_minute": 6, "burst": 3 },
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string" } }, "required": ["label"] },
      "sql": "INSERT INTO items (label, principal, req) VALUES (:label, @principal, @request_id) RETURNING id, label, principal, req",
      "result": "one" },
    { "name": "slow_bulk", "kind": "sql", "database": "slow", "scope": "w",
      "timeout_ms": 20000,
      "input_schema": { "type": "object",
        "properties": { "batch": { "type": "string" },
                        "rows": { "type": "integer", "minimum": 1, "maximum": 5000000 } },
        "required": ["batch", "rows"] },
      "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < :rows) INSERT INTO bulk (batch, x) SELECT :batch, x FROM c",
      "result": "exec" },
    { "name": "slow_spin", "kind": "sql", "database": "slow", "scope": "w",
      "timeout_ms": 300,
      "input_schema": { "type": "object" },
      "sql": "INSERT INTO spins (total) SELECT sum(x) FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 4000000000) SELECT x FROM c)",
      "result": "exec" },
    { "name": "slow_mark", "kind": "sql", "database": "slow", "scope": "w",
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string" } }, "required": ["label"] },
      "sql": "INSERT INTO marks (label) VALUES (:label) RETURNING id, label",
      "result": "one" },
    { "name": "lock_write", "kind": "sql", "database": "lock", "scope": "w",
      "input_schema": { "type": "object",
        "properties": { "label": { "type": "string" } }, "required": ["label"] },
      "sql": "INSERT INTO t (label) VALUES (:label) RETURNING id, label",
      "result": "one" }
  ]
}
EOF
# The same, plus a total per principal: 5 calls, then 6 a minute.
jq '.server.rate_limit = { "per_minute": 6, "burst": 5 }' "$CFG" >"$CFG2" ||
    e2e_bail "jq writes the second config"

sqlite3 "$DATA/w.db" <<'EOF'
CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT NOT NULL, note TEXT,
    principal TEXT NOT NULL, req TEXT NOT NULL, work INTEGER);
EOF
sqlite3 "$DATA/slow.db" <<'EOF'
CREATE TABLE bulk (batch TEXT NOT NULL, x INTEGER NOT NULL);
CREATE TABLE spins (id INTEGER PRIMARY KEY, total INTEGER);
CREATE TABLE marks (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
EOF
sqlite3 "$DATA/lock.db" <<'EOF'
CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
EOF
e2e_own "$DATA"
if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1 ||
    ! e2e_svc "$E2E_BIN" check "$CFG2" >>"$DATA/init.out" 2>&1; then
	e2e_diag "$(cat "$DATA/init.out")"
	e2e_bail "mcpgate init + check accept the test configs"
fi
mkkey() {
	e2e_svc "$E2E_BIN" key create --name "$1" --scope w --config "$CFG" \
	    2>>"$DATA/init.out"
}
ALICE=$(mkkey alice)
BOB=$(mkkey bob)
CAROL=$(mkkey carol)
case "$ALICE $BOB $CAROL" in
mcpk_*" mcpk_"*" mcpk_"*) ;;
*)
	e2e_diag "$(cat "$DATA/init.out")"
	e2e_bail "mcpgate key create prints keys for alice, bob and carol"
	;;
esac

# --- helpers ----------------------------------------------------------------

# q DB SQL: sqlite3 on a database in $DATA, as the service account (a
# root-owned -wal or -journal would lock the workers out).
q() {
	e2e_svc sqlite3 "$DATA/$1" "$2" 2>&1
}

# call KEY IDEMKEY TOOL ARGS: tools/call as KEY's principal, with an
# Idempotency-Key header unless IDEMKEY is "".
call() {
	_b="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$3\",\"arguments\":$4}}"
	if [ -n "$2" ]; then
		e2e_req -A "Bearer $1" -H "Idempotency-Key: $2" POST "$_b"
	else
		e2e_req -A "Bearer $1" POST "$_b"
	fi
}

# The structuredContent of the last response.
sc() {
	jq -c '.result.structuredContent' "$E2E_TMP/resp.b" 2>/dev/null
}

t() {
	e2e_expect "$1" 200 "$2"
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1"
		e2e_diag "got:  $2"
		e2e_diag "want: $3"
	fi
}

# jq filters over a tools/call response.
FRESH='(.result.isError | not) and (.result._meta["dev.mcpgate/replay"] | not)'
REPLAY='(.result.isError | not) and .result._meta["dev.mcpgate/replay"] == true'
# err CATEGORY CODE RETRYABLE: the error shape, retry_after >= 1 when
# retryable.
err() {
	_r=".result.isError == true and .result.structuredContent.error.category == \"$1\" and .result.structuredContent.error.code == \"$2\" and .result.structuredContent.error.retryable == $3"
	if [ "$3" = true ]; then
		_r="$_r and .result.structuredContent.error.retry_after >= 1"
	fi
	echo "$_r"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# mcpgate_pids: our running processes executing the binary under test.
mcpgate_pids() {
	for _p in $(e2e_tagged_pids); do
		_exe=$(readlink "/proc/$_p/exe" 2>/dev/null) || continue
		case $_exe in
		*/mcpgate) echo "$_p" ;;
		esac
	done
}

# bg_calls N PREFIX KEY IDEMKEY TOOL ARGS: N identical calls at once, in
# background; sets BG_PIDS.  Responses in PREFIX.I.{b,code}.
bg_calls() {
	_n=$1
	_pre=$2
	{
		echo 'header = "Expect:"'
		echo 'header = "Accept: application/json, text/event-stream"'
		echo 'header = "Content-Type: application/json"'
		echo "header = \"MCP-Protocol-Version: $E2E_PV\""
		echo "header = \"Authorization: Bearer $3\""
		[ -n "$4" ] && echo "header = \"Idempotency-Key: $4\""
	} >"$_pre.curl"
	printf '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"%s","arguments":%s}}' \
	    "$5" "$6" >"$_pre.body"
	BG_PIDS=
	_i=0
	while [ "$_i" -lt "$_n" ]; do
		_i=$((_i + 1))
		curl -sS -K "$_pre.curl" --data-binary "@$_pre.body" \
		    -o "$_pre.$_i.b" -w '%{http_code}' --max-time 60 \
		    "$E2E_URL/mcp" >"$_pre.$_i.code" 2>"$_pre.$_i.err" &
		BG_PIDS="$BG_PIDS $!"
	done
}

# classify PREFIX N JQPROGRAM: runs JQPROGRAM (which prints one word) on
# each response; a non-200 status is "http-STATUS".  Prints the sorted
# counts ("3 fresh", ...).  Keeps one example of each word in PREFIX.ex.*.
classify() {
	_i=0
	while [ "$_i" -lt "$2" ]; do
		_i=$((_i + 1))
		_c=$(cat "$1.$_i.code" 2>/dev/null)
		if [ "$_c" != 200 ]; then
			_w="http-$_c"
		else
			_w=$(jq -r "$3" "$1.$_i.b" 2>/dev/null) || _w=unparsable
		fi
		[ -f "$1.ex.$_w" ] || cp "$1.$_i.b" "$1.ex.$_w" 2>/dev/null
		echo "$_w"
	done | sort | uniq -c | awk '{ print $1, $2 }' | sort -k2
}

show_examples() {
	for _f in "$1".ex.*; do
		[ -f "$_f" ] || continue
		e2e_diag "${_f##*.ex.}: $(head -c 600 "$_f")"
	done
}

# ============================================================================
# Phase 1: no total limit per principal.
# ============================================================================

e2e_start_lighttpd "$CFG" "$WORKERS" || e2e_done

# --- 100 concurrent duplicates ------------------------------------------------

bg_calls 100 "$E2E_TMP/conc" "$ALICE" conc-key-1 add_work '{"label":"conc"}'
wait $BG_PIDS
eq "100 concurrent calls with one Idempotency-Key: the write ran exactly once (rows)" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'conc'")" 1
ROW=$(e2e_svc sqlite3 -json "$DATA/w.db" \
    "SELECT id, label, principal, req, work FROM items WHERE label = 'conc'" |
    jq -c '.[0]')
P='if .result.isError != true and .result.structuredContent == $row then
     (if .result._meta["dev.mcpgate/replay"] == true then "replay" else "fresh" end)
   elif .result.isError == true
     and .result.structuredContent.error.category == "conflict"
     and .result.structuredContent.error.code == "in_progress"
     and .result.structuredContent.error.retryable == true
     and .result.structuredContent.error.retry_after >= 1 then "in_progress"
   else "other" end'
counts=$(classify "$E2E_TMP/conc" 100 "$(printf 'def x($row): %s; x(%s)' "$P" "$ROW")")
e2e_diag "outcomes: $(echo "$counts" | tr '\n' ',')"
fresh=$(echo "$counts" | awk '$2 == "fresh" { print $1 }')
rep=$(echo "$counts" | awk '$2 == "replay" { print $1 }')
inp=$(echo "$counts" | awk '$2 == "in_progress" { print $1 }')
eq "100 concurrent: exactly one caller got the first result unmarked" \
    "${fresh:-0}" 1
eq "100 concurrent: every other caller got the same structuredContent marked as a replay, or a retryable in_progress conflict with retry_after; nothing else" \
    "$((${rep:-0} + ${inp:-0}))" 99
if [ "$((${fresh:-0} + ${rep:-0} + ${inp:-0}))" -ne 100 ]; then
	show_examples "$E2E_TMP/conc"
fi
call "$ALICE" conc-key-1 add_work '{"label":"conc"}'
t "100 concurrent: a later retry replays the first result" \
    "$REPLAY and .result.structuredContent == $ROW"

# --- same key, other arguments; other principal; failures -------------------

call "$ALICE" k-args add_item '{"label":"x1"}'
t "a new key: executes (no replay mark)" "$FRESH and .result.structuredContent.label == \"x1\""
X1=$(sc)
call "$ALICE" k-args add_item '{"label":"x2"}'
t "same key, other arguments: conflict idempotency_key_reused, not retryable" \
    "$(err conflict idempotency_key_reused false)"
eq "... and nothing was executed" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'x2'")" 0
call "$ALICE" k-args add_item '{"label":"x1","note":"more"}'
t "same key, an added optional argument: conflict too" \
    "$(err conflict idempotency_key_reused false)"
call "$ALICE" k-args add_item '{"label":"x1"}'
t "same key, the first arguments again: the first result" \
    "$REPLAY and .result.structuredContent == $X1"
call "$BOB" k-args add_item '{"label":"x1"}'
t "another principal, identical key and arguments: executes as its own call" \
    "$FRESH and .result.structuredContent.principal == \"bob\""
eq "... rows: alice's one and bob's one" \
    "$(q w.db "SELECT group_concat(principal) FROM (SELECT principal FROM items WHERE label = 'x1' ORDER BY id)")" \
    "alice,bob"

call "$ALICE" k-fix add_item '{"note":"no label"}'
t "a schema failure (missing label) with a key: validation error" \
    "$(err validation invalid_arguments false)"
call "$ALICE" k-fix add_item '{"label":"fixed"}'
t "the corrected retry with the same key executes (the failure stored nothing)" \
    "$FRESH and .result.structuredContent.label == \"fixed\""
call "$ALICE" k-check add_item '{"label":"forbidden"}'
t "a semantic check failure with a key: its validation error" \
    "$(err validation label_forbidden false)"
call "$ALICE" k-check add_item '{"label":"allowed"}'
t "the corrected retry (other arguments, same key) executes, no conflict" \
    "$FRESH and .result.structuredContent.label == \"allowed\""
eq "... rows: forbidden 0, allowed 1, fixed 1" \
    "$(q w.db "SELECT sum(label = 'forbidden') || ',' || sum(label = 'allowed') || ',' || sum(label = 'fixed') FROM items")" \
    "0,1,1"

# --- required, derived, the argument, header over argument ------------------

call "$ALICE" "" add_req '{"label":"r1"}'
t "\"required\" tool without a key: validation idempotency_key_required" \
    "$(err validation idempotency_key_required false)"
eq "... nothing executed" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'r1'")" 0
call "$ALICE" "" add_req '{"label":"r1","idempotency_key":"r-arg"}'
t "\"required\" tool with an idempotency_key argument: executes" "$FRESH"
R1=$(sc)
call "$ALICE" r-arg add_req '{"label":"r1"}'
t "... the same key as a header: the same call, replayed" \
    "$REPLAY and .result.structuredContent == $R1"
call "$ALICE" "" add_req '{"label":"r1","idempotency_key":""}'
t "an empty idempotency_key argument: validation error" \
    '.result.isError == true and .result.structuredContent.error.category == "validation"'

call "$ALICE" "" add_derived '{"label":"d1"}'
t "\"derived\" tool: first call executes" "$FRESH"
D1=$(sc)
call "$ALICE" "" add_derived '{"label":"d1"}'
t "\"derived\" tool: identical arguments again -> replay of the first" \
    "$REPLAY and .result.structuredContent == $D1"
call "$ALICE" "" add_derived '{"label":"d2"}'
t "\"derived\" tool: other arguments -> executes" "$FRESH"
call "$BOB" "" add_derived '{"label":"d1"}'
t "\"derived\" tool: another principal's identical arguments -> executes" \
    "$FRESH and .result.structuredContent.principal == \"bob\""
call "$ALICE" d-explicit add_derived '{"label":"d1"}'
t "\"derived\" tool: an explicit key wins over the derived one -> executes" "$FRESH"
eq "... rows d1: alice 2 (derived once, explicit once), bob 1" \
    "$(q w.db "SELECT sum(principal = 'alice') || ',' || sum(principal = 'bob') FROM items WHERE label = 'd1'")" \
    "2,1"

call "$ALICE" "" add_item '{"label":"a1","idempotency_key":"arg-1"}'
t "idempotency_key argument: executes" "$FRESH"
A1=$(sc)
call "$ALICE" "" add_item '{"label":"a1","idempotency_key":"arg-1"}'
t "idempotency_key argument again: replay of the first" \
    "$REPLAY and .result.structuredContent == $A1"
call "$ALICE" "" add_item '{"label":"a1","idempotency_key":"arg-2"}'
t "another idempotency_key argument, same arguments: executes" "$FRESH"
call "$ALICE" "" add_item '{"label":"a1"}'
t "no key at all on an optional tool: executes" "$FRESH"
eq "... rows a1: 3" "$(q w.db "SELECT count(*) FROM items WHERE label = 'a1'")" 3

call "$ALICE" hdr-1 add_item '{"label":"h1","idempotency_key":"arg-h"}'
t "header and argument both given: executes" "$FRESH"
H1=$(sc)
call "$ALICE" "" add_item '{"label":"h1","idempotency_key":"arg-h"}'
t "the argument's key alone was never used: executes (the header won)" "$FRESH"
call "$ALICE" hdr-1 add_item '{"label":"h1","idempotency_key":"arg-other"}'
t "the header's key with another argument key: replay of the header's call" \
    "$REPLAY and .result.structuredContent == $H1"
eq "... rows h1: 2" "$(q w.db "SELECT count(*) FROM items WHERE label = 'h1'")" 2

# --- expiry and pruning, without a daemon ------------------------------------

# ttl is at least 60 s, too long to wait: age records by hand.
q w.db "INSERT INTO mcpgate_idempotency VALUES ('expired-probe', 'fp', '{}', 0, 1), ('live-probe', 'fp', '{}', 0, strftime('%s','now') + 3600)" >/dev/null
call "$ALICE" prune-1 add_item '{"label":"p1"}'
t "a keyed write after an expired record was planted" "$FRESH"
eq "the later write pruned the expired record, kept the live one" \
    "$(q w.db "SELECT group_concat(key) FROM mcpgate_idempotency WHERE key LIKE '%-probe'")" \
    "live-probe"

# The record of a used key expires, behind more expired records than one
# write prunes: the key is usable again (a new call), never an error.
q w.db "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) INSERT INTO mcpgate_idempotency SELECT 'old-' || x, 'fp', '{}', 0, x FROM c" >/dev/null
q w.db "UPDATE mcpgate_idempotency SET expires_at = 1000 WHERE result LIKE '%\"label\":\"x1\",\"principal\":\"alice\"%'" >/dev/null
call "$ALICE" k-args add_item '{"label":"x1"}'
t "a key whose record expired (behind 100 older expired ones): executes anew" \
    "$FRESH and .result.structuredContent != $X1"
call "$ALICE" k-args add_item '{"label":"x2"}'
t "... and its new record holds: other arguments now conflict" \
    "$(err conflict idempotency_key_reused false)"
eq "rows x1 of alice: 2" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'x1' AND principal = 'alice'")" 2

# --- rate limit of one tool, across the workers -------------------------------

bg_calls 12 "$E2E_TMP/rl" "$ALICE" "" add_limited '{"label":"rl"}'
wait $BG_PIDS
counts=$(classify "$E2E_TMP/rl" 12 'if .result.isError != true and .result.structuredContent.label == "rl" then "ok"
   elif .result.isError == true and .result.structuredContent.error.category == "rate_limited"
     and .result.structuredContent.error.code == "rate_limited"
     and .result.structuredContent.error.retryable == true
     and .result.structuredContent.error.retry_after >= 1 then "limited"
   else "other" end')
e2e_diag "outcomes: $(echo "$counts" | tr '\n' ',')"
eq "rate_limit {6/min, burst 3}, 12 concurrent calls over $WORKERS workers: 3 succeed, 9 rate_limited with retry_after >= 1" \
    "$(echo "$counts" | tr '\n' ' ')" "9 limited 3 ok "
eq "... and exactly 3 rows were written" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'rl'")" 3
case $counts in
*other*|*http*) show_examples "$E2E_TMP/rl" ;;
esac
call "$BOB" "" add_limited '{"label":"rl-bob"}'
t "another principal is not affected by alice's empty bucket" "$FRESH"
call "$ALICE" "" add_item '{"label":"rl-other-tool"}'
t "another tool of the same principal is not affected" "$FRESH"
call "$ALICE" "" add_limited '{"label":"rl"}'
t "alice's bucket is still empty: rate_limited" "$(err rate_limited rate_limited true)"

# --- deadline: a statement past timeout_ms -----------------------------------

t0=$(now_ms)
call "$ALICE" "" slow_spin '{}'
t1=$(now_ms)
t "a statement past timeout_ms 300: transient timeout, retryable" \
    "$(err transient timeout true)"
e2e_check "... answered within 2 s (took $((t1 - t0)) ms)" test $((t1 - t0)) -lt 2000
call "$ALICE" "" slow_mark '{"label":"after-timeout"}'
t "an immediate write to the same database succeeds (no transaction left open)" \
    "$FRESH and .result.structuredContent.label == \"after-timeout\""
call "$ALICE" spin-key slow_spin '{}'
t "the timeout with an idempotency key" "$(err transient timeout true)"
call "$ALICE" spin-key slow_spin '{}'
t "... retried with the key: runs again (a timeout stores nothing, no replay)" \
    "$(err transient timeout true)"
eq "no spin row was ever written" "$(q slow.db "SELECT count(*) FROM spins")" 0

# --- lock waits are bounded -------------------------------------------------

# A keyed write first, so that lock.db has its record table (made outside
# the transaction, once) and the keyed call below meets only the lock.
call "$ALICE" lock-pre lock_write '{"label":"l0"}'
t "lock.db: a keyed write before the lock" "$FRESH"

# Another process holds the write lock (BEGIN IMMEDIATE) on lock.db; it
# reads its statements from a fifo, so the test decides when it ends.
mkfifo "$E2E_TMP/lockfifo"
e2e_svc sqlite3 "$DATA/lock.db" <"$E2E_TMP/lockfifo" >"$E2E_TMP/lock.out" 2>&1 &
HOLDER=$!
exec 7>"$E2E_TMP/lockfifo"
printf '.timeout 5000\nBEGIN IMMEDIATE;\nINSERT INTO t (label) VALUES (%s);\n' \
    "'held'" >&7
held=0
i=0
while [ $i -lt 50 ]; do
	if ! q lock.db 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; then
		held=1
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
e2e_check "an external sqlite3 holds the write lock on lock.db" test "$held" = 1
t0=$(now_ms)
call "$ALICE" "" lock_write '{"label":"l1"}'
t1=$(now_ms)
t "a write while another process holds the lock: transient database_busy, retryable" \
    "$(err transient database_busy true)"
e2e_check "... within 5 s, not a hang (took $((t1 - t0)) ms)" test $((t1 - t0)) -lt 5000
t0=$(now_ms)
call "$ALICE" lock-key lock_write '{"label":"l1"}'
t1=$(now_ms)
t "the same with an idempotency key: conflict in_progress, retryable, retry_after" \
    "$(err conflict in_progress true)"
e2e_check "... within 5 s (took $((t1 - t0)) ms)" test $((t1 - t0)) -lt 5000
printf 'ROLLBACK;\n' >&7
exec 7>&-
wait "$HOLDER"
call "$ALICE" lock-key lock_write '{"label":"l1"}'
t "once the lock is released, the keyed retry executes (nothing was stored)" \
    "$FRESH and .result.structuredContent.label == \"l1\""
eq "lock.db: rows l0 and l1, none from the holder" \
    "$(q lock.db "SELECT group_concat(label) FROM (SELECT label FROM t ORDER BY id)")" "l0,l1"

# --- every worker SIGKILLed in the middle of a write --------------------------

call "$ALICE" "" slow_mark '{"label":"warm"}'
t "slow.db is writable before the kill" "$FRESH"
bg_calls 1 "$E2E_TMP/kill" "$ALICE" kill-key slow_bulk \
    "{\"batch\":\"k1\",\"rows\":$BULK_ROWS}"
KILLCURL=$BG_PIDS
inflight=0
i=0
while [ $i -lt 100 ]; do
	if [ -e "$DATA/slow.db-journal" ]; then
		inflight=1
		break
	fi
	sleep 0.05
	i=$((i + 1))
done
sleep 0.2
e2e_check "the bulk write is in flight (slow.db-journal exists, the client waits)" \
    sh -c 'test "$1" = 1 && kill -0 $2' sh "$inflight" "$KILLCURL"
PIDS=$(mcpgate_pids | tr '\n' ' ')
e2e_diag "SIGKILL to mcpgate workers: $PIDS"
[ -n "$PIDS" ] && kill -KILL $PIDS
wait $KILLCURL
e2e_diag "the killed call got: HTTP $(cat "$E2E_TMP/kill.1.code") $(head -c 200 "$E2E_TMP/kill.1.b")"
e2e_check "$WORKERS workers were killed" test "$(echo $PIDS | wc -w)" -eq "$WORKERS"

# lighttpd respawns them; a write that touches other rows recovers the
# database (hot journal) through mcpgate itself.
i=0
while [ $i -lt 100 ]; do
	call "$ALICE" "" slow_mark '{"label":"after-kill"}'
	[ "$E2E_CODE" = 200 ] && break
	sleep 0.1
	i=$((i + 1))
done
t "after the kill: a write to slow.db succeeds (not locked)" \
    "$FRESH and .result.structuredContent.label == \"after-kill\""
e2e_check "the respawned workers are new processes" \
    sh -c 'for p in $2; do case " $1 " in *" $p "*) exit 1 ;; esac; done; test -n "$2"' \
    sh "$PIDS" "$(mcpgate_pids | tr '\n' ' ')"
before=$(q slow.db "SELECT count(*) FROM bulk WHERE batch = 'k1'")
e2e_diag "rows of the killed write: $before"
e2e_check "the killed write happened 0 or 1 times ($before rows of $BULK_ROWS)" \
    sh -c 'test "$1" = 0 || test "$1" = "$2"' sh "$before" "$BULK_ROWS"

i=0
while [ $i -lt 30 ]; do
	call "$ALICE" kill-key slow_bulk "{\"batch\":\"k1\",\"rows\":$BULK_ROWS}"
	if [ "$E2E_CODE" = 200 ] && ! jq -e '.result.structuredContent.error.retryable == true' \
	    "$E2E_TMP/resp.b" >/dev/null 2>&1; then
		break
	fi
	sleep 0.5
	i=$((i + 1))
done
t "the retry with the same key completes" \
    "(.result.isError | not) and .result.structuredContent.changes == $BULK_ROWS"
if [ "$before" = 0 ]; then
	t "... as a new call (the killed one left no record)" "$FRESH"
else
	t "... as a replay (the killed one had committed)" "$REPLAY"
fi
call "$ALICE" kill-key slow_bulk "{\"batch\":\"k1\",\"rows\":$BULK_ROWS}"
t "another retry replays it" \
    "$REPLAY and .result.structuredContent.changes == $BULK_ROWS"
eq "the write happened exactly once in all (rows)" \
    "$(q slow.db "SELECT count(*) || ',' || count(DISTINCT x) FROM bulk WHERE batch = 'k1'")" \
    "$BULK_ROWS,$BULK_ROWS"
eq "slow.db: PRAGMA integrity_check" "$(q slow.db 'PRAGMA integrity_check')" ok
eq "state.db: PRAGMA integrity_check" "$(q state.db 'PRAGMA integrity_check')" ok
eq "w.db: PRAGMA integrity_check" "$(q w.db 'PRAGMA integrity_check')" ok
e2e_check "no slow.db-journal left" test ! -e "$DATA/slow.db-journal"
call "$ALICE" "" slow_mark '{"label":"final"}'
t "a subsequent write succeeds" "$FRESH"
eq "slow.db marks: after-timeout, warm, after-kill, final" \
    "$(q slow.db "SELECT group_concat(label) FROM (SELECT label FROM marks ORDER BY id)")" \
    "after-timeout,warm,after-kill,final"

e2e_check_sanitizers "phase 1"
e2e_stop

# ============================================================================
# Phase 2: a total per principal (5, then 6 a minute) over every tool.
# ============================================================================

e2e_start_lighttpd "$CFG2" "$WORKERS" || e2e_done

bg_calls 8 "$E2E_TMP/tot" "$CAROL" "" add_item '{"label":"tot"}'
wait $BG_PIDS
counts=$(classify "$E2E_TMP/tot" 8 'if .result.isError != true and .result.structuredContent.label == "tot" then "ok"
   elif .result.isError == true and .result.structuredContent.error.category == "rate_limited"
     and .result.structuredContent.error.retryable == true
     and .result.structuredContent.error.retry_after >= 1 then "limited"
   else "other" end')
eq "server rate_limit {6/min, burst 5}: 8 concurrent calls of one principal: 5 succeed, 3 rate_limited" \
    "$(echo "$counts" | tr '\n' ' ')" "3 limited 5 ok "
eq "... and exactly 5 rows were written" \
    "$(q w.db "SELECT count(*) FROM items WHERE label = 'tot'")" 5
case $counts in
*other*|*http*) show_examples "$E2E_TMP/tot" ;;
esac
call "$CAROL" "" add_derived '{"label":"tot-2"}'
t "the total covers every tool: another tool is rate_limited too" \
    "$(err rate_limited rate_limited true)"
eq "... not executed" "$(q w.db "SELECT count(*) FROM items WHERE label = 'tot-2'")" 0
call "$BOB" "" add_item '{"label":"tot-bob"}'
t "another principal is not affected by carol's total" "$FRESH"

e2e_check_sanitizers "phase 2"
e2e_stop
e2e_done
