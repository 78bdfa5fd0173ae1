/*
 * bare_fcgi.c -- the benchmark's baseline: the smallest FastCGI program
 * that does what any FastCGI application behind lighttpd must do.  It
 * accepts a request, reads the body to the end, answers a fixed JSON-RPC
 * result with a Content-Length, and finishes the request; nothing else.
 * tests/bench/run.sh measures it through the same lighttpd template and
 * worker counts as mcpgate, so its throughput is the ceiling for any
 * FastCGI application on the machine, and every mcpgate figure is also
 * shown as a ratio to it.
 *
 * Run as plain CGI (stdin is not a listening socket) it answers once, the
 * same way: the cost of starting a minimal libfcgi process (the linker
 * drops the other libraries the Makefile names, as they are not used),
 * which the CGI cold-start figures are compared with.
 */
#include <stdio.h>
#include <unistd.h>

#include <fcgiapp.h>

static const char bare_resp[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 36\r\n"
    "\r\n"
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";

static int
bare_cgi(void)
{
	char	 buf[4096];
	size_t	 off = 0;
	ssize_t	 r;

	while ((r = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
		continue;
	while (off < sizeof(bare_resp) - 1) {
		r = write(STDOUT_FILENO, bare_resp + off,
		    sizeof(bare_resp) - 1 - off);
		if (r <= 0)
			return 1;
		off += (size_t)r;
	}
	return 0;
}

int
main(void)
{
	FCGX_Request	 rq;
	char		 buf[4096];

	if (FCGX_IsCGI())
		return bare_cgi();
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0) {
		fprintf(stderr, "bare_fcgi: cannot initialise FastCGI\n");
		return 1;
	}
	while (FCGX_Accept_r(&rq) >= 0) {
		while (FCGX_GetStr(buf, sizeof(buf), rq.in) > 0)
			continue;
		(void)FCGX_PutStr(bare_resp, (int)sizeof(bare_resp) - 1,
		    rq.out);
		FCGX_Finish_r(&rq);
	}
	FCGX_Free(&rq, 1);
	return 0;
}
