/*
 * jwt.h -- verification of JWT bearer tokens (RFC 7519, JWS compact
 * serialization RFC 7515, RFC 9068 access tokens) with OpenSSL 3 directly
 * and jansson for the JOSE header and the claims.  libjwt is not used on
 * this path (research/auth-and-deploy.md §0, §2.10): in 1.10 the token
 * picks the algorithm, an empty key disables verification, typ "at+jwt"
 * is refused and PEM keys are re-parsed per call.
 *
 * Keys are parsed once into a struct jwt_keyset (PEM public keys, JWKS
 * files, HS256 secret files), each key pinned to its algorithm(s), and
 * re-read only when its file changes (jwt_keyset_refresh).  A lazy keyset
 * (jwt_keyset_set_lazy) parses a file only when the first token that may
 * need it arrives: a plain CGI process serving an API key never pays for
 * OpenSSL's key decoders.  Knows nothing
 * about HTTP, configuration files or the database; never logs a token.
 *
 * The include guard is not JWT_H: that is libjwt's, and lib/jwtmint.c
 * needs both headers.
 */
#ifndef MCPGATE_JWT_H
#define MCPGATE_JWT_H

#include <stddef.h>
#include <time.h>

#include "authres.h"
#include "bounds.h"

#define JWT_MAX_LEN		BOUNDS_TOKEN_LEN  /* 8192: checked first */
#define JWT_KEYFILE_MAX		(1024 * 1024)	/* PEM, JWKS or secret file */
#define JWT_SOURCES_MAX		16	/* key files per keyset */
#define JWT_JWKS_MAX_KEYS	64	/* keys taken from one JWKS */
#define JWT_KID_MAX		256	/* bytes of a kid */
#define JWT_RSA_MIN_BITS	2048	/* RFC 7518 §3.3 */
#define JWT_RSA_MAX_BITS	8192	/* bounds the cost of one verify */
#define JWT_HS256_MIN_KEY	32	/* RFC 7518 §3.2: >= hash size */
#define JWT_LEEWAY_MAX		600	/* most seconds of clock skew */
#define JWT_REASON_LEN		96	/* suggested reason buffer size */
#define JWT_TIME_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */

/* Signature algorithms (RFC 7518 §3.1, RFC 8037 §3.1), by JOSE name. */
enum jwt_sigalg {
	JWT_SIG_RS256,
	JWT_SIG_PS256,
	JWT_SIG_ES256,
	JWT_SIG_EDDSA,		/* "EdDSA" with Ed25519 only */
	JWT_SIG_HS256,		/* only when explicitly allowed */
	JWT_SIG__MAX
};

#define JWT_ALLOW(alg)		(1U << (alg))	/* allow-list bit */

struct jwt_keyset;

/*
 * What a verified token says.  Every pointer is owned by the struct and
 * freed by jwt_claims_clear.  Identity is the pair (iss, sub).
 */
struct jwt_claims {
	char		*iss;		/* == the expected issuer */
	char		*sub;		/* non-empty */
	char		*scope;		/* space-delimited, normalized, or "" */
	char		*client_id;	/* RFC 9068 §2.2, NULL if absent */
	char		*jti;		/* NULL if absent */
	time_t		 exp;
	time_t		 iat;		/* 0 if absent */
	time_t		 nbf;		/* 0 if absent */
	enum jwt_sigalg	 alg;		/* the algorithm that verified */
};

/* The JOSE name of alg ("RS256", "EdDSA", ...), or NULL if out of range. */
const char		*jwt_sigalg_name(enum jwt_sigalg alg);

/*
 * Looks up a JOSE algorithm name, case-sensitively (RFC 7515 §4.1.1).
 * OUT: *alg.  Returns 0, or -1 for "none" and anything not supported.
 */
int			 jwt_sigalg_from_name(const char *name,
			    enum jwt_sigalg *alg)
			    __attribute__((warn_unused_result));

/*
 * Creates an empty keyset that accepts only the algorithms whose
 * JWT_ALLOW() bits are set in allowed.  Returns it (free with
 * jwt_keyset_free) or NULL if allowed is empty or memory ran out.
 */
struct jwt_keyset	*jwt_keyset_new(unsigned int allowed)
			    __attribute__((warn_unused_result));

/*
 * Makes ks lazy; call before adding keys.  From then on jwt_keyset_add_*
 * check their arguments and record the file without reading it, and
 * jwt_verify reads each file the first time a token's algorithm may need
 * it (a PEM file pinned to that algorithm, a secret file for HS256, any
 * JWKS), keeping the keys for the life of ks.  report (may be NULL) is
 * called with "path: what is wrong" (never key material) when such a
 * first read fails; the file is then read again only when it changes
 * (jwt_keyset_refresh).  Whoever needs errors up front (`mcpgate check`)
 * uses an eager keyset instead.
 */
void			 jwt_keyset_set_lazy(struct jwt_keyset *ks,
			    void (*report)(const char *msg));

/* Frees ks and wipes every secret it holds.  NULL-safe. */
void			 jwt_keyset_free(struct jwt_keyset *ks);

/*
 * Adds the public key in PEM file path ("BEGIN PUBLIC KEY", or PKCS#1
 * "BEGIN RSA PUBLIC KEY"), pinned to alg (RS256, PS256, ES256 on P-256 or
 * EdDSA on Ed25519; alg must be allowed), selected by kid (may be NULL).
 * path and kid are copied.  The file is read now (unless ks is lazy): a
 * missing, empty or mismatched key is an error, so a bad deployment fails
 * at start-up.  Returns 0, or -1 with a message in err.
 */
int			 jwt_keyset_add_pem(struct jwt_keyset *ks,
			    const char *path, enum jwt_sigalg alg,
			    const char *kid, char *err, size_t errlen)
			    __attribute__((warn_unused_result));

/*
 * Adds every usable signature key of the JWKS file path (RFC 7517): kty
 * RSA (>= 2048 bits), EC crv P-256, OKP crv Ed25519, and oct only if
 * HS256 is allowed.  A JWK with "alg" is pinned to it; one without is
 * pinned to its key type (RSA: RS256 and PS256; EC: ES256; OKP: EdDSA;
 * oct: HS256), always intersected with the allow-list.  Keys with "use"
 * other than "sig", or "key_ops" without "verify", are skipped.  A file
 * with no usable key is an error.  Returns 0, or -1 with a message in err.
 */
int			 jwt_keyset_add_jwks(struct jwt_keyset *ks,
			    const char *path, char *err, size_t errlen)
			    __attribute__((warn_unused_result));

/*
 * Adds an HS256 secret: the raw bytes of file path (nothing trimmed; at
 * least JWT_HS256_MIN_KEY).  HS256 must be allowed.  kid may be NULL.
 * Returns 0, or -1 with a message in err.
 */
int			 jwt_keyset_add_secret(struct jwt_keyset *ks,
			    const char *path, const char *kid, char *err,
			    size_t errlen)
			    __attribute__((warn_unused_result));

/*
 * Re-reads each key file whose identity (device, inode, size, mtime with
 * nanoseconds) changed since it was last read; costs one stat(2) per
 * file otherwise, so it can run before every verification.  A file that
 * fails to load (or vanishes) leaves that source's previous keys in
 * place, and the failure is reported once, not on every call, until the
 * file changes again.  A lazy keyset's files not read yet are left to
 * jwt_verify.  Returns the number of files reloaded (0: nothing changed),
 * or -1 with a message in err if one could not be loaded.
 */
int			 jwt_keyset_refresh(struct jwt_keyset *ks, char *err,
			    size_t errlen)
			    __attribute__((warn_unused_result));

/*
 * Number of usable keys in ks (for start-up checks and tests); a lazy
 * keyset counts only the files read so far.
 */
size_t			 jwt_keyset_count(const struct jwt_keyset *ks);

/*
 * Verifies the len bytes at token (a compact JWS; need not be
 * NUL-terminated; borrowed, never copied or logged) at time now with
 * leeway seconds of clock skew (0..JWT_LEEWAY_MAX).
 *
 * In order: empty -> AUTH_MISSING; longer than JWT_MAX_LEN -> AUTH_INVALID
 * before any parsing; then the header must decode strictly, be a JSON
 * object without duplicate members and without "crit", name an allowed
 * algorithm (never "none"), have typ absent, "JWT", "at+jwt" or
 * "application/at+jwt"; the key is chosen by kid among the keys pinned to
 * that algorithm (a token without kid, or with a kid no key has, is
 * accepted only when exactly one key without a kid fits); the signature
 * must verify; the claims must have iss == expected_iss, aud (string or
 * array, RFC 8707) containing expected_aud, a non-empty sub, a numeric
 * exp, nbf <= now + leeway, iat <= now + leeway, and scope (string) or
 * scp (array or string) made of RFC 6749 scope tokens.  Only a token that
 * passes everything but now < exp + leeway gives AUTH_EXPIRED; every other
 * failure is AUTH_INVALID.
 *
 * A lazy keyset reads the key files the token's algorithm may need first
 * (ks is updated, so it is not const); when no key fits and one of those
 * files could not be loaded, or SHA-256 cannot be fetched, the result is
 * AUTH_ERROR (the server cannot decide), not AUTH_INVALID.
 *
 * OUT: claims, filled on AUTH_OK only (free members with
 * jwt_claims_clear; zeroed otherwise).  OUT: reason (may be NULL), a short
 * static explanation for the server log that never quotes the token.
 */
enum authres		 jwt_verify(struct jwt_keyset *ks,
			    const char *token, size_t len, time_t now,
			    time_t leeway, const char *expected_iss,
			    const char *expected_aud, struct jwt_claims *claims,
			    char *reason, size_t reasonlen)
			    __attribute__((warn_unused_result));

/* Frees the members of c and zeroes it.  NULL-safe. */
void			 jwt_claims_clear(struct jwt_claims *c);

#endif /* MCPGATE_JWT_H */
