/*
 * http.c -- the CGI view of a request, and a response we can build without
 * knowing who will send it.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

const char *
http_env(const struct http_req *req, const char *name)
{
	size_t	 n = strlen(name);
	char *const *e;

	if (req->env == NULL)
		return NULL;
	for (e = req->env; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *
http_header(const struct http_req *req, const char *hname)
{
	char	 cgi[128];
	size_t	 i, j;
	const char *v;

	if (strcasecmp(hname, "Content-Type") == 0)
		v = http_env(req, "CONTENT_TYPE");
	else if (strcasecmp(hname, "Content-Length") == 0)
		v = http_env(req, "CONTENT_LENGTH");
	else {
		j = 0;
		memcpy(cgi, "HTTP_", 5);
		j = 5;
		for (i = 0; hname[i] != '\0' && j + 1 < sizeof(cgi); i++)
			cgi[j++] = hname[i] == '-' ? '_' :
			    (char)toupper((unsigned char)hname[i]);
		cgi[j] = '\0';
		v = http_env(req, cgi);
		/* Apache's rewrite-based pass-through (research §3.1). */
		if ((v == NULL || *v == '\0') &&
		    strcmp(cgi, "HTTP_AUTHORIZATION") == 0)
			v = http_env(req, "REDIRECT_HTTP_AUTHORIZATION");
	}
	if (v != NULL && *v == '\0')
		return NULL;
	return v;
}

int
http_resp_header(struct http_resp *resp, const char *name, const char *fmt,
    ...)
{
	va_list	 ap;
	char	*v;
	int	 rc;

	if (resp->nhdr >= HTTP_MAX_HEADERS ||
	    strlen(name) >= sizeof(resp->hdr[0].name))
		return -1;
	va_start(ap, fmt);
	rc = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -1;
	/* A header value never carries a line break (response splitting). */
	for (char *p = v; *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	snprintf(resp->hdr[resp->nhdr].name, sizeof(resp->hdr[0].name), "%s",
	    name);
	resp->hdr[resp->nhdr].value = v;
	resp->nhdr++;
	return 0;
}

int
http_resp_body(struct http_resp *resp, char *body, size_t len,
    const char *ctype)
{
	free(resp->body);
	resp->body = body;
	resp->bodylen = len;
	if (ctype != NULL)
		return http_resp_header(resp, "Content-Type", "%s", ctype);
	return 0;
}

void
http_resp_reset(struct http_resp *resp)
{
	size_t	 i;

	for (i = 0; i < resp->nhdr; i++)
		free(resp->hdr[i].value);
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}
