/*
 * rowscan.c -- the analyzer's sequential read of audit_events.
 *
 * SQLite's column API copies every text value out of the page and costs
 * one call (and a type check) per column; at 10 million rows of 48
 * columns that is most of a report.  When the main database file is
 * exactly the snapshot of the caller's read transaction, this module
 * walks the table's B-tree itself, in rowid (seq) order, and hands out
 * pointers into the page: the SQLite file format ("Database File
 * Format", sqlite.org/fileformat2.html) is stable and documented.  The
 * pages come through SQLite's own sqlite3_file (xRead), so nothing here
 * opens the file (closing a second descriptor would drop SQLite's POSIX
 * locks) and an in-memory image works the same way.
 *
 * The file is untrusted: every offset, length, page number and serial
 * type is checked, rowids must rise strictly (a loop in the tree cannot
 * repeat rows), the depth is bounded, and anything unexpected is an
 * error, never a read outside a buffer.  Knows nothing of reports.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "db.h"
#include "intern.h"
#include "rowscan.h"

#define RS_DEPTH_MAX	20		/* B-tree levels */
#define RS_HDR_LEN	100		/* the database file header */
#define RS_PAGE_MIN	512
#define RS_PAGE_MAX	65536
#define RS_USABLE_MIN	480		/* fileformat2: usable size */
#define RS_REC_MAX	2000		/* columns in a record (MAX_COLUMN) */
#define RS_PAYLOAD_MAX	(256u << 20)	/* a longer row is corruption */
#define RS_NUM_LEN	32		/* an integer or real as text */
#define RS_PT_INTERIOR	5		/* table B-tree page types */
#define RS_PT_LEAF	13
#define RS_SQL_MAX	4096

struct rs_level {
	unsigned char	*page;		/* owned, pgsz bytes */
	size_t		 hdr;		/* page header offset (100 on page 1) */
	int		 ncell;
	int		 idx;		/* leaf: next cell; interior: child */
};

struct rowscan {
	sqlite3		*db;
	sqlite3_stmt	*st;		/* the statement path */
	sqlite3_file	*f;		/* the direct path */
	size_t		 pgsz, usable;
	uint32_t	 npages, root;
	uint32_t	 reads;		/* pages read: a valid tree reads each
					   page at most once */
	int64_t		 lo, hi, rowid, last;
	int		 started, done, depth;
	struct rs_level	 lv[RS_DEPTH_MAX];
	size_t		 ncols;
	int		 rec[ROWSCAN_COLS_MAX];	/* record index; -1 rowid */
	int		 maxrec;
	/* the current record */
	const unsigned char *r;
	size_t		 rlen;
	int		 nrec;		/* columns present in it */
	uint64_t	 stype[RS_REC_MAX];
	uint32_t	 off[RS_REC_MAX];
	unsigned char	*ovf, *ovfpage;	/* overflowing records */
	size_t		 ovfcap;
	char		 num[ROWSCAN_COLS_MAX][RS_NUM_LEN];
	char		 err[256];
};

static uint32_t
rs_get2(const unsigned char *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
rs_get4(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A varint at p (not past end): its length, 0 when cut off. */
static size_t
rs_varint(const unsigned char *p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;
	size_t	 i;

	for (i = 0; i < 8; i++) {
		if (p + i >= end)
			return 0;
		x = x << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return i + 1;
		}
	}
	if (p + 8 >= end)
		return 0;
	*v = x << 8 | p[8];
	return 9;
}

/* Bytes of a value of serial type t; -1 for the reserved 10 and 11. */
static int64_t
rs_stsize(uint64_t t)
{
	static const int8_t small[12] = { 0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1,
	    -1 };

	if (t < 12)
		return small[t];
	if (t > (uint64_t)RS_PAYLOAD_MAX * 2 + 13)
		return -1;
	return (int64_t)((t - 12) / 2);
}

static int
rs_corrupt(struct rowscan *rs, const char *what, uint32_t pgno)
{
	snprintf(rs->err, sizeof(rs->err), "the audit database looks "
	    "corrupt (%s, page %u); run PRAGMA integrity_check", what, pgno);
	return -1;
}

static int
rs_read(struct rowscan *rs, uint32_t pgno, unsigned char *buf)
{
	int	 rc;

	if (pgno < 1 || pgno > rs->npages)
		return rs_corrupt(rs, "page number out of range", pgno);
	/* a loop or shared subtree: bounded work, never a hang */
	if (++rs->reads > rs->npages)
		return rs_corrupt(rs, "a page is reached twice", pgno);
	rc = rs->f->pMethods->xRead(rs->f, buf, (int)rs->pgsz,
	    (sqlite3_int64)(pgno - 1) * (sqlite3_int64)rs->pgsz);
	if (rc != SQLITE_OK) {
		snprintf(rs->err, sizeof(rs->err), "reading page %u: %s", pgno,
		    sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* The rowid (leaf) or key (interior) of cell i of level l. */
static int
rs_cell(struct rowscan *rs, struct rs_level *l, int i,
    const unsigned char **cell, int64_t *key)
{
	const unsigned char *p = l->page, *end = p + rs->usable, *c;
	uint64_t v;
	size_t	 n, o, h = l->hdr + (p[l->hdr] == RS_PT_LEAF ? 8 : 12);

	o = rs_get2(p + h + 2 * (size_t)i);
	if (o < h + 2 * (size_t)l->ncell || o >= rs->usable)
		return rs_corrupt(rs, "cell offset", 0);
	c = p + o;
	if (p[l->hdr] == RS_PT_INTERIOR) {
		if (c + 4 >= end || (n = rs_varint(c + 4, end, &v)) == 0)
			return rs_corrupt(rs, "interior cell", 0);
	} else {
		if ((n = rs_varint(c, end, &v)) == 0 ||
		    (n = rs_varint(c + n, end, &v)) == 0)
			return rs_corrupt(rs, "leaf cell", 0);
	}
	*cell = c;
	*key = (int64_t)v;
	return 0;
}

/*
 * Loads page pgno at level d and positions it on the first cell (leaf)
 * or child (interior) that can hold a rowid >= rs->lo.
 */
static int
rs_load(struct rowscan *rs, int d, uint32_t pgno)
{
	struct rs_level	*l = &rs->lv[d];
	const unsigned char *c;
	int64_t		 key;
	int		 a, b, m;

	if (d >= RS_DEPTH_MAX)
		return rs_corrupt(rs, "tree too deep", pgno);
	if (l->page == NULL)
		l->page = intern_xcalloc(1, rs->pgsz);
	if (rs_read(rs, pgno, l->page) == -1)
		return -1;
	l->hdr = pgno == 1 ? RS_HDR_LEN : 0;
	if (l->page[l->hdr] != RS_PT_INTERIOR && l->page[l->hdr] !=
	    RS_PT_LEAF)
		return rs_corrupt(rs, "not a table page", pgno);
	l->ncell = (int)rs_get2(l->page + l->hdr + 3);
	if (l->hdr + 12 + 2 * (size_t)l->ncell > rs->usable)
		return rs_corrupt(rs, "cell count", pgno);
	/* binary search: the first cell whose key is >= lo */
	a = 0;
	b = l->ncell;
	while (a < b) {
		m = a + (b - a) / 2;
		if (rs_cell(rs, l, m, &c, &key) == -1)
			return rs_corrupt(rs, "cell", pgno);
		if (key < rs->lo)
			a = m + 1;
		else
			b = m;
	}
	l->idx = a;
	rs->depth = d + 1;
	return 0;
}

/* The child page of the current position of interior level l. */
static int
rs_child(struct rowscan *rs, struct rs_level *l, uint32_t *pgno)
{
	const unsigned char *c;
	int64_t		 key;

	if (l->idx == l->ncell)
		*pgno = rs_get4(l->page + l->hdr + 8);
	else if (rs_cell(rs, l, l->idx, &c, &key) == -1)
		return -1;
	else
		*pgno = rs_get4(c);
	return 0;
}

/* Descends from level d (interior, positioned) to a leaf. */
static int
rs_down(struct rowscan *rs, int d)
{
	uint32_t pgno;

	while (rs->lv[d].page[rs->lv[d].hdr] == RS_PT_INTERIOR) {
		if (rs_child(rs, &rs->lv[d], &pgno) == -1 ||
		    rs_load(rs, d + 1, pgno) == -1)
			return -1;
		d++;
	}
	return 0;
}

/* Gathers an overflowing payload of plen bytes, local bytes at c. */
static int
rs_overflow(struct rowscan *rs, const unsigned char *c, size_t local,
    size_t plen)
{
	size_t	 have = local, n;
	uint32_t next;

	if (rs->ovfcap < plen)
		rs->ovf = intern_grow(rs->ovf, &rs->ovfcap, plen, 1);
	if (rs->ovfpage == NULL)
		rs->ovfpage = intern_xcalloc(1, rs->pgsz);
	memcpy(rs->ovf, c, local);
	next = rs_get4(c + local);
	while (have < plen) {
		if (rs_read(rs, next, rs->ovfpage) == -1)
			return -1;
		n = plen - have < rs->usable - 4 ? plen - have :
		    rs->usable - 4;
		memcpy(rs->ovf + have, rs->ovfpage + 4, n);
		have += n;
		next = rs_get4(rs->ovfpage);
	}
	rs->r = rs->ovf;
	rs->rlen = plen;
	return 0;
}

/*
 * Body bytes of the one-byte serial types (0..127), RS_ST_BAD for the
 * reserved 10 and 11: one load per column instead of a branch per kind.
 */
#define RS_ST_BAD	255
static const uint8_t rs_st1[128] = {
	0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 255, 255, 0, 0, 1, 1,
	2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9,
	10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 17,
	18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23, 23, 24, 24, 25, 25,
	26, 26, 27, 27, 28, 28, 29, 29, 30, 30, 31, 31, 32, 32, 33, 33,
	34, 34, 35, 35, 36, 36, 37, 37, 38, 38, 39, 39, 40, 40, 41, 41,
	42, 42, 43, 43, 44, 44, 45, 45, 46, 46, 47, 47, 48, 48, 49, 49,
	50, 50, 51, 51, 52, 52, 53, 53, 54, 54, 55, 55, 56, 56, 57, 57,
};

/*
 * Parses the record header of the current row up to rs->maxrec.  Sizes
 * only add up, so one check of the last body offset covers every column
 * (a multi-byte serial type is bounded first, so the sum cannot wrap).
 */
static int
rs_record(struct rowscan *rs)
{
	const unsigned char *p = rs->r;
	uint64_t hs, t;
	int64_t	 sz;
	size_t	 n, pos, body, hend;
	int	 c, max = rs->maxrec;

	if ((n = rs_varint(p, p + rs->rlen, &hs)) == 0 || hs > rs->rlen ||
	    hs < n)
		return rs_corrupt(rs, "record header", 0);
	pos = n;
	hend = (size_t)hs;
	body = hend;
	for (c = 0; c <= max && pos < hend; c++) {
		t = p[pos];
		if (t < 0x80 && rs_st1[t] != RS_ST_BAD) {
			pos++;
			sz = rs_st1[t];
		} else {
			if (t < 0x80 || (n = rs_varint(p + pos, p + hend,
			    &t)) == 0 || (sz = rs_stsize(t)) < 0)
				return rs_corrupt(rs, "serial type", 0);
			pos += n;
		}
		rs->stype[c] = t;
		rs->off[c] = (uint32_t)body;
		body += (size_t)sz;
	}
	if (body > rs->rlen)
		return rs_corrupt(rs, "record body", 0);
	rs->nrec = c;
	return 0;
}

/* Makes cell idx of the leaf the current row. */
static int
rs_row(struct rowscan *rs, struct rs_level *l, int idx)
{
	const unsigned char *c, *end = l->page + rs->usable;
	uint64_t plen, rowid;
	size_t	 n, m, x, k, local;

	if (rs_cell(rs, l, idx, &c, &rs->rowid) == -1)
		return -1;
	n = rs_varint(c, end, &plen);
	n += rs_varint(c + n, end, &rowid);
	c += n;
	if (plen > RS_PAYLOAD_MAX || plen > (uint64_t)rs->npages * rs->usable)
		return rs_corrupt(rs, "payload size", 0);
	x = rs->usable - 35;
	if (plen <= x) {
		if (c + plen > end)
			return rs_corrupt(rs, "payload", 0);
		rs->r = c;
		rs->rlen = (size_t)plen;
		return rs_record(rs);
	}
	m = (rs->usable - 12) * 32 / 255 - 23;
	k = m + ((size_t)plen - m) % (rs->usable - 4);
	local = k <= x ? k : m;
	if (c + local + 4 > end)
		return rs_corrupt(rs, "payload", 0);
	if (rs_overflow(rs, c, local, (size_t)plen) == -1)
		return -1;
	return rs_record(rs);
}

static int
rs_next_direct(struct rowscan *rs)
{
	struct rs_level	*l;
	int		 d;

	if (!rs->started) {
		rs->started = 1;
		if (rs_load(rs, 0, rs->root) == -1 || rs_down(rs, 0) == -1)
			return -1;
	}
	for (;;) {
		l = &rs->lv[rs->depth - 1];
		if (l->idx < l->ncell) {
			if (rs_row(rs, l, l->idx++) == -1)
				return -1;
			if (rs->rowid > rs->hi)
				return 0;
			if (rs->rowid < rs->lo || (rs->started > 1 &&
			    rs->rowid <= rs->last))
				return rs_corrupt(rs, "rowids out of order",
				    0);
			rs->started = 2;
			rs->last = rs->rowid;
			return 1;
		}
		/* up to the first interior level with a child left */
		for (d = rs->depth - 2; d >= 0; d--)
			if (++rs->lv[d].idx <= rs->lv[d].ncell)
				break;
		if (d < 0)
			return 0;
		rs->depth = d + 1;
		if (rs_down(rs, d) == -1)
			return -1;
	}
}

int
rowscan_next(struct rowscan *rs)
{
	int	 rc;

	if (rs->done)
		return 0;
	if (rs->f != NULL) {
		if ((rc = rs_next_direct(rs)) != 1)
			rs->done = 1;
		return rc;
	}
	if ((rc = sqlite3_step(rs->st)) == SQLITE_ROW)
		return 1;
	rs->done = 1;
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(rs->err, sizeof(rs->err), "%s", sqlite3_errmsg(rs->db));
	return -1;
}

int
rowscan_direct(const struct rowscan *rs)
{
	return rs->f != NULL;
}

const char *
rowscan_errmsg(const struct rowscan *rs)
{
	return rs->err;
}

/* A big-endian two's complement integer of n bytes. */
static int64_t
rs_be(const unsigned char *p, size_t n)
{
	uint64_t v = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
	size_t	 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static double
rs_real(const unsigned char *p)
{
	uint64_t v = (uint64_t)rs_be(p, 8);
	double	 d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

/*
 * Record column c is NULL: absent, serial type 0, or a NaN real (SQLite
 * reads a stored NaN as NULL; only a damaged file has one).
 */
static int
rs_null(const struct rowscan *rs, int c)
{
	double	 d;

	if (c >= rs->nrec || rs->stype[c] == 0)
		return 1;
	if (rs->stype[c] != 7)
		return 0;
	d = rs_real(rs->r + rs->off[c]);
	return d != d;
}

int
rowscan_isnull(struct rowscan *rs, size_t i)
{
	int	 c;

	if (rs->f == NULL)
		return sqlite3_column_type(rs->st, (int)i) == SQLITE_NULL;
	c = rs->rec[i];
	return c >= 0 && rs_null(rs, c);
}

int64_t
rowscan_int(struct rowscan *rs, size_t i, int64_t dflt)
{
	const unsigned char *p;
	uint64_t t;
	int	 c;
	double	 d;

	if (rs->f == NULL)
		return sqlite3_column_type(rs->st, (int)i) == SQLITE_NULL ?
		    dflt : sqlite3_column_int64(rs->st, (int)i);
	if ((c = rs->rec[i]) < 0)
		return rs->rowid;
	if (rs_null(rs, c))
		return dflt;
	t = rs->stype[c];
	p = rs->r + rs->off[c];
	switch (t) {
	case 1: case 2: case 3: case 4:
		return rs_be(p, (size_t)t);
	case 5:
		return rs_be(p, 6);
	case 6:
		return rs_be(p, 8);
	case 7:
		d = rs_real(p);
		return d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN :
		    (int64_t)d;
	case 8:
		return 0;
	case 9:
		return 1;
	default:
		/* text or blob in an integer column: SQLite's prefix rule */
		{
			const unsigned char *e = p + (t - 12) / 2;
			int64_t	 v = 0;
			int	 neg = 0;

			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			if (p < e && (*p == '-' || *p == '+'))
				neg = *p++ == '-';
			while (p < e && *p >= '0' && *p <= '9' &&
			    v < INT64_MAX / 10)
				v = v * 10 + (*p++ - '0');
			return neg ? -v : v;
		}
	}
}

const char *
rowscan_text(struct rowscan *rs, size_t i, size_t *len)
{
	const char	*s;
	uint64_t	 t;
	int		 c;

	if (rs->f == NULL) {
		if ((s = (const char *)sqlite3_column_text(rs->st, (int)i)) ==
		    NULL)
			return NULL;
		*len = (size_t)sqlite3_column_bytes(rs->st, (int)i);
		return s;
	}
	if ((c = rs->rec[i]) >= 0 && rs_null(rs, c))
		return NULL;
	if (c >= 0 && (t = rs->stype[c]) >= 12) {
		*len = (size_t)(t - 12) / 2;
		return (const char *)rs->r + rs->off[c];
	}
	if (c >= 0 && rs->stype[c] == 7)
		snprintf(rs->num[i], RS_NUM_LEN, "%.15g", rs_real(rs->r +
		    rs->off[c]));
	else
		snprintf(rs->num[i], RS_NUM_LEN, "%lld", (long long)
		    rowscan_int(rs, i, 0));
	*len = strlen(rs->num[i]);
	return rs->num[i];
}

/* rowscan_row on the statement path. */
static void
rs_row_stmt(struct rowscan *rs, struct rowscan_val *v)
{
	size_t	 i;

	for (i = 0; i < rs->ncols; i++, v++) {
		v->s = NULL;
		v->len = 0;
		v->i = 0;
		v->null = 0;
		switch (sqlite3_column_type(rs->st, (int)i)) {
		case SQLITE_NULL:
			v->null = 1;
			break;
		case SQLITE_TEXT:
		case SQLITE_BLOB:
			v->s = (const char *)sqlite3_column_text(rs->st,
			    (int)i);
			v->len = (size_t)sqlite3_column_bytes(rs->st, (int)i);
			break;
		default:
			v->i = sqlite3_column_int64(rs->st, (int)i);
			break;
		}
	}
}

void
rowscan_row(struct rowscan *rs, struct rowscan_val *v)
{
	const unsigned char *p;
	uint64_t t;
	size_t	 i;
	int	 c;

	if (rs->f == NULL) {
		rs_row_stmt(rs, v);
		return;
	}
	for (i = 0; i < rs->ncols; i++, v++) {
		v->s = NULL;
		v->len = 0;
		v->i = 0;
		v->null = 0;
		if ((c = rs->rec[i]) < 0) {
			v->i = rs->rowid;
			continue;
		}
		if (c >= rs->nrec) {
			v->null = 1;
			continue;
		}
		t = rs->stype[c];
		p = rs->r + rs->off[c];
		switch (t) {
		case 0:
			v->null = 1;
			break;
		case 1:
			v->i = (int8_t)p[0];
			break;
		case 2:
			v->i = (int16_t)(uint16_t)((unsigned int)p[0] << 8 |
			    p[1]);
			break;
		case 3:
		case 4:
			v->i = rs_be(p, (size_t)t);
			break;
		case 5:
			v->i = rs_be(p, 6);
			break;
		case 6:
			v->i = rs_be(p, 8);
			break;
		case 7:
			if (rs_null(rs, c))
				v->null = 1;
			else
				v->i = rowscan_int(rs, i, 0);
			break;
		case 8:
			break;
		case 9:
			v->i = 1;
			break;
		default:
			/* text or blob (10 and 11 never pass rs_record) */
			v->s = (const char *)p;
			v->len = (size_t)(t - 12) / 2;
			break;
		}
	}
}

/* --- opening ---------------------------------------------------------- */

static int
rs_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Maps the requested columns to record positions with table_xinfo:
 * "seq" must be the INTEGER PRIMARY KEY (the rowid), no column may be
 * hidden or generated, and a requested column must have no default (a
 * record shorter than the table then reads as NULL, as in SQLite).
 */
static int
rs_columns(struct rowscan *rs, const char *const *cols)
{
	sqlite3_stmt	*st;
	const char	*name, *type;
	size_t		 i;
	int		 cid, ok = 1, found = 0;

	if (sqlite3_prepare_v2(rs->db, "PRAGMA table_xinfo(audit_events)", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	for (i = 0; i < rs->ncols; i++)
		rs->rec[i] = INT_MIN;
	rs->maxrec = -1;
	for (cid = 0; ok && sqlite3_step(st) == SQLITE_ROW; cid++) {
		name = (const char *)sqlite3_column_text(st, 1);
		type = (const char *)sqlite3_column_text(st, 2);
		if (name == NULL || type == NULL ||
		    sqlite3_column_int(st, 6) != 0 || cid >= RS_REC_MAX) {
			ok = 0;
			break;
		}
		for (i = 0; i < rs->ncols; i++) {
			if (strcmp(cols[i], name) != 0)
				continue;
			found++;
			if (sqlite3_column_int(st, 5) != 0) {
				/* the rowid alias, and only that */
				ok = strcmp(type, "INTEGER") == 0 &&
				    strcmp(name, "seq") == 0;
				rs->rec[i] = -1;
			} else if (sqlite3_column_type(st, 4) != SQLITE_NULL)
				ok = 0;
			else {
				rs->rec[i] = cid;
				if (cid > rs->maxrec)
					rs->maxrec = cid;
			}
		}
	}
	sqlite3_finalize(st);
	for (i = 0; i < rs->ncols; i++)
		if (rs->rec[i] == INT_MIN)
			ok = 0;
	return ok ? 0 : -1;
}

/* Whether the main file holds the whole snapshot; fills the geometry. */
static int
rs_direct_ok(struct rowscan *rs, const char *const *cols)
{
	unsigned char	 h[RS_HDR_LEN];
	sqlite3_file	*f = NULL;
	const char	*fn, *env = getenv("MCPGATE_AUDIT_DIRECT");
	char		*wal;
	struct stat	 sb;
	int64_t		 v;
	int		 walempty;

	if (env != NULL && strcmp(env, "0") == 0)
		return -1;
	if (sqlite3_file_control(rs->db, "main", SQLITE_FCNTL_FILE_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL ||
	    f->pMethods->xRead == NULL)
		return -1;
	if (f->pMethods->xRead(f, h, sizeof(h), 0) != SQLITE_OK ||
	    memcmp(h, "SQLite format 3", 16) != 0)
		return -1;
	rs->pgsz = rs_get2(h + 16) == 1 ? RS_PAGE_MAX : rs_get2(h + 16);
	if (rs->pgsz < RS_PAGE_MIN || rs->pgsz > RS_PAGE_MAX ||
	    (rs->pgsz & (rs->pgsz - 1)) != 0 || h[20] > rs->pgsz -
	    RS_USABLE_MIN || rs_get4(h + 56) != SQLITE_UTF8)
		return -1;
	rs->usable = rs->pgsz - h[20];
	/*
	 * A WAL database: only when the WAL is empty or absent.  Our read
	 * transaction then holds WAL read lock 0, which no checkpoint can
	 * pass, so the main file is our snapshot until it ends.  (A WAL
	 * cannot be emptied under a reader that uses it.)
	 */
	if (h[18] == 2 || h[19] == 2) {
		if ((fn = sqlite3_db_filename(rs->db, "main")) == NULL ||
		    *fn == '\0')
			return -1;
		if (asprintf(&wal, "%s-wal", fn) == -1)
			return -1;
		walempty = stat(wal, &sb) == -1 ? errno == ENOENT :
		    sb.st_size == 0;
		free(wal);
		if (!walempty)
			return -1;
	} else if (h[18] != 1 || h[19] != 1)
		return -1;
	if (rs_int(rs->db, "PRAGMA page_count", &v) == -1 || v < 1 ||
	    v > UINT32_MAX)
		return -1;
	rs->npages = (uint32_t)v;
	if (rs_int(rs->db, "SELECT rootpage FROM sqlite_master WHERE type = "
	    "'table' AND name = 'audit_events'", &v) == -1 || v < 1 ||
	    v > rs->npages)
		return -1;
	rs->root = (uint32_t)v;
	if (rs_columns(rs, cols) == -1)
		return -1;
	rs->f = f;
	return 0;
}

static int
rs_prepare(struct rowscan *rs, const char *const *cols, char *err,
    size_t errlen)
{
	char	 sql[RS_SQL_MAX];
	size_t	 i, n;

	n = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < rs->ncols && n < sizeof(sql); i++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s\"%s\"",
		    i > 0 ? ", " : "", cols[i]);
	if (n < sizeof(sql))
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, " FROM "
		    "audit_events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq");
	if (n >= sizeof(sql) || sqlite3_prepare_v2(rs->db, sql, -1, &rs->st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "preparing the scan: %s",
		    sqlite3_errmsg(rs->db));
		return -1;
	}
	sqlite3_bind_int64(rs->st, 1, rs->lo);
	sqlite3_bind_int64(rs->st, 2, rs->hi);
	return 0;
}

int
rowscan_open(struct audit_db *db, const char *const *cols, size_t ncols,
    int64_t lo, int64_t hi, int flags, struct rowscan **out, char *err,
    size_t errlen)
{
	struct rowscan	*rs;

	*out = NULL;
	if (ncols == 0 || ncols > ROWSCAN_COLS_MAX) {
		snprintf(err, errlen, "rowscan: %zu columns", ncols);
		return -1;
	}
	rs = intern_xcalloc(1, sizeof(*rs));
	rs->db = audit_db_sqlite(db);
	rs->ncols = ncols;
	rs->lo = lo;
	rs->hi = hi;
	if (lo > hi)
		rs->done = 1;
	if ((flags & ROWSCAN_SQL) || rs_direct_ok(rs, cols) == -1) {
		if (flags & ROWSCAN_DIRECT_ONLY) {
			rowscan_free(rs);
			return 1;
		}
		if (rs_prepare(rs, cols, err, errlen) == -1) {
			rowscan_free(rs);
			return -1;
		}
	}
	*out = rs;
	return 0;
}

void
rowscan_free(struct rowscan *rs)
{
	int	 d;

	if (rs == NULL)
		return;
	sqlite3_finalize(rs->st);
	for (d = 0; d < RS_DEPTH_MAX; d++)
		free(rs->lv[d].page);
	free(rs->ovf);
	free(rs->ovfpage);
	free(rs);
}
