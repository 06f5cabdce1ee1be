/* One pass over a normalised document that finds its words, lines and paragraphs with the
 * statistics the quality filters need, so that each filter reads arrays instead of
 * re-scanning the text.
 *
 * Definitions used by every filter (docs/ingest.md repeats them for users):
 *  - character: a Unicode code point;
 *  - word: a maximal run of characters that are not white space (ASCII space, tab, line
 *    break, or a Unicode space separator such as U+00A0); its "core" is the word without
 *    leading and trailing punctuation (Unicode categories P*), e.g. `"Hello,"` -> `Hello`;
 *  - letter: Unicode categories L*; digit: N*; a word "has a letter" when any character is
 *    a letter, and is a "symbol word" when it has neither a letter nor a digit;
 *  - line: text between line breaks; empty lines are not lines but paragraph separators;
 *  - paragraph: a maximal run of lines without an empty line between them.
 * Offsets are 32-bit, so a document is at most 4 GiB - 1 bytes (mnemo-ingest caps records
 * at 1 GiB).
 */
#ifndef MNEMO_INGEST_TEXT_H
#define MNEMO_INGEST_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "common/error.h"
#include "common/mem.h"

enum {
    INGEST_WORD_LETTER = 1, /* has a letter */
    INGEST_WORD_DIGIT = 2,  /* has a digit */
    INGEST_WORD_ASCII = 4,  /* only ASCII bytes */
};

typedef struct ingest_word {
    uint32_t start, len;           /* bytes of the word in the text */
    uint32_t core_start, core_len; /* bytes of its core (may be empty) */
    uint32_t chars, core_chars;    /* code points of word and core */
    uint32_t line;                 /* index into lines */
    uint8_t flags;                 /* INGEST_WORD_* */
    uint8_t stop;  /* 1 + index of the Gopher stop word it is (case-insensitive core), or 0 */
    uint64_t hash; /* of the word's bytes; equal words, equal hashes */
} ingest_word;

typedef struct ingest_line {
    uint32_t start, len; /* bytes, without the line break */
    uint32_t chars;
    uint32_t first_word, n_words;
    uint32_t paragraph;
    uint32_t letters, upper, digits; /* counts of characters */
    uint64_t hash;                   /* of the line's bytes */
} ingest_line;

typedef struct ingest_paragraph {
    uint32_t start, len; /* bytes from its first line's start to its last line's end */
    uint32_t chars;
    uint32_t first_line, n_lines;
    uint64_t hash;
} ingest_paragraph;

typedef struct ingest_text {
    const char *text;
    size_t len;
    uint64_t chars;      /* code points in the whole text */
    uint64_t word_chars; /* code points inside words */
    ingest_word *words;
    size_t n_words, cap_words;
    ingest_line *lines;
    size_t n_lines, cap_lines;
    ingest_paragraph *paragraphs;
    size_t n_paragraphs, cap_paragraphs;
    uint64_t serial;   /* changes with every analysis (caches key on it) */
    uint32_t hashes;   /* '#' characters */
    uint32_t ellipses; /* "..." (non-overlapping) and U+2026 */
} ingest_text;

/* Analyses `len` bytes of normalised, valid UTF-8 `text` (the pointer is kept in t->text).
 * Arrays are reused between calls; zero-initialise `t` once, ingest_text_free at the end. */
mn_status ingest_text_analyze(ingest_text *t, const char *text, size_t len);
void ingest_text_free(ingest_text *t);

/* Hash of a byte string as used for word and line hashes: 8 bytes at a time through the
 * splitmix64 finaliser, fast for the short strings it is used on and well mixed for hash
 * tables. Inline: it runs once per word. */
static inline uint64_t ingest_hash_bytes(const void *data, size_t len) {
    const uint8_t *p = (const uint8_t *)data;
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

/* Decodes the code point at text[*at] (valid UTF-8 assumed; a stray byte decodes as itself)
 * and advances *at. */
uint32_t ingest_utf8_next(const char *text, size_t len, size_t *at);

/* Character classes of a code point. */
bool ingest_is_letter(uint32_t cp);
bool ingest_is_upper(uint32_t cp);
bool ingest_is_digit(uint32_t cp);
bool ingest_is_punct(uint32_t cp);
bool ingest_is_space(uint32_t cp); /* ASCII white space or a Unicode space separator */

#endif
