/*
 * detect_access.c -- who is being refused: D04 scope denials of
 * authenticated principals (bursts, probing across tools, and a policy
 * regression when several principals start failing on one tool), D05
 * authentication failures (bursts and spraying from one address,
 * distributed attempts on one identity, success after failures), and
 * D13 denial storms (denied or malformed requests per second).
 *
 * The identity of a failed authentication is what the row carries
 * without a principal: the API key's public id, else the token subject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

#define ACC_SET		16	/* distinct values remembered per key */

/* A small set of ids with the last time each was seen. */
struct acc_set {
	uint32_t	 id[ACC_SET];
	int64_t		 ts[ACC_SET];
	int64_t		 seq[ACC_SET];
	int		 n;
};

static void
acc_set_add(struct acc_set *s, uint32_t id, int64_t ts, int64_t seq)
{
	int	 i, old = 0;

	for (i = 0; i < s->n; i++)
		if (s->id[i] == id) {
			s->ts[i] = ts;
			s->seq[i] = seq;
			return;
		}
	if (s->n < ACC_SET) {
		i = s->n++;
	} else {
		for (i = 1; i < ACC_SET; i++)
			if (s->ts[i] < s->ts[old])
				old = i;
		i = old;
	}
	s->id[i] = id;
	s->ts[i] = ts;
	s->seq[i] = seq;
}

static int
acc_set_count(const struct acc_set *s, int64_t since)
{
	int	 i, c = 0;

	for (i = 0; i < s->n; i++)
		if (s->ts[i] >= since)
			c++;
	return c;
}

static int
acc_cap(double a, double b)
{
	int	 c = (int)(a > b ? a : b);

	if (c < 2)
		c = 2;
	return c > DETECT_RING_MAX ? DETECT_RING_MAX : c;
}

static void
acc_samples(struct detect_finding *f, const struct detect_ring *g, int cap,
    int n)
{
	int	 i;

	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(g, cap, i));
}

/* --- D04 scope denials ---------------------------------------------------- */

struct d04 {
	struct detect_tab *princ;	/* by principal */
	struct detect_tab *tools;	/* by tool: who was denied */
	int		 cap;
};

struct d04_rec {
	struct detect_rec h;
	struct detect_ep burst, breadth;
	struct acc_set	 denied;	/* tools (or scopes) denied */
	struct detect_ring ring;
};

struct d04_tool {
	struct detect_rec h;
	struct detect_ep ep;
	struct acc_set	 who;		/* principals denied on the tool */
};

static void *
d04_start(struct detect_ctx *ctx)
{
	struct d04	*d = intern_xcalloc(1, sizeof(*d));

	d->cap = acc_cap(DP(ctx, D04_BURST_MEDIUM), DP(ctx, D04_SLOW_LOW));
	d->princ = detect_tab_new(sizeof(struct d04_rec));
	d->tools = detect_tab_new(sizeof(struct d04_tool));
	return d;
}

static void
d04_free(void *p)
{
	struct d04	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->princ);
	detect_tab_free(d->tools);
	free(d);
}

static void
d04_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d04	*d = p;
	int64_t		 w = DP_US(ctx, D04_SLOW_S);

	if (DP_US(ctx, D04_BREADTH_S) > w)
		w = DP_US(ctx, D04_BREADTH_S);
	if (DP_US(ctx, D04_POP_S) > w)
		w = DP_US(ctx, D04_POP_S);
	detect_tab_sweep(d->princ, now - 2 * w, NULL, NULL);
	detect_tab_sweep(d->tools, now - 2 * w, NULL, NULL);
}

static void
d04_population(struct detect_ctx *ctx, struct d04 *d,
    const struct detect_row *r)
{
	struct d04_tool	*t;
	struct d04_rec	*pr;
	struct detect_finding *f, *pf;
	struct detect_key k;
	int64_t		 w = DP_US(ctx, D04_POP_S);
	int		 n, i;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->tool == 0)
		return;
	t = detect_tab_get(d->tools, r->tool, NULL);
	t->h.last_ts = r->ts_us;
	acc_set_add(&t->who, r->principal, r->ts_us, r->seq);
	n = acc_set_count(&t->who, r->ts_us - w);
	if ((f = detect_ep_current(ctx, &t->ep, r->ts_us, w)) != NULL) {
		detect_touch(ctx, f, &t->ep, r);
		return;
	}
	if (n < DP(ctx, D04_POP_PRINCIPALS))
		return;
	memset(&k, 0, sizeof(k));
	k.tool = r->tool;
	f = detect_open(ctx, &t->ep, DETECT_D04, "policy_regression", &k, r,
	    r->seq, r->ts_us);
	f->count = 0;
	for (i = 0; i < t->who.n; i++)
		if (t->who.ts[i] >= r->ts_us - w) {
			detect_sample(f, t->who.seq[i]);
			f->count++;
			if (t->who.seq[i] < f->start_seq) {
				f->start_seq = t->who.seq[i];
				f->first_ts = t->who.ts[i];
			}
		}
	detect_fingerprint(ctx, f);
	snprintf(msg, sizeof(msg), "%d principals denied on %s within %llds: "
	    "a policy or scope change?", n, intern_str(ctx->str, r->tool),
	    (long long)(w / 1000000));
	snprintf(ex, sizeof(ex), "distinct authenticated principals denied "
	    "on this tool with ts in [t-%llds, t]: %d >= %g -> medium; their "
	    "own denial findings on it are folded into this one",
	    (long long)(w / 1000000), n, DP(ctx, D04_POP_PRINCIPALS));
	detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, n,
	    DP(ctx, D04_POP_PRINCIPALS), w / 1000000, msg, ex);
	/* Per-principal bursts about this tool are this finding. */
	for (i = 0; i < t->who.n; i++) {
		if (t->who.ts[i] < r->ts_us - w)
			continue;
		pr = detect_tab_find(d->princ, t->who.id[i]);
		if (pr == NULL || (pf = detect_ep_finding(ctx,
		    &pr->burst)) == NULL)
			continue;
		if (pf->first_ts >= r->ts_us - w)
			pf->attributed = 1;
	}
}

static void
d04_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d04	*d = p;
	struct d04_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int64_t		 wb = DP_US(ctx, D04_BURST_S), ws = DP_US(ctx,
			    D04_SLOW_S), wd = DP_US(ctx, D04_BREADTH_S);
	int		 nb, ns, nd;
	double		 thr = 0;
	int64_t		 wused = 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->auth != DA_OK || r->principal == 0 ||
	    (r->decision != DD_DENY && r->category != ctx->id_authorization))
		return;
	if (r->auth_method == ctx->id_none)
		return;		/* anonymous: nothing to attribute */
	rec = detect_tab_get(d->princ, r->principal, NULL);
	rec->h.last_ts = r->ts_us;
	detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	acc_set_add(&rec->denied, r->tool != 0 ? r->tool : r->scope,
	    r->ts_us, r->seq);
	nb = detect_ring_count(&rec->ring, d->cap, r->ts_us - wb);
	ns = detect_ring_count(&rec->ring, d->cap, r->ts_us - ws);
	nd = acc_set_count(&rec->denied, r->ts_us - wd);

	if (nb >= DP(ctx, D04_BURST_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D04_BURST_MEDIUM);
		wused = wb;
	} else if (ns >= DP(ctx, D04_SLOW_LOW)) {
		sev = DETECT_SEV_LOW;
		thr = DP(ctx, D04_SLOW_LOW);
		wused = ws;
	}
	if (sev != DETECT_SEV_NONE) {
		snprintf(msg, sizeof(msg), "%s denied %d times in %llds",
		    intern_str(ctx->str, r->principal), sev ==
		    DETECT_SEV_MEDIUM ? nb : ns, (long long)(wused / 1000000));
		snprintf(ex, sizeof(ex), "denials of this authenticated "
		    "principal: %d in [t-%llds, t] (medium at %g), %d in "
		    "[t-%llds, t] (low at %g) -> %s", nb, (long long)(wb /
		    1000000), DP(ctx, D04_BURST_MEDIUM), ns, (long long)(ws /
		    1000000), DP(ctx, D04_SLOW_LOW), detect_sev_name(sev));
		if ((f = detect_ep_current(ctx, &rec->burst, r->ts_us, ws)) !=
		    NULL) {
			detect_touch(ctx, f, &rec->burst, r);
			detect_raise(ctx, f, sev, r, sev == DETECT_SEV_MEDIUM ?
			    nb : ns, thr, wused / 1000000, msg, ex);
		} else {
			int n = sev == DETECT_SEV_MEDIUM ? nb : ns;

			memset(&k, 0, sizeof(k));
			k.principal = r->principal;
			f = detect_open(ctx, &rec->burst, DETECT_D04,
			    "denials", &k, r, detect_ring_seq(&rec->ring,
			    d->cap, n - 1), detect_ring_ts(&rec->ring, d->cap,
			    n - 1));
			f->count = n;
			acc_samples(f, &rec->ring, d->cap, n);
			detect_raise(ctx, f, sev, r, n, thr, wused / 1000000,
			    msg, ex);
		}
	} else if ((f = detect_ep_current(ctx, &rec->burst, r->ts_us, ws)) !=
	    NULL)
		detect_touch(ctx, f, &rec->burst, r);

	sev = DETECT_SEV_NONE;
	if (nd >= DP(ctx, D04_BREADTH_HIGH)) {
		sev = DETECT_SEV_HIGH;
		thr = DP(ctx, D04_BREADTH_HIGH);
	} else if (nd >= DP(ctx, D04_BREADTH_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D04_BREADTH_MEDIUM);
	}
	if (sev != DETECT_SEV_NONE) {
		snprintf(msg, sizeof(msg), "%s was denied on %d different "
		    "tools in %llds (probing?)", intern_str(ctx->str,
		    r->principal), nd, (long long)(wd / 1000000));
		snprintf(ex, sizeof(ex), "distinct tools (or scopes) denied to "
		    "this principal in [t-%llds, t]: %d; medium at %g, high at "
		    "%g -> %s", (long long)(wd / 1000000), nd,
		    DP(ctx, D04_BREADTH_MEDIUM), DP(ctx, D04_BREADTH_HIGH),
		    detect_sev_name(sev));
		if ((f = detect_ep_current(ctx, &rec->breadth, r->ts_us,
		    wd)) != NULL) {
			detect_touch(ctx, f, &rec->breadth, r);
			detect_raise(ctx, f, sev, r, nd, thr, wd / 1000000,
			    msg, ex);
		} else {
			int i;

			memset(&k, 0, sizeof(k));
			k.principal = r->principal;
			f = detect_open(ctx, &rec->breadth, DETECT_D04,
			    "probing", &k, r, r->seq, r->ts_us);
			for (i = 0; i < rec->denied.n; i++)
				if (rec->denied.ts[i] >= r->ts_us - wd) {
					detect_sample(f, rec->denied.seq[i]);
					f->count++;
					if (rec->denied.seq[i] < f->start_seq) {
						f->start_seq =
						    rec->denied.seq[i];
						f->first_ts =
						    rec->denied.ts[i];
					}
				}
			detect_fingerprint(ctx, f);
			detect_raise(ctx, f, sev, r, nd, thr, wd / 1000000,
			    msg, ex);
		}
	} else if ((f = detect_ep_current(ctx, &rec->breadth, r->ts_us,
	    wd)) != NULL)
		detect_touch(ctx, f, &rec->breadth, r);

	d04_population(ctx, d, r);
	/* A burst about a tool already in a policy regression is that. */
	if ((f = detect_ep_finding(ctx, &rec->burst)) != NULL &&
	    f->trigger_seq == r->seq && r->tool != 0) {
		struct d04_tool *t = detect_tab_find(d->tools, r->tool);

		if (t != NULL && detect_ep_finding(ctx, &t->ep) != NULL)
			f->attributed = 1;
	}
}

/* --- D05 authentication failures ----------------------------------------- */

struct d05 {
	struct detect_tab *addr;	/* by client address */
	struct detect_tab *ident;	/* by attempted identity */
	int		 cap;
	int		 scap;
};

struct d05_addr {
	struct detect_rec h;
	struct detect_ep burst, spray;
	struct acc_set	 idents;
	uint8_t		 soft[DETECT_RING_MAX];	/* expired or revoked */
	struct detect_ring ring;
	struct detect_ring anon;	/* failures without an identity */
};

struct d05_ident {
	struct detect_rec h;
	struct detect_ep dist;
	struct acc_set	 addrs;
	struct detect_ring fails;
};

static void *
d05_start(struct detect_ctx *ctx)
{
	struct d05	*d = intern_xcalloc(1, sizeof(*d));

	d->cap = acc_cap(DP(ctx, D05_BURST_MEDIUM), DP(ctx, D05_LONG_HIGH));
	d->scap = acc_cap(DP(ctx, D05_SUCCESS_FAILS), 2);
	d->addr = detect_tab_new(sizeof(struct d05_addr));
	d->ident = detect_tab_new(sizeof(struct d05_ident));
	return d;
}

static void
d05_free(void *p)
{
	struct d05	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->addr);
	detect_tab_free(d->ident);
	free(d);
}

static void
d05_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d05	*d = p;
	int64_t		 w = DP_US(ctx, D05_LONG_S);

	if (DP_US(ctx, D05_SUCCESS_S) > w)
		w = DP_US(ctx, D05_SUCCESS_S);
	detect_tab_sweep(d->addr, now - w - 60000000, NULL, NULL);
	detect_tab_sweep(d->ident, now - w - 60000000, NULL, NULL);
}

static uint32_t
d05_identity(const struct detect_row *r)
{
	if (r->key_id != 0)
		return r->key_id;
	if (r->token_sub != 0)
		return r->token_sub;
	return r->principal;
}

static void
d05_success(struct detect_ctx *ctx, struct d05 *d, const struct detect_row *r)
{
	struct d05_ident *id;
	struct d05_addr	*a;
	struct detect_finding *f;
	struct detect_key k;
	struct detect_ring *g = NULL;
	int64_t		 w = DP_US(ctx, D05_SUCCESS_S);
	uint32_t	 ident = d05_identity(r);
	int		 n = 0, byaddr = 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	memset(&k, 0, sizeof(k));
	if (ident != 0 && (id = detect_tab_find(d->ident, ident)) != NULL &&
	    (n = detect_ring_count(&id->fails, d->scap, r->ts_us - w)) >=
	    DP(ctx, D05_SUCCESS_FAILS)) {
		g = &id->fails;
		if (r->key_id != 0)
			k.key_id = r->key_id;
		k.principal = r->principal;
	} else if (r->client != 0 && (a = detect_tab_find(d->addr,
	    r->client)) != NULL && (n = detect_ring_count(&a->anon, d->scap,
	    r->ts_us - w)) >= DP(ctx, D05_SUCCESS_FAILS)) {
		g = &a->anon;
		byaddr = 1;
		k.client = r->client;
		k.principal = r->principal;
	}
	if (g == NULL)
		return;
	f = detect_open(ctx, NULL, DETECT_D05, "success_after_failures", &k,
	    r, detect_ring_seq(g, d->scap, n - 1), detect_ring_ts(g, d->scap,
	    n - 1));
	f->count = n + 1;
	acc_samples(f, g, d->scap, n);
	detect_sample(f, r->seq);
	snprintf(msg, sizeof(msg), "%s authenticated after %d failed "
	    "attempts within %llds", r->principal ? intern_str(ctx->str,
	    r->principal) : "a caller", n, (long long)(w / 1000000));
	snprintf(ex, sizeof(ex), "failed authentications for this %s in "
	    "[t-%llds, t] before the successful row t: %d >= %g -> high",
	    byaddr ? "address (failures without an identity)" : "identity",
	    (long long)(w /
	    1000000), n, DP(ctx, D05_SUCCESS_FAILS));
	detect_raise(ctx, f, DETECT_SEV_HIGH, r, n,
	    DP(ctx, D05_SUCCESS_FAILS), w / 1000000, msg, ex);
	g->n = 0;	/* those failures are spent */
}

static void
d05_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d05	*d = p;
	struct d05_addr	*a;
	struct d05_ident *id;
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int64_t		 wb = DP_US(ctx, D05_BURST_S), wl = DP_US(ctx,
			    D05_LONG_S);
	uint32_t	 ident;
	int		 nb, nl, ni, i, soft, slot, n;
	double		 thr = 0;
	const char	*sub;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->auth == DA_OK) {
		if (r->principal != 0 && r->auth_method != ctx->id_none)
			d05_success(ctx, d, r);
		return;
	}
	if (r->auth != DA_INVALID && r->auth != DA_EXPIRED &&
	    r->auth != DA_REVOKED && !(r->auth == DA_MISSING &&
	    DP(ctx, D05_COUNT_MISSING) != 0))
		return;
	ident = d05_identity(r);

	/* Per identity: addresses trying it, failures before a success. */
	if (ident != 0) {
		id = detect_tab_get(d->ident, ident, NULL);
		id->h.last_ts = r->ts_us;
		detect_ring_push(&id->fails, d->scap, r->ts_us, r->seq);
		if (r->client != 0)
			acc_set_add(&id->addrs, r->client, r->ts_us, r->seq);
		ni = acc_set_count(&id->addrs, r->ts_us - wl);
		if ((f = detect_ep_current(ctx, &id->dist, r->ts_us, wl)) !=
		    NULL)
			detect_touch(ctx, f, &id->dist, r);
		else if (ni >= DP(ctx, D05_DIST_MEDIUM)) {
			memset(&k, 0, sizeof(k));
			k.key_id = ident;
			f = detect_open(ctx, &id->dist, DETECT_D05,
			    "distributed", &k, r, r->seq, r->ts_us);
			for (i = 0; i < id->addrs.n; i++)
				if (id->addrs.ts[i] >= r->ts_us - wl) {
					detect_sample(f, id->addrs.seq[i]);
					f->count++;
					if (id->addrs.seq[i] < f->start_seq) {
						f->start_seq =
						    id->addrs.seq[i];
						f->first_ts = id->addrs.ts[i];
					}
				}
			detect_fingerprint(ctx, f);
			snprintf(msg, sizeof(msg), "identity %s failed to "
			    "authenticate from %d addresses in %llds",
			    intern_str(ctx->str, ident), ni,
			    (long long)(wl / 1000000));
			snprintf(ex, sizeof(ex), "distinct client addresses "
			    "failing for this identity in [t-%llds, t]: %d >= "
			    "%g -> medium", (long long)(wl / 1000000), ni,
			    DP(ctx, D05_DIST_MEDIUM));
			detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, ni,
			    DP(ctx, D05_DIST_MEDIUM), wl / 1000000, msg, ex);
		}
	}
	if (r->client == 0)
		return;

	/* Per address: bursts and spraying. */
	a = detect_tab_get(d->addr, r->client, NULL);
	a->h.last_ts = r->ts_us;
	slot = a->ring.head;
	detect_ring_push(&a->ring, d->cap, r->ts_us, r->seq);
	a->soft[slot] = r->auth == DA_EXPIRED || r->auth == DA_REVOKED;
	if (ident == 0)
		detect_ring_push(&a->anon, d->scap, r->ts_us, r->seq);
	else
		acc_set_add(&a->idents, ident, r->ts_us, r->seq);
	nb = detect_ring_count(&a->ring, d->cap, r->ts_us - wb);
	nl = detect_ring_count(&a->ring, d->cap, r->ts_us - wl);
	ni = acc_set_count(&a->idents, r->ts_us - wl);

	if (nl >= DP(ctx, D05_LONG_HIGH)) {
		sev = DETECT_SEV_HIGH;
		thr = DP(ctx, D05_LONG_HIGH);
	} else if (nb >= DP(ctx, D05_BURST_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D05_BURST_MEDIUM);
	}
	if (sev != DETECT_SEV_NONE) {
		n = sev == DETECT_SEV_HIGH ? nl : nb;
		soft = 1;
		for (i = 0; i < n; i++)
			if (!a->soft[((int)a->ring.head - 1 - i + 2 * d->cap) %
			    d->cap])
				soft = 0;
		sub = "burst";
		if (soft && ni <= 1) {
			/* One stale credential, retried: a broken client. */
			sev = DETECT_SEV_LOW;
			sub = "misconfigured_client";
		}
		snprintf(msg, sizeof(msg), "%d failed authentications from %s "
		    "in %llds%s", n, intern_str(ctx->str, r->client),
		    (long long)((sev == DETECT_SEV_HIGH ? wl : wb) / 1000000),
		    soft && ni <= 1 ? " (one expired or revoked credential, "
		    "retried)" : "");
		snprintf(ex, sizeof(ex), "failures from this address: %d in "
		    "[t-%llds, t] (medium at %g), %d in [t-%llds, t] (high at "
		    "%g); distinct identities %d; all expired/revoked: %s -> %s",
		    nb, (long long)(wb / 1000000), DP(ctx, D05_BURST_MEDIUM),
		    nl, (long long)(wl / 1000000), DP(ctx, D05_LONG_HIGH), ni,
		    soft ? "yes" : "no", detect_sev_name(sev));
		if ((f = detect_ep_current(ctx, &a->burst, r->ts_us, wl)) !=
		    NULL) {
			detect_touch(ctx, f, &a->burst, r);
			if (strcmp(f->sub, "misconfigured_client") != 0 ||
			    sev == DETECT_SEV_LOW)
				detect_raise(ctx, f, sev, r, n, thr, (sev ==
				    DETECT_SEV_HIGH ? wl : wb) / 1000000, msg,
				    ex);
		} else {
			memset(&k, 0, sizeof(k));
			k.client = r->client;
			f = detect_open(ctx, &a->burst, DETECT_D05, sub, &k, r,
			    detect_ring_seq(&a->ring, d->cap, n - 1),
			    detect_ring_ts(&a->ring, d->cap, n - 1));
			f->count = n;
			acc_samples(f, &a->ring, d->cap, n);
			detect_raise(ctx, f, sev, r, n, thr, (sev ==
			    DETECT_SEV_HIGH ? wl : wb) / 1000000, msg, ex);
		}
	} else if ((f = detect_ep_current(ctx, &a->burst, r->ts_us, wl)) !=
	    NULL)
		detect_touch(ctx, f, &a->burst, r);

	if ((f = detect_ep_current(ctx, &a->spray, r->ts_us, wl)) != NULL)
		detect_touch(ctx, f, &a->spray, r);
	else if (ni >= DP(ctx, D05_SPRAY_HIGH)) {
		memset(&k, 0, sizeof(k));
		k.client = r->client;
		f = detect_open(ctx, &a->spray, DETECT_D05, "spray", &k, r,
		    r->seq, r->ts_us);
		for (i = 0; i < a->idents.n; i++)
			if (a->idents.ts[i] >= r->ts_us - wl) {
				detect_sample(f, a->idents.seq[i]);
				f->count++;
				if (a->idents.seq[i] < f->start_seq) {
					f->start_seq = a->idents.seq[i];
					f->first_ts = a->idents.ts[i];
				}
			}
		detect_fingerprint(ctx, f);
		snprintf(msg, sizeof(msg), "%s tried %d different identities "
		    "in %llds (password spraying)", intern_str(ctx->str,
		    r->client), ni, (long long)(wl / 1000000));
		snprintf(ex, sizeof(ex), "distinct identities (API key ids or "
		    "token subjects) failing from this address in [t-%llds, "
		    "t]: %d >= %g -> high", (long long)(wl / 1000000), ni,
		    DP(ctx, D05_SPRAY_HIGH));
		detect_raise(ctx, f, DETECT_SEV_HIGH, r, ni,
		    DP(ctx, D05_SPRAY_HIGH), wl / 1000000, msg, ex);
	}
}

/* --- D13 denial storm ----------------------------------------------------- */

#define D13_SECS	64

struct d13 {
	struct detect_tab *tab;
};

struct d13_rec {
	struct detect_rec h;
	struct detect_ep ep;
	int64_t		 sec;		/* newest second counted */
	uint32_t	 cnt[D13_SECS];
};

static void *
d13_start(struct detect_ctx *ctx)
{
	struct d13	*d = intern_xcalloc(1, sizeof(*d));

	d->tab = detect_tab_new(sizeof(struct d13_rec));
	return d;
}

static void
d13_free(void *p)
{
	struct d13	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d13_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d13	*d = p;

	detect_tab_sweep(d->tab, now - 4 * DP_US(ctx, D13_WINDOW_S), NULL,
	    NULL);
}

static void
d13_count(struct detect_ctx *ctx, struct d13 *d, uint64_t key,
    const struct detect_key *kk, const struct detect_row *r)
{
	struct d13_rec	*rec;
	struct detect_finding *f;
	int64_t		 sec = r->ts_us / 1000000, s, sum = 0;
	int64_t		 w = (int64_t)DP(ctx, D13_WINDOW_S);
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (w > D13_SECS - 1)
		w = D13_SECS - 1;
	if (w < 1)
		w = 1;
	rec = detect_tab_get(d->tab, key, NULL);
	rec->h.last_ts = r->ts_us;
	if (sec > rec->sec) {
		for (s = rec->sec + 1; s <= sec && s <= rec->sec + D13_SECS;
		    s++)
			rec->cnt[s % D13_SECS] = 0;
		if (sec - rec->sec > D13_SECS)
			memset(rec->cnt, 0, sizeof(rec->cnt));
		rec->sec = sec;
	}
	if (sec > rec->sec - D13_SECS)
		rec->cnt[sec % D13_SECS]++;
	for (s = rec->sec - w + 1; s <= rec->sec; s++)
		sum += rec->cnt[(s % D13_SECS + D13_SECS) % D13_SECS];
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w * 1000000)) !=
	    NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		if (sum > f->observed)
			f->observed = (double)sum;
		return;
	}
	if ((double)sum < DP(ctx, D13_RATE) * (double)w)
		return;
	f = detect_open(ctx, &rec->ep, DETECT_D13, "denial_storm", kk, r,
	    r->seq, r->ts_us - w * 1000000);
	f->count = sum;
	detect_sample(f, r->seq);
	snprintf(msg, sizeof(msg), "%lld denied or malformed requests in "
	    "%llds (%.1f/s)", (long long)sum, (long long)w, (double)sum /
	    (double)w);
	snprintf(ex, sizeof(ex), "denied (decision deny), malformed (parse "
	    "error, invalid request) or HTTP-refused rows of this key in the "
	    "last %lld whole seconds: %lld >= %g/s x %llds = %g -> medium",
	    (long long)w, (long long)sum, DP(ctx, D13_RATE), (long long)w,
	    DP(ctx, D13_RATE) * (double)w);
	detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, (double)sum,
	    DP(ctx, D13_RATE) * (double)w, w, msg, ex);
}

static void
d13_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d13	*d = p;
	struct detect_key k;

	if (r->decision != DD_DENY && r->outcome != DO_HTTP_ERROR &&
	    !(r->outcome == DO_PROTOCOL_ERROR && (r->rpc_error_code ==
	    -32700 || r->rpc_error_code == -32600)))
		return;
	memset(&k, 0, sizeof(k));
	if (r->client != 0) {
		k.client = r->client;
		d13_count(ctx, d, detect_mix(r->client, 13), &k, r);
	}
	if (r->principal != 0 && r->auth == DA_OK) {
		memset(&k, 0, sizeof(k));
		k.principal = r->principal;
		d13_count(ctx, d, detect_mix(r->principal, 1313), &k, r);
	}
}

const struct detect_ops detect_access_ops[3] = {
	{ DETECT_D04, d04_start, d04_row, NULL, d04_sweep, d04_free },
	{ DETECT_D05, d05_start, d05_row, NULL, d05_sweep, d05_free },
	{ DETECT_D13, d13_start, d13_row, NULL, d13_sweep, d13_free },
};
