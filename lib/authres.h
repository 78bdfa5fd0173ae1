/*
 * authres.h -- the outcome of checking a credential, shared by the API key
 * (apikey.c) and JWT (jwt.c) verifiers so the request path maps both to
 * HTTP the same way, plus whole-token scope matching.  Knows nothing about
 * HTTP, SQLite or OpenSSL.
 */
#ifndef AUTHRES_H
#define AUTHRES_H

/*
 * Suggested HTTP mapping (MCP authorization, RFC 6750 §3.1):
 * AUTH_MISSING -> 401 without error=, AUTH_INVALID/EXPIRED/REVOKED -> 401
 * error="invalid_token", AUTH_ERROR -> 500 (or 503): the server could not
 * decide, which must never be reported to the client as a bad credential.
 */
enum authres {
	AUTH_OK = 0,
	AUTH_MISSING,		/* no credential presented (empty) */
	AUTH_INVALID,		/* malformed, unknown, forged, wrong claims */
	AUTH_EXPIRED,		/* genuine, but past its expiry */
	AUTH_REVOKED,		/* genuine API key that has been revoked */
	AUTH_ERROR,		/* internal failure (database, out of memory) */
	AUTH__MAX
};

/* A static, lower-case name for logs ("ok", "invalid", ...). */
const char	*authres_name(enum authres);

/*
 * Returns 1 if the space-delimited scope list scopes (RFC 6749 §3.3)
 * contains want as a whole token, else 0.  "mcp:toolsX" does not satisfy
 * "mcp:tools".  NULL or empty scopes, or an empty want, give 0.
 */
int		 authres_scope_has(const char *scopes, const char *want);

#endif /* AUTHRES_H */
