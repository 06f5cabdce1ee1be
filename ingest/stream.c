/* Byte streams over libarchive data (see stream.h). */
#include "ingest/stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

mn_status ingest__archive_support_filters(struct archive *archive) {
    int (*const filters[])(struct archive *) = {
        archive_read_support_filter_gzip, archive_read_support_filter_bzip2,
        archive_read_support_filter_xz,   archive_read_support_filter_lzma,
        archive_read_support_filter_zstd, archive_read_support_filter_lz4,
        archive_read_support_filter_lzip, archive_read_support_filter_compress};
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (filters[i](archive) != ARCHIVE_OK)
            return mn_error(MN_ERR_EXTERNAL, "libarchive lacks a compression filter: %s",
                            archive_error_string(archive));
    return MN_OK;
}

mn_status ingest__archive_open_raw(struct archive **out, const char *path, const void *memory,
                                   size_t memory_size, bool *empty) {
    struct archive *archive = archive_read_new();
    MN_RETURN_ERROR_IF(archive == NULL, MN_ERR_NOMEM, "%s: cannot create a libarchive reader",
                       path);
    *empty = false;
    mn_status status = ingest__archive_support_filters(archive);
    /* The "empty" format recognises a stream that decompresses to nothing, which the raw
     * format refuses. */
    if (status == MN_OK && (archive_read_support_format_raw(archive) != ARCHIVE_OK ||
                            archive_read_support_format_empty(archive) != ARCHIVE_OK))
        status = mn_error(MN_ERR_EXTERNAL, "libarchive: %s", archive_error_string(archive));
    if (status == MN_OK) {
        int rc = memory != NULL ? archive_read_open_memory(archive, memory, memory_size)
                                : archive_read_open_filename(archive, path, 1 << 16);
        struct archive_entry *entry;
        if (rc == ARCHIVE_OK)
            rc = archive_read_next_header(archive, &entry);
        if (rc == ARCHIVE_EOF)
            *empty = true;
        else if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN)
            status = mn_error(MN_ERR_CORRUPT, "at byte 0 of the decompressed data: %s",
                              archive_error_string(archive));
    }
    if (status != MN_OK) {
        archive_read_free(archive);
        return status;
    }
    *out = archive;
    return MN_OK;
}

void ingest__stream_init(ingest__stream *stream, struct archive *archive) {
    mn_buf carry = stream->carry;
    memset(stream, 0, sizeof *stream);
    mn_buf_clear(&carry);
    stream->carry = carry;
    stream->archive = archive;
}

void ingest__stream_free(ingest__stream *stream) {
    mn_buf_free(&stream->carry);
}

/* Makes the current block hold at least one unread byte, unless at the end. */
static mn_status fill(ingest__stream *stream) {
    while (stream->pos == stream->block_len && !stream->eof) {
        const void *data;
        size_t size;
        la_int64_t offset;
        uint64_t next_offset = stream->block_offset + stream->block_len;
        int rc = archive_read_data_block(stream->archive, &data, &size, &offset);
        if (rc == ARCHIVE_EOF) {
            stream->eof = true;
            stream->block_offset = next_offset;
            stream->block_len = stream->pos = 0;
            return MN_OK;
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            const char *message = archive_error_string(stream->archive);
            stream->eof = stream->failed = true;
            stream->fatal = rc == ARCHIVE_FATAL;
            stream->block_offset = next_offset;
            stream->block_len = stream->pos = 0;
            return mn_error(MN_ERR_CORRUPT, "at byte %llu of the decompressed data: %s",
                            (unsigned long long)next_offset,
                            message != NULL ? message : "unreadable data");
        }
        /* Offsets of sparse tar members may jump; the readers see the data contiguously. */
        (void)offset;
        stream->block = data;
        stream->block_len = size;
        stream->block_offset = next_offset;
        stream->pos = 0;
    }
    return MN_OK;
}

mn_status ingest__stream_line(ingest__stream *stream, size_t cap, ingest__line *line, bool *eof) {
    mn_buf_clear(&stream->carry);
    uint64_t length = 0; /* bytes of the line seen so far */
    bool too_long = false;
    *eof = false;
    for (;;) {
        MN_FORWARD_IF_ERROR(fill(stream));
        if (stream->eof) {
            if (length == 0) {
                *eof = true;
                return MN_OK;
            }
            break; /* a last line without '\n' */
        }
        const uint8_t *start = stream->block + stream->pos;
        size_t avail = stream->block_len - stream->pos;
        const uint8_t *newline = memchr(start, '\n', avail);
        size_t take = newline != NULL ? (size_t)(newline - start) : avail;
        if (!too_long && length + take > cap)
            too_long = true;
        if (newline != NULL && length == 0 && !too_long) {
            /* The whole line lies in this block: no copy. */
            line->data = (const char *)start;
            line->len = take;
            line->too_long = false;
            stream->pos += take + 1;
            return MN_OK;
        }
        if (!too_long)
            MN_FORWARD_IF_ERROR(mn_buf_append(&stream->carry, start, take));
        length += take;
        stream->pos += take;
        if (newline != NULL) {
            stream->pos++;
            break;
        }
    }
    line->too_long = too_long;
    line->data = too_long ? NULL : (const char *)stream->carry.data;
    line->len = (size_t)length;
    return MN_OK;
}

mn_status ingest__stream_read(ingest__stream *stream, size_t n, mn_buf *out, size_t *got) {
    size_t done = 0;
    while (done < n) {
        MN_FORWARD_IF_ERROR(fill(stream));
        if (stream->eof)
            break;
        size_t take = stream->block_len - stream->pos;
        if (take > n - done)
            take = n - done;
        MN_FORWARD_IF_ERROR(mn_buf_append(out, stream->block + stream->pos, take));
        stream->pos += take;
        done += take;
    }
    *got = done;
    return MN_OK;
}

mn_status ingest__stream_skip(ingest__stream *stream, uint64_t n, uint64_t *skipped) {
    uint64_t done = 0;
    while (done < n) {
        MN_FORWARD_IF_ERROR(fill(stream));
        if (stream->eof)
            break;
        uint64_t take = stream->block_len - stream->pos;
        if (take > n - done)
            take = n - done;
        stream->pos += (size_t)take;
        done += take;
    }
    *skipped = done;
    return MN_OK;
}

mn_status ingest__stream_peek(ingest__stream *stream, int *byte) {
    MN_FORWARD_IF_ERROR(fill(stream));
    *byte = stream->eof ? -1 : stream->block[stream->pos];
    return MN_OK;
}
