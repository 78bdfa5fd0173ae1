/*
 * apikey.c -- API key format, hashing and the api_keys table.  See
 * apikey.h for the format and why a plain SHA-256 is the right hash.
 * The plaintext key is never stored, logged or kept after a call.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sqlite3.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "digest.h"
#include "bounds.h"
#include "log.h"
#include "store.h"

#define APIKEY_B62_REJECT	248	/* 4 * 62: bytes >= this are redrawn */
#define APIKEY_RAND_CHUNK	64	/* bytes per RAND_bytes call */
#define APIKEY_SECRET_OFF	(APIKEY_PREFIX_LEN + APIKEY_ID_LEN + 1)
#define APIKEY_CRC_OFF		(APIKEY_SECRET_OFF + APIKEY_SECRET_LEN)

static const char apikey_b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int
apikey_is_b62(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	    (c >= 'a' && c <= 'z');
}

int
apikey_is_apikey(const char *s, size_t len)
{
	return s != NULL && len >= APIKEY_PREFIX_LEN &&
	    memcmp(s, APIKEY_PREFIX, APIKEY_PREFIX_LEN) == 0;
}

uint32_t
apikey_checksum(const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	uint32_t		 c = 0xffffffffU;
	size_t			 i;
	int			 k;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1U)));
	}
	return c ^ 0xffffffffU;
}

/* Writes the checksum of key[0..APIKEY_CRC_OFF) as 6 base62 digits. */
static void
apikey_crc_b62(const char *key, char out[APIKEY_CRC_LEN])
{
	uint32_t	 v;
	int		 i;

	v = apikey_checksum(key, APIKEY_CRC_OFF);
	for (i = APIKEY_CRC_LEN - 1; i >= 0; i--) {
		out[i] = apikey_b62[v % 62];
		v /= 62;
	}
}

/* Fills out with n uniformly random base62 characters.  Returns 0 or -1. */
static int
apikey_random_b62(char *out, size_t n)
{
	unsigned char	 rnd[APIKEY_RAND_CHUNK];
	size_t		 got = 0, i = sizeof(rnd);
	int		 rc = -1;

	while (got < n) {
		if (i == sizeof(rnd)) {
			if (RAND_bytes(rnd, sizeof(rnd)) != 1)
				goto out;
			i = 0;
		}
		if (rnd[i] < APIKEY_B62_REJECT)
			out[got++] = apikey_b62[rnd[i] % 62];
		i++;
	}
	rc = 0;
out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return rc;
}

int
apikey_generate(char key[APIKEY_LEN + 1])
{
	memcpy(key, APIKEY_PREFIX, APIKEY_PREFIX_LEN);
	if (apikey_random_b62(key + APIKEY_PREFIX_LEN, APIKEY_ID_LEN) == -1)
		goto fail;
	key[APIKEY_SECRET_OFF - 1] = '_';
	if (apikey_random_b62(key + APIKEY_SECRET_OFF,
	    APIKEY_SECRET_LEN) == -1)
		goto fail;
	apikey_crc_b62(key, key + APIKEY_CRC_OFF);
	key[APIKEY_LEN] = '\0';
	return 0;
fail:
	OPENSSL_cleanse(key, APIKEY_LEN + 1);
	return -1;
}

int
apikey_parse(const char *key, size_t len, char id[APIKEY_ID_LEN + 1])
{
	char	 crc[APIKEY_CRC_LEN];
	size_t	 i;

	if (key == NULL || len != APIKEY_LEN ||
	    memcmp(key, APIKEY_PREFIX, APIKEY_PREFIX_LEN) != 0 ||
	    key[APIKEY_SECRET_OFF - 1] != '_')
		return -1;
	for (i = APIKEY_PREFIX_LEN; i < APIKEY_LEN; i++)
		if (i != APIKEY_SECRET_OFF - 1 &&
		    !apikey_is_b62((unsigned char)key[i]))
			return -1;
	/* The checksum is public (anyone can compute it): memcmp is fine. */
	apikey_crc_b62(key, crc);
	if (memcmp(crc, key + APIKEY_CRC_OFF, APIKEY_CRC_LEN) != 0)
		return -1;
	if (id != NULL) {
		memcpy(id, key + APIKEY_PREFIX_LEN, APIKEY_ID_LEN);
		id[APIKEY_ID_LEN] = '\0';
	}
	return 0;
}

int
apikey_hash(const char *key, size_t len, unsigned char hash[APIKEY_HASH_LEN])
{
	/* digest_sha256: no OpenSSL initialisation in a plain-CGI process. */
	return digest_sha256(key, len, hash);
}

/* 1..APIKEY_NAME_MAX bytes, no ASCII control characters. */
static int
apikey_name_ok(const char *name)
{
	size_t	 i, len;

	if (name == NULL || (len = strlen(name)) == 0 ||
	    len > APIKEY_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * RFC 6749 §3.3: scope = scope-token *( SP scope-token ),
 * scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).  Empty is allowed here
 * (a key with no scopes).
 */
static int
apikey_scopes_ok(const char *s)
{
	size_t	 i, len;
	int	 c, prev = ' ';

	if ((len = strlen(s)) > APIKEY_SCOPES_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == ' ') {
			if (prev == ' ')
				return 0;	/* leading or double space */
		} else if (c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e)
			return 0;
		prev = c;
	}
	return len == 0 || prev != ' ';
}

static void
apikey_copy_col(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char	*t;

	dst[0] = '\0';
	if ((t = sqlite3_column_text(st, col)) != NULL)
		snprintf(dst, dstsz, "%s", (const char *)t);
}

/* Columns: id, name, scopes, created_at, last_used, expires_at, revoked_at. */
static void
apikey_row(sqlite3_stmt *st, int first, struct apikey_info *info)
{
	apikey_copy_col(st, first, info->id, sizeof(info->id));
	apikey_copy_col(st, first + 1, info->name, sizeof(info->name));
	apikey_copy_col(st, first + 2, info->scopes, sizeof(info->scopes));
	info->created_at = (time_t)sqlite3_column_int64(st, first + 3);
	info->last_used = (time_t)sqlite3_column_int64(st, first + 4);
	info->expires_at = (time_t)sqlite3_column_int64(st, first + 5);
	info->revoked_at = (time_t)sqlite3_column_int64(st, first + 6);
}

int
apikey_store_create(struct sqlite3 *db, const char *name, const char *scopes,
    time_t now, time_t expires_at, char key[APIKEY_LEN + 1])
{
	static const char sql[] =
	    "INSERT INTO api_keys (id, key_hash, name, scopes, created_at, "
	    "expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt	*st = NULL;
	unsigned char	 hash[APIKEY_HASH_LEN];
	int		 rc = -1, try, src;

	key[0] = '\0';
	if (scopes == NULL)
		scopes = "";
	if (db == NULL || !apikey_name_ok(name) || !apikey_scopes_ok(scopes) ||
	    expires_at < 0) {
		log_warn("bad key name, scopes or expiry");
		return -1;
	}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("prepare: %s", sqlite3_errmsg(db));
		goto out;
	}
	for (try = 0; try < APIKEY_CREATE_TRIES; try++) {
		if (apikey_generate(key) == -1) {
			log_err("RAND_bytes failed");
			goto out;
		}
		if (apikey_hash(key, APIKEY_LEN, hash) == -1) {
			log_err("SHA-256 failed");
			goto out;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, key + APIKEY_PREFIX_LEN, APIKEY_ID_LEN,
		    SQLITE_TRANSIENT);
		sqlite3_bind_blob(st, 2, hash, sizeof(hash), SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, scopes, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
		if (expires_at == 0)
			sqlite3_bind_null(st, 6);
		else
			sqlite3_bind_int64(st, 6, (sqlite3_int64)expires_at);
		src = sqlite3_step(st);
		if (src == SQLITE_DONE) {
			rc = 0;
			goto out;
		}
		/* A 71-bit id collision is astronomically rare; retry. */
		if (src != SQLITE_CONSTRAINT) {
			log_err("insert: %s", sqlite3_errmsg(db));
			goto out;
		}
	}
	log_err("no free key id after %d tries", APIKEY_CREATE_TRIES);
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	if (rc == -1)
		OPENSSL_cleanse(key, APIKEY_LEN + 1);
	sqlite3_finalize(st);
	return rc;
}

int
apikey_store_list(struct sqlite3 *db,
    int (*cb)(const struct apikey_info *, void *), void *arg)
{
	static const char sql[] =
	    "SELECT id, name, scopes, created_at, last_used, expires_at, "
	    "revoked_at FROM api_keys ORDER BY created_at, id";
	sqlite3_stmt		*st = NULL;
	struct apikey_info	 info;
	int			 rc = -1, src;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("prepare: %s", sqlite3_errmsg(db));
		goto out;
	}
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&info, 0, sizeof(info));
		apikey_row(st, 0, &info);
		if ((rc = cb(&info, arg)) != 0)
			goto out;
	}
	if (src != SQLITE_DONE) {
		log_err("select: %s", sqlite3_errmsg(db));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int
apikey_store_revoke(struct sqlite3 *db, const char *id, time_t now)
{
	static const char sql[] =
	    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?2) "
	    "WHERE id = ?1";
	sqlite3_stmt	*st = NULL;
	int		 rc = -1;

	if (id == NULL)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		log_err("prepare: %s", sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_err("update: %s", sqlite3_errmsg(db));
		goto out;
	}
	rc = sqlite3_changes(db) > 0 ? 1 : 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * The request path's two statements.  On a store's connection they are
 * prepared once per process (store_stmt_get); the row itself is read
 * anew on every call, so a revocation counts from the next request.
 */
static const char apikey_sql_verify[] =
    "SELECT key_hash, id, name, scopes, created_at, last_used, "
    "expires_at, revoked_at FROM api_keys WHERE id = ?1";
static const char apikey_sql_touch[] =
    "UPDATE api_keys SET last_used = ?2 WHERE id = ?1 AND "
    "(last_used IS NULL OR last_used <= ?2 - ?3)";

/* Sets last_used = now unless another process already did this minute. */
static void
apikey_touch(struct sqlite3 *db, const char *id, time_t now)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt_get(db, apikey_sql_touch)) == NULL) {
		log_warn("prepare: %s", sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int(st, 3, APIKEY_TOUCH_SECS);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("last_used not updated: %s", sqlite3_errmsg(db));
	store_stmt_put(db, st);
}

enum authres
apikey_store_verify(struct sqlite3 *db, const char *key, size_t len,
    time_t now, struct apikey_info *info)
{
	struct apikey_info	 row;
	sqlite3_stmt		*st = NULL;
	const void		*stored;
	unsigned char		 hash[APIKEY_HASH_LEN];
	char			 id[APIKEY_ID_LEN + 1];
	enum authres		 res = AUTH_INVALID;
	int			 src, match;

	memset(&row, 0, sizeof(row));
	if (info != NULL)
		memset(info, 0, sizeof(*info));
	if (key == NULL || len == 0)
		return AUTH_MISSING;
	if (len > BOUNDS_TOKEN_LEN || apikey_parse(key, len, id) == -1)
		return AUTH_INVALID;
	if (info != NULL)
		memcpy(info->id, id, sizeof(info->id));
	if (apikey_hash(key, len, hash) == -1)
		return AUTH_ERROR;

	if ((st = store_stmt_get(db, apikey_sql_verify)) == NULL) {
		log_err("prepare: %s", sqlite3_errmsg(db));
		res = AUTH_ERROR;
		goto out;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if ((src = sqlite3_step(st)) == SQLITE_DONE)
		goto out;		/* unknown id: AUTH_INVALID */
	if (src != SQLITE_ROW) {
		log_err("select: %s", sqlite3_errmsg(db));
		res = AUTH_ERROR;
		goto out;
	}
	stored = sqlite3_column_blob(st, 0);
	if (stored == NULL || sqlite3_column_bytes(st, 0) != APIKEY_HASH_LEN)
		goto out;
	/* The id is public; only the digest compare must be constant-time. */
	match = CRYPTO_memcmp(stored, hash, APIKEY_HASH_LEN) == 0;
	if (!match)
		goto out;
	apikey_row(st, 1, &row);
	/* Ends the read before the touch below writes. */
	store_stmt_put(db, st);
	st = NULL;

	if (row.revoked_at != 0)
		res = AUTH_REVOKED;
	else if (row.expires_at != 0 && now >= row.expires_at)
		res = AUTH_EXPIRED;
	else {
		res = AUTH_OK;
		if (row.last_used == 0 ||
		    row.last_used <= now - APIKEY_TOUCH_SECS) {
			apikey_touch(db, id, now);
			row.last_used = now;
		}
	}
	if (info != NULL)
		*info = row;
out:
	OPENSSL_cleanse(hash, sizeof(hash));
	store_stmt_put(db, st);
	return res;
}
