/*
 * auth.h -- the authentication gate on the request path: which credential
 * a request carries (Authorization: Bearer, or a configured API-key
 * header), whether it is genuine (API keys in the state database, JWTs
 * with OpenSSL), who it names and what scopes it grants; and the throttle
 * on repeated failures per client address.  Knows nothing of MCP; sees
 * the request only through http.h.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <time.h>

#include "authres.h"

struct auth;
struct config;
struct http_req;
struct sqlite3;

/* Throttle defaults: this many failures per window blocks the address. */
#define AUTH_THROTTLE_FAILURES	10
#define AUTH_THROTTLE_WINDOW	60	/* seconds */
#define AUTH_THROTTLE_BLOCK	60	/* seconds */

#define AUTH_PRINCIPAL_LEN	512
#define AUTH_SCOPES_LEN		2048

enum auth_method { AUTH_M_NONE, AUTH_M_APIKEY, AUTH_M_JWT };

struct auth_principal {
	enum authres	 res;
	enum auth_method method;
	char		 id[AUTH_PRINCIPAL_LEN];  /* key name, or iss#sub */
	char		 key_id[64];	/* API key public id, "" otherwise */
	char		 issuer[256];	/* JWT iss, "" otherwise */
	char		 subject[256];	/* JWT sub, "" otherwise */
	char		 scopes[AUTH_SCOPES_LEN]; /* space-delimited */
	char		 reason[128];	/* why it failed (for logs, no secrets) */
	int		 all_scopes;	/* auth mode "none": may call anything */
};

/*
 * Builds the gate from cfg->auth (borrowed; cfg must outlive it).  Reads
 * the JWT key files now, unless cfg was loaded with CONFIG_LAZY_KEYS (the
 * server): then a key file is read when a token first needs it.  Returns
 * NULL with "/auth/...: what is wrong" in err.
 */
struct auth	*auth_new(const struct config *cfg, char *err, size_t errlen)
		    __attribute__((warn_unused_result));
void		 auth_free(struct auth *);

/* 1 when requests need a credential (auth mode "required"). */
int		 auth_required(const struct auth *);

/* 1 when tools the caller may not call are still listed. */
int		 auth_list_all(const struct auth *);

/*
 * Authenticates req at time now; db is the state database (API keys).
 * OUT: p.  Returns p->res.  Never logs or copies the credential.
 */
enum authres	 auth_check(struct auth *, struct sqlite3 *db,
		    const struct http_req *req, time_t now,
		    struct auth_principal *p);

/* 1 if p may use something that needs scope (NULL: no scope needed). */
int		 auth_has_scope(const struct auth_principal *p,
		    const char *scope);

/* "none", "apikey", "jwt" */
const char	*auth_method_name(enum auth_method);

/*
 * Brute-force throttle, shared through the state database.  Returns the
 * seconds addr must still wait (0: go on).  -1 on a database error (the
 * request then goes on: a broken counter never locks everyone out).
 */
int		 auth_throttle_check(struct auth *, struct sqlite3 *db,
		    const char *addr, time_t now);

/* Records one failed authentication from addr. */
void		 auth_throttle_fail(struct auth *, struct sqlite3 *db,
		    const char *addr, time_t now);

#endif /* AUTH_H */
