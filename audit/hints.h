/*
 * hints.h -- what a tool does, for the privileged report: the MCP tool
 * annotations (readOnlyHint, destructiveHint, idempotentHint) and the
 * required scope, read from the deployer's mcpgate.json (--config), or
 * guessed from the audit log when no config is given.
 *
 * The audit row does not carry the hints (they are configuration, not
 * events), so this module reads the config file itself with jansson; it
 * does not link the server's config module.  Only "tools[].name",
 * "tools[].annotations", "tools[].scope" and "tools[].idempotency" are
 * read; nothing else in the file is interpreted.
 */
#ifndef AUDIT_HINTS_H
#define AUDIT_HINTS_H

#include <stddef.h>

#define HINTS_CONFIG_MAX	(16u << 20)	/* bytes of mcpgate.json */
#define HINTS_HEX_LEN		64

enum hints_class {
	HINTS_READ = 0,		/* readOnlyHint: true */
	HINTS_WRITE,		/* not read-only, destructiveHint: false */
	HINTS_DESTRUCTIVE,	/* not read-only, destructive (MCP default) */
	HINTS__MAX
};

struct hints_tool {
	char		*name;
	char		*scope;		/* may be NULL */
	int		 read_only;	/* MCP defaults: false */
	int		 destructive;	/* true */
	int		 idempotent;	/* false */
	enum hints_class class;
};

struct hints {
	struct hints_tool *tools;
	size_t		 ntools;
	char		 sha256[HINTS_HEX_LEN + 1];	/* of the file */
};

/*
 * Reads the tools of the mcpgate config at path.  OUT: *out, owned by the
 * caller (free with hints_free).  Returns 0, or -1 with a message in err.
 */
int	hints_load(const char *path, struct hints **out, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

void	hints_free(struct hints *h);

/* The tool called name, or NULL (h may be NULL). */
const struct hints_tool *hints_find(const struct hints *h, const char *name);

/*
 * Without a config: the class a tool most likely has, from what the log
 * shows of it.  A tool is taken to write when its required scope names a
 * write (":write", ":admin", ":delete", or contains "write"), when any of
 * its calls carried an idempotency key (mcpgate keys only writes), or when
 * its name begins with a verb that changes things (create_, update_,
 * delete_, issue_, send_, ...); destructive when the verb deletes, cancels,
 * refunds, revokes or pays.  Everything else is read.  Documented in
 * docs/analyzer.md; pass --config for the deployer's own hints.
 */
enum hints_class hints_guess(const char *name, const char *scope,
	    int keyed);

/* "read", "write", "destructive" ("unknown" otherwise): static. */
const char	*hints_class_name(enum hints_class c);

#endif /* AUDIT_HINTS_H */
