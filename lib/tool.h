/*
 * tool.h -- what a tool is, seen from the inside: a name, schemas, hints, a
 * scope, and a call function that takes validated arguments and the
 * caller's identity and returns a result or a categorised error.  A tool
 * knows nothing of MCP, JSON-RPC or HTTP.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "bounds.h"

/* The error categories a model can act on (PRODUCT.md, issue 4). */
enum tool_errcat {
	TOOL_ERR_NONE = 0,
	TOOL_ERR_VALIDATION,
	TOOL_ERR_AUTHORIZATION,
	TOOL_ERR_NOT_FOUND,
	TOOL_ERR_CONFLICT,
	TOOL_ERR_RATE_LIMITED,
	TOOL_ERR_TRANSIENT,
	TOOL_ERR_INTERNAL,
	TOOL_ERR__MAX
};

/*
 * A tool error.  Fixed size: filling it allocates nothing, except details,
 * which is optional and owned (a JSON value, e.g. the list of schema
 * violations).
 */
struct tool_error {
	enum tool_errcat cat;
	char		 code[64];		/* stable, machine-readable */
	char		 message[BOUNDS_ERRMSG_LEN]; /* a sentence for a model */
	int		 retryable;
	int		 retry_after;		/* seconds, 0 = not given */
	json_t		*details;		/* owned, may be NULL */
};

/* Who is calling, as far as a tool may know. */
struct tool_caller {
	const char	*principal;	/* borrowed: "key:<id>", "<iss>#<sub>", ... */
	const char	*auth_method;	/* "apikey", "jwt", "none" */
	const char	*request_id;	/* borrowed: for internal-error messages */
	int64_t		 deadline_us;	/* absolute, CLOCK_MONOTONIC; 0 = none */
	/* Write tools: the scoped idempotency key hash, or NULL for none. */
	const char	*idem_key;
	const char	*idem_fp;	/* fingerprint of the canonical arguments */
	long		 idem_ttl;	/* seconds a record is kept */
};

/* How a write tool finds its idempotency key (issue 5). */
enum tool_idem {
	TOOL_IDEM_OPTIONAL,	/* header or argument when given */
	TOOL_IDEM_REQUIRED,	/* no key: a validation error */
	TOOL_IDEM_DERIVED,	/* else a hash of the canonical arguments */
	TOOL_IDEM_OFF
};

/* A token bucket: rate per minute and burst (0 = no limit). */
struct tool_rate {
	int	 per_minute;
	int	 burst;
};

/* What a tool returns when it succeeds (or fails in its own words). */
struct tool_result {
	json_t	*content;	/* owned: array of content blocks, or NULL */
	json_t	*structured;	/* owned: object, or NULL */
	int	 is_error;	/* the tool itself reports failure */
	int	 replayed;	/* an idempotent replay of an earlier call */
};

struct tool;

struct tool_ops {
	const char	*kind;	/* "sql", "static", "builtin" */
	/*
	 * Runs the tool.  args has passed the input schema.  On success fills
	 * res and returns 0; on failure fills err and returns -1.
	 */
	int	(*call)(struct tool *, const struct tool_caller *,
		    json_t *args, struct tool_result *res,
		    struct tool_error *err);
	void	(*free)(void *impl);
};

struct schema;

struct tool {
	char			*name;
	char			*title;		/* may be NULL */
	char			*description;	/* may be NULL */
	json_t			*input_schema;	/* owned: as published */
	json_t			*output_schema;	/* owned, may be NULL */
	struct schema		*input_check;	/* compiled, may be NULL */
	struct schema		*output_check;	/* compiled, may be NULL */
	json_t			*annotations;	/* owned, may be NULL */
	char			*scope;		/* required scope, may be NULL */
	int			 read_only;
	enum tool_idem		 idempotency;	/* write tools */
	struct tool_rate	 rate;		/* per principal */
	const struct tool_ops	*ops;
	void			*impl;		/* owned by ops->free */
};

/* Fills err (cat, code, retryable) and formats its message. */
void	tool_error_set(struct tool_error *err, enum tool_errcat cat,
	    const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

/* Releases err->details. */
void	tool_error_clear(struct tool_error *err);

/* "validation", "not_found", ... */
const char *tool_errcat_name(enum tool_errcat cat);

/* Releases the result's JSON values. */
void	tool_result_clear(struct tool_result *res);

/* Frees a tool and everything it owns.  NULL-safe. */
void	tool_free(struct tool *t);

/*
 * Checks a tool name against the 2025-11-25 rules (1..128 characters of
 * A-Z a-z 0-9 _ - .).  Returns 0 if valid.
 */
int	tool_name_valid(const char *name);

#endif /* TOOL_H */
