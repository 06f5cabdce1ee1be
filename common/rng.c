#include "common/rng.h"

#include <math.h>

uint64_t mn_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void mn_rng_seed(mn_rng *rng, uint64_t seed) {
    for (int i = 0; i < 4; i++)
        rng->s[i] = mn_splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t mn_rng_u64(mn_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t mn_rng_below(mn_rng *rng, uint64_t bound) {
    /* Rejection sampling on the top of the range removes modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do {
        x = mn_rng_u64(rng);
    } while (x >= limit);
    return x % bound;
}

double mn_rng_uniform(mn_rng *rng) {
    return (double)(mn_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double mn_rng_normal(mn_rng *rng) {
    double u1 = mn_rng_uniform(rng);
    double u2 = mn_rng_uniform(rng);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
