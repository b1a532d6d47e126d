/* kuryrctl: argument handling (commands, options, usage errors), the text table and JSON renderings of the
 * same rows, whose host an unclaimed object is (orphan or another host's), and the binary's --help, --version
 * and usage exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cli.h"
#include "ownership.h"
#include "render.h"

static int parse(kc_args *a, char *err, size_t errlen, ...)
{
    char *argv[16] = {"kuryrctl"};
    int argc = 1;
    va_list ap;
    va_start(ap, errlen);
    for (char *s; argc < 15 && (s = va_arg(ap, char *));)
        argv[argc++] = s;
    va_end(ap);
    return kc_parse_args(argc, argv, a, err, errlen);
}

static void test_args(void **state)
{
    (void)state;
    kc_args a;
    char err[128];
    assert_int_equal(parse(&a, err, sizeof(err), "status", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_STATUS);
    assert_false(a.json);
    assert_null(a.docker_host); /* the config's [DEFAULT] docker_host */
    assert_null(a.plugin_socket);
    assert_int_equal(parse(&a, err, sizeof(err), "--json", "networks", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_NETWORKS);
    assert_true(a.json);
    assert_int_equal(parse(&a, err, sizeof(err), "ports", "--socket", "/tmp/x.sock", "--docker-host=unix:///d.sock",
                           "--driver", "kd", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_PORTS);
    assert_string_equal(a.plugin_socket, "/tmp/x.sock");
    assert_string_equal(a.docker_host, "unix:///d.sock");
    assert_string_equal(a.driver, "kd");
    assert_int_equal(parse(&a, err, sizeof(err), "gc", "--dry-run", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_GC);
    assert_true(a.dry_run);
    assert_int_equal(parse(&a, err, sizeof(err), "doctor", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_DOCTOR);
    assert_int_equal(parse(&a, err, sizeof(err), "status", "--help", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_HELP);
    assert_int_equal(parse(&a, err, sizeof(err), "--version", NULL), 0);
    assert_int_equal(a.cmd, KC_CMD_VERSION);

    assert_int_equal(parse(&a, err, sizeof(err), NULL), -1);
    assert_string_equal(err, "missing command");
    assert_int_equal(parse(&a, err, sizeof(err), "frobnicate", NULL), -1);
    assert_string_equal(err, "unknown command: frobnicate");
    assert_int_equal(parse(&a, err, sizeof(err), "status", "--bogus", NULL), -1);
    assert_string_equal(err, "unknown option: --bogus");
    assert_int_equal(parse(&a, err, sizeof(err), "status", "ports", NULL), -1);
    assert_int_equal(parse(&a, err, sizeof(err), "status", "--socket", NULL), -1);
    assert_string_equal(err, "missing value for: --socket");
    assert_int_equal(parse(&a, err, sizeof(err), "status", "--dry-run", NULL), -1);
    assert_int_equal(parse(&a, err, sizeof(err), "ports", "--driver=", NULL), -1);
}

static void test_driver_from_socket(void **state)
{
    (void)state;
    char d[32];
    kc_driver_from_socket("/run/docker/plugins/kuryr.sock", d, sizeof(d));
    assert_string_equal(d, "kuryr");
    kc_driver_from_socket("kuryrd.sock", d, sizeof(d));
    assert_string_equal(d, "kuryrd");
    kc_driver_from_socket("/x/plain", d, sizeof(d));
    assert_string_equal(d, "plain");
}

static char *render(json_t *rows, bool json)
{
    static const kc_column cols[] = {{"name", "NAME"}, {"ok", "OK"}, {"n", "COUNT"}, {"list", "LIST"}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kc_render(f, rows, cols, 4, json);
    fclose(f);
    return buf;
}

static void test_render(void **state)
{
    (void)state;
    json_t *rows = json_pack("[{s:s, s:b, s:i, s:[s,s]}, {s:s, s:b, s:n}]", "name", "alpha", "ok", 1, "n", 12,
                             "list", "a", "b", "name", "be", "ok", 0, "n");
    char *text = render(rows, false);
    assert_string_equal(text, "NAME   OK   COUNT  LIST\n"
                              "alpha  yes  12     a,b\n"
                              "be     no   -      -\n");
    free(text);
    char *js = render(rows, true);
    json_t *back = json_loads(js, 0, NULL);
    assert_non_null(back);
    assert_true(json_equal(back, rows));
    json_decref(back);
    free(js);

    json_t *empty = json_array();
    text = render(empty, false);
    assert_string_equal(text, "NAME  OK  COUNT  LIST\n");
    free(text);
    text = render(empty, true);
    assert_string_equal(text, "[]\n");
    free(text);
    json_decref(empty);
    json_decref(rows);

    json_t *v = json_string("");
    char *t = kc_cell_text(v);
    assert_string_equal(t, "-");
    free(t);
    json_decref(v);
}

/* Runs the binary, returns its exit status and stdout. */
static int run(const char *args, char **out)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", getenv("KC_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = 0;
    char *buf = NULL;
    FILE *m = open_memstream(&buf, &len);
    char chunk[512];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
        fwrite(chunk, 1, n, m);
    fclose(m);
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_binary(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run("--help", &out), 0);
    assert_non_null(strstr(out, "Exit codes"));
    assert_non_null(strstr(out, "doctor"));
    free(out);
    assert_int_equal(run("--version", &out), 0);
    assert_string_equal(out, "kuryrctl " KURYR_VERSION "\n");
    free(out);
    assert_int_equal(run("--config-file /nonexistent/kuryr.conf status", &out), KC_EXIT_USAGE);
    free(out);
    assert_int_equal(run("--config-dir /nonexistent-dir nothing", &out), KC_EXIT_USAGE);
    free(out);
    assert_int_equal(run("--config-dir /tmp frobnicate", &out), KC_EXIT_USAGE);
    free(out);
}

/* Two hosts on one Neutron: host-a's listings call only its own unclaimed objects orphans. */
static void test_other_owner(void **state)
{
    (void)state;
    char *mine[] = {"kuryr.net.uuid.lh:abc", "kuryr.host:host-a", NULL};
    char *theirs[] = {"kuryr.net.uuid.lh:abc", "kuryr.host:host-b", NULL};
    char *shared[] = {"kuryr.host:host-b", "kuryr.host:host-a", NULL}; /* a global-scope network both use */
    char *unmarked[] = {"kuryr.net.uuid.lh:abc", NULL};               /* upstream's, or an older release's */
    char *lookalike[] = {"kuryr.hostname:host-b", "kuryr.cluster:host-b", NULL};
    kuryr_strv t_mine = {mine, 2}, t_theirs = {theirs, 2}, t_shared = {shared, 2}, t_unmarked = {unmarked, 1},
               t_lookalike = {lookalike, 2}, t_none = {NULL, 0};
    assert_null(kc_other_owner(&t_mine, NULL, "host-a"));
    assert_string_equal(kc_other_owner(&t_theirs, NULL, "host-a"), "host-b");
    assert_string_equal(kc_other_owner(&t_theirs, "", "host-a"), "host-b");
    assert_null(kc_other_owner(&t_theirs, NULL, "host-b"));
    assert_null(kc_other_owner(&t_shared, NULL, "host-a"));
    assert_null(kc_other_owner(&t_unmarked, NULL, "host-a"));
    assert_null(kc_other_owner(&t_lookalike, NULL, "host-a"));
    assert_null(kc_other_owner(&t_none, NULL, "host-a"));
    /* the binding is Neutron's word and outranks a marker */
    assert_string_equal(kc_other_owner(&t_mine, "host-b", "host-a"), "host-b");
    assert_null(kc_other_owner(&t_theirs, "host-a", "host-a"));
    assert_string_equal(kc_other_owner(&t_none, "host-c", "host-a"), "host-c");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args),
        cmocka_unit_test(test_driver_from_socket),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_other_owner),
        cmocka_unit_test(test_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
