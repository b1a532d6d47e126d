/* Output of every kuryrctl command: rows as JSON objects, printed either as an aligned text table or as JSON.
 * Building rows as JSON first means the two formats cannot disagree. */
#ifndef KC_RENDER_H
#define KC_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct {
    const char *key;     /* the JSON member */
    const char *header;  /* the text column title */
} kc_column;

/* rows: an array of objects. Text: one header line, then one line per row, columns padded to the widest cell;
 * a missing or null member prints "-", booleans "yes"/"no", numbers as numbers. JSON: the array itself,
 * indented, so that `kuryrctl networks --json | jq` works. */
void kc_render(FILE *out, json_t *rows, const kc_column *cols, size_t ncols, bool json);
/* A cell's text as kc_render prints it, malloc'd. */
char *kc_cell_text(json_t *v);

#endif
