/*
 * config.h -- the deployer's JSON configuration, loaded and checked once
 * into typed structs.  Errors name the file, the JSON path and what is
 * wrong ("mcpgate.json: /tools/2/name: must match [A-Za-z0-9_.-]{1,128}").
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>
#include <jansson.h>

#include "tool.h"

#define CONFIG_DEFAULT_PATH	"/etc/mcpgate/mcpgate.json"

struct tool;

struct config_db {
	char	*name;
	char	*path;			/* absolute */
};

struct config {
	char		*path;		/* the file that was loaded */
	char		*name;		/* serverInfo.name */
	char		*title;		/* serverInfo.title, may be NULL */
	char		*version;	/* serverInfo.version */
	char		*instructions;	/* may be NULL */
	char		*endpoint;	/* "/mcp" */
	char		*resource_url;	/* canonical URL of the endpoint, may be NULL */
	char		*state_db;	/* absolute path */
	size_t		 max_body;	/* bytes */
	int		 page_size;
	int		 sessions;	/* 1: stateful (default), 0: stateless */
	int		 session_ttl;	/* seconds */
	long		 idem_ttl;	/* seconds idempotency records live */
	long long	 tools_ttl_ms;	/* 2026-07-28 ttlMs of tools/list, discover */
	struct tool_rate rate;		/* per principal, all tools */
	char		**origins;	/* allowed Origin values */
	size_t		 norigins;
	char		**hosts;	/* allowed Host names (no port) */
	size_t		 nhosts;
	json_t		*auth;		/* the "auth" object, for auth.c */
	json_t		*audit;		/* the "audit" object, for audit.c */
	struct config_db *dbs;
	size_t		 ndbs;
	struct tool	**tools;	/* in config order */
	size_t		 ntools;
	int		 flags;		/* as given to config_load */
};

/* Flags for config_load. */
#define CONFIG_VERIFY	0x01	/* also open databases and prepare SQL */
/*
 * The server's request path: auth_new only records the JWT key files, and
 * each is read when the first token that may need it arrives, so a plain
 * CGI request with an API key never decodes a key.  Without it auth_new
 * reads and checks every key file now (`mcpgate check`, tests).
 */
#define CONFIG_LAZY_KEYS	0x02

/*
 * Loads and checks the config at path.  Returns the config (free with
 * config_free) or NULL with one precise message in err.
 */
struct config	*config_load(const char *path, int flags, char *err,
		    size_t errlen) __attribute__((warn_unused_result));
void		 config_free(struct config *);

/* The tool called name, or NULL.  Borrowed. */
struct tool	*config_tool(const struct config *, const char *name);

#endif /* CONFIG_H */
