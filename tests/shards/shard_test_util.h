/* Helpers shared by the shards/ tests: small fixtures written by the tests themselves. */
#ifndef MNEMO_TESTS_SHARDS_SHARD_TEST_UTIL_H
#define MNEMO_TESTS_SHARDS_SHARD_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Compresses `len` bytes as one zstd frame (level 3, content checksum on) into `path`. */
bool shard_test_write_zstd(const char *path, const void *data, size_t len);
/* Decompresses a whole zstd file into a new NUL-terminated buffer (free()); NULL on error. */
uint8_t *shard_test_read_zstd(const char *path, size_t *len);
/* Reads a whole file into a new buffer (free()); NULL on error. */
uint8_t *shard_test_read_file(const char *path, size_t *len);
/* Overwrites the file with `len` bytes. */
bool shard_test_rewrite(const char *path, const void *data, size_t len);

#endif
