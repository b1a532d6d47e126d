/* How kuryr.conf's [kubernetes] options become the kube-apiserver connection (controller/k8s_conf.c):
 * api_root with files, verification on unless turned off, a kubeconfig with options on top of it, and a
 * clear error when nothing says where the server is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_conf.h"

static kuryr_config *conf(const char *const *kv)
{
    kuryr_config *cfg = kuryr_config_new();
    assert_non_null(cfg);
    char msg[256];
    for (size_t i = 0; kv && kv[i]; i += 2)
        assert_int_equal(kuryr_config_set(cfg, "kubernetes", kv[i], kv[i + 1], msg, sizeof(msg)), 0);
    return cfg;
}

static void test_api_root_with_files(void **state)
{
    (void)state;
    const char *kv[] = {"api_root", "https://10.0.0.1:6443", "ssl_ca_crt_file", "/etc/k/ca.crt",
                        "ssl_client_crt_file", "/etc/k/c.crt", "ssl_client_key_file", "/etc/k/c.key",
                        "token_file", "/etc/k/token", NULL};
    kuryr_config *cfg = conf(kv);
    kuryr_k8s_config kc;
    kuryr_error err;
    assert_int_equal(kc_k8s_config(cfg, &kc, &err), 0);
    assert_string_equal(kc.server, "https://10.0.0.1:6443");
    assert_string_equal(kc.ca_file, "/etc/k/ca.crt");
    assert_string_equal(kc.cert_file, "/etc/k/c.crt");
    assert_string_equal(kc.key_file, "/etc/k/c.key");
    assert_string_equal(kc.token_file, "/etc/k/token");
    assert_false(kc.insecure); /* verified by default, unlike upstream */
    kuryr_k8s_config_clear(&kc);
    kuryr_config_free(cfg);
}

static void test_verification_off_only_when_asked(void **state)
{
    (void)state;
    const char *kv[] = {"api_root", "https://10.0.0.1:6443", "ssl_verify_server_crt", "false", NULL};
    kuryr_config *cfg = conf(kv);
    kuryr_k8s_config kc;
    kuryr_error err;
    assert_int_equal(kc_k8s_config(cfg, &kc, &err), 0);
    assert_true(kc.insecure);
    kuryr_k8s_config_clear(&kc);
    kuryr_config_free(cfg);
}

static void test_kubeconfig_with_options_on_top(void **state)
{
    (void)state;
    char path[] = "/tmp/kc-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *yaml = "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                       "clusters:\n- name: k\n"
                       "  cluster: {server: 'https://10.1.1.1:6443', certificate-authority: /k/ca}\n"
                       "users:\n- name: u\n  user: {token: abc}\n"
                       "contexts:\n- name: c\n  context: {cluster: k, user: u}\n";
    assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
    close(fd);
    const char *kv[] = {"kubeconfig", path, "ssl_ca_crt_file", "/other/ca", NULL};
    kuryr_config *cfg = conf(kv);
    kuryr_k8s_config kc;
    kuryr_error err;
    int rc = kc_k8s_config(cfg, &kc, &err);
    unlink(path);
    assert_int_equal(rc, 0);
    assert_string_equal(kc.server, "https://10.1.1.1:6443");
    assert_string_equal(kc.ca_file, "/other/ca");
    assert_string_equal(kc.token, "abc");
    assert_false(kc.insecure);
    kuryr_k8s_config_clear(&kc);
    kuryr_config_free(cfg);

    const char *kv2[] = {"kubeconfig", "/nonexistent/kubeconfig", NULL};
    cfg = conf(kv2);
    assert_int_equal(kc_k8s_config(cfg, &kc, &err), -1);
    assert_non_null(strstr(err.message, "[kubernetes] kubeconfig"));
    kuryr_config_free(cfg);
}

static void test_nothing_set_outside_a_pod_fails_clearly(void **state)
{
    (void)state;
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    kuryr_config *cfg = conf(NULL);
    kuryr_k8s_config kc;
    kuryr_error err;
    assert_int_equal(kc_k8s_config(cfg, &kc, &err), -1);
    assert_non_null(strstr(err.message, "api_root and kubeconfig are unset"));
    kuryr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_root_with_files),
        cmocka_unit_test(test_verification_off_only_when_asked),
        cmocka_unit_test(test_kubeconfig_with_options_on_top),
        cmocka_unit_test(test_nothing_set_outside_a_pod_fails_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
