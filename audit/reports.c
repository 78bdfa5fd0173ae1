/*
 * reports.c -- the report catalogue (analyzer-anchors.md §6): summary,
 * principals, tools, access, denials, auth, access-matrix, privileged,
 * idempotency, sessions.  Each report is one row of reports_catalogue:
 * the columns it reads, and start / row / finish / free.  Rows arrive in
 * sequence order from report.c's single scan; a report aggregates into
 * arrays indexed by interned ids (no allocation per row beyond amortised
 * growth) and, at finish, sorts and adds its tables to the doc.
 *
 * Reports never print and never touch SQLite except through report.c
 * (report_count) and, for the privileged report without --config, one
 * read-only query for the tools' scopes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "report.h"

#define B(c)		REPORT_BIT(REPORT_C_##c)
#define NCOLS(a)	(sizeof(a) / sizeof((a)[0]))
#define SUMMARY_TOP	10
#define FIRST_LAST(s, ts) do {						\
	if ((s)->first == 0 || (ts) < (s)->first)			\
		(s)->first = (ts);					\
	if ((ts) > (s)->last)						\
		(s)->last = (ts);					\
} while (0)

/* --- shared helpers ------------------------------------------------------- */

/* Element id of *arr (capacity *cap), growing it. */
#define AT(arr, cap, id)						\
	((arr) = intern_grow((arr), &(cap), (size_t)(id) + 1,		\
	    sizeof(*(arr))), &(arr)[(id)])

struct rs_vec {
	int64_t		*v;
	size_t		 n, cap;
};

static void
rs_push(struct rs_vec *x, int64_t v)
{
	if (x->n == x->cap)
		x->v = intern_grow(x->v, &x->cap, x->n + 1, sizeof(*x->v));
	x->v[x->n++] = v;
}

/* Appends the values of x to all (which has room for them). */
static void
rs_append(struct rs_vec *all, const struct rs_vec *x)
{
	if (x->n == 0)
		return;
	memcpy(all->v + all->n, x->v, x->n * sizeof(*x->v));
	all->n += x->n;
}

static const double rs_pcts[] = { 50, 95, 99, 100 };

/* p50, p95, p99, max of x (in ms) into cells c[0..3]; x is reordered. */
static void
rs_latency_cells(struct rs_vec *x, struct doc_cell *c)
{
	int64_t	 p[4];
	size_t	 i;

	if (x->n == 0)
		return;
	report_percentiles(x->v, x->n, rs_pcts, 4, p);
	for (i = 0; i < 4; i++)
		doc_set_real(&c[i], (double)p[i] / 1000.0);
}

static double
rs_pct(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part * 100.0 / (double)whole : 0.0;
}

static size_t
rs_top(const struct report_ctx *ctx, size_t def)
{
	return ctx->opts->top > 0 ? (size_t)ctx->opts->top : def;
}

static const char *
rs_str(const struct report_ctx *ctx, enum report_col c, uint32_t id)
{
	return ctx->str[c] == NULL ? NULL : intern_str(ctx->str[c], id);
}

/* Rank by count (descending), then name (ascending, NULL first). */
struct rs_rank {
	int64_t		 n;
	const char	*name;
	const char	*name2;
	uint32_t	 id;
};

static int
rs_strcmp(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int
rs_rank_cmp(const void *pa, const void *pb)
{
	const struct rs_rank *a = pa, *b = pb;
	int	 c;

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	if ((c = rs_strcmp(a->name, b->name)) != 0)
		return c;
	return rs_strcmp(a->name2, b->name2);
}

static int
rs_name_cmp(const void *pa, const void *pb)
{
	const struct rs_rank *a = pa, *b = pb;
	int	 c;

	if ((c = rs_strcmp(a->name, b->name)) != 0)
		return c;
	if ((c = rs_strcmp(a->name2, b->name2)) != 0)
		return c;
	return (a->n > b->n) - (a->n < b->n);
}

static void
rs_time(struct doc_cell *c, int64_t us)
{
	if (us != 0)
		doc_set_int(c, us);
}

/* A table limited to max rows, total_rows counting all. */
static void
rs_total(struct doc_table *t, size_t all)
{
	t->total_rows = (int64_t)all;
}

/* --- summary -------------------------------------------------------------- */

struct sm_tool {
	int64_t		 calls, failed, denied;
	struct rs_vec	 lat;
};

struct sm_ent {
	int64_t		 n, denied, failed, authfail;
};

struct summary {
	int64_t		 requests, markers, tool_calls, denied, failed;
	int64_t		 authfail;
	int64_t		 out[REPORT_OUT__MAX], dec[REPORT_DEC__MAX];
	int64_t		*cat;
	size_t		 capcat;
	struct sm_tool	*tools;
	size_t		 captools;
	struct sm_ent	*princ, *addr;
	size_t		 capprinc, capaddr;
	int64_t		(*tl)[4];	/* requests, ok, denied, failed */
	struct rs_vec	 other;		/* latencies of non-tool requests */
	struct intern_hset *sessions;	/* distinct session hashes */
	int64_t		 first, last;
};

static void *
summary_start(struct report_ctx *ctx)
{
	struct summary	*s = intern_xcalloc(1, sizeof(*s));

	s->tl = intern_xcalloc(ctx->nbuckets + 1, sizeof(*s->tl));
	s->sessions = intern_hset_new();
	return s;
}

static size_t
rs_bucket(const struct report_ctx *ctx, int64_t ts)
{
	int64_t	 b;

	if (ctx->bucket_us <= 0 || ts < ctx->t0_us)
		return 0;
	b = (ts - ctx->t0_us) / ctx->bucket_us;
	return (size_t)b >= ctx->nbuckets ? ctx->nbuckets - 1 : (size_t)b;
}

static void
summary_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct summary	*s = p;
	struct sm_tool	*t;
	struct sm_ent	*e;
	int64_t		*tl;
	int		 denied = REPORT_ROW_DENIED(r);
	int		 failed = REPORT_ROW_FAILED(r);
	int		 authfail = REPORT_ROW_AUTHFAIL(r);

	if (r->retention) {
		s->markers++;
		return;
	}
	s->requests++;
	FIRST_LAST(s, r->ts_us);
	s->out[r->outcome]++;
	s->dec[r->decision]++;
	if (r->s[REPORT_C_SESSION] != NULL)
		intern_hset_add(s->sessions, intern_hash64(
		    r->s[REPORT_C_SESSION], r->len[REPORT_C_SESSION]));
	s->denied += denied;
	s->failed += failed;
	s->authfail += authfail;
	if (r->id[REPORT_C_CATEGORY] != 0)
		(*AT(s->cat, s->capcat, r->id[REPORT_C_CATEGORY]))++;
	if (r->id[REPORT_C_TOOL] != 0) {
		s->tool_calls++;
		t = AT(s->tools, s->captools, r->id[REPORT_C_TOOL]);
		t->calls++;
		t->failed += failed;
		t->denied += denied;
		if (r->latency_us >= 0)
			rs_push(&t->lat, r->latency_us);
	} else if (r->latency_us >= 0)
		rs_push(&s->other, r->latency_us);
	if (r->id[REPORT_C_PRINCIPAL] != 0) {
		e = AT(s->princ, s->capprinc, r->id[REPORT_C_PRINCIPAL]);
		e->n++;
		e->denied += denied;
		e->failed += failed;
	}
	if (r->id[REPORT_C_ADDR] != 0) {
		e = AT(s->addr, s->capaddr, r->id[REPORT_C_ADDR]);
		e->n++;
		e->authfail += authfail;
	}
	if (ctx->nbuckets > 0) {
		tl = s->tl[rs_bucket(ctx, r->ts_us)];
		tl[0]++;
		tl[1] += !denied && !failed;
		tl[2] += denied;
		tl[3] += failed;
	}
}

static const struct doc_col sm_overview_cols[] = {
	{ "requests", DOC_INT }, { "tool_calls", DOC_INT },
	{ "principals", DOC_INT }, { "tools", DOC_INT },
	{ "sessions", DOC_INT }, { "client_addresses", DOC_INT },
	{ "ok", DOC_INT }, { "failed", DOC_INT }, { "denied", DOC_INT },
	{ "auth_failures", DOC_INT }, { "error_rate_pct", DOC_PCT },
	{ "p50_ms", DOC_MS }, { "p95_ms", DOC_MS }, { "p99_ms", DOC_MS },
	{ "max_ms", DOC_MS }, { "retention_markers", DOC_INT },
	{ "first_request", DOC_TIME }, { "last_request", DOC_TIME },
};
static const struct doc_col sm_prev_cols[] = {
	{ "metric", DOC_STR }, { "current", DOC_INT },
	{ "previous", DOC_INT }, { "change_pct", DOC_PCT },
};
static const struct doc_col sm_out_cols[] = {
	{ "outcome", DOC_STR }, { "requests", DOC_INT },
	{ "share_pct", DOC_PCT },
};
static const struct doc_col sm_dec_cols[] = {
	{ "decision", DOC_STR }, { "requests", DOC_INT },
	{ "share_pct", DOC_PCT },
};
static const struct doc_col sm_cat_cols[] = {
	{ "error_category", DOC_STR }, { "requests", DOC_INT },
	{ "share_pct", DOC_PCT },
};
static const struct doc_col sm_tl_cols[] = {
	{ "bucket_start", DOC_TIME }, { "requests", DOC_INT },
	{ "ok", DOC_INT }, { "denied", DOC_INT }, { "failed", DOC_INT },
};
static const struct doc_col sm_tools_cols[] = {
	{ "tool", DOC_STR }, { "calls", DOC_INT }, { "failed", DOC_INT },
	{ "denied", DOC_INT }, { "error_rate_pct", DOC_PCT },
};
static const struct doc_col sm_princ_cols[] = {
	{ "principal", DOC_STR }, { "requests", DOC_INT },
	{ "denied", DOC_INT }, { "failed", DOC_INT },
};
static const struct doc_col sm_addr_cols[] = {
	{ "client_addr", DOC_STR }, { "requests", DOC_INT },
	{ "auth_failures", DOC_INT },
};
static const struct doc_col sm_lat_cols[] = {
	{ "tool", DOC_STR }, { "calls", DOC_INT }, { "p50_ms", DOC_MS },
	{ "p95_ms", DOC_MS }, { "p99_ms", DOC_MS }, { "max_ms", DOC_MS },
};

static void
sm_share(struct report_ctx *ctx, const char *id, const char *title,
    const struct doc_col *cols, const char *const *names, const int64_t *n,
    size_t k, int64_t total, int skip0)
{
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	 rk[16];
	size_t		 i, m = 0;

	for (i = skip0 ? 1 : 0; i < k && m < 16; i++)
		if (n[i] > 0) {
			rk[m].n = n[i];
			rk[m].name = names[i];
			rk[m].name2 = NULL;
			rk[m++].id = (uint32_t)i;
		}
	qsort(rk, m, sizeof(rk[0]), rs_rank_cmp);
	t = doc_table_add(ctx->doc, id, title, cols, NCOLS(sm_out_cols));
	t->chart = DOC_CHART_SHARE;
	t->chart_col = 1;
	for (i = 0; i < m; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], rk[i].n);
		doc_set_real(&c[2], rs_pct(rk[i].n, total));
	}
}

static int
summary_finish(void *p, struct report_ctx *ctx)
{
	const struct report_opts *o = ctx->opts;
	struct summary	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct rs_vec	 all;
	size_t		 i, n, m, top = rs_top(ctx, SUMMARY_TOP);
	uint32_t	 id;
	int64_t		 cur[4], prev[4], len;
	const char	*names[REPORT_DEC__MAX];
	static const char *const metrics[4] = { "requests", "failed",
	    "denied", "auth_failures" };

	t = doc_table_add(ctx->doc, "overview", "Overview", sm_overview_cols,
	    NCOLS(sm_overview_cols));
	t->flags |= DOC_VERTICAL;
	c = doc_row_add(t);
	doc_set_int(&c[0], s->requests);
	doc_set_int(&c[1], s->tool_calls);
	doc_set_int(&c[2], ctx->str[REPORT_C_PRINCIPAL] ?
	    intern_count(ctx->str[REPORT_C_PRINCIPAL]) : 0);
	doc_set_int(&c[3], ctx->str[REPORT_C_TOOL] ?
	    intern_count(ctx->str[REPORT_C_TOOL]) : 0);
	doc_set_int(&c[4], (int64_t)intern_hset_count(s->sessions));
	doc_set_int(&c[5], ctx->str[REPORT_C_ADDR] ?
	    intern_count(ctx->str[REPORT_C_ADDR]) : 0);
	doc_set_int(&c[6], s->requests - s->denied - s->failed);
	doc_set_int(&c[7], s->failed);
	doc_set_int(&c[8], s->denied);
	doc_set_int(&c[9], s->authfail);
	doc_set_real(&c[10], rs_pct(s->requests - s->out[REPORT_OUT_OK],
	    s->requests));
	/* every latency, once, for the overall percentiles */
	memset(&all, 0, sizeof(all));
	n = s->other.n;
	for (i = 0; i < s->captools; i++)
		n += s->tools[i].lat.n;
	if (n > 0) {
		all.v = intern_xcalloc(n, sizeof(*all.v));
		rs_append(&all, &s->other);
		for (i = 0; i < s->captools; i++)
			rs_append(&all, &s->tools[i].lat);
		rs_latency_cells(&all, &c[11]);
		free(all.v);
	}
	doc_set_int(&c[15], s->markers);
	if (s->requests > 0) {
		doc_set_int(&c[16], s->first);
		doc_set_int(&c[17], s->last);
	}

	/* the period before, of the same length, when the range is closed */
	if (o->range.from_us != TIMERANGE_UNBOUNDED_FROM &&
	    o->range.to_us != TIMERANGE_UNBOUNDED_TO) {
		len = o->range.to_us - o->range.from_us;
		if (report_count(ctx, o->range.from_us - len, o->range.from_us,
		    prev) == -1)
			return -1;
		cur[0] = s->requests;
		cur[1] = s->failed;
		cur[2] = s->denied;
		cur[3] = s->authfail;
		t = doc_table_add(ctx->doc, "previous_period", "Compared with "
		    "the period before", sm_prev_cols, NCOLS(sm_prev_cols));
		t->note = doc_strdup(ctx->doc, "The same length of time just "
		    "before --from, with the same filters.");
		for (i = 0; i < 4; i++) {
			c = doc_row_add(t);
			doc_set_str(ctx->doc, &c[0], metrics[i]);
			doc_set_int(&c[1], cur[i]);
			doc_set_int(&c[2], prev[i]);
			if (prev[i] > 0)
				doc_set_real(&c[3], rs_pct(cur[i] - prev[i],
				    prev[i]));
		}
	}

	t = doc_table_add(ctx->doc, "timeline", "Requests over time",
	    sm_tl_cols, NCOLS(sm_tl_cols));
	t->chart = DOC_CHART_TIMELINE;
	if (ctx->nbuckets > 0) {
		char	 note[96];

		snprintf(note, sizeof(note), "Buckets of %" PRId64 " minutes.",
		    ctx->bucket_us / 60000000);
		t->note = doc_strdup(ctx->doc, note);
	}
	for (i = 0; i < ctx->nbuckets && s->requests > 0; i++) {
		c = doc_row_add(t);
		doc_set_int(&c[0], ctx->t0_us + (int64_t)i * ctx->bucket_us);
		for (m = 0; m < 4; m++)
			doc_set_int(&c[m + 1], s->tl[i][m]);
	}

	sm_share(ctx, "outcomes", "Outcomes", sm_out_cols,
	    report_outcome_names, s->out,
	    REPORT_OUT__MAX, s->requests, 0);
	/* tools by calls, with latency percentiles */
	rk = intern_xcalloc(s->captools + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->captools; id++)
		if (s->tools[id].calls > 0) {
			rk[m].n = s->tools[id].calls;
			rk[m].name = rs_str(ctx, REPORT_C_TOOL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "top_tools", "Top tools", sm_tools_cols,
	    NCOLS(sm_tools_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	for (i = 0; i < m && i < top; i++) {
		struct sm_tool *st = &s->tools[rk[i].id];

		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], st->calls);
		doc_set_int(&c[2], st->failed);
		doc_set_int(&c[3], st->denied);
		doc_set_real(&c[4], rs_pct(st->failed + st->denied, st->calls));
	}
	rs_total(t, m);
	t = doc_table_add(ctx->doc, "latency", "Latency percentiles by tool",
	    sm_lat_cols, NCOLS(sm_lat_cols));
	t->chart = DOC_CHART_LATENCY;
	t->chart_col = 2;
	t->note = doc_strdup(ctx->doc, "Exact nearest-rank percentiles of "
	    "latency_us, in milliseconds.");
	for (i = 0; i < m && i < top; i++) {
		struct sm_tool *st = &s->tools[rk[i].id];

		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], st->calls);
		rs_latency_cells(&st->lat, &c[2]);
	}
	rs_total(t, m);
	free(rk);

	/* principals and addresses */
	rk = intern_xcalloc(s->capprinc + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capprinc; id++)
		if (s->princ[id].n > 0) {
			rk[m].n = s->princ[id].n;
			rk[m].name = rs_str(ctx, REPORT_C_PRINCIPAL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "top_principals", "Top principals",
	    sm_princ_cols, NCOLS(sm_princ_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	for (i = 0; i < m && i < top; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], s->princ[rk[i].id].n);
		doc_set_int(&c[2], s->princ[rk[i].id].denied);
		doc_set_int(&c[3], s->princ[rk[i].id].failed);
	}
	rs_total(t, m);
	free(rk);
	rk = intern_xcalloc(s->capaddr + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capaddr; id++)
		if (s->addr[id].n > 0) {
			rk[m].n = s->addr[id].n;
			rk[m].name = rs_str(ctx, REPORT_C_ADDR, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "top_addresses", "Top client addresses",
	    sm_addr_cols, NCOLS(sm_addr_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	for (i = 0; i < m && i < top; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], s->addr[rk[i].id].n);
		doc_set_int(&c[2], s->addr[rk[i].id].authfail);
	}
	rs_total(t, m);
	free(rk);
	for (i = 0; i < REPORT_DEC__MAX; i++)
		names[i] = report_decision_names[i];
	sm_share(ctx, "decisions", "Authorization decisions", sm_dec_cols,
	    names, s->dec,
	    REPORT_DEC__MAX, s->requests, 0);

	/* error categories */
	t = doc_table_add(ctx->doc, "error_categories", "Error categories",
	    sm_cat_cols, NCOLS(sm_cat_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	rk = intern_xcalloc(s->capcat + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capcat; id++)
		if (s->cat[id] > 0) {
			rk[m].n = s->cat[id];
			rk[m].name = rs_str(ctx, REPORT_C_CATEGORY, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	for (i = 0; i < m; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], rk[i].n);
		doc_set_real(&c[2], rs_pct(rk[i].n, s->requests));
	}
	free(rk);

	return 0;
}

static void
summary_free(void *p)
{
	struct summary	*s = p;
	size_t		 i;

	for (i = 0; i < s->captools; i++)
		free(s->tools[i].lat.v);
	free(s->tools);
	free(s->cat);
	free(s->princ);
	free(s->addr);
	free(s->tl);
	free(s->other.v);
	intern_hset_free(s->sessions);
	free(s);
}

/* --- principals ----------------------------------------------------------- */

struct pr_ent {
	int64_t		 requests, tool_calls, denied, failed, tools, addrs;
	int64_t		 first, last;
	uint32_t	 methods;	/* bit per auth_method id (< 32) */
};

struct principals {
	struct pr_ent	*e;
	size_t		 cap;
	struct intern_map *tools, *addrs;
	int64_t		 anonymous;
};

static void *
principals_start(struct report_ctx *ctx)
{
	struct principals *s = intern_xcalloc(1, sizeof(*s));

	s->tools = intern_map_new();
	s->addrs = intern_map_new();
	return s;
}

static void
principals_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct principals *s = p;
	struct pr_ent	*e;
	uint32_t	 pid = r->id[REPORT_C_PRINCIPAL];
	int		 added;

	if (r->retention)
		return;
	if (pid == 0) {
		s->anonymous++;
		return;
	}
	e = AT(s->e, s->cap, pid);
	e->requests++;
	FIRST_LAST(e, r->ts_us);
	e->denied += REPORT_ROW_DENIED(r);
	e->failed += REPORT_ROW_FAILED(r);
	if (r->id[REPORT_C_AUTH_METHOD] != 0 &&
	    r->id[REPORT_C_AUTH_METHOD] < 32)
		e->methods |= UINT32_C(1) << r->id[REPORT_C_AUTH_METHOD];
	if (r->id[REPORT_C_TOOL] != 0) {
		e->tool_calls++;
		intern_map_get(s->tools, INTERN_PAIR(pid,
		    r->id[REPORT_C_TOOL]), &added);
		e->tools += added;
	}
	if (r->id[REPORT_C_ADDR] != 0) {
		intern_map_get(s->addrs, INTERN_PAIR(pid,
		    r->id[REPORT_C_ADDR]), &added);
		e->addrs += added;
	}
}

static const struct doc_col pr_cols[] = {
	{ "principal", DOC_STR }, { "requests", DOC_INT },
	{ "tool_calls", DOC_INT }, { "tools_used", DOC_INT },
	{ "denied", DOC_INT }, { "failed", DOC_INT },
	{ "auth_methods", DOC_STR }, { "client_addresses", DOC_INT },
	{ "first_seen", DOC_TIME }, { "last_seen", DOC_TIME },
};

static int
principals_finish(void *p, struct report_ctx *ctx)
{
	struct principals *s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct pr_ent	*e;
	char		 methods[256];
	size_t		 i, m, n, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id, b;

	rk = intern_xcalloc(s->cap + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->cap; id++)
		if (s->e[id].requests > 0) {
			rk[m].n = s->e[id].requests;
			rk[m].name = rs_str(ctx, REPORT_C_PRINCIPAL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "principals", "Principals", pr_cols,
	    NCOLS(pr_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	if (s->anonymous > 0) {
		char	 note[128];

		snprintf(note, sizeof(note), "%" PRId64 " requests had no "
		    "authenticated principal (see the auth report).",
		    s->anonymous);
		t->note = doc_strdup(ctx->doc, note);
	}
	for (i = 0; i < m && i < top; i++) {
		e = &s->e[rk[i].id];
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], e->requests);
		doc_set_int(&c[2], e->tool_calls);
		doc_set_int(&c[3], e->tools);
		doc_set_int(&c[4], e->denied);
		doc_set_int(&c[5], e->failed);
		methods[0] = '\0';
		for (b = 1, n = 0; b < 32; b++)
			if (e->methods & (UINT32_C(1) << b)) {
				n += (size_t)snprintf(methods + n, n <
				    sizeof(methods) ? sizeof(methods) - n : 0,
				    "%s%s", n > 0 ? "," : "", rs_str(ctx,
				    REPORT_C_AUTH_METHOD, b));
				if (n >= sizeof(methods))
					break;
			}
		if (methods[0] != '\0')
			doc_set_str(ctx->doc, &c[6], methods);
		doc_set_int(&c[7], e->addrs);
		rs_time(&c[8], e->first);
		rs_time(&c[9], e->last);
	}
	rs_total(t, m);
	free(rk);
	return 0;
}

static void
principals_free(void *p)
{
	struct principals *s = p;

	intern_map_free(s->tools);
	intern_map_free(s->addrs);
	free(s->e);
	free(s);
}

/* --- tools ---------------------------------------------------------------- */

struct tl_ent {
	int64_t		 calls, ok, tool_errors, protocol_errors, other_errors;
	int64_t		 denied, principals;
	struct rs_vec	 lat;
	uint32_t	 scope;		/* first scope_required seen */
	int		 keyed;
};

struct tl_pair {
	int64_t		 n;
};

struct tools {
	struct tl_ent	*e;
	size_t		 cap;
	struct intern_map *callers, *cats;
	struct tl_pair	*caller_n, *cat_n;
	size_t		 capcaller, capcat;
};

static void *
tools_start(struct report_ctx *ctx)
{
	struct tools	*s = intern_xcalloc(1, sizeof(*s));

	s->callers = intern_map_new();
	s->cats = intern_map_new();
	return s;
}

static void
tools_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct tools	*s = p;
	struct tl_ent	*e;
	uint32_t	 tid = r->id[REPORT_C_TOOL], k;
	int		 added;

	if (r->retention || tid == 0)
		return;
	e = AT(s->e, s->cap, tid);
	e->calls++;
	if (REPORT_ROW_DENIED(r))
		e->denied++;
	else if (r->outcome == REPORT_OUT_OK)
		e->ok++;
	else if (r->outcome == REPORT_OUT_TOOL_ERROR)
		e->tool_errors++;
	else if (r->outcome == REPORT_OUT_PROTOCOL_ERROR)
		e->protocol_errors++;
	else
		e->other_errors++;
	if (r->latency_us >= 0)
		rs_push(&e->lat, r->latency_us);
	if (e->scope == 0)
		e->scope = r->id[REPORT_C_SCOPE];
	if (r->s[REPORT_C_IDEM_KEY] != NULL)
		e->keyed = 1;
	if (r->id[REPORT_C_PRINCIPAL] != 0) {
		k = intern_map_get(s->callers, INTERN_PAIR(tid,
		    r->id[REPORT_C_PRINCIPAL]), &added);
		e->principals += added;
		AT(s->caller_n, s->capcaller, k)->n++;
	}
	if (r->id[REPORT_C_CATEGORY] != 0 && !REPORT_ROW_DENIED(r) &&
	    r->outcome != REPORT_OUT_OK) {
		k = intern_map_get(s->cats, INTERN_PAIR(tid,
		    r->id[REPORT_C_CATEGORY]), NULL);
		AT(s->cat_n, s->capcat, k)->n++;
	}
}

static const struct doc_col tl_cols[] = {
	{ "tool", DOC_STR }, { "class", DOC_STR }, { "class_from", DOC_STR },
	{ "scope", DOC_STR }, { "calls", DOC_INT }, { "ok", DOC_INT },
	{ "tool_errors", DOC_INT }, { "protocol_errors", DOC_INT },
	{ "other_errors", DOC_INT }, { "denied", DOC_INT },
	{ "error_rate_pct", DOC_PCT }, { "p50_ms", DOC_MS },
	{ "p95_ms", DOC_MS }, { "p99_ms", DOC_MS }, { "max_ms", DOC_MS },
	{ "principals", DOC_INT }, { "top_caller", DOC_STR },
	{ "top_caller_calls", DOC_INT },
};
static const struct doc_col tl_err_cols[] = {
	{ "tool", DOC_STR }, { "error_category", DOC_STR },
	{ "errors", DOC_INT }, { "share_of_calls_pct", DOC_PCT },
};

/*
 * The class of a tool: from --config, else guessed (hints_guess).  With a
 * config, a tool it does not list (a call to an unknown tool, refused by
 * the server) is HINTS__MAX: "unknown", never privileged.
 */
static enum hints_class
rs_class(const struct report_ctx *ctx, const char *tool, const char *scope,
    int keyed, const char **from)
{
	const struct hints_tool *h = hints_find(ctx->hints, tool);

	if (h != NULL) {
		*from = "config";
		return h->class;
	}
	if (ctx->hints != NULL) {
		*from = "not in config";
		return HINTS__MAX;
	}
	*from = "guess";
	return hints_guess(tool, scope, keyed);
}

static int
tools_finish(void *p, struct report_ctx *ctx)
{
	struct tools	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk, *top_caller;
	struct tl_ent	*e;
	const char	*from, *scope;
	size_t		 i, m, n, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id, k, tid;

	/* the busiest caller of each tool */
	top_caller = intern_xcalloc(s->cap + 1, sizeof(*top_caller));
	n = intern_map_count(s->callers);
	for (k = 0; k < n; k++) {
		tid = (uint32_t)(intern_map_key(s->callers, k) >> 32);
		id = (uint32_t)intern_map_key(s->callers, k);
		if (s->caller_n[k].n > top_caller[tid].n ||
		    (s->caller_n[k].n == top_caller[tid].n && rs_strcmp(
		    rs_str(ctx, REPORT_C_PRINCIPAL, id),
		    top_caller[tid].name) < 0)) {
			top_caller[tid].n = s->caller_n[k].n;
			top_caller[tid].name = rs_str(ctx, REPORT_C_PRINCIPAL,
			    id);
		}
	}
	rk = intern_xcalloc(s->cap + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->cap; id++)
		if (s->e[id].calls > 0) {
			rk[m].n = s->e[id].calls;
			rk[m].name = rs_str(ctx, REPORT_C_TOOL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "tools", "Tools", tl_cols,
	    NCOLS(tl_cols));
	t->chart = DOC_CHART_LATENCY;
	t->chart_col = 11;
	if (ctx->hints == NULL)
		t->note = doc_strdup(ctx->doc, "class is guessed from the tool "
		    "name, scope and idempotency keys; pass --config "
		    "mcpgate.json for the configured hints.");
	for (i = 0; i < m && i < top; i++) {
		e = &s->e[rk[i].id];
		scope = rs_str(ctx, REPORT_C_SCOPE, e->scope);
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_str(ctx->doc, &c[1], hints_class_name(rs_class(ctx,
		    rk[i].name, scope, e->keyed, &from)));
		doc_set_str(ctx->doc, &c[2], from);
		doc_set_str(ctx->doc, &c[3], scope);
		doc_set_int(&c[4], e->calls);
		doc_set_int(&c[5], e->ok);
		doc_set_int(&c[6], e->tool_errors);
		doc_set_int(&c[7], e->protocol_errors);
		doc_set_int(&c[8], e->other_errors);
		doc_set_int(&c[9], e->denied);
		doc_set_real(&c[10], rs_pct(e->calls - e->ok, e->calls));
		rs_latency_cells(&e->lat, &c[11]);
		doc_set_int(&c[15], e->principals);
		if (top_caller[rk[i].id].name != NULL) {
			doc_set_str(ctx->doc, &c[16],
			    top_caller[rk[i].id].name);
			doc_set_int(&c[17], top_caller[rk[i].id].n);
		}
	}
	rs_total(t, m);
	free(rk);
	free(top_caller);

	n = intern_map_count(s->cats);
	rk = intern_xcalloc(n + 1, sizeof(*rk));
	for (k = 0; k < n; k++) {
		tid = (uint32_t)(intern_map_key(s->cats, k) >> 32);
		rk[k].n = s->cat_n[k].n;
		rk[k].name = rs_str(ctx, REPORT_C_TOOL, tid);
		rk[k].name2 = rs_str(ctx, REPORT_C_CATEGORY,
		    (uint32_t)intern_map_key(s->cats, k));
		rk[k].id = tid;
	}
	qsort(rk, n, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "tool_errors", "Tool errors by category",
	    tl_err_cols, NCOLS(tl_err_cols));
	for (k = 0; k < n && k < top; k++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[k].name);
		doc_set_str(ctx->doc, &c[1], rk[k].name2);
		doc_set_int(&c[2], rk[k].n);
		doc_set_real(&c[3], rs_pct(rk[k].n, s->e[rk[k].id].calls));
	}
	rs_total(t, n);
	free(rk);
	return 0;
}

static void
tools_free(void *p)
{
	struct tools	*s = p;
	size_t		 i;

	for (i = 0; i < s->cap; i++)
		free(s->e[i].lat.v);
	free(s->e);
	intern_map_free(s->callers);
	intern_map_free(s->cats);
	free(s->caller_n);
	free(s->cat_n);
	free(s);
}

/* --- access and privileged: row-level ------------------------------------- */

static const struct doc_col ac_cols[] = {
	{ "ts", DOC_TIME }, { "seq", DOC_INT }, { "request_id", DOC_STR },
	{ "principal", DOC_STR }, { "tool", DOC_STR },
	{ "decision", DOC_STR }, { "outcome", DOC_STR },
	{ "error_category", DOC_STR }, { "error_code", DOC_STR },
	{ "latency_ms", DOC_MS }, { "client_addr", DOC_STR },
	{ "idem_status", DOC_STR }, { "session", DOC_HASH },
};
static const struct doc_col ac_sum_cols[] = {
	{ "principal", DOC_STR }, { "tool", DOC_STR }, { "outcome", DOC_STR },
	{ "calls", DOC_INT }, { "first_seen", DOC_TIME },
	{ "last_seen", DOC_TIME },
};

struct ac_trip {
	int64_t		 n, first, last;
};

struct access {
	struct doc_table *rows;
	struct intern_map *trip;	/* (principal, tool) x outcome */
	struct ac_trip	*tn;
	size_t		 captn;
	int64_t		 total;
};

static void *
access_start(struct report_ctx *ctx)
{
	struct access	*s = intern_xcalloc(1, sizeof(*s));

	s->rows = doc_table_new(ctx->doc, "access", "Tool calls, in order",
	    ac_cols, NCOLS(ac_cols));
	s->trip = intern_map_new();
	return s;
}

/* The common row-level cells of access and privileged. */
static void
rs_call_cells(struct report_ctx *ctx, const struct report_row *r,
    struct doc_cell *c)
{
	struct doc	*d = ctx->doc;

	doc_set_int(&c[0], r->ts_us);
	doc_set_int(&c[1], r->seq);
	doc_set_strn(d, &c[2], r->s[REPORT_C_REQUEST_ID],
	    r->len[REPORT_C_REQUEST_ID]);
	doc_set_str(d, &c[3], rs_str(ctx, REPORT_C_PRINCIPAL,
	    r->id[REPORT_C_PRINCIPAL]));
	doc_set_str(d, &c[4], rs_str(ctx, REPORT_C_TOOL,
	    r->id[REPORT_C_TOOL]));
	if (r->decision != REPORT_DEC_NONE)
		doc_set_str(d, &c[5], report_decision_names[r->decision]);
	if (r->outcome != REPORT_OUT_NONE)
		doc_set_str(d, &c[6], report_outcome_names[r->outcome]);
	doc_set_strn(d, &c[7], r->s[REPORT_C_CATEGORY],
	    r->len[REPORT_C_CATEGORY]);
}

static void
access_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct access	*s = p;
	struct doc_cell	*c;
	struct ac_trip	*tr;
	uint32_t	 k;
	int64_t		 limit = ctx->opts->limit;

	if (r->retention || r->id[REPORT_C_TOOL] == 0)
		return;
	s->total++;
	k = intern_map_get(s->trip, INTERN_PAIR(r->id[REPORT_C_PRINCIPAL],
	    r->id[REPORT_C_TOOL]) * REPORT_OUT__MAX + r->outcome, NULL);
	tr = AT(s->tn, s->captn, k);
	tr->n++;
	FIRST_LAST(tr, r->ts_us);
	if (limit > 0 && (int64_t)s->rows->nrows >= limit)
		return;
	c = doc_row_add(s->rows);
	rs_call_cells(ctx, r, c);
	doc_set_strn(ctx->doc, &c[8], r->s[REPORT_C_ERROR_CODE],
	    r->len[REPORT_C_ERROR_CODE]);
	if (r->latency_us >= 0)
		doc_set_real(&c[9], (double)r->latency_us / 1000.0);
	doc_set_strn(ctx->doc, &c[10], r->s[REPORT_C_ADDR],
	    r->len[REPORT_C_ADDR]);
	if (r->idem != REPORT_IDEM_NONE)
		doc_set_str(ctx->doc, &c[11], report_idem_names[r->idem]);
	doc_set_strn(ctx->doc, &c[12], r->s[REPORT_C_SESSION],
	    r->len[REPORT_C_SESSION]);
}

static int
access_finish(void *p, struct report_ctx *ctx)
{
	struct access	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	size_t		 n = intern_map_count(s->trip), k;
	uint64_t	 key;

	/* the summary first: who called what, with what outcome */
	rk = intern_xcalloc(n + 1, sizeof(*rk));
	for (k = 0; k < n; k++) {
		key = intern_map_key(s->trip, k) / REPORT_OUT__MAX;
		rk[k].name = rs_str(ctx, REPORT_C_PRINCIPAL,
		    (uint32_t)(key >> 32));
		rk[k].name2 = rs_str(ctx, REPORT_C_TOOL, (uint32_t)key);
		rk[k].n = (int64_t)(intern_map_key(s->trip, k) %
		    REPORT_OUT__MAX);
		rk[k].id = (uint32_t)k;
	}
	qsort(rk, n, sizeof(*rk), rs_name_cmp);
	t = doc_table_add(ctx->doc, "access_summary", "Who called which tool, "
	    "with what outcome", ac_sum_cols, NCOLS(ac_sum_cols));
	for (k = 0; k < n; k++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[k].name);
		doc_set_str(ctx->doc, &c[1], rk[k].name2);
		doc_set_str(ctx->doc, &c[2], report_outcome_names[rk[k].n]);
		doc_set_int(&c[3], s->tn[rk[k].id].n);
		rs_time(&c[4], s->tn[rk[k].id].first);
		rs_time(&c[5], s->tn[rk[k].id].last);
	}
	free(rk);
	s->rows->total_rows = s->total;
	doc_table_attach(ctx->doc, s->rows);
	s->rows = NULL;
	return 0;
}

static void
access_free(void *p)
{
	struct access	*s = p;

	doc_table_free(s->rows);
	intern_map_free(s->trip);
	free(s->tn);
	free(s);
}

/* Privileged: calls to tools that are not read-only. */
static const struct doc_col pv_cols[] = {
	{ "ts", DOC_TIME }, { "seq", DOC_INT }, { "request_id", DOC_STR },
	{ "principal", DOC_STR }, { "tool", DOC_STR },
	{ "decision", DOC_STR }, { "outcome", DOC_STR },
	{ "error_category", DOC_STR }, { "class", DOC_STR },
	{ "idem_status", DOC_STR }, { "idem_key", DOC_HASH },
	{ "latency_ms", DOC_MS }, { "client_addr", DOC_STR },
};
static const struct doc_col pv_sum_cols[] = {
	{ "tool", DOC_STR }, { "class", DOC_STR }, { "principal", DOC_STR },
	{ "calls", DOC_INT }, { "ok", DOC_INT }, { "failed", DOC_INT },
	{ "denied", DOC_INT }, { "new", DOC_INT }, { "replay", DOC_INT },
	{ "conflict", DOC_INT }, { "in_flight", DOC_INT },
	{ "unkeyed", DOC_INT },
};

struct pv_pair {
	int64_t		 calls, ok, failed, denied, idem[REPORT_IDEM__MAX];
};

struct privileged {
	struct doc_table *rows;
	struct intern	*names;		/* tools by name, from the pre-pass */
	signed char	*cls;		/* by ctx tool id: -1 unknown */
	size_t		 capcls;
	struct intern_map *pairs;	/* (tool, principal) */
	struct pv_pair	*pn;
	size_t		 cappn;
	int64_t		 total;
	char		 from[32];
};

/*
 * Without --config, the class of each tool is guessed from all of its
 * calls in the range (scope, any idempotency key), read here in one
 * grouped query before the scan, so that a tool is not judged on its
 * first rows alone.
 */
static int
pv_prepass(struct report_ctx *ctx, struct privileged *s)
{
	sqlite3_stmt	*st;
	const char	*tool, *scope;
	int		 step;

	/* NOT INDEXED: one pass over the rowid range, not a lookup per
	   row through the (tool, ts_us) index */
	if (audit_db_prepare(ctx->db, "SELECT tool, max(scope_required), "
	    "max(idem_key_hash IS NOT NULL OR idem_status IS NOT NULL) FROM "
	    "audit_events NOT INDEXED WHERE tool IS NOT NULL AND seq >= ?1 "
	    "AND seq <= ?2 GROUP BY tool", &st, ctx->err,
	    sizeof(ctx->err)) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, ctx->span.first_seq);
	sqlite3_bind_int64(st, 2, ctx->span.last_seq);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		tool = (const char *)sqlite3_column_text(st, 0);
		scope = (const char *)sqlite3_column_text(st, 1);
		if (tool == NULL)
			continue;
		if (hints_guess(tool, scope, sqlite3_column_int(st, 2)) !=
		    HINTS_READ)
			intern_id(s->names, tool, strlen(tool));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		snprintf(ctx->err, sizeof(ctx->err), "reading audit database: "
		    "%s", sqlite3_errmsg(audit_db_sqlite(ctx->db)));
		return -1;
	}
	return 0;
}

static void *
privileged_start(struct report_ctx *ctx)
{
	struct privileged *s = intern_xcalloc(1, sizeof(*s));

	s->rows = doc_table_new(ctx->doc, "privileged_calls", "Calls to "
	    "privileged (write and destructive) tools", pv_cols,
	    NCOLS(pv_cols));
	s->names = intern_new();
	s->pairs = intern_map_new();
	snprintf(s->from, sizeof(s->from), "%s", ctx->hints ? "config" :
	    "guess");
	if (ctx->hints == NULL && ctx->span.rows > 0 &&
	    pv_prepass(ctx, s) == -1) {
		doc_table_free(s->rows);
		intern_free(s->names);
		intern_map_free(s->pairs);
		free(s);
		return NULL;
	}
	return s;
}

/* The class of tool id (cached): -1 read, else enum hints_class. */
static int
pv_class(struct privileged *s, struct report_ctx *ctx, uint32_t tid)
{
	signed char	*c = AT(s->cls, s->capcls, tid);
	const struct hints_tool *h;
	const char	*name;

	if (*c != 0)
		return *c - 1;
	name = rs_str(ctx, REPORT_C_TOOL, tid);
	if (ctx->hints != NULL) {
		h = hints_find(ctx->hints, name);
		/* a tool the config does not list never ran: not privileged */
		*c = (signed char)(1 + (h != NULL ? (int)h->class :
		    HINTS_READ));
	} else
		*c = (signed char)(1 + (intern_find(s->names, name,
		    strlen(name)) != 0 ? (int)hints_guess(name, NULL, 1) :
		    HINTS_READ));
	return *c - 1;
}

static void
privileged_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct privileged *s = p;
	struct doc_cell	*c;
	struct pv_pair	*pp;
	uint32_t	 tid = r->id[REPORT_C_TOOL], k;
	int		 cls;
	int64_t		 limit = ctx->opts->limit;

	if (r->retention || tid == 0 || (cls = pv_class(s, ctx, tid)) ==
	    HINTS_READ)
		return;
	s->total++;
	k = intern_map_get(s->pairs, INTERN_PAIR(tid,
	    r->id[REPORT_C_PRINCIPAL]), NULL);
	pp = AT(s->pn, s->cappn, k);
	pp->calls++;
	pp->denied += REPORT_ROW_DENIED(r);
	pp->failed += REPORT_ROW_FAILED(r);
	pp->ok += !REPORT_ROW_DENIED(r) && !REPORT_ROW_FAILED(r);
	pp->idem[r->idem]++;
	if (limit > 0 && (int64_t)s->rows->nrows >= limit)
		return;
	c = doc_row_add(s->rows);
	rs_call_cells(ctx, r, c);
	doc_set_str(ctx->doc, &c[8], hints_class_name((enum hints_class)cls));
	if (r->idem != REPORT_IDEM_NONE)
		doc_set_str(ctx->doc, &c[9], report_idem_names[r->idem]);
	doc_set_strn(ctx->doc, &c[10], r->s[REPORT_C_IDEM_KEY],
	    r->len[REPORT_C_IDEM_KEY]);
	if (r->latency_us >= 0)
		doc_set_real(&c[11], (double)r->latency_us / 1000.0);
	doc_set_strn(ctx->doc, &c[12], r->s[REPORT_C_ADDR],
	    r->len[REPORT_C_ADDR]);
}

static int
privileged_finish(void *p, struct report_ctx *ctx)
{
	struct privileged *s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct pv_pair	*pp;
	size_t		 n = intern_map_count(s->pairs), k;
	uint32_t	 tid;

	rk = intern_xcalloc(n + 1, sizeof(*rk));
	for (k = 0; k < n; k++) {
		tid = (uint32_t)(intern_map_key(s->pairs, k) >> 32);
		rk[k].name = rs_str(ctx, REPORT_C_TOOL, tid);
		rk[k].name2 = rs_str(ctx, REPORT_C_PRINCIPAL,
		    (uint32_t)intern_map_key(s->pairs, k));
		rk[k].id = (uint32_t)k;
	}
	qsort(rk, n, sizeof(*rk), rs_name_cmp);
	t = doc_table_add(ctx->doc, "privileged_summary", "Privileged tools: "
	    "calls by principal, with idempotency status", pv_sum_cols,
	    NCOLS(pv_sum_cols));
	t->note = doc_strdup(ctx->doc, ctx->hints != NULL ? "Privileged: "
	    "readOnlyHint not true in the config (MCP defaults for missing "
	    "hints); calls to tools the config does not list are left out." :
	    "Privileged: guessed from tool names, scopes and "
	    "idempotency keys (no --config given).");
	for (k = 0; k < n; k++) {
		pp = &s->pn[rk[k].id];
		tid = (uint32_t)(intern_map_key(s->pairs, rk[k].id) >> 32);
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[k].name);
		doc_set_str(ctx->doc, &c[1], hints_class_name(
		    (enum hints_class)pv_class(s, ctx, tid)));
		doc_set_str(ctx->doc, &c[2], rk[k].name2);
		doc_set_int(&c[3], pp->calls);
		doc_set_int(&c[4], pp->ok);
		doc_set_int(&c[5], pp->failed);
		doc_set_int(&c[6], pp->denied);
		doc_set_int(&c[7], pp->idem[REPORT_IDEM_NEW]);
		doc_set_int(&c[8], pp->idem[REPORT_IDEM_REPLAY]);
		doc_set_int(&c[9], pp->idem[REPORT_IDEM_CONFLICT]);
		doc_set_int(&c[10], pp->idem[REPORT_IDEM_IN_FLIGHT]);
		doc_set_int(&c[11], pp->idem[REPORT_IDEM_NONE]);
	}
	free(rk);
	s->rows->total_rows = s->total;
	doc_table_attach(ctx->doc, s->rows);
	s->rows = NULL;
	return 0;
}

static void
privileged_free(void *p)
{
	struct privileged *s = p;

	doc_table_free(s->rows);
	intern_free(s->names);
	intern_map_free(s->pairs);
	free(s->cls);
	free(s->pn);
	free(s);
}

/* --- denials -------------------------------------------------------------- */

struct dn_trip {
	int64_t		 n, first, last;
	uint32_t	 principal, scope, tool, reason;
};

struct dn_princ {
	int64_t		 n, scopes, tools;
};

struct denials {
	struct intern	*keys;		/* "principal\x1fscope\x1ftool" */
	struct dn_trip	*t;
	size_t		 capt;
	struct dn_princ	*p;
	size_t		 capp;
	struct intern_map *scopes, *tools;
};

static void *
denials_start(struct report_ctx *ctx)
{
	struct denials	*s = intern_xcalloc(1, sizeof(*s));

	s->keys = intern_new();
	s->scopes = intern_map_new();
	s->tools = intern_map_new();
	return s;
}

static void
denials_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct denials	*s = p;
	struct dn_trip	*t;
	struct dn_princ	*dp;
	uint32_t	 key[3], id;
	int		 added;

	if (r->retention || !REPORT_ROW_DENIED(r))
		return;
	key[0] = r->id[REPORT_C_PRINCIPAL];
	key[1] = r->id[REPORT_C_SCOPE];
	key[2] = r->id[REPORT_C_TOOL];
	id = intern_id(s->keys, (const char *)key, sizeof(key));
	t = AT(s->t, s->capt, id);
	if (t->n++ == 0) {
		t->principal = key[0];
		t->scope = key[1];
		t->tool = key[2];
		t->reason = r->id[REPORT_C_REASON];
	}
	FIRST_LAST(t, r->ts_us);
	dp = AT(s->p, s->capp, key[0]);
	dp->n++;
	if (key[1] != 0) {
		intern_map_get(s->scopes, INTERN_PAIR(key[0], key[1]), &added);
		dp->scopes += added;
	}
	if (key[2] != 0) {
		intern_map_get(s->tools, INTERN_PAIR(key[0], key[2]), &added);
		dp->tools += added;
	}
}

static const struct doc_col dn_cols[] = {
	{ "principal", DOC_STR }, { "scope_required", DOC_STR },
	{ "tool", DOC_STR }, { "denials", DOC_INT }, { "reason", DOC_STR },
	{ "first_seen", DOC_TIME }, { "last_seen", DOC_TIME },
};
static const struct doc_col dn_p_cols[] = {
	{ "principal", DOC_STR }, { "denials", DOC_INT },
	{ "scopes", DOC_INT }, { "tools", DOC_INT },
};

static int
denials_finish(void *p, struct report_ctx *ctx)
{
	struct denials	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct dn_trip	*dt;
	size_t		 i, m, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id;

	rk = intern_xcalloc(s->capp + 1, sizeof(*rk));
	for (id = 0, m = 0; id < s->capp; id++)
		if (s->p[id].n > 0) {
			rk[m].n = s->p[id].n;
			rk[m].name = rs_str(ctx, REPORT_C_PRINCIPAL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "denials_by_principal", "Denied "
	    "principals", dn_p_cols, NCOLS(dn_p_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	t->note = doc_strdup(ctx->doc, "Requests whose authorization "
	    "decision was deny; an empty principal is an unauthenticated "
	    "caller.");
	for (i = 0; i < m && i < top; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], s->p[rk[i].id].n);
		doc_set_int(&c[2], s->p[rk[i].id].scopes);
		doc_set_int(&c[3], s->p[rk[i].id].tools);
	}
	rs_total(t, m);
	free(rk);

	rk = intern_xcalloc(s->capt + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capt; id++)
		if (s->t[id].n > 0) {
			rk[m].n = s->t[id].n;
			rk[m].name = rs_str(ctx, REPORT_C_PRINCIPAL,
			    s->t[id].principal);
			rk[m].name2 = rs_str(ctx, REPORT_C_TOOL, s->t[id].tool);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "denials", "Denials by principal, scope "
	    "and tool", dn_cols, NCOLS(dn_cols));
	for (i = 0; i < m && i < top; i++) {
		dt = &s->t[rk[i].id];
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_str(ctx->doc, &c[1], rs_str(ctx, REPORT_C_SCOPE,
		    dt->scope));
		doc_set_str(ctx->doc, &c[2], rk[i].name2);
		doc_set_int(&c[3], dt->n);
		doc_set_str(ctx->doc, &c[4], rs_str(ctx, REPORT_C_REASON,
		    dt->reason));
		rs_time(&c[5], dt->first);
		rs_time(&c[6], dt->last);
	}
	rs_total(t, m);
	free(rk);
	return 0;
}

static void
denials_free(void *p)
{
	struct denials	*s = p;

	intern_free(s->keys);
	intern_map_free(s->scopes);
	intern_map_free(s->tools);
	free(s->t);
	free(s->p);
	free(s);
}

/* --- auth ----------------------------------------------------------------- */

struct au_ent {
	int64_t		 failures, by[REPORT_AUTH__MAX], tried, later_ok;
	int64_t		 first, last;
};

struct auth {
	struct au_ent	*addr;
	size_t		 capaddr;
	struct intern	*who;		/* attempted identities */
	struct au_ent	*w;
	size_t		 capw;
	struct intern_map *tried, *waddr;
	int64_t		 failures;
};

static void *
auth_start(struct report_ctx *ctx)
{
	struct auth	*s = intern_xcalloc(1, sizeof(*s));

	s->who = intern_new();
	s->tried = intern_map_new();
	s->waddr = intern_map_new();
	return s;
}

/* principal, else the token's sub, else the key id, else NULL. */
static const char *
au_attempted(const struct report_row *r, size_t *len)
{
	static const enum report_col order[] = { REPORT_C_PRINCIPAL,
	    REPORT_C_TOKEN_SUB, REPORT_C_KEY_ID };
	size_t	 i;

	for (i = 0; i < 3; i++)
		if (r->s[order[i]] != NULL) {
			*len = r->len[order[i]];
			return r->s[order[i]];
		}
	*len = 0;
	return NULL;
}

static void
auth_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct auth	*s = p;
	struct au_ent	*a = NULL, *w = NULL;
	const char	*who;
	size_t		 len;
	uint32_t	 aid = r->id[REPORT_C_ADDR], wid;
	int		 added;

	if (r->retention || r->auth == REPORT_AUTH_NONE)
		return;
	who = au_attempted(r, &len);
	if (r->auth == REPORT_AUTH_OK) {
		/* a success after failures, from the address or for the
		   identity that failed */
		if (aid != 0 && aid < s->capaddr && s->addr[aid].failures > 0)
			s->addr[aid].later_ok++;
		if (who != NULL && (wid = intern_find(s->who, who, len)) !=
		    0 && s->w[wid].failures > 0)
			s->w[wid].later_ok++;
		return;
	}
	s->failures++;
	wid = intern_id(s->who, who, len);
	if (aid != 0) {
		a = AT(s->addr, s->capaddr, aid);
		a->failures++;
		a->by[r->auth]++;
		FIRST_LAST(a, r->ts_us);
		intern_map_get(s->tried, INTERN_PAIR(aid, wid), &added);
		a->tried += added;
	}
	w = AT(s->w, s->capw, wid);
	w->failures++;
	w->by[r->auth]++;
	FIRST_LAST(w, r->ts_us);
	if (aid != 0) {
		intern_map_get(s->waddr, INTERN_PAIR(wid, aid), &added);
		w->tried += added;
	}
}

static const struct doc_col au_addr_cols[] = {
	{ "client_addr", DOC_STR }, { "failures", DOC_INT },
	{ "missing", DOC_INT }, { "invalid", DOC_INT },
	{ "expired", DOC_INT }, { "revoked", DOC_INT }, { "error", DOC_INT },
	{ "identities_tried", DOC_INT }, { "first_failure", DOC_TIME },
	{ "last_failure", DOC_TIME }, { "later_successes", DOC_INT },
};
static const struct doc_col au_who_cols[] = {
	{ "attempted", DOC_STR }, { "failures", DOC_INT },
	{ "missing", DOC_INT }, { "invalid", DOC_INT },
	{ "expired", DOC_INT }, { "revoked", DOC_INT }, { "error", DOC_INT },
	{ "client_addresses", DOC_INT }, { "first_failure", DOC_TIME },
	{ "last_failure", DOC_TIME }, { "later_successes", DOC_INT },
};

static void
au_cells(struct doc_cell *c, const struct au_ent *e)
{
	int	 k;

	doc_set_int(&c[1], e->failures);
	for (k = REPORT_AUTH_MISSING; k < REPORT_AUTH__MAX; k++)
		doc_set_int(&c[2 + k - REPORT_AUTH_MISSING], e->by[k]);
	doc_set_int(&c[7], e->tried);
	rs_time(&c[8], e->first);
	rs_time(&c[9], e->last);
	doc_set_int(&c[10], e->later_ok);
}

static int
auth_finish(void *p, struct report_ctx *ctx)
{
	struct auth	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	size_t		 i, m, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id;

	rk = intern_xcalloc(s->capaddr + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capaddr; id++)
		if (s->addr[id].failures > 0) {
			rk[m].n = s->addr[id].failures;
			rk[m].name = rs_str(ctx, REPORT_C_ADDR, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "auth_by_address", "Authentication "
	    "failures by client address", au_addr_cols, NCOLS(au_addr_cols));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	t->note = doc_strdup(ctx->doc, "later_successes: successful "
	    "authentications from the address after its first failure.");
	for (i = 0; i < m && i < top; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		au_cells(c, &s->addr[rk[i].id]);
	}
	rs_total(t, m);
	free(rk);

	rk = intern_xcalloc(s->capw + 1, sizeof(*rk));
	for (id = 0, m = 0; id < s->capw; id++)
		if (s->w[id].failures > 0) {
			rk[m].n = s->w[id].failures;
			rk[m].name = intern_str(s->who, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "auth_by_identity", "Authentication "
	    "failures by attempted identity", au_who_cols,
	    NCOLS(au_who_cols));
	t->note = doc_strdup(ctx->doc, "attempted: the principal, else the "
	    "token subject, else the API key id; empty when the request "
	    "named none.");
	for (i = 0; i < m && i < top; i++) {
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		au_cells(c, &s->w[rk[i].id]);
	}
	rs_total(t, m);
	free(rk);
	return 0;
}

static void
auth_free(void *p)
{
	struct auth	*s = p;

	free(s->addr);
	free(s->w);
	intern_free(s->who);
	intern_map_free(s->tried);
	intern_map_free(s->waddr);
	free(s);
}

/* --- access-matrix -------------------------------------------------------- */

struct mx_cell {
	int64_t		 calls, allowed, denied, failed, first, last;
};

struct matrix {
	struct intern_map *pairs;
	struct mx_cell	*c;
	size_t		 capc;
};

static void *
matrix_start(struct report_ctx *ctx)
{
	struct matrix	*s = intern_xcalloc(1, sizeof(*s));

	s->pairs = intern_map_new();
	return s;
}

static void
matrix_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct matrix	*s = p;
	struct mx_cell	*m;
	uint32_t	 k;

	if (r->retention || r->id[REPORT_C_TOOL] == 0)
		return;
	k = intern_map_get(s->pairs, INTERN_PAIR(r->id[REPORT_C_PRINCIPAL],
	    r->id[REPORT_C_TOOL]), NULL);
	m = AT(s->c, s->capc, k);
	m->calls++;
	m->allowed += r->decision == REPORT_DEC_ALLOW;
	m->denied += REPORT_ROW_DENIED(r);
	m->failed += REPORT_ROW_FAILED(r);
	FIRST_LAST(m, r->ts_us);
}

static const struct doc_col mx_cols[] = {
	{ "principal", DOC_STR }, { "tool", DOC_STR }, { "calls", DOC_INT },
	{ "allowed", DOC_INT }, { "denied", DOC_INT }, { "failed", DOC_INT },
	{ "first_seen", DOC_TIME }, { "last_seen", DOC_TIME },
};

static int
matrix_finish(void *p, struct report_ctx *ctx)
{
	struct matrix	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct mx_cell	*m;
	size_t		 n = intern_map_count(s->pairs), k;
	uint64_t	 key;

	rk = intern_xcalloc(n + 1, sizeof(*rk));
	for (k = 0; k < n; k++) {
		key = intern_map_key(s->pairs, k);
		rk[k].name = rs_str(ctx, REPORT_C_PRINCIPAL,
		    (uint32_t)(key >> 32));
		rk[k].name2 = rs_str(ctx, REPORT_C_TOOL, (uint32_t)key);
		rk[k].id = (uint32_t)k;
	}
	qsort(rk, n, sizeof(*rk), rs_name_cmp);
	t = doc_table_add(ctx->doc, "access_matrix", "Access matrix: "
	    "principal x tool", mx_cols, NCOLS(mx_cols));
	t->note = doc_strdup(ctx->doc, "For access reviews: every principal "
	    "that called a tool in the range, with first and last use.");
	for (k = 0; k < n; k++) {
		m = &s->c[rk[k].id];
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[k].name);
		doc_set_str(ctx->doc, &c[1], rk[k].name2);
		doc_set_int(&c[2], m->calls);
		doc_set_int(&c[3], m->allowed);
		doc_set_int(&c[4], m->denied);
		doc_set_int(&c[5], m->failed);
		rs_time(&c[6], m->first);
		rs_time(&c[7], m->last);
	}
	free(rk);
	return 0;
}

static void
matrix_free(void *p)
{
	struct matrix	*s = p;

	intern_map_free(s->pairs);
	free(s->c);
	free(s);
}

/* --- idempotency ---------------------------------------------------------- */

struct id_key {
	int64_t		 rows, idem[REPORT_IDEM__MAX], first, last;
	uint32_t	 tool, principal, digest, exec_digest;
	int		 principals2, digests2, exec_digests2;
};

struct id_tool {
	int64_t		 keyed, unkeyed, keys, idem[REPORT_IDEM__MAX];
};

struct idempotency {
	struct id_key	*k;
	size_t		 capk;
	struct id_tool	*t;
	size_t		 capt;
	struct intern_map *tk;
};

static void *
idem_start(struct report_ctx *ctx)
{
	struct idempotency *s = intern_xcalloc(1, sizeof(*s));

	s->tk = intern_map_new();
	return s;
}

static void
idem_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct idempotency *s = p;
	struct id_key	*k;
	struct id_tool	*t;
	uint32_t	 kid = r->id[REPORT_C_IDEM_KEY];
	uint32_t	 tid = r->id[REPORT_C_TOOL];
	uint32_t	 dig = r->id[REPORT_C_DIGEST];
	uint32_t	 pid = r->id[REPORT_C_PRINCIPAL];
	int		 added;

	if (r->retention || tid == 0)
		return;
	t = AT(s->t, s->capt, tid);
	if (kid == 0) {
		t->unkeyed++;
		return;
	}
	t->keyed++;
	t->idem[r->idem]++;
	intern_map_get(s->tk, INTERN_PAIR(tid, kid), &added);
	t->keys += added;
	k = AT(s->k, s->capk, kid);
	if (k->rows++ == 0) {
		k->tool = tid;
		k->principal = pid;
		k->digest = dig;
	}
	FIRST_LAST(k, r->ts_us);
	k->idem[r->idem]++;
	if (pid != k->principal)
		k->principals2 = 1;
	if (dig != k->digest)
		k->digests2 = 1;
	if (r->idem == REPORT_IDEM_NEW) {
		if (k->idem[REPORT_IDEM_NEW] == 1)
			k->exec_digest = dig;
		else if (dig != k->exec_digest)
			k->exec_digests2 = 1;
	}
}

static const struct doc_col id_tool_cols[] = {
	{ "tool", DOC_STR }, { "keyed_calls", DOC_INT }, { "keys", DOC_INT },
	{ "new", DOC_INT }, { "replay", DOC_INT }, { "conflict", DOC_INT },
	{ "in_flight", DOC_INT }, { "unkeyed_calls", DOC_INT },
};
static const struct doc_col id_find_cols[] = {
	{ "severity", DOC_STR }, { "finding", DOC_STR },
	{ "idem_key", DOC_HASH }, { "tool", DOC_STR },
	{ "principal", DOC_STR }, { "rows", DOC_INT },
	{ "executed", DOC_INT }, { "replay", DOC_INT },
	{ "conflict", DOC_INT }, { "in_flight", DOC_INT },
	{ "first_seen", DOC_TIME }, { "last_seen", DOC_TIME },
};

/* The finding for a key, most severe first; rank 0: none. */
static int
id_finding(const struct id_key *k, const char **sev, const char **what)
{
	if (k->idem[REPORT_IDEM_NEW] >= 2 && k->exec_digests2) {
		*sev = "critical";
		*what = "executed again with different arguments";
		return 4;
	}
	if (k->idem[REPORT_IDEM_NEW] >= 2) {
		*sev = "critical";
		*what = "executed more than once";
		return 3;
	}
	if (k->principals2) {
		*sev = "medium";
		*what = "one key, several principals";
		return 2;
	}
	if (k->idem[REPORT_IDEM_CONFLICT] > 0) {
		*sev = "info";
		*what = "conflict refused";
		return 1;
	}
	return 0;
}

static int
idem_finish(void *p, struct report_ctx *ctx)
{
	struct idempotency *s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct id_tool	*it;
	struct id_key	*k;
	const char	*sev = "", *what = "";
	size_t		 i, m, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id;
	int		 j;

	rk = intern_xcalloc(s->capt + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capt; id++)
		if (s->t[id].keyed > 0) {
			rk[m].n = s->t[id].keyed;
			rk[m].name = rs_str(ctx, REPORT_C_TOOL, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "idempotency_by_tool", "Idempotency by "
	    "tool", id_tool_cols, NCOLS(id_tool_cols));
	t->note = doc_strdup(ctx->doc, "Tools with at least one call that "
	    "carried an idempotency key.");
	for (i = 0; i < m; i++) {
		it = &s->t[rk[i].id];
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_int(&c[1], it->keyed);
		doc_set_int(&c[2], it->keys);
		for (j = REPORT_IDEM_NEW; j < REPORT_IDEM__MAX; j++)
			doc_set_int(&c[3 + j - REPORT_IDEM_NEW], it->idem[j]);
		doc_set_int(&c[7], it->unkeyed);
	}
	free(rk);

	rk = intern_xcalloc(s->capk + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->capk; id++)
		if (s->k[id].rows > 0 && (j = id_finding(&s->k[id], &sev,
		    &what)) > 0) {
			rk[m].n = (int64_t)j << 40 | s->k[id].rows;
			rk[m].name = rs_str(ctx, REPORT_C_IDEM_KEY, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "idempotency_findings", "Idempotency "
	    "findings", id_find_cols, NCOLS(id_find_cols));
	t->note = doc_strdup(ctx->doc, "executed: rows served as new (the "
	    "tool ran).  critical: a write ran more than once under one key "
	    "(exactly-once violated, a conflict not enforced, or a key reused "
	    "after its TTL); medium: one key hash under several principals; "
	    "info: the server refused a reuse with other arguments.");
	for (i = 0; i < m && i < top; i++) {
		k = &s->k[rk[i].id];
		id_finding(k, &sev, &what);
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], sev);
		doc_set_str(ctx->doc, &c[1], what);
		doc_set_str(ctx->doc, &c[2], rk[i].name);
		doc_set_str(ctx->doc, &c[3], rs_str(ctx, REPORT_C_TOOL,
		    k->tool));
		doc_set_str(ctx->doc, &c[4], rs_str(ctx, REPORT_C_PRINCIPAL,
		    k->principal));
		doc_set_int(&c[5], k->rows);
		doc_set_int(&c[6], k->idem[REPORT_IDEM_NEW]);
		doc_set_int(&c[7], k->idem[REPORT_IDEM_REPLAY]);
		doc_set_int(&c[8], k->idem[REPORT_IDEM_CONFLICT]);
		doc_set_int(&c[9], k->idem[REPORT_IDEM_IN_FLIGHT]);
		rs_time(&c[10], k->first);
		rs_time(&c[11], k->last);
	}
	rs_total(t, m);
	free(rk);
	return 0;
}

static void
idem_free(void *p)
{
	struct idempotency *s = p;

	free(s->k);
	free(s->t);
	intern_map_free(s->tk);
	free(s);
}

/* --- sessions ------------------------------------------------------------- */

struct se_ent {
	int64_t		 requests, tool_calls, failed, denied, first, last;
	int64_t		 principals, tools, addrs, uas;
	uint32_t	 principal;
};

struct sessions {
	struct se_ent	*e;
	size_t		 cap;
	struct intern_map *p, *t, *a, *u;
};

static void *
sessions_start(struct report_ctx *ctx)
{
	struct sessions	*s = intern_xcalloc(1, sizeof(*s));

	s->p = intern_map_new();
	s->t = intern_map_new();
	s->a = intern_map_new();
	s->u = intern_map_new();
	return s;
}

static void
se_distinct(struct intern_map *m, uint32_t sid, uint32_t v, int64_t *n)
{
	int	 added;

	if (v == 0)
		return;
	intern_map_get(m, INTERN_PAIR(sid, v), &added);
	*n += added;
}

static void
sessions_row(void *p, struct report_ctx *ctx, const struct report_row *r)
{
	struct sessions	*s = p;
	struct se_ent	*e;
	uint32_t	 sid = r->id[REPORT_C_SESSION];

	if (r->retention || sid == 0)
		return;
	e = AT(s->e, s->cap, sid);
	e->requests++;
	FIRST_LAST(e, r->ts_us);
	e->tool_calls += r->id[REPORT_C_TOOL] != 0;
	e->failed += REPORT_ROW_FAILED(r);
	e->denied += REPORT_ROW_DENIED(r);
	if (e->principal == 0)
		e->principal = r->id[REPORT_C_PRINCIPAL];
	se_distinct(s->p, sid, r->id[REPORT_C_PRINCIPAL], &e->principals);
	se_distinct(s->t, sid, r->id[REPORT_C_TOOL], &e->tools);
	se_distinct(s->a, sid, r->id[REPORT_C_ADDR], &e->addrs);
	se_distinct(s->u, sid, r->id[REPORT_C_UA], &e->uas);
}

static const struct doc_col se_cols[] = {
	{ "session", DOC_HASH }, { "principal", DOC_STR },
	{ "requests", DOC_INT }, { "tool_calls", DOC_INT },
	{ "tools", DOC_INT }, { "failed", DOC_INT }, { "denied", DOC_INT },
	{ "first_seen", DOC_TIME }, { "last_seen", DOC_TIME },
	{ "duration_s", DOC_REAL }, { "principals", DOC_INT },
	{ "client_addresses", DOC_INT }, { "user_agents", DOC_INT },
	{ "flags", DOC_STR },
};

static int
sessions_finish(void *p, struct report_ctx *ctx)
{
	struct sessions	*s = p;
	struct doc_table *t;
	struct doc_cell	*c;
	struct rs_rank	*rk;
	struct se_ent	*e;
	char		 flags[128];
	size_t		 i, m, top = rs_top(ctx, SIZE_MAX);
	uint32_t	 id;

	rk = intern_xcalloc(s->cap + 1, sizeof(*rk));
	for (id = 1, m = 0; id < s->cap; id++)
		if (s->e[id].requests > 0) {
			rk[m].n = s->e[id].requests;
			rk[m].name = rs_str(ctx, REPORT_C_SESSION, id);
			rk[m++].id = id;
		}
	qsort(rk, m, sizeof(*rk), rs_rank_cmp);
	t = doc_table_add(ctx->doc, "sessions", "Sessions", se_cols,
	    NCOLS(se_cols));
	t->note = doc_strdup(ctx->doc, "session is the SHA-256 of the "
	    "Mcp-Session-Id. flags: a session used by several principals, "
	    "addresses or user agents deserves a look (MCP security best "
	    "practices: bind sessions to users).");
	for (i = 0; i < m && i < top; i++) {
		e = &s->e[rk[i].id];
		c = doc_row_add(t);
		doc_set_str(ctx->doc, &c[0], rk[i].name);
		doc_set_str(ctx->doc, &c[1], rs_str(ctx, REPORT_C_PRINCIPAL,
		    e->principal));
		doc_set_int(&c[2], e->requests);
		doc_set_int(&c[3], e->tool_calls);
		doc_set_int(&c[4], e->tools);
		doc_set_int(&c[5], e->failed);
		doc_set_int(&c[6], e->denied);
		rs_time(&c[7], e->first);
		rs_time(&c[8], e->last);
		doc_set_real(&c[9], (double)(e->last - e->first) / 1e6);
		doc_set_int(&c[10], e->principals);
		doc_set_int(&c[11], e->addrs);
		doc_set_int(&c[12], e->uas);
		snprintf(flags, sizeof(flags), "%s%s%s", e->principals > 1 ?
		    "principals " : "", e->addrs > 1 ? "addresses " : "",
		    e->uas > 1 ? "user_agents " : "");
		if (flags[0] != '\0') {
			flags[strlen(flags) - 1] = '\0';
			doc_set_str(ctx->doc, &c[13], flags);
		}
	}
	rs_total(t, m);
	free(rk);
	return 0;
}

static void
sessions_free(void *p)
{
	struct sessions	*s = p;

	intern_map_free(s->p);
	intern_map_free(s->t);
	intern_map_free(s->a);
	intern_map_free(s->u);
	free(s->e);
	free(s);
}

/* --- the catalogue -------------------------------------------------------- */

const struct report_def reports_catalogue[] = {
	{ "summary", "totals, outcomes, decisions, error categories, top "
	    "tools/principals/addresses, timeline, latency",
	    B(PRINCIPAL) | B(TOOL) | B(ADDR) | B(CATEGORY) | B(LATENCY) |
	    B(SESSION),
	    B(PRINCIPAL) | B(TOOL) | B(ADDR) | B(CATEGORY),
	    summary_start, summary_row, summary_finish, summary_free },
	{ "principals", "per principal: requests, tools used, denials, "
	    "errors, auth methods, addresses, first/last seen",
	    B(PRINCIPAL) | B(AUTH_METHOD) | B(TOOL) | B(ADDR),
	    B(PRINCIPAL) | B(AUTH_METHOD) | B(TOOL) | B(ADDR),
	    principals_start, principals_row, principals_finish,
	    principals_free },
	{ "tools", "per tool: calls, errors by category, p50/p95/p99 "
	    "latency, callers, class",
	    B(TOOL) | B(PRINCIPAL) | B(CATEGORY) | B(LATENCY) | B(SCOPE) |
	    B(IDEM_KEY),
	    B(TOOL) | B(PRINCIPAL) | B(CATEGORY) | B(SCOPE),
	    tools_start, tools_row, tools_finish, tools_free },
	{ "access", "tool calls in order: who called what, with what "
	    "outcome (--tool, --principal)",
	    B(REQUEST_ID) | B(PRINCIPAL) | B(TOOL) | B(CATEGORY) |
	    B(ERROR_CODE) | B(LATENCY) | B(ADDR) | B(IDEM_STATUS) | B(SESSION),
	    B(PRINCIPAL) | B(TOOL),
	    access_start, access_row, access_finish, access_free },
	{ "denials", "denied requests by principal x scope x tool",
	    B(PRINCIPAL) | B(SCOPE) | B(TOOL) | B(REASON),
	    B(PRINCIPAL) | B(SCOPE) | B(TOOL) | B(REASON),
	    denials_start, denials_row, denials_finish, denials_free },
	{ "auth", "authentication failures by address and attempted "
	    "identity; successes after failures",
	    B(ADDR) | B(PRINCIPAL) | B(TOKEN_SUB) | B(KEY_ID),
	    B(ADDR),
	    auth_start, auth_row, auth_finish, auth_free },
	{ "access-matrix", "principal x tool: calls, first and last use "
	    "(access reviews)",
	    B(PRINCIPAL) | B(TOOL), B(PRINCIPAL) | B(TOOL),
	    matrix_start, matrix_row, matrix_finish, matrix_free },
	{ "privileged", "calls to write and destructive tools, with "
	    "idempotency status (--config for hints)",
	    B(REQUEST_ID) | B(PRINCIPAL) | B(TOOL) | B(CATEGORY) |
	    B(IDEM_KEY) | B(IDEM_STATUS) | B(LATENCY) | B(ADDR),
	    B(PRINCIPAL) | B(TOOL),
	    privileged_start, privileged_row, privileged_finish,
	    privileged_free },
	{ "idempotency", "keys: replays, conflicts, writes executed more "
	    "than once",
	    B(TOOL) | B(PRINCIPAL) | B(IDEM_KEY) | B(IDEM_STATUS) | B(DIGEST),
	    B(TOOL) | B(PRINCIPAL) | B(IDEM_KEY) | B(DIGEST),
	    idem_start, idem_row, idem_finish, idem_free },
	{ "sessions", "per session: duration, calls, tools, principals, "
	    "addresses, user agents",
	    B(SESSION) | B(PRINCIPAL) | B(TOOL) | B(ADDR) | B(UA),
	    B(SESSION) | B(PRINCIPAL) | B(TOOL) | B(ADDR) | B(UA),
	    sessions_start, sessions_row, sessions_finish, sessions_free },
};
const size_t reports_ncatalogue = NCOLS(reports_catalogue);

const struct report_def *
reports_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < reports_ncatalogue; i++)
		if (strcmp(reports_catalogue[i].name, name) == 0)
			return &reports_catalogue[i];
	return NULL;
}
