/* Start-up: the journal says what a previous run of this daemon left attached or mounted. A mount that a
 * running container still uses stays (Docker will Unmount it when the container stops); everything else, a
 * half-done Mount or Unmount, or a mount no running container uses (the Mount whose answer never reached
 * Docker), is taken back: unmounted, loop device detached, Cinder attachment deleted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/log.h"
#include "volume.h"

/* How many running containers Docker says use the volume; -1 when Docker cannot tell. */
static int running_users(kv_daemon *d, const char *name)
{
    /* filters={"volume":["<name>"]}, URL-encoded; the name is [A-Za-z0-9_.-] only (kv_name_valid) */
    char url[512];
    snprintf(url, sizeof(url), "http://docker/containers/json?filters=%%7B%%22volume%%22%%3A%%5B%%22%s%%22%%5D%%7D",
             name);
    kuryr_http_response r = {0};
    kuryr_error err;
    int n = -1;
    if (kuryr_http_request(d->docker, "GET", url, NULL, NULL, &r, &err) == 0 && r.status == 200) {
        json_t *list = json_loads(r.body, 0, NULL);
        n = json_is_array(list) ? (int)json_array_size(list) : -1;
        json_decref(list);
    }
    kuryr_http_response_clear(&r);
    return n;
}

static void settle_one(kv_daemon *d, kv_record *r)
{
    if (!kv_name_valid(r->name)) {
        KLOG_ERROR("settle: journal of volume %s names no valid volume: left for an operator", r->volume_id);
        return;
    }
    if (r->phase == KV_MOUNTED && kv_host_is_mounted(r->mountpoint)) {
        int users = running_users(d, r->name);
        if (users != 0) {
            KLOG_INFO("settle: %s stays mounted at %s (%s)", r->name, r->mountpoint,
                      users > 0 ? "a running container uses it" : "Docker cannot tell who uses it");
            return;
        }
    }
    kuryr_error err;
    if (kv_undo(d, r, &err) < 0)
        KLOG_ERROR("settle: cannot take back %s: %s (tried again on its next Mount or start)", r->name, err.message);
    else
        KLOG_INFO("settle: took back what a previous run left of %s", r->name);
}

void kv_settle(kv_daemon *d)
{
    kv_journal_each(d, settle_one, d);
}
