/*
 * tool.c -- the parts of a tool every kind shares: errors, results,
 * names, freeing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "tool.h"

static const char *const tool_errcat_names[TOOL_ERR__MAX] = {
	"none", "validation", "authorization", "not_found", "conflict",
	"rate_limited", "transient", "internal",
};

const char *
tool_errcat_name(enum tool_errcat cat)
{
	if (cat < 0 || cat >= TOOL_ERR__MAX)
		return "internal";
	return tool_errcat_names[cat];
}

void
tool_error_set(struct tool_error *err, enum tool_errcat cat, const char *code,
    const char *fmt, ...)
{
	va_list	 ap;

	err->cat = cat;
	snprintf(err->code, sizeof(err->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	/* Only transient failures are worth retrying as they are. */
	err->retryable = cat == TOOL_ERR_TRANSIENT ||
	    cat == TOOL_ERR_RATE_LIMITED;
	err->retry_after = 0;
}

void
tool_error_clear(struct tool_error *err)
{
	json_decref(err->details);
	memset(err, 0, sizeof(*err));
}

void
tool_result_clear(struct tool_result *res)
{
	json_decref(res->content);
	json_decref(res->structured);
	memset(res, 0, sizeof(*res));
}

void
tool_free(struct tool *t)
{
	if (t == NULL)
		return;
	if (t->ops != NULL && t->ops->free != NULL)
		t->ops->free(t->impl);
	free(t->name);
	free(t->title);
	free(t->description);
	free(t->scope);
	json_decref(t->input_schema);
	json_decref(t->output_schema);
	json_decref(t->annotations);
	schema_free(t->input_check);
	schema_free(t->output_check);
	free(t);
}

int
tool_name_valid(const char *name)
{
	size_t	 i, n = strlen(name);

	if (n == 0 || n > BOUNDS_TOOL_NAME_LEN)
		return -1;
	for (i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.'))
			return -1;
	}
	return 0;
}
