/*
 * test_timerange.c -- audit/timerange.c: ISO 8601 instants and periods,
 * the calendar keywords, relative offsets, zones, ranges and formatting,
 * against a fixed clock (Wednesday 2025-03-05 10:30:00 UTC).
 */
#include <stdint.h>
#include <string.h>

#include "t.h"
#include "timerange.h"

#define S	INT64_C(1000000)
#define MIN	(60 * S)
#define H	(60 * MIN)
#define D	(24 * H)

static int64_t
civil(int64_t y, int m, int d, int hh, int mm, int ss)
{
	return timerange_civil_us(y, m, d, hh, mm, ss, 0);
}

static int64_t now;

/* The token's [from, to) or (INT64_MIN, INT64_MIN) when it is refused. */
static struct timerange
tok(const char *s, int tz)
{
	struct timerange r = { INT64_MIN, INT64_MIN };
	char		 err[256];

	if (timerange_parse_token(s, now, tz, &r, err, sizeof(err)) == -1) {
		r.from_us = r.to_us = INT64_MIN;
		if (err[0] == '\0')
			printf("# no message for \"%s\"\n", s);
	}
	return r;
}

static struct timerange
rng(const char *s, int tz)
{
	struct timerange r;
	char		 err[256];

	if (timerange_parse_range(s, now, tz, &r, err, sizeof(err)) == -1)
		r.from_us = r.to_us = INT64_MIN;
	return r;
}

#define T_RANGE(r, f, t, ...) do {					\
	struct timerange t_r_ = (r);					\
	T_OK(t_r_.from_us == (f) && t_r_.to_us == (t), __VA_ARGS__);	\
	if (t_r_.from_us != (f) || t_r_.to_us != (t))			\
		printf("#   got [%lld, %lld), want [%lld, %lld)\n",	\
		    (long long)t_r_.from_us, (long long)t_r_.to_us,	\
		    (long long)(f), (long long)(t));			\
} while (0)

#define T_BAD(r, ...)	T_OK((r).from_us == INT64_MIN, __VA_ARGS__)

static void
test_tz(void)
{
	int	 m = 999;

	T_OK(timerange_parse_tz("Z", &m) == 0 && m == 0, "tz Z");
	T_OK(timerange_parse_tz("UTC", &m) == 0 && m == 0, "tz UTC");
	T_OK(timerange_parse_tz("+02:00", &m) == 0 && m == 120, "tz +02:00");
	T_OK(timerange_parse_tz("-0530", &m) == 0 && m == -330, "tz -0530");
	T_OK(timerange_parse_tz("+05", &m) == 0 && m == 300, "tz +05");
	T_OK(timerange_parse_tz("+18:00", &m) == 0 && m == 1080,
	    "tz +18:00 (the limit)");
	T_OK(timerange_parse_tz("+18:01", &m) == -1, "tz +18:01 refused");
	T_OK(timerange_parse_tz("02:00", &m) == -1, "tz without a sign");
	T_OK(timerange_parse_tz("+02:60", &m) == -1, "tz minutes 60");
	T_OK(timerange_parse_tz("+2", &m) == -1, "tz one digit");
	T_OK(timerange_parse_tz("Europe/Paris", &m) == -1,
	    "tz names are not offsets");
	T_OK(timerange_parse_tz("", &m) == -1, "tz empty");
}

static void
test_iso(void)
{
	int64_t	 t = civil(2025, 3, 1, 9, 30, 0);

	T_RANGE(tok("2025-03-01T09:30:00Z", 0), t, t, "ISO instant, Z");
	T_RANGE(tok("2025-03-01t09:30:00z", 0), t, t, "lower-case t and z");
	T_RANGE(tok("2025-03-01 09:30", 0), t, t, "space, no seconds");
	T_RANGE(tok("2025-03-01T11:30:00+02:00", 0), t, t, "offset +02:00");
	T_RANGE(tok("2025-03-01T11:30:00", 120), t, t,
	    "no zone: --tz applies");
	T_RANGE(tok("2025-03-01T09:30:00Z", 120), t, t,
	    "an explicit zone beats --tz");
	T_RANGE(tok("2025-03-01T09:30:00.25Z", 0), t + 250000, t + 250000,
	    "fraction .25");
	T_RANGE(tok("2025-03-01T09:30:00.123456789Z", 0), t + 123456,
	    t + 123456, "fraction cut to microseconds");
	T_RANGE(tok("2025-03-01T09:30:00,5Z", 0), t + 500000, t + 500000,
	    "decimal comma");
	T_RANGE(tok("2025-03-01", 0), civil(2025, 3, 1, 0, 0, 0),
	    civil(2025, 3, 2, 0, 0, 0), "a date is that whole day");
	T_RANGE(tok("2025-03-01", 60), civil(2025, 2, 28, 23, 0, 0),
	    civil(2025, 3, 1, 23, 0, 0), "a date in zone +01:00");
	T_RANGE(tok("2025-02", 0), civil(2025, 2, 1, 0, 0, 0),
	    civil(2025, 3, 1, 0, 0, 0), "a month");
	T_RANGE(tok("2024-12", 0), civil(2024, 12, 1, 0, 0, 0),
	    civil(2025, 1, 1, 0, 0, 0), "December ends at the new year");
	T_RANGE(tok("2025", 0), civil(2025, 1, 1, 0, 0, 0),
	    civil(2026, 1, 1, 0, 0, 0), "a year");
	T_RANGE(tok("2024-02-29", 0), civil(2024, 2, 29, 0, 0, 0),
	    civil(2024, 3, 1, 0, 0, 0), "29 February in a leap year");
	T_RANGE(tok("2000-02-29", 0), civil(2000, 2, 29, 0, 0, 0),
	    civil(2000, 3, 1, 0, 0, 0), "2000 was a leap year");
	T_BAD(tok("1900-02-29", 0), "1900 was not");
	T_BAD(tok("2025-02-29", 0), "29 February 2025 refused");
	T_BAD(tok("2025-04-31", 0), "31 April refused");
	T_BAD(tok("2025-13-01", 0), "month 13 refused");
	T_BAD(tok("2025-00-10", 0), "month 0 refused");
	T_BAD(tok("2025-03-00", 0), "day 0 refused");
	T_BAD(tok("2025-03-01T24:00", 0), "hour 24 refused");
	T_BAD(tok("2025-03-01T12:60", 0), "minute 60 refused");
	T_BAD(tok("2025-03-01T12:00:60Z", 0), "second 60 refused");
	T_BAD(tok("2025-03-01T12", 0), "an hour alone refused");
	T_BAD(tok("2025-03-01T12:00:00.Z", 0), "an empty fraction refused");
	T_BAD(tok("2025-03-01T12:00:00+2", 0), "a bad offset refused");
	T_BAD(tok("25-03-01", 0), "two-digit year refused");
	T_BAD(tok("03/01/2025", 0), "locale dates refused");
	T_BAD(tok("2025-3-1", 0), "unpadded refused");
	T_BAD(tok("2025-03-01x", 0), "trailing text refused");
	T_BAD(tok("", 0), "empty refused");
	T_BAD(tok("tomorrow", 0), "unknown keyword refused");
	T_RANGE(tok("1969-12-31T23:59:59Z", 0), -S, -S, "before 1970");
	T_RANGE(tok("1970-01-01", 0), 0, D, "the epoch's day");
	T_RANGE(tok("@1741170600", 0), civil(2025, 3, 5, 10, 30, 0),
	    civil(2025, 3, 5, 10, 30, 0), "@unix-seconds");
	T_BAD(tok("@", 0), "@ alone refused");
	T_BAD(tok("@12x", 0), "@ with junk refused");
}

static void
test_keywords(void)
{
	int64_t	 day = civil(2025, 3, 5, 0, 0, 0);

	T_RANGE(tok("now", 0), now, now, "now");
	T_RANGE(tok("recent", 0), now - 10 * MIN, now, "recent: 10 minutes");
	T_RANGE(tok("this-hour", 0), civil(2025, 3, 5, 10, 0, 0),
	    civil(2025, 3, 5, 11, 0, 0), "this-hour");
	T_RANGE(tok("today", 0), day, day + D, "today");
	T_RANGE(tok("yesterday", 0), day - D, day, "yesterday");
	T_RANGE(tok("this-week", 0), civil(2025, 3, 3, 0, 0, 0),
	    civil(2025, 3, 10, 0, 0, 0), "this-week starts on Monday");
	T_RANGE(tok("last-week", 0), civil(2025, 2, 24, 0, 0, 0),
	    civil(2025, 3, 3, 0, 0, 0), "last-week");
	T_RANGE(tok("this-month", 0), civil(2025, 3, 1, 0, 0, 0),
	    civil(2025, 4, 1, 0, 0, 0), "this-month");
	T_RANGE(tok("last-month", 0), civil(2025, 2, 1, 0, 0, 0),
	    civil(2025, 3, 1, 0, 0, 0), "last-month (February)");
	T_RANGE(tok("this-year", 0), civil(2025, 1, 1, 0, 0, 0),
	    civil(2026, 1, 1, 0, 0, 0), "this-year");
	T_RANGE(tok("last-year", 0), civil(2024, 1, 1, 0, 0, 0),
	    civil(2025, 1, 1, 0, 0, 0), "last-year");

	/* zones: 23:30 UTC is already tomorrow at +02:00 */
	now = civil(2025, 3, 5, 23, 30, 0);
	T_RANGE(tok("today", 120), civil(2025, 3, 5, 22, 0, 0),
	    civil(2025, 3, 6, 22, 0, 0), "today at +02:00");
	T_RANGE(tok("today", -300), civil(2025, 3, 5, 5, 0, 0),
	    civil(2025, 3, 6, 5, 0, 0), "today at -05:00");
	T_RANGE(tok("this-hour", 330), civil(2025, 3, 5, 23, 30, 0),
	    civil(2025, 3, 6, 0, 30, 0), "this-hour at +05:30");

	/* across the year: 2025-01-01 is a Wednesday */
	now = civil(2025, 1, 1, 8, 0, 0);
	T_RANGE(tok("this-week", 0), civil(2024, 12, 30, 0, 0, 0),
	    civil(2025, 1, 6, 0, 0, 0), "this-week across new year");
	T_RANGE(tok("last-month", 0), civil(2024, 12, 1, 0, 0, 0),
	    civil(2025, 1, 1, 0, 0, 0), "last-month in January");
	T_RANGE(tok("yesterday", 0), civil(2024, 12, 31, 0, 0, 0),
	    civil(2025, 1, 1, 0, 0, 0), "yesterday on 1 January");

	/* a Monday and a Sunday */
	now = civil(2025, 3, 3, 0, 0, 0);
	T_RANGE(tok("this-week", 0), civil(2025, 3, 3, 0, 0, 0),
	    civil(2025, 3, 10, 0, 0, 0), "this-week at Monday 00:00");
	now = civil(2025, 3, 9, 23, 59, 59);
	T_RANGE(tok("this-week", 0), civil(2025, 3, 3, 0, 0, 0),
	    civil(2025, 3, 10, 0, 0, 0), "this-week on Sunday night");
	/* leap-year March: last-month is 29 days */
	now = civil(2024, 3, 15, 0, 0, 0);
	T_RANGE(tok("last-month", 0), civil(2024, 2, 1, 0, 0, 0),
	    civil(2024, 3, 1, 0, 0, 0), "last-month: February 2024");
	now = civil(2025, 3, 5, 10, 30, 0);
}

static void
test_relative(void)
{
	T_RANGE(tok("-24h", 0), now - 24 * H, now - 24 * H, "-24h");
	T_RANGE(tok("-7d", 0), now - 7 * D, now - 7 * D, "-7d");
	T_RANGE(tok("-30m", 0), now - 30 * MIN, now - 30 * MIN, "-30m");
	T_RANGE(tok("-2w", 0), now - 14 * D, now - 14 * D, "-2w");
	T_RANGE(tok("-90s", 0), now - 90 * S, now - 90 * S, "-90s");
	T_RANGE(tok("-0h", 0), now, now, "-0h is now");
	T_BAD(tok("-5x", 0), "-5x refused");
	T_BAD(tok("-", 0), "- alone refused");
	T_BAD(tok("-m", 0), "-m refused");
	T_BAD(tok("-5", 0), "-5 without a unit refused");
	T_BAD(tok("-5hh", 0), "-5hh refused");
	T_BAD(tok("-99999999999999d", 0), "an absurd offset refused");
	T_BAD(tok("+5h", 0), "the future is not a relative time");
}

static void
test_ranges(void)
{
	char	 err[256];
	int64_t	 v;

	T_RANGE(rng("last-week", 0), civil(2025, 2, 24, 0, 0, 0),
	    civil(2025, 3, 3, 0, 0, 0), "range last-week");
	T_RANGE(rng("-24h", 0), now - 24 * H, now, "range -24h: until now");
	T_RANGE(rng("2025-03", 0), civil(2025, 3, 1, 0, 0, 0),
	    civil(2025, 4, 1, 0, 0, 0), "range 2025-03");
	T_RANGE(rng("2025-03-01..2025-03-03", 0), civil(2025, 3, 1, 0, 0, 0),
	    civil(2025, 3, 4, 0, 0, 0), "A..B includes all of B's day");
	T_RANGE(rng("2025-03-01T06:00Z..2025-03-01T18:00Z", 0),
	    civil(2025, 3, 1, 6, 0, 0), civil(2025, 3, 1, 18, 0, 0),
	    "A..B instants: half-open");
	T_RANGE(rng("2025-03-01/2025-03-02T12:00Z", 0),
	    civil(2025, 3, 1, 0, 0, 0), civil(2025, 3, 2, 12, 0, 0),
	    "ISO 8601 A/B");
	T_RANGE(rng("..2025-03-03", 0), TIMERANGE_UNBOUNDED_FROM,
	    civil(2025, 3, 4, 0, 0, 0), "..B: no start");
	T_RANGE(rng("2025-03-03..", 0), civil(2025, 3, 3, 0, 0, 0),
	    TIMERANGE_UNBOUNDED_TO, "A..: no end");
	T_RANGE(rng("-7d..-1d", 0), now - 7 * D, now - D, "relative A..B");
	T_RANGE(rng("yesterday..today", 0), civil(2025, 3, 4, 0, 0, 0),
	    civil(2025, 3, 6, 0, 0, 0), "yesterday..today");
	T_BAD(rng("2025-03-01T09:00Z", 0), "an instant is not a range");
	T_BAD(rng("now", 0), "now is not a range");
	T_BAD(rng("2025-03-05..2025-03-01", 0), "a reversed range refused");
	T_BAD(rng("2025-03-01T09:00Z..2025-03-01T09:00Z", 0),
	    "an empty range refused");
	T_BAD(rng("", 0), "an empty range string refused");
	T_BAD(rng("bogus..today", 0), "a bad side refused");

	T_OK(timerange_parse_from("yesterday", now, 0, &v, err,
	    sizeof(err)) == 0 && v == civil(2025, 3, 4, 0, 0, 0),
	    "--from yesterday is its start");
	T_OK(timerange_parse_to("2025-03-31", now, 0, &v, err,
	    sizeof(err)) == 0 && v == civil(2025, 4, 1, 0, 0, 0),
	    "--to 2025-03-31 includes that day");
	T_OK(timerange_parse_to("2025-03-31T12:00Z", now, 0, &v, err,
	    sizeof(err)) == 0 && v == civil(2025, 3, 31, 12, 0, 0),
	    "--to an instant stops there");
	T_OK(timerange_parse_to("-1h", now, 0, &v, err, sizeof(err)) == 0 &&
	    v == now - H, "--to -1h");
	err[0] = '\0';
	T_OK(timerange_parse_from("03/01/2025", now, 0, &v, err,
	    sizeof(err)) == -1 && strstr(err, "ISO 8601") != NULL,
	    "the error says what is accepted");
}

static void
test_format(void)
{
	char	 b[TIMERANGE_FMT_LEN];

	T_EQ_STR(timerange_format(civil(2025, 3, 1, 9, 30, 0), 0, b,
	    sizeof(b)), "2025-03-01T09:30:00Z", "format UTC");
	T_EQ_STR(timerange_format(civil(2025, 3, 1, 9, 30, 0) + 1, 0, b,
	    sizeof(b)), "2025-03-01T09:30:00.000001Z", "format microseconds");
	T_EQ_STR(timerange_format(civil(2025, 3, 1, 23, 30, 0), 120, b,
	    sizeof(b)), "2025-03-02T01:30:00+02:00", "format +02:00");
	T_EQ_STR(timerange_format(civil(2025, 3, 1, 3, 0, 0), -330, b,
	    sizeof(b)), "2025-02-28T21:30:00-05:30", "format -05:30");
	T_EQ_STR(timerange_format(-1, 0, b, sizeof(b)),
	    "1969-12-31T23:59:59.999999Z", "format before 1970");
	T_EQ_STR(timerange_format(TIMERANGE_UNBOUNDED_FROM, 0, b, sizeof(b)),
	    "-inf", "format unbounded start");
	T_EQ_STR(timerange_format(TIMERANGE_UNBOUNDED_TO, 0, b, sizeof(b)),
	    "+inf", "format unbounded end");
	T_EQ_STR(timerange_format_tz(0, b, sizeof(b)), "Z", "zone Z");
	T_EQ_STR(timerange_format_tz(-90, b, sizeof(b)), "-01:30",
	    "zone -01:30");
	/* what format writes, parse reads back */
	T_RANGE(tok(timerange_format(now + 123456, 330, b, sizeof(b)), 0),
	    now + 123456, now + 123456, "format then parse round-trips");
	T_OK(timerange_civil_us(2024, 2, 29, 0, 0, 0, 0) + D ==
	    timerange_civil_us(2024, 3, 1, 0, 0, 0, 0), "civil: leap day");
	T_OK(timerange_now_us() > civil(2024, 1, 1, 0, 0, 0),
	    "the wall clock is after 2024");
}

int
main(void)
{
	now = civil(2025, 3, 5, 10, 30, 0);
	test_tz();
	test_iso();
	test_keywords();
	test_relative();
	test_ranges();
	test_format();
	return t_done();
}
