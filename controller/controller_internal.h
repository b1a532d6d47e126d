/* The controller's state, shared by controller.c and metrics.c only. */
#ifndef KC_CONTROLLER_INTERNAL_H
#define KC_CONTROLLER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "controller.h"
#include "kuryr/health.h"
#include "kuryr/k8s_informer.h"
#include "kuryr/k8s_lease.h"
#include "kuryr/workqueue.h"

/* Upper bounds (seconds) of the handler latency histogram's buckets. */
#define KC_LATENCY_BUCKETS 8
extern const double kc_latency_bounds[KC_LATENCY_BUCKETS];

/* One enabled handler at run time. */
typedef struct {
    const kc_handler_def *def;
    void *state;
    kuryr_k8s_informer *inf;
    kc_controller *ctl;
    size_t index;
    /* metrics, under ctl->metrics_lock */
    unsigned long runs, failures;
    unsigned long latency_le[KC_LATENCY_BUCKETS]; /* cumulative: runs that took <= kc_latency_bounds[i] */
    double latency_sum;
} kc_running;

struct kc_controller {
    const kuryr_config *cfg;
    char identity[128];
    kuryr_k8s_client *client;
    kc_running *handlers;
    size_t nhandlers;
    kuryr_workqueue *queue;
    kuryr_k8s_lease *lease;  /* NULL without controller_ha */
    atomic_bool leading;
    atomic_ulong acquisitions;
    kuryr_health *health;
    pthread_mutex_t tomb_lock;
    json_t *tombstones;      /* queue key -> last state of a deleted object */
    pthread_mutex_t metrics_lock;
};

/* Records one handler run (metrics.c). */
void kc_metrics_handled(kc_running *h, double seconds, bool failed);

#endif
