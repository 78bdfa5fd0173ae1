/*
 * detect_novel.c -- first-seen things: D09 a principal calling a tool it
 * has not used in novelty_days (severity by the tool's hints, raised
 * when the call was denied or at an hour the principal is never
 * active), a principal using a new auth method, a principal active at
 * an hour of the week it never was; D16 a tool, an error category of a
 * tool, an auth method or a user-agent family the log has never shown.
 *
 * The memory (detect_novel.h) persists in the state file, so "never"
 * means since the state began, not since the lookback began.  Warm-up:
 * nothing is new until the log has history_days / warmup_days behind it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"
#include "detect.h"
#include "detect_novel.h"

#define DAY_US		(86400LL * 1000000)
#define HOUR_US		(3600LL * 1000000)

static const char *const novel_kinds[DN__MAX] = {
	"tool", "tool_error", "auth_method", "ua_family", "pair",
};

struct novel_seen {
	uint32_t	 a, b;
	uint8_t		 kind, dirty;
	int64_t		 first, last, n;
};

struct novel_prof {
	uint32_t	 principal;
	uint8_t		 dirty, nauth;
	uint32_t	 auth[4];
	int64_t		 first, last, calls;
	int64_t		 new_pair;	/* last time it took up a tool */
	uint8_t		 how[DETECT_HOW_BYTES];
};

struct detect_novel {
	struct intern_map *seen_map;
	struct novel_seen *seen;
	size_t		 capseen;
	struct intern_map *prof_map;
	struct novel_prof *prof;
	size_t		 capprof;
	int64_t		 first;
	int		 persistent;
	uint32_t	*ua_family;	/* by user-agent id: family id + 1 */
	size_t		 capua;
	/* Shortcuts by string id (index + 1) for the per-row look-ups. */
	uint32_t	*byid[DN__MAX];
	size_t		 capbyid[DN__MAX];
	uint32_t	*prof_byid;
	size_t		 capprof_byid;
};

const char *
detect_novel_kind_name(int kind)
{
	return kind >= 0 && kind < DN__MAX ? novel_kinds[kind] : NULL;
}

int
detect_novel_kind_parse(const char *s)
{
	int	 i;

	for (i = 0; i < DN__MAX; i++)
		if (strcmp(s, novel_kinds[i]) == 0)
			return i;
	return -1;
}

struct detect_novel *
detect_novel_new(void)
{
	struct detect_novel *n = intern_xcalloc(1, sizeof(*n));

	n->seen_map = intern_map_new();
	n->prof_map = intern_map_new();
	return n;
}

void
detect_novel_free(struct detect_novel *n)
{
	int	 i;

	if (n == NULL)
		return;
	intern_map_free(n->seen_map);
	intern_map_free(n->prof_map);
	free(n->seen);
	free(n->prof);
	free(n->ua_family);
	for (i = 0; i < DN__MAX; i++)
		free(n->byid[i]);
	free(n->prof_byid);
	free(n);
}

void
detect_novel_persistent(struct detect_ctx *ctx)
{
	ctx->novel->persistent = 1;
}

int64_t
detect_novel_first(const struct detect_ctx *ctx)
{
	return ctx->novel->first;
}

void
detect_novel_set_first(struct detect_ctx *ctx, int64_t ts)
{
	ctx->novel->first = ts;
}

static uint64_t
seen_key(int kind, uint32_t a, uint32_t b)
{
	return detect_mix((uint64_t)kind + 1, INTERN_PAIR(a, b));
}

/* The entry of (kind, a, b), created with n = 0 if absent. */
static struct novel_seen *
seen_get(struct detect_novel *nv, int kind, uint32_t a, uint32_t b)
{
	struct novel_seen *s;
	uint32_t	 i;
	int		 added, direct = b == 0 && kind != DN_PAIR;

	if (direct && a < nv->capbyid[kind] && nv->byid[kind][a] != 0)
		return &nv->seen[nv->byid[kind][a] - 1];
	i = intern_map_get(nv->seen_map, seen_key(kind, a, b), &added);
	if (direct) {
		nv->byid[kind] = intern_grow(nv->byid[kind],
		    &nv->capbyid[kind], (size_t)a + 1, sizeof(uint32_t));
		nv->byid[kind][a] = i + 1;
	}
	nv->seen = intern_grow(nv->seen, &nv->capseen, (size_t)i + 1,
	    sizeof(*nv->seen));
	s = &nv->seen[i];
	if (added) {
		memset(s, 0, sizeof(*s));
		s->kind = (uint8_t)kind;
		s->a = a;
		s->b = b;
	}
	return s;
}

static void
seen_note(struct novel_seen *s, int64_t ts)
{
	if (s->n == 0 || ts < s->first)
		s->first = ts;
	if (ts > s->last)
		s->last = ts;
	s->n++;
	s->dirty = 1;
}

static struct novel_prof *
prof_get(struct detect_novel *nv, uint32_t principal, int *added)
{
	uint32_t	 i;
	struct novel_prof *p;

	if (principal < nv->capprof_byid && nv->prof_byid[principal] != 0) {
		*added = 0;
		return &nv->prof[nv->prof_byid[principal] - 1];
	}
	i = intern_map_get(nv->prof_map, principal, added);
	nv->prof_byid = intern_grow(nv->prof_byid, &nv->capprof_byid,
	    (size_t)principal + 1, sizeof(uint32_t));
	nv->prof_byid[principal] = i + 1;

	nv->prof = intern_grow(nv->prof, &nv->capprof, (size_t)i + 1,
	    sizeof(*nv->prof));
	p = &nv->prof[i];
	if (*added) {
		memset(p, 0, sizeof(*p));
		p->principal = principal;
	}
	return p;
}

void
detect_novel_load(struct detect_ctx *ctx, int kind, const char *a,
    const char *b, int64_t first, int64_t last, int64_t n)
{
	struct novel_seen *s;
	uint32_t	 ia, ib;

	if (kind < 0 || kind >= DN__MAX || a == NULL)
		return;
	ia = intern_id(ctx->str, a, strlen(a));
	ib = b != NULL ? intern_id(ctx->str, b, strlen(b)) : 0;
	s = seen_get(ctx->novel, kind, ia, ib);
	s->first = first;
	s->last = last;
	s->n = n > 0 ? n : 1;
	s->dirty = 0;
}

void
detect_novel_load_principal(struct detect_ctx *ctx, const char *principal,
    int64_t first, int64_t last, int64_t calls, int64_t new_pair,
    const void *how, size_t howlen, const char *auth)
{
	struct novel_prof *p;
	const char	*s, *e;
	int		 added;

	p = prof_get(ctx->novel, intern_id(ctx->str, principal,
	    strlen(principal)), &added);
	p->first = first;
	p->last = last;
	p->calls = calls;
	p->new_pair = new_pair;
	if (how != NULL)
		memcpy(p->how, how, howlen < DETECT_HOW_BYTES ? howlen :
		    DETECT_HOW_BYTES);
	p->nauth = 0;
	for (s = auth; s != NULL && *s != '\0' && p->nauth < 4; s = e) {
		e = strchr(s, ',');
		p->auth[p->nauth++] = intern_id(ctx->str, s, e != NULL ?
		    (size_t)(e - s) : strlen(s));
		if (e != NULL)
			e++;
	}
	p->dirty = 0;
}

void
detect_novel_each(struct detect_ctx *ctx, void (*fn)(void *, int,
    const char *, const char *, int64_t, int64_t, int64_t), void *arg)
{
	struct detect_novel *nv = ctx->novel;
	uint32_t	 i, n = intern_map_count(nv->seen_map);

	for (i = 0; i < n; i++)
		if (nv->seen[i].dirty && nv->seen[i].n > 0)
			fn(arg, nv->seen[i].kind, intern_str(ctx->str,
			    nv->seen[i].a), nv->seen[i].b ?
			    intern_str(ctx->str, nv->seen[i].b) : NULL,
			    nv->seen[i].first, nv->seen[i].last,
			    nv->seen[i].n);
}

void
detect_novel_each_principal(struct detect_ctx *ctx, void (*fn)(void *,
    const char *, int64_t, int64_t, int64_t, int64_t, const void *, size_t,
    const char *), void *arg)
{
	struct detect_novel *nv = ctx->novel;
	struct novel_prof *p;
	uint32_t	 i, n = intern_map_count(nv->prof_map);
	char		 auth[256];
	size_t		 off;
	int		 j, w;

	for (i = 0; i < n; i++) {
		p = &nv->prof[i];
		if (!p->dirty)
			continue;
		auth[0] = '\0';
		for (off = 0, j = 0; j < p->nauth && off < sizeof(auth); j++) {
			w = snprintf(auth + off, sizeof(auth) - off, "%s%s", j ?
			    "," : "", intern_str(ctx->str, p->auth[j]));
			if (w < 0 || (size_t)w >= sizeof(auth) - off)
				break;	/* cut: a profile keeps what fits */
			off += (size_t)w;
		}
		fn(arg, intern_str(ctx->str, p->principal), p->first, p->last,
		    p->calls, p->new_pair, p->how, sizeof(p->how), auth);
	}
}

/* Hour of the week, Monday 00:00 UTC = 0 (1970-01-01 was a Thursday). */
static int
novel_how(int64_t ts)
{
	int64_t	 h = ts / HOUR_US + 72;

	return (int)(((h % 168) + 168) % 168);
}

static int
how_has(const struct novel_prof *p, int h)
{
	h = (h + 168) % 168;
	return (p->how[h / 8] >> (h % 8)) & 1;
}

static int
how_count(const struct novel_prof *p)
{
	int	 i, n = 0;

	uint8_t	 b;

	for (i = 0; i < DETECT_HOW_BYTES; i++)
		for (b = p->how[i]; b != 0; b &= (uint8_t)(b - 1))
			n++;
	return n;
}

/* --- D09 ------------------------------------------------------------------ */

struct d09 {
	struct detect_tab *eps;		/* open findings by pair / hour */
};

struct d09_rec {
	struct detect_rec h;
	struct detect_ep ep;
};

static void *
d09_start(struct detect_ctx *ctx)
{
	struct d09	*d = intern_xcalloc(1, sizeof(*d));

	d->eps = detect_tab_new(sizeof(struct d09_rec));
	return d;
}

static void
d09_free(void *p)
{
	struct d09	*d = p;

	if (d == NULL)
		return;
	detect_tab_free(d->eps);
	free(d);
}

static void
d09_sweep(struct detect_ctx *ctx, void *p, int64_t now)
{
	struct d09	*d = p;

	detect_tab_sweep(d->eps, now - 2 * HOUR_US, NULL, NULL);
}

/* Opens (or continues) a finding of key tag within an hour. */
static struct detect_finding *
d09_episode(struct detect_ctx *ctx, struct d09 *d, uint64_t tag,
    const struct detect_row *r, const char *sub, const struct detect_key *k,
    int *opened)
{
	struct d09_rec	*rec = detect_tab_get(d->eps, tag, NULL);
	struct detect_finding *f;

	rec->h.last_ts = r->ts_us;
	*opened = 0;
	if ((f = detect_ep_current(ctx, &rec->ep, r->ts_us, HOUR_US)) !=
	    NULL) {
		detect_touch(ctx, f, &rec->ep, r);
		return f;
	}
	if (k == NULL)
		return NULL;
	f = detect_open(ctx, &rec->ep, DETECT_D09, sub, k, r, r->seq,
	    r->ts_us);
	detect_touch(ctx, f, &rec->ep, r);
	*opened = 1;
	return f;
}

static void
d09_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct d09	*d = p;
	struct detect_novel *nv = ctx->novel;
	struct novel_prof *pf;
	struct novel_seen *pair, *tool;
	struct detect_finding *f;
	struct detect_key k;
	const struct detect_hint *h;
	enum detect_sev	 sev;
	int		 added, how, eligible, rare, opened, i, known, used;
	int64_t		 age, pair_n, pair_last;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	if (r->principal == 0 || r->auth != DA_OK ||
	    r->auth_method == ctx->id_none)
		return;
	if (!r->is_new && nv->persistent)
		return;		/* learnt by an earlier run */
	pf = prof_get(nv, r->principal, &added);
	if (added || pf->calls == 0)
		pf->first = r->ts_us;
	age = r->ts_us - pf->first;
	how = novel_how(r->ts_us);
	eligible = age >= (int64_t)(DP(ctx, D09_HISTORY_D) * DAY_US) &&
	    pf->calls >= DP(ctx, D09_MIN_CALLS);
	/*
	 * A rare hour: never active then (nor the hour either side), with
	 * enough calls per active hour that an empty hour is unlikely to be
	 * chance (P(0 | Poisson(8)) = 3e-4 per hour of the week).
	 */
	rare = !how_has(pf, how) && !how_has(pf, how - 1) &&
	    !how_has(pf, how + 1) && age >= (int64_t)(DP(ctx, D09_HOUR_D) *
	    DAY_US) && pf->calls >= DP(ctx, D09_HOUR_CALLS);
	used = rare ? how_count(pf) : 0;
	if (rare && (used == 0 || (double)pf->calls / used <
	    DP(ctx, D09_HOUR_RATE)))
		rare = 0;

	if (r->is_new && eligible) {
		/* A new auth method for this principal. */
		for (known = 0, i = 0; i < pf->nauth; i++)
			if (pf->auth[i] == r->auth_method)
				known = 1;
		if (!known && pf->nauth > 0 && r->auth_method != 0) {
			memset(&k, 0, sizeof(k));
			k.principal = r->principal;
			k.auth_method = r->auth_method;
			f = d09_episode(ctx, d, detect_mix(r->principal,
			    detect_mix(r->auth_method, 91)), r,
			    "new_auth_method", &k, &opened);
			if (opened) {
				snprintf(msg, sizeof(msg), "%s authenticated "
				    "with %s for the first time",
				    intern_str(ctx->str, r->principal),
				    intern_str(ctx->str, r->auth_method));
				snprintf(ex, sizeof(ex), "auth methods seen for "
				    "this principal in %lld calls over %.1f "
				    "days: %d, not this one -> medium",
				    (long long)pf->calls, (double)age / DAY_US,
				    pf->nauth);
				detect_raise(ctx, f, DETECT_SEV_MEDIUM, r, 1, 1,
				    0, msg, ex);
			}
		}
		/* An hour of the week this principal never worked. */
		if (rare) {
			memset(&k, 0, sizeof(k));
			k.principal = r->principal;
			k.hour = how + 1;
			f = d09_episode(ctx, d, detect_mix(r->principal,
			    detect_mix((uint64_t)how, 93)), r, "rare_hour",
			    &k, &opened);
			if (opened) {
				snprintf(msg, sizeof(msg), "%s active at an "
				    "hour of the week it never was",
				    intern_str(ctx->str, r->principal));
				snprintf(ex, sizeof(ex), "hour of week %d (and "
				    "the hours either side) unused in %lld "
				    "calls over %.1f days (needs >= %g days, "
				    ">= %g calls); %d active hours, %.1f calls "
				    "each (>= %g) -> low", how,
				    (long long)pf->calls, (double)age / DAY_US,
				    DP(ctx, D09_HOUR_D), DP(ctx, D09_HOUR_CALLS),
				    used, (double)pf->calls / used,
				    DP(ctx, D09_HOUR_RATE));
				detect_raise(ctx, f, DETECT_SEV_LOW, r, 1, 1, 0,
				    msg, ex);
			}
		}
	}

	if (r->is_call && r->code != ctx->id_unknown_tool) {
		/* Copies: seen_get may move the entries. */
		pair = seen_get(nv, DN_PAIR, r->principal, r->tool);
		pair_n = pair->n;
		pair_last = pair->last;
		if (r->is_new && eligible && (pair_n == 0 || r->ts_us -
		    pair_last > (int64_t)(DP(ctx, D09_NOVELTY_D) * DAY_US))) {
			/*
			 * A tool new to the fleet is a rollout (D16); a
			 * principal that took up another tool within
			 * stable_days is still settling into its tools.
			 */
			tool = seen_get(nv, DN_TOOL, r->tool, 0);
			if (tool->n > 0 && r->ts_us - tool->first >=
			    (int64_t)(DP(ctx, D09_ROLLOUT_D) * DAY_US) &&
			    r->ts_us - pf->new_pair >= (int64_t)(DP(ctx,
			    D09_STABLE_D) * DAY_US)) {
				h = detect_hint(ctx, r->tool);
				sev = DETECT_SEV_LOW;
				if (h->configured && (!h->read_only ||
				    h->destructive))
					sev = DETECT_SEV_MEDIUM;
				if (r->decision == DD_DENY || r->category ==
				    ctx->id_authorization || rare)
					sev = DETECT_SEV_HIGH;
				memset(&k, 0, sizeof(k));
				k.principal = r->principal;
				k.tool = r->tool;
				f = d09_episode(ctx, d, detect_mix(
				    r->principal, detect_mix(r->tool, 90)), r,
				    "first_seen_tool", &k, &opened);
				snprintf(msg, sizeof(msg), "%s called %s for the "
				    "first time%s", intern_str(ctx->str,
				    r->principal), intern_str(ctx->str, r->tool),
				    pair_n > 0 ? " in a long while" : "");
				snprintf(ex, sizeof(ex), "(principal, tool) not "
				    "seen in the last %g days; principal has "
				    "%lld calls over %.1f days (needs >= %g days, "
				    ">= %g calls), no new tool for %.1f days (>= "
				    "%g); tool %s%s%s -> %s",
				    DP(ctx, D09_NOVELTY_D), (long long)pf->calls,
				    (double)age / DAY_US, DP(ctx, D09_HISTORY_D),
				    DP(ctx, D09_MIN_CALLS), (double)(r->ts_us -
				    pf->new_pair) / DAY_US, DP(ctx, D09_STABLE_D),
				    !h->configured ?
				    "hints unknown (low)" : h->read_only &&
				    !h->destructive ? "readOnly (low)" :
				    "writes (medium)", r->decision == DD_DENY ||
				    r->category == ctx->id_authorization ?
				    "; the call was denied (high)" : "", rare ?
				    "; at an hour the principal never works "
				    "(high)" : "", detect_sev_name(sev));
				if (f != NULL)
					detect_raise(ctx, f, sev, r, 1, 1, 0,
					    msg, ex);
			}
		} else if (r->is_new)
			(void)d09_episode(ctx, d, detect_mix(r->principal,
			    detect_mix(r->tool, 90)), r, NULL, NULL, &opened);
		if (pair_n == 0)
			pf->new_pair = r->ts_us;
		seen_note(seen_get(nv, DN_PAIR, r->principal, r->tool),
		    r->ts_us);
		if (ctx->priv[DETECT_D16] == NULL)
			seen_note(seen_get(nv, DN_TOOL, r->tool, 0), r->ts_us);
	}

	/* Learn. */
	pf->calls++;
	if (r->ts_us > pf->last)
		pf->last = r->ts_us;
	pf->how[how / 8] |= (uint8_t)(1u << (how % 8));
	for (known = 0, i = 0; i < pf->nauth; i++)
		if (pf->auth[i] == r->auth_method)
			known = 1;
	if (!known && r->auth_method != 0 && pf->nauth < 4)
		pf->auth[pf->nauth++] = r->auth_method;
	pf->dirty = 1;
}

/* --- D16 ------------------------------------------------------------------ */

static void *
d16_start(struct detect_ctx *ctx)
{
	return intern_xcalloc(1, 1);
}

static void
d16_free(void *p)
{
	free(p);
}

/* The product token of a user agent: "claude-code/1.2 (x)" -> "claude-code". */
static uint32_t
d16_family(struct detect_ctx *ctx, uint32_t ua)
{
	struct detect_novel *nv = ctx->novel;
	const char	*s;
	size_t		 n;

	if (ua < nv->capua && nv->ua_family[ua] != 0)
		return nv->ua_family[ua] - 1;
	nv->ua_family = intern_grow(nv->ua_family, &nv->capua, (size_t)ua + 1,
	    sizeof(*nv->ua_family));
	s = intern_str(ctx->str, ua);
	n = strcspn(s, "/ ;(");
	if (n == 0)
		n = strlen(s);
	nv->ua_family[ua] = intern_id(ctx->str, s, n) + 1;
	return nv->ua_family[ua] - 1;
}

/*
 * Error categories that say the server or its upstream broke in a way
 * the tool never did: "internal", and names mcpgate does not define.
 * Caller-side categories (validation, not_found, conflict, rate_limited,
 * authorization) and transient upstream errors come to every tool in
 * time and are not news (docs/scan.md, D16).
 */
static int
d16_server_side(struct detect_ctx *ctx, uint32_t cat)
{
	static const char *const known[] = { "validation", "authorization",
	    "not_found", "conflict", "rate_limited", "transient",
	    "authentication", "protocol" };
	const char	*s = intern_str(ctx->str, cat);
	size_t		 i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i]) == 0)
			return 0;
	return 1;
}

static void
d16_new(struct detect_ctx *ctx, const struct detect_row *r, const char *sub,
    const struct detect_key *k, enum detect_sev sev, const char *what,
    int64_t hist)
{
	struct detect_finding *f;
	char		 msg[DETECT_MSG_LEN], ex[DETECT_EXPLAIN_LEN];

	f = detect_open(ctx, NULL, DETECT_D16, sub, k, r, r->seq, r->ts_us);
	f->count = 1;
	detect_sample(f, r->seq);
	snprintf(msg, sizeof(msg), "first %s in the log's history", what);
	snprintf(ex, sizeof(ex), "not seen in %.1f days of history (reported "
	    "once the log has >= %g days) -> %s", (double)hist / DAY_US,
	    DP(ctx, D16_WARMUP_D), detect_sev_name(sev));
	detect_raise(ctx, f, sev, r, 1, 1, 0, msg, ex);
}

static void
d16_row(struct detect_ctx *ctx, void *p, const struct detect_row *r)
{
	struct detect_novel *nv = ctx->novel;
	struct novel_seen *s;
	struct detect_key k;
	int64_t		 hist;
	int		 warm, report;
	uint32_t	 fam;
	char		 what[160];

	if (!r->is_new && nv->persistent)
		return;
	if (nv->first == 0 || r->ts_us < nv->first)
		nv->first = r->ts_us;
	hist = r->ts_us - nv->first;
	warm = hist >= (int64_t)(DP(ctx, D16_WARMUP_D) * DAY_US);
	report = warm && r->is_new;

	/* Unknown tool names are D14's (probing), not a new tool. */
	if (r->tool != 0 && r->code != ctx->id_unknown_tool &&
	    r->decision != DD_DENY) {
		s = seen_get(nv, DN_TOOL, r->tool, 0);
		if (s->n == 0 && report) {
			memset(&k, 0, sizeof(k));
			k.tool = r->tool;
			snprintf(what, sizeof(what), "call of tool %s",
			    intern_str(ctx->str, r->tool));
			d16_new(ctx, r, "new_tool", &k, DETECT_SEV_LOW, what,
			    hist);
		}
		seen_note(s, r->ts_us);
		if (r->outcome != DO_OK && r->category != 0 &&
		    d16_server_side(ctx, r->category)) {
			s = seen_get(nv, DN_TOOL_ERROR, r->tool, r->category);
			if (s->n == 0 && report) {
				memset(&k, 0, sizeof(k));
				k.tool = r->tool;
				k.category = r->category;
				snprintf(what, sizeof(what), "%s error of tool "
				    "%s", intern_str(ctx->str, r->category),
				    intern_str(ctx->str, r->tool));
				d16_new(ctx, r, "new_error_category", &k,
				    DETECT_SEV_LOW, what, hist);
			}
			seen_note(s, r->ts_us);
		}
	}
	if (r->auth_method != 0) {
		s = seen_get(nv, DN_AUTH, r->auth_method, 0);
		if (s->n == 0 && report) {
			memset(&k, 0, sizeof(k));
			k.auth_method = r->auth_method;
			snprintf(what, sizeof(what), "request with auth method "
			    "%s", intern_str(ctx->str, r->auth_method));
			d16_new(ctx, r, "new_auth_method", &k,
			    DETECT_SEV_MEDIUM, what, hist);
		}
		seen_note(s, r->ts_us);
	}
	if (r->ua != 0) {
		fam = d16_family(ctx, r->ua);
		s = seen_get(nv, DN_UA, fam, 0);
		if (s->n == 0 && report) {
			memset(&k, 0, sizeof(k));
			k.ua = fam;
			snprintf(what, sizeof(what), "request from user agent "
			    "%s", intern_str(ctx->str, fam));
			d16_new(ctx, r, "new_user_agent", &k, DETECT_SEV_INFO,
			    what, hist);
		}
		seen_note(s, r->ts_us);
	}
}

const struct detect_ops detect_novel_ops[2] = {
	{ DETECT_D09, d09_start, d09_row, NULL, d09_sweep, d09_free },
	{ DETECT_D16, d16_start, d16_row, NULL, NULL, d16_free },
};
