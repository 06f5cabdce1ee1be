/* Benchmark of the input readers against peers, on one core (docs/benchmarks.md, "## Ingest").
 *
 *   bench_ingest_readers [--dir DIR] [--size 64M] [--repeat 3]
 *
 * Makes a FineWeb-like corpus (documents of prose with ids, urls and metadata) as JSONL,
 * compresses it with the zstd tool, and writes it as parquet with parquet-wasm (snappy,
 * dictionaries, like the FineWeb files). Then times, best of --repeat runs on a warm cache:
 *   jsonl.zst  mnemo's reader (text, id, url of every line)  vs  `zstd -dc | jq -c .text`
 *   parquet    mnemo's reader (text, id, url of every row)   vs  parquet-wasm under Node.js
 *              reading the text, id and url columns into Arrow
 * and prints MB/s of the input file and of the text per CPU second (user + system time of
 * every process involved, so "per core" holds on a busy machine too) and per wall-clock
 * second, and the ratio mnemo / peer of the per-core figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/io.h"
#include "common/mem.h"
#include "common/program.h"
#include "common/rng.h"
#include "common/util.h"
#include "ingest/json.h"
#include "ingest/reader.h"

#ifndef MNEMO_BENCH_NPM_DIR
#define MNEMO_BENCH_NPM_DIR ""
#endif
#ifndef MNEMO_BENCH_SOURCE_DIR
#define MNEMO_BENCH_SOURCE_DIR "."
#endif

static const char *const common_words[] = {
    "the",   "of",    "and",    "to",     "in",       "a",         "is",       "that",  "for",
    "it",    "as",    "was",    "with",   "be",       "by",        "on",       "not",   "he",
    "this",  "are",   "or",     "his",    "from",     "at",        "which",    "but",   "have",
    "an",    "had",   "they",   "you",    "were",     "their",     "one",      "all",   "we",
    "can",   "her",   "has",    "there",  "been",     "if",        "more",     "when",  "will",
    "would", "who",   "so",     "no",     "data",     "model",     "system",   "water", "people",
    "time",  "year",  "city",   "market", "school",   "health",    "research", "world", "history",
    "café",  "naïve", "résumé", "—",      "“quoted”", "\"plain\"", "costs",    "€5",    "über"};

static void make_text(mn_rng *rng, mn_buf *text) {
    size_t target = 400 + (size_t)mn_rng_below(rng, 6000);
    mn_buf_clear(text);
    size_t sentence = 0;
    while (text->len < target) {
        const char *word;
        char made[16];
        if (mn_rng_below(rng, 4) == 0) {
            /* A rarer word: random letters. */
            size_t len = 3 + (size_t)mn_rng_below(rng, 8);
            for (size_t i = 0; i < len; i++)
                made[i] = (char)('a' + mn_rng_below(rng, 26));
            made[len] = '\0';
            word = made;
        } else {
            /* Frequent words, roughly Zipf: the square of a uniform index. */
            double u = mn_rng_uniform(rng);
            size_t n = sizeof common_words / sizeof common_words[0];
            word = common_words[(size_t)(u * u * (double)n) % n];
        }
        if (sentence > 0)
            mn_buf_append_byte(text, ' ');
        mn_buf_append(text, word, strlen(word));
        if (++sentence > 8 + mn_rng_below(rng, 14)) {
            mn_buf_append_byte(text, '.');
            sentence = 0;
            if (mn_rng_below(rng, 5) == 0)
                mn_buf_append(text, "\n\n", 2);
            else
                mn_buf_append_byte(text, ' ');
        }
    }
}

static mn_status make_corpus(const char *path, uint64_t size, uint64_t *docs) {
    mn_atomic_file out;
    MN_FORWARD_IF_ERROR(mn_atomic_open(&out, path));
    mn_rng rng;
    mn_rng_seed(&rng, 42);
    mn_buf text = {0}, line = {0};
    uint64_t written = 0;
    mn_status status = MN_OK;
    *docs = 0;
    while (written < size && status == MN_OK) {
        make_text(&rng, &text);
        mn_buf_clear(&line);
        mn_buf_appendf(&line, "{\"text\":");
        ingest_json_append_string(&line, (const char *)text.data, text.len);
        mn_buf_appendf(&line,
                       ",\"id\":\"<urn:uuid:%016llx>\",\"dump\":\"CC-MAIN-2024-10\","
                       "\"url\":\"https://site%llu.example.com/articles/%llu.html\","
                       "\"date\":\"2024-02-%02llu\",\"language\":\"en\","
                       "\"language_score\":0.%04llu,\"token_count\":%zu}\n",
                       (unsigned long long)mn_rng_u64(&rng),
                       (unsigned long long)mn_rng_below(&rng, 5000), (unsigned long long)*docs,
                       (unsigned long long)(1 + *docs % 28),
                       (unsigned long long)mn_rng_below(&rng, 10000), text.len / 4);
        status = mn_atomic_write(&out, line.data, line.len);
        written += line.len;
        (*docs)++;
    }
    mn_buf_free(&text);
    mn_buf_free(&line);
    if (status != MN_OK) {
        mn_atomic_abort(&out);
        return status;
    }
    return mn_atomic_commit(&out);
}

typedef struct run_result {
    double seconds; /* wall clock */
    double cpu;     /* user + system */
    uint64_t text_bytes, docs, errors;
} run_result;

static double cpu_seconds(int who) {
    struct rusage usage;
    getrusage(who, &usage);
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
           (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

static mn_status run_mnemo(const char *path, run_result *result) {
    ingest_reader *reader;
    memset(result, 0, sizeof *result);
    double start = mn_now(), cpu = cpu_seconds(RUSAGE_SELF);
    MN_FORWARD_IF_ERROR(ingest_reader_open(&reader, path, NULL));
    for (;;) {
        ingest_document doc;
        bool done;
        mn_status status = ingest_reader_next(reader, &doc, &done);
        if (status == MN_OK && done)
            break;
        if (status != MN_OK) {
            result->errors++;
            continue;
        }
        result->docs++;
        result->text_bytes += doc.text_len;
    }
    ingest_reader_close(reader);
    result->seconds = mn_now() - start;
    result->cpu = cpu_seconds(RUSAGE_SELF) - cpu;
    return MN_OK;
}

/* Runs a shell command; the CPU time of all its processes and the wall time. */
static bool run_command(const char *command, run_result *result) {
    double start = mn_now(), cpu = cpu_seconds(RUSAGE_CHILDREN);
    int rc = system(command);
    result->seconds = mn_now() - start;
    result->cpu = cpu_seconds(RUSAGE_CHILDREN) - cpu;
    return rc == 0;
}

static double mib(double bytes) {
    return bytes / (1024.0 * 1024.0);
}

static uint64_t file_size(const char *path) {
    uint64_t size = 0;
    return mn_file_size(path, &size) == MN_OK ? size : 0;
}

static bool newer(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_mtime >= sb.st_mtime;
}

static void report(const char *label, const char *who, const run_result *r, uint64_t input,
                   uint64_t text) {
    printf("%-10s %-44s cpu %6.3f s %7.1f MiB/s input", label, who, r->cpu,
           mib((double)input) / r->cpu);
    if (text > 0)
        printf(" %7.1f MiB/s text", mib((double)text) / r->cpu);
    printf(" | wall %6.3f s %7.1f MiB/s\n", r->seconds, mib((double)input) / r->seconds);
}

static void bench_jsonl(const char *zst, int64_t repeat, mn_status *status) {
    run_result best = {.cpu = 1e30}, run;
    for (int64_t i = 0; i < repeat && *status == MN_OK; i++) {
        *status = run_mnemo(zst, &run);
        if (*status == MN_OK && run.cpu < best.cpu)
            best = run;
    }
    if (*status != MN_OK)
        return;
    report("jsonl.zst", "mnemo reader (1 core)", &best, file_size(zst), best.text_bytes);
    run_result floor = {.cpu = 1e30}, jq = {.cpu = 1e30};
    char command[8192];
    snprintf(command, sizeof command, "zstd -q -dc '%s' > /dev/null", zst);
    for (int64_t i = 0; i < repeat; i++)
        if (run_command(command, &run) && run.cpu < floor.cpu)
            floor = run;
    report("jsonl.zst", "zstd -dc > /dev/null (decompression alone)", &floor, file_size(zst), 0);
    snprintf(command, sizeof command,
             "command -v jq > /dev/null && zstd -q -dc '%s' | jq -c .text > /dev/null", zst);
    for (int64_t i = 0; i < repeat; i++)
        if (run_command(command, &run) && run.cpu < jq.cpu)
            jq = run;
    if (jq.cpu < 1e30) {
        report("jsonl.zst", "peer: zstd -dc | jq -c .text", &jq, file_size(zst), 0);
        printf("ratio jsonl.zst: mnemo / jq = %.1fx per core (%llu documents, %llu skipped)\n\n",
               jq.cpu / best.cpu, (unsigned long long)best.docs, (unsigned long long)best.errors);
    } else {
        printf("jq is not installed: no peer ratio for jsonl.zst\n\n");
    }
}

static void bench_parquet(const char *parquet, const char *modules, int64_t repeat,
                          mn_status *status) {
    run_result best = {.cpu = 1e30}, run;
    for (int64_t i = 0; i < repeat && *status == MN_OK; i++) {
        *status = run_mnemo(parquet, &run);
        if (*status == MN_OK && run.cpu < best.cpu)
            best = run;
    }
    if (*status != MN_OK)
        return;
    report("parquet", "mnemo reader (1 core)", &best, file_size(parquet), best.text_bytes);
    run_result peer = {.cpu = 1e30};
    unsigned long long peer_bytes = 0, peer_rows = 0;
    char command[8192];
    snprintf(command, sizeof command,
             "MNEMO_NODE_MODULES='%s' node --max-old-space-size=8192 "
             "'%s/bench/ingest/readers_peer.mjs' read '%s'",
             modules, MNEMO_BENCH_SOURCE_DIR, parquet);
    for (int64_t i = 0; i < repeat; i++) {
        FILE *pipe = popen(command, "r");
        run_result r = {0};
        if (pipe != NULL &&
            fscanf(pipe, "%lf %lf %llu %llu", &r.seconds, &r.cpu, &peer_bytes, &peer_rows) == 4 &&
            r.cpu > 0 && r.cpu < peer.cpu)
            peer = r;
        if (pipe != NULL)
            pclose(pipe);
    }
    if (peer.cpu < 1e30) {
        report("parquet", "peer: parquet-wasm readParquet (Node.js)", &peer, file_size(parquet),
               peer_bytes);
        printf("ratio parquet: mnemo / parquet-wasm = %.1fx per core (%llu rows; text bytes "
               "%s)\n",
               peer.cpu / best.cpu, (unsigned long long)best.docs,
               peer_bytes == best.text_bytes && peer_rows == best.docs ? "agree" : "DIFFER");
    }
}

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "bench_ingest_readers");
    const char *dir = "bench-readers";
    uint64_t size = 64 << 20;
    int64_t repeat = 3;
    mn_cli_option options[] = {
        {"dir", 0, MN_OPT_STRING, &dir, "DIR", "work directory (corpus files are kept there)"},
        {"size", 0, MN_OPT_SIZE, &size, "BYTES", "size of the JSONL corpus"},
        {"repeat", 0, MN_OPT_INT, &repeat, "N", "best of N timed runs"},
        {0}};
    mn_cli_spec spec = {"bench_ingest_readers",
                        "Reader MB/s per core for jsonl.zst and parquet against peers.",
                        "[OPTIONS]",
                        NULL,
                        options,
                        0,
                        0};
    int first, code;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code))
        return code;
    if (repeat < 1)
        repeat = 1;
    mn_status status = mn_make_dirs(dir);
    char *jsonl = mn_path_join(dir, "corpus.jsonl");
    char *zst = mn_path_join(dir, "corpus.jsonl.zst");
    char *parquet = mn_path_join(dir, "corpus.parquet");
    uint64_t docs = 0;
    if (status == MN_OK && (file_size(jsonl) < size || file_size(jsonl) > size + (1 << 20))) {
        printf("making a %.0f MiB corpus in %s\n", mib((double)size), dir);
        status = make_corpus(jsonl, size, &docs);
    }
    char command[8192];
    if (status == MN_OK && !newer(zst, jsonl)) {
        snprintf(command, sizeof command, "zstd -q -f -3 '%s' -o '%s'", jsonl, zst);
        if (system(command) != 0)
            status = mn_error(MN_ERR_EXTERNAL, "the zstd tool failed: %s", command);
    }
    const char *modules = getenv("MNEMO_NODE_MODULES");
    char npm[4096];
    if (modules == NULL || modules[0] == '\0') {
        snprintf(npm, sizeof npm, "%s/node_modules", MNEMO_BENCH_NPM_DIR);
        modules = npm;
    }
    char probe[4200];
    snprintf(probe, sizeof probe, "%s/parquet-wasm/package.json", modules);
    bool have_node = mn_path_exists(probe);
    if (status == MN_OK && have_node && !newer(parquet, jsonl)) {
        snprintf(command, sizeof command,
                 "MNEMO_NODE_MODULES='%s' node --max-old-space-size=8192 "
                 "'%s/bench/ingest/readers_peer.mjs' write '%s' '%s'",
                 modules, MNEMO_BENCH_SOURCE_DIR, jsonl, parquet);
        if (system(command) != 0)
            status = mn_error(MN_ERR_EXTERNAL, "writing the parquet corpus failed: %s", command);
    }
    if (status == MN_OK) {
        printf("corpus: %.1f MiB JSONL; jsonl.zst %.1f MiB", mib((double)file_size(jsonl)),
               mib((double)file_size(zst)));
        if (have_node)
            printf("; parquet (snappy) %.1f MiB", mib((double)file_size(parquet)));
        printf("\n\n");
    }
    if (status == MN_OK)
        bench_jsonl(zst, repeat, &status);
    if (status == MN_OK && have_node)
        bench_parquet(parquet, modules, repeat, &status);
    else if (status == MN_OK)
        printf("the npm reference tools are not installed (./test.sh installs them into "
               "build/npm): no parquet figures\n");
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    if (status == MN_OK)
        printf("\npeak memory of this process: %.1f MiB\n", usage.ru_maxrss / 1024.0);
    free(jsonl);
    free(zst);
    free(parquet);
    return mn_program_exit(status);
}
