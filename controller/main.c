/* kuryr-k8s-controller: watches the kube-apiserver and runs Kuryr's handlers (see controller.h). */
#include <stdio.h>

#include "controller.h"
#include "kuryr/daemon.h"

static void *start(const kuryr_config *cfg, kuryr_error *err)
{
    return kc_controller_start(cfg, err);
}

static void stop(void *ctl)
{
    kc_controller_stop(ctl);
}

static const char *describe(const void *ctl)
{
    static char line[160];
    snprintf(line, sizeof(line), "as %s", kc_controller_identity(ctl));
    return line;
}

int main(int argc, char **argv)
{
    return kuryr_daemon_main(argc, argv, "kuryr-k8s-controller",
                             "Kubernetes controller that gives pods, namespaces, policies and services Neutron "
                             "resources.",
                             start, stop, describe);
}
