/* The external_ids arguments host_ovs.c gives ovs-vsctl: one quoted OVSDB atom each, or an error, never a value
 * cut short or bent by a quote. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "binding_internal.h"

static void test_external_id_quoted(void **state)
{
    (void)state;
    char buf[64];
    kuryr_error err;
    assert_int_equal(kb_ovs_external_id(buf, sizeof(buf), "attached-mac", "fa:16:3e:00:00:01", &err), 0);
    assert_string_equal(buf, "external_ids:attached-mac=\"fa:16:3e:00:00:01\"");
    assert_int_equal(kb_ovs_external_id(buf, sizeof(buf), "vm-uuid", NULL, &err), 0);
    assert_string_equal(buf, "external_ids:vm-uuid=\"\"");
}

static void test_external_id_never_cut(void **state)
{
    (void)state;
    char buf[40];
    kuryr_error err;
    /* 36 characters of port id do not fit with the key and quotes in 40 bytes: refused, not truncated */
    assert_int_equal(kb_ovs_external_id(buf, sizeof(buf), "iface-id", "1b2c3d4e-5f60-4a6b-8c7d-9e0f1a2b3c4d", &err),
                     -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "too long"));
}

static void test_external_id_refuses_quotes(void **state)
{
    (void)state;
    char buf[128];
    kuryr_error err;
    assert_int_equal(kb_ovs_external_id(buf, sizeof(buf), "vm-uuid", "ep\" external_ids:owner=\"x", &err), -1);
    assert_int_equal(kb_ovs_external_id(buf, sizeof(buf), "vm-uuid", "a\\b", &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_external_id_quoted),
        cmocka_unit_test(test_external_id_never_cut),
        cmocka_unit_test(test_external_id_refuses_quotes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
