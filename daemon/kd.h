/* kuryr-daemon's state, shared by its files. One daemon per node: it watches the node's KuryrPorts and pods,
 * and serves kuryr-cni's requests (request.h) by plugging the VIFs the controller wrote into pods' network
 * namespaces with libkuryr's binding. */
#ifndef KD_H
#define KD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "kuryr/binding.h"
#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/health.h"
#include "kuryr/k8s_informer.h"
#include "kuryr/k8s_vif.h"
#include "kuryr/node_port.h"
#include "kuryr/plugin_server.h"
#include "record.h"
#include "request.h"

#define KD_LATENCY_BUCKETS 9
#define KD_VERBS 5

typedef struct kd_podlock kd_podlock;
typedef struct kd_node_port kd_node_port;

typedef struct {
    unsigned long count, failures;
    unsigned long le[KD_LATENCY_BUCKETS];
    double sum;
} kd_verb_stats;

typedef struct {
    const kuryr_config *cfg;
    char node[KD_NODE_MAX + 1];
    kuryr_binding_cfg bcfg;
    unsigned vif_timeout_s;
    kuryr_k8s_client *client;
    kuryr_k8s_informer *ports, *pods;
    kuryr_plugin_server *unix_srv, *tcp_srv;
    kuryr_health *health;
    kd_node_port *node_port; /* NULL without [cni_daemon] node_port */
    /* Informer changes and shutdown wake waiters through changed (CLOCK_MONOTONIC). */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stopping;
    kd_podlock *podlocks; /* under lock */
    /* ADD/DEL/CHECK hold it shared, GC exclusive: GC never judges an attachment an ADD is making. */
    pthread_rwlock_t gc_lock;
    pthread_mutex_t metrics_lock;
    kd_verb_stats stats[KD_VERBS];
} kd_daemon;

/* daemon.c */
kd_daemon *kd_start(const kuryr_config *cfg, kuryr_error *err);
void kd_stop(kd_daemon *d);
/* The node name: [cni_daemon] node_name, $KUBERNETES_NODE_NAME, [DEFAULT] host, the lowercased host name. */
void kd_node_name(const kuryr_config *cfg, char out[KD_NODE_MAX + 1]);
/* Waits until an informer reports a change, the daemon stops, or the monotonic deadline passes. */
void kd_wait_change(kd_daemon *d, double deadline);
bool kd_stopping(kd_daemon *d);
/* Serialises requests about one pod (its namespace/name). */
kd_podlock *kd_pod_lock(kd_daemon *d, const char *key);
void kd_pod_unlock(kd_daemon *d, kd_podlock *l);

/* server.c: one request, answered with status and a malloc'd body. */
void kd_serve(void *ctx, const char *method, const char *url, const char *body, size_t len, int *status,
              char **reply);

/* add.c, del.c, check.c: 0 with *reply set (NULL = no body), or -1 with fail. */
int kd_add(kd_daemon *d, const kd_request *r, char **reply, kd_fail *fail);
int kd_del(kd_daemon *d, const kd_request *r, kd_fail *fail);
int kd_gc(kd_daemon *d, const kd_request *r, kd_fail *fail);
int kd_check(kd_daemon *d, const kd_request *r, kd_fail *fail);

/* attach.c: plugging through libkuryr's binding, recorded in the host link's ifalias. */
int kd_plug(kd_daemon *d, const kd_request *r, const kuryr_k8s_vif *vif, const char *pod_uid, kd_fail *fail);
/* The record a plug of vif for r writes; -1 with fail for a VIF plugin this daemon cannot plug. */
int kd_record_of(const kd_request *r, const kuryr_k8s_vif *vif, kd_record *rec, kd_fail *fail);
int kd_unplug(kd_daemon *d, const kd_record *rec, const char *netns, kd_fail *fail);
/* This node's attachment records (a malloc'd array). */
int kd_records(kd_daemon *d, kd_record **out, size_t *n, kd_fail *fail);

/* node_port.c: the node's own port into the pod network, made (or reused) at start, removed at stop. */
int kd_node_port_start(kd_daemon *d, kuryr_error *err);
void kd_node_port_stop(kd_daemon *d);

/* metrics.c */
void kd_metrics_note(kd_daemon *d, kd_verb verb, double seconds, bool failed);
int kd_metrics(void *ud, FILE *out);

#endif
