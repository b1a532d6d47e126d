/* libFuzzer target: the INI config parser and option validation (kuryr_config_load_file). The input is the
 * file's content, handed over through a memfd so that no file is written per run. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kuryr/config.h"
#include "kuryr/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    if (fd < 0) {
        kuryr_log_set_level(KURYR_LOG_ERROR);
        fd = memfd_create("fuzz-config", 0);
        if (fd < 0)
            return 0;
    }
    if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        return 0;
    char path[64], msg[512];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    kuryr_config *cfg = kuryr_config_new();
    if (kuryr_config_load_file(cfg, path, msg, sizeof(msg)) == 0) {
        /* read every option back, as the daemon would */
        for (size_t i = 0; i < kuryr_options_count; i++) {
            const kuryr_opt_def *o = &kuryr_options[i];
            switch (o->type) {
            case KURYR_OPT_STR: (void)kuryr_config_get_str(cfg, o->section, o->name); break;
            case KURYR_OPT_BOOL: (void)kuryr_config_get_bool(cfg, o->section, o->name); break;
            case KURYR_OPT_INT: (void)kuryr_config_get_int(cfg, o->section, o->name); break;
            case KURYR_OPT_LIST: (void)kuryr_config_get_list(cfg, o->section, o->name); break;
            }
        }
    }
    kuryr_config_free(cfg);
    return 0;
}
