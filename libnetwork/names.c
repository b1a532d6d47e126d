/* Neutron names and tags (see names.h). */
#include "names.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

void kl_net_name(char out[KL_NAME_LEN], const char *docker_id)
{
    snprintf(out, KL_NAME_LEN, KL_NET_NAME_PREFIX "%.8s", docker_id);
}

void kl_tag_lh(char out[KL_NAME_LEN], const char *docker_id)
{
    snprintf(out, KL_NAME_LEN, KL_TAG_LH "%.32s", docker_id);
}

void kl_tag_uh(char out[KL_NAME_LEN], const char *docker_id)
{
    snprintf(out, KL_NAME_LEN, KL_TAG_UH "%.32s", strlen(docker_id) > 32 ? docker_id + 32 : "");
}

void kl_tag_net_existing(char out[KL_NAME_LEN], const char *docker_id)
{
    snprintf(out, KL_NAME_LEN, KL_TAG_NET_EXISTING "%.12s", docker_id);
}

void kl_subnet_name(char out[KL_NAME_LEN], const char *cidr)
{
    snprintf(out, KL_NAME_LEN, KL_SUBNET_NAME_PREFIX "%s", cidr);
}

void kl_pool_name(char out[KL_NAME_LEN], const char *prefix, const char *cidr)
{
    snprintf(out, KL_NAME_LEN, "%s-%s", prefix, cidr);
}

void kl_endpoint_port_name(char out[KL_NAME_LEN], const char *endpoint_id)
{
    snprintf(out, KL_NAME_LEN, "%s-port", endpoint_id);
}

void kl_sg_name(char out[KL_NAME_LEN], const char *port_id)
{
    snprintf(out, KL_NAME_LEN, "%s-exposed_ports", port_id);
}

void kl_pool_id_format(char out[KL_NAME_LEN], const char *pool_id, const char *cidr)
{
    if (cidr && *cidr)
        snprintf(out, KL_NAME_LEN, "%s@%s", pool_id, cidr);
    else
        snprintf(out, KL_NAME_LEN, "%s", pool_id);
}

int kl_pool_id_parse(const char *s, char pool_id[KL_NAME_LEN], char cidr[KL_NAME_LEN], bool *is_subnet)
{
    if (!s || !*s || strlen(s) >= KL_NAME_LEN)
        return -1;
    bool sub = strncmp(s, KL_POOL_ID_SUBNET, strlen(KL_POOL_ID_SUBNET)) == 0;
    if (sub)
        s += strlen(KL_POOL_ID_SUBNET);
    if (is_subnet)
        *is_subnet = sub;
    size_t n = strcspn(s, "@");
    if (n == 0 || s[0] == '.')
        return -1; /* ".", ".." or a hidden name: not an id, and a path step in a Neutron URL */
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
            return -1;
    }
    memcpy(pool_id, s, n);
    pool_id[n] = '\0';
    cidr[0] = '\0';
    if (s[n] == '@') {
        if (!kl_valid_cidr(s + n + 1, NULL))
            return -1;
        snprintf(cidr, KL_NAME_LEN, "%s", s + n + 1);
    }
    return sub && !cidr[0] ? -1 : 0;
}
