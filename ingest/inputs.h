/* Input discovery for mnemo-ingest: the command line's files, directories and glob patterns
 * expanded into one sorted list of regular files with their sizes.
 *
 * The order is the byte order of the paths (strcmp), so every rank that expands the same
 * arguments gets the same list, and outputs defined by input position do not depend on the
 * file system's directory order. A file reached twice (named directly and through its
 * directory, or through a symbolic link) is listed once, under its smallest path.
 * Directories are walked recursively, following symbolic links but never into a directory
 * already being walked (no loops). Inside directories, names starting with '.' (hidden
 * files, ".git") are passed over unless asked for; named files are always taken.
 *
 * Every argument must name something: a missing path, a pattern that matches nothing or an
 * unreadable directory is an error naming it, returned before any work starts.
 */
#ifndef MNEMO_INGEST_INPUTS_H
#define MNEMO_INGEST_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ingest_input {
    char *path;
    uint64_t size; /* bytes on disk when listed */
} ingest_input;

typedef struct ingest_inputs {
    ingest_input *items; /* sorted by path */
    size_t count;
    uint64_t total_bytes;
} ingest_inputs;

typedef struct ingest_inputs_options {
    /* fnmatch(3) patterns on the file name (not the directory part) that a file found inside
     * a directory must match, any of them ("*.jsonl.zst", "*.parquet"); none: every file. */
    const char *const *include;
    size_t n_include;
    bool include_hidden; /* also walk names starting with '.' inside directories */
} ingest_inputs_options;

/* Expands `args` (files, directories, glob patterns with * ? [...] and {a,b}) into `inputs`.
 * `options` may be NULL. On error nothing is returned (inputs is left empty). */
mn_status ingest_inputs_collect(const char *const *args, size_t n_args,
                                const ingest_inputs_options *options, ingest_inputs *inputs);

void ingest_inputs_free(ingest_inputs *inputs);

#endif
