/*
 * store.c -- the SQLite state store.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "digest.h"
#include "log.h"
#include "migrate.h"
#include "sqlbusy.h"
#include "store.h"

#define STORE_BUSY_MS	5000

enum store_stmt {
	ST_SESS_INSERT,
	ST_SESS_GET,
	ST_SESS_TOUCH,
	ST_SESS_DELETE,
	ST_SESS_PRUNE,
	ST_RATE_TAKE,
	ST_RATE_PEEK,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST__MAX
};

static const char *const store_sql[ST__MAX] = {
	"INSERT INTO sessions (id_hash, principal, protocol_version, "
	    "client_name, created_at, last_seen, expires_at) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
	"SELECT principal, protocol_version, last_seen, expires_at "
	    "FROM sessions WHERE id_hash = ?1",
	"UPDATE sessions SET last_seen = ?2, expires_at = ?3 "
	    "WHERE id_hash = ?1",
	"DELETE FROM sessions WHERE id_hash = ?1",
	"DELETE FROM sessions WHERE expires_at < ?1",
	/* ?2 burst, ?3 now, ?4 tokens per microsecond */
	"INSERT INTO rate_buckets (bucket, tokens, updated_us) "
	    "VALUES (?1, ?2 - 1, ?3) ON CONFLICT(bucket) DO UPDATE SET "
	    "tokens = min(?2, tokens + max(0, ?3 - updated_us) * ?4) - 1, "
	    "updated_us = max(updated_us, ?3) "
	    "WHERE min(?2, tokens + max(0, ?3 - updated_us) * ?4) >= 1",
	"SELECT min(?2, tokens + max(0, ?3 - updated_us) * ?4) "
	    "FROM rate_buckets WHERE bucket = ?1",
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
};

/*
 * Statements of other modules on this connection (store_stmt_get): apikey
 * and auth run a few fixed queries on every request; prepared once here,
 * they cost a bind and a step instead of a parse and a code generation.
 */
#define STORE_EXTRA_MAX	16

struct store_extra {
	const char	*sql;		/* the caller's constant: the key */
	sqlite3_stmt	*st;
};

struct store {
	sqlite3		*db;
	sqlite3_stmt	*st[ST__MAX];
	struct store_extra extra[STORE_EXTRA_MAX];
	size_t		 nextra;
	struct store	*next;		/* in store_live */
};

/*
 * The stores open in this process (one per worker, a few in tests), so
 * that store_stmt_get can tell a store's connection from any other: only
 * a store knows when its connection closes, so only a store may keep
 * statements on it.
 */
static struct store	*store_live;

struct sqlite3 *
store_db(struct store *s)
{
	return s->db;
}

void
store_close(struct store *s)
{
	struct store	**pp;
	size_t		 i;

	if (s == NULL)
		return;
	for (pp = &store_live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	for (i = 0; i < ST__MAX; i++)
		sqlite3_finalize(s->st[i]);
	for (i = 0; i < s->nextra; i++)
		sqlite3_finalize(s->extra[i].st);
	sqlite3_close(s->db);
	free(s);
}

/* The live store whose connection db is, or NULL. */
static struct store *
store_of(sqlite3 *db)
{
	struct store	*s;

	for (s = store_live; s != NULL; s = s->next)
		if (s->db == db)
			return s;
	return NULL;
}

sqlite3_stmt *
store_stmt_get(sqlite3 *db, const char *sql)
{
	struct store	*s;
	sqlite3_stmt	*st = NULL;
	size_t		 i;

	if (db == NULL || sql == NULL)
		return NULL;
	if ((s = store_of(db)) != NULL) {
		for (i = 0; i < s->nextra; i++)
			if (s->extra[i].sql == sql) {
				/* In use further up the stack: a fresh one. */
				if (sqlite3_stmt_busy(s->extra[i].st))
					goto fresh;
				return s->extra[i].st;
			}
		if (s->nextra < STORE_EXTRA_MAX) {
			if (sqlite3_prepare_v3(db, sql, -1,
			    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
				sqlite3_finalize(st);
				return NULL;
			}
			s->extra[s->nextra].sql = sql;
			s->extra[s->nextra].st = st;
			s->nextra++;
			return st;
		}
	}
fresh:
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

void
store_stmt_put(sqlite3 *db, sqlite3_stmt *st)
{
	struct store	*s;
	size_t		 i;

	if (st == NULL)
		return;
	if ((s = store_of(db)) != NULL)
		for (i = 0; i < s->nextra; i++)
			if (s->extra[i].st == st) {
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return;
			}
	sqlite3_finalize(st);
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store	*s;
	size_t		 i;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open state database %s: %s",
		    path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlbusy_set(s->db, STORE_BUSY_MS);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (migrate_wal(s->db) == -1 ||
	    sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL; "
	    "PRAGMA foreign_keys=ON", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "state database %s: %s", path,
		    sqlite3_errmsg(s->db));
		goto fail;
	}
	if (migrate_apply(s->db, "state", err, errlen) == -1)
		goto fail;
	for (i = 0; i < ST__MAX; i++)
		if (sqlite3_prepare_v3(s->db, store_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &s->st[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "state database: %s",
			    sqlite3_errmsg(s->db));
			goto fail;
		}
	s->next = store_live;
	store_live = s;
	return s;
fail:
	store_close(s);
	return NULL;
}

static sqlite3_stmt *
store_stmt(struct store *s, enum store_stmt which)
{
	sqlite3_stmt	*st = s->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

int
store_session_create(struct store *s, const char *sid, const char *principal,
    const char *protocol_version, const char *client_name, time_t now,
    time_t ttl)
{
	char		 h[DIGEST_HEX_LEN + 1];
	sqlite3_stmt	*st;
	int		 rc;

	st = store_stmt(s, ST_SESS_PRUNE);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_warn("pruning sessions: %s", sqlite3_errmsg(s->db));
	sqlite3_reset(st);

	digest_sha256_hex(sid, strlen(sid), h);
	st = store_stmt(s, ST_SESS_INSERT);
	sqlite3_bind_text(st, 1, h, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, principal, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, protocol_version, -1, SQLITE_TRANSIENT);
	if (client_name != NULL)
		sqlite3_bind_text(st, 4, client_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)(now + ttl));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("creating session: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
store_session_get(struct store *s, const char *sid, time_t now, time_t ttl,
    struct store_session *out)
{
	char		 h[DIGEST_HEX_LEN + 1];
	sqlite3_stmt	*st;
	int		 rc;
	time_t		 last;
	const unsigned char *p, *v;

	digest_sha256_hex(sid, strlen(sid), h);
	st = store_stmt(s, ST_SESS_GET);
	sqlite3_bind_text(st, 1, h, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		log_err("reading session: %s", sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		return -1;
	}
	p = sqlite3_column_text(st, 0);
	v = sqlite3_column_text(st, 1);
	snprintf(out->principal, sizeof(out->principal), "%s",
	    p ? (const char *)p : "");
	snprintf(out->protocol_version, sizeof(out->protocol_version), "%s",
	    v ? (const char *)v : "");
	last = (time_t)sqlite3_column_int64(st, 2);
	out->expires_at = (time_t)sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	if (out->expires_at < now)
		return 0;
	if (now - last >= 60) {
		st = store_stmt(s, ST_SESS_TOUCH);
		sqlite3_bind_text(st, 1, h, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(now + ttl));
		if (sqlite3_step(st) != SQLITE_DONE)
			log_warn("touching session: %s",
			    sqlite3_errmsg(s->db));
		sqlite3_reset(st);
		out->expires_at = now + ttl;
	}
	return 1;
}

/* One bucket, in the caller's transaction or in its own. */
static int
store_rate_one(struct store *s, const struct store_rate *b, int64_t now_us,
    int *retry_after)
{
	sqlite3_stmt	*st;
	double		 per_us = (double)b->per_minute / 60e6, have = 0;
	int		 rc;

	*retry_after = 0;
	st = store_stmt(s, ST_RATE_TAKE);
	sqlite3_bind_text(st, 1, b->bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, b->burst);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now_us);
	sqlite3_bind_double(st, 4, per_us);
	/*
	 * No RETURNING (it runs as a trigger program, dearer than the
	 * upsert itself): a row changed is a token taken, since the update
	 * is skipped exactly when the bucket has less than one.
	 */
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("rate limit: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (sqlite3_changes(s->db) > 0)
		return 1;
	/* The bucket is empty: when will the next token be there? */
	st = store_stmt(s, ST_RATE_PEEK);
	sqlite3_bind_text(st, 1, b->bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, b->burst);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now_us);
	sqlite3_bind_double(st, 4, per_us);
	if (sqlite3_step(st) == SQLITE_ROW)
		have = sqlite3_column_double(st, 0);
	sqlite3_reset(st);
	/* Whole seconds, rounded up, never 0. */
	*retry_after = (int)ceil((1.0 - have) / per_us / 1e6);
	if (*retry_after < 1)
		*retry_after = 1;
	return 0;
}

int
store_rate_take(struct store *s, const char *bucket, int per_minute,
    int burst, int64_t now_us, int *retry_after)
{
	struct store_rate b;

	b.bucket = bucket;
	b.per_minute = per_minute;
	b.burst = burst;
	return store_rate_one(s, &b, now_us, retry_after);
}

/* Runs one of ST_BEGIN, ST_COMMIT, ST_ROLLBACK.  Returns 0 or -1. */
static int
store_txn(struct store *s, enum store_stmt which)
{
	sqlite3_stmt	*st = store_stmt(s, which);
	int		 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_rate_take_all(struct store *s, const struct store_rate *b, size_t n,
    int64_t now_us, int *retry_after)
{
	size_t	 i;
	int	 rc = 1, own;

	*retry_after = 0;
	if (n == 0)
		return 1;
	if (n == 1)
		return store_rate_one(s, b, now_us, retry_after);
	/* Already in a transaction (never on the request path): join it. */
	own = sqlite3_get_autocommit(s->db);
	if (own && store_txn(s, ST_BEGIN) == -1) {
		log_err("rate limit: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	for (i = 0; i < n && rc == 1; i++)
		rc = store_rate_one(s, &b[i], now_us, retry_after);
	if (!own)
		return rc;
	if (rc != -1 && store_txn(s, ST_COMMIT) == 0)
		return rc;
	if (rc != -1)
		log_err("rate limit: commit: %s", sqlite3_errmsg(s->db));
	if (!sqlite3_get_autocommit(s->db))
		(void)store_txn(s, ST_ROLLBACK);
	return -1;
}

int
store_session_delete(struct store *s, const char *sid)
{
	char		 h[DIGEST_HEX_LEN + 1];
	sqlite3_stmt	*st;
	int		 rc;

	digest_sha256_hex(sid, strlen(sid), h);
	st = store_stmt(s, ST_SESS_DELETE);
	sqlite3_bind_text(st, 1, h, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("deleting session: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return sqlite3_changes(s->db) > 0 ? 1 : 0;
}
