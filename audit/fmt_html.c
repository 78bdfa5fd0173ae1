/*
 * fmt_html.c -- a report as ONE self-contained HTML file: inline CSS,
 * charts as inline SVG, no script, no font, no image and no URL fetched
 * (a Content-Security-Policy of default-src 'none' says so to the
 * browser too), so it can be mailed or archived with the evidence and
 * opened offline.  GoAccess's single-file report is the model.
 *
 * Charts follow each table's chart hint: a timeline of stacked bars
 * (requests over time), a donut of shares (outcomes), horizontal bars
 * (top tools, principals) and grouped bars of latency percentiles.
 * Every string from the log is cleaned (fmt_text_clean) and escaped.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "intern.h"

#define HT_CELL_MAX	1024
#define HT_LABEL_MAX	28	/* characters of a bar label */
#define HT_BARS_MAX	25	/* bars in one bar chart */
#define HT_FOLD_ROWS	12	/* a charted table longer than this folds */

static const char *const ht_palette[] = {
	"#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#827717",
	"#4e342e", "#37474f", "#c62828", "#2e7d32",
};
#define HT_NPALETTE	(sizeof(ht_palette) / sizeof(ht_palette[0]))

int
fmt_html_escape(FILE *out, const char *s)
{
	char		*clean;
	const char	*p;
	size_t		 n;

	if (s == NULL)
		return 0;
	n = strlen(s) + 1;
	clean = intern_xcalloc(n, 1);
	fmt_text_clean(clean, n, s);
	for (p = clean; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			putc(*p, out);
		}
	}
	free(clean);
	return ferror(out) ? -1 : 0;
}

/* A label cut to max characters (UTF-8 aware), escaped. */
static void
ht_label(FILE *out, const char *s, size_t max)
{
	char	 buf[HT_CELL_MAX];
	size_t	 i = 0, n = 0;

	snprintf(buf, sizeof(buf), "%s", s ? s : "(none)");
	while (buf[i] != '\0' && n < max) {
		i++;
		while (((unsigned char)buf[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	if (buf[i] != '\0' && i >= 1) {
		buf[i] = '\0';
		fmt_html_escape(out, buf);
		fputs("\xe2\x80\xa6", out);	/* U+2026 ellipsis */
	} else
		fmt_html_escape(out, buf);
}

/* Colour of a named part: outcomes and decisions keep theirs. */
static const char *
ht_color(const char *name, size_t i)
{
	static const struct {
		const char	*name, *color;
	} fixed[] = {
		{ "ok", "#2e7d32" }, { "allow", "#2e7d32" },
		{ "tool_error", "#ef6c00" }, { "protocol_error", "#c62828" },
		{ "auth_error", "#6a1b9a" }, { "http_error", "#546e7a" },
		{ "deny", "#6a1b9a" }, { "denied", "#6a1b9a" },
		{ "failed", "#c62828" }, { "none", "#90a4ae" },
	};
	size_t	 k;

	for (k = 0; name != NULL && k < sizeof(fixed) / sizeof(fixed[0]); k++)
		if (strcmp(fixed[k].name, name) == 0)
			return fixed[k].color;
	return ht_palette[i % HT_NPALETTE];
}

static double
ht_num(const struct doc_cell *c, enum doc_type t)
{
	if (c->null)
		return 0;
	if (t == DOC_INT || t == DOC_TIME)
		return (double)c->i;
	return c->d;
}

static const char *
ht_str(const struct doc_table *t, size_t r, size_t c)
{
	const struct doc_cell *cell = &t->cells[r * t->ncols + c];

	return cell->null ? NULL : cell->s;
}

static void
ht_fmtnum(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f", v);
}

/* Horizontal bars: label col 0, value chart_col. */
static void
ht_bars(FILE *out, const struct doc_table *t)
{
	size_t	 n = t->nrows < HT_BARS_MAX ? t->nrows : HT_BARS_MAX, r;
	double	 max = 0, v, w;
	char	 num[32];
	const int lw = 220, bw = 560, rh = 22;

	for (r = 0; r < n; r++)
		if ((v = ht_num(&t->cells[r * t->ncols + t->chart_col],
		    t->cols[t->chart_col].type)) > max)
			max = v;
	fprintf(out, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %zu\""
	    " width=\"%d\" height=\"%zu\"><title>", lw + bw + 80, n * rh + 8,
	    lw + bw + 80, n * rh + 8);
	fmt_html_escape(out, t->title);
	fputs("</title>\n", out);
	for (r = 0; r < n; r++) {
		v = ht_num(&t->cells[r * t->ncols + t->chart_col],
		    t->cols[t->chart_col].type);
		w = max > 0 ? v / max * bw : 0;
		if (v > 0 && w < 1)
			w = 1;
		fprintf(out, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">",
		    lw - 8, r * rh + 19);
		ht_label(out, ht_str(t, r, 0), HT_LABEL_MAX);
		ht_fmtnum(num, sizeof(num), v);
		fprintf(out, "</text><rect x=\"%d\" y=\"%zu\" width=\"%.1f\" "
		    "height=\"%d\" fill=\"%s\"/><text x=\"%.1f\" y=\"%zu\">"
		    "%s</text>\n", lw, r * rh + 6, w, rh - 6, ht_palette[0],
		    lw + w + 6, r * rh + 19, num);
	}
	fputs("</svg>\n", out);
}

/* A donut of parts: label col 0, value chart_col. */
static void
ht_share(FILE *out, const struct doc_table *t)
{
	double	 total = 0, v, at = 0;
	size_t	 r, h;
	char	 num[32];
	const char *color;

	for (r = 0; r < t->nrows; r++)
		total += ht_num(&t->cells[r * t->ncols + t->chart_col],
		    t->cols[t->chart_col].type);
	h = t->nrows * 22 + 20 > 200 ? t->nrows * 22 + 20 : 200;
	fprintf(out, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 520 "
	    "%zu\" width=\"520\" height=\"%zu\"><title>", h, h);
	fmt_html_escape(out, t->title);
	fputs("</title>\n<circle cx=\"100\" cy=\"100\" r=\"70\" fill=\"none\" "
	    "stroke=\"#eceff1\" stroke-width=\"34\"/>\n", out);
	for (r = 0; r < t->nrows && total > 0; r++) {
		v = ht_num(&t->cells[r * t->ncols + t->chart_col],
		    t->cols[t->chart_col].type) / total * 100;
		color = ht_color(ht_str(t, r, 0), r);
		/* pathLength 100: dash = share, offset = where it starts */
		fprintf(out, "<circle cx=\"100\" cy=\"100\" r=\"70\" "
		    "fill=\"none\" stroke=\"%s\" stroke-width=\"34\" "
		    "pathLength=\"100\" stroke-dasharray=\"%.3f %.3f\" "
		    "stroke-dashoffset=\"%.3f\" transform=\"rotate(-90 100 100)"
		    "\"/>\n", color, v, 100 - v, -at);
		at += v;
	}
	for (r = 0; r < t->nrows; r++) {
		v = ht_num(&t->cells[r * t->ncols + t->chart_col],
		    t->cols[t->chart_col].type);
		ht_fmtnum(num, sizeof(num), v);
		fprintf(out, "<rect x=\"200\" y=\"%zu\" width=\"14\" "
		    "height=\"14\" fill=\"%s\"/><text x=\"222\" y=\"%zu\">",
		    r * 22 + 12,
		    ht_color(ht_str(t, r, 0), r), r * 22 + 24);
		ht_label(out, ht_str(t, r, 0), HT_LABEL_MAX);
		fprintf(out, " \xe2\x80\x94 %s (%.1f%%)</text>\n", num,
		    total > 0 ? v / total * 100 : 0.0);
	}
	fputs("</svg>\n", out);
}

/* Stacked bars over time: col 0 time, col 1 total, cols 2.. series. */
static void
ht_timeline(FILE *out, const struct doc *d, const struct doc_table *t)
{
	const int W = 1000, H = 240, L = 60, R = 16, T = 12, B = 40;
	double	 max = 0, v, x, bw, y, h;
	size_t	 r, c, ticks[3];
	char	 buf[64];

	for (r = 0; r < t->nrows; r++)
		if ((v = ht_num(&t->cells[r * t->ncols + 1], t->cols[1].type)) >
		    max)
			max = v;
	if (max <= 0)
		max = 1;
	bw = t->nrows > 0 ? (double)(W - L - R) / (double)t->nrows : 0;
	fprintf(out, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" "
	    "width=\"%d\" height=\"%d\"><title>", W, H + 24, W, H + 24);
	fmt_html_escape(out, t->title);
	fprintf(out, "</title>\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#90a4ae\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
	    "y2=\"%d\" stroke=\"#90a4ae\"/>\n", L, H - B, W - R, H - B, L, T,
	    L, H - B);
	ht_fmtnum(buf, sizeof(buf), max);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>"
	    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n", L - 6,
	    T + 10, buf, L - 6, H - B);
	for (r = 0; r < t->nrows; r++) {
		x = L + (double)r * bw;
		y = H - B;
		for (c = 2; c < t->ncols; c++) {
			v = ht_num(&t->cells[r * t->ncols + c],
			    t->cols[c].type);
			h = v / max * (H - B - T);
			if (h <= 0)
				continue;
			y -= h;
			fprintf(out, "<rect x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
			    x + bw * 0.1, y,
			    bw * 0.8 > 0.5 ? bw * 0.8 : 0.5, h,
			    ht_color(t->cols[c].name, c));
		}
	}
	ticks[0] = 0;
	ticks[1] = t->nrows / 2;
	ticks[2] = t->nrows > 0 ? t->nrows - 1 : 0;
	for (r = 0; r < 3 && t->nrows > 0; r++) {
		if (r > 0 && ticks[r] == ticks[r - 1])
			continue;
		fmt_cell(&t->cells[ticks[r] * t->ncols], DOC_TIME, d->tz_min, 0,
		    buf, sizeof(buf));
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">",
		    L + ((double)ticks[r] + 0.5) * bw, H - B + 16, r == 0 ?
		    "start" : r == 2 ? "end" : "middle");
		fmt_html_escape(out, buf);
		fputs("</text>\n", out);
	}
	for (c = 2, x = L; c < t->ncols; c++) {
		fprintf(out, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" "
		    "height=\"12\" fill=\"%s\"/><text x=\"%.0f\" y=\"%d\">",
		    x, H - 6, ht_color(t->cols[c].name, c), x + 16, H + 5);
		fmt_html_escape(out, t->cols[c].name);
		fputs("</text>\n", out);
		x += 24 + 8 * (double)strlen(t->cols[c].name);
	}
	fputs("</svg>\n", out);
}

/* Grouped bars: label col 0, p50/p95/p99 at chart_col .. + 2. */
static void
ht_latency(FILE *out, const struct doc_table *t)
{
	static const char *const names[3] = { "p50", "p95", "p99" };
	static const char *const colors[3] = { "#1565c0", "#ef6c00",
	    "#c62828" };
	size_t	 n = t->nrows < HT_BARS_MAX ? t->nrows : HT_BARS_MAX, r, k;
	double	 max = 0, v, w;
	const int lw = 220, bw = 560, gh = 46;

	for (r = 0; r < n; r++)
		for (k = 0; k < 3; k++)
			if ((v = ht_num(&t->cells[r * t->ncols + t->chart_col +
			    k], DOC_MS)) > max)
				max = v;
	fprintf(out, "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %zu\" "
	    "width=\"%d\" height=\"%zu\"><title>", lw + bw + 110, n * gh + 30,
	    lw + bw + 110, n * gh + 30);
	fmt_html_escape(out, t->title);
	fputs("</title>\n", out);
	for (r = 0; r < n; r++) {
		fprintf(out, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">",
		    lw - 8, r * gh + 26);
		ht_label(out, ht_str(t, r, 0), HT_LABEL_MAX);
		fputs("</text>\n", out);
		for (k = 0; k < 3; k++) {
			v = ht_num(&t->cells[r * t->ncols + t->chart_col + k],
			    DOC_MS);
			w = max > 0 ? v / max * bw : 0;
			if (v > 0 && w < 1)
				w = 1;
			fprintf(out, "<rect x=\"%d\" y=\"%zu\" width=\"%.1f\" "
			    "height=\"12\" fill=\"%s\"/><text x=\"%.1f\" "
			    "y=\"%zu\" class=\"small\">%s %.1f ms</text>\n", lw,
			    r * gh + 6 + k * 13, w, colors[k], lw + w + 6,
			    r * gh + 16 + k * 13, names[k], v);
		}
	}
	for (k = 0; k < 3; k++)
		fprintf(out, "<rect x=\"%zu\" y=\"%zu\" width=\"12\" "
		    "height=\"12\" fill=\"%s\"/><text x=\"%zu\" y=\"%zu\">%s"
		    "</text>\n", (size_t)lw + k * 70, n * gh + 10, colors[k],
		    (size_t)lw + k * 70 + 16, n * gh + 21, names[k]);
	fputs("</svg>\n", out);
}

static void
ht_kv(FILE *out, const struct doc *d, const char *title,
    const struct doc_kv *kv, size_t n)
{
	char	 buf[HT_CELL_MAX];
	size_t	 i;

	fprintf(out, "<section><h2>%s</h2>\n<table class=\"kv\">\n", title);
	for (i = 0; i < n; i++) {
		fputs("<tr><th>", out);
		fmt_html_escape(out, kv[i].key);
		fputs("</th><td>", out);
		fmt_html_escape(out, kv[i].v.null ? "-" : fmt_cell(&kv[i].v,
		    kv[i].type, d->tz_min, 0, buf, sizeof(buf)));
		fputs("</td></tr>\n", out);
	}
	fputs("</table></section>\n", out);
}

static int
ht_numeric(enum doc_type t)
{
	return t == DOC_INT || t == DOC_REAL || t == DOC_PCT || t == DOC_MS;
}

static void
ht_table(FILE *out, const struct doc *d, const struct doc_table *t)
{
	char	 buf[HT_CELL_MAX];
	size_t	 r, c;
	int	 folded, side;
	const struct doc_cell *cell;

	fputs("<section id=\"t-", out);
	fmt_html_escape(out, t->id);
	fputs("\"><h2>", out);
	fmt_html_escape(out, t->title);
	fputs("</h2>\n", out);
	if (t->note != NULL) {
		fputs("<p class=\"note\">", out);
		fmt_html_escape(out, t->note);
		fputs("</p>\n", out);
	}
	/* a chart and its (short) table side by side */
	side = t->chart != DOC_CHART_NONE && t->chart != DOC_CHART_TIMELINE &&
	    t->nrows > 0 && t->nrows <= HT_FOLD_ROWS && t->ncols <= 4;
	if (side)
		fputs("<div class=\"panel\">\n", out);
	if (t->nrows > 0) {
		switch (t->chart) {
		case DOC_CHART_BARS:
			ht_bars(out, t);
			break;
		case DOC_CHART_SHARE:
			ht_share(out, t);
			break;
		case DOC_CHART_TIMELINE:
			ht_timeline(out, d, t);
			break;
		case DOC_CHART_LATENCY:
			ht_latency(out, t);
			break;
		default:
			break;
		}
	}
	if (t->nrows == 0) {
		fputs("<p class=\"note\">(no rows)</p></section>\n", out);
		return;
	}
	if ((t->flags & DOC_VERTICAL) && t->nrows == 1) {
		/* one record: a grid of tiles, name over value */
		fputs("<div class=\"tiles\">\n", out);
		for (c = 0; c < t->ncols; c++) {
			fputs("<div class=\"tile\"><div class=\"k\">", out);
			fmt_html_escape(out, t->cols[c].name);
			fputs("</div><div class=\"v\">", out);
			fmt_html_escape(out, t->cells[c].null ? "-" : fmt_cell(
			    &t->cells[c], t->cols[c].type, d->tz_min, 0, buf,
			    sizeof(buf)));
			fputs("</div></div>\n", out);
		}
		fputs("</div></section>\n", out);
		return;
	}
	/* a charted table of many rows: the numbers fold away */
	folded = t->chart != DOC_CHART_NONE && t->nrows > HT_FOLD_ROWS;
	if (folded)
		fprintf(out, "<details><summary>%zu rows</summary>\n",
		    t->nrows);
	fputs("<div class=\"scroll\"><table>\n<thead><tr>", out);
	for (c = 0; c < t->ncols; c++) {
		fprintf(out, "<th%s>", ht_numeric(t->cols[c].type) ?
		    " class=\"n\"" : "");
		fmt_html_escape(out, t->cols[c].name);
		fputs("</th>", out);
	}
	fputs("</tr></thead>\n<tbody>\n", out);
	for (r = 0; r < t->nrows; r++) {
		fputs("<tr>", out);
		for (c = 0; c < t->ncols; c++) {
			cell = &t->cells[r * t->ncols + c];
			fprintf(out, "<td%s>", ht_numeric(t->cols[c].type) ?
			    " class=\"n\"" : t->cols[c].type == DOC_HASH ?
			    " class=\"h\"" : "");
			fmt_html_escape(out, fmt_cell(cell, t->cols[c].type,
			    d->tz_min, 0, buf, sizeof(buf)));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table></div>\n", out);
	if (folded)
		fputs("</details>\n", out);
	if (side)
		fputs("</div>\n", out);
	if (t->total_rows > (int64_t)t->nrows)
		fprintf(out, "<p class=\"note\">%zu of %" PRId64 " rows shown "
		    "(see --top, --limit).</p>\n", t->nrows, t->total_rows);
	fputs("</section>\n", out);
}

static const char ht_css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;margin:0;color:#263238;background:#fafafa}"
    "header{background:#263238;color:#fff;padding:16px 24px}"
    "header h1{margin:0;font-size:20px}header p{margin:4px 0 0;"
    "color:#cfd8dc}main{padding:8px 24px 32px;max-width:1280px}"
    "section{background:#fff;border:1px solid #e0e0e0;border-radius:6px;"
    "margin:16px 0;padding:8px 16px 12px}"
    "h2{font-size:16px;margin:8px 0}.note{color:#607d8b;margin:4px 0 8px}"
    "table{border-collapse:collapse;font-size:13px}"
    "th,td{padding:3px 10px;text-align:left;border-bottom:1px solid "
    "#eceff1;white-space:nowrap}th{background:#f5f5f5}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.h{font-family:ui-monospace,monospace;font-size:12px}"
    "table.kv th{width:180px}table.kv td{font-family:ui-monospace,"
    "monospace;font-size:12px;white-space:normal;word-break:break-all}"
    ".scroll{overflow-x:auto;max-height:640px;overflow-y:auto}"
    "svg.chart{display:block;max-width:100%;height:auto;margin:8px 0}"
    "svg text{font:12px system-ui,sans-serif;fill:#37474f}"
    ".tiles{display:flex;flex-wrap:wrap;gap:8px}.tile{border:1px solid "
    "#eceff1;border-radius:4px;padding:6px 10px;min-width:120px}"
    ".tile .k{color:#607d8b;font-size:12px}.tile .v{font-size:18px;"
    "font-variant-numeric:tabular-nums}.panel{display:flex;flex-wrap:"
    "wrap;gap:8px 32px;align-items:flex-start}summary{cursor:pointer;"
    "color:#1565c0;margin:4px 0}"
    "svg text.small{font-size:10px}";

static int
ht_render(FILE *out, const struct doc *d)
{
	char	 buf[HT_CELL_MAX];
	size_t	 i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" "
	    "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n<meta name=\"generator\" content=\""
	    "mcpgate-audit\">\n<title>", out);
	fmt_html_escape(out, d->title);
	fprintf(out, "</title>\n<style>%s</style></head>\n<body><header><h1>",
	    ht_css);
	fmt_html_escape(out, d->title);
	fputs("</h1><p>", out);
	for (i = 0; i < d->nmanifest; i++)
		if (strcmp(d->manifest[i].key, "database") == 0 ||
		    strcmp(d->manifest[i].key, "generated_at") == 0) {
			fmt_html_escape(out, d->manifest[i].key);
			fputs(": ", out);
			fmt_html_escape(out, fmt_cell(&d->manifest[i].v,
			    d->manifest[i].type, d->tz_min, 0, buf,
			    sizeof(buf)));
			fputs(" &nbsp; ", out);
		}
	fputs("</p></header>\n<main>\n", out);
	for (i = 0; i < d->ntables; i++)
		ht_table(out, d, d->tables[i]);
	ht_kv(out, d, "Manifest", d->manifest, d->nmanifest);
	if (d->nparams > 0)
		ht_kv(out, d, "Parameters", d->params, d->nparams);
	fputs("</main></body></html>\n", out);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}

const struct fmt_ops fmt_html_ops = {
	"html", "one self-contained HTML file with inline SVG charts",
	ht_render,
};
