/*
 * simulate_inc.c -- the labelled incidents simulate injects: for every
 * detector, a few kinds of episode it must find (and what else may
 * legitimately fire with it), planned at distinct times (two hours
 * apart at least, at hours when the actors are active) and queued as
 * rows or as changes to background rows (latency, errors, silence).
 * Each incident records its key, its time window and, once written,
 * its first and last seq, for the labels file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "simulate_int.h"

enum inc_when { W_PEAK, W_MIDDAY, W_ANY, W_OFF_HOURS };

struct inc_kind {
	const char	*kind, *det;
	const char	*also[4];
	int		 min_day;
	int		 when;
	void		 (*fn)(struct sim *, struct sim_incident *, int, int64_t);
};

/* --- helpers -------------------------------------------------------------- */

static int64_t	 inc_used[4096];
static size_t	 inc_nused;

/* A time on a day >= min_day, two hours from every other incident. */
static int64_t
inc_time(struct sim *s, int min_day, int when)
{
	int64_t	 t = 0, day, hour;
	size_t	 i;
	int	 tries, ok, wd;

	if (min_day > s->days - 1)
		min_day = (int)s->days / 2;
	for (tries = 0; tries < 20000; tries++) {
		day = min_day + sim_below(s, (int)(s->days - min_day));
		wd = (int)((s->start / SIM_DAY_US + day + 3) % 7);
		if (tries > 10000)
			when = W_ANY;	/* no such day: any time will do */
		switch (when) {
		case W_PEAK:
			if (wd >= 5)
				continue;
			hour = 9 + sim_below(s, 6);
			break;
		case W_MIDDAY:
			/* Both EU and US agents at work: 13-15 UTC. */
			if (wd >= 5)
				continue;
			hour = 13 + sim_below(s, 2);
			break;
		case W_OFF_HOURS:
			/* Weekends, or weekday nights (00-04 UTC). */
			hour = wd >= 5 ? sim_below(s, 24) : sim_below(s, 5);
			break;
		default:
			/* Weekdays, while agents somewhere are at work. */
			if (wd >= 5)
				continue;
			hour = 8 + sim_below(s, 12);
			break;
		}
		t = s->start + day * SIM_DAY_US + hour * SIM_HOUR_US +
		    (int64_t)sim_below(s, 30) * SIM_MIN_US;
		/* Leave the last hour alone: its buckets never close. */
		if (t > s->start + s->days * SIM_DAY_US - 2 * SIM_HOUR_US)
			continue;
		for (ok = 1, i = 0; i < inc_nused && ok; i++)
			if (llabs(inc_used[i] - t) < 2 * SIM_HOUR_US)
				ok = 0;
		if (ok)
			break;
	}
	if (tries == 20000 || inc_nused >= sizeof(inc_used) /
	    sizeof(inc_used[0]))
		return -1;	/* no free slot: incidents must not overlap */
	inc_used[inc_nused++] = t;
	return t;
}

static int
inc_index(struct sim *s, struct sim_incident *in)
{
	return (int)(in - s->inc);
}

/* A call of principal pi, tool ti at ts, in session sess, for incident. */
static void
inc_call(struct sim *s, struct sim_incident *in, struct sim_row *r, int pi,
    int ti, int64_t ts, const char *sess)
{
	sim_call(s, r, pi, ti, ts);
	r->incident = inc_index(s, in);
	if (sess != NULL)
		snprintf(r->session, sizeof(r->session), "%s", sess);
	/* Incidents decide their own outcomes. */
	r->outcome = "ok";
	r->category = r->code = NULL;
	r->retryable = -1;
}

/* A tool of the principal's repertoire that is (ro) or is not a read. */
static int
inc_rep_tool(struct sim *s, int pi, int ro, int k)
{
	int	 i, n = s->p[pi].ntools;

	for (i = 0; i < n; i++) {
		int t = s->p[pi].tools[(i + k) % n];

		if ((ro < 0 || (int)s->tools[t].ro == ro) &&
		    strcmp(s->tools[t].name, "get_status") != 0)
			return t;
	}
	return -1;
}

/* An agent (EU) whose repertoire has a tool matching the test. */
static int
inc_agent_with(struct sim *s, int k, int (*test)(const struct sim_tool *),
    int *ti)
{
	int	 i, j, pi, role;

	for (i = 0; i < 200; i++) {
		role = i % 2 ? SIM_AGENT_US : SIM_AGENT_EU;
		pi = sim_pick(s, role, k + i / 2);
		if (pi < 0)
			continue;
		for (j = 0; j < s->p[pi].ntools; j++)
			if (test(&s->tools[s->p[pi].tools[j]])) {
				*ti = s->p[pi].tools[j];
				return pi;
			}
	}
	return -1;
}

static int
t_idem_write(const struct sim_tool *t)
{
	return !t->ro && t->idem_required;
}

static int
t_risky_write(const struct sim_tool *t)
{
	return !t->ro && (t->destructive || !t->idempotent) &&
	    t->idem_required;
}

/* A principal of an agent role active at ts (EU before 13h, else US). */
static int
inc_agent(struct sim *s, int64_t ts, int k)
{
	int	 h = (int)(ts / SIM_HOUR_US % 24);

	return sim_pick(s, h < 13 ? SIM_AGENT_EU : SIM_AGENT_US, k);
}

static void
inc_principal_key(struct sim_incident *in, const struct sim_principal *p)
{
	sim_incident_key(in, "principal", p->name);
}

static void
inc_session_key(struct sim_incident *in, const char *sess)
{
	char	 sh[17];

	memcpy(sh, sess, 16);
	sh[16] = '\0';
	sim_incident_key(in, "session", sh);
}

/* The i-th copy of a call: a correct server replays a keyed write. */
static void
inc_repeat(struct sim_row *r, int i)
{
	if (i > 0 && r->idem[0] != '\0' && r->outcome != NULL &&
	    strcmp(r->outcome, "ok") == 0)
		r->idem_status = "replay";
}

/* --- D01-D03 -------------------------------------------------------------- */

static void
inc_retry_loop(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r, first;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k), ti = inc_rep_tool(s, pi, 1, k), i;

	sim_hex(s, sess);
	inc_call(s, in, &first, pi, ti, t, sess);
	for (i = 0; i < 12; i++) {
		r = first;
		r.ts = t + i * 5500000LL;
		r.latency_us = 10000 + sim_below(s, 20000);
		inc_repeat(&r, i);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_write_loop(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r, first;
	char		 sess[SIM_HEX];
	int		 ti = -1, pi = inc_agent_with(s, k, t_risky_write, &ti), i;

	if (pi < 0)
		return;
	sim_hex(s, sess);
	inc_call(s, in, &first, pi, ti, t, sess);
	for (i = 0; i < 4; i++) {
		r = first;
		r.ts = t + i * 12000000LL;
		/* A client that makes up a new key for every retry. */
		sim_hex(s, r.idem);
		r.idem_status = "new";
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_ping_pong(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 a, b, r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k), ta, tb, i;

	ta = inc_rep_tool(s, pi, 1, 0);
	tb = inc_rep_tool(s, pi, 1, 1);
	if (ta == tb)
		tb = inc_rep_tool(s, pi, -1, 2);
	sim_hex(s, sess);
	inc_call(s, in, &a, pi, ta, t, sess);
	inc_call(s, in, &b, pi, tb, t, sess);
	if (strcmp(a.args, b.args) == 0)
		b.args[0] = b.args[0] == 'a' ? 'b' : 'a';
	for (i = 0; i < 10; i++) {
		r = i % 2 ? b : a;
		r.ts = t + i * 20000000LL;
		inc_repeat(&r, i / 2);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	inc_session_key(in, sess);
}

static void
inc_failing_retry(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r, first;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 3), ti = inc_rep_tool(s, pi, 1,
			    k), i;

	sim_hex(s, sess);
	inc_call(s, in, &first, pi, ti, t, sess);
	first.outcome = "tool_error";
	first.category = "validation";
	first.code = "invalid_argument";
	first.retryable = 0;
	for (i = 0; i < 6; i++) {
		r = first;
		r.ts = t + i * 7000000LL;
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

/* --- D04 ------------------------------------------------------------------ */

static void
inc_deny(struct sim_row *r)
{
	r->decision = "deny";
	r->decision_reason = "insufficient_scope";
	r->outcome = "auth_error";
	r->category = "authorization";
	r->code = "insufficient_scope";
	r->http_status = 403;
	r->rpc_error_code = -32003;
	r->retryable = 0;
	r->idem[0] = '\0';
	r->idem_status = NULL;
}

static void
inc_scope_denials(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 5), i;

	sim_hex(s, sess);
	for (i = 0; i < 9; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[i % s->p[pi].ntools],
		    t + i * 10000000LL, sess);
		inc_deny(&r);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
}

static void
inc_scope_probing(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = sim_pick(s, SIM_SVC, k + 2), i, n = 0;

	sim_hex(s, sess);
	for (i = 0; i < s->ntools && n < 11; i++) {
		if (s->tools[i].fleet_new)
			continue;
		inc_call(s, in, &r, pi, i, t + n * 45000000LL, sess);
		inc_deny(&r);
		sim_push(s, &r);
		n++;
	}
	inc_principal_key(in, &s->p[pi]);
}

static void
inc_policy_regression(struct sim *s, struct sim_incident *in, int k,
    int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 ti, i, j, n = 0, tries;

	/* A popular read tool; four of its regular callers lose it. */
	ti = k % 3 == 0 ? sim_tool(s, "get_order") : k % 3 == 1 ?
	    sim_tool(s, "search_orders") : sim_tool(s, "get_customer");
	for (tries = 0; tries < s->np && n < 4; tries++) {
		i = (k * 37 + tries * 7) % s->np;
		if (s->p[i].role == SIM_BATCH || !sim_in_repertoire(s, i, ti))
			continue;
		sim_hex(s, sess);
		for (j = 0; j < 2; j++) {
			inc_call(s, in, &r, i, ti, t + n * 80000000LL + j *
			    20000000LL, sess);
			inc_deny(&r);
			sim_push(s, &r);
		}
		n++;
	}
	sim_incident_key(in, "tool", s->tools[ti].name);
}

/* --- D05 ------------------------------------------------------------------ */

static void
inc_authfail(struct sim *s, struct sim_incident *in, struct sim_row *r,
    int64_t ts, const char *addr, const char *kid, const char *result)
{
	memset(r, 0, sizeof(*r));
	r->ts = ts;
	r->incident = inc_index(s, in);
	r->retry_after_ms = -1;
	r->client = addr;
	r->ua = "python-requests/2.32";
	r->auth_method = "apikey";
	r->auth_result = result;
	r->key_id = kid;
	r->decision = "deny";
	r->decision_reason = "unauthenticated";
	r->outcome = "auth_error";
	r->category = "authentication";
	r->code = strcmp(result, "expired") == 0 ? "credential_expired" :
	    "credential_invalid";
	r->http_status = 401;
	r->retryable = 0;
	r->latency_us = 600 + sim_below(s, 900);
}

/* Strings the queued rows point to must outlive the queue. */
static char *
inc_str(struct sim *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
inc_str(struct sim *s, const char *fmt, ...)
{
	char	 buf[64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->strs = intern_grow(s->strs, &s->capstrs, s->nstrs + 1,
	    sizeof(*s->strs));
	return s->strs[s->nstrs++] = intern_xstrdup(buf);
}

static void
inc_bruteforce(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		*addr = inc_str(s, "192.0.2.%d%d", 1 + k, 0);
	char		*kid = inc_str(s, "mcpk_dead%02x%02x", k, 0xbe);
	int		 i;

	for (i = 0; i < 40; i++) {
		inc_authfail(s, in, &r, t + i * 7500000LL, addr, kid,
		    "invalid");
		sim_push(s, &r);
	}
	sim_incident_key(in, "client_addr", addr);
}

static void
inc_spray(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		*addr = inc_str(s, "192.0.2.%d%d", 4 + k, 1);
	int		 i;

	for (i = 0; i < 10; i++) {
		inc_authfail(s, in, &r, t + i * 36000000LL, addr,
		    inc_str(s, "mcpk_5pr%02x%02x", k, i % 9), "invalid");
		sim_push(s, &r);
	}
	sim_incident_key(in, "client_addr", addr);
}

static void
inc_distributed(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		*kid = inc_str(s, "mcpk_d157%02x%02x", k, 0x11);
	int		 i;

	for (i = 0; i < 6; i++) {
		inc_authfail(s, in, &r, t + i * 75000000LL,
		    inc_str(s, "203.0.%d.%d", 20 + k * 10 + i, 9), kid, "invalid");
		sim_push(s, &r);
	}
	sim_incident_key(in, "key_id", kid);
}

static void
inc_success_after(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		*addr = inc_str(s, "192.0.2.%d%d", 7 + k, 2);
	int		 pi = sim_pick(s, SIM_SVC, k + 6), i;

	for (i = 0; i < 6; i++) {
		inc_authfail(s, in, &r, t + i * 60000000LL, addr,
		    s->p[pi].key_id, "invalid");
		sim_push(s, &r);
	}
	inc_call(s, in, &r, pi, s->p[pi].tools[0], t + 6 * 60000000LL +
	    30000000LL, NULL);
	sim_hex(s, r.session);
	r.client = addr;
	r.ua = "python-requests/2.32";
	sim_push(s, &r);
	sim_incident_key(in, "key_id", s->p[pi].key_id);
	inc_principal_key(in, &s->p[pi]);
}

/* --- D06 ------------------------------------------------------------------ */

static void
inc_rl(struct sim_row *r, int after_ms)
{
	r->outcome = "tool_error";
	r->category = "rate_limited";
	r->code = "rate_limited";
	r->retryable = 1;
	r->retry_after_ms = after_ms;
	r->idem[0] = '\0';
	r->idem_status = NULL;
	r->latency_us = 400;
}

static void
inc_rl_hits(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 7), ti = inc_rep_tool(s, pi, 1,
			    k), i;

	sim_hex(s, sess);
	for (i = 0; i < 14; i++) {
		inc_call(s, in, &r, pi, ti, t + i * 17000000LL, sess);
		inc_rl(&r, 10000);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_rl_ignored(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 9), ti = inc_rep_tool(s, pi, 1,
			    k + 1), i;

	sim_hex(s, sess);
	for (i = 0; i < 8; i++) {
		inc_call(s, in, &r, pi, ti, t + i * 250000LL, sess);
		inc_rl(&r, 3000);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

/* --- D07 D08 -------------------------------------------------------------- */

static void
inc_error_spike(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	int		 ti = sim_tool(s, k % 2 ? "get_order" : "search_orders");
	int		 who[16], n = 0, i, pi;
	int		 calls = (int)(200 * s->density);	/* stands out */

	/* Callers at work at that hour: services and EU agents. */
	for (i = 0; i < s->np && n < 16; i++) {
		pi = (i * 13 + k) % s->np;
		if ((s->p[pi].role == SIM_SVC || s->p[pi].role ==
		    SIM_AGENT_EU) && sim_in_repertoire(s, pi, ti))
			who[n++] = pi;
	}
	if (n == 0)
		return;
	for (i = 0; i < calls; i++) {
		inc_call(s, in, &r, who[i % n], ti, t + i * (600000000LL / calls),
		    NULL);
		if (sim_unif(s) < 0.55) {
			r.outcome = "tool_error";
			r.category = "transient";
			r.code = "upstream_unavailable";
			r.retryable = 1;
		}
		sim_push(s, &r);
	}
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_latency_spike(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_mod	*m;
	int64_t		 b = t - t % SIM_BUCKET_US;

	s->mods = intern_grow(s->mods, &s->capmods, s->nmods + 1,
	    sizeof(*s->mods));
	m = &s->mods[s->nmods++];
	m->kind = SIM_MOD_LATENCY;
	m->incident = inc_index(s, in);
	m->from = b;
	m->to = b + SIM_BUCKET_US;
	m->tool = sim_tool(s, "search_orders");	/* the busiest */
	m->principal = -1;
	m->factor = 12;
	in->from = m->from;
	in->to = m->to;
	sim_incident_key(in, "tool", s->tools[m->tool].name);
}

/* --- D09 ------------------------------------------------------------------ */

static void
inc_first_seen(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 11), ti, i;

	for (ti = (k * 5) % s->ntools, i = 0; i < s->ntools; i++,
	    ti = (ti + 1) % s->ntools)
		if (s->tools[ti].ro && !s->tools[ti].fleet_new &&
		    !sim_in_repertoire(s, pi, ti) &&
		    strcmp(s->tools[ti].name, "get_status") != 0)
			break;
	sim_hex(s, sess);
	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, pi, ti, t + i * 60000000LL, sess);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_new_auth_method(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = -1, i, n = 0, h = (int)(t / SIM_HOUR_US % 24);

	/* The k-th heaviest agent with a token: a new one each time. */
	for (i = 0; i < 200; i++) {
		pi = sim_pick(s, h < 13 ? SIM_AGENT_EU : SIM_AGENT_US, i);
		if (s->p[pi].jwt && n++ == k)
			break;
	}
	sim_hex(s, sess);
	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[0], t + i * 60000000LL,
		    sess);
		r.auth_method = "apikey";
		r.key_id = inc_str(s, "mcpk_a0%02x%04x", k, pi);
		r.token_sub = NULL;
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "auth_method", "apikey");
}

static void
inc_rare_hour(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = sim_pick(s, SIM_AGENT_EU, k), i;

	sim_hex(s, sess);
	for (i = 0; i < 3; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[i % s->p[pi].ntools],
		    t + i * 90000000LL, sess);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
}

/* --- D10 ------------------------------------------------------------------ */

static void
inc_conflicts(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 ti = -1, pi = inc_agent_with(s, k + 1, t_idem_write, &ti);
	int		 i;

	if (pi < 0)
		return;
	sim_hex(s, sess);
	for (i = 0; i < 4; i++) {
		inc_call(s, in, &r, pi, ti, t + i * 70000000LL, sess);
		r.outcome = "tool_error";
		r.category = "conflict";
		r.code = "idempotency_conflict";
		r.idem_status = "conflict";
		r.retryable = 0;
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
}

static void
inc_exactly_once(struct sim *s, struct sim_incident *in, int k, int64_t t,
    int same_args)
{
	struct sim_row	 a, b;
	char		 sess[SIM_HEX];
	int		 ti = -1, pi = inc_agent_with(s, k + 2, t_idem_write, &ti);

	if (pi < 0)
		return;
	sim_hex(s, sess);
	inc_call(s, in, &a, pi, ti, t, sess);
	a.idem_status = "new";
	b = a;
	b.ts = t + 20000000LL;
	if (!same_args)
		sim_hex(s, b.args);
	sim_push(s, &a);
	sim_push(s, &b);
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_exactly_once_same(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	inc_exactly_once(s, in, k, t, 1);
}

static void
inc_not_enforced(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	inc_exactly_once(s, in, k + 5, t, 0);
}

static void
inc_replay_storm(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r, first;
	char		 sess[SIM_HEX];
	int		 ti = -1, pi = inc_agent_with(s, k + 3, t_idem_write, &ti);
	int		 i;

	if (pi < 0)
		return;
	sim_hex(s, sess);
	inc_call(s, in, &first, pi, ti, t, sess);
	first.idem_status = "new";
	sim_push(s, &first);
	for (i = 1; i < 25; i++) {
		r = first;
		r.ts = t + i * 9000000LL;
		r.idem_status = "replay";
		r.latency_us = 900;
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

/* --- D11 ------------------------------------------------------------------ */

static void
inc_volume_spike(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int64_t		 b = t - t % SIM_BUCKET_US;
	int		 pi = inc_agent(s, t, k), i;
	int		 calls = (int)(150 * s->density);

	sim_hex(s, sess);
	for (i = 0; i < calls; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[i % s->p[pi].ntools],
		    b + 30000000LL + i * (720000000LL / calls), sess);
		r.latency_us = (int64_t)(s->tools[sim_tool(s, r.tool)].lat_ms *
		    1000);
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
}

static void
inc_drop(struct sim *s, struct sim_incident *in, int64_t t, int pi,
    int64_t len)
{
	struct sim_mod	*m;
	int64_t		 b = t - t % SIM_BUCKET_US;

	s->mods = intern_grow(s->mods, &s->capmods, s->nmods + 1,
	    sizeof(*s->mods));
	m = &s->mods[s->nmods++];
	m->kind = pi < 0 ? SIM_MOD_DROP_ALL : SIM_MOD_DROP_PRINCIPAL;
	m->incident = inc_index(s, in);
	m->from = b;
	m->to = b + len;
	m->tool = -1;
	m->principal = pi;
	in->from = m->from;
	in->to = m->to;
	in->first_ts = m->from;
	in->last_ts = m->to;
}

static void
inc_volume_drop(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	inc_drop(s, in, t, 0, 5 * SIM_BUCKET_US);
	inc_principal_key(in, &s->p[0]);
}

static void
inc_pipeline_gap(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	inc_drop(s, in, t, -1, 3 * SIM_BUCKET_US);
}

/* --- D12 ------------------------------------------------------------------ */

static void
inc_hijack(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 a = inc_agent(s, t, k + 13), b = inc_agent(s, t, k + 14);
	int		 i;

	sim_hex(s, sess);
	for (i = 0; i < 3; i++) {
		inc_call(s, in, &r, a, s->p[a].tools[0], t + i * 40000000LL,
		    sess);
		sim_push(s, &r);
	}
	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, b, s->p[b].tools[0], t + 150000000LL + i *
		    30000000LL, sess);
		sim_push(s, &r);
	}
	inc_session_key(in, sess);
}

static void
inc_moved(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	char		*away = inc_str(s, "192.0.2.%d%d", 1 + k, 7);
	int		 a = inc_agent(s, t, k + 15), i;

	sim_hex(s, sess);
	for (i = 0; i < 4; i++) {
		inc_call(s, in, &r, a, s->p[a].tools[i % s->p[a].ntools],
		    t + i * 60000000LL, sess);
		if (i >= 2)
			r.client = away;
		sim_push(s, &r);
	}
	inc_session_key(in, sess);
}

static void
inc_fanout(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = sim_pick(s, SIM_SVC, k + 3), i, n = 0;

	sim_hex(s, sess);
	for (i = 0; i < s->ntools && n < 16; i++) {
		if (!s->tools[i].ro || s->tools[i].fleet_new)
			continue;
		inc_call(s, in, &r, pi, i, t + n * 30000000LL, sess);
		sim_push(s, &r);
		n++;
	}
	inc_session_key(in, sess);
}

/* --- D13-D16 -------------------------------------------------------------- */

static void
inc_denial_storm(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		*addr = inc_str(s, "192.0.2.2%d%d", k, 0);
	int		 pi = sim_pick(s, SIM_SVC, k + 9), i;

	for (i = 0; i < 900; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[0], t + i * 39000LL,
		    NULL);
		r.rpc_method = NULL;
		r.tool = NULL;
		r.scope = NULL;
		r.session[0] = '\0';
		r.idem[0] = '\0';
		r.idem_status = NULL;
		r.client = addr;
		r.ua = "curl/8.5.0";
		r.outcome = "protocol_error";
		r.category = "protocol";
		r.code = "parse_error";
		r.rpc_error_code = -32700;
		r.http_status = 400;
		r.latency_us = 300;
		sim_push(s, &r);
	}
	sim_incident_key(in, "client_addr", addr);
}

static void
inc_unauth_allow(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	int		 ti = sim_tool(s, "get_order"), i;

	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, 1, ti, t + i * 20000000LL, NULL);
		r.principal = "anonymous";
		r.auth_method = "none";
		r.auth_result = "ok";
		r.decision_reason = "anonymous_allowed";
		r.key_id = NULL;
		r.token_sub = NULL;
		r.client = "192.0.2.50";
		r.ua = "curl/8.5.0";
		r.session[0] = '\0';
		sim_push(s, &r);
	}
	sim_incident_key(in, "tool", "get_order");
}

static void
inc_missing_idem(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	int		 ti = -1, pi = inc_agent_with(s, k + 4, t_idem_write, &ti);

	if (pi < 0)
		return;
	inc_call(s, in, &r, pi, ti, t, NULL);
	r.idem[0] = '\0';
	r.idem_status = NULL;
	sim_push(s, &r);
	inc_principal_key(in, &s->p[pi]);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_unknown_tools(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	static const char *const names[] = { "admin_exec", "list_users",
	    "read_file", "run_shell", "get_secrets", "drop_table" };
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 17), i;

	sim_hex(s, sess);
	for (i = 0; i < 6; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[0], t + i * 40000000LL,
		    sess);
		r.tool = names[i];
		r.scope = NULL;
		r.idem[0] = '\0';
		r.idem_status = NULL;
		r.outcome = "protocol_error";
		r.category = "protocol";
		r.code = "unknown_tool";
		r.rpc_error_code = -32602;
		sim_push(s, &r);
	}
	inc_principal_key(in, &s->p[pi]);
}

static void
inc_time_regression(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	int		 pi = sim_pick(s, SIM_SVC, k);

	inc_call(s, in, &r, pi, s->p[pi].tools[0], t, NULL);
	r.host = "web-2";
	r.backdate = 1;
	sim_push(s, &r);
	sim_incident_key(in, "host_id", "web-2");
}

static void
inc_new_tool(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = inc_agent(s, t, k + 19), ti, i, n = 0;

	for (ti = 0; ti < s->ntools; ti++)
		if (s->tools[ti].fleet_new && n++ == k)
			break;
	if (ti >= s->ntools)
		return;
	sim_hex(s, sess);
	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, pi, ti, t + i * 50000000LL, sess);
		sim_push(s, &r);
	}
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_new_error(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	struct sim_row	 r;
	int		 pi = inc_agent(s, t, k + 21), ti = s->p[pi].tools[k %
			    s->p[pi].ntools], i;
	/* A tool answering "internal" for the first time: one per tool. */
	for (i = 0; i < (int)s->ninc; i++)
		if (s->inc[i].kind != NULL && strcmp(s->inc[i].kind,
		    "new_error_category") == 0 && &s->inc[i] != in &&
		    s->inc[i].nkey > 0 && strcmp(s->inc[i].key[0][1],
		    s->tools[ti].name) == 0) {
			ti = (ti + 1) % (s->ntools - 3);
			i = -1;
		}
	inc_call(s, in, &r, pi, ti, t, NULL);
	r.outcome = "tool_error";
	r.category = "internal";
	r.code = "internal_error";
	r.retryable = 0;
	sim_push(s, &r);
	sim_incident_key(in, "tool", s->tools[ti].name);
}

static void
inc_new_auth_fleet(struct sim *s, struct sim_incident *in, int k, int64_t t)
{
	static const char *const methods[] = { "oauth-dpop", "mtls", "hmac",
	    "saml", "kerberos", "spiffe" };
	struct sim_row	 r;
	char		 sess[SIM_HEX];
	int		 pi = sim_pick(s, SIM_SVC, k + 12), i;

	sim_hex(s, sess);
	for (i = 0; i < 2; i++) {
		inc_call(s, in, &r, pi, s->p[pi].tools[0], t + i * 30000000LL,
		    sess);
		r.auth_method = methods[k % 6];
		sim_push(s, &r);
	}
	sim_incident_key(in, "auth_method", methods[k % 6]);
}

/* --- the plan ------------------------------------------------------------- */

static const struct inc_kind inc_kinds[] = {
	{ "retry_loop", "D01", { NULL }, 1, W_PEAK, inc_retry_loop },
	{ "write_loop", "D01", { NULL }, 1, W_PEAK, inc_write_loop },
	{ "ping_pong", "D02", { NULL }, 1, W_PEAK, inc_ping_pong },
	{ "failing_retry", "D03", { "D01" }, 1, W_PEAK, inc_failing_retry },
	{ "scope_denials", "D04", { NULL }, 1, W_PEAK, inc_scope_denials },
	{ "scope_probing", "D04", { "D09" }, 1, W_ANY, inc_scope_probing },
	{ "policy_regression", "D04", { NULL }, 1, W_PEAK,
	    inc_policy_regression },
	{ "auth_bruteforce", "D05", { NULL }, 1, W_ANY, inc_bruteforce },
	{ "auth_spray", "D05", { NULL }, 1, W_ANY, inc_spray },
	{ "auth_distributed", "D05", { NULL }, 1, W_ANY, inc_distributed },
	{ "auth_success_after_failures", "D05", { NULL }, 1, W_ANY,
	    inc_success_after },
	{ "rate_limit_hits", "D06", { NULL }, 1, W_PEAK, inc_rl_hits },
	{ "rate_limit_ignored", "D06", { NULL }, 1, W_PEAK, inc_rl_ignored },
	{ "error_spike", "D07", { "D11", "D03" }, 8, W_PEAK, inc_error_spike },
	{ "latency_spike", "D08", { NULL }, 8, W_MIDDAY, inc_latency_spike },
	{ "first_seen_tool", "D09", { NULL }, 10, W_PEAK, inc_first_seen },
	{ "new_auth_method", "D09", { NULL }, 10, W_PEAK,
	    inc_new_auth_method },
	{ "rare_hour", "D09", { NULL }, 29, W_OFF_HOURS, inc_rare_hour },
	{ "idem_conflicts", "D10", { NULL }, 1, W_PEAK, inc_conflicts },
	{ "exactly_once_violated", "D10", { NULL }, 1, W_PEAK,
	    inc_exactly_once_same },
	{ "conflict_not_enforced", "D10", { NULL }, 1, W_PEAK,
	    inc_not_enforced },
	{ "replay_storm", "D10", { "D01" }, 1, W_PEAK, inc_replay_storm },
	{ "volume_spike", "D11", { NULL }, 29, W_PEAK, inc_volume_spike },
	{ "volume_drop", "D11", { NULL }, 29, W_ANY, inc_volume_drop },
	{ "pipeline_gap", "D11", { NULL }, 29, W_PEAK, inc_pipeline_gap },
	{ "session_hijack", "D12", { NULL }, 1, W_PEAK, inc_hijack },
	{ "session_moved", "D12", { NULL }, 1, W_PEAK, inc_moved },
	{ "session_fanout", "D12", { "D09" }, 1, W_ANY, inc_fanout },
	{ "denial_storm", "D13", { "D07", "D11" }, 1, W_ANY,
	    inc_denial_storm },
	{ "unauthenticated_allow", "D14", { NULL }, 1, W_ANY,
	    inc_unauth_allow },
	{ "missing_idempotency_key", "D14", { NULL }, 1, W_PEAK,
	    inc_missing_idem },
	{ "unknown_tools", "D14", { NULL }, 1, W_PEAK, inc_unknown_tools },
	{ "time_regression", "D15", { NULL }, 1, W_ANY, inc_time_regression },
	{ "new_tool", "D16", { "D09" }, 8, W_PEAK, inc_new_tool },
	{ "new_error_category", "D16", { NULL }, 8, W_PEAK, inc_new_error },
	{ "new_auth_method_fleet", "D16", { "D14", "D09" }, 8, W_ANY,
	    inc_new_auth_fleet },
};

static int
inc_wanted(const struct sim *s, const char *kind)
{
	const char	*p;
	size_t		 n = strlen(kind);

	if (s->only == NULL)
		return 1;
	for (p = s->only; (p = strstr(p, kind)) != NULL; p += n)
		if ((p == s->only || p[-1] == ',') && (p[n] == '\0' ||
		    p[n] == ','))
			return 1;
	return 0;
}

void
sim_incidents(struct sim *s)
{
	const struct inc_kind *k;
	struct sim_incident *in;
	size_t		 i, j;
	int		 rep, limit, pass, skipped = 0;
	int64_t		 t, heavy;

	inc_nused = 0;
	heavy = s->rows * 28 / 100 / (s->days * 96);
	/* The kinds that need four weeks of baseline take their slots first. */
	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < sizeof(inc_kinds) / sizeof(inc_kinds[0]); i++) {
		k = &inc_kinds[i];
		if ((k->min_day >= 29) != (pass == 0))
			continue;
		if (!inc_wanted(s, k->kind))
			continue;
		limit = s->per_kind;
		if (strcmp(k->kind, "new_tool") == 0 && limit > 3)
			limit = 3;	/* three tools nobody calls */
		/* A drop needs a series that is expected to be busy. */
		if (strcmp(k->kind, "volume_drop") == 0 && heavy < 22) {
			if (pass == 0)
				skipped++;
			fprintf(stderr, "simulate: no volume_drop incidents: "
			    "svc-shop-sync makes ~%lld requests per 15 minutes,"
			    " below what a drop needs (22); use more --rows\n",
			    (long long)heavy);
			continue;
		}
		if (s->days < 30 && k->min_day >= 29)
			continue;	/* no baseline to stand out from */
		for (rep = 0; rep < limit; rep++) {
			if ((t = inc_time(s, k->min_day, k->when)) < 0) {
				skipped++;
				continue;
			}
			in = sim_incident_new(s, k->kind, k->det);
			for (j = 0; j < 4; j++)
				in->also[j] = k->also[j];
			in->from = t;
			in->to = t;
			k->fn(s, in, rep, t);
		}
	}
	if (skipped > 0)
		fprintf(stderr, "simulate: %d incident(s) not placed (no "
		    "free time slot, or not enough traffic): use more --days or "
		    "fewer --incidents\n", skipped);
}
