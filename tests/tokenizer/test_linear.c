/* No quadratic cliffs: encoding time is proven linear by counting operations, not by
 * timing. The library here is built with TOK_COUNT_STEPS, which counts every character the
 * pre-tokenizer decodes; the BPE loop counts heap pushes, pops and merges
 * (tok_merge_stats). For inputs of n, 2n, 4n, 8n bytes the operations per byte must stay
 * under a fixed bound and must not grow with n.
 *
 * Inputs: one piece of 1 MB without spaces (the heap loop), a 10 MB line of words, and
 * the scanners' worst cases (a long white-space run, uppercase and mark runs for o200k's
 * backtracking alternatives, digit runs). Sizes are scaled by mn_test_scale(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/rng.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/tokenizer.h"

extern uint64_t tok__pretok_steps;

/* Bytes, all 676 two-letter pairs of a..z, then 2000 random 3..6-letter strings that
 * are unions of existing tokens: plenty of merges inside a long letter run. */
static tok_tokenizer *letters_tokenizer(const char *pretok) {
    enum { MAX = 256 + 676 + 2000 };
    uint8_t **bytes = calloc(MAX, sizeof *bytes);
    size_t *lens = calloc(MAX, sizeof *lens);
    uint32_t n = 0;
    for (int b = 0; b < 256; b++, n++) {
        bytes[n] = malloc(1);
        bytes[n][0] = (uint8_t)b;
        lens[n] = 1;
    }
    for (int x = 0; x < 26; x++)
        for (int y = 0; y < 26; y++, n++) {
            bytes[n] = malloc(2);
            bytes[n][0] = (uint8_t)('a' + x);
            bytes[n][1] = (uint8_t)('a' + y);
            lens[n] = 2;
        }
    mn_rng rng;
    mn_rng_seed(&rng, 3);
    while (n < MAX) {
        size_t len = 3 + mn_rng_below(&rng, 4);
        uint8_t word[8];
        for (size_t i = 0; i < len; i++)
            word[i] = (uint8_t)('a' + mn_rng_below(&rng, 26));
        bool dup = false;
        for (uint32_t k = 256 + 676; k < n && !dup; k++)
            dup = lens[k] == len && memcmp(bytes[k], word, len) == 0;
        if (dup)
            continue;
        bytes[n] = malloc(len);
        memcpy(bytes[n], word, len);
        lens[n++] = len;
    }
    tok_definition def = {.name = "letters",
                          .pretokenizer = pretok,
                          .vocab_size = n,
                          .token_bytes = (const uint8_t *const *)bytes,
                          .token_lens = lens};
    tok_tokenizer *t = NULL;
    MN_ASSERT_OK(tok_create(&t, &def));
    for (uint32_t i = 0; i < n; i++)
        free(bytes[i]);
    free(bytes);
    free(lens);
    return t;
}

typedef struct counts {
    double steps_per_byte; /* pre-tokenizer character decodes */
    double heap_per_byte;  /* heap pushes + pops */
    double scans_per_byte; /* short-loop pair reads */
    size_t ids;
} counts;

static counts encode_counting(const tok_tokenizer *t, const uint8_t *text, size_t len) {
    tok_ids ids = {0};
    tok_merge_stats_reset();
    tok__pretok_steps = 0;
    MN_ASSERT_OK(tok_encode(t, text, len, &ids));
    tok_merge_stats m = tok_merge_stats_get();
    counts c = {(double)tok__pretok_steps / (double)len,
                (double)(m.heap_pushes + m.heap_pops) / (double)len,
                (double)m.scan_steps / (double)len, ids.count};
    tok_ids_free(&ids);
    return c;
}

typedef void (*generator)(uint8_t *text, size_t len, mn_rng *rng);

/* Runs the generator at sizes base, 2 base, 4 base, 8 base and checks the bounds. */
static void check_linear(const char *what, const tok_tokenizer *t, generator gen, size_t base,
                         double max_steps, double max_heap, double max_scans) {
    counts first = {0};
    for (int k = 0; k < 4; k++) {
        size_t len = base << k;
        uint8_t *text = malloc(len);
        mn_rng rng;
        mn_rng_seed(&rng, 99);
        gen(text, len, &rng);
        counts c = encode_counting(t, text, len);
        printf("\n  %-28s %9zu bytes: %.2f scanner steps/byte, %.2f heap ops/byte, %.2f "
               "short-loop reads/byte",
               what, len, c.steps_per_byte, c.heap_per_byte, c.scans_per_byte);
        MN_ASSERT_TRUE(c.steps_per_byte <= max_steps);
        MN_ASSERT_TRUE(c.heap_per_byte <= max_heap);
        MN_ASSERT_TRUE(c.scans_per_byte <= max_scans);
        if (k == 0)
            first = c;
        else {
            /* Per-byte work must not grow with the size (5% slack for the random text). */
            MN_ASSERT_TRUE(c.steps_per_byte <= first.steps_per_byte * 1.05 + 0.01);
            MN_ASSERT_TRUE(c.heap_per_byte <= first.heap_per_byte * 1.05 + 0.01);
            MN_ASSERT_TRUE(c.scans_per_byte <= first.scans_per_byte * 1.05 + 0.01);
        }
        free(text);
    }
    printf("\n");
}

static void gen_letters(uint8_t *text, size_t len, mn_rng *rng) {
    for (size_t i = 0; i < len; i++)
        text[i] = (uint8_t)('a' + mn_rng_below(rng, 26));
}

static void gen_words_line(uint8_t *text, size_t len, mn_rng *rng) {
    for (size_t i = 0; i < len; i++)
        text[i] = mn_rng_below(rng, 6) == 0 ? ' ' : (uint8_t)('a' + mn_rng_below(rng, 26));
}

static void gen_spaces(uint8_t *text, size_t len, mn_rng *rng) {
    memset(text, ' ', len);
    text[len / 2] = '\n';
    text[len - 1] = 'x';
}

static void gen_upper(uint8_t *text, size_t len, mn_rng *rng) {
    for (size_t i = 0; i < len; i++)
        text[i] = (uint8_t)('A' + mn_rng_below(rng, 26));
    text[0] = '.'; /* the optional prefix before the uppercase run */
}

static void gen_marks(uint8_t *text, size_t len, mn_rng *rng) {
    /* U+0301 COMBINING ACUTE ACCENT (2 bytes) repeated: in both of o200k's letter classes
     * and in the prefix class. */
    for (size_t i = 0; i + 1 < len; i += 2) {
        text[i] = 0xcc;
        text[i + 1] = 0x81;
    }
    if (len % 2)
        text[len - 1] = 'A';
}

static void gen_digits(uint8_t *text, size_t len, mn_rng *rng) {
    for (size_t i = 0; i < len; i++)
        text[i] = (uint8_t)('0' + mn_rng_below(rng, 10));
}

static size_t base_size(size_t full) {
    size_t n = (size_t)((double)full * mn_test_scale());
    return n < 4096 ? 4096 : n;
}

static void test_long_piece_without_spaces(void) {
    tok_tokenizer *t = letters_tokenizer("gpt2");
    MN_ASSERT_FATAL(t != NULL);
    /* 128 KiB .. 1 MiB, one piece each: every byte goes through the heap loop. Each merge
     * pushes at most 2 entries and there are fewer merges than bytes: <= 3 pushes and 3
     * pops per byte. */
    check_linear("one piece, no spaces", t, gen_letters, base_size(128 << 10), 3.0, 6.0, 0.01);
    tok_free(t);
}

static void test_ten_megabyte_line(void) {
    tok_tokenizer *t = letters_tokenizer("cl100k");
    MN_ASSERT_FATAL(t != NULL);
    /* 1.25 .. 10 MB, one line of short words. */
    check_linear("10 MB line of words", t, gen_words_line, base_size(1250 << 10), 3.0, 0.01, 20.0);
    tok_free(t);
}

static void test_scanner_worst_cases(void) {
    const char *kinds[] = {"gpt2", "cl100k", "o200k"};
    for (int k = 0; k < 3; k++) {
        tok_tokenizer *t = letters_tokenizer(kinds[k]);
        MN_ASSERT_FATAL(t != NULL);
        char label[64];
        snprintf(label, sizeof label, "%s white space run", kinds[k]);
        check_linear(label, t, gen_spaces, base_size(128 << 10), 4.0, 0.01, 0.01);
        snprintf(label, sizeof label, "%s uppercase run", kinds[k]);
        check_linear(label, t, gen_upper, base_size(128 << 10), 4.0, 0.01, 40.0);
        snprintf(label, sizeof label, "%s combining marks", kinds[k]);
        check_linear(label, t, gen_marks, base_size(128 << 10), 4.0, 0.01, 0.01);
        snprintf(label, sizeof label, "%s digit run", kinds[k]);
        check_linear(label, t, gen_digits, base_size(128 << 10), 4.0, 0.01, 4.0);
        tok_free(t);
    }
}

static const mn_test_case cases[] = {
    {"a 1 MB piece without spaces encodes in linear time (counted heap operations)",
     test_long_piece_without_spaces},
    {"a 10 MB line encodes in linear time (counted scanner steps and loop reads)",
     test_ten_megabyte_line},
    {"the scanners' worst cases take linear time", test_scanner_worst_cases},
    {0}};

static const mn_test_suite suites[] = {{"linear", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
