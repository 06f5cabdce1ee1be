#include "ingest/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/mem.h"

/* ASCII classes, looked up per byte on the hot path. */
enum {
    C_SPACE = 0,
    C_BREAK = 1, /* everything above is part of a word */
    C_OTHER = 2,
    C_LOWER = 3,
    C_UPPER = 4,
    C_DIGIT = 5,
    C_PUNCT = 6,
    C_HIGH = 7, /* a byte of a multi-byte sequence */
};

static uint8_t ascii_class[256];
/* Per byte, for the word scanner: what the byte is, and whether the fast loop must stop. */
enum {
    B_SPACE = 1,
    B_BREAK = 2,
    B_HIGH = 4,
    B_LETTER = 8,
    B_UPPER = 16,
    B_DIGIT = 32,
    B_PUNCT = 64,
    B_SPECIAL = 128, /* '#' and '.', counted by the quality rules */
    B_STOP = B_SPACE | B_BREAK | B_HIGH | B_SPECIAL,
};
static uint8_t word_bits[256];
static bool classes_ready;

static void classes_init(void) {
    if (classes_ready)
        return;
    for (int c = 0; c < 256; c++) {
        uint8_t k = C_OTHER;
        if (c >= 0x80)
            k = C_HIGH;
        else if (c == ' ' || c == '\t' || c == '\r' || c == 0x0b || c == 0x0c)
            k = C_SPACE;
        else if (c == '\n')
            k = C_BREAK;
        else if (c >= 'a' && c <= 'z')
            k = C_LOWER;
        else if (c >= 'A' && c <= 'Z')
            k = C_UPPER;
        else if (c >= '0' && c <= '9')
            k = C_DIGIT;
        else if (c > 0x20 && c < 0x7f)
            k = C_PUNCT; /* the 32 characters of Python's string.punctuation */
        ascii_class[c] = k;
        uint8_t b = k == C_SPACE   ? B_SPACE
                    : k == C_BREAK ? B_BREAK
                    : k == C_HIGH  ? B_HIGH
                    : k == C_LOWER ? B_LETTER
                    : k == C_UPPER ? B_LETTER | B_UPPER
                    : k == C_DIGIT ? B_DIGIT
                    : k == C_PUNCT ? B_PUNCT
                                   : 0;
        if (c == '#' || c == '.')
            b |= B_SPECIAL;
        word_bits[c] = b;
    }
    classes_ready = true; /* benign race: every thread writes the same table */
}

uint32_t ingest_utf8_next(const char *text, size_t len, size_t *at) {
    const uint8_t *s = (const uint8_t *)text + *at;
    size_t avail = len - *at;
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *at += 1;
        return b0;
    }
    size_t n = b0 >= 0xf0 ? 4 : b0 >= 0xe0 ? 3 : b0 >= 0xc0 ? 2 : 1;
    if (n > avail)
        n = 1;
    for (size_t k = 1; k < n; k++)
        if ((s[k] & 0xc0) != 0x80)
            n = 1;
    *at += n;
    switch (n) {
        case 2:
            return ((uint32_t)(b0 & 0x1f) << 6) | (s[1] & 0x3f);
        case 3:
            return ((uint32_t)(b0 & 0x0f) << 12) | ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
        case 4:
            return ((uint32_t)(b0 & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
                   ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
        default:
            return b0;
    }
}

static int category(uint32_t cp) {
    return cp > 0x10ffff ? UTF8PROC_CATEGORY_CN : (int)utf8proc_category((utf8proc_int32_t)cp);
}

bool ingest_is_letter(uint32_t cp) {
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    int c = category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

bool ingest_is_upper(uint32_t cp) {
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    int c = category(cp);
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

bool ingest_is_digit(uint32_t cp) {
    if (cp < 0x80)
        return cp >= '0' && cp <= '9';
    int c = category(cp);
    return c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
}

bool ingest_is_punct(uint32_t cp) {
    classes_init();
    if (cp < 0x80)
        return ascii_class[cp] == C_PUNCT;
    int c = category(cp);
    return c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_SO;
}

bool ingest_is_space(uint32_t cp) {
    classes_init();
    if (cp < 0x80)
        return ascii_class[cp] == C_SPACE || ascii_class[cp] == C_BREAK;
    return category(cp) == UTF8PROC_CATEGORY_ZS;
}

static mn_status grow(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap)
        return MN_OK;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    MN_FORWARD_IF_ERROR(mn_realloc_array(items, n, size));
    *cap = n;
    return MN_OK;
}

/* Index + 1 of a Gopher stop word ("the", "be", "to", "of", "and", "that", "have", "with")
 * for a lower-cased ASCII word of at most 4 bytes packed little-endian into `v`, else 0. */
static uint8_t gopher_stop(uint32_t v, uint32_t n) {
    static const uint32_t words[8] = {'t' | 'h' << 8 | 'e' << 16,
                                      'b' | 'e' << 8,
                                      't' | 'o' << 8,
                                      'o' | 'f' << 8,
                                      'a' | 'n' << 8 | 'd' << 16,
                                      't' | 'h' << 8 | 'a' << 16 | (uint32_t)'t' << 24,
                                      'h' | 'a' << 8 | 'v' << 16 | (uint32_t)'e' << 24,
                                      'w' | 'i' << 8 | 't' << 16 | (uint32_t)'h' << 24};
    static const uint8_t lens[8] = {3, 2, 2, 2, 3, 4, 4, 4};
    for (int i = 0; i < 8; i++)
        if (lens[i] == n && words[i] == v)
            return (uint8_t)(i + 1);
    return 0;
}

static mn_status close_line(ingest_text *t, uint32_t start, uint32_t end, uint32_t chars,
                            uint32_t first_word, const uint32_t counts[3], bool *in_paragraph) {
    if (end == start) {
        *in_paragraph = false; /* an empty line separates paragraphs */
        return MN_OK;
    }
    if (t->n_lines == t->cap_lines) {
        void *p = t->lines;
        MN_FORWARD_IF_ERROR(grow(&p, &t->cap_lines, t->n_lines + 1, sizeof(ingest_line)));
        t->lines = p;
    }
    if (!*in_paragraph) {
        if (t->n_paragraphs == t->cap_paragraphs) {
            void *p = t->paragraphs;
            MN_FORWARD_IF_ERROR(
                grow(&p, &t->cap_paragraphs, t->n_paragraphs + 1, sizeof(ingest_paragraph)));
            t->paragraphs = p;
        }
        t->paragraphs[t->n_paragraphs++] =
            (ingest_paragraph){.start = start, .first_line = (uint32_t)t->n_lines};
        *in_paragraph = true;
    }
    ingest_paragraph *para = &t->paragraphs[t->n_paragraphs - 1];
    para->len = end - para->start;
    para->chars += chars;
    para->n_lines++;
    t->lines[t->n_lines++] = (ingest_line){.start = start,
                                           .len = end - start,
                                           .chars = chars,
                                           .first_word = first_word,
                                           .n_words = (uint32_t)t->n_words - first_word,
                                           .paragraph = (uint32_t)t->n_paragraphs - 1,
                                           .letters = counts[0],
                                           .upper = counts[1],
                                           .digits = counts[2],
                                           .hash = ingest_hash_bytes(t->text + start, end - start)};
    return MN_OK;
}

/* Decodes the code point at s[i] (valid UTF-8 assumed, stray bytes read as themselves) and
 * its length. */
static inline uint32_t decode_at(const uint8_t *s, size_t len, size_t i, size_t *n) {
    size_t at = i;
    uint32_t cp = ingest_utf8_next((const char *)s, len, &at);
    *n = at - i;
    return cp;
}

mn_status ingest_text_analyze(ingest_text *t, const char *text, size_t len) {
    classes_init();
    MN_RETURN_ERROR_IF(len > UINT32_MAX - 1, MN_ERR_LIMIT,
                       "document of %zu bytes is too long to analyse (at most 4 GiB)", len);
    static uint64_t next_serial; /* per process; analyses are single-threaded per rank */
    t->serial = __atomic_add_fetch(&next_serial, 1, __ATOMIC_RELAXED);
    t->text = text;
    t->len = len;
    t->chars = 0;
    t->word_chars = 0;
    t->hashes = t->ellipses = 0;
    t->n_words = t->n_lines = t->n_paragraphs = 0;

    const uint8_t *s = (const uint8_t *)text;
    bool in_paragraph = false;
    uint32_t line_start = 0, line_chars = 0, line_first_word = 0;
    uint32_t counts[3] = {0, 0, 0}; /* letters, upper, digits of the current line */
    uint64_t chars = 0;
    size_t i = 0;
    while (i < len) {
        uint8_t k = ascii_class[s[i]];
        if (k == C_SPACE) {
            i++;
            chars++;
            line_chars++;
            continue;
        }
        if (k == C_BREAK) {
            MN_FORWARD_IF_ERROR(close_line(t, line_start, (uint32_t)i, line_chars, line_first_word,
                                           counts, &in_paragraph));
            i++;
            chars++;
            line_start = (uint32_t)i;
            line_chars = 0;
            line_first_word = (uint32_t)t->n_words;
            counts[0] = counts[1] = counts[2] = 0;
            continue;
        }
        if (k == C_HIGH) {
            size_t n;
            if (category(decode_at(s, len, i, &n)) == UTF8PROC_CATEGORY_ZS) {
                i += n;
                chars++;
                line_chars++;
                continue;
            }
        }
        /* A word: scan to its end. ASCII runs go through a tight loop over a bit table;
         * '#', '.' and non-ASCII characters take the slow branch. */
        const size_t wstart = i;
        uint32_t letters = 0, upper = 0, digits = 0, continuation = 0;
        bool ascii = true;
        for (;;) {
            uint8_t m = 0;
            while (i < len && !((m = word_bits[s[i]]) & B_STOP)) {
                letters += (m >> 3) & 1;
                upper += (m >> 4) & 1;
                digits += (m >> 5) & 1;
                i++;
            }
            if (i >= len || (m & (B_SPACE | B_BREAK)))
                break;
            if (!(m & B_HIGH)) { /* '#' or '.' */
                if (s[i] == '#') {
                    t->hashes++;
                } else if (i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
                    t->ellipses++; /* "..." counted without overlap, as str.count counts */
                    i += 2;
                }
                i++;
                continue;
            }
            size_t n;
            uint32_t cp = decode_at(s, len, i, &n);
            int cat = category(cp);
            if (cat == UTF8PROC_CATEGORY_ZS)
                break;
            ascii = false;
            letters += cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
            upper += cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
            digits += cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO;
            t->ellipses += cp == 0x2026;
            continuation += (uint32_t)n - 1;
            i += n;
        }
        if (t->n_words == t->cap_words) {
            void *p = t->words;
            MN_FORWARD_IF_ERROR(grow(&p, &t->cap_words, t->n_words + 1, sizeof(ingest_word)));
            t->words = p;
        }
        ingest_word *w = &t->words[t->n_words++];
        w->start = (uint32_t)wstart;
        w->len = (uint32_t)(i - wstart);
        w->chars = w->len - continuation;
        w->line = (uint32_t)t->n_lines;
        w->flags = (uint8_t)((ascii ? INGEST_WORD_ASCII : 0) | (letters ? INGEST_WORD_LETTER : 0) |
                             (digits ? INGEST_WORD_DIGIT : 0));
        w->stop = 0;
        /* The core: the word without leading and trailing punctuation. */
        size_t cs = wstart, ce = i;
        uint32_t trimmed = 0;
        if (ascii) {
            while (cs < ce && (word_bits[s[cs]] & B_PUNCT))
                cs++;
            while (ce > cs && (word_bits[s[ce - 1]] & B_PUNCT))
                ce--;
        } else {
            while (cs < ce) {
                size_t n;
                if (!ingest_is_punct(decode_at(s, ce, cs, &n)))
                    break;
                cs += n;
                trimmed++;
            }
            while (ce > cs) {
                size_t lead = ce - 1, n;
                while (lead > cs && (s[lead] & 0xc0) == 0x80)
                    lead--;
                if (!ingest_is_punct(decode_at(s, ce, lead, &n)))
                    break;
                ce = lead;
                trimmed++;
            }
        }
        w->core_start = (uint32_t)(cs < ce ? cs : wstart);
        w->core_len = (uint32_t)(ce - cs);
        w->core_chars = ascii ? w->core_len : (cs < ce ? w->chars - trimmed : 0);
        if (ascii && w->core_len >= 2 && w->core_len <= 4) {
            uint32_t v = 0;
            for (uint32_t b = 0; b < w->core_len; b++)
                v |= (uint32_t)(uint8_t)(s[cs + b] | 0x20) << (8 * b);
            w->stop = gopher_stop(v, w->core_len);
        }
        w->hash = ingest_hash_bytes(text + wstart, w->len);
        t->word_chars += w->chars;
        chars += w->chars;
        line_chars += w->chars;
        counts[0] += letters;
        counts[1] += upper;
        counts[2] += digits;
    }
    MN_FORWARD_IF_ERROR(close_line(t, line_start, (uint32_t)len, line_chars, line_first_word,
                                   counts, &in_paragraph));
    for (size_t p = 0; p < t->n_paragraphs; p++) {
        ingest_paragraph *para = &t->paragraphs[p];
        para->hash = ingest_hash_bytes(text + para->start, para->len);
    }
    t->chars = chars;
    return MN_OK;
}

void ingest_text_free(ingest_text *t) {
    free(t->words);
    free(t->lines);
    free(t->paragraphs);
    *t = (ingest_text){0};
}
