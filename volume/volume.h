/* kuryr-volume: the Docker volume driver (name "fuxi") backed by Cinder. Shared state and the parts' APIs. */
#ifndef KV_VOLUME_H
#define KV_VOLUME_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

#include "kuryr/cinder.h"
#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/http.h"
#include "kuryr/keystone.h"

typedef struct {
    const kuryr_config *cfg;
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_cinder *cinder;
    kuryr_http *docker; /* Docker's API, asked at start-up which containers still use a volume */
    /* Create, Mount, Unmount and Remove change Cinder, the kernel and the journal together: one at a time. */
    pthread_mutex_t lock;
    char host[256];       /* this host's name, as the connector gives it to Cinder */
    const char *volume_dir, *volume_from, *state_dir, *fstype, *my_ip;
    long default_size;
} kv_daemon;

/* ---- daemon.c: set-up from the configuration ---- */
int kv_daemon_init(kv_daemon *d, const kuryr_config *cfg, kuryr_error *err);
void kv_daemon_fini(kv_daemon *d);

/* ---- handlers.c: the protocol ---- */
/* Answers one request: status and a malloc'd JSON body ({"Err": ...} on failure). Never fails otherwise. */
void kv_handle(void *daemon, const char *method, const char *url, const char *body, size_t len, int *status,
               char **reply);
/* A Docker volume name: 1-255 characters of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool kv_name_valid(const char *name);
/* The Create options (-o) checked and turned into a spec; unknown options, a size that is not a positive
 * number, and a volume_id that is not a UUID fail with BAD_REQUEST. *adopt_id is the volume_id option or NULL;
 * *fstype the fstype option or the configured one. */
int kv_parse_create_opts(const kv_daemon *d, json_t *opts, kuryr_volume_spec *spec, const char **adopt_id,
                         const char **fstype, kuryr_error *err);

/* ---- lookup.c: Docker names to Cinder volumes ---- */
/* The volume named name that carries the volume_from mark. NOT_FOUND when none, CONFLICT when several. */
int kv_find(kv_daemon *d, const char *name, kuryr_volume *out, kuryr_error *err);
/* True when the volume carries this daemon's volume_from mark. */
bool kv_is_ours(const kv_daemon *d, const kuryr_volume *v);

/* ---- journal.c: what this host did to each volume, written before each step is taken ---- */
typedef enum { KV_ATTACHING, KV_MOUNTED, KV_UNMOUNTING } kv_phase;

typedef struct {
    char name[256], volume_id[64], attachment_id[64], loop[64], file[1024], mountpoint[1024];
    kv_phase phase;
    json_t *users; /* array of the caller IDs that hold the mount */
} kv_record;

int kv_journal_save(const kv_daemon *d, const kv_record *r, kuryr_error *err);
/* 0 and the record, 1 when there is none, -1 with err on a damaged one. */
int kv_journal_load(const kv_daemon *d, const char *volume_id, kv_record *r, kuryr_error *err);
int kv_journal_find_name(const kv_daemon *d, const char *name, kv_record *r, kuryr_error *err);
void kv_journal_remove(const kv_daemon *d, const char *volume_id);
void kv_record_clear(kv_record *r);
/* Calls fn for every record in the journal (start-up settling). */
void kv_journal_each(const kv_daemon *d, void (*fn)(kv_daemon *d, kv_record *r), kv_daemon *dd);

/* ---- host.c: the kernel side (loop devices, file systems, mounts) ---- */
/* The volume file of an NFS connection info: <mount_point_base>/<share>/<name>, where <share> is the mounted
 * export under mount_point_base that holds name. */
int kv_host_nfs_file(json_t *connection_info, char *file, size_t len, kuryr_error *err);
/* A new loop device on file (its path in dev). */
int kv_host_loop_attach(const char *file, char *dev, size_t len, kuryr_error *err);
int kv_host_loop_detach(const char *dev, kuryr_error *err);
/* Detaches every loop device whose backing file is file. */
void kv_host_loop_detach_file(const char *file);
/* The file system type on dev into type ("" when there is none); -1 when it cannot be told. */
int kv_host_fs_type(const char *dev, char *type, size_t len, kuryr_error *err);
int kv_host_mkfs(const char *dev, const char *fstype, kuryr_error *err);
int kv_host_mount(const char *dev, const char *dir, const char *fstype, kuryr_error *err);
int kv_host_umount(const char *dir, kuryr_error *err);
bool kv_host_is_mounted(const char *dir);

/* ---- attach.c: Mount and Unmount ---- */
int kv_mount(kv_daemon *d, const char *name, const char *id, char *mountpoint, size_t len, kuryr_error *err);
int kv_unmount(kv_daemon *d, const char *name, const char *id, kuryr_error *err);
/* Takes back every step a record says was taken (unmount, loop device, attachment) and forgets it. */
int kv_undo(kv_daemon *d, kv_record *r, kuryr_error *err);

/* ---- settle.c: start-up ---- */
/* Settles the journal: mounts still in use by a running container stay; anything else is undone. */
void kv_settle(kv_daemon *d);

#endif
