/* Growable arrays (see kuryr/grow.h). */
#include "kuryr/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *kuryr_grow(void *items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return items;
    size_t want = *cap ? *cap * 2 : 16;
    if (size == 0 || want > SIZE_MAX / size)
        return NULL;
    void *v = realloc(items, want * size);
    if (v)
        *cap = want;
    return v;
}
