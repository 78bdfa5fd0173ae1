/*
 * auditchain.h -- the audit log's hash chain: the one definition of what a
 * row's hash covers (the writer in audit.c and every verifier use it), the
 * sealing key, and a verifier that walks the chain over a read-only
 * connection and reports the first bad row.
 *
 * Depends on SQLite and OpenSSL only: the analyzer (mcpgate-audit) links
 * this module without the server core (no config, MCP, endpoint or audit
 * writer).  The chain is specified byte by byte in docs/audit.md, so that
 * a verifier can also be written without this code.
 */
#ifndef AUDITCHAIN_H
#define AUDITCHAIN_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

#define AUDITCHAIN_VERSION	1	/* chain_version of rows written now */
#define AUDITCHAIN_HEX_LEN	64	/* a chain hash: lower-case hex SHA-256 */
#define AUDITCHAIN_KEY_ID_LEN	16	/* seal_key_id: 16 hex characters */
#define AUDITCHAIN_KEY_MIN	32	/* sealing key bytes: at least 256 bits */
#define AUDITCHAIN_KEY_MAX	1024

/* prev_hash of the very first row (seq 1): 64 zeros. */
extern const char auditchain_genesis[AUDITCHAIN_HEX_LEN + 1];

/*
 * The columns a row hash covers, in hashing order: every column of
 * audit_events except prev_hash and row_hash (prev_hash enters the hash
 * separately).  auditchain_columns[i] is the SQL name of column i.
 */
enum auditchain_col {
	AUDITCHAIN_C_SEQ,
	AUDITCHAIN_C_CHAIN_VERSION,
	AUDITCHAIN_C_CHAIN_ALG,
	AUDITCHAIN_C_SEAL_KEY_ID,
	AUDITCHAIN_C_KIND,
	AUDITCHAIN_C_TS_US,
	AUDITCHAIN_C_HOST_ID,
	AUDITCHAIN_C_REQUEST_ID,
	AUDITCHAIN_C_TRACE_ID,
	AUDITCHAIN_C_SPAN_ID,
	AUDITCHAIN_C_PARENT_SPAN_ID,
	AUDITCHAIN_C_SESSION_HASH,
	AUDITCHAIN_C_PROTOCOL_VERSION,
	AUDITCHAIN_C_PRINCIPAL,
	AUDITCHAIN_C_AUTH_METHOD,
	AUDITCHAIN_C_AUTH_RESULT,
	AUDITCHAIN_C_DECISION,
	AUDITCHAIN_C_DECISION_REASON,
	AUDITCHAIN_C_KEY_ID,
	AUDITCHAIN_C_TOKEN_ISS,
	AUDITCHAIN_C_TOKEN_SUB,
	AUDITCHAIN_C_CLIENT_ADDR,
	AUDITCHAIN_C_USER_AGENT,
	AUDITCHAIN_C_HTTP_METHOD,
	AUDITCHAIN_C_HTTP_PATH,
	AUDITCHAIN_C_HTTP_STATUS,
	AUDITCHAIN_C_RPC_METHOD,
	AUDITCHAIN_C_RPC_ID,
	AUDITCHAIN_C_RPC_ERROR_CODE,
	AUDITCHAIN_C_TOOL,
	AUDITCHAIN_C_SCOPE_REQUIRED,
	AUDITCHAIN_C_IDEM_KEY_HASH,
	AUDITCHAIN_C_IDEM_STATUS,
	AUDITCHAIN_C_ARGS_DIGEST,
	AUDITCHAIN_C_ARGS_REDACTED,
	AUDITCHAIN_C_OUTCOME,
	AUDITCHAIN_C_ERROR_CATEGORY,
	AUDITCHAIN_C_ERROR_CODE,
	AUDITCHAIN_C_RETRYABLE,
	AUDITCHAIN_C_RETRY_AFTER_MS,
	AUDITCHAIN_C_LATENCY_US,
	AUDITCHAIN_C_BYTES_IN,
	AUDITCHAIN_C_BYTES_OUT,
	AUDITCHAIN_C_PRUNED_ROWS,
	AUDITCHAIN_C_FIRST_KEPT_SEQ,
	AUDITCHAIN_C_CUT_HASH,
	AUDITCHAIN_C__MAX
};

extern const char *const auditchain_columns[AUDITCHAIN_C__MAX];

/* One column value: SQL NULL, an INTEGER or a TEXT (the table is STRICT). */
enum auditchain_vtype {
	AUDITCHAIN_V_NULL = 0,
	AUDITCHAIN_V_INT,
	AUDITCHAIN_V_TEXT
};

struct auditchain_value {
	enum auditchain_vtype	 type;
	int64_t			 i;	/* AUDITCHAIN_V_INT */
	const char		*s;	/* AUDITCHAIN_V_TEXT: borrowed */
	size_t			 len;	/* bytes of s */
};

/*
 * A sealing key: the exact bytes of the key file, and its id (the first
 * 16 hex characters of SHA-256("mcpgate-audit-key-id" NUL key)), which
 * rows name in seal_key_id so a verifier can pick the key.  Wipe it with
 * auditchain_key_wipe.
 */
struct auditchain_key {
	unsigned char	 bytes[AUDITCHAIN_KEY_MAX];
	size_t		 len;
	char		 id[AUDITCHAIN_KEY_ID_LEN + 1];
};

/*
 * Reads the key file at path (AUDITCHAIN_KEY_MIN..AUDITCHAIN_KEY_MAX
 * bytes, taken exactly as they are) into key.  Returns 0, or -1 with a
 * message in err (which never contains key material).
 */
int	auditchain_key_load(const char *path, struct auditchain_key *key,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

/*
 * Sets key from len bytes at buf (copied).  Returns 0, or -1 when len is
 * outside AUDITCHAIN_KEY_MIN..AUDITCHAIN_KEY_MAX.
 */
int	auditchain_key_set(struct auditchain_key *key, const void *buf,
	    size_t len) __attribute__((warn_unused_result));

/* Overwrites the key material.  NULL-safe. */
void	auditchain_key_wipe(struct auditchain_key *key);

/*
 * Computes a row's chain hash: SHA-256 (key NULL) or HMAC-SHA256 with key
 * over the serialisation of prev_hash (64 hex characters, decoded) and
 * the AUDITCHAIN_C__MAX values v, as docs/audit.md defines.
 * OUT: out, 64 lower-case hex characters and a NUL.
 * Returns 0, or -1 if prev_hash is not 64 hex characters or OpenSSL fails.
 */
int	auditchain_row_hash(const struct auditchain_key *key,
	    const char *prev_hash, const struct auditchain_value *v,
	    char out[AUDITCHAIN_HEX_LEN + 1])
	    __attribute__((warn_unused_result));

/* What a verification found: the first problem, in row order. */
enum auditchain_status {
	AUDITCHAIN_OK = 0,	/* every row checked, chain intact */
	AUDITCHAIN_UNVERIFIED,	/* links and sequence intact, but sealed
				   rows were not checked: no key given */
	AUDITCHAIN_HASH,	/* a row does not match its row_hash: edited */
	AUDITCHAIN_LINK,	/* prev_hash is not the row_hash before it */
	AUDITCHAIN_GAP,		/* sequence numbers missing in the middle */
	AUDITCHAIN_HEAD,	/* oldest rows missing, no retention marker */
	AUDITCHAIN_TAIL,	/* newest rows deleted (sqlite_sequence) */
	AUDITCHAIN_DOWNGRADE,	/* unsealed row after a sealed one, or where
				   opts.require_sealed */
	AUDITCHAIN_KEY,		/* sealed with a key that was not given */
	AUDITCHAIN_ANCHOR,	/* the anchor row is gone or changed */
	AUDITCHAIN_MALFORMED,	/* bad chain columns (version, alg, hex) */
	AUDITCHAIN_ERROR,	/* the database could not be read */
	AUDITCHAIN__MAX
};

struct auditchain_opts {
	const struct auditchain_key *keys;	/* borrowed; may be NULL */
	size_t		 nkeys;
	int		 require_sealed; /* every row must be an HMAC */
	/*
	 * Incremental verification: start at row from_seq (0: the oldest
	 * row), whose row_hash must equal anchor_hash if that is not NULL
	 * (the head a previous run recorded).  The anchor row's own link to
	 * its predecessor is not checked.
	 */
	int64_t		 from_seq;
	const char	*anchor_hash;	/* borrowed; may be NULL */
};

struct auditchain_report {
	enum auditchain_status status;
	int64_t		 rows;		/* rows read */
	int64_t		 first_seq;	/* 0 when there are none */
	int64_t		 last_seq;
	char		 head_hash[AUDITCHAIN_HEX_LEN + 1]; /* of last_seq */
	int64_t		 sealed;	/* rows with an HMAC */
	int64_t		 unsealed;	/* rows with a plain SHA-256 */
	int64_t		 unverified;	/* sealed rows not checked (no key) */
	int64_t		 markers;	/* retention markers read */
	int64_t		 bad_seq;	/* the first bad row; 0 none */
	char		 detail[256];	/* one sentence for a person */
};

/*
 * Verifies the chain of audit_events in db (only read; run it on a
 * read-only connection, see auditchain_open).  Reads in one read
 * transaction, so a live log gives a consistent snapshot: its own, or the
 * caller's if one is open on db.  opts may be
 * NULL (no keys, from the oldest row).  OUT: rep.
 * Returns 0 when the chain is intact (AUDITCHAIN_OK or
 * AUDITCHAIN_UNVERIFIED), 1 when it is broken (rep->bad_seq, rep->detail),
 * -1 when it could not be read (AUDITCHAIN_ERROR).
 */
int	auditchain_verify(struct sqlite3 *db,
	    const struct auditchain_opts *opts, struct auditchain_report *rep)
	    __attribute__((warn_unused_result));

/*
 * Opens the audit database at path read-only (SQLITE_OPEN_READONLY,
 * DEFENSIVE, trusted_schema off, query_only).  OUT: db (close with
 * sqlite3_close).  Returns 0, or -1 with a message in err.
 */
int	auditchain_open(const char *path, struct sqlite3 **db, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* "ok", "unverified", "hash", "link", "gap", ...: static strings. */
const char *auditchain_status_name(enum auditchain_status);

#endif /* AUDITCHAIN_H */
