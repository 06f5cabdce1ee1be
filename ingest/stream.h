/* Byte streams for the readers: the decompressed content of a file (libarchive's raw format
 * with the compression filters) or of an archive member, read block by block with lines,
 * exact reads and skips on top. Internal to the readers.
 *
 * Memory stays bounded whatever the input: a line longer than the cap is passed over
 * without being buffered (only its length is counted), and reads take what the caller asks.
 */
#ifndef MNEMO_INGEST_STREAM_H
#define MNEMO_INGEST_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"

struct archive;

/* The compression filters the readers accept: those libarchive implements itself (gzip,
 * bzip2, xz, lzma, zstd, lz4, lzip, compress). Filters that would fork an external program
 * (lzop, grzip, lrzip) are left out: forking inside an MPI rank is unsafe. */
mn_status ingest__archive_support_filters(struct archive *archive);

/* Opens `path` (or `memory` when not NULL) with libarchive's raw format and the filters
 * above, positioned at the start of the decompressed data; *empty when there is none (then
 * no data must be read from the archive). */
mn_status ingest__archive_open_raw(struct archive **archive, const char *path, const void *memory,
                                   size_t memory_size, bool *empty);

typedef struct ingest__stream {
    struct archive *archive; /* data of its current entry is read (not owned) */
    const uint8_t *block;    /* the current block (owned by libarchive) */
    size_t block_len;
    size_t pos;            /* bytes of the block consumed */
    uint64_t block_offset; /* stream offset of block[0] */
    mn_buf carry;          /* a line split across blocks */
    bool eof;
    bool failed; /* a read error was reported; the stream is at its end */
    bool fatal;  /* ... and libarchive said the whole archive is unusable */
} ingest__stream;

void ingest__stream_init(ingest__stream *stream, struct archive *archive);
/* Frees the carry buffer (not the archive). */
void ingest__stream_free(ingest__stream *stream);

/* Bytes of decompressed data consumed so far. */
static inline uint64_t ingest__stream_offset(const ingest__stream *stream) {
    return stream->block_offset + stream->pos;
}

typedef struct ingest__line {
    const char *data; /* without the '\n' (a final '\r' is kept); valid until the next call */
    size_t len;       /* for a line over the cap: its full length, and data == NULL */
    bool too_long;
} ingest__line;

/* The next line, at most `cap` bytes. At the end: MN_OK and *eof (a last line without '\n'
 * is still returned first). A read error (corrupt or truncated stream) returns
 * MN_ERR_CORRUPT with libarchive's message and the offset; after it the stream is at its
 * end. */
mn_status ingest__stream_line(ingest__stream *stream, size_t cap, ingest__line *line, bool *eof);

/* Appends up to `n` bytes to `out`; *got is fewer than n only at the end of the stream. */
mn_status ingest__stream_read(ingest__stream *stream, size_t n, mn_buf *out, size_t *got);

/* Skips up to `n` bytes; *skipped is fewer than n only at the end of the stream. */
mn_status ingest__stream_skip(ingest__stream *stream, uint64_t n, uint64_t *skipped);

/* The next byte without consuming it; -1 at the end of the stream. */
mn_status ingest__stream_peek(ingest__stream *stream, int *byte);

#endif
