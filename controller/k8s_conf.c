/* The kube-apiserver connection from kuryr.conf's [kubernetes] options (see k8s_conf.h). */
#include "k8s_conf.h"

#include <stdlib.h>
#include <string.h>

/* Replaces *field with a copy of value when value is non-empty. */
static int override(char **field, const char *value)
{
    if (!*value)
        return 0;
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int kc_k8s_config(const kuryr_config *cfg, kuryr_k8s_config *out, kuryr_error *err)
{
    const char *kubeconfig = kuryr_config_get_str(cfg, "kubernetes", "kubeconfig");
    const char *api_root = kuryr_config_get_str(cfg, "kubernetes", "api_root");
    memset(out, 0, sizeof(*out));
    if (*kubeconfig) {
        if (kuryr_k8s_config_load(kubeconfig, NULL, out, err) < 0)
            return kuryr_error_prefix(err, "[kubernetes] kubeconfig: ");
    } else if (!*api_root) {
        if (kuryr_k8s_config_in_cluster(NULL, out, err) < 0)
            return kuryr_error_prefix(err, "[kubernetes] api_root and kubeconfig are unset and not in a pod: ");
    }
    if (override(&out->server, api_root) < 0 ||
        override(&out->ca_file, kuryr_config_get_str(cfg, "kubernetes", "ssl_ca_crt_file")) < 0 ||
        override(&out->cert_file, kuryr_config_get_str(cfg, "kubernetes", "ssl_client_crt_file")) < 0 ||
        override(&out->key_file, kuryr_config_get_str(cfg, "kubernetes", "ssl_client_key_file")) < 0 ||
        override(&out->token_file, kuryr_config_get_str(cfg, "kubernetes", "token_file")) < 0) {
        kuryr_k8s_config_clear(out);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    /* An explicit file replaces inline data of the same kind from the kubeconfig. */
    if (*kuryr_config_get_str(cfg, "kubernetes", "ssl_ca_crt_file")) {
        free(out->ca_pem);
        out->ca_pem = NULL;
    }
    if (*kuryr_config_get_str(cfg, "kubernetes", "ssl_client_crt_file")) {
        free(out->cert_pem);
        out->cert_pem = NULL;
    }
    if (*kuryr_config_get_str(cfg, "kubernetes", "ssl_client_key_file")) {
        free(out->key_pem);
        out->key_pem = NULL;
    }
    if (!kuryr_config_get_bool(cfg, "kubernetes", "ssl_verify_server_crt"))
        out->insecure = true;
    if (!out->server) {
        kuryr_k8s_config_clear(out);
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[kubernetes]: no kube-apiserver URL");
    }
    return 0;
}
