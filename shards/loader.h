/* The training data loader: feeds every rank its own micro-batches from a token dataset,
 * deterministically and without making the trainer wait (design §6).
 *
 * CONTRACT:
 * - A sample is T+1 consecutive tokens (inputs = first T, targets = last T), packed across
 *   documents (EOS-separated), or, with `document_aligned`, starting at a document start.
 * - Order: a seeded permutation over the dataset's sample index. Global step s, micro-step
 *   m and rank r map to samples independently of timing and of other ranks' progress:
 *   the global batch of step s is the samples at permuted positions
 *   [s*G, (s+1)*G) with G = world * grad_accum * micro_batch, and rank r's micro-batch m
 *   is a fixed slice of it (so the same global batch is seen whatever the world size).
 *   After the last sample of an epoch the permutation is redrawn with seed + epoch.
 * - Every rank reads only the blocks its samples need. Prefetch and decompression run on a
 *   background thread with a bounded queue.
 * - Landmarks (design §4.3): with `landmark_id` >= 0 the token stream is cut into chunks
 *   of `chunk_text_tokens` (63) text tokens each followed by the landmark token, so
 *   positions 64k+63 hold LMK. Targets at LMK positions are -1 (no loss), and the last
 *   text token of a chunk has as target the first text token of the next chunk (not LMK).
 * - Targets are int32 with -1 meaning "ignored"; inputs are int32 token ids.
 * - The cursor (the next step and micro-step) is stored in checkpoints; restoring it
 *   continues with exactly the samples an uninterrupted run would have seen.
 *
 * IMPLEMENTATION (shards/loader_internal.h has the exact index arithmetic; docs/shard.md
 * the user's view):
 * - Samples stay inside one manifest entry (entry k's sample i = its text tokens
 *   [i*S, i*S + S + 1), S = T minus the landmark positions); an entry's last < S tokens are
 *   unused. Document-aligned samples never cross a document; the last one of a document is
 *   padded (input EOS, target -1).
 * - Rank r's micro-step m of step s, row b, is global position s*G + (m*world + r)*B + b.
 * - An entry of weight w draws round(w * samples) samples per epoch (mixtures).
 * - The permutation is a seeded Feistel network: O(1) memory for any dataset size.
 * - At open, every shard's tokenizer hash, counts and size are checked against its entry.
 */
#ifndef MNEMO_SHARDS_LOADER_H
#define MNEMO_SHARDS_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct loader_options {
    const char *dataset;       /* token dataset: directory or manifest.pb */
    int seq_len;               /* T */
    int micro_batch;           /* B: samples per rank per micro-step */
    int grad_accum;            /* micro-steps per optimizer step */
    int rank, world;           /* this rank and the data-parallel world size */
    uint64_t seed;             /* permutation seed */
    bool shuffle;              /* false: samples in dataset order (evaluation) */
    bool document_aligned;     /* samples start at document starts */
    int64_t landmark_id;       /* -1: no landmarks */
    int chunk_text_tokens;     /* text tokens per chunk when landmarks are on (63) */
    int prefetch;              /* micro-batches decoded ahead (0: default 4) */
    uint64_t expect_tokenizer; /* 0, or the tokenizer hash every shard must carry */
} loader_options;

typedef struct loader_batch {
    int B, T;
    int32_t *inputs;  /* (B,T), owned by the loader, valid until the next loader_next */
    int32_t *targets; /* (B,T), -1 = ignored */
    uint64_t step;    /* the optimizer step this micro-batch belongs to */
    int micro_step;   /* 0 .. grad_accum-1 */
} loader_batch;

typedef struct loader loader;

mn_status loader_open(loader **loader, const loader_options *options);
/* The next micro-batch of this rank (steps run forever, epoch after epoch). */
mn_status loader_next(loader *loader, loader_batch *batch);
/* Samples in one epoch of the dataset (for ETA and epoch accounting). */
uint64_t loader_samples_per_epoch(const loader *loader);

/* What this rank's loader has done so far (for logs and benchmarks). */
typedef struct loader_stats {
    uint64_t micro_batches;  /* delivered by loader_next */
    uint64_t blocks_decoded; /* blocks this rank decompressed (its cache's misses) */
    uint64_t tokens_decoded; /* ids in those blocks */
    double wait_seconds;     /* time loader_next waited for the prefetch thread */
} loader_stats;
void loader_get_stats(loader *loader, loader_stats *stats);
/* The cursor as bytes (free(); 80 bytes, checksummed) / restore it. A cursor from another
 * dataset (shards, ranges, weights), T, seed, order or landmark setting is refused with a
 * message saying what differs. One from another world size, accumulation or micro-batch is
 * accepted only when the global batch G is the same and it sits on a step boundary (the
 * data is then identical); otherwise it is refused too. */
mn_status loader_save_cursor(const loader *loader, uint8_t **data, size_t *len);
mn_status loader_restore_cursor(loader *loader, const uint8_t *data, size_t len);
void loader_close(loader *loader);

#endif
