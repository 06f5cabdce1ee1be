/* The hand-made pre-tokenizers against PCRE2 compiled from each encoding's exact `pat_str`
 * (tiktoken's regular expressions, the same strings as in the npm package's encoder JSON).
 *
 * PCRE2 configuration: PCRE2_UTF | PCRE2_UCP, so that \p{..}, \s and (?i) use Unicode
 * properties as tiktoken's Rust regex engine does; find-next semantics (unanchored, from the
 * end of the previous match) as tiktoken's find_iter.
 * Invalid UTF-8: tiktoken never sees it (Rust strings are valid UTF-8; Python and JS callers
 * replace each maximal invalid subpart with U+FFFD). So the reference replaces each maximal
 * invalid subpart (Unicode Table 3-7) with U+FFFD, runs PCRE2, and maps piece boundaries
 * back to the original bytes; the scanner runs on the original bytes.
 * Known differences between PCRE2 and Rust's regex, avoided here and covered instead by the
 * comparison with tiktoken itself (test_tokenizer_exact, whose corpus contains them):
 *   - U+180E MONGOLIAN VOWEL SEPARATOR matches PCRE2's \s but is not White_Space (Rust's
 *     \s, and tiktoken splits it as a non-space: the exactness test checks that); the
 *     reference feeds PCRE2 U+200B ZERO WIDTH SPACE in its place (also Cf, not \s, and
 *     also 3 bytes long, so offsets stay aligned);
 *   - PCRE2 10.42 has Unicode 14 tables, utf8proc Unicode 15: code points assigned in
 *     Unicode 15 (PCRE2's \p{Cn}) are left out of the generated strings.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"
#include "tests/harness/mn_test.h"
#include "tokenizer/tokenizer.h"

typedef struct reference {
    pcre2_code *re;
    pcre2_match_data *md;
} reference;

static bool reference_init(reference *r, tok_pretokenizer kind) {
    int err;
    PCRE2_SIZE off;
    r->re = pcre2_compile((PCRE2_SPTR)tok_pretokenizer_pattern(kind), PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
    if (r->re == NULL)
        return false;
    pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE); /* optional speed-up */
    r->md = pcre2_match_data_create_from_pattern(r->re, NULL);
    return r->md != NULL;
}

static void reference_free(reference *r) {
    pcre2_match_data_free(r->md);
    pcre2_code_free(r->re);
}

/* Length of the maximal well-formed prefix of a sequence at s (Table 3-7): returns the
 * length of a valid character (> 0, *valid = true) or of the maximal invalid subpart. */
static size_t utf8_unit(const uint8_t *s, size_t n, bool *valid) {
    uint8_t b = s[0];
    *valid = true;
    if (b < 0x80)
        return 1;
    size_t need;
    uint8_t lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf)
        need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b == 0xe0)
            lo = 0xa0;
        if (b == 0xed)
            hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b == 0xf0)
            lo = 0x90;
        if (b == 0xf4)
            hi = 0x8f;
    } else {
        *valid = false;
        return 1;
    }
    size_t i = 1;
    for (; i <= need; i++) {
        if (i >= n) {
            *valid = false;
            return i;
        }
        uint8_t c = s[i];
        uint8_t l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;
        if (c < l || c > h) {
            *valid = false;
            return i;
        }
    }
    return i;
}

/* Piece boundaries (ends) of `text` by the reference; returns the count or -1. */
static long reference_split(reference *r, const uint8_t *text, size_t len, size_t *ends,
                            size_t max) {
    /* Replace invalid subparts with U+FFFD, remembering where each new byte came from. */
    uint8_t *clean = malloc(len * 3 + 1);
    size_t *origin = malloc((len * 3 + 2) * sizeof *origin);
    size_t m = 0;
    for (size_t i = 0; i < len;) {
        bool valid;
        size_t u = utf8_unit(text + i, len - i, &valid);
        if (valid && u == 3 && memcmp(text + i, "\xe1\xa0\x8e", 3) == 0) {
            for (size_t k = 0; k < 3; k++)
                origin[m + k] = i + k;
            memcpy(clean + m, "\xe2\x80\x8b", 3); /* U+180E -> U+200B, see above */
            m += 3;
        } else if (valid) {
            for (size_t k = 0; k < u; k++) {
                origin[m] = i + k;
                clean[m++] = text[i + k];
            }
        } else {
            for (size_t k = 0; k < 3; k++)
                origin[m + k] = i;
            memcpy(clean + m, "\xef\xbf\xbd", 3);
            m += 3;
        }
        i += u;
    }
    origin[m] = len;
    long count = 0;
    size_t pos = 0;
    while (pos < m) {
        /* The subject was made valid above; without NO_UTF_CHECK PCRE2 would re-check all of
         * it at every call (quadratic). */
        int rc = pcre2_match(r->re, clean, m, pos, PCRE2_NO_UTF_CHECK, r->md, NULL);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
        if (rc < 0 || ov[0] != pos || ov[1] <= pos || (size_t)count >= max) {
            count = -1;
            break;
        }
        pos = ov[1];
        ends[count++] = origin[pos];
    }
    free(clean);
    free(origin);
    return count;
}

static size_t failures_shown;

/* Compares scanner and reference on one text; prints the first difference. */
static bool compare(reference *r, tok_pretokenizer kind, const uint8_t *text, size_t len) {
    size_t *ends = malloc((len + 1) * sizeof *ends);
    long n = reference_split(r, text, len, ends, len + 1);
    bool same = n >= 0;
    size_t pos = 0;
    for (long i = 0; same && i < n; i++) {
        size_t end = tok_pretokenize_next(kind, text, len, pos);
        if (end != ends[i]) {
            same = false;
            if (failures_shown++ < 5) {
                fprintf(stderr, "  %s: piece at byte %zu ends at %zu, PCRE2 says %zu; text:\n  ",
                        tok_pretokenizer_kind_name(kind), pos, end, ends[i]);
                size_t from = pos > 16 ? pos - 16 : 0, to = pos + 32 < len ? pos + 32 : len;
                for (size_t k = from; k < to; k++)
                    fprintf(stderr, "%s%02x", k == pos ? "[" : " ", text[k]);
                fprintf(stderr, "\n");
            }
        }
        pos = ends[i];
    }
    if (n < 0 && failures_shown++ < 5)
        fprintf(stderr, "  %s: PCRE2 left a gap (no match) in a text of %zu bytes\n",
                tok_pretokenizer_kind_name(kind), len);
    free(ends);
    return same;
}

/* Pools of adversarial material. */
typedef struct pool {
    char **items;
    size_t count, cap;
} pool;

static void pool_add(pool *p, const char *s, size_t len) {
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 256;
        p->items = realloc(p->items, p->cap * sizeof *p->items);
    }
    char *copy = malloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    p->items[p->count++] = copy;
}

static void pool_free(pool *p) {
    for (size_t i = 0; i < p->count; i++)
        free(p->items[i]);
    free(p->items);
}

static void build_pool(pool *p, mn_rng *rng) {
    /* Code points of every general category, a few of each, that PCRE2 also knows. */
    int err;
    PCRE2_SIZE off;
    pcre2_code *cn = pcre2_compile((PCRE2_SPTR) "^\\p{Cn}$", PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP, &err, &off, NULL);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(cn, NULL);
    int32_t picked[32][24];
    int counts[32] = {0};
    uint64_t seen[32] = {0};
    for (int32_t cp = 0; cp <= 0x10ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        int cat = utf8proc_category(cp);
        seen[cat]++;
        /* Reservoir sampling of 24 per category, deterministic by the rng. */
        int slot = counts[cat] < 24 ? counts[cat]++ : (int)mn_rng_below(rng, seen[cat]);
        if (slot < 24)
            picked[cat][slot] = cp;
    }
    for (int cat = 0; cat < 32; cat++) {
        for (int k = 0; k < counts[cat]; k++) {
            uint8_t buf[8];
            utf8proc_ssize_t n = utf8proc_encode_char(picked[cat][k], buf);
            bool pcre_unassigned = pcre2_match(cn, buf, (size_t)n, 0, 0, md, NULL) > 0;
            if (pcre_unassigned != (cat == UTF8PROC_CATEGORY_CN))
                continue; /* assigned in Unicode 15, not in PCRE2's Unicode 14 */
            pool_add(p, (const char *)buf, (size_t)n);
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(cn);
    for (int c = 0; c < 128; c++) {
        char ch = (char)c;
        pool_add(p, &ch, 1);
    }
    static const char *const extra[] = {
        "'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'rE", "'ve", "'VE", "'m", "'M", "'ll", "'LL",
        "'lL", "'d", "'D", "'x", "'", "''", "'\xc5\xbf", "'\xc5\xbft", "\xe2\x80\x99s", "don't",
        "DON'T", "We'Re", "I'M", "0", "00", "000", "0000", "12345", "\xd9\xa3\xd9\xa4",
        "\xef\xbc\x91\xef\xbc\x92", "\xc2\xb2", "\xe2\x85\xab", " ", "  ", "    ", "\t", "\n", "\r",
        "\r\n", "\n\n", " \n", "\t\n ", "\v", "\f", "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80",
        "\xe2\x80\x80", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f",
        "\xe3\x80\x80", "\xe2\x80\x8b", "/", "//", "\n/", "e\xcc\x81", "\xcc\x81", " \xcc\x81",
        "\xcc\x81\xcc\x81"
        "a",
        "A\xcc\x81"
        "B",
        "\xc7\x85", "\xca\xb0", "\xe3\x81\x82", "\xe4\xb8\xad\xe6\x96\x87", "ABC", "abc", "AbC",
        "aBC", "\xce\x91\xce\xb8", "\xf0\x9f\x98\x80", "\xf0\x9f\x91\xa9\xe2\x80\x8d",
        /* invalid UTF-8 */
        "\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xc2", "\xe2\x82", "\xe0\x80\x80", "\xed\xa0\x80",
        "\xf0\x80\x80\x80", "\xf4\x90\x80\x80", "\xf5\x80", "\xff", "\xfe", "\xf0\x9f\x98",
        "\xe4\xb8"};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        pool_add(p, extra[i], strlen(extra[i]));
}

static void run_generated(tok_pretokenizer kind) {
    reference r;
    MN_ASSERT_FATAL(reference_init(&r, kind));
    mn_rng rng;
    mn_rng_seed(&rng, 1234 + kind);
    pool p = {0};
    build_pool(&p, &rng);
    size_t rounds = (size_t)(30000 * mn_test_scale()), bad = 0;
    char text[4096];
    for (size_t round = 0; round < rounds; round++) {
        size_t len = 0, parts = 1 + mn_rng_below(&rng, 24);
        for (size_t k = 0; k < parts; k++) {
            const char *item = p.items[mn_rng_below(&rng, p.count)];
            size_t n = strlen(item);
            size_t repeat = mn_rng_below(&rng, 8) == 0 ? 1 + mn_rng_below(&rng, 20) : 1;
            for (size_t r2 = 0; r2 < repeat && len + n < sizeof text; r2++) {
                memcpy(text + len, item, n);
                len += n;
            }
        }
        /* NUL bytes from the ASCII pool are fine: lengths are explicit. */
        if (len > 0 && !compare(&r, kind, (const uint8_t *)text, len))
            bad++;
    }
    printf("\n  %s: %zu generated strings, %zu differ (pool of %zu items)\n",
           tok_pretokenizer_kind_name(kind), rounds, bad, p.count);
    MN_ASSERT_EQ_U64(bad, 0);
    pool_free(&p);
    reference_free(&r);
}

static void run_corpus(tok_pretokenizer kind) {
    const char *tmp = getenv("MNEMO_TEST_TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tokenizer-corpus.txt", tmp ? tmp : "/tmp");
    uint8_t *data;
    size_t len;
    MN_ASSERT_OK_FATAL(mn_read_file(path, (size_t)1 << 31, &data, &len));
    size_t want = (size_t)((double)len * mn_test_scale());
    reference r;
    MN_ASSERT_FATAL(reference_init(&r, kind));
    /* Blocks of 64 KiB keep the reference's buffers small; both sides see the same block
     * as a whole text, so where it is cut does not matter. */
    size_t pos = 0, blocks = 0, bad = 0;
    while (pos < want) {
        size_t end = pos + 65536 < len ? pos + 65536 : len;
        if (!compare(&r, kind, data + pos, end - pos))
            bad++;
        blocks++;
        pos = end;
    }
    printf("\n  %s: %zu bytes of the corpus in %zu blocks, %zu differ\n",
           tok_pretokenizer_kind_name(kind), pos, blocks, bad);
    MN_ASSERT_EQ_U64(bad, 0);
    reference_free(&r);
    free(data);
}

static void test_gpt2_generated(void) {
    run_generated(TOK_PRETOK_GPT2);
}
static void test_cl100k_generated(void) {
    run_generated(TOK_PRETOK_CL100K);
}
static void test_o200k_generated(void) {
    run_generated(TOK_PRETOK_O200K);
}
static void test_gpt2_corpus(void) {
    run_corpus(TOK_PRETOK_GPT2);
}
static void test_cl100k_corpus(void) {
    run_corpus(TOK_PRETOK_CL100K);
}
static void test_o200k_corpus(void) {
    run_corpus(TOK_PRETOK_O200K);
}

static void test_known_splits(void) {
    /* A few splits written out by hand from the patterns. */
    struct {
        tok_pretokenizer kind;
        const char *text;
        const char *pieces; /* separated by '|' */
    } cases[] = {
        {TOK_PRETOK_GPT2, "Hello world's  end\n", "Hello| world|'s| | end|\n"},
        {TOK_PRETOK_GPT2, "DON'T 123abc", "DON|'|T| 123|abc"},
        {TOK_PRETOK_CL100K, "DON'T 12345  x\n\n y", "DON|'T| |123|45| | x|\n\n| y"},
        {TOK_PRETOK_CL100K, "'sound", "'s|ound"},
        {TOK_PRETOK_O200K, "HelloWORLD camelCase DON'T", "Hello|WORLD| camel|Case| DON'T"},
        {TOK_PRETOK_O200K, "a//b\n/x", "a|//|b|\n|/x"},
        {TOK_PRETOK_O200K, "x   \n  y", "x|   \n| | y"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const uint8_t *text = (const uint8_t *)cases[c].text;
        size_t len = strlen(cases[c].text), pos = 0;
        char got[256] = "";
        while (pos < len) {
            size_t end = tok_pretokenize_next(cases[c].kind, text, len, pos);
            if (pos)
                strcat(got, "|");
            strncat(got, (const char *)text + pos, end - pos);
            pos = end;
        }
        MN_ASSERT_EQ_STR(got, cases[c].pieces);
    }
}

static const mn_test_case cases[] = {
    {"hand-written splits follow the patterns", test_known_splits},
    {"gpt2 scanner equals PCRE2 on generated adversarial strings", test_gpt2_generated},
    {"cl100k scanner equals PCRE2 on generated adversarial strings", test_cl100k_generated},
    {"o200k scanner equals PCRE2 on generated adversarial strings", test_o200k_generated},
    {"gpt2 scanner equals PCRE2 on real text", test_gpt2_corpus},
    {"cl100k scanner equals PCRE2 on real text", test_cl100k_corpus},
    {"o200k scanner equals PCRE2 on real text", test_o200k_corpus},
    {0}};

static const mn_test_suite suites[] = {{"pretok", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
