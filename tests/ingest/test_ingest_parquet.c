/* Parquet reader: files written by parquet-wasm (Rust's parquet crate) and hyparquet-writer
 * (JavaScript) under Node.js in every codec, page version and encoding they offer, read row
 * by row and compared with the rows the writers were given; then damaged files. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "ingest/parquet.h"
#include "ingest/reader.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static int generated = -1;

/* Runs make_parquet.mjs once; 1 when the npm tools are missing (skip), 2 on failure. */
static int make_files(void) {
    if (generated >= 0)
        return generated;
    const char *modules = getenv("MNEMO_NODE_MODULES");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/parquet-wasm/package.json", modules ? modules : "");
    if (modules == NULL || !mn_path_exists(probe)) {
        printf("\n    (skipped: the npm reference tools are not installed; ./test.sh installs "
               "them into build/npm)\n");
        generated = 1;
        return generated;
    }
    generated = rt_sh("node '%s/tests/ingest/make_parquet.mjs' pq", mn_test_source_dir()) ? 0 : 2;
    return generated;
}

static json_t *expected_rows(void) {
    json_error_t error;
    return json_load_file(mn_test_path("pq/expected.json"), 0, &error);
}

static bool same_json(json_t *expected, json_t *got) {
    if (json_is_real(expected) || json_is_real(got)) {
        return json_is_number(expected) && json_is_number(got) &&
               json_number_value(expected) == json_number_value(got);
    }
    return json_equal(expected, got);
}

static const char *const keep[] = {"token_count", "score", "flag", "no_such_column"};

static void check_file(const char *name, json_t *rows) {
    ingest_reader_options options = {.keep_fields = keep, .n_keep_fields = 4};
    char path[4096];
    snprintf(path, sizeof path, "%s/pq/%s", mn_test_tmpdir(), name);
    rt_result r;
    if (!rt_read(path, &options, &r))
        return;
    MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_PARQUET);
    size_t d = 0, nulls = 0, mismatches = 0;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        json_t *text = json_object_get(row, "text");
        if (json_is_null(text)) {
            nulls++;
            continue;
        }
        if (d >= r.n_docs) {
            MN__FAIL(false, "%s: only %zu documents", name, r.n_docs);
            break;
        }
        const rt_doc *doc = &r.docs[d++];
        bool ok = doc->record == i && doc->text_len == json_string_length(text) &&
                  memcmp(doc->text, json_string_value(text), doc->text_len) == 0 &&
                  doc->id != NULL &&
                  strcmp(doc->id, json_string_value(json_object_get(row, "id"))) == 0;
        json_t *url = json_object_get(row, "url");
        ok = ok && (json_is_null(url)
                        ? doc->url == NULL
                        : doc->url != NULL && strcmp(doc->url, json_string_value(url)) == 0);
        /* The kept columns, as JSON members. */
        char wrapped[512];
        snprintf(wrapped, sizeof wrapped, "{%s}", doc->extra ? doc->extra : "");
        json_error_t error;
        json_t *extra = json_loads(wrapped, 0, &error);
        ok = ok && extra != NULL && json_object_size(extra) == 3;
        const char *fields[] = {"token_count", "score", "flag"};
        for (int k = 0; k < 3 && ok; k++)
            ok = same_json(json_object_get(row, fields[k]), json_object_get(extra, fields[k]));
        json_decref(extra);
        if (!ok && mismatches++ < 3)
            MN__FAIL(false, "%s: row %zu read as record %llu text \"%.40s\" id %s url %s extra %s",
                     name, i, (unsigned long long)doc->record, doc->text,
                     doc->id ? doc->id : "(null)", doc->url ? doc->url : "(null)",
                     doc->extra ? doc->extra : "(null)");
        MN__COUNT();
    }
    MN__COUNT();
    if (r.n_docs != d)
        MN__FAIL(false, "%s: %zu documents, expected %zu", name, r.n_docs, d);
    /* Null texts are skipped, counted and named by row. */
    MN_ASSERT_EQ_INT(rt_count_reason(&r, "missing_text"), nulls);
    MN_ASSERT_EQ_INT(r.n_errors, nulls);
    if (r.n_errors > 0)
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "row 5: column text is null; skipped") != NULL);
    uint64_t size;
    MN_ASSERT_OK(mn_file_size(path, &size));
    MN_ASSERT_EQ_U64(r.bytes_read, size);
    rt_free(&r);
}

static void test_files_from_both_writers_read_exactly(void) {
    int status = make_files();
    MN_ASSERT_FATAL(status != 2);
    if (status == 1)
        return;
    json_t *rows = expected_rows();
    MN_ASSERT_FATAL(rows != NULL && json_array_size(rows) == 240);
    FILE *fp = fopen(mn_test_path("pq/files.txt"), "r");
    MN_ASSERT_FATAL(fp != NULL);
    char name[256];
    size_t files = 0;
    while (fgets(name, sizeof name, fp) != NULL) {
        name[strcspn(name, "\n")] = '\0';
        if (name[0] == '\0')
            continue;
        check_file(name, rows);
        files++;
    }
    fclose(fp);
    MN_ASSERT_EQ_INT(files, 16 + 3 + 5);
    json_decref(rows);
}

/* The files hold every page kind and encoding the task names; checked from their metadata
 * and page headers so that the test above cannot pass on a narrower set. */
static void test_the_files_cover_the_page_kinds_codecs_and_encodings(void) {
    int status = make_files();
    MN_ASSERT_FATAL(status != 2);
    if (status == 1)
        return;
    FILE *fp = fopen(mn_test_path("pq/files.txt"), "r");
    MN_ASSERT_FATAL(fp != NULL);
    bool codecs[8] = {0}, pages[4] = {0}, encodings[10] = {0};
    char name[256];
    while (fgets(name, sizeof name, fp) != NULL) {
        name[strcspn(name, "\n")] = '\0';
        char path[4096];
        snprintf(path, sizeof path, "%s/pq/%s", mn_test_tmpdir(), name);
        uint8_t *data;
        size_t size;
        if (name[0] == '\0' || mn_read_file(path, 1 << 24, &data, &size) != MN_OK)
            continue;
        uint32_t footer = (uint32_t)data[size - 8] | (uint32_t)data[size - 7] << 8 |
                          (uint32_t)data[size - 6] << 16 | (uint32_t)data[size - 5] << 24;
        pq_meta meta;
        if (pq_meta_decode(data + size - 8 - footer, footer, &meta) == MN_OK) {
            for (size_t g = 0; g < meta.n_row_groups; g++) {
                for (size_t c = 0; c < meta.row_groups[g].n_chunks; c++) {
                    const pq_chunk *chunk = &meta.row_groups[g].chunks[c];
                    codecs[chunk->codec & 7] = true;
                    int64_t at = chunk->dictionary_page_offset > 0 ? chunk->dictionary_page_offset
                                                                   : chunk->data_page_offset;
                    int64_t end = at + chunk->total_compressed_size;
                    while (at < end && (size_t)end <= size) {
                        pq_page_header h;
                        if (pq_page_header_decode(data + at, (size_t)(end - at), &h) != MN_OK)
                            break;
                        pages[h.type & 3] = true;
                        if (h.type != PQ_PAGE_DICTIONARY)
                            encodings[h.encoding < 10 ? h.encoding : 0] = true;
                        at += (int64_t)h.header_size + h.compressed_size;
                    }
                }
            }
            pq_meta_free(&meta);
        }
        free(data);
    }
    fclose(fp);
    MN_ASSERT_TRUE(codecs[PQ_CODEC_UNCOMPRESSED] && codecs[PQ_CODEC_SNAPPY] &&
                   codecs[PQ_CODEC_GZIP] && codecs[PQ_CODEC_ZSTD]);
    MN_ASSERT_TRUE(pages[PQ_PAGE_DATA] && pages[PQ_PAGE_DATA_V2] && pages[PQ_PAGE_DICTIONARY]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_PLAIN]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_RLE_DICTIONARY] || encodings[PQ_ENC_PLAIN_DICTIONARY]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_DELTA_LENGTH_BYTE_ARRAY]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_DELTA_BYTE_ARRAY]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_DELTA_BINARY_PACKED]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_BYTE_STREAM_SPLIT]);
    MN_ASSERT_TRUE(encodings[PQ_ENC_RLE]);
}

static void test_a_missing_text_column_names_the_columns(void) {
    int status = make_files();
    MN_ASSERT_FATAL(status != 2);
    if (status == 1)
        return;
    ingest_reader_options options = {.text_field = "body"};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("pq/hyp-snappy.parquet"), &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 0);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "missing_text");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "no column \"body\" (the --text-field); columns: "
                                               "text, id, url, token_count, score, flag") != NULL);
    rt_free(&r);
    /* Another string column can be the text. */
    options.text_field = "url";
    MN_ASSERT_FATAL(rt_read(mn_test_path("pq/hyp-snappy.parquet"), &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 240 - 35);
    MN_ASSERT_EQ_STR(r.docs[0].text, "https://example.com/page/1");
    rt_free(&r);
}

static void test_damaged_files_lose_only_what_is_damaged(void) {
    int status = make_files();
    MN_ASSERT_FATAL(status != 2);
    if (status == 1)
        return;
    /* Truncated: the footer is gone, the file is one error. */
    MN_ASSERT_FATAL(rt_sh("cd pq && head -c 30000 wasm-snappy-v1-plain.parquet > cut.parquet"));
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("pq/cut.parquet"), NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 0);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_INT(r.errors[0].status, MN_ERR_CORRUPT);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "bad_parquet_file");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "footer: no PAR1 magic at the end") != NULL);
    rt_free(&r);

    /* Bytes of the small-pages file overwritten in the middle: pages there are lost, the
     * rows before and after are read. */
    MN_ASSERT_FATAL(rt_sh("cd pq && cp wasm-small-pages.parquet hole.parquet && "
                          "head -c 3000 /dev/zero | dd of=hole.parquet bs=1 seek=20000 "
                          "conv=notrunc status=none"));
    MN_ASSERT_FATAL(rt_read(mn_test_path("pq/hole.parquet"), NULL, &r));
    MN_ASSERT_TRUE(r.n_docs > 100 && r.n_docs < 240);
    MN_ASSERT_TRUE(r.n_errors > 10);
    size_t bad = rt_count_reason(&r, "bad_parquet_page");
    MN_ASSERT_TRUE(bad >= 1);
    if (r.n_docs > 0) {
        MN_ASSERT_EQ_INT(r.docs[0].record, 0);
        MN_ASSERT_EQ_INT(r.docs[r.n_docs - 1].record, 239);
    }
    rt_free(&r);
}

static const mn_test_case cases[] = {
    {"files from both writers read exactly", test_files_from_both_writers_read_exactly},
    {"the files cover the page kinds, codecs and encodings",
     test_the_files_cover_the_page_kinds_codecs_and_encodings},
    {"a missing text column names the columns", test_a_missing_text_column_names_the_columns},
    {"damaged files lose only what is damaged", test_damaged_files_lose_only_what_is_damaged},
    {0}};
static const mn_test_suite suites[] = {{"ingest_parquet", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
