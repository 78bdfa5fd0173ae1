/*
 * sql.c -- a tool that is one parameterised SQLite statement.
 *
 * Named parameters are bound, never interpolated: ":name" from the
 * validated arguments, "@principal", "@auth_method", "@request_id" and
 * "@now" from the caller.  A read-only tool (readOnlyHint) opens its
 * database with SQLITE_OPEN_READONLY and PRAGMA query_only, and its
 * statement must be one SQLite itself reports as read-only: SQLite
 * enforces it, we do not inspect SQL text.  Results are capped in rows and
 * bytes, with a truncation marker.  A statement runs under a deadline
 * (progress handler) and lock waits are bounded (busy timeout); both
 * become retryable "transient" errors.
 *
 * Semantic checks ("checks"), the second gate after the JSON Schema: each
 * is a read-only query bound like the statement; it passes when it returns
 * a row whose first column is true (non-zero, non-NULL).  Otherwise the
 * call fails with the check's own category, code and message, whose
 * {placeholders} are filled from the check's columns, then from the
 * arguments.  A write tool runs its checks inside its BEGIN IMMEDIATE
 * transaction, so what a check saw still holds when the statement runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "bounds.h"
#include "config.h"
#include "idem.h"
#include "sqlbusy.h"
#include "log.h"
#include "migrate.h"
#include "tool.h"
#include "tools/tools.h"

#define TSQL_TIMEOUT_MS_DEFAULT	5000
#define TSQL_TIMEOUT_MS_MAX	60000
#define TSQL_BUSY_MS		2000
#define TSQL_RETRY_AFTER	1	/* seconds, for busy and in-progress */

#define TSQL_CHECKS_MAX		16	/* checks per tool */
#define TSQL_PLACEHOLDER_LEN	64	/* bytes of a value put in a message */

const char *const tool_sql_keys[] = {
	"database", "sql", "result", "max_rows", "max_bytes",
	"not_found_message", "timeout_ms", "checks", NULL
};

enum tsql_mode { TSQL_ROWS, TSQL_ONE, TSQL_EXEC };

struct tsql_check {
	char		*sql;
	sqlite3_stmt	*st;
	enum tool_errcat cat;
	char		 code[64];
	char		*message;
};

/* A write's transaction statements, prepared once per process. */
enum tsql_tx {
	TSQL_BEGIN,
	TSQL_COMMIT,
	TSQL_ROLLBACK,
	TSQL_TX__MAX
};

static const char *const tsql_tx_sql[TSQL_TX__MAX] = {
	"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"
};

struct tsql {
	char		*dbpath;
	char		*sql;
	char		*not_found;
	enum tsql_mode	 mode;
	int		 read_only;
	int		 max_rows;
	size_t		 max_bytes;
	int		 timeout_ms;
	sqlite3		*db;		/* opened on first use, per process */
	sqlite3_stmt	*st;
	int64_t		 deadline_us;	/* of the running call */
	struct tsql_check checks[TSQL_CHECKS_MAX];
	size_t		 nchecks;
	int		 idem_ready;	/* record table checked this process */
	struct idem_cache idem;		/* its statements, kept */
	sqlite3_stmt	*tx[TSQL_TX__MAX]; /* writes: BEGIN, COMMIT, ROLLBACK */
};

static int64_t
tsql_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int
tsql_progress(void *arg)
{
	struct tsql *q = arg;

	return q->deadline_us != 0 && tsql_now_us() > q->deadline_us;
}

static void
tsql_close(struct tsql *q)
{
	size_t	 i;

	for (i = 0; i < q->nchecks; i++) {
		sqlite3_finalize(q->checks[i].st);
		q->checks[i].st = NULL;
	}
	sqlite3_finalize(q->st);
	idem_cache_clear(&q->idem);
	for (i = 0; i < TSQL_TX__MAX; i++) {
		sqlite3_finalize(q->tx[i]);
		q->tx[i] = NULL;
	}
	sqlite3_close(q->db);
	q->st = NULL;
	q->db = NULL;
	q->idem_ready = 0;
}

/* Runs BEGIN IMMEDIATE, COMMIT or ROLLBACK; an SQLite result code. */
static int
tsql_tx(struct tsql *q, enum tsql_tx which)
{
	int	 rc;

	if (which == TSQL_ROLLBACK && sqlite3_get_autocommit(q->db))
		return SQLITE_OK;
	rc = sqlite3_step(q->tx[which]);
	sqlite3_reset(q->tx[which]);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Prepares one statement of this tool (member names it in messages:
 * "/sql", "/checks/0/sql").  With inschema (config time), checks that it
 * is exactly one statement and that every parameter is :argument (a
 * property of the input schema) or a known @caller parameter.
 */
static int
tsql_prepare(sqlite3 *db, const char *sql, const char *member,
    json_t *inschema, sqlite3_stmt **out, char *err, size_t errlen)
{
	const char	*tail, *name;
	int		 i, n;
	json_t		*props;

	*out = NULL;
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out,
	    &tail) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", member, sqlite3_errmsg(db));
		return -1;
	}
	if (*out == NULL) {
		snprintf(err, errlen, "%s: contains no statement", member);
		return -1;
	}
	while (*tail == ' ' || *tail == '\t' || *tail == '\n' ||
	    *tail == '\r' || *tail == ';')
		tail++;
	if (*tail != '\0') {
		snprintf(err, errlen, "%s: must be exactly one statement",
		    member);
		return -1;
	}
	props = inschema ? json_object_get(inschema, "properties") : NULL;
	n = sqlite3_bind_parameter_count(*out);
	for (i = 1; inschema != NULL && i <= n; i++) {
		name = sqlite3_bind_parameter_name(*out, i);
		if (name == NULL || (name[0] != ':' && name[0] != '@')) {
			snprintf(err, errlen, "%s: parameter %d must be named "
			    ":argument or @principal, @auth_method, "
			    "@request_id, @now", member, i);
			return -1;
		}
		if (name[0] == ':' && json_object_get(props, name + 1) == NULL) {
			snprintf(err, errlen, "%s: parameter %s is not a "
			    "property of input_schema", member, name);
			return -1;
		}
		if (name[0] == '@' && strcmp(name, "@principal") != 0 &&
		    strcmp(name, "@auth_method") != 0 &&
		    strcmp(name, "@request_id") != 0 &&
		    strcmp(name, "@now") != 0) {
			snprintf(err, errlen, "%s: unknown caller parameter "
			    "%s (use @principal, @auth_method, @request_id or "
			    "@now)", member, name);
			return -1;
		}
	}
	return 0;
}

/*
 * Opens the database and prepares the statement and the checks.
 * inschema, when given, is checked against their parameters (config
 * time).
 */
static int
tsql_open(struct tsql *q, json_t *inschema, char *err, size_t errlen)
{
	char		 member[64];
	size_t		 c;
	int		 flags;

	flags = q->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(q->dbpath, &q->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "/database: cannot open %s: %s",
		    q->dbpath, q->db ? sqlite3_errmsg(q->db) : "no memory");
		goto fail;
	}
	sqlbusy_set(q->db, TSQL_BUSY_MS);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
	    NULL);
	/* Plain CGI: no checkpoint on close (lib/migrate.h). */
	migrate_oneshot_apply(q->db);
	if (q->read_only)
		sqlite3_exec(q->db, "PRAGMA query_only=1", NULL, NULL, NULL);
	if (tsql_prepare(q->db, q->sql, "/sql", inschema, &q->st, err,
	    errlen) == -1)
		goto fail;
	for (c = 0; !q->read_only && c < TSQL_TX__MAX; c++)
		if (sqlite3_prepare_v3(q->db, tsql_tx_sql[c], -1,
		    SQLITE_PREPARE_PERSISTENT, &q->tx[c], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "/database: %s: %s", q->dbpath,
			    sqlite3_errmsg(q->db));
			goto fail;
		}
	for (c = 0; c < q->nchecks; c++) {
		snprintf(member, sizeof(member), "/checks/%zu/sql", c);
		if (tsql_prepare(q->db, q->checks[c].sql, member, inschema,
		    &q->checks[c].st, err, errlen) == -1)
			goto fail;
		if (!sqlite3_stmt_readonly(q->checks[c].st) ||
		    sqlite3_column_count(q->checks[c].st) == 0) {
			snprintf(err, errlen, "%s: a check must be a read-only "
			    "query returning a row whose first column is true "
			    "when the check passes", member);
			goto fail;
		}
	}
	if (q->read_only && !sqlite3_stmt_readonly(q->st)) {
		snprintf(err, errlen, "/sql: the tool is read-only "
		    "(readOnlyHint) but SQLite reports that the statement "
		    "writes");
		goto fail;
	}
	if (q->mode == TSQL_EXEC && sqlite3_column_count(q->st) > 0) {
		snprintf(err, errlen, "/result: the statement returns columns; "
		    "use \"rows\" or \"one\"");
		goto fail;
	}
	if (q->mode != TSQL_EXEC && sqlite3_column_count(q->st) == 0) {
		snprintf(err, errlen, "/result: the statement returns no "
		    "columns; use \"exec\" (or add RETURNING)");
		goto fail;
	}
	sqlite3_progress_handler(q->db, 1000, tsql_progress, q);
	return 0;
fail:
	tsql_close(q);
	return -1;
}

static int
tsql_bind_json(sqlite3_stmt *st, int i, json_t *v)
{
	char	*s;
	int	 rc;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		return sqlite3_bind_int64(st, i, json_integer_value(v));
	case JSON_REAL:
		return sqlite3_bind_double(st, i, json_real_value(v));
	case JSON_STRING:
		return sqlite3_bind_text(st, i, json_string_value(v),
		    (int)json_string_length(v), SQLITE_TRANSIENT);
	case JSON_TRUE:
		return sqlite3_bind_int(st, i, 1);
	case JSON_FALSE:
		return sqlite3_bind_int(st, i, 0);
	case JSON_NULL:
		return sqlite3_bind_null(st, i);
	default:
		/* Objects and arrays bind as JSON text (json_* functions). */
		if ((s = json_dumps(v, JSON_COMPACT)) == NULL)
			return SQLITE_NOMEM;
		rc = sqlite3_bind_text(st, i, s, -1, free);
		return rc;
	}
}

static int
tsql_bind(sqlite3_stmt *st, const struct tool_caller *who, json_t *args)
{
	int		 i, n, rc;
	const char	*name;
	json_t		*v;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	n = sqlite3_bind_parameter_count(st);
	for (i = 1; i <= n; i++) {
		name = sqlite3_bind_parameter_name(st, i);
		if (name == NULL)
			return -1;
		rc = SQLITE_OK;
		if (name[0] == ':') {
			v = json_object_get(args, name + 1);
			if (v != NULL)
				rc = tsql_bind_json(st, i, v);
		} else if (strcmp(name, "@principal") == 0)
			rc = sqlite3_bind_text(st, i, who->principal, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@auth_method") == 0)
			rc = sqlite3_bind_text(st, i, who->auth_method, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@request_id") == 0)
			rc = sqlite3_bind_text(st, i, who->request_id, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@now") == 0)
			rc = sqlite3_bind_int64(st, i,
			    (sqlite3_int64)time(NULL));
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

/*
 * The length of the first n bytes of s without a UTF-8 sequence that the
 * cut at n left incomplete.  A message is JSON text: jansson refuses a
 * split character, and the model would get an internal error instead of
 * the check's message.
 */
static size_t
tsql_utf8_whole(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t		 i = n, need;

	while (i > 0 && n - i < 3 && (u[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0 || (u[i - 1] & 0xc0) != 0xc0)
		return n;
	need = u[i - 1] >= 0xf0 ? 4 : u[i - 1] >= 0xe0 ? 3 : 2;
	return n - (i - 1) < need ? i - 1 : n;
}

/*
 * Fills a check's message template: {name} takes the check row's column
 * of that name, else the argument of that name; values are cut at
 * TSQL_PLACEHOLDER_LEN bytes, never inside a UTF-8 character.  Unknown
 * names stay as they are.
 */
static void
tsql_format(const char *tmpl, sqlite3_stmt *row, json_t *args, char *out,
    size_t len)
{
	size_t	 o = 0;
	const char *p = tmpl;

	while (*p != '\0' && o + 1 < len) {
		const char *end;
		char	 name[64], val[TSQL_PLACEHOLDER_LEN + 1];
		int	 found = 0, i;

		if (*p != '{' || (end = strchr(p, '}')) == NULL ||
		    (size_t)(end - p - 1) >= sizeof(name) || end == p + 1) {
			out[o++] = *p++;
			continue;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
		for (i = 0; row != NULL && i < sqlite3_column_count(row); i++)
			if (strcmp(sqlite3_column_name(row, i), name) == 0) {
				const unsigned char *t =
				    sqlite3_column_text(row, i);

				snprintf(val, sizeof(val), "%s", t ? (const
				    char *)t : "null");
				found = 1;
				break;
			}
		if (!found) {
			json_t *v = json_object_get(args, name);

			if (json_is_string(v))
				snprintf(val, sizeof(val), "%s",
				    json_string_value(v));
			else if (json_is_integer(v))
				snprintf(val, sizeof(val), "%" JSON_INTEGER_FORMAT,
				    json_integer_value(v));
			else if (json_is_real(v))
				snprintf(val, sizeof(val), "%g",
				    json_real_value(v));
			else if (json_is_boolean(v))
				snprintf(val, sizeof(val), "%s",
				    json_is_true(v) ? "true" : "false");
			found = v != NULL && !json_is_null(v) &&
			    !json_is_object(v) && !json_is_array(v);
		}
		if (!found) {
			out[o++] = *p++;
			continue;
		}
		val[tsql_utf8_whole(val, strlen(val))] = '\0';
		for (i = 0; val[i] != '\0' && o + 1 < len; i++)
			out[o++] = val[i];
		p = end + 1;
	}
	out[tsql_utf8_whole(out, o)] = '\0';
}

/*
 * Runs the checks in order.  Returns 0 when all pass, -1 with err filled
 * (the check's own error, or a database error via *rc).
 */
static int
tsql_checks(struct tsql *q, const struct tool_caller *who, json_t *args,
    struct tool_error *err, int *rc)
{
	struct tsql_check *c;
	size_t		 i;
	int		 pass;

	*rc = SQLITE_OK;
	for (i = 0; i < q->nchecks; i++) {
		c = &q->checks[i];
		if (tsql_bind(c->st, who, args) == -1) {
			*rc = SQLITE_ERROR;
			return -1;
		}
		*rc = sqlite3_step(c->st);
		if (*rc != SQLITE_ROW && *rc != SQLITE_DONE) {
			sqlite3_reset(c->st);
			return -1;
		}
		/* True as SQL has it: 0.5 is true, as an integer it is 0. */
		pass = *rc == SQLITE_ROW &&
		    sqlite3_column_type(c->st, 0) != SQLITE_NULL &&
		    sqlite3_column_double(c->st, 0) != 0.0;
		if (!pass) {
			char msg[BOUNDS_ERRMSG_LEN];

			tsql_format(c->message, *rc == SQLITE_ROW ? c->st :
			    NULL, args, msg, sizeof(msg));
			tool_error_set(err, c->cat, c->code, "%s", msg);
			sqlite3_reset(c->st);
			*rc = SQLITE_OK;
			return -1;
		}
		sqlite3_reset(c->st);
	}
	*rc = SQLITE_OK;
	return 0;
}

/* One row as an object; adds its approximate size to *bytes. */
static json_t *
tsql_row(sqlite3_stmt *st, size_t *bytes)
{
	json_t	*row = json_object(), *v;
	int	 i, n = sqlite3_column_count(st);

	if (row == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *col = sqlite3_column_name(st, i);

		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(st, i));
			*bytes += 20;
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(st, i));
			*bytes += 24;
			break;
		case SQLITE_TEXT:
			v = json_stringn((const char *)
			    sqlite3_column_text(st, i),
			    (size_t)sqlite3_column_bytes(st, i));
			*bytes += (size_t)sqlite3_column_bytes(st, i) + 2;
			/* Invalid UTF-8 in the database: say so, not crash. */
			if (v == NULL)
				v = json_string("(invalid UTF-8)");
			break;
		case SQLITE_BLOB:
			v = json_sprintf("(%d bytes of binary data)",
			    sqlite3_column_bytes(st, i));
			*bytes += 32;
			break;
		default:
			v = json_null();
			*bytes += 4;
			break;
		}
		*bytes += strlen(col) + 4;
		if (v == NULL || json_object_set_new(row, col, v) == -1) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

static void
tsql_sqlerr(struct tsql *q, int rc, const struct tool_caller *who,
    struct tool_error *err)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		tool_error_set(err, TOOL_ERR_TRANSIENT, "database_busy",
		    "The database is busy; retry in a moment.");
		err->retry_after = 1;
		break;
	case SQLITE_INTERRUPT:
		tool_error_set(err, TOOL_ERR_TRANSIENT, "timeout",
		    "The tool did not finish within %d ms and was stopped; "
		    "nothing was changed. Retry later or narrow the request.",
		    q->timeout_ms);
		err->retry_after = 1;
		break;
	case SQLITE_CONSTRAINT:
		tool_error_set(err, TOOL_ERR_CONFLICT, "constraint",
		    "The change conflicts with existing data and was not "
		    "made.");
		break;
	default:
		log_err("sql tool: %s (request %s)", sqlite3_errmsg(q->db),
		    who->request_id);
		tool_error_set(err, TOOL_ERR_INTERNAL, "internal",
		    "An internal error occurred. Quote request id %s to the "
		    "operator.", who->request_id);
		break;
	}
}

static int
tsql_call(struct tool *t, const struct tool_caller *who, json_t *args,
    struct tool_result *res, struct tool_error *err)
{
	struct tsql	*q = t->impl;
	char		 oerr[BOUNDS_ERRMSG_LEN];
	json_t		*rows = NULL, *row;
	size_t		 bytes = 0;
	int		 rc, nrows = 0, truncated = 0, intx = 0, changes;
	int64_t		 dl;

	if (q->db == NULL && tsql_open(q, NULL, oerr, sizeof(oerr)) == -1) {
		log_err("tool %s: %s", t->name, oerr);
		tool_error_set(err, TOOL_ERR_INTERNAL, "unavailable",
		    "The tool's database is unavailable. Quote request id %s "
		    "to the operator.", who->request_id);
		return -1;
	}
	dl = tsql_now_us() + (int64_t)q->timeout_ms * 1000;
	q->deadline_us = who->deadline_us != 0 && who->deadline_us < dl ?
	    who->deadline_us : dl;
	if (!q->read_only) {
		/*
		 * The record table is made before the transaction: created
		 * inside it, a rollback (a failed check, not_found, a
		 * timeout) would drop it again while idem_ready stayed set.
		 */
		if (who->idem_key != NULL && !q->idem_ready) {
			if (idem_prepare(q->db) == -1) {
				rc = sqlite3_extended_errcode(q->db);
				goto sqlfail;
			}
			q->idem_ready = 1;
		}
		/*
		 * The write lock is the idempotency claim: a duplicate waits
		 * here (bounded by the busy timeout) and then replays.
		 */
		rc = tsql_tx(q, TSQL_BEGIN);
		if (rc != SQLITE_OK) {
			if (who->idem_key != NULL && ((rc & 0xff) ==
			    SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)) {
				tool_error_set(err, TOOL_ERR_CONFLICT,
				    "in_progress", "A call with this "
				    "idempotency key may still be running; "
				    "retry in %d s to get its result.",
				    TSQL_RETRY_AFTER);
				err->retryable = 1;
				err->retry_after = TSQL_RETRY_AFTER;
				q->deadline_us = 0;
				return -1;
			}
			goto sqlfail;
		}
		intx = 1;
		if (who->idem_key != NULL) {
			json_t *prev = NULL;

			switch (idem_lookup(q->db, &q->idem, who->idem_key,
			    who->idem_fp, time(NULL), &prev)) {
			case IDEM_NEW:
				break;
			case IDEM_REPLAY:
				(void)tsql_tx(q, TSQL_ROLLBACK);
				q->deadline_us = 0;
				res->structured = json_incref(json_object_get(
				    prev, "structured"));
				res->is_error = json_is_true(json_object_get(
				    prev, "is_error"));
				res->replayed = 1;
				json_decref(prev);
				return 0;
			case IDEM_CONFLICT:
				(void)tsql_tx(q, TSQL_ROLLBACK);
				q->deadline_us = 0;
				tool_error_set(err, TOOL_ERR_CONFLICT,
				    "idempotency_key_reused", "This "
				    "idempotency key was already used with "
				    "different arguments; nothing was done. "
				    "Use a new key for a new request.");
				return -1;
			default:
				rc = SQLITE_ERROR;
				goto sqlfail;
			}
		}
	}
	/* Gate 2: meaning.  Inside the write's transaction. */
	if (tsql_checks(q, who, args, err, &rc) == -1) {
		if (rc != SQLITE_OK)
			goto sqlfail;
		if (intx)
			(void)tsql_tx(q, TSQL_ROLLBACK);
		q->deadline_us = 0;
		return -1;
	}
	if (tsql_bind(q->st, who, args) == -1) {
		if (intx)
			(void)tsql_tx(q, TSQL_ROLLBACK);
		q->deadline_us = 0;
		tool_error_set(err, TOOL_ERR_INTERNAL, "bind",
		    "An internal error occurred. Quote request id %s to the "
		    "operator.", who->request_id);
		return -1;
	}
	if ((rows = json_array()) == NULL)
		goto oom;
	while ((rc = sqlite3_step(q->st)) == SQLITE_ROW) {
		if (nrows >= q->max_rows || bytes > q->max_bytes) {
			truncated = 1;
			if (q->read_only)
				break;
			continue;	/* a write runs to completion */
		}
		if ((row = tsql_row(q->st, &bytes)) == NULL)
			goto oom;
		if (bytes > q->max_bytes) {
			json_decref(row);
			truncated = 1;
			if (q->read_only)
				break;
			continue;
		}
		json_array_append_new(rows, row);
		nrows++;
		if (q->mode == TSQL_ONE && q->read_only)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto sqlfail;
	changes = sqlite3_changes(q->db);
	sqlite3_reset(q->st);
	if (q->mode == TSQL_ROWS)
		res->structured = json_pack("{s:O,s:i,s:b}", "rows", rows,
		    "count", nrows, "truncated", truncated);
	else if (q->mode == TSQL_EXEC)
		res->structured = json_pack("{s:i}", "changes", changes);
	else if (nrows > 0)
		res->structured = json_incref(json_array_get(rows, 0));
	else {
		/* Nothing matched, so nothing was written: no record. */
		json_decref(rows);
		if (intx)
			(void)tsql_tx(q, TSQL_ROLLBACK);
		q->deadline_us = 0;
		tool_error_set(err, TOOL_ERR_NOT_FOUND, "not_found", "%s",
		    q->not_found);
		return -1;
	}
	json_decref(rows);
	rows = NULL;
	if (res->structured == NULL)
		goto oom;
	if (intx) {
		/* The write and its idempotency record: one transaction. */
		if (who->idem_key != NULL) {
			json_t *rec = json_pack("{s:O,s:b}", "structured",
			    res->structured, "is_error", 0);

			if (rec == NULL || idem_store(q->db, &q->idem,
			    who->idem_key, who->idem_fp, rec, time(NULL),
			    who->idem_ttl) == -1) {
				json_decref(rec);
				rc = SQLITE_ERROR;
				goto sqlfail;
			}
			json_decref(rec);
		}
		if ((rc = tsql_tx(q, TSQL_COMMIT)) != SQLITE_OK)
			goto sqlfail;
		intx = 0;
	}
	q->deadline_us = 0;
	return 0;
sqlfail:
	tsql_sqlerr(q, rc, who, err);
	tool_result_clear(res);
	json_decref(rows);
	sqlite3_reset(q->st);
	if (intx)
		(void)tsql_tx(q, TSQL_ROLLBACK);
	q->deadline_us = 0;
	return -1;
oom:
	tool_result_clear(res);
	json_decref(rows);
	sqlite3_reset(q->st);
	if (intx)
		(void)tsql_tx(q, TSQL_ROLLBACK);
	q->deadline_us = 0;
	tool_error_set(err, TOOL_ERR_TRANSIENT, "oom",
	    "The server is short of memory; retry in a moment.");
	return -1;
}

static void
tsql_free(void *impl)
{
	struct tsql *q = impl;

	if (q == NULL)
		return;
	tsql_close(q);
	for (size_t i = 0; i < q->nchecks; i++) {
		free(q->checks[i].sql);
		free(q->checks[i].message);
	}
	free(q->dbpath);
	free(q->sql);
	free(q->not_found);
	free(q);
}

static const struct tool_ops tsql_ops = { "sql", tsql_call, tsql_free };

static const char *const tsql_check_keys[] = { "sql", "category", "code",
	"message", NULL };

static int
tsql_checks_parse(struct tsql *q, json_t *checks, char *err, size_t errlen)
{
	static const struct { const char *name; enum tool_errcat cat; }
	    cats[] = {
		{ "validation", TOOL_ERR_VALIDATION },
		{ "authorization", TOOL_ERR_AUTHORIZATION },
		{ "not_found", TOOL_ERR_NOT_FOUND },
		{ "conflict", TOOL_ERR_CONFLICT },
	};
	json_t		*c, *v;
	const char	*key, *const *k;
	size_t		 i, j;

	if (checks == NULL)
		return 0;
	if (!json_is_array(checks) || json_array_size(checks) >
	    TSQL_CHECKS_MAX) {
		snprintf(err, errlen, "/checks: must be an array of at most %d "
		    "checks", TSQL_CHECKS_MAX);
		return -1;
	}
	json_array_foreach(checks, i, c) {
		struct tsql_check *ck = &q->checks[i];

		if (!json_is_object(c)) {
			snprintf(err, errlen, "/checks/%zu: must be an object",
			    i);
			return -1;
		}
		json_object_foreach(c, key, v) {
			for (k = tsql_check_keys; *k != NULL; k++)
				if (strcmp(*k, key) == 0)
					break;
			if (*k == NULL) {
				snprintf(err, errlen, "/checks/%zu: unknown "
				    "member \"%.64s\"", i, key);
				return -1;
			}
		}
		q->nchecks = i + 1;
		v = json_object_get(c, "sql");
		if (!json_is_string(v)) {
			snprintf(err, errlen, "/checks/%zu/sql: required", i);
			return -1;
		}
		ck->sql = strdup(json_string_value(v));
		v = json_object_get(c, "message");
		if (!json_is_string(v) || json_string_length(v) == 0) {
			snprintf(err, errlen, "/checks/%zu/message: required: "
			    "what the model is told when the check fails", i);
			return -1;
		}
		ck->message = strdup(json_string_value(v));
		v = json_object_get(c, "category");
		for (j = 0; j < sizeof(cats) / sizeof(cats[0]); j++)
			if (json_is_string(v) && strcmp(cats[j].name,
			    json_string_value(v)) == 0)
				break;
		if (j == sizeof(cats) / sizeof(cats[0])) {
			snprintf(err, errlen, "/checks/%zu/category: must be "
			    "validation, authorization, not_found or conflict",
			    i);
			return -1;
		}
		ck->cat = cats[j].cat;
		v = json_object_get(c, "code");
		if (v != NULL && (!json_is_string(v) ||
		    json_string_length(v) == 0 ||
		    json_string_length(v) >= sizeof(ck->code))) {
			snprintf(err, errlen, "/checks/%zu/code: must be a short "
			    "string", i);
			return -1;
		}
		snprintf(ck->code, sizeof(ck->code), "%s", v ?
		    json_string_value(v) : cats[j].name);
		if (ck->sql == NULL || ck->message == NULL)
			return -1;
	}
	return 0;
}

static int
tsql_int(json_t *spec, const char *key, long long def, long long max,
    long long *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(spec, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > max) {
		snprintf(err, errlen, "/%s: must be an integer from 1 to %lld",
		    key, max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

int
tool_sql_new(struct tool *t, json_t *spec, const struct config *cfg,
    int verify, char *err, size_t errlen)
{
	struct tsql	*q;
	json_t		*v;
	const char	*dbname, *mode;
	long long	 n;
	size_t		 i;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	t->ops = &tsql_ops;
	t->impl = q;
	q->read_only = t->read_only;

	v = json_object_get(spec, "database");
	if (!json_is_string(v)) {
		snprintf(err, errlen, "/database: required: the name of an "
		    "entry in /databases");
		return -1;
	}
	dbname = json_string_value(v);
	for (i = 0; i < cfg->ndbs; i++)
		if (strcmp(cfg->dbs[i].name, dbname) == 0)
			break;
	if (i == cfg->ndbs) {
		snprintf(err, errlen, "/database: \"%.64s\" is not defined in "
		    "/databases", dbname);
		return -1;
	}
	q->dbpath = strdup(cfg->dbs[i].path);

	v = json_object_get(spec, "sql");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(err, errlen, "/sql: required: one SQL statement");
		return -1;
	}
	q->sql = strdup(json_string_value(v));

	v = json_object_get(spec, "result");
	mode = json_is_string(v) ? json_string_value(v) : NULL;
	if (v == NULL)
		q->mode = TSQL_ROWS;
	else if (mode != NULL && strcmp(mode, "rows") == 0)
		q->mode = TSQL_ROWS;
	else if (mode != NULL && strcmp(mode, "one") == 0)
		q->mode = TSQL_ONE;
	else if (mode != NULL && strcmp(mode, "exec") == 0)
		q->mode = TSQL_EXEC;
	else {
		snprintf(err, errlen, "/result: must be \"rows\", \"one\" or "
		    "\"exec\"");
		return -1;
	}
	if (tsql_int(spec, "max_rows", BOUNDS_RESULT_ROWS_DEFAULT,
	    BOUNDS_RESULT_ROWS_MAX, &n, err, errlen) == -1)
		return -1;
	q->max_rows = (int)n;
	if (tsql_int(spec, "max_bytes", BOUNDS_RESULT_BYTES_DEFAULT,
	    BOUNDS_RESULT_BYTES_MAX, &n, err, errlen) == -1)
		return -1;
	q->max_bytes = (size_t)n;
	if (tsql_int(spec, "timeout_ms", TSQL_TIMEOUT_MS_DEFAULT,
	    TSQL_TIMEOUT_MS_MAX, &n, err, errlen) == -1)
		return -1;
	q->timeout_ms = (int)n;
	v = json_object_get(spec, "not_found_message");
	if (v != NULL && !json_is_string(v)) {
		snprintf(err, errlen, "/not_found_message: must be a string");
		return -1;
	}
	q->not_found = strdup(v ? json_string_value(v) :
	    "No matching record was found.");
	if (q->dbpath == NULL || q->sql == NULL || q->not_found == NULL)
		return -1;
	if (tsql_checks_parse(q, json_object_get(spec, "checks"), err,
	    errlen) == -1)
		return -1;
	if (verify) {
		if (tsql_open(q, t->input_schema, err, errlen) == -1)
			return -1;
		/* Keep nothing open across a fork by the web server. */
		tsql_close(q);
	}
	return 0;
}
