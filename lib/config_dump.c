/* The sample config and the Markdown reference, both printed from the option table so that neither can
 * drift from what the parser accepts. etc/kuryr.conf.sample and docs/config-reference.md are their output,
 * checked by a unit test. The effective values (--dump-config) come from here too. */
#include "kuryr/config.h"

#include <string.h>

#define SAMPLE_WIDTH 78

static const char *type_name(kuryr_opt_type type)
{
    switch (type) {
    case KURYR_OPT_STR: return "string";
    case KURYR_OPT_BOOL: return "boolean";
    case KURYR_OPT_INT: return "integer";
    case KURYR_OPT_LIST: return "list";
    }
    return "string";
}

static bool new_section(size_t i)
{
    return i == 0 || strcmp(kuryr_options[i].section, kuryr_options[i - 1].section) != 0;
}

/* Prints text as "# "-prefixed lines no wider than SAMPLE_WIDTH, breaking at spaces. */
static void print_wrapped_comment(FILE *out, const char *text)
{
    const size_t width = SAMPLE_WIDTH - 2;
    while (*text) {
        size_t len = strlen(text);
        size_t cut = len;
        if (len > width) {
            cut = width;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = strcspn(text, " ");
        }
        fprintf(out, "# %.*s\n", (int)cut, text);
        text += cut;
        while (*text == ' ')
            text++;
    }
}

static void print_choices(FILE *out, const char *choices, const char *sep, const char *quote)
{
    for (const char *p = choices; p;) {
        const char *bar = strchr(p, '|');
        int len = bar ? (int)(bar - p) : (int)strlen(p);
        fprintf(out, "%s%s%.*s%s", p == choices ? "" : sep, quote, len, p, quote);
        p = bar ? bar + 1 : NULL;
    }
}

void kuryr_config_dump_sample(FILE *out)
{
    fprintf(out, "# Sample kuryr.conf for Kuryr-C: every option, commented out, with its default.\n");
    fprintf(out, "# Generated from lib/options.c by `tools/gen-config-ref --sample`; do not edit.\n");
    for (size_t i = 0; i < kuryr_options_count; i++) {
        const kuryr_opt_def *o = &kuryr_options[i];
        if (new_section(i))
            fprintf(out, "\n[%s]\n", o->section);
        fprintf(out, "\n");
        char help[1024];
        snprintf(help, sizeof(help), "%s (%s value%s)", o->help, type_name(o->type), o->secret ? ", secret" : "");
        print_wrapped_comment(out, help);
        if (o->choices) {
            char allowed[512];
            FILE *m = fmemopen(allowed, sizeof(allowed), "w");
            if (m) {
                fprintf(m, "Allowed values: ");
                print_choices(m, o->choices, ", ", "");
                fputc('\0', m);
                fclose(m);
                allowed[sizeof(allowed) - 1] = '\0';
                print_wrapped_comment(out, allowed);
            }
        }
        if (o->secret || !o->def || !*o->def)
            fprintf(out, "#%s =\n", o->name);
        else
            fprintf(out, "#%s = %s\n", o->name, o->def);
    }
}

/* Table cells cannot hold a bare pipe. */
static void print_cell(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fputc('\\', out);
        fputc(*s, out);
    }
}

void kuryr_config_dump_reference(FILE *out)
{
    fprintf(out, "# Kuryr-C configuration reference\n\n");
    fprintf(out, "<!-- Generated from lib/options.c by tools/gen-config-ref; do not edit by hand. -->\n\n");
    fprintf(out, "Kuryr-C reads upstream Kuryr's `kuryr.conf`: the same sections, option names and defaults. "
                 "Files are given with\n`--config-file` (repeatable) and `--config-dir` (every `*.conf` in it, "
                 "in byte order); later files override\nearlier ones, and `/etc/kuryr/kuryr.conf` is read "
                 "when neither is given. Booleans accept true/false, yes/no,\non/off and 1/0 in any case. "
                 "Lists are comma-separated. Unknown options are logged as warnings and ignored;\nmalformed "
                 "values stop the daemon with an error that names the file, section and option.\n");
    for (size_t i = 0; i < kuryr_options_count; i++) {
        const kuryr_opt_def *o = &kuryr_options[i];
        if (new_section(i)) {
            fprintf(out, "\n## [%s]\n\n", o->section);
            fprintf(out, "| Option | Type | Default | Description |\n|---|---|---|---|\n");
        }
        fprintf(out, "| `%s` | %s | ", o->name, type_name(o->type));
        if (o->secret || !o->def)
            fprintf(out, "unset");
        else if (!*o->def)
            fprintf(out, "empty");
        else
            fprintf(out, "`%s`", o->def);
        fprintf(out, " | ");
        print_cell(out, o->help);
        if (o->choices) {
            fprintf(out, o->type == KURYR_OPT_LIST ? " Items from " : " One of ");
            print_choices(out, o->choices, ", ", "`");
            fprintf(out, ".");
        }
        if (o->secret)
            fprintf(out, " Secret: never logged or printed.");
        fprintf(out, " |\n");
    }
}

void kuryr_config_dump_effective(const kuryr_config *cfg, FILE *out, const char *program)
{
    fprintf(out, "# Effective configuration. Every option is described in docs/config-reference.md and in %s(8).\n",
            program);
    for (size_t i = 0; i < kuryr_options_count; i++) {
        const kuryr_opt_def *o = &kuryr_options[i];
        fprintf(out, "[%s] %s = ", o->section, o->name);
        if (o->secret) {
            fprintf(out, "%s\n", kuryr_config_is_set(cfg, o->section, o->name) ? "***" : "");
            continue;
        }
        switch (o->type) {
        case KURYR_OPT_BOOL:
            fprintf(out, "%s\n", kuryr_config_get_bool(cfg, o->section, o->name) ? "True" : "False");
            break;
        case KURYR_OPT_INT:
            fprintf(out, "%ld\n", kuryr_config_get_int(cfg, o->section, o->name));
            break;
        case KURYR_OPT_LIST: {
            const char *const *l = kuryr_config_get_list(cfg, o->section, o->name);
            for (size_t k = 0; l && l[k]; k++)
                fprintf(out, "%s%s", k ? "," : "", l[k]);
            fprintf(out, "\n");
            break;
        }
        default:
            fprintf(out, "%s\n", kuryr_config_get_str(cfg, o->section, o->name));
        }
    }
}
