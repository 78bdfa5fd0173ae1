/*
 * rowscan.h -- reads the rows of audit_events with lo <= seq <= hi in seq
 * order, a chosen set of columns, as fast as the file allows.
 *
 * When the snapshot of the caller's read transaction is exactly the main
 * database file (a rollback-journal database, an empty or absent WAL, an
 * immutable archive or an image read from standard input), the table's
 * B-tree pages are read through SQLite's own file handle and the records
 * are decoded here (the format is SQLite's documented file format):
 * nothing is copied per column.  Otherwise, and whenever anything in the
 * file looks unexpected before the first row, it steps one prepared
 * statement instead.  Both paths give the same rows and values.
 *
 * Never writes anything and never opens the file itself (a second
 * descriptor would drop SQLite's POSIX locks when closed).
 */
#ifndef AUDIT_ROWSCAN_H
#define AUDIT_ROWSCAN_H

#include <stddef.h>
#include <stdint.h>

struct audit_db;
struct rowscan;		/* opaque */

#define ROWSCAN_COLS_MAX	64	/* columns one scan can read */

/* rowscan_open flags */
#define ROWSCAN_SQL		0x01	/* always step a statement */
#define ROWSCAN_DIRECT_ONLY	0x02	/* never: return 1, *out NULL */

/*
 * Opens a scan of [lo, hi] (seq) reading cols (column names of
 * audit_events; "seq" is the rowid), on db inside its read transaction
 * (audit_db_begin).  MCPGATE_AUDIT_DIRECT=0 in the environment forces the
 * statement path.  Rows are read from the first rowscan_next on.
 * OUT: *out, owned by the caller (free with rowscan_free).
 * Returns 0, 1 (ROWSCAN_DIRECT_ONLY and no direct path: nothing opened)
 * or -1 with a sentence in err.
 */
int	 rowscan_open(struct audit_db *db, const char *const *cols,
	    size_t ncols, int64_t lo, int64_t hi, int flags,
	    struct rowscan **out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/* Ends the scan.  NULL-safe. */
void	 rowscan_free(struct rowscan *rs);

/*
 * Moves to the next row.  Returns 1 (a row), 0 (done) or -1 (an error:
 * rowscan_errmsg).  Values of the previous row are invalid afterwards.
 */
int	 rowscan_next(struct rowscan *rs) __attribute__((warn_unused_result));

/* 1 when the B-tree is read directly, 0 on the statement path. */
int	 rowscan_direct(const struct rowscan *rs);

/* The reason of the last -1: borrowed, valid until rowscan_free. */
const char *rowscan_errmsg(const struct rowscan *rs);

/* 1 when column i (index into cols) of the current row is NULL. */
int	 rowscan_isnull(struct rowscan *rs, size_t i);

/* Column i as an integer; dflt when it is NULL. */
int64_t	 rowscan_int(struct rowscan *rs, size_t i, int64_t dflt);

/*
 * Column i as text: NULL when it is NULL, else its bytes (not NUL-
 * terminated), *len set.  Borrowed, valid until the next rowscan_next.
 */
const char *rowscan_text(struct rowscan *rs, size_t i, size_t *len);

/* One column of the current row, as rowscan_row gives it. */
struct rowscan_val {
	const char	*s;	/* text or blob bytes (not NUL-terminated);
				   NULL for NULL, integers and reals */
	size_t		 len;	/* bytes at s */
	int64_t		 i;	/* integers (reals truncated); else 0 */
	int		 null;	/* 1: SQL NULL */
};

/*
 * Every column of the current row at once, into v[0..ncols): cheaper
 * than a call per column.  The pointers are borrowed, valid until the
 * next rowscan_next.
 */
void	 rowscan_row(struct rowscan *rs, struct rowscan_val *v);

#endif /* AUDIT_ROWSCAN_H */
