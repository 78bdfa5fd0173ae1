/*
 * schema_int.h -- what schema.c shares with its helpers schema_regex.c
 * (ECMA-262 patterns on top of POSIX regcomp) and schema_format.c (the
 * "format" checks).  Not for use outside the schema module.
 */
#ifndef SCHEMA_INT_H
#define SCHEMA_INT_H

#include <stddef.h>
#include <locale.h>
#include <regex.h>

/* A bound: the longest pattern we translate, in bytes. */
#define SCHEMA_REGEX_MAX	4096

/*
 * A bound: the product of the counts of all {n,m} repetitions in one
 * pattern (regcomp expands them; "[0-9a-f]{8}-...{12}" UUIDs are 6144).
 */
#define SCHEMA_REGEX_REPEAT_MAX	100000

/* A compiled "pattern" or "patternProperties" key. */
struct schema_regex {
	regex_t		 re;
	locale_t	 loc;		/* UTF-8 locale, or (locale_t)0 */
	int		 live;		/* re needs regfree */
};

/*
 * Translates the ECMA-262 pattern pat (len bytes) to a POSIX extended
 * regular expression and compiles it into r.  OUT: err on failure.
 * Returns 0, or -1 for a pattern we cannot express (lookaround, ...).
 */
int	schema_regex_compile(struct schema_regex *r, const char *pat,
	    size_t len, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Searches s (len bytes) for r: 1 found, 0 not found, -1 error. */
int	schema_regex_match(const struct schema_regex *r, const char *s,
	    size_t len);

/* Frees what r holds (not r itself).  Safe on a zeroed r. */
void	schema_regex_free(struct schema_regex *r);

enum schema_fmt {
	SCHEMA_FMT_NONE = 0,
	SCHEMA_FMT_DATE,
	SCHEMA_FMT_DATE_TIME,
	SCHEMA_FMT_TIME,
	SCHEMA_FMT_DURATION,
	SCHEMA_FMT_EMAIL,
	SCHEMA_FMT_HOSTNAME,
	SCHEMA_FMT_IPV4,
	SCHEMA_FMT_IPV6,
	SCHEMA_FMT_URI,
	SCHEMA_FMT_URI_REFERENCE,
	SCHEMA_FMT_UUID,
	SCHEMA_FMT_JSON_POINTER,
	SCHEMA_FMT_REL_JSON_POINTER,
	SCHEMA_FMT_REGEX,
	SCHEMA_FMT__MAX
};

/* Returns the format named name, or SCHEMA_FMT_NONE if we ignore it. */
enum schema_fmt	 schema_format_lookup(const char *name);

/* Returns a short description for messages ("an RFC 3339 date ..."). */
const char	*schema_format_hint(enum schema_fmt f);

/* Checks s (len bytes, may hold NUL): 1 conforms, 0 does not. */
int		 schema_format_check(enum schema_fmt f, const char *s,
		    size_t len);

#endif /* SCHEMA_INT_H */
