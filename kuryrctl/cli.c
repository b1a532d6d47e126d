/* Argument handling for kuryrctl (see cli.h). */
#include "cli.h"

#include <string.h>

void kc_usage(FILE *out)
{
    fprintf(out,
            "Usage: kuryrctl [--config-file PATH]... [--config-dir DIR] [options] COMMAND\n"
            "Administration of a kuryr-libnetwork host.\n"
            "Commands:\n"
            "  status           daemon socket, Keystone and Neutron reachability, Neutron extensions\n"
            "  networks         Docker networks of the kuryr driver and their Neutron networks\n"
            "  ports            Docker endpoints of those networks and their Neutron ports\n"
            "  gc [--dry-run]   remove (or only list) kuryr objects Docker no longer knows\n"
            "  doctor           check configuration, permissions, agents and binding prerequisites\n"
            "Options:\n"
            "  --json                  machine-readable output\n"
            "  --socket PATH           the daemon's plugin socket (default: [DEFAULT] unix_socket)\n"
            "  --docker-host URI       Docker's API (default: [DEFAULT] docker_host, unix:///run/docker.sock)\n"
            "  --driver NAME           Docker driver name of kuryr networks (default: the socket's name)\n"
            "  --help, --version\n"
            "Exit codes: 0 ok, 1 problems found, 2 usage or configuration error, 3 cannot reach a service.\n");
}

void kc_driver_from_socket(const char *socket_path, char *out, size_t len)
{
    const char *base = strrchr(socket_path, '/');
    base = base ? base + 1 : socket_path;
    size_t n = strlen(base);
    if (n > 5 && !strcmp(base + n - 5, ".sock"))
        n -= 5;
    if (n >= len)
        n = len - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

static int fail(char *err, size_t errlen, const char *what, const char *arg)
{
    snprintf(err, errlen, "%s%s%s", what, arg ? ": " : "", arg ? arg : "");
    return -1;
}

/* --name VALUE or --name=VALUE; returns true and sets *val when argv[*i] is that option. */
static bool take(int argc, char **argv, int *i, const char *name, const char **val, bool *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return false;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return true;
    }
    if (argv[*i][n] != '\0')
        return false;
    if (*i + 1 >= argc) {
        *missing = true;
        return true;
    }
    *val = argv[++*i];
    return true;
}

int kc_parse_args(int argc, char **argv, kc_args *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->docker_host = NULL; /* [DEFAULT] docker_host of the config files */
    const char *command = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool missing = false;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            out->cmd = KC_CMD_HELP;
            return 0;
        }
        if (!strcmp(a, "--version")) {
            out->cmd = KC_CMD_VERSION;
            return 0;
        }
        if (!strcmp(a, "--json")) {
            out->json = true;
        } else if (!strcmp(a, "--dry-run")) {
            out->dry_run = true;
        } else if (take(argc, argv, &i, "--socket", &out->plugin_socket, &missing) ||
                   take(argc, argv, &i, "--docker-host", &out->docker_host, &missing) ||
                   take(argc, argv, &i, "--driver", &out->driver, &missing)) {
            if (missing)
                return fail(err, errlen, "missing value for", a);
        } else if (a[0] == '-') {
            return fail(err, errlen, "unknown option", a);
        } else if (command) {
            return fail(err, errlen, "unexpected argument", a);
        } else {
            command = a;
        }
    }
    if (!command)
        return fail(err, errlen, "missing command", NULL);
    static const struct {
        const char *name;
        kc_command cmd;
    } cmds[] = {{"status", KC_CMD_STATUS}, {"networks", KC_CMD_NETWORKS}, {"ports", KC_CMD_PORTS},
                {"gc", KC_CMD_GC},         {"doctor", KC_CMD_DOCTOR},     {"help", KC_CMD_HELP}};
    bool found = false;
    for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
        if (!strcmp(command, cmds[k].name)) {
            out->cmd = cmds[k].cmd;
            found = true;
        }
    }
    if (!found)
        return fail(err, errlen, "unknown command", command);
    if (out->dry_run && out->cmd != KC_CMD_GC)
        return fail(err, errlen, "--dry-run only applies to gc", NULL);
    if (out->driver && !*out->driver)
        return fail(err, errlen, "--driver is empty", NULL);
    return 0;
}
