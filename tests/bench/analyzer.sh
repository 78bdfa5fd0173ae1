#!/bin/sh
# tests/bench/analyzer.sh [ROWS] [DB] -- times mcpgate-audit on a large
# synthetic audit log.  The rows are bulk-inserted by sqlite3 from a
# recursive CTE into the real schema (sql/010_audit_events.sql, every
# index), with realistic value spreads but WITHOUT a valid hash chain
# (prev_hash/row_hash are placeholders): this measures reading and
# aggregating, not verify.  Prints one line per command: rows, seconds
# (wall and CPU), rows per wall second, rows per CPU second and the peak
# RSS.  A database from `mcpgate-audit simulate --out DB --rows N` works
# too (give its path; the chain is then valid as well).  The lines marked
# "statement path" set MCPGATE_AUDIT_DIRECT=0 (audit/rowscan.c): SQLite's
# column API instead of the direct B-tree read.
#
#   sh tests/bench/analyzer.sh 10000000 /tmp/audit-10m.db
#   MCPGATE_AUDIT_BIN=build/default/mcpgate-audit (the default)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
ROWS=${1:-10000000}
DB=${2:-${TMPDIR:-/tmp}/mcpgate-audit-bench-$ROWS.db}
AUD=${MCPGATE_AUDIT_BIN:-$top/build/default/mcpgate-audit}
if [ ! -s "$DB" ]; then
	echo "generating $ROWS rows into $DB ..." >&2
	rm -f "$DB" "$DB-wal" "$DB-shm"
	{
		echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;"
		echo "PRAGMA cache_size = -1000000;"
		cat "$top/sql/010_audit_events.sql"
		cat <<SQL
PRAGMA user_version = 10;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < $ROWS),
r AS (SELECT i, abs(random()) AS x, abs(random()) AS y FROM n)
INSERT INTO audit_events (seq, chain_version, chain_alg, kind, ts_us,
    host_id, request_id, session_hash, protocol_version, principal,
    auth_method, auth_result, decision, decision_reason, key_id,
    client_addr, user_agent, http_method, http_path, http_status,
    rpc_method, tool, scope_required, idem_key_hash, idem_status,
    args_digest, outcome, error_category, error_code, retryable,
    latency_us, bytes_in, bytes_out, prev_hash, row_hash)
SELECT i, 1, 'sha256', 'request',
    1735689600000000 + i * 250000 + x % 200000,
    'host-' || (x % 3), printf('%032x', x), printf('%064x', (x / 7) % 20000),
    '2025-11-25',
    CASE WHEN x % 20 = 0 THEN NULL ELSE 'principal-' || (y % 50) END,
    'apikey',
    CASE WHEN x % 20 = 0 THEN 'invalid' ELSE 'ok' END,
    CASE WHEN x % 20 = 0 OR x % 17 = 0 THEN 'deny' ELSE 'allow' END,
    CASE WHEN x % 20 = 0 THEN 'unauthenticated' WHEN x % 17 = 0
        THEN 'scope_missing' ELSE 'scope_granted' END,
    'k_' || (y % 60),
    '10.' || (y % 4) || '.' || (x % 16) || '.' || (y % 200),
    'agent/' || (y % 7), 'POST', '/mcp',
    CASE WHEN x % 20 = 0 THEN 401 WHEN x % 17 = 0 THEN 403 ELSE 200 END,
    'tools/call', 'tool_' || (y % 12), 'scope:' || (y % 12 % 3),
    CASE WHEN y % 12 < 3 THEN printf('%064x', x % 5000000) END,
    CASE WHEN y % 12 < 3 THEN
        CASE WHEN x % 50 = 0 THEN 'replay' ELSE 'new' END END,
    printf('%064x', y % 100000),
    CASE WHEN x % 20 = 0 OR x % 17 = 0 THEN 'auth_error'
        WHEN x % 13 = 0 THEN 'tool_error'
        WHEN x % 97 = 0 THEN 'protocol_error' ELSE 'ok' END,
    CASE WHEN x % 20 = 0 THEN 'authentication' WHEN x % 17 = 0
        THEN 'authorization' WHEN x % 13 = 0 THEN 'not_found'
        WHEN x % 97 = 0 THEN 'validation' END,
    NULL, NULL,
    (x % 5000) * (1 + y % 9) + 100, 200 + x % 800, 300 + y % 4000,
    printf('%064x', i - 1), printf('%064x', i)
FROM r;
COMMIT;
SQL
	} | sqlite3 "$DB"
fi
echo "database: $DB ($(du -h "$DB" | cut -f1)), $(sqlite3 "$DB" 'SELECT count(*) FROM audit_events') rows" >&2
run() {	# name rows args...: best of 3 (by CPU), wall, CPU, peak RSS
	name=$1
	n=$2
	shift 2
	best=
	for _i in 1 2 3; do
		rm -f "$DB.state" "$DB.state.lock"
		# scan exits 1 or 2 when it finds something: not a failure
		/usr/bin/time -f '%e %U %S %M' -o "$DB.time" \
		    "$AUD" "$@" --db "$DB" --no-progress >/dev/null || true
		t=$(tail -n 1 "$DB.time")
		if [ -z "$best" ] || [ "$(echo "$t $best" |
		    awk '{ print ($2 + $3 < $6 + $7) }')" = 1 ]; then
			best=$t
		fi
	done
	rm -f "$DB.time" "$DB.state" "$DB.state.lock"
	echo "$best" | awk -v n="$name" -v r="$n" '{
	    printf "%-34s %9d rows %6.2f s wall %6.2f s CPU %9.0f rows/s " \
	    "%9.0f rows/CPU-s %6.0f MiB\n", n, r, $1, $2 + $3,
	    r / ($1 > 0 ? $1 : 1), r / ($2 + $3 > 0 ? $2 + $3 : 1),
	    $4 / 1024 }'
}
DAY=$(sqlite3 "$DB" "SELECT count(*) FROM audit_events WHERE ts_us >=
    1736467200000000 AND ts_us < 1736553600000000")
echo "sqlite3 CLI, the same columns, no analysis:" >&2
/usr/bin/time -f '%e s wall' sqlite3 "$DB" "SELECT count(*),
    sum(length(kind) + length(coalesce(principal, '')) +
    length(auth_result) + length(decision) + length(client_addr) +
    length(tool) + length(outcome) + length(coalesce(error_category, '')) +
    length(session_hash)), sum(latency_us) % 1000 FROM audit_events
    WHERE seq >= 1" >/dev/null
run "report summary" "$ROWS" report summary
(MCPGATE_AUDIT_THREADS=1; export MCPGATE_AUDIT_THREADS
run "report summary, one thread" "$ROWS" report summary)
(MCPGATE_AUDIT_DIRECT=0; export MCPGATE_AUDIT_DIRECT
run "report summary, statement path" "$ROWS" report summary)
run "scan, first run (every row new)" "$ROWS" scan --state "$DB.state"
(MCPGATE_AUDIT_DIRECT=0; export MCPGATE_AUDIT_DIRECT
run "scan, first run, statement path" "$ROWS" scan --state "$DB.state")
run "report summary --format html" "$ROWS" report summary --format html
run "report tools" "$ROWS" report tools
run "report all --limit 1000" "$ROWS" report all --format json --limit 1000
run "report summary, one day" "$DAY" report summary --range 2025-01-10
run "export csv, one day" "$DAY" export --range 2025-01-10 --format csv
run "export jsonl, one day" "$DAY" export --range 2025-01-10
