/* Whose a kuryr object is (see ownership.h). */
#include "ownership.h"

#include <string.h>

#include "kuryr/owner.h"

const char *kc_other_owner(const kuryr_strv *tags, const char *bound_host, const char *this_host)
{
    if (bound_host && *bound_host)
        return strcmp(bound_host, this_host) != 0 ? bound_host : NULL;
    if (kuryr_owner_tagged(tags, KURYR_OWNER_HOST, this_host))
        return NULL;
    for (size_t i = 0; i < tags->n; i++) {
        if (kuryr_owner_is_kind(tags->items[i], KURYR_OWNER_HOST))
            return strchr(tags->items[i], ':') + 1;
    }
    return NULL;
}
