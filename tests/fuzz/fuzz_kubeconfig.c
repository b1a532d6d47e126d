/* libFuzzer target: kubeconfig files (YAML), with the current context and with a named one, and the base64 of
 * their *-data fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "k8s_internal.h"
#include "kuryr/k8s_config.h"
#include "kuryr/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    kuryr_k8s_config cfg;
    kuryr_error err;
    const char *contexts[] = {NULL, "rig"};
    for (size_t i = 0; i < 2; i++) {
        if (kuryr_k8s_config_parse((const char *)data, size, contexts[i], "/base", &cfg, &err) == 0)
            kuryr_k8s_config_clear(&cfg);
    }
    size_t n;
    free(k8s_base64_decode((const char *)data, size, &n));
    return 0;
}
