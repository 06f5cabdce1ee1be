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

/* A token dataset written by a test: shards of random-length documents whose text ids count
 * up through the whole dataset (1, 2, 3, ... wrapping below SHARD_TEST_VOCAB - 1), so a
 * token's id tells where it came from. EOS is SHARD_TEST_EOS. */
#define SHARD_TEST_VOCAB 60000u
#define SHARD_TEST_EOS   0u

typedef struct shard_test_dataset {
    size_t n_shards;
    uint32_t **streams;    /* per shard: every token, EOS included */
    uint64_t *stream_len;  /* per shard */
    uint64_t **doc_starts; /* per shard: n_docs + 1 offsets into the stream */
    size_t *n_docs;
} shard_test_dataset;

/* Writes DIR/shard-0000N.mtok and DIR/manifest.pb; documents have 0..max_doc_len text
 * tokens. Returns false (with a test failure recorded) on error. */
bool shard_test_make_dataset(const char *dir, size_t n_shards, size_t docs_per_shard,
                             size_t max_doc_len, uint64_t block_tokens, uint64_t seed,
                             uint64_t tokenizer_hash, shard_test_dataset *out);
void shard_test_dataset_free(shard_test_dataset *dataset);
