/* Fuzz target: the other parsers of untrusted input in shards/: llm.c headers, Megatron .idx
 * files and manifest.pb. The first byte picks the parser (mod 3):
 *   0: llm.c file image;
 *   1: [uint64 size of the .bin][.idx image]; an accepted index is walked and every
 *      sequence is read from a .bin buffer of that size, so an index that passes the checks
 *      but points outside the .bin is caught by the sanitizer;
 *   2: manifest.pb bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shards/manifest.h"
#include "shards/tools.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    uint8_t *copy = malloc(size);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 1, size - 1);
    size_t n = size - 1;
    switch (data[0] % 3) {
        case 0: {
            shard_llmc_header header;
            shard_llmc_parse_header(copy, n, "fuzz.bin", &header);
            break;
        }
        case 1: {
            if (n < 8)
                break;
            uint64_t bin_size;
            memcpy(&bin_size, copy, 8);
            bin_size %= 1u << 16;
            shard_megatron_index x;
            if (shard_megatron_parse_index(copy + 8, n - 8, bin_size, "fuzz.idx", &x) != MN_OK)
                break;
            uint8_t *bin = malloc(bin_size ? bin_size : 1);
            if (bin == NULL)
                break;
            memset(bin, 1, bin_size);
            uint64_t sum = 0;
            for (uint64_t s = 0; s < x.sequences; s++) {
                int32_t length;
                uint64_t pointer;
                memcpy(&length, x.lengths + 4 * s, 4);
                memcpy(&pointer, x.pointers + 8 * s, 8);
                for (uint64_t b = 0; b < (uint64_t)length * x.width; b++)
                    sum += bin[pointer + b];
            }
            for (uint64_t d = 0; d <= x.documents; d++) {
                uint64_t v;
                memcpy(&v, x.document_index + 8 * d, 8);
                sum += v;
            }
            free(bin);
            (void)sum;
            break;
        }
        default: {
            shard_manifest m;
            if (shard_manifest_parse(&m, copy, n, "fuzz", "fuzz manifest") == MN_OK)
                shard_manifest_free(&m);
            break;
        }
    }
    free(copy);
    return 0;
}
