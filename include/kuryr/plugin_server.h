/* A Docker plugin's HTTP server: libmicrohttpd on a root-only Unix socket, one thread per connection, the whole
 * request body collected (up to a limit) and handed to one handler that answers with a status and a JSON body.
 * The daemon decides what the paths mean; this only carries requests. */
#ifndef KURYR_PLUGIN_SERVER_H
#define KURYR_PLUGIN_SERVER_H

#include <stddef.h>

#include "kuryr/error.h"

/* The content type of every Docker plugin answer. */
#define KURYR_PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1+json"

typedef struct {
    const char *unix_path;     /* the socket, made with mode 0600 (kuryr/unix_listen.h) */
    const char *tcp_address;   /* instead of unix_path: "127.0.0.1:5036", loopback only; NULL = unix_path */
    size_t max_body;           /* larger bodies are answered 413 without calling the handler; 0 = 1 MiB */
    unsigned max_connections;  /* 0 = 256 */
    unsigned timeout_s;        /* idle or unfinished connections are closed after it; 0 = 120 */
} kuryr_plugin_server_opts;

/* Called once per complete request on the connection's thread. Sets *status and *body (malloc'd JSON, freed
 * by the server). body_len bytes of body, NUL-terminated; body is NULL when the request had none. */
typedef void (*kuryr_plugin_handler)(void *ctx, const char *method, const char *url, const char *body,
                                     size_t body_len, int *status, char **reply);

typedef struct kuryr_plugin_server kuryr_plugin_server;

kuryr_plugin_server *kuryr_plugin_server_start(const kuryr_plugin_server_opts *opts, kuryr_plugin_handler fn,
                                               void *ctx, kuryr_error *err);
/* Stops accepting, waits for running requests, closes and removes the socket. NULL is fine. */
void kuryr_plugin_server_stop(kuryr_plugin_server *s);

#endif
