/* Hugging Face tokenizer.json: the export of gpt2, cl100k_base, o200k_base (imported from
 * the npm tiktoken package) and of a tokenizer trained here loads in HF tokenizers (npm
 * `tokenizers`, native Rust) and encodes the test corpus (512 KB, scaled) to the same ids as
 * mnemo; importing the exported file gives back the same tokenizer (identity hash). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/tokenizer.h"

static const char *modules(void) {
    const char *dir = getenv("MNEMO_NODE_MODULES");
    static char probe[4096];
    if (dir == NULL)
        return NULL;
    snprintf(probe, sizeof probe, "%s/tokenizers/package.json", dir);
    return mn_path_exists(probe) ? dir : NULL;
}

/* The first MB of the corpus (scaled), cut at a line end. */
static const char *text_path(void) {
    static char path[4096];
    if (path[0])
        return path;
    const char *tmp = getenv("MNEMO_TEST_TMPDIR");
    char full[4096];
    snprintf(full, sizeof full, "%s/tokenizer-corpus.txt", tmp ? tmp : "/tmp");
    uint8_t *data;
    size_t len;
    if (mn_read_file(full, (size_t)1 << 31, &data, &len) != MN_OK)
        return NULL;
    size_t want = (size_t)(524288 * mn_test_scale());
    if (want > len)
        want = len;
    while (want < len && data[want - 1] != '\n')
        want++;
    snprintf(path, sizeof path, "%s", mn_test_path("hf-text.txt"));
    bool ok = mn_test_write_file(path, data, want);
    free(data);
    return ok ? path : NULL;
}

static void check_tokenizer(tok_tokenizer *t, const char *label) {
    const char *text = text_path();
    MN_ASSERT_FATAL(text != NULL);
    char json[4096], ids_path[4096], cmd[16384];
    snprintf(json, sizeof json, "%s", mn_test_path(label));
    strcat(json, ".json");
    snprintf(ids_path, sizeof ids_path, "%s.ids", json);
    MN_ASSERT_OK_FATAL(tok_export_hf(t, json));
    /* Import back: the same tokenizer. */
    tok_tokenizer *back = NULL;
    MN_ASSERT_OK(tok_import_hf(&back, json));
    if (back != NULL)
        MN_ASSERT_EQ_U64(tok_identity_hash(back), tok_identity_hash(t));
    tok_free(back);
    snprintf(cmd, sizeof cmd, "node '%s/tests/tokenizer/hf_encode.js' '%s' '%s' '%s'",
             mn_test_source_dir(), json, text, ids_path);
    MN_ASSERT_EQ_INT(system(cmd), 0);
    uint8_t *data, *ref;
    size_t len, ref_len;
    MN_ASSERT_OK_FATAL(mn_read_file(text, (size_t)1 << 31, &data, &len));
    MN_ASSERT_OK_FATAL(mn_read_file(ids_path, (size_t)1 << 32, &ref, &ref_len));
    tok_ids ids = {0};
    MN_ASSERT_OK(tok_encode(t, data, len, &ids));
    const uint32_t *expected = (const uint32_t *)ref;
    size_t n = ref_len / 4, first = n;
    for (size_t i = 0; i < n && i < ids.count; i++)
        if (ids.ids[i] != expected[i]) {
            first = i;
            break;
        }
    MN_ASSERT_EQ_U64(ids.count, n);
    MN_ASSERT_EQ_U64(first, n);
    printf("\n  %s: %zu ids identical in HF tokenizers", label, n);
    tok_ids_free(&ids);
    free(data);
    free(ref);
}

static void check_encoding(const char *encoding) {
#ifdef MNEMO_SANITIZE_BUILD
    /* The 100k and 200k vocabularies take minutes to export and re-import under ASan; the
     * code paths are those of gpt2 and the trained tokenizer, checked here in every build,
     * and the normal build checks all four. */
    if (strcmp(encoding, "gpt2") != 0) {
        printf("\n  %s: checked in the normal build only (size, not code paths)\n", encoding);
        MN_ASSERT_TRUE(true);
        return;
    }
#endif
    const char *dir = modules();
    if (dir == NULL) {
        printf("\n  SKIPPED: npm tokenizers not installed (MNEMO_NODE_MODULES); ./test.sh "
               "installs it\n");
        MN_ASSERT_TRUE(true);
        return;
    }
    char json[4096];
    snprintf(json, sizeof json, "%s/tiktoken/encoders/%s.json", dir, encoding);
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK_FATAL(tok_import_tiktoken(&t, json, NULL, NULL, NULL, 0));
    check_tokenizer(t, encoding);
    tok_free(t);
}

static void test_gpt2(void) {
    check_encoding("gpt2");
}
static void test_cl100k(void) {
    check_encoding("cl100k_base");
}
static void test_o200k(void) {
    check_encoding("o200k_base");
}

static void test_trained(void) {
    if (modules() == NULL) {
        printf("\n  SKIPPED: npm tokenizers not installed\n");
        MN_ASSERT_TRUE(true);
        return;
    }
    const char *text = text_path();
    MN_ASSERT_FATAL(text != NULL);
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_read_file(text, (size_t)1 << 31, &data, &len));
    tok_word_counts *wc;
    MN_ASSERT_OK_FATAL(tok_word_counts_create(&wc));
    MN_ASSERT_OK(tok_word_counts_add_text(wc, TOK_PRETOK_O200K, data, len));
    tok_special_def specials[] = {
        {"<|endoftext|>", 0, "eos"}, {"<|pad|>", 0, "pad"}, {"<|landmark|>", 0, "landmark"}};
    tok_train_options opt = {.vocab_size = 3000,
                             .min_frequency = 2,
                             .pretokenizer = "o200k",
                             .name = "trained",
                             .specials = specials,
                             .n_specials = 3};
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK_FATAL(tok_train_bpe(&t, wc, &opt, NULL));
    check_tokenizer(t, "trained");
    tok_free(t);
    tok_word_counts_free(wc);
    free(data);
}

static void test_import_rejects_unsupported_files(void) {
    const char *path = mn_test_path("wordpiece.json");
    const char *json = "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}}}";
    MN_ASSERT_TRUE(mn_test_write_file(path, json, strlen(json)));
    tok_tokenizer *t = NULL;
    MN_ASSERT_STATUS(tok_import_hf(&t, path), MN_ERR_UNSUPPORTED);
    MN_ASSERT_ERROR_CONTAINS("wordpiece.json");
    const char *bad = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
                      "\"pre_tokenizer\":{\"type\":\"Whitespace\"}}";
    MN_ASSERT_TRUE(mn_test_write_file(path, bad, strlen(bad)));
    MN_ASSERT_STATUS(tok_import_hf(&t, path), MN_ERR_UNSUPPORTED);
    MN_ASSERT_ERROR_CONTAINS("pre-tokenizer");
    MN_ASSERT_TRUE(mn_test_write_file(path, "{", 1));
    MN_ASSERT_STATUS(tok_import_hf(&t, path), MN_ERR_FORMAT);
}

static const mn_test_case cases[] = {
    {"gpt2 exported to tokenizer.json encodes the same in HF tokenizers", test_gpt2},
    {"cl100k_base exported to tokenizer.json encodes the same in HF tokenizers", test_cl100k},
    {"o200k_base exported to tokenizer.json encodes the same in HF tokenizers", test_o200k},
    {"a trained tokenizer exported to tokenizer.json encodes the same in HF tokenizers",
     test_trained},
    {"unsupported tokenizer.json files are rejected with the reason",
     test_import_rejects_unsupported_files},
    {0}};

static const mn_test_suite suites[] = {{"hf", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
