/*
 * scan.h -- "mcpgate-audit scan": the cron-run anomaly scan over an audit
 * database (detectors D01-D16 of docs/scan.md), incremental through a
 * state file of its own, with Nagios-style exit codes.
 */
#ifndef AUDIT_SCAN_H
#define AUDIT_SCAN_H

/*
 * Runs the scan command.  argv[0] is "scan"; the options are documented
 * in docs/scan.md and by "scan --help".  Returns the exit status:
 * 0 nothing at or above --fail-on, 1 warning (low/medium), 2 critical
 * (high/critical), 3 unknown (usage, database or state problem).
 */
int	scan_main(int argc, char **argv);

#endif /* AUDIT_SCAN_H */
