/*
 * detect_loop.c -- agents repeating themselves: D01 retry loops
 * (identical tools/call rows), D02 ping-pong (two calls alternating with
 * the same outcomes), D03 failing-retry storms (identical calls failing
 * with the same error category).
 *
 * The key of a call is its session (or, without one, the principal,
 * address and user agent), the principal, the tool and the argument
 * digest.  Windows slide over the last rows of each key (a ring of
 * timestamps); severity rises with the tool's hints from the config.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

/* --- shared --------------------------------------------------------------- */

#define loop_caller	detect_caller

static int
loop_cap(double v)
{
	int	 c = (int)v;

	if (c < 2)
		c = 2;
	return c > DETECT_RING_MAX ? DETECT_RING_MAX : c;
}

static void
loop_key(const struct detect_row *r, struct detect_key *k)
{
	memset(k, 0, sizeof(*k));
	k->session = r->session;
	k->principal = r->principal;
	if (r->session == 0)
		k->client = r->client;
	k->tool = r->tool;
	k->args = r->args;
}

/* An outcome signature: outcome and category. */
static uint32_t
loop_sig(const struct detect_row *r)
{
	return (uint32_t)r->outcome << 24 ^ r->category;
}

static const char *
loop_hint_text(const struct detect_hint *h)
{
	if (!h->configured)
		return "hints unknown";
	if (h->read_only)
		return "readOnly";
	if (h->destructive)
		return h->idempotent ? "destructive, idempotent" :
		    "destructive, not idempotent";
	return h->idempotent ? "write, idempotent" : "write, not idempotent";
}

/* --- D01 retry loop ------------------------------------------------------- */

struct d01 {
	struct detect_tab *tab;
	int		 cap;
};

struct d01_rec {
	struct detect_rec h;
	struct detect_ep ep;
	uint64_t	 replay;	/* ring slot i holds a replay */
	uint64_t	 exec;		/* ring slot i executed (ok, not a
					   replay or conflict) */
	uint32_t	 sig;		/* outcome signature of the last row */
	uint32_t	 same;		/* rows in a row with that signature */
	struct detect_ring ring;
};

static void *
d01_start(struct detect_ctx *ctx)
{
	struct d01	*d = intern_xcalloc(1, sizeof(*d));
	double		 hi = DP(ctx, D01_HIGH) * DP(ctx, D01_POLL_FACTOR);

	d->cap = loop_cap(hi > DP(ctx, D01_WRITE_MEDIUM) ? hi :
	    DP(ctx, D01_WRITE_MEDIUM));
	d->tab = detect_tab_new(sizeof(struct d01_rec));
	return d;
}

static void
d01_free(void *p)
{
	struct d01	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d01_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d01	*d = p;

	detect_tab_sweep(d->tab, now - 2 * DP_US(ctx, D01_WINDOW_S), NULL,
	    NULL);
}

/* Every gap at least ratio times the one before: exponential backoff. */
static int
d01_backoff(const struct detect_ring *g, int cap, int n, double ratio)
{
	int64_t	 gap, prev = -1;
	int	 k;

	if (n < 3)
		return 0;
	/* Oldest to newest: entries n-1 .. 0. */
	for (k = n - 1; k > 0; k--) {
		gap = detect_ring_ts(g, cap, k - 1) - detect_ring_ts(g, cap, k);
		if (prev >= 0 && (double)gap < ratio * (double)prev)
			return 0;
		if (gap <= 0)
			return 0;
		prev = gap;
	}
	return 1;
}

static void
d01_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d01	*d = p;
	struct d01_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	const struct detect_hint *h;
	enum detect_sev	 sev = DETECT_SEV_NONE, base, cap;
	int64_t		 w = DP_US(ctx, D01_WINDOW_S);
	double		 lo, me, hi, thr = 0, pf = 1;
	int		 n, i, execs = 0, replays = 0, slot, write, risky, added;
	int		 backoff = 0, noprog = 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];
	const char	*sub = "loop";

	if (!r->is_call || r->args == 0)
		return;
	rec = detect_tab_get(d->tab, detect_mix(detect_mix(loop_caller(r),
	    r->principal), detect_mix(r->tool, r->args)), &added);
	rec->h.last_ts = r->ts_us;
	slot = rec->ring.head;
	detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	if (r->idem_status == DI_REPLAY)
		rec->replay |= UINT64_C(1) << slot;
	else
		rec->replay &= ~(UINT64_C(1) << slot);
	if (r->outcome == DO_OK && r->idem_status != DI_REPLAY &&
	    r->idem_status != DI_CONFLICT)
		rec->exec |= UINT64_C(1) << slot;
	else
		rec->exec &= ~(UINT64_C(1) << slot);
	if (!added && loop_sig(r) == rec->sig)
		rec->same++;
	else {
		rec->sig = loop_sig(r);
		rec->same = 1;
	}

	n = detect_ring_count(&rec->ring, d->cap, r->ts_us - w);
	for (i = 0; i < n; i++) {
		slot = ((int)rec->ring.head - 1 - i + 2 * d->cap) % d->cap;
		if (rec->exec & (UINT64_C(1) << slot))
			execs++;
		if (rec->replay & (UINT64_C(1) << slot))
			replays++;
	}
	h = detect_hint(ctx, r->tool);
	if (h->poll)
		pf = DP(ctx, D01_POLL_FACTOR);
	lo = DP(ctx, D01_LOW) * pf;
	me = DP(ctx, D01_MEDIUM) * pf;
	hi = DP(ctx, D01_HIGH) * pf;
	if (n >= hi) {
		sev = DETECT_SEV_HIGH;
		thr = hi;
	} else if (n >= me) {
		sev = DETECT_SEV_MEDIUM;
		thr = me;
	} else if (n >= lo) {
		sev = DETECT_SEV_LOW;
		thr = lo;
	}
	base = sev;
	write = h->configured && !h->read_only;
	risky = write && (h->destructive || !h->idempotent);
	if (risky && execs >= DP(ctx, D01_WRITE_MEDIUM) &&
	    sev < DETECT_SEV_MEDIUM) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D01_WRITE_MEDIUM);
		sub = "write_loop";
	}
	/* Every identical call keeps an open episode going. */
	f = detect_ep_current(ctx, &rec->ep, r->ts_us, w);
	if (sev == DETECT_SEV_NONE) {
		if (f != NULL)
			detect_touch(ctx, f, &rec->ep, r);
		return;
	}
	cap = write && h->destructive ? DETECT_SEV_CRITICAL : DETECT_SEV_HIGH;
	if (write && replays >= n - 1) {
		/* Every repeat was served as a replay: a safe retry. */
		sub = "replayed";
	} else if (d01_backoff(&rec->ring, d->cap, n, DP(ctx, D01_BACKOFF))) {
		backoff = 1;
		sev = DETECT_SEV_INFO;
		sub = "backoff";
	} else {
		if ((int)rec->same >= n) {
			noprog = 1;
			sev = detect_sev_up(sev, cap);
		}
		if (write && h->destructive)
			sev = detect_sev_up(sev, cap);
	}

	snprintf(msg, sizeof(msg), "%d identical calls of %s in %llds%s%s",
	    n, intern_str(ctx->str, r->tool), (long long)(w / 1000000),
	    noprog ? ", same outcome every time" : "",
	    backoff ? " with exponential backoff" : "");
	snprintf(ex, sizeof(ex), "rows of this (caller, principal, tool, "
	    "args_digest) with ts in [t-%llds, t]: %d; thresholds low %g, "
	    "medium %g, high %g%s -> %s; executions (ok, not replays) %d%s; "
	    "tool %s%s%s -> %s",
	    (long long)(w / 1000000), n, lo, me, hi, pf != 1 ?
	    " (poll tool: x2)" : "", detect_sev_name(base), execs, risky ?
	    " (medium from write_medium on a risky write)" : "",
	    loop_hint_text(h), noprog ? "; all rows had the same outcome: "
	    "+1 level" : "", write && h->destructive && !backoff &&
	    execs > 1 ? "; destructive: +1 level" : "", detect_sev_name(sev));

	if (f != NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		if (n > f->observed && sev >= f->sev)
			f->observed = n;
		detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
		return;
	}
	loop_key(r, &k);
	f = detect_open(ctx, &rec->ep, DETECT_D01, sub, &k, r,
	    detect_ring_seq(&rec->ring, d->cap, n - 1),
	    detect_ring_ts(&rec->ring, d->cap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rec->ring, d->cap, i));
	detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
}

/* --- D02 ping-pong -------------------------------------------------------- */

struct d02 {
	struct detect_tab *tab;
	int		 cap;
};

struct d02_rec {
	struct detect_rec h;
	struct detect_ep ep;
	uint64_t	 sig[2];	/* [0] the call before last, [1] last */
	uint32_t	 oc[2];
	int64_t		 last_ts, last_seq;
	uint32_t	 run;		/* alternating calls so far */
	uint32_t	 principal, tool[2];
	struct detect_ring ring;
};

static void *
d02_start(struct detect_ctx *ctx)
{
	struct d02	*d = intern_xcalloc(1, sizeof(*d));

	d->cap = loop_cap(DP(ctx, D02_MEDIUM));
	d->tab = detect_tab_new(sizeof(struct d02_rec));
	return d;
}

static void
d02_free(void *p)
{
	struct d02	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d02_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d02	*d = p;

	detect_tab_sweep(d->tab, now - 2 * DP_US(ctx, D02_WINDOW_S), NULL,
	    NULL);
}

static void
d02_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d02	*d = p;
	struct d02_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	uint64_t	 sig;
	uint32_t	 oc;
	int64_t		 w = DP_US(ctx, D02_WINDOW_S);
	double		 thr = 0;
	int		 n, i, added;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (!r->is_call || r->args == 0)
		return;
	sig = detect_mix(r->tool, r->args);
	oc = loop_sig(r);
	rec = detect_tab_get(d->tab, loop_caller(r), &added);
	rec->h.last_ts = r->ts_us;
	if (added || rec->run == 0) {
		rec->run = 1;
	} else if (sig == rec->sig[1]) {
		rec->run = 1;		/* a repeat, not an alternation */
		rec->ring.n = 0;
	} else if (rec->run >= 2 && sig == rec->sig[0] && oc == rec->oc[0]) {
		rec->run++;
	} else {
		/* A new pair: the last call and this one. */
		rec->run = 2;
		rec->ring.n = 0;
		detect_ring_push(&rec->ring, d->cap, rec->last_ts,
		    rec->last_seq);
	}
	rec->sig[0] = rec->sig[1];
	rec->oc[0] = rec->oc[1];
	rec->tool[0] = rec->tool[1];
	rec->sig[1] = sig;
	rec->oc[1] = oc;
	rec->tool[1] = r->tool;
	rec->last_ts = r->ts_us;
	rec->last_seq = r->seq;
	if (rec->run == 1) {
		rec->ring.n = 0;
		rec->ring.head = 0;
	}
	detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	if (rec->run < 2)
		return;
	n = detect_ring_count(&rec->ring, d->cap, r->ts_us - w);
	if (n > (int)rec->run)
		n = (int)rec->run;
	/* The alternation goes on: an open episode takes the row. */
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w)) != NULL &&
	    n < DP(ctx, D02_LOW)) {
		detect_touch(ctx, f, &rec->ep, r);
		return;
	}
	if (n >= DP(ctx, D02_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D02_MEDIUM);
	} else if (n >= DP(ctx, D02_LOW)) {
		sev = DETECT_SEV_LOW;
		thr = DP(ctx, D02_LOW);
	}
	if (sev == DETECT_SEV_NONE)
		return;
	snprintf(msg, sizeof(msg), "%d calls alternating between %s and %s "
	    "with the same outcomes", n, intern_str(ctx->str, rec->tool[0]),
	    intern_str(ctx->str, rec->tool[1]));
	snprintf(ex, sizeof(ex), "the session's last %d calls alternate "
	    "between two (tool, args_digest) signatures, each answered the "
	    "same way every time, all within %llds; low at %g, medium at %g "
	    "-> %s", n, (long long)(w / 1000000), DP(ctx, D02_LOW),
	    DP(ctx, D02_MEDIUM), detect_sev_name(sev));
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w)) != NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
		return;
	}
	memset(&k, 0, sizeof(k));
	k.session = r->session;
	k.principal = r->principal;
	if (r->session == 0)
		k.client = r->client;
	f = detect_open(ctx, &rec->ep, DETECT_D02, "ping_pong", &k, r,
	    detect_ring_seq(&rec->ring, d->cap, n - 1),
	    detect_ring_ts(&rec->ring, d->cap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rec->ring, d->cap, i));
	detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
}

/* --- D03 failing-retry storm ---------------------------------------------- */

struct d03 {
	struct detect_tab *tab;
	int		 cap;
	int64_t		 attributed;
};

struct d03_rec {
	struct detect_rec h;
	struct detect_ep ep;
	struct detect_ring ring;
};

static void *
d03_start(struct detect_ctx *ctx)
{
	struct d03	*d = intern_xcalloc(1, sizeof(*d));
	double		 m = DP(ctx, D03_MEDIUM);

	if (DP(ctx, D03_NONRETRY_MEDIUM) > m)
		m = DP(ctx, D03_NONRETRY_MEDIUM);
	d->cap = loop_cap(m);
	d->tab = detect_tab_new(sizeof(struct d03_rec));
	return d;
}

static void
d03_free(void *p)
{
	struct d03	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d03_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d03	*d = p;

	detect_tab_sweep(d->tab, now - 2 * DP_US(ctx, D03_WINDOW_S), NULL,
	    NULL);
}

static void
d03_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d03	*d = p;
	struct d03_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	const struct detect_hint *h;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int64_t		 w = DP_US(ctx, D03_WINDOW_S);
	double		 thr = 0;
	int		 n, i, nonretry, backoff;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (!r->is_call || r->args == 0 || r->outcome == DO_OK ||
	    r->outcome == DO_NULL)
		return;
	if (r->category == ctx->id_rate_limited ||
	    r->category == ctx->id_authentication)
		return;		/* D06 and D05 */
	rec = detect_tab_get(d->tab, detect_mix(detect_mix(loop_caller(r),
	    r->principal), detect_mix(detect_mix(r->tool, r->args),
	    r->category)), NULL);
	rec->h.last_ts = r->ts_us;
	detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	n = detect_ring_count(&rec->ring, d->cap, r->ts_us - w);
	nonretry = r->retryable == 0 || r->category == ctx->id_validation ||
	    r->category == ctx->id_authorization ||
	    r->category == ctx->id_not_found ||
	    r->category == ctx->id_conflict;
	if (n >= DP(ctx, D03_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D03_MEDIUM);
	} else if (nonretry && n >= DP(ctx, D03_NONRETRY_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D03_NONRETRY_MEDIUM);
	} else if (n >= DP(ctx, D03_LOW)) {
		sev = DETECT_SEV_LOW;
		thr = DP(ctx, D03_LOW);
	}
	if (sev == DETECT_SEV_NONE) {
		if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w)) !=
		    NULL)
			detect_touch(ctx, f, &rec->ep, r);
		return;
	}
	h = detect_hint(ctx, r->tool);
	backoff = !nonretry && d01_backoff(&rec->ring, d->cap, n,
	    DP(ctx, D01_BACKOFF));
	if (backoff)
		sev = DETECT_SEV_INFO;	/* a well-behaved retry */
	else if (h->configured && !h->read_only && h->destructive)
		sev = detect_sev_up(sev, DETECT_SEV_HIGH);
	snprintf(msg, sizeof(msg), "%d identical calls of %s failed with "
	    "%s in %llds%s%s", n, intern_str(ctx->str, r->tool),
	    r->category ? intern_str(ctx->str, r->category) : "an error",
	    (long long)(w / 1000000), nonretry ?
	    " (the error says a retry will not help)" : "", backoff ?
	    ", backing off exponentially" : "");
	snprintf(ex, sizeof(ex), "failing rows of this (caller, principal, "
	    "tool, args_digest, error_category) with ts in [t-%llds, t]: "
	    "%d; low %g, medium %g, medium %g when non-retryable (%s)%s -> %s",
	    (long long)(w / 1000000), n, DP(ctx, D03_LOW),
	    DP(ctx, D03_MEDIUM), DP(ctx, D03_NONRETRY_MEDIUM), nonretry ?
	    "yes" : "no", backoff ? "; each gap >= backoff_ratio x the one "
	    "before: a well-behaved retry (info)" : h->configured &&
	    !h->read_only && h->destructive ? "; destructive tool: +1 level" :
	    "", detect_sev_name(sev));
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w)) != NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
		return;
	}
	loop_key(r, &k);
	k.category = r->category;
	f = detect_open(ctx, &rec->ep, DETECT_D03, backoff ? "backoff" :
	    nonretry ? "nonretryable" : "storm", &k, r,
	    detect_ring_seq(&rec->ring, d->cap, n - 1),
	    detect_ring_ts(&rec->ring, d->cap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rec->ring, d->cap, i));
	detect_raise(ctx, f, sev, r, n, thr, w / 1000000, msg, ex);
	/* A fleet-wide error spike explains it: D07 reports that. */
	if (detect_stats_spiking(ctx, r->tool, r->ts_us)) {
		f->attributed = 1;
		d->attributed++;
	}
}

const struct detect_ops detect_loop_ops[3] = {
	{ DETECT_D01, d01_start, d01_row, NULL, d01_sweep, d01_free },
	{ DETECT_D02, d02_start, d02_row, NULL, d02_sweep, d02_free },
	{ DETECT_D03, d03_start, d03_row, NULL, d03_sweep, d03_free },
};
