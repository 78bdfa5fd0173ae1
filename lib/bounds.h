/*
 * bounds.h -- every limit mcpgate puts on untrusted input, in one place.
 * Each is tested at N and N+1 (tests/unit/test_bounds.c and the e2e suite).
 * Limits that a deployer may change have a config key; these are then the
 * defaults and the hard ceilings.
 */
#ifndef BOUNDS_H
#define BOUNDS_H

/* Request body: default cap (server.max_body_bytes) and the hard ceiling. */
#define BOUNDS_BODY_DEFAULT		(1024 * 1024)
#define BOUNDS_BODY_MAX			(16 * 1024 * 1024)

/* JSON nesting depth of a request body (arrays + objects). */
#define BOUNDS_JSON_DEPTH		64

/* Length of a JSON-RPC method name and of a string request id. */
#define BOUNDS_METHOD_LEN		128
#define BOUNDS_ID_LEN			256

/* Length of a single HTTP header value we look at (Accept, Origin, ...). */
#define BOUNDS_HEADER_LEN		8192

/* Mcp-Session-Id: we issue 43 base64url characters (256 bits). */
#define BOUNDS_SESSION_ID_LEN		128

/*
 * x-mcp-header (2026-07-28) in a tool's inputSchema: the longest name (so
 * "Mcp-Param-" and it fit the names we look up; the spec sets no limit)
 * and the most declarations one tool may have.
 */
#define BOUNDS_XMCP_NAME_LEN		64
#define BOUNDS_XMCP_PARAMS		32

/* Pagination cursor (opaque to clients, parsed by us). */
#define BOUNDS_CURSOR_LEN		64

/* Tool name, as the 2025-11-25 spec allows: 1..128 of [A-Za-z0-9_.-]. */
#define BOUNDS_TOOL_NAME_LEN		128

/* SQL tool results: default and ceiling for rows and bytes. */
#define BOUNDS_RESULT_ROWS_DEFAULT	100
#define BOUNDS_RESULT_ROWS_MAX		10000
#define BOUNDS_RESULT_BYTES_DEFAULT	(64 * 1024)
#define BOUNDS_RESULT_BYTES_MAX		(1024 * 1024)

/* tools/list page size: default and ceiling. */
#define BOUNDS_PAGE_SIZE_DEFAULT	50
#define BOUNDS_PAGE_SIZE_MAX		1000

/* Config file size. */
#define BOUNDS_CONFIG_BYTES		(4 * 1024 * 1024)

/* Bearer credential length, checked before any parsing (JWT or API key). */
#define BOUNDS_TOKEN_LEN		8192

/* Error messages we compose (fixed-size buffers, no allocation). */
#define BOUNDS_ERRMSG_LEN		512

/*
 * The audit log (lib/audit.c).  Text that a client controls is cut to
 * BOUNDS_AUDIT_FIELD_LEN bytes (User-Agent, path, JSON-RPC id, the name of
 * an unknown tool); string argument values to audit.max_string (default,
 * ceiling); the whole redacted-arguments JSON to BOUNDS_AUDIT_ARGS_LEN
 * (beyond it only its size is kept); one syslog mirror line to
 * BOUNDS_AUDIT_SYSLOG_LEN (beyond it the arguments are left out of the
 * line).  A traceparent header longer than BOUNDS_TRACEPARENT_LEN is
 * ignored and a new trace started.
 */
#define BOUNDS_AUDIT_FIELD_LEN		512
#define BOUNDS_AUDIT_STRING_DEFAULT	256
#define BOUNDS_AUDIT_STRING_MAX		65536
#define BOUNDS_AUDIT_ARGS_LEN		16384
#define BOUNDS_AUDIT_SYSLOG_LEN		8192
#define BOUNDS_TRACEPARENT_LEN		256

#endif /* BOUNDS_H */
