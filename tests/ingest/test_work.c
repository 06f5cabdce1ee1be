/* Work files of the pipeline (documents, keys, markers) and the external sort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"
#include "ingest/extsort.h"
#include "ingest/work.h"
#include "tests/harness/mn_test.h"

static const char *work_dir(void) {
    static char path[4096];
    snprintf(path, sizeof path, "%s/work", mn_test_tmpdir());
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/inputs", path);
    MN_ASSERT_OK(mn_make_dirs(sub));
    return path;
}

/* Writes `n` documents of growing sizes (some larger than a block) and checks that the keys
 * and the documents read back, from the start and from the block of any document. */
static void test_documents_and_keys_round_trip(void) {
    const char *dir = work_dir();
    const int bands = 3, n = 400;
    ingest_work_writer *w = NULL;
    MN_ASSERT_OK_FATAL(ingest_work_writer_open(&w, dir, "00000000000000aa", bands));
    mn_buf text = {0};
    uint64_t expected_bytes = 0;
    for (int i = 0; i < n; i++) {
        mn_buf_clear(&text);
        size_t len = i == 100 ? (3u << 20) : (size_t)(i * 37 % 9000 + 1);
        MN_ASSERT_OK_FATAL(mn_buf_reserve(&text, len));
        for (size_t k = 0; k < len; k++)
            text.data[k] = (uint8_t)('a' + (i + k) % 26);
        text.len = len;
        char id[32], url[64];
        snprintf(id, sizeof id, "doc-%d", i);
        snprintf(url, sizeof url, "https://example.com/%d", i % 7);
        uint64_t b[3] = {(uint64_t)i, (uint64_t)i * 3, 7};
        ingest_work_doc d = {.id = id,
                             .id_len = strlen(id),
                             .url = url,
                             .url_len = i % 5 ? strlen(url) : 0,
                             .extra = "\"lang\":\"en\"",
                             .extra_len = i % 2 ? 11 : 0,
                             .text = (const char *)text.data,
                             .text_len = text.len,
                             .record = (uint64_t)i * 2 + 1,
                             .bands = i % 3 ? b : NULL};
        MN_ASSERT_OK_FATAL(ingest_work_writer_add(w, &d));
        expected_bytes += text.len;
    }
    MN_ASSERT_EQ_U64(ingest_work_writer_count(w), (uint64_t)n);
    MN_ASSERT_EQ_U64(ingest_work_writer_text_bytes(w), expected_bytes);
    uint64_t docs_bytes = 0;
    MN_ASSERT_OK_FATAL(ingest_work_writer_close(w, &docs_bytes));

    char *keys_path = ingest_work_path(dir, "00000000000000aa", "keys");
    char *docs_path = ingest_work_path(dir, "00000000000000aa", "docs");
    ingest_keys_reader *keys = NULL;
    MN_ASSERT_OK_FATAL(ingest_keys_open(&keys, keys_path, bands, (uint64_t)n));
    uint64_t *offsets = calloc((size_t)n, sizeof(uint64_t));
    int bad = 0;
    for (int i = 0; i < n; i++) {
        ingest_key key;
        bool done;
        MN_ASSERT_OK_FATAL(ingest_keys_next(keys, &key, &done));
        MN_ASSERT_FATAL(!done);
        bad += key.record != (uint64_t)i * 2 + 1;
        bad += (key.flags & INGEST_KEY_HAS_SIGNATURE) != (i % 3 ? 1u : 0u);
        bad += i % 3 && (key.bands[0] != (uint64_t)i || key.bands[1] != (uint64_t)i * 3);
        bad += (key.url_hash != 0) != (i % 5 != 0);
        offsets[i] = key.frame_offset;
    }
    MN_ASSERT_EQ_INT(bad, 0);
    ingest_key key;
    bool done;
    MN_ASSERT_OK(ingest_keys_next(keys, &key, &done));
    MN_ASSERT_TRUE(done);
    ingest_keys_close(keys);
    MN_ASSERT_TRUE(offsets[n - 1] > 0);
    uint64_t on_disk = 0;
    MN_ASSERT_OK(mn_file_size(docs_path, &on_disk));
    MN_ASSERT_EQ_U64(docs_bytes, on_disk);

    /* From the block of document 250: the reader sees 250 after skipping its block mates. */
    ingest_docs_reader *docs = NULL;
    MN_ASSERT_OK_FATAL(
        ingest_docs_open(&docs, docs_path, offsets[250], ingest_docs_block_limit(4u << 20)));
    for (;;) {
        ingest_work_doc d;
        uint64_t index;
        MN_ASSERT_OK_FATAL(ingest_docs_next(docs, &d, &index, &done));
        MN_ASSERT_FATAL(!done);
        MN_ASSERT_TRUE(index <= 250);
        if (index < 250)
            continue;
        MN_ASSERT_EQ_INT(d.id_len, 7);
        MN_ASSERT_EQ_MEM(d.id, "doc-250", 7);
        MN_ASSERT_EQ_INT(d.text_len, 250 * 37 % 9000 + 1);
        MN_ASSERT_TRUE(d.text[0] == (char)('a' + 250 % 26));
        MN_ASSERT_EQ_INT(d.extra_len, 0);
        break;
    }
    ingest_docs_close(docs);
    /* The whole file from the start: every index once, in order, the big one included. */
    MN_ASSERT_OK_FATAL(ingest_docs_open(&docs, docs_path, 0, ingest_docs_block_limit(4u << 20)));
    uint64_t next = 0;
    for (;;) {
        ingest_work_doc d;
        uint64_t index;
        MN_ASSERT_OK_FATAL(ingest_docs_next(docs, &d, &index, &done));
        if (done)
            break;
        bad += index != next++;
        if (index == 100)
            MN_ASSERT_EQ_U64(d.text_len, 3u << 20);
        if (index == 101)
            MN_ASSERT_EQ_MEM(d.extra, "\"lang\":\"en\"", 11);
    }
    MN_ASSERT_EQ_U64(next, (uint64_t)n);
    MN_ASSERT_EQ_INT(bad, 0);
    ingest_docs_close(docs);

    /* A damaged block is reported, naming the file. */
    uint8_t *data = NULL;
    size_t size = 0;
    MN_ASSERT_OK_FATAL(mn_read_file(docs_path, 64u << 20, &data, &size));
    data[20] ^= 0x55;
    MN_ASSERT_TRUE(mn_test_write_file(docs_path, data, size));
    free(data);
    MN_ASSERT_OK_FATAL(ingest_docs_open(&docs, docs_path, 0, ingest_docs_block_limit(4u << 20)));
    ingest_work_doc d;
    uint64_t index;
    MN_ASSERT_STATUS(ingest_docs_next(docs, &d, &index, &done), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS(docs_path);
    ingest_docs_close(docs);
    /* A keys file of the wrong size is refused. */
    MN_ASSERT_STATUS(ingest_keys_open(&keys, keys_path, bands, (uint64_t)n + 1), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS(".ingest-work");
    free(offsets);
    free(keys_path);
    free(docs_path);
    mn_buf_free(&text);
}

static void test_marker_round_trip(void) {
    const char *dir = work_dir();
    char *path = ingest_work_path(dir, "00000000000000bb", "done");
    mn_stats *counters = mn_stats_create();
    MN_ASSERT_OK(mn_stats_add(counters, "docs.in", 12));
    MN_ASSERT_OK(mn_stats_add(counters, "bad.bad_json", 3));
    ingest_input_meta meta = {.path = "corpus/a b.jsonl",
                              .size = 1234,
                              .mtime_ns = -5,
                              .settings = 0xfedcba9876543210ULL,
                              .kept = 9,
                              .kept_bytes = 999,
                              .seconds = 1.5,
                              .counters = counters};
    MN_ASSERT_OK(ingest_meta_write(path, &meta));
    ingest_input_meta back;
    MN_ASSERT_OK_FATAL(ingest_meta_read(path, &back));
    MN_ASSERT_EQ_STR(back.path, "corpus/a b.jsonl");
    MN_ASSERT_EQ_U64(back.size, 1234);
    MN_ASSERT_EQ_INT(back.mtime_ns, -5);
    MN_ASSERT_EQ_U64(back.settings, 0xfedcba9876543210ULL);
    MN_ASSERT_EQ_U64(back.kept, 9);
    MN_ASSERT_EQ_U64(back.kept_bytes, 999);
    MN_ASSERT_EQ_INT(mn_stats_get(back.counters, "docs.in"), 12);
    MN_ASSERT_EQ_INT(mn_stats_get(back.counters, "bad.bad_json"), 3);
    ingest_meta_free(&back);
    mn_stats_free(counters);
    /* Missing and damaged markers are told apart. */
    MN_ASSERT_TRUE(mn_test_write_file(path, "{\"format\": 1, \"pa", 17));
    MN_ASSERT_STATUS(ingest_meta_read(path, &back), MN_ERR_FORMAT);
    unlink(path);
    MN_ASSERT_STATUS(ingest_meta_read(path, &back), MN_ERR_NOT_FOUND);
    free(path);
}

/* Sorts `n` random pairs (few distinct keys so ties need the id order) with `memory` bytes
 * and compares with qsort. */
static void check_sort(size_t n, size_t memory, int expect_min_runs) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/spill-%zu", mn_test_tmpdir(), memory);
    ingest_sorter *s = NULL;
    MN_ASSERT_OK_FATAL(ingest_sorter_create(&s, dir, memory));
    ingest_pair *ref = malloc(n * sizeof *ref);
    mn_rng rng;
    mn_rng_seed(&rng, n);
    for (size_t i = 0; i < n; i++) {
        ref[i].key = mn_rng_below(&rng, n / 3 + 1) * 0x9e3779b97f4a7c15ULL;
        ref[i].id = mn_rng_u64(&rng);
    }
    for (size_t i = 0; i < n; i += 1000)
        MN_ASSERT_OK_FATAL(ingest_sorter_add(s, ref + i, n - i < 1000 ? n - i : 1000));
    MN_ASSERT_OK_FATAL(ingest_sorter_finish(s));
    MN_ASSERT_TRUE(ingest_sorter_runs(s) >= expect_min_runs);
    MN_ASSERT_EQ_U64(ingest_sorter_count(s), n);
    ingest_pair *aux = malloc(n * sizeof *aux);
    ingest_pairs_sort(ref, aux, n);
    size_t wrong = 0, got = 0;
    for (;;) {
        ingest_pair p;
        bool done;
        MN_ASSERT_OK_FATAL(ingest_sorter_next(s, &p, &done));
        if (done)
            break;
        wrong += got >= n || p.key != ref[got].key || p.id != ref[got].id;
        got++;
    }
    MN_ASSERT_EQ_U64(got, n);
    MN_ASSERT_EQ_U64(wrong, 0);
    /* The in-memory sort itself is ordered by (key, id). */
    size_t disorder = 0;
    for (size_t i = 1; i < n; i++)
        disorder += ref[i - 1].key > ref[i].key ||
                    (ref[i - 1].key == ref[i].key && ref[i - 1].id > ref[i].id);
    MN_ASSERT_EQ_U64(disorder, 0);
    ingest_sorter_free(s);
    free(ref);
    free(aux);
}

static void test_sort_in_memory(void) {
    check_sort(100, 1 << 20, 0);
    check_sort(50000, 16u << 20, 0); /* radix path */
}

static void test_sort_spills_and_merges(void) {
    size_t n = (size_t)(300000 * mn_test_scale());
    /* 64 KiB of memory holds 4096 pairs: dozens of runs, merged in more than one pass. */
    check_sort(n, 64 << 10, (int)(n / 4096));
}

static const mn_test_case cases[] = {
    {"documents and keys round-trip, read from any document's block; damage is reported",
     test_documents_and_keys_round_trip},
    {"completion markers round-trip; missing and damaged markers are told apart",
     test_marker_round_trip},
    {"the sorter orders pairs by key then id in memory", test_sort_in_memory},
    {"the sorter spills runs and merges them in passes when memory is small",
     test_sort_spills_and_merges},
    {0}};

static const mn_test_suite suites[] = {{"work", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
