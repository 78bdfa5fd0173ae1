/*
 * schemacheck.c -- validates captured mcpgate responses against the
 * official MCP schema of the revision each was sent in, with mcpgate's own
 * validator (lib/schema.h).  The end-to-end tests capture every JSON
 * response body (tests/e2e/lib.sh e2e_req, tests/e2e/node/checks.mjs) as
 * one JSON line:
 *
 *	{"rev": "2026-07-28", "method": "tools/list", "status": 200,
 *	 "path": "/mcp", "body": "<the response body, as text>"}
 *
 *	schemacheck SCHEMA_DIR FILE...
 *
 * SCHEMA_DIR holds <revision>/schema.json.  Which definition a body must
 * satisfy:
 *
 *   revision  rev, the MCP-Protocol-Version the request carried; none means
 *             2025-03-26 (the transport's rule); an initialize result is
 *             checked in the revision it negotiated; a revision mcpgate
 *             does not speak is checked against 2026-07-28, whose
 *             UnsupportedProtocolVersionError is the answer it must get.
 *   results   2026-07-28: the method's <Method>ResultResponse
 *             (DiscoverResultResponse, ListToolsResultResponse,
 *             CallToolResultResponse), else JSONRPCResultResponse.
 *             Earlier: the envelope (JSONRPCResultResponse, or
 *             JSONRPCResponse before 2025-11-25) and the method's result
 *             (InitializeResult, ListToolsResult, CallToolResult,
 *             EmptyResult for ping).
 *   errors    2026-07-28: HeaderMismatchError (-32020),
 *             MissingRequiredClientCapabilityError (-32021) and
 *             UnsupportedProtocolVersionError (-32022) as responses, else
 *             JSONRPCErrorResponse plus the error object's own definition
 *             for the JSON-RPC codes (ParseError, InvalidRequestError,
 *             MethodNotFoundError, InvalidParamsError, InternalError).
 *             2025-11-25: JSONRPCErrorResponse.  2025-03-26 and 2025-06-18:
 *             JSONRPCError, which requires an id.  An error sent before
 *             the id could be read (401, 406, 413, a parse error) has none:
 *             JSON-RPC 2.0 §5 would send "id": null, which those
 *             revisions forbid for ids, and 2025-11-25 made the member
 *             optional for exactly this case.  Such an error is checked
 *             as {jsonrpc, error} with nothing else, "jsonrpc": "2.0", and
 *             its error object against the revision's
 *             JSONRPCError/properties/error.
 *
 * Bodies of paths under /.well-known/ (RFC 9728 metadata) are not JSON-RPC
 * and are skipped.  Prints one "# " line per invalid body and a summary;
 * exits 0 when every body is valid, 1 when one is not, 2 on a usage or
 * I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "schema.h"

static const char *const revs[] = {
	"2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"
};
#define NREVS	(sizeof(revs) / sizeof(revs[0]))
#define MODERN	3

static struct schema	*compiled[NREVS];
static int		 counts[NREVS];

static int
rev_index(const char *rev)
{
	size_t	 i;

	for (i = 0; i < NREVS; i++)
		if (strcmp(rev, revs[i]) == 0)
			return (int)i;
	return -1;
}

static struct schema *
load(const char *dir, int i)
{
	char		 path[1024], err[256];
	json_error_t	 je;
	json_t		*doc;

	if (compiled[i] != NULL)
		return compiled[i];
	snprintf(path, sizeof(path), "%s/%s/schema.json", dir, revs[i]);
	if ((doc = json_load_file(path, 0, &je)) == NULL) {
		fprintf(stderr, "schemacheck: %s: %s\n", path, je.text);
		exit(2);
	}
	compiled[i] = schema_compile(doc, err, sizeof(err));
	json_decref(doc);
	if (compiled[i] == NULL) {
		fprintf(stderr, "schemacheck: %s: %s\n", path, err);
		exit(2);
	}
	return compiled[i];
}

/* Validates v at #/<defs>/<ref>; prints why not.  Returns 0 or -1. */
static int
check(struct schema *s, int ri, const char *ref, const json_t *v,
    const char *where)
{
	struct schema_report	 rep;
	char			 ptr[256];
	int			 rc;

	snprintf(ptr, sizeof(ptr), "#/%s/%s", ri < 2 ? "definitions" : "$defs",
	    ref);
	rc = schema_validate_ref(s, ptr, v, &rep);
	if (rc == 0)
		return 0;
	printf("# %s: not a valid %s %s: %s: %s%s\n", where, revs[ri], ref,
	    rep.err[0].path[0] != '\0' ? rep.err[0].path : "/",
	    rep.err[0].message, rep.ntotal > 1 ? " (and more)" : "");
	return -1;
}

static const char *
result_def(const char *method)
{
	if (strcmp(method, "initialize") == 0)
		return "InitializeResult";
	if (strcmp(method, "tools/list") == 0)
		return "ListToolsResult";
	if (strcmp(method, "tools/call") == 0)
		return "CallToolResult";
	if (strcmp(method, "ping") == 0)
		return "EmptyResult";
	return NULL;
}

static int
check_error(struct schema *s, int ri, const json_t *body, const char *where)
{
	const json_t	*e = json_object_get(body, "error");
	json_int_t	 code = json_integer_value(json_object_get(e, "code"));
	const char	*key, *obj = NULL;
	json_t		*v;
	int		 rc = 0;

	if (ri == MODERN) {
		if (code == -32020)
			return check(s, ri, "HeaderMismatchError", body, where);
		if (code == -32021)
			return check(s, ri,
			    "MissingRequiredClientCapabilityError", body, where);
		if (code == -32022)
			return check(s, ri, "UnsupportedProtocolVersionError",
			    body, where);
		switch (code) {
		case -32700: obj = "ParseError"; break;
		case -32600: obj = "InvalidRequestError"; break;
		case -32601: obj = "MethodNotFoundError"; break;
		case -32602: obj = "InvalidParamsError"; break;
		case -32603: obj = "InternalError"; break;
		}
		rc = check(s, ri, "JSONRPCErrorResponse", body, where);
		if (rc == 0 && obj != NULL)
			rc = check(s, ri, obj, e, where);
		return rc;
	}
	if (ri == 2)
		return check(s, ri, "JSONRPCErrorResponse", body, where);
	if (json_object_get(body, "id") != NULL)
		return check(s, ri, "JSONRPCError", body, where);
	/* No id: see the comment at the top. */
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "jsonrpc") != 0 && strcmp(key, "error") != 0) {
			printf("# %s: an error without id has a member \"%s\"\n",
			    where, key);
			return -1;
		}
	}
	if (!json_is_string(json_object_get(body, "jsonrpc")) ||
	    strcmp(json_string_value(json_object_get(body, "jsonrpc")),
	    "2.0") != 0) {
		printf("# %s: \"jsonrpc\" is not \"2.0\"\n", where);
		return -1;
	}
	return check(s, ri, "JSONRPCError/properties/error", e, where);
}

static int
check_result(struct schema *s, int ri, const char *method, const json_t *body,
    const char *where)
{
	const char	*def;

	if (ri == MODERN) {
		if (strcmp(method, "server/discover") == 0)
			return check(s, ri, "DiscoverResultResponse", body,
			    where);
		if (strcmp(method, "tools/list") == 0)
			return check(s, ri, "ListToolsResultResponse", body,
			    where);
		if (strcmp(method, "tools/call") == 0)
			return check(s, ri, "CallToolResultResponse", body,
			    where);
		return check(s, ri, "JSONRPCResultResponse", body, where);
	}
	if (check(s, ri, ri == 2 ? "JSONRPCResultResponse" :
	    "JSONRPCResponse", body, where) == -1)
		return -1;
	if ((def = result_def(method)) == NULL)
		return 0;
	return check(s, ri, def, json_object_get(body, "result"), where);
}

/* One captured line.  Returns 0 valid, 1 skipped, -1 invalid. */
static int
check_line(const char *dir, const char *line, const char *where)
{
	json_error_t	 je;
	json_t		*rec, *body = NULL;
	const char	*rev, *method, *path, *text, *pv;
	char		 w[1024];
	int		 ri, rc = -1;

	if ((rec = json_loads(line, 0, &je)) == NULL) {
		printf("# %s: not a capture record: %s\n", where, je.text);
		return -1;
	}
	rev = json_string_value(json_object_get(rec, "rev"));
	method = json_string_value(json_object_get(rec, "method"));
	path = json_string_value(json_object_get(rec, "path"));
	text = json_string_value(json_object_get(rec, "body"));
	if (rev == NULL || rev[0] == '\0')
		rev = "2025-03-26";
	if (method == NULL)
		method = "";
	if (path != NULL && strstr(path, "/.well-known/") != NULL) {
		json_decref(rec);
		return 1;
	}
	snprintf(w, sizeof(w), "%s: %s %s (HTTP %lld)", where,
	    rev_index(rev) >= 0 ? rev : "unsupported version", method[0] ?
	    method : "-", json_integer_value(json_object_get(rec, "status")));
	if (text == NULL || (body = json_loads(text, JSON_DECODE_ANY, &je)) ==
	    NULL || !json_is_object(body)) {
		printf("# %s: the body is not a JSON object: %.200s\n", w,
		    text != NULL ? text : "(none)");
		goto out;
	}
	if ((ri = rev_index(rev)) == -1)
		ri = MODERN;
	if (ri != MODERN && strcmp(method, "initialize") == 0 &&
	    (pv = json_string_value(json_object_get(json_object_get(body,
	    "result"), "protocolVersion"))) != NULL && rev_index(pv) >= 0 &&
	    rev_index(pv) != MODERN)
		ri = rev_index(pv);
	counts[ri]++;
	if (json_object_get(body, "error") != NULL)
		rc = check_error(load(dir, ri), ri, body, w);
	else if (json_object_get(body, "result") != NULL)
		rc = check_result(load(dir, ri), ri, method, body, w);
	else
		printf("# %s: neither \"result\" nor \"error\": %.200s\n", w,
		    text);
out:
	json_decref(body);
	json_decref(rec);
	return rc;
}

int
main(int argc, char *argv[])
{
	FILE	*f;
	char	*line = NULL, where[512];
	size_t	 cap = 0, i;
	ssize_t	 n;
	long	 lineno;
	int	 a, total = 0, bad = 0, skipped = 0, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: schemacheck SCHEMA_DIR FILE...\n");
		return 2;
	}
	for (a = 2; a < argc; a++) {
		if ((f = fopen(argv[a], "r")) == NULL) {
			perror(argv[a]);
			return 2;
		}
		lineno = 0;
		while ((n = getline(&line, &cap, f)) > 0) {
			lineno++;
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			if (line[0] == '\0')
				continue;
			snprintf(where, sizeof(where), "%s:%ld", argv[a],
			    lineno);
			rc = check_line(argv[1], line, where);
			if (rc == 1)
				skipped++;
			else {
				total++;
				bad += rc == -1;
			}
		}
		fclose(f);
	}
	free(line);
	printf("# %d responses checked (", total);
	for (i = 0; i < NREVS; i++)
		printf("%s%s: %d", i ? ", " : "", revs[i], counts[i]);
	printf("), %d skipped (not JSON-RPC), %d invalid\n", skipped, bad);
	for (i = 0; i < NREVS; i++)
		schema_free(compiled[i]);
	return bad > 0 ? 1 : 0;
}
