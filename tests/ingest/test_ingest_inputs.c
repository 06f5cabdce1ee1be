/* Input discovery: files, directories and globs into one sorted, deduplicated list. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/io.h"
#include "ingest/inputs.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

/* in/a.jsonl (3 B), in/b/c.txt (5 B), in/b/d/e.jsonl.zst (7 B), hidden entries, a link back
 * up the tree, a dangling link and a second name of in/b/c.txt. */
static int make_tree(void) {
    static bool made;
    if (made)
        return 0;
    made = true;
    return rt_sh("mkdir -p in/b/d in/.hidden empty && printf abc > in/a.jsonl && "
                 "printf hello > in/b/c.txt && printf 1234567 > in/b/d/e.jsonl.zst && "
                 "printf x > in/.hidden/x.txt && printf y > in/.dotfile && "
                 "ln -sfn .. in/b/up && ln -sf nowhere in/dangling && "
                 "ln -sf b/c.txt in/z_second_name.txt")
               ? 0
               : 1;
}

static void check_paths(const ingest_inputs *inputs, const char *const *expected, size_t n) {
    MN_ASSERT_EQ_INT(inputs->count, n);
    for (size_t i = 0; i < n && i < inputs->count; i++) {
        char want[4096];
        snprintf(want, sizeof want, "%s/%s", mn_test_tmpdir(), expected[i]);
        MN_ASSERT_EQ_STR(inputs->items[i].path, want);
    }
}

static void test_a_directory_is_walked_sorted_without_hidden_names_or_loops(void) {
    MN_ASSERT_FATAL(make_tree() == 0);
    const char *args[] = {mn_test_path("in")};
    ingest_inputs inputs;
    MN_ASSERT_OK_FATAL(ingest_inputs_collect(args, 1, NULL, &inputs));
    const char *expected[] = {"in/a.jsonl", "in/b/c.txt", "in/b/d/e.jsonl.zst"};
    check_paths(&inputs, expected, 3);
    if (inputs.count == 3) {
        MN_ASSERT_EQ_U64(inputs.items[0].size, 3);
        MN_ASSERT_EQ_U64(inputs.items[1].size, 5);
        MN_ASSERT_EQ_U64(inputs.items[2].size, 7);
    }
    MN_ASSERT_EQ_U64(inputs.total_bytes, 15);
    ingest_inputs_free(&inputs);
}

static void test_hidden_names_and_include_patterns_are_options(void) {
    MN_ASSERT_FATAL(make_tree() == 0);
    const char *args[] = {mn_test_path("in")};
    ingest_inputs_options options = {.include_hidden = true};
    ingest_inputs inputs;
    MN_ASSERT_OK_FATAL(ingest_inputs_collect(args, 1, &options, &inputs));
    const char *all[] = {"in/.dotfile", "in/.hidden/x.txt", "in/a.jsonl", "in/b/c.txt",
                         "in/b/d/e.jsonl.zst"};
    check_paths(&inputs, all, 5);
    ingest_inputs_free(&inputs);

    const char *patterns[] = {"*.jsonl", "*.jsonl.zst"};
    options = (ingest_inputs_options){.include = patterns, .n_include = 2};
    MN_ASSERT_OK_FATAL(ingest_inputs_collect(args, 1, &options, &inputs));
    const char *jsonl[] = {"in/a.jsonl", "in/b/d/e.jsonl.zst"};
    check_paths(&inputs, jsonl, 2);
    ingest_inputs_free(&inputs);
}

static void test_named_files_and_globs_are_taken_and_duplicates_listed_once(void) {
    MN_ASSERT_FATAL(make_tree() == 0);
    char pattern[4096], braces[4096];
    snprintf(pattern, sizeof pattern, "%s/in/*/*.txt", mn_test_tmpdir());
    snprintf(braces, sizeof braces, "%s/in/{a.jsonl,.dotfile}", mn_test_tmpdir());
    const char *args[] = {mn_test_path("in/z_second_name.txt"), pattern, braces,
                          mn_test_path("in/a.jsonl")};
    ingest_inputs inputs;
    MN_ASSERT_OK_FATAL(ingest_inputs_collect(args, 4, NULL, &inputs));
    /* in/b/c.txt and its link are one file, listed under the smaller path. */
    const char *expected[] = {"in/.dotfile", "in/a.jsonl", "in/b/c.txt"};
    check_paths(&inputs, expected, 3);
    ingest_inputs_free(&inputs);
}

static void test_missing_inputs_are_errors_naming_them(void) {
    MN_ASSERT_FATAL(make_tree() == 0);
    ingest_inputs inputs;
    const char *missing[] = {mn_test_path("in"), mn_test_path("no/such/file.jsonl")};
    MN_ASSERT_STATUS(ingest_inputs_collect(missing, 2, NULL, &inputs), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("no/such/file.jsonl: cannot read it (check the path");
    MN_ASSERT_EQ_INT(inputs.count, 0);

    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/in/*.parquet", mn_test_tmpdir());
    const char *no_match[] = {pattern};
    MN_ASSERT_STATUS(ingest_inputs_collect(no_match, 1, NULL, &inputs), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("*.parquet matches no file");

    const char *empty[] = {mn_test_path("empty")};
    MN_ASSERT_STATUS(ingest_inputs_collect(empty, 1, NULL, &inputs), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("empty holds no input files");

    MN_ASSERT_STATUS(ingest_inputs_collect(empty, 0, NULL, &inputs), MN_ERR_ARG);
}

static void test_many_files_come_back_in_byte_order(void) {
    size_t n = (size_t)(3000 * mn_test_scale());
    MN_ASSERT_FATAL(rt_sh("mkdir -p many && cd many && mkdir $(seq -f d%%g 0 49) && "
                          "seq 0 %zu | awk '{print \"d\" ($1 %% 50) \"/f\" $1 \".jsonl\"}' | "
                          "xargs touch",
                          n - 1));
    const char *args[] = {mn_test_path("many")};
    ingest_inputs inputs;
    MN_ASSERT_OK_FATAL(ingest_inputs_collect(args, 1, NULL, &inputs));
    MN_ASSERT_EQ_INT(inputs.count, n);
    size_t ordered = 0;
    for (size_t i = 1; i < inputs.count; i++)
        ordered += strcmp(inputs.items[i - 1].path, inputs.items[i].path) < 0;
    MN_ASSERT_EQ_INT(ordered, n - 1);
    ingest_inputs_free(&inputs);
}

static const mn_test_case cases[] = {
    {"a directory is walked, sorted, without hidden names or loops",
     test_a_directory_is_walked_sorted_without_hidden_names_or_loops},
    {"hidden names and include patterns are options",
     test_hidden_names_and_include_patterns_are_options},
    {"named files and globs are taken and duplicates listed once",
     test_named_files_and_globs_are_taken_and_duplicates_listed_once},
    {"missing inputs are errors naming them", test_missing_inputs_are_errors_naming_them},
    {"many files come back in byte order", test_many_files_come_back_in_byte_order},
    {0}};
static const mn_test_suite suites[] = {{"ingest_inputs", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
