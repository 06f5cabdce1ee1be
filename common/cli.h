/* Command-line parsing on getopt_long, shared by every program so that all have --help,
 * --version and the same long-option style (--name VALUE or --name=VALUE).
 *
 *     const char *output = NULL;  int64_t ranks_hint = 0;  bool dry_run = false;
 *     mn_cli_option options[] = {
 *         {"output", 'o', MN_OPT_STRING, &output, "DIR", "where shards go", .required = true},
 *         {"shard-size", 0, MN_OPT_SIZE, &shard_size, "BYTES", "target shard size"},
 *         {"dry-run", 0, MN_OPT_FLAG, &dry_run, NULL, "print what would be done"},
 *         {0}};
 *     mn_cli_spec spec = {"mnemo-ingest", "Clean and deduplicate web corpora.",
 *                         "[OPTIONS] INPUT...", NULL, options, 1, -1};
 *     int first, code;
 *     if (!mn_cli_parse(&spec, argc, argv, &first, &code))
 *         return code;            // --help/--version printed (0) or a usage error (2)
 *
 * This is program-level code: it prints help and errors (rank 0 only under MPI).
 * Values keep their initial contents when an option is absent; that is the default the
 * help text shows.
 */
#ifndef MNEMO_COMMON_CLI_H
#define MNEMO_COMMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum mn_opt_type {
    MN_OPT_FLAG,   /* bool *: set to true when present */
    MN_OPT_STRING, /* const char **: points into argv */
    MN_OPT_INT,    /* int64_t * */
    MN_OPT_DOUBLE, /* double * */
    MN_OPT_SIZE,   /* uint64_t *: bytes with K/M/G/T suffixes (powers of 1024) */
    MN_OPT_COUNT,  /* uint64_t *: a count with k/M/G suffixes (powers of 1000) */
    MN_OPT_LIST,   /* mn_cli_list *: repeatable; each use appends (comma-separated values too) */
    MN_OPT_CHOICE, /* const char **: one of `choices` */
} mn_opt_type;

/* Values of a repeatable option; release with mn_cli_list_free. */
typedef struct mn_cli_list {
    char **items;
    size_t count;
} mn_cli_list;

typedef struct mn_cli_option {
    const char *name; /* long name without "--"; NULL ends the table */
    char short_name;  /* 0 when none */
    mn_opt_type type;
    void *value;
    const char *metavar;        /* placeholder in help ("PATH"); NULL for flags */
    const char *help;           /* one line */
    const char *const *choices; /* MN_OPT_CHOICE: NULL-terminated list */
    bool required;
} mn_cli_option;

typedef struct mn_cli_spec {
    const char *program;     /* "mnemo-ingest", or "mnemo-shard verify" for a subcommand */
    const char *summary;     /* one line under the usage */
    const char *usage;       /* arguments after the program name: "[OPTIONS] INPUT..." */
    const char *description; /* optional text after the options (examples, notes) */
    mn_cli_option *options;
    int min_positional;
    int max_positional; /* -1: no limit */
} mn_cli_spec;

/* Parses options; positional arguments are argv[*first_positional .. argc). Returns true
 * when the program should go on; false when it should exit with *exit_code (0 after
 * --help or --version, 2 after a usage error, which is printed with a hint). */
bool mn_cli_parse(const mn_cli_spec *spec, int argc, char **argv, int *first_positional,
                  int *exit_code);

/* Prints the help text of `spec` to stdout. */
void mn_cli_print_help(const mn_cli_spec *spec);
/* Prints "<program> <version> (mnemo, git <hash>)". */
void mn_cli_print_version(const char *program);

void mn_cli_list_free(mn_cli_list *list);

/* A program with subcommands ("mnemo-shard verify ..."). */
typedef struct mn_cli_command {
    const char *name; /* NULL ends the table */
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
} mn_cli_command;

/* Runs the subcommand named by argv[1] and returns its exit code; handles --help,
 * --version, "help COMMAND" and unknown commands (exit code 2). */
int mn_cli_dispatch(const char *program, const char *summary, const mn_cli_command *commands,
                    int argc, char **argv);

#endif
