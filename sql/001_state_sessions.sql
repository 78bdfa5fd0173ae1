-- 001: Streamable HTTP sessions (state database).
-- The session id itself is never stored: only its SHA-256, so a copy of the
-- database cannot be used to take over a session.
CREATE TABLE sessions (
	id_hash		TEXT PRIMARY KEY,	-- hex SHA-256 of Mcp-Session-Id
	principal	TEXT NOT NULL,		-- who initialized it
	protocol_version TEXT NOT NULL,		-- negotiated revision
	client_name	TEXT,			-- clientInfo.name, for operators
	created_at	INTEGER NOT NULL,	-- unix seconds
	last_seen	INTEGER NOT NULL,
	expires_at	INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions(expires_at);
