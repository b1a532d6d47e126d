/* Shared by the lib/keystone*.c files. */
#ifndef KURYR_KEYSTONE_INTERNAL_H
#define KURYR_KEYSTONE_INTERNAL_H

#include "kuryr/keystone.h"

/* The JSON body of POST /v3/auth/tokens for password or application-credential opts; malloc'd, NULL with
 * err set when a required field is missing. The body holds the secret: never log it. */
char *kuryr_keystone_auth_body(const kuryr_auth_opts *opts, kuryr_error *err);

/* "publicURL" -> "public"; NULL/"" -> "public". Returns a static string or the input. */
const char *kuryr_keystone_interface(const char *interface);

#endif
