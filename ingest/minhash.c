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
    uint64_t *a, *b;     /* n_hashes multipliers (odd) and offsets */
    uint32_t *signature; /* scratch for ingest_minhash_bands */
    char *word;          /* the current word, lower-cased */
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
    m->a = mn_alloc_array((size_t)m->n_hashes, sizeof(uint64_t));
    m->b = mn_alloc_array((size_t)m->n_hashes, sizeof(uint64_t));
    m->signature = mn_alloc_array((size_t)m->n_hashes, sizeof(uint32_t));
    m->word_cap = 256;
    m->word = mn_malloc(m->word_cap);
    if (!m->a || !m->b || !m->signature || !m->word) {
        ingest_minhash_free(m);
        return MN_ERR_NOMEM;
    }
    mn_rng rng;
    mn_rng_seed(&rng, config->seed);
    for (int i = 0; i < m->n_hashes; i++) {
        m->a[i] = mn_rng_u64(&rng) | 1;
        m->b[i] = mn_rng_u64(&rng);
    }
    *out = m;
    return MN_OK;
}

void ingest_minhash_free(ingest_minhash *m) {
    if (m == NULL)
        return;
    free(m->a);
    free(m->b);
    free(m->signature);
    free(m->word);
    free(m);
}

/* The inner loop: every hash function applied to one shingle, keeping the minima. Written
 * over plain arrays so that the compiler can vectorise it. */
static void update_minima(uint32_t *restrict minima, const uint64_t *restrict a,
                          const uint64_t *restrict b, int n, uint64_t x) {
    for (int i = 0; i < n; i++) {
        uint32_t h = (uint32_t)((a[i] * x + b[i]) >> 32);
        minima[i] = h < minima[i] ? h : minima[i];
    }
}

static mn_status word_append(ingest_minhash *m, size_t *len, const char *bytes, size_t n) {
    if (*len + n > m->word_cap) {
        size_t cap = m->word_cap * 2;
        while (cap < *len + n)
            cap *= 2;
        void *p = m->word;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, cap, 1));
        m->word = p;
        m->word_cap = cap;
    }
    memcpy(m->word + *len, bytes, n);
    *len += n;
    return MN_OK;
}

static const uint64_t shingle_base = 0x9e3779b97f4a7c15ULL;

mn_status ingest_minhash_signature(ingest_minhash *m, const char *text, size_t len,
                                   uint32_t *signature, bool *has_signature) {
    const int n_gram = m->config.ngram;
    for (int i = 0; i < m->n_hashes; i++)
        signature[i] = UINT32_MAX;
    uint64_t window[INGEST_MINHASH_MAX_NGRAM];
    size_t words = 0, word_len = 0;
    size_t at = 0;
    const uint8_t *s = (const uint8_t *)text;
    for (;;) {
        if (at < len) {
            if (s[at] < 0x80) {
                char c = (char)s[at++];
                if (c >= 'A' && c <= 'Z')
                    c = (char)(c + 32);
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                    if (c <= '9')
                        c = '0';
                    MN_FORWARD_IF_ERROR(word_append(m, &word_len, &c, 1));
                    continue;
                }
            } else {
                uint32_t cp = ingest_utf8_next(text, len, &at);
                bool digit = ingest_is_digit(cp);
                if (digit || ingest_is_letter(cp)) {
                    utf8proc_uint8_t buf[4];
                    int32_t lower = digit ? '0' : utf8proc_tolower((utf8proc_int32_t)cp);
                    utf8proc_ssize_t n = utf8proc_encode_char(lower, buf);
                    MN_FORWARD_IF_ERROR(word_append(m, &word_len, (const char *)buf, (size_t)n));
                    continue;
                }
            }
        }
        /* A separator, or the end of the text, closes the current word. */
        if (word_len > 0) {
            window[words % (size_t)n_gram] = ingest_hash_bytes(m->word, word_len);
            words++;
            word_len = 0;
            if (words >= (size_t)n_gram) {
                uint64_t h = 0;
                for (int k = 0; k < n_gram; k++)
                    h = h * shingle_base + window[(words + (size_t)k) % (size_t)n_gram];
                update_minima(signature, m->a, m->b, m->n_hashes, mn_mix64(h));
            }
        }
        if (at >= len)
            break;
    }
    if (words > 0 && words < (size_t)n_gram) {
        uint64_t h = 0;
        for (size_t k = 0; k < words; k++)
            h = h * shingle_base + window[k];
        update_minima(signature, m->a, m->b, m->n_hashes, mn_mix64(h));
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
