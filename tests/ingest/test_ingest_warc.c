/* WARC and WET readers: a WARC written by GNU Wget crawling a local site served by Python's
 * http.server; WET files in Common Crawl's layout written by make_wet.py; an HTTP response
 * with chunked transfer and gzip content encoding assembled with printf and gzip; damaged and
 * truncated records. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "ingest/reader.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static int make_warc(void) {
    static int made = -1;
    if (made < 0)
        made = rt_sh("'%s/tests/ingest/make_warc.sh' warc", mn_test_source_dir()) ? 0 : 1;
    return made;
}

static int make_wet(void) {
    static int made = -1;
    if (made < 0)
        made = rt_sh("/usr/bin/python3 '%s/tests/ingest/make_wet.py' wet", mn_test_source_dir())
                   ? 0
                   : 1;
    return made;
}

static const rt_doc *find_url(const rt_result *r, const char *suffix) {
    for (size_t i = 0; i < r->n_docs; i++) {
        const char *url = r->docs[i].url;
        if (url != NULL && strlen(url) >= strlen(suffix) &&
            strcmp(url + strlen(url) - strlen(suffix), suffix) == 0)
            return &r->docs[i];
    }
    return NULL;
}

/* Records of `type` in a WARC file, counted by zcat and grep. */
static uint64_t count_records(const char *name, const char *type) {
    char out[64];
    snprintf(out, sizeof out, "count-%s", type);
    if (!rt_sh("zcat -f '%s' | grep -ac '^WARC-Type: %s' > %s || true", name, type, out))
        return UINT64_MAX;
    FILE *fp = fopen(mn_test_path(out), "r");
    unsigned long long n = UINT64_MAX;
    if (fp == NULL || fscanf(fp, "%llu", &n) != 1)
        n = UINT64_MAX;
    if (fp != NULL)
        fclose(fp);
    return n;
}

static void check_site(const rt_result *r, const char *name) {
    MN_ASSERT_EQ_INT(r->format, INGEST_FORMAT_WARC);
    MN_ASSERT_EQ_INT(r->n_errors, 0);
    /* "/" and "/index.html" (the same page), article, latin1, notes.txt, sub/. */
    MN__COUNT();
    if (r->n_docs != 6)
        MN__FAIL(false, "%s: %zu documents, expected 6", name, r->n_docs);
    const rt_doc *article = find_url(r, "/article.html");
    MN_ASSERT_FATAL(article != NULL);
    MN_ASSERT_EQ_STR(article->text, "The heading\n\n"
                                    "First paragraph with & entity \xc3\xa9t\xc3\xa9 and "
                                    "\xe2\x82\xac sign.\n\n"
                                    "Second paragraph\nwith a line break.\n\n"
                                    "item one\nitem two");
    MN_ASSERT_TRUE(strncmp(article->id, "urn:uuid:", 9) == 0);
    MN_ASSERT_TRUE(strncmp(article->url, "http://127.0.0.1:", 17) == 0);
    const rt_doc *latin = find_url(r, "/latin1.html");
    MN_ASSERT_FATAL(latin != NULL);
    MN_ASSERT_EQ_STR(latin->text, "Caf\xc3\xa9 cr\xc3\xa8me \xe2\x80\x9cquoted\xe2\x80\x9d "
                                  "\xe2\x82\xac 5");
    const rt_doc *notes = find_url(r, "/notes.txt");
    MN_ASSERT_FATAL(notes != NULL);
    MN_ASSERT_EQ_STR(notes->text, "Plain notes.\nSecond line.\n");
    const rt_doc *sub = find_url(r, "/sub/");
    MN_ASSERT_FATAL(sub != NULL);
    MN_ASSERT_EQ_STR(sub->text, "Sub page");
    /* Everything else wget recorded was passed over and counted; the record types are
     * counted independently with grep (wget records a request again when it retries). */
    const char *types[] = {"warcinfo", "request", "metadata", "resource"};
    for (int i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof key, "warc_%s", types[i]);
        MN_ASSERT_EQ_U64(rt_skipped(r, key), count_records(name, types[i]));
    }
    MN_ASSERT_EQ_U64(rt_skipped(r, "warc_http_not_2xx"), 1); /* missing.html */
    MN_ASSERT_EQ_U64(rt_skipped(r, "warc_non_text"), 1);     /* image.png */
}

static void test_a_warc_written_by_wget_yields_the_pages_text(void) {
    MN_ASSERT_FATAL(make_warc() == 0);
    const char *names[] = {"warc/site.warc.gz", "warc/site-plain.warc"};
    for (int i = 0; i < 2; i++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[i]), NULL, &r));
        check_site(&r, names[i]);
        rt_free(&r);
    }
}

static void test_wet_files_in_common_crawl_layout_yield_the_conversion_records(void) {
    MN_ASSERT_FATAL(make_wet() == 0);
    json_error_t error;
    json_t *expected = json_load_file(mn_test_path("wet/sample.expected.json"), 0, &error);
    MN_ASSERT_FATAL(expected != NULL);
    static const char *const keep[] = {"WARC-Identified-Content-Language", "WARC-Nope"};
    ingest_reader_options options = {.keep_fields = keep, .n_keep_fields = 2};
    const char *names[] = {"wet/sample.warc.wet.gz", "wet/sample.warc.wet"};
    for (int k = 0; k < 2; k++) {
        rt_result r;
        MN_ASSERT_FATAL(rt_read(mn_test_path(names[k]), &options, &r));
        MN_ASSERT_EQ_INT(r.format, INGEST_FORMAT_WET);
        MN_ASSERT_EQ_INT(r.n_errors, 0);
        MN_ASSERT_EQ_INT(r.n_docs, json_array_size(expected));
        for (size_t i = 0; i < r.n_docs && i < json_array_size(expected); i++) {
            json_t *e = json_array_get(expected, i);
            MN_ASSERT_EQ_STR(r.docs[i].text, json_string_value(json_object_get(e, "text")));
            MN_ASSERT_EQ_STR(r.docs[i].id, json_string_value(json_object_get(e, "id")));
            MN_ASSERT_EQ_STR(r.docs[i].url, json_string_value(json_object_get(e, "url")));
            MN_ASSERT_EQ_INT(r.docs[i].record, json_integer_value(json_object_get(e, "record")));
            char extra[128];
            snprintf(extra, sizeof extra, "\"WARC-Identified-Content-Language\":\"%s\"",
                     json_string_value(json_object_get(e, "lang")));
            MN_ASSERT_EQ_STR(r.docs[i].extra, extra);
        }
        MN_ASSERT_EQ_U64(rt_skipped(&r, "warc_warcinfo"), 1);
        MN_ASSERT_EQ_U64(rt_skipped(&r, "warc_empty_text"), 1);
        rt_free(&r);
    }
    json_decref(expected);
}

static void test_damaged_and_truncated_records_are_named_and_counted(void) {
    MN_ASSERT_FATAL(make_wet() == 0);
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("wet/damaged.warc.wet"), NULL, &r));
    /* Record 2's header is bad; reading resumes at record 3. */
    MN_ASSERT_EQ_INT(r.n_docs, 3);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    if (r.n_errors == 1) {
        MN_ASSERT_EQ_STR(r.errors[0].reason, "bad_warc_record");
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "damaged.warc.wet: record 2 at byte") != NULL);
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "no valid Content-Length") != NULL);
    }
    if (r.n_docs == 3) {
        MN_ASSERT_TRUE(strncmp(r.docs[0].text, "Example Domain", 14) == 0);
        MN_ASSERT_TRUE(strncmp(r.docs[1].text, "\xe6\x97\xa5", 3) == 0);
        MN_ASSERT_EQ_INT(r.docs[1].record, 4);
    }
    rt_free(&r);

    MN_ASSERT_FATAL(rt_read(mn_test_path("wet/truncated.warc.wet"), NULL, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 3);
    MN_ASSERT_EQ_INT(r.n_errors, 1);
    if (r.n_errors == 1) {
        MN_ASSERT_EQ_INT(r.errors[0].status, MN_ERR_CORRUPT);
        MN_ASSERT_EQ_STR(r.errors[0].reason, "truncated_record");
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "record 5 at byte") != NULL);
        MN_ASSERT_TRUE(strstr(r.errors[0].message, "the file ends 1419 bytes into a 2415-byte "
                                                   "block") != NULL);
    }
    rt_free(&r);

    /* A record over max_record_bytes is skipped without reading it whole. */
    ingest_reader_options options = {.max_record_bytes = 1000};
    MN_ASSERT_FATAL(rt_read(mn_test_path("wet/sample.warc.wet.gz"), &options, &r));
    MN_ASSERT_EQ_INT(r.n_docs, 3);
    MN_ASSERT_EQ_INT(rt_count_reason(&r, "too_long"), 1);
    rt_free(&r);
}

/* An HTTP response as servers send it: chunked, gzip-encoded, charset in the header. */
static void test_chunked_gzip_responses_are_decoded(void) {
    MN_ASSERT_FATAL(rt_sh(
        "mkdir -p http && cd http && "
        "printf '<html><body><p>Gr\\374\\337e aus K\\366ln</p><script>x()</script></body></html>' "
        "| gzip -c > body.gz && "
        "{ printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/html; charset=ISO-8859-1\\r\\n"
        "Transfer-Encoding: chunked\\r\\nContent-Encoding: gzip\\r\\n\\r\\n'; "
        "size=$(stat -c %%s body.gz); half=$((size / 2)); "
        "printf '%%x\\r\\n' $half; head -c $half body.gz; printf '\\r\\n'; "
        "printf '%%x;ext=1\\r\\n' $((size - half)); tail -c +$((half + 1)) body.gz; "
        "printf '\\r\\n0\\r\\n\\r\\n'; } > block && "
        "{ printf 'WARC/1.1\\r\\nWARC-Type: response\\r\\nWARC-Record-ID: <urn:uuid:r1>\\r\\n"
        "WARC-Target-URI: https://example.de/k\\r\\n"
        "Content-Type: application/http; msgtype=response\\r\\nContent-Length: %%d\\r\\n\\r\\n' "
        "$(stat -c %%s block); cat block; printf '\\r\\n\\r\\n'; } > one.warc"));
    rt_result r;
    MN_ASSERT_FATAL(rt_read(mn_test_path("http/one.warc"), NULL, &r));
    MN_ASSERT_EQ_INT(r.n_errors, 0);
    MN_ASSERT_EQ_INT(r.n_docs, 1);
    if (r.n_docs == 1) {
        MN_ASSERT_EQ_STR(r.docs[0].text, "Gr\xc3\xbc\xc3\x9f"
                                         "e aus K\xc3\xb6ln");
        MN_ASSERT_EQ_STR(r.docs[0].id, "urn:uuid:r1");
        MN_ASSERT_EQ_STR(r.docs[0].url, "https://example.de/k");
    }
    rt_free(&r);
}

static const mn_test_case cases[] = {
    {"a WARC written by wget yields the pages' text",
     test_a_warc_written_by_wget_yields_the_pages_text},
    {"WET files in Common Crawl's layout yield the conversion records",
     test_wet_files_in_common_crawl_layout_yield_the_conversion_records},
    {"damaged and truncated records are named and counted",
     test_damaged_and_truncated_records_are_named_and_counted},
    {"chunked, gzip-encoded responses are decoded", test_chunked_gzip_responses_are_decoded},
    {0}};
static const mn_test_suite suites[] = {{"ingest_warc", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
