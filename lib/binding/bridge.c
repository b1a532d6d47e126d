/* Linux bridges made by the binding (brq for vif_type bridge, qbr for OVS hybrid plugging). */
#include "binding_internal.h"

#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/route/link.h>
#include <string.h>

/* libnl-route-3 has no setters for IFLA_BR_FORWARD_DELAY / IFLA_BR_STP_STATE, so the RTM_NEWLINK is built
 * with libnl's message API. Setting them at creation avoids the 15 s default forwarding delay. */
static int bridge_create(struct nl_sock *sk, const char *name, kuryr_error *err)
{
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
    if (!msg)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "netlink: out of memory");
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    int rc = -NLE_NOMEM;
    struct nlattr *info, *data;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
        !(info = nla_nest_start(msg, IFLA_LINKINFO)) || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
        !(data = nla_nest_start(msg, IFLA_INFO_DATA)) || nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, 0) < 0 ||
        nla_put_u32(msg, IFLA_BR_STP_STATE, 0) < 0)
        goto out;
    nla_nest_end(msg, data);
    nla_nest_end(msg, info);
    rc = nl_send_auto(sk, msg);
    if (rc >= 0)
        rc = nl_wait_for_ack(sk);
out:
    nlmsg_free(msg);
    if (rc < 0)
        return kb_nl_fail(err, rc, "cannot create bridge %s", name);
    return 0;
}

int kb_bridge_ensure(struct nl_sock *sk, const char *name, kuryr_error *err)
{
    int idx = kb_link_index(sk, name);
    if (idx < 0)
        return kb_nl_fail(err, idx, "link %s", name);
    if (idx == 0) {
        int rc = bridge_create(sk, name, err);
        /* Another bind of the same network may have made it in between. */
        if (rc < 0 && err && err->kind != KURYR_ERR_CONFLICT)
            return -1;
        if (rc == 0)
            return 0;
    }
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.up = true;
    return kb_link_modify(sk, name, &ch, err);
}
