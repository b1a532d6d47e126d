/* Address arithmetic for IPAM answers: subnets, their first host, and membership. */
#ifndef KL_ADDR_H
#define KL_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define KL_ADDR_STRLEN 64 /* "ffff:...:ffff/128" fits */

typedef struct {
    int family; /* 4 or 6 */
    unsigned char addr[16];
    int prefixlen;
} kl_cidr;

/* Parses "addr/len"; host bits are kept (call kl_cidr_network to clear them). */
int kl_cidr_parse(const char *s, kl_cidr *out);
/* Clears the host bits. */
void kl_cidr_network(kl_cidr *c);
/* "10.0.0.0/24" form of the network (host bits cleared). */
void kl_cidr_format(const kl_cidr *c, char *out, size_t len);
/* The address Neutron gives a subnet's gateway by default: network + 1 (the network itself for /32 or
 * /128, which have no other address). Without prefix. */
int kl_cidr_first_host(const char *cidr, char *out, size_t len);
/* True if ip (no prefix) lies inside cidr. */
bool kl_cidr_contains(const char *cidr, const char *ip);
/* Copies the address part of "10.0.0.5/24" (or a bare address) to out. */
int kl_addr_strip_prefix(const char *s, char *out, size_t len);
/* The prefix length of a CIDR string, -1 if malformed. */
int kl_cidr_prefixlen(const char *cidr);
/* Same address, compared numerically (so "fd00::1" equals "fd00:0::1"). */
bool kl_ip_equal(const char *a, const char *b);

/* True if the two CIDRs share any address. */
bool kl_cidr_overlaps(const char *a, const char *b);
/* The idx-th block of prefix length newlen inside parent ("10.0.0.0/16", 24, 3 gives "10.0.3.0/24").
 * Returns -1 when idx is past the end or newlen is shorter than the parent's. */
int kl_cidr_nth_subnet(const char *parent, int newlen, unsigned long idx, char *out, size_t len);

#endif
