/*
 * test_audit.c -- the audit log: configuration, canonical JSON and the
 * argument digest, redaction (names at any depth, writeOnly, x-redact,
 * $ref, arrays), the limits at N and N+1, the hash chain and what its
 * verifier catches (deleted, edited, inserted rows, a truncated tail or
 * head, a downgrade from HMAC), retention markers, concurrent writers in
 * forked processes (one of them SIGKILLed), the syslog mirror, and the
 * endpoint writing exactly one row per request, with no secret in the
 * database file or its WAL.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "apikey.h"
#include "audit.h"
#include "auditchain.h"
#include "bounds.h"
#include "config.h"
#include "digest.h"
#include "endpoint.h"
#include "http.h"
#include "migrate.h"
#include "store.h"
#include "t.h"

static char	 dir[] = "/tmp/mcpgate-test-audit.XXXXXX";
static char	 cfgpath[600];

static char *
in_dir(const char *name)
{
	static char	 bufs[16][700];
	static int	 n;
	char		*b = bufs[n++ % 16];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
	chmod(path, 0600);	/* sealing keys are private */
}

/* A path in the test directory that stays (in_dir's are recycled). */
#define KEEP(var, name)	char var[700]; snprintf(var, sizeof(var), "%s/%s", \
    dir, name)

/* A writer from a JSON text (the "audit" object), or NULL with err. */
static struct audit *
mk(const char *json, char *err, size_t errlen)
{
	json_t		*conf = json_loads(json, 0, NULL);
	struct audit	*a;

	if (conf == NULL) {
		snprintf(err, errlen, "test: bad JSON");
		return NULL;
	}
	a = audit_new(conf, cfgpath, err, errlen);
	json_decref(conf);
	return a;
}

static void
bad_conf(const char *name, const char *json, const char *want)
{
	char		 err[BOUNDS_ERRMSG_LEN] = "";
	struct audit	*a = mk(json, err, sizeof(err));

	T_OK(a == NULL && strstr(err, want) != NULL, "config %s refused "
	    "(\"%s\"; got \"%s\")", name, want, a ? "accepted" : err);
	audit_free(a);
}

/* A plausible request event, finished. */
static void
ev_make(struct audit_event *ev, const char *principal, int status)
{
	if (audit_event_begin(ev, NULL) == -1)
		return;
	AUDIT_SET(ev->http_method, "POST");
	AUDIT_SET(ev->http_path, "/mcp");
	AUDIT_SET(ev->principal, principal);
	AUDIT_SET(ev->auth_method, "apikey");
	AUDIT_SET(ev->auth_result, "ok");
	AUDIT_SET(ev->decision, "allow");
	AUDIT_SET(ev->rpc_method, "tools/call");
	AUDIT_SET(ev->tool, "hello");
	AUDIT_SET(ev->client_addr, "127.0.0.1");
	audit_event_finish(ev, status, 42);
}

/* Writes n events; returns how many were written. */
static int
write_n(struct audit *a, int n, int64_t ts_us)
{
	struct audit_event ev;
	char		 err[BOUNDS_ERRMSG_LEN];
	int		 i, ok = 0;

	for (i = 0; i < n; i++) {
		ev_make(&ev, "alice", 200);
		if (ts_us != 0)
			ev.ts_us = ts_us + i;
		if (audit_write(a, &ev, err, sizeof(err)) == 0)
			ok++;
		else
			printf("# audit_write: %s\n", err);
		audit_event_clear(&ev);
	}
	return ok;
}

static int
verify(const char *path, const struct auditchain_opts *o,
    struct auditchain_report *rep)
{
	sqlite3	*db;
	char	 err[BOUNDS_ERRMSG_LEN];
	int	 rc;

	if (auditchain_open(path, &db, err, sizeof(err)) == -1) {
		printf("# %s\n", err);
		memset(rep, 0, sizeof(*rep));
		rep->status = AUDITCHAIN_ERROR;
		return -1;
	}
	rc = auditchain_verify(db, o, rep);
	sqlite3_close(db);
	return rc;
}

static int
sql_exec(const char *path, const char *sql)
{
	sqlite3	*db;
	char	*emsg = NULL;
	int	 rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, &emsg);
	if (rc != SQLITE_OK)
		printf("# sql: %s\n", emsg ? emsg : "?");
	sqlite3_free(emsg);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Tampering: the append-only trigger goes first. */
static int
tamper(const char *path, const char *sql)
{
	char	 buf[2048];

	snprintf(buf, sizeof(buf), "DROP TRIGGER IF EXISTS "
	    "audit_events_no_update; %s", sql);
	return sql_exec(path, buf);
}

static long long
sql_int(const char *path, const char *sql)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	long long	 v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The first column of the first row as text ("NULL" for NULL). */
static void
sql_text(const char *path, const char *sql, char *out, size_t len)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	const unsigned char *t;

	snprintf(out, len, "(no row)");
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", t != NULL ? (const char *)t : "NULL");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int
copy_file(const char *src, const char *dst)
{
	FILE	*in, *out;
	char	 buf[65536];
	size_t	 n;

	if ((in = fopen(src, "r")) == NULL)
		return -1;
	if ((out = fopen(dst, "w")) == NULL) {
		fclose(in);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
	return 0;
}

/* 1 if the file's bytes contain needle (a missing file contains nothing). */
static int
file_has(const char *path, const char *needle)
{
	FILE	*f;
	char	*buf;
	long	 n;
	int	 hit;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (n <= 0 || (buf = malloc((size_t)n)) == NULL) {
		fclose(f);
		return 0;
	}
	n = (long)fread(buf, 1, (size_t)n, f);
	fclose(f);
	hit = memmem(buf, (size_t)n, needle, strlen(needle)) != NULL;
	free(buf);
	return hit;
}

/* Recomputes row seq's row_hash (as an attacker without the key would). */
static int
rehash(const char *path, long long seq, const struct auditchain_key *key,
    const char *alg)
{
	struct auditchain_value v[AUDITCHAIN_C__MAX];
	char		 sql[2048], hash[AUDITCHAIN_HEX_LEN + 1];
	char		 prev[AUDITCHAIN_HEX_LEN + 1];
	sqlite3		*db;
	sqlite3_stmt	*st;
	size_t		 i, off;
	int		 rc = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (alg != NULL) {
		snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS "
		    "audit_events_no_update; UPDATE audit_events SET "
		    "chain_alg = '%s', seal_key_id = %s WHERE seq = %lld",
		    alg, strcmp(alg, "sha256") == 0 ? "NULL" : "seal_key_id",
		    seq);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	off = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s, ",
		    auditchain_columns[i]);
	snprintf(sql + off, sizeof(sql) - off, "prev_hash FROM audit_events "
	    "WHERE seq = %lld", seq);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto out;
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		memset(&v[i], 0, sizeof(v[i]));
		switch (sqlite3_column_type(st, (int)i)) {
		case SQLITE_INTEGER:
			v[i].type = AUDITCHAIN_V_INT;
			v[i].i = sqlite3_column_int64(st, (int)i);
			break;
		case SQLITE_TEXT:
			v[i].type = AUDITCHAIN_V_TEXT;
			v[i].s = (const char *)sqlite3_column_text(st, (int)i);
			v[i].len = (size_t)sqlite3_column_bytes(st, (int)i);
			break;
		default:
			break;
		}
	}
	snprintf(prev, sizeof(prev), "%s",
	    sqlite3_column_text(st, AUDITCHAIN_C__MAX));
	if (auditchain_row_hash(key, prev, v, hash) == -1)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS "
	    "audit_events_no_update; UPDATE audit_events SET row_hash = '%s' "
	    "WHERE seq = %lld", hash, seq);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* --- configuration and small pieces ------------------------------------- */

static void
test_config(void)
{
	char		 err[BOUNDS_ERRMSG_LEN], key[40], json[1024];
	struct audit	*a;
	unsigned char	 kb[AUDITCHAIN_KEY_MAX + 1];

	a = mk("{}", err, sizeof(err));
	T_OK(a != NULL, "audit: {} gives the defaults");
	if (a != NULL) {
		T_EQ_STR(audit_db_path(a), in_dir("audit.db"),
		    "default db is audit.db beside the config");
		T_OK(audit_key(a) == NULL, "no sealing key by default");
	}
	audit_free(a);
	bad_conf("unknown member", "{\"dbb\":\"x\"}", "/audit: unknown "
	    "member \"dbb\"");
	bad_conf("synchronous", "{\"synchronous\":\"OFF\"}",
	    "/audit/synchronous");
	bad_conf("facility", "{\"syslog\":{\"facility\":\"mail\"}}",
	    "/audit/syslog/facility");
	bad_conf("syslog member", "{\"syslog\":{\"facilty\":\"local0\"}}",
	    "/audit/syslog: unknown member");
	bad_conf("syslog socket", "{\"syslog\":{\"socket\":\"rel/x\"}}",
	    "/audit/syslog/socket");
	bad_conf("max_string 15", "{\"max_string\":15}", "/audit/max_string");
	bad_conf("max_string ceiling+1", "{\"max_string\":65537}",
	    "/audit/max_string");
	bad_conf("retention 0", "{\"retention_days\":0}",
	    "/audit/retention_days");
	bad_conf("patterns", "{\"redact_patterns\":[1]}",
	    "/audit/redact_patterns/0");
	bad_conf("host_id", "{\"host_id\":\"a b\"}", "/audit/host_id");
	bad_conf("missing key", "{\"sealing_key\":\"nokey\"}",
	    "/audit/sealing_key");
	a = mk("{\"max_string\":65536,\"synchronous\":\"NORMAL\","
	    "\"retention_days\":36500}", err, sizeof(err));
	T_OK(a != NULL, "max_string 65536 (the ceiling) and NORMAL accepted");
	audit_free(a);
	a = mk("{\"max_string\":16}", err, sizeof(err));
	T_OK(a != NULL, "max_string 16 (the floor) accepted");
	audit_free(a);

	/* Sealing key sizes: N-1, N, and the ceiling N, N+1. */
	memset(kb, 'k', sizeof(kb));
	snprintf(key, sizeof(key), "k31");
	write_file(in_dir(key), kb, AUDITCHAIN_KEY_MIN - 1);
	snprintf(json, sizeof(json), "{\"sealing_key\":\"%s\"}", key);
	bad_conf("key of 31 bytes", json, "must hold 32 to 1024 bytes");
	write_file(in_dir("k32"), kb, AUDITCHAIN_KEY_MIN);
	a = mk("{\"sealing_key\":\"k32\"}", err, sizeof(err));
	T_OK(a != NULL && audit_key(a) != NULL &&
	    strlen(audit_key(a)->id) == AUDITCHAIN_KEY_ID_LEN,
	    "a 32-byte sealing key is loaded, with a 16-hex id");
	audit_free(a);
	write_file(in_dir("k1024"), kb, AUDITCHAIN_KEY_MAX);
	a = mk("{\"sealing_key\":\"k1024\"}", err, sizeof(err));
	T_OK(a != NULL, "a 1024-byte sealing key is loaded");
	audit_free(a);
	write_file(in_dir("k1025"), kb, AUDITCHAIN_KEY_MAX + 1);
	bad_conf("key of 1025 bytes", "{\"sealing_key\":\"k1025\"}",
	    "must hold 32 to 1024 bytes");
	bad_conf("key is the database", "{\"db\":\"k32\",\"sealing_key\":"
	    "\"k32\"}", "outside the audit database");
}

static void
test_text(void)
{
	struct audit_event ev;
	char		 big[BOUNDS_AUDIT_FIELD_LEN + 2];

	memset(&ev, 0, sizeof(ev));
	memset(big, 'u', sizeof(big));
	big[BOUNDS_AUDIT_FIELD_LEN] = '\0';
	AUDIT_SET(ev.user_agent, big);
	T_EQ_INT(strlen(ev.user_agent), BOUNDS_AUDIT_FIELD_LEN,
	    "User-Agent of BOUNDS_AUDIT_FIELD_LEN bytes is kept whole");
	big[BOUNDS_AUDIT_FIELD_LEN] = 'u';
	big[BOUNDS_AUDIT_FIELD_LEN + 1] = '\0';
	AUDIT_SET(ev.user_agent, big);
	T_EQ_INT(strlen(ev.user_agent), BOUNDS_AUDIT_FIELD_LEN,
	    "User-Agent of BOUNDS_AUDIT_FIELD_LEN+1 bytes is cut to N");
	AUDIT_SET(ev.user_agent, "a\nb\x1b[31m\xff\xc3\xa9");
	T_EQ_STR(ev.user_agent, "a?b?[31m?\xc3\xa9", "control characters "
	    "and invalid UTF-8 become '?', valid UTF-8 stays");
	AUDIT_SET(ev.decision, "allowX\xc3\xa9");	/* 8 bytes: 7 fit */
	T_EQ_STR(ev.decision, "allowX", "a cut never splits a character");
	AUDIT_SET(ev.tool, NULL);
	T_EQ_STR(ev.tool, "", "NULL is the empty string");
}

static void
test_trace(void)
{
	struct audit_event ev;
	char		 tp[56], big[BOUNDS_TRACEPARENT_LEN + 2];
	const char	*good = "00-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01";

	T_OK(audit_event_begin(&ev, good) == 0 &&
	    strcmp(ev.trace_id, "0af7651916cd43dd8448eb211c80319c") == 0 &&
	    strcmp(ev.parent_span_id, "b7ad6b7169203331") == 0 &&
	    strlen(ev.span_id) == 16 && strlen(ev.request_id) == 32,
	    "a valid traceparent is continued with a new span");
	audit_traceparent(&ev, tp);
	T_OK(strncmp(tp, "00-0af7651916cd43dd8448eb211c80319c-", 36) == 0 &&
	    strncmp(tp + 36, ev.span_id, 16) == 0 && strlen(tp) == 55 &&
	    strcmp(tp + 52, "-01") == 0, "our traceparent: same trace, our "
	    "span, the caller's flags (%s)", tp);
	audit_event_clear(&ev);
	T_OK(audit_event_begin(&ev, "00-0AF7651916CD43DD8448EB211C80319C-"
	    "b7ad6b7169203331-01") == 0 && ev.parent_span_id[0] == '\0' &&
	    strlen(ev.trace_id) == 32, "upper-case hex starts a new trace");
	T_OK(audit_event_begin(&ev, "00-00000000000000000000000000000000-"
	    "b7ad6b7169203331-01") == 0 && ev.parent_span_id[0] == '\0',
	    "an all-zero trace id starts a new trace");
	T_OK(audit_event_begin(&ev, "ff-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01") == 0 && ev.parent_span_id[0] == '\0',
	    "version ff starts a new trace");
	T_OK(audit_event_begin(&ev, "00-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01-extra") == 0 && ev.parent_span_id[0] == '\0',
	    "version 00 with trailing data starts a new trace");
	T_OK(audit_event_begin(&ev, "01-0af7651916cd43dd8448eb211c80319c-"
	    "b7ad6b7169203331-01-future") == 0 &&
	    strcmp(ev.parent_span_id, "b7ad6b7169203331") == 0,
	    "a later version with more fields is continued");
	memset(big, 'a', sizeof(big));
	memcpy(big, "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",
	    56);
	big[BOUNDS_TRACEPARENT_LEN] = '\0';
	T_OK(audit_event_begin(&ev, big) == 0 && ev.parent_span_id[0] != '\0',
	    "traceparent of BOUNDS_TRACEPARENT_LEN bytes is read");
	big[BOUNDS_TRACEPARENT_LEN] = 'a';
	big[BOUNDS_TRACEPARENT_LEN + 1] = '\0';
	T_OK(audit_event_begin(&ev, big) == 0 && ev.parent_span_id[0] == '\0',
	    "traceparent of BOUNDS_TRACEPARENT_LEN+1 bytes is ignored");
	audit_event_clear(&ev);
}

/* --- canonical JSON, digest, redaction ----------------------------------- */

static json_t *
J(const char *s)
{
	return json_loads(s, JSON_DECODE_ANY, NULL);
}

static char *
redacted(struct audit *a, const char *schema, const char *args)
{
	json_t	*s = schema ? J(schema) : NULL, *v = J(args), *r;
	char	*out;

	r = audit_redact(a, s, v);
	out = r ? audit_canonical(r) : NULL;
	json_decref(r);
	json_decref(s);
	json_decref(v);
	return out;
}

static void
check_redact(struct audit *a, const char *name, const char *schema,
    const char *args, const char *want)
{
	char	*got = redacted(a, schema, args);

	T_EQ_STR(got, want, "redaction: %s", name);
	free(got);
}

static void
test_args(void)
{
	char		 err[BOUNDS_ERRMSG_LEN], d1[65], d2[65], d3[65];
	char		*s, *big;
	struct audit	*a, *sealed, *custom;
	json_t		*v, *w;
	struct audit_event ev;
	size_t		 n;

	v = J("{\"b\":1,\"a\":{\"d\":[1,\"\xc3\xa9\"],\"c\":\"x/y\"},"
	    "\"e\":null}");
	s = audit_canonical(v);
	T_EQ_STR(s, "{\"a\":{\"c\":\"x/y\",\"d\":[1,\"\xc3\xa9\"]},\"b\":1,"
	    "\"e\":null}", "canonical JSON: sorted keys at every depth, "
	    "compact, UTF-8 as is");
	free(s);
	w = J("{\"e\":null,\"a\":{\"c\":\"x/y\",\"d\":[1,\"\xc3\xa9\"]},"
	    "\"b\":1}");
	T_OK(audit_digest(NULL, v, d1) == 0 && audit_digest(NULL, w, d2) == 0 &&
	    strcmp(d1, d2) == 0, "the digest ignores member order");
	s = audit_canonical(v);
	digest_sha256_hex(s, strlen(s), d3);
	free(s);
	T_EQ_STR(d1, d3, "unsealed digest = SHA-256 of the canonical JSON");
	json_decref(w);
	w = J("{\"e\":null,\"a\":{\"c\":\"x/y\",\"d\":[1,\"\xc3\xa9\"]},"
	    "\"b\":2}");
	T_OK(audit_digest(NULL, w, d2) == 0 && strcmp(d1, d2) != 0,
	    "a different value gives a different digest");
	json_decref(w);
	w = J("{\"e\":null,\"a\":{\"c\":\"x/y\",\"d\":[1,\"\xc3\xa9\"]},"
	    "\"b\":1,\"idempotency_key\":\"k-1\"}");
	T_OK(audit_digest(NULL, w, d2) == 0 && strcmp(d1, d2) == 0,
	    "a top-level idempotency_key is left out of the digest");
	json_decref(w);

	a = mk("{}", err, sizeof(err));
	sealed = mk("{\"sealing_key\":\"k32\"}", err, sizeof(err));
	if (a == NULL || sealed == NULL) {
		T_OK(0, "test writers: %s", err);
		return;
	}
	T_OK(audit_digest(sealed, v, d2) == 0 && strcmp(d1, d2) != 0,
	    "with a sealing key the digest is keyed (differs from SHA-256)");
	{
		unsigned char	 md[32], kb[32], msg[256];
		size_t		 ml = 0, tl = strlen("mcpgate-audit-args") + 1;
		char		*c = audit_canonical(v);

		memset(kb, 'k', sizeof(kb));
		memcpy(msg, "mcpgate-audit-args", tl);
		memcpy(msg + tl, c, strlen(c));
		EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, kb, sizeof(kb),
		    msg, tl + strlen(c), md, sizeof(md), &ml);
		for (n = 0; n < 32; n++)
			sprintf(d3 + 2 * n, "%02x", md[n]);
		free(c);
		T_EQ_STR(d2, d3, "keyed digest = HMAC-SHA256(key, "
		    "\"mcpgate-audit-args\" NUL canonical)");
	}
	json_decref(v);

	check_redact(a, "names match case- and punctuation-insensitively",
	    NULL, "{\"password\":\"p1\",\"apiKey\":\"k1\",\"API-KEY\":\"k2\","
	    "\"user\":\"ada\",\"Card_Number\":\"4111\",\"ssn\":\"078\","
	    "\"classname\":\"c\",\"my.secret.value\":\"s\"}",
	    "{\"API-KEY\":\"[redacted]\",\"Card_Number\":\"[redacted]\","
	    "\"apiKey\":\"[redacted]\",\"classname\":\"c\","
	    "\"my.secret.value\":\"[redacted]\",\"password\":\"[redacted]\","
	    "\"ssn\":\"[redacted]\",\"user\":\"ada\"}");
	check_redact(a, "names at any depth, in arrays, whole subtrees", NULL,
	    "{\"a\":{\"b\":[{\"session_token\":\"t\",\"ok\":1},"
	    "{\"auth\":{\"authorization\":{\"x\":1}}}]},"
	    "\"credentials\":{\"user\":\"u\",\"pw\":\"p\"}}",
	    "{\"a\":{\"b\":[{\"ok\":1,\"session_token\":\"[redacted]\"},"
	    "{\"auth\":{\"authorization\":\"[redacted]\"}}]},"
	    "\"credentials\":\"[redacted]\"}");
	check_redact(a, "writeOnly and x-redact, nested, via $ref and items",
	    "{\"type\":\"object\",\"properties\":{"
	    "\"code1\":{\"type\":\"string\",\"writeOnly\":true},"
	    "\"memo\":{\"type\":\"string\",\"x-redact\":true},"
	    "\"card\":{\"$ref\":\"#/$defs/card\"},"
	    "\"list\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
	    "\"properties\":{\"v\":{\"x-redact\":true},\"w\":{}}}},"
	    "\"both\":{\"allOf\":[{\"type\":\"string\"},{\"writeOnly\":true}]},"
	    "\"plain\":{\"writeOnly\":false}},"
	    "\"$defs\":{\"card\":{\"type\":\"object\",\"properties\":"
	    "{\"pan\":{\"x-redact\":true},\"brand\":{}}}}}",
	    "{\"code1\":\"111\",\"memo\":\"m\",\"card\":{\"pan\":\"4111\","
	    "\"brand\":\"visa\"},\"list\":[{\"v\":1,\"w\":2},{\"v\":3}],"
	    "\"both\":\"b\",\"plain\":\"p\"}",
	    "{\"both\":\"[redacted]\",\"card\":{\"brand\":\"visa\","
	    "\"pan\":\"[redacted]\"},\"code1\":\"[redacted]\","
	    "\"list\":[{\"v\":\"[redacted]\",\"w\":2},"
	    "{\"v\":\"[redacted]\"}],\"memo\":\"[redacted]\","
	    "\"plain\":\"p\"}");
	check_redact(a, "a marked object is redacted whole",
	    "{\"properties\":{\"o\":{\"type\":\"object\",\"x-redact\":true}}}",
	    "{\"o\":{\"a\":1}}", "{\"o\":\"[redacted]\"}");
	check_redact(a, "idempotency_key is redacted at the top only", NULL,
	    "{\"idempotency_key\":\"ik\",\"x\":{\"idempotency_key\":\"n\"}}",
	    "{\"idempotency_key\":\"[redacted]\",\"x\":{\"idempotency_key\":"
	    "\"n\"}}");
	check_redact(a, "additionalProperties marks apply", "{\"type\":"
	    "\"object\",\"additionalProperties\":{\"writeOnly\":true}}",
	    "{\"anything\":\"z\"}", "{\"anything\":\"[redacted]\"}");

	custom = mk("{\"redact_patterns\":[\"*iban*\"],\"max_string\":16}",
	    err, sizeof(err));
	check_redact(custom, "redact_patterns replace the defaults", NULL,
	    "{\"IBAN\":\"DE00\",\"password\":\"p\"}",
	    "{\"IBAN\":\"[redacted]\",\"password\":\"p\"}");
	audit_free(custom);
	custom = mk("{\"redact_patterns\":[\"@defaults\",\"iban\"]}", err,
	    sizeof(err));
	check_redact(custom, "@defaults keeps the built-in list", NULL,
	    "{\"iban\":\"DE00\",\"password\":\"p\",\"ok\":\"o\"}",
	    "{\"iban\":\"[redacted]\",\"ok\":\"o\",\"password\":\"[redacted]\"}");
	audit_free(custom);

	/* max_string at N and N+1 (16 here), cut at a character boundary. */
	custom = mk("{\"max_string\":16}", err, sizeof(err));
	check_redact(custom, "a string of max_string bytes is kept", NULL,
	    "{\"s\":\"0123456789abcdef\"}", "{\"s\":\"0123456789abcdef\"}");
	check_redact(custom, "max_string+1 bytes are cut, with the rest "
	    "counted", NULL, "{\"s\":\"0123456789abcdefg\"}",
	    "{\"s\":\"0123456789abcdef\xe2\x80\xa6(+1 bytes)\"}");
	check_redact(custom, "a cut never splits a character", NULL,
	    "{\"s\":\"0123456789abcde\xc3\xa9\"}",
	    "{\"s\":\"0123456789abcde\xe2\x80\xa6(+2 bytes)\"}");
	audit_free(custom);
	{
		char	 in[300], want[320];

		memset(in, 'a', sizeof(in));
		memcpy(in, "{\"s\":[\"", 7);
		memcpy(in + 7 + BOUNDS_AUDIT_STRING_DEFAULT + 1, "\"]}", 4);
		memset(want, 'a', sizeof(want));
		memcpy(want, "{\"s\":[\"", 7);
		snprintf(want + 7 + BOUNDS_AUDIT_STRING_DEFAULT,
		    sizeof(want) - 7 - BOUNDS_AUDIT_STRING_DEFAULT,
		    "\xe2\x80\xa6(+1 bytes)\"]}");
		check_redact(a, "the default max_string is 256", NULL, in,
		    want);
	}

	/* The digest is taken before redaction: secrets still distinguish. */
	memset(&ev, 0, sizeof(ev));
	v = J("{\"user\":\"u\",\"password\":\"one\"}");
	w = J("{\"user\":\"u\",\"password\":\"two\"}");
	T_OK(audit_event_args(a, &ev, NULL, v) == 0, "audit_event_args");
	snprintf(d1, sizeof(d1), "%s", ev.args_digest);
	s = ev.args_redacted ? strdup(ev.args_redacted) : NULL;
	audit_event_clear(&ev);
	T_OK(audit_event_args(a, &ev, NULL, w) == 0 && s != NULL &&
	    strcmp(s, ev.args_redacted) == 0 && strcmp(d1, ev.args_digest) != 0,
	    "same redacted text, different digests: hashed before redaction");
	T_OK(s != NULL && strstr(s, "one") == NULL && strstr(s, "[redacted]"),
	    "the stored arguments hold no secret (%s)", s ? s : "-");
	free(s);
	audit_event_clear(&ev);
	json_decref(v);
	json_decref(w);

	/* The whole redacted JSON: BOUNDS_AUDIT_ARGS_LEN and one more. */
	custom = mk("{\"max_string\":65536}", err, sizeof(err));
	n = BOUNDS_AUDIT_ARGS_LEN - strlen("{\"a\":\"\"}");
	big = malloc(n + 2);
	memset(big, 'x', n + 1);
	big[n] = '\0';
	v = json_pack("{s:s}", "a", big);
	T_OK(audit_event_args(custom, &ev, NULL, v) == 0 &&
	    ev.args_redacted != NULL &&
	    strlen(ev.args_redacted) == BOUNDS_AUDIT_ARGS_LEN,
	    "redacted arguments of BOUNDS_AUDIT_ARGS_LEN bytes are kept");
	audit_event_clear(&ev);
	json_decref(v);
	big[n] = 'x';
	big[n + 1] = '\0';
	v = json_pack("{s:s}", "a", big);
	T_OK(audit_event_args(custom, &ev, NULL, v) == 0 &&
	    ev.args_redacted != NULL && strcmp(ev.args_redacted,
	    "{\"$omitted_bytes\":16385}") == 0 && ev.args_digest[0] != '\0',
	    "one byte more: only the size is kept (%s), the digest stays",
	    ev.args_redacted ? ev.args_redacted : "-");
	audit_event_clear(&ev);
	json_decref(v);
	free(big);
	audit_free(custom);
	audit_free(sealed);
	audit_free(a);
}

/* --- the chain ----------------------------------------------------------- */

static void
expect_broken(const char *what, const char *path,
    const struct auditchain_opts *o, enum auditchain_status want,
    long long bad)
{
	struct auditchain_report rep;
	int		 rc = verify(path, o, &rep);

	T_OK(rc == 1 && rep.status == want && (bad == 0 ||
	    rep.bad_seq == bad), "%s: verify reports %s at row %lld (got rc "
	    "%d, %s at %lld: %s)", what, auditchain_status_name(want), bad, rc,
	    auditchain_status_name(rep.status), (long long)rep.bad_seq,
	    rep.detail);
}

static void
test_chain(void)
{
	struct auditchain_report rep;
	struct auditchain_opts o;
	struct audit	*a;
	char		 err[BOUNDS_ERRMSG_LEN], head[65], *t;
	int		 rc;
	KEEP(base, "chain.db");

	a = mk("{\"db\":\"chain.db\",\"synchronous\":\"NORMAL\"}", err,
	    sizeof(err));
	if (a == NULL) {
		T_OK(0, "chain writer: %s", err);
		return;
	}
	T_EQ_INT(write_n(a, 20, 0), 20, "20 rows written");
	audit_free(a);
	rc = verify(base, NULL, &rep);
	T_OK(rc == 0 && rep.status == AUDITCHAIN_OK && rep.rows == 20 &&
	    rep.first_seq == 1 && rep.last_seq == 20 && rep.unsealed == 20,
	    "an untouched log verifies (%s)", rep.detail);
	snprintf(head, sizeof(head), "%s", rep.head_hash);
	{
		char h20[80];

		sql_text(base, "SELECT row_hash FROM audit_events WHERE "
		    "seq = 20", h20, sizeof(h20));
		T_EQ_STR(head, h20, "the report's head is row 20's hash");
	}
	T_OK(sql_exec(base, "UPDATE audit_events SET principal = 'x' "
	    "WHERE seq = 3") == -1, "the append-only trigger refuses an UPDATE");
	{
		char jm[32];

		sql_text(base, "PRAGMA journal_mode", jm, sizeof(jm));
		T_EQ_STR(jm, "wal", "the audit database is in WAL mode");
		T_OK(migrate_latest("audit") >= 10 && sql_int(base,
		    "PRAGMA user_version") == migrate_latest("audit"),
		    "the audit migrations (010 on) are applied");
	}

	t = in_dir("t-delete.db");
	copy_file(base, t);
	tamper(t, "DELETE FROM audit_events WHERE seq = 7");
	expect_broken("a deleted row", t, NULL, AUDITCHAIN_GAP, 8);

	t = in_dir("t-edit.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET principal = 'mallory' WHERE "
	    "seq = 5");
	expect_broken("an edited row", t, NULL, AUDITCHAIN_HASH, 5);

	t = in_dir("t-edit-type.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET http_status = 201 WHERE seq = 9");
	expect_broken("an edited number", t, NULL, AUDITCHAIN_HASH, 9);

	t = in_dir("t-rehash.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET principal = 'mallory' WHERE "
	    "seq = 5");
	T_OK(rehash(t, 5, NULL, NULL) == 0, "attacker rehashes the row");
	expect_broken("an edited and rehashed row", t, NULL, AUDITCHAIN_LINK,
	    6);

	t = in_dir("t-insert.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET seq = seq + 1000 WHERE seq > 10; "
	    "UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000; "
	    "INSERT INTO audit_events (seq, chain_version, chain_alg, kind, "
	    "ts_us, host_id, request_id, outcome, http_status, prev_hash, "
	    "row_hash) SELECT 11, 1, 'sha256', 'request', ts_us, host_id, "
	    "'forged', 'ok', 200, row_hash, row_hash FROM audit_events "
	    "WHERE seq = 10");
	expect_broken("an inserted row", t, NULL, AUDITCHAIN_HASH, 11);
	T_OK(rehash(t, 11, NULL, NULL) == 0, "attacker hashes the inserted row");
	expect_broken("an inserted, hashed row (renumbered rows after it)", t,
	    NULL, AUDITCHAIN_LINK, 12);

	t = in_dir("t-append.db");
	copy_file(base, t);
	tamper(t, "INSERT INTO audit_events (seq, chain_version, chain_alg, "
	    "kind, ts_us, host_id, request_id, outcome, http_status, "
	    "prev_hash, row_hash) SELECT 21, 1, 'sha256', 'request', ts_us, "
	    "host_id, 'forged', 'ok', 200, row_hash, row_hash FROM "
	    "audit_events WHERE seq = 20");
	expect_broken("an appended row with a made-up hash", t, NULL,
	    AUDITCHAIN_HASH, 21);

	t = in_dir("t-tail.db");
	copy_file(base, t);
	tamper(t, "DELETE FROM audit_events WHERE seq > 17");
	expect_broken("a truncated tail (AUTOINCREMENT remembers)", t, NULL,
	    AUDITCHAIN_TAIL, 18);
	{
		struct audit *b;
		char	 j[256];

		snprintf(j, sizeof(j), "{\"db\":\"%s\"}", "t-tail.db");
		b = mk(j, err, sizeof(err));
		T_EQ_INT(b ? write_n(b, 1, 0) : 0, 1, "a row written after "
		    "the truncation");
		audit_free(b);
		T_EQ_INT(sql_int(t, "SELECT max(seq) FROM audit_events"), 21,
		    "it gets seq 21: numbers are never reused");
		expect_broken("the truncation, once a row follows", t, NULL,
		    AUDITCHAIN_GAP, 21);
	}

	t = in_dir("t-head.db");
	copy_file(base, t);
	tamper(t, "DELETE FROM audit_events WHERE seq < 4");
	expect_broken("oldest rows deleted without a marker", t, NULL,
	    AUDITCHAIN_HEAD, 4);

	t = in_dir("t-all.db");
	copy_file(base, t);
	tamper(t, "DELETE FROM audit_events");
	expect_broken("every row deleted", t, NULL, AUDITCHAIN_TAIL, 1);

	t = in_dir("t-prev.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET prev_hash = 'zz' WHERE seq = 2");
	expect_broken("a malformed prev_hash", t, NULL, AUDITCHAIN_MALFORMED,
	    2);

	{
		sqlite3	*h;

		rc = -1;
		if (auditchain_open(base, &h, err, sizeof(err)) == 0 &&
		    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
			rc = auditchain_verify(h, NULL, &rep);
			sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
		}
		sqlite3_close(h);
		T_OK(rc == 0 && rep.rows == 20, "verify inside the caller's "
		    "read transaction");
		T_OK(auditchain_open(in_dir("no-such.db"), &h, err,
		    sizeof(err)) == -1 && strstr(err, "no-such.db") != NULL,
		    "auditchain_open never creates a database (%s)", err);
	}

	/* Incremental verification from an anchor. */
	memset(&o, 0, sizeof(o));
	o.from_seq = 20;
	o.anchor_hash = head;
	rc = verify(base, &o, &rep);
	T_OK(rc == 0 && rep.rows == 1 && rep.first_seq == 20,
	    "verify from the recorded head (row 20) passes");
	o.anchor_hash = auditchain_genesis;
	expect_broken("an anchor with another hash", base, &o,
	    AUDITCHAIN_ANCHOR, 20);
	o.from_seq = 25;
	o.anchor_hash = NULL;
	expect_broken("an anchor row that is gone", base, &o,
	    AUDITCHAIN_ANCHOR, 25);
	o.from_seq = 0;
	o.require_sealed = 1;
	expect_broken("require_sealed on an unsealed log", base, &o,
	    AUDITCHAIN_DOWNGRADE, 1);
}

/* "synchronous": when rows are synced, and the constraints checked in C. */
static void
test_sync(void)
{
	struct audit_event ev;
	struct audit	*a;
	char		 err[BOUNDS_ERRMSG_LEN];
	int		 rc;
	KEEP(base, "sync.db");

	bad_conf("synchronous WRITES is listed", "{\"synchronous\":\"x\"}",
	    "\"FULL\", \"WRITES\" or \"NORMAL\"");
	a = mk("{\"db\":\"sync.db\"}", err, sizeof(err));
	if (a == NULL) {
		T_OK(0, "sync writer: %s", err);
		return;
	}
	T_OK(!audit_unsynced(a), "nothing to sync before the first row");
	T_EQ_INT(write_n(a, 1, 0), 1, "FULL (default): a row is written");
	T_OK(!audit_unsynced(a), "FULL: the row was synced before returning");
	T_EQ_INT(audit_sync_due_ms(a), -1, "FULL: no sync is ever due later");
	audit_free(a);

	a = mk("{\"db\":\"sync.db\",\"synchronous\":\"NORMAL\"}", err,
	    sizeof(err));
	T_EQ_INT(a != NULL ? write_n(a, 2, 0) : 0, 2, "NORMAL: rows written");
	T_OK(a != NULL && audit_unsynced(a), "NORMAL: the rows wait for a "
	    "checkpoint");
	T_OK(a != NULL && audit_sync(a, err, sizeof(err)) == 0 &&
	    !audit_unsynced(a), "audit_sync syncs them");
	audit_free(a);

	a = mk("{\"db\":\"sync.db\",\"synchronous\":\"writes\"}", err,
	    sizeof(err));
	T_EQ_INT(a != NULL ? write_n(a, 1, 0) : 0, 1, "WRITES: a read's row "
	    "is written");
	T_OK(a != NULL && audit_unsynced(a), "WRITES: a row that changed "
	    "nothing is not synced at once");
	{
		int due = a != NULL ? audit_sync_due_ms(a) : -1;

		T_OK(due >= 0 && due <= AUDIT_SYNC_LAG_MS, "WRITES: it is due "
		    "within AUDIT_SYNC_LAG_MS (%d ms)", due);
	}
	ev_make(&ev, "alice", 200);
	ev.changes = 1;
	T_OK(a != NULL && audit_write(a, &ev, err, sizeof(err)) == 0 &&
	    !audit_unsynced(a), "WRITES: a row that may have changed data is "
	    "synced, with every row before it");
	T_EQ_INT(a != NULL ? audit_sync_due_ms(a) : 0, -1, "WRITES: then no "
	    "sync is due");
	audit_event_clear(&ev);

	/* What the CHECK constraints would refuse, audit_write refuses. */
	ev_make(&ev, "alice", 200);
	AUDIT_SET(ev.auth_result, "maybe");
	rc = a != NULL ? audit_write(a, &ev, err, sizeof(err)) : 0;
	T_OK(rc == -1, "a row with auth_result outside its CHECK list is "
	    "refused");
	audit_event_clear(&ev);
	ev_make(&ev, "alice", 200);
	AUDIT_SET(ev.idem_status, "again");
	rc = a != NULL ? audit_write(a, &ev, err, sizeof(err)) : 0;
	T_OK(rc == -1, "a row with idem_status outside its CHECK list is "
	    "refused");
	audit_event_clear(&ev);
	ev_make(&ev, "alice", 200);
	AUDIT_SET(ev.idem_status, "in_flight");
	AUDIT_SET(ev.auth_result, "revoked");
	AUDIT_SET(ev.decision, "deny");
	ev.retryable = 1;
	T_OK(a != NULL && audit_write(a, &ev, err, sizeof(err)) == 0,
	    "the last value of each CHECK list is accepted (%s)",
	    a != NULL ? "written" : err);
	audit_event_clear(&ev);
	audit_free(a);
	T_EQ_INT(sql_int(base, "SELECT count(*) FROM audit_events"), 6,
	    "exactly the six valid rows are in the log");
	T_EQ_INT(sql_int(base, "SELECT count(*) FROM audit_events WHERE "
	    "auth_result NOT IN ('ok', 'missing', 'invalid', 'expired', "
	    "'revoked', 'error') OR idem_status NOT IN ('new', 'replay', "
	    "'conflict', 'in_flight')"), 0, "no row breaks a CHECK list");
}

static void
test_sealed(void)
{
	struct auditchain_report rep;
	struct auditchain_opts o;
	struct auditchain_key keys[2];
	struct audit	*a;
	char		 err[BOUNDS_ERRMSG_LEN], *t;
	unsigned char	 kb[32];
	int		 rc;
	KEEP(base, "sealed.db");

	a = mk("{\"db\":\"sealed.db\",\"sealing_key\":\"k32\","
	    "\"synchronous\":\"NORMAL\"}", err, sizeof(err));
	if (a == NULL) {
		T_OK(0, "sealed writer: %s", err);
		return;
	}
	T_EQ_INT(write_n(a, 10, 0), 10, "10 sealed rows written");
	keys[0] = *audit_key(a);
	audit_free(a);
	memset(kb, 'z', sizeof(kb));
	if (auditchain_key_set(&keys[1], kb, sizeof(kb)) == -1)
		T_OK(0, "key_set");
	T_EQ_INT(sql_int(base, "SELECT count(*) FROM audit_events WHERE "
	    "chain_alg = 'hmac-sha256' AND seal_key_id IS NOT NULL"), 10,
	    "every row says hmac-sha256 and names its key");

	memset(&o, 0, sizeof(o));
	o.keys = keys;
	o.nkeys = 1;
	o.require_sealed = 1;
	rc = verify(base, &o, &rep);
	T_OK(rc == 0 && rep.status == AUDITCHAIN_OK && rep.sealed == 10,
	    "a sealed log verifies with its key (%s)", rep.detail);
	rc = verify(base, NULL, &rep);
	T_OK(rc == 0 && rep.status == AUDITCHAIN_UNVERIFIED &&
	    rep.unverified == 10, "without the key: links checked, MACs "
	    "not (%s)", rep.detail);
	o.keys = keys + 1;
	expect_broken("only another key given", base, &o, AUDITCHAIN_KEY, 1);
	o.keys = keys;

	t = in_dir("s-edit.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET outcome = 'tool_error' WHERE "
	    "seq = 4");
	expect_broken("an edited sealed row", t, &o, AUDITCHAIN_HASH, 4);
	T_OK(rehash(t, 4, &keys[1], NULL) == 0, "attacker re-MACs with a "
	    "guessed key");
	expect_broken("a row re-MACed with the wrong key", t, &o,
	    AUDITCHAIN_HASH, 4);

	t = in_dir("s-down.db");
	copy_file(base, t);
	tamper(t, "UPDATE audit_events SET outcome = 'tool_error' WHERE "
	    "seq = 4");
	T_OK(rehash(t, 4, NULL, "sha256") == 0, "attacker rewrites the row "
	    "as an unsealed SHA-256 row");
	expect_broken("a downgrade from HMAC to SHA-256", t, &o,
	    AUDITCHAIN_DOWNGRADE, 4);
	o.require_sealed = 0;
	expect_broken("a downgrade, sealing not required", t, &o,
	    AUDITCHAIN_DOWNGRADE, 4);
	auditchain_key_wipe(&keys[0]);
	auditchain_key_wipe(&keys[1]);
}

static void
test_retention(void)
{
	struct auditchain_report rep;
	struct audit	*a;
	char		 err[BOUNDS_ERRMSG_LEN], buf[128], *p, *t;
	int64_t		 now = (int64_t)time(NULL) * 1000000, del = -1;
	int		 rc;

	p = in_dir("ret.db");
	a = mk("{\"db\":\"ret.db\",\"synchronous\":\"NORMAL\"}", err,
	    sizeof(err));
	if (a == NULL) {
		T_OK(0, "retention writer: %s", err);
		return;
	}
	write_n(a, 6, now - (int64_t)10 * 86400 * 1000000);
	write_n(a, 4, now);
	T_OK(audit_prune(a, now - (int64_t)5 * 86400 * 1000000, &del, err,
	    sizeof(err)) == 0 && del == 6, "prune deletes the 6 old rows "
	    "(%lld)", (long long)del);
	T_OK(audit_prune(a, now - (int64_t)5 * 86400 * 1000000, &del, err,
	    sizeof(err)) == 0 && del == 0, "nothing more to prune: no marker");
	audit_free(a);
	T_EQ_INT(sql_int(p, "SELECT count(*) FROM audit_events WHERE "
	    "kind = 'retention'"), 1, "one retention marker");
	sql_text(p, "SELECT pruned_rows || ',' || first_kept_seq || ',' || "
	    "(cut_hash = (SELECT prev_hash FROM audit_events WHERE seq = 7)) "
	    "|| ',' || seq FROM audit_events WHERE kind = 'retention'", buf,
	    sizeof(buf));
	T_EQ_STR(buf, "6,7,1,11", "the marker: 6 deleted, first kept 7, the "
	    "chain hash at the cut, appended as row 11");
	rc = verify(p, NULL, &rep);
	T_OK(rc == 0 && rep.first_seq == 7 && rep.markers == 1,
	    "the chain verifies from the first kept row (%s)", rep.detail);
	t = in_dir("r-head.db");
	copy_file(p, t);
	tamper(t, "DELETE FROM audit_events WHERE seq = 7");
	expect_broken("a kept row deleted at the old end", t, NULL,
	    AUDITCHAIN_HEAD, 8);

	/* On the write path, everything old: the marker is the first row. */
	p = in_dir("ret2.db");
	a = mk("{\"db\":\"ret2.db\",\"retention_days\":1,"
	    "\"synchronous\":\"NORMAL\"}", err, sizeof(err));
	write_n(a, 5, now - (int64_t)3 * 86400 * 1000000);
	audit_free(a);
	sql_exec(p, "DELETE FROM audit_meta");
	a = mk("{\"db\":\"ret2.db\",\"retention_days\":1,"
	    "\"synchronous\":\"NORMAL\"}", err, sizeof(err));
	write_n(a, 2, 0);
	audit_free(a);
	sql_text(p, "SELECT group_concat(seq || ':' || kind, ' ') FROM "
	    "(SELECT seq, kind FROM audit_events ORDER BY seq)", buf,
	    sizeof(buf));
	T_EQ_STR(buf, "6:retention 7:request 8:request", "the write path "
	    "pruned once (then not again for a while): marker 6, rows 7, 8");
	rc = verify(p, NULL, &rep);
	T_OK(rc == 0 && rep.first_seq == 6, "and the chain verifies from the "
	    "marker (%s)", rep.detail);

	/* A batch limit: more than AUDIT_PRUNE_BATCH old rows. */
	p = in_dir("ret3.db");
	a = mk("{\"db\":\"ret3.db\",\"synchronous\":\"NORMAL\"}", err,
	    sizeof(err));
	write_n(a, AUDIT_PRUNE_BATCH + 3, now - (int64_t)9 * 86400 * 1000000);
	T_OK(audit_prune(a, now, &del, err, sizeof(err)) == 0 &&
	    del == AUDIT_PRUNE_BATCH, "one prune deletes at most "
	    "AUDIT_PRUNE_BATCH rows (%lld)", (long long)del);
	T_OK(audit_prune(a, now + (int64_t)86400 * 1000000, &del, err,
	    sizeof(err)) == 0 && del == 4, "the next prune takes the rest "
	    "(3 rows and the first marker)");
	audit_free(a);
	rc = verify(p, NULL, &rep);
	T_OK(rc == 0 && rep.rows == 1 && rep.markers == 1, "two prunes later "
	    "the newest marker alone verifies (%s)", rep.detail);
}

/* --- concurrency and SIGKILL --------------------------------------------- */

#define NPROC	6
#define NWRITES	40

static void
test_concurrency(void)
{
	struct auditchain_report rep;
	char		 err[BOUNDS_ERRMSG_LEN], *p = in_dir("conc.db");
	pid_t		 pids[NPROC];
	int		 i, status, ok = 1, pfd[2];

	/* Create it first, so the children only append. */
	{
		struct audit *a = mk("{\"db\":\"conc.db\"}", err, sizeof(err));

		T_OK(a != NULL && audit_open(a, err, sizeof(err)) == 0,
		    "concurrency log created");
		audit_free(a);
	}
	if (pipe(pfd) == -1)
		return;
	for (i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == 0) {
			struct audit *a;
			char	 c;

			close(pfd[1]);
			if (read(pfd[0], &c, 1) < 0)
				_exit(3);
			a = mk("{\"db\":\"conc.db\",\"synchronous\":\"FULL\"}",
			    err, sizeof(err));
			if (a == NULL)
				_exit(2);
			i = write_n(a, NWRITES, 0);
			audit_free(a);
			_exit(i == NWRITES ? 0 : 1);
		}
	}
	close(pfd[0]);
	close(pfd[1]);	/* go */
	for (i = 0; i < NPROC; i++)
		if (waitpid(pids[i], &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			ok = 0;
	T_OK(ok, "%d processes each wrote %d rows at once", NPROC, NWRITES);
	T_EQ_INT(sql_int(p, "SELECT count(*) FROM audit_events"),
	    NPROC * NWRITES, "no row lost");
	T_OK(verify(p, NULL, &rep) == 0 && rep.rows == NPROC * NWRITES &&
	    rep.last_seq == NPROC * NWRITES, "one unbroken chain, seq 1..%d "
	    "(%s)", NPROC * NWRITES, rep.detail);
}

/*
 * Writers report each committed row's request id on a pipe; one is
 * SIGKILLed mid-stream.  Every reported row must be there, the file
 * intact and the chain unbroken.
 */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_sigkill(void)
{
	struct auditchain_report rep;
	struct pollfd	 pf;
	char		 err[BOUNDS_ERRMSG_LEN], *p = in_dir("kill.db");
	char		*buf = NULL, q[200], got[80];
	pid_t		 pids[4];
	int		 i, pfd[2], missing = 0, n = 0, killed = 0;
	ssize_t		 r;
	size_t		 off = 0, cap = 0;
	int64_t		 start;

	if (pipe(pfd) == -1)
		return;
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == 0) {
			struct audit	*a;
			struct audit_event ev;
			int		 k;

			close(pfd[0]);
			a = mk("{\"db\":\"kill.db\",\"synchronous\":\"FULL\"}",
			    err, sizeof(err));
			for (k = 0; a != NULL && k < (i == 0 ? 1000000 : 60);
			    k++) {
				ev_make(&ev, "bob", 200);
				if (audit_write(a, &ev, err, sizeof(err)) == 0 &&
				    write(pfd[1], ev.request_id, 33) != 33)
					_exit(4);
				audit_event_clear(&ev);
			}
			_exit(0);
		}
	}
	close(pfd[1]);
	start = mono_ms();
	pf.fd = pfd[0];
	pf.events = POLLIN;
	for (;;) {
		if (!killed && mono_ms() - start >= 400) {
			kill(pids[0], SIGKILL);	/* mid-stream, mid-write */
			killed = 1;
		}
		if (poll(&pf, 1, 50) <= 0)
			continue;
		if (off + 4096 > cap) {
			char *nb = realloc(buf, cap + 65536);

			if (nb == NULL)
				break;
			buf = nb;
			cap += 65536;
		}
		if ((r = read(pfd[0], buf + off, 4096)) <= 0)
			break;
		off += (size_t)r;
	}
	close(pfd[0]);
	for (i = 0; i < 4; i++)
		waitpid(pids[i], NULL, 0);
	for (i = 0; (size_t)(i + 1) * 33 <= off; i++) {
		snprintf(q, sizeof(q), "SELECT count(*) FROM audit_events WHERE "
		    "request_id = '%.32s'", buf + 33 * i);
		if (sql_int(p, q) != 1)
			missing++;
		n++;
	}
	free(buf);
	T_OK(n > 180 && missing == 0, "every one of the %d rows reported "
	    "committed is in the log (%d missing) after a SIGKILL", n,
	    missing);
	sql_text(p, "PRAGMA integrity_check", got, sizeof(got));
	T_EQ_STR(got, "ok", "integrity_check after the SIGKILL");
	T_OK(verify(p, NULL, &rep) == 0 && rep.rows >= n, "the chain is "
	    "unbroken (%s)", rep.detail);
}

/* --- syslog -------------------------------------------------------------- */

/*
 * Writes a denied row whose argument "memo" is len bytes and receives its
 * syslog line.  Returns the length of the line's JSON part, or -1.
 */
static int
syslog_line(struct audit *a, int fd, size_t len, char *dg, size_t dglen)
{
	struct audit_event ev;
	char		 err[BOUNDS_ERRMSG_LEN], *memo;
	json_t		*args;
	const char	*msg;
	ssize_t		 n;

	if (a == NULL || (memo = malloc(len + 1)) == NULL)
		return -1;
	memset(memo, 'm', len);
	memo[len] = '\0';
	args = json_pack("{s:s}", "memo", memo);
	free(memo);
	ev_make(&ev, "carol", 403);
	AUDIT_SET(ev.decision, "deny");
	ev.latency_us = 1000;	/* a fixed width */
	n = -1;
	if (audit_event_args(a, &ev, NULL, args) == 0 &&
	    audit_write(a, &ev, err, sizeof(err)) == 0)
		n = recv(fd, dg, dglen - 1, 0);
	json_decref(args);
	audit_event_clear(&ev);
	dg[n > 0 ? n : 0] = '\0';
	msg = strstr(dg, "]: ");
	return msg != NULL ? (int)strlen(msg + 3) : -1;
}

static void
test_syslog(void)
{
	struct sockaddr_un sun;
	struct audit	*a;
	struct audit_event ev;
	char		 err[BOUNDS_ERRMSG_LEN], json[600], dg[16384];
	char		*sock = in_dir("log.sock");
	json_t		*v, *args;
	ssize_t		 n;
	int		 fd;
	struct timeval	 tv = { 2, 0 };
	const char	*msg;

	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		T_OK(0, "bind %s: %s", sock, strerror(errno));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(json, sizeof(json), "{\"db\":\"sys.db\",\"syslog\":"
	    "{\"facility\":\"local3\",\"socket\":\"%s\"}}", sock);
	a = mk(json, err, sizeof(err));
	if (a == NULL) {
		T_OK(0, "syslog writer: %s", err);
		close(fd);
		return;
	}
	ev_make(&ev, "carol", 200);
	args = J("{\"password\":\"SYSLOG-SECRET-1\",\"n\":1}");
	if (audit_event_args(a, &ev, NULL, args) == -1)
		T_OK(0, "args");
	json_decref(args);
	T_OK(audit_write(a, &ev, err, sizeof(err)) == 0, "row written with "
	    "the mirror on");
	n = recv(fd, dg, sizeof(dg) - 1, 0);
	dg[n > 0 ? n : 0] = '\0';
	T_OK(n > 0 && strncmp(dg, "<158>", 5) == 0 &&
	    strstr(dg, " mcpgate-audit[") != NULL, "one datagram: <local3."
	    "info> ... mcpgate-audit[pid]: (%.40s)", dg);
	msg = strstr(dg, "]: ");
	v = msg ? json_loads(msg + 3, 0, NULL) : NULL;
	T_OK(v != NULL && strcmp(json_string_value(json_object_get(v,
	    "request_id")), ev.request_id) == 0 &&
	    json_integer_value(json_object_get(v, "seq")) == 1 &&
	    json_is_string(json_object_get(v, "row_hash")) &&
	    json_is_object(json_object_get(v, "args_redacted")) &&
	    json_object_get(v, "token_iss") == NULL, "the line is the row "
	    "as one JSON object (NULL columns left out)");
	T_OK(strstr(dg, "SYSLOG-SECRET-1") == NULL, "no secret in the "
	    "syslog line");
	json_decref(v);
	audit_event_clear(&ev);

	/*
	 * BOUNDS_AUDIT_SYSLOG_LEN at N and N+1: measure one line, then size
	 * the argument so the JSON is exactly N, then N+1 bytes.
	 */
	{
		struct audit	*b;
		int		 len0, lenN, lenN1;
		char		 kept[40];

		snprintf(json, sizeof(json), "{\"db\":\"sys.db\",\"max_string\":"
		    "65536,\"syslog\":{\"facility\":\"local3\",\"socket\":"
		    "\"%s\"}}", sock);
		b = mk(json, err, sizeof(err));
		len0 = syslog_line(b, fd, 100, dg, sizeof(dg));
		lenN = syslog_line(b, fd, 100 + BOUNDS_AUDIT_SYSLOG_LEN - len0,
		    dg, sizeof(dg));
		snprintf(kept, sizeof(kept), "%s", strstr(dg,
		    "\"args_omitted\"") ? "omitted" : "kept");
		T_OK(lenN == BOUNDS_AUDIT_SYSLOG_LEN && strcmp(kept, "kept") == 0
		    && strncmp(dg, "<156>", 5) == 0, "a syslog line of "
		    "BOUNDS_AUDIT_SYSLOG_LEN bytes keeps the arguments (%d, %s); "
		    "a denial is a warning", lenN, kept);
		lenN1 = syslog_line(b, fd, 101 + BOUNDS_AUDIT_SYSLOG_LEN - len0,
		    dg, sizeof(dg));
		T_OK(lenN1 > 0 && lenN1 < 1024 &&
		    strstr(dg, "\"args_omitted\":true") != NULL &&
		    strstr(dg, "mmmm") == NULL, "one byte more: the line leaves "
		    "the arguments out (%d bytes)", lenN1);
		audit_free(b);
	}
	audit_event_clear(&ev);
	audit_free(a);
	close(fd);
	unlink(sock);
}

/* --- the endpoint: one row per request ----------------------------------- */

struct resp {
	int	 status;
	char	 rid[64];
	char	 tp[64];
	char	 sid[80];
	char	*body;
};

static struct endpoint *ep;
static int	 nreq;

/* One request; extra is NULL-terminated "NAME=value" CGI variables. */
static void
req(const char *method, const char *uri, const char *body, int too_large,
    struct resp *out, ...)
{
	char		*env[40], m[64], u[600], cl[64];
	const char	*defaults[] = { "GATEWAY_INTERFACE=CGI/1.1",
	    "SERVER_ADDR=127.0.0.1", "REMOTE_ADDR=127.0.0.1",
	    "HTTP_HOST=127.0.0.1:8080", "CONTENT_TYPE=application/json",
	    "HTTP_ACCEPT=application/json, text/event-stream",
	    "HTTP_USER_AGENT=unit-test/1.0", NULL };
	struct http_req	 h;
	struct http_resp rs;
	va_list		 ap;
	const char	*x;
	size_t		 n = 0, i, k;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[n++] = m;
	env[n++] = u;
	va_start(ap, out);
	while ((x = va_arg(ap, const char *)) != NULL && n < 30)
		env[n++] = (char *)x;
	va_end(ap);
	for (i = 0; defaults[i] != NULL; i++) {
		size_t nl = strcspn(defaults[i], "=");
		int found = 0;

		for (k = 0; k < n; k++)
			if (strncmp(env[k], defaults[i], nl + 1) == 0)
				found = 1;
		if (!found)
			env[n++] = (char *)defaults[i];
	}
	if (body != NULL) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
		env[n++] = cl;
	}
	env[n] = NULL;
	memset(&h, 0, sizeof(h));
	memset(&rs, 0, sizeof(rs));
	h.env = env;
	h.body = too_large ? NULL : body;
	h.bodylen = body && !too_large ? strlen(body) : 0;
	h.body_too_large = too_large;
	endpoint_handle(ep, &h, &rs);
	nreq++;
	memset(out, 0, sizeof(*out));
	out->status = rs.status;
	for (i = 0; i < rs.nhdr; i++) {
		if (strcasecmp(rs.hdr[i].name, "X-Request-Id") == 0)
			snprintf(out->rid, sizeof(out->rid), "%s",
			    rs.hdr[i].value);
		if (strcasecmp(rs.hdr[i].name, "traceparent") == 0)
			snprintf(out->tp, sizeof(out->tp), "%s",
			    rs.hdr[i].value);
		if (strcasecmp(rs.hdr[i].name, "Mcp-Session-Id") == 0)
			snprintf(out->sid, sizeof(out->sid), "%s",
			    rs.hdr[i].value);
	}
	if (rs.body != NULL)
		out->body = strndup(rs.body, rs.bodylen);
	http_resp_reset(&rs);
}

/*
 * Checks the row of request rid against spec: "col=value ..." where value
 * NULL means SQL NULL and "*" any non-NULL value.
 */
static void
row(const char *name, const struct resp *r, const char *spec)
{
	char		*copy = strdup(spec), *tok, *save = NULL, q[512];
	char		 got[1024], bad[2048];
	int		 ok = 1;
	KEEP(db, "ep-audit.db");


	bad[0] = '\0';
	for (tok = strtok_r(copy, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (eq == NULL)
			continue;
		*eq = '\0';
		snprintf(q, sizeof(q), "SELECT CAST(%s AS TEXT) FROM "
		    "audit_events WHERE request_id = '%s'", tok, r->rid);
		sql_text(db, q, got, sizeof(got));
		if (strcmp(eq + 1, "*") == 0 ? strcmp(got, "NULL") == 0 ||
		    strcmp(got, "(no row)") == 0 : strcmp(got, eq + 1) != 0) {
			ok = 0;
			snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
			    " %.64s=%.400s (want %.400s)", tok, got, eq + 1);
		}
	}
	free(copy);
	T_OK(ok, "row of %s:%s", name, ok ? " as expected" : bad);
}

static void
resp_free(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

#define BODY(m, p) "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" m "\"" \
    ",\"params\":" p "}"

static void
test_endpoint(void)
{
	struct config	*cfg;
	struct resp	 r;
	struct store	*st;
	char		 err[BOUNDS_ERRMSG_LEN], key[APIKEY_LEN + 1];
	char		 auth[APIKEY_LEN + 40], sidh[120], badkey[APIKEY_LEN + 40];
	static char	 badraw[APIKEY_LEN + 1], key2[APIKEY_LEN + 1];
	char		 auth2[APIKEY_LEN + 40], sidb[120];
	char		 sidhash[DIGEST_HEX_LEN + 1], q[300], *s;
	const char	*secrets[8];
	int		 i, nsecrets = 0, before;
	KEEP(db, "ep-audit.db");
	KEEP(wal, "ep-audit.db-wal");
	KEEP(notes, "notes.db");

	struct auditchain_report rep;

	sql_exec(in_dir("notes.db"), "CREATE TABLE notes (id INTEGER "
	    "PRIMARY KEY, body TEXT NOT NULL)");
	s = in_dir("ep.json");
	{
		const char *c =
		    "{\"server\":{\"name\":\"unit\",\"state_db\":\"ep-state.db\","
		    "\"max_body_bytes\":4096,\"allowed_origins\":"
		    "[\"http://127.0.0.1:8080\"]},"
		    "\"auth\":{\"mode\":\"required\",\"throttle\":{\"failures\":3,"
		    "\"window_seconds\":60,\"block_seconds\":60}},"
		    "\"audit\":{\"db\":\"ep-audit.db\",\"host_id\":\"unit-host\","
		    "\"synchronous\":\"NORMAL\"},"
		    "\"databases\":{\"notes\":{\"path\":\"notes.db\"}},"
		    "\"tools\":["
		    "{\"name\":\"hello\",\"kind\":\"static\",\"content\":"
		    "[{\"type\":\"text\",\"text\":\"hi\"}]},"
		    "{\"name\":\"probe\",\"kind\":\"static\",\"scope\":\"probe:call\","
		    "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}],"
		    "\"input_schema\":{\"type\":\"object\",\"properties\":{"
		    "\"user\":{\"type\":\"string\"},"
		    "\"otp\":{\"type\":\"string\",\"x-redact\":true},"
		    "\"phrase\":{\"type\":\"string\",\"writeOnly\":true},"
		    "\"nested\":{\"type\":\"object\",\"properties\":"
		    "{\"api_key\":{\"type\":\"string\"}}}}}},"
		    "{\"name\":\"admin_tool\",\"kind\":\"static\",\"scope\":\"admin\","
		    "\"content\":[{\"type\":\"text\",\"text\":\"x\"}]},"
		    "{\"name\":\"failing\",\"kind\":\"static\",\"is_error\":true,"
		    "\"content\":[{\"type\":\"text\",\"text\":\"no\"}]},"
		    "{\"name\":\"limited\",\"kind\":\"static\",\"rate_limit\":"
		    "{\"per_minute\":1,\"burst\":1},"
		    "\"content\":[{\"type\":\"text\",\"text\":\"x\"}]},"
		    "{\"name\":\"add_note\",\"kind\":\"sql\",\"database\":\"notes\","
		    "\"sql\":\"INSERT INTO notes (body) VALUES (:body)\","
		    "\"result\":\"exec\",\"scope\":\"probe:call\","
		    "\"input_schema\":{\"type\":\"object\",\"properties\":"
		    "{\"body\":{\"type\":\"string\"}},\"required\":[\"body\"]}}"
		    "]}";
		write_file(s, c, strlen(c));
	}
	if ((cfg = config_load(s, 0, err, sizeof(err))) == NULL ||
	    (ep = endpoint_new(cfg, err, sizeof(err))) == NULL) {
		T_OK(0, "endpoint: %s", err);
		config_free(cfg);
		return;
	}
	if ((st = store_open(cfg->state_db, err, sizeof(err))) == NULL ||
	    apikey_store_create(store_db(st), "alice", "probe:call", time(NULL),
	    0, key) == -1 || apikey_store_create(store_db(st), "bob", NULL,
	    time(NULL), 0, key2) == -1) {
		T_OK(0, "key: %s", err);
		store_close(st);
		return;
	}
	store_close(st);
	snprintf(auth, sizeof(auth), "HTTP_AUTHORIZATION=Bearer %s", key);
	secrets[nsecrets++] = key;
	secrets[nsecrets++] = strrchr(key, '_') + 1;	/* the secret part */
	/* A well-formed key that does not exist: its secret part too. */
	if (apikey_generate(badraw) == -1)
		T_OK(0, "apikey_generate");
	secrets[nsecrets++] = strrchr(badraw, '_') + 1;
	snprintf(badkey, sizeof(badkey), "HTTP_AUTHORIZATION=Bearer %s",
	    badraw);
	secrets[nsecrets++] = "COOKIE-SECRET-7";
	secrets[nsecrets++] = "OTP-SECRET-8";
	secrets[nsecrets++] = "PHRASE-SECRET-9";
	secrets[nsecrets++] = "NESTED-APIKEY-SECRET-10";
	secrets[nsecrets++] = "QUERY-SECRET-11";
	nreq = 0;

	req("GET", "/.well-known/oauth-protected-resource/mcp?t=QUERY-SECRET-11",
	    NULL, 0, &r, NULL);
	row("PRM GET", &r, "http_status=200 outcome=ok auth_result=NULL "
	    "decision=NULL http_method=GET http_path=/.well-known/oauth-"
	    "protected-resource/mcp host_id=unit-host kind=request "
	    "user_agent=unit-test/1.0 client_addr=127.0.0.1");
	T_OK(strlen(r.rid) == 32 && strlen(r.tp) == 55, "X-Request-Id and "
	    "traceparent on every response (%s %s)", r.rid, r.tp);
	resp_free(&r);
	req("POST", "/.well-known/oauth-protected-resource", "{}", 0, &r, NULL);
	row("PRM POST 405", &r, "http_status=405 outcome=http_error "
	    "error_code=method_not_allowed");
	resp_free(&r);
	req("GET", "/nope", NULL, 0, &r, NULL);
	row("404", &r, "http_status=404 outcome=http_error "
	    "error_category=not_found rpc_error_code=-32600");
	resp_free(&r);
	req("GET", "/mcp", NULL, 0, &r, NULL);
	row("GET 405", &r, "http_status=405 outcome=http_error "
	    "error_category=protocol error_code=method_not_allowed "
	    "principal=NULL");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, NULL);
	row("no credential", &r, "http_status=401 outcome=auth_error "
	    "error_category=authentication error_code=credential_missing "
	    "auth_result=missing decision=deny decision_reason=unauthenticated "
	    "principal=NULL retryable=0 rpc_method=NULL");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, badkey, NULL);
	row("unknown key", &r, "http_status=401 auth_result=invalid "
	    "auth_method=apikey key_id=* error_code=credential_invalid "
	    "decision=deny");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r,
	    "HTTP_AUTHORIZATION=Basic Q09PS0lFLVNFQ1JFVC03", NULL);
	row("Basic credential", &r, "http_status=401 auth_result=missing");
	resp_free(&r);

	req("POST", "/mcp", BODY("initialize", "{\"protocolVersion\":"
	    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":"
	    "\"unit\",\"version\":\"1\"}}"), 0, &r, auth,
	    "HTTP_COOKIE=session=COOKIE-SECRET-7", NULL);
	snprintf(sidh, sizeof(sidh), "HTTP_MCP_SESSION_ID=%s", r.sid);
	digest_sha256_hex(r.sid, strlen(r.sid), sidhash);
	snprintf(q, sizeof(q), "http_status=200 outcome=ok rpc_method="
	    "initialize rpc_id=1 principal=alice auth_method=apikey "
	    "auth_result=ok decision=allow decision_reason=authenticated "
	    "protocol_version=2025-11-25 session_hash=%s", sidhash);
	row("initialize", &r, q);
	resp_free(&r);
	req("POST", "/mcp", "{\"jsonrpc\":\"2.0\",\"method\":"
	    "\"notifications/initialized\"}", 0, &r, auth, sidh,
	    "HTTP_MCP_PROTOCOL_VERSION=2025-11-25", NULL);
	snprintf(q, sizeof(q), "http_status=202 outcome=ok rpc_method="
	    "notifications/initialized rpc_id=NULL session_hash=%s", sidhash);
	row("notification", &r, q);
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/list", "{}"), 0, &r, auth, sidh, NULL);
	row("tools/list", &r, "http_status=200 outcome=ok tool=NULL "
	    "protocol_version=2025-03-26");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"hello\"}"), 0, &r,
	    auth, sidh, NULL);
	row("tools/call hello", &r, "outcome=ok tool=hello decision=allow "
	    "decision_reason=no_scope_required scope_required=NULL "
	    "args_redacted={} args_digest=* latency_us=* bytes_in=* "
	    "bytes_out=*");
	resp_free(&r);
	for (i = 0; i < 2; i++) {
		req("POST", "/mcp", BODY("tools/call", "{\"name\":\"probe\","
		    "\"arguments\":{\"user\":\"ada\",\"otp\":\"OTP-SECRET-8\","
		    "\"phrase\":\"PHRASE-SECRET-9\",\"nested\":{\"api_key\":"
		    "\"NESTED-APIKEY-SECRET-10\"}}}"), 0, &r, auth, sidh,
		    "HTTP_TRACEPARENT=00-0af7651916cd43dd8448eb211c80319c-"
		    "b7ad6b7169203331-01", NULL);
		row("tools/call probe (secrets in marked arguments)", &r,
		    "outcome=ok tool=probe scope_required=probe:call "
		    "decision_reason=scope_granted trace_id=0af7651916cd43dd"
		    "8448eb211c80319c parent_span_id=b7ad6b7169203331 "
		    "args_redacted={\"nested\":{\"api_key\":\"[redacted]\"},"
		    "\"otp\":\"[redacted]\",\"phrase\":\"[redacted]\","
		    "\"user\":\"ada\"}");
		T_OK(strncmp(r.tp, "00-0af7651916cd43dd8448eb211c80319c-", 36)
		    == 0, "the response continues the caller's trace");
		resp_free(&r);
	}
	T_EQ_INT(sql_int(db, "SELECT count(DISTINCT args_digest) FROM "
	    "audit_events WHERE tool = 'probe'"), 1, "the repeated call has "
	    "the same digest");
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"probe\","
	    "\"arguments\":{\"user\":5}}"), 0, &r, auth, sidh, NULL);
	row("validation error", &r, "http_status=200 outcome=tool_error "
	    "error_category=validation error_code=invalid_arguments "
	    "retryable=0");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"failing\"}"), 0,
	    &r, auth, sidh, NULL);
	row("tool that reports an error", &r, "outcome=tool_error "
	    "error_category=NULL error_code=tool_reported");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"nope\","
	    "\"arguments\":{\"password\":\"x\"}}"), 0, &r, auth, sidh, NULL);
	row("unknown tool", &r, "outcome=protocol_error error_category="
	    "protocol error_code=unknown_tool rpc_error_code=-32602 tool=nope "
	    "scope_required=NULL args_redacted={\"password\":\"[redacted]\"}");
	resp_free(&r);
	req("POST", "/mcp", BODY("frobnicate", "{}"), 0, &r, auth, sidh, NULL);
	row("unknown method", &r, "outcome=protocol_error error_code="
	    "method_not_found rpc_error_code=-32601 rpc_method=frobnicate");
	resp_free(&r);
	req("POST", "/mcp", "{\"jsonrpc\":\"2.0\",\"id\":7,", 0, &r, auth,
	    sidh, NULL);
	row("bad JSON", &r, "http_status=400 outcome=protocol_error "
	    "error_code=parse_error rpc_error_code=-32700 rpc_method=NULL");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, sidh,
	    "HTTP_ACCEPT=text/html", NULL);
	row("406", &r, "http_status=406 outcome=http_error "
	    "error_code=not_acceptable decision=allow");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, sidh,
	    "CONTENT_TYPE=text/plain", NULL);
	row("415", &r, "http_status=415 error_code=unsupported_media_type");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 1, &r, auth, sidh, NULL);
	row("413", &r, "http_status=413 error_category=validation "
	    "error_code=content_too_large bytes_in=0");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"admin_tool\"}"), 0,
	    &r, auth, sidh, NULL);
	row("403 scope", &r, "http_status=403 outcome=auth_error "
	    "error_category=authorization error_code=insufficient_scope "
	    "decision=deny decision_reason=insufficient_scope "
	    "scope_required=admin rpc_error_code=-32001 auth_result=ok");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, sidh,
	    "HTTP_ORIGIN=http://evil.example", NULL);
	row("403 origin", &r, "http_status=403 outcome=http_error "
	    "error_code=origin_not_allowed decision=deny auth_result=NULL");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"limited\"}"), 0,
	    &r, auth, sidh, NULL);
	row("rate limit, first call", &r, "outcome=ok");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"limited\"}"), 0,
	    &r, auth, sidh, NULL);
	row("rate limited", &r, "outcome=tool_error error_category="
	    "rate_limited retryable=1 retry_after_ms=*");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"add_note\","
	    "\"arguments\":{\"body\":\"n1\"}}"), 0, &r, auth, sidh,
	    "HTTP_IDEMPOTENCY_KEY=idem-1", NULL);
	row("write, new key", &r, "outcome=ok idem_status=new "
	    "idem_key_hash=*");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"add_note\","
	    "\"arguments\":{\"body\":\"n1\"}}"), 0, &r, auth, sidh,
	    "HTTP_IDEMPOTENCY_KEY=idem-1", NULL);
	row("write, replay", &r, "outcome=ok idem_status=replay");
	resp_free(&r);
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"add_note\","
	    "\"arguments\":{\"body\":\"n2\"}}"), 0, &r, auth, sidh,
	    "HTTP_IDEMPOTENCY_KEY=idem-1", NULL);
	row("write, conflict", &r, "outcome=tool_error "
	    "error_category=conflict idem_status=conflict");
	resp_free(&r);
	T_EQ_INT(sql_int(db, "SELECT count(DISTINCT idem_key_hash) FROM "
	    "audit_events WHERE tool = 'add_note'"), 1, "one key hash for "
	    "the three calls, never the key itself");
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, NULL);
	row("no session", &r, "http_status=400 error_code=session_required");
	resp_free(&r);
	/* Bob's session, presented by alice: the client sees 404. */
	snprintf(auth2, sizeof(auth2), "HTTP_AUTHORIZATION=Bearer %s", key2);
	req("POST", "/mcp", BODY("initialize", "{\"protocolVersion\":"
	    "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":"
	    "\"unit\",\"version\":\"1\"}}"), 0, &r, auth2, NULL);
	snprintf(sidb, sizeof(sidb), "HTTP_MCP_SESSION_ID=%s", r.sid);
	row("initialize as bob", &r, "principal=bob outcome=ok");
	resp_free(&r);
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, sidb, NULL);
	row("another principal's session", &r, "http_status=404 "
	    "outcome=http_error error_category=authorization "
	    "error_code=session_foreign decision=deny "
	    "decision_reason=session_foreign principal=alice");
	resp_free(&r);
	req("DELETE", "/mcp", NULL, 0, &r, auth, sidb, NULL);
	row("DELETE of another principal's session", &r, "http_status=404 "
	    "error_code=session_foreign decision=deny");
	resp_free(&r);
	req("DELETE", "/mcp", NULL, 0, &r, auth, "HTTP_MCP_SESSION_ID="
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    NULL);
	row("DELETE of an unknown session", &r, "http_status=404 "
	    "error_category=not_found error_code=session_not_found "
	    "decision=allow");
	resp_free(&r);
	req("DELETE", "/mcp", NULL, 0, &r, auth, sidh, NULL);
	row("DELETE", &r, "http_status=204 outcome=ok http_method=DELETE");
	resp_free(&r);
	req("HEAD", "/.well-known/oauth-protected-resource", NULL, 0, &r,
	    NULL);
	row("HEAD metadata", &r, "http_status=200 outcome=ok bytes_out=0");
	resp_free(&r);
	for (i = 0; i < 3; i++) {
		req("POST", "/mcp", BODY("ping", "{}"), 0, &r, badkey,
		    "REMOTE_ADDR=10.9.9.9", NULL);
		resp_free(&r);
	}
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth,
	    "REMOTE_ADDR=10.9.9.9", NULL);
	row("throttled", &r, "http_status=429 outcome=auth_error "
	    "error_category=rate_limited error_code=auth_throttled "
	    "decision=deny decision_reason=throttled retry_after_ms=* "
	    "client_addr=10.9.9.9 auth_result=NULL");
	resp_free(&r);

	T_EQ_INT(sql_int(db, "SELECT count(*) FROM audit_events WHERE "
	    "kind = 'request'"), nreq, "one row per request (%d)", nreq);
	T_EQ_INT(sql_int(db, "SELECT count(DISTINCT request_id) FROM "
	    "audit_events"), nreq, "every row has its own request id");
	for (i = 0; i < nsecrets; i++) {
		T_OK(!file_has(db, secrets[i]) &&
		    !file_has(wal, secrets[i]),
		    "secret %d (%.12s...) is in neither audit.db nor its WAL", i,
		    secrets[i]);
	}
	T_OK(!file_has(db, "Bearer") && !file_has(wal,
	    "Bearer"), "no Authorization header value is stored");
	T_OK(verify(db, NULL, &rep) == 0 && rep.rows == nreq,
	    "the chain verifies (%s)", rep.detail);

	/* Fail closed: a row that cannot be written withholds the result. */
	sql_exec(db, "CREATE TRIGGER t_fail BEFORE INSERT ON audit_events "
	    "BEGIN SELECT RAISE(ABORT, 'disk full, say'); END");
	before = (int)sql_int(notes, "SELECT count(*) FROM notes");
	req("POST", "/mcp", BODY("ping", "{}"), 0, &r, auth, NULL);
	T_OK(r.status == 503 && r.body != NULL && strstr(r.body, "audit") &&
	    strlen(r.rid) == 32, "audit write fails: 503 with a request id "
	    "(%d)", r.status);
	resp_free(&r);
	sql_exec(db, "DROP TRIGGER t_fail");
	T_EQ_INT(sql_int(db, "SELECT count(*) FROM audit_events WHERE "
	    "kind = 'request'"), nreq - 1, "and no row for it");
	(void)before;
	endpoint_free(ep);
	config_free(cfg);
	for (i = 0; i < nsecrets; i++)
		T_OK(!file_has(db, secrets[i]), "after close, secret %d is "
		    "not in audit.db", i);

	/* An audit log that cannot be opened: nothing runs at all. */
	s = in_dir("ep2.json");
	{
		const char *c = "{\"auth\":{\"mode\":\"none\"},\"audit\":{\"db\":"
		    "\"no/such/dir/audit.db\"},\"databases\":{\"notes\":"
		    "{\"path\":\"notes.db\"}},\"server\":{\"sessions\":false},"
		    "\"tools\":[{\"name\":\"add_note\",\"kind\":\"sql\","
		    "\"database\":\"notes\",\"sql\":\"INSERT INTO notes (body) "
		    "VALUES ('x')\",\"result\":\"exec\"}]}";
		write_file(s, c, strlen(c));
	}
	before = (int)sql_int(notes, "SELECT count(*) FROM notes");
	if ((cfg = config_load(s, 0, err, sizeof(err))) == NULL ||
	    (ep = endpoint_new(cfg, err, sizeof(err))) == NULL) {
		T_OK(0, "endpoint 2: %s", err);
		config_free(cfg);
		return;
	}
	req("POST", "/mcp", BODY("tools/call", "{\"name\":\"add_note\"}"), 0,
	    &r, NULL);
	T_OK(r.status == 503 && r.body && strstr(r.body, "nothing was done"),
	    "audit log unavailable: 503, nothing was done (%d)", r.status);
	resp_free(&r);
	T_EQ_INT(sql_int(notes, "SELECT count(*) FROM notes"),
	    before, "and the write tool did not run");
	endpoint_free(ep);
	config_free(cfg);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/mcpgate.json", dir);
	write_file(cfgpath, "{}", 2);
	test_config();
	test_text();
	test_trace();
	test_args();
	test_chain();
	test_sync();
	test_sealed();
	test_retention();
	test_concurrency();
	test_sigkill();
	test_syslog();
	test_endpoint();
	if (t_failed == 0) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return t_done();
}
