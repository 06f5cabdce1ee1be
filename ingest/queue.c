#include "ingest/queue.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/mpi_helpers.h"

enum { TAG_REQUEST = 1, TAG_ASSIGN = 2, MSG_WANT = 0, MSG_STOP = 1, BATCH_MAX = 256 };

struct ingest_queue {
    MPI_Comm comm;
    int rank, world;
    /* rank 0 */
    uint32_t *todo; /* largest first */
    size_t n_todo, cursor;
    const uint64_t *sizes;
    uint64_t remaining;
    int finished; /* other ranks that will ask no more */
    bool stopped;
    /* other ranks */
    uint32_t batch[BATCH_MAX];
    size_t batch_len, batch_pos;
    bool done;
};

static const uint64_t *sort_sizes;

static int by_size_desc(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    if (sort_sizes[x] != sort_sizes[y])
        return sort_sizes[x] > sort_sizes[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

mn_status ingest_queue_create(ingest_queue **out, MPI_Comm comm, const uint32_t *todo,
                              size_t n_todo, const uint64_t *sizes) {
    ingest_queue *q = mn_calloc(1, sizeof *q);
    mn_status status = q ? MN_OK : MN_ERR_NOMEM;
    int rank = 0;
    MPI_Comm_rank(comm, &rank);
    if (status == MN_OK && rank == 0 && n_todo > 0) {
        q->todo = mn_alloc_array(n_todo, sizeof(uint32_t));
        if (q->todo == NULL) {
            status = MN_ERR_NOMEM;
        } else {
            memcpy(q->todo, todo, n_todo * sizeof(uint32_t));
            sort_sizes = sizes; /* qsort has no context argument; rank 0's main thread only */
            qsort(q->todo, n_todo, sizeof(uint32_t), by_size_desc);
            q->n_todo = n_todo;
            q->sizes = sizes;
            for (size_t i = 0; i < n_todo; i++)
                q->remaining += sizes[todo[i]];
        }
    }
    status = mn_mpi_agree(status, comm);
    if (status == MN_OK)
        status = mn_mpi_check(MPI_Comm_dup(comm, &q->comm), "MPI_Comm_dup");
    if (status != MN_OK) {
        if (q)
            free(q->todo);
        free(q);
        return status;
    }
    MPI_Comm_rank(q->comm, &q->rank);
    MPI_Comm_size(q->comm, &q->world);
    *out = q;
    return MN_OK;
}

/* Rank 0: a batch for one request, about remaining / (2 x ranks) bytes, at least one input. */
static size_t take_batch(ingest_queue *q, uint32_t *batch, size_t max) {
    if (q->stopped)
        return 0;
    uint64_t target = q->remaining / (2 * (uint64_t)q->world), bytes = 0;
    size_t n = 0;
    while (q->cursor < q->n_todo && n < max && (n == 0 || bytes < target)) {
        uint32_t input = q->todo[q->cursor++];
        batch[n++] = input;
        bytes += q->sizes[input];
        q->remaining -= q->sizes[input];
    }
    return n;
}

static void serve_one(ingest_queue *q, int source, int message) {
    if (message == MSG_STOP) {
        q->finished++;
        q->stopped = true; /* a rank stopping on an error or a signal stops everyone */
        return;
    }
    uint32_t batch[BATCH_MAX];
    size_t n = take_batch(q, batch, BATCH_MAX);
    if (n == 0)
        q->finished++;
    /* Small messages; a failure here is a broken MPI job, which the final agree reports. */
    MPI_Send(batch, (int)n, MPI_UINT32_T, source, TAG_ASSIGN, q->comm);
}

void ingest_queue_poll(ingest_queue *q) {
    if (q->rank != 0)
        return;
    for (;;) {
        int flag = 0;
        MPI_Status st;
        if (MPI_Iprobe(MPI_ANY_SOURCE, TAG_REQUEST, q->comm, &flag, &st) != MPI_SUCCESS || !flag)
            return;
        int message = 0;
        if (MPI_Recv(&message, 1, MPI_INT, st.MPI_SOURCE, TAG_REQUEST, q->comm,
                     MPI_STATUS_IGNORE) != MPI_SUCCESS)
            return;
        serve_one(q, st.MPI_SOURCE, message);
    }
}

mn_status ingest_queue_next(ingest_queue *q, uint32_t *input, bool *have) {
    *have = false;
    if (q->rank == 0) {
        ingest_queue_poll(q);
        uint32_t one;
        if (take_batch(q, &one, 1) == 1) {
            *input = one;
            *have = true;
        }
        return MN_OK;
    }
    if (q->batch_pos < q->batch_len) {
        *input = q->batch[q->batch_pos++];
        *have = true;
        return MN_OK;
    }
    if (q->done)
        return MN_OK;
    int message = MSG_WANT;
    MN_MPI_TRY(MPI_Send(&message, 1, MPI_INT, 0, TAG_REQUEST, q->comm));
    MPI_Status st;
    int count = 0;
    MN_MPI_TRY(MPI_Recv(q->batch, BATCH_MAX, MPI_UINT32_T, 0, TAG_ASSIGN, q->comm, &st));
    MN_MPI_TRY(MPI_Get_count(&st, MPI_UINT32_T, &count));
    q->batch_len = (size_t)count;
    q->batch_pos = 0;
    if (count == 0) {
        q->done = true;
        return MN_OK;
    }
    *input = q->batch[q->batch_pos++];
    *have = true;
    return MN_OK;
}

void ingest_queue_stop(ingest_queue *q) {
    if (q->rank == 0) {
        q->stopped = true;
        return;
    }
    if (q->done)
        return;
    int message = MSG_STOP;
    MPI_Send(&message, 1, MPI_INT, 0, TAG_REQUEST, q->comm);
    q->done = true;
    q->batch_len = q->batch_pos = 0;
}

mn_status ingest_queue_finish(ingest_queue *q, mn_status local) {
    if (local != MN_OK)
        ingest_queue_stop(q);
    if (q->rank == 0) {
        while (q->finished < q->world - 1) {
            int message = 0;
            MPI_Status st;
            mn_status status = mn_mpi_check(
                MPI_Recv(&message, 1, MPI_INT, MPI_ANY_SOURCE, TAG_REQUEST, q->comm, &st),
                "MPI_Recv");
            if (status != MN_OK) {
                local = local != MN_OK ? local : status;
                break;
            }
            serve_one(q, st.MPI_SOURCE, message);
        }
    } else if (!q->done) {
        ingest_queue_stop(q);
    }
    MPI_Comm comm = q->comm;
    free(q->todo);
    free(q);
    mn_status status = mn_mpi_agree(local, comm);
    MPI_Comm_free(&comm);
    return status;
}
