/* kuryrctl's command line and exit codes, kept apart from the commands so that they can be unit-tested. */
#ifndef KC_CLI_H
#define KC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes (documented in kuryrctl(8)). */
#define KC_EXIT_OK 0          /* everything checked is fine */
#define KC_EXIT_PROBLEMS 1    /* the command ran and found problems (or gc failed to remove something) */
#define KC_EXIT_USAGE 2       /* bad arguments or an unreadable configuration */
#define KC_EXIT_UNREACHABLE 3 /* the daemon, Docker, Keystone or Neutron could not be reached */

typedef enum { KC_CMD_STATUS, KC_CMD_NETWORKS, KC_CMD_PORTS, KC_CMD_GC, KC_CMD_DOCTOR, KC_CMD_HELP, KC_CMD_VERSION } kc_command;

typedef struct {
    kc_command cmd;
    bool json;
    bool dry_run;               /* gc only */
    const char *plugin_socket;  /* NULL = [DEFAULT] unix_socket */
    const char *docker_host;    /* NULL: the config's [DEFAULT] docker_host (unix:///run/docker.sock) */
    const char *driver;         /* Docker driver name of kuryr networks; NULL = the socket's basename */
} kc_args;

/* Parses what kuryr_config_parse_args left (argv[0] is the program). Returns 0, or -1 with a message. */
int kc_parse_args(int argc, char **argv, kc_args *out, char *err, size_t errlen);
void kc_usage(FILE *out);
/* "kuryr" for "/run/docker/plugins/kuryr.sock": Docker names a plugin after its socket file. */
void kc_driver_from_socket(const char *socket_path, char *out, size_t len);

#endif
