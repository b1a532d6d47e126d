/* kuryr-cni against a scripted kuryr-daemon on a unix socket: every command at every version it allows, what the
 * daemon is sent, the daemon's errors passed on with their codes, an unreachable, silent or slow daemon (11; 50
 * for STATUS), and the binary itself (stdin, stdout, exit status). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni_test.h"
#include "test_httpd.h"

static char sock[108];
static const char add_answer[] =
    "{\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"fa:16:3e:00:00:01\",\"mtu\":1450,\"sandbox\":\"/x\"}],"
    "\"ips\":[{\"address\":\"10.1.2.3/24\",\"gateway\":\"10.1.2.1\",\"interface\":0}],"
    "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.1.2.1\"}],\"dns\":{}}";

static int setup(void **state)
{
    snprintf(sock, sizeof(sock), "/tmp/kuryr-cni-test-%d.sock", (int)getpid());
    test_httpd *srv = test_httpd_start_unix(sock);
    assert_non_null(srv);
    *state = srv;
    return 0;
}

static int teardown(void **state)
{
    test_httpd_stop(*state);
    return 0;
}

static char *config_for(const char *version, const char *extra)
{
    char *c = NULL;
    assert_true(asprintf(&c, "{\"cniVersion\":\"%s\",\"name\":\"kuryr\",\"type\":\"kuryr-cni\",\"daemon_socket\":"
                             "\"%s\"%s}", version, sock, extra ? extra : "") > 0);
    return c;
}

static const char *const endpoint[CNI_N_COMMANDS] = {
    [CNI_ADD] = "/addNetwork", [CNI_DEL] = "/delNetwork", [CNI_CHECK] = "/checkNetwork",
    [CNI_STATUS] = "/status", [CNI_GC] = "/gc",
};

/* What the daemon got: the command's endpoint, the CNI parameters and the config verbatim. */
static void check_sent(test_httpd *srv, size_t at, cni_command cmd, fake_env *env, const char *config)
{
    const test_httpd_request *r = test_httpd_request_at(srv, at);
    assert_non_null(r);
    assert_string_equal(r->method, "POST");
    assert_string_equal(r->path, endpoint[cmd]);
    json_t *body = json_loads(r->body, 0, NULL);
    assert_non_null(body);
    static const char *const vars[] = {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS",
                                       "CNI_PATH"};
    for (size_t i = 0; i < 6; i++) {
        const char *want = fake_getenv(vars[i], env);
        assert_string_equal(json_string_value(json_object_get(body, vars[i])), want ? want : "");
    }
    json_t *sent_config = json_loads(config, 0, NULL);
    assert_true(json_equal(json_object_get(body, "config_kuryr"), sent_config));
    json_decref(sent_config);
    json_decref(body);
}

static void test_every_command_at_every_version(void **state)
{
    test_httpd *srv = *state;
    test_httpd_answer(srv, "POST", "/addNetwork", 202, add_answer);
    test_httpd_answer(srv, "POST", "/", 204, NULL);
    size_t sent = 0;
    for (const char *const *v = cni_supported_versions; *v; v++) {
        for (int c = 0; c < CNI_N_COMMANDS; c++) {
            if (c == CNI_VERSION || (c == CNI_CHECK && cni_version_cmp(*v, "0.4.0") < 0) ||
                ((c == CNI_STATUS || c == CNI_GC) && cni_version_cmp(*v, "1.1.0") < 0))
                continue;
            fake_env env = full_env(cni_command_name((cni_command)c));
            if (c == CNI_GC || c == CNI_STATUS)
                env = (fake_env){{"CNI_COMMAND", "CNI_PATH"}, {cni_command_name((cni_command)c), "/usr/lib/cni"}};
            char *config = config_for(*v, c == CNI_GC ? ",\"cni.dev/valid-attachments\":[{\"containerID\":"
                                                        "\"c0ffee01\",\"ifname\":\"eth0\"}]" : NULL);
            json_t *out = NULL;
            int status = run_cni(&env, config, &out);
            assert_int_equal(status, 0);
            check_sent(srv, sent++, (cni_command)c, &env, config);
            if (c == CNI_ADD) {
                assert_non_null(out);
                assert_string_equal(json_string_value(json_object_get(out, "cniVersion")), *v);
                json_t *eth0 = json_array_get(json_object_get(out, "interfaces"), 0);
                assert_string_equal(json_string_value(json_object_get(eth0, "sandbox")), "/var/run/netns/cni-test");
                json_t *ip = json_array_get(json_object_get(out, "ips"), 0);
                assert_int_equal(json_object_get(ip, "version") != NULL, cni_version_cmp(*v, "1.0.0") < 0);
            } else {
                assert_null(out);  /* nothing on stdout for DEL, CHECK, STATUS, GC */
            }
            json_decref(out);
            free(config);
        }
    }
    assert_int_equal(test_httpd_request_count(srv), sent);
    assert_int_equal(sent, 2 + 2 + 3 + 3 + 5);  /* 0.3.x: ADD DEL; 0.4.0, 1.0.0: +CHECK; 1.1.0: +STATUS GC */
}

/* The daemon's {code, msg, details} reaches the runtime as the spec's error, in the config's version. */
static void test_daemon_errors_passed_on(void **state)
{
    test_httpd *srv = *state;
    test_httpd_answer(srv, "POST", "/addNetwork", 404,
                      "{\"code\":3,\"msg\":\"unknown pod\",\"details\":\"ns1/pod1 has no KuryrPort\"}");
    test_httpd_answer(srv, "POST", "/status", 503, "{\"code\":51,\"msg\":\"not ready\",\"details\":\"x\"}");
    fake_env env = full_env("ADD");
    char *config = config_for("0.3.1", NULL);
    json_t *out = NULL;
    assert_int_not_equal(run_cni(&env, config, &out), 0);
    assert_int_equal(json_code(out), 3);
    assert_string_equal(json_string_value(json_object_get(out, "msg")), "unknown pod");
    assert_string_equal(json_string_value(json_object_get(out, "details")), "ns1/pod1 has no KuryrPort");
    assert_string_equal(json_string_value(json_object_get(out, "cniVersion")), "0.3.1");
    json_decref(out);
    free(config);
    env = (fake_env){{"CNI_COMMAND", "CNI_PATH"}, {"STATUS", "/usr/lib/cni"}};
    config = config_for("1.1.0", NULL);
    assert_int_not_equal(run_cni(&env, config, &out), 0);
    assert_int_equal(json_code(out), 51);
    json_decref(out);
    free(config);
}

/* Statuses without a usable body get a code by status. */
static void test_status_without_body(void **state)
{
    test_httpd *srv = *state;
    static const struct { int status; const char *body; int code; } cases[] = {
        {400, NULL, CNI_ERR_INVALID_CONFIG}, {404, "not json", CNI_ERR_UNKNOWN_CONTAINER},
        {410, NULL, CNI_ERR_UNKNOWN_CONTAINER}, {503, NULL, CNI_ERR_TRY_AGAIN_LATER},
        {504, "{\"code\":\"11\"}", CNI_ERR_TRY_AGAIN_LATER}, {500, NULL, CNI_ERR_TRY_AGAIN_LATER},
        {409, "{\"code\":0}", CNI_ERR_BAD_DAEMON_ANSWER},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        test_httpd_add(srv, &(test_httpd_script){.method = "POST", .path = "/addNetwork", .status = cases[i].status,
                                                 .body = cases[i].body, .times = 1});
    test_httpd_answer(srv, "POST", "/addNetwork", 202, "this is not a result");
    char *config = config_for("1.0.0", NULL);
    for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
        fake_env env = full_env("ADD");
        json_t *out = NULL;
        assert_int_not_equal(run_cni(&env, config, &out), 0);
        assert_int_equal(json_code(out), i < sizeof(cases) / sizeof(cases[0]) ? cases[i].code
                                                                             : CNI_ERR_BAD_DAEMON_ANSWER);
        json_decref(out);
    }
    free(config);
}

/* A daemon that drops the connection, or answers later than daemon_timeout: try again later, sent once. */
static void test_silent_or_slow_daemon(void **state)
{
    test_httpd *srv = *state;
    test_httpd_add(srv, &(test_httpd_script){.method = "POST", .path = "/addNetwork", .close = true, .times = 1});
    test_httpd_add(srv, &(test_httpd_script){.method = "POST", .path = "/addNetwork", .status = 202,
                                             .body = add_answer, .delay_ms = 5000, .times = 1});
    char *config = config_for("1.0.0", ",\"daemon_timeout\":1");
    for (int i = 0; i < 2; i++) {
        fake_env env = full_env("ADD");
        json_t *out = NULL;
        assert_int_not_equal(run_cni(&env, config, &out), 0);
        assert_int_equal(json_code(out), CNI_ERR_TRY_AGAIN_LATER);
        json_decref(out);
    }
    assert_int_equal(test_httpd_request_count(srv), 2);  /* a POST is never sent twice */
    free(config);
}

/* GC: spec 1.1.0's first name for the list is taken too; without any list nothing is collected and the daemon
 * is not asked (cnitool's `gc` sends none). */
static void test_gc_lists(void **state)
{
    test_httpd *srv = *state;
    test_httpd_answer(srv, "POST", "/gc", 204, NULL);
    fake_env env = {{"CNI_COMMAND", "CNI_PATH"}, {"GC", "/usr/lib/cni"}};
    char *config = config_for("1.1.0", ",\"cni.dev/attachments\":[{\"containerID\":\"c1\",\"ifname\":\"eth0\"}]");
    json_t *out = NULL;
    assert_int_equal(run_cni(&env, config, &out), 0);
    assert_null(out);
    assert_int_equal(test_httpd_request_count(srv), 1);
    json_t *body = json_loads(test_httpd_request_at(srv, 0)->body, 0, NULL);
    json_t *valid = json_object_get(json_object_get(body, "config_kuryr"), "cni.dev/valid-attachments");
    assert_string_equal(json_string_value(json_object_get(json_array_get(valid, 0), "containerID")), "c1");
    json_decref(body);
    free(config);
    config = config_for("1.1.0", NULL);
    assert_int_equal(run_cni(&env, config, &out), 0);
    assert_null(out);
    assert_int_equal(test_httpd_request_count(srv), 1);  /* not asked */
    free(config);
}

static void test_no_daemon(void **state)
{
    test_httpd_stop(*state);
    *state = NULL;
    char *config = config_for("1.1.0", ",\"cni.dev/valid-attachments\":[]");
    static const char *const cmds[] = {"ADD", "DEL", "CHECK", "GC"};
    for (size_t i = 0; i < 4; i++) {
        fake_env env = full_env(cmds[i]);
        json_t *out = NULL;
        assert_int_not_equal(run_cni(&env, config, &out), 0);
        assert_int_equal(json_code(out), CNI_ERR_TRY_AGAIN_LATER);
        json_decref(out);
    }
    fake_env env = full_env("STATUS");
    json_t *out = NULL;
    assert_int_not_equal(run_cni(&env, config, &out), 0);
    assert_int_equal(json_code(out), CNI_ERR_NOT_AVAILABLE);
    json_decref(out);
    free(config);
}

/* Runs the binary with env (NAME=value strings, NULL-terminated) and stdin; returns the exit status and stdout. */
static int exec_cni(char *const envp[], const char *input, char **out)
{
    int in[2], outp[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(outp), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(outp[1], 1);
        close(in[1]);
        close(outp[0]);
        const char *bin = getenv("KURYR_CNI_BIN");
        execle(bin, bin, (char *)NULL, envp);
        _exit(127);
    }
    close(in[0]);
    close(outp[1]);
    size_t n = strlen(input);
    assert_int_equal(write(in[1], input, n), (ssize_t)n);
    close(in[1]);
    size_t len = 0;
    *out = calloc(1, 65536);
    ssize_t got;
    while ((got = read(outp[0], *out + len, 65535 - len)) > 0)
        len += (size_t)got;
    close(outp[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_binary(void **state)
{
    test_httpd *srv = *state;
    test_httpd_answer(srv, "POST", "/addNetwork", 202, add_answer);
    char *out = NULL;
    char *version_env[] = {"CNI_COMMAND=VERSION", NULL};
    assert_int_equal(exec_cni(version_env, "{\"cniVersion\":\"0.4.0\"}", &out), 0);
    assert_non_null(strstr(out, "\"supportedVersions\":[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]"));
    free(out);
    char *add_env[] = {"CNI_COMMAND=ADD", "CNI_CONTAINERID=abc", "CNI_NETNS=/run/netns/t", "CNI_IFNAME=eth0",
                       "CNI_PATH=/usr/lib/cni", NULL};
    char *config = config_for("1.0.0", NULL);
    assert_int_equal(exec_cni(add_env, config, &out), 0);
    json_t *r = json_loads(out, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(r, "cniVersion")), "1.0.0");
    json_decref(r);
    free(out);
    free(config);
    /* bad input: a JSON error on stdout and a non-zero exit */
    assert_int_not_equal(exec_cni(add_env, "{not json", &out), 0);
    r = json_loads(out, 0, NULL);
    assert_int_equal(json_code(r), CNI_ERR_DECODE);
    json_decref(r);
    free(out);
    char *no_cmd[] = {NULL};
    assert_int_not_equal(exec_cni(no_cmd, "{}", &out), 0);
    r = json_loads(out, 0, NULL);
    assert_int_equal(json_code(r), CNI_ERR_INVALID_ENV);
    json_decref(r);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_command_at_every_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_daemon_errors_passed_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_without_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_or_slow_daemon, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gc_lists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_daemon, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
