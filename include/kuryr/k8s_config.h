/* Where the kube-apiserver is and how to authenticate to it: a kubeconfig file, the in-cluster service
 * account, or fields filled by the caller (e.g. from kuryr.conf's [kubernetes] options).
 *
 * TLS verification is on unless the kubeconfig says `insecure-skip-tls-verify: true` or the caller sets
 * `insecure`. Inline credentials (`certificate-authority-data`, `client-certificate-data`, `client-key-data`)
 * are kept in memory as PEM and handed to libcurl as blobs: nothing secret is written to disk. */
#ifndef KURYR_K8S_CONFIG_H
#define KURYR_K8S_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"

/* Where a pod's service-account credentials are mounted. */
#define KURYR_K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Every string is malloc'd and owned by the struct (NULL = not set); kuryr_k8s_config_clear frees them all.
 * A caller filling it by hand strdup()s its values. */
typedef struct {
    char *server;     /* "https://host:port" (a trailing '/' is dropped when the client is made) */
    char *ca_file;    /* CA bundle to verify the server with; NULL = the system's */
    char *ca_pem;     /* the same, inline (from certificate-authority-data, base64-decoded) */
    char *cert_file;  /* client certificate (PEM) */
    char *cert_pem;
    char *key_file;   /* client key (PEM) */
    char *key_pem;
    char *token;      /* a fixed bearer token */
    char *token_file; /* a bearer token read from this file, re-read when it changes and after a 401 */
    char *namespace;  /* the context's namespace, or the service account's; "default" when none */
    bool insecure;    /* skip TLS verification: only when asked for explicitly */
} kuryr_k8s_config;

/* Parses kubeconfig YAML text (len bytes, need not be NUL-terminated). context NULL = current-context.
 * Relative file paths in it are taken relative to base_dir (the kubeconfig's directory; NULL = cwd).
 * Supports cluster {server, certificate-authority[-data], insecure-skip-tls-verify} and user
 * {client-certificate[-data], client-key[-data], token, tokenFile}; exec and auth-provider plugins are refused
 * with a clear error. Returns 0, or -1 with err (KURYR_ERR_BAD_REQUEST) naming what is wrong; out is then
 * cleared. */
int kuryr_k8s_config_parse(const char *yaml, size_t len, const char *context, const char *base_dir,
                           kuryr_k8s_config *out, kuryr_error *err);
/* Reads and parses the kubeconfig file at path. */
int kuryr_k8s_config_load(const char *path, const char *context, kuryr_k8s_config *out, kuryr_error *err);
/* The in-cluster service account: server from KUBERNETES_SERVICE_HOST/PORT, token file, CA and namespace
 * from sa_dir (NULL = KURYR_K8S_SA_DIR). Fails with KURYR_ERR_NOT_FOUND when not running in a pod. */
int kuryr_k8s_config_in_cluster(const char *sa_dir, kuryr_k8s_config *out, kuryr_error *err);
/* What a client with no explicit configuration uses: $KUBECONFIG if set, else the in-cluster service account,
 * else ~/.kube/config. */
int kuryr_k8s_config_default(kuryr_k8s_config *out, kuryr_error *err);
void kuryr_k8s_config_clear(kuryr_k8s_config *cfg);

#endif
