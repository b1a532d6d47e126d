/* The journal: one JSON file per volume this host has started to attach, <volume_state_dir>/<volume id>.json,
 * rewritten (temporary file, fsync, rename) before each step is taken. Whatever a SIGKILL interrupts, the file
 * names every attachment, loop device and mount that may exist, so that the next start can settle them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kuryr/log.h"
#include "volume.h"

static const char *const phase_names[] = {"attaching", "mounted", "unmounting"};

static void path_of(const kv_daemon *d, const char *volume_id, char *out, size_t len)
{
    snprintf(out, len, "%s/%s.json", d->state_dir, volume_id);
}

static int make_dirs(const char *dir)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *c = buf + 1;; c++) {
        if (*c == '/' || !*c) {
            char keep = *c;
            *c = '\0';
            if (mkdir(buf, 0700) < 0 && errno != EEXIST)
                return -1;
            if (!(*c = keep))
                return 0;
        }
    }
}

int kv_journal_save(const kv_daemon *d, const kv_record *r, kuryr_error *err)
{
    char path[1200], tmp[1210];
    path_of(d, r->volume_id, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    json_t *users = r->users ? json_incref(r->users) : json_array();
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "name", r->name, "volume_id", r->volume_id,
                          "attachment_id", r->attachment_id, "loop", r->loop, "file", r->file, "mountpoint",
                          r->mountpoint, "phase", phase_names[r->phase], "users", users);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!text)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int fd = -1, rc = -1;
    if (make_dirs(d->state_dir) == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) >= 0) {
        size_t len = strlen(text);
        rc = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
        rc = close(fd) == 0 ? rc : -1;
        rc = rc == 0 ? rename(tmp, path) : -1;
    }
    free(text);
    if (rc < 0) {
        int e = errno;
        unlink(tmp);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot write the journal %s: %s", path, strerror(e));
    }
    /* the rename itself must survive a crash too */
    int dfd = open(d->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int copy_field(json_t *o, const char *key, char *dst, size_t len)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s || strlen(s) >= len)
        return -1;
    memcpy(dst, s, strlen(s) + 1);
    return 0;
}

static int load_path(const char *path, kv_record *r, kuryr_error *err)
{
    memset(r, 0, sizeof(*r));
    json_t *o = json_load_file(path, 0, NULL);
    if (!o) {
        if (access(path, F_OK) < 0 && errno == ENOENT)
            return 1;
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "journal %s is not JSON", path);
    }
    const char *phase = json_string_value(json_object_get(o, "phase"));
    int bad = copy_field(o, "name", r->name, sizeof(r->name)) |
              copy_field(o, "volume_id", r->volume_id, sizeof(r->volume_id)) |
              copy_field(o, "attachment_id", r->attachment_id, sizeof(r->attachment_id)) |
              copy_field(o, "loop", r->loop, sizeof(r->loop)) | copy_field(o, "file", r->file, sizeof(r->file)) |
              copy_field(o, "mountpoint", r->mountpoint, sizeof(r->mountpoint));
    r->phase = KV_ATTACHING;
    for (int i = 0; phase && i < 3; i++) {
        if (!strcmp(phase, phase_names[i]))
            r->phase = (kv_phase)i;
    }
    json_t *users = json_object_get(o, "users");
    r->users = json_is_array(users) ? json_incref(users) : json_array();
    json_decref(o);
    if (bad || !phase) {
        kv_record_clear(r);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "journal %s is damaged", path);
    }
    return 0;
}

int kv_journal_load(const kv_daemon *d, const char *volume_id, kv_record *r, kuryr_error *err)
{
    char path[1200];
    path_of(d, volume_id, path, sizeof(path));
    return load_path(path, r, err);
}

static bool is_record_file(const char *n)
{
    size_t len = strlen(n);
    return len > 5 && !strcmp(n + len - 5, ".json") && n[0] != '.';
}

int kv_journal_find_name(const kv_daemon *d, const char *name, kv_record *r, kuryr_error *err)
{
    memset(r, 0, sizeof(*r));
    DIR *dir = opendir(d->state_dir);
    if (!dir)
        return 1;
    int rc = 1;
    struct dirent *e;
    while (rc == 1 && (e = readdir(dir))) {
        if (!is_record_file(e->d_name))
            continue;
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", d->state_dir, e->d_name);
        kv_record cand;
        if (load_path(path, &cand, err) != 0)
            continue;
        if (!strcmp(cand.name, name)) {
            *r = cand;
            rc = 0;
        } else {
            kv_record_clear(&cand);
        }
    }
    closedir(dir);
    return rc;
}

void kv_journal_each(const kv_daemon *d, void (*fn)(kv_daemon *d, kv_record *r), kv_daemon *dd)
{
    DIR *dir = opendir(d->state_dir);
    if (!dir)
        return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!is_record_file(e->d_name))
            continue;
        char path[1400];
        snprintf(path, sizeof(path), "%s/%s", d->state_dir, e->d_name);
        kv_record r;
        kuryr_error err;
        int rc = load_path(path, &r, &err);
        if (rc < 0)
            KLOG_ERROR("settle: %s (left in place for an operator)", err.message);
        if (rc != 0)
            continue;
        fn(dd, &r);
        kv_record_clear(&r);
    }
    closedir(dir);
}

void kv_journal_remove(const kv_daemon *d, const char *volume_id)
{
    char path[1200];
    path_of(d, volume_id, path, sizeof(path));
    if (unlink(path) < 0 && errno != ENOENT)
        KLOG_WARN("cannot remove journal %s: %s", path, strerror(errno));
}

void kv_record_clear(kv_record *r)
{
    json_decref(r->users);
    r->users = NULL;
}
