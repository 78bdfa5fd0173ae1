/*
 * detect_stats.c -- detectors with baselines: D07 error-rate spikes
 * (short and long windows against a trailing rate, Wilson lower bounds
 * so small counts do not fire), D08 latency spikes (bucket p95/p99
 * against the median and MAD of the tool's last 7 days of buckets), and
 * D11 volume anomalies (15-minute counts against the same time of the
 * week over the last weeks; spikes and drops; per principal, per tool
 * and for the whole log).
 *
 * Baselines are rebuilt from the rows the scan reads, so they need the
 * lookback (docs/scan.md): a shorter lookback means "insufficient
 * baseline" and no finding, never a finding from a thin baseline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

/* A bucket worth evaluating: close enough to the watermark to matter. */
static int
stats_live(const struct detect_ctx *ctx, int64_t bucket)
{
	if (ctx->wm_ts == 0)
		return 1;
	return (bucket + 3) * DETECT_BUCKET_US >= ctx->wm_ts;
}

/* --- D07 error-rate spike ------------------------------------------------- */

#define D07_MIN		64	/* minutes kept */
#define D07_HOURS	170	/* hours kept (7 days and a bit) */
#define D07_ERRS	32	/* recent error principals kept */

static const char *const d07_class[2] = { "tool_error", "protocol_error" };

struct d07_rec {
	struct detect_rec h;
	struct detect_ep ep[2];
	uint32_t	 tool;		/* 0: the whole log */
	int64_t		 minute, hour;
	uint32_t	 mn[D07_MIN], me[2][D07_MIN];
	uint32_t	 hn[D07_HOURS], he[2][D07_HOURS];
	double		 base[2];	/* cached for base_hour */
	int64_t		 base_n;
	int64_t		 base_hour;
	uint32_t	 eprinc[D07_ERRS];
	int64_t		 ets[D07_ERRS];
	int		 ehead;
};

struct d07 {
	struct detect_tab *tab;
};

#define D07_GLOBAL	UINT64_MAX

static void *
d07_start(struct detect_ctx *ctx)
{
	struct d07	*d = intern_xcalloc(1, sizeof(*d));

	d->tab = detect_tab_new(sizeof(struct d07_rec));
	return d;
}

static void
d07_free(void *p)
{
	struct d07	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d07_advance(struct d07_rec *rec, int64_t ts)
{
	int64_t	 m = ts / 60000000, h = ts / 3600000000LL, x;

	if (m > rec->minute) {
		for (x = rec->minute + 1; x <= m && x <= rec->minute + D07_MIN;
		    x++) {
			rec->mn[x % D07_MIN] = 0;
			rec->me[0][x % D07_MIN] = 0;
			rec->me[1][x % D07_MIN] = 0;
		}
		rec->minute = m;
	}
	if (h > rec->hour) {
		for (x = rec->hour + 1; x <= h && x <= rec->hour + D07_HOURS;
		    x++) {
			rec->hn[x % D07_HOURS] = 0;
			rec->he[0][x % D07_HOURS] = 0;
			rec->he[1][x % D07_HOURS] = 0;
		}
		rec->hour = h;
	}
}

static void
d07_sums(const struct d07_rec *rec, int cls, int mins, uint64_t *n,
    uint64_t *e)
{
	int64_t	 x;
	size_t	 i;

	*n = *e = 0;
	for (x = rec->minute - mins + 1; x <= rec->minute; x++) {
		i = (size_t)((x % D07_MIN + D07_MIN) % D07_MIN);
		*n += rec->mn[i];
		*e += rec->me[cls][i];
	}
}

/* The trailing rate, excluding the current and the previous hour. */
static void
d07_baseline(struct detect_ctx *ctx, struct d07_rec *rec)
{
	int64_t	 x, hours = (int64_t)DP(ctx, D07_BASE_H);
	uint64_t n = 0, e0 = 0, e1 = 0;
	size_t	 i;

	if (rec->base_hour == rec->hour && rec->hour != 0)
		return;
	if (hours > D07_HOURS - 2)
		hours = D07_HOURS - 2;
	for (x = rec->hour - hours; x <= rec->hour - 2; x++) {
		i = (size_t)((x % D07_HOURS + D07_HOURS) % D07_HOURS);
		n += rec->hn[i];
		e0 += rec->he[0][i];
		e1 += rec->he[1][i];
	}
	rec->base_n = (int64_t)n;
	rec->base[0] = n >= 100 ? (double)e0 / (double)n : 0;
	rec->base[1] = n >= 100 ? (double)e1 / (double)n : 0;
	rec->base_hour = rec->hour;
}

static void
d07_eval(struct detect_ctx *ctx, struct d07_rec *rec, int cls,
    const struct detect_row *r)
{
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	uint64_t	 n5, e5, n60, e60;
	int		 ms = (int)(DP(ctx, D07_SHORT_S) / 60);
	int		 ml = (int)(DP(ctx, D07_LONG_S) / 60);
	double		 b, lb5, lb60, m5, m60, h5, thr;
	int		 i, top = 0, topn = 0, tot = 0, j, c;
	uint32_t	 topp = 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (ms < 1)
		ms = 1;
	if (ml > D07_MIN - 1)
		ml = D07_MIN - 1;
	d07_sums(rec, cls, ms, &n5, &e5);
	d07_sums(rec, cls, ml, &n60, &e60);
	if (n5 < DP(ctx, D07_MIN_SHORT) || n60 < DP(ctx, D07_MIN_LONG))
		return;
	d07_baseline(ctx, rec);
	b = rec->base[cls];
	lb5 = detect_wilson_lower((double)e5, (double)n5);
	lb60 = detect_wilson_lower((double)e60, (double)n60);
	m5 = fmax(DP(ctx, D07_MED_SHORT), DP(ctx, D07_MED_SHORT_X) * b);
	m60 = fmax(DP(ctx, D07_MED_LONG), DP(ctx, D07_MED_LONG_X) * b);
	h5 = fmax(DP(ctx, D07_HIGH_SHORT), DP(ctx, D07_HIGH_SHORT_X) * b);
	if (lb5 >= m5 && lb60 >= m60) {
		sev = lb5 >= h5 ? DETECT_SEV_HIGH : DETECT_SEV_MEDIUM;
		thr = lb5 >= h5 ? h5 : m5;
	}
	f = detect_ep_current(ctx, &rec->ep[cls], r->ts_us,
	    DP_US(ctx, D07_QUIET_S));
	if (sev == DETECT_SEV_NONE)
		return;

	/* One principal behind most errors: a client bug (D03), not us. */
	for (i = 0; i < D07_ERRS; i++) {
		if (rec->ets[i] < r->ts_us - (int64_t)ms * 60000000 ||
		    rec->eprinc[i] == 0)
			continue;
		tot++;
		for (c = 0, j = 0; j < D07_ERRS; j++)
			if (rec->eprinc[j] == rec->eprinc[i] && rec->ets[j] >=
			    r->ts_us - (int64_t)ms * 60000000)
				c++;
		if (c > topn) {
			topn = c;
			topp = rec->eprinc[i];
		}
	}
	if (tot >= 10 && (double)topn >= DP(ctx, D07_ATTRIB) * tot) {
		top = 1;
		sev = detect_sev_down(sev);
	}
	/*
	 * An episode already at this severity takes no new text (see
	 * detect_raise): skip the formatting, which would otherwise run on
	 * every row of a long incident.
	 */
	if (f != NULL && sev <= f->sev) {
		detect_touch(ctx, f, &rec->ep[cls], r);
		return;
	}
	snprintf(msg, sizeof(msg), "%s rate of %s %.1f%% in %dmin (%llu of "
	    "%llu), baseline %.2f%%%s%s", d07_class[cls], rec->tool ?
	    intern_str(ctx->str, rec->tool) : "all requests", 100.0 *
	    (double)e5 / (double)n5, ms, (unsigned long long)e5,
	    (unsigned long long)n5, 100 * b, top ? "; mostly from " : "",
	    top ? intern_str(ctx->str, topp) : "");
	snprintf(ex, sizeof(ex), "short window %dmin: %llu/%llu, Wilson lower "
	    "bound %.4f; long window %dmin: %llu/%llu, lower bound %.4f; "
	    "baseline b=%.4f over %lld calls (trailing %gh, excluding the "
	    "last hour); medium needs short >= max(%g, %g*b)=%.4f and long "
	    ">= max(%g, %g*b)=%.4f; high needs short >= max(%g, %g*b)=%.4f%s "
	    "-> %s", ms, (unsigned long long)e5, (unsigned long long)n5, lb5,
	    ml, (unsigned long long)e60, (unsigned long long)n60, lb60, b,
	    (long long)rec->base_n, DP(ctx, D07_BASE_H),
	    DP(ctx, D07_MED_SHORT), DP(ctx, D07_MED_SHORT_X), m5,
	    DP(ctx, D07_MED_LONG), DP(ctx, D07_MED_LONG_X), m60,
	    DP(ctx, D07_HIGH_SHORT), DP(ctx, D07_HIGH_SHORT_X), h5, top ?
	    "; one principal caused most errors: one level down (see D03)" :
	    "", detect_sev_name(sev));
	if (f != NULL) {
		detect_touch(ctx, f, &rec->ep[cls], r);
		detect_raise(ctx, f, sev, r, lb5, thr, ms * 60, msg, ex);
		return;
	}
	memset(&k, 0, sizeof(k));
	k.tool = rec->tool;
	k.series = rec->tool ? "tool" : "global";
	k.klass = d07_class[cls];
	f = detect_open(ctx, &rec->ep[cls], DETECT_D07, top ? "one_principal" :
	    "spike", &k, r, r->seq, r->ts_us - (int64_t)ms * 60000000);
	f->count = (int64_t)e5;
	detect_sample(f, r->seq);
	detect_raise(ctx, f, sev, r, lb5, thr, ms * 60, msg, ex);
}

static void
d07_one(struct detect_ctx *ctx, struct d07 *d, uint64_t key, uint32_t tool,
    int cls, const struct detect_row *r)
{
	struct d07_rec	*rec;
	struct detect_finding *f;
	int		 added;

	rec = detect_tab_get(d->tab, key, &added);
	if (added)
		rec->tool = tool;
	rec->h.last_ts = r->ts_us;
	d07_advance(rec, r->ts_us);
	rec->mn[rec->minute % D07_MIN]++;
	rec->hn[rec->hour % D07_HOURS]++;
	if (cls < 0) {
		/* Ongoing episodes count their rows. */
		return;
	}
	rec->me[cls][rec->minute % D07_MIN]++;
	rec->he[cls][rec->hour % D07_HOURS]++;
	rec->eprinc[rec->ehead] = r->principal;
	rec->ets[rec->ehead] = r->ts_us;
	rec->ehead = (rec->ehead + 1) % D07_ERRS;
	if ((f = detect_ep_finding(ctx, &rec->ep[cls])) != NULL &&
	    r->ts_us - rec->ep[cls].last_ts <= DP_US(ctx, D07_QUIET_S))
		detect_sample(f, r->seq);
	d07_eval(ctx, rec, cls, r);
}

static void
d07_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d07	*d = p;
	int		 cls = -1;

	if (r->outcome == DO_TOOL_ERROR)
		cls = 0;
	else if (r->outcome == DO_PROTOCOL_ERROR)
		cls = 1;
	if (cls >= 0 && (r->category == ctx->id_rate_limited ||
	    r->category == ctx->id_authorization ||
	    r->category == ctx->id_authentication))
		cls = -1;
	/* Retries are D01/D03's: count each failing call once. */
	if (r->repeat)
		return;
	if (r->is_call)
		d07_one(ctx, d, r->tool, r->tool, cls, r);
	d07_one(ctx, d, D07_GLOBAL, 0, cls, r);
}

int
detect_stats_spiking(struct detect_ctx *ctx, uint32_t tool, int64_t ts)
{
	struct d07	*d = ctx->priv[DETECT_D07];
	struct d07_rec	*rec;
	int64_t		 q = DP_US(ctx, D07_QUIET_S);
	int		 i, k;
	uint64_t	 keys[2] = { tool, D07_GLOBAL };

	if (d == NULL)
		return 0;
	for (k = 0; k < 2; k++) {
		if (keys[k] == 0 || (rec = detect_tab_find(d->tab,
		    keys[k])) == NULL)
			continue;
		for (i = 0; i < 2; i++)
			if (rec->ep[i].f != 0 && ts - rec->ep[i].last_ts <= q)
				return 1;
	}
	return 0;
}

/* --- D08 latency spike ---------------------------------------------------- */

#define D08_RING	DETECT_WEEK_BUCKETS
#define D08_SLOW	5	/* slowest rows kept per bucket */

struct d08_rec {
	struct detect_rec h;
	struct detect_ep ep;
	uint32_t	 tool;
	uint32_t	*lat;		/* this bucket's latencies, us */
	size_t		 n, cap;
	int64_t		 cur_bucket, first_seq;
	int64_t		 slow_seq[D08_SLOW];
	uint32_t	 slow_lat[D08_SLOW];
	int		 nslow;
	int32_t		 bk[D08_RING];	/* bucket held by slot i */
	float		 p95[D08_RING], p99[D08_RING];
	double		 med95, mad95, med99;	/* cached baseline */
	int64_t		 base_bucket;
	int		 nbase;
};

struct d08 {
	struct detect_tab *tab;
	double		*v, *tmp;	/* D08_RING scratch */
};

static void *
d08_start(struct detect_ctx *ctx)
{
	struct d08	*d = intern_xcalloc(1, sizeof(*d));

	d->tab = detect_tab_new(sizeof(struct d08_rec));
	d->v = intern_xcalloc(D08_RING, sizeof(double));
	d->tmp = intern_xcalloc(D08_RING, sizeof(double));
	return d;
}

static void
d08_free(void *p)
{
	struct d08	*d = p;
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < detect_tab_count(d->tab); i++)
		free(((struct d08_rec *)detect_tab_at(d->tab, i))->lat);
	detect_tab_free(d->tab);
	free(d->v);
	free(d->tmp);
	free(d);
}

static void
d08_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d08	*d = p;
	struct d08_rec	*rec;
	uint32_t	 l;
	int		 added, i, min;

	if (!r->is_call || r->latency_us < 0 || r->decision == DD_DENY ||
	    r->outcome == DO_AUTH_ERROR)
		return;
	rec = detect_tab_get(d->tab, r->tool, &added);
	if (added) {
		rec->tool = r->tool;
		for (i = 0; i < D08_RING; i++)
			rec->bk[i] = -1;
		rec->base_bucket = -1;
	}
	rec->h.last_ts = r->ts_us;
	if (rec->n == 0) {
		rec->cur_bucket = r->ts_us / DETECT_BUCKET_US;
		rec->first_seq = r->seq;
		rec->nslow = 0;
	}
	l = r->latency_us > UINT32_MAX ? UINT32_MAX : (uint32_t)r->latency_us;
	rec->lat = intern_grow(rec->lat, &rec->cap, rec->n + 1,
	    sizeof(*rec->lat));
	rec->lat[rec->n++] = l;
	if (rec->nslow < D08_SLOW) {
		rec->slow_seq[rec->nslow] = r->seq;
		rec->slow_lat[rec->nslow++] = l;
	} else {
		for (min = 0, i = 1; i < D08_SLOW; i++)
			if (rec->slow_lat[i] < rec->slow_lat[min])
				min = i;
		if (l > rec->slow_lat[min]) {
			rec->slow_lat[min] = l;
			rec->slow_seq[min] = r->seq;
		}
	}
}

/* Median and MAD of the valid bucket p95s before bucket x (cached). */
static void
d08_baseline(struct detect_ctx *ctx, struct d08 *d, struct d08_rec *rec,
    int64_t x)
{
	int64_t	 y, nb = (int64_t)DP(ctx, D08_BASE_BUCKETS);
	size_t	 n = 0;
	int	 i;

	/* Recomputed once an hour: a week of buckets barely moves. */
	if (rec->base_bucket >= 0 && x - rec->base_bucket < 4)
		return;
	if (nb > D08_RING)
		nb = D08_RING;
	for (y = x - nb; y < x; y++) {
		i = (int)(y % D08_RING);
		if (rec->bk[i] == (int32_t)y)
			d->v[n++] = rec->p95[i];
	}
	rec->nbase = (int)n;
	rec->med95 = detect_median(d->v, n);
	rec->mad95 = detect_mad(d->v, n, rec->med95, d->tmp);
	for (n = 0, y = x - nb; y < x; y++) {
		i = (int)(y % D08_RING);
		if (rec->bk[i] == (int32_t)y)
			d->v[n++] = rec->p99[i];
	}
	rec->med99 = detect_median(d->v, n);
	rec->base_bucket = x;
}

static void
d08_close(struct detect_ctx *ctx, struct d08 *d, struct d08_rec *rec,
    const struct detect_row *r)
{
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int64_t		 x = rec->cur_bucket;
	double		 p95, p99, z = 0, thr = 0;
	int		 i, zok;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if ((double)rec->n < DP(ctx, D08_MIN_N))
		goto out;
	p95 = detect_quantile(rec->lat, rec->n, 0.95) / 1000.0;
	p99 = detect_quantile(rec->lat, rec->n, 0.99) / 1000.0;
	if (stats_live(ctx, x)) {
		d08_baseline(ctx, d, rec, x);
		if (rec->nbase < DP(ctx, D08_MIN_BUCKETS))
			goto store;
		if (rec->mad95 > 0)
			z = 0.6745 * (p95 - rec->med95) / rec->mad95;
		zok = rec->mad95 > 0 ? z >= DP(ctx, D08_Z) : 1;
		if (zok && p99 >= DP(ctx, D08_P99_RATIO) * rec->med99 &&
		    p99 >= DP(ctx, D08_P99_MIN_MS) && p95 >= DP(ctx,
		    D08_RATIO) * rec->med95) {
			sev = DETECT_SEV_HIGH;
			thr = DP(ctx, D08_P99_RATIO) * rec->med99;
		} else if (zok && p95 >= DP(ctx, D08_RATIO) * rec->med95 &&
		    p95 - rec->med95 >= DP(ctx, D08_DELTA_MS) &&
		    p95 >= rec->med99) {
			sev = DETECT_SEV_MEDIUM;
			thr = DP(ctx, D08_RATIO) * rec->med95;
		}
		f = detect_ep_current(ctx, &rec->ep, x * DETECT_BUCKET_US,
		    DETECT_BUCKET_US);
		if (sev == DETECT_SEV_NONE)
			goto store;
		snprintf(msg, sizeof(msg), "%s p95 latency %.0fms (p99 %.0fms) "
		    "over %zu calls, baseline p95 %.0fms", intern_str(ctx->str,
		    rec->tool), p95, p99, rec->n, rec->med95);
		snprintf(ex, sizeof(ex), "15-minute bucket from the trigger's "
		    "clock: n=%zu, p95=%.1fms, p99=%.1fms; baseline %d buckets "
		    "(>= %g calls each) over %g buckets: median p95 %.1fms, MAD "
		    "%.1fms, median p99 %.1fms; modified z = 0.6745*(%.1f-%.1f)/"
		    "%.1f = %.2f (>= %g%s); medium: p95 >= %g x median, +%gms and "
		    ">= the median p99; "
		    "high: p99 >= %g x median p99 and >= %gms -> %s", rec->n, p95,
		    p99, rec->nbase, DP(ctx, D08_MIN_N), DP(ctx,
		    D08_BASE_BUCKETS), rec->med95, rec->mad95, rec->med99, p95,
		    rec->med95, rec->mad95, z, DP(ctx, D08_Z), rec->mad95 > 0 ?
		    "" : "; MAD 0: ratio and delta only", DP(ctx, D08_RATIO),
		    DP(ctx, D08_DELTA_MS), DP(ctx, D08_P99_RATIO), DP(ctx,
		    D08_P99_MIN_MS), detect_sev_name(sev));
		if (f == NULL) {
			memset(&k, 0, sizeof(k));
			k.tool = rec->tool;
			f = detect_open(ctx, &rec->ep, DETECT_D08,
			    "latency_spike", &k, r, rec->first_seq,
			    x * DETECT_BUCKET_US);
		}
		f->count += (int64_t)rec->n;
		f->last_ts = (x + 1) * DETECT_BUCKET_US - 1;
		rec->ep.last_ts = (x + 1) * DETECT_BUCKET_US;
		for (i = 0; i < rec->nslow; i++)
			detect_sample(f, rec->slow_seq[i]);
		detect_raise(ctx, f, sev, r, p95, thr, DETECT_BUCKET_US /
		    1000000, msg, ex);
	}
store:
	i = (int)(x % D08_RING);
	rec->bk[i] = (int32_t)x;
	rec->p95[i] = (float)p95;
	rec->p99[i] = (float)p99;
out:
	rec->n = 0;
	rec->nslow = 0;
}

static void
d08_tick(struct detect_ctx *ctx, void *p, int64_t bucket,
    const struct detect_row *r)
{
	struct d08	*d = p;
	struct d08_rec	*rec;
	size_t		 i;

	for (i = 0; i < detect_tab_count(d->tab); i++) {
		rec = detect_tab_at(d->tab, i);
		if (rec->n > 0 && rec->cur_bucket <= bucket)
			d08_close(ctx, d, rec, r);
	}
}

/* --- D11 volume anomaly --------------------------------------------------- */

#define D11_WEEKS_MAX	4
#define D11_RING	(D11_WEEKS_MAX * DETECT_WEEK_BUCKETS + 16)
#define D11_VALS	(D11_WEEKS_MAX * 33)

struct d11_series {
	const char	*kind;		/* static: "global", "tool", ... */
	uint32_t	 id;
	int64_t		 first_bucket;
	int64_t		 upto;		/* newest bucket in the ring */
	int64_t		 cur_bucket;
	uint32_t	 cur;
	int64_t		 cur_seq, low_start_seq, low_start_ts;
	int32_t		 nbig;		/* ring slots >= drop_median */
	int32_t		 nonempty;	/* ring slots > 0 */
	int32_t		 lowrun;
	struct detect_ep hi, lo;
	uint16_t	 ring[D11_RING];
};

struct d11 {
	struct d11_series *global;
	struct d11_series **tools, **princ;	/* by intern id */
	size_t		 ntools, nprinc;
	struct d11_series **all;
	size_t		 nall, capall;
	size_t		 nprinc_series;
	double		 v[D11_VALS], tmp[D11_VALS];
};

static struct d11_series *
d11_new(struct d11 *d, const char *kind, uint32_t id, int64_t bucket)
{
	struct d11_series *s = intern_xcalloc(1, sizeof(*s));

	s->kind = kind;
	s->id = id;
	s->first_bucket = bucket;
	s->upto = bucket - 1;
	s->cur_bucket = -1;
	d->all = intern_grow(d->all, &d->capall, d->nall + 1,
	    sizeof(*d->all));
	d->all[d->nall++] = s;
	return s;
}

static void *
d11_start(struct detect_ctx *ctx)
{
	return intern_xcalloc(1, sizeof(struct d11));
}

static void
d11_free(void *p)
{
	struct d11	*d = p;
	size_t		 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nall; i++)
		free(d->all[i]);
	free(d->all);
	free(d->tools);
	free(d->princ);
	free(d);
}

static void
d11_count(struct d11_series *s, const struct detect_row *r, int64_t b)
{
	if (s->cur_bucket != b) {
		s->cur_bucket = b;
		s->cur = 0;
		s->cur_seq = r->seq;
	}
	s->cur++;
}

static void
d11_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d11	*d = p;
	int64_t		 b = r->ts_us / DETECT_BUCKET_US;

	if (b < ctx->bucket)
		b = ctx->bucket;	/* a late row counts now */
	if (d->global == NULL)
		d->global = d11_new(d, "global", 0, b);
	d11_count(d->global, r, b);
	if (r->is_call) {
		if (r->tool >= d->ntools)
			d->tools = intern_grow(d->tools, &d->ntools,
			    (size_t)r->tool + 1, sizeof(*d->tools));
		if (d->tools[r->tool] == NULL)
			d->tools[r->tool] = d11_new(d, "tool", r->tool, b);
		d11_count(d->tools[r->tool], r, b);
	}
	if (r->principal != 0 && r->auth == DA_OK &&
	    r->auth_method != ctx->id_none) {
		if (r->principal >= d->nprinc)
			d->princ = intern_grow(d->princ, &d->nprinc,
			    (size_t)r->principal + 1, sizeof(*d->princ));
		if (d->princ[r->principal] == NULL) {
			if ((double)d->nprinc_series >= DP(ctx, D11_MAX_SERIES))
				return;
			d->princ[r->principal] = d11_new(d, "principal",
			    r->principal, b);
			d->nprinc_series++;
		}
		d11_count(d->princ[r->principal], r, b);
	}
}

static int
d11_slot(int64_t b)
{
	return (int)(b % D11_RING);
}

/* The baseline values for bucket x.  Returns how many; *nonempty. */
static size_t
d11_values(struct detect_ctx *ctx, struct d11 *d, struct d11_series *s,
    int64_t x, size_t *nonempty)
{
	int64_t	 w, k, y, weeks = (int64_t)DP(ctx, D11_WEEKS);
	int64_t	 nb = (int64_t)DP(ctx, D11_NEIGHBOURS);
	size_t	 n = 0;

	if (weeks > D11_WEEKS_MAX)
		weeks = D11_WEEKS_MAX;
	if (nb > 16)
		nb = 16;
	*nonempty = 0;
	for (w = 1; w <= weeks; w++)
		for (k = -nb; k <= nb; k++) {
			y = x - w * DETECT_WEEK_BUCKETS + k;
			if (y < s->first_bucket || y > s->upto ||
			    y <= s->upto - D11_RING)
				continue;
			d->v[n] = s->ring[d11_slot(y)];
			if (d->v[n] > 0)
				(*nonempty)++;
			n++;
		}
	return n;
}

static void
d11_finding(struct detect_ctx *ctx, struct d11_series *s, struct detect_ep *ep,
    const char *sub, enum detect_sev sev, int64_t x, int64_t start_seq,
    int64_t start_ts, const struct detect_row *r, double c, double thr,
    const char *msg, const char *ex)
{
	struct detect_finding *f;
	struct detect_key k;

	f = detect_ep_current(ctx, ep, x * DETECT_BUCKET_US, DETECT_BUCKET_US);
	if (f == NULL) {
		memset(&k, 0, sizeof(k));
		k.series = s->kind;
		if (strcmp(s->kind, "tool") == 0)
			k.tool = s->id;
		else if (strcmp(s->kind, "principal") == 0)
			k.principal = s->id;
		f = detect_open(ctx, ep, DETECT_D11, sub, &k, r, start_seq,
		    start_ts);
	}
	f->count += (int64_t)c;
	f->last_ts = (x + 1) * DETECT_BUCKET_US - 1;
	ep->last_ts = (x + 1) * DETECT_BUCKET_US;
	detect_sample(f, start_seq);
	detect_raise(ctx, f, sev, r, c, thr, DETECT_BUCKET_US / 1000000, msg,
	    ex);
}

static const char *
d11_name(struct detect_ctx *ctx, struct d11_series *s)
{
	return s->id ? intern_str(ctx->str, s->id) : "all requests";
}

static void
d11_eval(struct detect_ctx *ctx, struct d11 *d, struct d11_series *s,
    int64_t x, uint32_t c, const struct detect_row *r)
{
	size_t		 n, nonempty, i;
	double		 med, mad, z = 0, ratio, lambda, sum = 0, pt = 1;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int		 zok, global = strcmp(s->kind, "global") == 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN], zs[96];
	int		 maybe_hi = c >= DP(ctx, D11_DELTA);
	int		 maybe_lo;
	double		 subset = DP(ctx, D11_WEEKS) *
			    (2 * DP(ctx, D11_NEIGHBOURS) + 1);

	/* A median >= drop_median needs half the baseline that high. */
	maybe_lo = s->lowrun > 0 || 2.0 * s->nbig >= subset - 1;

	if (!maybe_hi && !maybe_lo)
		return;
	/*
	 * Enough history: min_nonempty active buckets in the series' ring,
	 * and at least two weeks of same-time-of-week values.  Zeros at
	 * this time of the week are information ("usually idle now").
	 */
	n = d11_values(ctx, d, s, x, &nonempty);
	if ((double)s->nonempty < DP(ctx, D11_MIN_NONEMPTY) ||
	    (double)n < 2 * (2 * DP(ctx, D11_NEIGHBOURS) + 1)) {
		s->lowrun = 0;
		return;
	}
	for (i = 0; i < n; i++)
		sum += d->v[i];
	med = detect_median(d->v, n);
	mad = detect_mad(d->v, n, med, d->tmp);
	lambda = fmax(fmax(med, sum / (double)n), 0.5);

	/* Spikes. */
	ratio = (double)c / fmax(med, 1);
	if (mad > 0) {
		z = 0.6745 * ((double)c - med) / mad;
		zok = z >= DP(ctx, D11_Z);
	} else {
		pt = detect_poisson_tail(c, lambda);
		zok = pt < DP(ctx, D11_POISSON_P);
	}
	if (maybe_hi && zok && ratio >= DP(ctx, D11_RATIO) &&
	    (double)c - med >= DP(ctx, D11_DELTA)) {
		sev = ratio >= DP(ctx, D11_HIGH_RATIO) ? DETECT_SEV_HIGH :
		    DETECT_SEV_MEDIUM;
		snprintf(msg, sizeof(msg), "%u requests of %s in 15min, "
		    "typically %.0f at this time of the week (%.1fx)", c,
		    d11_name(ctx, s), med, ratio);
		if (mad > 0)
			snprintf(zs, sizeof(zs), "z = 0.6745*(%u-%.1f)/%.1f = "
			    "%.2f >= %g", c, med, mad, z, DP(ctx, D11_Z));
		else
			snprintf(zs, sizeof(zs), "MAD 0: P(X >= %u | Poisson "
			    "%.2f) = %.2g < %g", c, lambda, pt,
			    DP(ctx, D11_POISSON_P));
		snprintf(ex, sizeof(ex), "bucket count %u; baseline: %zu "
		    "buckets at the same time of the week (+-%g buckets, %g "
		    "weeks back), %zu non-empty (history %d >= %g); median "
		    "%.1f, MAD %.1f; "
		    "%s; ratio %u/max(median,1) = %.2f (medium >= %g, high >= "
		    "%g); delta %.0f (>= %g) -> %s", c, n, DP(ctx,
		    D11_NEIGHBOURS), DP(ctx, D11_WEEKS), nonempty, s->nonempty,
		    DP(ctx, D11_MIN_NONEMPTY), med, mad, zs, c, ratio, DP(ctx,
		    D11_RATIO), DP(ctx, D11_HIGH_RATIO), (double)c - med,
		    DP(ctx, D11_DELTA), detect_sev_name(sev));
		d11_finding(ctx, s, &s->hi, "volume_high", sev, x, c > 0 &&
		    s->cur_bucket == x ? s->cur_seq : r->seq,
		    x * DETECT_BUCKET_US, r, c, DP(ctx, D11_RATIO) * fmax(med,
		    1), msg, ex);
	}

	/* Drops: an active series that went (nearly) silent. */
	if (med >= DP(ctx, D11_DROP_MEDIAN) &&
	    (double)c < DP(ctx, D11_DROP_RATIO) * med) {
		if (s->lowrun++ == 0) {
			s->low_start_seq = r->seq;
			s->low_start_ts = x * DETECT_BUCKET_US;
		}
		if (s->lowrun >= DP(ctx, D11_DROP_BUCKETS)) {
			sev = global ? DETECT_SEV_MEDIUM : DETECT_SEV_LOW;
			snprintf(msg, sizeof(msg), "%s dropped to %u requests in "
			    "15min for %d buckets, typically %.0f (audit "
			    "pipeline gap or a broken client?)", d11_name(ctx,
			    s), c, s->lowrun, med);
			snprintf(ex, sizeof(ex), "bucket count %u < %g x median "
			    "%.1f (median >= %g: an active series), %d "
			    "consecutive buckets (>= %g); baseline %zu buckets, "
			    "%zu non-empty -> %s", c, DP(ctx, D11_DROP_RATIO),
			    med, DP(ctx, D11_DROP_MEDIAN), s->lowrun, DP(ctx,
			    D11_DROP_BUCKETS), n, nonempty, detect_sev_name(sev));
			d11_finding(ctx, s, &s->lo, "volume_drop", sev, x,
			    s->low_start_seq, s->low_start_ts, r, c,
			    DP(ctx, D11_DROP_RATIO) * med, msg, ex);
		}
	} else
		s->lowrun = 0;
}

static void
d11_put(struct d11_series *s, int64_t y, uint32_t c, double big)
{
	int	 i = d11_slot(y);

	if ((double)s->ring[i] >= big && s->nbig > 0)
		s->nbig--;
	if (s->ring[i] > 0 && s->nonempty > 0)
		s->nonempty--;
	s->ring[i] = c > UINT16_MAX ? UINT16_MAX : (uint16_t)c;
	if ((double)s->ring[i] >= big)
		s->nbig++;
	if (s->ring[i] > 0)
		s->nonempty++;
}

/* Writes bucket x (and zeros for the buckets skipped since upto). */
static void
d11_store(struct d11_series *s, int64_t x, uint32_t c, double big)
{
	int64_t	 y;

	if (x <= s->upto)
		return;
	y = s->upto + 1;
	if (x - y >= D11_RING)
		y = x - D11_RING + 1;
	for (; y < x; y++)
		d11_put(s, y, 0, big);
	d11_put(s, x, c, big);
	s->upto = x;
}

static void
d11_tick(struct detect_ctx *ctx, void *p, int64_t bucket,
    const struct detect_row *r)
{
	struct d11	*d = p;
	struct d11_series *s;
	uint32_t	 c;
	size_t		 i;
	int		 live = stats_live(ctx, bucket);

	for (i = 0; i < d->nall; i++) {
		s = d->all[i];
		if (bucket < s->first_bucket)
			continue;
		c = s->cur_bucket == bucket ? s->cur : 0;
		if (live)
			d11_eval(ctx, d, s, bucket, c, r);
		d11_store(s, bucket, c, DP(ctx, D11_DROP_MEDIAN));
		if (s->cur_bucket <= bucket) {
			s->cur = 0;
			s->cur_bucket = -1;
		}
	}
}

const struct detect_ops detect_stats_ops[3] = {
	{ DETECT_D07, d07_start, d07_row, NULL, NULL, d07_free },
	{ DETECT_D08, d08_start, d08_row, d08_tick, NULL, d08_free },
	{ DETECT_D11, d11_start, d11_row, d11_tick, NULL, d11_free },
};
