/* Room for one more entry in a growable array (caches, pools, queues of the daemons). */
#ifndef KURYR_GROW_H
#define KURYR_GROW_H

#include <stddef.h>

/* items holds n entries of size bytes in *cap slots. Returns an array with room for one more: items itself
 * while n < *cap, else a reallocation twice as large (16 slots at first; *cap is updated). Returns NULL when
 * out of memory, leaving items and *cap valid and unchanged: callers drop the one entry, never the array. */
void *kuryr_grow(void *items, size_t n, size_t *cap, size_t size);

#endif
