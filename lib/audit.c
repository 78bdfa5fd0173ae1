/*
 * audit.c -- the audit log writer.
 *
 * Every request becomes one row of audit_events in a database of its own
 * (sql/010_audit_events.sql), appended inside BEGIN IMMEDIATE: read the
 * chain head, hash the new row onto it (lib/auditchain.c), insert,
 * commit.  The write lock serialises every worker process on the one
 * chain.  WAL: a worker killed at any point leaves every committed row
 * and a consistent file.  Secrets never reach a row: no header but
 * User-Agent is read, session ids are hashed, and tool arguments are
 * redacted (schema marks, name patterns) and cut before they are stored.
 * Knows nothing of HTTP or MCP; the endpoint fills the event.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "audit.h"
#include "auditchain.h"
#include "digest.h"
#include "log.h"
#include "migrate.h"
#include "sqlbusy.h"

#define AU_HOST_ID_MAX		255
#define AU_PATTERNS_MAX		256
#define AU_PATTERN_LEN		128
#define AU_SCHEMAS_MAX		32	/* subschemas that apply to one value */
#define AU_REF_DEPTH		8
#define AU_ARGS_TAG		"mcpgate-audit-args"	/* with its NUL */

/* Built in; "@defaults" in redact_patterns stands for this list. */
static const char *const au_default_patterns[] = {
	"*password*", "*passwd*", "*passphrase*", "*secret*", "*token*",
	"*apikey*", "*accesskey*", "*privatekey*", "*credential*",
	"*authorization*", "*cookie*", "*cardnumber*", "*creditcard*",
	"cvv", "cvc", "ssn", "pin", "otp", NULL
};

static const struct {
	const char	*name;
	int		 code;
} au_facilities[] = {
	{ "user", 1 }, { "daemon", 3 }, { "auth", 4 }, { "authpriv", 10 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 },
	{ "local3", 19 }, { "local4", 20 }, { "local5", 21 },
	{ "local6", 22 }, { "local7", 23 }, { NULL, 0 }
};

static const char *const au_outcome_names[AUDIT_OUT__MAX] = {
	NULL, "ok", "tool_error", "protocol_error", "auth_error",
	"http_error"
};

enum au_stmt {
	AU_BEGIN,
	AU_COMMIT,
	AU_ROLLBACK,
	AU_HEAD,
	AU_SEQ,
	AU_INSERT,
	AU_META_GET,
	AU_META_SET,
	AU_OLDEST,
	AU_DELETE,
	AU__MAX
};

static const char *const au_sql[AU__MAX] = {
	"BEGIN IMMEDIATE",
	"COMMIT",
	"ROLLBACK",
	"SELECT seq, row_hash FROM audit_events ORDER BY seq DESC LIMIT 1",
	"SELECT seq FROM sqlite_sequence WHERE name = 'audit_events'",
	NULL,	/* built from auditchain_columns */
	"SELECT value FROM audit_meta WHERE name = ?1",
	"INSERT INTO audit_meta (name, value) VALUES (?1, ?2) "
	    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	"SELECT seq, ts_us, row_hash FROM audit_events ORDER BY seq LIMIT ?1",
	"DELETE FROM audit_events WHERE seq <= ?1",
};

struct audit {
	char			*db_path;
	char			*host_id;
	enum audit_sync		 sync;
	int64_t			 synced_us;	/* last sync (monotonic) */
	int			 unsynced;	/* commits since then */
	char			**patterns;	/* normalised globs */
	size_t			 npatterns;
	size_t			 max_string;
	int			 retention_days; /* 0: keep everything */
	int			 sealed;
	struct auditchain_key	 key;
	int			 syslog;	/* mirror on */
	int			 facility;
	char			*syslog_socket;
	int			 syslog_fd;
	int			 syslog_warned;
	sqlite3			*db;
	sqlite3_stmt		*st[AU__MAX];
};

/* The chain head inside a write transaction. */
struct au_head {
	int64_t		 seq;		/* last row's seq, 0 if none */
	int64_t		 next;		/* seq of the next row */
	char		 hash[AUDITCHAIN_HEX_LEN + 1];
};

/* A retention marker written in a transaction, mirrored after COMMIT. */
struct au_marker {
	int			 written;
	struct auditchain_value	 v[AUDITCHAIN_C__MAX];
	char			 cut[AUDITCHAIN_HEX_LEN + 1];
	char			 prev[AUDITCHAIN_HEX_LEN + 1];
	char			 hash[AUDITCHAIN_HEX_LEN + 1];
};

/* --- small helpers -------------------------------------------------------- */

static int64_t
au_now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0. */
static size_t
au_utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 i, len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80;
		hi = p[0] == 0xed ? 0x9f : 0xbf;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void
audit_text(char *dst, size_t size, const char *src)
{
	const unsigned char *p = (const unsigned char *)(src ? src : "");
	size_t		 o = 0, n, left = strlen((const char *)p);

	if (size == 0)
		return;
	while (*p != '\0' && o + 1 < size) {
		n = au_utf8_seq(p, left);
		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			dst[o++] = '?';
			p++;
			left--;
			continue;
		}
		if (o + n >= size)
			break;
		memcpy(dst + o, p, n);
		o += n;
		p += n;
		left -= n;
	}
	dst[o] = '\0';
}

/*
 * Member names and patterns are compared normalised: ASCII letters lower-
 * cased, other ASCII punctuation and spaces dropped (a pattern keeps its
 * '*' and '?'), so "apiKey", "API-KEY" and "api_key" are all "apikey".
 */
static char *
au_normalise(const char *s, int pattern)
{
	char	*out, *o;

	if ((out = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			*o++ = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c >= 0x80 || (pattern && (c == '*' || c == '?')))
			*o++ = (char)c;
	}
	*o = '\0';
	return out;
}

/* --- configuration -------------------------------------------------------- */

static int
au_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
au_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Every member of obj must be in keys. */
static int
au_keys(const json_t *obj, const char *path, const char *const *keys,
    char *err, size_t errlen)
{
	const char	*k, *const *p;
	json_t		*v;

	json_object_foreach((json_t *)obj, k, v) {
		for (p = keys; *p != NULL; p++)
			if (strcmp(*p, k) == 0)
				break;
		if (*p == NULL)
			return au_fail(err, errlen, "%s: unknown member "
			    "\"%.64s\"", path, k);
	}
	return 0;
}

/* A non-empty string member, or NULL if absent.  -1 if malformed. */
static int
au_str(const json_t *obj, const char *path, const char *key,
    const char **out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return au_fail(err, errlen, "%s/%s: must be a non-empty "
		    "string", path, key);
	*out = json_string_value(v);
	return 0;
}

static int
au_int(const json_t *obj, const char *path, const char *key, long long def,
    long long min, long long max, long long *out, char *err, size_t errlen)
{
	json_t	*v = json_object_get(obj, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return au_fail(err, errlen, "%s/%s: must be an integer from "
		    "%lld to %lld", path, key, min, max);
	*out = json_integer_value(v);
	return 0;
}

/* p relative to the directory of config_path.  Returns a new string. */
static char *
au_path(const char *config_path, const char *p)
{
	char	*copy, *dir, *out = NULL;

	if (p[0] == '/' || config_path == NULL)
		return strdup(p);
	if ((copy = strdup(config_path)) == NULL)
		return NULL;
	dir = realpath(dirname(copy), NULL);
	if (dir != NULL && asprintf(&out, "%s/%s", dir, p) < 0)
		out = NULL;
	free(dir);
	free(copy);
	return out;
}

static int
au_add_pattern(struct audit *a, const char *p)
{
	char	*n;

	if (a->npatterns >= AU_PATTERNS_MAX)
		return -1;
	if ((n = au_normalise(p, 1)) == NULL)
		return -1;
	a->patterns[a->npatterns++] = n;
	return 0;
}

static int
au_conf_patterns(struct audit *a, const json_t *conf, char *err,
    size_t errlen)
{
	const json_t	*list = json_object_get(conf, "redact_patterns");
	json_t		*e;
	size_t		 i, j;

	a->patterns = calloc(AU_PATTERNS_MAX, sizeof(char *));
	if (a->patterns == NULL)
		return au_fail(err, errlen, "out of memory");
	if (list == NULL) {
		for (j = 0; au_default_patterns[j] != NULL; j++)
			if (au_add_pattern(a, au_default_patterns[j]) == -1)
				return au_fail(err, errlen, "out of memory");
		return 0;
	}
	if (!json_is_array(list) || json_array_size(list) > AU_PATTERNS_MAX)
		return au_fail(err, errlen, "/audit/redact_patterns: must be "
		    "an array of at most %d strings", AU_PATTERNS_MAX);
	json_array_foreach(list, i, e) {
		const char *s = json_string_value(e);

		if (s == NULL || *s == '\0' || strlen(s) > AU_PATTERN_LEN)
			return au_fail(err, errlen, "/audit/redact_patterns/"
			    "%zu: must be a string of 1 to %d characters", i,
			    AU_PATTERN_LEN);
		if (strcmp(s, "@defaults") == 0) {
			for (j = 0; au_default_patterns[j] != NULL; j++)
				if (au_add_pattern(a,
				    au_default_patterns[j]) == -1)
					goto toomany;
			continue;
		}
		if (au_add_pattern(a, s) == -1)
			goto toomany;
		if (a->patterns[a->npatterns - 1][0] == '\0')
			return au_fail(err, errlen, "/audit/redact_patterns/"
			    "%zu: has no letter or digit", i);
	}
	return 0;
toomany:
	return au_fail(err, errlen, "/audit/redact_patterns: more than %d "
	    "patterns (with @defaults)", AU_PATTERNS_MAX);
}

static int
au_conf_syslog(struct audit *a, const json_t *conf, char *err, size_t errlen)
{
	static const char *const keys[] = { "facility", "socket", NULL };
	const json_t	*s = json_object_get(conf, "syslog");
	const char	*fac, *sock;
	size_t		 i;

	if (s == NULL)
		return 0;
	if (!json_is_object(s))
		return au_fail(err, errlen, "/audit/syslog: must be an object "
		    "like {\"facility\": \"local0\"}");
	if (au_keys(s, "/audit/syslog", keys, err, errlen) == -1 ||
	    au_str(s, "/audit/syslog", "facility", &fac, err, errlen) == -1 ||
	    au_str(s, "/audit/syslog", "socket", &sock, err, errlen) == -1)
		return -1;
	a->syslog = 1;
	a->facility = 16;	/* local0 */
	if (fac != NULL) {
		for (i = 0; au_facilities[i].name != NULL; i++)
			if (strcmp(au_facilities[i].name, fac) == 0)
				break;
		if (au_facilities[i].name == NULL)
			return au_fail(err, errlen, "/audit/syslog/facility: "
			    "must be one of user, daemon, auth, authpriv, "
			    "local0 .. local7");
		a->facility = au_facilities[i].code;
	}
	if (sock != NULL && (strlen(sock) >= sizeof(((struct sockaddr_un *)0)->
	    sun_path) || sock[0] != '/'))
		return au_fail(err, errlen, "/audit/syslog/socket: must be an "
		    "absolute path of at most %zu bytes",
		    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	a->syslog_socket = strdup(sock != NULL ? sock : "/dev/log");
	return a->syslog_socket == NULL ? au_fail(err, errlen,
	    "out of memory") : 0;
}

struct audit *
audit_new(const json_t *conf, const char *config_path, char *err,
    size_t errlen)
{
	static const char *const keys[] = { "db", "sealing_key",
	    "synchronous", "host_id", "redact_patterns", "max_string",
	    "retention_days", "syslog", NULL };
	struct audit	*a;
	const char	*db, *key, *sync, *host;
	char		*keypath = NULL, hbuf[AU_HOST_ID_MAX + 1];
	long long	 v;
	struct stat	 sb;
	size_t		 i;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->syslog_fd = -1;
	if (conf == NULL)
		conf = json_object();
	else
		json_incref((json_t *)conf);
	if (!json_is_object(conf)) {
		au_fail(err, errlen, "/audit: must be an object");
		goto fail;
	}
	if (au_keys(conf, "/audit", keys, err, errlen) == -1 ||
	    au_str(conf, "/audit", "db", &db, err, errlen) == -1 ||
	    au_str(conf, "/audit", "sealing_key", &key, err, errlen) == -1 ||
	    au_str(conf, "/audit", "synchronous", &sync, err, errlen) == -1 ||
	    au_str(conf, "/audit", "host_id", &host, err, errlen) == -1)
		goto fail;
	if ((a->db_path = au_path(config_path, db ? db : "audit.db")) ==
	    NULL) {
		au_fail(err, errlen, "/audit/db: cannot resolve the path");
		goto fail;
	}
	a->sync = AUDIT_SYNC_FULL;
	if (sync != NULL) {
		if (strcasecmp(sync, "FULL") == 0)
			a->sync = AUDIT_SYNC_FULL;
		else if (strcasecmp(sync, "WRITES") == 0)
			a->sync = AUDIT_SYNC_WRITES;
		else if (strcasecmp(sync, "NORMAL") == 0)
			a->sync = AUDIT_SYNC_NORMAL;
		else {
			au_fail(err, errlen, "/audit/synchronous: must be "
			    "\"FULL\", \"WRITES\" or \"NORMAL\"");
			goto fail;
		}
	}
	if (host == NULL) {
		if (gethostname(hbuf, sizeof(hbuf)) == -1 || hbuf[0] == '\0')
			snprintf(hbuf, sizeof(hbuf), "unknown");
		hbuf[sizeof(hbuf) - 1] = '\0';
		host = hbuf;
	} else if (strlen(host) > AU_HOST_ID_MAX) {
		au_fail(err, errlen, "/audit/host_id: at most %d bytes",
		    AU_HOST_ID_MAX);
		goto fail;
	}
	for (i = 0; host[i] != '\0'; i++)
		if ((unsigned char)host[i] <= 0x20 || host[i] == 0x7f) {
			au_fail(err, errlen, "/audit/host_id: must not contain "
			    "spaces or control characters");
			goto fail;
		}
	if ((a->host_id = strdup(host)) == NULL) {
		au_fail(err, errlen, "out of memory");
		goto fail;
	}
	if (au_int(conf, "/audit", "max_string", BOUNDS_AUDIT_STRING_DEFAULT,
	    16, BOUNDS_AUDIT_STRING_MAX, &v, err, errlen) == -1)
		goto fail;
	a->max_string = (size_t)v;
	if (au_int(conf, "/audit", "retention_days", 0, 1, 36500, &v, err,
	    errlen) == -1)
		goto fail;
	a->retention_days = (int)v;
	if (au_conf_patterns(a, conf, err, errlen) == -1 ||
	    au_conf_syslog(a, conf, err, errlen) == -1)
		goto fail;
	if (key != NULL) {
		char kerr[BOUNDS_ERRMSG_LEN];

		if ((keypath = au_path(config_path, key)) == NULL) {
			au_fail(err, errlen, "/audit/sealing_key: cannot "
			    "resolve the path");
			goto fail;
		}
		if (strcmp(keypath, a->db_path) == 0) {
			au_fail(err, errlen, "/audit/sealing_key: must be a "
			    "file of its own, outside the audit database");
			goto fail;
		}
		if (auditchain_key_load(keypath, &a->key, kerr,
		    sizeof(kerr)) == -1) {
			au_fail(err, errlen, "/audit/sealing_key: %s", kerr);
			goto fail;
		}
		if (stat(keypath, &sb) == 0 && (sb.st_mode & S_IROTH))
			log_warn("audit sealing key %s is readable by every "
			    "user; chmod o-rwx it", keypath);
		a->sealed = 1;
	}
	free(keypath);
	json_decref((json_t *)conf);
	return a;
fail:
	free(keypath);
	json_decref((json_t *)conf);
	audit_free(a);
	return NULL;
}

static void
au_close(struct audit *a)
{
	size_t	 i;

	for (i = 0; i < AU__MAX; i++) {
		sqlite3_finalize(a->st[i]);
		a->st[i] = NULL;
	}
	sqlite3_close(a->db);
	a->db = NULL;
}

void
audit_free(struct audit *a)
{
	char	 err[256];
	size_t	 i;

	if (a == NULL)
		return;
	/* "WRITES": what this process left unsynced is synced on the way out. */
	if (a->sync != AUDIT_SYNC_NORMAL && audit_sync(a, err, sizeof(err)) ==
	    -1)
		log_err("%s", err);
	au_close(a);
	if (a->syslog_fd != -1)
		close(a->syslog_fd);
	for (i = 0; i < a->npatterns; i++)
		free(a->patterns[i]);
	free(a->patterns);
	free(a->db_path);
	free(a->host_id);
	free(a->syslog_socket);
	auditchain_key_wipe(&a->key);
	free(a);
}

const char *
audit_db_path(const struct audit *a)
{
	return a->db_path;
}

const struct auditchain_key *
audit_key(const struct audit *a)
{
	return a->sealed ? &a->key : NULL;
}

/* --- the database --------------------------------------------------------- */

static char *
au_insert_sql(void)
{
	char	*s;
	size_t	 i, len = 0, off;

	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		len += strlen(auditchain_columns[i]) + 8;
	len += 256;
	if ((s = malloc(len)) == NULL)
		return NULL;
	off = (size_t)snprintf(s, len, "INSERT INTO audit_events (");
	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		off += (size_t)snprintf(s + off, len - off, "%s, ",
		    auditchain_columns[i]);
	off += (size_t)snprintf(s + off, len - off, "prev_hash, row_hash) "
	    "VALUES (");
	for (i = 0; i < AUDITCHAIN_C__MAX + 2; i++)
		off += (size_t)snprintf(s + off, len - off, "%s?%zu",
		    i > 0 ? ", " : "", i + 1);
	snprintf(s + off, len - off, ")");
	return s;
}

int
audit_open(struct audit *a, char *err, size_t errlen)
{
	char	*ins = NULL;
	size_t	 i;
	int	 fd, rc;

	if (a->db != NULL)
		return 0;
	/* Create it private to the service account (and its group). */
	fd = open(a->db_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd != -1)
		close(fd);
	if (sqlite3_open_v2(a->db_path, &a->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open audit database %s: %s",
		    a->db_path, a->db ? sqlite3_errmsg(a->db) :
		    "out of memory");
		goto fail;
	}
	sqlbusy_set(a->db, AUDIT_BUSY_MS);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(a->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	/*
	 * The connection commits without a sync (NORMAL); audit_write syncs
	 * the WAL itself after COMMIT, outside the write lock, when the
	 * "synchronous" setting asks for it (au_sync).  CHECK constraints
	 * are evaluated in C instead (au_row_ok): SQLite builds a temporary
	 * table for each IN list of every insert.
	 */
	if (migrate_wal(a->db) == -1 ||
	    sqlite3_exec(a->db, "PRAGMA synchronous=NORMAL; "
	    "PRAGMA ignore_check_constraints=ON", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "audit database %s: %s", a->db_path,
		    sqlite3_errmsg(a->db));
		goto fail;
	}
	if (migrate_apply(a->db, "audit", err, errlen) == -1)
		goto fail;
	if ((ins = au_insert_sql()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < AU__MAX; i++) {
		rc = sqlite3_prepare_v3(a->db, i == AU_INSERT ? ins :
		    au_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &a->st[i], NULL);
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "audit database %s: %s",
			    a->db_path, sqlite3_errmsg(a->db));
			goto fail;
		}
	}
	free(ins);
	a->synced_us = au_now_us(CLOCK_MONOTONIC);
	a->unsynced = 0;
	return 0;
fail:
	free(ins);
	au_close(a);
	return -1;
}

static sqlite3_stmt *
au_stmt(struct audit *a, enum au_stmt which)
{
	sqlite3_stmt	*st = a->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static void
au_v_text(struct auditchain_value *v, const char *s)
{
	memset(v, 0, sizeof(*v));
	if (s == NULL || *s == '\0')
		return;
	v->type = AUDITCHAIN_V_TEXT;
	v->s = s;
	v->len = strlen(s);
}

static void
au_v_int(struct auditchain_value *v, int64_t i)
{
	memset(v, 0, sizeof(*v));
	v->type = AUDITCHAIN_V_INT;
	v->i = i;
}

/* The columns of a request row (the chain columns are set later). */
static void
au_values(const struct audit *a, const struct audit_event *ev,
    struct auditchain_value *v)
{
	memset(v, 0, sizeof(*v) * AUDITCHAIN_C__MAX);
	au_v_text(&v[AUDITCHAIN_C_KIND], "request");
	au_v_int(&v[AUDITCHAIN_C_TS_US], ev->ts_us);
	au_v_text(&v[AUDITCHAIN_C_HOST_ID], a->host_id);
	au_v_text(&v[AUDITCHAIN_C_REQUEST_ID], ev->request_id);
	au_v_text(&v[AUDITCHAIN_C_TRACE_ID], ev->trace_id);
	au_v_text(&v[AUDITCHAIN_C_SPAN_ID], ev->span_id);
	au_v_text(&v[AUDITCHAIN_C_PARENT_SPAN_ID], ev->parent_span_id);
	au_v_text(&v[AUDITCHAIN_C_SESSION_HASH], ev->session_hash);
	au_v_text(&v[AUDITCHAIN_C_PROTOCOL_VERSION], ev->protocol_version);
	au_v_text(&v[AUDITCHAIN_C_PRINCIPAL], ev->principal);
	au_v_text(&v[AUDITCHAIN_C_AUTH_METHOD], ev->auth_method);
	au_v_text(&v[AUDITCHAIN_C_AUTH_RESULT], ev->auth_result);
	au_v_text(&v[AUDITCHAIN_C_DECISION], ev->decision);
	au_v_text(&v[AUDITCHAIN_C_DECISION_REASON], ev->decision_reason);
	au_v_text(&v[AUDITCHAIN_C_KEY_ID], ev->key_id);
	au_v_text(&v[AUDITCHAIN_C_TOKEN_ISS], ev->token_iss);
	au_v_text(&v[AUDITCHAIN_C_TOKEN_SUB], ev->token_sub);
	au_v_text(&v[AUDITCHAIN_C_CLIENT_ADDR], ev->client_addr);
	au_v_text(&v[AUDITCHAIN_C_USER_AGENT], ev->user_agent);
	au_v_text(&v[AUDITCHAIN_C_HTTP_METHOD], ev->http_method);
	au_v_text(&v[AUDITCHAIN_C_HTTP_PATH], ev->http_path);
	au_v_int(&v[AUDITCHAIN_C_HTTP_STATUS], ev->http_status);
	au_v_text(&v[AUDITCHAIN_C_RPC_METHOD], ev->rpc_method);
	au_v_text(&v[AUDITCHAIN_C_RPC_ID], ev->rpc_id);
	if (ev->rpc_error_code != 0)
		au_v_int(&v[AUDITCHAIN_C_RPC_ERROR_CODE], ev->rpc_error_code);
	au_v_text(&v[AUDITCHAIN_C_TOOL], ev->tool);
	au_v_text(&v[AUDITCHAIN_C_SCOPE_REQUIRED], ev->scope_required);
	au_v_text(&v[AUDITCHAIN_C_IDEM_KEY_HASH], ev->idem_key_hash);
	au_v_text(&v[AUDITCHAIN_C_IDEM_STATUS], ev->idem_status);
	au_v_text(&v[AUDITCHAIN_C_ARGS_DIGEST], ev->args_digest);
	au_v_text(&v[AUDITCHAIN_C_ARGS_REDACTED], ev->args_redacted);
	au_v_text(&v[AUDITCHAIN_C_OUTCOME],
	    (unsigned int)ev->outcome < AUDIT_OUT__MAX ?
	    au_outcome_names[ev->outcome] : NULL);
	au_v_text(&v[AUDITCHAIN_C_ERROR_CATEGORY], ev->error_category);
	au_v_text(&v[AUDITCHAIN_C_ERROR_CODE], ev->error_code);
	if (ev->retryable >= 0)
		au_v_int(&v[AUDITCHAIN_C_RETRYABLE], ev->retryable ? 1 : 0);
	if (ev->retry_after_ms >= 0)
		au_v_int(&v[AUDITCHAIN_C_RETRY_AFTER_MS], ev->retry_after_ms);
	au_v_int(&v[AUDITCHAIN_C_LATENCY_US], ev->latency_us);
	au_v_int(&v[AUDITCHAIN_C_BYTES_IN], ev->bytes_in);
	au_v_int(&v[AUDITCHAIN_C_BYTES_OUT], ev->bytes_out);
}

/* Reads the chain head; call inside the write transaction. */
static int
au_head(struct audit *a, struct au_head *h)
{
	sqlite3_stmt	*st;
	int64_t		 hi = 0;
	int		 rc;

	memset(h, 0, sizeof(*h));
	snprintf(h->hash, sizeof(h->hash), "%s", auditchain_genesis);
	st = au_stmt(a, AU_HEAD);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 1);

		h->seq = sqlite3_column_int64(st, 0);
		if (s == NULL || strlen(s) != AUDITCHAIN_HEX_LEN) {
			sqlite3_reset(st);
			log_err("audit chain head (row %lld) has no valid "
			    "row_hash", (long long)h->seq);
			return -1;
		}
		snprintf(h->hash, sizeof(h->hash), "%s", s);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	st = au_stmt(a, AU_SEQ);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		hi = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	/* AUTOINCREMENT: never reuse a number, even of a deleted row. */
	h->next = (hi > h->seq ? hi : h->seq) + 1;
	return 0;
}

/*
 * The CHECK constraints of sql/010_audit_events.sql, which the writer's
 * connection does not evaluate (ignore_check_constraints).
 */
static int
au_in(const struct auditchain_value *v, const char *const *names)
{
	size_t	 i;

	if (v->type == AUDITCHAIN_V_NULL)
		return 1;
	if (v->type != AUDITCHAIN_V_TEXT)
		return 0;
	for (i = 0; names[i] != NULL; i++)
		if (strlen(names[i]) == v->len &&
		    memcmp(names[i], v->s, v->len) == 0)
			return 1;
	return 0;
}

static int
au_row_ok(const struct auditchain_value *v)
{
	static const char *const algs[] = { "sha256", "hmac-sha256", NULL };
	static const char *const kinds[] = { "request", "retention", NULL };
	static const char *const results[] = { "ok", "missing", "invalid",
	    "expired", "revoked", "error", NULL };
	static const char *const decisions[] = { "allow", "deny", NULL };
	static const char *const idem[] = { "new", "replay", "conflict",
	    "in_flight", NULL };
	static const char *const outcomes[] = { "ok", "tool_error",
	    "protocol_error", "auth_error", "http_error", NULL };
	const struct auditchain_value *r = &v[AUDITCHAIN_C_RETRYABLE];
	int	 request;

	if (v[AUDITCHAIN_C_CHAIN_ALG].type == AUDITCHAIN_V_NULL ||
	    v[AUDITCHAIN_C_KIND].type == AUDITCHAIN_V_NULL ||
	    !au_in(&v[AUDITCHAIN_C_CHAIN_ALG], algs) ||
	    !au_in(&v[AUDITCHAIN_C_KIND], kinds) ||
	    !au_in(&v[AUDITCHAIN_C_AUTH_RESULT], results) ||
	    !au_in(&v[AUDITCHAIN_C_DECISION], decisions) ||
	    !au_in(&v[AUDITCHAIN_C_IDEM_STATUS], idem) ||
	    !au_in(&v[AUDITCHAIN_C_OUTCOME], outcomes))
		return 0;
	if (r->type != AUDITCHAIN_V_NULL && (r->type != AUDITCHAIN_V_INT ||
	    (r->i != 0 && r->i != 1)))
		return 0;
	request = v[AUDITCHAIN_C_KIND].len == strlen(kinds[0]) &&
	    memcmp(v[AUDITCHAIN_C_KIND].s, kinds[0], strlen(kinds[0])) == 0;
	if (request)
		return v[AUDITCHAIN_C_REQUEST_ID].type != AUDITCHAIN_V_NULL &&
		    v[AUDITCHAIN_C_OUTCOME].type != AUDITCHAIN_V_NULL &&
		    v[AUDITCHAIN_C_HTTP_STATUS].type != AUDITCHAIN_V_NULL;
	return v[AUDITCHAIN_C_PRUNED_ROWS].type != AUDITCHAIN_V_NULL &&
	    v[AUDITCHAIN_C_FIRST_KEPT_SEQ].type != AUDITCHAIN_V_NULL &&
	    v[AUDITCHAIN_C_CUT_HASH].type != AUDITCHAIN_V_NULL;
}

/* Mirrors one row to syslog as a JSON line (best effort). */
static void	au_syslog(struct audit *, const struct auditchain_value *,
		    const char *prev, const char *hash);

/*
 * Chains v onto the head h, inserts it and moves h on.  Sets the chain
 * columns of v.  Inside the write transaction.
 */
static int
au_insert(struct audit *a, struct au_head *h, struct auditchain_value *v,
    char hash[AUDITCHAIN_HEX_LEN + 1])
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc;

	au_v_int(&v[AUDITCHAIN_C_SEQ], h->next);
	au_v_int(&v[AUDITCHAIN_C_CHAIN_VERSION], AUDITCHAIN_VERSION);
	au_v_text(&v[AUDITCHAIN_C_CHAIN_ALG], a->sealed ? "hmac-sha256" :
	    "sha256");
	au_v_text(&v[AUDITCHAIN_C_SEAL_KEY_ID], a->sealed ? a->key.id : NULL);
	if (!au_row_ok(v)) {
		log_err("audit row %lld breaks the table's constraints",
		    (long long)h->next);
		return -1;
	}
	if (auditchain_row_hash(a->sealed ? &a->key : NULL, h->hash, v,
	    hash) == -1) {
		log_err("cannot compute the audit chain hash");
		return -1;
	}
	st = au_stmt(a, AU_INSERT);
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		if (v[i].type == AUDITCHAIN_V_INT)
			sqlite3_bind_int64(st, (int)i + 1, v[i].i);
		else if (v[i].type == AUDITCHAIN_V_TEXT)
			sqlite3_bind_text(st, (int)i + 1, v[i].s,
			    (int)v[i].len, SQLITE_STATIC);
	}
	sqlite3_bind_text(st, AUDITCHAIN_C__MAX + 1, h->hash, -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, AUDITCHAIN_C__MAX + 2, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_err("audit insert: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	h->seq = h->next++;
	snprintf(h->hash, sizeof(h->hash), "%s", hash);
	return 0;
}

static int
au_meta_get(struct audit *a, const char *name, int64_t *out)
{
	sqlite3_stmt	*st = au_stmt(a, AU_META_GET);
	int		 rc;

	*out = 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
au_meta_set(struct audit *a, const char *name, int64_t value)
{
	sqlite3_stmt	*st = au_stmt(a, AU_META_SET);
	int		 rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * Deletes up to AUDIT_PRUNE_BATCH of the oldest rows older than cutoff
 * (a prefix of the chain: deletion only ever happens at the old end) and
 * appends the retention marker m.  Inside the write transaction.
 * OUT: deleted, full (the batch was full: more may be due), m.
 */
static int
au_prune_locked(struct audit *a, struct au_head *h, int64_t now_us,
    int64_t cutoff_us, int64_t *deleted, int *full, struct au_marker *m)
{
	sqlite3_stmt	*st;
	int64_t		 last = 0, kept = 0, n = 0;
	int		 rc;

	*deleted = 0;
	*full = 0;
	memset(m, 0, sizeof(*m));
	st = au_stmt(a, AU_OLDEST);
	sqlite3_bind_int64(st, 1, AUDIT_PRUNE_BATCH + 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 2);

		if (n == AUDIT_PRUNE_BATCH ||
		    sqlite3_column_int64(st, 1) >= cutoff_us) {
			kept = sqlite3_column_int64(st, 0);
			*full = n == AUDIT_PRUNE_BATCH;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		snprintf(m->cut, sizeof(m->cut), "%s", s != NULL ? s : "");
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (n == 0)
		return 0;
	if (kept == 0)
		kept = h->next;	/* everything went: the marker is the first */
	st = au_stmt(a, AU_DELETE);
	sqlite3_bind_int64(st, 1, last);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_err("audit prune: %s", sqlite3_errmsg(a->db));
		return -1;
	}
	*deleted = sqlite3_changes(a->db);

	au_v_text(&m->v[AUDITCHAIN_C_KIND], "retention");
	au_v_int(&m->v[AUDITCHAIN_C_TS_US], now_us);
	au_v_text(&m->v[AUDITCHAIN_C_HOST_ID], a->host_id);
	au_v_int(&m->v[AUDITCHAIN_C_PRUNED_ROWS], *deleted);
	au_v_int(&m->v[AUDITCHAIN_C_FIRST_KEPT_SEQ], kept);
	au_v_text(&m->v[AUDITCHAIN_C_CUT_HASH], m->cut);
	snprintf(m->prev, sizeof(m->prev), "%s", h->hash);
	if (au_insert(a, h, m->v, m->hash) == -1)
		return -1;
	m->written = 1;
	log_info("audit retention: %lld rows deleted, kept from row %lld",
	    (long long)*deleted, (long long)kept);
	return 0;
}

/* Steps one of the statements that take no parameters. */
static int
au_exec(struct audit *a, enum au_stmt which)
{
	sqlite3_stmt	*st = a->st[which];
	int		 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
au_begin(struct audit *a, char *err, size_t errlen)
{
	if (audit_open(a, err, errlen) == -1)
		return -1;
	if (au_exec(a, AU_BEGIN) == -1) {
		snprintf(err, errlen, "audit database: %s",
		    sqlite3_errmsg(a->db));
		return -1;
	}
	return 0;
}

static int
au_commit(struct audit *a, int ok, char *err, size_t errlen)
{
	if (ok && au_exec(a, AU_COMMIT) == 0) {
		a->unsynced++;
		return 0;
	}
	snprintf(err, errlen, "audit database: %s", sqlite3_errmsg(a->db));
	if (!sqlite3_get_autocommit(a->db))
		(void)au_exec(a, AU_ROLLBACK);
	return -1;
}

/*
 * Makes every committed row durable: fsyncs the WAL through SQLite's own
 * handle of it.  The WAL is one file written in order, so this covers
 * the rows of every process before ours too.  Done after COMMIT, outside
 * the write lock, so workers' syncs overlap instead of queueing (a row
 * is durable before its response all the same).  A row a checkpoint
 * moved on is durable already: checkpoints sync.
 */
static int
au_sync_now(struct audit *a, char *err, size_t errlen)
{
	sqlite3_file	*wal = NULL;

	if (sqlite3_file_control(a->db, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &wal) != SQLITE_OK || wal == NULL || wal->pMethods == NULL ||
	    wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK) {
		snprintf(err, errlen, "audit database: cannot sync its "
		    "write-ahead log");
		return -1;
	}
	a->unsynced = 0;
	a->synced_us = au_now_us(CLOCK_MONOTONIC);
	return 0;
}

/* After a commit: syncs when "synchronous" wants this row durable now. */
static int
au_sync(struct audit *a, int changes, char *err, size_t errlen)
{
	if (a->unsynced == 0 || a->sync == AUDIT_SYNC_NORMAL)
		return 0;
	if (a->sync == AUDIT_SYNC_WRITES && !changes &&
	    au_now_us(CLOCK_MONOTONIC) - a->synced_us <
	    (int64_t)AUDIT_SYNC_LAG_MS * 1000)
		return 0;
	return au_sync_now(a, err, errlen);
}

int
audit_sync(struct audit *a, char *err, size_t errlen)
{
	if (a->db == NULL || a->unsynced == 0)
		return 0;
	return au_sync_now(a, err, errlen);
}

int
audit_unsynced(const struct audit *a)
{
	return a->db != NULL && a->unsynced > 0;
}

int
audit_sync_due_ms(const struct audit *a)
{
	int64_t	 left;

	if (a->sync != AUDIT_SYNC_WRITES || !audit_unsynced(a))
		return -1;
	left = a->synced_us + (int64_t)AUDIT_SYNC_LAG_MS * 1000 -
	    au_now_us(CLOCK_MONOTONIC);
	return left <= 0 ? 0 : (int)((left + 999) / 1000);
}


/* Retention on the write path: at most every AUDIT_PRUNE_INTERVAL_S. */
static int
au_retention(struct audit *a, struct au_head *h, int64_t now_us,
    struct au_marker *m)
{
	int64_t	 due, deleted;
	int	 full;

	if (a->retention_days == 0)
		return 0;
	if (au_meta_get(a, "next_prune_us", &due) == -1)
		return -1;
	if (now_us < due)
		return 0;
	if (au_prune_locked(a, h, now_us, now_us -
	    (int64_t)a->retention_days * 86400 * 1000000, &deleted,
	    &full, m) == -1)
		return -1;
	/* A full batch: the next write goes on pruning. */
	return au_meta_set(a, "next_prune_us", full ? now_us :
	    now_us + (int64_t)AUDIT_PRUNE_INTERVAL_S * 1000000);
}

int
audit_write(struct audit *a, const struct audit_event *ev, char *err,
    size_t errlen)
{
	struct auditchain_value	 v[AUDITCHAIN_C__MAX];
	struct au_head		 h;
	struct au_marker	 m;
	char			 prev[AUDITCHAIN_HEX_LEN + 1];
	char			 hash[AUDITCHAIN_HEX_LEN + 1];
	int			 ok;

	memset(&m, 0, sizeof(m));
	if (au_begin(a, err, errlen) == -1)
		return -1;
	au_values(a, ev, v);
	ok = au_head(a, &h) == 0 &&
	    au_retention(a, &h, au_now_us(CLOCK_REALTIME), &m) == 0;
	if (ok) {
		snprintf(prev, sizeof(prev), "%s", h.hash);
		ok = au_insert(a, &h, v, hash) == 0;
	}
	if (au_commit(a, ok, err, errlen) == -1 ||
	    au_sync(a, ev->changes, err, errlen) == -1)
		return -1;
	if (m.written)
		au_syslog(a, m.v, m.prev, m.hash);
	au_syslog(a, v, prev, hash);
	return 0;
}

int
audit_prune(struct audit *a, int64_t cutoff_us, int64_t *deleted,
    char *err, size_t errlen)
{
	struct au_head	 h;
	struct au_marker m;
	int64_t		 n = 0;
	int		 full, ok;

	if (au_begin(a, err, errlen) == -1)
		return -1;
	ok = au_head(a, &h) == 0 && au_prune_locked(a, &h,
	    au_now_us(CLOCK_REALTIME), cutoff_us, &n, &full, &m) == 0;
	if (au_commit(a, ok, err, errlen) == -1 ||
	    au_sync(a, 1, err, errlen) == -1)
		return -1;
	if (m.written)
		au_syslog(a, m.v, m.prev, m.hash);
	if (deleted != NULL)
		*deleted = n;
	return 0;
}

/* --- the syslog mirror ---------------------------------------------------- */

/* The row as a JSON object: non-NULL columns, then the chain hashes. */
static json_t *
au_row_json(const struct auditchain_value *v, const char *prev,
    const char *hash, int with_args)
{
	json_t	*o, *x;
	size_t	 i;

	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < AUDITCHAIN_C__MAX; i++) {
		x = NULL;
		if (v[i].type == AUDITCHAIN_V_INT)
			x = json_integer(v[i].i);
		else if (v[i].type == AUDITCHAIN_V_TEXT) {
			if (i == AUDITCHAIN_C_ARGS_REDACTED) {
				if (!with_args) {
					json_object_set_new(o, "args_omitted",
					    json_true());
					continue;
				}
				x = json_loadb(v[i].s, v[i].len,
				    JSON_DECODE_ANY, NULL);
			}
			if (x == NULL)
				x = json_stringn(v[i].s, v[i].len);
		} else
			continue;
		if (x == NULL || json_object_set_new(o,
		    auditchain_columns[i], x) == -1) {
			json_decref(o);
			return NULL;
		}
	}
	json_object_set_new(o, "prev_hash", json_string(prev));
	json_object_set_new(o, "row_hash", json_string(hash));
	return o;
}

/* Severity: warning for denials, notice for other failures, else info. */
static int
au_severity(const struct auditchain_value *v)
{
	const char *out = v[AUDITCHAIN_C_OUTCOME].s;
	const char *dec = v[AUDITCHAIN_C_DECISION].s;

	if (v[AUDITCHAIN_C_KIND].s != NULL &&
	    strcmp(v[AUDITCHAIN_C_KIND].s, "retention") == 0)
		return 5;
	if ((dec != NULL && strcmp(dec, "deny") == 0) ||
	    (out != NULL && strcmp(out, "auth_error") == 0))
		return 4;
	if (out != NULL && strcmp(out, "ok") != 0)
		return 5;
	return 6;
}

static int
au_syslog_connect(struct audit *a)
{
	struct sockaddr_un sun;

	if (a->syslog_fd != -1)
		close(a->syslog_fd);
	a->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a->syslog_fd == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", a->syslog_socket);
	if (connect(a->syslog_fd, (struct sockaddr *)&sun, sizeof(sun)) ==
	    -1) {
		close(a->syslog_fd);
		a->syslog_fd = -1;
		return -1;
	}
	return 0;
}

static void
au_syslog(struct audit *a, const struct auditchain_value *v,
    const char *prev, const char *hash)
{
	char		 line[BOUNDS_AUDIT_SYSLOG_LEN + 128], ts[32];
	json_t		*o;
	char		*s;
	struct tm	 tm;
	time_t		 now;
	int		 n, tries;

	if (!a->syslog)
		return;
	if ((o = au_row_json(v, prev, hash, 1)) == NULL)
		return;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (s != NULL && strlen(s) > BOUNDS_AUDIT_SYSLOG_LEN) {
		free(s);
		s = NULL;
		if ((o = au_row_json(v, prev, hash, 0)) != NULL)
			s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
	}
	if (s == NULL)
		return;
	/* RFC 3164, as syslog(3) sends it to /dev/log; the time in UTC. */
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "<%d>%s mcpgate-audit[%ld]: %s",
	    a->facility * 8 + au_severity(v), ts, (long)getpid(), s);
	free(s);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	for (tries = 0; tries < 2; tries++) {
		if (a->syslog_fd == -1 && au_syslog_connect(a) == -1)
			continue;
		if (send(a->syslog_fd, line, (size_t)n, MSG_DONTWAIT |
		    MSG_NOSIGNAL) == n)
			return;
		close(a->syslog_fd);	/* syslogd restarted: reconnect */
		a->syslog_fd = -1;
	}
	if (!a->syslog_warned)
		log_warn("audit syslog mirror %s: %s (the audit database "
		    "still has every row)", a->syslog_socket,
		    strerror(errno));
	a->syslog_warned = 1;
}

/* --- events --------------------------------------------------------------- */

int
audit_event_begin(struct audit_event *ev, const char *tp)
{
	int		 rc = 0;
	size_t		 i, len;

	memset(ev, 0, sizeof(*ev));
	ev->ts_us = au_now_us(CLOCK_REALTIME);
	ev->start_us = au_now_us(CLOCK_MONOTONIC);
	ev->retryable = -1;
	ev->retry_after_ms = -1;
	if (digest_random_hex(ev->request_id, 16) == -1 ||
	    digest_random_hex(ev->span_id, 8) == -1) {
		snprintf(ev->request_id, sizeof(ev->request_id),
		    "unavailable");
		snprintf(ev->span_id, sizeof(ev->span_id), "unavailable");
		rc = -1;
	}
	/*
	 * W3C Trace Context §3.2: version-traceid-parentid-flags, lower-case
	 * hex; version ff and all-zero ids are invalid; a later version may
	 * append fields after a '-'.
	 */
	len = tp != NULL ? strlen(tp) : 0;
	if (len >= 55 && len <= BOUNDS_TRACEPARENT_LEN &&
	    (len == 55 || (strncmp(tp, "00", 2) != 0 && tp[55] == '-')) &&
	    tp[2] == '-' && tp[35] == '-' && tp[52] == '-' &&
	    strncmp(tp, "ff", 2) != 0) {
		int ok = 1;

		for (i = 0; i < 55 && ok; i++) {
			if (i == 2 || i == 35 || i == 52)
				continue;
			ok = (tp[i] >= '0' && tp[i] <= '9') ||
			    (tp[i] >= 'a' && tp[i] <= 'f');
		}
		if (ok && strncmp(tp + 3, "00000000000000000000000000000000",
		    32) != 0 && strncmp(tp + 36, "0000000000000000", 16) != 0) {
			memcpy(ev->trace_id, tp + 3, 32);
			memcpy(ev->parent_span_id, tp + 36, 16);
			memcpy(ev->trace_flags, tp + 53, 2);
			return rc;
		}
	}
	memcpy(ev->trace_flags, "00", 2);
	if (digest_random_hex(ev->trace_id, 16) == -1) {
		snprintf(ev->trace_id, sizeof(ev->trace_id),
		    "00000000000000000000000000000001");
		rc = -1;
	}
	return rc;
}

void
audit_traceparent(const struct audit_event *ev, char out[56])
{
	snprintf(out, 56, "00-%.32s-%.16s-%.2s", ev->trace_id, ev->span_id,
	    ev->trace_flags);
}

void
audit_event_clear(struct audit_event *ev)
{
	free(ev->args_redacted);
	memset(ev, 0, sizeof(*ev));
	ev->retryable = -1;
	ev->retry_after_ms = -1;
}

void
audit_event_error(struct audit_event *ev, enum audit_outcome out,
    const char *category, const char *code)
{
	ev->outcome = out;
	AUDIT_SET(ev->error_category, category);
	AUDIT_SET(ev->error_code, code);
}

void
audit_event_finish(struct audit_event *ev, int status, size_t bytes_out)
{
	ev->http_status = status;
	ev->bytes_out = (int64_t)bytes_out;
	ev->latency_us = au_now_us(CLOCK_MONOTONIC) - ev->start_us;
	if (ev->outcome != AUDIT_OUT_UNSET)
		return;
	if (status >= 200 && status < 400) {
		ev->outcome = AUDIT_OUT_OK;
		return;
	}
	/* A refusal nobody labelled: its status says what it was. */
	audit_event_error(ev, status == 401 ? AUDIT_OUT_AUTH_ERROR :
	    AUDIT_OUT_HTTP_ERROR, status >= 500 ? "internal" : status == 401 ?
	    "authentication" : status == 403 ? "authorization" : status ==
	    404 ? "not_found" : status == 429 ? "rate_limited" : "protocol",
	    "http_status");
}

/* --- arguments: canonical form, digest, redaction ------------------------- */

char *
audit_canonical(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

int
audit_digest(const struct audit *a, const json_t *args,
    char out[DIGEST_HEX_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	static const char tag[] = AU_ARGS_TAG;
	unsigned char	 md[32];
	json_t		*copy = NULL;
	char		*s, *msg;
	size_t		 len, mdlen = 0, i;

	if (json_is_object(args) && json_object_get(args,
	    "idempotency_key") != NULL) {
		/* The key is hashed on its own (idem_key_hash). */
		if ((copy = json_copy((json_t *)args)) == NULL)
			return -1;
		json_object_del(copy, "idempotency_key");
		args = copy;
	}
	s = audit_canonical(args);
	json_decref(copy);
	if (s == NULL)
		return -1;
	len = strlen(s);
	if (a == NULL || !a->sealed) {
		digest_sha256_hex(s, len, out);
		free(s);
		return 0;
	}
	/* Keyed: a guessable secret cannot be tested against the digest. */
	if ((msg = malloc(sizeof(tag) + len)) == NULL) {
		free(s);
		return -1;
	}
	memcpy(msg, tag, sizeof(tag));
	memcpy(msg + sizeof(tag), s, len);
	free(s);
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, a->key.bytes,
	    a->key.len, (unsigned char *)msg, sizeof(tag) + len, md,
	    sizeof(md), &mdlen) == NULL || mdlen != sizeof(md)) {
		free(msg);
		return -1;
	}
	free(msg);
	for (i = 0; i < sizeof(md); i++) {
		out[2 * i] = hexd[md[i] >> 4];
		out[2 * i + 1] = hexd[md[i] & 0xf];
	}
	out[DIGEST_HEX_LEN] = '\0';
	return 0;
}

int
audit_name_secret(const struct audit *a, const char *name)
{
	char	*n;
	size_t	 i;
	int	 hit = 0;

	if ((n = au_normalise(name, 0)) == NULL)
		return 1;	/* cannot tell: redact */
	for (i = 0; a != NULL && i < a->npatterns && !hit; i++)
		hit = fnmatch(a->patterns[i], n, 0) == 0;
	if (a == NULL)
		for (i = 0; au_default_patterns[i] != NULL && !hit; i++) {
			char *p = au_normalise(au_default_patterns[i], 1);

			hit = p == NULL || fnmatch(p, n, 0) == 0;
			free(p);
		}
	free(n);
	return hit;
}

/* The subschemas that apply to one value (a conservative superset). */
struct au_sset {
	const json_t	*s[AU_SCHEMAS_MAX];
	size_t		 n;
};

/* "#/a/b~1c" inside root (RFC 6901), or NULL. */
static const json_t *
au_pointer(const json_t *root, const char *ref)
{
	char		 tok[256];
	const json_t	*cur = root;
	const char	*p;
	size_t		 n;

	if (ref[0] != '#')
		return NULL;
	p = ref + 1;
	while (*p == '/' && cur != NULL) {
		p++;
		for (n = 0; *p != '\0' && *p != '/' && n + 1 < sizeof(tok);
		    p++) {
			if (p[0] == '~' && p[1] == '1') {
				tok[n++] = '/';
				p++;
			} else if (p[0] == '~' && p[1] == '0') {
				tok[n++] = '~';
				p++;
			} else
				tok[n++] = *p;
		}
		tok[n] = '\0';
		if (json_is_object(cur))
			cur = json_object_get(cur, tok);
		else if (json_is_array(cur))
			cur = json_array_get(cur, strtoul(tok, NULL, 10));
		else
			cur = NULL;
	}
	return *p == '\0' ? cur : NULL;
}

static void
au_sset_add(const json_t *root, struct au_sset *set, const json_t *s,
    int depth)
{
	static const char *const combos[] = { "allOf", "anyOf", "oneOf",
	    NULL };
	const json_t	*r, *e;
	size_t		 i, j;

	if (!json_is_object(s) || set->n >= AU_SCHEMAS_MAX ||
	    depth > AU_REF_DEPTH)
		return;
	for (i = 0; i < set->n; i++)
		if (set->s[i] == s)
			return;
	set->s[set->n++] = s;
	r = json_object_get(s, "$ref");
	if (json_is_string(r) && root != NULL)
		au_sset_add(root, set, au_pointer(root, json_string_value(r)),
		    depth + 1);
	for (i = 0; combos[i] != NULL; i++) {
		r = json_object_get(s, combos[i]);
		json_array_foreach((json_t *)r, j, e)
			au_sset_add(root, set, e, depth + 1);
	}
	au_sset_add(root, set, json_object_get(s, "then"), depth + 1);
	au_sset_add(root, set, json_object_get(s, "else"), depth + 1);
}

static int
au_sset_marked(const struct au_sset *set)
{
	size_t	 i;

	for (i = 0; i < set->n; i++)
		if (json_is_true(json_object_get(set->s[i], "writeOnly")) ||
		    json_is_true(json_object_get(set->s[i], "x-redact")))
			return 1;
	return 0;
}

/* What applies to member key of an object under set. */
static void
au_sset_member(const json_t *root, const struct au_sset *set,
    const char *key, struct au_sset *out)
{
	const json_t	*props, *e;
	const char	*k;
	size_t		 i;

	out->n = 0;
	for (i = 0; i < set->n; i++) {
		props = json_object_get(set->s[i], "properties");
		e = json_object_get(props, key);
		if (e != NULL)
			au_sset_add(root, out, e, 0);
		else
			au_sset_add(root, out, json_object_get(set->s[i],
			    "additionalProperties"), 0);
		/* Patterns are not evaluated: any marked one applies. */
		json_object_foreach((json_t *)json_object_get(set->s[i],
		    "patternProperties"), k, e)
			au_sset_add(root, out, e, 0);
	}
}

/* What applies to element idx of an array under set. */
static void
au_sset_item(const json_t *root, const struct au_sset *set, size_t idx,
    struct au_sset *out)
{
	const json_t	*items, *prefix;
	size_t		 i;

	out->n = 0;
	for (i = 0; i < set->n; i++) {
		items = json_object_get(set->s[i], "items");
		prefix = json_object_get(set->s[i], "prefixItems");
		if (json_is_array(items))	/* draft-07 tuple form */
			au_sset_add(root, out, json_array_get(items, idx), 0);
		else
			au_sset_add(root, out, items, 0);
		au_sset_add(root, out, json_array_get(prefix, idx), 0);
		au_sset_add(root, out, json_object_get(set->s[i],
		    "additionalItems"), 0);
	}
}

/* A string cut to max bytes at a character boundary, with a note. */
static json_t *
au_cut(const struct audit *a, const json_t *v)
{
	const char	*s = json_string_value(v);
	size_t		 len = json_string_length(v), max, n;
	char		*buf;
	json_t		*out;

	max = a != NULL ? a->max_string : BOUNDS_AUDIT_STRING_DEFAULT;
	if (len <= max)
		return json_incref((json_t *)v);
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	if ((buf = malloc(n + 64)) == NULL)
		return NULL;
	memcpy(buf, s, n);
	snprintf(buf + n, 64, "\xe2\x80\xa6(+%zu bytes)", len - n);
	out = json_string(buf);
	free(buf);
	return out;
}

static json_t *
au_redact_value(const struct audit *a, const json_t *root,
    const struct au_sset *set, const json_t *v, int top)
{
	struct au_sset	 sub;
	const char	*k;
	json_t		*out, *e, *r;
	size_t		 i;

	if (set != NULL && au_sset_marked(set))
		return json_string(AUDIT_REDACTED);
	if (json_is_object(v)) {
		if ((out = json_object()) == NULL)
			return NULL;
		json_object_foreach((json_t *)v, k, e) {
			if ((top && strcmp(k, "idempotency_key") == 0) ||
			    audit_name_secret(a, k))
				r = json_string(AUDIT_REDACTED);
			else {
				au_sset_member(root, set, k, &sub);
				r = au_redact_value(a, root, &sub, e, 0);
			}
			if (r == NULL || json_object_set_new(out, k, r) == -1) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_array(v)) {
		if ((out = json_array()) == NULL)
			return NULL;
		json_array_foreach((json_t *)v, i, e) {
			au_sset_item(root, set, i, &sub);
			r = au_redact_value(a, root, &sub, e, 0);
			if (r == NULL || json_array_append_new(out, r) == -1) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_string(v))
		return au_cut(a, v);
	return json_incref((json_t *)v);
}

json_t *
audit_redact(const struct audit *a, const json_t *schema, const json_t *args)
{
	struct au_sset	 set;

	set.n = 0;
	au_sset_add(schema, &set, schema, 0);
	return au_redact_value(a, schema, &set, args, 1);
}

int
audit_event_args(const struct audit *a, struct audit_event *ev,
    const json_t *schema, const json_t *args)
{
	json_t	*red;
	char	*s;
	size_t	 len;

	if (args == NULL)
		return 0;
	if (audit_digest(a, args, ev->args_digest) == -1)
		return -1;
	if ((red = audit_redact(a, schema, args)) == NULL) {
		ev->args_digest[0] = '\0';
		return -1;
	}
	s = audit_canonical(red);
	json_decref(red);
	if (s == NULL) {
		ev->args_digest[0] = '\0';
		return -1;
	}
	if ((len = strlen(s)) > BOUNDS_AUDIT_ARGS_LEN) {
		/* Only the size of what was too long to keep. */
		free(s);
		if (asprintf(&s, "{\"$omitted_bytes\":%zu}", len) < 0) {
			ev->args_digest[0] = '\0';
			return -1;
		}
	}
	free(ev->args_redacted);
	ev->args_redacted = s;
	return 0;
}
