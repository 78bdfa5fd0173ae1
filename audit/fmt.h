/*
 * fmt.h -- the output formats, behind one ops table: text (aligned
 * tables), csv (RFC 4180, formula-safe), json, jsonl (JSON lines), html
 * (one self-contained file with inline SVG charts).  A format renders a
 * whole struct doc, manifest included, to a stream.
 *
 * Escaping happens here, at the sink, and nowhere else: control
 * characters are stripped from text and HTML, CSV cells that a
 * spreadsheet would run as a formula are defused, JSON goes through
 * jansson.  Knows nothing of SQLite or of what a report computes.
 */
#ifndef AUDIT_FMT_H
#define AUDIT_FMT_H

#include <stddef.h>
#include <stdio.h>

#include "doc.h"

struct fmt_ops {
	const char	*name;		/* as given to --format */
	const char	*what;		/* for --help */
	/* Writes d to out.  Returns 0, or -1 (a write error: errno). */
	int		(*render)(FILE *out, const struct doc *d);
};

extern const struct fmt_ops fmt_text_ops;
extern const struct fmt_ops fmt_csv_ops;
extern const struct fmt_ops fmt_json_ops;
extern const struct fmt_ops fmt_jsonl_ops;
extern const struct fmt_ops fmt_html_ops;

/* The format called name, or NULL. */
const struct fmt_ops *fmt_find(const char *name);

/* "text, csv, json, jsonl, html": static. */
const char	*fmt_names(void);

/*
 * Formats cell c of type t for a person (text, HTML, CSV): integers
 * plainly, percentages and milliseconds with a fixed number of decimals,
 * times as ISO 8601 in zone tz_min.  A hash is shortened to 16 hex
 * characters when brief is set.  A null cell is "".
 * OUT: buf (NUL-terminated, cut to len).  Returns buf.
 */
char	*fmt_cell(const struct doc_cell *c, enum doc_type t, int tz_min,
	    int brief, char *buf, size_t len);

/*
 * Copies src into dst (size dstlen, always NUL-terminated) for a
 * terminal or an HTML page: C0 and C1 control characters, DEL, invalid
 * UTF-8 and the Unicode bidirectional overrides (which reorder what a
 * person sees, "Trojan Source") become '?'.  Returns the number of
 * characters (code points) written, for column alignment.
 */
size_t	fmt_text_clean(char *dst, size_t dstlen, const char *src);

/*
 * Writes len bytes at s as one CSV field (RFC 4180): quoted when it holds
 * a comma, quote, CR or LF, quotes doubled.  When formula is set (text
 * cells), a value beginning with = + - @ TAB or CR is prefixed with a
 * single quote so that spreadsheets show it instead of evaluating it
 * (OWASP "CSV Injection"), and quoted.  NUL bytes are dropped.
 * Returns 0, or -1 on a write error.
 */
int	fmt_csv_field(FILE *out, const char *s, size_t len, int formula);

/*
 * Writes s (may be NULL: nothing) HTML-escaped (& < > " ') after
 * fmt_text_clean.  Returns 0, or -1 on a write error.
 */
int	fmt_html_escape(FILE *out, const char *s);

#endif /* AUDIT_FMT_H */
