/* kuryr-volume's set-up: Keystone with [neutron]'s credentials (the same service user as kuryr-libnetwork),
 * the volumev3 endpoint, Docker's API, and the options Fuxi users already have. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/log.h"
#include "volume.h"

static const char *opt_or_null(const kuryr_config *cfg, const char *section, const char *name)
{
    const char *v = kuryr_config_get_str(cfg, section, name);
    return *v ? v : NULL;
}

int kv_daemon_init(kv_daemon *d, const kuryr_config *cfg, kuryr_error *err)
{
    memset(d, 0, sizeof(*d));
    d->cfg = cfg;
    d->volume_dir = kuryr_config_get_str(cfg, "DEFAULT", "volume_dir");
    d->volume_from = kuryr_config_get_str(cfg, "DEFAULT", "volume_from");
    d->state_dir = kuryr_config_get_str(cfg, "DEFAULT", "volume_state_dir");
    d->my_ip = kuryr_config_get_str(cfg, "DEFAULT", "my_ip");
    d->fstype = kuryr_config_get_str(cfg, "cinder", "fstype");
    d->default_size = kuryr_config_get_int(cfg, "DEFAULT", "default_volume_size");
    if (!*d->volume_dir || *d->volume_dir != '/' || !*d->state_dir || *d->state_dir != '/')
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "volume_dir and volume_state_dir must be absolute");
    if (!*d->volume_from)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "volume_from must not be empty");
    if (d->default_size < 1)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "default_volume_size must be at least 1");
    if (gethostname(d->host, sizeof(d->host)) < 0 || !d->host[0])
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot tell this host's name");

    kuryr_auth_opts ao;
    if (kuryr_auth_opts_from_config(cfg, &ao, err) < 0)
        return -1;
    /* the credentials are [neutron]'s; the endpoint is Cinder's */
    ao.service_type = "volumev3";
    ao.interface = kuryr_config_get_str(cfg, "cinder", "endpoint_type");
    ao.endpoint_override = opt_or_null(cfg, "cinder", "endpoint_override");
    if (ao.type == KURYR_AUTH_NONE && !ao.endpoint_override)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[cinder] endpoint_override is needed without Keystone");
    kuryr_http_opts ho;
    kuryr_http_opts_from_config(cfg, &ho);
    kuryr_http_opts dockero = {.unix_socket = NULL, .max_retries = -1};
    const char *docker_host = kuryr_config_get_str(cfg, "DEFAULT", "docker_host");
    if (!strncmp(docker_host, "unix://", 7))
        dockero.unix_socket = docker_host + 7;
    d->http = kuryr_http_new(&ho);
    d->docker = kuryr_http_new(&dockero);
    d->auth = d->http ? kuryr_auth_new(d->http, &ao) : NULL;
    d->cinder = d->auth ? kuryr_cinder_new(d->auth) : NULL;
    if (!d->cinder || !d->docker || pthread_mutex_init(&d->lock, NULL) != 0) {
        kv_daemon_fini(d);
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    }
    return 0;
}

void kv_daemon_fini(kv_daemon *d)
{
    if (d->cinder)
        pthread_mutex_destroy(&d->lock);
    kuryr_cinder_free(d->cinder);
    kuryr_auth_free(d->auth);
    kuryr_http_free(d->http);
    kuryr_http_free(d->docker);
    memset(d, 0, sizeof(*d));
}
