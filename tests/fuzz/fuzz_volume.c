/* libFuzzer target: kuryr-volume's checks of Docker's request bodies (the volume name and the Create options),
 * the part of a request handled before Cinder is asked. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "kuryr/log.h"
#include "volume.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    static kuryr_config *cfg;
    if (!cfg)
        cfg = kuryr_config_new();
    kv_daemon d = {.cfg = cfg, .default_size = 1, .fstype = "ext4", .volume_from = "fuxi"};
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(req)) {
        (void)kv_name_valid(json_string_value(json_object_get(req, "Name")));
        kuryr_volume_spec spec = {0};
        const char *adopt, *fstype;
        kuryr_error err;
        (void)kv_parse_create_opts(&d, json_object_get(req, "Opts"), &spec, &adopt, &fstype, &err);
    }
    json_decref(req);
    return 0;
}
