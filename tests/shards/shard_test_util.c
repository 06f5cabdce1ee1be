#include "tests/shards/shard_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <zstd.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tests/harness/mn_test.h"

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

bool shard_test_make_dataset(const char *dir, size_t n_shards, size_t docs_per_shard,
                             size_t max_doc_len, uint64_t block_tokens, uint64_t seed,
                             uint64_t tokenizer_hash, shard_test_dataset *out) {
    *out = (shard_test_dataset){0};
    out->n_shards = n_shards;
    out->streams = calloc(n_shards, sizeof *out->streams);
    out->stream_len = calloc(n_shards, sizeof *out->stream_len);
    out->doc_starts = calloc(n_shards, sizeof *out->doc_starts);
    out->n_docs = calloc(n_shards, sizeof *out->n_docs);
    if (!out->streams || !out->stream_len || !out->doc_starts || !out->n_docs ||
        mn_make_dirs(dir) != MN_OK)
        return false;
    mn_rng rng;
    mn_rng_seed(&rng, seed);
    uint32_t next_id = 1;
    shard_manifest manifest;
    if (shard_manifest_init(&manifest, SHARD_DATASET_TOKENS, dir) != MN_OK)
        return false;
    manifest.tokenizer_hash = tokenizer_hash;
    bool ok = true;
    uint32_t *doc = malloc((max_doc_len + 1) * sizeof *doc);
    for (size_t s = 0; ok && s < n_shards; s++) {
        char name[64];
        snprintf(name, sizeof name, "shard-%05zu.mtok", s);
        char *path = mn_path_join(dir, name);
        shard_writer_options options = {.tokenizer_hash = tokenizer_hash,
                                        .vocab_size = SHARD_TEST_VOCAB,
                                        .eos_id = SHARD_TEST_EOS,
                                        .block_tokens = block_tokens};
        shard_writer *w;
        out->streams[s] = malloc(docs_per_shard * (max_doc_len + 1) * sizeof(uint32_t) + 4);
        out->doc_starts[s] = malloc((docs_per_shard + 1) * sizeof(uint64_t));
        out->n_docs[s] = docs_per_shard;
        ok = path && doc && out->streams[s] && out->doc_starts[s] &&
             shard_writer_open(&w, path, &options) == MN_OK;
        uint64_t len = 0;
        for (size_t d = 0; ok && d < docs_per_shard; d++) {
            size_t n = mn_rng_below(&rng, max_doc_len + 1);
            for (size_t i = 0; i < n; i++) {
                doc[i] = next_id;
                next_id = next_id + 1 < SHARD_TEST_VOCAB - 1 ? next_id + 1 : 1;
            }
            out->doc_starts[s][d] = len;
            memcpy(out->streams[s] + len, doc, n * sizeof *doc);
            len += n;
            out->streams[s][len++] = SHARD_TEST_EOS;
            ok = shard_writer_append_document(w, doc, n) == MN_OK;
        }
        shard_info info;
        ok = ok && shard_writer_close(w, &info) == MN_OK;
        out->doc_starts[s][docs_per_shard] = len;
        out->stream_len[s] = len;
        shard_manifest_entry entry = {.path = name,
                                      .documents = info.documents,
                                      .tokens = info.tokens,
                                      .bytes = info.file_bytes,
                                      .xxh64 = info.xxh64};
        ok = ok && shard_manifest_add(&manifest, &entry) == MN_OK;
        free(path);
    }
    free(doc);
    ok = ok && shard_manifest_save(&manifest) == MN_OK;
    shard_manifest_free(&manifest);
    if (!ok)
        mn_test_fail(__LINE__, __FILE__, __func__, true, "cannot make test dataset %s: %s", dir,
                     mn_error_message());
    return ok;
}

void shard_test_dataset_free(shard_test_dataset *d) {
    for (size_t s = 0; s < d->n_shards; s++) {
        if (d->streams)
            free(d->streams[s]);
        if (d->doc_starts)
            free(d->doc_starts[s]);
    }
    free(d->streams);
    free(d->stream_len);
    free(d->doc_starts);
    free(d->n_docs);
    *d = (shard_test_dataset){0};
}
