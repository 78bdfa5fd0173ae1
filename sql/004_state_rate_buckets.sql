-- 004: token buckets for rate limits (state database), shared by every
-- worker process.  One row per bucket: principal total, or principal x tool.
CREATE TABLE rate_buckets (
	bucket		TEXT PRIMARY KEY,	-- "p\x1f<principal>" or "t\x1f<principal>\x1f<tool>"
	tokens		REAL NOT NULL,		-- tokens left at updated_us
	updated_us	INTEGER NOT NULL	-- unix microseconds
) WITHOUT ROWID;
