/*
 * detect.h -- the scan's detector engine: a decoded audit row, the
 * findings (episodes) detectors open and escalate, the thresholds table,
 * tool hints, per-key hash tables with eviction, timestamp rings and the
 * robust statistics the baseline detectors share.
 *
 * Detectors (detect_*.c) see rows in seq order through one ops table
 * and never touch SQLite, the state file or the output: scan.c reads the
 * rows, state.c persists, scan_out.c prints.  Rows with seq at or below
 * the watermark are context (they rebuild windows and baselines);
 * findings are reported only when their trigger, or an escalation, is a
 * newer row.
 */
#ifndef AUDIT_DETECT_H
#define AUDIT_DETECT_H

#include <stddef.h>
#include <stdint.h>

struct intern;
struct detect_novel;

/* --- severities (Sigma levels) -------------------------------------------- */

enum detect_sev {
	DETECT_SEV_NONE = 0,
	DETECT_SEV_INFO,
	DETECT_SEV_LOW,
	DETECT_SEV_MEDIUM,
	DETECT_SEV_HIGH,
	DETECT_SEV_CRITICAL,
	DETECT_SEV__MAX
};

/* "info", "low", ...: static strings. */
const char	*detect_sev_name(enum detect_sev);
/* Parses a level name ("warning" = low); returns -1 if unknown. */
int		 detect_sev_parse(const char *s);

/* --- detectors ------------------------------------------------------------ */

enum detect_id {
	DETECT_D01,	/* retry loop */
	DETECT_D02,	/* ping-pong */
	DETECT_D03,	/* failing-retry storm */
	DETECT_D04,	/* scope denials and probing */
	DETECT_D05,	/* authentication failures */
	DETECT_D06,	/* rate-limit hits and ignored backoff */
	DETECT_D07,	/* error-rate spike */
	DETECT_D08,	/* latency spike */
	DETECT_D09,	/* unusual tool / auth method / hour for a principal */
	DETECT_D10,	/* idempotency anomalies */
	DETECT_D11,	/* volume anomaly */
	DETECT_D12,	/* session integrity and fan-out */
	DETECT_D13,	/* denial storm */
	DETECT_D14,	/* policy invariants */
	DETECT_D15,	/* log integrity seen by the scan */
	DETECT_D16,	/* fleet-wide novelty */
	DETECT__MAX
};

/* "D01"... and a short name ("retry_loop"): static strings. */
const char	*detect_code(enum detect_id);
const char	*detect_title(enum detect_id);
/* "D07" or "d07" -> DETECT_D07; -1 if unknown. */
int		 detect_parse_code(const char *s);

/* --- thresholds ----------------------------------------------------------- */

/*
 * Every tunable of every detector: X(enum suffix, detector, name,
 * default, what it is).  The rules file sets them by detector and name
 * ("D01": {"low": 4}); docs/scan.md lists them from "scan --list".
 */
#define DETECT_PARAMS(X)						\
	X(D01_WINDOW_S,	  DETECT_D01, "window_s", 120, "sliding window, seconds")	\
	X(D01_LOW,	  DETECT_D01, "low", 5, "identical calls in the window: low")	\
	X(D01_MEDIUM,	  DETECT_D01, "medium", 10, "identical calls: medium")	\
	X(D01_HIGH,	  DETECT_D01, "high", 20, "identical calls: high")	\
	X(D01_WRITE_MEDIUM, DETECT_D01, "write_medium", 3, "executions (ok, not replays) of a destructive or non-idempotent tool: medium")	\
	X(D01_POLL_FACTOR, DETECT_D01, "poll_factor", 2, "threshold multiplier for tools marked poll")	\
	X(D01_BACKOFF,	  DETECT_D01, "backoff_ratio", 1.5, "each gap at least this times the one before: a well-behaved retry (info)")	\
	X(D02_WINDOW_S,	  DETECT_D02, "window_s", 300, "sliding window, seconds")	\
	X(D02_LOW,	  DETECT_D02, "low", 6, "alternating calls A B A B...: low")	\
	X(D02_MEDIUM,	  DETECT_D02, "medium", 10, "alternating calls: medium")	\
	X(D03_WINDOW_S,	  DETECT_D03, "window_s", 60, "sliding window, seconds")	\
	X(D03_LOW,	  DETECT_D03, "low", 3, "identical failing calls, same category: low")	\
	X(D03_MEDIUM,	  DETECT_D03, "medium", 5, "identical failing calls: medium")	\
	X(D03_NONRETRY_MEDIUM, DETECT_D03, "nonretryable_medium", 3, "identical calls failing with a non-retryable error: medium")	\
	X(D04_BURST_S,	  DETECT_D04, "burst_window_s", 120, "burst window, seconds")	\
	X(D04_BURST_MEDIUM, DETECT_D04, "burst_medium", 8, "denials of one principal in the burst window: medium")	\
	X(D04_SLOW_S,	  DETECT_D04, "slow_window_s", 600, "slow window, seconds")	\
	X(D04_SLOW_LOW,	  DETECT_D04, "slow_low", 3, "denials in the slow window: low")	\
	X(D04_BREADTH_S,  DETECT_D04, "breadth_window_s", 600, "probing window, seconds")	\
	X(D04_BREADTH_MEDIUM, DETECT_D04, "breadth_medium", 5, "distinct denied tools: medium")	\
	X(D04_BREADTH_HIGH, DETECT_D04, "breadth_high", 10, "distinct denied tools: high")	\
	X(D04_POP_PRINCIPALS, DETECT_D04, "population_principals", 3, "principals denied on one tool in the window: policy regression")	\
	X(D04_POP_S,	  DETECT_D04, "population_window_s", 600, "policy regression window, seconds")	\
	X(D05_BURST_S,	  DETECT_D05, "burst_window_s", 120, "burst window, seconds")	\
	X(D05_BURST_MEDIUM, DETECT_D05, "burst_medium", 8, "failures from one address in the burst window: medium")	\
	X(D05_LONG_S,	  DETECT_D05, "long_window_s", 600, "long window, seconds")	\
	X(D05_LONG_HIGH,  DETECT_D05, "long_high", 30, "failures from one address in the long window: high")	\
	X(D05_SPRAY_HIGH, DETECT_D05, "spray_high", 5, "distinct identities tried from one address in the long window: high")	\
	X(D05_DIST_MEDIUM, DETECT_D05, "distributed_medium", 5, "distinct addresses failing for one identity in the long window: medium")	\
	X(D05_SUCCESS_S,  DETECT_D05, "success_window_s", 3600, "success-after-failures window, seconds")	\
	X(D05_SUCCESS_FAILS, DETECT_D05, "success_failures", 5, "failures before a success: high")	\
	X(D05_COUNT_MISSING, DETECT_D05, "count_missing", 0, "1: a request without credentials counts as a failure")	\
	X(D06_HITS_S,	  DETECT_D06, "hits_window_s", 300, "hits window, seconds")	\
	X(D06_HITS_LOW,	  DETECT_D06, "hits_low", 10, "rate-limited answers to one principal and tool: low")	\
	X(D06_SHARE_S,	  DETECT_D06, "share_window_s", 900, "share window, seconds (1-minute steps)")	\
	X(D06_SHARE_CALLS, DETECT_D06, "share_min_calls", 50, "calls needed before the share counts")	\
	X(D06_SHARE_MEDIUM, DETECT_D06, "share_medium", 0.2, "rate-limited share of the calls: medium")	\
	X(D06_DISREGARD,  DETECT_D06, "disregard_calls", 5, "calls inside the advertised retry-after: medium")	\
	X(D06_DEFAULT_MS, DETECT_D06, "disregard_default_ms", 1000, "backoff assumed when no retry-after was logged, ms")	\
	X(D07_SHORT_S,	  DETECT_D07, "short_window_s", 300, "short window, seconds (1-minute steps)")	\
	X(D07_LONG_S,	  DETECT_D07, "long_window_s", 3600, "long window, seconds (1-minute steps)")	\
	X(D07_MIN_SHORT,  DETECT_D07, "min_short", 20, "calls needed in the short window")	\
	X(D07_MIN_LONG,	  DETECT_D07, "min_long", 100, "calls needed in the long window")	\
	X(D07_MED_SHORT,  DETECT_D07, "medium_short_floor", 0.05, "short-window rate floor: medium")	\
	X(D07_MED_SHORT_X, DETECT_D07, "medium_short_mult", 3, "short-window rate as a multiple of the baseline: medium")	\
	X(D07_MED_LONG,	  DETECT_D07, "medium_long_floor", 0.02, "long-window rate floor: medium")	\
	X(D07_MED_LONG_X, DETECT_D07, "medium_long_mult", 2, "long-window multiple of the baseline: medium")	\
	X(D07_HIGH_SHORT, DETECT_D07, "high_short_floor", 0.25, "short-window rate floor: high")	\
	X(D07_HIGH_SHORT_X, DETECT_D07, "high_short_mult", 10, "short-window multiple of the baseline: high")	\
	X(D07_BASE_H,	  DETECT_D07, "baseline_hours", 168, "baseline: trailing hours, excluding the last one")	\
	X(D07_ATTRIB,	  DETECT_D07, "attribution_share", 0.8, "one principal's share of the errors that downgrades a level")	\
	X(D07_QUIET_S,	  DETECT_D07, "quiet_s", 900, "episode ends after this long without the condition")	\
	X(D08_MIN_N,	  DETECT_D08, "min_calls", 30, "calls of the tool in a 15-minute bucket")	\
	X(D08_BASE_BUCKETS, DETECT_D08, "baseline_buckets", 672, "baseline: trailing 15-minute buckets (7 days)")	\
	X(D08_MIN_BUCKETS, DETECT_D08, "min_buckets", 20, "buckets with enough calls in the baseline")	\
	X(D08_Z,	  DETECT_D08, "z", 3.5, "modified z-score of the bucket p95")	\
	X(D08_RATIO,	  DETECT_D08, "ratio", 1.5, "p95 over the baseline median p95")	\
	X(D08_DELTA_MS,	  DETECT_D08, "delta_ms", 100, "p95 minus the baseline median, ms")	\
	X(D08_P99_RATIO,  DETECT_D08, "p99_ratio", 3, "p99 over the baseline median p99: high")	\
	X(D08_P99_MIN_MS, DETECT_D08, "p99_min_ms", 1000, "p99 at least this, ms: high")	\
	X(D09_HISTORY_D,  DETECT_D09, "history_days", 7, "principal history needed, days")	\
	X(D09_MIN_CALLS,  DETECT_D09, "min_calls", 200, "principal calls needed before a tool it never used means something")	\
	X(D09_NOVELTY_D,  DETECT_D09, "novelty_days", 30, "a pair unused this long is new again, days")	\
	X(D09_ROLLOUT_D,  DETECT_D09, "rollout_days", 7, "a tool new to the fleet this recently is not unusual, days")	\
	X(D09_STABLE_D,	  DETECT_D09, "stable_days", 0, "a principal that took up another tool this recently is still settling: not unusual, days (0: off)")	\
	X(D09_HOUR_D,	  DETECT_D09, "hour_history_days", 28, "history needed for the rare-hour check, days")	\
	X(D09_HOUR_CALLS, DETECT_D09, "hour_min_calls", 200, "calls needed for the rare-hour check")	\
	X(D09_HOUR_RATE,  DETECT_D09, "hour_min_per_slot", 8, "calls per active hour of the week needed: an empty hour must be unlikely by chance")	\
	X(D10_CONFLICT_S, DETECT_D10, "conflict_window_s", 600, "conflict window, seconds")	\
	X(D10_CONFLICT_MEDIUM, DETECT_D10, "conflict_medium", 3, "conflicts of one principal in the window: medium")	\
	X(D10_TTL_S,	  DETECT_D10, "ttl_s", 86400, "idempotency key lifetime, seconds")	\
	X(D10_REPLAY_S,	  DETECT_D10, "replay_window_s", 600, "replay window, seconds")	\
	X(D10_REPLAY_LOW, DETECT_D10, "replay_low", 20, "replays of one key in the window: low")	\
	X(D11_WEEKS,	  DETECT_D11, "weeks", 4, "baseline weeks (same hour of the week)")	\
	X(D11_NEIGHBOURS, DETECT_D11, "neighbour_buckets", 4, "15-minute buckets either side of the same time in each week")	\
	X(D11_MIN_NONEMPTY, DETECT_D11, "min_nonempty", 20, "non-empty buckets the series needs in its history")	\
	X(D11_Z,	  DETECT_D11, "z", 3.5, "modified z-score")	\
	X(D11_RATIO,	  DETECT_D11, "ratio", 3, "count over the baseline median: medium")	\
	X(D11_DELTA,	  DETECT_D11, "delta", 50, "count minus the median, calls")	\
	X(D11_HIGH_RATIO, DETECT_D11, "high_ratio", 10, "count over the median: high")	\
	X(D11_DROP_MEDIAN, DETECT_D11, "drop_median", 20, "median needed for a drop to count")	\
	X(D11_DROP_RATIO, DETECT_D11, "drop_ratio", 0.1, "count below this share of the median is a drop")	\
	X(D11_DROP_BUCKETS, DETECT_D11, "drop_buckets", 2, "consecutive dropped buckets")	\
	X(D11_POISSON_P,  DETECT_D11, "poisson_p", 1e-4, "tail probability when the MAD is 0")	\
	X(D11_MAX_SERIES, DETECT_D11, "max_series", 20000, "principals tracked")	\
	X(D12_WINDOW_S,	  DETECT_D12, "window_s", 600, "window, seconds")	\
	X(D12_FANOUT,	  DETECT_D12, "fanout_tools", 15, "distinct tools in one session in the window: low")	\
	X(D13_WINDOW_S,	  DETECT_D13, "window_s", 30, "sustain window, seconds")	\
	X(D13_RATE,	  DETECT_D13, "rate", 20, "denied or malformed requests per second over the window")	\
	X(D14_UNKNOWN_S,  DETECT_D14, "unknown_window_s", 600, "unknown-tool window, seconds")	\
	X(D14_UNKNOWN_LOW, DETECT_D14, "unknown_low", 5, "calls of unknown tools by one caller: low")	\
	X(D15_SKEW_S,	  DETECT_D15, "skew_s", 5, "timestamp regression tolerated between rows of one host, seconds")	\
	X(D16_WARMUP_D,	  DETECT_D16, "warmup_days", 7, "log history before novelty is reported, days")

enum detect_param {
#define DETECT_X(e, d, n, v, doc)	DP_##e,
	DETECT_PARAMS(DETECT_X)
#undef DETECT_X
	DP__MAX
};

struct detect_param_info {
	enum detect_id	 det;
	const char	*name;
	double		 def;
	const char	*doc;
};

extern const struct detect_param_info detect_params[DP__MAX];

/* The parameter of det named name; -1 if none. */
int		 detect_param_find(enum detect_id det, const char *name);

/* --- tool hints (from the mcpgate config) --------------------------------- */

struct detect_hint {
	unsigned	 configured : 1;	/* the tool is in the config */
	unsigned	 read_only : 1;
	unsigned	 destructive : 1;
	unsigned	 idempotent : 1;
	unsigned	 idem_required : 1;	/* "idempotency": "required" */
	unsigned	 poll : 1;		/* rules: a polling tool */
	uint32_t	 scope;			/* configured scope (id) */
};

/* --- a decoded row -------------------------------------------------------- */

enum detect_auth { DA_NULL, DA_OK, DA_MISSING, DA_INVALID, DA_EXPIRED,
	DA_REVOKED, DA_ERROR };
enum detect_decision { DD_NULL, DD_ALLOW, DD_DENY };
enum detect_outcome { DO_NULL, DO_OK, DO_TOOL_ERROR, DO_PROTOCOL_ERROR,
	DO_AUTH_ERROR, DO_HTTP_ERROR, DO__MAX };
enum detect_idem { DI_NULL, DI_NEW, DI_REPLAY, DI_CONFLICT, DI_IN_FLIGHT };

/*
 * One audit row as the detectors see it.  Strings are interned ids
 * (0: NULL); hex digests are their first 64 bits (0: NULL).
 */
struct detect_row {
	int64_t		 seq;
	int64_t		 ts_us;
	int64_t		 retry_after_ms;	/* -1: NULL */
	int64_t		 latency_us;		/* -1: NULL */
	uint64_t	 session, args, idem;
	uint32_t	 host, principal, auth_method, key_id, client, ua;
	uint32_t	 rpc_method, tool, scope, category, code, token_sub;
	int32_t		 http_status, rpc_error_code;
	uint8_t		 retention;		/* kind = 'retention' */
	uint8_t		 auth, decision, outcome, idem_status;
	int8_t		 retryable;		/* -1: NULL */
	uint8_t		 is_new;		/* seq > watermark */
	uint8_t		 is_call;		/* rpc_method tools/call, tool */
	uint8_t		 repeat;		/* set by detect_feed: the same
						   call by the same caller within
						   a minute (a retry) */
};

/* --- findings ------------------------------------------------------------- */

#define DETECT_SAMPLES		20	/* rows kept for --explain */
#define DETECT_MSG_LEN		200
#define DETECT_EXPLAIN_LEN	600

/* What a finding is about; unused members are 0. */
struct detect_key {
	uint32_t	 principal, tool, client, auth_method, category, key_id;
	uint32_t	 host, ua;
	uint64_t	 session, args, idem;
	int32_t		 hour;		/* hour of the week + 1 (D09) */
	const char	*series;	/* static: "global", "tool", ... */
	const char	*klass;		/* static: D07 error class */
};

struct detect_finding {
	enum detect_id	 det;
	const char	*sub;		/* static: "loop", "spray", ... */
	enum detect_sev	 sev;
	enum detect_sev	 sev_ctx;	/* highest reached at rows <= wm */
	struct detect_key key;
	int64_t		 start_seq, trigger_seq, last_seq, escalate_seq;
	int64_t		 first_ts, trigger_ts, last_ts;
	int64_t		 count;		/* qualifying rows in the episode */
	double		 observed, threshold;
	int64_t		 window_s;
	int64_t		 samples[DETECT_SAMPLES];
	int		 nsamples;
	char		 fp[17];	/* fingerprint, 16 hex */
	char		 msg[DETECT_MSG_LEN];
	char		 explain[DETECT_EXPLAIN_LEN];
	int		 suppressed;	/* index + 1 of the exception */
	int		 attributed;	/* superseded by another finding */
};

/* An open episode of one key: which finding, when it last qualified. */
struct detect_ep {
	uint32_t	 f;		/* finding index + 1; 0: none open */
	int64_t		 last_ts;
};

/* --- per-key tables ------------------------------------------------------- */

/*
 * A hash table of fixed-size records keyed by a 64-bit key (callers mix
 * their key parts with detect_mix).  Records start with struct
 * detect_rec.  A pointer returned is valid until the next get or sweep
 * on the same table.
 */
struct detect_rec {
	uint64_t	 key;
	int64_t		 last_ts;	/* last row that touched the record */
};

struct detect_tab;

struct detect_tab *detect_tab_new(size_t recsize);
void		 detect_tab_free(struct detect_tab *);
/* The record of key, created zeroed (except key) if absent. */
void		*detect_tab_get(struct detect_tab *, uint64_t key, int *added);
/* The record of key or NULL. */
void		*detect_tab_find(struct detect_tab *, uint64_t key);
/*
 * Drops records with last_ts < before whose keep callback (may be NULL)
 * returns 0.
 */
void		 detect_tab_sweep(struct detect_tab *, int64_t before,
		    int (*keep)(void *rec, void *arg), void *arg);
size_t		 detect_tab_count(const struct detect_tab *);
/* Iteration: record i (i < count), in no particular order. */
void		*detect_tab_at(struct detect_tab *, size_t i);

uint64_t	 detect_mix(uint64_t a, uint64_t b);

/* --- timestamp rings ------------------------------------------------------ */

#define DETECT_RING_MAX	64

/* The last cap (<= DETECT_RING_MAX) timestamps and seqs of a key. */
struct detect_ring {
	int64_t		 ts[DETECT_RING_MAX];
	int64_t		 seq[DETECT_RING_MAX];
	uint16_t	 n, head;	/* head: next slot to write */
};

void		 detect_ring_push(struct detect_ring *, int cap, int64_t ts,
		    int64_t seq);
/* How many of the stored entries have ts >= since (at most cap). */
int		 detect_ring_count(const struct detect_ring *, int cap,
		    int64_t since);
/* The k-th newest entry (0: newest); k < n. */
int64_t		 detect_ring_ts(const struct detect_ring *, int cap, int k);
int64_t		 detect_ring_seq(const struct detect_ring *, int cap, int k);

/* --- statistics ----------------------------------------------------------- */

/* Median of n values (reorders v). */
double		 detect_median(double *v, size_t n);
/* Median absolute deviation around med (uses tmp[n]). */
double		 detect_mad(const double *v, size_t n, double med, double *tmp);
/* The q-quantile (0..1, nearest rank) of n values (reorders v). */
double		 detect_quantile(uint32_t *v, size_t n, double q);
/* Wilson score interval lower bound of k successes out of n, z=1.96. */
double		 detect_wilson_lower(double k, double n);
/* P(X >= k) for X ~ Poisson(lambda). */
double		 detect_poisson_tail(double k, double lambda);

/* --- the context ---------------------------------------------------------- */

#define DETECT_BUCKET_US	(900LL * 1000000)	/* 15 minutes */
#define DETECT_WEEK_BUCKETS	672

struct detect_ctx {
	double		 p[DP__MAX];
	int		 enabled[DETECT__MAX];
	struct intern	*str;		/* borrowed: row strings */
	struct detect_hint *hints;	/* by tool id */
	size_t		 nhints;
	int		 have_config;	/* hints came from a config */
	int		 auth_none;	/* config: auth mode none */
	uint32_t	 auth_allowed[4]; /* config: auth method ids */
	int		 nauth_allowed;
	uint32_t	 id_call, id_init, id_none, id_authentication;
	uint32_t	 id_authorization, id_rate_limited, id_conflict;
	uint32_t	 id_validation, id_not_found, id_unknown_tool;
	uint32_t	 id_protocol, id_internal, id_transient;

	int64_t		 wm_seq;	/* rows <= this are context */
	int64_t		 wm_ts;		/* ts of the watermark row (0: none) */
	int64_t		 clock_us;	/* newest ts seen */
	int64_t		 bucket;	/* current 15-minute bucket */
	int64_t		 first_ts;	/* first row this run */
	int64_t		 rows, rows_new;
	int64_t		 last_seq;

	struct detect_finding *f;
	size_t		 nf, capf;

	void		*priv[DETECT__MAX];
	struct detect_novel *novel;	/* D09/D16 memory (state.c loads) */

	struct detect_tab *recent;	/* calls of the last minute */
	uint64_t	*net;		/* by client id: /24 or /64 prefix+1 */
	size_t		 capnet;
	int64_t		 next_sweep;
	int64_t		 counts[DETECT__MAX];	/* findings opened */
};

/*
 * A context with the default thresholds, every detector enabled, string
 * table str (borrowed).  Owned by the caller (detect_ctx_free).
 */
struct detect_ctx *detect_ctx_new(struct intern *str);
void		 detect_ctx_free(struct detect_ctx *);

/* The hint of a tool id (a zeroed hint when nothing is known). */
const struct detect_hint *detect_hint(struct detect_ctx *, uint32_t tool);
/* Sets the hint of tool id (grows the table). */
void		 detect_hint_set(struct detect_ctx *, uint32_t tool,
		    const struct detect_hint *);

/* The caller of a call: its session, else principal, address, agent. */
uint64_t	 detect_caller(const struct detect_row *);

/* Creates the detectors' state: call once, after the thresholds are set. */
void		 detect_start(struct detect_ctx *);
/* Feeds one row (rows in seq order; sets r->repeat). */
void		 detect_feed(struct detect_ctx *, struct detect_row *);
/* After the last row: final bookkeeping (buckets stay open). */
void		 detect_finish(struct detect_ctx *);

/* The /24 (IPv4) or /64 (IPv6) network of client id, 0 if unknown. */
uint64_t	 detect_net(struct detect_ctx *, uint32_t client);

/*
 * Is f worth reporting this run: a trigger after the watermark, or an
 * escalation after it.
 */
int		 detect_finding_reportable(const struct detect_ctx *,
		    const struct detect_finding *);

/* Computes f->fp from the detector, sub, key and start. */
void		 detect_fingerprint(const struct detect_ctx *,
		    struct detect_finding *);

/*
 * The key as "principal=alice tool=get_order ..." (values with spaces
 * or control characters are quoted and cleaned).  OUT: buf.  Returns buf.
 */
char		*detect_key_text(const struct detect_ctx *,
		    const struct detect_key *, char *buf, size_t len);

/*
 * Calls fn for each member of the key that is set, with its name
 * ("principal", "session", ...) and its value as text.
 */
void		 detect_key_each(const struct detect_ctx *,
		    const struct detect_key *,
		    void (*fn)(void *arg, const char *name, const char *value),
		    void *arg);

/* --- for detectors -------------------------------------------------------- */

struct detect_ops {
	enum detect_id	 id;
	void		*(*start)(struct detect_ctx *);
	void		 (*row)(struct detect_ctx *, void *,
			    const struct detect_row *);
	/* A 15-minute bucket closed; r is the row that crossed. */
	void		 (*tick)(struct detect_ctx *, void *, int64_t bucket,
			    const struct detect_row *r);
	void		 (*sweep)(struct detect_ctx *, void *, int64_t now);
	void		 (*free)(void *);
};

extern const struct detect_ops detect_loop_ops[3];	/* D01 D02 D03 */
extern const struct detect_ops detect_access_ops[3];	/* D04 D05 D13 */
extern const struct detect_ops detect_rate_ops[2];	/* D06 D10 */
extern const struct detect_ops detect_stats_ops[3];	/* D07 D08 D11 */
extern const struct detect_ops detect_novel_ops[2];	/* D09 D16 */
extern const struct detect_ops detect_session_ops[1];	/* D12 */
extern const struct detect_ops detect_policy_ops[2];	/* D14 D15 */

#define DP(ctx, e)	((ctx)->p[DP_##e])
#define DP_US(ctx, e)	((int64_t)((ctx)->p[DP_##e] * 1e6))

/*
 * The finding of episode ep if it is still open at ts (quiet_us since
 * it last qualified), else NULL (and ep is closed).
 */
struct detect_finding *detect_ep_current(struct detect_ctx *,
		    struct detect_ep *, int64_t ts, int64_t quiet_us);

/*
 * Opens a finding for episode ep (may be NULL) at row r (the trigger),
 * starting at start_seq/start_ts, with no severity yet (detect_raise
 * sets it) and a count of 0.  Returns it (valid until the next
 * detect_open).
 */
struct detect_finding *detect_open(struct detect_ctx *, struct detect_ep *,
		    enum detect_id, const char *sub, const struct detect_key *,
		    const struct detect_row *r, int64_t start_seq,
		    int64_t start_ts);

/* Counts row r into f and ep (last seq/ts, samples). */
void		 detect_touch(struct detect_ctx *, struct detect_finding *,
		    struct detect_ep *, const struct detect_row *r);

/* Adds seq to f's samples if there is room and it is not there yet. */
void		 detect_sample(struct detect_finding *, int64_t seq);

/*
 * Raises f to sev at row r (never lowers), recording what fired:
 * observed against threshold over window_s, a message and the
 * arithmetic.  Returns 1 if the severity rose.
 */
int		 detect_raise(struct detect_ctx *, struct detect_finding *,
		    enum detect_sev sev, const struct detect_row *r,
		    double observed, double threshold, int64_t window_s,
		    const char *msg, const char *explain);

/* A severity one level up (capped) or down (floored at info). */
enum detect_sev	 detect_sev_up(enum detect_sev, enum detect_sev cap);
enum detect_sev	 detect_sev_down(enum detect_sev);

/*
 * D07's view for D03: is an error-rate spike open for tool (or for the
 * whole fleet) at ts?  Then a failing-retry storm is attributed to it.
 */
int		 detect_stats_spiking(struct detect_ctx *, uint32_t tool,
		    int64_t ts);

/*
 * D15: sqlite_sequence (seq_hi) is ahead of the newest row (last_seq):
 * the newest rows were deleted.  Opens a critical finding.
 */
void		 detect_d15_tail(struct detect_ctx *, int64_t seq_hi,
		    int64_t last_seq, int64_t last_ts);

/* The open finding of ep, or NULL. */
struct detect_finding *detect_ep_finding(struct detect_ctx *,
		    const struct detect_ep *);

#endif /* AUDIT_DETECT_H */
