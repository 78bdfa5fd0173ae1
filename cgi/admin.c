/*
 * admin.c -- `mcpgate check|init|version`: what an operator runs from a
 * shell.  Exit status: 0 ok, 1 the config or database is bad, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "bounds.h"
#include "config.h"
#include "store.h"

void
admin_usage(FILE *f)
{
	fprintf(f,
	    "usage: mcpgate                 serve (FastCGI, or CGI under a web server)\n"
	    "       mcpgate check [CONFIG]  validate a config (SQL included)\n"
	    "       mcpgate init [CONFIG]   create or migrate the state database\n"
	    "       mcpgate version\n"
	    "CONFIG defaults to $MCPGATE_CONFIG, then %s\n",
	    CONFIG_DEFAULT_PATH);
}

static const char *
admin_config_path(int argc, char *argv[])
{
	const char *p = argc > 1 ? argv[1] : getenv("MCPGATE_CONFIG");

	return p != NULL && *p != '\0' ? p : CONFIG_DEFAULT_PATH;
}

static int
admin_check(int argc, char *argv[])
{
	struct config	*cfg;
	char		 err[BOUNDS_ERRMSG_LEN];
	const char	*path = admin_config_path(argc, argv);

	if ((cfg = config_load(path, CONFIG_VERIFY, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok (%zu tools, %zu databases)\n", path, cfg->ntools,
	    cfg->ndbs);
	config_free(cfg);
	return 0;
}

static int
admin_init(int argc, char *argv[])
{
	struct config	*cfg;
	struct store	*st;
	char		 err[BOUNDS_ERRMSG_LEN];
	const char	*path = admin_config_path(argc, argv);

	if ((cfg = config_load(path, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if ((st = store_open(cfg->state_db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return 1;
	}
	printf("%s: ready\n", cfg->state_db);
	store_close(st);
	config_free(cfg);
	return 0;
}

int
admin_main(int argc, char *argv[])
{
	if (strcmp(argv[0], "check") == 0)
		return admin_check(argc, argv);
	if (strcmp(argv[0], "init") == 0)
		return admin_init(argc, argv);
	if (strcmp(argv[0], "version") == 0 ||
	    strcmp(argv[0], "--version") == 0) {
		printf("mcpgate %s\n", MCPGATE_VERSION);
		return 0;
	}
	if (strcmp(argv[0], "help") == 0 || strcmp(argv[0], "--help") == 0 ||
	    strcmp(argv[0], "-h") == 0) {
		admin_usage(stdout);
		return 0;
	}
	fprintf(stderr, "mcpgate: unknown command \"%s\"\n", argv[0]);
	admin_usage(stderr);
	return 2;
}
