/*
 * test_coldstart.c -- what a plain CGI process no longer does at start
 * (issue 9) still gives the same answers: JWT key files read only when a
 * token needs them (CONFIG_LAZY_KEYS) while `mcpgate check` still reports
 * a broken one up front, request ids from getrandom(2), SHA-256 without
 * initialising OpenSSL's providers, and the config read in one piece.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "b64.h"
#include "bounds.h"
#include "config.h"
#include "digest.h"
#include "http.h"
#include "t.h"

#define ISS	"https://issuer.example"
#define AUD	"https://mcp.example/mcp"

static char	 dir[] = "/tmp/mcpgate-test-coldstart.XXXXXX";
static char	 cfgpath[512], pubpath[512];

static int
write_text(const char *path, const char *s)
{
	FILE	*f;
	int	 ok;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	ok = fputs(s, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* header.payload.signature with a made-up signature: never verifies. */
static char *
token(const char *alg, const char *kid)
{
	char	 hdr[128], h64[256], p64[256], *tok;
	static const char payload[] = "{\"iss\":\"" ISS "\",\"sub\":\"x\","
	    "\"aud\":\"" AUD "\",\"exp\":4000000000}";

	snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"kid\":\"%s\"}", alg,
	    kid);
	if (b64_url_encode(hdr, strlen(hdr), h64, sizeof(h64)) < 0 ||
	    b64_url_encode(payload, sizeof(payload) - 1, p64,
	    sizeof(p64)) < 0 ||
	    asprintf(&tok, "Bearer %s.%s.AAAA", h64, p64) < 0)
		return NULL;
	return tok;
}

static enum authres
check_jwt(struct auth *a, const char *alg, const char *kid)
{
	struct auth_principal	 p;
	char			*tok, *env[3];
	struct http_req		 req;
	enum authres		 r;

	if ((tok = token(alg, kid)) == NULL)
		return AUTH__MAX;
	if (asprintf(&env[0], "HTTP_AUTHORIZATION=%s", tok) < 0) {
		free(tok);
		return AUTH__MAX;
	}
	env[1] = "REMOTE_ADDR=127.0.0.1";
	env[2] = NULL;
	memset(&req, 0, sizeof(req));
	req.env = env;
	r = auth_check(a, NULL, &req, time(NULL), &p);
	free(env[0]);
	free(tok);
	return r;
}

static void
test_lazy_auth(void)
{
	struct config	*cfg;
	struct auth	*a;
	EVP_PKEY	*k;
	FILE		*f;
	char		 err[BOUNDS_ERRMSG_LEN];

	/* An RS256 key that exists, an ES256 one that does not. */
	snprintf(pubpath, sizeof(pubpath), "%s/rs.pub.pem", dir);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (k == NULL || (f = fopen(pubpath, "w")) == NULL) {
		T_OK(0, "lazy auth: key fixture");
		EVP_PKEY_free(k);
		return;
	}
	PEM_write_PUBKEY(f, k);
	fclose(f);
	EVP_PKEY_free(k);
	if (write_text(cfgpath, "{\"server\":{\"name\":\"c\"},\"auth\":{"
	    "\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
	    "\"algorithms\":[\"RS256\",\"ES256\"],\"keys\":["
	    "{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\",\"kid\":\"r\"},"
	    "{\"pem\":\"missing.pem\",\"alg\":\"ES256\",\"kid\":\"e\"}]}},"
	    "\"tools\":[]}") == -1) {
		T_OK(0, "lazy auth: config fixture");
		return;
	}

	/* `mcpgate check` and tests: every key file read now. */
	cfg = config_load(cfgpath, 0, err, sizeof(err));
	T_OK(cfg != NULL, "eager: config loads (%s)", cfg ? "ok" : err);
	if (cfg == NULL)
		return;
	T_EQ_INT(cfg->flags, 0, "eager: flags recorded");
	a = auth_new(cfg, err, sizeof(err));
	T_OK(a == NULL && strstr(err, "/auth/jwt/keys/1: ") != NULL &&
	    strstr(err, "missing.pem") != NULL,
	    "eager: missing key file refused up front (%s)",
	    a ? "accepted" : err);
	auth_free(a);
	config_free(cfg);

	/* The server: nothing read until a token needs it. */
	cfg = config_load(cfgpath, CONFIG_LAZY_KEYS, err, sizeof(err));
	T_OK(cfg != NULL && cfg->flags == CONFIG_LAZY_KEYS,
	    "lazy: config loads with CONFIG_LAZY_KEYS");
	if (cfg == NULL)
		return;
	a = auth_new(cfg, err, sizeof(err));
	T_OK(a != NULL, "lazy: auth_new does not read the key files (%s)",
	    a ? "ok" : err);
	if (a != NULL) {
		T_EQ_INT(check_jwt(a, "RS256", "r"), AUTH_INVALID,
		    "lazy: RS256 token with a bad signature: invalid");
		T_EQ_INT(check_jwt(a, "ES256", "e"), AUTH_ERROR,
		    "lazy: ES256 token, key file missing: AUTH_ERROR (503)");
		T_EQ_INT(check_jwt(a, "ES256", "e"), AUTH_ERROR,
		    "lazy: ... every time, until the file is there");
		T_EQ_INT(check_jwt(a, "RS256", "r"), AUTH_INVALID,
		    "lazy: RS256 unaffected");
	}
	auth_free(a);
	config_free(cfg);
	unlink(pubpath);
}

/* FIPS 180-2 test vectors, and EVP for odd lengths. */
static void
test_sha256(void)
{
	static const struct {
		const char	*in, *hex;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca49599"
		    "1b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410"
		    "ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
		    "19db06c1" },
	};
	unsigned char	 buf[300], md[DIGEST_SHA256_LEN], ref[32];
	unsigned int	 reflen;
	char		 hex[DIGEST_HEX_LEN + 1];
	size_t		 i, n;
	int		 same = 1;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		digest_sha256_hex(v[i].in, strlen(v[i].in), hex);
		T_EQ_STR(hex, v[i].hex, "sha256 vector %zu", i);
	}
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (n = 0; n <= sizeof(buf); n++) {
		reflen = sizeof(ref);
		if (digest_sha256(buf, n, md) != 0 ||
		    EVP_Digest(buf, n, ref, &reflen, EVP_sha256(), NULL) != 1 ||
		    memcmp(md, ref, sizeof(ref)) != 0)
			same = 0;
	}
	T_OK(same, "digest_sha256 equals EVP SHA-256 for 0..%zu bytes",
	    sizeof(buf));
}

static void
test_random(void)
{
	char	 a[2 * 64 + 1], b[2 * 64 + 1];
	size_t	 i;
	int	 hex = 1;

	T_EQ_INT(digest_random_hex(a, 16), 0, "random: 16 bytes");
	T_EQ_INT(strlen(a), 32, "random: 32 hex digits");
	for (i = 0; a[i] != '\0'; i++)
		if (!((a[i] >= '0' && a[i] <= '9') ||
		    (a[i] >= 'a' && a[i] <= 'f')))
			hex = 0;
	T_OK(hex, "random: lower-case hex");
	T_EQ_INT(digest_random_hex(b, 16), 0, "random: again");
	T_OK(strcmp(a, b) != 0, "random: two ids differ");
	T_EQ_INT(digest_random_hex(a, 64), 0, "random: 64 bytes (the most)");
	T_EQ_INT(strlen(a), 128, "random: 128 hex digits");
	T_EQ_INT(digest_random_hex(a, 65), -1, "random: 65 bytes refused");
	T_EQ_INT(digest_random_hex(a, 0), 0, "random: 0 bytes");
	T_EQ_STR(a, "", "random: 0 bytes is \"\"");
}

static void
test_config_read(void)
{
	struct config	*cfg;
	char		 err[BOUNDS_ERRMSG_LEN], p[600];
	FILE		*f;
	long		 i;

	snprintf(p, sizeof(p), "%s/nope.json", dir);
	cfg = config_load(p, 0, err, sizeof(err));
	T_OK(cfg == NULL && strstr(err, "nope.json: No such file") != NULL,
	    "config: a missing file is named (%s)", cfg ? "loaded" : err);
	config_free(cfg);
	cfg = config_load(dir, 0, err, sizeof(err));
	T_OK(cfg == NULL && strncmp(err, dir, strlen(dir)) == 0,
	    "config: a directory is refused (%s)", cfg ? "loaded" : err);
	config_free(cfg);

	snprintf(p, sizeof(p), "%s/big.json", dir);
	if ((f = fopen(p, "w")) != NULL) {
		fputs("{\"tools\":[]", f);
		for (i = 0; i < BOUNDS_CONFIG_BYTES; i += 16)
			fputs("                ", f);
		fputs("}", f);
		fclose(f);
	}
	cfg = config_load(p, 0, err, sizeof(err));
	T_OK(cfg == NULL && strstr(err, "larger than") != NULL,
	    "config: over BOUNDS_CONFIG_BYTES refused (%s)",
	    cfg ? "loaded" : err);
	config_free(cfg);
	unlink(p);

	snprintf(p, sizeof(p), "%s/syntax.json", dir);
	write_text(p, "{\"tools\":[],\n  \"server\": }\n");
	cfg = config_load(p, 0, err, sizeof(err));
	T_OK(cfg == NULL && strstr(err, "syntax.json:2:") != NULL,
	    "config: a syntax error names file and line (%s)",
	    cfg ? "loaded" : err);
	config_free(cfg);
	unlink(p);
}

int
main(void)
{
	char	 cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/mcpgate.json", dir);
	test_lazy_auth();
	test_sha256();
	test_random();
	test_config_read();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return t_done();
}
