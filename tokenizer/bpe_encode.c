/* Byte-level BPE encoding in tiktoken's model.
 *
 * A piece (one match of the pre-tokenizer) that is itself a token becomes that token.
 * Otherwise it starts as single bytes and, while some adjacent pair of parts has a rank
 * (their concatenation is a token), the pair of lowest rank is merged, the leftmost one
 * among equals: exactly tiktoken's byte_pair_merge.
 *
 * Short pieces use tiktoken's array loop (a scan per merge: quadratic, but tiny and fast
 * for words). Long pieces use a min-heap of (rank, position) over a doubly linked list of
 * parts, with stale entries skipped when popped: each merge costs O(log n), so a 1 MB piece
 * without spaces costs O(n log n) with at most n + 2 * merges heap pushes. Both loops give
 * the same result because (rank, position of the left part) orders candidates the same way
 * tiktoken's leftmost-minimum scan does.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "tokenizer/tok_internal.h"

/* Pieces up to this many bytes use the array loop. */
#define SHORT_PIECE 48

static _Atomic uint64_t stat_pushes, stat_pops, stat_merges, stat_scans;

void tok_merge_stats_reset(void) {
    atomic_store_explicit(&stat_pushes, 0, memory_order_relaxed);
    atomic_store_explicit(&stat_pops, 0, memory_order_relaxed);
    atomic_store_explicit(&stat_merges, 0, memory_order_relaxed);
    atomic_store_explicit(&stat_scans, 0, memory_order_relaxed);
}

tok_merge_stats tok_merge_stats_get(void) {
    return (tok_merge_stats){atomic_load_explicit(&stat_pushes, memory_order_relaxed),
                             atomic_load_explicit(&stat_pops, memory_order_relaxed),
                             atomic_load_explicit(&stat_merges, memory_order_relaxed),
                             atomic_load_explicit(&stat_scans, memory_order_relaxed)};
}

static inline void stat_add(_Atomic uint64_t *counter, uint64_t n) {
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

void tok__scratch_free(tok_scratch *scratch) {
    free(scratch->data);
    *scratch = (tok_scratch){0};
}

static mn_status scratch_get(tok_scratch *scratch, size_t bytes, void **out) {
    if (scratch->capacity < bytes) {
        free(scratch->data);
        scratch->capacity = 0;
        scratch->data = mn_malloc(bytes);
        if (scratch->data == NULL)
            return MN_ERR_NOMEM;
        scratch->capacity = bytes;
    }
    *out = scratch->data;
    return MN_OK;
}

static mn_status bpe_short(const tok_tokenizer *t, const uint8_t *piece, size_t n, tok_ids *out) {
    uint32_t ids[SHORT_PIECE], ranks[SHORT_PIECE];
    for (size_t i = 0; i < n; i++)
        ids[i] = t->byte_id[piece[i]];
    for (size_t i = 0; i + 1 < n; i++)
        ranks[i] = tok__pair(t, ids[i], ids[i + 1]);
    size_t count = n;
    uint64_t scans = n, merges = 0;
    for (;;) {
        uint32_t best = TOK_NO_ID;
        size_t at = 0;
        for (size_t i = 0; i + 1 < count; i++) {
            if (ranks[i] < best) {
                best = ranks[i];
                at = i;
            }
        }
        scans += count;
        if (best == TOK_NO_ID)
            break;
        merges++;
        ids[at] = best;
        memmove(ids + at + 1, ids + at + 2, (count - at - 2) * sizeof *ids);
        memmove(ranks + at + 1, ranks + at + 2,
                (count >= at + 3 ? count - at - 3 : 0) * sizeof *ranks);
        count--;
        if (at + 1 < count)
            ranks[at] = tok__pair(t, ids[at], ids[at + 1]);
        if (at > 0)
            ranks[at - 1] = tok__pair(t, ids[at - 1], ids[at]);
    }
    stat_add(&stat_scans, scans);
    stat_add(&stat_merges, merges);
    MN_FORWARD_IF_ERROR(tok__ids_reserve(out, count));
    memcpy(out->ids + out->count, ids, count * sizeof *ids);
    out->count += count;
    return MN_OK;
}

/* Min-heap of keys (rank << 32 | position). */
static inline void heap_push(uint64_t *heap, size_t *size, uint64_t key) {
    size_t i = (*size)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (heap[parent] <= key)
            break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = key;
}

static inline uint64_t heap_pop(uint64_t *heap, size_t *size) {
    uint64_t top = heap[0];
    uint64_t last = heap[--(*size)];
    size_t n = *size, i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && heap[child + 1] < heap[child])
            child++;
        if (heap[child] >= last)
            break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0)
        heap[i] = last;
    return top;
}

static mn_status bpe_long(const tok_tokenizer *t, const uint8_t *piece, size_t n,
                          tok_scratch *scratch, tok_ids *out) {
    MN_RETURN_ERROR_IF(n >= UINT32_MAX, MN_ERR_LIMIT,
                       "a pre-tokenizer piece of %zu bytes is longer than 4 GiB", n);
    /* Per part (indexed by its first byte): id, next, prev, rank of (part, next). The heap
     * holds at most n initial entries plus 2 per merge (< n merges). */
    size_t heap_cap = 3 * n;
    void *mem;
    MN_FORWARD_IF_ERROR(scratch_get(scratch, n * 4 * sizeof(uint32_t) + heap_cap * 8, &mem));
    uint64_t *heap = mem;
    uint32_t *id = (uint32_t *)(heap + heap_cap);
    uint32_t *next = id + n, *prev = next + n, *rank = prev + n;
    size_t size = 0;
    uint64_t pushes = 0, pops = 0, merges = 0;
    for (size_t i = 0; i < n; i++) {
        id[i] = t->byte_id[piece[i]];
        next[i] = (uint32_t)(i + 1);
        prev[i] = i ? (uint32_t)(i - 1) : UINT32_MAX;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        rank[i] = tok__pair(t, id[i], id[i + 1]);
        if (rank[i] != TOK_NO_ID) {
            heap_push(heap, &size, ((uint64_t)rank[i] << 32) | i);
            pushes++;
        }
    }
    rank[n - 1] = TOK_NO_ID;
    while (size > 0) {
        uint64_t key = heap_pop(heap, &size);
        pops++;
        uint32_t r = (uint32_t)(key >> 32), i = (uint32_t)key;
        /* Stale when the part died (id cleared) or its pair changed since the push. */
        if (id[i] == TOK_NO_ID || rank[i] != r)
            continue;
        uint32_t j = next[i];
        merges++;
        id[i] = r;
        id[j] = TOK_NO_ID;
        rank[j] = TOK_NO_ID;
        uint32_t k = next[j];
        next[i] = k;
        if (k < n)
            prev[k] = i;
        rank[i] = k < n ? tok__pair(t, id[i], id[k]) : TOK_NO_ID;
        if (rank[i] != TOK_NO_ID) {
            heap_push(heap, &size, ((uint64_t)rank[i] << 32) | i);
            pushes++;
        }
        uint32_t p = prev[i];
        if (p != UINT32_MAX) {
            rank[p] = tok__pair(t, id[p], id[i]);
            if (rank[p] != TOK_NO_ID) {
                heap_push(heap, &size, ((uint64_t)rank[p] << 32) | p);
                pushes++;
            }
        }
    }
    stat_add(&stat_pushes, pushes);
    stat_add(&stat_pops, pops);
    stat_add(&stat_merges, merges);
    for (uint32_t i = 0; i < n; i = next[i])
        MN_FORWARD_IF_ERROR(tok__ids_push(out, id[i]));
    return MN_OK;
}

mn_status tok__bpe_piece(const tok_tokenizer *t, const uint8_t *piece, size_t len,
                         tok_scratch *scratch, tok_ids *out) {
    if (len <= SHORT_PIECE)
        return bpe_short(t, piece, len, out);
    return bpe_long(t, piece, len, scratch, out);
}

/* ---- piece cache of tok_encoder ---- */

#define CACHE_MAX_PIECE 64
#define CACHE_SLOTS     (1u << 16)
#define CACHE_ID_POOL   (1u << 20)

typedef struct cache_slot {
    uint64_t hash;
    uint32_t piece_offset; /* into cache_bytes */
    uint16_t piece_len;    /* 0 = empty */
    uint16_t id_count;
    uint32_t id_offset; /* into cache_ids */
} cache_slot;

struct tok_encoder {
    const tok_tokenizer *tokenizer;
    tok_scratch scratch;
    tok_ids tmp;
    cache_slot *slots;
    uint8_t *bytes;
    uint32_t *ids;
    size_t bytes_used, ids_used, entries;
};

mn_status tok_encoder_create(tok_encoder **out, const tok_tokenizer *t) {
    *out = NULL;
    tok_encoder *e = mn_calloc(1, sizeof *e);
    if (e == NULL)
        return MN_ERR_NOMEM;
    e->tokenizer = t;
    e->slots = mn_calloc(CACHE_SLOTS, sizeof *e->slots);
    e->bytes = mn_malloc((size_t)CACHE_SLOTS / 2 * CACHE_MAX_PIECE);
    e->ids = mn_alloc_array(CACHE_ID_POOL, sizeof *e->ids);
    if (e->slots == NULL || e->bytes == NULL || e->ids == NULL) {
        tok_encoder_free(e);
        return MN_ERR_NOMEM;
    }
    *out = e;
    return MN_OK;
}

void tok_encoder_free(tok_encoder *e) {
    if (e == NULL)
        return;
    tok__scratch_free(&e->scratch);
    tok_ids_free(&e->tmp);
    free(e->slots);
    free(e->bytes);
    free(e->ids);
    free(e);
}

static void cache_clear(tok_encoder *e) {
    memset(e->slots, 0, CACHE_SLOTS * sizeof *e->slots);
    e->bytes_used = e->ids_used = e->entries = 0;
}

/* Encodes one piece that is longer than one byte and not a token itself. */
static mn_status encode_cached(tok_encoder *e, const uint8_t *piece, size_t len, tok_ids *out) {
    const tok_tokenizer *t = e->tokenizer;
    if (len > CACHE_MAX_PIECE)
        return tok__bpe_piece(t, piece, len, &e->scratch, out);
    uint64_t h = tok__hash_bytes(piece, len);
    uint32_t i = (uint32_t)h & (CACHE_SLOTS - 1);
    for (;;) {
        cache_slot *s = &e->slots[i];
        if (s->piece_len == 0)
            break;
        if (s->hash == h && s->piece_len == len &&
            memcmp(e->bytes + s->piece_offset, piece, len) == 0) {
            MN_FORWARD_IF_ERROR(tok__ids_reserve(out, s->id_count));
            memcpy(out->ids + out->count, e->ids + s->id_offset, s->id_count * sizeof(uint32_t));
            out->count += s->id_count;
            return MN_OK;
        }
        i = (i + 1) & (CACHE_SLOTS - 1);
    }
    size_t before = out->count;
    MN_FORWARD_IF_ERROR(tok__bpe_piece(t, piece, len, &e->scratch, out));
    size_t count = out->count - before;
    if (e->entries >= CACHE_SLOTS / 2 || e->ids_used + count > CACHE_ID_POOL) {
        cache_clear(e);
        i = (uint32_t)h & (CACHE_SLOTS - 1);
    }
    cache_slot *s = &e->slots[i];
    s->hash = h;
    s->piece_offset = (uint32_t)e->bytes_used;
    s->piece_len = (uint16_t)len;
    s->id_count = (uint16_t)count;
    s->id_offset = (uint32_t)e->ids_used;
    memcpy(e->bytes + e->bytes_used, piece, len);
    memcpy(e->ids + e->ids_used, out->ids + before, count * sizeof(uint32_t));
    e->bytes_used += len;
    e->ids_used += count;
    e->entries++;
    return MN_OK;
}

/* The ordinary-text loop shared by every entry point; `e` may be NULL (no cache). */
static mn_status encode_ordinary(const tok_tokenizer *t, tok_encoder *e, tok_scratch *scratch,
                                 const uint8_t *text, size_t len, tok_ids *out) {
    tok_pretokenizer kind = t->pretok;
    /* Most pieces are one token: reserve roughly one id per 3 bytes up front. */
    MN_FORWARD_IF_ERROR(tok__ids_reserve(out, len / 3 + 16));
    size_t pos = 0;
    while (pos < len) {
        size_t end = tok__pretok_next_fast(kind, text, len, pos);
        const uint8_t *piece = text + pos;
        size_t n = end - pos;
        pos = end;
        uint32_t id = n == 1 ? t->byte_id[piece[0]] : tok__lookup(t, piece, n);
        if (id != TOK_NO_ID) {
            MN_FORWARD_IF_ERROR(tok__ids_push(out, id));
            continue;
        }
        if (e != NULL)
            MN_FORWARD_IF_ERROR(encode_cached(e, piece, n, out));
        else
            MN_FORWARD_IF_ERROR(tok__bpe_piece(t, piece, n, scratch, out));
    }
    return MN_OK;
}

mn_status tok_encode(const tok_tokenizer *t, const uint8_t *text, size_t len, tok_ids *out) {
    tok_scratch scratch = {0};
    mn_status status = encode_ordinary(t, NULL, &scratch, text, len, out);
    tok__scratch_free(&scratch);
    return status;
}

mn_status tok_encoder_encode(tok_encoder *e, const uint8_t *text, size_t len, tok_ids *out) {
    return encode_ordinary(e->tokenizer, e, &e->scratch, text, len, out);
}

/* ---- special tokens ---- */

static bool set_contains(const tok_special_set *set, const char *text) {
    if (set->kind == TOK_SPECIAL_SET_ALL)
        return true;
    if (set->kind == TOK_SPECIAL_SET_NONE)
        return false;
    for (size_t i = 0; i < set->count; i++)
        if (set->texts[i] != NULL && strcmp(set->texts[i], text) == 0)
            return true;
    return false;
}

/* The special token (index into t->specials) that matches at `pos` among those whose
 * flag is set, the longest when several do; -1 when none. */
static long special_at(const tok_tokenizer *t, const bool *flags, const uint8_t *text, size_t len,
                       size_t pos) {
    if (!t->special_first_byte[text[pos]])
        return -1;
    long best = -1;
    for (size_t k = 0; k < t->n_specials; k++) {
        const tok_special *s = &t->specials[k];
        if (flags[k] && s->len <= len - pos && memcmp(text + pos, s->text, s->len) == 0 &&
            (best < 0 || s->len > t->specials[best].len))
            best = (long)k;
    }
    return best;
}

mn_status tok_encode_special(const tok_tokenizer *t, const uint8_t *text, size_t len,
                             tok_special_set allowed, tok_special_set disallowed, tok_ids *out) {
    for (size_t i = 0; allowed.kind == TOK_SPECIAL_SET_LIST && i < allowed.count; i++) {
        bool known = false;
        for (size_t k = 0; k < t->n_specials && !known; k++)
            known = allowed.texts[i] && strcmp(allowed.texts[i], t->specials[k].text) == 0;
        MN_RETURN_ERROR_IF(!known, MN_ERR_ARG, "'%s' is not a special token of tokenizer '%s'",
                           allowed.texts[i] ? allowed.texts[i] : "(null)", t->name);
    }
    bool *is_allowed = mn_calloc(t->n_specials + 1, sizeof(bool));
    bool *is_disallowed = mn_calloc(t->n_specials + 1, sizeof(bool));
    mn_status status = MN_OK;
    if (is_allowed == NULL || is_disallowed == NULL) {
        status = MN_ERR_NOMEM;
        goto done;
    }
    bool any_disallowed = false;
    for (size_t k = 0; k < t->n_specials; k++) {
        is_allowed[k] = set_contains(&allowed, t->specials[k].text);
        /* tiktoken: disallowed "all" means every special token that is not allowed. */
        is_disallowed[k] = disallowed.kind == TOK_SPECIAL_SET_ALL
                               ? !is_allowed[k]
                               : set_contains(&disallowed, t->specials[k].text);
        any_disallowed |= is_disallowed[k];
    }
    if (any_disallowed) {
        for (size_t pos = 0; pos < len; pos++) {
            long k = special_at(t, is_disallowed, text, len, pos);
            if (k >= 0) {
                status = mn_error(MN_ERR_ARG,
                                  "the text contains the special token '%s' at byte %zu, which "
                                  "is not allowed (allow it, or encode the text as ordinary "
                                  "text)",
                                  t->specials[k].text, pos);
                goto done;
            }
        }
    }
    tok_scratch scratch = {0};
    size_t start = 0;
    for (size_t pos = 0; pos < len; pos++) {
        long k = special_at(t, is_allowed, text, len, pos);
        if (k < 0)
            continue;
        MN_GOTO_IF_ERROR(status, encode_ordinary(t, NULL, &scratch, text + start, pos - start, out),
                         done_scratch);
        MN_GOTO_IF_ERROR(status, tok__ids_push(out, t->specials[k].id), done_scratch);
        pos += t->specials[k].len - 1;
        start = pos + 1;
    }
    status = encode_ordinary(t, NULL, &scratch, text + start, len - start, out);
done_scratch:
    tok__scratch_free(&scratch);
done:
    free(is_allowed);
    free(is_disallowed);
    return status;
}
