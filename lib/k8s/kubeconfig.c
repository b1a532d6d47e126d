/* kubeconfig files (libyaml) and the in-cluster service account: see include/kuryr/k8s_config.h. */
#include "k8s_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "kuryr/k8s_config.h"

/* A kubeconfig is a few KB; a limit keeps a wrong path (a disk image, /dev/zero) from eating memory. */
#define MAX_KUBECONFIG_BYTES (4L * 1024 * 1024)

void kuryr_k8s_config_clear(kuryr_k8s_config *cfg)
{
    if (!cfg)
        return;
    char *secrets[] = {cfg->key_pem, cfg->token};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        k8s_free_secret(secrets[i]);
    free(cfg->server);
    free(cfg->ca_file);
    free(cfg->ca_pem);
    free(cfg->cert_file);
    free(cfg->cert_pem);
    free(cfg->key_file);
    free(cfg->token_file);
    free(cfg->namespace);
    memset(cfg, 0, sizeof(*cfg));
}

/* ---- base64 (kubeconfig's *-data fields; none of the allowed libraries exports a decoder) ---- */

static int b64_value(unsigned char ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+')
        return 62;
    if (ch == '/')
        return 63;
    return -1;
}

char *k8s_base64_decode(const char *in, size_t len, size_t *out_len)
{
    char *out = malloc(len / 4 * 3 + 4);
    if (!out)
        return NULL;
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    bool padding = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
            continue;
        if (ch == '=') {
            padding = true;
            continue;
        }
        int v = b64_value(ch);
        if (v < 0 || padding) /* a stray character, or data after the padding */
            goto bad;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (char)((acc >> bits) & 0xFF);
        }
    }
    if (bits >= 6) /* a lone trailing character carries no whole byte */
        goto bad;
    out[n] = '\0';
    if (out_len)
        *out_len = n;
    return out;
bad:
    free(out);
    return NULL;
}

/* ---- walking the YAML document ---- */

typedef struct {
    yaml_document_t *doc;
    kuryr_error *err;
} walk;

static yaml_node_t *node_at(walk *w, int index)
{
    return index ? yaml_document_get_node(w->doc, index) : NULL;
}

/* The value node of key in mapping node m, or NULL. */
static yaml_node_t *map_get(walk *w, yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(w, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return node_at(w, p->value);
    }
    return NULL;
}

/* The scalar under key as a borrowed NUL-terminated string (libyaml terminates scalars), or NULL. An empty
 * scalar counts as absent. */
static const char *map_str(walk *w, yaml_node_t *m, const char *key)
{
    yaml_node_t *v = map_get(w, m, key);
    if (!v || v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0)
        return NULL;
    /* A NUL inside the value would silently cut it: refuse such values. */
    if (strlen((const char *)v->data.scalar.value) != v->data.scalar.length)
        return NULL;
    return (const char *)v->data.scalar.value;
}

/* The entry of list `section` whose name is `name`, then its `inner` mapping ("cluster", "user", "context"). */
static yaml_node_t *named_entry(walk *w, yaml_node_t *root, const char *section, const char *inner, const char *name)
{
    yaml_node_t *list = map_get(w, root, section);
    if (!list || list->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
        yaml_node_t *entry = node_at(w, *it);
        const char *n = map_str(w, entry, "name");
        if (n && strcmp(n, name) == 0) {
            yaml_node_t *v = map_get(w, entry, inner);
            return v && v->type == YAML_MAPPING_NODE ? v : NULL;
        }
    }
    return NULL;
}

static int bad(walk *w, const char *fmt, const char *arg)
{
    char msg[256];
    snprintf(msg, sizeof(msg), fmt, arg);
    return kuryr_error_set(w->err, KURYR_ERR_BAD_REQUEST, 0, NULL, "kubeconfig: %s", msg);
}

/* path, made absolute against base_dir when relative. */
static char *resolve_path(const char *path, const char *base_dir)
{
    if (path[0] == '/' || !base_dir || !*base_dir)
        return strdup(path);
    size_t n = strlen(base_dir) + strlen(path) + 2;
    char *full = malloc(n);
    if (full)
        snprintf(full, n, "%s/%s", base_dir, path);
    return full;
}

/* Fills *file from key (a path) or *pem from key-data (base64), the latter winning like kubectl's. */
static int take_credential(walk *w, yaml_node_t *m, const char *key, const char *base_dir, char **file, char **pem)
{
    char data_key[64];
    snprintf(data_key, sizeof(data_key), "%s-data", key);
    const char *data = map_str(w, m, data_key);
    if (data) {
        size_t n;
        *pem = k8s_base64_decode(data, strlen(data), &n);
        if (!*pem || n == 0 || strlen(*pem) != n) {
            k8s_free_secret(*pem);
            *pem = NULL;
            return bad(w, "%s is not valid base64 PEM text", data_key);
        }
        return 0;
    }
    const char *path = map_str(w, m, key);
    if (path && !(*file = resolve_path(path, base_dir)))
        return kuryr_error_set(w->err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    return 0;
}

static int take_cluster(walk *w, yaml_node_t *cluster, const char *base_dir, kuryr_k8s_config *out)
{
    const char *server = map_str(w, cluster, "server");
    if (!server)
        return bad(w, "%s", "the cluster has no server");
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return bad(w, "server '%.200s' is not an http(s) URL", server);
    out->server = strdup(server);
    const char *insecure = map_str(w, cluster, "insecure-skip-tls-verify");
    out->insecure = insecure && strcmp(insecure, "true") == 0;
    return take_credential(w, cluster, "certificate-authority", base_dir, &out->ca_file, &out->ca_pem);
}

static int take_user(walk *w, yaml_node_t *user, const char *base_dir, kuryr_k8s_config *out)
{
    if (map_get(w, user, "exec") || map_get(w, user, "auth-provider"))
        return bad(w, "%s", "exec and auth-provider credential plugins are not supported");
    if (take_credential(w, user, "client-certificate", base_dir, &out->cert_file, &out->cert_pem) ||
        take_credential(w, user, "client-key", base_dir, &out->key_file, &out->key_pem))
        return -1;
    if ((out->cert_file || out->cert_pem) != (out->key_file || out->key_pem))
        return bad(w, "%s", "a client certificate needs its key, and a key its certificate");
    const char *token = map_str(w, user, "token");
    const char *token_file = map_str(w, user, "tokenFile");
    if (token)
        out->token = strdup(token);
    else if (token_file)
        out->token_file = resolve_path(token_file, base_dir);
    return 0;
}

static int take_document(walk *w, const char *context, const char *base_dir, kuryr_k8s_config *out)
{
    yaml_node_t *root = yaml_document_get_root_node(w->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return bad(w, "%s", "not a YAML mapping");
    const char *ctx_name = context ? context : map_str(w, root, "current-context");
    if (!ctx_name)
        return bad(w, "%s", "no context given and no current-context");
    yaml_node_t *ctx = named_entry(w, root, "contexts", "context", ctx_name);
    if (!ctx)
        return bad(w, "context '%.200s' not found", ctx_name);
    const char *cluster_name = map_str(w, ctx, "cluster"), *user_name = map_str(w, ctx, "user");
    yaml_node_t *cluster = cluster_name ? named_entry(w, root, "clusters", "cluster", cluster_name) : NULL;
    if (!cluster)
        return bad(w, "cluster '%.200s' not found", cluster_name ? cluster_name : "(none)");
    if (take_cluster(w, cluster, base_dir, out))
        return -1;
    if (user_name) {
        yaml_node_t *user = named_entry(w, root, "users", "user", user_name);
        if (!user)
            return bad(w, "user '%.200s' not found", user_name);
        if (take_user(w, user, base_dir, out))
            return -1;
    }
    const char *ns = map_str(w, ctx, "namespace");
    out->namespace = strdup(ns ? ns : "default");
    if (!out->server || !out->namespace)
        return kuryr_error_set(w->err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    return 0;
}

int kuryr_k8s_config_parse(const char *yaml, size_t len, const char *context, const char *base_dir,
                           kuryr_k8s_config *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!yaml)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "kubeconfig: no text");
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    if (!yaml_parser_load(&parser, &doc)) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "kubeconfig: YAML error at line %zu: %s",
                        parser.problem_mark.line + 1, parser.problem ? parser.problem : "?");
        yaml_parser_delete(&parser);
        return -1;
    }
    walk w = {&doc, err};
    int rc = take_document(&w, context, base_dir, out);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc)
        kuryr_k8s_config_clear(out);
    return rc;
}

/* The whole file as a NUL-terminated string (at most max bytes), or NULL with errno. */
static char *read_file(const char *path, long max, size_t *len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char *buf = malloc((size_t)max + 1);
    size_t n = buf ? fread(buf, 1, (size_t)max + 1, f) : 0;
    int failed = !buf || ferror(f);
    fclose(f);
    if (failed || n > (size_t)max) {
        free(buf);
        errno = failed ? EIO : EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int kuryr_k8s_config_load(const char *path, const char *context, kuryr_k8s_config *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    size_t len;
    char *text = read_file(path, MAX_KUBECONFIG_BYTES, &len);
    if (!text)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "kubeconfig %s: %s", path, strerror(errno));
    char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    int rc = kuryr_k8s_config_parse(text, len, context, slash ? dir : NULL, out, err);
    if (rc) {
        char where[512];
        snprintf(where, sizeof(where), "%s: ", path);
        kuryr_error_prefix(err, where);
    }
    free(dir);
    k8s_free_secret(text);
    return rc;
}

int kuryr_k8s_config_in_cluster(const char *sa_dir, kuryr_k8s_config *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *host = getenv("KUBERNETES_SERVICE_HOST"), *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL,
                               "not in a pod: KUBERNETES_SERVICE_HOST/PORT are not set");
    if (!sa_dir)
        sa_dir = KURYR_K8S_SA_DIR;
    char buf[512];
    bool v6 = strchr(host, ':') != NULL;
    snprintf(buf, sizeof(buf), "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    out->server = strdup(buf);
    snprintf(buf, sizeof(buf), "%s/token", sa_dir);
    out->token_file = strdup(buf);
    snprintf(buf, sizeof(buf), "%s/ca.crt", sa_dir);
    out->ca_file = strdup(buf);
    snprintf(buf, sizeof(buf), "%s/namespace", sa_dir);
    size_t len = 0;
    char *ns = read_file(buf, 253, &len);
    if (ns)
        ns[strcspn(ns, " \r\n\t")] = '\0';
    out->namespace = ns && *ns ? ns : strdup("default");
    if (ns && !*ns)
        free(ns);
    if (!out->server || !out->token_file || !out->ca_file || !out->namespace) {
        kuryr_k8s_config_clear(out);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    if (access(out->token_file, R_OK) != 0) {
        kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL, "service account token %s: %s", out->token_file,
                        strerror(errno));
        kuryr_k8s_config_clear(out);
        return -1;
    }
    return 0;
}

int kuryr_k8s_config_default(kuryr_k8s_config *out, kuryr_error *err)
{
    const char *env = getenv("KUBECONFIG");
    if (env && *env) {
        /* kubectl merges a ':'-separated list; the first file is the usual single entry. */
        char *first = strndup(env, strcspn(env, ":"));
        int rc = first ? kuryr_k8s_config_load(first, NULL, out, err)
                       : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        free(first);
        return rc;
    }
    if (kuryr_k8s_config_in_cluster(NULL, out, err) == 0)
        return 0;
    const char *home = getenv("HOME");
    char path[1024];
    snprintf(path, sizeof(path), "%s/.kube/config", home && *home ? home : "/root");
    return kuryr_k8s_config_load(path, NULL, out, err);
}
