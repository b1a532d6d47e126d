/* See k8s_fixture.h. */
#include "k8s_fixture.h"

#include <stddef.h>

int k8s_fixture_start(test_httpd **srv, kuryr_k8s_client **client)
{
    *client = NULL;
    *srv = test_httpd_start(false);
    if (!*srv)
        return -1;
    kuryr_k8s_config cfg = {.server = (char *)test_httpd_url(*srv)};
    kuryr_error err = {0};
    *client = kuryr_k8s_client_new(&cfg, NULL, &err);
    if (*client)
        return 0;
    test_httpd_stop(*srv);
    *srv = NULL;
    return -1;
}

void k8s_fixture_stop(test_httpd *srv, kuryr_k8s_client *client)
{
    kuryr_k8s_client_free(client);
    test_httpd_stop(srv);
}
