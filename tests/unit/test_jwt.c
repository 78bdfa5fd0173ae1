/*
 * test_jwt.c -- the JWT verifier (lib/jwt.c) against tokens minted by
 * lib/jwtmint.c (libjwt 1.10 for RS256/ES256/HS256, OpenSSL for the rest)
 * and hand-forged ones.  Keys are generated at run time into a temporary
 * directory as PEM and JWKS files.  Also prints verify timings as TAP
 * comments (not asserted).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "authres.h"
#include "b64.h"
#include "jwt.h"
#include "jwtmint.h"
#include "t.h"

#define ISS		"https://issuer.example"
#define AUD		"https://mcp.example/mcp"
#define NOW		((time_t)1800000000)
#define LEEWAY		60
#define PATHLEN		512
#define BENCH_N		2000
#define AL(a)		JWT_ALLOW(JWT_SIG_ ## a)

static char	 dir[] = "/tmp/mcpgate-jwt.XXXXXX";
static char	 p_rsa[PATHLEN], p_rsa_pub[PATHLEN], p_rsa2[PATHLEN];
static char	 p_ec[PATHLEN], p_ec_pub[PATHLEN], p_ed[PATHLEN];
static char	 p_ed_pub[PATHLEN], p_sec[PATHLEN], p_sec2[PATHLEN];
static char	 p_empty[PATHLEN], p_short[PATHLEN], p_jwks[PATHLEN];
static char	 p_rsa_small_pub[PATHLEN], p_jwks_ref[PATHLEN];
static EVP_PKEY	*k_rsa, *k_rsa2, *k_ec, *k_ed;

static void
mkpath(char *out, const char *name)
{
	snprintf(out, PATHLEN, "%s/%s", dir, name);
}

static int
write_file(const char *path, const void *buf, size_t len)
{
	FILE	*fp;
	int	 ok;

	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(buf, 1, len, fp) == len;
	return (fclose(fp) == 0 && ok) ? 0 : -1;
}

/* Replaces path atomically (new inode), as a cron job should. */
static int
replace_file(const char *path, const char *text)
{
	char	 tmp[PATHLEN + 8];

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (write_file(tmp, text, strlen(text)) == -1)
		return -1;
	return rename(tmp, path);
}

static unsigned char *
read_file(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*buf;
	long		 n;

	*len = 0;
	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	*len = fread(buf, 1, (size_t)n, fp);
	buf[*len] = '\0';
	fclose(fp);
	return buf;
}

static int
write_pem(EVP_PKEY *pk, const char *priv, const char *pub)
{
	FILE	*fp;
	int	 ok = 1;

	if (priv != NULL) {
		if ((fp = fopen(priv, "w")) == NULL)
			return -1;
		ok &= PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL,
		    NULL) == 1;
		fclose(fp);
	}
	if (pub != NULL) {
		if ((fp = fopen(pub, "w")) == NULL)
			return -1;
		ok &= PEM_write_PUBKEY(fp, pk) == 1;
		fclose(fp);
	}
	return ok ? 0 : -1;
}

static json_t *
b64_json(const unsigned char *buf, size_t len)
{
	char	 out[2048];

	if (b64_url_encode(buf, len, out, sizeof(out)) == -1)
		return NULL;
	return json_string(out);
}

static json_t *
bn_json(EVP_PKEY *pk, const char *name, int pad)
{
	BIGNUM		*bn = NULL;
	unsigned char	 buf[1024];
	int		 n;
	json_t		*j;

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return NULL;
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	j = b64_json(buf, (size_t)n);
	return j;
}

/* A JWK for the public half of pk; alg may be NULL. */
static json_t *
jwk_of(EVP_PKEY *pk, const char *kid, const char *alg)
{
	json_t		*j = json_object();
	unsigned char	 raw[32];
	size_t		 rawlen = sizeof(raw);

	if (EVP_PKEY_is_a(pk, "RSA")) {
		json_object_set_new(j, "kty", json_string("RSA"));
		json_object_set_new(j, "n", bn_json(pk, OSSL_PKEY_PARAM_RSA_N,
		    0));
		json_object_set_new(j, "e", bn_json(pk, OSSL_PKEY_PARAM_RSA_E,
		    0));
	} else if (EVP_PKEY_is_a(pk, "EC")) {
		json_object_set_new(j, "kty", json_string("EC"));
		json_object_set_new(j, "crv", json_string("P-256"));
		json_object_set_new(j, "x", bn_json(pk,
		    OSSL_PKEY_PARAM_EC_PUB_X, 32));
		json_object_set_new(j, "y", bn_json(pk,
		    OSSL_PKEY_PARAM_EC_PUB_Y, 32));
	} else {
		EVP_PKEY_get_raw_public_key(pk, raw, &rawlen);
		json_object_set_new(j, "kty", json_string("OKP"));
		json_object_set_new(j, "crv", json_string("Ed25519"));
		json_object_set_new(j, "x", b64_json(raw, rawlen));
	}
	json_object_set_new(j, "use", json_string("sig"));
	if (kid != NULL)
		json_object_set_new(j, "kid", json_string(kid));
	if (alg != NULL)
		json_object_set_new(j, "alg", json_string(alg));
	return j;
}

static json_t *
jwk_oct(const char *path, const char *kid)
{
	json_t		*j = json_object();
	unsigned char	*sec;
	size_t		 len;

	sec = read_file(path, &len);
	json_object_set_new(j, "kty", json_string("oct"));
	json_object_set_new(j, "k", b64_json(sec, len));
	json_object_set_new(j, "kid", json_string(kid));
	free(sec);
	return j;
}

/* Writes {"keys":[...]} (steals the JWKs) to path; NULL ends the list. */
static int
write_jwks(const char *path, json_t *a, json_t *b, json_t *c, json_t *d)
{
	json_t	*root = json_object(), *keys = json_array();
	char	*s;
	int	 rc;

	if (a)
		json_array_append_new(keys, a);
	if (b)
		json_array_append_new(keys, b);
	if (c)
		json_array_append_new(keys, c);
	if (d)
		json_array_append_new(keys, d);
	json_object_set_new(root, "keys", keys);
	s = json_dumps(root, JSON_INDENT(1));
	rc = replace_file(path, s);
	free(s);
	json_decref(root);
	return rc;
}

static int
setup(void)
{
	unsigned char	 sec[48];
	EVP_PKEY	*small;

	if (mkdtemp(dir) == NULL)
		return -1;
	mkpath(p_rsa, "rsa.pem");
	mkpath(p_rsa_pub, "rsa.pub.pem");
	mkpath(p_rsa2, "rsa2.pem");
	mkpath(p_ec, "ec.pem");
	mkpath(p_ec_pub, "ec.pub.pem");
	mkpath(p_ed, "ed.pem");
	mkpath(p_ed_pub, "ed.pub.pem");
	mkpath(p_sec, "hs256.secret");
	mkpath(p_sec2, "hs256-other.secret");
	mkpath(p_empty, "empty");
	mkpath(p_short, "short.secret");
	mkpath(p_jwks, "jwks.json");
	mkpath(p_jwks_ref, "jwks-refresh.json");
	mkpath(p_rsa_small_pub, "rsa1024.pub.pem");
	k_rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k_ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	if (k_rsa == NULL || k_rsa2 == NULL || k_ec == NULL || k_ed == NULL ||
	    small == NULL)
		return -1;
	if (write_pem(k_rsa, p_rsa, p_rsa_pub) == -1 ||
	    write_pem(k_rsa2, p_rsa2, NULL) == -1 ||
	    write_pem(k_ec, p_ec, p_ec_pub) == -1 ||
	    write_pem(k_ed, p_ed, p_ed_pub) == -1 ||
	    write_pem(small, NULL, p_rsa_small_pub) == -1)
		return -1;
	EVP_PKEY_free(small);
	if (RAND_bytes(sec, sizeof(sec)) != 1 ||
	    write_file(p_sec, sec, sizeof(sec)) == -1 ||
	    RAND_bytes(sec, sizeof(sec)) != 1 ||
	    write_file(p_sec2, sec, sizeof(sec)) == -1 ||
	    write_file(p_short, sec, 16) == -1 ||
	    write_file(p_empty, "", 0) == -1)
		return -1;
	if (write_jwks(p_jwks, jwk_of(k_rsa, "jr", "RS256"),
	    jwk_of(k_ec, "je", NULL), jwk_of(k_ed, "jd", NULL),
	    jwk_oct(p_sec, "jo")) == -1)
		return -1;
	return 0;
}

/* A default request: valid for an hour from NOW. */
static struct jwtmint_req
req(enum jwt_sigalg alg, const char *key, const char *kid)
{
	struct jwtmint_req	 r;

	memset(&r, 0, sizeof(r));
	r.alg = alg;
	r.key_path = key;
	r.kid = kid;
	r.iss = ISS;
	r.sub = "alice";
	r.aud = AUD;
	r.scope = "mcp:tools mcp:read";
	r.iat = NOW - 10;
	r.exp = NOW + 3600;
	return r;
}

static char *
mint(const struct jwtmint_req *r)
{
	char	 err[256];
	char	*tok;

	if ((tok = jwtmint_encode(r, err, sizeof(err))) == NULL)
		printf("# mint failed: %s\n", err);
	return tok;
}

/* A token with a verbatim header and payload, signed as alg with key file. */
static char *
forge(enum jwt_sigalg alg, const char *keypath, const char *hdr,
    const char *payload)
{
	unsigned char	*key;
	size_t		 keylen;
	char		 err[256];
	char		*tok;

	if ((key = read_file(keypath, &keylen)) == NULL)
		return NULL;
	tok = jwtmint_compact(alg, key, keylen, hdr, strlen(hdr), payload,
	    strlen(payload), err, sizeof(err));
	if (tok == NULL)
		printf("# forge failed: %s\n", err);
	OPENSSL_cleanse(key, keylen);
	free(key);
	return tok;
}

static const char *default_payload =
    "{\"iss\":\"" ISS "\",\"sub\":\"alice\",\"aud\":\"" AUD "\","
    "\"exp\":1800003600,\"iat\":1799999990}";

static char	 last_reason[JWT_REASON_LEN];

/* Verifies (token may be NULL: counts as invalid), frees the claims. */
static enum authres
V(struct jwt_keyset *ks, const char *tok)
{
	struct jwt_claims	 c;
	enum authres		 r;

	if (tok == NULL)
		return AUTH__MAX;
	r = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c,
	    last_reason, sizeof(last_reason));
	jwt_claims_clear(&c);
	return r;
}

/* V() that also frees the token. */
static enum authres
VF(struct jwt_keyset *ks, char *tok)
{
	enum authres	 r = V(ks, tok);

	free(tok);
	return r;
}

static struct jwt_keyset *
keyset_pem(void)
{
	struct jwt_keyset	*ks;
	char			 err[256];

	ks = jwt_keyset_new(AL(RS256) | AL(PS256) |
	    AL(ES256) | AL(EDDSA));
	if (ks == NULL ||
	    jwt_keyset_add_pem(ks, p_rsa_pub, JWT_SIG_RS256, "r1", err,
	    sizeof(err)) == -1 ||
	    jwt_keyset_add_pem(ks, p_rsa_pub, JWT_SIG_PS256, "p1", err,
	    sizeof(err)) == -1 ||
	    jwt_keyset_add_pem(ks, p_ec_pub, JWT_SIG_ES256, "e1", err,
	    sizeof(err)) == -1 ||
	    jwt_keyset_add_pem(ks, p_ed_pub, JWT_SIG_EDDSA, "d1", err,
	    sizeof(err)) == -1) {
		printf("# keyset: %s\n", err);
		jwt_keyset_free(ks);
		return NULL;
	}
	return ks;
}

static void
test_valid(struct jwt_keyset *ks)
{
	struct jwtmint_req	 r;
	struct jwt_claims	 c;
	char			 reason[JWT_REASON_LEN];
	char			*tok;
	enum authres		 res;

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c,
	    reason, sizeof(reason));
	T_EQ_INT(res, AUTH_OK, "RS256 (libjwt-minted) verifies");
	T_EQ_STR(c.iss, ISS, "claims: iss");
	T_EQ_STR(c.sub, "alice", "claims: sub");
	T_EQ_STR(c.scope, "mcp:tools mcp:read", "claims: scope");
	T_EQ_INT(c.exp, NOW + 3600, "claims: exp");
	T_EQ_INT(c.iat, NOW - 10, "claims: iat");
	T_EQ_INT(c.alg, JWT_SIG_RS256, "claims: alg");
	T_EQ_STR(reason, "ok", "reason ok");
	jwt_claims_clear(&c);
	T_OK(c.iss == NULL && c.scope == NULL, "claims cleared");
	jwt_claims_clear(NULL);
	/* Length-delimited: trailing bytes beyond len are not looked at. */
	{
		size_t	 n = strlen(tok);
		char	*ext = malloc(n + 4);

		memcpy(ext, tok, n);
		memcpy(ext + n, "xyz", 4);
		res = jwt_verify(ks, ext, n, NOW, LEEWAY, ISS, AUD, &c, NULL,
		    0);
		T_EQ_INT(res, AUTH_OK, "token need not be NUL-terminated");
		jwt_claims_clear(&c);
		res = jwt_verify(ks, ext, n + 3, NOW, LEEWAY, ISS, AUD, &c,
		    NULL, 0);
		T_EQ_INT(res, AUTH_INVALID, "trailing bytes within len fail");
		free(ext);
	}
	/* Signature tampering. */
	tok[strlen(tok) - 5] = tok[strlen(tok) - 5] == 'A' ? 'B' : 'A';
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "tampered signature");
	free(tok);

	r = req(JWT_SIG_ES256, p_ec, "e1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "ES256 (libjwt-minted) verifies");
	r.typ = "at+jwt";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "ES256 (OpenSSL-minted) verifies");
	r = req(JWT_SIG_PS256, p_rsa, "p1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "PS256 verifies");
	r = req(JWT_SIG_EDDSA, p_ed, "d1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "EdDSA (Ed25519) verifies");
	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.typ = "at+jwt";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "typ at+jwt (RFC 9068) accepted");
	r.typ = "application/at+jwt";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "typ application/at+jwt accepted");
	r.typ = "AT+JWT";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "typ compared caselessly");
	r.typ = "dpop+jwt";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "typ dpop+jwt refused");
	T_EQ_STR(last_reason, "typ not a JWT access token", "reason: typ");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", default_payload)), AUTH_OK,
	    "typ absent accepted");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\",\"typ\":1}", default_payload)),
	    AUTH_INVALID, "typ not a string refused");
}

static void
test_alg(struct jwt_keyset *ks, struct jwt_keyset *ksh)
{
	struct jwtmint_req	 r;
	char			 hdr[128], pay[512], tok[1024];
	unsigned char		 junk[256];
	char			*t;

	/* HS256 is off unless configured. */
	r = req(JWT_SIG_HS256, p_sec, "h1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "HS256 refused when not configured");
	T_EQ_STR(last_reason, "alg not allowed", "reason: alg not allowed");
	T_EQ_INT(VF(ksh, mint(&r)), AUTH_OK, "HS256 accepted when configured");
	r.key_path = p_sec2;
	T_EQ_INT(VF(ksh, mint(&r)), AUTH_INVALID, "HS256 with a wrong secret");

	/* alg none, however spelled, with or without a signature. */
	if (b64_url_encode("{\"alg\":\"none\",\"kid\":\"r1\"}", 25, hdr,
	    sizeof(hdr)) == 0 && b64_url_encode(default_payload,
	    strlen(default_payload), pay, sizeof(pay)) == 0) {
		snprintf(tok, sizeof(tok), "%s.%s.", hdr, pay);
		T_EQ_INT(V(ks, tok), AUTH_INVALID, "alg none, empty signature");
		snprintf(tok, sizeof(tok), "%s.%s.AAAA", hdr, pay);
		T_EQ_INT(V(ks, tok), AUTH_INVALID, "alg none, junk signature");
		T_EQ_STR(last_reason, "alg none", "reason: alg none");
	}
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"NONE\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "alg NONE (signed anyway)");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"rs256\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "alg names are case-sensitive");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS512\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "alg RS512 not supported");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"kid\":\"r1\"}", default_payload)), AUTH_INVALID, "alg missing");

	/* Algorithm confusion: HMAC keyed with the RSA public key PEM. */
	t = forge(JWT_SIG_HS256, p_rsa_pub,
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"r1\"}",
	    default_payload);
	T_EQ_INT(V(ks, t), AUTH_INVALID,
	    "confusion: HS256 over RSA PEM, HS256 not allowed");
	T_EQ_INT(V(ksh, t), AUTH_INVALID,
	    "confusion: HS256 over RSA PEM, HS256 allowed, kid of RSA key");
	free(t);
	t = forge(JWT_SIG_HS256, p_rsa_pub, "{\"alg\":\"HS256\"}",
	    default_payload);
	T_EQ_INT(V(ksh, t), AUTH_INVALID,
	    "confusion: HS256 over RSA PEM, no kid");
	free(t);

	/* A key is pinned: its kid does not lend it to another alg. */
	T_EQ_INT(VF(ks, forge(JWT_SIG_PS256, p_rsa,
	    "{\"alg\":\"PS256\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "PS256 token naming the RS256-pinned kid");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"p1\"}", default_payload)),
	    AUTH_INVALID, "RS256 token naming the PS256-pinned kid");
	T_EQ_INT(VF(ks, forge(JWT_SIG_PS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "PS256 signature labelled RS256");
	T_EQ_INT(VF(ks, forge(JWT_SIG_ES256, p_ec,
	    "{\"alg\":\"ES256\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "ES256 token naming the RSA kid");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa2,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", default_payload)),
	    AUTH_INVALID, "RS256 signed by another RSA key");

	/* kid. */
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"zz\"}", default_payload)),
	    AUTH_INVALID, "unknown kid");
	T_EQ_STR(last_reason, "unknown kid", "reason: unknown kid");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":7}", default_payload)),
	    AUTH_INVALID, "kid not a string");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"\"}", default_payload)),
	    AUTH_INVALID, "empty kid");

	/* Header shape. */
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\",\"crit\":[\"exp\"],"
	    "\"exp\":1}", default_payload)), AUTH_INVALID, "crit refused");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\",\"kid\":\"r1\"}",
	    default_payload)), AUTH_INVALID, "duplicate header member");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    "{\"iss\":\"" ISS "\",\"sub\":\"a\",\"sub\":\"b\",\"aud\":\""
	    AUD "\",\"exp\":1800003600}")), AUTH_INVALID,
	    "duplicate claim");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa, "[\"RS256\"]",
	    default_payload)), AUTH_INVALID, "header not an object");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"} x", default_payload)),
	    AUTH_INVALID, "trailing bytes after header JSON");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "[1]")), AUTH_INVALID,
	    "payload not an object");
	T_EQ_INT(VF(ks, forge(JWT_SIG_RS256, p_rsa,
	    "{\"alg\":\"RS256\",\"kid\":\"r1\"}", "not json")), AUTH_INVALID,
	    "payload not JSON");
	/* Random bytes as header. */
	RAND_bytes(junk, sizeof(junk));
	if (b64_url_encode(junk, 32, hdr, sizeof(hdr)) == 0) {
		snprintf(tok, sizeof(tok), "%s.%s.AAAA", hdr, hdr);
		T_EQ_INT(V(ks, tok), AUTH_INVALID, "random header bytes");
	}
	/* ES256 with a DER (not raw R||S) signature is refused. */
	{
		EVP_MD_CTX	*m = EVP_MD_CTX_new();
		unsigned char	 der[80];
		size_t		 dl = sizeof(der);
		char		 sig[128];
		const char	*h = "{\"alg\":\"ES256\",\"kid\":\"e1\"}";
		int		 n, e = 0;

		e |= b64_url_encode(h, strlen(h), hdr, sizeof(hdr));
		n = snprintf(tok, sizeof(tok), "%s.%s", hdr, pay);
		EVP_DigestSignInit(m, NULL, EVP_sha256(), NULL, k_ec);
		EVP_DigestSign(m, der, &dl, (unsigned char *)tok, (size_t)n);
		EVP_MD_CTX_free(m);
		e |= b64_url_encode(der, dl, sig, sizeof(sig));
		snprintf(tok + n, sizeof(tok) - (size_t)n, ".%s", sig);
		T_OK(e == 0 && V(ks, tok) == AUTH_INVALID,
		    "ES256 DER signature refused");
	}
}

static void
test_claims(struct jwt_keyset *ks)
{
	struct jwtmint_req	 r;
	struct jwt_claims	 c;
	char			*tok;
	enum authres		 res;

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.exp = NOW - 100;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_EXPIRED, "expired");
	T_EQ_STR(last_reason, "expired", "reason: expired");
	r.exp = NOW - 30;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "expired within leeway");
	r.exp = NOW - LEEWAY;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_EXPIRED, "exp == now - leeway");
	r.exp = NOW - LEEWAY + 1;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "exp == now - leeway + 1");
	r.exp = 0;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "exp missing");
	r.extra = "{\"exp\":1800003600.5}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "exp as a real number");
	r.extra = "{\"exp\":\"1800003600\"}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "exp as a string");
	r.extra = "{\"exp\":1e300}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "exp out of range");
	r.extra = "{\"exp\":-5}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "negative exp");

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.exp = NOW - 100;
	r.iss = "https://evil.example";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "expired token for another issuer is invalid, not expired");

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.nbf = NOW + 120;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "not yet valid (nbf)");
	r.nbf = NOW + 30;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "nbf within leeway");
	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.iat = NOW + 120;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "iat in the future");
	r.iat = NOW + 30;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "iat within leeway");

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.iss = "https://evil.example";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "wrong issuer");
	T_EQ_STR(last_reason, "wrong issuer", "reason: wrong issuer");
	r.iss = NULL;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "issuer missing");
	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.aud = "https://other.example/mcp";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "wrong audience");
	T_EQ_STR(last_reason, "wrong audience", "reason: wrong audience");
	r.aud = NULL;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "audience missing");
	r.extra = "{\"aud\":[\"https://other.example\",\"" AUD "\"]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "audience in an array");
	r.extra = "{\"aud\":[\"https://other.example\"]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "array without our audience");
	r.extra = "{\"aud\":[\"" AUD "\",7]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "audience array with a number");
	r.extra = "{\"aud\":[]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "empty audience array");
	r.extra = "{\"aud\":\"" AUD "/\"}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "audience prefix match refused");

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.sub = NULL;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "sub missing");
	r.sub = "";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "sub empty");
	r.sub = "bad\nsub";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "control character in sub");

	/* Scopes. */
	r = req(JWT_SIG_RS256, p_rsa, "r1");
	r.scope = NULL;
	r.extra = "{\"scp\":[\"mcp:tools\",\"mcp:write\"],"
	    "\"client_id\":\"cli\",\"jti\":\"j-1\"}";
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0);
	T_EQ_INT(res, AUTH_OK, "scp array");
	T_EQ_STR(c.scope, "mcp:tools mcp:write", "scp array joined");
	T_OK(authres_scope_has(c.scope, "mcp:write"), "scp scope present");
	T_EQ_STR(c.client_id, "cli", "client_id");
	T_EQ_STR(c.jti, "j-1", "jti");
	jwt_claims_clear(&c);
	free(tok);
	r.extra = NULL;
	r.scope = "  mcp:tools   mcp:read ";
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0);
	T_EQ_INT(res, AUTH_OK, "scope string with extra spaces");
	T_EQ_STR(c.scope, "mcp:tools mcp:read", "scope normalized");
	T_OK(!authres_scope_has(c.scope, "mcp:tool"), "no prefix match");
	jwt_claims_clear(&c);
	free(tok);
	r.scope = NULL;
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0);
	T_EQ_INT(res, AUTH_OK, "no scope at all");
	T_EQ_STR(c.scope, "", "empty scope");
	T_OK(c.client_id == NULL && c.jti == NULL, "absent optionals NULL");
	jwt_claims_clear(&c);
	free(tok);
	r.extra = "{\"scp\":\"mcp:a mcp:b\"}";
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0);
	T_EQ_INT(res, AUTH_OK, "scp as a string");
	T_EQ_STR(c.scope, "mcp:a mcp:b", "scp string");
	jwt_claims_clear(&c);
	free(tok);
	r.scope = "from:scope";
	r.extra = "{\"scp\":[\"from:scp\"]}";
	tok = mint(&r);
	res = jwt_verify(ks, tok, strlen(tok), NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0);
	T_EQ_INT(res, AUTH_OK, "scope and scp");
	T_EQ_STR(c.scope, "from:scope", "scope wins over scp");
	jwt_claims_clear(&c);
	free(tok);
	r.scope = "a\"b";
	r.extra = NULL;
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "quote in scope refused");
	r.scope = NULL;
	r.extra = "{\"scp\":[\"a b\"]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "space inside scp element");
	r.extra = "{\"scp\":[1]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "number in scp");
	r.extra = "{\"scope\":[\"a\"],\"scp\":[\"a\"]}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "scope must be a string");
	r.extra = "{\"scp\":{}}";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "scp object refused");
}

static void
test_garbage(struct jwt_keyset *ks)
{
	static const char *const bad[] = {
		"abc", "a.b", "a.b.c", "...", "..", ".", "a..c", ".b.c",
		"a.b.", "a.b.c.d", "a.b.c.d.e", "a.b.c.d.e.f",
		"eyJhbGciOiJSUzI1NiJ9.e30.AAA=", "eyJhbGciOiJSUzI1NiJ9 .e30.AA",
		"eyJhbGciOiJSUzI1NiJ9.e30.A", "Bearer x.y.z",
		"eyJhbGciOiJSUzI1NiJ9.e30.+/+/", "e.e.e",
	};
	struct jwt_claims	 c;
	struct jwtmint_req	 r;
	char			*tok, *p;
	size_t			 i, dot1;
	char			 nul[] = "eyJh\0bGciOiJSUzI1NiJ9.e30.AAAA";

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_EQ_INT(V(ks, bad[i]), AUTH_INVALID, "garbage \"%s\"", bad[i]);
	T_EQ_INT(V(ks, "a.b.c.d.e"), AUTH_INVALID, "five parts");
	T_EQ_STR(last_reason, "JWE is not supported", "reason: JWE");
	T_EQ_INT(jwt_verify(ks, nul, sizeof(nul) - 1, NOW, LEEWAY, ISS, AUD,
	    &c, NULL, 0), AUTH_INVALID, "NUL byte inside");
	T_EQ_INT(jwt_verify(ks, "", 0, NOW, LEEWAY, ISS, AUD, &c, NULL, 0),
	    AUTH_MISSING, "empty token is missing");
	T_EQ_INT(jwt_verify(ks, NULL, 0, NOW, LEEWAY, ISS, AUD, &c, NULL, 0),
	    AUTH_MISSING, "NULL token is missing");
	T_EQ_INT(jwt_verify(ks, "a.b.c", 5, NOW, LEEWAY, NULL, AUD, &c, NULL,
	    0), AUTH_INVALID, "no expected issuer: refuse");
	T_EQ_INT(jwt_verify(ks, "a.b.c", 5, NOW, LEEWAY, ISS, NULL, &c, NULL,
	    0), AUTH_INVALID, "no expected audience: refuse");
	T_EQ_INT(jwt_verify(ks, "a.b.c", 5, NOW, JWT_LEEWAY_MAX + 1, ISS, AUD,
	    &c, NULL, 0), AUTH_INVALID, "leeway above JWT_LEEWAY_MAX refused");
	T_EQ_INT(jwt_verify(NULL, "a.b.c", 5, NOW, LEEWAY, ISS, AUD, &c, NULL,
	    0), AUTH_INVALID, "no keyset: refuse");

	/* Tampered payload: swap in another payload, keep the signature. */
	r = req(JWT_SIG_RS256, p_rsa, "r1");
	tok = mint(&r);
	dot1 = strcspn(tok, ".");
	p = tok + dot1 + 1;
	p[3] = p[3] == 'A' ? 'B' : 'A';
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "tampered payload");
	T_EQ_STR(last_reason, "bad signature", "reason: bad signature");
	free(tok);
	/* Signature stripped. */
	tok = mint(&r);
	*strrchr(tok, '.' ) = '\0';
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "signature stripped (two parts)");
	strcat(tok, ".");
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "signature empty");
	free(tok);
}

/* A valid RS256 token of exactly want characters (header whitespace and a
   padding claim adjust the length), or NULL. */
static char *
mint_len(size_t want)
{
	char	 hdr[64], *pay, *tok;
	size_t	 pad, sp;

	if ((pay = malloc(want)) == NULL)
		return NULL;
	for (sp = 0; sp < 4; sp++) {
		snprintf(hdr, sizeof(hdr),
		    "{\"alg\":\"RS256\",%*s\"kid\":\"r1\"}", (int)sp, "");
		for (pad = want / 4 * 3 - 800; pad < want / 4 * 3; pad++) {
			snprintf(pay, want, "{\"iss\":\"" ISS "\","
			    "\"sub\":\"a\",\"aud\":\"" AUD "\","
			    "\"exp\":1800003600,\"pad\":\"%*s\"}", (int)pad,
			    "");
			if (b64_url_enclen(strlen(hdr)) +
			    b64_url_enclen(strlen(pay)) + 2 + 342 != want)
				continue;
			tok = forge(JWT_SIG_RS256, p_rsa, hdr, pay);
			free(pay);
			return tok;
		}
	}
	free(pay);
	return NULL;
}

static void
test_bounds(struct jwt_keyset *ks)
{
	char	*tok;

	tok = mint_len(JWT_MAX_LEN);
	T_OK(tok != NULL && strlen(tok) == JWT_MAX_LEN,
	    "built a valid token of JWT_MAX_LEN (%d) characters", JWT_MAX_LEN);
	T_EQ_INT(V(ks, tok), AUTH_OK, "JWT_MAX_LEN characters accepted");
	free(tok);
	tok = mint_len(JWT_MAX_LEN + 1);
	T_OK(tok != NULL && strlen(tok) == JWT_MAX_LEN + 1,
	    "built a validly signed token of JWT_MAX_LEN+1 characters");
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "JWT_MAX_LEN+1 characters refused");
	T_EQ_STR(last_reason, "token too long", "reason: too long");
	free(tok);
}

static void
test_keymaterial(void)
{
	struct jwt_keyset	*ks;
	struct jwtmint_req	 r;
	char			 err[256], bad[PATHLEN], *tok;

	T_OK(jwt_keyset_new(0) == NULL, "empty allow-list refused");
	ks = jwt_keyset_new(AL(RS256) | AL(ES256));
	T_EQ_INT(jwt_keyset_add_pem(ks, p_empty, JWT_SIG_RS256, NULL, err,
	    sizeof(err)), -1, "empty PEM file refused");
	T_EQ_INT(jwt_keyset_add_pem(ks, "/nonexistent/k.pem", JWT_SIG_RS256,
	    NULL, err, sizeof(err)), -1, "missing PEM file refused");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_rsa, JWT_SIG_RS256, NULL, err,
	    sizeof(err)), -1, "private key PEM refused");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_ec_pub, JWT_SIG_RS256, NULL, err,
	    sizeof(err)), -1, "EC key pinned to RS256 refused");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_rsa_small_pub, JWT_SIG_RS256, NULL,
	    err, sizeof(err)), -1, "1024-bit RSA key refused");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_ed_pub, JWT_SIG_EDDSA, NULL, err,
	    sizeof(err)), -1, "EdDSA key when EdDSA not allowed");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_sec, JWT_SIG_HS256, NULL, err,
	    sizeof(err)), -1, "HS256 via PEM refused");
	T_EQ_INT(jwt_keyset_add_secret(ks, p_sec, NULL, err, sizeof(err)), -1,
	    "HS256 secret when HS256 not allowed");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_sec, JWT_SIG_RS256, NULL, err,
	    sizeof(err)), -1, "random bytes as PEM refused");
	T_EQ_INT(jwt_keyset_count(ks), 0, "no keys loaded");

	/* An empty keyset verifies nothing. */
	r = req(JWT_SIG_RS256, p_rsa, NULL);
	tok = mint(&r);
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "empty keyset verifies nothing");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_rsa_pub, JWT_SIG_RS256, NULL, err,
	    sizeof(err)), 0, "single key without kid");
	T_EQ_INT(V(ks, tok), AUTH_OK,
	    "single key without kid, no kid in token");
	free(tok);
	r.kid = "whatever";
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK,
	    "single key without kid, token has a kid");
	jwt_keyset_free(ks);
	jwt_keyset_free(NULL);

	ks = jwt_keyset_new(AL(HS256));
	T_EQ_INT(jwt_keyset_add_secret(ks, p_empty, NULL, err, sizeof(err)),
	    -1, "empty HS256 secret refused");
	T_EQ_INT(jwt_keyset_add_secret(ks, p_short, NULL, err, sizeof(err)),
	    -1, "16-byte HS256 secret refused");
	/* Never HMAC with an empty key, whatever the token says. */
	tok = forge(JWT_SIG_HS256, p_sec, "{\"alg\":\"HS256\"}",
	    default_payload);
	T_EQ_INT(V(ks, tok), AUTH_INVALID, "no secret loaded: refused");
	free(tok);
	snprintf(bad, sizeof(bad), "%s/jwks-empty.json", dir);
	write_file(bad, "{\"keys\":[]}", 11);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS with no keys refused");
	write_file(bad, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"\"}]}", 32);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS oct with empty k refused");
	write_file(bad, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}", 36);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS oct with a 3-byte k refused");
	write_file(bad, "{\"keys\":[], \"keys\":[]}", 22);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS with duplicate members refused");
	write_file(bad, "not json", 8);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS garbage refused");
	jwt_keyset_free(ks);

	/* oct keys only count when HS256 is allowed. */
	ks = jwt_keyset_new(AL(RS256));
	snprintf(bad, sizeof(bad), "%s/jwks-oct.json", dir);
	write_jwks(bad, jwk_oct(p_sec, "o"), NULL, NULL, NULL);
	T_EQ_INT(jwt_keyset_add_jwks(ks, bad, err, sizeof(err)), -1,
	    "JWKS of oct keys refused when HS256 not allowed");
	jwt_keyset_free(ks);
}

static void
test_jwks(void)
{
	struct jwt_keyset	*ks;
	struct jwtmint_req	 r;
	char			 err[256], path[PATHLEN];
	json_t			*ec;
	char			*y;

	ks = jwt_keyset_new(AL(RS256) | AL(ES256) |
	    AL(EDDSA) | AL(HS256));
	T_EQ_INT(jwt_keyset_add_jwks(ks, p_jwks, err, sizeof(err)), 0,
	    "load JWKS");
	T_EQ_INT(jwt_keyset_count(ks), 4, "JWKS: RSA, EC, OKP and oct keys");
	r = req(JWT_SIG_RS256, p_rsa, "jr");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "JWKS RSA key");
	r = req(JWT_SIG_ES256, p_ec, "je");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "JWKS EC P-256 key");
	r = req(JWT_SIG_EDDSA, p_ed, "jd");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "JWKS OKP Ed25519 key");
	r = req(JWT_SIG_HS256, p_sec, "jo");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "JWKS oct key (HS256 allowed)");
	r = req(JWT_SIG_ES256, p_ec, "jr");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "JWK alg RS256 pins kid jr");
	r = req(JWT_SIG_RS256, p_rsa, NULL);
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID, "no kid with several keys");
	jwt_keyset_free(ks);

	/* A JWK whose point is off the curve is skipped; so are "enc" keys. */
	snprintf(path, sizeof(path), "%s/jwks-bad.json", dir);
	ec = jwk_of(k_ec, "bad", NULL);
	y = strdup(json_string_value(json_object_get(ec, "y")));
	y[5] = y[5] == 'A' ? 'B' : 'A';
	json_object_set_new(ec, "y", json_string(y));
	free(y);
	{
		json_t	*enc = jwk_of(k_rsa, "enc", NULL);

		json_object_set_new(enc, "use", json_string("enc"));
		write_jwks(path, ec, enc, jwk_of(k_ed, "ok", NULL),
		    json_pack("{s:s}", "kty", "XYZ"));
	}
	ks = jwt_keyset_new(AL(RS256) | AL(ES256) |
	    AL(EDDSA));
	T_EQ_INT(jwt_keyset_add_jwks(ks, path, err, sizeof(err)), 0,
	    "JWKS with bad keys still loads the good one");
	T_EQ_INT(jwt_keyset_count(ks), 1,
	    "off-curve EC, use=enc and unknown kty skipped");
	jwt_keyset_free(ks);
}

static void
test_refresh(void)
{
	struct jwt_keyset	*ks;
	struct jwtmint_req	 ra, rb;
	char			 err[256];
	char			*ta, *tb;
	FILE			*fp;

	ra = req(JWT_SIG_RS256, p_rsa, "k1");
	rb = req(JWT_SIG_RS256, p_rsa2, "k2");
	ta = mint(&ra);
	tb = mint(&rb);
	write_jwks(p_jwks_ref, jwk_of(k_rsa, "k1", NULL), NULL, NULL, NULL);
	ks = jwt_keyset_new(AL(RS256));
	T_EQ_INT(jwt_keyset_add_jwks(ks, p_jwks_ref, err, sizeof(err)), 0,
	    "load JWKS with k1");
	T_EQ_INT(V(ks, ta), AUTH_OK, "k1 token verifies");
	T_EQ_INT(V(ks, tb), AUTH_INVALID, "k2 token unknown");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "refresh: unchanged file is not re-read");

	write_jwks(p_jwks_ref, jwk_of(k_rsa, "k1", NULL),
	    jwk_of(k_rsa2, "k2", NULL), NULL, NULL);
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 1,
	    "refresh: rewritten (renamed) file is re-read");
	T_EQ_INT(V(ks, tb), AUTH_OK, "k2 token verifies after refresh");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "refresh: nothing new");

	/* Rewritten in place with garbage: the old keys stay. */
	fp = fopen(p_jwks_ref, "w");
	fputs("{\"keys\": [ truncated", fp);
	fclose(fp);
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), -1,
	    "refresh: broken file reported");
	T_EQ_INT(V(ks, tb), AUTH_OK, "old keys kept while the file is broken");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "refresh: broken file reported once");

	write_jwks(p_jwks_ref, jwk_of(k_rsa2, "k2", NULL), NULL, NULL, NULL);
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 1,
	    "refresh: repaired file is re-read");
	T_EQ_INT(V(ks, ta), AUTH_INVALID, "k1 rotated out");
	T_EQ_INT(V(ks, tb), AUTH_OK, "k2 still in");

	unlink(p_jwks_ref);
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), -1,
	    "refresh: vanished file reported");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "refresh: vanished file reported once");
	T_EQ_INT(V(ks, tb), AUTH_OK, "keys kept while the file is missing");
	write_jwks(p_jwks_ref, jwk_of(k_rsa, "k1", NULL), NULL, NULL, NULL);
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 1,
	    "refresh: file back");
	T_EQ_INT(V(ks, ta), AUTH_OK, "k1 back");
	jwt_keyset_free(ks);
	free(ta);
	free(tb);
}

/* --- lazy keysets (issue 9: a CGI request with an API key reads no key) -- */

static int	 lazy_reports;
static char	 lazy_last[BOUNDS_ERRMSG_LEN];

static void
lazy_report(const char *msg)
{
	lazy_reports++;
	snprintf(lazy_last, sizeof(lazy_last), "%s", msg);
}

static void
test_lazy(void)
{
	static const char junk[] = "-----BEGIN PUBLIC KEY-----\n"
	    "bm90IGEga2V5\n-----END PUBLIC KEY-----\n";
	struct jwt_keyset	*ks;
	struct jwtmint_req	 r;
	char			 err[256], p_missing[PATHLEN], p_junk[PATHLEN];
	unsigned char		*pem;
	size_t			 pemlen;

	mkpath(p_missing, "lazy-ec.pub.pem");
	mkpath(p_junk, "lazy-junk.pem");
	unlink(p_missing);
	if (write_file(p_junk, junk, sizeof(junk) - 1) == -1) {
		T_OK(0, "lazy: fixture");
		return;
	}
	ks = jwt_keyset_new(AL(RS256) | AL(ES256) | AL(EDDSA) | AL(HS256));
	T_OK(ks != NULL, "lazy: keyset");
	if (ks == NULL)
		return;
	jwt_keyset_set_lazy(ks, lazy_report);
	lazy_reports = 0;
	T_EQ_INT(jwt_keyset_add_pem(ks, p_rsa_pub, JWT_SIG_RS256, "r1", err,
	    sizeof(err)), 0, "lazy: RS256 PEM recorded");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_missing, JWT_SIG_ES256, "e1", err,
	    sizeof(err)), 0, "lazy: a missing file is not read when added");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_junk, JWT_SIG_EDDSA, "d1", err,
	    sizeof(err)), 0, "lazy: nor is a broken one");
	T_EQ_INT(jwt_keyset_add_secret(ks, p_sec, "h1", err, sizeof(err)), 0,
	    "lazy: HS256 secret recorded");
	T_EQ_INT(jwt_keyset_add_pem(ks, p_rsa_pub, JWT_SIG_PS256, "p1", err,
	    sizeof(err)), -1, "lazy: the allow-list is still checked at once");
	T_EQ_INT(jwt_keyset_count(ks), 0, "lazy: no file read yet");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "lazy: refresh leaves unread files alone");
	T_EQ_INT(jwt_keyset_count(ks), 0, "lazy: still none read");
	T_EQ_INT(V(ks, "abc.def.ghi"), AUTH_INVALID,
	    "lazy: a malformed token is refused");
	T_EQ_INT(jwt_keyset_count(ks), 0, "lazy: ... without reading a key");

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "lazy: RS256 token verifies");
	T_EQ_INT(jwt_keyset_count(ks), 1, "lazy: only the RS256 file read");
	r = req(JWT_SIG_RS256, p_rsa, "zz");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "lazy: unknown kid is the token's fault");
	T_EQ_INT(lazy_reports, 0, "lazy: nothing reported so far");

	r = req(JWT_SIG_ES256, p_ec, "e1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_ERROR,
	    "lazy: ES256 key file missing -> AUTH_ERROR, not invalid");
	T_EQ_STR(last_reason, "verification key file unavailable",
	    "lazy: reason names the key file, not the token");
	T_EQ_INT(lazy_reports, 1, "lazy: the missing file is reported");
	T_OK(strstr(lazy_last, p_missing) != NULL, "lazy: report names it: %s",
	    lazy_last);
	T_EQ_INT(VF(ks, mint(&r)), AUTH_ERROR, "lazy: still AUTH_ERROR");
	T_EQ_INT(lazy_reports, 1, "lazy: reported once, not per token");
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 0,
	    "lazy: refresh: still missing, nothing new to say");
	if ((pem = read_file(p_ec_pub, &pemlen)) != NULL) {
		T_EQ_INT(write_file(p_missing, pem, pemlen), 0,
		    "lazy: key file installed");
		free(pem);
	}
	T_EQ_INT(jwt_keyset_refresh(ks, err, sizeof(err)), 1,
	    "lazy: refresh reads the file once it exists");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "lazy: ES256 token verifies now");

	r = req(JWT_SIG_EDDSA, p_ed, "d1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_ERROR,
	    "lazy: broken EdDSA key file -> AUTH_ERROR");
	T_EQ_INT(lazy_reports, 2, "lazy: the broken file is reported");
	T_OK(strstr(lazy_last, "no PEM public key") != NULL &&
	    strstr(lazy_last, "bm90") == NULL,
	    "lazy: report says what is wrong, never the content: %s",
	    lazy_last);

	r = req(JWT_SIG_HS256, p_sec, "h1");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_OK, "lazy: HS256 token verifies");
	T_EQ_INT(jwt_keyset_count(ks), 3, "lazy: RS256, ES256, HS256 read");
	jwt_keyset_free(ks);

	/* Without a report callback a failure is still AUTH_ERROR. */
	ks = jwt_keyset_new(AL(EDDSA));
	jwt_keyset_set_lazy(ks, NULL);
	T_EQ_INT(jwt_keyset_add_pem(ks, p_junk, JWT_SIG_EDDSA, NULL, err,
	    sizeof(err)), 0, "lazy, no callback: recorded");
	T_EQ_INT(VF(ks, mint(&r)), AUTH_INVALID,
	    "lazy, no callback: HS256 not allowed: invalid, no key read");
	r = req(JWT_SIG_EDDSA, p_ed, NULL);
	T_EQ_INT(VF(ks, mint(&r)), AUTH_ERROR,
	    "lazy, no callback: broken key file -> AUTH_ERROR");
	jwt_keyset_free(ks);
	unlink(p_missing);
	unlink(p_junk);
}

static void
bench(struct jwt_keyset *ks, const char *name, char *tok)
{
	struct jwt_claims	 c;
	struct timespec		 t0, t1;
	size_t			 len = strlen(tok);
	int			 i, ok = 0;
	double			 us;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < BENCH_N; i++) {
		if (jwt_verify(ks, tok, len, NOW, LEEWAY, ISS, AUD, &c, NULL,
		    0) == AUTH_OK)
			ok++;
		jwt_claims_clear(&c);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / BENCH_N;
	printf("# %s verify (cached key): %.1f us per token, %d/%d valid\n",
	    name, us, ok, BENCH_N);
	T_EQ_INT(ok, BENCH_N, "%s bench tokens all valid", name);
	free(tok);
}

int
main(void)
{
	struct jwt_keyset	*ks, *ksh;
	struct jwtmint_req	 r;
	char			 err[256], cmd[PATHLEN + 16];
	enum jwt_sigalg		 a;

	if (setup() == -1) {
		printf("not ok 1 - setup (key generation)\n");
		return 1;
	}
	T_EQ_INT(jwt_sigalg_from_name("EdDSA", &a), 0, "alg name EdDSA");
	T_EQ_INT(a, JWT_SIG_EDDSA, "alg EdDSA");
	T_EQ_INT(jwt_sigalg_from_name("none", &a), -1, "alg none unknown");
	T_EQ_STR(jwt_sigalg_name(JWT_SIG_PS256), "PS256", "alg name PS256");
	T_OK(jwt_sigalg_name(JWT_SIG__MAX) == NULL, "alg name out of range");

	ks = keyset_pem();
	T_OK(ks != NULL && jwt_keyset_count(ks) == 4, "PEM keyset, 4 keys");
	ksh = jwt_keyset_new(AL(RS256) | AL(HS256));
	T_EQ_INT(jwt_keyset_add_secret(ksh, p_sec, "h1", err, sizeof(err)), 0,
	    "HS256 secret file");
	T_EQ_INT(jwt_keyset_add_pem(ksh, p_rsa_pub, JWT_SIG_RS256, "r1", err,
	    sizeof(err)), 0, "RS256 PEM beside it");
	if (ks == NULL)
		return t_done();
	test_valid(ks);
	test_alg(ks, ksh);
	test_claims(ks);
	test_garbage(ks);
	test_bounds(ks);
	test_keymaterial();
	test_jwks();
	test_refresh();
	test_lazy();

	r = req(JWT_SIG_RS256, p_rsa, "r1");
	bench(ks, "RS256", mint(&r));
	r = req(JWT_SIG_PS256, p_rsa, "p1");
	bench(ks, "PS256", mint(&r));
	r = req(JWT_SIG_ES256, p_ec, "e1");
	bench(ks, "ES256", mint(&r));
	r = req(JWT_SIG_EDDSA, p_ed, "d1");
	bench(ks, "EdDSA", mint(&r));
	r = req(JWT_SIG_HS256, p_sec, "h1");
	bench(ksh, "HS256", mint(&r));

	jwt_keyset_free(ks);
	jwt_keyset_free(ksh);
	EVP_PKEY_free(k_rsa);
	EVP_PKEY_free(k_rsa2);
	EVP_PKEY_free(k_ec);
	EVP_PKEY_free(k_ed);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
