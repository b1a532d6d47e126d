/* Shared inside lib/k8s: the client's guts and the pieces unit tests and fuzz targets reach directly (the
 * watch-stream parser, the cache and its relist diff, the Lease decision). */
#ifndef KURYR_K8S_INTERNAL_H
#define KURYR_K8S_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "kuryr/http.h"
#include "kuryr/k8s_client.h"
#include "kuryr/k8s_informer.h"
#include "kuryr/k8s_lease.h"

/* ---- client.c ---- */

struct kuryr_k8s_client {
    kuryr_http *http;
    char *server;
    char *user_agent;
    pthread_mutex_t lock;  /* guards the token fields */
    char *token;           /* the bearer token in use; NULL = none (client certificates) */
    char *token_file;      /* re-read when its identity below changes, and after a 401 */
    struct stat token_st;
};

/* Re-reads the token file if it changed since last read (or always, with force). 0 or -1 with err; a failed
 * re-read keeps the previous token. */
int k8s_token_refresh(kuryr_k8s_client *c, bool force, kuryr_error *err);
/* "Authorization: Bearer <token>" malloc'd, or NULL when the client has no token. Wipe with k8s_free_secret. */
char *k8s_auth_header(kuryr_k8s_client *c);
void k8s_free_secret(char *s);

/* ---- request.c ---- */

/* Sends one request with the client's auth; on 401 with a token file, reloads the token and sends it again
 * once. Returns 0 when an answer arrived (any status; resp filled), -1 with err when none did. */
int k8s_send(kuryr_k8s_client *c, const char *method, const char *path, const char *content_type,
             const char *body, kuryr_http_response *resp, kuryr_error *err);
/* A streamed GET (a watch) with the client's auth; stream as in kuryr_http_request_stream. */
int k8s_send_stream(kuryr_k8s_client *c, const char *path, kuryr_http_stream *stream, kuryr_http_response *resp,
                    kuryr_error *err);
/* err from a non-2xx answer: the kind from the status (429 unavailable), the Status reason as type, the Status
 * message (or the start of the body) in the message. Returns -1. */
int k8s_status_error(long status, const char *body, const char *method, const char *path, kuryr_error *err);
/* err from a Status object (a watch ERROR event). Returns -1. */
int k8s_status_object_error(const json_t *status, kuryr_error *err);

/* ---- watch_stream.c: newline-delimited watch events, parsed across chunk boundaries ---- */

typedef struct k8s_watch_parser k8s_watch_parser;
/* Gets each event: object is borrowed (incref to keep). Returning non-zero stops the parse (feed returns it). */
typedef int (*k8s_watch_event_fn)(kuryr_k8s_event_type type, json_t *object, void *ud);

/* max_line: the longest event accepted (0 = 16 MiB); a longer line is an error, not unbounded memory. */
k8s_watch_parser *k8s_watch_parser_new(size_t max_line, k8s_watch_event_fn fn, void *ud);
void k8s_watch_parser_free(k8s_watch_parser *p);
/* Feeds len bytes. Returns 0, the callback's non-zero value, or -1 with err for a malformed event (a line that
 * is not JSON, has no known type or no object object) or an over-long line. The parser is unusable after -1. */
int k8s_watch_parser_feed(k8s_watch_parser *p, const char *data, size_t len, kuryr_error *err);
/* Bytes buffered of an unfinished line (a stream that ended there lost that event). */
size_t k8s_watch_parser_pending(const k8s_watch_parser *p);
/* Events parsed so far. */
unsigned long k8s_watch_parser_events(const k8s_watch_parser *p);

/* ---- store.c: the informer's cache, keyed "namespace/name", and the relist diff ---- */

typedef struct k8s_store k8s_store;
/* Gets a change to deliver: old is the previous state (NULL for an add), new the new one (NULL for a delete).
 * Both borrowed for the call. */
typedef void (*k8s_change_fn)(const json_t *old_obj, const json_t *new_obj, void *ud);

k8s_store *k8s_store_new(void);
void k8s_store_free(k8s_store *s);
size_t k8s_store_count(const k8s_store *s);
/* A new reference, or NULL. */
json_t *k8s_store_get(const k8s_store *s, const char *key);
/* A new array of (references to) every object. */
json_t *k8s_store_list(const k8s_store *s);
/* Applies one watch event. An ADDED or MODIFIED with the resourceVersion the cache already has is not a
 * change (it was seen before: a replayed event); an ADDED of a known object is an update, a MODIFIED of an
 * unknown one an add; a DELETED of an unknown object is nothing. Calls fn for a real change. Returns 1 when it
 * was a change, 0 when not, -1 for an object without a name. */
int k8s_store_apply(k8s_store *s, kuryr_k8s_event_type type, json_t *obj, k8s_change_fn fn, void *ud);
/* Replaces the whole content with items (a fresh LIST), calling fn for each difference: adds for new keys,
 * updates for keys whose resourceVersion differs, deletes (with the last known state) for keys gone. Returns
 * the number of changes, or -1 when an item has no name (the store is then unchanged). */
long k8s_store_replace(k8s_store *s, json_t *items, k8s_change_fn fn, void *ud);

/* ---- list_watch.c: the LIST + WATCH loop (the informer is its only user) ---- */

/* Where the loop delivers, and how it waits. */
typedef struct {
    /* A complete LIST (first or after 410): the receiver replaces its state. items is borrowed. */
    void (*on_list)(json_t *items, void *ud);
    /* One ADDED, MODIFIED or DELETED event. obj is borrowed. */
    void (*on_event)(kuryr_k8s_event_type type, json_t *obj, void *ud);
    /* Waits ms (0 = just checks); false when the loop must end (shutdown). Also polled during a watch. */
    bool (*pause)(long ms, void *ud);
    void *ud;
} k8s_reflector_sink;

/* Counters the loop keeps, atomic so that other threads may read them at any time. */
typedef struct {
    atomic_ulong lists, relists_gone, watches, restarts, stalls, throttled;
} k8s_reflector_stats;

/* Runs until sink->pause says stop, updating stats as it goes. */
void k8s_reflector_run(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, const k8s_reflector_sink *sink,
                       k8s_reflector_stats *stats);

/* The watch URL path for opts from resource_version, with allowWatchBookmarks and timeout_s. malloc'd. */
char *k8s_watch_path(const kuryr_k8s_watch_opts *opts, const char *resource_version, unsigned timeout_s);
/* The list URL path for opts with limit and continue (NULL = first page). malloc'd. */
char *k8s_list_path(const kuryr_k8s_watch_opts *opts, const char *cont);

/* ---- lease.c: the decision, free of I/O so it can be tested step by step ---- */

typedef struct {
    char *holder;             /* "" = nobody */
    double duration_s;
    char *resource_version;
    long transitions;
    char *renew_time;         /* as written (RFC 3339 micro); only compared for change */
} k8s_lease_record;

typedef enum {
    K8S_LEASE_WAIT,     /* someone else holds a valid Lease */
    K8S_LEASE_ACQUIRE,  /* take it: free, released or expired (transitions + 1) */
    K8S_LEASE_RENEW,    /* we hold it: renew */
} k8s_lease_action;

/* What the candidate `identity` should do, seeing record at local monotonic time now_s, given when it first
 * observed that record (observed_s; updated by the caller whenever the record changes). */
k8s_lease_action k8s_lease_decide(const k8s_lease_record *rec, const char *identity, double observed_s,
                                  double now_s);

/* ---- kubeconfig.c ---- */

/* Decodes base64 (standard alphabet, padding optional, whitespace ignored) into a malloc'd NUL-terminated
 * buffer. NULL on bad input. */
char *k8s_base64_decode(const char *in, size_t len, size_t *out_len);

#endif
