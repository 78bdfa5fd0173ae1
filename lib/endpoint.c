/*
 * endpoint.c -- Streamable HTTP, request by request, for both protocol
 * eras.  The era is decided once, at the edge, from MCP-Protocol-Version
 * (ep_era): 2026-07-28 is the modern era (stateless: its own header rules
 * in ep_modern_gate, no sessions, GET and DELETE 405); a legacy revision or
 * no header at all is the legacy era (initialize, sessions).  After that
 * gate every request takes the same path: authentication, MCP dispatch
 * (lib/mcp.c, told the era), idempotency and the audit row.  Every piece
 * of state (sessions) lives in the SQLite state store, so any worker
 * process, or a fresh CGI process, can serve any request.  Every request,
 * whatever becomes of it, fills one struct audit_event as it goes and is
 * written to the audit log at endpoint_handle's single exit, before the
 * response leaves; a request whose row cannot be written is answered 503.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "audit.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "digest.h"
#include "endpoint.h"
#include "jrpc.h"
#include "log.h"
#include "mcp.h"
#include "mcphdr.h"
#include "store.h"
#include "tool.h"

#define EP_SID_BYTES	32	/* 256-bit session ids, hex-encoded */
/* What the store gives back of a session's owner (with the NUL). */
#define EP_OWNER_LEN	sizeof(((struct store_session *)0)->principal)

struct endpoint {
	const struct config	*cfg;
	struct store		*store;
	struct auth		*auth;
	struct audit		*audit;
	struct mcp_cache	*cache;		/* tools/list, serialised */
};

/* Everything one request needs; freed in one place. */
struct ep_req {
	struct endpoint		*ep;
	const struct http_req	*http;
	struct http_resp	*resp;
	struct audit_event	 ev;		/* the request's audit row */
	const char		*pv;		/* MCP-Protocol-Version, or NULL */
	const char		*version;	/* revision in effect; NULL:
						   pv names none we speak */
	enum mcp_era		 era;		/* decided once, by ep_era */
	const char		*principal;
	const char		*auth_method;
	struct auth_principal	 who;
};

static void	ep_resource(struct endpoint *, struct ep_req *, char *,
		    size_t);

struct endpoint *
endpoint_new(const struct config *cfg, char *err, size_t errlen)
{
	struct endpoint *ep;

	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ep->cfg = cfg;
	if ((ep->auth = auth_new(cfg, err, errlen)) == NULL) {
		free(ep);
		return NULL;
	}
	if ((ep->audit = audit_new(cfg->audit, cfg->path, err, errlen)) ==
	    NULL) {
		auth_free(ep->auth);
		free(ep);
		return NULL;
	}
	/* Without it (out of memory) every tools/list is built afresh. */
	ep->cache = mcp_cache_new(cfg);
	return ep;
}

void
endpoint_free(struct endpoint *ep)
{
	if (ep == NULL)
		return;
	store_close(ep->store);
	auth_free(ep->auth);
	audit_free(ep->audit);
	mcp_cache_free(ep->cache);
	free(ep);
}

int
endpoint_idle_ms(const struct endpoint *ep)
{
	return audit_sync_due_ms(ep->audit);
}

void
endpoint_idle(struct endpoint *ep)
{
	char	 err[BOUNDS_ERRMSG_LEN];

	if (audit_sync(ep->audit, err, sizeof(err)) == -1)
		log_err("%s", err);
}

static struct store *
ep_store(struct endpoint *ep)
{
	char	 err[BOUNDS_ERRMSG_LEN];

	if (ep->store == NULL) {
		ep->store = store_open(ep->cfg->state_db, err, sizeof(err));
		if (ep->store == NULL)
			log_err("%s", err);
	}
	return ep->store;
}

static int64_t
ep_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Serialises v (taken) as the response body. */
static void
ep_json(struct ep_req *r, int status, json_t *v)
{
	char	*s;
	size_t	 len;

	r->resp->status = status;
	if (v == NULL) {
		r->resp->status = 500;
		return;
	}
	s = jrpc_dumps(v, &len);
	json_decref(v);
	if (s == NULL || http_resp_body(r->resp, s, len,
	    "application/json") == -1)
		r->resp->status = 500;
}

/*
 * A JSON-RPC response whose result is already serialised (json, len
 * bytes, borrowed): the bytes jrpc_result and ep_json would give, without
 * building or walking the result again.  id is borrowed (NULL: omitted).
 */
static void
ep_json_result(struct ep_req *r, json_t *id, const char *json, size_t len)
{
	static const char head[] = "{\"jsonrpc\":\"2.0\"";
	static const char mid[] = ",\"result\":";
	char	*ids = NULL, *s;
	size_t	 idlen = 0, n;

	r->resp->status = 200;
	if (id != NULL && (ids = jrpc_dumps(id, &idlen)) == NULL) {
		r->resp->status = 500;
		return;
	}
	n = sizeof(head) - 1 + (ids != NULL ? 6 + idlen : 0) +
	    sizeof(mid) - 1 + len + 1;
	if ((s = malloc(n + 1)) == NULL) {
		free(ids);
		r->resp->status = 500;
		return;
	}
	n = 0;
	memcpy(s, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	if (ids != NULL) {
		memcpy(s + n, ",\"id\":", 6);
		n += 6;
		memcpy(s + n, ids, idlen);
		n += idlen;
	}
	memcpy(s + n, mid, sizeof(mid) - 1);
	n += sizeof(mid) - 1;
	memcpy(s + n, json, len);
	n += len;
	s[n++] = '}';
	s[n] = '\0';
	free(ids);
	if (http_resp_body(r->resp, s, n, "application/json") == -1)
		r->resp->status = 500;
}

/* An HTTP-level refusal with a JSON-RPC error body and no id. */
static void
ep_refuse(struct ep_req *r, int status, int code, const char *msg)
{
	struct jrpc_error e;

	memset(&e, 0, sizeof(e));
	jrpc_error_set(&e, code, NULL, "%s", msg);
	r->ev.rpc_error_code = code;
	ep_json(r, status, jrpc_error_response(NULL, &e));
}

/* Labels the audit row: what kind of failure, its category and code. */
static void
ep_why(struct ep_req *r, enum audit_outcome out, const char *category,
    const char *code)
{
	audit_event_error(&r->ev, out, category, code);
}

/* The authorization decision in the audit row, and why. */
static void
ep_decide(struct ep_req *r, int allow, const char *reason)
{
	AUDIT_SET(r->ev.decision, allow ? "allow" : "deny");
	AUDIT_SET(r->ev.decision_reason, reason);
}

/* Does the Accept header admit type ("application/json")? */
static int
ep_accepts(const char *accept, const char *type)
{
	const char	*p = accept, *slash = strchr(type, '/');
	size_t		 toplen = (size_t)(slash - type);

	while (*p != '\0') {
		char	 range[128];
		size_t	 n = 0;
		const char *q;
		int	 zero = 0;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		while (*p != '\0' && *p != ',' && *p != ';' &&
		    *p != ' ' && n + 1 < sizeof(range))
			range[n++] = *p++;
		range[n] = '\0';
		/* Parameters: only q=0 matters (RFC 9110 §12.4.2). */
		while (*p != '\0' && *p != ',') {
			if (*p == ';') {
				q = p + 1;
				while (*q == ' ')
					q++;
				if ((q[0] == 'q' || q[0] == 'Q') &&
				    q[1] == '=' && strtod(q + 2, NULL) <= 0.0)
					zero = 1;
			}
			p++;
		}
		if (n == 0 || zero)
			continue;
		if (strcmp(range, "*/*") == 0 || strcasecmp(range, type) == 0)
			return 1;
		if (strlen(range) == toplen + 2 &&
		    strncasecmp(range, type, toplen + 1) == 0 &&
		    range[toplen + 1] == '*')
			return 1;
	}
	return 0;
}

/* Content-Type must be application/json (charset, if any, UTF-8). */
static int
ep_ctype_ok(const char *ct)
{
	const char	*p;
	size_t		 n;

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	if (n != strlen("application/json") ||
	    strncasecmp(ct, "application/json", n) != 0)
		return 0;
	if ((p = strcasestr(ct, "charset=")) != NULL) {
		p += strlen("charset=");
		if (*p == '"')
			p++;
		if (strncasecmp(p, "utf-8", 5) != 0)
			return 0;
	}
	return 1;
}

/* Copies the host part of a Host value or an Origin's authority. */
static void
ep_hostpart(const char *in, char *out, size_t len)
{
	size_t	 n;

	if (in[0] == '[') {
		n = strcspn(in, "]");
		if (in[n] == ']')
			n++;
	} else
		n = strcspn(in, ":/");
	if (n >= len)
		n = len - 1;
	memcpy(out, in, n);
	out[n] = '\0';
}

static int
ep_host_allowed(const struct config *cfg, const char *host)
{
	static const char *const deflt[] = { "localhost", "127.0.0.1",
	    "[::1]", NULL };
	size_t	 i;

	if (cfg->nhosts > 0) {
		for (i = 0; i < cfg->nhosts; i++)
			if (strcasecmp(cfg->hosts[i], host) == 0 ||
			    strcmp(cfg->hosts[i], "*") == 0)
				return 1;
		return 0;
	}
	for (i = 0; deflt[i] != NULL; i++)
		if (strcasecmp(deflt[i], host) == 0)
			return 1;
	return 0;
}

static int
ep_loopback(const char *addr)
{
	return addr != NULL && (strncmp(addr, "127.", 4) == 0 ||
	    strcmp(addr, "::1") == 0 || strcmp(addr, "::ffff:127.0.0.1") == 0);
}

/*
 * DNS-rebinding defence (transports §Security Warning): a present Origin
 * that is not allowed is 403; on a loopback listener (or wherever the
 * deployer listed allowed_hosts) so is a Host that is not a configured
 * name.  Returns 0 to go on, -1 when the response is set.
 */
static int
ep_check_origin(struct endpoint *ep, struct ep_req *r)
{
	const struct config *cfg = ep->cfg;
	const char	*host = http_header(r->http, "Host");
	const char	*origin = http_header(r->http, "Origin");
	char		 h[256], oh[256];
	size_t		 i;
	int		 ok;

	h[0] = '\0';
	if (host != NULL)
		ep_hostpart(host, h, sizeof(h));
	if (cfg->nhosts > 0 || ep_loopback(http_env(r->http, "SERVER_ADDR"))) {
		if (host == NULL || !ep_host_allowed(cfg, h)) {
			ep_why(r, AUDIT_OUT_HTTP_ERROR, "authorization",
			    "host_not_allowed");
			ep_decide(r, 0, "host_not_allowed");
			ep_refuse(r, 403, JRPC_INVALID_REQUEST,
			    "Forbidden: Host is not an allowed name for this "
			    "server");
			return -1;
		}
	}
	if (origin == NULL)
		return 0;
	if (strlen(origin) > BOUNDS_HEADER_LEN) {
		ok = 0;
	} else if (cfg->norigins > 0) {
		ok = 0;
		for (i = 0; i < cfg->norigins && !ok; i++)
			ok = strcmp(cfg->origins[i], "*") == 0 ||
			    strcasecmp(cfg->origins[i], origin) == 0;
	} else {
		/* No list: same host only. */
		const char *a = strstr(origin, "://");

		ok = 0;
		if (a != NULL && host != NULL) {
			ep_hostpart(a + 3, oh, sizeof(oh));
			ok = strcasecmp(oh, h) == 0;
		}
	}
	if (!ok) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "authorization",
		    "origin_not_allowed");
		ep_decide(r, 0, "origin_not_allowed");
		ep_refuse(r, 403, JRPC_INVALID_REQUEST,
		    "Forbidden: Origin is not allowed");
		return -1;
	}
	return 0;
}

/*
 * What a session is bound to: the principal itself, or "sha256:" and the
 * hex digest of a principal that would not come back whole from the
 * store (struct store_session.principal is shorter than
 * AUTH_PRINCIPAL_LEN: truncated, its owner got 404 and a principal equal
 * to the truncated prefix matched) or that starts with "sha256:" itself.
 */
static void
ep_owner(const char *principal, char out[EP_OWNER_LEN])
{
	char	 hex[DIGEST_HEX_LEN + 1];

	if (strlen(principal) < EP_OWNER_LEN &&
	    strncmp(principal, "sha256:", 7) != 0) {
		snprintf(out, EP_OWNER_LEN, "%s", principal);
		return;
	}
	digest_sha256_hex(principal, strlen(principal), hex);
	snprintf(out, EP_OWNER_LEN, "sha256:%s", hex);
}

static int
ep_sid_wellformed(const char *sid)
{
	size_t	 i;

	if (strlen(sid) != 2 * EP_SID_BYTES)
		return 0;
	for (i = 0; sid[i] != '\0'; i++)
		if (!isxdigit((unsigned char)sid[i]) ||
		    isupper((unsigned char)sid[i]))
			return 0;
	return 1;
}

/*
 * Checks Mcp-Session-Id on a non-initialize message.  Returns 0 to go on,
 * -1 when the response is set (400 missing, 404 unknown/expired/foreign,
 * 500 store failure).
 */
static int
ep_check_session(struct endpoint *ep, struct ep_req *r)
{
	struct store_session s;
	struct store	*st;
	const char	*sid = http_header(r->http, "Mcp-Session-Id");
	char		 owner[EP_OWNER_LEN];
	int		 rc;

	if (!ep->cfg->sessions)
		return 0;
	if (sid == NULL) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "session_required");
		ep_refuse(r, 400, JRPC_INVALID_REQUEST, "Bad Request: "
		    "Mcp-Session-Id header is required; send initialize "
		    "first");
		return -1;
	}
	if (!ep_sid_wellformed(sid)) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "not_found",
		    "session_not_found");
		ep_refuse(r, 404, JRPC_INVALID_REQUEST, "Session not found; "
		    "send initialize to start a new one");
		return -1;
	}
	if ((st = ep_store(ep)) == NULL) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "internal",
		    "state_unavailable");
		ep_refuse(r, 500, JRPC_INTERNAL_ERROR, "Internal error");
		return -1;
	}
	rc = store_session_get(st, sid, time(NULL), ep->cfg->session_ttl, &s);
	if (rc == -1) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "internal",
		    "state_unavailable");
		ep_refuse(r, 500, JRPC_INTERNAL_ERROR, "Internal error");
		return -1;
	}
	/* A session belongs to the principal that created it. */
	ep_owner(r->principal, owner);
	if (rc == 0 || strcmp(s.principal, owner) != 0) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "not_found",
		    "session_not_found");
		if (rc == 1) {
			log_warn("session presented by another principal "
			    "(request %s)", r->ev.request_id);
			/* The client sees 404; the audit row says why. */
			ep_why(r, AUDIT_OUT_HTTP_ERROR, "authorization",
			    "session_foreign");
			ep_decide(r, 0, "session_foreign");
		}
		ep_refuse(r, 404, JRPC_INVALID_REQUEST, "Session not found; "
		    "send initialize to start a new one");
		return -1;
	}
	return 0;
}

static void
ep_delete(struct endpoint *ep, struct ep_req *r)
{
	const char	*sid = http_header(r->http, "Mcp-Session-Id");
	struct store_session s;
	struct store	*st;
	char		 owner[EP_OWNER_LEN];
	int		 rc;

	if (!ep->cfg->sessions) {
		(void)http_resp_header(r->resp, "Allow", "POST");
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "method_not_allowed");
		ep_refuse(r, 405, JRPC_INVALID_REQUEST, "Method Not Allowed: "
		    "this server is stateless; there is no session to end");
		return;
	}
	if (sid == NULL) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "session_required");
		ep_refuse(r, 400, JRPC_INVALID_REQUEST, "Bad Request: "
		    "Mcp-Session-Id header is required");
		return;
	}
	if (!ep_sid_wellformed(sid)) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "not_found",
		    "session_not_found");
		ep_refuse(r, 404, JRPC_INVALID_REQUEST, "Session not found");
		return;
	}
	if ((st = ep_store(ep)) == NULL) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "internal",
		    "state_unavailable");
		ep_refuse(r, 500, JRPC_INTERNAL_ERROR, "Internal error");
		return;
	}
	rc = store_session_get(st, sid, time(NULL), ep->cfg->session_ttl, &s);
	ep_owner(r->principal, owner);
	if (rc == 1 && strcmp(s.principal, owner) != 0) {
		/* The client sees 404; the audit row says why. */
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "authorization",
		    "session_foreign");
		ep_decide(r, 0, "session_foreign");
		rc = 0;
	}
	if (rc == 1)
		rc = store_session_delete(st, sid);
	if (rc == -1) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "internal",
		    "state_unavailable");
		ep_refuse(r, 500, JRPC_INTERNAL_ERROR, "Internal error");
	} else if (rc == 0) {
		if (r->ev.outcome == AUDIT_OUT_UNSET)
			ep_why(r, AUDIT_OUT_HTTP_ERROR, "not_found",
			    "session_not_found");
		ep_refuse(r, 404, JRPC_INVALID_REQUEST, "Session not found");
	} else
		r->resp->status = 204;
}

/* RFC 9728 protected-resource metadata. */
static void
ep_prm(struct endpoint *ep, struct ep_req *r)
{
	const struct config *cfg = ep->cfg;
	json_t		*o, *scopes, *as;
	size_t		 i, j;

	char		 res[1024];

	ep_resource(ep, r, res, sizeof(res));
	scopes = json_array();
	for (i = 0; i < cfg->ntools; i++) {
		const char *s = cfg->tools[i]->scope;
		int dup = 0;

		if (s == NULL)
			continue;
		for (j = 0; j < json_array_size(scopes) && !dup; j++)
			dup = strcmp(json_string_value(json_array_get(scopes,
			    j)), s) == 0;
		if (!dup)
			json_array_append_new(scopes, json_string(s));
	}
	as = json_object_get(cfg->auth, "authorization_servers");
	as = json_is_array(as) ? json_incref(as) : json_array();
	o = json_pack("{s:s,s:o,s:o,s:[s]}", "resource", res,
	    "authorization_servers", as, "scopes_supported", scopes,
	    "bearer_methods_supported", "header");
	ep_json(r, 200, o);
}

/*
 * The canonical URL of the endpoint: server.resource_url, else what this
 * request was addressed to.
 */
static void
ep_resource(struct endpoint *ep, struct ep_req *r, char *buf, size_t len)
{
	const char	*host = http_header(r->http, "Host");
	const char	*https = http_env(r->http, "HTTPS");

	if (ep->cfg->resource_url != NULL) {
		snprintf(buf, len, "%s", ep->cfg->resource_url);
		return;
	}
	snprintf(buf, len, "%s://%s%s", https != NULL &&
	    strcasecmp(https, "on") == 0 ? "https" : "http",
	    host != NULL ? host : "localhost", ep->cfg->endpoint);
}

/* RFC 9728 §3.1: the metadata URL for resource "scheme://auth/path". */
static void
ep_metadata_url(struct endpoint *ep, struct ep_req *r, char *buf, size_t len)
{
	char		 res[1024];
	const char	*a, *path;

	ep_resource(ep, r, res, sizeof(res));
	a = strstr(res, "://");
	path = a != NULL ? strchr(a + 3, '/') : NULL;
	if (path == NULL)
		snprintf(buf, len, "%s/.well-known/oauth-protected-resource",
		    res);
	else
		snprintf(buf, len, "%.*s/.well-known/oauth-protected-resource%s",
		    (int)(path - res), res, path);
}

/*
 * Rate limits (issue 5): the principal's total bucket, then the tool's,
 * in one transaction of the state database (one commit for both).  A
 * broken counter lets the call through (logged by the store) rather
 * than lock every caller out.
 */
static int
ep_rate_take(void *arg, const struct tool *t, int *retry_after)
{
	struct ep_req	*r = arg;
	struct store	*st;
	const struct config *cfg = r->ep->cfg;
	char		 pb[AUTH_PRINCIPAL_LEN + 8];
	char		 tb[AUTH_PRINCIPAL_LEN + BOUNDS_TOOL_NAME_LEN + 8];
	struct store_rate b[2];
	size_t		 n = 0;
	int64_t		 now;
	struct timespec	 ts;

	if (cfg->rate.per_minute == 0 && t->rate.per_minute == 0)
		return 1;
	if ((st = ep_store(r->ep)) == NULL)
		return 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (cfg->rate.per_minute > 0) {
		snprintf(pb, sizeof(pb), "p\x1f%s", r->principal);
		b[n].bucket = pb;
		b[n].per_minute = cfg->rate.per_minute;
		b[n].burst = cfg->rate.burst;
		n++;
	}
	if (t->rate.per_minute > 0) {
		snprintf(tb, sizeof(tb), "t\x1f%s\x1f%s", r->principal,
		    t->name);
		b[n].bucket = tb;
		b[n].per_minute = t->rate.per_minute;
		b[n].burst = t->rate.burst;
		n++;
	}
	return store_rate_take_all(st, b, n, now, retry_after) == 0 ? 0 : 1;
}

static int
ep_may_call(void *arg, const struct tool *t)
{
	const struct ep_req *r = arg;

	return auth_has_scope(&r->who, t->scope);
}

/*
 * Authenticates the request (every request, never once per session).
 * Returns 0 to go on, -1 when the response is set: 429 for a throttled
 * address, 401 with a WWW-Authenticate challenge, 503 when the server
 * could not decide.
 */
static int
ep_authenticate(struct endpoint *ep, struct ep_req *r)
{
	const char	*addr = http_env(r->http, "REMOTE_ADDR");
	struct store	*st = NULL;
	struct sqlite3	*db = NULL;
	char		 md[1200];
	time_t		 now = time(NULL);
	int		 wait;
	enum authres	 res;

	if (auth_required(ep->auth)) {
		if ((st = ep_store(ep)) != NULL)
			db = store_db(st);
		wait = auth_throttle_check(ep->auth, db, addr, now);
		if (wait > 0) {
			ep_why(r, AUDIT_OUT_AUTH_ERROR, "rate_limited",
			    "auth_throttled");
			ep_decide(r, 0, "throttled");
			r->ev.retryable = 1;
			r->ev.retry_after_ms = (int64_t)wait * 1000;
			(void)http_resp_header(r->resp, "Retry-After", "%d",
			    wait);
			ep_refuse(r, 429, JRPC_INVALID_REQUEST, "Too Many "
			    "Requests: too many failed authentications from "
			    "this address; wait before trying again");
			return -1;
		}
	}
	res = auth_check(ep->auth, db, r->http, now, &r->who);
	/* Never the credential: its result, method and public parts. */
	AUDIT_SET(r->ev.auth_result, authres_name(res));
	AUDIT_SET(r->ev.auth_method, auth_method_name(r->who.method));
	AUDIT_SET(r->ev.key_id, r->who.key_id);
	if (res == AUTH_OK) {
		r->principal = r->who.id;
		r->auth_method = auth_method_name(r->who.method);
		AUDIT_SET(r->ev.principal, r->who.id);
		AUDIT_SET(r->ev.token_iss, r->who.issuer);
		AUDIT_SET(r->ev.token_sub, r->who.subject);
		ep_decide(r, 1, r->who.method == AUTH_M_NONE ?
		    "anonymous_allowed" : "authenticated");
		return 0;
	}
	ep_metadata_url(ep, r, md, sizeof(md));
	if (res == AUTH_ERROR) {
		ep_why(r, AUDIT_OUT_AUTH_ERROR, "transient",
		    "auth_unavailable");
		r->ev.retryable = 1;
		ep_refuse(r, 503, JRPC_INTERNAL_ERROR, "Service Unavailable: "
		    "credentials cannot be checked right now; retry later");
		return -1;
	}
	log_info("authentication failed from %s: %s (request %s)",
	    addr != NULL ? addr : "?", r->who.reason, r->ev.request_id);
	ep_why(r, AUDIT_OUT_AUTH_ERROR, "authentication",
	    res == AUTH_MISSING ? "credential_missing" : res == AUTH_EXPIRED ?
	    "credential_expired" : res == AUTH_REVOKED ? "credential_revoked" :
	    "credential_invalid");
	ep_decide(r, 0, "unauthenticated");
	r->ev.retryable = 0;
	if (res == AUTH_MISSING) {
		(void)http_resp_header(r->resp, "WWW-Authenticate",
		    "Bearer resource_metadata=\"%s\"", md);
		ep_refuse(r, 401, JRPC_INVALID_REQUEST, "Unauthorized: send "
		    "Authorization: Bearer with an API key or an access "
		    "token");
	} else {
		auth_throttle_fail(ep->auth, db, addr, now);
		(void)http_resp_header(r->resp, "WWW-Authenticate",
		    "Bearer resource_metadata=\"%s\", error=\"invalid_token\", "
		    "error_description=\"the credential is %s\"", md,
		    authres_name(res));
		ep_refuse(r, 401, JRPC_INVALID_REQUEST, res == AUTH_EXPIRED ?
		    "Unauthorized: the credential has expired; obtain a new "
		    "one" : res == AUTH_REVOKED ? "Unauthorized: the "
		    "credential has been revoked" : "Unauthorized: the "
		    "credential is not valid");
	}
	return -1;
}

/* 403 step-up (MCP authorization §Scope Challenge Handling). */
static void
ep_forbidden(struct endpoint *ep, struct ep_req *r, json_t *id,
    const struct mcp_outcome *out)
{
	struct jrpc_error e;
	char		 md[1200];
	int		 code = r->era == MCP_ERA_MODERN ?
			    ENDPOINT_ERR_FORBIDDEN_MODERN :
			    ENDPOINT_ERR_FORBIDDEN;

	ep_why(r, AUDIT_OUT_AUTH_ERROR, "authorization",
	    "insufficient_scope");
	ep_decide(r, 0, "insufficient_scope");
	r->ev.retryable = 0;
	r->ev.rpc_error_code = code;
	ep_metadata_url(ep, r, md, sizeof(md));
	(void)http_resp_header(r->resp, "WWW-Authenticate",
	    "Bearer error=\"insufficient_scope\", scope=\"%s\", "
	    "resource_metadata=\"%s\", error_description=\"the tool needs "
	    "scope %s\"", out->missing_scope, md, out->missing_scope);
	memset(&e, 0, sizeof(e));
	jrpc_error_set(&e, code, json_pack("{s:s,s:s}",
	    "required_scope", out->missing_scope, "tool", out->tool->name),
	    "Forbidden: calling %s needs the scope \"%s\", which this "
	    "credential does not grant. Retrying will not help; a credential "
	    "with that scope is needed.", out->tool->name, out->missing_scope);
	ep_json(r, 403, jrpc_error_response(id, &e));
	jrpc_error_clear(&e);
}

/* A JSON-RPC error response in the audit row. */
static void
ep_audit_rpc_error(struct ep_req *r, const struct jrpc_error *e,
    int unknown_tool)
{
	const char	*code;

	switch (e->code) {
	case JRPC_PARSE_ERROR:
		code = "parse_error";
		break;
	case JRPC_INVALID_REQUEST:
		code = "invalid_request";
		break;
	case JRPC_METHOD_NOT_FOUND:
		code = "method_not_found";
		break;
	case JRPC_INVALID_PARAMS:
		code = unknown_tool ? "unknown_tool" : "invalid_params";
		break;
	case JRPC_INTERNAL_ERROR:
		code = "internal_error";
		break;
	case MCP_ERR_HEADER_MISMATCH:
		code = "header_mismatch";
		break;
	case MCP_ERR_UNSUPPORTED_VERSION:
		code = "unsupported_protocol_version";
		break;
	default:
		code = "rpc_error";
		break;
	}
	r->ev.rpc_error_code = e->code;
	ep_why(r, AUDIT_OUT_PROTOCOL_ERROR, e->code == JRPC_INTERNAL_ERROR ?
	    "internal" : "protocol", code);
}

/* The JSON-RPC id (borrowed, may be NULL) as compact JSON text. */
static void
ep_audit_id(struct ep_req *r, const json_t *id)
{
	char	*s;

	if (id == NULL ||
	    (s = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return;
	AUDIT_SET(r->ev.rpc_id, s);
	free(s);
}

/*
 * A parsed tools/call in the audit row, whatever becomes of it: the tool
 * (as named, if unknown), its scope, and the arguments (digest first,
 * then redacted under the tool's schema).
 */
static void
ep_audit_args(struct ep_req *r, const struct jrpc_msg *msg)
{
	const struct tool	*t;
	const char		*name;
	json_t			*args, *own = NULL;

	if (msg->kind != JRPC_REQUEST || strcmp(msg->method, "tools/call") !=
	    0 || !json_is_object(msg->params))
		return;
	name = json_string_value(json_object_get(msg->params, "name"));
	t = name != NULL ? config_tool(r->ep->cfg, name) : NULL;
	AUDIT_SET(r->ev.tool, name);
	if (t != NULL)
		AUDIT_SET(r->ev.scope_required, t->scope);
	if ((args = json_object_get(msg->params, "arguments")) == NULL)
		args = own = json_object();
	if (audit_event_args(r->ep->audit, &r->ev, t != NULL ?
	    t->input_schema : NULL, args) == -1)
		log_warn("audit: arguments not recorded: out of memory "
		    "(request %s)", r->ev.request_id);
	json_decref(own);
}

/*
 * What became of a dispatched tools/call: the authorization decision,
 * the idempotency key hash and status, and a tool error's category.
 */
static void
ep_audit_call(struct ep_req *r, enum mcp_rc rc, const struct mcp_outcome *out)
{
	const struct tool_error	*e = &out->terr;

	if (out->tool != NULL && rc != MCP_DENIED && !r->who.all_scopes)
		ep_decide(r, 1, out->tool->scope != NULL ? "scope_granted" :
		    "no_scope_required");
	AUDIT_SET(r->ev.idem_key_hash, out->idem_key);
	AUDIT_SET(r->ev.idem_status, out->idem_status);
	/* A call that reached a write tool: "WRITES" syncs its row. */
	if (out->tool != NULL && !out->tool->read_only && rc != MCP_DENIED)
		r->ev.changes = 1;
	if (rc != MCP_RESULT || !out->tool_is_error)
		return;
	if (e->cat != TOOL_ERR_NONE) {
		ep_why(r, AUDIT_OUT_TOOL_ERROR, tool_errcat_name(e->cat),
		    e->code);
		r->ev.retryable = e->retryable ? 1 : 0;
		if (e->retry_after > 0)
			r->ev.retry_after_ms = (int64_t)e->retry_after * 1000;
	} else
		ep_why(r, AUDIT_OUT_TOOL_ERROR, NULL, "tool_reported");
}

/* A JSON-RPC error response with the request's id (borrowed, may be NULL). */
static void
ep_rpc_error(struct ep_req *r, int status, json_t *id,
    const struct jrpc_error *e)
{
	ep_audit_rpc_error(r, e, 0);
	ep_json(r, status, jrpc_error_response(id, e));
}

/*
 * MCP-Protocol-Version names a revision we do not speak: 400 with
 * UnsupportedProtocolVersionError (2026-07-28 basic/versioning; 2025-11-25
 * transports asks only for the 400), carrying the request's id when the
 * body yields one.
 */
static void
ep_unsupported(struct ep_req *r)
{
	const struct http_req *h = r->http;
	struct jrpc_msg		 msg;
	struct jrpc_error	 err;
	json_t			*id = NULL;

	memset(&err, 0, sizeof(err));
	if (jrpc_parse(h->body != NULL ? h->body : "", h->bodylen, &msg, &id,
	    &err) == 0) {
		json_decref(id);
		id = msg.id != NULL ? json_incref(msg.id) : NULL;
		AUDIT_SET(r->ev.rpc_method, msg.method);
		jrpc_msg_clear(&msg);
	}
	jrpc_error_clear(&err);
	ep_audit_id(r, id);
	if (mcp_unsupported_version(r->pv, &err) == -1)
		log_err("out of memory (request %s)", r->ev.request_id);
	ep_audit_rpc_error(r, &err, 0);
	ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol",
	    "unsupported_protocol_version");
	ep_json(r, 400, jrpc_error_response(id, &err));
	jrpc_error_clear(&err);
	json_decref(id);
}

/* A request header by name, for mcphdr_params_check. */
static const char *
ep_header_get(void *arg, const char *name)
{
	const struct ep_req *r = arg;

	return http_header(r->http, name);
}

/* 400 HeaderMismatch (-32020, streamable-http §Server Validation). */
static int
ep_mismatch(struct ep_req *r, json_t *id, const char *msg)
{
	struct jrpc_error e;

	memset(&e, 0, sizeof(e));
	jrpc_error_set(&e, MCP_ERR_HEADER_MISMATCH, NULL, "%s", msg);
	ep_rpc_error(r, 400, id, &e);
	return -1;
}

/*
 * Mcp-Name (streamable-http §Standard Request Headers): for tools/call and
 * prompts/get it mirrors params.name, for resources/read params.uri.  It is
 * required when the body has the value and must equal it, after the
 * Base64 sentinel is decoded.  Returns 0, or -1 with the 400 set.
 */
static int
ep_check_name(struct ep_req *r, const struct jrpc_msg *msg)
{
	const char	*m = msg->method, *key, *src, *hv;
	char		 val[BOUNDS_HEADER_LEN + 1];
	size_t		 n;

	if (strcmp(m, "tools/call") == 0 || strcmp(m, "prompts/get") == 0)
		key = "name";
	else if (strcmp(m, "resources/read") == 0)
		key = "uri";
	else
		return 0;
	src = json_string_value(json_object_get(msg->params, key));
	hv = http_header(r->http, "Mcp-Name");
	if (src == NULL && hv == NULL)
		return 0;	/* the dispatcher reports the missing name */
	if (hv == NULL)
		return ep_mismatch(r, msg->id, "Header mismatch: the Mcp-Name "
		    "header is required and must carry the request's name");
	if (strlen(hv) > BOUNDS_HEADER_LEN ||
	    mcphdr_decode(hv, val, sizeof(val), &n) == -1)
		return ep_mismatch(r, msg->id, "Header mismatch: the Mcp-Name "
		    "header has a character a header value must not have, or "
		    "malformed =?base64?...?= encoding");
	if (src == NULL || n != json_string_length(json_object_get(
	    msg->params, key)) || memcmp(val, src, n) != 0)
		return ep_mismatch(r, msg->id, strcmp(key, "uri") == 0 ?
		    "Header mismatch: the Mcp-Name header does not match "
		    "params.uri" : "Header mismatch: the Mcp-Name header "
		    "does not match params.name");
	return 0;
}

/*
 * The 2026-07-28 rules a request meets before dispatch, in the order the
 * official SDKs answer them: a posted response is 400 -32600; Mcp-Method
 * (required on requests, equal to the method; a notification may omit
 * it), Mcp-Name, then the request's _meta (400 -32602 when incomplete,
 * 400 -32020 when its protocolVersion is not the header's), then the
 * Mcp-Param headers of the tool called.  Mcp-Session-Id and Last-Event-ID
 * are ignored (streamable-http §Backward Compatibility).
 * Returns 0 to dispatch, 1 for a notification accepted (202: this revision
 * defines none over HTTP, so it is ignored), -1 when the response is set.
 */
static int
ep_modern_gate(struct endpoint *ep, struct ep_req *r,
    const struct jrpc_msg *msg)
{
	const char		*hm = http_header(r->http, "Mcp-Method");
	const struct tool	*t;
	struct mcp_meta		 meta;
	struct jrpc_error	 e;
	char			 val[BOUNDS_HEADER_LEN + 1], why[384];
	const char		*name;
	json_t			*args;
	size_t			 n;
	int			 rc;

	if (msg->kind == JRPC_RESPONSE) {
		ep_why(r, AUDIT_OUT_PROTOCOL_ERROR, "protocol",
		    "response_not_accepted");
		ep_refuse(r, 400, JRPC_INVALID_REQUEST, "Invalid Request: "
		    "in protocol revision 2026-07-28 a client sends requests "
		    "and notifications only, never a JSON-RPC response");
		return -1;
	}
	if (hm == NULL && msg->kind == JRPC_REQUEST)
		return ep_mismatch(r, msg->id, "Header mismatch: the "
		    "Mcp-Method header is required and must carry the "
		    "request's method");
	if (hm != NULL && (strlen(hm) > BOUNDS_HEADER_LEN ||
	    mcphdr_plain(hm, val, sizeof(val), &n) == -1 ||
	    strcmp(val, msg->method) != 0))
		return ep_mismatch(r, msg->id, "Header mismatch: the "
		    "Mcp-Method header does not match the body's method "
		    "(method names are case-sensitive)");
	if (msg->kind == JRPC_NOTIFICATION) {
		r->resp->status = 202;
		return 1;
	}
	if (ep_check_name(r, msg) == -1)
		return -1;
	memset(&e, 0, sizeof(e));
	if (mcp_meta_check(msg, r->version, &meta, &e) == -1) {
		ep_rpc_error(r, 400, msg->id, &e);
		jrpc_error_clear(&e);
		return -1;
	}
	if (strcmp(msg->method, "tools/call") != 0 ||
	    (name = json_string_value(json_object_get(msg->params,
	    "name"))) == NULL || (t = config_tool(ep->cfg, name)) == NULL)
		return 0;
	args = json_object_get(msg->params, "arguments");
	rc = mcphdr_params_check(t->input_schema, json_is_object(args) ?
	    args : NULL, ep_header_get, r, why, sizeof(why));
	return rc == 0 ? 0 : ep_mismatch(r, msg->id, why);
}

static void
ep_post(struct endpoint *ep, struct ep_req *r)
{
	const struct http_req *h = r->http;
	struct jrpc_msg		 msg;
	struct jrpc_error	 err;
	struct mcp_caller	 who;
	struct mcp_outcome	 out;
	json_t			*id = NULL, *result = NULL;
	const char		*accept;
	char			 sid[2 * EP_SID_BYTES + 1];
	enum mcp_rc		 rc;
	int			 is_init, modern = r->era == MCP_ERA_MODERN;

	memset(&err, 0, sizeof(err));
	memset(&out, 0, sizeof(out));
	accept = http_header(h, "Accept");
	if (accept != NULL && (!ep_accepts(accept, "application/json") ||
	    !ep_accepts(accept, "text/event-stream"))) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol", "not_acceptable");
		ep_refuse(r, 406, JRPC_INVALID_REQUEST, "Not Acceptable: "
		    "Accept must allow application/json and "
		    "text/event-stream");
		return;
	}
	if (!ep_ctype_ok(http_header(h, "Content-Type"))) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "unsupported_media_type");
		ep_refuse(r, 415, JRPC_INVALID_REQUEST, "Unsupported Media "
		    "Type: Content-Type must be application/json");
		return;
	}
	if (h->body_too_large) {
		char m[128];

		snprintf(m, sizeof(m), "Content Too Large: the body limit is "
		    "%zu bytes", ep->cfg->max_body);
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "validation",
		    "content_too_large");
		ep_refuse(r, 413, JRPC_INVALID_REQUEST, m);
		return;
	}
	if (h->body_short) {
		ep_why(r, AUDIT_OUT_HTTP_ERROR, "protocol", "body_short");
		ep_refuse(r, 400, JRPC_PARSE_ERROR, "Bad Request: the body is "
		    "shorter than Content-Length");
		return;
	}
	if (r->version == NULL) {
		ep_unsupported(r);
		return;
	}
	AUDIT_SET(r->ev.protocol_version, r->version);

	if (jrpc_parse(h->body != NULL ? h->body : "", h->bodylen, &msg, &id,
	    &err) == -1) {
		ep_audit_rpc_error(r, &err, 0);
		ep_audit_id(r, id);
		ep_json(r, 400, jrpc_error_response(id, &err));
		json_decref(id);
		jrpc_error_clear(&err);
		return;
	}
	json_decref(id);
	AUDIT_SET(r->ev.rpc_method, msg.method);
	ep_audit_id(r, msg.id);
	ep_audit_args(r, &msg);
	is_init = !modern && msg.kind == JRPC_REQUEST &&
	    strcmp(msg.method, "initialize") == 0;
	if (modern) {
		if (ep_modern_gate(ep, r, &msg) != 0)
			goto done;
	} else if (!is_init && ep_check_session(ep, r) == -1)
		goto done;

	/* From here on both eras take the same path. */
	memset(&who, 0, sizeof(who));
	who.principal = r->principal;
	who.auth_method = r->auth_method;
	who.request_id = r->ev.request_id;
	who.protocol_version = r->version;
	who.deadline_us = ep_now_us() + (int64_t)ENDPOINT_DEADLINE_MS * 1000;
	who.may_call = ep_may_call;
	who.arg = r;
	who.list_all = auth_list_all(ep->auth);
	who.rate_take = ep_rate_take;
	who.idem_header = http_header(h, "Idempotency-Key");
	who.idem_ttl = ep->cfg->idem_ttl;
	who.era = r->era;
	/* What a caller sees depends on its credential unless none is asked. */
	who.cache_private = auth_required(ep->auth);
	who.cache = ep->cache;
	rc = mcp_handle(ep->cfg, &who, &msg, &result, &err, &out);
	if (msg.kind == JRPC_REQUEST && strcmp(msg.method, "tools/call") == 0)
		ep_audit_call(r, rc, &out);
	switch (rc) {
	case MCP_NO_REPLY:
		r->resp->status = 202;
		break;
	case MCP_DENIED:
		ep_forbidden(ep, r, msg.id, &out);
		break;
	case MCP_ERROR:
		ep_audit_rpc_error(r, &err, out.tool == NULL &&
		    json_is_string(json_object_get(msg.params, "name")) &&
		    strcmp(msg.method, "tools/call") == 0);
		/* 2026-07-28: a method we do not have is 404 (transports §). */
		ep_json(r, modern && err.code == JRPC_METHOD_NOT_FOUND ? 404 :
		    200, jrpc_error_response(msg.id, &err));
		break;
	case MCP_RESULT:
		if (result == NULL && out.result_json != NULL) {
			ep_json_result(r, msg.id, out.result_json,
			    out.result_json_len);
			break;
		}
		if (is_init && ep->cfg->sessions) {
			struct store *st = ep_store(ep);
			char owner[EP_OWNER_LEN];

			ep_owner(r->principal, owner);
			if (st == NULL || digest_random_hex(sid,
			    EP_SID_BYTES) == -1 ||
			    store_session_create(st, sid, owner,
			    out.negotiated, out.client_name[0] ?
			    out.client_name : NULL, time(NULL),
			    ep->cfg->session_ttl) == -1 ||
			    http_resp_header(r->resp, "Mcp-Session-Id", "%s",
			    sid) == -1) {
				json_decref(result);
				ep_why(r, AUDIT_OUT_HTTP_ERROR, "internal",
				    "state_unavailable");
				ep_refuse(r, 500, JRPC_INTERNAL_ERROR,
				    "Internal error");
				break;
			}
			digest_sha256_hex(sid, strlen(sid),
			    r->ev.session_hash);
		}
		if (is_init)
			AUDIT_SET(r->ev.protocol_version, out.negotiated);
		ep_json(r, 200, jrpc_result(msg.id, result));
		break;
	}
done:
	tool_error_clear(&out.terr);
	jrpc_error_clear(&err);
	jrpc_msg_clear(&msg);
}

/* The path part of REQUEST_URI, decoded only as far as routing needs. */
static void
ep_path(const struct http_req *h, char *out, size_t len)
{
	const char	*uri = http_env(h, "REQUEST_URI");
	size_t		 n;

	if (uri == NULL)
		uri = http_env(h, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	n = strcspn(uri, "?#");
	if (n >= len)
		n = len - 1;
	memcpy(out, uri, n);
	out[n] = '\0';
	/* "/mcp/" and "/mcp" are the same endpoint. */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
}

/* The response headers every answer carries, 503 included. */
static void
ep_common_headers(struct ep_req *r)
{
	char	 tp[56];

	audit_traceparent(&r->ev, tp);
	(void)http_resp_header(r->resp, "X-Request-Id", "%s",
	    r->ev.request_id);
	(void)http_resp_header(r->resp, "traceparent", "%s", tp);
	(void)http_resp_header(r->resp, "Cache-Control", "no-store");
}

/*
 * The audit log cannot take this request's row: the response is replaced
 * by a 503 (fail closed: nothing leaves unaudited).  done says whether
 * the request may already have had an effect.
 */
static void
ep_unaudited(struct ep_req *r, int done)
{
	http_resp_reset(r->resp);
	ep_common_headers(r);
	(void)http_resp_header(r->resp, "Retry-After", "1");
	ep_refuse(r, 503, JRPC_INTERNAL_ERROR, done ? "Service Unavailable: "
	    "the audit log cannot be written, so the result is withheld; "
	    "retry later (a write may have happened: retry it with the same "
	    "idempotency key)" : "Service Unavailable: the audit log cannot "
	    "be written, so nothing was done; retry later");
}

/* What every row holds, from the request as it arrived. */
static void
ep_audit_begin(struct ep_req *r, const char *method, const char *path)
{
	const struct http_req *h = r->http;
	const char	*sid = http_header(h, "Mcp-Session-Id");
	const char	*pv = http_header(h, "MCP-Protocol-Version");

	if (audit_event_begin(&r->ev, http_header(h, "traceparent")) == -1)
		log_err("no random numbers for the request id");
	AUDIT_SET(r->ev.http_method, method);
	AUDIT_SET(r->ev.http_path, path);
	AUDIT_SET(r->ev.client_addr, http_env(h, "REMOTE_ADDR"));
	AUDIT_SET(r->ev.user_agent, http_header(h, "User-Agent"));
	if (pv != NULL && mcp_version_supported(pv))
		AUDIT_SET(r->ev.protocol_version, pv);
	/* Like the state database: the id itself is a credential. */
	if (sid != NULL)
		digest_sha256_hex(sid, strlen(sid), r->ev.session_hash);
	r->ev.bytes_in = (int64_t)h->bodylen;
}

/* Writes the row, before the response is sent; 503 if it cannot. */
static void
ep_audit_end(struct endpoint *ep, struct ep_req *r)
{
	char	 err[BOUNDS_ERRMSG_LEN];

	/* A HEAD response's body is not sent (cgi/main.c). */
	audit_event_finish(&r->ev, r->resp->status != 0 ? r->resp->status :
	    500, strcmp(r->ev.http_method, "HEAD") == 0 ? 0 :
	    r->resp->bodylen);
	if (audit_write(ep->audit, &r->ev, err, sizeof(err)) == 0)
		return;
	log_err("%s: request %s (%s %d, principal %s) answered 503", err,
	    r->ev.request_id, r->ev.rpc_method[0] ? r->ev.rpc_method :
	    r->ev.http_method, r->ev.http_status, r->ev.principal[0] ?
	    r->ev.principal : "-");
	ep_unaudited(r, 1);
}

/*
 * Decides the request's era, once: MCP-Protocol-Version 2026-07-28 is the
 * modern era; a legacy revision, or no header at all, the legacy era (a
 * server that also serves pre-2025-06-18 clients may take a missing
 * header as 2025-03-26: 2026-07-28 streamable-http §Protocol Version
 * Header).  Any other value leaves r->version NULL: ep_post answers it
 * with UnsupportedProtocolVersionError.  The modern era ignores
 * Mcp-Session-Id, so the audit row holds no session for it.
 */
static void
ep_era(struct ep_req *r)
{
	r->pv = http_header(r->http, "MCP-Protocol-Version");
	r->era = MCP_ERA_LEGACY;
	if (r->pv == NULL)
		r->version = MCP_VERSION_DEFAULT;
	else if (mcp_version_supported(r->pv))
		r->version = r->pv;
	if (mcp_version_modern(r->version)) {
		r->era = MCP_ERA_MODERN;
		r->ev.session_hash[0] = '\0';
	}
}

void
endpoint_handle(struct endpoint *ep, const struct http_req *h,
    struct http_resp *resp)
{
	struct ep_req	 r;
	char		 path[512], wk[600], err[BOUNDS_ERRMSG_LEN];
	const char	*method = http_env(h, "REQUEST_METHOD");

	memset(&r, 0, sizeof(r));
	r.ep = ep;
	r.http = h;
	r.resp = resp;
	r.principal = "anonymous";
	r.auth_method = "none";
	if (method == NULL)
		method = "GET";
	ep_path(h, path, sizeof(path));
	ep_audit_begin(&r, method, path);
	ep_common_headers(&r);

	/* Nothing runs unless its audit row can be written. */
	if (audit_open(ep->audit, err, sizeof(err)) == -1) {
		log_err("%s: request %s answered 503", err, r.ev.request_id);
		ep_unaudited(&r, 0);
		goto out;
	}
	snprintf(wk, sizeof(wk), "/.well-known/oauth-protected-resource%s",
	    ep->cfg->endpoint);
	if (strcmp(path, "/.well-known/oauth-protected-resource") == 0 ||
	    strcmp(path, wk) == 0) {
		if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
			(void)http_resp_header(resp, "Allow", "GET");
			ep_why(&r, AUDIT_OUT_HTTP_ERROR, "protocol",
			    "method_not_allowed");
			resp->status = 405;
			goto done;
		}
		ep_prm(ep, &r);
		goto done;
	}
	if (strcmp(path, ep->cfg->endpoint) != 0) {
		ep_why(&r, AUDIT_OUT_HTTP_ERROR, "not_found", "not_found");
		ep_refuse(&r, 404, JRPC_INVALID_REQUEST, "Not Found");
		goto done;
	}
	if (ep_check_origin(ep, &r) == -1)
		goto done;
	ep_era(&r);
	if (r.era == MCP_ERA_MODERN && strcmp(method, "DELETE") == 0) {
		/* 2026-07-28 has no session to end (transports §). */
		(void)http_resp_header(resp, "Allow", "POST");
		ep_why(&r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "method_not_allowed");
		ep_refuse(&r, 405, JRPC_INVALID_REQUEST, "Method Not Allowed: "
		    "protocol revision 2026-07-28 has no sessions to end; POST "
		    "JSON-RPC requests to this endpoint");
		goto done;
	}
	if ((strcmp(method, "POST") == 0 || strcmp(method, "DELETE") == 0) &&
	    ep_authenticate(ep, &r) == -1)
		goto done;
	if (strcmp(method, "POST") == 0)
		ep_post(ep, &r);
	else if (strcmp(method, "DELETE") == 0)
		ep_delete(ep, &r);
	else {
		/* No server-initiated stream: GET is 405 (transports §). */
		(void)http_resp_header(resp, "Allow", ep->cfg->sessions &&
		    r.era == MCP_ERA_LEGACY ? "POST, DELETE" : "POST");
		ep_why(&r, AUDIT_OUT_HTTP_ERROR, "protocol",
		    "method_not_allowed");
		ep_refuse(&r, 405, JRPC_INVALID_REQUEST,
		    "Method Not Allowed: POST JSON-RPC messages to this "
		    "endpoint");
	}
done:
	ep_audit_end(ep, &r);
out:
	audit_event_clear(&r.ev);
}
