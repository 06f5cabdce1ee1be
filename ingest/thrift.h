/* A reader of the Thrift compact protocol, enough for Parquet's footer and page headers.
 *
 * Encoding (Apache Thrift, "Compact Protocol" specification):
 *   - a struct is a sequence of fields ended by a byte 0x00 (STOP);
 *   - a field header is one byte: high nibble = field id delta (1..15) from the previous
 *     field of the same struct, low nibble = type; a zero delta is followed by the field id
 *     as a zigzag varint (i16);
 *   - types: 1 bool true, 2 bool false (the value lives in the type), 3 i8 (one byte),
 *     4 i16, 5 i32, 6 i64 (zigzag varints: (n << 1) ^ (n >> 63), 7 bits per byte, low group
 *     first, high bit = more), 7 double (8 bytes little-endian), 8 binary (varint length,
 *     bytes), 9 list and 10 set (header byte: high nibble = size 0..14, or 15 and a varint
 *     size; low nibble = element type; booleans in lists are one byte each), 11 map (varint
 *     size; when not 0, a byte of key type << 4 | value type), 12 struct.
 * Every read is bounded by the buffer; nesting by THRIFT_MAX_DEPTH. Reading past the end
 * is MN_ERR_LIMIT (the caller may retry with more bytes); malformed input MN_ERR_FORMAT.
 */
#ifndef MNEMO_INGEST_THRIFT_H
#define MNEMO_INGEST_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum {
    THRIFT_STOP = 0,
    THRIFT_TRUE = 1,
    THRIFT_FALSE = 2,
    THRIFT_I8 = 3,
    THRIFT_I16 = 4,
    THRIFT_I32 = 5,
    THRIFT_I64 = 6,
    THRIFT_DOUBLE = 7,
    THRIFT_BINARY = 8,
    THRIFT_LIST = 9,
    THRIFT_SET = 10,
    THRIFT_MAP = 11,
    THRIFT_STRUCT = 12,
    THRIFT_MAX_DEPTH = 64,
};

typedef struct ingest_thrift {
    const uint8_t *p;
    const uint8_t *end;
    const uint8_t *start;
    int depth;
} ingest_thrift;

void ingest_thrift_init(ingest_thrift *t, const void *data, size_t size);
/* Bytes consumed so far. */
size_t ingest_thrift_offset(const ingest_thrift *t);

/* The next field header of the struct being read; *last is the previous field id of that
 * struct (start at 0). *type == THRIFT_STOP at the end of the struct. */
mn_status ingest_thrift_field(ingest_thrift *t, int16_t *last, int16_t *id, int *type);

mn_status ingest_thrift_i32(ingest_thrift *t, int type, int32_t *value);
mn_status ingest_thrift_i64(ingest_thrift *t, int type, int64_t *value);
mn_status ingest_thrift_binary(ingest_thrift *t, int type, const uint8_t **data, size_t *size);
/* A bool field: its value is in its type. */
mn_status ingest_thrift_bool(int type, int *value);
/* A list or set header; *count is checked against the bytes left (every element takes one
 * byte at least). */
mn_status ingest_thrift_list(ingest_thrift *t, int type, int *element_type, size_t *count);
/* Reads one element of a list of bools. */
mn_status ingest_thrift_list_bool(ingest_thrift *t, int *value);
/* Skips a value of `type` (structs, lists and maps included). */
mn_status ingest_thrift_skip(ingest_thrift *t, int type);
/* Around the fields of a nested struct: bounds the depth. */
mn_status ingest_thrift_struct_begin(ingest_thrift *t);
void ingest_thrift_struct_end(ingest_thrift *t);

#endif
