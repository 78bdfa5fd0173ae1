/*
 * export.c -- `mcpgate-audit export`: audit rows, in sequence order, as
 * CSV (RFC 4180, formula-safe) or JSON lines for a SIEM; every column of
 * the row except the redacted arguments (--with-args adds them), the
 * time also as ISO 8601, and the chain hashes so the receiver can check
 * them.  --since-seq N exports only rows after N: the "last_seq" of the
 * previous run's --manifest is the next run's --since-seq.
 *
 * --pseudonymize-key FILE replaces principals (principal, token_sub), key
 * ids and client addresses with keyed pseudonyms (export_pseudonym):
 * stable across runs for one key, so a SIEM can still count and
 * correlate, and not reversible without the key.  Rows are streamed one
 * at a time; pseudonyms are cached per distinct value.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "auditchain.h"
#include "export.h"
#include "fmt.h"
#include "report.h"

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION	"0.0.0"
#endif

#define EX_TAG		"mcpgate-audit-pseudonym"
#define EX_SQL_MAX	4096
#define EX_PSEUDO_LEN	(EXPORT_PSEUDO_HEX + 8)

enum ex_format { EX_CSV, EX_JSONL };

/* Pseudonymised columns and their classes. */
static const struct {
	enum auditchain_col	 col;
	const char		*cls;
} ex_pseudo[] = {
	{ AUDITCHAIN_C_PRINCIPAL, "p" },
	{ AUDITCHAIN_C_TOKEN_SUB, "p" },
	{ AUDITCHAIN_C_KEY_ID, "k" },
	{ AUDITCHAIN_C_CLIENT_ADDR, "a" },
};
#define EX_NPSEUDO	(sizeof(ex_pseudo) / sizeof(ex_pseudo[0]))

/* The cache of pseudonyms: one string table per class. */
struct ex_cache {
	struct intern	*vals;		/* "cls" NUL value -> id */
	char		(*ps)[EX_PSEUDO_LEN];	/* by id */
	size_t		 cap;
};

int
export_pseudonym(const struct auditchain_key *key, const char *cls,
    const char *value, size_t len, char *out, size_t outlen)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char	 md[EVP_MAX_MD_SIZE], *buf;
	unsigned int	 mdlen = 0;
	size_t		 tl = sizeof(EX_TAG), cl = strlen(cls) + 1, i, o;

	if (outlen < cl + 1 + EXPORT_PSEUDO_HEX + 1)
		return -1;
	buf = intern_xcalloc(tl + cl + len + 1, 1);
	memcpy(buf, EX_TAG, tl);
	memcpy(buf + tl, cls, cl);
	memcpy(buf + tl + cl, value, len);
	if (HMAC(EVP_sha256(), key->bytes, (int)key->len, buf, tl + cl + len,
	    md, &mdlen) == NULL) {
		free(buf);
		return -1;
	}
	free(buf);
	o = (size_t)snprintf(out, outlen, "%s-", cls);
	for (i = 0; i < EXPORT_PSEUDO_HEX / 2; i++) {
		out[o++] = hexd[md[i] >> 4];
		out[o++] = hexd[md[i] & 0xf];
	}
	out[o] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

/* The pseudonym of value in cls, from the cache. */
static const char *
ex_pseudo_of(struct ex_cache *c, const struct auditchain_key *key,
    const char *cls, const char *value, size_t len)
{
	char		 kb[1024];
	uint32_t	 id;
	size_t		 cl = strlen(cls) + 1;

	if (cl + len > sizeof(kb))
		len = sizeof(kb) - cl;	/* cache key only; hash is full */
	memcpy(kb, cls, cl);
	memcpy(kb + cl, value, len);
	id = intern_id(c->vals, kb, cl + len);
	c->ps = intern_grow(c->ps, &c->cap, (size_t)id + 1, sizeof(*c->ps));
	if (c->ps[id][0] == '\0' && export_pseudonym(key, cls, value, len,
	    c->ps[id], sizeof(c->ps[id])) == -1)
		snprintf(c->ps[id], sizeof(c->ps[id]), "%s-unavailable", cls);
	return c->ps[id];
}

static void
ex_usage(FILE *f)
{
	fputs("usage: mcpgate-audit export --db FILE [options]\n\n"
	    "  --db FILE                the audit database (\"-\": stdin)\n"
	    "  --format csv|jsonl       (default jsonl)\n"
	    "  -o, --output FILE        write there (atomically) instead of "
	    "stdout\n"
	    "  --from T, --to T, --range R, --tz OFFSET   as for report\n"
	    "  --since-seq N            only rows after row N (the last_seq "
	    "of the\n"
	    "                           previous run's manifest)\n"
	    "  --pseudonymize-key FILE  keyed pseudonyms for principals, key "
	    "ids and\n"
	    "                           client addresses (32+ byte key file)\n"
	    "  --with-args              include args_redacted (off: arguments "
	    "stay home)\n"
	    "  --manifest FILE          write the export's manifest (JSON) "
	    "there\n"
	    "  --immutable              the file is an archived copy\n"
	    "  --progress, --no-progress\n\n"
	    "exit status: 0 written, 3 unknown (usage, unreadable database, "
	    "write error)\n", f);
}

/* Writes the manifest as one JSON object to path.  Returns 0 or -1. */
static int
ex_manifest(const char *path, json_t *m, char *err, size_t errlen)
{
	FILE	*f;
	char	*tmp = NULL;
	int	 rc;

	if ((f = report_output_open(path, &tmp, err, errlen)) == NULL)
		return -1;
	rc = json_dumpf(m, f, JSON_INDENT(2));
	if (rc == 0)
		fputc('\n', f);
	return report_output_close(f, path, tmp, rc == 0, err, errlen) ==
	    -1 || rc == -1 ? -1 : 0;
}

/* A JSON string; invalid UTF-8 (a damaged row) is cleaned first. */
static json_t *
ex_string(const char *s, size_t len)
{
	json_t	*v;
	char	*raw, *clean;

	if (s == NULL)
		return json_null();
	if ((v = json_stringn(s, len)) != NULL)
		return v;
	raw = intern_xcalloc(len + 1, 1);
	clean = intern_xcalloc(len + 1, 1);
	memcpy(raw, s, len);
	fmt_text_clean(clean, len + 1, raw);
	v = json_string(clean);
	free(raw);
	free(clean);
	return v;
}

/* Per column, an integer and a string value reused row after row. */
struct ex_jv {
	json_t	*i, *s;
};

/*
 * The row object, members in export order (jansson keeps insertion
 * order), and the reusable values.  Returns it, or NULL (OOM).
 */
static json_t *
ex_row_object(struct ex_jv *jv, int with_args)
{
	json_t	*o = json_pack("{s:i,s:s}", "schema_version",
	    DOC_SCHEMA_VERSION, "ts", "");
	int	 c;

	for (c = 0; o != NULL && c < AUDITCHAIN_C__MAX + 2; c++) {
		if ((jv[c].i = json_integer(0)) == NULL ||
		    (jv[c].s = json_string("")) == NULL ||
		    ((c != AUDITCHAIN_C_ARGS_REDACTED || with_args) &&
		    json_object_set(o,
		    c < AUDITCHAIN_C__MAX ? auditchain_columns[c] : c ==
		    AUDITCHAIN_C__MAX ? "prev_hash" : "row_hash",
		    json_null()) == -1)) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *
ex_time(int64_t us)
{
	char	 buf[TIMERANGE_FMT_LEN];

	if (us == INT64_MIN || us == INT64_MAX)
		return json_null();
	return json_string(timerange_format(us, 0, buf, sizeof(buf)));
}

int
export_main(int argc, char **argv)
{
	enum { O_DB = 256, O_FORMAT, O_FROM, O_TO, O_RANGE, O_TZ, O_SINCE,
	    O_PKEY, O_ARGS, O_MANIFEST, O_IMMUTABLE, O_PROGRESS,
	    O_NOPROGRESS };
	static const struct option longopts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, O_FROM },
		{ "to", required_argument, NULL, O_TO },
		{ "range", required_argument, NULL, O_RANGE },
		{ "tz", required_argument, NULL, O_TZ },
		{ "since-seq", required_argument, NULL, O_SINCE },
		{ "pseudonymize-key", required_argument, NULL, O_PKEY },
		{ "with-args", no_argument, NULL, O_ARGS },
		{ "manifest", required_argument, NULL, O_MANIFEST },
		{ "immutable", no_argument, NULL, O_IMMUTABLE },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "no-progress", no_argument, NULL, O_NOPROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*path = NULL, *output = NULL, *from = NULL, *to = NULL;
	const char	*range = NULL, *tz = NULL, *pkeyfile = NULL;
	const char	*manifest = NULL, *s, *cname;
	struct auditchain_key *pkey = NULL;
	struct ex_cache	 cache;
	struct timerange tr;
	struct audit_db	*db = NULL;
	struct audit_db_span span;
	enum ex_format	 format = EX_JSONL;
	sqlite3_stmt	*st = NULL;
	json_t		*o = NULL, *m = NULL;
	FILE		*out = NULL;
	char		 sql[EX_SQL_MAX], err[512], tbuf[TIMERANGE_FMT_LEN];
	char		*tmp = NULL, *end, last_hash[AUDIT_DB_HEX_LEN + 1];
	char		*jbuf = NULL;
	size_t		 jcap = 0;
	struct ex_jv	 jv[AUDITCHAIN_C__MAX + 2];
	int64_t		 since = 0, rows = 0, first = 0, last = 0, now, t0;
	int64_t		 first_ts = 0, last_ts = 0;
	size_t		 n, k, len;
	int		 ch, c, ncols, tz_min = 0, flags = 0, with_args = 0;
	int		 progress = 0, step = SQLITE_DONE, status = 3;
	int		 pcol[64];
	long long	 v;

	memset(&cache, 0, sizeof(cache));
	memset(jv, 0, sizeof(jv));
	memset(pcol, -1, sizeof(pcol));
	err[0] = last_hash[0] = '\0';
	now = report_now();
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_DB:
			path = optarg;
			break;
		case O_FORMAT:
			if (strcmp(optarg, "csv") == 0)
				format = EX_CSV;
			else if (strcmp(optarg, "jsonl") == 0)
				format = EX_JSONL;
			else {
				snprintf(err, sizeof(err), "export formats: "
				    "csv, jsonl");
				goto usage;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case O_FROM:
			from = optarg;
			break;
		case O_TO:
			to = optarg;
			break;
		case O_RANGE:
			range = optarg;
			break;
		case O_TZ:
			tz = optarg;
			break;
		case O_SINCE:
			errno = 0;
			v = strtoll(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg ||
			    v < 0) {
				snprintf(err, sizeof(err), "--since-seq "
				    "wants a row number");
				goto usage;
			}
			since = v;
			break;
		case O_PKEY:
			pkeyfile = optarg;
			break;
		case O_ARGS:
			with_args = 1;
			break;
		case O_MANIFEST:
			manifest = optarg;
			break;
		case O_IMMUTABLE:
			flags |= AUDIT_DB_IMMUTABLE;
			break;
		case O_PROGRESS:
			progress = 1;
			break;
		case O_NOPROGRESS:
			progress = -1;
			break;
		case 'h':
			ex_usage(stdout);
			return 0;
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
	if (report_time_opts(from, to, range, tz, now, &tr, &tz_min, err,
	    sizeof(err)) == -1)
		goto usage;
	if (pkeyfile != NULL) {
		pkey = intern_xcalloc(1, sizeof(*pkey));
		if (auditchain_key_load(pkeyfile, pkey, err, sizeof(err)) ==
		    -1) {
			/* the loader speaks of sealing keys; same rules */
			goto fail;
		}
		cache.vals = intern_new();
		for (k = 0; k < EX_NPSEUDO; k++)
			pcol[ex_pseudo[k].col] = (int)k;
	}
	if (audit_db_open(path, flags, &db, err, sizeof(err)) == -1)
		goto fail;
	if (audit_db_begin(db, err, sizeof(err)) == -1 ||
	    audit_db_span(db, tr.from_us, tr.to_us, &span, err,
	    sizeof(err)) == -1)
		goto fail;

	n = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (c = 0; c < AUDITCHAIN_C__MAX; c++)
		n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s, ",
		    auditchain_columns[c]);
	snprintf(sql + n, sizeof(sql) - n, "prev_hash, row_hash FROM "
	    "audit_events WHERE seq > ?1 AND seq >= ?2 AND seq <= ?3 AND "
	    "+ts_us >= ?4 AND +ts_us <= ?5 ORDER BY seq");
	if (audit_db_prepare(db, sql, &st, err, sizeof(err)) == -1)
		goto fail;
	ncols = AUDITCHAIN_C__MAX + 2;
	sqlite3_bind_int64(st, 1, since);
	sqlite3_bind_int64(st, 2, span.first_seq);
	sqlite3_bind_int64(st, 3, span.last_seq);
	sqlite3_bind_int64(st, 4, tr.from_us);
	sqlite3_bind_int64(st, 5, tr.to_us == INT64_MAX ? INT64_MAX :
	    tr.to_us - 1);
	if ((out = report_output_open(output, &tmp, err, sizeof(err))) ==
	    NULL)
		goto fail;
	setvbuf(out, NULL, _IOFBF, 1 << 20);

	if (format == EX_CSV) {
		fputs("ts", out);
		for (c = 0; c < ncols; c++) {
			cname = c < AUDITCHAIN_C__MAX ? auditchain_columns[c] :
			    c == AUDITCHAIN_C__MAX ? "prev_hash" : "row_hash";
			if (c == AUDITCHAIN_C_ARGS_REDACTED && !with_args)
				continue;
			fprintf(out, ",%s", cname);
		}
		fputs("\r\n", out);
	}
	t0 = timerange_now_us();
	while (span.rows > 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t	 seq = sqlite3_column_int64(st, AUDITCHAIN_C_SEQ);
		int64_t	 ts = sqlite3_column_int64(st, AUDITCHAIN_C_TS_US);

		if (rows == 0) {
			first = seq;
			first_ts = last_ts = ts;
		}
		rows++;
		last = seq;
		if (ts < first_ts)
			first_ts = ts;
		if (ts > last_ts)
			last_ts = ts;
		timerange_format(ts, 0, tbuf, sizeof(tbuf));
		if (format == EX_JSONL) {
			/* one object, its members updated in place per row */
			if (o == NULL && (o = ex_row_object(jv, with_args)) ==
			    NULL)
				goto werr;
			if (json_string_set(json_object_get(o, "ts"), tbuf) ==
			    -1)
				goto werr;
		} else
			fputs(tbuf, out);
		for (c = 0; c < ncols; c++) {
			cname = c < AUDITCHAIN_C__MAX ? auditchain_columns[c] :
			    c == AUDITCHAIN_C__MAX ? "prev_hash" : "row_hash";
			if (c == AUDITCHAIN_C_ARGS_REDACTED && !with_args)
				continue;
			if (format == EX_CSV)
				putc(',', out);
			switch (sqlite3_column_type(st, c)) {
			case SQLITE_NULL:
				if (format == EX_JSONL && json_object_set(o,
				    cname, json_null()) == -1)
					goto werr;
				break;
			case SQLITE_INTEGER:
				if (format == EX_CSV)
					fprintf(out, "%" PRId64,
					    (int64_t)sqlite3_column_int64(st,
					    c));
				else if (json_integer_set(jv[c].i,
				    sqlite3_column_int64(st, c)) == -1 ||
				    json_object_set(o, cname, jv[c].i) == -1)
					goto werr;
				break;
			default:
				s = (const char *)sqlite3_column_text(st, c);
				len = (size_t)sqlite3_column_bytes(st, c);
				if (pkey != NULL && c < 64 && pcol[c] >= 0 &&
				    s != NULL)
					s = ex_pseudo_of(&cache, pkey,
					    ex_pseudo[pcol[c]].cls, s, len),
					    len = strlen(s);
				if (format == EX_CSV) {
					if (fmt_csv_field(out, s, len, 1) == -1)
						goto werr;
				} else if (json_string_setn(jv[c].s, s, len) ==
				    0) {
					if (json_object_set(o, cname,
					    jv[c].s) == -1)
						goto werr;
				} else if (json_object_set_new(o, cname,
				    ex_string(s, len)) == -1)
					goto werr;
				break;
			}
		}
		if (format == EX_JSONL) {
			/* into a buffer, then one write: json_dumpf writes
			   token by token */
			while ((k = json_dumpb(o, jbuf, jcap, JSON_COMPACT)) >
			    jcap)
				jbuf = intern_grow(jbuf, &jcap, k, 1);
			if (k == 0 || fwrite(jbuf, 1, k, out) != k)
				goto werr;
			putc('\n', out);
		} else
			fputs("\r\n", out);
		if (seq == span.last_seq || (rows & 0xffff) == 0) {
			if (ferror(out))
				goto werr;
			report_progress(progress, rows, span.rows, t0, 0);
		}
	}
	report_progress(progress, 0, 0, 0, 1);
	if (span.rows > 0 && step != SQLITE_DONE) {
		snprintf(err, sizeof(err), "reading %s: %s", path,
		    sqlite3_errmsg(audit_db_sqlite(db)));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (rows > 0 && audit_db_prepare(db, "SELECT row_hash FROM "
	    "audit_events WHERE seq = ?1", &st, err, sizeof(err)) == 0) {
		sqlite3_bind_int64(st, 1, last);
		if (sqlite3_step(st) == SQLITE_ROW && (s = (const char *)
		    sqlite3_column_text(st, 0)) != NULL)
			snprintf(last_hash, sizeof(last_hash), "%s", s);
		sqlite3_finalize(st);
		st = NULL;
	}
	audit_db_end(db);
	if (report_output_close(out, output, tmp, 1, err, sizeof(err)) ==
	    -1) {
		out = NULL;
		goto fail;
	}
	out = NULL;

	m = json_pack("{s:i,s:s,s:s,s:o,s:s,s:i,s:I,s:I,s:I,s:o,s:o,s:o,"
	    "s:o,s:I,s:I,s:s,s:o,s:b,s:b}",
	    "schema_version", DOC_SCHEMA_VERSION,
	    "type", "export",
	    "analyzer", "mcpgate-audit " MCPGATE_VERSION,
	    "generated_at", ex_time(now),
	    "database", path,
	    "schema_version_db", audit_db_version(db),
	    "rows", (json_int_t)rows,
	    "first_seq", (json_int_t)first,
	    "last_seq", (json_int_t)last,
	    "first_ts", rows ? ex_time(first_ts) : json_null(),
	    "last_ts", rows ? ex_time(last_ts) : json_null(),
	    "range_from", ex_time(tr.from_us),
	    "range_to", ex_time(tr.to_us),
	    "since_seq", (json_int_t)since,
	    "db_last_seq", (json_int_t)span.db_last_seq,
	    "format", format == EX_CSV ? "csv" : "jsonl",
	    "last_row_hash", last_hash[0] ? json_string(last_hash) :
	    json_null(),
	    "pseudonymized", pkey != NULL,
	    "with_args", with_args);
	if (m != NULL && span.head_hash[0] != '\0')
		json_object_set_new(m, "chain_head", json_string(
		    span.head_hash));
	if (m != NULL && pkey != NULL)
		json_object_set_new(m, "pseudonym_key_id", json_string(
		    pkey->id));
	if (manifest != NULL && (m == NULL || ex_manifest(manifest, m, err,
	    sizeof(err)) == -1)) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "cannot write the manifest");
		goto fail;
	}
	if (progress > 0 || (progress == 0 && isatty(STDERR_FILENO)))
		fprintf(stderr, "mcpgate-audit export: %" PRId64 " rows (seq "
		    "%" PRId64 "..%" PRId64 ")\n", rows, first, last);
	status = 0;
	goto out;
werr:
	snprintf(err, sizeof(err), "writing the export: %s", errno ?
	    strerror(errno) : "failed");
	goto fail;
usage:
	fprintf(stderr, "mcpgate-audit export: %s\n(see mcpgate-audit export "
	    "--help)\n", err);
	goto out;
fail:
	fprintf(stderr, "mcpgate-audit export: %s\n", err);
out:
	if (out != NULL)	/* failed: the partial file is removed */
		report_output_close(out, output, tmp, 0, err, sizeof(err));
	json_decref(o);
	json_decref(m);
	for (c = 0; c < AUDITCHAIN_C__MAX + 2; c++) {
		json_decref(jv[c].i);
		json_decref(jv[c].s);
	}
	free(jbuf);
	sqlite3_finalize(st);
	audit_db_close(db);
	intern_free(cache.vals);
	free(cache.ps);
	if (pkey != NULL) {
		auditchain_key_wipe(pkey);
		free(pkey);
	}
	return status;
}
