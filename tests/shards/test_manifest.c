/* Dataset manifests: round trip, the JSON twin, validation on load, atomic publishing. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "proto/manifest.pb-c.h"
#include "proto/proto.h"
#include "shards/manifest.h"
#include "tests/harness/mn_test.h"

static void fill_manifest(shard_manifest *m, const char *dir) {
    MN_ASSERT_OK_FATAL(shard_manifest_init(m, SHARD_DATASET_TOKENS, dir));
    m->tokenizer_hash = 0xfedcba9876543210ull;
    shard_manifest_entry a = {.path = "shard-00000.mtok",
                              .documents = 10,
                              .tokens = 1000,
                              .bytes = 4096,
                              .xxh64 = 0x8000000000000001ull,
                              .source = "web/\"quoted\".jsonl"};
    shard_manifest_entry b = {.path = "/abs/shard-00001.mtok",
                              .documents = 3,
                              .tokens = 300,
                              .bytes = 1024,
                              .xxh64 = 42,
                              .weight = 0.7,
                              .document_begin = 5,
                              .document_end = 8};
    MN_ASSERT_OK(shard_manifest_add(m, &a));
    MN_ASSERT_OK(shard_manifest_add(m, &b));
    MN_ASSERT_OK(shard_manifest_set_setting(m, "tokenizer", "old"));
    MN_ASSERT_OK(shard_manifest_set_setting(m, "zstd_level", "3"));
    MN_ASSERT_OK(shard_manifest_set_setting(m, "tokenizer", "gpt2.mtk"));
    MN_ASSERT_OK(shard_manifest_set_counter(m, "documents.bad_json", 7));
    MN_ASSERT_OK(shard_manifest_set_counter(m, "documents.too_long", -1));
    MN_ASSERT_OK(shard_manifest_set_counter(m, "documents.too_long", 2));
}

static void test_round_trip(void) {
    const char *dir = mn_test_path("rt/dataset");
    shard_manifest m;
    fill_manifest(&m, dir);
    MN_ASSERT_EQ_U64(m.total_documents, 13);
    MN_ASSERT_EQ_U64(m.total_tokens, 1300);
    MN_ASSERT_EQ_U64(m.total_bytes, 5120);
    MN_ASSERT_EQ_U64(m.n_settings, 2);
    MN_ASSERT_OK_FATAL(shard_manifest_save(&m));
    MN_ASSERT_TRUE(m.created_by != NULL && m.created_at > 1.6e9);

    shard_manifest l;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&l, dir));
    MN_ASSERT_EQ_INT(l.kind, SHARD_DATASET_TOKENS);
    MN_ASSERT_EQ_STR(l.dir, dir);
    MN_ASSERT_EQ_U64(l.tokenizer_hash, 0xfedcba9876543210ull);
    MN_ASSERT_EQ_U64(l.n_shards, 2);
    MN_ASSERT_EQ_STR(l.shards[0].path, "shard-00000.mtok");
    MN_ASSERT_EQ_STR(l.shards[0].source, "web/\"quoted\".jsonl");
    MN_ASSERT_EQ_U64(l.shards[0].xxh64, 0x8000000000000001ull);
    MN_ASSERT_EQ_U64(l.shards[1].document_begin, 5);
    MN_ASSERT_EQ_U64(l.shards[1].document_end, 8);
    MN_ASSERT_NEAR(l.shards[1].weight, 0.7, 0);
    MN_ASSERT_TRUE(l.shards[1].source == NULL);
    MN_ASSERT_EQ_U64(l.total_documents, 13);
    MN_ASSERT_EQ_U64(l.total_tokens, 1300);
    MN_ASSERT_EQ_U64(l.total_bytes, 5120);
    MN_ASSERT_EQ_U64(l.n_settings, 2);
    MN_ASSERT_EQ_STR(l.settings[0].key, "tokenizer");
    MN_ASSERT_EQ_STR(l.settings[0].value, "gpt2.mtk");
    MN_ASSERT_EQ_U64(l.n_counters, 2);
    MN_ASSERT_EQ_STR(l.counters[1].name, "documents.too_long");
    MN_ASSERT_EQ_INT(l.counters[1].value, 2);
    MN_ASSERT_EQ_STR(l.created_by, m.created_by);
    MN_ASSERT_NEAR(l.created_at, m.created_at, 0);

    char *p0 = shard_manifest_shard_path(&l, 0), *p1 = shard_manifest_shard_path(&l, 1);
    char expected[4200];
    snprintf(expected, sizeof expected, "%s/shard-00000.mtok", dir);
    MN_ASSERT_EQ_STR(p0, expected);
    MN_ASSERT_EQ_STR(p1, "/abs/shard-00001.mtok");
    free(p0);
    free(p1);

    /* The manifest.pb path and the twin's path name the same dataset. */
    shard_manifest by_pb, by_json;
    char pb_path[4200], json_path[4200];
    snprintf(pb_path, sizeof pb_path, "%s/manifest.pb", dir);
    snprintf(json_path, sizeof json_path, "%s/manifest.json", dir);
    MN_ASSERT_OK(shard_manifest_load(&by_pb, pb_path));
    MN_ASSERT_OK(shard_manifest_load(&by_json, json_path));
    MN_ASSERT_EQ_STR(by_pb.dir, dir);
    MN_ASSERT_EQ_U64(by_json.total_tokens, 1300);
    shard_manifest_free(&by_pb);
    shard_manifest_free(&by_json);
    shard_manifest_free(&l);
    shard_manifest_free(&m);
}

static uint64_t hex_field(json_t *object, const char *key) {
    const char *s = json_string_value(json_object_get(object, key));
    return s ? strtoull(s, NULL, 16) : 0;
}

/* The twin, read by an independent JSON parser (jansson), holds what the .pb holds. */
static void test_json_twin(void) {
    const char *dir = mn_test_path("twin");
    shard_manifest m;
    fill_manifest(&m, dir);
    MN_ASSERT_OK_FATAL(shard_manifest_save(&m));
    shard_manifest l;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&l, dir));
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    json_error_t error;
    json_t *root = json_load_file(path, 0, &error);
    MN_ASSERT_FATAL(root != NULL);
    MN_ASSERT_EQ_INT(json_integer_value(json_object_get(root, "format_version")), 1);
    MN_ASSERT_EQ_STR(json_string_value(json_object_get(root, "kind")), "tokens");
    MN_ASSERT_EQ_U64(hex_field(root, "tokenizer_hash"), l.tokenizer_hash);
    MN_ASSERT_EQ_U64(json_integer_value(json_object_get(root, "total_documents")),
                     l.total_documents);
    MN_ASSERT_EQ_U64(json_integer_value(json_object_get(root, "total_tokens")), l.total_tokens);
    MN_ASSERT_EQ_U64(json_integer_value(json_object_get(root, "total_bytes")), l.total_bytes);
    MN_ASSERT_EQ_STR(json_string_value(json_object_get(root, "created_by")), l.created_by);
    MN_ASSERT_NEAR(json_real_value(json_object_get(root, "created_at")), l.created_at, 0);
    json_t *settings = json_object_get(root, "settings");
    MN_ASSERT_EQ_U64(json_object_size(settings), l.n_settings);
    MN_ASSERT_EQ_STR(json_string_value(json_object_get(settings, "tokenizer")), "gpt2.mtk");
    json_t *counters = json_object_get(root, "counters");
    MN_ASSERT_EQ_INT(json_integer_value(json_object_get(counters, "documents.bad_json")), 7);
    json_t *shards = json_object_get(root, "shards");
    MN_ASSERT_EQ_U64(json_array_size(shards), l.n_shards);
    for (size_t i = 0; i < l.n_shards && i < json_array_size(shards); i++) {
        json_t *e = json_array_get(shards, i);
        MN_ASSERT_EQ_STR(json_string_value(json_object_get(e, "path")), l.shards[i].path);
        MN_ASSERT_EQ_U64(json_integer_value(json_object_get(e, "documents")),
                         l.shards[i].documents);
        MN_ASSERT_EQ_U64(json_integer_value(json_object_get(e, "tokens")), l.shards[i].tokens);
        MN_ASSERT_EQ_U64(json_integer_value(json_object_get(e, "bytes")), l.shards[i].bytes);
        MN_ASSERT_EQ_U64(hex_field(e, "xxh64"), l.shards[i].xxh64);
        MN_ASSERT_NEAR(json_real_value(json_object_get(e, "weight")), l.shards[i].weight, 0);
        MN_ASSERT_EQ_U64(json_integer_value(json_object_get(e, "document_begin")),
                         l.shards[i].document_begin);
        MN_ASSERT_EQ_U64(json_integer_value(json_object_get(e, "document_end")),
                         l.shards[i].document_end);
        json_t *source = json_object_get(e, "source");
        if (l.shards[i].source == NULL)
            MN_ASSERT_TRUE(json_is_null(source));
        else
            MN_ASSERT_EQ_STR(json_string_value(source), l.shards[i].source);
    }
    json_decref(root);
    shard_manifest_free(&l);
    shard_manifest_free(&m);
}

static mn_status write_pb(const char *dir, Mnemo__Manifest *pb) {
    MN_FORWARD_IF_ERROR(mn_make_dirs(dir));
    char *path = mn_path_join(dir, "manifest.pb");
    mn_status s = mn_proto_write_file(&pb->base, path);
    free(path);
    return s;
}

static void test_validation(void) {
    Mnemo__ManifestShard e = MNEMO__MANIFEST_SHARD__INIT;
    e.path = "a.mtok";
    e.documents = 4;
    e.tokens = 100;
    e.bytes = 50;
    Mnemo__ManifestShard *entries[1] = {&e};
    Mnemo__Manifest pb = MNEMO__MANIFEST__INIT;
    pb.format_version = 1;
    pb.kind = MNEMO__DATASET_KIND__DATASET_KIND_TOKENS;
    pb.n_shards = 1;
    pb.shards = entries;
    pb.total_documents = 4;
    pb.total_tokens = 100;
    pb.total_bytes = 50;
    const char *dir = mn_test_path("valid");
    shard_manifest m;
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_OK(shard_manifest_load(&m, dir));
    shard_manifest_free(&m);

    pb.total_tokens = 101;
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("differ from the sum of its shards");
    pb.total_tokens = 100;

    pb.format_version = 2;
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_UNSUPPORTED);
    MN_ASSERT_ERROR_CONTAINS("upgrade mnemo");
    pb.format_version = 1;

    pb.kind = 7;
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_FORMAT);
    pb.kind = MNEMO__DATASET_KIND__DATASET_KIND_TOKENS;

    e.document_begin = 2;
    e.document_end = 3; /* a range of 1 document, but the entry says 4 */
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("a.mtok lists 4 documents but its range [2, 3) holds 1");
    e.document_begin = e.document_end = 0;

    e.weight = -1;
    MN_ASSERT_OK(write_pb(dir, &pb));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_FORMAT);
    e.weight = 0;

    char *path = mn_path_join(dir, "manifest.pb");
    MN_ASSERT_TRUE(mn_test_write_file(path, "\xff\xff\xff garbage", 11));
    MN_ASSERT_STATUS(shard_manifest_load(&m, dir), MN_ERR_FORMAT);
    free(path);

    MN_ASSERT_OK(mn_make_dirs(mn_test_path("empty-dir")));
    MN_ASSERT_STATUS(shard_manifest_load(&m, mn_test_path("empty-dir")), MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("has no manifest.pb");
    MN_ASSERT_STATUS(shard_manifest_load(&m, mn_test_path("nowhere")), MN_ERR_NOT_FOUND);
    MN_ASSERT_STATUS(shard_manifest_load(&m, mn_test_path("valid/a-file.txt")), MN_ERR_NOT_FOUND);
}

static const char *hook_dir;
static int hook_commits, hook_order_errors;

/* Called after each rename of an atomic write: the JSON twin must be published first. */
static void check_order(int step) {
    if (step != 4)
        return;
    char json[4200], pb[4200];
    snprintf(json, sizeof json, "%s/manifest.json", hook_dir);
    snprintf(pb, sizeof pb, "%s/manifest.pb", hook_dir);
    hook_commits++;
    if (hook_commits == 1 && (!mn_path_exists(json) || mn_path_exists(pb)))
        hook_order_errors++;
    if (hook_commits == 2 && (!mn_path_exists(json) || !mn_path_exists(pb)))
        hook_order_errors++;
}

static void test_publish_order(void) {
    hook_dir = mn_test_path("order");
    shard_manifest m;
    fill_manifest(&m, hook_dir);
    mn__atomic_step_hook = check_order;
    MN_ASSERT_OK(shard_manifest_save(&m));
    mn__atomic_step_hook = NULL;
    MN_ASSERT_EQ_INT(hook_commits, 2);
    MN_ASSERT_EQ_INT(hook_order_errors, 0);
    shard_manifest_free(&m);
}

static void test_documents_manifest(void) {
    const char *dir = mn_test_path("docs");
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_init(&m, SHARD_DATASET_DOCUMENTS, dir));
    shard_manifest_entry e = {.path = "part-00000.jsonl.zst", .documents = 5, .bytes = 99};
    MN_ASSERT_OK(shard_manifest_add(&m, &e));
    shard_manifest_entry bad = {.path = ""};
    MN_ASSERT_STATUS(shard_manifest_add(&m, &bad), MN_ERR_ARG);
    MN_ASSERT_OK(shard_manifest_save(&m));
    shard_manifest l;
    MN_ASSERT_OK(shard_manifest_load(&l, dir));
    MN_ASSERT_EQ_INT(l.kind, SHARD_DATASET_DOCUMENTS);
    MN_ASSERT_EQ_U64(l.total_documents, 5);
    MN_ASSERT_EQ_STR(shard_dataset_kind_name(l.kind), "documents");
    shard_manifest_free(&l);
    shard_manifest_free(&m);
}

static const mn_test_case manifest_cases[] = {
    {"a manifest reads back with every field it was saved with", test_round_trip},
    {"manifest.json holds the same content as manifest.pb", test_json_twin},
    {"loading refuses wrong totals, versions, kinds, ranges, weights and garbage", test_validation},
    {"the JSON twin is published before manifest.pb", test_publish_order},
    {"document datasets are manifests too", test_documents_manifest},
    {0}};

static const mn_test_suite suites[] = {{"manifest", manifest_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
