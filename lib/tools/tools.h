/*
 * tools.h -- the tool kinds a config can declare.  Each constructor reads
 * its kind's members from the tool's JSON spec and fills t->ops/t->impl.
 * Messages written to err are "/member: what is wrong", relative to the
 * tool object; config.c prefixes the file and the tool's path.
 */
#ifndef TOOLS_H
#define TOOLS_H

#include <stddef.h>
#include <jansson.h>

struct tool;
struct config;

/*
 * "sql": one parameterised statement over a named SQLite database.
 * With verify, opens the database and prepares the statement now, so
 * that `mcpgate check` and FastCGI start-up catch every SQL error.
 */
int	tool_sql_new(struct tool *t, json_t *spec, const struct config *cfg,
	    int verify, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* "static": fixed content blocks (and optional structured content). */
int	tool_static_new(struct tool *t, json_t *spec, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/* The members a kind accepts besides the common ones (NULL-terminated). */
extern const char *const tool_sql_keys[];
extern const char *const tool_static_keys[];

#endif /* TOOLS_H */
