/*
 * test_rowscan.c -- audit/rowscan.c: the direct B-tree read gives
 * exactly what SQLite's statement gives (every column of every row,
 * NULLs, integers of every width, long rows on overflow pages, gaps,
 * ranges that start and end anywhere), a WAL with frames falls back to
 * the statement, MCPGATE_AUDIT_DIRECT=0 forces it, and a file with
 * random damage in its pages fails cleanly (run under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "t.h"
#include "auditchain.h"
#include "db.h"
#include "rowscan.h"

#define N_ROWS	3000

static char	 dbpath[64];

/* Every column of the table: the chained ones, then the two hashes. */
static const char *cols[AUDITCHAIN_C__MAX + 2];

static void
cols_init(void)
{
	size_t	 i;

	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		cols[i] = auditchain_columns[i];
	cols[AUDITCHAIN_C__MAX] = "prev_hash";
	cols[AUDITCHAIN_C__MAX + 1] = "row_hash";
}
#define NCOLS	(sizeof(cols) / sizeof(cols[0]))

static int
exec_file(sqlite3 *db, const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*sql;
	long	 n;
	int	 rc;

	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = calloc(1, (size_t)n + 1);
	if (sql == NULL || fread(sql, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(sql);
		return -1;
	}
	fclose(f);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	free(sql);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Small pages: a deep tree, and rows of a few KiB overflow. */
static int
make_db(const char *path)
{
	static const int64_t ints[] = { 0, 1, -1, 127, -128, 200, 40000,
	    -40000, 8000000, 2000000000, -2000000000, INT64_C(140000000000000),
	    INT64_C(9000000000000000000), INT64_MIN, INT64_MAX };
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 big[6000], h[65];
	unsigned int	 seed = 42;
	int		 i, rc = 0;
	size_t		 len;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size = 1024", NULL, NULL, NULL) !=
	    SQLITE_OK || exec_file(db, "sql/010_audit_events.sql") == -1 ||
	    sqlite3_exec(db, "PRAGMA user_version = 10; BEGIN", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO audit_events (chain_version, "
	    "chain_alg, kind, ts_us, host_id, request_id, principal, tool, "
	    "outcome, decision, latency_us, http_status, rpc_error_code, "
	    "args_redacted, user_agent, bytes_in, retryable, prev_hash, "
	    "row_hash) VALUES (1, 'sha256', 'request', ?1, 'h', ?2, ?3, ?4, "
	    "'ok', ?5, ?6, 200, ?7, ?8, ?9, ?10, ?11, ?12, ?12)", -1, &st,
	    NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	for (i = 0; i < N_ROWS; i++) {
		snprintf(h, sizeof(h), "%064d", i);
		sqlite3_bind_int64(st, 1, INT64_C(1741170600000000) + i);
		sqlite3_bind_text(st, 2, h + 40, -1, SQLITE_TRANSIENT);
		if (rand_r(&seed) % 5 == 0)
			sqlite3_bind_null(st, 3);
		else
			sqlite3_bind_text(st, 3, i % 2 ? "alice" : "bob", -1,
			    SQLITE_STATIC);
		sqlite3_bind_text(st, 4, i % 3 ? "search_orders" : "", -1,
		    SQLITE_STATIC);
		if (i % 7 == 0)
			sqlite3_bind_null(st, 5);
		else
			sqlite3_bind_text(st, 5, i % 2 ? "allow" : "deny", -1,
			    SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, ints[(size_t)i % (sizeof(ints) /
		    sizeof(ints[0]))]);
		if (i % 4 == 0)
			sqlite3_bind_null(st, 7);
		else
			sqlite3_bind_int64(st, 7, -32000 - i);
		len = (size_t)rand_r(&seed) % (i % 10 == 0 ? sizeof(big) : 40);
		memset(big, 'a' + i % 26, len);
		if (len > 3)
			big[len / 2] = '\0';	/* an embedded NUL */
		sqlite3_bind_text(st, 8, big, (int)len, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 9, "agent/\xc3\xa9", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 10, (int64_t)i * 1000003);
		sqlite3_bind_int64(st, 11, i % 2);
		sqlite3_bind_text(st, 12, h, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	/* gaps: the oldest rows, and a run in the middle */
	if (sqlite3_exec(db, "DELETE FROM audit_events WHERE seq <= 50 OR "
	    "seq BETWEEN 1000 AND 1300; COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		rc = -1;
	sqlite3_close(db);
	return rc;
}

/* Compares every value of both scans; returns rows, or -1. */
static int64_t
compare(struct audit_db *db, int64_t lo, int64_t hi, int *direct)
{
	struct rowscan	*a = NULL, *b = NULL;
	const char	*sa, *sb;
	size_t		 i, la, lb;
	int64_t		 n = 0;
	int		 ra, rb, bad = 0;
	char		 err[256];

	if (rowscan_open(db, cols, NCOLS, lo, hi, 0, &a, err,
	    sizeof(err)) != 0 || rowscan_open(db, cols, NCOLS, lo, hi,
	    ROWSCAN_SQL, &b, err, sizeof(err)) != 0) {
		printf("# %s\n", err);
		rowscan_free(a);
		return -1;
	}
	*direct = rowscan_direct(a);
	for (;;) {
		ra = rowscan_next(a);
		rb = rowscan_next(b);
		if (ra != rb) {
			printf("# next: %d vs %d (%s) at row %lld\n", ra, rb,
			    rowscan_errmsg(a), (long long)n);
			bad = 1;
		}
		if (ra != 1 || rb != 1)
			break;
		n++;
		for (i = 0; i < NCOLS && !bad; i++) {
			if (rowscan_isnull(a, i) != rowscan_isnull(b, i) ||
			    rowscan_int(a, i, -7) != rowscan_int(b, i, -7))
				bad = 1;
			sa = rowscan_text(a, i, &la);
			sb = rowscan_text(b, i, &lb);
			if ((sa == NULL) != (sb == NULL) || (sa != NULL &&
			    (la != lb || memcmp(sa, sb, la) != 0)))
				bad = 1;
			if (bad)
				printf("# column %s differs at row %lld\n",
				    cols[i], (long long)n);
		}
		if (bad)
			break;
	}
	rowscan_free(a);
	rowscan_free(b);
	return bad ? -1 : n;
}

static int64_t
count(const char *path, int64_t lo, int64_t hi)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_events WHERE "
	    "seq BETWEEN ?1 AND ?2", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

static void
test_equal(void)
{
	static const int64_t r[][2] = {
		{ INT64_MIN, INT64_MAX }, { 1, 1 }, { 51, 51 }, { 0, 50 },
		{ 52, 999 }, { 999, 1301 }, { 1100, 1200 }, { 2999, 5000 },
		{ 3000, 3000 }, { 3001, INT64_MAX }, { 700, 600 },
	};
	struct audit_db	*db = NULL;
	char		 err[256];
	size_t		 i;
	int		 direct = 0;
	int64_t		 n;

	T_OK(make_db(dbpath) == 0, "built a %d-row database, 1 KiB pages",
	    N_ROWS);
	T_OK(audit_db_open(dbpath, 0, &db, err, sizeof(err)) == 0 &&
	    audit_db_begin(db, err, sizeof(err)) == 0, "opened");
	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		n = compare(db, r[i][0], r[i][1], &direct);
		T_OK(direct, "[%lld, %lld]: direct path", (long long)r[i][0],
		    (long long)r[i][1]);
		T_EQ_INT(n, r[i][0] > r[i][1] ? 0 : count(dbpath, r[i][0],
		    r[i][1]), "[%lld, %lld]: every value equal to SQLite's",
		    (long long)r[i][0], (long long)r[i][1]);
	}
	setenv("MCPGATE_AUDIT_DIRECT", "0", 1);
	n = compare(db, 1, INT64_MAX, &direct);
	unsetenv("MCPGATE_AUDIT_DIRECT");
	T_OK(!direct && n > 0, "MCPGATE_AUDIT_DIRECT=0: the statement path");
	audit_db_close(db);
}

static void
test_wal(void)
{
	struct audit_db	*db = NULL;
	sqlite3		*w = NULL;
	char		 err[256];
	int		 direct = 1;
	int64_t		 n;

	T_OK(sqlite3_open(dbpath, &w) == SQLITE_OK && sqlite3_exec(w,
	    "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0; "
	    "DELETE FROM audit_events WHERE seq <= 60", NULL, NULL, NULL) ==
	    SQLITE_OK, "WAL mode, frames in the WAL");
	T_OK(audit_db_open(dbpath, 0, &db, err, sizeof(err)) == 0 &&
	    audit_db_begin(db, err, sizeof(err)) == 0, "opened");
	n = compare(db, 1, INT64_MAX, &direct);
	T_OK(!direct, "a WAL with frames: the statement path");
	T_EQ_INT(n, count(dbpath, 1, INT64_MAX), "and the right rows");
	audit_db_close(db);
	sqlite3_exec(w, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	db = NULL;
	T_OK(audit_db_open(dbpath, 0, &db, err, sizeof(err)) == 0 &&
	    audit_db_begin(db, err, sizeof(err)) == 0, "opened again");
	n = compare(db, 1, INT64_MAX, &direct);
	T_OK(direct, "an empty WAL: the direct path");
	T_EQ_INT(n, count(dbpath, 1, INT64_MAX), "and the same rows");
	audit_db_close(db);
	sqlite3_close(w);
}

/* Random bytes in random pages past the schema: no crash, no hang. */
static void
test_damage(void)
{
	char		 path[80], err[256], buf[4096];
	FILE		*f, *g;
	size_t		 got, len;
	long		 size;
	unsigned int	 seed = 9;
	int		 k, j, clean = 1, rc;
	struct audit_db	*db;
	struct rowscan	*rs;
	int64_t		 n;

	snprintf(path, sizeof(path), "%s.bad", dbpath);
	for (k = 0; k < 40; k++) {
		f = fopen(dbpath, "rb");
		g = fopen(path, "wb");
		while (f != NULL && g != NULL &&
		    (got = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, got, g);
		if (f != NULL)
			fclose(f);
		if (g != NULL)
			fclose(g);
		if ((f = fopen(path, "r+b")) == NULL) {
			clean = 0;
			break;
		}
		fseek(f, 0, SEEK_END);
		size = ftell(f);
		for (j = 0; j < 1 + k % 8; j++) {
			/* past the first 8 pages (schema and table root) */
			fseek(f, 8192 + (long)rand_r(&seed) % (size - 8192),
			    SEEK_SET);
			fputc(rand_r(&seed) & 0xff, f);
		}
		fclose(f);
		db = NULL;
		rs = NULL;
		if (audit_db_open(path, 0, &db, err, sizeof(err)) == 0 &&
		    audit_db_begin(db, err, sizeof(err)) == 0 &&
		    rowscan_open(db, cols, NCOLS, 1, INT64_MAX, 0, &rs, err,
		    sizeof(err)) == 0) {
			for (n = 0; (rc = rowscan_next(rs)) == 1; n++)
				(void)rowscan_text(rs, 34, &len);
			if (n > N_ROWS)
				clean = 0;
		}
		rowscan_free(rs);
		audit_db_close(db);
	}
	T_OK(clean, "40 damaged copies: no crash, no endless scan");
	unlink(path);
}

int
main(void)
{
	cols_init();
	snprintf(dbpath, sizeof(dbpath), "/tmp/test_rowscan.%d.db", getpid());
	test_equal();
	test_wal();
	test_damage();
	unlink(dbpath);
	{
		char	 p[80];

		snprintf(p, sizeof(p), "%s-wal", dbpath);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", dbpath);
		unlink(p);
	}
	return t_done();
}
