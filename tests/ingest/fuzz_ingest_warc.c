/* Fuzz target: the WARC/WET reader (record framing, HTTP parsing, de-chunking, inflating,
 * charset conversion, HTML to text) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>

#include "ingest/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const keep[] = {"WARC-Date", "Content-Type"};
    ingest_reader_options options = {.format = INGEST_FORMAT_WARC,
                                     .keep_fields = keep,
                                     .n_keep_fields = 2,
                                     .max_record_bytes = 1 << 16};
    ingest_reader *reader = NULL;
    if (ingest_reader_open_memory(&reader, data, size, "fuzz.warc", &options) != MN_OK)
        abort();
    for (size_t calls = 0;; calls++) {
        if (calls > 4 * size + 100)
            abort(); /* every call consumes input or ends */
        ingest_document doc;
        bool done = false;
        mn_status status = ingest_reader_next(reader, &doc, &done);
        if (status == MN_OK && done)
            break;
        if (status != MN_OK && status != MN_ERR_FORMAT && status != MN_ERR_LIMIT &&
            status != MN_ERR_CORRUPT)
            abort();
    }
    ingest_reader_close(reader);
    return 0;
}
