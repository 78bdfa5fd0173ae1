/*
 * digest.c -- hashing and random ids.
 */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

void
digest_sha256_hex(const void *buf, size_t len, char hex[DIGEST_HEX_LEN + 1])
{
	unsigned char	 md[32];
	unsigned int	 mdlen = sizeof(md);

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
		memset(hex, '0', DIGEST_HEX_LEN);
		hex[DIGEST_HEX_LEN] = '\0';
		return;
	}
	digest_hex(md, sizeof(md), hex);
}

int
digest_random_hex(char *out, size_t nbytes)
{
	unsigned char	 rnd[64];

	if (nbytes > sizeof(rnd) || RAND_bytes(rnd, (int)nbytes) != 1)
		return -1;
	digest_hex(rnd, nbytes, out);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return 0;
}
