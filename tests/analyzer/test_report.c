/*
 * test_report.c -- the report engine: exact percentiles against a sort,
 * the string and pair tables, the privileged guess, and report_main on
 * a small audit database built here from sql/010_audit_events.sql: the
 * counts, the filters, the manifest, --table, exit codes, and that the
 * database is left byte for byte as it was.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "t.h"
#include "db.h"
#include "hints.h"
#include "intern.h"
#include "report.h"

static int
cmp64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void
test_percentiles(void)
{
	static const double p[] = { 50, 95, 99, 100 };
	int64_t		 v[1000], s[1000], out[4];
	unsigned int	 seed = 7;
	size_t		 n, i, k, ok;

	for (i = 0; i < 100; i++)
		v[i] = (int64_t)(100 - i);
	report_percentiles(v, 100, p, 4, out);
	T_OK(out[0] == 50 && out[1] == 95 && out[2] == 99 && out[3] == 100,
	    "1..100: p50 50, p95 95, p99 99, max 100");
	v[0] = 42;
	report_percentiles(v, 1, p, 4, out);
	T_OK(out[0] == 42 && out[3] == 42, "one value");
	for (i = 0; i < 10; i++)
		v[i] = 5;
	report_percentiles(v, 10, p, 4, out);
	T_OK(out[0] == 5 && out[3] == 5, "all equal");
	v[0] = 1;
	v[1] = 2;
	report_percentiles(v, 2, p, 4, out);
	T_OK(out[0] == 1 && out[1] == 2, "two values: nearest rank");
	/* random inputs, many duplicates, against qsort */
	for (k = 0, ok = 0; k < 200; k++) {
		n = 1 + (size_t)rand_r(&seed) % 1000;
		for (i = 0; i < n; i++)
			s[i] = v[i] = rand_r(&seed) % (k % 2 ? 20 : 100000);
		qsort(s, n, sizeof(*s), cmp64);
		report_percentiles(v, n, p, 4, out);
		for (i = 0; i < 4; i++) {
			size_t r = (size_t)((p[i] * (double)n + 99.999999) /
			    100.0);

			if (r < 1)
				r = 1;
			if (out[i] != s[r - 1])
				break;
		}
		ok += i == 4;
	}
	T_EQ_INT(ok, 200, "200 random arrays agree with a full sort");
}

static void
test_intern(void)
{
	struct intern	 *t = intern_new();
	struct intern_map *m = intern_map_new();
	uint32_t	 a, b, i;
	int		 added, all = 1;
	char		 buf[32];

	a = intern_id(t, "alice", 5);
	b = intern_id(t, "bob", 3);
	T_OK(a == 1 && b == 2, "ids from 1");
	T_OK(intern_id(t, "alice", 5) == a, "the same string, the same id");
	T_OK(intern_id(t, NULL, 0) == 0, "NULL is id 0");
	T_OK(intern_find(t, "carol", 5) == 0 && intern_count(t) == 2,
	    "find never adds");
	T_EQ_STR(intern_str(t, b), "bob", "the string of an id");
	T_OK(intern_id(t, "al", 2) != a, "a prefix is another string");
	for (i = 0; i < 50000; i++) {
		snprintf(buf, sizeof(buf), "s%u", i);
		if (intern_id(t, buf, strlen(buf)) != i + 4)
			all = 0;
	}
	T_OK(all && intern_find(t, "s49999", 6) == 50003,
	    "50000 strings through rehashes");
	T_EQ_INT(intern_map_get(m, INTERN_PAIR(1, 2), &added), 0,
	    "pair map: first index 0");
	T_OK(added == 1, "pair map: added");
	intern_map_get(m, INTERN_PAIR(2, 1), &added);
	T_OK(added == 1 && intern_map_get(m, INTERN_PAIR(1, 2), &added) == 0 &&
	    added == 0, "pair map: (1,2) and (2,1) differ; found again");
	for (i = 0, all = 1; i < 100000; i++)
		if (intern_map_get(m, (uint64_t)i << 20, NULL) !=
		    (i == 0 ? 2 : i + 2))
			all = 0;
	T_OK(all && intern_map_key(m, 5) == (uint64_t)3 << 20,
	    "pair map: 100000 keys, dense indexes");
	intern_map_free(m);
	intern_free(t);
}

static void
test_hints(void)
{
	T_OK(hints_guess("search_orders", "orders:read", 0) == HINTS_READ,
	    "guess: a read");
	T_OK(hints_guess("issue_refund", "refunds:write", 1) ==
	    HINTS_DESTRUCTIVE, "guess: refunds are destructive");
	T_OK(hints_guess("send_confirmation", "outbox:write", 0) ==
	    HINTS_WRITE, "guess: send_ writes");
	T_OK(hints_guess("get_thing", "things:write", 0) == HINTS_WRITE,
	    "guess: a :write scope writes");
	T_OK(hints_guess("lookup", NULL, 1) == HINTS_WRITE,
	    "guess: an idempotency key means a write");
	T_OK(hints_guess("deleted_items", "x:read", 0) == HINTS_READ,
	    "guess: a verb must end at _ (deleted_items reads)");
	T_OK(hints_guess("DeleteUser", NULL, 0) == HINTS_READ,
	    "guess: camelCase is not split (documented)");
}

/* --- report_main on a small database ------------------------------------ */

static char	 dbpath[64];

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

/* 10 rows: alice x6 (one slow), bob x3 (two denied), one auth failure. */
static int
make_db(void)
{
	static const struct {
		const char *principal, *tool, *outcome, *decision, *auth;
		int64_t	 lat;
	} rows[] = {
		{ "alice", "search_orders", "ok", "allow", "ok", 1000 },
		{ "alice", "search_orders", "ok", "allow", "ok", 2000 },
		{ "alice", "search_orders", "ok", "allow", "ok", 3000 },
		{ "alice", "get_order", "tool_error", "allow", "ok", 4000 },
		{ "alice", "issue_refund", "ok", "allow", "ok", 90000 },
		{ "alice", NULL, "ok", "allow", "ok", 500 },
		{ "bob", "issue_refund", "auth_error", "deny", "ok", 100 },
		{ "bob", "issue_refund", "auth_error", "deny", "ok", 100 },
		{ "bob", "search_orders", "ok", "allow", "ok", 5000 },
		{ NULL, NULL, "auth_error", "deny", "invalid", 50 },
	};
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 rid[40], h[65];
	size_t		 i;
	int		 rc = 0;

	snprintf(dbpath, sizeof(dbpath), "/tmp/test_report.%d.db", getpid());
	unlink(dbpath);
	if (sqlite3_open(dbpath, &db) != SQLITE_OK ||
	    exec_file(db, "sql/010_audit_events.sql") == -1 ||
	    sqlite3_exec(db, "PRAGMA user_version = 10", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO audit_events (chain_version, "
	    "chain_alg, kind, ts_us, host_id, request_id, principal, tool, "
	    "outcome, decision, auth_result, latency_us, http_status, "
	    "client_addr, scope_required, prev_hash, row_hash) VALUES (1, "
	    "'sha256', 'request', ?1, 'h', ?2, ?3, ?4, ?5, ?6, ?7, ?8, 200, "
	    "?9, ?10, ?11, ?11)", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(rid, sizeof(rid), "req%zu", i);
		snprintf(h, sizeof(h), "%064zu", i);
		sqlite3_bind_int64(st, 1, INT64_C(1741170600000000) +
		    (int64_t)i * INT64_C(3600000000));
		sqlite3_bind_text(st, 2, rid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, rows[i].principal, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, rows[i].tool, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, rows[i].outcome, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, rows[i].decision, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, rows[i].auth, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 8, rows[i].lat);
		sqlite3_bind_text(st, 9, rows[i].principal ? "10.0.0.1" :
		    "198.51.100.9", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, rows[i].tool &&
		    strcmp(rows[i].tool, "issue_refund") == 0 ?
		    "refunds:write" : "orders:read", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 11, h, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* Runs report_main and parses its JSON output.  OUT: *rc. */
static json_t *
run(int *rc, const char *a1, const char *a2, const char *a3,
    const char *a4, const char *a5)
{
	char		 out[80];
	const char	*argv[16];
	json_error_t	 je;
	json_t		*j;
	int		 argc = 0;

	snprintf(out, sizeof(out), "%s.json", dbpath);
	unlink(out);
	argv[argc++] = "report";
	argv[argc++] = a1;
	argv[argc++] = "--db";
	argv[argc++] = dbpath;
	argv[argc++] = "--format";
	argv[argc++] = "json";
	argv[argc++] = "-o";
	argv[argc++] = out;
	argv[argc++] = "--no-progress";
	if (a2)
		argv[argc++] = a2;
	if (a3)
		argv[argc++] = a3;
	if (a4)
		argv[argc++] = a4;
	if (a5)
		argv[argc++] = a5;
	argv[argc] = NULL;
	*rc = report_main(argc, (char **)argv);
	j = json_load_file(out, 0, &je);
	unlink(out);
	return j;
}

static json_t *
table(json_t *j, const char *id)
{
	size_t	 i;
	json_t	*t;

	json_array_foreach(json_object_get(j, "tables"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), id) ==
		    0)
			return json_object_get(t, "rows");
	return NULL;
}

static json_int_t
cell_i(json_t *rows, size_t r, const char *col)
{
	return json_integer_value(json_object_get(json_array_get(rows, r),
	    col));
}

static double
cell_d(json_t *rows, size_t r, const char *col)
{
	return json_number_value(json_object_get(json_array_get(rows, r),
	    col));
}

static const char *
cell_s(json_t *rows, size_t r, const char *col)
{
	return json_string_value(json_object_get(json_array_get(rows, r),
	    col));
}

static unsigned long long
fnv(const char *p, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void
test_reports(void)
{
	json_t	*j, *rows, *m;
	char	 before[65], after[65];
	int	 rc;
	FILE	*f;
	char	 buf[1 << 16];
	size_t	 n;

	if (make_db() == -1) {
		T_OK(0, "the test database is built");
		return;
	}
	f = fopen(dbpath, "rb");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	snprintf(before, sizeof(before), "%zu:%016llx", n, fnv(buf, n));

	j = run(&rc, "summary", NULL, NULL, NULL, NULL);
	T_OK(rc == 0 && j != NULL, "summary runs");
	rows = table(j, "overview");
	T_EQ_INT(cell_i(rows, 0, "requests"), 10, "summary: 10 requests");
	T_EQ_INT(cell_i(rows, 0, "denied"), 3, "summary: 3 denied");
	T_EQ_INT(cell_i(rows, 0, "failed"), 1, "summary: 1 failed");
	T_EQ_INT(cell_i(rows, 0, "auth_failures"), 1, "summary: 1 auth "
	    "failure");
	T_EQ_INT(cell_i(rows, 0, "principals"), 2, "summary: 2 principals");
	T_OK(cell_d(rows, 0, "p50_ms") == 1.0 && cell_d(rows, 0, "max_ms") ==
	    90.0, "summary: exact p50 (1 ms of 10 values) and max");
	rows = table(j, "latency");
	T_EQ_STR(cell_s(rows, 0, "tool"), "search_orders",
	    "latency: busiest tool first");
	T_OK(cell_d(rows, 0, "p50_ms") == 2.5 || cell_d(rows, 0, "p50_ms") ==
	    2.0, "latency: p50 of 1,2,3,5 ms is 2 (nearest rank)");
	T_OK(cell_d(rows, 0, "p99_ms") == 5.0, "latency: p99 is 5 ms");
	m = json_object_get(j, "manifest");
	T_EQ_INT(json_integer_value(json_object_get(m, "rows")), 10,
	    "manifest: rows");
	T_EQ_INT(json_integer_value(json_object_get(m, "first_seq")), 1,
	    "manifest: first_seq");
	T_EQ_INT(json_integer_value(json_object_get(m, "last_seq")), 10,
	    "manifest: last_seq");
	T_EQ_STR(json_string_value(json_object_get(m, "chain_head")),
	    "0000000000000000000000000000000000000000000000000000000000000009",
	    "manifest: the chain head is the newest row_hash");
	T_OK(json_object_get(m, "analyzer") && json_object_get(m, "database")
	    && json_object_get(m, "first_ts") && json_object_get(m,
	    "parameters"), "manifest: analyzer, database, times, parameters");
	json_decref(j);

	j = run(&rc, "access", "--tool", "issue_refund", NULL, NULL);
	rows = table(j, "access");
	T_OK(rc == 0 && json_array_size(rows) == 3, "access --tool: 3 calls");
	T_EQ_STR(cell_s(rows, 0, "principal"), "alice",
	    "access: in sequence order");
	T_EQ_STR(cell_s(rows, 1, "decision"), "deny", "access: bob denied");
	T_EQ_INT(json_integer_value(json_object_get(json_object_get(j,
	    "manifest"), "rows")), 3, "manifest: rows after the filter");
	json_decref(j);

	j = run(&rc, "denials", "--principal", "bob", NULL, NULL);
	rows = table(j, "denials");
	T_OK(rc == 0 && json_array_size(rows) == 1 && cell_i(rows, 0,
	    "denials") == 2, "denials: bob x refunds:write x issue_refund, 2");
	T_EQ_STR(cell_s(rows, 0, "scope_required"), "refunds:write",
	    "denials: the scope");
	json_decref(j);

	j = run(&rc, "principals", "--range",
	    "2025-03-05T10:30Z..2025-03-05T13:30Z", NULL, NULL);
	rows = table(j, "principals");
	T_OK(rc == 0 && json_array_size(rows) == 1 && cell_i(rows, 0,
	    "requests") == 3, "principals --range: the first 3 hours");
	json_decref(j);

	j = run(&rc, "tools", "--outcome", "error", "--table", "tools");
	rows = table(j, "tools");
	T_OK(rc == 0 && json_array_size(json_object_get(j, "tables")) == 1,
	    "--table keeps one table");
	T_OK(json_array_size(rows) == 2, "--outcome error: 2 tools failed "
	    "or were denied");
	json_decref(j);

	j = run(&rc, "all", NULL, NULL, NULL, NULL);
	T_OK(rc == 0 && table(j, "sessions") && table(j, "access_matrix") &&
	    table(j, "idempotency_findings") && table(j, "auth_by_address"),
	    "all: every report in one document");
	rows = table(j, "auth_by_address");
	T_EQ_STR(cell_s(rows, 0, "client_addr"), "198.51.100.9",
	    "auth: the failing address");
	json_decref(j);

	j = run(&rc, "nosuch", NULL, NULL, NULL, NULL);
	T_OK(rc == 3 && j == NULL, "an unknown report exits 3");
	j = run(&rc, "summary", "--from", "03/01/2025", NULL, NULL);
	T_OK(rc == 3 && j == NULL, "a bad time exits 3");
	j = run(&rc, "summary", "--outcome", "fine", NULL, NULL);
	T_OK(rc == 3 && j == NULL, "a bad outcome exits 3");
	j = run(&rc, "summary", "--table", "nosuch", NULL, NULL);
	T_OK(rc == 3 && j == NULL, "an unknown --table exits 3");

	f = fopen(dbpath, "rb");
	n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	snprintf(after, sizeof(after), "%zu:%016llx", n, fnv(buf, n));
	T_EQ_STR(after, before, "the database is unchanged");
	unlink(dbpath);
}

static void
test_db_open(void)
{
	struct audit_db	*db;
	char		 err[512], path[80];
	sqlite3		*s;
	FILE		*f;

	T_OK(audit_db_open("/nonexistent/audit.db", 0, &db, err,
	    sizeof(err)) == -1 && strstr(err, "cannot open"),
	    "a missing file is refused");
	snprintf(path, sizeof(path), "/tmp/test_report_junk.%d", getpid());
	f = fopen(path, "w");
	if (f) {
		fputs("this is not a database, not at all, no.........", f);
		fclose(f);
	}
	T_OK(audit_db_open(path, 0, &db, err, sizeof(err)) == -1,
	    "a file that is not SQLite is refused (%s)", err);
	unlink(path);
	if (sqlite3_open(path, &s) == SQLITE_OK) {
		sqlite3_exec(s, "CREATE TABLE t (x); PRAGMA user_version = 10",
		    NULL, NULL, NULL);
		sqlite3_close(s);
	}
	T_OK(audit_db_open(path, 0, &db, err, sizeof(err)) == -1 &&
	    strstr(err, "not an mcpgate audit database"),
	    "a database without audit_events is refused");
	unlink(path);
	if (sqlite3_open(path, &s) == SQLITE_OK) {
		sqlite3_exec(s, "CREATE TABLE audit_events (seq INTEGER PRIMARY "
		    "KEY AUTOINCREMENT); PRAGMA user_version = 99", NULL, NULL,
		    NULL);
		sqlite3_close(s);
	}
	T_OK(audit_db_open(path, 0, &db, err, sizeof(err)) == -1 &&
	    strstr(err, "schema version 99") && strstr(err, "upgrade"),
	    "an unknown schema version is refused by number");
	unlink(path);
}

int
main(void)
{
	test_percentiles();
	test_intern();
	test_hints();
	test_db_open();
	test_reports();
	return t_done();
}
