/*
 * doc.c -- the report document: manifest, parameters and typed tables,
 * with every string copied into one arena freed with the doc.
 */
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "intern.h"

static const char *const doc_type_names[DOC__MAX] = {
	"string", "integer", "number", "percent", "milliseconds", "time",
	"hash",
};

const char *
doc_type_name(enum doc_type t)
{
	return (unsigned int)t < DOC__MAX ? doc_type_names[t] : "string";
}

struct doc *
doc_new(const char *report, const char *title, int tz_min)
{
	struct doc	*d = intern_xcalloc(1, sizeof(*d));

	d->arena = intern_arena_new();
	d->report = doc_strdup(d, report);
	d->title = doc_strdup(d, title);
	d->tz_min = tz_min;
	return d;
}

void
doc_free(struct doc *d)
{
	size_t	 i;

	if (d == NULL)
		return;
	for (i = 0; i < d->ntables; i++)
		doc_table_free(d->tables[i]);
	free(d->tables);
	free(d->manifest);
	free(d->params);
	intern_arena_free(d->arena);
	free(d);
}

const char *
doc_strdup(struct doc *d, const char *s)
{
	return s == NULL ? NULL : intern_arena_strndup(d->arena, s,
	    strlen(s));
}

static struct doc_kv *
doc_kv_add(struct doc_kv **v, size_t *n, size_t *cap, const char *key,
    enum doc_type type)
{
	struct doc_kv	*kv;

	*v = intern_grow(*v, cap, *n + 1, sizeof(**v));
	kv = &(*v)[(*n)++];
	memset(kv, 0, sizeof(*kv));
	kv->key = key;
	kv->type = type;
	return kv;
}

static void
doc_kv_str(struct doc *d, struct doc_kv *kv, const char *s)
{
	kv->v.null = s == NULL;
	kv->v.s = doc_strdup(d, s);
}

void
doc_manifest_str(struct doc *d, const char *key, const char *s)
{
	doc_kv_str(d, doc_kv_add(&d->manifest, &d->nmanifest,
	    &d->capmanifest, key, DOC_STR), s);
}

void
doc_manifest_hash(struct doc *d, const char *key, const char *hex)
{
	doc_kv_str(d, doc_kv_add(&d->manifest, &d->nmanifest,
	    &d->capmanifest, key, DOC_STR), hex != NULL && *hex != '\0' ?
	    hex : NULL);
}

void
doc_manifest_int(struct doc *d, const char *key, int64_t i)
{
	doc_kv_add(&d->manifest, &d->nmanifest, &d->capmanifest, key,
	    DOC_INT)->v.i = i;
}

void
doc_manifest_time(struct doc *d, const char *key, int64_t us)
{
	struct doc_kv	*kv = doc_kv_add(&d->manifest, &d->nmanifest,
	    &d->capmanifest, key, DOC_TIME);

	kv->v.i = us;
	kv->v.null = us == INT64_MIN || us == INT64_MAX;
}

void
doc_param_str(struct doc *d, const char *key, const char *s)
{
	doc_kv_str(d, doc_kv_add(&d->params, &d->nparams, &d->capparams,
	    key, DOC_STR), s);
}

void
doc_param_int(struct doc *d, const char *key, int64_t i)
{
	doc_kv_add(&d->params, &d->nparams, &d->capparams, key,
	    DOC_INT)->v.i = i;
}

void
doc_param_time(struct doc *d, const char *key, int64_t us)
{
	struct doc_kv	*kv = doc_kv_add(&d->params, &d->nparams,
	    &d->capparams, key, DOC_TIME);

	kv->v.i = us;
	kv->v.null = us == INT64_MIN || us == INT64_MAX;
}

struct doc_table *
doc_table_new(struct doc *d, const char *id, const char *title,
    const struct doc_col *cols, size_t ncols)
{
	struct doc_table *t = intern_xcalloc(1, sizeof(*t));

	t->id = doc_strdup(d, id);
	t->title = doc_strdup(d, title);
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

void
doc_table_attach(struct doc *d, struct doc_table *t)
{
	d->tables = intern_grow(d->tables, &d->captables, d->ntables + 1,
	    sizeof(*d->tables));
	d->tables[d->ntables++] = t;
}

void
doc_table_free(struct doc_table *t)
{
	if (t == NULL)
		return;
	free(t->cells);
	free(t);
}

struct doc_table *
doc_table_add(struct doc *d, const char *id, const char *title,
    const struct doc_col *cols, size_t ncols)
{
	struct doc_table *t = doc_table_new(d, id, title, cols, ncols);

	doc_table_attach(d, t);
	return t;
}

struct doc_cell *
doc_row_add(struct doc_table *t)
{
	struct doc_cell	*c;
	size_t		 i;

	t->cells = intern_grow(t->cells, &t->capcells, (t->nrows + 1) *
	    t->ncols, sizeof(*t->cells));
	c = &t->cells[t->nrows * t->ncols];
	for (i = 0; i < t->ncols; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].null = 1;
	}
	t->nrows++;
	t->total_rows++;
	return c;
}

void
doc_set_str(struct doc *d, struct doc_cell *c, const char *s)
{
	c->null = s == NULL;
	c->s = doc_strdup(d, s);
}

void
doc_set_strn(struct doc *d, struct doc_cell *c, const char *s, size_t len)
{
	c->null = s == NULL;
	c->s = s == NULL ? NULL : intern_arena_strndup(d->arena, s, len);
}

void
doc_set_int(struct doc_cell *c, int64_t i)
{
	c->null = 0;
	c->i = i;
}

void
doc_set_real(struct doc_cell *c, double v)
{
	c->null = 0;
	c->d = v;
}

const struct doc_table *
doc_table_find(const struct doc *d, const char *id)
{
	size_t	 i;

	for (i = 0; i < d->ntables; i++)
		if (strcmp(d->tables[i]->id, id) == 0)
			return d->tables[i];
	return NULL;
}
