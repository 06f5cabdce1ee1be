/* HTML to text: hand-made pages with their exact expected text; character references and
 * charsets against Python's standard library (html.unescape, codecs) as the reference. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "ingest/html.h"
#include "readers_util.h"
#include "tests/harness/mn_test.h"

static void check_text(const char *html, const char *expected) {
    mn_buf out = {0};
    MN_ASSERT_OK(ingest_html_to_text(html, strlen(html), &out));
    const char *got = out.data != NULL ? (const char *)out.data : "";
    MN__COUNT();
    if (strcmp(got, expected) != 0)
        MN__FAIL(false, "HTML %s\n      gave     \"%s\"\n      expected \"%s\"", html, got,
                 expected);
    mn_buf_free(&out);
}

static void test_paragraphs_lines_and_white_space(void) {
    check_text("<p>Hello   <b>big</b>\n\t world.</p><p>Second paragraph.</p>",
               "Hello big world.\n\nSecond paragraph.");
    check_text("<div>one<br>two<br/>three</div>after", "one\ntwo\nthree\n\nafter");
    check_text("<ul><li>alpha</li><li>beta <i>gamma</i></li></ul><p>end",
               "alpha\nbeta gamma\n\nend");
    check_text("<h1>Title</h1>\n\n   <p>Body</p>", "Title\n\nBody");
    check_text("<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>",
               "a b\nc d");
    check_text("<pre>  keep\n    this   spacing</pre><p>x  y</p>",
               "keep\n    this   spacing\n\nx y");
    check_text("   leading and trailing   ", "leading and trailing");
    check_text("<P>Upper<BR>Case</P>", "Upper\nCase");
    check_text("<p>a<p>b<div>c</div>", "a\n\nb\n\nc");
    check_text("", "");
    check_text("plain text only", "plain text only");
}

static void test_boilerplate_elements_are_dropped(void) {
    check_text("<html><head><title>T</title><style>p{color:red}</style>"
               "<script>var a = '<p>not text</p>'; if (a < b) {}</script></head>"
               "<body><header><h1>Site</h1></header><nav><a href=/>Home</a></nav>"
               "<main><p>The article.</p><aside>Related</aside></main>"
               "<form><input name=q><button>Go</button></form>"
               "<footer>(c) 2024</footer><noscript>Enable JS</noscript></body></html>",
               "The article.");
    check_text("<div role=\"navigation\"><div>menu</div></div><p>kept</p>"
               "<div hidden><p>hidden</p></div><span aria-hidden=\"true\">icon</span>"
               "<svg><text>drawing</text></svg><template><p>t</p></template>",
               "kept");
    /* An unclosed dropped element ends with its parent. */
    check_text("<div><nav>menu <a>x</a></div><p>kept after</p>", "kept after");
    /* Raw text ends only at its own end tag, in any case. */
    check_text("<SCRIPT>document.write('</div><p>')</ScRiPt>visible", "visible");
    check_text("<style>a{}</style >after style", "after style");
    check_text("text<script>never closed", "text");
}

static void test_markup_oddities_never_break_the_text(void) {
    check_text("a < b and c > d", "a < b and c > d");
    check_text("<!DOCTYPE html><!-- a <p>comment</p> --><p>x</p><?php echo 1 ?>y", "x\n\ny");
    check_text("<p title=\"a > b\" data-x='1'>quoted &gt; attrs</p>", "quoted > attrs");
    /* A quote that never closes ends at the tag's next '>' (browsers would drop the rest). */
    check_text("<p class=\"never closed>lost</p><p>next</p>", "lost\n\nnext");
    check_text("before <!-- unterminated comment", "before");
    check_text("x</>y</ notatag>z<", "xyz<");
    check_text("</p>stray end tags</div></body>ok", "stray end tags\n\nok");
}

static void test_references_are_decoded_in_text(void) {
    check_text(
        "<p>&lt;tag&gt; &amp; &copy; &eacute;&#233;&#xE9; &#x1F600; &euro;&#128;</p>",
        "<tag> & \xc2\xa9 \xc3\xa9\xc3\xa9\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac\xe2\x82\xac");
    check_text("a&nbsp;b &amp c &unknown; AT&T", "a\xc2\xa0"
                                                 "b & c &unknown; AT&T");
    check_text("&#0;&#xD800;&#1114112;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_text("line&#10;break&NewLine;x", "line break x");
}

static json_t *reference_cases(void) {
    if (!rt_sh("/usr/bin/python3 '%s/tests/ingest/html_reference.py' > html_reference.jsonl",
               mn_test_source_dir()))
        return NULL;
    FILE *fp = fopen(mn_test_path("html_reference.jsonl"), "r");
    json_t *cases = json_array();
    char line[8192];
    while (fp != NULL && fgets(line, sizeof line, fp) != NULL) {
        json_error_t error;
        json_t *item = json_loads(line, 0, &error);
        if (item != NULL)
            json_array_append_new(cases, item);
    }
    if (fp != NULL)
        fclose(fp);
    return cases;
}

static void test_references_match_python_html_unescape(void) {
    json_t *cases = reference_cases();
    MN_ASSERT_FATAL(cases != NULL);
    size_t checked = 0, index;
    json_t *item;
    json_array_foreach(cases, index, item) {
        if (strcmp(json_string_value(json_object_get(item, "kind")), "entity") != 0)
            continue;
        const char *in = json_string_value(json_object_get(item, "in"));
        json_t *out = json_object_get(item, "out");
        mn_buf got = {0};
        MN_ASSERT_OK(ingest_html_decode_entities(in, strlen(in), &got));
        MN__COUNT();
        if (got.len != json_string_length(out) ||
            (got.len > 0 && memcmp(got.data, json_string_value(out), got.len) != 0))
            MN__FAIL(false, "\"%s\" decoded to \"%s\", Python says \"%s\"", in,
                     got.data ? (char *)got.data : "", json_string_value(out));
        mn_buf_free(&got);
        checked++;
    }
    MN_ASSERT_TRUE(checked > 6000); /* every one of the 2231 names, three ways */
    json_decref(cases);
}

static void test_charsets_match_python_codecs(void) {
    json_t *cases = reference_cases();
    MN_ASSERT_FATAL(cases != NULL);
    ingest_charset_cache cache = {0};
    size_t checked = 0, index;
    json_t *item;
    json_array_foreach(cases, index, item) {
        if (strcmp(json_string_value(json_object_get(item, "kind")), "charset") != 0)
            continue;
        const char *charset = json_string_value(json_object_get(item, "charset"));
        const char *hex = json_string_value(json_object_get(item, "hex"));
        const char *expected = json_string_value(json_object_get(item, "out"));
        size_t n = strlen(hex) / 2;
        char *bytes = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            bytes[i] = (char)strtol((char[]){hex[2 * i], hex[2 * i + 1], 0}, NULL, 16);
        mn_buf got = {0};
        MN_ASSERT_OK(ingest_charset_to_utf8(&cache, charset, bytes, n, &got));
        MN__COUNT();
        if (got.data == NULL || strcmp((char *)got.data, expected) != 0)
            MN__FAIL(false, "%s bytes %s gave \"%s\", Python says \"%s\"", charset, hex,
                     got.data ? (char *)got.data : "", expected);
        mn_buf_free(&got);
        free(bytes);
        checked++;
    }
    MN_ASSERT_EQ_INT(checked, 9 + 128);
    ingest_charset_cache_free(&cache);
    json_decref(cases);
}

static void test_undecodable_bytes_become_replacement_characters(void) {
    ingest_charset_cache cache = {0};
    mn_buf got = {0};
    MN_ASSERT_OK(ingest_charset_to_utf8(&cache, "shift_jis", "ok\x81\xff!", 5, &got));
    MN_ASSERT_EQ_STR((char *)got.data, "ok\xef\xbf\xbd\xef\xbf\xbd!");
    mn_buf_clear(&got);
    /* An unknown charset is taken as UTF-8 (normalisation repairs what is not). */
    MN_ASSERT_OK(ingest_charset_to_utf8(&cache, "x-no-such-charset", "caf\xc3\xa9", 5, &got));
    MN_ASSERT_EQ_STR((char *)got.data, "caf\xc3\xa9");
    mn_buf_free(&got);
    ingest_charset_cache_free(&cache);
}

static void test_declared_charsets_are_found(void) {
    char charset[48];
    MN_ASSERT_TRUE(ingest_charset_from_content_type("text/html; charset=ISO-8859-1", 29, charset,
                                                    sizeof charset));
    MN_ASSERT_EQ_STR(charset, "iso-8859-1");
    MN_ASSERT_TRUE(ingest_charset_from_content_type("text/html;Charset=\"Shift_JIS\";x=1", 33,
                                                    charset, sizeof charset));
    MN_ASSERT_EQ_STR(charset, "shift_jis");
    MN_ASSERT_TRUE(!ingest_charset_from_content_type("text/html", 9, charset, sizeof charset));
    const char *pages[] = {"<html><head><meta charset=\"windows-1252\"></head>",
                           ("<!-- <meta charset=koi8-r> --><META HTTP-EQUIV=\"Content-Type\" "
                            "CONTENT=\"text/html; charset=ISO-8859-15\">"),
                           "<meta charset='UTF-8'/>"};
    const char *expected[] = {"windows-1252", "iso-8859-15", "utf-8"};
    for (int i = 0; i < 3; i++) {
        MN_ASSERT_TRUE(
            ingest_html_meta_charset(pages[i], strlen(pages[i]), charset, sizeof charset));
        MN_ASSERT_EQ_STR(charset, expected[i]);
    }
    MN_ASSERT_TRUE(!ingest_html_meta_charset("<p>no meta</p>", 14, charset, sizeof charset));
}

static const mn_test_case cases[] = {
    {"paragraphs, lines and white space", test_paragraphs_lines_and_white_space},
    {"boilerplate elements are dropped", test_boilerplate_elements_are_dropped},
    {"markup oddities never break the text", test_markup_oddities_never_break_the_text},
    {"references are decoded in text", test_references_are_decoded_in_text},
    {"references match Python's html.unescape", test_references_match_python_html_unescape},
    {"charsets match Python's codecs", test_charsets_match_python_codecs},
    {"undecodable bytes become replacement characters",
     test_undecodable_bytes_become_replacement_characters},
    {"declared charsets are found", test_declared_charsets_are_found},
    {0}};
static const mn_test_suite suites[] = {{"ingest_html", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
