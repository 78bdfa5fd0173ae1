-- 002: API keys (state database).
-- The key itself is never stored: only its public id and the SHA-256 of
-- the whole key string (lib/apikey.c), so a copy of the database cannot be
-- used to authenticate.  Every request looks its key up here (no
-- in-process cache), so a revocation takes effect on the next request in
-- every worker.  Times are unix seconds; NULL means never.
CREATE TABLE api_keys (
	id		TEXT PRIMARY KEY,	-- public id, 12 base62
	key_hash	BLOB NOT NULL CHECK (length(key_hash) = 32),
	name		TEXT NOT NULL,		-- operator's label
	scopes		TEXT NOT NULL DEFAULT '', -- space-delimited
	created_at	INTEGER NOT NULL,
	last_used	INTEGER,		-- written at most once a minute
	expires_at	INTEGER,
	revoked_at	INTEGER
) WITHOUT ROWID;
CREATE INDEX api_keys_created ON api_keys(created_at);
