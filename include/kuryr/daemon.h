/* What every Kuryr-C daemon does the same way around its own work: logging as kuryr.conf's [DEFAULT] says,
 * and signals (SIGTERM/SIGINT stop, SIGHUP is ignored) taken synchronously by the main thread. */
#ifndef KURYR_DAEMON_H
#define KURYR_DAEMON_H

#include <signal.h>

#include "kuryr/config.h"

/* Applies [DEFAULT] debug, use_syslog, syslog_log_facility and log_file, naming the program prog in every
 * line. 0, or -1 after printing why to stderr. */
int kuryr_daemon_setup_logging(const kuryr_config *cfg, const char *prog);

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in every thread it starts afterwards (call it
 * before starting any), and ignores SIGPIPE. set receives the blocked signals for kuryr_daemon_wait_stop. */
void kuryr_daemon_block_signals(sigset_t *set);
/* Waits for SIGTERM or SIGINT (logging SIGHUP as ignored: a restart reloads the configuration); returns the
 * signal. */
int kuryr_daemon_wait_stop(const sigset_t *set);

#endif
