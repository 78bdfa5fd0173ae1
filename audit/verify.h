/*
 * verify.h -- "mcpgate-audit verify": the hash-chain (or HMAC-chain)
 * check of an audit database, with the first bad row.
 */
#ifndef AUDIT_VERIFY_H
#define AUDIT_VERIFY_H

/*
 * Runs the verify command (argv[0] is "verify"; see --help).  Returns the
 * exit status: 0 intact, 1 broken, 3 unknown (usage, unreadable
 * database).
 */
int	verify_main(int argc, char **argv);

#endif /* AUDIT_VERIFY_H */
