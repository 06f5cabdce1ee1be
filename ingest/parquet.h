/* Parquet, as far as the reader of text corpora needs it (RefinedWeb, FineWeb, RedPajama and
 * The Stack ship this way). Internal to the readers; exposed for tests and fuzzing.
 *
 * File layout (Apache parquet-format), every offset absolute and little-endian:
 *     "PAR1"                                     4 bytes
 *     column chunks, row group by row group      each: [dictionary page] data pages...
 *     FileMetaData                               Thrift compact struct (thrift.h)
 *     footer length                              u32: bytes of FileMetaData
 *     "PAR1"                                     4 bytes
 * FileMetaData: 1 version i32, 2 schema list<SchemaElement>, 3 num_rows i64, 4 row_groups
 *   list<RowGroup>, 5 key_value_metadata, 6 created_by string.
 * SchemaElement (depth-first flattening of the schema tree, root first): 1 type i32,
 *   2 type_length i32, 3 repetition_type i32 (0 required, 1 optional, 2 repeated), 4 name
 *   string, 5 num_children i32 (groups only), 6 converted_type i32, 10 logicalType struct.
 * RowGroup: 1 columns list<ColumnChunk> (one per leaf, in schema order), 3 num_rows i64.
 * ColumnChunk: 1 file_path (data in another file: not supported), 3 meta_data ColumnMetaData.
 * ColumnMetaData: 1 type, 3 path_in_schema list<string>, 4 codec i32, 5 num_values i64,
 *   7 total_compressed_size i64, 9 data_page_offset i64, 11 dictionary_page_offset i64.
 * A page is a PageHeader then compressed_page_size bytes. PageHeader: 1 type i32 (0 data
 *   page, 1 index page, 2 dictionary page, 3 data page v2), 2 uncompressed_page_size i32,
 *   3 compressed_page_size i32, 5 DataPageHeader, 7 DictionaryPageHeader, 8 DataPageHeaderV2.
 * DataPageHeader: 1 num_values i32 (nulls included), 2 encoding, 3 definition level encoding.
 *   Its body, compressed as a whole: [repetition levels: u32 length + RLE hybrid] (only when
 *   the column repeats), [definition levels: u32 length + RLE hybrid, or BIT_PACKED (MSB
 *   first, num_values * bit width bits)] (only for optional columns), values.
 * DataPageHeaderV2: 1 num_values, 2 num_nulls, 3 num_rows, 4 encoding, 5 definition levels
 *   byte length, 6 repetition levels byte length, 7 is_compressed bool (default true). Its
 *   body: repetition levels, definition levels (RLE hybrid, no length prefix, never
 *   compressed), then the values, compressed when is_compressed.
 * DictionaryPageHeader: 1 num_values i32, 2 encoding (PLAIN): the values, PLAIN encoded.
 *
 * Codecs: 0 uncompressed, 1 snappy (raw snappy), 2 gzip (RFC 1952), 6 zstd. LZO, brotli,
 * LZ4 (4 and 7) are reported as unsupported.
 * Encodings of values: 0 PLAIN (BYTE_ARRAY: u32 length + bytes; FIXED_LEN_BYTE_ARRAY:
 *   type_length bytes; INT32/FLOAT 4 bytes, INT64/DOUBLE 8; BOOLEAN 1 bit, LSB first);
 *   2 PLAIN_DICTIONARY and 8 RLE_DICTIONARY (a bit width byte, then indices in the RLE hybrid
 *   without length prefix); 3 RLE (booleans: u32 length + RLE hybrid of width 1);
 *   5 DELTA_BINARY_PACKED, 6 DELTA_LENGTH_BYTE_ARRAY, 7 DELTA_BYTE_ARRAY (below);
 *   9 BYTE_STREAM_SPLIT (byte k of value i at k * n + i, n non-null values).
 * RLE/bit-packed hybrid: runs, each a ULEB128 header h: h & 1 == 0 -> h >> 1 repetitions of
 *   one value stored in ceil(width / 8) little-endian bytes; h & 1 == 1 -> (h >> 1) * 8
 *   values bit-packed LSB first, (h >> 1) * width bytes.
 * DELTA_BINARY_PACKED: ULEB128 block size (values, a multiple of 128), miniblocks per
 *   block, total value count, zigzag ULEB128 first value; then blocks: zigzag ULEB128 min
 *   delta, one bit width byte per miniblock, the miniblocks bit-packed LSB first (deltas
 *   minus min delta); miniblocks past the last value are absent. DELTA_LENGTH_BYTE_ARRAY:
 *   the lengths as DELTA_BINARY_PACKED, then all the bytes. DELTA_BYTE_ARRAY: prefix lengths
 *   (shared with the previous value) as DELTA_BINARY_PACKED, then the suffixes as
 *   DELTA_LENGTH_BYTE_ARRAY.
 *
 * Only flat columns are read (no repetition); nested groups of optional fields are fine.
 * Every length and offset read from the file is checked against the file and the page
 * bounds before use.
 */
#ifndef MNEMO_INGEST_PARQUET_H
#define MNEMO_INGEST_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/mem.h"

enum {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FIXED_LEN_BYTE_ARRAY = 7,
};
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum {
    PQ_CODEC_UNCOMPRESSED = 0,
    PQ_CODEC_SNAPPY = 1,
    PQ_CODEC_GZIP = 2,
    PQ_CODEC_LZO = 3,
    PQ_CODEC_BROTLI = 4,
    PQ_CODEC_LZ4 = 5,
    PQ_CODEC_ZSTD = 6,
    PQ_CODEC_LZ4_RAW = 7,
};
enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICTIONARY = 2, PQ_PAGE_DATA_V2 = 3 };
enum {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9,
};
/* ConvertedType values that change how a value is shown. */
enum { PQ_CONVERTED_UINT_32 = 13, PQ_CONVERTED_UINT_64 = 14 };

typedef struct pq_leaf {
    char *path; /* dotted: "meta.url" */
    int type;
    int type_length;
    int converted_type; /* -1 when absent */
    bool unsigned_int;  /* logical or converted unsigned integer */
    int max_definition;
    int max_repetition;
} pq_leaf;

typedef struct pq_chunk {
    int type;
    int codec;
    int64_t num_values;
    int64_t total_compressed_size;
    int64_t data_page_offset;
    int64_t dictionary_page_offset; /* -1 when absent */
    bool external;                  /* file_path set: the data lives in another file */
    bool has_meta;
} pq_chunk;

typedef struct pq_row_group {
    int64_t num_rows;
    pq_chunk *chunks; /* one per leaf, or NULL when the row group lists a different count */
    size_t n_chunks;
} pq_row_group;

typedef struct pq_meta {
    pq_leaf *leaves;
    size_t n_leaves;
    pq_row_group *row_groups;
    size_t n_row_groups;
    int64_t num_rows;
    char *created_by;
} pq_meta;

/* Decodes FileMetaData from `data` (the footer's bytes). */
mn_status pq_meta_decode(const uint8_t *data, size_t size, pq_meta *meta);
void pq_meta_free(pq_meta *meta);

typedef struct pq_page_header {
    int type;
    int32_t uncompressed_size;
    int32_t compressed_size;
    int32_t num_values;
    int32_t num_nulls; /* v2 */
    int32_t num_rows;  /* v2 */
    int encoding;
    int definition_encoding;  /* v1 */
    int32_t definition_bytes; /* v2 */
    int32_t repetition_bytes; /* v2 */
    bool is_compressed;       /* v2 */
    size_t header_size;       /* bytes of the header itself */
} pq_page_header;

/* Decodes a PageHeader at the start of data[0..size); MN_ERR_LIMIT when more bytes are
 * needed to finish it. */
mn_status pq_page_header_decode(const uint8_t *data, size_t size, pq_page_header *header);

/* The RLE / bit-packed hybrid, value by value. */
typedef struct pq_rle {
    const uint8_t *p, *end;
    int width;
    uint64_t run_left;    /* values left in the current run */
    bool packed;          /* the current run is bit-packed */
    uint32_t value;       /* the repeated value of an RLE run */
    uint64_t bit;         /* bit position in a packed run, from its start */
    const uint8_t *group; /* start of the packed run's bytes */
} pq_rle;

void pq_rle_init(pq_rle *rle, const uint8_t *data, size_t size, int width);
/* The next value; MN_ERR_FORMAT when the data ends before it. */
mn_status pq_rle_next(pq_rle *rle, uint32_t *value);
/* Values left in the current RLE run of value *value (0 when in a packed run or between
 * runs): lets callers skip long runs at once. */
uint64_t pq_rle_run(const pq_rle *rle, uint32_t *value);
void pq_rle_skip_run(pq_rle *rle, uint64_t n);

/* DELTA_BINARY_PACKED, value by value. */
typedef struct pq_delta {
    const uint8_t *p, *end;
    uint64_t block_size, miniblocks, per_miniblock;
    uint64_t total, produced;
    int64_t last;
    int64_t min_delta;
    const uint8_t *widths; /* of the current block */
    uint64_t miniblock;    /* index in the block */
    uint64_t in_miniblock; /* values consumed from the current miniblock */
    const uint8_t *data;   /* the current miniblock's bits */
} pq_delta;

mn_status pq_delta_init(pq_delta *delta, const uint8_t *data, size_t size);
mn_status pq_delta_next(pq_delta *delta, int64_t *value);
/* The byte just past the encoded values (walks the blocks without decoding them). */
mn_status pq_delta_end(const uint8_t *data, size_t size, const uint8_t **end);

#endif
