/* A validating JSON scanner for the readers: one pass over a record finds the spans of an
 * object's top-level members without building a tree, and only the values a reader needs
 * are decoded (the text) or copied (kept fields).
 *
 * Why not jansson: it builds a tree (an allocation per value and a copy of every string),
 * rejects a whole record for one invalid UTF-8 byte or lone surrogate escape (which the
 * pipeline's normalisation repairs to U+FFFD and counts), and keeps no raw value text. The
 * tests check this scanner against jansson on valid input (docs/decisions.md).
 *
 * Grammar: RFC 8259, strict (no comments, no trailing commas, no NaN, no leading zeros,
 * no control characters inside strings), except that bytes >= 0x80 inside strings are
 * passed through unchecked. Nesting is bounded by INGEST_JSON_MAX_DEPTH.
 */
#ifndef MNEMO_INGEST_JSON_H
#define MNEMO_INGEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "common/mem.h"

enum { INGEST_JSON_MAX_DEPTH = 1024 };

typedef enum ingest_json_type {
    INGEST_JSON_NULL = 0,
    INGEST_JSON_FALSE,
    INGEST_JSON_TRUE,
    INGEST_JSON_NUMBER,
    INGEST_JSON_STRING,
    INGEST_JSON_ARRAY,
    INGEST_JSON_OBJECT,
} ingest_json_type;

/* A value as it appears in the text: for strings the span includes the quotes. */
typedef struct ingest_json_span {
    const char *p;
    size_t n;
    ingest_json_type type;
} ingest_json_span;

typedef struct ingest_json_member {
    ingest_json_span key; /* a string span */
    ingest_json_span value;
} ingest_json_member;

/* Growable list of members, reused across records (zero-initialise; free with
 * ingest_json_members_free). */
typedef struct ingest_json_members {
    ingest_json_member *items;
    size_t count;
    size_t capacity;
} ingest_json_members;

void ingest_json_members_free(ingest_json_members *members);

/* Validates text[0..len) as exactly one JSON value surrounded by optional whitespace. When
 * it is an object, its top-level members are stored in `members` (in text order,
 * duplicates included); `members` may be NULL. On invalid input returns MN_ERR_FORMAT with
 * a message naming the byte offset and what was expected. */
mn_status ingest_json_parse(const char *text, size_t len, ingest_json_span *value,
                            ingest_json_members *members);

/* The last member whose key equals `name` (the rule of jansson, Python and jq for
 * duplicate keys), or NULL. */
const ingest_json_member *ingest_json_find(const ingest_json_members *members, const char *name,
                                           size_t name_len);

/* Iterates the elements of a validated array span: *pos starts at 0; returns false after
 * the last element. */
bool ingest_json_array_next(const ingest_json_span *array, size_t *pos, ingest_json_span *element);

/* Appends the decoded bytes of a validated string span to `out`: escapes decoded, \u
 * surrogate pairs combined, lone surrogates written as U+FFFD, other bytes unchanged. */
mn_status ingest_json_string_decode(const ingest_json_span *string, mn_buf *out);

/* Compares a validated string span (key) with `name` after decoding. */
bool ingest_json_string_equals(const ingest_json_span *string, const char *name, size_t name_len);

/* Appends `s` as a JSON string literal: quotes, escapes for '"', '\\' and control
 * characters, and invalid UTF-8 replaced by the escape \ufffd, so the output is always
 * valid JSON in UTF-8. */
mn_status ingest_json_append_string(mn_buf *out, const char *s, size_t n);

/* Appends a validated value span verbatim, except that invalid UTF-8 inside its strings is
 * replaced by \ufffd (the output is valid JSON in UTF-8). */
mn_status ingest_json_append_value(mn_buf *out, const ingest_json_span *value);

/* Length of the valid UTF-8 sequence starting at s[0] (1..4), or 0 when the bytes there
 * are not one (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t ingest_utf8_sequence_length(const unsigned char *s, size_t n);

/* Appends the UTF-8 encoding of code point `cp` (U+FFFD when it is not a scalar value). */
mn_status ingest_utf8_append(mn_buf *out, unsigned cp);

#endif
