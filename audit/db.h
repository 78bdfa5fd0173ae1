/*
 * db.h -- the analyzer's only way into an audit database: opened
 * read-only and defensively, its schema version checked, read inside one
 * short read transaction so that every query of one run sees the same
 * snapshot while the server keeps appending.
 *
 * Never writes, vacuums, checkpoints or creates anything in the audit
 * database, and never reads standard input unless the path is "-".
 * Shared by report/verify/export (this engineer) and scan/simulate.
 */
#ifndef AUDIT_DB_H
#define AUDIT_DB_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;

/*
 * The audit schema versions (PRAGMA user_version of the audit database,
 * i.e. the number of the newest sql/NNN_audit_*.sql migration applied)
 * this analyzer understands.  Anything else is refused with a message
 * naming both numbers.
 */
#define AUDIT_DB_VERSION_MIN	10
#define AUDIT_DB_VERSION_MAX	11

#define AUDIT_DB_HEX_LEN	64	/* row_hash: lower-case hex */

/* audit_db_open flags */
#define AUDIT_DB_IMMUTABLE	0x01	/* archived copy: no locking at all
					   (SQLite "immutable=1"); never use
					   on a live log */

struct audit_db;	/* opaque */

/*
 * Opens the audit database at path: SQLITE_OPEN_READONLY, a busy
 * timeout, SQLITE_DBCONFIG_DEFENSIVE on, trusted_schema off, triggers
 * and views disabled (query audit_events itself, not audit_events_v),
 * PRAGMA query_only.  path "-" reads a database image from standard
 * input into memory (read-only); nothing else touches stdin.
 * Checks that the file is an mcpgate audit database (an audit_events
 * table) of a known version (AUDIT_DB_VERSION_MIN..MAX).
 * OUT: *out, owned by the caller (free with audit_db_close).
 * Returns 0, or -1 with one sentence for a person in err (the caller
 * exits 3).
 */
int	audit_db_open(const char *path, int flags, struct audit_db **out,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * audit_db_open("-") with the database image at img (len bytes, copied)
 * instead of standard input: for tests and tests/fuzz/fuzz_rowscan.c.
 */
int	audit_db_open_image(const void *img, size_t len,
	    struct audit_db **out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Closes db (ending a read transaction if one is open).  NULL-safe. */
void	audit_db_close(struct audit_db *db);

/*
 * Starts the run's read transaction (BEGIN, then a read, which is what
 * takes the snapshot in SQLite).  Every query until audit_db_end sees the
 * same rows.  Keep it short: a long reader stops WAL checkpoints.
 * Returns 0, or -1 with a message in err.
 */
int	audit_db_begin(struct audit_db *db, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Ends the read transaction (COMMIT; nothing was written).  NULL-safe. */
void	audit_db_end(struct audit_db *db);

/* The SQLite handle: borrowed, valid until audit_db_close. */
struct sqlite3 *audit_db_sqlite(struct audit_db *db);

/* The path as given ("-" for stdin): borrowed, valid until close. */
const char *audit_db_path(const struct audit_db *db);

/* PRAGMA user_version as read at open. */
int	audit_db_version(const struct audit_db *db);

/*
 * Prepares sql on db.  OUT: *st (finalize with sqlite3_finalize).
 * Returns 0, or -1 with SQLite's message in err.
 */
int	audit_db_prepare(struct audit_db *db, const char *sql,
	    struct sqlite3_stmt **st, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * What a set of rows is, for a manifest: the rows of audit_events with
 * from_us <= ts_us < to_us (pass INT64_MIN / INT64_MAX for no bound).
 */
struct audit_db_span {
	int64_t	 rows;		/* matching rows (request and retention) */
	int64_t	 first_seq;	/* lowest seq in the range; 0 if none */
	int64_t	 last_seq;	/* highest seq in the range; 0 if none */
	int64_t	 first_ts_us;	/* lowest ts_us in the range; 0 if none */
	int64_t	 last_ts_us;	/* highest ts_us in the range */
	int64_t	 db_rows;	/* rows in the whole table */
	int64_t	 db_first_seq;	/* lowest seq in the table; 0 if empty */
	int64_t	 db_last_seq;	/* highest seq in the table; 0 if empty */
	int64_t	 seq_hi;	/* sqlite_sequence for audit_events */
	char	 head_hash[AUDIT_DB_HEX_LEN + 1]; /* row_hash of db_last_seq,
					   the chain head; "" if empty */
	char	 range_head[AUDIT_DB_HEX_LEN + 1]; /* row_hash of last_seq */
};

/*
 * Fills span for [from_us, to_us).  Uses the ts_us index; cheap.
 * Call inside audit_db_begin/audit_db_end so it matches the report.
 * Returns 0, or -1 with a message in err.
 */
int	audit_db_span(struct audit_db *db, int64_t from_us, int64_t to_us,
	    struct audit_db_span *span, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

#endif /* AUDIT_DB_H */
