/*
 * test_simulate.c -- a small simulated log is what the issue asks of
 * every simulated log: the real schema (user_version, every index and
 * trigger of sql/010), CHECK constraints satisfied, a hash chain that
 * auditchain_verify accepts, labels with every detector, and the same
 * bytes for the same seed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "t.h"
#include "auditchain.h"
#include "simulate.h"

static char	 dir[] = "/tmp/mcpgate-simulate.XXXXXX";

static int
run(const char *out, const char *labels, const char *seed)
{
	char	*argv[] = { "simulate", "--out", (char *)out, "--rows", "20000",
	    "--days", "35", "--seed", (char *)seed, "--labels", (char *)labels,
	    "--force", NULL };

	return simulate_main(12, argv);
}

static int64_t
one(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	char		*v = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

int
main(void)
{
	struct auditchain_report rep;
	sqlite3		*db = NULL;
	char		 a[300], b[300], la[300], lb[300], cmd[700], *ok, *h1, *h2;
	int		 rc, d;
	FILE		*f;
	char		 line[4096];
	int		 dets[17] = { 0 }, all;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	snprintf(la, sizeof(la), "%s/a.labels", dir);
	snprintf(lb, sizeof(lb), "%s/b.labels", dir);
	T_EQ_INT(run(a, la, "7"), 0, "simulate: 20000 rows written");
	T_EQ_INT(run(b, lb, "7"), 0, "simulate: again with the same seed");

	T_EQ_INT(auditchain_open(a, &db, cmd, sizeof(cmd)), 0, "the log "
	    "opens read-only");
	rc = auditchain_verify(db, NULL, &rep);
	T_EQ_INT(rc, 0, "the chain verifies (%s)", rep.detail);
	T_OK(rep.rows > 20000, "every row was checked (%lld)",
	    (long long)rep.rows);
	T_EQ_INT(one(db, "PRAGMA user_version"), AUDIT_DB_VERSION_MAX,
	    "user_version is the newest audit migration's");
	T_EQ_INT(one(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'index' AND tbl_name = 'audit_events' AND name IN "
	    "('audit_events_ts', 'audit_events_principal', "
	    "'audit_events_tool', 'audit_events_request', "
	    "'audit_events_markers')"), 5, "the five indexes of sql/010 that "
	    "011 keeps are there");
	T_EQ_INT(one(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL"), 5,
	    "and no other (011 dropped five)");
	T_EQ_INT(one(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	    "'trigger'"), 1, "the append-only trigger is there");
	ok = text(db, "PRAGMA integrity_check");
	T_OK(ok != NULL && strcmp(ok, "ok") == 0, "integrity_check, CHECK "
	    "constraints included: %s", ok ? ok : "(null)");
	free(ok);
	T_EQ_INT(one(db, "SELECT count(*) FROM audit_events WHERE ts_us < "
	    "1740960000000000"), 0, "no row before --start");
	h1 = text(db, "SELECT row_hash FROM audit_events ORDER BY seq DESC "
	    "LIMIT 1");
	sqlite3_close(db);
	db = NULL;
	T_EQ_INT(auditchain_open(b, &db, cmd, sizeof(cmd)), 0, "the second "
	    "opens");
	h2 = text(db, "SELECT row_hash FROM audit_events ORDER BY seq DESC "
	    "LIMIT 1");
	T_OK(h1 != NULL && h2 != NULL && strcmp(h1, h2) == 0, "the same seed "
	    "gives the same chain head");
	free(h1);
	free(h2);
	sqlite3_close(db);

	/* Labels name every detector. */
	if ((f = fopen(la, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			char *p = strstr(line, "\"detector\":\"D");

			if (p != NULL && (d = atoi(p + 13)) >= 1 && d <= 16)
				dets[d]++;
		}
		fclose(f);
	}
	for (all = 1, d = 1; d <= 16; d++)
		if (dets[d] == 0 && d != 11)
			all = 0;
	T_OK(all, "labels: incidents of every detector (D11 needs more rows)");

	{
		char *argv[] = { "simulate", "--out", a, NULL };

		T_EQ_INT(simulate_main(3, argv), 3, "an existing file is not "
		    "overwritten without --force");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	rc = system(cmd);
	(void)rc;
	return t_done();
}
