/* kuryrctl doctor: the host-side prerequisites of a working kuryr-libnetwork, each problem with its fix. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ctx.h"
#include "kuryr/owner.h"
#include "render.h"

static const kc_column check_cols[] = {{"check", "CHECK"}, {"ok", "OK"}, {"detail", "DETAIL"}, {"fix", "FIX"}};

static bool any_secret_set(const kuryr_config *cfg)
{
    for (size_t i = 0; i < kuryr_options_count; i++) {
        if (kuryr_options[i].secret && kuryr_config_is_set(cfg, kuryr_options[i].section, kuryr_options[i].name))
            return true;
    }
    return false;
}

static bool check_config_files(kc_ctx *c, json_t *rows)
{
    bool ok = true;
    bool secrets = any_secret_set(c->cfg);
    static const char *const fallback[] = {"/etc/kuryr/kuryr.conf", NULL};
    const char *const *files = c->config_files && c->config_files[0] ? c->config_files : fallback;
    for (size_t i = 0; files[i]; i++) {
        struct stat st;
        char name[300];
        snprintf(name, sizeof(name), "config %s", files[i]);
        if (stat(files[i], &st) < 0) {
            if (files == fallback)
                ok &= kc_check(rows, "config", false, "copy /etc/kuryr/kuryr.conf.sample to /etc/kuryr/kuryr.conf",
                               "%s not found: running on defaults", files[i]);
            continue;
        }
        bool world = (st.st_mode & S_IROTH) != 0;
        ok &= kc_check(rows, name, !(world && secrets), "chmod 640 the file (owner root, group kuryr)",
                       "parsed; mode %03o%s", (unsigned)(st.st_mode & 0777),
                       world && secrets ? ", readable by everyone and holds a password" : "");
    }
    return ok;
}

static bool check_socket(kc_ctx *c, json_t *rows)
{
    struct stat st;
    if (lstat(c->plugin_socket, &st) < 0)
        return kc_check(rows, "plugin socket", false, "start kuryr-libnetwork (systemctl start kuryr-libnetwork)",
                        "%s does not exist", c->plugin_socket);
    if (!S_ISSOCK(st.st_mode))
        return kc_check(rows, "plugin socket", false, "remove the file; the daemon creates the socket itself",
                        "%s is not a socket", c->plugin_socket);
    return kc_check(rows, "plugin socket", (st.st_mode & 077) == 0 && st.st_uid == 0,
                    "restart kuryr-libnetwork as root: it creates the socket mode 0600",
                    "%s mode %03o owner uid %u", c->plugin_socket, (unsigned)(st.st_mode & 0777), (unsigned)st.st_uid);
}

/* Agents of this host: a port bound here only turns ACTIVE when an L2 agent (or ovn-controller) is alive.
 * Sets *ovs when the agents say that ports are plugged into OVS. Returns -1 when Neutron is unreachable. */
static int check_agents(kc_ctx *c, json_t *rows, bool *ovs)
{
    char host[KURYR_OWNER_LEN];
    kuryr_owner_host(c->cfg, host); /* the name the daemon binds ports to */
    kuryr_error err;
    kuryr_error_clear(&err);
    kuryr_auth *auth = kc_auth(c, &err);
    char *esc = kuryr_http_escape(host);
    char path[400];
    snprintf(path, sizeof(path), "/v2.0/agents?host=%s", esc ? esc : host);
    free(esc);
    kuryr_http_response resp;
    memset(&resp, 0, sizeof(resp));
    if (!auth || kuryr_auth_request(auth, "GET", path, NULL, &resp, &err) < 0 || resp.status != 200) {
        if (resp.status)
            kuryr_neutron_error_from_response(resp.status, resp.body, &err);
        kuryr_http_response_clear(&resp);
        kc_check(rows, "agents", false, "run kuryrctl status: Neutron must be reachable (agents need admin rights)",
                 "cannot list agents: %s", err.message);
        return err.kind == KURYR_ERR_UNAVAILABLE ? -1 : 0;
    }
    json_t *body = json_loads(resp.body, 0, NULL);
    kuryr_http_response_clear(&resp);
    size_t i, alive = 0, dead = 0;
    json_t *a;
    char types[256] = "";
    json_array_foreach(json_object_get(body, "agents"), i, a) {
        const char *type = json_string_value(json_object_get(a, "agent_type"));
        if (json_is_true(json_object_get(a, "alive")))
            alive++;
        else
            dead++;
        if (type && (strstr(type, "Open vSwitch") || strstr(type, "OVN")))
            *ovs = true;
        if (type && strlen(types) + strlen(type) + 3 < sizeof(types)) {
            if (*types)
                strcat(types, ", ");
            strcat(types, type);
        }
    }
    json_decref(body);
    kc_check(rows, "agents", alive > 0 && dead == 0,
             alive ? "restart the dead agents on this host" : "start the Neutron L2 agent on this host with host=<hostname>",
             "host %s: %zu alive, %zu dead (%s)", host, alive, dead, *types ? types : "none");
    return 0;
}

/* A kernel feature is usable when its code is in the running kernel (built in or loaded: its symbol is in
 * /proc/kallsyms; built-in modules without parameters have no /sys/module entry) or when its module can be
 * autoloaded (listed in modules.dep). */
static bool kernel_has(const char *mod, const char *symbol)
{
    char path[256], line[512];
    snprintf(path, sizeof(path), "/sys/module/%s", mod);
    if (access(path, F_OK) == 0)
        return true;
    bool found = false;
    FILE *f = fopen("/proc/kallsyms", "r");
    size_t sl = strlen(symbol);
    while (f && !found && fgets(line, sizeof(line), f)) {
        char *sp = strrchr(line, ' ');
        found = sp && !strncmp(sp + 1, symbol, sl) && (sp[1 + sl] == '\n' || sp[1 + sl] == '\t');
    }
    if (f)
        fclose(f);
    struct utsname u;
    if (!found && uname(&u) == 0) {
        snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
        char want[64];
        snprintf(want, sizeof(want), "/%s.ko", mod);
        f = fopen(path, "r");
        while (f && !found && fgets(line, sizeof(line), f))
            found = strstr(line, want) != NULL;
        if (f)
            fclose(f);
    }
    return found;
}

static bool check_module(json_t *rows, const char *mod, const char *symbol, const char *why)
{
    char name[64], fix[64];
    snprintf(name, sizeof(name), "kernel %s", mod);
    snprintf(fix, sizeof(fix), "modprobe %s", mod);
    return kc_check(rows, name, kernel_has(mod, symbol), fix, "%s", why);
}

static bool in_path(const char *prog)
{
    const char *env = getenv("PATH");
    char *paths = strdup(env && *env ? env : "/usr/sbin:/usr/bin:/sbin:/bin"), *save = NULL;
    bool found = false;
    for (char *d = strtok_r(paths, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        char full[512];
        snprintf(full, sizeof(full), "%s/%s", d, prog);
        found = access(full, X_OK) == 0;
    }
    free(paths);
    return found;
}

static bool check_hooks(kc_ctx *c, json_t *rows)
{
    const char *bindir = kuryr_config_get_str(c->cfg, "DEFAULT", "bindir");
    DIR *d = opendir(bindir);
    if (!d)
        return kc_check(rows, "hook scripts", true, NULL, "%s absent: only needed for vif_types without built-in plugging",
                        bindir);
    bool ok = true;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char full[1024];
        struct stat st;
        snprintf(full, sizeof(full), "%s/%s", bindir, e->d_name);
        if (e->d_name[0] == '.' || stat(full, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        n++;
        if (access(full, X_OK) != 0) {
            char fix[1100];
            snprintf(fix, sizeof(fix), "chmod 755 %s", full);
            ok &= kc_check(rows, "hook script", false, fix, "%s is not executable", full);
        } else if (st.st_mode & S_IWOTH) {
            char fix[1100];
            snprintf(fix, sizeof(fix), "chmod o-w %s", full);
            ok &= kc_check(rows, "hook script", false, fix, "%s is writable by everyone and runs as root", full);
        }
    }
    closedir(d);
    if (ok)
        kc_check(rows, "hook scripts", true, NULL, "%s: %zu scripts, all executable", bindir, n);
    return ok;
}

int kc_cmd_doctor(kc_ctx *c)
{
    json_t *rows = json_array();
    bool ok = true, unreachable = false, ovs = false;
    ok &= check_config_files(c, rows);
    ok &= check_socket(c, rows);
    if (check_agents(c, rows, &ovs) < 0)
        unreachable = true;
    ok &= check_module(rows, "bridge", "br_add_bridge", "Linux bridge plugging (vif_type bridge)");
    ok &= check_module(rows, "veth", "veth_newlink", "veth pairs (the default driver)");
    if (ovs)
        ok &= kc_check(rows, "ovs-vsctl", in_path("ovs-vsctl"), "apt-get install openvswitch-switch",
                       "needed for vif_type ovs (this host's agents use Open vSwitch)");
    ok &= check_hooks(c, rows);
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r) ok &= json_is_true(json_object_get(r, "ok"));
    kc_render(stdout, rows, check_cols, 4, c->args.json);
    json_decref(rows);
    return unreachable ? KC_EXIT_UNREACHABLE : ok ? KC_EXIT_OK : KC_EXIT_PROBLEMS;
}
