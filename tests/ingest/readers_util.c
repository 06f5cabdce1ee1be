#include "readers_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "tests/harness/mn_test.h"

static char *copy_or_null(const char *s, size_t n) {
    return s != NULL ? mn_strndup(s, n) : NULL;
}

/* Capacity doubles at powers of two, so appending n documents copies O(n) bytes. */
static bool grow(void **items, size_t count, size_t size) {
    if (count & (count - 1) || (count > 0 && count < 16))
        return true;
    return mn_realloc_array(items, count < 16 ? 16 : count * 2, size) == MN_OK;
}

static bool push_doc(rt_result *result, const ingest_document *doc) {
    void *docs = result->docs;
    if (!grow(&docs, result->n_docs, sizeof *result->docs))
        return false;
    result->docs = docs;
    rt_doc *d = &result->docs[result->n_docs++];
    memset(d, 0, sizeof *d);
    d->text = mn_strndup(doc->text != NULL ? doc->text : "", doc->text_len);
    d->text_len = doc->text_len;
    d->id = copy_or_null(doc->id, doc->id_len);
    d->url = copy_or_null(doc->url, doc->url_len);
    d->extra = copy_or_null(doc->extra_json, doc->extra_json_len);
    d->record = doc->record;
    memcpy(d->location, doc->location, sizeof d->location);
    return d->text != NULL;
}

static bool push_error(rt_result *result, mn_status status, const ingest_reader *reader,
                       const ingest_document *doc) {
    void *errors = result->errors;
    if (!grow(&errors, result->n_errors, sizeof *result->errors))
        return false;
    result->errors = errors;
    rt_error *e = &result->errors[result->n_errors++];
    memset(e, 0, sizeof *e);
    e->status = status;
    snprintf(e->reason, sizeof e->reason, "%s", ingest_reader_reason(reader));
    snprintf(e->message, sizeof e->message, "%s", mn_error_message());
    e->record = doc->record;
    memcpy(e->location, doc->location, sizeof e->location);
    return true;
}

static bool read_all(ingest_reader *reader, rt_result *result) {
    result->format = ingest_reader_format(reader);
    for (long calls = 0; calls < 10000000; calls++) {
        ingest_document doc;
        bool done = false;
        mn_status status = ingest_reader_next(reader, &doc, &done);
        if (status == MN_OK && done) {
            result->bytes_read = ingest_reader_bytes_read(reader);
            result->n_skipped_keys = ingest_reader_skipped_count(reader);
            for (size_t i = 0; i < result->n_skipped_keys && i < 16; i++) {
                const char *key = ingest_reader_skipped(reader, i, &result->skipped_counts[i]);
                snprintf(result->skipped_keys[i], sizeof result->skipped_keys[i], "%s", key);
            }
            return true;
        }
        if (status == MN_OK) {
            MN_ASSERT_TRUE(push_doc(result, &doc));
            continue;
        }
        if (status != MN_ERR_FORMAT && status != MN_ERR_LIMIT && status != MN_ERR_CORRUPT) {
            MN__FAIL(false, "unexpected status %s: %s", mn_status_name(status), mn_error_message());
            return false;
        }
        MN_ASSERT_TRUE(push_error(result, status, reader, &doc));
    }
    MN__FAIL(false, "the reader did not finish within 10 million calls");
    return false;
}

bool rt_read(const char *path, const ingest_reader_options *options, rt_result *result) {
    memset(result, 0, sizeof *result);
    ingest_reader *reader = NULL;
    mn_status status = ingest_reader_open(&reader, path, options);
    MN_ASSERT_OK(status);
    if (status != MN_OK)
        return false;
    bool ok = read_all(reader, result);
    ingest_reader_close(reader);
    return ok;
}

bool rt_read_memory(const void *data, size_t size, const char *name,
                    const ingest_reader_options *options, rt_result *result) {
    memset(result, 0, sizeof *result);
    ingest_reader *reader = NULL;
    mn_status status = ingest_reader_open_memory(&reader, data, size, name, options);
    MN_ASSERT_OK(status);
    if (status != MN_OK)
        return false;
    bool ok = read_all(reader, result);
    ingest_reader_close(reader);
    return ok;
}

void rt_free(rt_result *result) {
    for (size_t i = 0; i < result->n_docs; i++) {
        free(result->docs[i].text);
        free(result->docs[i].id);
        free(result->docs[i].url);
        free(result->docs[i].extra);
    }
    free(result->docs);
    free(result->errors);
    memset(result, 0, sizeof *result);
}

size_t rt_count_reason(const rt_result *result, const char *reason) {
    size_t n = 0;
    for (size_t i = 0; i < result->n_errors; i++)
        n += strcmp(result->errors[i].reason, reason) == 0;
    return n;
}

uint64_t rt_skipped(const rt_result *result, const char *key) {
    for (size_t i = 0; i < result->n_skipped_keys && i < 16; i++)
        if (strcmp(result->skipped_keys[i], key) == 0)
            return result->skipped_counts[i];
    return 0;
}

bool rt_sh(const char *fmt, ...) {
    char command[8192];
    va_list args;
    va_start(args, fmt);
    vsnprintf(command, sizeof command, fmt, args);
    va_end(args);
    char full[8400];
    snprintf(full, sizeof full, "cd '%s' && { %s; }", mn_test_tmpdir(), command);
    int rc = system(full);
    MN__COUNT();
    if (rc != 0) {
        MN__FAIL(false, "fixture command failed (%d): %s", rc, command);
        return false;
    }
    return true;
}

const char *rt_write(const char *name, const char *content) {
    const char *path = mn_test_path(name);
    mn_test_write_file(path, content, strlen(content));
    return path;
}
