/*
 * schema.c -- JSON Schema draft 2020-12 (and draft-07 documents) compiled
 * into a graph of struct snode, one per subschema, with every $ref,
 * $dynamicRef target, regex and format resolved at compile time, then
 * validated by walking that graph.  References resolve only inside the
 * document: by JSON Pointer, by $id (RFC 3986 resolution against the
 * enclosing base URI) and by $anchor / $dynamicAnchor.  A cycle of
 * references that consumes no input is a compile error; runtime depth is
 * bounded by SCHEMA_MAX_DEPTH regardless.
 *
 * Validation allocates only for uniqueItems over more than a few items,
 * propertyNames, and unevaluated* over more than 256 members or items.
 * It knows nothing of MCP: messages speak of "the value" and of JSON
 * Pointers, and quote only the instance and the schema.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "schema_int.h"

/* Instance type bits. */
#define ST_NULL		0x01
#define ST_BOOLEAN	0x02
#define ST_OBJECT	0x04
#define ST_ARRAY	0x08
#define ST_NUMBER	0x10
#define ST_STRING	0x20
#define ST_INTEGER	0x40

/* Base URI of a document without a root $id. */
#define SCHEMA_DEFAULT_BASE	"mcpgate:/schema.json"

/* uniqueItems: up to this many items compare pairwise, no allocation. */
#define SCHEMA_UNIQUE_PAIRWISE	16

/* unevaluated*: members or items tracked without allocating. */
#define SCHEMA_EVAL_INLINE	4		/* 64-bit words */

/* Longest quoted instance string in a message, in bytes. */
#define SCHEMA_QUOTE_MAX	48

struct snode;

struct skv {
	const char	*name;		/* borrowed from the document */
	struct snode	*n;
};

struct spat {
	struct schema_regex	 re;
	const char		*src;	/* borrowed from the document */
	struct snode		*n;
};

struct snode {
	const json_t	*js;		/* borrowed from the document */
	char		*path;		/* schema location, for errors */
	size_t		 res;		/* index of the enclosing resource */
	int		 boolean;	/* -1: object; 0 false; 1 true */
	int		 mark;		/* cycle check colour */

	unsigned int	 types;		/* ST_*, 0: no "type" */
	const json_t	*enumv;
	const json_t	*constv;	/* NULL: no "const" */

	const json_t	*minimum, *maximum, *xmin, *xmax, *multiple;

	long long	 minlen, maxlen;	/* -1: absent */
	struct schema_regex *pattern;
	const char	*patsrc;
	enum schema_fmt	 format;

	long long	 minitems, maxitems, mincontains, maxcontains;
	int		 unique;
	struct snode	**prefix;
	size_t		 nprefix;
	struct snode	*items, *contains, *uitems;

	long long	 minprops, maxprops;
	const json_t	*required;	/* array of strings */
	const json_t	*depreq;	/* object: name -> array */
	struct skv	*props;
	size_t		 nprops;
	struct spat	*pprops;
	size_t		 npprops;
	struct skv	*depsch;
	size_t		 ndepsch;
	struct snode	*addl, *pnames, *uprops;

	struct snode	**allof, **anyof, **oneof;
	size_t		 nallof, nanyof, noneof;
	struct snode	*notn, *ifn, *thenn, *elsen;
	struct snode	*ref, *dynref;
	const char	*dynname;	/* $dynamicRef that may rebind */
};

struct sres {
	char		*uri;		/* absolute, no fragment */
	const json_t	*js;
	char		*path;		/* JSON Pointer in the document */
};

struct sanchor {
	size_t		 res;
	char		*name;
	const json_t	*js;
	int		 dynamic;
	struct snode	*node;		/* for dynamic anchors */
};

struct schema {
	json_t		*doc;		/* owned reference */
	unsigned int	 flags;
	int		 draft7;
	struct snode	**tab;		/* open addressing on js */
	size_t		 tabcap, nnodes;
	struct sres	*res;
	size_t		 nres, capres;
	struct sanchor	*anc;
	size_t		 nanc, capanc;
	struct snode	*root;
};

struct comp {
	struct schema	*s;
	char		*err;
	size_t		 errlen;
	int		 depth;
	int		 failed;
};

/* Annotations for unevaluated*: one bit per member or item. */
struct seval {
	size_t		 nbits;
	uint64_t	*bits;
	uint64_t	 inl[SCHEMA_EVAL_INLINE];
};

struct vctx {
	const struct schema	*s;
	struct schema_report	*rep;
	char			 path[SCHEMA_PATH_LEN];
	size_t			 plen;
	int			 quiet;
	int			 depth;
	int			 internal;
	size_t			 nscope;
	size_t			 scope[SCHEMA_MAX_DEPTH];
};

static int	v_node(struct vctx *, const struct snode *, const json_t *,
		    struct seval *);
static struct snode *c_node(struct comp *, const json_t *, size_t,
		    const char *);

/*
 * Small helpers
 */

static int
c_fail(struct comp *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
c_fail(struct comp *c, const char *path, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (c->failed)
		return -1;
	c->failed = 1;
	if (c->err == NULL || c->errlen == 0)
		return -1;
	n = snprintf(c->err, c->errlen, "%s: ", path[0] ? path : "(root)");
	if (n < 0 || (size_t)n >= c->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends "/" seg (escaped per RFC 6901) to base; a new string or NULL. */
static char *
path_join(const char *base, const char *seg)
{
	size_t	 blen = strlen(base), slen = strlen(seg), i, o;
	char	*p;

	if ((p = malloc(blen + 2 * slen + 2)) == NULL)
		return NULL;
	memcpy(p, base, blen);
	o = blen;
	p[o++] = '/';
	for (i = 0; i < slen; i++) {
		if (seg[i] == '~') {
			p[o++] = '~';
			p[o++] = '0';
		} else if (seg[i] == '/') {
			p[o++] = '~';
			p[o++] = '1';
		} else
			p[o++] = seg[i];
	}
	p[o] = '\0';
	return p;
}

static char *
path_join2(const char *base, const char *a, const char *b)
{
	char	*t, *r;

	if ((t = path_join(base, a)) == NULL)
		return NULL;
	r = path_join(t, b);
	free(t);
	return r;
}

static size_t
tab_slot(const struct schema *s, const json_t *js)
{
	uintptr_t	 h = (uintptr_t)js;

	h ^= h >> 17;
	h *= (uintptr_t)0x9e3779b97f4a7c15ULL;
	return (size_t)(h ^ (h >> 29)) & (s->tabcap - 1);
}

static struct snode *
tab_get(const struct schema *s, const json_t *js)
{
	size_t	 i;

	if (s->tabcap == 0)
		return NULL;
	for (i = tab_slot(s, js); s->tab[i] != NULL;
	    i = (i + 1) & (s->tabcap - 1))
		if (s->tab[i]->js == js)
			return s->tab[i];
	return NULL;
}

static int
tab_put(struct schema *s, struct snode *n)
{
	struct snode	**old = s->tab, **nt;
	size_t		 oldcap = s->tabcap, i, j;

	if ((s->nnodes + 1) * 2 > s->tabcap) {
		size_t ncap = oldcap ? oldcap * 2 : 64;

		if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
			return -1;
		s->tab = nt;
		s->tabcap = ncap;
		for (i = 0; i < oldcap; i++) {
			if (old[i] == NULL)
				continue;
			for (j = tab_slot(s, old[i]->js); nt[j] != NULL;
			    j = (j + 1) & (ncap - 1))
				continue;
			nt[j] = old[i];
		}
		free(old);
	}
	for (i = tab_slot(s, n->js); s->tab[i] != NULL;
	    i = (i + 1) & (s->tabcap - 1))
		continue;
	s->tab[i] = n;
	s->nnodes++;
	return 0;
}

/*
 * URIs (RFC 3986 §5.2): enough to resolve $id and $ref.
 */

struct uparts {
	const char	*scheme, *auth, *path, *query, *frag;
	size_t		 slen, alen, plen, qlen, flen;
	int		 has_scheme, has_auth, has_query, has_frag;
};

static void
uri_split(const char *u, struct uparts *p)
{
	const char	*q = u;

	memset(p, 0, sizeof(*p));
	while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
	    (q > u && ((*q >= '0' && *q <= '9') || *q == '+' || *q == '-' ||
	    *q == '.')))
		q++;
	if (q > u && *q == ':') {
		p->has_scheme = 1;
		p->scheme = u;
		p->slen = (size_t)(q - u);
		u = q + 1;
	}
	if (u[0] == '/' && u[1] == '/') {
		p->has_auth = 1;
		p->auth = u + 2;
		p->alen = strcspn(p->auth, "/?#");
		u = p->auth + p->alen;
	}
	p->path = u;
	p->plen = strcspn(u, "?#");
	u += p->plen;
	if (*u == '?') {
		p->has_query = 1;
		p->query = u + 1;
		p->qlen = strcspn(p->query, "#");
		u = p->query + p->qlen;
	}
	if (*u == '#') {
		p->has_frag = 1;
		p->frag = u + 1;
		p->flen = strlen(p->frag);
	}
}

/* RFC 3986 §5.2.4; out has room for n + 1 bytes. */
static size_t
uri_remove_dots(const char *in, size_t n, char *out)
{
	size_t	 i = 0, o = 0, rest;

	while (i < n) {
		rest = n - i;
		if (rest >= 3 && strncmp(in + i, "../", 3) == 0)
			i += 3;
		else if (rest >= 2 && strncmp(in + i, "./", 2) == 0)
			i += 2;
		else if (rest >= 3 && strncmp(in + i, "/./", 3) == 0)
			i += 2;
		else if (rest == 2 && strncmp(in + i, "/.", 2) == 0) {
			out[o++] = '/';
			break;
		} else if (rest >= 4 && strncmp(in + i, "/../", 4) == 0) {
			i += 3;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (rest == 3 && strncmp(in + i, "/..", 3) == 0) {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			out[o++] = '/';
			break;
		} else if ((rest == 1 && in[i] == '.') ||
		    (rest == 2 && strncmp(in + i, "..", 2) == 0))
			break;
		else {
			if (in[i] == '/')
				out[o++] = in[i++];
			while (i < n && in[i] != '/')
				out[o++] = in[i++];
		}
	}
	out[o] = '\0';
	return o;
}

/* Resolves ref against base; returns a new string or NULL on OOM. */
static char *
uri_resolve(const char *base, const char *ref)
{
	struct uparts	 b, r;
	char		*out, *tmp, *o;
	size_t		 cap;
	const char	*scheme, *auth = NULL, *query = NULL;
	size_t		 slen, alen = 0, qlen = 0;
	int		 has_auth = 0, has_query = 0;

	uri_split(base, &b);
	uri_split(ref, &r);
	cap = strlen(base) + strlen(ref) + 8;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	if ((tmp = malloc(cap)) == NULL) {
		free(out);
		return NULL;
	}
	tmp[0] = '\0';
	if (r.has_scheme) {
		scheme = r.scheme;
		slen = r.slen;
		has_auth = r.has_auth;
		auth = r.auth;
		alen = r.alen;
		uri_remove_dots(r.path, r.plen, tmp);
		has_query = r.has_query;
		query = r.query;
		qlen = r.qlen;
	} else {
		scheme = b.scheme;
		slen = b.slen;
		if (r.has_auth) {
			has_auth = 1;
			auth = r.auth;
			alen = r.alen;
			uri_remove_dots(r.path, r.plen, tmp);
			has_query = r.has_query;
			query = r.query;
			qlen = r.qlen;
		} else {
			has_auth = b.has_auth;
			auth = b.auth;
			alen = b.alen;
			if (r.plen == 0) {
				memcpy(tmp, b.path, b.plen);
				tmp[b.plen] = '\0';
				has_query = r.has_query || b.has_query;
				query = r.has_query ? r.query : b.query;
				qlen = r.has_query ? r.qlen : b.qlen;
			} else {
				char	*m;
				size_t	 ml = 0, k;

				if ((m = malloc(cap)) == NULL) {
					free(out);
					free(tmp);
					return NULL;
				}
				if (r.path[0] == '/') {
					memcpy(m, r.path, r.plen);
					ml = r.plen;
				} else {
					if (b.has_auth && b.plen == 0)
						m[ml++] = '/';
					else {
						for (k = b.plen; k > 0 &&
						    b.path[k - 1] != '/'; k--)
							continue;
						memcpy(m, b.path, k);
						ml = k;
					}
					memcpy(m + ml, r.path, r.plen);
					ml += r.plen;
				}
				uri_remove_dots(m, ml, tmp);
				free(m);
				has_query = r.has_query;
				query = r.query;
				qlen = r.qlen;
			}
		}
	}
	o = out;
	if (slen > 0) {
		memcpy(o, scheme, slen);
		o += slen;
		*o++ = ':';
	}
	if (has_auth) {
		*o++ = '/';
		*o++ = '/';
		memcpy(o, auth, alen);
		o += alen;
	}
	memcpy(o, tmp, strlen(tmp));
	o += strlen(tmp);
	if (has_query) {
		*o++ = '?';
		memcpy(o, query, qlen);
		o += qlen;
	}
	if (r.has_frag) {
		*o++ = '#';
		memcpy(o, r.frag, r.flen);
		o += r.flen;
	}
	*o = '\0';
	free(tmp);
	return out;
}

/* Percent-decodes s[0..len) into a new string; NULL on OOM or bad %. */
static char *
uri_pct_decode(const char *s, size_t len)
{
	char	*d, *o;
	size_t	 i;
	int	 hi, lo;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0, o = d; i < len; i++) {
		if (s[i] == '%' && i + 2 < len) {
			hi = s[i + 1];
			lo = s[i + 2];
			hi = hi >= '0' && hi <= '9' ? hi - '0' :
			    (hi | 0x20) >= 'a' && (hi | 0x20) <= 'f' ?
			    (hi | 0x20) - 'a' + 10 : -1;
			lo = lo >= '0' && lo <= '9' ? lo - '0' :
			    (lo | 0x20) >= 'a' && (lo | 0x20) <= 'f' ?
			    (lo | 0x20) - 'a' + 10 : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(d);
				return NULL;
			}
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '%') {
			free(d);
			return NULL;
		} else
			*o++ = s[i];
	}
	*o = '\0';
	return d;
}

/*
 * Index pass: find every schema resource ($id) and anchor before any
 * reference is resolved, walking only where subschemas may be.
 */

static const char *const kw_schema[] = { "additionalProperties",
	"propertyNames", "items", "contains", "not", "if", "then", "else",
	"unevaluatedProperties", "unevaluatedItems", "additionalItems",
	"contentSchema", NULL };
static const char *const kw_list[] = { "allOf", "anyOf", "oneOf",
	"prefixItems", "items", NULL };
static const char *const kw_map[] = { "properties", "patternProperties",
	"$defs", "definitions", "dependentSchemas", "dependencies", NULL };

static int
res_add(struct comp *c, const char *uri, const json_t *js, const char *path,
    size_t *idx)
{
	struct schema	*s = c->s;
	struct sres	*nr;
	size_t		 i;

	for (i = 0; i < s->nres; i++)
		if (strcmp(s->res[i].uri, uri) == 0) {
			if (s->res[i].js == js) {
				*idx = i;
				return 0;
			}
			return c_fail(c, path, "$id \"%s\" is used twice",
			    uri);
		}
	if (s->nres == s->capres) {
		size_t ncap = s->capres ? s->capres * 2 : 8;

		if ((nr = reallocarray(s->res, ncap, sizeof(*nr))) == NULL)
			return c_fail(c, path, "out of memory");
		s->res = nr;
		s->capres = ncap;
	}
	nr = &s->res[s->nres];
	nr->js = js;
	nr->uri = strdup(uri);
	nr->path = strdup(path);
	if (nr->uri == NULL || nr->path == NULL) {
		free(nr->uri);
		free(nr->path);
		return c_fail(c, path, "out of memory");
	}
	*idx = s->nres++;
	return 0;
}

static int
anc_add(struct comp *c, size_t res, const char *name, const json_t *js,
    int dynamic, const char *path)
{
	struct schema	*s = c->s;
	struct sanchor	*na;
	size_t		 i;

	for (i = 0; i < s->nanc; i++)
		if (s->anc[i].res == res && strcmp(s->anc[i].name, name) == 0) {
			if (s->anc[i].js == js) {
				s->anc[i].dynamic |= dynamic;
				return 0;
			}
			return c_fail(c, path, "anchor \"%s\" is defined "
			    "twice", name);
		}
	if (s->nanc == s->capanc) {
		size_t ncap = s->capanc ? s->capanc * 2 : 8;

		if ((na = reallocarray(s->anc, ncap, sizeof(*na))) == NULL)
			return c_fail(c, path, "out of memory");
		s->anc = na;
		s->capanc = ncap;
	}
	na = &s->anc[s->nanc];
	memset(na, 0, sizeof(*na));
	if ((na->name = strdup(name)) == NULL)
		return c_fail(c, path, "out of memory");
	na->res = res;
	na->js = js;
	na->dynamic = dynamic;
	s->nanc++;
	return 0;
}

static const struct sanchor *
anc_find(const struct schema *s, size_t res, const char *name, int dynamic)
{
	size_t	 i;

	for (i = 0; i < s->nanc; i++)
		if (s->anc[i].res == res && (!dynamic || s->anc[i].dynamic) &&
		    strcmp(s->anc[i].name, name) == 0)
			return &s->anc[i];
	return NULL;
}

static int
res_find_js(const struct schema *s, const json_t *js, size_t *idx)
{
	size_t	 i;

	for (i = 0; i < s->nres; i++)
		if (s->res[i].js == js) {
			*idx = i;
			return 1;
		}
	return 0;
}

static int
anchor_name_ok(const char *a)
{
	/* 2020-12 §8.2.2: plain name fragment, ^[A-Za-z_][-A-Za-z0-9._]*$ */
	if (!((*a >= 'A' && *a <= 'Z') || (*a >= 'a' && *a <= 'z') ||
	    *a == '_'))
		return 0;
	for (a++; *a; a++)
		if (!((*a >= 'A' && *a <= 'Z') || (*a >= 'a' && *a <= 'z') ||
		    (*a >= '0' && *a <= '9') || *a == '-' || *a == '.' ||
		    *a == '_'))
			return 0;
	return 1;
}

static int
idx_walk(struct comp *c, const json_t *js, size_t res, const char *path,
    int depth)
{
	struct schema	*s = c->s;
	const json_t	*v, *id;
	const char	*key, *const *kw;
	char		*uri, *sub;
	size_t		 i, nres = res;
	int		 rc = 0;
	void		*it;

	if (!json_is_object(js))
		return 0;
	if (depth > SCHEMA_MAX_DEPTH)
		return c_fail(c, path, "schema nests deeper than %d",
		    SCHEMA_MAX_DEPTH);
	id = json_object_get(js, "$id");
	if (json_is_string(id) && !(s->draft7 &&
	    json_object_get(js, "$ref") != NULL)) {
		const char *ids = json_string_value(id);

		if (s->draft7 && ids[0] == '#') {
			if (anc_add(c, res, ids + 1, js, 0, path) == -1)
				return -1;
		} else if (js != s->res[0].js) {
			char	*hash;

			if ((uri = uri_resolve(s->res[res].uri, ids)) == NULL)
				return c_fail(c, path, "out of memory");
			if ((hash = strchr(uri, '#')) != NULL) {
				if (hash[1] != '\0' && !s->draft7) {
					free(uri);
					return c_fail(c, path, "$id must not "
					    "have a fragment");
				}
				*hash = '\0';
			}
			rc = res_add(c, uri, js, path, &nres);
			free(uri);
			if (rc == -1)
				return -1;
		}
	}
	v = json_object_get(js, "$anchor");
	if (json_is_string(v)) {
		if (!anchor_name_ok(json_string_value(v)))
			return c_fail(c, path, "$anchor must be a plain name "
			    "such as \"node\"");
		if (anc_add(c, nres, json_string_value(v), js, 0, path) == -1)
			return -1;
	}
	v = json_object_get(js, "$dynamicAnchor");
	if (json_is_string(v)) {
		if (!anchor_name_ok(json_string_value(v)))
			return c_fail(c, path, "$dynamicAnchor must be a "
			    "plain name");
		if (anc_add(c, nres, json_string_value(v), js, 1, path) == -1)
			return -1;
	}
	for (kw = kw_schema; *kw != NULL; kw++) {
		if ((v = json_object_get(js, *kw)) == NULL ||
		    json_is_array(v))
			continue;
		if ((sub = path_join(path, *kw)) == NULL)
			return c_fail(c, path, "out of memory");
		rc = idx_walk(c, v, nres, sub, depth + 1);
		free(sub);
		if (rc == -1)
			return -1;
	}
	for (kw = kw_list; *kw != NULL; kw++) {
		if (!json_is_array(v = json_object_get(js, *kw)))
			continue;
		for (i = 0; i < json_array_size(v); i++) {
			char	 num[32];

			snprintf(num, sizeof(num), "%zu", i);
			if ((sub = path_join2(path, *kw, num)) == NULL)
				return c_fail(c, path, "out of memory");
			rc = idx_walk(c, json_array_get(v, i), nres, sub,
			    depth + 1);
			free(sub);
			if (rc == -1)
				return -1;
		}
	}
	for (kw = kw_map; *kw != NULL; kw++) {
		if (!json_is_object(v = json_object_get(js, *kw)))
			continue;
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			key = json_object_iter_key(it);
			if ((sub = path_join2(path, *kw, key)) == NULL)
				return c_fail(c, path, "out of memory");
			rc = idx_walk(c, json_object_iter_value(it), nres,
			    sub, depth + 1);
			free(sub);
			if (rc == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * Reference resolution
 */

/*
 * Walks the JSON Pointer ptr (decoded, "" or starting with "/") from the
 * resource root; *res follows any resource entered on the way.
 */
static const json_t *
c_pointer(const struct schema *s, const json_t *root, const char *ptr,
    size_t *res)
{
	const json_t	*cur = root;
	char		 tok[512];
	size_t		 i, o, idx;
	char		*end;

	i = 0;
	while (ptr[i] != '\0') {
		if (ptr[i] != '/')
			return NULL;
		i++;
		o = 0;
		while (ptr[i] != '\0' && ptr[i] != '/') {
			if (o + 1 >= sizeof(tok))
				return NULL;
			if (ptr[i] == '~') {
				if (ptr[i + 1] == '0')
					tok[o++] = '~';
				else if (ptr[i + 1] == '1')
					tok[o++] = '/';
				else
					return NULL;
				i += 2;
			} else
				tok[o++] = ptr[i++];
		}
		tok[o] = '\0';
		if (json_is_object(cur))
			cur = json_object_get(cur, tok);
		else if (json_is_array(cur)) {
			if (tok[0] < '0' || tok[0] > '9' ||
			    (tok[0] == '0' && tok[1] != '\0'))
				return NULL;
			idx = strtoul(tok, &end, 10);
			if (*end != '\0')
				return NULL;
			cur = json_array_get(cur, idx);
		} else
			return NULL;
		if (cur == NULL)
			return NULL;
		(void)res_find_js(s, cur, res);
	}
	return cur;
}

/*
 * Resolves a $ref (or $dynamicRef) value against the base of resource
 * res.  OUT: *target, *tres, *tpath (new string), *anchor (the plain-name
 * fragment, new string, or NULL).  Returns 0 or -1 (c failed).
 */
static int
c_resolve(struct comp *c, const char *path, size_t res, const char *ref,
    const json_t **target, size_t *tres, char **tpath, char **anchor)
{
	struct schema		*s = c->s;
	const struct sanchor	*a;
	char			*uri, *hash, *frag = NULL;
	size_t			 i, r;
	int			 rc = -1;

	*target = NULL;
	*tpath = NULL;
	*anchor = NULL;
	if ((uri = uri_resolve(s->res[res].uri, ref)) == NULL)
		return c_fail(c, path, "out of memory");
	if ((hash = strchr(uri, '#')) != NULL) {
		*hash++ = '\0';
		if ((frag = uri_pct_decode(hash, strlen(hash))) == NULL) {
			c_fail(c, path, "bad percent-encoding in \"%s\"", ref);
			goto out;
		}
	}
	for (i = 0; i < s->nres; i++)
		if (strcmp(s->res[i].uri, uri) == 0)
			break;
	if (i == s->nres) {
		c_fail(c, path, "cannot resolve \"%s\": only references "
		    "within this document are supported", ref);
		goto out;
	}
	r = i;
	if (frag == NULL || frag[0] == '\0' || frag[0] == '/') {
		*target = c_pointer(s, s->res[i].js, frag ? frag : "", &r);
		if (*target == NULL) {
			c_fail(c, path, "cannot resolve \"%s\": no such "
			    "location in the document", ref);
			goto out;
		}
		*tpath = malloc(strlen(s->res[i].path) +
		    (frag ? strlen(frag) : 0) + 1);
		if (*tpath == NULL) {
			c_fail(c, path, "out of memory");
			goto out;
		}
		strcpy(*tpath, s->res[i].path);
		if (frag)
			strcat(*tpath, frag);
	} else {
		if ((a = anc_find(s, i, frag, 0)) == NULL) {
			c_fail(c, path, "cannot resolve \"%s\": no anchor "
			    "\"%s\"", ref, frag);
			goto out;
		}
		*target = a->js;
		(void)res_find_js(s, a->js, &r);
		if (asprintf(tpath, "%s#%s", s->res[i].path, frag) == -1) {
			*tpath = NULL;
			c_fail(c, path, "out of memory");
			goto out;
		}
		*anchor = frag;
		frag = NULL;
	}
	*tres = r;
	rc = 0;
out:
	free(uri);
	free(frag);
	return rc;
}

/* Compiles the target of the reference keyword kw of n. */
static int
c_refkw(struct comp *c, struct snode *n, const char *kw, struct snode **out,
    char **anchor)
{
	const json_t	*v = json_object_get(n->js, kw), *t;
	char		*tpath = NULL, *kpath;
	size_t		 tres = 0;
	int		 rc;

	*out = NULL;
	*anchor = NULL;
	if (v == NULL)
		return 0;
	if ((kpath = path_join(n->path, kw)) == NULL)
		return c_fail(c, n->path, "out of memory");
	if (!json_is_string(v)) {
		rc = c_fail(c, kpath, "must be a string (a URI reference)");
		free(kpath);
		return rc;
	}
	rc = c_resolve(c, kpath, n->res, json_string_value(v), &t, &tres,
	    &tpath, anchor);
	if (rc == 0 && (*out = c_node(c, t, tres, tpath)) == NULL)
		rc = -1;
	if (rc == -1) {
		/* The caller takes the anchor only on success. */
		free(*anchor);
		*anchor = NULL;
	}
	free(tpath);
	free(kpath);
	return rc;
}

/*
 * Compilation of one subschema and its keywords
 */

static int
c_sub(struct comp *c, struct snode *n, const char *kw, struct snode **out)
{
	const json_t	*v = json_object_get(n->js, kw);
	char		*p;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((p = path_join(n->path, kw)) == NULL)
		return c_fail(c, n->path, "out of memory");
	*out = c_node(c, v, n->res, p);
	free(p);
	return *out == NULL ? -1 : 0;
}

static int
c_list(struct comp *c, struct snode *n, const char *kw, const json_t *v,
    struct snode ***out, size_t *nout)
{
	char	*p, num[32];
	size_t	 i;

	*out = NULL;
	*nout = 0;
	if (v == NULL)
		return 0;
	if ((p = path_join(n->path, kw)) == NULL)
		return c_fail(c, n->path, "out of memory");
	if (!json_is_array(v) || json_array_size(v) == 0) {
		c_fail(c, p, "must be a non-empty array of schemas");
		free(p);
		return -1;
	}
	free(p);
	if ((*out = calloc(json_array_size(v), sizeof(**out))) == NULL)
		return c_fail(c, n->path, "out of memory");
	*nout = json_array_size(v);
	for (i = 0; i < *nout; i++) {
		snprintf(num, sizeof(num), "%zu", i);
		if ((p = path_join2(n->path, kw, num)) == NULL)
			return c_fail(c, n->path, "out of memory");
		(*out)[i] = c_node(c, json_array_get(v, i), n->res, p);
		free(p);
		if ((*out)[i] == NULL)
			return -1;
	}
	return 0;
}

static int
c_map(struct comp *c, struct snode *n, const char *kw, const json_t *v,
    struct skv **out, size_t *nout)
{
	const char	*key;
	char		*p;
	size_t		 i = 0;
	void		*it;

	*out = NULL;
	*nout = 0;
	if (v == NULL)
		return 0;
	if (!json_is_object(v)) {
		if ((p = path_join(n->path, kw)) == NULL)
			return c_fail(c, n->path, "out of memory");
		c_fail(c, p, "must be an object whose members are schemas");
		free(p);
		return -1;
	}
	if (json_object_size(v) == 0)
		return 0;
	if ((*out = calloc(json_object_size(v), sizeof(**out))) == NULL)
		return c_fail(c, n->path, "out of memory");
	for (it = json_object_iter((json_t *)v); it != NULL;
	    it = json_object_iter_next((json_t *)v, it)) {
		key = json_object_iter_key(it);
		if ((p = path_join2(n->path, kw, key)) == NULL)
			return c_fail(c, n->path, "out of memory");
		(*out)[i].name = key;
		(*out)[i].n = c_node(c, json_object_iter_value(it), n->res, p);
		free(p);
		if ((*out)[i].n == NULL)
			return -1;
		*nout = ++i;
	}
	return 0;
}

static int
c_number(struct comp *c, struct snode *n, const char *kw, const json_t **out)
{
	const json_t	*v = json_object_get(n->js, kw);
	char		*p;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_number(v)) {
		if ((p = path_join(n->path, kw)) == NULL)
			return c_fail(c, n->path, "out of memory");
		c_fail(c, p, "must be a number");
		free(p);
		return -1;
	}
	*out = v;
	return 0;
}

static int
c_count(struct comp *c, struct snode *n, const char *kw, long long *out)
{
	const json_t	*v = json_object_get(n->js, kw);
	double		 d;
	char		*p;

	*out = -1;
	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = json_integer_value(v);
		return 0;
	}
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d >= 0 && d == floor(d)) {
			*out = d >= 9.2e18 ? LLONG_MAX : (long long)d;
			return 0;
		}
	}
	if ((p = path_join(n->path, kw)) == NULL)
		return c_fail(c, n->path, "out of memory");
	c_fail(c, p, "must be a non-negative integer");
	free(p);
	return -1;
}

static int
c_types(struct comp *c, struct snode *n)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} names[] = {
		{ "null", ST_NULL }, { "boolean", ST_BOOLEAN },
		{ "object", ST_OBJECT }, { "array", ST_ARRAY },
		{ "number", ST_NUMBER }, { "string", ST_STRING },
		{ "integer", ST_INTEGER }
	};
	const json_t	*v = json_object_get(n->js, "type"), *e;
	char		*p;
	size_t		 i, k, cnt;

	if (v == NULL)
		return 0;
	cnt = json_is_array(v) ? json_array_size(v) : 1;
	for (i = 0; i < cnt; i++) {
		e = json_is_array(v) ? json_array_get(v, i) : v;
		for (k = 0; json_is_string(e) && k < sizeof(names) /
		    sizeof(names[0]); k++)
			if (strcmp(json_string_value(e), names[k].name) == 0)
				break;
		if (!json_is_string(e) ||
		    k == sizeof(names) / sizeof(names[0]) ||
		    (n->types & names[k].bit)) {
			if ((p = path_join(n->path, "type")) == NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be one of \"null\", \"boolean\", "
			    "\"object\", \"array\", \"number\", \"string\", "
			    "\"integer\", or an array of distinct ones");
			free(p);
			return -1;
		}
		n->types |= names[k].bit;
	}
	if (cnt == 0) {
		if ((p = path_join(n->path, "type")) == NULL)
			return c_fail(c, n->path, "out of memory");
		c_fail(c, p, "must not be an empty array");
		free(p);
		return -1;
	}
	return 0;
}

static int
c_strings(struct comp *c, struct snode *n, const char *kw, const json_t *v)
{
	char	*p;
	size_t	 i;

	for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			break;
	if (json_is_array(v) && i == json_array_size(v))
		return 0;
	if ((p = path_join(n->path, kw)) == NULL)
		return c_fail(c, n->path, "out of memory");
	c_fail(c, p, "must be an array of strings");
	free(p);
	return -1;
}

static int
c_regex(struct comp *c, const char *path, const char *src,
    struct schema_regex *re)
{
	char	 e[160];

	if (schema_regex_compile(re, src, strlen(src), e, sizeof(e)) == -1)
		return c_fail(c, path, "%s", e);
	return 0;
}

static int
c_dialect(struct comp *c, const json_t *doc)
{
	const json_t	*v;
	const char	*d;

	if (!json_is_object(doc) ||
	    (v = json_object_get(doc, "$schema")) == NULL)
		return 0;
	if (!json_is_string(v))
		return c_fail(c, "/$schema", "must be a string (a dialect "
		    "URI)");
	d = json_string_value(v);
	if (strcmp(d, "https://json-schema.org/draft/2020-12/schema") == 0 ||
	    strcmp(d, "https://json-schema.org/draft/2020-12/schema#") == 0)
		return 0;
	if (strcmp(d, "http://json-schema.org/draft-07/schema#") == 0 ||
	    strcmp(d, "http://json-schema.org/draft-07/schema") == 0 ||
	    strcmp(d, "https://json-schema.org/draft-07/schema#") == 0 ||
	    strcmp(d, "https://json-schema.org/draft-07/schema") == 0) {
		c->s->draft7 = 1;
		return 0;
	}
	return c_fail(c, "/$schema", "unsupported dialect \"%.100s\"; use "
	    "\"https://json-schema.org/draft/2020-12/schema\" (or draft-07)",
	    d);
}

static int
c_keywords(struct comp *c, struct snode *n)
{
	struct schema	*s = c->s;
	const json_t	*js = n->js, *v;
	struct snode	*dummy;
	char		*p, *anchor = NULL;
	size_t		 i;
	int		 draft7_ref;

	/* Locations for references, compiled so errors surface now. */
	for (i = 0; i < 2; i++) {
		const char	*kw = i == 0 ? "$defs" : "definitions";
		struct skv	*tmp;
		size_t		 ntmp;
		int		 rc;

		if ((v = json_object_get(js, kw)) == NULL ||
		    (i == 1 && !json_is_object(v)))
			continue;
		rc = c_map(c, n, kw, v, &tmp, &ntmp);
		free(tmp);
		if (rc == -1)
			return -1;
	}

	/* draft-07 §8.3: all other members of a $ref object are ignored. */
	draft7_ref = s->draft7 && json_object_get(js, "$ref") != NULL;
	if (c_refkw(c, n, "$ref", &n->ref, &anchor) == -1)
		return -1;
	free(anchor);
	anchor = NULL;
	if (draft7_ref)
		return 0;
	if (!s->draft7) {
		if (c_refkw(c, n, "$dynamicRef", &n->dynref, &anchor) == -1)
			return -1;
		/* 2020-12 §8.2.3.2: rebinds only if the target is bookended. */
		if (anchor != NULL) {
			v = json_object_get(n->dynref->js, "$dynamicAnchor");
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), anchor) == 0)
				n->dynname = json_string_value(v);
			free(anchor);
		}
	}

	if (c_types(c, n) == -1)
		return -1;
	if ((v = json_object_get(js, "enum")) != NULL) {
		if (!json_is_array(v)) {
			if ((p = path_join(n->path, "enum")) == NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be an array");
			free(p);
			return -1;
		}
		n->enumv = v;
	}
	n->constv = json_object_get(js, "const");

	if (c_number(c, n, "minimum", &n->minimum) == -1 ||
	    c_number(c, n, "maximum", &n->maximum) == -1 ||
	    c_number(c, n, "exclusiveMinimum", &n->xmin) == -1 ||
	    c_number(c, n, "exclusiveMaximum", &n->xmax) == -1 ||
	    c_number(c, n, "multipleOf", &n->multiple) == -1)
		return -1;
	if (n->multiple != NULL && json_number_value(n->multiple) <= 0) {
		if ((p = path_join(n->path, "multipleOf")) == NULL)
			return c_fail(c, n->path, "out of memory");
		c_fail(c, p, "must be greater than 0");
		free(p);
		return -1;
	}

	if (c_count(c, n, "minLength", &n->minlen) == -1 ||
	    c_count(c, n, "maxLength", &n->maxlen) == -1 ||
	    c_count(c, n, "minItems", &n->minitems) == -1 ||
	    c_count(c, n, "maxItems", &n->maxitems) == -1 ||
	    c_count(c, n, "minContains", &n->mincontains) == -1 ||
	    c_count(c, n, "maxContains", &n->maxcontains) == -1 ||
	    c_count(c, n, "minProperties", &n->minprops) == -1 ||
	    c_count(c, n, "maxProperties", &n->maxprops) == -1)
		return -1;

	if ((v = json_object_get(js, "pattern")) != NULL) {
		if ((p = path_join(n->path, "pattern")) == NULL)
			return c_fail(c, n->path, "out of memory");
		if (!json_is_string(v)) {
			c_fail(c, p, "must be a string (a regular "
			    "expression)");
			free(p);
			return -1;
		}
		n->patsrc = json_string_value(v);
		if ((n->pattern = calloc(1, sizeof(*n->pattern))) == NULL) {
			free(p);
			return c_fail(c, n->path, "out of memory");
		}
		i = c_regex(c, p, n->patsrc, n->pattern) == -1;
		free(p);
		if (i)
			return -1;
	}
	if ((v = json_object_get(js, "format")) != NULL) {
		if (!json_is_string(v)) {
			if ((p = path_join(n->path, "format")) == NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be a string");
			free(p);
			return -1;
		}
		if (!(s->flags & SCHEMA_F_FORMAT_ANNOTATE))
			n->format = schema_format_lookup(json_string_value(v));
	}

	/* Arrays. */
	if ((v = json_object_get(js, "uniqueItems")) != NULL) {
		if (!json_is_boolean(v)) {
			if ((p = path_join(n->path, "uniqueItems")) == NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be a boolean");
			free(p);
			return -1;
		}
		n->unique = json_is_true(v);
	}
	v = json_object_get(js, "items");
	if (s->draft7 && json_is_array(v)) {
		/* draft-07 tuple form: items[] and additionalItems. */
		if (json_array_size(v) > 0 &&
		    c_list(c, n, "items", v, &n->prefix, &n->nprefix) == -1)
			return -1;
		if (c_sub(c, n, "additionalItems", &n->items) == -1)
			return -1;
	} else {
		if (json_is_array(v)) {
			if ((p = path_join(n->path, "items")) == NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be a schema (for a tuple, use "
			    "\"prefixItems\" in draft 2020-12)");
			free(p);
			return -1;
		}
		if (c_sub(c, n, "items", &n->items) == -1)
			return -1;
		if (!s->draft7 && c_list(c, n, "prefixItems",
		    json_object_get(js, "prefixItems"), &n->prefix,
		    &n->nprefix) == -1)
			return -1;
	}
	if (c_sub(c, n, "contains", &n->contains) == -1 ||
	    c_sub(c, n, "unevaluatedItems", &n->uitems) == -1)
		return -1;

	/* Objects. */
	if ((v = json_object_get(js, "required")) != NULL) {
		if (c_strings(c, n, "required", v) == -1)
			return -1;
		n->required = v;
	}
	if (c_map(c, n, "properties", json_object_get(js, "properties"),
	    &n->props, &n->nprops) == -1)
		return -1;
	if ((v = json_object_get(js, "patternProperties")) != NULL) {
		struct skv	*tmp;
		size_t		 ntmp;

		if (c_map(c, n, "patternProperties", v, &tmp, &ntmp) == -1) {
			free(tmp);
			return -1;
		}
		if (ntmp > 0 &&
		    (n->pprops = calloc(ntmp, sizeof(*n->pprops))) == NULL) {
			free(tmp);
			return c_fail(c, n->path, "out of memory");
		}
		for (i = 0; i < ntmp; i++) {
			n->pprops[i].src = tmp[i].name;
			n->pprops[i].n = tmp[i].n;
			n->npprops = i + 1;
			if ((p = path_join2(n->path, "patternProperties",
			    tmp[i].name)) == NULL) {
				free(tmp);
				return c_fail(c, n->path, "out of memory");
			}
			if (c_regex(c, p, tmp[i].name, &n->pprops[i].re) ==
			    -1) {
				free(p);
				free(tmp);
				return -1;
			}
			free(p);
		}
		free(tmp);
	}
	if (c_sub(c, n, "additionalProperties", &n->addl) == -1 ||
	    c_sub(c, n, "propertyNames", &n->pnames) == -1 ||
	    c_sub(c, n, "unevaluatedProperties", &n->uprops) == -1)
		return -1;
	if ((v = json_object_get(js, "dependentRequired")) != NULL) {
		const char	*key;
		const json_t	*e;

		if (!json_is_object(v)) {
			if ((p = path_join(n->path, "dependentRequired")) ==
			    NULL)
				return c_fail(c, n->path, "out of memory");
			c_fail(c, p, "must be an object of string arrays");
			free(p);
			return -1;
		}
		json_object_foreach((json_t *)v, key, e)
			if (c_strings(c, n, "dependentRequired", e) == -1)
				return -1;
		n->depreq = v;
	}
	if (c_map(c, n, "dependentSchemas",
	    json_object_get(js, "dependentSchemas"), &n->depsch,
	    &n->ndepsch) == -1)
		return -1;
	if ((v = json_object_get(js, "dependencies")) != NULL &&
	    json_is_object(v) && n->depreq == NULL && n->depsch == NULL) {
		/* draft-07: arrays are dependentRequired, the rest schemas. */
		const char	*key;
		const json_t	*e;
		size_t		 k = 0;

		if ((n->depsch = calloc(json_object_size(v) + 1,
		    sizeof(*n->depsch))) == NULL)
			return c_fail(c, n->path, "out of memory");
		json_object_foreach((json_t *)v, key, e) {
			if (json_is_array(e)) {
				if (c_strings(c, n, "dependencies", e) == -1)
					return -1;
				n->depreq = v;
				continue;
			}
			if ((p = path_join2(n->path, "dependencies", key)) ==
			    NULL)
				return c_fail(c, n->path, "out of memory");
			n->depsch[k].name = key;
			n->depsch[k].n = c_node(c, e, n->res, p);
			free(p);
			if (n->depsch[k].n == NULL)
				return -1;
			n->ndepsch = ++k;
		}
	}

	/* Applicators. */
	if (c_list(c, n, "allOf", json_object_get(js, "allOf"), &n->allof,
	    &n->nallof) == -1 ||
	    c_list(c, n, "anyOf", json_object_get(js, "anyOf"), &n->anyof,
	    &n->nanyof) == -1 ||
	    c_list(c, n, "oneOf", json_object_get(js, "oneOf"), &n->oneof,
	    &n->noneof) == -1)
		return -1;
	if (c_sub(c, n, "not", &n->notn) == -1 ||
	    c_sub(c, n, "if", &n->ifn) == -1 ||
	    c_sub(c, n, "then", &n->thenn) == -1 ||
	    c_sub(c, n, "else", &n->elsen) == -1)
		return -1;
	/* Not an assertion; compiled only so that its $refs are checked. */
	if (c_sub(c, n, "contentSchema", &dummy) == -1)
		return -1;
	return 0;
}

static void
node_free(struct snode *n)
{
	size_t	 i;

	if (n == NULL)
		return;
	free(n->path);
	if (n->pattern != NULL) {
		schema_regex_free(n->pattern);
		free(n->pattern);
	}
	for (i = 0; i < n->npprops; i++)
		schema_regex_free(&n->pprops[i].re);
	free(n->pprops);
	free(n->prefix);
	free(n->props);
	free(n->depsch);
	free(n->allof);
	free(n->anyof);
	free(n->oneof);
	free(n);
}

static struct snode *
c_node(struct comp *c, const json_t *js, size_t res, const char *path)
{
	struct snode	*n;
	int		 rc;

	if ((n = tab_get(c->s, js)) != NULL)
		return n;
	if (!json_is_object(js) && !json_is_boolean(js)) {
		c_fail(c, path, "must be a schema (an object or a boolean)");
		return NULL;
	}
	if (c->depth >= SCHEMA_MAX_DEPTH) {
		c_fail(c, path, "schema nests (or references) deeper than %d",
		    SCHEMA_MAX_DEPTH);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		c_fail(c, path, "out of memory");
		return NULL;
	}
	n->js = js;
	n->minlen = n->maxlen = n->minitems = n->maxitems = -1;
	n->mincontains = n->maxcontains = n->minprops = n->maxprops = -1;
	n->boolean = json_is_boolean(js) ? json_is_true(js) : -1;
	n->res = res;
	(void)res_find_js(c->s, js, &n->res);
	if ((n->path = strdup(path)) == NULL || tab_put(c->s, n) == -1) {
		node_free(n);
		c_fail(c, path, "out of memory");
		return NULL;
	}
	if (n->boolean != -1)
		return n;
	c->depth++;
	rc = c_keywords(c, n);
	c->depth--;
	return rc == -1 ? NULL : n;
}

/*
 * A cycle through in-place applicators ($ref, allOf, ...) evaluates the
 * same instance forever; reject it (the colour is n->mark).
 */
static int
c_cycles(struct comp *c, struct snode *n, int depth)
{
	struct snode	*next[8];
	size_t		 i, k = 0;

	if (n->mark == 2)
		return 0;
	if (n->mark == 1)
		return c_fail(c, n->path, "references loop back to this "
		    "schema without consuming any input");
	if (depth > SCHEMA_MAX_DEPTH)
		return c_fail(c, n->path, "references nest deeper than %d",
		    SCHEMA_MAX_DEPTH);
	n->mark = 1;
	next[k++] = n->ref;
	next[k++] = n->dynref;
	next[k++] = n->notn;
	next[k++] = n->ifn;
	next[k++] = n->thenn;
	next[k++] = n->elsen;
	for (i = 0; i < k; i++)
		if (next[i] != NULL && c_cycles(c, next[i], depth + 1) == -1)
			return -1;
	for (i = 0; i < n->nallof; i++)
		if (c_cycles(c, n->allof[i], depth + 1) == -1)
			return -1;
	for (i = 0; i < n->nanyof; i++)
		if (c_cycles(c, n->anyof[i], depth + 1) == -1)
			return -1;
	for (i = 0; i < n->noneof; i++)
		if (c_cycles(c, n->oneof[i], depth + 1) == -1)
			return -1;
	for (i = 0; i < n->ndepsch; i++)
		if (c_cycles(c, n->depsch[i].n, depth + 1) == -1)
			return -1;
	n->mark = 2;
	return 0;
}

struct schema *
schema_compile(json_t *doc, char *err, size_t errlen)
{
	return schema_compile_flags(doc, 0, err, errlen);
}

struct schema *
schema_compile_flags(json_t *doc, unsigned int flags, char *err,
    size_t errlen)
{
	struct schema	*s;
	struct comp	 c;
	const json_t	*id;
	char		*uri = NULL;
	size_t		 i, r;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.errlen = errlen;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		c_fail(&c, "", "out of memory");
		return NULL;
	}
	c.s = s;
	s->flags = flags;
	if (doc == NULL) {
		c_fail(&c, "", "no schema");
		goto fail;
	}
	s->doc = json_incref(doc);
	if (c_dialect(&c, doc) == -1)
		goto fail;
	id = json_is_object(doc) ? json_object_get(doc, "$id") : NULL;
	if (json_is_string(id) && !(s->draft7 &&
	    json_string_value(id)[0] == '#'))
		uri = uri_resolve(SCHEMA_DEFAULT_BASE, json_string_value(id));
	else
		uri = strdup(SCHEMA_DEFAULT_BASE);
	if (uri == NULL) {
		c_fail(&c, "", "out of memory");
		goto fail;
	}
	if (strchr(uri, '#') != NULL)
		*strchr(uri, '#') = '\0';
	if (res_add(&c, uri, doc, "", &r) == -1)
		goto fail;
	if (idx_walk(&c, doc, 0, "", 0) == -1)
		goto fail;
	if ((s->root = c_node(&c, doc, 0, "")) == NULL)
		goto fail;
	for (i = 0; i < s->nanc; i++) {
		if (!s->anc[i].dynamic)
			continue;
		s->anc[i].node = tab_get(s, s->anc[i].js);
		if (s->anc[i].node == NULL &&
		    (s->anc[i].node = c_node(&c, s->anc[i].js, s->anc[i].res,
		    s->res[s->anc[i].res].path)) == NULL)
			goto fail;
	}
	for (i = 0; i < s->tabcap; i++)
		if (s->tab[i] != NULL && c_cycles(&c, s->tab[i], 0) == -1)
			goto fail;
	free(uri);
	return s;
fail:
	free(uri);
	schema_free(s);
	return NULL;
}

void
schema_free(struct schema *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->tabcap; i++)
		node_free(s->tab[i]);
	free(s->tab);
	for (i = 0; i < s->nres; i++) {
		free(s->res[i].uri);
		free(s->res[i].path);
	}
	free(s->res);
	for (i = 0; i < s->nanc; i++)
		free(s->anc[i].name);
	free(s->anc);
	json_decref(s->doc);
	free(s);
}

/*
 * JSON values: equality (numbers by value: 1 == 1.0), hashing, numbers
 */

static int
num_cmp(const json_t *a, const json_t *b)
{
	long long	 ai, t;
	double		 d, ad, bd;
	int		 flip = 1;

	if (json_is_integer(a) && json_is_integer(b)) {
		ai = json_integer_value(a);
		t = json_integer_value(b);
		return ai < t ? -1 : ai > t;
	}
	if (json_is_real(a) && json_is_real(b)) {
		ad = json_real_value(a);
		bd = json_real_value(b);
		return ad < bd ? -1 : ad > bd;
	}
	if (json_is_real(a)) {
		const json_t *tmp = a;

		a = b;
		b = tmp;
		flip = -1;
	}
	/* a is an integer, b a real: compare exactly. */
	ai = json_integer_value(a);
	d = json_real_value(b);
	if (d >= 9223372036854775808.0)
		return -flip;
	if (d < -9223372036854775808.0)
		return flip;
	t = (long long)d;
	if (ai != t)
		return ai < t ? -flip : flip;
	d -= (double)t;
	return d > 0 ? -flip : d < 0 ? flip : 0;
}

static int
json_eq(const json_t *a, const json_t *b)
{
	const char	*key;
	const json_t	*v;
	size_t		 i;

	if (json_is_number(a) && json_is_number(b))
		return num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!json_eq(json_array_get(a, i),
			    json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, key, v) {
			const json_t *w = json_object_get(b, key);

			if (w == NULL || !json_eq(v, w))
				return 0;
		}
		return 1;
	default:
		return 1;	/* null, true, false */
	}
}

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

static uint64_t
bytes_hash(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return mix(h ^ len);
}

/* Consistent with json_eq: equal values hash equal. */
static uint64_t
json_hash(const json_t *v)
{
	const char	*key;
	const json_t	*e;
	uint64_t	 h, sum;
	double		 d;
	size_t		 i;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		d = json_number_value(v);
		if (d == 0)
			d = 0;
		memcpy(&h, &d, sizeof(h));
		return mix(h ^ 0x5);
	case JSON_STRING:
		return bytes_hash(json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		h = 0x7;
		for (i = 0; i < json_array_size(v); i++)
			h = mix(h * 31 + json_hash(json_array_get(v, i)));
		return h;
	case JSON_OBJECT:
		sum = 0x11;
		json_object_foreach((json_t *)v, key, e)
			sum += mix(bytes_hash(key, strlen(key)) ^
			    (json_hash(e) * 0x9e3779b97f4a7c15ULL));
		return sum;
	case JSON_TRUE:
		return 0x21;
	case JSON_FALSE:
		return 0x22;
	default:
		return 0x23;
	}
}

static unsigned int
inst_types(const json_t *v)
{
	double	 d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return ST_OBJECT;
	case JSON_ARRAY:
		return ST_ARRAY;
	case JSON_STRING:
		return ST_STRING;
	case JSON_INTEGER:
		return ST_NUMBER | ST_INTEGER;
	case JSON_REAL:
		d = json_real_value(v);
		return isfinite(d) && d == floor(d) ?
		    ST_NUMBER | ST_INTEGER : ST_NUMBER;
	case JSON_TRUE:
	case JSON_FALSE:
		return ST_BOOLEAN;
	default:
		return ST_NULL;
	}
}

/*
 * multipleOf: exact for integers; for reals, a quotient within a few ulps
 * of an integer counts, so 0.0075 is a multiple of 0.0001 although
 * neither is exact in binary.
 */
static int
num_multiple(const json_t *v, const json_t *m)
{
	double	 q, r;

	if (json_is_integer(v) && json_is_integer(m))
		return json_integer_value(v) % json_integer_value(m) == 0;
	q = json_number_value(v) / json_number_value(m);
	if (!isfinite(q))	/* huge quotient: fmod is exact */
		return fmod(json_number_value(v), json_number_value(m)) == 0;
	r = nearbyint(q);
	return fabs(q - r) <= 8 * 2.220446049250313e-16 * fmax(1.0, fabs(q));
}

/*
 * Messages
 */

static size_t
utf8_len(const char *s, size_t len)
{
	size_t	 i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static void
fmt_num(const json_t *v, char *buf, size_t len)
{
	double	 d;
	int	 prec;

	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return;
	}
	d = json_real_value(v);
	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, len, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, len, "%.17g", d);
}

/* Quotes s as a JSON string, cut at SCHEMA_QUOTE_MAX bytes. */
static void
fmt_quote(const char *s, size_t slen, char *buf, size_t len)
{
	size_t	 i, o = 0, lim = slen;
	char	 tmp[8];

	if (len < 8)
		return;
	if (lim > SCHEMA_QUOTE_MAX) {
		lim = SCHEMA_QUOTE_MAX - 8;
		while (lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80)
			lim--;
	}
	buf[o++] = '"';
	for (i = 0; i < lim && o + 8 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", c);
			memcpy(buf + o, tmp, 6);
			o += 6;
		} else
			buf[o++] = (char)c;
	}
	if (lim < slen && o + 5 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* Describes a value for "you passed ...". */
static void
fmt_value(const json_t *v, char *buf, size_t len)
{
	size_t	 n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		if (n == 0)
			snprintf(buf, len, "an empty object");
		else
			snprintf(buf, len, "an object with %zu member%s", n,
			    n == 1 ? "" : "s");
		break;
	case JSON_ARRAY:
		n = json_array_size(v);
		if (n == 0)
			snprintf(buf, len, "an empty array");
		else
			snprintf(buf, len, "an array of %zu item%s", n,
			    n == 1 ? "" : "s");
		break;
	case JSON_STRING:
		fmt_quote(json_string_value(v), json_string_length(v), buf,
		    len);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		fmt_num(v, buf, len);
		break;
	case JSON_TRUE:
		snprintf(buf, len, "true");
		break;
	case JSON_FALSE:
		snprintf(buf, len, "false");
		break;
	default:
		snprintf(buf, len, "null");
		break;
	}
}

static void
fmt_types(unsigned int t, char *buf, size_t len)
{
	static const struct {
		unsigned int	 bit;
		const char	*name;
	} names[] = {
		{ ST_OBJECT, "an object" }, { ST_ARRAY, "an array" },
		{ ST_STRING, "a string" }, { ST_NUMBER, "a number" },
		{ ST_INTEGER, "an integer" }, { ST_BOOLEAN, "a boolean" },
		{ ST_NULL, "null" }
	};
	size_t	 i, o = 0, cnt = 0, total = 0;

	if (t & ST_NUMBER)
		t &= ~(unsigned int)ST_INTEGER;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (t & names[i].bit)
			total++;
	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(t & names[i].bit))
			continue;
		cnt++;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
		    cnt == 1 ? "" : cnt == total ? " or " : ", ",
		    names[i].name);
		if (o >= len)
			return;
	}
}

/*
 * Validation
 */

static void
v_err(struct vctx *c, const char *kw, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
v_err(struct vctx *c, const char *kw, const char *fmt, ...)
{
	struct schema_error	*e;
	va_list			 ap;
	int			 n;

	if (c->quiet)
		return;
	c->rep->ntotal++;
	if (c->rep->nerrors >= SCHEMA_MAX_ERRORS)
		return;
	e = &c->rep->err[c->rep->nerrors++];
	memcpy(e->path, c->path, c->plen);
	e->path[c->plen] = '\0';
	snprintf(e->keyword, sizeof(e->keyword), "%s", kw);
	n = snprintf(e->message, sizeof(e->message), "%s ",
	    c->plen ? c->path : "the value");
	if (n < 0 || (size_t)n >= sizeof(e->message))
		return;
	va_start(ap, fmt);
	vsnprintf(e->message + n, sizeof(e->message) - (size_t)n, fmt, ap);
	va_end(ap);
}

static size_t
v_push(struct vctx *c, const char *seg, size_t seglen)
{
	size_t	 old = c->plen, i;

	if (c->plen + 1 < sizeof(c->path))
		c->path[c->plen++] = '/';
	for (i = 0; i < seglen && c->plen + 1 < sizeof(c->path); i++) {
		if (seg[i] == '~' || seg[i] == '/') {
			if (c->plen + 2 >= sizeof(c->path))
				break;
			c->path[c->plen++] = '~';
			c->path[c->plen++] = seg[i] == '~' ? '0' : '1';
		} else
			c->path[c->plen++] = seg[i];
	}
	c->path[c->plen] = '\0';
	return old;
}

static size_t
v_push_idx(struct vctx *c, size_t idx)
{
	char	 num[32];
	int	 n;

	n = snprintf(num, sizeof(num), "%zu", idx);
	return v_push(c, num, (size_t)n);
}

static void
v_pop(struct vctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

static int
ev_init(struct seval *ev, size_t n)
{
	ev->nbits = n;
	if (n <= SCHEMA_EVAL_INLINE * 64) {
		ev->bits = ev->inl;
		memset(ev->inl, 0, sizeof(ev->inl));
		return 0;
	}
	ev->bits = calloc((n + 63) / 64, sizeof(uint64_t));
	return ev->bits == NULL ? -1 : 0;
}

static void
ev_free(struct seval *ev)
{
	if (ev != NULL && ev->bits != ev->inl)
		free(ev->bits);
}

static void
ev_set(struct seval *ev, size_t i)
{
	if (ev != NULL && i < ev->nbits)
		ev->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static int
ev_get(const struct seval *ev, size_t i)
{
	return (ev->bits[i / 64] >> (i % 64)) & 1;
}

static void
ev_merge(struct seval *dst, const struct seval *src)
{
	size_t	 i;

	if (dst == NULL)
		return;
	for (i = 0; i < (dst->nbits + 63) / 64; i++)
		dst->bits[i] |= src->bits[i];
}

static size_t
inst_size(const json_t *v)
{
	return json_is_object(v) ? json_object_size(v) : json_array_size(v);
}

/* Does branch b plausibly describe inst (for anyOf/oneOf messages)? */
static int
v_fits(const struct snode *b, const json_t *inst, int hops)
{
	const json_t	*iv;
	size_t		 i;
	int		 any;

	if (hops <= 0 || b->boolean == 0)
		return b->boolean != 0;
	if (b->boolean == 1)
		return 1;
	if (b->types != 0 && !(b->types & inst_types(inst)))
		return 0;
	if (b->constv != NULL && !json_eq(b->constv, inst))
		return 0;
	if (b->enumv != NULL) {
		for (any = 0, i = 0; i < json_array_size(b->enumv); i++)
			if (json_eq(json_array_get(b->enumv, i), inst))
				any = 1;
		if (!any)
			return 0;
	}
	if (json_is_object(inst)) {
		for (i = 0; i < b->nprops; i++) {
			iv = json_object_get(inst, b->props[i].name);
			if (iv != NULL && !v_fits(b->props[i].n, iv, 1))
				return 0;
		}
	}
	for (i = 0; i < b->nallof; i++)
		if (!v_fits(b->allof[i], inst, hops - 1))
			return 0;
	if (b->ref != NULL)
		return v_fits(b->ref, inst, hops - 1);
	return 1;
}

static int
v_anyof(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev, int one)
{
	struct snode *const	*br = one ? n->oneof : n->anyof;
	size_t			 nbr = one ? n->noneof : n->nanyof;
	size_t			 i, valid = 0, fits = 0, fit = 0, first = 0;
	size_t			 second = 0;
	int			 r;

	c->quiet++;
	for (i = 0; i < nbr; i++) {
		r = v_node(c, br[i], inst, ev);
		if (r == -1) {
			c->quiet--;
			return -1;
		}
		if (r == 0) {
			if (valid == 0)
				first = i;
			else if (valid == 1)
				second = i;
			valid++;
			/* Without annotations, anyOf needs only one. */
			if (!one && ev == NULL)
				break;
			if (one && valid > 1 && c->quiet > 1)
				break;
		}
	}
	c->quiet--;
	if (one ? valid == 1 : valid > 0)
		return 0;
	if (c->quiet)
		return 1;
	if (valid > 1) {
		v_err(c, "oneOf", "must match exactly one of the %zu "
		    "alternatives in oneOf, but matches %zu (#%zu and #%zu "
		    "at least)", nbr, valid, first, second);
		return 1;
	}
	for (i = 0; i < nbr; i++)
		if (v_fits(br[i], inst, 4)) {
			fits++;
			fit = i;
		}
	if (fits == 1) {
		/* One alternative has the right shape: say what is wrong. */
		r = v_node(c, br[fit], inst, NULL);
		if (r == -1)
			return -1;
		if (r == 1)
			return 1;
	}
	v_err(c, one ? "oneOf" : "anyOf", "must match %s of the %zu "
	    "alternatives in %s, but matches none", one ? "exactly one" :
	    "at least one", nbr, one ? "oneOf" : "anyOf");
	return 1;
}

struct hent {
	uint64_t	 h;
	size_t		 i;
};

static int
hent_cmp(const void *a, const void *b)
{
	const struct hent	*x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* uniqueItems: 1 and OUT *a < *b equal items, 0 all distinct, -1 OOM. */
static int
v_unique(struct vctx *c, const json_t *inst, size_t *a, size_t *b)
{
	struct hent	*t;
	size_t		 n = json_array_size(inst), i, j, k;
	int		 found = 0;

	if (n <= SCHEMA_UNIQUE_PAIRWISE) {
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (json_eq(json_array_get(inst, i),
				    json_array_get(inst, j))) {
					*a = i;
					*b = j;
					return 1;
				}
		return 0;
	}
	if ((t = calloc(n, sizeof(*t))) == NULL) {
		c->internal = 1;
		return -1;
	}
	for (i = 0; i < n; i++) {
		t[i].h = json_hash(json_array_get(inst, i));
		t[i].i = i;
	}
	qsort(t, n, sizeof(*t), hent_cmp);
	for (i = 0; i < n && !found; i = j) {
		for (j = i + 1; j < n && t[j].h == t[i].h; j++)
			continue;
		for (k = i; k < j && !found; k++) {
			size_t	 l;

			for (l = k + 1; l < j; l++)
				if (json_eq(json_array_get(inst, t[k].i),
				    json_array_get(inst, t[l].i))) {
					*a = t[k].i;
					*b = t[l].i;
					found = 1;
					break;
				}
		}
	}
	free(t);
	return found;
}

/* Records a failure; in quiet mode the verdict is all that matters. */
#define V_FAIL() do {							\
	bad = 1;							\
	if (c->quiet)							\
		return 1;						\
} while (0)

/* As V_CHECK, restoring the instance path before any return. */
#define V_CHECK_POP(r, old) do {					\
	if ((r) != 0 && ((r) == -1 || c->quiet))			\
		v_pop(c, old);						\
	if ((r) == -1)							\
		return -1;						\
	if ((r) != 0)							\
		V_FAIL();						\
} while (0)

#define V_CHECK(expr) do {						\
	int v_r_ = (expr);						\
	if (v_r_ == -1)							\
		return -1;						\
	if (v_r_ != 0)							\
		V_FAIL();						\
} while (0)

static int
v_number(struct vctx *c, const struct snode *n, const json_t *inst)
{
	char	 a[64], b[64];
	int	 bad = 0;

	fmt_num(inst, a, sizeof(a));
	if (n->minimum != NULL && num_cmp(inst, n->minimum) < 0) {
		fmt_num(n->minimum, b, sizeof(b));
		v_err(c, "minimum", "must be at least %s; you passed %s", b, a);
		V_FAIL();
	}
	if (n->maximum != NULL && num_cmp(inst, n->maximum) > 0) {
		fmt_num(n->maximum, b, sizeof(b));
		v_err(c, "maximum", "must be at most %s; you passed %s", b, a);
		V_FAIL();
	}
	if (n->xmin != NULL && num_cmp(inst, n->xmin) <= 0) {
		fmt_num(n->xmin, b, sizeof(b));
		v_err(c, "exclusiveMinimum", "must be greater than %s; you "
		    "passed %s", b, a);
		V_FAIL();
	}
	if (n->xmax != NULL && num_cmp(inst, n->xmax) >= 0) {
		fmt_num(n->xmax, b, sizeof(b));
		v_err(c, "exclusiveMaximum", "must be less than %s; you "
		    "passed %s", b, a);
		V_FAIL();
	}
	if (n->multiple != NULL && !num_multiple(inst, n->multiple)) {
		fmt_num(n->multiple, b, sizeof(b));
		v_err(c, "multipleOf", "must be a multiple of %s; you passed "
		    "%s", b, a);
		V_FAIL();
	}
	return bad;
}

static int
v_string(struct vctx *c, const struct snode *n, const json_t *inst)
{
	const char	*s = json_string_value(inst);
	size_t		 len = json_string_length(inst), cps;
	char		 a[SCHEMA_QUOTE_MAX + 16], p[SCHEMA_QUOTE_MAX + 16];
	int		 bad = 0, r;

	fmt_quote(s, len, a, sizeof(a));
	if (n->minlen >= 0 || n->maxlen >= 0) {
		cps = utf8_len(s, len);
		if (n->minlen >= 0 && cps < (unsigned long long)n->minlen) {
			v_err(c, "minLength", "must be at least %lld "
			    "character%s long; you passed %s (%zu)",
			    n->minlen, n->minlen == 1 ? "" : "s", a, cps);
			V_FAIL();
		}
		if (n->maxlen >= 0 && cps > (unsigned long long)n->maxlen) {
			v_err(c, "maxLength", "must be at most %lld "
			    "character%s long; you passed %zu",
			    n->maxlen, n->maxlen == 1 ? "" : "s", cps);
			V_FAIL();
		}
	}
	if (n->pattern != NULL) {
		if ((r = schema_regex_match(n->pattern, s, len)) == -1) {
			c->internal = 1;
			return -1;
		}
		if (r == 0) {
			fmt_quote(n->patsrc, strlen(n->patsrc), p, sizeof(p));
			v_err(c, "pattern", "must match the pattern %s; you "
			    "passed %s", p, a);
			V_FAIL();
		}
	}
	if (n->format != SCHEMA_FMT_NONE &&
	    !schema_format_check(n->format, s, len)) {
		v_err(c, "format", "must be %s; you passed %s",
		    schema_format_hint(n->format), a);
		V_FAIL();
	}
	return bad;
}

static int
v_array(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev)
{
	size_t		 size = json_array_size(inst), i, old, cnt, ia, ib;
	long long	 min;
	int		 bad = 0, r;

	if (n->minitems >= 0 && size < (unsigned long long)n->minitems) {
		v_err(c, "minItems", "must have at least %lld item%s; you "
		    "passed %zu", n->minitems, n->minitems == 1 ? "" : "s",
		    size);
		V_FAIL();
	}
	if (n->maxitems >= 0 && size > (unsigned long long)n->maxitems) {
		v_err(c, "maxItems", "must have at most %lld item%s; you "
		    "passed %zu", n->maxitems, n->maxitems == 1 ? "" : "s",
		    size);
		V_FAIL();
	}
	if (n->unique) {
		if ((r = v_unique(c, inst, &ia, &ib)) == -1)
			return -1;
		if (r == 1) {
			v_err(c, "uniqueItems", "must not contain duplicate "
			    "items; items %zu and %zu are equal", ia, ib);
			V_FAIL();
		}
	}
	for (i = 0; i < n->nprefix && i < size; i++) {
		old = v_push_idx(c, i);
		r = v_node(c, n->prefix[i], json_array_get(inst, i), NULL);
		v_pop(c, old);
		V_CHECK(r);
		ev_set(ev, i);
	}
	if (n->items != NULL && size > n->nprefix) {
		if (n->items->boolean == 0) {
			v_err(c, "items", "must have at most %zu item%s; you "
			    "passed %zu", n->nprefix, n->nprefix == 1 ? "" :
			    "s", size);
			V_FAIL();
		}
		for (i = n->nprefix; i < size; i++) {
			old = v_push_idx(c, i);
			r = v_node(c, n->items, json_array_get(inst, i), NULL);
			v_pop(c, old);
			V_CHECK(r);
			ev_set(ev, i);
		}
	}
	if (n->contains != NULL) {
		min = n->mincontains >= 0 ? n->mincontains : 1;
		cnt = 0;
		c->quiet++;
		for (i = 0; i < size; i++) {
			r = v_node(c, n->contains, json_array_get(inst, i),
			    NULL);
			if (r == -1) {
				c->quiet--;
				return -1;
			}
			if (r == 0) {
				cnt++;
				ev_set(ev, i);
				if (ev == NULL && n->maxcontains < 0 &&
				    cnt >= (unsigned long long)min)
					break;
			}
		}
		c->quiet--;
		if (cnt < (unsigned long long)min) {
			if (n->mincontains < 0)
				v_err(c, "contains", "must contain at least "
				    "one item that matches the \"contains\" "
				    "schema; none does");
			else
				v_err(c, "minContains", "must contain at "
				    "least %lld items that match the "
				    "\"contains\" schema; it has %zu", min,
				    cnt);
			V_FAIL();
		}
		if (n->maxcontains >= 0 &&
		    cnt > (unsigned long long)n->maxcontains) {
			v_err(c, "maxContains", "must contain at most %lld "
			    "items that match the \"contains\" schema; it has "
			    "%zu", n->maxcontains, cnt);
			V_FAIL();
		}
	}
	return bad;
}

/* Lists the declared property names into buf, for messages. */
static void
fmt_props(const struct snode *n, char *buf, size_t len)
{
	size_t	 i, o = 0;
	int	 w;

	buf[0] = '\0';
	for (i = 0; i < n->nprops; i++) {
		w = snprintf(buf + o, len - o, "%s\"%s\"", i ? ", " : "",
		    n->props[i].name);
		if (w < 0 || (size_t)w >= len - o) {
			if (len > 5) {
				o = o < len - 5 ? o : len - 5;
				memcpy(buf + o, ", ...", 5);
				buf[len - 1] = '\0';
				buf[o + 5 < len ? o + 5 : len - 1] = '\0';
			}
			return;
		}
		o += (size_t)w;
	}
}

static int
v_object(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev)
{
	const json_t	*v, *props;
	const char	*key;
	struct snode	*child;
	size_t		 size = json_object_size(inst), i, k, old;
	char		 list[160], q[SCHEMA_QUOTE_MAX + 16];
	int		 bad = 0, r, matched;
	void		*it;

	if (n->minprops >= 0 && size < (unsigned long long)n->minprops) {
		v_err(c, "minProperties", "must have at least %lld "
		    "propert%s; you passed %zu", n->minprops,
		    n->minprops == 1 ? "y" : "ies", size);
		V_FAIL();
	}
	if (n->maxprops >= 0 && size > (unsigned long long)n->maxprops) {
		v_err(c, "maxProperties", "must have at most %lld "
		    "propert%s; you passed %zu", n->maxprops,
		    n->maxprops == 1 ? "y" : "ies", size);
		V_FAIL();
	}
	for (i = 0; n->required != NULL && i < json_array_size(n->required);
	    i++) {
		key = json_string_value(json_array_get(n->required, i));
		if (json_object_get(inst, key) == NULL) {
			v_err(c, "required", "is missing the required "
			    "property \"%s\"", key);
			V_FAIL();
		}
	}
	if (n->depreq != NULL) {
		const json_t	*deps;

		json_object_foreach((json_t *)n->depreq, key, deps) {
			if (!json_is_array(deps) ||
			    json_object_get(inst, key) == NULL)
				continue;
			for (k = 0; k < json_array_size(deps); k++) {
				const char *d = json_string_value(
				    json_array_get(deps, k));

				if (json_object_get(inst, d) != NULL)
					continue;
				v_err(c, "dependentRequired", "has \"%s\", so "
				    "it must also have \"%s\"", key, d);
				V_FAIL();
			}
		}
	}
	props = json_object_get(n->js, "properties");
	if (n->nprops > 0 || n->npprops > 0 || n->addl != NULL) {
		i = 0;
		for (it = json_object_iter((json_t *)inst); it != NULL;
		    it = json_object_iter_next((json_t *)inst, it), i++) {
			key = json_object_iter_key(it);
			v = json_object_iter_value(it);
			matched = 0;
			old = v_push(c, key, strlen(key));
			if (n->nprops > 0 && (child = tab_get(c->s,
			    json_object_get(props, key))) != NULL) {
				matched = 1;
				r = v_node(c, child, v, NULL);
				V_CHECK_POP(r, old);
			}
			for (k = 0; k < n->npprops; k++) {
				r = schema_regex_match(&n->pprops[k].re, key,
				    strlen(key));
				if (r == -1) {
					c->internal = 1;
					v_pop(c, old);
					return -1;
				}
				if (r == 0)
					continue;
				matched = 1;
				r = v_node(c, n->pprops[k].n, v, NULL);
				V_CHECK_POP(r, old);
			}
			if (!matched && n->addl != NULL) {
				matched = 1;
				if (n->addl->boolean == 0) {
					fmt_props(n, list, sizeof(list));
					v_err(c, "additionalProperties", "is "
					    "not an allowed property%s%s%s",
					    list[0] ? " (expected one of " : "",
					    list, list[0] ? ")" : "");
					r = 1;
				} else
					r = v_node(c, n->addl, v, NULL);
				V_CHECK_POP(r, old);
			}
			v_pop(c, old);
			if (matched)
				ev_set(ev, i);
		}
	}
	if (n->pnames != NULL) {
		json_t	*kj;

		json_object_foreach((json_t *)inst, key, v) {
			if ((kj = json_string(key)) == NULL) {
				c->internal = 1;
				return -1;
			}
			c->quiet++;
			r = v_node(c, n->pnames, kj, NULL);
			c->quiet--;
			json_decref(kj);
			if (r == -1)
				return -1;
			if (r == 1) {
				fmt_quote(key, strlen(key), q, sizeof(q));
				v_err(c, "propertyNames", "has a property "
				    "name that the schema does not allow: %s",
				    q);
				V_FAIL();
			}
		}
	}
	for (k = 0; k < n->ndepsch; k++) {
		if (json_object_get(inst, n->depsch[k].name) == NULL)
			continue;
		V_CHECK(v_node(c, n->depsch[k].n, inst, ev));
	}
	return bad;
}

static int
v_uneval(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev)
{
	const char	*key;
	const json_t	*v;
	size_t		 i, old;
	int		 bad = 0, r;
	void		*it;

	if (n->uitems != NULL && json_is_array(inst)) {
		for (i = 0; i < json_array_size(inst); i++) {
			if (ev_get(ev, i))
				continue;
			old = v_push_idx(c, i);
			if (n->uitems->boolean == 0) {
				v_err(c, "unevaluatedItems", "is not allowed: "
				    "the schema does not describe this item");
				r = 1;
			} else
				r = v_node(c, n->uitems,
				    json_array_get(inst, i), NULL);
			v_pop(c, old);
			V_CHECK(r);
		}
		for (i = 0; i < json_array_size(inst); i++)
			ev_set(ev, i);
	}
	if (n->uprops != NULL && json_is_object(inst)) {
		i = 0;
		for (it = json_object_iter((json_t *)inst); it != NULL;
		    it = json_object_iter_next((json_t *)inst, it), i++) {
			if (ev_get(ev, i))
				continue;
			key = json_object_iter_key(it);
			v = json_object_iter_value(it);
			old = v_push(c, key, strlen(key));
			if (n->uprops->boolean == 0) {
				v_err(c, "unevaluatedProperties", "is not an "
				    "allowed property");
				r = 1;
			} else
				r = v_node(c, n->uprops, v, NULL);
			v_pop(c, old);
			V_CHECK(r);
		}
		for (i = 0; i < json_object_size(inst); i++)
			ev_set(ev, i);
	}
	return bad;
}

static int
v_body(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev)
{
	const struct snode	*t;
	const struct sanchor	*a;
	unsigned int		 it = inst_types(inst);
	char			 want[96], got[SCHEMA_QUOTE_MAX + 16];
	char			 list[160];
	size_t			 i, o;
	int			 bad = 0, r;

	if (n->ref != NULL)
		V_CHECK(v_node(c, n->ref, inst, ev));
	if (n->dynref != NULL) {
		t = n->dynref;
		/* 2020-12 §8.2.3.2: the outermost dynamic anchor wins. */
		for (i = 0; n->dynname != NULL && i < c->nscope; i++)
			if ((a = anc_find(c->s, c->scope[i], n->dynname,
			    1)) != NULL && a->node != NULL) {
				t = a->node;
				break;
			}
		V_CHECK(v_node(c, t, inst, ev));
	}
	if (n->types != 0 && !(n->types & it)) {
		fmt_types(n->types, want, sizeof(want));
		fmt_value(inst, got, sizeof(got));
		v_err(c, "type", "must be %s; you passed %s", want, got);
		V_FAIL();
	}
	if (n->enumv != NULL) {
		for (i = 0; i < json_array_size(n->enumv); i++)
			if (json_eq(json_array_get(n->enumv, i), inst))
				break;
		if (i == json_array_size(n->enumv)) {
			snprintf(list, sizeof(list), "nothing (the enum is "
			    "empty)");
			for (i = 0, o = 0; i < json_array_size(n->enumv) &&
			    o + 1 < sizeof(list); i++) {
				fmt_value(json_array_get(n->enumv, i), got,
				    sizeof(got));
				o += (size_t)snprintf(list + o,
				    sizeof(list) - o, "%s%s", i ? ", " : "",
				    got);
			}
			if (o >= sizeof(list))
				memcpy(list + sizeof(list) - 5, "...", 4);
			fmt_value(inst, got, sizeof(got));
			v_err(c, "enum", "must be one of %s; you passed %s",
			    list, got);
			V_FAIL();
		}
	}
	if (n->constv != NULL && !json_eq(n->constv, inst)) {
		fmt_value(n->constv, list, sizeof(list));
		fmt_value(inst, got, sizeof(got));
		v_err(c, "const", "must be %s; you passed %s", list, got);
		V_FAIL();
	}
	if (it & ST_NUMBER)
		V_CHECK(v_number(c, n, inst));
	else if (it & ST_STRING)
		V_CHECK(v_string(c, n, inst));
	else if (it & ST_ARRAY)
		V_CHECK(v_array(c, n, inst, ev));
	else if (it & ST_OBJECT)
		V_CHECK(v_object(c, n, inst, ev));

	for (i = 0; i < n->nallof; i++)
		V_CHECK(v_node(c, n->allof[i], inst, ev));
	if (n->nanyof > 0)
		V_CHECK(v_anyof(c, n, inst, ev, 0));
	if (n->noneof > 0)
		V_CHECK(v_anyof(c, n, inst, ev, 1));
	if (n->notn != NULL) {
		c->quiet++;
		r = v_node(c, n->notn, inst, NULL);
		c->quiet--;
		if (r == -1)
			return -1;
		if (r == 0) {
			v_err(c, "not", "must not match the schema in "
			    "\"not\"");
			V_FAIL();
		}
	}
	if (n->ifn != NULL) {
		c->quiet++;
		r = v_node(c, n->ifn, inst, ev);
		c->quiet--;
		if (r == -1)
			return -1;
		if (r == 0 && n->thenn != NULL)
			V_CHECK(v_node(c, n->thenn, inst, ev));
		else if (r == 1 && n->elsen != NULL)
			V_CHECK(v_node(c, n->elsen, inst, ev));
	}
	if (ev != NULL && (n->uitems != NULL || n->uprops != NULL))
		V_CHECK(v_uneval(c, n, inst, ev));
	return bad;
}

static int
v_node(struct vctx *c, const struct snode *n, const json_t *inst,
    struct seval *ev)
{
	struct seval	 local, *lev;
	size_t		 oldscope = c->nscope;
	int		 r;

	if (n->boolean == 1)
		return 0;
	if (n->boolean == 0) {
		v_err(c, "false", "is not allowed here");
		return 1;
	}
	if (c->depth >= SCHEMA_MAX_DEPTH) {
		c->internal = 2;
		return -1;
	}
	/*
	 * Annotations start empty in every subschema (a sibling's or
	 * parent's evaluated members are not visible inside it) and reach
	 * the caller only if this subschema validates.
	 */
	lev = NULL;
	if ((ev != NULL || n->uitems != NULL || n->uprops != NULL) &&
	    (json_is_object(inst) || json_is_array(inst))) {
		if (ev_init(&local, inst_size(inst)) == -1) {
			c->internal = 1;
			return -1;
		}
		lev = &local;
	}
	c->depth++;
	if (c->nscope == 0 || c->scope[c->nscope - 1] != n->res)
		c->scope[c->nscope++] = n->res;
	r = v_body(c, n, inst, lev);
	c->nscope = oldscope;
	c->depth--;
	if (lev != NULL) {
		if (r == 0)
			ev_merge(ev, lev);
		ev_free(lev);
	}
	return r;
}

static int
v_run(const struct schema *s, const struct snode *n, const json_t *inst,
    struct schema_report *rep, const char *why)
{
	struct vctx	 c;	/* about 4 KiB: no allocation per call */
	int		 r = -1;

	rep->nerrors = rep->ntotal = 0;
	rep->err[0].path[0] = rep->err[0].keyword[0] = '\0';
	rep->err[0].message[0] = '\0';
	c.internal = 0;
	if (s != NULL && n != NULL && inst != NULL) {
		c.s = s;
		c.rep = rep;
		c.path[0] = '\0';
		c.plen = 0;
		c.quiet = c.depth = 0;
		c.nscope = 0;
		r = v_node(&c, n, inst, NULL);
		if (r == 1 && rep->nerrors == 0)
			v_err(&c, "schema", "does not match the schema");
		if (c.internal)
			r = -1;
	}
	if (r == -1) {
		rep->nerrors = rep->ntotal = 1;
		rep->err[0].path[0] = '\0';
		snprintf(rep->err[0].keyword, sizeof(rep->err[0].keyword),
		    "internal");
		snprintf(rep->err[0].message, sizeof(rep->err[0].message),
		    "the value could not be validated: %s",
		    why != NULL ? why : c.internal == 2 ? "the schema nests "
		    "deeper than the validator allows" : c.internal == 1 ?
		    "out of memory" : "no schema or no value");
	}
	return r;
}

int
schema_validate(const struct schema *s, const json_t *instance,
    struct schema_report *rep)
{
	return v_run(s, s != NULL ? s->root : NULL, instance, rep, NULL);
}

int
schema_validate_ref(const struct schema *s, const char *pointer,
    const json_t *instance, struct schema_report *rep)
{
	const struct snode	*n = NULL;
	const json_t		*js;
	char			*ptr = NULL;
	size_t			 res = 0;

	if (s != NULL && pointer != NULL) {
		if (pointer[0] == '#')
			pointer++;
		ptr = uri_pct_decode(pointer, strlen(pointer));
		if (ptr != NULL &&
		    (js = c_pointer(s, s->doc, ptr, &res)) != NULL)
			n = tab_get(s, js);
	}
	free(ptr);
	if (s != NULL && n == NULL)
		return v_run(s, NULL, instance, rep, "the schema has no "
		    "compiled subschema at that pointer");
	return v_run(s, n, instance, rep, NULL);
}

json_t *
schema_report_json(const struct schema_report *rep)
{
	json_t	*a, *o;
	size_t	 i;

	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < rep->nerrors && i < SCHEMA_MAX_ERRORS; i++) {
		o = json_pack("{s:s,s:s,s:s}", "path", rep->err[i].path,
		    "keyword", rep->err[i].keyword, "message",
		    rep->err[i].message);
		if (o == NULL || json_array_append_new(a, o) == -1) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}
