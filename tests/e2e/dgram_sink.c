/*
 * dgram_sink.c -- a stand-in for syslogd in the e2e tests: binds a Unix
 * datagram socket at SOCKET (mode 0666, so the web server's workers can
 * send to it) and appends every datagram, plus a newline, to FILE until
 * it is killed.  Built by the test itself (cc), not by the Makefile.
 *
 *	dgram_sink SOCKET FILE
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct sockaddr_un sun;
	static char	 buf[65536];
	FILE		*out;
	ssize_t		 n;
	int		 fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dgram_sink SOCKET FILE\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "dgram_sink: socket path too long\n");
		return 2;
	}
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(argv[1], 0666) == -1) {
		fprintf(stderr, "dgram_sink: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	if ((out = fopen(argv[2], "a")) == NULL) {
		fprintf(stderr, "dgram_sink: %s: %s\n", argv[2],
		    strerror(errno));
		return 1;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			break;
		fwrite(buf, 1, (size_t)n, out);
		fputc('\n', out);
		fflush(out);
	}
	fclose(out);
	return 0;
}
