/* libFuzzer target: a kube-apiserver WATCH body. The input is cut into chunks at points taken from its first
 * bytes (events straddle chunk boundaries in real streams), parsed, and every event goes into an informer's
 * cache, as the informer would apply it. */
#include <stddef.h>
#include <stdint.h>

#include "k8s_internal.h"
#include "kuryr/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int apply(kuryr_k8s_event_type type, json_t *obj, void *ud)
{
    if (type == KURYR_K8S_ERROR) {
        kuryr_error err;
        k8s_status_object_error(obj, &err);
        return 0;
    }
    k8s_store_apply(ud, type, obj, NULL, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    if (size < 2)
        return 0;
    size_t step = 1 + data[0] % 64; /* chunk length */
    data++, size--;
    k8s_store *store = k8s_store_new();
    k8s_watch_parser *p = k8s_watch_parser_new(4096, apply, store);
    kuryr_error err;
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (k8s_watch_parser_feed(p, (const char *)data + off, n, &err) != 0)
            break;
    }
    /* And the cache's content as a relist, against an empty and against itself. */
    json_t *all = k8s_store_list(store);
    k8s_store_replace(store, all, NULL, NULL);
    json_decref(all);
    k8s_watch_parser_free(p);
    k8s_store_free(store);
    return 0;
}
