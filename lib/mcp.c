/*
 * mcp.c -- method dispatch for both eras.  Legacy (2025-03-26 ..
 * 2025-11-25): lifecycle, ping, tools.  Modern (2026-07-28): the request's
 * _meta, server/discover and tools, each result marked complete and
 * signed with serverInfo.  tools/list and tools/call are one code path for
 * both; only the wrapping of the result differs.  Tool failures become
 * isError results with one error shape; protocol mistakes stay JSON-RPC
 * errors, as 2025-11-25 and 2026-07-28 require.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "digest.h"
#include "idem.h"
#include "log.h"
#include "mcp.h"
#include "schema.h"
#include "tool.h"

const char *const mcp_versions[] = {
	MCP_VERSION_MODERN, "2025-11-25", "2025-06-18", "2025-03-26", NULL
};

/* The _meta keys of 2026-07-28 (basic/index §_meta). */
#define MCP_META_VERSION	"io.modelcontextprotocol/protocolVersion"
#define MCP_META_CLIENT_CAPS	"io.modelcontextprotocol/clientCapabilities"
#define MCP_META_CLIENT_INFO	"io.modelcontextprotocol/clientInfo"
#define MCP_META_SERVER_INFO	"io.modelcontextprotocol/serverInfo"

static json_t	*mcp_server_info(const struct config *);

int
mcp_version_supported(const char *v)
{
	size_t	 i;

	for (i = 0; v != NULL && mcp_versions[i] != NULL; i++)
		if (strcmp(v, mcp_versions[i]) == 0)
			return 1;
	return 0;
}

int
mcp_version_modern(const char *v)
{
	return v != NULL && strcmp(v, MCP_VERSION_MODERN) == 0;
}

int
mcp_version_legacy(const char *v)
{
	return mcp_version_supported(v) && !mcp_version_modern(v);
}

int
mcp_unsupported_version(const char *requested, struct jrpc_error *err)
{
	json_t	*sup, *data;
	char	 req[65];
	size_t	 i;

	/* Echoed as JSON text: printable ASCII only, bounded. */
	for (i = 0; requested != NULL && requested[i] != '\0' &&
	    i + 1 < sizeof(req); i++)
		req[i] = requested[i] >= 0x20 && requested[i] < 0x7f ?
		    requested[i] : '?';
	req[i] = '\0';
	if ((sup = json_array()) == NULL)
		goto oom;
	for (i = 0; mcp_versions[i] != NULL; i++)
		if (json_array_append_new(sup, json_string(mcp_versions[i])) ==
		    -1) {
			json_decref(sup);
			goto oom;
		}
	if ((data = json_pack("{s:o,s:s}", "supported", sup, "requested",
	    req)) == NULL)
		goto oom;
	jrpc_error_set(err, MCP_ERR_UNSUPPORTED_VERSION, data,
	    "Unsupported protocol version: this server speaks 2026-07-28, "
	    "2025-11-25, 2025-06-18 and 2025-03-26");
	return 0;
oom:
	jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL, "Internal error");
	return -1;
}

int
mcp_meta_check(const struct jrpc_msg *msg, const char *transport_version,
    struct mcp_meta *meta, struct jrpc_error *err)
{
	json_t	*m, *v, *ci;

	memset(meta, 0, sizeof(*meta));
	m = json_object_get(msg->params, "_meta");
	if (!json_is_object(msg->params) || !json_is_object(m)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL, "Invalid "
		    "params: a 2026-07-28 request carries params._meta with "
		    MCP_META_VERSION " and " MCP_META_CLIENT_CAPS);
		return -1;
	}
	v = json_object_get(m, MCP_META_VERSION);
	if (!json_is_string(v)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL, "Invalid "
		    "params: _meta needs " MCP_META_VERSION " (a string)");
		return -1;
	}
	meta->version = json_string_value(v);
	meta->client_caps = json_object_get(m, MCP_META_CLIENT_CAPS);
	if (!json_is_object(meta->client_caps)) {
		meta->client_caps = NULL;
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL, "Invalid "
		    "params: _meta needs " MCP_META_CLIENT_CAPS " (an object; "
		    "{} declares none)");
		return -1;
	}
	/* Optional (a SHOULD), but an Implementation when present. */
	if ((ci = json_object_get(m, MCP_META_CLIENT_INFO)) != NULL) {
		meta->client_name = json_string_value(json_object_get(ci,
		    "name"));
		meta->client_version = json_string_value(json_object_get(ci,
		    "version"));
		if (meta->client_name == NULL || meta->client_version == NULL) {
			jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
			    "Invalid params: " MCP_META_CLIENT_INFO " must be "
			    "an object with a string name and version");
			return -1;
		}
	}
	/* Streamable HTTP §Protocol Version Header: they must agree. */
	if (transport_version != NULL &&
	    strcmp(meta->version, transport_version) != 0) {
		jrpc_error_set(err, MCP_ERR_HEADER_MISMATCH, NULL, "Header "
		    "mismatch: MCP-Protocol-Version is %.32s but _meta "
		    MCP_META_VERSION " names another version",
		    transport_version);
		return -1;
	}
	return 0;
}

static enum mcp_rc
mcp_initialize(const struct config *cfg, json_t *params, json_t **result,
    struct jrpc_error *err, struct mcp_outcome *out)
{
	json_t		*v, *info, *ci;
	const char	*req, *ver;

	v = json_object_get(params, "protocolVersion");
	if (!json_is_string(v)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Invalid params: initialize needs \"protocolVersion\"");
		return MCP_ERROR;
	}
	req = json_string_value(v);
	/*
	 * Lifecycle §Version Negotiation: echo it, else offer our latest.
	 * Only a legacy revision: 2026-07-28 has no handshake to agree on.
	 */
	ver = mcp_version_legacy(req) ? req : MCP_VERSION_LATEST;
	snprintf(out->negotiated, sizeof(out->negotiated), "%s", ver);
	ci = json_object_get(params, "clientInfo");
	if (json_is_string(json_object_get(ci, "name")))
		snprintf(out->client_name, sizeof(out->client_name), "%s",
		    json_string_value(json_object_get(ci, "name")));

	info = mcp_server_info(cfg);
	*result = json_pack("{s:s,s:{s:{s:b}},s:o}", "protocolVersion", ver,
	    "capabilities", "tools", "listChanged", 0, "serverInfo", info);
	if (*result != NULL && cfg->instructions != NULL)
		json_object_set_new(*result, "instructions",
		    json_string(cfg->instructions));
	if (*result == NULL) {
		jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL,
		    "Internal error");
		return MCP_ERROR;
	}
	return MCP_RESULT;
}

/* {name, version, title?}: initialize's serverInfo, 2026's _meta one. */
static json_t *
mcp_server_info(const struct config *cfg)
{
	json_t	*info;

	info = json_pack("{s:s,s:s}", "name", cfg->name, "version",
	    cfg->version);
	if (info != NULL && cfg->title != NULL &&
	    json_object_set_new(info, "title", json_string(cfg->title)) == -1) {
		json_decref(info);
		return NULL;
	}
	return info;
}

static json_t *
mcp_tool_json(const struct tool *t)
{
	json_t	*o;

	o = json_pack("{s:s,s:O}", "name", t->name, "inputSchema",
	    t->input_schema);
	if (o == NULL)
		return NULL;
	if (t->title != NULL)
		json_object_set_new(o, "title", json_string(t->title));
	if (t->description != NULL)
		json_object_set_new(o, "description",
		    json_string(t->description));
	if (t->output_schema != NULL)
		json_object_set(o, "outputSchema", t->output_schema);
	if (t->annotations != NULL)
		json_object_set(o, "annotations", t->annotations);
	return o;
}

static int
mcp_visible(const struct mcp_caller *who, const struct tool *t)
{
	return who->list_all || who->may_call == NULL ||
	    who->may_call(who->arg, t);
}

/*
 * Cursors are opaque to clients (pagination §): "<offset>.<check>", where
 * check ties the offset to this server's tool set, so a forged or stale
 * cursor is -32602, not a silent wrong page.
 */
static void
mcp_cursor_make(const struct config *cfg, size_t off, char *buf, size_t len)
{
	char	 in[256], h[DIGEST_HEX_LEN + 1];

	snprintf(in, sizeof(in), "%s/%zu/%zu", cfg->name, cfg->ntools, off);
	digest_sha256_hex(in, strlen(in), h);
	snprintf(buf, len, "%zu.%.12s", off, h);
}

static int
mcp_cursor_parse(const struct config *cfg, const char *c, size_t *off)
{
	char	 want[64], *end;
	unsigned long long v;

	if (strlen(c) > BOUNDS_CURSOR_LEN || c[0] < '0' || c[0] > '9')
		return -1;
	v = strtoull(c, &end, 10);
	if (*end != '.' || v == 0 || v > cfg->ntools)
		return -1;
	mcp_cursor_make(cfg, (size_t)v, want, sizeof(want));
	if (strcmp(want, c) != 0)
		return -1;
	*off = (size_t)v;
	return 0;
}

static enum mcp_rc
mcp_tools_list(const struct config *cfg, const struct mcp_caller *who,
    json_t *params, json_t **result, struct jrpc_error *err)
{
	json_t		*list, *c, *tj;
	size_t		 i, off = 0, seen = 0;
	char		 next[64];

	c = json_object_get(params, "cursor");
	if (c != NULL && (!json_is_string(c) ||
	    mcp_cursor_parse(cfg, json_string_value(c), &off) == -1)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Invalid params: unknown or expired cursor; list again "
		    "without one");
		return MCP_ERROR;
	}
	if ((list = json_array()) == NULL)
		goto oom;
	/* off counts positions in the config's tool order. */
	for (i = off; i < cfg->ntools; i++) {
		if (!mcp_visible(who, cfg->tools[i]))
			continue;
		if (seen == (size_t)cfg->page_size)
			break;
		if ((tj = mcp_tool_json(cfg->tools[i])) == NULL ||
		    json_array_append_new(list, tj) == -1)
			goto oom;
		seen++;
	}
	*result = json_pack("{s:o}", "tools", list);
	if (*result == NULL)
		goto oom;
	if (i < cfg->ntools) {
		mcp_cursor_make(cfg, i, next, sizeof(next));
		json_object_set_new(*result, "nextCursor", json_string(next));
	}
	return MCP_RESULT;
oom:
	jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL, "Internal error");
	return MCP_ERROR;
}

/*
 * The one shape of every tool error (issue 4): a sentence for the model in
 * a text block, and { "error": { category, code, message, retryable,
 * retry_after?, details? } } as structuredContent and under _meta
 * "dev.mcpgate/error".  A tool with an outputSchema gets the _meta copy
 * only: the official TypeScript SDK (1.32.2, Client.callTool) validates
 * structuredContent against the outputSchema even when isError is true,
 * and would turn our error into an exception the model never sees.
 */
/* The length of the valid UTF-8 sequence at p (NUL-terminated), or 0. */
static size_t
mcp_utf8_seq(const unsigned char *p)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 i, n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;	/* overlong */
		hi = p[0] == 0xed ? 0x9f : 0xbf;	/* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;	/* overlong */
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;	/* > U+10FFFF */
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Copies s to out (len bytes) with every byte that is not part of a valid
 * UTF-8 sequence replaced by '?'.  A tool's message may carry database
 * text, or have been cut inside a character at its fixed size; jansson
 * refuses such a string, and the model would get a JSON-RPC internal
 * error instead of its tool error.
 */
static void
mcp_utf8_scrub(const char *s, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 o = 0, n;

	while (*p != '\0' && o + 1 < len) {
		if ((n = mcp_utf8_seq(p)) == 0) {
			out[o++] = '?';
			p++;
			continue;
		}
		if (o + n >= len)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
}

static json_t *
mcp_tool_error_result(const struct tool *t, const struct tool_error *e)
{
	json_t	*eo, *text, *res;
	char	 code[sizeof(e->code)], msg[sizeof(e->message)];

	mcp_utf8_scrub(e->code, code, sizeof(code));
	mcp_utf8_scrub(e->message, msg, sizeof(msg));
	eo = json_pack("{s:s,s:s,s:s,s:b}", "category",
	    tool_errcat_name(e->cat), "code", code, "message", msg,
	    "retryable", e->retryable);
	if (eo == NULL)
		return NULL;
	if (e->retry_after > 0)
		json_object_set_new(eo, "retry_after",
		    json_integer(e->retry_after));
	if (e->details != NULL)
		json_object_set(eo, "details", e->details);
	text = json_sprintf("%s error (%s): %s%s", tool_errcat_name(e->cat),
	    code, msg, e->retryable ? (e->retry_after > 0 ?
	    " This may succeed if retried after the retry_after seconds." :
	    " This may succeed if retried.") : " Retrying the same call "
	    "will not help.");
	res = json_pack("{s:[{s:s,s:o}],s:b,s:{s:O}}", "content", "type",
	    "text", "text", text, "isError", 1, "_meta", "dev.mcpgate/error",
	    eo);
	if (res != NULL && (t == NULL || t->output_schema == NULL))
		json_object_set_new(res, "structuredContent",
		    json_pack("{s:O}", "error", eo));
	json_decref(eo);
	return res;
}

/*
 * Finds the idempotency key of a write tools/call (issue 5): the
 * Idempotency-Key header, else the idempotency_key argument, else (for
 * "derived" tools) the fingerprint of the arguments.  Fills out->idem_key
 * (scoped to principal and tool) and fp.  Returns 0, or -1 with a
 * validation error in out->terr.
 */
static int
mcp_idem_key(const struct mcp_caller *who, const struct tool *t,
    json_t *args, char fp[DIGEST_HEX_LEN + 1], struct mcp_outcome *out)
{
	const char	*key = who->idem_header;
	json_t		*v;
	size_t		 i;

	out->idem_key[0] = '\0';
	if (t->read_only || t->idempotency == TOOL_IDEM_OFF)
		return 0;
	if (key == NULL && (v = json_object_get(args, "idempotency_key")) !=
	    NULL)
		key = json_string_value(v);
	if (idem_fingerprint(args, fp) == -1) {
		tool_error_set(&out->terr, TOOL_ERR_TRANSIENT, "oom",
		    "The server is short of memory; retry in a moment.");
		return -1;
	}
	if (key == NULL && t->idempotency == TOOL_IDEM_DERIVED)
		key = fp;
	if (key == NULL) {
		if (t->idempotency != TOOL_IDEM_REQUIRED)
			return 0;
		tool_error_set(&out->terr, TOOL_ERR_VALIDATION,
		    "idempotency_key_required", "%s changes data and needs an "
		    "idempotency key: send the Idempotency-Key header or an "
		    "\"idempotency_key\" argument (a new unique string per "
		    "request, reused only to retry it).", t->name);
		return -1;
	}
	for (i = 0; key[i] != '\0'; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			break;
	if (i == 0 || i > IDEM_KEY_LEN_MAX || key[i] != '\0') {
		tool_error_set(&out->terr, TOOL_ERR_VALIDATION,
		    "idempotency_key_invalid", "The idempotency key must be 1 "
		    "to %d printable characters.", IDEM_KEY_LEN_MAX);
		return -1;
	}
	if (idem_scope(who->principal, t->name, key, out->idem_key) == -1) {
		out->idem_key[0] = '\0';
		tool_error_set(&out->terr, TOOL_ERR_TRANSIENT, "oom",
		    "The server is short of memory; retry in a moment.");
		return -1;
	}
	return 0;
}

static json_t *
mcp_tool_ok_result(struct tool_result *r)
{
	json_t	*res, *content = r->content;
	char	*s;

	if (content == NULL) {
		/* Structured results also go out as text (tools §). */
		/* json_dumps without JSON_ENCODE_ANY: a bare value fails. */
		s = json_is_object(r->structured) ||
		    json_is_array(r->structured) ?
		    jrpc_dumps(r->structured, NULL) : NULL;
		if (s == NULL)
			return NULL;
		content = json_pack("[{s:s,s:s}]", "type", "text", "text", s);
		free(s);
	} else
		json_incref(content);
	res = json_pack("{s:o}", "content", content);
	if (res == NULL)
		return NULL;
	if (r->structured != NULL)
		json_object_set(res, "structuredContent", r->structured);
	if (r->is_error)
		json_object_set_new(res, "isError", json_true());
	if (r->replayed)
		json_object_set_new(res, "_meta", json_pack("{s:b}",
		    "dev.mcpgate/replay", 1));
	return res;
}

static enum mcp_rc
mcp_tools_call(const struct config *cfg, const struct mcp_caller *who,
    json_t *params, json_t **result, struct jrpc_error *err,
    struct mcp_outcome *out)
{
	struct tool		*t;
	struct tool_result	 res;
	struct tool_caller	 tc;
	struct schema_report	 rep;
	char			 fp[DIGEST_HEX_LEN + 1];
	json_t			*name, *args, *own = NULL;
	int			 rc;

	memset(&res, 0, sizeof(res));
	name = json_object_get(params, "name");
	if (!json_is_string(name)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Invalid params: tools/call needs a \"name\"");
		return MCP_ERROR;
	}
	/*
	 * A tool hidden from this caller's tools/list is still named in a
	 * 403 step-up (MCP authorization §Scope Challenge Handling), so an
	 * OAuth client can ask for the scope it needs.
	 */
	t = config_tool(cfg, json_string_value(name));
	if (t == NULL) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Unknown tool: %.128s", json_string_value(name));
		return MCP_ERROR;
	}
	out->tool = t;
	if (who->may_call != NULL && !who->may_call(who->arg, t)) {
		out->missing_scope = t->scope;
		return MCP_DENIED;
	}
	args = json_object_get(params, "arguments");
	if (args == NULL)
		args = own = json_object();
	else if (!json_is_object(args)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Invalid params: \"arguments\" must be an object");
		return MCP_ERROR;
	}

	out->args = own == NULL ? args : NULL;	/* own dies before return */
	memset(&tc, 0, sizeof(tc));
	tc.principal = who->principal;
	tc.auth_method = who->auth_method;
	tc.request_id = who->request_id;
	tc.deadline_us = who->deadline_us;

	/* Gate 1: shape.  A failure is a tool error the model can fix. */
	rc = schema_validate(t->input_check, args, &rep);
	if (rc != 0) {
		if (rc == 1) {
			tool_error_set(&out->terr, TOOL_ERR_VALIDATION,
			    "invalid_arguments", "The arguments do not match "
			    "the tool's input schema: %s.%s", rep.err[0].message,
			    rep.ntotal > 1 ? " There are more problems; see "
			    "details, fix them all and call again." : "");
			out->terr.details = schema_report_json(&rep);
		} else
			tool_error_set(&out->terr, TOOL_ERR_INTERNAL,
			    "internal", "An internal error occurred. Quote "
			    "request id %s to the operator.",
			    who->request_id);
		goto toolerr;
	}

	/* Rate limits: a looping agent is slowed down, nothing runs. */
	if (who->rate_take != NULL) {
		int wait = 0;

		if (who->rate_take(who->arg, t, &wait) == 0) {
			tool_error_set(&out->terr, TOOL_ERR_RATE_LIMITED,
			    "rate_limited", "Too many calls of %s; wait %d s "
			    "before calling it again.", t->name, wait);
			out->terr.retry_after = wait;
			goto toolerr;
		}
	}

	if (mcp_idem_key(who, t, args, fp, out) == -1)
		goto toolerr;
	if (out->idem_key[0] != '\0') {
		tc.idem_key = out->idem_key;
		tc.idem_fp = fp;
		tc.idem_ttl = who->idem_ttl;
	}
	if (t->ops->call(t, &tc, args, &res, &out->terr) == -1) {
		if (out->idem_key[0] != '\0')
			out->idem_status = strcmp(out->terr.code,
			    "in_progress") == 0 ? "in_flight" :
			    strcmp(out->terr.code, "idempotency_key_reused") ==
			    0 ? "conflict" : "new";
		goto toolerr;
	}
	if (out->idem_key[0] != '\0')
		out->idem_status = res.replayed ? "replay" : "new";

	/* Never send structuredContent that breaks the published schema. */
	if (t->output_check != NULL && !res.is_error &&
	    (res.structured == NULL ||
	    schema_validate(t->output_check, res.structured, &rep) != 0)) {
		log_err("tool %s: result does not match its output schema: "
		    "%s: %s (request %s)", t->name, rep.err[0].path,
		    rep.err[0].message, who->request_id);
		tool_error_set(&out->terr, TOOL_ERR_INTERNAL,
		    "output_schema_mismatch", "The tool produced a result "
		    "that does not match its declared output schema. Quote "
		    "request id %s to the operator.", who->request_id);
		tool_result_clear(&res);
		goto toolerr;
	}
	out->tool_is_error = res.is_error;
	*result = mcp_tool_ok_result(&res);
	tool_result_clear(&res);
	json_decref(own);
	if (*result == NULL) {
		jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL,
		    "Internal error");
		return MCP_ERROR;
	}
	return MCP_RESULT;
toolerr:
	json_decref(own);
	out->tool_is_error = 1;
	*result = mcp_tool_error_result(t, &out->terr);
	if (*result == NULL) {
		jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL,
		    "Internal error");
		return MCP_ERROR;
	}
	return MCP_RESULT;
}

/* server/discover (2026-07-28): versions, capabilities, instructions. */
static enum mcp_rc
mcp_discover(const struct config *cfg, json_t **result,
    struct jrpc_error *err)
{
	json_t	*vers;
	size_t	 i;

	if ((vers = json_array()) == NULL)
		goto oom;
	for (i = 0; mcp_versions[i] != NULL; i++)
		if (json_array_append_new(vers, json_string(mcp_versions[i])) ==
		    -1) {
			json_decref(vers);
			goto oom;
		}
	*result = json_pack("{s:o,s:{s:{s:b}}}", "supportedVersions", vers,
	    "capabilities", "tools", "listChanged", 0);
	if (*result == NULL)
		goto oom;
	if (cfg->instructions != NULL && json_object_set_new(*result,
	    "instructions", json_string(cfg->instructions)) == -1)
		goto oom;
	return MCP_RESULT;
oom:
	json_decref(*result);
	*result = NULL;
	jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL, "Internal error");
	return MCP_ERROR;
}

/*
 * What every 2026-07-28 result carries: resultType "complete" (basic/index
 * §Result Responses), serverInfo in _meta (§Per-response protocol fields),
 * and on the cacheable ones (server/utilities/caching) ttlMs and
 * cacheScope.  Returns 0, or -1 on OOM.
 */
static int
mcp_modern_wrap(const struct config *cfg, const struct mcp_caller *who,
    const char *method, json_t *result)
{
	json_t	*meta, *info;

	if (json_object_set_new(result, "resultType",
	    json_string("complete")) == -1)
		return -1;
	if ((meta = json_object_get(result, "_meta")) == NULL) {
		if ((meta = json_object()) == NULL ||
		    json_object_set_new(result, "_meta", meta) == -1)
			return -1;
	}
	if ((info = mcp_server_info(cfg)) == NULL ||
	    json_object_set_new(meta, MCP_META_SERVER_INFO, info) == -1)
		return -1;
	if (strcmp(method, "tools/list") == 0 ||
	    strcmp(method, "server/discover") == 0) {
		if (json_object_set_new(result, "ttlMs",
		    json_integer(cfg->tools_ttl_ms)) == -1 ||
		    json_object_set_new(result, "cacheScope", json_string(
		    who->cache_private ? "private" : "public")) == -1)
			return -1;
	}
	return 0;
}

/* A method 2026-07-28 does not have, with a pointer for the removed ones. */
static enum mcp_rc
mcp_modern_unknown(const char *m, struct jrpc_error *err)
{
	if (strcmp(m, "initialize") == 0)
		jrpc_error_set(err, JRPC_METHOD_NOT_FOUND, NULL, "Method not "
		    "found: initialize is not part of protocol revision "
		    "2026-07-28, where every request carries its own _meta. "
		    "For the initialize handshake send MCP-Protocol-Version "
		    "2025-11-25, 2025-06-18 or 2025-03-26, or none");
	else if (strcmp(m, "ping") == 0 || strcmp(m, "logging/setLevel") == 0)
		jrpc_error_set(err, JRPC_METHOD_NOT_FOUND, NULL, "Method not "
		    "found: %s was removed in protocol revision 2026-07-28", m);
	else
		jrpc_error_set(err, JRPC_METHOD_NOT_FOUND, NULL,
		    "Method not found: %.128s", m);
	return MCP_ERROR;
}

/* Bytes of a visibility bitmap, and the most tools a cache entry keys. */
#define MCP_CACHE_TOOLS_MAX	1024
#define MCP_CACHE_BITS		(MCP_CACHE_TOOLS_MAX / 8)

struct mcp_cache_entry {
	int		 modern;
	int		 cache_private;
	size_t		 off;		/* the cursor's offset, 0: none */
	unsigned char	 vis[MCP_CACHE_BITS]; /* tools the caller may see */
	char		*json;		/* the serialised result */
	size_t		 len;
};

struct mcp_cache {
	const struct config	*cfg;
	struct mcp_cache_entry	 e[MCP_CACHE_MAX];
	size_t			 n;
	size_t			 next;	/* replaced next when full */
};

struct mcp_cache *
mcp_cache_new(const struct config *cfg)
{
	struct mcp_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = cfg;
	return c;
}

void
mcp_cache_free(struct mcp_cache *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->e[i].json);
	free(c);
}

/*
 * tools/list through who->cache: the key is everything the result depends
 * on besides the configuration (the era, cacheScope, the cursor and which
 * tools from the cursor on the caller may see).  Returns MCP_RESULT with
 * out->result_json set, or -2 when the request is not for the cache (a
 * bad cursor, too many tools, OOM): the caller builds it as usual.
 */
static int
mcp_tools_list_cached(const struct config *cfg, const struct mcp_caller *who,
    json_t *params, struct jrpc_error *err, struct mcp_outcome *out)
{
	struct mcp_cache	*c = who->cache;
	struct mcp_cache_entry	*e;
	unsigned char		 vis[MCP_CACHE_BITS];
	json_t			*cur, *result = NULL;
	size_t			 i, off = 0, len;
	char			*json;
	int			 modern = who->era == MCP_ERA_MODERN;

	if (c == NULL || c->cfg != cfg || cfg->ntools > MCP_CACHE_TOOLS_MAX)
		return -2;
	cur = json_object_get(params, "cursor");
	if (cur != NULL && (!json_is_string(cur) ||
	    mcp_cursor_parse(cfg, json_string_value(cur), &off) == -1))
		return -2;
	memset(vis, 0, sizeof(vis));
	for (i = off; i < cfg->ntools; i++)
		if (mcp_visible(who, cfg->tools[i]))
			vis[i / 8] |= (unsigned char)(1U << (i % 8));
	for (i = 0; i < c->n; i++) {
		e = &c->e[i];
		if (e->modern == modern && e->off == off &&
		    (!modern || e->cache_private == who->cache_private) &&
		    memcmp(e->vis, vis, sizeof(vis)) == 0) {
			out->result_json = e->json;
			out->result_json_len = e->len;
			return MCP_RESULT;
		}
	}
	if (mcp_tools_list(cfg, who, params, &result, err) != MCP_RESULT)
		return -2;
	if ((modern && mcp_modern_wrap(cfg, who, "tools/list", result) ==
	    -1) || (json = jrpc_dumps(result, &len)) == NULL) {
		json_decref(result);
		return -2;
	}
	json_decref(result);
	if (c->n < MCP_CACHE_MAX)
		e = &c->e[c->n++];
	else {
		/* Full: more visibility sets than expected; take turns. */
		e = &c->e[c->next];
		c->next = (c->next + 1) % MCP_CACHE_MAX;
		free(e->json);
	}
	e->modern = modern;
	e->cache_private = who->cache_private;
	e->off = off;
	memcpy(e->vis, vis, sizeof(vis));
	e->json = json;
	e->len = len;
	out->result_json = e->json;
	out->result_json_len = e->len;
	return MCP_RESULT;
}

enum mcp_rc
mcp_handle(const struct config *cfg, const struct mcp_caller *who,
    const struct jrpc_msg *msg, json_t **result, struct jrpc_error *err,
    struct mcp_outcome *out)
{
	const char	*m = msg->method;
	json_t		*params = msg->params;
	enum mcp_rc	 rc;
	int		 modern = who->era == MCP_ERA_MODERN;

	*result = NULL;
	if (msg->kind != JRPC_REQUEST)
		return MCP_NO_REPLY;	/* notifications, client responses */
	if (params != NULL && !json_is_object(params)) {
		jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
		    "Invalid params: \"params\" must be an object");
		return MCP_ERROR;
	}
	if (!modern && strcmp(m, "initialize") == 0)
		return mcp_initialize(cfg, params, result, err, out);
	if (!modern && strcmp(m, "ping") == 0) {
		*result = json_object();
		return *result ? MCP_RESULT : MCP_ERROR;
	}
	if (modern && strcmp(m, "server/discover") == 0)
		rc = mcp_discover(cfg, result, err);
	else if (strcmp(m, "tools/list") == 0) {
		if (mcp_tools_list_cached(cfg, who, params, err, out) ==
		    MCP_RESULT)
			return MCP_RESULT;
		rc = mcp_tools_list(cfg, who, params, result, err);
	}
	else if (strcmp(m, "tools/call") == 0) {
		if (params == NULL) {
			jrpc_error_set(err, JRPC_INVALID_PARAMS, NULL,
			    "Invalid params: tools/call needs params");
			return MCP_ERROR;
		}
		rc = mcp_tools_call(cfg, who, params, result, err, out);
	} else if (modern)
		return mcp_modern_unknown(m, err);
	else {
		jrpc_error_set(err, JRPC_METHOD_NOT_FOUND, NULL,
		    "Method not found: %.128s", m);
		return MCP_ERROR;
	}
	if (rc == MCP_RESULT && modern &&
	    mcp_modern_wrap(cfg, who, m, *result) == -1) {
		json_decref(*result);
		*result = NULL;
		jrpc_error_set(err, JRPC_INTERNAL_ERROR, NULL,
		    "Internal error");
		return MCP_ERROR;
	}
	return rc;
}
