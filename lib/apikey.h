/*
 * apikey.h -- mcpgate API keys: the key format, hashing, and the api_keys
 * table of the state database (sql/002_state_api_keys.sql).
 *
 * Format (research/auth-and-deploy.md §6), 56 characters:
 *
 *	mcpk_<id: 12 base62>_<secret: 32 base62><checksum: 6 base62>
 *
 * The checksum is the CRC-32 (IEEE 802.3, as zlib and GitHub tokens) of the
 * 50 characters before it, written as 6 base62 digits, most significant
 * first, alphabet 0-9A-Za-z.  It lets typos and look-alikes be rejected
 * without a database look-up; it is not a security control.
 *
 * Only the id and SHA-256(whole key string) are stored.  A fast unsalted
 * hash is enough because the secret carries ~190 bits from RAND_bytes, so
 * an offline guess is hopeless; a slow password hash would cost every
 * request.  Digests are compared with CRYPTO_memcmp.
 *
 * Knows nothing about HTTP or JWT.  Works on a caller-owned sqlite3 handle
 * that already has the migration applied.  On the state store's own
 * connection (store_db) the request path's statements are prepared once
 * per process and kept by the store (store_stmt_get); on any other handle
 * they are prepared per call.  No key, row or verdict is ever cached:
 * every verify reads the table.
 */
#ifndef APIKEY_H
#define APIKEY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "authres.h"

struct sqlite3;

#define APIKEY_PREFIX		"mcpk_"	/* greppable; also the dispatch test */
#define APIKEY_PREFIX_LEN	5
#define APIKEY_ID_LEN		12
#define APIKEY_SECRET_LEN	32
#define APIKEY_CRC_LEN		6
#define APIKEY_LEN		(APIKEY_PREFIX_LEN + APIKEY_ID_LEN + 1 + \
				    APIKEY_SECRET_LEN + APIKEY_CRC_LEN)	/* 56 */
#define APIKEY_HASH_LEN		32	/* SHA-256 */
#define APIKEY_NAME_MAX		128	/* bytes of a key's label */
#define APIKEY_SCOPES_MAX	1024	/* bytes of its scope list */
#define APIKEY_TOUCH_SECS	60	/* seconds between last_used writes */
#define APIKEY_CREATE_TRIES	4	/* new ids tried if one collides */

/* One row of api_keys, as list and verify report it.  Fixed-size: no free. */
struct apikey_info {
	char	 id[APIKEY_ID_LEN + 1];
	char	 name[APIKEY_NAME_MAX + 1];
	char	 scopes[APIKEY_SCOPES_MAX + 1];	/* space-delimited, may be "" */
	time_t	 created_at;
	time_t	 last_used;	/* 0: never */
	time_t	 expires_at;	/* 0: never */
	time_t	 revoked_at;	/* 0: not revoked */
};

/*
 * Returns 1 if the len bytes at s start with APIKEY_PREFIX (so the request
 * path sends them to apikey_store_verify rather than the JWT verifier),
 * else 0.  Looks at nothing else.
 */
int		 apikey_is_apikey(const char *s, size_t len);

/* CRC-32 (IEEE 802.3, reflected, xor 0xffffffff in and out) of buf. */
uint32_t	 apikey_checksum(const void *buf, size_t len);

/*
 * Generates a fresh key from RAND_bytes (rejection sampling: no modulo
 * bias).  OUT: key, APIKEY_LEN characters and a NUL.  The caller wipes it
 * (OPENSSL_cleanse) when done.  Returns 0, or -1 if the CSPRNG failed.
 */
int		 apikey_generate(char key[APIKEY_LEN + 1])
		    __attribute__((warn_unused_result));

/*
 * Checks the structure and the checksum of the len bytes at key (no
 * database).  OUT: id, the public id and a NUL (only on success; may be
 * NULL).  Returns 0 if well-formed, -1 otherwise.
 */
int		 apikey_parse(const char *key, size_t len,
		    char id[APIKEY_ID_LEN + 1])
		    __attribute__((warn_unused_result));

/* OUT: hash, SHA-256 of the len bytes at key.  Returns 0 or -1. */
int		 apikey_hash(const char *key, size_t len,
		    unsigned char hash[APIKEY_HASH_LEN])
		    __attribute__((warn_unused_result));

/*
 * Creates a key named name (1..APIKEY_NAME_MAX bytes, no control
 * characters) with scopes (space-delimited RFC 6749 scope tokens, may be
 * "" or NULL) that expires at expires_at (0: never), created at now.
 * OUT: key, the full key, to be shown once and then wiped by the caller;
 * it is not stored anywhere.  name and scopes are borrowed.  Returns 0, or
 * -1 on bad arguments, CSPRNG failure or a database error (logged).
 */
int		 apikey_store_create(struct sqlite3 *db, const char *name,
		    const char *scopes, time_t now, time_t expires_at,
		    char key[APIKEY_LEN + 1])
		    __attribute__((warn_unused_result));

/*
 * Calls cb once per key, oldest first (revoked ones included), with a
 * borrowed row valid only during the call.  A non-zero return from cb
 * stops the walk and is returned.  Returns 0 when all rows were seen, the
 * callback's value, or -1 on a database error.
 */
int		 apikey_store_list(struct sqlite3 *db,
		    int (*cb)(const struct apikey_info *, void *), void *arg)
		    __attribute__((warn_unused_result));

/*
 * Revokes key id at time now.  Idempotent: a revoked key keeps its first
 * revocation time.  Returns 1 if the key exists (now revoked), 0 if there
 * is no such id, -1 on a database error.
 */
int		 apikey_store_revoke(struct sqlite3 *db, const char *id,
		    time_t now)
		    __attribute__((warn_unused_result));

/*
 * Verifies the len bytes at key (never NUL-terminated by contract, never
 * logged) against the table at time now.  Order: empty -> AUTH_MISSING;
 * longer than BOUNDS_TOKEN_LEN, bad structure or checksum -> AUTH_INVALID
 * without touching the database; unknown id or digest mismatch ->
 * AUTH_INVALID; then revoked -> AUTH_REVOKED; now >= expires_at ->
 * AUTH_EXPIRED; else AUTH_OK.  Revocation and expiry are only reported for
 * a genuine key.  A database error gives AUTH_ERROR (logged).
 *
 * On AUTH_OK, last_used is set to now if it is older than APIKEY_TOUCH_SECS
 * (one conditional UPDATE at most once a minute per key, to spare the
 * write lock and the WAL); a failure of that write is logged, not fatal.
 *
 * OUT: info (may be NULL), filled with the row on OK, REVOKED and EXPIRED;
 * otherwise zeroed, except that id is set whenever the key parsed.
 */
enum authres	 apikey_store_verify(struct sqlite3 *db, const char *key,
		    size_t len, time_t now, struct apikey_info *info)
		    __attribute__((warn_unused_result));

#endif /* APIKEY_H */
