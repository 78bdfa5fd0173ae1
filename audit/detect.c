/*
 * detect.c -- the detector engine: the thresholds table, findings and
 * their episodes, per-key hash tables, timestamp rings, robust
 * statistics, and the loop that hands each row to every enabled
 * detector and closes 15-minute buckets as the clock passes them.
 *
 * Knows nothing of SQLite, the state file or output formats.  Memory:
 * per-key records live in tables that are swept of idle keys every
 * minute of log time, so a scan's footprint follows the number of keys
 * active in the longest window, not the number of rows.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "intern.h"
#include "detect.h"
#include "detect_novel.h"

/*
 * Idle keys are swept every ten minutes of log time: often enough to
 * bound memory by the keys of the longest window, rarely enough that
 * compacting the tables costs nothing per row.
 */
#define DETECT_SWEEP_US		(600LL * 1000000)
#define DETECT_MAX_TICKS	(2 * 4 * DETECT_WEEK_BUCKETS)

static const char *const detect_sev_names[DETECT_SEV__MAX] = {
	"none", "info", "low", "medium", "high", "critical",
};

static const char *const detect_codes[DETECT__MAX] = {
	"D01", "D02", "D03", "D04", "D05", "D06", "D07", "D08",
	"D09", "D10", "D11", "D12", "D13", "D14", "D15", "D16",
};

static const char *const detect_titles[DETECT__MAX] = {
	"retry_loop", "ping_pong", "failing_retry_storm", "scope_denials",
	"auth_failures", "rate_limit", "error_rate_spike", "latency_spike",
	"unusual_for_principal", "idempotency", "volume_anomaly",
	"session_integrity", "denial_storm", "policy_invariant",
	"log_integrity", "fleet_novelty",
};

const struct detect_param_info detect_params[DP__MAX] = {
#define DETECT_X(e, d, n, v, doc)	{ d, n, v, doc },
	DETECT_PARAMS(DETECT_X)
#undef DETECT_X
};

const char *
detect_sev_name(enum detect_sev s)
{
	if ((unsigned int)s >= DETECT_SEV__MAX)
		return "none";
	return detect_sev_names[s];
}

int
detect_sev_parse(const char *s)
{
	int	 i;

	if (strcmp(s, "warning") == 0)
		return DETECT_SEV_LOW;
	for (i = DETECT_SEV_INFO; i < DETECT_SEV__MAX; i++)
		if (strcmp(s, detect_sev_names[i]) == 0)
			return i;
	return -1;
}

const char *
detect_code(enum detect_id d)
{
	return (unsigned int)d < DETECT__MAX ? detect_codes[d] : "D??";
}

const char *
detect_title(enum detect_id d)
{
	return (unsigned int)d < DETECT__MAX ? detect_titles[d] : "unknown";
}

int
detect_parse_code(const char *s)
{
	int	 i;

	if (s == NULL || (s[0] != 'D' && s[0] != 'd'))
		return -1;
	for (i = 0; i < DETECT__MAX; i++)
		if (strcmp(s + 1, detect_codes[i] + 1) == 0)
			return i;
	return -1;
}

int
detect_param_find(enum detect_id det, const char *name)
{
	int	 i;

	for (i = 0; i < DP__MAX; i++)
		if (detect_params[i].det == det &&
		    strcmp(detect_params[i].name, name) == 0)
			return i;
	return -1;
}

enum detect_sev
detect_sev_up(enum detect_sev s, enum detect_sev cap)
{
	if (s >= cap)
		return s;
	return s + 1 > cap ? cap : s + 1;
}

enum detect_sev
detect_sev_down(enum detect_sev s)
{
	return s > DETECT_SEV_INFO ? s - 1 : DETECT_SEV_INFO;
}

/* --- tables --------------------------------------------------------------- */

struct detect_tab {
	size_t		 recsize;
	unsigned char	*recs;		/* n records of recsize bytes */
	size_t		 n, cap;
	uint64_t	*slots;		/* TAB_SLOT(); 0 empty, TAB_TOMB */
	size_t		 nslots;	/* power of two */
	size_t		 ntomb;		/* TAB_TOMB slots */
};

/*
 * A slot: the record's index + 1 in the low 32 bits, the high half of the
 * key's hash in the high 32, so a probe past another key rarely has to
 * touch that key's record (a cache miss in a large table).
 */
#define TAB_SLOT(i, h)	(((uint64_t)(i) + 1) | ((uint64_t)(h) >> 32) << 32)
#define TAB_IDX(s)	((size_t)((s) & UINT32_MAX) - 1)
#define TAB_TAG(h)	((uint64_t)(h) >> 32)
/*
 * A dropped record's slot, so that a sweep need not rebuild the table:
 * probes pass it, an insert may reuse it.  Its index part (UINT32_MAX)
 * is no record's (detect_tab_get stops below), but its tag may match a
 * key's, so probes test for it before using the index.
 */
#define TAB_TOMB	UINT64_MAX

uint64_t
detect_mix(uint64_t a, uint64_t b)
{
	uint64_t x = a ^ (b + UINT64_C(0x9e3779b97f4a7c15) + (a << 6) +
	    (a >> 2));

	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static size_t
tab_hash(uint64_t key)
{
	return (size_t)detect_mix(key, 0);
}

struct detect_tab *
detect_tab_new(size_t recsize)
{
	struct detect_tab *t = intern_xcalloc(1, sizeof(*t));

	t->recsize = (recsize + 7) & ~(size_t)7;
	t->nslots = 256;
	t->slots = intern_xcalloc(t->nslots, sizeof(*t->slots));
	return t;
}

void
detect_tab_free(struct detect_tab *t)
{
	if (t == NULL)
		return;
	free(t->recs);
	free(t->slots);
	free(t);
}

static void
tab_rebuild(struct detect_tab *t, size_t nslots)
{
	size_t	 i, j, h;
	struct detect_rec *r;

	/* the same size: clear in place (a large calloc maps fresh pages) */
	if (nslots == t->nslots && t->slots != NULL)
		memset(t->slots, 0, nslots * sizeof(*t->slots));
	else {
		free(t->slots);
		t->nslots = nslots;
		t->slots = intern_xcalloc(nslots, sizeof(*t->slots));
	}
	t->ntomb = 0;
	for (i = 0; i < t->n; i++) {
		r = (struct detect_rec *)(t->recs + i * t->recsize);
		h = tab_hash(r->key);
		j = h & (nslots - 1);
		while (t->slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		t->slots[j] = TAB_SLOT(i, h);
	}
}

void *
detect_tab_find(struct detect_tab *t, uint64_t key)
{
	size_t		 h = tab_hash(key), j = h & (t->nslots - 1);
	uint64_t	 s;
	struct detect_rec *r;

	while ((s = t->slots[j]) != 0) {
		if (s >> 32 == TAB_TAG(h) && s != TAB_TOMB) {
			r = (struct detect_rec *)(t->recs + TAB_IDX(s) *
			    t->recsize);
			if (r->key == key)
				return r;
		}
		j = (j + 1) & (t->nslots - 1);
	}
	return NULL;
}

void *
detect_tab_get(struct detect_tab *t, uint64_t key, int *added)
{
	size_t		 h = tab_hash(key), j = h & (t->nslots - 1);
	size_t		 tomb = SIZE_MAX;
	uint64_t	 s;
	struct detect_rec *r;

	if (added != NULL)
		*added = 0;
	while ((s = t->slots[j]) != 0) {
		if (s == TAB_TOMB) {
			if (tomb == SIZE_MAX)
				tomb = j;
		} else if (s >> 32 == TAB_TAG(h)) {
			r = (struct detect_rec *)(t->recs + TAB_IDX(s) *
			    t->recsize);
			if (r->key == key)
				return r;
		}
		j = (j + 1) & (t->nslots - 1);
	}
	if (tomb != SIZE_MAX) {
		j = tomb;
		t->ntomb--;
	}
	if (t->n >= UINT32_MAX - 1) {
		fputs("mcpgate-audit: too many keys\n", stderr);
		exit(3);
	}
	t->recs = intern_grow(t->recs, &t->cap, t->n + 1, t->recsize);
	r = (struct detect_rec *)(t->recs + t->n * t->recsize);
	memset(r, 0, t->recsize);
	r->key = key;
	t->slots[j] = TAB_SLOT(t->n, h);
	t->n++;
	if (added != NULL)
		*added = 1;
	if ((t->n + t->ntomb) * 2 > t->nslots)
		tab_rebuild(t, t->n * 3 > t->nslots ? t->nslots * 2 :
		    t->nslots);
	return r;
}

/* The slot of record idx (key key), which is in the table. */
static size_t
tab_slot_of(const struct detect_tab *t, uint64_t key, size_t idx)
{
	size_t	 j = tab_hash(key) & (t->nslots - 1);

	while (t->slots[j] == 0 || t->slots[j] == TAB_TOMB ||
	    TAB_IDX(t->slots[j]) != idx)
		j = (j + 1) & (t->nslots - 1);
	return j;
}

/*
 * The last record fills the place of a dropped one, so a sweep copies
 * one record per drop at most (records are up to 2.5 KiB: sliding every
 * survivor down cost more than the rest of the sweep), and the dropped
 * key's slot becomes a tombstone instead of the whole table being
 * rebuilt.  The order of records is therefore not kept; only
 * detect_tab_at sees it, and the one table iterated (D08's) is never
 * swept.
 */
void
detect_tab_sweep(struct detect_tab *t, int64_t before,
    int (*keep)(void *, void *), void *arg)
{
	size_t	 i = 0, n = t->n, j;
	struct detect_rec *r, *last;

	while (i < n) {
		r = (struct detect_rec *)(t->recs + i * t->recsize);
		if (r->last_ts >= before || (keep != NULL && keep(r, arg))) {
			i++;
			continue;
		}
		/* drop r; the last record takes its place, checked next */
		t->slots[tab_slot_of(t, r->key, i)] = TAB_TOMB;
		t->ntomb++;
		if (i != --n) {
			last = (struct detect_rec *)(t->recs + n * t->recsize);
			j = tab_slot_of(t, last->key, n);
			t->slots[j] = (t->slots[j] & ~(uint64_t)UINT32_MAX) |
			    ((uint64_t)i + 1);
			memcpy(r, last, t->recsize);
		}
	}
	if (n == t->n)
		return;
	t->n = n;
	if (t->nslots > 256 && t->n * 8 < t->nslots)
		tab_rebuild(t, t->nslots / 2);
	else if ((t->n + t->ntomb) * 2 > t->nslots)
		tab_rebuild(t, t->nslots);
}

size_t
detect_tab_count(const struct detect_tab *t)
{
	return t->n;
}

void *
detect_tab_at(struct detect_tab *t, size_t i)
{
	return t->recs + i * t->recsize;
}

/* --- rings ---------------------------------------------------------------- */

void
detect_ring_push(struct detect_ring *g, int cap, int64_t ts, int64_t seq)
{
	g->ts[g->head] = ts;
	g->seq[g->head] = seq;
	g->head = (uint16_t)((g->head + 1) % cap);
	if (g->n < cap)
		g->n++;
}

static int
ring_idx(const struct detect_ring *g, int cap, int k)
{
	return ((int)g->head - 1 - k + 2 * cap) % cap;
}

int64_t
detect_ring_ts(const struct detect_ring *g, int cap, int k)
{
	return g->ts[ring_idx(g, cap, k)];
}

int64_t
detect_ring_seq(const struct detect_ring *g, int cap, int k)
{
	return g->seq[ring_idx(g, cap, k)];
}

int
detect_ring_count(const struct detect_ring *g, int cap, int64_t since)
{
	int	 k, c = 0;

	for (k = 0; k < g->n; k++)
		if (detect_ring_ts(g, cap, k) >= since)
			c++;
	return c;
}

/* --- statistics ----------------------------------------------------------- */

/* Quickselect (Hoare): puts the k-th smallest at v[k], smaller before. */
static double
dbl_select(double *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, i, j, kk = (ptrdiff_t)k;
	double	 pivot, t;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

double
detect_median(double *v, size_t n)
{
	double	 hi, lo;
	size_t	 i;

	if (n == 0)
		return 0;
	hi = dbl_select(v, n, n / 2);
	if (n % 2)
		return hi;
	/* The lower middle is the largest of the lower part. */
	lo = v[0];
	for (i = 1; i < n / 2; i++)
		if (v[i] > lo)
			lo = v[i];
	return (lo + hi) / 2;
}

double
detect_mad(const double *v, size_t n, double med, double *tmp)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		tmp[i] = fabs(v[i] - med);
	return detect_median(tmp, n);
}

/* Quickselect (Hoare): the k-th smallest of v[0..n). */
static uint32_t
u32_select(uint32_t *v, size_t n, size_t k)
{
	ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, i, j, kk = (ptrdiff_t)k;
	uint32_t pivot, t;

	while (lo < hi) {
		pivot = v[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		}
		if (kk <= j)
			hi = j;
		else if (kk >= i)
			lo = i;
		else
			break;
	}
	return v[k];
}

double
detect_quantile(uint32_t *v, size_t n, double q)
{
	size_t	 k;

	if (n == 0)
		return 0;
	k = (size_t)ceil(q * (double)n);
	k = k == 0 ? 0 : k - 1;
	if (k >= n)
		k = n - 1;
	return (double)u32_select(v, n, k);
}

double
detect_wilson_lower(double k, double n)
{
	const double z = 1.96;
	double	 p, d, c;

	if (n <= 0)
		return 0;
	p = k / n;
	d = 1 + z * z / n;
	c = p + z * z / (2 * n);
	return (c - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / d;
}

double
detect_poisson_tail(double k, double lambda)
{
	double	 sum = 0, term, i;

	if (k <= 0)
		return 1;
	if (lambda <= 0)
		return 0;
	/* Sum the pmf from k upwards until the terms vanish. */
	for (i = ceil(k); i < ceil(k) + 1000; i++) {
		term = exp(-lambda + i * log(lambda) - lgamma(i + 1));
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum > 1 ? 1 : sum;
}

/* --- findings ------------------------------------------------------------- */

struct detect_finding *
detect_ep_finding(struct detect_ctx *ctx, const struct detect_ep *ep)
{
	return ep != NULL && ep->f != 0 ? &ctx->f[ep->f - 1] : NULL;
}

struct detect_finding *
detect_ep_current(struct detect_ctx *ctx, struct detect_ep *ep, int64_t ts,
    int64_t quiet_us)
{
	if (ep->f == 0)
		return NULL;
	if (ts - ep->last_ts > quiet_us) {
		ep->f = 0;
		return NULL;
	}
	return &ctx->f[ep->f - 1];
}

struct detect_finding *
detect_open(struct detect_ctx *ctx, struct detect_ep *ep, enum detect_id det,
    const char *sub, const struct detect_key *key, const struct detect_row *r,
    int64_t start_seq, int64_t start_ts)
{
	struct detect_finding *f;

	ctx->f = intern_grow(ctx->f, &ctx->capf, ctx->nf + 1, sizeof(*f));
	f = &ctx->f[ctx->nf++];
	memset(f, 0, sizeof(*f));
	f->det = det;
	f->sub = sub;
	if (key != NULL)
		f->key = *key;
	f->start_seq = start_seq;
	f->first_ts = start_ts;
	f->trigger_seq = r->seq;
	f->trigger_ts = r->ts_us;
	f->last_seq = r->seq;
	f->last_ts = r->ts_us;
	f->sev = DETECT_SEV_NONE;
	f->sev_ctx = DETECT_SEV_NONE;
	detect_fingerprint(ctx, f);
	if (ep != NULL) {
		ep->f = (uint32_t)ctx->nf;
		ep->last_ts = r->ts_us;
	}
	ctx->counts[det]++;
	return f;
}

void
detect_sample(struct detect_finding *f, int64_t seq)
{
	int	 i;

	for (i = 0; i < f->nsamples; i++)
		if (f->samples[i] == seq)
			return;
	if (f->nsamples < DETECT_SAMPLES)
		f->samples[f->nsamples++] = seq;
}

void
detect_touch(struct detect_ctx *ctx, struct detect_finding *f,
    struct detect_ep *ep, const struct detect_row *r)
{
	f->count++;
	if (r->seq > f->last_seq)
		f->last_seq = r->seq;
	if (r->ts_us > f->last_ts)
		f->last_ts = r->ts_us;
	if (ep != NULL)
		ep->last_ts = r->ts_us;
	detect_sample(f, r->seq);
}

int
detect_raise(struct detect_ctx *ctx, struct detect_finding *f,
    enum detect_sev sev, const struct detect_row *r, double observed,
    double threshold, int64_t window_s, const char *msg, const char *explain)
{
	if (sev <= f->sev)
		return 0;
	f->sev = sev;
	if (!r->is_new)
		f->sev_ctx = sev;
	else if (r->seq > f->trigger_seq)
		f->escalate_seq = r->seq;
	f->observed = observed;
	f->threshold = threshold;
	f->window_s = window_s;
	snprintf(f->msg, sizeof(f->msg), "%s", msg);
	snprintf(f->explain, sizeof(f->explain), "%s", explain);
	return 1;
}

int
detect_finding_reportable(const struct detect_ctx *ctx,
    const struct detect_finding *f)
{
	if (f->sev == DETECT_SEV_NONE || f->attributed)
		return 0;
	if (f->trigger_seq > ctx->wm_seq)
		return 1;
	return f->escalate_seq > ctx->wm_seq && f->sev > f->sev_ctx;
}

/* --- keys ----------------------------------------------------------------- */

struct key_buf {
	char	*buf;
	size_t	 len, off;
};

static void
key_text_one(void *arg, const char *name, const char *value)
{
	struct key_buf	*k = arg;
	const char	*p;
	int		 quote = 0, n;

	if (k->off >= k->len)
		return;
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == '"' || *p == 0x7f)
			quote = 1;
	n = snprintf(k->buf + k->off, k->len - k->off, "%s%s=%s", k->off ?
	    " " : "", name, quote ? "\"" : "");
	if (n < 0)
		return;
	k->off += (size_t)n;
	for (p = value; *p != '\0' && k->off + 2 < k->len; p++)
		k->buf[k->off++] = (unsigned char)*p < ' ' || *p == 0x7f ||
		    *p == '"' ? '?' : *p;
	if (quote && k->off + 1 < k->len)
		k->buf[k->off++] = '"';
	if (k->off >= k->len)
		k->off = k->len - 1;
	k->buf[k->off] = '\0';
}

void
detect_key_each(const struct detect_ctx *ctx, const struct detect_key *k,
    void (*fn)(void *, const char *, const char *), void *arg)
{
	char	 b[24];

	if (k->series != NULL)
		fn(arg, "series", k->series);
	if (k->klass != NULL)
		fn(arg, "class", k->klass);
	if (k->principal)
		fn(arg, "principal", intern_str(ctx->str, k->principal));
	if (k->key_id)
		fn(arg, "key_id", intern_str(ctx->str, k->key_id));
	if (k->client)
		fn(arg, "client_addr", intern_str(ctx->str, k->client));
	if (k->tool)
		fn(arg, "tool", intern_str(ctx->str, k->tool));
	if (k->auth_method)
		fn(arg, "auth_method", intern_str(ctx->str, k->auth_method));
	if (k->category)
		fn(arg, "error_category", intern_str(ctx->str, k->category));
	if (k->host)
		fn(arg, "host_id", intern_str(ctx->str, k->host));
	if (k->ua)
		fn(arg, "user_agent", intern_str(ctx->str, k->ua));
	if (k->session) {
		snprintf(b, sizeof(b), "%016llx", (unsigned long long)
		    k->session);
		fn(arg, "session", b);
	}
	if (k->args) {
		snprintf(b, sizeof(b), "%016llx", (unsigned long long)k->args);
		fn(arg, "args_digest", b);
	}
	if (k->idem) {
		snprintf(b, sizeof(b), "%016llx", (unsigned long long)k->idem);
		fn(arg, "idem_key", b);
	}
	if (k->hour) {
		static const char *const days[7] = { "Mon", "Tue", "Wed",
		    "Thu", "Fri", "Sat", "Sun" };
		snprintf(b, sizeof(b), "%s %02d:00Z", days[(k->hour - 1) / 24 %
		    7], (k->hour - 1) % 24);
		fn(arg, "hour", b);
	}
}

char *
detect_key_text(const struct detect_ctx *ctx, const struct detect_key *k,
    char *buf, size_t len)
{
	struct key_buf	 kb = { buf, len, 0 };

	if (len == 0)
		return buf;
	buf[0] = '\0';
	detect_key_each(ctx, k, key_text_one, &kb);
	return buf;
}

void
detect_fingerprint(const struct detect_ctx *ctx, struct detect_finding *f)
{
	char	 key[512], buf[700], hex[DIGEST_HEX_LEN + 1];
	int	 n;

	detect_key_text(ctx, &f->key, key, sizeof(key));
	n = snprintf(buf, sizeof(buf), "%s\x1f%s\x1f%s\x1f%lld",
	    detect_code(f->det), f->sub != NULL ? f->sub : "", key,
	    (long long)f->start_seq);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	digest_sha256_hex(buf, (size_t)n, hex);
	memcpy(f->fp, hex, 16);
	f->fp[16] = '\0';
}

/* --- the context ---------------------------------------------------------- */

static const struct detect_ops *const *
detect_registry(void)
{
	static const struct detect_ops *all[DETECT__MAX];
	static int	 done;
	static const struct { const struct detect_ops *ops; size_t n; }
	    groups[] = {
		{ detect_loop_ops, 3 }, { detect_access_ops, 3 },
		{ detect_rate_ops, 2 }, { detect_stats_ops, 3 },
		{ detect_novel_ops, 2 }, { detect_session_ops, 1 },
		{ detect_policy_ops, 2 },
	};
	size_t	 g, i;

	if (!done) {
		for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
			for (i = 0; i < groups[g].n; i++)
				all[groups[g].ops[i].id] = &groups[g].ops[i];
		done = 1;
	}
	return all;
}

struct detect_ctx *
detect_ctx_new(struct intern *str)
{
	struct detect_ctx *ctx = intern_xcalloc(1, sizeof(*ctx));
	int	 i;

	ctx->str = str;
	for (i = 0; i < DP__MAX; i++)
		ctx->p[i] = detect_params[i].def;
	for (i = 0; i < DETECT__MAX; i++)
		ctx->enabled[i] = 1;
#define ID(s)	intern_id(str, s, strlen(s))
	ctx->id_call = ID("tools/call");
	ctx->id_init = ID("initialize");
	ctx->id_none = ID("none");
	ctx->id_authentication = ID("authentication");
	ctx->id_authorization = ID("authorization");
	ctx->id_rate_limited = ID("rate_limited");
	ctx->id_conflict = ID("conflict");
	ctx->id_validation = ID("validation");
	ctx->id_not_found = ID("not_found");
	ctx->id_unknown_tool = ID("unknown_tool");
	ctx->id_protocol = ID("protocol");
	ctx->id_internal = ID("internal");
	ctx->id_transient = ID("transient");
#undef ID
	ctx->novel = detect_novel_new();
	ctx->recent = detect_tab_new(sizeof(struct detect_rec));
	return ctx;
}

void
detect_ctx_free(struct detect_ctx *ctx)
{
	const struct detect_ops *const *all = detect_registry();
	int	 i;

	if (ctx == NULL)
		return;
	for (i = 0; i < DETECT__MAX; i++)
		if (ctx->priv[i] != NULL && all[i]->free != NULL)
			all[i]->free(ctx->priv[i]);
	detect_novel_free(ctx->novel);
	detect_tab_free(ctx->recent);
	free(ctx->hints);
	free(ctx->net);
	free(ctx->f);
	free(ctx);
}

const struct detect_hint *
detect_hint(struct detect_ctx *ctx, uint32_t tool)
{
	static const struct detect_hint none;

	if (tool >= ctx->nhints)
		return &none;
	return &ctx->hints[tool];
}

void
detect_hint_set(struct detect_ctx *ctx, uint32_t tool,
    const struct detect_hint *h)
{
	ctx->hints = intern_grow(ctx->hints, &ctx->nhints, (size_t)tool + 1,
	    sizeof(*ctx->hints));
	ctx->hints[tool] = *h;
}

uint64_t
detect_net(struct detect_ctx *ctx, uint32_t client)
{
	unsigned char	 a[16];
	const char	*s;
	uint64_t	 v = 0;
	size_t		 i;

	if (client == 0)
		return 0;
	if (client < ctx->capnet && ctx->net[client] != 0)
		return ctx->net[client];
	ctx->net = intern_grow(ctx->net, &ctx->capnet, (size_t)client + 1,
	    sizeof(*ctx->net));
	s = intern_str(ctx->str, client);
	if (s != NULL && inet_pton(AF_INET, s, a) == 1)
		v = ((uint64_t)4 << 56) | ((uint64_t)a[0] << 16) |
		    ((uint64_t)a[1] << 8) | a[2];
	else if (s != NULL && inet_pton(AF_INET6, s, a) == 1) {
		for (i = 0; i < 8; i++)
			v = v << 8 | a[i];
		v = detect_mix(v, 6);
	} else
		v = detect_mix(client, 0xff);
	if (v == 0)
		v = 1;
	ctx->net[client] = v;
	return v;
}

void
detect_start(struct detect_ctx *ctx)
{
	const struct detect_ops *const *all = detect_registry();
	int	 i;

	for (i = 0; i < DETECT__MAX; i++)
		if (ctx->enabled[i] && all[i]->start != NULL)
			ctx->priv[i] = all[i]->start(ctx);
}

static void
detect_tick_all(struct detect_ctx *ctx, int64_t bucket,
    const struct detect_row *r)
{
	const struct detect_ops *const *all = detect_registry();
	int	 i;

	for (i = 0; i < DETECT__MAX; i++)
		if (ctx->priv[i] != NULL && all[i]->tick != NULL)
			all[i]->tick(ctx, ctx->priv[i], bucket, r);
}

uint64_t
detect_caller(const struct detect_row *r)
{
	if (r->session != 0)
		return detect_mix(r->session, 1);
	return detect_mix(detect_mix(r->principal, r->client), r->ua);
}

void
detect_feed(struct detect_ctx *ctx, struct detect_row *r)
{
	const struct detect_ops *const *all = detect_registry();
	struct detect_rec *rec;
	int64_t	 b, x;
	int	 i, added;

	/* A retry: the same call by the same caller within a minute. */
	if (r->is_call && r->args != 0) {
		rec = detect_tab_get(ctx->recent, detect_mix(detect_mix(
		    detect_caller(r), r->principal), detect_mix(r->tool,
		    r->args)), &added);
		r->repeat = !added && r->ts_us - rec->last_ts <= 60000000;
		rec->last_ts = r->ts_us;
	}

	ctx->rows++;
	if (r->is_new)
		ctx->rows_new++;
	ctx->last_seq = r->seq;
	if (ctx->first_ts == 0)
		ctx->first_ts = r->ts_us;
	if (r->ts_us > ctx->clock_us) {
		b = r->ts_us / DETECT_BUCKET_US;
		if (ctx->clock_us != 0 && b > ctx->bucket) {
			x = ctx->bucket;
			if (b - x > DETECT_MAX_TICKS)
				x = b - DETECT_MAX_TICKS;
			for (; x < b; x++)
				detect_tick_all(ctx, x, r);
		}
		ctx->bucket = b;
		ctx->clock_us = r->ts_us;
	}
	if (ctx->clock_us >= ctx->next_sweep) {
		detect_tab_sweep(ctx->recent, ctx->clock_us - 60000000, NULL,
		    NULL);
		for (i = 0; i < DETECT__MAX; i++)
			if (ctx->priv[i] != NULL && all[i]->sweep != NULL)
				all[i]->sweep(ctx, ctx->priv[i],
				    ctx->clock_us);
		ctx->next_sweep = ctx->clock_us + DETECT_SWEEP_US;
	}
	for (i = 0; i < DETECT__MAX; i++) {
		if (ctx->priv[i] == NULL || all[i]->row == NULL)
			continue;
		if (r->retention && i != DETECT_D15)
			continue;
		all[i]->row(ctx, ctx->priv[i], r);
	}
}

void
detect_finish(struct detect_ctx *ctx)
{
	size_t	 i;

	/* Fingerprints depend only on what opened the episode. */
	for (i = 0; i < ctx->nf; i++)
		if (ctx->f[i].fp[0] == '\0')
			detect_fingerprint(ctx, &ctx->f[i]);
}
