/*
 * http.h -- an HTTP request and response as plain structs.  The request is
 * the CGI/1.1 view (RFC 3875 meta-variables plus the body), whatever
 * produced it: FastCGI, plain CGI or a test.  Nothing here knows FastCGI.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

#define HTTP_MAX_HEADERS	16

struct http_req {
	char *const	*env;		/* borrowed: NULL-terminated "NAME=value" */
	const char	*body;		/* borrowed: may be NULL when bodylen is 0 */
	size_t		 bodylen;
	int		 body_too_large; /* front end stopped reading at the cap */
	int		 body_short;	/* fewer bytes than CONTENT_LENGTH said */
};

struct http_header {
	char	 name[48];
	char	*value;			/* owned (free with http_resp_reset) */
};

struct http_resp {
	int			 status;
	struct http_header	 hdr[HTTP_MAX_HEADERS];
	size_t			 nhdr;
	char			*body;	/* owned (free with http_resp_reset) */
	size_t			 bodylen;
};

/*
 * Returns the value of CGI meta-variable name ("REQUEST_METHOD",
 * "HTTP_ACCEPT", ...) or NULL.  Borrowed: valid as long as req->env.
 */
const char	*http_env(const struct http_req *req, const char *name);

/*
 * Returns the value of HTTP request header hname ("Mcp-Session-Id"),
 * mapped to its CGI name (HTTP_MCP_SESSION_ID), or NULL.  An empty value
 * is returned as NULL: Apache's rewrite-based Authorization pass-through
 * sets the variable to "" when the header was absent.
 */
const char	*http_header(const struct http_req *req, const char *hname);

/* Adds a response header (the value is copied).  Returns 0 or -1. */
int		 http_resp_header(struct http_resp *resp, const char *name,
		    const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

/* Sets the body (taken: resp frees it) and its Content-Type. */
int		 http_resp_body(struct http_resp *resp, char *body, size_t len,
		    const char *ctype) __attribute__((warn_unused_result));

/* Frees everything the response owns and zeroes it. */
void		 http_resp_reset(struct http_resp *resp);

/* The reason phrase for a status we send ("Not Acceptable"). */
const char	*http_reason(int status);

#endif /* HTTP_H */
