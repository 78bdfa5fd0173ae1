-- 011: fewer indexes on audit_events.  Every request inserts a row, and
-- every index is one more B-tree page changed and written to the WAL per
-- request.  mcpgate-audit's scan and reports read the table in seq order
-- in one pass (audit/rowscan.c) and never used these five; they only
-- slowed the writer (and mcpgate-audit simulate, which builds them).
-- Kept: ts (time windows), principal and tool (filtered reports),
-- request (the row behind an X-Request-Id a client quotes), markers
-- (the verifier's newest retention marker).
DROP INDEX IF EXISTS audit_events_calls;
DROP INDEX IF EXISTS audit_events_client;
DROP INDEX IF EXISTS audit_events_idem;
DROP INDEX IF EXISTS audit_events_host;
DROP INDEX IF EXISTS audit_events_fail;
