/* kuryr-volume's protocol handlers against a scripted Cinder (tests/unit/support/test_httpd.h): input is checked
 * before Cinder is asked, answers carry {"Err"} with a status for the kind, Create marks volumes as Docker's and
 * finds existing ones, Remove refuses a volume in use, Mount refuses one attached elsewhere, and a Cinder that
 * does not answer is a 503, not a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kuryr/log.h"
#include "test_httpd.h"
#include "volume.h"

#define VID "0d15cbb0-376a-4cce-a577-d61a8db4a9e3"
#define OURS "{\"id\": \"" VID "\", \"name\": \"v1\", \"status\": \"%s\", \"size\": 1, " \
             "\"metadata\": {\"volume_from\": \"fuxi\"}, \"attachments\": %s}"

typedef struct {
    test_httpd *srv;
    kuryr_config *cfg;
    kv_daemon d;
    char state[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->srv = test_httpd_start(false);
    f->cfg = kuryr_config_new();
    snprintf(f->state, sizeof(f->state), "/tmp/kv-unit-%d", (int)getpid());
    char msg[256];
    kuryr_config_set(f->cfg, "neutron", "auth_type", "none", msg, sizeof(msg));
    kuryr_config_set(f->cfg, "neutron", "endpoint_override", test_httpd_url(f->srv), msg, sizeof(msg));
    kuryr_config_set(f->cfg, "cinder", "endpoint_override", test_httpd_url(f->srv), msg, sizeof(msg));
    kuryr_config_set(f->cfg, "neutron", "timeout", "5", msg, sizeof(msg));
    kuryr_config_set(f->cfg, "DEFAULT", "volume_state_dir", f->state, msg, sizeof(msg));
    kuryr_error err;
    assert_int_equal(kv_daemon_init(&f->d, f->cfg, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kv_daemon_fini(&f->d);
    kuryr_config_free(f->cfg);
    test_httpd_stop(f->srv);
    rmdir(f->state);
    free(f);
    return 0;
}

/* One request; returns the status, the reply in *out (freed by the caller). */
static int ask(fixture *f, const char *path, const char *body, json_t **out)
{
    int status = 0;
    char *reply = NULL;
    kv_handle(&f->d, "POST", path, body, body ? strlen(body) : 0, &status, &reply);
    *out = json_loads(reply, 0, NULL);
    assert_non_null(*out);
    free(reply);
    return status;
}

static const char *err_of(json_t *o)
{
    return json_string_value(json_object_get(o, "Err"));
}

static void test_activate_and_capabilities(void **state)
{
    fixture *f = *state;
    json_t *o;
    assert_int_equal(ask(f, "/Plugin.Activate", NULL, &o), 200);
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "Implements"), 0)), "VolumeDriver");
    json_decref(o);
    assert_int_equal(ask(f, "/VolumeDriver.Capabilities", "{}", &o), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "Capabilities"), "Scope")), "global");
    json_decref(o);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

static void test_bad_input_never_reaches_cinder(void **state)
{
    fixture *f = *state;
    static const struct {
        const char *path, *body, *says;
        int status;
    } cases[] = {
        {"/VolumeDriver.Nope", "{}", "unknown plugin method", 404},
        {"/VolumeDriver.Create", "{not json", "not a JSON object", 400},
        {"/VolumeDriver.Create", "[]", "not a JSON object", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"../x\"}", "not a valid volume name", 400},
        {"/VolumeDriver.Create", "{\"Name\": 7}", "not a valid volume name", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"size\": \"abc\"}}", "size 'abc' is not", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"size\": \"0\"}}", "size '0' is not", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"size\": 5}}", "must be a string", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"colour\": \"red\"}}", "unknown option colour", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"volume_id\": \"../../x\"}}", "not a UUID", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"fstype\": \"vfat\"}}", "fstype 'vfat'", 400},
        {"/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"volume_provider\": \"manila\"}}", "only cinder", 400},
        {"/VolumeDriver.Mount", "{\"Name\": \"v1\"}", "ID is missing", 400},
        {"/VolumeDriver.Mount", "{\"Name\": \"v1\", \"ID\": \"a/b\"}", "ID is missing", 400},
        {"/VolumeDriver.Unmount", "{\"ID\": \"x\"}", "not a valid volume name", 400},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *o;
        int status = ask(f, cases[i].path, cases[i].body, &o);
        if (status != cases[i].status || !strstr(err_of(o), cases[i].says))
            fail_msg("%s %s: %d %s", cases[i].path, cases[i].body, status, err_of(o));
        json_decref(o);
    }
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

static void test_create_marks_the_volume_as_dockers(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/volumes/detail?name=v1", 200, "{\"volumes\": []}");
    test_httpd_answer(f->srv, "POST", "/volumes", 202,
                      "{\"volume\": {\"id\": \"" VID "\", \"name\": \"v1\", \"status\": \"available\", \"size\": 3}}");
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.Create", "{\"Name\": \"v1\", \"Opts\": {\"size\": \"3\"}}", &o), 200);
    assert_string_equal(err_of(o), "");
    json_decref(o);
    const test_httpd_request *post = test_httpd_request_at(f->srv, 1);
    assert_non_null(post);
    json_t *body = json_loads(post->body, 0, NULL);
    json_t *v = json_object_get(body, "volume");
    assert_int_equal(json_integer_value(json_object_get(v, "size")), 3);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "metadata"), "volume_from")), "fuxi");
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "metadata"), "fstype")), "ext4");
    assert_string_equal(test_httpd_header(post, "OpenStack-API-Version"), "volume 3.54");
    json_decref(body);
}

static void test_create_of_an_existing_volume_makes_no_second(void **state)
{
    fixture *f = *state;
    char list[512];
    snprintf(list, sizeof(list), "{\"volumes\": [" OURS "]}", "available", "[]");
    test_httpd_answer(f->srv, "GET", "/volumes/detail?name=v1", 200, list);
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.Create", "{\"Name\": \"v1\"}", &o), 200);
    json_decref(o);
    assert_int_equal(test_httpd_request_count(f->srv), 1);
}

static void test_a_volume_not_marked_is_not_dockers(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/volumes/detail?name=v1", 200,
                      "{\"volumes\": [{\"id\": \"" VID "\", \"name\": \"v1\", \"status\": \"available\", \"size\": 1}]}");
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.Get", "{\"Name\": \"v1\"}", &o), 404);
    assert_string_equal(err_of(o), "no volume named v1");
    json_decref(o);
}

static void test_remove_refuses_a_volume_in_use(void **state)
{
    fixture *f = *state;
    char list[512];
    snprintf(list, sizeof(list), "{\"volumes\": [" OURS "]}", "in-use",
             "[{\"attachment_id\": \"a1\", \"host_name\": \"vm\"}]");
    test_httpd_answer(f->srv, "GET", "/volumes/detail?name=v1", 200, list);
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.Remove", "{\"Name\": \"v1\"}", &o), 409);
    assert_non_null(strstr(err_of(o), "volume v1 is in use"));
    json_decref(o);
    assert_int_equal(test_httpd_request_count(f->srv), 1); /* no DELETE */
}

static void test_mount_refuses_a_volume_attached_elsewhere(void **state)
{
    fixture *f = *state;
    char list[512];
    snprintf(list, sizeof(list), "{\"volumes\": [" OURS "]}", "in-use",
             "[{\"attachment_id\": \"a1\", \"host_name\": \"other-host\"}]");
    test_httpd_answer(f->srv, "GET", "/volumes/detail?name=v1", 200, list);
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.Mount", "{\"Name\": \"v1\", \"ID\": \"c1\"}", &o), 409);
    assert_non_null(strstr(err_of(o), "attached to host other-host"));
    json_decref(o);
    assert_int_equal(test_httpd_request_count(f->srv), 1); /* no attachment made */
}

static void test_cinder_not_answering_is_a_503(void **state)
{
    fixture *f = *state;
    test_httpd_script hang = {.method = "GET", .path = "/volumes", .close = true};
    test_httpd_add(f->srv, &hang);
    json_t *o;
    assert_int_equal(ask(f, "/VolumeDriver.List", "{}", &o), 503);
    assert_non_null(strstr(err_of(o), "Cinder unreachable"));
    json_decref(o);
}

int main(void)
{
    kuryr_log_set_level(KURYR_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_activate_and_capabilities, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_never_reaches_cinder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_marks_the_volume_as_dockers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_of_an_existing_volume_makes_no_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_volume_not_marked_is_not_dockers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_refuses_a_volume_in_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mount_refuses_a_volume_attached_elsewhere, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cinder_not_answering_is_a_503, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
