/*
 * test_schema_suite.c -- runs the official JSON Schema Test Suite
 * (draft2020-12, and optional/ including optional/format/) against
 * lib/schema.c: one TAP line per case, then a per-file "passed/total"
 * table as '#' lines and the total.  Files and groups we do not support
 * are not run; each is listed with its reason (the tables below), so the
 * figures in docs/schema.md are what this prints.
 *
 * The suite lives in $MCPGATE_SHARED/testdata/json-schema-test-suite
 * (default ../shared, relative to the repository root).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"
#include "t.h"

#define SUITE_DIR	"testdata/json-schema-test-suite/tests/draft2020-12"
#define SUITE_MAXFILES	128

/* Files not run at all. */
static const struct {
	const char	*file;
	const char	*why;
} skip_files[] = {
	{ "refRemote.json", "remote references: mcpgate never fetches a "
	    "schema, and only references within the document resolve" },
	{ "vocabulary.json", "$vocabulary and custom meta-schemas are not "
	    "supported (only the 2020-12 and draft-07 dialects)" },
	{ "optional/format-assertion.json", "custom meta-schemas "
	    "(format-assertion vocabulary) are not supported" },
	{ "optional/cross-draft.json", "remote reference to a draft 2019-09 "
	    "document" },
	{ "optional/format/idn-email.json", "format not asserted (ignored)" },
	{ "optional/format/idn-hostname.json", "format not asserted "
	    "(ignored)" },
	{ "optional/format/iri.json", "format not asserted (ignored)" },
	{ "optional/format/iri-reference.json", "format not asserted "
	    "(ignored)" },
	{ "optional/format/uri-template.json", "format not asserted "
	    "(ignored)" },
	{ NULL, NULL }
};

/* Groups not run, by file and description. */
static const struct {
	const char	*file;
	const char	*group;
	const char	*why;
} skip_groups[] = {
	{ "defs.json", "validate definition against metaschema",
	    "references the 2020-12 meta-schema, which is a remote "
	    "document" },
	{ "ref.json", "remote ref, containing refs itself",
	    "references the 2020-12 meta-schema, which is a remote "
	    "document" },
	{ "dynamicRef.json", "strict-tree schema, guards against misspelled "
	    "properties", "remote reference (tree.json)" },
	{ "dynamicRef.json", "tests for implementation dynamic anchor and "
	    "reference link", "remote reference (extendible-dynamic-ref.json)" },
	{ "dynamicRef.json", "$ref and $dynamicAnchor are independent of "
	    "order - $defs first", "remote reference "
	    "(extendible-dynamic-ref.json)" },
	{ "dynamicRef.json", "$ref and $dynamicAnchor are independent of "
	    "order - $ref first", "remote reference "
	    "(extendible-dynamic-ref.json)" },
	{ "dynamicRef.json", "$ref to $dynamicRef finds detached "
	    "$dynamicAnchor", "remote reference (detached-dynamicref.json)" },
	{ "optional/ecmascript-regex.json", "pattern with non-ASCII digits",
	    "\\p{digit}: POSIX [:digit:] is ASCII only" },
	{ "optional/ecmascript-regex.json", "patternProperties with non-ASCII "
	    "digits", "\\p{digit}: POSIX [:digit:] is ASCII only" },
	{ "optional/format/ecmascript-regex.json", "ECMA 262 lookbehind is "
	    "valid, including variable width", "lookbehind cannot be "
	    "expressed in POSIX regular expressions" },
	{ "optional/format/hostname.json", "validation of A-label (punycode) "
	    "host names", "A-labels are not decoded (no IDNA tables)" },
	{ NULL, NULL, NULL }
};

struct tally {
	char	 file[256];
	int	 pass, total, skipped;
};

static struct tally	 tallies[SUITE_MAXFILES];
static int		 ntallies;

static const char *
skipped_file(const char *rel)
{
	int	 i;

	for (i = 0; skip_files[i].file != NULL; i++)
		if (strcmp(skip_files[i].file, rel) == 0)
			return skip_files[i].why;
	return NULL;
}

static const char *
skipped_group(const char *rel, const char *group)
{
	int	 i;

	for (i = 0; skip_groups[i].file != NULL; i++)
		if (strcmp(skip_groups[i].file, rel) == 0 &&
		    strcmp(skip_groups[i].group, group) == 0)
			return skip_groups[i].why;
	return NULL;
}

static size_t
count_cases(json_t *doc)
{
	size_t	 i, n = 0;

	for (i = 0; i < json_array_size(doc); i++)
		n += json_array_size(json_object_get(json_array_get(doc, i),
		    "tests"));
	return n;
}

static void
run_file(const char *path, const char *rel)
{
	struct tally		*t;
	struct schema		*s;
	struct schema_report	 rep;
	json_error_t		 jerr;
	json_t			*doc, *g, *tc;
	const char		*why, *gdesc;
	unsigned int		 flags = 0;
	char			 err[256];
	size_t			 i, k;
	int			 r, want;

	if (ntallies == SUITE_MAXFILES)
		return;
	t = &tallies[ntallies++];
	snprintf(t->file, sizeof(t->file), "%s", rel);
	doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
	if (doc == NULL)	/* optional/bignum.json: beyond int64 */
		doc = json_load_file(path, JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, &jerr);
	if (doc == NULL) {
		T_OK(0, "%s: loads (%s)", rel, jerr.text);
		return;
	}
	if ((why = skipped_file(rel)) != NULL) {
		t->skipped = (int)count_cases(doc);
		printf("# unsupported: %s (%d case%s): %s\n", rel, t->skipped,
		    t->skipped == 1 ? "" : "s", why);
		json_decref(doc);
		return;
	}
	/* format.json tests the default: format is an annotation. */
	if (strcmp(rel, "format.json") == 0)
		flags = SCHEMA_F_FORMAT_ANNOTATE;
	for (i = 0; i < json_array_size(doc); i++) {
		g = json_array_get(doc, i);
		gdesc = json_string_value(json_object_get(g, "description"));
		if ((why = skipped_group(rel, gdesc)) != NULL) {
			k = json_array_size(json_object_get(g, "tests"));
			t->skipped += (int)k;
			printf("# unsupported: %s: \"%s\" (%zu case%s): %s\n",
			    rel, gdesc, k, k == 1 ? "" : "s", why);
			continue;
		}
		s = schema_compile_flags(json_object_get(g, "schema"), flags,
		    err, sizeof(err));
		for (k = 0; k < json_array_size(json_object_get(g, "tests"));
		    k++) {
			tc = json_array_get(json_object_get(g, "tests"), k);
			want = json_is_true(json_object_get(tc, "valid"));
			r = s == NULL ? -1 : schema_validate(s,
			    json_object_get(tc, "data"), &rep);
			t->total++;
			if (r == !want)
				t->pass++;
			T_OK(r == !want, "%s: %s: %s", rel, gdesc,
			    json_string_value(json_object_get(tc,
			    "description")));
			if (s == NULL)
				printf("#   compile: %s\n", err);
			else if (r != !want)
				printf("#   got %d (%s %s)\n", r,
				    rep.err[0].path, rep.err[0].message);
		}
		schema_free(s);
	}
	json_decref(doc);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
run_dir(const char *base, const char *sub)
{
	DIR		*d;
	struct dirent	*de;
	char		*names[SUITE_MAXFILES], path[1024], rel[200];
	size_t		 n = 0, i, len;

	snprintf(path, sizeof(path), "%s/%s", base, sub);
	if ((d = opendir(path)) == NULL) {
		T_OK(0, "open %s", path);
		return;
	}
	while ((de = readdir(d)) != NULL && n < SUITE_MAXFILES) {
		len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
			if ((names[n] = strdup(de->d_name)) != NULL)
				n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s%s%s", base, sub,
		    sub[0] ? "/" : "", names[i]);
		snprintf(rel, sizeof(rel), "%s%s%s", sub, sub[0] ? "/" : "",
		    names[i]);
		run_file(path, rel);
		free(names[i]);
	}
}

int
main(void)
{
	const char	*shared = getenv("MCPGATE_SHARED");
	char		 base[1024];
	int		 i, pass = 0, total = 0, skipped = 0;

	if (shared == NULL || *shared == '\0')
		shared = "../shared";
	snprintf(base, sizeof(base), "%s/%s", shared, SUITE_DIR);
	run_dir(base, "");
	run_dir(base, "optional");
	run_dir(base, "optional/format");

	printf("# %-44s %9s %s\n", "file", "passed", "not run");
	for (i = 0; i < ntallies; i++) {
		printf("# %-44s %4d/%-4d %d\n", tallies[i].file,
		    tallies[i].pass, tallies[i].total, tallies[i].skipped);
		pass += tallies[i].pass;
		total += tallies[i].total;
		skipped += tallies[i].skipped;
	}
	printf("# %-44s %4d/%-4d %d\n", "TOTAL", pass, total, skipped);
	return t_done();
}
