/*
 * timerange.h -- instants and half-open time ranges as people type them:
 * ISO 8601 ("2025-03-01", "2025-03-01T09:30:00Z",
 * "2025-03-01 09:30:00.250+02:00"), keywords ("now", "recent",
 * "this-hour", "today", "yesterday", "this-week", "last-week",
 * "this-month", "last-month", "this-year", "last-year"), and relative
 * offsets back from now ("-30m", "-24h", "-7d", "-2w", "-90s").
 *
 * Times are unix microseconds, UTC, like ts_us in the audit log.  A zone
 * is a fixed offset from UTC (--tz +02:00); UTC by default, never the
 * locale or the TZ variable, so a report means the same on every host.
 * Weeks start on Monday (ISO 8601).  Knows nothing of SQLite.
 */
#ifndef AUDIT_TIMERANGE_H
#define AUDIT_TIMERANGE_H

#include <stddef.h>
#include <stdint.h>

#define TIMERANGE_UNBOUNDED_FROM	INT64_MIN
#define TIMERANGE_UNBOUNDED_TO		INT64_MAX
#define TIMERANGE_TZ_MAX_MIN		(18 * 60)	/* |offset| <= 18 h */
#define TIMERANGE_FMT_LEN		40	/* timerange_format buffer */

/*
 * [from_us, to_us): from inclusive, to exclusive.  An unbounded end is
 * TIMERANGE_UNBOUNDED_FROM / TIMERANGE_UNBOUNDED_TO.
 */
struct timerange {
	int64_t	 from_us;
	int64_t	 to_us;
};

/*
 * Parses a zone: "Z", "UTC", "+HH:MM", "-HH:MM", "+HHMM", "+HH".
 * OUT: *offset_min, minutes east of UTC.  Returns 0, or -1.
 */
int	timerange_parse_tz(const char *s, int *offset_min)
	    __attribute__((warn_unused_result));

/*
 * Parses one token into the span of time it names:
 *  - an exact instant (ISO date-time, "now", a relative "-24h"):
 *    from == to == that instant;
 *  - a calendar period (an ISO date "2025-03-01", a month "2025-03", a
 *    year "2025", or a keyword such as "yesterday"): [start, end);
 *  - "recent": the last 10 minutes, [now - 10 min, now).
 * A date-time without a zone is in tz_min; one with "Z" or an offset is
 * in that zone.  now_us is the clock (tests pass a fixed one).
 * OUT: *out.  Returns 0, or -1 with one sentence in err.
 */
int	timerange_parse_token(const char *s, int64_t now_us, int tz_min,
	    struct timerange *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * --from: the start of what the token names ("--from yesterday" is
 * yesterday 00:00).  OUT: *from_us.  Returns 0, or -1 with err.
 */
int	timerange_parse_from(const char *s, int64_t now_us, int tz_min,
	    int64_t *from_us, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * --to: the end of what the token names, exclusive ("--to 2025-03-31"
 * includes all of 31 March; "--to 2025-03-31T12:00Z" stops just before
 * noon).  OUT: *to_us.  Returns 0, or -1 with err.
 */
int	timerange_parse_to(const char *s, int64_t now_us, int tz_min,
	    int64_t *to_us, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * --range: a keyword or calendar period ("last-week", "2025-03"), a
 * relative offset meaning "from then until now" ("-24h" is
 * [now - 24 h, now)), or an interval "A..B" or ISO 8601 "A/B" meaning
 * [from(A), to(B)); either side of ".." may be empty (unbounded).
 * OUT: *out.  Returns 0, or -1 with err (also when from >= to).
 */
int	timerange_parse_range(const char *s, int64_t now_us, int tz_min,
	    struct timerange *out, char *err, size_t errlen)
	    __attribute__((warn_unused_result));

/*
 * Formats us as ISO 8601 in zone tz_min: "2025-03-01T09:30:00Z", with
 * ".ffffff" only when there are microseconds, and "+02:00" for a zone
 * other than UTC.  The unbounded values format as "-inf" / "+inf".
 * OUT: buf (at least TIMERANGE_FMT_LEN bytes).  Returns buf.
 */
char	*timerange_format(int64_t us, int tz_min, char *buf, size_t len);

/* "Z" or "+02:00" for tz_min.  OUT: buf (>= 8 bytes).  Returns buf. */
char	*timerange_format_tz(int tz_min, char *buf, size_t len);

/*
 * Unix microseconds of a civil date-time in UTC (proleptic Gregorian;
 * month 1..12, day 1..31).  No range checks: validate first.
 */
int64_t	timerange_civil_us(int64_t year, int month, int day, int hour,
	    int min, int sec, int usec);

/* The wall clock, unix microseconds. */
int64_t	timerange_now_us(void);

#endif /* AUDIT_TIMERANGE_H */
