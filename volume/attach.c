/* Mount and Unmount. Mount attaches the volume to this host through Cinder's attachments API (no Nova), puts
 * a loop device on its file, makes a file system only when blkid finds none, and mounts it; further Mounts only
 * add their caller's ID. Unmount removes the ID and, when the last one leaves, takes every step back. Each step
 * is written to the journal before it is taken (journal.c), and a failed step undoes the ones before it. */
#include <stdio.h>
#include <string.h>

#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "volume.h"

static json_t *connector(const kv_daemon *d)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "host", d->host, "ip", d->my_ip, "platform", "x86_64", "os_type",
                     "linux", "multipath", 0);
}

static bool has_user(json_t *users, const char *id)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        if (!strcmp(json_string_value(u), id))
            return true;
    }
    return false;
}

/* Refuses a volume attached anywhere but here; *stale gets an attachment to this host that no journal knows. */
static int check_attachments(const kv_daemon *d, const kuryr_volume *v, char *stale, size_t len, kuryr_error *err)
{
    stale[0] = '\0';
    for (size_t i = 0; i < v->n_attachments; i++) {
        const kuryr_volume_attachment *a = &v->attachments[i];
        if (!a->host_name || strcmp(a->host_name, d->host))
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "volume %s is attached to %s %s, not to this host (%s)",
                                   v->name, a->host_name ? "host" : "server", a->host_name ? a->host_name : a->server_id ? a->server_id : "?",
                                   d->host);
        snprintf(stale, len, "%s", a->attachment_id);
    }
    return 0;
}

int kv_undo(kv_daemon *d, kv_record *r, kuryr_error *err)
{
    if (r->mountpoint[0] && kv_host_umount(r->mountpoint, err) < 0)
        return -1;
    KURYR_FAULT_POINT("volume.undo.unmounted");
    if (r->file[0])
        kv_host_loop_detach_file(r->file);
    KURYR_FAULT_POINT("volume.undo.loop_detached");
    if (r->attachment_id[0]) {
        if (kuryr_cinder_attachment_delete(d->cinder, r->attachment_id, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND)
            return -1;
    } else if (r->phase == KV_ATTACHING) {
        /* killed between asking Cinder for the attachment and recording it: any attachment of this volume
         * not yet completed is that one (a volume here is never attached elsewhere) */
        kuryr_attachment *as = NULL;
        size_t n = 0;
        if (kuryr_cinder_attachment_list(d->cinder, r->volume_id, &as, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(as[i].status, "attached") && kuryr_cinder_attachment_delete(d->cinder, as[i].id, err) == 0)
                KLOG_INFO("deleted the unrecorded attachment %s of %s", as[i].id, r->name);
        }
        kuryr_attachments_free(as, n);
    }
    kv_journal_remove(d, r->volume_id);
    return 0;
}

/* Attaches, connects, makes a file system when there is none, and mounts. r is journaled at each step. */
static int attach_and_mount(kv_daemon *d, const kuryr_volume *v, kv_record *r, kuryr_error *err)
{
    json_t *conn = connector(d);
    kuryr_attachment a;
    int rc = kuryr_cinder_attachment_create(d->cinder, v->id, conn, &a, err);
    json_decref(conn);
    if (rc < 0)
        return -1;
    KURYR_FAULT_POINT("volume.mount.attachment_created");
    snprintf(r->attachment_id, sizeof(r->attachment_id), "%s", a.id);
    rc = kv_journal_save(d, r, err);
    if (rc == 0 && !a.connection_info)
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's attachment carries no connection info");
    if (rc == 0)
        rc = kv_host_nfs_file(a.connection_info, r->file, sizeof(r->file), err);
    kuryr_attachment_clear(&a);
    if (rc == 0)
        rc = kv_journal_save(d, r, err);
    if (rc == 0)
        rc = kv_host_loop_attach(r->file, r->loop, sizeof(r->loop), err);
    KURYR_FAULT_POINT("volume.mount.loop_attached");
    char found[32] = "";
    if (rc == 0)
        rc = kv_journal_save(d, r, err);
    if (rc == 0)
        rc = kv_host_fs_type(r->loop, found, sizeof(found), err);
    if (rc == 0 && !found[0]) {
        const char *fstype = json_string_value(json_object_get(v->metadata, "fstype"));
        fstype = fstype ? fstype : d->fstype;
        KLOG_INFO("volume %s holds no file system: making %s", v->name, fstype);
        rc = kv_host_mkfs(r->loop, fstype, err);
        snprintf(found, sizeof(found), "%s", fstype);
    }
    KURYR_FAULT_POINT("volume.mount.fs_ready");
    if (rc == 0)
        rc = kv_host_mount(r->loop, r->mountpoint, found, err);
    KURYR_FAULT_POINT("volume.mount.mounted");
    if (rc == 0)
        rc = kuryr_cinder_attachment_complete(d->cinder, r->attachment_id, err);
    KURYR_FAULT_POINT("volume.mount.completed");
    return rc;
}

int kv_mount(kv_daemon *d, const char *name, const char *id, char *mountpoint, size_t len, kuryr_error *err)
{
    kv_record r;
    int rc = kv_journal_find_name(d, name, &r, err);
    if (rc < 0)
        return -1;
    if (rc == 0 && r.phase == KV_MOUNTED && kv_host_is_mounted(r.mountpoint)) {
        /* mounted here already: one more user */
        if (!has_user(r.users, id))
            json_array_append_new(r.users, json_string(id));
        rc = kv_journal_save(d, &r, err);
        if (rc == 0)
            snprintf(mountpoint, len, "%s", r.mountpoint);
        kv_record_clear(&r);
        return rc;
    }
    if (rc == 0) {
        /* a record that is not a live mount is a leftover: settle it before starting afresh */
        rc = kv_undo(d, &r, err);
        kv_record_clear(&r);
        if (rc < 0)
            return kuryr_error_prefix(err, "cannot settle an earlier mount: ");
    }
    kuryr_volume v;
    if (kv_find(d, name, &v, err) < 0)
        return -1;
    char stale[64];
    rc = check_attachments(d, &v, stale, sizeof(stale), err);
    if (rc == 0 && stale[0]) {
        KLOG_WARN("volume %s has an attachment %s to this host that no journal knows: deleting it", name, stale);
        rc = kuryr_cinder_attachment_delete(d->cinder, stale, err);
        kuryr_volume_clear(&v);
        if (rc < 0 || kv_find(d, name, &v, err) < 0)
            return -1;
    }
    if (rc == 0 && strcmp(v.status, "available"))
        rc = kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "volume %s is %s, not available", name, v.status);
    if (rc < 0) {
        kuryr_volume_clear(&v);
        return -1;
    }
    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.volume_id, sizeof(r.volume_id), "%s", v.id);
    snprintf(r.mountpoint, sizeof(r.mountpoint), "%s/cinder/%s", d->volume_dir, name);
    r.phase = KV_ATTACHING;
    r.users = json_array();
    rc = kv_journal_save(d, &r, err);
    KURYR_FAULT_POINT("volume.mount.journaled");
    if (rc == 0 && attach_and_mount(d, &v, &r, err) < 0) {
        kuryr_error undo_err;
        if (kv_undo(d, &r, &undo_err) < 0)
            KLOG_ERROR("mount of %s failed and could not be undone: %s (the next start settles it)", name,
                       undo_err.message);
        rc = -1;
    } else if (rc == 0) {
        r.phase = KV_MOUNTED;
        json_array_append_new(r.users, json_string(id));
        rc = kv_journal_save(d, &r, err);
        KURYR_FAULT_POINT("volume.mount.recorded");
        snprintf(mountpoint, len, "%s", r.mountpoint);
    }
    kuryr_volume_clear(&v);
    kv_record_clear(&r);
    return rc;
}

int kv_unmount(kv_daemon *d, const char *name, const char *id, kuryr_error *err)
{
    kv_record r;
    int rc = kv_journal_find_name(d, name, &r, err);
    if (rc < 0)
        return -1;
    if (rc == 1)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL, "volume %s is not mounted on this host", name);
    size_t i;
    json_t *u;
    json_array_foreach(r.users, i, u) {
        if (!strcmp(json_string_value(u), id)) {
            json_array_remove(r.users, i);
            break;
        }
    }
    if (json_array_size(r.users) > 0) {
        rc = kv_journal_save(d, &r, err); /* others still use it */
    } else {
        r.phase = KV_UNMOUNTING;
        rc = kv_journal_save(d, &r, err);
        KURYR_FAULT_POINT("volume.unmount.journaled");
        if (rc == 0)
            rc = kv_undo(d, &r, err);
    }
    kv_record_clear(&r);
    return rc;
}
