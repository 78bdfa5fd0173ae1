/*
 * report.h -- the report engine: one sequential, read-only scan of the
 * audit rows in a time range (and filters), fed to every selected report
 * of the catalogue (reports.c), which aggregate into plain arrays and add
 * their tables to a doc; then one formatter renders the doc.
 *
 * A report is a row of a table (struct report_def): the columns it
 * needs, a start / row / finish / free quartet.  Adding a report is
 * adding a row there, as adding a panel is in GoAccess.  Reads the
 * database only through db.h, inside one read transaction.
 */
#ifndef AUDIT_REPORT_H
#define AUDIT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "doc.h"
#include "hints.h"
#include "intern.h"
#include "timerange.h"

/* The columns a report may read; REPORT_BIT(c) in a need mask. */
enum report_col {
	REPORT_C_SEQ,
	REPORT_C_TS,
	REPORT_C_KIND,
	REPORT_C_PRINCIPAL,
	REPORT_C_AUTH_METHOD,
	REPORT_C_AUTH_RESULT,
	REPORT_C_DECISION,
	REPORT_C_REASON,
	REPORT_C_KEY_ID,
	REPORT_C_TOKEN_SUB,
	REPORT_C_ADDR,
	REPORT_C_UA,
	REPORT_C_RPC_METHOD,
	REPORT_C_TOOL,
	REPORT_C_SCOPE,
	REPORT_C_IDEM_KEY,
	REPORT_C_IDEM_STATUS,
	REPORT_C_DIGEST,
	REPORT_C_OUTCOME,
	REPORT_C_CATEGORY,
	REPORT_C_ERROR_CODE,
	REPORT_C_LATENCY,
	REPORT_C_SESSION,
	REPORT_C_REQUEST_ID,
	REPORT_C_HTTP_STATUS,
	REPORT_C__MAX
};
#define REPORT_BIT(c)	(UINT64_C(1) << (c))

enum report_outcome {
	REPORT_OUT_NONE = 0, REPORT_OUT_OK, REPORT_OUT_TOOL_ERROR,
	REPORT_OUT_PROTOCOL_ERROR, REPORT_OUT_AUTH_ERROR,
	REPORT_OUT_HTTP_ERROR, REPORT_OUT__MAX
};
enum report_decision {
	REPORT_DEC_NONE = 0, REPORT_DEC_ALLOW, REPORT_DEC_DENY,
	REPORT_DEC__MAX
};
enum report_auth {
	REPORT_AUTH_NONE = 0, REPORT_AUTH_OK, REPORT_AUTH_MISSING,
	REPORT_AUTH_INVALID, REPORT_AUTH_EXPIRED, REPORT_AUTH_REVOKED,
	REPORT_AUTH_ERROR, REPORT_AUTH__MAX
};
enum report_idem {
	REPORT_IDEM_NONE = 0, REPORT_IDEM_NEW, REPORT_IDEM_REPLAY,
	REPORT_IDEM_CONFLICT, REPORT_IDEM_IN_FLIGHT, REPORT_IDEM__MAX
};

/* The value names, as stored in the log ("ok", "deny", ...). */
extern const char *const report_outcome_names[REPORT_OUT__MAX];
extern const char *const report_decision_names[REPORT_DEC__MAX];
extern const char *const report_auth_names[REPORT_AUTH__MAX];
extern const char *const report_idem_names[REPORT_IDEM__MAX];

/*
 * One audit row as a report sees it.  Text columns a report needs are in
 * s/len (borrowed: valid only during the row callback; NULL for SQL
 * NULL); columns it interns have a stable id in id (0 for NULL), whose
 * string is intern_str(ctx->str[c], id).
 */
struct report_row {
	int64_t		 seq;
	int64_t		 ts_us;
	int64_t		 latency_us;	/* -1: none */
	int64_t		 http_status;	/* 0: none */
	int		 retention;	/* a retention marker, not a request */
	enum report_outcome outcome;
	enum report_decision decision;
	enum report_auth auth;
	enum report_idem idem;
	uint32_t	 id[REPORT_C__MAX];
	const char	*s[REPORT_C__MAX];
	size_t		 len[REPORT_C__MAX];
};

/*
 * Rows kept in a row-level table (access, privileged_calls) unless
 * --limit says otherwise: every matching row is still counted
 * (total_rows), but a report of all of a 10-million-row log would need
 * gigabytes; --limit 0 keeps them all.
 */
#define REPORT_LIMIT_DEFAULT	100000

/* A request's class on the timeline: exactly one of these. */
#define REPORT_ROW_DENIED(r)	((r)->decision == REPORT_DEC_DENY)
#define REPORT_ROW_FAILED(r)	(!REPORT_ROW_DENIED(r) && \
				 (r)->outcome != REPORT_OUT_OK)
#define REPORT_ROW_AUTHFAIL(r)	((r)->auth > REPORT_AUTH_OK)

struct report_opts {
	const char	*db_path;
	int		 db_flags;	/* AUDIT_DB_IMMUTABLE */
	const char	*format;	/* "text" */
	const char	*output;	/* NULL: stdout */
	struct timerange range;		/* [from, to) */
	int		 tz_min;
	const char	*principal;	/* filters; NULL: any */
	const char	*tool;
	const char	*outcome;	/* a value, or "error": not ok */
	const char	*decision;	/* allow, deny, none */
	int64_t		 top;		/* 0: the report's default */
	int64_t		 limit;		/* row-level tables; 0: all */
	const char	*config;	/* mcpgate.json for tool hints */
	const char	*table;		/* only this table */
	int64_t		 now_us;
	int		 progress;	/* -1 never, 0 if a terminal, 1 */
};

struct report_ctx {
	const struct report_opts *opts;
	struct audit_db	*db;
	struct doc	*doc;
	struct hints	*hints;		/* NULL without --config */
	struct intern	*str[REPORT_C__MAX];	/* by column */
	struct audit_db_span span;	/* the time range, before filters */
	/* what the scan matched */
	int64_t		 rows, first_seq, last_seq, first_ts, last_ts;
	/* the timeline's buckets */
	int64_t		 t0_us, bucket_us;
	size_t		 nbuckets;
	char		 err[512];
};

struct report_def {
	const char	*name;
	const char	*what;		/* one line for --help */
	uint64_t	 need;		/* REPORT_BIT()s of columns read */
	uint64_t	 intern;	/* of those, the ones interned */
	void		*(*start)(struct report_ctx *);
	void		 (*row)(void *state, struct report_ctx *,
			    const struct report_row *);
	/* Adds the report's tables to ctx->doc.  Returns 0 or -1 (err). */
	int		 (*finish)(void *state, struct report_ctx *);
	void		 (*free)(void *state);
};

extern const struct report_def reports_catalogue[];
extern const size_t reports_ncatalogue;

/* The report called name, or NULL. */
const struct report_def *reports_find(const char *name);

/*
 * Counts the requests matching the report's filters in [from_us, to_us)
 * with one indexed query (summary's previous period).  OUT: n[0]
 * requests, n[1] failed, n[2] denied, n[3] authentication failures.
 * Returns 0, or -1 with ctx->err.
 */
int	report_count(struct report_ctx *ctx, int64_t from_us, int64_t to_us,
	    int64_t n[4]) __attribute__((warn_unused_result));

/* mcpgate-audit report ...: returns the exit status (0, or 3). */
int	report_main(int argc, char **argv);

/*
 * The N-th percentiles p[0] < p[1] < ... (0 < p <= 100) of the n values
 * in v, exactly, by the nearest-rank method (the smallest value with at
 * least p% of the values at or below it).  Reorders v.  OUT: out[np].
 * n == 0 leaves out untouched.
 */
void	report_percentiles(int64_t *v, size_t n, const double *p, size_t np,
	    int64_t *out);

/*
 * The clock for "now", "today", -24h: MCPGATE_AUDIT_NOW (ISO 8601 or
 * @unix-seconds) when set, so that tests and re-runs are repeatable,
 * else the wall clock.
 */
int64_t	report_now(void);

/*
 * Resolves --from/--to/--range/--tz (each may be NULL) into out and
 * *tz_min.  --range excludes --from/--to.  Returns 0, or -1 with err.
 */
int	report_time_opts(const char *from, const char *to, const char *range,
	    const char *tz, int64_t now_us, struct timerange *out, int *tz_min,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Opens path for writing a report or export atomically: a temporary file
 * beside it (mode 0600: reports name people), renamed over path by
 * report_output_close.  path NULL or "-": stdout.
 * Returns a stream, or NULL with err.
 */
FILE	*report_output_open(const char *path, char **tmp, char *err,
	    size_t errlen);

/* Flushes and closes out; renames tmp to path when ok.  Returns 0/-1. */
int	report_output_close(FILE *out, const char *path, char *tmp, int ok,
	    char *err, size_t errlen);

/* Progress on stderr, if a terminal and the run is long (see opts). */
void	report_progress(int mode, int64_t done, int64_t total, int64_t t0_us,
	    int final);

#endif /* AUDIT_REPORT_H */
