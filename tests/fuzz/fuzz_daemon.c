/* libFuzzer target: kuryr-daemon's request parsing (daemon/request.c) and attachment records (record.c), on
 * what kuryr-cni (or, with bind_address, any local process) sends. The first byte picks the verb; the rest is
 * the body. Whatever is accepted must be safe to hand on: ids, names and paths within their bounds, and a
 * record made from them must read back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void record_round_trip(const kd_request *r)
{
    kd_record rec = {0}, back;
    memcpy(rec.container_id, r->container_id, sizeof(rec.container_id));
    memcpy(rec.ifname, r->ifname, sizeof(rec.ifname));
    strcpy(rec.port_id, "0f6ae2b4-8e57-4c1c-9a64-d2f11e9d1a3b");
    strcpy(rec.kind, "bridge");
    strcpy(rec.mac, "fa:16:3e:00:00:01");
    char alias[256];
    if (kd_record_format(alias, "node-1", &rec) != 0 || kd_record_parse(alias, "node-1", &back) != 0 ||
        strcmp(back.container_id, rec.container_id) || strcmp(back.ifname, rec.ifname))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    kd_verb verb = (kd_verb)(data[0] % 5);
    kd_request r;
    kd_fail f;
    if (kd_request_parse((const char *)data + 1, size - 1, verb, &r, &f) == 0) {
        if (strlen(r.ifname) > 15 || strlen(r.container_id) > KD_CONTAINER_ID_MAX ||
            (r.netns[0] && r.netns[0] != '/'))
            abort();
        if (verb == KD_ADD || verb == KD_DEL || verb == KD_CHECK)
            record_round_trip(&r);
        kd_request_clear(&r);
    } else {
        char *json = kd_fail_json(&f);
        if (!json || f.http_status < 400)
            abort();
        free(json);
    }
    /* Aliases read from links are outside input too (any root process can write one). */
    kd_record rec;
    char alias[300];
    size_t n = size - 1 < sizeof(alias) - 1 ? size - 1 : sizeof(alias) - 1;
    memcpy(alias, data + 1, n);
    alias[n] = '\0';
    kd_record_parse(alias, "node-1", &rec);
    return 0;
}
