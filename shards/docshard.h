/* Document shards: *.jsonl.zst written by mnemo-ingest, read by mnemo-bpe and
 * mnemo-tokenize. Anyone can read them with `zstdcat shard.jsonl.zst | jq`.
 *
 * Format: one zstd stream (one or more frames, content checksum on); decompressed, UTF-8
 * JSON Lines, one object per document, keys in this order:
 *     {"id":"...","text":"...","source":"...","url":"...", <extra members>}
 * `url` is present only when known; extra members (metadata kept on request) follow as
 * they were given. Strings are escaped minimally (quote, backslash, control characters as
 * \uXXXX or \n \t ...), never \u-escaping non-ASCII, so the same documents always give the
 * same bytes: shards are byte-identical whatever the number of ranks that made them.
 *
 * Exact escaping: `"` -> \", `\` -> \\, U+0008/0009/000A/000C/000D -> \b \t \n \f \r,
 * other U+0000..U+001F -> \u00XX (lowercase hex); DEL, `/` and all non-ASCII stay raw.
 * The writer compresses with zstd single-threaded (content checksum on), so identical
 * documents give byte-identical files.
 *
 * Writer: streaming with bounded memory (texts are escaped and compressed in 64 KiB
 * pieces), published atomically (NAME.tmp, fsync, rename). It refuses rather than repairs:
 * id, text and source are required; a field that is not valid UTF-8 (RFC 3629: no overlong
 * forms, surrogates or code points above U+10FFFF) or extra members that are not valid JSON
 * members (or repeat id/text/source/url) fail with MN_ERR_FORMAT naming the document and
 * the byte, and leave the shard and the writer as they were. Repairing text is ingest's
 * job (docs/decisions.md).
 * Reader: streaming; a line that is not a valid document is reported with file and line
 * and can be skipped (the reader goes on with the next line). It reads JSON Lines from any
 * writer: any key order, any standard escapes (surrogate pairs included), CRLF line ends,
 * blank lines (ignored), a last line without a newline, several concatenated zstd frames.
 * A missing id or source reads as "" (an id may also be a JSON number, returned as its
 * text); a missing or null url reads as NULL; other members come back verbatim in
 * extra_json. Invalid UTF-8, lone surrogates, raw control characters and duplicate
 * standard keys make a line invalid. zstd verifies a frame's checksum at the frame's end,
 * so documents decoded before a damaged spot are returned before MN_ERR_CORRUPT is.
 */
#ifndef MNEMO_SHARDS_DOCSHARD_H
#define MNEMO_SHARDS_DOCSHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* One document. Strings need not be NUL-terminated where a length is given; `text` may
 * contain any bytes of valid UTF-8 (U+0000 included, written as \u0000). */
typedef struct doc_record {
    const char *id;
    size_t id_len;
    const char *text;
    size_t text_len;
    const char *source;
    size_t source_len;
    const char *url; /* NULL when unknown */
    size_t url_len;
    /* Extra members as raw JSON text without braces ("\"date\":\"2023\",\"score\":0.9"), or
     * NULL. The writer copies it verbatim after the standard keys. */
    const char *extra_json;
    size_t extra_json_len;
} doc_record;

/* What a finished shard holds; also what its manifest entry records. */
typedef struct docshard_info {
    uint64_t documents;
    uint64_t text_bytes; /* sum of text lengths */
    uint64_t file_bytes; /* size of the .jsonl.zst file */
    uint64_t xxh64;      /* xxh64 (seed 0) of the whole file */
} docshard_info;

typedef struct docshard_writer docshard_writer;

/* Starts PATH.tmp; `zstd_level` 0 means the default (3). */
mn_status docshard_writer_open(docshard_writer **writer, const char *path, int zstd_level);
mn_status docshard_writer_append(docshard_writer *writer, const doc_record *doc);
/* Bytes of uncompressed JSON appended so far (for cutting shards at a target size). */
uint64_t docshard_writer_bytes(const docshard_writer *writer);
/* Finishes the stream, fsyncs, renames to PATH, fills `info` (may be NULL), frees. */
mn_status docshard_writer_close(docshard_writer *writer, docshard_info *info);
/* Removes PATH.tmp and frees; for error paths. NULL is fine. */
void docshard_writer_abort(docshard_writer *writer);

typedef struct docshard_reader docshard_reader;

/* Default line cap of the reader: a 64 MiB text (ingest's record cap) escaped as JSON. */
#define DOCSHARD_MAX_LINE ((size_t)256 << 20)

mn_status docshard_reader_open(docshard_reader **reader, const char *path);
/* The same over `size` bytes of a .jsonl.zst image in memory (kept by the caller until
 * close); `name` stands for the file in messages. For tests, fuzzing and embedded data. */
mn_status docshard_reader_open_memory(docshard_reader **reader, const void *data, size_t size,
                                      const char *name);
/* Longest accepted line in bytes (default DOCSHARD_MAX_LINE); longer lines are skipped with
 * MN_ERR_LIMIT, memory stays bounded by the cap. */
void docshard_reader_set_max_line(docshard_reader *reader, size_t max_line);
/* The next document, its strings valid until the next call. At the end: MN_OK and *done.
 * A bad line (invalid JSON, no "text" string, longer than the line cap): MN_ERR_FORMAT or
 * MN_ERR_LIMIT with a message naming the file and line; the next call continues with the
 * following line. A corrupt compressed stream: MN_ERR_CORRUPT, and the reader is done. */
mn_status docshard_reader_next(docshard_reader *reader, doc_record *doc, bool *done);
/* 1-based number of the line last returned or rejected. */
uint64_t docshard_reader_line(const docshard_reader *reader);
/* Compressed bytes consumed so far (for progress). */
uint64_t docshard_reader_compressed_offset(const docshard_reader *reader);
void docshard_reader_close(docshard_reader *reader);

#endif
