/* One request to kuryr-daemon over its unix socket (the contract in docs/kubernetes.md): POST /<verb> with the
 * CNI parameters and the network config; 202 + result for ADD, 204 for the rest, else {code, msg, details}. */
#include "cni.h"

#include <stdlib.h>
#include <string.h>

#include "kuryr/http.h"

static const char *const endpoints[CNI_N_COMMANDS] = {
    [CNI_ADD] = "/addNetwork", [CNI_DEL] = "/delNetwork", [CNI_CHECK] = "/checkNetwork",
    [CNI_STATUS] = "/status", [CNI_GC] = "/gc",
};

/* Connecting is local: if it takes this long the daemon is not there in any useful sense. */
#define CONNECT_TIMEOUT_MS 5000L

int cni_code_for_status(long status, cni_command cmd)
{
    switch (status) {
    case 400: return CNI_ERR_INVALID_CONFIG;
    case 404:
    case 410: return CNI_ERR_UNKNOWN_CONTAINER;
    case 503:
    case 504: return cmd == CNI_STATUS ? CNI_ERR_NOT_AVAILABLE : CNI_ERR_TRY_AGAIN_LATER;
    default: return status >= 500 ? CNI_ERR_TRY_AGAIN_LATER : CNI_ERR_BAD_DAEMON_ANSWER;
    }
}

static char *request_body(const cni_request *req)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "CNI_COMMAND", cni_command_name(req->command),
                             "CNI_CONTAINERID", req->container_id, "CNI_NETNS", req->netns, "CNI_IFNAME",
                             req->ifname, "CNI_ARGS", req->args, "CNI_PATH", req->path, "config_kuryr", req->config);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    return text;
}

/* An error answer: the daemon's {code, msg, details} where it gave a code, else one chosen by status. */
static int daemon_error(const kuryr_http_response *resp, cni_command cmd, cni_error *err)
{
    json_t *doc = json_loadb(resp->body, resp->body_len, 0, NULL);
    json_t *code = json_object_get(doc, "code");
    const char *msg = json_string_value(json_object_get(doc, "msg"));
    const char *details = json_string_value(json_object_get(doc, "details"));
    int c = json_is_integer(code) && json_integer_value(code) > 0 && json_integer_value(code) < 1000
                ? (int)json_integer_value(code)
                : cni_code_for_status(resp->status, cmd);
    cni_error_set(err, c, msg ? msg : "kuryr-daemon refused the request", "%s",
                  details ? details : msg ? "" : "HTTP status without an error body");
    if (!msg && !details)
        snprintf(err->details, sizeof(err->details), "HTTP %ld from kuryr-daemon", resp->status);
    json_decref(doc);
    return -1;
}

static int unreachable(const cni_request *req, const kuryr_error *kerr, cni_error *err)
{
    int code = req->command == CNI_STATUS ? CNI_ERR_NOT_AVAILABLE : CNI_ERR_TRY_AGAIN_LATER;
    return cni_error_set(err, code, "kuryr-daemon unreachable or timed out, try again later", "%s: %s",
                         req->socket_path, kerr->message);
}

int cni_daemon_call(const cni_request *req, json_t **answer, cni_error *err)
{
    *answer = NULL;
    char *body = request_body(req);
    if (!body)
        return cni_error_set(err, CNI_ERR_IO, "cannot build the request to kuryr-daemon", NULL);
    kuryr_http_opts opts = {.unix_socket = req->socket_path, .connect_timeout_ms = CONNECT_TIMEOUT_MS,
                            .timeout_ms = req->timeout_s * 1000L, .max_retries = -1};
    kuryr_http *http = kuryr_http_new(&opts);
    char url[64];
    snprintf(url, sizeof(url), "http://localhost%s", endpoints[req->command]);
    static const char *const headers[] = {"Content-Type: application/json", NULL};
    kuryr_http_response resp = {0};
    kuryr_error kerr = {0};
    int rc = http ? kuryr_http_request(http, "POST", url, headers, body, &resp, &kerr) : -1;
    free(body);
    if (rc < 0) {
        if (!http)
            snprintf(kerr.message, sizeof(kerr.message), "out of memory");
        rc = unreachable(req, &kerr, err);
    } else if (resp.status < 200 || resp.status > 299) {
        rc = daemon_error(&resp, req->command, err);
    } else if (req->command == CNI_ADD) {
        *answer = json_loadb(resp.body, resp.body_len, 0, NULL);
        rc = *answer ? 0 : cni_error_set(err, CNI_ERR_BAD_DAEMON_ANSWER, "kuryr-daemon's answer cannot be used",
                                          "ADD answered HTTP %ld without a JSON result", resp.status);
    }
    kuryr_http_response_clear(&resp);
    kuryr_http_free(http);
    return rc;
}
