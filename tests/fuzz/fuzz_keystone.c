/* libFuzzer target: the Keystone token response parser (expiry, project, catalog lookup). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kuryr/keystone.h"
#include "kuryr/log.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    char *body = fuzz_cstr(data, size);
    if (!body)
        return 0;
    static const char *const ifaces[] = {"public", "internal", "admin"};
    kuryr_token_info info = {0};
    kuryr_error err;
    if (kuryr_keystone_parse_token(body, "network", ifaces[size % 3], size % 2 ? "RegionOne" : NULL, &info, &err) == 0)
        kuryr_token_info_clear(&info);
    free(body);
    return 0;
}
