/* The generated files in the tree must match what the option table prints today, so the documentation and
 * the sample config cannot drift from the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kuryr/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    char buf[4096];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    if (m)
        fclose(m);
    return text;
}

static char *generate(void (*fn)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    assert_non_null(m);
    fn(m);
    fclose(m);
    return text;
}

static void check_in_sync(const char *relpath, void (*fn)(FILE *), const char *how)
{
    const char *root = getenv("KURYR_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", root ? root : ".", relpath);
    char *want = generate(fn);
    char *have = read_all(path);
    bool same = have && strcmp(want, have) == 0;
    free(want);
    free(have);
    if (!same)
        fail_msg("%s is missing or out of date with lib/options.c; regenerate it from the source root with:\n"
                 "  ninja -C <builddir> tools/gen-config-ref && <builddir>/tools/gen-config-ref%s > %s",
                 relpath, how, relpath);
}

static void test_config_reference_is_current(void **state)
{
    (void)state;
    check_in_sync("docs/config-reference.md", kuryr_config_dump_reference, "");
}

static void test_sample_config_is_current(void **state)
{
    (void)state;
    check_in_sync("etc/kuryr.conf.sample", kuryr_config_dump_sample, " --sample");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_reference_is_current),
        cmocka_unit_test(test_sample_config_is_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
