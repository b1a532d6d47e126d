/* A scripted server (tests/unit/support/test_httpd.h) and a Kubernetes client aimed at it, for the lib/k8s
 * tests: k8s_fixture_start() in a setup, k8s_fixture_stop() in the teardown. */
#ifndef KURYR_TEST_K8S_FIXTURE_H
#define KURYR_TEST_K8S_FIXTURE_H

#include "kuryr/k8s_client.h"
#include "test_httpd.h"

/* 0 with both set, -1 (nothing left running) when either could not be made. */
int k8s_fixture_start(test_httpd **srv, kuryr_k8s_client **client);
/* Either may be NULL. */
void k8s_fixture_stop(test_httpd *srv, kuryr_k8s_client *client);

#endif
