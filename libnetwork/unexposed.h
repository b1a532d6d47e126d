/* The set of endpoints with no exposed-ports group (kl_unexposed_add/take are declared in plugin.h). */
#ifndef KL_UNEXPOSED_H
#define KL_UNEXPOSED_H

typedef struct kl_unexposed kl_unexposed;

/* NULL when out of memory. */
kl_unexposed *kl_unexposed_new(void);
void kl_unexposed_free(kl_unexposed *u);

#endif
