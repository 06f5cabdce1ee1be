/* tar (plain or compressed by any of the filters) and zip archives, read with libarchive.
 * Members named *.txt / *.text are plain text (the split options apply), *.jsonl / *.ndjson
 * JSON Lines, *.json one JSON value (an object or an array of objects); each may carry a
 * compression suffix (.gz, .zst, .xz, .bz2, ...), decompressed on the fly by a second
 * libarchive reader fed from the member's data. Other regular members are skipped and
 * counted ("unsupported_member"); directories, links and devices are passed over.
 *
 * Nothing is ever written to disk: member names are only text in messages, ids and
 * locations, so "../../x" or "/etc/x" cannot reach outside anything.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest/reader_impl.h"

typedef enum member_kind { MEMBER_TEXT, MEMBER_JSONL, MEMBER_JSON, MEMBER_OTHER } member_kind;

typedef struct archive_state {
    bool in_member;
    member_kind kind;
    char name[1024];
    char what[1100];       /* "member NAME " */
    struct archive *inner; /* decompresses a compressed member, or NULL */
    bool outer_failed;     /* the archive itself failed while the inner reader pulled data */
    ingest__jsonl_state jsonl;
    ingest__text_state text;
} archive_state;

static bool has_suffix(const char *name, size_t n, const char *suffix) {
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(name + n - k, suffix, k) == 0;
}

/* The kind of a member by its name; *compressed when a compression suffix precedes it. */
static member_kind kind_of(const char *name, bool *compressed) {
    static const char *const compressions[] = {".gz",  ".zst", ".zstd", ".xz",
                                               ".bz2", ".lz4", ".lzma", ".lz"};
    size_t n = strlen(name);
    *compressed = false;
    for (size_t i = 0; i < sizeof compressions / sizeof compressions[0]; i++) {
        if (has_suffix(name, n, compressions[i])) {
            n -= strlen(compressions[i]);
            *compressed = true;
            break;
        }
    }
    if (has_suffix(name, n, ".txt") || has_suffix(name, n, ".text"))
        return MEMBER_TEXT;
    if (has_suffix(name, n, ".jsonl") || has_suffix(name, n, ".ndjson"))
        return MEMBER_JSONL;
    if (has_suffix(name, n, ".json"))
        return MEMBER_JSON;
    return MEMBER_OTHER;
}

/* Metadata that archivers add beside real files (macOS resource forks). */
static bool is_archiver_metadata(const char *name) {
    const char *base = strrchr(name, '/');
    base = base != NULL ? base + 1 : name;
    return strncmp(name, "__MACOSX/", 9) == 0 || strncmp(base, "._", 2) == 0;
}

static la_ssize_t inner_read(struct archive *inner, void *context, const void **buffer) {
    ingest_reader *reader = context;
    archive_state *state = reader->state;
    size_t size = 0;
    la_int64_t offset;
    int rc = archive_read_data_block(reader->archive, buffer, &size, &offset);
    if (rc == ARCHIVE_EOF)
        return 0;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        state->outer_failed = rc == ARCHIVE_FATAL;
        const char *message = archive_error_string(reader->archive);
        archive_set_error(inner, EIO, "%s", message ? message : "unreadable");
        return -1;
    }
    return (la_ssize_t)size;
}

static bool member_recoverable(ingest_reader *reader) {
    archive_state *state = reader->state;
    if (state == NULL || !state->in_member)
        return false;
    return state->inner != NULL ? !state->outer_failed : !reader->stream.fatal;
}

static void end_member(ingest_reader *reader) {
    archive_state *state = reader->state;
    if (state->inner != NULL)
        archive_read_free(state->inner);
    state->inner = NULL;
    state->in_member = false;
}

static mn_status archive_open(ingest_reader *reader) {
    archive_state *state = mn_calloc(1, sizeof *state);
    MN_RETURN_ERROR_IF(state == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    reader->state = state;
    reader->corrupt_recoverable = member_recoverable;
    struct archive *archive = archive_read_new();
    MN_RETURN_ERROR_IF(archive == NULL, MN_ERR_NOMEM, "cannot create a libarchive reader");
    reader->archive = archive;
    MN_FORWARD_IF_ERROR(ingest__archive_support_filters(archive));
    if (archive_read_support_format_tar(archive) != ARCHIVE_OK ||
        archive_read_support_format_gnutar(archive) != ARCHIVE_OK ||
        archive_read_support_format_zip(archive) != ARCHIVE_OK)
        return mn_error(MN_ERR_EXTERNAL, "libarchive: %s", archive_error_string(archive));
    int rc = reader->memory != NULL
                 ? archive_read_open_memory(archive, reader->memory, reader->memory_size)
                 : archive_read_open_filename(archive, reader->path, 1 << 16);
    if (rc != ARCHIVE_OK) {
        reader->reason = "corrupt_archive";
        return mn_error(MN_ERR_CORRUPT, "not a readable tar or zip archive: %s",
                        archive_error_string(archive));
    }
    return MN_OK;
}

/* Moves to the next member that holds documents; *done at the end of the archive. */
static mn_status next_member(ingest_reader *reader, ingest_document *doc, bool *done) {
    archive_state *state = reader->state;
    for (;;) {
        struct archive_entry *entry;
        int rc = archive_read_next_header(reader->archive, &entry);
        if (rc == ARCHIVE_EOF) {
            *done = true;
            return MN_OK;
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            la_int64_t at = archive_filter_bytes(reader->archive, -1);
            snprintf(doc->location, sizeof doc->location, "at byte %lld of the archive",
                     (long long)at);
            return ingest__skip(reader, MN_ERR_CORRUPT, "corrupt_archive", doc->location, "%s",
                                archive_error_string(reader->archive));
        }
        const char *name = archive_entry_pathname(entry);
        if (name == NULL)
            name = "(unnamed)";
        if (archive_entry_filetype(entry) != AE_IFREG) {
            ingest__count_skip(reader, "archive_non_file");
            continue;
        }
        if (is_archiver_metadata(name)) {
            ingest__count_skip(reader, "archive_metadata");
            continue;
        }
        snprintf(state->name, sizeof state->name, "%s", name);
        snprintf(state->what, sizeof state->what, "member %s ", name);
        snprintf(doc->location, sizeof doc->location, "member %s", name);
        bool compressed;
        state->kind = kind_of(name, &compressed);
        if (state->kind == MEMBER_OTHER)
            return ingest__skip(reader, MN_ERR_FORMAT, "unsupported_member", doc->location,
                                "not a .txt, .json or .jsonl file");
        if (archive_entry_is_encrypted(entry))
            return ingest__skip(reader, MN_ERR_FORMAT, "encrypted_member", doc->location,
                                "encrypted");
        memset(&state->text, 0, sizeof state->text);
        ingest__jsonl_state_free(&state->jsonl);
        memset(&state->jsonl, 0, sizeof state->jsonl);
        state->outer_failed = false;
        state->in_member = true;
        if (!compressed) {
            ingest__stream_init(&reader->stream, reader->archive);
            return MN_OK;
        }
        state->inner = archive_read_new();
        MN_RETURN_ERROR_IF(state->inner == NULL, MN_ERR_NOMEM, "cannot create a reader");
        MN_FORWARD_IF_ERROR(ingest__archive_support_filters(state->inner));
        if (archive_read_support_format_raw(state->inner) != ARCHIVE_OK ||
            archive_read_support_format_empty(state->inner) != ARCHIVE_OK)
            return mn_error(MN_ERR_EXTERNAL, "libarchive: %s", archive_error_string(state->inner));
        struct archive_entry *inner_entry;
        rc = archive_read_open(state->inner, reader, NULL, inner_read, NULL);
        if (rc == ARCHIVE_OK)
            rc = archive_read_next_header(state->inner, &inner_entry);
        ingest__stream_init(&reader->stream, state->inner);
        if (rc == ARCHIVE_EOF) {
            reader->stream.eof = true;
        } else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            mn_status status =
                ingest__skip(reader, MN_ERR_CORRUPT, "corrupt_stream", doc->location,
                             "cannot decompress: %s", archive_error_string(state->inner));
            end_member(reader);
            return status;
        }
        return MN_OK;
    }
}

static mn_status archive_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    archive_state *state = reader->state;
    for (;;) {
        if (!state->in_member) {
            mn_status status = next_member(reader, doc, done);
            if (status != MN_OK || *done)
                return status;
        }
        bool member_done = false;
        mn_status status;
        if (state->kind == MEMBER_TEXT) {
            status = ingest__text_next(reader, &reader->stream, &state->text, state->what, doc,
                                       &member_done);
            if (status == MN_OK && !member_done && !reader->split_paragraphs &&
                reader->split_line == NULL) {
                /* A whole member is one document; its name is its id. */
                mn_buf_clear(&reader->id);
                MN_FORWARD_IF_ERROR(mn_buf_append(&reader->id, state->name, strlen(state->name)));
                ingest__doc_finish(reader, doc);
            }
        } else {
            status = ingest__jsonl_next(reader, &reader->stream, &state->jsonl,
                                        state->kind == MEMBER_JSON, state->what, doc, &member_done);
        }
        if (status == MN_OK && member_done) {
            end_member(reader);
            continue;
        }
        return status;
    }
}

static void archive_close(ingest_reader *reader) {
    archive_state *state = reader->state;
    if (state != NULL) {
        if (state->inner != NULL)
            archive_read_free(state->inner);
        ingest__jsonl_state_free(&state->jsonl);
        free(state);
    }
    reader->state = NULL;
    reader->corrupt_recoverable = NULL;
}

const ingest__backend ingest__archive_backend = {archive_open, archive_next, archive_close, NULL};
