/*
 * digest.c -- SHA-256 (OpenSSL's own implementation) and random ids (the
 * kernel's CSPRNG).
 */
/*
 * SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
 * but EVP's first digest initialises the library (its config file, the
 * providers, the method store: about 5 million instructions), which a
 * plain CGI process would pay on every request to hash one API key.  The
 * low-level calls run the same (assembler) SHA-256 with none of that.
 * Where they are gone (OPENSSL_NO_DEPRECATED_3_0), EVP is used.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <sys/random.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "digest.h"

static void
digest_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hexd[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexd[in[i] >> 4];
		out[2 * i + 1] = hexd[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
digest_sha256(const void *buf, size_t len,
    unsigned char md[DIGEST_SHA256_LEN])
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
	SHA256_CTX	 c;
	int		 ok;

	ok = SHA256_Init(&c) == 1 && SHA256_Update(&c, buf, len) == 1 &&
	    SHA256_Final(md, &c) == 1;
	explicit_bzero(&c, sizeof(c));
	return ok ? 0 : -1;
#else
	unsigned int	 mdlen = DIGEST_SHA256_LEN;

	return EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
	    mdlen == DIGEST_SHA256_LEN ? 0 : -1;
#endif
}

void
digest_sha256_hex(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char	 md[DIGEST_SHA256_LEN];

	if (digest_sha256(buf, len, md) == -1) {
		memset(hex, '0', DIGEST_HEX_LEN);
		hex[DIGEST_HEX_LEN] = '\0';
		return;
	}
	digest_hex(md, sizeof(md), hex);
}

/*
 * The kernel's CSPRNG through getrandom(2), not RAND_bytes: OpenSSL's DRBG
 * costs millions of instructions to set up on first use, which a plain
 * CGI process would pay on every request for its request id.  getrandom
 * with flags 0 blocks only until the kernel pool is first initialised at
 * boot and never returns short for requests of at most 256 bytes (we ask
 * for at most 64); a signal may still interrupt it (EINTR), so loop.
 */
int
digest_random_hex(char *out, size_t nbytes)
{
	unsigned char	 rnd[64];
	size_t		 got = 0;
	ssize_t		 r;

	if (nbytes > sizeof(rnd))
		return -1;
	while (got < nbytes) {
		r = getrandom(rnd + got, nbytes - got, 0);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	digest_hex(rnd, nbytes, out);
	explicit_bzero(rnd, sizeof(rnd));
	return 0;
}
