/*
 * migrate.c -- applies the built-in migrations under PRAGMA user_version,
 * inside one write transaction; puts databases in WAL mode, and tunes WAL
 * connections for processes that serve one request (plain CGI).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "migrate.h"

/* 1: plain CGI, one request per process (migrate_oneshot). */
static int migrate_oneshot_on;

void
migrate_oneshot(int on)
{
	migrate_oneshot_on = on != 0;
}

/*
 * After every commit on a one-shot connection (SQLite calls it with the
 * write lock already released): past MIGRATE_ONESHOT_FRAMES, a TRUNCATE
 * checkpoint.  A passive one (SQLite's autocheckpoint) is not enough
 * here: the next process, first to open the database, rebuilds the
 * wal-index with nBackfill 0 and would never restart the WAL, which then
 * grows without end; truncated, the WAL the next process must read is
 * never longer than the limit.  A busy checkpoint is no error: the next
 * commit tries again.  Durability stays each connection's own: a tool
 * database commits with SQLite's default synchronous=FULL (synced at
 * commit), the audit log syncs as its "synchronous" setting says
 * (lib/audit.c), and the state database (sessions, rate buckets, the
 * throttle) commits with NORMAL, as in a FastCGI worker: a power loss
 * may forget its newest commits, a crash or exit never does.
 */
static int
migrate_oneshot_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	if (frames >= MIGRATE_ONESHOT_FRAMES)
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	return SQLITE_OK;
}

void
migrate_oneshot_apply(sqlite3 *db)
{
	if (!migrate_oneshot_on || db == NULL)
		return;
	(void)sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
	    NULL);
	/* Replaces SQLite's autocheckpoint hook. */
	(void)sqlite3_wal_hook(db, migrate_oneshot_hook, NULL);
}

int
migrate_wal(sqlite3 *db)
{
	struct timespec	 ts = { 0, 10 * 1000 * 1000 };
	int		 i, rc;

	for (i = 0; i < MIGRATE_WAL_TRIES; i++) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL,
		    NULL);
		if (rc == SQLITE_OK) {
			migrate_oneshot_apply(db);
			return 0;
		}
		if ((rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
}

int
migrate_latest(const char *kind)
{
	const struct migration *m;
	int	 latest = 0;

	for (m = migrations; m->num != 0; m++)
		if (strcmp(m->db, kind) == 0 && m->num > latest)
			latest = m->num;
	return latest;
}

static int
migrate_user_version(sqlite3 *db, int *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
migrate_apply(sqlite3 *db, const char *kind, char *err, size_t errlen)
{
	const struct migration *m;
	char	*emsg = NULL, pragma[64];
	int	 have, latest = migrate_latest(kind);

	if (migrate_user_version(db, &have) == -1)
		goto sqlerr;
	if (have == latest)
		return 0;	/* the common case: no write lock taken */
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &emsg) != SQLITE_OK)
		goto sqlerr;
	/* Another process may have migrated while we waited for the lock. */
	if (migrate_user_version(db, &have) == -1)
		goto rollback;
	if (have > latest) {
		snprintf(err, errlen, "database schema version %d is newer "
		    "than this program knows (%d): upgrade mcpgate", have,
		    latest);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	for (m = migrations; m->num != 0; m++) {
		if (strcmp(m->db, kind) != 0 || m->num <= have)
			continue;
		if (sqlite3_exec(db, m->sql, NULL, NULL, &emsg) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s: %s", m->name,
			    emsg != NULL ? emsg : sqlite3_errmsg(db));
			sqlite3_free(emsg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
		    m->num);
		if (sqlite3_exec(db, pragma, NULL, NULL, &emsg) != SQLITE_OK)
			goto rollback;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, &emsg) != SQLITE_OK)
		goto rollback;
	return 0;
rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
sqlerr:
	snprintf(err, errlen, "migrating the %s database: %s", kind,
	    emsg != NULL ? emsg : sqlite3_errmsg(db));
	sqlite3_free(emsg);
	return -1;
}
