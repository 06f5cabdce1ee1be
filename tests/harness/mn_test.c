#include "tests/harness/mn_test.h"

#include <CUnit/Basic.h>
#include <CUnit/TestRun.h>
#include <mpi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/io.h"
#include "common/log.h"
#include "common/mpi_helpers.h"

static char tmpdir[4096];
static bool tmpdir_made;

void mn_test_fail(int line, const char *file, const char *function, bool fatal, const char *fmt,
                  ...) {
    char message[4096];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    /* CUnit copies the condition text, so a stack buffer is fine. */
    CU_assertImplementation(CU_FALSE, (unsigned)line, message, file, function,
                            fatal ? CU_TRUE : CU_FALSE);
}

const char *mn_test_source_dir(void) {
    const char *dir = getenv("MNEMO_SOURCE_DIR");
    return dir ? dir : ".";
}

double mn_test_scale(void) {
    const char *env = getenv("MNEMO_TEST_SCALE");
    if (env != NULL)
        return atof(env);
#ifdef MNEMO_SANITIZE_BUILD
    return 0.25;
#else
    return 1.0;
#endif
}

const char *mn_test_tmpdir(void) {
    if (tmpdir_made)
        return tmpdir;
    const char *base = getenv("MNEMO_TEST_TMPDIR");
    if (base == NULL || *base == '\0')
        base = "/tmp";
    /* Rank 0's pid names the directory so all ranks of an MPI test share it. */
    long id = (long)getpid();
    if (mn_mpi_active())
        MPI_Bcast(&id, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    snprintf(tmpdir, sizeof tmpdir, "%s/%s-%ld", base, mn_log_program(), id);
    if (mn_make_dirs(tmpdir) != MN_OK) {
        fprintf(stderr, "cannot create test directory %s: %s\n", tmpdir, mn_error_message());
        abort();
    }
    tmpdir_made = true;
    return tmpdir;
}

const char *mn_test_path(const char *name) {
    static char slots[8][4096];
    static int next;
    char *out = slots[next++ % 8];
    snprintf(out, 4096, "%s/%s", mn_test_tmpdir(), name);
    return out;
}

bool mn_test_write_file(const char *path, const void *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    bool ok = fp != NULL && fwrite(data, 1, len, fp) == len;
    if (fp != NULL)
        ok = fclose(fp) == 0 && ok;
    if (!ok)
        MN__FAIL(false, "cannot write fixture %s", path);
    return ok;
}

static const char *test_filter;
static unsigned long assertions_in_test;

void mn_test_note_assertion(void) {
    assertions_in_test++;
    CU_assertImplementation(CU_TRUE, 0, "", "", "", CU_FALSE);
}

/* CUnit calls test functions without arguments, so every case goes through one trampoline
 * that finds its mn_test_case from the running CU_pTest and checks it asserted something. */
typedef struct registered_case {
    CU_pTest test;
    const mn_test_case *test_case;
} registered_case;

static registered_case *registered;
static size_t registered_count;

static void run_registered_case(void) {
    CU_pTest current = CU_get_current_test();
    for (size_t i = 0; i < registered_count; i++) {
        if (registered[i].test != current)
            continue;
        assertions_in_test = 0;
        registered[i].test_case->run();
        if (assertions_in_test == 0)
            MN__FAIL(false, "the test evaluated no assertion");
        return;
    }
    MN__FAIL(true, "internal: unregistered test");
}

static bool selected(const char *suite, const char *name) {
    if (test_filter == NULL)
        return true;
    char full[1024];
    snprintf(full, sizeof full, "%s/%s", suite, name);
    return strstr(full, test_filter) != NULL;
}

static int register_suites(const mn_test_suite *suites) {
    for (const mn_test_suite *s = suites; s->name; s++) {
        CU_pSuite suite = CU_add_suite(s->name, s->setup, s->cleanup);
        if (suite == NULL)
            return -1;
        for (const mn_test_case *c = s->cases; c && c->name; c++) {
            if (!selected(s->name, c->name))
                continue;
            CU_pTest test = CU_add_test(suite, c->name, run_registered_case);
            registered_case *grown = realloc(registered, (registered_count + 1) * sizeof *grown);
            if (test == NULL || grown == NULL)
                return -1;
            registered = grown;
            registered[registered_count++] = (registered_case){test, c};
        }
    }
    return 0;
}

static unsigned run_all(const mn_test_suite *suites, CU_BasicRunMode mode) {
    if (CU_initialize_registry() != CUE_SUCCESS || register_suites(suites) != 0) {
        fprintf(stderr, "CUnit setup failed: %s\n", CU_get_error_msg());
        return 1;
    }
    CU_basic_set_mode(mode);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    free(registered);
    registered = NULL;
    registered_count = 0;
    /* A suite whose setup failed runs no tests but counts as a failure too. */
    CU_pRunSummary summary = CU_get_run_summary();
    if (summary != NULL)
        failures += summary->nSuitesFailed;
    return failures;
}

static void cleanup_tmpdir(unsigned failures) {
    if (!tmpdir_made)
        return;
    if (failures == 0 && getenv("MNEMO_TEST_KEEP") == NULL)
        mn_remove_tree(tmpdir);
    else
        fprintf(stderr, "test files kept in %s\n", tmpdir);
}

int mn_test_main(int argc, char **argv, const mn_test_suite *suites) {
    mn_log_init(argv[0]);
    test_filter = argc > 1 ? argv[1] : NULL;
    unsigned failures = run_all(suites, CU_BRM_VERBOSE);
    CU_cleanup_registry();
    cleanup_tmpdir(failures);
    if (failures)
        fprintf(stderr, "%s: %u failure(s)\n", argv[0], failures);
    return failures == 0 ? 0 : 1;
}

int mn_test_main_mpi(int argc, char **argv, const mn_test_suite *suites) {
    mn_log_init(argv[0]);
    if (mn_mpi_init(&argc, &argv) != MN_OK) {
        fprintf(stderr, "%s\n", mn_error_message());
        return 1;
    }
    test_filter = argc > 1 ? argv[1] : NULL;
    int rank = mn_mpi_rank();
    mn_test_tmpdir(); /* collective on first use, so made here by every rank together */
    unsigned failures = run_all(suites, rank == 0 ? CU_BRM_VERBOSE : CU_BRM_SILENT);
    if (rank != 0) {
        for (CU_pFailureRecord f = CU_get_failure_list(); f; f = f->pNext)
            fprintf(stderr, "rank %d: %s:%u: %s: %s\n", rank, f->strFileName, f->uiLineNumber,
                    f->pTest ? f->pTest->pName : "?", f->strCondition);
    }
    CU_cleanup_registry();
    unsigned total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_UNSIGNED, MPI_SUM, MPI_COMM_WORLD);
    /* Every rank finishes with its files before rank 0 removes the shared directory. */
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0)
        cleanup_tmpdir(total);
    if (total && rank == 0)
        fprintf(stderr, "%s: %u failure(s) across %d rank(s)\n", argv[0], total, mn_mpi_world());
    mn_mpi_finalize();
    return total == 0 ? 0 : 1;
}
