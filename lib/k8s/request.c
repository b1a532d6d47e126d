/* Requests to the kube-apiserver on lib/http.c: auth, 401 → token reload, 429 → Retry-After, Status objects
 * into kuryr_error. See include/kuryr/k8s_client.h. */
#include "k8s_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"

#define MAX_THROTTLE_RETRIES 3
#define MAX_RETRY_AFTER_S 10

/* Joins server and path into a URL, malloc'd. */
static char *url_of(kuryr_k8s_client *c, const char *path)
{
    char *url;
    return asprintf(&url, "%s%s", c->server, path) < 0 ? NULL : url;
}

/* The request headers: auth, content type, user agent. Returns the number filled (hdrs has room for 4 + NULL). */
static void fill_headers(kuryr_k8s_client *c, const char *content_type, char *auth, char *ctype, char *agent,
                         const char *hdrs[5])
{
    int n = 0;
    if (auth)
        hdrs[n++] = auth;
    if (ctype) {
        snprintf(ctype, 128, "Content-Type: %s", content_type);
        hdrs[n++] = ctype;
    }
    if (agent) {
        snprintf(agent, 256, "User-Agent: %s", c->user_agent);
        hdrs[n++] = agent;
    }
    hdrs[n] = NULL;
}

static int send_once(kuryr_k8s_client *c, const char *method, const char *url, const char *content_type,
                     const char *body, kuryr_http_stream *stream, kuryr_http_response *resp, kuryr_error *err)
{
    k8s_token_refresh(c, false, NULL); /* a failed re-read keeps the last token; the server will judge it */
    char *auth = k8s_auth_header(c);
    char ctype[128], agent[256];
    const char *hdrs[5];
    fill_headers(c, content_type, auth, body && content_type ? ctype : NULL, c->user_agent ? agent : NULL, hdrs);
    int rc = stream ? kuryr_http_request_stream(c->http, method, url, hdrs, body, stream, resp, err)
                    : kuryr_http_request(c->http, method, url, hdrs, body, resp, err);
    k8s_free_secret(auth);
    return rc;
}

/* Sends, and once more after re-reading the token when the answer is 401 and a token file exists (the token
 * was rotated under us). */
static int send_authed(kuryr_k8s_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, kuryr_http_stream *stream, kuryr_http_response *resp, kuryr_error *err)
{
    char *url = url_of(c, path);
    if (!url)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int rc = send_once(c, method, url, content_type, body, stream, resp, err);
    if (rc == 0 && resp->status == 401 && c->token_file) {
        KLOG_INFO("k8s: %s %s got 401: re-reading the token from %s", method, path, c->token_file);
        if (k8s_token_refresh(c, true, NULL) == 0) {
            kuryr_http_response_clear(resp);
            rc = send_once(c, method, url, content_type, body, stream, resp, err);
        }
    }
    free(url);
    return rc;
}

int k8s_send(kuryr_k8s_client *c, const char *method, const char *path, const char *content_type,
             const char *body, kuryr_http_response *resp, kuryr_error *err)
{
    return send_authed(c, method, path, content_type, body, NULL, resp, err);
}

int k8s_send_stream(kuryr_k8s_client *c, const char *path, kuryr_http_stream *stream, kuryr_http_response *resp,
                    kuryr_error *err)
{
    return send_authed(c, "GET", path, NULL, NULL, stream, resp, err);
}

int k8s_status_object_error(const json_t *status, kuryr_error *err)
{
    long code = (long)json_integer_value(json_object_get(status, "code"));
    const char *reason = json_string_value(json_object_get(status, "reason"));
    const char *message = json_string_value(json_object_get(status, "message"));
    kuryr_err_kind kind = code == 429 ? KURYR_ERR_UNAVAILABLE : kuryr_err_kind_from_status(code);
    return kuryr_error_set(err, kind, code, reason, "%ld %s: %s", code, reason ? reason : "",
                           message ? message : "(no message)");
}

int k8s_status_error(long status, const char *body, const char *method, const char *path, kuryr_error *err)
{
    json_t *st = body && *body ? json_loads(body, 0, NULL) : NULL;
    const char *reason = json_string_value(json_object_get(st, "reason"));
    const char *message = json_string_value(json_object_get(st, "message"));
    kuryr_err_kind kind = status == 429 ? KURYR_ERR_UNAVAILABLE : kuryr_err_kind_from_status(status);
    if (message)
        kuryr_error_set(err, kind, status, reason, "%s %s: %ld %s: %s", method, path, status, reason ? reason : "",
                        message);
    else
        kuryr_error_set(err, kind, status, reason, "%s %s: HTTP %ld: %.200s", method, path, status,
                        body ? body : "");
    json_decref(st);
    return -1;
}

int kuryr_k8s_request(kuryr_k8s_client *c, const char *method, const char *path, const char *content_type,
                      const json_t *body, json_t **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    if (!c || !method || !path || path[0] != '/')
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s request without client, method or path");
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !text)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    if (text && !content_type)
        content_type = "application/json";
    kuryr_http_response resp;
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = k8s_send(c, method, path, content_type, text, &resp, err);
        /* Throttled (API priority and fairness): the server says when to come back. */
        if (rc != 0 || resp.status != 429 || attempt >= MAX_THROTTLE_RETRIES)
            break;
        long wait_s = resp.retry_after_s >= 0 ? resp.retry_after_s : 1;
        wait_s = wait_s > MAX_RETRY_AFTER_S ? MAX_RETRY_AFTER_S : wait_s;
        KLOG_INFO("k8s: %s %s throttled (429): retrying after %ld s", method, path, wait_s);
        kuryr_http_response_clear(&resp);
        kuryr_sleep_ms(wait_s * 1000);
    }
    free(text);
    if (rc != 0) {
        kuryr_http_response_clear(&resp);
        return -1;
    }
    if (resp.status < 200 || resp.status > 299) {
        k8s_status_error(resp.status, resp.body, method, path, err);
        kuryr_http_response_clear(&resp);
        return -1;
    }
    if (out && resp.body_len > 0) {
        json_error_t jerr;
        *out = json_loadb(resp.body, resp.body_len, 0, &jerr);
        if (!*out) {
            kuryr_error_set(err, KURYR_ERR_INTERNAL, resp.status, NULL, "%s %s: answer is not JSON: %s", method,
                            path, jerr.text);
            kuryr_http_response_clear(&resp);
            return -1;
        }
    }
    kuryr_http_response_clear(&resp);
    return 0;
}

int kuryr_k8s_get(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                  json_t **out, kuryr_error *err)
{
    char *path = kuryr_k8s_path(r, namespace, name, NULL);
    if (!path)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s: bad resource or out of memory");
    int rc = kuryr_k8s_request(c, "GET", path, NULL, NULL, out, err);
    free(path);
    return rc;
}
