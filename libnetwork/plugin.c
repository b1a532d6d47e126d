/* Daemon state (see plugin.h). */
#include "plugin.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fresh_ports.h"
#include "kuryr/doubt.h"
#include "kuryr/log.h"
#include "kuryr/net_cache.h"
#include "kuryr/owner.h"
#include "kuryr/port_deletes.h"
#include "kuryr/subnet_cache.h"
#include "pool_memory.h"
#include "unexposed.h"
#include "vif_pool.h"

#define RELEASE_DRAIN_S 10

int kl_plugin_init(kl_plugin *p, kuryr_config *cfg, kuryr_error *err)
{
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    atomic_init(&p->tag_support, -1);
    pthread_mutex_init(&p->parent_port.lock, NULL);
    kuryr_owner_host(cfg, p->hostname);
    kuryr_owner_marker(p->owner, KURYR_OWNER_HOST, p->hostname);

    kuryr_http_opts hopts;
    kuryr_http_opts_from_config(cfg, &hopts);
    kuryr_auth_opts aopts;
    if (kuryr_auth_opts_from_config(cfg, &aopts, err) < 0)
        goto fail;
    if (kuryr_binding_cfg_from_config(cfg, &p->bcfg, err) < 0)
        goto fail;
    p->bcfg.host_alias = p->owner; /* tells this host's taps from others' (reconcile.c) */
    p->http = kuryr_http_new(&hopts);
    p->auth = p->http ? kuryr_auth_new(p->http, &aopts) : NULL;
    p->kn = p->auth ? kuryr_neutron_new(p->auth) : NULL;
    /* a late create finishes soon after Neutron answers again: one request timeout is plenty to wait */
    int grace_s = hopts.timeout_ms > 5000 ? (int)(hopts.timeout_ms / 1000) : hopts.timeout_ms > 0 ? 5 : 60;
    p->doubts = p->kn ? kuryr_doubts_new(p->kn, grace_s) : NULL;
    p->releases = p->kn ? kuryr_port_deletes_new(p->kn) : NULL;
    if (!p->kn || !p->doubts || !p->releases) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the Neutron client");
        goto fail;
    }
    p->nets = kuryr_net_cache_new();
    p->subnets = kuryr_subnet_cache_new();
    p->pools = kl_pool_memory_new();
    p->fresh = kl_fresh_ports_new();
    p->unexposed = kl_unexposed_new();
    if (!p->nets || !p->subnets || !p->pools || !p->fresh || !p->unexposed) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        goto fail;
    }
    if (kuryr_config_get_bool(cfg, "vif_pool", "enabled")) {
        kl_vif_pool_cfg pc = {
            .min = kuryr_config_get_int(cfg, "vif_pool", "ports_pool_min"),
            .max = kuryr_config_get_int(cfg, "vif_pool", "ports_pool_max"),
            .batch = kuryr_config_get_int(cfg, "vif_pool", "ports_pool_batch"),
            .update_frequency_s = kuryr_config_get_int(cfg, "vif_pool", "ports_pool_update_frequency"),
        };
        if (pc.min < 0 || pc.max < 0 || pc.batch < 1 || pc.update_frequency_s < 1 || (pc.max && pc.min > pc.max)) {
            kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                            "[vif_pool] needs ports_pool_min >= 0, ports_pool_max >= 0 (0: no limit) and not below "
                            "ports_pool_min, ports_pool_batch >= 1 and ports_pool_update_frequency >= 1");
            goto fail;
        }
        if (!(p->vif_pool = kl_vif_pool_new(p, &pc))) {
            kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
            goto fail;
        }
        KLOG_INFO("vif pool: on (min %ld, max %ld, batch %ld ports per subnet)", pc.min, pc.max, pc.batch);
    }
    return 0;
fail:
    kl_plugin_fini(p);
    return -1;
}

void kl_plugin_fini(kl_plugin *p)
{
    kl_vif_pool_free(p->vif_pool); /* its thread uses the Neutron client */
    p->vif_pool = NULL;
    kuryr_doubts_free(p->doubts); /* its thread uses the Neutron client too */
    p->doubts = NULL;
    /* a stopping daemon finishes the deletes Docker already counts as done, while Neutron answers */
    kuryr_port_deletes_free(p->releases, RELEASE_DRAIN_S);
    p->releases = NULL;
    kuryr_neutron_free(p->kn);
    kuryr_auth_free(p->auth);
    kuryr_http_free(p->http);
    p->kn = NULL;
    p->auth = NULL;
    p->http = NULL;
    kuryr_net_cache_free(p->nets);
    kuryr_subnet_cache_free(p->subnets);
    kl_pool_memory_free(p->pools);
    kl_fresh_ports_free(p->fresh);
    kl_unexposed_free(p->unexposed);
    p->nets = NULL;
    p->subnets = NULL;
    p->pools = NULL;
    p->fresh = NULL;
    p->unexposed = NULL;
    pthread_mutex_destroy(&p->parent_port.lock);
}

/* The MAC of a host interface from sysfs, lowercase; -1 if unreadable. */
static int iface_mac(const char *ifname, char mac[18])
{
    char path[300];
    snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    int ok = fscanf(f, "%17s", mac) == 1;
    fclose(f);
    return ok && strlen(mac) == 17 ? 0 : -1;
}

static int port_by_mac(kl_plugin *p, const char *mac, char out[64], kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "mac_address", mac);
    kuryr_query_field(q, "id");
    kuryr_port_list l = {0};
    int rc = kuryr_neutron_port_list(p->kn, q, &l, err);
    kuryr_query_free(q);
    if (rc == 0 && l.n)
        snprintf(out, 64, "%s", l.items[0]->id);
    kuryr_port_list_clear(&l);
    return rc;
}

static int find_parent_port(kl_plugin *p, char out[64], kuryr_error *err)
{
    char mac[18];
    out[0] = '\0';
    if (p->bcfg.link_iface && *p->bcfg.link_iface) {
        if (iface_mac(p->bcfg.link_iface, mac) < 0)
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot read the MAC of link_iface %s",
                                   p->bcfg.link_iface);
        if (port_by_mac(p, mac, out, err) < 0)
            return -1;
    } else {
        DIR *d = opendir("/sys/class/net");
        struct dirent *e;
        while (d && !out[0] && (e = readdir(d))) {
            char dev[300];
            struct stat st;
            snprintf(dev, sizeof(dev), "/sys/class/net/%s/device", e->d_name);
            if (e->d_name[0] == '.' || stat(dev, &st) < 0 || iface_mac(e->d_name, mac) < 0)
                continue; /* only physical (device-backed) interfaces can be the VM's NIC */
            if (port_by_mac(p, mac, out, err) < 0) {
                closedir(d);
                return -1;
            }
        }
        if (d)
            closedir(d);
    }
    if (!out[0])
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 404, NULL,
                               "no Neutron port matches this VM's interface: set [binding] link_iface");
    return 0;
}

int kl_bind_request_prepare(kl_plugin *p, kuryr_bind_request *br, kuryr_error *err)
{
    kuryr_driver drv;
    if (kuryr_binding_pick_driver(&p->bcfg, br->port, &drv, err) < 0)
        return -1;
    if (drv == KURYR_DRIVER_VETH)
        return 0;
    pthread_mutex_lock(&p->parent_port.lock);
    char cached[64];
    memcpy(cached, p->parent_port.id, sizeof(cached));
    pthread_mutex_unlock(&p->parent_port.lock);
    if (!cached[0]) {
        if (find_parent_port(p, cached, err) < 0)
            return -1;
        /* written once: a bind of another thread may be reading it already, without the lock */
        pthread_mutex_lock(&p->parent_port.lock);
        bool first = !p->parent_port.id[0];
        if (first)
            memcpy(p->parent_port.id, cached, sizeof(cached));
        pthread_mutex_unlock(&p->parent_port.lock);
        if (first)
            KLOG_INFO("this VM's Neutron port is %s", cached);
    }
    br->kn = p->kn;
    /* the bind request only borrows the id: it points at the cache, set (under the lock, seen above) once and
     * never written again */
    br->parent_port_id = p->parent_port.id;
    return 0;
}
