/* Parsing and checking the CNI daemon API's requests (see request.h). */
#include "request.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const paths[] = {[KD_ADD] = "/addNetwork", [KD_DEL] = "/delNetwork",
                                    [KD_CHECK] = "/checkNetwork", [KD_STATUS] = "/status", [KD_GC] = "/gc"};
static const char *const names[] = {[KD_ADD] = "ADD", [KD_DEL] = "DEL", [KD_CHECK] = "CHECK",
                                    [KD_STATUS] = "STATUS", [KD_GC] = "GC"};

int kd_verb_from_path(const char *path)
{
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (path && !strcmp(path, paths[i]))
            return (int)i;
    return -1;
}

const char *kd_verb_name(kd_verb verb)
{
    return (unsigned)verb < sizeof(names) / sizeof(names[0]) ? names[verb] : "?";
}

int kd_fail_set(kd_fail *f, int http_status, int code, const char *msg, const char *fmt, ...)
{
    f->http_status = http_status;
    f->code = code;
    snprintf(f->msg, sizeof(f->msg), "%s", msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->details, sizeof(f->details), fmt, ap);
    va_end(ap);
    return -1;
}

char *kd_fail_json(const kd_fail *f)
{
    json_t *o = json_pack("{s:i,s:s,s:s}", "code", f->code, "msg", f->msg, "details", f->details);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

/* The CNI spec's container id: alphanumerics, then also '_', '.' and '-'. */
static bool valid_container_id(const char *s)
{
    if (!*s || !isalnum((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
            return false;
    return true;
}

/* What the kernel takes as an interface name, minus what would break a record: 1..15 printable
 * characters, no '/', ':' or blank, not "." or "..". */
static bool valid_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++)
        if (!isgraph((unsigned char)*s) || *s == '/' || *s == ':')
            return false;
    return true;
}

/* Copies a string member into dst. 1 copied, 0 absent (or empty), -1 present but not a string or too long. */
static int take(const json_t *o, const char *key, char *dst, size_t len)
{
    const json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    const char *s = json_string_value(v);
    if (!s || strlen(s) >= len || strlen(s) != json_string_length(v))
        return -1;
    snprintf(dst, len, "%s", s);
    return *s ? 1 : 0;
}

static int need(const json_t *o, const char *key, char *dst, size_t len, kd_fail *f)
{
    int r = take(o, key, dst, len);
    if (r < 0)
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "%s is not a string of at most %zu "
                           "characters", key, len - 1);
    if (r == 0)
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "missing environment", "%s is required", key);
    return 0;
}

/* CNI_ARGS "K1=V1;K2=V2": the K8S_POD_* values, others ignored. */
static int parse_args(const char *args, kd_request *r, kd_fail *f)
{
    static const struct { const char *key; size_t off, len; } keys[] = {
        {"K8S_POD_NAMESPACE", offsetof(kd_request, pod_namespace), sizeof(((kd_request *)0)->pod_namespace)},
        {"K8S_POD_NAME", offsetof(kd_request, pod_name), sizeof(((kd_request *)0)->pod_name)},
        {"K8S_POD_UID", offsetof(kd_request, pod_uid), sizeof(((kd_request *)0)->pod_uid)},
    };
    for (const char *p = args; *p;) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        for (size_t i = 0; eq && i < sizeof(keys) / sizeof(keys[0]); i++) {
            size_t kl = strlen(keys[i].key), vl = n - (size_t)(eq + 1 - p);
            if ((size_t)(eq - p) != kl || strncmp(p, keys[i].key, kl) != 0)
                continue;
            if (vl >= keys[i].len)
                return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_ARGS %s is too long",
                                   keys[i].key);
            char *dst = (char *)r + keys[i].off;
            memcpy(dst, eq + 1, vl);
            dst[vl] = '\0';
        }
        p += n + (end ? 1 : 0);
    }
    /* Kubernetes names: DNS labels and subdomains; anything else is no pod of ours. */
    for (const char *s = r->pod_namespace; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "K8S_POD_NAMESPACE is not a "
                               "namespace name");
    for (const char *s = r->pod_name; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-' && *s != '.')
            return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "K8S_POD_NAME is not a pod name");
    return 0;
}

static int parse_valid_attachments(const json_t *config, kd_request *r, kd_fail *f)
{
    const json_t *list = json_object_get(config, "cni.dev/valid-attachments");
    if (!json_is_array(list))
        return kd_fail_set(f, 400, KD_CODE_BAD_CONFIG, "invalid config",
                           "GC needs config_kuryr[\"cni.dev/valid-attachments\"], an array");
    r->valid = calloc(json_array_size(list) + 1, sizeof(*r->valid));
    if (!r->valid)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "out of memory", "%s", "");
    size_t i;
    const json_t *a;
    json_array_foreach(list, i, a) {
        kd_attachment *v = &r->valid[r->n_valid];
        /* An entry we could not have made (odd id or name) names no attachment of ours: skipped, not fatal. */
        if (take(a, "containerID", v->container_id, sizeof(v->container_id)) == 1 &&
            take(a, "ifname", v->ifname, sizeof(v->ifname)) == 1 && valid_container_id(v->container_id) &&
            valid_ifname(v->ifname)) {
            v->valid = true;
            r->n_valid++;
        }
    }
    return 0;
}

static int check_fields(kd_request *r, kd_fail *f)
{
    if (!valid_container_id(r->container_id))
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_CONTAINERID has characters other "
                           "than letters, digits, '_', '.' and '-'");
    if (!valid_ifname(r->ifname))
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_IFNAME is not an interface name");
    if (r->netns[0] && r->netns[0] != '/')
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_NETNS is not an absolute path");
    return 0;
}

static int parse_object(const json_t *o, kd_verb verb, kd_request *r, kd_fail *f)
{
    if (verb == KD_STATUS)
        return 0;
    const json_t *config = json_object_get(o, "config_kuryr");
    if (config && !json_is_object(config))
        return kd_fail_set(f, 400, KD_CODE_BAD_CONFIG, "invalid config", "config_kuryr is not an object");
    if (verb == KD_GC)
        return parse_valid_attachments(config, r, f);
    if (need(o, "CNI_CONTAINERID", r->container_id, sizeof(r->container_id), f) < 0 ||
        need(o, "CNI_IFNAME", r->ifname, sizeof(r->ifname), f) < 0)
        return -1;
    if (verb == KD_DEL ? take(o, "CNI_NETNS", r->netns, sizeof(r->netns)) < 0
                       : need(o, "CNI_NETNS", r->netns, sizeof(r->netns), f) < 0)
        return f->http_status ? -1 : kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_NETNS is not "
                                                 "a path of at most 255 characters");
    char args[1024] = "";
    if (take(o, "CNI_ARGS", args, sizeof(args)) < 0)
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad environment", "CNI_ARGS is not a string of at most "
                           "1023 characters");
    if (check_fields(r, f) < 0 || parse_args(args, r, f) < 0)
        return -1;
    if (verb != KD_DEL && (!r->pod_namespace[0] || !r->pod_name[0]))
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "missing environment",
                           "CNI_ARGS must name the pod: K8S_POD_NAMESPACE and K8S_POD_NAME");
    return 0;
}

int kd_request_parse(const char *body, size_t len, kd_verb verb, kd_request *out, kd_fail *f)
{
    memset(out, 0, sizeof(*out));
    memset(f, 0, sizeof(*f));
    out->verb = verb;
    json_error_t je;
    json_t *o = body && len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (verb == KD_STATUS && !o)
        return 0; /* STATUS needs nothing from the body */
    if (!json_is_object(o)) {
        json_decref(o);
        return kd_fail_set(f, 400, KD_CODE_DECODE, "cannot decode the request", "the body is not a JSON object");
    }
    int rc = parse_object(o, verb, out, f);
    json_decref(o);
    if (rc < 0)
        kd_request_clear(out);
    return rc;
}

void kd_request_clear(kd_request *r)
{
    free(r->valid);
    r->valid = NULL;
    r->n_valid = 0;
}
