/* Shared by the fuzz targets: the fuzzer's bytes as a C string, for parsers that take one. */
#ifndef KURYR_FUZZ_INPUT_H
#define KURYR_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd NUL-terminated copy of data (an embedded NUL simply ends the string early), NULL when out of
 * memory. The caller frees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return NULL;
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
