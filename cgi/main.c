/*
 * main.c -- the FastCGI / CGI front end, and the admin commands.
 *
 * The only file that knows FastCGI exists.  It maps each request's CGI
 * environment and body onto lib's struct http_req, hands it to the
 * endpoint, and writes the struct http_resp back.  The same binary serves
 * FastCGI (stdin is a listening socket: lighttpd, mod_fcgid, spawn-fcgi)
 * and plain CGI (one request per process: mod_cgi, shared hosting).
 */
#include <errno.h>
#include <signal.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sqlite3.h>

#include "admin.h"
#include "bounds.h"
#include "config.h"
#include "endpoint.h"
#include "http.h"
#include "log.h"
#include "migrate.h"

extern char **environ;

/* One source of request bytes and sink of response bytes. */
struct io {
	FCGX_Request	*fcgi;	/* NULL: plain CGI on stdin/stdout */
};

static ssize_t
io_read(struct io *io, char *buf, size_t n)
{
	ssize_t	 r;

	if (io->fcgi != NULL)
		return FCGX_GetStr(buf, (int)n, io->fcgi->in);
	do
		r = read(STDIN_FILENO, buf, n);
	while (r == -1 && errno == EINTR);
	return r;
}

static int
io_write(struct io *io, const char *buf, size_t n)
{
	ssize_t	 w;

	if (io->fcgi != NULL)
		return FCGX_PutStr(buf, (int)n, io->fcgi->out) == (int)n ?
		    0 : -1;
	while (n > 0) {
		w = write(STDOUT_FILENO, buf, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Plain CGI: reads and discards an over-limit body (up to CGI_DRAIN_MAX),
 * so the web server, still writing it to our stdin, sees a clean 413
 * rather than a broken pipe and a 500.  FastCGI needs nothing: libfcgi
 * discards the rest of the request's stdin records itself.
 */
#define CGI_DRAIN_MAX	(64ULL * 1024 * 1024)

static void
drain(struct io *io, unsigned long long n)
{
	char	 buf[16384];
	ssize_t	 r;

	if (io->fcgi != NULL)
		return;
	if (n > CGI_DRAIN_MAX)
		n = CGI_DRAIN_MAX;
	while (n > 0) {
		r = io_read(io, buf, n < sizeof(buf) ? (size_t)n : sizeof(buf));
		if (r <= 0)
			break;
		n -= (unsigned long long)r;
	}
}

/*
 * Reads the body into a fresh buffer (caller frees), never more than max
 * bytes.  Compares what arrived with CONTENT_LENGTH: Apache's handlers can
 * hand us a truncated body with a 200 (research §3.4), so the application
 * enforces its own limit and notices short bodies.
 */
static char *
read_body(struct io *io, const struct http_req *h, size_t max, size_t *len,
    int *too_large, int *short_body)
{
	const char	*cl = http_env(h, "CONTENT_LENGTH");
	char		*buf, *end;
	size_t		 want, got = 0, cap;
	ssize_t		 r;
	unsigned long long v;
	int		 known = 0;

	*len = 0;
	*too_large = *short_body = 0;
	want = max + 1;
	if (cl != NULL && *cl != '\0') {
		errno = 0;
		v = strtoull(cl, &end, 10);
		if (*end != '\0' || errno != 0 || cl[0] == '-') {
			*short_body = 1;
			return NULL;
		}
		if (v > max) {
			*too_large = 1;
			drain(io, v);
			return NULL;
		}
		want = (size_t)v;
		known = 1;
	}
	cap = want < 65536 ? want + 1 : 65536;
	if ((buf = malloc(cap)) == NULL)
		return NULL;
	while (got < want) {
		if (got == cap) {
			size_t nc = cap * 2 > want + 1 ? want + 1 : cap * 2;
			char *nb = realloc(buf, nc);

			if (nb == NULL) {
				free(buf);
				return NULL;
			}
			buf = nb;
			cap = nc;
		}
		r = io_read(io, buf + got, (want - got) < (cap - got) ?
		    want - got : cap - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (known && got < want)
		*short_body = 1;
	if (!known && got > max)
		*too_large = 1;
	*len = got;
	return buf;
}

static int
write_resp(struct io *io, const struct http_resp *resp, int head)
{
	char	 line[BOUNDS_HEADER_LEN + 64];
	size_t	 i;
	int	 n;

	n = snprintf(line, sizeof(line), "Status: %d %s\r\n", resp->status,
	    http_reason(resp->status));
	if (io_write(io, line, (size_t)n) == -1)
		return -1;
	for (i = 0; i < resp->nhdr; i++) {
		n = snprintf(line, sizeof(line), "%s: %s\r\n",
		    resp->hdr[i].name, resp->hdr[i].value);
		if (n < 0 || (size_t)n >= sizeof(line))
			continue;
		if (io_write(io, line, (size_t)n) == -1)
			return -1;
	}
	if (resp->body != NULL) {
		n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n",
		    resp->bodylen);
		if (io_write(io, line, (size_t)n) == -1)
			return -1;
	}
	if (io_write(io, "\r\n", 2) == -1)
		return -1;
	if (resp->body != NULL && !head)
		return io_write(io, resp->body, resp->bodylen);
	return 0;
}

static void
serve_one(struct endpoint *ep, const struct config *cfg, struct io *io,
    char *const *env)
{
	struct http_req	 req;
	struct http_resp resp;
	char		*body;
	const char	*m;

	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	req.env = env;
	m = http_env(&req, "REQUEST_METHOD");
	body = NULL;
	if (m != NULL && strcmp(m, "POST") == 0)
		body = read_body(io, &req, cfg->max_body, &req.bodylen,
		    &req.body_too_large, &req.body_short);
	req.body = body;
	endpoint_handle(ep, &req, &resp);
	if (resp.status == 0)
		resp.status = 500;
	if (write_resp(io, &resp, m != NULL && strcmp(m, "HEAD") == 0) == -1)
		log_info("client went away before the response was written");
	http_resp_reset(&resp);
	free(body);
}

/* A bare 500 for when there is no config to serve from (plain CGI). */
static void
cgi_fail(struct io *io)
{
	static const char msg[] = "Status: 500 Internal Server Error\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32603,"
	    "\"message\":\"Server misconfigured; see the error log\"}}";

	(void)io_write(io, msg, sizeof(msg) - 1);
}

/*
 * Between two FastCGI requests: waits for the next connection on lfd at
 * most as long as the endpoint's deferred work allows, then does that
 * work ("synchronous": "WRITES": the audit rows this worker left
 * unsynced are synced within about a second even when no request
 * follows).
 */
static void
idle_wait(struct endpoint *ep, int lfd)
{
	struct pollfd	 p;
	int		 ms;

	if ((ms = endpoint_idle_ms(ep)) < 0)
		return;
	memset(&p, 0, sizeof(p));
	p.fd = lfd;
	p.events = POLLIN;
	if (ms == 0 || poll(&p, 1, ms) == 0)
		endpoint_idle(ep);
}

static int
serve(void)
{
	struct config	*cfg;
	struct endpoint	*ep;
	struct io	 io;
	FCGX_Request	 rq;
	const char	*path = getenv("MCPGATE_CONFIG");
	char		 err[BOUNDS_ERRMSG_LEN];
	int		 fcgi = !FCGX_IsCGI();

	if (path == NULL || *path == '\0')
		path = CONFIG_DEFAULT_PATH;
	memset(&io, 0, sizeof(io));
	/*
	 * Plain CGI serves one request per process: its database
	 * connections close without a checkpoint (lib/migrate.h).
	 */
	if (!fcgi)
		migrate_oneshot(1);
	/*
	 * One thread per process (a FastCGI worker serves one request at a
	 * time): SQLite needs no mutexes and no memory statistics, which
	 * cost a cold CGI request half a million instructions.  Before the
	 * first database is opened, or SQLite ignores it.
	 */
	(void)sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/*
	 * FastCGI workers check every SQL statement once, at start.  JWT
	 * key files are read when a token first needs them (`mcpgate
	 * check` reads them all up front).
	 */
	cfg = config_load(path, (fcgi ? CONFIG_VERIFY : 0) | CONFIG_LAZY_KEYS,
	    err, sizeof(err));
	if (cfg == NULL) {
		log_err("refusing to serve: %s", err);
		if (!fcgi)
			cgi_fail(&io);
		return 1;
	}
	if ((ep = endpoint_new(cfg, err, sizeof(err))) == NULL) {
		log_err("refusing to serve: %s: %s", path, err);
		if (!fcgi)
			cgi_fail(&io);
		config_free(cfg);
		return 1;
	}
	if (!fcgi) {
		serve_one(ep, cfg, &io, environ);
		/*
		 * The response is complete: the web server may send it now,
		 * while this process finishes (syncs deferred audit rows,
		 * closes its databases) instead of waiting for its exit.
		 */
		(void)close(STDOUT_FILENO);
	} else {
		if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
			log_err("cannot initialise FastCGI");
			endpoint_free(ep);
			config_free(cfg);
			return 1;
		}
		io.fcgi = &rq;
		for (;;) {
			idle_wait(ep, rq.listen_sock);
			if (FCGX_Accept_r(&rq) < 0)
				break;
			serve_one(ep, cfg, &io, rq.envp);
			FCGX_Finish_r(&rq);
		}
		FCGX_Free(&rq, 1);
	}
	endpoint_free(ep);
	config_free(cfg);
#ifndef __SANITIZE_ADDRESS__
	if (!fcgi) {
		/*
		 * Plain CGI: the response is written (write(2), no stdio) and
		 * every database closed.  What is left are the atexit
		 * handlers, OpenSSL's cleanup the costliest (about 0.7
		 * million instructions), freeing memory the kernel is about
		 * to take back anyway.  (Not under ASan: its leak check is
		 * an atexit handler too.)
		 */
		fflush(NULL);
		_exit(0);
	}
#endif
	return 0;
}

int
main(int argc, char *argv[])
{
	signal(SIGPIPE, SIG_IGN);
	log_init();
	/*
	 * A web server decides the mode, never argv: Apache passes an
	 * ISINDEX-style query string as arguments to CGI programs.
	 */
	if (getenv("GATEWAY_INTERFACE") != NULL || !FCGX_IsCGI())
		return serve();
	if (argc > 1)
		return admin_main(argc - 1, argv + 1);
	if (getenv("REQUEST_METHOD") != NULL)
		return serve();
	admin_usage(stderr);
	return 2;
}
