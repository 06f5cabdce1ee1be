/* Fuzz target: the parquet reader (footer, Thrift, page headers, codecs, encodings, levels)
 * on arbitrary bytes. A file may legitimately hold far more rows than bytes (runs of one
 * value), so reading stops after a bounded number of calls; each call must stay cheap. */
#include <stdint.h>
#include <stdlib.h>

#include "ingest/parquet.h"
#include "ingest/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const keep[] = {"token_count", "score", "flag"};
    ingest_reader_options options = {.format = INGEST_FORMAT_PARQUET,
                                     .keep_fields = keep,
                                     .n_keep_fields = 3,
                                     .max_record_bytes = 1 << 16};
    ingest_reader *reader = NULL;
    if (ingest_reader_open_memory(&reader, data, size, "fuzz.parquet", &options) != MN_OK)
        abort();
    for (size_t calls = 0; calls < 20000; calls++) {
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
    /* The decoders on their own, over the same bytes. */
    pq_meta meta;
    if (pq_meta_decode(data, size, &meta) == MN_OK)
        pq_meta_free(&meta);
    pq_page_header header;
    (void)pq_page_header_decode(data, size, &header);
    pq_delta delta;
    if (pq_delta_init(&delta, data, size) == MN_OK) {
        int64_t value;
        for (int i = 0; i < 1000 && pq_delta_next(&delta, &value) == MN_OK; i++)
            ;
    }
    const uint8_t *end;
    (void)pq_delta_end(data, size, &end);
    pq_rle rle;
    pq_rle_init(&rle, data + (size > 0), size > 0 ? size - 1 : 0, size > 0 ? data[0] % 33 : 0);
    uint32_t v;
    for (int i = 0; i < 1000 && pq_rle_next(&rle, &v) == MN_OK; i++)
        ;
    return 0;
}
