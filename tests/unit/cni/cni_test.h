/* Shared by kuryr-cni's unit tests: a fake environment and a run of cni_run with stdout captured. */
#ifndef CNI_TEST_H
#define CNI_TEST_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cni.h"

#define CNI_TEST_MAX_ENV 8

typedef struct {
    const char *name[CNI_TEST_MAX_ENV];
    const char *value[CNI_TEST_MAX_ENV];
} fake_env;

static inline const char *fake_getenv(const char *name, void *ud)
{
    fake_env *env = ud;
    for (int i = 0; i < CNI_TEST_MAX_ENV && env->name[i]; i++)
        if (!strcmp(env->name[i], name))
            return env->value[i];
    return NULL;
}

/* The variables a runtime sets for cmd (ADD/CHECK/DEL get all of them, STATUS/GC only CNI_PATH). */
static inline fake_env full_env(const char *cmd)
{
    fake_env e = {{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH", "CNI_ARGS"},
                  {cmd, "c0ffee01", "/var/run/netns/cni-test", "eth0", "/usr/lib/cni",
                   "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1"}};
    return e;
}

/* Drops one variable from env. */
static inline void env_drop(fake_env *env, const char *name)
{
    for (int i = 0; i < CNI_TEST_MAX_ENV && env->name[i]; i++)
        if (!strcmp(env->name[i], name))
            env->value[i] = NULL;
}

/* Runs cni_run; returns its exit status and the JSON it printed (NULL when nothing or no JSON) in *out. */
static inline int run_cni(fake_env *env, const char *config, json_t **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int status = cni_run(fake_getenv, env, config, strlen(config), f);
    fclose(f);
    *out = len ? json_loads(buf, 0, NULL) : NULL;
    free(buf);
    return status;
}

static inline int json_code(const json_t *doc)
{
    return (int)json_integer_value(json_object_get(doc, "code"));
}

#endif
