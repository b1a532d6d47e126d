/* Logging: see include/kuryr/log.h.
 *
 * A line is "<date> <time>.<ms> <pid> <LEVEL> <ident> [<request id or ->] <message> <key=value ...>", the
 * oslo.log shape, so operators' existing grep habits keep working. Sinks receive that same line; syslog gets it
 * without the date, pid and ident, which syslog adds itself. The line is redacted as a whole, so a secret in
 * the message or in a context value is masked alike. One mutex serialises writers so lines never interleave;
 * a sink runs under it and so must not log. */
#include "kuryr/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define CTX_MAX 8
#define CTX_KEY_MAX 32
#define CTX_VALUE_MAX 160
#define REQUEST_ID_MAX 48

static atomic_int current_level = KURYR_LOG_INFO;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_ident[64] = "kuryr";
static bool log_syslog;
static int log_facility = LOG_USER;
static FILE *log_file;
static kuryr_log_sink log_sink;
static void *log_sink_data;

/* Fixed-size thread-local storage: nothing to free when a worker thread exits. */
typedef struct {
    char key[CTX_KEY_MAX];
    char value[CTX_VALUE_MAX];
} ctx_pair;
static _Thread_local ctx_pair ctx_pairs[CTX_MAX];
static _Thread_local size_t ctx_count;
static _Thread_local char request_id[REQUEST_ID_MAX];

static const char *level_name(kuryr_log_level level)
{
    switch (level) {
    case KURYR_LOG_DEBUG: return "DEBUG";
    case KURYR_LOG_INFO: return "INFO";
    case KURYR_LOG_WARNING: return "WARNING";
    case KURYR_LOG_ERROR: return "ERROR";
    }
    return "ERROR";
}

static int syslog_priority(kuryr_log_level level)
{
    switch (level) {
    case KURYR_LOG_DEBUG: return LOG_DEBUG;
    case KURYR_LOG_INFO: return LOG_INFO;
    case KURYR_LOG_WARNING: return LOG_WARNING;
    case KURYR_LOG_ERROR: return LOG_ERR;
    }
    return LOG_ERR;
}

void kuryr_log_init(const char *ident, kuryr_log_level level, bool use_syslog)
{
    pthread_mutex_lock(&log_lock);
    snprintf(log_ident, sizeof(log_ident), "%s", ident && *ident ? ident : "kuryr");
    if (log_syslog)
        closelog();
    log_syslog = use_syslog;
    /* openlog keeps the pointer, and log_ident lives as long as the process. */
    if (use_syslog)
        openlog(log_ident, LOG_PID | LOG_NDELAY, log_facility);
    pthread_mutex_unlock(&log_lock);
    kuryr_log_set_level(level);
}

void kuryr_log_set_level(kuryr_log_level level)
{
    atomic_store(&current_level, (int)level);
}

kuryr_log_level kuryr_log_get_level(void)
{
    return (kuryr_log_level)atomic_load(&current_level);
}

bool kuryr_log_enabled(kuryr_log_level level)
{
    return (int)level >= atomic_load(&current_level);
}

int kuryr_log_level_parse(const char *s)
{
    if (!s)
        return -1;
    if (strcasecmp(s, "debug") == 0)
        return KURYR_LOG_DEBUG;
    if (strcasecmp(s, "info") == 0)
        return KURYR_LOG_INFO;
    if (strcasecmp(s, "warning") == 0 || strcasecmp(s, "warn") == 0)
        return KURYR_LOG_WARNING;
    if (strcasecmp(s, "error") == 0)
        return KURYR_LOG_ERROR;
    return -1;
}

int kuryr_log_set_file(const char *path)
{
    FILE *f = NULL;
    if (path && *path) {
        f = fopen(path, "ae");
        if (!f)
            return -1;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    pthread_mutex_lock(&log_lock);
    FILE *old = log_file;
    log_file = f;
    pthread_mutex_unlock(&log_lock);
    if (old)
        fclose(old);
    return 0;
}

int kuryr_log_set_syslog_facility(const char *name)
{
    static const struct {
        const char *name;
        int facility;
    } facilities[] = {
        {"USER", LOG_USER},     {"DAEMON", LOG_DAEMON}, {"SYSLOG", LOG_SYSLOG}, {"AUTH", LOG_AUTH},
        {"LOCAL0", LOG_LOCAL0}, {"LOCAL1", LOG_LOCAL1}, {"LOCAL2", LOG_LOCAL2}, {"LOCAL3", LOG_LOCAL3},
        {"LOCAL4", LOG_LOCAL4}, {"LOCAL5", LOG_LOCAL5}, {"LOCAL6", LOG_LOCAL6}, {"LOCAL7", LOG_LOCAL7},
    };
    if (!name) {
        errno = EINVAL;
        return -1;
    }
    if (strncasecmp(name, "LOG_", 4) == 0)
        name += 4;
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (strcasecmp(name, facilities[i].name) == 0) {
            pthread_mutex_lock(&log_lock);
            log_facility = facilities[i].facility;
            pthread_mutex_unlock(&log_lock);
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

void kuryr_log_set_sink(kuryr_log_sink sink, void *userdata)
{
    pthread_mutex_lock(&log_lock);
    log_sink = sink;
    log_sink_data = userdata;
    pthread_mutex_unlock(&log_lock);
}

void kuryr_log_ctx_set(const char *key, const char *value)
{
    if (!key || !*key)
        return;
    for (size_t i = 0; i < ctx_count; i++) {
        if (strcmp(ctx_pairs[i].key, key) != 0)
            continue;
        if (value) {
            snprintf(ctx_pairs[i].value, sizeof(ctx_pairs[i].value), "%s", value);
        } else {
            memmove(&ctx_pairs[i], &ctx_pairs[i + 1], (ctx_count - i - 1) * sizeof(ctx_pairs[0]));
            ctx_count--;
        }
        return;
    }
    if (!value || ctx_count == CTX_MAX)
        return;
    snprintf(ctx_pairs[ctx_count].key, sizeof(ctx_pairs[0].key), "%s", key);
    snprintf(ctx_pairs[ctx_count].value, sizeof(ctx_pairs[0].value), "%s", value);
    ctx_count++;
}

/* The request id goes too: a thread that finished a request must not lend its id to unrelated lines. */
void kuryr_log_ctx_clear(void)
{
    ctx_count = 0;
    request_id[0] = '\0';
}

void kuryr_log_new_request_id(void)
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        /* Uniqueness, not secrecy, is what matters here; time and thread address are enough as a fallback. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        unsigned long long seed = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20)
                                  ^ (unsigned long long)(uintptr_t)&request_id;
        for (size_t i = 0; i < sizeof(b); i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(seed >> 56);
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(request_id, sizeof(request_id),
             "req-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3],
             b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

const char *kuryr_log_request_id(void)
{
    return request_id;
}

void kuryr_log_request_id_set(const char *id)
{
    snprintf(request_id, sizeof(request_id), "%s", id ? id : "");
}

/* Newlines would let one message forge further log lines; keep every record on one line. */
static void flatten(char *s)
{
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r')
            *s = ' ';
    }
}

static char *format_body(const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return NULL;
    size_t len = strlen(msg) + strlen(request_id) + 8;
    for (size_t i = 0; i < ctx_count; i++)
        len += strlen(ctx_pairs[i].key) + strlen(ctx_pairs[i].value) + 2;
    char *body = malloc(len);
    if (!body) {
        free(msg);
        return NULL;
    }
    size_t o = (size_t)snprintf(body, len, "[%s] %s", request_id[0] ? request_id : "-", msg);
    for (size_t i = 0; i < ctx_count; i++)
        o += (size_t)snprintf(body + o, len - o, " %s=%s", ctx_pairs[i].key, ctx_pairs[i].value);
    free(msg);
    return body;
}

void kuryr_log(kuryr_log_level level, const char *fmt, ...)
{
    if (!kuryr_log_enabled(level))
        return;
    int saved_errno = errno;
    va_list ap;
    va_start(ap, fmt);
    char *raw = format_body(fmt, ap);
    va_end(ap);
    char *body = kuryr_redact(raw);
    free(raw);
    if (!body) {
        errno = saved_errno;
        return;
    }
    flatten(body);

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);

    pthread_mutex_lock(&log_lock);
    if (log_sink || !log_syslog) {
        char *line = NULL;
        if (asprintf(&line, "%s.%03ld %ld %s %s %s", stamp, ts.tv_nsec / 1000000L, (long)getpid(),
                     level_name(level), log_ident, body) >= 0) {
            if (log_sink)
                log_sink(level, line, log_sink_data);
            else
                fprintf(log_file ? log_file : stderr, "%s\n", line);
            free(line);
        }
    } else {
        syslog(syslog_priority(level), "%s %s", level_name(level), body);
    }
    pthread_mutex_unlock(&log_lock);
    free(body);
    errno = saved_errno;
}
