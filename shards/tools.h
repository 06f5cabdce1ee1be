/* The library behind mnemo-shard (docs/shard.md): verifying datasets against their
 * manifests, document-length statistics, mixtures and splits as manifests, and exports to /
 * imports from llm.c and Megatron-LM token files.
 *
 * llm.c `.bin` (karpathy/llm.c dev/data/data_common.py): a header of 256 little-endian int32
 * -- [0] magic, [1] version, [2] token count, the rest 0 -- then the tokens: magic 20240520
 * version 1 with uint16 tokens (GPT-2), or magic 20240801 version 7 with uint32 tokens
 * (Llama 3). Every document is preceded by the EOS token ("<|endoftext|>" + text), and a file
 * holds fewer than 2^31 tokens.
 *
 * Megatron-LM indexed dataset (megatron/core/datasets/indexed_dataset.py), PREFIX.bin: the
 * tokens of every sequence back to back; PREFIX.idx:
 *   9 bytes "MMIDIDX\0\0", uint64 version 1, uint8 dtype code (1 uint8, 2 int8, 3 int16,
 *   4 int32, 5 int64, 6 float64, 7 float32, 8 uint16), uint64 sequence count N, uint64
 *   document count D (the length of the document index array, documents + 1), int32[N]
 *   sequence lengths (tokens), int64[N] sequence pointers (byte offsets into .bin), int64[D]
 *   document indices (sequence index where each document starts; first 0, last N), then,
 *   for multimodal datasets only, int8[N] sequence modes.
 * mnemo exports one sequence per document with its EOS at the end (Megatron's --append-eod),
 * uint16 when the vocabulary has fewer than 65,500 ids and int32 otherwise (Megatron's
 * choice), and reads any integer dtype.
 */
#ifndef MNEMO_SHARDS_TOOLS_H
#define MNEMO_SHARDS_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "shards/manifest.h"
#include "shards/mtok.h"

/* ---- verify ---- */

typedef struct shard_entry_check {
    uint64_t documents, tokens, bytes; /* what the entry holds (its range) */
    uint64_t bad_lines;                /* document shards: lines that are not documents */
} shard_entry_check;

/* Checks entry i of a dataset against its file: the file exists with the entry's size and
 * xxh64; for token shards everything shard_verify checks, the tokenizer hash (the dataset's,
 * and `expect_tokenizer` when not 0) and the entry's document range and counts; for document
 * shards every line parses and the document count matches. The first fault is returned,
 * naming the dataset, the shard (and block) and the fix. */
mn_status shard_check_entry(const shard_manifest *manifest, size_t i, uint64_t expect_tokenizer,
                            shard_entry_check *check);

/* ---- statistics ---- */

enum { SHARD_HISTOGRAM_BUCKETS = 64 };

/* Lengths of documents: counts in power-of-two buckets (bucket k holds [2^k, 2^(k+1))). */
typedef struct shard_length_stats {
    uint64_t documents, total, min, max;
    uint64_t buckets[SHARD_HISTOGRAM_BUCKETS];
} shard_length_stats;

void shard_length_stats_init(shard_length_stats *stats);
void shard_length_stats_add(shard_length_stats *stats, uint64_t length);
void shard_length_stats_merge(shard_length_stats *into, const shard_length_stats *from);
/* The smallest bucket upper bound below which at least `fraction` of the documents lie. */
uint64_t shard_length_stats_quantile_bound(const shard_length_stats *stats, double fraction);

/* Adds the lengths of the documents of entry i: tokens (EOS included) for token datasets,
 * text bytes for document datasets (which reads the shard). */
mn_status shard_entry_length_stats(const shard_manifest *manifest, size_t i,
                                   shard_length_stats *stats);

/* ---- mixtures and splits ---- */

typedef struct shard_mix_input {
    const char *dataset; /* directory or manifest */
    double share;        /* relative share of the mixture's tokens (normalised over inputs) */
} shard_mix_input;

/* Writes a manifest at `output_dir` listing every entry of the inputs (paths relative to
 * output_dir) with weights such that one loader epoch holds the inputs' tokens in the given
 * shares. `epoch_tokens` sets the epoch's size; 0 picks the largest epoch in which no input
 * repeats (one input is used exactly once, the others are down-sampled). Inputs must be
 * token datasets of one tokenizer. */
mn_status shard_mix(const shard_mix_input *inputs, size_t n_inputs, uint64_t epoch_tokens,
                    const char *output_dir);

/* Splits a token dataset by document into two manifests referring to the same shard files:
 * from each entry, the last documents holding (about) `val_fraction` of its tokens go to
 * `val_dir`, the rest to `train_dir` (an entry of one document stays in train). Deterministic:
 * the same input gives the same split. With `val_tokens` > 0, each entry gives its share of
 * that many tokens instead. */
mn_status shard_split(const char *dataset, const char *train_dir, const char *val_dir,
                      double val_fraction, uint64_t val_tokens);

/* A path to `target` relative to directory `from_dir` ("../tokens/shard-00000.mtok"); both
 * must exist. Falls back to the absolute path of target. New string (free()). */
char *shard_relative_path(const char *from_dir, const char *target);

/* ---- llm.c and Megatron-LM ---- */

#define SHARD_LLMC_HEADER_BYTES 1024u
#define SHARD_LLMC_MAGIC_U16    20240520
#define SHARD_LLMC_MAGIC_U32    20240801

typedef struct shard_llmc_header {
    int32_t magic, version;
    uint64_t tokens;
    unsigned width; /* bytes per token: 2 or 4 */
} shard_llmc_header;

/* Parses and checks an llm.c header against the file size (exactly header + tokens). */
mn_status shard_llmc_parse_header(const uint8_t *data, size_t size, const char *name,
                                  shard_llmc_header *header);

typedef struct shard_megatron_index {
    uint8_t dtype_code;
    unsigned width;                                     /* bytes per token */
    bool is_signed;                                     /* int8/int16/int32/int64 */
    uint64_t sequences;                                 /* N */
    uint64_t documents;                                 /* D - 1 */
    const uint8_t *lengths, *pointers, *document_index; /* little-endian arrays in the image */
} shard_megatron_index;

/* Parses and checks a Megatron .idx image (`bin_size`: the .bin's size, to check every
 * sequence lies inside it). Pointers into `data` stay valid while the image does. */
mn_status shard_megatron_parse_index(const uint8_t *data, size_t size, uint64_t bin_size,
                                     const char *name, shard_megatron_index *index);

typedef struct shard_import_options {
    uint64_t tokenizer_hash; /* stored in the shards (0: unknown) */
    uint32_t vocab_size, eos_id;
    int zstd_level;        /* 0: default */
    uint64_t block_tokens; /* 0: default */
} shard_import_options;

/* Converts one llm.c .bin into a token shard: every EOS starts a document (tokens before the
 * first EOS, if any, form one too). */
mn_status shard_import_llmc(const char *bin_path, const char *mtok_path,
                            const shard_import_options *options, shard_info *info);
/* Converts a Megatron dataset (PREFIX.idx + PREFIX.bin) into a token shard: within each
 * Megatron document every EOS ends a document, and tokens after the last EOS form one. */
mn_status shard_import_megatron(const char *prefix, const char *mtok_path,
                                const shard_import_options *options, shard_info *info);

/* Writes entry i of a token dataset as llm.c files `path_format` (a printf format with one
 * %zu for the file number, e.g. "out/mnemo_%06zu.bin"), starting at *file_number and
 * advancing it: each file holds whole documents, fewer than 2^31 tokens (and at most
 * `max_file_tokens` when not 0). */
mn_status shard_export_llmc(const shard_manifest *manifest, size_t i, const char *path_format,
                            uint64_t max_file_tokens, size_t *file_number, uint64_t *tokens);
/* Called after each entry of a long export with the tokens it wrote (for progress). */
typedef void (*shard_progress_fn)(void *context, uint64_t tokens);
/* Writes a whole token dataset as one Megatron dataset PREFIX.bin + PREFIX.idx (the .idx
 * last, so its presence marks a complete export). `progress` may be NULL. */
mn_status shard_export_megatron(const shard_manifest *manifest, const char *prefix,
                                uint64_t *tokens, shard_progress_fn progress, void *context);

/* Visits the documents of entry i in order: `visit` gets each document's ids without its
 * EOS; a non-OK return stops the walk and is returned. */
typedef mn_status (*shard_document_visitor)(void *context, uint64_t document, const uint32_t *ids,
                                            size_t n);
mn_status shard_entry_documents(const shard_manifest *manifest, size_t i, uint64_t first,
                                uint64_t count, shard_document_visitor visit, void *context);

#endif
