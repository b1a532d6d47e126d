/* Interface names: see kuryr_ifname in include/kuryr/binding.h. */
#include "kuryr/binding.h"

#include <string.h>

/* Upstream's 14-character cut (prefix + id) leaves room below IFNAMSIZ and is what the agents and scripts
 * of an existing deployment already expect. */
#define KB_IFNAME_CUT 14

void kuryr_ifname(char out[KURYR_IFNAME_LEN], const char *prefix, const char *id)
{
    size_t n = 0;
    for (const char *s = prefix ? prefix : ""; *s && n < KB_IFNAME_CUT; s++)
        out[n++] = *s;
    for (const char *s = id ? id : ""; *s && n < KB_IFNAME_CUT; s++)
        out[n++] = *s;
    out[n] = '\0';
}
