/*
 * b64.c -- strict unpadded base64url.  Pure byte code; it never sees what
 * the bytes mean (JWS segments, JWK members, session ids).
 */
#include <stddef.h>

#include "b64.h"

static const char b64_url_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c, or -1 if c is not in the base64url alphabet. */
static int
b64_url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
b64_url_enclen(size_t n)
{
	return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

size_t
b64_url_declen(size_t n)
{
	return (n / 4) * 3 + (n % 4 <= 1 ? 0 : n % 4 - 1);
}

int
b64_url_encode(const void *in, size_t len, char *out, size_t outsz)
{
	const unsigned char	*p = in;
	size_t			 i, o = 0;
	unsigned long		 v;

	if (len > (((size_t)-1) - 1) / 4 * 3 ||
	    outsz < b64_url_enclen(len) + 1)
		return -1;
	for (i = 0; i + 3 <= len; i += 3) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8 |
		    p[i + 2];
		out[o++] = b64_url_alpha[(v >> 18) & 0x3f];
		out[o++] = b64_url_alpha[(v >> 12) & 0x3f];
		out[o++] = b64_url_alpha[(v >> 6) & 0x3f];
		out[o++] = b64_url_alpha[v & 0x3f];
	}
	if (len - i == 1) {
		v = (unsigned long)p[i] << 16;
		out[o++] = b64_url_alpha[(v >> 18) & 0x3f];
		out[o++] = b64_url_alpha[(v >> 12) & 0x3f];
	} else if (len - i == 2) {
		v = (unsigned long)p[i] << 16 | (unsigned long)p[i + 1] << 8;
		out[o++] = b64_url_alpha[(v >> 18) & 0x3f];
		out[o++] = b64_url_alpha[(v >> 12) & 0x3f];
		out[o++] = b64_url_alpha[(v >> 6) & 0x3f];
	}
	out[o] = '\0';
	return 0;
}

int
b64_url_decode(const char *in, size_t len, unsigned char *out, size_t outsz,
    size_t *outlen)
{
	size_t		 i, o = 0, rem;
	unsigned long	 v = 0;
	int		 c, n = 0;

	*outlen = 0;
	rem = len % 4;
	/* One leftover character carries only 6 bits: never a whole byte. */
	if (rem == 1 || b64_url_declen(len) > outsz)
		return -1;
	for (i = 0; i < len; i++) {
		if ((c = b64_url_val((unsigned char)in[i])) < 0)
			return -1;
		v = (v << 6) | (unsigned long)c;
		if (++n == 4) {
			out[o++] = (v >> 16) & 0xff;
			out[o++] = (v >> 8) & 0xff;
			out[o++] = v & 0xff;
			v = 0;
			n = 0;
		}
	}
	if (n == 2) {
		/* 12 bits: one byte, and the low 4 bits must be zero. */
		if (v & 0x0f)
			return -1;
		out[o++] = (v >> 4) & 0xff;
	} else if (n == 3) {
		/* 18 bits: two bytes, and the low 2 bits must be zero. */
		if (v & 0x03)
			return -1;
		out[o++] = (v >> 10) & 0xff;
		out[o++] = (v >> 2) & 0xff;
	}
	*outlen = o;
	return 0;
}
