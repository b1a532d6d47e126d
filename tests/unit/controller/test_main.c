/* kuryr-k8s-controller's command line: --version, --help, --dump-config (with the [kubernetes] options and
 * secrets masked), and refusals of unknown arguments, unreadable config files and a bad syslog facility, all
 * without talking to any kube-apiserver. */
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
    return run_cmd_with_conf(getenv("KC_CONTROLLER"), conf, extra_args, out);
}

static void test_version_help_and_bad_arguments(void **state)
{
    (void)state;
    check_daemon_cli_basics(getenv("KC_CONTROLLER"), "kuryr-k8s-controller");
}

static void test_dump_config_shows_kubernetes_options_and_masks_secrets(void **state)
{
    (void)state;
    char *out;
    int rc = run("[kubernetes]\napi_root = https://10.0.0.1:6443\ncontroller_ha = true\n"
                 "[neutron]\npassword = s3cr3t-value\n",
                 "--dump-config", &out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "[kubernetes] api_root = https://10.0.0.1:6443"));
    assert_non_null(strstr(out, "[kubernetes] controller_ha = True"));
    assert_non_null(strstr(out, "[kubernetes] ssl_verify_server_crt = True"));
    assert_non_null(strstr(out, "[health_server] port = 8082"));
    assert_non_null(strstr(out, "[neutron] password = ***"));
    assert_null(strstr(out, "s3cr3t"));
    free(out);
}

static void test_bad_logging_and_ha_settings_refused(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run("[DEFAULT]\nsyslog_log_facility = LOG_NOPE\n", "", &out), 2);
    assert_non_null(strstr(out, "unknown syslog_log_facility LOG_NOPE"));
    free(out);
    /* a renew deadline not below the Lease duration could let two leaders act: refused before any request */
    int rc = run("[kubernetes]\napi_root = https://127.0.0.1:1\ncontroller_ha = true\n"
                 "controller_ha_lease_duration = 5\ncontroller_ha_renew_deadline = 5\n[health_server]\nport = 0\n",
                 "", &out);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "controller_ha_renew_deadline < controller_ha_lease_duration"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_help_and_bad_arguments),
        cmocka_unit_test(test_dump_config_shows_kubernetes_options_and_masks_secrets),
        cmocka_unit_test(test_bad_logging_and_ha_settings_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
