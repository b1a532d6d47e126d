/* kuryrctl: administration of a kuryr-libnetwork host (see kuryrctl(8)). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ctx.h"
#include "kuryr/config.h"
#include "kuryr/log.h"

/* The --config-file paths, remembered before kuryr_config_parse_args consumes them (doctor checks their
 * permissions). */
static char **config_files(int argc, char **argv)
{
    char **out = calloc((size_t)argc + 1, sizeof(*out));
    size_t n = 0;
    for (int i = 1; out && i < argc; i++) {
        if (!strcmp(argv[i], "--config-file") && i + 1 < argc)
            out[n++] = argv[++i];
        else if (!strncmp(argv[i], "--config-file=", 14))
            out[n++] = argv[i] + 14;
    }
    return out;
}

int main(int argc, char **argv)
{
    /* library warnings go to stderr and stay out of tables and JSON */
    kuryr_log_init("kuryrctl", KURYR_LOG_ERROR, false);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            kc_usage(stdout);
            return KC_EXIT_OK;
        }
        if (!strcmp(argv[i], "--version")) {
            printf("kuryrctl %s\n", KURYR_VERSION);
            return KC_EXIT_OK;
        }
    }
    char **files = config_files(argc, argv);
    kuryr_config *cfg = kuryr_config_new();
    char msg[512];
    if (!files || !cfg || kuryr_config_parse_args(cfg, &argc, argv, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "kuryrctl: %s\n", cfg && files ? msg : "out of memory");
        kuryr_config_free(cfg);
        free(files);
        return KC_EXIT_USAGE;
    }
    kc_args args;
    if (kc_parse_args(argc, argv, &args, msg, sizeof(msg)) < 0) {
        fprintf(stderr, "kuryrctl: %s\n", msg);
        kc_usage(stderr);
        kuryr_config_free(cfg);
        free(files);
        return KC_EXIT_USAGE;
    }
    if (args.cmd == KC_CMD_HELP) {
        kc_usage(stdout);
        kuryr_config_free(cfg);
        free(files);
        return KC_EXIT_OK;
    }
    kc_ctx c;
    kc_ctx_init(&c, cfg, &args);
    c.config_files = (const char *const *)files;
    int rc = KC_EXIT_USAGE;
    switch (args.cmd) {
    case KC_CMD_STATUS: rc = kc_cmd_status(&c); break;
    case KC_CMD_NETWORKS: rc = kc_cmd_networks(&c); break;
    case KC_CMD_PORTS: rc = kc_cmd_ports(&c); break;
    case KC_CMD_GC: rc = kc_cmd_gc(&c); break;
    case KC_CMD_DOCTOR: rc = kc_cmd_doctor(&c); break;
    default: break;
    }
    kc_ctx_fini(&c);
    kuryr_config_free(cfg);
    free(files);
    return rc;
}
