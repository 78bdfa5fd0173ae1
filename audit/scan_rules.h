/*
 * scan_rules.h -- what the scan is told: the rules file (thresholds per
 * detector, tools marked as polling, exceptions with a reason, an owner
 * and an expiry) and the mcpgate config (tool hints, scopes,
 * idempotency, auth methods), both JSON read with jansson.  The config
 * is read for its facts only; lib/config.c is not linked.
 */
#ifndef AUDIT_SCAN_RULES_H
#define AUDIT_SCAN_RULES_H

#include <stddef.h>
#include <stdint.h>

struct detect_ctx;
struct detect_finding;

/* Finding key members an exception can match (glob patterns). */
enum scan_match {
	SCAN_M_PRINCIPAL,
	SCAN_M_TOOL,
	SCAN_M_CLIENT,
	SCAN_M_SESSION,
	SCAN_M_KEY_ID,
	SCAN_M_AUTH,
	SCAN_M_HOST,
	SCAN_M_SERIES,
	SCAN_M__MAX
};

struct scan_exception {
	int		 det;		/* detector, -1: any */
	char		*sub;		/* NULL: any */
	char		*match[SCAN_M__MAX];	/* NULL: any */
	char		*reason, *owner, *expires;
	int64_t		 expires_us;	/* exclusive */
	int		 expired;	/* at the run's clock */
	int64_t		 hits;		/* findings suppressed */
	int64_t		 expired_hits;	/* findings it would have matched */
};

struct scan_rules {
	struct scan_exception *ex;
	size_t		 nex;
};

/*
 * Reads the rules file at path into ctx (thresholds, enabled detectors,
 * poll tools: call after scan_config_load) and rules (exceptions, with
 * expiry judged at now_us).  Returns 0, or -1 with "FILE: /pointer:
 * what is wrong" in err.
 */
int	scan_rules_load(const char *path, struct detect_ctx *ctx,
	    struct scan_rules *rules, int64_t now_us, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Reads tool hints, scopes, idempotency and auth methods from the
 * mcpgate config at path into ctx.  Returns 0, or -1 with err.
 */
int	scan_config_load(const char *path, struct detect_ctx *ctx, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * The exception that suppresses f: its index + 1, or 0.  Counts the hit
 * (and, for expired exceptions that match, an expired hit).
 */
int	scan_rules_match(struct scan_rules *, const struct detect_ctx *,
	    const struct detect_finding *f);

/* Frees what rules holds (not rules itself).  NULL-safe. */
void	scan_rules_free(struct scan_rules *);

/* "principal", "tool", ...: static. */
const char *scan_match_name(enum scan_match);

#endif /* AUDIT_SCAN_RULES_H */
