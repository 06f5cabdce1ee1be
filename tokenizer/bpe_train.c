/* BPE training: unique pre-token counts and the incremental merge learner.
 *
 * The learner keeps, for every adjacent pair of symbols, its weighted count and the list
 * of words it occurs in (pair -> word index), and a max-heap of (count, pair). A merge
 * rewrites only the words on the merged pair's list and updates the counts of the pairs
 * those words lose and gain, so each merge costs what it changes, not a rescan of all
 * words. Heap entries are lazy: a popped entry whose count is out of date is pushed again
 * with the current count (counts of existing pairs only fall; pairs that gain are pushed
 * when they gain), so the first up-to-date entry popped is the true maximum under the
 * order (count desc, left id asc, right id asc).
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"
#include "tokenizer/tok_internal.h"

/* ---- word counts ---- */

typedef struct word_entry {
    uint64_t hash;
    uint64_t offset; /* into pool */
    uint32_t len;
    uint64_t count;
} word_entry;

struct tok_word_counts {
    word_entry *entries;
    size_t n, cap;
    uint32_t *slots; /* entry index + 1; 0 = empty */
    size_t mask;
    mn_buf pool;
    uint64_t total;
};

mn_status tok_word_counts_create(tok_word_counts **out) {
    *out = mn_calloc(1, sizeof **out);
    return *out ? MN_OK : MN_ERR_NOMEM;
}

void tok_word_counts_free(tok_word_counts *wc) {
    if (wc == NULL)
        return;
    free(wc->entries);
    free(wc->slots);
    mn_buf_free(&wc->pool);
    free(wc);
}

static mn_status rehash(tok_word_counts *wc, size_t slots) {
    uint32_t *table = mn_calloc(slots, sizeof *table);
    if (table == NULL)
        return MN_ERR_NOMEM;
    for (size_t i = 0; i < wc->n; i++) {
        size_t j = wc->entries[i].hash & (slots - 1);
        while (table[j])
            j = (j + 1) & (slots - 1);
        table[j] = (uint32_t)(i + 1);
    }
    free(wc->slots);
    wc->slots = table;
    wc->mask = slots - 1;
    return MN_OK;
}

mn_status tok_word_counts_add(tok_word_counts *wc, const uint8_t *word, size_t len,
                              uint64_t count) {
    MN_RETURN_ERROR_IF(len == 0 || len > UINT32_MAX, MN_ERR_ARG, "bad word length %zu", len);
    if ((wc->n + 1) * 2 > wc->mask + 1 || wc->slots == NULL)
        MN_FORWARD_IF_ERROR(rehash(wc, wc->slots ? (wc->mask + 1) * 2 : 1024));
    MN_RETURN_ERROR_IF(wc->n >= UINT32_MAX - 1, MN_ERR_LIMIT, "more than 4 billion unique words");
    uint64_t h = tok__hash_bytes(word, len);
    size_t j = h & wc->mask;
    while (wc->slots[j]) {
        word_entry *e = &wc->entries[wc->slots[j] - 1];
        if (e->hash == h && e->len == len && memcmp(wc->pool.data + e->offset, word, len) == 0) {
            e->count += count;
            wc->total += count;
            return MN_OK;
        }
        j = (j + 1) & wc->mask;
    }
    if (wc->n == wc->cap) {
        size_t cap = wc->cap ? wc->cap * 2 : 1024;
        void *p = wc->entries;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, sizeof *wc->entries));
        wc->entries = p;
        wc->cap = cap;
    }
    word_entry *e = &wc->entries[wc->n];
    e->hash = h;
    e->offset = wc->pool.len;
    e->len = (uint32_t)len;
    e->count = count;
    MN_FORWARD_IF_ERROR(mn_buf_append(&wc->pool, word, len));
    wc->slots[j] = (uint32_t)(++wc->n);
    wc->total += count;
    return MN_OK;
}

mn_status tok_word_counts_add_text(tok_word_counts *wc, tok_pretokenizer kind, const uint8_t *text,
                                   size_t len) {
    tok__pretok_init();
    size_t pos = 0;
    while (pos < len) {
        size_t end = tok__pretok_next_fast(kind, text, len, pos);
        MN_FORWARD_IF_ERROR(tok_word_counts_add(wc, text + pos, end - pos, 1));
        pos = end;
    }
    return MN_OK;
}

size_t tok_word_counts_size(const tok_word_counts *wc) {
    return wc->n;
}

uint64_t tok_word_counts_total(const tok_word_counts *wc) {
    return wc->total;
}

size_t tok_word_counts_memory(const tok_word_counts *wc) {
    /* What the words need (entries, table, bytes), not the capacity reserved. */
    return wc->n * sizeof(word_entry) + (wc->slots ? (wc->mask + 1) * sizeof(uint32_t) : 0) +
           wc->pool.len;
}

void tok_word_counts_at(const tok_word_counts *wc, size_t i, const uint8_t **word, size_t *len,
                        uint64_t *count) {
    *word = wc->pool.data + wc->entries[i].offset;
    *len = wc->entries[i].len;
    *count = wc->entries[i].count;
}

mn_status tok_word_counts_prune(tok_word_counts *wc, uint64_t min_count, size_t *dropped_out) {
    size_t kept = 0, dropped = 0;
    *dropped_out = 0;
    for (size_t i = 0; i < wc->n; i++) {
        word_entry e = wc->entries[i];
        if (e.count < min_count) {
            wc->total -= e.count;
            dropped++;
            continue;
        }
        wc->entries[kept++] = e;
    }
    if (dropped == 0)
        return MN_OK;
    wc->n = kept;
    *dropped_out = dropped;
    /* Compact the pool into a fresh buffer; on an allocation failure keep the old one
     * (offsets stay valid, only the memory is not returned). */
    mn_buf fresh = {0};
    if (mn_buf_reserve(&fresh, wc->pool.len + 1) == MN_OK) {
        for (size_t i = 0; i < kept; i++) {
            word_entry *e = &wc->entries[i];
            uint64_t offset = fresh.len;
            mn_buf_append(&fresh, wc->pool.data + e->offset, e->len); /* reserved: no fail */
            e->offset = offset;
        }
        mn_buf_free(&wc->pool);
        wc->pool = fresh;
    }
    size_t slots = 1024;
    while (slots < kept * 2)
        slots *= 2;
    return rehash(wc, slots);
}

static mn_status put_varint(mn_buf *out, uint64_t v) {
    uint8_t buf[10];
    size_t n = 0;
    do {
        buf[n++] = (uint8_t)((v & 0x7f) | (v >= 0x80 ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return mn_buf_append(out, buf, n);
}

static bool get_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *v) {
    uint64_t value = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = data[(*pos)++];
        value |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = value;
            return true;
        }
    }
    return false;
}

mn_status tok_word_counts_pack(const tok_word_counts *wc, uint32_t part, uint32_t parts,
                               mn_buf *out) {
    for (size_t i = 0; i < wc->n; i++) {
        const word_entry *e = &wc->entries[i];
        if (parts > 1 && mn_xxh64(wc->pool.data + e->offset, e->len, 0) % parts != part)
            continue;
        MN_FORWARD_IF_ERROR(put_varint(out, e->len));
        MN_FORWARD_IF_ERROR(mn_buf_append(out, wc->pool.data + e->offset, e->len));
        MN_FORWARD_IF_ERROR(put_varint(out, e->count));
    }
    return MN_OK;
}

mn_status tok_word_counts_unpack(tok_word_counts *wc, const uint8_t *data, size_t len,
                                 const char *what) {
    size_t pos = 0;
    while (pos < len) {
        uint64_t n, count;
        size_t at = pos;
        MN_RETURN_ERROR_IF(!get_varint(data, len, &pos, &n) || n == 0 || n > len - pos,
                           MN_ERR_FORMAT, "%s: bad word length at byte %zu", what, at);
        const uint8_t *word = data + pos;
        pos += n;
        MN_RETURN_ERROR_IF(!get_varint(data, len, &pos, &count), MN_ERR_FORMAT,
                           "%s: bad count at byte %zu", what, pos);
        MN_FORWARD_IF_ERROR(tok_word_counts_add(wc, word, n, count));
    }
    return MN_OK;
}

/* ---- the merge learner ---- */

typedef struct pair_info {
    uint32_t left, right;
    int64_t count;
    uint32_t *words; /* indices of words that contain (or contained) the pair */
    uint32_t n_words, cap_words;
    uint32_t pushed_at; /* merge step of the last push after a gain (dedup) */
} pair_info;

typedef struct heap_entry {
    int64_t count;
    uint32_t left, right;
} heap_entry;

typedef struct learner {
    /* words */
    uint32_t *symbols; /* all words' symbols, word w at sym_offset[w], length sym_len[w] */
    uint64_t *sym_offset;
    uint32_t *sym_len;
    uint64_t *word_count;
    uint32_t *word_seen; /* merge step that last rewrote the word (dedup of pair lists) */
    size_t n_words;
    /* pairs */
    mn_map64 pair_index; /* (left << 32 | right) -> index into pairs */
    pair_info *pairs;
    size_t n_pairs, cap_pairs;
    heap_entry *heap;
    size_t heap_size, heap_cap;
    /* tokens: bytes of each id */
    mn_buf token_pool;
    uint64_t *token_offset;
    uint32_t *token_len;
    uint32_t n_tokens, cap_tokens;
    mn_map64 token_by_hash; /* xxh3 of bytes -> id (collisions checked by bytes) */
    uint64_t pair_updates;
} learner;

static bool heap_less(const heap_entry *x, const heap_entry *y) {
    /* "x below y" in the max-heap: smaller count, or equal count and larger pair. */
    if (x->count != y->count)
        return x->count < y->count;
    if (x->left != y->left)
        return x->left > y->left;
    return x->right > y->right;
}

static mn_status heap_push(learner *L, heap_entry e) {
    if (L->heap_size == L->heap_cap) {
        size_t cap = L->heap_cap ? L->heap_cap * 2 : 4096;
        void *p = L->heap;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, sizeof *L->heap));
        L->heap = p;
        L->heap_cap = cap;
    }
    size_t i = L->heap_size++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_less(&L->heap[parent], &e))
            break;
        L->heap[i] = L->heap[parent];
        i = parent;
    }
    L->heap[i] = e;
    return MN_OK;
}

static heap_entry heap_pop(learner *L) {
    heap_entry top = L->heap[0], last = L->heap[--L->heap_size];
    size_t n = L->heap_size, i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && heap_less(&L->heap[c], &L->heap[c + 1]))
            c++;
        if (!heap_less(&last, &L->heap[c]))
            break;
        L->heap[i] = L->heap[c];
        i = c;
    }
    if (n > 0)
        L->heap[i] = last;
    return top;
}

static mn_status pair_get(learner *L, uint32_t left, uint32_t right, pair_info **out) {
    uint64_t key = ((uint64_t)left << 32) | right;
    uint64_t *index = mn_map64_get(&L->pair_index, key);
    if (index != NULL) {
        *out = &L->pairs[*index];
        return MN_OK;
    }
    if (L->n_pairs == L->cap_pairs) {
        size_t cap = L->cap_pairs ? L->cap_pairs * 2 : 4096;
        void *p = L->pairs;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, sizeof *L->pairs));
        L->pairs = p;
        L->cap_pairs = cap;
    }
    MN_FORWARD_IF_ERROR(mn_map64_put(&L->pair_index, key, L->n_pairs));
    pair_info *p = &L->pairs[L->n_pairs++];
    *p = (pair_info){left, right, 0, NULL, 0, 0, UINT32_MAX};
    *out = p;
    return MN_OK;
}

static mn_status pair_add_word(pair_info *p, uint32_t word) {
    if (p->n_words > 0 && p->words[p->n_words - 1] == word)
        return MN_OK;
    if (p->n_words == p->cap_words) {
        uint32_t cap = p->cap_words ? p->cap_words * 2 : 4;
        void *q = p->words;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&q, cap, sizeof *p->words));
        p->words = q;
        p->cap_words = cap;
    }
    p->words[p->n_words++] = word;
    return MN_OK;
}

static mn_status token_add(learner *L, const uint8_t *bytes, size_t len, uint32_t *id) {
    if (L->n_tokens == L->cap_tokens) {
        uint32_t cap = L->cap_tokens ? L->cap_tokens * 2 : 1024;
        void *o = L->token_offset, *l = L->token_len;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&o, cap, sizeof *L->token_offset));
        L->token_offset = o;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&l, cap, sizeof *L->token_len));
        L->token_len = l;
        L->cap_tokens = cap;
    }
    uint32_t t = L->n_tokens++;
    L->token_offset[t] = L->token_pool.len;
    L->token_len[t] = (uint32_t)len;
    MN_FORWARD_IF_ERROR(mn_buf_append(&L->token_pool, bytes, len));
    /* Open addressing on the hash: probe h, h+1, ... until a free key. */
    uint64_t h = tok__hash_bytes(bytes, len);
    while (mn_map64_get(&L->token_by_hash, h) != NULL)
        h++;
    MN_FORWARD_IF_ERROR(mn_map64_put(&L->token_by_hash, h, t));
    *id = t;
    return MN_OK;
}

static uint32_t token_find(const learner *L, const uint8_t *bytes, size_t len) {
    uint64_t h = tok__hash_bytes(bytes, len);
    for (;;) {
        uint64_t *v = mn_map64_get(&L->token_by_hash, h);
        if (v == NULL)
            return TOK_NO_ID;
        uint32_t t = (uint32_t)*v;
        if (L->token_len[t] == len &&
            memcmp(L->token_pool.data + L->token_offset[t], bytes, len) == 0)
            return t;
        h++;
    }
}

static void learner_free(learner *L) {
    free(L->symbols);
    free(L->sym_offset);
    free(L->sym_len);
    free(L->word_count);
    free(L->word_seen);
    for (size_t i = 0; i < L->n_pairs; i++)
        free(L->pairs[i].words);
    free(L->pairs);
    mn_map64_free(&L->pair_index);
    free(L->heap);
    mn_buf_free(&L->token_pool);
    free(L->token_offset);
    free(L->token_len);
    mn_map64_free(&L->token_by_hash);
}

/* Adds `sign` times the word's count to every adjacent pair of word w, and records w in
 * the word lists of the pairs that contain `new_id` (of every pair when `all`). */
static mn_status count_word_pairs(learner *L, size_t w, int sign, uint32_t new_id, bool all) {
    const uint32_t *s = L->symbols + L->sym_offset[w];
    uint32_t n = L->sym_len[w];
    int64_t c = (int64_t)L->word_count[w] * sign;
    for (uint32_t i = 0; i + 1 < n; i++) {
        pair_info *p;
        MN_FORWARD_IF_ERROR(pair_get(L, s[i], s[i + 1], &p));
        p->count += c;
        L->pair_updates++;
        if (sign > 0 && (all || s[i] == new_id || s[i + 1] == new_id))
            MN_FORWARD_IF_ERROR(pair_add_word(p, (uint32_t)w));
    }
    return MN_OK;
}

mn_status tok_train_bpe(tok_tokenizer **out, const tok_word_counts *wc,
                        const tok_train_options *opt, tok_train_stats *stats) {
    *out = NULL;
    tok_train_stats local_stats = {0};
    if (stats == NULL)
        stats = &local_stats;
    *stats = (tok_train_stats){0};
    MN_RETURN_ERROR_IF(opt->vocab_size < 256 + opt->n_specials, MN_ERR_ARG,
                       "vocabulary size %u is smaller than 256 bytes + %zu special tokens",
                       opt->vocab_size, opt->n_specials);
    tok_pretokenizer kind;
    MN_FORWARD_IF_ERROR(tok_pretokenizer_parse(opt->pretokenizer, &kind));
    uint32_t wanted = opt->vocab_size - 256 - (uint32_t)opt->n_specials;
    uint64_t min_frequency = opt->min_frequency ? opt->min_frequency : 1;

    learner L = {0};
    mn_status status = MN_OK;
    uint32_t *step_pairs = NULL; /* indices of pairs that gained in a step */
    size_t n_step_pairs = 0, cap_step_pairs = 0;
    const uint8_t **bytes = NULL;
    size_t *lens = NULL;
    tok_special_def *specials = NULL;

    L.n_words = wc->n;
    uint64_t total_symbols = wc->pool.len;
    L.symbols = mn_alloc_array(total_symbols ? total_symbols : 1, sizeof *L.symbols);
    L.sym_offset = mn_alloc_array(L.n_words + 1, sizeof *L.sym_offset);
    L.sym_len = mn_alloc_array(L.n_words + 1, sizeof *L.sym_len);
    L.word_count = mn_alloc_array(L.n_words + 1, sizeof *L.word_count);
    L.word_seen = mn_alloc_array(L.n_words + 1, sizeof *L.word_seen);
    if (!L.symbols || !L.sym_offset || !L.sym_len || !L.word_count || !L.word_seen) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (int b = 0; b < 256; b++) {
        uint8_t byte = (uint8_t)b;
        uint32_t id;
        MN_GOTO_IF_ERROR(status, token_add(&L, &byte, 1, &id), done);
    }
    uint64_t at = 0;
    for (size_t w = 0; w < L.n_words; w++) {
        const word_entry *e = &wc->entries[w];
        L.sym_offset[w] = at;
        L.sym_len[w] = e->len;
        L.word_count[w] = e->count;
        L.word_seen[w] = UINT32_MAX;
        for (uint32_t i = 0; i < e->len; i++)
            L.symbols[at + i] = wc->pool.data[e->offset + i];
        at += e->len;
    }
    stats->words = L.n_words;
    for (size_t w = 0; w < L.n_words; w++)
        MN_GOTO_IF_ERROR(status, count_word_pairs(&L, w, +1, TOK_NO_ID, true), done);
    for (size_t i = 0; i < L.n_pairs; i++)
        if (L.pairs[i].count > 0)
            MN_GOTO_IF_ERROR(
                status,
                heap_push(&L, (heap_entry){L.pairs[i].count, L.pairs[i].left, L.pairs[i].right}),
                done);

    uint32_t step = 0;
    while (stats->merges < wanted && L.heap_size > 0) {
        heap_entry top = heap_pop(&L);
        pair_info *p;
        MN_GOTO_IF_ERROR(status, pair_get(&L, top.left, top.right, &p), done);
        if (p->count != top.count) {
            if (p->count > 0 && p->count < top.count)
                MN_GOTO_IF_ERROR(status, heap_push(&L, (heap_entry){p->count, top.left, top.right}),
                                 done);
            continue; /* a larger count has its own, newer entry */
        }
        if ((uint64_t)top.count < min_frequency) {
            stats->stopped_by_frequency = true;
            break;
        }
        /* The merged token's bytes; reuse the id when they are already a token. */
        uint32_t a = top.left, b = top.right;
        size_t la = L.token_len[a], lb = L.token_len[b];
        uint8_t *cat = mn_malloc(la + lb);
        if (cat == NULL) {
            status = MN_ERR_NOMEM;
            goto done;
        }
        memcpy(cat, L.token_pool.data + L.token_offset[a], la);
        memcpy(cat + la, L.token_pool.data + L.token_offset[b], lb);
        uint32_t id = token_find(&L, cat, la + lb);
        if (id == TOK_NO_ID) {
            status = token_add(&L, cat, la + lb, &id);
            stats->merges++;
        } else {
            stats->reused++;
        }
        free(cat);
        if (status != MN_OK)
            goto done;
        /* Rewrite every word on the pair's list (the list may hold words that no longer
         * contain the pair, and a word twice; both are harmless). The list is taken over
         * first: rewriting adds entries to other pairs' lists, never to this one (the
         * merged pair cannot reappear: its parts are consumed left to right). */
        uint32_t *words = p->words, n_words = p->n_words;
        p->words = NULL;
        p->n_words = p->cap_words = 0;
        n_step_pairs = 0;
        for (uint32_t k = 0; k < n_words && status == MN_OK; k++) {
            uint32_t w = words[k];
            if (L.word_seen[w] == step)
                continue;
            uint32_t *s = L.symbols + L.sym_offset[w];
            uint32_t n = L.sym_len[w];
            bool found = false;
            for (uint32_t i = 0; i + 1 < n && !found; i++)
                found = s[i] == a && s[i + 1] == b;
            if (!found)
                continue;
            L.word_seen[w] = step;
            status = count_word_pairs(&L, w, -1, id, false);
            if (status != MN_OK)
                break;
            uint32_t o = 0;
            for (uint32_t i = 0; i < n;) {
                if (i + 1 < n && s[i] == a && s[i + 1] == b) {
                    s[o++] = id;
                    i += 2;
                } else {
                    s[o++] = s[i++];
                }
            }
            L.sym_len[w] = o;
            status = count_word_pairs(&L, w, +1, id, false);
            /* Pairs that contain the new id gained: push each once after the step. */
            for (uint32_t i = 0; status == MN_OK && i + 1 < o; i++) {
                if (s[i] != id && s[i + 1] != id)
                    continue;
                uint64_t index = *mn_map64_get(&L.pair_index, ((uint64_t)s[i] << 32) | s[i + 1]);
                pair_info *q = &L.pairs[index];
                if (q->pushed_at == step)
                    continue;
                q->pushed_at = step;
                if (n_step_pairs == cap_step_pairs) {
                    size_t cap = cap_step_pairs ? cap_step_pairs * 2 : 256;
                    void *v = step_pairs;
                    status = mn_realloc_array(&v, cap, sizeof *step_pairs);
                    if (status != MN_OK)
                        break;
                    step_pairs = v;
                    cap_step_pairs = cap;
                }
                step_pairs[n_step_pairs++] = (uint32_t)index;
            }
        }
        free(words);
        if (status != MN_OK)
            goto done;
        for (size_t k = 0; k < n_step_pairs; k++) {
            pair_info *q = &L.pairs[step_pairs[k]];
            if (q->count > 0)
                MN_GOTO_IF_ERROR(status, heap_push(&L, (heap_entry){q->count, q->left, q->right}),
                                 done);
        }
        step++;
        if (opt->progress && opt->progress_every && step % opt->progress_every == 0)
            opt->progress(opt->progress_context, stats->merges, wanted);
    }
    stats->pair_updates = L.pair_updates;

    /* The tokenizer: 256 bytes, merges, then the special tokens. */
    uint32_t vocab = L.n_tokens + (uint32_t)opt->n_specials;
    bytes = mn_calloc(vocab, sizeof *bytes);
    lens = mn_calloc(vocab, sizeof *lens);
    specials = mn_calloc(opt->n_specials + 1, sizeof *specials);
    if (bytes == NULL || lens == NULL || specials == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    for (uint32_t t = 0; t < L.n_tokens; t++) {
        bytes[t] = L.token_pool.data + L.token_offset[t];
        lens[t] = L.token_len[t];
    }
    for (size_t i = 0; i < opt->n_specials; i++) {
        specials[i] = opt->specials[i];
        specials[i].id = L.n_tokens + (uint32_t)i;
    }
    tok_definition def = {.name = opt->name ? opt->name : "trained",
                          .pretokenizer = opt->pretokenizer,
                          .vocab_size = vocab,
                          .token_bytes = bytes,
                          .token_lens = lens,
                          .specials = specials,
                          .n_specials = opt->n_specials,
                          .setting_keys = opt->setting_keys,
                          .setting_values = opt->setting_values,
                          .n_settings = opt->n_settings};
    status = tok_create(out, &def);
    (void)kind;
done:
    free(bytes);
    free(lens);
    free(specials);
    free(step_pairs);
    learner_free(&L);
    return status;
}
