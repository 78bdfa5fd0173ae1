/*
 * b64.h -- strict base64url (RFC 4648 §5) without padding, as JWS compact
 * serialization (RFC 7515 §2, appendix C) and JWK members use it.  The
 * decoder accepts only the canonical encoding: no '=', '+', '/',
 * whitespace, impossible lengths or non-zero trailing bits, so one byte
 * string has exactly one textual form.  No allocation.
 */
#ifndef B64_H
#define B64_H

#include <stddef.h>

/* Characters needed to encode n bytes (no padding, no NUL). */
size_t	b64_url_enclen(size_t n);

/* Upper bound on the bytes that n characters decode to. */
size_t	b64_url_declen(size_t n);

/*
 * Encodes len bytes of in into out, NUL-terminated.  outsz must be at
 * least b64_url_enclen(len) + 1.  Returns 0, or -1 if out is too small.
 */
int	b64_url_encode(const void *in, size_t len, char *out, size_t outsz)
	    __attribute__((warn_unused_result));

/*
 * Decodes the len characters at in (need not be NUL-terminated) into out,
 * which holds outsz bytes.  OUT: *outlen, the decoded length.  Returns 0,
 * or -1 if the input is not canonical unpadded base64url or out is too
 * small (out may then hold partial output).
 */
int	b64_url_decode(const char *in, size_t len, unsigned char *out,
	    size_t outsz, size_t *outlen)
	    __attribute__((warn_unused_result));

#endif /* B64_H */
