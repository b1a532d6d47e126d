/* Configuration: defaults, every type, oslo override order across files and a config dir, argv handling,
 * unknown-option warnings, malformed values named by file/section/key, and the secret-file warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kuryr/config.h"
#include "kuryr/log.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINES 32

static struct {
    char *lines[MAX_LINES];
    size_t count;
} warnings;

static void capture_sink(kuryr_log_level level, const char *line, void *userdata)
{
    (void)userdata;
    if (level >= KURYR_LOG_WARNING && warnings.count < MAX_LINES)
        warnings.lines[warnings.count++] = strdup(line);
}

static bool warned(const char *needle)
{
    for (size_t i = 0; i < warnings.count; i++) {
        if (strstr(warnings.lines[i], needle))
            return true;
    }
    return false;
}

static char *data_path(const char *name)
{
    const char *root = getenv("KURYR_TEST_DATA");
    static char path[1024];
    snprintf(path, sizeof(path), "%s/config/%s", root ? root : "tests/unit/lib/data", name);
    return path;
}

/* Each test gets a fresh config and a private temp dir; teardown removes both even when a test fails. */
typedef struct {
    kuryr_config *cfg;
    char dir[64];
    char err[512];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/kuryr-test-config-XXXXXX");
    if (!mkdtemp(f->dir) || !(f->cfg = kuryr_config_new())) {
        free(f);
        return -1;
    }
    kuryr_log_set_level(KURYR_LOG_INFO);
    kuryr_log_set_sink(capture_sink, NULL);
    *state = f;
    return 0;
}

static void write_temp(fixture *f, const char *name, const char *text, mode_t mode, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", f->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static int teardown(void **state)
{
    fixture *f = *state;
    kuryr_log_set_sink(NULL, NULL);
    for (size_t i = 0; i < warnings.count; i++)
        free(warnings.lines[i]);
    warnings.count = 0;
    static const char *const temps[] = {"secret.conf", "plain.conf"};
    for (size_t i = 0; i < sizeof(temps) / sizeof(temps[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", f->dir, temps[i]);
        unlink(path);
    }
    rmdir(f->dir);
    kuryr_config_free(f->cfg);
    free(f);
    return 0;
}

static void test_defaults(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    /* no TCP listener unless configured: the root-only unix socket alone serves the plugin */
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "kuryr_uri"), "");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "capability_scope"), "local");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "local_default_address_space"), "no_address_space");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "global_default_address_space"), "no_address_space");
    assert_true(kuryr_config_get_bool(c, "DEFAULT", "process_external_connectivity"));
    assert_false(kuryr_config_get_bool(c, "DEFAULT", "enable_ssl"));
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "bindir"), "/usr/libexec/kuryr");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "subnetpool_name_prefix"), "kuryrPool");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "deployment_type"), "baremetal");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "default_port_driver"), "veth");
    assert_false(kuryr_config_get_bool(c, "DEFAULT", "debug"));
    assert_false(kuryr_config_get_bool(c, "DEFAULT", "use_syslog"));
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "syslog_log_facility"), "LOG_USER");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "unix_socket"), "/run/docker/plugins/kuryr.sock");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "metrics_listen"), "");
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "max_request_body"), 1048576);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "max_connections"), 256);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "request_timeout"), 120);
    assert_true(kuryr_config_get_bool(c, "DEFAULT", "reconcile_on_startup"));
    assert_string_equal(kuryr_config_get_str(c, "neutron", "auth_type"), "password");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "endpoint_type"), "public");
    assert_int_equal(kuryr_config_get_int(c, "neutron", "timeout"), 60);
    assert_string_equal(kuryr_config_get_str(c, "neutron", "default_subnetpool_v4"), "kuryr");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "default_subnetpool_v6"), "kuryr6");
    assert_true(kuryr_config_get_bool(c, "neutron", "enable_dhcp"));
    assert_false(kuryr_config_get_bool(c, "neutron", "vif_plugging_is_fatal"));
    assert_int_equal(kuryr_config_get_int(c, "neutron", "vif_plugging_timeout"), 0);
    assert_false(kuryr_config_get_bool(c, "neutron", "insecure"));
    assert_string_equal(kuryr_config_get_str(c, "binding", "default_driver"), "veth");
    assert_string_equal(kuryr_config_get_str(c, "binding", "veth_dst_prefix"), "eth");
    assert_string_equal(kuryr_config_get_str(c, "binding", "link_iface"), "");
    const char *const *drivers = kuryr_config_get_list(c, "binding", "enabled_drivers");
    assert_string_equal(drivers[0], "veth");
    assert_null(drivers[1]);
    /* Unset options read as "" and are not "set". */
    assert_string_equal(kuryr_config_get_str(c, "neutron", "password"), "");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "auth_url"), "");
    assert_false(kuryr_config_is_set(c, "DEFAULT", "kuryr_uri"));
}

static void test_table_is_sound(void **state)
{
    (void)state;
    for (size_t i = 0; i < kuryr_options_count; i++) {
        const kuryr_opt_def *o = &kuryr_options[i];
        assert_non_null(o->section);
        assert_non_null(o->name);
        assert_true(o->help && strlen(o->help) > 10);
        if (o->secret)
            assert_null(o->def);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(o->section, kuryr_options[j].section) == 0 && strcmp(o->name, kuryr_options[j].name) == 0)
                fail_msg("[%s] %s is declared twice", o->section, o->name);
        }
    }
    /* The Kuryr-C additions say so, so that operators know upstream will not read them. */
    const char *additions[] = {"unix_socket", "metrics_listen", "max_request_body", "max_connections",
                               "request_timeout", "reconcile_on_startup"};
    for (size_t a = 0; a < sizeof(additions) / sizeof(additions[0]); a++) {
        bool found = false;
        for (size_t i = 0; i < kuryr_options_count; i++) {
            if (strcmp(kuryr_options[i].name, additions[a]) == 0) {
                found = true;
                assert_non_null(strstr(kuryr_options[i].help, "Kuryr-C addition"));
            }
        }
        assert_true(found);
    }
}

static void test_good_file_every_type(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    assert_int_equal(kuryr_config_load_file(c, data_path("good.conf"), f->err, sizeof(f->err)), 0);
    assert_int_equal(warnings.count, 0);
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "kuryr_uri"), "http://127.0.0.1:23760");
    assert_true(kuryr_config_is_set(c, "DEFAULT", "kuryr_uri"));
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "capability_scope"), "global");
    assert_false(kuryr_config_get_bool(c, "DEFAULT", "process_external_connectivity"));
    assert_true(kuryr_config_get_bool(c, "DEFAULT", "debug"));
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "deployment_type"), "nested");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "default_port_driver"), "veth");
    const char *const *pd = kuryr_config_get_list(c, "DEFAULT", "enabled_port_drivers");
    assert_string_equal(pd[0], "veth");
    assert_string_equal(pd[1], "macvlan");
    assert_null(pd[2]);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "max_connections"), 32);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "request_timeout"), 30);
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "metrics_listen"), "127.0.0.1:23751");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "unix_socket"), "");
    assert_true(kuryr_config_is_set(c, "DEFAULT", "unix_socket"));
    assert_string_equal(kuryr_config_get_str(c, "neutron", "auth_type"), "v3password");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "username"), "kuryr");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "region_name"), "RegionTwo");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "endpoint_type"), "internal");
    assert_true(kuryr_config_get_bool(c, "neutron", "insecure"));
    assert_int_equal(kuryr_config_get_int(c, "neutron", "timeout"), 15);
    assert_string_equal(kuryr_config_get_str(c, "binding", "default_driver"), "macvlan");
    assert_string_equal(kuryr_config_get_str(c, "binding", "link_iface"), "eth1");
    assert_string_equal(kuryr_config_get_str(c, "binding", "veth_dst_prefix"), "ens");
    /* Defaults survive for what the file does not mention. */
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "bindir"), "/usr/libexec/kuryr");
    assert_false(kuryr_config_is_set(c, "DEFAULT", "bindir"));
}

static void test_list_parsing(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    assert_int_equal(kuryr_config_load_file(c, data_path("good.conf"), f->err, sizeof(f->err)), 0);
    const char *const *d = kuryr_config_get_list(c, "binding", "enabled_drivers");
    assert_string_equal(d[0], "veth");
    assert_string_equal(d[1], "macvlan");
    assert_string_equal(d[2], "ipvlan");
    assert_null(d[3]);

    assert_int_equal(kuryr_config_set(c, "binding", "enabled_drivers", " , ,", f->err, sizeof(f->err)), 0);
    assert_null(kuryr_config_get_list(c, "binding", "enabled_drivers")[0]);
    assert_int_equal(kuryr_config_set(c, "binding", "enabled_drivers",
                                      "kuryr.lib.binding.drivers.vlan,kuryr.lib.binding.drivers.veth", f->err,
                                      sizeof(f->err)),
                     0);
    d = kuryr_config_get_list(c, "binding", "enabled_drivers");
    assert_string_equal(d[0], "vlan");
    assert_string_equal(d[1], "veth");
    assert_null(d[2]);

    /* Upstream's nested deployments name the nested port driver by module path. */
    const char *nested = "kuryr_libnetwork.port_driver.drivers.nested";
    const char *sriov = "kuryr_libnetwork.port_driver.drivers.sriov";
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "default_port_driver", nested, f->err, sizeof(f->err)), 0);
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "default_port_driver"), "nested");
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "default_port_driver", sriov, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "[DEFAULT] default_port_driver: 'kuryr_libnetwork.port_driver.drivers.sriov'"));
}

static void test_bool_spellings(void **state)
{
    fixture *f = *state;
    const char *yes[] = {"true", "TRUE", "Yes", "on", "1"};
    const char *no[] = {"false", "False", "NO", "Off", "0"};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(kuryr_config_set(f->cfg, "neutron", "insecure", yes[i], f->err, sizeof(f->err)), 0);
        assert_true(kuryr_config_get_bool(f->cfg, "neutron", "insecure"));
        assert_int_equal(kuryr_config_set(f->cfg, "neutron", "insecure", no[i], f->err, sizeof(f->err)), 0);
        assert_false(kuryr_config_get_bool(f->cfg, "neutron", "insecure"));
    }
    assert_int_equal(kuryr_config_set(f->cfg, "neutron", "insecure", "2", f->err, sizeof(f->err)), -1);
    assert_int_equal(kuryr_config_set(f->cfg, "neutron", "insecure", "", f->err, sizeof(f->err)), -1);
}

static void test_set_and_ints(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "max_request_body", "-5", f->err, sizeof(f->err)), 0);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "max_request_body"), -5);
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "max_request_body", "99999999999999999999999", f->err,
                                      sizeof(f->err)),
                     -1);
    assert_non_null(strstr(f->err, "[DEFAULT] max_request_body"));
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "max_request_body", "", f->err, sizeof(f->err)), -1);
    assert_int_equal(kuryr_config_get_int(c, "DEFAULT", "max_request_body"), -5);
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "nope", "1", f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "[DEFAULT] nope"));
    assert_int_equal(kuryr_config_set(c, "DEFAULT", "deployment_type", "nested", f->err, sizeof(f->err)), 0);
    assert_true(kuryr_config_is_set(c, "DEFAULT", "deployment_type"));
}

static void test_wrong_type_or_undeclared_getter(void **state)
{
    fixture *f = *state;
    assert_string_equal(kuryr_config_get_str(f->cfg, "DEFAULT", "no_such"), "");
    assert_int_equal(kuryr_config_get_int(f->cfg, "DEFAULT", "kuryr_uri"), 0);
    assert_false(kuryr_config_get_bool(f->cfg, "neutron", "timeout"));
    assert_null(kuryr_config_get_list(f->cfg, "binding", "nope")[0]);
    assert_false(kuryr_config_is_set(f->cfg, "binding", "nope"));
    assert_true(warned("[DEFAULT] no_such is not declared"));
    assert_true(warned("[DEFAULT] kuryr_uri read with the wrong type"));
}

static void test_later_files_override(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    assert_int_equal(kuryr_config_load_file(c, data_path("first.conf"), f->err, sizeof(f->err)), 0);
    assert_int_equal(kuryr_config_load_file(c, data_path("second.conf"), f->err, sizeof(f->err)), 0);
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "kuryr_uri"), "http://127.0.0.1:2222");
    assert_string_equal(kuryr_config_get_str(c, "DEFAULT", "bindir"), "/opt/first");
    assert_int_equal(kuryr_config_get_int(c, "neutron", "timeout"), 20);
    assert_string_equal(kuryr_config_get_str(c, "neutron", "username"), "first");
}

static void test_config_dir_lexical_order(void **state)
{
    fixture *f = *state;
    kuryr_config *c = f->cfg;
    assert_int_equal(kuryr_config_load_dir(c, data_path("conf.d"), f->err, sizeof(f->err)), 0);
    assert_int_equal(kuryr_config_get_int(c, "neutron", "timeout"), 40);
    assert_string_equal(kuryr_config_get_str(c, "neutron", "region_name"), "FromDir20");
    assert_string_equal(kuryr_config_get_str(c, "neutron", "username"), "dir10");
    assert_int_equal(kuryr_config_load_dir(c, data_path("no-such-dir"), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "no-such-dir"));
}

static void test_section_names_fold_case(void **state)
{
    fixture *f = *state;
    assert_int_equal(kuryr_config_load_file(f->cfg, data_path("neutron-upper.conf"), f->err, sizeof(f->err)), 0);
    assert_string_equal(kuryr_config_get_str(f->cfg, "neutron", "region_name"), "MixedCase");
}

static void test_unknown_options_warn(void **state)
{
    fixture *f = *state;
    assert_int_equal(kuryr_config_load_file(f->cfg, data_path("unknown.conf"), f->err, sizeof(f->err)), 0);
    assert_true(warned("unknown.conf: unknown option [DEFAULT] no_such_option ignored"));
    assert_true(warned("unknown.conf: unknown option [nosuchsection] whatever ignored"));
    assert_true(kuryr_config_get_bool(f->cfg, "DEFAULT", "debug"));
    assert_int_equal(kuryr_config_get_int(f->cfg, "neutron", "timeout"), 5);
}

static void expect_load_error(fixture *f, const char *file, const char *section_key, const char *detail)
{
    assert_int_equal(kuryr_config_load_file(f->cfg, data_path(file), f->err, sizeof(f->err)), -1);
    if (!strstr(f->err, file) || !strstr(f->err, section_key) || !strstr(f->err, detail))
        fail_msg("error for %s lacks \"%s\"/\"%s\": %s", file, section_key, detail, f->err);
}

static void test_malformed_values(void **state)
{
    fixture *f = *state;
    expect_load_error(f, "bad-bool.conf", "[neutron] enable_dhcp", "'maybe' is not a boolean");
    expect_load_error(f, "bad-int.conf", "[DEFAULT] max_connections", "'12abc' is not an integer");
    expect_load_error(f, "bad-choice.conf", "[neutron] endpoint_type", "'private' is not one of public|internal|admin");
    expect_load_error(f, "bad-list-choice.conf", "[binding] enabled_drivers", "'hw_veb'");
    expect_load_error(f, "syntax.conf", "syntax.conf:3", "not a valid INI line");
    /* inih as Debian builds it cannot hold long lines; they must fail, not be split into bogus lines. */
    expect_load_error(f, "long-line.conf", "long-line.conf:2", "line longer than");
    /* A failed file changes nothing, not even the valid lines before the bad one. */
    assert_int_equal(kuryr_config_get_int(f->cfg, "neutron", "timeout"), 60);
    assert_false(kuryr_config_get_bool(f->cfg, "DEFAULT", "debug"));
}

static void test_missing_file(void **state)
{
    fixture *f = *state;
    assert_int_equal(kuryr_config_load_file(f->cfg, data_path("absent.conf"), f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "absent.conf"));
    assert_non_null(strstr(f->err, "No such file"));
}

static void test_argv_handling(void **state)
{
    fixture *f = *state;
    char a_file[1100], a_dir[1100], a_file2[1100];
    snprintf(a_file, sizeof(a_file), "%s", data_path("first.conf"));
    snprintf(a_dir, sizeof(a_dir), "--config-dir=%s", data_path("conf.d"));
    snprintf(a_file2, sizeof(a_file2), "--config-file=%s", data_path("second.conf"));
    char *argv[] = {"kuryr", "--debug", "--config-file", a_file, a_dir, "positional", a_file2, "--", "--config-file",
                    "x", NULL};
    int argc = 10;
    assert_int_equal(kuryr_config_parse_args(f->cfg, &argc, argv, f->err, sizeof(f->err)), 0);
    assert_int_equal(argc, 6);
    assert_string_equal(argv[0], "kuryr");
    assert_string_equal(argv[1], "--debug");
    assert_string_equal(argv[2], "positional");
    assert_string_equal(argv[3], "--");
    assert_string_equal(argv[4], "--config-file");
    assert_string_equal(argv[5], "x");
    assert_null(argv[6]);
    /* Order on the command line is load order: first.conf, then conf.d, then second.conf. */
    assert_int_equal(kuryr_config_get_int(f->cfg, "neutron", "timeout"), 20);
    assert_string_equal(kuryr_config_get_str(f->cfg, "neutron", "username"), "dir10");
    assert_string_equal(kuryr_config_get_str(f->cfg, "neutron", "region_name"), "FromDir20");
    assert_string_equal(kuryr_config_get_str(f->cfg, "DEFAULT", "kuryr_uri"), "http://127.0.0.1:2222");
}

static void test_argv_errors(void **state)
{
    fixture *f = *state;
    char *missing_arg[] = {"kuryr", "--config-file", NULL};
    int argc = 2;
    assert_int_equal(kuryr_config_parse_args(f->cfg, &argc, missing_arg, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "--config-file needs a path"));

    char *empty_dir[] = {"kuryr", "--config-dir=", NULL};
    argc = 2;
    assert_int_equal(kuryr_config_parse_args(f->cfg, &argc, empty_dir, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "--config-dir needs a directory"));

    char bad[1100];
    snprintf(bad, sizeof(bad), "--config-file=%s", data_path("bad-int.conf"));
    char *bad_file[] = {"kuryr", bad, NULL};
    argc = 2;
    assert_int_equal(kuryr_config_parse_args(f->cfg, &argc, bad_file, f->err, sizeof(f->err)), -1);
    assert_non_null(strstr(f->err, "[DEFAULT] max_connections"));
}

static void test_argv_without_config_options(void **state)
{
    fixture *f = *state;
    if (access("/etc/kuryr/kuryr.conf", F_OK) == 0)
        skip();
    char *argv[] = {"kuryr", "--config-filez", "serve", NULL};
    int argc = 3;
    assert_int_equal(kuryr_config_parse_args(f->cfg, &argc, argv, f->err, sizeof(f->err)), 0);
    assert_int_equal(argc, 3);
    assert_string_equal(argv[1], "--config-filez");
    assert_false(kuryr_config_is_set(f->cfg, "DEFAULT", "kuryr_uri"));
}

static const char secret_text[] = "[neutron]\nusername = kuryr\npassword = very-secret-pw\n";

static void test_secret_file_readable_by_others_warns(void **state)
{
    fixture *f = *state;
    char path[128];
    write_temp(f, "secret.conf", secret_text, 0644, path, sizeof(path));
    assert_int_equal(kuryr_config_load_file(f->cfg, path, f->err, sizeof(f->err)), 0);
    assert_string_equal(kuryr_config_get_str(f->cfg, "neutron", "password"), "very-secret-pw");
    assert_true(warned("secret.conf holds a secret but is readable by group or others (mode 644)"));
    for (size_t i = 0; i < warnings.count; i++)
        assert_null(strstr(warnings.lines[i], "very-secret-pw"));
}

static void test_private_or_secretless_files_do_not_warn(void **state)
{
    fixture *f = *state;
    char path[128];
    write_temp(f, "secret.conf", secret_text, 0600, path, sizeof(path));
    assert_int_equal(kuryr_config_load_file(f->cfg, path, f->err, sizeof(f->err)), 0);
    write_temp(f, "plain.conf", "[neutron]\nusername = kuryr\n", 0644, path, sizeof(path));
    assert_int_equal(kuryr_config_load_file(f->cfg, path, f->err, sizeof(f->err)), 0);
    assert_int_equal(warnings.count, 0);
}

static char *dump(void (*fn)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    fn(m);
    fclose(m);
    return text;
}

static void test_sample_never_shows_secrets(void **state)
{
    fixture *f = *state;
    char *sample = dump(kuryr_config_dump_sample);
    assert_non_null(strstr(sample, "\n[DEFAULT]\n"));
    assert_non_null(strstr(sample, "\n[neutron]\n"));
    assert_non_null(strstr(sample, "\n[binding]\n"));
    assert_non_null(strstr(sample, "\n#kuryr_uri =\n"));
    assert_non_null(strstr(sample, "\n#password =\n"));
    assert_non_null(strstr(sample, "\n#application_credential_secret =\n"));
    assert_non_null(strstr(sample, "\n#token =\n"));
    assert_non_null(strstr(sample, "# Allowed values: public, internal, admin\n"));
    for (const char *p = sample; *p; p = strchr(p, '\n') + 1) {
        size_t len = strcspn(p, "\n");
        if (len > 80)
            fail_msg("sample line longer than 80 columns: %.*s", (int)len, p);
        if (!p[len])
            break;
    }
    /* The sample itself is a valid config: with every line uncommented it would load; as is, it loads to the
     * defaults. */
    char path[128];
    write_temp(f, "plain.conf", sample, 0600, path, sizeof(path));
    free(sample);
    assert_int_equal(kuryr_config_load_file(f->cfg, path, f->err, sizeof(f->err)), 0);
    assert_int_equal(warnings.count, 0);
}

static void test_reference_lists_every_option(void **state)
{
    (void)state;
    char *ref = dump(kuryr_config_dump_reference);
    assert_non_null(strstr(ref, "## [DEFAULT]\n"));
    for (size_t i = 0; i < kuryr_options_count; i++) {
        char cell[128];
        snprintf(cell, sizeof(cell), "| `%s` |", kuryr_options[i].name);
        if (!strstr(ref, cell))
            fail_msg("reference lacks %s", cell);
    }
    assert_non_null(strstr(ref, "| `password` | string | unset |"));
    free(ref);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_table_is_sound),
        T(test_good_file_every_type),
        T(test_list_parsing),
        T(test_bool_spellings),
        T(test_set_and_ints),
        T(test_wrong_type_or_undeclared_getter),
        T(test_later_files_override),
        T(test_config_dir_lexical_order),
        T(test_section_names_fold_case),
        T(test_unknown_options_warn),
        T(test_malformed_values),
        T(test_missing_file),
        T(test_argv_handling),
        T(test_argv_errors),
        T(test_argv_without_config_options),
        T(test_secret_file_readable_by_others_warns),
        T(test_private_or_secretless_files_do_not_warn),
        T(test_sample_never_shows_secrets),
        T(test_reference_lists_every_option),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
