/* The memory of RequestPool's decisions (kl_pool_info; the functions are declared in mapping.h). */
#ifndef KL_POOL_MEMORY_H
#define KL_POOL_MEMORY_H

typedef struct kl_pool_memory kl_pool_memory;

/* NULL when out of memory. */
kl_pool_memory *kl_pool_memory_new(void);
void kl_pool_memory_free(kl_pool_memory *m);

#endif
