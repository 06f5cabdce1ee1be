/* The work queue of phase 1: rank 0 hands out inputs, largest first, in batches whose size
 * shrinks as the work runs out (guided self-scheduling), so big files start early and the
 * last minutes are shared by every rank instead of waiting for one straggler.
 *
 * Only the main thread of each rank calls MPI (MPI_THREAD_FUNNELED), so rank 0 works on
 * inputs too and answers requests whenever it calls ingest_queue_poll (between documents).
 *
 *   every rank:  while (ingest_queue_next(q, &input, &have) == MN_OK && have) { ... poll ... }
 *                ingest_queue_finish(q, status);   // collective, returns the agreed status
 */
#ifndef MNEMO_INGEST_QUEUE_H
#define MNEMO_INGEST_QUEUE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ingest_queue ingest_queue;

/* Collective. On rank 0, `todo` lists the input indices to hand out and `sizes` the input
 * sizes (indexed by input); other ranks pass NULL/0. */
mn_status ingest_queue_create(ingest_queue **queue, MPI_Comm comm, const uint32_t *todo,
                              size_t n_todo, const uint64_t *sizes);
/* The next input for this rank; *have is false when the queue is empty (or after a stop). */
mn_status ingest_queue_next(ingest_queue *queue, uint32_t *input, bool *have);
/* Rank 0 answers waiting requests; a no-op elsewhere. Cheap; call it often. */
void ingest_queue_poll(ingest_queue *queue);
/* Stops handing out work (an error or a stop request on this rank): other ranks finish the
 * input they are on and get no more. */
void ingest_queue_stop(ingest_queue *queue);
/* Collective: rank 0 serves until every rank is done; then all agree on `local` (returns the
 * status of the lowest failing rank, as mn_mpi_agree). Frees the queue. */
mn_status ingest_queue_finish(ingest_queue *queue, mn_status local);

#endif
