/* Quality filters: every rule with hand-made documents at and around its threshold, each
 * rule alone (the others switched off) so the document tests exactly one measure; then the
 * defaults together on natural documents. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/rng.h"
#include "ingest/filters.h"
#include "tests/harness/mn_test.h"

/* The i-th distinct word of `len` letters (len >= 2): letters from i in base 26, padded. */
static void word_at(char *out, int i, int len) {
    for (int k = len - 1; k >= 0; k--) {
        out[k] = (char)('a' + i % 26);
        i /= 26;
    }
    out[len] = 0;
}

static mn_buf doc;

static void doc_reset(void) {
    mn_buf_clear(&doc);
}

static void doc_add(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void doc_add(const char *fmt, ...) {
    char tmp[4096];
    va_list args;
    va_start(args, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, args);
    va_end(args);
    MN_ASSERT_OK_FATAL(mn_buf_append(&doc, tmp, strlen(tmp)));
}

/* Appends `n` distinct words of `len` letters starting at index `first`, space separated. */
static void doc_words(int first, int n, int len) {
    char w[32];
    for (int i = 0; i < n; i++) {
        word_at(w, first + i, len);
        doc_add("%s%s", doc.len && doc.data[doc.len - 1] != '\n' ? " " : "", w);
    }
}

/* The filters of the last run, kept so that a result's text stays valid until the next. */
static ingest_filters *last_filters;

static ingest_filter_result run_config(const ingest_filter_config *config) {
    ingest_filters_free(last_filters);
    last_filters = NULL;
    ingest_filter_result result = {0};
    MN_ASSERT_OK_FATAL(ingest_filters_create(&last_filters, config));
    MN_ASSERT_OK(ingest_filters_apply(last_filters, (const char *)doc.data, doc.len, &result));
    return result;
}

/* Runs the filters with only `rule` on (all its parameters at their defaults). */
static ingest_filter_result run_only(ingest_rule rule) {
    ingest_filter_config config;
    ingest_filter_config_default(&config);
    MN_ASSERT_OK(ingest_filter_config_enable(&config, "all", false));
    config.enabled[rule] = true;
    return run_config(&config);
}

#define EXPECT_KEEP(which)                         \
    do {                                           \
        ingest_filter_result r_ = run_only(which); \
        MN_ASSERT_TRUE(r_.keep);                   \
    } while (0)

#define EXPECT_REMOVE(which, expected_value)              \
    do {                                                  \
        ingest_filter_result r_ = run_only(which);        \
        MN_ASSERT_TRUE(!r_.keep);                         \
        MN_ASSERT_EQ_INT(r_.rule, which);                 \
        MN_ASSERT_NEAR(r_.value, (expected_value), 1e-9); \
    } while (0)

/* --- Gopher quality ---------------------------------------------------------------- */

static void test_word_count(void) {
    doc_reset();
    doc_words(0, 50, 4);
    EXPECT_KEEP(INGEST_RULE_WORD_COUNT);
    doc_reset();
    doc_words(0, 49, 4);
    EXPECT_REMOVE(INGEST_RULE_WORD_COUNT, 49);
    /* Symbol-only words do not count: 49 words and three dashes are still too few. */
    doc_add(" -- | \xe2\x80\x94");
    EXPECT_REMOVE(INGEST_RULE_WORD_COUNT, 49);
    /* Numbers count as words. */
    doc_add(" 1984");
    EXPECT_KEEP(INGEST_RULE_WORD_COUNT);
    /* The upper bound, 100,000 words. */
    doc_reset();
    for (int line = 0; line < 1000; line++) {
        doc_words(line * 100, 100, 4);
        doc_add("\n");
    }
    EXPECT_KEEP(INGEST_RULE_WORD_COUNT);
    doc_add("one");
    EXPECT_REMOVE(INGEST_RULE_WORD_COUNT, 100001);
}

static void test_mean_word_length(void) {
    doc_reset();
    doc_words(0, 50, 3);
    EXPECT_KEEP(INGEST_RULE_MEAN_WORD_LENGTH); /* exactly 3 */
    doc_reset();
    doc_words(0, 49, 3);
    doc_add(" xq");
    EXPECT_REMOVE(INGEST_RULE_MEAN_WORD_LENGTH, 149.0 / 50);
    /* Punctuation around a word is not part of its length: "xq," is 2, "(abc)" is 3. */
    doc_reset();
    doc_words(0, 48, 3);
    doc_add(" (abc) \"xyz!\"");
    EXPECT_KEEP(INGEST_RULE_MEAN_WORD_LENGTH);
    doc_add(" xq,");
    EXPECT_REMOVE(INGEST_RULE_MEAN_WORD_LENGTH, 152.0 / 51);
    /* Upper bound 10: 50 words of 10 letters stay, one letter more goes. */
    doc_reset();
    doc_words(0, 50, 10);
    EXPECT_KEEP(INGEST_RULE_MEAN_WORD_LENGTH);
    doc_add("k");
    EXPECT_REMOVE(INGEST_RULE_MEAN_WORD_LENGTH, 501.0 / 50);
    /* Characters, not bytes: 50 words of 3 Cyrillic letters (6 bytes each) have mean 3. */
    doc_reset();
    for (int i = 0; i < 50; i++)
        doc_add("%s\xd0\xb4\xd0\xb0\xd1\x80", i ? " " : "");
    EXPECT_KEEP(INGEST_RULE_MEAN_WORD_LENGTH);
}

static void test_hash_ratio(void) {
    doc_reset();
    doc_words(0, 30, 4);
    doc.data[0] = '#';
    doc.data[5] = '#';
    doc.data[10] = '#';
    EXPECT_KEEP(INGEST_RULE_HASH_RATIO); /* 3 / 30 = 0.1 */
    doc_reset();
    doc_add("#tag #tag2 #x ");
    doc_words(0, 26, 4);
    EXPECT_REMOVE(INGEST_RULE_HASH_RATIO, 3.0 / 29);
}

static void test_ellipsis_ratio(void) {
    doc_reset();
    doc_add("wait... what\xe2\x80\xa6 then..... ");
    doc_words(0, 27, 4);
    EXPECT_KEEP(INGEST_RULE_ELLIPSIS_RATIO); /* 3 / 30 */
    doc_reset();
    doc_add("wait... what\xe2\x80\xa6 then...... ");
    doc_words(0, 27, 4);
    EXPECT_REMOVE(INGEST_RULE_ELLIPSIS_RATIO, 4.0 / 30); /* "......" is two */
}

static void test_bullet_lines(void) {
    const char *bullets[] = {"- ",
                             "* ",
                             "\xe2\x80\xa2 ",
                             "  - ",
                             "\xe2\x97\x8f ",
                             "\xc2\xb7 ",
                             "\xe2\x80\xa3 ",
                             "\xe2\x97\xa6 ",
                             "\xe2\x96\xaa "};
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_add("%s", i < 9 ? bullets[i] : "");
        doc_words(i * 5, 5, 4);
        doc_add("\n");
    }
    EXPECT_KEEP(INGEST_RULE_BULLET_LINES); /* 9 / 10 = 0.9 */
    doc_reset();
    for (int i = 0; i < 20; i++) {
        doc_add("%s", i < 19 ? bullets[i % 9] : "");
        doc_words(i * 5, 5, 4);
        doc_add("\n");
    }
    EXPECT_REMOVE(INGEST_RULE_BULLET_LINES, 19.0 / 20);
}

static void test_ellipsis_lines(void) {
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_words(i * 5, 5, 4);
        doc_add("%s\n", i < 2 ? "..." : i < 3 ? "\xe2\x80\xa6" : ".");
    }
    EXPECT_KEEP(INGEST_RULE_ELLIPSIS_LINES); /* 3 / 10 */
    doc_reset();
    for (int i = 0; i < 20; i++) {
        doc_words(i * 5, 5, 4);
        doc_add("%s\n", i < 7 ? "..." : ".");
    }
    EXPECT_REMOVE(INGEST_RULE_ELLIPSIS_LINES, 7.0 / 20);
}

static void test_alpha_words(void) {
    doc_reset();
    doc_words(0, 39, 4);
    doc_add(" abc123 1 2 3 4 5 6 7 8 9 10");
    EXPECT_KEEP(INGEST_RULE_ALPHA_WORDS); /* 40 / 50 = 0.8 */
    doc_reset();
    doc_words(0, 39, 4);
    doc_add(" 1 2 3 4 5 6 7 8 9 10 11");
    EXPECT_REMOVE(INGEST_RULE_ALPHA_WORDS, 39.0 / 50);
}

static void test_stop_words(void) {
    doc_reset();
    doc_add("The cat AND, the dog");
    EXPECT_KEEP(INGEST_RULE_STOP_WORDS);
    doc_reset();
    doc_add("the the THE cat thee bathe");
    EXPECT_REMOVE(INGEST_RULE_STOP_WORDS, 1); /* distinct stop words, whole words only */
    doc_reset();
    doc_add("have with that to of be");
    MN_ASSERT_TRUE(run_only(INGEST_RULE_STOP_WORDS).keep);
    doc_reset();
    doc_add("nothing here");
    EXPECT_REMOVE(INGEST_RULE_STOP_WORDS, 0);
}

/* --- Gopher repetition -------------------------------------------------------------- */

static void test_dup_line_fraction(void) {
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_words(i < 4 ? 0 : i * 3, 3, 4); /* lines 1..3 repeat line 0 */
        doc_add("\n");
    }
    EXPECT_KEEP(INGEST_RULE_DUP_LINE_FRACTION); /* 3 / 10 */
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_words(i < 5 ? 0 : i * 3, 3, 4);
        doc_add("\n");
    }
    EXPECT_REMOVE(INGEST_RULE_DUP_LINE_FRACTION, 4.0 / 10);
}

static void test_dup_paragraph_fraction(void) {
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_words(i < 4 ? 0 : i * 6, 3, 4);
        doc_add("\n");
        doc_words(i < 4 ? 3 : i * 6 + 3, 3, 4); /* two-line paragraphs */
        doc_add("\n\n");
    }
    EXPECT_KEEP(INGEST_RULE_DUP_PARAGRAPH_FRACTION); /* 3 / 10 */
    doc_reset();
    for (int i = 0; i < 10; i++) {
        doc_words(i < 5 ? 0 : i * 6, 6, 4);
        doc_add("\n\n");
    }
    EXPECT_REMOVE(INGEST_RULE_DUP_PARAGRAPH_FRACTION, 4.0 / 10);
}

static void test_dup_line_chars(void) {
    doc_reset();
    doc_add("abc\nabc\ndef\nghi"); /* 3 of 15 characters (line breaks count) */
    EXPECT_KEEP(INGEST_RULE_DUP_LINE_CHARS);
    doc_reset();
    doc_add("abcd\nabcd\ndef\nghi");
    EXPECT_REMOVE(INGEST_RULE_DUP_LINE_CHARS, 4.0 / 17);
}

static void test_dup_paragraph_chars(void) {
    doc_reset();
    doc_add("ab\n\nab\n\ncd"); /* 2 of 10 */
    EXPECT_KEEP(INGEST_RULE_DUP_PARAGRAPH_CHARS);
    doc_reset();
    doc_add("abc\n\nabc\n\ncd");
    EXPECT_REMOVE(INGEST_RULE_DUP_PARAGRAPH_CHARS, 3.0 / 12);
}

/* A document of `total` distinct two-letter words in which words [0, n) occur again at
 * position `at`. */
static void doc_with_repeat(int total, int n, int at) {
    char w[8];
    doc_reset();
    for (int i = 0; i < total; i++) {
        int index = i >= at && i < at + n ? i - at : i;
        word_at(w, index, 2);
        doc_add("%s%s", i ? " " : "", w);
    }
}

static void test_top_ngrams(void) {
    doc_with_repeat(20, 2, 10); /* the 2-gram covers 4 words = 8 of 40 characters */
    EXPECT_KEEP(INGEST_RULE_TOP_2GRAM);
    doc_with_repeat(19, 2, 10);
    EXPECT_REMOVE(INGEST_RULE_TOP_2GRAM, 8.0 / 38);
    /* Overlapping occurrences are covered once: "ab ab ab" is 3 words, not 4. */
    doc_reset();
    doc_add("ab ab ab ");
    doc_words(100, 12, 2);
    EXPECT_KEEP(INGEST_RULE_TOP_2GRAM); /* 6 / 30 */
    doc_add(" ab ab"); /* a third occurrence: words 0-2 and 15-16, 10 of 34 characters */
    EXPECT_REMOVE(INGEST_RULE_TOP_2GRAM, 10.0 / 34);

    doc_with_repeat(34, 3, 20);
    EXPECT_KEEP(INGEST_RULE_TOP_3GRAM); /* 12 / 68 = 0.176 */
    doc_with_repeat(33, 3, 20);
    EXPECT_REMOVE(INGEST_RULE_TOP_3GRAM, 12.0 / 66);

    doc_with_repeat(50, 4, 20);
    EXPECT_KEEP(INGEST_RULE_TOP_4GRAM); /* 16 / 100 = 0.16 */
    doc_with_repeat(49, 4, 20);
    EXPECT_REMOVE(INGEST_RULE_TOP_4GRAM, 16.0 / 98);
}

static void test_top_ngram_picks_most_frequent(void) {
    /* "xa xb" occurs 3 times, "ya yb yc"-style pairs twice: the top 2-gram is "xa xb". */
    doc_reset();
    doc_add("xa xb q1 xa xb q2 xa xb q3 ya yb q4 ya yb q5 q6 q7 q8 q9 r1 r2 r3 r4 r5 r6 r7");
    ingest_text text = {0};
    ingest_ngram_table *table = NULL;
    MN_ASSERT_OK_FATAL(ingest_ngram_table_create(&table));
    MN_ASSERT_OK_FATAL(ingest_text_analyze(&text, (const char *)doc.data, doc.len));
    double fraction;
    MN_ASSERT_OK(ingest_top_ngram_fraction(table, &text, 2, &fraction));
    MN_ASSERT_NEAR(fraction, 12.0 / (double)text.word_chars, 1e-12);
    /* No n-gram repeats: 0. */
    MN_ASSERT_OK(ingest_top_ngram_fraction(table, &text, 4, &fraction));
    MN_ASSERT_NEAR(fraction, 0, 0);
    ingest_text_free(&text);
    ingest_ngram_table_free(table);
}

static void test_dup_ngrams(void) {
    doc_with_repeat(34, 5, 20); /* the repeat covers 5 words = 10 of 68 characters */
    EXPECT_KEEP(INGEST_RULE_DUP_5GRAM);
    doc_with_repeat(33, 5, 20);
    EXPECT_REMOVE(INGEST_RULE_DUP_5GRAM, 10.0 / 66);
    /* Thresholds 0.14 .. 0.10 for 6..10-grams: a repeat of n words in W words covers n/W. */
    const double max[] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};
    for (int n = 6; n <= 10; n++) {
        int keep_words = 0;
        while ((double)n / keep_words > max[n - 5])
            keep_words++;
        ingest_rule rule = (ingest_rule)(INGEST_RULE_DUP_5GRAM + n - 5);
        doc_with_repeat(keep_words, n, keep_words - n);
        EXPECT_KEEP(rule);
        doc_with_repeat(keep_words - 1, n, keep_words - 1 - n);
        EXPECT_REMOVE(rule, (double)n / (keep_words - 1));
    }
}

static void test_dup_ngrams_with_all_repetition_rules(void) {
    /* A repeated 10-gram in 95 words covers 10/95 = 0.105: above dup_10gram's 0.10 but
     * below 0.11 .. 0.15, so dup_10gram is the rule that removes it, even though the
     * cheaper 5..9-gram measures run first. */
    ingest_filter_config config;
    ingest_filter_config_default(&config);
    MN_ASSERT_OK(ingest_filter_config_enable(&config, "all", false));
    MN_ASSERT_OK(ingest_filter_config_enable(&config, "gopher_repetition", true));
    ingest_filters *filters = NULL;
    MN_ASSERT_OK_FATAL(ingest_filters_create(&filters, &config));
    ingest_filter_result result;
    doc_with_repeat(95, 10, 60);
    MN_ASSERT_OK(ingest_filters_apply(filters, (const char *)doc.data, doc.len, &result));
    MN_ASSERT_TRUE(!result.keep);
    MN_ASSERT_EQ_INT(result.rule, INGEST_RULE_DUP_10GRAM);
    doc_with_repeat(100, 10, 60); /* exactly 0.10: kept */
    MN_ASSERT_OK(ingest_filters_apply(filters, (const char *)doc.data, doc.len, &result));
    MN_ASSERT_TRUE(result.keep);
    ingest_filters_free(filters);
}

/* The repetition rules in their order, every measure computed (no shortcut): the reference
 * for the shortcuts of ingest_filters_apply. */
static ingest_rule reference_repetition(const ingest_filter_config *c, const char *text,
                                        size_t len) {
    static ingest_text t;
    static ingest_ngram_table *table;
    if (table == NULL)
        MN_ASSERT_OK(ingest_ngram_table_create(&table));
    MN_ASSERT_OK(ingest_text_analyze(&t, text, len));
    for (int n = 2; n <= 10; n++) {
        ingest_rule rule =
            (ingest_rule)(n <= 4 ? INGEST_RULE_TOP_2GRAM + n - 2 : INGEST_RULE_DUP_5GRAM + n - 5);
        double frac;
        if (n <= 4)
            MN_ASSERT_OK(ingest_top_ngram_fraction(table, &t, n, &frac));
        else
            MN_ASSERT_OK(ingest_dup_ngram_fraction(table, &t, n, &frac));
        if (c->enabled[rule] && frac > c->params[rule][0])
            return rule;
    }
    return INGEST_RULE_COUNT;
}

static void test_shortcuts_change_nothing(void) {
    ingest_filter_config config;
    ingest_filter_config_default(&config);
    MN_ASSERT_OK(ingest_filter_config_enable(&config, "all", false));
    const ingest_rule rules[] = {
        INGEST_RULE_TOP_2GRAM, INGEST_RULE_TOP_3GRAM, INGEST_RULE_TOP_4GRAM,
        INGEST_RULE_DUP_5GRAM, INGEST_RULE_DUP_6GRAM, INGEST_RULE_DUP_7GRAM,
        INGEST_RULE_DUP_8GRAM, INGEST_RULE_DUP_9GRAM, INGEST_RULE_DUP_10GRAM};
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        config.enabled[rules[i]] = true;
    mn_rng rng;
    mn_rng_seed(&rng, 77);
    int rounds = (int)(3000 * mn_test_scale()), mismatches = 0, removed = 0;
    for (int r = 0; r < rounds; r++) {
        /* Some rounds switch rules off, so that later measures run on their own. */
        if (r % 3 == 1)
            config.enabled[rules[mn_rng_below(&rng, 9)]] = false;
        if (r % 3 == 0)
            for (size_t i = 0; i < 9; i++)
                config.enabled[rules[i]] = true;
        doc_reset();
        int words = 20 + (int)mn_rng_below(&rng, 200), vocab = 5 + (int)mn_rng_below(&rng, 400);
        char w[8];
        for (int k = 0; k < words; k++) {
            if (mn_rng_below(&rng, 30) == 0 && doc.len > 40) {
                /* repeat an earlier stretch of text */
                size_t from = (size_t)mn_rng_below(&rng, doc.len / 2),
                       n = 10 + mn_rng_below(&rng, 40);
                while (from > 0 && doc.data[from - 1] != ' ')
                    from--;
                if (from + n > doc.len)
                    n = doc.len - from;
                char copy[64];
                memcpy(copy, doc.data + from, n);
                doc_add(" %.*s", (int)n, copy);
                continue;
            }
            word_at(w, (int)mn_rng_below(&rng, (uint64_t)vocab), 3);
            doc_add("%s%s", k ? " " : "", w);
        }
        ingest_filter_result res = run_config(&config);
        ingest_rule expected = reference_repetition(&config, (const char *)doc.data, doc.len);
        ingest_rule got = res.keep ? INGEST_RULE_COUNT : res.rule;
        mismatches += got != expected;
        removed += !res.keep;
    }
    MN_ASSERT_EQ_INT(mismatches, 0);
    MN_ASSERT_TRUE(removed > rounds / 10 && removed < rounds * 9 / 10);
}

/* --- Line-wise corrections ---------------------------------------------------------- */

static const char *line_reason(const char *line) {
    static ingest_text text;
    MN_ASSERT_OK(ingest_text_analyze(&text, line, strlen(line)));
    MN_ASSERT_EQ_INT(text.n_lines, 1);
    return ingest_line_boilerplate(&text, 0, 10, 0.5);
}

#define EXPECT_LINE(line, reason)                     \
    do {                                              \
        const char *r_ = line_reason(line);           \
        MN_ASSERT_EQ_STR(r_ ? r_ : "kept", (reason)); \
    } while (0)

static void test_boilerplate_lines(void) {
    EXPECT_LINE("Home", "one_word");
    EXPECT_LINE("12/03/2021 10:45", "numeric");
    EXPECT_LINE("1,234 - 5,678", "numeric");
    EXPECT_LINE("BREAKING NEWS: STORM HITS Coast", "uppercase");
    EXPECT_LINE("NASA launches a new rocket today", "kept");
    EXPECT_LINE("3 likes", "counter");
    EXPECT_LINE("1.2k Views", "counter");
    EXPECT_LINE("Sign in to leave feedback", "pattern_start");
    EXPECT_LINE("Click to read more", "pattern_end");
    EXPECT_LINE("You have 3 items in cart", "pattern_anywhere");
    EXPECT_LINE("This site uses cookies to improve your experience", "pattern_anywhere");
    /* Patterns only apply to short lines (at most 10 words). */
    EXPECT_LINE("We read more books in the winter than in any other season of the year", "kept");
    EXPECT_LINE("The committee met on Tuesday to discuss the budget.", "kept");
}

static void test_line_cleanup_five_percent_rule(void) {
    /* 95 words of prose in 5 lines plus one boilerplate line of 5 words: 5/100 = 5%, kept,
     * and the text comes back without that line and with its paragraphs. */
    doc_reset();
    for (int i = 0; i < 5; i++) {
        doc_words(i * 19, 19, 5);
        doc_add(i == 2 ? "\n\n" : "\n");
    }
    doc_add("Sign up for free today");
    ingest_filter_result r = run_only(INGEST_RULE_LINE_CLEANUP);
    MN_ASSERT_TRUE(r.keep);
    MN_ASSERT_EQ_INT(r.lines_removed, 1);
    MN_ASSERT_EQ_INT(r.words_removed, 5);
    MN_ASSERT_TRUE(r.text_len > 0);
    mn_buf expected = {0};
    MN_ASSERT_OK(mn_buf_append(&expected, doc.data, doc.len - strlen("\nSign up for free today")));
    MN_ASSERT_EQ_U64(r.text_len, expected.len);
    MN_ASSERT_EQ_MEM(r.text, expected.data, expected.len);
    mn_buf_free(&expected);
    /* Six words of boilerplate in 101: removed. */
    doc_add(" now");
    EXPECT_REMOVE(INGEST_RULE_LINE_CLEANUP, 6.0 / 101);
    /* A document without boilerplate comes back as it was. */
    doc_reset();
    doc_words(0, 60, 5);
    r = run_only(INGEST_RULE_LINE_CLEANUP);
    MN_ASSERT_TRUE(r.keep);
    MN_ASSERT_EQ_INT(r.lines_removed, 0);
    MN_ASSERT_TRUE(r.text == (const char *)doc.data);
}

/* --- English ------------------------------------------------------------------------- */

static const char *english_text =
    "The old lighthouse keeper walked down to the harbour every morning. He knew that the "
    "boats would leave before the sun came up, and he wanted to see them go. It was a "
    "habit he had kept for more than forty years, and none of the fishermen could remember "
    "a day when he was not there.";
static const char *french_text =
    "Le vieux gardien du phare descendait au port chaque matin. Il savait que les bateaux "
    "partiraient avant le lever du soleil, et il voulait les voir partir. C'était une "
    "habitude qu'il gardait depuis plus de quarante ans.";
static const char *german_text =
    "Der alte Leuchtturmwärter ging jeden Morgen hinunter zum Hafen. Er wusste, dass die "
    "Boote vor Sonnenaufgang auslaufen würden, und er wollte sie fahren sehen. Es war eine "
    "Gewohnheit, die er seit mehr als vierzig Jahren pflegte.";
static const char *russian_text =
    "\xd0\xa1\xd1\x82\xd0\xb0\xd1\x80\xd1\x8b\xd0\xb9 \xd1\x81\xd0\xbc\xd0\xbe\xd1\x82\xd1\x80"
    "\xd0\xb8\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c \xd0\xbc\xd0\xb0\xd1\x8f\xd0\xba\xd0\xb0 a the "
    "and of to";

static void test_english(void) {
    doc_reset();
    doc_add("%s", english_text);
    EXPECT_KEEP(INGEST_RULE_ENGLISH);
    doc_reset();
    doc_add("%s", french_text);
    MN_ASSERT_TRUE(!run_only(INGEST_RULE_ENGLISH).keep);
    doc_reset();
    doc_add("%s", german_text);
    MN_ASSERT_TRUE(!run_only(INGEST_RULE_ENGLISH).keep);
    /* Enough English stop words, but most letters are Cyrillic: not English. */
    doc_reset();
    doc_add("%s", russian_text);
    ingest_filter_result r = run_only(INGEST_RULE_ENGLISH);
    MN_ASSERT_TRUE(!r.keep);
    MN_ASSERT_TRUE(r.value < 0.9);
    /* The measures themselves. */
    ingest_text text = {0};
    MN_ASSERT_OK(ingest_text_analyze(&text, "the cat sat on a mat", 20));
    MN_ASSERT_NEAR(ingest_english_stop_fraction(&text), 3.0 / 6, 1e-12);
    MN_ASSERT_NEAR(ingest_latin_letter_fraction(&text), 1.0, 0);
    ingest_text_free(&text);
}

/* --- Defaults on natural documents ------------------------------------------------- */

static const char *article =
    "Researchers at the coastal institute have spent the last decade measuring how quickly "
    "the dunes move along the northern shore. Their findings, published this spring, show "
    "that the sand travels almost twice as fast during winter storms as it does in calm "
    "summer months.\n\n"
    "The team placed small markers across the beach and checked their positions with "
    "satellite receivers after every major storm. Over ten years they collected more than "
    "four thousand measurements, which allowed them to build a model of the whole coast.\n\n"
    "Local planners say the work will help them decide where new paths and car parks can be "
    "built without being buried within a few seasons. The institute plans to share its data "
    "with other regions that face the same problem.";

static ingest_filter_result run_defaults(void) {
    ingest_filter_config config;
    ingest_filter_config_default(&config);
    return run_config(&config);
}

static void test_defaults_on_natural_documents(void) {
    doc_reset();
    doc_add("%s", article);
    ingest_filter_result r = run_defaults();
    MN_ASSERT_TRUE(r.keep);
    MN_ASSERT_EQ_INT(r.lines_removed, 0);
    /* The same article with navigation lines around it: they are removed and, being
     * fewer than 5% of the words, the document is kept without them. */
    doc_reset();
    doc_add("Home\n%s\nShare this article\n3 comments", article);
    r = run_defaults();
    MN_ASSERT_TRUE(r.keep);
    MN_ASSERT_EQ_INT(r.lines_removed, 3);
    MN_ASSERT_EQ_U64(r.text_len, strlen(article));
    MN_ASSERT_EQ_MEM(r.text, article, strlen(article));
    /* A page that is mostly a menu is removed by line cleanup. */
    doc_reset();
    doc_add("%s\nHOME ABOUT CONTACT\nNews\nSports\nWeather\nSign in to your account\n"
            "Subscribe to our newsletter for updates\nAll rights reserved",
            article);
    r = run_defaults();
    MN_ASSERT_TRUE(!r.keep);
    MN_ASSERT_EQ_INT(r.rule, INGEST_RULE_LINE_CLEANUP);
    /* The article repeated three times: duplicate paragraphs. */
    doc_reset();
    doc_add("%s\n\n%s\n\n%s", article, article, article);
    r = run_defaults();
    MN_ASSERT_TRUE(!r.keep);
    MN_ASSERT_EQ_INT(r.rule, INGEST_RULE_DUP_LINE_FRACTION);
    /* A short note is too short for the default word count. */
    doc_reset();
    doc_add("Meeting moved to three o'clock, see you there.");
    r = run_defaults();
    MN_ASSERT_TRUE(!r.keep);
    MN_ASSERT_EQ_INT(r.rule, INGEST_RULE_WORD_COUNT);
}

/* --- Configuration ---------------------------------------------------------------- */

static void test_config(void) {
    ingest_filter_config config;
    ingest_filter_config_default(&config);
    MN_ASSERT_TRUE(!config.enabled[INGEST_RULE_ENGLISH]);
    MN_ASSERT_TRUE(config.enabled[INGEST_RULE_WORD_COUNT]);
    MN_ASSERT_NEAR(config.params[INGEST_RULE_WORD_COUNT][0], 50, 0);
    MN_ASSERT_NEAR(config.params[INGEST_RULE_WORD_COUNT][1], 100000, 0);
    MN_ASSERT_NEAR(config.params[INGEST_RULE_DUP_10GRAM][0], 0.10, 0);

    MN_ASSERT_OK(ingest_filter_config_enable(&config, "gopher_repetition", false));
    MN_ASSERT_TRUE(!config.enabled[INGEST_RULE_TOP_3GRAM]);
    MN_ASSERT_TRUE(config.enabled[INGEST_RULE_STOP_WORDS]);
    MN_ASSERT_OK(ingest_filter_config_enable(&config, "english", true));
    MN_ASSERT_TRUE(config.enabled[INGEST_RULE_ENGLISH]);
    MN_ASSERT_STATUS(ingest_filter_config_enable(&config, "colour", false), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("unknown filter 'colour'");
    MN_ASSERT_ERROR_CONTAINS("word_count");

    MN_ASSERT_OK(ingest_filter_config_set(&config, "word_count.min=5"));
    MN_ASSERT_NEAR(config.params[INGEST_RULE_WORD_COUNT][0], 5, 0);
    MN_ASSERT_OK(ingest_filter_config_set(&config, "line_cleanup.max_removed_words=0.2"));
    MN_ASSERT_NEAR(config.params[INGEST_RULE_LINE_CLEANUP][0], 0.2, 0);
    MN_ASSERT_STATUS(ingest_filter_config_set(&config, "word_count.mid=5"), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("min, max");
    MN_ASSERT_STATUS(ingest_filter_config_set(&config, "word_count.min=lots"), MN_ERR_ARG);
    MN_ASSERT_STATUS(ingest_filter_config_set(&config, "word_count=5"), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("RULE.PARAM=VALUE");
    MN_ASSERT_STATUS(ingest_filter_config_set(&config, "nope.min=1"), MN_ERR_ARG);

    mn_buf text = {0};
    MN_ASSERT_OK(ingest_filter_config_describe(&config, &text));
    MN_ASSERT_TRUE(strstr((const char *)text.data, "word_count.min=5\n") != NULL);
    MN_ASSERT_TRUE(strstr((const char *)text.data, "top_3gram=off\n") != NULL);
    MN_ASSERT_TRUE(strstr((const char *)text.data, "english.min_stop_fraction=0.1") != NULL);
    mn_buf_free(&text);
}

static int cleanup(void) {
    ingest_filters_free(last_filters);
    mn_buf_free(&doc);
    return 0;
}

static const mn_test_case quality_cases[] = {
    {"word_count keeps 50 and 100000 words, removes 49 and 100001; symbols do not count",
     test_word_count},
    {"mean_word_length keeps means of 3 and 10 characters, removes 2.98 and 10.02",
     test_mean_word_length},
    {"hash_ratio keeps one '#' per 10 words and removes more", test_hash_ratio},
    {"ellipsis_ratio keeps one ellipsis per 10 words and removes more", test_ellipsis_ratio},
    {"bullet_lines keeps 90% bullet lines and removes 95%", test_bullet_lines},
    {"ellipsis_lines keeps 30% of lines ending in an ellipsis and removes 35%",
     test_ellipsis_lines},
    {"alpha_words keeps 80% words with a letter and removes 78%", test_alpha_words},
    {"stop_words needs two distinct Gopher stop words", test_stop_words},
    {0}};

static const mn_test_case repetition_cases[] = {
    {"dup_line_fraction keeps 30% duplicate lines and removes 40%", test_dup_line_fraction},
    {"dup_paragraph_fraction keeps 30% duplicate paragraphs and removes 40%",
     test_dup_paragraph_fraction},
    {"dup_line_chars keeps 20% of characters in duplicate lines and removes 23.5%",
     test_dup_line_chars},
    {"dup_paragraph_chars keeps 20% and removes 25%", test_dup_paragraph_chars},
    {"top 2/3/4-gram fractions at and around 0.20, 0.18, 0.16", test_top_ngrams},
    {"the top n-gram is the most frequent one", test_top_ngram_picks_most_frequent},
    {"repeated 5..10-gram fractions at and around 0.15 .. 0.10", test_dup_ngrams},
    {"with every repetition rule on, the rule of the failing n removes the document",
     test_dup_ngrams_with_all_repetition_rules},
    {"the shortcuts that skip measures that cannot fail decide like computing all of them",
     test_shortcuts_change_nothing},
    {0}};

static const mn_test_case line_cases[] = {
    {"boilerplate lines: one word, numbers, upper case, counters, short patterns",
     test_boilerplate_lines},
    {"line cleanup keeps a document losing 5% of its words and removes one losing 6%",
     test_line_cleanup_five_percent_rule},
    {0}};

static const mn_test_case other_cases[] = {
    {"the English filter keeps English and removes French, German and Cyrillic text", test_english},
    {"the defaults keep a news article and remove menus, repeats and notes",
     test_defaults_on_natural_documents},
    {"rules are switched by name or group and parameters set by RULE.PARAM=VALUE", test_config},
    {0}};

static const mn_test_suite suites[] = {{"gopher_quality", quality_cases},
                                       {"gopher_repetition", repetition_cases},
                                       {"line_cleanup", line_cases},
                                       {"filters", other_cases, NULL, cleanup},
                                       {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
