/* lib/k8s/kubeconfig.c: kubeconfig parsing (files and inline data, tokens, contexts, refusals), base64 and the
 * in-cluster service account. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_internal.h"
#include "kuryr/k8s_config.h"

/* "-----BEGIN CERTIFICATE-----\nX\n" base64-encoded, as kubectl writes *-data. */
#define PEM_B64 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tClgK"
#define PEM_TEXT "-----BEGIN CERTIFICATE-----\nX\n"

static const char two_contexts[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "clusters:\n"
    "- name: rig\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443\n"
    "    certificate-authority: pki/ca.crt\n"
    "- name: other\n"
    "  cluster:\n"
    "    server: https://10.0.0.9:443\n"
    "    certificate-authority-data: " PEM_B64 "\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    client-certificate: /abs/admin.crt\n"
    "    client-key: admin.key\n"
    "- name: bot\n"
    "  user:\n"
    "    token: abc.def\n"
    "contexts:\n"
    "- name: rig\n"
    "  context: {cluster: rig, user: admin}\n"
    "- name: other\n"
    "  context: {cluster: other, user: bot, namespace: kuryr}\n"
    "current-context: rig\n";

static void test_current_context_with_files(void **state)
{
    (void)state;
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_config_parse(two_contexts, strlen(two_contexts), NULL, "/etc/k", &cfg, &err), 0);
    assert_string_equal(cfg.server, "https://127.0.0.1:6443");
    assert_string_equal(cfg.ca_file, "/etc/k/pki/ca.crt");
    assert_string_equal(cfg.cert_file, "/abs/admin.crt");
    assert_string_equal(cfg.key_file, "/etc/k/admin.key");
    assert_null(cfg.token);
    assert_null(cfg.ca_pem);
    assert_false(cfg.insecure);
    assert_string_equal(cfg.namespace, "default");
    kuryr_k8s_config_clear(&cfg);
}

static void test_named_context_inline_data_and_token(void **state)
{
    (void)state;
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_config_parse(two_contexts, strlen(two_contexts), "other", NULL, &cfg, &err), 0);
    assert_string_equal(cfg.server, "https://10.0.0.9:443");
    assert_string_equal(cfg.ca_pem, PEM_TEXT);
    assert_null(cfg.ca_file);
    assert_true(cfg.insecure);
    assert_string_equal(cfg.token, "abc.def");
    assert_string_equal(cfg.namespace, "kuryr");
    kuryr_k8s_config_clear(&cfg);
}

static void test_inline_client_credentials_and_token_file(void **state)
{
    (void)state;
    const char y[] = "clusters: [{name: c, cluster: {server: 'https://h:1'}}]\n"
                     "users: [{name: u, user: {client-certificate-data: " PEM_B64 ", client-key-data: " PEM_B64
                     ", tokenFile: tok}}]\n"
                     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
                     "current-context: x\n";
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_config_parse(y, strlen(y), NULL, "/d", &cfg, &err), 0);
    assert_string_equal(cfg.cert_pem, PEM_TEXT);
    assert_string_equal(cfg.key_pem, PEM_TEXT);
    assert_null(cfg.cert_file);
    assert_string_equal(cfg.token_file, "/d/tok");
    kuryr_k8s_config_clear(&cfg);
}

/* Each bad kubeconfig fails with BAD_REQUEST and a message naming the problem. */
static void expect_refused(const char *yaml, const char *context, const char *words)
{
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_config_parse(yaml, strlen(yaml), context, NULL, &cfg, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    if (!strstr(err.message, words))
        fail_msg("message '%s' does not say '%s'", err.message, words);
    assert_null(cfg.server);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("", NULL, "not a YAML mapping");
    expect_refused("clusters: [\n", NULL, "YAML error");
    expect_refused("- a\n- b\n", NULL, "not a YAML mapping");
    expect_refused("clusters: []\ncontexts: []\n", NULL, "no current-context");
    expect_refused(two_contexts, "nope", "context 'nope' not found");
    expect_refused("contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n", NULL,
                   "cluster 'c' not found");
    expect_refused("clusters: [{name: c, cluster: {insecure-skip-tls-verify: true}}]\n"
                   "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n", NULL, "no server");
    expect_refused("clusters: [{name: c, cluster: {server: 'ftp://h'}}]\n"
                   "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n", NULL, "not an http(s) URL");
    expect_refused("clusters: [{name: c, cluster: {server: 'https://h', certificate-authority-data: '%%%'}}]\n"
                   "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n", NULL, "not valid base64");
    expect_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {exec: {command: aws}}}]\n"
                   "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n", NULL,
                   "not supported");
    expect_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "users: [{name: u, user: {client-certificate: a.crt}}]\n"
                   "contexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n", NULL, "needs its key");
    expect_refused("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
                   "contexts: [{name: x, context: {cluster: c, user: ghost}}]\ncurrent-context: x\n", NULL,
                   "user 'ghost' not found");
}

static void test_base64(void **state)
{
    (void)state;
    size_t n;
    char *s = k8s_base64_decode("aGVs\nbG8=", 9, &n);
    assert_string_equal(s, "hello");
    assert_int_equal(n, 5);
    free(s);
    s = k8s_base64_decode("aGVsbG8", 7, &n); /* padding optional */
    assert_string_equal(s, "hello");
    free(s);
    assert_null(k8s_base64_decode("aGV*", 4, &n));
    assert_null(k8s_base64_decode("aA==aA==", 8, &n)); /* data after padding */
    assert_null(k8s_base64_decode("a", 1, &n));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_load_file_and_in_cluster(void **state)
{
    (void)state;
    char dir[] = "/tmp/kuryr-kubeconfig-XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config", dir);
    write_file(path, two_contexts);
    kuryr_k8s_config cfg;
    kuryr_error err = {0};
    assert_int_equal(kuryr_k8s_config_load(path, NULL, &cfg, &err), 0);
    char want[160];
    snprintf(want, sizeof(want), "%s/pki/ca.crt", dir);
    assert_string_equal(cfg.ca_file, want);
    kuryr_k8s_config_clear(&cfg);

    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(kuryr_k8s_config_load(path, NULL, &cfg, &err), -1);
    assert_non_null(strstr(err.message, "missing"));

    /* In-cluster: not in a pod without the service variables, then the mounted files. */
    unsetenv("KUBERNETES_SERVICE_HOST");
    assert_int_equal(kuryr_k8s_config_in_cluster(dir, &cfg, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    assert_int_equal(kuryr_k8s_config_in_cluster(dir, &cfg, &err), -1); /* no token file yet */
    snprintf(path, sizeof(path), "%s/token", dir);
    write_file(path, "tok\n");
    snprintf(path, sizeof(path), "%s/namespace", dir);
    write_file(path, "kuryr\n");
    assert_int_equal(kuryr_k8s_config_in_cluster(dir, &cfg, &err), 0);
    assert_string_equal(cfg.server, "https://10.96.0.1:443");
    assert_string_equal(cfg.namespace, "kuryr");
    snprintf(want, sizeof(want), "%s/token", dir);
    assert_string_equal(cfg.token_file, want);
    snprintf(want, sizeof(want), "%s/ca.crt", dir);
    assert_string_equal(cfg.ca_file, want);
    kuryr_k8s_config_clear(&cfg);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");

    const char *names[] = {"config", "token", "namespace"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_current_context_with_files),
        cmocka_unit_test(test_named_context_inline_data_and_token),
        cmocka_unit_test(test_inline_client_credentials_and_token_file),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_load_file_and_in_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
