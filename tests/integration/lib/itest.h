/* Shared fixture for the libkuryr integration tests against the real stack (scripts/stack up).
 *
 * The stack is found through KURYR_STACK_CONF (from `scripts/stack env`); without it the tests exit 77. Every
 * Neutron object a test makes is recorded and deleted in reverse order by itest_cleanup(), which the cmocka
 * teardown calls, so a failing assertion still leaves nothing behind. */
#ifndef KURYR_ITEST_H
#define KURYR_ITEST_H

#include <stdbool.h>

#include "kuryr/config.h"
#include "kuryr/keystone.h"
#include "kuryr/neutron.h"

#define ITEST_SKIP 77

typedef struct {
    kuryr_config *cfg;
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
    bool keystone;       /* false for a --noauth stack */
    const char *backend; /* "linuxbridge" or "ovn" */
} itest_env;

/* Returns ITEST_SKIP when the stack is not up, 0 when ready, -1 on a broken setup (message printed). */
int itest_open(itest_env *env);
void itest_close(itest_env *env);

/* Records a Neutron object for deletion. collection: "ports", "subnets", "networks", "subnetpools",
 * "security-groups", "security-group-rules", "trunks". */
void itest_track(const char *collection, const char *id);
/* Forgets an object the test deleted itself. */
void itest_untrack(const char *id);
/* Deletes every tracked object (and every tracked link), newest first; a missing one is fine. */
void itest_cleanup(itest_env *env);

/* Creates veth tap<port_id[:11]> (peer t_c...), plugs it the way kuryr's binding does for the backend, brings
 * it up, and records it for deletion. net_id names the brq bridge. Returns 0 or -1. */
int itest_plug_tap(itest_env *env, const char *port_id, const char *net_id, const char *mac);

/* Polls the port until its status is `status`; returns 0, or -1 after a generous bound (a broken stack must
 * fail rather than hang; this is not a performance assertion). */
int itest_wait_port_status(itest_env *env, const char *port_id, const char *status);

/* A name unique to this process and call, with the given prefix. Static buffer per call slot (8 slots). */
const char *itest_name(const char *prefix);

/* Runs a command line; returns its exit status. */
int itest_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
