/* The reader interface (reader.h): options, format detection, dispatch to the back ends,
 * and the helpers every back end uses for documents and skipped records. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "ingest/reader_impl.h"

static const char *const format_names[INGEST_FORMAT_COUNT] = {
    [INGEST_FORMAT_AUTO] = "auto",       [INGEST_FORMAT_JSONL] = "jsonl",
    [INGEST_FORMAT_PARQUET] = "parquet", [INGEST_FORMAT_ARCHIVE] = "archive",
    [INGEST_FORMAT_WARC] = "warc",       [INGEST_FORMAT_WET] = "wet",
    [INGEST_FORMAT_TEXT] = "text",
};

const char *ingest_format_name(ingest_format format) {
    return (unsigned)format < INGEST_FORMAT_COUNT ? format_names[format] : "unknown";
}

mn_status ingest_format_parse(const char *name, ingest_format *format) {
    for (int i = 0; i < INGEST_FORMAT_COUNT; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *format = (ingest_format)i;
            return MN_OK;
        }
    }
    return mn_error(MN_ERR_ARG,
                    "unknown input format '%s'; use one of auto, jsonl, parquet, archive, warc, "
                    "wet, text",
                    name);
}

/* ---- detection ---------------------------------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* Length of `name` without its compression suffix (".gz", ".zst", ...). */
static size_t strip_compression_suffix(const char *name, size_t n) {
    static const char *const suffixes[] = {".gz",  ".gzip", ".zst", ".zstd", ".xz",
                                           ".bz2", ".lz4",  ".lz",  ".lzma", ".z"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (ends_with(name, n, suffixes[i]))
            return n - strlen(suffixes[i]);
    return n;
}

static ingest_format format_from_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t full = strlen(base), n = strip_compression_suffix(base, full);
    if (ends_with(base, full, ".tgz") || ends_with(base, full, ".tbz2") ||
        ends_with(base, full, ".txz") || ends_with(base, full, ".tzst") ||
        ends_with(base, n, ".tar") || ends_with(base, full, ".zip"))
        return INGEST_FORMAT_ARCHIVE;
    if (ends_with(base, n, ".jsonl") || ends_with(base, n, ".ndjson") ||
        ends_with(base, n, ".json"))
        return INGEST_FORMAT_JSONL;
    if (ends_with(base, full, ".parquet"))
        return INGEST_FORMAT_PARQUET;
    if (ends_with(base, n, ".wet"))
        return INGEST_FORMAT_WET;
    if (ends_with(base, n, ".warc") || ends_with(base, n, ".arc"))
        return INGEST_FORMAT_WARC;
    if (ends_with(base, n, ".txt") || ends_with(base, n, ".text"))
        return INGEST_FORMAT_TEXT;
    return INGEST_FORMAT_AUTO;
}

/* Plausibly text: no NUL byte, almost no other control characters, and at most 1 in 8
 * bytes outside valid UTF-8 (so Latin-1 text passes and binary data does not). */
static bool looks_like_text(const uint8_t *head, size_t n) {
    size_t bad = 0, control = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = head[i];
        if (c == 0)
            return false;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1b)
            control++;
        size_t len = ingest_utf8_sequence_length(head + i, n - i);
        if (len == 0) {
            /* A sequence cut by the end of the sample is not evidence of binary data. */
            if (n - i < 4)
                break;
            bad++;
            len = 1;
        }
        i += len;
    }
    return bad * 8 <= n && control * 100 <= n;
}

ingest_format ingest__detect(const uint8_t *head, size_t n, const char *name, bool compressed) {
    if (n >= 4 && memcmp(head, "PAR1", 4) == 0 && !compressed)
        return INGEST_FORMAT_PARQUET;
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' &&
        ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
        return INGEST_FORMAT_ARCHIVE;
    if (n >= 262 && memcmp(head + 257, "ustar", 5) == 0)
        return INGEST_FORMAT_ARCHIVE;
    if (n >= 5 && memcmp(head, "WARC/", 5) == 0) {
        ingest_format by_name = format_from_name(name);
        if (by_name == INGEST_FORMAT_WET)
            return INGEST_FORMAT_WET;
        /* Common Crawl's WET files hold a warcinfo record, then conversion records. */
        static const char conversion[] = "WARC-Type: conversion";
        for (size_t i = 0; i + sizeof conversion - 1 <= n; i++)
            if (head[i] == 'W' && memcmp(head + i, conversion, sizeof conversion - 1) == 0)
                return INGEST_FORMAT_WET;
        return INGEST_FORMAT_WARC;
    }
    ingest_format by_name = format_from_name(name);
    if (by_name != INGEST_FORMAT_AUTO)
        return by_name;
    size_t i = n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i < n && (head[i] == '{' || head[i] == '['))
        return INGEST_FORMAT_JSONL;
    if (n > 0 && looks_like_text(head, n))
        return INGEST_FORMAT_TEXT;
    return INGEST_FORMAT_AUTO;
}

/* Compression formats libarchive's filters read, by their magic bytes. */
static bool is_compressed(const uint8_t *head, size_t n) {
    static const struct {
        const char *magic;
        size_t len;
    } magics[] = {
        {"\x1f\x8b", 2},         /* gzip */
        {"\x28\xb5\x2f\xfd", 4}, /* zstd */
        {"\xfd"
         "7zXZ\x00",
         6},                     /* xz */
        {"BZh", 3},              /* bzip2 */
        {"\x04\x22\x4d\x18", 4}, /* lz4 */
        {"LZIP", 4},             /* lzip */
        {"\x1f\x9d", 2},         /* compress */
        {"\x5d\x00\x00", 3},     /* lzma (alone) */
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (n >= magics[i].len && memcmp(head, magics[i].magic, magics[i].len) == 0)
            return true;
    return false;
}

enum { DETECT_HEAD = 64 * 1024 };

/* Reads up to DETECT_HEAD bytes of the decompressed content for detection. A stream that
 * cannot be decompressed from its start returns the error (message set); what could be
 * read before a later error is kept. */
static mn_status decompressed_head(ingest_reader *reader, uint8_t *head, size_t *n) {
    struct archive *archive = NULL;
    bool empty;
    *n = 0;
    MN_FORWARD_IF_ERROR(ingest__archive_open_raw(&archive, reader->path, reader->memory,
                                                 reader->memory_size, &empty));
    mn_status status = MN_OK;
    while (!empty && *n < DETECT_HEAD) {
        la_ssize_t got = archive_read_data(archive, head + *n, DETECT_HEAD - *n);
        if (got < 0 && *n == 0)
            status = mn_error(MN_ERR_CORRUPT, "%s", archive_error_string(archive));
        if (got <= 0)
            break;
        *n += (size_t)got;
    }
    archive_read_free(archive);
    return status;
}

static mn_status read_head(ingest_reader *reader, uint8_t *head, size_t *n) {
    if (reader->memory != NULL) {
        *n = reader->memory_size < DETECT_HEAD ? reader->memory_size : DETECT_HEAD;
        memcpy(head, reader->memory, *n);
        return MN_OK;
    }
    int fd = open(reader->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return mn_error_errno(MN_ERR_IO, "%s: cannot open", reader->path);
    size_t done = 0;
    while (done < DETECT_HEAD) {
        ssize_t got = read(fd, head + done, DETECT_HEAD - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            mn_status status = mn_error_errno(MN_ERR_IO, "%s: cannot read", reader->path);
            close(fd);
            return status;
        }
        if (got == 0)
            break;
        done += (size_t)got;
    }
    close(fd);
    *n = done;
    return MN_OK;
}

mn_status ingest_format_detect(const char *path, ingest_format *format) {
    ingest_reader reader = {.path = (char *)path};
    uint8_t *head = mn_malloc(DETECT_HEAD);
    MN_RETURN_ERROR_IF(head == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    size_t n = 0;
    mn_status status = read_head(&reader, head, &n);
    if (status == MN_OK) {
        bool compressed = is_compressed(head, n);
        if (compressed && decompressed_head(&reader, head, &n) != MN_OK)
            n = 0;
        *format = ingest__detect(head, n, path, compressed);
        mn_error_clear();
    }
    free(head);
    return status;
}

/* ---- skipped records and documents ----------------------------------------------------- */

mn_status ingest__skip(ingest_reader *reader, mn_status status, const char *reason,
                       const char *location, const char *fmt, ...) {
    char what[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    const char *tail = "skipped";
    if (status == MN_ERR_CORRUPT && reader->corrupt_recoverable != NULL &&
        reader->corrupt_recoverable(reader)) {
        status = MN_ERR_FORMAT;
        reason = "corrupt_member";
        tail = "the rest of the member is skipped";
    } else if (status == MN_ERR_CORRUPT) {
        reader->stop_after_error = true;
        tail = "the rest of the file is skipped";
    }
    reader->reason = reason;
    if (location != NULL && location[0] != '\0')
        return mn_error(status, "%s: %s: %s; %s", reader->path, location, what, tail);
    return mn_error(status, "%s: %s; %s", reader->path, what, tail);
}

mn_status ingest__empty_file(ingest_reader *reader) {
    mn_status status =
        ingest__skip(reader, MN_ERR_FORMAT, "empty_file", NULL, "no data after decompression");
    reader->stop_after_error = true;
    return status;
}

void ingest__count_skip(ingest_reader *reader, const char *key) {
    for (size_t i = 0; i < reader->n_skip_keys; i++) {
        if (strcmp(reader->skip_keys[i], key) == 0) {
            reader->skip_counts[i]++;
            return;
        }
    }
    if (reader->n_skip_keys < INGEST__MAX_SKIP_KEYS) {
        reader->skip_keys[reader->n_skip_keys] = key;
        reader->skip_counts[reader->n_skip_keys++] = 1;
    }
}

void ingest__doc_reset(ingest_reader *reader, ingest_document *doc) {
    memset(doc, 0, sizeof *doc);
    mn_buf_clear(&reader->text);
    mn_buf_clear(&reader->id);
    mn_buf_clear(&reader->url);
    mn_buf_clear(&reader->extra);
}

void ingest__doc_finish(ingest_reader *reader, ingest_document *doc) {
    static const char empty[1] = "";
    doc->text = reader->text.data != NULL ? (const char *)reader->text.data : empty;
    doc->text_len = reader->text.len;
    if (reader->id.len > 0) {
        doc->id = (const char *)reader->id.data;
        doc->id_len = reader->id.len;
    }
    if (reader->url.len > 0) {
        doc->url = (const char *)reader->url.data;
        doc->url_len = reader->url.len;
    }
    if (reader->extra.len > 0) {
        doc->extra_json = (const char *)reader->extra.data;
        doc->extra_json_len = reader->extra.len;
    }
}

mn_status ingest__extra_begin_member(ingest_reader *reader, const char *key, size_t key_len) {
    if (reader->extra.len > 0)
        MN_FORWARD_IF_ERROR(mn_buf_append_byte(&reader->extra, ','));
    MN_FORWARD_IF_ERROR(ingest_json_append_string(&reader->extra, key, key_len));
    return mn_buf_append_byte(&reader->extra, ':');
}

/* ---- open, next, close ----------------------------------------------------------------- */

static const ingest__backend *backend_of(ingest_format format) {
    switch (format) {
        case INGEST_FORMAT_JSONL:
            return &ingest__jsonl_backend;
        case INGEST_FORMAT_TEXT:
            return &ingest__text_backend;
        case INGEST_FORMAT_ARCHIVE:
            return &ingest__archive_backend;
        case INGEST_FORMAT_WARC:
        case INGEST_FORMAT_WET:
            return &ingest__warc_backend;
        case INGEST_FORMAT_PARQUET:
            return &ingest__parquet_backend;
        default:
            return NULL;
    }
}

static mn_status copy_options(ingest_reader *reader, const ingest_reader_options *options) {
    reader->format = options->format;
    reader->split_paragraphs = options->split_paragraphs;
    reader->max_record_bytes =
        options->max_record_bytes ? options->max_record_bytes : (size_t)64 << 20;
    if (options->text_field != NULL) {
        MN_RETURN_ERROR_IF(options->text_field[0] == '\0', MN_ERR_ARG,
                           "the text field name is empty");
        reader->text_field = mn_strdup(options->text_field);
        MN_RETURN_ERROR_IF(reader->text_field == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    }
    if (options->split_line != NULL) {
        reader->split_line = mn_strdup(options->split_line);
        MN_RETURN_ERROR_IF(reader->split_line == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
        reader->split_line_len = strlen(reader->split_line);
    }
    if (options->n_keep_fields > 0) {
        reader->keep_fields = mn_calloc(options->n_keep_fields, sizeof *reader->keep_fields);
        MN_RETURN_ERROR_IF(reader->keep_fields == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
        for (size_t i = 0; i < options->n_keep_fields; i++) {
            reader->keep_fields[i] = mn_strdup(options->keep_fields[i]);
            MN_RETURN_ERROR_IF(reader->keep_fields[i] == NULL, MN_ERR_NOMEM, "%s",
                               mn_error_message());
            reader->n_keep_fields = i + 1;
        }
    }
    return MN_OK;
}

/* A back end whose input could not be read at all reports it once from next(). */
typedef struct failed_state {
    mn_status status;
    const char *reason;
    char message[1024];
} failed_state;

static mn_status failed_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    failed_state *state = reader->state;
    reader->reason = state->reason;
    reader->stop_after_error = true;
    return mn_error(state->status, "%s", state->message);
}

static void failed_close(ingest_reader *reader) {
    free(reader->state);
    reader->state = NULL;
}

static uint64_t failed_bytes(const ingest_reader *reader) {
    return reader->file_size;
}

static const ingest__backend failed_backend = {NULL, failed_next, failed_close, failed_bytes};

static mn_status set_failed(ingest_reader *reader, mn_status status, const char *reason,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static mn_status set_failed(ingest_reader *reader, mn_status status, const char *reason,
                            const char *fmt, ...) {
    failed_state *state = mn_calloc(1, sizeof *state);
    MN_RETURN_ERROR_IF(state == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    va_list args;
    va_start(args, fmt);
    vsnprintf(state->message, sizeof state->message, fmt, args);
    va_end(args);
    state->status = status;
    state->reason = reason;
    reader->backend = &failed_backend;
    reader->state = state;
    return MN_OK;
}

static mn_status open_common(ingest_reader **out, const char *path, const void *memory,
                             size_t memory_size, const ingest_reader_options *options) {
    static const ingest_reader_options defaults = {0};
    if (options == NULL)
        options = &defaults;
    MN_RETURN_ERROR_IF((unsigned)options->format >= INGEST_FORMAT_COUNT, MN_ERR_ARG,
                       "invalid input format %d", (int)options->format);
    if (memory == NULL) {
        struct stat st;
        if (stat(path, &st) != 0)
            return mn_error_errno(errno == ENOENT ? MN_ERR_NOT_FOUND : MN_ERR_IO,
                                  "%s: cannot read the input", path);
        MN_RETURN_ERROR_IF(S_ISDIR(st.st_mode), MN_ERR_ARG,
                           "%s: is a directory; pass its files (input discovery expands "
                           "directories)",
                           path);
    }
    ingest_reader *reader = mn_calloc(1, sizeof *reader);
    MN_RETURN_ERROR_IF(reader == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    uint8_t *head = NULL;
    mn_status status = MN_OK;
    reader->path = mn_strdup(path);
    if (reader->path == NULL)
        MN_GOTO_IF_ERROR(status, MN_ERR_NOMEM, fail);
    MN_GOTO_IF_ERROR(status, copy_options(reader, options), fail);
    reader->memory = memory;
    reader->memory_size = memory_size;
    if (memory == NULL) {
        MN_GOTO_IF_ERROR(status, mn_file_size(path, &reader->file_size), fail);
    } else {
        reader->file_size = memory_size;
    }
    head = mn_malloc(DETECT_HEAD);
    if (head == NULL)
        MN_GOTO_IF_ERROR(status, MN_ERR_NOMEM, fail);
    size_t n = 0;
    MN_GOTO_IF_ERROR(status, read_head(reader, head, &n), fail);
    if (n == 0) {
        MN_GOTO_IF_ERROR(
            status,
            set_failed(reader, MN_ERR_FORMAT, "empty_file", "%s: empty file; skipped", path), fail);
    } else {
        mn_status decompressed = MN_OK;
        if (reader->format == INGEST_FORMAT_AUTO) {
            bool compressed = is_compressed(head, n);
            if (compressed)
                decompressed = decompressed_head(reader, head, &n);
            reader->format = ingest__detect(head, n, path, compressed);
            if (compressed && decompressed == MN_OK && n == 0)
                reader->format = INGEST_FORMAT_TEXT; /* its reader reports "empty_file" */
        }
        reader->backend = backend_of(reader->format);
        if (reader->backend == NULL && decompressed != MN_OK) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            MN_GOTO_IF_ERROR(status,
                             set_failed(reader, MN_ERR_CORRUPT, "corrupt_stream",
                                        "%s: looks compressed but cannot be decompressed (%s); "
                                        "the file is skipped",
                                        path, message),
                             fail);
        } else if (reader->backend == NULL) {
            MN_GOTO_IF_ERROR(status,
                             set_failed(reader, MN_ERR_FORMAT, "unknown_format",
                                        "%s: not a format mnemo reads (jsonl, parquet, tar/zip, "
                                        "WARC/WET, text); skipped (name the format with --format "
                                        "if detection is wrong)",
                                        path),
                             fail);
        } else {
            status = reader->backend->open(reader);
            if (status == MN_ERR_NOMEM || status == MN_ERR_IO || status == MN_ERR_ARG ||
                status == MN_ERR_NOT_FOUND)
                goto fail;
            if (status != MN_OK) {
                /* Damaged content: reported by the first next() so the job goes on. */
                char message[1024];
                snprintf(message, sizeof message, "%s", mn_error_message());
                if (reader->backend->close != NULL)
                    reader->backend->close(reader);
                reader->state = NULL;
                const char *reason = reader->reason != NULL ? reader->reason : "corrupt_file";
                MN_GOTO_IF_ERROR(status,
                                 set_failed(reader, MN_ERR_CORRUPT, reason,
                                            "%s: %s; the file is skipped", path, message),
                                 fail);
            }
        }
    }
    free(head);
    *out = reader;
    return MN_OK;
fail:
    free(head);
    ingest_reader_close(reader);
    return status;
}

mn_status ingest_reader_open(ingest_reader **reader, const char *path,
                             const ingest_reader_options *options) {
    return open_common(reader, path, NULL, 0, options);
}

mn_status ingest_reader_open_memory(ingest_reader **reader, const void *data, size_t size,
                                    const char *name, const ingest_reader_options *options) {
    static const uint8_t empty[1];
    return open_common(reader, name, data != NULL ? data : empty, data != NULL ? size : 0, options);
}

mn_status ingest_reader_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    *done = false;
    if (reader->done || reader->stop_after_error) {
        reader->done = true;
        *done = true;
        memset(doc, 0, sizeof *doc);
        return MN_OK;
    }
    ingest__doc_reset(reader, doc);
    reader->reason = NULL;
    mn_status status = reader->backend->next(reader, doc, done);
    if (*done)
        reader->done = true;
    return status;
}

const char *ingest_reader_reason(const ingest_reader *reader) {
    return reader->reason != NULL ? reader->reason : "";
}

uint64_t ingest_reader_bytes_read(const ingest_reader *reader) {
    if (reader->done)
        return reader->file_size;
    if (reader->backend != NULL && reader->backend->bytes_read != NULL)
        return reader->backend->bytes_read(reader);
    if (reader->archive != NULL) {
        la_int64_t bytes = archive_filter_bytes(reader->archive, -1);
        return bytes > 0 ? (uint64_t)bytes : 0;
    }
    return 0;
}

ingest_format ingest_reader_format(const ingest_reader *reader) {
    return reader->format;
}

size_t ingest_reader_skipped_count(const ingest_reader *reader) {
    return reader->n_skip_keys;
}

const char *ingest_reader_skipped(const ingest_reader *reader, size_t i, uint64_t *count) {
    if (i >= reader->n_skip_keys)
        return NULL;
    if (count != NULL)
        *count = reader->skip_counts[i];
    return reader->skip_keys[i];
}

void ingest_reader_close(ingest_reader *reader) {
    if (reader == NULL)
        return;
    if (reader->backend != NULL && reader->backend->close != NULL)
        reader->backend->close(reader);
    if (reader->archive != NULL)
        archive_read_free(reader->archive);
    ingest__stream_free(&reader->stream);
    free(reader->path);
    free(reader->text_field);
    free(reader->split_line);
    for (size_t i = 0; i < reader->n_keep_fields; i++)
        free(reader->keep_fields[i]);
    free(reader->keep_fields);
    mn_buf_free(&reader->text);
    mn_buf_free(&reader->id);
    mn_buf_free(&reader->url);
    mn_buf_free(&reader->extra);
    ingest_json_members_free(&reader->members);
    free(reader);
}
