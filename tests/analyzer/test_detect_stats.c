/*
 * test_detect_stats.c -- golden fixtures for the baseline detectors: D07
 * (error-rate spike: short and long windows, Wilson bounds, attribution,
 * retries not counted), D08 (latency spike: bucket p95 against the
 * median and MAD of earlier buckets) and D11 (volume: same time of the
 * week, spikes and drops), each with a threshold - 1 case, the
 * threshold, an insufficient baseline and the episode boundaries.
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"

#define MIN	60.0
#define HOUR	3600.0
#define DAY	86400.0
#define BUCKET	900.0

/*
 * Calls of tool by principal every step seconds over [t0, t1), each
 * with its own arguments; every err_every-th (0: none) is a transient
 * error.  Returns the time after the last call.
 */
static double
traffic(struct fx *x, const char *who, const char *tool, double t0, double t1,
    double step, int err_every, int *counter)
{
	struct fx_row	 r;
	char		 args[32];
	double		 t;

	for (t = t0; t < t1; t += step) {
		snprintf(args, sizeof(args), "a%d", (*counter)++);
		r = fx_call(x, who, tool, args);
		if (err_every > 0 && *counter % err_every == 0) {
			r.outcome = "tool_error";
			r.category = "transient";
			r.retryable = 1;
		}
		fx_at(x, &r, t);
	}
	return t;
}

static int
d07_count(struct fx *x, const char *series)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < x->ctx->nf; i++)
		if (x->ctx->f[i].det == DETECT_D07 && x->ctx->f[i].sev !=
		    DETECT_SEV_NONE && strcmp(x->ctx->f[i].key.series,
		    series) == 0)
			n++;
	return n;
}

static int
d07_sev(struct fx *x, const char *series)
{
	size_t	 i;
	int	 s = 0;

	for (i = 0; i < x->ctx->nf; i++)
		if (x->ctx->f[i].det == DETECT_D07 && strcmp(
		    x->ctx->f[i].key.series, series) == 0 &&
		    (int)x->ctx->f[i].sev > s)
			s = x->ctx->f[i].sev;
	return s;
}

/* Spike: 10 minutes at one error in every `every` calls, 15 calls/min. */
static struct fx *
d07_case(int every, int one_principal, double quiet_gap)
{
	struct fx	*x = fx_new();
	int		 c = 0, i;
	double		 t;
	char		 who[16];

	fx_only(x, DETECT_D07);
	t = traffic(x, "p0", "get_order", 0, 3 * HOUR, 4, 100, &c);
	for (i = 0; i < 150; i++) {
		struct fx_row r;
		char	 args[32];

		snprintf(who, sizeof(who), "p%d", one_principal ? 1 : i % 7);
		snprintf(args, sizeof(args), "s%d", i);
		r = fx_call(x, who, "get_order", args);
		if (i % every == 0) {
			r.outcome = "tool_error";
			r.category = "transient";
		}
		fx_at(x, &r, t + i * 4);
	}
	t += 600;
	t = traffic(x, "p0", "get_order", t, t + quiet_gap, 4, 100, &c);
	return x;
}

static void
test_d07(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 c = 0, i;

	x = d07_case(100, 0, 30 * MIN);
	T_EQ_INT(d07_count(x, "tool"), 0, "D07: no spike: nothing");
	fx_free(x);

	x = d07_case(2, 0, 30 * MIN);
	T_EQ_INT(d07_count(x, "tool"), 1, "D07: 10 min at 50%%: one finding "
	    "for the tool");
	T_EQ_INT(d07_sev(x, "tool"), DETECT_SEV_HIGH, "D07: short-window "
	    "lower bound >= 25%% -> high");
	T_EQ_INT(d07_count(x, "global"), 1, "D07: and one for all requests");
	fx_free(x);

	x = d07_case(3, 0, 30 * MIN);
	T_EQ_INT(d07_sev(x, "tool"), DETECT_SEV_MEDIUM, "D07: 10 min at 33%% "
	    "(lower bound 24%%) -> medium");
	fx_free(x);

	x = d07_case(5, 0, 30 * MIN);
	T_EQ_INT(d07_sev(x, "tool"), DETECT_SEV_MEDIUM, "D07: 10 min at 20%% "
	    "-> medium");
	fx_free(x);

	/* one principal behind the errors: one level down */
	x = d07_case(2, 1, 30 * MIN);
	T_EQ_INT(d07_sev(x, "tool"), DETECT_SEV_MEDIUM, "D07: one principal "
	    "caused the errors: high -> medium");
	T_EQ_INT(fx_count(x, DETECT_D07, "one_principal"), 2, "D07: said so "
	    "(tool and global)");
	fx_free(x);

	/* too few calls in the short window */
	x = fx_new();
	fx_only(x, DETECT_D07);
	traffic(x, "p0", "get_order", 0, 3 * HOUR, 4, 100, &c);
	r = fx_call(x, "p0", "rare_tool", "x");
	r.outcome = "tool_error";
	r.category = "transient";
	for (i = 0; i < 19; i++) {
		char	 args[16];

		snprintf(args, sizeof(args), "r%d", i);
		r.args = args;
		fx_at(x, &r, 3 * HOUR + i * 10);
	}
	T_EQ_INT(d07_count(x, "tool"), 0, "D07: 19 calls, all failing: "
	    "below min_short (20): nothing for the tool");
	fx_free(x);

	/* retries of one call are one failure (D03's business) */
	x = fx_new();
	fx_only(x, DETECT_D07);
	traffic(x, "p0", "get_order", 0, 3 * HOUR, 4, 100, &c);
	r = fx_call(x, "p9", "get_order", "stuck");
	r.outcome = "tool_error";
	r.category = "transient";
	for (i = 0; i < 100; i++)
		fx_at(x, &r, 3 * HOUR + i * 0.5);
	T_EQ_INT(d07_count(x, "tool"), 0, "D07: one call retried 100 times: "
	    "not an error-rate spike");
	fx_free(x);

	/* quiet: two spikes an hour and a half apart are two episodes */
	x = d07_case(3, 0, 90 * MIN);
	{
		double	 t = 3 * HOUR + 600 + 90 * MIN;

		for (i = 0; i < 150; i++) {
			char	 args[32];

			snprintf(args, sizeof(args), "u%d", i);
			r = fx_call(x, i % 2 ? "p3" : "p4", "get_order", args);
			if (i % 3 == 0) {
				r.outcome = "tool_error";
				r.category = "transient";
			}
			fx_at(x, &r, t + i * 4);
		}
	}
	T_EQ_INT(d07_count(x, "tool"), 2, "D07: two spikes 90 min apart: two "
	    "episodes");
	fx_free(x);
}

/* n calls of tool in each 15-minute bucket b0..b1, at latency ms. */
static void
lat_buckets(struct fx *x, int b0, int b1, int n, double ms, int *counter)
{
	struct fx_row	 r;
	char		 args[32];
	int		 b, i;

	for (b = b0; b < b1; b++)
		for (i = 0; i < n; i++) {
			snprintf(args, sizeof(args), "l%d", (*counter)++);
			r = fx_call(x, "p0", "search_orders", args);
			/* 50 ms, with a deterministic spread of +-10 ms */
			r.latency_us = (int64_t)((ms + (double)((*counter * 7) %
			    21) - 10) * 1000);
			fx_at(x, &r, b * BUCKET + i * (BUCKET / n));
		}
}

static void
test_d08(void)
{
	struct fx	*x;
	int		 c = 0;

	/* 30 baseline buckets, one slow bucket, then normal again */
	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 30, 40, 50, &c);
	lat_buckets(x, 30, 31, 40, 500, &c);
	lat_buckets(x, 31, 33, 40, 50, &c);
	T_EQ_INT(fx_count(x, DETECT_D08, NULL), 1, "D08: a 500 ms bucket "
	    "over a 50 ms baseline: one finding");
	T_EQ_INT(fx_sev(x, DETECT_D08, NULL, 0), DETECT_SEV_MEDIUM, "D08: p99 "
	    "< 1 s -> medium");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 30, 40, 50, &c);
	lat_buckets(x, 30, 31, 40, 1500, &c);
	lat_buckets(x, 31, 33, 40, 50, &c);
	T_EQ_INT(fx_sev(x, DETECT_D08, NULL, 0), DETECT_SEV_HIGH, "D08: p99 "
	    ">= 3x and >= 1 s -> high");
	fx_free(x);

	/* threshold - 1: a bucket of 29 calls is not evaluated */
	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 30, 40, 50, &c);
	lat_buckets(x, 30, 31, 29, 500, &c);
	lat_buckets(x, 31, 33, 40, 50, &c);
	T_EQ_INT(fx_count(x, DETECT_D08, NULL), 0, "D08: 29 calls in the "
	    "bucket (min 30): nothing");
	fx_free(x);

	/* not a spike: +60 ms is below the +100 ms guard */
	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 30, 40, 50, &c);
	lat_buckets(x, 30, 31, 40, 110, &c);
	lat_buckets(x, 31, 33, 40, 50, &c);
	T_EQ_INT(fx_count(x, DETECT_D08, NULL), 0, "D08: 2.2x but only "
	    "+60 ms: nothing");
	fx_free(x);

	/* insufficient baseline: 10 buckets */
	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 10, 40, 50, &c);
	lat_buckets(x, 10, 11, 40, 1500, &c);
	lat_buckets(x, 11, 13, 40, 50, &c);
	T_EQ_INT(fx_count(x, DETECT_D08, NULL), 0, "D08: 10 baseline "
	    "buckets (min 20): nothing");
	fx_free(x);

	/* two slow buckets in a row: one episode; two apart: two */
	x = fx_new();
	fx_only(x, DETECT_D08);
	lat_buckets(x, 0, 30, 40, 50, &c);
	lat_buckets(x, 30, 32, 40, 500, &c);
	lat_buckets(x, 32, 40, 40, 50, &c);
	lat_buckets(x, 40, 41, 40, 500, &c);
	lat_buckets(x, 41, 43, 40, 50, &c);
	T_EQ_INT(fx_count(x, DETECT_D08, NULL), 2, "D08: slow 30-31 and 40: "
	    "two episodes");
	T_EQ_INT(fx_get(x, DETECT_D08, NULL, 0)->count, 80, "D08: the first "
	    "covers both buckets");
	fx_free(x);
}

/* n calls by principal in each bucket of [b0, b1) (args distinct). */
static void
vol(struct fx *x, const char *who, int b0, int b1, int n, int *counter)
{
	struct fx_row	 r;
	char		 args[32];
	int		 b, i;

	for (b = b0; b < b1; b++)
		for (i = 0; i < n; i++) {
			snprintf(args, sizeof(args), "v%d", (*counter)++);
			r = fx_call(x, who, "get_order", args);
			fx_at(x, &r, b * BUCKET + 5 + i * ((BUCKET - 10) / n));
		}
}

static int
d11_count(struct fx *x, const char *sub, const char *series)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < x->ctx->nf; i++)
		if (x->ctx->f[i].det == DETECT_D11 && x->ctx->f[i].sev !=
		    DETECT_SEV_NONE && strcmp(x->ctx->f[i].sub, sub) == 0 &&
		    strcmp(x->ctx->f[i].key.series, series) == 0)
			n++;
	return n;
}

static int
d11_sev(struct fx *x, const char *sub, const char *series)
{
	size_t	 i;

	for (i = 0; i < x->ctx->nf; i++)
		if (x->ctx->f[i].det == DETECT_D11 && strcmp(x->ctx->f[i].sub,
		    sub) == 0 && strcmp(x->ctx->f[i].key.series, series) == 0)
			return x->ctx->f[i].sev;
	return 0;
}

#define WEEK_B	672

static void
test_d11(void)
{
	struct fx	*x;
	int		 c = 0;

	/* four weeks of 10 per bucket, then +50 (60) and +90 (100) */
	x = fx_new();
	fx_only(x, DETECT_D11);
	vol(x, "p", 0, 4 * WEEK_B, 10, &c);
	vol(x, "p", 4 * WEEK_B, 4 * WEEK_B + 1, 59, &c);
	vol(x, "p", 4 * WEEK_B + 1, 4 * WEEK_B + 3, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 0, "D11: 59 over "
	    "a median of 10 (delta 49 < 50): nothing");
	vol(x, "p", 4 * WEEK_B + 3, 4 * WEEK_B + 4, 60, &c);
	vol(x, "p", 4 * WEEK_B + 4, 4 * WEEK_B + 6, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 1, "D11: 60 (6x, "
	    "+50): one finding");
	T_EQ_INT(d11_sev(x, "volume_high", "principal"), DETECT_SEV_MEDIUM,
	    "D11: 6x -> medium");
	vol(x, "p", 4 * WEEK_B + 6, 4 * WEEK_B + 7, 100, &c);
	vol(x, "p", 4 * WEEK_B + 7, 4 * WEEK_B + 9, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 2, "D11: a later "
	    "bucket after a normal one: a second episode");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D11);
	vol(x, "p", 0, 4 * WEEK_B, 10, &c);
	vol(x, "p", 4 * WEEK_B, 4 * WEEK_B + 2, 100, &c);
	vol(x, "p", 4 * WEEK_B + 2, 4 * WEEK_B + 4, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 1, "D11: two "
	    "high buckets in a row: one episode");
	T_EQ_INT(d11_sev(x, "volume_high", "principal"), DETECT_SEV_HIGH,
	    "D11: 10x -> high");
	fx_free(x);

	/* a drop: an active series (median >= 20) going silent */
	x = fx_new();
	fx_only(x, DETECT_D11);
	vol(x, "p", 0, 4 * WEEK_B, 25, &c);
	vol(x, "p", 4 * WEEK_B, 4 * WEEK_B + 1, 1, &c);
	vol(x, "p", 4 * WEEK_B + 1, 4 * WEEK_B + 3, 25, &c);
	T_EQ_INT(d11_count(x, "volume_drop", "principal"), 0, "D11: one low "
	    "bucket: nothing");
	vol(x, "p", 4 * WEEK_B + 3, 4 * WEEK_B + 5, 1, &c);
	vol(x, "p", 4 * WEEK_B + 5, 4 * WEEK_B + 7, 25, &c);
	T_EQ_INT(d11_count(x, "volume_drop", "principal"), 1, "D11: two low "
	    "buckets in a row: a drop");
	T_EQ_INT(d11_sev(x, "volume_drop", "global"), DETECT_SEV_MEDIUM,
	    "D11: the whole log dropped: medium (pipeline gap?)");
	T_EQ_INT(d11_sev(x, "volume_drop", "principal"), DETECT_SEV_LOW,
	    "D11: a principal dropped: low");
	fx_free(x);

	/* insufficient history: one week */
	x = fx_new();
	fx_only(x, DETECT_D11);
	vol(x, "p", 0, WEEK_B, 10, &c);
	vol(x, "p", WEEK_B, WEEK_B + 1, 200, &c);
	vol(x, "p", WEEK_B + 1, WEEK_B + 3, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 0, "D11: one week "
	    "of history: no baseline, nothing");
	fx_free(x);

	/* two principals: only the one that spiked */
	x = fx_new();
	fx_only(x, DETECT_D11);
	{
		int b;

		for (b = 0; b < 3 * WEEK_B; b++) {
			vol(x, "p", b, b + 1, 10, &c);
			vol(x, "q", b, b + 1, 10, &c);
		}
	}
	vol(x, "p", 3 * WEEK_B, 3 * WEEK_B + 1, 100, &c);
	vol(x, "q", 3 * WEEK_B, 3 * WEEK_B + 1, 10, &c);
	vol(x, "p", 3 * WEEK_B + 1, 3 * WEEK_B + 3, 10, &c);
	T_EQ_INT(d11_count(x, "volume_high", "principal"), 1, "D11: two "
	    "principals, one spiked: one finding");
	{
		size_t		 i;
		const char	*who = NULL;

		for (i = 0; i < x->ctx->nf; i++)
			if (x->ctx->f[i].det == DETECT_D11 &&
			    x->ctx->f[i].key.principal != 0)
				who = intern_str(x->str,
				    x->ctx->f[i].key.principal);
		T_EQ_STR(who, "p", "D11: the right one");
	}
	fx_free(x);
}

int
main(void)
{
	test_d07();
	test_d08();
	test_d11();
	return t_done();
}
