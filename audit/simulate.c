/*
 * simulate.c -- "mcpgate-audit simulate": a synthetic audit database with
 * the real schema (the built-in migrations, as mcpgate applies them) and
 * a chain every verifier accepts (each row hashed with auditchain's
 * row-hash function, linked to the one before), holding weeks of traffic
 * with daily and weekly seasonality from agents, services, nightly
 * batches and one busy integration, over a shop's tools with their
 * hints; plus the labelled incidents of simulate_inc.c.  "--score"
 * matches scan findings (JSON lines) against the labels and prints
 * precision and recall per detector.
 *
 * Written in one transaction with one prepared INSERT; the indexes are
 * dropped for the load and rebuilt from their own SQL afterwards (a bulk
 * sort instead of ten B-trees updated row by row).  Deterministic: the
 * same options give the same rows, hashes aside from nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "auditchain.h"
#include "intern.h"
#include "migrate.h"
#include "simulate.h"
#include "simulate_int.h"
#include "timerange.h"

#define SIM_EXIT_OK	0
#define SIM_EXIT_FAIL	1
#define SIM_EXIT_ERR	3

static const char sim_usage[] =
    "usage: mcpgate-audit simulate --out FILE [--rows N] [--days D]\n"
    "           [--start 2025-03-03] [--seed S] [--principals P]\n"
    "           [--incidents K] [--only KIND,...] [--labels FILE]\n"
    "           [--write-config FILE] [--page-size N] [--force]\n"
    "       mcpgate-audit simulate --score --labels FILE --findings FILE\n"
    "           [--min-recall R] [--max-fp N] [--max-fp-each N]\n";

static int
sim_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sim_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("mcpgate-audit simulate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SIM_EXIT_ERR;
}

static int64_t
sim_mono(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* --- randomness ----------------------------------------------------------- */

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
sim_rand(struct sim *s)
{
	uint64_t *q = s->rng, r = rotl(q[1] * 5, 7) * 9, t = q[1] << 17;

	q[2] ^= q[0];
	q[3] ^= q[1];
	q[1] ^= q[2];
	q[0] ^= q[3];
	q[2] ^= t;
	q[3] = rotl(q[3], 45);
	return r;
}

static void
sim_seed(struct sim *s, uint64_t seed)
{
	int	 i;
	uint64_t z;

	for (i = 0; i < 4; i++) {
		z = (seed += UINT64_C(0x9e3779b97f4a7c15));
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		s->rng[i] = z ^ (z >> 31);
	}
}

double
sim_unif(struct sim *s)
{
	return (double)(sim_rand(s) >> 11) * 0x1.0p-53;
}

int
sim_below(struct sim *s, int n)
{
	return n <= 1 ? 0 : (int)(sim_unif(s) * n);
}

double
sim_normal(struct sim *s)
{
	double	 u = sim_unif(s), v = sim_unif(s);

	return sqrt(-2 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

static void
hex64(uint64_t v, char *out)
{
	static const char d[] = "0123456789abcdef";
	int	 i;

	for (i = 15; i >= 0; i--) {
		out[i] = d[v & 15];
		v >>= 4;
	}
}

void
sim_hex(struct sim *s, char out[SIM_HEX])
{
	int	 i;

	for (i = 0; i < 4; i++)
		hex64(sim_rand(s), out + 16 * i);
	out[64] = '\0';
}

/* A digest-like value derived from a, b, c (the same inputs, the same). */
static void
sim_hash_hex(uint64_t a, uint64_t b, uint64_t c, char out[SIM_HEX])
{
	uint64_t z = a * UINT64_C(0x9e3779b97f4a7c15) ^ b ^ (c << 32) ^
	    (c >> 32);
	int	 i;

	for (i = 0; i < 4; i++) {
		z += UINT64_C(0x9e3779b97f4a7c15);
		z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
		z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
		hex64(z ^ (z >> 31), out + 16 * i);
	}
	out[64] = '\0';
}

/* --- the world ------------------------------------------------------------ */

static struct sim_tool sim_catalogue[] = {
	/* name, scope, ro, destr, idem, idem_req, derived, new, pop, ms, err */
	{ "search_orders", "orders:read", 1, 0, 1, 0, 0, 0, 26, 40, 0.01 },
	{ "get_order", "orders:read", 1, 0, 1, 0, 0, 0, 16, 15, 0.03 },
	{ "list_customers", "customers:read", 1, 0, 1, 0, 0, 0, 4, 60, 0.005 },
	{ "get_customer", "customers:read", 1, 0, 1, 0, 0, 0, 7, 12, 0.02 },
	{ "search_products", "catalog:read", 1, 0, 1, 0, 0, 0, 8, 35, 0.005 },
	{ "get_product", "catalog:read", 1, 0, 1, 0, 0, 0, 7, 10, 0.02 },
	{ "get_inventory", "inventory:read", 1, 0, 1, 0, 0, 0, 5, 20, 0.01 },
	{ "list_invoices", "billing:read", 1, 0, 1, 0, 0, 0, 3, 80, 0.005 },
	{ "get_invoice", "billing:read", 1, 0, 1, 0, 0, 0, 3, 25, 0.02 },
	{ "get_shipment", "shipping:read", 1, 0, 1, 0, 0, 0, 4, 30, 0.02 },
	{ "track_shipment", "shipping:read", 1, 0, 1, 0, 0, 0, 3, 120, 0.02 },
	{ "list_tickets", "support:read", 1, 0, 1, 0, 0, 0, 3, 45, 0.005 },
	{ "get_ticket", "support:read", 1, 0, 1, 0, 0, 0, 3, 15, 0.02 },
	{ "report_sales", "reports:read", 1, 0, 1, 0, 0, 0, 1, 900, 0.01 },
	{ "export_orders", "reports:read", 1, 0, 1, 0, 0, 0, 0.5, 2500, 0.01 },
	{ "get_status", "ops:read", 1, 0, 1, 0, 0, 0, 2, 5, 0.001 },
	{ "issue_refund", "refunds:write", 0, 1, 0, 1, 0, 0, 1.2, 150, 0.04 },
	{ "send_confirmation", "outbox:write", 0, 0, 1, 0, 1, 0, 1.5, 60, 0.01 },
	{ "update_customer", "customers:write", 0, 0, 1, 0, 1, 0, 1, 70, 0.03 },
	{ "cancel_order", "orders:write", 0, 1, 0, 1, 0, 0, 0.6, 110, 0.04 },
	{ "create_ticket", "support:write", 0, 0, 0, 1, 0, 0, 1, 90, 0.02 },
	{ "close_ticket", "support:write", 0, 0, 1, 0, 1, 0, 0.6, 50, 0.01 },
	{ "adjust_inventory", "inventory:write", 0, 1, 0, 1, 0, 0, 0.5, 80,
	    0.03 },
	{ "delete_customer", "customers:admin", 0, 1, 1, 1, 0, 0, 0.05, 200,
	    0.02 },
	/* Tools nobody calls until an incident does (D16). */
	{ "bulk_export", "reports:read", 1, 0, 1, 0, 0, 1, 0, 3000, 0.01 },
	{ "forecast_demand", "reports:read", 1, 0, 1, 0, 0, 1, 0, 1500, 0.01 },
	{ "merge_customers", "customers:write", 0, 1, 0, 1, 0, 1, 0, 300,
	    0.01 },
};

static const char *const sim_uas[SIM_ROLE__MAX][3] = {
	{ "claude-code/1.0.43", "cursor/0.50.5", "mcp-inspector/0.14.3" },
	{ "claude-code/1.0.43", "cursor/0.50.5", "vscode-copilot/1.101" },
	{ "mcp-python-sdk/1.9.4", "mcp-typescript-sdk/1.12.1",
	    "mcp-go/0.31.0" },
	{ "mcp-python-sdk/1.9.4", "mcp-python-sdk/1.9.4",
	    "mcp-python-sdk/1.9.4" },
	{ "shop-sync/2.3.0", "shop-sync/2.3.0", "shop-sync/2.3.0" },
};

int
sim_tool(const struct sim *s, const char *name)
{
	int	 i;

	for (i = 0; i < s->ntools; i++)
		if (strcmp(s->tools[i].name, name) == 0)
			return i;
	return -1;
}

int
sim_in_repertoire(const struct sim *s, int pi, int ti)
{
	int	 i;

	for (i = 0; i < s->p[pi].ntools; i++)
		if (s->p[pi].tools[i] == ti)
			return 1;
	return 0;
}

int
sim_pick(struct sim *s, int role, int k)
{
	int	 n = s->nbyrole[role], i, best, j, used[SIM_PER_ROLE] = { 0 };

	if (n == 0)
		return -1;
	/* The k-th heaviest principal of the role (cycling). */
	k %= n;
	for (i = 0; i <= k; i++) {
		best = -1;
		for (j = 0; j < n; j++)
			if (!used[j] && (best < 0 ||
			    s->p[s->byrole[role][j]].weight >
			    s->p[s->byrole[role][best]].weight))
				best = j;
		used[best] = 1;
		if (i == k)
			return s->byrole[role][best];
	}
	return s->byrole[role][0];
}

/* Chooses n tools for a principal of role, weighted by popularity. */
static void
sim_repertoire(struct sim *s, struct sim_principal *p)
{
	double	 tot = 0, r, acc, w;
	int	 i, t, tries, n;

	n = p->role == SIM_HEAVY ? 6 : 3 + sim_below(s, 5);
	p->ntools = 0;
	for (tries = 0; p->ntools < n && tries < 500; tries++) {
		tot = 0;
		for (i = 0; i < s->ntools; i++)
			if (!s->tools[i].fleet_new)
				tot += s->tools[i].pop;
		r = sim_unif(s) * tot;
		for (acc = 0, t = 0; t < s->ntools; t++) {
			if (s->tools[t].fleet_new)
				continue;
			acc += s->tools[t].pop;
			if (r < acc)
				break;
		}
		if (t >= s->ntools)
			continue;
		/* Batches read; services and the integration do not delete. */
		if (p->role == SIM_BATCH && !s->tools[t].ro)
			continue;
		if (strcmp(s->tools[t].name, "delete_customer") == 0 &&
		    p->role != SIM_AGENT_EU)
			continue;
		if (strcmp(s->tools[t].name, "get_status") == 0 &&
		    p->role != SIM_SVC)
			continue;
		for (i = 0; i < p->ntools; i++)
			if (p->tools[i] == t)
				break;
		if (i < p->ntools)
			continue;
		p->tools[p->ntools++] = t;
	}
	for (acc = 0, i = 0; i < p->ntools; i++) {
		w = s->tools[p->tools[i]].pop * (0.5 + sim_unif(s));
		acc += w;
		p->tw[i] = acc;
	}
}

static void
sim_world(struct sim *s)
{
	struct sim_principal *p;
	int	 i, role, n[SIM_ROLE__MAX] = { 0 };

	s->tools = sim_catalogue;
	s->ntools = (int)(sizeof(sim_catalogue) / sizeof(sim_catalogue[0]));
	s->np = s->nprinc;
	s->p = intern_xcalloc((size_t)s->np, sizeof(*s->p));
	for (i = 0; i < s->np; i++) {
		p = &s->p[i];
		if (i == 0)
			role = SIM_HEAVY;
		else if (i % 10 < 3)
			role = SIM_AGENT_EU;
		else if (i % 10 < 6)
			role = SIM_AGENT_US;
		else if (i % 10 < 9)
			role = SIM_SVC;
		else
			role = SIM_BATCH;
		p->role = role;
		n[role]++;
		switch (role) {
		case SIM_HEAVY:
			snprintf(p->name, sizeof(p->name), "svc-shop-sync");
			break;
		case SIM_AGENT_EU:
		case SIM_AGENT_US:
			snprintf(p->name, sizeof(p->name), "agent-%03d@%s", i,
			    role == SIM_AGENT_EU ? "eu.example.com" :
			    "us.example.com");
			p->jwt = i % 2;
			break;
		case SIM_SVC:
			snprintf(p->name, sizeof(p->name), "svc-%03d", i);
			break;
		default:
			snprintf(p->name, sizeof(p->name), "batch-%03d", i);
			break;
		}
		p->weight = exp(0.8 * sim_normal(s));
		snprintf(p->key_id, sizeof(p->key_id), "mcpk_%08llx",
		    (unsigned long long)(sim_rand(s) & 0xffffffffu));
		if (role == SIM_AGENT_EU || role == SIM_AGENT_US)
			snprintf(p->addr, sizeof(p->addr), "198.51.%d.%d",
			    100 + i % 50, 10 + sim_below(s, 200));
		else
			snprintf(p->addr, sizeof(p->addr), "10.20.%d.%d",
			    i % 200, 5 + sim_below(s, 200));
		p->ua = sim_uas[role][sim_below(s, 3)];
		sim_repertoire(s, p);
		if (s->nbyrole[role] < SIM_PER_ROLE)
			s->byrole[role][s->nbyrole[role]++] = i;
	}
}

/* Hourly shapes (UTC) of each role's traffic. */
static double
sim_intensity(int role, int64_t ts)
{
	static const double eu[24] = { 0, 0, 0, 0, 0, 0, 0, 0.15, 0.6, 1, 1, 1,
	    0.7, 0.9, 1, 1, 0.8, 0.15, 0, 0, 0, 0, 0, 0 };
	static const double svc[24] = { 0.5, 0.45, 0.4, 0.4, 0.45, 0.5, 0.6,
	    0.8, 0.95, 1, 1, 1, 0.95, 1, 1, 1, 1, 1, 0.95, 0.9, 0.8, 0.7, 0.6,
	    0.55 };
	static const double batch[24] = { 0, 1, 1, 0.6, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	int64_t	 hours = ts / SIM_HOUR_US;
	int	 h = (int)(hours % 24), wd = (int)((hours / 24 + 3) % 7);

	switch (role) {
	case SIM_AGENT_EU:
		return wd >= 5 ? 0 : eu[h];
	case SIM_AGENT_US:
		return wd >= 5 ? 0 : eu[(h + 18) % 24];
	case SIM_SVC:
		return svc[h] * (wd >= 5 ? 0.7 : 1);
	case SIM_BATCH:
		return batch[h];
	default:
		return 1.0 + 0.1 * sin((double)h / 24 * 2 * M_PI);
	}
}

static const double sim_share[SIM_ROLE__MAX] = { 0.22, 0.22, 0.22, 0.06,
	0.28 };

/* --- pending rows (a binary heap by ts) ----------------------------------- */

static int
heap_less(const struct sim *s, size_t a, size_t b)
{
	if (s->heap[a].ts != s->heap[b].ts)
		return s->heap[a].ts < s->heap[b].ts;
	return s->heapord[a] < s->heapord[b];
}

static void
heap_swap(struct sim *s, size_t a, size_t b)
{
	struct sim_row	 t = s->heap[a];
	uint64_t	 o = s->heapord[a];

	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heapord[a] = s->heapord[b];
	s->heapord[b] = o;
}

void
sim_push(struct sim *s, const struct sim_row *r)
{
	static uint64_t	 ord;
	size_t		 i, p;

	s->heap = intern_grow(s->heap, &s->capheap, s->nheap + 1,
	    sizeof(*s->heap));
	s->heapord = intern_grow(s->heapord, &s->capord, s->nheap + 1,
	    sizeof(*s->heapord));
	i = s->nheap++;
	s->heap[i] = *r;
	s->heapord[i] = ord++;
	while (i > 0) {
		p = (i - 1) / 2;
		if (!heap_less(s, i, p))
			break;
		heap_swap(s, i, p);
		i = p;
	}
}

static void
heap_pop(struct sim *s, struct sim_row *out)
{
	size_t	 i = 0, l, r, m;

	*out = s->heap[0];
	s->nheap--;
	if (s->nheap == 0)
		return;
	s->heap[0] = s->heap[s->nheap];
	s->heapord[0] = s->heapord[s->nheap];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < s->nheap && heap_less(s, l, m))
			m = l;
		if (r < s->nheap && heap_less(s, r, m))
			m = r;
		if (m == i)
			break;
		heap_swap(s, i, m);
		i = m;
	}
}

/* --- rows ----------------------------------------------------------------- */

static void
sim_session_hex(const struct sim_principal *p, int pi, char out[SIM_HEX])
{
	sim_hash_hex((uint64_t)pi + 1, p->session, 0x5e55, out);
}

void
sim_call(struct sim *s, struct sim_row *r, int pi, int ti, int64_t ts)
{
	struct sim_principal *p = &s->p[pi];
	const struct sim_tool *t = &s->tools[ti];
	double		 u;

	memset(r, 0, sizeof(*r));
	r->ts = ts;
	r->incident = -1;
	r->retryable = -1;
	r->retry_after_ms = -1;
	r->principal = p->name;
	r->auth_method = p->jwt ? "jwt" : "apikey";
	r->auth_result = "ok";
	r->decision = "allow";
	r->decision_reason = "scope_granted";
	r->key_id = p->jwt ? NULL : p->key_id;
	r->token_sub = p->jwt ? p->name : NULL;
	r->client = p->addr;
	r->ua = p->ua;
	r->rpc_method = "tools/call";
	r->tool = t->name;
	r->scope = t->scope;
	r->http_status = 200;
	r->outcome = "ok";
	sim_session_hex(p, pi, r->session);
	sim_hash_hex(sim_rand(s), (uint64_t)ti, 0xa495, r->args);
	if (t->idem_required || t->idem_derived) {
		sim_hex(s, r->idem);
		r->idem_status = "new";
	}
	r->latency_us = (int64_t)(t->lat_ms * 1000 * exp(0.5 *
	    sim_normal(s)));
	if (r->latency_us < 200)
		r->latency_us = 200;
	if (sim_unif(s) < t->err) {
		u = sim_unif(s);
		r->outcome = "tool_error";
		r->retryable = 0;
		if (u < 0.5) {
			r->category = "not_found";
			r->code = "not_found";
		} else if (u < 0.8) {
			r->category = "validation";
			r->code = "invalid_argument";
		} else if (u < 0.9 && !t->ro) {
			r->category = "conflict";
			r->code = "state_conflict";
		} else {
			r->category = "transient";
			r->code = "upstream_timeout";
			r->retryable = 1;
		}
		r->latency_us /= 2;
	}
}

/* Follow-ups a background call causes: replays, backoff retries. */
static void
sim_followups(struct sim *s, const struct sim_row *r, int ti)
{
	struct sim_row	 f;
	int64_t		 t, wait;
	int		 i, n;

	if (r->idem[0] != '\0' && strcmp(r->outcome, "ok") == 0 &&
	    sim_unif(s) < 0.004) {
		/* The client timed out and sent the write again: a replay. */
		f = *r;
		f.ts = r->ts + 2000000 + (int64_t)(sim_unif(s) * 8e6);
		f.idem_status = "replay";
		f.latency_us = 800 + sim_below(s, 2000);
		sim_push(s, &f);
	}
	if (r->category != NULL && strcmp(r->category, "transient") == 0) {
		/* Retries with exponential backoff until one works. */
		n = 1 + sim_below(s, 3);
		for (t = r->ts, wait = 1000000, i = 0; i < n; i++) {
			t += wait + sim_below(s, 200000);
			wait *= 2;
			f = *r;
			f.ts = t;
			if (i == n - 1) {
				f.outcome = "ok";
				f.category = f.code = NULL;
				f.retryable = -1;
				f.latency_us = (int64_t)(s->tools[ti].lat_ms *
				    1000);
			}
			sim_push(s, &f);
		}
	}
}

/* One background request of principal pi at ts into r.  0: skip. */
static int
sim_background(struct sim *s, int pi, int64_t ts, struct sim_row *r)
{
	struct sim_principal *p = &s->p[pi];
	struct sim_row	 f;
	double		 u;
	int		 i, ti;

	if (p->last_ts == 0 || ts - p->last_ts > 2 * SIM_HOUR_US ||
	    sim_unif(s) < 0.002) {
		/* A new session: a 401 first (discovery), then initialize. */
		p->session++;
		p->last_ts = ts;
		memset(r, 0, sizeof(*r));
		r->ts = ts;
		r->incident = -1;
		r->retryable = -1;
		r->retry_after_ms = -1;
		r->client = p->addr;
		r->ua = p->ua;
		r->http_status = 200;
		r->rpc_method = "initialize";
		r->outcome = "ok";
		r->principal = p->name;
		r->auth_method = p->jwt ? "jwt" : "apikey";
		r->auth_result = "ok";
		r->decision = "allow";
		r->decision_reason = "authenticated";
		r->key_id = p->jwt ? NULL : p->key_id;
		r->token_sub = p->jwt ? p->name : NULL;
		sim_session_hex(p, pi, r->session);
		r->latency_us = 3000 + sim_below(s, 3000);
		if (sim_unif(s) < 0.3) {
			f = *r;
			f.ts = ts + 300000;
			f.rpc_method = "tools/list";
			sim_push(s, &f);
		}
		if (p->jwt && sim_unif(s) < 0.3) {
			f = *r;
			f.ts = ts - 200000;
			f.principal = NULL;
			f.session[0] = '\0';
			f.auth_result = "missing";
			f.auth_method = "none";
			f.token_sub = NULL;
			f.decision = "deny";
			f.decision_reason = "unauthenticated";
			f.outcome = "auth_error";
			f.category = "authentication";
			f.code = "credential_missing";
			f.http_status = 401;
			f.retryable = 0;
			f.rpc_method = NULL;
			if (f.ts > s->last_ts)
				sim_push(s, &f);
		}
		return 1;
	}
	p->last_ts = ts;
	u = sim_unif(s) * p->tw[p->ntools - 1];
	for (ti = p->tools[0], i = 0; i < p->ntools; i++)
		if (u < p->tw[i]) {
			ti = p->tools[i];
			break;
		}
	sim_call(s, r, pi, ti, ts);
	/*
	 * Denials, rate limits and conflicts happen a few times a day per
	 * caller, not in proportion to traffic: their rates fall as the
	 * log gets denser than the reference (300k rows in 35 days).
	 */
	u = sim_unif(s) * s->density;
	if (u < 0.001) {
		/* A call its key's scopes do not cover: 403 step-up. */
		r->decision = "deny";
		r->decision_reason = "insufficient_scope";
		r->outcome = "auth_error";
		r->category = "authorization";
		r->code = "insufficient_scope";
		r->http_status = 403;
		r->rpc_error_code = -32003;
		r->idem[0] = '\0';
		r->idem_status = NULL;
		r->retryable = 0;
	} else if (u < 0.0013) {
		r->outcome = "tool_error";
		r->category = "rate_limited";
		r->code = "rate_limited";
		r->retryable = 1;
		r->retry_after_ms = 1000 * (1 + sim_below(s, 5));
		r->idem[0] = '\0';
		r->idem_status = NULL;
	} else if (u < 0.0015 && r->idem[0] != '\0') {
		r->outcome = "tool_error";
		r->category = "conflict";
		r->code = "idempotency_conflict";
		r->idem_status = "conflict";
		r->retryable = 0;
	} else
		sim_followups(s, r, ti);
	return 1;
}

/* A failed authentication from somewhere on the internet. */
static void
sim_noise_auth(struct sim *s, int64_t ts, struct sim_row *r)
{
	static char	 addr[40], kid[24];

	memset(r, 0, sizeof(*r));
	r->ts = ts;
	r->incident = -1;
	r->retry_after_ms = -1;
	snprintf(addr, sizeof(addr), "203.0.113.%d", 1 + sim_below(s, 250));
	snprintf(kid, sizeof(kid), "mcpk_%08llx", (unsigned long long)
	    (sim_rand(s) & 0xffffffffu));
	r->client = addr;
	r->ua = "python-requests/2.32";
	r->auth_method = "apikey";
	r->auth_result = sim_unif(s) < 0.7 ? "invalid" : "expired";
	r->key_id = kid;
	r->decision = "deny";
	r->decision_reason = "unauthenticated";
	r->outcome = "auth_error";
	r->category = "authentication";
	r->code = strcmp(r->auth_result, "invalid") == 0 ?
	    "credential_invalid" : "credential_expired";
	r->http_status = 401;
	r->retryable = 0;
	r->latency_us = 500 + sim_below(s, 1000);
}

/* --- the writer ----------------------------------------------------------- */

static int
sim_schema(struct sim *s, char *err, size_t errlen)
{
	const struct migration *m;
	char		 pragma[64];
	int		 last = 0;

	for (m = migrations; m->num != 0; m++) {
		if (strcmp(m->db, "audit") != 0)
			continue;
		if (sqlite3_exec(s->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s: %s", m->name,
			    sqlite3_errmsg(s->db));
			return -1;
		}
		last = m->num;
	}
	if (last == 0) {
		snprintf(err, errlen, "no audit migration is built in");
		return -1;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", last);
	return sqlite3_exec(s->db, pragma, NULL, NULL, NULL) == SQLITE_OK ? 0 :
	    -1;
}

/* Drops the audit_events indexes, keeping their SQL to rebuild them. */
static int
sim_indexes_take(struct sim *s, char ***sql, size_t *n)
{
	sqlite3_stmt	*st;
	char		**names = NULL, drop[300];
	size_t		 cap = 0, capn = 0, i;
	int		 rc = 0;

	*sql = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name, sql FROM sqlite_master "
	    "WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS "
	    "NOT NULL ORDER BY name", -1, &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		*sql = intern_grow(*sql, &cap, *n + 1, sizeof(**sql));
		names = intern_grow(names, &capn, *n + 1, sizeof(*names));
		names[*n] = intern_xstrdup((const char *)
		    sqlite3_column_text(st, 0));
		(*sql)[*n] = intern_xstrdup((const char *)
		    sqlite3_column_text(st, 1));
		(*n)++;
	}
	sqlite3_finalize(st);
	/* The names come from our own migration, not from input. */
	for (i = 0; i < *n && rc == 0; i++) {
		snprintf(drop, sizeof(drop), "DROP INDEX \"%s\"", names[i]);
		if (sqlite3_exec(s->db, drop, NULL, NULL, NULL) != SQLITE_OK)
			rc = -1;
	}
	for (i = 0; i < *n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static const char sim_insert[] =
    "INSERT INTO audit_events (seq, chain_version, chain_alg, seal_key_id, "
    "kind, ts_us, host_id, request_id, trace_id, span_id, parent_span_id, "
    "session_hash, protocol_version, principal, auth_method, auth_result, "
    "decision, decision_reason, key_id, token_iss, token_sub, client_addr, "
    "user_agent, http_method, http_path, http_status, rpc_method, rpc_id, "
    "rpc_error_code, tool, scope_required, idem_key_hash, idem_status, "
    "args_digest, args_redacted, outcome, error_category, error_code, "
    "retryable, retry_after_ms, latency_us, bytes_in, bytes_out, "
    "pruned_rows, first_kept_seq, cut_hash, prev_hash, row_hash) VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
    "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, "
    "?30, ?31, ?32, ?33, ?34, ?35, ?36, ?37, ?38, ?39, ?40, ?41, ?42, ?43, "
    "?44, ?45, ?46, ?47, ?48)";

static void
v_text(struct auditchain_value *v, const char *s)
{
	if (s == NULL || *s == '\0') {
		v->type = AUDITCHAIN_V_NULL;
		return;
	}
	v->type = AUDITCHAIN_V_TEXT;
	v->s = s;
	v->len = strlen(s);
}

static void
v_int(struct auditchain_value *v, int64_t i)
{
	v->type = AUDITCHAIN_V_INT;
	v->i = i;
}

static void
sim_track(struct sim *s, int inc, int64_t seq, int64_t ts)
{
	struct sim_incident *in;

	if (inc < 0 || (size_t)inc >= s->ninc)
		return;
	in = &s->inc[inc];
	if (in->rows++ == 0) {
		in->first_seq = seq;
		in->first_ts = ts;
	}
	in->last_seq = seq;
	if (ts > in->last_ts)
		in->last_ts = ts;
	if (ts < in->first_ts)
		in->first_ts = ts;
}

/*
 * The writer runs in two threads: this one generates rows and chains
 * them (each hash needs the one before, so hashing is serial), a second
 * binds and inserts them.  They meet in a ring of slots holding each
 * row's values and the strings they point to.
 */
#define SIM_RING	4096
#define SIM_BATCH	128

struct sim_slot {
	struct auditchain_value v[AUDITCHAIN_C__MAX];
	char		 session[SIM_HEX], args[SIM_HEX], idem[SIM_HEX];
	char		 rid[33], trace[33], span[17], pspan[17], rpcid[24];
	char		 argsj[64], prev[SIM_HEX], hash[SIM_HEX];
	char		 buf[1536];	/* copies of the other strings */
	size_t		 used;
};

/*
 * A text value copied into the slot: the inserting thread reads it
 * after this thread has moved on (and reused its own buffers).
 */
static void
v_slot(struct sim_slot *sl, struct auditchain_value *v, const char *s)
{
	size_t	 len;

	if (s == NULL || *s == '\0') {
		v->type = AUDITCHAIN_V_NULL;
		return;
	}
	len = strlen(s);
	if (len > sizeof(sl->buf) - sl->used - 1)
		len = sizeof(sl->buf) - sl->used - 1;
	memcpy(sl->buf + sl->used, s, len);
	sl->buf[sl->used + len] = '\0';
	v->type = AUDITCHAIN_V_TEXT;
	v->s = sl->buf + sl->used;
	v->len = len;
	sl->used += len + 1;
}

struct sim_pipe {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more, room;
	struct sim_slot	*ring;
	uint64_t	 head;		/* published by the producer */
	uint64_t	 tail;		/* inserted by the consumer */
	uint64_t	 local;		/* filled, not yet published */
	uint64_t	 seen_tail;	/* the producer's copy of tail */
	int		 done, failed;
	int64_t		 insert_us;
	sqlite3_stmt	*ins;
};

static int
sim_insert_slot(struct sim_pipe *p, struct sim_slot *sl)
{
	int	 i;

	sqlite3_reset(p->ins);
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		switch (sl->v[i].type) {
		case AUDITCHAIN_V_INT:
			sqlite3_bind_int64(p->ins, i + 1, sl->v[i].i);
			break;
		case AUDITCHAIN_V_TEXT:
			sqlite3_bind_text(p->ins, i + 1, sl->v[i].s,
			    (int)sl->v[i].len, SQLITE_STATIC);
			break;
		default:
			sqlite3_bind_null(p->ins, i + 1);
			break;
		}
	}
	sqlite3_bind_text(p->ins, AUDITCHAIN_C__MAX + 1, sl->prev, 64,
	    SQLITE_STATIC);
	sqlite3_bind_text(p->ins, AUDITCHAIN_C__MAX + 2, sl->hash, 64,
	    SQLITE_STATIC);
	return sqlite3_step(p->ins) == SQLITE_DONE ? 0 : -1;
}

static void *
sim_consumer(void *arg)
{
	struct sim_pipe	*p = arg;
	uint64_t	 h, t;
	int64_t		 t0;
	int		 failed = 0;

	pthread_mutex_lock(&p->mu);
	t = p->tail;
	for (;;) {
		while (p->tail == p->head && !p->done)
			pthread_cond_wait(&p->more, &p->mu);
		if (p->tail == p->head && p->done)
			break;
		h = p->head;
		pthread_mutex_unlock(&p->mu);
		t0 = sim_mono();
		for (; t < h && !failed; t++)
			if (sim_insert_slot(p, &p->ring[t % SIM_RING]) == -1)
				failed = 1;
		p->insert_us += sim_mono() - t0;
		pthread_mutex_lock(&p->mu);
		p->tail = t;
		if (failed) {
			p->failed = 1;
			pthread_cond_signal(&p->room);
			break;
		}
		pthread_cond_signal(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int
sim_pipe_start(struct sim *s, sqlite3_stmt *ins)
{
	struct sim_pipe	*p = intern_xcalloc(1, sizeof(*p));

	p->ring = intern_xcalloc(SIM_RING, sizeof(*p->ring));
	p->ins = ins;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->more, NULL);
	pthread_cond_init(&p->room, NULL);
	if (pthread_create(&p->th, NULL, sim_consumer, p) != 0) {
		free(p->ring);
		free(p);
		return -1;
	}
	s->pipe = p;
	return 0;
}

/* Publishes what is filled; waits for the consumer.  Returns 0 or -1. */
static int
sim_pipe_finish(struct sim *s)
{
	struct sim_pipe	*p = s->pipe;
	int		 failed;

	if (p == NULL)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->head = p->local;
	p->done = 1;
	pthread_cond_signal(&p->more);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	failed = p->failed;
	s->insert_us = p->insert_us;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->more);
	pthread_cond_destroy(&p->room);
	free(p->ring);
	free(p);
	s->pipe = NULL;
	return failed ? -1 : 0;
}

/* A free slot (waiting for the consumer when the ring is full). */
static struct sim_slot *
sim_slot_get(struct sim *s)
{
	struct sim_pipe	*p = s->pipe;

	if (p->local - p->seen_tail >= SIM_RING) {
		pthread_mutex_lock(&p->mu);
		p->head = p->local;
		pthread_cond_signal(&p->more);
		while (p->local - p->tail >= SIM_RING && !p->failed)
			pthread_cond_wait(&p->room, &p->mu);
		p->seen_tail = p->tail;
		pthread_mutex_unlock(&p->mu);
		if (p->failed)
			return NULL;
	}
	return &p->ring[p->local % SIM_RING];
}

static void
sim_slot_put(struct sim *s)
{
	struct sim_pipe	*p = s->pipe;

	p->local++;
	if (p->local % SIM_BATCH == 0) {
		pthread_mutex_lock(&p->mu);
		p->head = p->local;
		p->seen_tail = p->tail;
		pthread_cond_signal(&p->more);
		pthread_mutex_unlock(&p->mu);
	}
}

static void
sim_copy(char *dst, size_t n, const char *src)
{
	size_t	 len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int
sim_write(struct sim *s, const struct sim_row *r)
{
	struct sim_slot	*sl;
	struct auditchain_value *v;
	uint64_t	 x = sim_rand(s), y = sim_rand(s);
	int64_t		 t0;
	int		 h, traced = (x & 7) < 2, call;
	const char	*hosts[3] = { "web-1", "web-2", "web-3" };

	if ((sl = sim_slot_get(s)) == NULL)
		return -1;
	v = sl->v;
	memset(v, 0, sizeof(sl->v));
	sl->used = 0;
	s->seq++;
	hex64(x, sl->rid);
	hex64(y, sl->rid + 16);
	sl->rid[32] = '\0';
	hex64(y ^ 0x5a5a, sl->span);
	sl->span[16] = '\0';
	sim_copy(sl->session, sizeof(sl->session), r->session);
	sim_copy(sl->args, sizeof(sl->args), r->args);
	sim_copy(sl->idem, sizeof(sl->idem), r->idem);
	call = r->rpc_method != NULL && strcmp(r->rpc_method, "tools/call") == 0;
	v_int(&v[AUDITCHAIN_C_SEQ], s->seq);
	v_int(&v[AUDITCHAIN_C_CHAIN_VERSION], AUDITCHAIN_VERSION);
	v_text(&v[AUDITCHAIN_C_CHAIN_ALG], "sha256");
	v_text(&v[AUDITCHAIN_C_KIND], "request");
	v_int(&v[AUDITCHAIN_C_TS_US], r->ts);
	h = r->host != NULL ? (int)(r->host[4] - '1') % 3 : (int)((x >> 8) % 3);
	v_text(&v[AUDITCHAIN_C_HOST_ID], hosts[h]);
	v_text(&v[AUDITCHAIN_C_REQUEST_ID], sl->rid);
	/* Every request has a trace: continued (with a parent) or new. */
	hex64(traced ? x * 31 + 7 : x * 13 + 1, sl->trace);
	hex64(traced ? y * 17 + 3 : y * 11 + 5, sl->trace + 16);
	sl->trace[32] = '\0';
	v_text(&v[AUDITCHAIN_C_TRACE_ID], sl->trace);
	if (traced) {
		hex64(x ^ y, sl->pspan);
		sl->pspan[16] = '\0';
		v_text(&v[AUDITCHAIN_C_PARENT_SPAN_ID], sl->pspan);
	}
	v_text(&v[AUDITCHAIN_C_SPAN_ID], sl->span);
	v_text(&v[AUDITCHAIN_C_SESSION_HASH], sl->session);
	v_text(&v[AUDITCHAIN_C_PROTOCOL_VERSION], sl->session[0] != '\0' ?
	    "2025-06-18" : NULL);
	v_slot(sl, &v[AUDITCHAIN_C_PRINCIPAL], r->principal);
	v_slot(sl, &v[AUDITCHAIN_C_AUTH_METHOD], r->auth_method);
	v_slot(sl, &v[AUDITCHAIN_C_AUTH_RESULT], r->auth_result);
	v_slot(sl, &v[AUDITCHAIN_C_DECISION], r->decision);
	v_slot(sl, &v[AUDITCHAIN_C_DECISION_REASON], r->decision_reason);
	v_slot(sl, &v[AUDITCHAIN_C_KEY_ID], r->key_id);
	if (r->token_sub != NULL)
		v_text(&v[AUDITCHAIN_C_TOKEN_ISS], "https://auth.example.com");
	v_slot(sl, &v[AUDITCHAIN_C_TOKEN_SUB], r->token_sub);
	v_slot(sl, &v[AUDITCHAIN_C_CLIENT_ADDR], r->client);
	v_slot(sl, &v[AUDITCHAIN_C_USER_AGENT], r->ua);
	v_text(&v[AUDITCHAIN_C_HTTP_METHOD], "POST");
	v_text(&v[AUDITCHAIN_C_HTTP_PATH], "/mcp");
	v_int(&v[AUDITCHAIN_C_HTTP_STATUS], r->http_status ? r->http_status :
	    200);
	v_slot(sl, &v[AUDITCHAIN_C_RPC_METHOD], r->rpc_method);
	if (r->rpc_method != NULL) {
		snprintf(sl->rpcid, sizeof(sl->rpcid), "%u",
		    (unsigned)(x >> 40));
		v_text(&v[AUDITCHAIN_C_RPC_ID], sl->rpcid);
	}
	if (r->rpc_error_code != 0)
		v_int(&v[AUDITCHAIN_C_RPC_ERROR_CODE], r->rpc_error_code);
	v_slot(sl, &v[AUDITCHAIN_C_TOOL], r->tool);
	v_slot(sl, &v[AUDITCHAIN_C_SCOPE_REQUIRED], r->scope);
	v_text(&v[AUDITCHAIN_C_IDEM_KEY_HASH], sl->idem);
	v_slot(sl, &v[AUDITCHAIN_C_IDEM_STATUS], r->idem_status);
	v_text(&v[AUDITCHAIN_C_ARGS_DIGEST], call ? sl->args : NULL);
	if (call) {
		snprintf(sl->argsj, sizeof(sl->argsj), "{\"id\":%u}",
		    (unsigned)(sl->args[0] * 1000u + (unsigned char)sl->args[1] *
		    7u + (unsigned char)sl->args[2]));
		v_text(&v[AUDITCHAIN_C_ARGS_REDACTED], sl->argsj);
	}
	v_slot(sl, &v[AUDITCHAIN_C_OUTCOME], r->outcome);
	v_slot(sl, &v[AUDITCHAIN_C_ERROR_CATEGORY], r->category);
	v_slot(sl, &v[AUDITCHAIN_C_ERROR_CODE], r->code);
	if (r->retryable >= 0)
		v_int(&v[AUDITCHAIN_C_RETRYABLE], r->retryable);
	if (r->retry_after_ms >= 0)
		v_int(&v[AUDITCHAIN_C_RETRY_AFTER_MS], r->retry_after_ms);
	v_int(&v[AUDITCHAIN_C_LATENCY_US], r->latency_us);
	v_int(&v[AUDITCHAIN_C_BYTES_IN], 120 + (int64_t)((x >> 20) & 511));
	v_int(&v[AUDITCHAIN_C_BYTES_OUT], 200 + (int64_t)((y >> 20) & 4095));

	t0 = sim_mono();
	memcpy(sl->prev, s->prev, sizeof(sl->prev));
	if (auditchain_row_hash(NULL, s->prev, v, sl->hash) == -1)
		return -1;
	s->hash_us += sim_mono() - t0;
	memcpy(s->prev, sl->hash, sizeof(s->prev));
	sim_slot_put(s);
	if (r->ts > s->last_ts && !r->backdate)
		s->last_ts = r->ts;
	if (r->ts > s->host_last[h])
		s->host_last[h] = r->ts;
	sim_track(s, r->incident, s->seq, r->ts);
	return 0;
}

/* Applies the modifiers to a background row.  Returns 0 to drop it. */
static int
sim_modify(struct sim *s, struct sim_row *r, int pi)
{
	struct sim_mod	*m;
	size_t		 i;
	int		 ti;

	for (i = 0; i < s->nmods; i++) {
		m = &s->mods[i];
		if (r->ts < m->from || r->ts >= m->to)
			continue;
		ti = r->tool != NULL ? sim_tool(s, r->tool) : -1;
		switch (m->kind) {
		case SIM_MOD_DROP_ALL:
			s->inc[m->incident].rows++;
			return 0;
		case SIM_MOD_DROP_PRINCIPAL:
			if (pi == m->principal) {
				s->inc[m->incident].rows++;
				return 0;
			}
			break;
		case SIM_MOD_LATENCY:
			if (ti == m->tool && r->outcome != NULL &&
			    strcmp(r->outcome, "ok") == 0) {
				r->latency_us = (int64_t)((double)r->latency_us *
				    m->factor);
				r->incident = m->incident;
			}
			break;
		case SIM_MOD_ERRORS:
			if (ti == m->tool && sim_unif(s) < m->factor) {
				r->outcome = "tool_error";
				r->category = "transient";
				r->code = "upstream_unavailable";
				r->retryable = 1;
				r->idem_status = r->idem[0] ? "new" : NULL;
				r->incident = m->incident;
			}
			break;
		}
	}
	return 1;
}

/* Writes queued rows due before ts (all of them when ts is INT64_MAX). */
static int
sim_flush(struct sim *s, int64_t ts)
{
	struct sim_row	 r;
	size_t		 i;

	while (s->nheap > 0 && s->heap[0].ts <= ts) {
		heap_pop(s, &r);
		/* Incident rows vanish in a pipeline gap too. */
		for (i = 0; i < s->nmods; i++)
			if (s->mods[i].kind == SIM_MOD_DROP_ALL &&
			    r.ts >= s->mods[i].from && r.ts < s->mods[i].to &&
			    r.incident != s->mods[i].incident)
				break;
		if (i < s->nmods)
			continue;
		if (r.backdate)
			r.ts = s->host_last[1] - 60 * 1000000LL;
		if (sim_write(s, &r) == -1)
			return -1;
	}
	return 0;
}

static int
sim_generate(struct sim *s)
{
	int64_t		 nb = s->days * 96, b, bts, k[SIM_ROLE__MAX];
	double		 tot[SIM_ROLE__MAX] = { 0 }, carry[SIM_ROLE__MAX] = { 0 };
	double		 cum[SIM_ROLE__MAX][SIM_PER_ROLE], e, *off = NULL, acc;
	int64_t		 kk, i, left, noff = 0;
	size_t		 capoff = 0;
	struct sim_row	 r;
	int		 role, j, pi, lo, hi, mid, ok;
	int64_t		 t0 = sim_mono(), tl = t0;
	int		 tty = isatty(STDERR_FILENO);

	for (role = 0; role < SIM_ROLE__MAX; role++) {
		for (b = 0; b < nb; b++)
			tot[role] += sim_intensity(role, s->start + b *
			    SIM_BUCKET_US + SIM_BUCKET_US / 2);
		for (acc = 0, j = 0; j < s->nbyrole[role]; j++) {
			acc += s->p[s->byrole[role][j]].weight;
			cum[role][j] = acc;
		}
	}
	for (b = 0; b < nb; b++) {
		bts = s->start + b * SIM_BUCKET_US;
		for (kk = 0, role = 0; role < SIM_ROLE__MAX; role++) {
			if (tot[role] <= 0 || s->nbyrole[role] == 0) {
				k[role] = 0;
				continue;
			}
			e = (double)s->rows * sim_share[role] *
			    sim_intensity(role, bts + SIM_BUCKET_US / 2) /
			    tot[role] + carry[role];
			k[role] = (int64_t)e;
			carry[role] = e - (double)k[role];
			kk += k[role];
		}
		/* Sorted arrival offsets: normalised exponential spacings. */
		off = intern_grow(off, &capoff, (size_t)kk + 1, sizeof(*off));
		for (acc = 0, i = 0; i <= kk; i++) {
			acc += -log(1 - sim_unif(s));
			off[i] = acc;
		}
		noff = kk;
		for (left = kk, i = 0; i < noff; i++, left--) {
			/* A role, drawn without replacement. */
			e = sim_unif(s) * (double)left;
			for (role = 0; role < SIM_ROLE__MAX; role++) {
				if (e < (double)k[role])
					break;
				e -= (double)k[role];
			}
			if (role == SIM_ROLE__MAX)
				role = SIM_ROLE__MAX - 1;
			k[role]--;
			e = sim_unif(s) * cum[role][s->nbyrole[role] - 1];
			for (lo = 0, hi = s->nbyrole[role] - 1; lo < hi;) {
				mid = (lo + hi) / 2;
				if (e < cum[role][mid])
					hi = mid;
				else
					lo = mid + 1;
			}
			pi = s->byrole[role][lo];
			ok = sim_background(s, pi, bts + (int64_t)(off[i] /
			    off[noff] * (double)SIM_BUCKET_US), &r);
			if (ok && sim_unif(s) * s->density < 0.0008) {
				struct sim_row n;

				sim_noise_auth(s, r.ts, &n);
				if (sim_flush(s, n.ts) == -1 ||
				    sim_write(s, &n) == -1)
					goto fail;
			}
			if (!ok || !sim_modify(s, &r, pi))
				continue;
			if (sim_flush(s, r.ts) == -1 || sim_write(s, &r) == -1)
				goto fail;
		}
		if (tty && (b & 63) == 0 && sim_mono() - tl > 500000) {
			tl = sim_mono();
			fprintf(stderr, "\rsimulate: %lld rows (%.0f%%)  ",
			    (long long)s->seq, 100.0 * (double)b / (double)nb);
		}
	}
	if (sim_flush(s, INT64_MAX) == -1)
		goto fail;
	if (tty)
		fprintf(stderr, "\r%40s\r", "");
	free(off);
	(void)t0;
	return 0;
fail:
	free(off);
	return -1;
}

/* --- incidents' bookkeeping ----------------------------------------------- */

struct sim_incident *
sim_incident_new(struct sim *s, const char *kind, const char *detector)
{
	struct sim_incident *in;

	s->inc = intern_grow(s->inc, &s->capinc, s->ninc + 1, sizeof(*s->inc));
	in = &s->inc[s->ninc++];
	memset(in, 0, sizeof(*in));
	in->kind = kind;
	in->detector = detector;
	return in;
}

void
sim_incident_key(struct sim_incident *in, const char *name, const char *value)
{
	if (in->nkey >= 6 || value == NULL)
		return;
	snprintf(in->key[in->nkey][0], sizeof(in->key[0][0]), "%s", name);
	snprintf(in->key[in->nkey][1], sizeof(in->key[0][1]), "%s", value);
	in->nkey++;
}

static int
sim_labels(struct sim *s, const char *path)
{
	FILE		*f;
	json_t		*o, *k, *a;
	struct sim_incident *in;
	char		 b1[TIMERANGE_FMT_LEN], b2[TIMERANGE_FMT_LEN], *t;
	size_t		 i;
	int		 j, rc = 0;

	if ((f = fopen(path, "w")) == NULL)
		return sim_fail("cannot write %s: %s", path, strerror(errno));
	for (i = 0; i < s->ninc; i++) {
		in = &s->inc[i];
		k = json_object();
		for (j = 0; j < in->nkey; j++)
			json_object_set_new(k, in->key[j][0],
			    json_string(in->key[j][1]));
		a = json_array();
		for (j = 0; j < 4 && in->also[j] != NULL; j++)
			json_array_append_new(a, json_string(in->also[j]));
		if (in->first_ts == 0) {
			in->first_ts = in->from;
			in->last_ts = in->to;
		}
		o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:s, "
		    "s:s, s:I, s:I}", "id", (json_int_t)i + 1, "detector",
		    in->detector, "kind", in->kind, "key", k, "also", a,
		    "first_seq", (json_int_t)in->first_seq, "last_seq",
		    (json_int_t)in->last_seq, "rows", (json_int_t)in->rows,
		    "first_ts", timerange_format(in->first_ts, 0, b1,
		    sizeof(b1)), "last_ts", timerange_format(in->last_ts, 0, b2,
		    sizeof(b2)), "first_us", (json_int_t)in->first_ts,
		    "last_us", (json_int_t)in->last_ts);
		t = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
		if (t == NULL)
			rc = -1;
		else {
			fprintf(f, "%s\n", t);
			free(t);
		}
		json_decref(o);
	}
	if (fclose(f) == EOF || rc == -1)
		return sim_fail("writing %s failed", path);
	return 0;
}

/* An mcpgate.json with the simulated tools: the scan reads their hints. */
static int
sim_config(struct sim *s, const char *path)
{
	json_t		*root, *tools, *t, *ann;
	const struct sim_tool *x;
	int		 i;

	tools = json_array();
	for (i = 0; i < s->ntools; i++) {
		x = &s->tools[i];
		ann = json_pack("{s:b, s:b, s:b, s:b}", "readOnlyHint", x->ro,
		    "destructiveHint", x->destructive, "idempotentHint",
		    x->idempotent, "openWorldHint", 0);
		t = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s}, s:s}",
		    "name", x->name, "description", "simulated tool", "kind",
		    "sql", "database", "shop", "scope", x->scope,
		    "annotations", ann, "input_schema", "type", "object", "sql",
		    "SELECT 1");
		if (x->idem_required)
			json_object_set_new(t, "idempotency",
			    json_string("required"));
		else if (x->idem_derived)
			json_object_set_new(t, "idempotency",
			    json_string("derived"));
		json_array_append_new(tools, t);
	}
	root = json_pack("{s:s, s:{s:s, s:b, s:{s:s, s:s}}, s:o}", "$comment",
	    "written by mcpgate-audit simulate: the tools and hints of the "
	    "simulated log, for scan --config", "auth", "mode", "required",
	    "api_keys", 1, "jwt", "issuer", "https://auth.example.com",
	    "audience", "mcpgate", "tools", tools);
	if (root == NULL || json_dump_file(root, path, JSON_INDENT(2)) == -1) {
		json_decref(root);
		return sim_fail("cannot write %s", path);
	}
	json_decref(root);
	return 0;
}

/* --- scoring -------------------------------------------------------------- */

struct score_label {
	json_t		*j;
	const char	*det;
	int64_t		 from, to;
	int		 found;
};

static int
score_bucketed(const char *det)
{
	return strcmp(det, "D07") == 0 || strcmp(det, "D08") == 0 ||
	    strcmp(det, "D11") == 0;
}

/* Every key member both have must agree. */
static int
score_key_ok(json_t *lk, json_t *fk)
{
	const char	*k, *a, *b;
	json_t		*v;

	json_object_foreach(lk, k, v) {
		if ((b = json_string_value(json_object_get(fk, k))) == NULL)
			continue;
		a = json_string_value(v);
		if (a == NULL || strcmp(a, b) != 0)
			return 0;
	}
	return 1;
}

static int64_t
score_ts(json_t *o, const char *k)
{
	struct timerange tr;
	char		 err[128];
	const char	*s = json_string_value(json_object_get(o, k));

	if (s == NULL || timerange_parse_token(s, 0, 0, &tr, err,
	    sizeof(err)) == -1)
		return 0;
	return tr.from_us;
}

/* Does finding f (detector det) match label l (as primary or also)? */
static int
score_match(struct score_label *l, json_t *f, const char *det, int primary)
{
	json_t		*also;
	size_t		 i;
	int		 ok = 0;
	int64_t		 slack, ff, fl;

	if (strcmp(l->det, det) == 0)
		ok = 1;
	else if (!primary) {
		also = json_object_get(l->j, "also");
		for (i = 0; i < json_array_size(also); i++)
			if (strcmp(json_string_value(json_array_get(also, i)),
			    det) == 0)
				ok = 1;
	}
	if (!ok)
		return 0;
	slack = score_bucketed(det) ? 30 * SIM_MIN_US : 5 * SIM_MIN_US;
	ff = score_ts(f, "first_ts");
	fl = score_ts(f, "last_ts");
	if (fl < l->from - slack || ff > l->to + slack)
		return 0;
	return score_key_ok(json_object_get(l->j, "key"),
	    json_object_get(f, "key"));
}

static int
score_main(const char *labels, const char *findings, double min_recall,
    int64_t max_fp, int64_t max_fp_each)
{
	struct score_label *l = NULL;
	size_t		 nl = 0, capl = 0, i;
	json_t		**fs = NULL, *o;
	size_t		 nf = 0, capf = 0, j;
	FILE		*f;
	char		*line = NULL;
	size_t		 linecap = 0;
	json_error_t	 je;
	int64_t		 inj[17] = { 0 }, fnd[17] = { 0 }, tp[17] = { 0 };
	int64_t		 fp[17] = { 0 }, fpt = 0;
	int		 d, rc = SIM_EXIT_OK, any;
	const char	*det, *sev;

	if ((f = fopen(labels, "r")) == NULL)
		return sim_fail("cannot read %s: %s", labels, strerror(errno));
	while (getline(&line, &linecap, f) > 0) {
		if ((o = json_loads(line, 0, &je)) == NULL)
			continue;
		l = intern_grow(l, &capl, nl + 1, sizeof(*l));
		l[nl].j = o;
		l[nl].det = json_string_value(json_object_get(o, "detector"));
		l[nl].from = json_integer_value(json_object_get(o, "first_us"));
		l[nl].to = json_integer_value(json_object_get(o, "last_us"));
		l[nl].found = 0;
		if (l[nl].det == NULL) {
			json_decref(o);
			continue;
		}
		nl++;
	}
	fclose(f);
	if ((f = fopen(findings, "r")) == NULL) {
		rc = sim_fail("cannot read %s: %s", findings, strerror(errno));
		goto out;
	}
	while (getline(&line, &linecap, f) > 0) {
		if ((o = json_loads(line, 0, &je)) == NULL)
			continue;
		if (strcmp(json_string_value(json_object_get(o, "type")) ?
		    json_string_value(json_object_get(o, "type")) : "",
		    "finding") != 0 || (sev = json_string_value(
		    json_object_get(o, "severity"))) == NULL ||
		    strcmp(sev, "info") == 0) {
			json_decref(o);
			continue;
		}
		fs = intern_grow(fs, &capf, nf + 1, sizeof(*fs));
		fs[nf++] = o;
	}
	fclose(f);

	for (i = 0; i < nl; i++) {
		d = atoi(l[i].det + 1);
		if (d < 1 || d > 16)
			continue;
		inj[d]++;
		for (j = 0; j < nf; j++) {
			det = json_string_value(json_object_get(fs[j],
			    "detector"));
			if (det != NULL && score_match(&l[i], fs[j], det, 1)) {
				l[i].found = 1;
				break;
			}
		}
		if (l[i].found)
			fnd[d]++;
	}
	for (j = 0; j < nf; j++) {
		det = json_string_value(json_object_get(fs[j], "detector"));
		if (det == NULL || (d = atoi(det + 1)) < 1 || d > 16)
			continue;
		for (any = 0, i = 0; i < nl && !any; i++)
			any = score_match(&l[i], fs[j], det, 0);
		if (any)
			tp[d]++;
		else {
			fp[d]++;
			fpt++;
		}
	}
	printf("%-4s %-22s %8s %8s %7s %9s %6s %9s\n", "det", "detector",
	    "injected", "found", "recall", "findings", "false+", "precision");
	for (d = 1; d <= 16; d++) {
		static const char *const names[17] = { "", "retry_loop",
		    "ping_pong", "failing_retry_storm", "scope_denials",
		    "auth_failures", "rate_limit", "error_rate_spike",
		    "latency_spike", "unusual_for_principal", "idempotency",
		    "volume_anomaly", "session_integrity", "denial_storm",
		    "policy_invariant", "log_integrity", "fleet_novelty" };
		double	 rec = inj[d] ? (double)fnd[d] / (double)inj[d] : 1;
		double	 prec = tp[d] + fp[d] ? (double)tp[d] /
		    (double)(tp[d] + fp[d]) : 1;

		printf("D%02d  %-22s %8lld %8lld %6.1f%% %9lld %6lld %8.1f%%\n",
		    d, names[d], (long long)inj[d], (long long)fnd[d],
		    100 * rec, (long long)(tp[d] + fp[d]), (long long)fp[d],
		    100 * prec);
		if (inj[d] > 0 && rec < min_recall) {
			printf("# FAIL: D%02d recall %.1f%% < %.1f%%\n", d,
			    100 * rec, 100 * min_recall);
			rc = SIM_EXIT_FAIL;
		}
		if (max_fp_each >= 0 && fp[d] > max_fp_each) {
			printf("# FAIL: D%02d has %lld false positives > %lld\n",
			    d, (long long)fp[d], (long long)max_fp_each);
			rc = SIM_EXIT_FAIL;
		}
	}
	printf("total: %zu incidents, %zu findings (>= low), %lld matching "
	    "no incident\n", nl, nf, (long long)fpt);
	for (i = 0; i < nl; i++)
		if (!l[i].found)
			printf("# missed: incident %lld %s %s at %s\n",
			    (long long)json_integer_value(json_object_get(
			    l[i].j, "id")), l[i].det, json_string_value(
			    json_object_get(l[i].j, "kind")), json_string_value(
			    json_object_get(l[i].j, "first_ts")));
	for (j = 0; j < nf; j++) {
		det = json_string_value(json_object_get(fs[j], "detector"));
		for (any = 0, i = 0; i < nl && !any; i++)
			any = score_match(&l[i], fs[j], det, 0);
		if (!any)
			printf("# false positive: %s/%s %s %s %s\n", det,
			    json_string_value(json_object_get(fs[j], "sub")),
			    json_string_value(json_object_get(fs[j],
			    "severity")), json_string_value(json_object_get(
			    fs[j], "first_ts")), json_string_value(
			    json_object_get(fs[j], "message")));
	}
	if (max_fp >= 0 && fpt > max_fp) {
		printf("# FAIL: %lld false positives > %lld\n", (long long)fpt,
		    (long long)max_fp);
		rc = SIM_EXIT_FAIL;
	}
out:
	for (i = 0; i < nl; i++)
		json_decref(l[i].j);
	for (j = 0; j < nf; j++)
		json_decref(fs[j]);
	free(l);
	free(fs);
	free(line);
	return rc;
}

/* --- main ----------------------------------------------------------------- */

int
simulate_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "rows", required_argument, NULL, 'n' },
		{ "days", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 's' },
		{ "seed", required_argument, NULL, 'S' },
		{ "principals", required_argument, NULL, 'p' },
		{ "incidents", required_argument, NULL, 'i' },
		{ "only", required_argument, NULL, 'O' },
		{ "labels", required_argument, NULL, 'l' },
		{ "write-config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "score", no_argument, NULL, 'x' },
		{ "findings", required_argument, NULL, 'F' },
		{ "min-recall", required_argument, NULL, 'r' },
		{ "max-fp", required_argument, NULL, 'm' },
		{ "max-fp-each", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sim	 s;
	struct timerange tr;
	const char	*out = NULL, *labels = NULL, *cfg = NULL, *findings =
			    NULL, *start = "2025-03-03";
	char		 err[512], **idx = NULL, pragmas[300];
	int		 page_size = 16384;
	size_t		 nidx = 0, i;
	int		 c, force = 0, score = 0, rc = SIM_EXIT_ERR, gen;
	double		 min_recall = 0;
	int64_t		 max_fp = -1, max_fp_each = -1, t0, t1, t2;
	char		*end;

	memset(&s, 0, sizeof(s));
	s.rows = 100000;
	s.days = 35;
	s.seed = 1;
	s.nprinc = 200;
	s.per_kind = 3;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'n':
			s.rows = strtoll(optarg, &end, 10);
			if (*end == 'k')
				s.rows *= 1000;
			else if (*end == 'M')
				s.rows *= 1000000;
			if (s.rows < 1000 || s.rows > 2000000000LL)
				return sim_fail("--rows: 1000 to 2e9");
			break;
		case 'd':
			s.days = strtoll(optarg, NULL, 10);
			if (s.days < 1 || s.days > 3650)
				return sim_fail("--days: 1 to 3650");
			break;
		case 's':
			start = optarg;
			break;
		case 'S':
			s.seed = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			s.nprinc = atoi(optarg);
			if (s.nprinc < 20 || s.nprinc > 5000)
				return sim_fail("--principals: 20 to 5000");
			break;
		case 'i':
			s.per_kind = atoi(optarg);
			if (s.per_kind < 0 || s.per_kind > 50)
				return sim_fail("--incidents: 0 to 50 per kind");
			break;
		case 'O':
			s.only = optarg;
			break;
		case 'l':
			labels = optarg;
			break;
		case 'c':
			cfg = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'P':
			page_size = atoi(optarg);
			if (page_size < 512 || page_size > 65536 ||
			    (page_size & (page_size - 1)) != 0)
				return sim_fail("--page-size: a power of two "
				    "from 512 to 65536");
			break;
		case 'x':
			score = 1;
			break;
		case 'F':
			findings = optarg;
			break;
		case 'r':
			min_recall = strtod(optarg, NULL);
			break;
		case 'm':
			max_fp = strtoll(optarg, NULL, 10);
			break;
		case 'M':
			max_fp_each = strtoll(optarg, NULL, 10);
			break;
		case 'h':
			fputs(sim_usage, stdout);
			return SIM_EXIT_OK;
		default:
			fputs(sim_usage, stderr);
			return SIM_EXIT_ERR;
		}
	}
	if (score) {
		if (labels == NULL || findings == NULL)
			return sim_fail("--score needs --labels and --findings");
		return score_main(labels, findings, min_recall, max_fp,
		    max_fp_each);
	}
	if (out == NULL || optind < argc) {
		fputs(sim_usage, stderr);
		return SIM_EXIT_ERR;
	}
	if (timerange_parse_token(start, 0, 0, &tr, err, sizeof(err)) == -1)
		return sim_fail("--start: %s", err);
	s.start = tr.from_us - tr.from_us % SIM_DAY_US;
	if (access(out, F_OK) == 0) {
		if (!force)
			return sim_fail("%s exists (--force to replace it)",
			    out);
		if (unlink(out) == -1)
			return sim_fail("cannot remove %s: %s", out,
			    strerror(errno));
	}
	sim_seed(&s, s.seed);
	memcpy(s.prev, auditchain_genesis, sizeof(s.prev));
	s.density = (double)s.rows / (double)s.days / (300000.0 / 35);
	if (s.density < 1)
		s.density = 1;
	sim_world(&s);
	sim_incidents(&s);

	t0 = sim_mono();
	if (sqlite3_open_v2(out, &s.db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = sim_fail("cannot create %s: %s", out, s.db ?
		    sqlite3_errmsg(s.db) : "out of memory");
		goto done;
	}
	snprintf(pragmas, sizeof(pragmas), "PRAGMA page_size = %d; PRAGMA "
	    "journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = "
	    "-1048576; PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = "
	    "MEMORY; PRAGMA threads = 2; BEGIN", page_size);
	err[0] = '\0';
	if (sqlite3_exec(s.db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sim_schema(&s, err, sizeof(err)) == -1) {
		rc = sim_fail("%s: %s", out, err[0] ? err :
		    sqlite3_errmsg(s.db));
		goto done;
	}
	err[0] = '\0';
	/*
	 * The column CHECKs with IN lists cost ~10us per INSERT on SQLite
	 * 3.40 (an ephemeral table per statement run): 2/3 of the load.  The
	 * generator writes only valid values, so they are not evaluated
	 * while loading; "PRAGMA integrity_check" checks them afterwards
	 * (the tests do).  The schema keeps them.
	 */
	if (sqlite3_exec(s.db, "PRAGMA ignore_check_constraints = ON", NULL,
	    NULL, NULL) != SQLITE_OK || sim_indexes_take(&s, &idx, &nidx) == -1 ||
	    sqlite3_prepare_v2(s.db, sim_insert, -1, &s.ins, NULL) !=
	    SQLITE_OK) {
		rc = sim_fail("%s: %s", out, sqlite3_errmsg(s.db));
		goto done;
	}
	if (sim_pipe_start(&s, s.ins) == -1) {
		rc = sim_fail("cannot start the writer thread");
		goto done;
	}
	gen = sim_generate(&s);
	if (sim_pipe_finish(&s) == -1 || gen == -1) {
		rc = sim_fail("writing %s: %s", out, sqlite3_errmsg(s.db));
		goto done;
	}
	sqlite3_finalize(s.ins);
	s.ins = NULL;
	t1 = sim_mono();
	for (i = 0; i < nidx; i++)
		if (sqlite3_exec(s.db, idx[i], NULL, NULL, NULL) != SQLITE_OK) {
			rc = sim_fail("rebuilding an index of %s: %s", out,
			    sqlite3_errmsg(s.db));
			goto done;
		}
	if (sqlite3_exec(s.db, "COMMIT; PRAGMA ignore_check_constraints = OFF",
	    NULL, NULL, NULL) != SQLITE_OK) {
		rc = sim_fail("%s: %s", out, sqlite3_errmsg(s.db));
		goto done;
	}
	t2 = sim_mono();
	if (labels != NULL && sim_labels(&s, labels) != 0)
		goto done;
	if (cfg != NULL && sim_config(&s, cfg) != 0)
		goto done;
	fprintf(stderr, "simulate: %lld rows over %lld days, %zu incidents; "
	    "%.2fs (rows %.2fs: hashing %.2fs, inserting %.2fs; indexes "
	    "%.2fs), %.0f rows/s\n", (long long)s.seq, (long long)s.days,
	    s.ninc, (double)(t2 - t0) / 1e6, (double)(t1 - t0) / 1e6,
	    (double)s.hash_us / 1e6, (double)s.insert_us / 1e6,
	    (double)(t2 - t1) / 1e6, (double)s.seq / ((double)(t2 - t0) /
	    1e6));
	rc = SIM_EXIT_OK;
done:
	(void)sim_pipe_finish(&s);
	sqlite3_finalize(s.ins);
	sqlite3_close(s.db);
	for (i = 0; i < nidx; i++)
		free(idx[i]);
	free(idx);
	free(s.p);
	free(s.heap);
	free(s.heapord);
	free(s.mods);
	free(s.inc);
	for (i = 0; i < s.nstrs; i++)
		free(s.strs[i]);
	free(s.strs);
	return rc;
}
