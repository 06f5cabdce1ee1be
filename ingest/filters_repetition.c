/* Gopher repetition measures (Rae et al. 2021, Table A1): duplicate lines and paragraphs,
 * the most frequent 2/3/4-gram, repeated 5..10-grams.
 *
 * n-grams are identified by a polynomial hash over word hashes computed from prefix sums
 * (once per document), so each n-gram costs O(1) whatever n; the table is an
 * open-addressing set of 16-byte slots (one cache line per probe) invalidated by bumping a
 * generation counter instead of clearing memory per document. */
#include <stdlib.h>
#include <string.h>

#include "ingest/filters_internal.h"

typedef struct ngram_slot {
    uint64_t key;
    uint32_t stamp; /* used in the current generation when stamp == generation */
    uint32_t count;
} ngram_slot;

struct ingest_ngram_table {
    ngram_slot *slots;
    uint32_t *first; /* position of the first occurrence, per slot */
    size_t capacity; /* power of two */
    uint32_t generation;
    uint64_t *prefix; /* prefix[k] = sum over words j < k of hash_j * B^(k-1-j) */
    size_t prefix_cap;
    uint32_t *slot_of; /* slot of the n-gram at each position (top n-gram pass) */
    uint8_t *covered;  /* per word: covered by a counted occurrence */
    size_t positions_cap;
    uint64_t prefix_serial; /* ingest_text.serial the prefix was built for (0: none) */
    uint64_t powers[11];    /* B^n for n <= 10 */
};

enum { NGRAM_MAX_N = 10 };
static const uint64_t ngram_base = 0x100000001b3ULL * 2 + 1; /* odd: invertible mod 2^64 */

mn_status ingest_ngram_table_create(ingest_ngram_table **out) {
    ingest_ngram_table *t = mn_calloc(1, sizeof *t);
    if (t == NULL)
        return MN_ERR_NOMEM;
    t->powers[0] = 1;
    for (int n = 1; n <= NGRAM_MAX_N; n++)
        t->powers[n] = t->powers[n - 1] * ngram_base;
    *out = t;
    return MN_OK;
}

void ingest_ngram_table_free(ingest_ngram_table *t) {
    if (t == NULL)
        return;
    free(t->slots);
    free(t->first);
    free(t->prefix);
    free(t->slot_of);
    free(t->covered);
    free(t);
}

/* Starts a new, empty set able to hold `items` keys at load factor <= 1/2. */
static mn_status table_reset(ingest_ngram_table *t, size_t items) {
    size_t need = 16;
    while (need < items * 2)
        need *= 2;
    if (need > t->capacity) {
        free(t->slots);
        free(t->first);
        t->slots = mn_calloc(need, sizeof(ngram_slot));
        t->first = mn_alloc_array(need, sizeof(uint32_t));
        if (!t->slots || !t->first) {
            t->capacity = 0;
            return MN_ERR_NOMEM;
        }
        t->capacity = need;
        t->generation = 0;
    }
    if (++t->generation == 0) {
        for (size_t i = 0; i < t->capacity; i++)
            t->slots[i].stamp = 0;
        t->generation = 1;
    }
    return MN_OK;
}

/* Finds `key`; inserts it (count 0, first = pos) when absent. Returns the slot. */
static inline size_t table_slot(ingest_ngram_table *t, uint64_t key, uint32_t pos, bool *found) {
    size_t mask = t->capacity - 1, i = (size_t)(key ^ (key >> 29)) & mask;
    for (;;) {
        ngram_slot *s = &t->slots[i];
        if (s->stamp != t->generation) {
            s->stamp = t->generation;
            s->key = key;
            s->count = 0;
            t->first[i] = pos;
            *found = false;
            return i;
        }
        if (s->key == key) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
}

static mn_status build_prefix(ingest_ngram_table *t, const ingest_text *text) {
    if (t->prefix_serial == text->serial && text->serial != 0)
        return MN_OK;
    size_t need = text->n_words + 1;
    if (need > t->prefix_cap) {
        void *p = t->prefix;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, need, sizeof(uint64_t)));
        t->prefix = p;
        t->prefix_cap = need;
    }
    uint64_t h = 0;
    t->prefix[0] = 0;
    for (size_t k = 0; k < text->n_words; k++) {
        h = h * ngram_base + text->words[k].hash;
        t->prefix[k + 1] = h;
    }
    t->prefix_serial = text->serial;
    return MN_OK;
}

static inline uint64_t ngram_key(const ingest_ngram_table *t, size_t i, int n) {
    uint64_t h = t->prefix[i + (size_t)n] - t->prefix[i] * t->powers[n];
    return mn_mix64(h ^ (uint64_t)n);
}

/* Adds the characters of words [from, to) not yet counted (those before *covered_end are)
 * and moves *covered_end to `to`. */
static uint64_t cover(const ingest_text *t, size_t from, size_t to, size_t *covered_end) {
    uint64_t chars = 0;
    size_t start = from > *covered_end ? from : *covered_end;
    for (size_t k = start; k < to; k++)
        chars += t->words[k].chars;
    if (to > *covered_end)
        *covered_end = to;
    return chars;
}

static mn_status positions_reserve(ingest_ngram_table *t, size_t words) {
    if (words <= t->positions_cap)
        return MN_OK;
    size_t cap = words + words / 2 + 64;
    void *a = t->slot_of, *b = t->covered;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&a, cap, sizeof(uint32_t)));
    t->slot_of = a;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&b, cap, 1));
    t->covered = b;
    t->positions_cap = cap;
    return MN_OK;
}

/* Characters of the words whose `covered` flag is set. */
static uint64_t covered_chars(const ingest_ngram_table *table, const ingest_text *t) {
    uint64_t chars = 0;
    for (size_t k = 0; k < t->n_words; k++)
        chars += table->covered[k] ? t->words[k].chars : 0;
    return chars;
}

mn_status ingest_top_ngram_measure(ingest_ngram_table *table, const ingest_text *t, int n,
                                   double *top, double *repeated) {
    *top = 0;
    if (repeated != NULL)
        *repeated = 0;
    if (n < 1 || n > NGRAM_MAX_N || t->n_words < (size_t)n || t->word_chars == 0)
        return MN_OK;
    size_t count = t->n_words - (size_t)n + 1;
    MN_FORWARD_IF_ERROR(table_reset(table, count));
    MN_FORWARD_IF_ERROR(build_prefix(table, t));
    MN_FORWARD_IF_ERROR(positions_reserve(table, t->n_words));
    uint32_t best_count = 0, best_first = 0, best_slot = 0;
    for (size_t i = 0; i < count; i++) {
        bool found;
        size_t slot = table_slot(table, ngram_key(table, i, n), (uint32_t)i, &found);
        table->slot_of[i] = (uint32_t)slot;
        uint32_t c = ++table->slots[slot].count;
        uint32_t first = table->first[slot];
        if (c > best_count || (c == best_count && first < best_first)) {
            best_count = c;
            best_first = first;
            best_slot = (uint32_t)slot;
        }
    }
    if (best_count < 2)
        return MN_OK; /* nothing repeats: both measures are 0 */
    /* Coverage of the top n-gram's occurrences, then of every repeated n-gram's: flags per
     * word, so overlapping occurrences count each character once. */
    memset(table->covered, 0, t->n_words);
    for (size_t i = best_first; i < count; i++)
        if (table->slot_of[i] == best_slot)
            memset(table->covered + i, 1, (size_t)n);
    *top = (double)covered_chars(table, t) / (double)t->word_chars;
    if (repeated != NULL) {
        for (size_t i = 0; i < count; i++)
            if (table->slots[table->slot_of[i]].count >= 2)
                memset(table->covered + i, 1, (size_t)n);
        *repeated = (double)covered_chars(table, t) / (double)t->word_chars;
    }
    return MN_OK;
}

mn_status ingest_top_ngram_fraction(ingest_ngram_table *table, const ingest_text *t, int n,
                                    double *fraction) {
    return ingest_top_ngram_measure(table, t, n, fraction, NULL);
}

mn_status ingest_dup_ngram_fraction(ingest_ngram_table *table, const ingest_text *t, int n,
                                    double *fraction) {
    *fraction = 0;
    if (n < 1 || n > NGRAM_MAX_N || t->n_words < (size_t)n || t->word_chars == 0)
        return MN_OK;
    size_t count = t->n_words - (size_t)n + 1;
    MN_FORWARD_IF_ERROR(table_reset(table, count));
    MN_FORWARD_IF_ERROR(build_prefix(table, t));
    size_t covered_end = 0;
    uint64_t chars = 0;
    for (size_t i = 0; i < count; i++) {
        bool found;
        table_slot(table, ngram_key(table, i, n), (uint32_t)i, &found);
        if (found)
            chars += cover(t, i, i + (size_t)n, &covered_end);
    }
    *fraction = (double)chars / (double)t->word_chars;
    return MN_OK;
}

mn_status ingest_dup_lines_measure(ingest_ngram_table *table, const ingest_text *t,
                                   ingest_dup_measures *m) {
    *m = (ingest_dup_measures){0};
    double total_chars = (double)t->chars;
    if (t->n_lines > 0) {
        MN_FORWARD_IF_ERROR(table_reset(table, t->n_lines));
        size_t dup = 0;
        uint64_t chars = 0;
        for (size_t i = 0; i < t->n_lines; i++) {
            bool found;
            table_slot(table, t->lines[i].hash, (uint32_t)i, &found);
            if (found) {
                dup++;
                chars += t->lines[i].chars;
            }
        }
        m->line_fraction = (double)dup / (double)t->n_lines;
        m->line_chars = total_chars > 0 ? (double)chars / total_chars : 0;
    }
    if (t->n_paragraphs > 0) {
        MN_FORWARD_IF_ERROR(table_reset(table, t->n_paragraphs));
        size_t dup = 0;
        uint64_t chars = 0;
        for (size_t i = 0; i < t->n_paragraphs; i++) {
            bool found;
            table_slot(table, t->paragraphs[i].hash, (uint32_t)i, &found);
            if (found) {
                dup++;
                chars += t->paragraphs[i].chars;
            }
        }
        m->paragraph_fraction = (double)dup / (double)t->n_paragraphs;
        m->paragraph_chars = total_chars > 0 ? (double)chars / total_chars : 0;
    }
    return MN_OK;
}
