/*
 * test_detect_access.c -- golden fixtures for D04 (scope denials,
 * probing, policy regression), D05 (authentication failures, spraying,
 * distributed attempts, success after failures) and D13 (denial storms).
 */
#include <stdio.h>

#include "t.h"
#include "detect_fixture.h"

static struct fx_row
denied(struct fx *x, const char *who, const char *tool)
{
	struct fx_row	 r = fx_call(x, who, tool, tool);

	r.decision = "deny";
	r.outcome = "auth_error";
	r.category = "authorization";
	r.code = "insufficient_scope";
	r.http_status = 403;
	return r;
}

static void
denials(struct fx *x, const char *who, int n, double t0, double step)
{
	struct fx_row	 r = denied(x, who, "get_order");
	int		 i;

	for (i = 0; i < n; i++)
		fx_at(x, &r, t0 + i * step);
}

static void
test_d04(void)
{
	static const char *const tools[] = { "t0", "t1", "t2", "t3", "t4",
	    "t5", "t6", "t7", "t8", "t9", "t10" };
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	x = fx_new();
	fx_only(x, DETECT_D04);
	denials(x, "alice", 2, 0, 100);
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 0, "D04: 2 denials: nothing");
	denials(x, "alice", 1, 300, 1);
	T_EQ_INT(fx_sev(x, DETECT_D04, "denials", 0), DETECT_SEV_LOW, "D04: 3 "
	    "in 10 min -> low");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D04);
	denials(x, "alice", 7, 0, 15);
	T_EQ_INT(fx_sev(x, DETECT_D04, "denials", 0), DETECT_SEV_LOW, "D04: 7 "
	    "in 120 s: still low");
	denials(x, "alice", 1, 105, 1);
	T_EQ_INT(fx_sev(x, DETECT_D04, "denials", 0), DETECT_SEV_MEDIUM,
	    "D04: 8 in 120 s -> medium (Wazuh 8/120)");
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 1, "D04: one episode");
	fx_free(x);

	/* window edge of the slow window */
	x = fx_new();
	fx_only(x, DETECT_D04);
	denials(x, "alice", 3, 0, 300.25);
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 0, "D04: 3 over 600.5 s: "
	    "nothing");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D04);
	denials(x, "alice", 3, 0, 300);
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 1, "D04: 3 over 600 s: low");
	fx_free(x);

	/* two principals interleaved */
	x = fx_new();
	fx_only(x, DETECT_D04);
	for (i = 0; i < 2; i++) {
		r = denied(x, "alice", "get_order");
		fx_at(x, &r, i * 10);
		r = denied(x, "bob", "get_order");
		fx_at(x, &r, i * 10 + 1);
	}
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 0, "D04: 2 + 2: nothing");
	fx_free(x);

	/* quiet period: 600 s */
	x = fx_new();
	fx_only(x, DETECT_D04);
	denials(x, "alice", 3, 0, 10);
	denials(x, "alice", 3, 20 + 601, 10);
	T_EQ_INT(fx_count(x, DETECT_D04, "denials"), 2, "D04: quiet > 600 s: "
	    "two episodes");
	fx_free(x);

	/* probing: distinct tools */
	x = fx_new();
	fx_only(x, DETECT_D04);
	for (i = 0; i < 4; i++) {
		r = denied(x, "mallory", tools[i]);
		fx_at(x, &r, i * 100);
	}
	T_EQ_INT(fx_count(x, DETECT_D04, "probing"), 0, "D04: 4 tools: no "
	    "probing");
	r = denied(x, "mallory", tools[4]);
	fx_at(x, &r, 450);
	T_EQ_INT(fx_sev(x, DETECT_D04, "probing", 0), DETECT_SEV_MEDIUM,
	    "D04: 5 tools in 10 min -> probing, medium");
	for (i = 5; i < 10; i++) {
		r = denied(x, "mallory", tools[i]);
		fx_at(x, &r, 450 + i * 10);
	}
	T_EQ_INT(fx_sev(x, DETECT_D04, "probing", 0), DETECT_SEV_HIGH,
	    "D04: 10 tools -> high");
	fx_free(x);

	/* several principals on one tool: a policy regression */
	x = fx_new();
	fx_only(x, DETECT_D04);
	for (i = 0; i < 3; i++) {
		r = denied(x, i == 0 ? "a" : i == 1 ? "b" : "c", "get_order");
		fx_at(x, &r, i * 100);
		fx_at(x, &r, i * 100 + 1);
		fx_at(x, &r, i * 100 + 2);
	}
	T_EQ_INT(fx_count(x, DETECT_D04, "policy_regression"), 1, "D04: 3 "
	    "principals denied on one tool in 10 min: policy regression");
	T_EQ_INT(fx_count(x, DETECT_D04, "denials"), 0, "D04: the "
	    "per-principal findings about that tool are folded into it");
	fx_free(x);

	/* refusals of unauthenticated callers are D05's */
	x = fx_new();
	fx_only(x, DETECT_D04);
	r = denied(x, "alice", "get_order");
	r.auth_result = "invalid";
	r.principal = NULL;
	for (i = 0; i < 10; i++)
		fx_at(x, &r, i);
	T_EQ_INT(fx_count(x, DETECT_D04, NULL), 0, "D04: unauthenticated "
	    "refusals do not count");
	fx_free(x);
}

static void
fails(struct fx *x, const char *addr, const char *kid, const char *res,
    int n, double t0, double step)
{
	struct fx_row	 r = fx_authfail(x, addr, kid, res);
	int		 i;

	for (i = 0; i < n; i++)
		fx_at(x, &r, t0 + i * step);
}

static void
test_d05(void)
{
	static const char *const kids[] = { "k0", "k1", "k2", "k3", "k4" };
	static const char *const addrs[] = { "1.1.1.1", "2.2.2.2", "3.3.3.3",
	    "4.4.4.4", "5.5.5.5" };
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "k", "invalid", 7, 0, 15);
	T_EQ_INT(fx_count(x, DETECT_D05, NULL), 0, "D05: 7 failures in 120 "
	    "s: nothing");
	fails(x, "9.9.9.9", "k", "invalid", 1, 105, 1);
	T_EQ_INT(fx_sev(x, DETECT_D05, "burst", 0), DETECT_SEV_MEDIUM, "D05: "
	    "8 in 120 s -> medium (Wazuh 5765)");
	fails(x, "9.9.9.9", "k", "invalid", 22, 110, 20);
	T_EQ_INT(fx_sev(x, DETECT_D05, "burst", 0), DETECT_SEV_HIGH, "D05: 30 "
	    "in 10 min -> high, same episode");
	T_EQ_INT(fx_count(x, DETECT_D05, NULL), 1, "D05: one finding");
	fx_free(x);

	/* window edge */
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "k", "invalid", 8, 0, 17.2);
	T_EQ_INT(fx_count(x, DETECT_D05, NULL), 0, "D05: 8 over 120.4 s: "
	    "outside");
	fx_free(x);

	/* quiet period: 600 s */
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "k", "invalid", 8, 0, 10);
	fails(x, "9.9.9.9", "k", "invalid", 8, 70 + 601, 10);
	T_EQ_INT(fx_count(x, DETECT_D05, "burst"), 2, "D05: quiet > 600 s: "
	    "two episodes");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "k", "invalid", 8, 0, 10);
	fails(x, "9.9.9.9", "k", "invalid", 8, 70 + 500, 10);
	T_EQ_INT(fx_count(x, DETECT_D05, "burst"), 1, "D05: quiet < 600 s: "
	    "one episode");
	fx_free(x);

	/* one expired key retried: a broken client, low */
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "k", "expired", 8, 0, 10);
	T_EQ_INT(fx_sev(x, DETECT_D05, "misconfigured_client", 0),
	    DETECT_SEV_LOW, "D05: 8 expired, one key: misconfigured client");
	fx_free(x);

	/* spraying */
	x = fx_new();
	fx_only(x, DETECT_D05);
	for (i = 0; i < 4; i++)
		fails(x, "9.9.9.9", kids[i], "invalid", 1, i * 100, 1);
	T_EQ_INT(fx_count(x, DETECT_D05, "spray"), 0, "D05: 4 identities: no "
	    "spray");
	fails(x, "9.9.9.9", kids[4], "invalid", 1, 450, 1);
	T_EQ_INT(fx_sev(x, DETECT_D05, "spray", 0), DETECT_SEV_HIGH, "D05: 5 "
	    "identities in 10 min -> spray, high");
	fx_free(x);

	/* two addresses interleaved: counted apart */
	x = fx_new();
	fx_only(x, DETECT_D05);
	for (i = 0; i < 7; i++) {
		fails(x, "1.1.1.1", "k", "invalid", 1, i * 10, 1);
		fails(x, "2.2.2.2", "k2", "invalid", 1, i * 10 + 1, 1);
	}
	T_EQ_INT(fx_count(x, DETECT_D05, "burst"), 0, "D05: 7 + 7 from two "
	    "addresses: nothing");
	fx_free(x);

	/* distributed: one identity, many addresses */
	x = fx_new();
	fx_only(x, DETECT_D05);
	for (i = 0; i < 4; i++)
		fails(x, addrs[i], "kx", "invalid", 1, i * 100, 1);
	T_EQ_INT(fx_count(x, DETECT_D05, "distributed"), 0, "D05: 4 "
	    "addresses: nothing");
	fails(x, addrs[4], "kx", "invalid", 1, 500, 1);
	T_EQ_INT(fx_sev(x, DETECT_D05, "distributed", 0), DETECT_SEV_MEDIUM,
	    "D05: 5 addresses for one identity -> medium");
	fx_free(x);

	/* success after failures */
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "kv", "invalid", 4, 0, 60);
	r = fx_call(x, "victim", "get_order", "a");
	r.key_id = "kv";
	r.client = "9.9.9.9";
	fx_at(x, &r, 300);
	T_EQ_INT(fx_count(x, DETECT_D05, "success_after_failures"), 0, "D05: "
	    "4 failures then a success: nothing");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "kv", "invalid", 5, 0, 60);
	r = fx_call(x, "victim", "get_order", "a");
	r.key_id = "kv";
	r.client = "9.9.9.9";
	fx_at(x, &r, 300);
	T_EQ_INT(fx_sev(x, DETECT_D05, "success_after_failures", 0),
	    DETECT_SEV_HIGH, "D05: 5 failures then a success -> high");
	fx_at(x, &r, 310);
	T_EQ_INT(fx_count(x, DETECT_D05, "success_after_failures"), 1, "D05: "
	    "the failures are spent: the next success does not fire");
	fx_free(x);
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", "kv", "invalid", 5, 0, 60);
	r = fx_call(x, "victim", "get_order", "a");
	r.key_id = "kv";
	fx_at(x, &r, 240 + 3601);
	T_EQ_INT(fx_count(x, DETECT_D05, "success_after_failures"), 0, "D05: "
	    "the failures are older than an hour: nothing");
	fx_free(x);

	/* requests without credentials are discovery, not attacks */
	x = fx_new();
	fx_only(x, DETECT_D05);
	fails(x, "9.9.9.9", NULL, "missing", 40, 0, 1);
	T_EQ_INT(fx_count(x, DETECT_D05, NULL), 0, "D05: missing credentials "
	    "do not count by default");
	fx_free(x);
}

static void
test_d13(void)
{
	struct fx	*x;
	struct fx_row	 r;
	int		 i;

	x = fx_new();
	fx_only(x, DETECT_D13);
	r = fx_call(x, "alice", "get_order", "a");
	r.outcome = "protocol_error";
	r.rpc_error_code = -32700;
	r.principal = NULL;
	r.auth_result = NULL;
	/* 599 over 30 whole seconds: just under 20/s */
	for (i = 0; i < 599; i++)
		fx_at(x, &r, i * (30.0 / 599));
	T_EQ_INT(fx_count(x, DETECT_D13, NULL), 0, "D13: 599 in 30 s: "
	    "nothing");
	fx_free(x);

	x = fx_new();
	fx_only(x, DETECT_D13);
	r = fx_call(x, "alice", "get_order", "a");
	r.outcome = "protocol_error";
	r.rpc_error_code = -32700;
	r.principal = NULL;
	r.auth_result = NULL;
	for (i = 0; i < 600; i++)
		fx_at(x, &r, i * (29.9 / 600));
	T_EQ_INT(fx_sev(x, DETECT_D13, NULL, 0), DETECT_SEV_MEDIUM, "D13: "
	    "600 in 30 s (20/s) -> medium");
	for (i = 0; i < 100; i++)
		fx_at(x, &r, 30 + i * 0.05);
	T_EQ_INT(fx_count(x, DETECT_D13, NULL), 1, "D13: one episode while "
	    "it goes on");
	fx_free(x);

	/* denials from two addresses are two keys */
	x = fx_new();
	fx_only(x, DETECT_D13);
	for (i = 0; i < 600; i++) {
		r = denied(x, "alice", "get_order");
		r.principal = NULL;
		r.auth_result = NULL;
		r.client = i % 2 ? "1.1.1.1" : "2.2.2.2";
		fx_at(x, &r, i * (29.9 / 600));
	}
	T_EQ_INT(fx_count(x, DETECT_D13, NULL), 0, "D13: 300 + 300 from two "
	    "addresses: nothing");
	fx_free(x);
}

int
main(void)
{
	test_d04();
	test_d05();
	test_d13();
	return t_done();
}
