/* vif_types with no built-in plugging run upstream's script protocol: <bindir>/<vif_type> bind|unbind ... */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *s(const char *v) { return v ? v : ""; }

void kb_hook_argv_bind(const char *script, const kuryr_port *port, const char *ifname, const char *endpoint_id,
                       const char *details_json, const char *argv[KB_HOOK_ARGC + 1])
{
    const char *v[] = { script, "bind", s(port->id), s(ifname), s(endpoint_id), s(port->mac_address),
                        s(port->network_id), s(port->project_id), details_json, NULL };
    memcpy(argv, v, sizeof(v));
}

/* Upstream puts vif_details before net_id on unbind and has no project id: kept as is, since existing
 * scripts parse positions. */
void kb_hook_argv_unbind(const char *script, const kuryr_port *port, const char *ifname,
                         const char *endpoint_id, const char *details_json, const char *argv[KB_HOOK_ARGC + 1])
{
    const char *v[] = { script, "unbind", s(port->id), s(ifname), s(endpoint_id), s(port->mac_address),
                        details_json, s(port->network_id), NULL, NULL };
    memcpy(argv, v, sizeof(v));
}

static bool safe_vif_type(const char *t)
{
    if (!t || !*t || t[0] == '.')
        return false;
    return strchr(t, '/') == NULL;
}

int kb_hook_run(const kuryr_binding_cfg *cfg, bool bind, const kuryr_port *port, const char *ifname,
                const char *endpoint_id, kuryr_error *err)
{
    const char *vif_type = port->binding_vif_type;
    if (!safe_vif_type(vif_type))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "port %s: unusable binding:vif_type '%s'",
                               s(port->id), s(vif_type));
    char script[4096];
    const char *bindir = cfg->bindir && *cfg->bindir ? cfg->bindir : KB_BINDIR;
    if ((size_t)snprintf(script, sizeof(script), "%s/%s", bindir, vif_type) >= sizeof(script))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "bindir path too long");
    if (access(script, X_OK) != 0)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL,
                               "port %s: no way to plug binding:vif_type '%s': %s is missing or not executable",
                               s(port->id), vif_type, script);
    char *details = port->binding_vif_details ? json_dumps(port->binding_vif_details, JSON_COMPACT)
                                              : strdup("{}");
    if (!details)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    const char *argv[KB_HOOK_ARGC + 1];
    if (bind)
        kb_hook_argv_bind(script, port, ifname, endpoint_id, details, argv);
    else
        kb_hook_argv_unbind(script, port, ifname, endpoint_id, details, argv);
    KLOG_DEBUG("running %s %s for port %s", script, argv[1], s(port->id));
    int status = 0;
    char tail[300];
    int rc = kb_run(argv, cfg->hook_timeout_s > 0 ? cfg->hook_timeout_s : KB_HOOK_TIMEOUT_S, NULL, &status, tail,
                    sizeof(tail), err);
    free(details);
    if (rc < 0) /* a hung script was killed: the caller undoes the bind */
        return kuryr_error_prefix(err, bind ? "vif_type hook bind: " : "vif_type hook unbind: ");
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    char how[64];
    if (WIFEXITED(status))
        snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
    else
        snprintf(how, sizeof(how), "signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    size_t n = strlen(tail);
    while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
        tail[--n] = '\0';
    return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "%s %s for port %s failed (%s): %s", script,
                           bind ? "bind" : "unbind", s(port->id), how, n ? tail : "(no stderr)");
}
