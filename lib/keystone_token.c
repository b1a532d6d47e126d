/* Parsing of Keystone v3 token bodies: expiry, project and the service catalog. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keystone_internal.h"

#define RENEWAL_MARGIN_S 60

bool kuryr_token_needs_renewal(time_t expires_at, time_t now)
{
    /* An unknown expiry (0) is treated as expired: asking again is cheaper than a 401 in the middle of a
     * Docker call. */
    if (expires_at <= 0 || now >= expires_at)
        return true;
    return expires_at - now <= RENEWAL_MARGIN_S;
}

const char *kuryr_keystone_interface(const char *interface)
{
    if (!interface || !*interface)
        return "public";
    /* keystoneauth accepts the v2 "publicURL" spelling, and so do upstream kuryr.conf files. */
    static const char *const names[] = {"public", "internal", "admin"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        if (strncmp(interface, names[i], n) == 0 && (interface[n] == '\0' || strcmp(interface + n, "URL") == 0))
            return names[i];
    }
    return interface;
}

/* Parses Keystone's ISO 8601 UTC time: "2026-01-02T03:04:05.000000Z" or with "+00:00". */
static int parse_time(const char *s, time_t *out)
{
    struct tm tm = {0};
    int consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &consumed) != 6)
        return -1;
    const char *p = s + consumed;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    long offset_s = 0;
    if (*p == '+' || *p == '-') {
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        offset_s = (hh * 3600L + mm * 60L) * (*p == '-' ? -1 : 1);
    } else if (*p != 'Z' && *p != '\0') {
        return -1;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = t - offset_s;
    return 0;
}

static bool region_matches(json_t *endpoint, const char *region)
{
    if (!region || !*region)
        return true;
    const char *id = json_string_value(json_object_get(endpoint, "region_id"));
    const char *name = json_string_value(json_object_get(endpoint, "region"));
    return (id && strcmp(id, region) == 0) || (name && strcmp(name, region) == 0);
}

static const char *find_endpoint(json_t *catalog, const char *service_type, const char *interface,
                                 const char *region)
{
    size_t i, j;
    json_t *service, *endpoint;
    json_array_foreach(catalog, i, service) {
        const char *type = json_string_value(json_object_get(service, "type"));
        if (!type || strcmp(type, service_type) != 0)
            continue;
        json_array_foreach(json_object_get(service, "endpoints"), j, endpoint) {
            const char *iface = json_string_value(json_object_get(endpoint, "interface"));
            const char *url = json_string_value(json_object_get(endpoint, "url"));
            if (url && iface && strcmp(kuryr_keystone_interface(iface), interface) == 0 &&
                region_matches(endpoint, region))
                return url;
        }
    }
    return NULL;
}

int kuryr_keystone_parse_token(const char *body, const char *service_type, const char *interface,
                               const char *region, kuryr_token_info *info, kuryr_error *err)
{
    memset(info, 0, sizeof(*info));
    json_error_t jerr;
    json_t *root = body ? json_loads(body, 0, &jerr) : NULL;
    if (!root)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "keystone token body is not JSON: %s",
                               body ? jerr.text : "empty");
    json_t *token = json_object_get(root, "token");
    const char *expires = json_string_value(json_object_get(token, "expires_at"));
    if (!json_is_object(token) || !expires || parse_time(expires, &info->expires_at) != 0) {
        json_decref(root);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "keystone token body has no valid token.expires_at");
    }
    const char *project = json_string_value(json_object_get(json_object_get(token, "project"), "id"));
    const char *url = find_endpoint(json_object_get(token, "catalog"), service_type && *service_type ? service_type : "network",
                                    kuryr_keystone_interface(interface), region);
    info->project_id = project ? strdup(project) : NULL;
    if (url) {
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
            n--;
        info->endpoint = strndup(url, n);
    }
    json_decref(root);
    if ((project && !info->project_id) || (url && !info->endpoint)) {
        kuryr_token_info_clear(info);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory parsing the keystone token");
    }
    return 0;
}

void kuryr_token_info_clear(kuryr_token_info *info)
{
    if (!info)
        return;
    free(info->project_id);
    free(info->endpoint);
    memset(info, 0, sizeof(*info));
}
