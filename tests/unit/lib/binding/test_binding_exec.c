/* Helpers (hook scripts, ovs-vsctl) run by kb_run (lib/binding/exec.c), with real scripts: they start with no
 * signal blocked or ignored even when the daemon blocks and ignores some, and one that hangs, ignores SIGTERM
 * and has started a child is killed with its whole process group at the timeout. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "binding_internal.h"

static char dir[64];

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void write_script(const char *name, const char *body)
{
    char path[128];
    path_of(path, sizeof(path), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/kuryr-exec-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    /* the script's own signal state, and its verdict: a hook that needs SIGTERM and SIGPIPE to work */
    write_script("sigstate", "grep -E '^(SigBlk|SigIgn):' /proc/$$/status\n"
                             "[ \"$(grep -cE '^(SigBlk|SigIgn):[[:space:]]*0+$' /proc/$$/status)\" = 2 ]\n");
    /* hangs, ignoring SIGTERM, with a child (which inherits the ignore) holding its output; records both pids */
    write_script("hang", "trap '' TERM\n"
                         "sleep 600 &\n"
                         "echo $$ $! > \"$(dirname \"$0\")/pids\"\n"
                         "echo 'plugging...' >&2\n"
                         "wait\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *files[] = {"sigstate", "hang", "pids"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[128];
        path_of(path, sizeof(path), files[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

/* The daemon's own signal state (libnetwork/main.c): the stop signals blocked for sigwait, SIGPIPE ignored. */
static void daemon_signal_state(sigset_t *old_mask, struct sigaction *old_pipe)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, old_mask);
    struct sigaction ign = {.sa_handler = SIG_IGN};
    sigaction(SIGPIPE, &ign, old_pipe);
}

static void restore_signal_state(const sigset_t *old_mask, const struct sigaction *old_pipe)
{
    pthread_sigmask(SIG_SETMASK, old_mask, NULL);
    sigaction(SIGPIPE, old_pipe, NULL);
}

static void test_helper_starts_with_default_signals(void **state)
{
    (void)state;
    sigset_t old_mask;
    struct sigaction old_pipe;
    daemon_signal_state(&old_mask, &old_pipe);
    char path[128];
    path_of(path, sizeof(path), "sigstate");
    const char *argv[] = {path, NULL};
    char *out = NULL, tail[256];
    int status = -1;
    kuryr_error err;
    int rc = kb_run(argv, 30, &out, &status, tail, sizeof(tail), &err);
    restore_signal_state(&old_mask, &old_pipe);
    assert_int_equal(rc, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the helper's signal state is not the default one:\n%s", out ? out : "");
    assert_non_null(strstr(out, "SigBlk:"));
    free(out);
}

/* Dead, or a zombie not yet reaped by init: either way it runs no more. */
static bool gone(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return paren && paren[1] == ' ' && paren[2] == 'Z';
}

static void test_hung_helper_is_killed_with_its_group(void **state)
{
    (void)state;
    sigset_t old_mask;
    struct sigaction old_pipe;
    daemon_signal_state(&old_mask, &old_pipe); /* as in the daemon: this must not shield the helper */
    char path[128];
    path_of(path, sizeof(path), "hang");
    const char *argv[] = {path, NULL};
    char tail[256];
    int status = -1;
    kuryr_error err;
    int rc = kb_run(argv, 1, NULL, &status, tail, sizeof(tail), &err);
    restore_signal_state(&old_mask, &old_pipe);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "timed out"));
    char pids_path[128];
    path_of(pids_path, sizeof(pids_path), "pids");
    FILE *f = fopen(pids_path, "r");
    assert_non_null(f);
    int shell = 0, child = 0;
    assert_int_equal(fscanf(f, "%d %d", &shell, &child), 2);
    fclose(f);
    assert_true(gone(shell));
    /* the child ignored SIGTERM too: only the group's SIGKILL ends it */
    for (int i = 0; i < 3000 && !gone(child); i++)
        usleep(10000); /* SIGKILL is sent before kb_run returns, but the exit itself may still be running */
    assert_true(gone(child));
}

static void test_quick_helper_is_not_disturbed(void **state)
{
    (void)state;
    const char *argv[] = {"/bin/echo", "hello", NULL};
    char *out = NULL, tail[64];
    int status = -1;
    kuryr_error err;
    assert_int_equal(kb_run(argv, 1, &out, &status, tail, sizeof(tail), &err), 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_string_equal(out, "hello\n");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_helper_starts_with_default_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hung_helper_is_killed_with_its_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quick_helper_is_not_disturbed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
