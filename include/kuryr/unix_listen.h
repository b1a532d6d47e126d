/* Listening sockets of the daemons: the root-only Unix socket plugin daemons serve on, and a TCP socket on a
 * loopback address (health listeners, opt-in TCP APIs). */
#ifndef KURYR_UNIX_LISTEN_H
#define KURYR_UNIX_LISTEN_H

#include "kuryr/error.h"

/* Creates a listening unix socket at path, mode 0600, replacing a stale socket file but never a live one
 * or a non-socket, and making missing parent directories. Returns the fd or -1 with err. */
int kuryr_unix_listen(const char *path, kuryr_error *err);

/* Listens on spec ("127.0.0.1:5036", "[::1]:0", "localhost:8090"; the host must be a loopback address, see
 * kuryr_health_parse_listen). *port (may be NULL) gets the bound port. Returns the fd or -1 with err. */
int kuryr_loopback_listen(const char *spec, unsigned *port, kuryr_error *err);

#endif
