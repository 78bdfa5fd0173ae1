/*
 * export.h -- "mcpgate-audit export": audit rows as CSV or JSON lines for
 * a SIEM, optionally with keyed pseudonyms for principals and addresses.
 */
#ifndef AUDIT_EXPORT_H
#define AUDIT_EXPORT_H

#include <stddef.h>

#define EXPORT_PSEUDO_HEX	16	/* hex characters of a pseudonym */

struct auditchain_key;

/*
 * Runs the export command (argv[0] is "export"; see --help).  Returns the
 * exit status: 0 written, 3 unknown (usage, unreadable database, write
 * error).
 */
int	export_main(int argc, char **argv);

/*
 * The pseudonym of value (len bytes) in class cls ("p" principals, "a"
 * addresses, "k" key ids): cls, "-", then the first EXPORT_PSEUDO_HEX
 * hex characters of HMAC-SHA256(key, "mcpgate-audit-pseudonym" NUL cls
 * NUL value).  Stable for one key, unlinkable without it.
 * OUT: out (at least EXPORT_PSEUDO_HEX + 8 bytes).  Returns 0 or -1.
 */
int	export_pseudonym(const struct auditchain_key *key, const char *cls,
	    const char *value, size_t len, char *out, size_t outlen)
	    __attribute__((warn_unused_result));

#endif /* AUDIT_EXPORT_H */
