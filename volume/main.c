/* kuryr-volume: Docker volume driver "fuxi" backed by Cinder. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "kuryr/daemon.h"
#include "kuryr/plugin_server.h"
#include "volume.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: kuryr-volume [--config-file PATH]... [--config-dir DIR] [--dump-config] [--help] [--version]\n"
                 "Docker volume driver (fuxi) that gives containers Cinder volumes.\n"
                 "  --config-file PATH  load PATH (repeatable; default /etc/kuryr/kuryr.conf)\n"
                 "  --config-dir DIR    load every *.conf in DIR\n"
                 "  --dump-config       print the effective configuration (secrets masked) and exit\n"
                 "  --help              show this help\n"
                 "  --version           print the version\n");
}

static int fail(kuryr_config *cfg, const char *what, const char *msg)
{
    fprintf(stderr, "kuryr-volume: %s%s\n", what, msg);
    kuryr_config_free(cfg);
    return 2;
}

int main(int argc, char **argv)
{
    kuryr_log_init("kuryr-volume", KURYR_LOG_INFO, false);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("kuryr-volume %s\n", KURYR_VERSION);
            return 0;
        }
    }
    kuryr_config *cfg = kuryr_config_new();
    char msg[512];
    if (!cfg)
        return fail(NULL, "out of memory", "");
    if (kuryr_config_parse_args(cfg, &argc, argv, msg, sizeof(msg)) < 0)
        return fail(cfg, "", msg);
    if (argc == 2 && !strcmp(argv[1], "--dump-config")) {
        kuryr_config_dump_effective(cfg, stdout, "kuryr-volume");
        kuryr_config_free(cfg);
        return 0;
    }
    if (argc > 1) {
        usage(stderr);
        return fail(cfg, "unknown argument ", argv[1]);
    }
    if (kuryr_daemon_setup_logging(cfg, "kuryr-volume") < 0) {
        kuryr_config_free(cfg);
        return 2;
    }

    /* the server's threads inherit this mask, so only sigwait below sees these signals */
    sigset_t set;
    kuryr_daemon_block_signals(&set);

    kv_daemon d;
    kuryr_error err;
    kuryr_error_clear(&err);
    if (kv_daemon_init(&d, cfg, &err) < 0) {
        KLOG_ERROR("cannot start: %s", err.message);
        kuryr_config_free(cfg);
        return 1;
    }
    kv_settle(&d); /* before serving: no request of ours can be in flight */
    kuryr_plugin_server_opts so = {
        .unix_path = kuryr_config_get_str(cfg, "DEFAULT", "volume_unix_socket"),
        .max_body = (size_t)kuryr_config_get_int(cfg, "DEFAULT", "max_request_body"),
        .max_connections = (unsigned)kuryr_config_get_int(cfg, "DEFAULT", "max_connections"),
        .timeout_s = (unsigned)kuryr_config_get_int(cfg, "DEFAULT", "request_timeout"),
    };
    kuryr_plugin_server *server = kuryr_plugin_server_start(&so, kv_handle, &d, &err);
    if (!server) {
        KLOG_ERROR("cannot start: %s", err.message);
        kv_daemon_fini(&d);
        kuryr_config_free(cfg);
        return 1;
    }
    KLOG_INFO("kuryr-volume %s started: driver on unix:%s, host %s", KURYR_VERSION, so.unix_path, d.host);
    kuryr_daemon_wait_stop(&set); /* the mounts stay for the containers that use them */
    kuryr_plugin_server_stop(server);
    kv_daemon_fini(&d);
    kuryr_config_free(cfg);
    kuryr_log_set_file(NULL);
    return 0;
}
