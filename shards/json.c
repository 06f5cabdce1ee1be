#include "shards/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

size_t shard__utf8_valid_prefix(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        /* ASCII runs dominate real text: test 8 bytes at a time. */
        if (i + 8 <= len) {
            uint64_t word;
            memcpy(&word, s + i, 8);
            if ((word & 0x8080808080808080ull) == 0) {
                i += 8;
                continue;
            }
        }
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        if (c >= 0xc2 && c <= 0xdf)
            n = 2;
        else if (c >= 0xe0 && c <= 0xef)
            n = 3;
        else if (c >= 0xf0 && c <= 0xf4)
            n = 4;
        else
            return i; /* continuation byte, overlong lead C0/C1, or F5..FF */
        if (n > len - i)
            return i;
        uint8_t c1 = s[i + 1];
        if ((c1 & 0xc0) != 0x80)
            return i;
        /* RFC 3629 table: the second byte's range narrows for these leads. */
        if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
            (c == 0xf4 && c1 > 0x8f))
            return i;
        for (size_t k = 2; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
        i += n;
    }
    return i;
}

static bool needs_escape(uint8_t c) {
    return c < 0x20 || c == '"' || c == '\\';
}

mn_status shard__json_escape(mn_buf *buf, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        const uint8_t *run = p;
        while (p < end && !needs_escape(*p))
            p++;
        MN_FORWARD_IF_ERROR(mn_buf_append(buf, run, (size_t)(p - run)));
        if (p == end)
            break;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (*p) {
            case '"':
                esc[1] = '"';
                break;
            case '\\':
                esc[1] = '\\';
                break;
            case '\b':
                esc[1] = 'b';
                break;
            case '\f':
                esc[1] = 'f';
                break;
            case '\n':
                esc[1] = 'n';
                break;
            case '\r':
                esc[1] = 'r';
                break;
            case '\t':
                esc[1] = 't';
                break;
            default:
                esc[1] = 'u';
                esc[2] = '0';
                esc[3] = '0';
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 15];
                n = 6;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(buf, esc, n));
        p++;
    }
    return MN_OK;
}

mn_status shard__json_append_string(mn_buf *buf, const char *s, size_t len) {
    size_t valid = shard__utf8_valid_prefix((const uint8_t *)s, len);
    MN_RETURN_ERROR_IF(valid != len, MN_ERR_FORMAT, "invalid UTF-8 at byte %zu (0x%02x)", valid,
                       (unsigned)(uint8_t)s[valid]);
    MN_FORWARD_IF_ERROR(mn_buf_append_byte(buf, '"'));
    MN_FORWARD_IF_ERROR(shard__json_escape(buf, s, len));
    return mn_buf_append_byte(buf, '"');
}

/* ---- parser ---- */

enum { JSON_MAX_DEPTH = 128, KEY_CAPACITY = 16 };

typedef struct json_cursor {
    char *base; /* start of the text, for columns in messages */
    char *p;
    char *end;
} json_cursor;

__attribute__((format(printf, 2, 3))) static mn_status json_fail(const json_cursor *c,
                                                                 const char *fmt, ...) {
    char what[256];
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    return mn_error(MN_ERR_FORMAT, "column %zu: %s", (size_t)(c->p - c->base) + 1, what);
}

static void skip_ws(json_cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex_value(char ch) {
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static mn_status read_hex4(json_cursor *c, uint32_t *unit) {
    if (c->end - c->p < 4)
        return json_fail(c, "\\u escape needs 4 hex digits");
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(c->p[i]);
        if (h < 0)
            return json_fail(c, "\\u escape needs 4 hex digits");
        v = v * 16 + (uint32_t)h;
    }
    c->p += 4;
    *unit = v;
    return MN_OK;
}

/* Writes bytes to out[*len..] while they fit in `cap`, always advancing *len. */
static void put_bytes(char *out, size_t cap, size_t *len, const char *bytes, size_t n) {
    if (out != NULL && *len < cap) {
        size_t fit = cap - *len < n ? cap - *len : n;
        if (out + *len != bytes)
            memmove(out + *len, bytes, fit);
    }
    *len += n;
}

/* Parses a string at c->p (which is '"'). Decoded bytes go to out (capacity cap; may be the
 * string's own storage, since decoded text is never longer than its escaped form), and
 * *out_len receives the full decoded length even when it exceeds cap. */
static mn_status parse_string(json_cursor *c, char *out, size_t cap, size_t *out_len) {
    c->p++; /* opening quote */
    size_t len = 0;
    for (;;) {
        char *run = c->p;
        while (c->p < c->end && (uint8_t)*c->p >= 0x20 && *c->p != '"' && *c->p != '\\')
            c->p++;
        put_bytes(out, cap, &len, run, (size_t)(c->p - run));
        if (c->p >= c->end)
            return json_fail(c, "unterminated string");
        char ch = *c->p;
        if (ch == '"') {
            c->p++;
            *out_len = len;
            return MN_OK;
        }
        if ((uint8_t)ch < 0x20)
            return json_fail(c, "raw control character 0x%02x in a string (must be escaped)",
                             (unsigned)(uint8_t)ch);
        /* backslash */
        c->p++;
        if (c->p >= c->end)
            return json_fail(c, "unterminated escape");
        char e = *c->p++;
        char one;
        switch (e) {
            case '"':
                one = '"';
                break;
            case '\\':
                one = '\\';
                break;
            case '/':
                one = '/';
                break;
            case 'b':
                one = '\b';
                break;
            case 'f':
                one = '\f';
                break;
            case 'n':
                one = '\n';
                break;
            case 'r':
                one = '\r';
                break;
            case 't':
                one = '\t';
                break;
            case 'u': {
                uint32_t cp;
                MN_FORWARD_IF_ERROR(read_hex4(c, &cp));
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return json_fail(c, "lone low surrogate \\u%04x", cp);
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    uint32_t low = 0;
                    if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
                        return json_fail(c, "lone high surrogate \\u%04x", cp);
                    c->p += 2;
                    MN_FORWARD_IF_ERROR(read_hex4(c, &low));
                    if (low < 0xdc00 || low > 0xdfff)
                        return json_fail(c, "high surrogate \\u%04x not followed by a low one", cp);
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                }
                char utf8[4];
                size_t n;
                if (cp < 0x80) {
                    utf8[0] = (char)cp;
                    n = 1;
                } else if (cp < 0x800) {
                    utf8[0] = (char)(0xc0 | (cp >> 6));
                    utf8[1] = (char)(0x80 | (cp & 0x3f));
                    n = 2;
                } else if (cp < 0x10000) {
                    utf8[0] = (char)(0xe0 | (cp >> 12));
                    utf8[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    utf8[2] = (char)(0x80 | (cp & 0x3f));
                    n = 3;
                } else {
                    utf8[0] = (char)(0xf0 | (cp >> 18));
                    utf8[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
                    utf8[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
                    utf8[3] = (char)(0x80 | (cp & 0x3f));
                    n = 4;
                }
                put_bytes(out, cap, &len, utf8, n);
                continue;
            }
            default:
                c->p--;
                return json_fail(c, "invalid escape \\%c", e >= 0x20 && e < 0x7f ? e : '?');
        }
        put_bytes(out, cap, &len, &one, 1);
    }
}

static bool is_digit(char ch) {
    return ch >= '0' && ch <= '9';
}

static mn_status parse_number(json_cursor *c) {
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end || !is_digit(*c->p))
        return json_fail(c, "invalid number");
    if (*c->p == '0')
        c->p++;
    else
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || !is_digit(*c->p))
            return json_fail(c, "invalid number: digits must follow '.'");
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p >= c->end || !is_digit(*c->p))
            return json_fail(c, "invalid number: digits must follow the exponent");
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    return MN_OK;
}

static mn_status parse_literal(json_cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return json_fail(c, "invalid value");
    c->p += n;
    return MN_OK;
}

/* Validates any JSON value at c->p (no decoding). */
static mn_status skip_value(json_cursor *c, int depth) {
    if (depth > JSON_MAX_DEPTH)
        return json_fail(c, "nesting deeper than %d levels", JSON_MAX_DEPTH);
    if (c->p >= c->end)
        return json_fail(c, "value expected");
    size_t ignored;
    switch (*c->p) {
        case '"':
            return parse_string(c, NULL, 0, &ignored);
        case 't':
            return parse_literal(c, "true");
        case 'f':
            return parse_literal(c, "false");
        case 'n':
            return parse_literal(c, "null");
        case '{':
        case '[': {
            char close = *c->p == '{' ? '}' : ']';
            bool object = close == '}';
            c->p++;
            skip_ws(c);
            if (c->p < c->end && *c->p == close) {
                c->p++;
                return MN_OK;
            }
            for (;;) {
                if (object) {
                    if (c->p >= c->end || *c->p != '"')
                        return json_fail(c, "object key (a string) expected");
                    MN_FORWARD_IF_ERROR(parse_string(c, NULL, 0, &ignored));
                    skip_ws(c);
                    if (c->p >= c->end || *c->p != ':')
                        return json_fail(c, "':' expected after an object key");
                    c->p++;
                    skip_ws(c);
                }
                MN_FORWARD_IF_ERROR(skip_value(c, depth + 1));
                skip_ws(c);
                if (c->p < c->end && *c->p == ',') {
                    c->p++;
                    skip_ws(c);
                    continue;
                }
                if (c->p < c->end && *c->p == close) {
                    c->p++;
                    return MN_OK;
                }
                return json_fail(c, "',' or '%c' expected", close);
            }
        }
        default:
            if (*c->p == '-' || is_digit(*c->p))
                return parse_number(c);
            return json_fail(c, "invalid value");
    }
}

enum { KEY_ID, KEY_TEXT, KEY_SOURCE, KEY_URL, KEY_OTHER };
static const char *const standard_keys[] = {"id", "text", "source", "url"};

static int classify_key(const char *key, size_t len) {
    if (len > KEY_CAPACITY)
        return KEY_OTHER;
    for (int k = 0; k < KEY_OTHER; k++)
        if (strlen(standard_keys[k]) == len && memcmp(standard_keys[k], key, len) == 0)
            return k;
    return KEY_OTHER;
}

/* Parses an object; with doc == NULL only validates and refuses standard keys. */
static mn_status parse_object(json_cursor *c, doc_record *doc, mn_buf *extra) {
    skip_ws(c);
    if (c->p >= c->end || *c->p != '{')
        return json_fail(c, "a JSON object ('{') expected");
    c->p++;
    skip_ws(c);
    bool seen[KEY_OTHER] = {false};
    const char *field[KEY_OTHER] = {NULL};
    size_t field_len[KEY_OTHER] = {0};
    if (c->p < c->end && *c->p == '}') {
        c->p++;
    } else {
        for (;;) {
            if (c->p >= c->end || *c->p != '"')
                return json_fail(c, "object key (a string) expected");
            char *key_start = c->p;
            char key[KEY_CAPACITY];
            size_t key_len;
            MN_FORWARD_IF_ERROR(parse_string(c, key, sizeof key, &key_len));
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':')
                return json_fail(c, "':' expected after an object key");
            c->p++;
            skip_ws(c);
            int which = classify_key(key, key_len);
            if (which != KEY_OTHER && doc == NULL) {
                c->p = key_start;
                return json_fail(c, "extra member \"%s\" repeats a standard document key",
                                 standard_keys[which]);
            }
            if (which != KEY_OTHER) {
                if (seen[which])
                    return json_fail(c, "duplicate key \"%s\"", standard_keys[which]);
                seen[which] = true;
                if (c->p < c->end && *c->p == '"') {
                    char *content = c->p + 1;
                    size_t n;
                    MN_FORWARD_IF_ERROR(parse_string(c, content, SIZE_MAX, &n));
                    field[which] = content;
                    field_len[which] = n;
                } else if (which != KEY_TEXT && c->p < c->end && *c->p == 'n') {
                    MN_FORWARD_IF_ERROR(parse_literal(c, "null"));
                    seen[which] = false; /* null is the same as absent */
                } else if (which == KEY_ID && c->p < c->end && (*c->p == '-' || is_digit(*c->p))) {
                    char *start = c->p;
                    MN_FORWARD_IF_ERROR(parse_number(c));
                    field[which] = start;
                    field_len[which] = (size_t)(c->p - start);
                } else {
                    return json_fail(c, "\"%s\" must be a string%s", standard_keys[which],
                                     which == KEY_ID ? " or a number" : "");
                }
            } else {
                MN_FORWARD_IF_ERROR(skip_value(c, 1));
                if (extra != NULL) {
                    if (extra->len > 0)
                        MN_FORWARD_IF_ERROR(mn_buf_append_byte(extra, ','));
                    MN_FORWARD_IF_ERROR(
                        mn_buf_append(extra, key_start, (size_t)(c->p - key_start)));
                }
            }
            skip_ws(c);
            if (c->p < c->end && *c->p == ',') {
                c->p++;
                skip_ws(c);
                continue;
            }
            if (c->p < c->end && *c->p == '}') {
                c->p++;
                break;
            }
            return json_fail(c, "',' or '}' expected");
        }
    }
    skip_ws(c);
    if (c->p != c->end)
        return json_fail(c, "unexpected text after the object");
    if (doc == NULL)
        return MN_OK;
    if (field[KEY_TEXT] == NULL) {
        c->p = c->base;
        return json_fail(c, "no \"text\" string member");
    }
    doc->id = field[KEY_ID] ? field[KEY_ID] : "";
    doc->id_len = field_len[KEY_ID];
    doc->text = field[KEY_TEXT];
    doc->text_len = field_len[KEY_TEXT];
    doc->source = field[KEY_SOURCE] ? field[KEY_SOURCE] : "";
    doc->source_len = field_len[KEY_SOURCE];
    doc->url = field[KEY_URL];
    doc->url_len = field_len[KEY_URL];
    doc->extra_json = extra != NULL && extra->len > 0 ? (const char *)extra->data : NULL;
    doc->extra_json_len = extra != NULL ? extra->len : 0;
    return MN_OK;
}

mn_status shard__json_parse_document(char *line, size_t len, doc_record *doc, mn_buf *extra) {
    *doc = (doc_record){0};
    size_t valid = shard__utf8_valid_prefix((const uint8_t *)line, len);
    if (valid != len)
        return mn_error(MN_ERR_FORMAT, "column %zu: invalid UTF-8 (byte 0x%02x)", valid + 1,
                        (unsigned)(uint8_t)line[valid]);
    mn_buf_clear(extra);
    json_cursor c = {line, line, line + len};
    return parse_object(&c, doc, extra);
}

mn_status shard__json_check_members(const char *members, size_t len) {
    size_t valid = shard__utf8_valid_prefix((const uint8_t *)members, len);
    MN_RETURN_ERROR_IF(valid != len, MN_ERR_FORMAT, "invalid UTF-8 at byte %zu", valid);
    mn_buf object = {0};
    mn_status status = mn_buf_reserve(&object, len + 2);
    if (status == MN_OK) {
        mn_buf_append_byte(&object, '{');
        mn_buf_append(&object, members, len);
        mn_buf_append_byte(&object, '}');
        /* Columns in messages count from the first byte of `members`. */
        json_cursor c = {(char *)object.data + 1, (char *)object.data,
                         (char *)object.data + object.len};
        status = parse_object(&c, NULL, NULL);
    }
    mn_buf_free(&object);
    return status;
}
