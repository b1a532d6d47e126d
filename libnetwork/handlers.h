/* One function per plugin protocol method (see router.h for the calling convention). */
#ifndef KL_HANDLERS_H
#define KL_HANDLERS_H

#include "router.h"

#define KL_HANDLER(name) int name(kl_plugin *p, json_t *req, json_t **resp, kuryr_error *err)

/* discovery.c: handshake, capabilities, discovery */
KL_HANDLER(kl_h_activate);
KL_HANDLER(kl_h_net_capabilities);
KL_HANDLER(kl_h_discover);
KL_HANDLER(kl_h_ipam_capabilities);
KL_HANDLER(kl_h_ipam_address_spaces);
/* network.c */
KL_HANDLER(kl_h_create_network);
KL_HANDLER(kl_h_delete_network);
KL_HANDLER(kl_h_allocate_network);
KL_HANDLER(kl_h_free_network);
/* ipam_pool.c */
KL_HANDLER(kl_h_request_pool);
KL_HANDLER(kl_h_release_pool);
/* ipam.c */
KL_HANDLER(kl_h_request_address);
KL_HANDLER(kl_h_release_address);
/* endpoint.c */
KL_HANDLER(kl_h_create_endpoint);
KL_HANDLER(kl_h_endpoint_oper_info);
KL_HANDLER(kl_h_delete_endpoint);
KL_HANDLER(kl_h_join);
KL_HANDLER(kl_h_leave);
/* exposed.c */
KL_HANDLER(kl_h_program_external);
KL_HANDLER(kl_h_revoke_external);

#endif
