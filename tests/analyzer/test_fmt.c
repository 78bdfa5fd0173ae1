/*
 * test_fmt.c -- the output sinks: CSV (RFC 4180 quoting, formula
 * injection), text (control characters, escape sequences, bidi
 * overrides, invalid UTF-8), HTML escaping, cell formatting, and a whole
 * doc rendered in every format: the manifest is there, JSON parses, no
 * hostile byte reaches a terminal, the HTML fetches nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "t.h"
#include "doc.h"
#include "fmt.h"

/* fmt_csv_field(s) into a string (static buffer). */
static const char *
csv(const char *s, size_t len, int formula)
{
	static char	 out[512];
	char		*buf = NULL;
	size_t		 n = 0;
	FILE		*f = open_memstream(&buf, &n);

	if (f == NULL)
		return "(memstream)";
	if (fmt_csv_field(f, s, len, formula) == -1)
		snprintf(out, sizeof(out), "(error)");
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf != NULL ? buf : "");
	free(buf);
	return out;
}

#define CSV(s)	csv((s), strlen(s), 1)

static void
test_csv(void)
{
	T_EQ_STR(CSV("abc"), "abc", "csv: plain");
	T_EQ_STR(CSV(""), "", "csv: empty");
	T_EQ_STR(CSV("a,b"), "\"a,b\"", "csv: comma quoted");
	T_EQ_STR(CSV("say \"hi\""), "\"say \"\"hi\"\"\"", "csv: quotes doubled");
	T_EQ_STR(CSV("two\nlines"), "\"two\nlines\"", "csv: LF quoted");
	T_EQ_STR(CSV("cr\rhere"), "\"cr\rhere\"", "csv: CR quoted");
	T_EQ_STR(CSV("=1+2"), "\"'=1+2\"", "csv: = defused");
	T_EQ_STR(CSV("+cmd"), "\"'+cmd\"", "csv: + defused");
	T_EQ_STR(CSV("-2+3"), "\"'-2+3\"", "csv: - defused");
	T_EQ_STR(CSV("@SUM(A1)"), "\"'@SUM(A1)\"", "csv: @ defused");
	T_EQ_STR(CSV("\t=x"), "\"'\t=x\"", "csv: TAB defused");
	T_EQ_STR(CSV("\r=x"), "\"'\r=x\"", "csv: CR first defused");
	T_EQ_STR(CSV("=HYPERLINK(\"http://x\",\"y\")"),
	    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
	    "csv: a formula with quotes: prefixed and doubled");
	T_EQ_STR(CSV("a=b"), "a=b", "csv: = inside is harmless");
	T_EQ_STR(csv("-5", 2, 0), "-5", "csv: numbers are not prefixed");
	T_EQ_STR(csv("a\0b", 3, 1), "ab", "csv: NUL dropped");
	T_EQ_STR(csv("abcdef", 3, 1), "abc", "csv: len respected");
	T_EQ_STR(CSV("h\xc3\xa9llo"), "h\xc3\xa9llo", "csv: UTF-8 kept");
}

static const char *
clean(const char *s, size_t dstlen, size_t *chars)
{
	static char	 out[256];

	*chars = fmt_text_clean(out, dstlen, s);
	return out;
}

static void
test_text_clean(void)
{
	size_t	 n;

	T_EQ_STR(clean("plain", 256, &n), "plain", "clean: plain");
	T_EQ_INT(n, 5, "clean: 5 characters");
	T_EQ_STR(clean("\x1b[31mred\x1b[0m", 256, &n), "?[31mred?[0m",
	    "clean: ESC (CSI colour) stripped");
	T_EQ_STR(clean("a\x07" "b\bc", 256, &n), "a?b?c",
	    "clean: BEL and BS stripped");
	T_EQ_STR(clean("tab\there\nnl\rcr", 256, &n), "tab?here?nl?cr",
	    "clean: TAB, LF, CR stripped");
	T_EQ_STR(clean("del\x7f", 256, &n), "del?", "clean: DEL stripped");
	T_EQ_STR(clean("c1\xc2\x9b" "31m", 256, &n), "c1?31m",
	    "clean: C1 CSI (U+009B) stripped");
	T_EQ_STR(clean("raw\x9b" "x", 256, &n), "raw?x",
	    "clean: a raw 0x9b byte (invalid UTF-8) stripped");
	T_EQ_STR(clean("bad\xff\xfe", 256, &n), "bad??",
	    "clean: invalid bytes stripped");
	T_EQ_STR(clean("over\xc0\xaf", 256, &n), "over??",
	    "clean: overlong encoding stripped");
	T_EQ_STR(clean("sur\xed\xa0\x80", 256, &n), "sur???",
	    "clean: UTF-16 surrogate stripped");
	T_EQ_STR(clean("ab\xe2\x80\xae" "cd", 256, &n), "ab?cd",
	    "clean: RLO bidi override stripped");
	T_EQ_STR(clean("x\xe2\x81\xa6y", 256, &n), "x?y",
	    "clean: LRI isolate stripped");
	T_EQ_STR(clean("h\xc3\xa9llo \xe2\x82\xac", 256, &n),
	    "h\xc3\xa9llo \xe2\x82\xac", "clean: UTF-8 kept");
	T_EQ_INT(n, 7, "clean: counts characters, not bytes");
	T_EQ_STR(clean("\xf0\x9f\x98\x80!", 256, &n), "\xf0\x9f\x98\x80!",
	    "clean: 4-byte UTF-8 kept");
	T_EQ_STR(clean("ab\xc3\xa9", 4, &n), "ab",
	    "clean: never cuts a character in half");
	T_EQ_STR(clean("abcdef", 4, &n), "abc", "clean: always terminated");
	T_EQ_STR(clean("", 256, &n), "", "clean: empty");
}

static const char *
html(const char *s)
{
	static char	 out[512];
	char		*buf = NULL;
	size_t		 n = 0;
	FILE		*f = open_memstream(&buf, &n);

	if (f == NULL)
		return "(memstream)";
	fmt_html_escape(f, s);
	fclose(f);
	snprintf(out, sizeof(out), "%s", buf != NULL ? buf : "");
	free(buf);
	return out;
}

static void
test_html_escape(void)
{
	T_EQ_STR(html("<script>alert('x')</script>"),
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;",
	    "html: tags and quotes escaped");
	T_EQ_STR(html("a & \"b\""), "a &amp; &quot;b&quot;",
	    "html: & and \" escaped");
	T_EQ_STR(html("esc\x1b]0;title\x07"), "esc?]0;title?",
	    "html: control characters stripped too");
	T_EQ_STR(html(NULL), "", "html: NULL is nothing");
}

static void
test_cells(void)
{
	struct doc_cell	 c;
	char		 b[64];

	memset(&c, 0, sizeof(c));
	c.i = 42;
	T_EQ_STR(fmt_cell(&c, DOC_INT, 0, 0, b, sizeof(b)), "42", "cell int");
	c.d = 12.345;
	T_EQ_STR(fmt_cell(&c, DOC_PCT, 0, 0, b, sizeof(b)), "12.3",
	    "cell percent: one decimal");
	T_EQ_STR(fmt_cell(&c, DOC_MS, 0, 0, b, sizeof(b)), "12.345",
	    "cell ms: three decimals");
	c.i = 1741170600000000;
	T_EQ_STR(fmt_cell(&c, DOC_TIME, 60, 0, b, sizeof(b)),
	    "2025-03-05T11:30:00+01:00", "cell time in the zone");
	c.s = "0123456789abcdef0123456789abcdef";
	T_EQ_STR(fmt_cell(&c, DOC_HASH, 0, 1, b, sizeof(b)),
	    "0123456789abcdef", "cell hash: brief is 16 characters");
	T_EQ_STR(fmt_cell(&c, DOC_HASH, 0, 0, b, sizeof(b)), c.s,
	    "cell hash: full otherwise");
	c.null = 1;
	T_EQ_STR(fmt_cell(&c, DOC_INT, 0, 0, b, sizeof(b)), "",
	    "cell null is empty");
	T_OK(fmt_find("text") == &fmt_text_ops && fmt_find("csv") ==
	    &fmt_csv_ops && fmt_find("json") == &fmt_json_ops &&
	    fmt_find("jsonl") == &fmt_jsonl_ops && fmt_find("html") ==
	    &fmt_html_ops, "every format is in the table");
	T_OK(fmt_find("xml") == NULL, "an unknown format is NULL");
}

static const struct doc_col cols[] = {
	{ "principal", DOC_STR }, { "calls", DOC_INT },
	{ "share_pct", DOC_PCT }, { "p50_ms", DOC_MS },
	{ "p95_ms", DOC_MS }, { "p99_ms", DOC_MS }, { "last_seen", DOC_TIME },
};

#define HOSTILE_P	"=HYPERLINK(\"http://evil\")"
#define HOSTILE_UA	"ua\x1b[2J\x1b]0;pwned\x07"

static struct doc *
sample(void)
{
	struct doc	 *d = doc_new("summary", "mcpgate-audit report: summary",
	    0);
	struct doc_table *t;
	struct doc_cell	 *c;

	doc_manifest_str(d, "database", "/var/lib/mcpgate/audit.db");
	doc_manifest_int(d, "rows", 3);
	doc_manifest_int(d, "first_seq", 7);
	doc_manifest_int(d, "last_seq", 9);
	doc_manifest_hash(d, "chain_head", "ab" "cd" "ef");
	doc_param_str(d, "tool", "issue_refund");
	t = doc_table_add(d, "top_principals", "Top principals", cols,
	    sizeof(cols) / sizeof(cols[0]));
	t->chart = DOC_CHART_BARS;
	t->chart_col = 1;
	c = doc_row_add(t);
	doc_set_str(d, &c[0], HOSTILE_P);
	doc_set_int(&c[1], 5);
	doc_set_real(&c[2], 62.5);
	doc_set_real(&c[3], 1.5);
	doc_set_real(&c[4], 2.5);
	doc_set_real(&c[5], 3.5);
	doc_set_int(&c[6], 1741170600000000);
	c = doc_row_add(t);
	doc_set_str(d, &c[0], HOSTILE_UA);
	doc_set_int(&c[1], 3);
	t = doc_table_add(d, "latency", "Latency", cols,
	    sizeof(cols) / sizeof(cols[0]));
	t->chart = DOC_CHART_LATENCY;
	t->chart_col = 3;
	c = doc_row_add(t);
	doc_set_str(d, &c[0], "tool_a");
	doc_set_real(&c[3], 1);
	doc_set_real(&c[4], 2);
	doc_set_real(&c[5], 4);
	return d;
}

static char *
render(const struct fmt_ops *f, const struct doc *d, int *rc)
{
	char	*buf = NULL;
	size_t	 n = 0;
	FILE	*out = open_memstream(&buf, &n);

	*rc = -1;
	if (out == NULL)
		return NULL;
	*rc = f->render(out, d);
	fclose(out);
	return buf;
}

static void
test_render(void)
{
	struct doc	*d = sample();
	json_t		*j, *v;
	json_error_t	 je;
	char		*s, *line, *save = NULL;
	int		 rc, lines = 0, parsed = 0;

	s = render(&fmt_text_ops, d, &rc);
	T_OK(rc == 0 && s != NULL, "text renders");
	T_OK(s && strchr(s, '\x1b') == NULL && strchr(s, '\x07') == NULL,
	    "text: no escape or BEL reaches the terminal");
	T_OK(s && strstr(s, "Manifest") && strstr(s, "chain_head:") &&
	    strstr(s, "/var/lib/mcpgate/audit.db"), "text: the manifest");
	T_OK(s && strstr(s, "issue_refund"), "text: the parameters");
	free(s);

	s = render(&fmt_csv_ops, d, &rc);
	T_OK(rc == 0 && s != NULL, "csv renders");
	T_OK(s && strstr(s, "#manifest\r\nkey,value\r\n") &&
	    strstr(s, "first_seq,7\r\n"), "csv: the manifest section");
	T_OK(s && strstr(s, "\"'=HYPERLINK(\"\"http://evil\"\")\",5,"),
	    "csv: a hostile principal is defused");
	T_OK(s && strstr(s, "2025-03-05T10:30:00Z"), "csv: times in UTC");
	T_OK(s && strstr(s, "\r\n\r\n#table,top_principals\r\nprincipal,"),
	    "csv: a section per table");
	free(s);

	s = render(&fmt_json_ops, d, &rc);
	T_OK(rc == 0 && s != NULL, "json renders");
	j = s ? json_loads(s, JSON_REJECT_DUPLICATES, &je) : NULL;
	T_OK(j != NULL, "json: parses (%s)", j ? "ok" : je.text);
	T_OK(json_integer_value(json_object_get(j, "schema_version")) ==
	    DOC_SCHEMA_VERSION, "json: schema_version");
	v = json_object_get(json_object_get(j, "manifest"), "last_seq");
	T_OK(json_integer_value(v) == 9, "json: the manifest");
	v = json_object_get(json_object_get(json_object_get(j, "manifest"),
	    "parameters"), "tool");
	T_EQ_STR(json_string_value(v), "issue_refund", "json: parameters");
	v = json_array_get(json_object_get(json_array_get(json_object_get(j,
	    "tables"), 0), "rows"), 0);
	T_EQ_STR(json_string_value(json_object_get(v, "principal")), HOSTILE_P,
	    "json: values exact (JSON escapes them)");
	T_OK(json_integer_value(json_object_get(v, "calls")) == 5 &&
	    json_real_value(json_object_get(v, "share_pct")) == 62.5,
	    "json: numbers are numbers");
	v = json_array_get(json_object_get(json_array_get(json_object_get(j,
	    "tables"), 0), "rows"), 1);
	T_OK(json_is_null(json_object_get(v, "share_pct")),
	    "json: a null cell is null");
	json_decref(j);
	free(s);

	s = render(&fmt_jsonl_ops, d, &rc);
	T_OK(rc == 0 && s != NULL, "jsonl renders");
	for (line = s ? strtok_r(s, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lines++;
		j = json_loads(line, 0, &je);
		if (j != NULL && json_integer_value(json_object_get(j,
		    "schema_version")) == DOC_SCHEMA_VERSION)
			parsed++;
		if (lines == 1)
			T_EQ_STR(json_string_value(json_object_get(j, "type")),
			    "manifest", "jsonl: the manifest first");
		json_decref(j);
	}
	T_OK(lines == 4 && parsed == 4, "jsonl: 4 lines, each JSON with a "
	    "schema_version (%d/%d)", parsed, lines);
	free(s);

	s = render(&fmt_html_ops, d, &rc);
	T_OK(rc == 0 && s != NULL, "html renders");
	T_OK(s && strstr(s, "<!DOCTYPE html>") && strstr(s, "</html>"),
	    "html: a whole document");
	T_OK(s && strstr(s, "<svg") && strstr(s, "<rect"),
	    "html: inline SVG charts");
	T_OK(s && strstr(s, "default-src 'none'"),
	    "html: a CSP that forbids every fetch");
	T_OK(s && !strstr(s, "<script") && !strstr(s, " src=") &&
	    !strstr(s, "<link") && !strstr(s, "url(") && !strstr(s, "@import"),
	    "html: no script, no external resource");
	T_OK(s && strchr(s, '\x1b') == NULL && strchr(s, '\x07') == NULL,
	    "html: control characters stripped");
	T_OK(s && strstr(s, "=HYPERLINK(&quot;http://evil&quot;)"),
	    "html: values escaped");
	T_OK(s && strstr(s, "chain_head"), "html: the manifest");
	free(s);
	doc_free(d);
}

int
main(void)
{
	test_csv();
	test_text_clean();
	test_html_escape();
	test_cells();
	test_render();
	return t_done();
}
