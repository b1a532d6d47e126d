/* One kuryr-cni invocation, from environment and stdin to the JSON it prints and its exit status. */
#include "cni.h"

static int print_json(FILE *out, json_t *doc)
{
    int rc = doc && json_dumpf(doc, out, JSON_COMPACT) == 0 ? 0 : -1;
    fputc('\n', out);
    json_decref(doc);
    return rc;
}

static int print_error(FILE *out, const cni_error *err, const char *version)
{
    print_json(out, cni_error_json(err, version));
    return 1;
}

/* VERSION answers whatever stdin holds: the runtime asks it before it trusts anything else. */
static int run_version(const char *buf, size_t len, FILE *out)
{
    json_t *doc = json_loadb(buf, len, 0, NULL);
    int rc = print_json(out, cni_version_result(json_string_value(json_object_get(doc, "cniVersion"))));
    json_decref(doc);
    return rc ? 1 : 0;
}

int cni_run(const char *(*getenv_fn)(const char *name, void *ud), void *ud, const char *stdin_buf,
            size_t stdin_len, FILE *out)
{
    cni_request req = {0};
    cni_error err = {0};
    if (cni_env_parse(&req, getenv_fn, ud, &err) < 0)
        return print_error(out, &err, NULL);
    if (req.command == CNI_VERSION)
        return run_version(stdin_buf, stdin_len, out);
    int status = 0;
    json_t *answer = NULL;
    if (cni_config_parse(&req, stdin_buf, stdin_len, &err) < 0 ||
        (!req.gc_nothing_to_judge && cni_daemon_call(&req, &answer, &err) < 0)) {
        status = print_error(out, &err, req.version);
    } else if (req.command == CNI_ADD) {
        json_t *result = cni_result_convert(answer, req.version, req.netns, req.ifname, &err);
        status = result ? (print_json(out, result) ? 1 : 0) : print_error(out, &err, req.version);
    }
    json_decref(answer);
    cni_request_clear(&req);
    return status;
}
