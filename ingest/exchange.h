/* All-to-all exchange of fixed-size items in rounds of bounded size, over MPI_Alltoallv.
 *
 * Deduplication moves (key, document) pairs to the rank that owns the key, and removal
 * decisions back to the rank that owns the document. Volumes grow with the corpus, so they
 * travel in rounds: each rank fills its send buffers up to `round_bytes` in total, all ranks
 * exchange, each consumes what it received, and the rounds go on until no rank has anything
 * left. Memory per rank: round_bytes to send plus at most world x round_bytes received.
 *
 *     static mn_status produce(void *ctx, ingest_exchange *ex, bool *more) {
 *         while (!ingest_exchange_full(ex) && have_items)
 *             MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, dest, &item));
 *         *more = have_items;
 *         return MN_OK;
 *     }
 *
 * A failure on one rank (in produce or consume) stops every rank after the current round;
 * all return the failing rank's status and message (as mn_mpi_agree does).
 */
#ifndef MNEMO_INGEST_EXCHANGE_H
#define MNEMO_INGEST_EXCHANGE_H

#include <mpi.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

typedef struct ingest_exchange ingest_exchange;

typedef mn_status (*ingest_exchange_produce)(void *ctx, ingest_exchange *exchange, bool *more);
/* `items` holds `count` items of item_size bytes received from rank `source` (in rank
 * order within a round). */
typedef mn_status (*ingest_exchange_consume)(void *ctx, int source, const void *items,
                                             size_t count);

/* Queues one item for rank `dest`. Always accepted; check ingest_exchange_full after. */
mn_status ingest_exchange_push(ingest_exchange *exchange, int dest, const void *item);
/* True once this round's send buffers hold round_bytes or more. */
bool ingest_exchange_full(const ingest_exchange *exchange);

/* Collective over comm: runs rounds until every rank's producer reports nothing more. */
mn_status ingest_exchange_run(MPI_Comm comm, size_t item_size, size_t round_bytes,
                              ingest_exchange_produce produce, ingest_exchange_consume consume,
                              void *ctx);

#endif
