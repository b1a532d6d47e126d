/* Configuration: oslo-style INI files with upstream Kuryr's sections, option names and defaults.
 *
 * Every option is declared once in a table (lib/options.c). That table drives parsing, validation,
 * --dump-config and the generated config reference, so they cannot drift apart. */
#ifndef KURYR_CONFIG_H
#define KURYR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum { KURYR_OPT_STR, KURYR_OPT_BOOL, KURYR_OPT_INT, KURYR_OPT_LIST } kuryr_opt_type;

typedef struct {
    const char *section;  /* "DEFAULT", "neutron", "binding", ... */
    const char *name;
    kuryr_opt_type type;
    const char *def;      /* default as it would be written in the file; NULL = unset */
    const char *help;
    bool secret;          /* never printed by --dump-config with a value, never logged */
    const char *choices;  /* optional "a|b|c" for validated strings */
} kuryr_opt_def;

extern const kuryr_opt_def kuryr_options[];
extern const size_t kuryr_options_count;

typedef struct kuryr_config kuryr_config;

/* A config holding only the defaults. */
kuryr_config *kuryr_config_new(void);
void kuryr_config_free(kuryr_config *cfg);

/* Loads one file on top of what is loaded; later files override earlier ones. Unknown options are warned
 * about and ignored. A malformed value fails with a message naming the file, section and key. Returns 0 or -1
 * with the message in err. */
int kuryr_config_load_file(kuryr_config *cfg, const char *path, char *err, size_t errlen);
/* Loads every *.conf in dir in lexical order. */
int kuryr_config_load_dir(kuryr_config *cfg, const char *dir, char *err, size_t errlen);

/* Consumes --config-file PATH / --config-file=PATH (repeatable) and --config-dir DIR from argv, loading them
 * in order, and compacts argv so the caller sees only its own arguments. With neither given, loads
 * /etc/kuryr/kuryr.conf if it exists. Returns 0 or -1 with the message in err. */
int kuryr_config_parse_args(kuryr_config *cfg, int *argc, char **argv, char *err, size_t errlen);

/* Sets one value as if read from a file (used by tests and command-line overrides). */
int kuryr_config_set(kuryr_config *cfg, const char *section, const char *name, const char *value, char *err,
                     size_t errlen);

/* Typed getters. The option must be declared in the table (asking for an undeclared one is a bug: it logs
 * an error and returns the zero value). get_str returns "" for an unset option, never NULL. */
const char *kuryr_config_get_str(const kuryr_config *cfg, const char *section, const char *name);
bool kuryr_config_get_bool(const kuryr_config *cfg, const char *section, const char *name);
long kuryr_config_get_int(const kuryr_config *cfg, const char *section, const char *name);
/* A NULL-terminated array owned by cfg; comma-separated in the file, items trimmed, empties dropped. */
const char *const *kuryr_config_get_list(const kuryr_config *cfg, const char *section, const char *name);
/* True when the option was set by a file or kuryr_config_set, not just defaulted. */
bool kuryr_config_is_set(const kuryr_config *cfg, const char *section, const char *name);

/* Writes a commented sample config (every option, its help, type and default) to out. */
void kuryr_config_dump_sample(FILE *out);
/* Writes the Markdown config reference to out. */
void kuryr_config_dump_reference(FILE *out);
/* Writes the effective values (--dump-config), one "[section] name = value" a line; secrets show only "***"
 * when set. program names the man page the header points to. */
void kuryr_config_dump_effective(const kuryr_config *cfg, FILE *out, const char *program);

/* Loading a file that sets a secret option (a password) while it is readable by others logs a warning. */
#endif
