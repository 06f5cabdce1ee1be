/* Gopher quality measures (Rae et al. 2021, appendix A.1.1) and the English statistics. */
#include <stdbool.h>
#include <string.h>

#include "ingest/filters_internal.h"

/* Lower-cases the ASCII core of a word into buf (at most `cap` bytes); returns its length,
 * or 0 when the core is empty, too long or not ASCII (no stop word is). */
static size_t lower_core(const ingest_text *t, const ingest_word *w, char *buf, size_t cap) {
    if (w->core_len == 0 || w->core_len > cap || !(w->flags & INGEST_WORD_ASCII))
        return 0;
    const char *s = t->text + w->core_start;
    for (size_t i = 0; i < w->core_len; i++) {
        char c = s[i];
        buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    return w->core_len;
}

int ingest_count_gopher_stop_words(const ingest_text *t) {
    unsigned seen = 0;
    for (size_t i = 0; i < t->n_words && seen != 0xff; i++)
        if (t->words[i].stop)
            seen |= 1u << (t->words[i].stop - 1);
    return __builtin_popcount(seen);
}

/* Frequent English function words (articles, pronouns, prepositions, conjunctions,
 * auxiliaries): in English prose they are 40-50% of the words, in other languages that
 * use the Latin script only a few percent. */
static const char *const english_stop_words[] = {
    "a",      "about",   "above",  "after",  "again",   "against", "all",   "am",      "an",
    "and",    "any",     "are",    "as",     "at",      "be",      "been",  "before",  "being",
    "below",  "between", "both",   "but",    "by",      "can",     "could", "did",     "do",
    "does",   "doing",   "down",   "during", "each",    "few",     "for",   "from",    "further",
    "had",    "has",     "have",   "having", "he",      "her",     "here",  "hers",    "herself",
    "him",    "himself", "his",    "how",    "i",       "if",      "in",    "into",    "is",
    "it",     "its",     "itself", "just",   "me",      "more",    "most",  "my",      "myself",
    "no",     "nor",     "not",    "now",    "of",      "off",     "on",    "once",    "only",
    "or",     "other",   "our",    "ours",   "out",     "over",    "own",   "same",    "she",
    "should", "so",      "some",   "such",   "than",    "that",    "the",   "their",   "theirs",
    "them",   "then",    "there",  "these",  "they",    "this",    "those", "through", "to",
    "too",    "under",   "until",  "up",     "very",    "was",     "we",    "were",    "what",
    "when",   "where",   "which",  "while",  "who",     "whom",    "why",   "will",    "with",
    "would",  "you",     "your",   "yours",  "yourself"};

enum { STOP_SLOTS = 512 }; /* power of two, > 2x the list */
static uint64_t stop_keys[STOP_SLOTS];
static const char *stop_words_at[STOP_SLOTS];
static bool stop_ready;

static void stop_init(void) {
    if (stop_ready)
        return;
    for (size_t i = 0; i < sizeof english_stop_words / sizeof english_stop_words[0]; i++) {
        const char *w = english_stop_words[i];
        uint64_t h = ingest_hash_bytes(w, strlen(w));
        size_t slot = h & (STOP_SLOTS - 1);
        while (stop_words_at[slot] != NULL)
            slot = (slot + 1) & (STOP_SLOTS - 1);
        stop_keys[slot] = h;
        stop_words_at[slot] = w;
    }
    stop_ready = true; /* benign race: the table is the same whoever builds it */
}

static bool is_english_stop(const char *w, size_t n) {
    uint64_t h = ingest_hash_bytes(w, n);
    for (size_t slot = h & (STOP_SLOTS - 1); stop_words_at[slot] != NULL;
         slot = (slot + 1) & (STOP_SLOTS - 1))
        if (stop_keys[slot] == h && strlen(stop_words_at[slot]) == n &&
            memcmp(stop_words_at[slot], w, n) == 0)
            return true;
    return false;
}

double ingest_english_stop_fraction(const ingest_text *t) {
    stop_init();
    if (t->n_words == 0)
        return 0;
    size_t hits = 0;
    char buf[16];
    for (size_t i = 0; i < t->n_words; i++) {
        size_t n = lower_core(t, &t->words[i], buf, sizeof buf);
        hits += n > 0 && is_english_stop(buf, n);
    }
    return (double)hits / (double)t->n_words;
}

static bool is_latin_letter(uint32_t cp) {
    return cp < 0x250 || (cp >= 0x1e00 && cp < 0x1f00) || (cp >= 0x2c60 && cp < 0x2c80) ||
           (cp >= 0xa720 && cp < 0xa800) || (cp >= 0xff21 && cp <= 0xff5a);
}

double ingest_latin_letter_fraction(const ingest_text *t) {
    uint64_t letters = 0, latin = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        const ingest_word *w = &t->words[i];
        if (!(w->flags & INGEST_WORD_LETTER))
            continue;
        if (w->flags & INGEST_WORD_ASCII) {
            for (uint32_t k = 0; k < w->len; k++) {
                char c = t->text[w->start + k];
                bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
                letters += letter;
                latin += letter;
            }
            continue;
        }
        size_t at = w->start, end = (size_t)w->start + w->len;
        while (at < end) {
            uint32_t cp = ingest_utf8_next(t->text, end, &at);
            if (ingest_is_letter(cp)) {
                letters++;
                latin += is_latin_letter(cp);
            }
        }
    }
    return letters ? (double)latin / (double)letters : 0;
}

/* A bullet at the start of a line: Gopher names bullet points without a list; these are
 * the characters web text uses for them. */
static bool starts_with_bullet(const char *s, size_t len) {
    static const char *const bullets[] = {"-",
                                          "*",
                                          "\xe2\x80\xa2" /* • */,
                                          "\xe2\x80\xa3" /* ‣ */,
                                          "\xe2\x81\x83" /* ⁃ */,
                                          "\xe2\x97\x8f" /* ● */,
                                          "\xe2\x97\xa6" /* ◦ */,
                                          "\xe2\x96\xaa" /* ▪ */,
                                          "\xc2\xb7" /* · */};
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    for (size_t b = 0; b < sizeof bullets / sizeof bullets[0]; b++) {
        size_t n = strlen(bullets[b]);
        if (len - i >= n && memcmp(s + i, bullets[b], n) == 0)
            return true;
    }
    return false;
}

static bool ends_with_ellipsis(const char *s, size_t len) {
    return (len >= 3 && memcmp(s + len - 3, "...", 3) == 0) ||
           (len >= 3 && memcmp(s + len - 3, "\xe2\x80\xa6", 3) == 0);
}

void ingest_quality_measure(const ingest_text *t, ingest_quality_measures *m) {
    *m = (ingest_quality_measures){0};
    size_t non_symbol = 0, alpha = 0;
    uint64_t core_chars = 0;
    for (size_t i = 0; i < t->n_words; i++) {
        const ingest_word *w = &t->words[i];
        if (w->flags & (INGEST_WORD_LETTER | INGEST_WORD_DIGIT)) {
            non_symbol++;
            core_chars += w->core_chars;
        }
        alpha += (w->flags & INGEST_WORD_LETTER) != 0;
    }
    m->non_symbol_words = (double)non_symbol;
    m->mean_word_length = non_symbol ? (double)core_chars / (double)non_symbol : 0;

    size_t hashes = t->hashes, ellipses = t->ellipses;
    const char *s = t->text;
    /* With no words at all, any '#' or ellipsis counts as an infinite ratio. */
    double words = (double)t->n_words;
    m->hash_ratio = words > 0 ? (double)hashes / words : hashes ? 1e300 : 0;
    m->ellipsis_ratio = words > 0 ? (double)ellipses / words : ellipses ? 1e300 : 0;

    size_t bullets = 0, ellipsis_end = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        const ingest_line *line = &t->lines[i];
        bullets += starts_with_bullet(s + line->start, line->len);
        ellipsis_end += ends_with_ellipsis(s + line->start, line->len);
    }
    double lines = (double)t->n_lines;
    m->bullet_lines = lines > 0 ? (double)bullets / lines : 0;
    m->ellipsis_lines = lines > 0 ? (double)ellipsis_end / lines : 0;
    m->alpha_words = words > 0 ? (double)alpha / words : 0;
    m->stop_words = ingest_count_gopher_stop_words(t);
}
