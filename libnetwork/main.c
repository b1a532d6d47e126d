/* kuryr-libnetwork: Docker remote network and IPAM driver backed by Neutron. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/daemon.h"
#include "kuryr/log.h"
#include "metrics.h"
#include "plugin.h"
#include "reconcile.h"
#include "server.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: kuryr-libnetwork [--config-file PATH]... [--config-dir DIR] [--dump-config] [--help] "
            "[--version]\n"
            "Docker remote network and IPAM driver that gives containers Neutron ports.\n"
            "  --config-file PATH  load PATH (repeatable; default /etc/kuryr/kuryr.conf)\n"
            "  --config-dir DIR    load every *.conf in DIR\n"
            "  --dump-config       print the effective configuration (secrets masked) and exit;\n"
            "                      every option is described in docs/config-reference.md and\n"
            "                      kuryr-libnetwork(8)\n"
            "  --help              show this help\n"
            "  --version           print the version\n");
}

int main(int argc, char **argv)
{
    kuryr_log_init("kuryr-libnetwork", KURYR_LOG_INFO, false);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("kuryr-libnetwork %s\n", KURYR_VERSION);
            return 0;
        }
    }
    kuryr_config *cfg = kuryr_config_new();
    char msg[512];
    if (!cfg || kuryr_config_parse_args(cfg, &argc, argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "kuryr-libnetwork: %s\n", cfg ? msg : "out of memory");
        kuryr_config_free(cfg);
        return 2;
    }
    bool dump = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump-config")) {
            dump = true;
        } else {
            fprintf(stderr, "kuryr-libnetwork: unknown argument %s\n", argv[i]);
            usage(stderr);
            kuryr_config_free(cfg);
            return 2;
        }
    }
    if (dump) {
        kuryr_config_dump_effective(cfg, stdout, "kuryr-libnetwork");
        kuryr_config_free(cfg);
        return 0;
    }
    if (kuryr_daemon_setup_logging(cfg, "kuryr-libnetwork") < 0) {
        kuryr_config_free(cfg);
        return 2;
    }

    /* the server's threads inherit this mask, so only the wait below sees these signals */
    sigset_t set;
    kuryr_daemon_block_signals(&set);

    kl_plugin plugin;
    kuryr_error err;
    kuryr_error_clear(&err);
    if (kl_plugin_init(&plugin, cfg, &err) < 0) {
        KLOG_ERROR("cannot start: %s", err.message);
        kuryr_config_free(cfg);
        return 1;
    }
    kl_reconcile_startup(&plugin); /* before serving: no plugin call of ours can be in flight */
    kl_server *server = kl_server_start(&plugin, &err);
    if (!server) {
        KLOG_ERROR("cannot start: %s", err.message);
        kl_plugin_fini(&plugin);
        kuryr_config_free(cfg);
        return 1;
    }
    kl_metrics_server *metrics = NULL;
    const char *metrics_listen = kuryr_config_get_str(cfg, "DEFAULT", "metrics_listen");
    if (*metrics_listen && !(metrics = kl_metrics_start(&plugin, metrics_listen, &err))) {
        KLOG_ERROR("cannot start: %s", err.message);
        kl_server_stop(server);
        kl_plugin_fini(&plugin);
        kuryr_config_free(cfg);
        return 1;
    }
    kl_reconciler *reconciler = kl_reconciler_start(&plugin);
    KLOG_INFO("kuryr-libnetwork %s started", KURYR_VERSION);
    kuryr_daemon_wait_stop(&set);
    kl_reconciler_stop(reconciler);
    kl_metrics_stop(metrics);
    kl_server_stop(server);
    kl_plugin_fini(&plugin);
    kuryr_config_free(cfg);
    kuryr_log_set_file(NULL);
    return 0;
}
