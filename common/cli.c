#include "common/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/util.h"
#include "mnemo_version.h"

enum { OPTION_HELP = 1000, OPTION_VERSION = 1001, OPTION_BASE = 2000 };

static bool printing_rank(void) {
    return mn_log_rank() == 0;
}

void mn_cli_print_version(const char *program) {
    if (printing_rank())
        printf("%s %s (mnemo, git %s)\n", program, MNEMO_VERSION, MNEMO_GIT_HASH);
}

static void option_default(const mn_cli_option *o, char *out, size_t size) {
    out[0] = '\0';
    switch (o->type) {
        case MN_OPT_STRING:
        case MN_OPT_CHOICE: {
            const char *v = *(const char **)o->value;
            if (v != NULL && *v)
                snprintf(out, size, "%s", v);
            break;
        }
        case MN_OPT_INT:
            if (*(int64_t *)o->value != 0)
                snprintf(out, size, "%lld", (long long)*(int64_t *)o->value);
            break;
        case MN_OPT_DOUBLE:
            if (*(double *)o->value != 0)
                snprintf(out, size, "%g", *(double *)o->value);
            break;
        case MN_OPT_SIZE: {
            uint64_t v = *(uint64_t *)o->value;
            static const char suffix[] = " KMGT";
            int u = 0;
            while (v != 0 && v % 1024 == 0 && u < 4) {
                v /= 1024;
                u++;
            }
            if (*(uint64_t *)o->value != 0)
                snprintf(out, size, "%llu%.*s", (unsigned long long)v, u ? 1 : 0, suffix + u);
            break;
        }
        case MN_OPT_COUNT:
            if (*(uint64_t *)o->value != 0)
                snprintf(out, size, "%llu", (unsigned long long)*(uint64_t *)o->value);
            break;
        case MN_OPT_FLAG:
        case MN_OPT_LIST:
            break;
    }
}

void mn_cli_print_help(const mn_cli_spec *spec) {
    if (!printing_rank())
        return;
    printf("Usage: %s %s\n", spec->program, spec->usage ? spec->usage : "[OPTIONS]");
    if (spec->summary)
        printf("%s\n", spec->summary);
    printf("\nOptions:\n");
    for (const mn_cli_option *o = spec->options; o && o->name; o++) {
        char left[96];
        int n = snprintf(left, sizeof left, "  %c%c%c --%s", o->short_name ? '-' : ' ',
                         o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name);
        if (o->type != MN_OPT_FLAG && n >= 0 && (size_t)n < sizeof left)
            snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar ? o->metavar : "VALUE");
        char extra[256] = "";
        char def[128];
        option_default(o, def, sizeof def);
        size_t e = 0;
        if (o->type == MN_OPT_CHOICE && o->choices) {
            e += (size_t)snprintf(extra + e, sizeof extra - e, " (one of:");
            for (const char *const *c = o->choices; *c && e < sizeof extra; c++)
                e += (size_t)snprintf(extra + e, sizeof extra - e, " %s", *c);
            if (e < sizeof extra)
                e += (size_t)snprintf(extra + e, sizeof extra - e, ")");
        }
        if (o->required && e < sizeof extra)
            e += (size_t)snprintf(extra + e, sizeof extra - e, " (required)");
        else if (def[0] && e < sizeof extra)
            e += (size_t)snprintf(extra + e, sizeof extra - e, " (default: %s)", def);
        if (o->type == MN_OPT_LIST && e < sizeof extra)
            snprintf(extra + e, sizeof extra - e, " (repeatable)");
        if (strlen(left) <= 30)
            printf("%-32s%s%s\n", left, o->help ? o->help : "", extra);
        else
            printf("%s\n%-32s%s%s\n", left, "", o->help ? o->help : "", extra);
    }
    printf("%-32s%s\n", "  -h, --help", "show this help and exit");
    printf("%-32s%s\n", "      --version", "show the version and exit");
    if (spec->description)
        printf("\n%s\n", spec->description);
}

__attribute__((format(printf, 2, 3))) static int usage_error(const mn_cli_spec *spec,
                                                             const char *fmt, ...) {
    if (printing_rank()) {
        va_list args;
        va_start(args, fmt);
        fprintf(stderr, "%s: ", spec->program);
        vfprintf(stderr, fmt, args);
        fprintf(stderr, "\nTry '%s --help' for more information.\n", spec->program);
        va_end(args);
    }
    return 2;
}

static mn_status list_append(mn_cli_list *list, const char *text) {
    /* Comma-separated values are split, so --input a,b equals --input a --input b. */
    const char *start = text;
    for (;;) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        if (len > 0) {
            void *items = list->items;
            MN_FORWARD_IF_ERROR(mn_realloc_array(&items, list->count + 1, sizeof(char *)));
            list->items = items;
            if ((list->items[list->count] = mn_strndup(start, len)) == NULL)
                return MN_ERR_NOMEM;
            list->count++;
        }
        if (!comma)
            return MN_OK;
        start = comma + 1;
    }
}

void mn_cli_list_free(mn_cli_list *list) {
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    *list = (mn_cli_list){0};
}

static mn_status option_set(mn_cli_option *o, const char *arg) {
    switch (o->type) {
        case MN_OPT_FLAG:
            *(bool *)o->value = true;
            return MN_OK;
        case MN_OPT_STRING:
            *(const char **)o->value = arg;
            return MN_OK;
        case MN_OPT_INT:
            return mn_parse_int64(arg, (int64_t *)o->value);
        case MN_OPT_DOUBLE:
            return mn_parse_double(arg, (double *)o->value);
        case MN_OPT_SIZE:
            return mn_parse_size(arg, (uint64_t *)o->value);
        case MN_OPT_COUNT:
            return mn_parse_count(arg, (uint64_t *)o->value);
        case MN_OPT_LIST:
            return list_append((mn_cli_list *)o->value, arg);
        case MN_OPT_CHOICE:
            for (const char *const *c = o->choices; c && *c; c++) {
                if (strcmp(*c, arg) == 0) {
                    *(const char **)o->value = *c;
                    return MN_OK;
                }
            }
            return mn_error(MN_ERR_ARG, "'%s' is not one of the accepted values", arg);
    }
    return mn_error(MN_ERR_ARG, "unknown option type");
}

bool mn_cli_parse(const mn_cli_spec *spec, int argc, char **argv, int *first_positional,
                  int *exit_code) {
    size_t count = 0;
    while (spec->options && spec->options[count].name)
        count++;
    struct option *longs = mn_calloc(count + 3, sizeof *longs);
    bool *seen = mn_calloc(count + 1, sizeof *seen);
    /* A leading ':' makes getopt report a missing value as ':' rather than '?'. */
    char shorts[256] = ":h";
    size_t s = 2;
    if (longs == NULL || seen == NULL) {
        free(longs);
        free(seen);
        *exit_code = 1;
        fprintf(stderr, "%s: %s\n", spec->program, mn_error_message());
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        const mn_cli_option *o = &spec->options[i];
        longs[i] =
            (struct option){o->name, o->type == MN_OPT_FLAG ? no_argument : required_argument, NULL,
                            OPTION_BASE + (int)i};
        if (o->short_name && s + 2 < sizeof shorts) {
            shorts[s++] = o->short_name;
            if (o->type != MN_OPT_FLAG)
                shorts[s++] = ':';
        }
    }
    longs[count] = (struct option){"help", no_argument, NULL, OPTION_HELP};
    longs[count + 1] = (struct option){"version", no_argument, NULL, OPTION_VERSION};
    shorts[s] = '\0';

    bool go_on = true;
    *exit_code = 0;
    optind = 0; /* full reset: several parses may run in one process */
    opterr = 0;
    int c;
    while (go_on && (c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        int index = -1;
        if (c == 'h' || c == OPTION_HELP) {
            mn_cli_print_help(spec);
            go_on = false;
        } else if (c == OPTION_VERSION) {
            mn_cli_print_version(spec->program);
            go_on = false;
        } else if (c == ':') {
            *exit_code = usage_error(spec, "option '%s' needs a value", argv[optind - 1]);
            go_on = false;
        } else if (c == '?') {
            if (optopt != 0)
                *exit_code = usage_error(spec, "unknown option '-%c'", optopt);
            else
                *exit_code = usage_error(spec, "unknown option '%s'", argv[optind - 1]);
            go_on = false;
        } else if (c >= OPTION_BASE) {
            index = c - OPTION_BASE;
        } else {
            for (size_t i = 0; i < count; i++)
                if (spec->options[i].short_name == c)
                    index = (int)i;
        }
        if (go_on && index >= 0) {
            mn_cli_option *o = &spec->options[index];
            seen[index] = true;
            if (option_set(o, optarg) != MN_OK) {
                *exit_code = usage_error(spec, "--%s: %s", o->name, mn_error_message());
                go_on = false;
            }
        }
    }
    for (size_t i = 0; go_on && i < count; i++) {
        if (spec->options[i].required && !seen[i]) {
            *exit_code = usage_error(spec, "missing required option --%s", spec->options[i].name);
            go_on = false;
        }
    }
    if (go_on) {
        int positional = argc - optind;
        if (positional < spec->min_positional) {
            *exit_code = usage_error(spec, "expected at least %d argument(s), got %d",
                                     spec->min_positional, positional);
            go_on = false;
        } else if (spec->max_positional >= 0 && positional > spec->max_positional) {
            *exit_code =
                usage_error(spec,
                            "expected at most %d argument(s), got %d (first extra: "
                            "'%s')",
                            spec->max_positional, positional, argv[optind + spec->max_positional]);
            go_on = false;
        }
    }
    *first_positional = optind;
    free(longs);
    free(seen);
    return go_on;
}

int mn_cli_dispatch(const char *program, const char *summary, const mn_cli_command *commands,
                    int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : NULL;
    bool help = name == NULL || strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0;
    if (name && strcmp(name, "help") == 0) {
        if (argc > 2) {
            for (const mn_cli_command *c = commands; c->name; c++) {
                if (strcmp(c->name, argv[2]) == 0) {
                    char *sub_argv[] = {argv[2], "--help", NULL};
                    return c->run(2, sub_argv);
                }
            }
        }
        help = true;
    }
    if (name && strcmp(name, "--version") == 0) {
        mn_cli_print_version(program);
        return 0;
    }
    if (help) {
        if (printing_rank()) {
            printf("Usage: %s COMMAND [OPTIONS] [ARGS]\n%s\n\nCommands:\n", program, summary);
            for (const mn_cli_command *c = commands; c->name; c++)
                printf("  %-12s %s\n", c->name, c->summary);
            printf("\nRun '%s COMMAND --help' for the options of one command.\n", program);
        }
        return name == NULL ? 2 : 0;
    }
    for (const mn_cli_command *c = commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c->run(argc - 1, argv + 1);
    if (printing_rank())
        fprintf(stderr, "%s: unknown command '%s'\nRun '%s --help' for the list of commands.\n",
                program, name, program);
    return 2;
}
