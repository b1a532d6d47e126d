/* Attachment records in ifalias (see record.h). */
#include "record.h"

#include <stdio.h>
#include <string.h>

void kd_record_prefix(char out[KD_NODE_MAX + 16], const char *node)
{
    snprintf(out, KD_NODE_MAX + 16, KD_RECORD_PREFIX "%.*s ", KD_NODE_MAX, node);
}

static bool word(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n > 0 && n <= max && !strpbrk(s, " \t\n");
}

int kd_record_format(char out[256], const char *node, const kd_record *r)
{
    if (!word(node, KD_NODE_MAX) || !word(r->container_id, KD_CONTAINER_ID_MAX) || !word(r->ifname, 15) ||
        !word(r->port_id, 39) || !word(r->kind, 11) || !word(r->mac, 17))
        return -1;
    int n = snprintf(out, 256, KD_RECORD_PREFIX "%s %s %s %s %s %s", node, r->container_id, r->ifname, r->port_id,
                     r->kind, r->mac);
    return n > 0 && n < 256 ? 0 : -1;
}

int kd_record_parse(const char *alias, const char *node, kd_record *out)
{
    char prefix[KD_NODE_MAX + 16];
    kd_record_prefix(prefix, node);
    size_t pl = strlen(prefix);
    if (strncmp(alias, prefix, pl) != 0)
        return -1;
    memset(out, 0, sizeof(*out));
    char extra;
    int n = sscanf(alias + pl, "%80s %15s %39s %11s %17s %c", out->container_id, out->ifname, out->port_id,
                   out->kind, out->mac, &extra);
    if (n != 5)
        return -1;
    if (strcmp(out->kind, "bridge") && strcmp(out->kind, "ovs") && strcmp(out->kind, "ovs_hybrid"))
        return -1;
    /* A field longer than its slot would have been split across two: only a record that reads back the same
     * is one. */
    char again[256];
    return kd_record_format(again, node, out) == 0 && !strcmp(again, alias) ? 0 : -1;
}
