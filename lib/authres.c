/*
 * authres.c -- names for the credential check outcomes and whole-token
 * scope matching.  Pure string code: no I/O, no allocation.
 */
#include <string.h>

#include "authres.h"

static const char *const authres_names[AUTH__MAX] = {
	"ok",
	"missing",
	"invalid",
	"expired",
	"revoked",
	"error",
};

const char *
authres_name(enum authres r)
{
	if ((unsigned int)r >= AUTH__MAX)
		return "unknown";
	return authres_names[r];
}

int
authres_scope_has(const char *scopes, const char *want)
{
	const char	*p, *end;
	size_t		 wlen, tlen;

	if (scopes == NULL || want == NULL || (wlen = strlen(want)) == 0)
		return 0;
	p = scopes;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ' ');
		tlen = end == NULL ? strlen(p) : (size_t)(end - p);
		if (tlen == wlen && memcmp(p, want, wlen) == 0)
			return 1;
		p += tlen;
	}
	return 0;
}
