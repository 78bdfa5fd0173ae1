/*
 * scan_out.h -- how a scan's findings leave the analyzer: text for
 * people (aligned, control characters stripped), JSON lines (one finding
 * per line, then a summary line) and one JSON document; and --explain,
 * which prints a finding with the rows, window, threshold and arithmetic
 * that made it fire.  JSON only through jansson.
 */
#ifndef AUDIT_SCAN_OUT_H
#define AUDIT_SCAN_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct detect_ctx;
struct detect_finding;
struct scan_rules;
struct sqlite3;

#define SCAN_SCHEMA_VERSION	1

enum scan_fmt {
	SCAN_FMT_TEXT,
	SCAN_FMT_JSONL,
	SCAN_FMT_JSON,
	SCAN_FMT__MAX
};

/* What one run did, for the header and the summary. */
struct scan_run {
	const char	*db_path;	/* borrowed */
	const char	*state_path;	/* borrowed, may be NULL */
	int64_t		 now_us;
	int64_t		 wm_before, wm_after;	/* seq; 0: none */
	int64_t		 first_seq, last_seq;	/* rows read */
	int64_t		 first_ts, last_ts;
	int64_t		 rows, rows_new;
	int64_t		 held_back;	/* newer than the settle lag */
	double		 secs;
	int		 fail_on;	/* severity; 0: never */
	int		 min_sev;	/* shown */
	int		 exit_code;
	int		 dry_run;
	const char	*note;		/* borrowed, may be NULL */
};

/*
 * The JSON of finding f (with its exception when suppressed).  Returns
 * a new reference, or NULL on OOM.
 */
json_t	*scan_out_finding(const struct detect_ctx *ctx,
	    const struct detect_finding *f, const struct scan_rules *rules);

/*
 * Prints the run: fj[i] is the JSON of f[i] (both borrowed, n of them,
 * already sorted).  Returns 0, or -1 if writing failed.
 */
int	scan_out_report(FILE *out, enum scan_fmt fmt,
	    const struct scan_run *run, const struct detect_ctx *ctx,
	    const struct scan_rules *rules,
	    const struct detect_finding *const *f, json_t *const *fj, size_t n);

/*
 * --explain: prints finding fj (borrowed) and its sample rows read from
 * db (borrowed, may be NULL: no rows).  Returns 0 or -1.
 */
int	scan_out_explain(FILE *out, enum scan_fmt fmt, json_t *fj,
	    struct sqlite3 *db);

/* "text", "jsonl", "json" -> format; -1 if unknown. */
int	scan_out_parse_fmt(const char *s);

#endif /* AUDIT_SCAN_OUT_H */
