/* Token shards (*.mtok): the format that connects preprocessing to training.
 *
 * CONTRACT (the byte layout is to be specified here, byte by byte, by the shards
 * component, and in docs/formats.md): header magic; a sequence of blocks, each an
 * independent zstd frame (content checksum on) of little-endian token ids (uint16 when the
 * vocabulary fits, else uint32); a protobuf ShardFooter (proto/shard.proto); footer length;
 * tail magic. Documents are separated by the tokenizer's EOS (the writer appends it).
 *
 * In memory, token ids are always uint32_t.
 */
#ifndef MNEMO_SHARDS_MTOK_H
#define MNEMO_SHARDS_MTOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct shard_writer_options {
    uint64_t tokenizer_hash; /* identity hash of the tokenizer (tok_identity_hash) */
    uint32_t vocab_size;     /* ids are < vocab_size; decides uint16 or uint32 on disk */
    uint32_t eos_id;         /* appended after every document */
    int zstd_level;          /* 0: the documented default */
    uint64_t block_tokens;   /* tokens per block; 0: the documented default */
    const char *source;      /* provenance stored in the footer; may be NULL */
} shard_writer_options;

/* What a finished shard holds; also what its manifest entry records. */
typedef struct shard_info {
    uint64_t tokens; /* EOS included */
    uint64_t documents;
    uint64_t blocks;
    uint64_t file_bytes;
    uint64_t xxh64; /* of the whole file */
} shard_info;

typedef struct shard_writer shard_writer;

/* Starts PATH.tmp. Memory stays bounded by one block whatever the shard size. */
mn_status shard_writer_open(shard_writer **writer, const char *path,
                            const shard_writer_options *options);
/* Appends one document's tokens followed by EOS. Ids >= vocab_size are an error. */
mn_status shard_writer_append_document(shard_writer *writer, const uint32_t *tokens, size_t n);
/* Writes the footer, fsyncs, renames to PATH, fills `info` (may be NULL), frees. */
mn_status shard_writer_close(shard_writer *writer, shard_info *info);
void shard_writer_abort(shard_writer *writer);

typedef struct shard_reader shard_reader;

/* Maps the file and validates header, tail, footer bounds and invariants (not block
 * checksums: those are checked when a block is read, or all at once by shard_verify). */
mn_status shard_reader_open(shard_reader **reader, const char *path);
void shard_reader_close(shard_reader *reader);

uint64_t shard_reader_tokens(const shard_reader *reader);
uint64_t shard_reader_documents(const shard_reader *reader);
uint64_t shard_reader_blocks(const shard_reader *reader);
uint64_t shard_reader_tokenizer_hash(const shard_reader *reader);
uint32_t shard_reader_vocab_size(const shard_reader *reader);
uint32_t shard_reader_eos_id(const shard_reader *reader);
/* Token count of a block and the index of its first token in the shard. */
uint64_t shard_reader_block_tokens(const shard_reader *reader, uint64_t block);
uint64_t shard_reader_block_first_token(const shard_reader *reader, uint64_t block);

/* Decodes one block into `out` (capacity >= shard_reader_block_tokens), checking its zstd
 * checksum and xxh64; errors name the shard and the block. Thread-safe for distinct `out`. */
mn_status shard_reader_read_block(const shard_reader *reader, uint64_t block, uint32_t *out);
/* Reads tokens [begin, begin + count) across blocks. */
mn_status shard_reader_read_tokens(const shard_reader *reader, uint64_t begin, uint64_t count,
                                   uint32_t *out);
/* Token range of document `doc`: [*begin, *begin + *length), EOS included. */
mn_status shard_reader_document(const shard_reader *reader, uint64_t doc, uint64_t *begin,
                                uint64_t *length);

#endif
