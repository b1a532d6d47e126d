/* Reading what a bind left behind: the container's interface in its netns (CNI ADD's "already there?" and
 * CHECK), and the host links carrying an ifalias record (CNI DEL and GC find their attachments by it). */
#include "binding_internal.h"

#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_addresses(struct nl_sock *sk, int ifindex, kuryr_netns_iface *out)
{
    struct nl_cache *cache = NULL;
    if (rtnl_addr_alloc_cache(sk, &cache) < 0)
        return;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        if (rtnl_addr_get_ifindex(a) != ifindex || out->n_addresses >= KURYR_NETNS_IFACE_MAX_ADDRS)
            continue;
        struct nl_addr *local = rtnl_addr_get_local(a);
        if (local)
            nl_addr2str(local, out->addresses[out->n_addresses++], sizeof(out->addresses[0]));
    }
    nl_cache_free(cache);
}

int kuryr_netns_iface_get(const char *netns_path, const char *ifname, kuryr_netns_iface *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    int ns_fd = -1;
    struct nl_sock *sk = kb_netns_socket(netns_path, &ns_fd, err);
    if (!sk)
        return -1;
    struct rtnl_link *link = NULL;
    int rc = rtnl_link_get_kernel(sk, 0, ifname, &link);
    int ret = 0;
    if (rc == 0) {
        struct nl_addr *mac = rtnl_link_get_addr(link);
        if (mac)
            nl_addr2str(mac, out->mac, sizeof(out->mac));
        out->mtu = (int)rtnl_link_get_mtu(link);
        read_addresses(sk, rtnl_link_get_ifindex(link), out);
        rtnl_link_put(link);
        ret = 1;
    } else if (rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV) {
        ret = kb_nl_fail(err, rc, "link %s in %s", ifname, netns_path);
    }
    kb_nl_close(sk);
    close(ns_fd);
    return ret;
}

int kuryr_host_links_by_alias(const char *prefix, kuryr_host_link **out, size_t *n, kuryr_error *err)
{
    *out = NULL;
    *n = 0;
    struct nl_sock *sk = kb_nl_open(err);
    if (!sk)
        return -1;
    struct nl_cache *cache = NULL;
    int rc = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
    if (rc < 0) {
        kb_nl_close(sk);
        return kb_nl_fail(err, rc, "cannot list links");
    }
    size_t plen = strlen(prefix);
    int ret = 0;
    for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *l = (struct rtnl_link *)o;
        const char *alias = rtnl_link_get_ifalias(l), *name = rtnl_link_get_name(l);
        if (!alias || !name || strncmp(alias, prefix, plen) != 0)
            continue;
        kuryr_host_link *grown = realloc(*out, (*n + 1) * sizeof(**out));
        if (!grown) {
            ret = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
            break;
        }
        *out = grown;
        snprintf(grown[*n].name, sizeof(grown[*n].name), "%s", name);
        snprintf(grown[*n].alias, sizeof(grown[*n].alias), "%s", alias);
        (*n)++;
    }
    nl_cache_free(cache);
    kb_nl_close(sk);
    if (ret < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return ret;
}
