/* The daemon's command line: --version, --help, --dump-config (secrets masked), and refusals of unknown
 * arguments and unreadable config files, all without starting the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "run_cmd.h"

static void test_version_and_help(void **state)
{
    (void)state;
    check_daemon_cli_basics(getenv("KL_DAEMON"), "kuryr-libnetwork");
}

static void test_dump_config_masks_secrets(void **state)
{
    (void)state;
    char *out;
    int rc = run_cmd_with_conf(getenv("KL_DAEMON"),
                               "[DEFAULT]\nsubnetpool_name_prefix = myPool\n[neutron]\npassword = s3cr3t-value\n"
                               "auth_type = password\n",
                               "--dump-config", &out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "[DEFAULT] subnetpool_name_prefix = myPool"));
    assert_non_null(strstr(out, "[neutron] password = ***"));
    assert_null(strstr(out, "s3cr3t"));
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_and_help),
        cmocka_unit_test(test_dump_config_masks_secrets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
