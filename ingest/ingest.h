/* mnemo-ingest as a library: raw corpora in, clean deduplicated document shards out.
 *
 *     ingest_config config;
 *     ingest_config_default(&config);
 *     config.output_dir = "out/docs";
 *     config.inputs = argv + first; config.n_inputs = argc - first;
 *     ingest_summary summary;
 *     mn_status status = ingest_run(&config, &summary);   // collective over config.comm
 *
 * Phases (docs/ingest.md tells users the same):
 *  1. Each input -> normalise, filter, hash -> its own work files (work.h), spread over the
 *     ranks by size through a work queue on rank 0. An input with a valid completion marker
 *     is skipped, so a relaunch resumes.
 *  2. Global deduplication (dedup.h): exact, URL, fuzzy, by global document id.
 *  3. Shards: documents in global order (input order, then record order), cut into shards by
 *     text bytes at fixed offsets (shard k holds the documents that start in
 *     [k * shard_size, (k + 1) * shard_size) of the kept text; empty ranges are skipped), so
 *     the shards depend only on the inputs and the settings, never on the number of ranks.
 *     Then the manifest (pb + JSON twin) and the report.
 */
#ifndef MNEMO_INGEST_INGEST_H
#define MNEMO_INGEST_INGEST_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ingest/filters.h"
#include "ingest/minhash.h"
#include "ingest/reader.h"

typedef struct ingest_config {
    MPI_Comm comm;
    const char *output_dir;
    const char *const *inputs; /* files, directories, glob patterns */
    size_t n_inputs;
    const char *const *include; /* file-name patterns for files found in directories */
    size_t n_include;

    ingest_reader_options reader;
    ingest_filter_config filters;
    bool dedup_exact, dedup_url, dedup_fuzzy;
    ingest_minhash_config minhash;

    uint64_t shard_size;    /* text bytes per shard (default 256 MiB) */
    int zstd_level;         /* document shards (default 3) */
    uint64_t memory_budget; /* per rank (default 2 GiB) */
    bool overwrite;         /* replace a dataset made with other inputs or settings */
    bool keep_work;         /* keep OUTPUT/.ingest-work after success */
    bool quiet;             /* no report table on stdout */

    /* Tests only: milliseconds to sleep before each input of phase 1 and each shard of
     * phase 3 (makes a run slow enough to be killed in the middle). */
    unsigned test_delay_ms;
} ingest_config;

void ingest_config_default(ingest_config *config);

/* Checks option values and their combinations (MN_ERR_ARG naming the option). Local. */
mn_status ingest_config_check(const ingest_config *config);

typedef struct ingest_summary {
    uint64_t inputs, inputs_skipped; /* skipped: finished by an earlier run */
    uint64_t documents_in, documents_out, shards;
    uint64_t input_bytes, text_bytes_out;
    double seconds;
    bool already_complete; /* the output was complete before this run */
} ingest_summary;

/* Collective over config->comm. Returns MN_ERR_INTERRUPTED after SIGTERM/SIGUSR1 (work
 * finished so far is kept; a relaunch resumes). */
mn_status ingest_run(const ingest_config *config, ingest_summary *summary);

/* Installs the SIGTERM/SIGUSR1 handlers that make ingest_run stop cleanly (programs). */
void ingest_install_signal_handlers(void);

#endif
