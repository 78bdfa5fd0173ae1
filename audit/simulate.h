/*
 * simulate.h -- "mcpgate-audit simulate": writes a synthetic audit
 * database with the real schema and a valid hash chain (weeks of seasonal
 * traffic from many principals and tools) with labelled incidents of
 * every detector's kind, and scores scan findings against those labels.
 */
#ifndef AUDIT_SIMULATE_H
#define AUDIT_SIMULATE_H

/*
 * Runs the simulate command.  argv[0] is "simulate"; the options are in
 * docs/scan.md and "simulate --help".  Returns 0, 1 when --score found
 * the figures below the limits given, 3 on usage or I/O errors.
 */
int	simulate_main(int argc, char **argv);

#endif /* AUDIT_SIMULATE_H */
