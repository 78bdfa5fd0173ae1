/*
 * migrate.h -- numbered schema migrations, built into the binaries from
 * sql/NNN_<db>_<name>.sql by scripts/embed-sql.sh.
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stddef.h>

struct sqlite3;

struct migration {
	int		 num;	/* NNN: applied in order, recorded in user_version */
	const char	*db;	/* which database: "state", "audit", ... */
	const char	*name;
	const char	*sql;
};

/* Terminated by an entry with num 0. */
extern const struct migration migrations[];

/*
 * Brings database db (of kind kind) up to date.  Safe when several worker
 * processes start at once: the check and the changes happen in one
 * BEGIN IMMEDIATE transaction, so one process migrates and the others then
 * see the new user_version.  A database newer than this binary is refused.
 * Returns 0, or -1 with a message in err.
 */
int	migrate_apply(struct sqlite3 *db, const char *kind, char *err,
	    size_t errlen) __attribute__((warn_unused_result));

/*
 * Puts db in WAL mode.  Switching a fresh database needs an exclusive lock
 * that SQLite does not wait for with the busy handler when several
 * processes open the file at once, so this retries for up to
 * MIGRATE_WAL_TRIES x 10 ms.  Returns 0 or -1 (message from
 * sqlite3_errmsg).
 */
#define MIGRATE_WAL_TRIES	500
int	migrate_wal(struct sqlite3 *db) __attribute__((warn_unused_result));

/* The newest migration number for kind (0 if none). */
int	migrate_latest(const char *kind);

#endif /* MIGRATE_H */
