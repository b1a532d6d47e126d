/* The Docker VolumeDriver protocol: /Plugin.Activate and /VolumeDriver.*. Every body is checked before anything
 * is done, and every failure answers {"Err": "..."} with a status for its kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "volume.h"

#define CREATE_WAIT_S 300

bool kv_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    return n >= 1 && n <= 255 && name[0] != '.' && name[0] != '-' &&
           strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static bool id_valid(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    return n >= 1 && n <= 128 && strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

static bool uuid_valid(const char *s)
{
    return s && strlen(s) == 36 && strspn(s, "0123456789abcdefABCDEF-") == 36;
}

static int parse_size(const char *s, long *out, kuryr_error *err)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 1 || v > 1024 * 1024)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "size '%.40s' is not a whole number of GiB from 1", s);
    *out = v;
    return 0;
}

int kv_parse_create_opts(const kv_daemon *d, json_t *opts, kuryr_volume_spec *spec, const char **adopt_id,
                         const char **fstype, kuryr_error *err)
{
    spec->size = d->default_size;
    spec->volume_type = kuryr_config_get_str(d->cfg, "cinder", "volume_type");
    spec->availability_zone = kuryr_config_get_str(d->cfg, "cinder", "availability_zone");
    spec->multiattach = kuryr_config_get_bool(d->cfg, "cinder", "multiattach");
    *adopt_id = NULL;
    *fstype = d->fstype;
    if (!opts || json_is_null(opts))
        return 0;
    if (!json_is_object(opts))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "Opts must be an object");
    const char *key;
    json_t *val;
    json_object_foreach(opts, key, val) {
        const char *s = json_string_value(val);
        if (!s)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "option %.60s must be a string", key);
        if (!strcmp(key, "size")) {
            if (parse_size(s, &spec->size, err) < 0)
                return -1;
        } else if (!strcmp(key, "volume_type") || !strcmp(key, "type")) {
            spec->volume_type = s;
        } else if (!strcmp(key, "availability_zone")) {
            spec->availability_zone = s;
        } else if (!strcmp(key, "multiattach")) {
            if (strcmp(s, "true") && strcmp(s, "false"))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "multiattach must be true or false");
            spec->multiattach = !strcmp(s, "true");
        } else if (!strcmp(key, "volume_id")) {
            if (!uuid_valid(s))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "volume_id '%.60s' is not a UUID", s);
            *adopt_id = s;
        } else if (!strcmp(key, "fstype")) {
            if (strcmp(s, "ext4") && strcmp(s, "ext3") && strcmp(s, "ext2") && strcmp(s, "xfs") && strcmp(s, "btrfs"))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "fstype '%.30s' is not one of ext4, ext3, "
                                                                            "ext2, xfs, btrfs", s);
            *fstype = s;
        } else if (!strcmp(key, "volume_provider")) {
            if (strcmp(s, "cinder"))
                return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "volume_provider %.30s is not served here "
                                                                            "(only cinder)", s);
        } else {
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "unknown option %.60s (known: size, volume_type, "
                                   "availability_zone, multiattach, volume_id, fstype, volume_provider)", key);
        }
    }
    return 0;
}

static const char *req_name(json_t *req, kuryr_error *err)
{
    const char *name = json_string_value(json_object_get(req, "Name"));
    if (!kv_name_valid(name))
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "Name %s%.60s%s is not a valid volume name", name ? "'" : "",
                        name ? name : "missing", name ? "'" : "");
    return kv_name_valid(name) ? name : NULL;
}

/* Waits for a new volume to leave "creating"; an error volume is deleted again. */
static int wait_available(kv_daemon *d, kuryr_volume *v, kuryr_error *err)
{
    for (int i = 0; i < CREATE_WAIT_S * 4 && !strcmp(v->status, "creating"); i++) {
        struct timespec ts = {0, 250 * 1000 * 1000};
        nanosleep(&ts, NULL);
        char id[64];
        snprintf(id, sizeof(id), "%s", v->id);
        kuryr_volume_clear(v);
        if (kuryr_cinder_volume_get(d->cinder, id, v, err) < 0)
            return -1;
    }
    if (!strcmp(v->status, "available"))
        return 0;
    kuryr_error ignored;
    if (!strcmp(v->status, "error"))
        kuryr_cinder_volume_delete(d->cinder, v->id, &ignored);
    return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL, "Cinder's volume %s is %s, not available", v->id,
                           v->status);
}

static int adopt(kv_daemon *d, const char *name, const char *id, kuryr_error *err)
{
    kuryr_volume v;
    if (kuryr_cinder_volume_get(d->cinder, id, &v, err) < 0)
        return err->kind == KURYR_ERR_NOT_FOUND ? kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL,
                                                                  "no Cinder volume %s in this project", id)
                                                : -1;
    const char *mine = kuryr_auth_project_id(d->auth);
    int rc = 0;
    if (v.project_id && *mine && strcmp(v.project_id, mine))
        rc = kuryr_error_set(err, KURYR_ERR_UNAUTHORIZED, 0, NULL, "volume %s belongs to another project", id);
    else if (!v.name || strcmp(v.name, name))
        rc = kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "volume %s is named '%.80s', not %s", id,
                             v.name ? v.name : "", name);
    else if (!kv_is_ours(d, &v)) {
        json_t *md = json_pack("{s:s}", "volume_from", d->volume_from);
        rc = kuryr_cinder_volume_set_metadata(d->cinder, id, md, err);
        json_decref(md);
        if (rc == 0)
            KLOG_INFO("adopted Cinder volume %s as %s", id, name);
    }
    kuryr_volume_clear(&v);
    return rc;
}

static int h_create(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name = req_name(req, err), *adopt_id, *fstype;
    kuryr_volume_spec spec = {0};
    if (!name || kv_parse_create_opts(d, json_object_get(req, "Opts"), &spec, &adopt_id, &fstype, err) < 0)
        return -1;
    kuryr_volume v;
    if (kv_find(d, name, &v, err) == 0) {
        bool same = !adopt_id || !strcmp(adopt_id, v.id);
        kuryr_volume_clear(&v);
        if (!same)
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "volume %s already exists as another Cinder volume", name);
        *resp = json_object(); /* Docker creates again what it has forgotten: the volume is there */
        return 0;
    }
    if (err->kind != KURYR_ERR_NOT_FOUND)
        return -1;
    if (adopt_id) {
        if (adopt(d, name, adopt_id, err) < 0)
            return -1;
        *resp = json_object();
        return 0;
    }
    spec.name = name;
    spec.metadata = json_pack("{s:s, s:s}", "volume_from", d->volume_from, "fstype", fstype);
    int rc = kuryr_cinder_volume_create(d->cinder, &spec, &v, err);
    json_decref(spec.metadata);
    if (rc < 0)
        return -1;
    KURYR_FAULT_POINT("volume.create.requested");
    rc = wait_available(d, &v, err);
    if (rc == 0)
        KLOG_INFO("created volume %s (Cinder %s, %ld GiB)", name, v.id, v.size);
    kuryr_volume_clear(&v);
    if (rc == 0)
        *resp = json_object();
    return rc;
}

/* Where the volume is mounted on this host, "" when it is not. */
static void mountpoint_of(kv_daemon *d, const char *name, char *out, size_t len)
{
    kv_record r;
    kuryr_error ignored;
    out[0] = '\0';
    if (kv_journal_find_name(d, name, &r, &ignored) != 0)
        return;
    if (r.phase == KV_MOUNTED && kv_host_is_mounted(r.mountpoint))
        snprintf(out, len, "%s", r.mountpoint);
    kv_record_clear(&r);
}

static int h_remove(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name = req_name(req, err);
    kuryr_volume v;
    if (!name || kv_find(d, name, &v, err) < 0)
        return -1;
    char mp[1024];
    mountpoint_of(d, name, mp, sizeof(mp));
    int rc = 0;
    if (mp[0] || v.n_attachments || strcmp(v.status, "available"))
        rc = kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "volume %s is in use (%s%s%s)", name, v.status,
                             mp[0] ? ", mounted at " : "", mp);
    if (rc == 0)
        rc = kuryr_cinder_volume_delete(d->cinder, v.id, err);
    if (rc == 0)
        KLOG_INFO("deleted volume %s (Cinder %s)", name, v.id);
    kuryr_volume_clear(&v);
    if (rc == 0)
        *resp = json_object();
    return rc;
}

/* Mount's and Unmount's Name and ID (the caller whose reference is counted). */
static int name_and_id(json_t *req, const char **name, const char **id, kuryr_error *err)
{
    *name = req_name(req, err);
    *id = json_string_value(json_object_get(req, "ID"));
    if (!*name)
        return -1;
    if (!id_valid(*id))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "ID is missing or not an identifier");
    return 0;
}

static int h_mount(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name, *id;
    char mp[1024];
    if (name_and_id(req, &name, &id, err) < 0 || kv_mount(d, name, id, mp, sizeof(mp), err) < 0)
        return -1;
    *resp = json_pack("{s:s}", "Mountpoint", mp);
    return 0;
}

static int h_unmount(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name, *id;
    if (name_and_id(req, &name, &id, err) < 0 || kv_unmount(d, name, id, err) < 0)
        return -1;
    *resp = json_object();
    return 0;
}

static int h_path(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name = req_name(req, err);
    kuryr_volume v;
    if (!name || kv_find(d, name, &v, err) < 0)
        return -1;
    kuryr_volume_clear(&v);
    char mp[1024];
    mountpoint_of(d, name, mp, sizeof(mp));
    *resp = json_pack("{s:s}", "Mountpoint", mp);
    return 0;
}

static int h_get(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    const char *name = req_name(req, err);
    kuryr_volume v;
    if (!name || kv_find(d, name, &v, err) < 0)
        return -1;
    char mp[1024];
    mountpoint_of(d, name, mp, sizeof(mp));
    *resp = json_pack("{s:{s:s, s:s, s:{s:s, s:s, s:I, s:I}}}", "Volume", "Name", name, "Mountpoint", mp, "Status",
                      "volume_id", v.id, "status", v.status, "size", (json_int_t)v.size, "attachments",
                      (json_int_t)v.n_attachments);
    kuryr_volume_clear(&v);
    return 0;
}

static int h_list(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)req;
    kuryr_volume *vs = NULL;
    size_t n = 0;
    if (kuryr_cinder_volume_list(d->cinder, NULL, &vs, &n, err) < 0)
        return -1;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        if (!kv_is_ours(d, &vs[i]) || !kv_name_valid(vs[i].name))
            continue;
        char mp[1024];
        mountpoint_of(d, vs[i].name, mp, sizeof(mp));
        json_array_append_new(list, json_pack("{s:s, s:s}", "Name", vs[i].name, "Mountpoint", mp));
    }
    kuryr_volumes_free(vs, n);
    *resp = json_pack("{s:o}", "Volumes", list);
    return 0;
}

static int h_capabilities(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)d, (void)req, (void)err;
    /* global: a Cinder volume is the same volume from every host of the cluster */
    *resp = json_pack("{s:{s:s}}", "Capabilities", "Scope", "global");
    return 0;
}

static int h_activate(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err)
{
    (void)d, (void)req, (void)err;
    *resp = json_pack("{s:[s]}", "Implements", "VolumeDriver");
    return 0;
}

typedef int (*kv_handler)(kv_daemon *d, json_t *req, json_t **resp, kuryr_error *err);

static const struct {
    const char *path;
    kv_handler fn;
    bool locked; /* changes Cinder, the kernel or the journal */
} routes[] = {
    {"/Plugin.Activate", h_activate, false},
    {"/VolumeDriver.Create", h_create, true},
    {"/VolumeDriver.Remove", h_remove, true},
    {"/VolumeDriver.Mount", h_mount, true},
    {"/VolumeDriver.Unmount", h_unmount, true},
    {"/VolumeDriver.Path", h_path, false},
    {"/VolumeDriver.Get", h_get, false},
    {"/VolumeDriver.List", h_list, false},
    {"/VolumeDriver.Capabilities", h_capabilities, false},
};

static int status_for(kuryr_err_kind kind)
{
    switch (kind) {
    case KURYR_ERR_BAD_REQUEST: return 400;
    case KURYR_ERR_UNAUTHORIZED: return 403;
    case KURYR_ERR_NOT_FOUND: return 404;
    case KURYR_ERR_CONFLICT: return 409;
    case KURYR_ERR_UNAVAILABLE: return 503;
    default: return 500;
    }
}

static char *err_body(const char *msg)
{
    json_t *o = json_pack("{s:s}", "Err", msg);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s ? s : strdup("{\"Err\":\"out of memory\"}");
}

void kv_handle(void *daemon, const char *method, const char *url, const char *body, size_t len, int *status,
               char **reply)
{
    kv_daemon *d = daemon;
    size_t k = 0, n = sizeof(routes) / sizeof(routes[0]);
    while (k < n && strcmp(routes[k].path, url))
        k++;
    if (k == n) {
        *status = 404;
        *reply = err_body("unknown plugin method");
        return;
    }
    if (strcmp(method, "POST")) {
        *status = 405;
        *reply = err_body("plugin methods are POSTs");
        return;
    }
    json_error_t je;
    json_t *req = len ? json_loadb(body, len, JSON_REJECT_DUPLICATES, &je) : json_object();
    if (!json_is_object(req)) {
        json_decref(req);
        *status = 400;
        *reply = err_body("the request body is not a JSON object");
        return;
    }
    kuryr_error err;
    kuryr_error_clear(&err);
    json_t *resp = NULL;
    if (routes[k].locked)
        pthread_mutex_lock(&d->lock);
    int rc = routes[k].fn(d, req, &resp, &err);
    if (routes[k].locked)
        pthread_mutex_unlock(&d->lock);
    json_decref(req);
    if (rc < 0 || !resp) {
        KLOG_WARN("%s: %s", url, rc < 0 ? err.message : "out of memory");
        *status = rc < 0 ? status_for(err.kind) : 500;
        *reply = err_body(rc < 0 ? err.message : "out of memory");
        json_decref(resp);
        return;
    }
    json_object_set_new(resp, "Err", json_string(""));
    char *s = json_dumps(resp, JSON_COMPACT);
    json_decref(resp);
    *status = s ? 200 : 500;
    *reply = s ? s : err_body("out of memory");
}
