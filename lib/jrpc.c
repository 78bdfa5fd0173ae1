/*
 * jrpc.c -- JSON-RPC 2.0 framing.  jansson does the strict parse
 * (JSON_REJECT_DUPLICATES; it already refuses invalid UTF-8 and, without
 * JSON_ALLOW_NUL, "\u0000"); we bound the depth first so a hostile body
 * cannot make the parser recurse far.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jrpc.h"

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
