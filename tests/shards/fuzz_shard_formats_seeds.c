/* Writes seeds for fuzz_shard_formats into the directory argv[1]: an llm.c file, a Megatron
 * index (with its .bin size in front) and a manifest, each behind its selector byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "shards/manifest.h"

static int write_seed(const char *dir, const char *name, const uint8_t *data, size_t len) {
    char *path = mn_path_join(dir, name);
    int rc = path && mn_write_file_atomic(path, data, len) == MN_OK ? 0 : 1;
    free(path);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    int rc = 0;
    /* llm.c: selector 0, header, 3 uint16 tokens */
    uint8_t llmc[1 + 1024 + 6] = {0};
    int32_t header[3] = {20240520, 1, 3};
    memcpy(llmc + 1, header, sizeof header);
    uint16_t tokens[3] = {50256, 11, 12};
    memcpy(llmc + 1025, tokens, sizeof tokens);
    rc |= write_seed(argv[1], "llmc", llmc, sizeof llmc);
    /* Megatron: selector 1, bin size 10, index of 2 sequences (lengths 3 2) in 1 document */
    uint8_t meg[1 + 8 + 34 + 2 * 4 + 2 * 8 + 2 * 8] = {1, 10};
    uint8_t *idx = meg + 9;
    memcpy(idx, "MMIDIDX\0\0", 9);
    idx[9] = 1;
    idx[17] = 8;
    idx[18] = 2;
    idx[26] = 2;
    int32_t lengths[2] = {3, 2};
    int64_t pointers[2] = {0, 6}, docs[2] = {0, 2};
    memcpy(idx + 34, lengths, sizeof lengths);
    memcpy(idx + 42, pointers, sizeof pointers);
    memcpy(idx + 58, docs, sizeof docs);
    rc |= write_seed(argv[1], "megatron", meg, sizeof meg);
    /* manifest: selector 2, a saved manifest.pb */
    shard_manifest m;
    char *dir = mn_path_join(argv[1], "manifest-dir");
    if (dir && shard_manifest_init(&m, SHARD_DATASET_TOKENS, dir) == MN_OK) {
        shard_manifest_entry e = {.path = "a.mtok",
                                  .documents = 2,
                                  .tokens = 10,
                                  .bytes = 99,
                                  .weight = 0.5,
                                  .document_begin = 1,
                                  .document_end = 3};
        shard_manifest_add(&m, &e);
        shard_manifest_set_setting(&m, "k", "v");
        shard_manifest_set_counter(&m, "c", 3);
        if (shard_manifest_save(&m) == MN_OK) {
            char *pb = mn_path_join(dir, "manifest.pb");
            uint8_t *data;
            size_t len;
            if (pb && mn_read_file(pb, 1 << 20, &data, &len) == MN_OK) {
                uint8_t *seed = malloc(len + 1);
                seed[0] = 2;
                memcpy(seed + 1, data, len);
                rc |= write_seed(argv[1], "manifest", seed, len + 1);
                free(seed);
                free(data);
            } else {
                rc = 1;
            }
            free(pb);
        } else {
            rc = 1;
        }
        shard_manifest_free(&m);
        mn_remove_tree(dir);
    }
    free(dir);
    if (rc)
        fprintf(stderr, "fuzz_shard_formats_seeds: %s\n", mn_error_message());
    return rc;
}
