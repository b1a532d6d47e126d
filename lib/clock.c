/* Monotonic clock, sleeping, jitter and backoff: see include/kuryr/clock.h. */
#include "kuryr/clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

double kuryr_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kuryr_sleep_ms(long ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int kuryr_cond_init_mono(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    int rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 && pthread_cond_init(cond, &attr) == 0 ? 0 : -1;
    pthread_condattr_destroy(&attr);
    return rc;
}

struct timespec kuryr_mono_deadline(double secs)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (secs < 0)
        secs = 0;
    long whole = (long)secs;
    ts.tv_sec += whole;
    ts.tv_nsec += (long)((secs - (double)whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* xorshift64*: jitter needs spread, not secrecy, and a per-thread state needs no lock. */
static _Thread_local uint64_t rand_state;

static uint64_t next_random(void)
{
    if (rand_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rand_state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&rand_state ^
                     ((uint64_t)pthread_self() << 7) ^ 0x9E3779B97F4A7C15ULL;
    }
    rand_state ^= rand_state >> 12;
    rand_state ^= rand_state << 25;
    rand_state ^= rand_state >> 27;
    return rand_state * 0x2545F4914F6CDD1DULL;
}

double kuryr_rand_between(double lo, double hi)
{
    double unit = (double)(next_random() >> 11) / (double)(1ULL << 53); /* [0, 1) */
    return lo + (hi - lo) * unit;
}

double kuryr_jitter(double base, double fraction)
{
    return base * kuryr_rand_between(1.0, 1.0 + fraction);
}

void kuryr_backoff_init(kuryr_backoff *b, long initial_ms, long max_ms)
{
    b->initial_ms = initial_ms > 0 ? initial_ms : 1;
    b->max_ms = max_ms >= b->initial_ms ? max_ms : b->initial_ms;
    kuryr_backoff_reset(b);
}

void kuryr_backoff_reset(kuryr_backoff *b)
{
    b->next_ms = b->initial_ms;
    b->failures = 0;
}

long kuryr_backoff_next(kuryr_backoff *b)
{
    long delay = b->next_ms;
    b->next_ms = delay > b->max_ms / 2 ? b->max_ms : delay * 2;
    b->failures++;
    return (long)kuryr_rand_between((double)delay / 2.0, (double)delay);
}
