/* Document shards (*.jsonl.zst): exact bytes, round trips, determinism, refusals, bad lines,
 * damaged streams, atomic publishing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/io.h"
#include "common/mem.h"
#include "common/rng.h"
#include "shards/docshard.h"
#include "shards/json.h"
#include "tests/harness/mn_test.h"
#include "tests/shards/shard_test_util.h"

static doc_record make_doc(const char *id, const char *text, size_t text_len, const char *source) {
    return (doc_record){.id = id,
                        .id_len = strlen(id),
                        .text = text,
                        .text_len = text_len,
                        .source = source,
                        .source_len = strlen(source)};
}

/* Every escaping rule in one document: quote, backslash, the short escapes, other control
 * characters as lowercase \u00XX, U+0000 inside the text, DEL and non-ASCII kept raw,
 * '/' not escaped. */
static void test_exact_bytes(void) {
    static const char text[] = "q\"b\\n\nt\tr\rb\bf\f"
                               "c\x01"
                               "d\x1f"
                               "z\0"
                               "del\x7f/ \xc3\xa9 \xf0\x9f\x98\x80";
    const char *path = mn_test_path("exact.jsonl.zst");
    docshard_writer *w;
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, 0));
    doc_record d = make_doc("doc-1", text, sizeof text - 1, "web");
    d.url = "https://e.x/?a=1&b=\"2\"";
    d.url_len = strlen(d.url);
    d.extra_json = "\"date\":\"2023\",\"score\":0.5";
    d.extra_json_len = strlen(d.extra_json);
    MN_ASSERT_OK(docshard_writer_append(w, &d));
    doc_record e = make_doc("2", "", 0, "books");
    MN_ASSERT_OK(docshard_writer_append(w, &e));
    uint64_t json_bytes = docshard_writer_bytes(w);
    docshard_info info;
    MN_ASSERT_OK_FATAL(docshard_writer_close(w, &info));

    static const char expected[] = "{\"id\":\"doc-1\",\"text\":\"q\\\"b\\\\n\\nt\\tr\\rb\\bf\\f"
                                   "c\\u0001d\\u001fz\\u0000del\x7f/ \xc3\xa9 \xf0\x9f\x98\x80\","
                                   "\"source\":\"web\",\"url\":\"https://e.x/?a=1&b=\\\"2\\\"\","
                                   "\"date\":\"2023\",\"score\":0.5}\n"
                                   "{\"id\":\"2\",\"text\":\"\",\"source\":\"books\"}\n";
    size_t len;
    uint8_t *bytes = shard_test_read_zstd(path, &len);
    MN_ASSERT_FATAL(bytes != NULL);
    MN_ASSERT_EQ_U64(len, sizeof expected - 1);
    MN_ASSERT_EQ_MEM(bytes, expected, sizeof expected - 1);
    MN_ASSERT_EQ_U64(json_bytes, sizeof expected - 1);
    free(bytes);

    MN_ASSERT_EQ_U64(info.documents, 2);
    MN_ASSERT_EQ_U64(info.text_bytes, sizeof text - 1);
    size_t file_len;
    uint8_t *file = shard_test_read_file(path, &file_len);
    MN_ASSERT_FATAL(file != NULL);
    MN_ASSERT_EQ_U64(info.file_bytes, file_len);
    MN_ASSERT_EQ_U64(info.xxh64, mn_xxh64(file, file_len, 0));
    free(file);
}

/* Random valid UTF-8 with every control character and some multi-byte characters. */
static size_t random_text(mn_rng *rng, char *out, size_t max) {
    size_t n = 0;
    size_t target = mn_rng_below(rng, max - 4);
    while (n < target) {
        uint64_t kind = mn_rng_below(rng, 10);
        if (kind == 0) {
            out[n++] = (char)mn_rng_below(rng, 0x20); /* control, NUL included */
        } else if (kind == 1) {
            out[n++] = "\"\\/\x7f"[mn_rng_below(rng, 4)];
        } else if (kind == 2) {
            memcpy(out + n, "\xc3\xa9", 2); /* é */
            n += 2;
        } else if (kind == 3) {
            memcpy(out + n, "\xe2\x82\xac", 3); /* € */
            n += 3;
        } else if (kind == 4) {
            memcpy(out + n, "\xf0\x9f\x98\x80", 4);
            n += 4;
        } else {
            out[n++] = (char)(0x20 + mn_rng_below(rng, 0x5f));
        }
    }
    return n;
}

typedef struct stored_doc {
    char id[32];
    char *text;
    size_t text_len;
    bool with_url;
} stored_doc;

static void test_round_trip(void) {
    enum { MAX_TEXT = 4096 };
    size_t count = (size_t)(400 * mn_test_scale()) + 10;
    mn_rng rng;
    mn_rng_seed(&rng, 42);
    stored_doc *docs = calloc(count, sizeof *docs);
    MN_ASSERT_FATAL(docs != NULL);
    const char *path = mn_test_path("round.jsonl.zst");
    docshard_writer *w;
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, 5));
    uint64_t text_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        docs[i].text = malloc(MAX_TEXT);
        /* One document far larger than the writer's staging pieces. */
        size_t cap = i == count / 2 ? MAX_TEXT : MAX_TEXT / 4;
        if (i == count / 2) {
            free(docs[i].text);
            docs[i].text = malloc(1 << 20);
            cap = 1 << 20;
        }
        docs[i].text_len = random_text(&rng, docs[i].text, cap);
        snprintf(docs[i].id, sizeof docs[i].id, "r-%zu", i);
        docs[i].with_url = i % 3 == 0;
        doc_record d = make_doc(docs[i].id, docs[i].text, docs[i].text_len, "random");
        if (docs[i].with_url) {
            d.url = "u";
            d.url_len = 1;
        }
        MN_ASSERT_OK(docshard_writer_append(w, &d));
        text_bytes += docs[i].text_len;
    }
    docshard_info info;
    MN_ASSERT_OK_FATAL(docshard_writer_close(w, &info));
    MN_ASSERT_EQ_U64(info.documents, count);
    MN_ASSERT_EQ_U64(info.text_bytes, text_bytes);

    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
    size_t seen = 0, mismatches = 0;
    for (;;) {
        doc_record d;
        bool done;
        mn_status s = docshard_reader_next(r, &d, &done);
        MN_ASSERT_OK(s);
        if (s != MN_OK || done)
            break;
        if (seen < count) {
            const stored_doc *x = &docs[seen];
            if (d.id_len != strlen(x->id) || memcmp(d.id, x->id, d.id_len) != 0 ||
                d.text_len != x->text_len || memcmp(d.text, x->text, d.text_len) != 0 ||
                d.source_len != 6 || memcmp(d.source, "random", 6) != 0 ||
                (d.url != NULL) != x->with_url || d.extra_json != NULL)
                mismatches++;
        }
        seen++;
        MN_ASSERT_EQ_U64(docshard_reader_line(r), seen);
    }
    MN_ASSERT_EQ_U64(seen, count);
    MN_ASSERT_EQ_U64(mismatches, 0);
    MN_ASSERT_EQ_U64(docshard_reader_compressed_offset(r), info.file_bytes);
    docshard_reader_close(r);
    for (size_t i = 0; i < count; i++)
        free(docs[i].text);
    free(docs);
}

static void write_fixed_shard(const char *path, int level) {
    docshard_writer *w;
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, level));
    for (int i = 0; i < 2000; i++) {
        char id[16], text[128];
        snprintf(id, sizeof id, "%d", i);
        int n = snprintf(text, sizeof text, "document %d says \"hello\"\n\twith a tab", i * 7);
        doc_record d = make_doc(id, text, (size_t)n, "fixed");
        MN_ASSERT_OK(docshard_writer_append(w, &d));
    }
    MN_ASSERT_OK(docshard_writer_close(w, NULL));
}

static void test_deterministic(void) {
    const char *a = mn_test_path("same-a.jsonl.zst"), *b = mn_test_path("same-b.jsonl.zst");
    write_fixed_shard(a, 0);
    write_fixed_shard(b, 0);
    size_t la, lb;
    uint8_t *da = shard_test_read_file(a, &la), *db = shard_test_read_file(b, &lb);
    MN_ASSERT_FATAL(da != NULL && db != NULL);
    MN_ASSERT_EQ_U64(la, lb);
    MN_ASSERT_EQ_MEM(da, db, la < lb ? la : lb);
    free(da);
    free(db);
}

static void test_invalid_utf8_refused(void) {
    const char *path = mn_test_path("utf8.jsonl.zst");
    docshard_writer *w;
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, 0));
    static const char *const bad[] = {
        "abc\xff",          /* never valid */
        "\xc0\xaf",         /* overlong '/' */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xe2\x82",         /* truncated sequence */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        doc_record d = make_doc("bad-doc", bad[i], strlen(bad[i]), "s");
        MN_ASSERT_STATUS(docshard_writer_append(w, &d), MN_ERR_FORMAT);
        MN_ASSERT_ERROR_CONTAINS("bad-doc");
        MN_ASSERT_ERROR_CONTAINS("not valid UTF-8");
    }
    doc_record bad_id = make_doc("id\xfe", "t", 1, "s");
    MN_ASSERT_STATUS(docshard_writer_append(w, &bad_id), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("id is not valid UTF-8");
    doc_record no_source = make_doc("x", "t", 1, "s");
    no_source.source = NULL;
    MN_ASSERT_STATUS(docshard_writer_append(w, &no_source), MN_ERR_ARG);
    doc_record bad_extra = make_doc("x", "t", 1, "s");
    bad_extra.extra_json = "\"a\":";
    bad_extra.extra_json_len = 4;
    MN_ASSERT_STATUS(docshard_writer_append(w, &bad_extra), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("extra members");
    bad_extra.extra_json = "\"a\":1,\"text\":\"again\"";
    bad_extra.extra_json_len = strlen(bad_extra.extra_json);
    MN_ASSERT_STATUS(docshard_writer_append(w, &bad_extra), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("repeats a standard document key");
    /* The writer is still usable and the refused documents left no trace. */
    doc_record good = make_doc("good", "fine \xc3\xa9", 7, "s");
    MN_ASSERT_OK(docshard_writer_append(w, &good));
    docshard_info info;
    MN_ASSERT_OK_FATAL(docshard_writer_close(w, &info));
    MN_ASSERT_EQ_U64(info.documents, 1);
    size_t len;
    uint8_t *bytes = shard_test_read_zstd(path, &len);
    MN_ASSERT_FATAL(bytes != NULL);
    MN_ASSERT_EQ_STR((char *)bytes,
                     "{\"id\":\"good\",\"text\":\"fine \xc3\xa9\",\"source\":\"s\"}\n");
    free(bytes);
}

static void test_atomic_publish(void) {
    const char *path = mn_test_path("atomic.jsonl.zst");
    const char *tmp = mn_test_path("atomic.jsonl.zst.tmp");
    docshard_writer *w;
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, path, 0));
    doc_record d = make_doc("a", "b", 1, "c");
    MN_ASSERT_OK(docshard_writer_append(w, &d));
    MN_ASSERT_TRUE(mn_path_exists(tmp));
    MN_ASSERT_TRUE(!mn_path_exists(path));
    MN_ASSERT_OK(docshard_writer_close(w, NULL));
    MN_ASSERT_TRUE(mn_path_exists(path));
    MN_ASSERT_TRUE(!mn_path_exists(tmp));

    const char *aborted = mn_test_path("aborted.jsonl.zst");
    MN_ASSERT_OK_FATAL(docshard_writer_open(&w, aborted, 0));
    MN_ASSERT_OK(docshard_writer_append(w, &d));
    docshard_writer_abort(w);
    MN_ASSERT_TRUE(!mn_path_exists(aborted));
    MN_ASSERT_TRUE(!mn_path_exists(mn_test_path("aborted.jsonl.zst.tmp")));
    docshard_writer_abort(NULL);
}

typedef struct expected_line {
    mn_status status;
    const char *id;     /* for MN_OK */
    const char *needle; /* in the error message */
} expected_line;

static void read_expecting(const char *path, const expected_line *expected, size_t n) {
    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
    for (size_t i = 0; i < n; i++) {
        doc_record d;
        bool done = false;
        mn_status s = docshard_reader_next(r, &d, &done);
        MN_ASSERT_TRUE(!done);
        MN_ASSERT_STATUS(s, expected[i].status);
        if (s == MN_OK && expected[i].id != NULL && s == expected[i].status) {
            MN_ASSERT_EQ_U64(d.id_len, strlen(expected[i].id));
            MN_ASSERT_TRUE(memcmp(d.id, expected[i].id, d.id_len) == 0);
        }
        if (s != MN_OK && expected[i].needle != NULL)
            MN_ASSERT_ERROR_CONTAINS(expected[i].needle);
    }
    doc_record d;
    bool done = false;
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(done);
    docshard_reader_close(r);
}

static void test_bad_lines_skipped(void) {
    static const char jsonl[] =
        "{\"id\":\"a\",\"text\":\"one\",\"source\":\"s\"}\n" /* 1 */
        "{\"id\":\"b\",\"text\":\"two\",\"source\":\n"       /* 2: truncated */
        "{\"id\":\"c\",\"source\":\"s\"}\n"                  /* 3: no text */
        "\n"                                                 /* 4: blank */
        "{\"id\":\"d\",\"text\":7}\n"                        /* 5: text not a string */
        "{\"id\":\"e\",\"text\":\"raw\ttab\"}\n"             /* 6: raw control char */
        "{\"id\":\"f\",\"text\":\"x\"} trailing\n"           /* 7 */
        "{\"id\":\"g\",\"text\":\"\\ud800\"}\n"              /* 8: lone surrogate */
        "{\"id\":\"h\",\"text\":\"x\",\"text\":\"y\"}\n"     /* 9: duplicate */
        "[1,2]\n"                                            /* 10: not an object */
        "{\"id\":\"i\",\"text\":\"bad \xff byte\"}\n"        /* 11: invalid UTF-8 */
        "{\"id\":\"j\",\"text\":\"\\q\"}\n"                  /* 12: bad escape */
        "{\"id\":\"k\",\"text\":\"fine\"}\r\n"               /* 13: CRLF is fine */
        "{\"id\":\"l\",\"text\":\"last, no newline\"}";      /* 14 */
    const char *path = mn_test_path("bad-lines.jsonl.zst");
    MN_ASSERT_FATAL(shard_test_write_zstd(path, jsonl, sizeof jsonl - 1));
    expected_line expected[] = {
        {MN_OK, "a", NULL},
        {MN_ERR_FORMAT, NULL, "bad-lines.jsonl.zst line 2"},
        {MN_ERR_FORMAT, NULL, "line 3: not a valid document; skipped: column 1: no \"text\""},
        {MN_ERR_FORMAT, NULL, "line 5"},
        {MN_ERR_FORMAT, NULL, "line 6: not a valid document; skipped: column 22: raw control"},
        {MN_ERR_FORMAT, NULL, "line 7"},
        {MN_ERR_FORMAT, NULL, "lone high surrogate"},
        {MN_ERR_FORMAT, NULL, "duplicate key \"text\""},
        {MN_ERR_FORMAT, NULL, "line 10"},
        {MN_ERR_FORMAT, NULL, "line 11: not a valid document; skipped: column 23: invalid UTF-8"},
        {MN_ERR_FORMAT, NULL, "invalid escape \\q"},
        {MN_OK, "k", NULL},
        {MN_OK, "l", NULL},
    };
    read_expecting(path, expected, sizeof expected / sizeof expected[0]);
}

/* Documents written by other tools: escapes we never write, any key order, numeric ids,
 * nulls, nested extra members. */
static void test_foreign_json(void) {
    static const char jsonl[] =
        "{ \"meta\" : {\"a\": [1, 2.5e3, null]}, \"text\": \"caf\\u00e9 \\/ \\ud83d\\ude00 "
        "\\u0000!\", \"id\": 12345, \"url\": null, \"lang\":\"fr\" }\n";
    const char *path = mn_test_path("foreign.jsonl.zst");
    MN_ASSERT_FATAL(shard_test_write_zstd(path, jsonl, sizeof jsonl - 1));
    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
    doc_record d;
    bool done;
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    static const char text[] = "caf\xc3\xa9 / \xf0\x9f\x98\x80 \0!";
    MN_ASSERT_EQ_U64(d.text_len, sizeof text - 1);
    MN_ASSERT_EQ_MEM(d.text, text, sizeof text - 1);
    MN_ASSERT_EQ_U64(d.id_len, 5);
    MN_ASSERT_EQ_MEM(d.id, "12345", 5);
    MN_ASSERT_EQ_U64(d.source_len, 0);
    MN_ASSERT_TRUE(d.url == NULL);
    static const char extra[] = "\"meta\" : {\"a\": [1, 2.5e3, null]},\"lang\":\"fr\"";
    MN_ASSERT_EQ_U64(d.extra_json_len, sizeof extra - 1);
    MN_ASSERT_TRUE(d.extra_json != NULL && memcmp(d.extra_json, extra, sizeof extra - 1) == 0);
    /* What this reader returns, the writer takes back unchanged. */
    MN_ASSERT_OK(shard__json_check_members(d.extra_json, d.extra_json_len));
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(done);
    docshard_reader_close(r);
}

static void test_line_cap(void) {
    char *jsonl = malloc(5000);
    MN_ASSERT_FATAL(jsonl != NULL);
    size_t n = (size_t)sprintf(jsonl, "{\"text\":\"");
    memset(jsonl + n, 'x', 3000);
    n += 3000;
    n += (size_t)sprintf(jsonl + n, "\"}\n{\"id\":\"after\",\"text\":\"ok\"}\n");
    const char *path = mn_test_path("long.jsonl.zst");
    MN_ASSERT_FATAL(shard_test_write_zstd(path, jsonl, n));
    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
    docshard_reader_set_max_line(r, 1000);
    doc_record d;
    bool done;
    MN_ASSERT_STATUS(docshard_reader_next(r, &d, &done), MN_ERR_LIMIT);
    MN_ASSERT_ERROR_CONTAINS("long.jsonl.zst line 1");
    MN_ASSERT_ERROR_CONTAINS("line cap");
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(!done && d.id_len == 5 && memcmp(d.id, "after", 5) == 0);
    MN_ASSERT_EQ_U64(docshard_reader_line(r), 2);
    docshard_reader_close(r);
    free(jsonl);
}

/* Reads to the end and returns the first status other than MN_OK and MN_ERR_FORMAT. */
static mn_status drain(const char *path, uint64_t *good) {
    docshard_reader *r;
    mn_status s = docshard_reader_open(&r, path);
    if (s != MN_OK)
        return s;
    *good = 0;
    mn_status found = MN_OK;
    for (int guard = 0; guard < 100000; guard++) {
        doc_record d;
        bool done;
        s = docshard_reader_next(r, &d, &done);
        if (s == MN_OK && done)
            break;
        if (s == MN_OK)
            (*good)++;
        else if (s != MN_ERR_FORMAT && found == MN_OK)
            found = s;
    }
    docshard_reader_close(r);
    return found;
}

static void test_truncated_and_corrupt(void) {
    const char *path = mn_test_path("damaged.jsonl.zst");
    write_fixed_shard(path, 0);
    size_t len;
    uint8_t *bytes = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(bytes != NULL && len > 100);

    uint64_t good = 0;
    MN_ASSERT_FATAL(shard_test_rewrite(path, bytes, len / 2));
    MN_ASSERT_STATUS(drain(path, &good), MN_ERR_CORRUPT);
    MN_ASSERT_TRUE(good < 2000);
    /* The message names the file and says what happened. */
    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open(&r, path));
    mn_status s = MN_OK;
    for (int i = 0; i < 5000 && s != MN_ERR_CORRUPT; i++) {
        doc_record d;
        bool done;
        s = docshard_reader_next(r, &d, &done);
    }
    MN_ASSERT_STATUS(s, MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("damaged.jsonl.zst: truncated");
    doc_record d;
    bool done = false;
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(done); /* the reader is done after a damaged stream */
    docshard_reader_close(r);

    /* A flipped bit in the compressed data (the frame's content checksum catches what the
     * decoder itself does not). */
    for (size_t at = 20; at < len - 8; at += len / 7) {
        uint8_t *copy = malloc(len);
        memcpy(copy, bytes, len);
        copy[at] ^= 0x10;
        MN_ASSERT_FATAL(shard_test_rewrite(path, copy, len));
        MN_ASSERT_STATUS(drain(path, &good), MN_ERR_CORRUPT);
        free(copy);
    }
    free(bytes);

    const char *plain = mn_test_path("plain.jsonl.zst");
    MN_ASSERT_FATAL(shard_test_rewrite(plain, "{\"text\":\"x\"}\n", 13));
    MN_ASSERT_STATUS(docshard_reader_open(&r, plain), MN_ERR_FORMAT);
    MN_ASSERT_ERROR_CONTAINS("not a zstd-compressed file");
    MN_ASSERT_FATAL(shard_test_rewrite(plain, "", 0));
    MN_ASSERT_STATUS(docshard_reader_open(&r, plain), MN_ERR_CORRUPT);
    MN_ASSERT_STATUS(docshard_reader_open(&r, mn_test_path("missing.jsonl.zst")), MN_ERR_NOT_FOUND);
}

static void test_several_frames(void) {
    static const char a[] = "{\"id\":\"1\",\"text\":\"first frame\"}\n";
    static const char b[] = "{\"id\":\"2\",\"text\":\"second frame\"}\n";
    const char *pa = mn_test_path("fa.zst"), *pb = mn_test_path("fb.zst");
    MN_ASSERT_FATAL(shard_test_write_zstd(pa, a, sizeof a - 1));
    MN_ASSERT_FATAL(shard_test_write_zstd(pb, b, sizeof b - 1));
    size_t la, lb;
    uint8_t *da = shard_test_read_file(pa, &la), *db = shard_test_read_file(pb, &lb);
    MN_ASSERT_FATAL(da && db);
    uint8_t *both = malloc(la + lb);
    memcpy(both, da, la);
    memcpy(both + la, db, lb);
    docshard_reader *r;
    MN_ASSERT_OK_FATAL(docshard_reader_open_memory(&r, both, la + lb, "two-frames"));
    doc_record d;
    bool done;
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(!done && d.text_len == 11);
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(!done && d.text_len == 12 && memcmp(d.text, "second frame", 12) == 0);
    MN_ASSERT_OK(docshard_reader_next(r, &d, &done));
    MN_ASSERT_TRUE(done);
    docshard_reader_close(r);
    free(both);
    free(da);
    free(db);
}

static void test_utf8_validator(void) {
    MN_ASSERT_EQ_U64(shard__utf8_valid_prefix((const uint8_t *)"plain ascii text!", 17), 17);
    MN_ASSERT_EQ_U64(shard__utf8_valid_prefix((const uint8_t *)"\xf4\x8f\xbf\xbf", 4), 4);
    MN_ASSERT_EQ_U64(shard__utf8_valid_prefix((const uint8_t *)"ab\xe0\x9f\x80", 5), 2);
    MN_ASSERT_EQ_U64(shard__utf8_valid_prefix((const uint8_t *)"abcdefgh\x80", 9), 8);
    MN_ASSERT_EQ_U64(shard__utf8_valid_prefix((const uint8_t *)"\xef\xbf\xbf", 3), 3);
}

static const mn_test_case docshard_cases[] = {
    {"a known document is written as exact, minimally escaped JSON bytes", test_exact_bytes},
    {"documents read back equal to what was written", test_round_trip},
    {"identical input gives byte-identical shards", test_deterministic},
    {"invalid UTF-8 and bad extra members are refused and the writer stays usable",
     test_invalid_utf8_refused},
    {"a shard appears under its name only when closed; abort leaves nothing", test_atomic_publish},
    {"bad lines are reported with file and line and skipped", test_bad_lines_skipped},
    {"JSON from other writers is read (escapes, key order, numeric ids, nested extras)",
     test_foreign_json},
    {"lines over the cap are skipped with MN_ERR_LIMIT in bounded memory", test_line_cap},
    {"truncated and bit-flipped shards are reported as corrupt", test_truncated_and_corrupt},
    {"a stream of several zstd frames is read as one", test_several_frames},
    {"the UTF-8 validator follows RFC 3629", test_utf8_validator},
    {0}};

static const mn_test_suite suites[] = {{"docshard", docshard_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
