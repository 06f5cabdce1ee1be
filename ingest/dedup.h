/* Global deduplication across ranks: exact (text hash), URL, then fuzzy (MinHash LSH).
 *
 * Every kept document has a global id, (input index << 40) | (its index among the input's
 * kept documents), which orders documents like (input in sorted order, record number) and
 * so depends only on the sorted input list and the records, never on the ranks.
 *
 * Stages run in that order, each on the survivors of the ones before:
 *  - exact / URL: (hash, id) pairs go to rank hash % world (MPI_Alltoallv in bounded rounds),
 *    which sorts them (in bounded memory, spilling to disk) and keeps, of every group of
 *    equal hashes, the document with the smallest id; the others are sent back to the rank
 *    that owns their input, which marks them removed.
 *  - fuzzy: (band key, id) pairs for every LSH band go to the owner of the band key; every
 *    group of documents sharing a band key becomes edges (smallest id, other id), which go to
 *    rank 0; rank 0 merges them with union-find (a root is always the smallest id of its
 *    cluster) and sends every non-root back to its owner to be removed. One survivor per
 *    cluster: its smallest global id.
 * Ranks own inputs (their flags) as assigned by the caller. Flags live in files, one byte per
 * document (0 = kept, else the stage that removed it): a stage reads them sequentially with
 * the keys, collects the removals it receives in a bounded external sort, and rewrites each
 * owned input's flags file by a sequential merge. So memory stays within the configured
 * sort and exchange sizes whatever the corpus size (rank 0's union-find excepted: it holds
 * the documents that have near-duplicate candidates).
 */
#ifndef MNEMO_INGEST_DEDUP_H
#define MNEMO_INGEST_DEDUP_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum { INGEST_ID_INPUT_SHIFT = 40 };

static inline uint64_t ingest_global_id(uint64_t input, uint64_t index) {
    return (input << INGEST_ID_INPUT_SHIFT) | index;
}
static inline uint64_t ingest_id_input(uint64_t id) {
    return id >> INGEST_ID_INPUT_SHIFT;
}
static inline uint64_t ingest_id_index(uint64_t id) {
    return id & ((1ULL << INGEST_ID_INPUT_SHIFT) - 1);
}

typedef struct ingest_dedup_input {
    const char *keys_path;  /* owned inputs only */
    const char *flags_path; /* owned inputs only: written by the run (a stale one is replaced) */
    uint64_t kept;          /* documents in the keys file */
    int owner;              /* rank that holds its flags */
} ingest_dedup_input;

typedef struct ingest_dedup_config {
    MPI_Comm comm;
    bool exact, url, fuzzy;
    int bands;             /* band keys per record in the keys files (0 without fuzzy) */
    size_t sort_memory;    /* bytes for each stage's sorter on this rank */
    size_t round_bytes;    /* bytes sent per exchange round by this rank */
    const char *spill_dir; /* this rank's own folder for sort runs */
} ingest_dedup_config;

typedef struct ingest_dedup_stats {
    /* Global totals (the same on every rank after the call). */
    uint64_t removed[4]; /* by stage (INGEST_DEDUP_EXACT, _URL, _FUZZY) */
    uint64_t pairs[4];   /* keys exchanged by stage */
    uint64_t edges;      /* candidate pairs from LSH bands */
    uint64_t clusters;   /* near-duplicate clusters (of two documents or more) */
    uint64_t spill_runs; /* sort runs written to disk, all ranks */
} ingest_dedup_stats;

/* Collective over config->comm. Writes the flags file of every owned input. */
mn_status ingest_dedup_run(const ingest_dedup_config *config, ingest_dedup_input *inputs,
                           size_t n_inputs, ingest_dedup_stats *stats);

#endif
