/*
 * test_detect_loop.c -- golden fixtures for D01 (retry loop), D02
 * (ping-pong) and D03 (failing-retry storm): threshold - 1, threshold,
 * the window edge, two keys interleaved, the quiet-period reset, tool
 * hints, replays, backoff and the watermark.
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"

/* n identical calls of tool every step seconds from t0. */
static void
calls(struct fx *x, const char *who, const char *tool, const char *args,
    int n, double t0, double step)
{
	struct fx_row	 r = fx_call(x, who, tool, args);
	int		 i;

	for (i = 0; i < n; i++)
		fx_at(x, &r, t0 + i * step);
}

/* n identical calls alternating ok / not_found (no "no progress"). */
static void
calls_mixed(struct fx *x, const char *who, const char *tool, int n,
    double t0, double step)
{
	struct fx_row	 r;
	int		 i;

	for (i = 0; i < n; i++) {
		r = fx_call(x, who, tool, "same");
		if (i % 2) {
			r.outcome = "tool_error";
			r.category = "not_found";
		}
		fx_at(x, &r, t0 + i * step);
	}
}

static void
test_d01(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	/* threshold - 1 and threshold (outcomes vary: no raise) */
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 4, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: 4 identical calls "
	    "(low - 1): nothing");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 5, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, "loop"), 1, "D01: 5 identical "
	    "calls: one finding");
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_LOW, "D01: 5 -> "
	    "low");
	T_EQ_INT(fx_get(x, DETECT_D01, NULL, 0)->count, 5, "D01: counts the "
	    "5 rows");
	T_EQ_INT(fx_get(x, DETECT_D01, NULL, 0)->start_seq, 1, "D01: episode "
	    "starts at the first row of the window");
	fx_free(x);

	/* no progress: the same outcome every time raises one level */
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls(x, "alice", "get_order", "same", 5, 0, 10);
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_MEDIUM, "D01: 5 "
	    "with the same outcome -> medium");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls(x, "alice", "get_order", "same", 10, 0, 5);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 1, "D01: 10 calls, one "
	    "episode");
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_HIGH, "D01: 10 "
	    "no progress -> high");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls(x, "alice", "get_order", "same", 25, 0, 2);
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_HIGH, "D01: a "
	    "read loop is capped at high");
	fx_free(x);

	/* the window edge: [t - 120 s, t] is inclusive */
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 5, 0, 30.001);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: 5 calls over "
	    "120.004 s: outside the window");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 5, 0, 30);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 1, "D01: 5 calls over "
	    "exactly 120 s: inside");
	fx_free(x);

	/* two keys interleaved: each counted on its own */
	x = fx_new();
	fx_only(x, DETECT_D01);
	for (i = 0; i < 4; i++) {
		r = fx_call(x, "alice", "get_order", "a");
		fx_at(x, &r, i * 10);
		r = fx_call(x, "alice", "get_order", "b");
		fx_at(x, &r, i * 10 + 1);
	}
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: two argument "
	    "digests, 4 each: nothing");
	r = fx_call(x, "alice", "get_order", "a");
	fx_at(x, &r, 50);
	r = fx_call(x, "alice", "get_order", "b");
	fx_at(x, &r, 51);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 2, "D01: 5 each: two "
	    "findings");
	fx_free(x);

	/* the quiet period: a gap longer than the window starts over */
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 6, 0, 10);
	calls_mixed(x, "alice", "get_order", 6, 50 + 120.5, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 2, "D01: quiet > 120 s: a "
	    "second episode");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	calls_mixed(x, "alice", "get_order", 6, 0, 10);
	calls_mixed(x, "alice", "get_order", 6, 50 + 100, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 1, "D01: quiet < 120 s: the "
	    "same episode");
	T_EQ_INT(fx_get(x, DETECT_D01, NULL, 0)->count, 12, "D01: the "
	    "episode counts all 12 rows");
	fx_free(x);

	/* hints: a destructive, non-idempotent write from 3 executions */
	x = fx_new();
	fx_only(x, DETECT_D01);
	fx_hint(x, "issue_refund", 0, 1, 0, 1, "refunds:write");
	calls(x, "alice", "issue_refund", "r1", 2, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: 2 refunds: "
	    "nothing");
	calls(x, "alice", "issue_refund", "r1", 1, 20, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, "write_loop"), 1, "D01: 3 "
	    "executions of a destructive write: a write loop");
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_CRITICAL, "D01: "
	    "medium, +1 no progress, +1 destructive -> critical");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D01);
	fx_hint(x, "get_order", 1, 0, 1, 0, "orders:read");
	calls(x, "alice", "get_order", "r1", 3, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: 3 reads: nothing "
	    "(a loop on a destructive tool outranks one on a read)");
	fx_free(x);

	/* replays of one key are safe retries: base thresholds only */
	x = fx_new();
	fx_only(x, DETECT_D01);
	fx_hint(x, "issue_refund", 0, 1, 0, 1, "refunds:write");
	r = fx_call(x, "alice", "issue_refund", "r1");
	r.idem = "k1";
	r.idem_status = "new";
	fx_at(x, &r, 0);
	r.idem_status = "replay";
	for (i = 1; i < 4; i++)
		fx_at(x, &r, i * 5);
	T_EQ_INT(fx_count(x, DETECT_D01, NULL), 0, "D01: 1 execution + 3 "
	    "replays: nothing");
	fx_at(x, &r, 20);
	T_EQ_INT(fx_count(x, DETECT_D01, "replayed"), 1, "D01: 1 + 4 "
	    "replays: a loop of replays");
	T_EQ_INT(fx_sev(x, DETECT_D01, NULL, 0), DETECT_SEV_LOW, "D01: "
	    "replays are not raised by the hints");
	fx_free(x);

	/* exponential backoff: a well-behaved retry is info */
	x = fx_new();
	fx_only(x, DETECT_D01);
	r = fx_call(x, "alice", "get_order", "same");
	r.outcome = "tool_error";
	r.category = "transient";
	fx_at(x, &r, 0);
	fx_at(x, &r, 1);
	fx_at(x, &r, 3);
	fx_at(x, &r, 7);
	fx_at(x, &r, 15);
	T_EQ_INT(fx_sev(x, DETECT_D01, "backoff", 0), DETECT_SEV_INFO, "D01: "
	    "gaps 1, 2, 4, 8 s: backoff, info");
	fx_free(x);

	/* the watermark: context rows rebuild the episode, only news */
	x = fx_new();
	fx_only(x, DETECT_D01);
	r = fx_call(x, "alice", "get_order", "same");
	r.context = 1;
	for (i = 0; i < 6; i++)
		fx_at(x, &r, i * 5);
	T_EQ_INT(fx_reportable(x, DETECT_D01), 0, "D01: a loop below the "
	    "watermark was reported by an earlier run");
	r.context = 0;
	fx_at(x, &r, 30);
	T_EQ_INT(fx_reportable(x, DETECT_D01), 0, "D01: one more row, same "
	    "severity: not reported again");
	for (i = 0; i < 4; i++)
		fx_at(x, &r, 35 + i * 5);
	T_EQ_INT(fx_reportable(x, DETECT_D01), 1, "D01: escalated by new "
	    "rows: reported again, same fingerprint");
	fx_free(x);
}

static void
alternate(struct fx *x, const char *session, int n, double t0, double step)
{
	struct fx_row	 r;
	int		 i;

	for (i = 0; i < n; i++) {
		r = fx_call(x, "alice", i % 2 ? "get_inventory" : "get_order",
		    i % 2 ? "b" : "a");
		r.session = session;
		fx_at(x, &r, t0 + i * step);
	}
}

static void
test_d02(void)
{
	struct fx	*x;
	struct fx_row	 r;

	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 5, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 0, "D02: 5 alternating "
	    "calls: nothing");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 6, 0, 10);
	T_EQ_INT(fx_sev(x, DETECT_D02, NULL, 0), DETECT_SEV_LOW, "D02: 6 -> "
	    "low");
	alternate(x, "s1", 4, 60, 10);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 1, "D02: 10: the same "
	    "episode");
	T_EQ_INT(fx_sev(x, DETECT_D02, NULL, 0), DETECT_SEV_MEDIUM, "D02: 10 "
	    "-> medium");
	fx_free(x);

	/* window edge: 6 calls over 300 s fire, over 300.5 s do not */
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 6, 0, 60.1);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 0, "D02: 6 over 300.5 s: "
	    "outside the window");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 6, 0, 60);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 1, "D02: 6 over 300 s: "
	    "inside");
	fx_free(x);

	/* a repeat breaks the alternation */
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 4, 0, 10);
	r = fx_call(x, "alice", "get_inventory", "b");
	r.session = "s1";
	fx_at(x, &r, 35);
	alternate(x, "s1", 4, 40, 10);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 0, "D02: A B A B B A B A B: "
	    "the repeat resets the run");
	fx_free(x);

	/* an outcome that changes breaks it too */
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 4, 0, 10);
	r = fx_call(x, "alice", "get_order", "a");
	r.session = "s1";
	r.outcome = "tool_error";
	r.category = "not_found";
	fx_at(x, &r, 40);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 0, "D02: the outcome of A "
	    "changed: not the same ping-pong");
	fx_free(x);

	/* two sessions interleaved */
	x = fx_new();
	fx_only(x, DETECT_D02);
	{
		int i;

		for (i = 0; i < 6; i++) {
			r = fx_call(x, "alice", i % 2 ? "get_inventory" :
			    "get_order", i % 2 ? "b" : "a");
			r.session = "s1";
			fx_at(x, &r, i * 10);
			r = fx_call(x, "bob", i % 2 ? "get_order" :
			    "get_inventory", i % 2 ? "a" : "b");
			r.session = "s2";
			fx_at(x, &r, i * 10 + 1);
		}
	}
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 2, "D02: two sessions, two "
	    "findings");
	fx_free(x);

	/* quiet period */
	x = fx_new();
	fx_only(x, DETECT_D02);
	alternate(x, "s1", 6, 0, 10);
	alternate(x, "s1", 6, 50 + 301, 10);
	T_EQ_INT(fx_count(x, DETECT_D02, NULL), 2, "D02: quiet > 300 s: two "
	    "episodes");
	fx_free(x);
}

static void
failing(struct fx *x, const char *who, const char *category, int retryable,
    int n, double t0, double step)
{
	struct fx_row	 r = fx_call(x, who, "get_order", "same");
	int		 i;

	r.outcome = "tool_error";
	r.category = category;
	r.retryable = retryable;
	for (i = 0; i < n; i++)
		fx_at(x, &r, t0 + i * step + (i % 2 ? 0.3 : 0));
}

static void
test_d03(void)
{
	struct fx	*x;

	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "transient", 1, 2, 0, 10);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 0, "D03: 2 failures: "
	    "nothing");
	failing(x, "alice", "transient", 1, 1, 20, 10);
	T_EQ_INT(fx_sev(x, DETECT_D03, "storm", 0), DETECT_SEV_LOW, "D03: 3 "
	    "retryable failures -> low");
	failing(x, "alice", "transient", 1, 2, 30, 10);
	T_EQ_INT(fx_sev(x, DETECT_D03, NULL, 0), DETECT_SEV_MEDIUM, "D03: 5 "
	    "-> medium");
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 1, "D03: one episode");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "validation", 0, 3, 0, 10);
	T_EQ_INT(fx_sev(x, DETECT_D03, "nonretryable", 0), DETECT_SEV_MEDIUM,
	    "D03: 3 non-retryable failures -> medium");
	fx_free(x);

	/* window edge: 3 failures over 60 s fire, over 60.6 s do not */
	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "transient", 1, 3, 0, 30.3);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 0, "D03: 3 over 60.6 s: "
	    "outside");
	fx_free(x);

	/* two keys: another category is another key */
	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "transient", 1, 2, 0, 10);
	failing(x, "alice", "internal", 1, 2, 1, 10);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 0, "D03: 2 + 2 of two "
	    "categories: nothing");
	failing(x, "bob", "transient", 1, 3, 2, 10);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 1, "D03: bob's 3: one "
	    "finding, alice's stay apart");
	fx_free(x);

	/* quiet period */
	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "transient", 1, 3, 0, 10);
	failing(x, "alice", "transient", 1, 3, 20 + 61, 10);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 2, "D03: quiet > 60 s: two "
	    "episodes");
	fx_free(x);

	/* backoff: 0, 1, 3 s (gaps 1, 2): a well-behaved retry */
	x = fx_new();
	fx_only(x, DETECT_D03);
	{
		struct fx_row r = fx_call(x, "alice", "get_order", "same");

		r.outcome = "tool_error";
		r.category = "transient";
		r.retryable = 1;
		fx_at(x, &r, 0);
		fx_at(x, &r, 1);
		fx_at(x, &r, 3);
	}
	T_EQ_INT(fx_sev(x, DETECT_D03, "backoff", 0), DETECT_SEV_INFO, "D03: "
	    "exponential backoff -> info");
	fx_free(x);

	/* rate-limited answers are D06's, not a storm */
	x = fx_new();
	fx_only(x, DETECT_D03);
	failing(x, "alice", "rate_limited", 1, 6, 0, 5);
	T_EQ_INT(fx_count(x, DETECT_D03, NULL), 0, "D03: rate_limited is "
	    "D06's");
	fx_free(x);
}

int
main(void)
{
	test_d01();
	test_d02();
	test_d03();
	return t_done();
}
