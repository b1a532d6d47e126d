/* Moves the whole test process into a network namespace of its own with lo up: tests that make real devices
 * (veth pairs) call it first in main, before any thread starts, so that a scripted server on 127.0.0.1 and the
 * devices live there too and nothing reaches the host's namespace. False without the privilege (skip). */
#ifndef KURYR_TEST_PRIVATE_NETNS_H
#define KURYR_TEST_PRIVATE_NETNS_H

#include <stdbool.h>

bool private_netns(void);

#endif
