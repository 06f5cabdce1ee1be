/* JSON Lines reader: exact documents from plain files and from files compressed by the gzip,
 * zstd, xz and bzip2 command-line tools; every kind of bad record skipped, counted and named;
 * bounded memory on a line of hundreds of MB; damaged compressed streams. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/io.h"
#include "common/mem.h"
#include "ingest/reader.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static const char good_jsonl[] =
    "{\"text\": \"Hello, world.\\nSecond line.\", \"id\": \"doc-1\", \"url\": "
    "\"https://example.com/a\", \"date\": \"2023-05-01\", \"score\": 0.75}\n"
    "{\"id\": 17, \"content\": \"From content: caf\\u00e9 \\ud83d\\ude00\", \"meta\": {\"lang\": "
    "\"fr\", \"n\": [1, 2]}}\n"
    "\n"
    "{\"raw_content\": \"raw \\\"quoted\\\"\", \"url\": \"http://x.org/\", \"text\": null}\n";

static void check_good_documents(const rt_result *r) {
    MN_ASSERT_EQ_INT(r->n_errors, 1); /* line 4 has "text": null (the first default wins) */
    MN_ASSERT_EQ_INT(r->n_docs, 2);
    if (r->n_docs != 2)
        return;
    MN_ASSERT_EQ_STR(r->docs[0].text, "Hello, world.\nSecond line.");
    MN_ASSERT_EQ_STR(r->docs[0].id, "doc-1");
    MN_ASSERT_EQ_STR(r->docs[0].url, "https://example.com/a");
    MN_ASSERT_EQ_STR(r->docs[0].extra, "\"date\":\"2023-05-01\",\"score\":0.75");
    MN_ASSERT_EQ_INT(r->docs[0].record, 0);
    MN_ASSERT_EQ_STR(r->docs[0].location, "line 1");
    MN_ASSERT_EQ_STR(r->docs[1].text, "From content: caf\xc3\xa9 \xf0\x9f\x98\x80");
    MN_ASSERT_EQ_STR(r->docs[1].id, "17");
    MN_ASSERT_TRUE(r->docs[1].url == NULL);
    MN_ASSERT_EQ_STR(r->docs[1].extra, "\"meta\":{\"lang\": \"fr\", \"n\": [1, 2]}");
    MN_ASSERT_EQ_INT(r->docs[1].record, 1);
    MN_ASSERT_EQ_STR(r->errors[0].reason, "missing_text");
    MN_ASSERT_EQ_STR(r->errors[0].location, "line 4");
    MN_ASSERT_EQ_INT(r->errors[0].record, 3);
}

static const char *const keep[] = {"date", "score", "meta", "absent"};

static void test_documents_ids_urls_and_kept_fields_are_exact(void) {
    const char *path = rt_write("good.jsonl", good_jsonl);
    ingest_reader_options options = {.keep_fields = keep, .n_keep_fields = 4};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_JSONL);
    check_good_documents(&r);
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "good.jsonl: line 4: field \"text\" is null") !=
                   NULL);
    MN_ASSERT_EQ_U64(r.bytes_read, sizeof good_jsonl - 1);
    rt_free(&r);
}

static void test_compressed_files_from_the_standard_tools_read_the_same(void) {
    rt_write("c.jsonl", good_jsonl);
    MN_ASSERT_FATAL(rt_sh("gzip -k -9 c.jsonl && zstd -q -19 c.jsonl -o c.jsonl.zst && "
                          "xz -k c.jsonl && bzip2 -k c.jsonl && cp c.jsonl.zst noext && "
                          "gzip -c c.jsonl > c.json.gz.unknown-name"));
    const char *names[] = {"c.jsonl.gz",  "c.jsonl.zst", "c.jsonl.xz",
                           "c.jsonl.bz2", "noext",       "c.json.gz.unknown-name"};
    ingest_reader_options options = {.keep_fields = keep, .n_keep_fields = 4};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), &options, &r));
        MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_JSONL);
        check_good_documents(&r);
        uint64_t size = 0;
        MN_ASSERT_OK(mn_file_size(mn_test_path(names[i]), &size));
        MN_ASSERT_EQ_U64(r.bytes_read, size);
        rt_free(&r);
    }
}

static void test_the_text_field_option_picks_the_field(void) {
    const char *path = rt_write("field.jsonl", "{\"text\": \"t\", \"body\": \"the body\"}\n"
                                               "{\"text\": \"only text\"}\n"
                                               "{\"body\": [\"not\", \"a string\"]}\n");
    ingest_reader_options options = {.text_field = "body"};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_STR(r.docs[0].text, "the body");
    MN_ASSERT_EQ_INT(r.n_errors, 2);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "missing_text");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "line 2: no field \"body\"") != NULL);
    MN_ASSERT_EQ_STR(r.errors[1].reason, "bad_text_field");
    MN_ASSERT_TRUE(
        strstr(r.errors[1].message, "line 3: field \"body\" is an array, not a string") != NULL);
    rt_free(&r);
}

static void test_bad_lines_are_skipped_counted_and_named(void) {
    const char *path = rt_write("bad.jsonl", "{\"text\": \"one\"}\n"
                                             "{\"text\": \"two\"\n"
                                             "[\"an\", \"array\"]\n"
                                             "{\"title\": \"no text\"}\n"
                                             "{\"text\": 5}\n"
                                             "   \n"
                                             "{\"text\": \"six\",}\n"
                                             "{\"text\": \"seven\"} trailing\n"
                                             "{\"text\": \"last, without newline\"}");
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 2);
    MN_ASSERT_EQ_STR(r.docs[0].text, "one");
    MN_ASSERT_EQ_STR(r.docs[1].text, "last, without newline");
    MN_ASSERT_EQ_INT(r.docs[1].record, 8);
    MN_ASSERT_EQ_STR(r.docs[1].location, "line 9");
    MN_ASSERT_EQ_INT(r.n_errors, 6);
    const char *reasons[] = {"bad_json",       "bad_json", "missing_text",
                             "bad_text_field", "bad_json", "bad_json"};
    const char *where[] = {"bad.jsonl: line 2: invalid JSON at column 15: unexpected end "
                           "inside an object; skipped",
                           "bad.jsonl: line 3: a JSON object was expected, found an array; "
                           "skipped",
                           "bad.jsonl: line 4: no text field (looked for text, content, "
                           "raw_content; name yours with --text-field); skipped",
                           "bad.jsonl: line 5: field \"text\" is a number, not a string; skipped",
                           "bad.jsonl: line 7: invalid JSON at column 16: a string key was "
                           "expected; skipped",
                           "bad.jsonl: line 8: invalid JSON at column 19: unexpected data after "
                           "the value; skipped"};
    const uint64_t records[] = {1, 2, 3, 4, 6, 7};
    for (size_t i = 0; i < r.n_errors && i < 6; i++) {
        MN_ASSERT_EQ_INT(r.errors[i].status, MN_ERR_FORMAT);
        MN_ASSERT_EQ_STR(r.errors[i].reason, reasons[i]);
        MN__COUNT();
        if (strstr(r.errors[i].message, where[i]) == NULL)
            MN__FAIL(false, "message \"%s\" lacks \"%s\"", r.errors[i].message, where[i]);
        MN_ASSERT_EQ_INT(r.errors[i].record, records[i]);
    }
    rt_free(&r);
}

static void test_bom_crlf_and_a_json_array_file(void) {
    const char *path =
        rt_write("bom.jsonl", "\xef\xbb\xbf{\"text\": \"a\"}\r\n{\"text\": \"b\"}\r\n");
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, NULL, &r));
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    MN_ASSERT_EQ_INT(r.n_docs, 2);
    MN_ASSERT_EQ_STR(r.docs[1].text, "b");
    MN_ASSERT_EQ_STR(r.docs[1].location, "line 2");
    rt_free(&r);

    path = rt_write("docs.json", "[\n  {\"text\": \"first\", \"id\": \"a\"},\n  {\"nope\": 1},\n"
                                 "  {\"text\": \"third\"}\n]\n");
    MN_ASSERT_FATAL(rt_read(path, NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 2);
    MN_ASSERT_EQ_STR(r.docs[0].text, "first");
    MN_ASSERT_EQ_STR(r.docs[0].id, "a");
    MN_ASSERT_EQ_STR(r.docs[0].location, "element 0");
    MN_ASSERT_EQ_STR(r.docs[1].text, "third");
    MN_ASSERT_EQ_INT(r.docs[1].record, 2);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "missing_text");
    MN_ASSERT_EQ_STR(r.errors[0].location, "element 1");
    rt_free(&r);

    /* A pretty-printed single object in a .json file is one document. */
    path = rt_write("one.json", "{\n  \"text\": \"pretty\",\n  \"id\": 3\n}\n");
    MN_ASSERT_FATAL(rt_read(path, NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_STR(r.docs[0].text, "pretty");
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    rt_free(&r);
}

static void test_a_line_over_the_limit_is_skipped_and_the_next_is_read(void) {
    size_t big = 3 << 20;
    mn_buf content = {0};
    MN_ASSERT_OK(mn_buf_append(&content, "{\"text\":\"", 9));
    for (size_t i = 0; i < big; i++)
        MN_ASSERT_OK_FATAL(mn_buf_append_byte(&content, 'x'));
    MN_ASSERT_OK(mn_buf_append(&content, "\"}\n{\"text\":\"small\"}\n", 20));
    const char *path = mn_test_path("long.jsonl");
    MN_ASSERT_TRUE(mn_test_write_file(path, content.data, content.len));
    mn_buf_free(&content);
    ingest_reader_options options = {.max_record_bytes = 1 << 20};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_STR(r.docs[0].text, "small");
    MN_ASSERT_EQ_STR(r.docs[0].location, "line 2");
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_INT(r.errors[0].status, MN_ERR_LIMIT);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "too_long");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "line 1: line of 3145739 bytes is over the limit "
                                               "of 1048576 bytes") != NULL);
    rt_free(&r);
}

static long peak_rss_kib(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

static void test_a_line_of_hundreds_of_megabytes_is_skipped_in_bounded_memory(void) {
    unsigned long long n = (unsigned long long)(256.0 * (1 << 20) * mn_test_scale());
    MN_ASSERT_FATAL(
        rt_sh("{ printf '{\"text\":\"'; head -c %llu /dev/zero | tr '\\0' a; "
              "printf '\"}\\n{\"text\":\"after\"}\\n'; } | zstd -q -1 -o huge.jsonl.zst",
              n));
    long before = peak_rss_kib();
    ingest_reader_options options = {.max_record_bytes = 1 << 20};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("huge.jsonl.zst"), &options, &r));
    long grown_mib = (peak_rss_kib() - before) / 1024;
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_STR(r.docs[0].text, "after");
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "too_long");
    char expected[128];
    snprintf(expected, sizeof expected, "line 1: line of %llu bytes", n + 11);
    MN_ASSERT_TRUE(strstr(r.errors[0].message, expected) != NULL);
    /* The line is never held: the peak grows by far less than the line. */
    MN__COUNT();
    if (grown_mib > 48)
        MN__FAIL(false, "peak memory grew by %ld MiB reading a %llu-byte line", grown_mib, n);
    rt_free(&r);
}

/* Truncated gzip, zstd, xz and bzip2 streams, and a zstd stream with damaged bytes (zstd's
 * frame checksum catches it; libarchive does not check gzip's CRC, see ingest-inputs.md). */
static void test_a_truncated_or_corrupt_stream_ends_the_file_with_its_offset(void) {
    MN_ASSERT_FATAL(rt_sh("for i in $(seq 1 20000); do printf '{\"text\":\"document %%d\"}\\n' $i; "
                          "done > many.jsonl && gzip -k many.jsonl && zstd -q -k many.jsonl && "
                          "xz -k many.jsonl && bzip2 -k many.jsonl && "
                          "for c in gz zst xz bz2; do "
                          "head -c $(( $(stat -c %%s many.jsonl.$c) / 2 )) many.jsonl.$c "
                          "> cut.jsonl.$c; done && "
                          "cp many.jsonl.zst flip.jsonl.zst && "
                          "printf 'XXXXXXXX' | dd of=flip.jsonl.zst bs=1 seek=5000 conv=notrunc "
                          "status=none"));
    const char *names[] = {"cut.jsonl.gz", "cut.jsonl.zst", "cut.jsonl.xz", "cut.jsonl.bz2",
                           "flip.jsonl.zst"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), NULL, &r));
        MN_ASSERT_TRUE(r.n_errors >= 1);
        MN_ASSERT_TRUE(r.n_docs < 20000);
        /* The documents before the damage are intact and in order (a zstd frame's checksum
         * is checked at its end, after the damaged data came out). */
        for (size_t k = 0; k < r.n_docs && i < 4; k++) {
            char expected[64];
            snprintf(expected, sizeof expected, "document %zu", k + 1);
            if (strcmp(r.docs[k].text, expected) != 0) {
                MN_ASSERT_EQ_STR(r.docs[k].text, expected);
                break;
            }
        }
        if (r.n_errors >= 1) {
            /* The damage ends the file with one message naming the file and the offset. */
            const rt_error *last = &r.errors[r.n_errors - 1];
            MN_ASSERT_EQ_INT(last->status, MN_ERR_CORRUPT);
            MN_ASSERT_EQ_STR(last->reason, "corrupt_stream");
            MN_ASSERT_TRUE(strstr(last->message, names[i]) != NULL);
            MN_ASSERT_TRUE(strstr(last->message, "of the decompressed data") != NULL);
            MN_ASSERT_TRUE(strstr(last->message, "file is skipped") != NULL);
        }
        if (i < 4)
            MN_ASSERT_EQ_INT(r.n_errors, 1);
        rt_free(&r);
    }
}

static void test_empty_inputs_are_reported_once(void) {
    rt_write("empty.jsonl", "");
    MN_ASSERT_FATAL(rt_sh(": | gzip -c > empty2.jsonl.gz"));
    const char *names[] = {"empty.jsonl", "empty2.jsonl.gz"};
    for (size_t i = 0; i < 2; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), NULL, &r));
        MN_ASSERT_EQ_INT(r.n_docs, 0);
        MN_ASSERT_EQ_INT(r.n_errors, 1);
        MN_ASSERT_EQ_STR(r.errors[0].reason, "empty_file");
        MN_ASSERT_TRUE(strstr(r.errors[0].message, names[i]) != NULL);
        rt_free(&r);
    }
}

static void test_a_missing_file_is_an_open_error_naming_it(void) {
    ingest_reader *reader = NULL;
    MN_ASSERT_STATUS(ingest_reader_open(&reader, mn_test_path("nope.jsonl"), NULL),
                     MN_ERR_NOT_FOUND);
    MN_ASSERT_ERROR_CONTAINS("nope.jsonl");
    MN_ASSERT_TRUE(reader == NULL);
    MN_ASSERT_STATUS(ingest_reader_open(&reader, mn_test_tmpdir(), NULL), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("is a directory");
}

static const mn_test_case cases[] = {
    {"documents, ids, urls and kept fields are exact",
     test_documents_ids_urls_and_kept_fields_are_exact},
    {"files compressed by gzip, zstd, xz and bzip2 read the same",
     test_compressed_files_from_the_standard_tools_read_the_same},
    {"the text field option picks the field", test_the_text_field_option_picks_the_field},
    {"bad lines are skipped, counted and named", test_bad_lines_are_skipped_counted_and_named},
    {"a byte-order mark, CRLF and JSON array files", test_bom_crlf_and_a_json_array_file},
    {"a line over the limit is skipped and the next is read",
     test_a_line_over_the_limit_is_skipped_and_the_next_is_read},
    {"a line of hundreds of MB is skipped in bounded memory",
     test_a_line_of_hundreds_of_megabytes_is_skipped_in_bounded_memory},
    {"a truncated or corrupt stream ends the file with its offset",
     test_a_truncated_or_corrupt_stream_ends_the_file_with_its_offset},
    {"empty inputs are reported once", test_empty_inputs_are_reported_once},
    {"a missing file is an open error naming it", test_a_missing_file_is_an_open_error_naming_it},
    {0}};
static const mn_test_suite suites[] = {{"ingest_jsonl", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
