/*
 * sqlbusy.c -- a short-sleeping SQLite busy handler (see sqlbusy.h).
 */
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "sqlbusy.h"

long
sqlbusy_wait_us(int count)
{
	long	 us = SQLBUSY_FIRST_US;

	while (count-- > 0 && us < SQLBUSY_MAX_US)
		us *= 2;
	return us < SQLBUSY_MAX_US ? us : SQLBUSY_MAX_US;
}

/*
 * The time slept before try count + 1, summed: the waits are known, so
 * no clock is read (the time spent trying is not counted, as SQLite's
 * own handler does not count it either).
 */
static long long
sqlbusy_slept_us(int count)
{
	long long	 sum = 0;
	int		 i;

	for (i = 0; i < count; i++) {
		if (sqlbusy_wait_us(i) == SQLBUSY_MAX_US)
			return sum + (long long)(count - i) * SQLBUSY_MAX_US;
		sum += sqlbusy_wait_us(i);
	}
	return sum;
}

static int
sqlbusy_handler(void *arg, int count)
{
	long long	 limit = (long long)(intptr_t)arg * 1000;
	long		 us;
	struct timespec	 ts;

	if (count < 0 || sqlbusy_slept_us(count) >= limit)
		return 0;
	us = sqlbusy_wait_us(count);
	ts.tv_sec = 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

void
sqlbusy_set(sqlite3 *db, int timeout_ms)
{
	if (timeout_ms < 0)
		timeout_ms = 0;
	sqlite3_busy_handler(db, sqlbusy_handler, (void *)(intptr_t)timeout_ms);
}
