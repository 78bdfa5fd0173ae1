/*
 * test_migrate.c -- databases are created and migrated on first use,
 * safely when several worker processes start at once; a database newer
 * than the binary is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>

#include "migrate.h"
#include "store.h"
#include "t.h"

#define NPROC	8

static int
user_version(const char *path)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int		 v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

#define ONESHOT_N	200

/*
 * One plain CGI process: migrate_oneshot(1), open, one commit, close.
 * Returns 0 when the commit (and so the hook after it) succeeded.
 */
static int
oneshot_child(const char *path, int i)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 blob[1500];
	int		 rc;

	migrate_oneshot(1);
	if (sqlite3_open(path, &db) != SQLITE_OK || migrate_wal(db) == -1)
		return 1;
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS t (i INTEGER, "
	    "b BLOB)", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?1, ?2)", -1, &st,
	    NULL) != SQLITE_OK)
		return 2;
	memset(blob, i & 0xff, sizeof(blob));
	sqlite3_bind_int(st, 1, i);
	sqlite3_bind_blob(st, 2, blob, sizeof(blob), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_DONE ? 0 : 3;
}

static long
file_size(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Plain CGI (lib/migrate.h): no checkpoint on close, a bounded WAL. */
static void
test_oneshot(const char *dir)
{
	char	 path[600], wal[610];
	long	 sz, max = 0;
	int	 i, ok = 0, status, rows = -1;
	pid_t	 pid;
	sqlite3	*db;
	sqlite3_stmt *st;

	snprintf(path, sizeof(path), "%s/oneshot.db", dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	for (i = 0; i < ONESHOT_N; i++) {
		if ((pid = fork()) == 0)
			_exit(oneshot_child(path, i));
		if (pid > 0 && waitpid(pid, &status, 0) == pid &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
		if (i == 0)
			T_OK(file_size(wal) > 0, "oneshot: the WAL outlives "
			    "the last connection (no checkpoint on close)");
		if ((sz = file_size(wal)) > max)
			max = sz;
	}
	T_EQ_INT(ok, ONESHOT_N, "oneshot: %d processes, one commit each",
	    ONESHOT_N);
	/* Each commit here adds one or two 4 KiB frames. */
	T_OK(max > 0 && max <= 32 + (long)(MIGRATE_ONESHOT_FRAMES + 4) *
	    (4096 + 24), "oneshot: the WAL stays under %d frames (largest "
	    "%ld bytes)", MIGRATE_ONESHOT_FRAMES + 4, max);

	/* Every commit is there, read by a process with SQLite's defaults. */
	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(DISTINCT i) FROM t", -1, &st,
	    NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			rows = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	T_EQ_INT(rows, ONESHOT_N, "oneshot: no commit lost");
	T_OK(file_size(wal) == -1, "default (not oneshot): the last "
	    "connection still checkpoints and removes the WAL");
}

int
main(void)
{
	char	 dir[] = "/tmp/mcpgate-test-migrate.XXXXXX", path[600];
	char	 err[512], cmd[700];
	int	 i, ok = 0, status, pipefd[2];
	pid_t	 pids[NPROC];
	struct store *st;
	sqlite3	*db;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	T_OK(migrate_latest("state") >= 3, "built-in state migrations present "
	    "(latest %d)", migrate_latest("state"));

	/* NPROC processes open a fresh database at the same moment. */
	if (pipe(pipefd) == -1)
		return 1;
	for (i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == 0) {
			char	 c;

			close(pipefd[1]);
			if (read(pipefd[0], &c, 1) < 0)
				_exit(3);
			st = store_open(path, err, sizeof(err));
			if (st == NULL) {
				fprintf(stderr, "child: %s\n", err);
				_exit(1);
			}
			store_close(st);
			_exit(0);
		}
	}
	close(pipefd[0]);
	close(pipefd[1]);	/* EOF releases every child at once */
	for (i = 0; i < NPROC; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok++;
	T_EQ_INT(ok, NPROC, "%d processes migrating one new database at once "
	    "all succeed", NPROC);
	T_EQ_INT(user_version(path), migrate_latest("state"),
	    "user_version is the latest migration");

	/* Opening again is a no-op. */
	st = store_open(path, err, sizeof(err));
	T_OK(st != NULL, "reopening a current database works");
	store_close(st);

	/* A newer database is refused with a clear message. */
	sqlite3_open(path, &db);
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(path, err, sizeof(err));
	T_OK(st == NULL && strstr(err, "newer than this program") != NULL,
	    "a database from a newer mcpgate is refused (%s)",
	    st ? "opened" : err);
	store_close(st);

	test_oneshot(dir);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
