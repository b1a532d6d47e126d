/* Logging set-up and signal handling shared by the daemons (see kuryr/daemon.h). */
#include "kuryr/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "kuryr/log.h"

int kuryr_daemon_setup_logging(const kuryr_config *cfg, const char *prog)
{
    const char *facility = kuryr_config_get_str(cfg, "DEFAULT", "syslog_log_facility");
    if (*facility && kuryr_log_set_syslog_facility(facility) < 0) {
        fprintf(stderr, "%s: unknown syslog_log_facility %s\n", prog, facility);
        return -1;
    }
    kuryr_log_init(prog, kuryr_config_get_bool(cfg, "DEFAULT", "debug") ? KURYR_LOG_DEBUG : KURYR_LOG_INFO,
                   kuryr_config_get_bool(cfg, "DEFAULT", "use_syslog"));
    const char *log_file = kuryr_config_get_str(cfg, "DEFAULT", "log_file");
    if (*log_file && kuryr_log_set_file(log_file) < 0) {
        fprintf(stderr, "%s: cannot open log_file %s: %s\n", prog, log_file, strerror(errno));
        return -1;
    }
    return 0;
}

static void usage(FILE *out, const char *prog, const char *summary)
{
    fprintf(out,
            "Usage: %s [--config-file PATH]... [--config-dir DIR] [--dump-config] [--help] [--version]\n"
            "%s\n"
            "  --config-file PATH  load PATH (repeatable; default /etc/kuryr/kuryr.conf)\n"
            "  --config-dir DIR    load every *.conf in DIR\n"
            "  --dump-config       print the effective configuration (secrets masked) and exit\n"
            "  --help              show this help\n"
            "  --version           print the version\n",
            prog, summary);
}

int kuryr_daemon_parse_args(kuryr_config *cfg, int argc, char **argv, const char *prog, const char *summary)
{
    char msg[512];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout, prog, summary);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("%s %s\n", prog, KURYR_VERSION);
            return 0;
        }
    }
    if (kuryr_config_parse_args(cfg, &argc, argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, msg);
        return 2;
    }
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump-config") != 0) {
            fprintf(stderr, "%s: unknown argument %s\n", prog, argv[i]);
            usage(stderr, prog, summary);
            return 2;
        }
        dump = true;
    }
    if (dump) {
        kuryr_config_dump_effective(cfg, stdout, prog);
        return 0;
    }
    return -1;
}

void kuryr_daemon_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int kuryr_daemon_wait_stop(const sigset_t *set)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            KLOG_INFO("SIGHUP ignored: restart the daemon to reload its configuration");
            continue;
        }
        KLOG_INFO("signal %d: shutting down", sig);
        return sig;
    }
}

int kuryr_daemon_main(int argc, char **argv, const char *prog, const char *summary, kuryr_daemon_start_fn start,
                      kuryr_daemon_stop_fn stop, kuryr_daemon_describe_fn describe)
{
    kuryr_log_init(prog, KURYR_LOG_INFO, false);
    kuryr_config *cfg = kuryr_config_new();
    if (!cfg) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    int rc = kuryr_daemon_parse_args(cfg, argc, argv, prog, summary);
    if (rc >= 0 || kuryr_daemon_setup_logging(cfg, prog) < 0) {
        kuryr_config_free(cfg);
        return rc >= 0 ? rc : 2;
    }
    /* Every thread inherits this mask, so only the wait below sees these signals. */
    sigset_t set;
    kuryr_daemon_block_signals(&set);
    kuryr_error err;
    kuryr_error_clear(&err);
    void *d = start(cfg, &err);
    if (!d) {
        KLOG_ERROR("cannot start: %s", err.message);
        kuryr_config_free(cfg);
        kuryr_log_set_file(NULL);
        return 1;
    }
    KLOG_INFO("%s %s started%s%s", prog, KURYR_VERSION, describe ? " " : "", describe ? describe(d) : "");
    kuryr_daemon_wait_stop(&set);
    stop(d);
    KLOG_INFO("stopped");
    kuryr_config_free(cfg);
    kuryr_log_set_file(NULL);
    return 0;
}
