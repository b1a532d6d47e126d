/* The periodic reconciliation (see reconcile.h): one thread that sleeps on the monotonic clock between passes,
 * so that orphans a crash left go without an operator, and that stops at once when asked. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"
#include "reconcile.h"

struct kl_reconciler {
    kl_plugin *p;
    long interval_s;
    pthread_mutex_t lock;  /* guards stopping and passes */
    pthread_cond_t wake;
    bool stopping;
    unsigned long passes;
    pthread_t thread;
};

static void one_pass(kl_reconciler *r)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    json_t *report = NULL;
    if (kuryr_reconcile(r->p, false, &report, &err) < 0) {
        KLOG_WARN("periodic reconciliation skipped: %s", err.message);
        return;
    }
    size_t n = kl_reconcile_report_count(report);
    if (n)
        KLOG_INFO("periodic reconciliation removed %zu orphan(s)", n);
    json_decref(report);
}

static void *loop(void *arg)
{
    kl_reconciler *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        struct timespec until = kuryr_mono_deadline((double)r->interval_s);
        while (!r->stopping && pthread_cond_timedwait(&r->wake, &r->lock, &until) == 0) {
        }
        if (r->stopping)
            break;
        pthread_mutex_unlock(&r->lock);
        one_pass(r);
        pthread_mutex_lock(&r->lock);
        r->passes++;
        pthread_cond_broadcast(&r->wake);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

kl_reconciler *kl_reconciler_start(kl_plugin *p)
{
    long interval = kuryr_config_get_int(p->cfg, "DEFAULT", "reconcile_interval");
    if (interval <= 0)
        return NULL;
    kl_reconciler *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->p = p;
    r->interval_s = interval;
    pthread_mutex_init(&r->lock, NULL);
    kuryr_cond_init_mono(&r->wake);
    if (pthread_create(&r->thread, NULL, loop, r) != 0) {
        KLOG_WARN("cannot start the periodic reconciliation thread");
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r);
        return NULL;
    }
    KLOG_INFO("reconciling every %ld s", interval);
    return r;
}

unsigned long kl_reconciler_wait_passes(kl_reconciler *r, unsigned long n)
{
    pthread_mutex_lock(&r->lock);
    while (r->passes < n && !r->stopping)
        pthread_cond_wait(&r->wake, &r->lock);
    unsigned long got = r->passes;
    pthread_mutex_unlock(&r->lock);
    return got;
}

void kl_reconciler_stop(kl_reconciler *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = true;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}
