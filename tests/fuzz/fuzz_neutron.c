/* libFuzzer target: the Neutron response parsers. The input is a response body; it goes through the error
 * mapper and, when it is JSON, through every object parser (the envelope's value and the object itself). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "kuryr/log.h"
#include "kuryr/neutron.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TRY(parse, freefn, obj)                                                                                  \
    do {                                                                                                       \
        kuryr_error e;                                                                                          \
        freefn(parse(obj, &e));                                                                                \
    } while (0)

static void parse_all(json_t *o)
{
    TRY(kuryr_network_from_json, kuryr_network_free, o);
    TRY(kuryr_subnet_from_json, kuryr_subnet_free, o);
    TRY(kuryr_subnetpool_from_json, kuryr_subnetpool_free, o);
    TRY(kuryr_port_from_json, kuryr_port_free, o);
    TRY(kuryr_security_group_from_json, kuryr_security_group_free, o);
    TRY(kuryr_sg_rule_from_json, kuryr_sg_rule_free, o);
    TRY(kuryr_trunk_from_json, kuryr_trunk_free, o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    char *body = fuzz_cstr(data, size);
    if (!body)
        return 0;
    kuryr_error err;
    kuryr_neutron_error_from_response(size ? 400 + data[0] % 200 : 500, body, &err);
    json_t *root = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (root) {
        parse_all(root);
        const char *key;
        json_t *v, *item;
        size_t i;
        json_object_foreach(root, key, v) {
            parse_all(v);
            json_array_foreach(v, i, item)
                parse_all(item);
        }
        json_decref(root);
    }
    free(body);
    return 0;
}
