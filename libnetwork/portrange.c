/* Grouping of exposed ports into ranges (see portrange.h). */
#include "portrange.h"

#include <stdlib.h>

const char *kl_proto_name(int proto)
{
    switch (proto) {
    case 1: return "icmp";
    case 6: return "tcp";
    case 17: return "udp";
    default: return NULL;
    }
}

/* Docker's Proto as an int, or 0 when it is not one of the IP protocol numbers (a json_int_t of 6 + 2^32
 * must not pass for tcp). */
static int proto_of(json_t *proto)
{
    if (!json_is_integer(proto))
        return 0;
    json_int_t v = json_integer_value(proto);
    return v > 0 && v < 256 ? (int)v : 0;
}

static int cmp_range(const void *a, const void *b)
{
    const kl_port_range *x = a, *y = b;
    if (x->proto != y->proto)
        return x->proto - y->proto;
    return x->min - y->min;
}

int kl_port_ranges(json_t *exposed, kl_port_range **out, size_t *n, kuryr_error *err)
{
    *out = NULL;
    *n = 0;
    if (!exposed || json_is_null(exposed))
        return 0;
    if (!json_is_array(exposed))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "exposed ports must be an array");
    size_t count = json_array_size(exposed);
    if (count == 0)
        return 0;
    kl_port_range *r = calloc(count, sizeof(*r));
    if (!r)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    size_t i;
    json_t *item;
    json_array_foreach(exposed, i, item) {
        json_t *proto = json_object_get(item, "Proto"), *port = json_object_get(item, "Port");
        if (!kl_proto_name(proto_of(proto))) {
            free(r);
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL,
                                   "exposed port %zu: Proto must be 1, 6 or 17", i);
        }
        r[i].proto = proto_of(proto);
        if (r[i].proto == 1)
            continue; /* icmp has no ports: one rule covers it */
        if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535) {
            free(r);
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL,
                                   "exposed port %zu: Port must be 1..65535", i);
        }
        r[i].min = r[i].max = (int)json_integer_value(port);
    }
    qsort(r, count, sizeof(*r), cmp_range);
    size_t k = 0;
    for (i = 1; i < count; i++) {
        if (r[i].proto == r[k].proto && r[i].min <= r[k].max + 1) {
            if (r[i].max > r[k].max)
                r[k].max = r[i].max;
        } else {
            r[++k] = r[i];
        }
    }
    *out = r;
    *n = k + 1;
    return 0;
}
