/* The root-only listening Unix socket that Docker plugin daemons serve on. */
#ifndef KURYR_UNIX_LISTEN_H
#define KURYR_UNIX_LISTEN_H

#include "kuryr/error.h"

/* Creates a listening unix socket at path, mode 0600, replacing a stale socket file but never a live one
 * or a non-socket, and making missing parent directories. Returns the fd or -1 with err. */
int kuryr_unix_listen(const char *path, kuryr_error *err);

#endif
