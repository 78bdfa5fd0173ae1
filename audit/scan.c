/*
 * scan.c -- "mcpgate-audit scan": one sequential pass over the audit
 * log, ordered by seq, through every enabled detector, then exceptions,
 * output and (last, atomically) the new watermark.
 *
 * Incremental contract (docs/scan.md): the state file holds the last
 * row evaluated and its row_hash; a run checks that row is still there
 * and unchanged (else exit 3), re-reads a bounded lookback before it as
 * context for windows and baselines, evaluates the rows after it up to
 * now minus the settle lag, and reports only findings whose trigger (or
 * escalation) is one of those new rows.  A lock file keeps runs from
 * overlapping.  Exit codes follow the Nagios plugin contract.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "auditchain.h"
#include "db.h"
#include "detect.h"
#include "detect_novel.h"
#include "intern.h"
#include "rowscan.h"
#include "scan.h"
#include "scan_out.h"
#include "scan_rules.h"
#include "state.h"
#include "timerange.h"

#define SCAN_EXIT_OK		0
#define SCAN_EXIT_WARNING	1
#define SCAN_EXIT_CRITICAL	2
#define SCAN_EXIT_UNKNOWN	3

#define SCAN_SETTLE_US		(120LL * 1000000)
#define SCAN_LOOKBACK_US	(29LL * 86400 * 1000000)
#define SCAN_PROGRESS_ROWS	(1 << 18)

struct scan_opts {
	const char	*db, *state, *config, *rules, *explain;
	const char	*now, *since, *only, *skip;
	enum scan_fmt	 fmt;
	int		 fail_on, min_sev;
	int64_t		 settle_us, lookback_us;
	int		 dry_run, recover, progress, list, stats;
};

static const char scan_usage[] =
    "usage: mcpgate-audit scan [--db] FILE [--state FILE] [--config "
    "mcpgate.json]\n"
    "           [--rules FILE] [--format text|jsonl|json] [--fail-on LEVEL]\n"
    "           [--min-severity LEVEL] [--settle DUR] [--lookback DUR]\n"
    "           [--now TIME] [--since TIME] [--only D01,D02] [--skip D11]\n"
    "           [--explain FINGERPRINT] [--dry-run] [--recover]\n"
    "           [--progress|--no-progress] [--stats] [--list]\n"
    "LEVEL: info, low (= warning), medium, high, critical, never.\n"
    "DUR: 120, 90s, 15m, 2h, 29d, 2w.  Exit: 0 nothing at or above "
    "--fail-on,\n"
    "1 warning (low/medium), 2 critical (high/critical), 3 unknown.\n";

static int
scan_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
scan_fail(const char *fmt, ...)
{
	va_list	 ap;

	fputs("mcpgate-audit scan: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SCAN_EXIT_UNKNOWN;
}

/* "120", "90s", "15m", "2h", "29d", "2w" -> microseconds; -1 if bad. */
static int64_t
scan_duration(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || v < 0)
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	case 'w':
		v *= 7 * 86400;
		break;
	default:
		return -1;
	}
	if (*end != '\0' && end[1] != '\0')
		return -1;
	if (v > 1e9)
		return -1;
	return (int64_t)(v * 1e6);
}

static int
scan_args(int argc, char **argv, struct scan_opts *o)
{
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "rules", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "min-severity", required_argument, NULL, 'm' },
		{ "settle", required_argument, NULL, 'S' },
		{ "lookback", required_argument, NULL, 'L' },
		{ "now", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 'i' },
		{ "only", required_argument, NULL, 'o' },
		{ "skip", required_argument, NULL, 'k' },
		{ "explain", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'D' },
		{ "recover", no_argument, NULL, 'R' },
		{ "progress", no_argument, NULL, 'p' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "stats", no_argument, NULL, 'T' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int	 c, v;

	memset(o, 0, sizeof(*o));
	o->fmt = SCAN_FMT_TEXT;
	o->fail_on = DETECT_SEV_MEDIUM;
	o->min_sev = DETECT_SEV_LOW;
	o->settle_us = SCAN_SETTLE_US;
	o->lookback_us = SCAN_LOOKBACK_US;
	o->progress = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:s:c:r:f:h", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'd':
			o->db = optarg;
			break;
		case 's':
			o->state = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'r':
			o->rules = optarg;
			break;
		case 'f':
			if ((v = scan_out_parse_fmt(optarg)) < 0)
				return scan_fail("--format: text, jsonl or json"
				    ", not \"%s\"", optarg);
			o->fmt = v;
			break;
		case 'F':
			if (strcmp(optarg, "never") == 0)
				o->fail_on = 0;
			else if ((o->fail_on = detect_sev_parse(optarg)) < 0)
				return scan_fail("--fail-on: info, low, warning,"
				    " medium, high, critical or never");
			break;
		case 'm':
			if ((o->min_sev = detect_sev_parse(optarg)) < 0)
				return scan_fail("--min-severity: info, low, "
				    "medium, high or critical");
			break;
		case 'S':
			if ((o->settle_us = scan_duration(optarg)) < 0)
				return scan_fail("--settle: a duration such as "
				    "120s or 2m");
			break;
		case 'L':
			if ((o->lookback_us = scan_duration(optarg)) < 0)
				return scan_fail("--lookback: a duration such as "
				    "29d");
			break;
		case 'n':
			o->now = optarg;
			break;
		case 'i':
			o->since = optarg;
			break;
		case 'o':
			o->only = optarg;
			break;
		case 'k':
			o->skip = optarg;
			break;
		case 'e':
			o->explain = optarg;
			break;
		case 'D':
			o->dry_run = 1;
			break;
		case 'R':
			o->recover = 1;
			break;
		case 'p':
			o->progress = 1;
			break;
		case 'P':
			o->progress = 0;
			break;
		case 'T':
			o->stats = 1;
			break;
		case 'l':
			o->list = 1;
			break;
		case 'h':
			fputs(scan_usage, stdout);
			exit(0);
		default:
			fputs(scan_usage, stderr);
			return SCAN_EXIT_UNKNOWN;
		}
	}
	if (optind < argc && o->db == NULL)
		o->db = argv[optind++];
	if (optind < argc)
		return scan_fail("unexpected argument \"%s\"", argv[optind]);
	if (o->db == NULL && !o->list) {
		fputs(scan_usage, stderr);
		return SCAN_EXIT_UNKNOWN;
	}
	return 0;
}

/* --list: every detector and threshold with its default (docs/scan.md). */
static void
scan_list(void)
{
	int	 d, i;

	for (d = 0; d < DETECT__MAX; d++) {
		printf("%s %s\n", detect_code(d), detect_title(d));
		for (i = 0; i < DP__MAX; i++)
			if (detect_params[i].det == (enum detect_id)d)
				printf("    %-24s %-10g %s\n",
				    detect_params[i].name, detect_params[i].def,
				    detect_params[i].doc);
	}
}

static int
scan_select(struct detect_ctx *ctx, const char *list, int on)
{
	char	 buf[256], *p, *tok, *save = NULL;
	int	 d, i;

	if (list == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", list);
	if (on)
		for (i = 0; i < DETECT__MAX; i++)
			ctx->enabled[i] = 0;
	for (p = buf; (tok = strtok_r(p, ", ", &save)) != NULL; p = NULL) {
		if ((d = detect_parse_code(tok)) < 0)
			return scan_fail("no such detector \"%s\" (D01 to D16)",
			    tok);
		ctx->enabled[d] = on;
	}
	return 0;
}

/* --- reading rows --------------------------------------------------------- */

enum {
	SC_SEQ, SC_KIND, SC_TS, SC_HOST, SC_SESSION, SC_PRINCIPAL, SC_AUTHM,
	SC_AUTHR, SC_DECISION, SC_KEYID, SC_CLIENT, SC_UA, SC_STATUS,
	SC_RPC, SC_RPCERR, SC_TOOL, SC_SCOPE, SC_IDEM, SC_IDEMST, SC_ARGS,
	SC_OUTCOME, SC_CAT, SC_CODE, SC_RETRYABLE, SC_RETRY_AFTER, SC_LATENCY,
	SC_SUB, SC__MAX
};

/*
 * The columns, in SC_ order.  NULL integers read as -1 or 0 (the
 * defaults in scan_decode); the read costs most of a scan
 * (docs/scan.md, "Performance"), so audit/rowscan.c decodes the B-tree
 * directly where it can.
 */
static const char *const scan_cols[SC__MAX] = {
	"seq", "kind", "ts_us", "host_id", "session_hash", "principal",
	"auth_method", "auth_result", "decision", "key_id", "client_addr",
	"user_agent", "http_status", "rpc_method", "rpc_error_code", "tool",
	"scope_required", "idem_key_hash", "idem_status", "args_digest",
	"outcome", "error_category", "error_code", "retryable",
	"retry_after_ms", "latency_us", "token_sub",
};

/*
 * A small direct-mapped cache per column in front of the string table:
 * most rows repeat the principals, tools and agents of the rows before,
 * and a compare with the cached string is cheaper than hashing it.  The
 * interned strings never move (intern.c's arena), so an entry keeps the
 * pointer and length next to the id.
 */
#define COL_CACHE	256

struct col_ent {
	const char	*s;
	size_t		 len;
	uint32_t	 id;
};

struct col_cache {
	struct col_ent	 e[SC__MAX][COL_CACHE];
};

/*
 * a[0..n) == b[0..n), inline: the strings are short (a tool, an agent,
 * an address) and a libc call per column cost more than the compare.
 */
static int
col_same(const unsigned char *a, const unsigned char *b, size_t n)
{
	uint64_t x, y;
	size_t	 i;

	if (n < 8) {
		for (i = 0; i < n; i++)
			if (a[i] != b[i])
				return 0;
		return 1;
	}
	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return 0;
	}
	/* the last (overlapping) eight bytes */
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return x == y;
}

static uint32_t
col_id(struct intern *str, struct col_cache *cc, const struct rowscan_val *v,
    int c)
{
	const unsigned char *s = (const unsigned char *)v->s;
	struct col_ent	*e;
	size_t		 len = v->len, h;

	if (s == NULL)
		return 0;
	h = len == 0 ? 0 : (len * 31 + s[0] * 7 + s[len - 1] * 13 +
	    s[len / 2] * 17 + s[len / 3]) & (COL_CACHE - 1);
	e = &cc->e[c][h];
	if (e->id != 0 && e->len == len && col_same((const unsigned char *)
	    e->s, s, len))
		return e->id;
	e->id = intern_id(str, (const char *)s, len);
	e->s = intern_str(str, e->id);
	e->len = len;
	return e->id;
}

/* Hex digit values; 0 for anything else. */
static const uint8_t hexval[256] = {
	['0'] = 0, ['1'] = 1, ['2'] = 2, ['3'] = 3, ['4'] = 4, ['5'] = 5,
	['6'] = 6, ['7'] = 7, ['8'] = 8, ['9'] = 9, ['a'] = 10, ['b'] = 11,
	['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15, ['A'] = 10,
	['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14, ['F'] = 15,
};

/* The first 64 bits of a hex digest; 0 for NULL. */
static uint64_t
col_hex64(const struct rowscan_val *v)
{
	const unsigned char *s = (const unsigned char *)v->s;
	uint64_t x = 0;
	size_t	 i, n = v->len;

	if (s == NULL)
		return 0;
	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		x = x << 4 | hexval[s[i]];
	return x != 0 ? x : 1;
}

/* The first and second byte of a text column (NUL past its end). */
static char
col_ch(const struct rowscan_val *v, size_t i)
{
	return i < v->len ? v->s[i] : '\0';
}

static uint8_t
col_auth(const struct rowscan_val *v)
{
	if (v->s == NULL)
		return DA_NULL;
	switch (col_ch(v, 0)) {
	case 'o':
		return DA_OK;
	case 'm':
		return DA_MISSING;
	case 'i':
		return DA_INVALID;
	case 'e':
		return col_ch(v, 1) == 'x' ? DA_EXPIRED : DA_ERROR;
	case 'r':
		return DA_REVOKED;
	default:
		return DA_ERROR;
	}
}

static uint8_t
col_outcome(const struct rowscan_val *v)
{
	if (v->s == NULL)
		return DO_NULL;
	switch (col_ch(v, 0)) {
	case 'o':
		return DO_OK;
	case 't':
		return DO_TOOL_ERROR;
	case 'p':
		return DO_PROTOCOL_ERROR;
	case 'a':
		return DO_AUTH_ERROR;
	default:
		return DO_HTTP_ERROR;
	}
}

static uint8_t
col_idem(const struct rowscan_val *v)
{
	if (v->s == NULL)
		return DI_NULL;
	switch (col_ch(v, 0)) {
	case 'n':
		return DI_NEW;
	case 'r':
		return DI_REPLAY;
	case 'c':
		return DI_CONFLICT;
	default:
		return DI_IN_FLIGHT;
	}
}

/* An integer column; dflt for NULL. */
static int64_t
col_int(const struct rowscan_val *v, int64_t dflt)
{
	return v->null ? dflt : v->i;
}

static void
scan_decode(struct detect_ctx *ctx, struct col_cache *cc, struct rowscan *rs,
    struct detect_row *r)
{
	struct rowscan_val v[SC__MAX];
	struct intern	*str = ctx->str;

	rowscan_row(rs, v);
	memset(r, 0, sizeof(*r));
	r->seq = v[SC_SEQ].i;
	r->retention = v[SC_KIND].s != NULL && v[SC_KIND].len > 2 &&
	    v[SC_KIND].s[0] == 'r' && v[SC_KIND].s[2] == 't';
	r->ts_us = col_int(&v[SC_TS], 0);
	r->host = col_id(str, cc, &v[SC_HOST], SC_HOST);
	if (r->retention)
		return;
	r->session = col_hex64(&v[SC_SESSION]);
	r->principal = col_id(str, cc, &v[SC_PRINCIPAL], SC_PRINCIPAL);
	r->auth_method = col_id(str, cc, &v[SC_AUTHM], SC_AUTHM);
	r->auth = col_auth(&v[SC_AUTHR]);
	r->decision = v[SC_DECISION].s == NULL ? DD_NULL :
	    col_ch(&v[SC_DECISION], 0) == 'a' ? DD_ALLOW : DD_DENY;
	r->key_id = col_id(str, cc, &v[SC_KEYID], SC_KEYID);
	r->client = col_id(str, cc, &v[SC_CLIENT], SC_CLIENT);
	r->ua = col_id(str, cc, &v[SC_UA], SC_UA);
	r->http_status = (int32_t)col_int(&v[SC_STATUS], 0);
	r->rpc_method = col_id(str, cc, &v[SC_RPC], SC_RPC);
	r->rpc_error_code = (int32_t)col_int(&v[SC_RPCERR], 0);
	r->tool = col_id(str, cc, &v[SC_TOOL], SC_TOOL);
	r->scope = col_id(str, cc, &v[SC_SCOPE], SC_SCOPE);
	r->idem = col_hex64(&v[SC_IDEM]);
	r->idem_status = col_idem(&v[SC_IDEMST]);
	r->args = col_hex64(&v[SC_ARGS]);
	r->outcome = col_outcome(&v[SC_OUTCOME]);
	r->category = col_id(str, cc, &v[SC_CAT], SC_CAT);
	r->code = col_id(str, cc, &v[SC_CODE], SC_CODE);
	r->retryable = (int8_t)col_int(&v[SC_RETRYABLE], -1);
	r->retry_after_ms = col_int(&v[SC_RETRY_AFTER], -1);
	r->latency_us = col_int(&v[SC_LATENCY], -1);
	r->token_sub = col_id(str, cc, &v[SC_SUB], SC_SUB);
	r->is_call = r->rpc_method == ctx->id_call && r->tool != 0;
}

static int64_t
mono_us(void)
{
	struct timespec	 t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* One integer from a one-row query with an optional int64 parameter. */
static int
scan_int(sqlite3 *db, const char *sql, int64_t arg, int has_arg,
    int64_t *out, int *isnull)
{
	sqlite3_stmt	*st;
	int		 rc;

	*out = 0;
	if (isnull != NULL)
		*isnull = 1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (has_arg)
		sqlite3_bind_int64(st, 1, arg);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*out = sqlite3_column_int64(st, 0);
		if (isnull != NULL)
			*isnull = 0;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The row_hash of seq (""): 0 found, 1 absent, -1 error. */
static int
scan_row_hash(sqlite3 *db, int64_t seq, char out[STATE_HEX_LEN + 1],
    int64_t *ts)
{
	sqlite3_stmt	*st;
	const char	*h;
	int		 rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT row_hash, ts_us FROM audit_events "
	    "WHERE seq = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h = (const char *)sqlite3_column_text(st, 0);
		snprintf(out, STATE_HEX_LEN + 1, "%s", h != NULL ? h : "");
		if (ts != NULL)
			*ts = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

/*
 * Does row seq still hash to its row_hash?  Unsealed rows (sha256) are
 * recomputed with auditchain's row hash; sealed ones need the key that
 * only "verify --key" has, so they are taken as they are.  Returns 1
 * yes (or cannot tell), 0 no, -1 error.
 */
static int
scan_row_intact(sqlite3 *db, int64_t seq)
{
	struct auditchain_value v[AUDITCHAIN_C__MAX];
	sqlite3_stmt	*st;
	char		 sql[2048], calc[AUDITCHAIN_HEX_LEN + 1];
	const char	*prev, *hash, *alg;
	size_t		 off, i;
	int		 rc = -1;

	off = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s, ",
		    auditchain_columns[i]);
	snprintf(sql + off, sizeof(sql) - off, "prev_hash, row_hash FROM "
	    "audit_events WHERE seq = ?1");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, seq);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	memset(v, 0, sizeof(v));
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		switch (sqlite3_column_type(st, (int)i)) {
		case SQLITE_INTEGER:
			v[i].type = AUDITCHAIN_V_INT;
			v[i].i = sqlite3_column_int64(st, (int)i);
			break;
		case SQLITE_TEXT:
			v[i].type = AUDITCHAIN_V_TEXT;
			v[i].s = (const char *)sqlite3_column_text(st, (int)i);
			v[i].len = (size_t)sqlite3_column_bytes(st, (int)i);
			break;
		default:
			v[i].type = AUDITCHAIN_V_NULL;
			break;
		}
	}
	alg = (const char *)sqlite3_column_text(st, AUDITCHAIN_C_CHAIN_ALG);
	prev = (const char *)sqlite3_column_text(st, AUDITCHAIN_C__MAX);
	hash = (const char *)sqlite3_column_text(st, AUDITCHAIN_C__MAX + 1);
	if (alg == NULL || strcmp(alg, "sha256") != 0) {
		rc = 1;
		goto out;
	}
	rc = prev != NULL && hash != NULL && auditchain_row_hash(NULL, prev, v,
	    calc) == 0 && strcmp(calc, hash) == 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/* --- the run -------------------------------------------------------------- */


struct scan_job {
	struct scan_opts *o;
	struct audit_db	*adb;
	sqlite3		*db;
	struct intern	*str;
	struct detect_ctx *ctx;
	struct state	*state;
	struct state_wm	 wm;
	struct scan_rules rules;
	int64_t		 now_us, cutoff_us, start_seq;
	int64_t		 first_seq, last_seq, first_ts, last_ts;
	int64_t		 new_seq, new_ts, held_back;
	double		 secs;
	char		 note[512];
};

static int
scan_rows(struct scan_job *j)
{
	struct rowscan	*rs = NULL;
	struct detect_row r;
	struct col_cache *cc;
	int64_t		 t0 = mono_us(), tlast = t0, t;
	int64_t		 n = 0;
	int		 rc, tty;
	char		 err[256];

	tty = j->o->progress == 1 || (j->o->progress == -1 &&
	    isatty(STDERR_FILENO));
	if (rowscan_open(j->adb, scan_cols, SC__MAX, j->start_seq, INT64_MAX,
	    0, &rs, err, sizeof(err)) == -1)
		return scan_fail("cannot read %s: %s", j->o->db, err);
	cc = intern_xcalloc(1, sizeof(*cc));
	while ((rc = rowscan_next(rs)) == 1) {
		scan_decode(j->ctx, cc, rs, &r);
		r.is_new = r.seq > j->ctx->wm_seq;
		if (r.is_new && r.ts_us > j->cutoff_us) {
			/* Not settled yet: the next run takes it. */
			if (scan_int(j->db, "SELECT count(*) FROM audit_events "
			    "WHERE seq >= ?1", r.seq, 1, &j->held_back,
			    NULL) == -1)
				j->held_back = 1;
			break;
		}
		if (n++ == 0) {
			j->first_seq = r.seq;
			j->first_ts = r.ts_us;
		}
		j->last_seq = r.seq;
		j->last_ts = r.ts_us;
		if (r.is_new) {
			j->new_seq = r.seq;
			j->new_ts = r.ts_us;
		}
		detect_feed(j->ctx, &r);
		if (tty && (n & (SCAN_PROGRESS_ROWS - 1)) == 0 &&
		    (t = mono_us()) - tlast > 500000) {
			fprintf(stderr, "\rscan: %lld rows (%.2f M rows/s)  ",
			    (long long)n, (double)n / (double)(t - t0));
			tlast = t;
		}
	}
	if (tty && n >= SCAN_PROGRESS_ROWS)
		fprintf(stderr, "\r%40s\r", "");
	free(cc);
	if (rc == -1) {
		snprintf(err, sizeof(err), "%s", rowscan_errmsg(rs));
		rowscan_free(rs);
		return scan_fail("reading %s: %s", j->o->db, err);
	}
	rowscan_free(rs);
	detect_finish(j->ctx);
	j->secs = (double)(mono_us() - t0) / 1e6;
	return 0;
}

/* Checks the watermark row; fills start_seq.  Returns 0 or an exit code. */
static int
scan_position(struct scan_job *j)
{
	char	 hash[STATE_HEX_LEN + 1];
	int64_t	 kept = 0, since, lb_from, first, ts = 0;
	int	 rc, isnull;
	char	 err[256];

	j->ctx->wm_seq = 0;
	if (j->state != NULL && j->wm.seq > 0) {
		rc = scan_row_hash(j->db, j->wm.seq, hash, &ts);
		if (rc == -1)
			return scan_fail("reading %s: %s", j->o->db,
			    sqlite3_errmsg(j->db));
		if (rc == 1) {
			if (scan_int(j->db, "SELECT max(first_kept_seq) FROM "
			    "audit_events WHERE kind = 'retention'", 0, 0,
			    &kept, NULL) == -1)
				return scan_fail("reading %s: %s", j->o->db,
				    sqlite3_errmsg(j->db));
			if (kept > j->wm.seq)
				snprintf(j->note, sizeof(j->note), "the "
				    "watermark row %lld was pruned by retention "
				    "(rows before %lld are gone); continuing "
				    "after it", (long long)j->wm.seq,
				    (long long)kept);
			else if (!j->o->recover)
				return scan_fail("the watermark row %lld (last "
				    "scanned on %s) has vanished from %s and no "
				    "retention marker accounts for it: rows were "
				    "deleted or this is another database. Run "
				    "\"mcpgate-audit verify\"; to scan on from "
				    "row %lld anyway, use --recover",
				    (long long)j->wm.seq, j->wm.db_path,
				    j->o->db, (long long)j->wm.seq + 1);
			else
				snprintf(j->note, sizeof(j->note), "--recover: "
				    "the watermark row %lld had vanished; "
				    "scanning on after it", (long long)j->wm.seq);
			ts = j->wm.ts_us;
		} else if (strcmp(hash, j->wm.row_hash) != 0 ||
		    scan_row_intact(j->db, j->wm.seq) == 0) {
			if (!j->o->recover)
				return scan_fail("the watermark row %lld of %s "
				    "changed since the last scan (row_hash was "
				    "%.16s..., is %.16s...%s): the log was "
				    "rewritten or this is another database. Run "
				    "\"mcpgate-audit verify\"; to scan on anyway, "
				    "use --recover", (long long)j->wm.seq,
				    j->o->db, j->wm.row_hash, hash,
				    strcmp(hash, j->wm.row_hash) == 0 ? ", but "
				    "the row no longer matches it" : "");
			snprintf(j->note, sizeof(j->note), "--recover: the "
			    "watermark row %lld had changed; scanning on after "
			    "it", (long long)j->wm.seq);
		}
		j->ctx->wm_seq = j->wm.seq;
		j->ctx->wm_ts = ts;
	} else if (j->o->since != NULL) {
		if (timerange_parse_from(j->o->since, j->now_us, 0, &since,
		    err, sizeof(err)) == -1)
			return scan_fail("--since: %s", err);
		if (scan_int(j->db, "SELECT max(seq) FROM audit_events WHERE "
		    "ts_us < ?1", since, 1, &j->ctx->wm_seq, NULL) == -1)
			return scan_fail("reading %s: %s", j->o->db,
			    sqlite3_errmsg(j->db));
		j->ctx->wm_ts = since;
	}
	if (j->ctx->wm_seq == 0) {
		j->start_seq = 0;
		return 0;
	}
	/* Context: the lookback before the watermark. */
	lb_from = j->ctx->wm_ts - j->o->lookback_us;
	if (scan_int(j->db, "SELECT min(seq) FROM audit_events WHERE ts_us >= "
	    "?1", lb_from, 1, &first, &isnull) == -1)
		return scan_fail("reading %s: %s", j->o->db,
		    sqlite3_errmsg(j->db));
	j->start_seq = isnull || first > j->ctx->wm_seq ? j->ctx->wm_seq + 1 :
	    first;
	return 0;
}

static int
finding_cmp(const void *a, const void *b)
{
	const struct detect_finding *x = *(const struct detect_finding *
	    const *)a, *y = *(const struct detect_finding *const *)b;

	if (x->sev != y->sev)
		return x->sev > y->sev ? -1 : 1;
	if (x->trigger_seq != y->trigger_seq)
		return x->trigger_seq < y->trigger_seq ? -1 : 1;
	if (x->det != y->det)
		return x->det < y->det ? -1 : 1;
	return strcmp(x->fp, y->fp);
}

static int
scan_explain_json(struct scan_job *j, json_t **out)
{
	char		*txt = NULL, err[256];
	json_error_t	 je;
	int		 rc;

	*out = NULL;
	if (j->state == NULL)
		return 0;
	rc = state_find_finding(j->state, j->o->explain, &txt, err,
	    sizeof(err));
	if (rc == -1)
		return scan_fail("%s", err);
	if (rc == 2)
		return scan_fail("--explain %s: more than one finding has that "
		    "prefix; give more digits", j->o->explain);
	if (rc == 1) {
		*out = json_loads(txt, 0, &je);
		free(txt);
		if (*out == NULL)
			return scan_fail("state file: a stored finding does not "
			    "parse: %s", je.text);
	}
	return 0;
}

static int
scan_run(struct scan_job *j)
{
	struct scan_opts *o = j->o;
	struct detect_finding **rep = NULL;
	json_t		**fj = NULL, *ej = NULL;
	char		**txt = NULL;
	struct scan_run	 run;
	struct state_save sv;
	struct state_wm	 nwm;
	size_t		 i, n = 0;
	int64_t		 seq_hi, maxseq;
	int		 rc = SCAN_EXIT_UNKNOWN, top = 0, maxsev = 0;
	char		 err[512];

	if ((rc = scan_position(j)) != 0)
		return rc;
	rc = SCAN_EXIT_UNKNOWN;
	if (j->state != NULL && j->ctx->wm_seq > 0 &&
	    state_load_novel(j->state, j->ctx, err, sizeof(err)) == -1)
		return scan_fail("%s", err);
	if (j->state != NULL && j->ctx->wm_seq == 0)
		detect_novel_persistent(j->ctx);

	if (o->explain != NULL) {
		if (scan_explain_json(j, &ej) != 0)
			return SCAN_EXIT_UNKNOWN;
		if (ej != NULL) {
			rc = scan_out_explain(stdout, o->fmt, ej, j->db) == 0 ?
			    SCAN_EXIT_OK : SCAN_EXIT_UNKNOWN;
			json_decref(ej);
			return rc;
		}
		/* Not stored: find it by scanning (nothing is saved). */
		o->dry_run = 1;
		j->ctx->wm_seq = 0;
		j->start_seq = 0;
	}

	detect_start(j->ctx);
	if ((rc = scan_rows(j)) != 0)
		return rc;
	rc = SCAN_EXIT_UNKNOWN;
	if (scan_int(j->db, "SELECT seq FROM sqlite_sequence WHERE name = "
	    "'audit_events'", 0, 0, &seq_hi, NULL) == 0 && scan_int(j->db,
	    "SELECT max(seq) FROM audit_events", 0, 0, &maxseq, NULL) == 0 &&
	    j->held_back == 0)
		detect_d15_tail(j->ctx, seq_hi, maxseq, j->last_ts);

	rep = intern_xcalloc(j->ctx->nf + 1, sizeof(*rep));
	for (i = 0; i < j->ctx->nf; i++)
		if (detect_finding_reportable(j->ctx, &j->ctx->f[i]))
			rep[n++] = &j->ctx->f[i];
	qsort(rep, n, sizeof(*rep), finding_cmp);
	fj = intern_xcalloc(n + 1, sizeof(*fj));
	txt = intern_xcalloc(n + 1, sizeof(*txt));
	for (i = 0; i < n; i++) {
		rep[i]->suppressed = scan_rules_match(&j->rules, j->ctx,
		    rep[i]);
		if ((fj[i] = scan_out_finding(j->ctx, rep[i], &j->rules)) ==
		    NULL || (txt[i] = json_dumps(fj[i], JSON_COMPACT)) == NULL) {
			rc = scan_fail("out of memory");
			goto out;
		}
		if (!rep[i]->suppressed && (int)rep[i]->sev > maxsev)
			maxsev = rep[i]->sev;
	}

	if (o->explain != NULL) {
		for (i = 0; i < n; i++)
			if (strncmp(rep[i]->fp, o->explain,
			    strlen(o->explain)) == 0 && strlen(o->explain) >= 6)
				break;
		if (i == n) {
			rc = scan_fail("--explain %s: no such finding (in the "
			    "state file%s)", o->explain, j->state ? " or in a "
			    "full scan" : ": none given; nor in a full scan");
			goto out;
		}
		rc = scan_out_explain(stdout, o->fmt, fj[i], j->db) == 0 ?
		    SCAN_EXIT_OK : SCAN_EXIT_UNKNOWN;
		goto out;
	}

	if (o->fail_on != 0 && maxsev >= o->fail_on)
		top = maxsev >= DETECT_SEV_HIGH ? SCAN_EXIT_CRITICAL :
		    SCAN_EXIT_WARNING;
	memset(&run, 0, sizeof(run));
	run.db_path = o->db;
	run.state_path = o->state;
	run.now_us = j->now_us;
	run.wm_before = j->ctx->wm_seq;
	run.wm_after = j->new_seq > 0 ? j->new_seq : j->ctx->wm_seq;
	run.first_seq = j->first_seq;
	run.last_seq = j->last_seq;
	run.first_ts = j->first_ts;
	run.last_ts = j->last_ts;
	run.rows = j->ctx->rows;
	run.rows_new = j->ctx->rows_new;
	run.held_back = j->held_back;
	run.secs = j->secs;
	run.fail_on = o->fail_on;
	run.min_sev = o->min_sev;
	run.exit_code = top;
	run.dry_run = o->dry_run || j->state == NULL;
	run.note = j->note[0] ? j->note : NULL;
	if (scan_out_report(stdout, o->fmt, &run, j->ctx, &j->rules,
	    (const struct detect_finding *const *)rep, fj, n) == -1 ||
	    fflush(stdout) == EOF) {
		rc = scan_fail("writing the report failed: %s; the state was "
		    "not updated", strerror(errno));
		goto out;
	}
	if (o->stats)
		fprintf(stderr, "scan: %lld rows in %.3fs (%.0f rows/s), %zu "
		    "findings opened, %zu reported\n", (long long)j->ctx->rows,
		    j->secs, j->secs > 0 ? (double)j->ctx->rows / j->secs : 0,
		    j->ctx->nf, n);

	if (j->state != NULL && !o->dry_run) {
		nwm = j->wm;
		snprintf(nwm.db_path, sizeof(nwm.db_path), "%s", o->db);
		nwm.runs = j->wm.runs + 1;
		if (j->new_seq > 0) {
			nwm.seq = j->new_seq;
			nwm.ts_us = j->new_ts;
			if (scan_row_hash(j->db, j->new_seq, nwm.row_hash,
			    NULL) != 0) {
				rc = scan_fail("cannot read the row_hash of row "
				    "%lld", (long long)j->new_seq);
				goto out;
			}
		}
		memset(&sv, 0, sizeof(sv));
		sv.wm = &nwm;
		sv.ctx = j->ctx;
		sv.f = (const struct detect_finding *const *)rep;
		sv.json = (const char *const *)txt;
		sv.n = n;
		sv.started_us = j->now_us;
		sv.rows = j->ctx->rows;
		sv.rows_new = j->ctx->rows_new;
		sv.first_seq = j->first_seq;
		sv.last_seq = j->last_seq;
		sv.exit_code = top;
		if (state_save(j->state, &sv, err, sizeof(err)) == -1) {
			rc = scan_fail("%s", err);
			goto out;
		}
	}
	rc = top;
out:
	for (i = 0; i < n; i++) {
		json_decref(fj[i]);
		free(txt[i]);
	}
	free(fj);
	free(txt);
	free(rep);
	return rc;
}

int
scan_main(int argc, char **argv)
{
	struct scan_opts o;
	struct scan_job	 j;
	struct timerange tr;
	char		 err[512];
	int		 rc;

	if ((rc = scan_args(argc, argv, &o)) != 0)
		return rc;
	if (o.list) {
		scan_list();
		return SCAN_EXIT_OK;
	}
	memset(&j, 0, sizeof(j));
	j.o = &o;
	j.now_us = timerange_now_us();
	if (o.now != NULL) {
		if (timerange_parse_token(o.now, j.now_us, 0, &tr, err,
		    sizeof(err)) == -1)
			return scan_fail("--now: %s", err);
		j.now_us = tr.from_us;
	}
	j.cutoff_us = j.now_us - o.settle_us;
	j.str = intern_new();
	j.ctx = detect_ctx_new(j.str);
	rc = SCAN_EXIT_UNKNOWN;
	if (o.config != NULL && scan_config_load(o.config, j.ctx, err,
	    sizeof(err)) == -1) {
		scan_fail("--config: %s", err);
		goto out;
	}
	if (o.rules != NULL && scan_rules_load(o.rules, j.ctx, &j.rules,
	    j.now_us, err, sizeof(err)) == -1) {
		scan_fail("--rules: %s", err);
		goto out;
	}
	if (scan_select(j.ctx, o.only, 1) != 0 ||
	    scan_select(j.ctx, o.skip, 0) != 0)
		goto out;
	if (audit_db_open(o.db, 0, &j.adb, err, sizeof(err)) == -1) {
		scan_fail("%s", err);
		goto out;
	}
	j.db = audit_db_sqlite(j.adb);
	if (o.state != NULL) {
		rc = state_open(o.state, &j.state, err, sizeof(err));
		if (rc != 0) {
			rc = scan_fail("%s", err);
			goto out;
		}
		if (state_watermark(j.state, &j.wm, err, sizeof(err)) == -1) {
			rc = scan_fail("%s", err);
			goto out;
		}
	}
	if (audit_db_begin(j.adb, err, sizeof(err)) == -1) {
		rc = scan_fail("%s", err);
		goto out;
	}
	rc = scan_run(&j);
	audit_db_end(j.adb);
out:
	state_close(j.state);
	audit_db_close(j.adb);
	scan_rules_free(&j.rules);
	detect_ctx_free(j.ctx);
	intern_free(j.str);
	return rc;
}
