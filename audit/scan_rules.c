/*
 * scan_rules.c -- the rules file and the facts the scan takes from the
 * mcpgate config.
 *
 * Rules file (docs/scan.md):
 *   { "detectors":  { "D01": { "enabled": true, "low": 5, ... }, ... },
 *     "tools":      { "get_status": { "poll": true } },
 *     "exceptions": [ { "detector": "D01", "sub": "loop",
 *                       "match": { "principal": "svc-*" },
 *                       "reason": "...", "owner": "...",
 *                       "expires": "2025-12-31" } ] }
 * Unknown members are errors: a typo must not silently disable a rule.
 * The mcpgate config is the server's: only tools[] (name, scope,
 * annotations, idempotency) and auth (mode, api_keys, jwt) are read, and
 * everything else is ignored.
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "intern.h"
#include "detect.h"
#include "scan_rules.h"
#include "timerange.h"

static const char *const scan_match_names[SCAN_M__MAX] = {
	"principal", "tool", "client_addr", "session", "key_id",
	"auth_method", "host_id", "series",
};

const char *
scan_match_name(enum scan_match m)
{
	return (unsigned int)m < SCAN_M__MAX ? scan_match_names[m] : "?";
}

static void rules_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
rules_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static json_t *
rules_read(const char *path, char *err, size_t errlen)
{
	json_error_t	 je;
	json_t		*j;

	if ((j = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		rules_err(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		rules_err(err, errlen, "%s: must be a JSON object", path);
		json_decref(j);
		return NULL;
	}
	return j;
}

static char *
rules_strdup(const char *s)
{
	return s != NULL ? intern_xstrdup(s) : NULL;
}

/* --- the mcpgate config --------------------------------------------------- */

int
scan_config_load(const char *path, struct detect_ctx *ctx, char *err,
    size_t errlen)
{
	json_t		*root, *tools, *t, *ann, *auth, *v;
	struct detect_hint h;
	const char	*name, *s;
	size_t		 i;
	uint32_t	 id;

	if ((root = rules_read(path, err, errlen)) == NULL)
		return -1;
	tools = json_object_get(root, "tools");
	if (tools != NULL && !json_is_array(tools)) {
		rules_err(err, errlen, "%s: /tools: must be an array", path);
		json_decref(root);
		return -1;
	}
	json_array_foreach(tools, i, t) {
		name = json_string_value(json_object_get(t, "name"));
		if (name == NULL)
			continue;
		memset(&h, 0, sizeof(h));
		h.configured = 1;
		/* MCP defaults: not read-only, destructive, not idempotent. */
		h.destructive = 1;
		ann = json_object_get(t, "annotations");
		if ((v = json_object_get(ann, "readOnlyHint")) != NULL)
			h.read_only = json_is_true(v);
		if ((v = json_object_get(ann, "destructiveHint")) != NULL)
			h.destructive = json_is_true(v);
		if ((v = json_object_get(ann, "idempotentHint")) != NULL)
			h.idempotent = json_is_true(v);
		if (h.read_only) {
			/* Hints about writes mean nothing for a read. */
			h.destructive = 0;
			h.idempotent = 1;
		}
		s = json_string_value(json_object_get(t, "idempotency"));
		h.idem_required = s != NULL && strcmp(s, "required") == 0;
		if ((s = json_string_value(json_object_get(t, "scope"))) !=
		    NULL)
			h.scope = intern_id(ctx->str, s, strlen(s));
		id = intern_id(ctx->str, name, strlen(name));
		h.poll = detect_hint(ctx, id)->poll;
		detect_hint_set(ctx, id, &h);
	}
	auth = json_object_get(root, "auth");
	s = json_string_value(json_object_get(auth, "mode"));
	ctx->nauth_allowed = 0;
	if (s != NULL && strcmp(s, "none") == 0) {
		ctx->auth_none = 1;
		ctx->auth_allowed[ctx->nauth_allowed++] = ctx->id_none;
	} else {
		v = json_object_get(auth, "api_keys");
		if (v == NULL || json_is_true(v))
			ctx->auth_allowed[ctx->nauth_allowed++] =
			    intern_id(ctx->str, "apikey", 6);
		if (json_object_get(auth, "jwt") != NULL)
			ctx->auth_allowed[ctx->nauth_allowed++] =
			    intern_id(ctx->str, "jwt", 3);
	}
	ctx->have_config = 1;
	json_decref(root);
	return 0;
}

/* --- the rules file ------------------------------------------------------- */

/* Thresholds counted in a ring of the last DETECT_RING_MAX rows. */
static int
rules_ring_count(int p)
{
	static const int ring[] = { DP_D01_LOW, DP_D01_MEDIUM, DP_D01_HIGH,
	    DP_D01_WRITE_MEDIUM, DP_D02_LOW, DP_D02_MEDIUM, DP_D03_LOW,
	    DP_D03_MEDIUM, DP_D03_NONRETRY_MEDIUM, DP_D04_BURST_MEDIUM,
	    DP_D04_SLOW_LOW, DP_D05_BURST_MEDIUM, DP_D05_LONG_HIGH,
	    DP_D05_SUCCESS_FAILS, DP_D06_HITS_LOW, DP_D10_CONFLICT_MEDIUM,
	    DP_D10_REPLAY_LOW, DP_D14_UNKNOWN_LOW };
	size_t	 i;

	for (i = 0; i < sizeof(ring) / sizeof(ring[0]); i++)
		if (ring[i] == p)
			return 1;
	return 0;
}

static int
rules_detectors(const char *path, json_t *o, struct detect_ctx *ctx,
    char *err, size_t errlen)
{
	const char	*code, *name;
	json_t		*d, *v;
	int		 det, p;

	if (!json_is_object(o)) {
		rules_err(err, errlen, "%s: /detectors: must be an object",
		    path);
		return -1;
	}
	json_object_foreach(o, code, d) {
		if ((det = detect_parse_code(code)) < 0) {
			rules_err(err, errlen, "%s: /detectors/%s: no such "
			    "detector (D01 to D16)", path, code);
			return -1;
		}
		if (!json_is_object(d)) {
			rules_err(err, errlen, "%s: /detectors/%s: must be an "
			    "object", path, code);
			return -1;
		}
		json_object_foreach(d, name, v) {
			if (strcmp(name, "enabled") == 0) {
				if (!json_is_boolean(v)) {
					rules_err(err, errlen, "%s: /detectors/"
					    "%s/enabled: must be true or false",
					    path, code);
					return -1;
				}
				ctx->enabled[det] = json_is_true(v);
				continue;
			}
			if ((p = detect_param_find(det, name)) < 0) {
				rules_err(err, errlen, "%s: /detectors/%s/%s: "
				    "%s has no such threshold (see scan "
				    "--list)", path, code, name, code);
				return -1;
			}
			if (!json_is_number(v) || json_number_value(v) < 0) {
				rules_err(err, errlen, "%s: /detectors/%s/%s: "
				    "must be a number >= 0", path, code, name);
				return -1;
			}
			if (rules_ring_count(p) && json_number_value(v) >
			    DETECT_RING_MAX) {
				rules_err(err, errlen, "%s: /detectors/%s/%s: "
				    "counts of rows in a window go up to %d", path,
				    code, name, DETECT_RING_MAX);
				return -1;
			}
			ctx->p[p] = json_number_value(v);
		}
	}
	return 0;
}

static int
rules_tools(const char *path, json_t *o, struct detect_ctx *ctx, char *err,
    size_t errlen)
{
	const char	*name, *k;
	json_t		*t, *v;
	struct detect_hint h;
	uint32_t	 id;

	if (!json_is_object(o)) {
		rules_err(err, errlen, "%s: /tools: must be an object", path);
		return -1;
	}
	json_object_foreach(o, name, t) {
		if (!json_is_object(t)) {
			rules_err(err, errlen, "%s: /tools/%s: must be an "
			    "object", path, name);
			return -1;
		}
		id = intern_id(ctx->str, name, strlen(name));
		h = *detect_hint(ctx, id);
		json_object_foreach(t, k, v) {
			if (strcmp(k, "poll") != 0 || !json_is_boolean(v)) {
				rules_err(err, errlen, "%s: /tools/%s/%s: only "
				    "\"poll\": true or false is known", path,
				    name, k);
				return -1;
			}
			h.poll = json_is_true(v);
		}
		detect_hint_set(ctx, id, &h);
	}
	return 0;
}

static int
rules_exception(const char *path, size_t i, json_t *o, struct scan_exception *e,
    int64_t now_us, char *err, size_t errlen)
{
	const char	*k, *s;
	json_t		*v, *m;
	int		 j, found;

	memset(e, 0, sizeof(*e));
	e->det = -1;
	if (!json_is_object(o)) {
		rules_err(err, errlen, "%s: /exceptions/%zu: must be an object",
		    path, i);
		return -1;
	}
	json_object_foreach(o, k, v) {
		s = json_string_value(v);
		if (strcmp(k, "match") == 0)
			continue;
		if (s == NULL) {
			rules_err(err, errlen, "%s: /exceptions/%zu/%s: must be "
			    "a string", path, i, k);
			return -1;
		}
		if (strcmp(k, "detector") == 0) {
			if (strcmp(s, "*") != 0 &&
			    (e->det = detect_parse_code(s)) < 0) {
				rules_err(err, errlen, "%s: /exceptions/%zu/"
				    "detector: no such detector \"%s\"", path,
				    i, s);
				return -1;
			}
		} else if (strcmp(k, "sub") == 0)
			e->sub = rules_strdup(s);
		else if (strcmp(k, "reason") == 0)
			e->reason = rules_strdup(s);
		else if (strcmp(k, "owner") == 0)
			e->owner = rules_strdup(s);
		else if (strcmp(k, "expires") == 0)
			e->expires = rules_strdup(s);
		else {
			rules_err(err, errlen, "%s: /exceptions/%zu/%s: unknown "
			    "member (detector, sub, match, reason, owner, "
			    "expires)", path, i, k);
			return -1;
		}
	}
	if (e->reason == NULL || e->owner == NULL || e->expires == NULL ||
	    *e->reason == '\0' || *e->owner == '\0') {
		rules_err(err, errlen, "%s: /exceptions/%zu: needs a reason, an "
		    "owner and an expiry (\"expires\": \"2025-12-31\")", path,
		    i);
		return -1;
	}
	if (timerange_parse_to(e->expires, now_us, 0, &e->expires_us, err,
	    errlen) == -1) {
		char	 m2[256];

		snprintf(m2, sizeof(m2), "%s", err);
		rules_err(err, errlen, "%s: /exceptions/%zu/expires: %s", path,
		    i, m2);
		return -1;
	}
	e->expired = now_us >= e->expires_us;
	m = json_object_get(o, "match");
	if (m != NULL && !json_is_object(m)) {
		rules_err(err, errlen, "%s: /exceptions/%zu/match: must be an "
		    "object", path, i);
		return -1;
	}
	json_object_foreach(m, k, v) {
		for (found = 0, j = 0; j < SCAN_M__MAX; j++)
			if (strcmp(k, scan_match_names[j]) == 0)
				found = 1;
		if (!found || !json_is_string(v)) {
			rules_err(err, errlen, "%s: /exceptions/%zu/match/%s: "
			    "must be one of principal, tool, client_addr, "
			    "session, key_id, auth_method, host_id, series, "
			    "with a string (glob) value", path, i, k);
			return -1;
		}
		for (j = 0; j < SCAN_M__MAX; j++)
			if (strcmp(k, scan_match_names[j]) == 0)
				e->match[j] = rules_strdup(json_string_value(v));
	}
	return 0;
}

int
scan_rules_load(const char *path, struct detect_ctx *ctx,
    struct scan_rules *rules, int64_t now_us, char *err, size_t errlen)
{
	json_t		*root, *v, *x;
	const char	*k;
	size_t		 i;
	int		 rc = -1;

	memset(rules, 0, sizeof(*rules));
	if ((root = rules_read(path, err, errlen)) == NULL)
		return -1;
	json_object_foreach(root, k, v) {
		if (strcmp(k, "detectors") == 0) {
			if (rules_detectors(path, v, ctx, err, errlen) == -1)
				goto out;
		} else if (strcmp(k, "tools") == 0) {
			if (rules_tools(path, v, ctx, err, errlen) == -1)
				goto out;
		} else if (strcmp(k, "exceptions") == 0) {
			if (!json_is_array(v)) {
				rules_err(err, errlen, "%s: /exceptions: must "
				    "be an array", path);
				goto out;
			}
			rules->ex = intern_xcalloc(json_array_size(v) + 1,
			    sizeof(*rules->ex));
			json_array_foreach(v, i, x) {
				if (rules_exception(path, i, x, &rules->ex[i],
				    now_us, err, errlen) == -1) {
					rules->nex = i + 1;
					goto out;
				}
				rules->nex = i + 1;
			}
		} else if (strcmp(k, "$comment") != 0) {
			rules_err(err, errlen, "%s: /%s: unknown member "
			    "(detectors, tools, exceptions)", path, k);
			goto out;
		}
	}
	rc = 0;
out:
	json_decref(root);
	if (rc != 0)
		scan_rules_free(rules);
	return rc;
}

struct match_ctx {
	const char	*val[SCAN_M__MAX];
	char		 buf[SCAN_M__MAX][24];
};

static void
match_collect(void *arg, const char *name, const char *value)
{
	struct match_ctx *m = arg;
	int		 j;

	for (j = 0; j < SCAN_M__MAX; j++)
		if (strcmp(name, scan_match_names[j]) == 0 ||
		    (j == SCAN_M_SESSION && strcmp(name, "session") == 0)) {
			m->val[j] = value;
			if (j == SCAN_M_SESSION) {
				/* Session text lives in a stack buffer. */
				snprintf(m->buf[j], sizeof(m->buf[j]), "%s",
				    value);
				m->val[j] = m->buf[j];
			}
		}
}

int
scan_rules_match(struct scan_rules *rules, const struct detect_ctx *ctx,
    const struct detect_finding *f)
{
	struct scan_exception *e;
	struct match_ctx m;
	size_t		 i;
	int		 j, ok, hit = 0;

	memset(&m, 0, sizeof(m));
	detect_key_each(ctx, &f->key, match_collect, &m);
	for (i = 0; i < rules->nex; i++) {
		e = &rules->ex[i];
		if (e->det >= 0 && e->det != (int)f->det)
			continue;
		if (e->sub != NULL && (f->sub == NULL || fnmatch(e->sub, f->sub,
		    0) != 0))
			continue;
		for (ok = 1, j = 0; j < SCAN_M__MAX && ok; j++)
			if (e->match[j] != NULL && (m.val[j] == NULL ||
			    fnmatch(e->match[j], m.val[j], 0) != 0))
				ok = 0;
		if (!ok)
			continue;
		if (e->expired) {
			e->expired_hits++;
			continue;
		}
		e->hits++;
		if (hit == 0)
			hit = (int)i + 1;
		break;
	}
	return hit;
}

void
scan_rules_free(struct scan_rules *rules)
{
	size_t	 i;
	int	 j;

	if (rules == NULL)
		return;
	for (i = 0; i < rules->nex; i++) {
		free(rules->ex[i].sub);
		free(rules->ex[i].reason);
		free(rules->ex[i].owner);
		free(rules->ex[i].expires);
		for (j = 0; j < SCAN_M__MAX; j++)
			free(rules->ex[i].match[j]);
	}
	free(rules->ex);
	memset(rules, 0, sizeof(*rules));
}
