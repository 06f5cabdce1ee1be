/* Normalisation: UTF-8 repair, newline and control cleanup, whitespace, NFC. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "common/rng.h"
#include "ingest/normalize.h"
#include "tests/harness/mn_test.h"

/* Normalises a C string and returns the result in a static buffer. */
static const char *norm(const char *in, size_t len, ingest_normalize_stats *stats) {
    static mn_buf out, scratch;
    ingest_normalize_stats local = {0};
    MN_ASSERT_OK(ingest_normalize(in, len, &out, &scratch, stats ? stats : &local));
    return (const char *)out.data;
}

#define NORM(s) norm((s), sizeof(s) - 1, NULL)

static void test_ascii_unchanged(void) {
    const char text[] = "Plain text, with punctuation!\nSecond line.\n\nA new paragraph.";
    MN_ASSERT_EQ_STR(NORM(text), text);
}

static void test_maximal_subparts(void) {
    /* Unicode 15 Table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 gives
     * a FFFD FFFD FFFD b FFFD c FFFD FFFD d. */
    const char in[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
    ingest_normalize_stats stats = {0};
    MN_ASSERT_EQ_STR(norm(in, sizeof in - 1, &stats), "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                                      "b\xEF\xBF\xBD"
                                                      "c\xEF\xBF\xBD\xEF\xBF\xBD"
                                                      "d");
    MN_ASSERT_EQ_U64(stats.invalid_sequences, 6);
}

static void test_overlong_and_surrogates(void) {
    ingest_normalize_stats stats = {0};
    /* Overlong '/' (C0 AF): two bytes that never start a sequence -> two U+FFFD. */
    MN_ASSERT_EQ_STR(norm("x\xC0\xAFy", 4, &stats), "x\xEF\xBF\xBD\xEF\xBF\xBDy");
    MN_ASSERT_EQ_U64(stats.invalid_sequences, 2);
    /* A UTF-16 surrogate (ED A0 80): ED allows only 80..9F next -> three U+FFFD. */
    stats = (ingest_normalize_stats){0};
    MN_ASSERT_EQ_STR(norm("\xED\xA0\x80", 3, &stats), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    MN_ASSERT_EQ_U64(stats.invalid_sequences, 3);
    /* A sequence cut by the end of the text is one U+FFFD. */
    stats = (ingest_normalize_stats){0};
    MN_ASSERT_EQ_STR(norm("ab\xE2\x82", 4, &stats), "ab\xEF\xBF\xBD");
    MN_ASSERT_EQ_U64(stats.invalid_sequences, 1);
    /* Above U+10FFFF (F4 90 ..) is ill-formed too. */
    stats = (ingest_normalize_stats){0};
    norm("\xF4\x90\x80\x80", 4, &stats);
    MN_ASSERT_EQ_U64(stats.invalid_sequences, 4);
}

static void test_utf8_repair_alone(void) {
    mn_buf out = {0};
    uint64_t replaced = 0;
    MN_ASSERT_OK(ingest_utf8_repair("ok \xFF end \xE2\x82\xAC", 13, &out, &replaced));
    MN_ASSERT_EQ_STR((const char *)out.data, "ok \xEF\xBF\xBD end \xE2\x82\xAC");
    MN_ASSERT_EQ_U64(replaced, 1);
    mn_buf_free(&out);
}

static void test_newlines_and_controls(void) {
    ingest_normalize_stats stats = {0};
    const char in[] = "a\r\nb\rc\x0b"
                      "d\x0c"
                      "e\x01\x02\x7f"
                      "f\0g";
    MN_ASSERT_EQ_STR(norm(in, sizeof in - 1, &stats), "a\nb\nc\nd\nefg");
    MN_ASSERT_EQ_U64(stats.controls_removed, 4);
    /* BOM and C1 controls removed; NEL and U+2028 are line breaks, U+2029 a paragraph. */
    stats = (ingest_normalize_stats){0};
    const char seps[] = "\xEF\xBB\xBFx\xC2\x80y\xC2\x85z\xE2\x80\xA8w\xE2\x80\xA9v";
    MN_ASSERT_EQ_STR(norm(seps, sizeof seps - 1, &stats), "xy\nz\nw\n\nv");
    MN_ASSERT_EQ_U64(stats.controls_removed, 2);
}

static void test_whitespace(void) {
    MN_ASSERT_EQ_STR(NORM("  \n\n lead\t \nline two  \n\n\n\n\nnext para \t\n\n  "),
                     "lead\nline two\n\nnext para");
    MN_ASSERT_EQ_STR(NORM("keep\tinner   spaces\n\tand indentation"),
                     "keep\tinner   spaces\n\tand indentation");
    MN_ASSERT_EQ_STR(NORM(" \t\n \r\n "), "");
    MN_ASSERT_EQ_STR(NORM(""), "");
}

static void test_nfc(void) {
    ingest_normalize_stats stats = {0};
    /* e + COMBINING ACUTE ACCENT composes to U+00E9. */
    MN_ASSERT_EQ_STR(norm("caf\x65\xCC\x81", 6, &stats), "caf\xC3\xA9");
    MN_ASSERT_TRUE(stats.nfc_changed);
    /* Hangul jamo L + V compose to the syllable U+AC00. */
    MN_ASSERT_EQ_STR(NORM("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");
    /* U+037E GREEK QUESTION MARK is canonically equivalent to ';'. */
    MN_ASSERT_EQ_STR(NORM("why\xCD\xBE"), "why;");
    /* Text already in NFC is left alone and not reported as changed. */
    stats = (ingest_normalize_stats){0};
    MN_ASSERT_EQ_STR(norm("\xD0\x9F\xD1\x80\xD0\xB8", 6, &stats), "\xD0\x9F\xD1\x80\xD0\xB8");
    MN_ASSERT_TRUE(!stats.nfc_changed);
    /* Combining marks are reordered canonically: dot below (ccc 220) before acute (230). */
    MN_ASSERT_EQ_STR(NORM("q\xCC\x81\xCC\xA3"), "q\xCC\xA3\xCC\x81");
}

static bool valid_utf8_without_nul(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        if (s[i] == 0)
            return false;
        size_t sub, n = ingest_utf8_sequence(s + i, len - i, &sub);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

static void test_random_bytes_give_valid_idempotent_output(void) {
    mn_rng rng;
    mn_rng_seed(&rng, 42);
    mn_buf out = {0}, again = {0}, scratch = {0};
    int rounds = (int)(2000 * mn_test_scale());
    int failures = 0;
    for (int r = 0; r < rounds; r++) {
        uint8_t in[300];
        size_t len = (size_t)mn_rng_below(&rng, sizeof in);
        for (size_t i = 0; i < len; i++) {
            /* Mostly text-like bytes, with controls, high bytes and combining marks. */
            uint64_t pick = mn_rng_below(&rng, 10);
            in[i] = pick < 5   ? (uint8_t)(' ' + mn_rng_below(&rng, 95))
                    : pick < 6 ? (uint8_t)mn_rng_below(&rng, 32)
                    : pick < 8 ? (uint8_t)(0x80 + mn_rng_below(&rng, 128))
                               : (uint8_t)(i % 2 ? 0xCC : 0x81);
        }
        ingest_normalize_stats stats = {0};
        MN_ASSERT_OK_FATAL(ingest_normalize((const char *)in, len, &out, &scratch, &stats));
        failures += !valid_utf8_without_nul(out.data, out.len);
        MN_ASSERT_OK_FATAL(
            ingest_normalize((const char *)out.data, out.len, &again, &scratch, &stats));
        failures += again.len != out.len || memcmp(again.data, out.data, out.len) != 0;
    }
    MN_ASSERT_EQ_INT(failures, 0);
    mn_buf_free(&out);
    mn_buf_free(&again);
    mn_buf_free(&scratch);
}

static void test_nfc_inert_table(void) {
    MN_ASSERT_TRUE(ingest_nfc_inert(0x2019)); /* right single quotation mark */
    MN_ASSERT_TRUE(ingest_nfc_inert(0x2014)); /* em dash */
    MN_ASSERT_TRUE(ingest_nfc_inert(0x00e9)); /* e acute, precomposed */
    MN_ASSERT_TRUE(ingest_nfc_inert(0x4e2d)); /* a CJK ideograph */
    MN_ASSERT_TRUE(ingest_nfc_inert(0xac00)); /* a Hangul syllable */
    MN_ASSERT_TRUE(ingest_nfc_inert(0xfffd));
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x0301)); /* combining acute */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x212b)); /* ANGSTROM SIGN, a singleton */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x037e)); /* GREEK QUESTION MARK, a singleton */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x1161)); /* Hangul vowel jamo */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x11a8)); /* Hangul trailing jamo */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x0bbe)); /* Tamil AA, second half of U+0BCA */
    MN_ASSERT_TRUE(!ingest_nfc_inert(0x0958)); /* Devanagari QA, an excluded composition */
}

/* Random strings over code points chosen to meet every NFC case: the output must equal
 * utf8proc's own NFC of the cleaned text, whichever path (quick check or full) was taken. */
static void test_nfc_matches_utf8proc(void) {
    static const uint32_t pool[] = {'a',    'e',    'o',    ' ',    0x00e9, 0x00c5, 0x0301, 0x0308,
                                    0x0323, 0x0327, 0x212b, 0x037e, 0x2019, 0x2014, 0x1100, 0x1161,
                                    0x11a8, 0xac00, 0xac01, 0x0bc6, 0x0bbe, 0x0bca, 0x0958, 0x0915,
                                    0x093c, 0x3099, 0x304b, 0x4e2d, 0x1e9b, 0x0344};
    mn_rng rng;
    mn_rng_seed(&rng, 5);
    mn_buf in = {0}, out = {0}, scratch = {0};
    int rounds = (int)(3000 * mn_test_scale()), mismatches = 0;
    for (int r = 0; r < rounds; r++) {
        mn_buf_clear(&in);
        int n = 1 + (int)mn_rng_below(&rng, 12);
        for (int k = 0; k < n; k++) {
            uint8_t buf[4];
            /* the first position is often a plain letter so that some strings start inert */
            uint32_t cp = pool[mn_rng_below(&rng, sizeof pool / sizeof pool[0])];
            utf8proc_ssize_t len = utf8proc_encode_char((utf8proc_int32_t)cp, buf);
            MN_ASSERT_OK_FATAL(mn_buf_append(&in, buf, (size_t)len));
        }
        MN_ASSERT_OK_FATAL(ingest_normalize((const char *)in.data, in.len, &out, &scratch, NULL));
        utf8proc_uint8_t *expect = NULL;
        utf8proc_ssize_t m = utf8proc_map(in.data, (utf8proc_ssize_t)in.len, &expect,
                                          UTF8PROC_STABLE | UTF8PROC_COMPOSE);
        /* cleaning may trim the edges (spaces); compare the trimmed reference */
        const char *e = (const char *)expect;
        size_t elen = m > 0 ? (size_t)m : 0;
        while (elen > 0 && e[0] == ' ') {
            e++;
            elen--;
        }
        while (elen > 0 && e[elen - 1] == ' ')
            elen--;
        mismatches += elen != out.len || memcmp(e, out.data, elen) != 0;
        free(expect);
    }
    MN_ASSERT_EQ_INT(mismatches, 0);
    mn_buf_free(&in);
    mn_buf_free(&out);
    mn_buf_free(&scratch);
}

static const mn_test_case cases[] = {
    {"ASCII text without anything to clean is unchanged", test_ascii_unchanged},
    {"ill-formed UTF-8 becomes one U+FFFD per maximal subpart (Unicode Table 3-8)",
     test_maximal_subparts},
    {"overlong forms, surrogates, truncated and out-of-range sequences are replaced",
     test_overlong_and_surrogates},
    {"ingest_utf8_repair counts replacements and keeps valid multi-byte characters",
     test_utf8_repair_alone},
    {"CR LF, CR, VT, FF, NEL and U+2028 become LF; controls, DEL, C1 and BOM are removed",
     test_newlines_and_controls},
    {"trailing spaces go, blank lines collapse to one, the text is trimmed", test_whitespace},
    {"text is put in NFC: composition, Hangul, singletons and mark reordering", test_nfc},
    {"random bytes normalise to valid UTF-8 without NUL, and normalising twice changes nothing",
     test_random_bytes_give_valid_idempotent_output},
    {"the NFC quick-check table marks marks, singletons, exclusions and jamo as not inert",
     test_nfc_inert_table},
    {"NFC of random strings of tricky code points equals utf8proc's NFC",
     test_nfc_matches_utf8proc},
    {0}};

static const mn_test_suite suites[] = {{"normalize", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
