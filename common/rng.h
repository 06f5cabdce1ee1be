/* Deterministic pseudo-random numbers: xoshiro256** seeded through splitmix64.
 * The same seed gives the same stream on every machine and build, which the data
 * order, initialisation and MinHash seeds rely on. Not for cryptography. */
#ifndef MNEMO_COMMON_RNG_H
#define MNEMO_COMMON_RNG_H

#include <stdint.h>

typedef struct mn_rng {
    uint64_t s[4];
} mn_rng;

/* splitmix64: advances *state and returns the next output. */
uint64_t mn_splitmix64(uint64_t *state);

void mn_rng_seed(mn_rng *rng, uint64_t seed);
uint64_t mn_rng_u64(mn_rng *rng);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint64_t mn_rng_below(mn_rng *rng, uint64_t bound);
/* Uniform in [0, 1) with 53 random bits. */
double mn_rng_uniform(mn_rng *rng);
/* Standard normal (Box-Muller; one value per call). */
double mn_rng_normal(mn_rng *rng);

#endif
