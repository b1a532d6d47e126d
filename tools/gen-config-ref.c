/* Prints the config reference (Markdown) or, with --sample, the sample kuryr.conf, from the option table.
 *
 *   build/tools/gen-config-ref > docs/config-reference.md
 *   build/tools/gen-config-ref --sample > etc/kuryr.conf.sample */
#include "kuryr/config.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--sample") != 0)) {
        fprintf(stderr, "usage: %s [--sample]\n", argv[0]);
        return 2;
    }
    if (argc == 2)
        kuryr_config_dump_sample(stdout);
    else
        kuryr_config_dump_reference(stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
