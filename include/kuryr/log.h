/* Logging: levels, stderr or syslog, a per-thread context of IDs, and redaction of secrets.
 *
 * Every line goes through kuryr_redact() before it is written, so a token or password that reaches a format
 * string by mistake still never reaches the log. */
#ifndef KURYR_LOG_H
#define KURYR_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { KURYR_LOG_DEBUG = 0, KURYR_LOG_INFO, KURYR_LOG_WARNING, KURYR_LOG_ERROR } kuryr_log_level;

/* ident names the program in syslog and in stderr lines. */
void kuryr_log_init(const char *ident, kuryr_log_level level, bool use_syslog);
void kuryr_log_set_level(kuryr_log_level level);
kuryr_log_level kuryr_log_get_level(void);
bool kuryr_log_enabled(kuryr_log_level level);
/* Parses "debug", "info", "warning"/"warn", "error"; returns -1 for anything else. */
int kuryr_log_level_parse(const char *s);

/* Tests capture lines through a sink; NULL restores the default writer. The line is already redacted. */
/* Applies the oslo.log options: log_file (append; NULL or "" writes to stderr again) and syslog_log_facility
 * ("LOG_USER", "LOG_DAEMON", "LOG_LOCAL0".."LOG_LOCAL7", with or without the "LOG_" prefix; call before
 * kuryr_log_init). Both return 0 or -1 with errno set. */
int kuryr_log_set_file(const char *path);
int kuryr_log_set_syslog_facility(const char *name);

typedef void (*kuryr_log_sink)(kuryr_log_level level, const char *line, void *userdata);
void kuryr_log_set_sink(kuryr_log_sink sink, void *userdata);

void kuryr_log(kuryr_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KLOG_DEBUG(...) do { if (kuryr_log_enabled(KURYR_LOG_DEBUG)) kuryr_log(KURYR_LOG_DEBUG, __VA_ARGS__); } while (0)
#define KLOG_INFO(...) kuryr_log(KURYR_LOG_INFO, __VA_ARGS__)
#define KLOG_WARN(...) kuryr_log(KURYR_LOG_WARNING, __VA_ARGS__)
#define KLOG_ERROR(...) kuryr_log(KURYR_LOG_ERROR, __VA_ARGS__)

/* Per-thread structured context, appended to each line as key=value (e.g. net=<docker id> ep=<endpoint id>
 * port=<neutron id>), so that one container's story can be grepped. Setting a key to NULL removes it. */
void kuryr_log_ctx_set(const char *key, const char *value);
void kuryr_log_ctx_clear(void);
/* A per-thread request id ("req-<hex>"), generated when a plugin request starts; "" when none. */
void kuryr_log_new_request_id(void);
const char *kuryr_log_request_id(void);
/* Gives the calling thread a request id (a helper thread working for a request logs under the request's). */
void kuryr_log_request_id_set(const char *id);

/* Returns a malloc'd copy of s with secrets masked as "***": the values of X-Auth-Token and X-Subject-Token
 * headers, JSON string values whose key is "password", "secret" or "token", and fernet tokens ("gAAAA...")
 * anywhere. NULL in, NULL out. */
char *kuryr_redact(const char *s);

#endif
