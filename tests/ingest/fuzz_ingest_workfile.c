/* Fuzz target: the readers of the pipeline's own work files, which a crash or a full disk
 * can leave damaged: a documents file (blocks of zstd frames of records), a keys file and a
 * completion marker, all read from the input bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/io.h"
#include "ingest/work.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static mn_status each(void *ctx, const ingest_work_doc *doc, uint64_t index) {
    (void)ctx;
    (void)index;
    volatile size_t sum = doc->id_len + doc->url_len + doc->extra_len + doc->text_len;
    (void)sum;
    return MN_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (path[0] == 0)
        snprintf(path, sizeof path, "/tmp/fuzz-ingest-work-%d", (int)getpid());
    /* The raw payload of a block. */
    ingest_docs_parse(data, size, "fuzz", each, NULL);
    /* The same bytes as files. */
    if (ingest_work_write_file(path, data, size) != MN_OK)
        return 0;
    ingest_docs_reader *docs = NULL;
    if (ingest_docs_open(&docs, path, 0, ingest_docs_block_limit(1 << 20)) == MN_OK) {
        for (int i = 0; i < 100000; i++) {
            ingest_work_doc doc;
            uint64_t index;
            bool done;
            if (ingest_docs_next(docs, &doc, &index, &done) != MN_OK || done)
                break;
        }
        ingest_docs_close(docs);
    }
    ingest_keys_reader *keys = NULL;
    if (ingest_keys_open(&keys, path, 2, size / ingest_key_size(2)) == MN_OK) {
        for (;;) {
            ingest_key key;
            bool done;
            if (ingest_keys_next(keys, &key, &done) != MN_OK || done)
                break;
        }
        ingest_keys_close(keys);
    }
    ingest_input_meta meta;
    if (ingest_meta_read(path, &meta) == MN_OK)
        ingest_meta_free(&meta);
    unlink(path);
    return 0;
}
