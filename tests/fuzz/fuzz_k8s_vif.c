/* libFuzzer target: the KuryrPort VIF codec (kuryr/k8s_vif.h) on JSON from a KuryrPort's status, which anyone
 * allowed to write KuryrPorts controls. Whatever it accepts must write back into a primitive it accepts again. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kuryr/k8s_vif.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reread(const kuryr_k8s_vif *vif)
{
    json_t *j = kuryr_k8s_vif_to_json(vif);
    kuryr_k8s_vif again;
    kuryr_error err;
    if (!j || kuryr_k8s_vif_from_json(j, &again, &err) != 0)
        abort();
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!j)
        return 0;
    kuryr_k8s_vif vif;
    kuryr_error err;
    if (kuryr_k8s_vif_from_json(j, &vif, &err) == 0)
        reread(&vif);
    if (kuryr_k8s_kuryrport_vif(j, "eth0", &vif, &err) == 1)
        reread(&vif);
    if (kuryr_k8s_kuryrport_vif(j, NULL, &vif, &err) == 1)
        reread(&vif);
    json_decref(j);
    return 0;
}
