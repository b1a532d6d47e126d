/* Fault points (see kuryr/fault.h). Only compiled into test builds. */
#include "kuryr/fault.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kuryr/log.h"

static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

void kuryr_fault_point(const char *name)
{
    const char *want = getenv("KURYR_FAULT");
    if (!want || !*want || !listed(want, name))
        return;
    /* the log line lets a test tell the planned crash from a real one */
    KLOG_WARN("fault point %s reached: killing the process", name);
    kill(getpid(), SIGKILL);
    _exit(137); /* not reached: SIGKILL cannot be caught */
}
