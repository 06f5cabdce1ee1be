/* The readers' JSON scanner (see json.h for why it is not jansson). */
#include "ingest/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

void ingest_json_members_free(ingest_json_members *members) {
    free(members->items);
    memset(members, 0, sizeof *members);
}

static mn_status members_push(ingest_json_members *members, const ingest_json_member *member) {
    if (members->count == members->capacity) {
        size_t capacity = members->capacity ? members->capacity * 2 : 16;
        void *items = members->items;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&items, capacity, sizeof *members->items));
        members->items = items;
        members->capacity = capacity;
    }
    members->items[members->count++] = *member;
    return MN_OK;
}

static inline bool is_space(unsigned char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline size_t skip_space(const unsigned char *s, size_t n, size_t i) {
    while (i < n && is_space(s[i]))
        i++;
    return i;
}

static inline int hex_value(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* True when one of the 8 bytes of x is '"', '\\' or below 0x20. The classic SWAR tests
 * can misplace a hit but never miss one, which is all a skip loop needs. */
static inline bool has_string_special(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t quote = x ^ (ones * 0x22), backslash = x ^ (ones * 0x5c);
    uint64_t hits =
        ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((x - ones * 0x20) & ~x);
    return (hits & highs) != 0;
}

static mn_status error_at(size_t i, const char *what) {
    return mn_error(MN_ERR_FORMAT, "invalid JSON at column %zu: %s", i + 1, what);
}

/* The first index >= i where s holds '"', '\\' or a byte below 0x20, or n. Strings are
 * most of a record's bytes, so this is the scanner's inner loop: 16 bytes per step with
 * SSE2 (every x86-64 has it), 8 with the portable SWAR test otherwise. */
static inline size_t skip_plain(const unsigned char *s, size_t i, size_t n) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1f);
    while (i + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i hits = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
        /* v <= 0x1f as unsigned bytes: max(v, 0x1f) == 0x1f. */
        hits = _mm_or_si128(hits, _mm_cmpeq_epi8(_mm_max_epu8(v, control), control));
        int mask = _mm_movemask_epi8(hits);
        if (mask != 0)
            return i + (size_t)__builtin_ctz((unsigned)mask);
        i += 16;
    }
#endif
    while (i + 8 <= n) {
        uint64_t x;
        memcpy(&x, s + i, 8);
        if (has_string_special(x))
            break;
        i += 8;
    }
    while (i < n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20)
        i++;
    return i;
}

/* s[*i] is the opening quote; on success *i is just past the closing quote. */
static mn_status scan_string(const unsigned char *s, size_t n, size_t *pos) {
    size_t i = *pos + 1;
    for (;;) {
        i = skip_plain(s, i, n);
        if (i >= n)
            return error_at(*pos, "unterminated string");
        unsigned char c = s[i];
        if (c == '"') {
            *pos = i + 1;
            return MN_OK;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                return error_at(*pos, "unterminated string");
            unsigned char e = s[i + 1];
            if (e == 'u') {
                if (i + 6 > n)
                    return error_at(i, "truncated \\u escape");
                for (int k = 2; k < 6; k++)
                    if (hex_value(s[i + k]) < 0)
                        return error_at(i, "\\u must be followed by 4 hex digits");
                i += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                i += 2;
            } else {
                return error_at(i, "invalid escape in string");
            }
        } else {
            return error_at(i, "control character inside a string (must be escaped)");
        }
    }
}

static mn_status scan_number(const unsigned char *s, size_t n, size_t *pos) {
    size_t i = *pos;
    if (s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return error_at(i, "invalid number");
    }
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return error_at(i, "digit expected after '.' in a number");
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return error_at(i, "digit expected in a number's exponent");
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    *pos = i;
    return MN_OK;
}

/* Parses one value starting at *pos (after optional whitespace); on success *pos is just
 * past it. Top-level members of an object are recorded when `members` is not NULL.
 * Iterative, with an explicit stack, so that deep nesting cannot overflow the C stack. */
static mn_status parse_value_at(const unsigned char *s, size_t n, size_t *pos,
                                ingest_json_span *out, ingest_json_members *members) {
    unsigned char stack[INGEST_JSON_MAX_DEPTH];
    size_t depth = 0, i = skip_space(s, n, *pos);
    size_t top_start = i, member_start = 0, key_start = 0, key_end = 0;
    ingest_json_type top_type = INGEST_JSON_NULL, member_type = INGEST_JSON_NULL;

value:
    i = skip_space(s, n, i);
    if (i >= n)
        return error_at(i, "unexpected end, a value was expected");
    {
        ingest_json_type type;
        unsigned char c = s[i];
        if (depth == 1) {
            member_start = i;
        }
        switch (c) {
            case '{':
            case '[':
                type = c == '{' ? INGEST_JSON_OBJECT : INGEST_JSON_ARRAY;
                if (depth == 0)
                    top_type = type;
                if (depth == 1)
                    member_type = type;
                if (depth == INGEST_JSON_MAX_DEPTH)
                    return error_at(i, "nesting deeper than 1024 levels");
                stack[depth++] = c;
                i = skip_space(s, n, i + 1);
                if (i < n && s[i] == (c == '{' ? '}' : ']')) {
                    i++;
                    depth--;
                    goto value_end;
                }
                if (c == '{')
                    goto key;
                goto value;
            case '"':
                type = INGEST_JSON_STRING;
                MN_FORWARD_IF_ERROR(scan_string(s, n, &i));
                break;
            case 't':
            case 'f':
            case 'n': {
                const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
                size_t len = strlen(word);
                if (n - i < len || memcmp(s + i, word, len) != 0)
                    return error_at(i, "invalid literal (true, false or null expected)");
                type = c == 't'   ? INGEST_JSON_TRUE
                       : c == 'f' ? INGEST_JSON_FALSE
                                  : INGEST_JSON_NULL;
                i += len;
                break;
            }
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    type = INGEST_JSON_NUMBER;
                    MN_FORWARD_IF_ERROR(scan_number(s, n, &i));
                    break;
                }
                return error_at(i, "unexpected character, a value was expected");
        }
        if (depth == 0)
            top_type = type;
        if (depth == 1)
            member_type = type;
        goto value_end;
    }

key:
    if (i >= n || s[i] != '"')
        return error_at(i, "a string key was expected");
    if (depth == 1)
        key_start = i;
    MN_FORWARD_IF_ERROR(scan_string(s, n, &i));
    if (depth == 1)
        key_end = i;
    i = skip_space(s, n, i);
    if (i >= n || s[i] != ':')
        return error_at(i, "':' expected after a key");
    i++;
    goto value;

value_end:
    if (depth == 1 && stack[0] == '{' && members != NULL) {
        ingest_json_member member = {
            {(const char *)s + key_start, key_end - key_start, INGEST_JSON_STRING},
            {(const char *)s + member_start, i - member_start, member_type}};
        MN_FORWARD_IF_ERROR(members_push(members, &member));
    }
    if (depth == 0) {
        out->p = (const char *)s + top_start;
        out->n = i - top_start;
        out->type = top_type;
        *pos = i;
        return MN_OK;
    }
    i = skip_space(s, n, i);
    if (i >= n)
        return error_at(i, stack[depth - 1] == '{' ? "unexpected end inside an object"
                                                   : "unexpected end inside an array");
    if (s[i] == ',') {
        i = skip_space(s, n, i + 1);
        if (stack[depth - 1] == '{')
            goto key;
        goto value;
    }
    if (s[i] == (stack[depth - 1] == '{' ? '}' : ']')) {
        i++;
        depth--;
        goto value_end;
    }
    return error_at(i, stack[depth - 1] == '{' ? "',' or '}' expected" : "',' or ']' expected");
}

mn_status ingest_json_parse(const char *text, size_t len, ingest_json_span *value,
                            ingest_json_members *members) {
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    if (members != NULL)
        members->count = 0;
    MN_FORWARD_IF_ERROR(parse_value_at(s, len, &i, value, members));
    i = skip_space(s, len, i);
    if (i != len)
        return error_at(i, "unexpected data after the value");
    return MN_OK;
}

const ingest_json_member *ingest_json_find(const ingest_json_members *members, const char *name,
                                           size_t name_len) {
    for (size_t k = members->count; k-- > 0;)
        if (ingest_json_string_equals(&members->items[k].key, name, name_len))
            return &members->items[k];
    return NULL;
}

bool ingest_json_array_next(const ingest_json_span *array, size_t *pos, ingest_json_span *element) {
    const unsigned char *s = (const unsigned char *)array->p;
    size_t n = array->n, i = *pos == 0 ? 1 : *pos;
    i = skip_space(s, n, i);
    if (i >= n || s[i] == ']')
        return false;
    if (parse_value_at(s, n, &i, element, NULL) != MN_OK)
        return false; /* only on a span that was not validated */
    i = skip_space(s, n, i);
    if (i < n && s[i] == ',')
        i++;
    *pos = i;
    return true;
}

/* Decodes the escape at p[0] == '\\' of a validated string into out (1..4 bytes);
 * returns the number of input bytes used. */
static size_t decode_escape(const unsigned char *p, const unsigned char *end, unsigned char out[4],
                            size_t *out_len) {
    unsigned char e = p[1], simple = 0;
    switch (e) {
        case 'b':
            simple = '\b';
            break;
        case 'f':
            simple = '\f';
            break;
        case 'n':
            simple = '\n';
            break;
        case 'r':
            simple = '\r';
            break;
        case 't':
            simple = '\t';
            break;
        case 'u':
            break;
        default:
            simple = e; /* '"', '\\' and '/' stand for themselves */
    }
    if (simple != 0) {
        out[0] = simple;
        *out_len = 1;
        return 2;
    }
    unsigned cp = 0;
    for (int k = 2; k < 6; k++)
        cp = cp * 16 + (unsigned)hex_value(p[k]);
    size_t used = 6;
    if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
        unsigned low = 0;
        for (int k = 8; k < 12; k++)
            low = low * 16 + (unsigned)hex_value(p[k]);
        if (low >= 0xdc00 && low <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            used = 12;
        }
    }
    if (cp >= 0xd800 && cp <= 0xdfff)
        cp = 0xfffd; /* a lone surrogate is no character */
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        *out_len = 1;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        *out_len = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        *out_len = 3;
    } else {
        out[0] = (unsigned char)(0xf0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[3] = (unsigned char)(0x80 | (cp & 0x3f));
        *out_len = 4;
    }
    return used;
}

mn_status ingest_json_string_decode(const ingest_json_span *string, mn_buf *out) {
    const unsigned char *p = (const unsigned char *)string->p + 1;
    const unsigned char *end = (const unsigned char *)string->p + string->n - 1;
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, (size_t)(end - p)));
    while (p < end) {
        const unsigned char *slash = memchr(p, '\\', (size_t)(end - p));
        if (slash == NULL) {
            memcpy(out->data + out->len, p, (size_t)(end - p));
            out->len += (size_t)(end - p);
            break;
        }
        memcpy(out->data + out->len, p, (size_t)(slash - p));
        out->len += (size_t)(slash - p);
        unsigned char bytes[4];
        size_t count;
        p = slash + decode_escape(slash, end, bytes, &count);
        /* An escape is never shorter than its decoded bytes, so the reserve covers it. */
        memcpy(out->data + out->len, bytes, count);
        out->len += count;
    }
    out->data[out->len] = 0;
    return MN_OK;
}

bool ingest_json_string_equals(const ingest_json_span *string, const char *name, size_t name_len) {
    const unsigned char *p = (const unsigned char *)string->p + 1;
    const unsigned char *end = (const unsigned char *)string->p + string->n - 1;
    const unsigned char *q = (const unsigned char *)name, *q_end = q + name_len;
    if ((size_t)(end - p) == name_len && memcmp(p, name, name_len) == 0)
        return true;
    if (memchr(p, '\\', (size_t)(end - p)) == NULL)
        return false;
    while (p < end) {
        if (*p != '\\') {
            if (q == q_end || *q != *p)
                return false;
            p++;
            q++;
            continue;
        }
        unsigned char bytes[4];
        size_t count;
        p += decode_escape(p, end, bytes, &count);
        if ((size_t)(q_end - q) < count || memcmp(q, bytes, count) != 0)
            return false;
        q += count;
    }
    return q == q_end;
}

size_t ingest_utf8_sequence_length(const unsigned char *s, size_t n) {
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0; /* overlong, or a surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0; /* overlong, or above U+10FFFF */
        return 4;
    }
    return 0;
}

mn_status ingest_utf8_append(mn_buf *out, unsigned cp) {
    unsigned char bytes[4];
    size_t count;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        return mn_buf_append_byte(out, (uint8_t)cp);
    } else if (cp < 0x800) {
        bytes[0] = (unsigned char)(0xc0 | (cp >> 6));
        bytes[1] = (unsigned char)(0x80 | (cp & 0x3f));
        count = 2;
    } else if (cp < 0x10000) {
        bytes[0] = (unsigned char)(0xe0 | (cp >> 12));
        bytes[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        bytes[2] = (unsigned char)(0x80 | (cp & 0x3f));
        count = 3;
    } else {
        bytes[0] = (unsigned char)(0xf0 | (cp >> 18));
        bytes[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        bytes[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        bytes[3] = (unsigned char)(0x80 | (cp & 0x3f));
        count = 4;
    }
    return mn_buf_append(out, bytes, count);
}

mn_status ingest_json_append_string(mn_buf *out, const char *text, size_t n) {
    const unsigned char *s = (const unsigned char *)text;
    static const char hex[] = "0123456789abcdef";
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, n + 2));
    MN_FORWARD_IF_ERROR(mn_buf_append_byte(out, '"'));
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i) {
            MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, run - i));
            i = run;
            continue;
        }
        unsigned char c = s[i];
        if (c >= 0x80) {
            size_t len = ingest_utf8_sequence_length(s + i, n - i);
            if (len == 0) {
                MN_FORWARD_IF_ERROR(mn_buf_append(out, "\\ufffd", 6));
                i++;
            } else {
                MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, len));
                i += len;
            }
            continue;
        }
        char escape[7] = {'\\', 0};
        size_t escape_len = 2;
        switch (c) {
            case '"':
                escape[1] = '"';
                break;
            case '\\':
                escape[1] = '\\';
                break;
            case '\n':
                escape[1] = 'n';
                break;
            case '\r':
                escape[1] = 'r';
                break;
            case '\t':
                escape[1] = 't';
                break;
            case '\b':
                escape[1] = 'b';
                break;
            case '\f':
                escape[1] = 'f';
                break;
            default:
                memcpy(escape + 1, "u00", 3);
                escape[4] = hex[c >> 4];
                escape[5] = hex[c & 15];
                escape_len = 6;
        }
        MN_FORWARD_IF_ERROR(mn_buf_append(out, escape, escape_len));
        i++;
    }
    return mn_buf_append_byte(out, '"');
}

mn_status ingest_json_append_value(mn_buf *out, const ingest_json_span *value) {
    const unsigned char *s = (const unsigned char *)value->p;
    size_t n = value->n, i = 0;
    MN_FORWARD_IF_ERROR(mn_buf_reserve(out, n));
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] < 0x80)
            run++;
        MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, run - i));
        i = run;
        if (i == n)
            break;
        /* Bytes >= 0x80 occur only inside strings of a validated value. */
        size_t len = ingest_utf8_sequence_length(s + i, n - i);
        if (len == 0) {
            MN_FORWARD_IF_ERROR(mn_buf_append(out, "\\ufffd", 6));
            i++;
        } else {
            MN_FORWARD_IF_ERROR(mn_buf_append(out, s + i, len));
            i += len;
        }
    }
    return MN_OK;
}
