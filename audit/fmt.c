/*
 * fmt.c -- the table of output formats and what they share: turning a
 * typed cell into text, and making text safe to show on a terminal.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "timerange.h"

static const struct fmt_ops *const fmt_all[] = {
	&fmt_text_ops, &fmt_csv_ops, &fmt_json_ops, &fmt_jsonl_ops,
	&fmt_html_ops,
};

const struct fmt_ops *
fmt_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(fmt_all) / sizeof(fmt_all[0]); i++)
		if (strcmp(fmt_all[i]->name, name) == 0)
			return fmt_all[i];
	return NULL;
}

const char *
fmt_names(void)
{
	return "text, csv, json, jsonl, html";
}

char *
fmt_cell(const struct doc_cell *c, enum doc_type t, int tz_min, int brief,
    char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (c->null)
		return buf;
	switch (t) {
	case DOC_INT:
		snprintf(buf, len, "%" PRId64, c->i);
		break;
	case DOC_REAL:
		snprintf(buf, len, "%.2f", c->d);
		break;
	case DOC_PCT:
		snprintf(buf, len, "%.1f", c->d);
		break;
	case DOC_MS:
		snprintf(buf, len, "%.3f", c->d);
		break;
	case DOC_TIME:
		timerange_format(c->i, tz_min, buf, len);
		break;
	case DOC_HASH:
		snprintf(buf, len, brief ? "%.16s" : "%s", c->s ? c->s : "");
		break;
	default:
		snprintf(buf, len, "%s", c->s ? c->s : "");
		break;
	}
	return buf;
}
