#include "common/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *mn_malloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        mn_error(MN_ERR_NOMEM, "out of memory allocating %zu bytes", size);
    return p;
}

void *mn_calloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
        mn_error(MN_ERR_NOMEM, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *mn_alloc_array(size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size) {
        mn_error(MN_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    return mn_malloc(count * size);
}

mn_status mn_realloc_array(void **ptr, size_t count, size_t size) {
    if (size != 0 && count > SIZE_MAX / size)
        return mn_error(MN_ERR_NOMEM, "reallocation of %zu x %zu bytes overflows", count, size);
    size_t bytes = count * size;
    void *p = realloc(*ptr, bytes ? bytes : 1);
    if (p == NULL)
        return mn_error(MN_ERR_NOMEM, "out of memory growing a buffer to %zu bytes", bytes);
    *ptr = p;
    return MN_OK;
}

void *mn_aligned_alloc(size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, 64, size ? size : 64) != 0) {
        mn_error(MN_ERR_NOMEM, "out of memory allocating %zu aligned bytes", size);
        return NULL;
    }
    return p;
}

char *mn_strndup(const char *s, size_t n) {
    size_t len = strnlen(s, n);
    char *copy = mn_malloc(len + 1);
    if (copy != NULL) {
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    return copy;
}

char *mn_strdup(const char *s) {
    return mn_strndup(s, SIZE_MAX);
}

char *mn_asprintf(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    char *out = NULL;
    if (n >= 0 && (out = mn_malloc((size_t)n + 1)) != NULL)
        vsnprintf(out, (size_t)n + 1, fmt, args);
    va_end(args);
    return out;
}

mn_status mn_buf_reserve(mn_buf *buf, size_t extra) {
    if (extra > SIZE_MAX - buf->len - 1)
        return mn_error(MN_ERR_NOMEM, "buffer size overflows");
    size_t need = buf->len + extra + 1; /* room for a terminating NUL */
    if (need <= buf->cap)
        return MN_OK;
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    void *p = buf->data;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, 1));
    buf->data = p;
    buf->cap = cap;
    return MN_OK;
}

mn_status mn_buf_append(mn_buf *buf, const void *data, size_t len) {
    MN_FORWARD_IF_ERROR(mn_buf_reserve(buf, len));
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = 0;
    return MN_OK;
}

mn_status mn_buf_append_byte(mn_buf *buf, uint8_t byte) {
    return mn_buf_append(buf, &byte, 1);
}

mn_status mn_buf_appendf(mn_buf *buf, const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    mn_status status = n < 0 ? mn_error(MN_ERR_ARG, "bad format string") : MN_OK;
    if (status == MN_OK)
        status = mn_buf_reserve(buf, (size_t)n);
    if (status == MN_OK) {
        vsnprintf((char *)buf->data + buf->len, (size_t)n + 1, fmt, args);
        buf->len += (size_t)n;
    }
    va_end(args);
    return status;
}

void mn_buf_clear(mn_buf *buf) {
    buf->len = 0;
    if (buf->data != NULL)
        buf->data[0] = 0;
}

void mn_buf_free(mn_buf *buf) {
    free(buf->data);
    *buf = (mn_buf){0};
}

static size_t map64_slot(const mn_map64 *map, uint64_t key) {
    size_t mask = map->capacity - 1;
    size_t i = (size_t)mn_mix64(key) & mask;
    while (map->used[i] && map->keys[i] != key)
        i = (i + 1) & mask;
    return i;
}

static mn_status map64_grow(mn_map64 *map) {
    size_t capacity = map->capacity ? map->capacity * 2 : 16;
    mn_map64 bigger = {.capacity = capacity};
    bigger.keys = mn_alloc_array(capacity, sizeof *bigger.keys);
    bigger.values = mn_alloc_array(capacity, sizeof *bigger.values);
    bigger.used = mn_calloc(capacity, 1);
    if (!bigger.keys || !bigger.values || !bigger.used) {
        mn_map64_free(&bigger);
        return MN_ERR_NOMEM;
    }
    for (size_t i = 0; i < map->capacity; i++) {
        if (!map->used[i])
            continue;
        size_t j = map64_slot(&bigger, map->keys[i]);
        bigger.used[j] = 1;
        bigger.keys[j] = map->keys[i];
        bigger.values[j] = map->values[i];
    }
    bigger.count = map->count;
    mn_map64_free(map);
    *map = bigger;
    return MN_OK;
}

mn_status mn_map64_put(mn_map64 *map, uint64_t key, uint64_t value) {
    /* Load factor at most 1/2 keeps linear probing short. */
    if ((map->count + 1) * 2 > map->capacity)
        MN_FORWARD_IF_ERROR(map64_grow(map));
    size_t i = map64_slot(map, key);
    if (!map->used[i]) {
        map->used[i] = 1;
        map->keys[i] = key;
        map->count++;
    }
    map->values[i] = value;
    return MN_OK;
}

uint64_t *mn_map64_get(const mn_map64 *map, uint64_t key) {
    if (map->capacity == 0)
        return NULL;
    size_t i = map64_slot(map, key);
    return map->used[i] ? &map->values[i] : NULL;
}

mn_status mn_map64_add(mn_map64 *map, uint64_t key, uint64_t delta) {
    uint64_t *value = mn_map64_get(map, key);
    if (value != NULL) {
        *value += delta;
        return MN_OK;
    }
    return mn_map64_put(map, key, delta);
}

void mn_map64_free(mn_map64 *map) {
    free(map->keys);
    free(map->values);
    free(map->used);
    *map = (mn_map64){0};
}
