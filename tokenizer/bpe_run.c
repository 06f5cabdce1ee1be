/* mnemo-bpe: BPE training on document shards with MPI.
 *
 * 1. Every rank reads its share of the shards (tok_assign_shards), pre-tokenizes each
 *    document and counts unique pre-tokens. With --max-bytes, each shard contributes at
 *    most its share of the budget, proportional to its file size (its first documents).
 *    With --max-memory, a rank whose counts outgrow the cap drops its rarest pre-tokens
 *    (count below 2, then 4, 8, ... until under half the cap) and warns: counts become
 *    lower bounds and the result may then depend on the number of ranks.
 * 2. Counts are combined exactly: each pre-token goes to the rank xxh64(bytes) % world
 *    (MPI_Alltoallv), which sums its partition; the partitions are gathered on rank 0.
 *    Sums of integers do not depend on the order, so rank 0 holds the same counts for any
 *    number of ranks.
 * 3. Rank 0 learns the merges (tok_train_bpe, deterministic) and writes the .mtk file.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/progress.h"
#include "common/stats.h"
#include "common/util.h"
#include "shards/docshard.h"
#include "tokenizer/pipeline.h"

typedef struct settings {
    char *keys[16];
    char *values[16];
    size_t n;
} settings;

static void settings_add(settings *s, const char *key, const char *value) {
    if (s->n < 16) {
        s->keys[s->n] = mn_strdup(key);
        s->values[s->n] = mn_strdup(value);
        s->n++;
    }
}

static void settings_free(settings *s) {
    for (size_t i = 0; i < s->n; i++) {
        free(s->keys[i]);
        free(s->values[i]);
    }
    s->n = 0;
}

/* The options that define the result (compared on relaunch). */
static void option_settings(const tok_bpe_job *job, settings *s) {
    char buf[64];
    settings_add(s, "option.pretokenizer", job->pretokenizer);
    snprintf(buf, sizeof buf, "%u", job->vocab_size);
    settings_add(s, "option.vocab_size", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)job->min_frequency);
    settings_add(s, "option.min_frequency", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)job->max_bytes);
    settings_add(s, "option.max_bytes", buf);
    mn_buf list = {0};
    for (size_t i = 0; i < job->n_specials; i++)
        mn_buf_appendf(&list, "%s%s:%s", i ? " " : "", job->specials[i].text,
                       job->specials[i].role);
    settings_add(s, "option.special_tokens", list.data ? (const char *)list.data : "");
    mn_buf_clear(&list);
    for (size_t i = 0; i < job->n_inputs; i++)
        mn_buf_appendf(&list, "%s%s", i ? " " : "", job->inputs[i]);
    settings_add(s, "option.inputs", list.data ? (const char *)list.data : "");
    mn_buf_free(&list);
}

/* Rank 0: MN_OK and *same when the output exists with the same option settings. */
static mn_status check_existing(const tok_bpe_job *job, const settings *wanted, bool *same) {
    *same = false;
    if (!mn_path_exists(job->output) || job->force)
        return MN_OK;
    tok_tokenizer *t = NULL;
    MN_FORWARD_IF_ERROR_CTX(tok_load(&t, job->output),
                            "%s exists but cannot be read: remove it or pass --force", job->output);
    mn_status status = MN_OK;
    for (size_t i = 0; i < wanted->n && status == MN_OK; i++) {
        const char *have = NULL;
        for (size_t k = 0; k < tok_setting_count(t); k++) {
            const char *key, *value;
            tok_setting_at(t, k, &key, &value);
            if (strcmp(key, wanted->keys[i]) == 0)
                have = value;
        }
        if (have == NULL || strcmp(have, wanted->values[i]) != 0)
            status = mn_error(MN_ERR_STATE,
                              "%s exists and was trained with %s = '%s', not '%s': remove it or "
                              "pass --force to retrain",
                              job->output, wanted->keys[i] + 7, have ? have : "(unset)",
                              wanted->values[i]);
    }
    tok_free(t);
    *same = status == MN_OK;
    return status;
}

typedef struct count_state {
    tok_word_counts *counts;
    uint64_t max_memory;
    uint64_t prune_threshold;
    uint64_t pruned;
    bool warned;
} count_state;

static mn_status enforce_memory_cap(count_state *cs) {
    if (cs->max_memory == 0 || tok_word_counts_memory(cs->counts) <= cs->max_memory)
        return MN_OK;
    if (cs->prune_threshold < 2)
        cs->prune_threshold = 2;
    while (tok_word_counts_memory(cs->counts) > cs->max_memory / 2 &&
           cs->prune_threshold < ((uint64_t)1 << 40)) {
        size_t dropped;
        MN_FORWARD_IF_ERROR(tok_word_counts_prune(cs->counts, cs->prune_threshold, &dropped));
        cs->pruned += dropped;
        if (tok_word_counts_memory(cs->counts) > cs->max_memory / 2)
            cs->prune_threshold *= 2;
    }
    if (!cs->warned) {
        mn_warn("pre-token counts reached --max-memory: dropping pre-tokens counted fewer than "
                "%llu times; counts are now approximate (raise --max-memory or use more ranks "
                "for exact, rank-independent results)",
                (unsigned long long)cs->prune_threshold);
        cs->warned = true;
    }
    return MN_OK;
}

static mn_status count_shard(const char *path, uint64_t budget, tok_pretokenizer kind,
                             count_state *cs, mn_stats *stats, mn_progress *progress) {
    docshard_reader *reader = NULL;
    MN_FORWARD_IF_ERROR(docshard_reader_open(&reader, path));
    mn_status status = MN_OK;
    uint64_t text_bytes = 0, docs = 0, last_offset = 0;
    for (;;) {
        doc_record doc;
        bool done = false;
        mn_status st = docshard_reader_next(reader, &doc, &done);
        if (st == MN_ERR_FORMAT || st == MN_ERR_LIMIT) {
            int64_t bad = mn_stats_get(stats, "bad_records");
            if (bad < 5)
                mn_warn("skipped: %s", mn_error_message());
            mn_stats_add(stats, "bad_records", 1);
            continue;
        }
        if (st != MN_OK) {
            status = st;
            break;
        }
        if (done)
            break;
        status =
            tok_word_counts_add_text(cs->counts, kind, (const uint8_t *)doc.text, doc.text_len);
        if (status != MN_OK)
            break;
        text_bytes += doc.text_len;
        docs++;
        mn_progress_add(progress, 2, (double)doc.text_len);
        mn_progress_add(progress, 3, 1);
        if (docs % 256 == 0) {
            uint64_t offset = docshard_reader_compressed_offset(reader);
            mn_progress_add(progress, 1, (double)(offset - last_offset));
            last_offset = offset;
            mn_progress_tick(progress);
            status = enforce_memory_cap(cs);
            if (status != MN_OK)
                break;
        }
        if (budget && text_bytes >= budget)
            break;
    }
    uint64_t offset = docshard_reader_compressed_offset(reader);
    mn_progress_add(progress, 1, (double)(offset - last_offset));
    mn_progress_add(progress, 0, 1);
    docshard_reader_close(reader);
    if (status == MN_OK)
        status = enforce_memory_cap(cs);
    mn_stats_add(stats, "documents", (int64_t)docs);
    mn_stats_add(stats, "text_bytes", (int64_t)text_bytes);
    return status;
}

/* Sums the counts of all ranks, exactly, on rank 0 (*merged; NULL elsewhere). */
static mn_status combine_counts(tok_word_counts *local, MPI_Comm comm, tok_word_counts **merged) {
    int rank, world;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(comm, &world));
    *merged = NULL;
    mn_status status = MN_OK;
    mn_buf *parts = mn_calloc((size_t)world, sizeof *parts);
    int *send_counts = mn_calloc((size_t)world, sizeof(int));
    int *send_displs = mn_calloc((size_t)world, sizeof(int));
    int *recv_counts = mn_calloc((size_t)world, sizeof(int));
    int *recv_displs = mn_calloc((size_t)world, sizeof(int));
    uint64_t *sizes = mn_calloc((size_t)world, sizeof(uint64_t));
    uint64_t *recv_sizes = mn_calloc((size_t)world, sizeof(uint64_t));
    mn_buf send = {0}, recv = {0}, mine = {0}, all = {0};
    tok_word_counts *partition = NULL;
    if (!parts || !send_counts || !send_displs || !recv_counts || !recv_displs || !sizes ||
        !recv_sizes) {
        status = MN_ERR_NOMEM;
        goto agree1;
    }
    for (int r = 0; r < world && status == MN_OK; r++) {
        status = tok_word_counts_pack(local, (uint32_t)r, (uint32_t)world, &parts[r]);
        sizes[r] = parts[r].len;
        if (status == MN_OK && (parts[r].len > INT_MAX || send.len + parts[r].len > INT_MAX))
            status = mn_error(MN_ERR_LIMIT,
                              "the pre-token counts of one rank exceed 2 GiB when packed: use "
                              "more ranks, --max-memory or --max-bytes");
        if (status == MN_OK) {
            send_displs[r] = (int)send.len;
            send_counts[r] = (int)parts[r].len;
            status = mn_buf_append(&send, parts[r].data, parts[r].len);
        }
    }
agree1:
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, comm));
    MN_MPI_TRY(MPI_Alltoall(sizes, 1, MPI_UINT64_T, recv_sizes, 1, MPI_UINT64_T, comm));
    uint64_t total = 0;
    for (int r = 0; r < world; r++) {
        recv_displs[r] = (int)total;
        recv_counts[r] = (int)recv_sizes[r];
        total += recv_sizes[r];
    }
    if (total > INT_MAX)
        status = mn_error(MN_ERR_LIMIT, "a partition of the pre-token counts exceeds 2 GiB: "
                                        "use more ranks, --max-memory or --max-bytes");
    if (status == MN_OK)
        status = mn_buf_reserve(&recv, total + 1);
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, comm));
    MN_MPI_TRY(MPI_Alltoallv(send.data, send_counts, send_displs, MPI_BYTE, recv.data, recv_counts,
                             recv_displs, MPI_BYTE, comm));
    recv.len = total;
    mn_buf_free(&send);
    status = tok_word_counts_create(&partition);
    if (status == MN_OK)
        status = tok_word_counts_unpack(partition, recv.data, recv.len, "received pre-tokens");
    mn_buf_free(&recv);
    if (status == MN_OK)
        status = tok_word_counts_pack(partition, 0, 1, &mine);
    tok_word_counts_free(partition);
    if (status == MN_OK && mine.len > INT_MAX)
        status = mn_error(MN_ERR_LIMIT, "a partition of the pre-token counts exceeds 2 GiB");
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, comm));
    /* Gather the partitions on rank 0. */
    int my_len = (int)mine.len;
    MN_MPI_TRY(MPI_Gather(&my_len, 1, MPI_INT, recv_counts, 1, MPI_INT, 0, comm));
    if (rank == 0) {
        uint64_t sum = 0;
        for (int r = 0; r < world; r++) {
            recv_displs[r] = (int)sum;
            sum += (uint64_t)recv_counts[r];
        }
        if (sum > INT_MAX)
            status = mn_error(MN_ERR_LIMIT,
                              "the combined pre-token counts exceed 2 GiB when packed: use "
                              "--max-memory or --max-bytes");
        else
            status = mn_buf_reserve(&all, sum + 1);
        all.len = status == MN_OK ? sum : 0;
    }
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, comm));
    MN_MPI_TRY(MPI_Gatherv(mine.data, my_len, MPI_BYTE, all.data, recv_counts, recv_displs,
                           MPI_BYTE, 0, comm));
    mn_buf_free(&mine);
    if (rank == 0) {
        status = tok_word_counts_create(merged);
        if (status == MN_OK)
            status = tok_word_counts_unpack(*merged, all.data, all.len, "gathered pre-tokens");
    }
    mn_buf_free(&all);
    for (int r = 0; parts && r < world; r++)
        mn_buf_free(&parts[r]);
    free(parts);
    free(send_counts);
    free(send_displs);
    free(recv_counts);
    free(recv_displs);
    free(sizes);
    free(recv_sizes);
    return status;
}

typedef struct train_progress {
    double start;
    double last;
} train_progress;

static void report_merges(void *context, uint32_t done, uint32_t wanted) {
    train_progress *p = context;
    double now = mn_now();
    if (now - p->last < 2.0 && done < wanted)
        return;
    p->last = now;
    double rate = done / (now - p->start + 1e-9);
    char eta[32];
    mn_info("merges %u / %u (%.0f/s) | ETA %s", done, wanted, rate,
            mn_format_duration(eta, sizeof eta, rate > 0 ? (wanted - done) / rate : -1));
}

mn_status tok_bpe_run(const tok_bpe_job *job, MPI_Comm comm, bool *skipped) {
    int rank, world;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(comm, &world));
    *skipped = false;
    tok_pretokenizer kind;
    MN_FORWARD_IF_ERROR(tok_pretokenizer_parse(job->pretokenizer, &kind));
    settings options = {0};
    option_settings(job, &options);
    mn_status status = MN_OK;
    int same = 0;
    if (rank == 0) {
        bool s = false;
        status = check_existing(job, &options, &s);
        same = s;
    }
    status = mn_mpi_agree(status, comm);
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Bcast(&same, 1, MPI_INT, 0, comm), "MPI_Bcast");
    if (status != MN_OK || same) {
        *skipped = same;
        settings_free(&options);
        return status;
    }

    tok_input_list inputs = {0};
    int *owner = NULL;
    count_state cs = {.max_memory = job->max_memory};
    mn_stats *stats = mn_stats_create();
    tok_word_counts *merged = NULL;
    tok_tokenizer *t = NULL;
    mn_progress *progress = NULL;
    status = stats ? tok_input_list_build(&inputs, job->inputs, job->n_inputs) : MN_ERR_NOMEM;
    if (status == MN_OK)
        status = tok_word_counts_create(&cs.counts);
    if (status == MN_OK) {
        owner = mn_alloc_array(inputs.count, sizeof *owner);
        status = owner ? MN_OK : MN_ERR_NOMEM;
    }
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK)
        goto done;
    tok_assign_shards(inputs.sizes, inputs.count, world, owner);
    uint64_t total_size = 0, my_size = 0, my_budget = 0;
    for (size_t i = 0; i < inputs.count; i++)
        total_size += inputs.sizes[i];
    for (size_t i = 0; i < inputs.count; i++) {
        if (owner[i] != rank)
            continue;
        my_size += inputs.sizes[i];
        if (job->max_bytes)
            my_budget += (uint64_t)((double)job->max_bytes * inputs.sizes[i] / (double)total_size);
    }
    mn_info0("counting pre-tokens (%s) in %zu shards on %d rank%s%s", job->pretokenizer,
             inputs.count, world, world > 1 ? "s" : "",
             job->max_bytes ? " with a byte budget" : "");
    mn_progress_field fields[] = {{"shards", MN_UNIT_COUNT},
                                  {"input", MN_UNIT_BYTES},
                                  {"text", MN_UNIT_BYTES},
                                  {"docs", MN_UNIT_COUNT}};
    status = mn_progress_begin(&progress, "bpe count", comm, fields, 4, job->max_bytes ? 2 : 1,
                               job->max_bytes ? (double)my_budget : (double)my_size);
    if (status != MN_OK)
        goto done;
    for (size_t i = 0; i < inputs.count && status == MN_OK; i++) {
        if (owner[i] != rank)
            continue;
        uint64_t budget = 0;
        if (job->max_bytes) {
            budget = (uint64_t)((double)job->max_bytes * inputs.sizes[i] / (double)total_size);
            if (budget == 0)
                budget = 1;
        }
        status = count_shard(inputs.paths[i], budget, kind, &cs, stats, progress);
    }
    mn_status end_status = tok_polite_barrier(comm);
    if (end_status == MN_OK)
        end_status = mn_progress_end(progress, NULL);
    if (status == MN_OK)
        status = end_status;
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK)
        goto done;
    mn_stats_add(stats, "pruned_words", (int64_t)cs.pruned);
    MN_GOTO_IF_ERROR(status, mn_stats_reduce(stats, comm), done);
    status = combine_counts(cs.counts, comm, &merged);
    tok_word_counts_free(cs.counts);
    cs.counts = NULL;
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK)
        goto done;
    if (rank == 0) {
        mn_info("%lld documents, %s of text, %zu unique pre-tokens (%llu in all)%s",
                (long long)mn_stats_get(stats, "documents"),
                mn_format_bytes((char[32]){0}, 32, (double)mn_stats_get(stats, "text_bytes")),
                tok_word_counts_size(merged), (unsigned long long)tok_word_counts_total(merged),
                mn_stats_get(stats, "pruned_words") ? " (after pruning rare ones)" : "");
        char buf[5][32];
        snprintf(buf[0], 32, "%lld", (long long)mn_stats_get(stats, "documents"));
        snprintf(buf[1], 32, "%lld", (long long)mn_stats_get(stats, "text_bytes"));
        snprintf(buf[2], 32, "%zu", tok_word_counts_size(merged));
        snprintf(buf[3], 32, "%lld", (long long)mn_stats_get(stats, "pruned_words"));
        snprintf(buf[4], 32, "%lld", (long long)mn_stats_get(stats, "bad_records"));
        settings_add(&options, "result.documents", buf[0]);
        settings_add(&options, "result.text_bytes", buf[1]);
        settings_add(&options, "result.unique_pretokens", buf[2]);
        settings_add(&options, "result.pruned_pretokens", buf[3]);
        settings_add(&options, "result.bad_records", buf[4]);
        char name[256];
        if (job->name == NULL) {
            const char *slash = strrchr(job->output, '/');
            snprintf(name, sizeof name, "%s", slash ? slash + 1 : job->output);
            char *dot = strrchr(name, '.');
            if (dot && dot != name)
                *dot = '\0';
        }
        train_progress tp = {mn_now(), mn_now()};
        tok_train_options opt = {.vocab_size = job->vocab_size,
                                 .min_frequency = job->min_frequency,
                                 .pretokenizer = job->pretokenizer,
                                 .name = job->name ? job->name : name,
                                 .specials = job->specials,
                                 .n_specials = job->n_specials,
                                 .setting_keys = (const char *const *)options.keys,
                                 .setting_values = (const char *const *)options.values,
                                 .n_settings = options.n,
                                 .progress = report_merges,
                                 .progress_context = &tp,
                                 .progress_every = 256};
        tok_train_stats ts;
        status = tok_train_bpe(&t, merged, &opt, &ts);
        if (status == MN_OK) {
            mn_info("learned %u merges in %.1f s (%llu pair-count updates)%s", ts.merges,
                    mn_now() - tp.start, (unsigned long long)ts.pair_updates,
                    ts.stopped_by_frequency ? "; stopped early: no pair reaches --min-frequency"
                                            : "");
            status = tok_save(t, job->output);
        }
        if (status == MN_OK)
            mn_info("wrote %s: %u ids (%u merges, %zu special tokens), identity %016llx",
                    job->output, tok_vocab_size(t), ts.merges, tok_special_count(t),
                    (unsigned long long)tok_identity_hash(t));
    }
    mn_status waited = tok_polite_barrier(comm); /* the others sleep while rank 0 trains */
    if (status == MN_OK)
        status = waited;
    status = mn_mpi_agree(status, comm);
done:
    tok_free(t);
    tok_word_counts_free(merged);
    tok_word_counts_free(cs.counts);
    mn_stats_free(stats);
    free(owner);
    tok_input_list_free(&inputs);
    settings_free(&options);
    return status;
}
