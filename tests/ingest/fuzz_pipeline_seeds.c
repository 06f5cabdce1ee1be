/* Writes seeds for the pipeline's fuzz targets into argv[1]: texts (prose, invalid UTF-8,
 * combining marks, boilerplate) for fuzz_ingest_textclean, or real work files (documents,
 * keys, a marker) for fuzz_ingest_workfile (MNEMO_SEED_KIND). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "ingest/work.h"

static int put(const char *dir, const char *name, const void *data, size_t len) {
    char *path = mn_path_join(dir, name);
    int ok = path != NULL && mn_write_file_atomic(path, data, len) == MN_OK;
    free(path);
    return ok ? 0 : 1;
}

static int text_seeds(const char *dir) {
    static const char *const seeds[] = {
        ("The old lighthouse keeper walked down to the harbour every morning. He knew that "
         "the boats would leave before the sun came up, and he wanted to see them go.\n\n"
         "It was a habit he had kept for more than forty years."),
        "caf\x65\xcc\x81 \xef\xbb\xbf bad \xff\xfe \xed\xa0\x80 \xc0\xaf\r\nline\x0b two\x01",
        "- one item\n- two items\n* three\n\xe2\x80\xa2 four...\nSign in\n3 likes\nHOME ABOUT",
        "a b a b a b a b c d e f g h i j a b c d e f g h i j #tag ... \xe2\x80\xa6",
        ("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xb8\xad\xe6\x96\x87 \xe1\x84\x80"
         "\xe1\x85\xa1 \xcd\xbe q\xcc\x81\xcc\xa3"),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "text-%zu", i);
        rc |= put(dir, name, seeds[i], strlen(seeds[i]));
    }
    return rc;
}

static int work_seeds(const char *dir) {
    char *inputs = mn_path_join(dir, "inputs");
    if (inputs == NULL || mn_make_dirs(inputs) != MN_OK)
        return 1;
    free(inputs);
    ingest_work_writer *w = NULL;
    if (ingest_work_writer_open(&w, dir, "seed", 2) != MN_OK)
        return 1;
    uint64_t bands[2] = {1, 2};
    for (int i = 0; i < 5; i++) {
        ingest_work_doc d = {.id = "doc",
                             .id_len = 3,
                             .url = "https://a.example/",
                             .url_len = 18,
                             .extra = "\"k\":1",
                             .extra_len = i % 2 ? 5 : 0,
                             .text = "some text of a document",
                             .text_len = 23,
                             .record = (uint64_t)i,
                             .bands = i % 2 ? bands : NULL};
        if (ingest_work_writer_add(w, &d) != MN_OK)
            return 1;
    }
    if (ingest_work_writer_close(w, NULL) != MN_OK)
        return 1;
    /* The fuzz driver reads the seed folder's own files: move them up. */
    const char *suffixes[] = {"docs", "keys"};
    for (int i = 0; i < 2; i++) {
        char *from = ingest_work_path(dir, "seed", suffixes[i]);
        char *to = mn_asprintf("%s/seed.%s", dir, suffixes[i]);
        if (from == NULL || to == NULL || rename(from, to) != 0)
            return 1;
        free(from);
        free(to);
    }
    char *sub = mn_path_join(dir, "inputs");
    mn_remove_tree(sub);
    free(sub);
    mn_stats *stats = mn_stats_create();
    mn_stats_add(stats, "docs.in", 5);
    ingest_input_meta meta = {
        .path = "corpus/a.jsonl", .size = 10, .kept = 5, .kept_bytes = 115, .counters = stats};
    char *marker = mn_path_join(dir, "marker.json");
    int rc = marker == NULL || ingest_meta_write(marker, &meta) != MN_OK;
    free(marker);
    mn_stats_free(stats);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 2 || mn_make_dirs(argv[1]) != MN_OK)
        return 2;
    return strcmp(MNEMO_SEED_KIND, "text") == 0 ? text_seeds(argv[1]) : work_seeds(argv[1]);
}
