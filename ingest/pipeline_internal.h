/* Internal state shared by the pipeline files (pipeline.c, process.c, plan.c, report.c). */
#ifndef MNEMO_INGEST_PIPELINE_INTERNAL_H
#define MNEMO_INGEST_PIPELINE_INTERNAL_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/progress.h"
#include "common/stats.h"
#include "ingest/dedup.h"
#include "ingest/ingest.h"
#include "ingest/queue.h"

typedef struct pipe_input {
    char *path;
    uint64_t size;
    int64_t mtime_ns;
    char id[17]; /* work-file name */
    /* after phase 1 */
    uint64_t kept, kept_bytes; /* documents and text bytes after the filters */
    int owner;                 /* rank that owns its flags in phases 2 and 3 */
    /* after deduplication */
    uint64_t final_docs, final_bytes;
    uint64_t start; /* offset of its first kept byte in the global order */
} pipe_input;

typedef struct pipe_state {
    const ingest_config *cfg;
    MPI_Comm comm;
    int rank, world;
    char *out_dir, *work_dir;
    pipe_input *inputs;
    size_t n_inputs;
    uint64_t total_bytes;
    uint64_t settings_fp, run_fp;
    char *settings_text; /* "key=value\n" lines of every setting, for the manifest */
    int bands;           /* band keys per keys record (0 without fuzzy dedup) */
    bool any_dedup;
    mn_stats *counters; /* global counters (the same on every rank once reduced) */
    ingest_dedup_stats dedup;
    /* this run */
    double t_start, t_phase[3];
    uint64_t processed_inputs, processed_bytes, processed_docs; /* phase 1, all ranks */
    uint64_t shards, docs_out, bytes_out, file_bytes_out;
} pipe_state;

/* The test hook's pause (ingest_config.test_delay_ms). */
void ingest__sleep_ms(unsigned ms);

/* The stop request set by SIGTERM/SIGUSR1 (ingest_install_signal_handlers). */
bool ingest__stop_requested(void);

/* Phase 1 (process.c): per-rank reusable state, and one input. */
typedef struct ingest_worker ingest_worker;
mn_status ingest__worker_create(ingest_worker **worker, const pipe_state *st);
void ingest__worker_free(ingest_worker *worker);
/* Processes input `index` into its work files and marker; adds to `progress`. Calls
 * ingest_queue_poll on `queue` regularly. */
mn_status ingest__process_input(pipe_state *st, ingest_worker *worker, size_t index,
                                ingest_queue *queue, mn_progress *progress);

/* Phase 3 (plan.c): plan the shards from keys and flags, write this rank's shards, and (rank 0)
 * the manifest. Collective. */
mn_status ingest__write_shards(pipe_state *st);

/* The report (report.c): report.json and report.txt in the output folder; the table is
 * printed on stdout unless quiet. Rank 0 only. */
mn_status ingest__write_report(pipe_state *st);
/* Prints an existing report.txt (a relaunch of a finished run). */
void ingest__print_existing_report(const char *out_dir);

#endif
