/* Input validation for plugin requests. */
#include "validate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool kl_valid_id(const char *s)
{
    if (!s)
        return false;
    size_t i = 0;
    for (; s[i]; i++) {
        if (i >= 64 || !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return i == 64;
}

bool kl_valid_sandbox_key(const char *s)
{
    if (!s || s[0] != '/' || strlen(s) > 4096 || strstr(s, "/../") || strstr(s, "//"))
        return false;
    size_t n = strlen(s);
    if (n >= 3 && strcmp(s + n - 3, "/..") == 0)
        return false;
    for (const char *c = s; *c; c++) {
        if (!isgraph((unsigned char)*c))
            return false;
    }
    return true;
}

bool kl_valid_ip(const char *s, int *family)
{
    unsigned char buf[16];
    if (!s)
        return false;
    if (inet_pton(AF_INET, s, buf) == 1) {
        if (family)
            *family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, s, buf) == 1) {
        if (family)
            *family = 6;
        return true;
    }
    return false;
}

bool kl_valid_cidr(const char *s, int *family)
{
    if (!s)
        return false;
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || slash - s >= 64 || !slash[1] || strlen(slash + 1) > 3)
        return false;
    char ip[64];
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    int fam;
    if (!kl_valid_ip(ip, &fam))
        return false;
    for (const char *c = slash + 1; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return false;
    }
    int len = atoi(slash + 1);
    if (len < 0 || len > (fam == 4 ? 32 : 128))
        return false;
    if (family)
        *family = fam;
    return true;
}

bool kl_valid_mac(const char *s)
{
    if (!s || strlen(s) != 17)
        return false;
    for (int i = 0; i < 17; i++) {
        if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_null(v) ? NULL : v;
}

int kl_get_str(json_t *obj, const char *key, bool required, const char **out, kuryr_error *err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (!v)
        return required ? kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s is required", key) : 0;
    if (!json_is_string(v))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s must be a string", key);
    *out = json_string_value(v);
    if (required && !**out)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s is required", key);
    return 0;
}

int kl_get_id(json_t *obj, const char *key, const char **out, kuryr_error *err)
{
    if (kl_get_str(obj, key, true, out, err) < 0)
        return -1;
    if (!kl_valid_id(*out))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s must be 64 hexadecimal characters",
                               key);
    return 0;
}

int kl_get_obj(json_t *obj, const char *key, json_t **out, kuryr_error *err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v && !json_is_object(v))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s must be an object", key);
    *out = v;
    return 0;
}

int kl_get_arr(json_t *obj, const char *key, json_t **out, kuryr_error *err)
{
    json_t *v = member(obj, key);
    *out = NULL;
    if (v && !json_is_array(v))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "%s must be an array", key);
    *out = v;
    return 0;
}

int kl_opt_bool(json_t *obj, const char *key, bool def, bool *out, kuryr_error *err)
{
    json_t *v = member(obj, key);
    *out = def;
    if (!v)
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcasecmp(s, "true") || !strcmp(s, "1") || !strcasecmp(s, "yes")) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, "false") || !strcmp(s, "0") || !strcasecmp(s, "no")) {
            *out = false;
            return 0;
        }
    }
    return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 400, NULL, "option %s must be a boolean", key);
}
