/*
 * log.h -- one line per event on standard error, which every web server
 * we run under collects (lighttpd's and Apache's error logs).  Callers
 * never pass secrets, request bodies or tokens here.
 */
#ifndef LOG_H
#define LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the threshold (default LOG_LVL_WARN; MCPGATE_LOG=debug|info|warn|error). */
void	log_init(void);

void	log_msg(enum log_level lvl, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__)

#endif /* LOG_H */
