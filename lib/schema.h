/*
 * schema.h -- JSON Schema (draft 2020-12, and draft-07 documents such as
 * MCP's older schema.json) over jansson.  A schema is compiled once, at
 * config load, into an immutable tree that any number of threads may use
 * to validate instances; validating allocates nothing in the common path.
 * Violations come back as fixed-size records whose messages are written
 * for a model to read and act on.  The module knows nothing of MCP, tools
 * or transport, and never fetches anything: only references inside the
 * compiled document resolve.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stddef.h>
#include <jansson.h>

/*
 * A bound: at most this many violations are kept in a report (the rest
 * are only counted in ntotal).
 */
#define SCHEMA_MAX_ERRORS	16

/*
 * A bound: nested subschema evaluations per validation (each $ref,
 * allOf branch, property, ... is one level).  Deeper is an internal
 * error, so a recursive schema can never loop or exhaust the stack.
 */
#define SCHEMA_MAX_DEPTH	512

/* Sizes of the fields of struct schema_error, NUL included. */
#define SCHEMA_PATH_LEN		256
#define SCHEMA_KEYWORD_LEN	32
#define SCHEMA_MESSAGE_LEN	256

/* Flags for schema_compile_flags(). */
#define SCHEMA_F_FORMAT_ANNOTATE 0x01	/* "format" only annotates */

struct schema;		/* compiled, immutable, shareable */

struct schema_error {
	char	path[SCHEMA_PATH_LEN];	/* instance JSON Pointer, "" = root */
	char	keyword[SCHEMA_KEYWORD_LEN]; /* "minimum", "required", ... */
	char	message[SCHEMA_MESSAGE_LEN]; /* a sentence for a model */
};

struct schema_report {
	size_t			nerrors;	/* kept in err[], <= cap */
	size_t			ntotal;		/* seen; may exceed the cap */
	struct schema_error	err[SCHEMA_MAX_ERRORS];
};

/*
 * Compiles doc, a schema document (an object or a boolean).  doc is
 * borrowed; the compiled schema holds its own reference to it, so the
 * caller may drop theirs, but must not modify doc afterwards.
 * The dialect is taken from a root "$schema": absent or 2020-12, or
 * draft-07 (items as an array, additionalItems, dependencies, and $ref
 * overriding its siblings).  "format" asserts date, date-time, time,
 * email, uuid, uri, uri-reference, ipv4, ipv6, hostname, json-pointer,
 * relative-json-pointer, regex and duration; other formats are ignored.
 * Every $ref must resolve inside doc (by JSON Pointer, $id or $anchor).
 * OUT: on failure, err (errlen bytes, may be 0) receives
 * "JSON-Pointer-within-schema: what is wrong".
 * Returns the schema (owned by the caller, free with schema_free) or NULL
 * on a bad schema or OOM.
 */
struct schema	*schema_compile(json_t *doc, char *err, size_t errlen)
		    __attribute__((warn_unused_result));

/* As schema_compile, with SCHEMA_F_* flags. */
struct schema	*schema_compile_flags(json_t *doc, unsigned int flags,
		    char *err, size_t errlen)
		    __attribute__((warn_unused_result));

/* Frees s and drops its reference to the document.  NULL-safe. */
void		 schema_free(struct schema *s);

/*
 * Validates instance (borrowed) against s.  Collects every violation,
 * keeping the first SCHEMA_MAX_ERRORS; a failed anyOf or oneOf is one
 * summary violation unless exactly one alternative fits the instance's
 * type, whose violations are then reported instead.
 * OUT: rep (caller-owned) is always initialised: nerrors and ntotal, and
 * err[0] holds empty strings when there is no violation.
 * Returns 0 if valid, 1 if invalid, -1 on an internal error (OOM, or
 * SCHEMA_MAX_DEPTH exceeded; err[0] then says which).
 */
int		 schema_validate(const struct schema *s, const json_t *instance,
		    struct schema_report *rep)
		    __attribute__((warn_unused_result));

/*
 * As schema_validate, against the subschema of the compiled document at
 * pointer, a URI-fragment JSON Pointer such as "#/$defs/CallToolResult"
 * ("#" or "" is the root; the leading '#' is optional; %-escapes and ~0
 * ~1 are decoded).  pointer (borrowed) must name a subschema that
 * schema_compile reached: the root, anything below it through schema
 * keywords, and every $defs / definitions entry.  Returns -1 also when
 * it does not (err[0] says so).
 */
int		 schema_validate_ref(const struct schema *s,
		    const char *pointer, const json_t *instance,
		    struct schema_report *rep)
		    __attribute__((warn_unused_result));

/*
 * Returns a new array of {"path","keyword","message"} objects, one per
 * kept violation (owned by the caller, json_decref), or NULL on OOM.
 */
json_t		*schema_report_json(const struct schema_report *rep)
		    __attribute__((warn_unused_result));

#endif /* SCHEMA_H */
