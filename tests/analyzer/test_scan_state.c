/*
 * test_scan_state.c -- the scan's state file (lock, watermark, novelty
 * memory and stored findings across a close and reopen), the rules file
 * (thresholds, exceptions with owner and expiry, strict members) and the
 * config facts (hints, auth methods).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "t.h"
#include "detect.h"
#include "detect_novel.h"
#include "intern.h"
#include "scan_rules.h"
#include "state.h"

static char	 dir[] = "/tmp/mcpgate-scan-state.XXXXXX";

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void
test_state(void)
{
	struct state	*s = NULL, *s2 = NULL;
	struct state_wm	 wm;
	struct state_save sv;
	struct intern	*str = intern_new();
	struct detect_ctx *ctx = detect_ctx_new(str);
	struct detect_finding f, *fp = &f;
	const char	*json = "{\"fingerprint\":\"0123456789abcdef\"}";
	char		 path[256], err[512], *out = NULL;
	int		 rc;

	snprintf(path, sizeof(path), "%s/state.db", dir);
	rc = state_open(path, &s, err, sizeof(err));
	T_EQ_INT(rc, 0, "state: a new state file opens");
	rc = state_open(path, &s2, err, sizeof(err));
	T_EQ_INT(rc, 1, "state: a second open while locked is refused");
	T_OK(strstr(err, "another scan is running") != NULL &&
	    strstr(err, "pid") != NULL, "state: the message says who holds "
	    "it (%s)", err);
	T_EQ_INT(state_watermark(s, &wm, err, sizeof(err)), 0, "state: "
	    "watermark readable");
	T_EQ_INT(wm.seq, 0, "state: no watermark yet");

	detect_novel_load(ctx, DN_TOOL, "get_order", NULL, 10, 20, 3);
	detect_novel_load(ctx, DN_PAIR, "alice", "get_order", 10, 20, 3);
	/* loaded values are not dirty: mark one as learnt this run */
	detect_novel_load_principal(ctx, "alice", 10, 20, 3, 10, NULL, 0,
	    "apikey,jwt");
	memset(&f, 0, sizeof(f));
	f.det = DETECT_D01;
	f.sev = DETECT_SEV_HIGH;
	snprintf(f.fp, sizeof(f.fp), "0123456789abcdef");
	memset(&wm, 0, sizeof(wm));
	wm.seq = 42;
	wm.ts_us = 4242;
	wm.runs = 1;
	snprintf(wm.row_hash, sizeof(wm.row_hash), "%064d", 7);
	snprintf(wm.db_path, sizeof(wm.db_path), "audit.db");
	memset(&sv, 0, sizeof(sv));
	sv.wm = &wm;
	sv.ctx = ctx;
	sv.f = (const struct detect_finding *const *)&fp;
	sv.json = &json;
	sv.n = 1;
	T_EQ_INT(state_save(s, &sv, err, sizeof(err)), 0, "state: saved");
	state_close(s);
	s = NULL;

	T_EQ_INT(state_open(path, &s, err, sizeof(err)), 0, "state: reopens "
	    "after the lock is released");
	T_EQ_INT(state_watermark(s, &wm, err, sizeof(err)), 0, "state: "
	    "watermark read back");
	T_EQ_INT(wm.seq, 42, "state: watermark seq");
	T_EQ_INT(wm.ts_us, 4242, "state: watermark ts");
	T_EQ_INT(wm.runs, 1, "state: runs");
	T_EQ_INT(state_find_finding(s, "0123456789ab", &out, err,
	    sizeof(err)), 1, "state: a finding by fingerprint prefix");
	T_OK(out != NULL && strcmp(out, json) == 0, "state: its JSON");
	free(out);
	out = NULL;
	T_EQ_INT(state_find_finding(s, "01234", &out, err, sizeof(err)), 0,
	    "state: a prefix shorter than 6 digits is not looked up");
	state_close(s);
	detect_ctx_free(ctx);
	intern_free(str);
}

static void
test_rules(void)
{
	struct intern	*str = intern_new();
	struct detect_ctx *ctx = detect_ctx_new(str);
	struct scan_rules rules;
	struct detect_finding f;
	char		 path[256], cfg[256], err[512];
	int64_t		 now = 1740960000000000LL;	/* 2025-03-03 */

	snprintf(path, sizeof(path), "%s/rules.json", dir);
	snprintf(cfg, sizeof(cfg), "%s/mcpgate.json", dir);
	write_file(cfg, "{\"auth\": {\"mode\": \"required\", \"jwt\": {}},"
	    " \"tools\": [{\"name\": \"issue_refund\", \"scope\": "
	    "\"refunds:write\", \"idempotency\": \"required\", \"annotations\": "
	    "{\"readOnlyHint\": false, \"destructiveHint\": true}}, {\"name\": "
	    "\"get_order\", \"annotations\": {\"readOnlyHint\": true}}]}");
	T_EQ_INT(scan_config_load(cfg, ctx, err, sizeof(err)), 0, "config: "
	    "read");
	{
		const struct detect_hint *h = detect_hint(ctx, intern_id(str,
		    "issue_refund", 12));

		T_OK(h->configured && !h->read_only && h->destructive &&
		    !h->idempotent && h->idem_required, "config: refund hints");
		h = detect_hint(ctx, intern_id(str, "get_order", 9));
		T_OK(h->configured && h->read_only && !h->destructive,
		    "config: read hints");
		T_EQ_INT(ctx->nauth_allowed, 2, "config: apikey and jwt");
	}

	write_file(path, "{\"detectors\": {\"D01\": {\"low\": 4, \"enabled\": "
	    "false}}, \"tools\": {\"get_status\": {\"poll\": true}}, "
	    "\"exceptions\": [{\"detector\": \"D01\", \"match\": {\"principal\": "
	    "\"svc-*\"}, \"reason\": \"poller\", \"owner\": \"ops\", "
	    "\"expires\": \"2025-12-31\"}, {\"detector\": \"D05\", \"reason\": "
	    "\"pentest\", \"owner\": \"sec\", \"expires\": \"2025-01-31\"}]}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), 0,
	    "rules: read (%s)", err);
	T_OK(ctx->p[DP_D01_LOW] == 4 && !ctx->enabled[DETECT_D01],
	    "rules: thresholds and enabled");
	T_OK(detect_hint(ctx, intern_id(str, "get_status", 10))->poll,
	    "rules: a poll tool");
	T_EQ_INT(rules.nex, 2, "rules: two exceptions");
	T_OK(!rules.ex[0].expired && rules.ex[1].expired, "rules: the second "
	    "has expired");

	memset(&f, 0, sizeof(f));
	f.det = DETECT_D01;
	f.sub = "loop";
	f.key.principal = intern_id(str, "svc-007", 7);
	T_EQ_INT(scan_rules_match(&rules, ctx, &f), 1, "rules: svc-007 "
	    "matches svc-*");
	f.key.principal = intern_id(str, "alice", 5);
	T_EQ_INT(scan_rules_match(&rules, ctx, &f), 0, "rules: alice does "
	    "not");
	f.det = DETECT_D05;
	T_EQ_INT(scan_rules_match(&rules, ctx, &f), 0, "rules: an expired "
	    "exception does not suppress");
	T_EQ_INT(rules.ex[1].expired_hits, 1, "rules: but counts what it "
	    "would have suppressed");
	scan_rules_free(&rules);

	write_file(path, "{\"exceptions\": [{\"detector\": \"D01\", "
	    "\"reason\": \"x\", \"expires\": \"2025-12-31\"}]}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), -1,
	    "rules: an exception without an owner is refused");
	T_OK(strstr(err, "owner") != NULL, "rules: saying so (%s)", err);
	write_file(path, "{\"detectors\": {\"D01\": {\"lwo\": 4}}}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), -1,
	    "rules: a misspelt threshold is refused (%s)", err);
	write_file(path, "{\"detectors\": {\"D99\": {}}}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), -1,
	    "rules: an unknown detector is refused");
	write_file(path, "{\"exception\": []}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), -1,
	    "rules: an unknown member is refused");
	write_file(path, "{\"detectors\": {}, \"detectors\": {}}");
	T_EQ_INT(scan_rules_load(path, ctx, &rules, now, err, sizeof(err)), -1,
	    "rules: duplicate members are refused");
	detect_ctx_free(ctx);
	intern_free(str);
}

int
main(void)
{
	char	 cmd[300];
	int	 rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_state();
	test_rules();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	rc = system(cmd);
	(void)rc;
	return t_done();
}
