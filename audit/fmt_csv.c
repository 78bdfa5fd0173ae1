/*
 * fmt_csv.c -- reports as CSV (RFC 4180: CRLF line ends, quoted fields,
 * doubled quotes) that is safe to open in a spreadsheet: a text cell that
 * begins with = + - @ TAB or CR is prefixed with ' (OWASP "CSV
 * Injection"), since principals, tool names and user agents come from
 * clients.
 *
 * A report has several tables; the file holds them as sections, each a
 * record naming the section ("#manifest", "#table", id), then a header
 * record and the rows, with a blank line between sections.  With
 * --table ID a report writes the manifest and that one table.
 */
#include <inttypes.h>
#include <string.h>

#include "fmt.h"

#define CSV_CELL_MAX	1024

int
fmt_csv_field(FILE *out, const char *s, size_t len, int formula)
{
	const char	*p, *q, *end = s + len;
	int		 quote = 0, prefix = 0;

	if (s == NULL)
		return 0;
	if (formula && len > 0 && strchr("=+-@\t\r", s[0]) != NULL)
		prefix = quote = 1;
	for (p = s; p < end && !quote; p++)
		if (*p == ',' || *p == '"' || *p == '\r' || *p == '\n')
			quote = 1;
	if (!quote && memchr(s, '\0', len) == NULL)	/* the common case */
		return fwrite(s, 1, len, out) == len ? 0 : -1;
	if (quote && putc('"', out) == EOF)
		return -1;
	if (prefix && putc('\'', out) == EOF)
		return -1;
	/* runs without a quote or a NUL go out in one write */
	for (p = s; p < end; p = q + 1) {
		for (q = p; q < end && *q != '"' && *q != '\0'; q++)
			;
		if (q > p && fwrite(p, 1, (size_t)(q - p), out) !=
		    (size_t)(q - p))
			return -1;
		if (q == end)
			break;
		if (*q == '"' && fputs("\"\"", out) == EOF)
			return -1;
	}
	if (quote && putc('"', out) == EOF)
		return -1;
	return 0;
}

static void
csv_str(FILE *out, const char *s)
{
	fmt_csv_field(out, s, s == NULL ? 0 : strlen(s), 1);
}

/* One typed value: numbers plain (never prefixed), text formula-safe. */
static void
csv_cell(FILE *out, const struct doc_cell *c, enum doc_type t)
{
	char	 buf[CSV_CELL_MAX];

	if (c->null)
		return;
	switch (t) {
	case DOC_STR:
	case DOC_HASH:
		csv_str(out, c->s);
		break;
	case DOC_TIME:
		csv_str(out, fmt_cell(c, t, 0, 0, buf, sizeof(buf)));
		break;
	case DOC_INT:
		fprintf(out, "%" PRId64, c->i);
		break;
	default:
		fputs(fmt_cell(c, t, 0, 0, buf, sizeof(buf)), out);
		break;
	}
}

static void
csv_kv(FILE *out, const char *section, const struct doc_kv *kv, size_t n)
{
	size_t	 i;

	fprintf(out, "#%s\r\nkey,value\r\n", section);
	for (i = 0; i < n; i++) {
		csv_str(out, kv[i].key);
		putc(',', out);
		csv_cell(out, &kv[i].v, kv[i].type);
		fputs("\r\n", out);
	}
}

static int
csv_render(FILE *out, const struct doc *d)
{
	const struct doc_table *t;
	size_t	 i, r, c;

	csv_kv(out, "manifest", d->manifest, d->nmanifest);
	if (d->nparams > 0) {
		fputs("\r\n", out);
		csv_kv(out, "parameters", d->params, d->nparams);
	}
	for (i = 0; i < d->ntables; i++) {
		t = d->tables[i];
		fputs("\r\n#table,", out);
		csv_str(out, t->id);
		fputs("\r\n", out);
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				putc(',', out);
			csv_str(out, t->cols[c].name);
		}
		fputs("\r\n", out);
		for (r = 0; r < t->nrows; r++) {
			for (c = 0; c < t->ncols; c++) {
				if (c > 0)
					putc(',', out);
				csv_cell(out, &t->cells[r * t->ncols + c],
				    t->cols[c].type);
			}
			fputs("\r\n", out);
		}
	}
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}

const struct fmt_ops fmt_csv_ops = {
	"csv", "RFC 4180 sections (manifest, then one per table); "
	"formula-safe", csv_render,
};
