/*
 * jwtmint.c -- mints test tokens: libjwt 1.10 for RS256, ES256 and HS256
 * with the default header, OpenSSL 3 for PS256, EdDSA and custom headers.
 * Private keys and secrets are read per call and wiped afterwards.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64.h"
#include "jwt.h"
#include "jwtmint.h"
#include <jwtmint_libjwt.h>

#define JWTMINT_HMAC_LEN	32
#define JWTMINT_ES256_COORD	32
#define JWTMINT_SIG_MAX		(JWT_RSA_MAX_BITS / 8)	/* largest signature */

/* Reads a key file into a NUL-terminated buffer (wipe and free it). */
static unsigned char *
jwtmint_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE		*fp;
	unsigned char	*buf;
	size_t		 n;

	*len = 0;
	if (path == NULL) {
		snprintf(err, errlen, "no key file");
		return NULL;
	}
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(JWT_KEYFILE_MAX + 1)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, JWT_KEYFILE_MAX + 1, fp);
	fclose(fp);
	if (n == 0 || n > JWT_KEYFILE_MAX) {
		OPENSSL_cleanse(buf, JWT_KEYFILE_MAX + 1);
		free(buf);
		snprintf(err, errlen, "%s: empty or larger than %d bytes", path,
		    JWT_KEYFILE_MAX);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
jwtmint_wipe(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

/* Never prompt for a passphrase. */
static int
jwtmint_nopass(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

/*
 * Signs in (inlen bytes) with the PEM private key for alg.  OUT: sig,
 * *siglen (JOSE form: raw R || S for ES256).  Returns 0 or -1.
 */
static int
jwtmint_sign_pkey(enum jwt_sigalg alg, const void *key, size_t keylen,
    const unsigned char *in, size_t inlen, unsigned char *sig,
    size_t *siglen, char *err, size_t errlen)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	EVP_MD_CTX	*mctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	ECDSA_SIG	*es = NULL;
	const BIGNUM	*r, *s;
	const EVP_MD	*md = EVP_sha256();
	const unsigned char *p;
	unsigned char	 der[JWTMINT_SIG_MAX];
	size_t		 len = sizeof(der);
	int		 rc = -1, fits;

	if (keylen == 0 || keylen > JWT_KEYFILE_MAX ||
	    (bio = BIO_new_mem_buf(key, (int)keylen)) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, jwtmint_nopass,
	    NULL)) == NULL) {
		snprintf(err, errlen, "no PEM private key");
		goto out;
	}
	switch (alg) {
	case JWT_SIG_RS256:
	case JWT_SIG_PS256:
		fits = EVP_PKEY_is_a(pkey, "RSA");
		break;
	case JWT_SIG_ES256:
		fits = EVP_PKEY_is_a(pkey, "EC");
		break;
	case JWT_SIG_EDDSA:
		fits = EVP_PKEY_is_a(pkey, "ED25519");
		md = NULL;
		break;
	default:
		fits = 0;
		break;
	}
	if (!fits) {
		snprintf(err, errlen, "key type does not fit %s",
		    jwt_sigalg_name(alg) ? jwt_sigalg_name(alg) : "?");
		goto out;
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(mctx, &pctx, md, NULL, pkey) != 1)
		goto sslerr;
	if (alg == JWT_SIG_PS256 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
	    RSA_PSS_SALTLEN_DIGEST) != 1))
		goto sslerr;
	if (EVP_DigestSign(mctx, NULL, &len, in, inlen) != 1 ||
	    len > sizeof(der) ||
	    EVP_DigestSign(mctx, der, &len, in, inlen) != 1)
		goto sslerr;
	if (alg != JWT_SIG_ES256) {
		memcpy(sig, der, len);
		*siglen = len;
		rc = 0;
		goto out;
	}
	/* RFC 7518 §3.4: DER ECDSA-Sig-Value to fixed-width R || S. */
	p = der;
	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL)
		goto sslerr;
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, JWTMINT_ES256_COORD) != JWTMINT_ES256_COORD ||
	    BN_bn2binpad(s, sig + JWTMINT_ES256_COORD,
	    JWTMINT_ES256_COORD) != JWTMINT_ES256_COORD)
		goto sslerr;
	*siglen = 2 * JWTMINT_ES256_COORD;
	rc = 0;
	goto out;
sslerr:
	snprintf(err, errlen, "signing failed");
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return rc;
}

char *
jwtmint_compact(enum jwt_sigalg alg, const void *key, size_t keylen,
    const void *hdr, size_t hdrlen, const void *payload, size_t paylen,
    char *err, size_t errlen)
{
	unsigned char	 sig[JWTMINT_SIG_MAX];
	unsigned int	 maclen = 0;
	size_t		 siglen = 0, hl, pl, sl, cap;
	char		*tok = NULL;

	if (hdrlen > JWT_MAX_LEN || paylen > JWT_MAX_LEN) {
		snprintf(err, errlen, "header or payload too long");
		return NULL;
	}
	hl = b64_url_enclen(hdrlen);
	pl = b64_url_enclen(paylen);
	sl = b64_url_enclen(sizeof(sig));
	cap = hl + 1 + pl + 1 + sl + 1;
	if ((tok = malloc(cap)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (b64_url_encode(hdr, hdrlen, tok, hl + 1) == -1)
		goto fail;
	tok[hl] = '.';
	if (b64_url_encode(payload, paylen, tok + hl + 1, pl + 1) == -1)
		goto fail;
	if (alg == JWT_SIG_HS256) {
		if (key == NULL || keylen == 0 ||
		    HMAC(EVP_sha256(), key, (int)keylen,
		    (unsigned char *)tok, hl + 1 + pl, sig, &maclen) == NULL ||
		    maclen != JWTMINT_HMAC_LEN) {
			snprintf(err, errlen, "HMAC failed (empty key?)");
			goto fail;
		}
		siglen = maclen;
	} else if (jwtmint_sign_pkey(alg, key, keylen, (unsigned char *)tok,
	    hl + 1 + pl, sig, &siglen, err, errlen) == -1)
		goto fail;
	tok[hl + 1 + pl] = '.';
	if (b64_url_encode(sig, siglen, tok + hl + 1 + pl + 1, sl + 1) == -1) {
		snprintf(err, errlen, "encoding failed");
		goto fail;
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	return tok;
fail:
	OPENSSL_cleanse(sig, sizeof(sig));
	free(tok);
	return NULL;
}

/* Claims as jansson builds them, for the OpenSSL path. */
static json_t *
jwtmint_claims(const struct jwtmint_req *r, char *err, size_t errlen)
{
	json_t		*c, *x;
	json_error_t	 jerr;
	int		 bad = 0;

	if ((c = json_object()) == NULL)
		return NULL;
	if (r->iss != NULL)
		bad |= json_object_set_new(c, "iss", json_string(r->iss));
	if (r->sub != NULL)
		bad |= json_object_set_new(c, "sub", json_string(r->sub));
	if (r->aud != NULL)
		bad |= json_object_set_new(c, "aud", json_string(r->aud));
	if (r->scope != NULL)
		bad |= json_object_set_new(c, "scope", json_string(r->scope));
	if (r->iat != 0)
		bad |= json_object_set_new(c, "iat", json_integer(r->iat));
	if (r->nbf != 0)
		bad |= json_object_set_new(c, "nbf", json_integer(r->nbf));
	if (r->exp != 0)
		bad |= json_object_set_new(c, "exp", json_integer(r->exp));
	if (r->extra != NULL) {
		x = json_loads(r->extra, JSON_REJECT_DUPLICATES, &jerr);
		if (x == NULL || !json_is_object(x) ||
		    json_object_update(c, x) == -1)
			bad = 1;
		json_decref(x);
	}
	if (bad) {
		snprintf(err, errlen, "cannot build claims (bad extra JSON?)");
		json_decref(c);
		return NULL;
	}
	return c;
}

/* The OpenSSL path: PS256, EdDSA, or any alg with a custom typ. */
static char *
jwtmint_ossl(const struct jwtmint_req *r, const unsigned char *key,
    size_t keylen, char *err, size_t errlen)
{
	json_t	*h = NULL, *c = NULL;
	char	*hs = NULL, *cs = NULL, *tok = NULL;

	if ((h = json_object()) == NULL ||
	    json_object_set_new(h, "alg",
	    json_string(jwt_sigalg_name(r->alg))) == -1 ||
	    json_object_set_new(h, "typ",
	    json_string(r->typ ? r->typ : "JWT")) == -1 ||
	    (r->kid != NULL &&
	    json_object_set_new(h, "kid", json_string(r->kid)) == -1)) {
		snprintf(err, errlen, "cannot build header");
		goto out;
	}
	if ((c = jwtmint_claims(r, err, errlen)) == NULL)
		goto out;
	if ((hs = json_dumps(h, JSON_COMPACT)) == NULL ||
	    (cs = json_dumps(c, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	tok = jwtmint_compact(r->alg, key, keylen, hs, strlen(hs), cs,
	    strlen(cs), err, errlen);
out:
	free(hs);
	free(cs);
	json_decref(h);
	json_decref(c);
	return tok;
}

/* The libjwt 1.10 path: RS256, ES256, HS256 with the default header. */
static char *
jwtmint_libjwt(const struct jwtmint_req *r, const unsigned char *key,
    size_t keylen, char *err, size_t errlen)
{
	jwt_t		*j = NULL;
	jwt_alg_t	 a;
	char		*tok = NULL;
	int		 bad = 0;

	switch (r->alg) {
	case JWT_SIG_RS256:
		a = JWT_ALG_RS256;
		break;
	case JWT_SIG_ES256:
		a = JWT_ALG_ES256;
		break;
	case JWT_SIG_HS256:
		a = JWT_ALG_HS256;
		break;
	default:
		snprintf(err, errlen, "libjwt 1.10 cannot sign this");
		return NULL;
	}
	if (keylen == 0 || keylen > JWT_KEYFILE_MAX) {
		/* libjwt would silently mint an unsigned token. */
		snprintf(err, errlen, "empty key");
		return NULL;
	}
	if (jwt_new(&j) != 0 || j == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	bad |= jwt_set_alg(j, a, key, (int)keylen);
	if (r->kid != NULL)
		bad |= jwt_add_header(j, "kid", r->kid);
	if (r->iss != NULL)
		bad |= jwt_add_grant(j, "iss", r->iss);
	if (r->sub != NULL)
		bad |= jwt_add_grant(j, "sub", r->sub);
	if (r->aud != NULL)
		bad |= jwt_add_grant(j, "aud", r->aud);
	if (r->scope != NULL)
		bad |= jwt_add_grant(j, "scope", r->scope);
	if (r->iat != 0)
		bad |= jwt_add_grant_int(j, "iat", (long)r->iat);
	if (r->nbf != 0)
		bad |= jwt_add_grant_int(j, "nbf", (long)r->nbf);
	if (r->exp != 0)
		bad |= jwt_add_grant_int(j, "exp", (long)r->exp);
	if (r->extra != NULL)
		bad |= jwt_add_grants_json(j, r->extra);
	if (bad)
		snprintf(err, errlen, "libjwt refused a grant or the key");
	else if ((tok = jwt_encode_str(j)) == NULL)
		snprintf(err, errlen, "libjwt could not sign (key type?)");
	jwt_free(j);	/* libjwt wipes its copy of the key */
	return tok;
}

char *
jwtmint_encode(const struct jwtmint_req *r, char *err, size_t errlen)
{
	unsigned char	*key;
	size_t		 keylen;
	char		*tok;

	if (r == NULL || jwt_sigalg_name(r->alg) == NULL) {
		snprintf(err, errlen, "unknown algorithm");
		return NULL;
	}
	if (r->extra != NULL && strlen(r->extra) > JWTMINT_EXTRA_MAX) {
		snprintf(err, errlen, "extra claims longer than %d bytes",
		    JWTMINT_EXTRA_MAX);
		return NULL;
	}
	if ((key = jwtmint_file(r->key_path, &keylen, err, errlen)) == NULL)
		return NULL;
	if ((r->alg == JWT_SIG_RS256 || r->alg == JWT_SIG_ES256 ||
	    r->alg == JWT_SIG_HS256) &&
	    (r->typ == NULL || strcmp(r->typ, "JWT") == 0))
		tok = jwtmint_libjwt(r, key, keylen, err, errlen);
	else
		tok = jwtmint_ossl(r, key, keylen, err, errlen);
	jwtmint_wipe(key, keylen + 1);
	return tok;
}
