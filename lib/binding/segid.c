/* Segmentation ids for trunk subports (the vlan driver). */
#include "binding_internal.h"

#include <pthread.h>
#include <string.h>

#define KB_SEGID_BITS ((KB_SEGID_MAX + 1 + 7) / 8)

int kb_segid_pick(const kuryr_trunk *trunk, const uint8_t *taken, unsigned start)
{
    uint8_t used[KB_SEGID_BITS];
    memset(used, 0, sizeof(used));
    for (size_t i = 0; trunk && i < trunk->n_sub_ports; i++) {
        int id = trunk->sub_ports[i].segmentation_id;
        if (id >= KB_SEGID_MIN && id <= KB_SEGID_MAX)
            kb_bit_set(used, id);
    }
    const int span = KB_SEGID_MAX - KB_SEGID_MIN + 1;
    for (int k = 0; k < span; k++) {
        int id = KB_SEGID_MIN + (int)((start + (unsigned)k) % (unsigned)span);
        if (!kb_bit_get(used, id) && !(taken && kb_bit_get(taken, id)))
            return id;
    }
    return -1;
}

/* Ids picked by binds still talking to Neutron: two threads reading the same trunk would otherwise pick
 * the same id and one would fail. */
static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t held[KB_SEGID_BITS];

int kb_segid_reserve(const kuryr_trunk *trunk, const uint8_t *taken, unsigned start)
{
    uint8_t skip[KB_SEGID_BITS];
    pthread_mutex_lock(&held_lock);
    for (size_t i = 0; i < sizeof(skip); i++)
        skip[i] = (uint8_t)(held[i] | (taken ? taken[i] : 0));
    int id = kb_segid_pick(trunk, skip, start);
    if (id > 0)
        kb_bit_set(held, id);
    pthread_mutex_unlock(&held_lock);
    return id;
}

void kb_segid_release(int id)
{
    if (id < KB_SEGID_MIN || id > KB_SEGID_MAX)
        return;
    pthread_mutex_lock(&held_lock);
    held[id / 8] &= (uint8_t)~(1u << (id % 8));
    pthread_mutex_unlock(&held_lock);
}
