/* Turns a text file into a document dataset for the tokenizer benchmarks (and for trying
 * mnemo-bpe without mnemo-ingest): documents are the text's paragraphs (split at blank
 * lines) joined up to at least MIN_BYTES each, spread round-robin over SHARDS shards.
 *
 *   bench_tok_make_docs TEXT OUTDIR [SHARDS] [MIN_BYTES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "shards/docshard.h"
#include "shards/manifest.h"

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s TEXT OUTDIR [SHARDS] [MIN_BYTES]\n", argv[0]);
        return 2;
    }
    int shards = argc > 3 ? atoi(argv[3]) : 8;
    size_t min_bytes = argc > 4 ? (size_t)atol(argv[4]) : 2000;
    if (shards < 1 || shards > 4096)
        return 2;
    uint8_t *text;
    size_t len;
    if (mn_read_file(argv[1], (size_t)1 << 36, &text, &len) != MN_OK ||
        mn_make_dirs(argv[2]) != MN_OK) {
        fprintf(stderr, "bench_tok_make_docs: %s\n", mn_error_message());
        return 1;
    }
    docshard_writer **w = calloc((size_t)shards, sizeof *w);
    for (int s = 0; s < shards; s++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/part-%05d.jsonl.zst", argv[2], s);
        if (docshard_writer_open(&w[s], path, 0) != MN_OK) {
            fprintf(stderr, "bench_tok_make_docs: %s\n", mn_error_message());
            return 1;
        }
    }
    size_t start = 0, doc = 0;
    while (start < len) {
        size_t end = start + min_bytes < len ? start + min_bytes : len;
        while (end < len && !(text[end - 1] == '\n' && text[end] == '\n'))
            end++;
        if (end < len)
            end++;
        /* Documents must be valid UTF-8: cut only at byte boundaries of characters. */
        char id[32];
        snprintf(id, sizeof id, "doc-%zu", doc);
        doc_record r = {.id = id,
                        .id_len = strlen(id),
                        .text = (const char *)text + start,
                        .text_len = end - start,
                        .source = argv[1],
                        .source_len = strlen(argv[1])};
        if (docshard_writer_append(w[doc % (size_t)shards], &r) != MN_OK) {
            fprintf(stderr, "bench_tok_make_docs: document %zu: %s\n", doc, mn_error_message());
            return 1;
        }
        doc++;
        start = end;
    }
    shard_manifest m;
    if (shard_manifest_init(&m, SHARD_DATASET_DOCUMENTS, argv[2]) != MN_OK)
        return 1;
    for (int s = 0; s < shards; s++) {
        docshard_info info;
        if (docshard_writer_close(w[s], &info) != MN_OK)
            return 1;
        char name[64];
        snprintf(name, sizeof name, "part-%05d.jsonl.zst", s);
        shard_manifest_entry e = {.path = name,
                                  .documents = info.documents,
                                  .bytes = info.file_bytes,
                                  .xxh64 = info.xxh64};
        if (shard_manifest_add(&m, &e) != MN_OK)
            return 1;
    }
    if (shard_manifest_save(&m) != MN_OK) {
        fprintf(stderr, "bench_tok_make_docs: %s\n", mn_error_message());
        return 1;
    }
    printf("%zu documents in %d shards -> %s\n", doc, shards, argv[2]);
    shard_manifest_free(&m);
    free(w);
    free(text);
    return 0;
}
