/* Unit tests for common/: errors, memory helpers, parsing, checksums, RNG, CLI, progress
 * arithmetic and files (atomic replace under crashes included). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/common.h"
#include "tests/harness/mn_test.h"

/* ---- errors ---- */

static mn_status fails_with_format(void) {
    MN_RETURN_ERROR_IF(1, MN_ERR_FORMAT, "record %d is bad", 7);
    return MN_OK;
}

static mn_status forwards_with_context(void) {
    MN_FORWARD_IF_ERROR_CTX(fails_with_format(), "file %s", "a.jsonl");
    return MN_OK;
}

static void test_error_message_carries_context(void) {
    MN_ASSERT_STATUS(forwards_with_context(), MN_ERR_FORMAT);
    MN_ASSERT_EQ_STR(mn_error_message(), "file a.jsonl: record 7 is bad");
    mn_error_clear();
    MN_ASSERT_EQ_STR(mn_error_message(), "");
}

static void test_error_errno_appends_strerror(void) {
    errno = ENOENT;
    MN_ASSERT_STATUS(mn_error_errno(MN_ERR_IO, "cannot open %s", "x"), MN_ERR_IO);
    MN_ASSERT_EQ_STR(mn_error_message(), "cannot open x: No such file or directory");
}

static void test_status_names_are_stable(void) {
    MN_ASSERT_EQ_STR(mn_status_name(MN_OK), "ok");
    MN_ASSERT_EQ_STR(mn_status_name(MN_ERR_CORRUPT), "corrupt");
    MN_ASSERT_EQ_STR(mn_status_name((mn_status)999), "unknown");
    for (int s = 0; s < MN_STATUS_COUNT; s++)
        MN_ASSERT_TRUE(mn_status_name((mn_status)s) != NULL);
}

static const mn_test_case error_cases[] = {
    {"a forwarded error is prefixed with the caller's context", test_error_message_carries_context},
    {"mn_error_errno appends the system's reason", test_error_errno_appends_strerror},
    {"every status has a stable name", test_status_names_are_stable},
    {0}};

/* ---- memory ---- */

static void test_alloc_array_rejects_overflow(void) {
    MN_ASSERT_TRUE(mn_alloc_array(SIZE_MAX / 2, 4) == NULL);
    MN_ASSERT_ERROR_CONTAINS("overflows");
}

static void test_buf_appends_and_formats(void) {
    mn_buf b = {0};
    MN_ASSERT_OK(mn_buf_append(&b, "abc", 3));
    MN_ASSERT_OK(mn_buf_appendf(&b, "-%d-%s", 42, "x"));
    MN_ASSERT_OK(mn_buf_append_byte(&b, '!'));
    MN_ASSERT_EQ_U64(b.len, 9);
    MN_ASSERT_EQ_STR((const char *)b.data, "abc-42-x!");
    for (int i = 0; i < 10000; i++)
        MN_ASSERT_OK(mn_buf_append(&b, "0123456789", 10));
    MN_ASSERT_EQ_U64(b.len, 100009);
    MN_ASSERT_EQ_MEM(b.data + 99999, "0123456789", 10);
    mn_buf_free(&b);
    MN_ASSERT_TRUE(b.data == NULL && b.len == 0);
}

static void test_map64_matches_a_reference(void) {
    /* Keys include 0 and UINT64_MAX; the reference is a plain array indexed by i. */
    mn_map64 map = {0};
    enum { N = 20000 };
    for (uint64_t i = 0; i < N; i++)
        MN_ASSERT_OK(mn_map64_put(&map, i * 0x9e3779b97f4a7c15ULL, i));
    MN_ASSERT_OK(mn_map64_put(&map, UINT64_MAX, 7));
    MN_ASSERT_OK(mn_map64_add(&map, UINT64_MAX, 3));
    MN_ASSERT_OK(mn_map64_add(&map, 12345, 5));
    MN_ASSERT_EQ_U64(map.count, N + 2);
    int wrong = 0;
    for (uint64_t i = 0; i < N; i++) {
        uint64_t *v = mn_map64_get(&map, i * 0x9e3779b97f4a7c15ULL);
        wrong += v == NULL || *v != i;
    }
    MN_ASSERT_EQ_INT(wrong, 0);
    MN_ASSERT_EQ_U64(*mn_map64_get(&map, UINT64_MAX), 10);
    MN_ASSERT_EQ_U64(*mn_map64_get(&map, 12345), 5);
    MN_ASSERT_TRUE(mn_map64_get(&map, 777) == NULL);
    mn_map64_free(&map);
    MN_ASSERT_TRUE(mn_map64_get(&map, 0) == NULL);
}

static const mn_test_case mem_cases[] = {
    {"array allocation refuses sizes that overflow", test_alloc_array_rejects_overflow},
    {"a buffer grows and formats in place", test_buf_appends_and_formats},
    {"the uint64 map agrees with a reference on 20k keys", test_map64_matches_a_reference},
    {0}};

/* ---- parsing and formatting ---- */

static void test_parse_size_suffixes(void) {
    uint64_t v;
    MN_ASSERT_OK(mn_parse_size("4096", &v));
    MN_ASSERT_EQ_U64(v, 4096);
    MN_ASSERT_OK(mn_parse_size("64K", &v));
    MN_ASSERT_EQ_U64(v, 65536);
    MN_ASSERT_OK(mn_parse_size("256M", &v));
    MN_ASSERT_EQ_U64(v, 256ull << 20);
    MN_ASSERT_OK(mn_parse_size("1.5G", &v));
    MN_ASSERT_EQ_U64(v, 3ull << 29);
    MN_ASSERT_OK(mn_parse_size("2TiB", &v));
    MN_ASSERT_EQ_U64(v, 2ull << 40);
    MN_ASSERT_OK(mn_parse_size("1kb", &v));
    MN_ASSERT_EQ_U64(v, 1024);
    MN_ASSERT_STATUS(mn_parse_size("12Q", &v), MN_ERR_ARG);
    MN_ASSERT_STATUS(mn_parse_size("-1", &v), MN_ERR_ARG);
    MN_ASSERT_STATUS(mn_parse_size("", &v), MN_ERR_ARG);
    MN_ASSERT_STATUS(mn_parse_size("1.3", &v), MN_ERR_ARG);
}

static void test_parse_count_and_numbers(void) {
    uint64_t v;
    MN_ASSERT_OK(mn_parse_count("10k", &v));
    MN_ASSERT_EQ_U64(v, 10000);
    MN_ASSERT_OK(mn_parse_count("2.5M", &v));
    MN_ASSERT_EQ_U64(v, 2500000);
    int64_t i;
    MN_ASSERT_OK(mn_parse_int64("-12", &i));
    MN_ASSERT_EQ_INT(i, -12);
    MN_ASSERT_OK(mn_parse_int64("0x1f", &i));
    MN_ASSERT_EQ_INT(i, 31);
    MN_ASSERT_STATUS(mn_parse_int64("12abc", &i), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("12abc");
    MN_ASSERT_STATUS(mn_parse_int64("99999999999999999999", &i), MN_ERR_ARG);
    double d;
    MN_ASSERT_OK(mn_parse_double("3e-4", &d));
    MN_ASSERT_NEAR(d, 3e-4, 0);
    MN_ASSERT_STATUS(mn_parse_double("nan", &d), MN_ERR_ARG);
    MN_ASSERT_STATUS(mn_parse_double("1.0x", &d), MN_ERR_ARG);
}

static void test_format_human_readable(void) {
    char b[32];
    MN_ASSERT_EQ_STR(mn_format_bytes(b, sizeof b, 512), "512 B");
    MN_ASSERT_EQ_STR(mn_format_bytes(b, sizeof b, 1536), "1.50 KiB");
    MN_ASSERT_EQ_STR(mn_format_bytes(b, sizeof b, 300.0 * 1024 * 1024), "300 MiB");
    MN_ASSERT_EQ_STR(mn_format_count(b, sizeof b, 999), "999");
    MN_ASSERT_EQ_STR(mn_format_count(b, sizeof b, 12345), "12.3k");
    MN_ASSERT_EQ_STR(mn_format_count(b, sizeof b, 2.5e9), "2.50G");
    MN_ASSERT_EQ_STR(mn_format_duration(b, sizeof b, 59.4), "59s");
    MN_ASSERT_EQ_STR(mn_format_duration(b, sizeof b, 192), "3m12s");
    MN_ASSERT_EQ_STR(mn_format_duration(b, sizeof b, 3723), "1h02m03s");
    MN_ASSERT_EQ_STR(mn_format_duration(b, sizeof b, -1), "--");
}

static const mn_test_case util_cases[] = {
    {"sizes accept K/M/G/T suffixes as powers of 1024", test_parse_size_suffixes},
    {"counts, integers and doubles parse whole strings only", test_parse_count_and_numbers},
    {"bytes, counts and durations format for humans", test_format_human_readable},
    {0}};

/* ---- checksums ---- */

static void test_crc32c_published_values(void) {
    /* RFC 3720 appendix B.4 and the common "123456789" check value. */
    MN_ASSERT_EQ_U64(mn_crc32c(0, "123456789", 9), 0xe3069283u);
    uint8_t zeros[32] = {0}, ones[32], up[32], down[32];
    for (int i = 0; i < 32; i++) {
        ones[i] = 0xff;
        up[i] = (uint8_t)i;
        down[i] = (uint8_t)(31 - i);
    }
    MN_ASSERT_EQ_U64(mn_crc32c(0, zeros, 32), 0x8a9136aau);
    MN_ASSERT_EQ_U64(mn_crc32c(0, ones, 32), 0x62a8ab43u);
    MN_ASSERT_EQ_U64(mn_crc32c(0, up, 32), 0x46dd794eu);
    MN_ASSERT_EQ_U64(mn_crc32c(0, down, 32), 0x113fdb5cu);
    MN_ASSERT_EQ_U64(mn__crc32c_portable(0, "123456789", 9), 0xe3069283u);
    MN_ASSERT_EQ_U64(mn__crc32c_portable(0, zeros, 32), 0x8a9136aau);
}

static void test_crc32c_chains_and_paths_agree(void) {
    uint8_t data[1000];
    mn_rng rng;
    mn_rng_seed(&rng, 5);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)mn_rng_u64(&rng);
    for (size_t split = 0; split <= sizeof data; split += 37) {
        uint32_t whole = mn_crc32c(0, data, sizeof data);
        uint32_t chained = mn_crc32c(mn_crc32c(0, data, split), data + split, sizeof data - split);
        MN_ASSERT_EQ_U64(chained, whole);
        MN_ASSERT_EQ_U64(mn__crc32c_portable(0, data, split), mn_crc32c(0, data, split));
    }
}

static void test_crc32c_mask_as_tfrecord(void) {
    uint32_t crc = 0x12345678u;
    MN_ASSERT_EQ_U64(mn_crc32c_mask(crc),
                     (((crc >> 15) | (crc << 17)) + 0xa282ead8u) & 0xffffffffu);
    MN_ASSERT_EQ_U64(mn_crc32c_mask(0), 0xa282ead8u);
}

static void test_xxh64_published_values(void) {
    MN_ASSERT_EQ_U64(mn_xxh64("", 0, 0), 0xef46db3751d8e999ull);
    MN_ASSERT_EQ_U64(mn_xxh64("a", 1, 0), 0xd24ec4f1a98c6e5bull);
    MN_ASSERT_EQ_U64(mn_xxh64("abc", 3, 0), 0x44bc2cf5ad770999ull);
    mn_xxh64_stream s;
    MN_ASSERT_EQ_INT(mn_xxh64_begin(&s, 0), 0);
    mn_xxh64_update(&s, "a", 1);
    mn_xxh64_update(&s, "bc", 2);
    MN_ASSERT_EQ_U64(mn_xxh64_end(&s), 0x44bc2cf5ad770999ull);
}

static const mn_test_case hash_cases[] = {
    {"crc32c matches the published check values", test_crc32c_published_values},
    {"crc32c chains and the hardware and table paths agree", test_crc32c_chains_and_paths_agree},
    {"crc32c masking is TFRecord's", test_crc32c_mask_as_tfrecord},
    {"xxh64 matches published values, streaming included", test_xxh64_published_values},
    {0}};

/* ---- rng ---- */

static void test_rng_is_deterministic_and_uniform(void) {
    mn_rng a, b;
    mn_rng_seed(&a, 42);
    mn_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++)
        MN_ASSERT_EQ_U64(mn_rng_u64(&a), mn_rng_u64(&b));
    /* splitmix64 from state 0: first output published with the algorithm. */
    uint64_t state = 0;
    MN_ASSERT_EQ_U64(mn_splitmix64(&state), 0xe220a8397b1dcdafull);
    int counts[10] = {0};
    for (int i = 0; i < 100000; i++)
        counts[mn_rng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++)
        MN_ASSERT_TRUE(counts[i] > 9500 && counts[i] < 10500);
    double sum = 0, sum2 = 0;
    for (int i = 0; i < 100000; i++) {
        double x = mn_rng_normal(&a);
        sum += x;
        sum2 += x * x;
    }
    MN_ASSERT_NEAR(sum / 100000, 0.0, 0.02);
    MN_ASSERT_NEAR(sum2 / 100000, 1.0, 0.02);
}

static const mn_test_case rng_cases[] = {
    {"the generator repeats per seed and is uniform and normal",
     test_rng_is_deterministic_and_uniform},
    {0}};

/* ---- cli ---- */

static const char *cli_output;
static int64_t cli_ranks;
static uint64_t cli_size;
static double cli_lr;
static bool cli_dry;
static const char *cli_mode;
static mn_cli_list cli_inputs;
static const char *const modes[] = {"fast", "exact", NULL};

static mn_cli_option cli_options[] = {
    {"output", 'o', MN_OPT_STRING, &cli_output, "DIR", "output", .required = true},
    {"ranks", 'n', MN_OPT_INT, &cli_ranks, "N", "ranks"},
    {"shard-size", 0, MN_OPT_SIZE, &cli_size, "BYTES", "shard size"},
    {"lr", 0, MN_OPT_DOUBLE, &cli_lr, "X", "learning rate"},
    {"dry-run", 0, MN_OPT_FLAG, &cli_dry, NULL, "dry run"},
    {"mode", 0, MN_OPT_CHOICE, &cli_mode, "MODE", "mode", modes},
    {"input", 'i', MN_OPT_LIST, &cli_inputs, "PATH", "inputs"},
    {0}};

static const mn_cli_spec cli_spec = {
    "mnemo-test", "A test program.", "[OPTIONS] FILE...", NULL, cli_options, 1, 2};

static bool cli_run(int argc, const char **argv, int *first, int *code) {
    cli_output = NULL;
    cli_ranks = 0;
    cli_size = 0;
    cli_lr = 0;
    cli_dry = false;
    cli_mode = "fast";
    mn_cli_list_free(&cli_inputs);
    char *copy[24];
    for (int i = 0; i < argc; i++)
        copy[i] = (char *)argv[i];
    copy[argc] = NULL;
    return mn_cli_parse(&cli_spec, argc, copy, first, code);
}

static void test_cli_parses_every_type(void) {
    const char *argv[] = {"mnemo-test", "-o",   "out",  "a.txt",     "--ranks=4", "--shard-size",
                          "64M",        "--lr", "3e-4", "--dry-run", "--mode",    "exact",
                          "-i",         "x,y",  "-i",   "z"};
    int first = 0, code = -1;
    MN_ASSERT_TRUE(cli_run(16, argv, &first, &code));
    MN_ASSERT_EQ_STR(cli_output, "out");
    MN_ASSERT_EQ_INT(cli_ranks, 4);
    MN_ASSERT_EQ_U64(cli_size, 64ull << 20);
    MN_ASSERT_NEAR(cli_lr, 3e-4, 0);
    MN_ASSERT_TRUE(cli_dry);
    MN_ASSERT_EQ_STR(cli_mode, "exact");
    MN_ASSERT_EQ_U64(cli_inputs.count, 3);
    if (cli_inputs.count == 3)
        MN_ASSERT_EQ_STR(cli_inputs.items[2], "z");
    /* GNU permutation moves the positional to the end. */
    MN_ASSERT_EQ_INT(first, 15);
}

static void test_cli_rejects_bad_usage_with_code_2(void) {
    int first, code;
    const char *unknown[] = {"mnemo-test", "-o", "x", "--bogus", "f"};
    MN_ASSERT_TRUE(!cli_run(5, unknown, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *missing[] = {"mnemo-test", "f"};
    MN_ASSERT_TRUE(!cli_run(2, missing, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *bad_int[] = {"mnemo-test", "-o", "x", "--ranks", "four", "f"};
    MN_ASSERT_TRUE(!cli_run(6, bad_int, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *bad_choice[] = {"mnemo-test", "-o", "x", "--mode", "slow", "f"};
    MN_ASSERT_TRUE(!cli_run(6, bad_choice, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *no_value[] = {"mnemo-test", "f", "-o"};
    MN_ASSERT_TRUE(!cli_run(3, no_value, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *too_many[] = {"mnemo-test", "-o", "x", "a", "b", "c"};
    MN_ASSERT_TRUE(!cli_run(6, too_many, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
    const char *too_few[] = {"mnemo-test", "-o", "x"};
    MN_ASSERT_TRUE(!cli_run(3, too_few, &first, &code));
    MN_ASSERT_EQ_INT(code, 2);
}

static void test_cli_help_and_version_exit_0(void) {
    int first, code = -1;
    const char *help[] = {"mnemo-test", "--help"};
    MN_ASSERT_TRUE(!cli_run(2, help, &first, &code));
    MN_ASSERT_EQ_INT(code, 0);
    const char *version[] = {"mnemo-test", "--version"};
    code = -1;
    MN_ASSERT_TRUE(!cli_run(2, version, &first, &code));
    MN_ASSERT_EQ_INT(code, 0);
}

static int sub_ran;
static int sub_run(int argc, char **argv) {
    sub_ran = argc;
    return strcmp(argv[0], "verify") == 0 ? 7 : 1;
}

static void test_cli_dispatches_subcommands(void) {
    static const mn_cli_command commands[] = {{"verify", "check", sub_run}, {0}};
    char *argv[] = {"mnemo-x", "verify", "a", "b", NULL};
    MN_ASSERT_EQ_INT(mn_cli_dispatch("mnemo-x", "x", commands, 4, argv), 7);
    MN_ASSERT_EQ_INT(sub_ran, 3);
    char *unknown[] = {"mnemo-x", "nope", NULL};
    MN_ASSERT_EQ_INT(mn_cli_dispatch("mnemo-x", "x", commands, 2, unknown), 2);
    char *none[] = {"mnemo-x", NULL};
    MN_ASSERT_EQ_INT(mn_cli_dispatch("mnemo-x", "x", commands, 1, none), 2);
}

static int cli_cleanup(void) {
    mn_cli_list_free(&cli_inputs);
    return 0;
}

static const mn_test_case cli_cases[] = {
    {"options of every type parse, positionals anywhere", test_cli_parses_every_type},
    {"bad usage is refused with exit code 2", test_cli_rejects_bad_usage_with_code_2},
    {"--help and --version exit with 0", test_cli_help_and_version_exit_0},
    {"subcommands dispatch and unknown ones fail with 2", test_cli_dispatches_subcommands},
    {0}};

/* ---- progress arithmetic ---- */

static void test_eta_arithmetic(void) {
    MN_ASSERT_NEAR(mn_eta_seconds(100, 10), 10, 0);
    MN_ASSERT_NEAR(mn_eta_seconds(0, 0), 0, 0);
    MN_ASSERT_NEAR(mn_eta_seconds(50, 0), -1, 0);
    MN_ASSERT_NEAR(mn_eta_seconds(50, -3), -1, 0);
}

static void test_rate_is_an_exponential_average(void) {
    mn_rate r;
    mn_rate_init(&r, 1.0);
    mn_rate_update(&r, 100.0, 0);
    MN_ASSERT_NEAR(r.rate, 0, 0);
    mn_rate_update(&r, 101.0, 10); /* first interval sets the rate */
    MN_ASSERT_NEAR(r.rate, 10, 1e-12);
    mn_rate_update(&r, 102.0, 30); /* instant 20, weight 1 - e^-1 */
    MN_ASSERT_NEAR(r.rate, 10 + (1 - exp(-1.0)) * 10, 1e-12);
    mn_rate_update(&r, 102.0, 50); /* no time passed: ignored */
    MN_ASSERT_NEAR(r.rate, 10 + (1 - exp(-1.0)) * 10, 1e-12);
    /* A long steady run converges to the true rate. */
    for (int t = 3; t < 60; t++)
        mn_rate_update(&r, 100.0 + t, 30 + 5.0 * (t - 2));
    MN_ASSERT_NEAR(r.rate, 5, 1e-6);
}

static void test_progress_runs_without_mpi(void) {
    setenv("MNEMO_PROGRESS_INTERVAL", "0", 1);
    mn_progress_field fields[] = {{"files", MN_UNIT_COUNT}, {"input", MN_UNIT_BYTES}};
    mn_progress *p = NULL;
    MN_ASSERT_OK_FATAL(mn_progress_begin(&p, "test", MPI_COMM_NULL, fields, 2, 1, 1000));
    for (int i = 0; i < 10; i++) {
        mn_progress_add(p, 0, 1);
        mn_progress_add(p, 1, 100);
        mn_progress_tick(p);
    }
    MN_ASSERT_NEAR(mn_progress_value(p, 1), 1000, 0);
    double totals[2];
    MN_ASSERT_OK(mn_progress_end(p, totals));
    MN_ASSERT_NEAR(totals[0], 10, 0);
    MN_ASSERT_NEAR(totals[1], 1000, 0);
    unsetenv("MNEMO_PROGRESS_INTERVAL");
}

static const mn_test_case progress_cases[] = {
    {"ETA is remaining over rate, unknown without a rate", test_eta_arithmetic},
    {"the rate is an exponential moving average of intervals", test_rate_is_an_exponential_average},
    {"progress works in a process without MPI", test_progress_runs_without_mpi},
    {0}};

/* ---- files ---- */

static void test_read_file_respects_bound(void) {
    const char *path = mn_test_path("bound.txt");
    MN_ASSERT_FATAL(mn_test_write_file(path, "hello world", 11));
    uint8_t *data;
    size_t size;
    MN_ASSERT_OK(mn_read_file(path, 11, &data, &size));
    MN_ASSERT_EQ_U64(size, 11);
    MN_ASSERT_EQ_STR((const char *)data, "hello world");
    free(data);
    MN_ASSERT_STATUS(mn_read_file(path, 10, &data, &size), MN_ERR_LIMIT);
    MN_ASSERT_ERROR_CONTAINS(path);
    MN_ASSERT_STATUS(mn_read_file(mn_test_path("missing"), 10, &data, &size), MN_ERR_NOT_FOUND);
}

static void test_map_file_and_empty_file(void) {
    const char *path = mn_test_path("map.bin");
    MN_ASSERT_FATAL(mn_test_write_file(path, "abcdef", 6));
    mn_mapped_file m;
    MN_ASSERT_OK_FATAL(mn_map_file(&m, path));
    MN_ASSERT_EQ_U64(m.size, 6);
    MN_ASSERT_EQ_MEM(m.data, "abcdef", 6);
    mn_unmap_file(&m);
    const char *empty = mn_test_path("empty.bin");
    MN_ASSERT_FATAL(mn_test_write_file(empty, "", 0));
    MN_ASSERT_OK(mn_map_file(&m, empty));
    MN_ASSERT_TRUE(m.data == NULL && m.size == 0);
    mn_unmap_file(&m);
    MN_ASSERT_STATUS(mn_map_file(&m, mn_test_path("missing.bin")), MN_ERR_NOT_FOUND);
}

static void test_dirs_are_made_and_removed(void) {
    char *deep = mn_path_join(mn_test_tmpdir(), "a/b/c");
    MN_ASSERT_OK(mn_make_dirs(deep));
    MN_ASSERT_TRUE(mn_is_directory(deep));
    MN_ASSERT_OK(mn_make_dirs(deep)); /* again: fine */
    char *file = mn_path_join(deep, "f");
    MN_ASSERT_OK(mn_write_file_atomic(file, "x", 1));
    char *top = mn_path_join(mn_test_tmpdir(), "a");
    MN_ASSERT_OK(mn_remove_tree(top));
    MN_ASSERT_TRUE(!mn_path_exists(top));
    MN_ASSERT_OK(mn_remove_tree(top)); /* missing: fine */
    char dir[256];
    mn_path_dirname("x/y/z.txt", dir, sizeof dir);
    MN_ASSERT_EQ_STR(dir, "x/y");
    mn_path_dirname("z.txt", dir, sizeof dir);
    MN_ASSERT_EQ_STR(dir, ".");
    free(deep);
    free(file);
    free(top);
}

static void test_atomic_write_replaces_and_cleans_tmp(void) {
    const char *path = mn_test_path("atomic.txt");
    MN_ASSERT_OK(mn_write_file_atomic(path, "old", 3));
    mn_atomic_file f;
    MN_ASSERT_OK_FATAL(mn_atomic_open(&f, path));
    fprintf(f.fp, "new contents");
    MN_ASSERT_OK(mn_atomic_commit(&f));
    uint8_t *data;
    size_t size;
    MN_ASSERT_OK_FATAL(mn_read_file(path, 100, &data, &size));
    MN_ASSERT_EQ_STR((const char *)data, "new contents");
    free(data);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    MN_ASSERT_TRUE(!mn_path_exists(tmp));
    /* Abort keeps the old file and removes the tmp. */
    MN_ASSERT_OK_FATAL(mn_atomic_open(&f, path));
    MN_ASSERT_OK(mn_atomic_write(&f, "discarded", 9));
    mn_atomic_abort(&f);
    MN_ASSERT_TRUE(!mn_path_exists(tmp));
    MN_ASSERT_OK_FATAL(mn_read_file(path, 100, &data, &size));
    MN_ASSERT_EQ_STR((const char *)data, "new contents");
    free(data);
    /* An unwritable place fails with a message that names it. */
    MN_ASSERT_STATUS(mn_atomic_open(&f, "/proc/mnemo-cannot-write-here"), MN_ERR_IO);
    MN_ASSERT_ERROR_CONTAINS("/proc/mnemo-cannot-write-here.tmp");
}

/* A payload that proves it is whole: [u64 generation][u64 length][bytes...][u64 xxh64]. */
static size_t make_payload(uint8_t *buf, uint64_t generation) {
    uint64_t len = 1000 + (generation * 7919) % (2u << 20);
    memcpy(buf, &generation, 8);
    memcpy(buf + 8, &len, 8);
    for (uint64_t i = 0; i < len; i++)
        buf[16 + i] = (uint8_t)(generation * 31 + i);
    uint64_t h = mn_xxh64(buf, 16 + len, 0);
    memcpy(buf + 16 + len, &h, 8);
    return 24 + len;
}

/* Returns the generation stored in `path`, -1 when absent, -2 when partial or corrupt. */
static int64_t payload_generation(const char *path) {
    uint8_t *data;
    size_t size;
    if (!mn_path_exists(path))
        return -1;
    if (mn_read_file(path, 8u << 20, &data, &size) != MN_OK)
        return -2;
    int64_t result = -2;
    uint64_t generation, len, h;
    if (size >= 24) {
        memcpy(&generation, data, 8);
        memcpy(&len, data + 8, 8);
        if (len == size - 24) {
            memcpy(&h, data + 16 + len, 8);
            if (h == mn_xxh64(data, 16 + len, 0))
                result = (int64_t)generation;
        }
    }
    free(data);
    return result;
}

static int crash_at_step;
static void crash_hook(int step) {
    if (step == crash_at_step)
        _exit(0);
}

static void test_atomic_replace_survives_a_crash_at_every_step(void) {
    static uint8_t payload[(2u << 20) + 64];
    const char *path = mn_test_path("crash-step.bin");
    for (int step = 1; step <= 5; step++) {
        size_t n = make_payload(payload, 1);
        MN_ASSERT_OK_FATAL(mn_write_file_atomic(path, payload, n));
        pid_t child = fork();
        MN_ASSERT_FATAL(child >= 0);
        if (child == 0) {
            crash_at_step = step;
            mn__atomic_step_hook = crash_hook;
            size_t m = make_payload(payload, 2);
            mn_write_file_atomic(path, payload, m);
            _exit(3); /* the hook should have fired */
        }
        int wstatus;
        waitpid(child, &wstatus, 0);
        MN_ASSERT_EQ_INT(WEXITSTATUS(wstatus), 0);
        /* Before the rename (steps 1-3) the old file stands; after it, the new one. */
        MN_ASSERT_EQ_INT(payload_generation(path), step <= 3 ? 1 : 2);
    }
}

static void test_atomic_replace_survives_random_kills(void) {
    static uint8_t payload[(2u << 20) + 64];
    const char *path = mn_test_path("crash-random.bin");
    mn_rng rng;
    mn_rng_seed(&rng, 1234);
    int rounds = (int)(30 * mn_test_scale()) + 5, saw_new = 0;
    for (int round = 0; round < rounds; round++) {
        size_t n = make_payload(payload, 0);
        MN_ASSERT_OK_FATAL(mn_write_file_atomic(path, payload, n));
        pid_t child = fork();
        MN_ASSERT_FATAL(child >= 0);
        if (child == 0) {
            for (uint64_t g = 1;; g++) {
                size_t m = make_payload(payload, g);
                if (mn_write_file_atomic(path, payload, m) != MN_OK)
                    _exit(4);
            }
        }
        struct timespec delay = {0, (long)(mn_rng_below(&rng, 60) * 1000000)};
        nanosleep(&delay, NULL);
        kill(child, SIGKILL);
        int wstatus;
        waitpid(child, &wstatus, 0);
        MN_ASSERT_TRUE(WIFSIGNALED(wstatus));
        int64_t generation = payload_generation(path);
        MN_ASSERT_TRUE(generation >= 0);
        saw_new += generation > 0;
    }
    /* The kills landed while the child was replacing the file, not only before. */
    MN_ASSERT_TRUE(saw_new > 0);
}

static const mn_test_case io_cases[] = {
    {"whole-file reads obey their size bound", test_read_file_respects_bound},
    {"files map read-only; an empty file maps to nothing", test_map_file_and_empty_file},
    {"directory trees are made and removed", test_dirs_are_made_and_removed},
    {"atomic write replaces, abort keeps the old file", test_atomic_write_replaces_and_cleans_tmp},
    {"a crash at any step of atomic replace leaves old or new whole",
     test_atomic_replace_survives_a_crash_at_every_step},
    {"random kills during repeated atomic replaces never leave a partial file",
     test_atomic_replace_survives_random_kills},
    {0}};

static const mn_test_suite suites[] = {
    {"error", error_cases}, {"mem", mem_cases},           {"util", util_cases},
    {"hash", hash_cases},   {"rng", rng_cases},           {"cli", cli_cases, NULL, cli_cleanup},
    {"io", io_cases},       {"progress", progress_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
