/* Intermediate files of mnemo-ingest, under OUTPUT/.ingest-work/ (docs/ingest.md shows the
 * layout). They let every stage resume and make the output independent of the number of
 * ranks: phase 1 turns each input into its own results, and everything after works on
 * those results in input order.
 *
 * Per input (named by ID = 16 hex digits of xxh64(input path)):
 *
 *   inputs/ID.docs   the documents that passed the filters, in record order: a sequence of
 *                    blocks of about 1 MiB of records each, a document never spanning two;
 *                    block = u32 compressed size, u32 raw size, one zstd frame (content
 *                    checksum on) of the raw records. Record, little-endian:
 *                      u64 index      position among the input's kept documents (0, 1, ...)
 *                      u32 id_len, u32 url_len, u32 extra_len, u32 text_len
 *                      id, url, extra (raw JSON members), text bytes
 *   inputs/ID.keys   one fixed-size record per kept document, same order (little-endian):
 *                      u64 record         record number in the input (reader's numbering)
 *                      u64 text_bytes     length of the normalised, filtered text
 *                      u64 text_hash      xxh64(text, seed 0): exact deduplication
 *                      u64 url_hash       xxh64(url, seed 0), never 0; 0 when no URL
 *                      u64 frame_offset   byte offset in ID.docs of the block holding it
 *                      u64 flags          INGEST_KEY_HAS_SIGNATURE
 *                      u64 band[bands]    MinHash LSH band keys (only when fuzzy dedup is on)
 *   inputs/ID.done   JSON, written last and atomically: the completion marker. Holds the
 *                    input's path, size and mtime, the settings fingerprint, and the
 *                    counters. An input is finished exactly when its marker exists and
 *                    matches the input and the settings; anything else is redone.
 *   flags/ID.flags   one byte per kept document after deduplication: 0 kept, else the
 *                    stage that removed it (INGEST_DEDUP_*).
 */
#ifndef MNEMO_INGEST_WORK_H
#define MNEMO_INGEST_WORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"
#include "common/mem.h"
#include "common/stats.h"

enum { INGEST_WORK_VERSION = 1 };

enum { INGEST_KEY_HAS_SIGNATURE = 1 };

/* Dedup stage that removed a document (the byte in ID.flags). */
enum {
    INGEST_DEDUP_KEPT = 0,
    INGEST_DEDUP_EXACT = 1,
    INGEST_DEDUP_URL = 2,
    INGEST_DEDUP_FUZZY = 3
};

/* Bytes of one keys record for `bands` band keys (0 without fuzzy dedup). */
static inline size_t ingest_key_size(int bands) {
    return 48 + 8 * (size_t)bands;
}

typedef struct ingest_key {
    uint64_t record, text_bytes, text_hash, url_hash, frame_offset, flags;
    const uint64_t *bands; /* `bands` values, or NULL */
} ingest_key;

/* Packs/unpacks one keys record. */
void ingest_key_pack(const ingest_key *key, int bands, uint8_t *out);
void ingest_key_unpack(const uint8_t *in, int bands, ingest_key *key, uint64_t *bands_out);

/* Paths of an input's work files: WORK/inputs/ID.<suffix> or WORK/flags/ID.flags. */
void ingest_work_id(const char *input_path, char id[17]);
char *ingest_work_path(const char *work_dir, const char *id, const char *suffix);

/* --- writing an input's results (phase 1) --- */

typedef struct ingest_work_writer ingest_work_writer;

/* Opens (truncating) WORK/inputs/ID.docs and .keys. */
mn_status ingest_work_writer_open(ingest_work_writer **writer, const char *work_dir, const char *id,
                                  int bands);
typedef struct ingest_work_doc {
    const char *id, *url, *extra, *text;
    size_t id_len, url_len, extra_len, text_len;
    uint64_t record;
    const uint64_t *bands; /* NULL when the document has no signature */
} ingest_work_doc;
mn_status ingest_work_writer_add(ingest_work_writer *writer, const ingest_work_doc *doc);
uint64_t ingest_work_writer_count(const ingest_work_writer *writer);
uint64_t ingest_work_writer_text_bytes(const ingest_work_writer *writer);
/* Flushes the last block and closes both files (no fsync: see ingest_work_write_file); sets
 * *docs_bytes (may be NULL) to the size of ID.docs. Frees the writer, also on failure. */
mn_status ingest_work_writer_close(ingest_work_writer *writer, uint64_t *docs_bytes);
/* Closes and deletes both files (error paths, interruptions). */
void ingest_work_writer_abort(ingest_work_writer *writer);

/* Replaces `path` with `data` through PATH.tmp and rename(2): a killed process leaves the
 * old file or the new one, never a partial one. Unlike mn_write_file_atomic there is no
 * fsync: work files are checked (sizes, zstd checksums) when a relaunch uses them, and one
 * lost to a machine crash is simply redone, so the two fsyncs per file (tens of ms each on
 * common disks, many thousands of files per run) are not worth paying. Final outputs
 * (shards, manifest, report) do get the fsyncs. */
mn_status ingest_work_write_file(const char *path, const void *data, size_t len);

/* --- the completion marker --- */

typedef struct ingest_input_meta {
    char *path;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t settings;   /* fingerprint of the settings that produced the results */
    uint64_t kept;       /* documents in ID.keys */
    uint64_t kept_bytes; /* their text bytes */
    uint64_t docs_bytes; /* size of ID.docs (checked on resume, with the size of ID.keys) */
    double seconds;
    mn_stats *counters;
} ingest_input_meta;

mn_status ingest_meta_write(const char *path, const ingest_input_meta *meta);
/* Reads a marker; MN_ERR_NOT_FOUND when there is none, MN_ERR_FORMAT when it is damaged. */
mn_status ingest_meta_read(const char *path, ingest_input_meta *meta);
void ingest_meta_free(ingest_input_meta *meta);

/* --- reading keys sequentially --- */

typedef struct ingest_keys_reader ingest_keys_reader;

mn_status ingest_keys_open(ingest_keys_reader **reader, const char *path, int bands,
                           uint64_t expected_count);
/* The next record into *key (bands into the reader's own array, valid until the next call);
 * *done at the end. */
mn_status ingest_keys_next(ingest_keys_reader *reader, ingest_key *key, bool *done);
void ingest_keys_close(ingest_keys_reader *reader);

/* --- reading documents from a frame on --- */

typedef struct ingest_docs_reader ingest_docs_reader;

/* Opens ID.docs at a block offset. Blocks claiming more than `max_block` raw bytes are
 * damage (MN_ERR_CORRUPT) and are never allocated: ingest_docs_block_limit gives the bound
 * for a run's largest record. */
mn_status ingest_docs_open(ingest_docs_reader **reader, const char *path, uint64_t offset,
                           size_t max_block);
/* The largest raw block a run whose records are at most `max_record_bytes` can write. */
size_t ingest_docs_block_limit(size_t max_record_bytes);
/* The next document record (pointers valid until the next call); *done at the end of the
 * file. A damaged file is MN_ERR_CORRUPT naming it. `index` is the record's index. */
mn_status ingest_docs_next(ingest_docs_reader *reader, ingest_work_doc *doc, uint64_t *index,
                           bool *done);
void ingest_docs_close(ingest_docs_reader *reader);

/* Parses a decompressed frame payload (exposed for the fuzz target): calls back per record.
 * Fails with MN_ERR_CORRUPT on a malformed payload. */
mn_status ingest_docs_parse(const uint8_t *data, size_t len, const char *what,
                            mn_status (*each)(void *ctx, const ingest_work_doc *doc,
                                              uint64_t index),
                            void *ctx);

#endif
