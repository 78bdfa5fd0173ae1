/*
 * fuzz_rowscan.c -- libFuzzer target for audit/rowscan.c, the direct
 * reader of the audit_events B-tree.  The input is a database file image
 * (damaged or hostile), opened as "mcpgate-audit ... --db -" opens one
 * (audit_db_open_image: in memory, read-only, defensive).  When SQLite
 * accepts it as an audit database, every row is read on the direct path
 * only (ROWSCAN_DIRECT_ONLY: the statement path is SQLite's own code),
 * over the whole table with every column and again from a seq taken
 * from the input with the scan's columns, through every accessor:
 * rowscan_row, rowscan_int, rowscan_text and rowscan_isnull.  Every byte
 * handed out is read, so ASan sees a value that points outside its page.
 * Links the analyzer's objects, not libmcpgate (Makefile).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "auditchain.h"
#include "db.h"
#include "rowscan.h"

/* Larger images only slow the fuzzer; seeds are a few KiB pages. */
#define FUZZ_ROWSCAN_MAX_INPUT	(256 * 1024)
#define FUZZ_ROWSCAN_MAX_ROWS	20000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every column of the table: the chained ones, then the two hashes. */
static const char *all_cols[AUDITCHAIN_C__MAX + 2];

static void
cols_init(void)
{
	size_t	 i;

	for (i = 0; i < AUDITCHAIN_C__MAX; i++)
		all_cols[i] = auditchain_columns[i];
	all_cols[AUDITCHAIN_C__MAX] = "prev_hash";
	all_cols[AUDITCHAIN_C__MAX + 1] = "row_hash";
}

/* The columns "scan" reads (audit/scan.c), in a different order. */
static const char *const scan_cols[] = {
	"token_sub", "seq", "kind", "ts_us", "host_id", "session_hash",
	"principal", "auth_method", "auth_result", "decision", "key_id",
	"client_addr", "user_agent", "http_status", "rpc_method",
	"rpc_error_code", "tool", "scope_required", "idem_key_hash",
	"idem_status", "args_digest", "outcome", "error_category",
	"error_code", "retryable", "retry_after_ms", "latency_us",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static volatile unsigned int sink;

/* Reads every byte of s[0..len): ASan checks the bounds. */
static unsigned int
touch(const char *s, size_t len)
{
	unsigned int	 x = 0;
	size_t		 i;

	for (i = 0; i < len; i++)
		x = x * 31 + (unsigned char)s[i];
	return x;
}

static void
read_all(struct audit_db *db, const char *const *cols, size_t ncols,
    int64_t lo, int64_t hi)
{
	struct rowscan_val v[ROWSCAN_COLS_MAX];
	struct rowscan	*rs = NULL;
	const char	*s;
	unsigned int	 x = 0;
	size_t		 i, len;
	int		 rc, n = 0;
	char		 err[256];

	if (rowscan_open(db, cols, ncols, lo, hi, ROWSCAN_DIRECT_ONLY, &rs,
	    err, sizeof(err)) != 0 || rs == NULL)
		return;
	while (n++ < FUZZ_ROWSCAN_MAX_ROWS && (rc = rowscan_next(rs)) == 1) {
		rowscan_row(rs, v);
		for (i = 0; i < ncols; i++) {
			if (v[i].s != NULL)
				x += touch(v[i].s, v[i].len);
			x += (unsigned int)v[i].i + (unsigned int)v[i].null;
			x += (unsigned int)rowscan_isnull(rs, i);
			x += (unsigned int)rowscan_int(rs, i, -1);
			if ((s = rowscan_text(rs, i, &len)) != NULL)
				x += touch(s, len);
		}
	}
	x += touch(rowscan_errmsg(rs), strlen(rowscan_errmsg(rs)));
	sink += x;
	rowscan_free(rs);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_db	*db = NULL;
	char		 err[256];
	int64_t		 from;

	if (size > FUZZ_ROWSCAN_MAX_INPUT)
		return 0;
	if (all_cols[0] == NULL)
		cols_init();
	if (audit_db_open_image(data, size, &db, err, sizeof(err)) == -1)
		return 0;
	if (audit_db_begin(db, err, sizeof(err)) == 0) {
		read_all(db, all_cols, NELEM(all_cols), INT64_MIN, INT64_MAX);
		/* a start inside the table: the binary searches on the way */
		from = size > 0 ? data[size - 1] % 64 : 0;
		read_all(db, scan_cols, NELEM(scan_cols), from, from + 40);
		audit_db_end(db);
	}
	audit_db_close(db);
	return 0;
}
