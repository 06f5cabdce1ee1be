#include "common/program.h"

#include <stdio.h>

#include "common/log.h"
#include "common/mpi_helpers.h"

mn_status mn_program_start(int *argc, char ***argv, const char *name) {
    mn_log_init(name);
    mn_status status = mn_mpi_init(argc, argv);
    if (status != MN_OK)
        fprintf(stderr, "%s: error: %s\n", name, mn_error_message());
    return status;
}

int mn_program_exit_code(mn_status status) {
    switch (status) {
        case MN_OK:
            return MN_EXIT_OK;
        case MN_ERR_ARG:
            return MN_EXIT_USAGE;
        case MN_ERR_INTERRUPTED:
            return MN_EXIT_INTERRUPTED;
        default:
            return MN_EXIT_FAILURE;
    }
}

int mn_program_exit(mn_status status) {
    if (status != MN_OK && status != MN_ERR_INTERRUPTED) {
        /* After mn_mpi_agree every rank holds a message; rank 0 prints the one that
         * names the failing rank, the others stay quiet unless they failed themselves. */
        const char *message = mn_error_message();
        if (mn_mpi_rank() == 0)
            fprintf(stderr, "%s: error: %s\n", mn_log_program(), message);
    } else if (status == MN_ERR_INTERRUPTED && mn_mpi_rank() == 0) {
        fprintf(stderr, "%s: stopped on request: %s\n", mn_log_program(), mn_error_message());
    }
    fflush(stdout);
    fflush(stderr);
    mn_mpi_finalize();
    return mn_program_exit_code(status);
}
