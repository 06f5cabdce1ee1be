/* JSON Lines, plain or compressed (gzip, zstd, xz, bzip2, ... through libarchive's raw
 * format and its filters), and JSON documents holding an array of objects. The record
 * parsing is shared with archive members (read_archive.c). */
#include <archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "ingest/reader_impl.h"

static const char *const default_text_fields[] = {"text", "content", "raw_content"};

static const char *type_name(ingest_json_type type) {
    switch (type) {
        case INGEST_JSON_NULL:
            return "null";
        case INGEST_JSON_FALSE:
        case INGEST_JSON_TRUE:
            return "a boolean";
        case INGEST_JSON_NUMBER:
            return "a number";
        case INGEST_JSON_STRING:
            return "a string";
        case INGEST_JSON_ARRAY:
            return "an array";
        default:
            return "an object";
    }
}

static bool is_reserved_field(const ingest_reader *reader, const char *name,
                              const char *text_name) {
    return strcmp(name, "id") == 0 || strcmp(name, "url") == 0 || strcmp(name, text_name) == 0;
}

mn_status ingest__json_record(ingest_reader *reader, const char *data, size_t len,
                              ingest_document *doc, const char **reason) {
    ingest_json_span value;
    ingest_json_members *members = &reader->members;
    *reason = "bad_json";
    MN_FORWARD_IF_ERROR(ingest_json_parse(data, len, &value, members));
    MN_RETURN_ERROR_IF(value.type != INGEST_JSON_OBJECT, MN_ERR_FORMAT,
                       "a JSON object was expected, found %s", type_name(value.type));
    const ingest_json_member *text = NULL;
    const char *text_name;
    if (reader->text_field != NULL) {
        text_name = reader->text_field;
        text = ingest_json_find(members, text_name, strlen(text_name));
    } else {
        text_name = default_text_fields[0];
        for (size_t i = 0; i < 3 && text == NULL; i++) {
            text =
                ingest_json_find(members, default_text_fields[i], strlen(default_text_fields[i]));
            if (text != NULL)
                text_name = default_text_fields[i];
        }
    }
    if (text == NULL || text->value.type == INGEST_JSON_NULL) {
        *reason = "missing_text";
        if (text != NULL)
            return mn_error(MN_ERR_FORMAT, "field \"%s\" is null", text_name);
        if (reader->text_field != NULL)
            return mn_error(MN_ERR_FORMAT, "no field \"%s\" (the --text-field)", text_name);
        return mn_error(MN_ERR_FORMAT,
                        "no text field (looked for text, content, raw_content; name yours with "
                        "--text-field)");
    }
    if (text->value.type != INGEST_JSON_STRING) {
        *reason = "bad_text_field";
        return mn_error(MN_ERR_FORMAT, "field \"%s\" is %s, not a string", text_name,
                        type_name(text->value.type));
    }
    /* A text without escapes is its own bytes: the document points into the line, which
     * stays valid until the next call (the contract's lifetime), and is not copied. */
    const char *raw = text->value.p + 1;
    size_t raw_len = text->value.n - 2;
    bool escaped = memchr(raw, '\\', raw_len) != NULL;
    if (escaped)
        MN_FORWARD_IF_ERROR(ingest_json_string_decode(&text->value, &reader->text));
    const ingest_json_member *id = ingest_json_find(members, "id", 2);
    if (id != NULL && id->value.type == INGEST_JSON_STRING)
        MN_FORWARD_IF_ERROR(ingest_json_string_decode(&id->value, &reader->id));
    else if (id != NULL && id->value.type == INGEST_JSON_NUMBER)
        MN_FORWARD_IF_ERROR(mn_buf_append(&reader->id, id->value.p, id->value.n));
    const ingest_json_member *url = ingest_json_find(members, "url", 3);
    if (url != NULL && url->value.type == INGEST_JSON_STRING)
        MN_FORWARD_IF_ERROR(ingest_json_string_decode(&url->value, &reader->url));
    for (size_t i = 0; i < reader->n_keep_fields; i++) {
        const char *name = reader->keep_fields[i];
        if (is_reserved_field(reader, name, text_name))
            continue;
        size_t name_len = strlen(name);
        const ingest_json_member *kept = ingest_json_find(members, name, name_len);
        if (kept == NULL)
            continue;
        MN_FORWARD_IF_ERROR(ingest__extra_begin_member(reader, name, name_len));
        MN_FORWARD_IF_ERROR(ingest_json_append_value(&reader->extra, &kept->value));
    }
    ingest__doc_finish(reader, doc);
    if (!escaped) {
        doc->text = raw;
        doc->text_len = raw_len;
    }
    return MN_OK;
}

static bool is_blank(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

void ingest__jsonl_state_free(ingest__jsonl_state *state) {
    mn_buf_free(&state->whole);
}

/* Decides between lines and one JSON value: a byte-order mark is dropped; leading
 * whitespace is consumed (newlines counted) so that '[' can be seen. */
static mn_status start(ingest_reader *reader, ingest__stream *stream, ingest__jsonl_state *state,
                       bool whole_json, const char *what, bool *empty) {
    int byte;
    *empty = false;
    MN_FORWARD_IF_ERROR(ingest__stream_peek(stream, &byte));
    if (byte == -1) {
        *empty = true;
        return MN_OK;
    }
    if (byte == 0xef) {
        mn_buf bom = {0};
        size_t got = 0;
        /* Peeking three bytes needs a read; a short read can only be the whole content. */
        mn_status status = ingest__stream_read(stream, 3, &bom, &got);
        bool is_bom = status == MN_OK && got == 3 && memcmp(bom.data, "\xef\xbb\xbf", 3) == 0;
        if (status == MN_OK && !is_bom) {
            /* Not a BOM: the bytes belong to the first line, which is then bad JSON. */
            state->array_mode = false;
            mn_buf_free(&bom);
            reader->reason = "bad_json";
            state->line++;
            ingest__line rest;
            bool eof;
            MN_FORWARD_IF_ERROR(ingest__stream_line(stream, reader->max_record_bytes, &rest, &eof));
            return mn_error(MN_ERR_FORMAT, "invalid JSON at column 1: unexpected byte 0xef");
        }
        mn_buf_free(&bom);
        MN_FORWARD_IF_ERROR(status);
    }
    for (;;) {
        MN_FORWARD_IF_ERROR(ingest__stream_peek(stream, &byte));
        if (byte != ' ' && byte != '\t' && byte != '\r' && byte != '\n')
            break;
        uint64_t skipped;
        MN_FORWARD_IF_ERROR(ingest__stream_skip(stream, 1, &skipped));
        if (byte == '\n') {
            state->line++;
            reader->record++;
        }
    }
    state->array_mode = whole_json || byte == '[';
    if (!state->array_mode)
        return MN_OK;
    size_t got;
    mn_buf_clear(&state->whole);
    MN_FORWARD_IF_ERROR(
        ingest__stream_read(stream, reader->max_record_bytes + 1, &state->whole, &got));
    if (got > reader->max_record_bytes) {
        uint64_t rest = 0;
        MN_FORWARD_IF_ERROR(ingest__stream_skip(stream, UINT64_MAX, &rest));
        mn_buf_free(&state->whole);
        state->array = (ingest_json_span){0};
        reader->reason = "too_long";
        return mn_error(MN_ERR_LIMIT,
                        "%sJSON document of %llu bytes is over the limit of %zu bytes "
                        "(max_record_bytes)",
                        what, (unsigned long long)(got + rest), reader->max_record_bytes);
    }
    ingest_json_span value;
    if (ingest_json_parse((const char *)state->whole.data, state->whole.len, &value, NULL) !=
        MN_OK) {
        reader->reason = "bad_json";
        state->array = (ingest_json_span){0};
        return mn_error_context(MN_ERR_FORMAT, "%sJSON document", what);
    }
    if (value.type != INGEST_JSON_ARRAY && value.type != INGEST_JSON_OBJECT) {
        reader->reason = "bad_json";
        state->array = (ingest_json_span){0};
        return mn_error(MN_ERR_FORMAT, "%sa JSON object or an array of objects was expected", what);
    }
    state->array = value;
    state->array_pos = 0;
    return MN_OK;
}

mn_status ingest__jsonl_next(ingest_reader *reader, ingest__stream *stream,
                             ingest__jsonl_state *state, bool whole_json, const char *what,
                             ingest_document *doc, bool *done) {
    if (!state->started) {
        state->started = true;
        bool empty;
        mn_status status = start(reader, stream, state, whole_json, what, &empty);
        if (status == MN_ERR_CORRUPT)
            return ingest__skip(reader, status, "corrupt_stream", what, "%s", mn_error_message());
        if (status == MN_ERR_FORMAT || status == MN_ERR_LIMIT) {
            uint64_t record = reader->record++;
            doc->record = record;
            snprintf(doc->location, sizeof doc->location, "%s%s", what,
                     state->array_mode ? "document" : "line 1");
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            return ingest__skip(reader, status, reader->reason, NULL, "%s", message);
        }
        MN_FORWARD_IF_ERROR(status);
        if (empty && what[0] == '\0')
            return ingest__empty_file(reader);
        if (empty) {
            ingest__count_skip(reader, "empty_member");
            *done = true;
            return MN_OK;
        }
    }
    if (state->array_mode) {
        if (state->array.p == NULL) {
            *done = true; /* the document could not be read; start() reported it */
            return MN_OK;
        }
        ingest_json_span element;
        if (state->array.type == INGEST_JSON_OBJECT) {
            if (state->element > 0) {
                *done = true;
                return MN_OK;
            }
            element = state->array;
        } else if (!ingest_json_array_next(&state->array, &state->array_pos, &element)) {
            *done = true;
            return MN_OK;
        }
        doc->record = reader->record++;
        snprintf(doc->location, sizeof doc->location, "%selement %llu", what,
                 (unsigned long long)state->element++);
        const char *reason;
        if (ingest__json_record(reader, element.p, element.n, doc, &reason) != MN_OK) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            return ingest__skip(reader, MN_ERR_FORMAT, reason, doc->location, "%s", message);
        }
        return MN_OK;
    }
    for (;;) {
        ingest__line line;
        bool eof;
        mn_status status = ingest__stream_line(stream, reader->max_record_bytes, &line, &eof);
        if (status == MN_ERR_CORRUPT) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            snprintf(doc->location, sizeof doc->location, "%safter line %llu", what,
                     (unsigned long long)state->line);
            return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s", message);
        }
        MN_FORWARD_IF_ERROR(status);
        if (eof) {
            *done = true;
            return MN_OK;
        }
        state->line++;
        doc->record = reader->record++;
        snprintf(doc->location, sizeof doc->location, "%sline %llu", what,
                 (unsigned long long)state->line);
        if (line.too_long)
            return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                                "line of %zu bytes is over the limit of %zu bytes "
                                "(max_record_bytes)",
                                line.len, reader->max_record_bytes);
        if (is_blank(line.data, line.len))
            continue;
        const char *reason;
        if (ingest__json_record(reader, line.data, line.len, doc, &reason) != MN_OK) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            return ingest__skip(reader, MN_ERR_FORMAT, reason, doc->location, "%s", message);
        }
        return MN_OK;
    }
}

/* ---- the JSONL file back end ------------------------------------------------------------ */

typedef struct jsonl_file {
    ingest__jsonl_state state;
    bool whole_json; /* a .json file: one value, not lines */
} jsonl_file;

static bool is_json_name(const char *path) {
    size_t n = strlen(path);
    static const char *const names[] = {".json", ".json.gz", ".json.zst", ".json.xz", ".json.bz2"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t k = strlen(names[i]);
        if (n >= k && strcasecmp(path + n - k, names[i]) == 0)
            return true;
    }
    return false;
}

static mn_status jsonl_open(ingest_reader *reader) {
    jsonl_file *file = mn_calloc(1, sizeof *file);
    MN_RETURN_ERROR_IF(file == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    reader->state = file;
    file->whole_json = is_json_name(reader->path);
    bool empty;
    mn_status status = ingest__archive_open_raw(&reader->archive, reader->path, reader->memory,
                                                reader->memory_size, &empty);
    if (status != MN_OK) {
        reader->reason = "corrupt_stream";
        return status;
    }
    ingest__stream_init(&reader->stream, reader->archive);
    reader->stream.eof = empty;
    return MN_OK;
}

static mn_status jsonl_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    jsonl_file *file = reader->state;
    return ingest__jsonl_next(reader, &reader->stream, &file->state, file->whole_json, "", doc,
                              done);
}

static void jsonl_close(ingest_reader *reader) {
    jsonl_file *file = reader->state;
    if (file != NULL)
        ingest__jsonl_state_free(&file->state);
    free(file);
    reader->state = NULL;
}

const ingest__backend ingest__jsonl_backend = {jsonl_open, jsonl_next, jsonl_close, NULL};
