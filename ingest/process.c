/* Phase 1: one input through the reader, normalisation, filters and hashing into its work
 * files and completion marker. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/util.h"
#include "ingest/filters.h"
#include "ingest/minhash.h"
#include "ingest/normalize.h"
#include "ingest/pipeline_internal.h"
#include "ingest/reader.h"
#include "ingest/work.h"

enum { WARN_PER_INPUT = 5, POLL_EVERY = 16 };

struct ingest_worker {
    ingest_filters *filters;
    ingest_minhash *minhash;
    uint64_t *bands;
    mn_buf norm, scratch, id;
};

mn_status ingest__worker_create(ingest_worker **out, const pipe_state *st) {
    ingest_worker *w = mn_calloc(1, sizeof *w);
    if (w == NULL)
        return MN_ERR_NOMEM;
    mn_status status = ingest_filters_create(&w->filters, &st->cfg->filters);
    if (status == MN_OK && st->bands > 0) {
        status = ingest_minhash_create(&w->minhash, &st->cfg->minhash);
        if (status == MN_OK) {
            w->bands = mn_alloc_array((size_t)st->bands, sizeof(uint64_t));
            if (w->bands == NULL)
                status = MN_ERR_NOMEM;
        }
    }
    if (status != MN_OK) {
        ingest__worker_free(w);
        return status;
    }
    *out = w;
    return MN_OK;
}

void ingest__worker_free(ingest_worker *w) {
    if (w == NULL)
        return;
    ingest_filters_free(w->filters);
    ingest_minhash_free(w->minhash);
    free(w->bands);
    mn_buf_free(&w->norm);
    mn_buf_free(&w->scratch);
    mn_buf_free(&w->id);
    free(w);
}

/* Counters of one input, kept in plain fields on the hot path and turned into named
 * counters for its marker at the end. */
typedef struct input_counts {
    uint64_t docs_in, bytes_in, bad, empty_docs, empty_bytes;
    uint64_t rule_docs[INGEST_RULE_COUNT], rule_bytes[INGEST_RULE_COUNT];
    uint64_t invalid_utf8, repaired_docs, controls, nfc_docs;
    uint64_t lines_removed, words_removed, edited_docs;
} input_counts;

static mn_status counts_to_stats(const input_counts *c, mn_stats *s) {
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "docs.in", (int64_t)c->docs_in));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "bytes.in", (int64_t)c->bytes_in));
    MN_FORWARD_IF_ERROR(
        mn_stats_add(s, "normalize.invalid_utf8_sequences", (int64_t)c->invalid_utf8));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "normalize.docs_repaired", (int64_t)c->repaired_docs));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "normalize.controls_removed", (int64_t)c->controls));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "normalize.docs_nfc_changed", (int64_t)c->nfc_docs));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "filter.empty.docs", (int64_t)c->empty_docs));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "filter.empty.bytes", (int64_t)c->empty_bytes));
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        if (c->rule_docs[r] == 0)
            continue;
        char name[96];
        snprintf(name, sizeof name, "filter.%s.docs", ingest_rule_get((ingest_rule)r)->name);
        MN_FORWARD_IF_ERROR(mn_stats_add(s, name, (int64_t)c->rule_docs[r]));
        snprintf(name, sizeof name, "filter.%s.bytes", ingest_rule_get((ingest_rule)r)->name);
        MN_FORWARD_IF_ERROR(mn_stats_add(s, name, (int64_t)c->rule_bytes[r]));
    }
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "line_cleanup.lines_removed", (int64_t)c->lines_removed));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "line_cleanup.words_removed", (int64_t)c->words_removed));
    MN_FORWARD_IF_ERROR(mn_stats_add(s, "line_cleanup.docs_edited", (int64_t)c->edited_docs));
    return MN_OK;
}

void ingest__sleep_ms(unsigned ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One document that the reader returned: normalise, filter, hash, store. */
static mn_status process_document(const pipe_state *st, ingest_worker *w, const pipe_input *in,
                                  const ingest_document *doc, ingest_work_writer *writer,
                                  input_counts *c) {
    c->docs_in++;
    c->bytes_in += doc->text_len;
    ingest_normalize_stats ns = {0};
    MN_FORWARD_IF_ERROR(ingest_normalize(doc->text, doc->text_len, &w->norm, &w->scratch, &ns));
    c->invalid_utf8 += ns.invalid_sequences;
    c->repaired_docs += ns.invalid_sequences > 0;
    c->controls += ns.controls_removed;
    c->nfc_docs += ns.nfc_changed;
    if (w->norm.len == 0) {
        c->empty_docs++;
        c->empty_bytes += doc->text_len;
        return MN_OK;
    }
    ingest_filter_result result;
    MN_FORWARD_IF_ERROR(
        ingest_filters_apply(w->filters, (const char *)w->norm.data, w->norm.len, &result));
    if (!result.keep) {
        c->rule_docs[result.rule]++;
        c->rule_bytes[result.rule] += w->norm.len;
        return MN_OK;
    }
    c->lines_removed += result.lines_removed;
    c->words_removed += result.words_removed;
    c->edited_docs += result.lines_removed > 0;

    bool has_signature = false;
    if (w->minhash != NULL)
        MN_FORWARD_IF_ERROR(ingest_minhash_bands(w->minhash, result.text, result.text_len, w->bands,
                                                 &has_signature));
    ingest_work_doc out = {.text = result.text,
                           .text_len = result.text_len,
                           .url = doc->url,
                           .url_len = doc->url ? doc->url_len : 0,
                           .extra = doc->extra_json,
                           .extra_len = doc->extra_json ? doc->extra_json_len : 0,
                           .record = doc->record,
                           .bands = has_signature ? w->bands : NULL};
    if (doc->id != NULL && doc->id_len > 0) {
        out.id = doc->id;
        out.id_len = doc->id_len;
    } else {
        /* No id of its own: the input path and record number, unique and stable. */
        mn_buf_clear(&w->id);
        MN_FORWARD_IF_ERROR(
            mn_buf_appendf(&w->id, "%s:%llu", in->path, (unsigned long long)doc->record));
        out.id = (const char *)w->id.data;
        out.id_len = w->id.len;
    }
    return ingest_work_writer_add(writer, &out);
}

mn_status ingest__process_input(pipe_state *st, ingest_worker *w, size_t index, ingest_queue *queue,
                                mn_progress *progress) {
    const pipe_input *in = &st->inputs[index];
    double start = mn_now();
    if (st->cfg->test_delay_ms > 0)
        ingest__sleep_ms(st->cfg->test_delay_ms);

    input_counts counts = {0};
    mn_stats *stats = mn_stats_create();
    ingest_work_writer *writer = NULL;
    ingest_reader *reader = NULL;
    uint64_t bytes_reported = 0, bad_warned = 0;
    mn_status status = stats ? MN_OK : MN_ERR_NOMEM;
    if (status == MN_OK)
        status = ingest_work_writer_open(&writer, st->work_dir, in->id, st->bands);
    if (status != MN_OK)
        goto done;

    mn_status open = ingest_reader_open(&reader, in->path, &st->cfg->reader);
    if (open == MN_ERR_NOMEM) {
        status = open;
        goto done;
    }
    if (open != MN_OK) {
        /* The file vanished or became unreadable after the run started: counted, and the
         * run goes on without it. */
        mn_warn("%s; input skipped", mn_error_message());
        status = mn_stats_add(stats, "bad.unreadable_input", 1);
        reader = NULL;
    }
    for (uint64_t n = 0; reader != NULL && status == MN_OK; n++) {
        if (n % POLL_EVERY == 0) {
            ingest_queue_poll(queue);
            mn_progress_tick(progress);
            if (ingest__stop_requested()) {
                status = mn_error(MN_ERR_INTERRUPTED, "stop requested while reading %s", in->path);
                break;
            }
        }
        ingest_document doc;
        bool end = false;
        mn_status got = ingest_reader_next(reader, &doc, &end);
        uint64_t read_now = ingest_reader_bytes_read(reader);
        if (read_now > bytes_reported) {
            mn_progress_add(progress, 1, (double)(read_now - bytes_reported));
            bytes_reported = read_now;
        }
        if (got == MN_ERR_FORMAT || got == MN_ERR_LIMIT || got == MN_ERR_CORRUPT ||
            got == MN_ERR_IO || got == MN_ERR_UNSUPPORTED) {
            const char *reason = ingest_reader_reason(reader);
            char name[96];
            snprintf(name, sizeof name, "bad.%s",
                     reason && reason[0] ? reason : (got == MN_ERR_IO ? "read_error" : "other"));
            status = mn_stats_add(stats, name, 1);
            counts.bad++;
            if (bad_warned++ < WARN_PER_INPUT)
                mn_warn("%s", mn_error_message());
            else
                mn_debug("%s", mn_error_message());
            if (got == MN_ERR_IO)
                break; /* the file cannot be read further */
            continue;
        }
        if (got != MN_OK) {
            status = mn_error_context(got, "%s", in->path);
            break;
        }
        if (end)
            break;
        status = process_document(st, w, in, &doc, writer, &counts);
        mn_progress_add(progress, 2, 1);
    }
    if (status == MN_OK && bad_warned > WARN_PER_INPUT)
        mn_warn("%s: %llu more bad records (counted in the report)", in->path,
                (unsigned long long)(bad_warned - WARN_PER_INPUT));
    if (status == MN_OK && reader != NULL) {
        for (size_t i = 0; i < ingest_reader_skipped_count(reader) && status == MN_OK; i++) {
            uint64_t count = 0;
            const char *key = ingest_reader_skipped(reader, i, &count);
            if (key == NULL)
                continue;
            char name[96];
            snprintf(name, sizeof name, "skipped.%s", key);
            status = mn_stats_add(stats, name, (int64_t)count);
        }
    }
    if (status == MN_OK)
        status = counts_to_stats(&counts, stats);
    if (status == MN_OK && in->size > bytes_reported)
        mn_progress_add(progress, 1, (double)(in->size - bytes_reported));
    if (status != MN_OK)
        goto done;
    uint64_t kept = ingest_work_writer_count(writer),
             kept_bytes = ingest_work_writer_text_bytes(writer);
    uint64_t docs_bytes = 0;
    status = ingest_work_writer_close(writer, &docs_bytes);
    writer = NULL;
    if (status == MN_OK) {
        ingest_input_meta meta = {.path = in->path,
                                  .size = in->size,
                                  .mtime_ns = in->mtime_ns,
                                  .settings = st->settings_fp,
                                  .kept = kept,
                                  .kept_bytes = kept_bytes,
                                  .docs_bytes = docs_bytes,
                                  .seconds = mn_now() - start,
                                  .counters = stats};
        char *marker = ingest_work_path(st->work_dir, in->id, "done");
        status = marker ? ingest_meta_write(marker, &meta) : MN_ERR_NOMEM;
        free(marker);
    }
    if (status == MN_OK) {
        mn_progress_add(progress, 0, 1);
        st->processed_inputs++;
        st->processed_bytes += in->size;
        st->processed_docs += counts.docs_in;
    }
done:
    if (reader != NULL)
        ingest_reader_close(reader);
    ingest_work_writer_abort(writer);
    mn_stats_free(stats);
    return status;
}
