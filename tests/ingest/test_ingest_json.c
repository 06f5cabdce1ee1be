/* The readers' JSON scanner: strict grammar, member spans, decoding and writing, and
 * agreement with jansson (an independent parser) on generated and mutated documents. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/rng.h"
#include "ingest/json.h"
#include "tests/harness/mn_test.h"

static void test_members_of_an_object_are_found_with_their_types(void) {
    const char *text = " {\"text\": \"hello\\nworld\", \"id\": 42, \"meta\": {\"a\": [1, {\"b\": "
                       "null}]}, \"ok\": true, \"no\": false, \"none\": null, \"x\": -1.5e3} \r\n";
    ingest_json_members members = {0};
    ingest_json_span value;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, strlen(text), &value, &members));
    MN_ASSERT_EQ_INT(value.type, INGEST_JSON_OBJECT);
    MN_ASSERT_EQ_INT(members.count, 7);
    const ingest_json_member *meta = ingest_json_find(&members, "meta", 4);
    MN_ASSERT_FATAL(meta != NULL);
    MN_ASSERT_EQ_INT(meta->value.type, INGEST_JSON_OBJECT);
    MN_ASSERT_EQ_MEM(meta->value.p, "{\"a\": [1, {\"b\": null}]}", meta->value.n);
    MN_ASSERT_EQ_INT(meta->value.n, strlen("{\"a\": [1, {\"b\": null}]}"));
    const ingest_json_member *id = ingest_json_find(&members, "id", 2);
    MN_ASSERT_FATAL(id != NULL);
    MN_ASSERT_EQ_INT(id->value.type, INGEST_JSON_NUMBER);
    MN_ASSERT_EQ_INT(id->value.n, 2);
    MN_ASSERT_EQ_INT(ingest_json_find(&members, "ok", 2)->value.type, INGEST_JSON_TRUE);
    MN_ASSERT_EQ_INT(ingest_json_find(&members, "no", 2)->value.type, INGEST_JSON_FALSE);
    MN_ASSERT_EQ_INT(ingest_json_find(&members, "none", 4)->value.type, INGEST_JSON_NULL);
    MN_ASSERT_EQ_MEM(ingest_json_find(&members, "x", 1)->value.p, "-1.5e3", 6);
    MN_ASSERT_TRUE(ingest_json_find(&members, "missing", 7) == NULL);
    mn_buf out = {0};
    MN_ASSERT_OK(ingest_json_string_decode(&ingest_json_find(&members, "text", 4)->value, &out));
    MN_ASSERT_EQ_STR((char *)out.data, "hello\nworld");
    mn_buf_free(&out);
    ingest_json_members_free(&members);
}

static void test_the_last_of_duplicate_keys_wins(void) {
    const char *text = "{\"text\":\"first\",\"text\":\"second\"}";
    ingest_json_members members = {0};
    ingest_json_span value;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, strlen(text), &value, &members));
    MN_ASSERT_EQ_INT(members.count, 2);
    MN_ASSERT_EQ_MEM(ingest_json_find(&members, "text", 4)->value.p, "\"second\"", 8);
    ingest_json_members_free(&members);
}

static void test_invalid_documents_are_rejected_with_a_column(void) {
    static const char *const bad[] = {"",         "   ",        "{",           "{\"a\"}",
                                      "{\"a\":}", "{\"a\":1,}", "[1,]",        "[1 2]",
                                      "01",       "1.",         ".5",          "+1",
                                      "-",        "1e",         "1e+",         "\"\\x\"",
                                      "\"a\tb\"", "\"\\u12\"",  "\"\\u12g4\"", "tru",
                                      "nul",      "falsey",     "{} x",        "{'a':1}",
                                      "NaN",      "Infinity",   "{\"a\" 1}",   "{\"a\":1 \"b\":2}",
                                      "[",        "]",          "\"abc",       "{\"a\":[}",
                                      "{1:2}",    "[\"\\\"]",   "\x01",        "{\"a\":1}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ingest_json_span value;
        ingest_json_members members = {0};
        mn_status status = ingest_json_parse(bad[i], strlen(bad[i]), &value, &members);
        MN__COUNT();
        if (status != MN_ERR_FORMAT)
            MN__FAIL(false, "'%s' was accepted (status %s)", bad[i], mn_status_name(status));
        else
            MN_ASSERT_ERROR_CONTAINS("at column");
        ingest_json_members_free(&members);
    }
}

static void test_nesting_is_bounded_without_recursion(void) {
    size_t depth = INGEST_JSON_MAX_DEPTH;
    char *text = malloc(2 * (depth + 1) + 1);
    MN_ASSERT_FATAL(text != NULL);
    for (size_t extra = 0; extra < 2; extra++) {
        size_t n = depth + extra;
        for (size_t i = 0; i < n; i++) {
            text[i] = '[';
            text[n + i] = ']';
        }
        ingest_json_span value;
        mn_status status = ingest_json_parse(text, 2 * n, &value, NULL);
        if (extra == 0) {
            MN_ASSERT_OK(status);
        } else {
            MN_ASSERT_STATUS(status, MN_ERR_FORMAT);
            MN_ASSERT_ERROR_CONTAINS("nesting deeper than 1024");
        }
    }
    free(text);
}

static void test_escapes_decode_to_utf8_and_lone_surrogates_to_the_replacement(void) {
    const char *text =
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\ud800x\\udc00\\u0000z\"";
    ingest_json_span value;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, strlen(text), &value, NULL));
    mn_buf out = {0};
    MN_ASSERT_OK(ingest_json_string_decode(&value, &out));
    const char expected[] = "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\xef\xbf\xbd"
                            "\0z";
    MN_ASSERT_EQ_INT(out.len, sizeof expected - 1);
    MN_ASSERT_EQ_MEM(out.data, expected, sizeof expected - 1);
    mn_buf_free(&out);
}

static void test_keys_compare_after_decoding(void) {
    const char *text = "{\"\\u0074ext\":\"x\",\"t\\\"q\":1}";
    ingest_json_members members = {0};
    ingest_json_span value;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, strlen(text), &value, &members));
    MN_ASSERT_TRUE(ingest_json_find(&members, "text", 4) != NULL);
    MN_ASSERT_TRUE(ingest_json_find(&members, "t\"q", 3) != NULL);
    MN_ASSERT_TRUE(ingest_json_find(&members, "tex", 3) == NULL);
    MN_ASSERT_TRUE(ingest_json_find(&members, "textx", 5) == NULL);
    ingest_json_members_free(&members);
}

static void test_written_strings_are_valid_json_and_repair_invalid_utf8(void) {
    const char input[] = "q\"b\\ \x01\x1f\n\t\xc3\xa9 \xff\xc3 \xed\xa0\x80 \xf0\x9f\x98\x80";
    mn_buf out = {0};
    MN_ASSERT_OK(ingest_json_append_string(&out, input, sizeof input - 1));
    MN_ASSERT_EQ_STR((char *)out.data, "\"q\\\"b\\\\ \\u0001\\u001f\\n\\t\xc3\xa9 \\ufffd\\ufffd "
                                       "\\ufffd\\ufffd\\ufffd \xf0\x9f\x98\x80\"");
    json_error_t error;
    json_t *parsed = json_loadb((char *)out.data, out.len, JSON_DECODE_ANY, &error);
    MN_ASSERT_TRUE(parsed != NULL && json_is_string(parsed));
    json_decref(parsed);
    mn_buf_free(&out);
}

static void test_copied_values_repair_invalid_utf8_inside_strings(void) {
    const char text[] = "{\"a\": [1, \"x\xffy\", {\"k\": \"\xe2\x82\xac\"}]}";
    ingest_json_members members = {0};
    ingest_json_span value;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, sizeof text - 1, &value, &members));
    mn_buf out = {0};
    MN_ASSERT_OK(ingest_json_append_value(&out, &members.items[0].value));
    MN_ASSERT_EQ_STR((char *)out.data, "[1, \"x\\ufffdy\", {\"k\": \"\xe2\x82\xac\"}]");
    mn_buf_free(&out);
    ingest_json_members_free(&members);
}

static void test_array_elements_are_iterated_in_order(void) {
    const char *text = "[ {\"a\":1} , \"s\", [2,3] ,null ]";
    ingest_json_span value, element;
    MN_ASSERT_OK_FATAL(ingest_json_parse(text, strlen(text), &value, NULL));
    size_t pos = 0;
    const char *expected[] = {"{\"a\":1}", "\"s\"", "[2,3]", "null"};
    for (int i = 0; i < 4; i++) {
        MN_ASSERT_TRUE(ingest_json_array_next(&value, &pos, &element));
        MN_ASSERT_EQ_INT(element.n, strlen(expected[i]));
        MN_ASSERT_EQ_MEM(element.p, expected[i], element.n);
    }
    MN_ASSERT_TRUE(!ingest_json_array_next(&value, &pos, &element));
    ingest_json_span empty;
    MN_ASSERT_OK(ingest_json_parse("[ ]", 3, &empty, NULL));
    pos = 0;
    MN_ASSERT_TRUE(!ingest_json_array_next(&empty, &pos, &element));
}

static void test_utf8_sequences_follow_the_unicode_table(void) {
    const struct {
        const char *bytes;
        size_t len, expected;
    } cases[] = {{"a", 1, 1},
                 {"\xc3\xa9", 2, 2},
                 {"\xc0\x80", 2, 0},
                 {"\xc1\xbf", 2, 0},
                 {"\xe0\x80\x80", 3, 0},
                 {"\xe0\xa0\x80", 3, 3},
                 {"\xed\x9f\xbf", 3, 3},
                 {"\xed\xa0\x80", 3, 0},
                 {"\xef\xbf\xbd", 3, 3},
                 {"\xf0\x8f\xbf\xbf", 4, 0},
                 {"\xf0\x90\x80\x80", 4, 4},
                 {"\xf4\x8f\xbf\xbf", 4, 4},
                 {"\xf4\x90\x80\x80", 4, 0},
                 {"\xf5\x80\x80\x80", 4, 0},
                 {"\xe2\x82", 2, 0},
                 {"\x80", 1, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        MN_ASSERT_EQ_INT(
            ingest_utf8_sequence_length((const unsigned char *)cases[i].bytes, cases[i].len),
            cases[i].expected);
}

/* ---- agreement with jansson --------------------------------------------------------------- */

static json_t *random_value(mn_rng *rng, int depth) {
    static const char *const pieces[] = {"a",
                                         "text",
                                         " ",
                                         "\"",
                                         "\\",
                                         "\n",
                                         "\t",
                                         "/",
                                         "\x01",
                                         "\xc3\xa9",
                                         "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80",
                                         "{",
                                         "]",
                                         "\xef\xbf\xbd",
                                         "0"};
    unsigned kind = (unsigned)(mn_rng_u64(rng) % (depth > 3 ? 5 : 7));
    switch (kind) {
        case 0:
            return json_null();
        case 1:
            return json_boolean(mn_rng_u64(rng) & 1);
        case 2:
            return json_integer((json_int_t)(mn_rng_u64(rng) % 2000001) - 1000000);
        case 3:
            return json_real((double)(int64_t)(mn_rng_u64(rng) % 100000) / 64.0);
        case 4: {
            char buf[256];
            size_t n = 0, count = mn_rng_u64(rng) % 12;
            for (size_t i = 0; i < count; i++) {
                const char *piece = pieces[mn_rng_u64(rng) % (sizeof pieces / sizeof *pieces)];
                size_t len = strlen(piece);
                memcpy(buf + n, piece, len);
                n += len;
            }
            return json_stringn(buf, n);
        }
        case 5: {
            json_t *array = json_array();
            size_t count = mn_rng_u64(rng) % 4;
            for (size_t i = 0; i < count; i++)
                json_array_append_new(array, random_value(rng, depth + 1));
            return array;
        }
        default: {
            json_t *object = json_object();
            size_t count = mn_rng_u64(rng) % 5;
            for (size_t i = 0; i < count; i++) {
                char key[16];
                snprintf(key, sizeof key, "k%u", (unsigned)(mn_rng_u64(rng) % 8));
                json_object_set_new(object, key, random_value(rng, depth + 1));
            }
            return object;
        }
    }
}

/* Inputs jansson rejects that the scanner accepts on purpose (json.h). */
static bool known_difference(const char *jansson_error) {
    static const char *const allowed[] = {
        "Invalid UTF-8",        "unable to decode byte", "invalid Unicode",      "too big integer",
        "real number overflow", "not allowed without",   "maximum parsing depth"};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (strstr(jansson_error, allowed[i]) != NULL)
            return true;
    return false;
}

static void check_against_jansson(const char *text, size_t n, size_t *accepted) {
    json_error_t error;
    json_t *expected = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
    ingest_json_span value;
    ingest_json_members members = {0};
    mn_status status = ingest_json_parse(text, n, &value, &members);
    MN__COUNT();
    if (expected != NULL && status != MN_OK) {
        MN__FAIL(false, "jansson accepts what the scanner rejects (%s): %.*s", mn_error_message(),
                 (int)n, text);
    } else if (expected == NULL && status == MN_OK && !known_difference(error.text)) {
        MN__FAIL(false, "the scanner accepts what jansson rejects (%s): %.*s", error.text, (int)n,
                 text);
    }
    if (expected != NULL && status == MN_OK && json_is_object(expected)) {
        (*accepted)++;
        /* Every member jansson sees is found, and strings decode to the same bytes. */
        const char *key;
        json_t *member;
        json_object_foreach(expected, key, member) {
            const ingest_json_member *found = ingest_json_find(&members, key, strlen(key));
            MN__COUNT();
            if (found == NULL) {
                MN__FAIL(false, "member %s not found in %.*s", key, (int)n, text);
                continue;
            }
            if (json_is_string(member)) {
                mn_buf out = {0};
                MN_ASSERT_OK(ingest_json_string_decode(&found->value, &out));
                MN_ASSERT_EQ_INT(out.len, json_string_length(member));
                MN_ASSERT_EQ_MEM(out.data, json_string_value(member), out.len);
                mn_buf_free(&out);
            }
        }
    }
    json_decref(expected);
    ingest_json_members_free(&members);
}

static void test_the_scanner_agrees_with_jansson(void) {
    mn_rng rng;
    mn_rng_seed(&rng, 20240501);
    size_t rounds = (size_t)(20000 * mn_test_scale()), accepted = 0;
    static const char inserts[] = "{}[]\",:\\ 0-+.eEtfnu\x01\xff";
    for (size_t round = 0; round < rounds; round++) {
        json_t *object = json_object();
        json_object_set_new(object, "text", random_value(&rng, 1));
        json_object_set_new(object, "id", random_value(&rng, 2));
        char *dumped = json_dumps(object, mn_rng_u64(&rng) & 1 ? JSON_COMPACT : JSON_INDENT(1));
        json_decref(object);
        MN_ASSERT_FATAL(dumped != NULL);
        size_t n = strlen(dumped);
        char buf[4096];
        if (n >= sizeof buf - 8) {
            free(dumped);
            continue;
        }
        memcpy(buf, dumped, n);
        free(dumped);
        check_against_jansson(buf, n, &accepted);
        /* A few mutations of it: deletions, insertions of significant bytes, changes. */
        for (int m = 0; m < 3; m++) {
            size_t at = n ? mn_rng_u64(&rng) % n : 0;
            char mutated[4096];
            size_t len = n;
            memcpy(mutated, buf, n);
            switch (mn_rng_u64(&rng) % 3) {
                case 0:
                    if (len > 0) {
                        memmove(mutated + at, mutated + at + 1, len - at - 1);
                        len--;
                    }
                    break;
                case 1:
                    memmove(mutated + at + 1, mutated + at, len - at);
                    mutated[at] = inserts[mn_rng_u64(&rng) % (sizeof inserts - 1)];
                    len++;
                    break;
                default:
                    if (len > 0)
                        mutated[at] = inserts[mn_rng_u64(&rng) % (sizeof inserts - 1)];
            }
            check_against_jansson(mutated, len, &accepted);
        }
    }
    /* The generator must have produced plenty of valid objects for this to mean anything. */
    MN_ASSERT_TRUE(accepted > rounds);
}

static const mn_test_case cases[] = {
    {"members of an object are found with their types",
     test_members_of_an_object_are_found_with_their_types},
    {"the last of duplicate keys wins", test_the_last_of_duplicate_keys_wins},
    {"invalid documents are rejected with a column",
     test_invalid_documents_are_rejected_with_a_column},
    {"nesting is bounded without recursion", test_nesting_is_bounded_without_recursion},
    {"escapes decode to UTF-8 and lone surrogates to U+FFFD",
     test_escapes_decode_to_utf8_and_lone_surrogates_to_the_replacement},
    {"keys compare after decoding", test_keys_compare_after_decoding},
    {"written strings are valid JSON and repair invalid UTF-8",
     test_written_strings_are_valid_json_and_repair_invalid_utf8},
    {"copied values repair invalid UTF-8 inside strings",
     test_copied_values_repair_invalid_utf8_inside_strings},
    {"array elements are iterated in order", test_array_elements_are_iterated_in_order},
    {"UTF-8 sequences follow the Unicode table", test_utf8_sequences_follow_the_unicode_table},
    {"the scanner agrees with jansson on generated and mutated documents",
     test_the_scanner_agrees_with_jansson},
    {0}};
static const mn_test_suite suites[] = {{"ingest_json", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
