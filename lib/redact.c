/* Secret masking for log lines: see kuryr_redact() in include/kuryr/log.h.
 *
 * Two passes over the text. The first masks fernet tokens wherever they appear, because a token can reach a
 * message without any key next to it (a URL, a curl trace). The second masks the value that follows a
 * sensitive key: `"password": "..."`, `token=...`, `X-Auth-Token: ...`. A key is sensitive when its name ends
 * in password, passwd, secret or token, which also covers admin_password, application_credential_secret and
 * the token headers. Masking only ever replaces a non-empty value with "***", so the result is at most three
 * times as long as the input. */
#include "kuryr/log.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK "***"
#define MASK_LEN 3

/* Keystone fernet tokens are base64url and start with the version byte 0x80 and a zero-led timestamp. Real
 * ones are 180+ characters; requiring 40 keeps ordinary words that happen to start with gAAAAA untouched. */
#define FERNET_PREFIX "gAAAAA"
#define FERNET_MIN_LEN 40

static bool is_b64url(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '=';
}

static bool is_ident(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-';
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);
    return len >= n && strncasecmp(s + len - n, suffix, n) == 0;
}

static bool is_sensitive_key(const char *s, size_t len)
{
    return ends_with_ci(s, len, "password") || ends_with_ci(s, len, "passwd") || ends_with_ci(s, len, "secret")
           || ends_with_ci(s, len, "token");
}

/* Headers whose value follows a bare colon; for other keys "token: expired" is prose, not a secret. */
static bool is_token_header(const char *s, size_t len)
{
    return (len == strlen("X-Auth-Token") && strncasecmp(s, "X-Auth-Token", len) == 0)
           || (len == strlen("X-Subject-Token") && strncasecmp(s, "X-Subject-Token", len) == 0);
}

static bool ends_unquoted_value(char c)
{
    return c == '\0' || isspace((unsigned char)c) || strchr(",;&\"'}])", c) != NULL;
}

static char *mask_fernet(const char *s)
{
    size_t len = strlen(s);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (strncmp(s + i, FERNET_PREFIX, strlen(FERNET_PREFIX)) == 0) {
            size_t n = 0;
            while (is_b64url(s[i + n]))
                n++;
            if (n >= FERNET_MIN_LEN) {
                memcpy(out + o, MASK, MASK_LEN);
                o += MASK_LEN;
                i += n;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    out[o] = '\0';
    return out;
}

/* Returns the length of the value at v that should be masked, and in *skip how many characters before it
 * (an opening quote) belong to the value's syntax. */
static size_t value_span(const char *v, char sep, bool header, size_t *skip)
{
    *skip = 0;
    if (*v == '"' || *v == '\'') {
        char q = *v;
        size_t n = 1;
        while (v[n] && v[n] != q) {
            if (v[n] == '\\' && v[n + 1])
                n++;
            n++;
        }
        *skip = 1;
        return n - 1;
    }
    /* Unquoted values after a colon are only secrets in headers; objects and arrays are never masked whole. */
    if ((sep != '=' && !header) || *v == '{' || *v == '[')
        return 0;
    size_t n = 0;
    while (!ends_unquoted_value(v[n]))
        n++;
    return n;
}

static void mask_keyed_values(const char *s, char *out)
{
    size_t o = 0;
    size_t i = 0;
    while (s[i]) {
        if (!is_ident(s[i]) || (i > 0 && is_ident(s[i - 1]))) {
            out[o++] = s[i++];
            continue;
        }
        size_t j = i;
        while (is_ident(s[j]))
            j++;
        memcpy(out + o, s + i, j - i);
        o += j - i;
        if (!is_sensitive_key(s + i, j - i)) {
            i = j;
            continue;
        }
        bool header = is_token_header(s + i, j - i);
        size_t k = j;
        if (s[k] == '"' || s[k] == '\'')
            k++;
        while (s[k] == ' ' || s[k] == '\t')
            k++;
        if (s[k] != ':' && s[k] != '=') {
            i = j;
            continue;
        }
        char sep = s[k++];
        while (s[k] == ' ' || s[k] == '\t')
            k++;
        size_t skip;
        size_t n = value_span(s + k, sep, header, &skip);
        if (n == 0) {
            i = j;
            continue;
        }
        memcpy(out + o, s + j, k + skip - j);
        o += k + skip - j;
        memcpy(out + o, MASK, MASK_LEN);
        o += MASK_LEN;
        i = k + skip + n;
    }
    out[o] = '\0';
}

char *kuryr_redact(const char *s)
{
    if (!s)
        return NULL;
    char *pass1 = mask_fernet(s);
    if (!pass1)
        return NULL;
    char *out = malloc(strlen(pass1) * MASK_LEN + 1);
    if (out)
        mask_keyed_values(pass1, out);
    free(pass1);
    return out;
}
