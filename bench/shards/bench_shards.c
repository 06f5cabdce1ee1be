/* Token shard benchmark (docs/benchmarks.md, "## Shards"): on real tokenized text, per core,
 *   write:  tokens/s of shard_writer and the file size against raw uint16, per zstd level and
 *           block size; peer: one zstd frame of the whole raw stream at the same level (what
 *           independent blocks cost in compression);
 *   read:   tokens/s decoding every block (zstd, checksums, widening to uint32, id check);
 *           peer: reading the raw uint16 stream (llm.c's format) into the same uint32 buffer;
 *   loader: tokens/s the data loader delivers (T=256, prefetch thread), shuffled and in
 *           order; compared with the tokens/s the quickstart trainer consumes.
 *
 *   bench_shards --tokenizer gpt2.mtk [--corpus DIR] [--tokens N] [--dir TMP] [--trainer-tps X]
 *
 * The corpus is the fortune cookie databases (documents separated by "%" lines), encoded with
 * the given tokenizer and repeated until it holds --tokens tokens (default 16M).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/util.h"
#include "shards/loader.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tokenizer/tokenizer.h"

typedef struct corpus {
    uint32_t *ids;    /* documents without EOS, back to back */
    uint64_t *starts; /* n_docs + 1 */
    size_t n_docs, n_ids;
    size_t capacity, doc_capacity;
} corpus;

static void die(const char *what) {
    fprintf(stderr, "bench_shards: %s: %s\n", what, mn_error_message());
    exit(1);
}

static void corpus_add(corpus *c, const uint32_t *ids, size_t n) {
    if (c->n_ids + n > c->capacity) {
        c->capacity = (c->n_ids + n) * 2;
        c->ids = realloc(c->ids, c->capacity * sizeof *c->ids);
    }
    if (c->n_docs + 2 > c->doc_capacity) {
        c->doc_capacity = (c->n_docs + 2) * 2;
        c->starts = realloc(c->starts, c->doc_capacity * sizeof *c->starts);
    }
    if (c->ids == NULL || c->starts == NULL) {
        fprintf(stderr, "bench_shards: out of memory\n");
        exit(1);
    }
    c->starts[c->n_docs] = c->n_ids;
    memcpy(c->ids + c->n_ids, ids, n * sizeof *ids);
    c->n_ids += n;
    c->n_docs++;
    c->starts[c->n_docs] = c->n_ids;
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every plain fortune file of `dir` (not .dat/.u8), cut at lines holding only "%". */
static void load_fortunes(const char *dir, const tok_tokenizer *t, corpus *c, size_t *text_bytes) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "bench_shards: cannot open %s (install the fortunes package)\n", dir);
        exit(1);
    }
    char *names[512];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || (len > 4 && (strcmp(e->d_name + len - 4, ".dat") == 0)) ||
            (len > 3 && strcmp(e->d_name + len - 3, ".u8") == 0))
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_names);
    tok_encoder *encoder;
    if (tok_encoder_create(&encoder, t) != MN_OK)
        die("encoder");
    tok_ids ids = {0};
    *text_bytes = 0;
    for (size_t i = 0; i < n; i++) {
        char *path = mn_path_join(dir, names[i]);
        uint8_t *data;
        size_t size;
        if (!mn_is_directory(path) && mn_read_file(path, 64 << 20, &data, &size) == MN_OK) {
            size_t start = 0;
            for (size_t p = 0; p <= size; p++) {
                bool end = p == size || (data[p] == '%' && (p == 0 || data[p - 1] == '\n') &&
                                         (p + 1 == size || data[p + 1] == '\n'));
                if (!end)
                    continue;
                if (p > start) {
                    ids.count = 0;
                    if (tok_encoder_encode(encoder, data + start, p - start, &ids) != MN_OK)
                        die("encode");
                    corpus_add(c, ids.ids, ids.count);
                    *text_bytes += p - start;
                }
                start = p + 2;
            }
            free(data);
        }
        free(path);
        free(names[i]);
    }
    tok_ids_free(&ids);
    tok_encoder_free(encoder);
}

static double best_of(double a, double b) {
    return a < b ? a : b;
}

/* CPU seconds of the whole process: on a shared machine, rates per core are tokens per CPU
 * second, which other users' load does not change (much). */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes the corpus (documents replayed `repeat` times) as one shard; returns seconds. */
static double write_shard(const char *path, const corpus *c, int repeat, uint32_t vocab,
                          uint32_t eos, uint64_t hash, int level, uint64_t block_tokens,
                          shard_info *info) {
    shard_writer_options o = {.tokenizer_hash = hash,
                              .vocab_size = vocab,
                              .eos_id = eos,
                              .zstd_level = level,
                              .block_tokens = block_tokens,
                              .source = "fortunes"};
    double start = cpu_now();
    shard_writer *w;
    if (shard_writer_open(&w, path, &o) != MN_OK)
        die("open writer");
    for (int r = 0; r < repeat; r++)
        for (size_t d = 0; d < c->n_docs; d++)
            if (shard_writer_append_document(w, c->ids + c->starts[d],
                                             (size_t)(c->starts[d + 1] - c->starts[d])) != MN_OK)
                die("append");
    if (shard_writer_close(w, info) != MN_OK)
        die("close writer");
    return cpu_now() - start;
}

static double read_shard(const char *path, uint32_t *out, uint64_t *tokens) {
    shard_reader *r;
    shard_decoder *decoder;
    if (shard_reader_open(&r, path) != MN_OK || shard_decoder_create(&decoder) != MN_OK)
        die("open reader");
    double start = cpu_now();
    uint64_t n = 0;
    for (uint64_t b = 0; b < shard_reader_blocks(r); b++) {
        if (shard_reader_decode_block(r, decoder, b, out) != MN_OK)
            die("decode");
        n += shard_reader_block_tokens(r, b);
    }
    double seconds = cpu_now() - start;
    *tokens = n;
    shard_decoder_free(decoder);
    shard_reader_close(r);
    return seconds;
}

/* The peer: llm.c's raw uint16 stream read from a mapped file into uint32 ids, block by
 * block into the same buffer the shard reader fills. */
static double read_raw(const char *path, uint32_t *out, uint64_t block_tokens) {
    mn_mapped_file map;
    if (mn_map_file(&map, path) != MN_OK)
        die("map raw");
    double start = cpu_now();
    const uint16_t *ids = (const uint16_t *)(map.data + 1024);
    uint64_t n = (map.size - 1024) / 2, checksum = 0;
    for (uint64_t at = 0; at < n; at += block_tokens) {
        uint64_t take = n - at < block_tokens ? n - at : block_tokens;
        for (uint64_t i = 0; i < take; i++)
            out[i] = ids[at + i];
        checksum += out[take - 1];
    }
    double seconds = cpu_now() - start;
    if (checksum == 1)
        fprintf(stderr, " ");
    mn_unmap_file(&map);
    return seconds;
}

/* Tokens per second the loader delivers to a consumer that takes them as fast as it can:
 * per wall second and per CPU second of the process (both threads). */
static double loader_rate(const char *dataset, bool shuffle, int T, int B, int batches,
                          loader_stats *stats, double *per_cpu) {
    loader_options o = {.dataset = dataset,
                        .seq_len = T,
                        .micro_batch = B,
                        .grad_accum = 1,
                        .rank = 0,
                        .world = 1,
                        .seed = 1,
                        .shuffle = shuffle,
                        .landmark_id = -1};
    loader *l;
    if (loader_open(&l, &o) != MN_OK)
        die("loader");
    loader_batch batch;
    if (loader_next(l, &batch) != MN_OK) /* the first batch includes start-up */
        die("loader_next");
    double start = mn_now(), cpu_start = cpu_now();
    int64_t sink = 0;
    for (int i = 0; i < batches; i++) {
        if (loader_next(l, &batch) != MN_OK)
            die("loader_next");
        sink += batch.inputs[0];
    }
    double seconds = mn_now() - start;
    *per_cpu = (double)batches * B * T / (cpu_now() - cpu_start);
    loader_get_stats(l, stats);
    loader_close(l);
    if (sink == -7)
        fprintf(stderr, " ");
    return (double)batches * B * T / seconds;
}

int main(int argc, char **argv) {
    mn_log_init("bench_shards");
    const char *tokenizer = NULL, *corpus_dir = "/usr/share/games/fortunes", *dir = "/tmp";
    double target_tokens = 16e6, trainer_tps = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--tokenizer") == 0)
            tokenizer = argv[i + 1];
        else if (strcmp(argv[i], "--corpus") == 0)
            corpus_dir = argv[i + 1];
        else if (strcmp(argv[i], "--tokens") == 0)
            target_tokens = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--trainer-tps") == 0)
            trainer_tps = atof(argv[i + 1]);
    }
    if (tokenizer == NULL) {
        fprintf(stderr, "usage: bench_shards --tokenizer FILE.mtk [--corpus DIR] [--tokens N] "
                        "[--dir TMP] [--trainer-tps X]\n");
        return 2;
    }
    tok_tokenizer *t;
    if (tok_load(&t, tokenizer) != MN_OK)
        die(tokenizer);
    corpus c = {0};
    size_t text_bytes;
    load_fortunes(corpus_dir, t, &c, &text_bytes);
    uint32_t vocab = tok_vocab_size(t);
    int64_t eos = tok_special_id(t, "eos");
    uint64_t hash = tok_identity_hash(t);
    if (eos < 0 || vocab > 65536) {
        fprintf(stderr, "bench_shards: the tokenizer needs an EOS and at most 65,536 ids\n");
        return 1;
    }
    uint64_t corpus_tokens = c.n_ids + c.n_docs;
    int repeat = (int)(target_tokens / (double)corpus_tokens + 0.999);
    repeat = repeat < 1 ? 1 : repeat;
    printf("corpus: %s, %zu documents, %zu text bytes, %llu tokens with EOS (%s, %.2f bytes/token);"
           " repeated %dx = %llu tokens\n",
           corpus_dir, c.n_docs, text_bytes, (unsigned long long)corpus_tokens, tok_name(t),
           (double)text_bytes / (double)c.n_ids, repeat,
           (unsigned long long)corpus_tokens * (unsigned long long)repeat);

    char path[4096], raw_path[4096];
    snprintf(path, sizeof path, "%s/bench-shard.mtok", dir);
    snprintf(raw_path, sizeof raw_path, "%s/bench-raw.bin", dir);
    uint64_t total = corpus_tokens * (uint64_t)repeat;
    /* the raw stream: llm.c's layout (EOS first), uint16 */
    uint16_t *raw = malloc(total * 2);
    uint64_t at = 0;
    for (int r = 0; r < repeat; r++)
        for (size_t d = 0; d < c.n_docs; d++) {
            for (uint64_t i = c.starts[d]; i < c.starts[d + 1]; i++)
                raw[at++] = (uint16_t)c.ids[i];
            raw[at++] = (uint16_t)eos;
        }
    int32_t header[256] = {20240520, 1, (int32_t)total};
    mn_atomic_file f;
    if (mn_atomic_open(&f, raw_path) != MN_OK ||
        mn_atomic_write(&f, header, sizeof header) != MN_OK ||
        mn_atomic_write(&f, raw, total * 2) != MN_OK || mn_atomic_commit(&f) != MN_OK)
        die("raw file");

    uint32_t *out = malloc(((size_t)1 << 20) * sizeof *out);
    printf("\nper CPU second (best of several runs); ratio = raw uint16 bytes / file bytes\n");
    printf("%-6s %6s %7s | %12s %9s | %12s %9s | %12s %12s %7s\n", "level", "block", "", "write",
           "ratio", "peer: one", "zstd", "read", "peer: raw", "read/");
    printf("%-6s %6s %7s | %12s %9s | %12s %9s | %12s %12s %7s\n", "", "tokens", "", "Mtok/s", "",
           "frame Mtok/s", "ratio", "Mtok/s", "uint16 Mtok/s", "raw");
    int levels[] = {1, 3, 6, 9, 19};
    uint64_t blocks[] = {4096, 16384, 65536, 262144};
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    size_t frame_cap = ZSTD_compressBound(corpus_tokens * 2);
    void *frame = malloc(frame_cap);
    for (size_t li = 0; li < sizeof levels / sizeof levels[0]; li++) {
        for (size_t bi = 0; bi < sizeof blocks / sizeof blocks[0]; bi++) {
            if (blocks[bi] != SHARD_DEFAULT_BLOCK_TOKENS && levels[li] != 3)
                continue; /* block sizes at the default level only */
            shard_info info;
            double w = 1e30, rd = 1e30, raw_s = 1e30;
            for (int k = 0; k < (levels[li] >= 15 ? 1 : 2); k++)
                w = best_of(w, write_shard(path, &c, repeat, vocab, (uint32_t)eos, hash, levels[li],
                                           blocks[bi], &info));
            uint64_t n = 0;
            for (int k = 0; k < 5; k++) {
                rd = best_of(rd, read_shard(path, out, &n));
                raw_s = best_of(raw_s, read_raw(raw_path, out, blocks[bi]));
            }
            /* peer: the whole (unrepeated) stream as one zstd frame */
            ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
            ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, levels[li]);
            double fs = cpu_now();
            size_t fsize = ZSTD_compress2(cctx, frame, frame_cap, raw, corpus_tokens * 2);
            double frame_s = cpu_now() - fs;
            if (ZSTD_isError(fsize))
                die("zstd frame");
            double ratio = 2.0 * (double)info.tokens / (double)info.file_bytes;
            printf("%-6d %6llu %7s | %12.1f %8.2fx | %12.1f %8.2fx | %12.1f %12.1f %7.2f\n",
                   levels[li], (unsigned long long)blocks[bi], "", (double)info.tokens / w / 1e6,
                   ratio, (double)corpus_tokens / frame_s / 1e6,
                   2.0 * (double)corpus_tokens / (double)fsize, (double)n / rd / 1e6,
                   (double)n / raw_s / 1e6, raw_s / rd);
            if (levels[li] == 3) {
                /* Loader throughput over this block size. */
                shard_manifest m;
                char dataset[4096], name[64];
                snprintf(dataset, sizeof dataset, "%s/bench-dataset-%llu", dir,
                         (unsigned long long)blocks[bi]);
                snprintf(name, sizeof name, "shard.mtok");
                mn_make_dirs(dataset);
                char target[4200];
                snprintf(target, sizeof target, "%s/%s", dataset, name);
                if (rename(path, target) != 0)
                    die("rename");
                if (shard_manifest_init(&m, SHARD_DATASET_TOKENS, dataset) != MN_OK)
                    die("manifest");
                m.tokenizer_hash = hash;
                shard_manifest_entry e = {.path = name,
                                          .documents = info.documents,
                                          .tokens = info.tokens,
                                          .bytes = info.file_bytes,
                                          .xxh64 = info.xxh64};
                if (shard_manifest_add(&m, &e) != MN_OK || shard_manifest_save(&m) != MN_OK)
                    die("manifest");
                shard_manifest_free(&m);
                loader_stats s1, s2;
                double cpu1, cpu2;
                double shuffled = loader_rate(dataset, true, 256, 8, 1500, &s1, &cpu1);
                double ordered = loader_rate(dataset, false, 256, 8, 1500, &s2, &cpu2);
                printf("       loader T=256 B=8, shuffled: %.2f Mtok/s (%.2f per CPU second, %.2f "
                       "blocks decoded per micro-batch); in order: %.1f Mtok/s (%.1f per CPU s)",
                       shuffled / 1e6, cpu1 / 1e6,
                       (double)s1.blocks_decoded / (double)s1.micro_batches, ordered / 1e6,
                       cpu2 / 1e6);
                if (trainer_tps > 0)
                    printf("\n       = %.0fx (shuffled) and %.0fx (in order) the %.0f tok/s of "
                           "the quickstart trainer",
                           shuffled / trainer_tps, ordered / trainer_tps, trainer_tps);
                printf("\n");
                mn_remove_tree(dataset);
            }
        }
    }
    remove(path);
    remove(raw_path);
    free(frame);
    ZSTD_freeCCtx(cctx);
    free(out);
    free(raw);
    free(c.ids);
    free(c.starts);
    tok_free(t);
    return 0;
}
