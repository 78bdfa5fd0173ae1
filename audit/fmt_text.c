/*
 * fmt_text.c -- reports as aligned plain-text tables for a terminal or a
 * mail: the manifest first, then one block per table.  Every value is
 * passed through fmt_text_clean, so nothing read from the log (a
 * user agent, a principal) can send escape sequences to a terminal.
 */
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "intern.h"

#define TXT_CELL_MAX	1024	/* longest cell shown, in bytes */
#define TXT_COL_MAX	48	/* widest column, in characters */

/*
 * The length of the valid UTF-8 sequence at s (1 to 4), or 0 if it is not
 * one (overlong forms, surrogates and values above U+10FFFF included).
 * OUT: *cp, the code point.
 */
static size_t
txt_utf8(const unsigned char *s, uint32_t *cp)
{
	size_t	 n, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		v = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		v = s[0] & 0x07;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 ||
	    v > 0x10ffff)) || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

size_t
fmt_text_clean(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t	 o = 0, n, chars = 0;
	uint32_t cp = 0;
	int	 bad;

	if (dstlen == 0)
		return 0;
	while (s != NULL && *s != '\0') {
		n = txt_utf8(s, &cp);
		bad = n == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp <= 0x9f) ||		/* C1 */
		    (cp >= 0x202a && cp <= 0x202e) ||		/* bidi */
		    (cp >= 0x2066 && cp <= 0x2069) ||
		    cp == 0x200e || cp == 0x200f || cp == 0x061c;
		if (bad) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			s += n == 0 ? 1 : n;
		} else {
			if (o + n >= dstlen)
				break;
			memcpy(dst + o, s, n);
			o += n;
			s += n;
		}
		chars++;
	}
	dst[o] = '\0';
	return chars;
}

/* Cuts clean text to at most max characters, marking the cut with "~". */
static size_t
txt_cut(char *s, size_t chars, size_t max)
{
	size_t	 i = 0, seen = 0;

	if (chars <= max)
		return chars;
	while (s[i] != '\0' && seen < max - 1) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		seen++;
	}
	s[i++] = '~';
	s[i] = '\0';
	return max;
}

static int
txt_numeric(enum doc_type t)
{
	return t == DOC_INT || t == DOC_REAL || t == DOC_PCT || t == DOC_MS;
}

static void
txt_pad(FILE *out, size_t n)
{
	while (n-- > 0)
		putc(' ', out);
}

/* One cell, cleaned and cut to max.  OUT: buf.  Returns its width. */
static size_t
txt_cell(const struct doc *d, const struct doc_cell *c, enum doc_type t,
    char *buf, size_t len, size_t max)
{
	char	 raw[TXT_CELL_MAX];

	fmt_cell(c, t, d->tz_min, max == TXT_COL_MAX, raw, sizeof(raw));
	return txt_cut(buf, fmt_text_clean(buf, len, raw), max);
}

static void
txt_kv(FILE *out, const struct doc *d, const struct doc_kv *kv, size_t n)
{
	char	 raw[TXT_CELL_MAX], buf[TXT_CELL_MAX];
	size_t	 i, w = 0, kw;

	for (i = 0; i < n; i++)
		if ((kw = strlen(kv[i].key)) > w)
			w = kw;
	for (i = 0; i < n; i++) {
		fmt_cell(&kv[i].v, kv[i].type, d->tz_min, 0, raw, sizeof(raw));
		fmt_text_clean(buf, sizeof(buf), kv[i].v.null ? "-" : raw);
		fprintf(out, "  %s:", kv[i].key);
		txt_pad(out, w - strlen(kv[i].key) + 1);
		fprintf(out, "%s\n", buf);
	}
}

static void
txt_table(FILE *out, const struct doc *d, const struct doc_table *t)
{
	char	 buf[TXT_CELL_MAX];
	size_t	*w, r, c, cw;
	const struct doc_cell *row;

	fmt_text_clean(buf, sizeof(buf), t->title);
	fprintf(out, "\n%s [%s]\n", buf, t->id);
	if (t->note != NULL) {
		fmt_text_clean(buf, sizeof(buf), t->note);
		fprintf(out, "  %s\n", buf);
	}
	if (t->nrows == 0) {
		fputs("  (no rows)\n", out);
		return;
	}
	if ((t->flags & DOC_VERTICAL) && t->nrows == 1) {
		for (c = 0, cw = 0; c < t->ncols; c++)
			if (strlen(t->cols[c].name) > cw)
				cw = strlen(t->cols[c].name);
		for (c = 0; c < t->ncols; c++) {
			txt_cell(d, &t->cells[c], t->cols[c].type, buf,
			    sizeof(buf), TXT_CELL_MAX);
			fprintf(out, "  %s", t->cols[c].name);
			txt_pad(out, cw - strlen(t->cols[c].name) + 2);
			fprintf(out, "%s\n", t->cells[c].null ? "-" : buf);
		}
		return;
	}
	w = intern_xcalloc(t->ncols, sizeof(*w));
	for (c = 0; c < t->ncols; c++)
		w[c] = strlen(t->cols[c].name);
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			row = &t->cells[r * t->ncols];
			if ((cw = txt_cell(d, &row[c], t->cols[c].type, buf,
			    sizeof(buf), TXT_COL_MAX)) > w[c])
				w[c] = cw;
		}
	fputs(" ", out);
	for (c = 0; c < t->ncols; c++) {
		fputs(" ", out);
		if (txt_numeric(t->cols[c].type))
			txt_pad(out, w[c] - strlen(t->cols[c].name));
		fputs(t->cols[c].name, out);
		if (!txt_numeric(t->cols[c].type) && c + 1 < t->ncols)
			txt_pad(out, w[c] - strlen(t->cols[c].name));
	}
	fputs("\n ", out);
	for (c = 0; c < t->ncols; c++) {
		fputs(" ", out);
		for (cw = 0; cw < w[c]; cw++)
			putc('-', out);
	}
	fputs("\n", out);
	for (r = 0; r < t->nrows; r++) {
		row = &t->cells[r * t->ncols];
		fputs(" ", out);
		for (c = 0; c < t->ncols; c++) {
			cw = txt_cell(d, &row[c], t->cols[c].type, buf,
			    sizeof(buf), TXT_COL_MAX);
			fputs(" ", out);
			if (txt_numeric(t->cols[c].type))
				txt_pad(out, w[c] - cw);
			fputs(buf, out);
			if (!txt_numeric(t->cols[c].type) && c + 1 < t->ncols)
				txt_pad(out, w[c] - cw);
		}
		fputs("\n", out);
	}
	if (t->total_rows > (int64_t)t->nrows)
		fprintf(out, "  (%lld of %lld rows shown: see --top, --limit)"
		    "\n", (long long)t->nrows, (long long)t->total_rows);
	free(w);
}

static int
txt_render(FILE *out, const struct doc *d)
{
	char	 buf[TXT_CELL_MAX];
	size_t	 i;

	fmt_text_clean(buf, sizeof(buf), d->title);
	fprintf(out, "%s\n\nManifest\n", buf);
	txt_kv(out, d, d->manifest, d->nmanifest);
	if (d->nparams > 0) {
		fputs("Parameters\n", out);
		txt_kv(out, d, d->params, d->nparams);
	}
	for (i = 0; i < d->ntables; i++)
		txt_table(out, d, d->tables[i]);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}

const struct fmt_ops fmt_text_ops = {
	"text", "aligned tables for a terminal (control characters stripped)",
	txt_render,
};
