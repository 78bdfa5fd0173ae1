/*
 * intern.c -- arena, string interning and a 64-bit key map, all with
 * open addressing and amortised growth, so the per-row cost of a report
 * is a hash and a compare, never an allocation.  Out of memory exits with
 * status 3 (the analyzer's "unknown" status).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intern.h"

#define ARENA_BLOCK	(1u << 20)

static void
intern_oom(void)
{
	fputs("mcpgate-audit: out of memory\n", stderr);
	exit(3);
}

void *
intern_xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n == 0 ? 1 : n, sz == 0 ? 1 : sz)) == NULL)
		intern_oom();
	return p;
}

char *
intern_xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		intern_oom();
	return p;
}

void *
intern_grow(void *p, size_t *cap, size_t n, size_t sz)
{
	size_t	 ncap = *cap == 0 ? 16 : *cap;
	char	*np;

	if (n <= *cap)
		return p;
	while (ncap < n) {
		if (ncap > SIZE_MAX / 2 / sz)
			intern_oom();
		ncap *= 2;
	}
	if ((np = realloc(p, ncap * sz)) == NULL)
		intern_oom();
	memset(np + *cap * sz, 0, (ncap - *cap) * sz);
	*cap = ncap;
	return np;
}

/* --- arena ---------------------------------------------------------------- */

struct intern_arena_block {
	struct intern_arena_block	*next;
	size_t			 used, size;
	max_align_t		 data[];
};

struct intern_arena {
	struct intern_arena_block	*head;
};

struct intern_arena *
intern_arena_new(void)
{
	return intern_xcalloc(1, sizeof(struct intern_arena));
}

void
intern_arena_free(struct intern_arena *a)
{
	struct intern_arena_block *b, *n;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = n) {
		n = b->next;
		free(b);
	}
	free(a);
}

void *
intern_arena_alloc(struct intern_arena *a, size_t n)
{
	struct intern_arena_block *b = a->head;
	size_t		 size;
	void		*p;

	n = (n + 7) & ~(size_t)7;
	if (b == NULL || b->size - b->used < n) {
		size = n > ARENA_BLOCK / 2 ? n : ARENA_BLOCK;
		if ((b = calloc(1, sizeof(*b) + size)) == NULL)
			intern_oom();
		b->size = size;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

char *
intern_arena_strndup(struct intern_arena *a, const char *s, size_t len)
{
	char	*p;

	if (s == NULL)
		return NULL;
	p = intern_arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* --- strings -------------------------------------------------------------- */

struct intern_ent {
	const char	*s;
	size_t		 len;
	uint64_t	 hash;
};

/*
 * Open addressing over 16-byte slots: the id in the low half of hid, the
 * high half of the value's hash in its upper half, and the string (whose
 * length is stored just before it), so a probe that misses touches only
 * the slot, and a hit only the slot and the string: the lookup is bound
 * by cache misses, and this keeps them to two.
 */
struct intern_slot {
	uint64_t	 hid;		/* 0 empty */
	const char	*s;
};

struct intern {
	struct intern_arena *arena;
	struct intern_ent *ents;	/* by id; ents[0] unused */
	size_t		 nents, capents;
	struct intern_slot *slots;
	size_t		 nslots;	/* power of two */
};

/*
 * A fast hash of short strings, 8 bytes at a time (multiply and fold).
 * No adversary worth a keyed hash here: the input is our own log, and a
 * collision only costs a probe.
 */
static uint64_t
intern_hash(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ len, w;
	size_t	 i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * UINT64_C(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	if (i < len) {
		w = 0;
		memcpy(&w, s + i, len - i);
		h = (h ^ w) * UINT64_C(0xc4ceb9fe1a85ec53);
		h ^= h >> 29;
	}
	h *= UINT64_C(0x9e3779b97f4a7c15);
	return h ^ (h >> 32);
}

#define INTERN_HI	UINT64_C(0xffffffff00000000)
#define INTERN_SLOT(id, h)	((uint64_t)(id) | ((h) & INTERN_HI))

struct intern *
intern_new(void)
{
	struct intern *t = intern_xcalloc(1, sizeof(*t));

	t->arena = intern_arena_new();
	t->nslots = 64;
	t->slots = intern_xcalloc(t->nslots, sizeof(*t->slots));
	t->nents = 1;
	t->ents = intern_grow(NULL, &t->capents, 1, sizeof(*t->ents));
	return t;
}

void
intern_free(struct intern *t)
{
	if (t == NULL)
		return;
	intern_arena_free(t->arena);
	free(t->ents);
	free(t->slots);
	free(t);
}

static void
intern_rehash(struct intern *t)
{
	size_t		 n = t->nslots * 2, i, j;
	struct intern_slot *s = intern_xcalloc(n, sizeof(*s));

	for (i = 1; i < t->nents; i++) {
		j = t->ents[i].hash & (n - 1);
		while (s[j].hid != 0)
			j = (j + 1) & (n - 1);
		s[j].hid = INTERN_SLOT(i, t->ents[i].hash);
		s[j].s = t->ents[i].s;
	}
	free(t->slots);
	t->slots = s;
	t->nslots = n;
}

/* The length stored just before an interned string. */
static size_t
intern_slen(const char *s)
{
	uint32_t n;

	memcpy(&n, s - sizeof(n), sizeof(n));
	return n;
}

/* The slot holding s, or the empty slot where it would go. */
static size_t
intern_slot(const struct intern *t, const char *s, size_t len, uint64_t h)
{
	size_t		 j = h & (t->nslots - 1);
	uint64_t	 v, hi = h & UINT64_C(0xffffffff00000000);

	while ((v = t->slots[j].hid) != 0) {
		if ((v & UINT64_C(0xffffffff00000000)) == hi &&
		    intern_slen(t->slots[j].s) == len &&
		    memcmp(t->slots[j].s, s, len) == 0)
			break;
		j = (j + 1) & (t->nslots - 1);
	}
	return j;
}

uint32_t
intern_find(const struct intern *t, const char *s, size_t len)
{
	if (s == NULL)
		return 0;
	return (uint32_t)t->slots[intern_slot(t, s, len, intern_hash(s,
	    len))].hid;
}

uint32_t
intern_id(struct intern *t, const char *s, size_t len)
{
	size_t		 j;
	uint64_t	 h;
	uint32_t	 id;

	if (s == NULL)
		return 0;
	h = intern_hash(s, len);
	j = intern_slot(t, s, len, h);
	if ((id = (uint32_t)t->slots[j].hid) != 0)
		return id;
	if (t->nents >= UINT32_MAX - 1 || len > UINT32_MAX - 16)
		intern_oom();
	t->ents = intern_grow(t->ents, &t->capents, t->nents + 1,
	    sizeof(*t->ents));
	id = (uint32_t)t->nents++;
	{
		/* the length, then the string: intern_slen reads it back */
		char		*p = intern_arena_alloc(t->arena, 8 + len + 1);
		uint32_t	 n32 = (uint32_t)len;

		memcpy(p + 8 - sizeof(n32), &n32, sizeof(n32));
		memcpy(p + 8, s, len);
		t->ents[id].s = p + 8;
	}
	t->ents[id].len = len;
	t->ents[id].hash = h;
	t->slots[j].hid = INTERN_SLOT(id, h);
	t->slots[j].s = t->ents[id].s;
	if (t->nents * 2 > t->nslots)
		intern_rehash(t);
	return id;
}

int
intern_same(const struct intern *t, uint32_t id, const char *s, size_t len)
{
	return id != 0 && id < t->nents && t->ents[id].len == len &&
	    memcmp(t->ents[id].s, s, len) == 0;
}

const char *
intern_str(const struct intern *t, uint32_t id)
{
	return id == 0 || id >= t->nents ? NULL : t->ents[id].s;
}

size_t
intern_len(const struct intern *t, uint32_t id)
{
	return id == 0 || id >= t->nents ? 0 : t->ents[id].len;
}

uint32_t
intern_count(const struct intern *t)
{
	return (uint32_t)(t->nents - 1);
}

uint64_t
intern_hash64(const char *s, size_t len)
{
	return intern_hash(s, len);
}

/* --- a set of 64-bit values ----------------------------------------------- */

struct intern_hset {
	uint64_t	*v;		/* 0 empty; the value 0 is kept apart */
	size_t		 n, nslots;
	int		 zero;
};

struct intern_hset *
intern_hset_new(void)
{
	struct intern_hset *h = intern_xcalloc(1, sizeof(*h));

	h->nslots = 64;
	h->v = intern_xcalloc(h->nslots, sizeof(*h->v));
	return h;
}

void
intern_hset_free(struct intern_hset *h)
{
	if (h == NULL)
		return;
	free(h->v);
	free(h);
}

int
intern_hset_add(struct intern_hset *h, uint64_t x)
{
	size_t		 j, i, n;
	uint64_t	*nv;

	if (x == 0) {
		if (h->zero)
			return 0;
		h->zero = 1;
		h->n++;
		return 1;
	}
	for (j = x & (h->nslots - 1); h->v[j] != 0; j = (j + 1) &
	    (h->nslots - 1))
		if (h->v[j] == x)
			return 0;
	h->v[j] = x;
	if (++h->n * 2 > h->nslots) {
		n = h->nslots * 2;
		nv = intern_xcalloc(n, sizeof(*nv));
		for (i = 0; i < h->nslots; i++) {
			if (h->v[i] == 0)
				continue;
			for (j = h->v[i] & (n - 1); nv[j] != 0;
			    j = (j + 1) & (n - 1))
				;
			nv[j] = h->v[i];
		}
		free(h->v);
		h->v = nv;
		h->nslots = n;
	}
	return 1;
}

size_t
intern_hset_count(const struct intern_hset *h)
{
	return h->n;
}

/* --- 64-bit keys ---------------------------------------------------------- */

struct intern_map {
	uint64_t	*keys;		/* by index */
	size_t		 nkeys, capkeys;
	uint32_t	*slots;		/* index + 1; 0 empty */
	size_t		 nslots;
};

static uint64_t
intern_mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

struct intern_map *
intern_map_new(void)
{
	struct intern_map *m = intern_xcalloc(1, sizeof(*m));

	m->nslots = 64;
	m->slots = intern_xcalloc(m->nslots, sizeof(*m->slots));
	return m;
}

void
intern_map_free(struct intern_map *m)
{
	if (m == NULL)
		return;
	free(m->keys);
	free(m->slots);
	free(m);
}

uint32_t
intern_map_get(struct intern_map *m, uint64_t key, int *added)
{
	size_t		 j, i, n;
	uint32_t	 v, *s;

	if (added != NULL)
		*added = 0;
	j = intern_mix(key) & (m->nslots - 1);
	while ((v = m->slots[j]) != 0) {
		if (m->keys[v - 1] == key)
			return v - 1;
		j = (j + 1) & (m->nslots - 1);
	}
	if (m->nkeys >= UINT32_MAX - 1)
		intern_oom();
	m->keys = intern_grow(m->keys, &m->capkeys, m->nkeys + 1,
	    sizeof(*m->keys));
	m->keys[m->nkeys++] = key;
	m->slots[j] = (uint32_t)m->nkeys;
	if (added != NULL)
		*added = 1;
	if (m->nkeys * 2 > m->nslots) {
		n = m->nslots * 2;
		s = intern_xcalloc(n, sizeof(*s));
		for (i = 0; i < m->nkeys; i++) {
			j = intern_mix(m->keys[i]) & (n - 1);
			while (s[j] != 0)
				j = (j + 1) & (n - 1);
			s[j] = (uint32_t)i + 1;
		}
		free(m->slots);
		m->slots = s;
		m->nslots = n;
	}
	return (uint32_t)m->nkeys - 1;
}

uint32_t
intern_map_count(const struct intern_map *m)
{
	return (uint32_t)m->nkeys;
}

uint64_t
intern_map_key(const struct intern_map *m, uint32_t i)
{
	return m->keys[i];
}
