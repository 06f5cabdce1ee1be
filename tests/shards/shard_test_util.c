#include "tests/shards/shard_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "common/io.h"

bool shard_test_write_zstd(const char *path, const void *data, size_t len) {
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    size_t cap = ZSTD_compressBound(len);
    void *out = malloc(cap);
    bool ok = cctx != NULL && out != NULL;
    size_t n = 0;
    if (ok) {
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
        n = ZSTD_compress2(cctx, out, cap, data, len);
        ok = !ZSTD_isError(n);
    }
    ok = ok && shard_test_rewrite(path, out, n);
    ZSTD_freeCCtx(cctx);
    free(out);
    return ok;
}

uint8_t *shard_test_read_file(const char *path, size_t *len) {
    uint8_t *data = NULL;
    if (mn_read_file(path, (size_t)1 << 31, &data, len) != MN_OK)
        return NULL;
    return data;
}

bool shard_test_rewrite(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    bool ok = fp != NULL && (len == 0 || fwrite(data, 1, len, fp) == len);
    if (fp != NULL)
        ok = fclose(fp) == 0 && ok;
    return ok;
}

uint8_t *shard_test_read_zstd(const char *path, size_t *len) {
    size_t in_len;
    uint8_t *in = shard_test_read_file(path, &in_len);
    if (in == NULL)
        return NULL;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t cap = 1 << 16, used = 0;
    uint8_t *out = malloc(cap + 1);
    ZSTD_inBuffer input = {in, in_len, 0};
    bool ok = dctx != NULL && out != NULL;
    while (ok) {
        if (used == cap) {
            cap *= 2;
            uint8_t *grown = realloc(out, cap + 1);
            if (grown == NULL) {
                ok = false;
                break;
            }
            out = grown;
        }
        ZSTD_outBuffer output = {out + used, cap - used, 0};
        size_t rc = ZSTD_decompressStream(dctx, &output, &input);
        if (ZSTD_isError(rc)) {
            ok = false;
            break;
        }
        used += output.pos;
        if (input.pos == input.size && output.pos < output.size && rc == 0)
            break;
        if (input.pos == input.size && output.pos == 0) {
            ok = rc == 0;
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    free(in);
    if (!ok) {
        free(out);
        return NULL;
    }
    out[used] = 0;
    *len = used;
    return out;
}
