/* The whole pipeline at 1, 2 and 4 ranks on a synthetic corpus with planted duplicates,
 * filtered documents and bad lines: shards byte-identical to a one-rank run, every planted
 * case meets its fate, relaunches resume, settings conflicts are refused. */
#include <dirent.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "corpus.h"
#include "ingest/ingest.h"
#include "shards/docshard.h"
#include "shards/manifest.h"
#include "tests/harness/mn_test.h"

static int rank_, world_;
static char corpus_dir[4096];
static uint64_t bad_lines;

static int setup(void) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
    snprintf(corpus_dir, sizeof corpus_dir, "%s/corpus", mn_test_tmpdir());
    mn_status status = MN_OK;
    if (rank_ == 0) {
        corpus_options o = {.dir = corpus_dir,
                            .files = 6,
                            .docs_per_file = (int)(150 * mn_test_scale()),
                            .words_per_doc = 80,
                            .seed = 7,
                            .zstd = true,
                            .planted = true};
        status = corpus_write(&o, &bad_lines);
        if (status != MN_OK)
            fprintf(stderr, "corpus: %s\n", mn_error_message());
    }
    MPI_Bcast(&bad_lines, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    return mn_mpi_agree(status, MPI_COMM_WORLD) == MN_OK ? 0 : 1;
}

static const char *inputs[1];
static const char *include[] = {"*.jsonl.zst"};

static void base_config(ingest_config *c, const char *out, MPI_Comm comm) {
    ingest_config_default(c);
    inputs[0] = corpus_dir;
    c->comm = comm;
    c->output_dir = out;
    c->inputs = inputs;
    c->n_inputs = 1;
    c->include = include;
    c->n_include = 1;
    c->shard_size = 24 << 10;
    c->memory_budget = 256u << 20;
    c->reader.max_record_bytes = 16u << 20;
    c->quiet = true;
}

static char *out_path(const char *name) {
    return mn_asprintf("%s/%s", mn_test_tmpdir(), name);
}

/* The one-rank reference run, made once by rank 0. */
static const char *reference(void) {
    static char *ref;
    if (ref == NULL) {
        ref = out_path("reference");
        if (rank_ == 0) {
            ingest_config c;
            base_config(&c, ref, MPI_COMM_SELF);
            ingest_summary s;
            MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
        }
        MPI_Barrier(MPI_COMM_WORLD);
    }
    return ref;
}

/* Rank 0: the shards of two datasets are the same files with the same bytes. */
static void assert_same_shards(const char *a, const char *b) {
    if (rank_ != 0)
        return;
    shard_manifest ma, mb;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&ma, a));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&mb, b));
    MN_ASSERT_EQ_U64(ma.n_shards, mb.n_shards);
    MN_ASSERT_EQ_U64(ma.total_documents, mb.total_documents);
    MN_ASSERT_TRUE(ma.n_shards > 3);
    for (size_t i = 0; i < ma.n_shards && i < mb.n_shards; i++) {
        MN_ASSERT_EQ_STR(ma.shards[i].path, mb.shards[i].path);
        MN_ASSERT_EQ_U64(ma.shards[i].xxh64, mb.shards[i].xxh64);
        char *pa = shard_manifest_shard_path(&ma, i), *pb = shard_manifest_shard_path(&mb, i);
        uint8_t *da = NULL, *db = NULL;
        size_t la = 0, lb = 0;
        MN_ASSERT_OK(mn_read_file(pa, 1 << 30, &da, &la));
        MN_ASSERT_OK(mn_read_file(pb, 1 << 30, &db, &lb));
        MN_ASSERT_EQ_U64(la, lb);
        if (da && db && la == lb)
            MN_ASSERT_EQ_MEM(da, db, la);
        free(da);
        free(db);
        free(pa);
        free(pb);
    }
    shard_manifest_free(&ma);
    shard_manifest_free(&mb);
}

static void test_same_shards_as_one_rank(void) {
    char *out = out_path("world");
    ingest_config c;
    base_config(&c, out, MPI_COMM_WORLD);
    ingest_summary s;
    MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
    MN_ASSERT_TRUE(!s.already_complete);
    MN_ASSERT_EQ_U64(s.inputs, 6);
    MN_ASSERT_TRUE(s.shards > 3);
    assert_same_shards(out, reference());
    /* The work folder is gone after success. */
    char *work = mn_asprintf("%s/.ingest-work", out);
    MN_ASSERT_TRUE(!mn_path_exists(work));
    free(work);
    free(out);
}

static int expect_count(const char *fate) {
    char path[4200];
    snprintf(path, sizeof path, "%s/expect.tsv", corpus_dir);
    FILE *fp = fopen(path, "r");
    int n = 0;
    char line[256];
    while (fp && fgets(line, sizeof line, fp)) {
        char *tab = strchr(line, '\t');
        if (tab && strncmp(tab + 1, fate, strlen(fate)) == 0 && tab[1 + strlen(fate)] == '\n')
            n++;
    }
    if (fp)
        fclose(fp);
    return n;
}

static void test_planted_cases(void) {
    if (rank_ != 0) {
        MN_ASSERT_TRUE(true);
        return;
    }
    const char *ref = reference();
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, ref));
    /* Every id in the output, in order. */
    mn_map64 present = {0};
    char last[64] = "";
    int out_of_order = 0;
    for (size_t i = 0; i < m.n_shards; i++) {
        char *path = shard_manifest_shard_path(&m, i);
        docshard_reader *r = NULL;
        MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
        for (;;) {
            doc_record d;
            bool done;
            MN_ASSERT_OK_FATAL(docshard_reader_next(r, &d, &done));
            if (done)
                break;
            char id[64];
            snprintf(id, sizeof id, "%.*s", (int)d.id_len, d.id);
            out_of_order += strcmp(id, last) <= 0;
            snprintf(last, sizeof last, "%s", id);
            MN_ASSERT_OK(mn_map64_put(&present, mn_xxh64(id, strlen(id), 0), 1));
            /* Text is normalised: the corpus's combining accent is composed. */
            MN_ASSERT_TRUE(memmem(d.text, d.text_len, "cafe\xcc\x81", 6) == NULL);
        }
        docshard_reader_close(r);
        free(path);
    }
    MN_ASSERT_EQ_INT(out_of_order, 0);
    char path[4200];
    snprintf(path, sizeof path, "%s/expect.tsv", corpus_dir);
    FILE *fp = fopen(path, "r");
    MN_ASSERT_FATAL(fp != NULL);
    char line[256];
    int wrong = 0, checked = 0;
    while (fgets(line, sizeof line, fp)) {
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            continue;
        *tab = 0;
        bool kept = strncmp(tab + 1, "kept", 4) == 0;
        bool there = mn_map64_get(&present, mn_xxh64(line, strlen(line), 0)) != NULL;
        if (kept != there) {
            wrong++;
            fprintf(stderr, "planted %s (%s): %s\n", line, tab + 1, there ? "present" : "absent");
        }
        checked++;
    }
    fclose(fp);
    MN_ASSERT_EQ_INT(wrong, 0);
    MN_ASSERT_TRUE(checked > 50);
    /* Counters agree with what was planted. */
    int64_t exact = 0, url = 0, fuzzy = 0, bad = 0, filtered = 0;
    for (size_t i = 0; i < m.n_counters; i++) {
        const char *n = m.counters[i].name;
        int64_t v = m.counters[i].value;
        if (strcmp(n, "dedup.exact.docs") == 0)
            exact = v;
        else if (strcmp(n, "dedup.url.docs") == 0)
            url = v;
        else if (strcmp(n, "dedup.fuzzy.docs") == 0)
            fuzzy = v;
        else if (strncmp(n, "bad.", 4) == 0)
            bad += v;
        else if (strncmp(n, "filter.", 7) == 0 && strstr(n, ".docs") != NULL)
            filtered += v;
    }
    MN_ASSERT_EQ_INT(exact + fuzzy, expect_count("exact") + expect_count("fuzzy"));
    MN_ASSERT_TRUE(exact >= expect_count("exact"));
    MN_ASSERT_EQ_INT(url, expect_count("url"));
    MN_ASSERT_EQ_INT(bad, (int64_t)bad_lines);
    MN_ASSERT_TRUE(filtered >= expect_count("filter"));
    shard_manifest_free(&m);
    mn_map64_free(&present);
}

static void test_relaunch_finds_it_complete(void) {
    char *out = out_path("world");
    ingest_config c;
    base_config(&c, out, MPI_COMM_WORLD);
    ingest_summary s;
    MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
    MN_ASSERT_TRUE(s.already_complete);
    assert_same_shards(out, reference());
    free(out);
}

static void test_resume_after_lost_pieces(void) {
    /* A run that keeps its work files; then a shard, its marker, an input's marker and the
     * manifest disappear (as after a kill at those points); the relaunch redoes just that
     * and gives the same shards. */
    char *out = out_path("resume");
    ingest_config c;
    base_config(&c, out, MPI_COMM_WORLD);
    c.keep_work = true;
    ingest_summary s;
    MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
    if (rank_ == 0) {
        char *p = mn_asprintf("%s/manifest.pb", out);
        MN_ASSERT_TRUE(unlink(p) == 0);
        free(p);
        p = mn_asprintf("%s/shard-00002.jsonl.zst", out);
        MN_ASSERT_TRUE(unlink(p) == 0);
        free(p);
        p = mn_asprintf("%s/.ingest-work/shards/00003.done", out);
        MN_ASSERT_TRUE(unlink(p) == 0);
        free(p);
        p = mn_asprintf("%s/.ingest-work/dedup.done", out);
        MN_ASSERT_TRUE(unlink(p) == 0);
        free(p);
        DIR *dir = NULL;
        p = mn_asprintf("%s/.ingest-work/inputs", out);
        dir = opendir(p);
        struct dirent *e;
        int removed = 0;
        while (dir && (e = readdir(dir)) != NULL && removed == 0) {
            size_t n = strlen(e->d_name);
            if (n > 5 && strcmp(e->d_name + n - 5, ".done") == 0) {
                char *marker = mn_asprintf("%s/%s", p, e->d_name);
                removed += unlink(marker) == 0;
                free(marker);
            }
        }
        if (dir)
            closedir(dir);
        MN_ASSERT_EQ_INT(removed, 1);
        free(p);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    c.keep_work = false;
    MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
    MN_ASSERT_TRUE(!s.already_complete);
    MN_ASSERT_EQ_U64(s.inputs_skipped, 5); /* only the input without a marker was redone */
    assert_same_shards(out, reference());
    free(out);
}

static void test_conflicting_settings(void) {
    char *out = out_path("world");
    ingest_config c;
    base_config(&c, out, MPI_COMM_WORLD);
    c.shard_size = 64 << 10;
    ingest_summary s;
    MN_ASSERT_STATUS(ingest_run(&c, &s), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("--overwrite");
    c.overwrite = true;
    MN_ASSERT_OK_FATAL(ingest_run(&c, &s));
    if (rank_ == 0) {
        shard_manifest m;
        MN_ASSERT_OK_FATAL(shard_manifest_load(&m, out));
        MN_ASSERT_EQ_U64(m.n_shards, s.shards);
        /* No shard of the earlier, finer plan is left behind. */
        char *p = mn_asprintf("%s/shard-%05zu.jsonl.zst", out, m.n_shards);
        MN_ASSERT_TRUE(!mn_path_exists(p));
        free(p);
        shard_manifest_free(&m);
    }
    free(out);
}

static void test_errors_before_work(void) {
    char *out = out_path("never");
    ingest_config c;
    base_config(&c, out, MPI_COMM_WORLD);
    const char *missing[] = {"/nonexistent/corpus-dir"};
    c.inputs = missing;
    ingest_summary s;
    MN_ASSERT_STATUS(ingest_run(&c, &s), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("/nonexistent/corpus-dir");
    MN_ASSERT_TRUE(!mn_path_exists(out));
    /* An output that is a file. */
    base_config(&c, "/etc/hostname", MPI_COMM_WORLD);
    MN_ASSERT_STATUS(ingest_run(&c, &s), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("/etc/hostname");
    /* Options. */
    base_config(&c, out, MPI_COMM_WORLD);
    c.shard_size = 10;
    MN_ASSERT_STATUS(ingest_run(&c, &s), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("--shard-size");
    MN_ASSERT_TRUE(!mn_path_exists(out));
    free(out);
}

static const mn_test_case cases[] = {
    {"shards are byte-identical to a one-rank run", test_same_shards_as_one_rank},
    {"planted duplicates go, their originals stay, documents keep global order",
     test_planted_cases},
    {"a relaunch of a finished run finds it complete", test_relaunch_finds_it_complete},
    {"a relaunch after lost shards and markers redoes only those, same shards",
     test_resume_after_lost_pieces},
    {"other settings in a finished output are refused; --overwrite replaces the dataset",
     test_conflicting_settings},
    {"a missing input, an output that is a file and bad options fail before any work",
     test_errors_before_work},
    {0}};

static const mn_test_suite suites[] = {{"pipeline", cases, setup}, {0}};

int main(int argc, char **argv) {
    return mn_test_main_mpi(argc, argv, suites);
}
