/* Ports handed from one handler to the next (see mapping.h, kl_fresh_*): a module of its own, with its own
 * lock. */
#include "fresh_ports.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mapping.h"

struct kl_fresh_ports {
    pthread_mutex_t lock; /* guards ports */
    json_t *ports;        /* key -> port as Neutron last answered it */
};

kl_fresh_ports *kl_fresh_ports_new(void)
{
    kl_fresh_ports *f = calloc(1, sizeof(*f));
    if (f && !(f->ports = json_object())) {
        free(f);
        return NULL;
    }
    if (f)
        pthread_mutex_init(&f->lock, NULL);
    return f;
}

void kl_fresh_ports_free(kl_fresh_ports *f)
{
    if (!f)
        return;
    json_decref(f->ports);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

/* ---- ports handed from one handler to the next ------------------------------------------------------- */

void kl_fresh_key_addr(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *ip)
{
    snprintf(key, KL_FRESH_KEY_LEN, "addr %s %s", net_id, ip);
}

void kl_fresh_key_mac(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *mac)
{
    int n = snprintf(key, KL_FRESH_KEY_LEN, "mac %s ", net_id);
    for (size_t i = 0; n > 0 && (size_t)n + i + 1 < KL_FRESH_KEY_LEN && mac[i]; i++) {
        key[n + i] = (char)tolower((unsigned char)mac[i]);
        key[n + i + 1] = '\0';
    }
}

void kl_fresh_key_ep(char key[KL_FRESH_KEY_LEN], const char *endpoint_id)
{
    snprintf(key, KL_FRESH_KEY_LEN, "ep %s", endpoint_id);
}

void kl_fresh_port_put(kl_plugin *p, const char *key, const kuryr_port *port, const char *const *tags,
                       size_t n_tags)
{
    kl_fresh_ports *f = p->fresh;
    if (!port || !port->raw)
        return;
    json_t *copy = json_deep_copy(port->raw);
    if (!copy)
        return;
    if (tags) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n_tags; i++)
            json_array_append_new(arr, json_string(tags[i]));
        json_object_set_new(copy, "tags", arr);
    }
    pthread_mutex_lock(&f->lock);
    if (json_object_size(f->ports) >= KL_FRESH_PORTS_MAX)
        json_object_clear(f->ports); /* handlers that never came: a lookup each is the only cost */
    json_object_set_new(f->ports, key, copy);
    pthread_mutex_unlock(&f->lock);
}

kuryr_port *kl_fresh_port_take(kl_plugin *p, const char *key, const char *net_id)
{
    kl_fresh_ports *f = p->fresh;
    pthread_mutex_lock(&f->lock);
    json_t *raw = json_incref(json_object_get(f->ports, key));
    if (raw)
        json_object_del(f->ports, key);
    pthread_mutex_unlock(&f->lock);
    if (!raw)
        return NULL;
    kuryr_error ignored;
    kuryr_port *port = kuryr_port_from_json(raw, &ignored);
    json_decref(raw);
    if (port && net_id && (!port->network_id || strcmp(port->network_id, net_id) != 0)) {
        kuryr_port_free(port);
        port = NULL;
    }
    return port;
}

void kl_fresh_port_drop(kl_plugin *p, const char *key)
{
    kl_fresh_ports *f = p->fresh;
    pthread_mutex_lock(&f->lock);
    json_object_del(f->ports, key);
    pthread_mutex_unlock(&f->lock);
}

void kl_fresh_port_drop_id(kl_plugin *p, const char *port_id)
{
    kl_fresh_ports *f = p->fresh;
    pthread_mutex_lock(&f->lock);
    const char *key;
    json_t *v, *tmp;
    json_object_foreach_safe(f->ports, tmp, key, v) {
        const char *id = json_string_value(json_object_get(v, "id"));
        if (id && strcmp(id, port_id) == 0)
            json_object_del(f->ports, key);
    }
    pthread_mutex_unlock(&f->lock);
}

