/* Checksums: xxh64 (libxxhash) for data blocks and content identity, crc32c (Castagnoli)
 * for TFRecord framing. Check values: xxh64("", seed 0) = 0xef46db3751d8e999,
 * crc32c("123456789") = 0xe3069283. */
#ifndef MNEMO_COMMON_HASH_H
#define MNEMO_COMMON_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t mn_xxh64(const void *data, size_t len, uint64_t seed);

/* Streaming xxh64 over several pieces; equal to mn_xxh64 of their concatenation. */
typedef struct mn_xxh64_stream {
    void *state; /* XXH64_state_t, owned */
} mn_xxh64_stream;

int mn_xxh64_begin(mn_xxh64_stream *stream, uint64_t seed); /* 0 on success */
void mn_xxh64_update(mn_xxh64_stream *stream, const void *data, size_t len);
uint64_t mn_xxh64_end(mn_xxh64_stream *stream); /* returns the digest and frees the state */

/* crc32c continuing from `crc` (0 to start): mn_crc32c(mn_crc32c(0, a), b) = crc32c(a || b).
 * Uses the SSE4.2 instruction when the CPU has it. */
uint32_t mn_crc32c(uint32_t crc, const void *data, size_t len);

/* The table-driven crc32c that mn_crc32c falls back to; exposed for tests. */
uint32_t mn__crc32c_portable(uint32_t crc, const void *data, size_t len);

/* TFRecord's masked crc: ((crc >> 15) | (crc << 17)) + 0xa282ead8. */
uint32_t mn_crc32c_mask(uint32_t crc);

#endif
