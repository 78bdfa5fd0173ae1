#!/bin/sh
# tests/e2e/70_analyzer_report.sh -- mcpgate-audit report, verify and
# export against real audit databases:
#
#   1. Real rows: the ASan mcpgate behind lighttpd (authentication, a
#      sealing key, the demo shop's four tools) serves a mixed run -- two
#      principals, scope denials, bad and missing credentials, idempotent
#      refunds (new, replay, conflict), tool and protocol errors.  Every
#      report in every format runs against the live log while the server
#      is up; the numbers are checked against the run.
#   2. Volume: tests/analyzer/gen_audit.py writes 20000 chained rows over
#      4.6 days (or, when it is built in, "mcpgate-audit simulate" adds a
#      second database); every time-range form (keywords at a fixed
#      "now", relative, A..B, --from/--to, --tz) is checked against an
#      sqlite3 count, and every exit code.
#   3. verify: intact (sealed and unsealed), then tampered copies: a row
#      deleted, edited (no-update trigger dropped first), inserted, the
#      tail truncated, the head cut -- each exits 1 naming the first bad
#      row.
#   4. export: CSV and JSON lines, --since-seq, and keyed pseudonyms that
#      are stable across runs and differ between keys.
#   5. The HTML report in headless Chromium: a screenshot whose charts are
#      drawn (size, and pixels that are not all background).
#
#   sh tests/e2e/70_analyzer_report.sh      E2E_KEEP=1 keeps the temp dir
#   MCPGATE_AUDIT_BIN=path   the analyzer under test (default: the ASan
#                            build next to the mcpgate under test)
#   MCPGATE_AUDIT_SCREENSHOT=FILE   where to keep the screenshot
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init
AUD=${MCPGATE_AUDIT_BIN:-${MCPGATE_TEST_ASAN:-$E2E_TOP/build/asan}/mcpgate-audit}
[ -x "$AUD" ] || e2e_bail "the analyzer under test exists: $AUD"
command -v python3 >/dev/null 2>&1 || e2e_bail "python3 is installed"
GEN="$E2E_TOP/tests/analyzer/gen_audit.py"
REPORTS="summary principals tools access denials auth access-matrix \
privileged idempotency sessions all"
FORMATS="text csv json jsonl html"
OUT="$E2E_TMP/out"
mkdir -p "$OUT"

# aud ARGS...: runs the analyzer; its exit status in AUD_RC, stdout in
# $OUT/stdout, stderr in $OUT/stderr.
aud() {
	"$AUD" "$@" >"$OUT/stdout" 2>"$OUT/stderr"
	AUD_RC=$?
}

# expect_rc NAME WANT: the last aud run exited WANT.
expect_rc() {
	if [ "$AUD_RC" -eq "$2" ]; then
		e2e_ok "$1 (exit $2)"
	else
		e2e_not_ok "$1 (exit $2)"
		e2e_diag "exit $AUD_RC; stderr: $(head -c 600 "$OUT/stderr")"
	fi
}

# jqv FILTER [FILE]: jq -r of the last stdout (or FILE).
jqv() {
	jq -r "$1" "${2:-$OUT/stdout}" 2>/dev/null
}

# eq NAME GOT WANT
eq() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1"
		e2e_diag "got \"$2\", want \"$3\""
	fi
}

# valid FORMAT FILE: the output is well-formed for its format and carries
# the manifest.
valid() {
	case $1 in
	text)
		grep -q '^Manifest$' "$2" && grep -q '  chain_head: ' "$2" &&
		    ! grep -q "$(printf '\033')" "$2" ;;
	csv)
		head -1 "$2" | grep -q '^#manifest' &&
		    grep -q '^chain_head,[0-9a-f]\{64\}' "$2" &&
		    ! grep -q '^=' "$2" ;;
	json)
		jq -e '.schema_version == 1 and (.manifest.chain_head | length)
		    == 64 and (.tables | type) == "array"' "$2" >/dev/null ;;
	jsonl)
		jq -e -s 'all(.schema_version == 1) and
		    .[0].type == "manifest"' "$2" >/dev/null ;;
	html)
		grep -q '^<!DOCTYPE html>' "$2" && grep -q '</html>' "$2" &&
		    grep -q 'chain_head' "$2" && ! grep -qi '<script' "$2" &&
		    ! grep -q ' src=' "$2" ;;
	esac
}

# --- 1. real rows from mcpgate ------------------------------------------------

DATA="$E2E_TMP/shop"
CFG="$DATA/mcpgate.json"
ADB="$DATA/audit.db"
SEAL="$E2E_TMP/keys/seal.key"
mkdir -p "$DATA" "$E2E_TMP/keys"
head -c 32 /dev/urandom >"$SEAL"
chmod 0400 "$SEAL"
cat >"$CFG" <<EOF
{
  "server": { "name": "e2e-analyzer", "state_db": "state.db",
    "resource_url": "http://127.0.0.1/mcp", "sessions": true,
    "allowed_hosts": ["localhost", "127.0.0.1"] },
  "auth": { "mode": "required",
    "throttle": { "failures": 100, "window_seconds": 600, "block_seconds": 60 } },
  "audit": { "db": "audit.db", "sealing_key": "$SEAL", "host_id": "e2e-analyzer" },
  "databases": { "shop": { "path": "shop.db" } },
  "tools": [
    { "name": "search_orders", "kind": "sql", "database": "shop",
      "scope": "orders:read", "annotations": { "readOnlyHint": true },
      "sql": "SELECT id, status, amount_cents FROM orders WHERE owner = @principal ORDER BY id",
      "result": "rows" },
    { "name": "get_order", "kind": "sql", "database": "shop",
      "scope": "orders:read", "annotations": { "readOnlyHint": true },
      "input_schema": { "type": "object",
        "properties": { "order_id": { "type": "integer", "minimum": 1 } },
        "required": ["order_id"] },
      "sql": "SELECT id, status, amount_cents FROM orders WHERE id = :order_id AND owner = @principal",
      "result": "one" },
    { "name": "issue_refund", "kind": "sql", "database": "shop",
      "scope": "refunds:write", "idempotency": "required",
      "annotations": { "readOnlyHint": false, "destructiveHint": true,
        "idempotentHint": false },
      "input_schema": { "type": "object",
        "properties": { "order_id": { "type": "integer", "minimum": 1 },
          "amount_cents": { "type": "integer", "minimum": 1 } },
        "required": ["order_id", "amount_cents"] },
      "sql": "INSERT INTO refunds (order_id, amount_cents, principal) VALUES (:order_id, :amount_cents, @principal)",
      "result": "exec" },
    { "name": "send_confirmation", "kind": "sql", "database": "shop",
      "scope": "outbox:write",
      "annotations": { "readOnlyHint": false, "destructiveHint": false },
      "input_schema": { "type": "object",
        "properties": { "order_id": { "type": "integer", "minimum": 1 } },
        "required": ["order_id"] },
      "sql": "INSERT INTO outbox (order_id, principal) VALUES (:order_id, @principal)",
      "result": "exec" }
  ]
}
EOF
sqlite3 "$DATA/shop.db" <<'EOF'
CREATE TABLE orders (id INTEGER PRIMARY KEY, owner TEXT NOT NULL,
    status TEXT NOT NULL, amount_cents INTEGER NOT NULL);
INSERT INTO orders VALUES (1, 'alice', 'paid', 1200), (2, 'alice', 'paid', 800),
    (3, 'bob', 'shipped', 500);
CREATE TABLE refunds (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL, principal TEXT NOT NULL);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL,
    principal TEXT NOT NULL);
EOF
e2e_own "$DATA" "$E2E_TMP/keys"
if ! e2e_svc "$E2E_BIN" init "$CFG" >"$DATA/init.out" 2>&1 ||
    ! e2e_svc "$E2E_BIN" check "$CFG" >>"$DATA/init.out" 2>&1; then
	e2e_diag "$(cat "$DATA/init.out")"
	e2e_bail "mcpgate init + check accept the shop config"
fi
ALICE=$(e2e_svc "$E2E_BIN" key create --name alice \
    --scope 'orders:read refunds:write outbox:write' --config "$CFG" 2>/dev/null)
BOB=$(e2e_svc "$E2E_BIN" key create --name bob --scope 'orders:read' \
    --config "$CFG" 2>/dev/null)
case "$ALICE $BOB" in
mcpk_*" "mcpk_*) e2e_ok "two API keys made (alice, bob)" ;;
*) e2e_bail "two API keys made (alice, bob)" ;;
esac
e2e_start_lighttpd "$CFG" 2 || e2e_done
E2E_PV=2025-11-25

call() {	# call NAME ARGS_JSON ID [curl options]
	_n=$1
	_a=$2
	_i=$3
	shift 3
	e2e_rpc tools/call "{\"name\":\"$_n\",\"arguments\":$_a}" "$_i" "$@"
}

# alice: a session, reads, errors, idempotent writes
E2E_AUTH="Bearer $ALICE"
e2e_initialize || e2e_bail "alice initializes"
e2e_rpc tools/list '{}' 2
for i in 1 2 3 4 5; do
	call search_orders '{}' "1$i"
done
call get_order '{"order_id":1}' 20
call get_order '{"order_id":3}' 21
e2e_expect "alice: bob's order is not found" 200 '.result.isError == true'
call get_order '{"order_id":"x"}' 22
e2e_expect "alice: a bad argument is a validation error" 200 \
    '.result.isError == true'
call issue_refund '{"order_id":1,"amount_cents":100}' 30 -H "Idempotency-Key: e2e-r1"
e2e_expect "alice: refund, new key" 200 '.result.isError != true'
call issue_refund '{"order_id":1,"amount_cents":100}' 31 -H "Idempotency-Key: e2e-r1"
e2e_expect "alice: the same refund again (replay)" 200
call issue_refund '{"order_id":1,"amount_cents":999}' 32 -H "Idempotency-Key: e2e-r1"
e2e_expect "alice: same key, other amount (conflict)" 200 \
    '.result.isError == true'
call issue_refund '{"order_id":2,"amount_cents":50}' 33 -H "Idempotency-Key: e2e-r2"
call send_confirmation '{"order_id":1}' 40 -H "Idempotency-Key: e2e-c1"
call no_such_tool '{}' 41
e2e_expect "alice: an unknown tool" 200

# bob: reads, then writes he has no scope for
E2E_AUTH="Bearer $BOB"
e2e_initialize || e2e_bail "bob initializes"
for i in 1 2 3; do
	call search_orders '{}' "5$i"
done
call issue_refund '{"order_id":3,"amount_cents":10}' 60 -H "Idempotency-Key: e2e-b1"
e2e_expect "bob: refund refused (scope)" 403
call send_confirmation '{"order_id":3}' 61
e2e_expect "bob: confirmation refused (scope)" 403

# strangers
E2E_SID=
for i in 1 2 3 4; do
	e2e_rpc ping '{}' 70 -A "Bearer mcpk_AAAAAAAAAAAA_bogus${i}0123456789abcdefABCDEFGH"
done
e2e_expect "a bogus key" 401
e2e_rpc ping '{}' 71 -A ""
e2e_rpc ping '{}' 72 -A ""
e2e_expect "no credential" 401
REAL_ROWS=$(e2e_svc sqlite3 "$ADB" 'SELECT count(*) FROM audit_events')
if [ "${REAL_ROWS:-0}" -ge 30 ]; then
	e2e_ok "the mixed run wrote $REAL_ROWS audit rows"
else
	e2e_not_ok "the mixed run wrote audit rows (got ${REAL_ROWS:-none})"
fi

# every report, every format, on the live log (the server is still up)
for r in $REPORTS; do
	for f in $FORMATS; do
		"$AUD" report "$r" --db "$ADB" --format "$f" --config "$CFG" \
		    -o "$OUT/live-$r.$f" 2>"$OUT/stderr"
		rc=$?
		if [ $rc -eq 0 ] && valid "$f" "$OUT/live-$r.$f"; then
			e2e_ok "live log: report $r --format $f"
		else
			e2e_not_ok "live log: report $r --format $f"
			e2e_diag "exit $rc: $(head -c 400 "$OUT/stderr")"
		fi
	done
done

# the numbers say what happened
J="$OUT/live-all.json"
eq "summary: requests = rows" \
    "$(jqv '.tables[] | select(.id=="overview") | .rows[0].requests' "$J")" \
    "$REAL_ROWS"
eq "summary: two principals" \
    "$(jqv '.tables[] | select(.id=="overview") | .rows[0].principals' "$J")" 2
eq "denials: bob x refunds:write x issue_refund, once" \
    "$(jqv '[.tables[] | select(.id=="denials") | .rows[] |
    select(.principal=="bob" and .tool=="issue_refund")][0] |
    "\(.scope_required) \(.denials)"' "$J")" "refunds:write 1"
eq "denials: bob was denied two tools" \
    "$(jqv '.tables[] | select(.id=="denials_by_principal") | .rows[] |
    select(.principal=="bob") | .tools' "$J")" 2
eq "idempotency: issue_refund new 2, replay 1, conflict 1" \
    "$(jqv '.tables[] | select(.id=="idempotency_by_tool") | .rows[] |
    select(.tool=="issue_refund") | "\(.new) \(.replay) \(.conflict)"' "$J")" \
    "2 1 1"
eq "auth: 6 failures from 127.0.0.1 (4 invalid, 2 missing)" \
    "$(jqv '.tables[] | select(.id=="auth_by_address") | .rows[] |
    select(.client_addr=="127.0.0.1") | "\(.failures) \(.invalid) \(.missing)"' \
    "$J")" "6 4 2"
eq "privileged (--config): issue_refund and send_confirmation" \
    "$(jqv '[.tables[] | select(.id=="privileged_summary") | .rows[] |
    "\(.tool):\(.class)"] | unique | join(",")' "$J")" \
    "issue_refund:destructive,send_confirmation:write"
eq "tools: search_orders, read, 8 calls" \
    "$(jqv '.tables[] | select(.id=="tools") | .rows[] |
    select(.tool=="search_orders") | "\(.class) \(.class_from) \(.calls)"' \
    "$J")" "read config 8"
eq "tools: get_order errors by category" \
    "$(jqv '[.tables[] | select(.id=="tool_errors") | .rows[] |
    select(.tool=="get_order") | .error_category] | sort | join(",")' "$J")" \
    "not_found,validation"
eq "sessions: two sessions, one principal each" \
    "$(jqv '[.tables[] | select(.id=="sessions") | .rows[] |
    select(.principals == 1)] | length' "$J")" 2
aud report access --db "$ADB" --tool issue_refund --principal alice \
    --format json
expect_rc "access: who called issue_refund" 0
eq "access: alice's four refunds in order, with idempotency status" \
    "$(jqv '[.tables[] | select(.id=="access") | .rows[] | .idem_status] |
    join(",")')" "new,replay,conflict,new"
eq "access: the manifest counts the filtered rows" \
    "$(jqv '.manifest.rows')" 4
eq "access: the manifest's chain head is the log's newest row_hash" \
    "$(jqv '.manifest.chain_head')" \
    "$(e2e_svc sqlite3 "$ADB" 'SELECT row_hash FROM audit_events ORDER BY seq DESC LIMIT 1')"

# verify the real, sealed chain
aud verify --db "$ADB" --key "$SEAL" --require-sealed --format json
expect_rc "verify: the sealed chain with its key" 0
eq "verify: status ok, every row sealed" \
    "$(jqv '.tables[0].rows[0] | "\(.status) \(.sealed == .rows)"')" "ok true"
aud verify --db "$ADB"
expect_rc "verify: without the key, links only" 0
grep -q 'UNVERIFIED' "$OUT/stdout" && e2e_ok "verify: says what it could not check" ||
    e2e_not_ok "verify: says what it could not check"
aud verify --db "$ADB" --strict
expect_rc "verify --strict: unchecked sealed rows fail" 1
head -c 32 /dev/urandom >"$E2E_TMP/keys/other.key"
aud verify --db "$ADB" --key "$E2E_TMP/keys/other.key"
expect_rc "verify: another key is refused" 1
e2e_check_sanitizers "mcpgate (mixed run)"
e2e_stop

# --- 2. volume: generated rows, time ranges, exit codes ---------------------

VDB="$E2E_TMP/gen.db"
if ! python3 "$GEN" "$VDB" --rows 20000 --seed 7 \
    --start 2025-03-03T08:00:00+00:00 >"$OUT/gen.log" 2>&1; then
	e2e_diag "$(tail -5 "$OUT/gen.log")"
	e2e_bail "gen_audit.py writes 20000 chained rows"
fi
e2e_ok "gen_audit.py wrote 20000 chained rows"
VSUM=$(sha256sum "$VDB" | cut -c1-64)
export MCPGATE_AUDIT_NOW=2025-03-06T12:00:00Z

# count FROM TO: request rows in [FROM, TO) (unix seconds; "" unbounded)
count() {
	_w="kind = 'request'"
	[ -n "$1" ] && _w="$_w AND ts_us >= $1 * 1000000"
	[ -n "$2" ] && _w="$_w AND ts_us < $2 * 1000000"
	sqlite3 "$VDB" "SELECT count(*) FROM audit_events WHERE $_w"
}
epoch() {
	date -u -d "$1" +%s
}
NOW=$(epoch '2025-03-06 12:00:00')
D=86400
# range-form expectation: FORM-ARGS | from | to
while IFS='|' read -r args from to; do
	[ -z "$args" ] && continue
	# shellcheck disable=SC2086
	aud report summary --db "$VDB" --format json $args
	got=$(jqv '.tables[] | select(.id=="overview") | .rows[0].requests')
	want=$(count "$from" "$to")
	if [ "$AUD_RC" -eq 0 ] && [ "$got" = "$want" ]; then
		e2e_ok "summary $args: $want requests"
	else
		e2e_not_ok "summary $args: $want requests"
		e2e_diag "exit $AUD_RC, got $got; $(head -c 300 "$OUT/stderr")"
	fi
done <<EOF
--top 10||
--range today|$(epoch '2025-03-06')|$(epoch '2025-03-07')
--range yesterday|$(epoch '2025-03-05')|$(epoch '2025-03-06')
--range this-week|$(epoch '2025-03-03')|$(epoch '2025-03-10')
--range last-week|$(epoch '2025-02-24')|$(epoch '2025-03-03')
--range this-month|$(epoch '2025-03-01')|$(epoch '2025-04-01')
--range last-month|$(epoch '2025-02-01')|$(epoch '2025-03-01')
--range -24h|$((NOW - D))|$NOW
--range -7d|$((NOW - 7 * D))|$NOW
--range -30m|$((NOW - 1800))|$NOW
--range 2025-03-04..2025-03-05|$(epoch '2025-03-04')|$(epoch '2025-03-06')
--range 2025-03-04T06:00:00Z/2025-03-04T18:00:00Z|$(epoch '2025-03-04 06:00')|$(epoch '2025-03-04 18:00')
--from 2025-03-05T00:00:00Z|$(epoch '2025-03-05')|
--to 2025-03-04|$(echo)|$(epoch '2025-03-05')
--from yesterday --to today|$(epoch '2025-03-05')|$(epoch '2025-03-07')
--from -2d --to -1d|$((NOW - 2 * D))|$((NOW - D))
--range today --tz +02:00|$(epoch '2025-03-05 22:00')|$(epoch '2025-03-06 22:00')
--range yesterday --tz -05:00|$(epoch '2025-03-05 05:00')|$(epoch '2025-03-06 05:00')
--from 2025-03-05T12:00:00+02:00 --to 2025-03-05T18:00:00+02:00|$(epoch '2025-03-05 10:00')|$(epoch '2025-03-05 16:00')
--from @1741219200|1741219200|
EOF

# the filters agree with sqlite3
aud report access --db "$VDB" --tool issue_refund --outcome ok --format json \
    --range 2025-03-04
eq "access --tool --outcome --range: the rows sqlite3 finds" \
    "$(jqv '.tables[] | select(.id=="access") | .total_rows')" \
    "$(sqlite3 "$VDB" "SELECT count(*) FROM audit_events WHERE
    tool = 'issue_refund' AND outcome = 'ok' AND ts_us >=
    $(epoch 2025-03-04)000000 AND ts_us < $(epoch 2025-03-05)000000")"
aud report denials --db "$VDB" --decision deny --principal bob --format json
eq "denials --principal bob: his denials" \
    "$(jqv '[.tables[] | select(.id=="denials") | .rows[].denials] | add')" \
    "$(sqlite3 "$VDB" "SELECT count(*) FROM audit_events WHERE
    principal = 'bob' AND decision = 'deny'")"
aud report access --db "$VDB" --limit 25 --format json
eq "access --limit 25: 25 rows shown, all counted" \
    "$(jqv '.tables[] | select(.id=="access") | "\(.rows | length) \(.total_rows)"')" \
    "25 $(sqlite3 "$VDB" "SELECT count(*) FROM audit_events WHERE tool IS NOT NULL")"
aud report summary --db "$VDB" --range 2025-03-05 --format json
eq "summary --range: a previous-period comparison" \
    "$(jqv '.tables[] | select(.id=="previous_period") | .rows[0].previous')" \
    "$(count "$(epoch 2025-03-04)" "$(epoch 2025-03-05)")"

# every report x format on the volume database
for r in $REPORTS; do
	for f in $FORMATS; do
		"$AUD" report "$r" --db "$VDB" --format "$f" \
		    -o "$OUT/gen-$r.$f" 2>"$OUT/stderr"
		rc=$?
		if [ $rc -eq 0 ] && valid "$f" "$OUT/gen-$r.$f"; then
			e2e_ok "20000 rows: report $r --format $f"
		else
			e2e_not_ok "20000 rows: report $r --format $f"
			e2e_diag "exit $rc: $(head -c 400 "$OUT/stderr")"
		fi
	done
done
eq "csv: the hostile principal is defused" \
    "$(grep -c "^\"'=HYPERLINK" "$OUT/gen-principals.csv")" 1
if grep -q "$(printf '\033')" "$OUT/gen-all.text"; then
	e2e_not_ok "text: the hostile user agent's escape sequence is stripped"
else
	e2e_ok "text: the hostile user agent's escape sequence is stripped"
fi
eq "idempotency: the write executed twice is critical" \
    "$(jqv '.tables[] | select(.id=="idempotency_findings") | .rows[0].severity' \
    "$OUT/gen-idempotency.json")" critical

# exit codes and refusals
aud report summary --db "$E2E_TMP/none.db"
expect_rc "a missing database" 3
printf 'not a database at all, really not, no\n' >"$E2E_TMP/junk.db"
aud report summary --db "$E2E_TMP/junk.db"
expect_rc "a file that is not SQLite" 3
sqlite3 "$E2E_TMP/other.db" 'CREATE TABLE t(x); PRAGMA user_version = 10'
aud report summary --db "$E2E_TMP/other.db"
expect_rc "an SQLite file without audit_events" 3
cp "$VDB" "$E2E_TMP/future.db"
sqlite3 "$E2E_TMP/future.db" 'PRAGMA user_version = 99'
aud report summary --db "$E2E_TMP/future.db"
expect_rc "an unknown schema version" 3
grep -q 'schema version 99' "$OUT/stderr" &&
    e2e_ok "the refusal names the version" ||
    e2e_not_ok "the refusal names the version"
aud report nosuch --db "$VDB"
expect_rc "an unknown report" 3
aud report summary --db "$VDB" --format xml
expect_rc "an unknown format" 3
aud report summary --db "$VDB" --range 2025-03-06..2025-03-01
expect_rc "a reversed range" 3
aud report summary --db "$VDB" --range today --from yesterday
expect_rc "--range with --from" 3
aud report summary --db "$VDB" --tz Europe/Paris
expect_rc "a zone name instead of an offset" 3
aud report summary
expect_rc "no database" 3
aud report
expect_rc "no report" 3
aud nosuch
expect_rc "an unknown command" 3
aud report --help
expect_rc "report --help" 0
aud version
expect_rc "version" 0
aud report summary --db "$VDB" --range last-month
expect_rc "an empty range is a report, not an error" 0
"$AUD" report summary --format json </dev/null >"$OUT/stdout" 2>"$OUT/stderr"
AUD_RC=$?
expect_rc "stdin is never read without \"-\"" 3
"$AUD" report summary --db - --format json <"$VDB" >"$OUT/stdout" 2>"$OUT/stderr"
AUD_RC=$?
expect_rc "--db - reads the database from stdin" 0
eq "--db -: the same numbers" \
    "$(jqv '.tables[] | select(.id=="overview") | .rows[0].requests')" \
    "$(count '' '')"
aud report summary --db "$VDB" --immutable --format json
expect_rc "--immutable (an archived copy)" 0
eq "the analyzer never changed the database" \
    "$(sha256sum "$VDB" | cut -c1-64)" "$VSUM"

# volume from the simulator built into the analyzer (seasonal traffic with
# labelled incidents, a valid chain): every report reads it, verify passes
SDB="$E2E_TMP/sim.db"
if ! "$AUD" simulate --help >/dev/null 2>&1; then
	e2e_ok "simulate's log # SKIP simulate is not built into $AUD"
elif "$AUD" simulate --out "$SDB" --rows 50000 --seed 11 \
    --write-config "$E2E_TMP/sim.json" >"$OUT/sim.log" 2>&1; then
	e2e_ok "simulate wrote 50000 rows"
	for r in $REPORTS; do
		"$AUD" report "$r" --db "$SDB" --format json \
		    --config "$E2E_TMP/sim.json" -o "$OUT/sim-$r.json" \
		    2>"$OUT/stderr"
		rc=$?
		if [ $rc -eq 0 ] && valid json "$OUT/sim-$r.json"; then
			e2e_ok "simulate's log: report $r"
		else
			e2e_not_ok "simulate's log: report $r"
			e2e_diag "exit $rc: $(head -c 400 "$OUT/stderr")"
		fi
	done
	eq "simulate's log: summary counts every row" \
	    "$(jqv '(.tables[] | select(.id=="overview") | .rows[0] |
	    .requests + .retention_markers) == .manifest.db_rows' \
	    "$OUT/sim-summary.json")" true
	aud verify --db "$SDB"
	expect_rc "simulate's log: verify" 0
else
	e2e_not_ok "simulate wrote 50000 rows"
	e2e_diag "$(tail -5 "$OUT/sim.log")"
fi

# --- 3. verify and tampering --------------------------------------------------

aud verify --db "$VDB" --format json
expect_rc "verify: 20000 intact rows" 0
eq "verify: every row checked" "$(jqv '.tables[0].rows[0] |
    "\(.status) \(.rows) \(.last_seq)"')" "ok 20000 20000"

# tamper NAME SQL EXPECTED_SEQ EXPECTED_STATUS [TEXT]: verify exits 1,
# names the first bad row (the first row that does not check out) and
# its status; stderr says "row SEQ" (or TEXT).
tamper() {
	cp "$VDB" "$E2E_TMP/t.db"
	rm -f "$E2E_TMP/t.db-wal" "$E2E_TMP/t.db-shm"
	if ! sqlite3 "$E2E_TMP/t.db" "$2" 2>"$OUT/sqlerr"; then
		e2e_not_ok "$1: the copy is tampered"
		e2e_diag "$(cat "$OUT/sqlerr")"
		return
	fi
	aud verify --db "$E2E_TMP/t.db" --format json
	expect_rc "verify, $1" 1
	eq "verify, $1: first bad row $3 ($4)" \
	    "$(jqv '.tables[0].rows[0] | "\(.bad_seq) \(.status)"')" "$3 $4"
	if grep -q "${5:-row $3}" "$OUT/stderr"; then
		e2e_ok "verify, $1: stderr says \"${5:-row $3}\""
	else
		e2e_not_ok "verify, $1: stderr says \"${5:-row $3}\""
		e2e_diag "$(cat "$OUT/stderr")"
	fi
}
tamper "a row deleted" "DELETE FROM audit_events WHERE seq = 5000" 5001 gap \
    "rows 5000 to 5000 are missing"
tamper "a row edited" "DROP TRIGGER audit_events_no_update;
    UPDATE audit_events SET principal = 'mallory' WHERE seq = 7000" 7000 hash
tamper "a row's hash rewritten" "DROP TRIGGER audit_events_no_update;
    UPDATE audit_events SET row_hash = printf('%064d', 0) WHERE seq = 9000" \
    9000 hash
# a row edited and its hash recomputed (no key needed for a SHA-256
# chain): the row itself checks out, the next row's link does not
cp "$VDB" "$E2E_TMP/t.db"
if python3 - "$E2E_TMP/t.db" "$E2E_TOP/tests/analyzer" <<'PY'
import sqlite3, sys
sys.path.insert(0, sys.argv[2])
import gen_audit
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER audit_events_no_update")
cols = gen_audit.COLS
row = db.execute("SELECT %s, prev_hash FROM audit_events WHERE seq = 9000"
                 % ", ".join(cols)).fetchone()
v = dict(zip(cols, row[:-1]))
v["principal"] = "mallory"
h = gen_audit.row_hash(None, row[-1], v)
db.execute("UPDATE audit_events SET principal = 'mallory', row_hash = ? "
           "WHERE seq = 9000", (h,))
db.commit()
PY
then
	aud verify --db "$E2E_TMP/t.db" --format json
	expect_rc "verify, a row edited and rehashed" 1
	eq "verify, a row edited and rehashed: the next row's link breaks" \
	    "$(jqv '.tables[0].rows[0] | "\(.bad_seq) \(.status)"')" "9001 link"
else
	e2e_not_ok "a row edited and rehashed (python)"
fi
tamper "a row inserted at the end" "INSERT INTO audit_events (seq,
    chain_version, chain_alg, kind, ts_us, host_id, request_id, outcome,
    http_status, prev_hash, row_hash) SELECT 20001, 1, 'sha256', 'request',
    ts_us + 1, 'forged', 'forged', 'ok', 200, row_hash, printf('%064d', 1)
    FROM audit_events WHERE seq = 20000" 20001 hash
tamper "a row inserted in a gap" "DELETE FROM audit_events WHERE seq = 300;
    INSERT INTO audit_events (seq, chain_version, chain_alg, kind, ts_us,
    host_id, request_id, outcome, http_status, prev_hash, row_hash)
    SELECT 300, 1, 'sha256', 'request', ts_us + 1, 'forged', 'forged', 'ok',
    200, row_hash, printf('%064d', 2) FROM audit_events WHERE seq = 299" \
    300 hash
tamper "the tail truncated" "DELETE FROM audit_events WHERE seq > 19990" \
    19991 tail
tamper "the head cut without a marker" "DELETE FROM audit_events WHERE
    seq <= 10" 11 head

# a sealed log: a row forged by someone without the key
python3 - "$E2E_TMP/keys/gen.key" <<'EOF'
import os, sys
open(sys.argv[1], "wb").write(os.urandom(32))
EOF
SDB2="$E2E_TMP/sealed.db"
python3 "$GEN" "$SDB2" --rows 3000 --seed 3 --key "$E2E_TMP/keys/gen.key" \
    >>"$OUT/gen.log" 2>&1
aud verify --db "$SDB2" --key "$E2E_TMP/keys/gen.key" --require-sealed
expect_rc "verify: a generated sealed chain with its key" 0
cp "$SDB2" "$E2E_TMP/t.db"
sqlite3 "$E2E_TMP/t.db" "DROP TRIGGER audit_events_no_update;
    UPDATE audit_events SET principal = 'mallory' WHERE seq = 1500"
aud verify --db "$E2E_TMP/t.db" --key "$E2E_TMP/keys/gen.key" --format json
expect_rc "verify: a sealed row edited" 1
eq "verify: the sealed edit is row 1500" "$(jqv '.tables[0].rows[0].bad_seq')" \
    1500

# --- 4. export ------------------------------------------------------------------

aud export --db "$VDB" --format jsonl -o "$OUT/e1.jsonl" \
    --manifest "$OUT/e1.manifest.json"
expect_rc "export jsonl" 0
eq "export: one line per row" "$(wc -l <"$OUT/e1.jsonl" | tr -d ' ')" 20000
eq "export: each line has schema_version 1" \
    "$(jq -s 'map(select(.schema_version == 1)) | length' "$OUT/e1.jsonl")" 20000
eq "export: arguments stay home" \
    "$(jq -s 'map(select(has("args_redacted"))) | length' "$OUT/e1.jsonl")" 0
eq "export manifest: rows and last_seq" \
    "$(jqv '"\(.rows) \(.last_seq) \(.last_row_hash | length)"' \
    "$OUT/e1.manifest.json")" "20000 20000 64"
aud export --db "$VDB" --format csv --since-seq 19000 -o "$OUT/e2.csv"
expect_rc "export csv --since-seq 19000" 0
eq "export csv: a header and 1000 rows" "$(wc -l <"$OUT/e2.csv" | tr -d ' ')" 1001
eq "export csv: starts after row 19000" \
    "$(sed -n 2p "$OUT/e2.csv" | cut -d, -f2)" 19001
if tr -d '\r' <"$OUT/e2.csv" | grep -q '^[^,]*,[0-9]*,1,[^,]*,[^,]*,request'; then
	e2e_ok "export csv: ts, seq, chain_version, ... in schema order"
else
	e2e_not_ok "export csv: ts, seq, chain_version, ... in schema order"
	e2e_diag "$(sed -n 1,2p "$OUT/e2.csv" | head -c 400)"
fi
grep -q "\"'=HYPERLINK" "$OUT/e2.csv" && ! grep -q ',=HYPERLINK' "$OUT/e2.csv" &&
    e2e_ok "export csv: the hostile principal is defused" ||
    e2e_not_ok "export csv: the hostile principal is defused"
aud export --db "$VDB" --range 2025-03-05 --format jsonl -o "$OUT/e3.jsonl"
eq "export --range: the day's rows" "$(wc -l <"$OUT/e3.jsonl" | tr -d ' ')" \
    "$(sqlite3 "$VDB" "SELECT count(*) FROM audit_events WHERE ts_us >=
    $(epoch 2025-03-05)000000 AND ts_us < $(epoch 2025-03-06)000000")"
head -c 48 /dev/urandom >"$E2E_TMP/keys/p1.key"
head -c 48 /dev/urandom >"$E2E_TMP/keys/p2.key"
for n in a b; do
	aud export --db "$VDB" --pseudonymize-key "$E2E_TMP/keys/p1.key" \
	    --format csv -o "$OUT/p1$n.csv"
done
aud export --db "$VDB" --pseudonymize-key "$E2E_TMP/keys/p2.key" \
    --format csv -o "$OUT/p2.csv"
expect_rc "export --pseudonymize-key" 0
if cmp -s "$OUT/p1a.csv" "$OUT/p1b.csv"; then
	e2e_ok "pseudonyms: stable across runs (byte-identical exports)"
else
	e2e_not_ok "pseudonyms: stable across runs (byte-identical exports)"
fi
if grep -q 'alice\|10\.0\.0\.5\|198\.51\.100' "$OUT/p1a.csv"; then
	e2e_not_ok "pseudonyms: no principal or address in clear"
else
	e2e_ok "pseudonyms: no principal or address in clear"
fi
P1=$(sed -n 2p "$OUT/p1a.csv" | grep -o 'p-[0-9a-f]\{16\}' | head -1)
P2=$(sed -n 2p "$OUT/p2.csv" | grep -o 'p-[0-9a-f]\{16\}' | head -1)
if [ -n "$P1" ] && [ -n "$P2" ] && [ "$P1" != "$P2" ]; then
	e2e_ok "pseudonyms: another key, other pseudonyms ($P1, $P2)"
else
	e2e_not_ok "pseudonyms: another key, other pseudonyms ($P1, $P2)"
fi
eq "pseudonyms: one per principal (4 principals, 4 pseudonyms)" \
    "$(cut -d, -f15 "$OUT/p1a.csv" | grep '^p-' | sort -u | wc -l |
    tr -d ' ')" 4
aud export --db "$VDB" --pseudonymize-key "$E2E_TMP/keys/none.key"
expect_rc "export: a missing pseudonym key" 3

# --- 5. the HTML report in a browser --------------------------------------------

HTML="$OUT/gen-summary.html"
PNG=${MCPGATE_AUDIT_SCREENSHOT:-$E2E_TMP/report.png}
if command -v chromium >/dev/null 2>&1; then
	rm -f "$PNG"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$(mktemp -d "$E2E_TMP/chromium.XXXXXX")" \
	    --screenshot="$PNG" --window-size=1280,2000 "file://$HTML" \
	    >"$OUT/chromium.log" 2>&1
	size=$(wc -c <"$PNG" 2>/dev/null || echo 0)
	if [ "$size" -gt 20000 ]; then
		e2e_ok "chromium: a screenshot of the report ($size bytes)"
	else
		e2e_not_ok "chromium: a screenshot of the report ($size bytes)"
		e2e_diag "$(tail -5 "$OUT/chromium.log")"
	fi
	# decode the PNG (zlib, no imaging library) and look at its pixels
	if python3 - "$PNG" >"$OUT/png.txt" 2>&1 <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
        bpp = 3 if ctype == 2 else 4
    elif typ == b"IDAT":
        idat += body
    pos += n + 12
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colors, ink, total, i = set(), 0, 0, 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[x] = (line[x] + pr) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, stride, bpp * 4):
            px = tuple(line[x:x + 3]); total += 1
            colors.add(px)
            if px != (250, 250, 250) and px != (255, 255, 255):
                ink += 1
# the chart colours: bars (blue), ok (green), failed (red), denied (purple)
chart = sum(1 for c in colors if c in
            ((21, 101, 192), (46, 125, 50), (198, 40, 40), (106, 27, 154)))
print("%dx%d colours=%d ink=%.3f chart_colours=%d" % (w, h, len(colors),
      ink / total, chart))
ok = len(colors) >= 16 and ink / total > 0.05 and chart >= 3
sys.exit(0 if ok else 1)
EOF
	then
		e2e_ok "chromium: the page is drawn, charts in their colours ($(cat "$OUT/png.txt"))"
	else
		e2e_not_ok "chromium: the page is drawn, charts in their colours"
		e2e_diag "$(cat "$OUT/png.txt")"
	fi
	e2e_diag "screenshot: $PNG"
else
	e2e_ok "chromium: a screenshot of the report # SKIP chromium is not installed"
fi

e2e_check_sanitizers "mcpgate-audit"
e2e_done
