/* Unit tests of the tokenizer library: building, BPE merging, decoding, special tokens,
 * the *.mtk file and its validation. Vocabularies are built by the tests themselves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/tokenizer.h"

/* A small vocabulary: the 256 bytes (id = byte value), then `merges` in order, then the
 * special tokens after them. */
typedef struct small_vocab {
    uint8_t *bytes[1024];
    size_t lens[1024];
    uint32_t n;
} small_vocab;

static void vocab_init(small_vocab *v) {
    memset(v, 0, sizeof *v);
    for (int b = 0; b < 256; b++) {
        v->bytes[b] = malloc(1);
        v->bytes[b][0] = (uint8_t)b;
        v->lens[b] = 1;
    }
    v->n = 256;
}

static void vocab_add(small_vocab *v, const char *token) {
    v->lens[v->n] = strlen(token);
    v->bytes[v->n] = (uint8_t *)mn_strdup(token);
    v->n++;
}

static void vocab_free(small_vocab *v) {
    for (uint32_t i = 0; i < v->n; i++)
        free(v->bytes[i]);
}

static tok_tokenizer *make_tokenizer(const char *pretok, const char *const *merges, size_t n,
                                     const tok_special_def *specials, size_t n_specials) {
    small_vocab v;
    vocab_init(&v);
    for (size_t i = 0; i < n; i++)
        vocab_add(&v, merges[i]);
    uint32_t size = v.n;
    for (size_t i = 0; i < n_specials; i++)
        if (specials[i].id + 1 > size)
            size = specials[i].id + 1;
    for (uint32_t i = v.n; i < size; i++) {
        v.bytes[i] = NULL;
        v.lens[i] = 0;
    }
    tok_definition def = {.name = "test",
                          .pretokenizer = pretok,
                          .vocab_size = size,
                          .token_bytes = (const uint8_t *const *)v.bytes,
                          .token_lens = v.lens,
                          .specials = specials,
                          .n_specials = n_specials};
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK(tok_create(&t, &def));
    v.n = size > v.n ? size : v.n;
    vocab_free(&v);
    return t;
}

static void expect_ids(const tok_tokenizer *t, const char *text, const uint32_t *expected,
                       size_t n) {
    tok_ids ids = {0};
    MN_ASSERT_OK(tok_encode(t, (const uint8_t *)text, strlen(text), &ids));
    MN_ASSERT_EQ_U64(ids.count, n);
    for (size_t i = 0; i < n && i < ids.count; i++)
        MN_ASSERT_EQ_U64(ids.ids[i], expected[i]);
    tok_ids_free(&ids);
}

static void test_merges_follow_rank_order(void) {
    /* "ab" (256) then "bc" (257) then "abc" (258): for "abc" the lowest-rank pair is (a,b),
     * then (ab,c) forms abc. For "bcd": (b,c) then nothing. */
    const char *merges[] = {"ab", "bc", "abc"};
    tok_tokenizer *t = make_tokenizer("gpt2", merges, 3, NULL, 0);
    MN_ASSERT_FATAL(t != NULL);
    expect_ids(t, "abc", (uint32_t[]){258}, 1);
    expect_ids(t, "bcd", (uint32_t[]){257, 'd'}, 2);
    expect_ids(t, "abcabc", (uint32_t[]){258, 258}, 2);
    tok_free(t);
}

static void test_merge_uses_concatenation_rank(void) {
    /* tiktoken merges two parts whenever their concatenation is a token, whichever way it
     * was learned: "bc" (256) first, then "abc" (257) = a + bc although no "ab" exists. */
    const char *merges[] = {"bc", "abc", "abcx"};
    tok_tokenizer *t = make_tokenizer("gpt2", merges, 3, NULL, 0);
    MN_ASSERT_FATAL(t != NULL);
    /* "abcxy" is no token: bc -> a+bc=abc -> abc+x=abcx -> [abcx, y]. */
    expect_ids(t, "abcxy", (uint32_t[]){258, 'y'}, 2);
    tok_free(t);
}

static void test_equal_ranks_merge_leftmost_first(void) {
    /* "aa" (256): "aaa" -> [aa, a] (leftmost pair first), not [a, aa]. */
    const char *merges[] = {"aa"};
    tok_tokenizer *t = make_tokenizer("gpt2", merges, 1, NULL, 0);
    MN_ASSERT_FATAL(t != NULL);
    expect_ids(t, "aaa", (uint32_t[]){256, 'a'}, 2);
    expect_ids(t, "aaaaa", (uint32_t[]){256, 256, 'a'}, 3);
    tok_free(t);
}

static void test_long_piece_heap_equals_short_loop(void) {
    /* Pieces longer than the short-loop limit use the heap: compare both on random words
     * by encoding each piece whole and as the concatenation of the same merges applied
     * through a repeated string: "ab"*k must give k tokens "ab" (or "abab" pairs). */
    const char *merges[] = {"ab", "abab", "ba", "aab"};
    tok_tokenizer *t = make_tokenizer("gpt2", merges, 4, NULL, 0);
    MN_ASSERT_FATAL(t != NULL);
    mn_rng rng;
    mn_rng_seed(&rng, 7);
    for (int round = 0; round < 200; round++) {
        char word[400];
        size_t n = 2 + mn_rng_below(&rng, sizeof word - 3);
        for (size_t i = 0; i < n; i++)
            word[i] = "ab"[mn_rng_below(&rng, 2)];
        word[n] = '\0';
        tok_ids ids = {0};
        MN_ASSERT_OK(tok_encode(t, (const uint8_t *)word, n, &ids));
        /* Reference: tiktoken's leftmost-minimum loop written out naively. */
        uint32_t parts[400];
        size_t count = n;
        for (size_t i = 0; i < n; i++)
            parts[i] = (uint8_t)word[i];
        for (;;) {
            int64_t best = -1;
            size_t at = 0;
            for (size_t i = 0; i + 1 < count; i++) {
                const uint8_t *lb, *rb;
                size_t ll, rl;
                tok_token_bytes(t, parts[i], &lb, &ll);
                tok_token_bytes(t, parts[i + 1], &rb, &rl);
                uint8_t cat[800];
                memcpy(cat, lb, ll);
                memcpy(cat + ll, rb, rl);
                int64_t id = tok_token_id(t, cat, ll + rl);
                if (id >= 0 && (best < 0 || id < best)) {
                    best = id;
                    at = i;
                }
            }
            if (best < 0)
                break;
            parts[at] = (uint32_t)best;
            memmove(parts + at + 1, parts + at + 2, (count - at - 2) * sizeof *parts);
            count--;
        }
        MN_ASSERT_EQ_U64(ids.count, count);
        for (size_t i = 0; i < count && i < ids.count; i++)
            MN_ASSERT_EQ_U64(ids.ids[i], parts[i]);
        tok_ids_free(&ids);
    }
    tok_free(t);
}

static void test_decode_inverts_encode_for_any_bytes(void) {
    const char *merges[] = {"th", "the", " the", "in", "ing", "\xc3\xa9"};
    tok_tokenizer *t = make_tokenizer("cl100k", merges, 6, NULL, 0);
    MN_ASSERT_FATAL(t != NULL);
    mn_rng rng;
    mn_rng_seed(&rng, 11);
    for (int round = 0; round < 300; round++) {
        uint8_t text[256];
        size_t n = mn_rng_below(&rng, sizeof text);
        for (size_t i = 0; i < n; i++)
            text[i] = round % 2 ? (uint8_t)mn_rng_below(&rng, 256)
                                : (uint8_t) " thein\xc3\xa9\x80\n"[mn_rng_below(&rng, 11)];
        tok_ids ids = {0};
        mn_buf out = {0};
        MN_ASSERT_OK(tok_encode(t, text, n, &ids));
        MN_ASSERT_OK(tok_decode(t, ids.ids, ids.count, &out));
        MN_ASSERT_EQ_U64(out.len, n);
        MN_ASSERT_EQ_MEM(out.data, text, n);
        tok_ids_free(&ids);
        mn_buf_free(&out);
    }
    tok_free(t);
}

static void test_decode_rejects_unknown_ids(void) {
    tok_special_def specials[] = {{"<|endoftext|>", 300, "eos"}};
    tok_tokenizer *t = make_tokenizer("gpt2", NULL, 0, specials, 1);
    MN_ASSERT_FATAL(t != NULL);
    mn_buf out = {0};
    MN_ASSERT_STATUS(tok_decode(t, (uint32_t[]){'a', 301}, 2, &out), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("301");
    mn_buf_clear(&out);
    MN_ASSERT_STATUS(tok_decode(t, (uint32_t[]){280}, 1, &out), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("not assigned");
    mn_buf_clear(&out);
    MN_ASSERT_OK(tok_decode(t, (uint32_t[]){'a', 300}, 2, &out));
    MN_ASSERT_EQ_STR((const char *)out.data, "a<|endoftext|>");
    mn_buf_free(&out);
    MN_ASSERT_EQ_INT(tok_special_id(t, "eos"), 300);
    MN_ASSERT_EQ_INT(tok_special_id(t, "pad"), -1);
    MN_ASSERT_EQ_INT(tok_vocab_size(t), 301);
    tok_free(t);
}

static void test_special_tokens_follow_tiktoken_semantics(void) {
    tok_special_def specials[] = {{"<|endoftext|>", 256, "eos"}, {"<|pad|>", 257, "pad"}};
    tok_tokenizer *t = make_tokenizer("cl100k", NULL, 0, specials, 2);
    MN_ASSERT_FATAL(t != NULL);
    const char *text = "a<|endoftext|>b<|pad|>";
    size_t len = strlen(text);
    tok_ids ids = {0};
    /* Ordinary encoding: special text is plain text. */
    MN_ASSERT_OK(tok_encode(t, (const uint8_t *)text, len, &ids));
    MN_ASSERT_EQ_U64(ids.count, len);
    tok_ids_free(&ids);
    /* Default (nothing allowed, all disallowed): an error naming the token and offset. */
    tok_special_set none = {TOK_SPECIAL_SET_NONE, NULL, 0}, all = {TOK_SPECIAL_SET_ALL, NULL, 0};
    MN_ASSERT_STATUS(tok_encode_special(t, (const uint8_t *)text, len, none, all, &ids),
                     MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("<|endoftext|>' at byte 1");
    tok_ids_free(&ids);
    /* All allowed. */
    MN_ASSERT_OK(tok_encode_special(t, (const uint8_t *)text, len, all, none, &ids));
    MN_ASSERT_EQ_U64(ids.count, 4);
    MN_ASSERT_EQ_U64(ids.ids[0], 'a');
    MN_ASSERT_EQ_U64(ids.ids[1], 256);
    MN_ASSERT_EQ_U64(ids.ids[2], 'b');
    MN_ASSERT_EQ_U64(ids.ids[3], 257);
    tok_ids_free(&ids);
    /* Only eos allowed, nothing disallowed: <|pad|> is ordinary text. */
    const char *eos[] = {"<|endoftext|>"};
    tok_special_set only_eos = {TOK_SPECIAL_SET_LIST, eos, 1};
    MN_ASSERT_OK(tok_encode_special(t, (const uint8_t *)text, len, only_eos, none, &ids));
    MN_ASSERT_EQ_U64(ids.count, 3 + strlen("<|pad|>"));
    MN_ASSERT_EQ_U64(ids.ids[1], 256);
    tok_ids_free(&ids);
    /* Only eos allowed, the rest disallowed (tiktoken's default for "all"): pad fails. */
    MN_ASSERT_STATUS(tok_encode_special(t, (const uint8_t *)text, len, only_eos, all, &ids),
                     MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("<|pad|>");
    tok_ids_free(&ids);
    tok_free(t);
}

static void test_mtk_round_trip_keeps_identity(void) {
    tok_special_def specials[] = {{"<|endoftext|>", 258, "eos"}, {"<|lmk|>", 259, "landmark"}};
    const char *merges[] = {"ab", "abc"};
    tok_tokenizer *t = make_tokenizer("o200k", merges, 2, specials, 2);
    MN_ASSERT_FATAL(t != NULL);
    const char *path = mn_test_path("small.mtk");
    MN_ASSERT_OK(tok_save(t, path));
    tok_tokenizer *u = NULL;
    MN_ASSERT_OK_FATAL(tok_load(&u, path));
    MN_ASSERT_EQ_U64(tok_identity_hash(u), tok_identity_hash(t));
    MN_ASSERT_EQ_STR(tok_pretokenizer_name(u), "o200k");
    MN_ASSERT_EQ_INT(tok_special_id(u, "landmark"), 259);
    MN_ASSERT_EQ_INT(tok_vocab_size(u), 260);
    tok_free(u);
    /* A flipped byte in a token: the identity check (or validation) rejects the file. */
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_read_file(path, 1 << 20, &data, &len));
    uint8_t *hit = memmem(data, len, "abc", 3);
    MN_ASSERT_FATAL(hit != NULL);
    hit[2] = 'd';
    MN_ASSERT_TRUE(mn_test_write_file(path, data, len));
    free(data);
    MN_ASSERT_STATUS(tok_load(&u, path), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("identity hash");
    MN_ASSERT_ERROR_CONTAINS(path);
    tok_free(t);
}

static void test_create_rejects_invalid_vocabularies(void) {
    small_vocab v;
    vocab_init(&v);
    vocab_add(&v, "ab");
    vocab_add(&v, "ab");
    tok_definition def = {.name = "bad",
                          .pretokenizer = "gpt2",
                          .vocab_size = v.n,
                          .token_bytes = (const uint8_t *const *)v.bytes,
                          .token_lens = v.lens};
    tok_tokenizer *t = NULL;
    MN_ASSERT_STATUS(tok_create(&t, &def), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("same bytes");
    /* A missing single byte. */
    def.vocab_size = 257;
    v.lens[65] = 0;
    MN_ASSERT_STATUS(tok_create(&t, &def), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("byte 0x41");
    v.lens[65] = 1;
    /* A special token on an ordinary id. */
    tok_special_def bad = {"<|x|>", 256, "user"};
    def.specials = &bad;
    def.n_specials = 1;
    MN_ASSERT_STATUS(tok_create(&t, &def), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("ordinary token");
    def.pretokenizer = "bert";
    MN_ASSERT_STATUS(tok_create(&t, &def), MN_ERR_ARG);
    MN_ASSERT_TRUE(t == NULL);
    vocab_free(&v);
}

static const mn_test_case cases[] = {
    {"merges follow rank order", test_merges_follow_rank_order},
    {"two parts merge when their concatenation is a token", test_merge_uses_concatenation_rank},
    {"equal ranks merge leftmost first", test_equal_ranks_merge_leftmost_first},
    {"long pieces (heap) equal a naive leftmost-minimum loop",
     test_long_piece_heap_equals_short_loop},
    {"decode inverts encode for any bytes", test_decode_inverts_encode_for_any_bytes},
    {"decode rejects unknown ids and decodes special tokens", test_decode_rejects_unknown_ids},
    {"special tokens follow tiktoken's allowed/disallowed semantics",
     test_special_tokens_follow_tiktoken_semantics},
    {"an .mtk file round-trips and a damaged one is rejected", test_mtk_round_trip_keeps_identity},
    {"invalid vocabularies are rejected with a clear error",
     test_create_rejects_invalid_vocabularies},
    {0}};

static const mn_test_suite suites[] = {{"tokenizer", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
