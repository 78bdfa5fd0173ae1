/*
 * db.c -- opens an audit database for reading and nothing else.
 *
 * The connection is SQLITE_OPEN_READONLY with DEFENSIVE on, untrusted
 * schema and query_only, so neither the analyzer nor a hostile schema
 * (views, triggers) in a copied file can change it.  A run reads inside
 * one read transaction: every query sees the same snapshot of a log the
 * server keeps appending to.  Knows nothing of reports or formats.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"

#define DB_BUSY_MS		5000
#define DB_STDIN_MAX		((sqlite3_int64)1 << 36)	/* 64 GiB */

struct audit_db {
	sqlite3		*db;
	char		*path;
	int		 version;
	int		 in_txn;
};

static void db_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
db_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Reads all of stdin into an sqlite3_malloc'd buffer for deserialize. */
static int
db_read_stdin(unsigned char **out, sqlite3_int64 *outlen, char *err,
    size_t errlen)
{
	unsigned char	*buf = NULL, *nbuf;
	sqlite3_int64	 cap = 0, len = 0;
	ssize_t		 r;

	if (isatty(STDIN_FILENO)) {
		db_err(err, errlen, "refusing to read an audit database from "
		    "a terminal (\"-\" means: the database image on standard "
		    "input)");
		return -1;
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 1 << 20 : cap * 2;
			if (cap > DB_STDIN_MAX) {
				db_err(err, errlen, "the database on standard "
				    "input is too large; give its path");
				goto fail;
			}
			if ((nbuf = sqlite3_realloc64(buf, (sqlite3_uint64)
			    cap)) == NULL) {
				db_err(err, errlen, "out of memory reading "
				    "standard input");
				goto fail;
			}
			buf = nbuf;
		}
		r = read(STDIN_FILENO, buf + len, (size_t)(cap - len));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			db_err(err, errlen, "reading standard input: %s",
			    strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		len += r;
	}
	*out = buf;
	*outlen = len;
	return 0;
fail:
	sqlite3_free(buf);
	return -1;
}

/* Escapes path for a file: URI (RFC 3986 percent-encoding). */
static char *
db_uri(const char *path)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t	 n = strlen(path), i, o = 0;
	char	*u;

	if ((u = malloc(n * 3 + 32)) == NULL)
		return NULL;
	o = (size_t)sprintf(u, "file:");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("/-._~", c) != NULL)
			u[o++] = (char)c;
		else {
			u[o++] = '%';
			u[o++] = hexd[c >> 4];
			u[o++] = hexd[c & 0xf];
		}
	}
	strcpy(u + o, "?immutable=1");
	return u;
}

static int
db_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Opens path, or with path "-" the image img (imglen bytes,
 * sqlite3_malloc'd, always taken).
 */
static int
db_open(const char *path, int flags, unsigned char *img,
    sqlite3_int64 imglen, struct audit_db **out, char *err, size_t errlen)
{
	struct audit_db	*a;
	char		*uri = NULL;
	int64_t		 v, has;
	int		 rc;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->path = strdup(path)) == NULL) {
		free(a);
		sqlite3_free(img);
		db_err(err, errlen, "out of memory");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		/*
		 * A WAL database's header says so (bytes 18 and 19 are 2); an
		 * in-memory image has no WAL, so mark it a rollback-journal
		 * file (1), as the SQLite file format allows.  Rows still in
		 * a -wal file are not in the image: checkpoint first.
		 */
		if (imglen >= 100 && img[18] == 2 && img[19] == 2)
			img[18] = img[19] = 1;
		rc = sqlite3_open_v2(":memory:", &a->db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_deserialize(a->db, "main", img, imglen,
			    imglen, SQLITE_DESERIALIZE_READONLY |
			    SQLITE_DESERIALIZE_FREEONCLOSE);
		else
			sqlite3_free(img);
		img = NULL;	/* taken by deserialize, even on failure */
	} else if (flags & AUDIT_DB_IMMUTABLE) {
		if ((uri = db_uri(path)) == NULL) {
			db_err(err, errlen, "out of memory");
			goto fail;
		}
		rc = sqlite3_open_v2(uri, &a->db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
		free(uri);
	} else
		rc = sqlite3_open_v2(path, &a->db, SQLITE_OPEN_READONLY |
		    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		db_err(err, errlen, "cannot open audit database %s: %s", path,
		    a->db != NULL ? sqlite3_errmsg(a->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(a->db, DB_BUSY_MS);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	/*
	 * No memory map: every mapped page the scan touches counts in the
	 * process's RSS (2 GiB at 10 M rows).  The big sequential reads go
	 * through audit/rowscan.c, a page at a time.
	 */
	sqlite3_exec(a->db, "PRAGMA mmap_size = 0", NULL, NULL, NULL);
	if (sqlite3_exec(a->db, "PRAGMA query_only = 1", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_err(err, errlen, "audit database %s: %s", path,
		    sqlite3_errmsg(a->db));
		goto fail;
	}
	if (db_int(a->db, "PRAGMA user_version", &v) == -1) {
		db_err(err, errlen, "cannot read audit database %s: %s", path,
		    sqlite3_errmsg(a->db));
		goto fail;
	}
	if (db_int(a->db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'table' AND name = 'audit_events'", &has) == -1) {
		db_err(err, errlen, "cannot read audit database %s: %s", path,
		    sqlite3_errmsg(a->db));
		goto fail;
	}
	if (!has) {
		db_err(err, errlen, "%s is not an mcpgate audit database (it "
		    "has no audit_events table)", path);
		goto fail;
	}
	if (v < AUDIT_DB_VERSION_MIN || v > AUDIT_DB_VERSION_MAX) {
		db_err(err, errlen, "audit database %s has schema version "
		    "%lld; this mcpgate-audit reads versions %d to %d%s", path,
		    (long long)v, AUDIT_DB_VERSION_MIN, AUDIT_DB_VERSION_MAX,
		    v > AUDIT_DB_VERSION_MAX ? ": upgrade mcpgate-audit" :
		    ": let mcpgate migrate it first");
		goto fail;
	}
	a->version = (int)v;
	*out = a;
	return 0;
fail:
	sqlite3_free(img);
	audit_db_close(a);
	return -1;
}

int
audit_db_open(const char *path, int flags, struct audit_db **out, char *err,
    size_t errlen)
{
	unsigned char	*img = NULL;
	sqlite3_int64	 imglen = 0;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		db_err(err, errlen, "no audit database given (--db FILE)");
		return -1;
	}
	if (strcmp(path, "-") == 0 && db_read_stdin(&img, &imglen, err,
	    errlen) == -1)
		return -1;
	return db_open(path, flags, img, imglen, out, err, errlen);
}

int
audit_db_open_image(const void *img, size_t len, struct audit_db **out,
    char *err, size_t errlen)
{
	unsigned char	*copy;

	*out = NULL;
	if (len > (size_t)DB_STDIN_MAX || (copy = sqlite3_malloc64(len > 0 ?
	    len : 1)) == NULL) {
		db_err(err, errlen, "out of memory");
		return -1;
	}
	if (len > 0)
		memcpy(copy, img, len);
	return db_open("-", 0, copy, (sqlite3_int64)len, out, err, errlen);
}

void
audit_db_close(struct audit_db *a)
{
	if (a == NULL)
		return;
	audit_db_end(a);
	sqlite3_close(a->db);
	free(a->path);
	free(a);
}

int
audit_db_begin(struct audit_db *a, char *err, size_t errlen)
{
	int64_t	 n;

	if (a->in_txn)
		return 0;
	if (sqlite3_exec(a->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		db_err(err, errlen, "audit database %s: %s", a->path,
		    sqlite3_errmsg(a->db));
		return -1;
	}
	a->in_txn = 1;
	/* BEGIN is deferred: the first read is what fixes the snapshot. */
	if (db_int(a->db, "SELECT seq FROM audit_events ORDER BY seq DESC "
	    "LIMIT 1", &n) == -1) {
		db_err(err, errlen, "audit database %s: %s", a->path,
		    sqlite3_errmsg(a->db));
		audit_db_end(a);
		return -1;
	}
	return 0;
}

void
audit_db_end(struct audit_db *a)
{
	if (a == NULL || !a->in_txn)
		return;
	sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL);
	a->in_txn = 0;
}

struct sqlite3 *
audit_db_sqlite(struct audit_db *a)
{
	return a->db;
}

const char *
audit_db_path(const struct audit_db *a)
{
	return a->path;
}

int
audit_db_version(const struct audit_db *a)
{
	return a->version;
}

int
audit_db_prepare(struct audit_db *a, const char *sql, sqlite3_stmt **st,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(a->db, sql, -1, st, NULL) != SQLITE_OK) {
		db_err(err, errlen, "audit database %s: %s", a->path,
		    sqlite3_errmsg(a->db));
		*st = NULL;
		return -1;
	}
	return 0;
}

/* row_hash of seq into out ("" when there is no such row). */
static int
db_hash_of(sqlite3 *db, int64_t seq, char out[AUDIT_DB_HEX_LEN + 1])
{
	sqlite3_stmt	*st;
	const char	*h;
	int		 rc;

	out[0] = '\0';
	if (seq == 0)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT row_hash FROM audit_events WHERE "
	    "seq = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (h = (const char *)sqlite3_column_text(st,
	    0)) != NULL)
		snprintf(out, AUDIT_DB_HEX_LEN + 1, "%s", h);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
audit_db_span(struct audit_db *a, int64_t from_us, int64_t to_us,
    struct audit_db_span *sp, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	int		 whole = from_us == INT64_MIN && to_us == INT64_MAX;

	memset(sp, 0, sizeof(*sp));
	/* [from, to) on integers is [from, to - 1]: no special case at
	   INT64_MAX. */
	if (sqlite3_prepare_v2(a->db, "SELECT count(*), min(seq), max(seq), "
	    "min(ts_us), max(ts_us) FROM audit_events WHERE ts_us >= ?1 AND "
	    "ts_us <= ?2", -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	sqlite3_bind_int64(st, 1, from_us);
	sqlite3_bind_int64(st, 2, to_us == INT64_MAX ? INT64_MAX : to_us - 1);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto sqlerr;
	sp->rows = sqlite3_column_int64(st, 0);
	sp->first_seq = sqlite3_column_int64(st, 1);
	sp->last_seq = sqlite3_column_int64(st, 2);
	sp->first_ts_us = sqlite3_column_int64(st, 3);
	sp->last_ts_us = sqlite3_column_int64(st, 4);
	sqlite3_finalize(st);
	st = NULL;
	if (whole)
		sp->db_rows = sp->rows;
	else if (db_int(a->db, "SELECT count(*) FROM audit_events",
	    &sp->db_rows) == -1)
		goto sqlerr;
	if (db_int(a->db, "SELECT min(seq) FROM audit_events",
	    &sp->db_first_seq) == -1 ||
	    db_int(a->db, "SELECT max(seq) FROM audit_events",
	    &sp->db_last_seq) == -1 ||
	    db_int(a->db, "SELECT seq FROM sqlite_sequence WHERE name = "
	    "'audit_events'", &sp->seq_hi) == -1 ||
	    db_hash_of(a->db, sp->db_last_seq, sp->head_hash) == -1 ||
	    db_hash_of(a->db, sp->last_seq, sp->range_head) == -1)
		goto sqlerr;
	return 0;
sqlerr:
	db_err(err, errlen, "audit database %s: %s", a->path,
	    sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	return -1;
}
