/*
 * store.h -- the state database: everything that several worker processes
 * (or one CGI process per request) must share.  One interface, SQLite
 * behind it (WAL, busy timeout, statements prepared once per process), so
 * another backend can be added without touching callers.
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct sqlite3;

/*
 * Opens (creating and migrating as needed) the state database at path.
 * Returns a handle (free with store_close) or NULL with a message in err.
 */
struct store	*store_open(const char *path, char *err, size_t errlen)
		    __attribute__((warn_unused_result));
void		 store_close(struct store *);

/* The underlying connection, for modules that keep their tables here. */
struct sqlite3	*store_db(struct store *);

struct sqlite3_stmt;

/*
 * A statement for sql on db, for modules that keep their tables in the
 * state database but get only its connection (apikey, auth).  sql must be
 * a string constant: its address is the cache key.  When db is a store's
 * connection (store_db), the statement is prepared once
 * (SQLITE_PREPARE_PERSISTENT) and kept until store_close, so a request
 * pays for binding and stepping only; on any other connection (a test's,
 * a tool's) it is prepared now.  Nothing but the compiled statement is
 * kept: every call still reads the database.  Hand it back with
 * store_stmt_put, which resets it (ending its read, releasing locks) or
 * finalizes it.  Returns NULL on a prepare error (the message is in
 * sqlite3_errmsg(db)).
 */
struct sqlite3_stmt *store_stmt_get(struct sqlite3 *db, const char *sql)
		    __attribute__((warn_unused_result));
/* Gives back a statement from store_stmt_get (NULL: nothing). */
void		 store_stmt_put(struct sqlite3 *db, struct sqlite3_stmt *st);

struct store_session {
	char	 principal[256];
	char	 protocol_version[32];
	time_t	 expires_at;
};

/*
 * Creates a session.  sid is the id handed to the client; only its hash is
 * stored.  Also prunes expired sessions.  Returns 0 or -1.
 */
int	store_session_create(struct store *, const char *sid,
	    const char *principal, const char *protocol_version,
	    const char *client_name, time_t now, time_t ttl)
	    __attribute__((warn_unused_result));

/*
 * Looks up a live session and extends its expiry (at most once a minute,
 * to spare writes).  Returns 1 found (OUT s filled), 0 unknown or expired,
 * -1 on a database error.
 */
int	store_session_get(struct store *, const char *sid, time_t now,
	    time_t ttl, struct store_session *s)
	    __attribute__((warn_unused_result));

/* Ends a session.  Returns 1 deleted, 0 unknown, -1 error. */
int	store_session_delete(struct store *, const char *sid)
	    __attribute__((warn_unused_result));

/*
 * Takes one token from bucket (a token bucket of burst tokens refilled at
 * per_minute per minute) at now_us (unix microseconds).  Returns 1 taken,
 * 0 empty (OUT: retry_after, whole seconds until a token is there), -1 on
 * a database error.  One statement, so concurrent workers never both
 * take the last token.
 */
int	store_rate_take(struct store *, const char *bucket, int per_minute,
	    int burst, int64_t now_us, int *retry_after)
	    __attribute__((warn_unused_result));

/* One bucket for store_rate_take_all; bucket is borrowed. */
struct store_rate {
	const char	*bucket;
	int		 per_minute;
	int		 burst;
};

/*
 * store_rate_take for n buckets in order, in one write transaction (one
 * commit instead of n): a token is taken from each until one is empty,
 * and the buckets after an empty one are not touched, exactly as n calls
 * of store_rate_take would leave them.  Returns 1 all taken, 0 empty
 * (OUT: retry_after, for the empty bucket), -1 on a database error (any
 * change of this call is rolled back).
 */
int	store_rate_take_all(struct store *, const struct store_rate *b,
	    size_t n, int64_t now_us, int *retry_after)
	    __attribute__((warn_unused_result));

#endif /* STORE_H */
