/*
 * test_endpoint.c -- the Streamable HTTP rules, status code by status
 * code, driven in-process through endpoint_handle() with a CGI environment
 * (the e2e suite repeats them through real web servers).
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
#include "t.h"

static char	 dir[] = "/tmp/mcpgate-test-endpoint.XXXXXX";
static char	 sid[256];

struct call {
	int		 status;
	char		*body;
	char		 hdrs[2048];
};

static void
call_free(struct call *c)
{
	free(c->body);
	memset(c, 0, sizeof(*c));
}

/*
 * Sends one request.  extra is a NULL-terminated list of "NAME=value" CGI
 * variables that replace or add to the defaults.
 */
static void
send_req(struct endpoint *ep, const char *method, const char *uri,
    const char *body, long bodylen, int too_large, int shortb,
    struct call *out, ...)
{
	char		*env[40], cl[64];
	const char	*defaults[] = {
		"GATEWAY_INTERFACE=CGI/1.1", "SERVER_ADDR=127.0.0.1",
		"HTTP_HOST=127.0.0.1:8080", "CONTENT_TYPE=application/json",
		"HTTP_ACCEPT=application/json, text/event-stream",
		"HTTP_MCP_PROTOCOL_VERSION=2025-11-25", NULL
	};
	struct http_req	 req;
	struct http_resp resp;
	va_list		 ap;
	const char	*x;
	size_t		 n = 0, i, k;
	char		 m[64], u[600], s[300];

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[n++] = m;
	env[n++] = u;
	va_start(ap, out);
	while ((x = va_arg(ap, const char *)) != NULL && n < 30)
		env[n++] = (char *)x;
	va_end(ap);
	/* Defaults only where the caller did not set the same name. */
	for (i = 0; defaults[i] != NULL; i++) {
		size_t nl = strcspn(defaults[i], "=");
		int found = 0;

		for (k = 0; k < n; k++)
			if (strncmp(env[k], defaults[i], nl + 1) == 0)
				found = 1;
		if (!found)
			env[n++] = (char *)defaults[i];
	}
	if (sid[0] != '\0') {
		int found = 0;

		for (k = 0; k < n; k++)
			if (strncmp(env[k], "HTTP_MCP_SESSION_ID=", 20) == 0)
				found = 1;
		if (!found) {
			snprintf(s, sizeof(s), "HTTP_MCP_SESSION_ID=%s", sid);
			env[n++] = s;
		}
	}
	if (body != NULL) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%ld",
		    bodylen >= 0 ? bodylen : (long)strlen(body));
		env[n++] = cl;
	}
	env[n] = NULL;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.env = env;
	req.body = body;
	req.bodylen = body ? strlen(body) : 0;
	req.body_too_large = too_large;
	req.body_short = shortb;
	endpoint_handle(ep, &req, &resp);
	memset(out, 0, sizeof(*out));
	out->status = resp.status;
	if (resp.body != NULL)
		out->body = strndup(resp.body, resp.bodylen);
	for (i = 0; i < resp.nhdr; i++) {
		size_t l = strlen(out->hdrs);

		snprintf(out->hdrs + l, sizeof(out->hdrs) - l, "%s: %s\n",
		    resp.hdr[i].name, resp.hdr[i].value);
	}
	http_resp_reset(&resp);
}

#define POST(ep, body, out, ...) \
	send_req(ep, "POST", "/mcp", body, -1, 0, 0, out, ##__VA_ARGS__, NULL)

static const char *
hdr(struct call *c, const char *name, char *buf, size_t len)
{
	char	*p = strcasestr(c->hdrs, name);
	size_t	 n;

	if (p == NULL)
		return NULL;
	p += strlen(name) + 2;
	n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

static int
has(struct call *c, const char *needle)
{
	return c->body != NULL && strstr(c->body, needle) != NULL;
}

static void
write_file(const char *path, const char *s)
{
	FILE	*f = fopen(path, "w");

	fputs(s, f);
	fclose(f);
}

static int
count_rows(const char *db, const char *sql)
{
	sqlite3		*h;
	sqlite3_stmt	*st;
	int		 n = -1;

	if (sqlite3_open(db, &h) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

#define INIT_BODY \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":" \
    "{\"protocolVersion\":\"%s\",\"capabilities\":{},\"clientInfo\":" \
    "{\"name\":\"unit\",\"version\":\"1\"}}}"

int
main(void)
{
	struct config	*cfg;
	struct endpoint	*ep;
	struct call	 c;
	char		 path[512], db[512], err[BOUNDS_ERRMSG_LEN], buf[256];
	char		 body[1024], *big;
	sqlite3		*h;
	int		 i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/t.db", dir);
	sqlite3_open(db, &h);
	sqlite3_exec(h, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);"
	    "INSERT INTO t (v) VALUES ('a'), ('b'), ('c');", NULL, NULL, NULL);
	sqlite3_close(h);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	write_file(path,
	    "{\"auth\":{\"mode\":\"none\"},"
	    "\"server\":{\"name\":\"unit\",\"page_size\":2,\"max_body_bytes\":2048,"
	    "\"allowed_origins\":[\"http://127.0.0.1:8080\"]},"
	    "\"databases\":{\"t\":{\"path\":\"t.db\"}},"
	    "\"tools\":["
	    "{\"name\":\"rows\",\"kind\":\"sql\",\"database\":\"t\",\"sql\":"
	    "\"SELECT id, v FROM t ORDER BY id\",\"annotations\":{\"readOnlyHint\":true}},"
	    "{\"name\":\"add\",\"kind\":\"sql\",\"database\":\"t\",\"sql\":"
	    "\"INSERT INTO t (v) VALUES (:v)\",\"result\":\"exec\","
	    "\"input_schema\":{\"type\":\"object\",\"properties\":{\"v\":{\"type\":\"string\"}},"
	    "\"required\":[\"v\"]}},"
	    "{\"name\":\"hello\",\"kind\":\"static\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
	    "{\"name\":\"oops\",\"kind\":\"static\",\"is_error\":true,\"content\":[{\"type\":\"text\",\"text\":\"no\"}]},"
	    "{\"name\":\"five\",\"kind\":\"static\",\"content\":[{\"type\":\"text\",\"text\":\"5\"}]}"
	    "]}");
	cfg = config_load(path, CONFIG_VERIFY, err, sizeof(err));
	T_OK(cfg != NULL, "test config loads (%s)", cfg ? "ok" : err);
	if (cfg == NULL)
		return t_done();
	ep = endpoint_new(cfg, err, sizeof(err));
	T_OK(ep != NULL, "endpoint builds (%s)", ep ? "ok" : err);
	if (ep == NULL)
		return t_done();

	/* Lifecycle and version negotiation. */
	snprintf(body, sizeof(body), INIT_BODY, "2025-06-18");
	POST(ep, body, &c);
	T_EQ_INT(c.status, 200, "initialize -> 200");
	T_OK(has(&c, "\"protocolVersion\":\"2025-06-18\""),
	    "2025-06-18 is echoed");
	T_OK(hdr(&c, "Mcp-Session-Id", buf, sizeof(buf)) != NULL &&
	    strlen(buf) == 64, "initialize issues a 256-bit session id");
	snprintf(sid, sizeof(sid), "%s", buf);
	T_OK(hdr(&c, "X-Request-Id", buf, sizeof(buf)) != NULL,
	    "every response carries X-Request-Id");
	call_free(&c);
	snprintf(body, sizeof(body), INIT_BODY, "2024-01-01");
	POST(ep, body, &c);
	T_OK(c.status == 200 && has(&c, "\"protocolVersion\":\"2025-11-25\""),
	    "unknown version -> our latest");
	call_free(&c);
	snprintf(body, sizeof(body), INIT_BODY, "2025-03-26");
	POST(ep, body, &c);
	T_OK(has(&c, "\"protocolVersion\":\"2025-03-26\""), "2025-03-26 echoed");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}",
	    &c);
	T_OK(c.status == 200 && has(&c, "-32602"),
	    "initialize without protocolVersion -> -32602");
	call_free(&c);

	POST(ep, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", &c);
	T_OK(c.status == 202 && c.body == NULL, "notification -> 202, no body");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}", &c);
	T_OK(c.status == 202 && c.body == NULL, "client response -> 202");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":\"p\",\"method\":\"ping\"}", &c);
	T_OK(c.status == 200 && has(&c, "\"id\":\"p\",\"result\":{}"),
	    "ping -> empty result");
	call_free(&c);

	/* JSON-RPC errors. */
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}", &c);
	T_OK(c.status == 200 && has(&c, "-32601"), "unknown method -> -32601");
	call_free(&c);
	POST(ep, "{bad", &c);
	T_OK(c.status == 400 && has(&c, "-32700"), "bad JSON -> 400 -32700");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", &c);
	T_OK(c.status == 400 && has(&c, "-32600"), "null id -> 400 -32600");
	call_free(&c);

	/* tools/list pagination. */
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}", &c);
	T_OK(c.status == 200 && has(&c, "\"name\":\"rows\"") &&
	    has(&c, "\"name\":\"add\"") && !has(&c, "\"name\":\"hello\"") &&
	    has(&c, "nextCursor"), "page 1 has 2 tools and a cursor");
	{
		char *p = c.body ? strstr(c.body, "\"nextCursor\":\"") : NULL;
		char cur[80];

		if (p == NULL)
			p = "\"nextCursor\":\"x\"";
		snprintf(cur, sizeof(cur), "%.*s", (int)strcspn(p + 14, "\""),
		    p + 14);
		call_free(&c);
		snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":4,"
		    "\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
		    cur);
		POST(ep, body, &c);
		T_OK(has(&c, "\"name\":\"hello\"") && has(&c, "\"name\":\"oops\"")
		    && has(&c, "nextCursor"), "page 2 follows the cursor");
		call_free(&c);
		cur[strlen(cur) - 1] ^= 1;
		snprintf(body, sizeof(body), "{\"jsonrpc\":\"2.0\",\"id\":4,"
		    "\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
		    cur);
		POST(ep, body, &c);
		T_OK(has(&c, "-32602"), "tampered cursor -> -32602");
		call_free(&c);
	}
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\","
	    "\"params\":{\"cursor\":\"zzz\"}}", &c);
	T_OK(has(&c, "-32602"), "garbage cursor -> -32602");
	call_free(&c);

	/* tools/call */
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"rows\"}}", &c);
	T_OK(has(&c, "\"structuredContent\":{\"rows\":[{\"id\":1,\"v\":\"a\"}"),
	    "sql tool returns rows as structuredContent");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"hello\"}}", &c);
	T_OK(has(&c, "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]"),
	    "static tool returns its content");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"oops\"}}", &c);
	T_OK(has(&c, "\"isError\":true"), "static error tool -> isError");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"missing\"}}", &c);
	T_OK(c.status == 200 && has(&c, "-32602") && has(&c, "Unknown tool"),
	    "unknown tool -> -32602");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"add\",\"arguments\":[]}}", &c);
	T_OK(has(&c, "-32602"), "non-object arguments -> -32602");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"add\",\"arguments\":{\"v\":\"d\"}}}", &c);
	T_OK(has(&c, "\"changes\":1") && count_rows(db,
	    "SELECT count(*) FROM t") == 4, "write tool inserts one row");
	call_free(&c);

	/* Body bounds: N accepted, N+1 refused with nothing executed. */
	big = malloc(4096);
	for (i = 2047; i <= 2049; i += 2) {
		int before = count_rows(db, "SELECT count(*) FROM t"), pad;

		pad = i - (int)strlen("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":"
		    "\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":"
		    "{\"v\":\"\"}}}");
		snprintf(big, 4096, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":"
		    "\"tools/call\",\"params\":{\"name\":\"add\",\"arguments\":"
		    "{\"v\":\"%0*d\"}}}", pad, 0);
		/* The front end flags over-limit bodies; simulate it. */
		send_req(ep, "POST", "/mcp", big, -1, strlen(big) > 2048, 0,
		    &c, NULL);
		if (strlen(big) <= 2048)
			T_OK(c.status == 200 && count_rows(db,
			    "SELECT count(*) FROM t") == before + 1,
			    "body of %zu bytes (limit 2048) executes",
			    strlen(big));
		else
			T_OK(c.status == 413 && count_rows(db,
			    "SELECT count(*) FROM t") == before,
			    "body of %zu bytes (limit 2048) -> 413, nothing "
			    "executed", strlen(big));
		call_free(&c);
	}
	free(big);
	send_req(ep, "POST", "/mcp", "{}", 10, 0, 1, &c, NULL);
	T_EQ_INT(c.status, 400, "body shorter than Content-Length -> 400");
	call_free(&c);

	/* Header rules. */
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ACCEPT=application/json");
	T_EQ_INT(c.status, 406, "Accept without text/event-stream -> 406");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ACCEPT=text/html");
	T_EQ_INT(c.status, 406, "Accept text/html -> 406");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ACCEPT=application/json;q=0, text/event-stream");
	T_EQ_INT(c.status, 406, "Accept with q=0 for JSON -> 406");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ACCEPT=*/*");
	T_EQ_INT(c.status, 200, "Accept */* -> 200");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "CONTENT_TYPE=text/plain");
	T_EQ_INT(c.status, 415, "Content-Type text/plain -> 415");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "CONTENT_TYPE=application/json; charset=utf-8");
	T_EQ_INT(c.status, 200, "application/json; charset=utf-8 -> 200");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_MCP_PROTOCOL_VERSION=1999-01-01");
	T_EQ_INT(c.status, 400, "unsupported MCP-Protocol-Version -> 400");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ORIGIN=http://evil.example");
	T_EQ_INT(c.status, 403, "foreign Origin -> 403");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_ORIGIN=http://127.0.0.1:8080");
	T_EQ_INT(c.status, 200, "allowed Origin -> 200");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_HOST=evil.example");
	T_EQ_INT(c.status, 403, "foreign Host on loopback -> 403");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_HOST=localhost:9999");
	T_EQ_INT(c.status, 200, "Host localhost with a port -> 200");
	call_free(&c);
	send_req(ep, "GET", "/mcp", NULL, -1, 0, 0, &c, NULL);
	T_OK(c.status == 405 && hdr(&c, "Allow", buf, sizeof(buf)) != NULL &&
	    strstr(buf, "POST") != NULL, "GET -> 405 with Allow");
	call_free(&c);
	send_req(ep, "PUT", "/mcp", NULL, -1, 0, 0, &c, NULL);
	T_EQ_INT(c.status, 405, "PUT -> 405");
	call_free(&c);
	send_req(ep, "POST", "/other", "{}", -1, 0, 0, &c, NULL);
	T_EQ_INT(c.status, 404, "other path -> 404");
	call_free(&c);

	/* Sessions. */
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_MCP_SESSION_ID=");
	T_EQ_INT(c.status, 400, "no session id -> 400");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_MCP_SESSION_ID=0000000000000000000000000000000000000000000000000000000000000000");
	T_EQ_INT(c.status, 404, "unknown session id -> 404");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c,
	    "HTTP_MCP_SESSION_ID=../../etc");
	T_EQ_INT(c.status, 404, "malformed session id -> 404");
	call_free(&c);
	send_req(ep, "DELETE", "/mcp", NULL, -1, 0, 0, &c, NULL);
	T_EQ_INT(c.status, 204, "DELETE ends the session");
	call_free(&c);
	POST(ep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", &c);
	T_EQ_INT(c.status, 404, "ended session -> 404");
	call_free(&c);
	send_req(ep, "DELETE", "/mcp", NULL, -1, 0, 0, &c, NULL);
	T_EQ_INT(c.status, 404, "DELETE again -> 404");
	call_free(&c);

	endpoint_free(ep);
	config_free(cfg);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
