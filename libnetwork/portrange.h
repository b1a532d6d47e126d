/* Exposed ports ([{Proto, Port}] from Docker) grouped into the fewest security-group rules. */
#ifndef KL_PORTRANGE_H
#define KL_PORTRANGE_H

#include <jansson.h>
#include <stddef.h>

#include "kuryr/error.h"

typedef struct {
    int proto;      /* 6 tcp, 17 udp, 1 icmp */
    int min, max;   /* 0/0 for icmp */
} kl_port_range;

/* "tcp", "udp", "icmp", or NULL for a protocol Neutron rules cannot express here. */
const char *kl_proto_name(int proto);
/* Parses Docker's exposed-ports array and groups each protocol's ports into contiguous ranges, sorted by
 * protocol then port, duplicates merged. *out is malloc'd (NULL when n is 0). Bad input is a bad request. */
int kl_port_ranges(json_t *exposed, kl_port_range **out, size_t *n, kuryr_error *err);

#endif
