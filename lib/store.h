/*
 * store.h -- the state database: everything that several worker processes
 * (or one CGI process per request) must share.  One interface, SQLite
 * behind it (WAL, busy timeout, statements prepared once per process), so
 * another backend can be added without touching callers.
 */
#ifndef STORE_H
#define STORE_H

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

#endif /* STORE_H */
