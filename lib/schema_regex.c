/*
 * schema_regex.c -- JSON Schema patterns are ECMA-262 regular expressions
 * (draft 2020-12 §6.4); we translate them to POSIX extended expressions
 * and compile those with regcomp(3) under a C.UTF-8 locale, so "." and
 * bracket expressions match code points, not bytes.
 *
 * Translated: \d \D \w \W \s \S (ASCII classes as ECMA defines them, \s
 * with the Unicode spaces), "." (anything but a line terminator), \t \n
 * \v \f \r \cX \xHH \uHHHH \u{H...} (surrogate pairs joined), escaped
 * punctuation, (?:...) and (?<name>...) groups, \1..\9 and \k<name>
 * back-references (renumbered), lazy quantifiers (a search for "is there
 * a match" does not depend on laziness), a "{" that is no quantifier.
 * \p{L} \p{Lu} \p{Ll} (and \P) map to POSIX [:alpha:] [:upper:] [:lower:].
 * Refused at compile time: lookahead and lookbehind, \0, other \p{...},
 * \D \W \S \P inside a class.  \b and \B are passed to glibc,
 * whose word characters are locale letters rather than ECMA's [A-Za-z0-9_].
 * This file knows nothing of schemas beyond that.
 */
#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* Group bookkeeping limits: ECMA groups tracked, named groups kept. */
#define RX_GROUPS	64
#define RX_NAMES	16
#define RX_NAMELEN	32
#define RX_DEPTH	32	/* group nesting */

/* ECMA-262 WhiteSpace and LineTerminator that glibc's iswspace lacks. */
#define RX_SPACE_EXTRA	"\xc2\xa0\xe2\x80\x87\xe2\x80\xaf\xef\xbb\xbf"

struct rx {
	const char	*s;
	size_t		 i, n;
	char		*out;
	size_t		 olen, ocap;
	int		 oom;
	int		 utf8;
	int		 necma, nposix;
	unsigned long	 repeat;	/* product of counted repetitions */
	int		 map[RX_GROUPS + 1];
	char		 names[RX_NAMES][RX_NAMELEN];
	int		 namegrp[RX_NAMES];
	int		 nnames;
	char		*err;
	size_t		 errlen;
};

/* What an escape sequence stands for. */
enum rx_esc {
	RX_ESC_CHAR,		/* one code point, in cp */
	RX_ESC_CLASS,		/* one of dDwWsS, in cp */
	RX_ESC_BACKREF,		/* POSIX group number, in cp */
	RX_ESC_RAW		/* pass "\\" cp through (\b, \B) */
};

static int	 rx_property(struct rx *, unsigned char, enum rx_esc *,
		    unsigned long *);

static locale_t	 rx_loc;
static pthread_once_t rx_loc_once = PTHREAD_ONCE_INIT;

static int
rx_fail(struct rx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
rx_fail(struct rx *x, const char *fmt, ...)
{
	va_list	 ap;

	if (x->err != NULL && x->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(x->err, x->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void
rx_putn(struct rx *x, const char *p, size_t len)
{
	char	*np;
	size_t	 ncap;

	if (x->oom)
		return;
	if (x->olen + len + 1 > x->ocap) {
		ncap = x->ocap ? x->ocap : 64;
		while (ncap < x->olen + len + 1)
			ncap *= 2;
		if ((np = realloc(x->out, ncap)) == NULL) {
			x->oom = 1;
			return;
		}
		x->out = np;
		x->ocap = ncap;
	}
	memcpy(x->out + x->olen, p, len);
	x->olen += len;
	x->out[x->olen] = '\0';
}

static void
rx_puts(struct rx *x, const char *p)
{
	rx_putn(x, p, strlen(p));
}

static void
rx_putc(struct rx *x, char c)
{
	rx_putn(x, &c, 1);
}

/* Encodes cp as UTF-8 into b (4 bytes at least); returns the length. */
static size_t
rx_utf8(unsigned long cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
rx_hex(struct rx *x, size_t ndig, unsigned long *v)
{
	size_t	 k;
	int	 c;

	*v = 0;
	for (k = 0; k < ndig; k++) {
		if (x->i >= x->n || !isxdigit((unsigned char)x->s[x->i]))
			return rx_fail(x, "bad hexadecimal escape");
		c = (unsigned char)x->s[x->i++];
		*v = *v * 16 + (unsigned long)(isdigit(c) ? c - '0' :
		    tolower(c) - 'a' + 10);
	}
	return 0;
}

/* Reads \u.... after the "u"; joins surrogate pairs. */
static int
rx_uescape(struct rx *x, unsigned long *cp)
{
	unsigned long	 lo;

	if (x->i < x->n && x->s[x->i] == '{') {
		x->i++;
		*cp = 0;
		while (x->i < x->n && x->s[x->i] != '}') {
			unsigned long	 d;

			if (rx_hex(x, 1, &d) == -1)
				return -1;
			*cp = *cp * 16 + d;
			if (*cp > 0x10ffff)
				return rx_fail(x, "code point out of range");
		}
		if (x->i >= x->n)
			return rx_fail(x, "unterminated \\u{");
		x->i++;
		return 0;
	}
	if (rx_hex(x, 4, cp) == -1)
		return -1;
	if (*cp >= 0xd800 && *cp <= 0xdbff) {
		if (x->i + 6 > x->n || x->s[x->i] != '\\' ||
		    x->s[x->i + 1] != 'u')
			return rx_fail(x, "lone surrogate in \\u escape");
		x->i += 2;
		if (rx_hex(x, 4, &lo) == -1)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return rx_fail(x, "lone surrogate in \\u escape");
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (*cp >= 0xdc00 && *cp <= 0xdfff)
		return rx_fail(x, "lone surrogate in \\u escape");
	return 0;
}

/* Parses the escape after a backslash (x->i is past the backslash). */
static int
rx_escape(struct rx *x, int inclass, enum rx_esc *kind, unsigned long *cp)
{
	unsigned char	 c;
	size_t		 k, st;
	int		 num;

	if (x->i >= x->n)
		return rx_fail(x, "pattern ends in a backslash");
	c = (unsigned char)x->s[x->i++];
	*kind = RX_ESC_CHAR;
	switch (c) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		*kind = RX_ESC_CLASS;
		*cp = c;
		return 0;
	case 't':
		*cp = '\t';
		return 0;
	case 'n':
		*cp = '\n';
		return 0;
	case 'v':
		*cp = '\v';
		return 0;
	case 'f':
		*cp = '\f';
		return 0;
	case 'r':
		*cp = '\r';
		return 0;
	case 'c':
		if (x->i >= x->n || !isalpha((unsigned char)x->s[x->i]))
			return rx_fail(x, "bad \\c escape");
		*cp = (unsigned long)(x->s[x->i++] % 32);
		return 0;
	case 'x':
		return rx_hex(x, 2, cp);
	case 'u':
		return rx_uescape(x, cp);
	case 'b':
		if (inclass) {
			*cp = '\b';
			return 0;
		}
		/* FALLTHROUGH */
	case 'B':
		if (inclass)
			return rx_fail(x, "\\B in a character class");
		*kind = RX_ESC_RAW;
		*cp = c;
		return 0;
	case '0':
		return rx_fail(x, "\\0 (NUL) is not supported");
	case 'p': case 'P':
		return rx_property(x, c, kind, cp);
	case 'k':
		if (inclass || x->i >= x->n || x->s[x->i] != '<')
			return rx_fail(x, "bad \\k escape");
		st = ++x->i;
		while (x->i < x->n && x->s[x->i] != '>')
			x->i++;
		if (x->i >= x->n)
			return rx_fail(x, "unterminated \\k<name>");
		for (k = 0; k < (size_t)x->nnames; k++)
			if (strlen(x->names[k]) == x->i - st &&
			    memcmp(x->names[k], x->s + st, x->i - st) == 0)
				break;
		x->i++;
		if (k == (size_t)x->nnames)
			return rx_fail(x, "\\k names no earlier group");
		*kind = RX_ESC_BACKREF;
		*cp = (unsigned long)x->namegrp[k];
		return 0;
	default:
		break;
	}
	if (c >= '1' && c <= '9') {
		if (inclass)
			return rx_fail(x, "back-reference in a class");
		num = c - '0';
		while (x->i < x->n && isdigit((unsigned char)x->s[x->i]) &&
		    num < 1000)
			num = num * 10 + (x->s[x->i++] - '0');
		if (num > RX_GROUPS || num > x->necma)
			return rx_fail(x, "back-reference to group %d, which "
			    "is not defined before it", num);
		*kind = RX_ESC_BACKREF;
		*cp = (unsigned long)x->map[num];
		return 0;
	}
	if (isalnum(c))
		return rx_fail(x, "unknown escape \\%c", c);
	/* Identity escape; a UTF-8 lead byte is copied as a character. */
	if (c >= 0x80) {
		x->i--;
		*cp = 0;
		return rx_fail(x, "escaped non-ASCII character");
	}
	*cp = c;
	return 0;
}

/*
 * \p{...}: the general categories a POSIX class can stand for in a
 * UTF-8 locale.  *cp becomes an index into rx_props, or'ed with
 * RX_PROP_NEG for \P.
 */
#define RX_PROP		0x100
#define RX_PROP_NEG	0x200

static const struct {
	const char	*name;
	const char	*posix;
} rx_props[] = {
	{ "L", "[:alpha:]" }, { "Letter", "[:alpha:]" },
	{ "Lu", "[:upper:]" }, { "Uppercase_Letter", "[:upper:]" },
	{ "Ll", "[:lower:]" }, { "Lowercase_Letter", "[:lower:]" },
	{ NULL, NULL }
};

static int
rx_property(struct rx *x, unsigned char c, enum rx_esc *kind,
    unsigned long *cp)
{
	size_t	 st, k;

	if (!x->utf8 || x->i >= x->n || x->s[x->i] != '{')
		return rx_fail(x, "Unicode property escapes need a UTF-8 "
		    "locale and braces");
	st = ++x->i;
	while (x->i < x->n && x->s[x->i] != '}')
		x->i++;
	if (x->i >= x->n)
		return rx_fail(x, "unterminated \\%c{", c);
	for (k = 0; rx_props[k].name != NULL; k++)
		if (strlen(rx_props[k].name) == x->i - st &&
		    memcmp(rx_props[k].name, x->s + st, x->i - st) == 0)
			break;
	if (rx_props[k].name == NULL)
		return rx_fail(x, "Unicode property \\%c{%.*s} is not "
		    "supported (only L, Lu, Ll)", c, (int)(x->i - st),
		    x->s + st);
	x->i++;
	*kind = RX_ESC_CLASS;
	*cp = RX_PROP | k | (c == 'P' ? RX_PROP_NEG : 0);
	return 0;
}

static void
rx_space(struct rx *x)
{
	rx_puts(x, "[:space:]");
	if (x->utf8)
		rx_puts(x, RX_SPACE_EXTRA);
}

/* Emits the class escape c (dDwWsS) outside brackets. */
static void
rx_class_out(struct rx *x, unsigned long c)
{
	rx_putc(x, '[');
	if (c == 'D' || c == 'W' || c == 'S' || (c & RX_PROP_NEG))
		rx_putc(x, '^');
	if (c & RX_PROP) {
		rx_puts(x, rx_props[c & 0xff].posix);
		rx_putc(x, ']');
		return;
	}
	switch (c) {
	case 'd': case 'D':
		rx_puts(x, "0-9");
		break;
	case 'w': case 'W':
		rx_puts(x, "A-Za-z0-9_");
		break;
	default:
		rx_space(x);
		break;
	}
	rx_putc(x, ']');
}

/* Emits a literal code point outside brackets. */
static void
rx_lit_out(struct rx *x, unsigned long cp)
{
	char	 b[4];

	if (cp < 0x80 && strchr(".[]()*+?{}|^$\\", (int)cp) != NULL &&
	    cp != 0)
		rx_putc(x, '\\');
	rx_putn(x, b, rx_utf8(cp, b));
}

/*
 * One ECMA class item: a literal (RX_ESC_CHAR, raw UTF-8 bytes in lit)
 * or a class escape.
 */
static int
rx_class_atom(struct rx *x, enum rx_esc *kind, unsigned long *cp,
    char *lit, size_t *litlen)
{
	unsigned char	 c = (unsigned char)x->s[x->i];
	size_t		 k;

	if (c == '\\') {
		x->i++;
		if (rx_escape(x, 1, kind, cp) == -1)
			return -1;
		if (*kind == RX_ESC_CHAR)
			*litlen = rx_utf8(*cp, lit);
		return 0;
	}
	*kind = RX_ESC_CHAR;
	*cp = c;
	/* Copy one UTF-8 sequence as is. */
	k = 1;
	if (c >= 0xc0)
		while (x->i + k < x->n && k < 4 &&
		    ((unsigned char)x->s[x->i + k] & 0xc0) == 0x80)
			k++;
	memcpy(lit, x->s + x->i, k);
	*litlen = k;
	if (k > 1) {
		/* Decode for range ordering. */
		*cp = c & (0xff >> (k + 1));
		for (size_t j = 1; j < k; j++)
			*cp = (*cp << 6) | ((unsigned char)x->s[x->i + j] &
			    0x3f);
	}
	x->i += k;
	return 0;
}

/* A character class, x->i just past '['. */
static int
rx_class(struct rx *x)
{
	struct rx	 body;
	enum rx_esc	 kind, kind2;
	unsigned long	 cp, cp2;
	char		 lit[4], lit2[4];
	size_t		 litlen, litlen2;
	int		 neg = 0, rb = 0, hy = 0, lb = 0, ca = 0, rc = -1;

	memset(&body, 0, sizeof(body));
	body.utf8 = x->utf8;
	if (x->i < x->n && x->s[x->i] == '^') {
		neg = 1;
		x->i++;
	}
	if (x->i < x->n && x->s[x->i] == ']') {
		/*
		 * ECMA "[^]" is any character (POSIX "." without
		 * REG_NEWLINE); "[]" matches nothing, as glibc's "\\b\\B".
		 */
		x->i++;
		rx_puts(x, neg ? "." : "\\b\\B");
		return 0;
	}
	for (;;) {
		if (x->i >= x->n) {
			rx_fail(x, "unterminated character class");
			goto out;
		}
		if (x->s[x->i] == ']') {
			x->i++;
			break;
		}
		if (rx_class_atom(x, &kind, &cp, lit, &litlen) == -1)
			goto out;
		if (kind == RX_ESC_CLASS) {
			if (cp == 'd')
				rx_puts(&body, "0-9");
			else if (cp == 'w')
				rx_puts(&body, "A-Za-z0-9_");
			else if (cp == 's')
				rx_space(&body);
			else if ((cp & RX_PROP) && !(cp & RX_PROP_NEG))
				rx_puts(&body, rx_props[cp & 0xff].posix);
			else {
				rx_fail(x, "\\%c inside a character class is "
				    "not supported", (cp & RX_PROP) ? 'P' :
				    (int)cp);
				goto out;
			}
			continue;
		}
		if (x->i + 1 < x->n && x->s[x->i] == '-' &&
		    x->s[x->i + 1] != ']') {
			x->i++;
			if (rx_class_atom(x, &kind2, &cp2, lit2,
			    &litlen2) == -1)
				goto out;
			if (kind2 != RX_ESC_CHAR) {
				rx_fail(x, "class escape as a range end");
				goto out;
			}
			if (cp2 < cp) {
				rx_fail(x, "range out of order in character "
				    "class");
				goto out;
			}
			if (strchr("]^-[", (int)cp) != NULL ||
			    strchr("]^-[", (int)cp2) != NULL) {
				rx_fail(x, "range ending in ] ^ - or [ is "
				    "not supported");
				goto out;
			}
			rx_putn(&body, lit, litlen);
			rx_putc(&body, '-');
			rx_putn(&body, lit2, litlen2);
			continue;
		}
		if (cp == ']')
			rb = 1;
		else if (cp == '-')
			hy = 1;
		else if (cp == '[')
			lb = 1;
		else if (cp == '^')
			ca = 1;
		else
			rx_putn(&body, lit, litlen);
	}
	if (body.oom) {
		x->oom = 1;
		goto out;
	}
	/*
	 * POSIX brackets: "]" must come first, "-" last, "^" not first;
	 * "[" goes late so it cannot start "[:", "[." or "[=".
	 */
	if (!rb && body.olen == 0 && !lb && ca) {
		if (neg)
			rx_puts(x, hy ? "[^-^]" : "[^^]");
		else
			rx_puts(x, hy ? "[-^]" : "\\^");
		rc = 0;
		goto out;
	}
	rx_putc(x, '[');
	if (neg)
		rx_putc(x, '^');
	if (rb)
		rx_putc(x, ']');
	if (body.olen)
		rx_putn(x, body.out, body.olen);
	if (lb)
		rx_putc(x, '[');
	if (ca)
		rx_putc(x, '^');
	if (hy)
		rx_putc(x, '-');
	rx_putc(x, ']');
	rc = 0;
out:
	free(body.out);
	return rc;
}

/*
 * Tries "{n}", "{n,}", "{n,m}" at x->i (on the '{'); 1 if it is one, 0
 * if the brace is a literal, -1 if the counts are beyond our bounds
 * (regcomp expands counted repetitions, so their product is bounded).
 */
static int
rx_brace(struct rx *x)
{
	size_t		 j = x->i + 1;
	unsigned long	 n = 0, m = 0, big;
	int		 digits = 0, mdigits = 0, comma = 0;

	while (j < x->n && isdigit((unsigned char)x->s[j])) {
		if (n <= SCHEMA_REGEX_REPEAT_MAX)
			n = n * 10 + (unsigned long)(x->s[j] - '0');
		j++;
		digits++;
	}
	if (digits == 0)
		return 0;
	if (j < x->n && x->s[j] == ',') {
		comma = 1;
		j++;
		while (j < x->n && isdigit((unsigned char)x->s[j])) {
			if (m <= SCHEMA_REGEX_REPEAT_MAX)
				m = m * 10 + (unsigned long)(x->s[j] - '0');
			j++;
			mdigits++;
		}
	}
	if (j >= x->n || x->s[j] != '}')
		return 0;
	big = comma && mdigits ? m : n;
	if (big > SCHEMA_REGEX_REPEAT_MAX)
		return rx_fail(x, "repetition count above %d",
		    SCHEMA_REGEX_REPEAT_MAX);
	if (comma && mdigits && m < n)
		return rx_fail(x, "repetition {%lu,%lu} out of order", n, m);
	x->repeat *= big ? big : 1;
	if (x->repeat > SCHEMA_REGEX_REPEAT_MAX)
		return rx_fail(x, "counted repetitions multiply beyond %d",
		    SCHEMA_REGEX_REPEAT_MAX);
	rx_putn(x, x->s + x->i, j - x->i + 1);
	x->i = j + 1;
	return 1;
}

static void
rx_lazy(struct rx *x)
{
	if (x->i < x->n && x->s[x->i] == '?')
		x->i++;
}

static int
rx_group(struct rx *x)
{
	size_t	 st;

	/* x->i is past '('. */
	if (x->i < x->n && x->s[x->i] == '?') {
		if (x->i + 1 < x->n && x->s[x->i + 1] == ':') {
			x->i += 2;
			x->nposix++;
			rx_putc(x, '(');
			return 0;
		}
		if (x->i + 2 < x->n && x->s[x->i + 1] == '<' &&
		    x->s[x->i + 2] != '=' && x->s[x->i + 2] != '!') {
			st = x->i + 2;
			x->i = st;
			while (x->i < x->n && x->s[x->i] != '>')
				x->i++;
			if (x->i >= x->n || x->i - st == 0 ||
			    x->i - st >= RX_NAMELEN)
				return rx_fail(x, "bad group name");
			if (x->nnames == RX_NAMES)
				return rx_fail(x, "too many named groups");
			memcpy(x->names[x->nnames], x->s + st, x->i - st);
			x->names[x->nnames][x->i - st] = '\0';
			x->namegrp[x->nnames++] = x->nposix + 1;
			x->i++;
			goto capture;
		}
		return rx_fail(x, "lookahead and lookbehind are not "
		    "supported");
	}
capture:
	x->necma++;
	x->nposix++;
	if (x->necma <= RX_GROUPS)
		x->map[x->necma] = x->nposix;
	rx_putc(x, '(');
	return 0;
}

/*
 * ECMA-262 §22.2.1: a quantifier needs an atom before it ("a**" and "*a"
 * are syntax errors).  Refusing them also keeps stacked quantifiers, on
 * which regcomp's closure computation is exponential, out of regcomp.
 */
static int
rx_quant_ok(struct rx *x, int canq)
{
	if (!canq)
		return rx_fail(x, "nothing to repeat before a quantifier");
	return 0;
}

static int
rx_translate(struct rx *x)
{
	enum rx_esc	 kind;
	unsigned long	 cp;
	unsigned char	 c;
	int		 r, canq = 0, depth = 0;

	while (x->i < x->n) {
		c = (unsigned char)x->s[x->i++];
		switch (c) {
		case '\\':
			if (rx_escape(x, 0, &kind, &cp) == -1)
				return -1;
			canq = 1;
			if (kind == RX_ESC_CLASS)
				rx_class_out(x, cp);
			else if (kind == RX_ESC_BACKREF) {
				if (cp > 9)
					return rx_fail(x, "back-reference "
					    "beyond group 9");
				rx_putc(x, '\\');
				rx_putc(x, (char)('0' + cp));
			} else if (kind == RX_ESC_RAW) {
				rx_putc(x, '\\');
				rx_putc(x, (char)cp);
				canq = 0;
			} else
				rx_lit_out(x, cp);
			break;
		case '.':
			rx_puts(x, x->utf8 ? "[^\n\r\xe2\x80\xa8\xe2\x80\xa9]" :
			    "[^\n\r]");
			canq = 1;
			break;
		case '[':
			if (rx_class(x) == -1)
				return -1;
			canq = 1;
			break;
		case '(':
			if (++depth > RX_DEPTH)
				return rx_fail(x, "groups nest deeper than %d",
				    RX_DEPTH);
			if (rx_group(x) == -1)
				return -1;
			canq = 0;
			break;
		case ')':
			if (--depth < 0)
				return rx_fail(x, "unmatched ')'");
			rx_putc(x, ')');
			canq = 1;
			break;
		case '*': case '+': case '?':
			if (rx_quant_ok(x, canq) == -1)
				return -1;
			rx_putc(x, (char)c);
			rx_lazy(x);
			canq = 0;
			break;
		case '{':
			x->i--;
			if ((r = rx_brace(x)) == -1)
				return -1;
			if (r == 1) {
				if (rx_quant_ok(x, canq) == -1)
					return -1;
				rx_lazy(x);
				canq = 0;
			} else {
				x->i++;
				rx_puts(x, "\\{");
				canq = 1;
			}
			break;
		case '}':
			rx_puts(x, "\\}");
			canq = 1;
			break;
		case ']':
			rx_puts(x, "\\]");
			canq = 1;
			break;
		case '|': case '^': case '$':
			rx_putc(x, (char)c);
			canq = 0;
			break;
		case '\0':
			return rx_fail(x, "NUL in pattern");
		default:
			rx_putc(x, (char)c);
			canq = 1;
			break;
		}
	}
	if (depth != 0)
		return rx_fail(x, "unterminated group");
	return 0;
}

/*
 * One UTF-8 locale for the process, made once and never freed; regcomp
 * and regexec run under it through uselocale(3), which is per thread and
 * leaves the program's locale alone.
 */
static void
rx_loc_init(void)
{
	rx_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (rx_loc == (locale_t)0)
		rx_loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

int
schema_regex_compile(struct schema_regex *r, const char *pat, size_t len,
    char *err, size_t errlen)
{
	struct rx	 x;
	locale_t	 old = (locale_t)0;
	char		 msg[128];
	int		 rc;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	x.err = err;
	x.errlen = errlen;
	if (len > SCHEMA_REGEX_MAX)
		return rx_fail(&x, "pattern longer than %d bytes",
		    SCHEMA_REGEX_MAX);
	(void)pthread_once(&rx_loc_once, rx_loc_init);
	x.s = pat;
	x.n = len;
	x.repeat = 1;
	x.utf8 = rx_loc != (locale_t)0;
	rx_puts(&x, "");
	if (rx_translate(&x) == -1) {
		free(x.out);
		return -1;
	}
	if (x.oom) {
		free(x.out);
		return rx_fail(&x, "out of memory");
	}
	if (x.utf8)
		old = uselocale(rx_loc);
	rc = regcomp(&r->re, x.out, REG_EXTENDED | REG_NOSUB);
	if (x.utf8)
		uselocale(old);
	free(x.out);
	if (rc != 0) {
		regerror(rc, &r->re, msg, sizeof(msg));
		return rx_fail(&x, "not a supported regular expression "
		    "(%s)", msg);
	}
	r->live = 1;
	r->loc = x.utf8 ? rx_loc : (locale_t)0;
	return 0;
}

int
schema_regex_match(const struct schema_regex *r, const char *s, size_t len)
{
	locale_t	 old = (locale_t)0;
	int		 rc;
#ifdef REG_STARTEND
	regmatch_t	 m[1];

	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
#endif
	if (!r->live)
		return -1;
	if (r->loc != (locale_t)0)
		old = uselocale(r->loc);
#ifdef REG_STARTEND
	rc = regexec(&r->re, s, 1, m, REG_STARTEND);
#else
	rc = regexec(&r->re, s, 0, NULL, 0);
#endif
	if (r->loc != (locale_t)0)
		uselocale(old);
	if (rc == 0)
		return 1;
	return rc == REG_NOMATCH ? 0 : -1;
}

void
schema_regex_free(struct schema_regex *r)
{
	if (r != NULL && r->live) {
		regfree(&r->re);
		r->live = 0;
	}
}
