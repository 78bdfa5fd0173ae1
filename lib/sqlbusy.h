/*
 * sqlbusy.h -- waiting for another process's SQLite write lock.
 *
 * sqlite3_busy_timeout sleeps 1, 2, 5 ... 100 ms between tries: right for
 * long transactions, ruinous for the server's, which hold a WAL write lock
 * for tens of microseconds.  Four workers writing the same state or audit
 * database would sleep a millisecond and more for a lock free again after
 * a few microseconds.  This handler starts at SQLBUSY_FIRST_US and doubles
 * up to SQLBUSY_MAX_US, until the timeout has been slept.
 */
#ifndef SQLBUSY_H
#define SQLBUSY_H

struct sqlite3;

#define SQLBUSY_FIRST_US	20	/* first wait */
#define SQLBUSY_MAX_US		1000	/* longest single wait */

/* Sets db's busy handler: give up after about timeout_ms of waiting. */
void	sqlbusy_set(struct sqlite3 *db, int timeout_ms);

/* The wait before try number count + 1 (for tests), in microseconds. */
long	sqlbusy_wait_us(int count);

#endif /* !SQLBUSY_H */
