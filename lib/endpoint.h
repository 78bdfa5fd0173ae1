/*
 * endpoint.h -- the Streamable HTTP transport on a plain request/response
 * struct, for MCP 2025-03-26 .. 2025-11-25 (the legacy era: initialize,
 * sessions) and 2026-07-28 (the modern era: stateless, Mcp-Method and
 * Mcp-Name headers, 405 for GET and DELETE) on the same endpoint: routing,
 * the header rules (Accept, Content-Type, Origin, Host,
 * MCP-Protocol-Version), sessions, body limits, then JSON-RPC and MCP.
 * Knows nothing of FastCGI.
 */
#ifndef ENDPOINT_H
#define ENDPOINT_H

#include "http.h"

struct config;
struct endpoint;

/* Per-request deadline: below the web servers' own timeouts (60 s). */
#define ENDPOINT_DEADLINE_MS	25000

/* JSON-RPC error code for a refusal for lack of scope (legacy range). */
#define ENDPOINT_ERR_FORBIDDEN	(-32001)

/*
 * The same refusal in 2026-07-28.  That revision keeps -32000..-32019 for
 * legacy use (SHOULD NOT), reserves -32020..-32099 for the codes it
 * defines, defines none for a missing scope, and says codes for other
 * purposes SHOULD lie outside the JSON-RPC range -32768..-32000
 * (basic/index §Error Codes): an application code, 403 after the status.
 */
#define ENDPOINT_ERR_FORBIDDEN_MODERN	(-31403)

/*
 * Creates the endpoint.  cfg is borrowed and must outlive it.  Reads the
 * JWT key files; opens no database yet: databases are opened on first
 * use, so a plain-CGI process that answers a 405 never touches SQLite.
 * Returns NULL with a message in err.
 */
struct endpoint	*endpoint_new(const struct config *cfg, char *err,
		    size_t errlen);
void		 endpoint_free(struct endpoint *);

/*
 * Between requests: endpoint_idle_ms is how long the caller may wait for
 * the next request before calling endpoint_idle (milliseconds; -1: no
 * limit).  endpoint_idle does the deferred work: it syncs audit rows that
 * "synchronous": "WRITES" left unsynced.
 */
int		 endpoint_idle_ms(const struct endpoint *);
void		 endpoint_idle(struct endpoint *);

/* Handles one request.  OUT: resp (free with http_resp_reset). */
void		 endpoint_handle(struct endpoint *, const struct http_req *,
		    struct http_resp *resp);

#endif /* ENDPOINT_H */
