/*
 * test_auth.c -- the acceptance tests of the auth gate, driven in-process
 * through endpoint_handle() with CGI environments: API keys (Bearer and
 * X-API-Key, revocation, expiry, forgeries), JWTs (RS256, PS256, ES256,
 * EdDSA from PEM files, keys from a JWKS, HS256 only where configured, and
 * every claim and header check), the 401 and 403 challenges
 * (WWW-Authenticate, RFC 6750 §3 and MCP authorization), scopes in
 * tools/list and tools/call, sessions bound to their principal, the
 * brute-force throttle, the RFC 9728 metadata, and the /auth/... errors
 * that `mcpgate check` prints.  Each case is one TAP line that checks the
 * status code and the challenge together.  tests/e2e/20_auth.sh repeats
 * the essentials through real web servers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <sqlite3.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "apikey.h"
#include "auth.h"
#include "b64.h"
#include "bounds.h"
#include "config.h"
#include "endpoint.h"
#include "http.h"
#include "jwt.h"
#include "jwtmint.h"
#include "store.h"
#include "t.h"

#define PATHLEN		600
#define ISS		"https://as.example.com"
#define AUD		"https://mcp.example.com/mcp"
#define PRM_URL		"https://mcp.example.com/.well-known/" \
			    "oauth-protected-resource/mcp"
#define THROTTLE_N	5	/* throttle.failures in the test config */
#define THROTTLE_BLOCK	30	/* throttle.block_seconds */

static char	 dir[] = "/tmp/mcpgate-test-auth.XXXXXX";
static char	 p_rs[PATHLEN], p_rs_pub[PATHLEN], p_ps[PATHLEN];
static char	 p_ps_pub[PATHLEN], p_ec[PATHLEN], p_ec_pub[PATHLEN];
static char	 p_ed[PATHLEN], p_ed_pub[PATHLEN], p_jr[PATHLEN];
static char	 p_je[PATHLEN], p_jwks[PATHLEN], p_hs[PATHLEN];
static char	 p_hs_other[PATHLEN], p_state[PATHLEN];
static time_t	 now;
static unsigned	 addr_seq;	/* a fresh REMOTE_ADDR per request */

struct call {
	int		 status;
	char		*body;
	char		 hdrs[4096];
};

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

	if ((fp = fopen(priv, "w")) == NULL)
		return -1;
	ok &= PEM_write_PrivateKey(fp, pk, NULL, NULL, 0, NULL, NULL) == 1;
	fclose(fp);
	if ((fp = fopen(pub, "w")) == NULL)
		return -1;
	ok &= PEM_write_PUBKEY(fp, pk) == 1;
	fclose(fp);
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

	if (EVP_PKEY_get_bn_param(pk, name, &bn) != 1)
		return NULL;
	n = pad ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	BN_free(bn);
	return b64_json(buf, (size_t)n);
}

/* The public JWK of an RSA or P-256 key. */
static json_t *
jwk_of(EVP_PKEY *pk, const char *kid, const char *alg)
{
	json_t	*j = json_object();

	if (EVP_PKEY_is_a(pk, "RSA")) {
		json_object_set_new(j, "kty", json_string("RSA"));
		json_object_set_new(j, "n", bn_json(pk, OSSL_PKEY_PARAM_RSA_N,
		    0));
		json_object_set_new(j, "e", bn_json(pk, OSSL_PKEY_PARAM_RSA_E,
		    0));
	} else {
		json_object_set_new(j, "kty", json_string("EC"));
		json_object_set_new(j, "crv", json_string("P-256"));
		json_object_set_new(j, "x", bn_json(pk,
		    OSSL_PKEY_PARAM_EC_PUB_X, 32));
		json_object_set_new(j, "y", bn_json(pk,
		    OSSL_PKEY_PARAM_EC_PUB_Y, 32));
	}
	json_object_set_new(j, "use", json_string("sig"));
	json_object_set_new(j, "kid", json_string(kid));
	if (alg != NULL)
		json_object_set_new(j, "alg", json_string(alg));
	return j;
}

/* Keys: one per PEM algorithm, two more published only in a JWKS. */
static int
setup_keys(void)
{
	EVP_PKEY	*rs, *ps, *ec, *ed, *jr, *je;
	unsigned char	 sec[48];
	json_t		*jwks;
	char		*s;
	int		 rc = -1;

	mkpath(p_rs, "rs.pem");
	mkpath(p_rs_pub, "rs.pub.pem");
	mkpath(p_ps, "ps.pem");
	mkpath(p_ps_pub, "ps.pub.pem");
	mkpath(p_ec, "ec.pem");
	mkpath(p_ec_pub, "ec.pub.pem");
	mkpath(p_ed, "ed.pem");
	mkpath(p_ed_pub, "ed.pub.pem");
	mkpath(p_jr, "jr.pem");
	mkpath(p_je, "je.pem");
	mkpath(p_jwks, "jwks.json");
	mkpath(p_hs, "hs.secret");
	mkpath(p_hs_other, "hs-other.secret");
	mkpath(p_state, "state.db");
	rs = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ps = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	jr = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	je = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (rs == NULL || ps == NULL || jr == NULL || ec == NULL ||
	    je == NULL || ed == NULL)
		goto out;
	if (write_pem(rs, p_rs, p_rs_pub) == -1 ||
	    write_pem(ps, p_ps, p_ps_pub) == -1 ||
	    write_pem(ec, p_ec, p_ec_pub) == -1 ||
	    write_pem(ed, p_ed, p_ed_pub) == -1)
		goto out;
	{
		char pub[PATHLEN + 8];

		snprintf(pub, sizeof(pub), "%s.pub", p_jr);
		if (write_pem(jr, p_jr, pub) == -1)
			goto out;
		snprintf(pub, sizeof(pub), "%s.pub", p_je);
		if (write_pem(je, p_je, pub) == -1)
			goto out;
	}
	jwks = json_pack("{s:[o,o]}", "keys", jwk_of(jr, "jr", "RS256"),
	    jwk_of(je, "je", NULL));
	s = json_dumps(jwks, JSON_INDENT(1));
	json_decref(jwks);
	if (s == NULL || write_file(p_jwks, s, strlen(s)) == -1) {
		free(s);
		goto out;
	}
	free(s);
	if (RAND_bytes(sec, sizeof(sec)) != 1 ||
	    write_file(p_hs, sec, sizeof(sec)) == -1 ||
	    RAND_bytes(sec, sizeof(sec)) != 1 ||
	    write_file(p_hs_other, sec, sizeof(sec)) == -1)
		goto out;
	rc = 0;
out:
	EVP_PKEY_free(rs);
	EVP_PKEY_free(ps);
	EVP_PKEY_free(jr);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(je);
	EVP_PKEY_free(ed);
	return rc;
}

/*
 * The test config: auth required, API keys (also in X-API-Key), JWTs with
 * extra_algs/extra_keys appended (HS256 for variant B), three tools: one
 * open, one per scope.
 */
static struct config *
load_cfg(const char *name, const char *extra_algs, const char *extra_keys,
    const char *extra_auth, int failures)
{
	char		 path[PATHLEN], err[BOUNDS_ERRMSG_LEN], *s;
	struct config	*cfg;

	if (asprintf(&s,
	    "{\"server\":{\"name\":\"auth-unit\",\"resource_url\":\"" AUD "\","
	    "\"state_db\":\"state.db\"},"
	    "\"auth\":{\"mode\":\"required\",\"api_keys\":true,"
	    "\"api_key_header\":\"X-API-Key\","
	    "\"authorization_servers\":[\"" ISS "\"],"
	    "\"throttle\":{\"failures\":%d,\"window_seconds\":60,"
	    "\"block_seconds\":%d}%s,"
	    "\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
	    "\"algorithms\":[\"RS256\",\"PS256\",\"ES256\",\"EdDSA\"%s],"
	    "\"keys\":["
	    "{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\",\"kid\":\"r1\"},"
	    "{\"pem\":\"ps.pub.pem\",\"alg\":\"PS256\",\"kid\":\"p1\"},"
	    "{\"pem\":\"ec.pub.pem\",\"alg\":\"ES256\",\"kid\":\"e1\"},"
	    "{\"pem\":\"ed.pub.pem\",\"alg\":\"EdDSA\",\"kid\":\"d1\"},"
	    "{\"jwks\":\"jwks.json\"}%s]}},"
	    "\"tools\":["
	    "{\"name\":\"hello\",\"kind\":\"static\","
	    "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
	    "{\"name\":\"read_thing\",\"kind\":\"static\",\"scope\":"
	    "\"things:read\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"read ok\"}]},"
	    "{\"name\":\"write_thing\",\"kind\":\"static\",\"scope\":"
	    "\"things:write\",\"content\":[{\"type\":\"text\",\"text\":"
	    "\"write ok\"}]}]}", failures, THROTTLE_BLOCK, extra_auth,
	    extra_algs, extra_keys) < 0)
		return NULL;
	mkpath(path, name);
	if (write_file(path, s, strlen(s)) == -1) {
		free(s);
		return NULL;
	}
	free(s);
	if ((cfg = config_load(path, 0, err, sizeof(err))) == NULL)
		printf("# %s: %s\n", name, err);
	return cfg;
}

static void
call_free(struct call *c)
{
	free(c->body);
	memset(c, 0, sizeof(*c));
}

/*
 * One request.  The varargs are "NAME=value" CGI variables (NULL ends
 * them), added to defaults that make a well-formed MCP POST from a fresh
 * client address (REMOTE_ADDR given in the varargs wins).
 */
static void
send_req(struct endpoint *ep, const char *method, const char *uri,
    const char *body, const char *sid, struct call *out, ...)
{
	char		*env[40], m[64], u[600], s[300], cl[64], ra[64];
	const char	*defaults[] = {
		"GATEWAY_INTERFACE=CGI/1.1", "SERVER_ADDR=127.0.0.1",
		"HTTP_HOST=127.0.0.1:8080", "CONTENT_TYPE=application/json",
		"HTTP_ACCEPT=application/json, text/event-stream",
		"HTTP_MCP_PROTOCOL_VERSION=2025-11-25", ra, NULL
	};
	struct http_req	 req;
	struct http_resp resp;
	va_list		 ap;
	const char	*x;
	size_t		 n = 0, i, k;

	addr_seq++;
	snprintf(ra, sizeof(ra), "REMOTE_ADDR=10.%u.%u.%u",
	    (addr_seq >> 16) & 255, (addr_seq >> 8) & 255, addr_seq & 255);
	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	env[n++] = m;
	env[n++] = u;
	va_start(ap, out);
	while ((x = va_arg(ap, const char *)) != NULL && n < 30)
		env[n++] = (char *)x;
	va_end(ap);
	for (i = 0; defaults[i] != NULL; i++) {
		size_t nl = strcspn(defaults[i], "=");
		int found = 0;

		for (k = 0; k < n; k++)
			if (strncmp(env[k], defaults[i], nl + 1) == 0)
				found = 1;
		if (!found)
			env[n++] = (char *)defaults[i];
	}
	if (sid != NULL) {
		snprintf(s, sizeof(s), "HTTP_MCP_SESSION_ID=%s", sid);
		env[n++] = s;
	}
	if (body != NULL) {
		snprintf(cl, sizeof(cl), "CONTENT_LENGTH=%zu", strlen(body));
		env[n++] = cl;
	}
	env[n] = NULL;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.env = env;
	req.body = body;
	req.bodylen = body ? strlen(body) : 0;
	endpoint_handle(ep, &req, &resp);
	memset(out, 0, sizeof(*out));
	out->status = resp.status;
	if (resp.body != NULL)
		out->body = strndup(resp.body, resp.bodylen);
	for (i = 0; i < resp.nhdr; i++) {
		size_t l = strlen(out->hdrs);

		snprintf(out->hdrs + l, sizeof(out->hdrs) - l, "%s: %s\n",
		    resp.hdr[i].name, resp.hdr[i].value);
	}
	http_resp_reset(&resp);
}

#define INIT_BODY \
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":" \
    "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{}," \
    "\"clientInfo\":{\"name\":\"unit\",\"version\":\"1\"}}}"
#define PING_BODY	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}"
#define LIST_BODY	"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}"

/*
 * POSTs body with the credential header hdr ("HTTP_AUTHORIZATION",
 * "HTTP_X_API_KEY") set to value (NULL: no credential), from addr (NULL:
 * a fresh address), in session sid (may be NULL).
 */
static void
post(struct endpoint *ep, const char *hdr, const char *value,
    const char *body, const char *sid, const char *addr, struct call *c)
{
	char	*h = NULL, *a = NULL;

	if (value != NULL && asprintf(&h, "%s=%s", hdr, value) < 0)
		h = NULL;
	if (addr != NULL && asprintf(&a, "REMOTE_ADDR=%s", addr) < 0)
		a = NULL;
	if (h != NULL && a != NULL)
		send_req(ep, "POST", "/mcp", body, sid, c, h, a, NULL);
	else if (h != NULL)
		send_req(ep, "POST", "/mcp", body, sid, c, h, NULL);
	else if (a != NULL)
		send_req(ep, "POST", "/mcp", body, sid, c, a, NULL);
	else
		send_req(ep, "POST", "/mcp", body, sid, c, NULL);
	if (h != NULL)
		OPENSSL_cleanse(h, strlen(h));
	free(h);
	free(a);
}

/* "Authorization: Bearer tok" with initialize. */
static void
bearer(struct endpoint *ep, const char *tok, struct call *c)
{
	char	*v;

	if (tok == NULL) {
		memset(c, 0, sizeof(*c));
		c->status = -1;
		return;
	}
	if (asprintf(&v, "Bearer %s", tok) < 0) {
		memset(c, 0, sizeof(*c));
		return;
	}
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, c);
	free(v);
}

static const char *
hdr(const struct call *c, const char *name, char *buf, size_t len)
{
	const char	*p = c->hdrs;
	size_t		 nl = strlen(name), n;

	while (*p != '\0') {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 2;
			n = strcspn(p, "\n");
			snprintf(buf, len, "%.*s", (int)n, p);
			return buf;
		}
		p += strcspn(p, "\n");
		if (*p == '\n')
			p++;
	}
	return NULL;
}

static int
has(const struct call *c, const char *needle)
{
	return c->body != NULL && strstr(c->body, needle) != NULL;
}

/* On a failed check: what came back. */
static void
diag(const struct call *c)
{
	char	 w[1024];

	printf("#   status %d, WWW-Authenticate: %s\n", c->status,
	    hdr(c, "WWW-Authenticate", w, sizeof(w)) ? w : "(none)");
	printf("#   body: %.300s\n", c->body ? c->body : "(none)");
}

enum chal { CH_NONE, CH_MISSING, CH_INVALID };

/*
 * Status st and, for 401, the challenge: always Bearer with our
 * resource_metadata; CH_MISSING without error= (RFC 6750 §3.1: no
 * credential, no error code), CH_INVALID with error="invalid_token" and
 * the error_description naming what (NULL: anything).  CH_NONE: no
 * WWW-Authenticate at all.
 */
static int
want(const struct call *c, int st, enum chal ch, const char *what)
{
	char	 w[1024], d[128];
	int	 ok = c->status == st;

	if (ch == CH_NONE)
		ok = ok && hdr(c, "WWW-Authenticate", w, sizeof(w)) == NULL;
	else {
		ok = ok && hdr(c, "WWW-Authenticate", w, sizeof(w)) != NULL &&
		    strncmp(w, "Bearer ", 7) == 0 &&
		    strstr(w, "resource_metadata=\"" PRM_URL "\"") != NULL;
		if (ok && ch == CH_MISSING)
			ok = strstr(w, "error=") == NULL;
		if (ok && ch == CH_INVALID)
			ok = strstr(w, "error=\"invalid_token\"") != NULL;
		if (ok && what != NULL) {
			snprintf(d, sizeof(d),
			    "error_description=\"the credential is %s\"", what);
			ok = strstr(w, d) != NULL;
		}
		/* A 401 body is a JSON-RPC error, never a result. */
		ok = ok && has(c, "\"error\"") && !has(c, "\"result\"");
	}
	if (!ok)
		diag(c);
	return ok;
}

/* 200 with a JSON-RPC result (the request got through the gate). */
static int
passed(const struct call *c)
{
	char	 w[64];
	int	 ok = c->status == 200 && has(c, "\"result\"") &&
	    hdr(c, "WWW-Authenticate", w, sizeof(w)) == NULL;

	if (!ok)
		diag(c);
	return ok;
}

/* --- tokens ------------------------------------------------------------ */

static struct jwtmint_req
treq(enum jwt_sigalg alg, const char *key, const char *kid)
{
	struct jwtmint_req	 r;

	memset(&r, 0, sizeof(r));
	r.alg = alg;
	r.key_path = key;
	r.kid = kid;
	r.iss = ISS;
	r.sub = "alice";
	r.aud = AUD;
	r.scope = "things:read";
	r.iat = now - 10;
	r.exp = now + 3600;
	return r;
}

static char *
mint(const struct jwtmint_req *r)
{
	char	 err[256], *tok;

	if ((tok = jwtmint_encode(r, err, sizeof(err))) == NULL)
		printf("# mint failed: %s\n", err);
	return tok;
}

/* A token with a verbatim header and payload, signed as alg with keyfile. */
static char *
forge(enum jwt_sigalg alg, const char *keyfile, const char *h,
    const char *payload)
{
	unsigned char	*key;
	size_t		 keylen;
	char		 err[256], *tok;

	if ((key = read_file(keyfile, &keylen)) == NULL)
		return NULL;
	tok = jwtmint_compact(alg, key, keylen, h, strlen(h), payload,
	    strlen(payload), err, sizeof(err));
	if (tok == NULL)
		printf("# forge failed: %s\n", err);
	OPENSSL_cleanse(key, keylen);
	free(key);
	return tok;
}

static char *
claims(const char *sub, const char *pad)
{
	char	*s;

	if (asprintf(&s, "{\"iss\":\"" ISS "\",\"sub\":\"%s\",\"aud\":\""
	    AUD "\",\"exp\":%lld,\"iat\":%lld%s}", sub,
	    (long long)now + 3600, (long long)now - 10, pad) < 0)
		return NULL;
	return s;
}

/* A valid RS256 token of exactly want characters, or NULL. */
static char *
mint_len(size_t want_len)
{
	char	 h[64], padc[16384], *pay, *tok;
	size_t	 pad, sp;

	for (sp = 0; sp < 4; sp++) {
		snprintf(h, sizeof(h), "{\"alg\":\"RS256\",%*s\"kid\":\"r1\"}",
		    (int)sp, "");
		for (pad = want_len / 4 * 3 - 900; pad < want_len / 4 * 3;
		    pad++) {
			snprintf(padc, sizeof(padc), ",\"pad\":\"%*s\"",
			    (int)pad, "");
			if ((pay = claims("alice", padc)) == NULL)
				return NULL;
			if (b64_url_enclen(strlen(h)) +
			    b64_url_enclen(strlen(pay)) + 2 + 342 != want_len) {
				free(pay);
				continue;
			}
			tok = forge(JWT_SIG_RS256, p_rs, h, pay);
			free(pay);
			return tok;
		}
	}
	return NULL;
}

/* A key's public id and secret changed, with a correct checksum. */
static void
wrong_secret(const char *key, char *out)
{
	static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz";
	size_t		 i, sec = APIKEY_PREFIX_LEN + APIKEY_ID_LEN + 1;
	unsigned	 v;

	memcpy(out, key, APIKEY_LEN + 1);
	for (i = sec; i < sec + 4; i++)
		out[i] = out[i] == 'a' ? 'b' : 'a';
	v = apikey_checksum(out, APIKEY_LEN - APIKEY_CRC_LEN);
	for (i = APIKEY_LEN - 1; i >= APIKEY_LEN - APIKEY_CRC_LEN; i--) {
		out[i] = b62[v % 62];
		v /= 62;
	}
}

/* initialize with credential (hdr=value); OUT: sid.  Returns 0 or -1. */
static int
session(struct endpoint *ep, const char *h, const char *value, char *sid,
    size_t len)
{
	struct call	 c;
	char		 buf[256];
	int		 rc = -1;

	post(ep, h, value, INIT_BODY, NULL, NULL, &c);
	if (c.status == 200 && hdr(&c, "Mcp-Session-Id", buf,
	    sizeof(buf)) != NULL) {
		snprintf(sid, len, "%s", buf);
		rc = 0;
	} else
		diag(&c);
	call_free(&c);
	return rc;
}

static char *
call_body(const char *tool)
{
	char	*s;

	if (asprintf(&s, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":"
	    "\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":{}}}",
	    tool) < 0)
		return NULL;
	return s;
}

/* --- API keys ---------------------------------------------------------- */

static char	 key_alice[APIKEY_LEN + 1], key_alice2[APIKEY_LEN + 1];
static char	 key_bob[APIKEY_LEN + 1], key_writer[APIKEY_LEN + 1];

static void
test_apikeys(struct endpoint *ep, sqlite3 *db)
{
	struct call	 c;
	char		 key[APIKEY_LEN + 1], bad[APIKEY_LEN + 1], v[128];
	char		 id[APIKEY_ID_LEN + 1];

	post(ep, "HTTP_AUTHORIZATION", NULL, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_MISSING, NULL), "no credential -> 401, "
	    "WWW-Authenticate: Bearer resource_metadata=\"" PRM_URL "\" "
	    "without error=");
	call_free(&c);

	snprintf(v, sizeof(v), "Bearer %s", key_alice);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(passed(&c), "valid API key in Authorization: Bearer -> 200");
	call_free(&c);
	post(ep, "HTTP_X_API_KEY", key_alice, INIT_BODY, NULL, NULL, &c);
	T_OK(passed(&c), "valid API key in X-API-Key -> 200");
	call_free(&c);
	snprintf(v, sizeof(v), "bearer %s", key_alice);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(passed(&c), "lower-case scheme \"bearer\" -> 200 (RFC 6750 "
	    "§2.1, case-insensitive)");
	call_free(&c);
	snprintf(v, sizeof(v), "BEARER   %s", key_alice);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(passed(&c), "\"BEARER\" and extra spaces -> 200");
	call_free(&c);

	/* Revocation: the very next request fails, through another handle. */
	if (apikey_store_create(db, "carol", "things:read", now, 0, key) ==
	    -1)
		memset(key, 0, sizeof(key));
	snprintf(v, sizeof(v), "Bearer %s", key);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(passed(&c), "a fresh key works before it is revoked");
	call_free(&c);
	memcpy(id, key + APIKEY_PREFIX_LEN, APIKEY_ID_LEN);
	id[APIKEY_ID_LEN] = '\0';
	T_EQ_INT(apikey_store_revoke(db, id, now), 1,
	    "revoked through a second database connection");
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "revoked") &&
	    has(&c, "has been revoked"), "revoked key: the very next request "
	    "-> 401 error=\"invalid_token\" (revoked)");
	call_free(&c);
	post(ep, "HTTP_X_API_KEY", key, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "revoked"),
	    "revoked key in X-API-Key -> 401");
	call_free(&c);

	if (apikey_store_create(db, "dave", NULL, now - 7200, now - 10, key) ==
	    -1)
		memset(key, 0, sizeof(key));
	snprintf(v, sizeof(v), "Bearer %s", key);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "expired") && has(&c, "expired"),
	    "expired key -> 401 error=\"invalid_token\" (expired)");
	call_free(&c);

	wrong_secret(key_alice, bad);
	snprintf(v, sizeof(v), "Bearer %s", bad);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "valid id, wrong secret "
	    "(good checksum) -> 401 error=\"invalid_token\"");
	call_free(&c);
	memcpy(bad, key_alice, sizeof(bad));
	bad[APIKEY_LEN - 1] = bad[APIKEY_LEN - 1] == 'x' ? 'y' : 'x';
	snprintf(v, sizeof(v), "Bearer %s", bad);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "valid key with a bad checksum -> 401");
	call_free(&c);
	snprintf(v, sizeof(v), "Bearer %.*s", APIKEY_LEN - 1, key_alice);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "truncated key -> 401");
	call_free(&c);
	snprintf(v, sizeof(v), "Bearer %sA", key_alice);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "key with a byte "
	    "appended -> 401");
	call_free(&c);
	snprintf(v, sizeof(v), "Bearer %s", key_alice);
	post(ep, "HTTP_X_API_KEY", v, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "X-API-Key: \"Bearer "
	    "<key>\" (scheme in the key header) -> 401");
	call_free(&c);
}

static void
test_garbage(struct endpoint *ep)
{
	static const char *const bad[] = {
		"Bearer", "Bearer ", "Bearer     ", "Bearer !!!",
		"Bearer a.b.c", "Bearer ...", "Bearer mcpk_", "Bearer mcpk_x",
		"Bearer eyJhbGciOiJSUzI1NiJ9", "Bearer \x01\x02\x7f\xff",
		"Bearer eyJhbGciOiJIUzI1NiJ9.e30.",
		"Bearer two tokens", "Bearerxyz", NULL
	};
	static const char *const other[] = {
		"Basic YWxpY2U6czNjcmV0", "Digest username=\"a\"",
		"Token abc", NULL
	};
	struct call	 c;
	size_t		 i;
	int		 ok;

	for (i = 0, ok = 1; bad[i] != NULL; i++) {
		post(ep, "HTTP_AUTHORIZATION", bad[i], INIT_BODY, NULL, NULL,
		    &c);
		if (!want(&c, 401, CH_INVALID, "invalid")) {
			printf("#   for Authorization: %s\n", bad[i]);
			ok = 0;
		}
		call_free(&c);
	}
	T_OK(ok, "malformed Bearer credentials (%zu kinds: empty, garbage, "
	    "control bytes, truncated JWTs) -> 401 error=\"invalid_token\"",
	    i);
	/* RFC 6750 §3.1: another scheme is no Bearer credential at all. */
	for (i = 0, ok = 1; other[i] != NULL; i++) {
		post(ep, "HTTP_AUTHORIZATION", other[i], INIT_BODY, NULL, NULL,
		    &c);
		if (!want(&c, 401, CH_MISSING, NULL)) {
			printf("#   for Authorization: %s\n", other[i]);
			ok = 0;
		}
		call_free(&c);
	}
	T_OK(ok, "Basic/Digest/other schemes -> 401 with the bare challenge "
	    "(no error=: not a Bearer credential)");
	post(ep, "HTTP_X_API_KEY", "s3cret-password", INIT_BODY, NULL, NULL,
	    &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "X-API-Key with a non-key value -> 401 error=\"invalid_token\"");
	call_free(&c);
}

/* Basic for the web server, the key in X-API-Key: the key header counts. */
static void
test_basic_plus_key(struct endpoint *ep)
{
	struct call	 c;

	send_req(ep, "POST", "/mcp", INIT_BODY, NULL, &c,
	    "HTTP_AUTHORIZATION=Basic YWxpY2U6czNjcmV0",
	    "HTTP_X_API_KEY=", NULL);
	T_OK(want(&c, 401, CH_MISSING, NULL), "Basic and an empty X-API-Key "
	    "-> 401 without error=");
	call_free(&c);
	{
		char *k;

		if (asprintf(&k, "HTTP_X_API_KEY=%s", key_alice) < 0)
			k = NULL;
		send_req(ep, "POST", "/mcp", INIT_BODY, NULL, &c,
		    "HTTP_AUTHORIZATION=Basic YWxpY2U6czNjcmV0", k, NULL);
		T_OK(passed(&c), "Authorization: Basic (for the web server) "
		    "plus the key in X-API-Key -> 200");
		call_free(&c);
		free(k);
	}
}

/* --- JWT --------------------------------------------------------------- */

static void
test_jwt_valid(struct endpoint *ep, struct endpoint *ephs)
{
	static const struct {
		enum jwt_sigalg	 alg;
		const char	*key, *kid, *name;
	} ok[] = {
		{ JWT_SIG_RS256, p_rs, "r1", "RS256 (PEM)" },
		{ JWT_SIG_PS256, p_ps, "p1", "PS256 (PEM)" },
		{ JWT_SIG_ES256, p_ec, "e1", "ES256 (PEM)" },
		{ JWT_SIG_EDDSA, p_ed, "d1", "EdDSA (PEM)" },
		{ JWT_SIG_RS256, p_jr, "jr", "RS256 (JWKS)" },
		{ JWT_SIG_ES256, p_je, "je", "ES256 (JWKS)" },
	};
	struct jwtmint_req	 r;
	struct call		 c;
	char			*tok;
	size_t			 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		r = treq(ok[i].alg, ok[i].key, ok[i].kid);
		tok = mint(&r);
		bearer(ep, tok, &c);
		T_OK(passed(&c), "valid %s token -> 200", ok[i].name);
		call_free(&c);
		free(tok);
	}
	r = treq(JWT_SIG_HS256, p_hs, "h1");
	tok = mint(&r);
	bearer(ephs, tok, &c);
	T_OK(passed(&c), "valid HS256 token where HS256 is configured -> 200");
	call_free(&c);
	bearer(ep, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "the same HS256 token "
	    "where HS256 is not configured -> 401 error=\"invalid_token\"");
	call_free(&c);
	free(tok);
	r.key_path = p_hs_other;
	tok = mint(&r);
	bearer(ephs, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "HS256 signed with another secret -> 401");
	call_free(&c);
	free(tok);
	/* Only the verification decides: no API-key path for JWTs. */
	r = treq(JWT_SIG_RS256, p_rs, "r1");
	tok = mint(&r);
	post(ep, "HTTP_X_API_KEY", tok, INIT_BODY, NULL, NULL, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "a valid JWT in X-API-Key (API keys only) -> 401");
	call_free(&c);
	free(tok);
}

static void
test_jwt_claims(struct endpoint *ep, struct endpoint *ephs)
{
	struct jwtmint_req	 r;
	struct call		 c;
	char			*tok, *pay, h[256], p[4096], *dot;

#define ONE(setup, st, ch, what, ...) do {				\
	r = treq(JWT_SIG_RS256, p_rs, "r1");				\
	setup;								\
	tok = mint(&r);							\
	bearer(ep, tok, &c);						\
	if ((st) == 200)						\
		T_OK(passed(&c), __VA_ARGS__);				\
	else								\
		T_OK(want(&c, st, ch, what), __VA_ARGS__);		\
	call_free(&c);							\
	free(tok);							\
} while (0)

	ONE(r.exp = now - 3600, 401, CH_INVALID, "expired",
	    "expired token -> 401 error=\"invalid_token\" (expired)");
	ONE(r.exp = now - 30, 200, CH_NONE, NULL,
	    "expired 30 s ago, within the 60 s leeway -> 200");
	ONE(r.nbf = now + 3600, 401, CH_INVALID, "invalid",
	    "not yet valid (nbf in an hour) -> 401");
	ONE(r.iat = now + 3600, 401, CH_INVALID, "invalid",
	    "issued in the future (iat in an hour) -> 401");
	ONE(r.iss = "https://evil.example.com", 401, CH_INVALID, "invalid",
	    "wrong issuer -> 401");
	ONE(r.iss = ISS "/", 401, CH_INVALID, "invalid",
	    "issuer with a trailing slash (exact match) -> 401");
	ONE(r.aud = "https://other.example.com/mcp", 401, CH_INVALID,
	    "invalid", "wrong audience (a token for another resource, "
	    "RFC 8707) -> 401");
	ONE(r.aud = NULL, 401, CH_INVALID, "invalid", "no audience -> 401");
	ONE(r.extra = "{\"aud\":[\"https://other.example.com\",\"" AUD "\"]}",
	    200, CH_NONE, NULL, "audience in an array with another -> 200");
	ONE(r.extra = "{\"aud\":[\"https://other.example.com\"]}", 401,
	    CH_INVALID, "invalid", "audience array without ours -> 401");
	ONE(r.sub = NULL, 401, CH_INVALID, "invalid", "no sub -> 401");
	ONE(r.exp = 0, 401, CH_INVALID, "invalid", "no exp -> 401");
	ONE(r.typ = "at+jwt", 200, CH_NONE, NULL,
	    "typ at+jwt (RFC 9068) -> 200");
	ONE(r.typ = "application/at+jwt", 200, CH_NONE, NULL,
	    "typ application/at+jwt -> 200");
	ONE(r.typ = "JWS", 401, CH_INVALID, "invalid", "typ JWS -> 401");
	ONE(r.kid = "nope", 401, CH_INVALID, "invalid", "unknown kid -> 401");
	ONE((r.alg = JWT_SIG_PS256, r.kid = "r1"), 401, CH_INVALID,
	    "invalid", "PS256 token naming the RS256-pinned kid -> 401");
	ONE(r.key_path = p_ps, 401, CH_INVALID, "invalid",
	    "RS256 signed by another key under kid r1 -> 401");
#undef ONE

	/* alg none, with and without a signature. */
	pay = claims("alice", "");
	if (b64_url_encode("{\"alg\":\"none\",\"kid\":\"r1\"}", 25, h,
	    sizeof(h)) == 0 && b64_url_encode(pay, strlen(pay), p,
	    sizeof(p)) == 0) {
		char t[8192];

		snprintf(t, sizeof(t), "%s.%s.", h, p);
		bearer(ep, t, &c);
		T_OK(want(&c, 401, CH_INVALID, "invalid"),
		    "alg none, empty signature -> 401");
		call_free(&c);
		bearer(ephs, t, &c);
		T_OK(want(&c, 401, CH_INVALID, "invalid"),
		    "alg none where HS256 is allowed -> 401");
		call_free(&c);
	}
	tok = forge(JWT_SIG_RS256, p_rs, "{\"alg\":\"None\",\"kid\":\"r1\"}",
	    pay);
	bearer(ep, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "alg \"None\" with a real signature -> 401");
	call_free(&c);
	free(tok);

	/* Algorithm confusion: HMAC keyed with the RSA public key PEM. */
	tok = forge(JWT_SIG_HS256, p_rs_pub, "{\"alg\":\"HS256\",\"kid\":"
	    "\"r1\"}", pay);
	bearer(ephs, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "algorithm confusion: "
	    "HS256 keyed with the RS256 public PEM, kid r1, HS256 allowed "
	    "-> 401");
	call_free(&c);
	bearer(ep, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"), "algorithm confusion "
	    "where HS256 is not allowed -> 401");
	call_free(&c);
	free(tok);
	tok = forge(JWT_SIG_HS256, p_rs_pub, "{\"alg\":\"HS256\"}", pay);
	bearer(ephs, tok, &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "algorithm confusion without kid -> 401");
	call_free(&c);
	free(tok);

	/* Tampered payload: a valid token's claims swapped for others. */
	tok = forge(JWT_SIG_RS256, p_rs, "{\"alg\":\"RS256\",\"kid\":\"r1\"}",
	    pay);
	free(pay);
	pay = claims("admin", "");
	bearer(ep, tok, &c);
	T_OK(passed(&c), "the untampered token -> 200");
	call_free(&c);
	if (tok != NULL && (dot = strchr(tok, '.')) != NULL &&
	    b64_url_encode(pay, strlen(pay), p, sizeof(p)) == 0) {
		char	*t, *sig = strrchr(tok, '.');

		if (asprintf(&t, "%.*s.%s%s", (int)(dot - tok), tok, p,
		    sig) < 0)
			t = NULL;
		bearer(ep, t, &c);
		T_OK(want(&c, 401, CH_INVALID, "invalid"),
		    "tampered payload (sub changed, signature kept) -> 401");
		call_free(&c);
		free(t);
		sig[1] = sig[1] == 'A' ? 'B' : 'A';
		bearer(ep, tok, &c);
		T_OK(want(&c, 401, CH_INVALID, "invalid"),
		    "tampered signature -> 401");
		call_free(&c);
	}
	free(tok);
	free(pay);

	/* BOUNDS_TOKEN_LEN, and one more. */
	tok = mint_len(BOUNDS_TOKEN_LEN);
	bearer(ep, tok, &c);
	T_OK(tok != NULL && strlen(tok) == BOUNDS_TOKEN_LEN && passed(&c),
	    "valid token of BOUNDS_TOKEN_LEN (%d) characters -> 200",
	    BOUNDS_TOKEN_LEN);
	call_free(&c);
	free(tok);
	tok = mint_len(BOUNDS_TOKEN_LEN + 1);
	bearer(ep, tok, &c);
	T_OK(tok != NULL && strlen(tok) == BOUNDS_TOKEN_LEN + 1 &&
	    want(&c, 401, CH_INVALID, "invalid"), "validly signed token of "
	    "BOUNDS_TOKEN_LEN+1 characters -> 401");
	call_free(&c);
	free(tok);
	{
		char *big = malloc(64 * 1024 + 1);

		if (big != NULL) {
			memset(big, 'A', 64 * 1024);
			big[64 * 1024] = '\0';
		}
		bearer(ep, big, &c);
		T_OK(want(&c, 401, CH_INVALID, "invalid"),
		    "64 KiB credential -> 401");
		call_free(&c);
		free(big);
	}
}

/* --- scopes ------------------------------------------------------------ */

static void
test_scopes(struct endpoint *ep, struct endpoint *ephs)
{
	struct jwtmint_req	 r;
	struct call		 c;
	char			 sid[256], v[128], w[1024], *b, *tok, *jv;

	snprintf(v, sizeof(v), "Bearer %s", key_alice);
	if (session(ep, "HTTP_AUTHORIZATION", v, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", v, LIST_BODY, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "\"name\":\"hello\"") &&
	    has(&c, "\"name\":\"read_thing\"") &&
	    !has(&c, "\"name\":\"write_thing\""), "tools/list with scope "
	    "things:read: hello and read_thing listed, write_thing hidden");
	call_free(&c);
	b = call_body("read_thing");
	post(ep, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "read ok"),
	    "tools/call read_thing with scope things:read -> 200, its result");
	call_free(&c);
	free(b);
	b = call_body("hello");
	post(ep, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "\"hi\""),
	    "tools/call of a tool without scope -> 200");
	call_free(&c);
	free(b);
	b = call_body("write_thing");
	post(ep, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_OK(c.status == 403 && hdr(&c, "WWW-Authenticate", w, sizeof(w)) &&
	    strncmp(w, "Bearer ", 7) == 0 &&
	    strstr(w, "error=\"insufficient_scope\"") != NULL &&
	    strstr(w, "scope=\"things:write\"") != NULL &&
	    strstr(w, "resource_metadata=\"" PRM_URL "\"") != NULL &&
	    has(&c, "\"code\":-32001") && has(&c, "\"id\":7") &&
	    has(&c, "Retrying will not help") &&
	    has(&c, "\"required_scope\":\"things:write\"") &&
	    !has(&c, "write ok"), "tools/call write_thing without its scope "
	    "-> 403, WWW-Authenticate: Bearer error=\"insufficient_scope\", "
	    "scope=\"things:write\", resource_metadata; body says retrying "
	    "will not help");
	if (c.status != 403)
		diag(&c);
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_EQ_INT(c.status, 403, "... and again 403: no state changed");
	call_free(&c);

	/* The same key where list_unauthorized_tools is set. */
	if (session(ephs, "HTTP_AUTHORIZATION", v, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ephs, "HTTP_AUTHORIZATION", v, LIST_BODY, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "\"name\":\"write_thing\"") &&
	    has(&c, "\"name\":\"read_thing\""), "list_unauthorized_tools: "
	    "write_thing is listed to a caller without its scope");
	call_free(&c);
	post(ephs, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_OK(c.status == 403 && hdr(&c, "WWW-Authenticate", w, sizeof(w)) &&
	    strstr(w, "scope=\"things:write\"") != NULL,
	    "list_unauthorized_tools: ... but calling it is still 403");
	call_free(&c);

	/* A key with the write scope only. */
	snprintf(v, sizeof(v), "Bearer %s", key_writer);
	if (session(ep, "HTTP_AUTHORIZATION", v, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", v, b, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "write ok"),
	    "tools/call write_thing with a key holding things:write -> 200");
	call_free(&c);
	free(b);
	post(ep, "HTTP_AUTHORIZATION", v, LIST_BODY, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "\"name\":\"write_thing\"") &&
	    !has(&c, "\"name\":\"read_thing\""), "tools/list for things:write "
	    "only: write_thing listed, read_thing hidden");
	call_free(&c);

	/* JWT scopes: "scope" string and "scp" array; whole tokens only. */
	r = treq(JWT_SIG_ES256, p_ec, "e1");
	r.scope = "things:write things:read";
	tok = mint(&r);
	if (asprintf(&jv, "Bearer %s", tok ? tok : "") < 0)
		jv = NULL;
	if (session(ep, "HTTP_AUTHORIZATION", jv, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	b = call_body("write_thing");
	post(ep, "HTTP_AUTHORIZATION", jv, b, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "write ok"),
	    "JWT with scope \"things:write things:read\" calls write_thing");
	call_free(&c);
	free(jv);
	free(tok);
	r.scope = NULL;
	r.extra = "{\"scp\":[\"things:write\"]}";
	tok = mint(&r);
	if (asprintf(&jv, "Bearer %s", tok ? tok : "") < 0)
		jv = NULL;
	if (session(ep, "HTTP_AUTHORIZATION", jv, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", jv, b, sid, NULL, &c);
	T_OK(passed(&c) && has(&c, "write ok"),
	    "JWT with scp [\"things:write\"] calls write_thing");
	call_free(&c);
	free(jv);
	free(tok);
	r.extra = NULL;
	r.scope = "things:writer things:write:all things";
	tok = mint(&r);
	if (asprintf(&jv, "Bearer %s", tok ? tok : "") < 0)
		jv = NULL;
	if (session(ep, "HTTP_AUTHORIZATION", jv, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", jv, b, sid, NULL, &c);
	T_OK(c.status == 403 && hdr(&c, "WWW-Authenticate", w, sizeof(w)) &&
	    strstr(w, "error=\"insufficient_scope\"") != NULL,
	    "scopes that only start like things:write -> 403");
	call_free(&c);
	free(jv);
	free(tok);
	free(b);
}

/* --- sessions ---------------------------------------------------------- */

static void
test_sessions(struct endpoint *ep)
{
	struct jwtmint_req	 r;
	struct call		 c;
	char			 sid[256], a[128], a2[128], bob[128];
	char			*tok, *j1, *j2;

	snprintf(a, sizeof(a), "Bearer %s", key_alice);
	snprintf(a2, sizeof(a2), "Bearer %s", key_alice2);
	snprintf(bob, sizeof(bob), "Bearer %s", key_bob);
	if (session(ep, "HTTP_AUTHORIZATION", a, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", a, PING_BODY, sid, NULL, &c);
	T_OK(passed(&c), "session of principal alice, alice's key -> 200");
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", bob, PING_BODY, sid, NULL, &c);
	T_OK(want(&c, 404, CH_NONE, NULL) && !has(&c, "alice"),
	    "alice's session presented with bob's valid key -> 404");
	call_free(&c);
	post(ep, "HTTP_X_API_KEY", key_bob, PING_BODY, sid, NULL, &c);
	T_OK(want(&c, 404, CH_NONE, NULL),
	    "... and with bob's key in X-API-Key -> 404");
	call_free(&c);
	send_req(ep, "DELETE", "/mcp", NULL, sid, &c, "HTTP_AUTHORIZATION=",
	    NULL);
	T_OK(want(&c, 401, CH_MISSING, NULL),
	    "DELETE of the session without a credential -> 401");
	call_free(&c);
	{
		char *h;

		if (asprintf(&h, "HTTP_AUTHORIZATION=%s", bob) < 0)
			h = NULL;
		send_req(ep, "DELETE", "/mcp", NULL, sid, &c, h, NULL);
		T_EQ_INT(c.status, 404, "DELETE of alice's session by bob "
		    "-> 404");
		call_free(&c);
		free(h);
	}
	post(ep, "HTTP_AUTHORIZATION", a2, PING_BODY, sid, NULL, &c);
	T_OK(passed(&c), "alice's second key (same name: rotation) uses the "
	    "session -> 200");
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", NULL, PING_BODY, sid, NULL, &c);
	T_OK(want(&c, 401, CH_MISSING, NULL), "the session id alone is no "
	    "credential -> 401");
	call_free(&c);

	/* JWT principals are iss#sub. */
	r = treq(JWT_SIG_EDDSA, p_ed, "d1");
	tok = mint(&r);
	if (asprintf(&j1, "Bearer %s", tok ? tok : "") < 0)
		j1 = NULL;
	free(tok);
	r.sub = "mallory";
	tok = mint(&r);
	if (asprintf(&j2, "Bearer %s", tok ? tok : "") < 0)
		j2 = NULL;
	free(tok);
	if (session(ep, "HTTP_AUTHORIZATION", j1, sid, sizeof(sid)) == -1)
		sid[0] = '\0';
	post(ep, "HTTP_AUTHORIZATION", j1, PING_BODY, sid, NULL, &c);
	T_OK(passed(&c), "JWT session, same subject -> 200");
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", j2, PING_BODY, sid, NULL, &c);
	T_EQ_INT(c.status, 404, "JWT session presented with another "
	    "subject's token -> 404");
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", a, PING_BODY, sid, NULL, &c);
	T_EQ_INT(c.status, 404, "JWT session (" ISS "#alice) presented with "
	    "API key \"alice\" -> 404");
	call_free(&c);
	r.sub = "alice";
	r.iss = ISS;
	r.alg = JWT_SIG_RS256;
	r.key_path = p_rs;
	r.kid = "r1";
	tok = mint(&r);
	free(j2);
	if (asprintf(&j2, "Bearer %s", tok ? tok : "") < 0)
		j2 = NULL;
	free(tok);
	post(ep, "HTTP_AUTHORIZATION", j2, PING_BODY, sid, NULL, &c);
	T_OK(passed(&c), "... another token (other alg, same iss and sub) "
	    "uses it -> 200");
	call_free(&c);
	free(j1);
	free(j2);

	/* A long principal (iss#sub of 300+ bytes) keeps its session. */
	{
		char longsub[251];

		memset(longsub, 's', 250);
		longsub[250] = '\0';
		r = treq(JWT_SIG_RS256, p_rs, "r1");
		r.sub = longsub;
		tok = mint(&r);
		if (asprintf(&j1, "Bearer %s", tok ? tok : "") < 0)
			j1 = NULL;
		free(tok);
		longsub[249] = 't';
		tok = mint(&r);
		if (asprintf(&j2, "Bearer %s", tok ? tok : "") < 0)
			j2 = NULL;
		free(tok);
		if (session(ep, "HTTP_AUTHORIZATION", j1, sid,
		    sizeof(sid)) == -1)
			sid[0] = '\0';
		post(ep, "HTTP_AUTHORIZATION", j1, PING_BODY, sid, NULL, &c);
		T_OK(passed(&c), "principal of %zu bytes uses its own session "
		    "-> 200", strlen(ISS) + 1 + 250);
		call_free(&c);
		post(ep, "HTTP_AUTHORIZATION", j2, PING_BODY, sid, NULL, &c);
		T_EQ_INT(c.status, 404, "... a principal differing in its "
		    "last byte -> 404");
		call_free(&c);
		free(j2);
		/* The owner's first 255 bytes, exactly: no prefix match. */
		longsub[249] = 's';
		longsub[255 - strlen(ISS) - 1] = '\0';
		tok = mint(&r);
		if (asprintf(&j2, "Bearer %s", tok ? tok : "") < 0)
			j2 = NULL;
		free(tok);
		post(ep, "HTTP_AUTHORIZATION", j2, PING_BODY, sid, NULL, &c);
		T_EQ_INT(c.status, 404, "... a principal that is the owner's "
		    "first 255 bytes -> 404");
		call_free(&c);
		free(j1);
		free(j2);
	}
}

/* --- throttle ---------------------------------------------------------- */

static void
test_throttle(struct endpoint *ep, struct endpoint *ep1)
{
	struct call	 c;
	char		 v[128], ra[64], w[64], bad[APIKEY_LEN + 1];
	int		 i, ok, wait;

	snprintf(v, sizeof(v), "Bearer %s", key_alice);
	wrong_secret(key_alice, bad);
	for (i = 0, ok = 1; i < 3 * THROTTLE_N; i++) {
		post(ep, "HTTP_AUTHORIZATION", NULL, INIT_BODY, NULL,
		    "192.0.2.9", &c);
		ok = ok && want(&c, 401, CH_MISSING, NULL);
		call_free(&c);
	}
	T_OK(ok, "%d requests without a credential from one address: all "
	    "401, never 429 (a missing credential is not a failure)",
	    3 * THROTTLE_N);
	for (i = 0, ok = 1; i < THROTTLE_N; i++) {
		post(ep, "HTTP_X_API_KEY", bad, INIT_BODY, NULL, "192.0.2.1",
		    &c);
		ok = ok && want(&c, 401, CH_INVALID, "invalid");
		call_free(&c);
	}
	T_OK(ok, "%d bad keys from 192.0.2.1 -> 401 each", THROTTLE_N);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, "192.0.2.1", &c);
	wait = hdr(&c, "Retry-After", w, sizeof(w)) ? atoi(w) : -1;
	T_OK(c.status == 429 && wait >= 1 && wait <= THROTTLE_BLOCK &&
	    !has(&c, "\"result\""), "then even a valid key from 192.0.2.1 "
	    "-> 429, Retry-After: %d (1..%d)", wait, THROTTLE_BLOCK);
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, "192.0.2.2", &c);
	T_OK(passed(&c), "meanwhile a valid key from 192.0.2.2 -> 200");
	call_free(&c);
	post(ep, "HTTP_AUTHORIZATION", "Bearer x", INIT_BODY, NULL,
	    "192.0.2.2", &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "... and a bad one from 192.0.2.2 is a plain 401");
	call_free(&c);
	snprintf(ra, sizeof(ra), "REMOTE_ADDR=192.0.2.1");
	send_req(ep, "GET", "/.well-known/oauth-protected-resource/mcp", NULL,
	    NULL, &c, ra, NULL);
	T_EQ_INT(c.status, 200, "the blocked address still reads the "
	    "metadata");
	call_free(&c);

	/* throttle.failures 1: the first failure blocks. */
	post(ep1, "HTTP_AUTHORIZATION", "Bearer x", INIT_BODY, NULL,
	    "198.51.100.1", &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "failures 1: one bad credential -> 401");
	call_free(&c);
	post(ep1, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL, "198.51.100.1",
	    &c);
	T_OK(c.status == 429 && hdr(&c, "Retry-After", w, sizeof(w)),
	    "failures 1: ... and the next request -> 429 with Retry-After");
	call_free(&c);
}

/* --- metadata ---------------------------------------------------------- */

/* The string at j, or "" when j is not a string. */
static const char *
jstr(const json_t *j)
{
	const char	*s = json_string_value(j);

	return s != NULL ? s : "";
}

static void
test_prm(struct endpoint *ep)
{
	static const char *const urls[] = {
		"/.well-known/oauth-protected-resource/mcp",
		"/.well-known/oauth-protected-resource",
	};
	struct call	 c;
	json_t		*j, *s;
	json_error_t	 je;
	size_t		 i;
	char		 w[64];
	int		 ok;

	for (i = 0; i < 2; i++) {
		send_req(ep, "GET", urls[i], NULL, NULL, &c, NULL);
		j = c.body ? json_loads(c.body, 0, &je) : NULL;
		s = json_object_get(j, "scopes_supported");
		ok = c.status == 200 &&
		    strcmp(jstr(json_object_get(j, "resource")), AUD) == 0 &&
		    json_array_size(json_object_get(j,
		    "authorization_servers")) == 1 &&
		    strcmp(jstr(json_array_get(json_object_get(j,
		    "authorization_servers"), 0)), ISS) == 0 &&
		    json_array_size(s) == 2 &&
		    strcmp(jstr(json_array_get(s, 0)), "things:read") == 0 &&
		    strcmp(jstr(json_array_get(s, 1)), "things:write") == 0 &&
		    json_array_size(json_object_get(j,
		    "bearer_methods_supported")) == 1 &&
		    strcmp(jstr(json_array_get(json_object_get(j,
		    "bearer_methods_supported"), 0)), "header") == 0 &&
		    hdr(&c, "WWW-Authenticate", w, sizeof(w)) == NULL;
		T_OK(ok, "GET %s without a credential -> 200: resource " AUD
		    ", authorization_servers [" ISS "], scopes_supported "
		    "[things:read, things:write], bearer_methods_supported "
		    "[header]", urls[i]);
		if (!ok)
			diag(&c);
		json_decref(j);
		call_free(&c);
	}
	send_req(ep, "POST", urls[0], "{}", NULL, &c, NULL);
	T_OK(c.status == 405 && hdr(&c, "Allow", w, sizeof(w)) &&
	    strcmp(w, "GET") == 0, "POST to the metadata -> 405, Allow: GET");
	call_free(&c);
}

/* --- a state database that cannot be opened ---------------------------- */

/*
 * API keys cannot be checked: 503, never a 401 that would tell a client
 * its good key is bad, and no throttle (its counter is in the same
 * database).  JWTs need no database and still work.
 */
static void
test_dberror(void)
{
	struct config	*cfg;
	struct endpoint	*ep = NULL;
	struct call	 c;
	struct jwtmint_req r;
	char		 path[PATHLEN], err[BOUNDS_ERRMSG_LEN], v[128], *tok;
	const char	*s =
	    "{\"server\":{\"name\":\"dberr\",\"resource_url\":\"" AUD "\","
	    "\"sessions\":false,\"state_db\":\"/nonexistent/mcpgate/s.db\"},"
	    "\"auth\":{\"mode\":\"required\",\"throttle\":{\"failures\":1},"
	    "\"jwt\":{\"issuer\":\"" ISS "\",\"algorithms\":[\"RS256\"],"
	    "\"keys\":[{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\","
	    "\"kid\":\"r1\"}]}},\"tools\":[{\"name\":\"hello\","
	    "\"kind\":\"static\",\"content\":[{\"type\":\"text\","
	    "\"text\":\"hi\"}]}]}";
	int		 i, ok;

	mkpath(path, "dberr.json");
	if (write_file(path, s, strlen(s)) == -1 ||
	    (cfg = config_load(path, 0, err, sizeof(err))) == NULL) {
		T_OK(0, "db error config loads");
		return;
	}
	if ((ep = endpoint_new(cfg, err, sizeof(err))) == NULL) {
		T_OK(0, "db error endpoint (%s)", err);
		config_free(cfg);
		return;
	}
	snprintf(v, sizeof(v), "Bearer %s", key_alice);
	for (i = 0, ok = 1; i < 3; i++) {
		post(ep, "HTTP_AUTHORIZATION", v, INIT_BODY, NULL,
		    "203.0.113.5", &c);
		ok = ok && want(&c, 503, CH_NONE, NULL) && has(&c, "retry");
		call_free(&c);
	}
	T_OK(ok, "state database unavailable: an API key -> 503 (never "
	    "401), every time (no throttle)");
	r = treq(JWT_SIG_RS256, p_rs, "r1");
	tok = mint(&r);
	bearer(ep, tok, &c);
	T_OK(passed(&c), "... while a JWT, which needs no database -> 200");
	call_free(&c);
	free(tok);
	bearer(ep, "garbage", &c);
	T_OK(want(&c, 401, CH_INVALID, "invalid"),
	    "... and a bad JWT -> 401");
	call_free(&c);
	endpoint_free(ep);
	config_free(cfg);
}

/* --- `mcpgate check`: auth_new's errors -------------------------------- */

static void
test_check(void)
{
	static const struct {
		const char	*auth, *want, *name;
	} cases[] = {
		{ "{\"mode\":\"required\",\"bogus\":1}",
		    "/auth: unknown member \"bogus\"", "unknown member" },
		{ "{\"mode\":\"sometimes\"}", "/auth/mode: ", "bad mode" },
		{ "{\"api_keys\":\"yes\"}", "/auth/api_keys: ",
		    "api_keys not a boolean" },
		{ "{\"api_key_header\":\"Authorization\"}",
		    "/auth/api_key_header: ", "api_key_header Authorization" },
		{ "{\"api_key_header\":\"X API\"}", "/auth/api_key_header: ",
		    "api_key_header with a space" },
		{ "{\"throttle\":{\"failures\":0}}",
		    "/auth/throttle/failures: must be an integer from 1",
		    "throttle.failures 0" },
		{ "{\"throttle\":{\"burst\":1}}",
		    "/auth/throttle: unknown member \"burst\"",
		    "unknown throttle member" },
		{ "{\"mode\":\"required\",\"api_keys\":false}",
		    "/auth: mode \"required\" needs api_keys or jwt",
		    "required with nothing to check" },
		{ "{\"jwt\":{\"audience\":\"" AUD "\",\"algorithms\":"
		    "[\"RS256\"],\"keys\":[{\"pem\":\"rs.pub.pem\",\"alg\":"
		    "\"RS256\"}]}}", "/auth/jwt/issuer: required",
		    "missing issuer" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\",\"HS512\"],\"keys\":[{\"pem\":"
		    "\"rs.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/algorithms/1: must be one of", "bad alg" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"none\"],\"keys\":[{\"pem\":"
		    "\"rs.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/algorithms/0: must be one of", "alg none" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"pem\":"
		    "\"rs.pub.pem\",\"alg\":\"RS256\"},{\"pem\":"
		    "\"missing.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/keys/1: ", "missing key file" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"jwks\":"
		    "\"missing.json\"}]}}", "/auth/jwt/keys/0: ",
		    "missing JWKS file" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"pem\":"
		    "\"rs.pub.pem\"}]}}", "/auth/jwt/keys/0/alg: required",
		    "PEM key without alg" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"pem\":"
		    "\"ec.pub.pem\",\"alg\":\"ES256\"}]}}",
		    "/auth/jwt/keys/0: ", "key for an algorithm not allowed" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"pem\":"
		    "\"ec.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/keys/0: ", "EC key pinned to RS256" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"secret\":"
		    "\"hs.secret\"}]}}", "/auth/jwt/keys/0: ",
		    "HS256 secret where HS256 is not allowed" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"pem\":"
		    "\"rs.pub.pem\",\"alg\":\"RS256\",\"x5c\":[]}]}}",
		    "/auth/jwt/keys/0: unknown member \"x5c\"",
		    "unknown key member" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[]}}",
		    "/auth/jwt/keys: required", "no keys" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"keys\":[{\"kid\":\"x\"}]}}",
		    "/auth/jwt/keys/0: needs", "key without a file" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"algorithms\":[\"RS256\"],"
		    "\"keys\":[{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/audience: required",
		    "no audience and no resource_url" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"leeway_seconds\":601,"
		    "\"keys\":[{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt/leeway_seconds: must be an integer from 0 to "
		    "600", "leeway too large" },
		{ "{\"jwt\":{\"issuer\":\"" ISS "\",\"audience\":\"" AUD "\","
		    "\"algorithms\":[\"RS256\"],\"jwks_url\":\"x\","
		    "\"keys\":[{\"pem\":\"rs.pub.pem\",\"alg\":\"RS256\"}]}}",
		    "/auth/jwt: unknown member \"jwks_url\"",
		    "unknown jwt member" },
	};
	struct config	*cfg;
	struct auth	*a;
	char		 path[PATHLEN], err[BOUNDS_ERRMSG_LEN], *s;
	size_t		 i;

	mkpath(path, "check.json");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (asprintf(&s, "{\"server\":{\"name\":\"c\"},\"auth\":%s,"
		    "\"tools\":[]}", cases[i].auth) < 0)
			continue;
		a = NULL;
		err[0] = '\0';
		if (write_file(path, s, strlen(s)) == 0 &&
		    (cfg = config_load(path, 0, err, sizeof(err))) != NULL) {
			err[0] = '\0';
			a = auth_new(cfg, err, sizeof(err));
			auth_free(a);
			config_free(cfg);
		}
		T_OK(a == NULL && strncmp(err, cases[i].want,
		    strlen(cases[i].want)) == 0, "check: %s -> \"%s...\"",
		    cases[i].name, cases[i].want);
		if (a != NULL || strncmp(err, cases[i].want,
		    strlen(cases[i].want)) != 0)
			printf("#   got \"%s\"\n", a ? "(accepted)" : err);
		free(s);
	}
	/* A good section passes, with the files resolved from its dir. */
	if (asprintf(&s, "{\"server\":{\"name\":\"c\",\"resource_url\":\"" AUD
	    "\"},\"auth\":{\"jwt\":{\"issuer\":\"" ISS "\",\"algorithms\":"
	    "[\"RS256\",\"HS256\"],\"keys\":[{\"pem\":\"rs.pub.pem\","
	    "\"alg\":\"RS256\"},{\"secret\":\"hs.secret\"},{\"jwks\":"
	    "\"jwks.json\"}]}},\"tools\":[]}") < 0)
		return;
	a = NULL;
	if (write_file(path, s, strlen(s)) == 0 &&
	    (cfg = config_load(path, 0, err, sizeof(err))) != NULL) {
		a = auth_new(cfg, err, sizeof(err));
		T_OK(a != NULL && auth_required(a), "check: a complete jwt "
		    "section passes; mode defaults to required (%s)",
		    a ? "ok" : err);
		auth_free(a);
		config_free(cfg);
	} else
		T_OK(0, "check: a complete jwt section passes (%s)", err);
	free(s);
}

int
main(void)
{
	struct config	*cfg = NULL, *cfghs = NULL, *cfg1 = NULL;
	struct endpoint	*ep = NULL, *ephs = NULL, *ep1 = NULL;
	struct store	*st = NULL;
	sqlite3		*db;
	char		 err[BOUNDS_ERRMSG_LEN];

	now = time(NULL);
	if (mkdtemp(dir) == NULL || setup_keys() == -1) {
		T_OK(0, "test keys and files are created");
		return t_done();
	}
	cfg = load_cfg("a.json", "", "", "", THROTTLE_N);
	cfghs = load_cfg("b.json", ",\"HS256\"",
	    ",{\"secret\":\"hs.secret\",\"kid\":\"h1\"}",
	    ",\"list_unauthorized_tools\":true", THROTTLE_N);
	cfg1 = load_cfg("c.json", "", "", "", 1);
	T_OK(cfg != NULL && cfghs != NULL && cfg1 != NULL,
	    "the test configs load");
	if (cfg == NULL || cfghs == NULL || cfg1 == NULL)
		goto out;
	ep = endpoint_new(cfg, err, sizeof(err));
	T_OK(ep != NULL, "endpoint, JWT RS256/PS256/ES256/EdDSA + JWKS (%s)",
	    ep ? "ok" : err);
	ephs = endpoint_new(cfghs, err, sizeof(err));
	T_OK(ephs != NULL, "endpoint, + HS256 and list_unauthorized_tools "
	    "(%s)", ephs ? "ok" : err);
	ep1 = endpoint_new(cfg1, err, sizeof(err));
	if (ep == NULL || ephs == NULL || ep1 == NULL)
		goto out;
	/* A second connection, as `mcpgate key` has. */
	if ((st = store_open(p_state, err, sizeof(err))) == NULL) {
		T_OK(0, "state database opens (%s)", err);
		goto out;
	}
	db = store_db(st);
	T_OK(apikey_store_create(db, "alice", "things:read", now, 0,
	    key_alice) == 0 &&
	    apikey_store_create(db, "alice", "things:read", now, 0,
	    key_alice2) == 0 &&
	    apikey_store_create(db, "bob", "things:read", now, 0,
	    key_bob) == 0 &&
	    apikey_store_create(db, "writer", "things:write", now, 0,
	    key_writer) == 0, "API keys alice (x2), bob and writer created");

	test_apikeys(ep, db);
	test_garbage(ep);
	test_basic_plus_key(ep);
	test_jwt_valid(ep, ephs);
	test_jwt_claims(ep, ephs);
	test_scopes(ep, ephs);
	test_sessions(ep);
	test_throttle(ep, ep1);
	test_prm(ep);
	test_dberror();
	test_check();
out:
	OPENSSL_cleanse(key_alice, sizeof(key_alice));
	store_close(st);
	endpoint_free(ep);
	endpoint_free(ephs);
	endpoint_free(ep1);
	config_free(cfg);
	config_free(cfghs);
	config_free(cfg1);
	{
		char cmd[PATHLEN + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
