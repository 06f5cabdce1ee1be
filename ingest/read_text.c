/* Plain text: the whole file as one document, or one document per block separated by blank
 * lines (split_paragraphs) or by a separator line (split_line, "%" in fortune files).
 * Compressed text is read through the same libarchive filters as JSONL. Shared with .txt
 * archive members. */
#include <archive.h>
#include <stdio.h>
#include <string.h>

#include "ingest/reader_impl.h"

static bool is_blank_line(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return false;
    return true;
}

static bool is_separator(const ingest_reader *reader, const char *s, size_t n) {
    if (reader->split_line != NULL) {
        size_t len = n > 0 && s[n - 1] == '\r' ? n - 1 : n;
        if (len == reader->split_line_len && memcmp(s, reader->split_line, len) == 0)
            return true;
    }
    return reader->split_paragraphs && is_blank_line(s, n);
}

static mn_status whole_document(ingest_reader *reader, ingest__stream *stream,
                                ingest__text_state *state, const char *what, ingest_document *doc,
                                bool *done) {
    if (state->started) {
        *done = true;
        return MN_OK;
    }
    state->started = true;
    size_t got;
    mn_status status =
        ingest__stream_read(stream, reader->max_record_bytes + 1, &reader->text, &got);
    uint64_t total = got;
    if (status == MN_OK && got > reader->max_record_bytes) {
        uint64_t rest;
        status = ingest__stream_skip(stream, UINT64_MAX, &rest);
        total += rest;
    }
    if (status == MN_ERR_CORRUPT) {
        char message[1024];
        snprintf(message, sizeof message, "%s", mn_error_message());
        snprintf(doc->location, sizeof doc->location, "%s", what[0] ? what : "text");
        mn_buf_clear(&reader->text);
        return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s", message);
    }
    MN_FORWARD_IF_ERROR(status);
    if (total == 0) {
        if (what[0] == '\0')
            return ingest__empty_file(reader);
        ingest__count_skip(reader, "empty_member");
        *done = true;
        return MN_OK;
    }
    doc->record = reader->record++;
    snprintf(doc->location, sizeof doc->location, "%sline 1", what);
    if (total > reader->max_record_bytes) {
        mn_buf_clear(&reader->text);
        return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                            "document of %llu bytes is over the limit of %zu bytes "
                            "(max_record_bytes; or split it with --split)",
                            (unsigned long long)total, reader->max_record_bytes);
    }
    ingest__doc_finish(reader, doc);
    return MN_OK;
}

mn_status ingest__text_next(ingest_reader *reader, ingest__stream *stream,
                            ingest__text_state *state, const char *what, ingest_document *doc,
                            bool *done) {
    if (!reader->split_paragraphs && reader->split_line == NULL)
        return whole_document(reader, stream, state, what, doc, done);
    uint64_t first_line = 0, block_bytes = 0;
    size_t content_len = 0; /* text up to the last line that is not blank */
    bool too_long = false;
    for (;;) {
        ingest__line line;
        bool eof;
        mn_status status = ingest__stream_line(stream, reader->max_record_bytes, &line, &eof);
        if (status == MN_ERR_CORRUPT) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            snprintf(doc->location, sizeof doc->location, "%safter line %llu", what,
                     (unsigned long long)state->line);
            mn_buf_clear(&reader->text);
            return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s", message);
        }
        MN_FORWARD_IF_ERROR(status);
        if (!eof)
            state->line++;
        if (eof || (!line.too_long && is_separator(reader, line.data, line.len))) {
            if (first_line == 0) {
                if (!eof)
                    continue; /* separators before any text */
                if (ingest__stream_offset(stream) == 0 && what[0] == '\0')
                    return ingest__empty_file(reader);
                *done = true;
                return MN_OK;
            }
            doc->record = reader->record++;
            snprintf(doc->location, sizeof doc->location, "%sline %llu", what,
                     (unsigned long long)first_line);
            if (too_long) {
                mn_buf_clear(&reader->text);
                return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                                    "block of %llu bytes is over the limit of %zu bytes "
                                    "(max_record_bytes)",
                                    (unsigned long long)block_bytes, reader->max_record_bytes);
            }
            reader->text.len = content_len;
            reader->text.data[content_len] = 0;
            ingest__doc_finish(reader, doc);
            return MN_OK;
        }
        bool blank = !line.too_long && is_blank_line(line.data, line.len);
        if (first_line == 0) {
            if (blank)
                continue; /* a block starts at its first line with text */
            first_line = state->line;
        } else {
            block_bytes++; /* the '\n' before this line */
        }
        block_bytes += line.len;
        if (line.too_long || block_bytes > reader->max_record_bytes)
            too_long = true;
        if (too_long)
            continue;
        if (first_line != state->line)
            MN_FORWARD_IF_ERROR(mn_buf_append_byte(&reader->text, '\n'));
        MN_FORWARD_IF_ERROR(mn_buf_append(&reader->text, line.data, line.len));
        if (!blank)
            content_len = reader->text.len;
    }
}

/* ---- the text file back end ------------------------------------------------------------ */

static mn_status text_open(ingest_reader *reader) {
    bool empty;
    mn_status status = ingest__archive_open_raw(&reader->archive, reader->path, reader->memory,
                                                reader->memory_size, &empty);
    if (status != MN_OK) {
        reader->reason = "corrupt_stream";
        return status;
    }
    ingest__stream_init(&reader->stream, reader->archive);
    reader->stream.eof = empty;
    memset(&reader->text_state, 0, sizeof reader->text_state);
    return MN_OK;
}

static mn_status text_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    return ingest__text_next(reader, &reader->stream, &reader->text_state, "", doc, done);
}

const ingest__backend ingest__text_backend = {text_open, text_next, NULL, NULL};
