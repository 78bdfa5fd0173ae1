/*
 * test_apikey.c -- API key format, checksum, hashing and the api_keys
 * table, on a temporary SQLite database migrated with
 * sql/002_state_api_keys.sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <openssl/evp.h>

#include "apikey.h"
#include "authres.h"
#include "bounds.h"
#include "t.h"

#define MIGRATION	"sql/002_state_api_keys.sql"
#define NOW		1800000000

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if (n < 0 || (buf = calloc(1, (size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* An independent re-implementation of the checksum suffix. */
static void
set_crc(char *key)
{
	unsigned int	 v = apikey_checksum(key, APIKEY_LEN - APIKEY_CRC_LEN);
	int		 i;

	for (i = APIKEY_LEN - 1; i >= APIKEY_LEN - APIKEY_CRC_LEN; i--) {
		key[i] = b62[v % 62];
		v /= 62;
	}
}

static sqlite3 *
db_open(const char *path, const char *schema)
{
	sqlite3	*db = NULL;
	char	*msg = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(db, 2000);
	if (schema != NULL && sqlite3_exec(db, schema, NULL, NULL,
	    &msg) != SQLITE_OK) {
		fprintf(stderr, "migration: %s\n", msg);
		sqlite3_free(msg);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static int
last_cb(const struct apikey_info *i, void *arg)
{
	struct apikey_info	*last = arg;

	*last = *i;
	return 0;
}

static int
stop_cb(const struct apikey_info *i, void *arg)
{
	return 7;
}

static time_t
last_used_of(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;
	time_t		 t = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(last_used, 0) FROM "
	    "api_keys WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = (time_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}

static void
test_format(void)
{
	char	 k1[APIKEY_LEN + 1], k2[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char	 bad[APIKEY_LEN + 2];
	size_t	 i;
	int	 allb62 = 1;

	T_EQ_INT(APIKEY_LEN, 56, "key length constant is 56");
	T_EQ_INT(apikey_checksum("123456789", 9), 0xcbf43926U,
	    "CRC-32 check value (IEEE 802.3)");
	T_EQ_INT(apikey_generate(k1), 0, "generate");
	T_EQ_INT(apikey_generate(k2), 0, "generate again");
	T_EQ_INT(strlen(k1), APIKEY_LEN, "generated key has 56 chars");
	T_OK(strncmp(k1, "mcpk_", 5) == 0, "prefix mcpk_");
	T_OK(k1[17] == '_', "separator after the 12-char id");
	for (i = 5; i < APIKEY_LEN; i++)
		if (i != 17 && strchr(b62, k1[i]) == NULL)
			allb62 = 0;
	T_OK(allb62, "id, secret and checksum are base62");
	T_OK(strcmp(k1, k2) != 0, "two keys differ");
	T_EQ_INT(apikey_parse(k1, strlen(k1), id), 0, "parse own key");
	T_OK(strncmp(id, k1 + 5, 12) == 0 && strlen(id) == 12,
	    "parse returns the id");
	T_OK(apikey_is_apikey(k1, strlen(k1)), "dispatch: looks like a key");
	T_OK(!apikey_is_apikey("eyJhbGciOi", 10), "dispatch: JWT is not");
	T_OK(!apikey_is_apikey("mcpk", 4), "dispatch: short prefix is not");

	/* One changed secret character: the checksum catches it. */
	memcpy(bad, k1, sizeof(k1));
	bad[30] = bad[30] == 'a' ? 'b' : 'a';
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN, NULL), -1,
	    "typo in secret fails the checksum");
	memcpy(bad, k1, sizeof(k1));
	bad[APIKEY_LEN - 1] = bad[APIKEY_LEN - 1] == '0' ? '1' : '0';
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN, NULL), -1,
	    "changed checksum fails");
	memcpy(bad, k1, sizeof(k1));
	bad[0] = 'x';
	set_crc(bad);
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN, NULL), -1,
	    "wrong prefix fails even with a good checksum");
	memcpy(bad, k1, sizeof(k1));
	bad[20] = '-';
	set_crc(bad);
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN, NULL), -1,
	    "non-base62 character fails");
	memcpy(bad, k1, sizeof(k1));
	bad[17] = 'x';
	set_crc(bad);
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN, NULL), -1,
	    "missing separator fails");
	T_EQ_INT(apikey_parse(k1, APIKEY_LEN - 1, NULL), -1, "N-1 chars fail");
	memcpy(bad, k1, sizeof(k1));
	bad[APIKEY_LEN] = 'x';
	bad[APIKEY_LEN + 1] = '\0';
	T_EQ_INT(apikey_parse(bad, APIKEY_LEN + 1, NULL), -1,
	    "N+1 chars fail");
	T_EQ_INT(apikey_parse("mcpk_notakey", 12, NULL), -1, "garbage fails");
	T_EQ_INT(apikey_parse(NULL, 0, NULL), -1, "NULL fails");
	/* Research §6 example key (format and checksum only). */
	T_EQ_INT(apikey_parse(
	    "mcpk_piWmyzFxcOCL_Azc6jNbsfrb6wYATtSohxQ5n5nJAdmCc23r4o9", 56,
	    NULL), 0, "research example key parses");
}

static void
test_store(const char *dir, const char *schema)
{
	char			 path[512], key[APIKEY_LEN + 1];
	char			 key2[APIKEY_LEN + 1], forged[APIKEY_LEN + 1];
	char			 expk[APIKEY_LEN + 1], id[APIKEY_ID_LEN + 1];
	char			 big[BOUNDS_TOKEN_LEN + 2];
	struct apikey_info	 info, last;
	sqlite3			*db, *db2;
	char			*file;
	size_t			 i;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	db = db_open(path, schema);
	T_OK(db != NULL, "migration applies to a fresh database");
	if (db == NULL)
		return;
	db2 = db_open(path, NULL);	/* a second worker process */

	T_EQ_INT(apikey_store_create(db, "alice laptop", "mcp:tools mcp:read",
	    NOW, 0, key), 0, "create key");
	T_EQ_INT(apikey_parse(key, strlen(key), id), 0, "created key parses");
	T_EQ_INT(apikey_store_create(db, "", NULL, NOW, 0, key2), -1,
	    "empty name refused");
	T_EQ_INT(apikey_store_create(db, "a\nb", NULL, NOW, 0, key2), -1,
	    "control character in name refused");
	T_EQ_INT(apikey_store_create(db, "x", "a  b", NOW, 0, key2), -1,
	    "double space in scopes refused");
	T_EQ_INT(apikey_store_create(db, "x", "a\"b", NOW, 0, key2), -1,
	    "quote in scopes refused");

	T_EQ_INT(apikey_store_verify(db, key, strlen(key), NOW + 5, &info),
	    AUTH_OK, "valid key verifies");
	T_EQ_STR(info.id, id, "verify reports the id");
	T_EQ_STR(info.name, "alice laptop", "verify reports the name");
	T_EQ_STR(info.scopes, "mcp:tools mcp:read", "verify reports scopes");
	T_OK(authres_scope_has(info.scopes, "mcp:tools"), "scope present");
	T_OK(!authres_scope_has(info.scopes, "mcp:tool"),
	    "scope prefix does not match");
	T_EQ_INT(last_used_of(db, id), NOW + 5, "first use sets last_used");
	T_EQ_INT(apikey_store_verify(db, key, strlen(key), NOW + 30, &info),
	    AUTH_OK, "verifies again");
	T_EQ_INT(last_used_of(db, id), NOW + 5,
	    "last_used not rewritten within a minute");
	T_EQ_INT(apikey_store_verify(db2, key, strlen(key), NOW + 65, &info),
	    AUTH_OK, "verifies in another connection");
	T_EQ_INT(last_used_of(db, id), NOW + 65,
	    "last_used rewritten after a minute");

	/* Right id, right checksum, wrong secret. */
	memcpy(forged, key, sizeof(key));
	for (i = 18; i < 50; i++)
		forged[i] = b62[(i * 7) % 62];
	set_crc(forged);
	T_EQ_INT(apikey_parse(forged, APIKEY_LEN, NULL), 0,
	    "forged key is well-formed");
	T_EQ_INT(apikey_store_verify(db, forged, APIKEY_LEN, NOW, &info),
	    AUTH_INVALID, "wrong secret with a valid id is invalid");
	T_EQ_STR(info.id, id, "id reported for the log");
	T_EQ_STR(info.name, "", "nothing else reported");

	memcpy(forged, key, sizeof(key));
	forged[25] = forged[25] == 'Q' ? 'R' : 'Q';
	T_EQ_INT(apikey_store_verify(db, forged, APIKEY_LEN, NOW, &info),
	    AUTH_INVALID, "bad checksum is invalid");
	T_EQ_STR(info.id, "", "no id when the key did not parse");

	T_EQ_INT(apikey_generate(key2), 0, "generate unknown key");
	T_EQ_INT(apikey_store_verify(db, key2, APIKEY_LEN, NOW, &info),
	    AUTH_INVALID, "unknown id is invalid");
	T_EQ_INT(apikey_store_verify(db, "", 0, NOW, &info), AUTH_MISSING,
	    "empty is missing");
	T_EQ_INT(apikey_store_verify(db, NULL, 0, NOW, NULL), AUTH_MISSING,
	    "NULL is missing");
	memset(big, 'a', sizeof(big));
	memcpy(big, key, APIKEY_LEN);
	T_EQ_INT(apikey_store_verify(db, big, BOUNDS_TOKEN_LEN + 1, NOW,
	    &info), AUTH_INVALID, "BOUNDS_TOKEN_LEN+1 bytes is invalid");
	T_EQ_INT(apikey_store_verify(db, big, BOUNDS_TOKEN_LEN, NOW,
	    &info), AUTH_INVALID, "BOUNDS_TOKEN_LEN bytes of non-key invalid");
	T_EQ_INT(apikey_store_verify(db, key, strlen(key) - 1, NOW, &info),
	    AUTH_INVALID, "truncated key is invalid");

	/* Cost of one verification (TAP comment; not asserted). */
	{
		struct timespec	 t0, t1;
		int		 n, ok = 0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (n = 0; n < 1000; n++)
			ok += apikey_store_verify(db, key, APIKEY_LEN, NOW + 70,
			    &info) == AUTH_OK;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("# apikey verify: %.1f us per key (%d/1000 ok)\n",
		    ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		    (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / 1000, ok);
		T_EQ_INT(ok, 1000, "apikey bench keys all valid");
	}

	/* Expiry. */
	T_EQ_INT(apikey_store_create(db, "ci", "mcp:tools", NOW + 1, NOW + 100,
	    expk), 0, "create expiring key");
	T_EQ_INT(apikey_store_verify(db, expk, APIKEY_LEN, NOW + 99, &info),
	    AUTH_OK, "valid before expiry");
	T_EQ_INT(info.expires_at, NOW + 100, "expiry reported");
	T_EQ_INT(apikey_store_verify(db, expk, APIKEY_LEN, NOW + 100, &info),
	    AUTH_EXPIRED, "expired at expires_at");
	T_EQ_STR(info.name, "ci", "expired key reports its name");

	/* List. */
	memset(&last, 0, sizeof(last));
	T_EQ_INT(apikey_store_list(db, last_cb, &last), 0, "list");
	T_EQ_STR(last.name, "ci", "list is oldest first, ends with newest");
	T_EQ_INT(apikey_store_list(db, stop_cb, NULL), 7,
	    "callback can stop the walk");

	/* Revocation: the next request in another worker sees it. */
	T_EQ_INT(apikey_store_revoke(db, id, NOW + 200), 1, "revoke");
	T_EQ_INT(apikey_store_verify(db2, key, strlen(key), NOW + 201, &info),
	    AUTH_REVOKED, "revoked key refused in another connection");
	T_EQ_INT(info.revoked_at, NOW + 200, "revocation time reported");
	T_EQ_INT(apikey_store_revoke(db, id, NOW + 300), 1,
	    "revoke again is idempotent");
	T_EQ_INT(apikey_store_verify(db, key, strlen(key), NOW + 301, &info),
	    AUTH_REVOKED, "still revoked");
	T_EQ_INT(info.revoked_at, NOW + 200, "first revocation time kept");
	T_EQ_INT(apikey_store_revoke(db, "nosuchkey000", NOW), 0,
	    "revoke unknown id");
	T_EQ_INT(apikey_store_revoke(db, NULL, NOW), 0, "revoke NULL id");

	/* The plaintext secret never reaches the database file. */
	sqlite3_close(db2);
	sqlite3_close(db);
	file = slurp(path);
	T_OK(file != NULL, "read database file");
	if (file != NULL) {
		long	 sz;
		FILE	*fp = fopen(path, "rb");
		int	 found = 0;

		fseek(fp, 0, SEEK_END);
		sz = ftell(fp);
		fclose(fp);
		for (i = 0; i + APIKEY_SECRET_LEN <= (size_t)sz; i++)
			if (memcmp(file + i, key + 18, APIKEY_SECRET_LEN) == 0)
				found = 1;
		T_OK(!found, "secret not stored in the database");
		free(file);
	}
	T_EQ_INT(apikey_store_create(NULL, "x", NULL, NOW, 0, key2), -1,
	    "create without a database fails");
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(expk, sizeof(expk));
}

static void
test_dberror(const char *dir)
{
	char			 path[512], key[APIKEY_LEN + 1];
	struct apikey_info	 info;
	sqlite3			*db;

	/* No table: verify must say "error", not "invalid". */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	db = db_open(path, NULL);
	T_EQ_INT(apikey_generate(key), 0, "generate");
	T_EQ_INT(apikey_store_verify(db, key, APIKEY_LEN, NOW, &info),
	    AUTH_ERROR, "database error is AUTH_ERROR");
	T_EQ_INT(apikey_store_revoke(db, "x", NOW), -1, "revoke error");
	sqlite3_close(db);
}

int
main(void)
{
	char	 dir[] = "/tmp/mcpgate-apikey.XXXXXX";
	char	 cmd[600];
	char	*schema;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_format();
	schema = slurp(MIGRATION);
	T_OK(schema != NULL, "read %s (run from the top directory)", MIGRATION);
	if (schema != NULL)
		test_store(dir, schema);
	test_dberror(dir);
	free(schema);
	T_EQ_STR(authres_name(AUTH_REVOKED), "revoked", "authres_name");
	T_EQ_STR(authres_name((enum authres)99), "unknown",
	    "authres_name out of range");
	T_OK(authres_scope_has("  a  b ", "b"), "scope with odd spaces");
	T_OK(!authres_scope_has("", "a") && !authres_scope_has(NULL, "a") &&
	    !authres_scope_has("a", ""), "scope edge cases");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return t_done();
}
