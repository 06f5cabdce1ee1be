#include "ingest/exchange.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/mpi_helpers.h"

struct ingest_exchange {
    int world;
    size_t item_size, round_bytes, queued;
    mn_buf *send; /* one buffer per destination */
};

mn_status ingest_exchange_push(ingest_exchange *ex, int dest, const void *item) {
    MN_RETURN_ERROR_IF(dest < 0 || dest >= ex->world, MN_ERR_ARG,
                       "exchange destination %d outside 0..%d", dest, ex->world - 1);
    MN_FORWARD_IF_ERROR(mn_buf_append(&ex->send[dest], item, ex->item_size));
    ex->queued += ex->item_size;
    return MN_OK;
}

bool ingest_exchange_full(const ingest_exchange *ex) {
    return ex->queued >= ex->round_bytes;
}

/* One round: counts, then data, then the consumer on every source's part. */
static mn_status exchange_round(MPI_Comm comm, ingest_exchange *ex, int *send_counts,
                                int *send_displs, int *recv_counts, int *recv_displs, mn_buf *recv,
                                ingest_exchange_consume consume, void *ctx) {
    size_t total = 0;
    for (int r = 0; r < ex->world; r++) {
        MN_RETURN_ERROR_IF(ex->send[r].len > INT32_MAX || total > INT32_MAX, MN_ERR_LIMIT,
                           "exchange round larger than 2 GiB");
        send_counts[r] = (int)ex->send[r].len;
        send_displs[r] = (int)total;
        total += ex->send[r].len;
    }
    /* Pack the per-destination buffers contiguously for MPI_Alltoallv. */
    mn_buf packed = {0};
    mn_status status = mn_buf_reserve(&packed, total);
    for (int r = 0; status == MN_OK && r < ex->world; r++)
        status = mn_buf_append(&packed, ex->send[r].data, ex->send[r].len);
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Alltoall(send_counts, 1, MPI_INT, recv_counts, 1, MPI_INT, comm),
                              "MPI_Alltoall");
    size_t received = 0;
    for (int r = 0; status == MN_OK && r < ex->world; r++) {
        recv_displs[r] = (int)received;
        received += (size_t)recv_counts[r];
        if (received > INT32_MAX)
            status = mn_error(MN_ERR_LIMIT, "exchange round larger than 2 GiB");
    }
    if (status == MN_OK) {
        mn_buf_clear(recv);
        status = mn_buf_reserve(recv, received);
    }
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Alltoallv(packed.data, send_counts, send_displs, MPI_BYTE,
                                            recv->data, recv_counts, recv_displs, MPI_BYTE, comm),
                              "MPI_Alltoallv");
    mn_buf_free(&packed);
    for (int r = 0; r < ex->world; r++)
        mn_buf_clear(&ex->send[r]);
    ex->queued = 0;
    /* The collectives above ran even if packing failed, so every rank stays in step; a
     * failure is reported through the round's flags by the caller. */
    for (int r = 0; status == MN_OK && r < ex->world; r++) {
        if (recv_counts[r] == 0)
            continue;
        status =
            consume(ctx, r, recv->data + recv_displs[r], (size_t)recv_counts[r] / ex->item_size);
    }
    return status;
}

mn_status ingest_exchange_run(MPI_Comm comm, size_t item_size, size_t round_bytes,
                              ingest_exchange_produce produce, ingest_exchange_consume consume,
                              void *ctx) {
    ingest_exchange ex = {.item_size = item_size, .round_bytes = round_bytes};
    MN_MPI_TRY(MPI_Comm_size(comm, &ex.world));
    if (ex.round_bytes < item_size)
        ex.round_bytes = item_size;
    ex.send = mn_calloc((size_t)ex.world, sizeof(mn_buf));
    int *counts = mn_calloc(4 * (size_t)ex.world, sizeof(int));
    mn_buf recv = {0};
    mn_status local = (ex.send && counts) ? MN_OK : MN_ERR_NOMEM;
    bool more = local == MN_OK;
    for (;;) {
        if (local == MN_OK && more)
            local = produce(ctx, &ex, &more);
        /* Everyone learns whether anyone has more to send or failed, before the data moves,
         * so that all ranks run the same number of rounds. */
        int flags[2] = {local == MN_OK && more, local != MN_OK}, global[2];
        mn_status mpi =
            mn_mpi_check(MPI_Allreduce(flags, global, 2, MPI_INT, MPI_MAX, comm), "MPI_Allreduce");
        if (mpi != MN_OK) {
            local = mpi;
            break;
        }
        if (global[1])
            break;
        if (counts == NULL)
            break;
        mn_status round =
            exchange_round(comm, &ex, counts, counts + ex.world, counts + 2 * ex.world,
                           counts + 3 * ex.world, &recv, consume, ctx);
        if (round != MN_OK && local == MN_OK)
            local = round;
        if (!global[0])
            break; /* the last round: nobody had anything more (a failure in it is agreed on
                      below, by every rank at once) */
    }
    for (int r = 0; ex.send && r < ex.world; r++)
        mn_buf_free(&ex.send[r]);
    free(ex.send);
    free(counts);
    mn_buf_free(&recv);
    return mn_mpi_agree(local, comm);
}
