/* Prints a KuryrPort's status.vifs as the controller writes it, through the shared codec (kuryr/k8s_vif.h),
 * for test_daemon.sh, which plays the controller's part:
 *     vif_json PORT_ID MAC NETWORK_ID MTU ADDRESS CIDR GATEWAY PLUGIN BRIDGE ACTIVE(0|1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/k8s_vif.h"

#define SET(field, value) snprintf(field, sizeof(field), "%s", value)

int main(int argc, char **argv)
{
    if (argc != 11) {
        fprintf(stderr, "usage: vif_json PORT_ID MAC NETWORK_ID MTU ADDRESS CIDR GATEWAY PLUGIN BRIDGE ACTIVE\n");
        return 2;
    }
    kuryr_k8s_vif v;
    memset(&v, 0, sizeof(v));
    SET(v.port_id, argv[1]);
    SET(v.mac, argv[2]);
    SET(v.network_id, argv[3]);
    v.mtu = (unsigned)atoi(argv[4]);
    v.n_ips = 1;
    SET(v.ips[0].address, argv[5]);
    SET(v.ips[0].cidr, argv[6]);
    SET(v.ips[0].gateway, argv[7]);
    SET(v.plugin, argv[8]);
    SET(v.bridge_name, argv[9]);
    snprintf(v.vif_name, sizeof(v.vif_name), "tap%.11s", v.port_id);
    v.active = !strcmp(argv[10], "1");
    json_t *vif = kuryr_k8s_vif_to_json(&v);
    json_t *out = vif ? json_pack("{s:{s:{s:b,s:o}}}", "vifs", "eth0", "default", 1, "vif", vif) : NULL;
    char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
    if (!s)
        return 1;
    puts(s);
    free(s);
    json_decref(out);
    return 0;
}
