/*
 * jrpc.h -- JSON-RPC 2.0, exactly: bytes in, a classified message out; a
 * result or error in, bytes out.  No MCP, no HTTP.
 */
#ifndef JRPC_H
#define JRPC_H

#include <stddef.h>
#include <jansson.h>

#include "bounds.h"

/* JSON-RPC 2.0 §5.1 */
#define JRPC_PARSE_ERROR	(-32700)
#define JRPC_INVALID_REQUEST	(-32600)
#define JRPC_METHOD_NOT_FOUND	(-32601)
#define JRPC_INVALID_PARAMS	(-32602)
#define JRPC_INTERNAL_ERROR	(-32603)

enum jrpc_kind {
	JRPC_REQUEST,		/* method + id */
	JRPC_NOTIFICATION,	/* method, no id */
	JRPC_RESPONSE		/* result or error + id, no method */
};

struct jrpc_msg {
	enum jrpc_kind	 kind;
	json_t		*root;		/* owned (jrpc_msg_clear) */
	json_t		*id;		/* borrowed from root; NULL if none */
	const char	*method;	/* borrowed from root */
	json_t		*params;	/* borrowed from root; NULL if absent */
};

/* A protocol error: fixed size, filling it allocates nothing but data. */
struct jrpc_error {
	int	 code;
	char	 message[BOUNDS_ERRMSG_LEN];
	json_t	*data;			/* owned, may be NULL */
};

/*
 * Parses one JSON-RPC message from buf.  Rejects (JSON-RPC codes in err):
 * nesting deeper than BOUNDS_JSON_DEPTH, invalid UTF-8, NUL in strings,
 * duplicate object keys and anything that is not JSON (-32700); a batch,
 * a missing or wrong "jsonrpc", a non-string or over-long method, an id
 * that is null, fractional, boolean, an object or an array, non-structured
 * params, and members that do not fit any message kind (-32600).
 * On error, err->data is NULL and OUT id_out (if not NULL) receives a new
 * reference to the id when one could be read, else NULL.
 * Returns 0 (msg filled; free with jrpc_msg_clear) or -1.
 */
int	jrpc_parse(const char *buf, size_t len, struct jrpc_msg *msg,
	    json_t **id_out, struct jrpc_error *err)
	    __attribute__((warn_unused_result));

void	jrpc_msg_clear(struct jrpc_msg *msg);

/* Fills err.  data is taken (may be NULL). */
void	jrpc_error_set(struct jrpc_error *err, int code, json_t *data,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	jrpc_error_clear(struct jrpc_error *err);

/*
 * Builds a response.  id is borrowed (NULL: the id could not be read, and
 * the member is omitted, as 2025-11-25 allows).  result is taken.  Returns
 * a new object (owned by the caller) or NULL on OOM.
 */
json_t	*jrpc_result(json_t *id, json_t *result);
json_t	*jrpc_error_response(json_t *id, const struct jrpc_error *err);

/*
 * Serialises v as compact JSON: byte for byte what json_dumps(v,
 * JSON_COMPACT | JSON_ENCODE_ANY) gives (insertion order, the same
 * escapes, reals formatted by jansson itself), at a fraction of the cost:
 * runs of plain ASCII are copied whole instead of character by character.
 * Response bodies and tool results are serialised on every request.
 * OUT: len (may be NULL), the length without the NUL.  Returns a string
 * (owned by the caller: free()) or NULL on OOM, invalid UTF-8 or any
 * value json_dumps would refuse.
 */
char	*jrpc_dumps(const json_t *v, size_t *len)
	    __attribute__((warn_unused_result));

/* Checks nesting depth without building anything.  0 ok, -1 too deep. */
int	jrpc_depth_ok(const char *buf, size_t len, int max);

#endif /* JRPC_H */
