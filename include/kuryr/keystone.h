/* Keystone v3 authentication and service-catalog lookup.
 *
 * A kuryr_auth yields a token and the network endpoint. Tokens are cached until shortly before they expire
 * (a 60 s margin) and shared by all threads. kuryr_auth_request() is the call every Neutron request goes
 * through: it adds the token, and on a 401 drops the cached token, re-authenticates once and retries. */
#ifndef KURYR_KEYSTONE_H
#define KURYR_KEYSTONE_H

#include <stdbool.h>
#include <time.h>

#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/http.h"

typedef enum {
    KURYR_AUTH_NONE,        /* no Keystone: endpoint_override is required (noauth Neutron) */
    KURYR_AUTH_PASSWORD,
    KURYR_AUTH_APPCRED,     /* v3applicationcredential */
    KURYR_AUTH_TOKEN,       /* an existing token, used as is until it is rejected */
} kuryr_auth_type;

typedef struct {
    kuryr_auth_type type;
    const char *auth_url;           /* e.g. http://127.0.0.1:5000/v3 (a missing /v3 is added) */
    const char *username, *user_id, *password;
    const char *user_domain_name, *user_domain_id;
    const char *project_name, *project_id;
    const char *project_domain_name, *project_domain_id;
    const char *app_cred_id, *app_cred_name, *app_cred_secret;
    const char *token;
    const char *region_name;        /* NULL/"" = any region */
    const char *interface;          /* public (default), internal, admin; "publicURL" style accepted */
    const char *service_type;       /* default "network" */
    const char *endpoint_override;  /* skip the catalog and use this URL */
} kuryr_auth_opts;

typedef struct kuryr_auth kuryr_auth;

/* Maps the [neutron] section of the config (auth_type, auth_url, username, ..., endpoint_override) to opts.
 * The strings stay owned by cfg. Returns -1 with err set for an unknown auth_type or missing fields. */
int kuryr_auth_opts_from_config(const kuryr_config *cfg, kuryr_auth_opts *opts, kuryr_error *err);
/* Same for the HTTP options: cafile, certfile, keyfile, insecure, timeout (seconds). */
void kuryr_http_opts_from_config(const kuryr_config *cfg, kuryr_http_opts *opts);

/* Copies opts; http stays owned by the caller and must outlive the auth. */
kuryr_auth *kuryr_auth_new(kuryr_http *http, const kuryr_auth_opts *opts);
void kuryr_auth_free(kuryr_auth *auth);

/* A malloc'd valid token (NULL with success for KURYR_AUTH_NONE). Authenticates if none is cached. */
int kuryr_auth_get_token(kuryr_auth *auth, char **token, kuryr_error *err);
/* The malloc'd network endpoint URL without a trailing slash (from the catalog or the override). */
int kuryr_auth_get_endpoint(kuryr_auth *auth, char **url, kuryr_error *err);
/* Forgets the cached token if it still equals `token` (so that concurrent 401s re-authenticate once). */
void kuryr_auth_invalidate(kuryr_auth *auth, const char *token);
/* The project id the token is scoped to, "" if unknown. Owned by auth and valid until kuryr_auth_free: a
 * later re-authentication to another project changes what this returns, never a string returned before. */
const char *kuryr_auth_project_id(kuryr_auth *auth);

/* An authenticated request to path relative to the network endpoint ("/v2.0/ports?..."). One re-auth and
 * retry on 401. Same return contract as kuryr_http_request. */
int kuryr_auth_request(kuryr_auth *auth, const char *method, const char *path, const char *body,
                       kuryr_http_response *resp, kuryr_error *err);
/* The same with extra request headers (a NULL-terminated array of "Name: value", or NULL), e.g. If-Match. */
int kuryr_auth_request_headers(kuryr_auth *auth, const char *method, const char *path, const char *const *headers,
                               const char *body, kuryr_http_response *resp, kuryr_error *err);

/* Parsing, exposed for unit tests and fuzzing. Parses a POST /v3/auth/tokens body: expiry, project id and
 * the endpoint URL for service_type/interface/region. Returns 0 or -1 with err. Outputs are malloc'd. */
typedef struct {
    time_t expires_at;
    char *project_id;
    char *endpoint;   /* NULL if the catalog has no match */
} kuryr_token_info;
int kuryr_keystone_parse_token(const char *body, const char *service_type, const char *interface,
                               const char *region, kuryr_token_info *info, kuryr_error *err);
void kuryr_token_info_clear(kuryr_token_info *info);
/* True if a token expiring at expires_at must be renewed at time now (within the 60 s margin). */
bool kuryr_token_needs_renewal(time_t expires_at, time_t now);

#endif
