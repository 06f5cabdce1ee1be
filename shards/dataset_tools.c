/* Dataset-level tools of mnemo-shard: verify entries, length statistics, documents, mixtures,
 * splits (shards/tools.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "shards/docshard.h"
#include "shards/tools.h"

/* ---------------------------------------------------------------- verify */

/* xxh64 of a whole file through a read-only mapping. */
static mn_status file_xxh64(const char *path, uint64_t *digest) {
    mn_mapped_file map;
    MN_FORWARD_IF_ERROR(mn_map_file(&map, path));
    *digest = mn_xxh64(map.data, map.size, 0);
    mn_unmap_file(&map);
    return MN_OK;
}

/* The documents [begin, end) of an entry and their tokens, from an open shard. */
static mn_status entry_range(const shard_manifest_entry *e, const shard_reader *r, const char *path,
                             uint64_t *begin, uint64_t *end, uint64_t *tokens) {
    uint64_t docs = shard_reader_documents(r);
    *begin = e->document_end > 0 ? e->document_begin : 0;
    *end = e->document_end > 0 ? e->document_end : docs;
    MN_RETURN_ERROR_IF(*end > docs, MN_ERR_CORRUPT,
                       "shard %s has %llu documents but its entry selects [%llu, %llu): the shard "
                       "was replaced after the manifest was made; re-create the manifest",
                       path, (unsigned long long)docs, (unsigned long long)*begin,
                       (unsigned long long)*end);
    uint64_t first, last;
    MN_FORWARD_IF_ERROR(shard_reader_document_span(r, *begin, *end, &first, &last));
    *tokens = last - first;
    return MN_OK;
}

static mn_status check_token_entry(const shard_manifest *m, const shard_manifest_entry *e,
                                   const char *path, uint64_t expect, shard_entry_check *check) {
    shard_reader *r;
    MN_FORWARD_IF_ERROR(shard_reader_open(&r, path));
    uint64_t hash = shard_reader_tokenizer_hash(r), begin = 0, end = 0, tokens = 0;
    mn_status status = MN_OK;
    if (m->tokenizer_hash != 0 && hash != m->tokenizer_hash)
        status = mn_error(MN_ERR_MISMATCH,
                          "shard %s was made by tokenizer 0x%016llx but the dataset's tokenizer "
                          "is 0x%016llx: re-tokenize it with the dataset's tokenizer or remove it "
                          "from the manifest",
                          path, (unsigned long long)hash, (unsigned long long)m->tokenizer_hash);
    else if (expect != 0 && hash != expect)
        status = mn_error(MN_ERR_MISMATCH,
                          "shard %s was made by tokenizer 0x%016llx, not the expected 0x%016llx: "
                          "re-tokenize it with that tokenizer",
                          path, (unsigned long long)hash, (unsigned long long)expect);
    if (status == MN_OK)
        status = entry_range(e, r, path, &begin, &end, &tokens);
    if (status == MN_OK && (end - begin != e->documents || tokens != e->tokens))
        status = mn_error(MN_ERR_CORRUPT,
                          "shard %s holds %llu documents and %llu tokens for its entry but the "
                          "manifest says %llu and %llu: re-create the manifest",
                          path, (unsigned long long)(end - begin), (unsigned long long)tokens,
                          (unsigned long long)e->documents, (unsigned long long)e->tokens);
    shard_reader_close(r);
    MN_FORWARD_IF_ERROR(status);
    shard_info info;
    MN_FORWARD_IF_ERROR(shard_verify(path, 0, &info));
    MN_RETURN_ERROR_IF(
        info.xxh64 != e->xxh64, MN_ERR_CORRUPT,
        "shard %s: its xxh64 0x%016llx differs from the manifest's 0x%016llx although "
        "every block checks out: the file was re-written after the manifest was "
        "made; re-create the manifest",
        path, (unsigned long long)info.xxh64, (unsigned long long)e->xxh64);
    *check =
        (shard_entry_check){.documents = end - begin, .tokens = tokens, .bytes = info.file_bytes};
    return MN_OK;
}

static mn_status check_document_entry(const shard_manifest_entry *e, const char *path,
                                      shard_entry_check *check) {
    uint64_t digest;
    MN_FORWARD_IF_ERROR(file_xxh64(path, &digest));
    MN_RETURN_ERROR_IF(digest != e->xxh64, MN_ERR_CORRUPT,
                       "document shard %s: xxh64 0x%016llx differs from the manifest's 0x%016llx: "
                       "the file is damaged or was replaced; re-create it with mnemo-ingest or "
                       "restore it",
                       path, (unsigned long long)digest, (unsigned long long)e->xxh64);
    docshard_reader *r;
    MN_FORWARD_IF_ERROR(docshard_reader_open(&r, path));
    uint64_t documents = 0, bad = 0;
    char first_bad[512] = "";
    mn_status status = MN_OK;
    for (;;) {
        doc_record d;
        bool done;
        mn_status s = docshard_reader_next(r, &d, &done);
        if (s == MN_OK && done)
            break;
        if (s == MN_OK) {
            documents++;
        } else if (s == MN_ERR_FORMAT || s == MN_ERR_LIMIT) {
            if (bad++ == 0)
                snprintf(first_bad, sizeof first_bad, "%s", mn_error_message());
        } else {
            status = s;
            break;
        }
    }
    docshard_reader_close(r);
    MN_FORWARD_IF_ERROR(status);
    MN_RETURN_ERROR_IF(bad > 0, MN_ERR_CORRUPT,
                       "document shard %s has %llu lines that are not documents (first: %s)", path,
                       (unsigned long long)bad, first_bad);
    uint64_t expected = e->documents;
    MN_RETURN_ERROR_IF(e->document_end == 0 && documents != expected, MN_ERR_CORRUPT,
                       "document shard %s holds %llu documents, the manifest says %llu: "
                       "re-create the manifest",
                       path, (unsigned long long)documents, (unsigned long long)expected);
    *check = (shard_entry_check){.documents = documents, .bytes = e->bytes};
    return MN_OK;
}

mn_status shard_check_entry(const shard_manifest *m, size_t i, uint64_t expect,
                            shard_entry_check *check) {
    *check = (shard_entry_check){0};
    const shard_manifest_entry *e = &m->shards[i];
    char *path = shard_manifest_shard_path(m, i);
    if (path == NULL)
        return MN_ERR_NOMEM;
    uint64_t size = 0;
    mn_status status = mn_file_size(path, &size);
    if (status == MN_ERR_NOT_FOUND)
        status = mn_error(MN_ERR_NOT_FOUND,
                          "shard %s is missing: restore it, or re-run the program that made the "
                          "dataset (it resumes)",
                          path);
    else if (status == MN_OK && size != e->bytes)
        status = mn_error(MN_ERR_CORRUPT,
                          "shard %s is %llu bytes but the manifest says %llu: the file was cut "
                          "short or replaced; re-create it or restore it",
                          path, (unsigned long long)size, (unsigned long long)e->bytes);
    if (status == MN_OK)
        status = m->kind == SHARD_DATASET_TOKENS ? check_token_entry(m, e, path, expect, check)
                                                 : check_document_entry(e, path, check);
    free(path);
    if (status != MN_OK)
        return mn_error_context(status, "dataset %s", m->dir);
    return MN_OK;
}

/* ---------------------------------------------------------------- statistics */

void shard_length_stats_init(shard_length_stats *s) {
    *s = (shard_length_stats){.min = UINT64_MAX};
}

void shard_length_stats_add(shard_length_stats *s, uint64_t length) {
    int bucket = length == 0 ? 0 : 63 - __builtin_clzll(length);
    s->buckets[bucket]++;
    s->documents++;
    s->total += length;
    s->min = length < s->min ? length : s->min;
    s->max = length > s->max ? length : s->max;
}

void shard_length_stats_merge(shard_length_stats *into, const shard_length_stats *from) {
    for (int k = 0; k < SHARD_HISTOGRAM_BUCKETS; k++)
        into->buckets[k] += from->buckets[k];
    into->documents += from->documents;
    into->total += from->total;
    into->min = from->min < into->min ? from->min : into->min;
    into->max = from->max > into->max ? from->max : into->max;
}

uint64_t shard_length_stats_quantile_bound(const shard_length_stats *s, double fraction) {
    if (s->documents == 0)
        return 0;
    uint64_t need = (uint64_t)ceil(fraction * (double)s->documents), seen = 0;
    for (int k = 0; k < SHARD_HISTOGRAM_BUCKETS; k++) {
        seen += s->buckets[k];
        if (seen >= need && seen > 0) {
            uint64_t upper = k >= 63 ? UINT64_MAX : (2ull << k) - 1;
            return upper < s->max ? upper : s->max;
        }
    }
    return s->max;
}

mn_status shard_entry_length_stats(const shard_manifest *m, size_t i, shard_length_stats *stats) {
    const shard_manifest_entry *e = &m->shards[i];
    char *path = shard_manifest_shard_path(m, i);
    if (path == NULL)
        return MN_ERR_NOMEM;
    mn_status status = MN_OK;
    if (m->kind == SHARD_DATASET_TOKENS) {
        shard_reader *r;
        status = shard_reader_open(&r, path);
        uint64_t begin = 0, end = 0, tokens;
        if (status == MN_OK) {
            status = entry_range(e, r, path, &begin, &end, &tokens);
            for (uint64_t d = begin; status == MN_OK && d < end; d++) {
                uint64_t first, length;
                status = shard_reader_document(r, d, &first, &length);
                if (status == MN_OK)
                    shard_length_stats_add(stats, length);
            }
            shard_reader_close(r);
        }
    } else {
        docshard_reader *r = NULL;
        status = docshard_reader_open(&r, path);
        while (status == MN_OK) {
            doc_record d;
            bool done;
            mn_status s = docshard_reader_next(r, &d, &done);
            if (s == MN_OK && done)
                break;
            if (s == MN_OK)
                shard_length_stats_add(stats, d.text_len);
            else if (s != MN_ERR_FORMAT && s != MN_ERR_LIMIT)
                status = s;
        }
        docshard_reader_close(r);
    }
    free(path);
    return status;
}

/* ---------------------------------------------------------------- documents */

mn_status shard_entry_documents(const shard_manifest *m, size_t i, uint64_t first, uint64_t count,
                                shard_document_visitor visit, void *context) {
    MN_RETURN_ERROR_IF(m->kind != SHARD_DATASET_TOKENS, MN_ERR_ARG,
                       "dataset %s holds documents, not tokens", m->dir);
    const shard_manifest_entry *e = &m->shards[i];
    char *path = shard_manifest_shard_path(m, i);
    if (path == NULL)
        return MN_ERR_NOMEM;
    shard_reader *r = NULL;
    shard_decoder *decoder = NULL;
    uint32_t *block = NULL, *doc = NULL;
    size_t doc_capacity = 0;
    uint64_t begin = 0, end = 0, tokens = 0, loaded = UINT64_MAX;
    mn_status status = shard_reader_open(&r, path);
    if (status == MN_OK)
        status = entry_range(e, r, path, &begin, &end, &tokens);
    if (status == MN_OK)
        status = shard_decoder_create(&decoder);
    if (status == MN_OK) {
        uint64_t largest = 1;
        for (uint64_t b = 0; b < shard_reader_blocks(r); b++)
            largest = shard_reader_block_tokens(r, b) > largest ? shard_reader_block_tokens(r, b)
                                                                : largest;
        if ((block = mn_alloc_array((size_t)largest, sizeof *block)) == NULL)
            status = MN_ERR_NOMEM;
    }
    uint64_t from = begin + (first < end - begin ? first : end - begin);
    uint64_t to = count < end - from ? from + count : end;
    for (uint64_t d = from; status == MN_OK && d < to; d++) {
        uint64_t start, length;
        status = shard_reader_document(r, d, &start, &length);
        if (status != MN_OK)
            break;
        if (length > doc_capacity) {
            void *p = doc;
            status = mn_realloc_array(&p, (size_t)length, sizeof *doc);
            if (status != MN_OK)
                break;
            doc = p;
            doc_capacity = (size_t)length;
        }
        /* Blocks are decoded in order, each once, as documents run through them. */
        for (uint64_t at = start; status == MN_OK && at < start + length;) {
            uint64_t b = shard_reader_block_of_token(r, at);
            if (b != loaded) {
                status = shard_reader_decode_block(r, decoder, b, block);
                loaded = status == MN_OK ? b : UINT64_MAX;
                if (status != MN_OK)
                    break;
            }
            uint64_t within = at - shard_reader_block_first_token(r, b);
            uint64_t take = shard_reader_block_tokens(r, b) - within;
            take = take < start + length - at ? take : start + length - at;
            memcpy(doc + (at - start), block + within, (size_t)take * sizeof *doc);
            at += take;
        }
        if (status == MN_OK)
            status = visit(context, d - begin, doc, (size_t)length - 1); /* without EOS */
    }
    free(doc);
    free(block);
    shard_decoder_free(decoder);
    shard_reader_close(r);
    free(path);
    return status;
}

/* ---------------------------------------------------------------- paths */

static const char *skip_slashes(const char *p) {
    while (*p == '/')
        p++;
    return p;
}

static size_t component_length(const char *p) {
    const char *slash = strchr(p, '/');
    return slash ? (size_t)(slash - p) : strlen(p);
}

char *shard_relative_path(const char *from_dir, const char *target) {
    char *from = realpath(from_dir, NULL), *to = realpath(target, NULL);
    char *result = NULL;
    if (from != NULL && to != NULL) {
        /* Drop the leading components both paths share; each one left in `from` is a "..". */
        const char *a = skip_slashes(from), *b = skip_slashes(to);
        for (;;) {
            size_t la = component_length(a), lb = component_length(b);
            if (la == 0 || la != lb || memcmp(a, b, la) != 0)
                break;
            a = skip_slashes(a + la);
            b = skip_slashes(b + lb);
        }
        mn_buf out = {0};
        mn_status status = MN_OK;
        for (; *a != '\0' && status == MN_OK; a = skip_slashes(a + component_length(a)))
            status = mn_buf_append(&out, "../", 3);
        if (status == MN_OK)
            status = mn_buf_append(&out, b, strlen(b));
        if (status == MN_OK && out.len == 0)
            status = mn_buf_append(&out, ".", 1);
        if (status == MN_OK)
            result = (char *)out.data;
        else
            mn_buf_free(&out);
    }
    if (result == NULL)
        result = to != NULL ? mn_strdup(to) : mn_strdup(target);
    free(from);
    free(to);
    return result;
}

/* An entry copied from `from` into a manifest at `to_dir`, its path re-based. */
static mn_status add_rebased(shard_manifest *to, const shard_manifest *from, size_t i,
                             double weight, uint64_t doc_begin, uint64_t doc_end,
                             uint64_t documents, uint64_t tokens) {
    char *path = shard_manifest_shard_path(from, i);
    char *relative = path ? shard_relative_path(to->dir, path) : NULL;
    mn_status status = MN_ERR_NOMEM;
    if (relative != NULL) {
        shard_manifest_entry e = from->shards[i];
        e.path = relative;
        e.weight = weight;
        e.document_begin = doc_begin;
        e.document_end = doc_end;
        e.documents = documents;
        e.tokens = tokens;
        status = shard_manifest_add(to, &e);
    }
    free(path);
    free(relative);
    return status;
}

/* ---------------------------------------------------------------- mix */

static double entry_weight(const shard_manifest_entry *e) {
    return e->weight == 0 ? 1.0 : e->weight;
}

mn_status shard_mix(const shard_mix_input *inputs, size_t n, uint64_t epoch_tokens,
                    const char *output_dir) {
    MN_RETURN_ERROR_IF(n == 0, MN_ERR_ARG, "mix: no input datasets");
    shard_manifest *in = mn_calloc(n, sizeof *in);
    double *effective = mn_calloc(n, sizeof *effective);
    if (in == NULL || effective == NULL) {
        free(in);
        free(effective);
        return MN_ERR_NOMEM;
    }
    mn_status status = MN_OK;
    double share_sum = 0;
    for (size_t k = 0; status == MN_OK && k < n; k++) {
        if (!(inputs[k].share > 0) || !isfinite(inputs[k].share)) {
            status = mn_error(MN_ERR_ARG, "mix: the share of %s must be > 0 (got %g)",
                              inputs[k].dataset, inputs[k].share);
            break;
        }
        share_sum += inputs[k].share;
        status = shard_manifest_load(&in[k], inputs[k].dataset);
        if (status != MN_OK)
            break;
        if (in[k].kind != SHARD_DATASET_TOKENS)
            status = mn_error(MN_ERR_ARG, "mix: %s is a %s dataset; mixtures are of token datasets",
                              inputs[k].dataset, shard_dataset_kind_name(in[k].kind));
        else if (in[k].tokenizer_hash != in[0].tokenizer_hash)
            status = mn_error(MN_ERR_MISMATCH,
                              "mix: %s was tokenized by 0x%016llx but %s by 0x%016llx: a mixture "
                              "needs one tokenizer (re-tokenize one of them)",
                              inputs[k].dataset, (unsigned long long)in[k].tokenizer_hash,
                              inputs[0].dataset, (unsigned long long)in[0].tokenizer_hash);
        for (size_t j = 0; status == MN_OK && j < in[k].n_shards; j++)
            effective[k] += entry_weight(&in[k].shards[j]) * (double)in[k].shards[j].tokens;
        if (status == MN_OK && effective[k] <= 0)
            status = mn_error(MN_ERR_ARG, "mix: %s has no tokens", inputs[k].dataset);
    }
    double epoch = (double)epoch_tokens;
    if (status == MN_OK && epoch_tokens == 0) {
        /* The largest epoch in which no input repeats: the tightest input is used once. */
        epoch = INFINITY;
        for (size_t k = 0; k < n; k++)
            epoch = fmin(epoch, effective[k] / (inputs[k].share / share_sum));
    }
    shard_manifest out = {0};
    if (status == MN_OK)
        status = mn_make_dirs(output_dir);
    if (status == MN_OK)
        status = shard_manifest_init(&out, SHARD_DATASET_TOKENS, output_dir);
    out.tokenizer_hash = in[0].tokenizer_hash;
    char key[64], value[64];
    for (size_t k = 0; status == MN_OK && k < n; k++) {
        double share = inputs[k].share / share_sum;
        double scale = share * epoch / effective[k];
        for (size_t j = 0; status == MN_OK && j < in[k].n_shards; j++) {
            const shard_manifest_entry *e = &in[k].shards[j];
            status = add_rebased(&out, &in[k], j, entry_weight(e) * scale, e->document_begin,
                                 e->document_end, e->documents, e->tokens);
        }
        snprintf(key, sizeof key, "mix.%zu.dataset", k);
        if (status == MN_OK)
            status = shard_manifest_set_setting(&out, key, inputs[k].dataset);
        snprintf(key, sizeof key, "mix.%zu.share", k);
        snprintf(value, sizeof value, "%.6g", share);
        if (status == MN_OK)
            status = shard_manifest_set_setting(&out, key, value);
        snprintf(key, sizeof key, "mix.%zu.weight", k);
        snprintf(value, sizeof value, "%.6g", scale);
        if (status == MN_OK)
            status = shard_manifest_set_setting(&out, key, value);
    }
    snprintf(value, sizeof value, "%.0f", epoch);
    if (status == MN_OK)
        status = shard_manifest_set_setting(&out, "mix.epoch_tokens", value);
    if (status == MN_OK)
        status = shard_manifest_save(&out);
    shard_manifest_free(&out);
    for (size_t k = 0; k < n; k++)
        shard_manifest_free(&in[k]);
    free(in);
    free(effective);
    return status;
}

/* ---------------------------------------------------------------- split */

mn_status shard_split(const char *dataset, const char *train_dir, const char *val_dir,
                      double val_fraction, uint64_t val_tokens) {
    MN_RETURN_ERROR_IF(!(val_fraction >= 0 && val_fraction < 1), MN_ERR_ARG,
                       "split: the validation fraction must be in [0, 1) (got %g)", val_fraction);
    shard_manifest m, train = {0}, val = {0};
    MN_FORWARD_IF_ERROR(shard_manifest_load(&m, dataset));
    mn_status status = MN_OK;
    if (m.kind != SHARD_DATASET_TOKENS)
        status = mn_error(MN_ERR_ARG, "split: %s is a %s dataset; split reads token datasets",
                          dataset, shard_dataset_kind_name(m.kind));
    if (status == MN_OK)
        status = mn_make_dirs(train_dir);
    if (status == MN_OK)
        status = mn_make_dirs(val_dir);
    if (status == MN_OK)
        status = shard_manifest_init(&train, SHARD_DATASET_TOKENS, train_dir);
    if (status == MN_OK)
        status = shard_manifest_init(&val, SHARD_DATASET_TOKENS, val_dir);
    train.tokenizer_hash = val.tokenizer_hash = m.tokenizer_hash;
    for (size_t i = 0; status == MN_OK && i < m.n_shards; i++) {
        const shard_manifest_entry *e = &m.shards[i];
        char *path = shard_manifest_shard_path(&m, i);
        shard_reader *r = NULL;
        status = path ? shard_reader_open(&r, path) : MN_ERR_NOMEM;
        uint64_t begin = 0, end = 0, tokens = 0;
        if (status == MN_OK)
            status = entry_range(e, r, path, &begin, &end, &tokens);
        if (status == MN_OK) {
            double target = val_tokens > 0 && m.total_tokens > 0
                                ? (double)val_tokens * (double)tokens / (double)m.total_tokens
                                : val_fraction * (double)tokens;
            /* Take documents from the end until they hold the target; keep one for train. */
            uint64_t cut = end, taken = 0;
            while (status == MN_OK && cut > begin + 1 && (double)taken < target) {
                uint64_t first, length;
                status = shard_reader_document(r, cut - 1, &first, &length);
                taken += length;
                cut--;
            }
            if (status == MN_OK && cut > begin)
                status =
                    add_rebased(&train, &m, i, e->weight, begin, cut, cut - begin, tokens - taken);
            if (status == MN_OK && cut < end)
                status = add_rebased(&val, &m, i, e->weight, cut, end, end - cut, taken);
        }
        shard_reader_close(r);
        free(path);
    }
    char value[64];
    for (int part = 0; status == MN_OK && part < 2; part++) {
        shard_manifest *out = part == 0 ? &train : &val;
        status = shard_manifest_set_setting(out, "split.dataset", dataset);
        if (status == MN_OK)
            status = shard_manifest_set_setting(out, "split.part", part == 0 ? "train" : "val");
        snprintf(value, sizeof value, "%.6g", val_fraction);
        if (status == MN_OK && val_tokens == 0)
            status = shard_manifest_set_setting(out, "split.val_fraction", value);
        snprintf(value, sizeof value, "%llu", (unsigned long long)val_tokens);
        if (status == MN_OK && val_tokens > 0)
            status = shard_manifest_set_setting(out, "split.val_tokens", value);
    }
    /* Validation first: a train manifest always has its validation twin. */
    if (status == MN_OK)
        status = shard_manifest_save(&val);
    if (status == MN_OK)
        status = shard_manifest_save(&train);
    shard_manifest_free(&train);
    shard_manifest_free(&val);
    shard_manifest_free(&m);
    return status;
}
