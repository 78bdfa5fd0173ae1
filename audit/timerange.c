/*
 * timerange.c -- ISO 8601 instants, calendar keywords and relative
 * offsets, turned into half-open ranges of unix microseconds.
 *
 * Calendar arithmetic is done here on integers (days from civil and back,
 * H. Hinnant's algorithms) rather than with mktime/timegm, so that the
 * result never depends on TZ, the locale or the C library.  Knows nothing
 * of SQLite or of the audit schema.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timerange.h"

#define US_PER_S	INT64_C(1000000)
#define US_PER_MIN	(60 * US_PER_S)
#define US_PER_HOUR	(60 * US_PER_MIN)
#define US_PER_DAY	(24 * US_PER_HOUR)
#define TR_RECENT_US	(10 * US_PER_MIN)	/* aureport's "recent" */
#define TR_TOKEN_MAX	128

static void tr_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
tr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Floor division and modulo for negative instants (before 1970). */
static int64_t
tr_floordiv(int64_t a, int64_t b)
{
	int64_t	 q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant). */
static int64_t
tr_days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
tr_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
tr_days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int64_t
timerange_civil_us(int64_t year, int month, int day, int hour, int min,
    int sec, int usec)
{
	return tr_days_from_civil(year, month, day) * US_PER_DAY +
	    hour * US_PER_HOUR + min * US_PER_MIN + sec * US_PER_S + usec;
}

int64_t
timerange_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

/* Reads exactly n decimal digits at *p.  Returns the value or -1. */
static int64_t
tr_digits(const char **p, int n)
{
	int64_t	 v = 0;
	int	 i;

	for (i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

int
timerange_parse_tz(const char *s, int *offset_min)
{
	const char	*p = s;
	int64_t		 h, m = 0;
	int		 sign;

	if (s == NULL)
		return -1;
	if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0 ||
	    strcmp(s, "UTC") == 0 || strcmp(s, "utc") == 0) {
		*offset_min = 0;
		return 0;
	}
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if ((h = tr_digits(&p, 2)) < 0)
		return -1;
	if (*p == ':')
		p++;
	if (*p != '\0' && (m = tr_digits(&p, 2)) < 0)
		return -1;
	if (*p != '\0' || m > 59 || h * 60 + m > TIMERANGE_TZ_MAX_MIN)
		return -1;
	*offset_min = sign * (int)(h * 60 + m);
	return 0;
}

/* Midnight (in zone tz_min) of the local day containing us, as UTC us. */
static int64_t
tr_local_midnight(int64_t us, int tz_min, int64_t *days)
{
	int64_t	 off = (int64_t)tz_min * US_PER_MIN;

	*days = tr_floordiv(us + off, US_PER_DAY);
	return *days * US_PER_DAY - off;
}

/* [start of month (y, m) + k months, + 1 month) in zone tz_min. */
static void
tr_month(int64_t y, int m, int k, int tz_min, struct timerange *out)
{
	int64_t	 off = (int64_t)tz_min * US_PER_MIN;
	int64_t	 idx = y * 12 + (m - 1) + k;

	y = tr_floordiv(idx, 12);
	m = (int)(idx - y * 12) + 1;
	out->from_us = tr_days_from_civil(y, m, 1) * US_PER_DAY - off;
	idx++;
	y = tr_floordiv(idx, 12);
	m = (int)(idx - y * 12) + 1;
	out->to_us = tr_days_from_civil(y, m, 1) * US_PER_DAY - off;
}

/* [1 January y, 1 January y + 1) in zone tz_min. */
static void
tr_year(int64_t y, int tz_min, struct timerange *out)
{
	int64_t	 off = (int64_t)tz_min * US_PER_MIN;

	out->from_us = tr_days_from_civil(y, 1, 1) * US_PER_DAY - off;
	out->to_us = tr_days_from_civil(y + 1, 1, 1) * US_PER_DAY - off;
}

static int
tr_keyword(const char *s, int64_t now, int tz_min, struct timerange *out)
{
	int64_t	 mid, days, y;
	int	 m, d, wd;

	mid = tr_local_midnight(now, tz_min, &days);
	tr_civil_from_days(days, &y, &m, &d);
	wd = (int)(((days % 7) + 7 + 3) % 7);	/* 1970-01-01: Thursday */
	if (strcmp(s, "now") == 0) {
		out->from_us = out->to_us = now;
	} else if (strcmp(s, "recent") == 0) {
		out->from_us = now - TR_RECENT_US;
		out->to_us = now;
	} else if (strcmp(s, "this-hour") == 0) {
		out->from_us = mid + tr_floordiv(now - mid, US_PER_HOUR) *
		    US_PER_HOUR;
		out->to_us = out->from_us + US_PER_HOUR;
	} else if (strcmp(s, "today") == 0) {
		out->from_us = mid;
		out->to_us = mid + US_PER_DAY;
	} else if (strcmp(s, "yesterday") == 0) {
		out->from_us = mid - US_PER_DAY;
		out->to_us = mid;
	} else if (strcmp(s, "this-week") == 0) {
		out->from_us = mid - wd * US_PER_DAY;
		out->to_us = out->from_us + 7 * US_PER_DAY;
	} else if (strcmp(s, "last-week") == 0) {
		out->to_us = mid - wd * US_PER_DAY;
		out->from_us = out->to_us - 7 * US_PER_DAY;
	} else if (strcmp(s, "this-month") == 0) {
		tr_month(y, m, 0, tz_min, out);
	} else if (strcmp(s, "last-month") == 0) {
		tr_month(y, m, -1, tz_min, out);
	} else if (strcmp(s, "this-year") == 0) {
		tr_year(y, tz_min, out);
	} else if (strcmp(s, "last-year") == 0) {
		tr_year(y - 1, tz_min, out);
	} else
		return -1;
	return 0;
}

/* "-30m", "-24h", "-7d", "-2w", "-90s": now minus that. */
static int
tr_relative(const char *s, int64_t now, int64_t *out)
{
	const char	*p = s + 1;
	int64_t		 n = 0, unit;

	if (s[0] != '-' || *p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (n > INT64_C(100000000))	/* > 3000 years in any unit */
			return -1;
		n = n * 10 + (*p++ - '0');
	}
	switch (*p) {
	case 's':
		unit = US_PER_S;
		break;
	case 'm':
		unit = US_PER_MIN;
		break;
	case 'h':
		unit = US_PER_HOUR;
		break;
	case 'd':
		unit = US_PER_DAY;
		break;
	case 'w':
		unit = 7 * US_PER_DAY;
		break;
	default:
		return -1;
	}
	if (p[1] != '\0')
		return -1;
	*out = now - n * unit;
	return 0;
}

/*
 * ISO 8601: YYYY, YYYY-MM, YYYY-MM-DD, or YYYY-MM-DD[T ]HH:MM[:SS[.f]]
 * with an optional Z or offset.  Returns 0 or -1 (with err).
 */
static int
tr_iso(const char *s, int tz_min, struct timerange *out, char *err,
    size_t errlen)
{
	const char	*p = s;
	int64_t		 y, mo = 0, d = 0, h = 0, mi = 0, sec = 0, us = 0;
	int64_t		 off, days;
	int		 zone = tz_min, digits;

	if ((y = tr_digits(&p, 4)) < 0)
		goto bad;
	if (*p == '\0') {
		tr_year(y, tz_min, out);
		return 0;
	}
	if (*p++ != '-' || (mo = tr_digits(&p, 2)) < 1 || mo > 12)
		goto bad;
	if (*p == '\0') {
		tr_month(y, (int)mo, 0, tz_min, out);
		return 0;
	}
	if (*p++ != '-' || (d = tr_digits(&p, 2)) < 1 ||
	    d > tr_days_in_month(y, (int)mo))
		goto bad;
	days = tr_days_from_civil(y, (int)mo, (int)d);
	if (*p == '\0') {
		off = (int64_t)tz_min * US_PER_MIN;
		out->from_us = days * US_PER_DAY - off;
		out->to_us = out->from_us + US_PER_DAY;
		return 0;
	}
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if ((h = tr_digits(&p, 2)) < 0 || h > 23 || *p++ != ':' ||
	    (mi = tr_digits(&p, 2)) < 0 || mi > 59)
		goto bad;
	if (*p == ':') {
		p++;
		if ((sec = tr_digits(&p, 2)) < 0 || sec > 59)
			goto bad;
		if (*p == '.' || *p == ',') {
			p++;
			for (digits = 0; *p >= '0' && *p <= '9'; digits++, p++)
				if (digits < 6)
					us = us * 10 + (*p - '0');
			if (digits == 0)
				goto bad;
			for (; digits < 6; digits++)
				us *= 10;
		}
	}
	if (*p != '\0' && timerange_parse_tz(p, &zone) == -1)
		goto bad;
	out->from_us = days * US_PER_DAY + h * US_PER_HOUR + mi * US_PER_MIN +
	    sec * US_PER_S + us - (int64_t)zone * US_PER_MIN;
	out->to_us = out->from_us;
	return 0;
bad:
	tr_err(err, errlen, "\"%s\" is not a time: use ISO 8601 "
	    "(2025-03-01, 2025-03-01T09:30:00Z), a keyword (today, "
	    "yesterday, this-week, last-week, this-month, last-month, ...) "
	    "or a relative time (-30m, -24h, -7d)", s);
	return -1;
}

int
timerange_parse_token(const char *s, int64_t now_us, int tz_min,
    struct timerange *out, char *err, size_t errlen)
{
	const char	*p;
	int64_t		 t, secs = 0;

	if (s == NULL || *s == '\0' || strlen(s) > TR_TOKEN_MAX) {
		tr_err(err, errlen, "empty or overlong time");
		return -1;
	}
	if (tz_min < -TIMERANGE_TZ_MAX_MIN || tz_min > TIMERANGE_TZ_MAX_MIN) {
		tr_err(err, errlen, "time zone offset out of range");
		return -1;
	}
	if (tr_keyword(s, now_us, tz_min, out) == 0)
		return 0;
	if (s[0] == '-') {
		if (tr_relative(s, now_us, &t) == -1) {
			tr_err(err, errlen, "\"%s\" is not a relative time: "
			    "use -N followed by s, m, h, d or w (-30m, -24h, "
			    "-7d)", s);
			return -1;
		}
		out->from_us = out->to_us = t;
		return 0;
	}
	if (s[0] == '@') {	/* unix seconds, as date(1) accepts */
		for (p = s + 1; *p >= '0' && *p <= '9' && secs < INT64_C(
		    100000000000); p++)
			secs = secs * 10 + (*p - '0');
		if (p == s + 1 || *p != '\0') {
			tr_err(err, errlen, "\"%s\": use @ followed by unix "
			    "seconds", s);
			return -1;
		}
		out->from_us = out->to_us = secs * US_PER_S;
		return 0;
	}
	return tr_iso(s, tz_min, out, err, errlen);
}

int
timerange_parse_from(const char *s, int64_t now_us, int tz_min,
    int64_t *from_us, char *err, size_t errlen)
{
	struct timerange r;

	if (timerange_parse_token(s, now_us, tz_min, &r, err, errlen) == -1)
		return -1;
	*from_us = r.from_us;
	return 0;
}

int
timerange_parse_to(const char *s, int64_t now_us, int tz_min,
    int64_t *to_us, char *err, size_t errlen)
{
	struct timerange r;

	if (timerange_parse_token(s, now_us, tz_min, &r, err, errlen) == -1)
		return -1;
	*to_us = r.to_us;
	return 0;
}

int
timerange_parse_range(const char *s, int64_t now_us, int tz_min,
    struct timerange *out, char *err, size_t errlen)
{
	char		 a[TR_TOKEN_MAX + 1], b[TR_TOKEN_MAX + 1];
	const char	*sep;
	size_t		 alen, seplen;
	struct timerange r;

	if (s == NULL || *s == '\0' || strlen(s) > TR_TOKEN_MAX) {
		tr_err(err, errlen, "empty or overlong time range");
		return -1;
	}
	if ((sep = strstr(s, "..")) != NULL)
		seplen = 2;
	else if ((sep = strchr(s, '/')) != NULL)
		seplen = 1;
	if (sep != NULL) {
		alen = (size_t)(sep - s);
		memcpy(a, s, alen);
		a[alen] = '\0';
		snprintf(b, sizeof(b), "%s", sep + seplen);
		out->from_us = TIMERANGE_UNBOUNDED_FROM;
		out->to_us = TIMERANGE_UNBOUNDED_TO;
		if (a[0] != '\0' && timerange_parse_from(a, now_us, tz_min,
		    &out->from_us, err, errlen) == -1)
			return -1;
		if (b[0] != '\0' && timerange_parse_to(b, now_us, tz_min,
		    &out->to_us, err, errlen) == -1)
			return -1;
	} else {
		if (timerange_parse_token(s, now_us, tz_min, &r, err,
		    errlen) == -1)
			return -1;
		if (s[0] == '-') {	/* "-24h": from then until now */
			r.to_us = now_us;
		} else if (r.from_us == r.to_us) {
			tr_err(err, errlen, "\"%s\" is an instant, not a "
			    "range: use --from, or A..B", s);
			return -1;
		}
		*out = r;
	}
	if (out->from_us >= out->to_us) {
		tr_err(err, errlen, "time range \"%s\" is empty (its start "
		    "is not before its end)", s);
		return -1;
	}
	return 0;
}

char *
timerange_format(int64_t us, int tz_min, char *buf, size_t len)
{
	int64_t	 local, days, rem, y;
	int	 m, d, h, mi, sec, frac;
	char	 zone[8];

	if (len == 0)
		return buf;
	if (us == TIMERANGE_UNBOUNDED_FROM) {
		snprintf(buf, len, "-inf");
		return buf;
	}
	if (us == TIMERANGE_UNBOUNDED_TO) {
		snprintf(buf, len, "+inf");
		return buf;
	}
	local = us + (int64_t)tz_min * US_PER_MIN;
	days = tr_floordiv(local, US_PER_DAY);
	rem = local - days * US_PER_DAY;
	tr_civil_from_days(days, &y, &m, &d);
	h = (int)(rem / US_PER_HOUR);
	mi = (int)(rem / US_PER_MIN % 60);
	sec = (int)(rem / US_PER_S % 60);
	frac = (int)(rem % US_PER_S);
	timerange_format_tz(tz_min, zone, sizeof(zone));
	if (frac != 0)
		snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d.%06d%s",
		    (long long)y, m, d, h, mi, sec, frac, zone);
	else
		snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d%s",
		    (long long)y, m, d, h, mi, sec, zone);
	return buf;
}

char *
timerange_format_tz(int tz_min, char *buf, size_t len)
{
	int	 a = tz_min < 0 ? -tz_min : tz_min;

	if (tz_min == 0)
		snprintf(buf, len, "Z");
	else
		snprintf(buf, len, "%c%02d:%02d", tz_min < 0 ? '-' : '+',
		    a / 60 % 100, a % 60);
	return buf;
}
