#!/bin/sh
# tests/e2e/75_analyzer_scan.sh -- mcpgate-audit scan as cron runs it,
# against simulated audit databases (mcpgate-audit simulate):
#
#   1. Exit codes: 0 (nothing at or above --fail-on), 1 (warning), 2
#      (critical), 3 (usage, unreadable database, not an audit database,
#      a bad rules file).
#   2. The watermark: a first run over the first half of a log, a second
#      over the whole log with the same state file reports only findings
#      triggered (or escalated) by the new rows, and the two runs together
#      report exactly the fingerprints of one scan of the whole log; a
#      third run with nothing new exits 0.
#   3. The lock: a run while another process holds the state's lock exits
#      3 saying so.
#   4. The watermark row vanished or changed: exit 3 naming the row;
#      --recover scans on.
#   5. --explain prints the rows, window, threshold and arithmetic, from
#      the state file and without one.
#   6. Exceptions: a finding suppressed by a valid exception is counted
#      and listed, not failed on; once the exception has expired it no
#      longer suppresses and the expiry is reported.
#   7. JSON and JSON lines parse; the settle lag holds back new rows.
#
#   sh tests/e2e/75_analyzer_scan.sh      E2E_KEEP=1 keeps the temp dir
#   MCPGATE_AUDIT_BIN=path   the analyzer under test (default: the ASan
#                            build next to the mcpgate under test)
# shellcheck disable=SC2016
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

e2e_init
AUD=${MCPGATE_AUDIT_BIN:-${MCPGATE_TEST_ASAN:-$E2E_TOP/build/asan}/mcpgate-audit}
[ -x "$AUD" ] || e2e_bail "the analyzer under test exists: $AUD"
command -v jq >/dev/null 2>&1 || e2e_bail "jq is installed"
command -v flock >/dev/null 2>&1 || e2e_bail "flock(1) is installed"
command -v sqlite3 >/dev/null 2>&1 || e2e_bail "sqlite3 is installed"
T=$E2E_TMP
OUT="$T/out"
mkdir -p "$OUT"

aud() {
	"$AUD" "$@" >"$OUT/stdout" 2>"$OUT/stderr"
	AUD_RC=$?
}

expect_rc() {
	if [ "$AUD_RC" -eq "$2" ]; then
		e2e_ok "$1 (exit $2)"
	else
		e2e_not_ok "$1 (exit $2)"
		e2e_diag "exit $AUD_RC; stderr: $(head -c 800 "$OUT/stderr")"
	fi
}

eq() {
	if [ "$2" = "$3" ]; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1"
		e2e_diag "got \"$2\", want \"$3\""
	fi
}

# has NAME FILE PATTERN: grep -q.
has() {
	if grep -q -- "$3" "$2"; then
		e2e_ok "$1"
	else
		e2e_not_ok "$1"
		e2e_diag "no \"$3\" in: $(head -c 800 "$2")"
	fi
}

# --- the logs ---------------------------------------------------------------

aud simulate --out "$T/full.db" --rows 40000 --days 35 --seed 11 \
    --labels "$T/full.labels" --write-config "$T/mcpgate.json"
expect_rc "simulate writes a 35-day log with labelled incidents" 0
N=$(sqlite3 "$T/full.db" 'SELECT max(seq) / 2 FROM audit_events')
LAST=$(sqlite3 "$T/full.db" 'SELECT max(seq) FROM audit_events')
# The first half, as the log looked earlier (sqlite_sequence too).
cp "$T/full.db" "$T/half.db"
sqlite3 "$T/half.db" "DELETE FROM audit_events WHERE seq > $N; UPDATE \
sqlite_sequence SET seq = $N WHERE name = 'audit_events'"
CFG="--config $T/mcpgate.json"

# --- 1. exit codes ----------------------------------------------------------

# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D10 --format jsonl
expect_rc "idempotency invariants broken: critical" 2
eq "the exit code is in the summary" "$(tail -n 1 "$OUT/stdout" |
    jq -r .exit_code)" 2
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D06
expect_rc "rate-limit findings (at most medium): warning" 1
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D06 --fail-on high
expect_rc "the same with --fail-on high: ok" 0
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D02 --fail-on critical
expect_rc "ping-pong with --fail-on critical: ok" 0
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --fail-on never
expect_rc "--fail-on never: ok whatever was found" 0
aud scan "$T/full.db" --bogus
expect_rc "an unknown option: unknown" 3
aud scan
expect_rc "no database: unknown" 3
aud scan "$T/nonexistent.db"
expect_rc "a database that does not exist: unknown" 3
printf 'not a database' >"$T/junk.db"
aud scan "$T/junk.db"
expect_rc "a file that is not SQLite: unknown" 3
sqlite3 "$T/other.db" 'CREATE TABLE t(x)'
aud scan "$T/other.db"
expect_rc "an SQLite file that is not an audit log: unknown" 3
has "it says so" "$OUT/stderr" "not an mcpgate audit database"
aud scan "$T/full.db" --only D99
expect_rc "an unknown detector: unknown" 3
printf '{"detectors": {"D01": {"lwo": 3}}}' >"$T/bad-rules.json"
aud scan "$T/full.db" --rules "$T/bad-rules.json"
expect_rc "a misspelt threshold in the rules: unknown" 3
has "naming it" "$OUT/stderr" "/detectors/D01/lwo"

# --- 2. the watermark -------------------------------------------------------

ST="$T/state.db"
# shellcheck disable=SC2086
aud scan "$T/half.db" --state "$ST" $CFG --format jsonl --min-severity info
cp "$OUT/stdout" "$T/run1.jsonl"
case $AUD_RC in 1|2) e2e_ok "first run over the first half ($AUD_RC)" ;;
*) e2e_not_ok "first run over the first half"; e2e_diag "$(cat "$OUT/stderr")" ;;
esac
eq "first run: watermark at the half" "$(tail -n 1 "$T/run1.jsonl" |
    jq -r .watermark_after)" "$N"
# shellcheck disable=SC2086
aud scan "$T/full.db" --state "$ST" $CFG --format jsonl --min-severity info
cp "$OUT/stdout" "$T/run2.jsonl"
case $AUD_RC in 1|2) e2e_ok "second run over the whole log ($AUD_RC)" ;;
*) e2e_not_ok "second run over the whole log"; e2e_diag "$(cat "$OUT/stderr")" ;;
esac
eq "second run: read from the lookback, new rows after the half" \
    "$(tail -n 1 "$T/run2.jsonl" | jq -r '[.watermark_before,
    .watermark_after, .rows_new] | @tsv')" \
    "$(printf '%s\t%s\t%s' "$N" "$LAST" "$((LAST - N))")"
eq "second run: every finding is new or escalated after the half" \
    "$(jq -r --argjson n "$N" 'select(.type == "finding" and
    .trigger_seq <= $n and .escalated == false) | .fingerprint' \
    "$T/run2.jsonl" | wc -l | tr -d ' ')" 0
eq "second run: nothing reported twice" "$(jq -r 'select(.type ==
    "finding" and .escalated == false) | .fingerprint' "$T/run1.jsonl" \
    "$T/run2.jsonl" | sort | uniq -d | wc -l | tr -d ' ')" 0
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --format jsonl --min-severity info
cp "$OUT/stdout" "$T/oneshot.jsonl"
jq -r 'select(.type == "finding") | .fingerprint' "$T/run1.jsonl" \
    "$T/run2.jsonl" | sort -u >"$T/inc.fp"
jq -r 'select(.type == "finding") | .fingerprint' "$T/oneshot.jsonl" |
    sort -u >"$T/full.fp"
if cmp -s "$T/inc.fp" "$T/full.fp" && [ -s "$T/full.fp" ]; then
	e2e_ok "two incremental runs report exactly the findings of one" \
	    "full scan ($(wc -l <"$T/full.fp" | tr -d ' ') fingerprints)"
else
	e2e_not_ok "two incremental runs report the findings of one full scan"
	e2e_diag "$(diff "$T/inc.fp" "$T/full.fp" | head -20)"
fi
# shellcheck disable=SC2086
aud scan "$T/full.db" --state "$ST" $CFG
expect_rc "third run, nothing new: ok" 0
has "third run says so" "$OUT/stdout" "0 finding(s) shown"
eq "the state logs the runs" "$(sqlite3 "$ST" \
    'SELECT count(*) FROM scan_runs')" 3

# --- 3. the lock ------------------------------------------------------------

# The holder execs into sleep with the locked descriptor: killing it
# releases the lock.
( exec 9>"$ST.lock" && flock 9 && exec sleep 30 ) &
HOLDER=$!
i=0
while [ $i -lt 50 ] && flock -n "$ST.lock" true; do
	sleep 0.1
	i=$((i + 1))
done
# shellcheck disable=SC2086
aud scan "$T/full.db" --state "$ST" $CFG
expect_rc "a run while another holds the lock: unknown" 3
has "saying another scan is running" "$OUT/stderr" "another scan is running"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
# shellcheck disable=SC2086
aud scan "$T/full.db" --state "$ST" $CFG
expect_rc "after the holder is gone the lock is free" 0

# --- 4. the watermark row vanished or changed ------------------------------

cp "$T/full.db" "$T/gone.db"
sqlite3 "$T/gone.db" "DELETE FROM audit_events WHERE seq = $LAST"
# shellcheck disable=SC2086
aud scan "$T/gone.db" --state "$ST" $CFG --dry-run
expect_rc "the watermark row deleted: unknown" 3
has "naming the row" "$OUT/stderr" "watermark row $LAST"
has "and what to do" "$OUT/stderr" "verify"
cp "$T/full.db" "$T/changed.db"
# An edit that keeps row_hash: the row no longer hashes to it.
sqlite3 "$T/changed.db" "DROP TRIGGER audit_events_no_update; UPDATE \
audit_events SET latency_us = latency_us + 1 WHERE seq = $LAST"
# shellcheck disable=SC2086
aud scan "$T/changed.db" --state "$ST" $CFG --dry-run
expect_rc "the watermark row edited in place: unknown" 3
has "saying it changed" "$OUT/stderr" "no longer matches"
# A forger who rewrites row_hash too.
sqlite3 "$T/changed.db" "UPDATE audit_events SET row_hash = \
'$(printf '%064d' 1)' WHERE seq = $LAST"
# shellcheck disable=SC2086
aud scan "$T/changed.db" --state "$ST" $CFG --dry-run
expect_rc "the watermark row's hash replaced: unknown" 3
has "saying it changed" "$OUT/stderr" "changed since the last scan"
# shellcheck disable=SC2086
aud scan "$T/changed.db" --state "$ST" $CFG --dry-run --recover
if [ "$AUD_RC" -ne 3 ]; then
	e2e_ok "--recover scans on ($AUD_RC)"
else
	e2e_not_ok "--recover scans on"
	e2e_diag "$(cat "$OUT/stderr")"
fi
has "--recover says what it did" "$OUT/stdout" "recover"

# --- 5. --explain -----------------------------------------------------------

FP=$(jq -r 'select(.type == "finding" and .detector == "D01") |
    .fingerprint' "$T/run2.jsonl" "$T/run1.jsonl" | head -n 1)
[ -n "$FP" ] || FP=$(jq -r 'select(.type == "finding") | .fingerprint' \
    "$T/run1.jsonl" | head -n 1)
aud scan "$T/full.db" --state "$ST" --explain "$FP"
expect_rc "--explain from the state file" 0
has "explain: the arithmetic" "$OUT/stdout" "^arithmetic: "
has "explain: the threshold" "$OUT/stdout" "^threshold: "
has "explain: the window" "$OUT/stdout" "^window: "
has "explain: the rows, by seq" "$OUT/stdout" "^  [0-9][0-9]*  20"
SHORT=$(printf '%s' "$FP" | cut -c1-8)
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --explain "$SHORT" --format json
expect_rc "--explain without a state file, by prefix, as JSON" 0
eq "explain JSON: the finding and its rows" "$(jq -r '[.fingerprint,
    (.rows | length > 0)] | @tsv' "$OUT/stdout")" \
    "$(printf '%s\ttrue' "$FP")"
aud scan "$T/full.db" --state "$ST" --explain ffffffffffff
expect_rc "--explain of an unknown finding: unknown" 3

# --- 6. exceptions ----------------------------------------------------------

P=$(jq -r 'select(.type == "finding" and .detector == "D10" and
    .severity == "critical") | .key.principal' "$T/oneshot.jsonl" |
    head -n 1)
cat >"$T/rules.json" <<EOF
{ "exceptions": [ { "detector": "D10", "match": { "principal": "$P" },
    "reason": "known replay bug, ticket 123", "owner": "payments-team",
    "expires": "2099-12-31" } ] }
EOF
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D10 --rules "$T/rules.json" \
    --format jsonl
cp "$OUT/stdout" "$T/supp.jsonl"
eq "a suppressed finding is marked and names its exception" \
    "$(jq -r --arg p "$P" 'select(.type == "finding" and .key.principal ==
    $p and .severity == "critical") | [.suppressed, .exception.owner] |
    @tsv' "$T/supp.jsonl" | head -n 1)" "$(printf 'true\tpayments-team')"
eq "suppressed findings are still counted" "$(tail -n 1 "$T/supp.jsonl" |
    jq -r '.suppressed > 0')" true
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D10 --rules "$T/rules.json"
has "text: a suppressed section with reason and owner" "$OUT/stdout" \
    "known replay bug, ticket 123 (owner payments-team"
sed 's/2099-12-31/2020-01-31/' "$T/rules.json" >"$T/expired.json"
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D10 --rules "$T/expired.json" \
    --format jsonl
expect_rc "an expired exception no longer suppresses" 2
eq "nothing suppressed" "$(tail -n 1 "$OUT/stdout" | jq -r .suppressed)" 0
eq "the expired exception is reported, with what it would have hidden" \
    "$(tail -n 1 "$OUT/stdout" | jq -r '.expired_exceptions[0] |
    [.owner, (.would_have_suppressed > 0)] | @tsv')" \
    "$(printf 'payments-team\ttrue')"
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --only D10 --rules "$T/expired.json"
has "text: the expiry is reported" "$OUT/stdout" "expired exception: D10"

# --- 7. formats and the settle lag ----------------------------------------

# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --format json
if jq -e '.type == "scan" and (.findings | type) == "array" and
    .summary.type == "summary"' "$OUT/stdout" >/dev/null 2>&1; then
	e2e_ok "--format json is one document"
else
	e2e_not_ok "--format json is one document"
	e2e_diag "$(head -c 400 "$OUT/stdout")"
fi
# shellcheck disable=SC2086
aud scan "$T/full.db" $CFG --format jsonl --min-severity info
if jq -e . "$OUT/stdout" >/dev/null 2>&1 && [ "$(jq -r .type \
    "$OUT/stdout" | sort -u | tr '\n' ' ')" = "finding summary " ]; then
	e2e_ok "--format jsonl: every line is a JSON object"
else
	e2e_not_ok "--format jsonl: every line is a JSON object"
fi
eq "findings carry what explains them" "$(jq -r 'select(.type ==
    "finding") | (has("fingerprint") and has("explain") and has("key") and
    has("first_seq") and has("threshold"))' "$OUT/stdout" | sort -u)" true
LASTTS=$(sqlite3 "$T/full.db" 'SELECT max(ts_us) / 1000000 FROM audit_events')
NOW=$(date -u -d "@$((LASTTS + 30))" +%Y-%m-%dT%H:%M:%SZ)
# shellcheck disable=SC2086
aud scan "$T/full.db" --state "$T/settle.db" $CFG --now "$NOW" \
    --settle 10m --format jsonl
eq "rows newer than now - settle are held back" "$(tail -n 1 \
    "$OUT/stdout" | jq -r '(.held_back > 0) and (.watermark_after <
    '"$LAST"')')" true

e2e_done
