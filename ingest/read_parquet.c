/* Parquet files as RefinedWeb and FineWeb ship them (format facts in parquet.h): the text
 * column, and the id, url and kept columns beside it, read row group by row group and page
 * by page, in lockstep, so memory holds one page per column whatever the file's size.
 *
 * Records are rows (0-based over the whole file). A row whose text is null is "missing_text"
 * (a run of null rows is reported once); a page that cannot be read (corrupt compressed
 * data, an encoding this reader lacks, values that end early) is one "bad_parquet_page"
 * covering its rows, and reading goes on with the next page; a column chunk that cannot be
 * read at all loses its row group. Damage to the footer loses the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "ingest/parquet.h"
#include "ingest/reader_impl.h"

enum { ROLE_TEXT, ROLE_ID, ROLE_URL, ROLE_KEEP };
enum { VALUE_NULL, VALUE_BYTES, VALUE_INT, VALUE_UINT, VALUE_DOUBLE, VALUE_BOOL };
enum { MAX_FOOTER = 256 << 20, NULL_BATCH = 65536 };

typedef struct pq_value {
    int kind;
    const uint8_t *bytes;
    size_t len;
    int64_t i;
    double d;
} pq_value;

typedef struct cursor {
    int role;
    const char *name; /* kept field name (the column path) */
    const pq_leaf *leaf;
    size_t leaf_index;
    /* The column chunk of the current row group. */
    const pq_chunk *chunk;
    uint64_t next_page, chunk_end;
    int64_t chunk_values_left;
    /* Dictionary of the chunk. */
    mn_buf dict_data;
    uint32_t *dict_offsets; /* byte arrays: offset of each value's bytes in dict_data */
    uint32_t *dict_lengths;
    size_t dict_count;
    bool has_dict;
    /* The current data page. */
    mn_buf raw, data;
    int64_t page_left; /* level entries left */
    int encoding;
    pq_rle definitions;
    bool definitions_bit_packed; /* deprecated BIT_PACKED levels (v1), MSB first */
    const uint8_t *bp_data;
    size_t bp_size;
    uint64_t bp_bit;
    const uint8_t *vp, *vend; /* PLAIN values */
    int bool_bit;
    pq_rle indices; /* dictionary indices, or RLE booleans */
    pq_delta ints, lengths, prefixes;
    const uint8_t *bytes_p, *bytes_end; /* delta byte arrays' data */
    mn_buf previous;                    /* DELTA_BYTE_ARRAY: the previous value */
    const uint8_t *split;               /* BYTE_STREAM_SPLIT */
    size_t split_count, split_index;
    /* Rows of a page (or chunk) that cannot be read. */
    uint64_t bad_left;
    char bad_message[400];
    const char *bad_reason;
} cursor;

typedef struct parquet_state {
    int fd;
    pq_meta meta;
    cursor *cursors; /* cursors[0] reads the text */
    size_t n_cursors;
    size_t row_group;
    bool in_row_group;
    int64_t row_in_group;
    uint64_t row; /* rows of the file consumed */
    uint64_t bytes_read;
    size_t page_limit;
} parquet_state;

/* ---- input ------------------------------------------------------------------------------- */

static mn_status read_at(ingest_reader *reader, parquet_state *state, uint64_t offset, size_t size,
                         mn_buf *out) {
    mn_buf_clear(out);
    MN_RETURN_ERROR_IF(offset > reader->file_size || size > reader->file_size - offset,
                       MN_ERR_FORMAT, "bytes %llu..%llu lie beyond the end of the file (%llu)",
                       (unsigned long long)offset, (unsigned long long)(offset + size),
                       (unsigned long long)reader->file_size);
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, size));
    if (reader->memory != NULL) {
        memcpy(out->data, reader->memory + offset, size);
    } else {
        size_t done = 0;
        while (done < size) {
            ssize_t got = pread(state->fd, out->data + done, size - done, (off_t)(offset + done));
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                return mn_error_errno(MN_ERR_IO, "%s: cannot read at byte %llu", reader->path,
                                      (unsigned long long)(offset + done));
            MN_RETURN_ERROR_IF(got == 0, MN_ERR_FORMAT, "the file ends at byte %llu",
                               (unsigned long long)(offset + done));
            done += (size_t)got;
        }
    }
    out->len = size;
    out->data[size] = '\0';
    state->bytes_read += size;
    return MN_OK;
}

/* ---- decompression ------------------------------------------------------------------------ */

static const char *codec_name(int codec) {
    static const char *const names[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                        "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < 8 ? names[codec] : "unknown";
}

static bool codec_supported(int codec) {
    return codec == PQ_CODEC_UNCOMPRESSED || codec == PQ_CODEC_SNAPPY || codec == PQ_CODEC_GZIP ||
           codec == PQ_CODEC_ZSTD;
}

/* Decompresses src into exactly `size` bytes of out. */
static mn_status decompress(int codec, const uint8_t *src, size_t n, size_t size, mn_buf *out) {
    mn_buf_clear(out);
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, size));
    switch (codec) {
        case PQ_CODEC_UNCOMPRESSED:
            MN_RETURN_ERROR_IF(n != size, MN_ERR_FORMAT,
                               "an uncompressed page holds %zu bytes, its header says %zu", n,
                               size);
            memcpy(out->data, src, n);
            break;
        case PQ_CODEC_SNAPPY: {
            size_t length;
            MN_RETURN_ERROR_IF(snappy_uncompressed_length((const char *)src, n, &length) !=
                                       SNAPPY_OK ||
                                   length != size,
                               MN_ERR_FORMAT, "snappy data is corrupt or of the wrong size");
            MN_RETURN_ERROR_IF(
                snappy_uncompress((const char *)src, n, (char *)out->data, &length) != SNAPPY_OK,
                MN_ERR_FORMAT, "snappy data is corrupt");
            break;
        }
        case PQ_CODEC_ZSTD: {
            size_t got = ZSTD_decompress(out->data, size, src, n);
            MN_RETURN_ERROR_IF(ZSTD_isError(got), MN_ERR_FORMAT, "zstd: %s",
                               ZSTD_getErrorName(got));
            MN_RETURN_ERROR_IF(got != size, MN_ERR_FORMAT,
                               "zstd data holds %zu bytes, the page header says %zu", got, size);
            break;
        }
        case PQ_CODEC_GZIP: {
            z_stream z;
            memset(&z, 0, sizeof z);
            MN_RETURN_ERROR_IF(inflateInit2(&z, 15 + 32) != Z_OK, MN_ERR_NOMEM,
                               "zlib cannot start");
            z.next_in = (Bytef *)src;
            z.avail_in = (uInt)n;
            z.next_out = out->data;
            z.avail_out = (uInt)size;
            int rc = Z_OK;
            while (rc == Z_OK) {
                rc = inflate(&z, Z_FINISH);
                /* Concatenated gzip members. */
                if (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0)
                    rc = inflateReset(&z);
            }
            size_t got = size - z.avail_out;
            inflateEnd(&z);
            MN_RETURN_ERROR_IF(rc != Z_STREAM_END && rc != Z_BUF_ERROR, MN_ERR_FORMAT,
                               "gzip data is corrupt");
            MN_RETURN_ERROR_IF(got != size, MN_ERR_FORMAT,
                               "gzip data holds %zu bytes, the page header says %zu", got, size);
            break;
        }
        default:
            return mn_error(MN_ERR_UNSUPPORTED, "the %s codec is not supported", codec_name(codec));
    }
    out->len = size;
    out->data[size] = '\0';
    return MN_OK;
}

/* ---- cursors ------------------------------------------------------------------------------ */

static int bit_width(int max_level) {
    int width = 0;
    while ((1 << width) <= max_level)
        width++;
    return width;
}

static void cursor_free(cursor *c) {
    mn_buf_free(&c->dict_data);
    free(c->dict_offsets);
    free(c->dict_lengths);
    mn_buf_free(&c->raw);
    mn_buf_free(&c->data);
    mn_buf_free(&c->previous);
}

/* Marks `rows` rows of this column unreadable, with the reason and message. */
static void set_bad(cursor *c, uint64_t rows, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_bad(cursor *c, uint64_t rows, const char *reason, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vsnprintf(c->bad_message, sizeof c->bad_message, fmt, args);
    va_end(args);
    c->bad_left = rows;
    c->bad_reason = reason;
}

static size_t value_size(const cursor *c) {
    switch (c->leaf->type) {
        case PQ_INT32:
        case PQ_FLOAT:
            return 4;
        case PQ_INT64:
        case PQ_DOUBLE:
            return 8;
        case PQ_INT96:
            return 12;
        case PQ_FIXED_LEN_BYTE_ARRAY:
            return (size_t)c->leaf->type_length;
        default:
            return 0;
    }
}

/* Starts the column chunk of row group `g` with `rows` rows. */
static void cursor_start_chunk(ingest_reader *reader, parquet_state *state, cursor *c, size_t g,
                               int64_t rows) {
    const pq_row_group *group = &state->meta.row_groups[g];
    c->page_left = 0;
    c->bad_left = 0;
    c->has_dict = false;
    c->dict_count = 0;
    c->chunk = NULL;
    if (group->chunks == NULL || group->n_chunks != state->meta.n_leaves) {
        set_bad(c, (uint64_t)rows, "bad_parquet_file",
                "row group %zu lists %zu columns, the schema %zu", g, group->n_chunks,
                state->meta.n_leaves);
        return;
    }
    const pq_chunk *chunk = &group->chunks[c->leaf_index];
    if (!chunk->has_meta || chunk->external) {
        set_bad(c, (uint64_t)rows, "unsupported_parquet", "column %s of row group %zu %s",
                c->leaf->path, g,
                chunk->external ? "lives in another file (file_path), which is not supported"
                                : "has no metadata");
        return;
    }
    if (!codec_supported(chunk->codec)) {
        set_bad(c, (uint64_t)rows, "unsupported_parquet",
                "column %s uses the %s codec, which mnemo does not read (rewrite the file with "
                "snappy, gzip or zstd)",
                c->leaf->path, codec_name(chunk->codec));
        return;
    }
    int64_t start = chunk->data_page_offset;
    if (chunk->dictionary_page_offset > 0 && chunk->dictionary_page_offset < start)
        start = chunk->dictionary_page_offset;
    if (start < 4 || chunk->total_compressed_size <= 0 || (uint64_t)start >= reader->file_size ||
        (uint64_t)chunk->total_compressed_size > reader->file_size - (uint64_t)start ||
        chunk->num_values < rows) {
        set_bad(c, (uint64_t)rows, "bad_parquet_file",
                "column %s of row group %zu has bad offsets or counts (start %lld, %lld bytes, "
                "%lld values for %lld rows)",
                c->leaf->path, g, (long long)start, (long long)chunk->total_compressed_size,
                (long long)chunk->num_values, (long long)rows);
        return;
    }
    c->chunk = chunk;
    c->next_page = (uint64_t)start;
    c->chunk_end = (uint64_t)start + (uint64_t)chunk->total_compressed_size;
    c->chunk_values_left = chunk->num_values;
}

/* Reads the PageHeader at c->next_page, growing the read until the header fits. */
static mn_status read_page_header(ingest_reader *reader, parquet_state *state, cursor *c,
                                  pq_page_header *header) {
    uint64_t avail = c->chunk_end - c->next_page;
    size_t want = avail < 65536 ? (size_t)avail : 65536;
    for (;;) {
        MN_FORWARD_IF_ERROR(read_at(reader, state, c->next_page, want, &c->raw));
        mn_status status = pq_page_header_decode(c->raw.data, c->raw.len, header);
        if (status != MN_ERR_LIMIT)
            return status;
        /* Page headers can carry statistics as long as the longest value. */
        if (want >= avail || want >= state->page_limit)
            return mn_error(MN_ERR_FORMAT, "the page header does not fit in the column chunk");
        want = want * 4 < avail ? want * 4 : (size_t)avail;
    }
}

static mn_status load_dictionary(cursor *c, const pq_page_header *header) {
    const uint8_t *p = c->dict_data.data, *end = p + c->dict_data.len;
    size_t n = (size_t)header->num_values;
    free(c->dict_offsets);
    free(c->dict_lengths);
    c->dict_offsets = c->dict_lengths = NULL;
    c->dict_count = 0;
    MN_RETURN_ERROR_IF(header->encoding != PQ_ENC_PLAIN &&
                           header->encoding != PQ_ENC_PLAIN_DICTIONARY,
                       MN_ERR_FORMAT, "dictionary page in encoding %d", header->encoding);
    if (c->leaf->type == PQ_BYTE_ARRAY) {
        MN_RETURN_ERROR_IF(n > c->dict_data.len / 4, MN_ERR_FORMAT,
                           "the dictionary claims %zu values in %zu bytes", n, c->dict_data.len);
        c->dict_offsets = mn_alloc_array(n ? n : 1, sizeof *c->dict_offsets);
        c->dict_lengths = mn_alloc_array(n ? n : 1, sizeof *c->dict_lengths);
        MN_RETURN_ERROR_IF(c->dict_offsets == NULL || c->dict_lengths == NULL, MN_ERR_NOMEM, "%s",
                           mn_error_message());
        for (size_t i = 0; i < n; i++) {
            MN_RETURN_ERROR_IF(end - p < 4, MN_ERR_FORMAT, "the dictionary ends early");
            uint32_t len =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            p += 4;
            MN_RETURN_ERROR_IF((uint64_t)len > (uint64_t)(end - p), MN_ERR_FORMAT,
                               "a dictionary value runs past the page");
            c->dict_offsets[i] = (uint32_t)(p - c->dict_data.data);
            c->dict_lengths[i] = len;
            p += len;
        }
    } else if (c->leaf->type == PQ_BOOLEAN) {
        MN_RETURN_ERROR_IF(n > c->dict_data.len * 8, MN_ERR_FORMAT, "the dictionary ends early");
    } else {
        size_t size = value_size(c);
        MN_RETURN_ERROR_IF(size == 0 || n > c->dict_data.len / size, MN_ERR_FORMAT,
                           "the dictionary ends early");
    }
    c->dict_count = n;
    c->has_dict = true;
    return MN_OK;
}

/* Non-null values in a v1 page: definition levels equal to the maximum. */
static mn_status count_present(const cursor *c, int64_t entries, size_t *present) {
    *present = 0;
    if (c->leaf->max_definition == 0) {
        *present = (size_t)entries;
        return MN_OK;
    }
    pq_rle levels = c->definitions;
    MN_RETURN_ERROR_IF(c->definitions_bit_packed, MN_ERR_UNSUPPORTED,
                       "BYTE_STREAM_SPLIT with BIT_PACKED levels is not supported");
    for (int64_t i = 0; i < entries;) {
        uint32_t level;
        uint64_t run = pq_rle_run(&levels, &level);
        if (run > 0) {
            uint64_t take = run < (uint64_t)(entries - i) ? run : (uint64_t)(entries - i);
            if ((int)level == c->leaf->max_definition)
                *present += take;
            pq_rle_skip_run(&levels, take);
            i += (int64_t)take;
            continue;
        }
        MN_FORWARD_IF_ERROR(pq_rle_next(&levels, &level));
        *present += (int)level == c->leaf->max_definition;
        i++;
    }
    return MN_OK;
}

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Sets up the value decoder of a data page whose values are vp..vend. */
static mn_status start_values(cursor *c, const pq_page_header *header) {
    const uint8_t *p = c->vp, *end = c->vend;
    int type = c->leaf->type;
    c->encoding = header->encoding;
    c->bool_bit = 0;
    mn_buf_clear(&c->previous);
    switch (header->encoding) {
        case PQ_ENC_PLAIN:
            return MN_OK;
        case PQ_ENC_PLAIN_DICTIONARY:
        case PQ_ENC_RLE_DICTIONARY:
            MN_RETURN_ERROR_IF(!c->has_dict, MN_ERR_FORMAT,
                               "a dictionary-encoded page comes without a dictionary page");
            MN_RETURN_ERROR_IF(p >= end && header->num_values > header->num_nulls, MN_ERR_FORMAT,
                               "dictionary indices are missing");
            pq_rle_init(&c->indices, p < end ? p + 1 : p, p < end ? (size_t)(end - p - 1) : 0,
                        p < end ? p[0] : 0);
            MN_RETURN_ERROR_IF(p < end && p[0] > 32, MN_ERR_FORMAT, "dictionary indices of %d bits",
                               p[0]);
            return MN_OK;
        case PQ_ENC_RLE:
            MN_RETURN_ERROR_IF(type != PQ_BOOLEAN, MN_ERR_UNSUPPORTED,
                               "RLE-encoded values of a non-boolean column");
            MN_RETURN_ERROR_IF(end - p < 4 || le32(p) > (uint64_t)(end - p - 4), MN_ERR_FORMAT,
                               "RLE booleans run past the page");
            pq_rle_init(&c->indices, p + 4, le32(p), 1);
            return MN_OK;
        case PQ_ENC_DELTA_BINARY_PACKED:
            MN_RETURN_ERROR_IF(type != PQ_INT32 && type != PQ_INT64, MN_ERR_UNSUPPORTED,
                               "DELTA_BINARY_PACKED values of a non-integer column");
            return pq_delta_init(&c->ints, p, (size_t)(end - p));
        case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
            MN_RETURN_ERROR_IF(type != PQ_BYTE_ARRAY, MN_ERR_UNSUPPORTED,
                               "DELTA_LENGTH_BYTE_ARRAY values of a non-byte-array column");
            MN_FORWARD_IF_ERROR(pq_delta_init(&c->lengths, p, (size_t)(end - p)));
            MN_FORWARD_IF_ERROR(pq_delta_end(p, (size_t)(end - p), &c->bytes_p));
            c->bytes_end = end;
            return MN_OK;
        }
        case PQ_ENC_DELTA_BYTE_ARRAY: {
            MN_RETURN_ERROR_IF(type != PQ_BYTE_ARRAY && type != PQ_FIXED_LEN_BYTE_ARRAY,
                               MN_ERR_UNSUPPORTED,
                               "DELTA_BYTE_ARRAY values of a non-byte-array column");
            const uint8_t *suffixes;
            MN_FORWARD_IF_ERROR(pq_delta_init(&c->prefixes, p, (size_t)(end - p)));
            MN_FORWARD_IF_ERROR(pq_delta_end(p, (size_t)(end - p), &suffixes));
            MN_FORWARD_IF_ERROR(pq_delta_init(&c->lengths, suffixes, (size_t)(end - suffixes)));
            MN_FORWARD_IF_ERROR(pq_delta_end(suffixes, (size_t)(end - suffixes), &c->bytes_p));
            c->bytes_end = end;
            return MN_OK;
        }
        case PQ_ENC_BYTE_STREAM_SPLIT: {
            size_t size = value_size(c);
            MN_RETURN_ERROR_IF(size == 0 || type == PQ_INT96, MN_ERR_UNSUPPORTED,
                               "BYTE_STREAM_SPLIT values of this column type");
            size_t present;
            if (header->type == PQ_PAGE_DATA_V2)
                present = (size_t)(header->num_values - header->num_nulls);
            else
                MN_FORWARD_IF_ERROR(count_present(c, header->num_values, &present));
            MN_RETURN_ERROR_IF(present > (size_t)(end - p) / size ||
                                   present * size != (size_t)(end - p),
                               MN_ERR_FORMAT, "BYTE_STREAM_SPLIT data has the wrong size");
            c->split = p;
            c->split_count = present;
            c->split_index = 0;
            return MN_OK;
        }
        default:
            return mn_error(MN_ERR_UNSUPPORTED, "values in encoding %d are not supported",
                            header->encoding);
    }
}

/* Reads pages until a data page is ready, or the chunk is found unreadable (bad_left set). */
static mn_status load_page(ingest_reader *reader, parquet_state *state, cursor *c) {
    for (;;) {
        if (c->chunk == NULL || c->next_page >= c->chunk_end || c->chunk_values_left <= 0) {
            set_bad(c, (uint64_t)(c->chunk_values_left > 0 ? c->chunk_values_left : 1),
                    "bad_parquet_page", "column %s has fewer values than its row group has rows",
                    c->leaf->path);
            return MN_OK;
        }
        uint64_t at = c->next_page;
        pq_page_header header;
        mn_status status = read_page_header(reader, state, c, &header);
        if (status == MN_ERR_IO || status == MN_ERR_NOMEM)
            return status;
        if (status != MN_OK) {
            /* Without a header the rest of the chunk cannot be found. */
            set_bad(c, (uint64_t)c->chunk_values_left, "bad_parquet_page",
                    "column %s: page header at byte %llu: %s", c->leaf->path,
                    (unsigned long long)at, mn_error_message());
            c->chunk_values_left = 0;
            return MN_OK;
        }
        uint64_t body = at + header.header_size;
        bool data_page = header.type == PQ_PAGE_DATA || header.type == PQ_PAGE_DATA_V2;
        int64_t entries = header.num_values;
        if (data_page && (entries <= 0 || entries > c->chunk_values_left))
            entries = 0;
        if ((uint64_t)header.compressed_size > c->chunk_end - body || (data_page && entries == 0)) {
            set_bad(c, (uint64_t)c->chunk_values_left, "bad_parquet_page",
                    "column %s: the page at byte %llu has bad sizes or counts", c->leaf->path,
                    (unsigned long long)at);
            c->chunk_values_left = 0;
            return MN_OK;
        }
        c->next_page = body + (uint64_t)header.compressed_size;
        if ((size_t)header.compressed_size > state->page_limit ||
            (size_t)header.uncompressed_size > state->page_limit) {
            if (data_page) {
                c->chunk_values_left -= entries;
                set_bad(c, (uint64_t)entries, "too_long",
                        "column %s: the page at byte %llu holds %d bytes, over the limit of %zu "
                        "(max_record_bytes)",
                        c->leaf->path, (unsigned long long)at, header.uncompressed_size,
                        state->page_limit);
                return MN_OK;
            }
            if (header.type == PQ_PAGE_DICTIONARY) {
                /* Data pages that need this dictionary will be reported as they come. */
                c->has_dict = false;
            }
            continue;
        }
        if (header.type == PQ_PAGE_DICTIONARY) {
            status = read_at(reader, state, body, (size_t)header.compressed_size, &c->raw);
            if (status == MN_OK)
                status = decompress(c->chunk->codec, c->raw.data, c->raw.len,
                                    (size_t)header.uncompressed_size, &c->dict_data);
            if (status == MN_OK && header.num_values >= 0)
                status = load_dictionary(c, &header);
            if (status == MN_ERR_IO || status == MN_ERR_NOMEM)
                return status;
            if (status != MN_OK)
                c->has_dict = false; /* its data pages fail with "without a dictionary" */
            continue;
        }
        if (!data_page)
            continue; /* index pages and page types from the future */
        c->chunk_values_left -= entries;
        status = read_at(reader, state, body, (size_t)header.compressed_size, &c->raw);
        if (status == MN_ERR_IO || status == MN_ERR_NOMEM)
            return status;
        const uint8_t *values = NULL, *values_end = NULL;
        int definition_width = bit_width(c->leaf->max_definition);
        c->definitions_bit_packed = false;
        if (status == MN_OK && header.type == PQ_PAGE_DATA) {
            status = decompress(c->chunk->codec, c->raw.data, c->raw.len,
                                (size_t)header.uncompressed_size, &c->data);
            const uint8_t *p = c->data.data, *end = p + c->data.len;
            if (status == MN_OK && c->leaf->max_definition > 0) {
                if (header.definition_encoding == PQ_ENC_BIT_PACKED) {
                    uint64_t bytes = ((uint64_t)entries * (uint64_t)definition_width + 7) / 8;
                    if (bytes > (uint64_t)(end - p)) {
                        status = mn_error(MN_ERR_FORMAT, "definition levels run past the page");
                    } else {
                        c->definitions_bit_packed = true;
                        c->bp_data = p;
                        c->bp_size = (size_t)bytes;
                        c->bp_bit = 0;
                        p += bytes;
                    }
                } else if (end - p < 4 || le32(p) > (uint64_t)(end - p - 4)) {
                    status = mn_error(MN_ERR_FORMAT, "definition levels run past the page");
                } else {
                    pq_rle_init(&c->definitions, p + 4, le32(p), definition_width);
                    p += 4 + le32(p);
                }
            }
            values = p;
            values_end = end;
        } else if (status == MN_OK) {
            uint64_t levels = (uint64_t)header.repetition_bytes + (uint64_t)header.definition_bytes;
            if (levels > c->raw.len || (uint64_t)header.uncompressed_size < levels) {
                status = mn_error(MN_ERR_FORMAT, "level bytes run past the page");
            } else {
                pq_rle_init(&c->definitions, c->raw.data + header.repetition_bytes,
                            (size_t)header.definition_bytes, definition_width);
                const uint8_t *src = c->raw.data + levels;
                size_t src_len = c->raw.len - (size_t)levels;
                size_t size = (size_t)header.uncompressed_size - (size_t)levels;
                if (header.is_compressed && c->chunk->codec != PQ_CODEC_UNCOMPRESSED) {
                    status = decompress(c->chunk->codec, src, src_len, size, &c->data);
                    values = c->data.data;
                    values_end = values + c->data.len;
                } else if (src_len != size) {
                    status = mn_error(MN_ERR_FORMAT,
                                      "the page holds %zu value bytes, its "
                                      "header says %zu",
                                      src_len, size);
                } else {
                    values = src;
                    values_end = src + src_len;
                }
            }
        }
        if (status == MN_OK) {
            c->vp = values;
            c->vend = values_end;
            status = start_values(c, &header);
        }
        if (status == MN_ERR_IO || status == MN_ERR_NOMEM)
            return status;
        if (status != MN_OK) {
            set_bad(c, (uint64_t)entries,
                    status == MN_ERR_UNSUPPORTED ? "unsupported_parquet" : "bad_parquet_page",
                    "column %s: page at byte %llu: %s", c->leaf->path, (unsigned long long)at,
                    mn_error_message());
            return MN_OK;
        }
        c->page_left = entries;
        return MN_OK;
    }
}

static mn_status next_definition(cursor *c, uint32_t *level) {
    if (c->leaf->max_definition == 0) {
        *level = 0;
        return MN_OK;
    }
    if (c->definitions_bit_packed) {
        /* BIT_PACKED levels are packed most significant bit first. */
        int width = bit_width(c->leaf->max_definition);
        uint32_t v = 0;
        for (int k = 0; k < width; k++, c->bp_bit++) {
            MN_RETURN_ERROR_IF(c->bp_bit / 8 >= c->bp_size, MN_ERR_FORMAT,
                               "definition levels end early");
            v = v << 1 | ((c->bp_data[c->bp_bit / 8] >> (7 - c->bp_bit % 8)) & 1);
        }
        *level = v;
        return MN_OK;
    }
    return pq_rle_next(&c->definitions, level);
}

static mn_status plain_value(cursor *c, pq_value *v) {
    const uint8_t *p = c->vp;
    size_t avail = (size_t)(c->vend - p);
    switch (c->leaf->type) {
        case PQ_BOOLEAN:
            MN_RETURN_ERROR_IF(avail == 0, MN_ERR_FORMAT, "boolean values end early");
            v->kind = VALUE_BOOL;
            v->i = (p[0] >> c->bool_bit) & 1;
            if (++c->bool_bit == 8) {
                c->bool_bit = 0;
                c->vp++;
            }
            return MN_OK;
        case PQ_BYTE_ARRAY: {
            MN_RETURN_ERROR_IF(avail < 4, MN_ERR_FORMAT, "byte array values end early");
            uint32_t len = le32(p);
            MN_RETURN_ERROR_IF(len > avail - 4, MN_ERR_FORMAT,
                               "a value of %u bytes runs past the page", len);
            v->kind = VALUE_BYTES;
            v->bytes = p + 4;
            v->len = len;
            c->vp += 4 + len;
            return MN_OK;
        }
        default: {
            size_t size = value_size(c);
            MN_RETURN_ERROR_IF(size == 0 || avail < size, MN_ERR_FORMAT, "values end early");
            v->bytes = p;
            v->len = size;
            c->vp += size;
            return MN_OK;
        }
    }
}

/* Interprets fixed-size little-endian bytes of a value by the column type. */
static void fixed_value(const cursor *c, const uint8_t *p, pq_value *v) {
    uint64_t bits = 0;
    size_t size = value_size(c);
    switch (c->leaf->type) {
        case PQ_INT32:
        case PQ_FLOAT:
            bits = le32(p);
            break;
        case PQ_INT64:
        case PQ_DOUBLE:
            bits = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
            break;
        default:
            v->kind = VALUE_BYTES;
            v->bytes = p;
            v->len = size;
            return;
    }
    if (c->leaf->type == PQ_FLOAT) {
        float f;
        uint32_t b32 = (uint32_t)bits;
        memcpy(&f, &b32, 4);
        v->kind = VALUE_DOUBLE;
        v->d = f;
    } else if (c->leaf->type == PQ_DOUBLE) {
        v->kind = VALUE_DOUBLE;
        memcpy(&v->d, &bits, 8);
    } else if (c->leaf->type == PQ_INT32) {
        v->kind = c->leaf->unsigned_int ? VALUE_UINT : VALUE_INT;
        v->i = c->leaf->unsigned_int ? (int64_t)(uint32_t)bits : (int64_t)(int32_t)bits;
    } else {
        v->kind = c->leaf->unsigned_int ? VALUE_UINT : VALUE_INT;
        v->i = (int64_t)bits;
    }
}

static mn_status decode_value(cursor *c, pq_value *v) {
    int type = c->leaf->type;
    switch (c->encoding) {
        case PQ_ENC_PLAIN:
            MN_FORWARD_IF_ERROR(plain_value(c, v));
            if (type != PQ_BOOLEAN && type != PQ_BYTE_ARRAY)
                fixed_value(c, v->bytes, v);
            return MN_OK;
        case PQ_ENC_PLAIN_DICTIONARY:
        case PQ_ENC_RLE_DICTIONARY: {
            uint32_t index;
            MN_FORWARD_IF_ERROR(pq_rle_next(&c->indices, &index));
            MN_RETURN_ERROR_IF(index >= c->dict_count, MN_ERR_FORMAT,
                               "dictionary index %u of a %zu-value dictionary", index,
                               c->dict_count);
            if (type == PQ_BYTE_ARRAY) {
                v->kind = VALUE_BYTES;
                v->bytes = c->dict_data.data + c->dict_offsets[index];
                v->len = c->dict_lengths[index];
            } else if (type == PQ_BOOLEAN) {
                v->kind = VALUE_BOOL;
                v->i = (c->dict_data.data[index / 8] >> (index % 8)) & 1;
            } else {
                fixed_value(c, c->dict_data.data + (size_t)index * value_size(c), v);
            }
            return MN_OK;
        }
        case PQ_ENC_RLE: {
            uint32_t bit;
            MN_FORWARD_IF_ERROR(pq_rle_next(&c->indices, &bit));
            v->kind = VALUE_BOOL;
            v->i = bit & 1;
            return MN_OK;
        }
        case PQ_ENC_DELTA_BINARY_PACKED: {
            int64_t x;
            MN_FORWARD_IF_ERROR(pq_delta_next(&c->ints, &x));
            v->kind = c->leaf->unsigned_int ? VALUE_UINT : VALUE_INT;
            v->i = type == PQ_INT32
                       ? (c->leaf->unsigned_int ? (int64_t)(uint32_t)x : (int64_t)(int32_t)x)
                       : x;
            return MN_OK;
        }
        case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY: {
            int64_t len;
            MN_FORWARD_IF_ERROR(pq_delta_next(&c->lengths, &len));
            MN_RETURN_ERROR_IF(len < 0 || (uint64_t)len > (uint64_t)(c->bytes_end - c->bytes_p),
                               MN_ERR_FORMAT, "a value of %lld bytes runs past the page",
                               (long long)len);
            v->kind = VALUE_BYTES;
            v->bytes = c->bytes_p;
            v->len = (size_t)len;
            c->bytes_p += len;
            return MN_OK;
        }
        case PQ_ENC_DELTA_BYTE_ARRAY: {
            int64_t prefix, len;
            MN_FORWARD_IF_ERROR(pq_delta_next(&c->prefixes, &prefix));
            MN_FORWARD_IF_ERROR(pq_delta_next(&c->lengths, &len));
            MN_RETURN_ERROR_IF(prefix < 0 || (uint64_t)prefix > c->previous.len, MN_ERR_FORMAT,
                               "a prefix of %lld bytes is longer than the previous value",
                               (long long)prefix);
            MN_RETURN_ERROR_IF(len < 0 || (uint64_t)len > (uint64_t)(c->bytes_end - c->bytes_p),
                               MN_ERR_FORMAT, "a suffix of %lld bytes runs past the page",
                               (long long)len);
            c->previous.len = (size_t)prefix;
            MN_FORWARD_IF_ERROR(mn_buf_append(&c->previous, c->bytes_p, (size_t)len));
            c->bytes_p += len;
            v->kind = VALUE_BYTES;
            v->bytes = c->previous.data;
            v->len = c->previous.len;
            return MN_OK;
        }
        case PQ_ENC_BYTE_STREAM_SPLIT: {
            size_t size = value_size(c);
            uint8_t bytes[16];
            MN_RETURN_ERROR_IF(c->split_index >= c->split_count || size > sizeof bytes,
                               MN_ERR_FORMAT, "BYTE_STREAM_SPLIT values end early");
            for (size_t k = 0; k < size; k++)
                bytes[k] = c->split[k * c->split_count + c->split_index];
            c->split_index++;
            fixed_value(c, bytes, v);
            if (v->kind == VALUE_BYTES) {
                /* FIXED_LEN_BYTE_ARRAY: the bytes must outlive this call. */
                c->previous.len = 0;
                MN_FORWARD_IF_ERROR(mn_buf_append(&c->previous, bytes, size));
                v->bytes = c->previous.data;
            }
            return MN_OK;
        }
        default:
            return mn_error(MN_ERR_UNSUPPORTED, "encoding %d", c->encoding);
    }
}

/* The next row's value of this column: MN_OK with the value (VALUE_NULL for null), or
 * MN_ERR_FORMAT when the row lies in an unreadable region (c->bad_left counts the rows of
 * the region still ahead, this one excluded). */
static mn_status cursor_next(ingest_reader *reader, parquet_state *state, cursor *c, pq_value *v) {
    memset(v, 0, sizeof *v);
    if (c->bad_left == 0 && c->page_left == 0)
        MN_FORWARD_IF_ERROR(load_page(reader, state, c));
    if (c->bad_left > 0) {
        c->bad_left--;
        return MN_ERR_FORMAT;
    }
    c->page_left--;
    uint32_t level;
    mn_status status = next_definition(c, &level);
    if (status == MN_OK && (int)level > c->leaf->max_definition)
        status = mn_error(MN_ERR_FORMAT, "definition level %u above the maximum %d", level,
                          c->leaf->max_definition);
    if (status == MN_OK && (int)level < c->leaf->max_definition) {
        v->kind = VALUE_NULL;
        return MN_OK;
    }
    if (status == MN_OK)
        status = decode_value(c, v);
    if (status == MN_ERR_NOMEM)
        return status;
    if (status != MN_OK) {
        /* The rest of the page is lost with this value. */
        set_bad(c, (uint64_t)c->page_left, "bad_parquet_page", "column %s: %s", c->leaf->path,
                mn_error_message());
        c->page_left = 0;
        return MN_ERR_FORMAT;
    }
    return MN_OK;
}

/* Skips n rows of a column (reading what it must); null runs are skipped at once. */
static mn_status cursor_skip(ingest_reader *reader, parquet_state *state, cursor *c, uint64_t n) {
    while (n > 0) {
        if (c->bad_left > 0) {
            uint64_t take = c->bad_left < n ? c->bad_left : n;
            c->bad_left -= take;
            n -= take;
            continue;
        }
        if (c->page_left > 0 && c->leaf->max_definition > 0 && !c->definitions_bit_packed) {
            uint32_t level;
            uint64_t run = pq_rle_run(&c->definitions, &level);
            if (run > 0 && (int)level < c->leaf->max_definition) {
                uint64_t take = run;
                if (take > n)
                    take = n;
                if (take > (uint64_t)c->page_left)
                    take = (uint64_t)c->page_left;
                pq_rle_skip_run(&c->definitions, take);
                c->page_left -= (int64_t)take;
                n -= take;
                continue;
            }
        }
        pq_value v;
        mn_status status = cursor_next(reader, state, c, &v);
        if (status != MN_OK && status != MN_ERR_FORMAT)
            return status;
        n--;
    }
    return MN_OK;
}

/* Null rows right after the current one in the text column, up to `limit`. */
static uint64_t more_nulls(cursor *c, uint64_t limit) {
    if (c->leaf->max_definition == 0 || c->definitions_bit_packed || c->page_left == 0)
        return 0;
    uint32_t level;
    uint64_t run = pq_rle_run(&c->definitions, &level);
    if (run == 0 || (int)level >= c->leaf->max_definition)
        return 0;
    uint64_t take = run < limit ? run : limit;
    if (take > (uint64_t)c->page_left)
        take = (uint64_t)c->page_left;
    pq_rle_skip_run(&c->definitions, take);
    c->page_left -= (int64_t)take;
    return take;
}

/* ---- values to JSON ---------------------------------------------------------------------- */

static mn_status append_double(mn_buf *out, double d) {
    if (!isfinite(d))
        return mn_buf_append(out, "null", 4);
    char text[40];
    /* The shortest form that reads back as the same double. */
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, d);
        if (strtod(text, NULL) == d)
            break;
    }
    return mn_buf_append(out, text, strlen(text));
}

static mn_status append_json_value(mn_buf *out, const pq_value *v) {
    switch (v->kind) {
        case VALUE_BYTES:
            return ingest_json_append_string(out, (const char *)v->bytes, v->len);
        case VALUE_INT:
            return mn_buf_appendf(out, "%lld", (long long)v->i);
        case VALUE_UINT:
            return mn_buf_appendf(out, "%llu", (unsigned long long)(uint64_t)v->i);
        case VALUE_DOUBLE:
            return append_double(out, v->d);
        case VALUE_BOOL:
            return v->i ? mn_buf_append(out, "true", 4) : mn_buf_append(out, "false", 5);
        default:
            return mn_buf_append(out, "null", 4);
    }
}

/* ---- the back end ------------------------------------------------------------------------ */

static const pq_leaf *find_leaf(const pq_meta *meta, const char *name, size_t *index) {
    for (size_t i = 0; i < meta->n_leaves; i++) {
        if (strcmp(meta->leaves[i].path, name) == 0) {
            *index = i;
            return &meta->leaves[i];
        }
    }
    return NULL;
}

static mn_status add_cursor(parquet_state *state, int role, const char *name, size_t index) {
    cursor *c = &state->cursors[state->n_cursors++];
    memset(c, 0, sizeof *c);
    c->role = role;
    c->name = name;
    c->leaf_index = index;
    c->leaf = &state->meta.leaves[index];
    return MN_OK;
}

static bool readable_leaf(const pq_leaf *leaf) {
    return leaf->max_repetition == 0 && leaf->type != PQ_INT96 &&
           (leaf->type != PQ_FIXED_LEN_BYTE_ARRAY ||
            (leaf->type_length > 0 && leaf->type_length <= 1 << 20));
}

static mn_status list_columns(const pq_meta *meta, char *out, size_t size) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < meta->n_leaves && len + 8 < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "", meta->leaves[i].path);
    return MN_OK;
}

static mn_status parquet_open(ingest_reader *reader) {
    parquet_state *state = mn_calloc(1, sizeof *state);
    MN_RETURN_ERROR_IF(state == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    reader->state = state;
    state->fd = -1;
    /* A page may hold several documents: twice the record limit, and at least 64 MiB. */
    state->page_limit =
        reader->max_record_bytes < (32u << 20) ? (64u << 20) : 2 * reader->max_record_bytes;
    if (reader->memory == NULL) {
        state->fd = open(reader->path, O_RDONLY | O_CLOEXEC);
        if (state->fd < 0)
            return mn_error_errno(MN_ERR_IO, "%s: cannot open", reader->path);
    }
    uint64_t size = reader->file_size;
    reader->reason = "bad_parquet_file";
    MN_RETURN_ERROR_IF(size < 12, MN_ERR_FORMAT,
                       "%llu bytes are too few for a parquet file (truncated?)",
                       (unsigned long long)size);
    mn_buf buf = {0};
    mn_status status = read_at(reader, state, 0, 4, &buf);
    if (status == MN_OK && memcmp(buf.data, "PAR1", 4) != 0)
        status = mn_error(MN_ERR_FORMAT, "no PAR1 magic at the start: not a parquet file");
    if (status == MN_OK)
        status = read_at(reader, state, size - 8, 8, &buf);
    if (status == MN_OK && memcmp(buf.data + 4, "PAR1", 4) != 0)
        status = mn_error(MN_ERR_FORMAT,
                          "no PAR1 magic at the end: the footer is missing (truncated file?)");
    uint32_t footer = status == MN_OK ? le32(buf.data) : 0;
    if (status == MN_OK && (footer > size - 12 || footer > MAX_FOOTER))
        status = mn_error(MN_ERR_FORMAT, "the footer length %u does not fit the file", footer);
    if (status == MN_OK)
        status = read_at(reader, state, size - 8 - footer, footer, &buf);
    if (status == MN_OK)
        status = pq_meta_decode(buf.data, buf.len, &state->meta);
    mn_buf_free(&buf);
    if (status != MN_OK)
        return mn_error_context(status == MN_ERR_IO ? MN_ERR_IO : MN_ERR_CORRUPT, "footer");
    /* The columns to read: the text, then id, url and the kept fields when present. */
    const pq_meta *meta = &state->meta;
    state->cursors = mn_calloc(3 + reader->n_keep_fields, sizeof *state->cursors);
    MN_RETURN_ERROR_IF(state->cursors == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
    static const char *const defaults[] = {"text", "content", "raw_content"};
    const pq_leaf *text = NULL;
    size_t index = 0;
    const char *text_name = reader->text_field;
    if (text_name != NULL) {
        text = find_leaf(meta, text_name, &index);
    } else {
        for (int i = 0; i < 3 && text == NULL; i++) {
            text = find_leaf(meta, defaults[i], &index);
            text_name = defaults[i];
        }
    }
    char columns[512];
    list_columns(meta, columns, sizeof columns);
    if (text == NULL) {
        reader->reason = "missing_text";
        if (reader->text_field != NULL)
            return mn_error(MN_ERR_FORMAT, "no column \"%s\" (the --text-field); columns: %s",
                            reader->text_field, columns);
        return mn_error(MN_ERR_FORMAT,
                        "no text column (looked for text, content, raw_content; name yours with "
                        "--text-field); columns: %s",
                        columns);
    }
    if ((text->type != PQ_BYTE_ARRAY && text->type != PQ_FIXED_LEN_BYTE_ARRAY) ||
        !readable_leaf(text)) {
        reader->reason = "bad_text_field";
        return mn_error(MN_ERR_FORMAT, "column \"%s\" is not a flat string column", text->path);
    }
    add_cursor(state, ROLE_TEXT, text_name, index);
    const pq_leaf *leaf = find_leaf(meta, "id", &index);
    if (leaf != NULL && readable_leaf(leaf) && leaf != text)
        add_cursor(state, ROLE_ID, "id", index);
    leaf = find_leaf(meta, "url", &index);
    if (leaf != NULL && readable_leaf(leaf) && leaf != text && leaf->type == PQ_BYTE_ARRAY)
        add_cursor(state, ROLE_URL, "url", index);
    for (size_t i = 0; i < reader->n_keep_fields; i++) {
        const char *name = reader->keep_fields[i];
        if (strcmp(name, "id") == 0 || strcmp(name, "url") == 0 || strcmp(name, text_name) == 0)
            continue;
        leaf = find_leaf(meta, name, &index);
        if (leaf == NULL)
            continue;
        if (!readable_leaf(leaf)) {
            ingest__count_skip(reader, "parquet_unreadable_kept_column");
            continue;
        }
        add_cursor(state, ROLE_KEEP, name, index);
    }
    reader->reason = NULL;
    return MN_OK;
}

/* Moves to the next row group with rows; false at the end of the file. */
static bool next_row_group(ingest_reader *reader, parquet_state *state) {
    while (state->row_group < state->meta.n_row_groups) {
        size_t g = state->row_group;
        int64_t rows = state->meta.row_groups[g].num_rows;
        if (rows <= 0) {
            state->row_group++;
            continue;
        }
        for (size_t i = 0; i < state->n_cursors; i++)
            cursor_start_chunk(reader, state, &state->cursors[i], g, rows);
        state->in_row_group = true;
        state->row_in_group = 0;
        return true;
    }
    return false;
}

/* Consumes `rows` rows (the current one included) in every column but the text's. */
static mn_status skip_other_columns(ingest_reader *reader, parquet_state *state, uint64_t rows) {
    for (size_t i = 1; i < state->n_cursors; i++)
        MN_FORWARD_IF_ERROR(cursor_skip(reader, state, &state->cursors[i], rows));
    return MN_OK;
}

static void advance_rows(parquet_state *state, uint64_t rows) {
    state->row += rows;
    state->row_in_group += (int64_t)rows;
    if (state->row_in_group >= state->meta.row_groups[state->row_group].num_rows) {
        state->in_row_group = false;
        state->row_group++;
    }
}

static void rows_location(char *out, size_t size, uint64_t first, uint64_t count) {
    if (count == 1)
        snprintf(out, size, "row %llu", (unsigned long long)first);
    else
        snprintf(out, size, "rows %llu-%llu", (unsigned long long)first,
                 (unsigned long long)(first + count - 1));
}

static mn_status parquet_next(ingest_reader *reader, ingest_document *doc, bool *done) {
    parquet_state *state = reader->state;
    if (!state->in_row_group && !next_row_group(reader, state)) {
        *done = true;
        return MN_OK;
    }
    cursor *text = &state->cursors[0];
    int64_t rows_left = state->meta.row_groups[state->row_group].num_rows - state->row_in_group;
    uint64_t first = state->row;
    doc->record = first;
    reader->record = first + 1;
    pq_value v;
    mn_status status = cursor_next(reader, state, text, &v);
    if (status == MN_ERR_FORMAT) {
        /* One message per unreadable region: to the end of the row group at once (the other
         * columns restart with the next row group), else at most NULL_BATCH rows per call
         * so that each call stays cheap. */
        uint64_t count = 1 + text->bad_left;
        if (count >= (uint64_t)rows_left) {
            count = (uint64_t)rows_left;
            text->bad_left = 0;
        } else {
            if (count > NULL_BATCH)
                count = NULL_BATCH;
            text->bad_left -= count - 1;
            MN_FORWARD_IF_ERROR(skip_other_columns(reader, state, count));
        }
        advance_rows(state, count);
        rows_location(doc->location, sizeof doc->location, first, count);
        return ingest__skip(reader, MN_ERR_FORMAT, text->bad_reason, doc->location, "%s",
                            text->bad_message);
    }
    MN_FORWARD_IF_ERROR(status);
    if (v.kind == VALUE_NULL) {
        uint64_t limit =
            (uint64_t)rows_left - 1 < NULL_BATCH ? (uint64_t)rows_left - 1 : NULL_BATCH;
        uint64_t count = 1 + more_nulls(text, limit);
        MN_FORWARD_IF_ERROR(skip_other_columns(reader, state, count));
        advance_rows(state, count);
        rows_location(doc->location, sizeof doc->location, first, count);
        return ingest__skip(reader, MN_ERR_FORMAT, "missing_text", doc->location,
                            "column %s is null", text->leaf->path);
    }
    rows_location(doc->location, sizeof doc->location, first, 1);
    if (v.len > reader->max_record_bytes) {
        MN_FORWARD_IF_ERROR(skip_other_columns(reader, state, 1));
        advance_rows(state, 1);
        return ingest__skip(reader, MN_ERR_LIMIT, "too_long", doc->location,
                            "text of %zu bytes is over the limit of %zu bytes (max_record_bytes)",
                            v.len, reader->max_record_bytes);
    }
    /* The text stays in the page (or dictionary) buffer, untouched until the next call:
     * the document points there instead of copying it. */
    const char *text_bytes = (const char *)v.bytes;
    size_t text_len = v.len;
    for (size_t i = 1; i < state->n_cursors; i++) {
        cursor *c = &state->cursors[i];
        status = cursor_next(reader, state, c, &v);
        if (status == MN_ERR_FORMAT) {
            ingest__count_skip(reader, "parquet_unreadable_value");
            continue;
        }
        MN_FORWARD_IF_ERROR(status);
        if (v.kind == VALUE_NULL)
            continue;
        if (c->role == ROLE_ID) {
            if (v.kind == VALUE_BYTES)
                MN_FORWARD_IF_ERROR(mn_buf_append(&reader->id, v.bytes, v.len));
            else
                MN_FORWARD_IF_ERROR(append_json_value(&reader->id, &v));
        } else if (c->role == ROLE_URL) {
            MN_FORWARD_IF_ERROR(mn_buf_append(&reader->url, v.bytes, v.len));
        } else {
            MN_FORWARD_IF_ERROR(ingest__extra_begin_member(reader, c->name, strlen(c->name)));
            MN_FORWARD_IF_ERROR(append_json_value(&reader->extra, &v));
        }
    }
    advance_rows(state, 1);
    ingest__doc_finish(reader, doc);
    doc->text = text_len > 0 ? text_bytes : "";
    doc->text_len = text_len;
    return MN_OK;
}

static void parquet_close(ingest_reader *reader) {
    parquet_state *state = reader->state;
    if (state == NULL)
        return;
    for (size_t i = 0; i < state->n_cursors; i++)
        cursor_free(&state->cursors[i]);
    free(state->cursors);
    pq_meta_free(&state->meta);
    if (state->fd >= 0)
        close(state->fd);
    free(state);
    reader->state = NULL;
}

static uint64_t parquet_bytes_read(const ingest_reader *reader) {
    const parquet_state *state = reader->state;
    if (state == NULL)
        return 0;
    return state->bytes_read < reader->file_size ? state->bytes_read : reader->file_size;
}

const ingest__backend ingest__parquet_backend = {parquet_open, parquet_next, parquet_close,
                                                 parquet_bytes_read};
