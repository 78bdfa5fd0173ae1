-- 003: failed-authentication counters per client address (state database),
-- so repeated failures from one address are throttled in every worker
-- process without locking out other addresses.
CREATE TABLE auth_failures (
	addr		TEXT PRIMARY KEY,	-- client address (REMOTE_ADDR)
	window_start	INTEGER NOT NULL,	-- unix seconds
	failures	INTEGER NOT NULL,	-- in the current window
	blocked_until	INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
