/*
 * mcp.h -- the Model Context Protocol's methods for a tools server, in
 * both eras: the legacy revisions (2025-03-26 .. 2025-11-25: initialize,
 * ping, tools/list, tools/call and the notifications) and the modern one
 * (2026-07-28: server/discover, tools/list, tools/call, every request
 * self-describing through its _meta).  Takes a parsed JSON-RPC message,
 * the era the transport decided on and the caller; gives a result or a
 * protocol error.  Knows nothing of HTTP, FastCGI or SQLite.
 */
#ifndef MCP_H
#define MCP_H

#include <stdint.h>
#include <jansson.h>

#include "digest.h"
#include "jrpc.h"
#include "tool.h"

struct config;
struct mcp_cache;

/*
 * The revisions this server speaks, newest first (NULL-terminated): the
 * modern one, then the legacy ones.  server/discover's supportedVersions
 * and UnsupportedProtocolVersionError's data.supported list all of them.
 */
extern const char *const mcp_versions[];
/* The modern revision: per-request _meta, no initialize, no sessions. */
#define MCP_VERSION_MODERN	"2026-07-28"
/* The newest legacy revision: what initialize offers when it must choose. */
#define MCP_VERSION_LATEST	"2025-11-25"
/* What a request without MCP-Protocol-Version means (transports §). */
#define MCP_VERSION_DEFAULT	"2025-03-26"

/* MCP error codes (2026-07-28 basic/index §Error Codes; schema.ts). */
#define MCP_ERR_HEADER_MISMATCH		(-32020)
#define MCP_ERR_MISSING_CLIENT_CAP	(-32021)
#define MCP_ERR_UNSUPPORTED_VERSION	(-32022)

/* Which protocol a request speaks; decided once, by the transport. */
enum mcp_era {
	MCP_ERA_LEGACY = 0,	/* initialize handshake, sessions */
	MCP_ERA_MODERN		/* 2026-07-28: stateless, _meta per request */
};

/* 1 if v is a revision we speak (either era). */
int	mcp_version_supported(const char *v);

/* 1 if v is a legacy revision (2025-03-26, 2025-06-18, 2025-11-25). */
int	mcp_version_legacy(const char *v);

/* 1 if v is a modern revision (2026-07-28). */
int	mcp_version_modern(const char *v);

/*
 * Fills err with UnsupportedProtocolVersionError (-32022): data.supported
 * lists mcp_versions, data.requested echoes requested (borrowed; bytes
 * that are not printable ASCII become '?', cut at 64).  Returns 0, or -1
 * on OOM (err then holds an internal error without data).
 */
int	mcp_unsupported_version(const char *requested, struct jrpc_error *err)
	    __attribute__((warn_unused_result));

/*
 * What a 2026-07-28 request says about itself in params._meta (basic/index
 * §_meta, Per-request protocol fields).  Members are borrowed from the
 * message.
 */
struct mcp_meta {
	const char	*version;	/* io.modelcontextprotocol/protocolVersion */
	json_t		*client_caps;	/* .../clientCapabilities (an object) */
	const char	*client_name;	/* .../clientInfo name, or NULL */
	const char	*client_version; /* .../clientInfo version, or NULL */
};

/*
 * Reads and checks the _meta of a modern request.  transport_version is
 * the version the transport declared for the request (HTTP: the
 * MCP-Protocol-Version header), or NULL when it declares none.
 * OUT: meta (borrowing from msg).
 * Returns 0, or -1 with err: -32602 when params or _meta is not an
 * object, protocolVersion or clientCapabilities is missing or of the
 * wrong type, or clientInfo is present without a string name and
 * version; -32020 (HeaderMismatch) when protocolVersion is not
 * transport_version.
 */
int	mcp_meta_check(const struct jrpc_msg *msg,
	    const char *transport_version, struct mcp_meta *meta,
	    struct jrpc_error *err) __attribute__((warn_unused_result));

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
	enum mcp_era	 era;		/* which protocol the request speaks */
	/*
	 * Modern era, caching hints (server/utilities/caching): 1 if what a
	 * caller sees may depend on its authorization (cacheScope
	 * "private"), 0 if not ("public").
	 */
	int		 cache_private;
	/*
	 * Serialised results that depend only on the configuration and on
	 * what the caller may see (tools/list), kept for the life of the
	 * process (borrowed; NULL: build every result afresh).
	 */
	struct mcp_cache *cache;
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
	/*
	 * MCP_RESULT with who->cache: the result already serialised
	 * (compact JSON, borrowed from the cache, valid until
	 * mcp_cache_free), and *result is NULL.  NULL otherwise.
	 */
	const char		*result_json;
	size_t			 result_json_len;
};

enum mcp_rc {
	MCP_RESULT = 0,		/* *result set */
	MCP_ERROR = -1,		/* err set */
	MCP_NO_REPLY = 1,	/* a notification or response: 202 */
	MCP_DENIED = 2		/* caller lacks the tool's scope */
};

/*
 * A cache of serialised tools/list results for one configuration, whose
 * tools and scopes never change while the process runs: one entry per
 * (era, cacheScope, cursor, set of tools the caller may see), at most
 * MCP_CACHE_MAX, so a principal sees exactly what it would see without
 * it.  Returns a cache (free with mcp_cache_free) or NULL on OOM.
 */
#define MCP_CACHE_MAX	32
struct mcp_cache *mcp_cache_new(const struct config *cfg)
		    __attribute__((warn_unused_result));
void		 mcp_cache_free(struct mcp_cache *);

/*
 * Handles one message in who->era.  Legacy: initialize, ping, tools/list,
 * tools/call.  Modern: server/discover, tools/list, tools/call, with the
 * message's _meta already checked by mcp_meta_check; every result gets
 * resultType "complete" and _meta io.modelcontextprotocol/serverInfo,
 * tools/list and server/discover ttlMs and cacheScope.  Anything else is
 * -32601 (in the modern era initialize and ping too).
 * OUT: result (owned by the caller) for MCP_RESULT, or NULL when
 * out->result_json holds it (tools/list with who->cache); err for
 * MCP_ERROR; out always (clear out->terr with tool_error_clear).
 */
enum mcp_rc	 mcp_handle(const struct config *cfg,
		    const struct mcp_caller *who, const struct jrpc_msg *msg,
		    json_t **result, struct jrpc_error *err,
		    struct mcp_outcome *out);

#endif /* MCP_H */
