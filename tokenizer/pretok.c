/* Pre-tokenizers: hand-made scanners that split text exactly as tiktoken's regular
 * expressions do (leftmost-first alternation, greedy quantifiers with backtracking), without
 * a regex engine in the hot path.
 *
 * Each scanner answers one question: where does the piece that starts at `pos` end? The
 * alternatives of the pattern are tried in order, and each backtracking choice of the
 * regex is resolved by looking at character classes (derivations beside each scanner).
 *
 * Character classes come from utf8proc's general categories (a 64 KiB table for the BMP,
 * utf8proc for the other planes) and the Unicode White_Space property (Rust's `\s`).
 * Invalid UTF-8: each maximal invalid subpart (Unicode 15 Table 3-7, the unit that Python's
 * and WHATWG's decoders replace) is one character of category So, as U+FFFD would be.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer/tok_internal.h"

enum {
    CL_L = 1,   /* \p{L} */
    CL_N = 2,   /* \p{N} */
    CL_S = 4,   /* \s: White_Space */
    CL_NL = 8,  /* \r or \n */
    CL_UP = 16, /* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] (o200k) */
    CL_LO = 32, /* [\p{Ll}\p{Lm}\p{Lo}\p{M}] (o200k) */
};

/* Built with TOK_COUNT_STEPS (the mnemo_tokenizer_counting library, for the linear-time
 * test only), every character decoded is counted. */
#ifdef TOK_COUNT_STEPS
uint64_t tok__pretok_steps;
#define COUNT_STEP() (tok__pretok_steps++)
#else
#define COUNT_STEP() ((void)0)
#endif

static uint8_t bmp_class[65536];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static bool is_white_space(uint32_t cp) {
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

static uint8_t class_of_codepoint(uint32_t cp) {
    uint8_t cls = 0;
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LT:
            cls = CL_L | CL_UP;
            break;
        case UTF8PROC_CATEGORY_LL:
            cls = CL_L | CL_LO;
            break;
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
            cls = CL_L | CL_UP | CL_LO;
            break;
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
            cls = CL_UP | CL_LO;
            break;
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
            cls = CL_N;
            break;
        default:
            break;
    }
    if (is_white_space(cp))
        cls |= CL_S;
    if (cp == '\r' || cp == '\n')
        cls |= CL_NL;
    return cls;
}

static void build_bmp_table(void) {
    for (uint32_t cp = 0; cp < 65536; cp++)
        bmp_class[cp] = (cp >= 0xd800 && cp <= 0xdfff) ? 0 : class_of_codepoint(cp);
}

void tok__pretok_init(void) {
    pthread_once(&bmp_once, build_bmp_table);
}

/* Decodes the character at s[i] (i < n): returns its length in bytes and its class. */
static inline size_t char_at(const uint8_t *s, size_t n, size_t i, uint8_t *cls) {
    COUNT_STEP();
    uint8_t b0 = s[i];
    if (b0 < 0x80) {
        *cls = bmp_class[b0];
        return 1;
    }
    size_t left = n - i;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
        if (left >= 2 && (s[i + 1] & 0xc0) == 0x80) {
            *cls = bmp_class[((uint32_t)(b0 & 0x1f) << 6) | (s[i + 1] & 0x3f)];
            return 2;
        }
        *cls = 0;
        return 1;
    }
    if (b0 >= 0xe0 && b0 <= 0xef) {
        uint8_t lo = b0 == 0xe0 ? 0xa0 : 0x80, hi = b0 == 0xed ? 0x9f : 0xbf;
        if (left < 2 || s[i + 1] < lo || s[i + 1] > hi) {
            *cls = 0;
            return 1;
        }
        if (left < 3 || (s[i + 2] & 0xc0) != 0x80) {
            *cls = 0;
            return 2;
        }
        *cls = bmp_class[((uint32_t)(b0 & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) |
                         (s[i + 2] & 0x3f)];
        return 3;
    }
    if (b0 >= 0xf0 && b0 <= 0xf4) {
        uint8_t lo = b0 == 0xf0 ? 0x90 : 0x80, hi = b0 == 0xf4 ? 0x8f : 0xbf;
        if (left < 2 || s[i + 1] < lo || s[i + 1] > hi) {
            *cls = 0;
            return 1;
        }
        if (left < 3 || (s[i + 2] & 0xc0) != 0x80) {
            *cls = 0;
            return 2;
        }
        if (left < 4 || (s[i + 3] & 0xc0) != 0x80) {
            *cls = 0;
            return 3;
        }
        uint32_t cp = ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) |
                      ((uint32_t)(s[i + 2] & 0x3f) << 6) | (s[i + 3] & 0x3f);
        *cls = class_of_codepoint(cp);
        return 4;
    }
    *cls = 0; /* 0x80..0xc1, 0xf5..0xff: never valid */
    return 1;
}

static inline uint8_t class_at(const uint8_t *s, size_t n, size_t i) {
    uint8_t cls;
    char_at(s, n, i, &cls);
    return cls;
}

/* End of the run of characters having any of `mask` starting at i. */
static inline size_t run_any(const uint8_t *s, size_t n, size_t i, uint8_t mask) {
    while (i < n) {
        uint8_t cls;
        size_t len = char_at(s, n, i, &cls);
        if (!(cls & mask))
            break;
        i += len;
    }
    return i;
}

/* End of the run of characters having none of `mask` (e.g. [^\s\p{L}\p{N}]+). */
static inline size_t run_none(const uint8_t *s, size_t n, size_t i, uint8_t mask) {
    while (i < n) {
        uint8_t cls;
        size_t len = char_at(s, n, i, &cls);
        if (cls & mask)
            break;
        i += len;
    }
    return i;
}

/* Length of a contraction 's|'t|'re|'ve|'m|'ll|'d at s[i] (s[i] == '\''), or 0. With
 * `caseless` (tiktoken's (?i:...)), letters match in either case, and 's also matches
 * U+017F LATIN SMALL LETTER LONG S, whose simple case folding is 's'. */
static inline size_t contraction(const uint8_t *s, size_t n, size_t i, bool caseless) {
    if (i + 1 >= n)
        return 0;
    uint8_t c = s[i + 1];
    if (caseless && c == 0xc5 && i + 2 < n && s[i + 2] == 0xbf)
        return 3; /* 'ſ */
    if (caseless && c >= 'A' && c <= 'Z')
        c = (uint8_t)(c + 32);
    if (c == 's' || c == 't' || c == 'm' || c == 'd')
        return 2;
    if (i + 2 >= n)
        return 0;
    uint8_t d = s[i + 2];
    if (caseless && d >= 'A' && d <= 'Z')
        d = (uint8_t)(d + 32);
    if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') || (c == 'l' && d == 'l'))
        return 3;
    return 0;
}

/* The whitespace alternatives shared by all three patterns, at a white-space character:
 *   cl100k/o200k only:  \s*[\r\n]+   -- \s* gives back characters until [\r\n]+ can match,
 *                      so the piece ends just after the last \r or \n of the run;
 *   \s+(?!\S)          -- the whole run at the end of text, else the run without its last
 *                         character when that leaves at least one;
 *   \s+                -- a single white-space character before a non-space. */
static inline size_t whitespace_piece(const uint8_t *s, size_t n, size_t i, bool newline_rule) {
    size_t j = i, last_start = i, after_newline = 0, chars = 0;
    while (j < n) {
        uint8_t cls;
        size_t len = char_at(s, n, j, &cls);
        if (!(cls & CL_S))
            break;
        if (cls & CL_NL)
            after_newline = j + 1;
        last_start = j;
        j += len;
        chars++;
    }
    if (newline_rule && after_newline != 0)
        return after_newline;
    if (j == n || chars == 1)
        return j;
    return last_start;
}

/* gpt2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * Every character is L, N, white space or neither, so some alternative always matches. */
static size_t next_gpt2(const uint8_t *s, size_t n, size_t i) {
    if (s[i] == '\'') {
        size_t c = contraction(s, n, i, false);
        if (c)
            return i + c;
    }
    uint8_t cls;
    size_t len = char_at(s, n, i, &cls);
    if (s[i] == ' ' && i + 1 < n) {
        uint8_t next = class_at(s, n, i + 1);
        if (next & CL_L)
            return run_any(s, n, i + 1, CL_L);
        if (next & CL_N)
            return run_any(s, n, i + 1, CL_N);
        if (!(next & (CL_S | CL_L | CL_N)))
            return run_none(s, n, i + 1, CL_S | CL_L | CL_N);
    }
    if (cls & CL_L)
        return run_any(s, n, i + len, CL_L);
    if (cls & CL_N)
        return run_any(s, n, i + len, CL_N);
    if (!(cls & CL_S))
        return run_none(s, n, i + len, CL_S | CL_L | CL_N);
    return whitespace_piece(s, n, i, false);
}

/* [\r\n]* after a punctuation run (cl100k), or [\r\n/]* (o200k). */
static inline size_t newline_tail(const uint8_t *s, size_t n, size_t i, bool slash) {
    while (i < n && (s[i] == '\r' || s[i] == '\n' || (slash && s[i] == '/')))
        i++;
    return i;
}

/* cl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}
 *         | ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * [^\r\n\p{L}\p{N}]?\p{L}+: the optional character is taken when a letter follows it;
 * without it \p{L}+ can only start at a letter. */
static size_t next_cl100k(const uint8_t *s, size_t n, size_t i) {
    if (s[i] == '\'') {
        size_t c = contraction(s, n, i, true);
        if (c)
            return i + c;
    }
    uint8_t cls;
    size_t len = char_at(s, n, i, &cls);
    if (!(cls & (CL_NL | CL_L | CL_N)) && i + len < n && (class_at(s, n, i + len) & CL_L))
        return run_any(s, n, i + len, CL_L);
    if (cls & CL_L)
        return run_any(s, n, i + len, CL_L);
    if (cls & CL_N) {
        size_t j = i + len;
        for (int k = 1; k < 3 && j < n; k++) {
            uint8_t c2;
            size_t l2 = char_at(s, n, j, &c2);
            if (!(c2 & CL_N))
                break;
            j += l2;
        }
        return j;
    }
    if (s[i] == ' ' && i + 1 < n && !(class_at(s, n, i + 1) & (CL_S | CL_L | CL_N)))
        return newline_tail(s, n, run_none(s, n, i + 1, CL_S | CL_L | CL_N), false);
    if (!(cls & CL_S))
        return newline_tail(s, n, run_none(s, n, i + len, CL_S | CL_L | CL_N), false);
    return whitespace_piece(s, n, i, true);
}

/* o200k, alternatives 1 and 2 with U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and
 * W = [\p{Ll}\p{Lm}\p{Lo}\p{M}], starting after the optional prefix at j:
 *   U*W+ : U* greedily takes the run of U; it gives back characters until W+ can start.
 *          If the character after the run is in W, W+ takes the W-run from there;
 *          otherwise W+ starts at the last character of the run that is also in W (Lm, Lo
 *          or M) and takes exactly that one (the ones after it are Lu/Lt, not W).
 *   U+W* : succeeds whenever the U-run is not empty; W* then matches nothing (a W after
 *          the run would have let U*W+ match).
 * Returns the end of the letters, or 0 when the alternative fails. */
static inline size_t o200k_upper_lower(const uint8_t *s, size_t n, size_t j) {
    size_t k = j, last_w_end = 0;
    while (k < n) {
        uint8_t cls;
        size_t len = char_at(s, n, k, &cls);
        if (!(cls & CL_UP)) {
            if (cls & CL_LO)
                return run_any(s, n, k, CL_LO);
            break;
        }
        k += len;
        if (cls & CL_LO)
            last_w_end = k;
    }
    return last_w_end;
}

static inline size_t o200k_upper_run(const uint8_t *s, size_t n, size_t j) {
    size_t end = run_any(s, n, j, CL_UP);
    return end > j ? end : 0;
}

static inline size_t with_contraction(const uint8_t *s, size_t n, size_t e) {
    if (e < n && s[e] == '\'')
        return e + contraction(s, n, e, true);
    return e;
}

/* o200k: [^\r\n\p{L}\p{N}]?U*W+(?i:'s|...)?|[^\r\n\p{L}\p{N}]?U+W*(?i:'s|...)?|\p{N}{1,3}
 *        | ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * Each alternative is tried with the optional prefix character first, then without it;
 * without it only a mark (in U and W but not excluded from the prefix class) can start. */
static size_t next_o200k(const uint8_t *s, size_t n, size_t i) {
    uint8_t cls;
    size_t len = char_at(s, n, i, &cls);
    bool prefix = !(cls & (CL_NL | CL_L | CL_N)) && i + len < n;
    bool bare = (cls & (CL_UP | CL_LO)) != 0;
    size_t e;
    if (prefix && (e = o200k_upper_lower(s, n, i + len)) != 0)
        return with_contraction(s, n, e);
    if (bare && (e = o200k_upper_lower(s, n, i)) != 0)
        return with_contraction(s, n, e);
    if (prefix && (e = o200k_upper_run(s, n, i + len)) != 0)
        return with_contraction(s, n, e);
    if (bare && (e = o200k_upper_run(s, n, i)) != 0)
        return with_contraction(s, n, e);
    if (cls & CL_N) {
        size_t j = i + len;
        for (int k = 1; k < 3 && j < n; k++) {
            uint8_t c2;
            size_t l2 = char_at(s, n, j, &c2);
            if (!(c2 & CL_N))
                break;
            j += l2;
        }
        return j;
    }
    if (s[i] == ' ' && i + 1 < n && !(class_at(s, n, i + 1) & (CL_S | CL_L | CL_N)))
        return newline_tail(s, n, run_none(s, n, i + 1, CL_S | CL_L | CL_N), true);
    if (!(cls & CL_S))
        return newline_tail(s, n, run_none(s, n, i + len, CL_S | CL_L | CL_N), true);
    return whitespace_piece(s, n, i, true);
}

size_t tok_pretokenize_next(tok_pretokenizer kind, const uint8_t *text, size_t len, size_t pos) {
    tok__pretok_init();
    switch (kind) {
        case TOK_PRETOK_GPT2:
            return next_gpt2(text, len, pos);
        case TOK_PRETOK_CL100K:
            return next_cl100k(text, len, pos);
        case TOK_PRETOK_O200K:
        default:
            return next_o200k(text, len, pos);
    }
}

size_t tok__pretok_next_fast(tok_pretokenizer kind, const uint8_t *text, size_t len, size_t pos) {
    switch (kind) {
        case TOK_PRETOK_GPT2:
            return next_gpt2(text, len, pos);
        case TOK_PRETOK_CL100K:
            return next_cl100k(text, len, pos);
        case TOK_PRETOK_O200K:
        default:
            return next_o200k(text, len, pos);
    }
}

static const char *const pretok_names[TOK_PRETOK_COUNT] = {"gpt2", "cl100k", "o200k"};

static const char *const pretok_patterns[TOK_PRETOK_COUNT] = {
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:"
    "'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{"
    "Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| "
    "?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
};

const char *tok_pretokenizer_kind_name(tok_pretokenizer kind) {
    return kind < TOK_PRETOK_COUNT ? pretok_names[kind] : "unknown";
}

const char *tok_pretokenizer_pattern(tok_pretokenizer kind) {
    return kind < TOK_PRETOK_COUNT ? pretok_patterns[kind] : "";
}

mn_status tok_pretokenizer_parse(const char *name, tok_pretokenizer *kind) {
    static const struct {
        const char *name;
        tok_pretokenizer kind;
    } names[] = {{"gpt2", TOK_PRETOK_GPT2},          {"r50k", TOK_PRETOK_GPT2},
                 {"r50k_base", TOK_PRETOK_GPT2},     {"p50k", TOK_PRETOK_GPT2},
                 {"p50k_base", TOK_PRETOK_GPT2},     {"cl100k", TOK_PRETOK_CL100K},
                 {"cl100k_base", TOK_PRETOK_CL100K}, {"o200k", TOK_PRETOK_O200K},
                 {"o200k_base", TOK_PRETOK_O200K}};
    for (size_t i = 0; name != NULL && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *kind = names[i].kind;
            return MN_OK;
        }
    }
    return mn_error(MN_ERR_ARG, "unknown pre-tokenizer '%s' (expected gpt2, cl100k or o200k)",
                    name ? name : "(null)");
}
