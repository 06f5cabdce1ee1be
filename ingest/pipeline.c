/* The pipeline's driver: options, inputs, resume checks, the three phases, cleanup. */
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/util.h"
#include "ingest/dedup.h"
#include "ingest/inputs.h"
#include "ingest/pipeline_internal.h"
#include "ingest/queue.h"
#include "ingest/work.h"
#include "shards/manifest.h"

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

void ingest_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
}

bool ingest__stop_requested(void) {
    return stop_requested != 0;
}

void ingest_config_default(ingest_config *c) {
    *c = (ingest_config){0};
    c->comm = MPI_COMM_WORLD;
    c->reader.format = INGEST_FORMAT_AUTO;
    c->reader.max_record_bytes = 64u << 20;
    ingest_filter_config_default(&c->filters);
    ingest_minhash_config_default(&c->minhash);
    c->dedup_exact = c->dedup_url = c->dedup_fuzzy = true;
    c->shard_size = 256u << 20;
    c->zstd_level = 3;
    c->memory_budget = 2ull << 30;
}

mn_status ingest_config_check(const ingest_config *c) {
    MN_RETURN_ERROR_IF(c->output_dir == NULL || c->output_dir[0] == 0, MN_ERR_ARG,
                       "--output is required: the folder for the shards, manifest and report");
    MN_RETURN_ERROR_IF(c->n_inputs == 0, MN_ERR_ARG,
                       "no input given: name files, folders or glob patterns to ingest");
    MN_RETURN_ERROR_IF(c->shard_size < 4096, MN_ERR_ARG,
                       "--shard-size %llu is too small (at least 4K of text per shard)",
                       (unsigned long long)c->shard_size);
    MN_RETURN_ERROR_IF(c->zstd_level < 1 || c->zstd_level > 19, MN_ERR_ARG,
                       "--zstd-level %d is outside 1..19", c->zstd_level);
    MN_RETURN_ERROR_IF(c->memory_budget < (256ull << 20), MN_ERR_ARG,
                       "--memory-budget must be at least 256M per rank");
    MN_RETURN_ERROR_IF(c->reader.max_record_bytes == 0 || c->reader.max_record_bytes > (1ull << 30),
                       MN_ERR_ARG, "--max-record-bytes must be between 1 and 1G");
    MN_RETURN_ERROR_IF(c->reader.max_record_bytes * 8 > c->memory_budget, MN_ERR_ARG,
                       "--max-record-bytes %llu needs --memory-budget of at least 8 times that "
                       "(a record is held in a few working copies while it is cleaned)",
                       (unsigned long long)c->reader.max_record_bytes);
    if (c->dedup_fuzzy)
        MN_FORWARD_IF_ERROR(ingest_minhash_config_check(&c->minhash));
    return MN_OK;
}

/* --- settings and fingerprints ------------------------------------------------------- */

static mn_status describe_settings(const ingest_config *c, mn_buf *phase1, mn_buf *rest) {
    const ingest_reader_options *r = &c->reader;
    MN_FORWARD_IF_ERROR(mn_buf_appendf(phase1, "work_version=%d\n", INGEST_WORK_VERSION));
    MN_FORWARD_IF_ERROR(mn_buf_appendf(phase1, "format=%s\n", ingest_format_name(r->format)));
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(phase1, "text_field=%s\n", r->text_field ? r->text_field : "(auto)"));
    MN_FORWARD_IF_ERROR(mn_buf_appendf(phase1, "keep_fields="));
    for (size_t i = 0; i < r->n_keep_fields; i++)
        MN_FORWARD_IF_ERROR(mn_buf_appendf(phase1, "%s%s", i ? "," : "", r->keep_fields[i]));
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(phase1, "\nsplit_paragraphs=%s\n", r->split_paragraphs ? "true" : "false"));
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(phase1, "split_line=%s\n", r->split_line ? r->split_line : ""));
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(phase1, "max_record_bytes=%llu\n", (unsigned long long)r->max_record_bytes));
    mn_buf filters = {0};
    mn_status status = ingest_filter_config_describe(&c->filters, &filters);
    for (char *line = (char *)filters.data; status == MN_OK && line && *line;) {
        char *end = strchr(line, '\n');
        status = mn_buf_appendf(phase1, "filter.%.*s\n", (int)(end - line), line);
        line = end + 1;
    }
    mn_buf_free(&filters);
    MN_FORWARD_IF_ERROR(status);
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(phase1, "dedup_fuzzy=%s\n", c->dedup_fuzzy ? "true" : "false"));
    if (c->dedup_fuzzy)
        MN_FORWARD_IF_ERROR(mn_buf_appendf(
            phase1, "minhash.ngram=%d\nminhash.bands=%d\nminhash.rows=%d\nminhash.seed=%llu\n",
            c->minhash.ngram, c->minhash.bands, c->minhash.rows,
            (unsigned long long)c->minhash.seed));
    MN_FORWARD_IF_ERROR(
        mn_buf_appendf(rest, "dedup_exact=%s\ndedup_url=%s\nshard_size=%llu\nzstd_level=%d\n",
                       c->dedup_exact ? "true" : "false", c->dedup_url ? "true" : "false",
                       (unsigned long long)c->shard_size, c->zstd_level));
    return MN_OK;
}

static mn_status compute_fingerprints(pipe_state *st) {
    mn_buf phase1 = {0}, rest = {0};
    mn_status status = describe_settings(st->cfg, &phase1, &rest);
    uint64_t inputs_fp = 0x1234;
    for (size_t i = 0; i < st->n_inputs; i++) {
        const pipe_input *in = &st->inputs[i];
        inputs_fp = mn_xxh64(in->path, strlen(in->path) + 1, inputs_fp);
        uint64_t nums[2] = {in->size, (uint64_t)in->mtime_ns};
        inputs_fp = mn_xxh64(nums, sizeof nums, inputs_fp);
    }
    if (status == MN_OK)
        status = mn_buf_appendf(&rest, "inputs=%zu\ninputs_fingerprint=%016llx\n", st->n_inputs,
                                (unsigned long long)inputs_fp);
    if (status == MN_OK) {
        st->settings_fp = mn_xxh64(phase1.data, phase1.len, 0);
        st->run_fp = mn_xxh64(rest.data, rest.len, st->settings_fp);
        status = mn_buf_append(&phase1, rest.data, rest.len);
    }
    if (status == MN_OK) {
        st->settings_text = (char *)phase1.data;
        phase1 = (mn_buf){0};
    }
    mn_buf_free(&phase1);
    mn_buf_free(&rest);
    return status;
}

/* --- inputs ------------------------------------------------------------------------------- */

static mn_status discover_inputs(pipe_state *st) {
    const ingest_config *c = st->cfg;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    mn_status status = MN_OK;
    if (st->rank == 0) {
        ingest_inputs list = {0};
        ingest_inputs_options options = {.include = c->include, .n_include = c->n_include};
        status = ingest_inputs_collect(c->inputs, c->n_inputs, &options, &list);
        mn_buf buf = {0};
        /* The output folder may sit inside an input folder ("-o data/docs data/"): its
         * files are never inputs, or a relaunch would read the shards of the last run. */
        char *out_real = realpath(c->output_dir, NULL);
        size_t out_len = out_real ? strlen(out_real) : 0, left_out = 0;
        for (size_t i = 0; status == MN_OK && i < list.count; i++) {
            if (out_real != NULL) {
                char *in_real = realpath(list.items[i].path, NULL);
                bool inside = in_real != NULL && strncmp(in_real, out_real, out_len) == 0 &&
                              in_real[out_len] == '/';
                free(in_real);
                if (inside) {
                    left_out++;
                    continue;
                }
            }
            struct stat sb;
            if (stat(list.items[i].path, &sb) != 0) {
                status =
                    mn_error_errno(MN_ERR_NOT_FOUND, "cannot read input %s", list.items[i].path);
                break;
            }
            if (access(list.items[i].path, R_OK) != 0) {
                status = mn_error_errno(MN_ERR_IO,
                                        "input %s is not readable; fix its permissions or "
                                        "leave it out",
                                        list.items[i].path);
                break;
            }
            int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
            uint64_t size = (uint64_t)sb.st_size;
            uint32_t len = (uint32_t)strlen(list.items[i].path);
            status = mn_buf_append(&buf, &size, 8);
            if (status == MN_OK)
                status = mn_buf_append(&buf, &mtime, 8);
            if (status == MN_OK)
                status = mn_buf_append(&buf, &len, 4);
            if (status == MN_OK)
                status = mn_buf_append(&buf, list.items[i].path, len);
        }
        if (left_out > 0)
            mn_warn("%zu files inside the output folder %s are not inputs", left_out, out_real);
        free(out_real);
        if (status == MN_OK && buf.len == 0)
            status = mn_error(MN_ERR_NOT_FOUND, "the inputs name no files to ingest");
        ingest_inputs_free(&list);
        packed = buf.data;
        packed_len = buf.len;
    }
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status = mn_mpi_bcast_bytes((void **)&packed, &packed_len, 0, st->comm);
    if (status != MN_OK) {
        free(packed);
        return status;
    }
    /* Unpack (every rank, the same list). */
    size_t count = 0;
    for (size_t at = 0; at + 20 <= packed_len; count++) {
        uint32_t len;
        memcpy(&len, packed + at + 16, 4);
        at += 20 + len;
    }
    st->inputs = mn_calloc(count ? count : 1, sizeof(pipe_input));
    status = st->inputs ? MN_OK : MN_ERR_NOMEM;
    size_t at = 0;
    for (size_t i = 0; status == MN_OK && i < count; i++) {
        pipe_input *in = &st->inputs[i];
        uint32_t len;
        memcpy(&in->size, packed + at, 8);
        memcpy(&in->mtime_ns, packed + at + 8, 8);
        memcpy(&len, packed + at + 16, 4);
        in->path = mn_strndup((const char *)packed + at + 20, len);
        at += 20 + len;
        if (in->path == NULL)
            status = MN_ERR_NOMEM;
        else
            ingest_work_id(in->path, in->id);
        st->total_bytes += in->size;
        st->n_inputs = i + 1;
    }
    free(packed);
    MN_FORWARD_IF_ERROR(status);
    MN_RETURN_ERROR_IF(count >= (1ull << (64 - INGEST_ID_INPUT_SHIFT)), MN_ERR_LIMIT,
                       "%zu input files: at most %llu per run; split the corpus into several runs",
                       count, (unsigned long long)(1ull << (64 - INGEST_ID_INPUT_SHIFT)));
    return MN_OK;
}

/* --- the output folder ----------------------------------------------------------------- */

static mn_status prepare_output(pipe_state *st, bool *complete) {
    *complete = false;
    const char *out = st->out_dir;
    if (mn_path_exists(out) && !mn_is_directory(out))
        return mn_error(MN_ERR_ARG, "--output %s exists and is not a folder", out);
    MN_FORWARD_IF_ERROR_CTX(mn_make_dirs(out),
                            "cannot create the output folder; choose a writable --output");
    char *probe = mn_path_join(out, ".ingest-write-test");
    if (probe == NULL)
        return MN_ERR_NOMEM;
    mn_status status = mn_write_file_atomic(probe, "ok\n", 3);
    unlink(probe);
    free(probe);
    MN_FORWARD_IF_ERROR_CTX(status,
                            "the output folder %s is not writable; choose another "
                            "--output",
                            out);

    char *manifest_path = mn_path_join(out, "manifest.pb");
    if (manifest_path == NULL)
        return MN_ERR_NOMEM;
    if (mn_path_exists(manifest_path)) {
        shard_manifest m;
        mn_status loaded = shard_manifest_load(&m, manifest_path);
        bool same = false;
        char fp[17];
        snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->run_fp);
        if (loaded == MN_OK) {
            for (size_t i = 0; i < m.n_settings; i++)
                if (strcmp(m.settings[i].key, "run_fingerprint") == 0 &&
                    strcmp(m.settings[i].value, fp) == 0)
                    same = true;
            shard_manifest_free(&m);
        }
        if (same) {
            *complete = true;
        } else if (!st->cfg->overwrite) {
            status = mn_error(MN_ERR_MISMATCH,
                              "%s already holds a dataset made from other inputs or settings "
                              "(%s); choose another --output, or add --overwrite to replace it",
                              out, manifest_path);
        } else {
            /* The folder stops being a finished dataset until the new one is complete. */
            unlink(manifest_path);
            char *json = mn_path_join(out, "manifest.json");
            if (json)
                unlink(json);
            free(json);
        }
    }
    free(manifest_path);
    if (status != MN_OK || *complete)
        return status;
    const char *subdirs[] = {"inputs", "flags", "shards", "spill"};
    for (size_t i = 0; i < 4 && status == MN_OK; i++) {
        char *dir = mn_path_join(st->work_dir, subdirs[i]);
        status = dir ? mn_make_dirs(dir) : MN_ERR_NOMEM;
        free(dir);
    }
    if (status == MN_OK) {
        char *about = mn_path_join(st->work_dir, "README");
        const char *text =
            "Work files of mnemo-ingest (docs/ingest.md): per-input results, dedup flags and\n"
            "shard markers that let a relaunch resume. Removed when the run completes.\n";
        status = about ? ingest_work_write_file(about, text, strlen(text)) : MN_ERR_NOMEM;
        free(about);
    }
    return status;
}

/* --- phase 1 ------------------------------------------------------------------------------ */

/* An input is finished when its marker names it as it is now (path, size, mtime), was made
 * with the same settings, and its work files have the sizes the marker recorded (they are
 * not fsynced, so a machine crash could have cut them). */
static bool marker_matches(const pipe_state *st, const pipe_input *in, ingest_input_meta *meta) {
    char *path = ingest_work_path(st->work_dir, in->id, "done");
    bool ok = path != NULL && ingest_meta_read(path, meta) == MN_OK &&
              strcmp(meta->path, in->path) == 0 && meta->size == in->size &&
              meta->mtime_ns == in->mtime_ns && meta->settings == st->settings_fp;
    free(path);
    uint64_t size = 0;
    char *docs = ok ? ingest_work_path(st->work_dir, in->id, "docs") : NULL;
    char *keys = ok ? ingest_work_path(st->work_dir, in->id, "keys") : NULL;
    ok = ok && docs && keys && mn_file_size(docs, &size) == MN_OK && size == meta->docs_bytes &&
         mn_file_size(keys, &size) == MN_OK && size == meta->kept * ingest_key_size(st->bands);
    free(docs);
    free(keys);
    return ok;
}

static mn_status run_phase1(pipe_state *st) {
    const size_t n = st->n_inputs;
    uint8_t *done = mn_calloc(n, 1), *all_done = mn_calloc(n, 1);
    mn_status status = done && all_done ? MN_OK : MN_ERR_NOMEM;
    for (size_t i = (size_t)st->rank; status == MN_OK && i < n; i += (size_t)st->world) {
        ingest_input_meta meta;
        done[i] = marker_matches(st, &st->inputs[i], &meta);
        ingest_meta_free(&meta);
    }
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status = mn_mpi_check(
            MPI_Allreduce(done, all_done, (int)n, MPI_UNSIGNED_CHAR, MPI_MAX, st->comm),
            "MPI_Allreduce");
    uint32_t *todo = NULL;
    uint64_t *sizes = NULL;
    size_t n_todo = 0;
    double todo_bytes = 0;
    if (status == MN_OK) {
        todo = mn_alloc_array(n + 1, sizeof(uint32_t));
        sizes = mn_alloc_array(n + 1, sizeof(uint64_t));
        status = todo && sizes ? MN_OK : MN_ERR_NOMEM;
    }
    for (size_t i = 0; status == MN_OK && i < n; i++) {
        sizes[i] = st->inputs[i].size;
        if (!all_done[i]) {
            todo[n_todo++] = (uint32_t)i;
            todo_bytes += (double)st->inputs[i].size;
        }
    }
    status = mn_mpi_agree(status, st->comm);
    free(done);
    free(all_done);
    if (status != MN_OK) {
        free(todo);
        free(sizes);
        return status;
    }
    if (n_todo < n)
        mn_info0("resuming: %zu of %zu inputs were finished by an earlier run", n - n_todo, n);
    mn_info0("phase 1: reading, cleaning and filtering %zu inputs (%s) on %d rank%s", n_todo,
             mn_format_bytes((char[32]){0}, 32, todo_bytes), st->world, st->world > 1 ? "s" : "");

    ingest_queue *queue = NULL;
    mn_progress *progress = NULL;
    ingest_worker *worker = NULL;
    mn_progress_field fields[] = {
        {"files", MN_UNIT_COUNT}, {"input", MN_UNIT_BYTES}, {"docs", MN_UNIT_COUNT}};
    status = ingest_queue_create(&queue, st->comm, todo, st->rank == 0 ? n_todo : 0, sizes);
    if (status == MN_OK) {
        status = mn_progress_begin(&progress, "ingest", st->comm, fields, 3, 1,
                                   st->rank == 0 ? todo_bytes : 0);
        if (status != MN_OK) {
            ingest_queue_finish(queue, status);
            queue = NULL;
        }
    }
    if (status != MN_OK) {
        free(todo);
        free(sizes);
        return status;
    }
    mn_status local = ingest__worker_create(&worker, st);
    while (local == MN_OK) {
        uint32_t input;
        bool have;
        local = ingest_queue_next(queue, &input, &have);
        if (local != MN_OK || !have)
            break;
        local = ingest__process_input(st, worker, input, queue, progress);
        if (local == MN_OK && ingest__stop_requested())
            local = mn_error(MN_ERR_INTERRUPTED, "stop requested");
    }
    ingest__worker_free(worker);
    status = ingest_queue_finish(queue, local);
    mn_status ended = mn_progress_end(progress, NULL);
    free(todo);
    free(sizes);
    if (status == MN_OK)
        status = mn_mpi_agree(ended, st->comm);
    if (status == MN_OK) {
        uint64_t local_counts[3] = {st->processed_inputs, st->processed_bytes, st->processed_docs},
                 global[3];
        status =
            mn_mpi_check(MPI_Allreduce(local_counts, global, 3, MPI_UINT64_T, MPI_SUM, st->comm),
                         "MPI_Allreduce");
        st->processed_inputs = global[0];
        st->processed_bytes = global[1];
        st->processed_docs = global[2];
    }
    return status;
}

/* Reads every marker (spread over ranks): kept counts and the counters of all inputs. */
static mn_status gather_markers(pipe_state *st) {
    const size_t n = st->n_inputs;
    uint64_t *mine = mn_calloc(2 * n + 1, sizeof(uint64_t));
    uint64_t *all = mn_calloc(2 * n + 1, sizeof(uint64_t));
    mn_status status = mine && all ? MN_OK : MN_ERR_NOMEM;
    for (size_t i = (size_t)st->rank; status == MN_OK && i < n; i += (size_t)st->world) {
        ingest_input_meta meta;
        if (!marker_matches(st, &st->inputs[i], &meta)) {
            ingest_meta_free(&meta);
            status = mn_error(MN_ERR_STATE,
                              "input %s has no valid completion marker after phase 1 (was a "
                              "file changed during the run?); run the command again",
                              st->inputs[i].path);
            break;
        }
        mine[2 * i] = meta.kept;
        mine[2 * i + 1] = meta.kept_bytes;
        for (size_t k = 0; status == MN_OK && k < meta.counters->count; k++) {
            const mn_stat *s = &meta.counters->items[k];
            if (s->type == MN_STAT_INT)
                status = mn_stats_add(st->counters, s->name, s->i);
        }
        ingest_meta_free(&meta);
    }
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK)
        status =
            mn_mpi_check(MPI_Allreduce(mine, all, (int)(2 * n), MPI_UINT64_T, MPI_SUM, st->comm),
                         "MPI_Allreduce");
    for (size_t i = 0; status == MN_OK && i < n; i++) {
        st->inputs[i].kept = all[2 * i];
        st->inputs[i].kept_bytes = all[2 * i + 1];
    }
    free(mine);
    free(all);
    if (status == MN_OK)
        status = mn_stats_reduce(st->counters, st->comm);
    return status;
}

/* Owners for phases 2 and 3: largest inputs (by kept documents) first, each to the least
 * loaded rank. Deterministic for a given world size. */
static const pipe_input *owner_sort_inputs;

static int by_kept_desc(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    uint64_t kx = owner_sort_inputs[x].kept, ky = owner_sort_inputs[y].kept;
    if (kx != ky)
        return kx > ky ? -1 : 1;
    return x < y ? -1 : x > y;
}

static mn_status assign_owners(pipe_state *st) {
    size_t *order = mn_alloc_array(st->n_inputs + 1, sizeof(size_t));
    uint64_t *load = mn_calloc((size_t)st->world, sizeof(uint64_t));
    if (order == NULL || load == NULL) {
        free(order);
        free(load);
        return MN_ERR_NOMEM;
    }
    for (size_t i = 0; i < st->n_inputs; i++)
        order[i] = i;
    owner_sort_inputs = st->inputs;
    qsort(order, st->n_inputs, sizeof(size_t), by_kept_desc);
    for (size_t k = 0; k < st->n_inputs; k++) {
        int best = 0;
        for (int r = 1; r < st->world; r++)
            if (load[r] < load[best])
                best = r;
        st->inputs[order[k]].owner = best;
        load[best] += st->inputs[order[k]].kept + 1;
    }
    free(order);
    free(load);
    return MN_OK;
}

/* --- phase 2 ----------------------------------------------------------------------------- */

static mn_status read_dedup_marker(pipe_state *st, const char *path, bool *valid) {
    *valid = false;
    if (!mn_path_exists(path))
        return MN_OK;
    uint8_t *data = NULL;
    size_t size = 0;
    MN_FORWARD_IF_ERROR(mn_read_file(path, 1 << 16, &data, &size));
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    free(data);
    if (root == NULL)
        return MN_OK;
    const char *run = json_string_value(json_object_get(root, "run"));
    if (run != NULL && strtoull(run, NULL, 16) == st->run_fp) {
        ingest_dedup_stats *d = &st->dedup;
        const char *names[4] = {"", "exact", "url", "fuzzy"};
        for (int s = 1; s <= 3; s++) {
            json_t *stage = json_object_get(root, names[s]);
            d->removed[s] = (uint64_t)json_integer_value(json_object_get(stage, "removed"));
            d->pairs[s] = (uint64_t)json_integer_value(json_object_get(stage, "pairs"));
        }
        d->edges = (uint64_t)json_integer_value(json_object_get(root, "edges"));
        d->clusters = (uint64_t)json_integer_value(json_object_get(root, "clusters"));
        d->spill_runs = (uint64_t)json_integer_value(json_object_get(root, "spill_runs"));
        *valid = true;
    }
    json_decref(root);
    return MN_OK;
}

static mn_status write_dedup_marker(const pipe_state *st, const char *path) {
    const ingest_dedup_stats *d = &st->dedup;
    char *text =
        mn_asprintf("{\"run\": \"%016llx\",\n \"exact\": {\"removed\": %llu, \"pairs\": %llu},\n"
                    " \"url\": {\"removed\": %llu, \"pairs\": %llu},\n"
                    " \"fuzzy\": {\"removed\": %llu, \"pairs\": %llu},\n"
                    " \"edges\": %llu, \"clusters\": %llu, \"spill_runs\": %llu}\n",
                    (unsigned long long)st->run_fp, (unsigned long long)d->removed[1],
                    (unsigned long long)d->pairs[1], (unsigned long long)d->removed[2],
                    (unsigned long long)d->pairs[2], (unsigned long long)d->removed[3],
                    (unsigned long long)d->pairs[3], (unsigned long long)d->edges,
                    (unsigned long long)d->clusters, (unsigned long long)d->spill_runs);
    mn_status status = text ? ingest_work_write_file(path, text, strlen(text)) : MN_ERR_NOMEM;
    free(text);
    return status;
}

static mn_status run_phase2(pipe_state *st) {
    if (!st->any_dedup)
        return MN_OK;
    char *marker = mn_path_join(st->work_dir, "dedup.done");
    if (marker == NULL)
        return MN_ERR_NOMEM;
    bool valid = false;
    mn_status status = MN_OK;
    if (st->rank == 0)
        status = read_dedup_marker(st, marker, &valid);
    status = mn_mpi_agree(status, st->comm);
    int flag = valid;
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Bcast(&flag, 1, MPI_INT, 0, st->comm), "MPI_Bcast");
    if (status != MN_OK || flag) {
        if (flag)
            mn_info0("deduplication was finished by an earlier run");
        free(marker);
        return status;
    }
    const size_t n = st->n_inputs;
    ingest_dedup_input *dedup_inputs = mn_calloc(n + 1, sizeof(ingest_dedup_input));
    char **paths = mn_calloc(2 * n + 1, sizeof(char *));
    status = dedup_inputs && paths ? MN_OK : MN_ERR_NOMEM;
    for (size_t i = 0; status == MN_OK && i < n; i++) {
        ingest_dedup_input *d = &dedup_inputs[i];
        d->kept = st->inputs[i].kept;
        d->owner = st->inputs[i].owner;
        if (d->owner != st->rank)
            continue;
        paths[2 * i] = ingest_work_path(st->work_dir, st->inputs[i].id, "keys");
        paths[2 * i + 1] = ingest_work_path(st->work_dir, st->inputs[i].id, "flags");
        d->keys_path = paths[2 * i];
        d->flags_path = paths[2 * i + 1];
        if (d->keys_path == NULL || d->flags_path == NULL)
            status = MN_ERR_NOMEM;
    }
    char spill[4096];
    snprintf(spill, sizeof spill, "%s/spill/rank-%d", st->work_dir, st->rank);
    size_t round = (size_t)(st->cfg->memory_budget / 8 / (uint64_t)st->world);
    ingest_dedup_config dc = {.comm = st->comm,
                              .exact = st->cfg->dedup_exact,
                              .url = st->cfg->dedup_url,
                              .fuzzy = st->cfg->dedup_fuzzy,
                              .bands = st->bands,
                              .sort_memory = (size_t)(st->cfg->memory_budget / 4),
                              .round_bytes = round < (64u << 10) ? (64u << 10) : round,
                              .spill_dir = spill};
    status = mn_mpi_agree(status, st->comm);
    if (status == MN_OK) {
        mn_info0("phase 2: deduplication (%s%s%s) over %llu documents", dc.exact ? "exact" : "",
                 dc.url ? (dc.exact ? ", url" : "url") : "",
                 dc.fuzzy ? (dc.exact || dc.url ? ", fuzzy" : "fuzzy") : "",
                 (unsigned long long)mn_stats_get(st->counters, "docs.in"));
        /* The owners' flags files are written by the stages; the marker comes after all. */
        status = ingest_dedup_run(&dc, dedup_inputs, n, &st->dedup);
    }
    if (status == MN_OK && st->rank == 0)
        status = write_dedup_marker(st, marker);
    if (status == MN_OK)
        status = mn_mpi_agree(status, st->comm);
    mn_remove_tree(spill);
    for (size_t i = 0; paths && i < 2 * n; i++)
        free(paths[i]);
    free(dedup_inputs);
    free(paths);
    free(marker);
    return status;
}

/* --- the run -------------------------------------------------------------------------- */

static void state_free(pipe_state *st) {
    for (size_t i = 0; st->inputs && i < st->n_inputs; i++)
        free(st->inputs[i].path);
    free(st->inputs);
    free(st->out_dir);
    free(st->work_dir);
    free(st->settings_text);
    mn_stats_free(st->counters);
}

static mn_status run(pipe_state *st, ingest_summary *summary) {
    const ingest_config *c = st->cfg;
    bool complete = false;
    mn_status status = MN_OK;
    if (st->rank == 0)
        status = prepare_output(st, &complete);
    status = mn_mpi_agree(status, st->comm);
    MN_FORWARD_IF_ERROR(status);
    int flag = complete;
    MN_MPI_TRY(MPI_Bcast(&flag, 1, MPI_INT, 0, st->comm));
    if (flag) {
        summary->already_complete = true;
        if (st->rank == 0) {
            mn_info("%s is complete (same inputs and settings): nothing to do", st->out_dir);
            if (!c->quiet)
                ingest__print_existing_report(st->out_dir);
        }
        return MN_OK;
    }

    double t0 = mn_now();
    MN_FORWARD_IF_ERROR(run_phase1(st));
    st->t_phase[0] = mn_now() - t0;
    MN_FORWARD_IF_ERROR(gather_markers(st));
    MN_FORWARD_IF_ERROR(assign_owners(st));
    if (ingest__stop_requested())
        status = mn_error(MN_ERR_INTERRUPTED, "stop requested after phase 1");
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, st->comm));

    t0 = mn_now();
    MN_FORWARD_IF_ERROR(run_phase2(st));
    st->t_phase[1] = mn_now() - t0;
    if (ingest__stop_requested())
        status = mn_error(MN_ERR_INTERRUPTED, "stop requested after deduplication");
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, st->comm));

    t0 = mn_now();
    MN_FORWARD_IF_ERROR(ingest__write_shards(st));
    st->t_phase[2] = mn_now() - t0;

    if (st->rank == 0) {
        status = ingest__write_report(st);
        if (status == MN_OK && !c->keep_work)
            status = mn_remove_tree(st->work_dir);
    }
    MN_FORWARD_IF_ERROR(mn_mpi_agree(status, st->comm));
    summary->shards = st->shards;
    summary->documents_out = (uint64_t)mn_stats_get(st->counters, "docs.out");
    summary->text_bytes_out = (uint64_t)mn_stats_get(st->counters, "bytes.out");
    return MN_OK;
}

mn_status ingest_run(const ingest_config *c, ingest_summary *summary) {
    *summary = (ingest_summary){0};
    pipe_state st = {.cfg = c, .comm = c->comm, .t_start = mn_now()};
    MN_MPI_TRY(MPI_Comm_rank(c->comm, &st.rank));
    MN_MPI_TRY(MPI_Comm_size(c->comm, &st.world));
    mn_status status = ingest_config_check(c);
    if (status == MN_OK) {
        st.out_dir = mn_strdup(c->output_dir);
        st.work_dir = mn_path_join(c->output_dir, ".ingest-work");
        st.counters = mn_stats_create();
        status = st.out_dir && st.work_dir && st.counters ? MN_OK : MN_ERR_NOMEM;
    }
    st.bands = c->dedup_fuzzy ? c->minhash.bands : 0;
    st.any_dedup = c->dedup_exact || c->dedup_url || c->dedup_fuzzy;
    status = mn_mpi_agree(status, c->comm);
    if (status == MN_OK)
        status = discover_inputs(&st);
    if (status == MN_OK)
        status = compute_fingerprints(&st);
    if (status == MN_OK)
        status = run(&st, summary);
    summary->inputs = st.n_inputs;
    summary->inputs_skipped = st.n_inputs - st.processed_inputs;
    summary->input_bytes = st.total_bytes;
    summary->documents_in = (uint64_t)(st.counters ? mn_stats_get(st.counters, "docs.in") : 0);
    summary->seconds = mn_now() - st.t_start;
    state_free(&st);
    return status;
}
