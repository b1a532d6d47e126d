/* Shared between lib/http.c and lib/http_handles.c: the client and its per-thread curl handles. */
#ifndef KURYR_HTTP_INTERNAL_H
#define KURYR_HTTP_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>

#include "kuryr/http.h"

struct kuryr_http_slot;

struct kuryr_http {
    char *cafile, *certfile, *keyfile, *unix_socket;
    char *ca_pem, *cert_pem, *key_pem;
    bool insecure;
    long connect_timeout_ms, timeout_ms;
    int max_retries;
    long retry_backoff_ms;
    atomic_ulong total_requests;
    /* Every thread's handle for this client, so that freeing the client frees them all. Guarded by the
     * handle-cache lock in http_handles.c. */
    struct kuryr_http_slot *slots;
};

/* curl_global_init and the thread-exit hook, once per process. */
void kuryr_http_global_init(void);
/* The calling thread's easy handle for http, created on first use; NULL when out of memory. */
CURL *kuryr_http_thread_handle(struct kuryr_http *http);
/* Frees every thread's handle for http; the client must no longer be in use by any thread. */
void kuryr_http_release_handles(struct kuryr_http *http);

#endif
