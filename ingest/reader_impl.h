/* Internal to the readers: the reader object, the back-end interface every format
 * implements, and the record parsers that several formats share (JSON records and plain
 * text blocks are read from files and from archive members alike).
 */
#ifndef MNEMO_INGEST_READER_IMPL_H
#define MNEMO_INGEST_READER_IMPL_H

#include <stdarg.h>

#include "common/mem.h"
#include "ingest/json.h"
#include "ingest/reader.h"
#include "ingest/stream.h"

/* A format back end. `next` fills the document or returns a skip status (see
 * ingest__skip); it never sees a reader whose `done` is set. */
typedef struct ingest__backend {
    mn_status (*open)(ingest_reader *reader);
    mn_status (*next)(ingest_reader *reader, ingest_document *doc, bool *done);
    void (*close)(ingest_reader *reader);
    /* Compressed input bytes consumed; NULL: libarchive's count on reader->archive. */
    uint64_t (*bytes_read)(const ingest_reader *reader);
} ingest__backend;

extern const ingest__backend ingest__jsonl_backend;
extern const ingest__backend ingest__text_backend;
extern const ingest__backend ingest__archive_backend;
extern const ingest__backend ingest__warc_backend;
extern const ingest__backend ingest__parquet_backend;

/* Plain text splitting, shared by text files and .txt archive members. */
typedef struct ingest__text_state {
    uint64_t line; /* lines consumed (the next line's number is line + 1) */
    bool started;  /* whole-file mode: the single document was produced */
} ingest__text_state;

/* The silent skip counters (ingest_reader_skipped). */
enum { INGEST__MAX_SKIP_KEYS = 16 };

struct ingest_reader {
    char *path; /* as given; every message starts with it */
    ingest_format format;
    /* Options, copied. */
    char *text_field;
    char **keep_fields;
    size_t n_keep_fields;
    bool split_paragraphs;
    char *split_line;
    size_t split_line_len;
    size_t max_record_bytes;
    /* Input: a file, or a buffer (ingest_reader_open_memory). */
    const uint8_t *memory;
    size_t memory_size;
    uint64_t file_size;
    /* State. */
    const ingest__backend *backend;
    void *state;             /* the back end's */
    struct archive *archive; /* libarchive reader of stream-based back ends */
    ingest__stream stream;
    bool done;
    bool stop_after_error; /* a corrupt container was reported: the next call ends */
    /* Set by back ends whose containers hold independent parts (archive members): when it
     * returns true, a damaged stream ends only the current part, reported as
     * MN_ERR_FORMAT "corrupt_member", and the reader goes on with the next part. */
    bool (*corrupt_recoverable)(ingest_reader *reader);
    const char *reason;
    uint64_t record; /* the next record number */
    /* Scratch for documents. */
    mn_buf text, id, url, extra;
    ingest_json_members members;
    ingest__text_state text_state;
    /* Counters of records passed over on purpose. */
    const char *skip_keys[INGEST__MAX_SKIP_KEYS];
    uint64_t skip_counts[INGEST__MAX_SKIP_KEYS];
    size_t n_skip_keys;
};

/* Sets reason and returns `status` with message "PATH: LOCATION: what; skipped" (or, for
 * MN_ERR_CORRUPT, "...; the rest of the file is skipped", and the reader stops at the next
 * call, unless corrupt_recoverable says only the current member is lost). `location` may
 * be NULL or "". */
mn_status ingest__skip(ingest_reader *reader, mn_status status, const char *reason,
                       const char *location, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Reports a file whose content is empty after decompression ("empty_file"); the reader
 * ends at the next call. */
mn_status ingest__empty_file(ingest_reader *reader);

/* Counts a record passed over on purpose (not an error) under `key` (a static string). */
void ingest__count_skip(ingest_reader *reader, const char *key);

/* Clears the document and the scratch buffers for a new record. */
void ingest__doc_reset(ingest_reader *reader, ingest_document *doc);
/* Points doc->text/id/url/extra_json at the scratch buffers that hold data. */
void ingest__doc_finish(ingest_reader *reader, ingest_document *doc);

/* Appends ,"key":value to the scratch extra JSON (the leading comma only after the first). */
mn_status ingest__extra_begin_member(ingest_reader *reader, const char *key, size_t key_len);

/* One JSON object (a JSONL line, or an element of a .json array) into the document:
 * text, id, url, kept fields. A bad record returns MN_ERR_FORMAT with the reason set and a
 * message without location (the caller adds it through ingest__skip). */
mn_status ingest__json_record(ingest_reader *reader, const char *data, size_t len,
                              ingest_document *doc, const char **reason);

/* The next plain-text document from `stream` by the reader's split options. `what` names
 * the source in locations ("" for a file, "member NAME " for an archive member). On a
 * block over max_record_bytes returns MN_ERR_LIMIT through ingest__skip. */
mn_status ingest__text_next(ingest_reader *reader, ingest__stream *stream,
                            ingest__text_state *state, const char *what, ingest_document *doc,
                            bool *done);

/* JSON Lines (or a JSON array when the content starts with '[' or `whole_json`) from
 * `stream`; `line` counts lines consumed. Shared by JSONL files and archive members. */
typedef struct ingest__jsonl_state {
    uint64_t line;
    bool started;
    bool array_mode; /* the content is one JSON value: an array of objects or an object */
    mn_buf whole;    /* array mode: the whole content */
    ingest_json_span array;
    size_t array_pos;
    uint64_t element;
} ingest__jsonl_state;

mn_status ingest__jsonl_next(ingest_reader *reader, ingest__stream *stream,
                             ingest__jsonl_state *state, bool whole_json, const char *what,
                             ingest_document *doc, bool *done);
void ingest__jsonl_state_free(ingest__jsonl_state *state);

/* Format detection from the first bytes of the (decompressed) content and the name. */
ingest_format ingest__detect(const uint8_t *head, size_t head_len, const char *name,
                             bool compressed);

#endif
