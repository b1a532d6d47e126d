/* kuryr-cni: the CNI plugin kubelet's runtime executes per pod; it hands the work to kuryr-daemon. */
#include <stdlib.h>
#include <string.h>

#include "cni.h"
#include "kuryr/log.h"

static const char *from_environ(const char *name, void *ud)
{
    (void)ud;
    return getenv(name);
}

/* Reads all of stdin, bounded: a network config is a few hundred bytes, a huge one is a broken runtime. */
static char *read_stdin(size_t *len, bool *too_big)
{
    size_t cap = 4096, n = 0, got;
    char *buf = malloc(cap);
    while (buf && (got = fread(buf + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= CNI_MAX_STDIN) {
                *too_big = true;
                break;
            }
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "kuryr-cni %s: a CNI plugin, run by the container runtime with CNI_* variables and the "
                        "network config on stdin (spec 0.3.0 to 1.1.0)\n", KURYR_VERSION);
        return 2;
    }
    /* The runtime shows stderr only when something failed; the JSON on stdout carries the error itself. */
    kuryr_log_init("kuryr-cni", KURYR_LOG_ERROR, false);
    size_t len = 0;
    bool too_big = false;
    char *buf = read_stdin(&len, &too_big);
    int status;
    if (!buf || too_big || ferror(stdin)) {
        cni_error err;
        cni_error_set(&err, CNI_ERR_IO, "cannot read the network config from stdin",
                      too_big ? "more than %d bytes" : "read error", CNI_MAX_STDIN);
        json_t *doc = cni_error_json(&err, NULL);
        json_dumpf(doc, stdout, JSON_COMPACT);
        fputc('\n', stdout);
        json_decref(doc);
        status = 1;
    } else {
        status = cni_run(from_environ, NULL, buf, len, stdout);
    }
    free(buf);
    return fflush(stdout) == 0 ? status : 1;
}
