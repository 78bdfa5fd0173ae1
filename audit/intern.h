/*
 * intern.h -- the analyzer's memory: an arena (bump allocation, freed at
 * once), a string table that maps each distinct value of a column to a
 * small integer id, and a map from 64-bit keys to such ids (for pairs:
 * principal x tool, key hash, ...).
 *
 * Reports aggregate by id into plain arrays, so reading a row allocates
 * nothing once its values have been seen.  Out of memory exits (STYLE.md:
 * "audit/ may exit").  Knows nothing of SQLite or of the audit schema.
 */
#ifndef AUDIT_INTERN_H
#define AUDIT_INTERN_H

#include <stddef.h>
#include <stdint.h>

/* --- arena ---------------------------------------------------------------- */

struct intern_arena;

/* A new arena: owned by the caller (free with intern_arena_free). */
struct intern_arena *intern_arena_new(void);

/* Frees every block of a.  NULL-safe. */
void		 intern_arena_free(struct intern_arena *a);

/* n bytes, 8-aligned, zeroed: valid until intern_arena_free. */
void		*intern_arena_alloc(struct intern_arena *a, size_t n);

/* A NUL-terminated copy of len bytes at s (s may be NULL: NULL). */
char		*intern_arena_strndup(struct intern_arena *a, const char *s,
		    size_t len);

/* --- strings -------------------------------------------------------------- */

/*
 * Ids start at 1; id 0 is "no value" (SQL NULL).  Strings are copied into
 * the table's own arena and stay valid until intern_free.
 */
struct intern;

struct intern	*intern_new(void);
void		 intern_free(struct intern *t);

/* The id of the len bytes at s, adding them if new.  s NULL: 0. */
uint32_t	 intern_id(struct intern *t, const char *s, size_t len);

/* The id of s if present, else 0 (never adds). */
uint32_t	 intern_find(const struct intern *t, const char *s, size_t len);

/* 1 if id is the len bytes at s (cheaper than intern_id for a repeat). */
int		 intern_same(const struct intern *t, uint32_t id,
		    const char *s, size_t len);

/* The string of id (NULL for 0): borrowed until intern_free. */
const char	*intern_str(const struct intern *t, uint32_t id);

/* Its length in bytes (0 for id 0). */
size_t		 intern_len(const struct intern *t, uint32_t id);

/* Number of distinct strings; the largest id is this number. */
uint32_t	 intern_count(const struct intern *t);

/*
 * A fast 64-bit hash of len bytes (the one the string table uses; not
 * keyed, not for adversarial input).
 */
uint64_t	 intern_hash64(const char *s, size_t len);

/* --- a set of 64-bit values ---------------------------------------------- */

/*
 * For distinct counts of high-cardinality columns where only the count
 * matters: one probe per value.  Counting string hashes is exact up to
 * 64-bit collisions (about n^2 / 2^65: below 1e-5 for 10 million values).
 */
struct intern_hset;

struct intern_hset *intern_hset_new(void);
void		 intern_hset_free(struct intern_hset *h);

/* Adds x.  Returns 1 if it was new, 0 if it was there. */
int		 intern_hset_add(struct intern_hset *h, uint64_t x);
size_t		 intern_hset_count(const struct intern_hset *h);

/* --- 64-bit keys ---------------------------------------------------------- */

/*
 * Maps a 64-bit key to a dense index 0..n-1, in order of first insertion,
 * so callers keep per-key records in an array of their own.
 */
struct intern_map;

struct intern_map *intern_map_new(void);
void		 intern_map_free(struct intern_map *m);

/*
 * The index of key, adding it (as the next index) if new.
 * OUT: *added is 1 if it was added (may be NULL).
 */
uint32_t	 intern_map_get(struct intern_map *m, uint64_t key,
		    int *added);

/* Number of keys. */
uint32_t	 intern_map_count(const struct intern_map *m);

/* The key with index i (i < count). */
uint64_t	 intern_map_key(const struct intern_map *m, uint32_t i);

/* Two 32-bit ids as one key. */
#define INTERN_PAIR(a, b)	(((uint64_t)(a) << 32) | (uint64_t)(b))

/* Growth of caller arrays indexed by id: at least n elements of size sz. */
void		*intern_grow(void *p, size_t *cap, size_t n, size_t sz);

/* malloc/calloc/strdup that exit on failure (the analyzer's OOM policy). */
void		*intern_xcalloc(size_t n, size_t sz);
char		*intern_xstrdup(const char *s);

#endif /* AUDIT_INTERN_H */
