/*
 * mcphdr.h -- the request metadata headers of MCP 2026-07-28 Streamable
 * HTTP (basic/transports/streamable-http §Request Metadata): Mcp-Method,
 * Mcp-Name and the Mcp-Param-{Name} headers that a tool's inputSchema asks
 * for with "x-mcp-header".  Decodes a header value (the Base64 sentinel
 * "=?base64?...?=", §Value Encoding), checks x-mcp-header declarations in
 * a schema (§Schema Extension) and compares Mcp-Param headers with the
 * call's arguments (§Server Behavior for Custom Headers).  Knows nothing
 * of CGI or of struct http_req: headers come through a callback.  Plain
 * JSON and bytes.
 */
#ifndef MCPHDR_H
#define MCPHDR_H

#include <stddef.h>
#include <jansson.h>

/* The header-name prefix of a parameter mirrored by x-mcp-header. */
#define MCPHDR_PARAM_PREFIX	"Mcp-Param-"

/*
 * Reads the header value raw (NUL-terminated, borrowed) as a plain value,
 * the way Mcp-Method is sent: optional whitespace around it is dropped
 * (RFC 9110 §5.5) and every remaining byte must be visible ASCII, SP or
 * HTAB.  OUT: out (outsz bytes, NUL-terminated) and *outlen, its length.
 * Returns 0, or -1 when the value has a byte it must not have or out is
 * too small.
 */
int	mcphdr_plain(const char *raw, char *out, size_t outsz,
	    size_t *outlen) __attribute__((warn_unused_result));

/*
 * Decodes the header value raw (NUL-terminated, borrowed).  Optional
 * whitespace around it is dropped (RFC 9110 §5.5).  Every remaining byte
 * must be visible ASCII, SP or HTAB; a value of the form
 * "=?base64?B64?=" (case-sensitive markers) is then replaced by the bytes
 * B64 encodes, which must be canonical padded base64 (RFC 4648 §4) of
 * text without NUL.  Anything else is the value itself.
 * OUT: out (outsz bytes, NUL-terminated) and *outlen, its length.  The
 * value is decoded in place, so out must hold it as sent.
 * Returns 0, or -1 when the value has a byte it must not have, the
 * base64 is malformed or decodes to a NUL, or out is too small.
 */
int	mcphdr_decode(const char *raw, char *out, size_t outsz,
	    size_t *outlen) __attribute__((warn_unused_result));

/*
 * Checks every "x-mcp-header" in schema (a tool's inputSchema, borrowed)
 * against 2026-07-28 (server/tools §x-mcp-header): on a property reached
 * from the root through "properties" alone (never items,
 * additionalProperties, a composition or conditional keyword, $defs or
 * $ref), whose "type" is "string", "integer" or "boolean", with a value
 * that is unique among the schema's x-mcp-header values without regard
 * to case.  mcpgate narrows the RFC 9110 token the spec allows to
 * letters, digits and "-", at most BOUNDS_XMCP_NAME_LEN of them, and
 * allows BOUNDS_XMCP_PARAMS declarations: a CGI or
 * FastCGI application sees headers as meta-variables (RFC 3875
 * §4.1.18), where "-" and "_" are the same and web servers drop names
 * with other characters, so only such names reach mcpgate intact.
 * A schema that mentions x-mcp-header is walked to a depth of
 * BOUNDS_JSON_DEPTH (deeper arguments never reach mcpgate); deeper is an
 * error.
 * OUT: err (errlen bytes) "JSON-Pointer-within-schema: what is wrong"
 * (the pointer is empty for the root).
 * Returns the number of declarations (0 or more), or -1.
 */
int	mcphdr_schema_check(const json_t *schema, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Compares the Mcp-Param-{Name} headers with a tools/call's arguments
 * (borrowed; NULL is {}) for every x-mcp-header in schema (borrowed, as
 * mcphdr_schema_check passed it).  get(arg, "Mcp-Param-Region") returns
 * a header's raw value or NULL.  A value present (and not null) at the
 * property's path needs the header, decoded and equal to it: a string
 * byte for byte, a number numerically ("42.0" is 42), a boolean as
 * "true" or "false".  An absent or null value needs the header absent.
 * OUT: msg (msglen bytes), a sentence naming the header, for the
 * HeaderMismatch error.
 * Returns 0 when every header matches, -1 when one does not.
 */
int	mcphdr_params_check(const json_t *schema, const json_t *args,
	    const char *(*get)(void *arg, const char *name), void *arg,
	    char *msg, size_t msglen) __attribute__((warn_unused_result));

#endif /* MCPHDR_H */
