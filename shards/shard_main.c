/* mnemo-shard: inspect, verify, stats, cat, mix, split, export, import (docs/shard.md).
 * Argument parsing and printing only; the work is in shards/tools.h and the shard libraries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "common/progress.h"
#include "common/util.h"
#include "shards/docshard.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "shards/tools.h"
#include "tokenizer/tokenizer.h"

/* ---------------------------------------------------------------- targets */

static bool has_suffix(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A dataset, or a single shard file seen as a dataset of one entry. */
static mn_status load_target(const char *path, shard_manifest *m, bool *single) {
    *single = false;
    bool mtok = has_suffix(path, ".mtok"), jsonl = has_suffix(path, ".jsonl.zst");
    if (!mtok && !jsonl)
        return shard_manifest_load(m, path);
    *single = true;
    char dir[4096];
    mn_path_dirname(path, dir, sizeof dir);
    const char *slash = strrchr(path, '/');
    shard_manifest_entry e = {.path = (char *)(slash ? slash + 1 : path)};
    MN_FORWARD_IF_ERROR(mn_file_size(path, &e.bytes));
    MN_FORWARD_IF_ERROR(
        shard_manifest_init(m, mtok ? SHARD_DATASET_TOKENS : SHARD_DATASET_DOCUMENTS, dir));
    mn_status status = MN_OK;
    if (mtok) {
        shard_reader *r;
        status = shard_reader_open(&r, path);
        if (status == MN_OK) {
            e.documents = shard_reader_documents(r);
            e.tokens = shard_reader_tokens(r);
            m->tokenizer_hash = shard_reader_tokenizer_hash(r);
            shard_reader_close(r);
        }
    }
    if (status == MN_OK)
        status = shard_manifest_add(m, &e);
    if (status != MN_OK)
        shard_manifest_free(m);
    return status;
}

/* Entries of a dataset spread over ranks by size: the largest first, each to the rank with
 * the fewest bytes so far (the same answer on every rank). owner[i] = rank of entry i. */
static mn_status assign_entries(const shard_manifest *m, int world, int **owner) {
    *owner = mn_calloc(m->n_shards ? m->n_shards : 1, sizeof **owner);
    size_t *order = mn_calloc(m->n_shards ? m->n_shards : 1, sizeof *order);
    uint64_t *load = mn_calloc((size_t)world, sizeof *load);
    if (*owner == NULL || order == NULL || load == NULL) {
        free(*owner);
        free(order);
        free(load);
        return MN_ERR_NOMEM;
    }
    for (size_t i = 0; i < m->n_shards; i++)
        order[i] = i;
    for (size_t i = 1; i < m->n_shards; i++) /* insertion sort: by bytes desc, index asc */
        for (size_t j = i; j > 0 && m->shards[order[j]].bytes > m->shards[order[j - 1]].bytes;
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (size_t k = 0; k < m->n_shards; k++) {
        int best = 0;
        for (int r = 1; r < world; r++)
            if (load[r] < load[best])
                best = r;
        (*owner)[order[k]] = best;
        load[best] += m->shards[order[k]].bytes + 1;
    }
    free(order);
    free(load);
    return MN_OK;
}

/* Runs `work` on rank 0 only; every rank returns the agreed status. */
static mn_status on_rank0(mn_status (*work)(void *), void *context) {
    mn_status local = mn_mpi_rank() == 0 ? work(context) : MN_OK;
    return mn_mpi_agree(local, MPI_COMM_WORLD);
}

static mn_status parse_hash(const char *text, uint64_t *hash) {
    char *end = NULL;
    *hash = strtoull(text, &end, 16);
    MN_RETURN_ERROR_IF(end == text || *end != '\0', MN_ERR_ARG,
                       "'%s' is not a hexadecimal tokenizer hash", text);
    return MN_OK;
}

/* The tokenizer hash to require: from --tokenizer FILE or --tokenizer-hash HEX (0: none). */
static mn_status expected_tokenizer(const char *file, const char *hex, uint64_t *hash) {
    *hash = 0;
    if (hex != NULL)
        return parse_hash(hex, hash);
    if (file == NULL)
        return MN_OK;
    tok_tokenizer *t;
    MN_FORWARD_IF_ERROR(tok_load(&t, file));
    *hash = tok_identity_hash(t);
    tok_free(t);
    return MN_OK;
}

static char *fmt_count(char *buf, uint64_t v) {
    /* 1234567 -> "1,234,567" */
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v), o = 0;
    for (int i = 0; i < n; i++) {
        buf[o++] = digits[i];
        if ((n - i - 1) % 3 == 0 && i != n - 1)
            buf[o++] = ',';
    }
    buf[o] = '\0';
    return buf;
}

/* ---------------------------------------------------------------- inspect */

typedef struct inspect_args {
    const char *path;
    bool blocks;
} inspect_args;

static mn_status inspect_mtok(const inspect_args *a) {
    shard_reader *r;
    MN_FORWARD_IF_ERROR(shard_reader_open(&r, a->path));
    shard_description d;
    shard_reader_describe(r, &d);
    char c1[32], c2[32], b1[32], b2[32];
    printf("token shard %s\n", d.path);
    printf("  format          mtok version %u, uint%u ids, vocabulary %u, EOS %u\n",
           d.format_version, d.dtype_bytes * 8, d.vocab_size, d.eos_id);
    printf("  tokenizer       0x%016llx\n", (unsigned long long)d.tokenizer_hash);
    printf("  documents       %s\n", fmt_count(c1, d.documents));
    printf("  tokens          %s (EOS included)\n", fmt_count(c2, d.tokens));
    printf("  blocks          %llu of %llu tokens, zstd level %d\n", (unsigned long long)d.blocks,
           (unsigned long long)d.block_tokens, d.zstd_level);
    printf("  size            %s (blocks %s, footer %s)\n",
           mn_format_bytes(b1, 32, (double)d.file_bytes),
           mn_format_bytes(b2, 32, (double)d.compressed_bytes),
           mn_format_bytes(c1, 32, (double)d.footer_bytes));
    if (d.tokens > 0)
        printf("  compression     %.3f bytes/token (raw uint16: 2)\n",
               (double)d.file_bytes / (double)d.tokens);
    printf("  created by      %s\n", d.created_by[0] ? d.created_by : "(unknown)");
    printf("  source          %s\n", d.source[0] ? d.source : "(unknown)");
    if (a->blocks) {
        printf("  %8s %12s %10s %10s %12s %10s %18s\n", "block", "offset", "bytes", "tokens",
               "first token", "first doc", "xxh64");
        for (uint64_t b = 0; b < d.blocks; b++) {
            shard_block_info bi = shard_reader_block_info(r, b);
            printf("  %8llu %12llu %10llu %10llu %12llu %10llu 0x%016llx\n", (unsigned long long)b,
                   (unsigned long long)bi.offset, (unsigned long long)bi.compressed_size,
                   (unsigned long long)bi.tokens, (unsigned long long)bi.first_token,
                   (unsigned long long)bi.first_document, (unsigned long long)bi.xxh64);
        }
    }
    shard_reader_close(r);
    return MN_OK;
}

static mn_status inspect_docshard(const inspect_args *a) {
    docshard_reader *r;
    MN_FORWARD_IF_ERROR(docshard_reader_open(&r, a->path));
    uint64_t documents = 0, bad = 0, text = 0;
    mn_status status = MN_OK;
    for (;;) {
        doc_record d;
        bool done;
        mn_status s = docshard_reader_next(r, &d, &done);
        if (s == MN_OK && done)
            break;
        if (s == MN_OK) {
            documents++;
            text += d.text_len;
        } else if (s == MN_ERR_FORMAT || s == MN_ERR_LIMIT) {
            if (bad++ < 5)
                mn_warn("%s", mn_error_message());
        } else {
            status = s;
            break;
        }
    }
    uint64_t size = docshard_reader_compressed_offset(r);
    docshard_reader_close(r);
    MN_FORWARD_IF_ERROR(status);
    char c1[32], c2[32], b1[32];
    printf("document shard %s\n  documents       %s\n  text            %s bytes\n"
           "  compressed      %s\n  bad lines       %llu\n",
           a->path, fmt_count(c1, documents), fmt_count(c2, text),
           mn_format_bytes(b1, 32, (double)size), (unsigned long long)bad);
    return MN_OK;
}

static mn_status inspect_dataset(const inspect_args *a) {
    shard_manifest m;
    MN_FORWARD_IF_ERROR(shard_manifest_load(&m, a->path));
    char c1[32], c2[32], b1[32];
    printf("%s dataset %s\n", shard_dataset_kind_name(m.kind), m.dir);
    if (m.kind == SHARD_DATASET_TOKENS)
        printf("  tokenizer       0x%016llx\n", (unsigned long long)m.tokenizer_hash);
    printf("  shards          %zu\n  documents       %s\n", m.n_shards,
           fmt_count(c1, m.total_documents));
    if (m.kind == SHARD_DATASET_TOKENS)
        printf("  tokens          %s\n", fmt_count(c2, m.total_tokens));
    printf("  bytes           %s\n  created by      %s\n",
           mn_format_bytes(b1, 32, (double)m.total_bytes), m.created_by);
    for (size_t i = 0; i < m.n_settings; i++)
        printf("  setting         %s = %s\n", m.settings[i].key, m.settings[i].value);
    for (size_t i = 0; i < m.n_counters; i++)
        printf("  counter         %s = %lld\n", m.counters[i].name, (long long)m.counters[i].value);
    printf("  %-40s %12s %14s %12s %8s %s\n", "shard", "documents", "tokens", "bytes", "weight",
           "range");
    for (size_t i = 0; i < m.n_shards; i++) {
        const shard_manifest_entry *e = &m.shards[i];
        char range[64] = "all";
        if (e->document_end > 0)
            snprintf(range, sizeof range, "[%llu, %llu)", (unsigned long long)e->document_begin,
                     (unsigned long long)e->document_end);
        printf("  %-40s %12llu %14llu %12llu %8.4g %s\n", e->path, (unsigned long long)e->documents,
               (unsigned long long)e->tokens, (unsigned long long)e->bytes,
               e->weight == 0 ? 1.0 : e->weight, range);
    }
    shard_manifest_free(&m);
    return MN_OK;
}

static mn_status inspect_work(void *context) {
    const inspect_args *a = context;
    if (has_suffix(a->path, ".mtok"))
        return inspect_mtok(a);
    if (has_suffix(a->path, ".jsonl.zst"))
        return inspect_docshard(a);
    return inspect_dataset(a);
}

static int cmd_inspect(int argc, char **argv) {
    inspect_args a = {0};
    mn_cli_option options[] = {
        {"blocks", 0, MN_OPT_FLAG, &a.blocks, NULL, "list every block of a token shard"}, {0}};
    mn_cli_spec spec = {"mnemo-shard inspect",
                        "Describe a token shard (header, footer), a document shard or a dataset.",
                        "[OPTIONS] DATASET|SHARD.mtok|SHARD.jsonl.zst",
                        "Reads only footers and manifests (a document shard is read through).",
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    a.path = argv[first];
    return mn_program_exit(on_rank0(inspect_work, &a));
}

/* ---------------------------------------------------------------- verify */

static mn_status verify_one(const char *path, uint64_t expect, uint64_t totals[5]) {
    /* totals: shards, bad shards, documents, tokens, bytes (this rank's) */
    shard_manifest m;
    bool single;
    mn_status status = load_target(path, &m, &single);
    if (status != MN_OK) {
        mn_error_log("%s", mn_error_message());
        if (mn_mpi_rank() == 0)
            totals[0]++, totals[1]++;
        return MN_OK; /* counted as a failed shard; the others are still checked */
    }
    int *owner;
    status = assign_entries(&m, mn_mpi_world(), &owner);
    if (status != MN_OK) {
        shard_manifest_free(&m);
        return status;
    }
    double my_bytes = 0;
    for (size_t i = 0; i < m.n_shards; i++)
        if (owner[i] == mn_mpi_rank())
            my_bytes += (double)m.shards[i].bytes;
    mn_progress_field fields[] = {{"shards", MN_UNIT_COUNT}, {"verified", MN_UNIT_BYTES}};
    mn_progress *progress = NULL;
    status = mn_progress_begin(&progress, "verify", MPI_COMM_WORLD, fields, 2, 1, my_bytes);
    for (size_t i = 0; status == MN_OK && i < m.n_shards; i++) {
        if (owner[i] != mn_mpi_rank())
            continue;
        totals[0]++;
        mn_status s;
        if (single && m.kind == SHARD_DATASET_TOKENS) {
            shard_info info;
            char *shard = shard_manifest_shard_path(&m, i);
            s = shard ? shard_verify(shard, expect, &info) : MN_ERR_NOMEM;
            if (s == MN_OK) {
                totals[2] += info.documents;
                totals[3] += info.tokens;
                totals[4] += info.file_bytes;
            }
            free(shard);
        } else if (single) {
            /* a lone document shard: every line must be a document */
            docshard_reader *r = NULL;
            s = docshard_reader_open(&r, path);
            uint64_t bad = 0;
            char first_bad[512] = "";
            while (s == MN_OK) {
                doc_record d;
                bool done;
                mn_status line = docshard_reader_next(r, &d, &done);
                if (line == MN_OK && done)
                    break;
                if (line == MN_OK) {
                    totals[2]++;
                } else if (line == MN_ERR_FORMAT || line == MN_ERR_LIMIT) {
                    if (bad++ == 0)
                        snprintf(first_bad, sizeof first_bad, "%s", mn_error_message());
                } else {
                    s = line;
                }
            }
            docshard_reader_close(r);
            if (s == MN_OK && bad > 0)
                s = mn_error(MN_ERR_CORRUPT, "%s: %llu lines are not documents (first: %s)", path,
                             (unsigned long long)bad, first_bad);
            totals[4] += m.shards[i].bytes;
        } else {
            shard_entry_check check;
            s = shard_check_entry(&m, i, expect, &check);
            if (s == MN_OK) {
                totals[2] += check.documents;
                totals[3] += check.tokens;
                totals[4] += check.bytes;
            }
        }
        if (s != MN_OK) {
            totals[1]++;
            mn_error_log("%s", mn_error_message());
        }
        mn_progress_add(progress, 0, 1);
        mn_progress_add(progress, 1, (double)m.shards[i].bytes);
        mn_progress_tick(progress);
    }
    if (progress != NULL) {
        mn_status end = mn_progress_end(progress, NULL);
        status = status == MN_OK ? end : status;
    }
    free(owner);
    shard_manifest_free(&m);
    return status;
}

static int cmd_verify(int argc, char **argv) {
    const char *tokenizer = NULL, *hash = NULL;
    mn_cli_option options[] = {
        {"tokenizer", 0, MN_OPT_STRING, &tokenizer, "FILE.mtk",
         "require every token shard to come from this tokenizer"},
        {"tokenizer-hash", 0, MN_OPT_STRING, &hash, "HEX", "the same, given as its identity hash"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-shard verify",
        "Check every checksum and invariant of datasets or shards.",
        "[OPTIONS] DATASET|SHARD...",
        "For a dataset: each shard's size and xxh64 against the manifest, its counts, document\n"
        "range and tokenizer, then every block (zstd checksum, xxh64, ids below the vocabulary,\n"
        "EOS exactly at document ends) or, for document shards, every line. Shards are spread\n"
        "over MPI ranks. Each fault is printed with the shard, the block and the fix; the exit\n"
        "code is 1 when any shard failed.",
        options,
        1,
        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    uint64_t expect = 0;
    mn_status status = mn_mpi_agree(expected_tokenizer(tokenizer, hash, &expect), MPI_COMM_WORLD);
    uint64_t totals[5] = {0}, global[5] = {0};
    double start = mn_now();
    for (int k = first; status == MN_OK && k < argc; k++)
        status = mn_mpi_agree(verify_one(argv[k], expect, totals), MPI_COMM_WORLD);
    if (status == MN_OK)
        status =
            mn_mpi_check(MPI_Allreduce(totals, global, 5, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD),
                         "verify totals");
    if (status == MN_OK && mn_mpi_rank() == 0) {
        char c1[32], c2[32], b1[32];
        printf("verified %llu shard(s): %s documents, %s tokens, %s in %.1f s; %llu failed\n",
               (unsigned long long)global[0], fmt_count(c1, global[2]), fmt_count(c2, global[3]),
               mn_format_bytes(b1, 32, (double)global[4]), mn_now() - start,
               (unsigned long long)global[1]);
    }
    if (status == MN_OK && global[1] > 0)
        status = mn_error(MN_ERR_CORRUPT, "%llu of %llu shard(s) failed verification (see above)",
                          (unsigned long long)global[1], (unsigned long long)global[0]);
    return mn_program_exit(status);
}

/* ---------------------------------------------------------------- stats */

static mn_status reduce_stats(shard_length_stats *s) {
    uint64_t sums[SHARD_HISTOGRAM_BUCKETS + 2], out[SHARD_HISTOGRAM_BUCKETS + 2];
    memcpy(sums, s->buckets, sizeof s->buckets);
    sums[SHARD_HISTOGRAM_BUCKETS] = s->documents;
    sums[SHARD_HISTOGRAM_BUCKETS + 1] = s->total;
    MN_MPI_TRY(MPI_Allreduce(sums, out, SHARD_HISTOGRAM_BUCKETS + 2, MPI_UINT64_T, MPI_SUM,
                             MPI_COMM_WORLD));
    memcpy(s->buckets, out, sizeof s->buckets);
    s->documents = out[SHARD_HISTOGRAM_BUCKETS];
    s->total = out[SHARD_HISTOGRAM_BUCKETS + 1];
    uint64_t mn = s->min, mx = s->max;
    MN_MPI_TRY(MPI_Allreduce(&mn, &s->min, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD));
    MN_MPI_TRY(MPI_Allreduce(&mx, &s->max, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD));
    return MN_OK;
}

static void print_stats(const char *path, const shard_manifest *m, const shard_length_stats *s,
                        bool json) {
    bool tokens = m->kind == SHARD_DATASET_TOKENS;
    const char *unit = tokens ? "tokens" : "text bytes";
    double mean = s->documents ? (double)s->total / (double)s->documents : 0;
    uint64_t min = s->documents ? s->min : 0;
    if (json) {
        printf("{\"dataset\": \"%s\", \"kind\": \"%s\", \"shards\": %zu, \"documents\": %llu, "
               "\"%s\": %llu, \"min\": %llu, \"max\": %llu, \"mean\": %.6g, \"p50_at_most\": %llu, "
               "\"p90_at_most\": %llu, \"p99_at_most\": %llu, \"histogram\": [",
               path, shard_dataset_kind_name(m->kind), m->n_shards,
               (unsigned long long)s->documents, tokens ? "tokens" : "text_bytes",
               (unsigned long long)s->total, (unsigned long long)min, (unsigned long long)s->max,
               mean, (unsigned long long)shard_length_stats_quantile_bound(s, 0.5),
               (unsigned long long)shard_length_stats_quantile_bound(s, 0.9),
               (unsigned long long)shard_length_stats_quantile_bound(s, 0.99));
        bool first = true;
        for (int k = 0; k < SHARD_HISTOGRAM_BUCKETS; k++) {
            if (s->buckets[k] == 0)
                continue;
            printf("%s{\"from\": %llu, \"to\": %llu, \"documents\": %llu}", first ? "" : ", ",
                   (unsigned long long)(1ull << k),
                   (unsigned long long)(k == 63 ? UINT64_MAX : (2ull << k) - 1),
                   (unsigned long long)s->buckets[k]);
            first = false;
        }
        printf("]}\n");
        return;
    }
    char c1[32], c2[32], c3[32], c4[32];
    printf("%s dataset %s: %zu shard(s), %s documents, %s %s\n", shard_dataset_kind_name(m->kind),
           path, m->n_shards, fmt_count(c1, s->documents), fmt_count(c2, s->total), unit);
    printf("document length (%s%s): min %s, mean %.1f, max %s; 50%% <= %llu, 90%% <= %llu, "
           "99%% <= %llu\n",
           unit, tokens ? ", EOS included" : "", fmt_count(c3, min), mean, fmt_count(c4, s->max),
           (unsigned long long)shard_length_stats_quantile_bound(s, 0.5),
           (unsigned long long)shard_length_stats_quantile_bound(s, 0.9),
           (unsigned long long)shard_length_stats_quantile_bound(s, 0.99));
    uint64_t peak = 1;
    for (int k = 0; k < SHARD_HISTOGRAM_BUCKETS; k++)
        peak = s->buckets[k] > peak ? s->buckets[k] : peak;
    int lo = 0, hi = -1;
    for (int k = 0; k < SHARD_HISTOGRAM_BUCKETS; k++)
        if (s->buckets[k]) {
            if (hi < 0)
                lo = k;
            hi = k;
        }
    for (int k = lo; k <= hi; k++) {
        char range[48];
        snprintf(range, sizeof range, "%llu-%llu", (unsigned long long)(1ull << k),
                 (unsigned long long)(k == 63 ? UINT64_MAX : (2ull << k) - 1));
        int bar = (int)(40.0 * (double)s->buckets[k] / (double)peak + 0.5);
        printf("  %21s %12llu %6.2f%% %.*s\n", range, (unsigned long long)s->buckets[k],
               100.0 * (double)s->buckets[k] / (double)(s->documents ? s->documents : 1), bar,
               "########################################");
    }
}

static int cmd_stats(int argc, char **argv) {
    bool json = false;
    mn_cli_option options[] = {
        {"json", 0, MN_OPT_FLAG, &json, NULL, "print one JSON object per dataset"}, {0}};
    mn_cli_spec spec = {"mnemo-shard stats",
                        "Token and document counts and the document-length histogram.",
                        "[OPTIONS] DATASET|SHARD...",
                        "Token datasets count tokens per document (EOS included) from the shard\n"
                        "footers; document datasets count text bytes (reading every shard).\n"
                        "Histogram buckets are powers of two; the percentiles are bucket bounds.",
                        options,
                        1,
                        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    mn_status status = MN_OK;
    for (int k = first; status == MN_OK && k < argc; k++) {
        shard_manifest m;
        bool single;
        status = mn_mpi_agree(load_target(argv[k], &m, &single), MPI_COMM_WORLD);
        if (status != MN_OK)
            break;
        int *owner = NULL;
        shard_length_stats s;
        shard_length_stats_init(&s);
        mn_status local = assign_entries(&m, mn_mpi_world(), &owner);
        for (size_t i = 0; local == MN_OK && i < m.n_shards; i++)
            if (owner[i] == mn_mpi_rank())
                local = shard_entry_length_stats(&m, i, &s);
        status = mn_mpi_agree(local, MPI_COMM_WORLD);
        if (status == MN_OK)
            status = reduce_stats(&s);
        if (status == MN_OK && mn_mpi_rank() == 0)
            print_stats(argv[k], &m, &s, json);
        free(owner);
        shard_manifest_free(&m);
    }
    return mn_program_exit(status);
}

/* ---------------------------------------------------------------- cat */

typedef struct cat_args {
    const char *path, *tokenizer, *separator;
    bool ids;
    uint64_t first, count;
    tok_tokenizer *t;
    mn_buf text;
    uint64_t printed;
} cat_args;

static mn_status cat_visit(void *context, uint64_t document, const uint32_t *ids, size_t n) {
    cat_args *a = context;
    if (a->ids) {
        for (size_t i = 0; i < n; i++)
            if (printf(i ? " %u" : "%u", ids[i]) < 0)
                return mn_error_errno(MN_ERR_IO, "cannot write to stdout");
    } else {
        mn_buf_clear(&a->text);
        MN_FORWARD_IF_ERROR_CTX(tok_decode(a->t, ids, n, &a->text), "document %llu",
                                (unsigned long long)document);
        MN_FORWARD_IF_ERROR(mn_fwrite_all(stdout, a->text.data, a->text.len, "stdout"));
    }
    MN_FORWARD_IF_ERROR(mn_fwrite_all(stdout, a->separator, strlen(a->separator), "stdout"));
    a->printed++;
    return MN_OK;
}

static mn_status cat_work(void *context) {
    cat_args *a = context;
    shard_manifest m;
    bool single;
    MN_FORWARD_IF_ERROR(load_target(a->path, &m, &single));
    mn_status status = MN_OK;
    if (m.kind != SHARD_DATASET_TOKENS)
        status = mn_error(MN_ERR_ARG, "%s holds documents already (read it with zstdcat)", a->path);
    if (status == MN_OK && !a->ids) {
        status = a->tokenizer ? tok_load(&a->t, a->tokenizer)
                              : mn_error(MN_ERR_ARG, "cat needs --tokenizer FILE.mtk (or --ids)");
        if (status == MN_OK && m.tokenizer_hash != 0 && tok_identity_hash(a->t) != m.tokenizer_hash)
            status = mn_error(MN_ERR_MISMATCH,
                              "%s was tokenized by 0x%016llx, but %s is 0x%016llx: decode with "
                              "the tokenizer that made the data",
                              a->path, (unsigned long long)m.tokenizer_hash, a->tokenizer,
                              (unsigned long long)tok_identity_hash(a->t));
    }
    /* Documents are numbered across the dataset's entries in manifest order. */
    uint64_t skip = a->first, left = a->count ? a->count : UINT64_MAX;
    for (size_t i = 0; status == MN_OK && i < m.n_shards && left > 0; i++) {
        uint64_t docs = m.shards[i].documents;
        if (skip >= docs) {
            skip -= docs;
            continue;
        }
        uint64_t take = docs - skip < left ? docs - skip : left;
        status = shard_entry_documents(&m, i, skip, take, cat_visit, a);
        left -= take;
        skip = 0;
    }
    if (status == MN_OK && fflush(stdout) != 0)
        status = mn_error_errno(MN_ERR_IO, "cannot write to stdout");
    tok_free(a->t);
    mn_buf_free(&a->text);
    shard_manifest_free(&m);
    return status;
}

static int cmd_cat(int argc, char **argv) {
    cat_args a = {.separator = "\n"};
    mn_cli_option options[] = {
        {"tokenizer", 't', MN_OPT_STRING, &a.tokenizer, "FILE.mtk", "the tokenizer of the data"},
        {"ids", 0, MN_OPT_FLAG, &a.ids, NULL, "print token ids instead of text (no tokenizer)"},
        {"document", 'd', MN_OPT_COUNT, &a.first, "N", "first document (0-based, dataset order)"},
        {"count", 'n', MN_OPT_COUNT, &a.count, "K", "number of documents (default: all)"},
        {"separator", 0, MN_OPT_STRING, &a.separator, "TEXT",
         "printed after each document (default: a newline)"},
        {0}};
    mn_cli_spec spec = {"mnemo-shard cat",
                        "Decode documents of a token dataset back to text.",
                        "[OPTIONS] DATASET|SHARD.mtok",
                        "Example: mnemo-shard cat -t tokenizer.mtk -d 10 -n 2 out/tokens",
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    a.path = argv[first];
    return mn_program_exit(on_rank0(cat_work, &a));
}

/* ---------------------------------------------------------------- mix */

typedef struct mix_args {
    shard_mix_input *inputs;
    size_t n;
    uint64_t tokens;
    const char *output;
} mix_args;

static mn_status mix_work(void *context) {
    const mix_args *a = context;
    MN_FORWARD_IF_ERROR(shard_mix(a->inputs, a->n, a->tokens, a->output));
    shard_manifest m;
    MN_FORWARD_IF_ERROR(shard_manifest_load(&m, a->output));
    /* What one epoch draws from each input, by tokens. */
    double *drawn = mn_calloc(a->n, sizeof *drawn), total = 0;
    if (drawn == NULL) {
        shard_manifest_free(&m);
        return MN_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t k = 0; k < a->n; k++) {
        shard_manifest in;
        if (shard_manifest_load(&in, a->inputs[k].dataset) != MN_OK)
            continue;
        for (size_t j = 0; j < in.n_shards && at < m.n_shards; j++, at++)
            drawn[k] += m.shards[at].weight * (double)m.shards[at].tokens;
        total += drawn[k];
        shard_manifest_free(&in);
    }
    char c1[32], c2[32];
    printf("mixture %s: %zu shard(s), one epoch draws about %s tokens\n", a->output, m.n_shards,
           fmt_count(c1, (uint64_t)llround(total)));
    for (size_t k = 0; k < a->n; k++)
        printf("  %-40s %6.2f%% of the tokens (%s per epoch)\n", a->inputs[k].dataset,
               100.0 * drawn[k] / (total > 0 ? total : 1),
               fmt_count(c2, (uint64_t)llround(drawn[k])));
    free(drawn);
    shard_manifest_free(&m);
    return MN_OK;
}

static int cmd_mix(int argc, char **argv) {
    mix_args a = {0};
    mn_cli_option options[] = {
        {"output", 'o', MN_OPT_STRING, &a.output, "DIR", "the mixture's dataset directory",
         .required = true},
        {"tokens", 0, MN_OPT_COUNT, &a.tokens, "N",
         "tokens per epoch (default: as many as fit without repeating any input)"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-shard mix",
        "Make a weighted mixture of token datasets (a manifest).",
        "[OPTIONS] DATASET=SHARE...",
        "Shares are relative amounts of tokens: web=70 books=30 gives 70% web, 30% books in\n"
        "every loader epoch. The mixture lists the inputs' shards (nothing is copied) with\n"
        "weights the data loader draws by. Example:\n"
        "  mnemo-shard mix -o data/mix data/web=0.7 data/books=0.3",
        options,
        1,
        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    a.n = (size_t)(argc - first);
    a.inputs = mn_calloc(a.n, sizeof *a.inputs);
    mn_status status = a.inputs ? MN_OK : MN_ERR_NOMEM;
    for (size_t k = 0; status == MN_OK && k < a.n; k++) {
        char *arg = argv[first + (int)k];
        char *eq = strrchr(arg, '=');
        if (eq == NULL || eq == arg)
            status = mn_error(MN_ERR_ARG, "'%s': expected DATASET=SHARE (e.g. data/web=0.7)", arg);
        else {
            *eq = '\0';
            a.inputs[k].dataset = arg;
            status = mn_parse_double(eq + 1, &a.inputs[k].share);
        }
    }
    status = mn_mpi_agree(status, MPI_COMM_WORLD);
    if (status == MN_OK)
        status = on_rank0(mix_work, &a);
    free(a.inputs);
    return mn_program_exit(status);
}

/* ---------------------------------------------------------------- split */

typedef struct split_args {
    const char *dataset, *train, *val;
    double fraction;
    uint64_t tokens;
} split_args;

static mn_status split_work(void *context) {
    const split_args *a = context;
    MN_FORWARD_IF_ERROR(shard_split(a->dataset, a->train, a->val, a->fraction, a->tokens));
    shard_manifest t, v;
    MN_FORWARD_IF_ERROR(shard_manifest_load(&t, a->train));
    mn_status status = shard_manifest_load(&v, a->val);
    if (status == MN_OK) {
        char c1[32], c2[32], c3[32], c4[32];
        printf("split %s:\n  train %s: %s documents, %s tokens\n  val   %s: %s documents, %s "
               "tokens\n",
               a->dataset, a->train, fmt_count(c1, t.total_documents),
               fmt_count(c2, t.total_tokens), a->val, fmt_count(c3, v.total_documents),
               fmt_count(c4, v.total_tokens));
        shard_manifest_free(&v);
    }
    shard_manifest_free(&t);
    return status;
}

static int cmd_split(int argc, char **argv) {
    split_args a = {.fraction = 0.01};
    mn_cli_option options[] = {
        {"train", 0, MN_OPT_STRING, &a.train, "DIR", "the training dataset", .required = true},
        {"val", 0, MN_OPT_STRING, &a.val, "DIR", "the validation dataset", .required = true},
        {"val-fraction", 0, MN_OPT_DOUBLE, &a.fraction, "F",
         "share of each shard's tokens that goes to validation"},
        {"val-tokens", 0, MN_OPT_COUNT, &a.tokens, "N",
         "validation tokens in all (spread over shards by size; overrides --val-fraction)"},
        {0}};
    mn_cli_spec spec = {"mnemo-shard split",
                        "Split a token dataset into training and validation sets by document.",
                        "[OPTIONS] DATASET",
                        "Deterministic: the last documents of every shard go to validation. Both\n"
                        "outputs are manifests over the same shard files (nothing is copied).",
                        options,
                        1,
                        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    a.dataset = argv[first];
    return mn_program_exit(on_rank0(split_work, &a));
}

/* ---------------------------------------------------------------- export */

typedef struct export_args {
    const char *dataset, *format, *output, *prefix;
    uint64_t max_file_tokens;
} export_args;

static void export_progress(void *context, uint64_t tokens) {
    mn_progress *p = context;
    mn_progress_add(p, 0, 1);
    mn_progress_add(p, 1, (double)tokens);
    mn_progress_tick(p);
}

static mn_status export_work(void *context) {
    const export_args *a = context;
    shard_manifest m;
    MN_FORWARD_IF_ERROR(shard_manifest_load(&m, a->dataset));
    mn_status status = MN_OK;
    uint64_t tokens = 0;
    /* rank 0 alone: a local progress line with the ETA on the dataset's tokens */
    mn_progress_field fields[] = {{"shards", MN_UNIT_COUNT}, {"tokens", MN_UNIT_COUNT}};
    mn_progress *progress = NULL;
    status =
        mn_progress_begin(&progress, "export", MPI_COMM_NULL, fields, 2, 1, (double)m.total_tokens);
    if (m.kind != SHARD_DATASET_TOKENS)
        status = mn_error(MN_ERR_ARG, "%s is a document dataset; export reads token datasets",
                          a->dataset);
    for (size_t i = 0; status == MN_OK && i < m.n_shards; i++)
        if (m.shards[i].weight != 0 && m.shards[i].weight != 1) {
            mn_warn("%s has weights (a mixture): exports hold every document once, unweighted",
                    a->dataset);
            break;
        }
    if (status == MN_OK && strcmp(a->format, "megatron") == 0) {
        char dir[4096];
        mn_path_dirname(a->output, dir, sizeof dir);
        status = mn_make_dirs(dir);
        if (status == MN_OK)
            status = shard_export_megatron(&m, a->output, &tokens, export_progress, progress);
        if (status == MN_OK) {
            char c1[32];
            printf("exported %s tokens to %s.bin and %s.idx\n", fmt_count(c1, tokens), a->output,
                   a->output);
        }
    } else if (status == MN_OK) {
        status = mn_make_dirs(a->output);
        char *format = mn_asprintf("%s/%s_%%06zu.bin", a->output, a->prefix);
        size_t files = 0;
        for (size_t i = 0; status == MN_OK && format && i < m.n_shards; i++) {
            uint64_t n = 0;
            status = shard_export_llmc(&m, i, format, a->max_file_tokens, &files, &n);
            tokens += n;
            if (status == MN_OK)
                export_progress(progress, n);
        }
        if (format == NULL)
            status = MN_ERR_NOMEM;
        if (status == MN_OK) {
            char c1[32];
            printf("exported %s tokens to %zu llm.c file(s) %s/%s_*.bin\n", fmt_count(c1, tokens),
                   files, a->output, a->prefix);
        }
        free(format);
    }
    if (progress != NULL) {
        mn_status end = mn_progress_end(progress, NULL);
        status = status == MN_OK ? end : status;
    }
    shard_manifest_free(&m);
    return status;
}

static int cmd_export(int argc, char **argv) {
    static const char *const formats[] = {"llmc", "megatron", NULL};
    export_args a = {.format = "llmc", .prefix = "mnemo"};
    mn_cli_option options[] = {
        {"format", 'f', MN_OPT_CHOICE, &a.format, "FORMAT", "llmc or megatron", formats},
        {"output", 'o', MN_OPT_STRING, &a.output, "PATH",
         "llmc: a directory; megatron: the PREFIX of PREFIX.bin/PREFIX.idx", .required = true},
        {"prefix", 0, MN_OPT_STRING, &a.prefix, "NAME", "llmc file names: NAME_000000.bin ..."},
        {"max-file-tokens", 0, MN_OPT_COUNT, &a.max_file_tokens, "N",
         "llmc: start a new file before this many tokens (files hold < 2^31 anyway)"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-shard export",
        "Write a token dataset as llm.c .bin files or a Megatron dataset.",
        "[OPTIONS] DATASET",
        "llm.c: a 1024-byte header (magic 20240520 v1 with uint16 ids, or 20240801 v7 with\n"
        "uint32 for vocabularies over 65,536) and every document preceded by EOS.\n"
        "Megatron: one sequence per document ending with EOS (as --append-eod), uint16 ids\n"
        "below 65,500 ids, else int32.",
        options,
        1,
        1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    a.dataset = argv[first];
    return mn_program_exit(on_rank0(export_work, &a));
}

/* ---------------------------------------------------------------- import */

static char *import_stem(const char *input) {
    const char *slash = strrchr(input, '/');
    const char *base = slash ? slash + 1 : input;
    size_t n = strlen(base);
    if (n > 4 && (strcmp(base + n - 4, ".bin") == 0 || strcmp(base + n - 4, ".idx") == 0))
        n -= 4;
    return mn_strndup(base, n);
}

static char *import_prefix(const char *input) {
    size_t n = strlen(input);
    if (n > 4 && (strcmp(input + n - 4, ".bin") == 0 || strcmp(input + n - 4, ".idx") == 0))
        n -= 4;
    return mn_strndup(input, n);
}

/* Bytes of an input (the .bin of a Megatron prefix), for progress; 0 when unknown. */
static uint64_t input_bytes(const char *format, const char *input) {
    uint64_t size = 0;
    if (strcmp(format, "llmc") == 0) {
        mn_file_size(input, &size);
    } else {
        char *prefix = import_prefix(input);
        char *bin = prefix ? mn_asprintf("%s.bin", prefix) : NULL;
        if (bin != NULL)
            mn_file_size(bin, &size);
        free(bin);
        free(prefix);
    }
    return size;
}

/* Imports one input, or takes an already finished output (a relaunch resumes). */
static mn_status import_one(const char *format, const char *input, const char *output,
                            const shard_import_options *o, uint64_t record[4]) {
    shard_info info = {0};
    mn_status status = MN_OK;
    shard_reader *existing;
    if (mn_path_exists(output) && shard_reader_open(&existing, output) == MN_OK) {
        info.tokens = shard_reader_tokens(existing);
        info.documents = shard_reader_documents(existing);
        shard_reader_close(existing);
        mn_mapped_file map;
        status = mn_map_file(&map, output);
        if (status == MN_OK) {
            info.file_bytes = map.size;
            info.xxh64 = mn_xxh64(map.data, map.size, 0);
            mn_unmap_file(&map);
        }
        mn_info("%s exists already; kept", output);
    } else if (strcmp(format, "llmc") == 0) {
        status = shard_import_llmc(input, output, o, &info);
    } else {
        char *prefix = import_prefix(input);
        status = prefix ? shard_import_megatron(prefix, output, o, &info) : MN_ERR_NOMEM;
        free(prefix);
    }
    record[0] = info.documents;
    record[1] = info.tokens;
    record[2] = info.file_bytes;
    record[3] = info.xxh64;
    return status;
}

static int cmd_import(int argc, char **argv) {
    static const char *const formats[] = {"llmc", "megatron", NULL};
    const char *format = "llmc", *output = NULL, *tokenizer = NULL, *hash = NULL;
    int64_t vocab = 0, eos = -1, level = 0;
    uint64_t block_tokens = 0;
    mn_cli_option options[] = {
        {"format", 'f', MN_OPT_CHOICE, &format, "FORMAT", "llmc or megatron", formats},
        {"output", 'o', MN_OPT_STRING, &output, "DIR", "the token dataset to write",
         .required = true},
        {"tokenizer", 't', MN_OPT_STRING, &tokenizer, "FILE.mtk",
         "the tokenizer of the data (vocabulary, EOS, identity hash)"},
        {"vocab-size", 0, MN_OPT_INT, &vocab, "N", "without --tokenizer: the vocabulary size"},
        {"eos-id", 0, MN_OPT_INT, &eos, "ID", "without --tokenizer: the EOS id"},
        {"tokenizer-hash", 0, MN_OPT_STRING, &hash, "HEX",
         "without --tokenizer: the identity hash to record (default 0, unknown)"},
        {"zstd-level", 0, MN_OPT_INT, &level, "N", "compression level (default 3)"},
        {"block-tokens", 0, MN_OPT_COUNT, &block_tokens, "N", "tokens per block (default 16384)"},
        {0}};
    mn_cli_spec spec = {
        "mnemo-shard import",
        "Convert llm.c .bin files or Megatron datasets to a token dataset.",
        "[OPTIONS] INPUT...",
        "llm.c: each INPUT is a .bin file; every EOS starts a document. Megatron: each INPUT is\n"
        "a PREFIX (PREFIX.idx and PREFIX.bin); within a Megatron document every EOS ends one.\n"
        "Each input becomes OUTPUT/<name>.mtok; inputs are spread over MPI ranks, and a\n"
        "relaunch keeps the shards already written.",
        options,
        1,
        -1};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    shard_import_options o = {.zstd_level = (int)level, .block_tokens = block_tokens};
    mn_status status = MN_OK;
    if (tokenizer != NULL) {
        tok_tokenizer *t;
        status = tok_load(&t, tokenizer);
        if (status == MN_OK) {
            o.vocab_size = tok_vocab_size(t);
            o.tokenizer_hash = tok_identity_hash(t);
            int64_t id = tok_special_id(t, "eos");
            if (id < 0)
                status = mn_error(MN_ERR_ARG, "tokenizer %s has no EOS token", tokenizer);
            o.eos_id = (uint32_t)(id < 0 ? 0 : id);
            tok_free(t);
        }
    } else if (vocab <= 0 || vocab > UINT32_MAX || eos < 0 || eos >= vocab) {
        status =
            mn_error(MN_ERR_ARG, "give --tokenizer FILE.mtk, or --vocab-size and --eos-id (with "
                                 "0 <= EOS < vocabulary size)");
    } else {
        o.vocab_size = (uint32_t)vocab;
        o.eos_id = (uint32_t)eos;
        if (hash != NULL)
            status = parse_hash(hash, &o.tokenizer_hash);
    }
    int n = argc - first;
    char **outputs = mn_calloc((size_t)n, sizeof *outputs);
    uint64_t *records = mn_calloc((size_t)n * 4, sizeof *records);
    uint64_t *global = mn_calloc((size_t)n * 4, sizeof *global);
    if (outputs == NULL || records == NULL || global == NULL)
        status = MN_ERR_NOMEM;
    for (int k = 0; status == MN_OK && k < n; k++) {
        char *stem = import_stem(argv[first + k]);
        char name[4200];
        snprintf(name, sizeof name, "%s.mtok", stem ? stem : "");
        outputs[k] = stem ? mn_path_join(output, name) : NULL;
        for (int j = 0; status == MN_OK && outputs[k] && j < k; j++)
            if (strcmp(outputs[j], outputs[k]) == 0)
                status = mn_error(MN_ERR_ARG, "inputs %s and %s would both become %s: rename one",
                                  argv[first + j], argv[first + k], outputs[k]);
        if (outputs[k] == NULL)
            status = MN_ERR_NOMEM;
        free(stem);
    }
    if (status == MN_OK)
        status = mn_make_dirs(output);
    status = mn_mpi_agree(status, MPI_COMM_WORLD);
    mn_status local = MN_OK;
    /* Progress over all ranks, with the ETA on the inputs' bytes. */
    double my_bytes = 0;
    for (int k = 0; status == MN_OK && k < n; k++)
        if (k % mn_mpi_world() == mn_mpi_rank())
            my_bytes += (double)input_bytes(format, argv[first + k]);
    mn_progress_field fields[] = {
        {"inputs", MN_UNIT_COUNT}, {"input", MN_UNIT_BYTES}, {"tokens", MN_UNIT_COUNT}};
    mn_progress *progress = NULL;
    if (status == MN_OK)
        status = mn_progress_begin(&progress, "import", MPI_COMM_WORLD, fields, 3, 1, my_bytes);
    for (int k = 0; status == MN_OK && local == MN_OK && k < n; k++) {
        if (k % mn_mpi_world() != mn_mpi_rank())
            continue;
        uint64_t size = input_bytes(format, argv[first + k]);
        local = import_one(format, argv[first + k], outputs[k], &o, records + 4 * k);
        mn_progress_add(progress, 0, 1);
        mn_progress_add(progress, 1, (double)size);
        mn_progress_add(progress, 2, (double)records[4 * k + 1]);
        mn_progress_tick(progress);
    }
    if (progress != NULL) {
        mn_status end = mn_progress_end(progress, NULL); /* collective */
        local = local == MN_OK ? end : local;
    }
    if (status == MN_OK)
        status = mn_mpi_agree(local, MPI_COMM_WORLD);
    if (status == MN_OK)
        status = mn_mpi_check(
            MPI_Allreduce(records, global, n * 4, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD),
            "import records");
    if (status == MN_OK && mn_mpi_rank() == 0) {
        shard_manifest m;
        local = shard_manifest_init(&m, SHARD_DATASET_TOKENS, output);
        m.tokenizer_hash = o.tokenizer_hash;
        for (int k = 0; local == MN_OK && k < n; k++) {
            const char *slash = strrchr(outputs[k], '/');
            shard_manifest_entry e = {.path = (char *)(slash ? slash + 1 : outputs[k]),
                                      .documents = global[4 * k],
                                      .tokens = global[4 * k + 1],
                                      .bytes = global[4 * k + 2],
                                      .xxh64 = global[4 * k + 3],
                                      .source = argv[first + k]};
            local = shard_manifest_add(&m, &e);
        }
        if (local == MN_OK)
            local = shard_manifest_set_setting(&m, "import.format", format);
        if (local == MN_OK)
            local = shard_manifest_save(&m);
        if (local == MN_OK) {
            char c1[32], c2[32];
            printf("imported %d input(s) into %s: %s documents, %s tokens\n", n, output,
                   fmt_count(c1, m.total_documents), fmt_count(c2, m.total_tokens));
        }
        shard_manifest_free(&m);
    }
    if (status == MN_OK)
        status = mn_mpi_agree(local, MPI_COMM_WORLD);
    for (int k = 0; outputs && k < n; k++)
        free(outputs[k]);
    free(outputs);
    free(records);
    free(global);
    return mn_program_exit(status);
}

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "mnemo-shard");
    static const mn_cli_command commands[] = {
        {"inspect", "describe a token shard, a document shard or a dataset", cmd_inspect},
        {"verify", "check every checksum and invariant (exit 1 on any fault)", cmd_verify},
        {"stats", "token and document counts, document-length histogram", cmd_stats},
        {"cat", "decode documents back to text", cmd_cat},
        {"mix", "weighted mixture of token datasets, as a manifest", cmd_mix},
        {"split", "train/validation split by document, as manifests", cmd_split},
        {"export", "write llm.c .bin files or a Megatron .bin/.idx dataset", cmd_export},
        {"import", "read llm.c .bin files or Megatron datasets into token shards", cmd_import},
        {0}};
    int code = mn_cli_dispatch("mnemo-shard",
                               "Inspect, verify, mix, split, export and import token datasets.",
                               commands, argc, argv);
    mn_mpi_finalize(); /* after --help or a usage error; a no-op after mn_program_exit */
    return code;
}
