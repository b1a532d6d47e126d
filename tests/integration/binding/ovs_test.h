/* Shared by the tests that need a running Open vSwitch (test_binding_ovs, test_binding_hybrid): the skip when
 * it is not there, and ovs-vsctl for reading back what the binding wrote, independently of the code under
 * test's own OVS calls. Include after binding_internal.h and binding_test.h. */
#ifndef KURYR_OVS_TEST_H
#define KURYR_OVS_TEST_H

#include <sys/stat.h>
#include <sys/wait.h>

#define BT_VSCTL "/usr/bin/ovs-vsctl"

/* Root, a running ovsdb-server (its socket) and ovs-vsctl, or exit 77 saying which is missing. */
static inline void bt_require_ovs(const char *what)
{
    char why[200];
    if (geteuid() != 0) {
        snprintf(why, sizeof(why), "%s needs root", what);
        bt_skip(why);
    }
    struct stat st;
    if (stat(KB_OVSDB_SOCK, &st) != 0)
        bt_skip(KB_OVSDB_SOCK " does not exist: Open vSwitch is not running (scripts/stack up --backend ovn)");
    if (access(BT_VSCTL, X_OK) != 0)
        bt_skip("ovs-vsctl is not installed");
}

/* Runs ovs-vsctl with args (NULL-terminated, at most 16); 0 when it exits 0. *out (when out != NULL) is its
 * stdout, malloc'd, or NULL. */
static inline int bt_vsctl(const char *const *args, char **out)
{
    const char *argv[20] = { BT_VSCTL, ("--db=unix:" KB_OVSDB_SOCK), "--timeout=60" };
    size_t n = 3;
    for (size_t i = 0; args[i] && n < 19; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int status = 0;
    char tail[200];
    kuryr_error err;
    if (out)
        *out = NULL;
    if (kb_run(argv, 130, out, &status, tail, sizeof(tail), &err) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

#endif
