/* kuryr-daemon: plugs pods into their Neutron ports for kuryr-cni (see kd.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/config.h"
#include "kuryr/daemon.h"
#include "kuryr/log.h"

#define PROG "kuryr-daemon"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: " PROG " [--config-file PATH]... [--config-dir DIR] [--dump-config] [--help] [--version]\n"
            "Kubernetes CNI daemon: plugs the pods of its node into the Neutron ports kuryr-k8s-controller made.\n"
            "  --config-file PATH  load PATH (repeatable; default /etc/kuryr/kuryr.conf)\n"
            "  --config-dir DIR    load every *.conf in DIR\n"
            "  --dump-config       print the effective configuration (secrets masked) and exit\n"
            "  --help              show this help\n"
            "  --version           print the version\n");
}

/* Parses the command line into cfg. Returns -1 to go on, or the exit code. */
static int parse_args(kuryr_config *cfg, int argc, char **argv)
{
    char msg[512];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf(PROG " %s\n", KURYR_VERSION);
            return 0;
        }
    }
    if (kuryr_config_parse_args(cfg, &argc, argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, PROG ": %s\n", msg);
        return 2;
    }
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dump-config") != 0) {
            fprintf(stderr, PROG ": unknown argument %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
        dump = true;
    }
    if (dump) {
        kuryr_config_dump_effective(cfg, stdout, PROG);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv)
{
    kuryr_log_init(PROG, KURYR_LOG_INFO, false);
    kuryr_config *cfg = kuryr_config_new();
    if (!cfg) {
        fprintf(stderr, PROG ": out of memory\n");
        return 1;
    }
    int rc = parse_args(cfg, argc, argv);
    if (rc >= 0 || kuryr_daemon_setup_logging(cfg, PROG) < 0) {
        kuryr_config_free(cfg);
        return rc >= 0 ? rc : 2;
    }
    /* Every thread inherits this mask, so only the wait below sees these signals. */
    sigset_t set;
    kuryr_daemon_block_signals(&set);

    kuryr_error err;
    kuryr_error_clear(&err);
    kd_daemon *d = kd_start(cfg, &err);
    if (!d) {
        KLOG_ERROR("cannot start: %s", err.message);
        kuryr_config_free(cfg);
        kuryr_log_set_file(NULL);
        return 1;
    }
    KLOG_INFO(PROG " %s started for node %s", KURYR_VERSION, d->node);
    kuryr_daemon_wait_stop(&set);
    kd_stop(d);
    KLOG_INFO("stopped");
    kuryr_config_free(cfg);
    kuryr_log_set_file(NULL);
    return 0;
}
