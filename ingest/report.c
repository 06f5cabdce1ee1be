/* The run report: report.json (for tools) and report.txt (the table users read), both in the
 * output folder, and the table on stdout. docs/ingest.md describes every field. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/util.h"
#include "ingest/pipeline_internal.h"

static int64_t get(const pipe_state *st, const char *name) {
    return mn_stats_get(st->counters, name);
}

static int64_t get2(const pipe_state *st, const char *prefix, const char *rule,
                    const char *suffix) {
    char name[128];
    snprintf(name, sizeof name, "%s%s%s", prefix, rule, suffix);
    return mn_stats_get(st->counters, name);
}

/* Sum of the counters whose names start with `prefix`, and an object of them by suffix. */
static int64_t by_prefix(const pipe_state *st, const char *prefix, json_t *object) {
    int64_t sum = 0;
    size_t len = strlen(prefix);
    for (size_t i = 0; i < st->counters->count; i++) {
        const mn_stat *s = &st->counters->items[i];
        if (s->type != MN_STAT_INT || strncmp(s->name, prefix, len) != 0 || s->i == 0)
            continue;
        sum += s->i;
        if (object)
            json_object_set_new(object, s->name + len, json_integer(s->i));
    }
    return sum;
}

static json_t *build_json(const pipe_state *st) {
    const ingest_config *c = st->cfg;
    json_t *root = json_object();
    char fp[17];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->run_fp);
    json_object_set_new(root, "output", json_string(st->out_dir));
    json_object_set_new(root, "run_fingerprint", json_string(fp));
    json_object_set_new(root, "ranks", json_integer(st->world));

    json_t *inputs = json_object();
    json_object_set_new(inputs, "files", json_integer((json_int_t)st->n_inputs));
    json_object_set_new(inputs, "bytes", json_integer((json_int_t)st->total_bytes));
    json_object_set_new(inputs, "processed_this_run",
                        json_integer((json_int_t)st->processed_inputs));
    json_object_set_new(inputs, "finished_earlier",
                        json_integer((json_int_t)(st->n_inputs - st->processed_inputs)));
    json_object_set_new(inputs, "unreadable", json_integer(get(st, "bad.unreadable_input")));
    json_object_set_new(root, "inputs", inputs);

    json_t *bad = json_object(), *skipped = json_object();
    int64_t bad_total = by_prefix(st, "bad.", bad);
    by_prefix(st, "skipped.", skipped);
    int64_t removed_by_filters = get(st, "filter.empty.docs");
    for (int r = 0; r < INGEST_RULE_COUNT; r++)
        removed_by_filters += get2(st, "filter.", ingest_rule_get((ingest_rule)r)->name, ".docs");

    json_t *docs = json_object();
    json_object_set_new(docs, "in", json_integer(get(st, "docs.in")));
    json_object_set_new(docs, "text_bytes_in", json_integer(get(st, "bytes.in")));
    json_object_set_new(docs, "bad_records", json_integer(bad_total));
    json_object_set_new(docs, "removed_by_filters", json_integer(removed_by_filters));
    json_object_set_new(docs, "out", json_integer(get(st, "docs.out")));
    json_object_set_new(docs, "text_bytes_out", json_integer(get(st, "bytes.out")));
    json_object_set_new(root, "documents", docs);
    json_object_set_new(root, "bad_records", bad);
    json_object_set_new(root, "skipped_records", skipped);

    json_t *norm = json_object();
    by_prefix(st, "normalize.", norm);
    json_object_set_new(root, "normalization", norm);

    json_t *filters = json_array();
    json_t *empty = json_object();
    json_object_set_new(empty, "rule", json_string("empty"));
    json_object_set_new(empty, "docs", json_integer(get(st, "filter.empty.docs")));
    json_object_set_new(empty, "bytes", json_integer(get(st, "filter.empty.bytes")));
    json_array_append_new(filters, empty);
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        const ingest_rule_info *info = ingest_rule_get((ingest_rule)r);
        json_t *f = json_object();
        json_object_set_new(f, "rule", json_string(info->name));
        json_object_set_new(f, "enabled", json_boolean(c->filters.enabled[r]));
        json_object_set_new(f, "docs", json_integer(get2(st, "filter.", info->name, ".docs")));
        json_object_set_new(f, "bytes", json_integer(get2(st, "filter.", info->name, ".bytes")));
        json_array_append_new(filters, f);
    }
    json_object_set_new(root, "filters", filters);
    json_t *lines = json_object();
    by_prefix(st, "line_cleanup.", lines);
    json_object_set_new(root, "line_cleanup", lines);

    json_t *dedup = json_array();
    const char *stages[] = {"", "exact", "url", "fuzzy"};
    const bool on[] = {false, c->dedup_exact, c->dedup_url, c->dedup_fuzzy};
    for (int s = 1; s <= 3; s++) {
        json_t *d = json_object();
        json_object_set_new(d, "stage", json_string(stages[s]));
        json_object_set_new(d, "enabled", json_boolean(on[s]));
        json_object_set_new(d, "docs", json_integer(get2(st, "dedup.", stages[s], ".docs")));
        json_object_set_new(d, "bytes", json_integer(get2(st, "dedup.", stages[s], ".bytes")));
        json_object_set_new(d, "keys_exchanged", json_integer((json_int_t)st->dedup.pairs[s]));
        if (s == 3) {
            json_object_set_new(d, "clusters", json_integer((json_int_t)st->dedup.clusters));
            json_object_set_new(d, "candidate_pairs", json_integer((json_int_t)st->dedup.edges));
        }
        json_array_append_new(dedup, d);
    }
    json_object_set_new(root, "dedup", dedup);

    json_t *shards = json_object();
    json_object_set_new(shards, "count", json_integer((json_int_t)st->shards));
    json_object_set_new(shards, "file_bytes", json_integer((json_int_t)st->file_bytes_out));
    json_object_set_new(shards, "shard_size", json_integer((json_int_t)c->shard_size));
    json_object_set_new(root, "shards", shards);

    double total = mn_now() - st->t_start, p1 = st->t_phase[0];
    json_t *t = json_object();
    json_object_set_new(t, "seconds", json_real(total));
    json_t *phases = json_object();
    json_object_set_new(phases, "read_filter", json_real(p1));
    json_object_set_new(phases, "dedup", json_real(st->t_phase[1]));
    json_object_set_new(phases, "shards", json_real(st->t_phase[2]));
    json_object_set_new(t, "phase_seconds", phases);
    json_object_set_new(t, "input_bytes_this_run", json_integer((json_int_t)st->processed_bytes));
    json_object_set_new(t, "docs_this_run", json_integer((json_int_t)st->processed_docs));
    json_object_set_new(t, "input_mb_per_s",
                        json_real(p1 > 0 ? (double)st->processed_bytes / 1e6 / p1 : 0));
    json_object_set_new(t, "docs_per_s", json_real(p1 > 0 ? (double)st->processed_docs / p1 : 0));
    json_object_set_new(root, "throughput", t);
    return root;
}

static void row(mn_buf *out, const char *name, int64_t docs, int64_t bytes, int64_t docs_in) {
    char d[32], b[32];
    mn_format_count(d, sizeof d, (double)docs);
    mn_format_bytes(b, sizeof b, (double)bytes);
    mn_buf_appendf(out, "  %-24s %10s %6.2f%% %12s\n", name, d,
                   docs_in > 0 ? 100.0 * (double)docs / (double)docs_in : 0.0, b);
}

static mn_status build_table(const pipe_state *st, mn_buf *out) {
    const ingest_config *c = st->cfg;
    char a[32], b[32], t[32];
    int64_t docs_in = get(st, "docs.in");
    mn_buf_appendf(out, "mnemo-ingest report: %s\n\n", st->out_dir);
    mn_buf_appendf(out, "inputs        %zu files, %s", st->n_inputs,
                   mn_format_bytes(a, sizeof a, (double)st->total_bytes));
    if (st->processed_inputs < st->n_inputs)
        mn_buf_appendf(out, " (%llu finished by an earlier run)",
                       (unsigned long long)(st->n_inputs - st->processed_inputs));
    mn_buf_appendf(out, "\ndocuments in  %s (%s of text)\n",
                   mn_format_count(a, sizeof a, (double)docs_in),
                   mn_format_bytes(b, sizeof b, (double)get(st, "bytes.in")));
    json_t *bad = json_object();
    int64_t bad_total = by_prefix(st, "bad.", bad);
    mn_buf_appendf(out, "bad records   %lld", (long long)bad_total);
    const char *key;
    json_t *value;
    bool first = true;
    json_object_foreach(bad, key, value) {
        mn_buf_appendf(out, "%s%s %lld", first ? " (" : ", ", key,
                       (long long)json_integer_value(value));
        first = false;
    }
    json_decref(bad);
    mn_buf_appendf(out, "%s\n", first ? "" : ")");
    int64_t repaired = get(st, "normalize.docs_repaired");
    if (repaired > 0)
        mn_buf_appendf(out, "repaired      %lld documents with invalid UTF-8 (%lld sequences)\n",
                       (long long)repaired, (long long)get(st, "normalize.invalid_utf8_sequences"));

    mn_buf_appendf(out, "\nremoved by filters %17s %7s %12s\n", "docs", "of in", "text");
    row(out, "empty", get(st, "filter.empty.docs"), get(st, "filter.empty.bytes"), docs_in);
    for (int r = 0; r < INGEST_RULE_COUNT; r++) {
        const ingest_rule_info *info = ingest_rule_get((ingest_rule)r);
        if (!c->filters.enabled[r])
            continue;
        row(out, info->name, get2(st, "filter.", info->name, ".docs"),
            get2(st, "filter.", info->name, ".bytes"), docs_in);
    }
    if (c->filters.enabled[INGEST_RULE_LINE_CLEANUP])
        mn_buf_appendf(out, "  (line cleanup removed %lld lines from %lld kept documents)\n",
                       (long long)get(st, "line_cleanup.lines_removed"),
                       (long long)get(st, "line_cleanup.docs_edited"));
    mn_buf_appendf(out, "\nremoved by deduplication\n");
    const char *stages[] = {"", "exact", "url", "fuzzy"};
    const bool on[] = {false, c->dedup_exact, c->dedup_url, c->dedup_fuzzy};
    for (int s = 1; s <= 3; s++) {
        if (!on[s]) {
            mn_buf_appendf(out, "  %-24s %10s\n", stages[s], "off");
            continue;
        }
        char name[64];
        if (s == 3)
            snprintf(name, sizeof name, "fuzzy (%llu clusters)",
                     (unsigned long long)st->dedup.clusters);
        else
            snprintf(name, sizeof name, "%s", stages[s]);
        row(out, name, get2(st, "dedup.", stages[s], ".docs"),
            get2(st, "dedup.", stages[s], ".bytes"), docs_in);
    }
    mn_buf_appendf(
        out, "\nkept          %s documents, %s of text, in %llu shard%s (%s compressed)\n",
        mn_format_count(a, sizeof a, (double)get(st, "docs.out")),
        mn_format_bytes(b, sizeof b, (double)get(st, "bytes.out")), (unsigned long long)st->shards,
        st->shards == 1 ? "" : "s", mn_format_bytes(t, sizeof t, (double)st->file_bytes_out));
    double total = mn_now() - st->t_start, p1 = st->t_phase[0];
    char d1[32], d2[32], d3[32], d4[32];
    mn_buf_appendf(out, "time          %s (read and filter %s, dedup %s, shards %s) on %d rank%s\n",
                   mn_format_duration(d1, sizeof d1, total), mn_format_duration(d2, sizeof d2, p1),
                   mn_format_duration(d3, sizeof d3, st->t_phase[1]),
                   mn_format_duration(d4, sizeof d4, st->t_phase[2]), st->world,
                   st->world == 1 ? "" : "s");
    if (p1 > 0 && st->processed_bytes > 0)
        mn_buf_appendf(out, "throughput    %s/s of input, %s docs/s (this run's %llu inputs)\n",
                       mn_format_bytes(a, sizeof a, (double)st->processed_bytes / p1),
                       mn_format_count(b, sizeof b, (double)st->processed_docs / p1),
                       (unsigned long long)st->processed_inputs);
    return out->data ? MN_OK : MN_ERR_NOMEM;
}

mn_status ingest__write_report(pipe_state *st) {
    json_t *root = build_json(st);
    char *json = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);
    mn_buf table = {0};
    mn_status status = json ? build_table(st, &table) : MN_ERR_NOMEM;
    char *json_path = mn_path_join(st->out_dir, "report.json");
    char *txt_path = mn_path_join(st->out_dir, "report.txt");
    if (status == MN_OK && (json_path == NULL || txt_path == NULL))
        status = MN_ERR_NOMEM;
    if (status == MN_OK)
        status = mn_write_file_atomic(json_path, json, strlen(json));
    if (status == MN_OK)
        status = mn_write_file_atomic(txt_path, table.data, table.len);
    if (status == MN_OK && !st->cfg->quiet) {
        fwrite(table.data, 1, table.len, stdout);
        fflush(stdout);
    }
    free(json);
    free(json_path);
    free(txt_path);
    mn_buf_free(&table);
    return status;
}

void ingest__print_existing_report(const char *out_dir) {
    char *path = mn_path_join(out_dir, "report.txt");
    uint8_t *data = NULL;
    size_t size = 0;
    if (path != NULL && mn_read_file(path, 1 << 20, &data, &size) == MN_OK) {
        fwrite(data, 1, size, stdout);
        fflush(stdout);
    }
    free(data);
    free(path);
}
