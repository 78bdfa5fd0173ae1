/*
 * simulate_int.h -- what simulate.c (the world, background traffic, the
 * chained writer, scoring) and simulate_inc.c (the labelled incidents)
 * share.  Not an interface for anything else.
 */
#ifndef AUDIT_SIMULATE_INT_H
#define AUDIT_SIMULATE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_HEX		65	/* 64 hex digits and a NUL */
#define SIM_MAX_TOOLS	32
#define SIM_REP		8	/* tools in a principal's repertoire */
#define SIM_PER_ROLE	2048	/* principals of one role (--principals) */
#define SIM_MIN_US	(60LL * 1000000)
#define SIM_HOUR_US	(3600LL * 1000000)
#define SIM_DAY_US	(86400LL * 1000000)
#define SIM_BUCKET_US	(900LL * 1000000)

enum sim_role {
	SIM_AGENT_EU,		/* people's agents, 07-17 UTC weekdays */
	SIM_AGENT_US,		/* 13-23 UTC weekdays */
	SIM_SVC,		/* services, around the clock */
	SIM_BATCH,		/* nightly jobs, 01-04 UTC */
	SIM_HEAVY,		/* one busy integration, flat */
	SIM_ROLE__MAX
};

struct sim_tool {
	const char	*name, *scope;
	unsigned	 ro : 1, destructive : 1, idempotent : 1;
	unsigned	 idem_required : 1, idem_derived : 1;
	unsigned	 fleet_new : 1;		/* only an incident calls it */
	double		 pop;			/* relative popularity */
	double		 lat_ms;		/* median latency */
	double		 err;			/* tool error rate */
};

struct sim_principal {
	char		 name[48];
	int		 role;
	int		 jwt;
	double		 weight;
	char		 key_id[24];
	char		 addr[40];
	const char	*ua;
	int		 ntools;
	int		 tools[SIM_REP];
	double		 tw[SIM_REP];		/* cumulative weights */
	uint64_t	 session;		/* current session number */
	int64_t		 last_ts;
	int64_t		 calls;
	int64_t		 rpc_id;
};

/* One row to write.  NULL pointers and "" buffers are SQL NULL. */
struct sim_row {
	int64_t		 ts;
	int64_t		 latency_us;
	int		 incident;		/* index, -1: background */
	int		 http_status, rpc_error_code;	/* 0: NULL */
	int		 retryable, retry_after_ms;	/* -1: NULL */
	const char	*principal, *auth_method, *auth_result, *decision;
	const char	*decision_reason, *key_id, *token_sub, *client, *ua;
	const char	*rpc_method, *tool, *scope, *idem_status, *outcome;
	const char	*category, *code, *host;
	char		 session[SIM_HEX], args[SIM_HEX], idem[SIM_HEX];
	int		 backdate;		/* D15: written out of order */
};

/* A change to background rows in a window (latency, errors, drops). */
enum sim_mod_kind { SIM_MOD_LATENCY, SIM_MOD_ERRORS, SIM_MOD_DROP_PRINCIPAL,
	SIM_MOD_DROP_ALL };

struct sim_mod {
	int		 kind;
	int		 incident;
	int64_t		 from, to;
	int		 tool;			/* -1: any */
	int		 principal;		/* -1: any */
	double		 factor;		/* latency x, error share */
};

struct sim_incident {
	const char	*kind;			/* "retry_loop", ... */
	const char	*detector;		/* "D01" */
	const char	*also[4];		/* detectors that may co-fire */
	char		 key[6][2][72];		/* key members: name, value */
	int		 nkey;
	int64_t		 from, to;		/* planned window */
	int64_t		 first_seq, last_seq, rows;
	int64_t		 first_ts, last_ts;
	int64_t		 next_seq;		/* drops: the row after */
};

struct sim {
	/* options */
	int64_t		 rows, start, days;
	uint64_t	 seed;
	int		 nprinc, per_kind;
	double		 density;		/* traffic / the reference's, >= 1 */
	const char	*only;			/* incident kinds, or NULL */

	uint64_t	 rng[4];
	struct sim_tool	*tools;
	int		 ntools;
	struct sim_principal *p;
	int		 np;
	int		 byrole[SIM_ROLE__MAX][SIM_PER_ROLE];
	int		 nbyrole[SIM_ROLE__MAX];

	struct sim_row	*heap;			/* pending rows by ts */
	size_t		 nheap, capheap, capord;
	uint64_t	*heapord;

	struct sim_mod	*mods;
	size_t		 nmods, capmods;
	struct sim_incident *inc;
	size_t		 ninc, capinc;
	char		**strs;			/* strings rows point to */
	size_t		 nstrs, capstrs;

	/* the writer */
	struct sim_pipe	*pipe;			/* the inserting thread */
	struct sqlite3	*db;
	struct sqlite3_stmt *ins;
	char		 prev[SIM_HEX];
	int64_t		 seq, last_ts, host_last[3];
	int64_t		 hash_us, insert_us;
	int		 dropped_for_inc;
};

/* Random numbers (xoshiro256**), seeded from --seed. */
uint64_t	 sim_rand(struct sim *);
double		 sim_unif(struct sim *);		/* [0, 1) */
int		 sim_below(struct sim *, int n);	/* [0, n) */
double		 sim_normal(struct sim *);
/* 64 hex digits from the generator. */
void		 sim_hex(struct sim *, char out[SIM_HEX]);

/* A tools/call row of principal pi for tool ti at ts, as background. */
void		 sim_call(struct sim *, struct sim_row *, int pi, int ti,
		    int64_t ts);
/* Queues a row (written when the stream reaches its ts). */
void		 sim_push(struct sim *, const struct sim_row *);
/* The tool index of name, or -1. */
int		 sim_tool(const struct sim *, const char *name);
/* A principal of role with at least the median weight, varying by k. */
int		 sim_pick(struct sim *, int role, int k);
int		 sim_in_repertoire(const struct sim *, int pi, int ti);

/* Plans and queues every incident (simulate_inc.c). */
void		 sim_incidents(struct sim *);
struct sim_incident *sim_incident_new(struct sim *, const char *kind,
		    const char *detector);
void		 sim_incident_key(struct sim_incident *, const char *name,
		    const char *value);

#endif /* AUDIT_SIMULATE_INT_H */
