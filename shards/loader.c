#include "shards/loader.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"
#include "common/rng.h"
#include "common/util.h"
#include "shards/loader_internal.h"
#include "shards/manifest.h"
#include "shards/mtok.h"

enum {
    DEFAULT_PREFETCH = 4,
    DEFAULT_CHUNK_TEXT_TOKENS = 63,
    CACHE_BLOCKS = 8, /* decoded blocks kept by the prefetch thread */
    CURSOR_BYTES = 80,
};

static const uint8_t cursor_magic[8] = {'M', 'N', 'L', 'D', 'C', 'U', 'R', '1'};

/* ---------------------------------------------------------------- permutation */

void shard__permutation_init(shard__permutation *p, uint64_t n, uint64_t seed) {
    *p = (shard__permutation){.n = n};
    unsigned bits = 0;
    while (bits < 64 && (n - 1) >> bits != 0)
        bits++; /* smallest `bits` with 2^bits >= n (0 for n <= 1) */
    p->half_bits = (bits + 1) / 2;
    p->mask =
        p->half_bits == 0 ? 0 : (p->half_bits >= 64 ? UINT64_MAX : (1ull << p->half_bits) - 1);
    uint64_t state = seed ^ 0x6d6e656d6f2d6c64ull; /* "mnemo-ld" */
    for (int i = 0; i < 6; i++)
        p->keys[i] = mn_splitmix64(&state);
}

uint64_t shard__permutation_apply(const shard__permutation *p, uint64_t index) {
    if (p->n <= 1)
        return index;
    unsigned h = p->half_bits;
    uint64_t x = index;
    /* Cycle walking: the network permutes [0, 4^h); values outside [0, n) are mapped again
     * until one lands inside, which keeps the result a bijection of [0, n). */
    do {
        uint64_t left = x >> h, right = x & p->mask;
        for (int round = 0; round < 6; round++) {
            uint64_t f = mn_mix64(right ^ p->keys[round]) & p->mask;
            uint64_t next = left ^ f;
            left = right;
            right = next;
        }
        x = (left << h) | right;
    } while (x >= p->n);
    return x;
}

/* ---------------------------------------------------------------- dataset index */

typedef struct loader_entry {
    shard_reader *reader;
    uint64_t token_begin, token_end; /* the entry's tokens in its shard */
    uint64_t doc_begin, doc_end;
    uint64_t samples;     /* real samples */
    uint64_t drawn;       /* drawn per epoch (weight applied) */
    uint64_t drawn_start; /* first drawn index of the entry in an epoch */
    bool permuted;        /* draws go through `within` */
    shard__permutation within;
    uint64_t *doc_sample_start; /* document-aligned: docs in range + 1 prefix counts */
} loader_entry;

typedef struct cache_slot {
    uint32_t entry;
    uint64_t block;
    uint32_t *ids;
    uint64_t stamp; /* 0: empty */
} cache_slot;

typedef struct batch_slot {
    int32_t *inputs, *targets;
    uint64_t step;
    int micro_step;
    mn_status status;
    char message[1024];
} batch_slot;

struct loader {
    loader_options options;
    char *dataset;
    int T, B;
    int period;               /* chunk + 1 with landmarks, 0 without */
    uint64_t text_per_sample; /* S */
    uint32_t vocab_size, eos_id;
    uint64_t fingerprint;
    loader_entry *entries;
    uint32_t n_entries;
    uint64_t epoch_samples; /* N */
    uint64_t global_batch;  /* G */

    /* prefetch thread state; everything below `mutex` is guarded by it */
    pthread_t thread;
    bool thread_running;
    pthread_mutex_t mutex;
    pthread_cond_t not_empty, not_full;
    batch_slot *slots;
    int n_slots;
    int head, count; /* filled slots: [head, head + count) */
    bool holding;    /* the consumer holds slots[head] (returned by the last next) */
    bool stop;
    uint64_t produce_step; /* the next micro-batch the thread makes */
    int produce_micro;
    uint64_t consume_step; /* the next micro-batch loader_next returns */
    int consume_micro;
    loader_stats stats;

    /* owned by the prefetch thread */
    cache_slot cache[CACHE_BLOCKS];
    uint64_t cache_clock;
    shard_decoder *decoder;
    uint32_t *sample_tokens;
};

static uint64_t entry_sample_count(const loader *l, const loader_entry *e, uint64_t **prefix,
                                   mn_status *status) {
    uint64_t S = l->text_per_sample;
    *status = MN_OK;
    if (!l->options.document_aligned) {
        uint64_t n = e->token_end - e->token_begin;
        return n >= S + 1 ? (n - 1) / S : 0;
    }
    uint64_t docs = e->doc_end - e->doc_begin;
    uint64_t *starts = mn_alloc_array(docs + 1, sizeof *starts);
    if (starts == NULL) {
        *status = MN_ERR_NOMEM;
        return 0;
    }
    uint64_t total = 0;
    starts[0] = 0;
    for (uint64_t d = 0; d < docs; d++) {
        uint64_t begin, length;
        /* The first call builds the shard's document index, which sample_tokens reuses. */
        *status = shard_reader_document(e->reader, e->doc_begin + d, &begin, &length);
        if (*status != MN_OK) {
            free(starts);
            return 0;
        }
        total += length >= 2 ? (length - 2) / S + 1 : 0; /* ceil((L - 1) / S) */
        starts[d + 1] = total;
    }
    *prefix = starts;
    return total;
}

/* Opens every shard, checks it against its manifest entry and the tokenizer, and builds the
 * per-entry sample counts. */
static mn_status build_index(loader *l, const shard_manifest *m) {
    MN_RETURN_ERROR_IF(m->kind != SHARD_DATASET_TOKENS, MN_ERR_ARG,
                       "%s is a %s dataset; the loader reads token datasets (run mnemo-tokenize)",
                       l->dataset, shard_dataset_kind_name(m->kind));
    MN_RETURN_ERROR_IF(m->n_shards == 0, MN_ERR_ARG, "dataset %s has no shards", l->dataset);
    MN_RETURN_ERROR_IF(m->n_shards > UINT32_MAX, MN_ERR_LIMIT, "dataset %s has too many shards",
                       l->dataset);
    l->entries = mn_calloc(m->n_shards, sizeof *l->entries);
    if (l->entries == NULL)
        return MN_ERR_NOMEM;
    l->n_entries = (uint32_t)m->n_shards;
    uint64_t expect = l->options.expect_tokenizer;
    mn_xxh64_stream fp;
    if (mn_xxh64_begin(&fp, 0x6c6f61646572ull) != 0)
        return MN_ERR_NOMEM;
    mn_status status = MN_OK;
    for (uint32_t i = 0; status == MN_OK && i < l->n_entries; i++) {
        const shard_manifest_entry *me = &m->shards[i];
        loader_entry *e = &l->entries[i];
        char *path = shard_manifest_shard_path(m, i);
        if (path == NULL) {
            status = MN_ERR_NOMEM;
            break;
        }
        status = shard_reader_open(&e->reader, path);
        if (status != MN_OK) {
            status = mn_error_context(status, "dataset %s", l->dataset);
            free(path);
            break;
        }
        shard_reader *r = e->reader;
        uint64_t hash = shard_reader_tokenizer_hash(r);
        if (m->tokenizer_hash != 0 && hash != m->tokenizer_hash)
            status = mn_error(MN_ERR_MISMATCH,
                              "dataset %s: shard %s was made by tokenizer 0x%016llx but the "
                              "dataset's tokenizer is 0x%016llx: re-tokenize it with the "
                              "dataset's tokenizer or remove it from the manifest",
                              l->dataset, path, (unsigned long long)hash,
                              (unsigned long long)m->tokenizer_hash);
        else if (expect != 0 && hash != expect)
            status =
                mn_error(MN_ERR_MISMATCH,
                         "dataset %s: shard %s was made by tokenizer 0x%016llx, not the "
                         "0x%016llx this run uses: train with the dataset's tokenizer or "
                         "re-tokenize the data",
                         l->dataset, path, (unsigned long long)hash, (unsigned long long)expect);
        else if (i > 0 && (shard_reader_vocab_size(r) != l->vocab_size ||
                           shard_reader_eos_id(r) != l->eos_id))
            status = mn_error(MN_ERR_MISMATCH,
                              "dataset %s: shard %s has vocabulary %u and EOS %u, the first shard "
                              "%u and %u: the shards come from different tokenizers",
                              l->dataset, path, shard_reader_vocab_size(r), shard_reader_eos_id(r),
                              l->vocab_size, l->eos_id);
        l->vocab_size = shard_reader_vocab_size(r);
        l->eos_id = shard_reader_eos_id(r);
        uint64_t docs = shard_reader_documents(r);
        bool ranged = me->document_end > 0;
        e->doc_begin = ranged ? me->document_begin : 0;
        e->doc_end = ranged ? me->document_end : docs;
        if (status == MN_OK && e->doc_end > docs)
            status = mn_error(MN_ERR_CORRUPT,
                              "dataset %s: entry for %s selects documents up to %llu but the "
                              "shard has %llu: the shard was replaced after the manifest was "
                              "made; re-create the manifest (e.g. mnemo-shard split)",
                              l->dataset, path, (unsigned long long)e->doc_end,
                              (unsigned long long)docs);
        if (status == MN_OK) {
            /* Whole shards need no document index; ranges are summed from the footer. */
            e->token_begin = 0;
            e->token_end = shard_reader_tokens(r);
            if (ranged)
                status = shard_reader_document_span(r, e->doc_begin, e->doc_end, &e->token_begin,
                                                    &e->token_end);
        }
        if (status == MN_OK) {
            shard_description d;
            shard_reader_describe(r, &d);
            if (e->doc_end - e->doc_begin != me->documents ||
                e->token_end - e->token_begin != me->tokens || d.file_bytes != me->bytes)
                status = mn_error(
                    MN_ERR_CORRUPT,
                    "dataset %s: shard %s holds %llu documents, %llu tokens, %llu bytes for this "
                    "entry but the manifest says %llu, %llu, %llu: the shard was replaced after "
                    "the manifest was made; re-create the dataset (mnemo-tokenize resumes) or "
                    "run `mnemo-shard verify`",
                    l->dataset, path, (unsigned long long)(e->doc_end - e->doc_begin),
                    (unsigned long long)(e->token_end - e->token_begin),
                    (unsigned long long)d.file_bytes, (unsigned long long)me->documents,
                    (unsigned long long)me->tokens, (unsigned long long)me->bytes);
        }
        if (status == MN_OK)
            e->samples = entry_sample_count(l, e, &e->doc_sample_start, &status);
        if (status == MN_OK) {
            double weight = me->weight == 0 ? 1.0 : me->weight;
            double drawn = floor(weight * (double)e->samples + 0.5);
            if (drawn > 1e15)
                status = mn_error(MN_ERR_LIMIT, "dataset %s: weight %g of %s is too large",
                                  l->dataset, weight, path);
            e->drawn = status == MN_OK ? (uint64_t)drawn : 0;
            e->permuted = l->options.shuffle && e->drawn != e->samples;
            shard__permutation_init(&e->within, e->samples, l->options.seed ^ mn_mix64(i + 1));
            e->drawn_start = l->epoch_samples;
            l->epoch_samples += e->drawn;
            uint64_t words[4] = {me->xxh64, e->doc_begin, e->doc_end, 0};
            memcpy(&words[3], &weight, sizeof weight);
            mn_xxh64_update(&fp, words, sizeof words);
        }
        free(path);
    }
    l->fingerprint = mn_xxh64_end(&fp);
    MN_FORWARD_IF_ERROR(status);
    MN_RETURN_ERROR_IF(l->epoch_samples == 0, MN_ERR_ARG,
                       "dataset %s has no sample of %llu text tokens (+1 target): use a shorter "
                       "sequence length or more data",
                       l->dataset, (unsigned long long)l->text_per_sample);
    MN_RETURN_ERROR_IF(l->vocab_size > INT32_MAX, MN_ERR_UNSUPPORTED,
                       "dataset %s: vocabulary of %u ids does not fit int32 inputs", l->dataset,
                       l->vocab_size);
    MN_RETURN_ERROR_IF(l->options.landmark_id >= (int64_t)l->vocab_size, MN_ERR_ARG,
                       "landmark id %lld is not in the dataset's vocabulary (%u ids): use the "
                       "tokenizer's landmark token",
                       (long long)l->options.landmark_id, l->vocab_size);
    return MN_OK;
}

void loader__locate(const loader *l, uint64_t position, uint32_t *entry, uint64_t *sample) {
    uint64_t N = l->epoch_samples;
    uint64_t epoch = position / N, index = position % N;
    if (l->options.shuffle) {
        shard__permutation perm;
        shard__permutation_init(&perm, N, l->options.seed + epoch);
        index = shard__permutation_apply(&perm, index);
    }
    /* The entry whose drawn range holds `index` (entries with no draws are skipped). */
    uint32_t lo = 0, hi = l->n_entries;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->entries[mid].drawn_start <= index)
            lo = mid;
        else
            hi = mid;
    }
    while (l->entries[lo].drawn == 0 || index >= l->entries[lo].drawn_start + l->entries[lo].drawn)
        lo++;
    const loader_entry *e = &l->entries[lo];
    uint64_t v = index - e->drawn_start;
    /* (v + epoch * drawn) mod samples, without overflow */
    uint64_t rotated =
        (uint64_t)(((unsigned __int128)epoch * e->drawn + v) % (unsigned __int128)e->samples);
    *entry = lo;
    *sample = e->permuted ? shard__permutation_apply(&e->within, rotated) : rotated;
}

void loader__sample_tokens(const loader *l, uint32_t entry, uint64_t sample, uint64_t *begin,
                           uint64_t *length) {
    const loader_entry *e = &l->entries[entry];
    uint64_t S = l->text_per_sample;
    if (!l->options.document_aligned) {
        *begin = e->token_begin + sample * S;
        *length = S + 1;
        return;
    }
    uint64_t lo = 0, hi = e->doc_end - e->doc_begin; /* doc with prefix[lo] <= sample */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (e->doc_sample_start[mid] <= sample)
            lo = mid;
        else
            hi = mid;
    }
    while (e->doc_sample_start[lo + 1] <= sample)
        lo++;
    uint64_t doc_begin = 0, doc_length = 0;
    /* Cannot fail: the index was built at open (entry_sample_count) and the document exists. */
    mn_status status = shard_reader_document(e->reader, e->doc_begin + lo, &doc_begin, &doc_length);
    assert(status == MN_OK);
    (void)status;
    uint64_t start = doc_begin + (sample - e->doc_sample_start[lo]) * S;
    uint64_t left = doc_begin + doc_length - start;
    *begin = start;
    *length = left < S + 1 ? left : S + 1;
}

/* ---------------------------------------------------------------- sample assembly */

/* The decoded block `block` of entry `entry`, from the cache or decoded into it. */
static mn_status cached_block(loader *l, uint32_t entry, uint64_t block, const uint32_t **ids) {
    cache_slot *victim = &l->cache[0];
    for (int i = 0; i < CACHE_BLOCKS; i++) {
        cache_slot *c = &l->cache[i];
        if (c->stamp != 0 && c->entry == entry && c->block == block) {
            c->stamp = ++l->cache_clock;
            *ids = c->ids;
            return MN_OK;
        }
        if (c->stamp < victim->stamp)
            victim = c;
    }
    victim->stamp = 0;
    shard_reader *r = l->entries[entry].reader;
    MN_FORWARD_IF_ERROR(shard_reader_decode_block(r, l->decoder, block, victim->ids));
    victim->entry = entry;
    victim->block = block;
    victim->stamp = ++l->cache_clock;
    pthread_mutex_lock(&l->mutex);
    l->stats.blocks_decoded++;
    l->stats.tokens_decoded += shard_reader_block_tokens(r, block);
    pthread_mutex_unlock(&l->mutex);
    *ids = victim->ids;
    return MN_OK;
}

static mn_status read_range(loader *l, uint32_t entry, uint64_t begin, uint64_t length,
                            uint32_t *out) {
    shard_reader *r = l->entries[entry].reader;
    while (length > 0) {
        uint64_t block = shard_reader_block_of_token(r, begin);
        uint64_t first = shard_reader_block_first_token(r, block);
        uint64_t within = begin - first;
        uint64_t take = shard_reader_block_tokens(r, block) - within;
        take = take < length ? take : length;
        const uint32_t *ids;
        MN_FORWARD_IF_ERROR(cached_block(l, entry, block, &ids));
        memcpy(out, ids + within, (size_t)take * sizeof *out);
        out += take;
        begin += take;
        length -= take;
    }
    return MN_OK;
}

/* Lays out one sample: text tokens x[0..available) go to the text positions, landmarks to
 * positions p with p % period == period - 1; targets are the next text token (so the last
 * text token of a chunk predicts the first of the next chunk, not the landmark), -1 at
 * landmarks and past the available tokens. */
static void assemble(const loader *l, const uint32_t *x, uint64_t available, int32_t *inputs,
                     int32_t *targets) {
    int T = l->T, period = l->period;
    uint64_t q = 0;
    int32_t pad = (int32_t)l->eos_id;
    for (int p = 0; p < T; p++) {
        if (period > 0 && p % period == period - 1) {
            inputs[p] = (int32_t)l->options.landmark_id;
            targets[p] = -1;
            continue;
        }
        inputs[p] = q < available ? (int32_t)x[q] : pad;
        targets[p] = q + 1 < available ? (int32_t)x[q + 1] : -1;
        q++;
    }
}

static mn_status fill_slot(loader *l, batch_slot *slot, uint64_t step, int micro) {
    slot->step = step;
    slot->micro_step = micro;
    const loader_options *o = &l->options;
    uint64_t base = step * l->global_batch +
                    ((uint64_t)micro * (uint64_t)o->world + (uint64_t)o->rank) * (uint64_t)l->B;
    for (int b = 0; b < l->B; b++) {
        uint32_t entry;
        uint64_t sample, begin, length;
        loader__locate(l, base + (uint64_t)b, &entry, &sample);
        loader__sample_tokens(l, entry, sample, &begin, &length);
        MN_FORWARD_IF_ERROR(read_range(l, entry, begin, length, l->sample_tokens));
        assemble(l, l->sample_tokens, length, slot->inputs + (size_t)b * (size_t)l->T,
                 slot->targets + (size_t)b * (size_t)l->T);
    }
    return MN_OK;
}

/* ---------------------------------------------------------------- prefetch thread */

static void advance(const loader *l, uint64_t *step, int *micro) {
    if (++*micro == l->options.grad_accum) {
        *micro = 0;
        ++*step;
    }
}

static void *prefetch_main(void *arg) {
    loader *l = arg;
    pthread_mutex_lock(&l->mutex);
    for (;;) {
        while (!l->stop && l->count == l->n_slots)
            pthread_cond_wait(&l->not_full, &l->mutex);
        if (l->stop)
            break;
        int index = (l->head + l->count) % l->n_slots;
        uint64_t step = l->produce_step;
        int micro = l->produce_micro;
        pthread_mutex_unlock(&l->mutex);
        /* The slot is invisible to the consumer until `count` includes it. */
        batch_slot *slot = &l->slots[index];
        mn_error_clear();
        slot->status = fill_slot(l, slot, step, micro);
        if (slot->status != MN_OK)
            snprintf(slot->message, sizeof slot->message, "%s", mn_error_message());
        pthread_mutex_lock(&l->mutex);
        l->count++;
        advance(l, &l->produce_step, &l->produce_micro);
        pthread_cond_signal(&l->not_empty);
        if (slot->status != MN_OK)
            break; /* the consumer gets the error; nothing after it is made */
    }
    pthread_mutex_unlock(&l->mutex);
    return NULL;
}

static mn_status start_thread(loader *l) {
    l->stop = false;
    l->head = l->count = 0;
    l->holding = false;
    l->produce_step = l->consume_step;
    l->produce_micro = l->consume_micro;
    int rc = pthread_create(&l->thread, NULL, prefetch_main, l);
    MN_RETURN_ERROR_IF(rc != 0, MN_ERR_EXTERNAL, "cannot start the loader's prefetch thread (%s)",
                       strerror(rc));
    l->thread_running = true;
    return MN_OK;
}

static void stop_thread(loader *l) {
    if (!l->thread_running)
        return;
    pthread_mutex_lock(&l->mutex);
    l->stop = true;
    pthread_cond_broadcast(&l->not_full);
    pthread_mutex_unlock(&l->mutex);
    pthread_join(l->thread, NULL);
    l->thread_running = false;
}

/* ---------------------------------------------------------------- public API */

static mn_status check_options(const loader_options *o) {
    MN_RETURN_ERROR_IF(o->dataset == NULL, MN_ERR_ARG, "loader: no dataset given");
    MN_RETURN_ERROR_IF(o->seq_len < 1 || o->micro_batch < 1 || o->grad_accum < 1, MN_ERR_ARG,
                       "loader: sequence length (%d), micro-batch (%d) and gradient "
                       "accumulation (%d) must be >= 1",
                       o->seq_len, o->micro_batch, o->grad_accum);
    MN_RETURN_ERROR_IF(o->world < 1 || o->rank < 0 || o->rank >= o->world, MN_ERR_ARG,
                       "loader: rank %d is not in a world of %d", o->rank, o->world);
    MN_RETURN_ERROR_IF(o->landmark_id < -1, MN_ERR_ARG, "loader: landmark id %lld is invalid",
                       (long long)o->landmark_id);
    MN_RETURN_ERROR_IF(o->landmark_id >= 0 && o->chunk_text_tokens < 0, MN_ERR_ARG,
                       "loader: chunk of %d text tokens is invalid", o->chunk_text_tokens);
    MN_RETURN_ERROR_IF(o->prefetch < 0 || o->prefetch > 1024, MN_ERR_ARG,
                       "loader: prefetch depth %d is outside 0..1024", o->prefetch);
    return MN_OK;
}

mn_status loader_open(loader **out, const loader_options *options) {
    *out = NULL;
    MN_FORWARD_IF_ERROR(check_options(options));
    loader *l = mn_calloc(1, sizeof *l);
    if (l == NULL)
        return MN_ERR_NOMEM;
    l->options = *options;
    if (l->options.prefetch == 0)
        l->options.prefetch = DEFAULT_PREFETCH;
    if (l->options.landmark_id >= 0 && l->options.chunk_text_tokens == 0)
        l->options.chunk_text_tokens = DEFAULT_CHUNK_TEXT_TOKENS;
    if (l->options.landmark_id < 0)
        l->options.chunk_text_tokens = 0;
    l->dataset = mn_strdup(options->dataset);
    l->options.dataset = l->dataset;
    l->T = options->seq_len;
    l->B = options->micro_batch;
    l->period = l->options.landmark_id >= 0 ? l->options.chunk_text_tokens + 1 : 0;
    l->text_per_sample = (uint64_t)l->T - (l->period > 0 ? (uint64_t)(l->T / l->period) : 0);
    l->global_batch =
        (uint64_t)options->world * (uint64_t)options->grad_accum * (uint64_t)options->micro_batch;
    pthread_mutex_init(&l->mutex, NULL);
    pthread_cond_init(&l->not_empty, NULL);
    pthread_cond_init(&l->not_full, NULL);
    mn_status status = l->dataset ? MN_OK : MN_ERR_NOMEM;
    shard_manifest manifest = {0};
    if (status == MN_OK)
        status = shard_manifest_load(&manifest, options->dataset);
    if (status == MN_OK)
        status = build_index(l, &manifest);
    shard_manifest_free(&manifest);
    if (status == MN_OK) {
        uint64_t largest = 0;
        for (uint32_t i = 0; i < l->n_entries; i++)
            for (uint64_t b = 0; b < shard_reader_blocks(l->entries[i].reader); b++)
                if (shard_reader_block_tokens(l->entries[i].reader, b) > largest)
                    largest = shard_reader_block_tokens(l->entries[i].reader, b);
        for (int i = 0; status == MN_OK && i < CACHE_BLOCKS; i++)
            if ((l->cache[i].ids =
                     mn_alloc_array((size_t)(largest ? largest : 1), sizeof(uint32_t))) == NULL)
                status = MN_ERR_NOMEM;
        if (status == MN_OK &&
            (l->sample_tokens = mn_alloc_array(l->text_per_sample + 1, sizeof(uint32_t))) == NULL)
            status = MN_ERR_NOMEM;
        if (status == MN_OK)
            status = shard_decoder_create(&l->decoder);
    }
    if (status == MN_OK) {
        l->n_slots = l->options.prefetch + 1; /* + the one the consumer holds */
        l->slots = mn_calloc((size_t)l->n_slots, sizeof *l->slots);
        size_t cells = (size_t)l->B * (size_t)l->T;
        for (int i = 0; status == MN_OK && l->slots != NULL && i < l->n_slots; i++) {
            l->slots[i].inputs = mn_alloc_array(cells, sizeof(int32_t));
            l->slots[i].targets = mn_alloc_array(cells, sizeof(int32_t));
            if (l->slots[i].inputs == NULL || l->slots[i].targets == NULL)
                status = MN_ERR_NOMEM;
        }
        if (l->slots == NULL)
            status = MN_ERR_NOMEM;
    }
    if (status == MN_OK)
        status = start_thread(l);
    if (status != MN_OK) {
        loader_close(l);
        return status;
    }
    *out = l;
    return MN_OK;
}

mn_status loader_next(loader *l, loader_batch *batch) {
    *batch = (loader_batch){0};
    double start = mn_now();
    pthread_mutex_lock(&l->mutex);
    if (l->holding) { /* release the micro-batch returned last time */
        l->head = (l->head + 1) % l->n_slots;
        l->count--;
        l->holding = false;
        pthread_cond_signal(&l->not_full);
    }
    while (l->count == 0 && l->thread_running)
        pthread_cond_wait(&l->not_empty, &l->mutex);
    batch_slot *slot = &l->slots[l->head];
    mn_status status = slot->status;
    if (status == MN_OK) {
        l->holding = true;
        l->stats.micro_batches++;
        advance(l, &l->consume_step, &l->consume_micro);
    }
    l->stats.wait_seconds += mn_now() - start;
    pthread_mutex_unlock(&l->mutex);
    if (status != MN_OK) /* sticky: the slot stays, so every later call reports it too */
        return mn_error(status, "%s", slot->message);
    *batch = (loader_batch){.B = l->B,
                            .T = l->T,
                            .inputs = slot->inputs,
                            .targets = slot->targets,
                            .step = slot->step,
                            .micro_step = slot->micro_step};
    return MN_OK;
}

uint64_t loader_samples_per_epoch(const loader *l) {
    return l->epoch_samples;
}

void loader_get_stats(loader *l, loader_stats *stats) {
    pthread_mutex_lock(&l->mutex);
    *stats = l->stats;
    pthread_mutex_unlock(&l->mutex);
}

/* ---------------------------------------------------------------- cursor */

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p) {
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint32_t cursor_flags(const loader_options *o) {
    return (o->shuffle ? 1u : 0u) | (o->document_aligned ? 2u : 0u) |
           (o->landmark_id >= 0 ? 4u : 0u);
}

mn_status loader_save_cursor(const loader *l, uint8_t **data, size_t *len) {
    uint8_t *c = mn_malloc(CURSOR_BYTES);
    if (c == NULL)
        return MN_ERR_NOMEM;
    pthread_mutex_lock((pthread_mutex_t *)&l->mutex);
    uint64_t step = l->consume_step;
    int micro = l->consume_micro;
    pthread_mutex_unlock((pthread_mutex_t *)&l->mutex);
    const loader_options *o = &l->options;
    memcpy(c, cursor_magic, 8);
    put32(c + 8, 1);
    put32(c + 12, cursor_flags(o));
    put64(c + 16, l->fingerprint);
    put64(c + 24, o->seed);
    put32(c + 32, (uint32_t)l->T);
    put32(c + 36, (uint32_t)o->chunk_text_tokens);
    put64(c + 40, (uint64_t)o->landmark_id);
    put32(c + 48, (uint32_t)o->world);
    put32(c + 52, (uint32_t)o->grad_accum);
    put32(c + 56, (uint32_t)l->B);
    put32(c + 60, (uint32_t)micro);
    put64(c + 64, step);
    put64(c + 72, mn_xxh64(c, 72, 0));
    *data = c;
    *len = CURSOR_BYTES;
    return MN_OK;
}

mn_status loader_restore_cursor(loader *l, const uint8_t *c, size_t len) {
    MN_RETURN_ERROR_IF(len != CURSOR_BYTES || memcmp(c, cursor_magic, 8) != 0, MN_ERR_FORMAT,
                       "not a data loader cursor (%zu bytes)", len);
    MN_RETURN_ERROR_IF(get64(c + 72) != mn_xxh64(c, 72, 0), MN_ERR_CORRUPT,
                       "the data loader cursor is damaged (checksum mismatch)");
    MN_RETURN_ERROR_IF(get32(c + 8) != 1, MN_ERR_UNSUPPORTED,
                       "data loader cursor version %u is not supported", get32(c + 8));
    const loader_options *o = &l->options;
    MN_RETURN_ERROR_IF(get64(c + 16) != l->fingerprint, MN_ERR_MISMATCH,
                       "the cursor belongs to another dataset (its shards, ranges or weights "
                       "differ from %s): resume with the dataset the run started with",
                       l->dataset);
    MN_RETURN_ERROR_IF(get32(c + 32) != (uint32_t)l->T, MN_ERR_MISMATCH,
                       "the cursor was saved with sequence length %u, this run uses %d",
                       get32(c + 32), l->T);
    MN_RETURN_ERROR_IF(get64(c + 24) != o->seed, MN_ERR_MISMATCH,
                       "the cursor was saved with data seed %llu, this run uses %llu",
                       (unsigned long long)get64(c + 24), (unsigned long long)o->seed);
    uint32_t flags = get32(c + 12);
    MN_RETURN_ERROR_IF(flags != cursor_flags(o) ||
                           get32(c + 36) != (uint32_t)o->chunk_text_tokens ||
                           get64(c + 40) != (uint64_t)o->landmark_id,
                       MN_ERR_MISMATCH,
                       "the cursor was saved with shuffle %s, document alignment %s, landmarks "
                       "%s (id %lld, chunk %u); this run has %s, %s, %s (id %lld, chunk %d)",
                       flags & 1 ? "on" : "off", flags & 2 ? "on" : "off", flags & 4 ? "on" : "off",
                       (long long)get64(c + 40), get32(c + 36), o->shuffle ? "on" : "off",
                       o->document_aligned ? "on" : "off", o->landmark_id >= 0 ? "on" : "off",
                       (long long)o->landmark_id, o->chunk_text_tokens);
    uint32_t world = get32(c + 48), accum = get32(c + 52), micro_batch = get32(c + 56);
    uint32_t micro = get32(c + 60);
    uint64_t step = get64(c + 64);
    uint64_t saved_g = (uint64_t)world * accum * micro_batch;
    bool same_layout = world == (uint32_t)o->world && accum == (uint32_t)o->grad_accum &&
                       micro_batch == (uint32_t)l->B;
    /* Another world size reads the same data only when the global batch is the same and
     * the cursor sits on a step boundary. */
    MN_RETURN_ERROR_IF(!same_layout && saved_g != l->global_batch, MN_ERR_MISMATCH,
                       "the cursor was saved with world %u x accumulation %u x micro-batch %u = "
                       "%llu samples per step; this run has %d x %d x %d = %llu: resume with the "
                       "same global batch",
                       world, accum, micro_batch, (unsigned long long)saved_g, o->world,
                       o->grad_accum, l->B, (unsigned long long)l->global_batch);
    MN_RETURN_ERROR_IF(!same_layout && micro != 0, MN_ERR_MISMATCH,
                       "the cursor was saved in the middle of step %llu (micro-step %u) with "
                       "world %u: resume with the same world size, accumulation and micro-batch",
                       (unsigned long long)step, micro, world);
    MN_RETURN_ERROR_IF(micro >= (uint32_t)o->grad_accum, MN_ERR_CORRUPT,
                       "the cursor's micro-step %u is not below its accumulation %u", micro, accum);
    stop_thread(l);
    l->consume_step = step;
    l->consume_micro = (int)micro;
    return start_thread(l);
}

void loader_close(loader *l) {
    if (l == NULL)
        return;
    stop_thread(l);
    for (uint32_t i = 0; l->entries != NULL && i < l->n_entries; i++) {
        shard_reader_close(l->entries[i].reader);
        free(l->entries[i].doc_sample_start);
    }
    free(l->entries);
    for (int i = 0; i < CACHE_BLOCKS; i++)
        free(l->cache[i].ids);
    for (int i = 0; l->slots != NULL && i < l->n_slots; i++) {
        free(l->slots[i].inputs);
        free(l->slots[i].targets);
    }
    free(l->slots);
    free(l->sample_tokens);
    shard_decoder_free(l->decoder);
    pthread_mutex_destroy(&l->mutex);
    pthread_cond_destroy(&l->not_empty);
    pthread_cond_destroy(&l->not_full);
    free(l->dataset);
    free(l);
}
