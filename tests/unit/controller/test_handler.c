/* The handler registry (controller/handler.c): every handler of this build is found by name, names are
 * unique, and each is a name [kubernetes] enabled_handlers accepts, so that a config can enable it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "handler.h"

static const char *enabled_handlers_choices(void)
{
    for (size_t i = 0; i < kuryr_options_count; i++) {
        if (!strcmp(kuryr_options[i].section, "kubernetes") && !strcmp(kuryr_options[i].name, "enabled_handlers"))
            return kuryr_options[i].choices;
    }
    return NULL;
}

static bool in_choices(const char *choices, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static void test_registry_is_consistent(void **state)
{
    (void)state;
    const char *choices = enabled_handlers_choices();
    assert_non_null(choices);
    size_t n = 0;
    for (size_t i = 0; kc_handler_registry[i]; i++, n++) {
        const kc_handler_def *h = kc_handler_registry[i];
        assert_non_null(h->resource);
        assert_non_null(h->handle);
        assert_true(in_choices(choices, h->name));
        assert_ptr_equal(kc_handler_find(h->name), h);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(kc_handler_registry[j]->name, h->name);
    }
    assert_true(n >= 1);
    assert_null(kc_handler_find("no-such-handler"));
    assert_null(kc_handler_find(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_is_consistent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
