/*
 * test_jrpc.c -- JSON-RPC 2.0 framing: every rule of jrpc_parse, and the
 * depth bound at N and N+1.
 */
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "jrpc.h"
#include "t.h"

static int
parse(const char *s, struct jrpc_msg *m, struct jrpc_error *e)
{
	json_t	*id = NULL;
	int	 rc;

	memset(e, 0, sizeof(*e));
	rc = jrpc_parse(s, strlen(s), m, &id, e);
	json_decref(id);
	return rc;
}

static void
expect_err(const char *name, const char *s, int code)
{
	struct jrpc_msg	 m;
	struct jrpc_error e;
	int		 rc = parse(s, &m, &e);

	T_OK(rc == -1 && e.code == code, "%s -> %d (got rc %d code %d: %s)",
	    name, code, rc, e.code, e.message);
	if (rc == 0)
		jrpc_msg_clear(&m);
	jrpc_error_clear(&e);
}

static void
expect_kind(const char *name, const char *s, enum jrpc_kind k)
{
	struct jrpc_msg	 m;
	struct jrpc_error e;
	int		 rc = parse(s, &m, &e);

	T_OK(rc == 0 && m.kind == k, "%s is kind %d", name, (int)k);
	if (rc == 0)
		jrpc_msg_clear(&m);
	jrpc_error_clear(&e);
}

int
main(void)
{
	struct jrpc_msg	 m;
	struct jrpc_error e;
	json_t		*id, *resp;
	char		*dump;
	char		 big[BOUNDS_METHOD_LEN + 64];

	expect_kind("request", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
	    JRPC_REQUEST);
	expect_kind("string id", "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\"}",
	    JRPC_REQUEST);
	expect_kind("notification", "{\"jsonrpc\":\"2.0\",\"method\":\"n\"}",
	    JRPC_NOTIFICATION);
	expect_kind("response", "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
	    JRPC_RESPONSE);
	expect_kind("error response",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,\"message\":\"x\"}}",
	    JRPC_RESPONSE);

	expect_err("not JSON", "{nope", JRPC_PARSE_ERROR);
	expect_err("empty body", "", JRPC_PARSE_ERROR);
	expect_err("duplicate key",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"ping\"}",
	    JRPC_PARSE_ERROR);
	expect_err("invalid UTF-8",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\"}",
	    JRPC_PARSE_ERROR);
	expect_err("NUL escape in string",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\\u0000\"}",
	    JRPC_PARSE_ERROR);
	expect_err("batch", "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]",
	    JRPC_INVALID_REQUEST);
	expect_err("scalar", "42", JRPC_INVALID_REQUEST);
	expect_err("missing jsonrpc", "{\"id\":1,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("jsonrpc 1.0", "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("jsonrpc number", "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("method number", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}",
	    JRPC_INVALID_REQUEST);
	expect_err("id null", "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("id object", "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("id array", "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("id fractional", "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("id boolean", "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("params string",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":\"x\"}",
	    JRPC_INVALID_REQUEST);
	expect_err("method with result",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"result\":{}}",
	    JRPC_INVALID_REQUEST);
	expect_err("response with both",
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{},\"error\":{}}",
	    JRPC_INVALID_REQUEST);
	expect_err("empty object", "{}", JRPC_INVALID_REQUEST);
	expect_err("empty method", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}",
	    JRPC_INVALID_REQUEST);

	/* Method length at N and N+1. */
	snprintf(big, sizeof(big), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%0*d\"}",
	    BOUNDS_METHOD_LEN, 0);
	expect_kind("method at BOUNDS_METHOD_LEN", big, JRPC_REQUEST);
	snprintf(big, sizeof(big), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%0*d\"}",
	    BOUNDS_METHOD_LEN + 1, 0);
	expect_err("method at BOUNDS_METHOD_LEN+1", big, JRPC_INVALID_REQUEST);

	/* Depth at N and N+1 (the scanner, then the whole parse). */
	T_OK(jrpc_depth_ok("[[[]]]", 6, 3) == 0, "depth 3 within 3");
	T_OK(jrpc_depth_ok("[[[[]]]]", 8, 3) == -1, "depth 4 over 3");
	T_OK(jrpc_depth_ok("[\"[[[[\"]", 8, 2) == 0, "brackets in strings ignored");
	T_OK(jrpc_depth_ok("[\"\\\"[[[[\"]", 10, 2) == 0, "escaped quote handled");
	{
		char	*b = malloc(BOUNDS_JSON_DEPTH * 2 + 128), *p;
		int	 d;

		for (d = BOUNDS_JSON_DEPTH; d <= BOUNDS_JSON_DEPTH + 1; d++) {
			int i;

			/* outer object (1) + params object (2) + arrays */
			p = b + sprintf(b, "{\"jsonrpc\":\"2.0\",\"id\":1,"
			    "\"method\":\"x\",\"params\":{\"a\":");
			for (i = 0; i < d - 2; i++)
				*p++ = '[';
			for (i = 0; i < d - 2; i++)
				*p++ = ']';
			strcpy(p, "}}");
			if (d == BOUNDS_JSON_DEPTH)
				expect_kind("depth BOUNDS_JSON_DEPTH accepted",
				    b, JRPC_REQUEST);
			else
				expect_err("depth BOUNDS_JSON_DEPTH+1 rejected",
				    b, JRPC_PARSE_ERROR);
		}
		free(b);
	}

	/* The id survives into the error when it could be read. */
	memset(&e, 0, sizeof(e));
	id = NULL;
	{
		const char *b = "{\"jsonrpc\":\"1.0\",\"id\":7,\"method\":\"x\"}";
		int rc = jrpc_parse(b, strlen(b), &m, &id, &e);

		T_OK(rc == -1 && json_integer_value(id) == 7,
		    "readable id is returned with the error");
	}
	resp = jrpc_error_response(id, &e);
	dump = json_dumps(resp, JSON_COMPACT | JSON_SORT_KEYS);
	T_EQ_STR(dump, "{\"error\":{\"code\":-32600,\"message\":\"Invalid "
	    "Request: \\\"jsonrpc\\\" must be exactly \\\"2.0\\\"\"},\"id\":7,"
	    "\"jsonrpc\":\"2.0\"}", "error response keeps the id");
	free(dump);
	json_decref(resp);
	json_decref(id);
	jrpc_error_clear(&e);

	resp = jrpc_error_response(NULL, &(struct jrpc_error){ .code = -32700,
	    .message = "Parse error" });
	T_OK(json_object_get(resp, "id") == NULL,
	    "unreadable id: member omitted (2025-11-25)");
	json_decref(resp);
	return t_done();
}
