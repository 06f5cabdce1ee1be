/* The library behind mnemo-shard: llm.c and Megatron exports/imports (exact bytes and round
 * trips), mixtures, splits, statistics, entry checks, relative paths, decoding documents. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "shards/loader.h"
#include "shards/loader_internal.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "shards/tools.h"
#include "tests/harness/mn_test.h"
#include "tests/shards/shard_test_util.h"
#include "tokenizer/tokenizer.h"

/* Writes a one-shard dataset of the given documents. */
static void make_small_dataset(const char *dir, uint32_t vocab, uint32_t eos,
                               const uint32_t *const *docs, const size_t *lens, size_t n) {
    MN_ASSERT_OK_FATAL(mn_make_dirs(dir));
    char *path = mn_path_join(dir, "s.mtok");
    shard_writer_options o = {
        .tokenizer_hash = 0x77, .vocab_size = vocab, .eos_id = eos, .block_tokens = 5};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &o));
    for (size_t i = 0; i < n; i++)
        MN_ASSERT_OK(shard_writer_append_document(w, docs[i], lens[i]));
    shard_info info;
    MN_ASSERT_OK_FATAL(shard_writer_close(w, &info));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_init(&m, SHARD_DATASET_TOKENS, dir));
    m.tokenizer_hash = 0x77;
    shard_manifest_entry e = {.path = "s.mtok",
                              .documents = info.documents,
                              .tokens = info.tokens,
                              .bytes = info.file_bytes,
                              .xxh64 = info.xxh64};
    MN_ASSERT_OK(shard_manifest_add(&m, &e));
    MN_ASSERT_OK(shard_manifest_save(&m));
    shard_manifest_free(&m);
    free(path);
}

static const uint32_t doc_a[] = {5, 6, 7};
static const uint32_t doc_b[] = {300};
static const uint32_t *const tiny_docs[] = {doc_a, NULL, doc_b};
static const size_t tiny_lens[] = {3, 0, 1};

static void test_llmc_exact_bytes(void) {
    const char *dir = mn_test_path("llmc-exact");
    make_small_dataset(dir, 50257, 50256, tiny_docs, tiny_lens, 3);
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    char format[4200];
    snprintf(format, sizeof format, "%s/out_%%06zu.bin", dir);
    size_t files = 0;
    uint64_t tokens = 0;
    MN_ASSERT_OK(shard_export_llmc(&m, 0, format, 0, &files, &tokens));
    MN_ASSERT_EQ_U64(files, 1);
    MN_ASSERT_EQ_U64(tokens, 7);
    char path[4200];
    snprintf(path, sizeof path, "%s/out_000000.bin", dir);
    size_t len;
    uint8_t *bytes = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(bytes != NULL);
    MN_ASSERT_EQ_U64(len, 1024 + 7 * 2);
    int32_t header[3];
    memcpy(header, bytes, sizeof header);
    MN_ASSERT_EQ_INT(header[0], 20240520);
    MN_ASSERT_EQ_INT(header[1], 1);
    MN_ASSERT_EQ_INT(header[2], 7);
    uint8_t zeros[1012] = {0};
    MN_ASSERT_EQ_MEM(bytes + 12, zeros, sizeof zeros);
    /* EOS before each document: EOS 5 6 7 | EOS | EOS 300 */
    static const uint16_t expected[] = {50256, 5, 6, 7, 50256, 50256, 300};
    MN_ASSERT_EQ_MEM(bytes + 1024, expected, sizeof expected);
    free(bytes);

    /* and back */
    shard_import_options o = {.tokenizer_hash = 0x77, .vocab_size = 50257, .eos_id = 50256};
    char mtok[4200];
    snprintf(mtok, sizeof mtok, "%s/back.mtok", dir);
    shard_info info;
    MN_ASSERT_OK(shard_import_llmc(path, mtok, &o, &info));
    MN_ASSERT_EQ_U64(info.documents, 3);
    MN_ASSERT_EQ_U64(info.tokens, 7);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, mtok));
    uint32_t ids[7];
    static const uint32_t stream[] = {5, 6, 7, 50256, 50256, 300, 50256};
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, 7, ids));
    MN_ASSERT_EQ_MEM(ids, stream, sizeof stream);
    shard_reader_close(r);
    shard_manifest_free(&m);
}

static void test_megatron_exact_bytes(void) {
    const char *dir = mn_test_path("megatron-exact");
    make_small_dataset(dir, 50257, 50256, tiny_docs, tiny_lens, 3);
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    char prefix[4200], path[4300];
    snprintf(prefix, sizeof prefix, "%s/meg", dir);
    uint64_t tokens;
    MN_ASSERT_OK(shard_export_megatron(&m, prefix, &tokens, NULL, NULL));
    MN_ASSERT_EQ_U64(tokens, 7);
    snprintf(path, sizeof path, "%s.bin", prefix);
    size_t len;
    uint8_t *bin = shard_test_read_file(path, &len);
    static const uint16_t expected_bin[] = {5, 6, 7, 50256, 50256, 300, 50256};
    MN_ASSERT_FATAL(bin != NULL);
    MN_ASSERT_EQ_U64(len, sizeof expected_bin);
    MN_ASSERT_EQ_MEM(bin, expected_bin, sizeof expected_bin);
    free(bin);
    snprintf(path, sizeof path, "%s.idx", prefix);
    uint8_t *idx = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(idx != NULL);
    /* header, N = 3 sequences, D = 4, lengths 4 1 2, pointers 0 8 10, documents 0 1 2 3 */
    uint8_t expected[34 + 3 * 4 + 3 * 8 + 4 * 8] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0, 1};
    expected[17] = 8; /* uint16 */
    expected[18] = 3;
    expected[26] = 4;
    uint8_t *p = expected + 34;
    int32_t lengths[3] = {4, 1, 2};
    int64_t pointers[3] = {0, 8, 10}, docs[4] = {0, 1, 2, 3};
    memcpy(p, lengths, sizeof lengths);
    memcpy(p + 12, pointers, sizeof pointers);
    memcpy(p + 36, docs, sizeof docs);
    MN_ASSERT_EQ_U64(len, sizeof expected);
    MN_ASSERT_EQ_MEM(idx, expected, sizeof expected);
    free(idx);

    shard_import_options o = {.tokenizer_hash = 0x77, .vocab_size = 50257, .eos_id = 50256};
    char mtok[4200];
    snprintf(mtok, sizeof mtok, "%s/back.mtok", dir);
    shard_info info;
    MN_ASSERT_OK(shard_import_megatron(prefix, mtok, &o, &info));
    MN_ASSERT_EQ_U64(info.documents, 3);
    MN_ASSERT_EQ_U64(info.tokens, 7);
    shard_manifest_free(&m);
}

/* A Megatron dataset as --split-sentences writes it: documents of several sequences, EOS
 * only at the end of each document (or not at all). */
static void test_megatron_multi_sequence_import(void) {
    const char *dir = mn_test_path("megatron-foreign");
    MN_ASSERT_OK_FATAL(mn_make_dirs(dir));
    /* doc 0: seqs [1 2] [3 9]  (9 = EOS) ; doc 1: seq [4] (no EOS) ; doc 2: [9 5 9] */
    static const int32_t bin[] = {1, 2, 3, 9, 4, 9, 5, 9};
    int32_t lengths[4] = {2, 2, 1, 3};
    int64_t pointers[4] = {0, 8, 16, 20}, docs[4] = {0, 2, 3, 4};
    uint8_t idx[34 + 4 * 4 + 4 * 8 + 4 * 8] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0, 1};
    idx[17] = 4; /* int32 */
    idx[18] = 4;
    idx[26] = 4;
    memcpy(idx + 34, lengths, sizeof lengths);
    memcpy(idx + 50, pointers, sizeof pointers);
    memcpy(idx + 82, docs, sizeof docs);
    char prefix[4200], path[4300];
    snprintf(prefix, sizeof prefix, "%s/m", dir);
    snprintf(path, sizeof path, "%s.bin", prefix);
    MN_ASSERT_TRUE(shard_test_rewrite(path, bin, sizeof bin));
    snprintf(path, sizeof path, "%s.idx", prefix);
    MN_ASSERT_TRUE(shard_test_rewrite(path, idx, sizeof idx));
    shard_import_options o = {.vocab_size = 10, .eos_id = 9};
    char mtok[4200];
    snprintf(mtok, sizeof mtok, "%s/m.mtok", dir);
    shard_info info;
    MN_ASSERT_OK_FATAL(shard_import_megatron(prefix, mtok, &o, &info));
    /* documents: [1 2 3] [4] [] [5] */
    MN_ASSERT_EQ_U64(info.documents, 4);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, mtok));
    uint32_t ids[9];
    static const uint32_t stream[] = {1, 2, 3, 9, 4, 9, 9, 5, 9};
    MN_ASSERT_EQ_U64(shard_reader_tokens(r), 9);
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, 9, ids));
    MN_ASSERT_EQ_MEM(ids, stream, sizeof stream);
    shard_reader_close(r);

    /* refusals */
    shard_megatron_index x;
    MN_ASSERT_STATUS(shard_megatron_parse_index(idx, sizeof idx, 0, "m.idx", &x), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("sequence 0 (2 tokens at byte 0) lies outside the 0-byte .bin");
    MN_ASSERT_OK(shard_megatron_parse_index(idx, sizeof idx, sizeof bin, "m.idx", &x));
    MN_ASSERT_EQ_U64(x.sequences, 4);
    MN_ASSERT_EQ_U64(x.documents, 3);
    uint8_t bad[sizeof idx];
    memcpy(bad, idx, sizeof idx);
    bad[17] = 7;
    MN_ASSERT_STATUS(shard_megatron_parse_index(bad, sizeof bad, sizeof bin, "m.idx", &x),
                     MN_ERR_UNSUPPORTED);
    MN_ASSERT_ERROR_CONTAINS("floating-point");
    memcpy(bad, idx, sizeof idx);
    bad[0] = 'X';
    MN_ASSERT_STATUS(shard_megatron_parse_index(bad, sizeof bad, sizeof bin, "m.idx", &x),
                     MN_ERR_FORMAT);
    memcpy(bad, idx, sizeof idx);
    int64_t last = 3;
    memcpy(bad + 82 + 24, &last, 8);
    MN_ASSERT_STATUS(shard_megatron_parse_index(bad, sizeof bad, sizeof bin, "m.idx", &x),
                     MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("document index 3 is 3");
    MN_ASSERT_STATUS(shard_megatron_parse_index(idx, sizeof idx - 1, sizeof bin, "m.idx", &x),
                     MN_ERR_CORRUPT);
    int32_t negative = -3;
    memcpy(bad, idx, sizeof idx);
    memcpy(bad + 34, &negative, 4);
    MN_ASSERT_STATUS(shard_megatron_parse_index(bad, sizeof bad, sizeof bin, "m.idx", &x),
                     MN_ERR_CORRUPT);
}

static void test_llmc_header_refusals(void) {
    uint8_t file[1024 + 8] = {0};
    int32_t h[3] = {20240520, 1, 4};
    memcpy(file, h, sizeof h);
    shard_llmc_header header;
    MN_ASSERT_OK(shard_llmc_parse_header(file, sizeof file, "x.bin", &header));
    MN_ASSERT_EQ_U64(header.tokens, 4);
    MN_ASSERT_EQ_U64(header.width, 2);
    MN_ASSERT_STATUS(shard_llmc_parse_header(file, sizeof file - 1, "x.bin", &header),
                     MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("x.bin: truncated: the header declares 4 tokens");
    h[2] = 3;
    memcpy(file, h, sizeof h);
    MN_ASSERT_STATUS(shard_llmc_parse_header(file, sizeof file, "x.bin", &header), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("2 bytes follow");
    h[0] = 20240801;
    h[1] = 7;
    h[2] = 2;
    memcpy(file, h, sizeof h);
    MN_ASSERT_OK(shard_llmc_parse_header(file, sizeof file, "x.bin", &header));
    MN_ASSERT_EQ_U64(header.width, 4);
    h[1] = 1;
    memcpy(file, h, sizeof h);
    MN_ASSERT_STATUS(shard_llmc_parse_header(file, sizeof file, "x.bin", &header), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("not an llm.c token file");
    MN_ASSERT_STATUS(shard_llmc_parse_header(file, 100, "x.bin", &header), MN_ERR_FORMAT);
}

/* Reads every document of a dataset into one stream (documents with their EOS). */
typedef struct collected {
    uint32_t *ids;
    size_t n, capacity;
    uint32_t eos;
    uint64_t documents;
} collected;

static mn_status collect(void *context, uint64_t document, const uint32_t *ids, size_t n) {
    collected *c = context;
    if (c->n + n + 1 > c->capacity) {
        c->capacity = (c->n + n + 1) * 2;
        c->ids = realloc(c->ids, c->capacity * sizeof *c->ids);
    }
    memcpy(c->ids + c->n, ids, n * sizeof *ids);
    c->n += n;
    c->ids[c->n++] = c->eos;
    c->documents++;
    return MN_OK;
}

static collected collect_dataset(const char *path, uint32_t eos) {
    collected c = {.eos = eos};
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, path));
    for (size_t i = 0; i < m.n_shards; i++)
        MN_ASSERT_OK(shard_entry_documents(&m, i, 0, UINT64_MAX, collect, &c));
    shard_manifest_free(&m);
    return c;
}

/* Round trips over a bigger dataset through both formats, with the uint32 layouts too. */
static void check_round_trip(uint32_t vocab) {
    const char *dir = mn_test_path(vocab > 65536 ? "rt-big" : "rt-small");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 60, 200, 300, vocab, 0x42, &ds));
    collected original = collect_dataset(dir, SHARD_TEST_EOS);
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    char format[4200], prefix[4200];
    snprintf(format, sizeof format, "%s/llmc/part_%%06zu.bin", dir);
    snprintf(prefix, sizeof prefix, "%s/meg/all", dir);
    char llmc_dir[4200], meg_dir[4200];
    snprintf(llmc_dir, sizeof llmc_dir, "%s/llmc", dir);
    snprintf(meg_dir, sizeof meg_dir, "%s/meg", dir);
    MN_ASSERT_OK(mn_make_dirs(llmc_dir));
    MN_ASSERT_OK(mn_make_dirs(meg_dir));
    size_t files = 0;
    for (size_t i = 0; i < m.n_shards; i++)
        MN_ASSERT_OK(shard_export_llmc(&m, i, format, 2000, &files, NULL));
    MN_ASSERT_TRUE(files > 2); /* 2000-token files */
    MN_ASSERT_OK(shard_export_megatron(&m, prefix, NULL, NULL, NULL));

    shard_import_options o = {
        .tokenizer_hash = 0x42, .vocab_size = SHARD_TEST_VOCAB, .eos_id = SHARD_TEST_EOS};
    char back[4200];
    snprintf(back, sizeof back, "%s/back-llmc", dir);
    shard_manifest b;
    MN_ASSERT_OK_FATAL(mn_make_dirs(back));
    MN_ASSERT_OK_FATAL(shard_manifest_init(&b, SHARD_DATASET_TOKENS, back));
    for (size_t f = 0; f < files; f++) {
        char in[4300], out[4300], name[64];
        snprintf(in, sizeof in, format, f);
        snprintf(name, sizeof name, "p%zu.mtok", f);
        snprintf(out, sizeof out, "%s/%s", back, name);
        shard_info info;
        MN_ASSERT_OK(shard_import_llmc(in, out, &o, &info));
        shard_manifest_entry e = {.path = name,
                                  .documents = info.documents,
                                  .tokens = info.tokens,
                                  .bytes = info.file_bytes,
                                  .xxh64 = info.xxh64};
        MN_ASSERT_OK(shard_manifest_add(&b, &e));
    }
    MN_ASSERT_OK(shard_manifest_save(&b));
    shard_manifest_free(&b);
    collected from_llmc = collect_dataset(back, SHARD_TEST_EOS);
    MN_ASSERT_EQ_U64(from_llmc.documents, original.documents);
    MN_ASSERT_EQ_U64(from_llmc.n, original.n);
    MN_ASSERT_TRUE(from_llmc.n == original.n &&
                   memcmp(from_llmc.ids, original.ids, original.n * 4) == 0);

    char mtok[4200];
    snprintf(mtok, sizeof mtok, "%s/back-meg.mtok", dir);
    shard_info info;
    MN_ASSERT_OK(shard_import_megatron(prefix, mtok, &o, &info));
    MN_ASSERT_EQ_U64(info.documents, original.documents);
    MN_ASSERT_EQ_U64(info.tokens, original.n);
    uint32_t *ids = malloc(original.n * 4);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, mtok));
    MN_ASSERT_OK(shard_reader_read_tokens(r, 0, original.n, ids));
    MN_ASSERT_EQ_MEM(ids, original.ids, original.n * 4);
    shard_reader_close(r);
    free(ids);
    free(original.ids);
    free(from_llmc.ids);
    shard_manifest_free(&m);
    shard_test_dataset_free(&ds);
}

static void test_round_trips(void) {
    check_round_trip(SHARD_TEST_VOCAB);
}

static void test_uint32_layouts(void) {
    /* vocab 100,000: llm.c's uint32 layout and Megatron's int32 */
    const char *dir = mn_test_path("wide");
    static const uint32_t d0[] = {99998, 70000, 1};
    static const uint32_t *const docs[] = {d0};
    static const size_t lens[] = {3};
    make_small_dataset(dir, 100000, 99999, docs, lens, 1);
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    char format[4200], path[4200], prefix[4200];
    snprintf(format, sizeof format, "%s/w_%%06zu.bin", dir);
    snprintf(prefix, sizeof prefix, "%s/wm", dir);
    size_t files = 0;
    MN_ASSERT_OK(shard_export_llmc(&m, 0, format, 0, &files, NULL));
    snprintf(path, sizeof path, "%s/w_000000.bin", dir);
    size_t len;
    uint8_t *bytes = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(bytes != NULL);
    int32_t header[3];
    memcpy(header, bytes, sizeof header);
    MN_ASSERT_EQ_INT(header[0], 20240801);
    MN_ASSERT_EQ_INT(header[1], 7);
    MN_ASSERT_EQ_INT(header[2], 4);
    static const uint32_t expected[] = {99999, 99998, 70000, 1};
    MN_ASSERT_EQ_U64(len, 1024 + sizeof expected);
    MN_ASSERT_EQ_MEM(bytes + 1024, expected, sizeof expected);
    free(bytes);
    MN_ASSERT_OK(shard_export_megatron(&m, prefix, NULL, NULL, NULL));
    snprintf(path, sizeof path, "%s.idx", prefix);
    bytes = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(bytes != NULL);
    MN_ASSERT_EQ_INT(bytes[17], 4); /* int32 */
    free(bytes);
    shard_manifest_free(&m);
}

static double entry_draws(const shard_manifest *m, size_t from, size_t to) {
    double total = 0;
    for (size_t i = from; i < to; i++)
        total += (m->shards[i].weight == 0 ? 1 : m->shards[i].weight) * (double)m->shards[i].tokens;
    return total;
}

static void test_mix(void) {
    const char *web = mn_test_path("mix-web"), *books = mn_test_path("mix-books");
    shard_test_dataset a, b;
    MN_ASSERT_FATAL(shard_test_make_dataset(web, 3, 60, 200, 256, 31, 0x99, &a));
    MN_ASSERT_FATAL(shard_test_make_dataset(books, 1, 40, 200, 256, 32, 0x99, &b));
    shard_manifest ma, mb;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&ma, web));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&mb, books));
    shard_mix_input inputs[] = {{web, 70}, {books, 30}};
    const char *out = mn_test_path("mixes/seventy-thirty");
    MN_ASSERT_OK_FATAL(shard_mix(inputs, 2, 0, out));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, out));
    MN_ASSERT_EQ_U64(m.n_shards, 4);
    MN_ASSERT_EQ_U64(m.total_tokens, ma.total_tokens + mb.total_tokens);
    MN_ASSERT_EQ_U64(m.tokenizer_hash, 0x99);
    /* Token shares are exactly 70/30, and no input repeats: one is used exactly once. */
    double w = entry_draws(&m, 0, 3), k = entry_draws(&m, 3, 4);
    MN_ASSERT_NEAR(w / (w + k), 0.7, 1e-6);
    bool web_once = fabs(w - (double)ma.total_tokens) < 1,
         books_once = fabs(k - (double)mb.total_tokens) < 1;
    MN_ASSERT_TRUE(web_once || books_once);
    MN_ASSERT_TRUE(w <= (double)ma.total_tokens + 1 && k <= (double)mb.total_tokens + 1);
    /* The paths work from the mixture's directory, and the loader draws 70/30 by samples. */
    loader_options o = {.dataset = out,
                        .seq_len = 16,
                        .micro_batch = 1,
                        .grad_accum = 1,
                        .world = 1,
                        .seed = 3,
                        .shuffle = true,
                        .landmark_id = -1};
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    uint64_t N = loader_samples_per_epoch(l), from_web = 0;
    for (uint64_t p = 0; p < N; p++) {
        uint32_t entry;
        uint64_t sample;
        loader__locate(l, p, &entry, &sample);
        from_web += entry < 3;
    }
    MN_ASSERT_NEAR((double)from_web / (double)N, 0.7, 0.02);
    loader_close(l);
    shard_manifest_free(&m);

    /* a fixed epoch size up-samples */
    const char *big = mn_test_path("mixes/big");
    MN_ASSERT_OK(shard_mix(inputs, 2, 4 * (ma.total_tokens + mb.total_tokens), big));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, big));
    w = entry_draws(&m, 0, 3);
    k = entry_draws(&m, 3, 4);
    MN_ASSERT_NEAR(w + k, 4.0 * (double)(ma.total_tokens + mb.total_tokens), 2);
    MN_ASSERT_NEAR(w / (w + k), 0.7, 1e-6);
    shard_manifest_free(&m);

    /* another tokenizer cannot join */
    const char *other = mn_test_path("mix-other");
    shard_test_dataset c;
    MN_ASSERT_FATAL(shard_test_make_dataset(other, 1, 5, 20, 256, 33, 0x98, &c));
    shard_mix_input bad[] = {{web, 1}, {other, 1}};
    MN_ASSERT_STATUS(shard_mix(bad, 2, 0, mn_test_path("mixes/bad")), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("a mixture needs one tokenizer");
    shard_mix_input zero[] = {{web, 0}};
    MN_ASSERT_STATUS(shard_mix(zero, 1, 0, mn_test_path("mixes/zero")), MN_ERR_ARG);
    shard_manifest_free(&ma);
    shard_manifest_free(&mb);
    shard_test_dataset_free(&a);
    shard_test_dataset_free(&b);
    shard_test_dataset_free(&c);
}

static void test_split(void) {
    const char *dir = mn_test_path("tosplit");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 3, 50, 120, 256, 41, 0x55, &ds));
    const char *train = mn_test_path("splits/train"), *val = mn_test_path("splits/val");
    MN_ASSERT_OK_FATAL(shard_split(dir, train, val, 0.1, 0));
    shard_manifest t, v, m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&t, train));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&v, val));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    MN_ASSERT_EQ_U64(t.n_shards, 3);
    MN_ASSERT_EQ_U64(v.n_shards, 3);
    MN_ASSERT_EQ_U64(t.total_documents + v.total_documents, m.total_documents);
    MN_ASSERT_EQ_U64(t.total_tokens + v.total_tokens, m.total_tokens);
    for (size_t i = 0; i < 3; i++) {
        /* per shard: train [0, cut), val [cut, n), val holds about 10% of the tokens */
        MN_ASSERT_EQ_U64(t.shards[i].document_begin, 0);
        MN_ASSERT_EQ_U64(t.shards[i].document_end, v.shards[i].document_begin);
        MN_ASSERT_EQ_U64(v.shards[i].document_end, ds.n_docs[i]);
        double share = (double)v.shards[i].tokens / (double)m.shards[i].tokens;
        MN_ASSERT_TRUE(share >= 0.1 && share < 0.1 + 125.0 / (double)m.shards[i].tokens);
        MN_ASSERT_EQ_U64(v.shards[i].tokens,
                         ds.stream_len[i] - ds.doc_starts[i][v.shards[i].document_begin]);
    }
    /* every shard entry of both verifies against its file */
    shard_entry_check check;
    MN_ASSERT_OK(shard_check_entry(&t, 1, 0x55, &check));
    MN_ASSERT_EQ_U64(check.documents, t.shards[1].documents);
    MN_ASSERT_OK(shard_check_entry(&v, 2, 0, &check));
    MN_ASSERT_EQ_U64(check.tokens, v.shards[2].tokens);

    /* deterministic */
    const char *train2 = mn_test_path("splits/train2"), *val2 = mn_test_path("splits/val2");
    MN_ASSERT_OK(shard_split(dir, train2, val2, 0.1, 0));
    shard_manifest t2;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&t2, train2));
    for (size_t i = 0; i < 3; i++) {
        MN_ASSERT_EQ_U64(t2.shards[i].document_end, t.shards[i].document_end);
        MN_ASSERT_EQ_U64(t2.shards[i].xxh64, t.shards[i].xxh64);
    }
    shard_manifest_free(&t2);

    /* The loader over train never sees a validation document: ids are unique per token. */
    uint8_t *in_val = calloc(SHARD_TEST_VOCAB, 1);
    for (size_t i = 0; i < 3; i++)
        for (uint64_t p = ds.doc_starts[i][v.shards[i].document_begin]; p < ds.stream_len[i]; p++)
            if (ds.streams[i][p] != SHARD_TEST_EOS)
                in_val[ds.streams[i][p]] = 1;
    loader_options o = {.dataset = train,
                        .seq_len = 16,
                        .micro_batch = 4,
                        .grad_accum = 1,
                        .world = 1,
                        .seed = 5,
                        .shuffle = false,
                        .landmark_id = -1};
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    uint64_t steps = loader_samples_per_epoch(l) / 4, leaks = 0;
    for (uint64_t s = 0; s < steps; s++) {
        loader_batch batch;
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        for (int c = 0; c < 4 * 16; c++)
            leaks += in_val[batch.inputs[c]] != 0;
    }
    MN_ASSERT_EQ_U64(leaks, 0);
    loader_close(l);
    free(in_val);

    /* a token budget instead of a fraction */
    MN_ASSERT_OK(shard_split(dir, mn_test_path("splits/t3"), mn_test_path("splits/v3"), 0, 1000));
    shard_manifest v3;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&v3, mn_test_path("splits/v3")));
    MN_ASSERT_TRUE(v3.total_tokens >= 1000 && v3.total_tokens < 1000 + 3 * 122);
    shard_manifest_free(&v3);
    MN_ASSERT_STATUS(shard_split(dir, train, val, 1.5, 0), MN_ERR_ARG);
    shard_manifest_free(&t);
    shard_manifest_free(&v);
    shard_manifest_free(&m);
    shard_test_dataset_free(&ds);
}

static void test_length_stats(void) {
    shard_length_stats s;
    shard_length_stats_init(&s);
    uint64_t lengths[] = {1, 2, 3, 4, 100, 1000};
    for (size_t i = 0; i < 6; i++)
        shard_length_stats_add(&s, lengths[i]);
    MN_ASSERT_EQ_U64(s.documents, 6);
    MN_ASSERT_EQ_U64(s.total, 1110);
    MN_ASSERT_EQ_U64(s.min, 1);
    MN_ASSERT_EQ_U64(s.max, 1000);
    MN_ASSERT_EQ_U64(s.buckets[0], 1); /* 1 */
    MN_ASSERT_EQ_U64(s.buckets[1], 2); /* 2, 3 */
    MN_ASSERT_EQ_U64(s.buckets[2], 1); /* 4 */
    MN_ASSERT_EQ_U64(s.buckets[6], 1); /* 100 in 64..127 */
    MN_ASSERT_EQ_U64(s.buckets[9], 1); /* 1000 in 512..1023 */
    MN_ASSERT_EQ_U64(shard_length_stats_quantile_bound(&s, 0.5), 3);
    MN_ASSERT_EQ_U64(shard_length_stats_quantile_bound(&s, 0.8), 127);
    MN_ASSERT_EQ_U64(shard_length_stats_quantile_bound(&s, 1.0), 1000);

    const char *dir = mn_test_path("stats");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 30, 50, 64, 51, 1, &ds));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    shard_length_stats d;
    shard_length_stats_init(&d);
    for (size_t i = 0; i < 2; i++)
        MN_ASSERT_OK(shard_entry_length_stats(&m, i, &d));
    MN_ASSERT_EQ_U64(d.documents, 60);
    MN_ASSERT_EQ_U64(d.total, ds.stream_len[0] + ds.stream_len[1]);
    shard_manifest_free(&m);
    shard_test_dataset_free(&ds);
}

static void test_check_entry_faults(void) {
    const char *dir = mn_test_path("faults");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 20, 60, 64, 61, 0x10, &ds));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    shard_entry_check check;
    MN_ASSERT_OK(shard_check_entry(&m, 0, 0x10, &check));
    MN_ASSERT_STATUS(shard_check_entry(&m, 0, 0x11, &check), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("not the expected 0x0000000000000011");
    /* a shard swapped for another valid one of the same tokenizer */
    char p0[4200], p1[4200];
    snprintf(p0, sizeof p0, "%s/shard-00000.mtok", dir);
    snprintf(p1, sizeof p1, "%s/shard-00001.mtok", dir);
    size_t len;
    uint8_t *other = shard_test_read_file(p1, &len);
    MN_ASSERT_TRUE(shard_test_rewrite(p0, other, len));
    free(other);
    mn_status s = shard_check_entry(&m, 0, 0, &check);
    MN_ASSERT_TRUE(s == MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("dataset ");
    MN_ASSERT_ERROR_CONTAINS("shard-00000.mtok");
    unlink(p0);
    MN_ASSERT_STATUS(shard_check_entry(&m, 0, 0, &check), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("shard-00000.mtok is missing");
    shard_manifest_free(&m);
    shard_test_dataset_free(&ds);
}

static void test_relative_paths(void) {
    const char *root = mn_test_path("rel");
    char a[4200], b[4200], file[4300];
    snprintf(a, sizeof a, "%s/x/y", root);
    snprintf(b, sizeof b, "%s/z", root);
    MN_ASSERT_OK(mn_make_dirs(a));
    MN_ASSERT_OK(mn_make_dirs(b));
    snprintf(file, sizeof file, "%s/f.mtok", b);
    MN_ASSERT_TRUE(mn_test_write_file(file, "x", 1));
    char *r = shard_relative_path(a, file);
    MN_ASSERT_EQ_STR(r, "../../z/f.mtok");
    free(r);
    r = shard_relative_path(b, file);
    MN_ASSERT_EQ_STR(r, "f.mtok");
    free(r);
    snprintf(a, sizeof a, "%s/zz", root); /* shares a prefix of characters, not a component */
    MN_ASSERT_OK(mn_make_dirs(a));
    r = shard_relative_path(a, file);
    MN_ASSERT_EQ_STR(r, "../z/f.mtok");
    free(r);
}

/* cat's path: documents decoded by a tokenizer give back the text that was encoded. */
static void test_decode_documents(void) {
    /* A byte-level tokenizer: 256 bytes, "th", "the", and <|endoftext|>. */
    static uint8_t bytes[256];
    const uint8_t *token_bytes[259];
    size_t token_lens[260];
    for (int i = 0; i < 256; i++) {
        bytes[i] = (uint8_t)i;
        token_bytes[i] = &bytes[i];
        token_lens[i] = 1;
    }
    token_bytes[256] = (const uint8_t *)"th";
    token_lens[256] = 2;
    token_bytes[257] = (const uint8_t *)"the";
    token_lens[257] = 3;
    token_bytes[258] = NULL;
    token_lens[258] = 0;
    tok_special_def eos = {"<|endoftext|>", 258, "eos"};
    tok_definition def = {.name = "tiny",
                          .pretokenizer = "gpt2",
                          .vocab_size = 259,
                          .token_bytes = token_bytes,
                          .token_lens = token_lens,
                          .specials = &eos,
                          .n_specials = 1};
    tok_tokenizer *t;
    MN_ASSERT_OK_FATAL(tok_create(&t, &def));
    static const char *const texts[] = {"the theme of the thesis", "",
                                        "caf\xc3\xa9 \xf0\x9f\x98\x80\n", "<|endoftext|> as text"};
    const char *dir = mn_test_path("decode");
    MN_ASSERT_OK_FATAL(mn_make_dirs(dir));
    char path[4200];
    snprintf(path, sizeof path, "%s/t.mtok", dir);
    shard_writer_options o = {
        .tokenizer_hash = tok_identity_hash(t), .vocab_size = 259, .eos_id = 258};
    shard_writer *w;
    MN_ASSERT_OK_FATAL(shard_writer_open(&w, path, &o));
    for (int i = 0; i < 4; i++) {
        tok_ids ids = {0};
        MN_ASSERT_OK(tok_encode(t, (const uint8_t *)texts[i], strlen(texts[i]), &ids));
        MN_ASSERT_OK(shard_writer_append_document(w, ids.ids, ids.count));
        tok_ids_free(&ids);
    }
    shard_info info;
    MN_ASSERT_OK_FATAL(shard_writer_close(w, &info));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_init(&m, SHARD_DATASET_TOKENS, dir));
    shard_manifest_entry e = {.path = "t.mtok",
                              .documents = 4,
                              .tokens = info.tokens,
                              .bytes = info.file_bytes,
                              .xxh64 = info.xxh64};
    MN_ASSERT_OK(shard_manifest_add(&m, &e));
    collected c = {.eos = 258};
    MN_ASSERT_OK(shard_entry_documents(&m, 0, 1, 3, collect, &c));
    MN_ASSERT_EQ_U64(c.documents, 3);
    /* decode documents 1..3 and compare */
    size_t at = 0;
    for (int i = 1; i < 4; i++) {
        size_t end = at;
        while (c.ids[end] != 258)
            end++;
        mn_buf text = {0};
        MN_ASSERT_OK(tok_decode(t, c.ids + at, end - at, &text));
        MN_ASSERT_EQ_U64(text.len, strlen(texts[i]));
        MN_ASSERT_TRUE(text.len == 0 || memcmp(text.data, texts[i], text.len) == 0);
        mn_buf_free(&text);
        at = end + 1;
    }
    free(c.ids);
    shard_manifest_free(&m);
    tok_free(t);
}

static const mn_test_case tools_cases[] = {
    {"llm.c export writes the exact header and EOS-first layout, and imports back",
     test_llmc_exact_bytes},
    {"Megatron export writes exact .bin and .idx bytes, and imports back",
     test_megatron_exact_bytes},
    {"Megatron documents of several sequences import with EOS as the document end; bad indexes "
     "are refused",
     test_megatron_multi_sequence_import},
    {"llm.c headers are checked against the file", test_llmc_header_refusals},
    {"datasets survive llm.c and Megatron round trips exactly", test_round_trips},
    {"vocabularies over 65,536 use llm.c's uint32 and Megatron's int32 layouts",
     test_uint32_layouts},
    {"a 70/30 mixture draws 70/30 by tokens; a fixed epoch up-samples; one tokenizer only",
     test_mix},
    {"split partitions every shard by document, deterministically, without leaks", test_split},
    {"document-length statistics bucket by powers of two", test_length_stats},
    {"entry checks name replaced, missing and foreign shards", test_check_entry_faults},
    {"relative paths between dataset directories", test_relative_paths},
    {"documents decoded with the tokenizer give back their text", test_decode_documents},
    {0}};

static const mn_test_suite suites[] = {{"tools", tools_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
