/*
 * test_idem.c -- idempotency records (lib/idem.c) and the token buckets
 * of the rate limits (store_rate_take in lib/store.c), issue 5.
 *
 * idem_scope: one hash per (principal, tool, key), with separators that
 * keep ("ab", "c") and ("a", "bc") apart.  idem_fingerprint: canonical
 * arguments (key order, nesting) without the top-level idempotency_key.
 * idem_lookup / idem_store on a temporary database: new, replay of the
 * stored JSON, conflict on other arguments, expiry, pruning, and a
 * record's fate following its transaction.  store_rate_take: burst, then
 * empty with a sane retry_after; refill over simulated time (now_us is
 * a parameter); independent buckets; fork()ed processes taking from one
 * bucket at once never get more than the burst between them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sqlite3.h>
#include <jansson.h>

#include "digest.h"
#include "idem.h"
#include "store.h"
#include "t.h"

#define NPROC		8	/* concurrent takers */
#define NTAKES		20	/* takes per process */
#define BURST		25	/* < NPROC * NTAKES */
#define SEC		((int64_t)1000000)

static json_t *
j(const char *text)
{
	json_error_t	 e;
	json_t		*v = json_loads(text, JSON_REJECT_DUPLICATES, &e);

	if (v == NULL) {
		fprintf(stderr, "bad test JSON %s: %s\n", text, e.text);
		exit(2);
	}
	return v;
}

/* Fingerprint of JSON text; "" on failure (never equal to a real one). */
static void
fp_of(const char *text, char out[DIGEST_HEX_LEN + 1])
{
	json_t	*v = j(text);

	if (idem_fingerprint(v, out) == -1)
		out[0] = '\0';
	json_decref(v);
}

static int
is_hex64(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == DIGEST_HEX_LEN;
}

static long long
count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	long long	 n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int
exec(sqlite3 *db, const char *sql)
{
	int	 rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, sqlite3_errmsg(db));
	return rc;
}

/* Inserts a record directly, as an older run would have left it. */
static int
put_raw(sqlite3 *db, const char *key, long long expires_at)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO mcpgate_idempotency VALUES "
	    "(?1, 'fp', '{}', 0, ?2)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, expires_at);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
test_scope(void)
{
	char	 a[DIGEST_HEX_LEN + 1], b[DIGEST_HEX_LEN + 1];
	char	 c[DIGEST_HEX_LEN + 1], d[DIGEST_HEX_LEN + 1];

	T_OK(idem_scope("alice", "add_item", "k1", a) == 0, "idem_scope ok");
	T_OK(idem_scope("alice", "add_item", "k1", b) == 0, "idem_scope ok");
	T_OK(is_hex64(a), "idem_scope: 64 lower-case hex digits (%s)", a);
	T_EQ_STR(a, b, "idem_scope: same principal, tool, key -> same hash");
	T_OK(idem_scope("bob", "add_item", "k1", c) == 0, "idem_scope ok");
	T_OK(strcmp(a, c) != 0, "idem_scope: another principal -> another "
	    "hash");
	T_OK(idem_scope("alice", "add_note", "k1", c) == 0, "idem_scope ok");
	T_OK(strcmp(a, c) != 0, "idem_scope: another tool -> another hash");
	T_OK(idem_scope("alice", "add_item", "k2", c) == 0, "idem_scope ok");
	T_OK(strcmp(a, c) != 0, "idem_scope: another key -> another hash");

	/* Separators: the boundaries are part of what is hashed. */
	T_OK(idem_scope("ab", "c", "k", c) == 0, "idem_scope ok");
	T_OK(idem_scope("a", "bc", "k", d) == 0, "idem_scope ok");
	T_OK(strcmp(c, d) != 0, "idem_scope: (\"ab\",\"c\",k) != "
	    "(\"a\",\"bc\",k)");
	T_OK(idem_scope("p", "ab", "c", c) == 0, "idem_scope ok");
	T_OK(idem_scope("p", "a", "bc", d) == 0, "idem_scope ok");
	T_OK(strcmp(c, d) != 0, "idem_scope: (p,\"ab\",\"c\") != "
	    "(p,\"a\",\"bc\")");
	T_OK(idem_scope("ab", "", "c", c) == 0, "idem_scope ok");
	T_OK(idem_scope("a", "b", "c", d) == 0, "idem_scope ok");
	T_OK(strcmp(c, d) != 0, "idem_scope: (\"ab\",\"\",\"c\") != "
	    "(\"a\",\"b\",\"c\")");
	T_OK(idem_scope("a", "", "", c) == 0, "idem_scope ok");
	T_OK(idem_scope("", "a", "", d) == 0, "idem_scope ok");
	T_OK(strcmp(c, d) != 0, "idem_scope: (\"a\",\"\",\"\") != "
	    "(\"\",\"a\",\"\")");

	/* The key alone is not the scope: the plain hash of it differs. */
	digest_sha256_hex("k1", 2, c);
	T_OK(strcmp(a, c) != 0, "idem_scope: not the bare hash of the "
	    "client's key");
}

static void
test_fingerprint(void)
{
	char	 a[DIGEST_HEX_LEN + 1], b[DIGEST_HEX_LEN + 1];
	json_t	*args;

	fp_of("{\"a\":1,\"b\":\"x\",\"c\":[1,2]}", a);
	fp_of("{ \"c\" : [1, 2], \"b\":\"x\",\n\"a\":1 }", b);
	T_OK(is_hex64(a), "idem_fingerprint: 64 hex digits");
	T_EQ_STR(a, b, "idem_fingerprint: member order and whitespace do "
	    "not matter");

	fp_of("{\"a\":1,\"b\":\"x\",\"c\":[1,2],\"idempotency_key\":\"k\"}",
	    b);
	T_EQ_STR(a, b, "idem_fingerprint: idempotency_key is not part of "
	    "it");
	fp_of("{\"idempotency_key\":\"other\",\"c\":[1,2],\"b\":\"x\","
	    "\"a\":1}", b);
	T_EQ_STR(a, b, "idem_fingerprint: another idempotency_key, same "
	    "fingerprint");

	fp_of("{\"o\":{\"x\":1,\"y\":{\"p\":true,\"q\":null}},\"z\":0}", a);
	fp_of("{\"z\":0,\"o\":{\"y\":{\"q\":null,\"p\":true},\"x\":1}}", b);
	T_EQ_STR(a, b, "idem_fingerprint: nested objects are sorted too");
	fp_of("{\"l\":[{\"b\":1,\"a\":2}]}", a);
	fp_of("{\"l\":[{\"a\":2,\"b\":1}]}", b);
	T_EQ_STR(a, b, "idem_fingerprint: objects inside arrays are sorted");

	fp_of("{\"a\":1}", a);
	fp_of("{\"a\":2}", b);
	T_OK(strcmp(a, b) != 0, "idem_fingerprint: another value -> another "
	    "fingerprint");
	fp_of("{\"a\":\"1\"}", b);
	T_OK(strcmp(a, b) != 0, "idem_fingerprint: 1 and \"1\" differ");
	fp_of("{\"c\":[1,2]}", a);
	fp_of("{\"c\":[2,1]}", b);
	T_OK(strcmp(a, b) != 0, "idem_fingerprint: array order matters");
	fp_of("{}", a);
	fp_of("{\"a\":null}", b);
	T_OK(strcmp(a, b) != 0, "idem_fingerprint: an absent member and a "
	    "null one differ");
	fp_of("{\"idempotency_key\":\"k\"}", b);
	T_EQ_STR(a, b, "idem_fingerprint: {idempotency_key} alone is {}");
	/* Only the top-level member is the key; nested data is data. */
	fp_of("{\"o\":{\"idempotency_key\":\"k\"}}", a);
	fp_of("{\"o\":{}}", b);
	T_OK(strcmp(a, b) != 0, "idem_fingerprint: a nested "
	    "\"idempotency_key\" is data and counts");

	/* The caller's arguments are left as they were. */
	args = j("{\"a\":1,\"idempotency_key\":\"k\"}");
	T_OK(idem_fingerprint(args, a) == 0 &&
	    json_object_get(args, "idempotency_key") != NULL &&
	    json_object_size(args) == 2, "idem_fingerprint: does not modify "
	    "its argument");
	json_decref(args);
}

/*
 * The records, with the statements prepared per call (c NULL) or kept in
 * a cache (then cleared before the connection closes).
 */
static void
test_records(const char *dir, struct idem_cache *c)
{
	char		 path[600], k1[DIGEST_HEX_LEN + 1];
	char		 k2[DIGEST_HEX_LEN + 1], fa[DIGEST_HEX_LEN + 1];
	char		 fb[DIGEST_HEX_LEN + 1], key[32];
	sqlite3		*db = NULL;
	json_t		*res, *got;
	enum idem_status s;
	int		 i;
	time_t		 now = 1700000000;

	printf("# idempotency records, statements %s\n", c != NULL ?
	    "kept in a cache" : "prepared per call");
	snprintf(path, sizeof(path), "%s/tool%s.db", dir, c != NULL ? "-c" :
	    "");
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		T_OK(0, "open %s", path);
		return;
	}
	T_OK(idem_prepare(db) == 0 && idem_prepare(db) == 0, "idem_prepare: "
	    "creates the table, and again is a no-op");
	T_OK(idem_scope("alice", "add_item", "key-1", k1) == 0, "idem_scope ok");
	T_OK(idem_scope("alice", "add_item", "key-2", k2) == 0, "idem_scope ok");
	fp_of("{\"label\":\"a\"}", fa);
	fp_of("{\"label\":\"b\"}", fb);
	res = j("{\"structured\":{\"id\":7,\"label\":\"a\",\"note\":"
	    "\"caf\\u00e9 \\\"q\\\"\",\"n\":{\"x\":[1,2.5,null]}},"
	    "\"is_error\":false}");

	/* New, then stored with the write, then replayed. */
	exec(db, "BEGIN IMMEDIATE");
	got = (json_t *)1;
	s = idem_lookup(db, c, k1, fa, now, &got);
	T_EQ_INT(s, IDEM_NEW, "idem_lookup: unknown key -> IDEM_NEW");
	T_OK(got == NULL, "idem_lookup: IDEM_NEW sets *result to NULL");
	T_EQ_INT(idem_store(db, c, k1, fa, res, now, 60), 0,
	    "idem_store: 0");
	exec(db, "COMMIT");

	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k1, fa, now + 30, &got);
	T_EQ_INT(s, IDEM_REPLAY, "idem_lookup: same key, same arguments -> "
	    "IDEM_REPLAY");
	T_OK(got != NULL && json_equal(got, res), "idem_lookup: the replay "
	    "is the stored JSON, unchanged");
	json_decref(got);
	got = (json_t *)1;
	s = idem_lookup(db, c, k1, fb, now + 30, &got);
	T_EQ_INT(s, IDEM_CONFLICT, "idem_lookup: same key, other arguments "
	    "-> IDEM_CONFLICT");
	T_OK(got == NULL, "idem_lookup: IDEM_CONFLICT returns no result");
	s = idem_lookup(db, c, k2, fa, now + 30, &got);
	T_EQ_INT(s, IDEM_NEW, "idem_lookup: other key, same arguments -> "
	    "IDEM_NEW");
	json_decref(got);
	exec(db, "ROLLBACK");

	/* Expiry: live up to now + ttl inclusive, then gone. */
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k1, fa, now + 60, &got);
	T_EQ_INT(s, IDEM_REPLAY, "idem_lookup: at exactly now + ttl the "
	    "record still replays");
	json_decref(got);
	s = idem_lookup(db, c, k1, fa, now + 61, &got);
	T_EQ_INT(s, IDEM_NEW, "idem_lookup: past now + ttl -> IDEM_NEW");
	json_decref(got);
	s = idem_lookup(db, c, k1, fb, now + 61, &got);
	T_EQ_INT(s, IDEM_NEW, "idem_lookup: expired record, other arguments "
	    "-> IDEM_NEW, not a conflict");
	json_decref(got);
	T_EQ_INT(count(db, "SELECT count(*) FROM mcpgate_idempotency"), 0,
	    "idem_lookup: the expired record was pruned");
	/* The key can be used again once its record expired. */
	T_EQ_INT(idem_store(db, c, k1, fb, res, now + 61, 60), 0,
	    "idem_store: a key whose record expired is stored again");
	exec(db, "COMMIT");

	/* A record shares its transaction's fate. */
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k2, fa, now, &got);
	T_OK(s == IDEM_NEW && idem_store(db, c, k2, fa, res, now, 60) == 0,
	    "idem_store inside a transaction");
	exec(db, "ROLLBACK");
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k2, fa, now, &got);
	T_EQ_INT(s, IDEM_NEW, "a record whose transaction rolled back never "
	    "existed (a killed worker leaves no claim)");
	json_decref(got);
	exec(db, "ROLLBACK");

	/* Pruning without a daemon: a lookup of any key removes expired. */
	exec(db, "DELETE FROM mcpgate_idempotency");
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "expired-%d", i);
		put_raw(db, key, now - 1 - i);
	}
	put_raw(db, "live", now + 1000);
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k2, fa, now, &got);
	exec(db, "COMMIT");
	T_EQ_INT(s, IDEM_NEW, "lookup of an unrelated key");
	T_EQ_INT(count(db, "SELECT count(*) FROM mcpgate_idempotency WHERE "
	    "key LIKE 'expired-%'"), 0, "idem_lookup: expired records of "
	    "other keys are pruned");
	T_EQ_INT(count(db, "SELECT count(*) FROM mcpgate_idempotency WHERE "
	    "key = 'live'"), 1, "idem_lookup: a live record is kept");

	/* Many expired records: pruned a batch at a time, all eventually. */
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "old-%d", i);
		put_raw(db, key, now - 1000 + i);
	}
	for (i = 0; i < 10; i++) {
		exec(db, "BEGIN IMMEDIATE");
		s = idem_lookup(db, c, k2, fa, now, &got);
		exec(db, "COMMIT");
	}
	T_EQ_INT(count(db, "SELECT count(*) FROM mcpgate_idempotency WHERE "
	    "expires_at < 1700000000"), 0, "idem_lookup: 100 expired records "
	    "are gone after 10 lookups");
	T_EQ_INT(count(db, "SELECT count(*) FROM mcpgate_idempotency"), 1,
	    "idem_lookup: only the live record is left");

	/*
	 * The expired record of the very key being reused, behind more
	 * expired records than one lookup prunes: the key must still be
	 * usable (new call, record stored), never an error.
	 */
	exec(db, "DELETE FROM mcpgate_idempotency");
	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "old-%d", i);
		put_raw(db, key, now - 1000 + i);
	}
	put_raw(db, k1, now - 1);
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k1, fa, now, &got);
	T_EQ_INT(s, IDEM_NEW, "expired record of the same key behind 100 "
	    "other expired ones -> IDEM_NEW");
	json_decref(got);
	T_EQ_INT(idem_store(db, c, k1, fa, res, now, 60), 0, "idem_store: "
	    "then storing the new record succeeds (expired one replaced)");
	exec(db, "COMMIT");
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k1, fa, now + 1, &got);
	T_OK(s == IDEM_REPLAY && json_equal(got, res), "and the new record "
	    "replays");
	json_decref(got);
	exec(db, "ROLLBACK");
	/* A live record is never overwritten by a store. */
	T_OK(idem_store(db, c, k1, fb, res, now + 2, 60) == -1, "idem_store: "
	    "a live record of the same key is not overwritten (-1)");
	exec(db, "BEGIN IMMEDIATE");
	s = idem_lookup(db, c, k1, fa, now + 3, &got);
	T_EQ_INT(s, IDEM_REPLAY, "the live record still has the first "
	    "arguments");
	json_decref(got);
	exec(db, "ROLLBACK");

	json_decref(res);
	idem_cache_clear(c);
	T_EQ_INT(sqlite3_close(db), SQLITE_OK, "the connection closes (no "
	    "statement left open)");
}

static void
test_rate(const char *dir)
{
	char		 path[600], err[512];
	struct store	*st;
	int64_t		 t0 = (int64_t)1700000000 * SEC;
	int		 i, n, ra, rc;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	if ((st = store_open(path, err, sizeof(err))) == NULL) {
		T_OK(0, "store_open: %s", err);
		return;
	}
	/* 6 a minute, burst 3: three at once, then one every 10 s. */
	for (i = 0, n = 0; i < 3; i++)
		n += store_rate_take(st, "a", 6, 3, t0, &ra) == 1;
	T_EQ_INT(n, 3, "store_rate_take: a new bucket gives its burst (3)");
	ra = -1;
	rc = store_rate_take(st, "a", 6, 3, t0, &ra);
	T_EQ_INT(rc, 0, "store_rate_take: then empty -> 0");
	T_OK(ra >= 10 && ra <= 11, "store_rate_take: retry_after %d s for "
	    "6/min (a token in 10 s)", ra);
	rc = store_rate_take(st, "a", 6, 3, t0 + 5 * SEC, &ra);
	T_OK(rc == 0 && ra >= 5 && ra <= 6, "store_rate_take: 5 s later "
	    "still empty, retry_after %d (5..6)", ra);
	rc = store_rate_take(st, "a", 6, 3, t0 + 10 * SEC, &ra);
	T_EQ_INT(rc, 1, "store_rate_take: 10 s later one token was refilled");
	rc = store_rate_take(st, "a", 6, 3, t0 + 10 * SEC, &ra);
	T_OK(rc == 0 && ra >= 1 && ra <= 11, "store_rate_take: and only "
	    "one (retry_after %d)", ra);
	rc = store_rate_take(st, "a", 6, 3, t0 - 3600 * SEC, &ra);
	T_OK(rc == 0 && ra >= 1, "store_rate_take: a clock going back "
	    "refills nothing (retry_after %d)", ra);
	for (i = 0, n = 0; i < 10; i++)
		n += store_rate_take(st, "a", 6, 3, t0 + 3600 * SEC, &ra) == 1;
	T_EQ_INT(n, 3, "store_rate_take: an hour later the bucket holds its "
	    "burst, not more");

	/* Independent buckets. */
	T_EQ_INT(store_rate_take(st, "b", 6, 3, t0 + 3600 * SEC, &ra), 1,
	    "store_rate_take: bucket b is not affected by empty bucket a");
	T_EQ_INT(store_rate_take(st, "a", 6, 3, t0 + 3600 * SEC, &ra), 0,
	    "store_rate_take: bucket a is still empty");
	T_EQ_INT(store_rate_take(st, "a\x1f" "x", 6, 3, t0, &ra), 1,
	    "store_rate_take: bucket \"a\\x1fx\" is another bucket");

	/* A fast rate still says at least 1 s. */
	T_EQ_INT(store_rate_take(st, "fast", 60000, 1, t0, &ra), 1,
	    "store_rate_take: 1000/s, burst 1: one");
	rc = store_rate_take(st, "fast", 60000, 1, t0, &ra);
	T_OK(rc == 0 && ra == 1, "store_rate_take: empty, retry_after %d "
	    "(whole seconds, at least 1)", ra);
	store_close(st);
}

/*
 * NPROC processes released at once, each taking NTAKES times from one
 * bucket of BURST tokens at a fixed now_us (no refill).  Each reports
 * its successes (and errors) through a pipe.
 */
static void
test_rate_concurrent(const char *dir)
{
	char		 path[600], err[512];
	int		 go[2], res[2], i, status, ok = 0, errs = 0, exited = 0;
	int		 rec[2];
	pid_t		 pids[NPROC];
	struct store	*st;
	int64_t		 now = (int64_t)1700000000 * SEC;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	/* Created and migrated before the race: that is test_migrate's. */
	if ((st = store_open(path, err, sizeof(err))) == NULL) {
		T_OK(0, "store_open: %s", err);
		return;
	}
	store_close(st);
	if (pipe(go) == -1 || pipe(res) == -1)
		return;
	for (i = 0; i < NPROC; i++) {
		if ((pids[i] = fork()) == 0) {
			char	 c;
			int	 k, ra, r[2] = { 0, 0 };

			close(go[1]);
			close(res[0]);
			if (read(go[0], &c, 1) < 0)
				_exit(3);
			if ((st = store_open(path, err, sizeof(err))) == NULL)
				_exit(1);
			for (k = 0; k < NTAKES; k++) {
				switch (store_rate_take(st, "shared", 1, BURST,
				    now, &ra)) {
				case 1:
					r[0]++;
					break;
				case 0:
					break;
				default:
					r[1]++;
					break;
				}
			}
			store_close(st);
			if (write(res[1], r, sizeof(r)) != sizeof(r))
				_exit(4);
			_exit(0);
		}
	}
	close(go[0]);
	close(res[1]);
	close(go[1]);		/* EOF releases every child at once */
	while (read(res[0], rec, sizeof(rec)) == sizeof(rec)) {
		ok += rec[0];
		errs += rec[1];
	}
	close(res[0]);
	for (i = 0; i < NPROC; i++)
		if (waitpid(pids[i], &status, 0) == pids[i] &&
		    WIFEXITED(status) && WEXITSTATUS(status) == 0)
			exited++;
	T_EQ_INT(exited, NPROC, "%d processes took from one bucket and exited "
	    "cleanly", NPROC);
	T_EQ_INT(errs, 0, "store_rate_take: no database errors under "
	    "contention");
	T_EQ_INT(ok, BURST, "store_rate_take: %d concurrent takes from a "
	    "bucket of %d got exactly %d tokens in total", NPROC * NTAKES,
	    BURST, BURST);
}

int
main(void)
{
	char	 dir[] = "/tmp/mcpgate-test-idem.XXXXXX", cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	test_scope();
	test_fingerprint();
	{
		struct idem_cache cache;

		memset(&cache, 0, sizeof(cache));
		test_records(dir, NULL);
		test_records(dir, &cache);
	}
	test_rate(dir);
	test_rate_concurrent(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
