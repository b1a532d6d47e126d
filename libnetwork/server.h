/* The HTTP side of the daemon: libmicrohttpd on a root-only unix socket and/or the TCP address of kuryr_uri. */
#ifndef KL_SERVER_H
#define KL_SERVER_H

#include "kuryr/error.h"
#include "kuryr/unix_listen.h"
#include "plugin.h"

typedef struct kl_server kl_server;

/* Listens as configured ([DEFAULT] unix_socket, kuryr_uri, enable_ssl, ssl_cert_file, ssl_key_file,
 * max_request_body, max_connections, request_timeout) and serves requests on its own threads. */
kl_server *kl_server_start(kl_plugin *p, kuryr_error *err);
/* Stops accepting, waits for running requests, closes and removes the unix socket. */
void kl_server_stop(kl_server *s);

/* Moved to libkuryr (kuryr/unix_listen.h); the old name stays for the tests that use it. */
#define kl_unix_listen kuryr_unix_listen
/* Splits "http://host:port" into host and port; [v6] hosts lose their brackets. */
int kl_parse_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen, bool *https);

#endif
