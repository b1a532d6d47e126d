/* Address arithmetic on network-order byte arrays, so IPv4 and IPv6 share one code path. */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

static int parse_ip(const char *s, int *family, unsigned char out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, s, out) == 1) {
        *family = 6;
        return 0;
    }
    return -1;
}

int kl_cidr_parse(const char *s, kl_cidr *out)
{
    int fam;
    if (!kl_valid_cidr(s, &fam))
        return -1;
    const char *slash = strchr(s, '/');
    char ip[64];
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = '\0';
    if (parse_ip(ip, &out->family, out->addr) < 0)
        return -1;
    out->prefixlen = atoi(slash + 1);
    return 0;
}

void kl_cidr_network(kl_cidr *c)
{
    int bytes = c->family == 4 ? 4 : 16;
    for (int i = 0; i < bytes; i++) {
        int bits = c->prefixlen - i * 8;
        if (bits >= 8)
            continue;
        c->addr[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
    }
}

static void format_ip(int family, const unsigned char *addr, char *out, size_t len)
{
    if (!inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, (socklen_t)len) && len)
        out[0] = '\0';
}

void kl_cidr_format(const kl_cidr *c, char *out, size_t len)
{
    kl_cidr n = *c;
    kl_cidr_network(&n);
    char ip[INET6_ADDRSTRLEN];
    format_ip(n.family, n.addr, ip, sizeof(ip));
    snprintf(out, len, "%s/%d", ip, n.prefixlen);
}

int kl_cidr_first_host(const char *cidr, char *out, size_t len)
{
    kl_cidr c;
    if (kl_cidr_parse(cidr, &c) < 0)
        return -1;
    kl_cidr_network(&c);
    int maxlen = c.family == 4 ? 32 : 128;
    if (c.prefixlen < maxlen) {
        /* add one with carry from the last byte */
        for (int i = (c.family == 4 ? 4 : 16) - 1; i >= 0; i--) {
            if (++c.addr[i] != 0)
                break;
        }
    }
    char ip[INET6_ADDRSTRLEN];
    format_ip(c.family, c.addr, ip, sizeof(ip));
    return snprintf(out, len, "%s", ip) < (int)len ? 0 : -1;
}

bool kl_cidr_contains(const char *cidr, const char *ip)
{
    kl_cidr net, host;
    int fam;
    if (kl_cidr_parse(cidr, &net) < 0 || !ip || parse_ip(ip, &fam, host.addr) < 0 || fam != net.family)
        return false;
    host.family = fam;
    host.prefixlen = net.prefixlen;
    kl_cidr_network(&net);
    kl_cidr_network(&host);
    return memcmp(net.addr, host.addr, 16) == 0;
}

int kl_addr_strip_prefix(const char *s, char *out, size_t len)
{
    if (!s || !len)
        return -1;
    size_t n = strcspn(s, "/");
    if (n >= len)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int kl_cidr_prefixlen(const char *cidr)
{
    kl_cidr c;
    return kl_cidr_parse(cidr, &c) < 0 ? -1 : c.prefixlen;
}

bool kl_ip_equal(const char *a, const char *b)
{
    unsigned char x[16], y[16];
    int fa, fb;
    if (!a || !b || parse_ip(a, &fa, x) < 0 || parse_ip(b, &fb, y) < 0)
        return false;
    return fa == fb && memcmp(x, y, 16) == 0;
}

bool kl_cidr_overlaps(const char *a, const char *b)
{
    kl_cidr x, y;
    if (kl_cidr_parse(a, &x) < 0 || kl_cidr_parse(b, &y) < 0 || x.family != y.family)
        return false;
    /* they overlap iff they agree on the shorter prefix */
    int len = x.prefixlen < y.prefixlen ? x.prefixlen : y.prefixlen;
    x.prefixlen = y.prefixlen = len;
    kl_cidr_network(&x);
    kl_cidr_network(&y);
    return memcmp(x.addr, y.addr, 16) == 0;
}

int kl_cidr_nth_subnet(const char *parent, int newlen, unsigned long idx, char *out, size_t len)
{
    kl_cidr c;
    if (kl_cidr_parse(parent, &c) < 0)
        return -1;
    int maxlen = c.family == 4 ? 32 : 128;
    if (newlen < c.prefixlen || newlen > maxlen)
        return -1;
    int bits = newlen - c.prefixlen;
    if (bits < (int)(sizeof(unsigned long) * 8) && idx >> bits)
        return -1;
    kl_cidr_network(&c);
    /* write idx into the bits between the old and the new prefix length, lowest bit last */
    for (int b = 0; b < bits && b < (int)(sizeof(unsigned long) * 8); b++) {
        if (!((idx >> b) & 1))
            continue;
        int pos = newlen - 1 - b; /* bit position from the left */
        c.addr[pos / 8] |= (unsigned char)(0x80 >> (pos % 8));
    }
    c.prefixlen = newlen;
    kl_cidr_format(&c, out, len);
    return 0;
}
