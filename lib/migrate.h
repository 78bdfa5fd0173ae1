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
 * Puts db in WAL mode (and applies migrate_oneshot_apply).  Switching a
 * fresh database needs an exclusive lock that SQLite does not wait for
 * with the busy handler when several processes open the file at once, so
 * this retries for up to MIGRATE_WAL_TRIES x 10 ms.  Returns 0 or -1
 * (message from sqlite3_errmsg).
 */
#define MIGRATE_WAL_TRIES	500
int	migrate_wal(struct sqlite3 *db) __attribute__((warn_unused_result));

/*
 * Plain CGI: the process serves one request and exits, and is usually the
 * last connection to close each database, so SQLite would checkpoint on
 * close: sync the WAL, copy it into the database, sync that, delete the
 * WAL and the -shm, and the next process would create, sync (file and
 * directory) and zero them again.  migrate_oneshot(1), called once at
 * start-up before any database is opened, makes every connection given
 * to migrate_oneshot_apply (migrate_wal does it) close without a
 * checkpoint, sync the WAL after each commit instead (outside the write
 * lock, so a commit is on disk before the process exits, as before), and
 * truncate the WAL with a checkpoint once it holds MIGRATE_ONESHOT_FRAMES
 * frames: the first process to open a database afterwards reads the
 * whole WAL to rebuild its index (about 1.4 instructions per byte).  Off
 * (SQLite's defaults) for FastCGI workers and the admin commands.
 */
#define MIGRATE_ONESHOT_FRAMES	100	/* pages: 400 KiB at 4 KiB */
void	migrate_oneshot(int on);

/* Applies the one-shot settings above to db when they are on. */
void	migrate_oneshot_apply(struct sqlite3 *db);

/* The newest migration number for kind (0 if none). */
int	migrate_latest(const char *kind);

#endif /* MIGRATE_H */
