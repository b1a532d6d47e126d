/* CNI mode: the container's interface configured inside its namespace (name, MTU, addresses, routes). */
#include "binding_internal.h"

#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <string.h>

static int add_addr(struct nl_sock *sk, int ifindex, const char *cidr, kuryr_error *err)
{
    struct nl_addr *local = NULL;
    int rc = nl_addr_parse(cidr, AF_UNSPEC, &local);
    if (rc < 0)
        return kb_nl_fail(err, rc, "bad address '%s'", cidr);
    if (nl_addr_get_family(local) != AF_INET && nl_addr_get_family(local) != AF_INET6) {
        nl_addr_put(local);
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "bad address '%s'", cidr);
    }
    struct rtnl_addr *a = rtnl_addr_alloc();
    rtnl_addr_set_ifindex(a, ifindex);
    rtnl_addr_set_local(a, local);
    /* Neutron already guarantees the address is unique: skipping DAD makes it usable at once. */
    if (nl_addr_get_family(local) == AF_INET6)
        rtnl_addr_set_flags(a, IFA_F_NODAD);
    rc = rtnl_addr_add(sk, a, NLM_F_REPLACE);
    rtnl_addr_put(a);
    nl_addr_put(local);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot add address %s", cidr);
    return 0;
}

static int add_route(struct nl_sock *sk, int ifindex, const char *dst, const char *via, kuryr_error *err)
{
    struct nl_addr *d = NULL, *g = NULL;
    int rc = nl_addr_parse(dst, AF_UNSPEC, &d);
    if (rc < 0)
        return kb_nl_fail(err, rc, "bad route destination '%s'", dst);
    if (via && *via && (rc = nl_addr_parse(via, nl_addr_get_family(d), &g)) < 0) {
        nl_addr_put(d);
        return kb_nl_fail(err, rc, "bad gateway '%s' for %s", via, dst);
    }
    struct rtnl_route *r = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    rtnl_route_set_family(r, (uint8_t)nl_addr_get_family(d));
    rtnl_route_set_dst(r, d);
    rtnl_route_set_table(r, RT_TABLE_MAIN);
    rtnl_route_set_protocol(r, RTPROT_STATIC);
    rtnl_route_set_scope(r, g ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    rtnl_route_nh_set_ifindex(nh, ifindex);
    if (g)
        rtnl_route_nh_set_gateway(nh, g);
    rtnl_route_add_nexthop(r, nh);
    rc = rtnl_route_add(sk, r, NLM_F_REPLACE);
    rtnl_route_put(r);
    nl_addr_put(d);
    if (g)
        nl_addr_put(g);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot add route %s via %s", dst, via && *via ? via : "(link)");
    return 0;
}

int kb_netns_configure(struct nl_sock *nssk, const char *ifname, int mtu, const kuryr_netns_config *ns,
                       kuryr_error *err)
{
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    /* A moved device arrives down, which renaming needs. */
    if (strcmp(ifname, ns->ifname) != 0) {
        ch.newname = ns->ifname;
        if (kb_link_modify(nssk, ifname, &ch, err) < 0)
            return -1;
    }
    ch = (kb_link_change)KB_LINK_CHANGE_INIT;
    ch.mtu = mtu;
    ch.up = true;
    if (kb_link_modify(nssk, ns->ifname, &ch, err) < 0)
        return -1;
    kb_link_change lo = KB_LINK_CHANGE_INIT;
    lo.up = true;
    if (kb_link_modify(nssk, "lo", &lo, err) < 0)
        return -1;
    int idx = kb_link_index(nssk, ns->ifname);
    if (idx <= 0)
        return kb_nl_fail(err, idx < 0 ? idx : -NLE_NODEV, "link %s", ns->ifname);
    for (size_t i = 0; i < ns->n_addresses; i++)
        if (add_addr(nssk, idx, ns->addresses[i], err) < 0)
            return -1;
    for (size_t i = 0; i < ns->n_routes; i++)
        if (add_route(nssk, idx, ns->routes[i].destination, ns->routes[i].nexthop, err) < 0)
            return -1;
    if (ns->gateway_v4 && *ns->gateway_v4 && add_route(nssk, idx, "0.0.0.0/0", ns->gateway_v4, err) < 0)
        return -1;
    if (ns->gateway_v6 && *ns->gateway_v6 && add_route(nssk, idx, "::/0", ns->gateway_v6, err) < 0)
        return -1;
    return 0;
}
