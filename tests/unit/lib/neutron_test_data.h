/* Recorded Neutron answers for the neutron unit tests (tests/unit/lib/data/neutron/). */
#ifndef KURYR_NEUTRON_TEST_DATA_H
#define KURYR_NEUTRON_TEST_DATA_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static inline char *neutron_data_path(const char *name)
{
    const char *dir = getenv("KURYR_TEST_DATA");
    char *path = NULL;
    if (asprintf(&path, "%s/neutron/%s", dir ? dir : "data", name) < 0)
        abort();
    return path;
}

/* The whole file as a malloc'd string; aborts the test program when it is missing. */
static inline char *neutron_data_text(const char *name)
{
    char *path = neutron_data_path(name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing test data %s\n", path);
        abort();
    }
    free(path);
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

static inline json_t *neutron_data_json(const char *name)
{
    char *text = neutron_data_text(name);
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    if (!j) {
        fprintf(stderr, "bad test data %s: %s\n", name, jerr.text);
        abort();
    }
    free(text);
    return j;
}

#endif
