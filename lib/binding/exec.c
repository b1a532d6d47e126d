/* Running helper programs (vif_type scripts, ovs-vsctl): fork/exec with no shell, output collected. */
#include "binding_internal.h"
#include "kuryr/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KB_RUN_OUT_MAX (1 << 20)

static void keep_tail(char *tail, size_t cap, size_t *len, const char *buf, size_t n)
{
    if (cap < 2)
        return;
    cap--; /* room for the NUL */
    if (n >= cap) {
        memcpy(tail, buf + n - cap, cap);
        *len = cap;
    } else {
        size_t keep = *len + n > cap ? cap - n : *len;
        memmove(tail, tail + *len - keep, keep);
        memcpy(tail + keep, buf, n);
        *len = keep + n;
    }
    tail[*len] = '\0';
}

int kb_run(const char *const argv[], char **out, int *status, char *errtail, size_t errtail_len,
           kuryr_error *err)
{
    int po[2] = { -1, -1 }, pe[2] = { -1, -1 };
    if (errtail && errtail_len)
        errtail[0] = '\0';
    if (out)
        *out = NULL;
    if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        int e = errno;
        if (po[0] >= 0) {
            close(po[0]);
            close(po[1]);
        }
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "pipe: %s", strerror(e));
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "fork: %s", strerror(e));
    }
    if (pid == 0) {
        /* Only async-signal-safe calls from here: the parent may be multi-threaded. */
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close_range(3, ~0u, 0); /* no daemon socket or token file may leak into the helper */
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    char *obuf = NULL;
    size_t olen = 0, elen = 0;
    struct pollfd fds[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = read(fds[i].fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
                continue;
            }
            if (i == 1) {
                if (errtail)
                    keep_tail(errtail, errtail_len, &elen, buf, (size_t)n);
            } else if (out && olen + (size_t)n < KB_RUN_OUT_MAX) {
                char *nb = realloc(obuf, olen + (size_t)n + 1);
                if (nb) {
                    obuf = nb;
                    memcpy(obuf + olen, buf, (size_t)n);
                    olen += (size_t)n;
                    obuf[olen] = '\0';
                }
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    *status = st;
    if (out)
        *out = obuf ? obuf : strdup("");
    else
        free(obuf);
    return 0;
}

int kuryr_run(const char *const argv[], char **out, int *status, char *errtail, size_t errtail_len,
              kuryr_error *err)
{
    return kb_run(argv, out, status, errtail, errtail_len, err);
}
