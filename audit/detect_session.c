/*
 * detect_session.c -- D12 session integrity: one MCP session used by
 * two principals (MCP security best practices: sessions must be bound
 * to their user), a session moving between networks or user agents
 * within minutes, and a session fanning out over many tools.
 *
 * Sessions are keyed by the first 64 bits of session_hash; rows without
 * a session are not D12's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"

#define D12_ADDRS	4
#define D12_TOOLS	32

struct d12_val {
	uint32_t	 id;
	int64_t		 ts, seq;
};

struct d12_rec {
	struct detect_rec h;
	struct detect_ep shared, moved, fanout;
	uint32_t	 principal;
	int64_t		 first_seq;
	struct d12_val	 addr[D12_ADDRS], ua[D12_ADDRS];
	struct d12_val	 tools[D12_TOOLS];
};

struct d12 {
	struct detect_tab *tab;
};

static void *
d12_start(struct detect_ctx *ctx)
{
	struct d12	*d = intern_xcalloc(1, sizeof(*d));

	d->tab = detect_tab_new(sizeof(struct d12_rec));
	return d;
}

static void
d12_free(void *p)
{
	struct d12	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->tab);
	free(d);
}

static void
d12_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d12	*d = p;

	/* A session idle for an hour: its principal binding is kept no
	 * longer (sessions live up to a day, but a hijack shows quickly). */
	detect_tab_sweep(d->tab, now - 3600LL * 1000000 -
	    DP_US(ctx, D12_WINDOW_S), NULL, NULL);
}

/* Adds id; returns the slot index.  Replaces the oldest when full. */
static int
d12_add(struct d12_val *v, int n, uint32_t id, int64_t ts, int64_t seq)
{
	int	 i, old = 0;

	for (i = 0; i < n; i++)
		if (v[i].id == id) {
			v[i].ts = ts;
			v[i].seq = seq;
			return i;
		}
	for (i = 0; i < n; i++) {
		if (v[i].id == 0) {
			old = i;
			break;
		}
		if (v[i].ts < v[old].ts)
			old = i;
	}
	v[old].id = id;
	v[old].ts = ts;
	v[old].seq = seq;
	return old;
}

static void
d12_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d12	*d = p;
	struct d12_rec	*rec;
	struct detect_finding *f;
	struct detect_key k;
	enum detect_sev	 sev;
	int64_t		 w = DP_US(ctx, D12_WINDOW_S);
	int		 added, i, n, other = -1, otherua = -1, self;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->session == 0)
		return;
	rec = detect_tab_get(d->tab, r->session, &added);
	rec->h.last_ts = r->ts_us;
	if (added)
		rec->first_seq = r->seq;
	memset(&k, 0, sizeof(k));
	k.session = r->session;

	/* Two principals on one session. */
	if (r->principal != 0 && r->auth == DA_OK) {
		if (rec->principal == 0)
			rec->principal = r->principal;
		else if (rec->principal != r->principal) {
			if ((f = detect_ep_current(ctx, &rec->shared, r->ts_us,
			    3600LL * 1000000)) != NULL)
				detect_touch(ctx, f, &rec->shared, r);
			else {
				k.principal = r->principal;
				f = detect_open(ctx, &rec->shared, DETECT_D12,
				    "shared_session", &k, r, r->seq, r->ts_us);
				detect_touch(ctx, f, &rec->shared, r);
				detect_sample(f, rec->first_seq);
				snprintf(msg, sizeof(msg), "session of %s used "
				    "by %s (hijacked or shared session?)",
				    intern_str(ctx->str, rec->principal),
				    intern_str(ctx->str, r->principal));
				snprintf(ex, sizeof(ex), "the session's first "
				    "authenticated principal was %s; this row "
				    "carries %s; one session must belong to one "
				    "principal (MCP security best practices) -> "
				    "high", intern_str(ctx->str, rec->principal),
				    intern_str(ctx->str, r->principal));
				detect_raise(ctx, f, DETECT_SEV_HIGH, r, 2, 2,
				    0, msg, ex);
				k.principal = 0;
			}
		}
	}

	/* Another network or user agent within the window. */
	if (r->client != 0) {
		for (i = 0; i < D12_ADDRS; i++)
			if (rec->addr[i].id != 0 && rec->addr[i].id !=
			    r->client && rec->addr[i].ts >= r->ts_us - w)
				other = i;
		d12_add(rec->addr, D12_ADDRS, r->client, r->ts_us, r->seq);
	}
	if (r->ua != 0) {
		for (i = 0; i < D12_ADDRS; i++)
			if (rec->ua[i].id != 0 && rec->ua[i].id != r->ua &&
			    rec->ua[i].ts >= r->ts_us - w)
				otherua = i;
		d12_add(rec->ua, D12_ADDRS, r->ua, r->ts_us, r->seq);
	}
	if (other >= 0 || otherua >= 0) {
		self = other >= 0 && detect_net(ctx, rec->addr[other].id) ==
		    detect_net(ctx, r->client);
		sev = otherua >= 0 || (other >= 0 && !self) ?
		    DETECT_SEV_MEDIUM : DETECT_SEV_LOW;
		snprintf(msg, sizeof(msg), "session moved %s%s%s within "
		    "%llds", other >= 0 ? (self ? "address within its network"
		    : "to another network") : "", other >= 0 && otherua >= 0 ?
		    " and " : "", otherua >= 0 ? "to another user agent" : "",
		    (long long)(w / 1000000));
		snprintf(ex, sizeof(ex), "within [t-%llds, t] the session was "
		    "used from %s%s%s%s%s; another /24 (IPv4) or /64 (IPv6), or "
		    "another user agent: medium; same network: low -> %s",
		    (long long)(w / 1000000), other >= 0 ? intern_str(ctx->str,
		    rec->addr[other].id) : "", other >= 0 ? " and " : "",
		    other >= 0 ? intern_str(ctx->str, r->client) : "",
		    otherua >= 0 ? (other >= 0 ? "; agents differ" :
		    "two user agents") : "", "", detect_sev_name(sev));
		if ((f = detect_ep_current(ctx, &rec->moved, r->ts_us, w)) !=
		    NULL) {
			detect_touch(ctx, f, &rec->moved, r);
			detect_raise(ctx, f, sev, r, 2, 2, w / 1000000, msg,
			    ex);
		} else {
			f = detect_open(ctx, &rec->moved, DETECT_D12,
			    "session_moved", &k, r, other >= 0 ?
			    rec->addr[other].seq : rec->ua[otherua].seq,
			    other >= 0 ? rec->addr[other].ts :
			    rec->ua[otherua].ts);
			detect_sample(f, f->start_seq);
			detect_touch(ctx, f, &rec->moved, r);
			detect_raise(ctx, f, sev, r, 2, 2, w / 1000000, msg,
			    ex);
		}
	}

	/* Fan-out over many tools. */
	if (r->is_call) {
		d12_add(rec->tools, D12_TOOLS, r->tool, r->ts_us, r->seq);
		for (n = 0, i = 0; i < D12_TOOLS; i++)
			if (rec->tools[i].id != 0 && rec->tools[i].ts >=
			    r->ts_us - w)
				n++;
		if ((f = detect_ep_current(ctx, &rec->fanout, r->ts_us, w)) !=
		    NULL)
			detect_touch(ctx, f, &rec->fanout, r);
		else if (n >= DP(ctx, D12_FANOUT)) {
			k.principal = r->principal;
			f = detect_open(ctx, &rec->fanout, DETECT_D12, "fanout",
			    &k, r, r->seq, r->ts_us);
			for (i = 0; i < D12_TOOLS; i++)
				if (rec->tools[i].id != 0 && rec->tools[i].ts >=
				    r->ts_us - w) {
					detect_sample(f, rec->tools[i].seq);
					f->count++;
					if (rec->tools[i].seq < f->start_seq) {
						f->start_seq =
						    rec->tools[i].seq;
						f->first_ts = rec->tools[i].ts;
					}
				}
			detect_fingerprint(ctx, f);
			snprintf(msg, sizeof(msg), "one session called %d "
			    "different tools in %llds (enumeration?)", n,
			    (long long)(w / 1000000));
			snprintf(ex, sizeof(ex), "distinct tools called in this "
			    "session in [t-%llds, t]: %d >= %g -> low",
			    (long long)(w / 1000000), n, DP(ctx, D12_FANOUT));
			detect_raise(ctx, f, DETECT_SEV_LOW, r, n,
			    DP(ctx, D12_FANOUT), w / 1000000, msg, ex);
		}
	}
}

const struct detect_ops detect_session_ops[1] = {
	{ DETECT_D12, d12_start, d12_row, NULL, d12_sweep, d12_free },
};
