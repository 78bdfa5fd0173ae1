-- 010: the audit log (audit database: a file of its own, never a tool's
-- database or the state database).
--
-- One row per HTTP request that reached mcpgate (kind 'request'), written
-- before the response is sent, plus one row per retention prune (kind
-- 'retention').  The column-by-column reference for compliance teams, the
-- exact hash-chain definition and the redaction rules are in docs/audit.md.
--
-- seq is AUTOINCREMENT: SQLite never reuses a number, so rows deleted from
-- the newest end leave a gap that the next row (and sqlite_sequence)
-- reveal.  prev_hash/row_hash chain every row to the one before it
-- (lib/auditchain.c).  STRICT: a value is stored with exactly the type the
-- writer bound, so the verifier re-reads exactly what was hashed.
-- Times are unix microseconds, UTC.  NULL means "not applicable" or "not
-- known at that point of the request"; no column stores an empty string.
CREATE TABLE audit_events (
	seq		INTEGER PRIMARY KEY AUTOINCREMENT,
	chain_version	INTEGER NOT NULL,	-- 1: the column set below
	chain_alg	TEXT NOT NULL CHECK (chain_alg IN ('sha256', 'hmac-sha256')),
	seal_key_id	TEXT,			-- hmac-sha256: which sealing key
	kind		TEXT NOT NULL CHECK (kind IN ('request', 'retention')),
	ts_us		INTEGER NOT NULL,	-- request arrival (UTC, unix us)
	host_id		TEXT NOT NULL,		-- which server wrote the row
	request_id	TEXT,			-- also sent as X-Request-Id
	trace_id	TEXT,			-- W3C trace context
	span_id		TEXT,			-- our span (in our traceparent)
	parent_span_id	TEXT,			-- the caller's span, if continued
	session_hash	TEXT,			-- SHA-256 of Mcp-Session-Id
	protocol_version TEXT,			-- MCP revision in effect
	principal	TEXT,			-- authenticated identity
	auth_method	TEXT,			-- none, apikey, jwt
	auth_result	TEXT CHECK (auth_result IN ('ok', 'missing', 'invalid',
			    'expired', 'revoked', 'error')),
	decision	TEXT CHECK (decision IN ('allow', 'deny')),
	decision_reason	TEXT,
	key_id		TEXT,			-- API key public id (never the key)
	token_iss	TEXT,			-- JWT iss (verified tokens only)
	token_sub	TEXT,			-- JWT sub (verified tokens only)
	client_addr	TEXT,			-- REMOTE_ADDR
	user_agent	TEXT,			-- truncated
	http_method	TEXT,
	http_path	TEXT,			-- path only, never the query string
	http_status	INTEGER,
	rpc_method	TEXT,			-- JSON-RPC method
	rpc_id		TEXT,			-- JSON-RPC id, as JSON text
	rpc_error_code	INTEGER,		-- JSON-RPC error code sent
	tool		TEXT,
	scope_required	TEXT,
	idem_key_hash	TEXT,			-- scoped idempotency key hash
	idem_status	TEXT CHECK (idem_status IN ('new', 'replay', 'conflict',
			    'in_flight')),
	args_digest	TEXT,			-- of the canonical arguments
	args_redacted	TEXT,			-- canonical JSON, redacted
	outcome		TEXT CHECK (outcome IN ('ok', 'tool_error',
			    'protocol_error', 'auth_error', 'http_error')),
	error_category	TEXT,
	error_code	TEXT,
	retryable	INTEGER CHECK (retryable IN (0, 1)),
	retry_after_ms	INTEGER,
	latency_us	INTEGER,
	bytes_in	INTEGER,
	bytes_out	INTEGER,
	pruned_rows	INTEGER,		-- retention: rows deleted
	first_kept_seq	INTEGER,		-- retention: oldest row kept
	cut_hash	TEXT,			-- retention: row_hash at the cut
	prev_hash	TEXT NOT NULL,		-- row_hash of the row before
	row_hash	TEXT NOT NULL,		-- chain hash (or HMAC) of this row
	CHECK (kind = 'retention' OR (request_id IS NOT NULL AND
	    outcome IS NOT NULL AND http_status IS NOT NULL)),
	CHECK (kind = 'request' OR (pruned_rows IS NOT NULL AND
	    first_kept_seq IS NOT NULL AND cut_hash IS NOT NULL))
) STRICT;

-- Indexes for mcpgate-audit (../shared/research/analyzer-anchors.md §5):
-- time windows and reports (every report filters on time)
CREATE INDEX audit_events_ts ON audit_events(ts_us);
-- per-principal reports, D04 scope denials, D06 rate limits, D09 novelty
CREATE INDEX audit_events_principal ON audit_events(principal, ts_us);
-- per-tool reports, "who called issue_refund last week", D07/D08 per tool
CREATE INDEX audit_events_tool ON audit_events(tool, ts_us);
-- D01/D02/D03 retry loops and ping-pong: identical calls in a session
CREATE INDEX audit_events_calls ON audit_events(session_hash, tool,
    args_digest, ts_us) WHERE tool IS NOT NULL;
-- D05 authentication failures per client address, D13 denial storms
CREATE INDEX audit_events_client ON audit_events(client_addr, ts_us);
-- look-up by the id a client quotes (X-Request-Id)
CREATE INDEX audit_events_request ON audit_events(request_id);
-- D10 idempotency anomalies (only rows that carry a key)
CREATE INDEX audit_events_idem ON audit_events(idem_key_hash, ts_us)
    WHERE idem_key_hash IS NOT NULL;
-- per-host watermarks when several servers share one log
CREATE INDEX audit_events_host ON audit_events(host_id, seq);
-- D04/D07/D13 denials and errors only
CREATE INDEX audit_events_fail ON audit_events(outcome, ts_us)
    WHERE outcome <> 'ok';
-- D15 retention markers (verify finds the newest one)
CREATE INDEX audit_events_markers ON audit_events(seq)
    WHERE kind = 'retention';

-- Rows are never updated: an accident fails loudly.  (Someone who can
-- write the file can drop this trigger; the chain is what detects them.)
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
	SELECT RAISE(ABORT, 'audit rows are append-only');
END;

-- Bookkeeping outside the chain: when the next retention prune is due.
CREATE TABLE audit_meta (
	name		TEXT PRIMARY KEY,
	value		INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- For people with the sqlite3 shell: the time as ISO 8601 text.
CREATE VIEW audit_events_v AS
SELECT strftime('%Y-%m-%dT%H:%M:%S', ts_us / 1000000, 'unixepoch') ||
    printf('.%06dZ', ts_us % 1000000) AS ts, * FROM audit_events;
