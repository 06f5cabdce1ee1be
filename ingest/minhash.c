#include "ingest/minhash.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "common/hash.h"
#include "common/mem.h"
#include "common/rng.h"
#include "ingest/text.h"

struct ingest_minhash {
    ingest_minhash_config config;
    int n_hashes;
    uint32_t *a_lo, *a_hi; /* n_hashes 64-bit multipliers, split in halves */
    uint64_t *b;           /* n_hashes offsets */
    uint32_t *signature;   /* scratch for ingest_minhash_bands */
    char *word;            /* the current word, lower-cased */
    size_t word_cap;
};

void ingest_minhash_config_default(ingest_minhash_config *config) {
    *config = (ingest_minhash_config){.ngram = 5, .bands = 14, .rows = 8, .seed = 1};
}

mn_status ingest_minhash_config_check(const ingest_minhash_config *c) {
    MN_RETURN_ERROR_IF(c->ngram < 1 || c->ngram > INGEST_MINHASH_MAX_NGRAM, MN_ERR_ARG,
                       "MinHash n-gram size %d is outside 1..%d", c->ngram,
                       INGEST_MINHASH_MAX_NGRAM);
    MN_RETURN_ERROR_IF(c->bands < 1 || c->rows < 1 ||
                           (long)c->bands * c->rows > INGEST_MINHASH_MAX_HASHES,
                       MN_ERR_ARG,
                       "MinHash needs bands >= 1 and rows >= 1 with bands x rows <= %d (got %d "
                       "x %d)",
                       INGEST_MINHASH_MAX_HASHES, c->bands, c->rows);
    return MN_OK;
}

mn_status ingest_minhash_create(ingest_minhash **out, const ingest_minhash_config *config) {
    MN_FORWARD_IF_ERROR(ingest_minhash_config_check(config));
    ingest_minhash *m = mn_calloc(1, sizeof *m);
    if (m == NULL)
        return MN_ERR_NOMEM;
    m->config = *config;
    m->n_hashes = config->bands * config->rows;
    m->a_lo = mn_alloc_array((size_t)m->n_hashes, sizeof(uint32_t));
    m->a_hi = mn_alloc_array((size_t)m->n_hashes, sizeof(uint32_t));
    m->b = mn_alloc_array((size_t)m->n_hashes, sizeof(uint64_t));
    m->signature = mn_alloc_array((size_t)m->n_hashes, sizeof(uint32_t));
    m->word_cap = 256;
    m->word = mn_malloc(m->word_cap);
    if (!m->a_lo || !m->a_hi || !m->b || !m->signature || !m->word) {
        ingest_minhash_free(m);
        return MN_ERR_NOMEM;
    }
    mn_rng rng;
    mn_rng_seed(&rng, config->seed);
    for (int i = 0; i < m->n_hashes; i++) {
        uint64_t a = mn_rng_u64(&rng) | 1;
        m->a_lo[i] = (uint32_t)a;
        m->a_hi[i] = (uint32_t)(a >> 32);
        m->b[i] = mn_rng_u64(&rng);
    }
    *out = m;
    return MN_OK;
}

void ingest_minhash_free(ingest_minhash *m) {
    if (m == NULL)
        return;
    free(m->a_lo);
    free(m->a_hi);
    free(m->b);
    free(m->signature);
    free(m->word);
    free(m);
}

/* The inner loop: every hash function applied to one shingle x, keeping the minima.
 * h_i(x) = ((a_i x + b_i) mod 2^64) >> 32 with a 32-bit x and a 64-bit a_i = a_hi 2^32 + a_lo:
 * a_i x = a_lo x + a_hi x 2^32, so h_i = ((a_lo x + b_i) >> 32) + a_hi x (mod 2^32), which
 * needs only 32 x 32 -> 64-bit products: SIMD-friendly (pmuludq), and compiled for AVX2 as
 * well as the baseline, picked at run time. The results are the same on either path. */
#if defined(__x86_64__) && !defined(MNEMO_SANITIZE_BUILD)
__attribute__((target_clones("avx2", "default")))
#endif
static void
update_minima(uint32_t *restrict minima, const uint32_t *restrict a_lo,
              const uint32_t *restrict a_hi, const uint64_t *restrict b, int n, uint32_t x) {
    for (int i = 0; i < n; i++) {
        uint64_t lo = (uint64_t)a_lo[i] * x + b[i];
        uint32_t h = (uint32_t)(lo >> 32) + a_hi[i] * x;
        minima[i] = h < minima[i] ? h : minima[i];
    }
}

/* The 32-bit key of a shingle from its 64-bit hash. */
static inline uint32_t shingle_key(uint64_t h) {
    h = mn_mix64(h);
    return (uint32_t)(h ^ (h >> 32));
}

/* ASCII bytes as MinHash sees them: letters lower-cased, digits as '0', anything else 0
 * (a separator). */
static uint8_t ascii_fold[128];
static bool ascii_fold_ready;

static void ascii_fold_init(void) {
    if (ascii_fold_ready)
        return;
    for (int c = 0; c < 128; c++) {
        uint8_t v = 0;
        if (c >= 'a' && c <= 'z')
            v = (uint8_t)c;
        else if (c >= 'A' && c <= 'Z')
            v = (uint8_t)(c + 32);
        else if (c >= '0' && c <= '9')
            v = '0';
        ascii_fold[c] = v;
    }
    ascii_fold_ready = true; /* benign race: the same table whoever builds it */
}

static mn_status word_reserve(ingest_minhash *m, size_t need) {
    if (need <= m->word_cap)
        return MN_OK;
    size_t cap = m->word_cap * 2;
    while (cap < need)
        cap *= 2;
    void *p = m->word;
    MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, 1));
    m->word = p;
    m->word_cap = cap;
    return MN_OK;
}

static const uint64_t shingle_base = 0x9e3779b97f4a7c15ULL;

mn_status ingest_minhash_signature(ingest_minhash *m, const char *text, size_t len,
                                   uint32_t *signature, bool *has_signature) {
    ascii_fold_init();
    const int n_gram = m->config.ngram;
    for (int i = 0; i < m->n_hashes; i++)
        signature[i] = UINT32_MAX;
    uint64_t window[INGEST_MINHASH_MAX_NGRAM]; /* ring of the last n word hashes */
    int pos = 0;                               /* where the next word hash goes */
    size_t words = 0, at = 0;
    const uint8_t *s = (const uint8_t *)text;
    while (at < len) {
        /* Skip separators. */
        while (at < len && s[at] < 0x80 && ascii_fold[s[at]] == 0)
            at++;
        if (at >= len)
            break;
        /* One word: ASCII bytes folded through the table, other letters and digits
         * lower-cased (digits as '0'), up to the next separator. */
        size_t wl = 0;
        while (at < len) {
            MN_FORWARD_IF_ERROR(word_reserve(m, wl + 4));
            uint8_t c = s[at];
            if (c < 0x80) {
                uint8_t v = ascii_fold[c];
                if (v == 0)
                    break;
                m->word[wl++] = (char)v;
                at++;
                continue;
            }
            size_t next = at;
            uint32_t cp = ingest_utf8_next(text, len, &next);
            bool digit = ingest_is_digit(cp);
            if (!digit && !ingest_is_letter(cp))
                break;
            int32_t lower = digit ? '0' : utf8proc_tolower((utf8proc_int32_t)cp);
            wl += (size_t)utf8proc_encode_char(lower, (utf8proc_uint8_t *)m->word + wl);
            at = next;
        }
        if (wl == 0) {
            at++; /* a non-ASCII separator: step over it (its continuation bytes too) */
            while (at < len && (s[at] & 0xc0) == 0x80)
                at++;
            continue;
        }
        window[pos] = ingest_hash_bytes(m->word, wl);
        pos = pos + 1 == n_gram ? 0 : pos + 1;
        words++;
        if (words >= (size_t)n_gram) {
            /* The n-gram, oldest word first: the ring from `pos` round to pos - 1. */
            uint64_t h = 0;
            for (int k = 0, idx = pos; k < n_gram; k++, idx = idx + 1 == n_gram ? 0 : idx + 1)
                h = h * shingle_base + window[idx];
            update_minima(signature, m->a_lo, m->a_hi, m->b, m->n_hashes, shingle_key(h));
        }
    }
    if (words > 0 && words < (size_t)n_gram) {
        uint64_t h = 0;
        for (size_t k = 0; k < words; k++)
            h = h * shingle_base + window[k];
        update_minima(signature, m->a_lo, m->a_hi, m->b, m->n_hashes, shingle_key(h));
    }
    *has_signature = words > 0;
    return MN_OK;
}

void ingest_minhash_band_keys(const ingest_minhash *m, const uint32_t *signature, uint64_t *keys) {
    const int rows = m->config.rows;
    uint8_t bytes[4 * INGEST_MINHASH_MAX_HASHES];
    for (int band = 0; band < m->config.bands; band++) {
        const uint32_t *row = signature + (size_t)band * (size_t)rows;
        for (int r = 0; r < rows; r++) {
            uint32_t v = row[r];
            bytes[4 * r] = (uint8_t)v;
            bytes[4 * r + 1] = (uint8_t)(v >> 8);
            bytes[4 * r + 2] = (uint8_t)(v >> 16);
            bytes[4 * r + 3] = (uint8_t)(v >> 24);
        }
        keys[band] = mn_xxh64(bytes, 4 * (size_t)rows, (uint64_t)band);
    }
}

mn_status ingest_minhash_bands(ingest_minhash *m, const char *text, size_t len, uint64_t *keys,
                               bool *has_signature) {
    MN_FORWARD_IF_ERROR(ingest_minhash_signature(m, text, len, m->signature, has_signature));
    if (*has_signature)
        ingest_minhash_band_keys(m, m->signature, keys);
    return MN_OK;
}

double ingest_minhash_similarity(const uint32_t *a, const uint32_t *b, size_t n) {
    size_t equal = 0;
    for (size_t i = 0; i < n; i++)
        equal += a[i] == b[i];
    return n ? (double)equal / (double)n : 0;
}
