/*
 * admin.c -- `mcpgate check|init|version`: what an operator runs from a
 * shell.  Exit status: 0 ok, 1 the config or database is bad, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include "admin.h"
#include "apikey.h"
#include "audit.h"
#include "auditchain.h"
#include "auth.h"
#include "bounds.h"
#include "config.h"
#include "jwt.h"
#include "jwtmint.h"
#include "store.h"

void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: mcpgate                 serve (FastCGI, or CGI under a web server)\n"
	    "       mcpgate check [CONFIG]  validate a config (SQL included)\n"
	    "       mcpgate init [CONFIG]   create or migrate the state and audit databases\n"
	    "       mcpgate audit verify [CONFIG]  check the audit log's hash chain\n"
	    "       mcpgate key create --name NAME [--scope 'S1 S2'] [--expires 30d|YYYY-MM-DD]\n"
	    "       mcpgate key list\n"
	    "       mcpgate key revoke ID\n"
	    "       mcpgate token --key FILE --alg RS256|ES256|PS256|EdDSA|HS256 --sub SUB\n"
	    "                     [--iss ISS] [--aud AUD] [--scope S] [--ttl SECONDS]\n"
	    "                     [--kid KID] [--typ at+jwt]\n"
	    "       mcpgate version\n"
	    "key and token take --config CONFIG (default as below); the key is\n"
	    "printed once and never stored: keep it.\n"
	    "CONFIG defaults to $MCPGATE_CONFIG, then %s\n",
	    CONFIG_DEFAULT_PATH);
}

static const char *
admin_config_path(int argc, char *argv[])
{
	const char *p = argc > 1 ? argv[1] : getenv("MCPGATE_CONFIG");

	return p != NULL && *p != '\0' ? p : CONFIG_DEFAULT_PATH;
}

static int
admin_check(int argc, char *argv[])
{
	struct audit	*audit;
	struct auth	*auth;
	struct config	*cfg;
	char		 err[BOUNDS_ERRMSG_LEN];
	const char	*path = admin_config_path(argc, argv);

	if ((cfg = config_load(path, CONFIG_VERIFY, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((auth = auth_new(cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		config_free(cfg);
		return 1;
	}
	auth_free(auth);
	if ((audit = audit_new(cfg->audit, cfg->path, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s: %s\n", path, err);
		config_free(cfg);
		return 1;
	}
	audit_free(audit);
	printf("%s: ok (%zu tools, %zu databases)\n", path, cfg->ntools,
	    cfg->ndbs);
	config_free(cfg);
	return 0;
}

static int
admin_init(int argc, char *argv[])
{
	struct config	*cfg;
	struct store	*st;
	struct audit	*audit;
	char		 err[BOUNDS_ERRMSG_LEN];
	const char	*path = admin_config_path(argc, argv);

	if ((cfg = config_load(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((st = store_open(cfg->state_db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: ready\n", cfg->state_db);
	store_close(st);
	if ((audit = audit_new(cfg->audit, cfg->path, err, sizeof(err))) ==
	    NULL || audit_open(audit, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", path, err);
		audit_free(audit);
		config_free(cfg);
		return 1;
	}
	printf("%s: ready\n", audit_db_path(audit));
	audit_free(audit);
	config_free(cfg);
	return 0;
}

/*
 * `mcpgate audit verify [CONFIG]`: walks the audit log's chain with the
 * configured sealing key.  Exit 0 intact, 1 broken or unreadable.
 */
static int
admin_audit(int argc, char *argv[])
{
	struct auditchain_report rep;
	struct auditchain_opts	 o;
	struct config		*cfg;
	struct audit		*audit = NULL;
	struct sqlite3		*db = NULL;
	char			 err[BOUNDS_ERRMSG_LEN];
	const char		*path;
	int			 rc = 1;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		admin_usage(stderr);
		return 2;
	}
	path = admin_config_path(argc - 1, argv + 1);
	if ((cfg = config_load(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((audit = audit_new(cfg->audit, cfg->path, err, sizeof(err))) ==
	    NULL || auditchain_open(audit_db_path(audit), &db, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", path, err);
		goto out;
	}
	memset(&o, 0, sizeof(o));
	o.keys = audit_key(audit);
	o.nkeys = o.keys != NULL ? 1 : 0;
	o.require_sealed = 0;
	switch (auditchain_verify(db, &o, &rep)) {
	case 0:
		printf("%s: %s: %s; rows %lld..%lld, head %s\n",
		    audit_db_path(audit), auditchain_status_name(rep.status),
		    rep.detail, (long long)rep.first_seq,
		    (long long)rep.last_seq, rep.head_hash[0] ? rep.head_hash :
		    "-");
		rc = 0;
		break;
	case 1:
		printf("%s: BROKEN (%s) at row %lld: %s\n",
		    audit_db_path(audit), auditchain_status_name(rep.status),
		    (long long)rep.bad_seq, rep.detail);
		break;
	default:
		fprintf(stderr, "%s: cannot verify: %s\n",
		    audit_db_path(audit), rep.detail);
		break;
	}
out:
	sqlite3_close(db);
	audit_free(audit);
	config_free(cfg);
	return rc;
}

/* "--opt value" from argv, or NULL. */
static const char *
admin_opt(int argc, char *argv[], const char *opt)
{
	int	 i;

	for (i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], opt) == 0)
			return argv[i + 1];
	return NULL;
}

/* Every argument must be a known "--opt value" pair (or a positional). */
static int
admin_opts_ok(int argc, char *argv[], int first, const char *const *known)
{
	const char *const *k;
	int	 i;

	for (i = first; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		for (k = known; *k != NULL; k++)
			if (strcmp(*k, argv[i]) == 0)
				break;
		if (*k == NULL || i + 1 >= argc) {
			fprintf(stderr, "mcpgate: %s: unknown option or "
			    "missing value\n", argv[i]);
			return 0;
		}
		i++;
	}
	return 1;
}

static struct store *
admin_state(int argc, char *argv[], struct config **cfgp)
{
	struct store	*st;
	char		 err[BOUNDS_ERRMSG_LEN];
	const char	*path = admin_opt(argc, argv, "--config");

	if (path == NULL)
		path = getenv("MCPGATE_CONFIG");
	if (path == NULL || *path == '\0')
		path = CONFIG_DEFAULT_PATH;
	if ((*cfgp = config_load(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return NULL;
	}
	if ((st = store_open((*cfgp)->state_db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		config_free(*cfgp);
		*cfgp = NULL;
	}
	return st;
}

/* "30d", "12h", "3600s", "never" or "YYYY-MM-DD" (UTC midnight). */
static int
admin_expiry(const char *s, time_t now, time_t *out)
{
	struct tm	 tm;
	char		*end;
	long long	 n;

	*out = 0;
	if (s == NULL || strcmp(s, "never") == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end != NULL && *end == '\0') {
		*out = timegm(&tm);
		return *out > now ? 0 : -1;
	}
	n = strtoll(s, &end, 10);
	if (n <= 0 || n > 3650LL * 86400)
		return -1;
	if (strcmp(end, "d") == 0)
		n *= 86400;
	else if (strcmp(end, "h") == 0)
		n *= 3600;
	else if (strcmp(end, "m") == 0)
		n *= 60;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		return -1;
	*out = now + (time_t)n;
	return 0;
}

static void
admin_time(time_t t, char *buf, size_t len)
{
	struct tm	 tm;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
admin_key_row(const struct apikey_info *k, void *arg)
{
	char	 c[32], u[32], e[32], r[32];

	admin_time(k->created_at, c, sizeof(c));
	admin_time(k->last_used, u, sizeof(u));
	admin_time(k->expires_at, e, sizeof(e));
	admin_time(k->revoked_at, r, sizeof(r));
	printf("%-12s  %-20s  %-20s  %-20s  %-20s  %-20s  %s\n", k->id,
	    k->name, c, u, e, r, k->scopes[0] ? k->scopes : "-");
	return 0;
}

static int
admin_key(int argc, char *argv[])
{
	static const char *const known[] = { "--name", "--scope", "--expires",
	    "--config", NULL };
	struct config	*cfg = NULL;
	struct store	*st = NULL;
	char		 key[APIKEY_LEN + 1];
	const char	*name, *scope;
	time_t		 now = time(NULL), exp;
	int		 rc = 1;

	if (argc < 2 || !admin_opts_ok(argc, argv, 2, known)) {
		admin_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "create") == 0) {
		name = admin_opt(argc, argv, "--name");
		scope = admin_opt(argc, argv, "--scope");
		if (name == NULL || strchr(name, '#') != NULL) {
			fprintf(stderr, "mcpgate: key create needs --name "
			    "(without '#'): the principal the key stands "
			    "for\n");
			return 2;
		}
		if (admin_expiry(admin_opt(argc, argv, "--expires"), now,
		    &exp) == -1) {
			fprintf(stderr, "mcpgate: --expires takes 30d, 12h, "
			    "3600s, never or a future YYYY-MM-DD\n");
			return 2;
		}
		if ((st = admin_state(argc, argv, &cfg)) == NULL)
			return 1;
		if (apikey_store_create(store_db(st), name, scope, now, exp,
		    key) == 0) {
			printf("%s\n", key);
			fprintf(stderr, "created key %.12s for \"%s\" (scopes: "
			    "%s); it is shown only this once\n",
			    key + APIKEY_PREFIX_LEN, name,
			    scope != NULL ? scope : "none");
			rc = 0;
		} else
			fprintf(stderr, "mcpgate: could not create the key "
			    "(see the message above)\n");
		OPENSSL_cleanse(key, sizeof(key));
	} else if (strcmp(argv[1], "list") == 0) {
		if ((st = admin_state(argc, argv, &cfg)) == NULL)
			return 1;
		printf("%-12s  %-20s  %-20s  %-20s  %-20s  %-20s  %s\n", "ID",
		    "NAME", "CREATED", "LAST USED", "EXPIRES", "REVOKED",
		    "SCOPES");
		rc = apikey_store_list(store_db(st), admin_key_row, NULL) ==
		    -1 ? 1 : 0;
	} else if (strcmp(argv[1], "revoke") == 0 && argc >= 3 &&
	    argv[2][0] != '-') {
		if ((st = admin_state(argc, argv, &cfg)) == NULL)
			return 1;
		switch (apikey_store_revoke(store_db(st), argv[2], now)) {
		case 1:
			printf("revoked %s\n", argv[2]);
			rc = 0;
			break;
		case 0:
			fprintf(stderr, "mcpgate: no key with id %s\n",
			    argv[2]);
			break;
		default:
			break;
		}
	} else {
		admin_usage(stderr);
		return 2;
	}
	store_close(st);
	config_free(cfg);
	return rc;
}

/* Mints a test token, so a JWT setup can be tried locally. */
static int
admin_token(int argc, char *argv[])
{
	static const char *const known[] = { "--key", "--alg", "--sub", "--iss",
	    "--aud", "--scope", "--ttl", "--kid", "--typ", "--config", NULL };
	struct jwtmint_req	 q;
	struct config		*cfg = NULL;
	json_t			*jwt;
	char			 err[BOUNDS_ERRMSG_LEN], *tok;
	const char		*alg, *ttl, *cpath;
	time_t			 now = time(NULL);
	long			 secs = 3600;

	if (!admin_opts_ok(argc, argv, 1, known))
		return 2;
	memset(&q, 0, sizeof(q));
	q.key_path = admin_opt(argc, argv, "--key");
	alg = admin_opt(argc, argv, "--alg");
	q.sub = admin_opt(argc, argv, "--sub");
	q.iss = admin_opt(argc, argv, "--iss");
	q.aud = admin_opt(argc, argv, "--aud");
	q.scope = admin_opt(argc, argv, "--scope");
	q.kid = admin_opt(argc, argv, "--kid");
	q.typ = admin_opt(argc, argv, "--typ");
	if ((ttl = admin_opt(argc, argv, "--ttl")) != NULL)
		secs = strtol(ttl, NULL, 10);
	if (q.key_path == NULL || alg == NULL || q.sub == NULL ||
	    jwt_sigalg_from_name(alg, &q.alg) == -1 || secs == 0) {
		admin_usage(stderr);
		return 2;
	}
	/* Issuer and audience default to what the server expects. */
	cpath = admin_opt(argc, argv, "--config");
	if (cpath == NULL)
		cpath = getenv("MCPGATE_CONFIG");
	if ((q.iss == NULL || q.aud == NULL) && cpath != NULL &&
	    (cfg = config_load(cpath, 0, err, sizeof(err))) != NULL) {
		jwt = json_object_get(cfg->auth, "jwt");
		if (q.iss == NULL)
			q.iss = json_string_value(json_object_get(jwt,
			    "issuer"));
		if (q.aud == NULL)
			q.aud = json_string_value(json_object_get(jwt,
			    "audience"));
		if (q.aud == NULL)
			q.aud = cfg->resource_url;
	}
	if (q.iss == NULL || q.aud == NULL) {
		fprintf(stderr, "mcpgate: token needs --iss and --aud (or a "
		    "config with auth.jwt)\n");
		config_free(cfg);
		return 2;
	}
	q.iat = now;
	q.exp = now + secs;
	tok = jwtmint_encode(&q, err, sizeof(err));
	config_free(cfg);
	if (tok == NULL) {
		fprintf(stderr, "mcpgate: %s\n", err);
		return 1;
	}
	printf("%s\n", tok);
	OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	return 0;
}

int
admin_main(int argc, char *argv[])
{
	if (strcmp(argv[0], "key") == 0)
		return admin_key(argc, argv);
	if (strcmp(argv[0], "token") == 0)
		return admin_token(argc, argv);
	if (strcmp(argv[0], "check") == 0)
		return admin_check(argc, argv);
	if (strcmp(argv[0], "init") == 0)
		return admin_init(argc, argv);
	if (strcmp(argv[0], "audit") == 0)
		return admin_audit(argc, argv);
	if (strcmp(argv[0], "version") == 0 ||
	    strcmp(argv[0], "--version") == 0) {
		printf("mcpgate %s\n", MCPGATE_VERSION);
		return 0;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		admin_usage(stdout);
		return 0;
	}
	fprintf(stderr, "mcpgate: unknown command \"%s\"\n", argv[0]);
	admin_usage(stderr);
	return 2;
}
