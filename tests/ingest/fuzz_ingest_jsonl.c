/* Fuzz target: the JSON Lines reader (with format detection and the compression filters)
 * and the JSON scanner on arbitrary bytes. A reader must end on any input, never crash, and
 * never return a status other than a document, a skip or the end. */
#include <stdint.h>
#include <stdlib.h>

#include "common/mem.h"
#include "ingest/json.h"
#include "ingest/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const uint8_t *data, size_t size, const char *name, ingest_format format) {
    static const char *const keep[] = {"meta", "date"};
    ingest_reader_options options = {
        .format = format, .keep_fields = keep, .n_keep_fields = 2, .max_record_bytes = 4096};
    ingest_reader *reader = NULL;
    if (ingest_reader_open_memory(&reader, data, size, name, &options) != MN_OK)
        abort(); /* only I/O can fail an open, and there is none here */
    for (size_t calls = 0;; calls++) {
        if (calls > 4 * size + 100)
            abort(); /* every call consumes input or ends: more calls than that is a loop */
        ingest_document doc;
        bool done = false;
        mn_status status = ingest_reader_next(reader, &doc, &done);
        if (status == MN_OK && done)
            break;
        if (status != MN_OK && status != MN_ERR_FORMAT && status != MN_ERR_LIMIT &&
            status != MN_ERR_CORRUPT)
            abort();
        if (status == MN_OK && doc.text_len > 0 && doc.text == NULL)
            abort();
    }
    ingest_reader_close(reader);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    read_all(data, size, "fuzz.jsonl", INGEST_FORMAT_JSONL);
    read_all(data, size, "fuzz", INGEST_FORMAT_AUTO);
    ingest_json_members members = {0};
    ingest_json_span value;
    if (ingest_json_parse((const char *)data, size, &value, &members) == MN_OK) {
        mn_buf out = {0};
        for (size_t i = 0; i < members.count; i++) {
            if (members.items[i].value.type == INGEST_JSON_STRING &&
                ingest_json_string_decode(&members.items[i].value, &out) != MN_OK)
                abort();
            if (ingest_json_append_value(&out, &members.items[i].value) != MN_OK)
                abort();
        }
        if (ingest_json_append_string(&out, (const char *)data, size) != MN_OK)
            abort();
        mn_buf_free(&out);
    }
    ingest_json_members_free(&members);
    return 0;
}
