/* See handler_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler_fixture.h"

char *data(const char *name)
{
    const char *dir = getenv("KURYR_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "data", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing test data %s\n", path);
        abort();
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

/* A permanent (times 0) or counted answer with a body from data/. */
void answer(fixture *f, const char *method, const char *path, int status, const char *file, int times)
{
    char *body = file ? data(file) : NULL;
    test_httpd_script s = {.method = method, .path = path, .status = status, .body = body, .times = times};
    test_httpd_add(f->srv, &s);
    free(body);
}

void answer_text(fixture *f, const char *method, const char *path, int status, const char *body, int times)
{
    test_httpd_script s = {.method = method, .path = path, .status = status, .body = body, .times = times};
    test_httpd_add(f->srv, &s);
}

int setup(void **state)
{
    return pf_setup(state, NULL, 0);
}

json_t *call_ok(fixture *f, const char *uri, const char *body)
{
    int status;
    json_t *j = pf_call(f, uri, body, &status);
    if (status != 200) {
        char *s = json_dumps(j, 0);
        fail_msg("%s: status %d %s", uri, status, s);
    }
    return j;
}

void dump_requests(fixture *f)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        fprintf(stderr, "  #%zu %s %s %s\n", i, r->method, r->path, r->body);
    }
}

/* The n-th (from 0) received request with this method whose path starts with prefix. */
const test_httpd_request *nth(fixture *f, const char *method, const char *prefix, int n)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)) && n-- == 0)
            return r;
    }
    dump_requests(f);
    fail_msg("no request %s %s", method, prefix);
    return NULL;
}

size_t count(fixture *f, const char *method, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)))
            n++;
    }
    return n;
}

/* The recorded path is as the server decoded it, so filters appear unescaped. */
void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}
