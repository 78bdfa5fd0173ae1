/*
 * test_detect_policy.c -- golden fixtures for D12 (session integrity),
 * D14 (policy invariants) and D15 (what the scan sees of the log's
 * integrity), and for the engine's fingerprints and hash tables.
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"

static void
test_d12(void)
{
	static const char *const tools[] = { "t0", "t1", "t2", "t3", "t4",
	    "t5", "t6", "t7", "t8", "t9", "t10", "t11", "t12", "t13", "t14" };
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	/* two principals on one session */
	x = fx_new();
	fx_only(x, DETECT_D12);
	r = fx_call(x, "alice", "get_order", "a");
	r.session = "s1";
	fx_at(x, &r, 0);
	fx_at(x, &r, 10);
	T_EQ_INT(fx_count(x, DETECT_D12, NULL), 0, "D12: one principal: "
	    "nothing");
	r.principal = "bob";
	fx_at(x, &r, 20);
	T_EQ_INT(fx_sev(x, DETECT_D12, "shared_session", 0), DETECT_SEV_HIGH,
	    "D12: a second principal on the session -> high");
	fx_at(x, &r, 30);
	T_EQ_INT(fx_count(x, DETECT_D12, "shared_session"), 1, "D12: one "
	    "episode");
	fx_free(x);

	/* the session moves */
	x = fx_new();
	fx_only(x, DETECT_D12);
	r = fx_call(x, "alice", "get_order", "a");
	r.session = "s1";
	r.client = "198.51.100.7";
	fx_at(x, &r, 0);
	r.client = "198.51.100.99";
	fx_at(x, &r, 60);
	T_EQ_INT(fx_sev(x, DETECT_D12, "session_moved", 0), DETECT_SEV_LOW,
	    "D12: another address in the same /24 -> low");
	r.client = "203.0.113.5";
	fx_at(x, &r, 120);
	T_EQ_INT(fx_sev(x, DETECT_D12, "session_moved", 0), DETECT_SEV_MEDIUM,
	    "D12: another network -> medium, same episode");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D12);
	r = fx_call(x, "alice", "get_order", "a");
	r.session = "s1";
	r.client = "198.51.100.7";
	fx_at(x, &r, 0);
	r.client = "203.0.113.5";
	fx_at(x, &r, 600.5);
	T_EQ_INT(fx_count(x, DETECT_D12, NULL), 0, "D12: another network "
	    "after 600.5 s: outside the window");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D12);
	r = fx_call(x, "alice", "get_order", "a");
	r.session = "s1";
	fx_at(x, &r, 0);
	r.ua = "curl/8.5.0";
	fx_at(x, &r, 30);
	T_EQ_INT(fx_sev(x, DETECT_D12, "session_moved", 0), DETECT_SEV_MEDIUM,
	    "D12: another user agent -> medium");
	fx_free(x);

	/* fan-out */
	x = fx_new();
	fx_only(x, DETECT_D12);
	for (i = 0; i < 14; i++) {
		r = fx_call(x, "alice", tools[i], "a");
		r.session = "s1";
		fx_at(x, &r, i * 30);
	}
	T_EQ_INT(fx_count(x, DETECT_D12, NULL), 0, "D12: 14 tools: nothing");
	r = fx_call(x, "alice", tools[14], "a");
	r.session = "s1";
	fx_at(x, &r, 14 * 30);
	T_EQ_INT(fx_sev(x, DETECT_D12, "fanout", 0), DETECT_SEV_LOW, "D12: 15 "
	    "tools in 10 min -> low");
	fx_free(x);

	/* two sessions interleaved: their principals stay apart */
	x = fx_new();
	fx_only(x, DETECT_D12);
	for (i = 0; i < 10; i++) {
		r = fx_call(x, "alice", "get_order", "a");
		r.session = "s1";
		fx_at(x, &r, i * 10);
		r = fx_call(x, "bob", "get_order", "a");
		r.session = "s2";
		r.client = "10.9.9.9";
		fx_at(x, &r, i * 10 + 1);
	}
	T_EQ_INT(fx_count(x, DETECT_D12, NULL), 0, "D12: two sessions: "
	    "nothing");
	fx_free(x);
}

static void
test_d14(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	/* an allow without authentication on a scoped tool */
	x = fx_new();
	fx_only(x, DETECT_D14);
	r = fx_call(x, "anonymous", "get_order", "a");
	r.auth_method = "none";
	r.scope = "orders:read";
	fx_at(x, &r, 0);
	T_EQ_INT(fx_sev(x, DETECT_D14, "unauthenticated_allow", 0),
	    DETECT_SEV_CRITICAL, "D14: scoped tool run anonymously -> "
	    "critical");
	fx_at(x, &r, 10);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 1, "D14: one finding, "
	    "counting the rows");
	r.scope = NULL;
	r.tool = "ping_tool";
	fx_at(x, &r, 20);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 1, "D14: an unscoped tool "
	    "may run anonymously");
	fx_free(x);

	/* auth mode none in the config: anonymous is the deployer's choice */
	x = fx_new();
	fx_only(x, DETECT_D14);
	x->ctx->auth_none = 1;
	r = fx_call(x, "anonymous", "get_order", "a");
	r.auth_method = "none";
	r.scope = "orders:read";
	fx_at(x, &r, 0);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 0, "D14: auth mode none: "
	    "nothing");
	fx_free(x);

	/* config facts: scope drift, idempotency keys, auth methods */
	x = fx_new();
	fx_only(x, DETECT_D14);
	fx_hint(x, "issue_refund", 0, 1, 0, 1, "refunds:write");
	r = fx_call(x, "alice", "issue_refund", "a");
	r.scope = "refunds:write";
	r.idem = "k";
	r.idem_status = "new";
	fx_at(x, &r, 0);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 0, "D14: as configured: "
	    "nothing");
	r.idem = NULL;
	r.idem_status = NULL;
	fx_at(x, &r, 10);
	T_EQ_INT(fx_sev(x, DETECT_D14, "missing_idempotency_key", 0),
	    DETECT_SEV_MEDIUM, "D14: executed without the required key -> "
	    "medium");
	r.idem = "k2";
	r.scope = "refunds:any";
	fx_at(x, &r, 20);
	T_EQ_INT(fx_sev(x, DETECT_D14, "scope_drift", 0), DETECT_SEV_MEDIUM,
	    "D14: ran under another scope than configured -> medium");
	r.scope = "refunds:write";
	r.auth_method = "saml";
	fx_at(x, &r, 30);
	T_EQ_INT(fx_sev(x, DETECT_D14, "auth_method_not_configured", 0),
	    DETECT_SEV_MEDIUM, "D14: an auth method the config does not "
	    "enable -> medium");
	fx_free(x);

	/* unknown tools */
	x = fx_new();
	fx_only(x, DETECT_D14);
	r = fx_call(x, "mallory", "x", "a");
	r.outcome = "protocol_error";
	r.code = "unknown_tool";
	for (i = 0; i < 4; i++)
		fx_at(x, &r, i * 100);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 0, "D14: 4 unknown tools: "
	    "nothing");
	fx_at(x, &r, 500);
	T_EQ_INT(fx_sev(x, DETECT_D14, "unknown_tools", 0), DETECT_SEV_LOW,
	    "D14: 5 in 10 min -> low");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D14);
	r = fx_call(x, "mallory", "x", "a");
	r.outcome = "protocol_error";
	r.code = "unknown_tool";
	for (i = 0; i < 5; i++)
		fx_at(x, &r, i * 150.2);
	T_EQ_INT(fx_count(x, DETECT_D14, NULL), 0, "D14: 5 over 600.8 s: "
	    "outside the window");
	fx_free(x);
}

static void
test_d15(void)
{
	struct fx	*x;
	struct fx_row	 r;

	x = fx_new();
	fx_only(x, DETECT_D15);
	r = fx_call(x, "alice", "get_order", "a");
	fx_at(x, &r, 100);
	fx_at(x, &r, 96);
	T_EQ_INT(fx_count(x, DETECT_D15, NULL), 0, "D15: 4 s back (skew 5 s): "
	    "nothing");
	fx_at(x, &r, 94.9);
	T_EQ_INT(fx_sev(x, DETECT_D15, "time_regression", 0),
	    DETECT_SEV_MEDIUM, "D15: 5.1 s back -> medium");
	r.host = "web-2";
	fx_at(x, &r, 50);
	T_EQ_INT(fx_count(x, DETECT_D15, NULL), 1, "D15: another host has its "
	    "own clock");
	fx_free(x);

	/* a gap in seq */
	x = fx_new();
	fx_only(x, DETECT_D15);
	r = fx_call(x, "alice", "get_order", "a");
	fx_at(x, &r, 0);
	fx_at(x, &r, 1);
	x->seq += 3;
	fx_at(x, &r, 2);
	T_EQ_INT(fx_sev(x, DETECT_D15, "sequence_gap", 0),
	    DETECT_SEV_CRITICAL, "D15: rows missing in the middle -> "
	    "critical");
	T_EQ_INT(fx_get(x, DETECT_D15, "sequence_gap", 0)->count, 3, "D15: "
	    "three missing");
	detect_d15_tail(x->ctx, 20, 6, FX_EPOCH_US);
	T_EQ_INT(fx_sev(x, DETECT_D15, "tail_deleted", 0), DETECT_SEV_CRITICAL,
	    "D15: sqlite_sequence ahead of the newest row -> critical");
	fx_free(x);
}

static void
test_engine(void)
{
	struct fx	*x, *y;
	struct fx_row	 r;
	struct detect_tab *t;
	int		 i, added;
	void		*p;

	/* fingerprints: the same episode, the same fingerprint */
	x = fx_new();
	y = fx_new();
	fx_only(x, DETECT_D01);
	fx_only(y, DETECT_D01);
	for (i = 0; i < 6; i++) {
		r = fx_call(x, "alice", "get_order", "a");
		fx_at(x, &r, i);
		r = fx_call(y, "alice", "get_order", "a");
		fx_at(y, &r, i);
	}
	T_EQ_STR(fx_get(x, DETECT_D01, NULL, 0)->fp, fx_get(y, DETECT_D01,
	    NULL, 0)->fp, "fingerprints are stable");
	T_EQ_INT(strlen(fx_get(x, DETECT_D01, NULL, 0)->fp), 16,
	    "fingerprints are 16 hex digits");
	fx_free(x);
	fx_free(y);

	/* tables: many keys, a sweep keeps the recent ones */
	t = detect_tab_new(sizeof(struct detect_rec) + 8);
	for (i = 1; i <= 10000; i++) {
		p = detect_tab_get(t, (uint64_t)i, &added);
		((struct detect_rec *)p)->last_ts = i;
	}
	T_EQ_INT(detect_tab_count(t), 10000, "tables: 10000 keys");
	p = detect_tab_get(t, 77, &added);
	T_EQ_INT(added, 0, "tables: an existing key is found");
	detect_tab_sweep(t, 9001, NULL, NULL);
	T_EQ_INT(detect_tab_count(t), 1000, "tables: a sweep drops the idle");
	T_OK(detect_tab_find(t, 9500) != NULL && detect_tab_find(t, 500) ==
	    NULL, "tables: the right ones");
	detect_tab_free(t);

	/* statistics */
	{
		double	 v[] = { 5, 1, 4, 2, 3 }, w[] = { 4, 1, 3, 2 }, tmp[5];
		uint32_t q[100];

		T_OK(detect_median(v, 5) == 3, "median of 5");
		T_OK(detect_median(w, 4) == 2.5, "median of 4");
		T_OK(detect_mad(v, 5, 3, tmp) == 1, "MAD");
		for (i = 0; i < 100; i++)
			q[i] = (uint32_t)(100 - i);
		T_OK(detect_quantile(q, 100, 0.95) == 95, "p95 (nearest rank)");
		T_OK(detect_wilson_lower(0, 20) < 1e-9 &&
		    detect_wilson_lower(10, 20) > 0.29 &&
		    detect_wilson_lower(10, 20) < 0.3, "Wilson lower bound");
		T_OK(detect_poisson_tail(100, 10) < 1e-30 &&
		    detect_poisson_tail(10, 10) > 0.4, "Poisson tail");
	}
}

int
main(void)
{
	test_d12();
	test_d14();
	test_d15();
	test_engine();
	return t_done();
}
