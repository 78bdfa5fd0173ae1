/*
 * main.c -- mcpgate-audit: the analyzer for mcpgate's audit log.
 * Dispatches to report, verify and export (report.c, verify.c,
 * export.c) and to scan and simulate (scan.c, simulate.c).  Every command
 * opens the audit database read-only (db.h) and none links the server
 * core: only lib/auditchain, lib/digest and lib/log.
 *
 * Exit status of report, verify and export: 0 ok, 1 verify found the
 * chain broken, 3 unknown (usage, unreadable database); scan follows the
 * Nagios convention (0/1/2/3), see docs/scan.md.
 */
#include <stdio.h>
#include <string.h>

#include "export.h"
#include "report.h"
#include "scan.h"
#include "simulate.h"
#include "verify.h"

#ifndef MCPGATE_VERSION
#define MCPGATE_VERSION	"0.0.0"
#endif

/*
 * scan and simulate are built by their own modules; until they are linked
 * in, the commands say so instead of failing the build.
 */
#pragma weak scan_main
#pragma weak simulate_main

struct command {
	const char	*name;
	const char	*what;
	int		(*run)(int, char **);
};

static int	main_help(int, char **);
static int	main_version(int, char **);

static const struct command commands[] = {
	{ "report", "reports for people and compliance: summary, "
	    "principals, tools, access, ...", report_main },
	{ "verify", "check the hash chain; exit 1 naming the first bad row",
	    verify_main },
	{ "export", "rows as CSV or JSON lines for a SIEM, optionally "
	    "pseudonymised", export_main },
	{ "scan", "anomaly scan for cron (exit 0 ok, 1 warning, 2 critical, "
	    "3 unknown)", NULL },
	{ "simulate", "write a synthetic audit database with labelled "
	    "incidents", NULL },
	{ "help", "this text", main_help },
	{ "version", "the analyzer's version", main_version },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void
main_usage(FILE *f)
{
	size_t	 i;

	fputs("usage: mcpgate-audit COMMAND [options]   (COMMAND --help for "
	    "its options)\n\ncommands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].what);
	fputs("\nThe audit database is only ever read.  Exit status: 0 ok, 1 "
	    "verify: chain broken,\n3 unknown (usage, unreadable database); "
	    "scan: 0 ok, 1 warning, 2 critical.\n", f);
}

static int
main_help(int argc, char **argv)
{
	main_usage(stdout);
	return 0;
}

static int
main_version(int argc, char **argv)
{
	printf("mcpgate-audit %s (audit schema versions %d to %d)\n",
	    MCPGATE_VERSION, AUDIT_DB_VERSION_MIN, AUDIT_DB_VERSION_MAX);
	return 0;
}

int
main(int argc, char **argv)
{
	int	(*run)(int, char **);
	size_t	 i;

	if (argc < 2) {
		main_usage(stderr);
		return 3;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return main_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0)
		return main_version(argc - 1, argv + 1);
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		run = commands[i].run;
		if (strcmp(commands[i].name, "scan") == 0)
			run = scan_main;
		else if (strcmp(commands[i].name, "simulate") == 0)
			run = simulate_main;
		if (run == NULL) {
			fprintf(stderr, "mcpgate-audit: %s is not built into "
			    "this binary\n", commands[i].name);
			return 3;
		}
		return run(argc - 1, argv + 1);
	}
	fprintf(stderr, "mcpgate-audit: unknown command \"%s\"\n\n", argv[1]);
	main_usage(stderr);
	return 3;
}
