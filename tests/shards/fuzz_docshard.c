/* Fuzz target: the document shard reader on any bytes, both as a .jsonl.zst image (zstd
 * decoding, line splitting) and as raw JSON Lines (the document parser), plus the writer's
 * check of extra members. Nothing may crash, hang or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "shards/docshard.h"
#include "shards/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    docshard_reader *reader;
    if (docshard_reader_open_memory(&reader, data, size, "fuzz") == MN_OK) {
        docshard_reader_set_max_line(reader, 4096);
        for (int i = 0; i < 10000; i++) {
            doc_record doc;
            bool done = false;
            mn_status status = docshard_reader_next(reader, &doc, &done);
            if (status == MN_OK && done)
                break;
            if (status == MN_OK && doc.text_len > 0)
                (void)doc.text[doc.text_len - 1]; /* the returned span is readable */
        }
        docshard_reader_close(reader);
    }
    /* Raw lines through the parser (each on its own exact-size copy). */
    const uint8_t *p = data, *end = data + size;
    mn_buf extra = {0};
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *line = malloc(len ? len : 1);
        if (line == NULL)
            break;
        memcpy(line, p, len);
        doc_record doc;
        if (shard__json_parse_document(line, len, &doc, &extra) == MN_OK && doc.extra_json)
            shard__json_check_members(doc.extra_json, doc.extra_json_len);
        shard__json_check_members(line, len);
        free(line);
        p += len + 1;
    }
    mn_buf_free(&extra);
    return 0;
}
