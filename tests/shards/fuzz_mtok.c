/* Fuzz target: the token shard reader (header, trailer, footer validation, block decoding).
 * The first input byte picks the form:
 *   even: the rest is a whole .mtok image, so header, trailer and checksum checks are hit;
 *   odd:  the rest is [uint32 F][F footer bytes][block bytes], wrapped into a shard with a
 *         correct header and footer checksum, so mutations reach the footer's invariants and
 *         the block decoder instead of stopping at the checksum. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "shards/mtok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const uint8_t *image, size_t len) {
    shard_reader *reader;
    if (shard_reader_open_memory(&reader, image, len, "fuzz.mtok") != MN_OK)
        return;
    shard_description description;
    shard_reader_describe(reader, &description);
    uint64_t blocks = shard_reader_blocks(reader);
    uint32_t *out = NULL;
    for (uint64_t b = 0; b < blocks && b < 64; b++) {
        uint64_t tokens = shard_reader_block_tokens(reader, b);
        if (tokens > (1u << 20))
            continue;
        out = realloc(out, tokens * sizeof *out);
        if (out == NULL)
            break;
        shard_reader_read_block(reader, b, out);
    }
    uint64_t total = shard_reader_tokens(reader);
    if (total > 0 && total < (1u << 20)) {
        uint32_t *all = malloc(total * sizeof *all);
        if (all != NULL)
            shard_reader_read_tokens(reader, total / 3, total - total / 3, all);
        free(all);
    }
    uint64_t begin, length, end;
    uint64_t documents = shard_reader_documents(reader);
    shard_reader_document_span(reader, documents / 2, documents, &begin, &end);
    if (documents > 0)
        shard_reader_document(reader, documents - 1, &begin, &length);
    free(out);
    shard_reader_close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    if ((data[0] & 1) == 0) {
        uint8_t *copy = malloc(size - 1 ? size - 1 : 1);
        if (copy == NULL)
            return 0;
        memcpy(copy, data + 1, size - 1);
        exercise(copy, size - 1);
        free(copy);
        return 0;
    }
    if (size < 5)
        return 0;
    uint32_t footer_len;
    memcpy(&footer_len, data + 1, 4);
    size_t rest = size - 5;
    if (footer_len > rest)
        footer_len = (uint32_t)rest;
    const uint8_t *footer = data + 5;
    const uint8_t *blocks = footer + footer_len;
    size_t blocks_len = rest - footer_len;
    size_t len = 16 + blocks_len + footer_len + 24;
    uint8_t *image = malloc(len);
    if (image == NULL)
        return 0;
    memcpy(image, "MNEMOTOK\x01\0\0\0\0\0\0\0", 16);
    memcpy(image + 16, blocks, blocks_len);
    memcpy(image + 16 + blocks_len, footer, footer_len);
    uint64_t f = footer_len, h = mn_xxh64(footer, footer_len, 0);
    memcpy(image + len - 24, &f, 8);
    memcpy(image + len - 16, &h, 8);
    memcpy(image + len - 8, "MNTOKEND", 8);
    exercise(image, len);
    free(image);
    return 0;
}
