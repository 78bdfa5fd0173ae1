/*
 * fuzz_jwt.c -- libFuzzer target for lib/jwt.c.  The first input byte
 * picks what the rest is:
 *   0: a raw token for jwt_verify (framing, base64url, header, key choice);
 *   1: a claims set, signed with the fixed HS256 key, so the claim checks
 *      behind the signature are reached;
 *   2: a JOSE header, signed likewise (alg/typ/kid/crit handling);
 *   3: a JWKS file for jwt_keyset_add_jwks (JWK -> EVP_PKEY).
 * Keys are generated on the first input (tests/fuzz/replay.c does not
 * call LLVMFuzzerInitialize) into a temporary directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "jwt.h"
#include "jwtmint.h"

#define FUZZ_NOW	((time_t)1800000000)
#define FUZZ_ISS	"https://issuer.example"
#define FUZZ_AUD	"https://mcp.example/mcp"
#define FUZZ_PATHLEN	256

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct jwt_keyset *fuzz_ks;
static char	 fuzz_dir[] = "/tmp/mcpgate-fuzz-jwt.XXXXXX";
static char	 fuzz_sec[FUZZ_PATHLEN], fuzz_pub[FUZZ_PATHLEN];
static char	 fuzz_ec[FUZZ_PATHLEN], fuzz_jwks[FUZZ_PATHLEN];
static const unsigned char fuzz_secret[] =
    "0123456789abcdef0123456789abcdef-fuzz";

static void
fuzz_cleanup(void)
{
	jwt_keyset_free(fuzz_ks);
	unlink(fuzz_sec);
	unlink(fuzz_pub);
	unlink(fuzz_ec);
	unlink(fuzz_jwks);
	rmdir(fuzz_dir);
}

static int
fuzz_write(const char *path, const void *buf, size_t len)
{
	FILE	*fp;
	int	 ok;

	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	ok = fwrite(buf, 1, len, fp) == len;
	return fclose(fp) == 0 && ok ? 0 : -1;
}

static int
fuzz_pem(EVP_PKEY *pk, const char *path)
{
	FILE	*fp;
	int	 ok;

	if (pk == NULL || (fp = fopen(path, "w")) == NULL)
		return -1;
	ok = PEM_write_PUBKEY(fp, pk) == 1;
	fclose(fp);
	EVP_PKEY_free(pk);
	return ok ? 0 : -1;
}

static void
fuzz_init(void)
{
	char	 err[256];

	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(fuzz_sec, sizeof(fuzz_sec), "%s/hs256", fuzz_dir);
	snprintf(fuzz_pub, sizeof(fuzz_pub), "%s/rsa.pub", fuzz_dir);
	snprintf(fuzz_ec, sizeof(fuzz_ec), "%s/ec.pub", fuzz_dir);
	snprintf(fuzz_jwks, sizeof(fuzz_jwks), "%s/jwks.json", fuzz_dir);
	if (fuzz_write(fuzz_sec, fuzz_secret, sizeof(fuzz_secret) - 1) == -1 ||
	    fuzz_pem(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
	    fuzz_pub) == -1 ||
	    fuzz_pem(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
	    fuzz_ec) == -1)
		abort();
	fuzz_ks = jwt_keyset_new(JWT_ALLOW(JWT_SIG_RS256) |
	    JWT_ALLOW(JWT_SIG_ES256) | JWT_ALLOW(JWT_SIG_HS256));
	if (fuzz_ks == NULL ||
	    jwt_keyset_add_secret(fuzz_ks, fuzz_sec, "h", err,
	    sizeof(err)) == -1 ||
	    jwt_keyset_add_pem(fuzz_ks, fuzz_pub, JWT_SIG_RS256, "r", err,
	    sizeof(err)) == -1 ||
	    jwt_keyset_add_pem(fuzz_ks, fuzz_ec, JWT_SIG_ES256, "e", err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_jwt: %s\n", err);
		abort();
	}
	atexit(fuzz_cleanup);
}

static void
fuzz_verify(const char *tok, size_t len)
{
	struct jwt_claims	 c;
	char			 reason[JWT_REASON_LEN];
	enum authres		 r;

	r = jwt_verify(fuzz_ks, tok, len, FUZZ_NOW, 60, FUZZ_ISS, FUZZ_AUD,
	    &c, reason, sizeof(reason));
	if (r == AUTH_OK && (c.iss == NULL || c.sub == NULL ||
	    c.scope == NULL || strcmp(c.iss, FUZZ_ISS) != 0))
		abort();	/* OK must come with the claims filled */
	jwt_claims_clear(&c);
}

static void
fuzz_signed(const void *hdr, size_t hlen, const void *pay, size_t plen)
{
	char	 err[128];
	char	*tok;

	tok = jwtmint_compact(JWT_SIG_HS256, fuzz_secret,
	    sizeof(fuzz_secret) - 1, hdr, hlen, pay, plen, err, sizeof(err));
	if (tok == NULL)
		return;
	fuzz_verify(tok, strlen(tok));
	free(tok);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char hdr[] = "{\"alg\":\"HS256\",\"typ\":\"at+jwt\","
	    "\"kid\":\"h\"}";
	static const char pay[] = "{\"iss\":\"" FUZZ_ISS "\",\"sub\":\"s\","
	    "\"aud\":\"" FUZZ_AUD "\",\"exp\":1800003600,\"scope\":\"a b\"}";
	struct jwt_keyset	*ks;
	char			 err[256];

	if (fuzz_ks == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_verify((const char *)data + 1, size - 1);
		break;
	case 1:
		fuzz_signed(hdr, sizeof(hdr) - 1, data + 1, size - 1);
		break;
	case 2:
		fuzz_signed(data + 1, size - 1, pay, sizeof(pay) - 1);
		break;
	default:
		if (fuzz_write(fuzz_jwks, data + 1, size - 1) == -1)
			break;
		ks = jwt_keyset_new(JWT_ALLOW(JWT_SIG__MAX) - 1);
		if (ks != NULL && jwt_keyset_add_jwks(ks, fuzz_jwks, err,
		    sizeof(err)) == 0 && jwt_keyset_count(ks) == 0)
			abort();	/* loaded means at least one key */
		jwt_keyset_free(ks);
		break;
	}
	return 0;
}
