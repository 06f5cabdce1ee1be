/* Token shards (*.mtok): the format that connects preprocessing to training.
 *
 * Byte layout (format version 1; every integer little-endian; docs/formats.md has the same):
 *
 *   offset         size  field
 *   0              8     head magic: the ASCII bytes "MNEMOTOK" (4d 4e 45 4d 4f 54 4f 4b)
 *   8              4     uint32 format version = 1
 *   12             4     uint32 reserved = 0
 *   16             C_0   block 0: one zstd frame (content size and content checksum present)
 *   16 + C_0       C_1   block 1 ... blocks follow each other with no gap
 *   16 + sum(C_i)  F     footer: protobuf ShardFooter (proto/shard.proto)
 *   size - 24      8     uint64 F, the footer's length in bytes
 *   size - 16      8     uint64 xxh64 (seed 0) of the F footer bytes
 *   size - 8       8     tail magic: the ASCII bytes "MNTOKEND" (4d 4e 54 4f 4b 45 4e 44)
 *
 * A block decompresses to token_count ids of the footer's dtype: uint16 (2 bytes) when
 * vocab_size <= 65536, else uint32 (4 bytes), little-endian, in stream order. Its footer
 * entry holds its offset and compressed size (C_i), token count, the index of the document
 * its first token belongs to, and the xxh64 (seed 0) of its decompressed bytes. Every
 * block holds the footer's block_tokens ids except the last, which holds 1..block_tokens.
 * Documents are consecutive runs of ids, each ending with eos_id (appended by the writer;
 * EOS never appears inside a document); the footer lists their lengths (EOS included).
 *
 * Invariants a reader checks before using anything (shard_reader_open): size >= 40; both
 * magics; version 1 and reserved 0; F <= SHARD_MAX_FOOTER_BYTES and F <= size - 40; the
 * footer's xxh64; a valid ShardFooter whose format_version is 1; dtype known and consistent
 * with vocab_size; eos_id < vocab_size; block 0 at offset 16, each block right after the
 * previous one, the last ending where the footer begins; 1 <= token_count <=
 * SHARD_MAX_BLOCK_TOKENS; sum of token counts == total_tokens; every document length >= 1,
 * their count == total_documents and their sum == total_tokens; each block's
 * first_document equal to the document that holds its first token. When a block is read:
 * the frame's declared content size and its exact compressed size, the block's xxh64 (the
 * full 64 bits of the hash whose low 32 bits are zstd's content checksum, which readers
 * therefore do not check twice), and every id < vocab_size. shard_verify adds EOS exactly
 * at every document end and the whole file's xxh64.
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

#define SHARD_FORMAT_VERSION 1u
#define SHARD_HEADER_BYTES   16u
#define SHARD_TRAILER_BYTES  24u
/* Defaults (docs/benchmarks.md, "Shards", has the measurements behind them). */
#define SHARD_DEFAULT_ZSTD_LEVEL   3
#define SHARD_DEFAULT_BLOCK_TOKENS ((uint64_t)16384)
/* Bounds a reader enforces before allocating anything for a shard. */
#define SHARD_MAX_BLOCK_TOKENS ((uint64_t)1 << 24)
#define SHARD_MAX_FOOTER_BYTES ((size_t)128 << 20)

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
/* Appends one document's tokens followed by EOS. Ids >= vocab_size, and EOS inside the
 * document, are MN_ERR_ARG naming the document and position; nothing of a refused document
 * is written. */
mn_status shard_writer_append_document(shard_writer *writer, const uint32_t *tokens, size_t n);
/* Writes the footer, fsyncs, renames to PATH, fills `info` (may be NULL), frees. */
mn_status shard_writer_close(shard_writer *writer, shard_info *info);
void shard_writer_abort(shard_writer *writer);

typedef struct shard_reader shard_reader;

/* Maps the file and validates header, tail, footer bounds and invariants (not block
 * checksums: those are checked when a block is read, or all at once by shard_verify). */
mn_status shard_reader_open(shard_reader **reader, const char *path);
/* The same over a shard image in memory (kept by the caller until close); `name` stands
 * for the file in messages. */
mn_status shard_reader_open_memory(shard_reader **reader, const void *data, size_t size,
                                   const char *name);
void shard_reader_close(shard_reader *reader);

/* Everything the header and footer say, for inspect and stats. Strings live as long as
 * the reader. */
typedef struct shard_description {
    const char *path;
    uint32_t format_version;
    unsigned dtype_bytes; /* 2 (uint16) or 4 (uint32) */
    uint32_t vocab_size, eos_id;
    uint64_t tokenizer_hash;
    uint64_t tokens, documents, blocks;
    uint64_t block_tokens; /* nominal tokens per block */
    int zstd_level;
    uint64_t file_bytes, footer_bytes, compressed_bytes; /* compressed: all blocks */
    const char *created_by, *source;
} shard_description;
void shard_reader_describe(const shard_reader *reader, shard_description *out);

typedef struct shard_block_info {
    uint64_t offset, compressed_size, tokens, first_token, first_document, xxh64;
} shard_block_info;
shard_block_info shard_reader_block_info(const shard_reader *reader, uint64_t block);

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

/* Decompression state reused across blocks (a zstd context and a scratch buffer): the fast
 * path for code that reads many blocks. One decoder per thread. */
typedef struct shard_decoder shard_decoder;
mn_status shard_decoder_create(shard_decoder **decoder);
void shard_decoder_free(shard_decoder *decoder);
/* shard_reader_read_block with a caller's decoder. */
mn_status shard_reader_decode_block(const shard_reader *reader, shard_decoder *decoder,
                                    uint64_t block, uint32_t *out);
/* Index of the block that holds token `token` (< shard_reader_tokens). */
uint64_t shard_reader_block_of_token(const shard_reader *reader, uint64_t token);
/* Reads tokens [begin, begin + count) across blocks. */
mn_status shard_reader_read_tokens(const shard_reader *reader, uint64_t begin, uint64_t count,
                                   uint32_t *out);
/* Tokens [*token_begin, *token_end) of documents [first, end) (EOS included), computed from
 * the footer without building the per-document index when it is not built yet. */
mn_status shard_reader_document_span(const shard_reader *reader, uint64_t first, uint64_t end,
                                     uint64_t *token_begin, uint64_t *token_end);
/* Token range of document `doc`: [*begin, *begin + *length), EOS included. The first call
 * builds the reader's document index (8 bytes per document), which a reader otherwise does
 * not keep; thread-safe. */
mn_status shard_reader_document(const shard_reader *reader, uint64_t doc, uint64_t *begin,
                                uint64_t *length);

/* Checks everything in a shard: what shard_reader_open checks, then every block (zstd
 * checksum, xxh64, ids < vocab), EOS exactly at document ends, and computes the whole
 * file's xxh64 into info. The first fault is returned, naming the shard, the block and the
 * fix. `expect_tokenizer` (0: any) must equal the shard's tokenizer hash. */
mn_status shard_verify(const char *path, uint64_t expect_tokenizer, shard_info *info);

#endif
