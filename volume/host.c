/* The kernel side of a Cinder NFS volume on this host: the volume file on the mounted export, a loop device on
 * it, its file system, and its mount. Programs run through kuryr_run (no shell); mounts use mount(2). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kuryr/exec.h"
#include "kuryr/log.h"
#include "volume.h"

#define LOSETUP "/usr/sbin/losetup"
#define BLKID "/usr/sbin/blkid"

/* Runs argv; a non-zero exit becomes err with the program's last words. *code gets the exit code. */
static int run(const char *const argv[], char **out, int *code, kuryr_error *err)
{
    int st = 0;
    char tail[256];
    if (kuryr_run(argv, out, &st, tail, sizeof(tail), err) < 0)
        return -1;
    *code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    if (*code != 0) {
        tail[strcspn(tail, "\n")] = '\0';
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "%s exited %d: %s", argv[0], *code, tail);
    }
    return 0;
}

static bool safe_component(const char *s)
{
    return s && *s && *s != '.' && strlen(s) < 256 && !strchr(s, '/');
}

/* Is dir a mount point? Read from /proc/self/mountinfo, whose 5th field is the mount point (octal escapes for
 * spaces: our paths have none). */
bool kv_host_is_mounted(const char *dir)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[4096], mp[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && !strcmp(mp, dir))
            found = true;
    }
    fclose(f);
    return found;
}

int kv_host_nfs_file(json_t *ci, char *file, size_t len, kuryr_error *err)
{
    const char *type = json_string_value(json_object_get(ci, "driver_volume_type"));
    json_t *data = json_object_get(ci, "data");
    if (!json_is_object(data))
        data = ci; /* the attachments API flattens data into connection_info */
    const char *base = json_string_value(json_object_get(data, "mount_point_base"));
    const char *name = json_string_value(json_object_get(data, "name"));
    const char *export = json_string_value(json_object_get(data, "export"));
    if (!type || strcmp(type, "nfs"))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "Cinder gave a %s connection: this host only connects NFS volumes", type ? type : "typeless");
    if (!base || *base != '/' || strstr(base, "/..") || !safe_component(name) || !export)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "Cinder's NFS connection info lacks a usable "
                                                                 "mount_point_base, export or name");
    /* os-brick mounts each export at <base>/<hash of the export>: take the mounted one that holds the file */
    DIR *dir = opendir(base);
    struct dirent *e;
    int rc = kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL,
                             "the NFS export %s is not mounted under %s (or does not hold %s)", export, base, name);
    while (dir && rc < 0 && (e = readdir(dir))) {
        char share[1024];
        if (!safe_component(e->d_name) || (size_t)snprintf(share, sizeof(share), "%s/%s", base, e->d_name) >= sizeof(share))
            continue;
        if ((size_t)snprintf(file, len, "%s/%s", share, name) < len && kv_host_is_mounted(share) &&
            access(file, F_OK) == 0)
            rc = 0;
    }
    if (dir)
        closedir(dir);
    if (rc == 0)
        kuryr_error_clear(err);
    return rc;
}

int kv_host_loop_attach(const char *file, char *dev, size_t len, kuryr_error *err)
{
    const char *argv[] = {LOSETUP, "--find", "--show", "--nooverlap", file, NULL};
    char *out = NULL;
    int code;
    if (run(argv, &out, &code, err) < 0 || code != 0) {
        free(out);
        return kuryr_error_prefix(err, "no loop device: ");
    }
    out[strcspn(out, "\n")] = '\0';
    int rc = strncmp(out, "/dev/loop", 9) || strlen(out) >= len
                 ? kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "losetup printed '%.60s'", out)
                 : 0;
    if (rc == 0)
        memcpy(dev, out, strlen(out) + 1);
    free(out);
    return rc;
}

int kv_host_loop_detach(const char *dev, kuryr_error *err)
{
    const char *argv[] = {LOSETUP, "--detach", dev, NULL};
    int code;
    return run(argv, NULL, &code, err) < 0 || code != 0 ? -1 : 0;
}

void kv_host_loop_detach_file(const char *file)
{
    DIR *dir = opendir("/sys/block");
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        if (strncmp(e->d_name, "loop", 4))
            continue;
        char path[512], backing[1100] = "";
        snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        if (fgets(backing, sizeof(backing), f))
            backing[strcspn(backing, "\n")] = '\0';
        fclose(f);
        if (strcmp(backing, file))
            continue;
        char dev[300];
        snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
        kuryr_error err;
        if (kv_host_loop_detach(dev, &err) < 0)
            KLOG_WARN("cannot detach %s from %s: %s", dev, file, err.message);
        else
            KLOG_INFO("detached %s from %s", dev, file);
    }
    if (dir)
        closedir(dir);
}

int kv_host_fs_type(const char *dev, char *type, size_t len, kuryr_error *err)
{
    /* -p probes the device itself (no cache); exit 2 means it holds nothing blkid recognises */
    const char *argv[] = {BLKID, "-p", "-o", "value", "-s", "TYPE", dev, NULL};
    char *out = NULL;
    int code;
    if (run(argv, &out, &code, err) < 0) {
        free(out);
        return -1;
    }
    int rc = 0;
    if (code == 2) {
        kuryr_error_clear(err);
        type[0] = '\0';
    } else if (code != 0) {
        rc = kuryr_error_prefix(err, "cannot tell whether the volume holds a file system: ");
    } else {
        out[strcspn(out, "\n")] = '\0';
        snprintf(type, len, "%s", out);
    }
    free(out);
    return rc;
}

int kv_host_mkfs(const char *dev, const char *fstype, kuryr_error *err)
{
    char prog[64];
    snprintf(prog, sizeof(prog), "/usr/sbin/mkfs.%s", fstype);
    const char *argv[] = {prog, "-q", dev, NULL};
    int code;
    if (run(argv, NULL, &code, err) < 0 || code != 0)
        return kuryr_error_prefix(err, "cannot make a file system: ");
    return 0;
}

int kv_host_mount(const char *dev, const char *dir, const char *fstype, kuryr_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *c = buf + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        mkdir(buf, 0755);
        *c = '/';
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot make %s: %s", dir, strerror(errno));
    if (mount(dev, dir, fstype, MS_NOSUID | MS_NODEV, NULL) < 0)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot mount %s (%s) on %s: %s", dev, fstype, dir,
                               strerror(errno));
    return 0;
}

int kv_host_umount(const char *dir, kuryr_error *err)
{
    if (kv_host_is_mounted(dir) && umount2(dir, 0) < 0)
        return kuryr_error_set(err, errno == EBUSY ? KURYR_ERR_CONFLICT : KURYR_ERR_INTERNAL, 0, NULL,
                               "cannot unmount %s: %s", dir, strerror(errno));
    rmdir(dir);
    return 0;
}
