/*
 * scan_out.c -- text, JSON lines and JSON for scan findings, and the
 * --explain view.
 *
 * Text escapes at the sink: every string from the log (principal names,
 * tool names, user agents) goes through out_clean, which replaces
 * control characters, so a crafted row cannot move the terminal's
 * cursor or forge a line.  JSON is built with jansson only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "detect.h"
#include "scan_out.h"
#include "scan_rules.h"
#include "timerange.h"

static const char *const scan_fmt_names[SCAN_FMT__MAX] = {
	"text", "jsonl", "json",
};

int
scan_out_parse_fmt(const char *s)
{
	int	 i;

	for (i = 0; i < SCAN_FMT__MAX; i++)
		if (strcmp(s, scan_fmt_names[i]) == 0)
			return i;
	return -1;
}

static char *
out_ts(int64_t us, char *buf, size_t len)
{
	return timerange_format(us, 0, buf, len);
}

/* Writes s with control characters (and DEL) replaced by '?'. */
static void
out_clean(FILE *out, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)(s != NULL ? s : ""); *p != '\0';
	    p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static void
key_json(void *arg, const char *name, const char *value)
{
	json_object_set_new(arg, name, json_string(value));
}

json_t *
scan_out_finding(const struct detect_ctx *ctx, const struct detect_finding *f,
    const struct scan_rules *rules)
{
	json_t		*o, *k, *s;
	const struct scan_exception *e;
	char		 b1[TIMERANGE_FMT_LEN], b2[TIMERANGE_FMT_LEN];
	char		 b3[TIMERANGE_FMT_LEN];
	int		 i;

	if ((k = json_object()) == NULL || (s = json_array()) == NULL) {
		json_decref(k);
		return NULL;
	}
	detect_key_each(ctx, &f->key, key_json, k);
	for (i = 0; i < f->nsamples; i++)
		json_array_append_new(s, json_integer(f->samples[i]));
	o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, "
	    "s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, s:o, s:b, "
	    "s:b}",
	    "type", "finding",
	    "schema_version", SCAN_SCHEMA_VERSION,
	    "fingerprint", f->fp,
	    "detector", detect_code(f->det),
	    "name", detect_title(f->det),
	    "sub", f->sub != NULL ? f->sub : "",
	    "severity", detect_sev_name(f->sev),
	    "key", k,
	    "message", f->msg,
	    "explain", f->explain,
	    "observed", f->observed,
	    "threshold", f->threshold,
	    "window_s", (json_int_t)f->window_s,
	    "count", (json_int_t)f->count,
	    "first_seq", (json_int_t)f->start_seq,
	    "trigger_seq", (json_int_t)f->trigger_seq,
	    "last_seq", (json_int_t)f->last_seq,
	    "first_ts", out_ts(f->first_ts, b1, sizeof(b1)),
	    "trigger_ts", out_ts(f->trigger_ts, b2, sizeof(b2)),
	    "last_ts", out_ts(f->last_ts, b3, sizeof(b3)),
	    "samples", s,
	    "escalated", f->trigger_seq <= ctx->wm_seq,
	    "suppressed", f->suppressed != 0);
	if (o == NULL)
		return NULL;
	if (f->suppressed && rules != NULL &&
	    (size_t)f->suppressed <= rules->nex) {
		e = &rules->ex[f->suppressed - 1];
		json_object_set_new(o, "exception", json_pack("{s:s, s:s, s:s}",
		    "reason", e->reason, "owner", e->owner, "expires",
		    e->expires));
	}
	return o;
}

static int
out_jsonl(FILE *out, json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

	if (s == NULL)
		return -1;
	fputs(s, out);
	fputc('\n', out);
	free(s);
	return 0;
}

static json_t *
out_summary(const struct scan_run *run, const struct scan_rules *rules,
    const struct detect_finding *const *f, size_t n)
{
	json_t		*o, *sev, *det, *exp;
	int64_t		 counts[DETECT_SEV__MAX] = { 0 }, supp = 0;
	int64_t		 bydet[DETECT__MAX] = { 0 };
	const struct scan_exception *e;
	size_t		 i;
	int		 j;
	char		 b1[TIMERANGE_FMT_LEN], b2[TIMERANGE_FMT_LEN];
	char		 b3[TIMERANGE_FMT_LEN];

	for (i = 0; i < n; i++) {
		if (f[i]->suppressed) {
			supp++;
			continue;
		}
		counts[f[i]->sev]++;
		bydet[f[i]->det]++;
	}
	sev = json_object();
	for (j = DETECT_SEV_INFO; j < DETECT_SEV__MAX; j++)
		json_object_set_new(sev, detect_sev_name(j),
		    json_integer(counts[j]));
	det = json_object();
	for (j = 0; j < DETECT__MAX; j++)
		if (bydet[j])
			json_object_set_new(det, detect_code(j),
			    json_integer(bydet[j]));
	exp = json_array();
	for (i = 0; rules != NULL && i < rules->nex; i++) {
		e = &rules->ex[i];
		if (!e->expired)
			continue;
		json_array_append_new(exp, json_pack("{s:s?, s:s?, s:s, s:s, "
		    "s:s, s:I}", "detector", e->det >= 0 ? detect_code(e->det) :
		    NULL, "sub", e->sub, "reason", e->reason, "owner", e->owner,
		    "expires", e->expires, "would_have_suppressed",
		    (json_int_t)e->expired_hits));
	}
	o = json_pack("{s:s, s:i, s:s, s:s?, s:s, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:s?, s:s?, s:I, s:f, s:I, s:I, s:o, s:o, s:o, s:s, s:i, "
	    "s:b}",
	    "type", "summary",
	    "schema_version", SCAN_SCHEMA_VERSION,
	    "db", run->db_path,
	    "state", run->state_path,
	    "now", out_ts(run->now_us, b1, sizeof(b1)),
	    "watermark_before", (json_int_t)run->wm_before,
	    "watermark_after", (json_int_t)run->wm_after,
	    "first_seq", (json_int_t)run->first_seq,
	    "last_seq", (json_int_t)run->last_seq,
	    "rows", (json_int_t)run->rows,
	    "rows_new", (json_int_t)run->rows_new,
	    "first_ts", run->rows ? out_ts(run->first_ts, b2, sizeof(b2)) :
	    NULL,
	    "last_ts", run->rows ? out_ts(run->last_ts, b3, sizeof(b3)) : NULL,
	    "held_back", (json_int_t)run->held_back,
	    "seconds", run->secs,
	    "findings", (json_int_t)((int64_t)n - supp),
	    "suppressed", (json_int_t)supp,
	    "by_severity", sev,
	    "by_detector", det,
	    "expired_exceptions", exp,
	    "fail_on", run->fail_on ? detect_sev_name(run->fail_on) : "never",
	    "exit_code", run->exit_code,
	    "dry_run", run->dry_run);
	if (o != NULL && run->note != NULL)
		json_object_set_new(o, "note", json_string(run->note));
	return o;
}

static void
out_text_finding(FILE *out, const struct detect_ctx *ctx,
    const struct detect_finding *f)
{
	char	 key[512], ts[TIMERANGE_FMT_LEN], what[64];

	snprintf(what, sizeof(what), "%s %s/%s", detect_code(f->det),
	    detect_title(f->det), f->sub != NULL ? f->sub : "");
	fprintf(out, "%-8s %-40s %s %6lld  ", detect_sev_name(f->sev), what,
	    out_ts(f->trigger_ts, ts, sizeof(ts)), (long long)f->count);
	out_clean(out, detect_key_text(ctx, &f->key, key, sizeof(key)));
	fprintf(out, "  [%s]%s\n         ", f->fp, f->trigger_seq <=
	    ctx->wm_seq ? " (escalated)" : "");
	out_clean(out, f->msg);
	fputc('\n', out);
}

int
scan_out_report(FILE *out, enum scan_fmt fmt, const struct scan_run *run,
    const struct detect_ctx *ctx, const struct scan_rules *rules,
    const struct detect_finding *const *f, json_t *const *fj, size_t n)
{
	json_t		*sum, *doc, *arr, *sarr;
	const struct scan_exception *e;
	int64_t		 shown = 0, hidden = 0, supp = 0;
	size_t		 i;
	char		 b1[TIMERANGE_FMT_LEN], b2[TIMERANGE_FMT_LEN];
	char		*s;
	int		 rc = 0;

	if ((sum = out_summary(run, rules, f, n)) == NULL)
		return -1;
	switch (fmt) {
	case SCAN_FMT_JSONL:
		for (i = 0; i < n; i++)
			if (f[i]->suppressed || (int)f[i]->sev >= run->min_sev)
				rc |= out_jsonl(out, fj[i]);
		rc |= out_jsonl(out, sum);
		break;
	case SCAN_FMT_JSON:
		arr = json_array();
		sarr = json_array();
		for (i = 0; i < n; i++) {
			if (f[i]->suppressed)
				json_array_append(sarr, fj[i]);
			else if ((int)f[i]->sev >= run->min_sev)
				json_array_append(arr, fj[i]);
		}
		doc = json_pack("{s:s, s:i, s:o, s:o, s:O}", "type", "scan",
		    "schema_version", SCAN_SCHEMA_VERSION, "findings", arr,
		    "suppressed", sarr, "summary", sum);
		if (doc == NULL || (s = json_dumps(doc, JSON_INDENT(2) |
		    JSON_ENSURE_ASCII)) == NULL) {
			json_decref(doc);
			rc = -1;
			break;
		}
		fputs(s, out);
		fputc('\n', out);
		free(s);
		json_decref(doc);
		break;
	default:
		fprintf(out, "mcpgate-audit scan of ");
		out_clean(out, run->db_path);
		if (run->rows)
			fprintf(out, ": rows %lld..%lld (%lld new), %s .. %s\n",
			    (long long)run->first_seq, (long long)run->last_seq,
			    (long long)run->rows_new, out_ts(run->first_ts, b1,
			    sizeof(b1)), out_ts(run->last_ts, b2, sizeof(b2)));
		else
			fprintf(out, ": no rows to scan\n");
		if (run->note != NULL) {
			fprintf(out, "note: ");
			out_clean(out, run->note);
			fputc('\n', out);
		}
		for (i = 0; i < n; i++) {
			if (f[i]->suppressed) {
				supp++;
				continue;
			}
			if ((int)f[i]->sev < run->min_sev) {
				hidden++;
				continue;
			}
			shown++;
			out_text_finding(out, ctx, f[i]);
		}
		if (supp > 0) {
			fprintf(out, "suppressed by exceptions (%lld):\n",
			    (long long)supp);
			for (i = 0; i < n; i++) {
				if (!f[i]->suppressed)
					continue;
				e = &rules->ex[f[i]->suppressed - 1];
				fprintf(out, "  ");
				out_text_finding(out, ctx, f[i]);
				fprintf(out, "           exception: ");
				out_clean(out, e->reason);
				fprintf(out, " (owner ");
				out_clean(out, e->owner);
				fprintf(out, ", expires ");
				out_clean(out, e->expires);
				fprintf(out, ")\n");
			}
		}
		for (i = 0; rules != NULL && i < rules->nex; i++) {
			e = &rules->ex[i];
			if (!e->expired)
				continue;
			fprintf(out, "expired exception: %s ", e->det >= 0 ?
			    detect_code(e->det) : "*");
			out_clean(out, e->reason);
			fprintf(out, " (owner ");
			out_clean(out, e->owner);
			fprintf(out, ", expired ");
			out_clean(out, e->expires);
			fprintf(out, "): no longer suppresses; it would have "
			    "matched %lld finding(s)\n",
			    (long long)e->expired_hits);
		}
		fprintf(out, "summary: %lld finding(s) shown, %lld below %s not "
		    "shown, %lld suppressed; %lld rows (%lld new) in %.2fs",
		    (long long)shown, (long long)hidden,
		    detect_sev_name(run->min_sev), (long long)supp,
		    (long long)run->rows, (long long)run->rows_new, run->secs);
		if (run->held_back > 0)
			fprintf(out, "; %lld newer row(s) held back by the "
			    "settle lag", (long long)run->held_back);
		fprintf(out, "; exit %d (fail-on %s)%s\n", run->exit_code,
		    run->fail_on ? detect_sev_name(run->fail_on) : "never",
		    run->dry_run ? "; dry run: state not updated" : "");
		break;
	}
	json_decref(sum);
	return rc == 0 && !ferror(out) ? 0 : -1;
}

/* --- explain -------------------------------------------------------------- */

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

static json_t *
explain_rows(json_t *fj, sqlite3 *db)
{
	static const char sql[] = "SELECT seq, ts_us, principal, key_id, "
	    "client_addr, substr(session_hash, 1, 16), rpc_method, tool, "
	    "decision, outcome, error_category, error_code, idem_status, "
	    "latency_us, substr(args_digest, 1, 16) FROM audit_events WHERE "
	    "seq = ?1";
	static const char *const names[] = { "seq", "ts", "principal",
	    "key_id", "client_addr", "session", "rpc_method", "tool",
	    "decision", "outcome", "error_category", "error_code",
	    "idem_status", "latency_us", "args_digest" };
	sqlite3_stmt	*st = NULL;
	json_t		*rows = json_array(), *r, *seqs;
	size_t		 i;
	int		 c;
	char		 b[TIMERANGE_FMT_LEN];

	seqs = json_object_get(fj, "samples");
	if (db == NULL || rows == NULL || sqlite3_prepare_v2(db, sql, -1, &st,
	    NULL) != SQLITE_OK)
		return rows;
	for (i = 0; i < json_array_size(seqs); i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, json_integer_value(
		    json_array_get(seqs, i)));
		if (sqlite3_step(st) != SQLITE_ROW)
			continue;
		r = json_object();
		for (c = 0; c < 15; c++) {
			if (sqlite3_column_type(st, c) == SQLITE_NULL)
				continue;
			if (c == 1)
				json_object_set_new(r, names[c], json_string(
				    out_ts(sqlite3_column_int64(st, c), b,
				    sizeof(b))));
			else if (c == 0 || c == 13)
				json_object_set_new(r, names[c], json_integer(
				    sqlite3_column_int64(st, c)));
			else
				json_object_set_new(r, names[c], json_string(
				    (const char *)sqlite3_column_text(st, c)));
		}
		json_array_append_new(rows, r);
	}
	sqlite3_finalize(st);
	return rows;
}

int
scan_out_explain(FILE *out, enum scan_fmt fmt, json_t *fj, sqlite3 *db)
{
	json_t		*rows = explain_rows(fj, db), *r, *v;
	const char	*k;
	size_t		 i;
	char		*s;
	int		 rc = 0;

	if (fmt != SCAN_FMT_TEXT) {
		json_object_set(fj, "rows", rows);
		s = json_dumps(fj, (fmt == SCAN_FMT_JSON ? JSON_INDENT(2) :
		    JSON_COMPACT) | JSON_ENSURE_ASCII);
		if (s == NULL)
			rc = -1;
		else {
			fputs(s, out);
			fputc('\n', out);
			free(s);
		}
		json_decref(rows);
		return rc == 0 && !ferror(out) ? 0 : -1;
	}
	fprintf(out, "finding %s: %s %s/%s, severity %s\n", jstr(fj,
	    "fingerprint"), jstr(fj, "detector"), jstr(fj, "name"), jstr(fj,
	    "sub"), jstr(fj, "severity"));
	fprintf(out, "key:        ");
	json_object_foreach(json_object_get(fj, "key"), k, v) {
		out_clean(out, k);
		fputc('=', out);
		out_clean(out, json_string_value(v));
		fputc(' ', out);
	}
	fprintf(out, "\nwhat:       ");
	out_clean(out, jstr(fj, "message"));
	fprintf(out, "\nepisode:    %s .. %s, rows %lld..%lld, trigger row "
	    "%lld at %s, %lld qualifying row(s)\n", jstr(fj, "first_ts"),
	    jstr(fj, "last_ts"), (long long)json_integer_value(
	    json_object_get(fj, "first_seq")), (long long)json_integer_value(
	    json_object_get(fj, "last_seq")), (long long)json_integer_value(
	    json_object_get(fj, "trigger_seq")), jstr(fj, "trigger_ts"),
	    (long long)json_integer_value(json_object_get(fj, "count")));
	fprintf(out, "window:     %llds\n", (long long)json_integer_value(
	    json_object_get(fj, "window_s")));
	fprintf(out, "threshold:  %g (observed %g)\n", json_number_value(
	    json_object_get(fj, "threshold")), json_number_value(
	    json_object_get(fj, "observed")));
	fprintf(out, "arithmetic: ");
	out_clean(out, jstr(fj, "explain"));
	fprintf(out, "\nrows (up to %d samples):\n", DETECT_SAMPLES);
	fprintf(out, "  seq  ts  principal  client_addr  session  tool  "
	    "decision  outcome  category  [idem]  latency\n");
	json_array_foreach(rows, i, r) {
		fprintf(out, "  %lld  %s  ", (long long)json_integer_value(
		    json_object_get(r, "seq")), jstr(r, "ts"));
		/* Values from the log are cleaned one by one. */
		out_clean(out, *jstr(r, "principal") ? jstr(r, "principal") :
		    *jstr(r, "key_id") ? jstr(r, "key_id") : "-");
		fputs("  ", out);
		out_clean(out, *jstr(r, "client_addr") ? jstr(r, "client_addr") :
		    "-");
		fputs("  ", out);
		out_clean(out, *jstr(r, "session") ? jstr(r, "session") : "-");
		fputs("  ", out);
		out_clean(out, *jstr(r, "tool") ? jstr(r, "tool") : jstr(r,
		    "rpc_method"));
		fputs("  ", out);
		out_clean(out, *jstr(r, "decision") ? jstr(r, "decision") : "-");
		fputs("  ", out);
		out_clean(out, jstr(r, "outcome"));
		fputs("  ", out);
		out_clean(out, *jstr(r, "error_category") ? jstr(r,
		    "error_category") : "-");
		if (*jstr(r, "idem_status")) {
			fputs("  idem=", out);
			out_clean(out, jstr(r, "idem_status"));
		}
		if ((v = json_object_get(r, "latency_us")) != NULL)
			fprintf(out, "  %.1fms", (double)json_integer_value(v) /
			    1000.0);
		fputc('\n', out);
	}
	json_decref(rows);
	return ferror(out) ? -1 : 0;
}
