/*
 * digest.h -- SHA-256 and random identifiers (OpenSSL 3 underneath).
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN	64	/* SHA-256 as lower-case hex, without NUL */

/* OUT: hex receives DIGEST_HEX_LEN characters and a NUL. */
void	digest_sha256_hex(const void *buf, size_t len,
	    char hex[DIGEST_HEX_LEN + 1]);

/*
 * Writes nbytes of CSPRNG output as lower-case hex into out (2*nbytes+1
 * bytes).  Returns 0, or -1 if the generator failed.
 */
int	digest_random_hex(char *out, size_t nbytes)
	    __attribute__((warn_unused_result));

#endif /* DIGEST_H */
