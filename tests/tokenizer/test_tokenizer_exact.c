/* Exactness against OpenAI's tiktoken (the npm `tiktoken` package): for gpt2, cl100k_base
 * and o200k_base, the ids of the whole test corpus (tests/tokenizer/make_corpus.py: man
 * pages in ten languages, code, licences, emoji data, generated whitespace/digit runs)
 * must be identical, every one of them. The corpus is scaled by mn_test_scale().
 *
 * The vocabularies are imported from the same package's encoder JSON files, so this also
 * tests the import. Both entry points are compared: tok_encode (no cache) and a
 * tok_encoder (piece cache). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/tokenizer.h"

static const char *node_modules(void) {
    const char *dir = getenv("MNEMO_NODE_MODULES");
    static char probe[4096];
    if (dir == NULL)
        return NULL;
    snprintf(probe, sizeof probe, "%s/tiktoken/encoders/gpt2.json", dir);
    return mn_path_exists(probe) ? dir : NULL;
}

/* The corpus prefix for this build (scaled, cut at a line end), written to the tmp dir. */
static const char *corpus_path(size_t *size_out) {
    static char path[4096];
    static size_t size;
    if (path[0]) {
        *size_out = size;
        return path;
    }
    const char *tmp = getenv("MNEMO_TEST_TMPDIR");
    char full[4096];
    snprintf(full, sizeof full, "%s/tokenizer-corpus.txt", tmp ? tmp : "/tmp");
    uint8_t *data;
    size_t len;
    if (mn_read_file(full, (size_t)1 << 31, &data, &len) != MN_OK) {
        fprintf(stderr, "corpus %s is missing (made by the tokenizer_corpus fixture test)\n", full);
        return NULL;
    }
    size_t want = (size_t)((double)len * mn_test_scale());
    while (want < len && data[want - 1] != '\n')
        want++;
    snprintf(path, sizeof path, "%s", mn_test_path("corpus-prefix.txt"));
    if (!mn_test_write_file(path, data, want)) {
        free(data);
        return NULL;
    }
    free(data);
    size = want;
    *size_out = size;
    printf("\n  corpus: %zu bytes (scale %.2f)\n", size, mn_test_scale());
    return path;
}

static void show_context(const tok_tokenizer *t, const uint32_t *ids, size_t n, size_t at) {
    size_t from = at > 8 ? at - 8 : 0, to = at + 8 < n ? at + 8 : n;
    for (size_t i = from; i < to; i++) {
        const uint8_t *b;
        size_t len;
        if (tok_token_bytes(t, ids[i], &b, &len) != MN_OK)
            len = 0;
        fprintf(stderr, "    %s[%zu] %u '%.*s'\n", i == at ? ">" : " ", i, ids[i], (int)len,
                (const char *)b);
    }
}

static void compare_encoding(const char *encoding) {
    const char *modules = node_modules();
    if (modules == NULL) {
        printf("\n  SKIPPED: npm tiktoken not installed (MNEMO_NODE_MODULES); ./test.sh installs "
               "it\n");
        MN_ASSERT_TRUE(true);
        return;
    }
    size_t size = 0;
    const char *corpus = corpus_path(&size);
    MN_ASSERT_FATAL(corpus != NULL);
    char json[4096], ref[4096], cmd[16384];
    snprintf(json, sizeof json, "%s/tiktoken/encoders/%s.json", modules, encoding);
    snprintf(ref, sizeof ref, "%s", mn_test_path(encoding));
    snprintf(cmd, sizeof cmd, "node '%s/tests/tokenizer/tiktoken_ref.js' %s '%s' '%s'",
             mn_test_source_dir(), encoding, corpus, ref);
    MN_ASSERT_EQ_INT(system(cmd), 0);

    tok_tokenizer *t = NULL;
    MN_ASSERT_OK_FATAL(tok_import_tiktoken(&t, json, NULL, NULL, NULL, 0));
    uint8_t *text, *ref_bytes;
    size_t text_len, ref_len;
    MN_ASSERT_OK_FATAL(mn_read_file(corpus, (size_t)1 << 31, &text, &text_len));
    MN_ASSERT_OK_FATAL(mn_read_file(ref, (size_t)1 << 32, &ref_bytes, &ref_len));
    const uint32_t *expected = (const uint32_t *)ref_bytes;
    size_t n_expected = ref_len / 4;

    tok_ids plain = {0}, cached = {0};
    tok_encoder *encoder = NULL;
    MN_ASSERT_OK(tok_encode(t, text, text_len, &plain));
    MN_ASSERT_OK(tok_encoder_create(&encoder, t));
    MN_ASSERT_OK(tok_encoder_encode(encoder, text, text_len, &cached));
    tok_ids *runs[2] = {&plain, &cached};
    const char *names[2] = {"tok_encode", "tok_encoder_encode"};
    for (int r = 0; r < 2; r++) {
        tok_ids *got = runs[r];
        size_t n = got->count < n_expected ? got->count : n_expected, first = n;
        for (size_t i = 0; i < n; i++) {
            if (got->ids[i] != expected[i]) {
                first = i;
                break;
            }
        }
        if (first < n || got->count != n_expected) {
            fprintf(stderr, "  %s %s: %zu ids, tiktoken %zu; first difference at id %zu\n",
                    encoding, names[r], got->count, n_expected, first);
            fprintf(stderr, "  ours:\n");
            show_context(t, got->ids, got->count, first);
            fprintf(stderr, "  tiktoken:\n");
            show_context(t, expected, n_expected, first);
        }
        MN_ASSERT_EQ_U64(got->count, n_expected);
        MN_ASSERT_EQ_U64(first, n);
    }
    printf("  %s: %zu ids identical to tiktoken\n", encoding, n_expected);
    tok_encoder_free(encoder);
    tok_ids_free(&plain);
    tok_ids_free(&cached);
    free(text);
    free(ref_bytes);
    tok_free(t);
}

static void test_gpt2(void) {
    compare_encoding("gpt2");
}
static void test_cl100k(void) {
    compare_encoding("cl100k_base");
}
static void test_o200k(void) {
    compare_encoding("o200k_base");
}

static const mn_test_case cases[] = {
    {"gpt2 ids equal tiktoken's on the whole corpus", test_gpt2},
    {"cl100k_base ids equal tiktoken's on the whole corpus", test_cl100k},
    {"o200k_base ids equal tiktoken's on the whole corpus", test_o200k},
    {0}};

static const mn_test_suite suites[] = {{"exact", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
