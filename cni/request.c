/* The CNI request: which variables each command needs, and the network config's rules (see cni.h). */
#include "cni.h"

#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const cni_supported_versions[] = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL};

static const char *const command_names[CNI_N_COMMANDS] = {"ADD", "DEL", "CHECK", "VERSION", "STATUS", "GC"};

/* Which variables each command must have (spec 1.1.0, "Parameters"). CNI_NETNS is optional on DEL. */
enum { NEED_CONTAINERID = 1, NEED_NETNS = 2, NEED_IFNAME = 4, NEED_PATH = 8 };
static const unsigned command_needs[CNI_N_COMMANDS] = {
    [CNI_ADD] = NEED_CONTAINERID | NEED_NETNS | NEED_IFNAME | NEED_PATH,
    [CNI_DEL] = NEED_CONTAINERID | NEED_IFNAME | NEED_PATH,
    [CNI_CHECK] = NEED_CONTAINERID | NEED_NETNS | NEED_IFNAME | NEED_PATH,
    [CNI_VERSION] = 0,
    [CNI_STATUS] = NEED_PATH,
    [CNI_GC] = NEED_PATH,
};
/* The oldest config version that allows each command. */
static const char *const command_since[CNI_N_COMMANDS] = {
    [CNI_ADD] = "0.3.0", [CNI_DEL] = "0.3.0", [CNI_CHECK] = "0.4.0",
    [CNI_VERSION] = "0.3.0", [CNI_STATUS] = "1.1.0", [CNI_GC] = "1.1.0",
};

int cni_error_set(cni_error *err, int code, const char *msg, const char *details_fmt, ...)
{
    err->code = code;
    snprintf(err->msg, sizeof(err->msg), "%s", msg);
    err->details[0] = '\0';
    if (details_fmt) {
        va_list ap;
        va_start(ap, details_fmt);
        vsnprintf(err->details, sizeof(err->details), details_fmt, ap);
        va_end(ap);
    }
    return -1;
}

int cni_command_parse(const char *name)
{
    for (int i = 0; name && i < CNI_N_COMMANDS; i++)
        if (!strcmp(name, command_names[i]))
            return i;
    return -1;
}

const char *cni_command_name(cni_command cmd)
{
    return cmd < CNI_N_COMMANDS ? command_names[cmd] : "?";
}

bool cni_version_supported(const char *v)
{
    for (const char *const *s = cni_supported_versions; v && *s; s++)
        if (!strcmp(*s, v))
            return true;
    return false;
}

int cni_version_cmp(const char *a, const char *b)
{
    unsigned long x[3] = {0}, y[3] = {0};
    sscanf(a, "%lu.%lu.%lu", &x[0], &x[1], &x[2]);
    sscanf(b, "%lu.%lu.%lu", &y[0], &y[1], &y[2]);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* The spec: letters, digits, '_', '.', '-', starting with a letter or digit. */
static bool valid_container_id(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == strlen(s);
}

/* A Linux interface name: 1..15 bytes, not "." or "..", no '/', ':' or white space. */
static bool valid_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    return strcspn(s, "/: \t\n\r\v\f") == n;
}

static const char *env_or_empty(const char *(*getenv_fn)(const char *, void *), void *ud, const char *name)
{
    const char *v = getenv_fn(name, ud);
    return v ? v : "";
}

int cni_env_parse(cni_request *req, const char *(*getenv_fn)(const char *name, void *ud), void *ud,
                  cni_error *err)
{
    const char *cmd = getenv_fn("CNI_COMMAND", ud);
    if (!cmd || !*cmd)
        return cni_error_set(err, CNI_ERR_INVALID_ENV, "required env variables [CNI_COMMAND] missing", NULL);
    int c = cni_command_parse(cmd);
    if (c < 0)
        return cni_error_set(err, CNI_ERR_INVALID_ENV, "unknown CNI_COMMAND", "CNI_COMMAND=%.64s", cmd);
    req->command = (cni_command)c;
    req->container_id = env_or_empty(getenv_fn, ud, "CNI_CONTAINERID");
    req->netns = env_or_empty(getenv_fn, ud, "CNI_NETNS");
    req->ifname = env_or_empty(getenv_fn, ud, "CNI_IFNAME");
    req->args = env_or_empty(getenv_fn, ud, "CNI_ARGS");
    req->path = env_or_empty(getenv_fn, ud, "CNI_PATH");

    unsigned need = command_needs[c];
    char missing[96] = "";
    const struct { unsigned bit; const char *name; const char *value; } vars[] = {
        {NEED_CONTAINERID, "CNI_CONTAINERID", req->container_id},
        {NEED_NETNS, "CNI_NETNS", req->netns},
        {NEED_IFNAME, "CNI_IFNAME", req->ifname},
        {NEED_PATH, "CNI_PATH", req->path},
    };
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        if ((need & vars[i].bit) && !*vars[i].value)
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s", *missing ? " " : "",
                     vars[i].name);
    if (*missing)
        return cni_error_set(err, CNI_ERR_INVALID_ENV, "required env variables missing", "[%s] for %s", missing,
                             cmd);
    if (*req->container_id && !valid_container_id(req->container_id))
        return cni_error_set(err, CNI_ERR_INVALID_ENV, "invalid characters in CNI_CONTAINERID", "%.128s",
                             req->container_id);
    if (*req->ifname && !valid_ifname(req->ifname))
        return cni_error_set(err, CNI_ERR_INVALID_ENV, "invalid CNI_IFNAME", "%.64s", req->ifname);
    return 0;
}

/* [cni_daemon] socket_path from the kuryr.conf named by "kuryr_conf" (upstream's conflist key). */
static int on_ini(void *ud, const char *section, const char *name, const char *value)
{
    char *out = ud;
    if (!strcmp(section, "cni_daemon") && !strcmp(name, "socket_path") && *value)
        snprintf(out, 108, "%s", value);
    return 1;
}

static int config_socket(cni_request *req, cni_error *err)
{
    json_t *sock = json_object_get(req->config, "daemon_socket");
    json_t *conf = json_object_get(req->config, "kuryr_conf");
    snprintf(req->socket_path, sizeof(req->socket_path), "%s", CNI_DEFAULT_SOCKET);
    if (conf && !json_is_string(conf))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config", "kuryr_conf must be a path");
    if (sock && (!json_is_string(sock) || json_string_value(sock)[0] != '/' ||
                 json_string_length(sock) >= sizeof(req->socket_path)))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                             "daemon_socket must be an absolute path shorter than %zu bytes",
                             sizeof(req->socket_path));
    if (sock) {
        snprintf(req->socket_path, sizeof(req->socket_path), "%s", json_string_value(sock));
    } else if (conf) {
        int rc = ini_parse(json_string_value(conf), on_ini, req->socket_path);
        if (rc != 0)
            return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                                 "kuryr_conf %.200s cannot be read (%s %d)", json_string_value(conf),
                                 rc < 0 ? "error" : "line", rc);
        if (req->socket_path[0] != '/')
            return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                                 "[cni_daemon] socket_path must be an absolute path");
    }
    return 0;
}

/* The spec's network name: letters, digits, '_', '.', '-', starting with a letter or digit. */
static bool valid_name(const char *s)
{
    return valid_container_id(s);
}

/* GC's list of attachments to keep. Spec 1.1.0's text named it "cni.dev/attachments" (libcni >= 1.2 sends both
 * names); the daemon always gets "cni.dev/valid-attachments". Without either list nothing can be judged stale:
 * kuryr-cni then collects nothing rather than everything (cnitool's `gc` sends no list). */
static int check_gc_list(cni_request *req, cni_error *err)
{
    json_t *valid = json_object_get(req->config, "cni.dev/valid-attachments");
    if (!valid && (valid = json_object_get(req->config, "cni.dev/attachments")))
        json_object_set(req->config, "cni.dev/valid-attachments", valid);
    req->gc_nothing_to_judge = !valid;
    size_t i;
    json_t *a;
    if (valid && !json_is_array(valid))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                             "cni.dev/valid-attachments must be a list");
    json_array_foreach(valid, i, a) {
        if (!json_is_string(json_object_get(a, "containerID")) || !json_is_string(json_object_get(a, "ifname")))
            return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                                 "cni.dev/valid-attachments[%zu] needs containerID and ifname", i);
    }
    return 0;
}

static int check_fields(cni_request *req, cni_error *err)
{
    json_t *cfg = req->config;
    json_t *name = json_object_get(cfg, "name"), *type = json_object_get(cfg, "type");
    if (!json_is_string(name) || !valid_name(json_string_value(name)))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                             "name must be a string of letters, digits, '_', '.' and '-'");
    if (!json_is_string(type) || !*json_string_value(type))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config", "type must be a string");
    json_t *prev = json_object_get(cfg, "prevResult");
    if (prev && !json_is_object(prev) && !json_is_null(prev))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config", "prevResult must be an object");
    json_t *timeout = json_object_get(cfg, "daemon_timeout");
    req->timeout_s = CNI_DEFAULT_TIMEOUT_S;
    if (timeout) {
        if (!json_is_integer(timeout) || json_integer_value(timeout) < 1 || json_integer_value(timeout) > 3600)
            return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config",
                                 "daemon_timeout must be a number of seconds from 1 to 3600");
        req->timeout_s = (long)json_integer_value(timeout);
    }
    if (req->command == CNI_GC && check_gc_list(req, err) < 0)
        return -1;
    return config_socket(req, err);
}

int cni_config_parse(cni_request *req, const char *buf, size_t len, cni_error *err)
{
    json_error_t jerr;
    req->config = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!req->config)
        return cni_error_set(err, CNI_ERR_DECODE, "failed to decode the network config", "%s (line %d)",
                             jerr.text, jerr.line);
    if (!json_is_object(req->config))
        return cni_error_set(err, CNI_ERR_DECODE, "failed to decode the network config", "not a JSON object");
    json_t *v = json_object_get(req->config, "cniVersion");
    if (v && !json_is_string(v))
        return cni_error_set(err, CNI_ERR_INVALID_CONFIG, "invalid network config", "cniVersion must be a string");
    /* A config without cniVersion predates 0.2.0 (the spec's rule): too old for this plugin. */
    const char *version = v ? json_string_value(v) : "0.1.0";
    if (!cni_version_supported(version))
        return cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION, "incompatible CNI versions",
                             "config is \"%.32s\", plugin supports 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0", version);
    snprintf(req->version, sizeof(req->version), "%s", version);
    const char *since = command_since[req->command];
    if (cni_version_cmp(version, since) < 0)
        return cni_error_set(err, CNI_ERR_INCOMPATIBLE_VERSION, "config version does not allow the command",
                             "%s needs cniVersion %s or later, config is %s", cni_command_name(req->command),
                             since, version);
    return check_fields(req, err);
}

void cni_request_clear(cni_request *req)
{
    json_decref(req->config);
    req->config = NULL;
}

json_t *cni_version_result(const char *requested)
{
    json_t *list = json_array();
    for (const char *const *s = cni_supported_versions; *s; s++)
        json_array_append_new(list, json_string(*s));
    const char *v = cni_version_supported(requested) ? requested : CNI_LATEST_VERSION;
    return json_pack("{s:s, s:o}", "cniVersion", v, "supportedVersions", list);
}

json_t *cni_error_json(const cni_error *err, const char *version)
{
    return json_pack("{s:s, s:i, s:s, s:s}", "cniVersion", cni_version_supported(version) ? version : CNI_LATEST_VERSION,
                     "code", err->code, "msg", err->msg, "details", err->details);
}
