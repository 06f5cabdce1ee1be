/* Checked allocation, a growable byte buffer and a uint64 -> uint64 hash map.
 *
 * The allocation wrappers return NULL and set the thread's error message (naming the
 * size) instead of crashing; array forms check n * size for overflow.
 *
 *     float *w = mn_alloc_array(n, sizeof *w);
 *     MN_RETURN_ERROR_IF(w == NULL, MN_ERR_NOMEM, "%s", mn_error_message());
 *
 * or, shorter, MN_ALLOC_OR_RETURN(w, n, sizeof *w).
 */
#ifndef MNEMO_COMMON_MEM_H
#define MNEMO_COMMON_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

void *mn_malloc(size_t size);
void *mn_calloc(size_t count, size_t size);
void *mn_alloc_array(size_t count, size_t size); /* uninitialised, overflow-checked */
/* Reallocates `*ptr` to count * size bytes; on failure leaves *ptr untouched. */
mn_status mn_realloc_array(void **ptr, size_t count, size_t size);
/* 64-byte aligned (for SIMD and cache lines); release with free(). */
void *mn_aligned_alloc(size_t size);
char *mn_strdup(const char *s);
char *mn_strndup(const char *s, size_t n);
/* printf into a newly allocated string; NULL on failure. */
char *mn_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocates `count` elements of `size` bytes into `ptr`, or returns MN_ERR_NOMEM. */
#define MN_ALLOC_OR_RETURN(ptr, count, size)     \
    do {                                         \
        (ptr) = mn_alloc_array((count), (size)); \
        if ((ptr) == NULL)                       \
            return MN_ERR_NOMEM;                 \
    } while (0)

/* A growable byte buffer; zero-initialise ({0}) before use, mn_buf_free after. After any
 * append the contents are NUL-terminated at data[len] (not counted in len), so text can be
 * used as a C string. */
typedef struct mn_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} mn_buf;

mn_status mn_buf_reserve(mn_buf *buf, size_t extra);
mn_status mn_buf_append(mn_buf *buf, const void *data, size_t len);
mn_status mn_buf_append_byte(mn_buf *buf, uint8_t byte);
mn_status mn_buf_appendf(mn_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mn_buf_clear(mn_buf *buf);
void mn_buf_free(mn_buf *buf);

/* Open-addressing hash map from uint64 keys to uint64 values (any key, 0 included).
 * Zero-initialise before use; mn_map64_free after. */
typedef struct mn_map64 {
    uint64_t *keys;
    uint64_t *values;
    uint8_t *used;
    size_t count;
    size_t capacity; /* a power of two, or 0 */
} mn_map64;

/* Sets key -> value, inserting or replacing. */
mn_status mn_map64_put(mn_map64 *map, uint64_t key, uint64_t value);
/* Returns a pointer to the value of `key`, or NULL when absent. Valid until the next put. */
uint64_t *mn_map64_get(const mn_map64 *map, uint64_t key);
/* Adds `delta` to the value of `key` (inserting it with value `delta` when absent). */
mn_status mn_map64_add(mn_map64 *map, uint64_t key, uint64_t delta);
void mn_map64_free(mn_map64 *map);

/* A strong 64-bit mixer (the splitmix64 finaliser) for hashing integer keys. */
static inline uint64_t mn_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

#endif
