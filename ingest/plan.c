/* Phase 3: the shard plan, the shards, the manifest.
 *
 * The kept documents in global order (input order, then record order) form one stream of
 * text bytes; document d starting at byte offset o of that stream belongs to slot
 * floor(o / shard_size), and the non-empty slots in order are the shards. A shard is thus a
 * function of the inputs, the settings and the dedup results only. Each rank computes the
 * segments (runs of one input's documents inside one slot) of the inputs it owns, everyone
 * gathers all segments, and shard k is written by rank k % world, reading the documents
 * straight from the work files. */
#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/util.h"
#include "ingest/pipeline_internal.h"
#include "ingest/work.h"
#include "shards/docshard.h"
#include "shards/manifest.h"

typedef struct segment {
    uint64_t slot, input, first, end, frame_offset, docs, bytes, reserved;
} segment;

enum { SEGMENT_WORDS = sizeof(segment) / sizeof(uint64_t) };

/* A sequential reader of an input's flags file (all zero when there was no dedup). */
typedef struct flags_reader {
    FILE *fp;
    char *path;
} flags_reader;

static mn_status flags_open(const pipe_state *st, const pipe_input *in, uint64_t first,
                            flags_reader *f) {
    *f = (flags_reader){0};
    if (!st->any_dedup)
        return MN_OK;
    f->path = ingest_work_path(st->work_dir, in->id, "flags");
    if (f->path == NULL)
        return MN_ERR_NOMEM;
    uint64_t size = 0;
    MN_FORWARD_IF_ERROR(mn_file_size(f->path, &size));
    MN_RETURN_ERROR_IF(size != in->kept, MN_ERR_CORRUPT,
                       "work file %s has %llu bytes, expected %llu; delete %s/dedup.done to "
                       "redo deduplication",
                       f->path, (unsigned long long)size, (unsigned long long)in->kept,
                       st->work_dir);
    f->fp = fopen(f->path, "rb");
    if (f->fp == NULL || fseeko(f->fp, (off_t)first, SEEK_SET) != 0)
        return mn_error_errno(MN_ERR_IO, "cannot read work file %s", f->path);
    return MN_OK;
}

static mn_status flags_next(flags_reader *f, uint8_t *flag) {
    if (f->fp == NULL) {
        *flag = INGEST_DEDUP_KEPT;
        return MN_OK;
    }
    int c = getc(f->fp);
    MN_RETURN_ERROR_IF(c == EOF, MN_ERR_CORRUPT, "work file %s ends early", f->path);
    *flag = (uint8_t)c;
    return MN_OK;
}

static void flags_close(flags_reader *f) {
    if (f->fp)
        fclose(f->fp);
    free(f->path);
    *f = (flags_reader){0};
}

/* Scan 1: counts of an owned input after dedup (and what each stage removed). */
static mn_status count_input(pipe_state *st, size_t i, uint64_t removed[4][2]) {
    pipe_input *in = &st->inputs[i];
    in->final_docs = in->final_bytes = 0;
    if (in->kept == 0)
        return MN_OK;
    char *keys_path = ingest_work_path(st->work_dir, in->id, "keys");
    ingest_keys_reader *keys = NULL;
    flags_reader flags;
    mn_status status =
        keys_path ? ingest_keys_open(&keys, keys_path, st->bands, in->kept) : MN_ERR_NOMEM;
    free(keys_path);
    if (status == MN_OK)
        status = flags_open(st, in, 0, &flags);
    else
        flags = (flags_reader){0};
    while (status == MN_OK) {
        ingest_key key;
        bool done;
        uint8_t flag = 0;
        status = ingest_keys_next(keys, &key, &done);
        if (status != MN_OK || done)
            break;
        status = flags_next(&flags, &flag);
        if (status != MN_OK)
            break;
        if (flag == INGEST_DEDUP_KEPT) {
            in->final_docs++;
            in->final_bytes += key.text_bytes;
        } else if (flag <= INGEST_DEDUP_FUZZY) {
            removed[flag][0]++;
            removed[flag][1] += key.text_bytes;
        } else {
            status =
                mn_error(MN_ERR_CORRUPT, "work file %s holds an unknown flag %u", flags.path, flag);
        }
    }
    ingest_keys_close(keys);
    flags_close(&flags);
    return status;
}

static mn_status push_segment(segment **segs, size_t *n, size_t *cap, const segment *s) {
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        void *p = *segs;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&p, c, sizeof(segment)));
        *segs = p;
        *cap = c;
    }
    (*segs)[(*n)++] = *s;
    return MN_OK;
}

/* Scan 2: the segments of an owned input. */
static mn_status segment_input(pipe_state *st, size_t i, segment **segs, size_t *n, size_t *cap) {
    pipe_input *in = &st->inputs[i];
    if (in->final_docs == 0)
        return MN_OK;
    const uint64_t size = st->cfg->shard_size;
    char *keys_path = ingest_work_path(st->work_dir, in->id, "keys");
    ingest_keys_reader *keys = NULL;
    flags_reader flags = {0};
    mn_status status =
        keys_path ? ingest_keys_open(&keys, keys_path, st->bands, in->kept) : MN_ERR_NOMEM;
    free(keys_path);
    if (status == MN_OK)
        status = flags_open(st, in, 0, &flags);
    uint64_t offset = in->start;
    segment cur = {0};
    bool open = false;
    for (uint64_t index = 0; status == MN_OK; index++) {
        ingest_key key;
        bool done;
        uint8_t flag = 0;
        status = ingest_keys_next(keys, &key, &done);
        if (status != MN_OK || done)
            break;
        status = flags_next(&flags, &flag);
        if (status != MN_OK || flag != INGEST_DEDUP_KEPT)
            continue;
        uint64_t slot = offset / size;
        if (!open || slot != cur.slot) {
            if (open)
                status = push_segment(segs, n, cap, &cur);
            cur = (segment){
                .slot = slot, .input = i, .first = index, .frame_offset = key.frame_offset};
            open = true;
        }
        cur.end = index + 1;
        cur.docs++;
        cur.bytes += key.text_bytes;
        offset += key.text_bytes;
    }
    if (status == MN_OK && open)
        status = push_segment(segs, n, cap, &cur);
    ingest_keys_close(keys);
    flags_close(&flags);
    return status;
}

static int segment_cmp(const void *a, const void *b) {
    const segment *x = a, *y = b;
    if (x->slot != y->slot)
        return x->slot < y->slot ? -1 : 1;
    return x->input < y->input ? -1 : x->input > y->input;
}

static mn_status gather_segments(pipe_state *st, segment *mine, size_t n_mine, segment **all,
                                 size_t *n_all) {
    int *counts = mn_calloc(2 * (size_t)st->world, sizeof(int));
    if (counts == NULL)
        return MN_ERR_NOMEM;
    int *displs = counts + st->world;
    MN_RETURN_ERROR_IF(n_mine * SEGMENT_WORDS > INT32_MAX, MN_ERR_LIMIT, "too many segments");
    int my_count = (int)(n_mine * SEGMENT_WORDS);
    mn_status status = mn_mpi_check(
        MPI_Allgather(&my_count, 1, MPI_INT, counts, 1, MPI_INT, st->comm), "MPI_Allgather");
    size_t total = 0;
    for (int r = 0; status == MN_OK && r < st->world; r++) {
        displs[r] = (int)total;
        total += (size_t)counts[r];
        if (total > INT32_MAX)
            status = mn_error(MN_ERR_LIMIT, "the shard plan has too many segments");
    }
    segment *segs = NULL;
    if (status == MN_OK) {
        segs = mn_alloc_array(total / SEGMENT_WORDS + 1, sizeof(segment));
        status = segs ? MN_OK : MN_ERR_NOMEM;
    }
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Allgatherv(mine, my_count, MPI_UINT64_T, segs, counts, displs,
                                             MPI_UINT64_T, st->comm),
                              "MPI_Allgatherv");
    free(counts);
    if (status != MN_OK) {
        free(segs);
        return status;
    }
    *n_all = total / SEGMENT_WORDS;
    qsort(segs, *n_all, sizeof(segment), segment_cmp);
    *all = segs;
    return MN_OK;
}

static char *shard_name(uint64_t k) {
    return mn_asprintf("shard-%05llu.jsonl.zst", (unsigned long long)k);
}

typedef struct shard_done {
    uint64_t documents, text_bytes, file_bytes, xxh64, skipped;
} shard_done;

static char *shard_marker_path(const pipe_state *st, uint64_t k) {
    return mn_asprintf("%s/shards/%05llu.done", st->work_dir, (unsigned long long)k);
}

static mn_status write_shard_marker(const pipe_state *st, uint64_t k, const shard_done *d) {
    char *path = shard_marker_path(st, k);
    char *text = mn_asprintf("{\"run\": \"%016llx\", \"documents\": %llu, \"text_bytes\": %llu, "
                             "\"file_bytes\": %llu, \"xxh64\": \"%016llx\", \"skipped\": %llu}\n",
                             (unsigned long long)st->run_fp, (unsigned long long)d->documents,
                             (unsigned long long)d->text_bytes, (unsigned long long)d->file_bytes,
                             (unsigned long long)d->xxh64, (unsigned long long)d->skipped);
    mn_status status =
        path && text ? ingest_work_write_file(path, text, strlen(text)) : MN_ERR_NOMEM;
    free(path);
    free(text);
    return status;
}

/* Reads a shard marker; *valid is false when it is missing or from another run. */
static mn_status read_shard_marker(const pipe_state *st, uint64_t k, shard_done *d, bool *valid) {
    *valid = false;
    char *path = shard_marker_path(st, k);
    if (path == NULL)
        return MN_ERR_NOMEM;
    if (!mn_path_exists(path)) {
        free(path);
        return MN_OK;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    mn_status status = mn_read_file(path, 1 << 16, &data, &size);
    free(path);
    if (status != MN_OK)
        return status;
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    free(data);
    if (root == NULL)
        return MN_OK; /* damaged: the shard is written again */
    const char *run = json_string_value(json_object_get(root, "run"));
    const char *xxh = json_string_value(json_object_get(root, "xxh64"));
    if (run != NULL && xxh != NULL && strtoull(run, NULL, 16) == st->run_fp) {
        d->documents = (uint64_t)json_integer_value(json_object_get(root, "documents"));
        d->text_bytes = (uint64_t)json_integer_value(json_object_get(root, "text_bytes"));
        d->file_bytes = (uint64_t)json_integer_value(json_object_get(root, "file_bytes"));
        d->skipped = (uint64_t)json_integer_value(json_object_get(root, "skipped"));
        d->xxh64 = strtoull(xxh, NULL, 16);
        *valid = true;
    }
    json_decref(root);
    return MN_OK;
}

/* Writes shard k from its segments. */
static mn_status write_shard(pipe_state *st, uint64_t k, const segment *segs, size_t n,
                             mn_progress *progress, shard_done *done_info) {
    char *name = shard_name(k);
    char *path = name ? mn_path_join(st->out_dir, name) : NULL;
    free(name);
    if (path == NULL)
        return MN_ERR_NOMEM;
    docshard_writer *writer = NULL;
    mn_status status = docshard_writer_open(&writer, path, st->cfg->zstd_level);
    uint64_t skipped = 0;
    for (size_t s = 0; status == MN_OK && s < n; s++) {
        const segment *seg = &segs[s];
        const pipe_input *in = &st->inputs[seg->input];
        char *docs_path = ingest_work_path(st->work_dir, in->id, "docs");
        ingest_docs_reader *docs = NULL;
        flags_reader flags = {0};
        uint64_t reached = seg->first; /* one past the last index read in the segment */
        const size_t source_len = strlen(in->path);
        status = docs_path
                     ? ingest_docs_open(&docs, docs_path, seg->frame_offset,
                                        ingest_docs_block_limit(st->cfg->reader.max_record_bytes))
                     : MN_ERR_NOMEM;
        free(docs_path);
        if (status == MN_OK)
            status = flags_open(st, in, seg->first, &flags);
        while (status == MN_OK) {
            ingest_work_doc doc;
            uint64_t index;
            bool end;
            status = ingest_docs_next(docs, &doc, &index, &end);
            if (status != MN_OK)
                break;
            if (end && reached >= seg->end)
                break;
            if (end) {
                status = mn_error(MN_ERR_CORRUPT,
                                  "work files of %s end before document %llu; delete %s to redo",
                                  in->path, (unsigned long long)seg->end, st->work_dir);
                break;
            }
            if (index < seg->first)
                continue;
            if (index >= seg->end)
                break;
            reached = index + 1;
            uint8_t flag = 0;
            status = flags_next(&flags, &flag);
            if (status != MN_OK || flag != INGEST_DEDUP_KEPT)
                continue;
            doc_record rec = {.id = doc.id,
                              .id_len = doc.id_len,
                              .text = doc.text,
                              .text_len = doc.text_len,
                              .source = in->path,
                              .source_len = source_len,
                              .url = doc.url_len ? doc.url : NULL,
                              .url_len = doc.url_len,
                              .extra_json = doc.extra_len ? doc.extra : NULL,
                              .extra_json_len = doc.extra_len};
            mn_status added = docshard_writer_append(writer, &rec);
            if (added == MN_ERR_FORMAT || added == MN_ERR_ARG) {
                /* The writer refused this document and stays usable (bad metadata from a
                 * source, say): counted and skipped rather than losing the shard. */
                mn_warn("%s record %llu: %s; skipped", in->path, (unsigned long long)index,
                        mn_error_message());
                skipped++;
                continue;
            }
            status = added;
            mn_progress_add(progress, 1, 1);
            mn_progress_add(progress, 2, (double)doc.text_len);
            mn_progress_tick(progress);
        }
        ingest_docs_close(docs);
        flags_close(&flags);
        if (status == MN_OK && ingest__stop_requested())
            status = mn_error(MN_ERR_INTERRUPTED, "stop requested while writing %s", path);
    }
    docshard_info info = {0};
    if (status == MN_OK) {
        status = docshard_writer_close(writer, &info);
    } else {
        docshard_writer_abort(writer);
    }
    if (status == MN_OK) {
        *done_info =
            (shard_done){info.documents, info.text_bytes, info.file_bytes, info.xxh64, skipped};
        status = write_shard_marker(st, k, done_info);
    }
    free(path);
    return status;
}

/* Removes shard files of an earlier, larger plan and temporaries of killed writers. */
static void remove_stale_shards(const pipe_state *st, uint64_t n_shards) {
    DIR *dir = opendir(st->out_dir);
    if (dir == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        unsigned long long k;
        int used = 0;
        if (sscanf(e->d_name, "shard-%llu.jsonl.zst%n", &k, &used) != 1 ||
            strncmp(e->d_name, "shard-", 6) != 0)
            continue;
        bool tmp = strcmp(e->d_name + used, ".tmp") == 0;
        if (e->d_name[used] != 0 && !tmp)
            continue;
        if (!tmp && k < n_shards)
            continue;
        char *path = mn_path_join(st->out_dir, e->d_name);
        if (path != NULL && unlink(path) == 0)
            mn_info("removed %s (%s)", path, tmp ? "left by a killed run" : "from an earlier run");
        free(path);
    }
    closedir(dir);
}

static mn_status write_manifest(pipe_state *st, uint64_t n_shards) {
    shard_manifest manifest;
    MN_FORWARD_IF_ERROR(shard_manifest_init(&manifest, SHARD_DATASET_DOCUMENTS, st->out_dir));
    mn_status status = MN_OK;
    uint64_t skipped = 0;
    st->docs_out = st->bytes_out = st->file_bytes_out = 0;
    for (uint64_t k = 0; status == MN_OK && k < n_shards; k++) {
        shard_done d;
        bool valid;
        status = read_shard_marker(st, k, &d, &valid);
        if (status == MN_OK && !valid)
            status = mn_error(MN_ERR_STATE, "shard %llu has no completion marker",
                              (unsigned long long)k);
        if (status != MN_OK)
            break;
        char *name = shard_name(k);
        shard_manifest_entry entry = {
            .path = name, .documents = d.documents, .bytes = d.file_bytes, .xxh64 = d.xxh64};
        status = name ? shard_manifest_add(&manifest, &entry) : MN_ERR_NOMEM;
        free(name);
        st->docs_out += d.documents;
        st->bytes_out += d.text_bytes;
        st->file_bytes_out += d.file_bytes;
        skipped += d.skipped;
    }
    if (status == MN_OK && skipped > 0)
        status = mn_stats_add(st->counters, "bad.unwritable_document", (int64_t)skipped);
    if (status == MN_OK)
        status = mn_stats_add(st->counters, "docs.out", (int64_t)st->docs_out);
    if (status == MN_OK)
        status = mn_stats_add(st->counters, "bytes.out", (int64_t)st->bytes_out);
    if (status == MN_OK)
        status = mn_stats_add(st->counters, "shards", (int64_t)n_shards);
    if (status == MN_OK)
        status = mn_stats_add(st->counters, "shard_file_bytes", (int64_t)st->file_bytes_out);
    /* Settings: every option that shaped the dataset, one "key=value" line each. */
    char *line = st->settings_text;
    while (status == MN_OK && line && *line) {
        char *end = strchr(line, '\n');
        char *eq = strchr(line, '=');
        if (end == NULL || eq == NULL || eq > end)
            break;
        *end = 0;
        *eq = 0;
        status = shard_manifest_set_setting(&manifest, line, eq + 1);
        *eq = '=';
        *end = '\n';
        line = end + 1;
    }
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->run_fp);
    if (status == MN_OK)
        status = shard_manifest_set_setting(&manifest, "run_fingerprint", fp);
    for (size_t i = 0; status == MN_OK && i < st->counters->count; i++) {
        const mn_stat *s = &st->counters->items[i];
        if (s->type == MN_STAT_INT && s->op == MN_STAT_SUM)
            status = shard_manifest_set_counter(&manifest, s->name, s->i);
    }
    if (status == MN_OK)
        status = shard_manifest_save(&manifest);
    shard_manifest_free(&manifest);
    return status;
}

mn_status ingest__write_shards(pipe_state *st) {
    const size_t n = st->n_inputs;
    /* Scan 1: final counts of owned inputs, removals by stage. */
    uint64_t removed[4][2] = {{0}};
    mn_status status = MN_OK;
    for (size_t i = 0; i < n && status == MN_OK; i++)
        if (st->inputs[i].owner == st->rank)
            status = count_input(st, i, removed);
    status = mn_mpi_agree(status, st->comm);
    if (status != MN_OK)
        return status;
    uint64_t *arrays = mn_calloc(2 * n + 8, sizeof(uint64_t));
    uint64_t *global = mn_calloc(2 * n + 8, sizeof(uint64_t));
    status = arrays && global ? MN_OK : MN_ERR_NOMEM;
    status = mn_mpi_agree(status, st->comm);
    if (status != MN_OK) {
        free(arrays);
        free(global);
        return status;
    }
    for (size_t i = 0; i < n; i++) {
        if (st->inputs[i].owner != st->rank)
            continue;
        arrays[2 * i] = st->inputs[i].final_docs;
        arrays[2 * i + 1] = st->inputs[i].final_bytes;
    }
    for (int s = 1; s <= 3; s++) {
        arrays[2 * n + 2 * (size_t)s] = removed[s][0];
        arrays[2 * n + 2 * (size_t)s + 1] = removed[s][1];
    }
    status = mn_mpi_check(
        MPI_Allreduce(arrays, global, (int)(2 * n + 8), MPI_UINT64_T, MPI_SUM, st->comm),
        "MPI_Allreduce");
    uint64_t start = 0;
    for (size_t i = 0; status == MN_OK && i < n; i++) {
        st->inputs[i].final_docs = global[2 * i];
        st->inputs[i].final_bytes = global[2 * i + 1];
        st->inputs[i].start = start;
        start += st->inputs[i].final_bytes;
    }
    static const char *const stage_names[] = {"", "exact", "url", "fuzzy"};
    for (int s = 1; status == MN_OK && s <= 3; s++) {
        char name[64];
        snprintf(name, sizeof name, "dedup.%s.docs", stage_names[s]);
        status = mn_stats_add(st->counters, name, (int64_t)global[2 * n + 2 * (size_t)s]);
        snprintf(name, sizeof name, "dedup.%s.bytes", stage_names[s]);
        if (status == MN_OK)
            status = mn_stats_add(st->counters, name, (int64_t)global[2 * n + 2 * (size_t)s + 1]);
    }
    free(arrays);
    free(global);
    if (status != MN_OK)
        return status;

    /* Scan 2: segments, gathered by everyone. */
    segment *mine = NULL, *all = NULL;
    size_t n_mine = 0, cap = 0, n_all = 0;
    for (size_t i = 0; i < n && status == MN_OK; i++)
        if (st->inputs[i].owner == st->rank)
            status = segment_input(st, i, &mine, &n_mine, &cap);
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status = gather_segments(st, mine, n_mine, &all, &n_all);
    free(mine);
    if (status != MN_OK)
        return status;

    /* Shards: the distinct slots in order; shard k is written by rank k % world. */
    size_t *first = mn_alloc_array(n_all + 1, sizeof(size_t));
    uint64_t n_shards = 0;
    status = first ? MN_OK : MN_ERR_NOMEM;
    for (size_t s = 0; status == MN_OK && s < n_all; s++)
        if (s == 0 || all[s].slot != all[s - 1].slot)
            first[n_shards++] = s;
    if (first)
        first[n_shards] = n_all;
    double my_bytes = 0;
    for (uint64_t k = 0; status == MN_OK && k < n_shards; k++)
        if ((int)(k % (uint64_t)st->world) == st->rank)
            for (size_t s = first[k]; s < first[k + 1]; s++)
                my_bytes += (double)all[s].bytes;
    mn_progress *progress = NULL;
    mn_progress_field fields[] = {
        {"shards", MN_UNIT_COUNT}, {"docs", MN_UNIT_COUNT}, {"text", MN_UNIT_BYTES}};
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status = mn_progress_begin(&progress, "shards", st->comm, fields, 3, 2, my_bytes);
    if (status != MN_OK) {
        free(first);
        free(all);
        return status;
    }
    mn_info0("writing %llu shards of about %s of text each", (unsigned long long)n_shards,
             mn_format_bytes((char[32]){0}, 32, (double)st->cfg->shard_size));
    for (uint64_t k = 0; status == MN_OK && k < n_shards; k++) {
        if ((int)(k % (uint64_t)st->world) != st->rank)
            continue;
        shard_done d;
        bool valid;
        status = read_shard_marker(st, k, &d, &valid);
        char *name = shard_name(k);
        char *path = name ? mn_path_join(st->out_dir, name) : NULL;
        uint64_t size = 0;
        if (status == MN_OK && valid &&
            (path == NULL || mn_file_size(path, &size) != MN_OK || size != d.file_bytes))
            valid = false; /* the marker outlived its shard: write it again */
        free(name);
        free(path);
        if (status == MN_OK && !valid && st->cfg->test_delay_ms > 0)
            ingest__sleep_ms(st->cfg->test_delay_ms);
        if (status == MN_OK && !valid)
            status = write_shard(st, k, all + first[k], first[k + 1] - first[k], progress, &d);
        else if (status == MN_OK) {
            mn_progress_add(progress, 1, (double)d.documents);
            mn_progress_add(progress, 2, (double)d.text_bytes);
        }
        mn_progress_add(progress, 0, 1);
        mn_progress_tick(progress);
    }
    mn_status ended = mn_progress_end(progress, NULL);
    status = mn_mpi_agree(status != MN_OK ? status : ended, st->comm);
    free(first);
    free(all);
    if (status != MN_OK)
        return status;

    st->shards = n_shards;
    if (st->rank == 0) {
        status = write_manifest(st, n_shards);
        if (status == MN_OK)
            remove_stale_shards(st, n_shards);
    }
    return mn_mpi_agree(status, st->comm);
}
