/* A synthetic web-like corpus for the pipeline's tests and benchmark, written as JSON Lines
 * (plain or zstd-compressed) and fully determined by its options (same seed, same bytes).
 *
 * Documents are English-like prose (random sentences from fixed word lists, with the stop
 * words and sentence lengths of ordinary text) that pass the default filters. With
 * `planted` on, some documents are planted cases whose fate the generator knows and writes
 * to DIR/expect.tsv ("id<TAB>kept|exact|url|fuzzy|filter"):
 *   - exact copies of an earlier document (new id and URL)       -> exact
 *   - near copies: two words changed, a sentence added           -> fuzzy
 *   - an earlier document's URL with new text                    -> url
 *   - short notes and bullet lists                               -> filter
 *   - the originals of all the above                             -> kept
 * plus lines that are not documents (invalid JSON, no text field), counted as bad records.
 * Planted cases only refer to documents of the same or earlier files, so the original is
 * always the smallest global id of its group.
 */
#ifndef MNEMO_TESTS_INGEST_CORPUS_H
#define MNEMO_TESTS_INGEST_CORPUS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

typedef struct corpus_options {
    const char *dir;
    int files;
    int docs_per_file;
    int words_per_doc; /* documents have between this and twice this many words */
    uint64_t seed;
    bool zstd;    /* part-NNNN.jsonl.zst instead of .jsonl */
    bool planted; /* planted duplicates, filtered documents and bad lines, with expect.tsv */
} corpus_options;

/* Writes the corpus; returns the number of bad lines written in *bad_lines (may be NULL). */
mn_status corpus_write(const corpus_options *options, uint64_t *bad_lines);

#endif
