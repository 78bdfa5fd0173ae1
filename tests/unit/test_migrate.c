/*
 * test_migrate.c -- databases are created and migrated on first use,
 * safely when several worker processes start at once; a database newer
 * than the binary is refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
