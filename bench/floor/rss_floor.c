/* The memory floor of the libraries the daemon must use: a program that links what kuryr-libnetwork links
 * (libcurl, libmicrohttpd, jansson, libnl-route-3, inih) and does the least the daemon does before it is idle
 * (one HTTP request through libcurl, an HTTP server thread, a netlink route socket), then prints its own
 * memory from /proc/self/smaps_rollup as JSON. bench/ reports it next to the daemon's idle figures, so the
 * part of the daemon's Rss that is its own shows. */
#include <curl/curl.h>
#include <ini.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <string.h>

static size_t discard(char *ptr, size_t size, size_t n, void *user)
{
    (void)ptr;
    (void)user;
    return size * n;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *data, size_t *size, void **state)
{
    (void)cls, (void)url, (void)method, (void)version, (void)data, (void)size, (void)state;
    struct MHD_Response *r = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return rc;
}

static int ini_line(void *user, const char *section, const char *name, const char *value)
{
    (void)user, (void)section, (void)name, (void)value;
    return 1;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:9/";
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2000L);
    curl_easy_perform(easy); /* the answer does not matter: libcurl and its TLS library are initialised */

    struct MHD_Daemon *mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                              answer, NULL, MHD_OPTION_END);
    struct nl_sock *nl = nl_socket_alloc();
    struct nl_cache *links = NULL;
    if (nl && nl_connect(nl, NETLINK_ROUTE) == 0)
        rtnl_link_alloc_cache(nl, AF_UNSPEC, &links);
    json_t *j = json_pack("{s:s}", "parsed", "yes");
    ini_parse_string("[DEFAULT]\nkey = value\n", ini_line, NULL);

    long rss = 0, pss = 0, anon = 0, shared_clean = 0, private_kb = 0, v;
    char line[256], key[64];
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%63[^:]: %ld kB", key, &v) != 2)
            continue;
        if (!strcmp(key, "Rss"))
            rss = v;
        else if (!strcmp(key, "Pss"))
            pss = v;
        else if (!strcmp(key, "Anonymous"))
            anon = v;
        else if (!strcmp(key, "Shared_Clean"))
            shared_clean = v;
        else if (!strcmp(key, "Private_Clean") || !strcmp(key, "Private_Dirty"))
            private_kb += v;
    }
    if (f)
        fclose(f);
    printf("{\"rss_kib\": %ld, \"pss_kib\": %ld, \"private_kib\": %ld, \"anon_kib\": %ld, \"shared_clean_kib\": %ld}\n",
           rss, pss, private_kb, anon, shared_clean);

    json_decref(j);
    nl_cache_free(links);
    nl_socket_free(nl);
    if (mhd)
        MHD_stop_daemon(mhd);
    curl_easy_cleanup(easy);
    curl_global_cleanup();
    return 0;
}
