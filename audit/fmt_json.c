/*
 * fmt_json.c -- reports as one JSON document or as JSON lines, every
 * value built and escaped by jansson.  Both carry "schema_version"
 * (DOC_SCHEMA_VERSION): a consumer that sees a version it does not know
 * should stop rather than guess.
 *
 * json:  {"schema_version", "report", "title", "manifest": {...,
 *         "parameters": {...}}, "tables": [{"id", "title", "note",
 *         "columns": [{"name", "type"}], "total_rows", "rows": [{...}]}]}
 * jsonl: a first line {"schema_version", "type": "manifest", ...}, then
 *        one {"schema_version", "type": "row", "table": ID, ...} per row.
 *
 * Times are ISO 8601 in UTC; durations are milliseconds; percentages are
 * 0 to 100.  Rows are written one at a time, so a large access report
 * does not become one large tree in memory.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fmt.h"
#include "intern.h"

#define JS_CELL_MAX	64
#define JS_DUMP		(JSON_COMPACT | JSON_REAL_PRECISION(12))

/* A JSON string of s; invalid UTF-8 (a damaged log) is cleaned first. */
static json_t *
js_string(const char *s)
{
	json_t	*v;
	char	*clean;
	size_t	 n;

	if (s == NULL)
		return json_null();
	if ((v = json_string(s)) != NULL)
		return v;
	n = strlen(s) + 1;
	clean = intern_xcalloc(n, 1);
	fmt_text_clean(clean, n, s);
	v = json_string(clean);
	free(clean);
	return v;
}

static json_t *
js_cell(const struct doc_cell *c, enum doc_type t)
{
	char	 buf[JS_CELL_MAX];

	if (c->null)
		return json_null();
	switch (t) {
	case DOC_INT:
		return json_integer(c->i);
	case DOC_REAL:
	case DOC_PCT:
	case DOC_MS:
		return json_real(c->d);
	case DOC_TIME:
		return json_string(fmt_cell(c, t, 0, 0, buf, sizeof(buf)));
	default:
		return js_string(c->s);
	}
}

static int
js_set(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(o, k, v);
}

static json_t *
js_kv(const struct doc_kv *kv, size_t n)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; o != NULL && i < n; i++)
		if (js_set(o, kv[i].key, js_cell(&kv[i].v, kv[i].type)) == -1) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* The manifest object, with "parameters" inside it. */
static json_t *
js_manifest(const struct doc *d)
{
	json_t	*m = js_kv(d->manifest, d->nmanifest);

	if (m != NULL && js_set(m, "parameters", js_kv(d->params,
	    d->nparams)) == -1) {
		json_decref(m);
		return NULL;
	}
	return m;
}

static json_t *
js_row(const struct doc_table *t, size_t r, json_t *o)
{
	size_t	 c;

	for (c = 0; o != NULL && c < t->ncols; c++)
		if (js_set(o, t->cols[c].name, js_cell(&t->cells[r * t->ncols +
		    c], t->cols[c].type)) == -1) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* Dumps v (taking it) to out.  Returns 0 or -1. */
static int
js_dump(FILE *out, json_t *v, size_t flags)
{
	int	 rc;

	if (v == NULL)
		return -1;
	rc = json_dumpf(v, out, flags);
	json_decref(v);
	return rc;
}

static int
js_render(FILE *out, const struct doc *d)
{
	const struct doc_table *t;
	json_t	*cols, *col;
	size_t	 i, r, c;

	fprintf(out, "{\n  \"schema_version\": %d,\n  \"report\": ",
	    DOC_SCHEMA_VERSION);
	if (js_dump(out, js_string(d->report), JSON_ENCODE_ANY) == -1)
		return -1;
	fputs(",\n  \"title\": ", out);
	if (js_dump(out, js_string(d->title), JSON_ENCODE_ANY) == -1)
		return -1;
	fputs(",\n  \"manifest\": ", out);
	if (js_dump(out, js_manifest(d), JSON_INDENT(2) |
	    JSON_REAL_PRECISION(12)) == -1)
		return -1;
	fputs(",\n  \"tables\": [", out);
	for (i = 0; i < d->ntables; i++) {
		t = d->tables[i];
		fprintf(out, "%s\n    {\"id\": ", i > 0 ? "," : "");
		if (js_dump(out, js_string(t->id), JSON_ENCODE_ANY) == -1)
			return -1;
		fputs(", \"title\": ", out);
		if (js_dump(out, js_string(t->title), JSON_ENCODE_ANY) == -1)
			return -1;
		fputs(", \"note\": ", out);
		if (js_dump(out, js_string(t->note), JSON_ENCODE_ANY) == -1)
			return -1;
		if ((cols = json_array()) == NULL)
			return -1;
		for (c = 0; c < t->ncols; c++) {
			col = json_pack("{s:s,s:s}", "name", t->cols[c].name,
			    "type", doc_type_name(t->cols[c].type));
			if (col == NULL || json_array_append_new(cols,
			    col) == -1) {
				json_decref(cols);
				return -1;
			}
		}
		fputs(",\n     \"columns\": ", out);
		if (js_dump(out, cols, JS_DUMP) == -1)
			return -1;
		fprintf(out, ",\n     \"total_rows\": %lld,\n     \"rows\": [",
		    (long long)t->total_rows);
		for (r = 0; r < t->nrows; r++) {
			fputs(r > 0 ? ",\n      " : "\n      ", out);
			if (js_dump(out, js_row(t, r, json_object()),
			    JS_DUMP) == -1)
				return -1;
		}
		fputs(t->nrows > 0 ? "\n     ]}" : "]}", out);
	}
	fputs(d->ntables > 0 ? "\n  ]\n}\n" : "]\n}\n", out);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}

static int
jsl_render(FILE *out, const struct doc *d)
{
	const struct doc_table *t;
	json_t	*o;
	size_t	 i, r;

	o = json_pack("{s:i,s:s,s:o,s:o,s:o}", "schema_version",
	    DOC_SCHEMA_VERSION, "type", "manifest", "report", js_string(
	    d->report), "title", js_string(d->title), "manifest",
	    js_manifest(d));
	if (js_dump(out, o, JS_DUMP) == -1)
		return -1;
	putc('\n', out);
	for (i = 0; i < d->ntables; i++) {
		t = d->tables[i];
		for (r = 0; r < t->nrows; r++) {
			o = json_pack("{s:i,s:s,s:o}", "schema_version",
			    DOC_SCHEMA_VERSION, "type", "row", "table",
			    js_string(t->id));
			if (js_dump(out, js_row(t, r, o), JS_DUMP) == -1)
				return -1;
			putc('\n', out);
		}
	}
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}

const struct fmt_ops fmt_json_ops = {
	"json", "one JSON document with a schema_version", js_render,
};

const struct fmt_ops fmt_jsonl_ops = {
	"jsonl", "JSON lines: a manifest line, then one line per row",
	jsl_render,
};
