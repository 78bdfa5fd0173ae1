/*
 * mcphdr.c -- MCP 2026-07-28 request metadata headers: the Base64
 * sentinel, the x-mcp-header schema extension and the comparison of
 * Mcp-Param headers with the arguments they mirror.  Pure functions over
 * strings and jansson values; the transport hands headers in through a
 * callback and turns a -1 into HTTP 400 with HeaderMismatch (-32020).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "mcphdr.h"

#define MCPHDR_SENTINEL_PRE	"=?base64?"
#define MCPHDR_SENTINEL_SUF	"?="
#define MCPHDR_MAX_DEPTH	BOUNDS_JSON_DEPTH
#define MCPHDR_PATH_LEN		256
/* JavaScript's safe integers: 2^53 - 1 (server/tools §x-mcp-header). */
#define MCPHDR_SAFE_INT		9007199254740991LL

/* The 6-bit value of c in the standard alphabet (RFC 4648 §4), or -1. */
static int
mcphdr_b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Canonical padded base64: a multiple of four characters, "=" only as the
 * last one or two, and zero bits where the padding cuts the last group.
 * Decoded NUL bytes are refused: the value is compared with JSON text.
 */
static int
mcphdr_b64_decode(const char *in, size_t len, char *out, size_t outsz,
    size_t *outlen)
{
	size_t	 i, o = 0, pad = 0;
	int	 v[4], k;

	if (len % 4 != 0)
		return -1;
	if (len > 0 && in[len - 1] == '=')
		pad = len > 1 && in[len - 2] == '=' ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= len - pad && in[i + k] == '=')
				v[k] = 0;
			else if ((v[k] = mcphdr_b64val((unsigned char)
			    in[i + k])) == -1)
				return -1;
		}
		if (i + 4 < len || pad == 0) {
			if (o + 3 >= outsz)
				return -1;
			out[o++] = (char)(v[0] << 2 | v[1] >> 4);
			out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
			out[o++] = (char)((v[2] & 0x3) << 6 | v[3]);
		} else if (pad == 1) {
			if ((v[2] & 0x3) != 0 || o + 2 >= outsz)
				return -1;
			out[o++] = (char)(v[0] << 2 | v[1] >> 4);
			out[o++] = (char)((v[1] & 0xf) << 4 | v[2] >> 2);
		} else {
			if ((v[1] & 0xf) != 0 || o + 1 >= outsz)
				return -1;
			out[o++] = (char)(v[0] << 2 | v[1] >> 4);
		}
	}
	if (memchr(out, '\0', o) != NULL)
		return -1;
	out[o] = '\0';
	*outlen = o;
	return 0;
}

int
mcphdr_plain(const char *raw, char *out, size_t outsz, size_t *outlen)
{
	const char	*p = raw, *end;
	size_t		 n, i;

	if (outsz == 0)
		return -1;
	out[0] = '\0';
	*outlen = 0;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - p);
	/* RFC 9110 §5.5 field-value: VCHAR, SP and HTAB; no obs-text. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return -1;
	}
	if (n >= outsz)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	*outlen = n;
	return 0;
}

int
mcphdr_decode(const char *raw, char *out, size_t outsz, size_t *outlen)
{
	size_t	 n, pre = strlen(MCPHDR_SENTINEL_PRE),
		 suf = strlen(MCPHDR_SENTINEL_SUF);

	if (mcphdr_plain(raw, out, outsz, &n) == -1)
		return -1;
	*outlen = n;
	if (n < pre + suf || strncmp(out, MCPHDR_SENTINEL_PRE, pre) != 0 ||
	    strcmp(out + n - suf, MCPHDR_SENTINEL_SUF) != 0)
		return 0;
	/*
	 * In place: each group of 4 characters read becomes at most 3 bytes
	 * written, and the writes start pre bytes behind the reads.
	 */
	return mcphdr_b64_decode(out + pre, n - pre - suf, out, outsz, outlen);
}

/* Appends "/name" (JSON Pointer, RFC 6901 escapes) to path. */
static void
mcphdr_path_add(char *path, size_t len, const char *seg)
{
	size_t	 o = strlen(path);

	if (o + 1 < len)
		path[o++] = '/';
	for (; *seg != '\0' && o + 2 < len; seg++) {
		if (*seg == '~' || *seg == '/') {
			path[o++] = '~';
			path[o++] = *seg == '~' ? '0' : '1';
		} else
			path[o++] = *seg;
	}
	path[o] = '\0';
}

struct mcphdr_walk {
	char	 names[BOUNDS_XMCP_PARAMS][BOUNDS_XMCP_NAME_LEN + 1];
	int	 n;
	char	*err;
	size_t	 errlen;
};

static int
mcphdr_fail(struct mcphdr_walk *w, const char *path, const char *what)
{
	snprintf(w->err, w->errlen, "%s: %s", path, what);
	return -1;
}

/*
 * Keywords whose subschemas are off the "properties" chain (the SDKs'
 * list, plus draft-07's dependencies and additionalItems).  An
 * x-mcp-header anywhere below them makes the tool invalid.  The second
 * member says the value is a name -> schema object.
 */
static const struct {
	const char	*kw;
	int		 map;
} mcphdr_subschemas[] = {
	{ "items", 0 }, { "prefixItems", 0 }, { "contains", 0 },
	{ "additionalItems", 0 }, { "additionalProperties", 0 },
	{ "unevaluatedProperties", 0 }, { "unevaluatedItems", 0 },
	{ "propertyNames", 0 }, { "patternProperties", 1 },
	{ "dependentSchemas", 1 }, { "dependencies", 1 }, { "oneOf", 0 },
	{ "anyOf", 0 }, { "allOf", 0 }, { "not", 0 }, { "if", 0 },
	{ "then", 0 }, { "else", 0 }, { "$defs", 1 }, { "definitions", 1 }
};

static int	mcphdr_visit(struct mcphdr_walk *, const json_t *, char *,
		    int, int);

/* One subschema value: a schema, or an array of them. */
static int
mcphdr_visit_sub(struct mcphdr_walk *w, const json_t *v, char *path,
    int depth)
{
	const json_t	*e;
	size_t		 i, mark = strlen(path);
	char		 idx[24];

	if (json_is_object(v))
		return mcphdr_visit(w, v, path, 0, depth + 1);
	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, e) {
		snprintf(idx, sizeof(idx), "%zu", i);
		mcphdr_path_add(path, MCPHDR_PATH_LEN, idx);
		if (mcphdr_visit(w, e, path, 0, depth + 1) == -1)
			return -1;
		path[mark] = '\0';
	}
	return 0;
}

static int
mcphdr_visit(struct mcphdr_walk *w, const json_t *node, char *path,
    int reachable, int depth)
{
	const json_t	*x, *props, *v, *sub;
	const char	*name, *type, *key;
	size_t		 i, k, mark = strlen(path);
	int		 j;

	if (!json_is_object(node))
		return 0;
	if (depth > MCPHDR_MAX_DEPTH)
		return mcphdr_fail(w, path, "the schema is nested too deeply");
	if ((x = json_object_get(node, "x-mcp-header")) != NULL) {
		if (!reachable || depth == 0)
			return mcphdr_fail(w, path, "x-mcp-header is only "
			    "allowed on a property reached from the root "
			    "through \"properties\" alone (not items, "
			    "additionalProperties, oneOf/anyOf/allOf/not, "
			    "if/then/else, $defs or $ref)");
		name = json_string_value(x);
		if (name == NULL || name[0] == '\0')
			return mcphdr_fail(w, path, "x-mcp-header must be a "
			    "non-empty string");
		for (i = 0; name[i] != '\0'; i++)
			if (!isalnum((unsigned char)name[i]) && name[i] != '-')
				break;
		if (name[i] != '\0' || i > BOUNDS_XMCP_NAME_LEN)
			return mcphdr_fail(w, path, "x-mcp-header must be 1 "
			    "to 64 letters, digits or \"-\" (the header "
			    "names that reach a CGI or FastCGI program "
			    "intact)");
		type = json_string_value(json_object_get(node, "type"));
		if (type == NULL || (strcmp(type, "string") != 0 &&
		    strcmp(type, "integer") != 0 &&
		    strcmp(type, "boolean") != 0))
			return mcphdr_fail(w, path, "x-mcp-header is only "
			    "allowed on a property whose \"type\" is "
			    "\"string\", \"integer\" or \"boolean\"");
		for (j = 0; j < w->n; j++)
			if (strcasecmp(w->names[j], name) == 0)
				return mcphdr_fail(w, path, "x-mcp-header "
				    "values must be unique regardless of case");
		if (w->n == BOUNDS_XMCP_PARAMS)
			return mcphdr_fail(w, path, "too many x-mcp-header "
			    "declarations (at most 32)");
		snprintf(w->names[w->n++], sizeof(w->names[0]), "%s", name);
	}
	props = json_object_get(node, "properties");
	if (json_is_object(props)) {
		json_object_foreach((json_t *)props, key, v) {
			mcphdr_path_add(path, MCPHDR_PATH_LEN, "properties");
			mcphdr_path_add(path, MCPHDR_PATH_LEN, key);
			if (mcphdr_visit(w, v, path, reachable, depth + 1) ==
			    -1)
				return -1;
			path[mark] = '\0';
		}
	}
	for (k = 0; k < sizeof(mcphdr_subschemas) /
	    sizeof(mcphdr_subschemas[0]); k++) {
		sub = json_object_get(node, mcphdr_subschemas[k].kw);
		if (sub == NULL)
			continue;
		mcphdr_path_add(path, MCPHDR_PATH_LEN,
		    mcphdr_subschemas[k].kw);
		if (mcphdr_subschemas[k].map && json_is_object(sub)) {
			size_t m2 = strlen(path);

			json_object_foreach((json_t *)sub, key, v) {
				mcphdr_path_add(path, MCPHDR_PATH_LEN, key);
				if (mcphdr_visit_sub(w, v, path, depth) == -1)
					return -1;
				path[m2] = '\0';
			}
		} else if (mcphdr_visit_sub(w, sub, path, depth) == -1)
			return -1;
		path[mark] = '\0';
	}
	return 0;
}

int
mcphdr_schema_check(const json_t *schema, char *err, size_t errlen)
{
	struct mcphdr_walk	 w;
	char			 path[MCPHDR_PATH_LEN], *text;
	int			 none;

	/*
	 * A schema that never says x-mcp-header has nothing to check: it
	 * loads as it did before 2026-07-28, however deep it is.
	 */
	if ((text = json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY)) ==
	    NULL) {
		snprintf(err, errlen, ": out of memory");
		return -1;
	}
	none = strstr(text, "\"x-mcp-header\"") == NULL;
	free(text);
	if (none)
		return 0;
	memset(&w, 0, sizeof(w));
	w.err = err;
	w.errlen = errlen;
	path[0] = '\0';
	if (mcphdr_visit(&w, schema, path, 1, 0) == -1)
		return -1;
	return w.n;
}

struct mcphdr_cmp {
	const char	*(*get)(void *, const char *);
	void		*arg;
	char		*msg;
	size_t		 msglen;
};

/* Is the decoded header text s (len bytes) the number v? */
static int
mcphdr_num_eq(const char *s, const json_t *v)
{
	char		*end;
	long long	 ll;
	double		 d;

	if (*s == '\0' || isspace((unsigned char)*s))
		return 0;
	if (json_is_integer(v)) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (*end == '\0' && errno == 0)
			return ll == json_integer_value(v);
	}
	errno = 0;
	d = strtod(s, &end);
	if (*end != '\0' || errno != 0 || !isfinite(d))
		return 0;
	return json_is_integer(v) ? d == (double)json_integer_value(v) :
	    d == json_real_value(v);
}

/*
 * Can a client mirror v into a header at all?  Strings, booleans and
 * numbers (integers within JavaScript's safe range) can; for anything
 * else the SDKs send no header, and the schema check reports the value.
 */
static int
mcphdr_mirrorable(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) <= MCPHDR_SAFE_INT &&
		    json_integer_value(v) >= -MCPHDR_SAFE_INT;
	if (json_is_real(v))
		return isfinite(json_real_value(v));
	return json_is_string(v) || json_is_boolean(v);
}

static int
mcphdr_cmp_one(struct mcphdr_cmp *c, const char *name, const json_t *v,
    const char *path)
{
	char		 hname[sizeof(MCPHDR_PARAM_PREFIX) + BOUNDS_XMCP_NAME_LEN];
	char		 val[BOUNDS_HEADER_LEN + 1];
	const char	*raw;
	size_t		 n;
	int		 eq;

	snprintf(hname, sizeof(hname), "%s%s", MCPHDR_PARAM_PREFIX, name);
	raw = c->get(c->arg, hname);
	if (v == NULL || json_is_null(v)) {
		if (raw == NULL)
			return 0;
		snprintf(c->msg, c->msglen, "Header mismatch: %s is sent but "
		    "the arguments have no value at %s", hname, path);
		return -1;
	}
	if (raw == NULL) {
		if (!mcphdr_mirrorable(v))
			return 0;
		snprintf(c->msg, c->msglen, "Header mismatch: the %s header "
		    "is required, because the arguments have a value at %s",
		    hname, path);
		return -1;
	}
	if (strlen(raw) > BOUNDS_HEADER_LEN ||
	    mcphdr_decode(raw, val, sizeof(val), &n) == -1) {
		snprintf(c->msg, c->msglen, "Header mismatch: the %s header "
		    "has a character a header value must not have, or "
		    "malformed =?base64?...?= encoding", hname);
		return -1;
	}
	if (json_is_string(v))
		eq = n == json_string_length(v) &&
		    memcmp(val, json_string_value(v), n) == 0;
	else if (json_is_boolean(v))
		eq = strcmp(val, json_is_true(v) ? "true" : "false") == 0;
	else if (json_is_number(v))
		eq = mcphdr_num_eq(val, v);
	else
		eq = 0;		/* an object or array has no header form */
	if (!eq) {
		snprintf(c->msg, c->msglen, "Header mismatch: the %s header "
		    "does not match the arguments' value at %s", hname, path);
		return -1;
	}
	return 0;
}

/* Follows "properties" only: where mcphdr_schema_check allows the key. */
static int
mcphdr_cmp_visit(struct mcphdr_cmp *c, const json_t *node, const json_t *v,
    char *path, int depth)
{
	const json_t	*props, *sub;
	const char	*key, *name;
	size_t		 mark = strlen(path);

	if (!json_is_object(node) || depth > MCPHDR_MAX_DEPTH)
		return 0;
	if (depth > 0 && (name = json_string_value(json_object_get(node,
	    "x-mcp-header"))) != NULL &&
	    mcphdr_cmp_one(c, name, v, path) == -1)
		return -1;
	props = json_object_get(node, "properties");
	if (!json_is_object(props))
		return 0;
	json_object_foreach((json_t *)props, key, sub) {
		mcphdr_path_add(path, MCPHDR_PATH_LEN, key);
		if (mcphdr_cmp_visit(c, sub, json_is_object(v) ?
		    json_object_get(v, key) : NULL, path, depth + 1) == -1)
			return -1;
		path[mark] = '\0';
	}
	return 0;
}

int
mcphdr_params_check(const json_t *schema, const json_t *args,
    const char *(*get)(void *, const char *), void *arg, char *msg,
    size_t msglen)
{
	struct mcphdr_cmp	 c;
	char			 path[MCPHDR_PATH_LEN];

	c.get = get;
	c.arg = arg;
	c.msg = msg;
	c.msglen = msglen;
	path[0] = '\0';
	if (msglen > 0)
		msg[0] = '\0';
	return mcphdr_cmp_visit(&c, schema, args, path, 0);
}
