/* URI dispatch for the plugin protocol: one POST handler per method, JSON in and out, errors as {"Err"}. */
#ifndef KL_ROUTER_H
#define KL_ROUTER_H

#include <jansson.h>
#include <stddef.h>

#include "kuryr/error.h"

#define KL_CONTENT_TYPE "application/vnd.docker.plugins.v1+json"

typedef struct kl_plugin kl_plugin;

/* A handler reads the request object (never NULL) and sets *resp to a new object, or returns -1 with err. */
typedef int (*kl_handler)(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err);

typedef struct {
    const char *path;
    kl_handler fn;
} kl_route_entry;

/* The daemon's table, terminated by a NULL path. */
extern const kl_route_entry kl_routes[];

typedef struct {
    int status;
    char *body;        /* malloc'd JSON */
    const char *path;  /* the matched route's path, NULL when none matched */
} kl_reply;

/* The entry for url (the query string is ignored), or NULL. */
const kl_route_entry *kl_route_find(const kl_route_entry *table, const char *url);
/* Validates method, size and body, calls the handler and fills out. max_body 0 = no limit. */
void kl_dispatch(kl_plugin *p, const kl_route_entry *table, const char *method, const char *url,
                 const char *body, size_t len, size_t max_body, kl_reply *out);
void kl_reply_clear(kl_reply *r);
/* The HTTP status a failed handler answers with. */
int kl_status_for(const kuryr_error *err);
/* {"Err": msg} as a malloc'd string. */
char *kl_err_body(const char *msg);

#endif
