/* Internal JSON helpers of shards/ (not a public interface; names carry `shard__`).
 *
 * Writing: the one escaping every shards/ writer uses (document shards, manifest twins), so
 * the same string always gives the same bytes: quote and backslash as \" and \\, the control
 * characters U+0000..U+001F as \b \t \n \f \r or \u00XX (lowercase hex), everything else
 * (DEL, non-ASCII) raw. Input must be valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF).
 *
 * Reading: a strict RFC 8259 parser for one JSON object (a document line). It decodes the
 * strings of the standard document keys in place, keeps every other member as raw JSON text,
 * and reports the first fault with its byte column.
 */
#ifndef MNEMO_SHARDS_JSON_H
#define MNEMO_SHARDS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"
#include "shards/docshard.h"

/* Length of the longest valid UTF-8 prefix of `s` (== len when all of it is valid). */
size_t shard__utf8_valid_prefix(const uint8_t *s, size_t len);

/* Appends the escaped body of `s` (no quotes) to `buf`. `s` must be valid UTF-8 (checked
 * by the caller); invalid bytes are copied as they are. */
mn_status shard__json_escape(mn_buf *buf, const char *s, size_t len);

/* Appends `"escaped s"`; fails with MN_ERR_FORMAT naming the byte offset when `s` is not
 * valid UTF-8. */
mn_status shard__json_append_string(mn_buf *buf, const char *s, size_t len);

/* Parses one document line (modified in place: decoded strings overwrite their escaped
 * form). On success fills `doc`: id, text, source point into `line` ("" when absent, id may
 * also be a JSON number, kept as its text), url is NULL when absent or null, extra members
 * are copied as raw JSON text into `extra` (doc->extra_json NULL when there are none).
 * Fails with MN_ERR_FORMAT and a message "column N: what" (no file name: the caller adds
 * it). Lines are at most SIZE_MAX/2 bytes. */
mn_status shard__json_parse_document(char *line, size_t len, doc_record *doc, mn_buf *extra);

/* Checks that `members` is a valid comma-separated list of JSON object members (the body of
 * an object without braces) whose keys are none of id, text, source, url. */
mn_status shard__json_check_members(const char *members, size_t len);

#endif
