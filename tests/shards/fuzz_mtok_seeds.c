/* Writes seeds for fuzz_mtok into the directory argv[1]: small uint16 and uint32 shards made
 * by our writer, each both as a whole image (first byte 0) and split into footer and blocks
 * (first byte 1; see fuzz_mtok.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "shards/mtok.h"

static int write_seed(const char *dir, const char *name, uint8_t form, const uint8_t *a,
                      size_t a_len, const uint8_t *b, size_t b_len, const uint8_t *c,
                      size_t c_len) {
    char *path = mn_path_join(dir, name);
    uint8_t *buf = malloc(1 + a_len + b_len + c_len);
    int rc = 1;
    if (path && buf) {
        buf[0] = form;
        if (a_len)
            memcpy(buf + 1, a, a_len);
        if (b_len)
            memcpy(buf + 1 + a_len, b, b_len);
        if (c_len)
            memcpy(buf + 1 + a_len + b_len, c, c_len);
        rc = mn_write_file_atomic(path, buf, 1 + a_len + b_len + c_len) == MN_OK ? 0 : 1;
    }
    free(path);
    free(buf);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    int rc = 0;
    for (int variant = 0; variant < 2; variant++) {
        char name[64];
        snprintf(name, sizeof name, "shard-%d.mtok", variant);
        char *path = mn_path_join(argv[1], name);
        shard_writer_options options = {.tokenizer_hash = 7,
                                        .vocab_size = variant ? 100000 : 300,
                                        .eos_id = 1,
                                        .block_tokens = 16,
                                        .source = "seed"};
        shard_writer *w;
        if (path == NULL || shard_writer_open(&w, path, &options) != MN_OK)
            return 1;
        for (uint32_t d = 0; d < 6; d++) {
            uint32_t ids[20];
            for (uint32_t i = 0; i < 3 + d * 3; i++)
                ids[i] = 2 + (d * 37 + i * (variant ? 7919 : 13)) % (options.vocab_size - 2);
            if (shard_writer_append_document(w, ids, 3 + d * 3) != MN_OK)
                rc = 1;
        }
        if (shard_writer_close(w, NULL) != MN_OK)
            rc = 1;
        uint8_t *image;
        size_t len;
        if (rc == 0 && mn_read_file(path, 1 << 20, &image, &len) == MN_OK) {
            uint64_t footer_len;
            memcpy(&footer_len, image + len - 24, 8);
            size_t footer_start = len - 24 - (size_t)footer_len;
            uint32_t f32 = (uint32_t)footer_len;
            snprintf(name, sizeof name, "whole-%d", variant);
            rc |= write_seed(argv[1], name, 0, image, len, NULL, 0, NULL, 0);
            snprintf(name, sizeof name, "split-%d", variant);
            rc |= write_seed(argv[1], name, 1, (const uint8_t *)&f32, 4, image + footer_start,
                             (size_t)footer_len, image + 16, footer_start - 16);
            free(image);
        } else {
            rc = 1;
        }
        remove(path);
        free(path);
    }
    if (rc != 0)
        fprintf(stderr, "fuzz_mtok_seeds: %s\n", mn_error_message());
    return rc;
}
