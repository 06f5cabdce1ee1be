/* Gopher repetition measures (Rae et al. 2021, Table A1): duplicate lines and paragraphs,
 * the most frequent 2/3/4-gram, repeated 5..10-grams.
 *
 * n-grams are identified by a polynomial hash over word hashes computed from prefix sums,
 * so each n-gram costs O(1) whatever n; the table is an open-addressing set whose slots are
 * invalidated by bumping a generation counter instead of clearing memory per document. */
#include <stdlib.h>
#include <string.h>

#include "ingest/filters_internal.h"

struct ingest_ngram_table {
    uint64_t *keys;
    uint32_t *stamps; /* slot is used in the current generation when stamp == generation */
    uint32_t *counts;
    uint32_t *first; /* position of the first occurrence */
    size_t capacity; /* power of two */
    uint32_t generation;
    uint64_t *prefix; /* prefix[k] = sum over words j < k of hash_j * B^(k-1-j) */
    uint64_t *powers; /* B^n for n <= 10 */
    size_t prefix_cap;
};

enum { NGRAM_MAX_N = 10 };
static const uint64_t ngram_base = 0x100000001b3ULL * 2 + 1; /* odd: invertible mod 2^64 */

mn_status ingest_ngram_table_create(ingest_ngram_table **out) {
    ingest_ngram_table *t = mn_calloc(1, sizeof *t);
    if (t == NULL)
        return MN_ERR_NOMEM;
    t->powers = mn_alloc_array(NGRAM_MAX_N + 1, sizeof(uint64_t));
    if (t->powers == NULL) {
        free(t);
        return MN_ERR_NOMEM;
    }
    t->powers[0] = 1;
    for (int n = 1; n <= NGRAM_MAX_N; n++)
        t->powers[n] = t->powers[n - 1] * ngram_base;
    *out = t;
    return MN_OK;
}

void ingest_ngram_table_free(ingest_ngram_table *t) {
    if (t == NULL)
        return;
    free(t->keys);
    free(t->stamps);
    free(t->counts);
    free(t->first);
    free(t->prefix);
    free(t->powers);
    free(t);
}

/* Starts a new, empty set able to hold `items` keys at load factor <= 1/2. */
static mn_status table_reset(ingest_ngram_table *t, size_t items) {
    size_t need = 16;
    while (need < items * 2)
        need *= 2;
    if (need > t->capacity) {
        free(t->keys);
        free(t->stamps);
        free(t->counts);
        free(t->first);
        t->keys = mn_alloc_array(need, sizeof(uint64_t));
        t->stamps = mn_calloc(need, sizeof(uint32_t));
        t->counts = mn_alloc_array(need, sizeof(uint32_t));
        t->first = mn_alloc_array(need, sizeof(uint32_t));
        if (!t->keys || !t->stamps || !t->counts || !t->first) {
            t->capacity = 0;
            return MN_ERR_NOMEM;
        }
        t->capacity = need;
        t->generation = 0;
    }
    if (++t->generation == 0) {
        memset(t->stamps, 0, t->capacity * sizeof(uint32_t));
        t->generation = 1;
    }
    return MN_OK;
}

/* Finds `key`; inserts it (count 0, first = pos) when absent. Returns the slot. */
static size_t table_slot(ingest_ngram_table *t, uint64_t key, uint32_t pos, bool *found) {
    size_t mask = t->capacity - 1, i = (size_t)(key ^ (key >> 29)) & mask;
    while (t->stamps[i] == t->generation) {
        if (t->keys[i] == key) {
            *found = true;
            return i;
        }
        i = (i + 1) & mask;
    }
    t->stamps[i] = t->generation;
    t->keys[i] = key;
    t->counts[i] = 0;
    t->first[i] = pos;
    *found = false;
    return i;
}

static mn_status build_prefix(ingest_ngram_table *t, const ingest_text *text) {
    size_t need = text->n_words + 1;
    if (need > t->prefix_cap) {
        void *p = t->prefix;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, need, sizeof(uint64_t)));
        t->prefix = p;
        t->prefix_cap = need;
    }
    t->prefix[0] = 0;
    for (size_t k = 0; k < text->n_words; k++)
        t->prefix[k + 1] = t->prefix[k] * ngram_base + text->words[k].hash;
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

mn_status ingest_top_ngram_fraction(ingest_ngram_table *table, const ingest_text *t, int n,
                                    double *fraction) {
    *fraction = 0;
    if (n < 1 || n > NGRAM_MAX_N || t->n_words < (size_t)n || t->word_chars == 0)
        return MN_OK;
    size_t count = t->n_words - (size_t)n + 1;
    MN_FORWARD_IF_ERROR(table_reset(table, count));
    MN_FORWARD_IF_ERROR(build_prefix(table, t));
    uint32_t best_count = 0, best_first = 0;
    uint64_t best_key = 0;
    for (size_t i = 0; i < count; i++) {
        bool found;
        uint64_t key = ngram_key(table, i, n);
        size_t slot = table_slot(table, key, (uint32_t)i, &found);
        uint32_t c = ++table->counts[slot];
        uint32_t first = table->first[slot];
        if (c > best_count || (c == best_count && first < best_first)) {
            best_count = c;
            best_first = first;
            best_key = key;
        }
    }
    if (best_count < 2)
        return MN_OK;
    size_t covered_end = 0;
    uint64_t chars = 0;
    for (size_t i = best_first; i < count; i++)
        if (ngram_key(table, i, n) == best_key)
            chars += cover(t, i, i + (size_t)n, &covered_end);
    *fraction = (double)chars / (double)t->word_chars;
    return MN_OK;
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
