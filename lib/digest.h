/*
 * digest.h -- SHA-256 (OpenSSL 3) and random identifiers (getrandom).
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_LEN	32	/* bytes of a SHA-256 */
#define DIGEST_HEX_LEN	64	/* SHA-256 as lower-case hex, without NUL */

/*
 * SHA-256 of the len bytes at buf, without initialising OpenSSL's
 * providers (see digest.c): for the request path of a plain CGI process.
 * OUT: md.  Returns 0 or -1.
 */
int	digest_sha256(const void *buf, size_t len,
	    unsigned char md[DIGEST_SHA256_LEN])
	    __attribute__((warn_unused_result));

/* OUT: hex receives DIGEST_HEX_LEN characters and a NUL. */
void	digest_sha256_hex(const void *buf, size_t len,
	    char hex[DIGEST_HEX_LEN + 1]);

/*
 * Writes nbytes (at most 64) of CSPRNG output, from getrandom(2), as
 * lower-case hex into out (2*nbytes+1 bytes).  Fit for secrets such as
 * session ids.  Returns 0, or -1 if the generator failed.
 */
int	digest_random_hex(char *out, size_t nbytes)
	    __attribute__((warn_unused_result));

#endif /* DIGEST_H */
