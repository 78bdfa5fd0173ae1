/*
 * mcp.h -- the Model Context Protocol's methods for a tools server:
 * initialize, ping, tools/list, tools/call and the notifications.  Takes a
 * parsed JSON-RPC message and the caller; gives a result or a protocol
 * error.  Knows nothing of HTTP, FastCGI or SQLite.
 */
#ifndef MCP_H
#define MCP_H

#include <stdint.h>
#include <jansson.h>

#include "digest.h"
#include "jrpc.h"
#include "tool.h"

struct config;

/* The revisions this server speaks, newest first (NULL-terminated). */
extern const char *const mcp_versions[];
#define MCP_VERSION_LATEST	"2025-11-25"
/* What a request without MCP-Protocol-Version means (transports §). */
#define MCP_VERSION_DEFAULT	"2025-03-26"

/* 1 if v is a revision we speak. */
int	mcp_version_supported(const char *v);

struct mcp_caller {
	const char	*principal;	/* borrowed */
	const char	*auth_method;	/* "apikey", "jwt", "none" */
	const char	*request_id;	/* borrowed */
	const char	*protocol_version; /* revision in effect */
	int64_t		 deadline_us;	/* CLOCK_MONOTONIC; 0 = none */
	/* 1 if the caller holds the tool's scope.  NULL: everyone may. */
	int		(*may_call)(void *arg, const struct tool *t);
	void		*arg;
	int		 list_all;	/* list tools the caller may not call */
	/*
	 * Rate limits: 1 if the caller may call t now, 0 if not (OUT:
	 * retry_after seconds).  NULL: no limits.
	 */
	int		(*rate_take)(void *arg, const struct tool *t,
			    int *retry_after);
	const char	*idem_header;	/* Idempotency-Key header, or NULL */
	long		 idem_ttl;	/* seconds an idempotency record lives */
};

/* What happened, for the transport (sessions) and the audit log. */
struct mcp_outcome {
	char			 negotiated[32];   /* set by initialize */
	char			 client_name[128]; /* clientInfo.name */
	const struct tool	*tool;		/* tools/call: the tool */
	int			 tool_is_error;
	struct tool_error	 terr;		/* when the tool failed */
	const char		*missing_scope;	/* MCP_DENIED: borrowed */
	json_t			*args;		/* tools/call arguments: borrowed */
	char			 idem_key[DIGEST_HEX_LEN + 1]; /* scoped, "" none */
	const char		*idem_status;	/* new, replay, conflict,
						   in_flight; NULL none */
};

enum mcp_rc {
	MCP_RESULT = 0,		/* *result set */
	MCP_ERROR = -1,		/* err set */
	MCP_NO_REPLY = 1,	/* a notification or response: 202 */
	MCP_DENIED = 2		/* caller lacks the tool's scope */
};

/*
 * Handles one message.  OUT: result (owned by the caller) for MCP_RESULT;
 * err for MCP_ERROR; out always (clear out->terr with tool_error_clear).
 */
enum mcp_rc	 mcp_handle(const struct config *cfg,
		    const struct mcp_caller *who, const struct jrpc_msg *msg,
		    json_t **result, struct jrpc_error *err,
		    struct mcp_outcome *out);

#endif /* MCP_H */
