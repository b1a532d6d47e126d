/* [neutron] options of kuryr.conf (keystoneauth's names) to kuryr_auth_opts and kuryr_http_opts. */
#include <string.h>
#include <strings.h>

#include "keystone_internal.h"

static const char *opt(const kuryr_config *cfg, const char *name)
{
    const char *v = kuryr_config_get_str(cfg, "neutron", name);
    return v && *v ? v : NULL;
}

static bool any_of(const char *s, const char *const *names)
{
    for (; *names; names++) {
        if (strcasecmp(s, *names) == 0)
            return true;
    }
    return false;
}

static int parse_type(const char *s, kuryr_auth_type *type)
{
    static const char *const password[] = {"password", "v3password", NULL};
    static const char *const appcred[] = {"v3applicationcredential", "applicationcredential", NULL};
    static const char *const token[] = {"token", "v3token", NULL};
    static const char *const none[] = {"none", "noauth", NULL};
    /* keystoneauth has no default plugin; password is what every kuryr.conf example uses. */
    if (!s || any_of(s, password))
        *type = KURYR_AUTH_PASSWORD;
    else if (any_of(s, appcred))
        *type = KURYR_AUTH_APPCRED;
    else if (any_of(s, token))
        *type = KURYR_AUTH_TOKEN;
    else if (any_of(s, none))
        *type = KURYR_AUTH_NONE;
    else
        return -1;
    return 0;
}

static int missing(kuryr_error *err, const char *what)
{
    return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[neutron] %s", what);
}

int kuryr_auth_opts_from_config(const kuryr_config *cfg, kuryr_auth_opts *o, kuryr_error *err)
{
    memset(o, 0, sizeof(*o));
    const char *type = opt(cfg, "auth_type");
    if (parse_type(type, &o->type) != 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[neutron] auth_type %s is not one of password, v3applicationcredential, token, none",
                               type);
    o->auth_url = opt(cfg, "auth_url");
    o->username = opt(cfg, "username");
    o->user_id = opt(cfg, "user_id");
    o->password = opt(cfg, "password");
    o->user_domain_name = opt(cfg, "user_domain_name");
    o->user_domain_id = opt(cfg, "user_domain_id");
    o->project_name = opt(cfg, "project_name");
    o->project_id = opt(cfg, "project_id");
    o->project_domain_name = opt(cfg, "project_domain_name");
    o->project_domain_id = opt(cfg, "project_domain_id");
    o->app_cred_id = opt(cfg, "application_credential_id");
    o->app_cred_name = opt(cfg, "application_credential_name");
    o->app_cred_secret = opt(cfg, "application_credential_secret");
    o->token = opt(cfg, "token");
    o->region_name = opt(cfg, "region_name");
    o->interface = opt(cfg, "endpoint_type");
    o->endpoint_override = opt(cfg, "endpoint_override");
    o->service_type = "network";

    switch (o->type) {
    case KURYR_AUTH_NONE:
        if (!o->endpoint_override)
            return missing(err, "auth_type none needs endpoint_override");
        break;
    case KURYR_AUTH_PASSWORD:
        if (!o->auth_url || !o->password || (!o->username && !o->user_id))
            return missing(err, "password auth needs auth_url, username or user_id, and password");
        break;
    case KURYR_AUTH_APPCRED:
        if (!o->auth_url || !o->app_cred_secret ||
            (!o->app_cred_id && !(o->app_cred_name && (o->username || o->user_id))))
            return missing(err, "application credential auth needs auth_url, application_credential_secret, and "
                                "application_credential_id or application_credential_name with username or user_id");
        break;
    case KURYR_AUTH_TOKEN:
        if (!o->token || (!o->auth_url && !o->endpoint_override))
            return missing(err, "token auth needs token, and auth_url or endpoint_override");
        break;
    }
    return 0;
}

void kuryr_http_opts_from_config(const kuryr_config *cfg, kuryr_http_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->cafile = opt(cfg, "cafile");
    o->certfile = opt(cfg, "certfile");
    o->keyfile = opt(cfg, "keyfile");
    o->insecure = kuryr_config_get_bool(cfg, "neutron", "insecure");
    long timeout_s = kuryr_config_get_int(cfg, "neutron", "timeout");
    o->timeout_ms = timeout_s > 0 ? timeout_s * 1000 : 0;
}
