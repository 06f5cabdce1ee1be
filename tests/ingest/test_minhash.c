/* MinHash: signatures estimate Jaccard similarity; LSH bands catch near-duplicates and keep
 * distinct documents apart; everything is deterministic. */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/rng.h"
#include "ingest/minhash.h"
#include "tests/harness/mn_test.h"

/* A pseudo-English document of `n` words drawn from a vocabulary of 2000 made-up words. */
static void make_doc(mn_buf *out, uint64_t seed, int n) {
    mn_rng rng;
    mn_rng_seed(&rng, seed);
    mn_buf_clear(out);
    for (int i = 0; i < n; i++) {
        uint64_t w = mn_rng_below(&rng, 2000);
        char word[16];
        int len = 3 + (int)(w % 6);
        uint64_t x = w * 2654435761u;
        for (int k = 0; k < len; k++) {
            word[k] = (char)('a' + x % 26);
            x /= 26;
        }
        word[len] = 0;
        MN_ASSERT_OK(mn_buf_appendf(out, "%s%s%s", i ? " " : "", word, i % 13 == 12 ? "." : ""));
    }
}

static int shared_bands(ingest_minhash *m, const mn_buf *a, const mn_buf *b, int bands) {
    uint64_t ka[64], kb[64];
    bool ha, hb;
    MN_ASSERT_OK(ingest_minhash_bands(m, (const char *)a->data, a->len, ka, &ha));
    MN_ASSERT_OK(ingest_minhash_bands(m, (const char *)b->data, b->len, kb, &hb));
    MN_ASSERT_TRUE(ha && hb);
    int shared = 0;
    for (int i = 0; i < bands; i++)
        shared += ka[i] == kb[i];
    return shared;
}

static void test_identical_and_case_punctuation_variants(void) {
    ingest_minhash_config config;
    ingest_minhash_config_default(&config);
    MN_ASSERT_EQ_INT(config.ngram, 5);
    MN_ASSERT_EQ_INT(config.bands, 14);
    MN_ASSERT_EQ_INT(config.rows, 8);
    ingest_minhash *m = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    mn_buf a = {0}, b = {0};
    make_doc(&a, 1, 300);
    MN_ASSERT_OK(mn_buf_append(&b, a.data, a.len));
    MN_ASSERT_EQ_INT(shared_bands(m, &a, &b, 14), 14);
    /* Case, punctuation, white space and digits do not matter. */
    mn_buf_clear(&a);
    mn_buf_clear(&b);
    MN_ASSERT_OK(mn_buf_appendf(&a, "The Quick brown fox, page 12, jumps over the lazy dog!"));
    MN_ASSERT_OK(mn_buf_appendf(&b, "the quick  brown\nfox page 99 -- jumps over THE lazy dog"));
    MN_ASSERT_EQ_INT(shared_bands(m, &a, &b, 14), 14);
    /* Non-ASCII letters are lower-cased too. */
    mn_buf_clear(&a);
    mn_buf_clear(&b);
    MN_ASSERT_OK(mn_buf_appendf(&a, "\xc3\x89T\xc3\x89 \xc3\x80 PARIS avec \xc3\x89MILE"));
    MN_ASSERT_OK(mn_buf_appendf(&b, "\xc3\xa9t\xc3\xa9 \xc3\xa0 paris avec \xc3\xa9mile"));
    MN_ASSERT_EQ_INT(shared_bands(m, &a, &b, 14), 14);
    mn_buf_free(&a);
    mn_buf_free(&b);
    ingest_minhash_free(m);
}

static void test_near_duplicates_caught(void) {
    /* Near-duplicates as they appear on the web: a changed date line, a few edited words,
     * an appended footer. Each must share at least one band (the LSH condition). */
    ingest_minhash_config config;
    ingest_minhash_config_default(&config);
    ingest_minhash *m = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    mn_buf base = {0}, variant = {0};
    int caught = 0, trials = 20;
    for (int t = 0; t < trials; t++) {
        make_doc(&base, 100 + (uint64_t)t, 400);
        /* 1) three words replaced */
        mn_buf_clear(&variant);
        MN_ASSERT_OK(mn_buf_append(&variant, base.data, base.len));
        for (int k = 1; k <= 3; k++)
            variant.data[variant.len * (size_t)k / 4] = 'Z';
        caught += shared_bands(m, &base, &variant, 14) > 0;
        /* 2) a prefix and a suffix added */
        mn_buf_clear(&variant);
        MN_ASSERT_OK(mn_buf_appendf(&variant, "Updated on 12 March. %s Share this page.",
                                    (const char *)base.data));
        caught += shared_bands(m, &base, &variant, 14) > 0;
    }
    MN_ASSERT_EQ_INT(caught, 2 * trials);
    mn_buf_free(&base);
    mn_buf_free(&variant);
    ingest_minhash_free(m);
}

static void test_distinct_documents_kept_apart(void) {
    ingest_minhash_config config;
    ingest_minhash_config_default(&config);
    ingest_minhash *m = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    mn_buf a = {0}, b = {0};
    int collisions = 0, pairs = (int)(200 * mn_test_scale());
    for (int t = 0; t < pairs; t++) {
        /* Same vocabulary, different text: typical unrelated documents. */
        make_doc(&a, 1000 + (uint64_t)t, 300);
        make_doc(&b, 5000 + (uint64_t)t, 300);
        collisions += shared_bands(m, &a, &b, 14) > 0;
    }
    MN_ASSERT_EQ_INT(collisions, 0);
    /* Documents that share half their text are not near-duplicates at 14x8 either. */
    make_doc(&a, 7, 200);
    make_doc(&b, 8, 200);
    mn_buf half = {0};
    MN_ASSERT_OK(mn_buf_append(&half, a.data, a.len));
    MN_ASSERT_OK(mn_buf_appendf(&half, " %s", (const char *)b.data));
    MN_ASSERT_EQ_INT(shared_bands(m, &a, &half, 14), 0);
    mn_buf_free(&a);
    mn_buf_free(&b);
    mn_buf_free(&half);
    ingest_minhash_free(m);
}

static void test_signature_estimates_jaccard(void) {
    /* Two documents of 1000 distinct words sharing the first 800 5-gram windows: Jaccard of
     * the shingle sets = 796 / (996 + 200) ~ 0.665; with 1024 hashes the estimate is within a
     * few points. */
    ingest_minhash_config config = {.ngram = 5, .bands = 128, .rows = 8, .seed = 3};
    ingest_minhash *m = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    mn_buf a = {0}, b = {0};
    for (int i = 0; i < 1000; i++) {
        MN_ASSERT_OK(mn_buf_appendf(&a, "%sw%d", i ? " " : "", i));
        MN_ASSERT_OK(mn_buf_appendf(&b, "%sw%d", i ? " " : "", i < 800 ? i : 5000 + i));
    }
    /* Digits all read as '0', so use letters to keep the words distinct. */
    for (size_t i = 0; i < a.len; i++)
        if (a.data[i] >= '0' && a.data[i] <= '9')
            a.data[i] = (uint8_t)('a' + a.data[i] - '0');
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] >= '0' && b.data[i] <= '9')
            b.data[i] = (uint8_t)('a' + b.data[i] - '0');
    uint32_t *sa = calloc(1024, 4), *sb = calloc(1024, 4);
    MN_ASSERT_FATAL(sa && sb);
    bool ha, hb;
    MN_ASSERT_OK(ingest_minhash_signature(m, (const char *)a.data, a.len, sa, &ha));
    MN_ASSERT_OK(ingest_minhash_signature(m, (const char *)b.data, b.len, sb, &hb));
    double expected = 796.0 / (996.0 + 200.0);
    MN_ASSERT_NEAR(ingest_minhash_similarity(sa, sb, 1024), expected, 0.05);
    free(sa);
    free(sb);
    mn_buf_free(&a);
    mn_buf_free(&b);
    ingest_minhash_free(m);
}

static void test_short_and_empty_documents(void) {
    ingest_minhash_config config;
    ingest_minhash_config_default(&config);
    ingest_minhash *m = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    uint64_t k1[14], k2[14];
    bool has;
    MN_ASSERT_OK(ingest_minhash_bands(m, " ... !!! ", 9, k1, &has));
    MN_ASSERT_TRUE(!has);
    /* Fewer words than the n-gram size: one shingle of all words. */
    MN_ASSERT_OK(ingest_minhash_bands(m, "hello world", 11, k1, &has));
    MN_ASSERT_TRUE(has);
    MN_ASSERT_OK(ingest_minhash_bands(m, "Hello, World!", 13, k2, &has));
    MN_ASSERT_TRUE(has);
    MN_ASSERT_EQ_MEM(k1, k2, sizeof k1);
    MN_ASSERT_OK(ingest_minhash_bands(m, "world hello", 11, k2, &has));
    MN_ASSERT_TRUE(k1[0] != k2[0]);
    ingest_minhash_free(m);
}

static void test_deterministic_and_seeded(void) {
    /* Fixed values pin the hash family: a change to it changes every dedup result. */
    ingest_minhash_config config;
    ingest_minhash_config_default(&config);
    ingest_minhash *m = NULL, *m2 = NULL;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m, &config));
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m2, &config));
    const char *text = "the quick brown fox jumps over the lazy dog again and again";
    uint64_t k1[14], k2[14];
    bool has;
    MN_ASSERT_OK(ingest_minhash_bands(m, text, strlen(text), k1, &has));
    MN_ASSERT_OK(ingest_minhash_bands(m2, text, strlen(text), k2, &has));
    MN_ASSERT_EQ_MEM(k1, k2, sizeof k1);
    ingest_minhash_free(m2);
    config.seed = 2;
    MN_ASSERT_OK_FATAL(ingest_minhash_create(&m2, &config));
    MN_ASSERT_OK(ingest_minhash_bands(m2, text, strlen(text), k2, &has));
    int equal = 0;
    for (int i = 0; i < 14; i++)
        equal += k1[i] == k2[i];
    MN_ASSERT_EQ_INT(equal, 0);
    ingest_minhash_free(m);
    ingest_minhash_free(m2);

    ingest_minhash_config bad = {.ngram = 0, .bands = 14, .rows = 8};
    MN_ASSERT_STATUS(ingest_minhash_config_check(&bad), MN_ERR_ARG);
    bad = (ingest_minhash_config){.ngram = 5, .bands = 200, .rows = 8};
    MN_ASSERT_STATUS(ingest_minhash_config_check(&bad), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("200 x 8");
}

static const mn_test_case cases[] = {
    {"identical texts and case, punctuation or digit variants share every band",
     test_identical_and_case_punctuation_variants},
    {"near-duplicates (edited words, added prefix and suffix) share a band",
     test_near_duplicates_caught},
    {"distinct documents and documents sharing half their text share no band",
     test_distinct_documents_kept_apart},
    {"signature agreement estimates the Jaccard similarity of the shingle sets",
     test_signature_estimates_jaccard},
    {"texts without words have no signature; short texts are one shingle",
     test_short_and_empty_documents},
    {"signatures are deterministic for a seed and change with it; configs are checked",
     test_deterministic_and_seeded},
    {0}};

static const mn_test_suite suites[] = {{"minhash", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
