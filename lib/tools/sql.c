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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "bounds.h"
#include "config.h"
#include "log.h"
#include "tool.h"
#include "tools/tools.h"

#define TSQL_TIMEOUT_MS_DEFAULT	5000
#define TSQL_TIMEOUT_MS_MAX	60000
#define TSQL_BUSY_MS		2000

const char *const tool_sql_keys[] = {
	"database", "sql", "result", "max_rows", "max_bytes",
	"not_found_message", "timeout_ms", NULL
};

enum tsql_mode { TSQL_ROWS, TSQL_ONE, TSQL_EXEC };

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
	sqlite3_finalize(q->st);
	sqlite3_close(q->db);
	q->st = NULL;
	q->db = NULL;
}

/*
 * Opens the database and prepares the statement.  inschema, when given,
 * is checked against the statement's parameters (config time).
 */
static int
tsql_open(struct tsql *q, json_t *inschema, char *err, size_t errlen)
{
	const char	*tail, *name;
	int		 i, n, flags;
	json_t		*props;

	flags = q->read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (sqlite3_open_v2(q->dbpath, &q->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "/database: cannot open %s: %s",
		    q->dbpath, q->db ? sqlite3_errmsg(q->db) : "no memory");
		goto fail;
	}
	sqlite3_busy_timeout(q->db, TSQL_BUSY_MS);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(q->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0,
	    NULL);
	if (q->read_only)
		sqlite3_exec(q->db, "PRAGMA query_only=1", NULL, NULL, NULL);
	if (sqlite3_prepare_v3(q->db, q->sql, -1, SQLITE_PREPARE_PERSISTENT,
	    &q->st, &tail) != SQLITE_OK) {
		snprintf(err, errlen, "/sql: %s", sqlite3_errmsg(q->db));
		goto fail;
	}
	if (q->st == NULL) {
		snprintf(err, errlen, "/sql: contains no statement");
		goto fail;
	}
	while (*tail == ' ' || *tail == '\t' || *tail == '\n' ||
	    *tail == '\r' || *tail == ';')
		tail++;
	if (*tail != '\0') {
		snprintf(err, errlen, "/sql: must be exactly one statement");
		goto fail;
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
	props = inschema ? json_object_get(inschema, "properties") : NULL;
	n = sqlite3_bind_parameter_count(q->st);
	for (i = 1; inschema != NULL && i <= n; i++) {
		name = sqlite3_bind_parameter_name(q->st, i);
		if (name == NULL || (name[0] != ':' && name[0] != '@')) {
			snprintf(err, errlen, "/sql: parameter %d must be named "
			    ":argument or @principal, @auth_method, "
			    "@request_id, @now", i);
			goto fail;
		}
		if (name[0] == ':' && json_object_get(props, name + 1) == NULL) {
			snprintf(err, errlen, "/sql: parameter %s is not a "
			    "property of input_schema", name);
			goto fail;
		}
		if (name[0] == '@' && strcmp(name, "@principal") != 0 &&
		    strcmp(name, "@auth_method") != 0 &&
		    strcmp(name, "@request_id") != 0 &&
		    strcmp(name, "@now") != 0) {
			snprintf(err, errlen, "/sql: unknown caller parameter "
			    "%s (use @principal, @auth_method, @request_id or "
			    "@now)", name);
			goto fail;
		}
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
tsql_bind(struct tsql *q, const struct tool_caller *who, json_t *args)
{
	int		 i, n = sqlite3_bind_parameter_count(q->st), rc;
	const char	*name;
	json_t		*v;

	for (i = 1; i <= n; i++) {
		name = sqlite3_bind_parameter_name(q->st, i);
		if (name == NULL)
			return -1;
		rc = SQLITE_OK;
		if (name[0] == ':') {
			v = json_object_get(args, name + 1);
			if (v != NULL)
				rc = tsql_bind_json(q->st, i, v);
		} else if (strcmp(name, "@principal") == 0)
			rc = sqlite3_bind_text(q->st, i, who->principal, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@auth_method") == 0)
			rc = sqlite3_bind_text(q->st, i, who->auth_method, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@request_id") == 0)
			rc = sqlite3_bind_text(q->st, i, who->request_id, -1,
			    SQLITE_TRANSIENT);
		else if (strcmp(name, "@now") == 0)
			rc = sqlite3_bind_int64(q->st, i,
			    (sqlite3_int64)time(NULL));
		if (rc != SQLITE_OK)
			return -1;
	}
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
	int		 rc, nrows = 0, truncated = 0, intx = 0;
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
	sqlite3_reset(q->st);
	sqlite3_clear_bindings(q->st);
	if (tsql_bind(q, who, args) == -1) {
		tool_error_set(err, TOOL_ERR_INTERNAL, "bind",
		    "An internal error occurred. Quote request id %s to the "
		    "operator.", who->request_id);
		return -1;
	}
	if (!q->read_only) {
		rc = sqlite3_exec(q->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			goto sqlfail;
		intx = 1;
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
	if (!q->read_only) {
		int changes = sqlite3_changes(q->db);

		sqlite3_reset(q->st);
		if ((rc = sqlite3_exec(q->db, "COMMIT", NULL, NULL, NULL)) !=
		    SQLITE_OK)
			goto sqlfail;
		intx = 0;
		if (q->mode == TSQL_EXEC)
			res->structured = json_pack("{s:i}", "changes",
			    changes);
	}
	sqlite3_reset(q->st);
	q->deadline_us = 0;
	if (q->mode == TSQL_ROWS)
		res->structured = json_pack("{s:O,s:i,s:b}", "rows", rows,
		    "count", nrows, "truncated", truncated);
	else if (q->mode == TSQL_ONE) {
		if (nrows == 0) {
			json_decref(rows);
			tool_error_set(err, TOOL_ERR_NOT_FOUND, "not_found",
			    "%s", q->not_found);
			return -1;
		}
		res->structured = json_incref(json_array_get(rows, 0));
	}
	json_decref(rows);
	if (res->structured == NULL)
		goto oom;
	return 0;
sqlfail:
	tsql_sqlerr(q, rc, who, err);
	json_decref(rows);
	sqlite3_reset(q->st);
	if (intx)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	q->deadline_us = 0;
	return -1;
oom:
	json_decref(rows);
	sqlite3_reset(q->st);
	if (intx)
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
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
	free(q->dbpath);
	free(q->sql);
	free(q->not_found);
	free(q);
}

static const struct tool_ops tsql_ops = { "sql", tsql_call, tsql_free };

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
	if (verify) {
		if (tsql_open(q, t->input_schema, err, errlen) == -1)
			return -1;
		/* Keep nothing open across a fork by the web server. */
		tsql_close(q);
	}
	return 0;
}
