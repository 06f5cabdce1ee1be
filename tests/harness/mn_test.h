/* The CUnit harness every test executable uses (docs/testing.md).
 *
 *     static void test_crc32c_check_value(void) {
 *         MN_ASSERT_EQ_U64(mn_crc32c(0, "123456789", 9), 0xe3069283);
 *     }
 *     static const mn_test_case hash_cases[] = {
 *         {"crc32c matches the published check value", test_crc32c_check_value}, {0}};
 *     static const mn_test_suite suites[] = {{"hash", hash_cases}, {0}};
 *     int main(int argc, char **argv) { return mn_test_main(argc, argv, suites); }
 *
 * Assertions print both values on failure. A test that evaluates no assertion fails (a
 * test that asserts nothing is a defect). The exit code comes from
 * CU_get_number_of_failures(), since CU_basic_run_tests succeeds even when tests fail.
 * `exe PATTERN` runs only tests whose "suite/name" contains PATTERN.
 */
#ifndef MNEMO_TESTS_MN_TEST_H
#define MNEMO_TESTS_MN_TEST_H

#include <CUnit/CUnit.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"

typedef struct mn_test_case {
    const char *name; /* a sentence naming the behaviour pinned down; NULL ends the list */
    void (*run)(void);
} mn_test_case;

typedef struct mn_test_suite {
    const char *name; /* NULL ends the list */
    const mn_test_case *cases;
    int (*setup)(void);   /* optional, once before the suite */
    int (*cleanup)(void); /* optional, once after */
} mn_test_suite;

/* Runs the suites; returns 0 when every assertion passed, 1 otherwise. */
int mn_test_main(int argc, char **argv, const mn_test_suite *suites);
/* The same under MPI: every rank runs every test; rank 0 prints the CUnit report, other
 * ranks print their own failures; the exit code is 1 on every rank if any rank failed. */
int mn_test_main_mpi(int argc, char **argv, const mn_test_suite *suites);

/* A fresh directory for this test executable (under $MNEMO_TEST_TMPDIR, or /tmp), created on
 * first use and removed at exit when every test passed (kept when MNEMO_TEST_KEEP is set).
 * Under mn_test_main_mpi it is made before the tests run and is the same on every rank. */
const char *mn_test_tmpdir(void);
/* mn_test_tmpdir()/name in a static buffer rotated over 8 slots. */
const char *mn_test_path(const char *name);
/* The source tree root ($MNEMO_SOURCE_DIR), for scripts and fixture generators. */
const char *mn_test_source_dir(void);
/* 1.0 normally; smaller (MNEMO_TEST_SCALE, default 0.25) in sanitizer builds so size-driven
 * tests keep their shape but finish in time. Use it to scale input sizes, never tolerances. */
double mn_test_scale(void);
/* Writes a file (not atomically; fixtures only). Returns false and records a failure on error. */
bool mn_test_write_file(const char *path, const void *data, size_t len);

/* Counts an assertion that was evaluated (CUnit's "asserts" and the no-assertion check). */
void mn_test_note_assertion(void);

/* Records a failure with a formatted message. */
void mn_test_fail(int line, const char *file, const char *function, bool fatal, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));

#define MN__FAIL(fatal, ...) mn_test_fail(__LINE__, __FILE__, __func__, (fatal), __VA_ARGS__)
#define MN__COUNT()          mn_test_note_assertion()

#define MN_ASSERT_TRUE(cond)                             \
    do {                                                 \
        MN__COUNT();                                     \
        if (!(cond))                                     \
            MN__FAIL(false, "expected true: %s", #cond); \
    } while (0)

#define MN_ASSERT_FATAL(cond)                                   \
    do {                                                        \
        MN__COUNT();                                            \
        if (!(cond))                                            \
            MN__FAIL(true, "expected true (fatal): %s", #cond); \
    } while (0)

#define MN_ASSERT_EQ_INT(actual, expected)                                                  \
    do {                                                                                    \
        MN__COUNT();                                                                        \
        long long mn__a = (long long)(actual), mn__e = (long long)(expected);               \
        if (mn__a != mn__e)                                                                 \
            MN__FAIL(false, "%s == %s: got %lld, expected %lld", #actual, #expected, mn__a, \
                     mn__e);                                                                \
    } while (0)

#define MN_ASSERT_EQ_U64(actual, expected)                                                  \
    do {                                                                                    \
        MN__COUNT();                                                                        \
        unsigned long long mn__a = (unsigned long long)(actual),                            \
                           mn__e = (unsigned long long)(expected);                          \
        if (mn__a != mn__e)                                                                 \
            MN__FAIL(false, "%s == %s: got %llu (0x%llx), expected %llu (0x%llx)", #actual, \
                     #expected, mn__a, mn__a, mn__e, mn__e);                                \
    } while (0)

#define MN_ASSERT_EQ_STR(actual, expected)                                               \
    do {                                                                                 \
        MN__COUNT();                                                                     \
        const char *mn__a = (actual), *mn__e = (expected);                               \
        if (mn__a == NULL || mn__e == NULL || strcmp(mn__a, mn__e) != 0)                 \
            MN__FAIL(false, "%s == %s: got \"%s\", expected \"%s\"", #actual, #expected, \
                     mn__a ? mn__a : "(null)", mn__e ? mn__e : "(null)");                \
    } while (0)

#define MN_ASSERT_EQ_MEM(actual, expected, len)                                          \
    do {                                                                                 \
        MN__COUNT();                                                                     \
        const unsigned char *mn__a = (const unsigned char *)(actual);                    \
        const unsigned char *mn__e = (const unsigned char *)(expected);                  \
        size_t mn__n = (len), mn__i = 0;                                                 \
        while (mn__i < mn__n && mn__a[mn__i] == mn__e[mn__i])                            \
            mn__i++;                                                                     \
        if (mn__i < mn__n)                                                               \
            MN__FAIL(false,                                                              \
                     "%s == %s over %zu bytes: first difference at byte %zu (0x%02x vs " \
                     "0x%02x)",                                                          \
                     #actual, #expected, mn__n, mn__i, mn__a[mn__i], mn__e[mn__i]);      \
    } while (0)

/* |actual - expected| <= tol (absolute). */
#define MN_ASSERT_NEAR(actual, expected, tol)                                                    \
    do {                                                                                         \
        MN__COUNT();                                                                             \
        double mn__a = (double)(actual), mn__e = (double)(expected), mn__t = (double)(tol);      \
        if (!(fabs(mn__a - mn__e) <= mn__t))                                                     \
            MN__FAIL(false, "%s ~= %s: got %.9g, expected %.9g (diff %.3g > tol %.3g)", #actual, \
                     #expected, mn__a, mn__e, fabs(mn__a - mn__e), mn__t);                       \
    } while (0)

#define MN_ASSERT_OK(expr)                                                          \
    do {                                                                            \
        MN__COUNT();                                                                \
        mn_status mn__s = (expr);                                                   \
        if (mn__s != MN_OK)                                                         \
            MN__FAIL(false, "%s: failed with %s: %s", #expr, mn_status_name(mn__s), \
                     mn_error_message());                                           \
    } while (0)

#define MN_ASSERT_OK_FATAL(expr)                                                   \
    do {                                                                           \
        MN__COUNT();                                                               \
        mn_status mn__s = (expr);                                                  \
        if (mn__s != MN_OK)                                                        \
            MN__FAIL(true, "%s: failed with %s: %s", #expr, mn_status_name(mn__s), \
                     mn_error_message());                                          \
    } while (0)

#define MN_ASSERT_STATUS(expr, expected)                                                         \
    do {                                                                                         \
        MN__COUNT();                                                                             \
        mn_status mn__s = (expr), mn__e = (expected);                                            \
        if (mn__s != mn__e)                                                                      \
            MN__FAIL(false, "%s: got status %s (%s), expected %s", #expr, mn_status_name(mn__s), \
                     mn__s ? mn_error_message() : "", mn_status_name(mn__e));                    \
    } while (0)

/* The current error message contains `needle` (for checking that messages name the file,
 * the record and the fix). */
#define MN_ASSERT_ERROR_CONTAINS(needle)                                                   \
    do {                                                                                   \
        MN__COUNT();                                                                       \
        const char *mn__m = mn_error_message(), *mn__n = (needle);                         \
        if (strstr(mn__m, mn__n) == NULL)                                                  \
            MN__FAIL(false, "error message \"%s\" does not contain \"%s\"", mn__m, mn__n); \
    } while (0)

#endif
