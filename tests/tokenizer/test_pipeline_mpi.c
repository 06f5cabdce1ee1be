/* mnemo-bpe and mnemo-tokenize under MPI (run with 1, 2 and 4 ranks).
 *
 * Determinism: inside one run, the world is also split into sub-communicators of every
 * size that divides it (1, 2, 4 ranks), each trains on the same dataset into its own file,
 * and all the identity hashes must equal the one of a serial computation (tok_word_counts
 * + tok_train_bpe on all documents, no MPI). The same holds with a byte budget. Token
 * shards must be byte-identical whatever the number of ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/rng.h"
#include "shards/docshard.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/pipeline.h"

enum { SHARDS = 5 };

/* Documents in shard s: 60 + 7 s, fewer in the sanitizer build. */
static int docs_in_shard(int s) {
    return (int)(60 * mn_test_scale()) + s * 7;
}

static const char *const words[] = {
    "the",    "quick", "brown",  "fox",      "jumps",  "over",  "lazy",  "dog",   "über",
    "Straße", "naïve", "日本語", "テキスト", "данные", "число", "λόγος", "12345", "2024",
    "don't",  "WE'RE", "code()", "x = y;",   "    ",   "\n",    "\t",    "😀",     "data"};

/* The text of document d of shard s (deterministic). */
static char *document_text(int s, int d) {
    mn_rng rng;
    mn_rng_seed(&rng, (uint64_t)(s * 1000 + d));
    mn_buf b = {0};
    size_t n = 20 + mn_rng_below(&rng, 200);
    for (size_t i = 0; i < n; i++)
        mn_buf_appendf(&b, "%s%s", words[mn_rng_below(&rng, sizeof words / sizeof words[0])],
                       mn_rng_below(&rng, 5) ? " " : "");
    return (char *)b.data;
}

/* Rank 0 writes the dataset DIR/docs (5 shards + manifest); everyone waits. */
static const char *make_dataset(void) {
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", mn_test_path("docs"));
    if (mn_mpi_rank() == 0 && !mn_path_exists(dir)) {
        MN_ASSERT_OK(mn_make_dirs(dir));
        shard_manifest m;
        MN_ASSERT_OK(shard_manifest_init(&m, SHARD_DATASET_DOCUMENTS, dir));
        for (int s = 0; s < SHARDS; s++) {
            char name[64], path[4200];
            snprintf(name, sizeof name, "part-%05d.jsonl.zst", s);
            snprintf(path, sizeof path, "%s/%s", dir, name);
            docshard_writer *w;
            MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, 0));
            for (int d = 0; d < docs_in_shard(s); d++) {
                char *text = document_text(s, d), id[32];
                snprintf(id, sizeof id, "%d-%d", s, d);
                doc_record doc = {.id = id,
                                  .id_len = strlen(id),
                                  .text = text,
                                  .text_len = strlen(text),
                                  .source = "test",
                                  .source_len = 4};
                MN_ASSERT_OK(docshard_writer_append(w, &doc));
                free(text);
            }
            docshard_info info;
            MN_ASSERT_OK(docshard_writer_close(w, &info));
            shard_manifest_entry e = {.path = name,
                                      .documents = info.documents,
                                      .bytes = info.file_bytes,
                                      .xxh64 = info.xxh64};
            MN_ASSERT_OK(shard_manifest_add(&m, &e));
        }
        MN_ASSERT_OK(shard_manifest_save(&m));
        shard_manifest_free(&m);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    return dir;
}

static const tok_special_def specials[] = {
    {"<|endoftext|>", 0, "eos"}, {"<|pad|>", 0, "pad"}, {"<|landmark|>", 0, "landmark"}};

/* The serial result: all documents of all shards (up to each shard's budget). */
static uint64_t serial_identity(uint32_t vocab, uint64_t max_bytes) {
    tok_word_counts *wc;
    MN_ASSERT_OK(tok_word_counts_create(&wc));
    uint64_t total_size = 0, sizes[SHARDS];
    char paths[SHARDS][4200];
    for (int s = 0; s < SHARDS; s++) {
        snprintf(paths[s], sizeof paths[s], "%s/part-%05d.jsonl.zst", mn_test_path("docs"), s);
        MN_ASSERT_OK(mn_file_size(paths[s], &sizes[s]));
        total_size += sizes[s];
    }
    for (int s = 0; s < SHARDS; s++) {
        uint64_t budget = max_bytes ? (uint64_t)((double)max_bytes * sizes[s] / total_size) : 0;
        uint64_t used = 0;
        for (int d = 0; d < docs_in_shard(s); d++) {
            char *text = document_text(s, d);
            MN_ASSERT_OK(tok_word_counts_add_text(wc, TOK_PRETOK_CL100K, (const uint8_t *)text,
                                                  strlen(text)));
            used += strlen(text);
            free(text);
            if (budget && used >= budget)
                break;
        }
    }
    tok_train_options opt = {.vocab_size = vocab,
                             .min_frequency = 2,
                             .pretokenizer = "cl100k",
                             .specials = specials,
                             .n_specials = 3};
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK(tok_train_bpe(&t, wc, &opt, NULL));
    uint64_t id = t ? tok_identity_hash(t) : 0;
    /* The vocabulary, not the settings, is what the identity covers. */
    tok_free(t);
    tok_word_counts_free(wc);
    return id;
}

static void train_on_all_splits(uint64_t max_bytes, const char *tag) {
    const char *dir = make_dataset();
    int world = mn_mpi_world(), rank = mn_mpi_rank();
    uint64_t expected = serial_identity(450, max_bytes);
    for (int size = 1; size <= world; size *= 2) {
        if (world % size)
            continue;
        MPI_Comm sub;
        MPI_Comm_split(MPI_COMM_WORLD, rank / size, rank, &sub);
        char output[4200];
        snprintf(output, sizeof output, "%s/%s-size%d-group%d.mtk", mn_test_tmpdir(), tag, size,
                 rank / size);
        char *inputs[] = {(char *)dir};
        tok_bpe_job job = {.inputs = inputs,
                           .n_inputs = 1,
                           .output = output,
                           .pretokenizer = "cl100k",
                           .vocab_size = 450,
                           .min_frequency = 2,
                           .max_bytes = max_bytes,
                           .specials = specials,
                           .n_specials = 3};
        bool skipped = true;
        MN_ASSERT_OK(tok_bpe_run(&job, sub, &skipped));
        MN_ASSERT_TRUE(!skipped);
        tok_tokenizer *t = NULL;
        MN_ASSERT_OK_FATAL(tok_load(&t, output));
        MN_ASSERT_EQ_U64(tok_identity_hash(t), expected);
        MN_ASSERT_EQ_INT(tok_special_id(t, "landmark"), tok_vocab_size(t) - 1);
        MN_ASSERT_EQ_INT(tok_vocab_size(t), 450); /* the dataset has enough pairs */
        tok_free(t);
        /* A relaunch with the same options does nothing; other options are refused. */
        MN_ASSERT_OK(tok_bpe_run(&job, sub, &skipped));
        MN_ASSERT_TRUE(skipped);
        job.vocab_size = 451;
        MN_ASSERT_STATUS(tok_bpe_run(&job, sub, &skipped), MN_ERR_STATE);
        MN_ASSERT_ERROR_CONTAINS("vocab_size");
        MPI_Comm_free(&sub);
    }
}

static void test_bpe_is_independent_of_ranks(void) {
    train_on_all_splits(0, "all");
}

static void test_bpe_budget_is_independent_of_ranks(void) {
    train_on_all_splits(20000, "budget");
    /* The budget changes what is read, hence the result. */
    MN_ASSERT_TRUE(serial_identity(450, 20000) != serial_identity(450, 0));
}

/* Tokenizes the dataset with sub-communicators of 1, 2 and 4 ranks: every token shard must
 * be byte-identical, every document must decode back to its text, and a relaunch skips. */
static void test_tokenize_is_independent_of_ranks(void) {
    const char *dir = make_dataset();
    int world = mn_mpi_world(), rank = mn_mpi_rank();
    char tokenizer[4200];
    snprintf(tokenizer, sizeof tokenizer, "%s/tok.mtk", mn_test_tmpdir());
    char *inputs[] = {(char *)dir};
    tok_bpe_job bpe = {.inputs = inputs,
                       .n_inputs = 1,
                       .output = tokenizer,
                       .pretokenizer = "o200k",
                       .vocab_size = 400,
                       .min_frequency = 2,
                       .specials = specials,
                       .n_specials = 3};
    bool skipped;
    MN_ASSERT_OK_FATAL(tok_bpe_run(&bpe, MPI_COMM_WORLD, &skipped));
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK_FATAL(tok_load(&t, tokenizer));
    uint64_t hashes[SHARDS] = {0};
    for (int size = 1; size <= world; size *= 2) {
        if (world % size)
            continue;
        MPI_Comm sub;
        MPI_Comm_split(MPI_COMM_WORLD, rank / size, rank, &sub);
        char output[4200];
        snprintf(output, sizeof output, "%s/tokens-size%d-group%d", mn_test_tmpdir(), size,
                 rank / size);
        tok_tokenize_job job = {
            .inputs = inputs, .n_inputs = 1, .tokenizer = tokenizer, .output = output};
        tok_tokenize_result r;
        MN_ASSERT_OK_FATAL(tok_tokenize_run(&job, sub, &r));
        MN_ASSERT_EQ_U64(r.shards, SHARDS);
        MN_ASSERT_EQ_U64(r.shards_skipped, 0);
        shard_manifest m;
        MN_ASSERT_OK_FATAL(shard_manifest_load(&m, output));
        MN_ASSERT_EQ_U64(m.kind, SHARD_DATASET_TOKENS);
        MN_ASSERT_EQ_U64(m.tokenizer_hash, tok_identity_hash(t));
        MN_ASSERT_EQ_U64(m.n_shards, SHARDS);
        MN_ASSERT_EQ_U64(m.total_tokens, r.tokens);
        for (size_t i = 0; i < m.n_shards && i < SHARDS; i++) {
            char *path = shard_manifest_shard_path(&m, i);
            char expect[64];
            snprintf(expect, sizeof expect, "part-%05zu.mtok", i);
            MN_ASSERT_EQ_STR(m.shards[i].path, expect);
            if (hashes[i] == 0)
                hashes[i] = m.shards[i].xxh64;
            MN_ASSERT_EQ_U64(m.shards[i].xxh64, hashes[i]); /* same bytes for any rank count */
            /* Every document decodes back to its text, EOS after each. */
            shard_reader *reader;
            MN_ASSERT_OK_FATAL(shard_reader_open(&reader, path));
            MN_ASSERT_EQ_U64(shard_reader_documents(reader), docs_in_shard((int)i));
            MN_ASSERT_EQ_U64(shard_reader_eos_id(reader), tok_special_id(t, "eos"));
            for (uint64_t d = 0; d < shard_reader_documents(reader); d++) {
                uint64_t begin, length;
                MN_ASSERT_OK(shard_reader_document(reader, d, &begin, &length));
                uint32_t *ids = malloc(length * sizeof *ids);
                MN_ASSERT_OK(shard_reader_read_tokens(reader, begin, length, ids));
                MN_ASSERT_EQ_U64(ids[length - 1], tok_special_id(t, "eos"));
                mn_buf text = {0};
                MN_ASSERT_OK(tok_decode(t, ids, length - 1, &text));
                char *expected = document_text((int)i, (int)d);
                MN_ASSERT_EQ_U64(text.len, strlen(expected));
                MN_ASSERT_EQ_MEM(text.data, expected, text.len);
                free(expected);
                mn_buf_free(&text);
                free(ids);
            }
            shard_reader_close(reader);
            free(path);
        }
        shard_manifest_free(&m);
        /* A relaunch skips every shard and writes the same manifest. */
        MN_ASSERT_OK(tok_tokenize_run(&job, sub, &r));
        MN_ASSERT_EQ_U64(r.shards_skipped, SHARDS);
        MPI_Comm_free(&sub);
    }
    tok_free(t);
}

static const mn_test_case cases[] = {
    {"mnemo-tokenize writes the same token shards for every number of ranks, and resumes",
     test_tokenize_is_independent_of_ranks},
    {"mnemo-bpe learns the serial result for every number of ranks, and resumes",
     test_bpe_is_independent_of_ranks},
    {"mnemo-bpe with a byte budget learns the serial result for every number of ranks",
     test_bpe_budget_is_independent_of_ranks},
    {0}};

static const mn_test_suite suites[] = {{"pipeline", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main_mpi(argc, argv, suites);
}
