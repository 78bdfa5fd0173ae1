/*
 * auditchain.c -- the audit log's hash chain and its verifier.
 *
 * A row's hash covers a fixed binary serialisation (docs/audit.md, "The
 * chain"): a tag, the previous row's hash, then every other column as its
 * name and a typed, length-prefixed value.  Nothing here depends on how
 * the values came about, so the writer (audit.c), the analyzer and any
 * independent verifier agree byte for byte.  Knows nothing of requests,
 * MCP or the config; only SQLite and OpenSSL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sqlite3.h>

#include "auditchain.h"
#include "digest.h"

#define AC_TAG		"mcpgate-audit-chain"	/* hashed with its NUL */
#define AC_KEYID_TAG	"mcpgate-audit-key-id"	/* hashed with its NUL */
#define AC_BUSY_MS	5000
#define AC_SERIAL_STACK	4096	/* a typical row serialises in less */

const char auditchain_genesis[AUDITCHAIN_HEX_LEN + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

const char *const auditchain_columns[AUDITCHAIN_C__MAX] = {
	"seq", "chain_version", "chain_alg", "seal_key_id", "kind", "ts_us",
	"host_id", "request_id", "trace_id", "span_id", "parent_span_id",
	"session_hash", "protocol_version", "principal", "auth_method",
	"auth_result", "decision", "decision_reason", "key_id", "token_iss",
	"token_sub", "client_addr", "user_agent", "http_method", "http_path",
	"http_status", "rpc_method", "rpc_id", "rpc_error_code", "tool",
	"scope_required", "idem_key_hash", "idem_status", "args_digest",
	"args_redacted", "outcome", "error_category", "error_code",
	"retryable", "retry_after_ms", "latency_us", "bytes_in", "bytes_out",
	"pruned_rows", "first_kept_seq", "cut_hash",
};

static const char *const auditchain_status_names[AUDITCHAIN__MAX] = {
	"ok", "unverified", "hash", "link", "gap", "head", "tail",
	"downgrade", "key", "anchor", "malformed", "error",
};

const char *
auditchain_status_name(enum auditchain_status s)
{
	if ((unsigned int)s >= AUDITCHAIN__MAX)
		return "unknown";
	return auditchain_status_names[s];
}

static void
ac_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
ac_unhex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 lower-case hex characters -> 32 bytes.  Returns 0 or -1. */
static int
ac_unhex32(const char *hex, unsigned char out[32])
{
	size_t	 i;
	int	 hi, lo;

	if (hex == NULL || strlen(hex) != AUDITCHAIN_HEX_LEN)
		return -1;
	for (i = 0; i < 32; i++) {
		if ((hi = ac_unhex_digit(hex[2 * i])) < 0 ||
		    (lo = ac_unhex_digit(hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
ac_is_hex64(const char *s)
{
	unsigned char	 b[32];

	return ac_unhex32(s, b) == 0;
}

/* --- keys ----------------------------------------------------------------- */

int
auditchain_key_set(struct auditchain_key *key, const void *buf, size_t len)
{
	static const char tag[] = AC_KEYID_TAG;
	unsigned char	 md[32];
	unsigned int	 mdlen = sizeof(md);
	EVP_MD_CTX	*c;
	int		 ok;

	memset(key, 0, sizeof(*key));
	if (len < AUDITCHAIN_KEY_MIN || len > AUDITCHAIN_KEY_MAX)
		return -1;
	memcpy(key->bytes, buf, len);
	key->len = len;
	if ((c = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(c, tag, sizeof(tag)) == 1 &&
	    EVP_DigestUpdate(c, key->bytes, key->len) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1;
	EVP_MD_CTX_free(c);
	if (!ok) {
		auditchain_key_wipe(key);
		return -1;
	}
	ac_hex(md, AUDITCHAIN_KEY_ID_LEN / 2, key->id);
	return 0;
}

void
auditchain_key_wipe(struct auditchain_key *key)
{
	if (key != NULL)
		OPENSSL_cleanse(key, sizeof(*key));
}

int
auditchain_key_load(const char *path, struct auditchain_key *key, char *err,
    size_t errlen)
{
	unsigned char	 buf[AUDITCHAIN_KEY_MAX + 1];
	struct stat	 sb;
	size_t		 got = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	memset(key, 0, sizeof(*key));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		snprintf(err, errlen, "cannot open sealing key %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "sealing key %s is not a regular file",
		    path);
		goto out;
	}
	while (got < sizeof(buf)) {
		r = read(fd, buf + got, sizeof(buf) - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "reading sealing key %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got < AUDITCHAIN_KEY_MIN || got > AUDITCHAIN_KEY_MAX) {
		snprintf(err, errlen, "sealing key %s must hold %d to %d "
		    "bytes (it has %s%zu); make one with: openssl rand -out "
		    "FILE 32", path, AUDITCHAIN_KEY_MIN, AUDITCHAIN_KEY_MAX,
		    got > AUDITCHAIN_KEY_MAX ? "more than " : "",
		    got > AUDITCHAIN_KEY_MAX ? (size_t)AUDITCHAIN_KEY_MAX : got);
		goto out;
	}
	if (auditchain_key_set(key, buf, got) == -1) {
		snprintf(err, errlen, "sealing key %s: cannot derive its id",
		    path);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* --- the row hash --------------------------------------------------------- */

/*
 * HMAC, fetched once per process: a fetch on every row costs more than
 * the hashing.  Never freed; it lives as long as the process.  Plain
 * SHA-256 is digest_sha256 (no OpenSSL initialisation at all).
 */
static EVP_MAC	*ac_hmac;

/* Appends n bytes to the serialisation buffer (grows it when needed). */
struct ac_buf {
	unsigned char	*p;
	size_t		 len, cap;
	int		 heap;
};

static int
ac_put(struct ac_buf *b, const void *p, size_t n)
{
	unsigned char	*np;
	size_t		 cap;

	if (n > b->cap - b->len) {
		if (n > SIZE_MAX / 2 - b->len)
			return -1;
		cap = (b->len + n) * 2;
		if ((np = b->heap ? realloc(b->p, cap) : malloc(cap)) == NULL)
			return -1;
		if (!b->heap)
			memcpy(np, b->p, b->len);
		b->p = np;
		b->cap = cap;
		b->heap = 1;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

static void
ac_be(uint64_t v, unsigned char *out, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
}

/* The row's serialisation (docs/audit.md, "The chain"), after the tag. */
static int
ac_serialise(struct ac_buf *b, const unsigned char prev[32],
    const struct auditchain_value *v)
{
	static const char tag[] = AC_TAG;
	unsigned char	 h[9];
	size_t		 i, nl;

	if (ac_put(b, tag, sizeof(tag)) == -1 || ac_put(b, prev, 32) == -1)
		return -1;
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		nl = strlen(auditchain_columns[i]);
		h[0] = (unsigned char)nl;
		if (ac_put(b, h, 1) == -1 ||
		    ac_put(b, auditchain_columns[i], nl) == -1)
			return -1;
		switch (v[i].type) {
		case AUDITCHAIN_V_INT:
			h[0] = 0x01;
			ac_be((uint64_t)v[i].i, h + 1, 8);
			if (ac_put(b, h, 9) == -1)
				return -1;
			break;
		case AUDITCHAIN_V_TEXT:
			if (v[i].len > UINT32_MAX)
				return -1;
			h[0] = 0x02;
			ac_be((uint64_t)v[i].len, h + 1, 4);
			if (ac_put(b, h, 5) == -1 ||
			    ac_put(b, v[i].s, v[i].len) == -1)
				return -1;
			break;
		default:
			h[0] = 0x00;
			if (ac_put(b, h, 1) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

/* SHA-256, or HMAC-SHA256 under key, of n bytes at p, in one call. */
static int
ac_digest(const struct auditchain_key *key, const unsigned char *p,
    size_t n, unsigned char out[32])
{
	OSSL_PARAM	 params[2];
	EVP_MAC_CTX	*mac;
	char		 digest[] = "SHA256";
	size_t		 maclen = 0;
	int		 ok;

	if (key == NULL)
		return digest_sha256(p, n, out);
	if (ac_hmac == NULL &&
	    (ac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	if ((mac = EVP_MAC_CTX_new(ac_hmac)) == NULL)
		return -1;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(mac, key->bytes, key->len, params) == 1 &&
	    EVP_MAC_update(mac, p, n) == 1 &&
	    EVP_MAC_final(mac, out, &maclen, 32) == 1 && maclen == 32;
	EVP_MAC_CTX_free(mac);
	return ok ? 0 : -1;
}

int
auditchain_row_hash(const struct auditchain_key *key, const char *prev_hash,
    const struct auditchain_value *v, char out[AUDITCHAIN_HEX_LEN + 1])
{
	unsigned char	 stack[AC_SERIAL_STACK], prev[32], md[32];
	struct ac_buf	 b = { stack, 0, sizeof(stack), 0 };
	int		 rc = -1;

	if (ac_unhex32(prev_hash, prev) == -1)
		return -1;
	if (ac_serialise(&b, prev, v) == 0 &&
	    ac_digest(key, b.p, b.len, md) == 0) {
		ac_hex(md, sizeof(md), out);
		rc = 0;
	}
	if (b.heap)
		free(b.p);
	return rc;
}

/* --- verification --------------------------------------------------------- */

int
auditchain_open(const char *path, sqlite3 **db, char *err, size_t errlen)
{
	*db = NULL;
	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open audit database %s: %s",
		    path, *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*db, AC_BUSY_MS);
	sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	if (sqlite3_exec(*db, "PRAGMA query_only = 1", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "audit database %s: %s", path,
		    sqlite3_errmsg(*db));
		sqlite3_close(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}

static int
ac_fail(struct auditchain_report *rep, enum auditchain_status s,
    int64_t seq, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
ac_fail(struct auditchain_report *rep, enum auditchain_status s,
    int64_t seq, const char *fmt, ...)
{
	va_list	 ap;

	rep->status = s;
	rep->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(rep->detail, sizeof(rep->detail), fmt, ap);
	va_end(ap);
	return s == AUDITCHAIN_ERROR ? -1 : 1;
}

/* Reads column i of st into v (pointers valid until the next step). */
static int
ac_column(sqlite3_stmt *st, int i, struct auditchain_value *v)
{
	memset(v, 0, sizeof(*v));
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		v->type = AUDITCHAIN_V_NULL;
		return 0;
	case SQLITE_INTEGER:
		v->type = AUDITCHAIN_V_INT;
		v->i = sqlite3_column_int64(st, i);
		return 0;
	case SQLITE_TEXT:
		v->type = AUDITCHAIN_V_TEXT;
		v->s = (const char *)sqlite3_column_text(st, i);
		v->len = (size_t)sqlite3_column_bytes(st, i);
		return v->s == NULL ? -1 : 0;
	default:
		return -1;	/* REAL or BLOB: not in a STRICT audit row */
	}
}

static const char *
ac_text(const struct auditchain_value *v)
{
	return v->type == AUDITCHAIN_V_TEXT ? v->s : NULL;
}

static const struct auditchain_key *
ac_find_key(const struct auditchain_opts *o, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < o->nkeys; i++)
		if (strcmp(o->keys[i].id, id) == 0)
			return &o->keys[i];
	return NULL;
}

/*
 * The oldest row is not seq 1: the newest retention marker must say that
 * rows before it were pruned and carry the hash it links to.
 */
static int
ac_check_head(sqlite3 *db, int64_t seq, const char *prev,
    struct auditchain_report *rep)
{
	sqlite3_stmt	*st;
	int		 rc;
	int64_t		 mseq, kept;
	const char	*cut;

	if (sqlite3_prepare_v2(db, "SELECT seq, first_kept_seq, cut_hash "
	    "FROM audit_events WHERE kind = 'retention' ORDER BY seq DESC "
	    "LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return ac_fail(rep, AUDITCHAIN_HEAD, seq, "rows 1 to %lld are "
		    "missing and no retention marker accounts for them",
		    (long long)seq - 1);
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
	}
	mseq = sqlite3_column_int64(st, 0);
	kept = sqlite3_column_int64(st, 1);
	cut = (const char *)sqlite3_column_text(st, 2);
	if (kept != seq) {
		sqlite3_finalize(st);
		return ac_fail(rep, AUDITCHAIN_HEAD, seq, "the newest "
		    "retention marker (row %lld) kept rows from %lld, but the "
		    "oldest row is %lld", (long long)mseq, (long long)kept,
		    (long long)seq);
	}
	if (cut == NULL || strcmp(cut, prev) != 0) {
		sqlite3_finalize(st);
		return ac_fail(rep, AUDITCHAIN_HEAD, seq, "the oldest row "
		    "(%lld) does not link to the chain hash that retention "
		    "marker %lld recorded at the cut", (long long)seq,
		    (long long)mseq);
	}
	sqlite3_finalize(st);
	return 0;
}

/* Rows deleted from the newest end leave sqlite_sequence ahead. */
static int
ac_check_tail(sqlite3 *db, struct auditchain_report *rep)
{
	sqlite3_stmt	*st;
	int64_t		 hi = 0;
	int		 rc;

	if (sqlite3_prepare_v2(db, "SELECT seq FROM sqlite_sequence WHERE "
	    "name = 'audit_events'", -1, &st, NULL) != SQLITE_OK)
		return ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		hi = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
	if (hi > rep->last_seq)
		return ac_fail(rep, AUDITCHAIN_TAIL, rep->last_seq + 1,
		    "rows %lld to %lld were written and are gone (the newest "
		    "rows were deleted)", (long long)rep->last_seq + 1,
		    (long long)hi);
	return 0;
}

/* Checks one row against the one before it.  Returns 0, 1 broken, -1. */
static int
ac_check_row(sqlite3 *db, const struct auditchain_opts *o,
    const struct auditchain_value *v, const char *prev, const char *hash,
    const char *last_hash, int *seen_sealed, struct auditchain_report *rep)
{
	const struct auditchain_key *key = NULL;
	const char	*alg, *kid;
	char		 calc[AUDITCHAIN_HEX_LEN + 1];
	int64_t		 seq;
	int		 rc, sealed, first = rep->rows == 0;

	if (v[AUDITCHAIN_C_SEQ].type != AUDITCHAIN_V_INT)
		return ac_fail(rep, AUDITCHAIN_MALFORMED, 0, "a row has no "
		    "sequence number");
	seq = v[AUDITCHAIN_C_SEQ].i;
	alg = ac_text(&v[AUDITCHAIN_C_CHAIN_ALG]);
	kid = ac_text(&v[AUDITCHAIN_C_SEAL_KEY_ID]);
	if (v[AUDITCHAIN_C_CHAIN_VERSION].type != AUDITCHAIN_V_INT ||
	    v[AUDITCHAIN_C_CHAIN_VERSION].i != AUDITCHAIN_VERSION)
		return ac_fail(rep, AUDITCHAIN_MALFORMED, seq, "row %lld has "
		    "an unknown chain_version", (long long)seq);
	if (alg == NULL || (strcmp(alg, "sha256") != 0 &&
	    strcmp(alg, "hmac-sha256") != 0))
		return ac_fail(rep, AUDITCHAIN_MALFORMED, seq, "row %lld has "
		    "an unknown chain_alg", (long long)seq);
	if (!ac_is_hex64(prev) || !ac_is_hex64(hash))
		return ac_fail(rep, AUDITCHAIN_MALFORMED, seq, "row %lld: "
		    "prev_hash or row_hash is not 64 hex characters",
		    (long long)seq);
	sealed = strcmp(alg, "hmac-sha256") == 0;

	if (first) {
		rep->first_seq = seq;
		if (o->from_seq > 0) {
			if (seq != o->from_seq)
				return ac_fail(rep, AUDITCHAIN_ANCHOR,
				    o->from_seq, "the anchor row %lld is "
				    "gone", (long long)o->from_seq);
		} else if (seq == 1) {
			if (strcmp(prev, auditchain_genesis) != 0)
				return ac_fail(rep, AUDITCHAIN_LINK, seq,
				    "row 1 does not start the chain");
		} else if ((rc = ac_check_head(db, seq, prev, rep)) != 0)
			return rc;
	} else {
		if (seq != rep->last_seq + 1)
			return ac_fail(rep, AUDITCHAIN_GAP, seq, "rows %lld "
			    "to %lld are missing", (long long)rep->last_seq +
			    1, (long long)seq - 1);
		if (strcmp(prev, last_hash) != 0)
			return ac_fail(rep, AUDITCHAIN_LINK, seq, "row %lld "
			    "does not link to row %lld (a row was edited, "
			    "replaced or inserted)", (long long)seq,
			    (long long)rep->last_seq);
	}

	if (!sealed) {
		rep->unsealed++;
		if (*seen_sealed || o->require_sealed)
			return ac_fail(rep, AUDITCHAIN_DOWNGRADE, seq, "row "
			    "%lld is not sealed (plain SHA-256) %s",
			    (long long)seq, *seen_sealed ? "after sealed "
			    "rows" : "but sealing is required");
	} else {
		rep->sealed++;
		*seen_sealed = 1;
		if ((key = ac_find_key(o, kid)) == NULL) {
			if (o->nkeys > 0)
				return ac_fail(rep, AUDITCHAIN_KEY, seq, "row "
				    "%lld is sealed with key %.16s, which was "
				    "not given", (long long)seq,
				    kid != NULL ? kid : "(none)");
			rep->unverified++;
		}
	}
	if (!sealed || key != NULL) {
		if (auditchain_row_hash(key, prev, v, calc) == -1)
			return ac_fail(rep, AUDITCHAIN_ERROR, seq, "cannot "
			    "compute the hash of row %lld", (long long)seq);
		if (strcmp(calc, hash) != 0)
			return ac_fail(rep, AUDITCHAIN_HASH, seq, "row %lld "
			    "does not match its hash (it was edited%s)",
			    (long long)seq, sealed ? ", or sealed with "
			    "another key" : "");
	}
	if (first && o->from_seq > 0 && o->anchor_hash != NULL &&
	    strcmp(hash, o->anchor_hash) != 0)
		return ac_fail(rep, AUDITCHAIN_ANCHOR, seq, "the anchor row "
		    "%lld has another hash than was recorded",
		    (long long)seq);
	if (ac_text(&v[AUDITCHAIN_C_KIND]) != NULL &&
	    strcmp(ac_text(&v[AUDITCHAIN_C_KIND]), "retention") == 0)
		rep->markers++;
	return 0;
}

int
auditchain_verify(sqlite3 *db, const struct auditchain_opts *opts,
    struct auditchain_report *rep)
{
	struct auditchain_opts	 none;
	struct auditchain_value	 v[AUDITCHAIN_C__MAX];
	sqlite3_stmt		*st = NULL;
	char			 sql[2048], last[AUDITCHAIN_HEX_LEN + 1];
	const char		*prev, *hash;
	size_t			 i, off;
	int			 rc = 0, step, seen_sealed = 0, own;

	memset(rep, 0, sizeof(*rep));
	memset(&none, 0, sizeof(none));
	if (opts == NULL)
		opts = &none;
	off = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s, ",
		    auditchain_columns[i]);
	snprintf(sql + off, sizeof(sql) - off, "prev_hash, row_hash FROM "
	    "audit_events WHERE seq >= ?1 ORDER BY seq");

	/*
	 * One read transaction: a consistent snapshot of a live log (the
	 * caller's, if it has one open).
	 */
	own = sqlite3_get_autocommit(db);
	if (own && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, opts->from_seq > 0 ? opts->from_seq :
	    INT64_MIN);
	last[0] = '\0';
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < AUDITCHAIN_C__MAX; i++)
			if (ac_column(st, (int)i, &v[i]) == -1) {
				rc = ac_fail(rep, AUDITCHAIN_MALFORMED,
				    sqlite3_column_int64(st, 0), "row %lld: "
				    "column %s has a type the chain does not "
				    "know", (long long)sqlite3_column_int64(st,
				    0), auditchain_columns[i]);
				goto out;
			}
		prev = (const char *)sqlite3_column_text(st,
		    AUDITCHAIN_C__MAX);
		hash = (const char *)sqlite3_column_text(st,
		    AUDITCHAIN_C__MAX + 1);
		if ((rc = ac_check_row(db, opts, v, prev ? prev : "",
		    hash ? hash : "", last, &seen_sealed, rep)) != 0)
			goto out;
		rep->rows++;
		rep->last_seq = v[AUDITCHAIN_C_SEQ].i;
		snprintf(last, sizeof(last), "%s", hash);
		snprintf(rep->head_hash, sizeof(rep->head_hash), "%s", hash);
	}
	if (step != SQLITE_DONE) {
		rc = ac_fail(rep, AUDITCHAIN_ERROR, 0, "%s",
		    sqlite3_errmsg(db));
		goto out;
	}
	if (rep->rows == 0 && opts->from_seq > 0) {
		rc = ac_fail(rep, AUDITCHAIN_ANCHOR, opts->from_seq, "the "
		    "anchor row %lld is gone", (long long)opts->from_seq);
		goto out;
	}
	if ((rc = ac_check_tail(db, rep)) != 0)
		goto out;
	if (rep->unverified > 0) {
		rep->status = AUDITCHAIN_UNVERIFIED;
		snprintf(rep->detail, sizeof(rep->detail), "%lld rows are "
		    "linked and in sequence; %lld sealed rows were not checked "
		    "(no sealing key given)", (long long)rep->rows,
		    (long long)rep->unverified);
	} else
		snprintf(rep->detail, sizeof(rep->detail), "%lld rows "
		    "verified", (long long)rep->rows);
out:
	sqlite3_finalize(st);
	if (own)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
