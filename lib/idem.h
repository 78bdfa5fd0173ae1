/*
 * idem.h -- idempotency records for write tools, kept in the tool's own
 * SQLite database so that a write and its record commit in one
 * transaction (SQLite is atomic per database file, not across attached
 * files).  The caller holds the write transaction (BEGIN IMMEDIATE): that
 * lock is the claim, so two duplicates can never both execute, and a
 * worker killed mid-write leaves no claim behind -- its transaction, the
 * write and the record with it, simply never happened.
 */
#ifndef IDEM_H
#define IDEM_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "digest.h"

struct sqlite3;
struct sqlite3_stmt;

/*
 * The record statements of one database, prepared on first use and kept
 * (the caller's, per connection); finalize them with idem_cache_clear
 * before the connection closes.  A NULL cache prepares them per call.
 */
enum idem_st {
	IDEM_ST_PRUNE,
	IDEM_ST_GET,
	IDEM_ST_PUT,
	IDEM_ST__MAX
};

struct idem_cache {
	struct sqlite3_stmt *st[IDEM_ST__MAX];
};

void	idem_cache_clear(struct idem_cache *);

/* Length of a client-supplied key (header or argument). */
#define IDEM_KEY_LEN_MAX	255

enum idem_status {
	IDEM_NEW,		/* no record: execute, then idem_store */
	IDEM_REPLAY,		/* same key, same arguments: *result set */
	IDEM_CONFLICT,		/* same key, other arguments */
	IDEM_ERROR		/* database error */
};

/*
 * Creates the record table in db if needed (CREATE TABLE IF NOT EXISTS
 * mcpgate_idempotency).  Returns 0 or -1.
 */
int	idem_prepare(struct sqlite3 *db) __attribute__((warn_unused_result));

/*
 * Looks key up inside the caller's write transaction; prunes a few expired
 * records first.  key is the scoped key hash (principal, tool and the
 * client's key); fp the fingerprint of the canonical arguments.
 * OUT: result, a new reference to the stored result on IDEM_REPLAY.
 */
enum idem_status idem_lookup(struct sqlite3 *db, struct idem_cache *,
		    const char *key,
		    const char *fp, time_t now, json_t **result);

/*
 * Stores the result (borrowed) for key, expiring at now + ttl; an expired
 * record of the same key is replaced.  Returns 0, or -1 on a database
 * error or when a live record has this key.
 */
int	idem_store(struct sqlite3 *db, struct idem_cache *, const char *key,
	    const char *fp,
	    json_t *result, time_t now, time_t ttl)
	    __attribute__((warn_unused_result));

/*
 * The scoped key: hex SHA-256 of principal, tool and client key, so one
 * principal can never reach another's records.  Returns 0, or -1 when
 * memory ran out (out is then unusable: never fall back to a shared key).
 */
int	idem_scope(const char *principal, const char *tool,
	    const char *client_key, char out[DIGEST_HEX_LEN + 1])
	    __attribute__((warn_unused_result));

/*
 * Fingerprint (hex SHA-256) of the canonical form of args: compact JSON
 * with sorted keys, without the "idempotency_key" member.  Returns 0 or
 * -1 (OOM).
 */
int	idem_fingerprint(json_t *args, char out[DIGEST_HEX_LEN + 1])
	    __attribute__((warn_unused_result));

#endif /* IDEM_H */
