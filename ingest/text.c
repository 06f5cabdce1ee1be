#include "ingest/text.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/mem.h"

/* ASCII classes, looked up per byte on the hot path. */
enum {
    C_OTHER = 0,
    C_SPACE = 1,
    C_BREAK = 2,
    C_LOWER = 3,
    C_UPPER = 4,
    C_DIGIT = 5,
    C_PUNCT = 6,
    C_HIGH = 7, /* a byte of a multi-byte sequence */
};

static uint8_t ascii_class[256];
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
    }
    classes_ready = true; /* benign race: every thread writes the same table */
}

uint64_t ingest_hash_bytes(const void *data, size_t len) {
    /* 8 bytes at a time through the splitmix64 finaliser: fast for the short strings
     * (words, lines) it is used on, and well mixed for hash-table keys. */
    const uint8_t *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
    while (len >= 8) {
        uint64_t chunk;
        memcpy(&chunk, p, 8);
        h = mn_mix64(h ^ chunk);
        p += 8;
        len -= 8;
    }
    if (len > 0) {
        uint64_t chunk = 0;
        memcpy(&chunk, p, len);
        h = mn_mix64(h ^ chunk ^ 0x5555555555555555ULL);
    }
    return h;
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

/* Running state of the word being scanned. */
typedef struct word_state {
    bool open;
    uint32_t start, chars, flags;
    uint32_t core_start, core_end, core_chars_begin, core_chars_end;
} word_state;

static mn_status close_word(ingest_text *t, word_state *w, uint32_t end, uint32_t line) {
    if (!w->open)
        return MN_OK;
    w->open = false;
    if (t->n_words == t->cap_words) {
        void *p = t->words;
        MN_FORWARD_IF_ERROR(grow(&p, &t->cap_words, t->n_words + 1, sizeof(ingest_word)));
        t->words = p;
    }
    ingest_word *word = &t->words[t->n_words++];
    word->start = w->start;
    word->len = end - w->start;
    word->chars = w->chars;
    word->line = line;
    word->flags = (uint8_t)w->flags;
    if (w->core_end > w->core_start) {
        word->core_start = w->core_start;
        word->core_len = w->core_end - w->core_start;
        word->core_chars = w->core_chars_end - w->core_chars_begin;
    } else {
        word->core_start = w->start;
        word->core_len = 0;
        word->core_chars = 0;
    }
    word->hash = ingest_hash_bytes(t->text + word->start, word->len);
    t->word_chars += w->chars;
    return MN_OK;
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

mn_status ingest_text_analyze(ingest_text *t, const char *text, size_t len) {
    classes_init();
    MN_RETURN_ERROR_IF(len > UINT32_MAX - 1, MN_ERR_LIMIT,
                       "document of %zu bytes is too long to analyse (at most 4 GiB)", len);
    t->text = text;
    t->len = len;
    t->chars = 0;
    t->word_chars = 0;
    t->n_words = t->n_lines = t->n_paragraphs = 0;

    const uint8_t *s = (const uint8_t *)text;
    word_state w = {0};
    bool in_paragraph = false;
    uint32_t line_start = 0, line_chars = 0, line_first_word = 0;
    uint32_t counts[3] = {0, 0, 0}; /* letters, upper, digits of the current line */
    uint64_t chars = 0;
    size_t i = 0;
    while (i < len) {
        uint8_t k = ascii_class[s[i]];
        uint32_t at = (uint32_t)i;
        uint32_t cp;
        bool letter = false, upper = false, digit = false, punct = false, space = false;
        if (k != C_HIGH) {
            cp = s[i++];
            letter = k == C_LOWER || k == C_UPPER;
            upper = k == C_UPPER;
            digit = k == C_DIGIT;
            punct = k == C_PUNCT;
            space = k == C_SPACE;
            if (k == C_BREAK) {
                MN_FORWARD_IF_ERROR(close_word(t, &w, at, (uint32_t)t->n_lines));
                MN_FORWARD_IF_ERROR(close_line(t, line_start, at, line_chars, line_first_word,
                                               counts, &in_paragraph));
                chars++;
                line_start = at + 1;
                line_chars = 0;
                line_first_word = (uint32_t)t->n_words;
                counts[0] = counts[1] = counts[2] = 0;
                continue;
            }
        } else {
            cp = ingest_utf8_next(text, len, &i);
            int c = category(cp);
            letter = c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
            upper = c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
            digit = c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
            punct = c >= UTF8PROC_CATEGORY_PC && c <= UTF8PROC_CATEGORY_SO;
            space = c == UTF8PROC_CATEGORY_ZS;
        }
        chars++;
        line_chars++;
        counts[0] += letter;
        counts[1] += upper;
        counts[2] += digit;
        if (space) {
            MN_FORWARD_IF_ERROR(close_word(t, &w, at, (uint32_t)t->n_lines));
            continue;
        }
        if (!w.open) {
            w = (word_state){.open = true, .start = at, .flags = INGEST_WORD_ASCII};
        }
        if (k == C_HIGH)
            w.flags &= ~(uint32_t)INGEST_WORD_ASCII;
        if (letter)
            w.flags |= INGEST_WORD_LETTER;
        if (digit)
            w.flags |= INGEST_WORD_DIGIT;
        w.chars++;
        if (!punct) {
            if (w.core_end <= w.core_start) {
                w.core_start = at;
                w.core_chars_begin = w.chars - 1;
            }
            w.core_end = (uint32_t)i;
            w.core_chars_end = w.chars;
        }
    }
    MN_FORWARD_IF_ERROR(close_word(t, &w, (uint32_t)len, (uint32_t)t->n_lines));
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
