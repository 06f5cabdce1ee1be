#include "common/hash.h"

#include <stdbool.h>
#include <string.h>
#include <xxhash.h>

uint64_t mn_xxh64(const void *data, size_t len, uint64_t seed) {
    return XXH64(data, len, seed);
}

int mn_xxh64_begin(mn_xxh64_stream *stream, uint64_t seed) {
    stream->state = XXH64_createState();
    if (stream->state == NULL)
        return -1;
    XXH64_reset(stream->state, seed);
    return 0;
}

void mn_xxh64_update(mn_xxh64_stream *stream, const void *data, size_t len) {
    XXH64_update(stream->state, data, len);
}

uint64_t mn_xxh64_end(mn_xxh64_stream *stream) {
    uint64_t digest = XXH64_digest(stream->state);
    XXH64_freeState(stream->state);
    stream->state = NULL;
    return digest;
}

/* Software crc32c: slicing-by-8 over the reflected polynomial 0x82f63b78. */
static uint32_t crc_table[8][256];
static bool crc_table_ready;

static void crc_table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
    crc_table_ready = true;
}

static uint32_t crc32c_software(uint32_t crc, const uint8_t *p, size_t len) {
    if (!crc_table_ready)
        crc_table_init(); /* idempotent: a racing second init writes the same values */
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = crc_table[7][word & 0xff] ^ crc_table[6][(word >> 8) & 0xff] ^
              crc_table[5][(word >> 16) & 0xff] ^ crc_table[4][(word >> 24) & 0xff] ^
              crc_table[3][(word >> 32) & 0xff] ^ crc_table[2][(word >> 40) & 0xff] ^
              crc_table[1][(word >> 48) & 0xff] ^ crc_table[0][word >> 56];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
                                                               size_t len) {
    uint64_t c = crc;
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--)
        c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t mn_crc32c(uint32_t crc, const void *data, size_t len) {
    crc = ~crc;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2"))
        return ~crc32c_sse42(crc, data, len);
#endif
    return ~crc32c_software(crc, data, len);
}

uint32_t mn__crc32c_portable(uint32_t crc, const void *data, size_t len) {
    return ~crc32c_software(~crc, data, len);
}

uint32_t mn_crc32c_mask(uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}
