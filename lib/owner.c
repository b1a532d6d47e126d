/* Ownership markers (see kuryr/owner.h). */
#include "kuryr/owner.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void kuryr_owner_host(const kuryr_config *cfg, char out[KURYR_OWNER_LEN])
{
    const char *h = cfg ? kuryr_config_get_str(cfg, "DEFAULT", "host") : NULL;
    if (h && *h) {
        snprintf(out, KURYR_OWNER_LEN, "%s", h);
        return;
    }
    out[0] = '\0';
    if (gethostname(out, KURYR_OWNER_LEN - 1) < 0 || !out[0])
        snprintf(out, KURYR_OWNER_LEN, "localhost");
    out[KURYR_OWNER_LEN - 1] = '\0';
}

void kuryr_owner_marker(char out[KURYR_OWNER_LEN], const char *kind, const char *name)
{
    snprintf(out, KURYR_OWNER_LEN, KURYR_OWNER_PREFIX "%s:%s", kind, name);
}

/* The name part of s when s is a marker of kind, else NULL. */
static const char *name_of(const char *s, const char *kind)
{
    size_t pl = strlen(KURYR_OWNER_PREFIX), kl = strlen(kind);
    if (!s || strncmp(s, KURYR_OWNER_PREFIX, pl) != 0 || strncmp(s + pl, kind, kl) != 0 || s[pl + kl] != ':')
        return NULL;
    return s + pl + kl + 1;
}

bool kuryr_owner_is(const char *s, const char *kind, const char *name)
{
    const char *n = name_of(s, kind);
    return n && name && strcmp(n, name) == 0;
}

bool kuryr_owner_is_kind(const char *s, const char *kind)
{
    const char *n = name_of(s, kind);
    return n && *n;
}

bool kuryr_owner_tagged(const kuryr_strv *tags, const char *kind, const char *name)
{
    for (size_t i = 0; tags && i < tags->n; i++) {
        if (kuryr_owner_is(tags->items[i], kind, name))
            return true;
    }
    return false;
}

size_t kuryr_owner_others(const kuryr_strv *tags, const char *kind, const char *name)
{
    size_t n = 0;
    for (size_t i = 0; tags && i < tags->n; i++)
        n += kuryr_owner_is_kind(tags->items[i], kind) && !kuryr_owner_is(tags->items[i], kind, name);
    return n;
}

bool kuryr_owner_any(const kuryr_strv *tags, const char *kind)
{
    for (size_t i = 0; tags && i < tags->n; i++) {
        if (kuryr_owner_is_kind(tags->items[i], kind))
            return true;
    }
    return false;
}
