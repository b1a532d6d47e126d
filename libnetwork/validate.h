/* Input checks for Docker plugin requests: everything Docker sends is validated before it reaches Neutron. */
#ifndef KL_VALIDATE_H
#define KL_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/error.h"

/* Docker network and endpoint ids: exactly 64 lowercase hex characters. */
bool kl_valid_id(const char *s);
/* A sandbox key is an absolute path to a netns file: no "..", no spaces or control characters. */
bool kl_valid_sandbox_key(const char *s);
/* An IPv4 or IPv6 address without prefix; family is set to 4 or 6 when non-NULL. */
bool kl_valid_ip(const char *s, int *family);
/* "addr/len" with len in range for the family. */
bool kl_valid_cidr(const char *s, int *family);
/* A MAC address as aa:bb:cc:dd:ee:ff. */
bool kl_valid_mac(const char *s);

/* Typed accessors on a request object. A missing or null member gives NULL (an error when required); a
 * member of the wrong type is a bad request naming the key. */
int kl_get_str(json_t *obj, const char *key, bool required, const char **out, kuryr_error *err);
int kl_get_id(json_t *obj, const char *key, const char **out, kuryr_error *err);
int kl_get_obj(json_t *obj, const char *key, json_t **out, kuryr_error *err);
int kl_get_arr(json_t *obj, const char *key, json_t **out, kuryr_error *err);
/* A boolean option given as a JSON bool or as "true"/"false"/"1"/"0"/"yes"/"no" (docker -o passes strings). */
int kl_opt_bool(json_t *obj, const char *key, bool def, bool *out, kuryr_error *err);

#endif
