/* Plain text reader (whole file, paragraphs, separator lines) and format detection. */
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "ingest/reader.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static void test_a_whole_file_is_one_document_byte_for_byte(void) {
    const char content[] = "First line.\r\n\nSecond paragraph \xff with a stray byte.\n";
    const char *path = rt_write("whole.txt", content);
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, NULL, &r));
    MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_TEXT);
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_INT(r.docs[0].text_len, sizeof content - 1);
    MN_ASSERT_EQ_MEM(r.docs[0].text, content, sizeof content - 1);
    MN_ASSERT_EQ_INT(r.docs[0].record, 0);
    MN_ASSERT_EQ_STR(r.docs[0].location, "line 1");
    MN_ASSERT_TRUE(r.docs[0].id == NULL);
    rt_free(&r);
}

static void test_paragraphs_are_blank_line_separated_blocks(void) {
    const char *path = rt_write("para.txt", "\n\n  \nAlpha one\nalpha two\n\n\n \t \nBeta\r\n\r\n"
                                            "Gamma\n  indented\n");
    ingest_reader_options options = {.split_paragraphs = true};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    MN_ASSERT_EQ_INT(r.n_docs, 3);
    if (r.n_docs == 3) {
        MN_ASSERT_EQ_STR(r.docs[0].text, "Alpha one\nalpha two");
        MN_ASSERT_EQ_STR(r.docs[0].location, "line 4");
        MN_ASSERT_EQ_STR(r.docs[1].text, "Beta\r");
        MN_ASSERT_EQ_STR(r.docs[1].location, "line 9");
        MN_ASSERT_EQ_STR(r.docs[2].text, "Gamma\n  indented");
        MN_ASSERT_EQ_INT(r.docs[2].record, 2);
    }
    rt_free(&r);
}

/* The layout of the fortune databases (the quickstart corpus). */
static void test_separator_lines_split_fortune_files(void) {
    const char *path = rt_write("fortunes", "A first fortune.\n%\nA second one,\n\n    on lines.\n"
                                            "%\r\n%\nThird -- Author\n%\n");
    ingest_reader_options options = {.split_line = "%"};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_TEXT);
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    MN_ASSERT_EQ_INT(r.n_docs, 3);
    if (r.n_docs == 3) {
        MN_ASSERT_EQ_STR(r.docs[0].text, "A first fortune.");
        MN_ASSERT_EQ_STR(r.docs[1].text, "A second one,\n\n    on lines.");
        MN_ASSERT_EQ_STR(r.docs[1].location, "line 3");
        MN_ASSERT_EQ_STR(r.docs[2].text, "Third -- Author");
        MN_ASSERT_EQ_INT(r.docs[2].record, 2);
        MN_ASSERT_EQ_STR(r.docs[2].location, "line 8");
    }
    rt_free(&r);

    /* Both options: blank lines split too. */
    options.split_paragraphs = true;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 4);
    rt_free(&r);
}

static void test_an_installed_fortune_database_reads_when_present(void) {
    const char *path = "/usr/share/games/fortunes/fortunes";
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        printf("(skipped: %s is not installed)\n", path);
        MN_ASSERT_TRUE(true);
        return;
    }
    /* Count separators independently of the reader. */
    char line[4096];
    size_t separators = 0;
    while (fgets(line, sizeof line, fp) != NULL)
        separators += strcmp(line, "%\n") == 0;
    fclose(fp);
    ingest_reader_options options = {.split_line = "%"};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    /* One fortune per separator, plus the last one when the file does not end with one. */
    MN_ASSERT_TRUE(r.n_docs == separators || r.n_docs == separators + 1);
    rt_free(&r);
}

static void test_blocks_over_the_limit_are_skipped_and_counted(void) {
    mn_buf content = {0};
    MN_ASSERT_OK(mn_buf_appendf(&content, "short one\n%%\n"));
    for (int i = 0; i < 200; i++)
        MN_ASSERT_OK(mn_buf_appendf(&content, "a rather long line number %03d of the block\n", i));
    MN_ASSERT_OK(mn_buf_appendf(&content, "%%\nshort two\n"));
    const char *path = mn_test_path("limit.txt");
    MN_ASSERT_TRUE(mn_test_write_file(path, content.data, content.len));
    mn_buf_free(&content);
    ingest_reader_options options = {.split_line = "%", .max_record_bytes = 4096};
    rt_result r;
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 2);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    if (r.n_docs == 2 && r.n_errors == 1) {
        MN_ASSERT_EQ_STR(r.docs[0].text, "short one");
        MN_ASSERT_EQ_STR(r.docs[1].text, "short two");
        MN_ASSERT_EQ_INT(r.docs[1].record, 2);
        MN_ASSERT_EQ_STR(r.errors[0].reason, "too_long");
        MN_ASSERT_EQ_INT(r.errors[0].record, 1);
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "limit.txt: line 3: block of 8599 bytes is "
                                                   "over the limit of 4096 bytes") != NULL);
    }
    rt_free(&r);

    /* Whole-file mode: the file over the limit is one skipped record. */
    options = (ingest_reader_options){.max_record_bytes = 100};
    MN_ASSERT_FATAL(rt_read(path, &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 0);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "too_long");
    rt_free(&r);
}

static void test_compressed_text_reads_like_plain_text(void) {
    rt_write("z.txt", "one\n%\ntwo\n");
    MN_ASSERT_FATAL(rt_sh("zstd -q z.txt -o z.txt.zst && xz -k z.txt"));
    ingest_reader_options options = {.split_line = "%"};
    const char *names[] = {"z.txt.zst", "z.txt.xz"};
    for (int i = 0; i < 2; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), &options, &r));
        MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_TEXT);
        MN_ASSERT_EQ_INT(r.n_docs, 2);
        if (r.n_docs == 2)
            MN_ASSERT_EQ_STR(r.docs[1].text, "two");
        rt_free(&r);
    }
}

static void test_formats_are_detected_by_magic_bytes_then_name_then_content(void) {
    static const struct {
        const char *name;
        const char *content;
        size_t len;
        ingest_format expected;
    } cases[] = {
        {"a.dat", "PAR1\x15\x04", 6, INGEST_FORMAT_PARQUET},
        {"a.jsonl", "PK\x03\x04rest", 8, INGEST_FORMAT_ARCHIVE},
        {"a.txt", "WARC/1.0\r\nWARC-Type: warcinfo\r\n", 31, INGEST_FORMAT_WARC},
        {"a", "WARC/1.0\r\nWARC-Type: warcinfo\r\n\r\nWARC/1.0\r\nWARC-Type: conversion\r\n", 66,
         INGEST_FORMAT_WET},
        {"a.warc.wet", "WARC/1.0\r\n", 10, INGEST_FORMAT_WET},
        {"x.jsonl", "plain words", 11, INGEST_FORMAT_JSONL},
        {"x.ndjson", "{}", 2, INGEST_FORMAT_JSONL},
        {"x.parquet", "not really", 10, INGEST_FORMAT_PARQUET},
        {"x.tar", "nothing", 7, INGEST_FORMAT_ARCHIVE},
        {"x.tgz", "nothing", 7, INGEST_FORMAT_ARCHIVE},
        {"x.zip", "nothing", 7, INGEST_FORMAT_ARCHIVE},
        {"x.warc", "nothing", 7, INGEST_FORMAT_WARC},
        {"x.txt", "{\"a\":1}", 7, INGEST_FORMAT_TEXT},
        {"noname", "  {\"text\": \"x\"}", 15, INGEST_FORMAT_JSONL},
        {"noname", "[{\"text\": \"x\"}]", 15, INGEST_FORMAT_JSONL},
        {"noname", "Just some words.\n", 17, INGEST_FORMAT_TEXT},
        {"noname", "Caf\xe9 latin-1\n", 13, INGEST_FORMAT_TEXT},
        {"noname",
         "\x7f"
         "ELF\x02\x01\x01\x00\x00",
         9, INGEST_FORMAT_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = mn_test_path(cases[i].name);
        MN_ASSERT_TRUE(mn_test_write_file(path, cases[i].content, cases[i].len));
        ingest_format format = INGEST_FORMAT_COUNT;
        MN_ASSERT_OK(ingest_format_detect(path, &format));
        MN__COUNT();
        if (format != cases[i].expected)
            MN__FAIL(false, "case %zu (%s): detected %s, expected %s", i, cases[i].name,
                     ingest_format_name(format), ingest_format_name(cases[i].expected));
    }
    /* A tar archive made by tar, compressed or not, is an archive whatever its name. */
    MN_ASSERT_FATAL(rt_sh("mkdir -p t && echo hi > t/a.txt && tar -cf t.bin t && "
                          "tar -czf tgz.bin t && tar --zstd -cf tzst.bin t"));
    const char *archives[] = {"t.bin", "tgz.bin", "tzst.bin"};
    for (int i = 0; i < 3; i++) {
        ingest_format format;
        MN_ASSERT_OK(ingest_format_detect(mn_test_path(archives[i]), &format));
        MN_ASSERT_EQ_INT(format, INGEST_FORMAT_ARCHIVE);
    }
}

static void test_unknown_binary_content_is_skipped_with_a_hint(void) {
    const char binary[] = "\x7f"
                          "ELF\x02\x01\x01\x00\x00\x00\x00\x00";
    rt_result r;
    MN_ASSERT_FATAL(rt_read_memory(binary, sizeof binary - 1, "prog", NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 0);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "unknown_format");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "prog: not a format mnemo reads") != NULL);
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "--format") != NULL);
    rt_free(&r);

    /* Compressed, by its magic bytes, but undecodable from the start, without a telling name. */
    MN_ASSERT_FATAL(rt_sh("printf '\\037\\213\\010\\000\\000\\000\\000\\000\\000"
                          "\\003not deflate data at all' > blob"));
    MN_ASSERT_FATAL(rt_read(mn_test_path("blob"), NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 0);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    MN_ASSERT_EQ_STR(r.errors[0].reason, "corrupt_stream");
    MN_ASSERT_TRUE(strstr(r.errors[0].message, "blob: looks compressed but cannot be "
                                               "decompressed") != NULL);
    rt_free(&r);

    /* Forced to text, the same bytes are one document. */
    ingest_reader_options options = {.format = INGEST_FORMAT_TEXT};
    MN_ASSERT_FATAL(rt_read_memory(binary, sizeof binary - 1, "prog", &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    MN_ASSERT_EQ_INT(r.docs[0].text_len, sizeof binary - 1);
    rt_free(&r);
}

/* A compressed file that holds nothing is one "empty_file", whichever reader gets it. */
static void test_a_compressed_empty_file_is_reported_once_by_every_reader(void) {
    MN_ASSERT_FATAL(rt_sh(": | xz --format=lzma > empty.lzma && : | zstd -q > empty.zst"));
    const ingest_format formats[] = {INGEST_FORMAT_AUTO, INGEST_FORMAT_TEXT, INGEST_FORMAT_JSONL,
                                     INGEST_FORMAT_WARC};
    const char *names[] = {"empty.lzma", "empty.zst"};
    for (int n = 0; n < 2; n++) {
        for (int i = 0; i < 4; i++) {
            ingest_reader_options options = {.format = formats[i], .split_line = "%"};
            rt_result r;
            MN_ASSERT_FATAL(rt_read(mn_test_path(names[n]), &options, &r));
            MN_ASSERT_EQ_INT(r.n_docs, 0);
            MN_ASSERT_EQ_INT(r.n_errors, 1);
            MN_ASSERT_EQ_STR(r.errors[0].reason, "empty_file");
            rt_free(&r);
        }
    }
}

static void test_format_names_round_trip(void) {
    for (int i = 0; i < INGEST_FORMAT_COUNT; i++) {
        ingest_format format;
        MN_ASSERT_OK(ingest_format_parse(ingest_format_name((ingest_format)i), &format));
        MN_ASSERT_EQ_INT(format, i);
    }
    ingest_format format;
    MN_ASSERT_STATUS(ingest_format_parse("csv", &format), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("unknown input format 'csv'; use one of auto, jsonl");
}

static const mn_test_case cases[] = {
    {"a whole file is one document, byte for byte",
     test_a_whole_file_is_one_document_byte_for_byte},
    {"paragraphs are blank-line separated blocks", test_paragraphs_are_blank_line_separated_blocks},
    {"separator lines split fortune files", test_separator_lines_split_fortune_files},
    {"an installed fortune database reads when present",
     test_an_installed_fortune_database_reads_when_present},
    {"blocks over the limit are skipped and counted",
     test_blocks_over_the_limit_are_skipped_and_counted},
    {"compressed text reads like plain text", test_compressed_text_reads_like_plain_text},
    {"formats are detected by magic bytes, then name, then content",
     test_formats_are_detected_by_magic_bytes_then_name_then_content},
    {"unknown binary content is skipped with a hint",
     test_unknown_binary_content_is_skipped_with_a_hint},
    {"a compressed empty file is reported once by every reader",
     test_a_compressed_empty_file_is_reported_once_by_every_reader},
    {"format names round-trip", test_format_names_round_trip},
    {0}};
static const mn_test_suite suites[] = {{"ingest_text", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
