/*
 * jwt.c -- JWS verification with OpenSSL 3 and jansson.  Keys are parsed
 * once (PEM, JWKS, HS256 secret files) and pinned to their algorithms;
 * tokens are bounded before parsing, the algorithm comes from the key and
 * not from the token (RFC 8725 §3.1), and every claim is checked here.
 * Nothing in this file logs; callers log the static reason strings, and a
 * lazy keyset reports a key file that fails at first use through the
 * caller's callback.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "b64.h"
#include "jwt.h"

/* Decoded segments are at most 3/4 of the token. */
#define JWT_SEG_MAX		(JWT_MAX_LEN / 4 * 3 + 3)
#define JWT_HMAC_LEN		32	/* HMAC-SHA-256 */
#define JWT_ES256_SIG_LEN	64	/* RFC 7518 §3.4: R || S */
#define JWT_ES256_COORD		32	/* P-256 field element */
#define JWT_ED25519_LEN		32	/* RFC 8037 §2: public key bytes */
#define JWT_ED25519_SIG_LEN	64
#define JWT_DER_SIG_MAX		72	/* SEQUENCE of two 33-byte INTEGERs */
#define JWT_RSA_E_MAX		8	/* bytes of a public exponent */
#define JWT_GROUP_NAME_LEN	64

/* Families of algorithms a key type can serve (for JWKs without "alg"). */
#define JWT_FAM_RSA	(JWT_ALLOW(JWT_SIG_RS256) | JWT_ALLOW(JWT_SIG_PS256))
#define JWT_FAM_EC	JWT_ALLOW(JWT_SIG_ES256)
#define JWT_FAM_OKP	JWT_ALLOW(JWT_SIG_EDDSA)
#define JWT_FAM_OCT	JWT_ALLOW(JWT_SIG_HS256)

static const char *const jwt_sigalg_names[JWT_SIG__MAX] = {
	"RS256",
	"PS256",
	"ES256",
	"EdDSA",
	"HS256",
};

struct jwt_key {
	unsigned int	 algs;		/* JWT_ALLOW bits this key may verify */
	char		*kid;		/* NULL: none */
	EVP_PKEY	*pkey;		/* RSA, EC P-256 or Ed25519 */
	unsigned char	*secret;	/* HS256; wiped before free */
	size_t		 secretlen;
};

enum jwt_srckind {
	JWT_SRC_PEM,
	JWT_SRC_JWKS,
	JWT_SRC_SECRET
};

struct jwt_source {
	enum jwt_srckind kind;
	char		*path;
	enum jwt_sigalg	 alg;		/* JWT_SRC_PEM */
	char		*kid;		/* JWT_SRC_PEM, JWT_SRC_SECRET */
	/* Identity of the file at the last attempt to load it. */
	int		 present;	/* 0: it could not be opened */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
	struct jwt_key	*keys;		/* from the last successful load */
	size_t		 nkeys;
	int		 tried;		/* 0: lazy and not read yet */
};

struct jwt_keyset {
	unsigned int	 allowed;
	int		 lazy;		/* read key files at first use */
	void		(*report)(const char *);	/* lazy load failed */
	EVP_MD		*sha256;	/* fetched at first use, then kept */
	struct jwt_source src[JWT_SOURCES_MAX];
	size_t		 nsrc;
};

const char *
jwt_sigalg_name(enum jwt_sigalg alg)
{
	if ((unsigned int)alg >= JWT_SIG__MAX)
		return NULL;
	return jwt_sigalg_names[alg];
}

int
jwt_sigalg_from_name(const char *name, enum jwt_sigalg *alg)
{
	int	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < JWT_SIG__MAX; i++)
		if (strcmp(name, jwt_sigalg_names[i]) == 0) {
			*alg = (enum jwt_sigalg)i;
			return 0;
		}
	return -1;
}

static void
jwt_reason(char *reason, size_t reasonlen, const char *msg)
{
	if (reason != NULL && reasonlen > 0)
		snprintf(reason, reasonlen, "%s", msg);
}

static void
jwt_keys_free(struct jwt_key *keys, size_t n)
{
	size_t	 i;

	if (keys == NULL)
		return;
	for (i = 0; i < n; i++) {
		EVP_PKEY_free(keys[i].pkey);
		free(keys[i].kid);
		if (keys[i].secret != NULL) {
			OPENSSL_cleanse(keys[i].secret, keys[i].secretlen);
			free(keys[i].secret);
		}
	}
	free(keys);
}

struct jwt_keyset *
jwt_keyset_new(unsigned int allowed)
{
	struct jwt_keyset	*ks;

	allowed &= JWT_ALLOW(JWT_SIG__MAX) - 1;
	if (allowed == 0)
		return NULL;
	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return NULL;
	ks->allowed = allowed;
	/*
	 * SHA-256 is fetched by the first verification, not here: the fetch
	 * initialises OpenSSL's providers (millions of instructions), which
	 * a plain CGI process serving an API key never needs.
	 */
	return ks;
}

void
jwt_keyset_set_lazy(struct jwt_keyset *ks, void (*report)(const char *))
{
	if (ks == NULL)
		return;
	ks->lazy = 1;
	ks->report = report;
}

void
jwt_keyset_free(struct jwt_keyset *ks)
{
	size_t	 i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->nsrc; i++) {
		jwt_keys_free(ks->src[i].keys, ks->src[i].nkeys);
		free(ks->src[i].path);
		free(ks->src[i].kid);
	}
	EVP_MD_free(ks->sha256);
	free(ks);
}

size_t
jwt_keyset_count(const struct jwt_keyset *ks)
{
	size_t	 i, n = 0;

	if (ks == NULL)
		return 0;
	for (i = 0; i < ks->nsrc; i++)
		n += ks->src[i].nkeys;
	return n;
}

/*
 * Reads the whole regular file path into a NUL-terminated buffer.
 * OUT: *buf (free with jwt_buf_free), *len, *st (of the opened file).
 * Returns 0, -1 with err set, or -2 if it could not be opened.
 */
static int
jwt_file_read(const char *path, unsigned char **buf, size_t *len,
    struct stat *st, char *err, size_t errlen)
{
	unsigned char	*b = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -2;
	}
	if (fstat(fd, st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st->st_size <= 0) {
		snprintf(err, errlen, "%s: empty key file", path);
		goto out;
	}
	if (st->st_size > JWT_KEYFILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    JWT_KEYFILE_MAX);
		goto out;
	}
	if ((b = malloc((size_t)st->st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st->st_size) {
		n = read(fd, b + got, (size_t)st->st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: short read", path);
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	rc = 0;
out:
	if (b != NULL) {
		OPENSSL_cleanse(b, (size_t)st->st_size + 1);
		free(b);
	}
	close(fd);
	return rc;
}

/* Key files may hold secrets: wipe before free. */
static void
jwt_buf_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len);
	free(buf);
}

/* The algorithms pkey can serve, judged by its type and size; 0 if none. */
static unsigned int
jwt_pkey_family(EVP_PKEY *pkey)
{
	char	 group[JWT_GROUP_NAME_LEN];
	size_t	 glen = 0;
	int	 bits;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < JWT_RSA_MIN_BITS || bits > JWT_RSA_MAX_BITS)
			return 0;
		return JWT_FAM_RSA;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		if (EVP_PKEY_get_group_name(pkey, group, sizeof(group),
		    &glen) != 1)
			return 0;
		if (strcmp(group, "prime256v1") != 0 &&
		    strcmp(group, "P-256") != 0)
			return 0;
		return JWT_FAM_EC;
	}
	if (EVP_PKEY_is_a(pkey, "ED25519"))
		return JWT_FAM_OKP;
	return 0;
}

static int
jwt_kid_ok(const char *kid)
{
	size_t	 len;

	return kid != NULL && (len = strlen(kid)) > 0 && len <= JWT_KID_MAX;
}

/*
 * Decodes the PEM public key in buf as the key type alg needs.  Naming
 * the type spares OpenSSL trying every decoder it has, which
 * PEM_read_bio_PUBKEY does (about 4 million instructions per key, paid by
 * every plain CGI request with a JWT).  Anything else (another key type,
 * PKCS#1 "RSA PUBLIC KEY") goes the general way, so the caller's checks
 * and messages stay the same.
 */
static EVP_PKEY *
jwt_pem_pubkey(const unsigned char *buf, size_t len, enum jwt_sigalg alg)
{
	OSSL_DECODER_CTX	*dctx;
	EVP_PKEY		*pkey = NULL;
	BIO			*bio;
	const unsigned char	*p = buf;
	size_t			 left = len;
	const char		*type;

	type = alg == JWT_SIG_ES256 ? "EC" : alg == JWT_SIG_EDDSA ?
	    "ED25519" : "RSA";
	dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "PEM",
	    "SubjectPublicKeyInfo", type, EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx != NULL && OSSL_DECODER_from_data(dctx, &p, &left) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	if (pkey != NULL)
		return pkey;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return NULL;
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return pkey;
}

static int
jwt_load_pem(const struct jwt_keyset *ks, const struct jwt_source *s,
    unsigned char *buf, size_t len, struct jwt_key **keys, size_t *nkeys,
    char *err, size_t errlen)
{
	struct jwt_key	*k = NULL;
	EVP_PKEY	*pkey = NULL;
	int		 rc = -1;

	if (strstr((char *)buf, "PRIVATE KEY") != NULL) {
		snprintf(err, errlen, "%s: holds a private key; configure "
		    "the public key only", s->path);
		goto out;
	}
	if ((pkey = jwt_pem_pubkey(buf, len, s->alg)) == NULL) {
		snprintf(err, errlen, "%s: no PEM public key", s->path);
		goto out;
	}
	if ((jwt_pkey_family(pkey) & JWT_ALLOW(s->alg)) == 0) {
		snprintf(err, errlen, "%s: key type or size does not fit %s",
		    s->path, jwt_sigalg_names[s->alg]);
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (s->kid != NULL && (k->kid = strdup(s->kid)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	k->algs = JWT_ALLOW(s->alg);
	k->pkey = pkey;
	pkey = NULL;
	*keys = k;
	*nkeys = 1;
	k = NULL;
	rc = 0;
out:
	jwt_keys_free(k, 1);
	EVP_PKEY_free(pkey);
	return rc;
}

static int
jwt_load_secret(const struct jwt_source *s, unsigned char *buf, size_t len,
    struct jwt_key **keys, size_t *nkeys, char *err, size_t errlen)
{
	struct jwt_key	*k = NULL;

	if (len < JWT_HS256_MIN_KEY) {
		snprintf(err, errlen, "%s: HS256 secret shorter than %d bytes",
		    s->path, JWT_HS256_MIN_KEY);
		return -1;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->secret = malloc(len)) == NULL ||
	    (s->kid != NULL && (k->kid = strdup(s->kid)) == NULL)) {
		jwt_keys_free(k, 1);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(k->secret, buf, len);
	k->secretlen = len;
	k->algs = JWT_ALLOW(JWT_SIG_HS256);
	*keys = k;
	*nkeys = 1;
	return 0;
}

/*
 * Decodes JWK member name (base64url) into out.  If exact is non-zero the
 * decoded length must equal it.  Returns the length, or -1.
 */
static long
jwt_jwk_bytes(json_t *jwk, const char *name, unsigned char *out,
    size_t outsz, size_t exact)
{
	const char	*v;
	size_t		 len;

	if ((v = json_string_value(json_object_get(jwk, name))) == NULL)
		return -1;
	if (b64_url_decode(v, strlen(v), out, outsz, &len) == -1 || len == 0)
		return -1;
	if (exact != 0 && len != exact)
		return -1;
	return (long)len;
}

/* Builds a public EVP_PKEY of type name from params; NULL on failure. */
static EVP_PKEY *
jwt_pkey_fromdata(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

/* RFC 7518 §6.3.1: n and e, big-endian base64url. */
static EVP_PKEY *
jwt_jwk_rsa(json_t *jwk)
{
	unsigned char	 n[JWT_RSA_MAX_BITS / 8 + 1], e[JWT_RSA_E_MAX];
	long		 nlen, elen;
	BIGNUM		*bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;

	if ((nlen = jwt_jwk_bytes(jwk, "n", n, sizeof(n), 0)) == -1 ||
	    (elen = jwt_jwk_bytes(jwk, "e", e, sizeof(e), 0)) == -1)
		return NULL;
	if ((bn_n = BN_bin2bn(n, (int)nlen, NULL)) == NULL ||
	    (bn_e = BN_bin2bn(e, (int)elen, NULL)) == NULL ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1)
		goto out;
	pkey = jwt_pkey_fromdata("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/* RFC 7518 §6.2.1: crv P-256, x and y of exactly 32 bytes, on the curve. */
static EVP_PKEY *
jwt_jwk_ec(json_t *jwk)
{
	unsigned char	 pub[1 + 2 * JWT_ES256_COORD];
	const char	*crv;
	OSSL_PARAM_BLD	*bld = NULL;
	EVP_PKEY	*pkey = NULL;
	EVP_PKEY_CTX	*ctx = NULL;

	crv = json_string_value(json_object_get(jwk, "crv"));
	if (crv == NULL || strcmp(crv, "P-256") != 0)
		return NULL;
	pub[0] = 0x04;		/* SEC 1 §2.3.3: uncompressed point */
	if (jwt_jwk_bytes(jwk, "x", pub + 1, JWT_ES256_COORD,
	    JWT_ES256_COORD) == -1 ||
	    jwt_jwk_bytes(jwk, "y", pub + 1 + JWT_ES256_COORD,
	    JWT_ES256_COORD, JWT_ES256_COORD) == -1)
		return NULL;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	    pub, sizeof(pub)) != 1)
		goto out;
	if ((pkey = jwt_pkey_fromdata("EC", bld)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL ||
	    EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* RFC 8037 §2: crv Ed25519, x of 32 bytes. */
static EVP_PKEY *
jwt_jwk_okp(json_t *jwk)
{
	unsigned char	 x[JWT_ED25519_LEN];
	const char	*crv;

	crv = json_string_value(json_object_get(jwk, "crv"));
	if (crv == NULL || strcmp(crv, "Ed25519") != 0)
		return NULL;
	if (jwt_jwk_bytes(jwk, "x", x, sizeof(x), sizeof(x)) == -1)
		return NULL;
	return EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x,
	    sizeof(x));
}

/*
 * RFC 7518 §6.4.1: an oct key "k" of at least JWT_HS256_MIN_KEY bytes into
 * k->secret.  Returns 1 loaded, 0 unusable, -1 out of memory.
 */
static int
jwt_jwk_secret(json_t *jwk, struct jwt_key *k)
{
	const char	*v;
	unsigned char	*sec;
	size_t		 cap, len;

	if ((v = json_string_value(json_object_get(jwk, "k"))) == NULL)
		return 0;
	if ((cap = b64_url_declen(strlen(v))) < JWT_HS256_MIN_KEY)
		return 0;
	if ((sec = malloc(cap)) == NULL)
		return -1;
	if (b64_url_decode(v, strlen(v), sec, cap, &len) == -1 ||
	    len < JWT_HS256_MIN_KEY) {
		OPENSSL_cleanse(sec, cap);
		free(sec);
		return 0;
	}
	k->secret = sec;
	k->secretlen = len;
	return 1;
}

/* RFC 7517 §4.2, §4.3: may this JWK be used to verify signatures? */
static int
jwt_jwk_for_verify(json_t *jwk)
{
	json_t		*use, *ops, *op;
	size_t		 i;

	if ((use = json_object_get(jwk, "use")) != NULL &&
	    (!json_is_string(use) ||
	    strcmp(json_string_value(use), "sig") != 0))
		return 0;
	if ((ops = json_object_get(jwk, "key_ops")) != NULL) {
		if (!json_is_array(ops))
			return 0;
		json_array_foreach(ops, i, op)
			if (json_is_string(op) &&
			    strcmp(json_string_value(op), "verify") == 0)
				return 1;
		return 0;
	}
	return 1;
}

/*
 * Turns one JWK into *k.  Returns 1 if loaded, 0 if skipped (unsupported,
 * not for signatures, not allowed, malformed), -1 if out of memory.
 */
static int
jwt_jwk_load(const struct jwt_keyset *ks, json_t *jwk, struct jwt_key *k)
{
	const char	*kty, *kid = NULL, *alg;
	json_t		*v;
	enum jwt_sigalg	 a;
	unsigned int	 fam, algs;
	int		 r;

	memset(k, 0, sizeof(*k));
	if (!json_is_object(jwk) || !jwt_jwk_for_verify(jwk))
		return 0;
	if ((kty = json_string_value(json_object_get(jwk, "kty"))) == NULL)
		return 0;
	if ((v = json_object_get(jwk, "kid")) != NULL) {
		kid = json_string_value(v);
		if (!jwt_kid_ok(kid))
			return 0;
	}
	if (strcmp(kty, "RSA") == 0)
		fam = JWT_FAM_RSA;
	else if (strcmp(kty, "EC") == 0)
		fam = JWT_FAM_EC;
	else if (strcmp(kty, "OKP") == 0)
		fam = JWT_FAM_OKP;
	else if (strcmp(kty, "oct") == 0)
		fam = JWT_FAM_OCT;
	else
		return 0;
	algs = fam;
	if ((v = json_object_get(jwk, "alg")) != NULL) {
		alg = json_string_value(v);
		if (jwt_sigalg_from_name(alg, &a) == -1)
			return 0;
		algs = JWT_ALLOW(a);
	}
	if ((algs &= fam & ks->allowed) == 0)
		return 0;

	if (fam == JWT_FAM_OCT) {
		if ((r = jwt_jwk_secret(jwk, k)) != 1)
			return r;
	} else {
		if (fam == JWT_FAM_RSA)
			k->pkey = jwt_jwk_rsa(jwk);
		else if (fam == JWT_FAM_EC)
			k->pkey = jwt_jwk_ec(jwk);
		else
			k->pkey = jwt_jwk_okp(jwk);
		if (k->pkey == NULL || (jwt_pkey_family(k->pkey) & algs) == 0) {
			EVP_PKEY_free(k->pkey);
			k->pkey = NULL;
			return 0;
		}
	}
	k->algs = algs;
	if (kid != NULL && (k->kid = strdup(kid)) == NULL) {
		EVP_PKEY_free(k->pkey);
		if (k->secret != NULL) {
			OPENSSL_cleanse(k->secret, k->secretlen);
			free(k->secret);
		}
		memset(k, 0, sizeof(*k));
		return -1;
	}
	return 1;
}

static int
jwt_load_jwks(const struct jwt_keyset *ks, const struct jwt_source *s,
    const unsigned char *buf, size_t len, struct jwt_key **keys,
    size_t *nkeys, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root, *arr, *jwk;
	struct jwt_key	*k = NULL;
	size_t		 i, n = 0, cap;
	int		 rc = -1, r;

	if ((root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		snprintf(err, errlen, "%s: line %d: %s", s->path, jerr.line,
		    jerr.text);
		return -1;
	}
	if (!json_is_array(arr = json_object_get(root, "keys"))) {
		snprintf(err, errlen, "%s: no \"keys\" array", s->path);
		goto out;
	}
	if ((cap = json_array_size(arr)) > JWT_JWKS_MAX_KEYS)
		cap = JWT_JWKS_MAX_KEYS;
	if (cap == 0 || (k = calloc(cap, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "%s: %s", s->path, cap == 0 ?
		    "empty \"keys\" array" : "out of memory");
		goto out;
	}
	json_array_foreach(arr, i, jwk) {
		if (n == cap)
			break;
		if ((r = jwt_jwk_load(ks, jwk, &k[n])) == -1) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		n += (size_t)r;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: no usable signature key (allowed "
		    "algorithms, RSA >= %d bits, P-256, Ed25519)", s->path,
		    JWT_RSA_MIN_BITS);
		goto out;
	}
	*keys = k;
	*nkeys = n;
	k = NULL;
	rc = 0;
out:
	jwt_keys_free(k, n);
	json_decref(root);
	return rc;
}

static void
jwt_source_stamp(struct jwt_source *s, const struct stat *st)
{
	s->present = 1;
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtim = st->st_mtim;
}

/* (Re)loads s; on failure its old keys stay.  Returns 0 or -1 (err set). */
static int
jwt_source_load(const struct jwt_keyset *ks, struct jwt_source *s,
    char *err, size_t errlen)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0, nkeys = 0;
	struct stat	 st;
	struct jwt_key	*keys = NULL;
	int		 rc;

	if ((rc = jwt_file_read(s->path, &buf, &len, &st, err,
	    errlen)) == -2) {
		s->present = 0;
		return -1;
	}
	jwt_source_stamp(s, &st);
	if (rc == -1)
		return -1;
	switch (s->kind) {
	case JWT_SRC_PEM:
		rc = jwt_load_pem(ks, s, buf, len, &keys, &nkeys, err, errlen);
		break;
	case JWT_SRC_JWKS:
		rc = jwt_load_jwks(ks, s, buf, len, &keys, &nkeys, err,
		    errlen);
		break;
	case JWT_SRC_SECRET:
		rc = jwt_load_secret(s, buf, len, &keys, &nkeys, err, errlen);
		break;
	default:
		rc = -1;
		break;
	}
	jwt_buf_free(buf, len);
	if (rc == -1)
		return -1;
	jwt_keys_free(s->keys, s->nkeys);
	s->keys = keys;
	s->nkeys = nkeys;
	return 0;
}

static int
jwt_keyset_add(struct jwt_keyset *ks, enum jwt_srckind kind,
    const char *path, enum jwt_sigalg alg, const char *kid, char *err,
    size_t errlen)
{
	struct jwt_source	*s;

	if (ks == NULL || path == NULL) {
		snprintf(err, errlen, "no key file given");
		return -1;
	}
	if (ks->nsrc == JWT_SOURCES_MAX) {
		snprintf(err, errlen, "more than %d key files",
		    JWT_SOURCES_MAX);
		return -1;
	}
	if ((unsigned int)alg >= JWT_SIG__MAX ||
	    (ks->allowed & JWT_ALLOW(alg)) == 0) {
		snprintf(err, errlen, "%s: algorithm %s is not in the "
		    "allow-list", path, jwt_sigalg_name(alg) ?
		    jwt_sigalg_name(alg) : "?");
		return -1;
	}
	if (kid != NULL && !jwt_kid_ok(kid)) {
		snprintf(err, errlen, "%s: kid must be 1..%d bytes", path,
		    JWT_KID_MAX);
		return -1;
	}
	s = &ks->src[ks->nsrc];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->alg = alg;
	if ((s->path = strdup(path)) == NULL ||
	    (kid != NULL && (s->kid = strdup(kid)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!ks->lazy) {
		if (jwt_source_load(ks, s, err, errlen) == -1)
			goto fail;
		s->tried = 1;
	}
	ks->nsrc++;
	return 0;
fail:
	free(s->path);
	free(s->kid);
	memset(s, 0, sizeof(*s));
	return -1;
}

int
jwt_keyset_add_pem(struct jwt_keyset *ks, const char *path,
    enum jwt_sigalg alg, const char *kid, char *err, size_t errlen)
{
	if (alg == JWT_SIG_HS256) {
		snprintf(err, errlen, "%s: HS256 takes a secret file, not a "
		    "PEM key", path ? path : "?");
		return -1;
	}
	return jwt_keyset_add(ks, JWT_SRC_PEM, path, alg, kid, err, errlen);
}

int
jwt_keyset_add_jwks(struct jwt_keyset *ks, const char *path, char *err,
    size_t errlen)
{
	enum jwt_sigalg	 any;

	/* Any allowed algorithm passes jwt_keyset_add's check. */
	for (any = 0; any < JWT_SIG__MAX; any++)
		if (ks != NULL && (ks->allowed & JWT_ALLOW(any)))
			break;
	return jwt_keyset_add(ks, JWT_SRC_JWKS, path, any, NULL, err,
	    errlen);
}

int
jwt_keyset_add_secret(struct jwt_keyset *ks, const char *path,
    const char *kid, char *err, size_t errlen)
{
	return jwt_keyset_add(ks, JWT_SRC_SECRET, path, JWT_SIG_HS256, kid,
	    err, errlen);
}

int
jwt_keyset_refresh(struct jwt_keyset *ks, char *err, size_t errlen)
{
	struct jwt_source	*s;
	struct stat		 st;
	size_t			 i;
	int			 reloaded = 0, failed = 0;

	if (ks == NULL)
		return 0;
	for (i = 0; i < ks->nsrc; i++) {
		s = &ks->src[i];
		if (!s->tried)
			continue;	/* lazy: jwt_verify reads it first */
		if (stat(s->path, &st) == -1) {
			/* Report the disappearance once. */
			if (s->present) {
				s->present = 0;
				snprintf(err, errlen, "%s: %s (keeping the "
				    "keys last read)", s->path,
				    strerror(errno));
				failed = 1;
			}
			continue;
		}
		if (s->present && st.st_dev == s->dev &&
		    st.st_ino == s->ino && st.st_size == s->size &&
		    st.st_mtim.tv_sec == s->mtim.tv_sec &&
		    st.st_mtim.tv_nsec == s->mtim.tv_nsec)
			continue;
		if (jwt_source_load(ks, s, err, errlen) == -1)
			failed = 1;
		else
			reloaded++;
	}
	return failed ? -1 : reloaded;
}

/*
 * Writes one DER INTEGER (X.690 §8.3) for the big-endian unsigned n bytes
 * at v: leading zeros dropped, a zero byte added when the top bit is set.
 */
static size_t
jwt_der_int(const unsigned char *v, size_t n, unsigned char *out)
{
	size_t	 pad;

	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	pad = (v[0] & 0x80) ? 1 : 0;
	out[0] = 0x02;
	out[1] = (unsigned char)(n + pad);
	if (pad)
		out[2] = 0x00;
	memcpy(out + 2 + pad, v, n);
	return 2 + pad + n;
}

/* RFC 7518 §3.4: JWS R || S to the DER ECDSA-Sig-Value OpenSSL wants. */
static size_t
jwt_es256_der(const unsigned char *sig, unsigned char der[JWT_DER_SIG_MAX])
{
	size_t	 n;

	n = 2;
	n += jwt_der_int(sig, JWT_ES256_COORD, der + n);
	n += jwt_der_int(sig + JWT_ES256_COORD, JWT_ES256_COORD, der + n);
	der[0] = 0x30;
	der[1] = (unsigned char)(n - 2);
	return n;
}

/* Returns 1 if sig is a valid alg signature of msg under k, else 0. */
static int
jwt_sig_ok(const struct jwt_keyset *ks, const struct jwt_key *k,
    enum jwt_sigalg alg, const unsigned char *msg, size_t msglen,
    const unsigned char *sig, size_t siglen)
{
	unsigned char	 mac[EVP_MAX_MD_SIZE], der[JWT_DER_SIG_MAX];
	unsigned int	 maclen = 0;
	EVP_MD_CTX	*mctx = NULL;
	EVP_PKEY_CTX	*pctx = NULL;
	const EVP_MD	*md = ks->sha256;
	int		 ok = 0;

	if ((k->algs & JWT_ALLOW(alg)) == 0)
		return 0;
	if (alg == JWT_SIG_HS256) {
		/* Never HMAC with empty or short key material. */
		if (k->secret == NULL || k->secretlen < JWT_HS256_MIN_KEY ||
		    siglen != JWT_HMAC_LEN)
			return 0;
		if (HMAC(md, k->secret, (int)k->secretlen, msg, msglen, mac,
		    &maclen) == NULL || maclen != JWT_HMAC_LEN)
			goto out;
		ok = CRYPTO_memcmp(mac, sig, JWT_HMAC_LEN) == 0;
		goto out;
	}
	if (k->pkey == NULL)
		return 0;
	if (alg == JWT_SIG_ES256) {
		if (siglen != JWT_ES256_SIG_LEN)
			return 0;
		siglen = jwt_es256_der(sig, der);
		sig = der;
	} else if (alg == JWT_SIG_EDDSA) {
		if (siglen != JWT_ED25519_SIG_LEN)
			return 0;
		md = NULL;	/* RFC 8032: PureEdDSA hashes internally */
	}
	if ((mctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit(mctx, &pctx, md, NULL, k->pkey) != 1)
		goto out;
	if (alg == JWT_SIG_PS256) {
		/* RFC 7518 §3.5: MGF1 with SHA-256, salt = hash length. */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) != 1)
			goto out;
	} else if (alg == JWT_SIG_RS256) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PADDING) != 1)
			goto out;
	}
	ok = EVP_DigestVerify(mctx, sig, siglen, msg, msglen) == 1;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MD_CTX_free(mctx);
	return ok;
}

/*
 * Picks the key for a token with algorithm alg and kid (may be NULL).
 * Returns it (borrowed) or NULL with a reason.
 */
static const struct jwt_key *
jwt_key_pick(const struct jwt_keyset *ks, enum jwt_sigalg alg,
    const char *kid, const char **why)
{
	const struct jwt_key	*k, *only = NULL;
	size_t			 i, j, fit = 0;

	for (i = 0; i < ks->nsrc; i++)
		for (j = 0; j < ks->src[i].nkeys; j++) {
			k = &ks->src[i].keys[j];
			if ((k->algs & JWT_ALLOW(alg)) == 0)
				continue;
			if (kid != NULL && k->kid != NULL &&
			    strcmp(k->kid, kid) == 0)
				return k;
			fit++;
			only = k;
		}
	if (fit == 0) {
		*why = "no key for this algorithm";
		return NULL;
	}
	/* No kid match: only an unambiguous key without a kid will do. */
	if (fit == 1 && only->kid == NULL)
		return only;
	*why = kid != NULL ? "unknown kid" : "no kid and several keys";
	return NULL;
}

/* 1 if source s may hold a key for alg (a JWKS may hold any). */
static int
jwt_source_serves(const struct jwt_source *s, enum jwt_sigalg alg)
{
	switch (s->kind) {
	case JWT_SRC_PEM:
		return s->alg == alg;
	case JWT_SRC_SECRET:
		return alg == JWT_SIG_HS256;
	default:
		return 1;
	}
}

/*
 * Lazy keysets: reads, once, every source not read yet that may hold a
 * key for alg; a failure goes to ks->report (the path and what is wrong,
 * never key material) and is retried only when the file changes
 * (jwt_keyset_refresh).  Returns 1 if a source that may serve alg has no
 * keys because its file could not be loaded, else 0.
 */
static int
jwt_keyset_need(struct jwt_keyset *ks, enum jwt_sigalg alg)
{
	struct jwt_source	*s;
	char			 err[BOUNDS_ERRMSG_LEN];
	size_t			 i;
	int			 missing = 0;

	for (i = 0; i < ks->nsrc; i++) {
		s = &ks->src[i];
		if (!jwt_source_serves(s, alg))
			continue;
		if (!s->tried) {
			s->tried = 1;
			if (jwt_source_load(ks, s, err, sizeof(err)) == -1 &&
			    ks->report != NULL)
				ks->report(err);
		}
		if (s->nkeys == 0)
			missing = 1;
	}
	return missing;
}

/* typ (RFC 7519 §5.1, RFC 9068 §2.1): media types compare caselessly. */
static int
jwt_typ_ok(json_t *typ)
{
	const char	*t;

	if (typ == NULL)
		return 1;
	if ((t = json_string_value(typ)) == NULL)
		return 0;
	return strcasecmp(t, "JWT") == 0 || strcasecmp(t, "at+jwt") == 0 ||
	    strcasecmp(t, "application/at+jwt") == 0;
}

/*
 * A NumericDate (RFC 7519 §2): integer or real, 0..JWT_TIME_MAX.
 * Returns 1 present and valid (OUT *t), 0 absent, -1 invalid.
 */
static int
jwt_claim_time(json_t *claims, const char *name, time_t *t)
{
	json_t	*v;
	double	 d;

	if ((v = json_object_get(claims, name)) == NULL)
		return 0;
	if (!json_is_number(v))
		return -1;
	d = json_number_value(v);
	if (!(d >= 0 && d <= (double)JWT_TIME_MAX))
		return -1;
	*t = (time_t)d;
	return 1;
}

/* A string claim without control characters; NULL if absent or not. */
static const char *
jwt_claim_str(json_t *claims, const char *name, int *bad)
{
	json_t		*v;
	const char	*s;
	size_t		 i, len;

	if ((v = json_object_get(claims, name)) == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	s = json_string_value(v);
	len = json_string_length(v);
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f) {
			*bad = 1;
			return NULL;
		}
	return s;
}

/* RFC 8707 / RFC 7519 §4.1.3: aud is a string or an array of strings. */
static int
jwt_aud_ok(json_t *aud, const char *want)
{
	json_t	*v;
	size_t	 i;
	int	 found = 0;

	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return 0;
	json_array_foreach(aud, i, v) {
		if (!json_is_string(v))
			return 0;
		if (strcmp(json_string_value(v), want) == 0)
			found = 1;
	}
	return found;
}

/* RFC 6749 §3.3 scope-token characters. */
static int
jwt_scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	    (c >= 0x5d && c <= 0x7e);
}

/*
 * Appends the tokens of s to out (capacity cap, NUL-terminated, *len
 * used), single-space separated.  spaces: whether s may hold several
 * space-separated tokens (scope string) or must be one (scp element).
 * Returns 0 or -1.
 */
static int
jwt_scope_add(char *out, size_t cap, size_t *len, const char *s, int spaces)
{
	size_t	 i, tl;

	while (*s != '\0') {
		if (*s == ' ') {
			if (!spaces)
				return -1;
			s++;
			continue;
		}
		for (tl = 0; s[tl] != '\0' && s[tl] != ' '; tl++)
			if (!jwt_scope_char((unsigned char)s[tl]))
				return -1;
		if (*len + (*len > 0) + tl + 1 > cap)
			return -1;
		if (*len > 0)
			out[(*len)++] = ' ';
		for (i = 0; i < tl; i++)
			out[(*len)++] = s[i];
		out[*len] = '\0';
		s += tl;
		if (!spaces && *s != '\0')
			return -1;
	}
	return 0;
}

/* scope (string, RFC 9068 §2.2.3) or else scp (array or string). */
static char *
jwt_scopes(json_t *claims, size_t cap)
{
	json_t	*v, *e;
	char	*out;
	size_t	 len = 0, i;

	if ((out = calloc(1, cap + 1)) == NULL)
		return NULL;
	if ((v = json_object_get(claims, "scope")) != NULL) {
		/* RFC 9068 §2.2.3: scope is a space-delimited string. */
		if (!json_is_string(v))
			goto bad;
	} else if ((v = json_object_get(claims, "scp")) == NULL)
		return out;
	if (json_is_string(v)) {
		if (json_string_length(v) != strlen(json_string_value(v)) ||
		    jwt_scope_add(out, cap + 1, &len, json_string_value(v),
		    1) == -1)
			goto bad;
		return out;
	}
	if (!json_is_array(v))
		goto bad;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) != strlen(json_string_value(e)) ||
		    jwt_scope_add(out, cap + 1, &len, json_string_value(e),
		    0) == -1)
			goto bad;
	}
	return out;
bad:
	free(out);
	return NULL;
}

void
jwt_claims_clear(struct jwt_claims *c)
{
	if (c == NULL)
		return;
	free(c->iss);
	free(c->sub);
	free(c->scope);
	free(c->client_id);
	free(c->jti);
	memset(c, 0, sizeof(*c));
}

static char *
jwt_strdup_opt(const char *s, int *oom)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = 1;
	return d;
}

enum authres
jwt_verify(struct jwt_keyset *ks, const char *tok, size_t len,
    time_t now, time_t leeway, const char *want_iss, const char *want_aud,
    struct jwt_claims *out, char *reason, size_t reasonlen)
{
	unsigned char		 seg[JWT_SEG_MAX], sig[JWT_SEG_MAX];
	size_t			 i, dots = 0, d1 = 0, d2 = 0, seglen, siglen;
	json_error_t		 jerr;
	json_t			*hdr = NULL, *cl = NULL, *v;
	const char		*why = "malformed token", *kid = NULL;
	const char		*iss, *sub, *cid, *jti;
	const struct jwt_key	*k;
	enum jwt_sigalg		 alg;
	enum authres		 res = AUTH_INVALID;
	time_t			 exp = 0, nbf = 0, iat = 0;
	int			 has_nbf, has_iat, bad = 0, oom = 0, missing;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	jwt_reason(reason, reasonlen, "");
	if (tok == NULL || len == 0) {
		jwt_reason(reason, reasonlen, "no token");
		return AUTH_MISSING;
	}
	if (len > JWT_MAX_LEN) {
		jwt_reason(reason, reasonlen, "token too long");
		return AUTH_INVALID;
	}
	if (ks == NULL || out == NULL || want_iss == NULL ||
	    want_aud == NULL || leeway < 0 || leeway > JWT_LEEWAY_MAX) {
		jwt_reason(reason, reasonlen, "verifier not configured");
		return AUTH_INVALID;
	}

	/* RFC 7515 §7.1: three base64url segments; five would be JWE. */
	for (i = 0; i < len; i++) {
		if (tok[i] == '.') {
			if (dots == 0)
				d1 = i;
			else if (dots == 1)
				d2 = i;
			dots++;
		} else if (!((tok[i] >= 'A' && tok[i] <= 'Z') ||
		    (tok[i] >= 'a' && tok[i] <= 'z') ||
		    (tok[i] >= '0' && tok[i] <= '9') ||
		    tok[i] == '-' || tok[i] == '_'))
			goto fail;
	}
	if (dots == 4) {
		why = "JWE is not supported";
		goto fail;
	}
	if (dots != 2 || d1 == 0 || d2 == d1 + 1 || d2 + 1 == len)
		goto fail;

	/* The JOSE header. */
	if (b64_url_decode(tok, d1, seg, sizeof(seg), &seglen) == -1) {
		why = "bad base64url in header";
		goto fail;
	}
	if ((hdr = json_loadb((const char *)seg, seglen,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(hdr)) {
		why = "header is not a JSON object";
		goto fail;
	}
	/* RFC 7515 §4.1.11: we implement no extension, so reject crit. */
	if (json_object_get(hdr, "crit") != NULL) {
		why = "crit header not supported";
		goto fail;
	}
	v = json_object_get(hdr, "alg");
	if (!json_is_string(v)) {
		why = "alg missing";
		goto fail;
	}
	if (jwt_sigalg_from_name(json_string_value(v), &alg) == -1) {
		why = strcasecmp(json_string_value(v), "none") == 0 ?
		    "alg none" : "alg unknown";
		goto fail;
	}
	if ((ks->allowed & JWT_ALLOW(alg)) == 0) {
		why = "alg not allowed";
		goto fail;
	}
	if (!jwt_typ_ok(json_object_get(hdr, "typ"))) {
		why = "typ not a JWT access token";
		goto fail;
	}
	if ((v = json_object_get(hdr, "kid")) != NULL) {
		kid = json_string_value(v);
		if (!jwt_kid_ok(kid)) {
			why = "bad kid";
			goto fail;
		}
	}
	/*
	 * A lazy keyset reads the key files for alg now.  When no key fits
	 * and one of those files could not be loaded, the server cannot
	 * decide: AUTH_ERROR, never a verdict on the token.
	 */
	missing = jwt_keyset_need(ks, alg);
	if ((k = jwt_key_pick(ks, alg, kid, &why)) == NULL) {
		if (missing) {
			why = "verification key file unavailable";
			res = AUTH_ERROR;
		}
		goto fail;
	}
	if (alg != JWT_SIG_EDDSA && ks->sha256 == NULL &&
	    (ks->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		why = "SHA-256 unavailable";
		res = AUTH_ERROR;
		goto fail;
	}

	/* The signature, over the ASCII of header.payload. */
	if (b64_url_decode(tok + d2 + 1, len - d2 - 1, sig, sizeof(sig),
	    &siglen) == -1) {
		why = "bad base64url in signature";
		goto fail;
	}
	if (!jwt_sig_ok(ks, k, alg, (const unsigned char *)tok, d2, sig,
	    siglen)) {
		why = "bad signature";
		goto fail;
	}

	/* Claims: only parsed once the signature holds. */
	if (b64_url_decode(tok + d1 + 1, d2 - d1 - 1, seg, sizeof(seg),
	    &seglen) == -1) {
		why = "bad base64url in payload";
		goto fail;
	}
	if ((cl = json_loadb((const char *)seg, seglen,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL || !json_is_object(cl)) {
		why = "payload is not a JSON object";
		goto fail;
	}
	iss = jwt_claim_str(cl, "iss", &bad);
	if (iss == NULL || strcmp(iss, want_iss) != 0) {
		why = "wrong issuer";
		goto fail;
	}
	if (!jwt_aud_ok(json_object_get(cl, "aud"), want_aud)) {
		why = "wrong audience";
		goto fail;
	}
	sub = jwt_claim_str(cl, "sub", &bad);
	cid = jwt_claim_str(cl, "client_id", &bad);
	jti = jwt_claim_str(cl, "jti", &bad);
	if (bad || sub == NULL || *sub == '\0') {
		why = "sub missing or bad string claim";
		goto fail;
	}
	if (jwt_claim_time(cl, "exp", &exp) != 1 ||
	    (has_nbf = jwt_claim_time(cl, "nbf", &nbf)) == -1 ||
	    (has_iat = jwt_claim_time(cl, "iat", &iat)) == -1) {
		why = "exp missing or bad time claim";
		goto fail;
	}
	if (has_nbf && now + leeway < nbf) {
		why = "not yet valid (nbf)";
		goto fail;
	}
	if (has_iat && iat > now + leeway) {
		why = "issued in the future (iat)";
		goto fail;
	}
	if ((out->scope = jwt_scopes(cl, seglen)) == NULL) {
		why = "bad scope";
		goto fail;
	}
	/* RFC 7519 §4.1.4: now must be before exp (plus leeway). */
	if (now >= exp + leeway) {
		why = "expired";
		res = AUTH_EXPIRED;
		goto fail;
	}
	out->iss = jwt_strdup_opt(iss, &oom);
	out->sub = jwt_strdup_opt(sub, &oom);
	out->client_id = jwt_strdup_opt(cid, &oom);
	out->jti = jwt_strdup_opt(jti, &oom);
	if (oom) {
		why = "out of memory";
		res = AUTH_ERROR;
		goto fail;
	}
	out->exp = exp;
	out->nbf = nbf;
	out->iat = iat;
	out->alg = alg;
	res = AUTH_OK;
	why = "ok";
	goto done;
fail:
	jwt_claims_clear(out);
done:
	jwt_reason(reason, reasonlen, why);
	json_decref(hdr);
	json_decref(cl);
	OPENSSL_cleanse(seg, sizeof(seg));
	return res;
}
