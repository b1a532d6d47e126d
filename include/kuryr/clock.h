/* The monotonic clock, sleeping, and exponential backoff with jitter: one shared helper so that every loop
 * that waits and retries (HTTP retries, watch reconnects, Lease renewals, work-queue retries) behaves alike.
 *
 * The monotonic clock never jumps with NTP or an operator's `date`, so deadlines and expiry judged with it stay
 * right; wall-clock time is only for what is sent to other machines (timestamps in Kubernetes objects). */
#ifndef KURYR_CLOCK_H
#define KURYR_CLOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

/* Seconds on CLOCK_MONOTONIC (arbitrary origin; compare only with itself). */
double kuryr_mono_s(void);
/* Sleeps ms milliseconds, resuming after signals. */
void kuryr_sleep_ms(long ms);

/* A condition variable that times out on the monotonic clock, and the absolute time `secs` from now on that
 * clock, for pthread_cond_timedwait: a stop request wakes a sleeping loop at once, a clock step never does. */
int kuryr_cond_init_mono(pthread_cond_t *cond);
struct timespec kuryr_mono_deadline(double secs);

/* A uniformly random value in [lo, hi] (thread-safe, seeded per thread from the clock and the thread). */
double kuryr_rand_between(double lo, double hi);
/* base stretched by a random factor in [1, 1 + fraction]: spreads clients that would otherwise act in step
 * (every controller reconnecting at the same second after an apiserver restart). */
double kuryr_jitter(double base, double fraction);

/* Exponential backoff: first delay `initial_ms`, then doubling up to `max_ms`, each delay jittered down to a
 * random value in [delay/2, delay] ("equal jitter": never less than half, so a storm of clients spreads out
 * but no client hammers). reset() after a success starts again from initial_ms. */
typedef struct {
    long initial_ms, max_ms;
    long next_ms;  /* the un-jittered delay the next call starts from */
    int failures;  /* consecutive failures since the last reset */
} kuryr_backoff;

void kuryr_backoff_init(kuryr_backoff *b, long initial_ms, long max_ms);
/* The delay to wait after one more failure, in ms. */
long kuryr_backoff_next(kuryr_backoff *b);
void kuryr_backoff_reset(kuryr_backoff *b);

#endif
