/* common/ under MPI at 1, 2 and 4 ranks: stats reduction, agreement on failure,
 * broadcasts and progress aggregation. */
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "tests/harness/mn_test.h"

static void test_stats_reduce_merges_by_name(void) {
    int rank = mn_mpi_rank(), world = mn_mpi_world();
    mn_stats *s = mn_stats_create();
    MN_ASSERT_FATAL(s != NULL);
    /* Names are added in a rank-dependent order, and some exist on one rank only. */
    if (rank % 2) {
        MN_ASSERT_OK(mn_stats_add(s, "docs", rank + 1));
        MN_ASSERT_OK(mn_stats_max(s, "max.rank", rank));
    } else {
        MN_ASSERT_OK(mn_stats_max(s, "max.rank", rank));
        MN_ASSERT_OK(mn_stats_add(s, "docs", rank + 1));
    }
    MN_ASSERT_OK(mn_stats_add_f64(s, "seconds", 0.5));
    MN_ASSERT_OK(mn_stats_min(s, "min.rank", rank));
    if (rank == world - 1)
        MN_ASSERT_OK(mn_stats_add(s, "bad.json", 3));
    MN_ASSERT_OK_FATAL(mn_stats_reduce(s, MPI_COMM_WORLD));
    MN_ASSERT_EQ_INT(mn_stats_get(s, "docs"), (int64_t)world * (world + 1) / 2);
    MN_ASSERT_EQ_INT(mn_stats_get(s, "max.rank"), world - 1);
    MN_ASSERT_EQ_INT(mn_stats_get(s, "min.rank"), 0);
    MN_ASSERT_EQ_INT(mn_stats_get(s, "bad.json"), 3);
    MN_ASSERT_NEAR(mn_stats_get_f64(s, "seconds"), 0.5 * world, 0);
    /* Sorted by name on every rank. */
    MN_ASSERT_EQ_U64(s->count, 5);
    for (size_t i = 1; i < s->count; i++)
        MN_ASSERT_TRUE(strcmp(s->items[i - 1].name, s->items[i].name) < 0);
    /* A second reduction of reduced stats multiplies sums by the rank count. */
    MN_ASSERT_OK(mn_stats_reduce(s, MPI_COMM_WORLD));
    MN_ASSERT_EQ_INT(mn_stats_get(s, "bad.json"), 3 * world);
    mn_stats_free(s);
}

static void test_stats_refuse_mixed_kinds(void) {
    mn_stats *s = mn_stats_create();
    MN_ASSERT_OK(mn_stats_add(s, "x", 1));
    MN_ASSERT_STATUS(mn_stats_max(s, "x", 1), MN_ERR_ARG);
    MN_ASSERT_STATUS(mn_stats_add_f64(s, "x", 1), MN_ERR_ARG);
    mn_stats_free(s);
}

static void test_agree_spreads_the_lowest_failure(void) {
    int rank = mn_mpi_rank(), world = mn_mpi_world();
    MN_ASSERT_OK(mn_mpi_agree(MN_OK, MPI_COMM_WORLD));
    mn_status local = MN_OK;
    if (rank == world - 1)
        local = mn_error(MN_ERR_FORMAT, "bad record in shard-%d", rank);
    mn_status agreed = mn_mpi_agree(local, MPI_COMM_WORLD);
    MN_ASSERT_EQ_INT(agreed, MN_ERR_FORMAT);
    char expected[64];
    snprintf(expected, sizeof expected, "bad record in shard-%d", world - 1);
    MN_ASSERT_ERROR_CONTAINS(expected);
    if (rank != world - 1) {
        snprintf(expected, sizeof expected, "rank %d:", world - 1);
        MN_ASSERT_ERROR_CONTAINS(expected);
    }
}

static void test_bcast_bytes_of_any_size(void) {
    size_t len = 3u << 20;
    uint8_t *data = NULL;
    if (mn_mpi_rank() == 0) {
        data = malloc(len);
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)(i * 7);
    }
    void *p = data;
    MN_ASSERT_OK_FATAL(mn_mpi_bcast_bytes(&p, &len, 0, MPI_COMM_WORLD));
    data = p;
    MN_ASSERT_EQ_U64(len, 3u << 20);
    int wrong = 0;
    for (size_t i = 0; i < len; i++)
        wrong += data[i] != (uint8_t)(i * 7);
    MN_ASSERT_EQ_INT(wrong, 0);
    free(data);
}

static void test_progress_aggregates_on_rank_0(void) {
    int rank = mn_mpi_rank(), world = mn_mpi_world();
    setenv("MNEMO_PROGRESS_INTERVAL", "0", 1);
    mn_progress_field fields[] = {{"files", MN_UNIT_COUNT}, {"input", MN_UNIT_BYTES}};
    mn_progress *p = NULL;
    /* Each rank owns a different share of the work. */
    double share = 1000.0 * (rank + 1);
    MN_ASSERT_OK_FATAL(mn_progress_begin(&p, "test", MPI_COMM_WORLD, fields, 2, 1, share));
    for (int i = 0; i < 50 * (rank + 1); i++) {
        mn_progress_add(p, 0, 1);
        mn_progress_add(p, 1, 20);
        mn_progress_tick(p);
    }
    double totals[2] = {-1, -1};
    MN_ASSERT_OK(mn_progress_end(p, totals));
    if (rank == 0) {
        MN_ASSERT_NEAR(totals[0], 50.0 * world * (world + 1) / 2, 0);
        MN_ASSERT_NEAR(totals[1], 1000.0 * world * (world + 1) / 2, 0);
    }
    unsetenv("MNEMO_PROGRESS_INTERVAL");
}

static const mn_test_case cases[] = {
    {"stats reduce merges counters by name across ranks", test_stats_reduce_merges_by_name},
    {"a counter name keeps one kind", test_stats_refuse_mixed_kinds},
    {"agree gives every rank the lowest failing rank's error",
     test_agree_spreads_the_lowest_failure},
    {"broadcast of a multi-megabyte buffer", test_bcast_bytes_of_any_size},
    {"progress sums every rank's counters on rank 0", test_progress_aggregates_on_rank_0},
    {0}};

static const mn_test_suite suites[] = {{"common-mpi", cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main_mpi(argc, argv, suites);
}
