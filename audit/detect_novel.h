/*
 * detect_novel.h -- what D09 (unusual for a principal) and D16
 * (fleet-wide novelty) remember across runs: the values seen (tools,
 * error categories per tool, auth methods, user-agent families,
 * principal x tool pairs) and a profile per principal (first and last
 * seen, calls, hours of the week, auth methods).  state.c loads and
 * saves it; the detectors read and update it.  Without a state file it
 * is learnt from every row the scan reads.
 */
#ifndef AUDIT_DETECT_NOVEL_H
#define AUDIT_DETECT_NOVEL_H

#include <stddef.h>
#include <stdint.h>

struct detect_ctx;
struct detect_novel;

enum detect_novel_kind {
	DN_TOOL,		/* a: tool */
	DN_TOOL_ERROR,		/* a: tool, b: error category */
	DN_AUTH,		/* a: auth method */
	DN_UA,			/* a: user-agent family */
	DN_PAIR,		/* a: principal, b: tool */
	DN__MAX
};

#define DETECT_HOW_BYTES	21	/* 168 hours of the week, a bit each */

/* "tool", "tool_error", ...: static; -1 if unknown. */
const char	*detect_novel_kind_name(int kind);
int		 detect_novel_kind_parse(const char *s);

struct detect_novel *detect_novel_new(void);
void		 detect_novel_free(struct detect_novel *);

/*
 * From now on the memory is the state file's: rows at or below the
 * watermark were learnt by earlier runs and are skipped.
 */
void		 detect_novel_persistent(struct detect_ctx *);

/* The first ts the log history starts at (0: none yet). */
int64_t		 detect_novel_first(const struct detect_ctx *);
void		 detect_novel_set_first(struct detect_ctx *, int64_t ts);

/* Loads one remembered value (strings borrowed; b may be NULL). */
void		 detect_novel_load(struct detect_ctx *, int kind,
		    const char *a, const char *b, int64_t first, int64_t last,
		    int64_t n);

/*
 * Loads a principal's profile (new_pair: when it last took up a tool;
 * how: DETECT_HOW_BYTES; auth: "a,b,c").
 */
void		 detect_novel_load_principal(struct detect_ctx *,
		    const char *principal, int64_t first, int64_t last,
		    int64_t calls, int64_t new_pair, const void *how,
		    size_t howlen, const char *auth);

/* Calls fn for each value learnt or updated this run. */
void		 detect_novel_each(struct detect_ctx *,
		    void (*fn)(void *arg, int kind, const char *a,
		    const char *b, int64_t first, int64_t last, int64_t n),
		    void *arg);

/* Calls fn for each profile changed this run. */
void		 detect_novel_each_principal(struct detect_ctx *,
		    void (*fn)(void *arg, const char *principal,
		    int64_t first, int64_t last, int64_t calls,
		    int64_t new_pair, const void *how, size_t howlen,
		    const char *auth),
		    void *arg);

#endif /* AUDIT_DETECT_NOVEL_H */
