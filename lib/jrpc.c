/*
 * jrpc.c -- JSON-RPC 2.0 framing.  jansson does the strict parse
 * (JSON_REJECT_DUPLICATES; it already refuses invalid UTF-8 and, without
 * JSON_ALLOW_NUL, "\u0000"); we bound the depth first so a hostile body
 * cannot make the parser recurse far.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrpc.h"

/* Deeper than this, jrpc_dumps leaves the value to json_dumps. */
#define JRPC_DUMP_DEPTH	512

int
jrpc_depth_ok(const char *buf, size_t len, int max)
{
	size_t	 i;
	int	 depth = 0, instr = 0;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
			continue;
		}
		if (c == '"')
			instr = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				return -1;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return 0;
}

void
jrpc_error_set(struct jrpc_error *err, int code, json_t *data,
    const char *fmt, ...)
{
	va_list	 ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	json_decref(err->data);
	err->data = data;
}

void
jrpc_error_clear(struct jrpc_error *err)
{
	json_decref(err->data);
	err->data = NULL;
	err->code = 0;
	err->message[0] = '\0';
}

void
jrpc_msg_clear(struct jrpc_msg *msg)
{
	json_decref(msg->root);
	memset(msg, 0, sizeof(*msg));
}

/* MCP: "Request ID MUST be a string or integer" (basic/index). */
static int
jrpc_id_valid(const json_t *id)
{
	if (json_is_string(id))
		return json_string_length(id) <= BOUNDS_ID_LEN;
	if (json_is_integer(id))
		return 1;
	return 0;
}

int
jrpc_parse(const char *buf, size_t len, struct jrpc_msg *msg, json_t **id_out,
    struct jrpc_error *err)
{
	json_error_t	 jerr;
	json_t		*root, *v, *id;
	int		 has_result, has_error;

	memset(msg, 0, sizeof(*msg));
	if (id_out != NULL)
		*id_out = NULL;
	if (jrpc_depth_ok(buf, len, BOUNDS_JSON_DEPTH) == -1) {
		jrpc_error_set(err, JRPC_PARSE_ERROR, NULL,
		    "Parse error: JSON nested deeper than %d levels",
		    BOUNDS_JSON_DEPTH);
		return -1;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &jerr);
	if (root == NULL) {
		jrpc_error_set(err, JRPC_PARSE_ERROR, NULL,
		    "Parse error: %s at position %d", jerr.text,
		    jerr.position);
		return -1;
	}
	if (json_is_array(root)) {
		json_decref(root);
		jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
		    "Invalid Request: batches are not supported; send one "
		    "message per POST");
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
		    "Invalid Request: a message must be a JSON object");
		return -1;
	}

	id = json_object_get(root, "id");
	if (id != NULL && jrpc_id_valid(id) && id_out != NULL)
		*id_out = json_incref(id);

	v = json_object_get(root, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0") != 0) {
		jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
		    "Invalid Request: \"jsonrpc\" must be exactly \"2.0\"");
		goto bad;
	}
	if (id != NULL && !jrpc_id_valid(id)) {
		jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
		    "Invalid Request: \"id\" must be a string or an integer");
		goto bad;
	}

	v = json_object_get(root, "method");
	has_result = json_object_get(root, "result") != NULL;
	has_error = json_object_get(root, "error") != NULL;
	if (v != NULL) {
		if (!json_is_string(v)) {
			jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
			    "Invalid Request: \"method\" must be a string");
			goto bad;
		}
		if (json_string_length(v) == 0 ||
		    json_string_length(v) > BOUNDS_METHOD_LEN) {
			jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
			    "Invalid Request: \"method\" must be 1 to %d "
			    "characters", BOUNDS_METHOD_LEN);
			goto bad;
		}
		if (has_result || has_error) {
			jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
			    "Invalid Request: a request cannot carry "
			    "\"result\" or \"error\"");
			goto bad;
		}
		msg->params = json_object_get(root, "params");
		if (msg->params != NULL && !json_is_object(msg->params) &&
		    !json_is_array(msg->params)) {
			jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
			    "Invalid Request: \"params\" must be an object");
			goto bad;
		}
		msg->method = json_string_value(v);
		msg->kind = id != NULL ? JRPC_REQUEST : JRPC_NOTIFICATION;
	} else if (has_result != has_error && id != NULL) {
		msg->kind = JRPC_RESPONSE;
	} else {
		jrpc_error_set(err, JRPC_INVALID_REQUEST, NULL,
		    "Invalid Request: a message needs \"method\", or \"id\" "
		    "with exactly one of \"result\" and \"error\"");
		goto bad;
	}
	msg->root = root;
	msg->id = id;
	return 0;
bad:
	json_decref(root);
	return -1;
}

json_t *
jrpc_result(json_t *id, json_t *result)
{
	json_t	*o;

	if (result == NULL)
		return NULL;
	o = json_pack("{s:s}", "jsonrpc", "2.0");
	if (o == NULL) {
		json_decref(result);
		return NULL;
	}
	if (id != NULL)
		json_object_set(o, "id", id);
	json_object_set_new(o, "result", result);
	return o;
}

json_t *
jrpc_error_response(json_t *id, const struct jrpc_error *err)
{
	json_t	*o, *e;

	e = json_pack("{s:i,s:s}", "code", err->code, "message",
	    err->message);
	if (e == NULL)
		return NULL;
	if (err->data != NULL)
		json_object_set(e, "data", err->data);
	o = json_pack("{s:s,s:o}", "jsonrpc", "2.0", "error", e);
	if (o == NULL)
		return NULL;
	if (id != NULL)
		json_object_set(o, "id", id);
	return o;
}

/* A growing output buffer for jrpc_dumps; err set once anything failed. */
struct jrpc_out {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;		/* 1: out of memory or refused; 2: too deep */
};

static int
jrpc_out_grow(struct jrpc_out *o, size_t need)
{
	size_t	 cap = o->cap != 0 ? o->cap : 256;
	char	*p;

	if (o->err)
		return -1;
	if (o->len + need + 1 <= o->cap)
		return 0;
	while (cap < o->len + need + 1) {
		if (cap > SIZE_MAX / 2) {
			o->err = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(o->p, cap)) == NULL) {
		o->err = 1;
		return -1;
	}
	o->p = p;
	o->cap = cap;
	return 0;
}

static void
jrpc_out_put(struct jrpc_out *o, const char *s, size_t n)
{
	if (jrpc_out_grow(o, n) == -1)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/*
 * The length of the well-formed UTF-8 sequence at p (at most n bytes; the
 * first byte is >= 0x80), or 0: the rules of jansson's utf8_check_full
 * (no overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
jrpc_utf8_len(const unsigned char *p, size_t n)
{
	uint32_t	 c;
	size_t		 len, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		c = p[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/* A JSON string literal, escaped as jansson escapes it. */
static void
jrpc_out_str(struct jrpc_out *o, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t		 i = 0, run, u;
	char		 esc[6];

	/* Room for the bytes as they are; an escape asks for more. */
	if (n > SIZE_MAX - 8 || jrpc_out_grow(o, n + 2) == -1) {
		o->err = 1;
		return;
	}
	o->p[o->len++] = '"';
	while (i < n) {
		run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\')
			run++;
		memcpy(o->p + o->len, s + i, run - i);
		o->len += run - i;
		if ((i = run) == n)
			break;
		if (s[i] >= 0x80) {
			if ((u = jrpc_utf8_len(s + i, n - i)) == 0) {
				o->err = 1;
				return;
			}
			memcpy(o->p + o->len, s + i, u);
			o->len += u;
			i += u;
			continue;
		}
		/* At most 6 bytes for this one, the rest as they are. */
		if (jrpc_out_grow(o, 6 + (n - i) + 1) == -1)
			return;
		esc[0] = '\\';
		switch (s[i]) {
		case '"':
		case '\\':
			esc[1] = (char)s[i];
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[1] = 'u';
			esc[2] = '0';
			esc[3] = '0';
			esc[4] = hex[s[i] >> 4];
			esc[5] = hex[s[i] & 0xf];
			memcpy(o->p + o->len, esc, 6);
			o->len += 6;
			i++;
			continue;
		}
		memcpy(o->p + o->len, esc, 2);
		o->len += 2;
		i++;
	}
	o->p[o->len++] = '"';
}

static void
jrpc_out_value(struct jrpc_out *o, const json_t *v, int depth)
{
	char		 num[32], *s;
	const char	*key;
	size_t		 i, n;
	void		*it;
	int		 first;

	if (o->err)
		return;
	if (depth > JRPC_DUMP_DEPTH) {
		o->err = 2;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jrpc_out_put(o, "{", 1);
		first = 1;
		for (it = json_object_iter((json_t *)v); it != NULL && !o->err;
		    it = json_object_iter_next((json_t *)v, it)) {
			if (!first)
				jrpc_out_put(o, ",", 1);
			first = 0;
			key = json_object_iter_key(it);
			jrpc_out_str(o, key, json_object_iter_key_len(it));
			jrpc_out_put(o, ":", 1);
			jrpc_out_value(o, json_object_iter_value(it),
			    depth + 1);
		}
		jrpc_out_put(o, "}", 1);
		break;
	case JSON_ARRAY:
		jrpc_out_put(o, "[", 1);
		n = json_array_size(v);
		for (i = 0; i < n && !o->err; i++) {
			if (i > 0)
				jrpc_out_put(o, ",", 1);
			jrpc_out_value(o, json_array_get(v, i), depth + 1);
		}
		jrpc_out_put(o, "]", 1);
		break;
	case JSON_STRING:
		jrpc_out_str(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		jrpc_out_put(o, num, n);
		break;
	case JSON_REAL:
		/* Rare on the request path: jansson's own formatting. */
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL) {
			o->err = 1;
			return;
		}
		jrpc_out_put(o, s, strlen(s));
		free(s);
		break;
	case JSON_TRUE:
		jrpc_out_put(o, "true", 4);
		break;
	case JSON_FALSE:
		jrpc_out_put(o, "false", 5);
		break;
	case JSON_NULL:
		jrpc_out_put(o, "null", 4);
		break;
	default:
		o->err = 1;
		break;
	}
}

char *
jrpc_dumps(const json_t *v, size_t *len)
{
	struct jrpc_out	 o;
	char		*s;

	if (len != NULL)
		*len = 0;
	if (v == NULL)
		return NULL;
	memset(&o, 0, sizeof(o));
	jrpc_out_value(&o, v, 0);
	if (o.err == 2) {
		/* Too deep for us; json_dumps decides (cycles included). */
		free(o.p);
		if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) !=
		    NULL && len != NULL)
			*len = strlen(s);
		return s;
	}
	if (o.err || jrpc_out_grow(&o, 0) == -1) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = '\0';
	if (len != NULL)
		*len = o.len;
	return o.p;
}
