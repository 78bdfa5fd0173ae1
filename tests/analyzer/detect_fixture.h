/*
 * detect_fixture.h -- golden fixtures for the scan's detectors: rows
 * built in memory (no SQLite), fed to a detect_ctx in seq order, and
 * the findings read back.  Used by tests/analyzer/test_detect_*.c.
 *
 *	struct fx *x = fx_new();
 *	fx_only(x, DETECT_D01);
 *	struct fx_row r = fx_call(x, "alice", "get_order", "a1");
 *	fx_at(x, &r, 10.0);		// ts in seconds from the fixture epoch
 *	...
 *	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 1, "...");
 *	fx_free(x);
 */
#ifndef DETECT_FIXTURE_H
#define DETECT_FIXTURE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "intern.h"

/* 2025-03-03T00:00:00Z, a Monday. */
#define FX_EPOCH_US	1740960000000000LL

struct fx {
	struct intern	*str;
	struct detect_ctx *ctx;
	int64_t		 seq;
	int		 started;
};

/* A row being built: strings (NULL: SQL NULL) and the rest. */
struct fx_row {
	const char	*principal, *auth_method, *auth_result, *decision;
	const char	*key_id, *client, *ua, *rpc_method, *tool, *scope;
	const char	*idem_status, *outcome, *category, *code, *host;
	const char	*token_sub;
	const char	*session, *args, *idem;	/* any text: hashed */
	int		 http_status, rpc_error_code, retryable;
	int64_t		 retry_after_ms, latency_us;
	int		 retention;
	int		 context;		/* seq <= watermark */
};

static inline struct fx *
fx_new(void)
{
	struct fx	*x = calloc(1, sizeof(*x));

	x->str = intern_new();
	x->ctx = detect_ctx_new(x->str);
	return x;
}

static inline void
fx_free(struct fx *x)
{
	detect_ctx_free(x->ctx);
	intern_free(x->str);
	free(x);
}

/* Only detector d (call before the first row). */
static inline void
fx_only(struct fx *x, int d)
{
	int	 i;

	for (i = 0; i < DETECT__MAX; i++)
		x->ctx->enabled[i] = i == d;
}

/* Sets a threshold by name (call before the first row). */
static inline void
fx_param(struct fx *x, int d, const char *name, double v)
{
	int	 p = detect_param_find(d, name);

	if (p >= 0)
		x->ctx->p[p] = v;
}

/* Tool hints, as the mcpgate config would give them. */
static inline void
fx_hint(struct fx *x, const char *tool, int ro, int destructive,
    int idempotent, int idem_required, const char *scope)
{
	struct detect_hint h;

	memset(&h, 0, sizeof(h));
	h.configured = 1;
	h.read_only = ro;
	h.destructive = destructive;
	h.idempotent = idempotent;
	h.idem_required = idem_required;
	if (scope != NULL)
		h.scope = intern_id(x->str, scope, strlen(scope));
	detect_hint_set(x->ctx, intern_id(x->str, tool, strlen(tool)), &h);
	x->ctx->have_config = 1;
	if (x->ctx->nauth_allowed == 0) {
		x->ctx->auth_allowed[x->ctx->nauth_allowed++] =
		    intern_id(x->str, "apikey", 6);
		x->ctx->auth_allowed[x->ctx->nauth_allowed++] =
		    intern_id(x->str, "jwt", 3);
	}
}

/* An authenticated, allowed, successful tools/call. */
static inline struct fx_row
fx_call(struct fx *x, const char *principal, const char *tool,
    const char *args)
{
	struct fx_row	 r;

	memset(&r, 0, sizeof(r));
	r.principal = principal;
	r.auth_method = "apikey";
	r.auth_result = "ok";
	r.decision = "allow";
	r.client = "10.0.0.1";
	r.ua = "claude-code/1.0";
	r.rpc_method = "tools/call";
	r.tool = tool;
	r.args = args;
	r.session = principal;
	r.outcome = "ok";
	r.http_status = 200;
	r.retryable = -1;
	r.retry_after_ms = -1;
	r.latency_us = 20000;
	r.host = "web-1";
	return r;
}

/* A failed authentication from addr with key id kid. */
static inline struct fx_row
fx_authfail(struct fx *x, const char *addr, const char *kid,
    const char *result)
{
	struct fx_row	 r;

	memset(&r, 0, sizeof(r));
	r.auth_method = "apikey";
	r.auth_result = result;
	r.key_id = kid;
	r.decision = "deny";
	r.client = addr;
	r.outcome = "auth_error";
	r.category = "authentication";
	r.http_status = 401;
	r.retryable = 0;
	r.retry_after_ms = -1;
	r.latency_us = 500;
	r.host = "web-1";
	return r;
}

static inline uint32_t
fx_id(struct fx *x, const char *s)
{
	return s != NULL ? intern_id(x->str, s, strlen(s)) : 0;
}

/* A stable 64-bit value for a test string (0 for NULL). */
static inline uint64_t
fx_h64(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	if (s == NULL)
		return 0;
	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h != 0 ? h : 1;
}

/* Feeds r at t seconds after the fixture epoch.  Returns its seq. */
static inline int64_t
fx_at(struct fx *x, const struct fx_row *f, double t)
{
	struct detect_row r;

	if (!x->started) {
		detect_start(x->ctx);
		x->started = 1;
	}
	memset(&r, 0, sizeof(r));
	r.seq = ++x->seq;
	r.ts_us = FX_EPOCH_US + (int64_t)(t * 1e6);
	r.retention = (uint8_t)f->retention;
	r.host = fx_id(x, f->host);
	r.session = fx_h64(f->session);
	r.principal = fx_id(x, f->principal);
	r.auth_method = fx_id(x, f->auth_method);
	r.auth = f->auth_result == NULL ? DA_NULL :
	    strcmp(f->auth_result, "ok") == 0 ? DA_OK :
	    strcmp(f->auth_result, "missing") == 0 ? DA_MISSING :
	    strcmp(f->auth_result, "invalid") == 0 ? DA_INVALID :
	    strcmp(f->auth_result, "expired") == 0 ? DA_EXPIRED :
	    strcmp(f->auth_result, "revoked") == 0 ? DA_REVOKED : DA_ERROR;
	r.decision = f->decision == NULL ? DD_NULL :
	    strcmp(f->decision, "allow") == 0 ? DD_ALLOW : DD_DENY;
	r.key_id = fx_id(x, f->key_id);
	r.client = fx_id(x, f->client);
	r.ua = fx_id(x, f->ua);
	r.http_status = f->http_status;
	r.rpc_method = fx_id(x, f->rpc_method);
	r.rpc_error_code = f->rpc_error_code;
	r.tool = fx_id(x, f->tool);
	r.scope = fx_id(x, f->scope);
	r.idem = fx_h64(f->idem);
	r.idem_status = f->idem_status == NULL ? DI_NULL :
	    strcmp(f->idem_status, "new") == 0 ? DI_NEW :
	    strcmp(f->idem_status, "replay") == 0 ? DI_REPLAY :
	    strcmp(f->idem_status, "conflict") == 0 ? DI_CONFLICT :
	    DI_IN_FLIGHT;
	r.args = fx_h64(f->args);
	r.outcome = f->outcome == NULL ? DO_NULL :
	    strcmp(f->outcome, "ok") == 0 ? DO_OK :
	    strcmp(f->outcome, "tool_error") == 0 ? DO_TOOL_ERROR :
	    strcmp(f->outcome, "protocol_error") == 0 ? DO_PROTOCOL_ERROR :
	    strcmp(f->outcome, "auth_error") == 0 ? DO_AUTH_ERROR :
	    DO_HTTP_ERROR;
	r.category = fx_id(x, f->category);
	r.code = fx_id(x, f->code);
	r.retryable = (int8_t)f->retryable;
	r.retry_after_ms = f->retry_after_ms;
	r.latency_us = f->latency_us;
	r.token_sub = fx_id(x, f->token_sub);
	r.is_call = r.rpc_method == x->ctx->id_call && r.tool != 0;
	if (f->context)
		x->ctx->wm_seq = r.seq;
	r.is_new = r.seq > x->ctx->wm_seq;
	detect_feed(x->ctx, &r);
	return r.seq;
}

/* Findings of detector d (and sub, unless NULL) at or above info. */
static inline int
fx_count(struct fx *x, int d, const char *sub)
{
	size_t	 i;
	int	 n = 0;

	detect_finish(x->ctx);
	for (i = 0; i < x->ctx->nf; i++)
		if ((int)x->ctx->f[i].det == d && x->ctx->f[i].sev !=
		    DETECT_SEV_NONE && !x->ctx->f[i].attributed &&
		    (sub == NULL || strcmp(x->ctx->f[i].sub, sub) == 0))
			n++;
	return n;
}

/* The i-th finding of detector d (sub may be NULL), or NULL. */
static inline struct detect_finding *
fx_get(struct fx *x, int d, const char *sub, int i)
{
	size_t	 k;

	for (k = 0; k < x->ctx->nf; k++)
		if ((int)x->ctx->f[k].det == d && x->ctx->f[k].sev !=
		    DETECT_SEV_NONE && !x->ctx->f[k].attributed &&
		    (sub == NULL || strcmp(x->ctx->f[k].sub, sub) == 0) &&
		    i-- == 0)
			return &x->ctx->f[k];
	return NULL;
}

/* The severity of that finding (DETECT_SEV_NONE if there is none). */
static inline int
fx_sev(struct fx *x, int d, const char *sub, int i)
{
	struct detect_finding *f = fx_get(x, d, sub, i);

	return f != NULL ? (int)f->sev : DETECT_SEV_NONE;
}

/* Reportable findings (trigger or escalation after the watermark). */
static inline int
fx_reportable(struct fx *x, int d)
{
	size_t	 i;
	int	 n = 0;

	detect_finish(x->ctx);
	for (i = 0; i < x->ctx->nf; i++)
		if ((int)x->ctx->f[i].det == d &&
		    detect_finding_reportable(x->ctx, &x->ctx->f[i]))
			n++;
	return n;
}

#endif /* DETECT_FIXTURE_H */
