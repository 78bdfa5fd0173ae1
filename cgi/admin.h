/*
 * admin.h -- the command-line side of mcpgate: check, init, key, token.
 */
#ifndef ADMIN_H
#define ADMIN_H

#include <stdio.h>

/* argv[0] is the subcommand.  Returns the process exit status. */
int	admin_main(int argc, char *argv[]);
void	admin_usage(FILE *);

#endif /* ADMIN_H */
