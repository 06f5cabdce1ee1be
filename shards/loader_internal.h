/* Internals of the data loader exposed for tests and benchmarks (not a public interface).
 *
 * Sample index. A token dataset's entries (manifest order) each give `samples` samples:
 *   packed:            samples = (n - 1) / S for an entry of n tokens (0 when n < S + 1),
 *                      sample k = text tokens [k*S, k*S + S + 1) of the entry;
 *   document-aligned:  a document of L tokens (EOS included) gives ceil((L - 1) / S)
 *                      samples; sample j of it starts at its token j*S and stops at the
 *                      document's end (the rest of the sample is padding, targets -1).
 * S is the number of text tokens a sample's inputs hold: T without landmarks, T minus the
 * landmark positions (T / (chunk + 1)) with them. The tail of an entry that does not fill a
 * sample (< S tokens) is not used.
 *
 * One epoch draws `drawn` = round(weight * samples) samples from each entry (weight 0 is 1):
 * drawn index v of entry j in epoch e is the entry's sample P_j((v + e * drawn) mod
 * samples), where P_j is a seeded permutation of the entry's samples when the weight is not
 * 1 and shuffling is on (the identity otherwise). So a down-weighted entry shows a different
 * subset each epoch and all of it over 1/weight epochs; an up-weighted one repeats samples.
 *
 * Order. The epoch's N = sum(drawn) samples are concatenated in entry order; global
 * position p is epoch e = p / N, index i = p mod N, and with shuffling the drawn index
 * Perm_{seed + e}(i). Step s, micro-step m, rank r, row b of a micro-batch is position
 * p = s*G + (m*world + r)*B + b with G = world * grad_accum * B, so the union of all ranks'
 * micro-batches of a step is the same global batch for any world size with the same G.
 */
#ifndef MNEMO_SHARDS_LOADER_INTERNAL_H
#define MNEMO_SHARDS_LOADER_INTERNAL_H

#include <stdint.h>

#include "shards/loader.h"

/* A bijection of [0, n) computable at any point in O(1) memory: a 6-round Feistel network
 * over the smallest even-width power of two >= n, with cycle walking back into [0, n)
 * (at most 4 rounds of the network on average). */
typedef struct shard__permutation {
    uint64_t n;
    unsigned half_bits;
    uint64_t mask;
    uint64_t keys[6];
} shard__permutation;

void shard__permutation_init(shard__permutation *permutation, uint64_t n, uint64_t seed);
uint64_t shard__permutation_apply(const shard__permutation *permutation, uint64_t index);

/* Where global position `position` comes from: the manifest entry and the entry's sample. */
void loader__locate(const loader *loader, uint64_t position, uint32_t *entry, uint64_t *sample);

/* The token range of a sample: shard tokens [*begin, *begin + *length) of `entry`
 * (length S + 1, or less at a document's end in document-aligned mode). */
void loader__sample_tokens(const loader *loader, uint32_t entry, uint64_t sample, uint64_t *begin,
                           uint64_t *length);

#endif
