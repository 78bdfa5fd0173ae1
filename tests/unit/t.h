/*
 * t.h -- the smallest test harness that works: TAP-style lines that
 * tests/run.sh counts.  Every check prints "ok N - name" or
 * "not ok N - name"; t_done() returns the exit status.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int t_n, t_failed;

#define T_OK(cond, ...) do {						\
	int t_c_ = (cond) ? 1 : 0;					\
	t_n++;								\
	if (t_c_) {							\
		printf("ok %d - ", t_n);				\
	} else {							\
		t_failed++;						\
		printf("not ok %d - ", t_n);				\
	}								\
	printf(__VA_ARGS__);						\
	if (!t_c_)							\
		printf("  [%s:%d: %s]", __FILE__, __LINE__, #cond);	\
	printf("\n");							\
	fflush(stdout);							\
} while (0)

#define T_EQ_INT(a, b, ...) do {					\
	long long t_a_ = (long long)(a), t_b_ = (long long)(b);	\
	T_OK(t_a_ == t_b_, __VA_ARGS__);				\
	if (t_a_ != t_b_)						\
		printf("#   got %lld, want %lld\n", t_a_, t_b_);	\
} while (0)

#define T_EQ_STR(a, b, ...) do {					\
	const char *t_a_ = (a), *t_b_ = (b);				\
	int t_eq_ = t_a_ != NULL && t_b_ != NULL &&			\
	    strcmp(t_a_, t_b_) == 0;					\
	T_OK(t_eq_, __VA_ARGS__);					\
	if (!t_eq_)							\
		printf("#   got \"%s\", want \"%s\"\n",		\
		    t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)");	\
} while (0)

static inline int
t_done(void)
{
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

#endif /* T_H */
