/* kuryr-cni's request rules: the variables each command needs (code 4), the network config's decoding (6),
 * fields (7), version (1) and the commands each version allows (1). No daemon is reached: every case fails
 * before the call, and a case that got past the checks would fail with 11 instead (no socket there). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <unistd.h>

#include "cni_test.h"

#define NOSOCK "\"daemon_socket\":\"/nonexistent/kuryr-cni-test.sock\""
#define CONF(v) "{\"cniVersion\":\"" v "\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\"," NOSOCK "}"

static void expect_code(fake_env *env, const char *config, int code)
{
    json_t *out = NULL;
    int status = run_cni(env, config, &out);
    if (json_code(out) != code)
        fprintf(stderr, "config %s -> %s\n", config, out ? json_dumps(out, 0) : "(nothing)");
    assert_int_not_equal(status, 0);
    assert_non_null(out);
    assert_int_equal(json_code(out), code);
    assert_true(json_is_string(json_object_get(out, "msg")));
    assert_true(json_is_string(json_object_get(out, "details")));
    assert_true(json_is_string(json_object_get(out, "cniVersion")));
    json_decref(out);
}

static void test_command_missing_or_unknown(void **state)
{
    (void)state;
    fake_env env = full_env("ADD");
    env_drop(&env, "CNI_COMMAND");
    expect_code(&env, CONF("1.0.0"), CNI_ERR_INVALID_ENV);
    env = full_env("add");
    expect_code(&env, CONF("1.0.0"), CNI_ERR_INVALID_ENV);
    env = full_env("");
    expect_code(&env, CONF("1.0.0"), CNI_ERR_INVALID_ENV);
}

/* Each command's required variables, dropped one at a time. */
static void test_missing_variables(void **state)
{
    (void)state;
    static const struct { const char *cmd; const char *var; } cases[] = {
        {"ADD", "CNI_CONTAINERID"}, {"ADD", "CNI_NETNS"}, {"ADD", "CNI_IFNAME"}, {"ADD", "CNI_PATH"},
        {"CHECK", "CNI_CONTAINERID"}, {"CHECK", "CNI_NETNS"}, {"CHECK", "CNI_IFNAME"}, {"CHECK", "CNI_PATH"},
        {"DEL", "CNI_CONTAINERID"}, {"DEL", "CNI_IFNAME"}, {"DEL", "CNI_PATH"},
        {"STATUS", "CNI_PATH"}, {"GC", "CNI_PATH"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_env env = full_env(cases[i].cmd);
        env_drop(&env, cases[i].var);
        expect_code(&env, CONF("1.1.0"), CNI_ERR_INVALID_ENV);
    }
}

/* What a command does not need may be missing: DEL without a netns, STATUS/GC with CNI_PATH only, VERSION
 * with nothing. They get past the checks (and then find no daemon: 11, or 50 for STATUS). */
static void test_optional_variables(void **state)
{
    (void)state;
    fake_env del = full_env("DEL");
    env_drop(&del, "CNI_NETNS");
    expect_code(&del, CONF("1.0.0"), CNI_ERR_TRY_AGAIN_LATER);
    fake_env gc = {{"CNI_COMMAND", "CNI_PATH"}, {"GC", "/usr/lib/cni"}};
    expect_code(&gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\"," NOSOCK
                     ",\"cni.dev/valid-attachments\":[]}", CNI_ERR_TRY_AGAIN_LATER);
    fake_env status = {{"CNI_COMMAND", "CNI_PATH"}, {"STATUS", "/usr/lib/cni"}};
    expect_code(&status, CONF("1.1.0"), CNI_ERR_NOT_AVAILABLE);
    fake_env version = {{"CNI_COMMAND"}, {"VERSION"}};
    json_t *out = NULL;
    assert_int_equal(run_cni(&version, "", &out), 0);
    assert_string_equal(json_string_value(json_object_get(out, "cniVersion")), CNI_LATEST_VERSION);
    json_decref(out);
}

static void test_malformed_variables(void **state)
{
    (void)state;
    static const struct { const char *var, *value; } cases[] = {
        {"CNI_CONTAINERID", "-leading-dash"}, {"CNI_CONTAINERID", "has space"}, {"CNI_CONTAINERID", "a/b"},
        {"CNI_IFNAME", "a-name-longer-than-15"}, {"CNI_IFNAME", "."}, {"CNI_IFNAME", ".."}, {"CNI_IFNAME", "et/h0"},
        {"CNI_IFNAME", "eth:0"}, {"CNI_IFNAME", "eth 0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_env env = full_env("ADD");
        for (int j = 0; env.name[j]; j++)
            if (!strcmp(env.name[j], cases[i].var))
                env.value[j] = cases[i].value;
        expect_code(&env, CONF("1.0.0"), CNI_ERR_INVALID_ENV);
    }
}

static void test_undecodable_config(void **state)
{
    (void)state;
    fake_env env = full_env("ADD");
    expect_code(&env, "", CNI_ERR_DECODE);
    expect_code(&env, "{\"cniVersion\":", CNI_ERR_DECODE);
    expect_code(&env, "[1, 2]", CNI_ERR_DECODE);
    expect_code(&env, "\"1.0.0\"", CNI_ERR_DECODE);
    expect_code(&env, "{\"cniVersion\":\"1.0.0\",\"cniVersion\":\"0.3.1\",\"name\":\"k\",\"type\":\"t\"}",
                CNI_ERR_DECODE);
}

static void test_invalid_config(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "{\"cniVersion\":1,\"name\":\"kuryr\",\"type\":\"kuryr-cni\"}",
        "{\"cniVersion\":\"1.0.0\",\"type\":\"kuryr-cni\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"\",\"type\":\"kuryr-cni\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"bad name\",\"type\":\"kuryr-cni\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":7,\"type\":\"kuryr-cni\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_socket\":\"relative.sock\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_socket\":5}",
        ("{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_socket\":\"/"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"),
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_timeout\":0}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_timeout\":\"60\"}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"prevResult\":[]}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"kuryr_conf\":false}",
        "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"kuryr_conf\":\"/nonexistent/kuryr.conf\"}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_env env = full_env("ADD");
        expect_code(&env, cases[i], CNI_ERR_INVALID_CONFIG);
    }
    fake_env gc = full_env("GC");
    expect_code(&gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\","
                     "\"cni.dev/valid-attachments\":{}}", CNI_ERR_INVALID_CONFIG);
    expect_code(&gc, "{\"cniVersion\":\"1.1.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\","
                     "\"cni.dev/valid-attachments\":[{\"containerID\":\"a\"}]}", CNI_ERR_INVALID_CONFIG);
}

static void test_unsupported_versions(void **state)
{
    (void)state;
    static const char *const versions[] = {"0.1.0", "0.2.0", "1.2.0", "2.0.0", "1.0", "", "latest"};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        char conf[256];
        snprintf(conf, sizeof(conf), CONF("%s"), versions[i]);
        fake_env env = full_env("ADD");
        expect_code(&env, conf, CNI_ERR_INCOMPATIBLE_VERSION);
    }
    fake_env env = full_env("ADD");
    expect_code(&env, "{\"name\":\"kuryr\",\"type\":\"kuryr-cni\"}", CNI_ERR_INCOMPATIBLE_VERSION);
}

/* CHECK needs 0.4.0, STATUS and GC need 1.1.0. */
static void test_commands_by_version(void **state)
{
    (void)state;
    static const struct { const char *cmd, *version; } refused[] = {
        {"CHECK", "0.3.0"}, {"CHECK", "0.3.1"},
        {"STATUS", "0.3.0"}, {"STATUS", "0.3.1"}, {"STATUS", "0.4.0"}, {"STATUS", "1.0.0"},
        {"GC", "0.3.0"}, {"GC", "0.3.1"}, {"GC", "0.4.0"}, {"GC", "1.0.0"},
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        char conf[256];
        snprintf(conf, sizeof(conf), CONF("%s"), refused[i].version);
        fake_env env = full_env(refused[i].cmd);
        expect_code(&env, conf, CNI_ERR_INCOMPATIBLE_VERSION);
    }
}

/* Upstream's conflist key: the socket comes from kuryr.conf's [cni_daemon] socket_path. */
static void test_kuryr_conf_socket(void **state)
{
    (void)state;
    char path[] = "/tmp/kuryr-cni-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "[DEFAULT]\nx = 1\n[cni_daemon]\nsocket_path = /run/kuryr-test/other.sock\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    char conf[256];
    snprintf(conf, sizeof(conf), "{\"cniVersion\":\"1.0.0\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\","
                                 "\"kuryr_conf\":\"%s\"}", path);
    fake_env env = full_env("ADD");
    cni_request req = {0};
    cni_error err = {0};
    assert_int_equal(cni_env_parse(&req, fake_getenv, &env, &err), 0);
    assert_int_equal(cni_config_parse(&req, conf, strlen(conf), &err), 0);
    assert_string_equal(req.socket_path, "/run/kuryr-test/other.sock");
    assert_int_equal(req.timeout_s, CNI_DEFAULT_TIMEOUT_S);
    cni_request_clear(&req);
    unlink(path);
}

/* Keys a conflist or newer runtime adds are accepted as they are. */
static void test_extra_keys_accepted(void **state)
{
    (void)state;
    const char *conf = "{\"cniVersion\":\"1.1.0\",\"cniVersions\":[\"1.0.0\",\"1.1.0\"],\"name\":\"kuryr\","
                       "\"type\":\"kuryr-cni\",\"disableCheck\":true,\"disableGC\":false,\"runtimeConfig\":{},"
                       "\"capabilities\":{\"io.kubernetes.cri.pod-annotations\":true},\"daemon_timeout\":30}";
    fake_env env = full_env("ADD");
    cni_request req = {0};
    cni_error err = {0};
    assert_int_equal(cni_env_parse(&req, fake_getenv, &env, &err), 0);
    assert_int_equal(cni_config_parse(&req, conf, strlen(conf), &err), 0);
    assert_string_equal(req.version, "1.1.0");
    assert_string_equal(req.socket_path, CNI_DEFAULT_SOCKET);
    assert_int_equal(req.timeout_s, 30);
    cni_request_clear(&req);
}

static void test_version_compare(void **state)
{
    (void)state;
    assert_true(cni_version_cmp("0.3.1", "0.4.0") < 0);
    assert_true(cni_version_cmp("1.1.0", "1.0.0") > 0);
    assert_true(cni_version_cmp("0.10.0", "0.4.0") > 0);
    assert_int_equal(cni_version_cmp("1.0.0", "1.0.0"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_command_missing_or_unknown),
        cmocka_unit_test(test_missing_variables),
        cmocka_unit_test(test_optional_variables),
        cmocka_unit_test(test_malformed_variables),
        cmocka_unit_test(test_undecodable_config),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_unsupported_versions),
        cmocka_unit_test(test_commands_by_version),
        cmocka_unit_test(test_kuryr_conf_socket),
        cmocka_unit_test(test_extra_keys_accepted),
        cmocka_unit_test(test_version_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
