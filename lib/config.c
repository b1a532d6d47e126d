/* Configuration loading with oslo.config semantics: see include/kuryr/config.h.
 *
 * Values are converted and validated when they are read, so the getters cannot fail, and a file is applied
 * only after all of it parsed: a bad file leaves the configuration as it was. */
#include "kuryr/config.h"

#include "kuryr/log.h"

#include <dirent.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CONFIG_FILE "/etc/kuryr/kuryr.conf"

typedef struct {
    char *str;   /* NULL = unset */
    long ival;
    bool bval;
    char **list; /* NULL-terminated, never NULL once converted */
    bool set;    /* set by a file or kuryr_config_set */
    bool present;
} opt_value;

struct kuryr_config {
    opt_value *vals;
};

/* Upstream names drivers by Python module; the last component is the driver, which is all we need. */
static const struct {
    const char *section;
    const char *name;
    const char *prefix;
} module_prefixes[] = {
    {"DEFAULT", "default_port_driver", "kuryr_libnetwork.port_driver.drivers."},
    {"DEFAULT", "enabled_port_drivers", "kuryr_libnetwork.port_driver.drivers."},
    {"binding", "default_driver", "kuryr.lib.binding.drivers."},
    {"binding", "enabled_drivers", "kuryr.lib.binding.drivers."},
};

static const char *const empty_list[] = {NULL};

static bool section_matches(const char *want, const char *got)
{
    /* oslo.config folds group names to lower case, except DEFAULT which must be written as is. */
    if (strcmp(want, "DEFAULT") == 0)
        return strcmp(got, "DEFAULT") == 0;
    return strcasecmp(want, got) == 0;
}

static long find_opt(const char *section, const char *name)
{
    for (size_t i = 0; i < kuryr_options_count; i++) {
        if (section_matches(kuryr_options[i].section, section) && strcmp(kuryr_options[i].name, name) == 0)
            return (long)i;
    }
    return -1;
}

static const char *strip_module_prefix(const kuryr_opt_def *def, const char *v)
{
    for (size_t i = 0; i < sizeof(module_prefixes) / sizeof(module_prefixes[0]); i++) {
        size_t n = strlen(module_prefixes[i].prefix);
        if (strcmp(module_prefixes[i].section, def->section) == 0 && strcmp(module_prefixes[i].name, def->name) == 0
            && strncmp(v, module_prefixes[i].prefix, n) == 0)
            return v + n;
    }
    return v;
}

static bool in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static void value_free(opt_value *v)
{
    free(v->str);
    if (v->list) {
        for (char **p = v->list; *p; p++)
            free(*p);
        free(v->list);
    }
    memset(v, 0, sizeof(*v));
}

static int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static char *trimmed_dup(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    return strndup(s, len);
}

static int split_list(const kuryr_opt_def *def, const char *raw, opt_value *out, char *why, size_t whylen)
{
    size_t cap = 2;
    for (const char *p = raw; *p; p++)
        cap += *p == ',';
    out->list = calloc(cap, sizeof(char *));
    if (!out->list) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (const char *p = raw; p;) {
        const char *comma = strchr(p, ',');
        char *item = trimmed_dup(p, comma ? (size_t)(comma - p) : strlen(p));
        p = comma ? comma + 1 : NULL;
        if (!item) {
            snprintf(why, whylen, "out of memory");
            return -1;
        }
        if (!*item) {
            free(item);
            continue;
        }
        const char *norm = strip_module_prefix(def, item);
        if (def->choices && !in_choices(def->choices, norm)) {
            snprintf(why, whylen, "'%s' is not one of %s", item, def->choices);
            free(item);
            return -1;
        }
        if (norm != item)
            memmove(item, norm, strlen(norm) + 1);
        out->list[n++] = item;
    }
    return 0;
}

/* Converts raw (NULL = unset) into out; on failure explains why in why (never quoting a secret). */
static int convert(const kuryr_opt_def *def, const char *raw, opt_value *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof(*out));
    if (!raw) {
        out->list = calloc(1, sizeof(char *));
        return out->list ? 0 : (snprintf(why, whylen, "out of memory"), -1);
    }
    const char *v = def->type == KURYR_OPT_STR ? strip_module_prefix(def, raw) : raw;
    out->str = strdup(v);
    if (!out->str) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int rc = 0;
    switch (def->type) {
    case KURYR_OPT_STR:
        if (def->choices && !in_choices(def->choices, v)) {
            snprintf(why, whylen, "'%s' is not one of %s", raw, def->choices);
            rc = -1;
        }
        break;
    case KURYR_OPT_BOOL:
        if (parse_bool(v, &out->bval) != 0) {
            snprintf(why, whylen, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", raw);
            rc = -1;
        }
        break;
    case KURYR_OPT_INT: {
        char *end = NULL;
        errno = 0;
        out->ival = strtol(v, &end, 10);
        if (!*v || *end || errno) {
            snprintf(why, whylen, "'%s' is not an integer", raw);
            rc = -1;
        }
        break;
    }
    case KURYR_OPT_LIST:
        rc = split_list(def, v, out, why, whylen);
        break;
    }
    if (rc == 0 && !out->list) {
        out->list = calloc(1, sizeof(char *));
        if (!out->list) {
            snprintf(why, whylen, "out of memory");
            rc = -1;
        }
    }
    if (rc != 0)
        value_free(out);
    return rc;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

kuryr_config *kuryr_config_new(void)
{
    kuryr_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    cfg->vals = calloc(kuryr_options_count, sizeof(opt_value));
    if (!cfg->vals) {
        free(cfg);
        return NULL;
    }
    for (size_t i = 0; i < kuryr_options_count; i++) {
        char why[256];
        if (convert(&kuryr_options[i], kuryr_options[i].def, &cfg->vals[i], why, sizeof(why)) != 0) {
            KLOG_ERROR("bad default for [%s] %s: %s", kuryr_options[i].section, kuryr_options[i].name, why);
            kuryr_config_free(cfg);
            return NULL;
        }
    }
    return cfg;
}

void kuryr_config_free(kuryr_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < kuryr_options_count; i++)
        value_free(&cfg->vals[i]);
    free(cfg->vals);
    free(cfg);
}

int kuryr_config_set(kuryr_config *cfg, const char *section, const char *name, const char *value, char *err,
                     size_t errlen)
{
    long idx = find_opt(section, name);
    if (idx < 0)
        return fail(err, errlen, "[%s] %s: no such option", section, name);
    opt_value v;
    char why[256];
    if (convert(&kuryr_options[idx], value, &v, why, sizeof(why)) != 0)
        return fail(err, errlen, "[%s] %s: %s", section, name, why);
    value_free(&cfg->vals[idx]);
    v.set = true;
    cfg->vals[idx] = v;
    return 0;
}

typedef struct {
    const char *path;
    opt_value *pending;
    bool failed;
    bool sets_secret;
    char *err;
    size_t errlen;
} load_ctx;

/* oslo.config drops one pair of matching quotes around a value. */
static char *unquote(const char *value)
{
    size_t len = strlen(value);
    if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0])
        return strndup(value + 1, len - 2);
    return strdup(value);
}

static int on_ini_pair(void *user, const char *section, const char *name, const char *value)
{
    load_ctx *ctx = user;
    if (ctx->failed)
        return 1;
    long idx = find_opt(section, name);
    if (idx < 0) {
        KLOG_WARN("%s: unknown option [%s] %s ignored", ctx->path, section, name);
        return 1;
    }
    const kuryr_opt_def *def = &kuryr_options[idx];
    char *raw = unquote(value);
    opt_value v;
    char why[256];
    if (!raw || convert(def, raw, &v, why, sizeof(why)) != 0) {
        fail(ctx->err, ctx->errlen, "%s: [%s] %s: %s", ctx->path, section, name, raw ? why : "out of memory");
        free(raw);
        ctx->failed = true;
        return 0;
    }
    if (def->secret && *raw)
        ctx->sets_secret = true;
    free(raw);
    value_free(&ctx->pending[idx]);
    v.set = true;
    v.present = true;
    ctx->pending[idx] = v;
    return 1;
}

/* Debian builds inih with a fixed line buffer (200 bytes) and it splits longer lines silently, which would
 * turn the tail of a long value into a bogus line. Reading lines ourselves lets such a line fail clearly. */
typedef struct {
    FILE *f;
    load_ctx *ctx;
    char *line;
    size_t cap;
    int lineno;
} line_reader;

static char *read_line(char *str, int num, void *stream)
{
    line_reader *r = stream;
    if (r->ctx->failed)
        return NULL;
    ssize_t len = getline(&r->line, &r->cap, r->f);
    if (len < 0)
        return NULL;
    r->lineno++;
    if (len >= num) {
        fail(r->ctx->err, r->ctx->errlen, "%s:%d: line longer than %d characters", r->ctx->path, r->lineno,
             num - 2);
        r->ctx->failed = true;
        return NULL;
    }
    memcpy(str, r->line, (size_t)len + 1);
    return str;
}

int kuryr_config_load_file(kuryr_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return fail(err, errlen, "cannot open config file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        return fail(err, errlen, "cannot stat config file %s: %s", path, strerror(e));
    }
    load_ctx ctx = {.path = path, .err = err, .errlen = errlen};
    ctx.pending = calloc(kuryr_options_count, sizeof(opt_value));
    if (!ctx.pending) {
        fclose(f);
        return fail(err, errlen, "%s: out of memory", path);
    }
    line_reader reader = {.f = f, .ctx = &ctx};
    int rc = ini_parse_stream(read_line, &reader, on_ini_pair, &ctx);
    free(reader.line);
    fclose(f);
    if (!ctx.failed && rc > 0)
        fail(err, errlen, "%s:%d: not a valid INI line", path, rc);
    else if (!ctx.failed && rc < 0)
        fail(err, errlen, "%s: out of memory", path);
    bool ok = !ctx.failed && rc == 0;
    for (size_t i = 0; i < kuryr_options_count; i++) {
        if (ok && ctx.pending[i].present) {
            value_free(&cfg->vals[i]);
            cfg->vals[i] = ctx.pending[i];
            cfg->vals[i].present = false;
        } else {
            value_free(&ctx.pending[i]);
        }
    }
    free(ctx.pending);
    if (!ok)
        return -1;
    if (ctx.sets_secret && (st.st_mode & (S_IRGRP | S_IROTH)))
        KLOG_WARN("%s holds a secret but is readable by group or others (mode %03o); chmod 600 it", path,
                  (unsigned)(st.st_mode & 0777));
    return 0;
}

static int is_conf_entry(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".conf") == 0;
}

/* Byte order, not the locale's collation: the load order must not depend on LANG. */
static int bytewise(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int kuryr_config_load_dir(kuryr_config *cfg, const char *dir, char *err, size_t errlen)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, is_conf_entry, bytewise);
    if (n < 0)
        return fail(err, errlen, "cannot read config dir %s: %s", dir, strerror(errno));
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX];
        struct stat st;
        if (rc == 0 && snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) < (int)sizeof(path)
            && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = kuryr_config_load_file(cfg, path, err, errlen);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* Returns the option's value if arg is "--opt VALUE" or "--opt=VALUE" (advancing *i past VALUE), "" for a
 * missing VALUE, or NULL if arg is something else. */
static const char *option_value(const char *opt, int *i, int argc, char **argv)
{
    size_t n = strlen(opt);
    const char *arg = argv[*i];
    if (strncmp(arg, opt, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0')
        return NULL;
    if (*i + 1 >= argc)
        return "";
    return argv[++*i];
}

int kuryr_config_parse_args(kuryr_config *cfg, int *argc, char **argv, char *err, size_t errlen)
{
    bool loaded = false;
    int out = *argc > 0 ? 1 : 0;
    for (int i = out; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            while (i < *argc)
                argv[out++] = argv[i++];
            break;
        }
        const char *file = option_value("--config-file", &i, *argc, argv);
        const char *dir = file ? NULL : option_value("--config-dir", &i, *argc, argv);
        if (!file && !dir) {
            argv[out++] = argv[i];
            continue;
        }
        if (file && !*file)
            return fail(err, errlen, "--config-file needs a path");
        if (dir && !*dir)
            return fail(err, errlen, "--config-dir needs a directory");
        int rc = file ? kuryr_config_load_file(cfg, file, err, errlen) : kuryr_config_load_dir(cfg, dir, err, errlen);
        if (rc != 0)
            return -1;
        loaded = true;
    }
    *argc = out;
    argv[out] = NULL;
    if (!loaded && access(DEFAULT_CONFIG_FILE, F_OK) == 0)
        return kuryr_config_load_file(cfg, DEFAULT_CONFIG_FILE, err, errlen);
    return 0;
}

static const opt_value *lookup(const kuryr_config *cfg, const char *section, const char *name,
                               kuryr_opt_type type)
{
    long idx = find_opt(section, name);
    if (idx < 0) {
        KLOG_ERROR("bug: config option [%s] %s is not declared", section, name);
        return NULL;
    }
    if (kuryr_options[idx].type != type) {
        KLOG_ERROR("bug: config option [%s] %s read with the wrong type", section, name);
        return NULL;
    }
    return &cfg->vals[idx];
}

const char *kuryr_config_get_str(const kuryr_config *cfg, const char *section, const char *name)
{
    const opt_value *v = lookup(cfg, section, name, KURYR_OPT_STR);
    return v && v->str ? v->str : "";
}

bool kuryr_config_get_bool(const kuryr_config *cfg, const char *section, const char *name)
{
    const opt_value *v = lookup(cfg, section, name, KURYR_OPT_BOOL);
    return v ? v->bval : false;
}

long kuryr_config_get_int(const kuryr_config *cfg, const char *section, const char *name)
{
    const opt_value *v = lookup(cfg, section, name, KURYR_OPT_INT);
    return v ? v->ival : 0;
}

const char *const *kuryr_config_get_list(const kuryr_config *cfg, const char *section, const char *name)
{
    const opt_value *v = lookup(cfg, section, name, KURYR_OPT_LIST);
    return v ? (const char *const *)v->list : empty_list;
}

bool kuryr_config_is_set(const kuryr_config *cfg, const char *section, const char *name)
{
    long idx = find_opt(section, name);
    return idx >= 0 && cfg->vals[idx].set;
}
