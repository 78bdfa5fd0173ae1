/*
 * test_detect_rate.c -- golden fixtures for D06 (rate-limit hits, share
 * of calls, ignored backoff) and D10 (idempotency: conflicts, replay
 * storms, a key under two principals, exactly-once violations).
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"

static struct fx_row
limited(struct fx *x, const char *who, const char *tool, int64_t after_ms)
{
	struct fx_row	 r = fx_call(x, who, tool, "a");

	r.outcome = "tool_error";
	r.category = "rate_limited";
	r.retryable = 1;
	r.retry_after_ms = after_ms;
	return r;
}

static void
test_d06(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	/* hits: 10 rate-limited answers in 5 minutes */
	x = fx_new();
	fx_only(x, DETECT_D06);
	r = limited(x, "alice", "get_order", 5000);
	for (i = 0; i < 9; i++)
		fx_at(x, &r, i * 30);
	T_EQ_INT(fx_count(x, DETECT_D06, NULL), 0, "D06: 9 hits: nothing");
	fx_at(x, &r, 9 * 30);
	T_EQ_INT(fx_sev(x, DETECT_D06, "rate_limited", 0), DETECT_SEV_LOW,
	    "D06: 10 hits in 300 s -> low");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D06);
	r = limited(x, "alice", "get_order", 5000);
	for (i = 0; i < 10; i++)
		fx_at(x, &r, i * 33.4);
	T_EQ_INT(fx_count(x, DETECT_D06, NULL), 0, "D06: 10 hits over 300.6 "
	    "s: outside the window");
	fx_free(x);

	/* share: >= 20% of >= 50 calls in 15 minutes */
	x = fx_new();
	fx_only(x, DETECT_D06);
	for (i = 0; i < 60; i++) {
		r = i % 6 == 5 ? limited(x, "alice", "get_order", 5000) :
		    fx_call(x, "alice", "get_order", "a");
		fx_at(x, &r, i * 10);
	}
	T_EQ_INT(fx_count(x, DETECT_D06, NULL), 0, "D06: 1 in 6 (16.7%%): "
	    "nothing");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D06);
	for (i = 0; i < 60; i++) {
		r = i % 5 == 4 ? limited(x, "alice", "get_order", 5000) :
		    fx_call(x, "alice", "get_order", "a");
		fx_at(x, &r, i * 10);
	}
	T_EQ_INT(fx_sev(x, DETECT_D06, "rate_limited", 0), DETECT_SEV_MEDIUM,
	    "D06: 1 in 5 (20%%) of 60 calls -> medium");
	fx_free(x);

	/* two keys interleaved */
	x = fx_new();
	fx_only(x, DETECT_D06);
	for (i = 0; i < 9; i++) {
		r = limited(x, "alice", "get_order", 5000);
		fx_at(x, &r, i * 20);
		r = limited(x, "alice", "search_orders", 5000);
		fx_at(x, &r, i * 20 + 10);
	}
	T_EQ_INT(fx_count(x, DETECT_D06, NULL), 0, "D06: 9 + 9 on two "
	    "tools: nothing");
	fx_free(x);

	/* ignored backoff */
	x = fx_new();
	fx_only(x, DETECT_D06);
	r = limited(x, "alice", "get_order", 3000);
	fx_at(x, &r, 0);
	for (i = 1; i <= 4; i++)
		fx_at(x, &r, i * 0.5);
	T_EQ_INT(fx_count(x, DETECT_D06, "ignored_backoff"), 0, "D06: 4 calls "
	    "inside retry-after: nothing");
	fx_at(x, &r, 2.5);
	T_EQ_INT(fx_sev(x, DETECT_D06, "ignored_backoff", 0),
	    DETECT_SEV_MEDIUM, "D06: 5 calls inside retry-after -> medium");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D06);
	r = limited(x, "alice", "get_order", 1000);
	for (i = 0; i < 8; i++)
		fx_at(x, &r, i * 1.5);
	T_EQ_INT(fx_count(x, DETECT_D06, "ignored_backoff"), 0, "D06: a "
	    "client waiting out each retry-after: nothing");
	fx_free(x);

	/* quiet period: 15 minutes */
	x = fx_new();
	fx_only(x, DETECT_D06);
	r = limited(x, "alice", "get_order", 5000);
	for (i = 0; i < 10; i++)
		fx_at(x, &r, i * 20);
	for (i = 0; i < 10; i++)
		fx_at(x, &r, 180 + 901 + i * 20);
	T_EQ_INT(fx_count(x, DETECT_D06, "rate_limited"), 2, "D06: quiet > "
	    "15 min: two episodes");
	fx_free(x);
}

static struct fx_row
write_call(struct fx *x, const char *who, const char *args, const char *key,
    const char *status)
{
	struct fx_row	 r = fx_call(x, who, "issue_refund", args);

	r.idem = key;
	r.idem_status = status;
	if (strcmp(status, "conflict") == 0) {
		r.outcome = "tool_error";
		r.category = "conflict";
	}
	return r;
}

static void
test_d10(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	/* conflicts */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "conflict");
	fx_at(x, &r, 0);
	T_EQ_INT(fx_sev(x, DETECT_D10, "conflicts", 0), DETECT_SEV_INFO,
	    "D10: one conflict: info (the server did its job)");
	fx_at(x, &r, 100);
	T_EQ_INT(fx_sev(x, DETECT_D10, "conflicts", 0), DETECT_SEV_INFO,
	    "D10: two: info");
	fx_at(x, &r, 200);
	T_EQ_INT(fx_sev(x, DETECT_D10, "conflicts", 0), DETECT_SEV_MEDIUM,
	    "D10: three in 10 min -> medium");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "conflict");
	fx_at(x, &r, 0);
	fx_at(x, &r, 300.3);
	fx_at(x, &r, 600.6);
	T_EQ_INT(fx_sev(x, DETECT_D10, "conflicts", 0), DETECT_SEV_INFO,
	    "D10: three over 600.6 s: still info");
	fx_free(x);

	/* exactly once: a key executed twice with the same arguments */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "new");
	fx_at(x, &r, 0);
	r.idem_status = "replay";
	fx_at(x, &r, 10);
	T_EQ_INT(fx_count(x, DETECT_D10, NULL), 0, "D10: execution + replay: "
	    "nothing");
	r.idem_status = "new";
	fx_at(x, &r, 20);
	T_EQ_INT(fx_sev(x, DETECT_D10, "exactly_once_violated", 0),
	    DETECT_SEV_CRITICAL, "D10: executed twice -> critical");
	fx_free(x);

	/* conflict not enforced: one key, two digests, both executed */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "new");
	fx_at(x, &r, 0);
	r = write_call(x, "alice", "b", "k1", "new");
	fx_at(x, &r, 10);
	T_EQ_INT(fx_sev(x, DETECT_D10, "conflict_not_enforced", 0),
	    DETECT_SEV_CRITICAL, "D10: two digests executed -> critical");
	fx_free(x);

	/* a failed "new" did not execute; an expired key may run again */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "new");
	r.outcome = "tool_error";
	r.category = "transient";
	fx_at(x, &r, 0);
	r = write_call(x, "alice", "a", "k1", "new");
	fx_at(x, &r, 10);
	fx_at(x, &r, 10 + 86401);
	T_EQ_INT(fx_count(x, DETECT_D10, NULL), 0, "D10: failed + ok, then "
	    "again after the key's lifetime: nothing");
	fx_free(x);

	/* replay storm */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "replay");
	for (i = 0; i < 19; i++)
		fx_at(x, &r, i * 30);
	T_EQ_INT(fx_count(x, DETECT_D10, NULL), 0, "D10: 19 replays: "
	    "nothing");
	fx_at(x, &r, 19 * 30);
	T_EQ_INT(fx_sev(x, DETECT_D10, "replay_storm", 0), DETECT_SEV_LOW,
	    "D10: 20 replays in 10 min -> low");
	fx_free(x);

	/* one key hash under two principals */
	x = fx_new();
	fx_only(x, DETECT_D10);
	r = write_call(x, "alice", "a", "k1", "new");
	fx_at(x, &r, 0);
	r = write_call(x, "bob", "a", "k1", "replay");
	fx_at(x, &r, 60);
	T_EQ_INT(fx_sev(x, DETECT_D10, "cross_principal", 0),
	    DETECT_SEV_MEDIUM, "D10: one key under two principals -> medium");
	fx_free(x);

	/* two keys interleaved: nothing shared */
	x = fx_new();
	fx_only(x, DETECT_D10);
	for (i = 0; i < 5; i++) {
		r = write_call(x, "alice", "a", i % 2 ? "k1" : "k2", "new");
		r.args = i % 2 ? "a" : "b";
		fx_at(x, &r, i * 10);
		if (i == 1)
			break;
	}
	T_EQ_INT(fx_count(x, DETECT_D10, NULL), 0, "D10: two keys, one "
	    "execution each: nothing");
	fx_free(x);
}

int
main(void)
{
	test_d06();
	test_d10();
	return t_done();
}
