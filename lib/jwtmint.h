/*
 * jwtmint.h -- minting signed JWTs for tests and the "mcpgate token"
 * command.  RS256, ES256 and HS256 go through libjwt 1.10 (the issue asks
 * for it); PS256 and EdDSA, which libjwt 1.10 lacks, and any custom
 * header (typ at+jwt) are signed with OpenSSL 3 directly.  Never on the
 * request path; never logs a key or a token.
 */
#ifndef JWTMINT_H
#define JWTMINT_H

#include <stddef.h>
#include <time.h>

#include "jwt.h"

#define JWTMINT_EXTRA_MAX	4096	/* bytes of extra claims JSON */

/* What to mint.  Every pointer is borrowed for the call; NULL omits. */
struct jwtmint_req {
	enum jwt_sigalg	 alg;
	const char	*key_path;	/* PEM private key, HS256: secret */
	const char	*kid;		/* header kid */
	const char	*typ;		/* header typ; NULL: "JWT" */
	const char	*iss;
	const char	*sub;
	const char	*aud;		/* a single audience string */
	const char	*scope;		/* space-delimited scope claim */
	time_t		 iat;		/* 0: omitted */
	time_t		 nbf;		/* 0: omitted */
	time_t		 exp;		/* 0: omitted */
	const char	*extra;		/* JSON object merged into the claims
					   (overrides), e.g. {"aud":[..]} */
};

/*
 * Mints a compact JWS for req.  The key file is read and wiped after use.
 * Returns the token (owned by the caller: wipe, then free with free()) or
 * NULL with a message in err.
 */
char	*jwtmint_encode(const struct jwtmint_req *req, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * Low level: base64url(header) "." base64url(payload) "." signature,
 * with header and payload taken verbatim (hdrlen and paylen bytes; they
 * need not be valid JSON, so tests and fuzzers can forge odd tokens).
 * alg chooses how to sign, whatever the header claims; key is keylen
 * bytes of PEM private key, or the HMAC key for HS256 (borrowed).
 * Returns the token (free with free()) or NULL with a message in err.
 */
char	*jwtmint_compact(enum jwt_sigalg alg, const void *key, size_t keylen,
	    const void *hdr, size_t hdrlen, const void *payload, size_t paylen,
	    char *err, size_t errlen) __attribute__((warn_unused_result));

#endif /* JWTMINT_H */
