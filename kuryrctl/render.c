/* Table and JSON rendering (see render.h). */
#include "render.h"

#include <stdlib.h>
#include <string.h>

char *kc_cell_text(json_t *v)
{
    char *s = NULL;
    if (!v || json_is_null(v))
        return strdup("-");
    if (json_is_string(v))
        return strdup(json_string_value(v)[0] ? json_string_value(v) : "-");
    if (json_is_boolean(v))
        return strdup(json_is_true(v) ? "yes" : "no");
    if (json_is_integer(v)) {
        if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0)
            return NULL;
        return s;
    }
    if (json_is_array(v)) {
        /* lists of strings (extensions, tags) print comma-separated */
        size_t len = 0, i;
        json_t *it;
        json_array_foreach(v, i, it) len += (json_is_string(it) ? strlen(json_string_value(it)) : 0) + 1;
        s = calloc(1, len + 2);
        if (!s)
            return NULL;
        json_array_foreach(v, i, it) {
            if (!json_is_string(it))
                continue;
            if (*s)
                strcat(s, ",");
            strcat(s, json_string_value(it));
        }
        if (!*s)
            strcpy(s, "-");
        return s;
    }
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The last column is not padded, so that lines carry no trailing blanks. */
static void print_cell(FILE *out, const char *text, size_t width, bool last)
{
    if (last)
        fprintf(out, "%s\n", text);
    else
        fprintf(out, "%-*s  ", (int)width, text);
}

void kc_render(FILE *out, json_t *rows, const kc_column *cols, size_t ncols, bool json)
{
    if (json) {
        json_dumpf(rows, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', out);
        return;
    }
    size_t nrows = json_array_size(rows);
    size_t *width = calloc(ncols, sizeof(*width));
    char **cells = calloc(nrows * ncols + 1, sizeof(*cells));
    if (!width || !cells) {
        free(width);
        free(cells);
        return;
    }
    for (size_t c = 0; c < ncols; c++)
        width[c] = strlen(cols[c].header);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            char *t = kc_cell_text(json_object_get(json_array_get(rows, r), cols[c].key));
            cells[r * ncols + c] = t;
            if (t && strlen(t) > width[c])
                width[c] = strlen(t);
        }
    }
    for (size_t c = 0; c < ncols; c++)
        print_cell(out, cols[c].header, width[c], c + 1 == ncols);
    for (size_t r = 0; r < nrows; r++) {
        for (size_t c = 0; c < ncols; c++) {
            const char *t = cells[r * ncols + c] ? cells[r * ncols + c] : "?";
            print_cell(out, t, width[c], c + 1 == ncols);
        }
    }
    for (size_t i = 0; i < nrows * ncols; i++)
        free(cells[i]);
    free(cells);
    free(width);
}
