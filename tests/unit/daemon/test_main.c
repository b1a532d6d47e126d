/* kuryr-daemon's command line: --version, --help, --dump-config with the [cni_daemon] and [cni_health_server]
 * options (TCP off by default), and a VIF timeout kubelet's sandbox timeout could not take refused at start,
 * all without talking to any kube-apiserver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "run_cmd.h"

static int run(const char *conf, const char *extra_args, char **out)
{
    return run_cmd_with_conf(getenv("KD_DAEMON"), conf, extra_args, out);
}

static void test_version_help_and_bad_arguments(void **state)
{
    (void)state;
    check_daemon_cli_basics(getenv("KD_DAEMON"), "kuryr-daemon");
}

static void test_dump_config(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run("[cni_daemon]\nnode_name = node-7\n", "--dump-config", &out), 0);
    assert_non_null(strstr(out, "[cni_daemon] socket_path = /run/kuryr/cni.sock"));
    assert_non_null(strstr(out, "[cni_daemon] bind_address = \n"));
    assert_non_null(strstr(out, "[cni_daemon] vif_annotation_timeout = 60"));
    assert_non_null(strstr(out, "[cni_daemon] node_name = node-7"));
    assert_non_null(strstr(out, "[cni_health_server] port = 8090"));
    free(out);
}

static void test_timeout_beyond_kubelets_refused(void **state)
{
    (void)state;
    char *out;
    int rc = run("[kubernetes]\napi_root = https://127.0.0.1:1\n[cni_daemon]\nvif_annotation_timeout = 150\n"
                 "socket_path = /nonexistent-dir/x/cni.sock\n[cni_health_server]\nport = 0\n", "", &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "vif_annotation_timeout 150"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_help_and_bad_arguments),
        cmocka_unit_test(test_dump_config),
        cmocka_unit_test(test_timeout_beyond_kubelets_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
