/*
 * config.c -- reads the JSON config strictly (unknown members are errors,
 * so a typo never silently disables a guard), resolves relative paths
 * against the config's directory, compiles the tool schemas once and
 * builds the tools.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "bounds.h"
#include "config.h"
#include "mcphdr.h"
#include "schema.h"
#include "tool.h"
#include "tools/tools.h"

struct cfgctx {
	const char	*file;
	char		*dir;
	char		*err;
	size_t		 errlen;
};

static int
cfg_fail(struct cfgctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
cfg_fail(struct cfgctx *c, const char *path, const char *fmt, ...)
{
	char	 msg[BOUNDS_ERRMSG_LEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s: %s: %s", c->file,
	    *path != '\0' ? path : "/", msg);
	return -1;
}

/* Every member of obj must be in one of the NULL-terminated lists. */
static int
cfg_keys(struct cfgctx *c, const char *path, json_t *obj,
    const char *const *a, const char *const *b)
{
	const char	*key, *const *k;
	json_t		*v;

	json_object_foreach(obj, key, v) {
		int found = 0;

		for (k = a; k != NULL && *k != NULL && !found; k++)
			found = strcmp(*k, key) == 0;
		for (k = b; k != NULL && *k != NULL && !found; k++)
			found = strcmp(*k, key) == 0;
		if (!found)
			return cfg_fail(c, path, "unknown member \"%.64s\"",
			    key);
	}
	return 0;
}

static int
cfg_str(struct cfgctx *c, const char *path, json_t *obj, const char *key,
    int required, const char *def, char **out)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL) {
		if (required)
			return cfg_fail(c, path, "\"%s\" is required", key);
		*out = def != NULL ? strdup(def) : NULL;
		return def != NULL && *out == NULL ? -1 : 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return cfg_fail(c, path, "\"%s\" must be a non-empty string",
		    key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return cfg_fail(c, path, "\"%s\" must not contain NUL", key);
	*out = strdup(json_string_value(v));
	return *out == NULL ? -1 : 0;
}

static int
cfg_int(struct cfgctx *c, const char *path, json_t *obj, const char *key,
    long long def, long long min, long long max, long long *out)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min ||
	    json_integer_value(v) > max)
		return cfg_fail(c, path, "\"%s\" must be an integer from %lld "
		    "to %lld", key, min, max);
	*out = json_integer_value(v);
	return 0;
}

static int
cfg_bool(struct cfgctx *c, const char *path, json_t *obj, const char *key,
    int def, int *out)
{
	json_t	*v = json_object_get(obj, key);

	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_boolean(v))
		return cfg_fail(c, path, "\"%s\" must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

static int
cfg_strlist(struct cfgctx *c, const char *path, json_t *obj, const char *key,
    char ***out, size_t *n)
{
	json_t	*v = json_object_get(obj, key), *e;
	size_t	 i;

	*out = NULL;
	*n = 0;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return cfg_fail(c, path, "\"%s\" must be an array of strings",
		    key);
	if ((*out = calloc(json_array_size(v) + 1, sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return cfg_fail(c, path, "\"%s\"[%zu] must be a "
			    "string", key, i);
		if (((*out)[i] = strdup(json_string_value(e))) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

/* Resolves p against the config's directory.  Returns a new string. */
static char *
cfg_path(struct cfgctx *c, const char *p)
{
	char	*out;

	if (p[0] == '/')
		return strdup(p);
	if (asprintf(&out, "%s/%s", c->dir, p) < 0)
		return NULL;
	return out;
}

static void
cfg_strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ntools; i++)
		tool_free(cfg->tools[i]);
	free(cfg->tools);
	for (i = 0; i < cfg->ndbs; i++) {
		free(cfg->dbs[i].name);
		free(cfg->dbs[i].path);
	}
	free(cfg->dbs);
	cfg_strv_free(cfg->origins, cfg->norigins);
	cfg_strv_free(cfg->hosts, cfg->nhosts);
	json_decref(cfg->auth);
	json_decref(cfg->audit);
	free(cfg->path);
	free(cfg->name);
	free(cfg->title);
	free(cfg->version);
	free(cfg->instructions);
	free(cfg->endpoint);
	free(cfg->resource_url);
	free(cfg->state_db);
	free(cfg);
}

struct tool *
config_tool(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->ntools; i++)
		if (strcmp(cfg->tools[i]->name, name) == 0)
			return cfg->tools[i];
	return NULL;
}

static int	cfg_rate(struct cfgctx *, const char *, json_t *,
		    struct tool_rate *);

static const char *const server_keys[] = {
	"name", "title", "version", "instructions", "endpoint",
	"resource_url", "state_db", "max_body_bytes", "page_size", "sessions",
	"session_ttl_seconds", "allowed_origins", "allowed_hosts",
	"idempotency_ttl_seconds", "rate_limit", "tools_ttl_ms", NULL
};

static int
cfg_server(struct cfgctx *c, struct config *cfg, json_t *s)
{
	long long	 v;
	char		*state = NULL;

	if (s != NULL && !json_is_object(s))
		return cfg_fail(c, "/server", "must be an object");
	if (s == NULL)
		s = json_object();	/* defaults only */
	else
		json_incref(s);
	if (cfg_keys(c, "/server", s, server_keys, NULL) == -1 ||
	    cfg_str(c, "/server", s, "name", 0, "mcpgate", &cfg->name) ||
	    cfg_str(c, "/server", s, "title", 0, NULL, &cfg->title) ||
	    cfg_str(c, "/server", s, "version", 0, MCPGATE_VERSION,
	    &cfg->version) ||
	    cfg_str(c, "/server", s, "instructions", 0, NULL,
	    &cfg->instructions) ||
	    cfg_str(c, "/server", s, "endpoint", 0, "/mcp", &cfg->endpoint) ||
	    cfg_str(c, "/server", s, "resource_url", 0, NULL,
	    &cfg->resource_url) ||
	    cfg_str(c, "/server", s, "state_db", 0, "state.db", &state))
		goto fail;
	if (cfg->endpoint[0] != '/') {
		cfg_fail(c, "/server/endpoint", "must start with \"/\"");
		goto fail;
	}
	if ((cfg->state_db = cfg_path(c, state)) == NULL)
		goto fail;
	if (cfg_int(c, "/server", s, "max_body_bytes", BOUNDS_BODY_DEFAULT,
	    64, BOUNDS_BODY_MAX, &v) == -1)
		goto fail;
	cfg->max_body = (size_t)v;
	if (cfg_int(c, "/server", s, "page_size", BOUNDS_PAGE_SIZE_DEFAULT,
	    1, BOUNDS_PAGE_SIZE_MAX, &v) == -1)
		goto fail;
	cfg->page_size = (int)v;
	if (cfg_int(c, "/server", s, "session_ttl_seconds", 24 * 3600, 60,
	    30 * 24 * 3600, &v) == -1)
		goto fail;
	cfg->session_ttl = (int)v;
	if (cfg_int(c, "/server", s, "idempotency_ttl_seconds", 24 * 3600, 60,
	    30 * 24 * 3600, &v) == -1)
		goto fail;
	cfg->idem_ttl = (long)v;
	if (cfg_int(c, "/server", s, "tools_ttl_ms", 300000, 0,
	    24LL * 3600 * 1000, &v) == -1)
		goto fail;
	cfg->tools_ttl_ms = v;
	if (cfg_rate(c, "/server/rate_limit", json_object_get(s,
	    "rate_limit"), &cfg->rate) == -1)
		goto fail;
	if (cfg_bool(c, "/server", s, "sessions", 1, &cfg->sessions) == -1 ||
	    cfg_strlist(c, "/server", s, "allowed_origins", &cfg->origins,
	    &cfg->norigins) == -1 ||
	    cfg_strlist(c, "/server", s, "allowed_hosts", &cfg->hosts,
	    &cfg->nhosts) == -1)
		goto fail;
	free(state);
	json_decref(s);
	return 0;
fail:
	free(state);
	json_decref(s);
	return -1;
}

static int
cfg_databases(struct cfgctx *c, struct config *cfg, json_t *dbs)
{
	static const char *const db_keys[] = { "path", NULL };
	const char	*key;
	json_t		*v;
	char		 path[256];
	char		*rel;

	if (dbs == NULL)
		return 0;
	if (!json_is_object(dbs))
		return cfg_fail(c, "/databases", "must be an object of "
		    "name: {\"path\": ...}");
	cfg->dbs = calloc(json_object_size(dbs) + 1, sizeof(*cfg->dbs));
	if (cfg->dbs == NULL)
		return -1;
	json_object_foreach(dbs, key, v) {
		snprintf(path, sizeof(path), "/databases/%.64s", key);
		if (!json_is_object(v))
			return cfg_fail(c, path, "must be an object");
		if (cfg_keys(c, path, v, db_keys, NULL) == -1 ||
		    cfg_str(c, path, v, "path", 1, NULL, &rel) == -1)
			return -1;
		cfg->dbs[cfg->ndbs].path = cfg_path(c, rel);
		free(rel);
		cfg->dbs[cfg->ndbs].name = strdup(key);
		cfg->ndbs++;
		if (cfg->dbs[cfg->ndbs - 1].path == NULL ||
		    cfg->dbs[cfg->ndbs - 1].name == NULL)
			return -1;
	}
	return 0;
}

static const char *const tool_common_keys[] = {
	"name", "title", "description", "kind", "input_schema",
	"output_schema", "annotations", "scope", "idempotency", "rate_limit",
	NULL
};

/* {"per_minute": N, "burst": M}: a token bucket (burst defaults to N). */
static int
cfg_rate(struct cfgctx *c, const char *path, json_t *v, struct tool_rate *r)
{
	static const char *const rate_keys[] = { "per_minute", "burst", NULL };
	long long	 n;

	memset(r, 0, sizeof(*r));
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return cfg_fail(c, path, "must be {\"per_minute\": N, "
		    "\"burst\": M}");
	if (cfg_keys(c, path, v, rate_keys, NULL) == -1 ||
	    cfg_int(c, path, v, "per_minute", 0, 1, 1000000, &n) == -1)
		return -1;
	if (json_object_get(v, "per_minute") == NULL)
		return cfg_fail(c, path, "\"per_minute\" is required");
	r->per_minute = (int)n;
	if (cfg_int(c, path, v, "burst", n, 1, 1000000, &n) == -1)
		return -1;
	r->burst = (int)n;
	return 0;
}

/*
 * Write tools take an optional "idempotency_key" argument (issue 5): it is
 * published in the input schema so a model knows it may send one.
 */
static int
cfg_idem_arg(json_t *schema)
{
	json_t	*props = json_object_get(schema, "properties");

	if (props == NULL) {
		props = json_object();
		if (props == NULL || json_object_set_new(schema, "properties",
		    props) == -1)
			return -1;
	}
	if (!json_is_object(props))
		return -1;
	return json_object_set_new(props, "idempotency_key", json_pack(
	    "{s:s,s:i,s:i,s:s}", "type", "string", "minLength", 1,
	    "maxLength", 255, "description", "Optional. A unique key for this "
	    "request: a retry with the same key and arguments returns the "
	    "first result instead of doing the work again."));
}

/*
 * Tool input schemas reject unknown fields by default: an object schema
 * that says nothing about extra members gets additionalProperties: false.
 */
static json_t *
cfg_input_schema(json_t *given)
{
	json_t	*s;

	if (given == NULL)
		return json_pack("{s:s,s:{},s:b}", "type", "object",
		    "properties", "additionalProperties", 0);
	s = json_deep_copy(given);
	if (s == NULL)
		return NULL;
	if (json_object_get(s, "additionalProperties") == NULL &&
	    json_object_get(s, "unevaluatedProperties") == NULL &&
	    json_object_get(s, "patternProperties") == NULL)
		json_object_set_new(s, "additionalProperties", json_false());
	return s;
}

static int
cfg_annotations(struct cfgctx *c, const char *path, struct tool *t, json_t *a)
{
	static const char *const ann_keys[] = { "title", "readOnlyHint",
	    "destructiveHint", "idempotentHint", "openWorldHint", NULL };
	const char	*key;
	json_t		*v;
	char		 p[256];

	snprintf(p, sizeof(p), "%s/annotations", path);
	if (a == NULL)
		return 0;
	if (!json_is_object(a))
		return cfg_fail(c, p, "must be an object");
	if (cfg_keys(c, p, a, ann_keys, NULL) == -1)
		return -1;
	json_object_foreach(a, key, v) {
		if (strcmp(key, "title") == 0 ? !json_is_string(v) :
		    !json_is_boolean(v))
			return cfg_fail(c, p, "\"%s\" has the wrong type", key);
	}
	t->annotations = json_deep_copy(a);
	t->read_only = json_is_true(json_object_get(a, "readOnlyHint"));
	return t->annotations == NULL ? -1 : 0;
}

static int
cfg_tool(struct cfgctx *c, struct config *cfg, size_t idx, json_t *spec,
    int flags)
{
	char		 path[64], sub[BOUNDS_ERRMSG_LEN], serr[BOUNDS_ERRMSG_LEN];
	struct tool	*t;
	char		*kind = NULL;
	const char *const *extra;
	json_t		*os;
	size_t		 i;
	int		 rc = -1;

	snprintf(path, sizeof(path), "/tools/%zu", idx);
	if (!json_is_object(spec))
		return cfg_fail(c, path, "must be an object");
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	cfg->tools[cfg->ntools++] = t;

	if (cfg_str(c, path, spec, "name", 1, NULL, &t->name) == -1 ||
	    cfg_str(c, path, spec, "kind", 1, NULL, &kind) == -1)
		goto out;
	if (strcmp(kind, "sql") == 0)
		extra = tool_sql_keys;
	else if (strcmp(kind, "static") == 0)
		extra = tool_static_keys;
	else {
		cfg_fail(c, path, "\"kind\" must be \"sql\" or \"static\"");
		goto out;
	}
	if (cfg_keys(c, path, spec, tool_common_keys, extra) == -1)
		goto out;
	if (tool_name_valid(t->name) == -1) {
		cfg_fail(c, path, "\"name\" must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ - . (MCP 2025-11-25 tool names)",
		    BOUNDS_TOOL_NAME_LEN);
		goto out;
	}
	for (i = 0; i + 1 < cfg->ntools; i++)
		if (strcmp(cfg->tools[i]->name, t->name) == 0) {
			cfg_fail(c, path, "tool name \"%s\" is already used "
			    "by /tools/%zu", t->name, i);
			goto out;
		}
	if (cfg_str(c, path, spec, "title", 0, NULL, &t->title) == -1 ||
	    cfg_str(c, path, spec, "description", 0, NULL,
	    &t->description) == -1 ||
	    cfg_str(c, path, spec, "scope", 0, NULL, &t->scope) == -1 ||
	    cfg_annotations(c, path, t, json_object_get(spec,
	    "annotations")) == -1)
		goto out;

	os = json_object_get(spec, "input_schema");
	if (os != NULL && (!json_is_object(os) || !json_is_string(
	    json_object_get(os, "type")) || strcmp(json_string_value(
	    json_object_get(os, "type")), "object") != 0)) {
		cfg_fail(c, path, "\"input_schema\" must be an object schema "
		    "with \"type\": \"object\"");
		goto out;
	}
	if ((t->input_schema = cfg_input_schema(os)) == NULL)
		goto out;
	/* x-mcp-header (2026-07-28): clients drop a tool that breaks it. */
	if (mcphdr_schema_check(t->input_schema, serr, sizeof(serr)) == -1) {
		char *colon = strstr(serr, ": ");

		snprintf(sub, sizeof(sub), "%s/input_schema%.*s", path,
		    colon != NULL ? (int)(colon - serr) : 0, serr);
		cfg_fail(c, sub, "%s", colon != NULL ? colon + 2 : serr);
		goto out;
	}
	{
		json_t *iv = json_object_get(spec, "idempotency");
		const char *im = json_string_value(iv);

		snprintf(sub, sizeof(sub), "%s/idempotency", path);
		if (iv == NULL)
			t->idempotency = TOOL_IDEM_OPTIONAL;
		else if (im != NULL && strcmp(im, "optional") == 0)
			t->idempotency = TOOL_IDEM_OPTIONAL;
		else if (im != NULL && strcmp(im, "required") == 0)
			t->idempotency = TOOL_IDEM_REQUIRED;
		else if (im != NULL && strcmp(im, "derived") == 0)
			t->idempotency = TOOL_IDEM_DERIVED;
		else if (im != NULL && strcmp(im, "off") == 0)
			t->idempotency = TOOL_IDEM_OFF;
		else {
			cfg_fail(c, sub, "must be \"optional\", \"required\", "
			    "\"derived\" or \"off\"");
			goto out;
		}
		if (iv != NULL && (t->read_only || strcmp(kind, "sql") != 0)) {
			cfg_fail(c, sub, "only SQL write tools (no "
			    "readOnlyHint) are idempotent");
			goto out;
		}
		if (!t->read_only && strcmp(kind, "sql") == 0 &&
		    t->idempotency != TOOL_IDEM_OFF &&
		    cfg_idem_arg(t->input_schema) == -1) {
			cfg_fail(c, path, "\"input_schema\" has a "
			    "\"properties\" that is not an object");
			goto out;
		}
		snprintf(sub, sizeof(sub), "%s/rate_limit", path);
		if (cfg_rate(c, sub, json_object_get(spec, "rate_limit"),
		    &t->rate) == -1)
			goto out;
	}
	t->input_check = schema_compile(t->input_schema, serr, sizeof(serr));
	if (t->input_check == NULL) {
		snprintf(sub, sizeof(sub), "%s/input_schema", path);
		cfg_fail(c, sub, "%s", serr);
		goto out;
	}
	os = json_object_get(spec, "output_schema");
	if (os != NULL) {
		if (!json_is_object(os) || !json_is_string(json_object_get(os,
		    "type")) || strcmp(json_string_value(json_object_get(os,
		    "type")), "object") != 0) {
			cfg_fail(c, path, "\"output_schema\" must be an "
			    "object schema with \"type\": \"object\"");
			goto out;
		}
		t->output_schema = json_deep_copy(os);
		t->output_check = schema_compile(os, serr, sizeof(serr));
		if (t->output_check == NULL) {
			snprintf(sub, sizeof(sub), "%s/output_schema", path);
			cfg_fail(c, sub, "%s", serr);
			goto out;
		}
	}

	serr[0] = '\0';
	if (strcmp(kind, "sql") == 0)
		rc = tool_sql_new(t, spec, cfg, flags & CONFIG_VERIFY, serr,
		    sizeof(serr));
	else
		rc = tool_static_new(t, spec, serr, sizeof(serr));
	if (rc == -1) {
		/* serr is "/member: message" */
		snprintf(c->err, c->errlen, "%s: %s%s", c->file, path,
		    serr[0] != '\0' ? serr : ": cannot build tool");
	}
out:
	free(kind);
	return rc;
}

static const char *const top_keys[] = {
	"server", "auth", "audit", "databases", "tools", "$comment", NULL
};

/*
 * Reads the whole file at path with read(2) and parses it with json_loadb
 * (json_load_file goes through stdio, which a plain CGI process pays for
 * on every request), checking the size on the descriptor it reads: at
 * most BOUNDS_CONFIG_BYTES, even if the file grows meanwhile.  Returns
 * the JSON or NULL with err set.
 */
static json_t *
cfg_read(const char *path, char *err, size_t errlen)
{
	json_error_t	 jerr;
	json_t		*root = NULL;
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (sb.st_size > BOUNDS_CONFIG_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    BOUNDS_CONFIG_BYTES);
		goto out;
	}
	/* One byte more than the size: a file that grew is read to EOF. */
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		n = read(fd, buf + got, (size_t)sb.st_size + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)sb.st_size) {
			snprintf(err, errlen, "%s: changed while being read",
			    path);
			goto out;
		}
	}
	root = json_loadb(buf, got, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		    jerr.column, jerr.text);
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return root;
}

struct config *
config_load(const char *path, int flags, char *err, size_t errlen)
{
	struct cfgctx	 c;
	struct config	*cfg = NULL;
	json_t		*root = NULL, *tools, *t;
	char		*copy = NULL;
	size_t		 i;

	memset(&c, 0, sizeof(c));
	c.file = path;
	c.err = err;
	c.errlen = errlen;
	if ((root = cfg_read(path, err, errlen)) == NULL)
		return NULL;
	snprintf(err, errlen, "%s: out of memory", path);
	if ((copy = strdup(path)) == NULL ||
	    (c.dir = realpath(dirname(copy), NULL)) == NULL)
		goto fail;
	if (!json_is_object(root)) {
		cfg_fail(&c, "", "the config must be a JSON object");
		goto fail;
	}
	if (cfg_keys(&c, "", root, top_keys, NULL) == -1)
		goto fail;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (cfg->path = strdup(path)) == NULL)
		goto fail;
	cfg->flags = flags;
	if (cfg_server(&c, cfg, json_object_get(root, "server")) == -1 ||
	    cfg_databases(&c, cfg, json_object_get(root, "databases")) == -1)
		goto fail;
	t = json_object_get(root, "auth");
	if (t != NULL && !json_is_object(t)) {
		cfg_fail(&c, "/auth", "must be an object");
		goto fail;
	}
	cfg->auth = t != NULL ? json_incref(t) : json_object();
	/* Checked by audit_new (lib/audit.c), like "auth" by auth_new. */
	t = json_object_get(root, "audit");
	if (t != NULL && !json_is_object(t)) {
		cfg_fail(&c, "/audit", "must be an object");
		goto fail;
	}
	cfg->audit = t != NULL ? json_incref(t) : json_object();

	tools = json_object_get(root, "tools");
	if (tools == NULL || !json_is_array(tools)) {
		cfg_fail(&c, "/tools", "must be an array of tools");
		goto fail;
	}
	cfg->tools = calloc(json_array_size(tools) + 1, sizeof(*cfg->tools));
	if (cfg->tools == NULL)
		goto fail;
	json_array_foreach(tools, i, t)
		if (cfg_tool(&c, cfg, i, t, flags) == -1)
			goto fail;
	json_decref(root);
	free(copy);
	free(c.dir);
	return cfg;
fail:
	config_free(cfg);
	json_decref(root);
	free(copy);
	free(c.dir);
	return NULL;
}
