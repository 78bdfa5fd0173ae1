/*
 * state.c -- the scan's state file and its lock.
 *
 * The lock is flock(2) on PATH.lock, taken before the database is
 * opened and held until state_close, so a second cron run started while
 * the first is still going fails at once instead of scanning the same
 * rows twice.  The lock file holds the holder's pid for the message.
 * Everything a run changes is written in one transaction after its
 * output went out: a run that dies early leaves the previous watermark.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <sqlite3.h>

#include "detect.h"
#include "detect_novel.h"
#include "state.h"

#define STATE_VERSION	1
#define STATE_BUSY_MS	5000

struct state {
	sqlite3		*db;
	int		 lockfd;
	char		*path;
};

static const char state_schema[] =
    "CREATE TABLE IF NOT EXISTS scan_watermark ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " seq INTEGER NOT NULL, ts_us INTEGER NOT NULL,"
    " row_hash TEXT NOT NULL, db_path TEXT, runs INTEGER NOT NULL,"
    " updated_us INTEGER NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS scan_seen ("
    " kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT NOT NULL,"
    " first_us INTEGER NOT NULL, last_us INTEGER NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY (kind, a, b)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS scan_principals ("
    " principal TEXT PRIMARY KEY, first_us INTEGER NOT NULL,"
    " last_us INTEGER NOT NULL, calls INTEGER NOT NULL,"
    " new_pair_us INTEGER NOT NULL, how BLOB, auth TEXT) STRICT,"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS scan_meta ("
    " name TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT, WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS scan_findings ("
    " fingerprint TEXT PRIMARY KEY, detector TEXT NOT NULL,"
    " severity TEXT NOT NULL, first_seq INTEGER, last_seq INTEGER,"
    " run INTEGER NOT NULL, json TEXT NOT NULL) STRICT;"
    "CREATE TABLE IF NOT EXISTS scan_runs ("
    " run INTEGER PRIMARY KEY, started_us INTEGER NOT NULL,"
    " finished_us INTEGER NOT NULL, first_seq INTEGER, last_seq INTEGER,"
    " rows INTEGER NOT NULL, rows_new INTEGER NOT NULL,"
    " findings INTEGER NOT NULL, exit_code INTEGER NOT NULL) STRICT;";

static void state_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
state_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
state_lock(const char *path, int *fd, char *err, size_t errlen)
{
	char	 lp[4096], pid[32];
	ssize_t	 n;
	int	 f;

	if ((size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp)) {
		state_err(err, errlen, "state path too long");
		return -1;
	}
	if ((f = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) ==
	    -1) {
		state_err(err, errlen, "cannot open lock file %s: %s", lp,
		    strerror(errno));
		return -1;
	}
	if (flock(f, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(f, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			state_err(err, errlen, "another scan is running: %s is "
			    "locked%s%s%s; not scanning the same rows twice", lp,
			    pid[0] ? " (by pid " : " (by another process",
			    pid, pid[0] ? ")" : ")");
			close(f);
			return 1;
		}
		state_err(err, errlen, "cannot lock %s: %s", lp,
		    strerror(errno));
		close(f);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(f, 0) == -1 || pwrite(f, pid, (size_t)n, 0) != n) {
		/* The pid is only for messages; the lock is what counts. */
	}
	*fd = f;
	return 0;
}

static int64_t
state_version(struct state *s)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT value FROM scan_meta WHERE name "
	    "= 'state_version'", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int
state_open(const char *path, struct state **out, char *err, size_t errlen)
{
	struct state	*s;
	int		 rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		state_err(err, errlen, "out of memory");
		return -1;
	}
	s->lockfd = -1;
	if ((rc = state_lock(path, &s->lockfd, err, errlen)) != 0) {
		state_close(s);
		return rc;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		state_err(err, errlen, "cannot open state file %s: %s", path,
		    s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
		state_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, STATE_BUSY_MS);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_exec(s->db, state_schema, NULL, NULL, NULL) !=
	    SQLITE_OK || sqlite3_exec(s->db, "INSERT OR IGNORE INTO scan_meta "
	    "(name, value) VALUES ('state_version', 1)", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		state_err(err, errlen, "state file %s: %s (is it a scan state "
		    "file?)", path, sqlite3_errmsg(s->db));
		state_close(s);
		return -1;
	}
	if (state_version(s) > STATE_VERSION) {
		state_err(err, errlen, "state file %s was written by a newer "
		    "mcpgate-audit (state version %lld, this one knows %d)",
		    path, (long long)state_version(s), STATE_VERSION);
		state_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

void
state_close(struct state *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	if (s->lockfd != -1)
		close(s->lockfd);	/* releases the flock */
	free(s->path);
	free(s);
}

int
state_watermark(struct state *s, struct state_wm *wm, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*h, *p;
	int		 rc;

	memset(wm, 0, sizeof(*wm));
	if (sqlite3_prepare_v2(s->db, "SELECT seq, ts_us, row_hash, runs, "
	    "db_path FROM scan_watermark WHERE id = 1", -1, &st, NULL) !=
	    SQLITE_OK) {
		state_err(err, errlen, "state file: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		wm->seq = sqlite3_column_int64(st, 0);
		wm->ts_us = sqlite3_column_int64(st, 1);
		h = (const char *)sqlite3_column_text(st, 2);
		snprintf(wm->row_hash, sizeof(wm->row_hash), "%s", h ? h : "");
		wm->runs = sqlite3_column_int64(st, 3);
		p = (const char *)sqlite3_column_text(st, 4);
		snprintf(wm->db_path, sizeof(wm->db_path), "%s", p ? p : "");
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		state_err(err, errlen, "state file: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	return 0;
}

int
state_load_novel(struct state *s, struct detect_ctx *ctx, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	const char	*b;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT kind, a, b, first_us, last_us, "
	    "n FROM scan_seen", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b = (const char *)sqlite3_column_text(st, 2);
		detect_novel_load(ctx, detect_novel_kind_parse((const char *)
		    sqlite3_column_text(st, 0)), (const char *)
		    sqlite3_column_text(st, 1), b != NULL && *b != '\0' ? b :
		    NULL, sqlite3_column_int64(st, 3),
		    sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT principal, first_us, last_us, "
	    "calls, new_pair_us, how, auth FROM scan_principals", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		detect_novel_load_principal(ctx, (const char *)
		    sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		    sqlite3_column_int64(st, 4), sqlite3_column_blob(st, 5),
		    (size_t)sqlite3_column_bytes(st, 5), (const char *)
		    sqlite3_column_text(st, 6));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM scan_meta WHERE "
	    "name = 'log_first_us'", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		detect_novel_set_first(ctx, sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	detect_novel_persistent(ctx);
	return 0;
fail:
	state_err(err, errlen, "state file: %s", sqlite3_errmsg(s->db));
	return -1;
}

struct save_ctx {
	sqlite3_stmt	*st;
	int		 rc;
};

static void
save_seen(void *arg, int kind, const char *a, const char *b, int64_t first,
    int64_t last, int64_t n)
{
	struct save_ctx	*c = arg;

	if (c->rc != 0 || a == NULL)
		return;
	sqlite3_reset(c->st);
	sqlite3_bind_text(c->st, 1, detect_novel_kind_name(kind), -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(c->st, 2, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(c->st, 3, b != NULL ? b : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(c->st, 4, first);
	sqlite3_bind_int64(c->st, 5, last);
	sqlite3_bind_int64(c->st, 6, n);
	if (sqlite3_step(c->st) != SQLITE_DONE)
		c->rc = -1;
}

static void
save_prof(void *arg, const char *p, int64_t first, int64_t last,
    int64_t calls, int64_t new_pair, const void *how, size_t howlen,
    const char *auth)
{
	struct save_ctx	*c = arg;

	if (c->rc != 0 || p == NULL)
		return;
	sqlite3_reset(c->st);
	sqlite3_bind_text(c->st, 1, p, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(c->st, 2, first);
	sqlite3_bind_int64(c->st, 3, last);
	sqlite3_bind_int64(c->st, 4, calls);
	sqlite3_bind_int64(c->st, 5, new_pair);
	sqlite3_bind_blob(c->st, 6, how, (int)howlen, SQLITE_TRANSIENT);
	sqlite3_bind_text(c->st, 7, auth, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(c->st) != SQLITE_DONE)
		c->rc = -1;
}

int
state_save(struct state *s, const struct state_save *sv, char *err,
    size_t errlen)
{
	struct save_ctx	 c;
	sqlite3_stmt	*st = NULL;
	int64_t		 run, now;
	size_t		 i;

	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		goto fail;
	run = sv->wm->runs;
	now = sv->started_us;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_watermark (id, seq, "
	    "ts_us, row_hash, db_path, runs, updated_us) VALUES (1, ?1, ?2, "
	    "?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET seq = ?1, ts_us = "
	    "?2, row_hash = ?3, db_path = ?4, runs = ?5, updated_us = ?6", -1,
	    &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, sv->wm->seq);
	sqlite3_bind_int64(st, 2, sv->wm->ts_us);
	sqlite3_bind_text(st, 3, sv->wm->row_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, sv->wm->db_path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, run);
	sqlite3_bind_int64(st, 6, now);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;

	memset(&c, 0, sizeof(c));
	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_seen (kind, a, b, "
	    "first_us, last_us, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT "
	    "(kind, a, b) DO UPDATE SET first_us = min(first_us, ?4), last_us "
	    "= max(last_us, ?5), n = ?6", -1, &c.st, NULL) != SQLITE_OK)
		goto fail;
	detect_novel_each(sv->ctx, save_seen, &c);
	sqlite3_finalize(c.st);
	if (c.rc != 0)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_principals "
	    "(principal, first_us, last_us, calls, new_pair_us, how, auth) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (principal) DO "
	    "UPDATE SET first_us = ?2, last_us = ?3, calls = ?4, new_pair_us "
	    "= ?5, how = ?6, auth = ?7", -1, &c.st, NULL) != SQLITE_OK)
		goto fail;
	detect_novel_each_principal(sv->ctx, save_prof, &c);
	sqlite3_finalize(c.st);
	if (c.rc != 0)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_meta (name, value) "
	    "VALUES ('log_first_us', ?1) ON CONFLICT (name) DO UPDATE SET "
	    "value = ?1", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, detect_novel_first(sv->ctx));
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_findings (fingerprint, "
	    "detector, severity, first_seq, last_seq, run, json) VALUES (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (fingerprint) DO UPDATE SET "
	    "severity = ?3, last_seq = ?5, run = ?6, json = ?7", -1, &st,
	    NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < sv->n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, sv->f[i]->fp, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, detect_code(sv->f[i]->det), -1,
		    SQLITE_STATIC);
		sqlite3_bind_text(st, 3, detect_sev_name(sv->f[i]->sev), -1,
		    SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, sv->f[i]->start_seq);
		sqlite3_bind_int64(st, 5, sv->f[i]->last_seq);
		sqlite3_bind_int64(st, 6, run);
		sqlite3_bind_text(st, 7, sv->json[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO scan_runs (run, started_us, "
	    "finished_us, first_seq, last_seq, rows, rows_new, findings, "
	    "exit_code) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON "
	    "CONFLICT (run) DO NOTHING", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, run);
	sqlite3_bind_int64(st, 2, sv->started_us);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, sv->first_seq);
	sqlite3_bind_int64(st, 5, sv->last_seq);
	sqlite3_bind_int64(st, 6, sv->rows);
	sqlite3_bind_int64(st, 7, sv->rows_new);
	sqlite3_bind_int64(st, 8, (int64_t)sv->n);
	sqlite3_bind_int(st, 9, sv->exit_code);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return 0;
fail:
	state_err(err, errlen, "cannot update the state file %s: %s", s->path,
	    sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int
state_find_finding(struct state *s, const char *fp, char **json, char *err,
    size_t errlen)
{
	sqlite3_stmt	*st;
	char		 pat[40];
	size_t		 n = strlen(fp);
	int		 rc, found = 0;
	const char	*t;

	*json = NULL;
	if (n < 6 || n > 16 || strspn(fp, "0123456789abcdef") != n)
		return 0;
	snprintf(pat, sizeof(pat), "%s*", fp);
	if (sqlite3_prepare_v2(s->db, "SELECT json FROM scan_findings WHERE "
	    "fingerprint GLOB ?1 LIMIT 2", -1, &st, NULL) != SQLITE_OK) {
		state_err(err, errlen, "state file: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, pat, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (found++ == 0) {
			t = (const char *)sqlite3_column_text(st, 0);
			if (t != NULL && (*json = strdup(t)) == NULL) {
				sqlite3_finalize(st);
				state_err(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(*json);
		*json = NULL;
		state_err(err, errlen, "state file: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (found > 1) {
		free(*json);
		*json = NULL;
		return 2;
	}
	return found;
}
