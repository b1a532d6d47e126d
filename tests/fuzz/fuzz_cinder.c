/* libFuzzer target: the parsers of Cinder's answers (volume, volume list, attachment, attachment list, errors). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kuryr/cinder.h"
#include "kuryr/log.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    char *body = fuzz_cstr(data, size);
    if (!body)
        return 0;
    kuryr_error err;
    kuryr_volume v;
    if (kuryr_cinder_parse_volume(body, &v, &err) == 0)
        kuryr_volume_clear(&v);
    kuryr_volume *vs;
    size_t n;
    if (kuryr_cinder_parse_volumes(body, &vs, &n, &err) == 0)
        kuryr_volumes_free(vs, n);
    kuryr_attachment a;
    if (kuryr_cinder_parse_attachment(body, &a, &err) == 0)
        kuryr_attachment_clear(&a);
    kuryr_attachment *as;
    if (kuryr_cinder_parse_attachments(body, &as, &n, &err) == 0)
        kuryr_attachments_free(as, n);
    kuryr_cinder_error(400 + (long)(size % 200), body, "fuzz", &err);
    free(body);
    return 0;
}
