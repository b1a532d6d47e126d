/* The CNI daemon API's requests: kuryr-cni POSTs {"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME",
 * "CNI_ARGS", "CNI_PATH", "config_kuryr"} (upstream's names) to /addNetwork, /delNetwork, /checkNetwork,
 * /status or /gc. Parsing is pure (no I/O) and checks everything that later becomes a path, a device name or
 * a record in a link's ifalias, so nothing from outside reaches the kernel unchecked. */
#ifndef KD_REQUEST_H
#define KD_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum { KD_ADD, KD_DEL, KD_CHECK, KD_STATUS, KD_GC } kd_verb;

/* CNI error codes (the spec's, plus upstream's internal one). */
#define KD_CODE_INCOMPATIBLE 1
#define KD_CODE_UNKNOWN_CONTAINER 3
#define KD_CODE_BAD_ENV 4
#define KD_CODE_DECODE 6
#define KD_CODE_BAD_CONFIG 7
#define KD_CODE_TRY_LATER 11
#define KD_CODE_NOT_READY 50
#define KD_CODE_INTERNAL 999

/* Container ids are the runtime's (containerd: 64 hex digits); the bound keeps an attachment record within
 * a link's 255-character ifalias. */
#define KD_CONTAINER_ID_MAX 80

typedef struct {
    char container_id[KD_CONTAINER_ID_MAX + 1];
    char ifname[16];
    bool valid;
} kd_attachment;

typedef struct {
    kd_verb verb;
    char container_id[KD_CONTAINER_ID_MAX + 1];
    char netns[256];          /* "" when not given (DEL may come without one) */
    char ifname[16];
    char pod_namespace[64];   /* from CNI_ARGS K8S_POD_NAMESPACE */
    char pod_name[254];       /* K8S_POD_NAME */
    char pod_uid[64];         /* K8S_POD_UID; "" when not given */
    kd_attachment *valid;     /* GC: config_kuryr's cni.dev/valid-attachments (malloc'd) */
    size_t n_valid;
} kd_request;

/* What went wrong with a request: the HTTP status and CNI code to answer with, and why. */
typedef struct {
    int http_status;
    int code;
    char msg[128];
    char details[384];
} kd_fail;

/* Parses body (len bytes) for verb. 0, or -1 with fail filled (400 and code 4, 6 or 7). Free with
 * kd_request_clear. */
int kd_request_parse(const char *body, size_t len, kd_verb verb, kd_request *out, kd_fail *fail);
void kd_request_clear(kd_request *r);
/* Sets fail and returns -1. */
int kd_fail_set(kd_fail *fail, int http_status, int code, const char *msg, const char *details_fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* {"code", "msg", "details"} as a malloc'd string. */
char *kd_fail_json(const kd_fail *fail);
/* The verb a URL path names, -1 for none. */
int kd_verb_from_path(const char *path);
const char *kd_verb_name(kd_verb verb);

#endif
