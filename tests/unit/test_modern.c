/*
 * test_modern.c -- MCP 2026-07-28 beside the legacy revisions: the header
 * value rules and x-mcp-header (lib/mcphdr.c), the request _meta and the
 * modern results (lib/mcp.c), and the endpoint's era decision and header
 * gate (lib/endpoint.c), driven in-process through endpoint_handle() with
 * a CGI environment.  Every modern response is also validated against the
 * official 2026-07-28 schema ($MCPGATE_SHARED/testdata/mcp-schema).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "bounds.h"
#include "config.h"
#include "endpoint.h"
#include "http.h"
#include "jrpc.h"
#include "mcp.h"
#include "mcphdr.h"
#include "schema.h"
#include "t.h"

static char	 dir[] = "/tmp/mcpgate-test-modern.XXXXXX";
static struct schema *s2026;	/* the official 2026-07-28 schema */

/* --- lib/mcphdr.c ----------------------------------------------------- */

static void
test_decode(void)
{
	char	 out[64];
	size_t	 n;

	T_OK(mcphdr_plain("  tools/list \t", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "tools/list") == 0 && n == 10,
	    "plain: optional whitespace around the value is dropped");
	T_OK(mcphdr_plain("tools/\x01list", out, sizeof(out), &n) == -1,
	    "plain: a control character is refused");
	T_OK(mcphdr_plain("caf\xc3\xa9", out, sizeof(out), &n) == -1,
	    "plain: a non-ASCII byte is refused");
	T_OK(mcphdr_plain("=?base64?SGVsbG8=?=", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "=?base64?SGVsbG8=?=") == 0,
	    "plain: the sentinel is not decoded (Mcp-Method)");
	T_OK(mcphdr_plain("abcdefgh", out, 8, &n) == -1,
	    "plain: 8 bytes do not fit 8 (NUL)");
	T_OK(mcphdr_plain("abcdefg", out, 8, &n) == 0, "plain: 7 bytes fit 8");

	T_OK(mcphdr_decode("us-west1", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "us-west1") == 0, "decode: a plain value is itself");
	T_OK(mcphdr_decode("=?base64?SGVsbG8sIOS4lueVjA==?=", out, sizeof(out),
	    &n) == 0 && strcmp(out, "Hello, \xe4\xb8\x96\xe7\x95\x8c") == 0 &&
	    n == 13, "decode: the spec's example decodes to UTF-8");
	T_OK(mcphdr_decode(" =?base64?IHBhZGRlZCA=?= ", out, sizeof(out),
	    &n) == 0 && strcmp(out, " padded ") == 0,
	    "decode: whitespace is kept inside the encoding");
	T_OK(mcphdr_decode("=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", out,
	    sizeof(out), &n) == 0 && strcmp(out, "=?base64?literal?=") == 0,
	    "decode: an encoded sentinel-looking value");
	T_OK(mcphdr_decode("=?base64?\?=", out, sizeof(out), &n) == 0 &&
	    n == 0 && out[0] == '\0', "decode: the empty string");
	T_OK(mcphdr_decode("=?base64?SGVsbG8?=", out, sizeof(out), &n) == -1,
	    "decode: missing padding is refused");
	T_OK(mcphdr_decode("=?base64?SGVs!!!bG8=?=", out, sizeof(out), &n) ==
	    -1, "decode: a character outside the alphabet is refused");
	T_OK(mcphdr_decode("=?base64?SGVsbG9=?=", out, sizeof(out), &n) == -1,
	    "decode: non-zero bits under the padding are refused");
	T_OK(mcphdr_decode("=?base64?S=Vs?=", out, sizeof(out), &n) == -1,
	    "decode: \"=\" inside the text is refused");
	T_OK(mcphdr_decode("=?base64?AA==?=", out, sizeof(out), &n) == -1,
	    "decode: a decoded NUL is refused");
	T_OK(mcphdr_decode("=?base64?SGVsbG8=", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "=?base64?SGVsbG8=") == 0,
	    "decode: without the suffix it is a literal");
	T_OK(mcphdr_decode("SGVsbG8=?=", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "SGVsbG8=?=") == 0,
	    "decode: without the prefix it is a literal");
	T_OK(mcphdr_decode("=?BASE64?SGVsbG8=?=", out, sizeof(out), &n) == 0 &&
	    strcmp(out, "=?BASE64?SGVsbG8=?=") == 0,
	    "decode: the markers are case-sensitive");
	/* Decoded in place: out holds the value as sent (19 bytes + NUL). */
	T_OK(mcphdr_decode("=?base64?SGVsbG8=?=", out, 20, &n) == 0 &&
	    strcmp(out, "Hello") == 0 && n == 5, "decode: in 20 bytes");
	T_OK(mcphdr_decode("=?base64?SGVsbG8=?=", out, 19, &n) == -1,
	    "decode: not in 19 bytes");
}

static json_t *
js(const char *s)
{
	json_error_t	 je;

	return json_loads(s, 0, &je);
}

static int
schema_check(const char *schema, char *err, size_t errlen)
{
	json_t	*v = js(schema);
	int	 rc = mcphdr_schema_check(v, err, errlen);

	json_decref(v);
	return rc;
}

/* levels of {"type":"object","properties":{"p": ... }} around inner. */
static void
nested(char *buf, size_t len, int levels, const char *inner)
{
	size_t	 o = 0;
	int	 i;

	for (i = 0; i < levels; i++)
		o += (size_t)snprintf(buf + o, len - o,
		    "{\"type\":\"object\",\"properties\":{\"p\":");
	o += (size_t)snprintf(buf + o, len - o, "%s", inner);
	for (i = 0; i < levels; i++)
		o += (size_t)snprintf(buf + o, len - o, "}}");
}

static void
test_schema_check(void)
{
	char	 err[BOUNDS_ERRMSG_LEN], big[4096];
	size_t	 o;
	int	 i;

	T_EQ_INT(schema_check("{\"type\":\"object\",\"properties\":{\"r\":"
	    "{\"type\":\"string\",\"x-mcp-header\":\"Region\"},\"n\":{\"type\":"
	    "\"integer\",\"x-mcp-header\":\"Count\"},\"o\":{\"type\":\"object\","
	    "\"properties\":{\"b\":{\"type\":\"boolean\",\"x-mcp-header\":"
	    "\"Dry-Run\"}}}}}", err, sizeof(err)), 3,
	    "x-mcp-header: three valid declarations, one nested");
	T_EQ_INT(schema_check("{\"type\":\"object\"}", err, sizeof(err)), 0,
	    "x-mcp-header: none");
	T_OK(schema_check("{\"type\":\"string\",\"x-mcp-header\":\"A\"}", err,
	    sizeof(err)) == -1 && strncmp(err, ": ", 2) == 0,
	    "x-mcp-header on the root is refused (%s)", err);
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"array\",\"items\":{\"type\":\"string\",\"x-mcp-header\":\"A\"}}}}",
	    err, sizeof(err)) == -1 &&
	    strstr(err, "/properties/a/items: ") != NULL,
	    "x-mcp-header under items is refused (%s)", err);
	T_OK(schema_check("{\"type\":\"object\",\"anyOf\":[{\"properties\":"
	    "{\"a\":{\"type\":\"string\",\"x-mcp-header\":\"A\"}}}]}", err,
	    sizeof(err)) == -1 && strstr(err, "/anyOf/0/properties/a") != NULL,
	    "x-mcp-header under anyOf is refused (%s)", err);
	T_OK(schema_check("{\"type\":\"object\",\"$defs\":{\"d\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"A\"}},\"properties\":{\"a\":{\"$ref\":"
	    "\"#/$defs/d\"}}}", err, sizeof(err)) == -1,
	    "x-mcp-header in $defs (behind $ref) is refused");
	T_OK(schema_check("{\"type\":\"object\",\"additionalProperties\":{"
	    "\"type\":\"string\",\"x-mcp-header\":\"A\"}}", err,
	    sizeof(err)) == -1, "x-mcp-header in additionalProperties is "
	    "refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"number\",\"x-mcp-header\":\"A\"}}}", err, sizeof(err)) == -1,
	    "x-mcp-header on a number is refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{"
	    "\"x-mcp-header\":\"A\"}}}", err, sizeof(err)) == -1,
	    "x-mcp-header without a type is refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"Region\"},\"b\":{\"type\":\"string\","
	    "\"x-mcp-header\":\"REGION\"}}}", err, sizeof(err)) == -1 &&
	    strstr(err, "unique") != NULL,
	    "x-mcp-header values differing only in case are refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"Re_gion\"}}}", err, sizeof(err)) ==
	    -1, "x-mcp-header with \"_\" is refused (CGI)");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"Re gion\"}}}", err, sizeof(err)) ==
	    -1, "x-mcp-header with a space is refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"x-mcp-header\":\"\"}}}", err, sizeof(err)) == -1,
	    "an empty x-mcp-header is refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"x-mcp-header\":7}}}", err, sizeof(err)) == -1,
	    "a non-string x-mcp-header is refused");
	T_OK(schema_check("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":"
	    "\"string\",\"const\":{\"x-mcp-header\":1}}}}", err,
	    sizeof(err)) == 0, "x-mcp-header as data inside const is not a "
	    "declaration");
	/* 70 nested properties: deeper than a body may be (64 levels). */
	nested(big, sizeof(big), 70, "{\"type\":\"string\"}");
	T_EQ_INT(schema_check(big, err, sizeof(err)), 0,
	    "a deep schema without x-mcp-header is not walked");
	nested(big, sizeof(big), 70,
	    "{\"type\":\"string\",\"x-mcp-header\":\"D\"}");
	T_OK(schema_check(big, err, sizeof(err)) == -1 &&
	    strstr(err, "too deeply") != NULL,
	    "x-mcp-header deeper than a body may be is refused (%s)", err);
	nested(big, sizeof(big), 20,
	    "{\"type\":\"string\",\"x-mcp-header\":\"D\"}");
	T_EQ_INT(schema_check(big, err, sizeof(err)), 1,
	    "x-mcp-header 20 properties down is fine");

	/* Bounds: names of 64 and 65 characters, 32 and 33 declarations. */
	snprintf(big, sizeof(big), "{\"type\":\"object\",\"properties\":{\"a\":"
	    "{\"type\":\"string\",\"x-mcp-header\":\"%064d\"}}}", 0);
	T_EQ_INT(schema_check(big, err, sizeof(err)), 1,
	    "x-mcp-header of 64 characters");
	snprintf(big, sizeof(big), "{\"type\":\"object\",\"properties\":{\"a\":"
	    "{\"type\":\"string\",\"x-mcp-header\":\"%065d\"}}}", 0);
	T_EQ_INT(schema_check(big, err, sizeof(err)), -1,
	    "x-mcp-header of 65 characters is refused");
	for (int lim = 32; lim <= 33; lim++) {
		o = (size_t)snprintf(big, sizeof(big),
		    "{\"type\":\"object\",\"properties\":{");
		for (i = 0; i < lim; i++)
			o += (size_t)snprintf(big + o, sizeof(big) - o,
			    "%s\"p%d\":{\"type\":\"string\",\"x-mcp-header\":"
			    "\"H%d\"}", i ? "," : "", i, i);
		snprintf(big + o, sizeof(big) - o, "}}");
		T_EQ_INT(schema_check(big, err, sizeof(err)), lim == 32 ? 32 :
		    -1, "%d x-mcp-header declarations %s", lim,
		    lim == 32 ? "are accepted" : "are refused");
	}
}

/* Headers for mcphdr_params_check: "Name: value" strings. */
static const char *const *hdrs;

static const char *
get_hdr(void *arg, const char *name)
{
	size_t	 i, n = strlen(name);

	(void)arg;
	for (i = 0; hdrs[i] != NULL; i++)
		if (strncasecmp(hdrs[i], name, n) == 0 && hdrs[i][n] == ':')
			return hdrs[i] + n + 2;
	return NULL;
}

static int
params(const char *schema, const char *args, const char *const *h,
    char *msg, size_t msglen)
{
	json_t	*s = js(schema), *a = args ? js(args) : NULL;
	int	 rc;

	hdrs = h;
	rc = mcphdr_params_check(s, a, get_hdr, NULL, msg, msglen);
	json_decref(s);
	json_decref(a);
	return rc;
}

#define PSCHEMA "{\"type\":\"object\",\"properties\":{" \
	"\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"}," \
	"\"n\":{\"type\":\"integer\",\"x-mcp-header\":\"Count\"}," \
	"\"dry\":{\"type\":\"boolean\",\"x-mcp-header\":\"Dry\"}," \
	"\"t\":{\"type\":\"object\",\"properties\":{\"zone\":{\"type\":" \
	"\"string\",\"x-mcp-header\":\"Zone\"}}}}}"

static void
test_params(void)
{
	char	 m[256];
	static const char *const none[] = { NULL };
	static const char *const r1[] = { "Mcp-Param-Region: us-west1", NULL };
	static const char *const r2[] = { "MCP-PARAM-REGION:  us-west1  ",
	    NULL };
	static const char *const rb[] = {
	    "Mcp-Param-Region: =?base64?SGVsbG8sIOS4lueVjA==?=", NULL };
	static const char *const rbad[] = {
	    "Mcp-Param-Region: =?base64?SGVsbG8?=", NULL };
	static const char *const all[] = { "Mcp-Param-Region: eu",
	    "Mcp-Param-Count: 42.0", "Mcp-Param-Dry: true",
	    "Mcp-Param-Zone: b", NULL };
	static const char *const n43[] = { "Mcp-Param-Count: 43", NULL };
	static const char *const dryf[] = { "Mcp-Param-Dry: TRUE", NULL };
	static const char *const nx[] = { "Mcp-Param-Count: 4x", NULL };

	T_EQ_INT(params(PSCHEMA, "{}", none, m, sizeof(m)), 0,
	    "params: no values, no headers");
	T_EQ_INT(params(PSCHEMA, NULL, none, m, sizeof(m)), 0,
	    "params: no arguments at all");
	T_EQ_INT(params(PSCHEMA, "{\"region\":\"us-west1\"}", r1, m,
	    sizeof(m)), 0, "params: a plain value matches");
	T_EQ_INT(params(PSCHEMA, "{\"region\":\"us-west1\"}", r2, m,
	    sizeof(m)), 0, "params: header names ignore case, values OWS");
	T_EQ_INT(params(PSCHEMA, "{\"region\":\"Hello, \\u4e16\\u754c\"}", rb,
	    m, sizeof(m)), 0, "params: a Base64 value matches after decoding");
	T_OK(params(PSCHEMA, "{\"region\":\"Hello\"}", rbad, m, sizeof(m)) ==
	    -1 && strstr(m, "Mcp-Param-Region") != NULL,
	    "params: malformed Base64 is refused (%s)", m);
	T_OK(params(PSCHEMA, "{\"region\":\"us-east1\"}", r1, m, sizeof(m)) ==
	    -1 && strstr(m, "does not match") != NULL,
	    "params: another value is refused (%s)", m);
	T_OK(params(PSCHEMA, "{\"region\":\"us-west1\"}", none, m, sizeof(m)) ==
	    -1 && strstr(m, "required") != NULL,
	    "params: a value without its header is refused (%s)", m);
	T_OK(params(PSCHEMA, "{}", r1, m, sizeof(m)) == -1,
	    "params: a header without a value is refused");
	T_EQ_INT(params(PSCHEMA, "{\"region\":null}", none, m, sizeof(m)), 0,
	    "params: null needs no header");
	T_EQ_INT(params(PSCHEMA, "{\"region\":\"eu\",\"n\":42,\"dry\":true,"
	    "\"t\":{\"zone\":\"b\"}}", all, m, sizeof(m)), 0,
	    "params: string, integer (42.0 is 42), boolean and nested match");
	T_EQ_INT(params(PSCHEMA, "{\"n\":42}", n43, m, sizeof(m)), -1,
	    "params: 43 is not 42");
	T_EQ_INT(params(PSCHEMA, "{\"n\":4}", nx, m, sizeof(m)), -1,
	    "params: 4x is not a number");
	T_EQ_INT(params(PSCHEMA, "{\"dry\":true}", dryf, m, sizeof(m)), -1,
	    "params: booleans are lowercase");
	T_EQ_INT(params(PSCHEMA, "{\"t\":{\"zone\":\"b\"}}", none, m,
	    sizeof(m)), -1, "params: a nested value needs its header");
	T_EQ_INT(params(PSCHEMA, "{\"t\":\"flat\"}", none, m, sizeof(m)), 0,
	    "params: no value at a nested path when its parent is no object");
	T_EQ_INT(params(PSCHEMA, "{\"region\":{\"x\":1}}", none, m, sizeof(m)),
	    0, "params: an object has no header form (the schema check "
	    "reports it)");
	T_EQ_INT(params(PSCHEMA, "{\"n\":9007199254740993}", none, m,
	    sizeof(m)), 0, "params: an integer beyond 2^53-1 is not mirrored");
}

/* --- lib/mcp.c ------------------------------------------------------- */

static int
valid(const char *def, const json_t *v)
{
	struct schema_report	 rep;
	char			 ptr[128];
	int			 rc;

	if (s2026 == NULL)
		return 1;	/* reported once in main */
	snprintf(ptr, sizeof(ptr), "#/$defs/%s", def);
	rc = schema_validate_ref(s2026, ptr, v, &rep);
	if (rc != 0)
		printf("#   %s: %s: %s\n", def, rep.err[0].path,
		    rep.err[0].message);
	return rc == 0;
}

static void
test_meta(void)
{
	struct jrpc_msg		 msg;
	struct jrpc_error	 e;
	struct mcp_meta		 meta;
	json_t			*d;
	static const struct {
		const char	*body;
		int		 code;
		const char	*name;
	} cases[] = {
		{ "{}", -32602, "no params" },
		{ "{\"params\":{}}", -32602, "no _meta" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "clientCapabilities\":{}}}}", -32602, "no protocolVersion" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2026-07-28\"}}}", -32602,
		  "no clientCapabilities" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
		  "clientCapabilities\":[]}}}", -32602,
		  "clientCapabilities not an object" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
		  "clientCapabilities\":{},\"io.modelcontextprotocol/clientInfo\":"
		  "{\"name\":\"x\"}}}}", -32602, "clientInfo without version" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2025-11-25\",\"io.modelcontextprotocol/"
		  "clientCapabilities\":{}}}}", -32020,
		  "protocolVersion other than the header's" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
		  "clientCapabilities\":{}}}}", 0, "clientInfo is optional" },
		{ "{\"params\":{\"_meta\":{\"io.modelcontextprotocol/"
		  "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
		  "clientCapabilities\":{\"sampling\":{}},"
		  "\"io.modelcontextprotocol/clientInfo\":{\"name\":\"c\","
		  "\"version\":\"1\"}}}}", 0, "complete _meta" },
	};
	char	 buf[1024];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&e, 0, sizeof(e));
		snprintf(buf, sizeof(buf), "{\"jsonrpc\":\"2.0\",\"id\":1,"
		    "\"method\":\"tools/list\"%s%s", cases[i].body[1] == '}' ?
		    "" : ",", cases[i].body + 1);
		if (jrpc_parse(buf, strlen(buf), &msg, NULL, &e) == -1) {
			T_OK(0, "_meta: %s: parses", cases[i].name);
			continue;
		}
		if (cases[i].code == 0)
			T_OK(mcp_meta_check(&msg, MCP_VERSION_MODERN, &meta,
			    &e) == 0 && strcmp(meta.version, "2026-07-28") == 0
			    && meta.client_caps != NULL, "_meta: %s",
			    cases[i].name);
		else
			T_OK(mcp_meta_check(&msg, MCP_VERSION_MODERN, &meta,
			    &e) == -1 && e.code == cases[i].code,
			    "_meta: %s -> %d (%s)", cases[i].name,
			    cases[i].code, e.message);
		jrpc_error_clear(&e);
		jrpc_msg_clear(&msg);
	}

	memset(&e, 0, sizeof(e));
	T_OK(mcp_unsupported_version("v999.0.0", &e) == 0 && e.code == -32022,
	    "unsupported version -> -32022");
	d = e.data;
	T_OK(json_array_size(json_object_get(d, "supported")) == 4 &&
	    strcmp(json_string_value(json_array_get(json_object_get(d,
	    "supported"), 0)), "2026-07-28") == 0 &&
	    strcmp(json_string_value(json_object_get(d, "requested")),
	    "v999.0.0") == 0, "data.supported lists 4 revisions, requested "
	    "echoes the header");
	{
		json_t *id = json_integer(3);
		json_t *r = jrpc_error_response(id, &e);

		T_OK(r != NULL && valid("UnsupportedProtocolVersionError", r),
		    "it is a valid UnsupportedProtocolVersionError");
		json_decref(r);
		json_decref(id);
	}
	jrpc_error_clear(&e);
	T_OK(mcp_unsupported_version("a\x01\xff", &e) == 0 &&
	    strcmp(json_string_value(json_object_get(e.data, "requested")),
	    "a??") == 0, "requested: bytes that are not printable ASCII are "
	    "replaced");
	jrpc_error_clear(&e);
	T_OK(mcp_version_modern("2026-07-28") && !mcp_version_legacy(
	    "2026-07-28") && mcp_version_legacy("2025-03-26") &&
	    !mcp_version_supported("2025-01-01"), "version classes");
}

/* --- lib/endpoint.c, in-process --------------------------------------- */

struct call {
	int		 status;
	char		*body;
	json_t		*json;
	char		 hdrs[2048];
};

static void
call_free(struct call *c)
{
	free(c->body);
	json_decref(c->json);
	memset(c, 0, sizeof(*c));
}

/*
 * One request.  The variadic list is NULL-terminated "NAME=value" CGI
 * variables replacing or adding to the 2026-07-28 defaults; "NAME=" with
 * nothing after the "=" removes a default.
 */
static void
send_req(struct endpoint *ep, const char *method, const char *body,
    struct call *out, ...)
{
	char		*env[48], cl[64], m[64];
	const char	*defaults[] = {
		"GATEWAY_INTERFACE=CGI/1.1", "SERVER_ADDR=127.0.0.1",
		"HTTP_HOST=127.0.0.1:8080", "CONTENT_TYPE=application/json",
		"HTTP_ACCEPT=application/json, text/event-stream",
		"REQUEST_URI=/mcp", "HTTP_MCP_PROTOCOL_VERSION=2026-07-28", NULL
	};
	const char	*given[32], *x;
	struct http_req	 req;
	struct http_resp resp;
	json_error_t	 je;
	va_list		 ap;
	size_t		 n = 0, ng = 0, i, k;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	env[n++] = m;
	va_start(ap, out);
	while ((x = va_arg(ap, const char *)) != NULL && ng < 32)
		given[ng++] = x;
	va_end(ap);
	for (i = 0; i < ng; i++)
		if (strchr(given[i], '=')[1] != '\0')
			env[n++] = (char *)given[i];
	for (i = 0; defaults[i] != NULL; i++) {
		size_t nl = strcspn(defaults[i], "=");
		int found = 0;

		for (k = 0; k < ng; k++)
			if (strncmp(given[k], defaults[i], nl + 1) == 0)
				found = 1;
		if (!found)
			env[n++] = (char *)defaults[i];
	}
	if (body != NULL) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
		env[n++] = cl;
	}
	env[n] = NULL;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.env = env;
	req.body = body;
	req.bodylen = body ? strlen(body) : 0;
	endpoint_handle(ep, &req, &resp);
	memset(out, 0, sizeof(*out));
	out->status = resp.status;
	if (resp.body != NULL) {
		out->body = strndup(resp.body, resp.bodylen);
		out->json = json_loads(out->body, 0, &je);
	}
	for (i = 0; i < resp.nhdr; i++) {
		size_t l = strlen(out->hdrs);

		snprintf(out->hdrs + l, sizeof(out->hdrs) - l, "%s: %s\n",
		    resp.hdr[i].name, resp.hdr[i].value);
	}
	http_resp_reset(&resp);
}

#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":" \
	"\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}," \
	"\"io.modelcontextprotocol/clientInfo\":{\"name\":\"unit\"," \
	"\"version\":\"1\"}}"
#define REQ(id, method, params) "{\"jsonrpc\":\"2.0\",\"id\":" id \
	",\"method\":\"" method "\",\"params\":{" META params "}}"

static json_int_t
ecode(const struct call *c)
{
	return json_integer_value(json_object_get(json_object_get(c->json,
	    "error"), "code"));
}

static json_t *
res(const struct call *c, const char *key)
{
	return json_object_get(json_object_get(c->json, "result"), key);
}

static int
has_hdr(const struct call *c, const char *line)
{
	return strcasestr(c->hdrs, line) != NULL;
}

static int
id_is(const struct call *c, json_int_t id)
{
	return json_integer_value(json_object_get(c->json, "id")) == id;
}

static void
test_endpoint(struct endpoint *ep)
{
	struct call	 c, c2;
	json_t		*tools;
	char		*first;

	/* server/discover */
	send_req(ep, "POST", REQ("1", "server/discover", ""), &c,
	    "HTTP_MCP_METHOD=server/discover", NULL);
	T_EQ_INT(c.status, 200, "server/discover -> 200");
	T_OK(valid("DiscoverResultResponse", c.json),
	    "server/discover is a valid DiscoverResultResponse");
	T_OK(json_array_size(res(&c, "supportedVersions")) == 4 &&
	    json_is_object(json_object_get(res(&c, "capabilities"), "tools")),
	    "it lists 4 versions and the tools capability");
	T_OK(strcmp(json_string_value(res(&c, "resultType")), "complete") ==
	    0 && json_integer_value(res(&c, "ttlMs")) == 60000 &&
	    strcmp(json_string_value(res(&c, "cacheScope")), "public") == 0,
	    "resultType complete, ttlMs from server.tools_ttl_ms, cacheScope "
	    "public (auth.mode none)");
	T_OK(strcmp(json_string_value(json_object_get(json_object_get(res(&c,
	    "_meta"), "io.modelcontextprotocol/serverInfo"), "title")),
	    "Unit Server") == 0 && strcmp(json_string_value(res(&c,
	    "instructions")), "Use it.") == 0,
	    "serverInfo (with title) in _meta, instructions");
	T_OK(strstr(c.hdrs, "Mcp-Session-Id") == NULL,
	    "no Mcp-Session-Id is minted");
	call_free(&c);

	/* tools/list: pages, deterministic, cacheable. */
	send_req(ep, "POST", REQ("2", "tools/list", ""), &c,
	    "HTTP_MCP_METHOD=tools/list", NULL);
	T_OK(c.status == 200 && valid("ListToolsResultResponse", c.json),
	    "tools/list -> 200, a valid ListToolsResultResponse");
	tools = res(&c, "tools");
	T_OK(json_array_size(tools) == 2 && json_is_string(res(&c,
	    "nextCursor")) && json_integer_value(res(&c, "ttlMs")) == 60000,
	    "page 1: 2 tools, nextCursor, ttlMs");
	first = json_dumps(tools, JSON_COMPACT);
	send_req(ep, "POST", REQ("3", "tools/list", ""), &c2,
	    "HTTP_MCP_METHOD=tools/list", "HTTP_MCP_SESSION_ID=garbage", NULL);
	{
		char *again = json_dumps(res(&c2, "tools"), JSON_COMPACT);

		T_OK(c2.status == 200 && first != NULL && again != NULL &&
		    strcmp(first, again) == 0, "the same list again (and a "
		    "stray Mcp-Session-Id is ignored)");
		free(again);
	}
	free(first);
	call_free(&c2);
	{
		char body[1024];

		snprintf(body, sizeof(body), REQ("4", "tools/list",
		    ",\"cursor\":\"%s\""), json_string_value(res(&c,
		    "nextCursor")));
		send_req(ep, "POST", body, &c2, "HTTP_MCP_METHOD=tools/list",
		    NULL);
		T_OK(c2.status == 200 && json_array_size(res(&c2, "tools")) ==
		    2 && valid("ListToolsResultResponse", c2.json),
		    "page 2 follows the cursor");
		call_free(&c2);
	}
	call_free(&c);
	send_req(ep, "POST", REQ("5", "tools/list", ",\"cursor\":\"x\""), &c,
	    "HTTP_MCP_METHOD=tools/list", NULL);
	T_OK(c.status == 200 && ecode(&c) == -32602 && id_is(&c, 5) &&
	    valid("JSONRPCErrorResponse", c.json),
	    "a bad cursor is -32602 in-band (HTTP 200)");
	call_free(&c);

	/* tools/call */
	send_req(ep, "POST", REQ("6", "tools/call", ",\"name\":\"hello\""), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=hello", NULL);
	T_OK(c.status == 200 && valid("CallToolResultResponse", c.json) &&
	    strcmp(json_string_value(res(&c, "resultType")), "complete") == 0 &&
	    res(&c, "ttlMs") == NULL, "tools/call -> a valid CallToolResult, "
	    "complete, no ttlMs");
	call_free(&c);
	send_req(ep, "POST", REQ("7", "tools/call", ",\"name\":\"region\","
	    "\"arguments\":{\"region\":7}"), &c, "HTTP_MCP_METHOD=tools/call",
	    "HTTP_MCP_NAME=region", "HTTP_MCP_PARAM_REGION=7", NULL);
	T_OK(c.status == 200 && json_is_true(res(&c, "isError")) &&
	    json_object_get(res(&c, "_meta"), "dev.mcpgate/error") != NULL &&
	    json_object_get(res(&c, "_meta"),
	    "io.modelcontextprotocol/serverInfo") != NULL &&
	    valid("CallToolResultResponse", c.json),
	    "a validation error is an isError result with both _meta keys");
	call_free(&c);
	send_req(ep, "POST", REQ("8", "tools/call", ",\"name\":\"nope\""), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=nope", NULL);
	T_OK(c.status == 200 && ecode(&c) == -32602 && id_is(&c, 8),
	    "an unknown tool is -32602 in-band");
	call_free(&c);

	/* The header gate. */
	send_req(ep, "POST", REQ("9", "tools/list", ""), &c, NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020 && id_is(&c, 9) &&
	    valid("HeaderMismatchError", c.json),
	    "no Mcp-Method -> 400 -32020 with the id");
	call_free(&c);
	send_req(ep, "POST", REQ("10", "tools/list", ""), &c,
	    "HTTP_MCP_METHOD=prompts/list", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "Mcp-Method of another method -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("11", "tools/list", ""), &c,
	    "HTTP_MCP_METHOD=TOOLS/LIST", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "Mcp-Method values are case-sensitive");
	call_free(&c);
	send_req(ep, "POST", REQ("12", "tools/list", ""), &c,
	    "HTTP_MCP_METHOD= tools/list ", NULL);
	T_EQ_INT(c.status, 200, "whitespace around Mcp-Method is fine");
	call_free(&c);
	send_req(ep, "POST", REQ("13", "tools/call", ",\"name\":\"hello\""), &c,
	    "HTTP_MCP_METHOD=tools/call", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "tools/call without Mcp-Name -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("14", "tools/call", ",\"name\":\"hello\""), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=five", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "Mcp-Name of another tool -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("15", "tools/call", ",\"name\":\"hello\""), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME==?base64?aGVsbG8=?=",
	    NULL);
	T_EQ_INT(c.status, 200, "a Base64 Mcp-Name is decoded before the "
	    "comparison");
	call_free(&c);
	send_req(ep, "POST", REQ("16", "tools/call", ",\"name\":\"hello\""), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME==?base64?aGVsbG8?=",
	    NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "a malformed Base64 Mcp-Name -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("17", "tools/call", ",\"name\":\"region\","
	    "\"arguments\":{\"region\":\"eu\"}"), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=region", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020 &&
	    strstr(c.body, "Mcp-Param-Region") != NULL,
	    "a value without its Mcp-Param header -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("18", "tools/call", ",\"name\":\"region\","
	    "\"arguments\":{\"region\":\"eu\"}"), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=region",
	    "HTTP_MCP_PARAM_REGION=us", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "Mcp-Param-Region of another value -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", REQ("19", "tools/call", ",\"name\":\"region\","
	    "\"arguments\":{\"region\":\"eu\"}"), &c,
	    "HTTP_MCP_METHOD=tools/call", "HTTP_MCP_NAME=region",
	    "HTTP_MCP_PARAM_REGION=eu", NULL);
	T_OK(c.status == 200 && res(&c, "isError") == NULL,
	    "Mcp-Param-Region matching -> 200");
	call_free(&c);

	/* _meta */
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"id\":20,\"method\":"
	    "\"server/discover\",\"params\":{}}", &c,
	    "HTTP_MCP_METHOD=server/discover", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32602 && id_is(&c, 20) &&
	    valid("JSONRPCErrorResponse", c.json),
	    "no _meta -> 400 -32602 with the id");
	call_free(&c);
	send_req(ep, "POST", REQ("21", "server/discover", ""), &c,
	    "HTTP_MCP_METHOD=server/discover",
	    "HTTP_MCP_PROTOCOL_VERSION=2025-11-25", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32600 &&
	    strstr(c.body, "Mcp-Session-Id") != NULL,
	    "a legacy header with a modern _meta is legacy traffic (no "
	    "session: 400)");
	call_free(&c);

	/* Versions. */
	send_req(ep, "POST", REQ("22", "server/discover", ""), &c,
	    "HTTP_MCP_METHOD=server/discover",
	    "HTTP_MCP_PROTOCOL_VERSION=v999.0.0", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32022 && id_is(&c, 22) &&
	    valid("UnsupportedProtocolVersionError", c.json),
	    "an unsupported version -> 400 -32022 with the id");
	call_free(&c);
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"id\":23,\"method\":"
	    "\"ping\"}", &c, "HTTP_MCP_PROTOCOL_VERSION=1999-01-01", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32022,
	    "an unsupported version on a legacy-shaped request -> -32022 too");
	call_free(&c);

	/* Methods the revision does not have. */
	send_req(ep, "POST", REQ("24", "initialize", ""), &c,
	    "HTTP_MCP_METHOD=initialize", NULL);
	T_OK(c.status == 404 && ecode(&c) == -32601 && id_is(&c, 24) &&
	    strstr(c.body, "2025-11-25") != NULL &&
	    valid("JSONRPCErrorResponse", c.json),
	    "initialize under 2026-07-28 -> 404 -32601 naming the legacy "
	    "versions");
	call_free(&c);
	send_req(ep, "POST", REQ("25", "ping", ""), &c,
	    "HTTP_MCP_METHOD=ping", NULL);
	T_OK(c.status == 404 && ecode(&c) == -32601, "ping -> 404 -32601");
	call_free(&c);
	send_req(ep, "POST", REQ("26", "resources/list", ""), &c,
	    "HTTP_MCP_METHOD=resources/list", NULL);
	T_OK(c.status == 404 && ecode(&c) == -32601,
	    "resources/list -> 404 -32601");
	call_free(&c);

	/* Notifications, responses, GET, DELETE. */
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/cancelled\",\"params\":{\"requestId\":1}}", &c,
	    NULL);
	T_OK(c.status == 202 && c.body == NULL, "a notification -> 202");
	call_free(&c);
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/cancelled\"}", &c,
	    "HTTP_MCP_METHOD=notifications/initialized", NULL);
	T_OK(c.status == 400 && ecode(&c) == -32020,
	    "a notification with another Mcp-Method -> 400 -32020");
	call_free(&c);
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
	    &c, NULL);
	T_OK(c.status == 400 && ecode(&c) == -32600,
	    "a posted JSON-RPC response -> 400 -32600");
	call_free(&c);
	send_req(ep, "GET", NULL, &c, NULL);
	T_OK(c.status == 405 && has_hdr(&c, "Allow: POST\n"),
	    "GET -> 405, Allow: POST");
	call_free(&c);
	send_req(ep, "DELETE", NULL, &c, "HTTP_MCP_SESSION_ID=0000", NULL);
	T_OK(c.status == 405 && has_hdr(&c, "Allow: POST\n"),
	    "DELETE -> 405, Allow: POST");
	call_free(&c);

	/* The legacy era on the same endpoint is untouched. */
	send_req(ep, "POST", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":"
	    "\"initialize\",\"params\":{\"protocolVersion\":\"2026-07-28\","
	    "\"capabilities\":{},\"clientInfo\":{\"name\":\"u\",\"version\":"
	    "\"1\"}}}", &c, "HTTP_MCP_PROTOCOL_VERSION=", NULL);
	T_OK(c.status == 200 && strcmp(json_string_value(res(&c,
	    "protocolVersion")), "2025-11-25") == 0 &&
	    strstr(c.hdrs, "Mcp-Session-Id") != NULL &&
	    res(&c, "resultType") == NULL,
	    "initialize without the header is legacy; asking for 2026-07-28 "
	    "there gets 2025-11-25");
	call_free(&c);
	send_req(ep, "GET", NULL, &c, "HTTP_MCP_PROTOCOL_VERSION=", NULL);
	T_OK(c.status == 405 && has_hdr(&c, "Allow: POST, DELETE"),
	    "legacy GET -> 405, Allow: POST, DELETE");
	call_free(&c);
}

static int
audit_rows(const char *db, const char *where)
{
	sqlite3		*h;
	sqlite3_stmt	*st;
	char		 sql[512];
	int		 n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_events WHERE "
	    "%s", where);
	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static void
test_config(void)
{
	char		 path[600], err[BOUNDS_ERRMSG_LEN];
	struct config	*cfg;
	FILE		*f;
	long long	 v;

	snprintf(path, sizeof(path), "%s/ttl.json", dir);
	{
	static const long long vals[] = { -1, 0, 86400000, 86400001 };
	size_t		 i;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		v = vals[i];
		f = fopen(path, "w");
		fprintf(f, "{\"server\":{\"tools_ttl_ms\":%lld},\"tools\":[]}",
		    v);
		fclose(f);
		cfg = config_load(path, 0, err, sizeof(err));
		if (v == -1 || v == 86400001)
			T_OK(cfg == NULL && strstr(err, "tools_ttl_ms") !=
			    NULL, "tools_ttl_ms %lld is refused", v);
		else
			T_OK(cfg != NULL && cfg->tools_ttl_ms == v,
			    "tools_ttl_ms %lld is accepted", v);
		config_free(cfg);
	}
	}
	f = fopen(path, "w");
	fputs("{\"tools\":[{\"name\":\"t\",\"kind\":\"static\",\"content\":[],"
	    "\"input_schema\":{\"type\":\"object\",\"properties\":{\"a\":{"
	    "\"type\":\"number\",\"x-mcp-header\":\"A\"}}}}]}", f);
	fclose(f);
	cfg = config_load(path, 0, err, sizeof(err));
	T_OK(cfg == NULL && strstr(err, "/tools/0/input_schema/properties/a: "
	    "x-mcp-header") != NULL, "a bad x-mcp-header is a config error "
	    "with its path (%s)", cfg ? "loaded" : err);
	config_free(cfg);
	f = fopen(path, "w");
	fputs("{\"tools\":[]}", f);
	fclose(f);
	cfg = config_load(path, 0, err, sizeof(err));
	T_OK(cfg != NULL && cfg->tools_ttl_ms == 300000,
	    "tools_ttl_ms defaults to 300000");
	config_free(cfg);
}

int
main(void)
{
	const char	*shared = getenv("MCPGATE_SHARED");
	struct config	*cfg;
	struct endpoint	*ep;
	json_error_t	 je;
	json_t		*doc;
	FILE		*f;
	char		 path[600], sp[1024], err[BOUNDS_ERRMSG_LEN], adb[700];

	if (shared == NULL || *shared == '\0')
		shared = "../shared";
	snprintf(sp, sizeof(sp), "%s/testdata/mcp-schema/2026-07-28/"
	    "schema.json", shared);
	if ((doc = json_load_file(sp, 0, &je)) != NULL) {
		s2026 = schema_compile(doc, err, sizeof(err));
		json_decref(doc);
	}
	T_OK(s2026 != NULL, "the official 2026-07-28 schema compiles (%s)", sp);
	if (mkdtemp(dir) == NULL)
		return 1;

	test_decode();
	test_schema_check();
	test_params();
	test_meta();
	test_config();

	snprintf(path, sizeof(path), "%s/c.json", dir);
	f = fopen(path, "w");
	fputs("{\"auth\":{\"mode\":\"none\"},"
	    "\"server\":{\"name\":\"unit\",\"title\":\"Unit Server\","
	    "\"instructions\":\"Use it.\",\"page_size\":2,"
	    "\"tools_ttl_ms\":60000},"
	    "\"tools\":["
	    "{\"name\":\"hello\",\"kind\":\"static\",\"content\":"
	    "[{\"type\":\"text\",\"text\":\"hi\"}]},"
	    "{\"name\":\"region\",\"kind\":\"static\",\"content\":"
	    "[{\"type\":\"text\",\"text\":\"r\"}],\"input_schema\":{\"type\":"
	    "\"object\",\"properties\":{\"region\":{\"type\":\"string\","
	    "\"x-mcp-header\":\"Region\"}}}},"
	    "{\"name\":\"five\",\"kind\":\"static\",\"content\":"
	    "[{\"type\":\"text\",\"text\":\"5\"}]},"
	    "{\"name\":\"six\",\"kind\":\"static\",\"content\":"
	    "[{\"type\":\"text\",\"text\":\"6\"}]}"
	    "]}", f);
	fclose(f);
	cfg = config_load(path, CONFIG_VERIFY, err, sizeof(err));
	T_OK(cfg != NULL, "test config loads (%s)", cfg ? "ok" : err);
	if (cfg == NULL)
		return t_done();
	ep = endpoint_new(cfg, err, sizeof(err));
	T_OK(ep != NULL, "endpoint builds (%s)", ep ? "ok" : err);
	if (ep == NULL)
		return t_done();
	test_endpoint(ep);
	endpoint_free(ep);

	/* The audit row records the revision each request used. */
	snprintf(adb, sizeof(adb), "%s/audit.db", dir);
	T_OK(audit_rows(adb, "protocol_version = '2026-07-28' AND "
	    "rpc_method = 'server/discover' AND http_status = 200") >= 1,
	    "audit: server/discover rows carry 2026-07-28");
	T_OK(audit_rows(adb, "protocol_version = '2025-11-25' AND "
	    "rpc_method = 'initialize'") == 1,
	    "audit: the legacy initialize row carries the negotiated 2025-11-25");
	T_OK(audit_rows(adb, "rpc_error_code = -32020 AND "
	    "error_code = 'header_mismatch' AND http_status = 400") >= 8,
	    "audit: header mismatches are labelled header_mismatch");
	T_OK(audit_rows(adb, "rpc_error_code = -32022 AND protocol_version "
	    "IS NULL") == 2, "audit: unsupported versions have no revision");
	T_OK(audit_rows(adb, "protocol_version = '2026-07-28' AND "
	    "session_hash IS NOT NULL") == 0,
	    "audit: no session is recorded in the modern era");
	config_free(cfg);
	schema_free(s2026);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
