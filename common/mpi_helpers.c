#include "common/mpi_helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"

static bool initialized_here;

mn_status mn_mpi_init(int *argc, char ***argv) {
    int already = 0;
    MPI_Initialized(&already);
    if (!already) {
        int provided = 0;
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS)
            return mn_error(MN_ERR_MPI,
                            "MPI_Init_thread failed (code %d); is Open MPI installed "
                            "and, as root, OMPI_ALLOW_RUN_AS_ROOT=1 set?",
                            rc);
        initialized_here = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    mn_log_set_rank(mn_mpi_rank(), mn_mpi_world());
    return MN_OK;
}

void mn_mpi_finalize(void) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (initialized_here && !finalized)
        MPI_Finalize();
    initialized_here = false;
}

bool mn_mpi_active(void) {
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
}

int mn_mpi_rank(void) {
    int rank = 0;
    if (mn_mpi_active())
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

int mn_mpi_world(void) {
    int world = 1;
    if (mn_mpi_active())
        MPI_Comm_size(MPI_COMM_WORLD, &world);
    return world;
}

mn_status mn_mpi_check(int rc, const char *what) {
    if (rc == MPI_SUCCESS)
        return MN_OK;
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "code %d", rc);
    return mn_error(MN_ERR_MPI, "%s failed: %s", what, text);
}

mn_status mn_mpi_agree(mn_status local, MPI_Comm comm) {
    int rank = 0, world = 1;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(comm, &world));
    int mine = local != MN_OK ? rank : world, first = world;
    MN_MPI_TRY(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm));
    if (first == world)
        return MN_OK;
    int code = (int)local;
    char message[1024];
    snprintf(message, sizeof message, "%s", mn_error_message());
    MN_MPI_TRY(MPI_Bcast(&code, 1, MPI_INT, first, comm));
    MN_MPI_TRY(MPI_Bcast(message, (int)sizeof message, MPI_CHAR, first, comm));
    if (local != MN_OK)
        return local;
    return mn_error((mn_status)code, "rank %d: %s", first, message);
}

mn_status mn_mpi_bcast_bytes(void **data, size_t *len, int root, MPI_Comm comm) {
    int rank = 0;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    unsigned long long size = rank == root ? (unsigned long long)*len : 0;
    MN_MPI_TRY(MPI_Bcast(&size, 1, MPI_UNSIGNED_LONG_LONG, root, comm));
    uint8_t *buffer = rank == root ? *data : mn_malloc((size_t)size);
    /* An empty buffer (size 0) is fine even when its pointer is NULL. */
    int ok = buffer != NULL || size == 0, all_ok = 0;
    MN_MPI_TRY(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm));
    if (!all_ok) {
        if (rank != root)
            free(buffer);
        return mn_error(MN_ERR_NOMEM, "cannot receive a %llu-byte broadcast", size);
    }
    /* MPI counts are int: send in chunks of at most 1 GiB. */
    for (unsigned long long off = 0; off < size; off += 1ull << 30) {
        unsigned long long chunk = size - off < (1ull << 30) ? size - off : (1ull << 30);
        int rc = MPI_Bcast(buffer + off, (int)chunk, MPI_BYTE, root, comm);
        if (rc != MPI_SUCCESS) {
            if (rank != root)
                free(buffer);
            return mn_mpi_check(rc, "MPI_Bcast");
        }
    }
    if (rank != root) {
        *data = buffer;
        *len = (size_t)size;
    }
    return MN_OK;
}

void mn_mpi_abort(int exit_code, const char *fmt, ...) {
    char message[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    if (mn_mpi_world() > 1)
        fprintf(stderr, "%s: error (rank %d): %s\n", mn_log_program(), mn_mpi_rank(), message);
    else
        fprintf(stderr, "%s: error: %s\n", mn_log_program(), message);
    fflush(stderr);
    if (mn_mpi_active() && mn_mpi_world() > 1)
        MPI_Abort(MPI_COMM_WORLD, exit_code);
    exit(exit_code);
}
