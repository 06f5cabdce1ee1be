/* The data loader across real MPI ranks (run at 1, 2 and 4 ranks): the union of all ranks'
 * micro-batches of a step is the 1-rank global batch, each rank decodes only the blocks its
 * own samples need, and a restored cursor continues exactly, on every rank. */
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

#include "common/mpi_helpers.h"
#include "shards/loader.h"
#include "tests/harness/mn_test.h"
#include "tests/shards/shard_test_util.h"

enum { T = 16, B = 2, A = 2, STEPS = 4, PREFETCH = 2 };

static const char *dataset_dir(void) {
    return mn_test_path("mpi-dataset");
}

/* Made once by rank 0; the others wait for it. */
static int make_dataset(void) {
    shard_test_dataset ds;
    bool ok = true;
    if (mn_mpi_rank() == 0) {
        ok = shard_test_make_dataset(dataset_dir(), 3, 60, 120, 32, 21, 0x5eed, &ds);
        shard_test_dataset_free(&ds);
    }
    int flag = ok ? 1 : 0;
    MPI_Bcast(&flag, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return flag ? 0 : 1;
}

static loader_options options(int world, int rank, int accum) {
    return (loader_options){.dataset = dataset_dir(),
                            .seq_len = T,
                            .micro_batch = B,
                            .grad_accum = accum,
                            .rank = rank,
                            .world = world,
                            .seed = 99,
                            .shuffle = true,
                            .landmark_id = -1,
                            .prefetch = PREFETCH};
}

static void test_union_is_global_batch(void) {
    int world = mn_mpi_world(), rank = mn_mpi_rank();
    size_t mine_cells = (size_t)STEPS * A * B * T;
    int32_t *mine = malloc(mine_cells * sizeof *mine);
    loader_options o = options(world, rank, A);
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    for (int s = 0; s < STEPS; s++)
        for (int m = 0; m < A; m++) {
            loader_batch batch;
            MN_ASSERT_OK_FATAL(loader_next(l, &batch));
            MN_ASSERT_EQ_U64(batch.step, (uint64_t)s);
            MN_ASSERT_EQ_INT(batch.micro_step, m);
            memcpy(mine + ((size_t)s * A + m) * B * T, batch.inputs, (size_t)B * T * 4);
        }
    loader_stats stats;
    loader_get_stats(l, &stats);
    loader_close(l);
    /* A sample of T+1 <= 33 tokens touches at most two 32-token blocks, and the thread
     * made at most PREFETCH + 1 micro-batches more than were consumed: far fewer blocks
     * than the dataset's ~300 (the rank reads only its part). */
    MN_ASSERT_TRUE(stats.blocks_decoded <= 2ull * (STEPS * A + PREFETCH + 1) * B);

    int32_t *all = rank == 0 ? malloc(mine_cells * (size_t)world * sizeof *all) : NULL;
    MN_ASSERT_EQ_INT(MPI_Gather(mine, (int)mine_cells, MPI_INT32_T, all, (int)mine_cells,
                                MPI_INT32_T, 0, MPI_COMM_WORLD),
                     MPI_SUCCESS);
    if (rank == 0) {
        /* The reference: one rank, world * A micro-steps of the same B. */
        loader_options ro = options(1, 0, A * world);
        MN_ASSERT_OK_FATAL(loader_open(&l, &ro));
        uint64_t wrong = 0;
        for (int s = 0; s < STEPS; s++)
            for (int mm = 0; mm < A * world; mm++) {
                loader_batch batch;
                MN_ASSERT_OK_FATAL(loader_next(l, &batch));
                int q = mm % world, m = mm / world; /* rank q's micro-step m */
                const int32_t *theirs = all + (size_t)q * mine_cells + ((size_t)s * A + m) * B * T;
                wrong += memcmp(theirs, batch.inputs, (size_t)B * T * 4) != 0;
            }
        MN_ASSERT_EQ_U64(wrong, 0);
        loader_close(l);
    }
    free(all);
    free(mine);
}

static void test_resume_on_every_rank(void) {
    int world = mn_mpi_world(), rank = mn_mpi_rank();
    loader_options o = options(world, rank, A);
    loader *l, *resumed;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    loader_batch batch;
    for (int i = 0; i < 3; i++)
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
    uint8_t *cursor;
    size_t len;
    MN_ASSERT_OK_FATAL(loader_save_cursor(l, &cursor, &len));
    enum { AFTER = 9 };
    int32_t *expected = malloc((size_t)AFTER * B * T * 4);
    for (int i = 0; i < AFTER; i++) {
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        memcpy(expected + (size_t)i * B * T, batch.inputs, (size_t)B * T * 4);
    }
    loader_close(l);
    /* Every rank holds the same cursor, so a checkpoint keeps rank 0's. */
    uint8_t *root = malloc(len);
    memcpy(root, cursor, len);
    MPI_Bcast(root, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD);
    MN_ASSERT_EQ_MEM(root, cursor, len);
    MN_ASSERT_OK_FATAL(loader_open(&resumed, &o));
    MN_ASSERT_OK(loader_restore_cursor(resumed, root, len));
    uint64_t wrong = 0;
    for (int i = 0; i < AFTER; i++) {
        MN_ASSERT_OK_FATAL(loader_next(resumed, &batch));
        wrong += memcmp(expected + (size_t)i * B * T, batch.inputs, (size_t)B * T * 4) != 0;
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    loader_close(resumed);
    free(root);
    free(cursor);
    free(expected);
}

static const mn_test_case cases[] = {
    {"the union of all ranks' micro-batches equals the 1-rank global batch",
     test_union_is_global_batch},
    {"every rank resumes exactly from the shared cursor", test_resume_on_every_rank},
    {0}};

static const mn_test_suite suites[] = {{"loader_mpi", cases, make_dataset, NULL}, {0}};

int main(int argc, char **argv) {
    return mn_test_main_mpi(argc, argv, suites);
}
