/*
 * auth.c -- credentials on every request (never once per session).
 *
 * Config ("auth" member):
 *   mode             "none" (anonymous, every tool callable) or "required"
 *   api_keys         accept mcpk_ keys from the state database (default true)
 *   api_key_header   another header that may carry an API key ("X-API-Key")
 *   jwt              { issuer, audience (default server.resource_url),
 *                      algorithms [..], keys [{pem,alg,kid?} | {jwks} |
 *                      {secret,kid?}], leeway_seconds }
 *   authorization_servers   for the RFC 9728 metadata
 *   list_unauthorized_tools show tools the caller may not call (default false)
 *   throttle         { failures, window_seconds, block_seconds }
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

#include "apikey.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "digest.h"
#include "http.h"
#include "jwt.h"
#include "log.h"
#include "store.h"

/*
 * Verified JWTs, remembered per process: an agent sends the same token on
 * every call, and checking its signature again costs 0.4 M (RS256) to
 * 0.9 M (ES256) instructions.  Keyed by the token's SHA-256; an entry is
 * used only while now lies inside [nbf, exp) of the token (outside it
 * the token is verified afresh, which gives the exact answer, leeway
 * included), and every entry goes when a key file is re-read.  Only
 * tokens that verified are remembered.
 */
#define AUTH_JWT_MEMO	64	/* entries, direct-mapped */

struct auth_memo {
	unsigned char	 hash[DIGEST_SHA256_LEN];
	int		 used;
	time_t		 nbf;
	time_t		 exp;
	char		 id[AUTH_PRINCIPAL_LEN];
	char		 issuer[256];
	char		 subject[256];
	char		 scopes[AUTH_SCOPES_LEN];
};

struct auth {
	const struct config	*cfg;
	struct auth_memo	*memo;	/* AUTH_JWT_MEMO, on first JWT */
	int			 required;
	int			 api_keys;
	int			 list_all;
	char			*key_header;
	struct jwt_keyset	*jwt;
	char			*iss;
	char			*aud;
	int			 leeway;
	int			 th_failures;
	int			 th_window;
	int			 th_block;
};

static const char *const auth_keys[] = { "mode", "api_keys",
	"api_key_header", "jwt", "authorization_servers",
	"list_unauthorized_tools", "throttle", NULL };
static const char *const jwt_keys[] = { "issuer", "audience", "algorithms",
	"keys", "leeway_seconds", NULL };
static const char *const jwtkey_keys[] = { "pem", "jwks", "secret", "alg",
	"kid", NULL };
static const char *const throttle_keys[] = { "failures", "window_seconds",
	"block_seconds", NULL };

static int
auth_only(json_t *o, const char *const *allowed, const char *path, char *err,
    size_t errlen)
{
	const char	*key, *const *k;
	json_t		*v;

	json_object_foreach(o, key, v) {
		for (k = allowed; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL) {
			snprintf(err, errlen, "%s: unknown member \"%.64s\"",
			    path, key);
			return -1;
		}
	}
	return 0;
}

/* Joins a config-relative path. */
static char *
auth_path(const struct config *cfg, const char *p)
{
	char	*dir, *slash, *out;

	if (p[0] == '/')
		return strdup(p);
	if ((dir = strdup(cfg->path)) == NULL)
		return NULL;
	slash = strrchr(dir, '/');
	if (slash == NULL) {
		free(dir);
		return strdup(p);
	}
	*slash = '\0';
	if (asprintf(&out, "%s/%s", dir, p) < 0)
		out = NULL;
	free(dir);
	return out;
}

static int
auth_int(json_t *o, const char *key, int def, int min, int max, int *out,
    const char *path, char *err, size_t errlen)
{
	json_t	*v = json_object_get(o, key);

	*out = def;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max) {
		snprintf(err, errlen, "%s/%s: must be an integer from %d to %d",
		    path, key, min, max);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/*
 * A key file that fails when the first token needing it arrives (lazy
 * keysets): the deployment is broken, not the token, so it is logged as
 * an error; such tokens then get AUTH_ERROR (503).  msg is "path: what is
 * wrong" and never holds key material.
 */
static void
auth_jwt_report(const char *msg)
{
	log_err("JWT key file (run `mcpgate check`): %s", msg);
}

static int
auth_jwt(struct auth *a, json_t *j, char *err, size_t errlen)
{
	json_t		*algs, *keys, *k, *v;
	unsigned int	 allowed = 0;
	enum jwt_sigalg	 alg;
	size_t		 i;
	char		 p[64], kerr[BOUNDS_ERRMSG_LEN], *file;
	int		 rc;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "/auth/jwt: must be an object");
		return -1;
	}
	if (auth_only(j, jwt_keys, "/auth/jwt", err, errlen) == -1)
		return -1;
	v = json_object_get(j, "issuer");
	if (!json_is_string(v) || json_string_length(v) == 0) {
		snprintf(err, errlen, "/auth/jwt/issuer: required: the "
		    "expected \"iss\"");
		return -1;
	}
	a->iss = strdup(json_string_value(v));
	v = json_object_get(j, "audience");
	if (v != NULL && !json_is_string(v)) {
		snprintf(err, errlen, "/auth/jwt/audience: must be a string");
		return -1;
	}
	if (v != NULL)
		a->aud = strdup(json_string_value(v));
	else if (a->cfg->resource_url != NULL)
		a->aud = strdup(a->cfg->resource_url);
	else {
		snprintf(err, errlen, "/auth/jwt/audience: required (or set "
		    "/server/resource_url, the canonical URL tokens must name "
		    "as audience, RFC 8707)");
		return -1;
	}
	if (auth_int(j, "leeway_seconds", 60, 0, JWT_LEEWAY_MAX, &a->leeway,
	    "/auth/jwt", err, errlen) == -1)
		return -1;
	algs = json_object_get(j, "algorithms");
	if (!json_is_array(algs) || json_array_size(algs) == 0) {
		snprintf(err, errlen, "/auth/jwt/algorithms: required: a list "
		    "such as [\"RS256\", \"ES256\"] (HS256 only if you mean "
		    "it)");
		return -1;
	}
	json_array_foreach(algs, i, v) {
		if (!json_is_string(v) ||
		    jwt_sigalg_from_name(json_string_value(v), &alg) == -1) {
			snprintf(err, errlen, "/auth/jwt/algorithms/%zu: must "
			    "be one of RS256, PS256, ES256, EdDSA, HS256", i);
			return -1;
		}
		allowed |= JWT_ALLOW(alg);
	}
	if ((a->jwt = jwt_keyset_new(allowed)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/*
	 * The server (CONFIG_LAZY_KEYS) reads a key file only when a token
	 * needs it: a CGI process serving an API key never decodes a key.
	 * `mcpgate check` reads and checks them all now.
	 */
	if (a->cfg->flags & CONFIG_LAZY_KEYS)
		jwt_keyset_set_lazy(a->jwt, auth_jwt_report);
	keys = json_object_get(j, "keys");
	if (!json_is_array(keys) || json_array_size(keys) == 0) {
		snprintf(err, errlen, "/auth/jwt/keys: required: at least one "
		    "{\"pem\"|\"jwks\"|\"secret\": file}");
		return -1;
	}
	json_array_foreach(keys, i, k) {
		const char *kid;

		snprintf(p, sizeof(p), "/auth/jwt/keys/%zu", i);
		if (!json_is_object(k) ||
		    auth_only(k, jwtkey_keys, p, err, errlen) == -1) {
			if (!json_is_object(k))
				snprintf(err, errlen, "%s: must be an object",
				    p);
			return -1;
		}
		kid = json_string_value(json_object_get(k, "kid"));
		kerr[0] = '\0';
		if ((v = json_object_get(k, "pem")) != NULL) {
			json_t *an = json_object_get(k, "alg");

			if (!json_is_string(an) || jwt_sigalg_from_name(
			    json_string_value(an), &alg) == -1) {
				snprintf(err, errlen, "%s/alg: required for a "
				    "PEM key: the one algorithm it verifies",
				    p);
				return -1;
			}
			if (!json_is_string(v) ||
			    (file = auth_path(a->cfg, json_string_value(v))) ==
			    NULL)
				goto badfile;
			rc = jwt_keyset_add_pem(a->jwt, file, alg, kid, kerr,
			    sizeof(kerr));
		} else if ((v = json_object_get(k, "jwks")) != NULL) {
			if (!json_is_string(v) ||
			    (file = auth_path(a->cfg, json_string_value(v))) ==
			    NULL)
				goto badfile;
			rc = jwt_keyset_add_jwks(a->jwt, file, kerr,
			    sizeof(kerr));
		} else if ((v = json_object_get(k, "secret")) != NULL) {
			if (!json_is_string(v) ||
			    (file = auth_path(a->cfg, json_string_value(v))) ==
			    NULL)
				goto badfile;
			rc = jwt_keyset_add_secret(a->jwt, file, kid, kerr,
			    sizeof(kerr));
		} else {
			snprintf(err, errlen, "%s: needs \"pem\", \"jwks\" or "
			    "\"secret\"", p);
			return -1;
		}
		free(file);
		if (rc == -1) {
			snprintf(err, errlen, "%s: %s", p, kerr);
			return -1;
		}
	}
	return 0;
badfile:
	snprintf(err, errlen, "/auth/jwt/keys/%zu: the file must be a string",
	    i);
	return -1;
}

struct auth *
auth_new(const struct config *cfg, char *err, size_t errlen)
{
	struct auth	*a;
	json_t		*o = cfg->auth, *v, *th;
	const char	*mode;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->cfg = cfg;
	a->api_keys = 1;
	if (auth_only(o, auth_keys, "/auth", err, errlen) == -1)
		goto fail;
	v = json_object_get(o, "mode");
	mode = v != NULL ? json_string_value(v) : "required";
	if (mode == NULL || (strcmp(mode, "none") != 0 &&
	    strcmp(mode, "required") != 0)) {
		snprintf(err, errlen, "/auth/mode: must be \"required\" or "
		    "\"none\"");
		goto fail;
	}
	a->required = strcmp(mode, "required") == 0;
	v = json_object_get(o, "api_keys");
	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, errlen, "/auth/api_keys: must be true or false");
		goto fail;
	}
	if (v != NULL)
		a->api_keys = json_is_true(v);
	v = json_object_get(o, "list_unauthorized_tools");
	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, errlen, "/auth/list_unauthorized_tools: must be "
		    "true or false");
		goto fail;
	}
	a->list_all = json_is_true(v);
	v = json_object_get(o, "api_key_header");
	if (v != NULL) {
		const char *h = json_string_value(v);
		size_t i;

		if (h == NULL || *h == '\0' || strlen(h) > 64 ||
		    strcasecmp(h, "Authorization") == 0) {
			snprintf(err, errlen, "/auth/api_key_header: must be a "
			    "header name such as \"X-API-Key\"");
			goto fail;
		}
		for (i = 0; h[i] != '\0'; i++)
			if (!isalnum((unsigned char)h[i]) && h[i] != '-') {
				snprintf(err, errlen, "/auth/api_key_header: "
				    "letters, digits and '-' only");
				goto fail;
			}
		a->key_header = strdup(h);
	}
	v = json_object_get(o, "authorization_servers");
	if (v != NULL && !json_is_array(v)) {
		snprintf(err, errlen, "/auth/authorization_servers: must be "
		    "an array of URLs");
		goto fail;
	}
	th = json_object_get(o, "throttle");
	if (th != NULL && (!json_is_object(th) || auth_only(th,
	    throttle_keys, "/auth/throttle", err, errlen) == -1)) {
		if (!json_is_object(th))
			snprintf(err, errlen, "/auth/throttle: must be an "
			    "object");
		goto fail;
	}
	if (auth_int(th, "failures", AUTH_THROTTLE_FAILURES, 1, 100000,
	    &a->th_failures, "/auth/throttle", err, errlen) == -1 ||
	    auth_int(th, "window_seconds", AUTH_THROTTLE_WINDOW, 1, 86400,
	    &a->th_window, "/auth/throttle", err, errlen) == -1 ||
	    auth_int(th, "block_seconds", AUTH_THROTTLE_BLOCK, 1, 86400,
	    &a->th_block, "/auth/throttle", err, errlen) == -1)
		goto fail;
	v = json_object_get(o, "jwt");
	if (v != NULL && auth_jwt(a, v, err, errlen) == -1)
		goto fail;
	if (a->required && !a->api_keys && a->jwt == NULL) {
		snprintf(err, errlen, "/auth: mode \"required\" needs api_keys "
		    "or jwt");
		goto fail;
	}
	return a;
fail:
	auth_free(a);
	return NULL;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	jwt_keyset_free(a->jwt);
	free(a->memo);
	free(a->key_header);
	free(a->iss);
	free(a->aud);
	free(a);
}

int
auth_required(const struct auth *a)
{
	return a->required;
}

int
auth_list_all(const struct auth *a)
{
	return a->list_all;
}

const char *
auth_method_name(enum auth_method m)
{
	switch (m) {
	case AUTH_M_APIKEY:
		return "apikey";
	case AUTH_M_JWT:
		return "jwt";
	default:
		return "none";
	}
}

/*
 * The credential: "Authorization: Bearer x" first, then the key header.
 * Another scheme (Basic, Digest) is no Bearer credential at all: it may
 * be meant for the web server in front, so the key header still counts,
 * and without one the request has no credential (RFC 6750 §3.1: then no
 * error code in the challenge, and nothing for the throttle to count).
 * "Bearer" with nothing usable after it is a malformed credential: "".
 */
static const char *
auth_credential(struct auth *a, const struct http_req *req, size_t *len,
    int *from_key_header)
{
	const char	*v = http_header(req, "Authorization");
	size_t		 scheme;

	*from_key_header = 0;
	if (v != NULL) {
		scheme = strcspn(v, " ");
		/* RFC 6750 §2.1: the scheme is case-insensitive. */
		if (scheme == 6 && strncasecmp(v, "Bearer", 6) == 0) {
			v += 6;
			while (*v == ' ')
				v++;
			*len = strlen(v);
			while (*len > 0 && v[*len - 1] == ' ')
				(*len)--;
			return v;
		}
		if (strncasecmp(v, "Bearer", 6) == 0)
			return "";	/* "Bearerxyz": a mangled Bearer */
	}
	if (a->key_header != NULL &&
	    (v = http_header(req, a->key_header)) != NULL) {
		*from_key_header = 1;
		*len = strlen(v);
		return v;
	}
	return NULL;
}

/* The memo slot of a token hash (allocated on first use), or NULL. */
static struct auth_memo *
auth_memo_get(struct auth *a, const unsigned char *hash)
{
	if (a->memo == NULL &&
	    (a->memo = calloc(AUTH_JWT_MEMO, sizeof(*a->memo))) == NULL)
		return NULL;
	return &a->memo[hash[0] % AUTH_JWT_MEMO];
}

enum authres
auth_check(struct auth *a, struct sqlite3 *db, const struct http_req *req,
    time_t now, struct auth_principal *p)
{
	struct apikey_info	 ki;
	struct jwt_claims	 cl;
	struct auth_memo	*m;
	unsigned char		 hash[DIGEST_SHA256_LEN];
	const char		*cred;
	size_t			 len = 0;
	int			 fromhdr;
	char			 kerr[BOUNDS_ERRMSG_LEN];

	memset(p, 0, sizeof(*p));
	if (!a->required) {
		p->res = AUTH_OK;
		p->method = AUTH_M_NONE;
		p->all_scopes = 1;
		snprintf(p->id, sizeof(p->id), "anonymous");
		return p->res;
	}
	cred = auth_credential(a, req, &len, &fromhdr);
	if (cred == NULL) {
		p->res = AUTH_MISSING;
		snprintf(p->reason, sizeof(p->reason), "no credential");
		return p->res;
	}
	if (*cred == '\0' || len == 0) {
		p->res = AUTH_INVALID;
		snprintf(p->reason, sizeof(p->reason), "empty or malformed "
		    "Bearer credential");
		return p->res;
	}
	if (len > BOUNDS_TOKEN_LEN) {
		p->res = AUTH_INVALID;
		snprintf(p->reason, sizeof(p->reason), "credential longer "
		    "than %d bytes", BOUNDS_TOKEN_LEN);
		return p->res;
	}
	if (apikey_is_apikey(cred, len)) {
		p->method = AUTH_M_APIKEY;
		if (!a->api_keys) {
			p->res = AUTH_INVALID;
			snprintf(p->reason, sizeof(p->reason), "API keys are "
			    "disabled");
			return p->res;
		}
		if (db == NULL) {
			p->res = AUTH_ERROR;
			return p->res;
		}
		p->res = apikey_store_verify(db, cred, len, now, &ki);
		snprintf(p->key_id, sizeof(p->key_id), "%s", ki.id);
		if (p->res == AUTH_OK) {
			snprintf(p->id, sizeof(p->id), "%s", ki.name);
			snprintf(p->scopes, sizeof(p->scopes), "%s",
			    ki.scopes);
		} else
			snprintf(p->reason, sizeof(p->reason), "API key %s",
			    authres_name(p->res));
		return p->res;
	}
	p->method = AUTH_M_JWT;
	if (a->jwt == NULL || fromhdr) {
		p->res = AUTH_INVALID;
		snprintf(p->reason, sizeof(p->reason), "%s", fromhdr ?
		    "the API-key header carried something else" :
		    "not an API key, and JWTs are not configured");
		return p->res;
	}
	switch (jwt_keyset_refresh(a->jwt, kerr, sizeof(kerr))) {
	case 0:
		break;
	case -1:
		log_warn("JWT keys: %s", kerr);
		/* FALLTHROUGH */
	default:
		/* A key file changed: what it verified is verified afresh. */
		if (a->memo != NULL)
			memset(a->memo, 0, sizeof(*a->memo) * AUTH_JWT_MEMO);
		break;
	}
	if (digest_sha256(cred, len, hash) == 0) {
		m = auth_memo_get(a, hash);
		if (m != NULL && m->used && memcmp(m->hash, hash,
		    sizeof(hash)) == 0 && now >= m->nbf && now < m->exp) {
			p->res = AUTH_OK;
			memcpy(p->id, m->id, sizeof(p->id));
			memcpy(p->issuer, m->issuer, sizeof(p->issuer));
			memcpy(p->subject, m->subject, sizeof(p->subject));
			memcpy(p->scopes, m->scopes, sizeof(p->scopes));
			return p->res;
		}
	} else
		m = NULL;
	p->res = jwt_verify(a->jwt, cred, len, now, a->leeway, a->iss, a->aud,
	    &cl, p->reason, sizeof(p->reason));
	if (p->res == AUTH_OK && (strlen(cl.iss) + strlen(cl.sub) + 2 >
	    sizeof(p->id) || strlen(cl.iss) >= sizeof(p->issuer) ||
	    strlen(cl.sub) >= sizeof(p->subject) ||
	    (cl.scope != NULL && strlen(cl.scope) >= sizeof(p->scopes)))) {
		/* Never truncate an identity or a scope list: refuse. */
		p->res = AUTH_INVALID;
		snprintf(p->reason, sizeof(p->reason), "identity or scope "
		    "claims too long");
	}
	if (p->res == AUTH_OK) {
		snprintf(p->id, sizeof(p->id), "%s#%s", cl.iss, cl.sub);
		snprintf(p->issuer, sizeof(p->issuer), "%s", cl.iss);
		snprintf(p->subject, sizeof(p->subject), "%s", cl.sub);
		snprintf(p->scopes, sizeof(p->scopes), "%s",
		    cl.scope ? cl.scope : "");
		if (m != NULL) {
			memcpy(m->hash, hash, sizeof(hash));
			m->used = 1;
			m->nbf = cl.nbf;
			m->exp = cl.exp;
			memcpy(m->id, p->id, sizeof(m->id));
			memcpy(m->issuer, p->issuer, sizeof(m->issuer));
			memcpy(m->subject, p->subject, sizeof(m->subject));
			memcpy(m->scopes, p->scopes, sizeof(m->scopes));
		}
	}
	jwt_claims_clear(&cl);
	return p->res;
}

int
auth_has_scope(const struct auth_principal *p, const char *scope)
{
	if (scope == NULL || p->all_scopes)
		return 1;
	return authres_scope_has(p->scopes, scope);
}

int
auth_throttle_check(struct auth *a, struct sqlite3 *db, const char *addr,
    time_t now)
{
	/* A string constant: store_stmt_get keeps it prepared by address. */
	static const char sql[] = "SELECT blocked_until FROM auth_failures "
	    "WHERE addr = ?1";
	sqlite3_stmt	*st;
	int		 wait = 0;

	if (db == NULL || addr == NULL)
		return 0;
	if ((st = store_stmt_get(db, sql)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		sqlite3_int64 until = sqlite3_column_int64(st, 0);

		if (until > now)
			wait = (int)(until - now);
	}
	store_stmt_put(db, st);
	return wait;
}

void
auth_throttle_fail(struct auth *a, struct sqlite3 *db, const char *addr,
    time_t now)
{
	/*
	 * One statement: a window that ran out starts again at 1, and the
	 * failure that reaches the limit blocks, even the first (limit 1).
	 */
	static const char sql[] =
	    "INSERT INTO auth_failures (addr, window_start, failures, "
	    "blocked_until) VALUES (?1, ?2, 1, CASE WHEN ?4 <= 1 THEN "
	    "?2 + ?5 ELSE 0 END) ON CONFLICT(addr) DO UPDATE SET "
	    "failures = CASE WHEN window_start + ?3 <= ?2 THEN 1 "
	    "ELSE failures + 1 END, "
	    "window_start = CASE WHEN window_start + ?3 <= ?2 THEN ?2 "
	    "ELSE window_start END, "
	    "blocked_until = CASE WHEN (CASE WHEN window_start + ?3 <= ?2 "
	    "THEN 1 ELSE failures + 1 END) >= ?4 THEN ?2 + ?5 "
	    "ELSE blocked_until END";
	sqlite3_stmt	*st;

	if (db == NULL || addr == NULL)
		return;
	if ((st = store_stmt_get(db, sql)) == NULL) {
		log_err("throttle: %s", sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int(st, 3, a->th_window);
	sqlite3_bind_int(st, 4, a->th_failures);
	sqlite3_bind_int(st, 5, a->th_block);
	if (sqlite3_step(st) != SQLITE_DONE)
		log_err("throttle: %s", sqlite3_errmsg(db));
	store_stmt_put(db, st);
}
