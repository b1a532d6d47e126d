/* The store of ports handed from one handler to the next (the functions are declared in mapping.h). */
#ifndef KL_FRESH_PORTS_H
#define KL_FRESH_PORTS_H

typedef struct kl_fresh_ports kl_fresh_ports;

/* NULL when out of memory. */
kl_fresh_ports *kl_fresh_ports_new(void);
void kl_fresh_ports_free(kl_fresh_ports *f);

#endif
