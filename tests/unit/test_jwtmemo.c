/*
 * test_jwtmemo.c -- verified JWTs remembered per process (lib/auth.c,
 * AUTH_JWT_MEMO): a remembered token gives the same principal, never
 * outlives its exp, a changed token is verified afresh, and a key file
 * that changes forgets everything it verified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "http.h"
#include "jwtmint.h"
#include "t.h"

#define ISS	"https://issuer.example"
#define AUD	"https://mcp.example/mcp"

static char	 dir[] = "/tmp/mcpgate-test-jwtmemo.XXXXXX";

/* Writes a new RSA key pair: private to priv, public to pub. */
static int
keypair(const char *priv, const char *pub)
{
	EVP_PKEY	*k;
	FILE		*f;
	char		 tmp[600];
	int		 ok = 0;

	if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)) == NULL)
		return -1;
	if ((f = fopen(priv, "w")) != NULL) {
		ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	/* The public key replaces the old one at once (a new inode). */
	snprintf(tmp, sizeof(tmp), "%s.tmp", pub);
	if (ok && (f = fopen(tmp, "w")) != NULL) {
		ok = PEM_write_PUBKEY(f, k);
		fclose(f);
		ok = ok && rename(tmp, pub) == 0;
	} else
		ok = 0;
	EVP_PKEY_free(k);
	return ok ? 0 : -1;
}

static char *
mint(const char *priv, const char *sub, time_t iat, time_t exp)
{
	struct jwtmint_req	 r;
	char			 err[256], *tok;

	memset(&r, 0, sizeof(r));
	r.alg = JWT_SIG_RS256;
	r.key_path = priv;
	r.kid = "r";
	r.iss = ISS;
	r.sub = sub;
	r.aud = AUD;
	r.scope = "things:read";
	r.iat = iat;
	r.exp = exp;
	if ((tok = jwtmint_encode(&r, err, sizeof(err))) == NULL)
		printf("# mint: %s\n", err);
	return tok;
}

static enum authres
check(struct auth *a, const char *tok, time_t now, struct auth_principal *p)
{
	struct http_req	 req;
	char		*env[3];
	enum authres	 r;

	if (tok == NULL || asprintf(&env[0], "HTTP_AUTHORIZATION=Bearer %s",
	    tok) < 0)
		return AUTH__MAX;
	env[1] = "REMOTE_ADDR=127.0.0.1";
	env[2] = NULL;
	memset(&req, 0, sizeof(req));
	req.env = env;
	r = auth_check(a, NULL, &req, now, p);
	free(env[0]);
	return r;
}

int
main(void)
{
	struct auth_principal	 p;
	struct config		*cfg = NULL;
	struct auth		*a = NULL;
	char			 cfgpath[600], priv[600], pub[600];
	char			 err[BOUNDS_ERRMSG_LEN], *tok, *bob, *bad;
	time_t			 now = time(NULL);
	FILE			*f;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/mcpgate.json", dir);
	snprintf(priv, sizeof(priv), "%s/rs.pem", dir);
	snprintf(pub, sizeof(pub), "%s/rs.pub.pem", dir);
	if (keypair(priv, pub) == -1 || (f = fopen(cfgpath, "w")) == NULL) {
		T_OK(0, "fixtures");
		return t_done();
	}
	fputs("{\"server\":{\"name\":\"m\"},\"auth\":{\"jwt\":{\"issuer\":\""
	    ISS "\",\"audience\":\"" AUD "\",\"algorithms\":[\"RS256\"],"
	    "\"leeway_seconds\":0,\"keys\":[{\"pem\":\"rs.pub.pem\","
	    "\"alg\":\"RS256\",\"kid\":\"r\"}]}},\"tools\":[]}", f);
	fclose(f);
	cfg = config_load(cfgpath, CONFIG_LAZY_KEYS, err, sizeof(err));
	if (cfg != NULL)
		a = auth_new(cfg, err, sizeof(err));
	T_OK(a != NULL, "a JWT gate (%s)", a != NULL ? "ok" : err);
	if (a == NULL)
		goto out;

	tok = mint(priv, "alice", now - 10, now + 100);
	bob = mint(priv, "bob", now - 10, now + 100);
	T_EQ_INT(check(a, tok, now, &p), AUTH_OK, "a valid token verifies");
	T_EQ_STR(p.id, ISS "#alice", "its principal is iss#sub");
	memset(&p, 0, sizeof(p));
	T_EQ_INT(check(a, tok, now + 1, &p), AUTH_OK, "the same token again: "
	    "accepted (remembered)");
	T_EQ_STR(p.id, ISS "#alice", "with the same principal");
	T_EQ_STR(p.scopes, "things:read", "and the same scopes");
	T_EQ_STR(p.subject, "alice", "and subject");
	T_EQ_INT(check(a, bob, now + 1, &p), AUTH_OK, "another token: its own "
	    "verification");
	T_EQ_STR(p.id, ISS "#bob", "and its own principal, not a neighbour's");
	T_EQ_INT(check(a, tok, now + 99, &p), AUTH_OK, "a second before exp: "
	    "still accepted");
	T_EQ_INT(check(a, tok, now + 100, &p), AUTH_EXPIRED, "at exp: expired, "
	    "though it was remembered");
	T_EQ_INT(check(a, tok, now + 2, &p), AUTH_OK, "(the clock going back "
	    "does not forget a valid token)");

	/* One byte changed in the signature: never the remembered answer. */
	bad = tok != NULL ? strdup(tok) : NULL;
	if (bad != NULL) {
		size_t n = strlen(bad);

		bad[n - 2] = bad[n - 2] == 'A' ? 'B' : 'A';
	}
	T_EQ_INT(check(a, bad, now + 2, &p), AUTH_INVALID, "a token one byte "
	    "off is verified afresh: invalid");

	/* The key file changes (rotation): what the old key signed goes. */
	sleep(1);	/* a new mtime, whatever the filesystem's resolution */
	T_OK(keypair(priv, pub) == 0, "the key pair is replaced");
	T_EQ_INT(check(a, tok, now + 3, &p), AUTH_INVALID, "after the key file "
	    "changed, the remembered token is checked again: invalid");
	free(tok);
	tok = mint(priv, "alice", now - 10, now + 100);
	T_EQ_INT(check(a, tok, now + 3, &p), AUTH_OK, "a token of the new key "
	    "verifies");
	free(tok);
	free(bob);
	free(bad);
out:
	auth_free(a);
	config_free(cfg);
	if (t_failed == 0) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return t_done();
}
