/* The daemon's command line: --version, --help, --dump-config (secrets masked), and refusals of unknown
 * arguments and unreadable config files, all without starting the server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs the daemon with args (stderr folded into stdout); returns its exit status and output. */
static int run(const char *args, char **out)
{
    const char *bin = getenv("KL_DAEMON");
    assert_non_null(bin);
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    FILE *mem = open_memstream(out, &len);
    int c;
    while ((c = fgetc(p)) != EOF)
        fputc(c, mem);
    fclose(mem);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_version_and_help(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run("--version", &out), 0);
    assert_non_null(strstr(out, "kuryr-libnetwork "));
    free(out);
    assert_int_equal(run("--help", &out), 0);
    assert_non_null(strstr(out, "--config-file"));
    assert_non_null(strstr(out, "--dump-config"));
    free(out);
    assert_int_equal(run("--bogus", &out), 2);
    assert_non_null(strstr(out, "unknown argument --bogus"));
    free(out);
    assert_int_equal(run("--config-file /nonexistent/kuryr.conf", &out), 2);
    free(out);
}

static void test_dump_config_masks_secrets(void **state)
{
    (void)state;
    char path[] = "/tmp/kl-cli-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *conf = "[DEFAULT]\nsubnetpool_name_prefix = myPool\n[neutron]\npassword = s3cr3t-value\n"
                       "auth_type = password\n";
    assert_int_equal(write(fd, conf, strlen(conf)), (ssize_t)strlen(conf));
    close(fd);
    char args[256], *out;
    snprintf(args, sizeof(args), "--config-file %s --dump-config", path);
    int rc = run(args, &out);
    unlink(path);
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
