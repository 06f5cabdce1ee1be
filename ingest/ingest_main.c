/* mnemo-ingest: raw corpora in, clean deduplicated document shards out (docs/ingest.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli.h"
#include "common/log.h"
#include "common/mpi_helpers.h"
#include "common/program.h"
#include "common/util.h"
#include "ingest/ingest.h"

static const char *const format_choices[] = {"auto", "jsonl", "parquet", "archive",
                                             "warc", "wet",   "text",    NULL};
static const char *const split_choices[] = {"file", "paragraphs", NULL};

static const char description[] =
    "Inputs are files, folders (walked recursively) or glob patterns; each file's format is\n"
    "detected from its content unless --format is given (docs/ingest-inputs.md).\n"
    "\n"
    "Filters (Gopher quality and repetition, RefinedWeb line cleanup, English; docs/ingest.md\n"
    "cites each threshold). Switch with --disable-filter / --enable-filter using a rule, a\n"
    "group or 'all'; tune with --filter-param RULE.PARAM=VALUE:\n"
    "  english (off)        min_stop_fraction=0.15 min_latin_fraction=0.9\n"
    "  word_count           min=50 max=100000      mean_word_length  min=3 max=10\n"
    "  hash_ratio           max=0.1                ellipsis_ratio    max=0.1\n"
    "  bullet_lines         max=0.9                ellipsis_lines    max=0.3\n"
    "  alpha_words          min=0.8                stop_words        min=2\n"
    "  dup_line_fraction    max=0.3                dup_paragraph_fraction max=0.3\n"
    "  dup_line_chars       max=0.2                dup_paragraph_chars    max=0.2\n"
    "  top_2gram max=0.2, top_3gram max=0.18, top_4gram max=0.16\n"
    "  dup_5gram .. dup_10gram  max=0.15 .. 0.10\n"
    "  line_cleanup         max_removed_words=0.05 max_short_words=10 min_upper=0.5\n"
    "Groups: english, gopher_quality, gopher_repetition, line_cleanup.\n"
    "\n"
    "Deduplication (--dedup, any of exact,url,fuzzy or none): exact text hash, URL, then\n"
    "MinHash LSH over word 5-grams (14 bands x 8 rows), global across ranks.\n"
    "\n"
    "Outputs in --output: shard-NNNNN.jsonl.zst, manifest.pb + manifest.json, report.json +\n"
    "report.txt. Work files in OUTPUT/.ingest-work let a relaunch of the same command resume;\n"
    "they are removed when the run completes.\n"
    "\n"
    "Examples:\n"
    "  mnemo-ingest -o out/docs corpus/*.jsonl.zst\n"
    "  mpirun -np 8 mnemo-ingest -o out/docs --include '*.parquet' /data/fineweb/\n"
    "  mnemo-ingest -o out/quotes --split-line % --filter-param word_count.min=5 quotes.txt";

static mn_status apply_dedup(ingest_config *config, const mn_cli_list *list) {
    if (list->count == 0)
        return MN_OK;
    config->dedup_exact = config->dedup_url = config->dedup_fuzzy = false;
    for (size_t i = 0; i < list->count; i++) {
        const char *v = list->items[i];
        if (strcmp(v, "exact") == 0)
            config->dedup_exact = true;
        else if (strcmp(v, "url") == 0)
            config->dedup_url = true;
        else if (strcmp(v, "fuzzy") == 0)
            config->dedup_fuzzy = true;
        else if (strcmp(v, "none") != 0)
            return mn_error(MN_ERR_ARG, "--dedup %s: use exact, url, fuzzy or none", v);
    }
    return MN_OK;
}

static mn_status int_option(const char *name, int64_t value, int64_t lo, int64_t hi, int *out) {
    MN_RETURN_ERROR_IF(value < lo || value > hi, MN_ERR_ARG, "--%s %lld is outside %lld..%lld",
                       name, (long long)value, (long long)lo, (long long)hi);
    *out = (int)value;
    return MN_OK;
}

int main(int argc, char **argv) {
    MN_PROGRAM_START(&argc, &argv, "mnemo-ingest");
    ingest_config config;
    ingest_config_default(&config);

    const char *output = NULL, *format = "auto", *text_field = NULL, *split = "file";
    const char *split_line = NULL;
    mn_cli_list keep_fields = {0}, include = {0}, disable = {0}, enable = {0}, params = {0},
                dedup = {0};
    uint64_t max_record = config.reader.max_record_bytes, shard_size = config.shard_size;
    uint64_t memory = config.memory_budget;
    int64_t zstd_level = config.zstd_level, ngram = config.minhash.ngram;
    int64_t bands = config.minhash.bands, rows = config.minhash.rows;
    int64_t seed = (int64_t)config.minhash.seed;
    bool no_filters = false;
    mn_cli_option options[] = {
        {"output", 'o', MN_OPT_STRING, &output, "DIR", "folder for shards, manifest and report",
         .required = true},
        {"format", 0, MN_OPT_CHOICE, &format, "FORMAT", "input format (auto detects per file)",
         format_choices},
        {"text-field", 0, MN_OPT_STRING, &text_field, "NAME",
         "JSON key or parquet column of the text (default: text, content, raw_content)"},
        {"keep-field", 0, MN_OPT_LIST, &keep_fields, "NAME",
         "extra fields kept as metadata (id and url always are)"},
        {"include", 0, MN_OPT_LIST, &include, "PATTERN",
         "only files matching this name pattern inside folders ('*.jsonl.zst')"},
        {"split", 0, MN_OPT_CHOICE, &split, "MODE",
         "plain text: one document per file, or per blank-line separated paragraph", split_choices},
        {"split-line", 0, MN_OPT_STRING, &split_line, "TEXT",
         "plain text: a line equal to TEXT separates documents ('%' for fortune files)"},
        {"max-record-bytes", 0, MN_OPT_SIZE, &max_record, "SIZE",
         "longer records are skipped and counted"},
        {"no-filters", 0, MN_OPT_FLAG, &no_filters, NULL, "switch every quality filter off"},
        {"disable-filter", 0, MN_OPT_LIST, &disable, "NAME", "switch a filter rule or group off"},
        {"enable-filter", 0, MN_OPT_LIST, &enable, "NAME",
         "switch a filter rule or group on (english is off by default)"},
        {"filter-param", 0, MN_OPT_LIST, &params, "RULE.PARAM=VALUE",
         "set a filter threshold (see below)"},
        {"dedup", 0, MN_OPT_LIST, &dedup, "STAGES",
         "deduplication stages: exact,url,fuzzy (default all) or none"},
        {"minhash-ngram", 0, MN_OPT_INT, &ngram, "N", "words per MinHash shingle"},
        {"minhash-bands", 0, MN_OPT_INT, &bands, "N", "LSH bands"},
        {"minhash-rows", 0, MN_OPT_INT, &rows, "N", "hashes per LSH band"},
        {"minhash-seed", 0, MN_OPT_INT, &seed, "N", "seed of the MinHash hash functions"},
        {"shard-size", 0, MN_OPT_SIZE, &shard_size, "SIZE",
         "text bytes per output shard (uncompressed)"},
        {"zstd-level", 0, MN_OPT_INT, &zstd_level, "N", "zstd level of the shards (1..19)"},
        {"memory-budget", 0, MN_OPT_SIZE, &memory, "SIZE",
         "memory per rank for buffers and sorting"},
        {"overwrite", 0, MN_OPT_FLAG, &config.overwrite, NULL,
         "replace a dataset in --output made from other inputs or settings"},
        {"keep-work", 0, MN_OPT_FLAG, &config.keep_work, NULL,
         "keep OUTPUT/.ingest-work after success"},
        {"quiet", 'q', MN_OPT_FLAG, &config.quiet, NULL, "do not print the report table"},
        {0}};
    mn_cli_spec spec = {"mnemo-ingest",
                        "Clean, filter and deduplicate raw corpora into document shards.",
                        "[OPTIONS] INPUT...",
                        description,
                        options,
                        0,
                        -1};
    int first = 0, code = 0;
    if (!mn_cli_parse(&spec, argc, argv, &first, &code)) {
        mn_mpi_finalize();
        return code;
    }

    mn_status status = ingest_format_parse(format, &config.reader.format);
    config.output_dir = output;
    config.inputs = (const char *const *)argv + first;
    config.n_inputs = (size_t)(argc - first);
    config.include = (const char *const *)include.items;
    config.n_include = include.count;
    config.reader.text_field = text_field;
    config.reader.keep_fields = (const char *const *)keep_fields.items;
    config.reader.n_keep_fields = keep_fields.count;
    config.reader.split_paragraphs = strcmp(split, "paragraphs") == 0;
    config.reader.split_line = split_line;
    config.reader.max_record_bytes = max_record;
    config.shard_size = shard_size;
    config.memory_budget = memory;
    config.minhash.seed = (uint64_t)seed;
    if (status == MN_OK)
        status = int_option("zstd-level", zstd_level, 1, 19, &config.zstd_level);
    if (status == MN_OK)
        status = int_option("minhash-ngram", ngram, 1, 32, &config.minhash.ngram);
    if (status == MN_OK)
        status = int_option("minhash-bands", bands, 1, 1024, &config.minhash.bands);
    if (status == MN_OK)
        status = int_option("minhash-rows", rows, 1, 1024, &config.minhash.rows);
    if (status == MN_OK && no_filters)
        status = ingest_filter_config_enable(&config.filters, "all", false);
    for (size_t i = 0; status == MN_OK && i < disable.count; i++)
        status = ingest_filter_config_enable(&config.filters, disable.items[i], false);
    for (size_t i = 0; status == MN_OK && i < enable.count; i++)
        status = ingest_filter_config_enable(&config.filters, enable.items[i], true);
    for (size_t i = 0; status == MN_OK && i < params.count; i++)
        status = ingest_filter_config_set(&config.filters, params.items[i]);
    if (status == MN_OK)
        status = apply_dedup(&config, &dedup);
    if (status == MN_OK)
        status = ingest_config_check(&config);

    /* Test hook (docs/ingest.md, "Testing"): slows phase 1 so a test can kill a run. */
    const char *delay = getenv("MNEMO_INGEST_TEST_DELAY_MS");
    if (delay != NULL)
        config.test_delay_ms = (unsigned)strtoul(delay, NULL, 10);

    if (status == MN_OK) {
        ingest_install_signal_handlers();
        ingest_summary summary;
        status = ingest_run(&config, &summary);
    }
    mn_cli_list_free(&keep_fields);
    mn_cli_list_free(&include);
    mn_cli_list_free(&disable);
    mn_cli_list_free(&enable);
    mn_cli_list_free(&params);
    mn_cli_list_free(&dedup);
    return mn_program_exit(status);
}
