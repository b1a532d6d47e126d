/* kuryr-cni's parts: the CNI request (environment + network config), the version rules, the result conversion
 * and the call to kuryr-daemon. main.c only wires them; the unit tests and the fuzz target use them directly.
 *
 * The binary is run once per pod start by the container runtime, so it does as little as it can: no kuryr.conf
 * option table, no logging set-up beyond warnings, one HTTP request over the daemon's unix socket. */
#ifndef KURYR_CNI_H
#define KURYR_CNI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* The spec's well-known error codes. */
enum {
    CNI_ERR_INCOMPATIBLE_VERSION = 1,
    CNI_ERR_UNSUPPORTED_FIELD = 2,
    CNI_ERR_UNKNOWN_CONTAINER = 3,
    CNI_ERR_INVALID_ENV = 4,
    CNI_ERR_IO = 5,
    CNI_ERR_DECODE = 6,
    CNI_ERR_INVALID_CONFIG = 7,
    CNI_ERR_TRY_AGAIN_LATER = 11,
    CNI_ERR_NOT_AVAILABLE = 50,
    /* plugin-defined (100+): kuryr-daemon answered something kuryr-cni cannot use */
    CNI_ERR_BAD_DAEMON_ANSWER = 100,
};

#define CNI_LATEST_VERSION "1.1.0"
#define CNI_DEFAULT_SOCKET "/run/kuryr/cni.sock"
/* Well inside kubelet's 4-minute RunPodSandbox budget, and above the daemon's own bounded waits
 * ([cni_daemon] vif_annotation_timeout 60 s plus the wait for the port to be ACTIVE). */
#define CNI_DEFAULT_TIMEOUT_S 180
#define CNI_MAX_STDIN (1024 * 1024)

typedef enum { CNI_ADD, CNI_DEL, CNI_CHECK, CNI_VERSION, CNI_STATUS, CNI_GC, CNI_N_COMMANDS } cni_command;

typedef struct {
    int code;  /* 0 = no error */
    char msg[256];
    char details[512];
} cni_error;

/* Sets the error and returns -1. */
int cni_error_set(cni_error *err, int code, const char *msg, const char *details_fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef struct {
    cni_command command;
    /* From the environment; "" when unset (only where the command allows it). */
    const char *container_id, *netns, *ifname, *args, *path;
    json_t *config;        /* the network config object as received (owned) */
    char version[16];      /* its cniVersion, one of the supported ones */
    char socket_path[108]; /* kuryr-daemon's socket (sun_path size) */
    long timeout_s;
    bool gc_nothing_to_judge; /* GC without a list of valid attachments: nothing is collected */
} cni_request;

/* Supported spec versions, oldest first, NULL-terminated. */
extern const char *const cni_supported_versions[];
bool cni_version_supported(const char *v);
/* Compares two "X.Y.Z" versions like strcmp. Unparsable parts count as 0. */
int cni_version_cmp(const char *a, const char *b);

/* The command named by CNI_COMMAND; -1 when unknown. */
int cni_command_parse(const char *name);
const char *cni_command_name(cni_command cmd);

/* Reads the CNI_* variables the command needs through getenv_fn (getenv in the binary): a missing or malformed
 * one is code 4. Keeps pointers into the environment's strings. */
int cni_env_parse(cni_request *req, const char *(*getenv_fn)(const char *name, void *ud), void *ud,
                  cni_error *err);
/* Parses and validates the network config on stdin for req->command: 6 when it is no JSON object, 7 when a
 * field is wrong, 1 when its version is unsupported or does not allow the command. On success req->config,
 * version, socket_path and timeout_s are set; cni_request_clear frees what this made. */
int cni_config_parse(cni_request *req, const char *buf, size_t len, cni_error *err);
void cni_request_clear(cni_request *req);

/* The VERSION answer: {"cniVersion", "supportedVersions"}. */
json_t *cni_version_result(const char *requested);

/* Turns the daemon's ADD answer (CNI 1.0.0 shape without cniVersion) into a result of `version`: interfaces
 * that live in the sandbox get sandbox = netns; 0.3.x/0.4.0 gain ips[].version; fields newer than `version`
 * (interface mtu, route mtu/advmss/priority/table/scope before 1.1.0) are dropped. NULL with code 100 when the
 * answer is malformed. */
json_t *cni_result_convert(const json_t *answer, const char *version, const char *netns, const char *ifname,
                           cni_error *err);

/* The spec's error object {cniVersion, code, msg, details}. */
json_t *cni_error_json(const cni_error *err, const char *version);

/* Sends the request to kuryr-daemon and, for ADD, returns its answer in *answer (caller frees). 0 on success;
 * -1 with err: the daemon's own {code, msg, details}, or 11 when it cannot be reached or does not answer in
 * time (50 for STATUS: the plugin is not available). */
int cni_daemon_call(const cni_request *req, json_t **answer, cni_error *err);
/* The code for a daemon error answer without a usable code, by its HTTP status. */
int cni_code_for_status(long status, cni_command cmd);

/* Runs one invocation: parses env and stdin, calls the daemon, writes the result or error JSON to out.
 * Returns the exit status. */
int cni_run(const char *(*getenv_fn)(const char *name, void *ud), void *ud, const char *stdin_buf,
            size_t stdin_len, FILE *out);

#endif
