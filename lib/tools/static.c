/*
 * static.c -- a tool that returns fixed content blocks from the config.
 * Used for announcements, canned help, and the conformance suite's test
 * tools.  Knows nothing of MCP beyond the shape of a content block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"
#include "tools/tools.h"

const char *const tool_static_keys[] = {
	"content", "is_error", "structured", NULL
};

struct tstatic {
	json_t	*content;
	json_t	*structured;
	int	 is_error;
};

static int
tstatic_call(struct tool *t, const struct tool_caller *who, json_t *args,
    struct tool_result *res, struct tool_error *err)
{
	struct tstatic *s = t->impl;

	res->content = json_deep_copy(s->content);
	res->structured = s->structured ? json_deep_copy(s->structured) : NULL;
	res->is_error = s->is_error;
	if (res->content == NULL) {
		tool_error_set(err, TOOL_ERR_INTERNAL, "oom",
		    "The server ran out of memory.");
		return -1;
	}
	return 0;
}

static void
tstatic_free(void *impl)
{
	struct tstatic *s = impl;

	if (s == NULL)
		return;
	json_decref(s->content);
	json_decref(s->structured);
	free(s);
}

static const struct tool_ops tstatic_ops = {
	"static", tstatic_call, tstatic_free
};

int
tool_static_new(struct tool *t, json_t *spec, char *err, size_t errlen)
{
	struct tstatic	*s;
	json_t		*c, *b, *v;
	size_t		 i;

	c = json_object_get(spec, "content");
	if (!json_is_array(c) || json_array_size(c) == 0) {
		snprintf(err, errlen, "/content: must be a non-empty array of "
		    "content blocks");
		return -1;
	}
	json_array_foreach(c, i, b) {
		if (!json_is_object(b) ||
		    !json_is_string(json_object_get(b, "type"))) {
			snprintf(err, errlen, "/content/%zu: must be an object "
			    "with a \"type\"", i);
			return -1;
		}
	}
	v = json_object_get(spec, "is_error");
	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, errlen, "/is_error: must be true or false");
		return -1;
	}
	b = json_object_get(spec, "structured");
	if (b != NULL && !json_is_object(b)) {
		snprintf(err, errlen, "/structured: must be an object");
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	s->content = json_deep_copy(c);
	s->structured = b ? json_deep_copy(b) : NULL;
	s->is_error = json_is_true(v);
	t->read_only = 1;
	t->ops = &tstatic_ops;
	t->impl = s;
	return 0;
}
