/* MPI helpers shared by every program.
 *
 * mn_mpi_init works both under mpirun and as a singleton (a program started alone), sets
 * MPI_ERRORS_RETURN on MPI_COMM_WORLD so failures come back as codes, and records the rank
 * for logging. Threads: MPI_THREAD_FUNNELED (only the main thread calls MPI; helper
 * threads such as the data loader's prefetcher never do).
 */
#ifndef MNEMO_COMMON_MPI_HELPERS_H
#define MNEMO_COMMON_MPI_HELPERS_H

#include <mpi.h>
#include <stdbool.h>

#include "common/error.h"

mn_status mn_mpi_init(int *argc, char ***argv);
/* Finalizes MPI if mn_mpi_init initialized it. */
void mn_mpi_finalize(void);
bool mn_mpi_active(void);
int mn_mpi_rank(void);  /* 0 when MPI is not initialised */
int mn_mpi_world(void); /* 1 when MPI is not initialised */

/* Converts an MPI return code into an mn_status with MPI's own error text. */
mn_status mn_mpi_check(int rc, const char *what);
#define MN_MPI_TRY(call) MN_FORWARD_IF_ERROR(mn_mpi_check((call), #call))

/* Collective: every rank passes its own status and all get the same answer: MN_OK when
 * all succeeded, otherwise the status of the lowest failing rank, whose message is copied
 * to the others ("rank 3: <message>"). Ranks that failed keep their own message. Lets all
 * ranks stop together instead of some waiting forever in the next collective. */
mn_status mn_mpi_agree(mn_status local, MPI_Comm comm);

/* Collective: broadcasts a byte buffer of any size from root; on other ranks *data is
 * replaced by a new buffer (free()) of *len bytes. */
mn_status mn_mpi_bcast_bytes(void **data, size_t *len, int root, MPI_Comm comm);

/* Prints "program: error: message" and ends every rank (MPI_Abort when MPI runs with more
 * than one rank, exit otherwise). For programs only, where one rank alone found a fault
 * the others cannot learn of. */
_Noreturn void mn_mpi_abort(int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
