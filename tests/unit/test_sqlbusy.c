/*
 * test_sqlbusy.c -- the short-sleeping busy handler (lib/sqlbusy.c).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "sqlbusy.h"
#include "t.h"

static char dir[] = "/tmp/mcpgate-test-sqlbusy.XXXXXX";

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sqlite3 *
open_db(const char *path)
{
	sqlite3	*db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int
main(void)
{
	char		 path[256];
	sqlite3		*a, *b;
	long long	 t0, waited;
	pid_t		 pid;
	int		 rc, st, fds[2];
	char		 ch;

	T_EQ_INT(sqlbusy_wait_us(0), SQLBUSY_FIRST_US, "the first wait is "
	    "SQLBUSY_FIRST_US");
	T_EQ_INT(sqlbusy_wait_us(1), 2 * SQLBUSY_FIRST_US, "then it doubles");
	T_EQ_INT(sqlbusy_wait_us(1000), SQLBUSY_MAX_US, "up to "
	    "SQLBUSY_MAX_US, and no further");

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/busy.db", dir);
	a = open_db(path);
	b = open_db(path);
	T_OK(a != NULL && b != NULL && sqlite3_exec(a, "PRAGMA journal_mode="
	    "WAL; CREATE TABLE t (x)", NULL, NULL, NULL) == SQLITE_OK,
	    "a WAL database, two connections");
	if (a == NULL || b == NULL)
		return t_done();

	/* Held by another connection: gives up after about the timeout. */
	sqlite3_exec(a, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlbusy_set(b, 0);
	rc = sqlite3_exec(b, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	T_EQ_INT(rc, SQLITE_BUSY, "timeout 0: busy at once");
	sqlbusy_set(b, 60);
	t0 = now_ms();
	rc = sqlite3_exec(b, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	waited = now_ms() - t0;
	T_EQ_INT(rc, SQLITE_BUSY, "timeout 60 ms, lock never freed: busy");
	T_OK(waited >= 55, "it waited at least the timeout (%lld ms)", waited);
	sqlite3_exec(a, "ROLLBACK", NULL, NULL, NULL);

	/* Freed by another process while we wait: we get it. */
	sqlite3_close(a);
	if (pipe(fds) == -1)
		return 1;
	pid = fork();
	if (pid == 0) {
		sqlite3 *c = open_db(path);
		struct timespec ts = { 0, 150 * 1000 * 1000 };

		close(fds[0]);
		if (c == NULL)
			_exit(1);
		sqlbusy_set(c, 5000);
		if (sqlite3_exec(c, "BEGIN IMMEDIATE; INSERT INTO t VALUES "
		    "(1)", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		/* Tell the parent the lock is held, hold it a while. */
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		nanosleep(&ts, NULL);
		if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		sqlite3_close(c);
		_exit(0);
	}
	close(fds[1]);
	T_OK(read(fds[0], &ch, 1) == 1, "the other process holds the write "
	    "lock");
	close(fds[0]);
	sqlbusy_set(b, 0);
	rc = sqlite3_exec(b, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	T_EQ_INT(rc, SQLITE_BUSY, "so without waiting we are busy");
	sqlbusy_set(b, 10000);
	rc = sqlite3_exec(b, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	T_EQ_INT(rc, SQLITE_OK, "with a timeout, we get the lock once it is "
	    "freed");
	T_EQ_INT(sqlite3_exec(b, "COMMIT", NULL, NULL, NULL), SQLITE_OK,
	    "and commit");
	waitpid(pid, &st, 0);
	T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other process "
	    "committed its row");
	T_EQ_INT(sqlite3_exec(b, "SELECT 1", NULL, NULL, NULL), SQLITE_OK,
	    "the database is usable afterwards");
	sqlite3_close(b);
	if (t_failed == 0) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return t_done();
}
