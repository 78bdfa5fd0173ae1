/*
 * doc.h -- what a report produces, independent of how it is shown: a
 * manifest (what data, which parameters, which analyzer), the parameters
 * the report ran with, and a list of tables (GoAccess's panels) with typed
 * columns and an optional chart hint.  The formatters (fmt_*.c) render a
 * doc; reports never print.
 *
 * Every string in a doc is copied into the doc's arena, so a doc outlives
 * the database statement it was filled from.  Knows nothing of SQLite.
 */
#ifndef AUDIT_DOC_H
#define AUDIT_DOC_H

#include <stddef.h>
#include <stdint.h>

/* The version of the JSON / JSON-lines layout ("schema_version"). */
#define DOC_SCHEMA_VERSION	1

enum doc_type {
	DOC_STR = 0,	/* text */
	DOC_INT,	/* integer (counts, sequence numbers) */
	DOC_REAL,	/* a number */
	DOC_PCT,	/* a percentage, 0 to 100 */
	DOC_MS,		/* a duration in milliseconds */
	DOC_TIME,	/* unix microseconds, shown as ISO 8601 */
	DOC_HASH,	/* a hex digest: text shows a prefix, others all */
	DOC__MAX
};

struct doc_col {
	const char	*name;		/* snake_case: CSV header, JSON key */
	enum doc_type	 type;
};

/* A value; null set means "no value" (SQL NULL, not applicable). */
struct doc_cell {
	int		 null;
	int64_t		 i;		/* DOC_INT, DOC_TIME */
	double		 d;		/* DOC_REAL, DOC_PCT, DOC_MS */
	const char	*s;		/* DOC_STR, DOC_HASH: doc's arena */
};

enum doc_chart {
	DOC_CHART_NONE = 0,
	DOC_CHART_BARS,		/* horizontal bars: label col 0, value col */
	DOC_CHART_SHARE,	/* a donut of parts: label col 0, value col */
	DOC_CHART_TIMELINE,	/* col 0 time; cols 2.. stacked series;
				   col 1 the total */
	DOC_CHART_LATENCY,	/* label col 0; p50, p95, p99 in chart_col,
				   chart_col + 1, chart_col + 2 */
	DOC_CHART__MAX
};

#define DOC_VERTICAL	0x01	/* one record: text/HTML show name: value */

struct doc_table {
	const char	*id;		/* machine name: "top_tools" */
	const char	*title;		/* for people */
	const char	*note;		/* one sentence, may be NULL */
	const struct doc_col *cols;	/* borrowed (static tables) */
	size_t		 ncols;
	enum doc_chart	 chart;
	size_t		 chart_col;	/* the value column of the chart */
	int		 flags;
	struct doc_cell	*cells;		/* nrows * ncols */
	size_t		 nrows, capcells;
	int64_t		 total_rows;	/* rows before --top / --limit */
};

/* One manifest or parameter entry, in insertion order. */
struct doc_kv {
	const char	*key;
	enum doc_type	 type;
	struct doc_cell	 v;
};

struct doc {
	const char	*report;	/* "summary", "summary,tools", ... */
	const char	*title;
	int		 tz_min;	/* zone for DOC_TIME in text and HTML */
	struct doc_kv	*manifest;
	size_t		 nmanifest, capmanifest;
	struct doc_kv	*params;
	size_t		 nparams, capparams;
	struct doc_table **tables;
	size_t		 ntables, captables;
	struct intern_arena *arena;
};

/* A new, empty doc: owned by the caller (free with doc_free). */
struct doc	*doc_new(const char *report, const char *title, int tz_min);
void		 doc_free(struct doc *d);

/* A copy of s (may be NULL) in d's arena. */
const char	*doc_strdup(struct doc *d, const char *s);

/* Manifest entries (the key must be a static string). */
void	doc_manifest_str(struct doc *d, const char *key, const char *s);
void	doc_manifest_int(struct doc *d, const char *key, int64_t i);
void	doc_manifest_time(struct doc *d, const char *key, int64_t us);
void	doc_manifest_hash(struct doc *d, const char *key, const char *hex);

/* Parameters (the key must be a static string). */
void	doc_param_str(struct doc *d, const char *key, const char *s);
void	doc_param_int(struct doc *d, const char *key, int64_t i);
void	doc_param_time(struct doc *d, const char *key, int64_t us);

/*
 * A new table in d with columns cols (borrowed: static), after the
 * existing ones.  Returns it (owned by d).
 */
struct doc_table *doc_table_add(struct doc *d, const char *id,
	    const char *title, const struct doc_col *cols, size_t ncols);

/*
 * A table not yet in d (a report filling it during the scan), placed by
 * doc_table_attach when the report finishes, so that tables keep the
 * order of the reports.  Free an unattached one with doc_table_free.
 */
struct doc_table *doc_table_new(struct doc *d, const char *id,
	    const char *title, const struct doc_col *cols, size_t ncols);
void	doc_table_attach(struct doc *d, struct doc_table *t);
void	doc_table_free(struct doc_table *t);

/* Appends a row of t: ncols cells, all null.  Returns the first cell. */
struct doc_cell	*doc_row_add(struct doc_table *t);

/* Cell setters; s is copied into d's arena (NULL: a null cell). */
void	doc_set_str(struct doc *d, struct doc_cell *c, const char *s);
void	doc_set_strn(struct doc *d, struct doc_cell *c, const char *s,
	    size_t len);
void	doc_set_int(struct doc_cell *c, int64_t i);
void	doc_set_real(struct doc_cell *c, double v);

/* The table named id, or NULL. */
const struct doc_table *doc_table_find(const struct doc *d, const char *id);

/* The name of a type: "string", "integer", "number", ... */
const char	*doc_type_name(enum doc_type t);

#endif /* AUDIT_DOC_H */
