/* kuryr-daemon: plugs pods into their Neutron ports for kuryr-cni (see kd.h). */
#include "kd.h"
#include "kuryr/daemon.h"

static void *start(const kuryr_config *cfg, kuryr_error *err)
{
    return kd_start(cfg, err);
}

static void stop(void *d)
{
    kd_stop(d);
}

static const char *describe(const void *d)
{
    static char line[KD_NODE_MAX + 16];
    snprintf(line, sizeof(line), "for node %s", ((const kd_daemon *)d)->node);
    return line;
}

int main(int argc, char **argv)
{
    return kuryr_daemon_main(argc, argv, "kuryr-daemon",
                             "Kubernetes CNI daemon: plugs the pods of its node into the Neutron ports "
                             "kuryr-k8s-controller made.",
                             start, stop, describe);
}
