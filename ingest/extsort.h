/* External sort of (key, document id) pairs in bounded memory, for deduplication.
 *
 * Pairs are buffered up to the memory given; a full buffer is sorted (radix sort on the key,
 * ties by id) and written to a run file in the spill folder; at the end the runs are merged
 * (at most 64 open at once, merging in passes when there are more). A sort whose pairs fit in
 * memory never touches the disk. Output order: by key, then by id.
 */
#ifndef MNEMO_INGEST_EXTSORT_H
#define MNEMO_INGEST_EXTSORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ingest_pair {
    uint64_t key;
    uint64_t id;
} ingest_pair;

typedef struct ingest_sorter ingest_sorter;

/* `memory_bytes` bounds the buffers (at least 64 KiB is used); spill files go to
 * `spill_dir`, created when first needed. */
mn_status ingest_sorter_create(ingest_sorter **sorter, const char *spill_dir, size_t memory_bytes);
mn_status ingest_sorter_add(ingest_sorter *sorter, const ingest_pair *pairs, size_t count);
/* Ends the input; afterwards ingest_sorter_next returns the pairs in order. */
mn_status ingest_sorter_finish(ingest_sorter *sorter);
mn_status ingest_sorter_next(ingest_sorter *sorter, ingest_pair *pair, bool *done);
/* Pairs added so far, and run files written (for tests and logs). */
uint64_t ingest_sorter_count(const ingest_sorter *sorter);
int ingest_sorter_runs(const ingest_sorter *sorter);
/* Frees memory and deletes the spill files. */
void ingest_sorter_free(ingest_sorter *sorter);

/* In-memory sort by (key, id), exposed for tests; `aux` holds `count` pairs. */
void ingest_pairs_sort(ingest_pair *pairs, ingest_pair *aux, size_t count);

#endif
