/* The record of an attachment, kept in the ifalias of its host-side link so that it lives and dies with the
 * device and survives a SIGKILL of the daemon:
 *     kuryr.cni:<node> <container id> <ifname> <port id> <kind> <mac>
 * kind is how the host side was plugged: bridge (linuxbridge's brq), ovs (br-int), ovs_hybrid (qbr/qvb/qvo).
 * DEL and GC act only on links with this node's record: the container id says whether a DEL is stale (the pod's
 * interface now belongs to a newer sandbox), and only a recorded link is provably ours to delete. */
#ifndef KD_RECORD_H
#define KD_RECORD_H

#include <stdbool.h>

#include "request.h"

#define KD_NODE_MAX 63
#define KD_RECORD_PREFIX "kuryr.cni:"

typedef struct {
    char container_id[KD_CONTAINER_ID_MAX + 1];
    char ifname[16];
    char port_id[40];
    char kind[12];
    char mac[18];
    char link[16]; /* the host link carrying it (filled by whoever read it) */
} kd_record;

/* "kuryr.cni:<node> " into out. */
void kd_record_prefix(char out[KD_NODE_MAX + 16], const char *node);
/* The alias text, or -1 when a field would not fit or holds a blank. */
int kd_record_format(char out[256], const char *node, const kd_record *r);
/* 0 when alias is a well-formed record of node, else -1. */
int kd_record_parse(const char *alias, const char *node, kd_record *out);

#endif
