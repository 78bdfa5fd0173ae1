/*
 * schema_format.c -- the "format" checks the validator asserts (draft
 * 2020-12 §7.3): RFC 3339 date, time, date-time and duration (appendix A),
 * RFC 5321 email (dot-atom or quoted local part; host name or address
 * literal), RFC 1123 host names (ASCII; A-labels are not decoded), IPv4
 * dotted quads without leading zeros, RFC 4291 IPv6 text (no zone), RFC
 * 3986 URI and URI-reference, RFC 4122 UUID text, RFC 6901 JSON Pointer,
 * relative JSON Pointer, and ECMA-262 regex (as schema_regex.c accepts
 * them).  Every check works on a byte range, so an embedded NUL fails.
 */
#include <string.h>

#include "schema_int.h"

struct fmt_name {
	const char	*name;
	enum schema_fmt	 fmt;
	const char	*hint;
};

static const struct fmt_name fmt_names[] = {
	{ "date", SCHEMA_FMT_DATE,
	    "an RFC 3339 date such as \"2025-01-31\"" },
	{ "date-time", SCHEMA_FMT_DATE_TIME,
	    "an RFC 3339 date-time such as \"2025-01-31T12:00:00Z\"" },
	{ "time", SCHEMA_FMT_TIME,
	    "an RFC 3339 time with offset such as \"12:00:00Z\"" },
	{ "duration", SCHEMA_FMT_DURATION,
	    "an ISO 8601 duration such as \"P1DT2H\"" },
	{ "email", SCHEMA_FMT_EMAIL,
	    "an email address such as \"name@example.com\"" },
	{ "hostname", SCHEMA_FMT_HOSTNAME,
	    "a host name such as \"www.example.com\"" },
	{ "ipv4", SCHEMA_FMT_IPV4,
	    "an IPv4 address such as \"192.0.2.1\"" },
	{ "ipv6", SCHEMA_FMT_IPV6,
	    "an IPv6 address such as \"2001:db8::1\"" },
	{ "uri", SCHEMA_FMT_URI,
	    "an absolute URI such as \"https://example.com/x\"" },
	{ "uri-reference", SCHEMA_FMT_URI_REFERENCE,
	    "a URI reference such as \"/x?y=1\"" },
	{ "uuid", SCHEMA_FMT_UUID,
	    "a UUID such as \"123e4567-e89b-12d3-a456-426614174000\"" },
	{ "json-pointer", SCHEMA_FMT_JSON_POINTER,
	    "a JSON Pointer such as \"/a/0\"" },
	{ "relative-json-pointer", SCHEMA_FMT_REL_JSON_POINTER,
	    "a relative JSON Pointer such as \"1/a\"" },
	{ "regex", SCHEMA_FMT_REGEX,
	    "a regular expression" },
	{ NULL, SCHEMA_FMT_NONE, NULL }
};

enum schema_fmt
schema_format_lookup(const char *name)
{
	const struct fmt_name	*f;

	for (f = fmt_names; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f->fmt;
	return SCHEMA_FMT_NONE;
}

const char *
schema_format_hint(enum schema_fmt fmt)
{
	const struct fmt_name	*f;

	for (f = fmt_names; f->name != NULL; f++)
		if (f->fmt == fmt)
			return f->hint;
	return "the declared format";
}

static int
fmt_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
fmt_hexdig(char c)
{
	return fmt_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
fmt_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads exactly n digits at s as a number; -1 if they are not digits. */
static int
fmt_num(const char *s, size_t n)
{
	int	 v = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (!fmt_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* RFC 3339 full-date: exactly "YYYY-MM-DD" at s. */
static int
fmt_date(const char *s, size_t len)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 y, m, d, max;

	if (len != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if ((y = fmt_num(s, 4)) < 0 || (m = fmt_num(s + 5, 2)) < 0 ||
	    (d = fmt_num(s + 8, 2)) < 0)
		return 0;
	if (m < 1 || m > 12 || d < 1)
		return 0;
	max = mdays[m - 1];
	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		max = 29;
	return d <= max;
}

/* RFC 3339 full-time: partial-time time-offset, leap seconds in UTC. */
static int
fmt_time(const char *s, size_t len)
{
	int	 h, m, sec, oh = 0, om = 0, sign = 0, utc;
	size_t	 i;

	if (len < 9 || s[2] != ':' || s[5] != ':')
		return 0;
	if ((h = fmt_num(s, 2)) < 0 || (m = fmt_num(s + 3, 2)) < 0 ||
	    (sec = fmt_num(s + 6, 2)) < 0)
		return 0;
	if (h > 23 || m > 59 || sec > 60)
		return 0;
	i = 8;
	if (i < len && s[i] == '.') {
		i++;
		if (i >= len || !fmt_digit(s[i]))
			return 0;
		while (i < len && fmt_digit(s[i]))
			i++;
	}
	if (i >= len)
		return 0;
	if (s[i] == 'Z' || s[i] == 'z') {
		if (i + 1 != len)
			return 0;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (len - i != 6 || s[i + 3] != ':')
			return 0;
		if ((oh = fmt_num(s + i + 1, 2)) < 0 ||
		    (om = fmt_num(s + i + 4, 2)) < 0 || oh > 23 || om > 59)
			return 0;
	} else
		return 0;
	if (sec == 60) {
		/* A leap second is 23:59:60 in UTC. */
		utc = h * 60 + m - sign * (oh * 60 + om);
		utc = ((utc % 1440) + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int
fmt_date_time(const char *s, size_t len)
{
	if (len < 11 || (s[10] != 'T' && s[10] != 't'))
		return 0;
	return fmt_date(s, 10) && fmt_time(s + 11, len - 11);
}

/* Reads 1*DIGIT followed by one of units; returns the unit or 0. */
static char
fmt_dur_part(const char *s, size_t len, size_t *i)
{
	size_t	 st = *i;

	while (*i < len && fmt_digit(s[*i]))
		(*i)++;
	if (*i == st || *i >= len)
		return 0;
	return s[(*i)++];
}

/* RFC 3339 appendix A duration: P (date [time] | time | week). */
static int
fmt_duration(const char *s, size_t len)
{
	static const char dorder[] = "YMD", torder[] = "HMS";
	const char	*order;
	size_t		 i = 1, pos, last;
	char		 u;
	int		 n, intime = 0;

	if (len < 3 || s[0] != 'P')
		return 0;
	if (s[len - 1] == 'W') {
		i = 1;
		return fmt_dur_part(s, len, &i) == 'W' && i == len;
	}
	order = dorder;
	last = 0;
	n = 0;
	while (i < len) {
		if (s[i] == 'T') {
			if (intime)
				return 0;
			intime = 1;
			order = torder;
			last = 0;
			n = 0;
			i++;
			if (i == len)
				return 0;
			continue;
		}
		u = fmt_dur_part(s, len, &i);
		if (u == 0 || strchr(order, u) == NULL)
			return 0;
		pos = (size_t)(strchr(order, u) - order) + 1;
		/* In order, with no unit skipped between two present. */
		if (pos <= last || (n > 0 && pos != last + 1))
			return 0;
		last = pos;
		n++;
	}
	return 1;
}

static int
fmt_ipv4(const char *s, size_t len)
{
	size_t	 i = 0, st;
	int	 parts = 0, v;

	for (;;) {
		st = i;
		v = 0;
		while (i < len && fmt_digit(s[i]) && i - st < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == st || v > 255 || (s[st] == '0' && i - st > 1))
			return 0;
		parts++;
		if (i == len)
			break;
		if (s[i] != '.' || parts == 4)
			return 0;
		i++;
	}
	return parts == 4;
}

/* RFC 4291 §2.2 text form, with an optional trailing dotted quad. */
static int
fmt_ipv6(const char *s, size_t len)
{
	size_t	 i = 0, st, k;
	int	 groups = 0, dcolon = 0;

	if (len < 2)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		dcolon = 1;
		i = 2;
		if (i == len)
			return 1;
	}
	for (;;) {
		st = i;
		while (i < len && fmt_hexdig(s[i]) && i - st < 5)
			i++;
		if (i < len && s[i] == '.') {
			/* Embedded IPv4 takes two groups, and ends it. */
			for (k = st; k < len; k++)
				if (!fmt_digit(s[k]) && s[k] != '.')
					return 0;
			if (!fmt_ipv4(s + st, len - st))
				return 0;
			groups += 2;
			break;
		}
		if (i == st || i - st > 4)
			return 0;
		groups++;
		if (i == len)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < len && s[i] == ':') {
			if (dcolon)
				return 0;
			dcolon = 1;
			i++;
			if (i == len)
				break;
		} else if (i == len)
			return 0;
	}
	return dcolon ? groups <= 7 : groups == 8;
}

static int
fmt_hostname(const char *s, size_t len)
{
	size_t	 i, st;

	if (len == 0 || len > 253)
		return 0;
	i = 0;
	for (;;) {
		st = i;
		while (i < len && (fmt_alpha(s[i]) || fmt_digit(s[i]) ||
		    s[i] == '-'))
			i++;
		if (i == st || i - st > 63 || s[st] == '-' || s[i - 1] == '-')
			return 0;
		if (i == len)
			return 1;
		if (s[i] != '.')
			return 0;
		i++;
	}
}

static int
fmt_atext(char c)
{
	return fmt_alpha(c) || fmt_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 5321 §4.1.2 Mailbox, ASCII only. */
static int
fmt_email(const char *s, size_t len)
{
	size_t	 i = 0, at;

	if (len == 0)
		return 0;
	if (s[0] == '"') {
		for (i = 1; i < len && s[i] != '"'; i++) {
			if (s[i] == '\\') {
				i++;
				if (i >= len || s[i] < 32 || s[i] > 126)
					return 0;
			} else if (s[i] < 32 || s[i] > 126)
				return 0;
		}
		if (i >= len)
			return 0;
		i++;
	} else {
		for (;;) {
			size_t	 st = i;

			while (i < len && fmt_atext(s[i]))
				i++;
			if (i == st)
				return 0;
			if (i < len && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i >= len || s[i] != '@' || i > 64)
		return 0;
	at = i + 1;
	if (at >= len)
		return 0;
	if (s[at] == '[') {
		if (s[len - 1] != ']')
			return 0;
		if (len - at > 7 && strncmp(s + at + 1, "IPv6:", 5) == 0)
			return fmt_ipv6(s + at + 6, len - at - 7);
		return fmt_ipv4(s + at + 1, len - at - 2);
	}
	return fmt_hostname(s + at, len - at);
}

static int
fmt_uuid(const char *s, size_t len)
{
	size_t	 i;

	if (len != 36)
		return 0;
	for (i = 0; i < len; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!fmt_hexdig(s[i]))
			return 0;
	}
	return 1;
}

static int
fmt_unreserved(char c)
{
	return fmt_alpha(c) || fmt_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

static int
fmt_subdelim(char c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/*
 * Skips characters at s[*i] allowed by RFC 3986: unreserved, sub-delims,
 * percent-encodings and those in extra.  Returns -1 on a bad "%".
 */
static int
fmt_uri_chars(const char *s, size_t len, size_t *i, const char *extra)
{
	while (*i < len) {
		char c = s[*i];

		if (c == '%') {
			if (*i + 2 >= len || !fmt_hexdig(s[*i + 1]) ||
			    !fmt_hexdig(s[*i + 2]))
				return -1;
			*i += 3;
		} else if (fmt_unreserved(c) || fmt_subdelim(c) ||
		    (c != '\0' && strchr(extra, c) != NULL))
			(*i)++;
		else
			break;
	}
	return 0;
}

/* authority = [ userinfo "@" ] host [ ":" port ], s[0..len). */
static int
fmt_authority(const char *s, size_t len)
{
	const char	*at;
	size_t		 i = 0, hend;

	at = memchr(s, '@', len);
	if (at != NULL) {
		if (fmt_uri_chars(s, (size_t)(at - s), &i, ":") == -1 ||
		    i != (size_t)(at - s))
			return 0;
		i++;
	}
	if (i < len && s[i] == '[') {
		const char *rb = memchr(s + i, ']', len - i);

		if (rb == NULL)
			return 0;
		hend = (size_t)(rb - s);
		if (i + 1 < hend && (s[i + 1] == 'v' || s[i + 1] == 'V')) {
			/* IPvFuture: "v" 1*HEXDIG "." 1*(...) */
			size_t j = i + 2;

			while (j < hend && fmt_hexdig(s[j]))
				j++;
			if (j == i + 2 || j >= hend || s[j] != '.')
				return 0;
			j++;
			if (fmt_uri_chars(s, hend, &j, ":") == -1 ||
			    j != hend)
				return 0;
		} else if (!fmt_ipv6(s + i + 1, hend - i - 1))
			return 0;
		i = hend + 1;
	} else if (fmt_uri_chars(s, len, &i, "") == -1)
		return 0;
	if (i < len && s[i] == ':') {
		i++;
		while (i < len && fmt_digit(s[i]))
			i++;
	}
	return i == len;
}

/*
 * RFC 3986 §4.1: URI (scheme required) or URI-reference.  We check the
 * character repertoire of each component and the authority's shape.
 */
static int
fmt_uri(const char *s, size_t len, int absolute)
{
	size_t	 i = 0, st, e;
	int	 scheme = 0;

	if (len > 0 && fmt_alpha(s[0])) {
		while (i < len && (fmt_alpha(s[i]) || fmt_digit(s[i]) ||
		    s[i] == '+' || s[i] == '-' || s[i] == '.'))
			i++;
		if (i < len && s[i] == ':')
			scheme = 1;
	}
	if (!scheme) {
		if (absolute)
			return 0;
		i = 0;
	} else
		i++;
	if (i + 1 < len && s[i] == '/' && s[i + 1] == '/') {
		i += 2;
		st = i;
		while (i < len && s[i] != '/' && s[i] != '?' && s[i] != '#')
			i++;
		if (!fmt_authority(s + st, i - st))
			return 0;
	} else if (!scheme) {
		/* path-noscheme: no ":" in the first segment. */
		e = i;
		while (e < len && s[e] != '/' && s[e] != '?' && s[e] != '#') {
			if (s[e] == ':')
				return 0;
			e++;
		}
	}
	if (fmt_uri_chars(s, len, &i, ":@/") == -1)
		return 0;
	if (i < len && s[i] == '?') {
		i++;
		if (fmt_uri_chars(s, len, &i, ":@/?") == -1)
			return 0;
	}
	if (i < len && s[i] == '#') {
		i++;
		if (fmt_uri_chars(s, len, &i, ":@/?") == -1)
			return 0;
	}
	return i == len;
}

static int
fmt_json_pointer(const char *s, size_t len)
{
	size_t	 i;

	if (len > 0 && s[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '~' && (i + 1 >= len ||
		    (s[i + 1] != '0' && s[i + 1] != '1')))
			return 0;
	return 1;
}

static int
fmt_rel_json_pointer(const char *s, size_t len)
{
	size_t	 i = 0;

	while (i < len && fmt_digit(s[i]))
		i++;
	if (i == 0 || (s[0] == '0' && i > 1))
		return 0;
	if (i < len && s[i] == '#')
		return i + 1 == len;
	return fmt_json_pointer(s + i, len - i);
}

static int
fmt_regex(const char *s, size_t len)
{
	struct schema_regex	 r;
	int			 ok;

	if (memchr(s, '\0', len) != NULL)
		return 0;
	ok = schema_regex_compile(&r, s, len, NULL, 0) == 0;
	schema_regex_free(&r);
	return ok;
}

int
schema_format_check(enum schema_fmt f, const char *s, size_t len)
{
	switch (f) {
	case SCHEMA_FMT_DATE:
		return fmt_date(s, len);
	case SCHEMA_FMT_DATE_TIME:
		return fmt_date_time(s, len);
	case SCHEMA_FMT_TIME:
		return fmt_time(s, len);
	case SCHEMA_FMT_DURATION:
		return fmt_duration(s, len);
	case SCHEMA_FMT_EMAIL:
		return fmt_email(s, len);
	case SCHEMA_FMT_HOSTNAME:
		return fmt_hostname(s, len);
	case SCHEMA_FMT_IPV4:
		return fmt_ipv4(s, len);
	case SCHEMA_FMT_IPV6:
		return fmt_ipv6(s, len);
	case SCHEMA_FMT_URI:
		return fmt_uri(s, len, 1);
	case SCHEMA_FMT_URI_REFERENCE:
		return fmt_uri(s, len, 0);
	case SCHEMA_FMT_UUID:
		return fmt_uuid(s, len);
	case SCHEMA_FMT_JSON_POINTER:
		return fmt_json_pointer(s, len);
	case SCHEMA_FMT_REL_JSON_POINTER:
		return fmt_rel_json_pointer(s, len);
	case SCHEMA_FMT_REGEX:
		return fmt_regex(s, len);
	default:
		return 1;
	}
}
