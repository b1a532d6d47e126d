/* Logging set-up and signal handling shared by the daemons (see kuryr/daemon.h). */
#include "kuryr/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
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
