/*
 * detect_rate.c -- limits and exactly-once: D06 rate-limit hits (count
 * and share of a principal's calls of a tool) and disregarded backoff
 * (calls inside the retry-after the server advertised), and D10
 * idempotency anomalies: repeated conflicts, one key under several
 * principals, replay storms, and the server's own invariants (a key
 * executed twice, or with two argument digests) which are critical.
 *
 * An execution is a row with idem_status "new" and outcome "ok": the
 * write and its idempotency record commit together, so a failed "new"
 * left nothing behind and may run again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

static int
rate_cap(double v)
{
	int	 c = (int)v;

	if (c < 2)
		c = 2;
	return c > DETECT_RING_MAX ? DETECT_RING_MAX : c;
}

/* --- D06 rate limits ------------------------------------------------------ */

#define D06_MINUTES	64

struct d06 {
	struct detect_tab *tab;
	int		 cap;
};

struct d06_rec {
	struct detect_rec h;
	struct detect_ep hits, dis;
	int64_t		 minute;
	uint32_t	 calls[D06_MINUTES], rl[D06_MINUTES];
	int64_t		 backoff_until;
	int32_t		 early;		/* calls inside the backoff */
	int64_t		 early_seq[8];
	struct detect_ring ring;	/* rate-limited answers */
};

static void *
d06_start(struct detect_ctx *ctx)
{
	struct d06	*d = intern_xcalloc(1, sizeof(*d));

	d->cap = rate_cap(DP(ctx, D06_HITS_LOW));
	d->tab = detect_tab_new(sizeof(struct d06_rec));
	return d;
}

static void
d06_free(void *p)
{
	struct d06	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d06_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d06	*d = p;
	int64_t		 w = DP_US(ctx, D06_SHARE_S);

	if (DP_US(ctx, D06_HITS_S) > w)
		w = DP_US(ctx, D06_HITS_S);
	detect_tab_sweep(d->tab, now - w - 60000000, NULL, NULL);
}

static void
d06_key(const struct detect_row *r, struct detect_key *k)
{
	memset(k, 0, sizeof(*k));
	if (r->principal != 0)
		k->principal = r->principal;
	else
		k->client = r->client;
	k->tool = r->tool;
}

static void
d06_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d06	*d = p;
	struct d06_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev = DETECT_SEV_NONE;
	int64_t		 wh = DP_US(ctx, D06_HITS_S), ws = DP_US(ctx,
			    D06_SHARE_S), m, x, ms, back;
	int		 rl, n, i, mins;
	uint64_t	 calls = 0, rls = 0;
	double		 share = 0, thr = 0;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	rl = r->category == ctx->id_rate_limited || r->http_status == 429;
	if (!rl && !r->is_call)
		return;
	rec = detect_tab_get(d->tab, detect_mix(r->principal != 0 ?
	    r->principal : detect_mix(r->client, 6), r->tool), NULL);
	rec->h.last_ts = r->ts_us;

	/* Calls and rate-limited answers per minute, for the share. */
	m = r->ts_us / 60000000;
	if (m > rec->minute) {
		for (x = rec->minute + 1; x <= m && x <= rec->minute +
		    D06_MINUTES; x++) {
			rec->calls[x % D06_MINUTES] = 0;
			rec->rl[x % D06_MINUTES] = 0;
		}
		rec->minute = m;
	}
	if (m > rec->minute - D06_MINUTES) {
		rec->calls[m % D06_MINUTES]++;
		if (rl)
			rec->rl[m % D06_MINUTES]++;
	}

	/* Calls that did not wait for the advertised retry-after. */
	if (rec->backoff_until != 0) {
		if (r->ts_us < rec->backoff_until) {
			if (rec->early < 8)
				rec->early_seq[rec->early] = r->seq;
			rec->early++;
		} else
			rec->early = 0;
	}
	if (rl) {
		ms = r->retry_after_ms > 0 ? r->retry_after_ms :
		    (int64_t)DP(ctx, D06_DEFAULT_MS);
		back = r->ts_us + ms * 1000;
		if (back > rec->backoff_until)
			rec->backoff_until = back;
	}
	if ((f = detect_ep_current(ctx, &rec->dis, r->ts_us, 60000000)) !=
	    NULL) {
		if (r->ts_us < rec->backoff_until || rl)
			detect_touch(ctx, f, &rec->dis, r);
	} else if (rec->early >= DP(ctx, D06_DISREGARD)) {
		d06_key(r, &k);
		f = detect_open(ctx, &rec->dis, DETECT_D06, "ignored_backoff",
		    &k, r, rec->early_seq[0], r->ts_us);
		f->count = rec->early;
		for (i = 0; i < 8 && i < rec->early; i++)
			detect_sample(f, rec->early_seq[i]);
		snprintf(msg, sizeof(msg), "%d calls of %s arrived inside the "
		    "retry-after of a rate-limited answer", rec->early,
		    r->tool ? intern_str(ctx->str, r->tool) : "(any)");
		snprintf(ex, sizeof(ex), "after each rate-limited answer the "
		    "caller should wait retry_after_ms (or %gms when none was "
		    "logged); calls before that time, in a row: %d >= %g -> "
		    "medium", DP(ctx, D06_DEFAULT_MS), rec->early,
		    DP(ctx, D06_DISREGARD));
		detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, rec->early,
		    DP(ctx, D06_DISREGARD), 0, msg, ex);
	}

	/* Hits and share. */
	if (rl)
		detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	n = detect_ring_count(&rec->ring, d->cap, r->ts_us - wh);
	mins = (int)(ws / 60000000);
	if (mins < 1)
		mins = 1;
	if (mins > D06_MINUTES - 1)
		mins = D06_MINUTES - 1;
	for (x = m - mins + 1; x <= m; x++) {
		calls += rec->calls[(x % D06_MINUTES + D06_MINUTES) %
		    D06_MINUTES];
		rls += rec->rl[(x % D06_MINUTES + D06_MINUTES) % D06_MINUTES];
	}
	if (calls > 0)
		share = (double)rls / (double)calls;
	if (rl && calls >= DP(ctx, D06_SHARE_CALLS) &&
	    share >= DP(ctx, D06_SHARE_MEDIUM)) {
		sev = DETECT_SEV_MEDIUM;
		thr = DP(ctx, D06_SHARE_MEDIUM);
	} else if (rl && n >= DP(ctx, D06_HITS_LOW)) {
		sev = DETECT_SEV_LOW;
		thr = DP(ctx, D06_HITS_LOW);
	}
	f = detect_ep_current(ctx, &rec->hits, r->ts_us, ws);
	if (f != NULL && rl)
		detect_touch(ctx, f, &rec->hits, r);
	if (sev == DETECT_SEV_NONE)
		return;
	snprintf(msg, sizeof(msg), "%d rate-limited answers in %llds; %.0f%% "
	    "of %llu calls in %dmin were rate-limited", n, (long long)(wh /
	    1000000), share * 100, (unsigned long long)calls, mins);
	snprintf(ex, sizeof(ex), "rate-limited rows of this (principal, "
	    "tool) in [t-%llds, t]: %d (low at %g); in the last %d whole "
	    "minutes %llu of %llu calls = %.3f (medium at >= %g with >= %g "
	    "calls) -> %s", (long long)(wh / 1000000), n, DP(ctx, D06_HITS_LOW),
	    mins, (unsigned long long)rls, (unsigned long long)calls, share,
	    DP(ctx, D06_SHARE_MEDIUM), DP(ctx, D06_SHARE_CALLS),
	    detect_sev_name(sev));
	if (f != NULL) {
		detect_raise(ctx, f, sev, r, sev == DETECT_SEV_MEDIUM ? share :
		    n, thr, (sev == DETECT_SEV_MEDIUM ? ws : wh) / 1000000, msg,
		    ex);
		return;
	}
	d06_key(r, &k);
	if (n < 1)
		n = 1;
	f = detect_open(ctx, &rec->hits, DETECT_D06, "rate_limited", &k, r,
	    detect_ring_seq(&rec->ring, d->cap, n - 1),
	    detect_ring_ts(&rec->ring, d->cap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rec->ring, d->cap, i));
	detect_raise(ctx, f, sev, r, sev == DETECT_SEV_MEDIUM ? share : n, thr,
	    (sev == DETECT_SEV_MEDIUM ? ws : wh) / 1000000, msg, ex);
}

/* --- D10 idempotency ------------------------------------------------------ */

struct d10 {
	struct detect_tab *keys;	/* by idempotency key hash */
	struct detect_tab *princ;	/* conflicts by principal */
	struct detect_tab *replays;	/* replays by key */
	int		 ccap, rcap;
};

struct d10_key {
	struct detect_rec h;
	struct detect_ep inv, reuse;
	uint32_t	 principal, tool;
	uint64_t	 args;		/* digest of the first execution */
	int64_t		 exec_ts, exec_seq;
	int32_t		 execs;
};

struct d10_princ {
	struct detect_rec h;
	struct detect_ep ep;
	struct detect_ring ring;
};

struct d10_replay {
	struct detect_rec h;
	struct detect_ep ep;
	struct detect_ring ring;
};

static void *
d10_start(struct detect_ctx *ctx)
{
	struct d10	*d = intern_xcalloc(1, sizeof(*d));

	d->ccap = rate_cap(DP(ctx, D10_CONFLICT_MEDIUM));
	d->rcap = rate_cap(DP(ctx, D10_REPLAY_LOW));
	d->keys = detect_tab_new(sizeof(struct d10_key));
	d->princ = detect_tab_new(sizeof(struct d10_princ));
	d->replays = detect_tab_new(sizeof(struct d10_replay));
	return d;
}

static void
d10_free(void *p)
{
	struct d10	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->keys);
	detect_tab_free(d->princ);
	detect_tab_free(d->replays);
	free(d);
}

static void
d10_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d10	*d = p;

	detect_tab_sweep(d->keys, now - DP_US(ctx, D10_TTL_S), NULL, NULL);
	detect_tab_sweep(d->princ, now - 2 * DP_US(ctx, D10_CONFLICT_S), NULL,
	    NULL);
	detect_tab_sweep(d->replays, now - 2 * DP_US(ctx, D10_REPLAY_S), NULL,
	    NULL);
}

static void
d10_conflict(struct detect_ctx *ctx, struct d10 *d, const struct detect_row *r)
{
	struct d10_princ *pr;
	struct detect_finding *f;
	struct detect_key k;
	int64_t		 w = DP_US(ctx, D10_CONFLICT_S);
	int		 n, i;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	pr = detect_tab_get(d->princ, detect_mix(r->principal, r->client),
	    NULL);
	pr->h.last_ts = r->ts_us;
	detect_ring_push(&pr->ring, d->ccap, r->ts_us, r->seq);
	n = detect_ring_count(&pr->ring, d->ccap, r->ts_us - w);
	snprintf(msg, sizeof(msg), "%d idempotency conflicts (a key reused "
	    "with other arguments) in %llds", n, (long long)(w / 1000000));
	snprintf(ex, sizeof(ex), "rows with idem_status conflict for this "
	    "principal in [t-%llds, t]: %d; one is the server doing its job "
	    "(info), medium at %g (a client reusing a constant key)",
	    (long long)(w / 1000000), n, DP(ctx, D10_CONFLICT_MEDIUM));
	if ((f = detect_ep_current(ctx, &pr->ep, r->ts_us, w)) == NULL) {
		memset(&k, 0, sizeof(k));
		k.principal = r->principal;
		if (r->principal == 0)
			k.client = r->client;
		f = detect_open(ctx, &pr->ep, DETECT_D10, "conflicts", &k, r,
		    detect_ring_seq(&pr->ring, d->ccap, n - 1),
		    detect_ring_ts(&pr->ring, d->ccap, n - 1));
		f->count = n;
		for (i = n - 1; i >= 0; i--)
			detect_sample(f, detect_ring_seq(&pr->ring, d->ccap,
			    i));
	} else
		detect_touch(ctx, f, &pr->ep, r);
	detect_raise(ctx, f, n >= DP(ctx, D10_CONFLICT_MEDIUM) ?
	    DETECT_SEV_MEDIUM : DETECT_SEV_INFO, r, n,
	    n >= DP(ctx, D10_CONFLICT_MEDIUM) ? DP(ctx, D10_CONFLICT_MEDIUM) :
	    1, w / 1000000, msg, ex);
}

static void
d10_replay(struct detect_ctx *ctx, struct d10 *d, const struct detect_row *r)
{
	struct d10_replay *rp;
	struct detect_finding *f;
	struct detect_key k;
	int64_t		 w = DP_US(ctx, D10_REPLAY_S);
	int		 n, i;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	rp = detect_tab_get(d->replays, r->idem, NULL);
	rp->h.last_ts = r->ts_us;
	detect_ring_push(&rp->ring, d->rcap, r->ts_us, r->seq);
	n = detect_ring_count(&rp->ring, d->rcap, r->ts_us - w);
	if ((f = detect_ep_current(ctx, &rp->ep, r->ts_us, w)) != NULL) {
		detect_touch(ctx, f, &rp->ep, r);
		return;
	}
	if (n < DP(ctx, D10_REPLAY_LOW))
		return;
	memset(&k, 0, sizeof(k));
	k.principal = r->principal;
	k.tool = r->tool;
	k.idem = r->idem;
	f = detect_open(ctx, &rp->ep, DETECT_D10, "replay_storm", &k, r,
	    detect_ring_seq(&rp->ring, d->rcap, n - 1),
	    detect_ring_ts(&rp->ring, d->rcap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rp->ring, d->rcap, i));
	snprintf(msg, sizeof(msg), "one idempotency key of %s replayed %d "
	    "times in %llds (the client is not reading the answer?)",
	    intern_str(ctx->str, r->tool), n, (long long)(w / 1000000));
	snprintf(ex, sizeof(ex), "rows with idem_status replay for this key "
	    "in [t-%llds, t]: %d >= %g -> low", (long long)(w / 1000000), n,
	    DP(ctx, D10_REPLAY_LOW));
	detect_raise(ctx, f, DETECT_SEV_LOW, r, n, DP(ctx, D10_REPLAY_LOW),
	    w / 1000000, msg, ex);
}

static void
d10_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d10	*d = p;
	struct d10_key	*kr;
	struct detect_finding *f;
	struct detect_key k;
	int64_t		 ttl = DP_US(ctx, D10_TTL_S);
	int		 added;
	const char	*sub;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->idem_status == DI_CONFLICT)
		d10_conflict(ctx, d, r);
	if (r->idem == 0)
		return;
	if (r->idem_status == DI_REPLAY)
		d10_replay(ctx, d, r);

	kr = detect_tab_get(d->keys, r->idem, &added);
	if (added) {
		kr->principal = r->principal;
		kr->tool = r->tool;
	}
	kr->h.last_ts = r->ts_us;

	/* One key under two principals: predictable or leaked keys. */
	if (r->principal != 0 && kr->principal != 0 &&
	    r->principal != kr->principal) {
		if ((f = detect_ep_current(ctx, &kr->reuse, r->ts_us, ttl)) !=
		    NULL)
			detect_touch(ctx, f, &kr->reuse, r);
		else {
			memset(&k, 0, sizeof(k));
			k.idem = r->idem;
			f = detect_open(ctx, &kr->reuse, DETECT_D10,
			    "cross_principal", &k, r, r->seq, r->ts_us);
			f->count = 1;
			detect_sample(f, kr->exec_seq);
			detect_sample(f, r->seq);
			snprintf(msg, sizeof(msg), "one idempotency key used by "
			    "%s and %s", intern_str(ctx->str, kr->principal),
			    intern_str(ctx->str, r->principal));
			snprintf(ex, sizeof(ex), "the same idem_key_hash under "
			    "two principals within the key lifetime (%llds) -> "
			    "medium; mcpgate scopes keys by principal and tool, "
			    "so this needs a writer that does not",
			    (long long)(ttl / 1000000));
			detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, 2, 2,
			    ttl / 1000000, msg, ex);
		}
	}

	if (r->idem_status != DI_NEW || r->outcome != DO_OK)
		return;
	if (kr->execs > 0 && r->ts_us - kr->exec_ts > ttl)
		kr->execs = 0;		/* the key expired: a new one */
	if (kr->execs == 0) {
		kr->execs = 1;
		kr->args = r->args;
		kr->exec_ts = r->ts_us;
		kr->exec_seq = r->seq;
		return;
	}
	kr->execs++;
	sub = r->args == kr->args ? "exactly_once_violated" :
	    "conflict_not_enforced";
	if ((f = detect_ep_current(ctx, &kr->inv, r->ts_us, ttl)) != NULL) {
		detect_touch(ctx, f, &kr->inv, r);
		return;
	}
	memset(&k, 0, sizeof(k));
	k.principal = r->principal;
	k.tool = r->tool;
	k.idem = r->idem;
	f = detect_open(ctx, &kr->inv, DETECT_D10, sub, &k, r, kr->exec_seq,
	    kr->exec_ts);
	f->count = 2;
	detect_sample(f, kr->exec_seq);
	detect_sample(f, r->seq);
	if (r->args == kr->args) {
		snprintf(msg, sizeof(msg), "%s executed twice under one "
		    "idempotency key with the same arguments: exactly-once "
		    "violated", intern_str(ctx->str, r->tool));
		snprintf(ex, sizeof(ex), "two rows with idem_status new and "
		    "outcome ok for one key and one args_digest within the key "
		    "lifetime (%llds): the second should have been a replay; a "
		    "server invariant -> critical", (long long)(ttl / 1000000));
	} else {
		snprintf(msg, sizeof(msg), "%s executed twice under one "
		    "idempotency key with different arguments: conflict not "
		    "enforced", intern_str(ctx->str, r->tool));
		snprintf(ex, sizeof(ex), "two rows with idem_status new and "
		    "outcome ok for one key but different args_digest within "
		    "the key lifetime (%llds): the second should have been a "
		    "conflict; a server invariant -> critical",
		    (long long)(ttl / 1000000));
	}
	detect_raise(ctx, f, DETECT_SEV_CRITICAL, r, 2, 2, ttl / 1000000, msg,
	    ex);
}

const struct detect_ops detect_rate_ops[2] = {
	{ DETECT_D06, d06_start, d06_row, NULL, d06_sweep, d06_free },
	{ DETECT_D10, d10_start, d10_row, NULL, d10_sweep, d10_free },
};
