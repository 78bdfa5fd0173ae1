/*
 * audit.h -- the audit log writer: one row per request in an SQLite
 * database of its own, filled along the request path in a struct
 * audit_event and written once, before the response is sent.  Holds the
 * redaction rules (schema marks and name patterns), the canonical-JSON
 * argument digest, the chained insert (lib/auditchain.h defines the
 * hash), retention with a marker row, and the optional syslog mirror.
 * Knows nothing of HTTP, FastCGI or MCP dispatch: the endpoint fills the
 * event.  docs/audit.md is the reference for what is stored.
 */
#ifndef AUDIT_H
#define AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "bounds.h"
#include "digest.h"

struct audit;
struct auditchain_key;

/* What replaces a redacted argument value. */
#define AUDIT_REDACTED		"[redacted]"

/* Retention: prune at most this often, at most this many rows at once. */
#define AUDIT_PRUNE_INTERVAL_S	600
#define AUDIT_PRUNE_BATCH	5000

/* Waiting for another worker's audit write (the chain is serialised). */
#define AUDIT_BUSY_MS		10000

/*
 * "synchronous": "WRITES": a row that needs no sync of its own is still
 * synced when this process's last sync is older than this.
 */
#define AUDIT_SYNC_LAG_MS	1000

/* When a committed row is made durable (fsynced): "synchronous". */
enum audit_sync {
	AUDIT_SYNC_FULL,	/* every row, before its response */
	AUDIT_SYNC_WRITES,	/* rows of requests that may change data */
	AUDIT_SYNC_NORMAL	/* at WAL checkpoints only */
};

enum audit_outcome {
	AUDIT_OUT_UNSET = 0,	/* audit_event_finish derives it */
	AUDIT_OUT_OK,
	AUDIT_OUT_TOOL_ERROR,	/* an isError tool result */
	AUDIT_OUT_PROTOCOL_ERROR, /* a JSON-RPC error response */
	AUDIT_OUT_AUTH_ERROR,	/* authentication or authorization refused */
	AUDIT_OUT_HTTP_ERROR,	/* refused by the HTTP rules */
	AUDIT_OUT__MAX
};

/*
 * One request, as the audit row will hold it.  Fixed size except
 * args_redacted.  Text members are filled with audit_text (cut at a
 * character boundary, control characters and invalid UTF-8 replaced by
 * '?'); an empty string is stored as NULL.
 */
struct audit_event {
	int64_t		 ts_us;		/* arrival, unix microseconds (UTC) */
	int64_t		 start_us;	/* arrival, CLOCK_MONOTONIC */
	char		 request_id[33];
	char		 trace_id[33];
	char		 span_id[17];
	char		 parent_span_id[17];
	char		 trace_flags[3];	/* echoed, not stored */
	char		 session_hash[DIGEST_HEX_LEN + 1];
	char		 protocol_version[32];
	char		 principal[512];
	char		 auth_method[16];	/* none, apikey, jwt */
	char		 auth_result[16];	/* ok, missing, invalid, ... */
	char		 decision[8];		/* allow, deny */
	char		 decision_reason[32];
	char		 key_id[64];
	char		 token_iss[256];
	char		 token_sub[256];
	char		 client_addr[64];
	char		 user_agent[BOUNDS_AUDIT_FIELD_LEN + 1];
	char		 http_method[16];
	char		 http_path[BOUNDS_AUDIT_FIELD_LEN + 1];
	int		 http_status;
	char		 rpc_method[BOUNDS_METHOD_LEN + 1];
	char		 rpc_id[BOUNDS_AUDIT_FIELD_LEN + 1];
	int		 rpc_error_code;	/* 0: none */
	char		 tool[BOUNDS_TOOL_NAME_LEN + 1];
	char		 scope_required[256];
	char		 idem_key_hash[DIGEST_HEX_LEN + 1];
	char		 idem_status[16];	/* new, replay, conflict, in_flight */
	char		 args_digest[DIGEST_HEX_LEN + 1];
	char		*args_redacted;		/* owned (audit_event_clear) */
	enum audit_outcome outcome;
	char		 error_category[32];
	char		 error_code[64];
	int		 retryable;		/* -1: not applicable */
	int64_t		 retry_after_ms;	/* -1: none */
	int64_t		 latency_us;
	int64_t		 bytes_in;
	int64_t		 bytes_out;
	int		 changes;	/* may have changed data: sync it */
};

/*
 * Builds the writer from the config's "audit" object conf (borrowed; NULL
 * or {} for the defaults).  Relative paths are resolved against the
 * directory of config_path.  Reads the sealing key file now; opens no
 * database.  Returns NULL with "/audit/...: what is wrong" in err.
 */
struct audit	*audit_new(const json_t *conf, const char *config_path,
		    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Makes every row committed so far durable (fsyncs the audit WAL) if this
 * process has committed rows since its last sync.  Returns 0, or -1 with
 * a message in err.  audit_unsynced tells whether there is any.  Under
 * "synchronous": "WRITES" a worker calls it when idle.
 */
int		 audit_sync(struct audit *, char *err, size_t errlen)
		    __attribute__((warn_unused_result));
int		 audit_unsynced(const struct audit *);

/*
 * "synchronous": "WRITES": milliseconds until this process's unsynced
 * rows are due for audit_sync (0: now), or -1 when none wait.  A worker
 * with nothing to do waits at most that long for its next request, then
 * syncs.
 */
int		 audit_sync_due_ms(const struct audit *);

/* Syncs what is unsynced, closes the database, wipes the key.  NULL-safe. */
void		 audit_free(struct audit *);

/*
 * Opens (creating with mode 0640 and migrating) the audit database if it
 * is not open yet.  Returns 0, or -1 with a message in err.
 */
int		 audit_open(struct audit *, char *err, size_t errlen)
		    __attribute__((warn_unused_result));

/* The database path (absolute) and the sealing key (NULL: unsealed). */
const char	*audit_db_path(const struct audit *);
const struct auditchain_key *audit_key(const struct audit *);

/*
 * Starts an event: zeroes ev, takes the time, a fresh request id and the
 * trace context: traceparent (borrowed, may be NULL) is continued when it
 * is a valid W3C traceparent, else a new trace is started.  Our own span
 * id is always new.  Returns 0, or -1 if the random generator failed (ev
 * is still usable, with ids "unavailable").
 */
int		 audit_event_begin(struct audit_event *ev,
		    const char *traceparent) __attribute__((warn_unused_result));

/* Frees what ev owns and zeroes it. */
void		 audit_event_clear(struct audit_event *ev);

/*
 * Copies src (may be NULL: "") into dst of size bytes: cut at a UTF-8
 * character boundary, control characters and invalid UTF-8 replaced by
 * '?'.  AUDIT_SET(ev.field, src) for the members of struct audit_event.
 */
void		 audit_text(char *dst, size_t size, const char *src);
#define AUDIT_SET(field, src)	audit_text((field), sizeof(field), (src))

/* Sets the outcome, error category and error code (may be NULL). */
void		 audit_event_error(struct audit_event *ev,
		    enum audit_outcome out, const char *category,
		    const char *code);

/*
 * Records a tools/call's arguments: the digest of the canonical form
 * (before redaction) and the redacted canonical JSON, using the tool's
 * input schema (borrowed, may be NULL for an unknown tool).  args is
 * borrowed.  Returns 0, or -1 on OOM (then both stay NULL).
 */
int		 audit_event_args(const struct audit *, struct audit_event *ev,
		    const json_t *schema, const json_t *args)
		    __attribute__((warn_unused_result));

/*
 * Completes ev as the response leaves: the HTTP status, the response
 * body's length, the latency, and an outcome derived from the status if
 * none was set.
 */
void		 audit_event_finish(struct audit_event *ev, int status,
		    size_t bytes_out);

/* OUT: out, the traceparent response header for ev (55 characters). */
void		 audit_traceparent(const struct audit_event *ev,
		    char out[56]);

/*
 * Appends ev as one chained row (BEGIN IMMEDIATE: read the chain head,
 * prune if due, hash, insert, COMMIT), then mirrors it to syslog if
 * configured.  Opens the database if needed.  Returns 0, or -1 with a
 * message in err (nothing was written).
 */
int		 audit_write(struct audit *, const struct audit_event *ev,
		    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Deletes the rows older than cutoff_us (at most AUDIT_PRUNE_BATCH, from
 * the oldest end only) and appends a retention marker row, in one
 * transaction.  OUT: deleted (may be NULL).  No rows to delete: nothing
 * is written.  Returns 0, or -1 with a message in err.
 */
int		 audit_prune(struct audit *, int64_t cutoff_us,
		    int64_t *deleted, char *err, size_t errlen)
		    __attribute__((warn_unused_result));

/*
 * The canonical JSON of v: compact, object members sorted by key (bytes,
 * as strcmp), jansson's number and string formatting.  Returns a string
 * (owned by the caller: free) or NULL on OOM.
 */
char		*audit_canonical(const json_t *v);

/*
 * The argument digest: hex SHA-256 of the canonical JSON of args without
 * a top-level "idempotency_key" member; with a sealing key, HMAC-SHA256
 * keyed with it instead (docs/audit.md).  a may be NULL (unsealed).
 * Returns 0 or -1 (OOM).
 */
int		 audit_digest(const struct audit *a, const json_t *args,
		    char out[DIGEST_HEX_LEN + 1])
		    __attribute__((warn_unused_result));

/*
 * The redacted copy of args under schema (may be NULL): values whose
 * subschema says writeOnly: true or "x-redact": true, values whose member
 * name matches a redaction pattern (at any depth) and a top-level
 * "idempotency_key" become AUDIT_REDACTED; strings longer than max_string
 * are cut.  Returns a new value (owned by the caller) or NULL on OOM.
 */
json_t		*audit_redact(const struct audit *a, const json_t *schema,
		    const json_t *args);

/* 1 if the member name matches a redaction pattern of a. */
int		 audit_name_secret(const struct audit *a, const char *name);

#endif /* AUDIT_H */
