/* ingest_corpus: writes the synthetic corpus of corpus.h (for script tests and benchmarks).
 *   ingest_corpus DIR FILES DOCS_PER_FILE WORDS_PER_DOC SEED [zstd] [planted] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s DIR FILES DOCS_PER_FILE WORDS_PER_DOC SEED [zstd] [planted]\n",
                argv[0]);
        return 2;
    }
    corpus_options o = {.dir = argv[1],
                        .files = atoi(argv[2]),
                        .docs_per_file = atoi(argv[3]),
                        .words_per_doc = atoi(argv[4]),
                        .seed = strtoull(argv[5], NULL, 10)};
    for (int i = 6; i < argc; i++) {
        o.zstd = o.zstd || strcmp(argv[i], "zstd") == 0;
        o.planted = o.planted || strcmp(argv[i], "planted") == 0;
    }
    uint64_t bad = 0;
    if (corpus_write(&o, &bad) != MN_OK) {
        fprintf(stderr, "%s: error: %s\n", argv[0], mn_error_message());
        return 1;
    }
    printf("%llu\n", (unsigned long long)bad);
    return 0;
}
