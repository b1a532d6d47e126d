/* Running helper programs (vif_type scripts, ovs-vsctl): fork/exec with no shell, default signal state, output
 * collected, bounded in time. */
#include "binding_internal.h"
#include "kuryr/clock.h"
#include "kuryr/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KB_RUN_OUT_MAX (1 << 20)
/* After a timeout's SIGTERM, how long the helper's group has to exit before SIGKILL. */
#define KB_RUN_KILL_GRACE_S 2

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

/* In the child, before execv: the daemon blocks SIGINT, SIGTERM and SIGHUP (they are for its sigwait) and
 * ignores SIGPIPE, and both would survive the exec. A helper starts as from a shell instead: nothing blocked,
 * nothing ignored, so that SIGTERM stops it and a shell script can trap SIGPIPE. Only async-signal-safe
 * calls. */
static void child_default_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and the libc-reserved ones refuse: nothing to undo */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Milliseconds left until deadline (a monotonic time; 0 = none), for poll: -1 without a deadline. */
static int ms_left(double deadline)
{
    if (deadline <= 0)
        return -1;
    double left = deadline - kuryr_mono_s();
    return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

typedef struct {
    struct pollfd fds[2]; /* stdout, stderr */
    int open_fds;
    char *obuf;
    size_t olen, elen;
    bool keep_out;
    char *errtail;
    size_t errtail_len;
} child_output;

/* Reads what is ready on the child's pipes; closes a pipe at its end. */
static void read_ready(child_output *o)
{
    for (int i = 0; i < 2; i++) {
        if (o->fds[i].fd < 0 || !(o->fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[4096];
        ssize_t n = read(o->fds[i].fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(o->fds[i].fd);
            o->fds[i].fd = -1;
            o->open_fds--;
            continue;
        }
        if (i == 1) {
            if (o->errtail)
                keep_tail(o->errtail, o->errtail_len, &o->elen, buf, (size_t)n);
        } else if (o->keep_out && o->olen + (size_t)n < KB_RUN_OUT_MAX) {
            char *nb = realloc(o->obuf, o->olen + (size_t)n + 1);
            if (nb) {
                o->obuf = nb;
                memcpy(o->obuf + o->olen, buf, (size_t)n);
                o->olen += (size_t)n;
                o->obuf[o->olen] = '\0';
            }
        }
    }
}

/* Collects output until both pipes close (the helper and whatever it started are done) or the deadline
 * passes. True when the pipes closed. */
static bool collect_until(child_output *o, double deadline)
{
    while (o->open_fds > 0) {
        int wait_ms = ms_left(deadline);
        if (wait_ms == 0)
            return false;
        int n = poll(o->fds, 2, wait_ms);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0)
            read_ready(o);
    }
    return true;
}

int kb_run(const char *const argv[], int timeout_s, char **out, int *status, char *errtail, size_t errtail_len,
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
        setpgid(0, 0); /* a group of its own: a timeout kills what it started too */
        child_default_signals();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close_range(3, ~0u, 0); /* no daemon socket or token file may leak into the helper */
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    setpgid(pid, pid); /* also here: whichever of the two runs first, the group exists before a kill */
    close(po[1]);
    close(pe[1]);
    child_output o = { .fds = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } },
                       .open_fds = 2, .keep_out = out != NULL, .errtail = errtail, .errtail_len = errtail_len };
    double deadline = timeout_s > 0 ? kuryr_mono_s() + timeout_s : 0;
    bool timed_out = !collect_until(&o, deadline);
    if (timed_out) {
        /* SIGTERM first, so that a well-behaved script can clean up; whatever ignores it goes with SIGKILL */
        kill(-pid, SIGTERM);
        if (!collect_until(&o, kuryr_mono_s() + KB_RUN_KILL_GRACE_S))
            kill(-pid, SIGKILL);
    }
    for (int i = 0; i < 2; i++)
        if (o.fds[i].fd >= 0)
            close(o.fds[i].fd);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (timed_out) {
        kill(-pid, SIGKILL); /* what the group still holds once its leader is gone */
        free(o.obuf);
        return kuryr_error_set(err, KURYR_ERR_UNAVAILABLE, 0, NULL, "%s timed out after %d s: killed", argv[0],
                               timeout_s);
    }
    *status = st;
    if (out)
        *out = o.obuf ? o.obuf : strdup("");
    else
        free(o.obuf);
    return 0;
}

int kuryr_run(const char *const argv[], char **out, int *status, char *errtail, size_t errtail_len,
              kuryr_error *err)
{
    return kb_run(argv, 0, out, status, errtail, errtail_len, err); /* no bound: mkfs may take long */
}
