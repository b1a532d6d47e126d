/* vif_type bridge: the host end joins brq<net_id[:11]>, the bridge the Linux bridge agent wires. */
#include "binding_internal.h"

int kb_host_bridge_plug(struct nl_sock *sk, const char *net_id, const char *host_if, kuryr_error *err)
{
    char br[KURYR_IFNAME_LEN];
    kuryr_ifname(br, "brq", net_id);
    if (kb_bridge_ensure(sk, br, err) < 0)
        return -1;
    int idx = kb_link_index(sk, br);
    if (idx <= 0)
        return kb_nl_fail(err, idx < 0 ? idx : -NLE_NODEV, "bridge %s", br);
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.master = idx;
    ch.up = true;
    if (kb_link_modify(sk, host_if, &ch, err) < 0) {
        kuryr_error_set(err, err->kind, 0, NULL, "cannot add %s to bridge %s (is %s a bridge?): %s", host_if, br,
                        br, err->message);
        return -1;
    }
    return 0;
}

int kb_host_bridge_unplug(struct nl_sock *sk, const char *host_if, kuryr_error *err)
{
    int idx = kb_link_index(sk, host_if);
    if (idx == 0)
        return 0;
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.master = 0;
    if (kb_link_modify(sk, host_if, &ch, err) < 0)
        return err->kind == KURYR_ERR_NOT_FOUND ? 0 : -1;
    return 0;
}
