/*
 * test_checks.c -- the semantic checks of SQL tools ("checks", issue 4),
 * in process: through config_load, config_tool and t->ops->call, as the
 * endpoint runs them, against a real SQLite file.
 *
 * Config: a check that writes, an unknown member, a bad category, more
 * than 16 checks are refused with the JSON path.  Messages: {col} from the
 * check's row, {arg} from the arguments, unknown names literal, values cut
 * at 64 bytes and never inside a UTF-8 character.  Transactions: a write
 * tool's checks run after its BEGIN IMMEDIATE (two SQL functions, added to
 * every connection with sqlite3_auto_extension, tell whether the check's
 * connection is in a transaction and whether a second connection is kept
 * from writing), and a failing check, a check's own error or timeout
 * leave the database as it was with no transaction open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "bounds.h"
#include "config.h"
#include "tool.h"
#include "t.h"

#define REQ_ID	"req-checks-0001"

static char	 dir[] = "/tmp/mcpgate-test-checks.XXXXXX";
static char	 path[512], dbpath[600];
static sqlite3	*other;		/* a second connection to the test database */

/* t_in_txn(): 1 when the calling connection is inside a transaction. */
static void
fn_in_txn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	sqlite3_result_int(ctx,
	    !sqlite3_get_autocommit(sqlite3_context_db_handle(ctx)));
}

/* t_write_locked(): 1 when another connection cannot start a write now. */
static void
fn_write_locked(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int	 rc;

	rc = sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_result_int(ctx, (rc & 0xff) == SQLITE_BUSY);
}

static int
t_functions(sqlite3 *db, char **err, const void *api)
{
	if (sqlite3_create_function(db, "t_in_txn", 0, SQLITE_UTF8, NULL,
	    fn_in_txn, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "t_write_locked", 0, SQLITE_UTF8,
	    NULL, fn_write_locked, NULL, NULL) != SQLITE_OK)
		return SQLITE_ERROR;
	return SQLITE_OK;
}

static struct config *
load(const char *json, char *err, size_t errlen)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return NULL;
	fputs(json, f);
	fclose(f);
	return config_load(path, CONFIG_VERIFY, err, errlen);
}

/* A config that must be refused with want in the message. */
static void
bad(const char *name, const char *json, const char *want)
{
	char		 err[BOUNDS_ERRMSG_LEN];
	struct config	*cfg = load(json, err, sizeof(err));

	T_OK(cfg == NULL && strstr(err, want) != NULL,
	    "refused: %s (want \"%s\", got: %s)", name, want,
	    cfg ? "loaded" : err);
	config_free(cfg);
}

static void
good(const char *name, const char *json)
{
	char		 err[BOUNDS_ERRMSG_LEN];
	struct config	*cfg = load(json, err, sizeof(err));

	T_OK(cfg != NULL, "accepted: %s (%s)", name, cfg ? "ok" : err);
	config_free(cfg);
}

/* One value from the test database, read through the other connection. */
static long long
q1(const char *sql)
{
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_prepare_v2(other, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* 1 when no connection holds a write lock or an open write transaction. */
static int
unlocked(void)
{
	if (sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	return 1;
}

/*
 * Calls tool with the JSON arguments as principal "demo".  idem, when
 * given, is the (scoped) idempotency key, with the arguments as the
 * fingerprint.  res and err are cleared first; the caller clears them.
 */
static int
call(struct config *cfg, const char *tool, const char *argv, const char *idem,
    struct tool_result *res, struct tool_error *err)
{
	struct tool		*t = cfg ? config_tool(cfg, tool) : NULL;
	struct tool_caller	 who;
	json_t			*args;
	int			 rc;

	memset(res, 0, sizeof(*res));
	memset(err, 0, sizeof(*err));
	if (t == NULL)
		return -2;
	memset(&who, 0, sizeof(who));
	who.principal = "demo";
	who.auth_method = "apikey";
	who.request_id = REQ_ID;
	who.idem_key = idem;
	who.idem_fp = idem ? argv : NULL;
	who.idem_ttl = 3600;
	if ((args = json_loads(argv, 0, NULL)) == NULL)
		return -2;
	rc = t->ops->call(t, &who, args, res, err);
	json_decref(args);
	return rc;
}

/* Calls a tool whose checks must fail; returns its message (static). */
static const char *
failmsg(struct config *cfg, const char *tool, const char *argv,
    const char *wantcode)
{
	static char		 msg[BOUNDS_ERRMSG_LEN];
	struct tool_result	 res;
	struct tool_error	 err;
	int			 rc;

	rc = call(cfg, tool, argv, NULL, &res, &err);
	snprintf(msg, sizeof(msg), "%s", rc == -1 && strcmp(err.code,
	    wantcode) == 0 ? err.message : "(the check did not fail)");
	tool_result_clear(&res);
	tool_error_clear(&err);
	return msg;
}

/* n times c in buf (at least n + 1 bytes). */
static const char *
rep(char *buf, size_t n, char c)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* {"s": n times c, then tail}, in buf (256 bytes). */
static const char *
sarg(char *buf, size_t n, char c, const char *tail)
{
	char	 v[128];

	snprintf(buf, 256, "{\"s\":\"%s%s\"}", rep(v, n, c), tail);
	return buf;
}

#define DB	"\"databases\":{\"d\":{\"path\":\"d.db\"}}"
#define RO	"\"annotations\":{\"readOnlyHint\":true}"
#define RW	"\"annotations\":{\"readOnlyHint\":false}"
#define PROPS(p) "\"input_schema\":{\"type\":\"object\",\"properties\":{" p "}}"
#define CHECK(sql, cat, code, msg) "{\"sql\":\"" sql "\",\"category\":\"" \
	cat "\",\"code\":\"" code "\",\"message\":\"" msg "\"}"
#define STATIC_TOOL "{\"name\":\"s\",\"kind\":\"static\",\"content\":" \
	"[{\"type\":\"text\",\"text\":\"x\"}]}"

/* A read-only tool over t with the given checks (a JSON array body). */
#define ROTOOL(checks) "{" DB ",\"tools\":[" STATIC_TOOL ",{\"name\":\"a\"," \
	"\"kind\":\"sql\",\"database\":\"d\",\"sql\":\"SELECT id FROM t\"," \
	RO ",\"input_schema\":{\"type\":\"object\",\"properties\":" \
	"{\"id\":{\"type\":\"integer\"}}},\"checks\":[" checks "]}]}"

static void
test_config(void)
{
	char	 json[8192], *p;
	int	 i, n;

	good("a tool with two checks", ROTOOL(
	    CHECK("SELECT 1", "validation", "a", "m") ","
	    CHECK("SELECT :id > 0", "conflict", "b", "m")));
	/* The tool is /tools/1, its second check /checks/1. */
	bad("a check that writes", ROTOOL(
	    CHECK("SELECT 1", "validation", "a", "m") ","
	    CHECK("DELETE FROM t", "conflict", "b", "m")),
	    "/tools/1/checks/1/sql: a check must be a read-only query");
	bad("a check that writes (INSERT ... RETURNING)", ROTOOL(
	    CHECK("INSERT INTO t (v) VALUES (1) RETURNING 1", "conflict", "b",
	    "m")), "/tools/1/checks/0/sql: a check must be a read-only query");
	bad("a check of a write tool that writes", "{" DB ",\"tools\":[{"
	    "\"name\":\"w\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":"
	    "\"DELETE FROM t\",\"result\":\"exec\"," RW ",\"checks\":["
	    CHECK("UPDATE t SET v = 1", "conflict", "b", "m") "]}]}",
	    "/tools/0/checks/0/sql: a check must be a read-only query");
	bad("a check with two statements", ROTOOL(
	    CHECK("SELECT 1; SELECT 2", "conflict", "b", "m")),
	    "/tools/1/checks/0/sql: must be exactly one statement");
	bad("a check with a syntax error", ROTOOL(
	    CHECK("SELEC 1", "conflict", "b", "m")),
	    "/tools/1/checks/0/sql: near");
	bad("a check binding an argument the schema lacks", ROTOOL(
	    CHECK("SELECT :nope", "conflict", "b", "m")),
	    "/tools/1/checks/0/sql: parameter :nope is not a property");
	bad("a check binding an unknown caller parameter", ROTOOL(
	    CHECK("SELECT @user", "conflict", "b", "m")),
	    "/tools/1/checks/0/sql: unknown caller parameter @user");
	bad("an unknown check member", ROTOOL(
	    "{\"sql\":\"SELECT 1\",\"category\":\"conflict\",\"message\":\"m\","
	    "\"severity\":\"high\"}"),
	    "/tools/1/checks/0: unknown member \"severity\"");
	bad("category \"rate_limited\" (not a check's)", ROTOOL(
	    CHECK("SELECT 1", "rate_limited", "b", "m")),
	    "/tools/1/checks/0/category: must be validation, authorization, "
	    "not_found or conflict");
	bad("category \"internal\"", ROTOOL(
	    CHECK("SELECT 1", "internal", "b", "m")), "/checks/0/category:");
	bad("category \"Conflict\" (case matters)", ROTOOL(
	    CHECK("SELECT 1", "Conflict", "b", "m")), "/checks/0/category:");
	bad("no category", ROTOOL("{\"sql\":\"SELECT 1\",\"message\":\"m\"}"),
	    "/tools/1/checks/0/category:");
	bad("no message", ROTOOL("{\"sql\":\"SELECT 1\",\"category\":"
	    "\"conflict\"}"), "/tools/1/checks/0/message: required");
	bad("an empty message", ROTOOL(CHECK("SELECT 1", "conflict", "b", "")),
	    "/tools/1/checks/0/message: required");
	bad("no sql", ROTOOL("{\"category\":\"conflict\",\"message\":\"m\"}"),
	    "/tools/1/checks/0/sql: required");
	bad("a check that is not an object", ROTOOL("\"SELECT 1\""),
	    "/tools/1/checks/0: must be an object");
	bad("checks not an array", "{" DB ",\"tools\":[{\"name\":\"a\",\"kind\":"
	    "\"sql\",\"database\":\"d\",\"sql\":\"SELECT 1\"," RO ",\"checks\":"
	    "{}}]}", "/tools/0/checks: must be an array of at most 16");
	good("a code of 63 bytes", ROTOOL(CHECK("SELECT 1", "conflict",
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "m")));
	bad("a code of 64 bytes", ROTOOL(CHECK("SELECT 1", "conflict",
	    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "m")), "/tools/1/checks/0/code: must be a short string");

	/* At most 16 checks: 16 load, 17 are refused. */
	for (n = 16; n <= 17; n++) {
		p = json;
		p += snprintf(p, sizeof(json), "{" DB ",\"tools\":[{\"name\":"
		    "\"a\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":"
		    "\"SELECT 1\"," RO ",\"checks\":[");
		for (i = 0; i < n; i++)
			p += snprintf(p, sizeof(json) - (size_t)(p - json),
			    "%s" CHECK("SELECT %d", "conflict", "c%d", "m"),
			    i ? "," : "", i, i);
		snprintf(p, sizeof(json) - (size_t)(p - json), "]}]}");
		if (n == 16)
			good("16 checks (the most)", json);
		else
			bad("17 checks", json,
			    "/tools/0/checks: must be an array of at most 16 "
			    "checks");
	}
}

static void
test_placeholders(void)
{
	char		 err[BOUNDS_ERRMSG_LEN], want[BOUNDS_ERRMSG_LEN];
	char		 args[256], x[80], a[80];
	struct config	*cfg;
	const char	*m;
	int		 i;

	cfg = load("{" DB ",\"tools\":["
	    /* Every kind of placeholder in one message. */
	    "{\"name\":\"fmt\",\"kind\":\"sql\",\"database\":\"d\","
	    "\"sql\":\"SELECT id FROM t WHERE id = :id\"," RO ","
	    PROPS("\"id\":{\"type\":\"integer\"},\"s\":{\"type\":\"string\"},"
	    "\"r\":{\"type\":\"number\"},\"b\":{\"type\":\"boolean\"},"
	    "\"o\":{\"type\":\"object\"},\"n\":{\"type\":\"null\"},"
	    "\"status\":{\"type\":\"string\"}") ",\"checks\":["
	    CHECK("SELECT 0 AS ok, status, NULL AS missing, v AS value "
	    "FROM t WHERE id = :id", "conflict", "fmt",
	    "status={status} value={value} id={id} s={s} r={r} b={b} o={o} "
	    "n={n} missing={missing} unknown={unknown} empty={} "
	    "me={@principal} open={id") "]},"
	    /* Values of every length, from the row and from arguments. */
	    "{\"name\":\"cut\",\"kind\":\"sql\",\"database\":\"d\","
	    "\"sql\":\"SELECT 1\"," RO "," PROPS("\"s\":{\"type\":\"string\"}")
	    ",\"checks\":["
	    CHECK("SELECT 0, replace(hex(zeroblob(50)), '0', 'x') AS long, "
	    ":s AS col", "validation", "cut", "[{long}][{s}][{col}]") "]},"
	    /* The first column decides; the first failing check answers. */
	    "{\"name\":\"truth\",\"kind\":\"sql\",\"database\":\"d\","
	    "\"sql\":\"SELECT 1 AS ok\"," RO "," PROPS("\"k\":{\"type\":"
	    "\"string\"}") ",\"checks\":["
	    "{\"sql\":\"SELECT CASE :k WHEN 'null' THEN NULL WHEN 'zero' "
	    "THEN 0 WHEN 'two' THEN 2 WHEN 'text1' THEN '1' WHEN 'text' THEN "
	    "'yes' WHEN 'half' THEN 0.5 END WHERE :k <> 'none'\",\"category\":"
	    "\"not_found\",\"message\":\"first {k}\"},"
	    CHECK("SELECT 0", "conflict", "second", "second") "]}"
	    "]}", err, sizeof(err));
	T_OK(cfg != NULL, "placeholder tools load (%s)", cfg ? "ok" : err);
	if (cfg == NULL)
		return;

	m = failmsg(cfg, "fmt", "{\"id\":1,\"s\":\"str\",\"r\":1.5,\"b\":true,"
	    "\"o\":{\"k\":1},\"n\":null,\"status\":\"from-argument\"}", "fmt");
	T_EQ_STR(m, "status=shipped value=one id=1 s=str r=1.5 b=true o={o} "
	    "n={n} missing=null unknown={unknown} empty={} me={@principal} "
	    "open={id", "{col} from the row (before an argument of that name), "
	    "{arg} from the arguments, NULL as null; objects, null arguments, "
	    "unknown names, {} and an open brace stay literal");
	m = failmsg(cfg, "fmt", "{\"id\":999,\"s\":\"str\",\"b\":false,"
	    "\"status\":\"from-argument\"}", "fmt");
	T_EQ_STR(m, "status=from-argument value={value} id=999 s=str r={r} "
	    "b=false o={o} n={n} missing={missing} unknown={unknown} empty={} "
	    "me={@principal} open={id", "no row: every name from the "
	    "arguments, absent ones stay literal");

	/* 64 bytes is the most: N and N+1, in ASCII and across characters. */
	m = failmsg(cfg, "cut", sarg(args, 64, 'a', ""), "cut");
	snprintf(want, sizeof(want), "[%s][%s][%s]", rep(x, 64, 'x'),
	    rep(a, 64, 'a'), a);
	T_EQ_STR(m, want, "a 100-byte column value is cut at 64 bytes; a "
	    "64-byte value stays whole, from the arguments and from the row");
	m = failmsg(cfg, "cut", sarg(args, 64, 'a', "Z"), "cut");
	T_EQ_STR(m, want, "a 65-byte value is cut at 64 bytes");
	m = failmsg(cfg, "cut", sarg(args, 62, 'a', "\xc3\xa9"), "cut");
	snprintf(want, sizeof(want), "[%s][%s\xc3\xa9][%s\xc3\xa9]",
	    rep(x, 64, 'x'), rep(a, 62, 'a'), a);
	T_EQ_STR(m, want, "a 2-byte character ending at byte 64 is kept");
	m = failmsg(cfg, "cut", sarg(args, 63, 'a', "\xc3\xa9"), "cut");
	snprintf(want, sizeof(want), "[%s][%s][%s]", rep(x, 64, 'x'),
	    rep(a, 63, 'a'), a);
	T_EQ_STR(m, want, "a 2-byte character across byte 64 is dropped "
	    "whole, never split");
	m = failmsg(cfg, "cut", sarg(args, 60, 'a', "\xf0\x9f\x98\x80"),
	    "cut");
	snprintf(want, sizeof(want), "[%s][%s\xf0\x9f\x98\x80]"
	    "[%s\xf0\x9f\x98\x80]", rep(x, 64, 'x'), rep(a, 60, 'a'), a);
	T_EQ_STR(m, want, "a 4-byte character ending at byte 64 is kept");
	for (i = 61; i <= 63; i++) {
		m = failmsg(cfg, "cut", sarg(args, i, 'a',
		    "\xf0\x9f\x98\x80"), "cut");
		snprintf(want, sizeof(want), "[%s][%s][%s]", rep(x, 64, 'x'),
		    rep(a, (size_t)i, 'a'), a);
		T_EQ_STR(m, want, "a 4-byte character across byte 64 (at "
		    "%d) is dropped whole", i);
	}

	/* Truthiness of the first column, and check order. */
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"none\"}", "not_found"),
	    "first none", "no row: the check fails (default code: the category)");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"null\"}", "not_found"),
	    "first null", "NULL: the check fails");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"zero\"}", "not_found"),
	    "first zero", "0: the check fails");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"text\"}", "not_found"),
	    "first text", "non-numeric text: the check fails");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"two\"}", "second"),
	    "second", "2: the first check passes, the second answers");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"text1\"}", "second"),
	    "second", "'1': the first check passes");
	T_EQ_STR(failmsg(cfg, "truth", "{\"k\":\"half\"}", "second"),
	    "second", "0.5 (non-zero): the first check passes");
	config_free(cfg);
}

static void
test_transactions(void)
{
	char			 err[BOUNDS_ERRMSG_LEN];
	struct config		*cfg;
	struct tool_result	 res;
	struct tool_error	 e;
	json_t			*first;
	long long		 before;
	int			 rc;

	cfg = load("{" DB ",\"tools\":["
	    "{\"name\":\"add\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":"
	    "\"INSERT INTO t (v, status) VALUES (:v, 'new') RETURNING id, v\","
	    "\"result\":\"one\"," RW "," PROPS("\"v\":{\"type\":\"string\"}")
	    ",\"checks\":["
	    CHECK("SELECT t_in_txn() AS in_txn, t_write_locked() AS locked",
	    "conflict", "no_txn", "in_txn={in_txn}") ","
	    CHECK("SELECT t_write_locked()", "conflict", "no_lock", "unlocked")
	    ","
	    CHECK("SELECT :v <> 'bad' AS ok, count(*) AS n FROM t",
	    "validation", "bad_value", "{v} is refused ({n} rows)") "]},"
	    "{\"name\":\"broken\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":"
	    "\"INSERT INTO t (v) VALUES ('broken')\",\"result\":\"exec\"," RW
	    ",\"checks\":["
	    CHECK("SELECT abs(-9223372036854775807 - 1)", "conflict", "x",
	    "never") "]},"
	    "{\"name\":\"slow\",\"kind\":\"sql\",\"database\":\"d\",\"sql\":"
	    "\"INSERT INTO t (v) VALUES ('slow')\",\"result\":\"exec\","
	    "\"timeout_ms\":100," RW ",\"checks\":["
	    CHECK("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 "
	    "FROM c WHERE x < 1000000000) SELECT count(*) FROM c", "conflict",
	    "x", "never") "]}"
	    "]}", err, sizeof(err));
	T_OK(cfg != NULL, "write tools with checks load (%s)", cfg ? "ok" : err);
	if (cfg == NULL)
		return;

	before = q1("SELECT count(*) FROM t");
	rc = call(cfg, "add", "{\"v\":\"good\"}", NULL, &res, &e);
	T_OK(rc == 0 && json_is_string(json_object_get(res.structured, "v")),
	    "checks pass inside BEGIN IMMEDIATE (in a transaction, other "
	    "writers locked out), then the statement runs (%s: %s)", e.code,
	    e.message);
	tool_result_clear(&res);
	tool_error_clear(&e);
	T_EQ_INT(q1("SELECT count(*) FROM t WHERE v = 'good'"), 1,
	    "... its row is committed");
	T_OK(unlocked(), "... and the write lock is released");

	before = q1("SELECT count(*) FROM t");
	rc = call(cfg, "add", "{\"v\":\"bad\"}", NULL, &res, &e);
	T_OK(rc == -1 && e.cat == TOOL_ERR_VALIDATION &&
	    strcmp(e.code, "bad_value") == 0 && !e.retryable,
	    "a failing check: its category and code, not retryable");
	T_OK(strstr(e.message, "bad is refused (") != NULL,
	    "... its message, filled in (%s)", e.message);
	T_OK(res.structured == NULL, "... and no result");
	tool_result_clear(&res);
	tool_error_clear(&e);
	T_EQ_INT(q1("SELECT count(*) FROM t"), before,
	    "... the database is unchanged");
	T_OK(unlocked(), "... and no transaction is left open");

	/*
	 * With an idempotency key: the first call in this process fails a
	 * check (its transaction rolls back), and the next write must still
	 * find the idempotency table.
	 */
	rc = call(cfg, "add", "{\"v\":\"bad\"}", "idem-key-1", &res, &e);
	T_OK(rc == -1 && strcmp(e.code, "bad_value") == 0,
	    "with an idempotency key, a failing check fails the same way");
	tool_result_clear(&res);
	tool_error_clear(&e);
	rc = call(cfg, "add", "{\"v\":\"keyed\"}", "idem-key-2", &res, &e);
	T_OK(rc == 0 && !res.replayed, "... and the next keyed write after "
	    "that rollback succeeds (%s: %s)", e.code, e.message);
	first = json_incref(res.structured);
	tool_result_clear(&res);
	tool_error_clear(&e);
	rc = call(cfg, "add", "{\"v\":\"keyed\"}", "idem-key-2", &res, &e);
	T_OK(rc == 0 && res.replayed && json_equal(first, res.structured),
	    "... and its retry with the same key replays the first result");
	json_decref(first);
	tool_result_clear(&res);
	tool_error_clear(&e);
	T_EQ_INT(q1("SELECT count(*) FROM t WHERE v = 'keyed'"), 1,
	    "... written once");
	T_EQ_INT(q1("SELECT count(*) FROM t WHERE v = 'bad'"), 0,
	    "... and never the refused value");

	before = q1("SELECT count(*) FROM t");
	rc = call(cfg, "broken", "{}", NULL, &res, &e);
	T_OK(rc == -1 && e.cat == TOOL_ERR_INTERNAL &&
	    strstr(e.message, REQ_ID) != NULL && strstr(e.message,
	    "overflow") == NULL && strstr(e.message, "SELECT") == NULL,
	    "a check that errors: internal, the request id, no SQLite text "
	    "(%s)", e.message);
	tool_result_clear(&res);
	tool_error_clear(&e);
	T_EQ_INT(q1("SELECT count(*) FROM t"), before,
	    "... the statement did not run");
	T_OK(unlocked(), "... and the transaction was rolled back");

	rc = call(cfg, "slow", "{}", NULL, &res, &e);
	T_OK(rc == -1 && e.cat == TOOL_ERR_TRANSIENT &&
	    strcmp(e.code, "timeout") == 0 && e.retryable,
	    "a check past timeout_ms: transient, timeout, retryable (%s)",
	    e.code);
	tool_result_clear(&res);
	tool_error_clear(&e);
	T_EQ_INT(q1("SELECT count(*) FROM t"), before,
	    "... the statement did not run");
	T_OK(unlocked(), "... and the transaction was rolled back");
	rc = call(cfg, "add", "{\"v\":\"after\"}", NULL, &res, &e);
	T_OK(rc == 0, "... and the next write to the database succeeds "
	    "(%s: %s)", e.code, e.message);
	tool_result_clear(&res);
	tool_error_clear(&e);
	config_free(cfg);
}

int
main(void)
{
	char	 cmd[700];
	sqlite3	*h;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/mcpgate.json", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/d.db", dir);
	if (sqlite3_open(dbpath, &h) != SQLITE_OK ||
	    sqlite3_exec(h, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, "
	    "status TEXT); INSERT INTO t VALUES (1, 'one', 'shipped');",
	    NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	sqlite3_close(h);
	/* Every connection opened from here on has the two test functions. */
	if (sqlite3_auto_extension((void (*)(void))t_functions) != SQLITE_OK ||
	    sqlite3_open(dbpath, &other) != SQLITE_OK)
		return 1;

	test_config();
	test_placeholders();
	test_transactions();

	sqlite3_close(other);
	sqlite3_reset_auto_extension();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return t_done();
}
