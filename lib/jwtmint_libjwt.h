/*
 * jwtmint_libjwt.h -- reaches libjwt's <jwt.h>, which lib/jwt.h shadows
 * because the build puts -Ilib first.  Include it only as
 * <jwtmint_libjwt.h> (found through -Ilib), so #include_next continues the
 * search after lib/ and finds the system header.  Only lib/jwtmint.c uses
 * libjwt (research/auth-and-deploy.md §0: never on the verify path).
 */
#ifndef JWTMINT_LIBJWT_H
#define JWTMINT_LIBJWT_H

#include_next <jwt.h>

#ifndef JWT_ALG_INVAL
#error "libjwt's jwt.h was not found after lib/"
#endif

#endif /* JWTMINT_LIBJWT_H */
