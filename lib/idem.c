/*
 * idem.c -- idempotency records in the tool's database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "idem.h"
#include "log.h"

#define IDEM_PRUNE_BATCH	32	/* expired records removed per lookup */

int
idem_prepare(sqlite3 *db)
{
	if (sqlite3_exec(db,
	    "CREATE TABLE IF NOT EXISTS mcpgate_idempotency ("
	    " key TEXT PRIMARY KEY,"		/* scoped key hash */
	    " fingerprint TEXT NOT NULL,"	/* canonical arguments */
	    " result TEXT NOT NULL,"		/* the first result */
	    " created_at INTEGER NOT NULL,"
	    " expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	    "CREATE INDEX IF NOT EXISTS mcpgate_idempotency_expires"
	    " ON mcpgate_idempotency(expires_at)", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_err("idempotency table: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static const char *const idem_sql[IDEM_ST__MAX] = {
	/* Expired records go a few at a time: no daemon needed. */
	"DELETE FROM mcpgate_idempotency WHERE key IN (SELECT key FROM "
	    "mcpgate_idempotency WHERE expires_at < ?1 LIMIT ?2)",
	"SELECT fingerprint, result FROM mcpgate_idempotency WHERE key = ?1 "
	    "AND expires_at >= ?2",
	/*
	 * The key's own expired record may still be there (idem_lookup
	 * prunes only a batch, oldest first): replace it.  A live one is
	 * never overwritten (no change: -1).
	 */
	"INSERT INTO mcpgate_idempotency (key, fingerprint, result, "
	    "created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) "
	    "ON CONFLICT(key) DO UPDATE SET fingerprint = excluded.fingerprint, "
	    "result = excluded.result, created_at = excluded.created_at, "
	    "expires_at = excluded.expires_at "
	    "WHERE mcpgate_idempotency.expires_at < excluded.created_at"
};

void
idem_cache_clear(struct idem_cache *c)
{
	size_t	 i;

	for (i = 0; c != NULL && i < IDEM_ST__MAX; i++) {
		sqlite3_finalize(c->st[i]);
		c->st[i] = NULL;
	}
}

/* The statement which, kept in c (prepared now if need be), or a new one. */
static sqlite3_stmt *
idem_stmt(sqlite3 *db, struct idem_cache *c, enum idem_st which)
{
	sqlite3_stmt	*st = NULL;

	if (c != NULL && c->st[which] != NULL)
		return c->st[which];
	if (sqlite3_prepare_v3(db, idem_sql[which], -1, c != NULL ?
	    SQLITE_PREPARE_PERSISTENT : 0, &st, NULL) != SQLITE_OK)
		return NULL;
	if (c != NULL)
		c->st[which] = st;
	return st;
}

/* Done with a statement from idem_stmt: kept ones are reset, others go. */
static void
idem_done(struct idem_cache *c, sqlite3_stmt *st)
{
	if (st == NULL)
		return;
	if (c != NULL) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	} else
		sqlite3_finalize(st);
}

enum idem_status
idem_lookup(sqlite3 *db, struct idem_cache *c, const char *key,
    const char *fp, time_t now, json_t **result)
{
	sqlite3_stmt	*st = NULL;
	enum idem_status rc = IDEM_ERROR;
	json_error_t	 jerr;
	int		 step;

	*result = NULL;
	if ((st = idem_stmt(db, c, IDEM_ST_PRUNE)) == NULL)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int(st, 2, IDEM_PRUNE_BATCH);
	step = sqlite3_step(st);
	idem_done(c, st);
	st = NULL;
	if (step != SQLITE_DONE)
		goto out;

	if ((st = idem_stmt(db, c, IDEM_ST_GET)) == NULL)
		goto out;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		rc = IDEM_NEW;
		break;
	case SQLITE_ROW:
		if (strcmp((const char *)sqlite3_column_text(st, 0), fp) != 0) {
			rc = IDEM_CONFLICT;
			break;
		}
		*result = json_loads((const char *)sqlite3_column_text(st, 1),
		    0, &jerr);
		rc = *result != NULL ? IDEM_REPLAY : IDEM_ERROR;
		break;
	default:
		break;
	}
out:
	if (rc == IDEM_ERROR)
		log_err("idempotency lookup: %s", sqlite3_errmsg(db));
	idem_done(c, st);
	return rc;
}

int
idem_store(sqlite3 *db, struct idem_cache *c, const char *key,
    const char *fp, json_t *result, time_t now, time_t ttl)
{
	sqlite3_stmt	*st;
	char		*s;
	int		 rc = -1;

	if ((s = json_dumps(result, JSON_COMPACT)) == NULL)
		return -1;
	if ((st = idem_stmt(db, c, IDEM_ST_PUT)) != NULL) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, fp, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, s, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 5, (sqlite3_int64)(now + ttl));
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = sqlite3_changes(db) == 1 ? 0 : -2;
	}
	if (rc == -2) {
		log_err("idempotency store: a live record has this key");
		rc = -1;
	} else if (rc == -1)
		log_err("idempotency store: %s", sqlite3_errmsg(db));
	idem_done(c, st);
	free(s);
	return rc;
}

int
idem_scope(const char *principal, const char *tool, const char *client_key,
    char out[DIGEST_HEX_LEN + 1])
{
	char	*buf;
	size_t	 a = strlen(principal), b = strlen(tool), c = strlen(client_key);

	/* NUL separators: no two (principal, tool, key) triples collide. */
	if ((buf = malloc(a + b + c + 3)) == NULL)
		return -1;
	memcpy(buf, principal, a + 1);
	memcpy(buf + a + 1, tool, b + 1);
	memcpy(buf + a + b + 2, client_key, c + 1);
	digest_sha256_hex(buf, a + b + c + 3, out);
	free(buf);
	return 0;
}

int
idem_fingerprint(json_t *args, char out[DIGEST_HEX_LEN + 1])
{
	json_t	*copy = NULL;
	char	*s;

	/* The key is not part of the arguments' meaning: leave it out. */
	if (json_is_object(args) &&
	    json_object_get(args, "idempotency_key") != NULL) {
		if ((copy = json_copy(args)) == NULL)
			return -1;
		json_object_del(copy, "idempotency_key");
		args = copy;
	}
	s = json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (s == NULL)
		return -1;
	digest_sha256_hex(s, strlen(s), out);
	free(s);
	return 0;
}
