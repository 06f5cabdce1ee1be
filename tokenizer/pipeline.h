/* The MPI programs of tokenizer/: mnemo-bpe (BPE training on document shards) and
 * mnemo-tokenize (document shards in, token shards out). Library part of both programs;
 * links shards/ (document shard reader, token shard writer, manifests). Every function
 * taking a communicator is collective over it. docs/tokenizer.md describes the programs.
 */
#ifndef MNEMO_TOKENIZER_PIPELINE_H
#define MNEMO_TOKENIZER_PIPELINE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

/* Document shards named by the inputs: dataset directories, manifest.pb files or
 * .jsonl.zst files, in the order given (a dataset's shards in manifest order). */
typedef struct tok_input_list {
    char **paths;
    uint64_t *sizes; /* file bytes */
    size_t count;
} tok_input_list;

mn_status tok_input_list_build(tok_input_list *list, char *const *inputs, size_t n_inputs);
void tok_input_list_free(tok_input_list *list);

/* Deterministic assignment of shards to ranks by size (largest first, to the least loaded
 * rank; ties to the lower index and rank): owner[i] is the rank of shard i. */
void tok_assign_shards(const uint64_t *sizes, size_t count, int world, int *owner);

typedef struct tok_bpe_job {
    char *const *inputs;
    size_t n_inputs;
    const char *output;       /* .mtk */
    const char *name;         /* tokenizer name (default: the output's base name) */
    const char *pretokenizer; /* gpt2 | cl100k | o200k */
    uint32_t vocab_size;      /* special tokens included */
    uint64_t min_frequency;
    uint64_t max_bytes;              /* text bytes to sample, 0 = all (see docs/tokenizer.md) */
    uint64_t max_memory;             /* per rank, for the pre-token counts; 0 = no cap */
    const tok_special_def *specials; /* texts and roles (ids assigned by training) */
    size_t n_specials;
    bool force; /* retrain even when the output exists with the same settings */
} tok_bpe_job;

/* Trains and writes job->output (rank 0). When the output exists and was trained with the
 * same settings, does nothing (*skipped). */
mn_status tok_bpe_run(const tok_bpe_job *job, MPI_Comm comm, bool *skipped);

typedef struct tok_tokenize_job {
    char *const *inputs;
    size_t n_inputs;
    const char *tokenizer; /* .mtk */
    const char *output;    /* dataset directory */
    int zstd_level;
    uint64_t block_tokens;
} tok_tokenize_job;

typedef struct tok_tokenize_result {
    uint64_t shards, shards_skipped, documents, tokens, text_bytes, bad_records;
    /* Of the shards written by this run (not skipped): for bytes per token. */
    uint64_t new_documents, new_tokens;
    double seconds;
} tok_tokenize_result;

/* Tokenizes every input shard into OUTPUT/<shard name>.mtk (one per input shard, whatever
 * the number of ranks), skipping shards already done, then writes OUTPUT/manifest.pb. */
mn_status tok_tokenize_run(const tok_tokenize_job *job, MPI_Comm comm, tok_tokenize_result *result);

/* A barrier that sleeps (1 ms steps) instead of spinning: ranks that wait for another (rank
 * 0 learning merges, a rank with a larger shard) leave the cores to the ones working,
 * which matters when ranks share cores. */
mn_status tok_polite_barrier(MPI_Comm comm);

/* The token shard name for a document shard path: base name with ".jsonl.zst" (or the last
 * extension) replaced by ".mtok". Writes into out. */
void tok_token_shard_name(const char *document_shard, char *out, size_t size);

#endif
