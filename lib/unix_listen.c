/* The listening Unix socket of a plugin daemon (see unix_listen.h). */
#include "kuryr/unix_listen.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <netdb.h>
#include <netinet/in.h>

#include "kuryr/health.h"

int kuryr_unix_listen(const char *path, kuryr_error *err)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sa.sun_path))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "unix socket path too long: %s", path);
    strcpy(sa.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "%s exists and is not a socket", path);
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        bool live = probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;
        if (probe >= 0)
            close(probe);
        if (live)
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "%s is in use by another process", path);
        unlink(path); /* stale: left by a daemon that did not exit cleanly */
    }
    /* /run/docker/plugins may not exist yet when the plugin starts before Docker: make every missing parent */
    char dir[sizeof(sa.sun_path)];
    snprintf(dir, sizeof(dir), "%s", path);
    for (char *c = dir + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create %s: %s", dir, strerror(errno));
        *c = '/';
    }
    /* Root-only from the first instant, with no window where others could connect: bound inside a directory
     * only root can enter, made 0600, then renamed into place. (Not with umask(): it is process-wide, and the
     * daemon's other threads are running.) */
    char tmpdir[sizeof(sa.sun_path)], *slash = strrchr(dir, '/');
    const char *parent = ".";
    if (slash) {
        *slash = '\0';
        parent = dir[0] ? dir : "/";
    }
    if (snprintf(tmpdir, sizeof(tmpdir), "%s/.kuryr-XXXXXX", parent) >= (int)sizeof(tmpdir) - 2 ||
        !mkdtemp(tmpdir))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot make a private directory next to %s",
                               path);
    struct sockaddr_un tmp = {.sun_family = AF_UNIX};
    size_t tl = strlen(tmpdir); /* fits: checked above */
    memcpy(tmp.sun_path, tmpdir, tl);
    memcpy(tmp.sun_path + tl, "/s", 3);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&tmp, sizeof(tmp));
    /* A backlog of SOMAXCONN: dockerd connects without blocking, so a burst beyond the backlog would fail
     * with EAGAIN instead of waiting */
    if (fd < 0 || rc < 0 || chmod(tmp.sun_path, 0600) < 0 || rename(tmp.sun_path, path) < 0 ||
        listen(fd, SOMAXCONN) < 0) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(tmp.sun_path);
        if (rc == 0)
            unlink(path);
        rmdir(tmpdir);
        return -1;
    }
    rmdir(tmpdir);
    return fd;
}

int kuryr_loopback_listen(const char *spec, unsigned *port_out, kuryr_error *err)
{
    char host[128], port[8];
    if (kuryr_health_parse_listen(spec, host, sizeof(host), port, sizeof(port), err) < 0)
        return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai = NULL;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "%s: cannot resolve", spec);
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        int e = errno;
        freeaddrinfo(ai);
        if (fd >= 0)
            close(fd);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "%s: cannot listen: %s", spec, strerror(e));
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (port_out && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                   : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}
