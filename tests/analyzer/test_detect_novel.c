/*
 * test_detect_novel.c -- golden fixtures for D09 (a tool, auth method or
 * hour new for a principal) and D16 (a tool, error category, auth method
 * or user agent new to the whole log): warm-up limits at N - 1 and N,
 * the novelty window, rollouts, severity by hints, and the persistence
 * of what was learnt (the state file's novelty memory).
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"
#include "detect_novel.h"

#define HOUR	3600.0
#define DAY	86400.0

/* n calls of tool by who, one every step seconds from t0. */
static double
history(struct fx *x, const char *who, const char *tool, int n, double t0,
    double step)
{
	struct fx_row	 r;
	char		 args[32];
	int		 i;

	for (i = 0; i < n; i++) {
		snprintf(args, sizeof(args), "h%d", i);
		r = fx_call(x, who, tool, args);
		fx_at(x, &r, t0 + i * step);
	}
	return t0 + n * step;
}

static struct fx *
d09_setup(int calls, double days)
{
	struct fx	*x = fx_new();

	fx_only(x, DETECT_D09);
	fx_hint(x, "get_order", 1, 0, 1, 0, "orders:read");
	fx_hint(x, "issue_refund", 0, 1, 0, 1, "refunds:write");
	fx_hint(x, "search_orders", 1, 0, 1, 0, "orders:read");
	/* The fleet knows every tool: another principal uses them. */
	history(x, "other", "issue_refund", 1, 0, 1);
	history(x, "other", "search_orders", 1, 1, 1);
	history(x, "p", "get_order", calls, 10, days * DAY / calls);
	return x;
}

static void
first_call(struct fx *x, const char *tool, double t)
{
	struct fx_row	 r = fx_call(x, "p", tool, "new");

	fx_at(x, &r, t);
}

static void
test_d09(void)
{
	struct fx	*x;
	struct fx_row	 r;

	x = d09_setup(199, 10);
	first_call(x, "issue_refund", 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 0, "D09: 199 calls of "
	    "history (min 200): nothing");
	fx_free(x);

	x = d09_setup(200, 10);
	first_call(x, "issue_refund", 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, "first_seen_tool"), 1, "D09: 200 "
	    "calls over 10 days: a first-seen tool");
	T_EQ_INT(fx_sev(x, DETECT_D09, NULL, 0), DETECT_SEV_MEDIUM, "D09: a "
	    "destructive write -> medium");
	first_call(x, "issue_refund", 11 * DAY + 60);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 1, "D09: its next call is "
	    "the same episode");
	T_EQ_INT(fx_get(x, DETECT_D09, NULL, 0)->count, 2, "D09: counted");
	fx_free(x);

	x = d09_setup(300, 10);
	first_call(x, "search_orders", 11 * DAY);
	T_EQ_INT(fx_sev(x, DETECT_D09, NULL, 0), DETECT_SEV_LOW, "D09: a read "
	    "-> low");
	fx_free(x);

	/* history shorter than 7 days */
	x = d09_setup(300, 6);
	first_call(x, "issue_refund", 6.5 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 0, "D09: 6.5 days of "
	    "history (min 7): nothing");
	fx_free(x);

	/* a denied first call -> high */
	x = d09_setup(300, 10);
	r = fx_call(x, "p", "issue_refund", "new");
	r.decision = "deny";
	r.category = "authorization";
	r.outcome = "auth_error";
	fx_at(x, &r, 11 * DAY);
	T_EQ_INT(fx_sev(x, DETECT_D09, NULL, 0), DETECT_SEV_HIGH, "D09: "
	    "first call, denied -> high");
	fx_free(x);

	/* still settling: took up another tool 3 days before (opt-in) */
	x = d09_setup(300, 10);
	fx_param(x, DETECT_D09, "stable_days", 7);
	first_call(x, "search_orders", 8 * DAY);
	x->ctx->nf = 0;
	first_call(x, "issue_refund", 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, "first_seen_tool"), 0, "D09: another "
	    "new tool 3 days before (stable_days 7): nothing");
	fx_free(x);

	/* the novelty window: 30 days */
	x = d09_setup(300, 10);
	first_call(x, "search_orders", 1 * DAY);
	history(x, "p", "get_order", 100, 11 * DAY, HOUR);
	x->ctx->nf = 0;
	first_call(x, "search_orders", 1 * DAY + 29 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 0, "D09: the pair was used "
	    "29 days ago: nothing");
	fx_free(x);
	x = d09_setup(300, 10);
	first_call(x, "search_orders", 1 * DAY);
	history(x, "p", "get_order", 100, 11 * DAY, HOUR);
	x->ctx->nf = 0;
	first_call(x, "search_orders", 1 * DAY + 31 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, "first_seen_tool"), 1, "D09: 31 days "
	    "ago: new again");
	fx_free(x);

	/* a tool new to the whole fleet is a rollout, not unusual */
	x = d09_setup(300, 10);
	first_call(x, "brand_new_tool", 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 0, "D09: a tool nobody used "
	    "before: D16's, not D09's");
	fx_free(x);

	/* a new auth method */
	x = d09_setup(300, 10);
	r = fx_call(x, "p", "get_order", "x");
	r.auth_method = "jwt";
	fx_at(x, &r, 11 * DAY);
	T_EQ_INT(fx_sev(x, DETECT_D09, "new_auth_method", 0),
	    DETECT_SEV_MEDIUM, "D09: apikey principal uses a token -> medium");
	fx_free(x);

	/* a rare hour: weekdays 09-17 UTC for four weeks */
	x = fx_new();
	fx_only(x, DETECT_D09);
	{
		int	 d, h, i, c = 0;
		char	 args[16];

		for (d = 0; d < 28; d++) {
			if (d % 7 >= 5)
				continue;
			for (h = 9; h < 17; h++)
				for (i = 0; i < 3; i++) {
					snprintf(args, sizeof(args), "%d",
					    c++);
					r = fx_call(x, "p", "get_order", args);
					fx_at(x, &r, d * DAY + h * HOUR +
					    i * 600);
				}
		}
	}
	r = fx_call(x, "p", "get_order", "late");
	fx_at(x, &r, 28 * DAY + 10 * HOUR);
	T_EQ_INT(fx_count(x, DETECT_D09, "rare_hour"), 0, "D09: Monday 10:00: "
	    "a usual hour");
	fx_at(x, &r, 34 * DAY + 3 * HOUR);
	T_EQ_INT(fx_sev(x, DETECT_D09, "rare_hour", 0), DETECT_SEV_LOW, "D09: "
	    "Sunday 03:00, never active then -> low");
	fx_free(x);

	/* with a state file, rows below the watermark were learnt before */
	x = d09_setup(300, 10);
	detect_novel_persistent(x->ctx);
	r = fx_call(x, "p", "issue_refund", "new");
	r.context = 1;
	fx_at(x, &r, 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D09, NULL), 0, "D09: persistent memory: "
	    "context rows are not learnt twice");
	fx_free(x);
}

static void
test_d16(void)
{
	struct fx	*x;
	struct fx_row	 r;

	x = fx_new();
	fx_only(x, DETECT_D16);
	history(x, "p", "get_order", 10, 0, DAY / 2);
	r = fx_call(x, "p", "new_tool", "a");
	fx_at(x, &r, 6.9 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D16, "new_tool"), 0, "D16: in the first "
	    "7 days everything is new: warm-up");
	r = fx_call(x, "p", "newer_tool", "a");
	fx_at(x, &r, 7 * DAY);
	T_EQ_INT(fx_sev(x, DETECT_D16, "new_tool", 0), DETECT_SEV_LOW, "D16: "
	    "a new tool after 7 days -> low");
	fx_at(x, &r, 7 * DAY + 10);
	T_EQ_INT(fx_count(x, DETECT_D16, "new_tool"), 1, "D16: only its first "
	    "call");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D16);
	history(x, "p", "get_order", 20, 0, DAY / 2);
	r = fx_call(x, "p", "no_such_tool", "a");
	r.outcome = "protocol_error";
	r.code = "unknown_tool";
	fx_at(x, &r, 11 * DAY);
	T_EQ_INT(fx_count(x, DETECT_D16, NULL), 0, "D16: an unknown tool is "
	    "probing (D14), not a new tool");
	r = fx_call(x, "p", "get_order", "b");
	r.outcome = "tool_error";
	r.category = "not_found";
	fx_at(x, &r, 11 * DAY + 1);
	T_EQ_INT(fx_count(x, DETECT_D16, NULL), 0, "D16: a first not_found "
	    "(caller-side) is no news");
	r.category = "internal";
	fx_at(x, &r, 11 * DAY + 2);
	T_EQ_INT(fx_sev(x, DETECT_D16, "new_error_category", 0),
	    DETECT_SEV_LOW, "D16: a first internal error of the tool -> low");
	r = fx_call(x, "p", "get_order", "c");
	r.auth_method = "mtls";
	fx_at(x, &r, 11 * DAY + 3);
	T_EQ_INT(fx_sev(x, DETECT_D16, "new_auth_method", 0),
	    DETECT_SEV_MEDIUM, "D16: a new auth method -> medium");
	r = fx_call(x, "p", "get_order", "d");
	r.ua = "curl/8.5.0";
	fx_at(x, &r, 11 * DAY + 4);
	T_EQ_INT(fx_sev(x, DETECT_D16, "new_user_agent", 0), DETECT_SEV_INFO,
	    "D16: a new user-agent family -> info");
	fx_free(x);

	/* what a state file remembers is not new */
	x = fx_new();
	fx_only(x, DETECT_D16);
	detect_novel_load(x->ctx, DN_TOOL, "old_tool", NULL, 1, 2, 5);
	detect_novel_set_first(x->ctx, FX_EPOCH_US - 30 * 86400000000LL);
	detect_novel_persistent(x->ctx);
	r = fx_call(x, "p", "old_tool", "a");
	fx_at(x, &r, 0);
	T_EQ_INT(fx_count(x, DETECT_D16, "new_tool"), 0, "D16: a tool the "
	    "state remembers: not new");
	r = fx_call(x, "p", "other_tool", "a");
	fx_at(x, &r, 1);
	T_EQ_INT(fx_count(x, DETECT_D16, "new_tool"), 1, "D16: one it does "
	    "not: new (the log's history started 30 days ago)");
	fx_free(x);
}

int
main(void)
{
	test_d09();
	test_d16();
	return t_done();
}
