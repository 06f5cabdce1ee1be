/* Start and end of every mnemo program's main():
 *
 *     int main(int argc, char **argv) {
 *         MN_PROGRAM_START(&argc, &argv, "mnemo-ingest");   // logging + MPI (singleton ok)
 *         ... parse options with mn_cli_parse, run the library ...
 *         mn_status status = mn_mpi_agree(local_status, MPI_COMM_WORLD);
 *         return mn_program_exit(status);  // prints "mnemo-ingest: error: ..." on failure
 *     }
 *
 * Exit codes (docs/cli.md): 0 success, 1 failure, 2 usage error (bad option or argument),
 * 75 stopped on request (SIGTERM/SIGUSR1) after saving state, so a relaunch resumes.
 */
#ifndef MNEMO_COMMON_PROGRAM_H
#define MNEMO_COMMON_PROGRAM_H

#include "common/error.h"

enum {
    MN_EXIT_OK = 0,
    MN_EXIT_FAILURE = 1,
    MN_EXIT_USAGE = 2,
    MN_EXIT_INTERRUPTED = 75, /* EX_TEMPFAIL: try again (resume) later */
};

/* Initialises logging and MPI; returns MN_OK or an error (already printed). */
mn_status mn_program_start(int *argc, char ***argv, const char *name);
#define MN_PROGRAM_START(argc, argv, name)                     \
    do {                                                       \
        if (mn_program_start((argc), (argv), (name)) != MN_OK) \
            return MN_EXIT_FAILURE;                            \
    } while (0)

/* The exit code for a status: MN_ERR_ARG -> 2, MN_ERR_INTERRUPTED -> 75, others -> 1. */
int mn_program_exit_code(mn_status status);

/* Prints the error of a failed status from rank 0 (after mn_mpi_agree every rank holds the
 * message, naming the failing rank), finalizes MPI and returns the exit code. Every rank
 * must reach it; a rank that fails alone uses mn_mpi_abort instead. */
int mn_program_exit(mn_status status);

#endif
