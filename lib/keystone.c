/* Keystone v3 authentication with a shared token cache: see include/kuryr/keystone.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "keystone_internal.h"
#include "kuryr/log.h"

/* Every string field of kuryr_auth_opts, so that copying and freeing cannot miss one. */
#define AUTH_STRING_FIELDS(X) \
    X(auth_url) X(username) X(user_id) X(password) X(user_domain_name) X(user_domain_id) X(project_name) \
    X(project_id) X(project_domain_name) X(project_domain_id) X(app_cred_id) X(app_cred_name) \
    X(app_cred_secret) X(token) X(region_name) X(interface) X(service_type) X(endpoint_override)

/* A project id the token was scoped to. Never changed or freed before the auth: kuryr_auth_project_id hands
 * out pointers to it, which other threads may still read after a re-authentication scoped the token to
 * another project. */
typedef struct project_seen {
    struct project_seen *older;
    char id[];
} project_seen;

struct kuryr_auth {
    kuryr_http *http;
    kuryr_auth_opts opts;  /* strings owned */
    char *tokens_url;      /* <auth_url>/v3/auth/tokens, NULL without auth_url */
    pthread_mutex_t lock;  /* guards everything below; held during authentication so that one thread asks */
    char *token;
    time_t expires_at;     /* 0 = never renewed (a given token without auth_url to check it) */
    char *endpoint;
    project_seen *projects; /* every project id the token had, newest first */
    _Atomic(const char *) project_id; /* the newest's id, "" before the first one; read without the lock */
};

static char *strip_slashes(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return strndup(url, n);
}

static char *tokens_url(const char *auth_url)
{
    char *base = strip_slashes(auth_url);
    if (!base)
        return NULL;
    size_t n = strlen(base);
    bool has_v3 = n >= 3 && strcmp(base + n - 3, "/v3") == 0;
    char *url = NULL;
    if (asprintf(&url, "%s%s/auth/tokens", base, has_v3 ? "" : "/v3") < 0)
        url = NULL;
    free(base);
    return url;
}

static void free_opts(kuryr_auth_opts *o)
{
#define FREE_FIELD(f) free((char *)o->f);
    AUTH_STRING_FIELDS(FREE_FIELD)
#undef FREE_FIELD
}

kuryr_auth *kuryr_auth_new(kuryr_http *http, const kuryr_auth_opts *opts)
{
    kuryr_auth *auth = calloc(1, sizeof(*auth));
    if (!auth)
        return NULL;
    auth->http = http;
    atomic_init(&auth->project_id, "");
    auth->opts.type = opts->type;
    bool oom = false;
#define COPY_FIELD(f) \
    if (opts->f && *opts->f && !(auth->opts.f = strdup(opts->f))) \
        oom = true;
    AUTH_STRING_FIELDS(COPY_FIELD)
#undef COPY_FIELD
    if (auth->opts.auth_url && !(auth->tokens_url = tokens_url(auth->opts.auth_url)))
        oom = true;
    if (oom) {
        free_opts(&auth->opts);
        free(auth->tokens_url);
        free(auth);
        return NULL;
    }
    pthread_mutex_init(&auth->lock, NULL);
    return auth;
}

void kuryr_auth_free(kuryr_auth *auth)
{
    if (!auth)
        return;
    free_opts(&auth->opts);
    free(auth->tokens_url);
    free(auth->token);
    free(auth->endpoint);
    for (project_seen *p = auth->projects, *older; p; p = older) {
        older = p->older;
        free(p);
    }
    pthread_mutex_destroy(&auth->lock);
    free(auth);
}

/* Makes project the current project id (lock held). A pointer handed out before keeps its old text. */
static void set_project(kuryr_auth *auth, const char *project)
{
    if (!strcmp(atomic_load(&auth->project_id), project))
        return;
    size_t n = strlen(project) + 1;
    project_seen *p = malloc(sizeof(*p) + n);
    if (!p)
        return; /* out of memory: the previous id stays, as a stale label rather than a crash */
    memcpy(p->id, project, n);
    p->older = auth->projects;
    auth->projects = p;
    atomic_store(&auth->project_id, p->id);
}

static const char *who(const kuryr_auth_opts *o)
{
    if (o->type == KURYR_AUTH_APPCRED)
        return o->app_cred_id ? o->app_cred_id : o->app_cred_name ? o->app_cred_name : "?";
    return o->username ? o->username : o->user_id ? o->user_id : "?";
}

/* Keystone's own explanation ({"error": {"message": ...}}), redacted, malloc'd; NULL if none. */
static char *keystone_message(const char *body)
{
    json_t *root = body ? json_loads(body, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    char *out = msg ? kuryr_redact(msg) : NULL;
    json_decref(root);
    return out;
}

static int keystone_failure(const kuryr_auth *auth, const kuryr_http_response *resp, kuryr_error *err)
{
    /* 404 is how Keystone answers the validation of an unknown or expired token. */
    kuryr_err_kind kind = resp->status == 404 && auth->opts.type == KURYR_AUTH_TOKEN
                              ? KURYR_ERR_UNAUTHORIZED
                              : kuryr_err_kind_from_status(resp->status);
    if (kind == KURYR_OK)
        kind = KURYR_ERR_INTERNAL;
    char *msg = keystone_message(resp->body);
    kuryr_error_set(err, kind, resp->status, NULL, "keystone %s for %s: HTTP %ld%s%s",
                    kind == KURYR_ERR_UNAUTHORIZED ? "rejected the credentials" : "authentication failed",
                    who(&auth->opts), resp->status, msg ? ": " : "", msg ? msg : "");
    free(msg);
    return -1;
}

/* A request that got no answer names the service in its message: the daemon reports it to Docker as the
 * failure of a Neutron operation, and "Keystone unreachable" is what tells the operator where to look. */
static int name_keystone(kuryr_error *err)
{
    if (!err)
        return -1;
    return kuryr_error_prefix(err, err->kind == KURYR_ERR_UNAVAILABLE ? "Keystone unreachable: " : "Keystone: ");
}

/* Asks Keystone for a token (or, for a given token, validates it to learn its expiry and catalog). Called
 * with the lock held. */
static int authenticate(kuryr_auth *auth, kuryr_error *err)
{
    if (!auth->tokens_url)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "keystone auth_url is not set");
    kuryr_http_response resp;
    int rc;
    if (auth->opts.type == KURYR_AUTH_TOKEN) {
        char *x_auth = NULL, *x_subject = NULL;
        if (asprintf(&x_auth, "X-Auth-Token: %s", auth->opts.token) < 0)
            x_auth = NULL;
        if (asprintf(&x_subject, "X-Subject-Token: %s", auth->opts.token) < 0)
            x_subject = NULL;
        const char *headers[] = {x_auth, x_subject, NULL};
        rc = x_auth && x_subject ? kuryr_http_request(auth->http, "GET", auth->tokens_url, headers, NULL, &resp, err)
                                 : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        free(x_auth);
        free(x_subject);
    } else {
        char *body = kuryr_keystone_auth_body(&auth->opts, err);
        if (!body)
            return -1;
        rc = kuryr_http_request(auth->http, "POST", auth->tokens_url, NULL, body, &resp, err);
        /* The body holds the password: do not leave it in freed heap memory. */
        explicit_bzero(body, strlen(body));
        free(body);
    }
    if (rc != 0) {
        kuryr_http_response_clear(&resp);
        return name_keystone(err);
    }
    if (resp.status != 200 && resp.status != 201) {
        keystone_failure(auth, &resp, err);
        kuryr_http_response_clear(&resp);
        return -1;
    }
    kuryr_token_info info;
    const char *token = auth->opts.type == KURYR_AUTH_TOKEN ? auth->opts.token : resp.subject_token;
    if (!token) {
        long status = resp.status;
        kuryr_http_response_clear(&resp);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, status, NULL, "keystone answer has no X-Subject-Token");
    }
    if (kuryr_keystone_parse_token(resp.body, auth->opts.service_type, auth->opts.interface, auth->opts.region_name,
                                   &info, err) != 0) {
        kuryr_http_response_clear(&resp);
        return -1;
    }
    char *copy = strdup(token);
    kuryr_http_response_clear(&resp);
    if (!copy) {
        kuryr_token_info_clear(&info);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    free(auth->token);
    auth->token = copy;
    auth->expires_at = info.expires_at;
    free(auth->endpoint);
    auth->endpoint = info.endpoint;
    info.endpoint = NULL;
    set_project(auth, info.project_id ? info.project_id : "");
    const char *project = atomic_load(&auth->project_id);
    KLOG_INFO("keystone: authenticated %s, project %s, token valid for %lds", who(&auth->opts),
              project[0] ? project : "(unscoped)", (long)(info.expires_at - time(NULL)));
    kuryr_token_info_clear(&info);
    return 0;
}

/* Makes sure a usable token is cached. Called with the lock held. */
static int ensure_token(kuryr_auth *auth, kuryr_error *err)
{
    if (auth->token && (auth->expires_at == 0 || !kuryr_token_needs_renewal(auth->expires_at, time(NULL))))
        return 0;
    if (auth->opts.type == KURYR_AUTH_TOKEN && !auth->tokens_url) {
        /* Nothing to check the token against: use it as given until Neutron rejects it. */
        if (!auth->opts.token)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "token auth without a token");
        if (!(auth->token = strdup(auth->opts.token)))
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        auth->expires_at = 0;
        return 0;
    }
    return authenticate(auth, err);
}

int kuryr_auth_get_token(kuryr_auth *auth, char **token, kuryr_error *err)
{
    *token = NULL;
    if (auth->opts.type == KURYR_AUTH_NONE)
        return 0;
    pthread_mutex_lock(&auth->lock);
    int rc = ensure_token(auth, err);
    if (rc == 0 && !(*token = strdup(auth->token)))
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    pthread_mutex_unlock(&auth->lock);
    return rc;
}

int kuryr_auth_get_endpoint(kuryr_auth *auth, char **url, kuryr_error *err)
{
    *url = NULL;
    if (auth->opts.endpoint_override) {
        if (!(*url = strip_slashes(auth->opts.endpoint_override)))
            return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return 0;
    }
    if (auth->opts.type == KURYR_AUTH_NONE || (auth->opts.type == KURYR_AUTH_TOKEN && !auth->tokens_url))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "endpoint_override is required when there is no keystone catalog");
    pthread_mutex_lock(&auth->lock);
    int rc = ensure_token(auth, err);
    if (rc == 0 && !auth->endpoint)
        rc = kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL,
                             "no %s endpoint with interface %s in region %s in the keystone catalog",
                             auth->opts.service_type ? auth->opts.service_type : "network",
                             kuryr_keystone_interface(auth->opts.interface),
                             auth->opts.region_name ? auth->opts.region_name : "(any)");
    if (rc == 0 && !(*url = strdup(auth->endpoint)))
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    pthread_mutex_unlock(&auth->lock);
    return rc;
}

void kuryr_auth_invalidate(kuryr_auth *auth, const char *token)
{
    if (!token)
        return;
    pthread_mutex_lock(&auth->lock);
    if (auth->token && strcmp(auth->token, token) == 0) {
        free(auth->token);
        auth->token = NULL;
        auth->expires_at = 0;
    }
    pthread_mutex_unlock(&auth->lock);
}

const char *kuryr_auth_project_id(kuryr_auth *auth)
{
    pthread_mutex_lock(&auth->lock);
    /* Callers usually want the project before their first request: authenticate now if we can. */
    if (!auth->token && auth->opts.type != KURYR_AUTH_NONE) {
        kuryr_error ignored;
        ensure_token(auth, &ignored);
    }
    pthread_mutex_unlock(&auth->lock);
    return atomic_load(&auth->project_id);
}

static int send_once(kuryr_auth *auth, const char *method, const char *path, const char *const *extra,
                     const char *body, char **used_token, kuryr_http_response *resp, kuryr_error *err)
{
    char *endpoint = NULL, *url = NULL, *x_auth = NULL;
    int rc = kuryr_auth_get_token(auth, used_token, err);
    if (rc == 0)
        rc = kuryr_auth_get_endpoint(auth, &endpoint, err);
    if (rc == 0 && asprintf(&url, "%s%s", endpoint, path) < 0)
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory"), url = NULL;
    if (rc == 0 && *used_token && asprintf(&x_auth, "X-Auth-Token: %s", *used_token) < 0)
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory"), x_auth = NULL;
    size_t n_extra = 0;
    while (extra && extra[n_extra])
        n_extra++;
    const char **headers = NULL;
    if (rc == 0 && !(headers = calloc(n_extra + 2, sizeof(*headers))))
        rc = kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    if (rc == 0) {
        size_t k = 0;
        if (x_auth)
            headers[k++] = x_auth;
        for (size_t i = 0; i < n_extra; i++)
            headers[k++] = extra[i];
        rc = kuryr_http_request(auth->http, method, url, headers, body, resp, err);
    }
    free(headers);
    free(endpoint);
    free(url);
    free(x_auth);
    return rc;
}

int kuryr_auth_request(kuryr_auth *auth, const char *method, const char *path, const char *body,
                       kuryr_http_response *resp, kuryr_error *err)
{
    return kuryr_auth_request_headers(auth, method, path, NULL, body, resp, err);
}

int kuryr_auth_request_headers(kuryr_auth *auth, const char *method, const char *path, const char *const *headers,
                               const char *body, kuryr_http_response *resp, kuryr_error *err)
{
    memset(resp, 0, sizeof(*resp));
    for (int round = 0;; round++) {
        char *token = NULL;
        int rc = send_once(auth, method, path, headers, body, &token, resp, err);
        if (rc != 0 || resp->status != 401) {
            free(token);
            return rc;
        }
        if (round == 0 && auth->opts.type != KURYR_AUTH_NONE) {
            KLOG_INFO("%s %s: token rejected (401), authenticating again", method, path);
            kuryr_auth_invalidate(auth, token);
            free(token);
            kuryr_http_response_clear(resp);
            continue;
        }
        free(token);
        return kuryr_error_set(err, KURYR_ERR_UNAUTHORIZED, 401, NULL, "%s %s: unauthorized%s", method, path,
                               round > 0 ? " even after authenticating again" : "");
    }
}
