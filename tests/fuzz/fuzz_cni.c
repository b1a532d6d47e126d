/* libFuzzer target: kuryr-cni's outside input. The first byte picks the CNI command (and whether the rest is
 * read as a network config or as a kuryr-daemon ADD answer); the rest is the JSON. Nothing is sent anywhere:
 * only the parsing and validation (cni_config_parse) and the result conversion (cni_result_convert) run. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fixed_env(const char *name, void *ud)
{
    (void)ud;
    static const char *const env[][2] = {{"CNI_CONTAINERID", "c0ffee"}, {"CNI_NETNS", "/run/netns/f"},
                                         {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/usr/lib/cni"}};
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        if (!strcmp(env[i][0], name))
            return env[i][1];
    return NULL;
}

static const char *command_env(const char *name, void *ud)
{
    return !strcmp(name, "CNI_COMMAND") ? ud : fixed_env(name, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    cni_error err = {0};
    if (data[0] & 0x80) {
        json_t *answer = json_loadb(text, len, 0, NULL);
        for (const char *const *v = cni_supported_versions; answer && *v; v++)
            json_decref(cni_result_convert(answer, *v, "/run/netns/f", "eth0", &err));
        json_decref(answer);
        return 0;
    }
    /* "kuryr_conf" names a file to read: not something to aim a fuzzer at (it could name /dev/zero). */
    json_t *probe = json_loadb(text, len, 0, NULL);
    bool names_file = json_object_get(probe, "kuryr_conf") != NULL;
    json_decref(probe);
    if (names_file)
        return 0;
    cni_request req = {0};
    char *cmd = (char *)cni_command_name((cni_command)(data[0] % CNI_N_COMMANDS));
    if (cni_env_parse(&req, command_env, cmd, &err) == 0 && req.command != CNI_VERSION &&
        cni_config_parse(&req, text, len, &err) < 0) {
        json_decref(cni_error_json(&err, req.version));
    }
    cni_request_clear(&req);
    return 0;
}
