/*
 * report.c -- `mcpgate-audit report`: parses the options, opens the audit
 * database read-only, takes one read snapshot, scans the matching rows
 * once in sequence order (audit/rowscan.c's direct B-tree read where the
 * file allows it, else one prepared statement; values interned, nothing
 * allocated per row), hands each row to the
 * selected reports, then writes the doc -- manifest first -- in the
 * chosen format.  Never writes to the audit database.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fmt.h"
#include "report.h"
#include "rowscan.h"

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION	"0.0.0"
#endif

#define RP_SQL_MAX		4096
#define RP_BUCKETS_MAX		120	/* timeline buckets */
#define RP_PROGRESS_EVERY	65536	/* rows between clock checks */
#define RP_PROGRESS_AFTER_US	1000000	/* quiet for the first second */

const char *const report_outcome_names[REPORT_OUT__MAX] = {
	"none", "ok", "tool_error", "protocol_error", "auth_error",
	"http_error",
};
const char *const report_decision_names[REPORT_DEC__MAX] = {
	"none", "allow", "deny",
};
const char *const report_auth_names[REPORT_AUTH__MAX] = {
	"none", "ok", "missing", "invalid", "expired", "revoked", "error",
};
const char *const report_idem_names[REPORT_IDEM__MAX] = {
	"none", "new", "replay", "conflict", "in_flight",
};

/* SQL of each column, in enum report_col order. */
static const char *const rp_colsql[REPORT_C__MAX] = {
	"seq", "ts_us", "kind", "principal", "auth_method", "auth_result",
	"decision", "decision_reason", "key_id", "token_sub", "client_addr",
	"user_agent", "rpc_method", "tool", "scope_required", "idem_key_hash",
	"idem_status", "args_digest", "outcome", "error_category",
	"error_code", "latency_us", "session_hash", "request_id",
	"http_status",
};

/* Read by every scan. */
#define RP_BASE	(REPORT_BIT(REPORT_C_SEQ) | REPORT_BIT(REPORT_C_TS) | \
	REPORT_BIT(REPORT_C_KIND) | REPORT_BIT(REPORT_C_OUTCOME) | \
	REPORT_BIT(REPORT_C_DECISION) | REPORT_BIT(REPORT_C_AUTH_RESULT))

static void rp_err(struct report_ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
rp_err(struct report_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
	va_end(ap);
}

/* --- percentiles ---------------------------------------------------------- */

static void
rp_swap(int64_t *a, int64_t *b)
{
	int64_t	 t = *a;

	*a = *b;
	*b = t;
}

/*
 * Quickselect with a three-way partition (latencies repeat a lot):
 * afterwards v[k] is where a full sort would put it, smaller values
 * before it and larger ones after.  lo..hi inclusive.
 */
static void
rp_select(int64_t *v, size_t lo, size_t hi, size_t k)
{
	size_t	 lt, i, gt, mid;
	int64_t	 a, b, c, pivot;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		a = v[lo];
		b = v[mid];
		c = v[hi];
		pivot = a < b ? (b < c ? b : a < c ? c : a) :
		    (a < c ? a : b < c ? c : b);
		lt = lo;
		i = lo;
		gt = hi;
		while (i <= gt) {
			if (v[i] < pivot)
				rp_swap(&v[lt++], &v[i++]);
			else if (v[i] > pivot) {
				rp_swap(&v[i], &v[gt]);
				if (gt == 0)
					break;
				gt--;
			} else
				i++;
		}
		/* v[lo..lt-1] < pivot == v[lt..gt] < v[gt+1..hi] */
		if (k < lt)
			hi = lt - 1;
		else if (k > gt)
			lo = gt + 1;
		else
			return;
	}
}

void
report_percentiles(int64_t *v, size_t n, const double *p, size_t np,
    int64_t *out)
{
	size_t	 i, k, lo = 0;
	double	 r;

	if (n == 0)
		return;
	for (i = 0; i < np; i++) {
		r = p[i] / 100.0 * (double)n;
		k = (size_t)r;
		if ((double)k < r)
			k++;		/* ceil */
		if (k < 1)
			k = 1;
		if (k > n)
			k = n;
		k--;
		if (k < lo)
			k = lo;
		rp_select(v, lo, n - 1, k);
		out[i] = v[k];
		lo = k;		/* everything after k is >= v[k] */
	}
}

/* --- small shared helpers ------------------------------------------------- */

int64_t
report_now(void)
{
	const char	*s = getenv("MCPGATE_AUDIT_NOW");
	struct timerange r;
	char		 err[256];

	if (s != NULL && *s != '\0' && timerange_parse_token(s, 0, 0, &r, err,
	    sizeof(err)) == 0)
		return r.from_us;
	return timerange_now_us();
}

int
report_time_opts(const char *from, const char *to, const char *range,
    const char *tz, int64_t now_us, struct timerange *out, int *tz_min,
    char *err, size_t errlen)
{
	*tz_min = 0;
	out->from_us = TIMERANGE_UNBOUNDED_FROM;
	out->to_us = TIMERANGE_UNBOUNDED_TO;
	if (tz != NULL && timerange_parse_tz(tz, tz_min) == -1) {
		snprintf(err, errlen, "--tz \"%s\": use an offset from UTC "
		    "such as +02:00, -05:00 or Z", tz);
		return -1;
	}
	if (range != NULL && (from != NULL || to != NULL)) {
		snprintf(err, errlen, "--range cannot be combined with --from "
		    "or --to");
		return -1;
	}
	if (range != NULL)
		return timerange_parse_range(range, now_us, *tz_min, out, err,
		    errlen);
	if (from != NULL && timerange_parse_from(from, now_us, *tz_min,
	    &out->from_us, err, errlen) == -1)
		return -1;
	if (to != NULL && timerange_parse_to(to, now_us, *tz_min,
	    &out->to_us, err, errlen) == -1)
		return -1;
	if (out->from_us >= out->to_us) {
		snprintf(err, errlen, "the time range is empty: --from is not "
		    "before --to");
		return -1;
	}
	return 0;
}

FILE *
report_output_open(const char *path, char **tmp, char *err, size_t errlen)
{
	FILE	*f;
	char	*t;
	int	 fd;

	*tmp = NULL;
	if (path == NULL || strcmp(path, "-") == 0)
		return stdout;
	t = intern_xcalloc(strlen(path) + 16, 1);
	sprintf(t, "%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(t)) == -1) {
		snprintf(err, errlen, "cannot create %s: %s", t,
		    strerror(errno));
		free(t);
		return NULL;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", t, strerror(errno));
		close(fd);
		unlink(t);
		free(t);
		return NULL;
	}
	*tmp = t;
	return f;
}

int
report_output_close(FILE *out, const char *path, char *tmp, int ok,
    char *err, size_t errlen)
{
	int	 rc = 0;

	if (out == stdout) {
		if (fflush(stdout) == EOF || ferror(stdout)) {
			snprintf(err, errlen, "writing standard output: %s",
			    strerror(errno));
			return -1;
		}
		return 0;
	}
	if (fflush(out) == EOF || ferror(out) || fsync(fileno(out)) == -1) {
		snprintf(err, errlen, "writing %s: %s", path, strerror(errno));
		ok = 0;
		rc = -1;
	}
	fclose(out);
	if (ok && rename(tmp, path) == -1) {
		snprintf(err, errlen, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		rc = -1;
		ok = 0;
	}
	if (!ok)
		unlink(tmp);
	free(tmp);
	return rc;
}

void
report_progress(int mode, int64_t done, int64_t total, int64_t t0_us,
    int final)
{
	static int	 shown;
	int64_t		 el;

	if (mode < 0 || (mode == 0 && !isatty(STDERR_FILENO)))
		return;
	if (final) {
		if (shown)
			fputs("\r\033[K", stderr);
		shown = 0;
		return;
	}
	el = timerange_now_us() - t0_us;
	if (el < RP_PROGRESS_AFTER_US && mode == 0)
		return;
	fprintf(stderr, "\rmcpgate-audit: %" PRId64 " of %" PRId64 " rows "
	    "(%d%%), %.1f s", done, total, total > 0 ? (int)(done * 100 /
	    total) : 100, (double)el / 1e6);
	shown = 1;
}

/* --- the scan ------------------------------------------------------------- */

static enum report_outcome
rp_outcome(const char *s)
{
	if (s == NULL)
		return REPORT_OUT_NONE;
	switch (s[0]) {
	case 'o':
		return REPORT_OUT_OK;
	case 't':
		return REPORT_OUT_TOOL_ERROR;
	case 'p':
		return REPORT_OUT_PROTOCOL_ERROR;
	case 'a':
		return REPORT_OUT_AUTH_ERROR;
	case 'h':
		return REPORT_OUT_HTTP_ERROR;
	}
	return REPORT_OUT_NONE;
}

static enum report_auth
rp_auth(const char *s, size_t n)
{
	if (s == NULL)
		return REPORT_AUTH_NONE;
	switch (s[0]) {
	case 'o':
		return REPORT_AUTH_OK;
	case 'm':
		return REPORT_AUTH_MISSING;
	case 'i':
		return REPORT_AUTH_INVALID;
	case 'e':
		return n > 1 && s[1] == 'x' ? REPORT_AUTH_EXPIRED :
		    REPORT_AUTH_ERROR;
	case 'r':
		return REPORT_AUTH_REVOKED;
	}
	return REPORT_AUTH_ERROR;
}

static enum report_idem
rp_idem(const char *s)
{
	if (s == NULL)
		return REPORT_IDEM_NONE;
	switch (s[0]) {
	case 'n':
		return REPORT_IDEM_NEW;
	case 'r':
		return REPORT_IDEM_REPLAY;
	case 'c':
		return REPORT_IDEM_CONFLICT;
	case 'i':
		return REPORT_IDEM_IN_FLIGHT;
	}
	return REPORT_IDEM_NONE;
}

/*
 * The WHERE clause for the filters (appended to sql); the values are
 * bound by name in rp_bind.  Values are never put in the SQL text.
 */
static void
rp_where(const struct report_opts *o, int seqrange, char *sql, size_t len)
{
	size_t	 n = strlen(sql);
	int	 indexed = o->principal != NULL || o->tool != NULL;

	if (seqrange)
		n += (size_t)snprintf(sql + n, len - n, " AND seq >= :lo AND "
		    "seq <= :hi");
	/*
	 * With a principal or tool filter, their (x, ts_us) indexes serve
	 * the time range too; without one, the rowid range already bounds
	 * the scan and "+ts_us" keeps SQLite from switching to the ts index
	 * (a lookup per row instead of one sequential pass).  An unbounded
	 * side costs nothing.
	 */
	if (o->range.from_us != TIMERANGE_UNBOUNDED_FROM)
		n += (size_t)snprintf(sql + n, len - n, " AND %sts_us >= :from",
		    indexed ? "" : "+");
	if (o->range.to_us != TIMERANGE_UNBOUNDED_TO)
		n += (size_t)snprintf(sql + n, len - n, " AND %sts_us <= :to",
		    indexed ? "" : "+");
	if (o->principal != NULL)
		n += (size_t)snprintf(sql + n, len - n, " AND principal = "
		    ":principal");
	if (o->tool != NULL)
		n += (size_t)snprintf(sql + n, len - n, " AND tool = :tool");
	if (o->outcome != NULL)
		n += (size_t)snprintf(sql + n, len - n, strcmp(o->outcome,
		    "error") == 0 ? " AND outcome <> 'ok'" : " AND outcome = "
		    ":outcome");
	if (o->decision != NULL)
		snprintf(sql + n, len - n, strcmp(o->decision, "none") == 0 ?
		    " AND decision IS NULL" : " AND decision = :decision");
}

static void
rp_bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int	 i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
rp_bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int	 i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

static void
rp_bind(sqlite3_stmt *st, const struct report_opts *o, int64_t from_us,
    int64_t to_us, int64_t lo, int64_t hi)
{
	rp_bind_int(st, ":lo", lo);
	rp_bind_int(st, ":hi", hi);
	rp_bind_int(st, ":from", from_us);
	/* [from, to) on integers is [from, to - 1] */
	rp_bind_int(st, ":to", to_us == INT64_MAX ? INT64_MAX : to_us - 1);
	rp_bind_text(st, ":principal", o->principal);
	rp_bind_text(st, ":tool", o->tool);
	rp_bind_text(st, ":outcome", o->outcome);
	rp_bind_text(st, ":decision", o->decision);
}

int
report_count(struct report_ctx *ctx, int64_t from_us, int64_t to_us,
    int64_t n[4])
{
	struct audit_db_span sp;
	sqlite3_stmt	*st = NULL;
	char		 sql[RP_SQL_MAX];
	int		 i, rc = -1;

	/* the ts index gives the rowid range, then one sequential pass */
	if (audit_db_span(ctx->db, from_us, to_us, &sp, ctx->err,
	    sizeof(ctx->err)) == -1)
		return -1;
	memset(n, 0, 4 * sizeof(*n));
	if (sp.rows == 0)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT count(*), coalesce(sum(outcome <> "
	    "'ok' AND coalesce(decision, '') <> 'deny'), 0), coalesce(sum("
	    "decision = 'deny'), 0), coalesce(sum(auth_result <> 'ok'), 0) "
	    "FROM audit_events WHERE kind = 'request'");
	rp_where(ctx->opts, 1, sql, sizeof(sql));
	if (audit_db_prepare(ctx->db, sql, &st, ctx->err,
	    sizeof(ctx->err)) == -1)
		return -1;
	rp_bind(st, ctx->opts, from_us, to_us, sp.first_seq, sp.last_seq);
	if (sqlite3_step(st) == SQLITE_ROW) {
		for (i = 0; i < 4; i++)
			n[i] = sqlite3_column_int64(st, i);
		rc = 0;
	} else
		rp_err(ctx, "reading audit database %s: %s",
		    ctx->opts->db_path, sqlite3_errmsg(audit_db_sqlite(
		    ctx->db)));
	sqlite3_finalize(st);
	return rc;
}

struct rp_sel {
	const struct report_def *def;
	void		*state;
};

/*
 * The scan is a pipeline.  Readers step a prepared statement, or on the
 * direct path (no --principal/--tool: rowscan, with the time range,
 * outcome and decision filters applied here) a rowscan per chunk, and copy
 * the needed columns of up to RP_BATCH rows at a time into batches; the main
 * thread decodes, interns and hands the rows to the reports, strictly in
 * seq order.  On a machine with two or more CPUs and a large, unfiltered
 * range, two readers, each on its own read-only connection, take turns
 * over chunks of RP_CHUNK sequence numbers (reader 0 the even chunks,
 * reader 1 the odd ones) and the consumer takes the chunks in order, so
 * SQLite's record decoding runs on both CPUs while the order is kept.
 * Nothing is allocated per row: batches are recycled, their buffers only
 * grow.  Each connection is used by one thread at a time.
 *
 * The second connection has its own read transaction.  The rows the scan
 * covers, [first_seq, last_seq] of the main snapshot, are the same in it
 * because the log is append-only and retention deletes only the oldest
 * rows: it checks that both ends are still there, and otherwise the scan
 * falls back to one reader.
 */
#define RP_BATCH	4096
#define RP_NBATCH	4		/* batches in flight per reader */
#define RP_CHUNK	INT64_C(131072)	/* sequence numbers per chunk */
#define RP_THREAD_MIN	200000		/* rows: below this, one thread */
#define RP_NREADERS	2
#define RP_NULL		UINT32_MAX	/* a NULL text column */

struct rp_brow {
	int64_t		 seq, ts_us, latency_us, http_status;
	uint32_t	 off[REPORT_C__MAX];	/* into the batch's buf */
	uint32_t	 len[REPORT_C__MAX];	/* RP_NULL: NULL */
};

struct rp_batch {
	struct rp_brow	*rows;
	size_t		 n;
	int		 last;		/* the chunk's last batch */
	int		 step;		/* SQLITE_DONE, or the error */
	char		*buf;
	size_t		 used, cap;
};

struct rp_reader {
	struct rp_pipe	*p;
	struct audit_db	*own;		/* reader 1's connection */
	struct audit_db	*adb;		/* the connection it reads */
	sqlite3_stmt	*st;
	struct rowscan	*rs;		/* the direct path, per chunk */
	int		 idx;
	struct rp_batch	 b[RP_NBATCH];
	size_t		 full, head, tail;	/* the ring */
	pthread_t	 tid;
	int		 started;
};

struct rp_pipe {
	const struct report_opts *o;
	uint64_t	 need;
	int64_t		 lo, hi, nchunks, chunk;
	int		 nreaders, threaded, stop;
	int		 direct;	/* rowscan, filters here */
	char		 errmsg[256];	/* the direct path's first error */
	struct rp_reader r[RP_NREADERS];
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
};

/*
 * Fills bt with up to RP_BATCH rows of the chunk being stepped.  Sets
 * bt->last when the chunk is exhausted (or failed: bt->step).
 */
static void
rp_fill(struct rp_pipe *p, sqlite3_stmt *st, struct rp_batch *bt)
{
	struct rp_brow	*r;
	const char	*s;
	size_t		 len;
	int		 c, step = SQLITE_ROW;

	bt->n = 0;
	bt->used = 0;
	bt->last = 0;
	bt->step = SQLITE_ROW;
	while (bt->n < RP_BATCH && (step = sqlite3_step(st)) == SQLITE_ROW) {
		r = &bt->rows[bt->n++];
		r->seq = sqlite3_column_int64(st, REPORT_C_SEQ);
		r->ts_us = sqlite3_column_int64(st, REPORT_C_TS);
		r->latency_us = -1;
		if ((p->need & REPORT_BIT(REPORT_C_LATENCY)) &&
		    sqlite3_column_type(st, REPORT_C_LATENCY) ==
		    SQLITE_INTEGER)
			r->latency_us = sqlite3_column_int64(st,
			    REPORT_C_LATENCY);
		r->http_status = (p->need & REPORT_BIT(REPORT_C_HTTP_STATUS)) ?
		    sqlite3_column_int64(st, REPORT_C_HTTP_STATUS) : 0;
		for (c = REPORT_C_KIND; c < REPORT_C__MAX; c++) {
			r->len[c] = RP_NULL;
			if (!(p->need & REPORT_BIT(c)) ||
			    c == REPORT_C_LATENCY || c == REPORT_C_HTTP_STATUS)
				continue;
			if ((s = (const char *)sqlite3_column_text(st,
			    c)) == NULL)
				continue;
			len = (size_t)sqlite3_column_bytes(st, c);
			if (len >= RP_NULL)
				len = RP_NULL - 1;
			if (bt->used + len + 1 > bt->cap)
				bt->buf = intern_grow(bt->buf, &bt->cap,
				    bt->used + len + 1 + 65536, 1);
			memcpy(bt->buf + bt->used, s, len);
			bt->buf[bt->used + len] = '\0';
			r->off[c] = (uint32_t)bt->used;
			r->len[c] = (uint32_t)len;
			bt->used += len + 1;
		}
	}
	if (step != SQLITE_ROW) {
		bt->last = 1;
		bt->step = step;
	}
}

/* Whether text s (NULL: SQL NULL) equals v. */
static int
rp_eq(const char *s, size_t len, const char *v)
{
	return s != NULL && strlen(v) == len && memcmp(s, v, len) == 0;
}

/*
 * The direct path's WHERE (rp_where without the indexed principal and
 * tool filters, which keep the statement path): the time range, the
 * outcome and the decision.
 */
static int
rp_match(const struct report_opts *o, struct rowscan *rs)
{
	const char	*s;
	size_t		 len = 0;
	int64_t		 ts;

	if (o->range.from_us != TIMERANGE_UNBOUNDED_FROM ||
	    o->range.to_us != TIMERANGE_UNBOUNDED_TO) {
		ts = rowscan_int(rs, REPORT_C_TS, 0);
		if (ts < o->range.from_us || (o->range.to_us != INT64_MAX &&
		    ts > o->range.to_us - 1))
			return 0;
	}
	if (o->outcome != NULL) {
		s = rowscan_text(rs, REPORT_C_OUTCOME, &len);
		if (strcmp(o->outcome, "error") == 0 ? s == NULL ||
		    rp_eq(s, len, "ok") : !rp_eq(s, len, o->outcome))
			return 0;
	}
	if (o->decision != NULL) {
		s = rowscan_text(rs, REPORT_C_DECISION, &len);
		if (strcmp(o->decision, "none") == 0 ? s != NULL :
		    !rp_eq(s, len, o->decision))
			return 0;
	}
	return 1;
}

/* rp_fill on the direct path. */
static void
rp_fill_direct(struct rp_pipe *p, struct rp_reader *rd, struct rp_batch *bt)
{
	struct rp_brow	*r;
	const char	*s;
	size_t		 len;
	int		 c, step = 1;

	bt->n = 0;
	bt->used = 0;
	bt->last = 0;
	bt->step = SQLITE_ROW;
	while (bt->n < RP_BATCH && rd->rs != NULL &&
	    (step = rowscan_next(rd->rs)) == 1) {
		if (!rp_match(p->o, rd->rs))
			continue;
		r = &bt->rows[bt->n++];
		r->seq = rowscan_int(rd->rs, REPORT_C_SEQ, 0);
		r->ts_us = rowscan_int(rd->rs, REPORT_C_TS, 0);
		r->latency_us = (p->need & REPORT_BIT(REPORT_C_LATENCY)) ?
		    rowscan_int(rd->rs, REPORT_C_LATENCY, -1) : -1;
		r->http_status = (p->need & REPORT_BIT(REPORT_C_HTTP_STATUS)) ?
		    rowscan_int(rd->rs, REPORT_C_HTTP_STATUS, 0) : 0;
		for (c = REPORT_C_KIND; c < REPORT_C__MAX; c++) {
			r->len[c] = RP_NULL;
			if (!(p->need & REPORT_BIT(c)) ||
			    c == REPORT_C_LATENCY || c == REPORT_C_HTTP_STATUS)
				continue;
			if ((s = rowscan_text(rd->rs, (size_t)c, &len)) ==
			    NULL)
				continue;
			if (len >= RP_NULL)
				len = RP_NULL - 1;
			if (bt->used + len + 1 > bt->cap)
				bt->buf = intern_grow(bt->buf, &bt->cap,
				    bt->used + len + 1 + 65536, 1);
			memcpy(bt->buf + bt->used, s, len);
			bt->buf[bt->used + len] = '\0';
			r->off[c] = (uint32_t)bt->used;
			r->len[c] = (uint32_t)len;
			bt->used += len + 1;
		}
	}
	if (step == 1 && rd->rs != NULL)
		return;
	bt->last = 1;
	bt->step = step == 0 ? SQLITE_DONE : SQLITE_CORRUPT;
	if (step != 0) {
		pthread_mutex_lock(&p->mu);
		if (p->errmsg[0] == '\0')
			snprintf(p->errmsg, sizeof(p->errmsg), "%s", rd->rs ==
			    NULL ? "cannot start the scan" :
			    rowscan_errmsg(rd->rs));
		pthread_mutex_unlock(&p->mu);
	}
}

static void
rp_fill_any(struct rp_pipe *p, struct rp_reader *rd, struct rp_batch *bt)
{
	if (p->direct)
		rp_fill_direct(p, rd, bt);
	else
		rp_fill(p, rd->st, bt);
}

/* Sets reader rd to chunk i's sequence bounds. */
static void
rp_chunk(struct rp_pipe *p, struct rp_reader *rd, int64_t i)
{
	int64_t	 a = p->lo + i * p->chunk, b = a + p->chunk - 1;
	char	 err[256];

	if (p->nchunks == 1) {
		a = p->lo;
		b = p->hi;
	}
	if (b > p->hi)
		b = p->hi;
	if (p->direct) {
		/* reader 1's snapshot may need the statement: same rows */
		rowscan_free(rd->rs);
		if (rowscan_open(rd->adb, rp_colsql, REPORT_C__MAX, a, b, 0,
		    &rd->rs, err, sizeof(err)) != 0)
			rd->rs = NULL;
		return;
	}
	sqlite3_reset(rd->st);
	rp_bind_int(rd->st, ":lo", a);
	rp_bind_int(rd->st, ":hi", b);
}

static void *
rp_reader_main(void *arg)
{
	struct rp_reader *rd = arg;
	struct rp_pipe	*p = rd->p;
	struct rp_batch	*bt;
	int64_t		 i;
	int		 failed = 0;

	for (i = rd->idx; i < p->nchunks && !failed; i += p->nreaders) {
		rp_chunk(p, rd, i);
		do {
			pthread_mutex_lock(&p->mu);
			while (rd->full == RP_NBATCH && !p->stop)
				pthread_cond_wait(&p->cv, &p->mu);
			if (p->stop) {
				pthread_mutex_unlock(&p->mu);
				return NULL;
			}
			bt = &rd->b[rd->head];
			pthread_mutex_unlock(&p->mu);

			rp_fill_any(p, rd, bt);
			failed = bt->last && bt->step != SQLITE_DONE;

			pthread_mutex_lock(&p->mu);
			rd->head = (rd->head + 1) % RP_NBATCH;
			rd->full++;
			pthread_cond_broadcast(&p->cv);
			pthread_mutex_unlock(&p->mu);
		} while (!bt->last);
	}
	return NULL;
}

/* The next batch of reader rd, waiting for it.  Single-threaded: fills. */
static struct rp_batch *
rp_next(struct rp_pipe *p, struct rp_reader *rd)
{
	struct rp_batch	*bt;

	if (!p->threaded) {
		rp_fill_any(p, rd, &rd->b[0]);
		return &rd->b[0];
	}
	pthread_mutex_lock(&p->mu);
	while (rd->full == 0)
		pthread_cond_wait(&p->cv, &p->mu);
	bt = &rd->b[rd->tail];
	pthread_mutex_unlock(&p->mu);
	return bt;
}

static void
rp_release(struct rp_pipe *p, struct rp_reader *rd)
{
	if (!p->threaded)
		return;
	pthread_mutex_lock(&p->mu);
	rd->tail = (rd->tail + 1) % RP_NBATCH;
	rd->full--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * A second connection for reader 1, in a read transaction whose snapshot
 * holds every row of [lo, hi].  Returns it, or NULL (then one reader).
 */
static struct audit_db *
rp_second(struct report_ctx *ctx, int64_t lo, int64_t hi)
{
	struct audit_db	*db = NULL;
	sqlite3_stmt	*st = NULL;
	char		 err[256];
	int		 ok = 0;

	if (strcmp(ctx->opts->db_path, "-") == 0 ||
	    audit_db_open(ctx->opts->db_path, ctx->opts->db_flags, &db, err,
	    sizeof(err)) == -1)
		return NULL;
	if (audit_db_begin(db, err, sizeof(err)) == 0 &&
	    audit_db_prepare(db, "SELECT count(*) FROM audit_events WHERE "
	    "seq IN (?1, ?2)", &st, err, sizeof(err)) == 0) {
		sqlite3_bind_int64(st, 1, lo);
		sqlite3_bind_int64(st, 2, hi);
		ok = sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_int64(st, 0) == (lo == hi ? 1 : 2);
	}
	sqlite3_finalize(st);
	if (!ok) {
		audit_db_close(db);
		return NULL;
	}
	return db;
}

static int
rp_scan(struct report_ctx *ctx, struct rp_sel *sel, size_t nsel,
    uint64_t need, uint64_t interns)
{
	const struct report_opts *o = ctx->opts;
	struct report_row row;
	struct rp_pipe	 p;
	struct rp_reader *rd;
	struct rp_batch	*bt;
	struct rp_brow	*br;
	char		 sql[RP_SQL_MAX];
	size_t		 n, i, k, len;
	const char	*s;
	uint32_t	 last[REPORT_C__MAX];
	const char	*last_s[REPORT_C__MAX];
	size_t		 last_len[REPORT_C__MAX];
	int		 c, rc = 0, step = SQLITE_DONE, more;
	int64_t		 chunk, t0 = timerange_now_us();
	long		 ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char	*force = getenv("MCPGATE_AUDIT_THREADS");

	memset(&p, 0, sizeof(p));
	memset(last, 0, sizeof(last));
	memset(last_s, 0, sizeof(last_s));
	memset(last_len, 0, sizeof(last_len));
	need |= RP_BASE | interns;
	n = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (c = 0; c < REPORT_C__MAX; c++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s%s",
		    c > 0 ? ", " : "", need & REPORT_BIT(c) ? rp_colsql[c] :
		    "NULL");
	snprintf(sql + n, sizeof(sql) - n, " FROM audit_events WHERE 1");
	rp_where(o, 1, sql, sizeof(sql));
	n = strlen(sql);
	snprintf(sql + n, sizeof(sql) - n, " ORDER BY seq");
	for (c = 0; c < REPORT_C__MAX; c++)
		if ((interns & REPORT_BIT(c)) && ctx->str[c] == NULL)
			ctx->str[c] = intern_new();

	p.o = o;
	p.need = need;
	p.lo = ctx->span.first_seq;
	p.hi = ctx->span.last_seq;
	p.nreaders = 1;
	p.nchunks = 1;
	p.chunk = RP_CHUNK;
	p.threaded = ctx->span.rows >= RP_THREAD_MIN && ncpu > 1;
	/* MCPGATE_AUDIT_THREADS: 1 never, 2 always (small chunks: tests) */
	if (force != NULL && strcmp(force, "1") == 0)
		p.threaded = 0;
	else if (force != NULL && strcmp(force, "2") == 0) {
		p.threaded = 1;
		p.chunk = 1000;
	}
	/* chunks by seq only pay off on the rowid scan (no index filter) */
	if (p.threaded && o->principal == NULL && o->tool == NULL &&
	    p.hi - p.lo >= 2 * p.chunk &&
	    (p.r[1].own = rp_second(ctx, p.lo, p.hi)) != NULL) {
		p.nreaders = 2;
		p.nchunks = (p.hi - p.lo) / p.chunk + 1;
	}
	/* the direct path, where the file allows it (audit/rowscan.c) */
	if (o->principal == NULL && o->tool == NULL) {
		struct rowscan	*probe = NULL;

		p.direct = rowscan_open(ctx->db, rp_colsql, REPORT_C__MAX,
		    p.lo, p.hi, ROWSCAN_DIRECT_ONLY, &probe, ctx->err,
		    sizeof(ctx->err)) == 0;
		rowscan_free(probe);
		ctx->err[0] = '\0';
	}
	pthread_mutex_init(&p.mu, NULL);
	for (i = 0; i < (size_t)p.nreaders; i++) {
		rd = &p.r[i];
		rd->p = &p;
		rd->idx = (int)i;
		rd->adb = i == 0 ? ctx->db : rd->own;
		for (k = 0; k < RP_NBATCH; k++)
			rd->b[k].rows = intern_xcalloc(RP_BATCH,
			    sizeof(*rd->b[k].rows));
		if (p.direct)
			continue;
		if (audit_db_prepare(rd->adb, sql, &rd->st,
		    ctx->err, sizeof(ctx->err)) == -1) {
			rc = -1;
			goto out;
		}
		rp_bind(rd->st, o, o->range.from_us, o->range.to_us, p.lo,
		    p.hi);
	}
	if (p.threaded) {
		pthread_cond_init(&p.cv, NULL);
		for (i = 0; i < (size_t)p.nreaders; i++) {
			if (pthread_create(&p.r[i].tid, NULL, rp_reader_main,
			    &p.r[i]) != 0) {
				rp_err(ctx, "cannot start a reader thread");
				rc = -1;
				goto out;
			}
			p.r[i].started = 1;
		}
	}

	memset(&row, 0, sizeof(row));
	for (chunk = 0; chunk < p.nchunks && rc == 0; chunk++) {
		rd = &p.r[chunk % p.nreaders];
		if (!p.threaded)
			rp_chunk(&p, rd, chunk);
		for (more = 1; more; rp_release(&p, rd)) {
			bt = rp_next(&p, rd);
			more = !bt->last;
			if (bt->last && bt->step != SQLITE_DONE) {
				step = bt->step;
				rc = -1;
			}
			for (k = 0; k < bt->n; k++) {
				br = &bt->rows[k];
				row.seq = br->seq;
				row.ts_us = br->ts_us;
				row.latency_us = br->latency_us;
				row.http_status = br->http_status;
				for (c = REPORT_C_KIND; c < REPORT_C__MAX;
				    c++) {
					if (!(need & REPORT_BIT(c)))
						continue;
					if (br->len[c] == RP_NULL) {
						row.s[c] = NULL;
						row.len[c] = 0;
						row.id[c] = 0;
						continue;
					}
					s = row.s[c] = bt->buf + br->off[c];
					len = row.len[c] = br->len[c];
					if (!(interns & REPORT_BIT(c)))
						continue;
					/* a repeat skips the hash */
					if (last_s[c] != NULL && last_len[c] ==
					    len && memcmp(last_s[c], s,
					    len) == 0) {
						row.id[c] = last[c];
						continue;
					}
					row.id[c] = last[c] = intern_id(
					    ctx->str[c], s, len);
					last_s[c] = intern_str(ctx->str[c],
					    last[c]);
					last_len[c] = len;
				}
				row.retention = row.s[REPORT_C_KIND] != NULL &&
				    row.len[REPORT_C_KIND] > 2 &&
				    row.s[REPORT_C_KIND][2] == 't';
				row.outcome = rp_outcome(
				    row.s[REPORT_C_OUTCOME]);
				row.decision = row.s[REPORT_C_DECISION] ==
				    NULL ? REPORT_DEC_NONE :
				    row.s[REPORT_C_DECISION][0] == 'd' ?
				    REPORT_DEC_DENY : REPORT_DEC_ALLOW;
				row.auth = rp_auth(row.s[REPORT_C_AUTH_RESULT],
				    row.len[REPORT_C_AUTH_RESULT]);
				row.idem = rp_idem(row.s[REPORT_C_IDEM_STATUS]);

				if (ctx->rows == 0) {
					ctx->first_seq = row.seq;
					ctx->first_ts = ctx->last_ts =
					    row.ts_us;
				}
				ctx->rows++;
				ctx->last_seq = row.seq;
				if (row.ts_us < ctx->first_ts)
					ctx->first_ts = row.ts_us;
				if (row.ts_us > ctx->last_ts)
					ctx->last_ts = row.ts_us;
				for (i = 0; i < nsel; i++)
					sel[i].def->row(sel[i].state, ctx,
					    &row);
				if ((ctx->rows & (RP_PROGRESS_EVERY - 1)) == 0)
					report_progress(o->progress,
					    ctx->rows, ctx->span.rows, t0, 0);
			}
		}
	}
out:
	if (p.threaded) {
		pthread_mutex_lock(&p.mu);
		p.stop = 1;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		for (i = 0; i < (size_t)p.nreaders; i++)
			if (p.r[i].started)
				pthread_join(p.r[i].tid, NULL);
		pthread_cond_destroy(&p.cv);
	}
	pthread_mutex_destroy(&p.mu);
	report_progress(o->progress, 0, 0, 0, 1);
	if (rc == -1 && ctx->err[0] == '\0')
		rp_err(ctx, "reading audit database %s: %s", o->db_path,
		    p.errmsg[0] != '\0' ? p.errmsg : sqlite3_errstr(step));
	for (i = 0; i < RP_NREADERS; i++) {
		sqlite3_finalize(p.r[i].st);
		rowscan_free(p.r[i].rs);
		for (k = 0; k < RP_NBATCH; k++) {
			free(p.r[i].b[k].rows);
			free(p.r[i].b[k].buf);
		}
		audit_db_close(p.r[i].own);
	}
	return rc;
}

/*
 * Buckets for the timeline: the smallest of a list of round sizes that
 * covers the rows' time span in at most RP_BUCKETS_MAX buckets, aligned
 * to the zone's clock (days start at local midnight, weeks on Monday).
 */
static void
rp_buckets(struct report_ctx *ctx)
{
	static const int64_t sizes[] = {
		INT64_C(60), INT64_C(300), INT64_C(600), INT64_C(900),
		INT64_C(1800), INT64_C(3600), INT64_C(7200), INT64_C(10800),
		INT64_C(21600), INT64_C(43200), INT64_C(86400),
		INT64_C(604800), INT64_C(2592000), INT64_C(31536000),
	};
	const struct report_opts *o = ctx->opts;
	int64_t	 lo, hi, size = 0, off, shift;
	size_t	 i;

	ctx->nbuckets = 0;
	if (ctx->span.rows == 0)
		return;
	lo = ctx->span.first_ts_us;
	hi = ctx->span.last_ts_us + 1;
	if (o->range.from_us != TIMERANGE_UNBOUNDED_FROM &&
	    o->range.from_us > lo - INT64_C(86400000000) * 366)
		lo = o->range.from_us > lo ? lo : o->range.from_us;
	if (o->range.to_us != TIMERANGE_UNBOUNDED_TO &&
	    o->range.to_us - hi < INT64_C(86400000000) * 366)
		hi = o->range.to_us > hi ? o->range.to_us : hi;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size = sizes[i] * 1000000;
		if ((hi - lo) / size < RP_BUCKETS_MAX)
			break;
	}
	off = (int64_t)o->tz_min * 60000000;
	/* 1970-01-01 was a Thursday: weeks start 3 days before the epoch */
	shift = size == INT64_C(604800000000) ? INT64_C(259200000000) : 0;
	lo = lo + off + shift;
	lo = (lo >= 0 ? lo / size : (lo - size + 1) / size) * size;
	ctx->t0_us = lo - off - shift;
	ctx->bucket_us = size;
	ctx->nbuckets = (size_t)((hi - ctx->t0_us + size - 1) / size);
	if (ctx->nbuckets == 0)
		ctx->nbuckets = 1;
}

/* row_hash of seq ("" if none). */
static void
rp_hash_of(struct report_ctx *ctx, int64_t seq, char *out, size_t len)
{
	sqlite3_stmt	*st;
	const char	*h;

	out[0] = '\0';
	if (seq <= 0 || audit_db_prepare(ctx->db, "SELECT row_hash FROM "
	    "audit_events WHERE seq = ?1", &st, NULL, 0) == -1)
		return;
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) == SQLITE_ROW && (h = (const char *)
	    sqlite3_column_text(st, 0)) != NULL)
		snprintf(out, len, "%s", h);
	sqlite3_finalize(st);
}

static void
rp_manifest(struct report_ctx *ctx)
{
	const struct report_opts *o = ctx->opts;
	struct doc	*d = ctx->doc;
	char		 buf[AUDIT_DB_HEX_LEN + 1], tz[16];

	doc_manifest_str(d, "report", d->report);
	doc_manifest_str(d, "analyzer", "mcpgate-audit " MCPGATE_VERSION);
	doc_manifest_time(d, "generated_at", o->now_us);
	doc_manifest_str(d, "database", o->db_path);
	doc_manifest_int(d, "schema_version", audit_db_version(ctx->db));
	doc_manifest_time(d, "range_from", o->range.from_us);
	doc_manifest_time(d, "range_to", o->range.to_us);
	doc_manifest_str(d, "tz", timerange_format_tz(o->tz_min, tz,
	    sizeof(tz)));
	doc_manifest_int(d, "rows", ctx->rows);
	doc_manifest_int(d, "first_seq", ctx->rows ? ctx->first_seq : 0);
	doc_manifest_int(d, "last_seq", ctx->rows ? ctx->last_seq : 0);
	if (ctx->rows) {
		doc_manifest_time(d, "first_ts", ctx->first_ts);
		doc_manifest_time(d, "last_ts", ctx->last_ts);
	} else {
		doc_manifest_str(d, "first_ts", NULL);
		doc_manifest_str(d, "last_ts", NULL);
	}
	rp_hash_of(ctx, ctx->rows ? ctx->last_seq : 0, buf, sizeof(buf));
	doc_manifest_hash(d, "last_row_hash", buf);
	doc_manifest_int(d, "rows_in_range", ctx->span.rows);
	doc_manifest_int(d, "db_rows", ctx->span.db_rows);
	doc_manifest_int(d, "db_first_seq", ctx->span.db_first_seq);
	doc_manifest_int(d, "db_last_seq", ctx->span.db_last_seq);
	doc_manifest_int(d, "sqlite_sequence", ctx->span.seq_hi);
	doc_manifest_hash(d, "chain_head", ctx->span.head_hash);
	if (ctx->hints != NULL)
		doc_manifest_hash(d, "config_sha256", ctx->hints->sha256);
}

static void
rp_params(struct report_ctx *ctx)
{
	const struct report_opts *o = ctx->opts;
	struct doc	*d = ctx->doc;

	doc_param_str(d, "format", o->format);
	doc_param_time(d, "from", o->range.from_us);
	doc_param_time(d, "to", o->range.to_us);
	if (o->principal)
		doc_param_str(d, "principal", o->principal);
	if (o->tool)
		doc_param_str(d, "tool", o->tool);
	if (o->outcome)
		doc_param_str(d, "outcome", o->outcome);
	if (o->decision)
		doc_param_str(d, "decision", o->decision);
	if (o->top)
		doc_param_int(d, "top", o->top);
	doc_param_int(d, "limit", o->limit);
	if (o->config)
		doc_param_str(d, "config", o->config);
	if (o->table)
		doc_param_str(d, "table", o->table);
}

/* --- options -------------------------------------------------------------- */

static void
rp_usage(FILE *f)
{
	size_t	 i;

	fputs("usage: mcpgate-audit report NAME[,NAME...] --db FILE [options]"
	    "\n\nreports:\n", f);
	for (i = 0; i < reports_ncatalogue; i++)
		fprintf(f, "  %-14s %s\n", reports_catalogue[i].name,
		    reports_catalogue[i].what);
	fprintf(f, "  %-14s every report above, in one document\n", "all");
	fprintf(f, "\noptions:\n"
	    "  --db FILE          the audit database (\"-\": read it from "
	    "stdin)\n"
	    "  --immutable        the file is an archived copy: no locking\n"
	    "  --format FMT       %s (default text)\n"
	    "  -o, --output FILE  write there (atomically) instead of stdout\n"
	    "  --from T, --to T   time range [from, to): ISO 8601, today, "
	    "yesterday,\n"
	    "                     this-week, last-week, this-month, "
	    "last-month, -24h, -7d\n"
	    "  --range R          last-week, 2025-03, -24h, A..B\n"
	    "  --tz OFFSET        zone for keywords and display (+02:00; "
	    "default UTC)\n"
	    "  --principal P, --tool T, --outcome O|error, --decision "
	    "allow|deny|none\n"
	    "  --top N            rows of ranked tables (summary: 10)\n"
	    "  --limit N          rows kept in row-level tables (access, "
	    "privileged;\n"
	    "                     default 100000, 0: all)\n"
	    "  --config FILE      mcpgate.json: tool hints for privileged, "
	    "tools\n"
	    "  --table ID         only this table of the report\n"
	    "  --progress, --no-progress\n", fmt_names());
}

static int
rp_posint(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int
rp_valid(const char *v, const char *const *names, size_t n, int skip0)
{
	size_t	 i;

	for (i = skip0 ? 1 : 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return 1;
	return 0;
}

/* Parses argv into o and the list of report names.  Returns 0, -1, 1. */
static int
rp_opts(int argc, char **argv, struct report_opts *o, char **names,
    char *err, size_t errlen)
{
	enum { O_DB = 256, O_FORMAT, O_FROM, O_TO, O_RANGE, O_TZ, O_PRINC,
	    O_TOOL, O_OUTCOME, O_DECISION, O_TOP, O_LIMIT, O_CONFIG, O_TABLE,
	    O_PROGRESS, O_NOPROGRESS, O_IMMUTABLE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "range", required_argument, NULL, O_RANGE },
		{ "tz", required_argument, NULL, O_TZ },
		{ "principal", required_argument, NULL, O_PRINC },
		{ "tool", required_argument, NULL, O_TOOL },
		{ "outcome", required_argument, NULL, O_OUTCOME },
		{ "decision", required_argument, NULL, O_DECISION },
		{ "top", required_argument, NULL, O_TOP },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "table", required_argument, NULL, O_TABLE },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "no-progress", no_argument, NULL, O_NOPROGRESS },
		{ "immutable", no_argument, NULL, O_IMMUTABLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*from = NULL, *to = NULL, *range = NULL, *tz = NULL;
	int		 ch;

	*names = NULL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_DB:
			o->db_path = optarg;
			break;
		case O_FORMAT:
			o->format = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case O_FROM:
			from = optarg;
			break;
		case O_TO:
			to = optarg;
			break;
		case O_RANGE:
			range = optarg;
			break;
		case O_TZ:
			tz = optarg;
			break;
		case O_PRINC:
			o->principal = optarg;
			break;
		case O_TOOL:
			o->tool = optarg;
			break;
		case O_OUTCOME:
			o->outcome = optarg;
			break;
		case O_DECISION:
			o->decision = optarg;
			break;
		case O_TOP:
		case O_LIMIT:
			if (rp_posint(optarg, ch == O_TOP ? &o->top :
			    &o->limit) == -1) {
				snprintf(err, errlen, "--%s wants a "
				    "non-negative number", ch == O_TOP ? "top" :
				    "limit");
				return -1;
			}
			break;
		case O_CONFIG:
			o->config = optarg;
			break;
		case O_TABLE:
			o->table = optarg;
			break;
		case O_PROGRESS:
			o->progress = 1;
			break;
		case O_NOPROGRESS:
			o->progress = -1;
			break;
		case O_IMMUTABLE:
			o->db_flags |= AUDIT_DB_IMMUTABLE;
			break;
		case 'h':
			return 1;
		default:
			snprintf(err, errlen, "unknown or incomplete option "
			    "\"%s\"", argv[optind - 1]);
			return -1;
		}
	}
	/* report NAME [DB]: names first, the database may follow */
	if (optind < argc)
		*names = argv[optind++];
	if (optind < argc && o->db_path == NULL)
		o->db_path = argv[optind++];
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument \"%s\"",
		    argv[optind]);
		return -1;
	}
	if (*names == NULL) {
		snprintf(err, errlen, "which report? (summary, principals, "
		    "tools, access, ...; see mcpgate-audit report --help)");
		return -1;
	}
	if (o->db_path == NULL) {
		snprintf(err, errlen, "no audit database given (--db FILE)");
		return -1;
	}
	if (fmt_find(o->format) == NULL) {
		snprintf(err, errlen, "unknown format \"%s\" (use %s)",
		    o->format, fmt_names());
		return -1;
	}
	if (o->outcome != NULL && strcmp(o->outcome, "error") != 0 &&
	    !rp_valid(o->outcome, report_outcome_names, REPORT_OUT__MAX, 1)) {
		snprintf(err, errlen, "--outcome: use ok, tool_error, "
		    "protocol_error, auth_error, http_error or error");
		return -1;
	}
	if (o->decision != NULL && !rp_valid(o->decision,
	    report_decision_names, REPORT_DEC__MAX, 0)) {
		snprintf(err, errlen, "--decision: use allow, deny or none");
		return -1;
	}
	return report_time_opts(from, to, range, tz, o->now_us, &o->range,
	    &o->tz_min, err, errlen);
}

/* Splits "a,b" into the selected reports.  Returns the count, or -1. */
static int
rp_select_reports(const char *names, struct rp_sel *sel, size_t max,
    char *err, size_t errlen)
{
	char		 buf[512], *p, *tok, *save = NULL;
	const struct report_def *def;
	size_t		 n = 0, i;

	snprintf(buf, sizeof(buf), "%s", names);
	for (p = buf; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
		if (strcmp(tok, "all") == 0) {
			for (i = 0; i < reports_ncatalogue && n < max; i++)
				sel[n++].def = &reports_catalogue[i];
			continue;
		}
		if ((def = reports_find(tok)) == NULL) {
			snprintf(err, errlen, "unknown report \"%s\" (see "
			    "mcpgate-audit report --help)", tok);
			return -1;
		}
		for (i = 0; i < n; i++)
			if (sel[i].def == def)
				break;
		if (i == n && n < max)
			sel[n++].def = def;
	}
	if (n == 0) {
		snprintf(err, errlen, "no report named");
		return -1;
	}
	return (int)n;
}

/* Keeps only the table called id (the others are freed). */
static int
rp_only_table(struct doc *d, const char *id)
{
	size_t	 i, keep = d->ntables;

	for (i = 0; i < d->ntables; i++)
		if (strcmp(d->tables[i]->id, id) == 0)
			keep = i;
	if (keep == d->ntables)
		return -1;
	for (i = 0; i < d->ntables; i++)
		if (i != keep) {
			free(d->tables[i]->cells);
			free(d->tables[i]);
		}
	d->tables[0] = d->tables[keep];
	d->ntables = 1;
	return 0;
}

int
report_main(int argc, char **argv)
{
	struct report_opts o;
	struct report_ctx ctx;
	struct rp_sel	 sel[32];
	const struct fmt_ops *fmt;
	char		*names = NULL, *tmp = NULL, title[640], err[512];
	uint64_t	 need = 0, interns = 0;
	FILE		*out = NULL;
	int		 nsel = 0, i, rc, status = 3;

	memset(&o, 0, sizeof(o));
	memset(&ctx, 0, sizeof(ctx));
	memset(sel, 0, sizeof(sel));
	o.format = "text";
	o.limit = REPORT_LIMIT_DEFAULT;
	o.now_us = report_now();
	err[0] = '\0';
	if ((rc = rp_opts(argc, argv, &o, &names, err, sizeof(err))) != 0) {
		if (rc == 1) {
			rp_usage(stdout);
			return 0;
		}
		fprintf(stderr, "mcpgate-audit report: %s\n", err);
		return 3;
	}
	if ((nsel = rp_select_reports(names, sel, sizeof(sel) /
	    sizeof(sel[0]), err, sizeof(err))) < 0) {
		fprintf(stderr, "mcpgate-audit report: %s\n", err);
		return 3;
	}
	fmt = fmt_find(o.format);
	ctx.opts = &o;
	if (o.config != NULL && hints_load(o.config, &ctx.hints, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mcpgate-audit report: %s\n", err);
		return 3;
	}
	if (audit_db_open(o.db_path, o.db_flags, &ctx.db, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mcpgate-audit report: %s\n", err);
		hints_free(ctx.hints);
		return 3;
	}
	snprintf(title, sizeof(title), "mcpgate-audit report: %s", names);
	ctx.doc = doc_new(names, title, o.tz_min);

	/* One snapshot for the span, the scan and the manifest. */
	if (audit_db_begin(ctx.db, ctx.err, sizeof(ctx.err)) == -1 ||
	    audit_db_span(ctx.db, o.range.from_us, o.range.to_us, &ctx.span,
	    ctx.err, sizeof(ctx.err)) == -1)
		goto out;
	rp_buckets(&ctx);
	for (i = 0; i < nsel; i++) {
		need |= sel[i].def->need;
		interns |= sel[i].def->intern;
		sel[i].state = sel[i].def->start(&ctx);
		if (sel[i].state == NULL)
			goto out;
	}
	if (ctx.span.rows > 0 && rp_scan(&ctx, sel, (size_t)nsel, need,
	    interns) == -1)
		goto out;
	for (i = 0; i < nsel; i++)
		if (sel[i].def->finish(sel[i].state, &ctx) == -1)
			goto out;
	rp_manifest(&ctx);
	rp_params(&ctx);
	audit_db_end(ctx.db);
	if (o.table != NULL && rp_only_table(ctx.doc, o.table) == -1) {
		rp_err(&ctx, "--table %s: no such table in this report",
		    o.table);
		goto out;
	}
	if ((out = report_output_open(o.output, &tmp, ctx.err,
	    sizeof(ctx.err))) == NULL)
		goto out;
	rc = fmt->render(out, ctx.doc);
	if (rc == -1)
		rp_err(&ctx, "writing the report: %s", strerror(errno));
	if (report_output_close(out, o.output, tmp, rc == 0, rc == 0 ?
	    ctx.err : err, rc == 0 ? sizeof(ctx.err) : sizeof(err)) == -1 ||
	    rc == -1)
		goto out;
	status = 0;
out:
	if (status != 0)
		fprintf(stderr, "mcpgate-audit report: %s\n", ctx.err[0] ?
		    ctx.err : "failed");
	for (i = 0; i < nsel; i++)
		if (sel[i].state != NULL)
			sel[i].def->free(sel[i].state);
	for (i = 0; i < REPORT_C__MAX; i++)
		intern_free(ctx.str[i]);
	doc_free(ctx.doc);
	hints_free(ctx.hints);
	audit_db_close(ctx.db);
	return status;
}
