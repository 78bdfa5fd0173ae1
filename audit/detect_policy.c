/*
 * detect_policy.c -- deterministic checks on single rows: D14 policy
 * invariants (a scoped tool allowed without authentication is critical;
 * with the mcpgate config: a tool run under another scope than
 * configured, a write run without the idempotency key its config
 * requires, tools the config does not have, auth methods it does not
 * allow) and D15 what the scan sees of the log's integrity (sequence
 * gaps, timestamps running backwards on one host, the newest rows
 * deleted).  The hash chain itself is "mcpgate-audit verify"'s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

#define HOUR_US		(3600LL * 1000000)

/* --- D14 ------------------------------------------------------------------ */

struct d14 {
	struct detect_tab *eps;
	int		 cap;
};

struct d14_rec {
	struct detect_rec h;
	struct detect_ep ep;
	struct detect_ring ring;
};

static void *
d14_start(struct detect_ctx *ctx)
{
	struct d14	*d = intern_xcalloc(1, sizeof(*d));
	int		 c = (int)DP(ctx, D14_UNKNOWN_LOW);

	d->cap = c < 2 ? 2 : c > DETECT_RING_MAX ? DETECT_RING_MAX : c;
	d->eps = detect_tab_new(sizeof(struct d14_rec));
	return d;
}

static void
d14_free(void *p)
{
	struct d14	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->eps);
	free(d);
}

static void
d14_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d14	*d = p;

	detect_tab_sweep(d->eps, now - 2 * HOUR_US, NULL, NULL);
}

/* One finding per key and hour, counting every row. */
static void
d14_hit(struct detect_ctx *ctx, struct d14 *d, uint64_t tag, const char *sub,
    const struct detect_key *k, const struct detect_row *r,
    enum detect_sev sev, const char *msg, const char *ex)
{
	struct d14_rec	*rec = detect_tab_get(d->eps, tag, NULL);
	struct detect_finding *f;

	rec->h.last_ts = r->ts_us;
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, HOUR_US)) == NULL)
		f = detect_open(ctx, &rec->ep, DETECT_D14, sub, k, r, r->seq,
		    r->ts_us);
	detect_touch(ctx, f, &rec->ep, r);
	detect_raise(ctx, f, sev, r, (double)f->count, 1, 0, msg, ex);
}

static void
d14_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d14	*d = p;
	struct d14_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	const struct detect_hint *h = detect_hint(ctx, r->tool);
	uint32_t	 scope = r->scope != 0 ? r->scope : h->scope;
	uint64_t	 caller;
	int		 i, n, ok;
	int64_t		 w = DP_US(ctx, D14_UNKNOWN_S);
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	/* A scoped tool ran for nobody in particular. */
	if (r->is_call && r->decision == DD_ALLOW && r->outcome == DO_OK &&
	    scope != 0 && !ctx->auth_none && (r->auth_method == ctx->id_none ||
	    r->principal == 0 || r->auth != DA_OK)) {
		memset(&k, 0, sizeof(k));
		k.tool = r->tool;
		k.client = r->client;
		snprintf(msg, sizeof(msg), "%s (scope %s) was allowed and ran "
		    "without an authenticated principal", intern_str(ctx->str,
		    r->tool), intern_str(ctx->str, scope));
		snprintf(ex, sizeof(ex), "decision allow, outcome ok, a "
		    "required scope, and auth_method %s / auth_result %s / "
		    "principal %s: an allow without authentication is a policy "
		    "invariant broken -> critical", r->auth_method ?
		    intern_str(ctx->str, r->auth_method) : "NULL", r->auth ==
		    DA_OK ? "ok" : "not ok", r->principal ? "set" : "NULL");
		d14_hit(ctx, d, detect_mix(detect_mix(r->tool, r->client), 141),
		    "unauthenticated_allow", &k, r, DETECT_SEV_CRITICAL, msg,
		    ex);
	}

	/* Ran under another scope than the config gives the tool. */
	if (r->is_call && h->configured && h->scope != 0 &&
	    r->decision == DD_ALLOW && r->outcome == DO_OK &&
	    r->scope != h->scope) {
		memset(&k, 0, sizeof(k));
		k.tool = r->tool;
		snprintf(msg, sizeof(msg), "%s ran with required scope %s; the "
		    "config requires %s", intern_str(ctx->str, r->tool),
		    r->scope ? intern_str(ctx->str, r->scope) : "(none)",
		    intern_str(ctx->str, h->scope));
		snprintf(ex, sizeof(ex), "scope_required in the row differs "
		    "from the tool's scope in the config given with --config: "
		    "the server ran another configuration, or the scope was "
		    "not enforced -> medium");
		d14_hit(ctx, d, detect_mix(r->tool, 142), "scope_drift", &k, r,
		    DETECT_SEV_MEDIUM, msg, ex);
	}

	/* A write without the idempotency key its config requires. */
	if (r->is_call && h->idem_required && r->decision != DD_DENY &&
	    r->outcome == DO_OK && r->idem == 0) {
		memset(&k, 0, sizeof(k));
		k.principal = r->principal;
		k.tool = r->tool;
		snprintf(msg, sizeof(msg), "%s executed without an idempotency "
		    "key, which its config requires", intern_str(ctx->str,
		    r->tool));
		snprintf(ex, sizeof(ex), "config: \"idempotency\": \"required\"; "
		    "row: outcome ok, idem_key_hash NULL -> medium");
		d14_hit(ctx, d, detect_mix(detect_mix(r->principal, r->tool),
		    143), "missing_idempotency_key", &k, r, DETECT_SEV_MEDIUM,
		    msg, ex);
	}

	/* An auth method the config does not allow. */
	if (ctx->have_config && r->auth == DA_OK && r->auth_method != 0) {
		for (ok = 0, i = 0; i < ctx->nauth_allowed; i++)
			if (ctx->auth_allowed[i] == r->auth_method)
				ok = 1;
		if (!ok) {
			memset(&k, 0, sizeof(k));
			k.auth_method = r->auth_method;
			snprintf(msg, sizeof(msg), "a request authenticated with "
			    "%s, which the config does not enable",
			    intern_str(ctx->str, r->auth_method));
			snprintf(ex, sizeof(ex), "auth_method of an "
			    "authenticated row is not among the methods the "
			    "config's auth section enables -> medium");
			d14_hit(ctx, d, detect_mix(r->auth_method, 144),
			    "auth_method_not_configured", &k, r,
			    DETECT_SEV_MEDIUM, msg, ex);
		}
	}

	/* Unknown tools: probing, or a stale client. */
	if (!(r->code == ctx->id_unknown_tool || (ctx->have_config &&
	    r->is_call && !h->configured)))
		return;
	caller = r->principal != 0 ? r->principal : detect_mix(r->client, 7);
	rec = detect_tab_get(d->eps, detect_mix(caller, 145), NULL);
	rec->h.last_ts = r->ts_us;
	detect_ring_push(&rec->ring, d->cap, r->ts_us, r->seq);
	n = detect_ring_count(&rec->ring, d->cap, r->ts_us - w);
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, w)) != NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		return;
	}
	if (n < DP(ctx, D14_UNKNOWN_LOW))
		return;
	memset(&k, 0, sizeof(k));
	if (r->principal != 0)
		k.principal = r->principal;
	else
		k.client = r->client;
	f = detect_open(ctx, &rec->ep, DETECT_D14, "unknown_tools", &k, r,
	    detect_ring_seq(&rec->ring, d->cap, n - 1),
	    detect_ring_ts(&rec->ring, d->cap, n - 1));
	f->count = n;
	for (i = n - 1; i >= 0; i--)
		detect_sample(f, detect_ring_seq(&rec->ring, d->cap, i));
	snprintf(msg, sizeof(msg), "%d calls of tools that do not exist in "
	    "%llds (probing or a stale client)", n, (long long)(w / 1000000));
	snprintf(ex, sizeof(ex), "rows with error_code unknown_tool%s by this "
	    "caller in [t-%llds, t]: %d >= %g -> low", ctx->have_config ?
	    " or naming a tool absent from the config" : "",
	    (long long)(w / 1000000), n, DP(ctx, D14_UNKNOWN_LOW));
	detect_raise(ctx, f, DETECT_SEV_LOW, r, n, DP(ctx, D14_UNKNOWN_LOW),
	    w / 1000000, msg, ex);
}

/* --- D15 ------------------------------------------------------------------ */

struct d15 {
	struct detect_tab *hosts;
	int64_t		 prev_seq;
};

struct d15_host {
	struct detect_rec h;
	struct detect_ep ep;
	int64_t		 max_ts, max_seq;
};

static void *
d15_start(struct detect_ctx *ctx)
{
	struct d15	*d = intern_xcalloc(1, sizeof(*d));

	d->hosts = detect_tab_new(sizeof(struct d15_host));
	return d;
}

static void
d15_free(void *p)
{
	struct d15	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->hosts);
	free(d);
}

static void
d15_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d15	*d = p;
	struct d15_host	*h;
	struct detect_finding *f;
	struct detect_key k;
	int64_t		 skew = DP_US(ctx, D15_SKEW_S);
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (d->prev_seq != 0 && r->seq != d->prev_seq + 1) {
		memset(&k, 0, sizeof(k));
		f = detect_open(ctx, NULL, DETECT_D15, "sequence_gap", &k, r,
		    d->prev_seq + 1, r->ts_us);
		f->count = r->seq - d->prev_seq - 1;
		detect_sample(f, d->prev_seq);
		detect_sample(f, r->seq);
		snprintf(msg, sizeof(msg), "rows %lld to %lld are missing from "
		    "the log", (long long)d->prev_seq + 1, (long long)r->seq -
		    1);
		snprintf(ex, sizeof(ex), "seq is AUTOINCREMENT: consecutive "
		    "rows differ by one unless rows were deleted in the middle "
		    "(retention only deletes the oldest) -> critical; run "
		    "mcpgate-audit verify");
		detect_raise(ctx, f, DETECT_SEV_CRITICAL, r, (double)f->count,
		    0, 0, msg, ex);
	}
	d->prev_seq = r->seq;
	if (r->retention || r->host == 0)
		return;
	h = detect_tab_get(d->hosts, r->host, NULL);
	h->h.last_ts = r->ts_us;
	if (h->max_ts != 0 && r->ts_us < h->max_ts - skew) {
		if ((f = detect_ep_current(ctx, &h->ep, r->ts_us, HOUR_US)) ==
		    NULL) {
			memset(&k, 0, sizeof(k));
			k.host = r->host;
			f = detect_open(ctx, &h->ep, DETECT_D15,
			    "time_regression", &k, r, r->seq, r->ts_us);
			detect_sample(f, h->max_seq);
			snprintf(msg, sizeof(msg), "host %s wrote a row %.1fs "
			    "older than one it wrote before (clock stepped "
			    "back?)", intern_str(ctx->str, r->host),
			    (double)(h->max_ts - r->ts_us) / 1e6);
			snprintf(ex, sizeof(ex), "ts_us of this row is %.3fs "
			    "before the newest earlier row of the same host_id "
			    "(row %lld); tolerated skew %gs -> medium",
			    (double)(h->max_ts - r->ts_us) / 1e6,
			    (long long)h->max_seq, DP(ctx, D15_SKEW_S));
			detect_raise(ctx, f, DETECT_SEV_MEDIUM, r,
			    (double)(h->max_ts - r->ts_us) / 1e6,
			    DP(ctx, D15_SKEW_S), 0, msg, ex);
		}
		detect_touch(ctx, f, &h->ep, r);
	}
	if (r->ts_us > h->max_ts) {
		h->max_ts = r->ts_us;
		h->max_seq = r->seq;
	}
}

void
detect_d15_tail(struct detect_ctx *ctx, int64_t seq_hi, int64_t last_seq,
    int64_t last_ts)
{
	struct detect_finding *f;
	struct detect_row r;
	struct detect_key k;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (!ctx->enabled[DETECT_D15] || seq_hi <= last_seq)
		return;
	memset(&r, 0, sizeof(r));
	memset(&k, 0, sizeof(k));
	r.seq = seq_hi;
	r.ts_us = last_ts;
	r.is_new = 1;
	f = detect_open(ctx, NULL, DETECT_D15, "tail_deleted", &k, &r,
	    last_seq + 1, last_ts);
	f->count = seq_hi - last_seq;
	detect_sample(f, last_seq);
	snprintf(msg, sizeof(msg), "rows %lld to %lld were written and are "
	    "gone: the newest rows were deleted", (long long)last_seq + 1,
	    (long long)seq_hi);
	snprintf(ex, sizeof(ex), "sqlite_sequence for audit_events is %lld "
	    "but the newest row is %lld -> critical", (long long)seq_hi,
	    (long long)last_seq);
	detect_raise(ctx, f, DETECT_SEV_CRITICAL, &r, (double)f->count, 0, 0,
	    msg, ex);
}

const struct detect_ops detect_policy_ops[2] = {
	{ DETECT_D14, d14_start, d14_row, NULL, d14_sweep, d14_free },
	{ DETECT_D15, d15_start, d15_row, NULL, NULL, d15_free },
};
