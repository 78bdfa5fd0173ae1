/*
 * verify.c -- `mcpgate-audit verify`: checks the audit log's hash chain
 * (or HMAC chain, given the sealing keys) with lib/auditchain, which
 * also finds sequence gaps, rows missing at the oldest end without a
 * retention marker, and rows deleted from the newest end (sqlite_sequence
 * ahead of max(seq)).  Prints what it checked and the first bad row, in
 * any report format, with the same manifest as a report.
 *
 * What a pass proves: every row from the oldest kept one to the newest is
 * the row that was chained when it was written (with a key: by someone
 * holding the key).  It does not prove that events were written at all,
 * that clocks were right, or -- without a key -- that someone able to
 * write the file did not rebuild the whole chain.  Exit status: 0 intact,
 * 1 broken (or, with --strict, sealed rows left unchecked), 3 unknown.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "auditchain.h"
#include "fmt.h"
#include "report.h"
#include "verify.h"

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION	"0.0.0"
#endif

#define VF_KEYS_MAX	8

static const struct doc_col vf_cols[] = {
	{ "status", DOC_STR }, { "intact", DOC_STR }, { "bad_seq", DOC_INT },
	{ "detail", DOC_STR }, { "rows", DOC_INT }, { "first_seq", DOC_INT },
	{ "last_seq", DOC_INT }, { "chain_head", DOC_STR },
	{ "sealed", DOC_INT }, { "unsealed", DOC_INT },
	{ "unverified", DOC_INT }, { "retention_markers", DOC_INT },
	{ "sqlite_sequence", DOC_INT }, { "keys_given", DOC_INT },
};
static const struct doc_col vf_marker_cols[] = {
	{ "seq", DOC_INT }, { "ts", DOC_TIME }, { "host_id", DOC_STR },
	{ "pruned_rows", DOC_INT }, { "first_kept_seq", DOC_INT },
	{ "cut_hash", DOC_STR },
};

static void
vf_usage(FILE *f)
{
	fprintf(f, "usage: mcpgate-audit verify --db FILE [options]\n\n"
	    "  --db FILE           the audit database (\"-\": stdin)\n"
	    "  --key FILE          a sealing key (HMAC chain); repeat for "
	    "rotated keys\n"
	    "  --require-sealed    every row must be sealed (HMAC)\n"
	    "  --strict            sealed rows that could not be checked "
	    "(no key) fail\n"
	    "  --from-seq N        start at row N (incremental), whose "
	    "row_hash must be\n"
	    "  --anchor HEX        the head a previous run recorded\n"
	    "  --format FMT        %s (default text)\n"
	    "  -o, --output FILE   write there instead of stdout\n"
	    "  --immutable         the file is an archived copy: no locking"
	    "\n\nexit status: 0 intact, 1 broken, 3 unknown (usage, "
	    "unreadable database)\n", fmt_names());
}

/* The retention markers, oldest first, into a table. */
static int
vf_markers(struct audit_db *db, struct doc *d, char *err, size_t errlen)
{
	struct doc_table *t;
	struct doc_cell	*c;
	sqlite3_stmt	*st;
	int		 step;

	if (audit_db_prepare(db, "SELECT seq, ts_us, host_id, pruned_rows, "
	    "first_kept_seq, cut_hash FROM audit_events WHERE kind = "
	    "'retention' ORDER BY seq", &st, err, errlen) == -1)
		return -1;
	t = doc_table_add(d, "retention_markers", "Retention markers",
	    vf_marker_cols, sizeof(vf_marker_cols) / sizeof(vf_marker_cols[0]));
	t->note = doc_strdup(d, "Each prune deletes the oldest rows and "
	    "appends one marker; the oldest kept row must link to the newest "
	    "marker's cut_hash.");
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		c = doc_row_add(t);
		doc_set_int(&c[0], sqlite3_column_int64(st, 0));
		doc_set_int(&c[1], sqlite3_column_int64(st, 1));
		doc_set_str(d, &c[2], (const char *)sqlite3_column_text(st, 2));
		doc_set_int(&c[3], sqlite3_column_int64(st, 3));
		doc_set_int(&c[4], sqlite3_column_int64(st, 4));
		doc_set_str(d, &c[5], (const char *)sqlite3_column_text(st, 5));
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "reading retention markers: %s",
		    sqlite3_errmsg(audit_db_sqlite(db)));
		return -1;
	}
	return 0;
}

int
verify_main(int argc, char **argv)
{
	enum { O_DB = 256, O_KEY, O_REQSEALED, O_STRICT, O_FROMSEQ, O_ANCHOR,
	    O_FORMAT, O_IMMUTABLE };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "key", required_argument, NULL, O_KEY },
		{ "require-sealed", no_argument, NULL, O_REQSEALED },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "from-seq", required_argument, NULL, O_FROMSEQ },
		{ "anchor", required_argument, NULL, O_ANCHOR },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "immutable", no_argument, NULL, O_IMMUTABLE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct auditchain_key	*keys = NULL;
	struct auditchain_opts	 vo;
	struct auditchain_report rep;
	struct audit_db_span	 span;
	struct audit_db		*db = NULL;
	struct doc		*d = NULL;
	struct doc_table	*t;
	struct doc_cell		*c;
	const struct fmt_ops	*fmt;
	const char		*path = NULL, *format = "text", *output = NULL;
	char			 err[512], title[512], *end, *tmp = NULL;
	size_t			 nkeys = 0, i;
	int			 ch, rc, flags = 0, strict = 0, status = 3;
	FILE			*out;
	long long		 v;

	memset(&vo, 0, sizeof(vo));
	err[0] = '\0';
	keys = intern_xcalloc(VF_KEYS_MAX, sizeof(*keys));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_DB:
			path = optarg;
			break;
		case O_KEY:
			if (nkeys == VF_KEYS_MAX) {
				snprintf(err, sizeof(err), "at most %d --key",
				    VF_KEYS_MAX);
				goto usage;
			}
			if (auditchain_key_load(optarg, &keys[nkeys], err,
			    sizeof(err)) == -1)
				goto usage;
			nkeys++;
			break;
		case O_REQSEALED:
			vo.require_sealed = 1;
			break;
		case O_STRICT:
			strict = 1;
			break;
		case O_FROMSEQ:
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 1) {
				snprintf(err, sizeof(err), "--from-seq wants a "
				    "row number (1 or more)");
				goto usage;
			}
			vo.from_seq = v;
			break;
		case O_ANCHOR:
			vo.anchor_hash = optarg;
			break;
		case O_FORMAT:
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case O_IMMUTABLE:
			flags |= AUDIT_DB_IMMUTABLE;
			break;
		case 'h':
			vf_usage(stdout);
			status = 0;
			goto out;
		default:
			snprintf(err, sizeof(err), "unknown or incomplete "
			    "option \"%s\"", argv[optind - 1]);
			goto usage;
		}
	}
	if (optind < argc && path == NULL)
		path = argv[optind++];
	if (optind < argc) {
		snprintf(err, sizeof(err), "unexpected argument \"%s\"",
		    argv[optind]);
		goto usage;
	}
	if (path == NULL) {
		snprintf(err, sizeof(err), "no audit database given (--db "
		    "FILE)");
		goto usage;
	}
	if ((fmt = fmt_find(format)) == NULL) {
		snprintf(err, sizeof(err), "unknown format \"%s\" (use %s)",
		    format, fmt_names());
		goto usage;
	}
	if (vo.anchor_hash != NULL && vo.from_seq == 0) {
		snprintf(err, sizeof(err), "--anchor needs --from-seq");
		goto usage;
	}
	vo.keys = keys;
	vo.nkeys = nkeys;
	if (audit_db_open(path, flags, &db, err, sizeof(err)) == -1)
		goto fail;

	/* The chain walk takes its own read transaction. */
	rc = auditchain_verify(audit_db_sqlite(db), &vo, &rep);
	if (rc == -1) {
		snprintf(err, sizeof(err), "cannot verify %s: %s", path,
		    rep.detail);
		goto fail;
	}
	if (audit_db_begin(db, err, sizeof(err)) == -1 ||
	    audit_db_span(db, INT64_MIN, INT64_MAX, &span, err,
	    sizeof(err)) == -1)
		goto fail;
	if (rc == 1)
		snprintf(title, sizeof(title), "mcpgate-audit verify: BROKEN "
		    "at row %" PRId64 " (%s)", rep.bad_seq,
		    auditchain_status_name(rep.status));
	else
		snprintf(title, sizeof(title), "mcpgate-audit verify: %s",
		    rep.status == AUDITCHAIN_OK ? "OK" : "OK, UNVERIFIED "
		    "(sealed rows, no key)");
	d = doc_new("verify", title, 0);
	doc_manifest_str(d, "report", "verify");
	doc_manifest_str(d, "analyzer", "mcpgate-audit " MCPGATE_VERSION);
	doc_manifest_time(d, "generated_at", report_now());
	doc_manifest_str(d, "database", path);
	doc_manifest_int(d, "schema_version", audit_db_version(db));
	doc_manifest_int(d, "rows", rep.rows);
	doc_manifest_int(d, "first_seq", rep.first_seq);
	doc_manifest_int(d, "last_seq", rep.last_seq);
	doc_manifest_int(d, "db_rows", span.db_rows);
	doc_manifest_int(d, "db_first_seq", span.db_first_seq);
	doc_manifest_int(d, "db_last_seq", span.db_last_seq);
	doc_manifest_int(d, "sqlite_sequence", span.seq_hi);
	doc_manifest_hash(d, "chain_head", span.head_hash);
	if (vo.from_seq > 0)
		doc_param_int(d, "from_seq", vo.from_seq);
	if (vo.anchor_hash != NULL)
		doc_param_str(d, "anchor", vo.anchor_hash);
	doc_param_int(d, "keys", (int64_t)nkeys);
	for (i = 0; i < nkeys; i++)
		doc_param_str(d, "key_id", keys[i].id);
	doc_param_str(d, "require_sealed", vo.require_sealed ? "yes" : "no");
	doc_param_str(d, "strict", strict ? "yes" : "no");

	t = doc_table_add(d, "verification", "Chain verification", vf_cols,
	    sizeof(vf_cols) / sizeof(vf_cols[0]));
	t->flags |= DOC_VERTICAL;
	c = doc_row_add(t);
	doc_set_str(d, &c[0], auditchain_status_name(rep.status));
	doc_set_str(d, &c[1], rc == 0 ? "yes" : "no");
	if (rep.bad_seq > 0)
		doc_set_int(&c[2], rep.bad_seq);
	doc_set_str(d, &c[3], rep.detail);
	doc_set_int(&c[4], rep.rows);
	doc_set_int(&c[5], rep.first_seq);
	doc_set_int(&c[6], rep.last_seq);
	if (rep.head_hash[0] != '\0')
		doc_set_str(d, &c[7], rep.head_hash);
	doc_set_int(&c[8], rep.sealed);
	doc_set_int(&c[9], rep.unsealed);
	doc_set_int(&c[10], rep.unverified);
	doc_set_int(&c[11], rep.markers);
	doc_set_int(&c[12], span.seq_hi);
	doc_set_int(&c[13], (int64_t)nkeys);
	if (vf_markers(db, d, err, sizeof(err)) == -1)
		goto fail;
	audit_db_end(db);

	if ((out = report_output_open(output, &tmp, err, sizeof(err))) ==
	    NULL)
		goto fail;
	ch = fmt->render(out, d);
	if (report_output_close(out, output, tmp, ch == 0, err,
	    sizeof(err)) == -1 || ch == -1) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "writing the result: %s",
			    strerror(errno));
		goto fail;
	}
	if (rc == 1)
		fprintf(stderr, "mcpgate-audit verify: %s: chain broken at row "
		    "%" PRId64 " (%s): %s\n", path, rep.bad_seq,
		    auditchain_status_name(rep.status), rep.detail);
	else if (rep.status == AUDITCHAIN_UNVERIFIED)
		fprintf(stderr, "mcpgate-audit verify: %s: %s\n", path,
		    rep.detail);
	status = rc == 1 || (strict && rep.status == AUDITCHAIN_UNVERIFIED) ?
	    1 : 0;
	goto out;
usage:
	fprintf(stderr, "mcpgate-audit verify: %s\n(see mcpgate-audit verify "
	    "--help)\n", err);
	goto out;
fail:
	fprintf(stderr, "mcpgate-audit verify: %s\n", err);
out:
	for (i = 0; i < VF_KEYS_MAX; i++)
		auditchain_key_wipe(&keys[i]);
	free(keys);
	doc_free(d);
	audit_db_close(db);
	return status;
}
