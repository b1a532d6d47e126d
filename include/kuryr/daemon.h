/* What every Kuryr-C daemon does the same way around its own work: logging as kuryr.conf's [DEFAULT] says,
 * and signals (SIGTERM/SIGINT stop, SIGHUP is ignored) taken synchronously by the main thread. */
#ifndef KURYR_DAEMON_H
#define KURYR_DAEMON_H

#include <signal.h>

#include "kuryr/config.h"
#include "kuryr/error.h"

/* Applies [DEFAULT] debug, use_syslog, syslog_log_facility and log_file, naming the program prog in every
 * line. 0, or -1 after printing why to stderr. */
int kuryr_daemon_setup_logging(const kuryr_config *cfg, const char *prog);

/* The daemons' common command line: [--config-file PATH]... [--config-dir DIR] [--dump-config] [--help]
 * [--version], loaded into cfg; summary is the one line under the usage. Returns -1 to go on, or the exit code
 * to leave with (0 after --help, --version or --dump-config; 2 for a bad argument or config file). */
int kuryr_daemon_parse_args(kuryr_config *cfg, int argc, char **argv, const char *prog, const char *summary);

/* A daemon's whole life for main(): the command line (kuryr_daemon_parse_args), logging, signals blocked before
 * any thread starts, start(cfg) (NULL with err: logged, exit 1), then SIGTERM/SIGINT, then stop(daemon).
 * describe (may be NULL) writes what the "started" line should name. Returns main's exit code. */
typedef void *(*kuryr_daemon_start_fn)(const kuryr_config *cfg, kuryr_error *err);
typedef void (*kuryr_daemon_stop_fn)(void *daemon);
typedef const char *(*kuryr_daemon_describe_fn)(const void *daemon);
int kuryr_daemon_main(int argc, char **argv, const char *prog, const char *summary, kuryr_daemon_start_fn start,
                      kuryr_daemon_stop_fn stop, kuryr_daemon_describe_fn describe);

/* Blocks SIGINT, SIGTERM and SIGHUP in the calling thread, and so in every thread it starts afterwards (call it
 * before starting any), and ignores SIGPIPE. set receives the blocked signals for kuryr_daemon_wait_stop. */
void kuryr_daemon_block_signals(sigset_t *set);
/* Waits for SIGTERM or SIGINT (logging SIGHUP as ignored: a restart reloads the configuration); returns the
 * signal. */
int kuryr_daemon_wait_stop(const sigset_t *set);

#endif
