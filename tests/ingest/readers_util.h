/* Helpers of the reader tests: read a whole input into arrays of documents and skip
 * messages, run fixture commands (the independent tools that write the test files). */
#ifndef MNEMO_TESTS_INGEST_READERS_UTIL_H
#define MNEMO_TESTS_INGEST_READERS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest/reader.h"

typedef struct rt_doc {
    char *text; /* NUL-terminated copies */
    size_t text_len;
    char *id;  /* NULL when absent */
    char *url; /* NULL when absent */
    char *extra;
    uint64_t record;
    char location[160];
} rt_doc;

typedef struct rt_error {
    mn_status status;
    char reason[64];
    char message[1024];
    uint64_t record;
    char location[160];
} rt_error;

typedef struct rt_result {
    ingest_format format;
    rt_doc *docs;
    size_t n_docs;
    rt_error *errors;
    size_t n_errors;
    uint64_t bytes_read;
    size_t n_skipped_keys;
    char skipped_keys[16][48];
    uint64_t skipped_counts[16];
} rt_result;

/* Opens and reads `path` to its end (at most 10 million calls, so a reader that would loop
 * fails the test instead of hanging it). Records a test failure and returns false when the
 * open fails or a call returns an unexpected status. */
bool rt_read(const char *path, const ingest_reader_options *options, rt_result *result);
bool rt_read_memory(const void *data, size_t size, const char *name,
                    const ingest_reader_options *options, rt_result *result);
void rt_free(rt_result *result);

/* How many errors carry `reason`. */
size_t rt_count_reason(const rt_result *result, const char *reason);
/* The count of a silent skip key, 0 when absent. */
uint64_t rt_skipped(const rt_result *result, const char *key);

/* Runs a shell command in the test's directory; records a failure when it does not exit 0. */
bool rt_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Writes a fixture file under the test directory and returns its path (static, rotated). */
const char *rt_write(const char *name, const char *content);

#endif
