/*
 * state.h -- the scan's own state file: a separate SQLite database
 * (never the audit log) holding the watermark (the last row evaluated,
 * its ts and row_hash), the novelty memory of D09/D16, the findings
 * each run reported (for --explain) and a log of runs.  A lock file
 * beside it (PATH.lock, flock) keeps two cron runs from overlapping.
 */
#ifndef AUDIT_STATE_H
#define AUDIT_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_HEX_LEN	64

struct state;
struct detect_ctx;
struct detect_finding;

struct state_wm {
	int64_t		 seq;		/* 0: no watermark yet */
	int64_t		 ts_us;
	char		 row_hash[STATE_HEX_LEN + 1];
	int64_t		 runs;
	char		 db_path[512];	/* the audit log it belongs to */
};

/*
 * Takes the lock (PATH.lock, created 0600) without waiting, then opens
 * or creates the state database at path.  OUT: *out (state_close).
 * Returns 0; 1 if another process holds the lock (err names it); -1
 * with a message in err.
 */
int	state_open(const char *path, struct state **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* Closes the database and releases the lock.  NULL-safe. */
void	state_close(struct state *);

/* OUT: wm (seq 0 when the state is new).  Returns 0 or -1 with err. */
int	state_watermark(struct state *, struct state_wm *wm, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* Loads the novelty memory into ctx.  Returns 0 or -1 with err. */
int	state_load_novel(struct state *, struct detect_ctx *ctx, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * In one transaction: the new watermark, what ctx learnt, each reported
 * finding (fp, detector, severity, json text: borrowed arrays of n),
 * and a run record.  Returns 0 or -1 with err (nothing changed).
 */
struct state_save {
	const struct state_wm *wm;
	struct detect_ctx *ctx;
	const struct detect_finding *const *f;
	const char *const *json;
	size_t		 n;
	int64_t		 started_us, rows, rows_new, first_seq, last_seq;
	int		 exit_code;
};

int	state_save(struct state *, const struct state_save *s, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * Looks up a reported finding by its fingerprint (or a unique prefix of
 * at least 6 hex digits).  OUT: *json (owned by the caller: free).
 * Returns 1 found, 0 not found, 2 ambiguous, -1 with err.
 */
int	state_find_finding(struct state *, const char *fp, char **json,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif /* AUDIT_STATE_H */
