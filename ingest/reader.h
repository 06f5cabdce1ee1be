/* Input readers of mnemo-ingest: one interface over every raw corpus format.
 *
 * CONTRACT between the readers (jsonl, parquet, tar/zip, WARC/WET, plain text, HTML to
 * text) and the ingestion pipeline (normalisation, filters, deduplication, shards).
 *
 * A reader yields documents in file order with a record number that depends only on the
 * file's content, so document identities (and therefore outputs) never depend on how
 * files were spread across ranks. A bad record is reported (message naming the file and
 * the location, plus a reason key for the report) and skipped: the next call continues.
 * A reader never crashes or hangs on any input, and memory stays bounded by
 * max_record_bytes whatever the file.
 */
#ifndef MNEMO_INGEST_READER_H
#define MNEMO_INGEST_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum ingest_format {
    INGEST_FORMAT_AUTO = 0, /* detected from content (magic bytes, then the file name) */
    INGEST_FORMAT_JSONL,    /* JSON Lines, plain or .gz/.zst/.xz/.bz2 */
    INGEST_FORMAT_PARQUET,  /* a string column, page by page */
    INGEST_FORMAT_ARCHIVE,  /* tar (any compression) or zip of .txt/.json/.jsonl members */
    INGEST_FORMAT_WARC,     /* WARC response records (HTML turned into text) */
    INGEST_FORMAT_WET,      /* WET conversion records (text) */
    INGEST_FORMAT_TEXT,     /* plain text: the file, or blank-line-separated blocks */
    INGEST_FORMAT_COUNT
} ingest_format;

/* "auto", "jsonl", "parquet", "archive", "warc", "wet", "text". */
const char *ingest_format_name(ingest_format format);
mn_status ingest_format_parse(const char *name, ingest_format *format);

typedef struct ingest_reader_options {
    ingest_format format;
    /* JSON key or parquet column of the text; NULL: the first of text, content, raw_content. */
    const char *text_field;
    /* Extra fields kept as metadata (besides id and url, always kept when present). */
    const char *const *keep_fields;
    size_t n_keep_fields;
    bool split_paragraphs;   /* plain text: one document per blank-line-separated block */
    const char *split_line;  /* plain text: a line equal to this separates documents ("%" in
                                fortune files); NULL: not used */
    size_t max_record_bytes; /* longer records are skipped as "too_long"; 0: 64 MiB */
} ingest_reader_options;

typedef struct ingest_document {
    const char *text; /* raw bytes as found (not yet normalised); not NUL-terminated */
    size_t text_len;
    const char *id; /* the source's own id, or NULL */
    size_t id_len;
    const char *url; /* or NULL */
    size_t url_len;
    const char *extra_json; /* kept fields as JSON members ("\"date\":\"2023\""), or NULL */
    size_t extra_json_len;
    uint64_t record;    /* 0-based index of the record in the file, skipped ones counted */
    char location[160]; /* human form: "line 7", "row 1234", "member a/b.jsonl line 3" */
} ingest_document;

typedef struct ingest_reader ingest_reader;

/* Opens `path`; a missing or unreadable file is an error naming it. Damaged or
 * unrecognisable content is not an error here: the first ingest_reader_next reports it
 * (reasons "empty_file", "unknown_format", "corrupt_file", ...) and the file ends. */
mn_status ingest_reader_open(ingest_reader **reader, const char *path,
                             const ingest_reader_options *options);
/* The same over a buffer that outlives the reader (tests, fuzzing); `name` stands for the
 * path in detection and messages. */
mn_status ingest_reader_open_memory(ingest_reader **reader, const void *data, size_t size,
                                    const char *name, const ingest_reader_options *options);
/* The format ingest_reader_open would choose for `path` with INGEST_FORMAT_AUTO. */
mn_status ingest_format_detect(const char *path, ingest_format *format);
/* The next document (pointers valid until the next call). At the end: MN_OK and *done.
 * A bad record: MN_ERR_FORMAT or MN_ERR_LIMIT, message "FILE: LOCATION: what; skipped",
 * reason in ingest_reader_reason; call again to continue. A damaged container that cannot
 * be read further (truncated archive, corrupt compressed stream): MN_ERR_CORRUPT with the
 * offset, after which *done is set on the next call. On a bad record doc->record and
 * doc->location name it when it has a location (other fields are unset). */
mn_status ingest_reader_next(ingest_reader *reader, ingest_document *doc, bool *done);
/* Counter key of the last bad record: "bad_json", "missing_text", "too_long",
 * "corrupt_stream", "bad_parquet_page", "bad_warc_record", ... */
const char *ingest_reader_reason(const ingest_reader *reader);
/* Input bytes consumed so far (compressed), for progress. */
uint64_t ingest_reader_bytes_read(const ingest_reader *reader);
/* Records passed over on purpose, which are not errors and print no message (WARC request
 * and metadata records, responses that are not HTML or text, non-2xx responses, archive
 * directories, empty archive members): the number of distinct keys so far, and the key and
 * count of the i-th ("warc_request", ...), NULL when i is out of range. Per file; add them
 * to the report after the file ends. */
size_t ingest_reader_skipped_count(const ingest_reader *reader);
const char *ingest_reader_skipped(const ingest_reader *reader, size_t i, uint64_t *count);
ingest_format ingest_reader_format(const ingest_reader *reader);
void ingest_reader_close(ingest_reader *reader);

#endif
