/* Internals of the binding component, shared between its files and exposed to its tests.
 *
 * Every kernel operation takes the libnl socket it should use: the socket decides the network namespace
 * (a socket opened inside a netns keeps acting there), and one socket per call keeps concurrent binds of
 * different ports from sharing state. */
#ifndef KURYR_BINDING_INTERNAL_H
#define KURYR_BINDING_INTERNAL_H

#include <netlink/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "kuryr/binding.h"

#define KB_DEFAULT_MTU 1500
#define KB_OVS_BRIDGE "br-int"
#define KB_OVSDB_SOCK "/var/run/openvswitch/db.sock"
#define KB_BINDIR "/usr/libexec/kuryr"

/* ---- netlink.c ---- */
struct nl_sock *kb_nl_open(kuryr_error *err);
void kb_nl_close(struct nl_sock *sk);
/* Sets err from a libnl error code (negative NLE_*); returns -1. */
int kb_nl_fail(kuryr_error *err, int nlerr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The interface index, 0 when there is no such link, or a negative NLE_* code. */
int kb_link_index(struct nl_sock *sk, const char *name);
/* Deletes a link; a missing one is success. */
int kb_link_delete(struct nl_sock *sk, const char *name, kuryr_error *err);
int kb_link_delete_index(struct nl_sock *sk, int ifindex, kuryr_error *err);
/* Changes what is given: newname (NULL = keep), mac (NULL = keep), mtu (0 = keep), up (true = set IFF_UP),
 * master ifindex (-1 = keep, 0 = release). */
typedef struct {
    const char *newname;
    const char *mac;
    int mtu;
    bool up;
    int master;
    int ns_fd; /* -1 = stay */
    const char *alias; /* ifalias; NULL = unchanged */
} kb_link_change;
#define KB_LINK_CHANGE_INIT { .newname = NULL, .mac = NULL, .mtu = 0, .up = false, .master = -1, .ns_fd = -1, .alias = NULL }
int kb_link_modify(struct nl_sock *sk, const char *name, const kb_link_change *ch, kuryr_error *err);
/* Writes the MAC of a link as "aa:bb:cc:dd:ee:ff". */
int kb_link_mac(struct nl_sock *sk, const char *name, char out[18], kuryr_error *err);
/* The first link whose MAC equals mac (case-insensitive). */
int kb_link_find_by_mac(struct nl_sock *sk, const char *mac, char out[KURYR_IFNAME_LEN], kuryr_error *err);
int kb_link_mtu(struct nl_sock *sk, const char *name);

/* ---- veth.c ---- */
/* Creates host/container ends; a stale pair of the same names is removed first. The host end comes up. */
int kb_veth_create(struct nl_sock *sk, const char *host, const char *cont, const char *cont_mac, int mtu,
                   kuryr_error *err);

/* ---- child_link.c ---- */
/* Adds link (allocated by the caller with its kind's own attributes set) as name on parent, with mac (NULL =
 * the kernel's choice) and mtu, after removing a leftover of that name. label names the device in errors
 * ("vlan t_c... (id 5)"); module is the kernel module named when the kernel does not know the link kind. */
struct rtnl_link;
int kb_child_link_add(struct nl_sock *sk, struct rtnl_link *link, const char *parent, const char *name,
                      const char *mac, int mtu, const char *label, const char *module, kuryr_error *err);

/* ---- macvlan.c, ipvlan.c, vlan.c ---- */
int kb_macvlan_create(struct nl_sock *sk, const char *parent, const char *name, const char *mac, int mtu,
                      kuryr_error *err);
int kb_ipvlan_create(struct nl_sock *sk, const char *parent, const char *name, int mtu, kuryr_error *err);
int kb_vlan_create(struct nl_sock *sk, const char *parent, const char *name, int vlan_id, const char *mac,
                   int mtu, kuryr_error *err);

/* ---- bridge.c ---- */
/* Creates a Linux bridge with forward delay 0 and STP off unless it exists, and brings it up. */
int kb_bridge_ensure(struct nl_sock *sk, const char *name, kuryr_error *err);

/* ---- host_bridge.c (vif_type bridge) ---- */
int kb_host_bridge_plug(struct nl_sock *sk, const char *net_id, const char *host_if, kuryr_error *err);
int kb_host_bridge_unplug(struct nl_sock *sk, const char *host_if, kuryr_error *err);

/* ---- host_ovs.c (vif_type ovs) ---- */
typedef struct {
    const char *port_id, *mac, *owner_id;
} kb_ovs_iface;
int kb_ovs_plug(const kuryr_binding_cfg *cfg, const char *ifname, const kb_ovs_iface *ids, kuryr_error *err);
/* Removes the OVS port ifname and every other one whose interface has external_ids iface-id=port_id and
 * owner=kuryr. */
int kb_ovs_unplug(const kuryr_binding_cfg *cfg, const char *ifname, const char *port_id, kuryr_error *err);
/* Names of the interfaces with iface-id=port_id and owner=kuryr, newline separated (malloc'd). */
int kb_ovs_find(const kuryr_binding_cfg *cfg, const char *port_id, char **names, kuryr_error *err);
/* external_ids:<key>="<value>" for ovs-vsctl into buf; -1 with err when value would not stay itself (too long
 * for buf, or holding a quote or a backslash). */
int kb_ovs_external_id(char *buf, size_t len, const char *key, const char *value, kuryr_error *err);
/* Settings for a host-side veth on a netdev (userspace) datapath bridge. */
int kb_sysctl_quiet_host_iface(const char *ifname, kuryr_error *err);

/* ---- host_hybrid.c (vif_type ovs with ovs_hybrid_plug) ---- */
int kb_hybrid_plug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const char *host_if, int mtu,
                   const kb_ovs_iface *ids, kuryr_error *err);
int kb_hybrid_unplug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const char *port_id, kuryr_error *err);

/* ---- exec.c ---- */
/* Runs argv[0] (an absolute path) with no shell, in a process group of its own, with no signal blocked or
 * ignored. On return 0, *status is the wait status; stdout is returned in *out when out != NULL (malloc'd),
 * the last bytes of stderr in errtail. With timeout_s > 0, a helper (or anything it started) still holding
 * its output after timeout_s seconds gets SIGTERM, then SIGKILL 2 s later, all of its process group; -1 with
 * KURYR_ERR_UNAVAILABLE "timed out" then. */
int kb_run(const char *const argv[], int timeout_s, char **out, int *status, char *errtail, size_t errtail_len,
           kuryr_error *err);

/* ---- hook.c ---- */
#define KB_HOOK_ARGC 9
#define KB_HOOK_TIMEOUT_S 60 /* [DEFAULT] hook_timeout's default */
/* The argument vectors of upstream's vif_type scripts; strings point into the inputs and details_json. */
void kb_hook_argv_bind(const char *script, const kuryr_port *port, const char *ifname, const char *endpoint_id,
                       const char *details_json, const char *argv[KB_HOOK_ARGC + 1]);
void kb_hook_argv_unbind(const char *script, const kuryr_port *port, const char *ifname,
                         const char *endpoint_id, const char *details_json, const char *argv[KB_HOOK_ARGC + 1]);
int kb_hook_run(const kuryr_binding_cfg *cfg, bool bind, const kuryr_port *port, const char *ifname,
                const char *endpoint_id, kuryr_error *err);

/* ---- driver.c ---- */
/* "veth", "macvlan", "ipvlan", "vlan", or upstream's module paths ("kuryr.lib.binding.drivers.veth"). */
int kb_driver_parse(const char *name, kuryr_driver *out);
const char *kb_driver_name(kuryr_driver d);

/* ---- aap.c (allowed address pairs, pure) ---- */
/* The parent's pairs plus one {ip, mac} per fixed IP of port; NULL when nothing would change. */
json_t *kb_aap_with(const kuryr_port *parent, const kuryr_port *port, const char *mac);
/* The parent's pairs without those whose IP is a fixed IP of port; NULL when nothing would change. */
json_t *kb_aap_without(const kuryr_port *parent, const kuryr_port *port);

/* ---- aap_update.c ---- */
int kb_aap_add(kuryr_neutron *kn, const char *parent_id, const kuryr_port *port, const char *mac,
               kuryr_error *err);
int kb_aap_remove(kuryr_neutron *kn, const char *parent_id, const kuryr_port *port, kuryr_error *err);

/* ---- segid.c (segmentation ids, pure + a process-wide reservation) ---- */
#define KB_SEGID_MIN 1
#define KB_SEGID_MAX 4094
/* A free id in 1..4094: not used by the trunk's subports, not in taken (bitmap of 4096 bits, may be NULL).
 * Starts looking at start (wrapping), so that callers can spread their picks. -1 when all are used. */
int kb_segid_pick(const kuryr_trunk *trunk, const uint8_t *taken, unsigned start);
/* As kb_segid_pick, also skipping ids other threads of this process hold, and holding the result. */
int kb_segid_reserve(const kuryr_trunk *trunk, const uint8_t *taken, unsigned start);
void kb_segid_release(int id);
static inline void kb_bit_set(uint8_t *bits, int i) { bits[i / 8] |= (uint8_t)(1u << (i % 8)); }
static inline bool kb_bit_get(const uint8_t *bits, int i) { return bits[i / 8] & (1u << (i % 8)); }

/* ---- trunk.c ---- */
/* Adds port as a subport of the parent port's trunk; *vlan_id is its segmentation id (an existing one is
 * reused). */
int kb_trunk_attach(kuryr_neutron *kn, const char *parent_id, const char *port_id, int *vlan_id,
                    kuryr_error *err);
int kb_trunk_detach(kuryr_neutron *kn, const char *parent_id, const char *port_id, kuryr_error *err);

/* ---- nested.c ---- */
int kb_nested_bind(const kuryr_binding_cfg *cfg, kuryr_driver drv, const kuryr_bind_request *req,
                   struct nl_sock *sk, const char *ifname, kuryr_error *err);
int kb_nested_unbind(kuryr_driver drv, const kuryr_bind_request *req, kuryr_error *err);
/* cfg->link_iface, or the interface whose MAC is the parent port's. */
int kb_nested_link_iface(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, struct nl_sock *sk,
                         char out[KURYR_IFNAME_LEN], kuryr_error *err);

/* ---- host.c ---- */
/* Fails, saying what to check, for a port Neutron could not bind (unbound, binding_failed). */
int kb_host_check(const kuryr_port *port, kuryr_error *err);
int kb_host_plug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const kuryr_bind_request *req,
                 const char *host_if, kuryr_error *err);
int kb_host_unplug(const kuryr_binding_cfg *cfg, struct nl_sock *sk, const kuryr_bind_request *req,
                   const char *host_if, kuryr_error *err);

/* ---- netns.c ---- */
/* A netlink socket living in the netns at path; the calling thread's own netns is back in place on return.
 * NOT_FOUND when path does not exist. */
struct nl_sock *kb_netns_socket(const char *path, int *ns_fd, kuryr_error *err);

/* ---- netns_config.c ---- */
int kb_netns_configure(struct nl_sock *nssk, const char *ifname, int mtu, const kuryr_netns_config *ns,
                       kuryr_error *err);

#endif
