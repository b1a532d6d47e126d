/* The HTTP side over a unix socket in a temporary directory: mode 0600, stale sockets replaced but live ones
 * and other files left alone, the Docker content type, 404 for unknown URIs, and 413 for oversized bodies. No
 * TCP listener by default; an upstream config file that sets kuryr_uri gets one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "router.h"
#include "server.h"

typedef struct {
    char dir[64];
    char sock[128];
    kuryr_config *cfg;
    kl_plugin p;
    bool up;
    kl_server *srv;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    *state = f;
    snprintf(f->dir, sizeof(f->dir), "/tmp/kl-server-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock, sizeof(f->sock), "%s/docker/plugins/kuryr.sock", f->dir);
    f->cfg = kuryr_config_new();
    char msg[256];
    kuryr_config_set(f->cfg, "DEFAULT", "unix_socket", f->sock, msg, sizeof(msg));
    kuryr_config_set(f->cfg, "DEFAULT", "max_request_body", "1000", msg, sizeof(msg));
    kuryr_config_set(f->cfg, "neutron", "auth_type", "none", msg, sizeof(msg));
    kuryr_config_set(f->cfg, "neutron", "endpoint_override", "http://127.0.0.1:9", msg, sizeof(msg));
    kuryr_error err;
    if (kl_plugin_init(&f->p, f->cfg, &err) < 0)
        return -1;
    f->up = true;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    kl_server_stop(f->srv);
    if (f->up)
        kl_plugin_fini(&f->p);
    kuryr_config_free(f->cfg);
    unlink(f->sock);
    char sub[160];
    snprintf(sub, sizeof(sub), "%s/docker/plugins", f->dir);
    rmdir(sub);
    snprintf(sub, sizeof(sub), "%s/docker", f->dir);
    rmdir(sub);
    rmdir(f->dir);
    free(f);
    return 0;
}

typedef struct {
    char *data;
    size_t len;
} buf;

static size_t collect(char *p, size_t size, size_t n, void *userdata)
{
    buf *b = userdata;
    char *nd = realloc(b->data, b->len + size * n + 1);
    assert_non_null(nd);
    memcpy(nd + b->len, p, size * n);
    b->data = nd;
    b->len += size * n;
    b->data[b->len] = '\0';
    return size * n;
}

static long post(fixture *f, const char *uri, const char *body, size_t len, char **out, char **ctype)
{
    CURL *c = curl_easy_init();
    char url[256];
    snprintf(url, sizeof(url), "http://localhost%s", uri);
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, f->sock);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    if (ctype)
        *ctype = ct ? strdup(ct) : NULL;
    curl_easy_cleanup(c);
    *out = b.data;
    return status;
}

static void test_serves_on_private_socket(void **state)
{
    fixture *f = *state;
    kuryr_error err;
    f->srv = kl_server_start(&f->p, &err);
    if (!f->srv)
        fail_msg("start: %s", err.message);
    struct stat st;
    assert_int_equal(stat(f->sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);

    char *body, *ct;
    assert_int_equal(post(f, "/Plugin.Activate", "", 0, &body, &ct), 200);
    assert_string_equal(body, "{\"Implements\":[\"NetworkDriver\",\"IpamDriver\"]}");
    assert_string_equal(ct, KL_CONTENT_TYPE);
    free(body);
    free(ct);
    assert_int_equal(post(f, "/NetworkDriver.Unknown", "{}", 2, &body, NULL), 404);
    free(body);

    char big[4096];
    memset(big, ' ', sizeof(big));
    big[0] = '{';
    big[sizeof(big) - 1] = '}';
    assert_int_equal(post(f, "/IpamDriver.GetCapabilities", big, sizeof(big), &body, NULL), 413);
    assert_string_equal(body, "{\"Err\":\"request body too large\"}");
    free(body);
    /* the limit is the body's size, not a cut: a small one still works on the same server */
    assert_int_equal(post(f, "/IpamDriver.GetCapabilities", "{}", 2, &body, NULL), 200);
    free(body);

    kl_server_stop(f->srv);
    f->srv = NULL;
    assert_int_not_equal(access(f->sock, F_OK), 0); /* removed on stop */
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Upstream leaks descriptors per container; here a stopped server leaves exactly what was open before. */
static void test_no_fd_leak(void **state)
{
    fixture *f = *state;
    kuryr_error err;
    int before = count_fds();
    f->srv = kl_server_start(&f->p, &err);
    assert_non_null(f->srv);
    for (int i = 0; i < 50; i++) {
        char *body;
        assert_int_equal(post(f, "/NetworkDriver.Leave", "{}", 2, &body, NULL), 400);
        free(body);
    }
    kl_server_stop(f->srv);
    f->srv = NULL;
    assert_int_equal(count_fds(), before);
}

/* umask() is process-wide: the daemon's other threads are running when the socket is made. Linked with
 * -Wl,--wrap=umask, so that a call from the server code is counted here. */
mode_t __real_umask(mode_t mask);
static int umask_calls;
mode_t __wrap_umask(mode_t mask)
{
    umask_calls++;
    return __real_umask(mask);
}

static void test_socket_made_without_umask(void **state)
{
    fixture *f = *state;
    kuryr_error err;
    umask_calls = 0;
    int fd = kl_unix_listen(f->sock, &err);
    if (fd < 0)
        fail_msg("listen: %s", err.message);
    close(fd);
    assert_int_equal(umask_calls, 0);
    struct stat st;
    assert_int_equal(stat(f->sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    unlink(f->sock);
    /* nothing left next to it (the private directory it was made in) */
    char parent[160];
    snprintf(parent, sizeof(parent), "%s/docker/plugins", f->dir);
    DIR *d = opendir(parent);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    assert_int_equal(entries, 0);
}

static void test_socket_file_rules(void **state)
{
    fixture *f = *state;
    kuryr_error err;
    /* a live socket is never taken over */
    f->srv = kl_server_start(&f->p, &err);
    assert_non_null(f->srv);
    assert_int_equal(kl_unix_listen(f->sock, &err), -1);
    assert_non_null(strstr(err.message, "in use"));
    kl_server_stop(f->srv);
    f->srv = NULL;

    /* a stale one (nobody listening) is replaced */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    assert_true(strlen(f->sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, f->sock, strlen(f->sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    fd = kl_unix_listen(f->sock, &err);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->sock);

    /* a regular file is left alone */
    FILE *file = fopen(f->sock, "w");
    assert_non_null(file);
    fclose(file);
    assert_int_equal(kl_unix_listen(f->sock, &err), -1);
    assert_non_null(strstr(err.message, "not a socket"));
    unlink(f->sock);
}

/* The ports of the TCP sockets this process listens on (from /proc: what a port scan would find). */
static size_t listening_tcp_ports(unsigned *ports, size_t max)
{
    /* socket inodes of our descriptors */
    unsigned long inodes[256];
    size_t n_inodes = 0, n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) && n_inodes < 256;) {
        char path[300], link[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t l = readlink(path, link, sizeof(link) - 1);
        if (l > 0) {
            link[l] = '\0';
            if (sscanf(link, "socket:[%lu]", &inodes[n_inodes]) == 1)
                n_inodes++;
        }
    }
    closedir(d);
    const char *tables[] = {"/proc/self/net/tcp", "/proc/self/net/tcp6"};
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512];
        while (f && fgets(line, sizeof(line), f)) {
            char local[64];
            unsigned state;
            unsigned long inode;
            /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
            if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %*s %*s %lu", local, &state, &inode) != 3 || state != 0x0A)
                continue;
            for (size_t i = 0; i < n_inodes; i++) {
                if (inodes[i] == inode && n < max)
                    ports[n++] = (unsigned)strtoul(strrchr(local, ':') + 1, NULL, 16);
            }
        }
        if (f)
            fclose(f);
    }
    return n;
}

/* With the defaults only the root-only unix socket serves the plugin: no TCP port any local user could reach. */
static void test_no_tcp_by_default(void **state)
{
    fixture *f = *state;
    kuryr_error err;
    unsigned ports[4];
    assert_int_equal(listening_tcp_ports(ports, 4), 0);
    f->srv = kl_server_start(&f->p, &err);
    if (!f->srv)
        fail_msg("start: %s", err.message);
    assert_int_equal(listening_tcp_ports(ports, 4), 0);
    char *body;
    assert_int_equal(post(f, "/Plugin.Activate", "", 0, &body, NULL), 200);
    free(body);
}

/* A kuryr.conf written for upstream, which names its TCP listener, still gets it (next to the unix socket). */
static void test_upstream_kuryr_uri(void **state)
{
    fixture *f = *state;
    char conf[160], msg[256];
    snprintf(conf, sizeof(conf), "%s/kuryr.conf", f->dir);
    FILE *file = fopen(conf, "w");
    assert_non_null(file);
    /* port 0: the kernel picks a free one, found below the way a client would not need to */
    fputs("[DEFAULT]\nkuryr_uri = http://127.0.0.1:0\ncapability_scope = local\n", file);
    fclose(file);
    int rc = kuryr_config_load_file(f->cfg, conf, msg, sizeof(msg));
    unlink(conf);
    assert_int_equal(rc, 0);
    kuryr_error err;
    f->srv = kl_server_start(&f->p, &err);
    if (!f->srv)
        fail_msg("start: %s", err.message);
    unsigned ports[4];
    assert_int_equal(listening_tcp_ports(ports, 4), 1);
    CURL *c = curl_easy_init();
    char url[96];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/Plugin.Activate", ports[0]);
    buf b = {0};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    assert_int_equal(status, 200);
    assert_non_null(strstr(b.data, "NetworkDriver"));
    free(b.data);
    char *body;
    assert_int_equal(post(f, "/Plugin.Activate", "", 0, &body, NULL), 200); /* and the unix socket too */
    free(body);
}

static void test_parse_uri(void **state)
{
    (void)state;
    char host[64], port[16];
    bool https;
    assert_int_equal(kl_parse_uri("http://127.0.0.1:23750", host, sizeof(host), port, sizeof(port), &https), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_string_equal(port, "23750");
    assert_false(https);
    assert_int_equal(kl_parse_uri("https://[::1]:443/", host, sizeof(host), port, sizeof(port), &https), 0);
    assert_string_equal(host, "::1");
    assert_string_equal(port, "443");
    assert_true(https);
    assert_int_equal(kl_parse_uri("tcp://127.0.0.1:1", host, sizeof(host), port, sizeof(port), &https), -1);
    assert_int_equal(kl_parse_uri("http://127.0.0.1", host, sizeof(host), port, sizeof(port), &https), -1);
    assert_int_equal(kl_parse_uri("http://127.0.0.1:x1", host, sizeof(host), port, sizeof(port), &https), -1);
}

int main(void)
{
    kuryr_log_init("test_server", KURYR_LOG_ERROR, false);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serves_on_private_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_file_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_fd_leak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_tcp_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_made_without_umask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_kuryr_uri, setup, teardown),
        cmocka_unit_test(test_parse_uri),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
