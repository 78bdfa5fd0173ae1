/*
 * log.c -- stderr logging.  Control characters in messages are replaced so
 * a hostile value cannot forge log lines.  Knows nothing of requests.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_threshold = LOG_LVL_WARN;

void
log_init(void)
{
	const char *v = getenv("MCPGATE_LOG");

	if (v == NULL)
		return;
	if (strcmp(v, "debug") == 0)
		log_threshold = LOG_LVL_DEBUG;
	else if (strcmp(v, "info") == 0)
		log_threshold = LOG_LVL_INFO;
	else if (strcmp(v, "warn") == 0)
		log_threshold = LOG_LVL_WARN;
	else if (strcmp(v, "error") == 0)
		log_threshold = LOG_LVL_ERR;
}

void
log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	char	 line[1024], ts[32];
	va_list	 ap;
	time_t	 now;
	struct tm tm;
	size_t	 i;

	if (lvl > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (i = 0; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s mcpgate[%ld] %s: %s: %s\n", ts, (long)getpid(),
	    names[lvl], func, line);
}
