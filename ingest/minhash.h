/* MinHash signatures and LSH band keys for fuzzy deduplication (Broder 1997; the banding
 * of Leskovec, Rajaraman and Ullman, "Mining of Massive Datasets", ch. 3), with FineWeb's
 * defaults: word 5-grams, 14 bands x 8 rows (a pair of documents with Jaccard similarity s
 * shares at least one band with probability 1 - (1 - s^8)^14: 0.5 at s = 0.72, 0.92 at
 * s = 0.8, 0.9993 at s = 0.9).
 *
 * Text as seen by MinHash: lower-cased (Unicode simple lower case), words are maximal runs
 * of letters and digits (punctuation and white space separate them), every digit counts as
 * '0' (so "page 1" and "page 2" shingle alike). Shingles are the n-grams of consecutive
 * words; a document with fewer than n words is one shingle of all its words; a document
 * without words has no signature (and takes no part in fuzzy deduplication).
 *
 * Hash functions: shingle -> 32-bit key x (from a 64-bit hash of its words) -> h_i(x) =
 * ((a_i x + b_i) mod 2^64) >> 32, the multiply-add-shift family of Dietzfelbinger (1996),
 * strongly universal for 32-bit keys, with odd 64-bit a_i and 64-bit b_i drawn from mn_rng
 * seeded with `seed`: the same seed gives the same signatures on every machine.
 * Band key j = xxh64 of the band's rows (little-endian uint32 values) with seed j, so equal
 * band rows in the same band give equal keys.
 */
#ifndef MNEMO_INGEST_MINHASH_H
#define MNEMO_INGEST_MINHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum { INGEST_MINHASH_MAX_HASHES = 1024, INGEST_MINHASH_MAX_NGRAM = 32 };

typedef struct ingest_minhash_config {
    int ngram;     /* words per shingle (default 5) */
    int bands;     /* default 14 */
    int rows;      /* hashes per band (default 8) */
    uint64_t seed; /* default 1 */
} ingest_minhash_config;

void ingest_minhash_config_default(ingest_minhash_config *config);
/* Checks ranges: ngram 1..32, bands and rows >= 1, bands * rows <= 1024. */
mn_status ingest_minhash_config_check(const ingest_minhash_config *config);

typedef struct ingest_minhash ingest_minhash;

mn_status ingest_minhash_create(ingest_minhash **minhash, const ingest_minhash_config *config);
void ingest_minhash_free(ingest_minhash *minhash);

/* The signature (bands * rows minima) of a normalised text; *has_signature is false when
 * the text has no word. `signature` holds bands * rows values. */
mn_status ingest_minhash_signature(ingest_minhash *minhash, const char *text, size_t len,
                                   uint32_t *signature, bool *has_signature);
/* The band keys of a signature (`bands` values). */
void ingest_minhash_band_keys(const ingest_minhash *minhash, const uint32_t *signature,
                              uint64_t *keys);
/* Both at once: the band keys of a text (uses an internal signature buffer). */
mn_status ingest_minhash_bands(ingest_minhash *minhash, const char *text, size_t len,
                               uint64_t *keys, bool *has_signature);

/* Fraction of equal positions of two signatures of `n` values: an unbiased estimate of the
 * Jaccard similarity of the two shingle sets. */
double ingest_minhash_similarity(const uint32_t *a, const uint32_t *b, size_t n);

#endif
