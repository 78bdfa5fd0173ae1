/*
 * test_hotpath.c -- the request path's shortcuts (issue 9) give exactly
 * what the long way gives: jrpc_dumps against json_dumps byte for byte,
 * the statements a store keeps for apikey and auth (a revocation still
 * counts from the next request, in every process), the rate limit's two
 * buckets in one transaction, and the tools/list cache against a freshly
 * built list, per visibility set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <jansson.h>

#include "apikey.h"
#include "authres.h"
#include "config.h"
#include "jrpc.h"
#include "mcp.h"
#include "store.h"
#include "t.h"

#define NOW	1800000000
#define SEC	1000000LL

/* 1 if jrpc_dumps(v) is json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY). */
static int
same_dump(const json_t *v, const char *what)
{
	char	*a, *b;
	size_t	 alen = 0;
	int	 ok;

	a = jrpc_dumps(v, &alen);
	b = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	ok = (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0 && alen == strlen(b));
	if (!ok)
		printf("# %s:\n#   jrpc_dumps %s\n#   json_dumps %s\n", what,
		    a ? a : "(null)", b ? b : "(null)");
	free(a);
	free(b);
	return ok;
}

static void
test_dumps(void)
{
	static const char *const docs[] = {
		"{}", "[]", "{\"a\":[]}", "[{},{}]",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":"
		    "[{\"type\":\"text\",\"text\":\"{\\\"a\\\":1}\"}]}}",
		"[0,-1,9223372036854775807,-9223372036854775808]",
		"[1.5,0.1,-2.5e-300,1e300,3.0,100000000000000000000.0,"
		    "0.30000000000000004]",
		"[true,false,null,\"\",\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
		"{\"k\\\"ey\":\"v\\\\al\",\"\\u001f\":\"\\b\\f\\n\\r\\t/\"}",
		"{\"z\":1,\"a\":2,\"m\":{\"y\":[1,{\"b\":null}],\"c\":3}}",
		NULL
	};
	json_t		*v, *deep, *cur, *nx;
	json_error_t	 jerr;
	char		 all[128], label[64];
	size_t		 i;
	int		 ok;

	for (i = 0; docs[i] != NULL; i++) {
		v = json_loads(docs[i], JSON_DECODE_ANY, &jerr);
		T_OK(v != NULL && same_dump(v, docs[i]),
		    "jrpc_dumps = json_dumps: document %zu", i);
		json_decref(v);
	}
	/* Every byte below 0x80 (with NUL) alone and in a run. */
	for (i = 0, ok = 1; i < 128; i++) {
		all[i] = (char)i;
		v = json_stringn(all + i, 1);
		snprintf(label, sizeof(label), "byte 0x%02zx", i);
		ok &= v != NULL && same_dump(v, label);
		json_decref(v);
	}
	T_OK(ok, "jrpc_dumps = json_dumps: every ASCII byte, escaped alike");
	v = json_stringn(all, sizeof(all));
	T_OK(v != NULL && same_dump(v, "all ASCII"),
	    "jrpc_dumps = json_dumps: all ASCII bytes in one string");
	json_decref(v);
	/* Not UTF-8 (overlong, surrogate, truncated, too big): both refuse. */
	v = json_pack("[s]", "ok");
	json_array_append_new(v, json_stringn_nocheck("\xc0\xaf", 2));
	T_OK(jrpc_dumps(v, NULL) == NULL && same_dump(v, "overlong"),
	    "jrpc_dumps refuses an overlong form, as json_dumps does");
	json_decref(v);
	v = json_stringn_nocheck("a\xed\xa0\x80", 4);
	T_OK(same_dump(v, "surrogate"), "a UTF-8 surrogate: both refuse");
	json_decref(v);
	v = json_stringn_nocheck("\xe2\x82", 2);
	T_OK(same_dump(v, "truncated"), "a cut sequence: both refuse");
	json_decref(v);
	v = json_stringn_nocheck("\xf4\x90\x80\x80", 4);
	T_OK(same_dump(v, "above U+10FFFF"), "above U+10FFFF: both refuse");
	json_decref(v);
	/* Deeper than jrpc_dumps walks: json_dumps's answer. */
	deep = cur = json_array();
	for (i = 0; i < 600; i++) {
		nx = json_array();
		json_array_append_new(cur, nx);
		cur = nx;
	}
	T_OK(same_dump(deep, "600 deep"), "600 levels deep: the same");
	json_decref(deep);
	/* A long string with escapes spread through it. */
	v = json_string("");
	{
		char	*big = malloc(100001);
		size_t	 j;

		for (j = 0; big != NULL && j < 100000; j++)
			big[j] = j % 97 == 0 ? '"' : j % 89 == 0 ? '\n' :
			    (char)('a' + j % 26);
		if (big != NULL) {
			big[100000] = '\0';
			json_string_set(v, big);
		}
		free(big);
	}
	T_OK(same_dump(v, "long"), "a 100 kB string with escapes: the same");
	json_decref(v);
}

static sqlite3_int64
last_used_of(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;
	sqlite3_int64	 v = -1;

	if (sqlite3_prepare_v2(db, "SELECT last_used FROM api_keys WHERE "
	    "id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_store_stmts(const char *dir)
{
	static const char sql[] = "SELECT count(*) FROM api_keys";
	char			 path[600], err[512], key[APIKEY_LEN + 1];
	char			 id[APIKEY_ID_LEN + 1];
	struct apikey_info	 info;
	struct store		*a, *b;
	sqlite3			*raw;
	sqlite3_stmt		*s1, *s2, *s3;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	if ((a = store_open(path, err, sizeof(err))) == NULL ||
	    (b = store_open(path, err, sizeof(err))) == NULL) {
		T_OK(0, "store_open: %s", err);
		return;
	}
	/* a and b: two worker processes on one state database. */
	s1 = store_stmt_get(store_db(a), sql);
	T_OK(s1 != NULL, "store_stmt_get prepares");
	store_stmt_put(store_db(a), s1);
	s2 = store_stmt_get(store_db(a), sql);
	T_OK(s2 == s1, "store_stmt_get: the same statement the next time");
	T_EQ_INT(sqlite3_step(s2), SQLITE_ROW, "step it (now in use)");
	s3 = store_stmt_get(store_db(a), sql);
	T_OK(s3 != NULL && s3 != s2, "store_stmt_get: in use, so a fresh one");
	store_stmt_put(store_db(a), s3);
	store_stmt_put(store_db(a), s2);
	T_OK(store_stmt_get(store_db(a), "SELECT nonsense FROM nowhere") ==
	    NULL, "store_stmt_get: a prepare error is NULL");

	T_EQ_INT(apikey_store_create(store_db(a), "hot", "x:read", NOW, 0,
	    key), 0, "create a key");
	T_EQ_INT(apikey_parse(key, APIKEY_LEN, id), 0, "it parses");
	T_EQ_INT(apikey_store_verify(store_db(b), key, APIKEY_LEN, NOW + 1,
	    &info), AUTH_OK, "verify (kept statements) in worker b");
	T_EQ_INT(apikey_store_verify(store_db(a), key, APIKEY_LEN, NOW + 2,
	    &info), AUTH_OK, "verify in worker a");
	T_EQ_INT(last_used_of(store_db(a), id), NOW + 1,
	    "last_used written once within the minute");
	T_EQ_INT(apikey_store_verify(store_db(b), key, APIKEY_LEN, NOW + 61,
	    &info), AUTH_OK, "verify a minute later");
	T_EQ_INT(last_used_of(store_db(a), id), NOW + 61,
	    "last_used written again after a minute");
	T_EQ_INT(apikey_store_revoke(store_db(a), id, NOW + 62), 1,
	    "revoke in worker a");
	T_EQ_INT(apikey_store_verify(store_db(b), key, APIKEY_LEN, NOW + 62,
	    &info), AUTH_REVOKED, "worker b sees the revocation on its very "
	    "next verify");
	T_EQ_INT(apikey_store_verify(store_db(a), key, APIKEY_LEN, NOW + 62,
	    &info), AUTH_REVOKED, "and so does worker a");
	/* A connection that is no store's: nothing kept on it. */
	if (sqlite3_open(path, &raw) == SQLITE_OK) {
		sqlite3_busy_timeout(raw, 2000);
		T_EQ_INT(apikey_store_verify(raw, key, APIKEY_LEN, NOW + 63,
		    &info), AUTH_REVOKED, "verify on a plain connection");
		T_OK(sqlite3_next_stmt(raw, NULL) == NULL,
		    "a plain connection keeps no statement");
		T_EQ_INT(sqlite3_close(raw), SQLITE_OK,
		    "a plain connection closes cleanly");
	}
	store_close(b);
	store_close(a);
}

static void
test_rate_all(const char *dir)
{
	char		 path[600], err[512];
	struct store	*st;
	struct store_rate b[2];
	int64_t		 t0 = (int64_t)NOW * SEC;
	int		 ra, rc, i;

	snprintf(path, sizeof(path), "%s/rate.db", dir);
	if ((st = store_open(path, err, sizeof(err))) == NULL) {
		T_OK(0, "store_open: %s", err);
		return;
	}
	/* The principal's bucket: burst 2; the tool's: burst 3. */
	b[0].bucket = "p";
	b[0].per_minute = 6;
	b[0].burst = 2;
	b[1].bucket = "t";
	b[1].per_minute = 6;
	b[1].burst = 3;
	T_EQ_INT(store_rate_take_all(st, b, 0, t0, &ra), 1,
	    "store_rate_take_all: no bucket, taken");
	for (i = 0; i < 2; i++)
		T_EQ_INT(store_rate_take_all(st, b, 2, t0, &ra), 1,
		    "store_rate_take_all: both buckets (%d)", i + 1);
	ra = -1;
	rc = store_rate_take_all(st, b, 2, t0, &ra);
	T_OK(rc == 0 && ra >= 10 && ra <= 11, "store_rate_take_all: the "
	    "principal's bucket is empty (rc %d, retry_after %d)", rc, ra);
	/* The tool's bucket was not touched by the refusal: one left. */
	T_EQ_INT(store_rate_take(st, "t", 6, 3, t0, &ra), 1,
	    "the tool's bucket still has its third token");
	T_EQ_INT(store_rate_take(st, "t", 6, 3, t0, &ra), 0,
	    "and then none");
	/* Principal refilled, tool empty: the principal's token is spent. */
	T_EQ_INT(store_rate_take(st, "t", 6, 3, t0 + 10 * SEC, &ra), 1,
	    "10 s later the tool's refilled token, taken alone");
	rc = store_rate_take_all(st, b, 2, t0 + 10 * SEC, &ra);
	T_OK(rc == 0 && ra >= 1, "store_rate_take_all: the tool's bucket is "
	    "empty (rc %d, retry_after %d)", rc, ra);
	T_EQ_INT(store_rate_take(st, "p", 6, 2, t0 + 10 * SEC, &ra), 0,
	    "the principal's token was taken, as two calls would take it");
	T_OK(sqlite3_get_autocommit(store_db(st)),
	    "no transaction left open");
	T_EQ_INT(store_rate_take_all(st, b, 1, t0 + 30 * SEC, &ra), 1,
	    "store_rate_take_all: one bucket");
	store_close(st);
}

/* may_call for the cache test: arg is the one scope the caller holds. */
static int
hp_may_call(void *arg, const struct tool *t)
{
	const char *scope = arg;

	return t->scope == NULL || (scope != NULL &&
	    strcmp(scope, t->scope) == 0);
}

/* tools/list for a caller, through cache c (NULL: built afresh). */
static char *
hp_list(const struct config *cfg, struct mcp_cache *c, const char *scope,
    enum mcp_era era, const char *cursor)
{
	struct mcp_caller	 who;
	struct mcp_outcome	 out;
	struct jrpc_msg		 msg;
	struct jrpc_error	 err;
	json_t			*result = NULL;
	char			*s = NULL;
	enum mcp_rc		 rc;

	memset(&who, 0, sizeof(who));
	memset(&out, 0, sizeof(out));
	memset(&msg, 0, sizeof(msg));
	memset(&err, 0, sizeof(err));
	who.principal = "p";
	who.request_id = "r";
	who.era = era;
	who.may_call = hp_may_call;
	who.arg = (void *)(uintptr_t)scope;
	who.cache_private = 1;
	who.cache = c;
	msg.kind = JRPC_REQUEST;
	msg.method = "tools/list";
	msg.params = cursor != NULL ? json_pack("{s:s}", "cursor", cursor) :
	    json_object();
	rc = mcp_handle(cfg, &who, &msg, &result, &err, &out);
	if (rc == MCP_RESULT && result != NULL)
		s = json_dumps(result, JSON_COMPACT);
	else if (rc == MCP_RESULT && out.result_json != NULL)
		s = strdup(out.result_json);
	else if (rc == MCP_ERROR)
		s = strdup(err.message);
	json_decref(result);
	json_decref(msg.params);
	jrpc_error_clear(&err);
	tool_error_clear(&out.terr);
	return s;
}

static void
test_list_cache(const char *dir)
{
	static const char *const scopes[] = { NULL, "shop:read",
	    "shop:write", "nonesuch" };
	struct config	*cfg;
	struct mcp_cache *c;
	char		 path[600], err[512], *a, *b;
	FILE		*fp;
	size_t		 i, k;
	int		 era, ok = 1, pages = 0;

	snprintf(path, sizeof(path), "%s/cfg.json", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fprintf(fp, "{\"server\":{\"name\":\"hp\",\"version\":\"1\","
	    "\"page_size\":2},\"auth\":{\"mode\":\"none\"},\"tools\":[");
	for (i = 0; i < 5; i++)
		fprintf(fp, "%s{\"name\":\"t%zu\",\"title\":\"T\\u00e9\","
		    "\"description\":\"says \\\"%zu\\\"\\n\",%s"
		    "\"kind\":\"static\",\"content\":[{\"type\":\"text\","
		    "\"text\":\"x\"}],\"annotations\":{\"readOnlyHint\":"
		    "true}}", i ? "," : "", i, i, i % 2 ?
		    "\"scope\":\"shop:read\"," : i == 4 ?
		    "\"scope\":\"shop:write\"," : "");
	fprintf(fp, "]}\n");
	fclose(fp);
	if ((cfg = config_load(path, 0, err, sizeof(err))) == NULL) {
		T_OK(0, "tools/list cache: config: %s", err);
		return;
	}
	c = mcp_cache_new(cfg);
	T_OK(c != NULL, "mcp_cache_new");
	for (k = 0; k < 2; k++)		/* twice: misses, then hits */
		for (era = 0; era < 2; era++)
			for (i = 0; i < 4; i++) {
				const char *cur = NULL;
				char *next = NULL;

				do {
					a = hp_list(cfg, c, scopes[i], era, cur);
					b = hp_list(cfg, NULL, scopes[i], era,
					    cur);
					ok &= a != NULL && b != NULL &&
					    strcmp(a, b) == 0;
					if (!ok)
						printf("# scope %s era %d:\n#"
						    "   cached %s\n#   fresh  "
						    "%s\n", scopes[i] ?
						    scopes[i] : "-", era,
						    a ? a : "-", b ? b : "-");
					free(next);
					next = NULL;
					if (b != NULL && strstr(b,
					    "nextCursor") != NULL) {
						json_t *r = json_loads(b, 0,
						    NULL);

						next = strdup(json_string_value(
						    json_object_get(r,
						    "nextCursor")));
						json_decref(r);
						pages++;
					}
					cur = next;
					free(a);
					free(b);
				} while (cur != NULL && ok);
				free(next);
			}
	T_OK(ok, "tools/list through the cache = built afresh, per era, "
	    "scope set and page (%d further pages)", pages);
	a = hp_list(cfg, c, NULL, MCP_ERA_LEGACY, "9.nope");
	T_OK(a != NULL && strstr(a, "cursor") != NULL,
	    "a bad cursor is still -32602 with the cache (%s)", a ? a : "-");
	free(a);
	mcp_cache_free(c);
	mcp_cache_free(NULL);
	config_free(cfg);
}

int
main(void)
{
	char	 dir[] = "/tmp/mcpgate-hotpath.XXXXXX";
	char	 cmd[600];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_dumps();
	test_store_stmts(dir);
	test_rate_all(dir);
	test_list_cache(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return t_done();
}
