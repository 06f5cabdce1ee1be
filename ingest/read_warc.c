/* WARC and WET files (Common Crawl), plain or compressed (.warc.gz holds one gzip member per
 * record; libarchive's gzip filter reads the members one after the other).
 *
 * Record framing (ISO 28500, WARC/1.0 and 1.1), parsed here over libarchive's decompressed
 * stream:
 *     WARC/1.0\r\n
 *     Header-Name: value\r\n        (WARC-Type, WARC-Record-ID, WARC-Target-URI,
 *     ...                            Content-Type, Content-Length, ...)
 *     \r\n
 *     <Content-Length bytes: the block>
 *     \r\n\r\n
 * WET "conversion" records hold UTF-8 text: the block is the document. WARC "response"
 * records hold an HTTP response: status line, headers, blank line, payload; the payload is
 * de-chunked, decompressed (Content-Encoding gzip/deflate), converted to UTF-8 by its
 * declared charset and, when it is HTML, turned into text (html.h). Other records (warcinfo,
 * request, metadata, revisit, resource) and responses that are not 2xx or not text are
 * passed over and counted (ingest_reader_skipped). The id is WARC-Record-ID without its
 * angle brackets, the url WARC-Target-URI; kept fields name WARC headers.
 *
 * Why not libarchive's WARC format reader (3.6): it skips every conversion record (all of
 * WET), skips responses whose URI ends in '/' (every site's home page), rejects WARC/1.1,
 * and exposes neither WARC-Type nor WARC-Record-ID (docs/decisions.md).
 *
 * A damaged header is one bad record ("bad_warc_record"); reading resumes at the next line
 * that starts a record. A block cut short by the end of the file is "truncated_record".
 */
#include <archive.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "ingest/html.h"
#include "ingest/reader_impl.h"

enum { MAX_HEADER_BYTES = 64 * 1024, MAX_HEADER_LINE = 16 * 1024 };

typedef struct warc_state {
    uint64_t record;     /* records started, the next one's index */
    mn_buf pending_line; /* a "WARC/" line found while resynchronising */
    bool has_pending;
    mn_buf headers;   /* the current record's header lines, '\n'-separated */
    mn_buf block;     /* the current record's block */
    mn_buf payload;   /* de-chunked / decompressed HTTP payload */
    mn_buf converted; /* payload in UTF-8 */
    ingest_charset_cache charsets;
} warc_state;

static mn_status warc_open(ingest_reader *reader) {
    warc_state *state = mn_calloc(1, sizeof *state);
    MN_RETURN_ERROR_IF(state == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    reader->state = state;
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

static void warc_close(ingest_reader *reader) {
    warc_state *state = reader->state;
    if (state != NULL) {
        mn_buf_free(&state->pending_line);
        mn_buf_free(&state->headers);
        mn_buf_free(&state->block);
        mn_buf_free(&state->payload);
        mn_buf_free(&state->converted);
        ingest_charset_cache_free(&state->charsets);
        free(state);
    }
    reader->state = NULL;
}

/* ---- headers ---------------------------------------------------------------------------- */

static size_t trim_end(const char *s, size_t n) {
    while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n;
}

/* The value of header `name` in '\n'-separated "Name: value" lines, or NULL. */
static const char *header_value(const char *headers, size_t n, const char *name, size_t *len) {
    size_t name_len = strlen(name), i = 0;
    while (i < n) {
        const char *line = headers + i;
        const char *nl = memchr(line, '\n', n - i);
        size_t line_len = nl != NULL ? (size_t)(nl - line) : n - i;
        i += line_len + 1;
        if (line_len > name_len && line[name_len] == ':' &&
            strncasecmp(line, name, name_len) == 0) {
            const char *value = line + name_len + 1;
            size_t value_len = line_len - name_len - 1;
            while (value_len > 0 && (*value == ' ' || *value == '\t')) {
                value++;
                value_len--;
            }
            *len = trim_end(value, value_len);
            return value;
        }
    }
    return NULL;
}

static bool parse_length(const char *s, size_t n, uint64_t *out) {
    uint64_t value = 0;
    if (n == 0 || n > 18)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        value = value * 10 + (uint64_t)(s[i] - '0');
    }
    *out = value;
    return true;
}

/* Reads the header lines after the "WARC/" line into state->headers. Returns false (with a
 * reason in *what) when they are not a header: too long, or the stream ends first. */
static mn_status read_headers(ingest_reader *reader, warc_state *state, bool *ok,
                              const char **what) {
    mn_buf_clear(&state->headers);
    *ok = false;
    for (;;) {
        ingest__line line;
        bool eof;
        MN_FORWARD_IF_ERROR(ingest__stream_line(&reader->stream, MAX_HEADER_LINE, &line, &eof));
        if (eof) {
            *what = "the file ends inside a record header";
            return MN_OK;
        }
        if (line.too_long) {
            *what = "a header line is over 16 KiB";
            return MN_OK;
        }
        size_t len = trim_end(line.data, line.len);
        if (len == 0) {
            *ok = true;
            return MN_OK;
        }
        if (state->headers.len + len + 1 > MAX_HEADER_BYTES) {
            *what = "the record header is over 64 KiB";
            return MN_OK;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(&state->headers, line.data, len));
        MN_FORWARD_IF_ERROR(mn_buf_append_byte(&state->headers, '\n'));
    }
}

static bool is_record_start(const char *s, size_t n) {
    return n >= 7 && memcmp(s, "WARC/", 5) == 0 && s[5] >= '0' && s[5] <= '9';
}

/* After a damaged header: reads lines until one starts a record and keeps it pending. */
static mn_status resynchronise(ingest_reader *reader, warc_state *state) {
    for (;;) {
        ingest__line line;
        bool eof;
        MN_FORWARD_IF_ERROR(ingest__stream_line(&reader->stream, MAX_HEADER_LINE, &line, &eof));
        if (eof)
            return MN_OK;
        if (!line.too_long && is_record_start(line.data, line.len)) {
            mn_buf_clear(&state->pending_line);
            MN_FORWARD_IF_ERROR(mn_buf_append(&state->pending_line, line.data, line.len));
            state->has_pending = true;
            return MN_OK;
        }
    }
}

/* ---- HTTP payloads ---------------------------------------------------------------------- */

/* Transfer-Encoding: chunked, decoded into out (stops quietly at malformed framing). */
static mn_status dechunk(const char *s, size_t n, mn_buf *out) {
    size_t i = 0;
    while (i < n) {
        uint64_t size = 0;
        size_t digits = 0;
        while (i < n) {
            char c = s[i];
            int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (v < 0 || digits >= 15)
                break;
            size = size * 16 + (uint64_t)v;
            digits++;
            i++;
        }
        const char *nl = memchr(s + i, '\n', n - i);
        if (digits == 0 || nl == NULL || size == 0)
            break;
        i = (size_t)(nl - s) + 1;
        size_t take = size < n - i ? (size_t)size : n - i;
        MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, take));
        i += take;
        while (i < n && (s[i] == '\r' || s[i] == '\n'))
            i++;
    }
    return MN_OK;
}

/* Content-Encoding gzip or deflate (zlib or raw), at most `cap` bytes out. *too_long when the
 * payload inflates beyond the cap; *bad when zlib rejects it. */
static mn_status inflate_payload(const char *s, size_t n, size_t cap, mn_buf *out, bool raw,
                                 bool *too_long, bool *bad) {
    z_stream z;
    memset(&z, 0, sizeof z);
    *too_long = *bad = false;
    if (inflateInit2(&z, raw ? -15 : 15 + 32) != Z_OK)
        return mn_error(MN_ERR_NOMEM, "zlib cannot start");
    z.next_in = (Bytef *)s;
    z.avail_in = (uInt)(n < UINT32_MAX ? n : UINT32_MAX);
    mn_status status = MN_OK;
    for (;;) {
        if (out->len >= cap) {
            *too_long = true;
            break;
        }
        size_t room = cap - out->len < (1 << 20) ? cap - out->len : (1 << 20);
        status = mn_buf_reserve(out, room);
        if (status != MN_OK)
            break;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)room;
        int rc = inflate(&z, Z_NO_FLUSH);
        out->len += room - z.avail_out;
        if (rc == Z_STREAM_END)
            break;
        if (rc != Z_OK) {
            /* Truncated payloads (common in crawls) keep what inflated. */
            *bad = out->len == 0;
            break;
        }
        if (z.avail_in == 0 && z.avail_out > 0)
            break;
    }
    inflateEnd(&z);
    if (out->data != NULL)
        out->data[out->len] = '\0';
    return status;
}

/* ---- records ----------------------------------------------------------------------------- */

static const char *type_key(const char *type, size_t n) {
    static const char *const keys[][2] = {
        {"warcinfo", "warc_warcinfo"}, {"request", "warc_request"},
        {"metadata", "warc_metadata"}, {"revisit", "warc_revisit"},
        {"resource", "warc_resource"}, {"continuation", "warc_continuation"}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i][0]) == n && strncasecmp(type, keys[i][0], n) == 0)
            return keys[i][1];
    return "warc_other_type";
}

static mn_status set_identity(ingest_reader *reader, warc_state *state) {
    size_t len;
    const char *id =
        header_value((const char *)state->headers.data, state->headers.len, "WARC-Record-ID", &len);
    if (id != NULL) {
        if (len >= 2 && id[0] == '<' && id[len - 1] == '>') {
            id++;
            len -= 2;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(&reader->id, id, len));
    }
    const char *url = header_value((const char *)state->headers.data, state->headers.len,
                                   "WARC-Target-URI", &len);
    if (url != NULL) {
        if (len >= 2 && url[0] == '<' && url[len - 1] == '>') {
            url++;
            len -= 2;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(&reader->url, url, len));
    }
    for (size_t i = 0; i < reader->n_keep_fields; i++) {
        const char *name = reader->keep_fields[i];
        const char *value =
            header_value((const char *)state->headers.data, state->headers.len, name, &len);
        if (value == NULL)
            continue;
        MN_FORWARD_IF_ERROR(ingest__extra_begin_member(reader, name, strlen(name)));
        MN_FORWARD_IF_ERROR(ingest_json_append_string(&reader->extra, value, len));
    }
    return MN_OK;
}

static bool mime_is(const char *mime, size_t n, const char *want) {
    return strlen(want) == n && strncasecmp(mime, want, n) == 0;
}

/* The document of a response record's HTTP message in state->block, into reader->text.
 * Returns a skip key (a record passed over on purpose), or NULL with the text set. */
static const char *response_text(ingest_reader *reader, warc_state *state, mn_status *status,
                                 bool *too_long) {
    const char *s = (const char *)state->block.data;
    size_t n = state->block.len;
    *status = MN_OK;
    *too_long = false;
    if (n < 12 || strncmp(s, "HTTP/", 5) != 0)
        return "warc_non_http";
    const char *space = memchr(s, ' ', n < 32 ? n : 32);
    if (space == NULL || (size_t)(space - s) + 4 > n || space[1] != '2')
        return "warc_http_not_2xx";
    /* Headers end at the first empty line (CRLF CRLF, or bare LF LF from sloppy servers). */
    size_t body = n, header_end = n;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\n')
            continue;
        if (s[i + 1] == '\n') {
            header_end = i + 1;
            body = i + 2;
            break;
        }
        if (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n') {
            header_end = i + 1;
            body = i + 3;
            break;
        }
    }
    /* Header lines (CRs dropped) for lookups. */
    const char *first_nl = memchr(s, '\n', header_end);
    size_t hstart = first_nl != NULL ? (size_t)(first_nl - s) + 1 : header_end;
    const char *headers = s + hstart;
    size_t headers_len = header_end - hstart;
    size_t len;
    char charset[48] = "";
    bool html = false;
    const char *type = header_value(headers, headers_len, "Content-Type", &len);
    if (type != NULL) {
        const char *semi = memchr(type, ';', len);
        size_t mime_len = trim_end(type, semi != NULL ? (size_t)(semi - type) : len);
        if (mime_is(type, mime_len, "text/html") ||
            mime_is(type, mime_len, "application/xhtml+xml"))
            html = true;
        else if (!mime_is(type, mime_len, "text/plain"))
            return "warc_non_text";
        ingest_charset_from_content_type(type, len, charset, sizeof charset);
    }
    const char *payload = s + (body < n ? body : n);
    size_t payload_len = body < n ? n - body : 0;
    const char *transfer = header_value(headers, headers_len, "Transfer-Encoding", &len);
    if (transfer != NULL && len >= 7 && strncasecmp(transfer, "chunked", 7) == 0) {
        mn_buf_clear(&state->payload);
        *status = dechunk(payload, payload_len, &state->payload);
        if (*status != MN_OK)
            return NULL;
        payload = (const char *)state->payload.data;
        payload_len = state->payload.len;
    }
    const char *encoding = header_value(headers, headers_len, "Content-Encoding", &len);
    if (encoding != NULL && !mime_is(encoding, len, "identity")) {
        bool gzip = mime_is(encoding, len, "gzip") || mime_is(encoding, len, "x-gzip");
        if (!gzip && !mime_is(encoding, len, "deflate"))
            return "warc_content_encoding";
        mn_buf inflated = {0};
        bool bad;
        *status = inflate_payload(payload, payload_len, reader->max_record_bytes, &inflated, false,
                                  too_long, &bad);
        if (*status == MN_OK && bad && !gzip) {
            mn_buf_clear(&inflated);
            *status = inflate_payload(payload, payload_len, reader->max_record_bytes, &inflated,
                                      true, too_long, &bad);
        }
        mn_buf_free(&state->payload);
        state->payload = inflated;
        if (*status != MN_OK || *too_long)
            return NULL;
        if (bad)
            return "warc_content_encoding";
        payload = (const char *)state->payload.data;
        payload_len = state->payload.len;
    }
    if (type == NULL) {
        /* No declared type: HTML if it looks like it, else nothing we read. */
        size_t k = 0;
        while (
            k < payload_len && k < 512 &&
            (payload[k] == ' ' || payload[k] == '\n' || payload[k] == '\r' || payload[k] == '\t'))
            k++;
        if (k >= payload_len || payload[k] != '<')
            return "warc_non_text";
        html = true;
    }
    if (charset[0] == '\0' && html)
        ingest_html_meta_charset(payload, payload_len, charset, sizeof charset);
    if (payload_len >= 3 && memcmp(payload, "\xef\xbb\xbf", 3) == 0) {
        payload += 3;
        payload_len -= 3;
        charset[0] = '\0';
    }
    mn_buf_clear(&state->converted);
    *status = ingest_charset_to_utf8(&state->charsets, charset[0] ? charset : NULL, payload,
                                     payload_len, &state->converted);
    if (*status != MN_OK)
        return NULL;
    if (html)
        *status = ingest_html_to_text((const char *)state->converted.data, state->converted.len,
                                      &reader->text);
    else
        *status = mn_buf_append(&reader->text, state->converted.data, state->converted.len);
    if (*status == MN_OK && reader->text.len == 0)
        return "warc_empty_text";
    return NULL;
}

static mn_status warc_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    warc_state *state = reader->state;
    ingest__stream *stream = &reader->stream;
    for (;;) {
        ingest__doc_reset(reader, doc);
        /* Between records: the "\r\n\r\n" that ends the previous one. */
        uint64_t start;
        ingest__line first = {0};
        bool eof = false;
        mn_status status = MN_OK;
        if (state->has_pending) {
            state->has_pending = false;
            start = ingest__stream_offset(stream) - state->pending_line.len - 1;
            first.data = (const char *)state->pending_line.data;
            first.len = state->pending_line.len;
        } else {
            for (;;) {
                int byte;
                status = ingest__stream_peek(stream, &byte);
                if (status != MN_OK || (byte != '\r' && byte != '\n'))
                    break;
                uint64_t skipped;
                status = ingest__stream_skip(stream, 1, &skipped);
            }
            start = ingest__stream_offset(stream);
            if (status == MN_OK)
                status = ingest__stream_line(stream, MAX_HEADER_LINE, &first, &eof);
        }
        if (status == MN_ERR_CORRUPT) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            snprintf(doc->location, sizeof doc->location, "record %llu",
                     (unsigned long long)state->record);
            return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s", message);
        }
        MN_FORWARD_IF_ERROR(status);
        if (eof) {
            if (state->record == 0 && ingest__stream_offset(stream) == 0)
                return ingest__empty_file(reader);
            *done = true;
            return MN_OK;
        }
        uint64_t index = state->record++;
        doc->record = reader->record++;
        snprintf(doc->location, sizeof doc->location, "record %llu at byte %llu",
                 (unsigned long long)index, (unsigned long long)start);
        const char *what = NULL;
        bool ok = false;
        if (first.too_long || !is_record_start(first.data, first.len))
            what = "no \"WARC/\" version line where a record should start";
        else
            status = read_headers(reader, state, &ok, &what);
        if (status == MN_ERR_CORRUPT) {
            char message[1024];
            snprintf(message, sizeof message, "%s", mn_error_message());
            return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s", message);
        }
        MN_FORWARD_IF_ERROR(status);
        const char *headers = (const char *)state->headers.data;
        size_t len = 0;
        uint64_t content_length = 0;
        if (ok) {
            const char *value = header_value(headers, state->headers.len, "Content-Length", &len);
            if (value == NULL || !parse_length(value, len, &content_length)) {
                ok = false;
                what = "no valid Content-Length";
            }
        }
        if (!ok) {
            status = resynchronise(reader, state);
            if (status == MN_ERR_CORRUPT)
                return ingest__skip(reader, status, "corrupt_stream", doc->location,
                                    "bad record header (%s), then: %s", what, mn_error_message());
            MN_FORWARD_IF_ERROR(status);
            return ingest__skip(reader, MN_ERR_FORMAT, "bad_warc_record", doc->location,
                                "bad record header: %s", what);
        }
        const char *type = header_value(headers, state->headers.len, "WARC-Type", &len);
        bool response = type != NULL && len == 8 && strncasecmp(type, "response", 8) == 0;
        bool conversion = type != NULL && len == 10 && strncasecmp(type, "conversion", 10) == 0;
        if (!response && !conversion) {
            uint64_t skipped;
            status = ingest__stream_skip(stream, content_length, &skipped);
            if (status == MN_OK && skipped < content_length)
                return ingest__skip(reader, MN_ERR_CORRUPT, "truncated_record", doc->location,
                                    "the file ends %llu bytes into a %llu-byte block",
                                    (unsigned long long)skipped,
                                    (unsigned long long)content_length);
            if (status == MN_ERR_CORRUPT)
                return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s",
                                    mn_error_message());
            MN_FORWARD_IF_ERROR(status);
            ingest__count_skip(reader, type != NULL ? type_key(type, len) : "warc_other_type");
            continue;
        }
        if (content_length > reader->max_record_bytes) {
            uint64_t skipped;
            status = ingest__stream_skip(stream, content_length, &skipped);
            if (status == MN_ERR_CORRUPT)
                return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s",
                                    mn_error_message());
            MN_FORWARD_IF_ERROR(status);
            return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                                "block of %llu bytes is over the limit of %zu bytes "
                                "(max_record_bytes)",
                                (unsigned long long)content_length, reader->max_record_bytes);
        }
        mn_buf_clear(&state->block);
        size_t got;
        status = ingest__stream_read(stream, (size_t)content_length, &state->block, &got);
        if (status == MN_ERR_CORRUPT)
            return ingest__skip(reader, status, "corrupt_stream", doc->location, "%s",
                                mn_error_message());
        MN_FORWARD_IF_ERROR(status);
        if (got < content_length)
            return ingest__skip(reader, MN_ERR_CORRUPT, "truncated_record", doc->location,
                                "the file ends %zu bytes into a %llu-byte block", got,
                                (unsigned long long)content_length);
        if (conversion) {
            MN_FORWARD_IF_ERROR(mn_buf_append(&reader->text, state->block.data, state->block.len));
            if (reader->text.len == 0) {
                ingest__count_skip(reader, "warc_empty_text");
                continue;
            }
        } else {
            bool too_long;
            const char *skip = response_text(reader, state, &status, &too_long);
            MN_FORWARD_IF_ERROR(status);
            if (too_long)
                return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                                    "the payload inflates beyond %zu bytes (max_record_bytes)",
                                    reader->max_record_bytes);
            if (skip != NULL) {
                ingest__count_skip(reader, skip);
                continue;
            }
        }
        MN_FORWARD_IF_ERROR(set_identity(reader, state));
        ingest__doc_finish(reader, doc);
        return MN_OK;
    }
}

const ingest__backend ingest__warc_backend = {warc_open, warc_next, warc_close, NULL};
