/* Request bodies for POST /v3/auth/tokens. */
#include <jansson.h>
#include <stdlib.h>

#include "keystone_internal.h"

static bool set(const char *s)
{
    return s && *s;
}

/* {"id": ...} or {"name": ...}; Keystone's default domain when neither is given. */
static json_t *domain_ref(const char *id, const char *name)
{
    if (set(id))
        return json_pack("{s:s}", "id", id);
    if (set(name))
        return json_pack("{s:s}", "name", name);
    return json_pack("{s:s}", "id", "default");
}

/* A user by id, or by name within its domain. */
static json_t *user_ref(const kuryr_auth_opts *o)
{
    if (set(o->user_id))
        return json_pack("{s:s}", "id", o->user_id);
    if (set(o->username))
        return json_pack("{s:s,s:o}", "name", o->username, "domain", domain_ref(o->user_domain_id, o->user_domain_name));
    return NULL;
}

static json_t *project_scope(const kuryr_auth_opts *o)
{
    if (set(o->project_id))
        return json_pack("{s:{s:s}}", "project", "id", o->project_id);
    if (set(o->project_name))
        return json_pack("{s:{s:s,s:o}}", "project", "name", o->project_name, "domain",
                         domain_ref(o->project_domain_id, o->project_domain_name));
    return NULL;  /* the user's default project, if Keystone has one */
}

static json_t *password_auth(const kuryr_auth_opts *o, kuryr_error *err)
{
    json_t *user = user_ref(o);
    if (!user || !set(o->password)) {
        json_decref(user);
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "password auth needs username or user_id and password");
        return NULL;
    }
    if (json_object_set_new(user, "password", json_string(o->password)) != 0) {
        json_decref(user);
        return NULL;
    }
    json_t *auth = json_pack("{s:{s:[s],s:{s:o}}}", "identity", "methods", "password", "password", "user", user);
    json_t *scope = project_scope(o);
    if (auth && scope)
        json_object_set_new(auth, "scope", scope);
    else
        json_decref(scope);
    return auth;
}

/* Application credentials carry their own scope: Keystone rejects a scope in the request. */
static json_t *appcred_auth(const kuryr_auth_opts *o, kuryr_error *err)
{
    json_t *cred;
    if (set(o->app_cred_id)) {
        cred = json_pack("{s:s}", "id", o->app_cred_id);
    } else {
        json_t *user = user_ref(o);
        if (!set(o->app_cred_name) || !user) {
            json_decref(user);
            kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                            "application credential auth needs application_credential_id, or "
                            "application_credential_name with username or user_id");
            return NULL;
        }
        cred = json_pack("{s:s,s:o}", "name", o->app_cred_name, "user", user);
    }
    if (!cred || !set(o->app_cred_secret)) {
        json_decref(cred);
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "application credential auth needs application_credential_secret");
        return NULL;
    }
    json_object_set_new(cred, "secret", json_string(o->app_cred_secret));
    return json_pack("{s:{s:[s],s:o}}", "identity", "methods", "application_credential", "application_credential",
                     cred);
}

char *kuryr_keystone_auth_body(const kuryr_auth_opts *opts, kuryr_error *err)
{
    kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory building the keystone request");
    json_t *auth;
    switch (opts->type) {
    case KURYR_AUTH_PASSWORD: auth = password_auth(opts, err); break;
    case KURYR_AUTH_APPCRED: auth = appcred_auth(opts, err); break;
    default:
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "no keystone request body for this auth type");
        return NULL;
    }
    if (!auth)
        return NULL;
    json_t *root = json_pack("{s:o}", "auth", auth);
    char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (body)
        kuryr_error_clear(err);
    return body;
}
