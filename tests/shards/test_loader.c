/* The training data loader in one process: sample layout (packed, document-aligned,
 * landmarks), order (permutation, epochs, weights), world-size invariance, timing
 * independence, cursors, and the errors a user can meet. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/rng.h"
#include "shards/loader.h"
#include "shards/loader_internal.h"
#include "shards/manifest.h"
#include "shards/mtok.h"
#include "tests/harness/mn_test.h"
#include "tests/shards/shard_test_util.h"

static loader_options base_options(const char *dataset, int T, int B, int A) {
    return (loader_options){.dataset = dataset,
                            .seq_len = T,
                            .micro_batch = B,
                            .grad_accum = A,
                            .rank = 0,
                            .world = 1,
                            .seed = 1234,
                            .shuffle = true,
                            .landmark_id = -1};
}

static void test_permutation(void) {
    uint64_t sizes[] = {1, 2, 3, 5, 16, 17, 1000, 4097};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        uint64_t n = sizes[s];
        shard__permutation p;
        shard__permutation_init(&p, n, 77 + s);
        uint8_t *seen = calloc(n, 1);
        uint64_t bad = 0;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t v = shard__permutation_apply(&p, i);
            if (v >= n || seen[v]++)
                bad++;
        }
        MN_ASSERT_EQ_U64(bad, 0);
        free(seen);
    }
    /* Different seeds give different orders; a permutation is not the identity. */
    shard__permutation a, b;
    shard__permutation_init(&a, 1000, 1);
    shard__permutation_init(&b, 1000, 2);
    int same = 0, fixed = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        same += shard__permutation_apply(&a, i) == shard__permutation_apply(&b, i);
        fixed += shard__permutation_apply(&a, i) == i;
    }
    MN_ASSERT_TRUE(same < 20);
    MN_ASSERT_TRUE(fixed < 20);
}

/* Shuffle off: step s, row b is sample s*B + b: T+1 consecutive tokens in dataset order,
 * continuing into the next shard and wrapping to the start after the last sample. */
static void test_packed_in_order(void) {
    const char *dir = mn_test_path("packed");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 3, 40, 60, 97, 1, 5, &ds));
    enum { T = 16, B = 2 };
    loader_options o = base_options(dir, T, B, 1);
    o.shuffle = false;
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    /* the expected sample list */
    uint64_t N = 0, per_shard[3];
    for (size_t s = 0; s < 3; s++) {
        per_shard[s] = (ds.stream_len[s] - 1) / T;
        N += per_shard[s];
    }
    MN_ASSERT_EQ_U64(loader_samples_per_epoch(l), N);
    uint64_t steps = N / B + 3, wrong = 0;
    for (uint64_t step = 0; step < steps; step++) {
        loader_batch batch;
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        MN_ASSERT_EQ_U64(batch.step, step);
        MN_ASSERT_EQ_INT(batch.micro_step, 0);
        for (int b = 0; b < B; b++) {
            uint64_t k = (step * B + (uint64_t)b) % N;
            size_t s = 0;
            while (k >= per_shard[s]) {
                k -= per_shard[s];
                s++;
            }
            const uint32_t *x = ds.streams[s] + k * T;
            for (int t = 0; t < T; t++)
                if (batch.inputs[b * T + t] != (int32_t)x[t] ||
                    batch.targets[b * T + t] != (int32_t)x[t + 1])
                    wrong++;
        }
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    loader_close(l);
    shard_test_dataset_free(&ds);
}

/* The first text id of a sample names it: ids count up through the dataset. */
static uint32_t sample_id(const int32_t *inputs) {
    return inputs[0] != (int32_t)SHARD_TEST_EOS ? (uint32_t)inputs[0] : (uint32_t)inputs[1];
}

static void test_epochs_visit_everything_once(void) {
    const char *dir = mn_test_path("epochs");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 50, 80, 128, 2, 5, &ds));
    enum { T = 8, B = 4 };
    loader_options o = base_options(dir, T, B, 1);
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    uint64_t N = loader_samples_per_epoch(l);
    /* every sample's id, from the streams */
    uint8_t *expected = calloc(SHARD_TEST_VOCAB, 1);
    for (size_t s = 0; s < 2; s++)
        for (uint64_t k = 0; k < (ds.stream_len[s] - 1) / T; k++) {
            const uint32_t *x = ds.streams[s] + k * T;
            expected[x[0] != SHARD_TEST_EOS ? x[0] : x[1]]++;
        }
    uint8_t *seen[2] = {calloc(SHARD_TEST_VOCAB, 1), calloc(SHARD_TEST_VOCAB, 1)};
    uint32_t *order[2] = {calloc(N, 4), calloc(N, 4)};
    uint64_t position = 0;
    while (position < 2 * N) {
        loader_batch batch;
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        for (int b = 0; b < B && position < 2 * N; b++, position++) {
            uint32_t id = sample_id(batch.inputs + b * T);
            seen[position / N][id]++;
            order[position / N][position % N] = id;
        }
    }
    MN_ASSERT_EQ_MEM(seen[0], expected, SHARD_TEST_VOCAB);
    MN_ASSERT_EQ_MEM(seen[1], expected, SHARD_TEST_VOCAB);
    /* the second epoch is drawn with another permutation */
    MN_ASSERT_TRUE(memcmp(order[0], order[1], N * 4) != 0);
    loader_close(l);
    free(expected);
    for (int e = 0; e < 2; e++) {
        free(seen[e]);
        free(order[e]);
    }
    shard_test_dataset_free(&ds);
}

static void test_landmarks(void) {
    const char *dir = mn_test_path("landmarks");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 1, 30, 200, 256, 3, 5, &ds));
    enum { T = 130, LMK = 59999, S = 128 }; /* LMK at positions 63 and 127 */
    loader_options o = base_options(dir, T, 1, 1);
    o.shuffle = false;
    o.landmark_id = LMK;
    o.chunk_text_tokens = 63;
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    MN_ASSERT_EQ_U64(loader_samples_per_epoch(l), (ds.stream_len[0] - 1) / S);
    uint64_t wrong = 0;
    for (uint64_t k = 0; k < 5; k++) {
        loader_batch batch;
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        const uint32_t *x = ds.streams[0] + k * S;
        MN_ASSERT_EQ_INT(batch.inputs[63], LMK);
        MN_ASSERT_EQ_INT(batch.inputs[127], LMK);
        MN_ASSERT_EQ_INT(batch.targets[63], -1);
        MN_ASSERT_EQ_INT(batch.targets[127], -1);
        /* the last text token of chunk 0 predicts the first text token of chunk 1 */
        MN_ASSERT_EQ_INT(batch.targets[62], batch.inputs[64]);
        MN_ASSERT_EQ_INT(batch.targets[62], (int32_t)x[63]);
        MN_ASSERT_EQ_INT(batch.targets[129], (int32_t)x[128]); /* the extra target token */
        int q = 0;
        for (int p = 0; p < T; p++) {
            if (p % 64 == 63)
                continue;
            if (batch.inputs[p] != (int32_t)x[q] || batch.targets[p] != (int32_t)x[q + 1])
                wrong++;
            q++;
        }
        MN_ASSERT_EQ_INT(q, S);
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    loader_close(l);
    o.landmark_id = SHARD_TEST_VOCAB; /* not in the vocabulary */
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("landmark id 60000 is not in the dataset's vocabulary");
    shard_test_dataset_free(&ds);
}

static void test_document_aligned(void) {
    const char *dir = mn_test_path("aligned");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 25, 30, 64, 4, 5, &ds));
    enum { T = 8 };
    loader_options o = base_options(dir, T, 1, 1);
    o.shuffle = false;
    o.document_aligned = true;
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    uint64_t count = 0, wrong = 0;
    for (size_t s = 0; s < 2; s++) {
        for (size_t d = 0; d < ds.n_docs[s]; d++) {
            uint64_t begin = ds.doc_starts[s][d], end = ds.doc_starts[s][d + 1];
            for (uint64_t start = begin; start + 1 < end; start += T) {
                uint64_t avail = end - start < T + 1 ? end - start : T + 1;
                const uint32_t *x = ds.streams[s] + start;
                loader_batch batch;
                MN_ASSERT_OK_FATAL(loader_next(l, &batch));
                for (uint64_t q = 0; q < T; q++) {
                    int32_t in = q < avail ? (int32_t)x[q] : (int32_t)SHARD_TEST_EOS;
                    int32_t target = q + 1 < avail ? (int32_t)x[q + 1] : -1;
                    if (batch.inputs[q] != in || batch.targets[q] != target)
                        wrong++;
                }
                count++;
            }
        }
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    MN_ASSERT_EQ_U64(loader_samples_per_epoch(l), count);
    loader_close(l);

    /* with landmarks: the padding keeps the landmark layout */
    o.seq_len = 70;
    o.landmark_id = 59999;
    o.chunk_text_tokens = 63;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    loader_batch batch;
    MN_ASSERT_OK(loader_next(l, &batch));
    MN_ASSERT_EQ_INT(batch.inputs[63], 59999);
    MN_ASSERT_EQ_INT(batch.targets[63], -1);
    uint64_t first_len = ds.doc_starts[0][1] - ds.doc_starts[0][0];
    if (first_len < 60) { /* a short first document: padded after its EOS target */
        MN_ASSERT_EQ_INT(batch.targets[first_len - 2], (int32_t)SHARD_TEST_EOS);
        MN_ASSERT_EQ_INT(batch.targets[first_len - 1], -1);
        MN_ASSERT_EQ_INT(batch.inputs[first_len], (int32_t)SHARD_TEST_EOS);
    }
    loader_close(l);
    shard_test_dataset_free(&ds);
}

static void test_weights(void) {
    const char *dir = mn_test_path("weights");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 40, 60, 128, 5, 5, &ds));
    shard_manifest m;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&m, dir));
    m.shards[0].weight = 0.5;
    m.shards[1].weight = 2.0;
    MN_ASSERT_OK_FATAL(shard_manifest_save(&m));
    shard_manifest_free(&m);
    enum { T = 8 };
    loader_options o = base_options(dir, T, 4, 1);
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    uint64_t n0 = (ds.stream_len[0] - 1) / T, n1 = (ds.stream_len[1] - 1) / T;
    uint64_t d0 = (n0 + 1) / 2; /* round(0.5 * n0) */
    uint64_t N = loader_samples_per_epoch(l);
    MN_ASSERT_EQ_U64(N, d0 + 2 * n1);
    uint32_t *count0 = calloc(n0, 4), *count1 = calloc(n1, 4);
    for (uint64_t p = 0; p < 2 * N; p++) {
        uint32_t entry;
        uint64_t sample;
        loader__locate(l, p, &entry, &sample);
        if (entry == 0 && sample < n0)
            count0[sample]++;
        else if (entry == 1 && sample < n1 && p < N)
            count1[sample]++;
    }
    uint64_t missing0 = 0, not_twice1 = 0;
    for (uint64_t k = 0; k < n0; k++)
        missing0 += count0[k] == 0; /* two epochs of half the entry cover all of it */
    for (uint64_t k = 0; k < n1; k++)
        not_twice1 += count1[k] != 2;
    MN_ASSERT_EQ_U64(missing0, 0);
    MN_ASSERT_EQ_U64(not_twice1, 0);
    /* and the batches hold what locate says */
    uint64_t wrong = 0;
    for (uint64_t step = 0; step < 10; step++) {
        loader_batch batch;
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        for (int b = 0; b < 4; b++) {
            uint32_t entry;
            uint64_t sample;
            loader__locate(l, step * 4 + (uint64_t)b, &entry, &sample);
            const uint32_t *x = ds.streams[entry] + sample * T;
            for (int t = 0; t < T; t++)
                wrong += batch.inputs[b * T + t] != (int32_t)x[t];
        }
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    free(count0);
    free(count1);
    loader_close(l);
    shard_test_dataset_free(&ds);
}

/* Reads `steps` steps of micro-batches into a buffer of steps * A * B * T inputs (and the
 * same for targets). */
static void read_steps(loader *l, int steps, int A, int B, int T, int32_t *inputs,
                       int32_t *targets) {
    for (int s = 0; s < steps; s++)
        for (int m = 0; m < A; m++) {
            loader_batch batch;
            MN_ASSERT_OK_FATAL(loader_next(l, &batch));
            MN_ASSERT_EQ_U64(batch.step, (uint64_t)s);
            size_t at = ((size_t)s * A + m) * B * T;
            memcpy(inputs + at, batch.inputs, (size_t)B * T * 4);
            memcpy(targets + at, batch.targets, (size_t)B * T * 4);
        }
}

static void test_world_size_invariance(void) {
    const char *dir = mn_test_path("worlds");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 3, 30, 100, 64, 6, 5, &ds));
    enum { T = 12, B = 2, STEPS = 3, G = 8 };
    size_t cells = (size_t)STEPS * G * T;
    int32_t *ref_in = malloc(cells * 4), *ref_tg = malloc(cells * 4);
    loader_options o = base_options(dir, T, B, G / B);
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    read_steps(l, STEPS, G / B, B, T, ref_in, ref_tg);
    loader_close(l);
    int32_t *in = malloc(cells * 4), *tg = malloc(cells * 4);
    int worlds[] = {2, 4};
    for (int w = 0; w < 2; w++) {
        int W = worlds[w], A = G / B / W;
        uint64_t wrong = 0;
        for (int r = 0; r < W; r++) {
            o = base_options(dir, T, B, A);
            o.world = W;
            o.rank = r;
            MN_ASSERT_OK_FATAL(loader_open(&l, &o));
            read_steps(l, STEPS, A, B, T, in, tg);
            loader_close(l);
            /* rank r's micro-step m is the 1-rank run's micro-step m*W + r */
            for (int s = 0; s < STEPS; s++)
                for (int m = 0; m < A; m++) {
                    size_t mine = ((size_t)s * A + m) * B * T;
                    size_t ref = ((size_t)s * (G / B) + (size_t)(m * W + r)) * B * T;
                    wrong += memcmp(in + mine, ref_in + ref, (size_t)B * T * 4) != 0;
                    wrong += memcmp(tg + mine, ref_tg + ref, (size_t)B * T * 4) != 0;
                }
        }
        MN_ASSERT_EQ_U64(wrong, 0);
    }
    free(ref_in);
    free(ref_tg);
    free(in);
    free(tg);
    shard_test_dataset_free(&ds);
}

static void test_timing_independent(void) {
    const char *dir = mn_test_path("timing");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 30, 100, 64, 7, 5, &ds));
    enum { T = 16, B = 3, A = 2, STEPS = 12 };
    size_t cells = (size_t)STEPS * A * B * T;
    int32_t *a_in = malloc(cells * 4), *a_tg = malloc(cells * 4);
    int32_t *b_in = malloc(cells * 4), *b_tg = malloc(cells * 4);
    loader_options o = base_options(dir, T, B, A);
    o.prefetch = 1;
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    read_steps(l, STEPS, A, B, T, a_in, a_tg);
    loader_close(l);
    o.prefetch = 16;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    usleep(20000); /* let the thread run far ahead */
    read_steps(l, STEPS, A, B, T, b_in, b_tg);
    loader_stats stats;
    loader_get_stats(l, &stats);
    MN_ASSERT_EQ_U64(stats.micro_batches, STEPS * A);
    MN_ASSERT_TRUE(stats.blocks_decoded > 0);
    loader_close(l);
    MN_ASSERT_EQ_MEM(a_in, b_in, cells * 4);
    MN_ASSERT_EQ_MEM(a_tg, b_tg, cells * 4);
    free(a_in);
    free(a_tg);
    free(b_in);
    free(b_tg);
    shard_test_dataset_free(&ds);
}

static void test_cursor_resume(void) {
    const char *dir = mn_test_path("cursor");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 30, 100, 64, 8, 5, &ds));
    enum { T = 16, B = 2, A = 3, BEFORE = 7, AFTER = 20 };
    loader_options o = base_options(dir, T, B, A);
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    loader_batch batch;
    for (int i = 0; i < BEFORE; i++) /* stops in the middle of step 2 */
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
    uint8_t *cursor;
    size_t len;
    MN_ASSERT_OK_FATAL(loader_save_cursor(l, &cursor, &len));
    int32_t *expected = malloc((size_t)AFTER * B * T * 4);
    uint64_t steps[AFTER];
    int micros[AFTER];
    for (int i = 0; i < AFTER; i++) {
        MN_ASSERT_OK_FATAL(loader_next(l, &batch));
        memcpy(expected + (size_t)i * B * T, batch.inputs, (size_t)B * T * 4);
        steps[i] = batch.step;
        micros[i] = batch.micro_step;
    }
    MN_ASSERT_EQ_U64(steps[0], 2);
    MN_ASSERT_EQ_INT(micros[0], 1);
    /* a fresh loader resumed from the cursor continues exactly */
    loader *resumed;
    MN_ASSERT_OK_FATAL(loader_open(&resumed, &o));
    MN_ASSERT_OK(loader_restore_cursor(resumed, cursor, len));
    uint64_t wrong = 0;
    for (int i = 0; i < AFTER; i++) {
        MN_ASSERT_OK_FATAL(loader_next(resumed, &batch));
        wrong += memcmp(expected + (size_t)i * B * T, batch.inputs, (size_t)B * T * 4) != 0;
        wrong += batch.step != steps[i] || batch.micro_step != micros[i];
    }
    MN_ASSERT_EQ_U64(wrong, 0);
    /* and so does the first loader, rewound */
    MN_ASSERT_OK(loader_restore_cursor(l, cursor, len));
    MN_ASSERT_OK_FATAL(loader_next(l, &batch));
    MN_ASSERT_EQ_MEM(batch.inputs, expected, (size_t)B * T * 4);
    loader_close(resumed);
    loader_close(l);
    free(cursor);
    free(expected);
    shard_test_dataset_free(&ds);
}

static void test_cursor_refused(void) {
    const char *dir = mn_test_path("refused");
    const char *other = mn_test_path("refused-other");
    shard_test_dataset ds, ds2;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 2, 20, 100, 64, 9, 5, &ds));
    MN_ASSERT_FATAL(shard_test_make_dataset(other, 2, 20, 100, 64, 10, 5, &ds2));
    loader_options o = base_options(dir, 16, 2, 2);
    o.world = 2;
    loader *l, *x;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o));
    loader_batch batch;
    MN_ASSERT_OK(loader_next(l, &batch));
    uint8_t *mid;
    size_t len;
    MN_ASSERT_OK_FATAL(loader_save_cursor(l, &mid, &len)); /* step 0, micro-step 1 */
    MN_ASSERT_OK(loader_next(l, &batch));
    MN_ASSERT_OK(loader_next(l, &batch));
    uint8_t *boundary;
    MN_ASSERT_OK_FATAL(loader_save_cursor(l, &boundary, &len)); /* step 1, micro-step 1 */
    MN_ASSERT_OK(loader_next(l, &batch));
    free(boundary);
    MN_ASSERT_OK_FATAL(loader_save_cursor(l, &boundary, &len)); /* step 2, micro-step 0 */

    loader_options t = o;
    t.seq_len = 32;
    MN_ASSERT_OK_FATAL(loader_open(&x, &t));
    MN_ASSERT_STATUS(loader_restore_cursor(x, mid, len), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("sequence length 16, this run uses 32");
    loader_close(x);
    t = o;
    t.dataset = other;
    MN_ASSERT_OK_FATAL(loader_open(&x, &t));
    MN_ASSERT_STATUS(loader_restore_cursor(x, mid, len), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("belongs to another dataset");
    loader_close(x);
    t = o;
    t.world = 4; /* global batch 16 instead of 8 */
    MN_ASSERT_OK_FATAL(loader_open(&x, &t));
    MN_ASSERT_STATUS(loader_restore_cursor(x, mid, len), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("micro-batch 2 = 8 samples per step; this run has 4 x 2 x 2 = 16");
    loader_close(x);
    t = o;
    t.shuffle = false;
    MN_ASSERT_OK_FATAL(loader_open(&x, &t));
    MN_ASSERT_STATUS(loader_restore_cursor(x, mid, len), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("shuffle on");
    loader_close(x);

    /* Same global batch, another world size: refused mid-step, exact at a step boundary. */
    t = o;
    t.world = 1;
    t.grad_accum = 4;
    MN_ASSERT_OK_FATAL(loader_open(&x, &t));
    MN_ASSERT_STATUS(loader_restore_cursor(x, mid, len), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("in the middle of step 0");
    MN_ASSERT_OK(loader_restore_cursor(x, boundary, len));
    loader_batch a;
    MN_ASSERT_OK(loader_next(x, &a));
    MN_ASSERT_EQ_U64(a.step, 2);
    MN_ASSERT_EQ_INT(a.micro_step, 0);
    /* the 1-rank run's micro-step 0 of step 2 is rank 0's micro-step 0 in the 2-rank run */
    MN_ASSERT_OK(loader_next(l, &batch));
    MN_ASSERT_EQ_MEM(a.inputs, batch.inputs, 2 * 16 * 4);
    loader_close(x);

    uint8_t damaged[80];
    memcpy(damaged, boundary, 80);
    damaged[70] ^= 1;
    MN_ASSERT_STATUS(loader_restore_cursor(l, damaged, 80), MN_ERR_CORRUPT);
    MN_ASSERT_STATUS(loader_restore_cursor(l, damaged, 12), MN_ERR_FORMAT);
    loader_close(l);
    free(mid);
    free(boundary);
    shard_test_dataset_free(&ds);
    shard_test_dataset_free(&ds2);
}

static void test_foreign_tokenizer_and_replaced_shards(void) {
    const char *a = mn_test_path("tok-a"), *b = mn_test_path("tok-b");
    shard_test_dataset da, db;
    MN_ASSERT_FATAL(shard_test_make_dataset(a, 1, 10, 50, 64, 11, 0xaaaa, &da));
    MN_ASSERT_FATAL(shard_test_make_dataset(b, 1, 10, 50, 64, 12, 0xbbbb, &db));
    /* a manifest of tokenizer 0xaaaa listing a shard made by 0xbbbb */
    shard_manifest ma, mb;
    MN_ASSERT_OK_FATAL(shard_manifest_load(&ma, a));
    MN_ASSERT_OK_FATAL(shard_manifest_load(&mb, b));
    shard_manifest_entry foreign = mb.shards[0];
    char *foreign_path = shard_manifest_shard_path(&mb, 0);
    foreign.path = foreign_path;
    MN_ASSERT_OK(shard_manifest_add(&ma, &foreign));
    MN_ASSERT_OK(shard_manifest_save(&ma));
    loader_options o = base_options(a, 8, 1, 1);
    loader *l;
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("tok-b/shard-00000.mtok was made by tokenizer 0x000000000000bbbb");
    MN_ASSERT_ERROR_CONTAINS("re-tokenize it");

    o.dataset = b;
    o.expect_tokenizer = 0xcccc;
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_MISMATCH);
    MN_ASSERT_ERROR_CONTAINS("not the 0x000000000000cccc this run uses");

    /* a shard replaced after its manifest was made */
    mb.shards[0].tokens += 1;
    mb.total_tokens += 1;
    MN_ASSERT_OK(shard_manifest_save(&mb));
    o.expect_tokenizer = 0;
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("the shard was replaced after the manifest was made");
    free(foreign_path);
    shard_manifest_free(&ma);
    shard_manifest_free(&mb);
    shard_test_dataset_free(&da);
    shard_test_dataset_free(&db);
}

static void test_damaged_block_reported(void) {
    const char *dir = mn_test_path("damaged");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 1, 30, 80, 64, 13, 5, &ds));
    char path[4200];
    snprintf(path, sizeof path, "%s/shard-00000.mtok", dir);
    shard_reader *r;
    MN_ASSERT_OK_FATAL(shard_reader_open(&r, path));
    shard_block_info bi = shard_reader_block_info(r, 2);
    shard_reader_close(r);
    size_t len;
    uint8_t *file = shard_test_read_file(path, &len);
    MN_ASSERT_FATAL(file != NULL);
    file[bi.offset + bi.compressed_size / 2] ^= 0x08;
    MN_ASSERT_TRUE(shard_test_rewrite(path, file, len));
    free(file);
    loader_options o = base_options(dir, 16, 1, 1);
    o.shuffle = false;
    loader *l;
    MN_ASSERT_OK_FATAL(loader_open(&l, &o)); /* the footer is intact */
    mn_status status = MN_OK;
    for (int i = 0; i < 100 && status == MN_OK; i++) {
        loader_batch batch;
        status = loader_next(l, &batch);
    }
    MN_ASSERT_STATUS(status, MN_ERR_CORRUPT);
    MN_ASSERT_ERROR_CONTAINS("shard-00000.mtok block 2 (");
    loader_batch batch;
    MN_ASSERT_STATUS(loader_next(l, &batch), MN_ERR_CORRUPT); /* sticky */
    loader_close(l);
    shard_test_dataset_free(&ds);
}

static void test_bad_inputs(void) {
    loader *l;
    loader_options o = base_options(mn_test_path("nothing-here"), 8, 1, 1);
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_NOT_FOUND);
    o.seq_len = 0;
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_ARG);
    o.seq_len = 8;
    o.rank = 3;
    o.world = 2;
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_ARG);
    const char *dir = mn_test_path("tiny");
    shard_test_dataset ds;
    MN_ASSERT_FATAL(shard_test_make_dataset(dir, 1, 2, 3, 64, 14, 5, &ds));
    o = base_options(dir, 512, 1, 1);
    MN_ASSERT_STATUS(loader_open(&l, &o), MN_ERR_ARG);
    MN_ASSERT_ERROR_CONTAINS("has no sample of 512 text tokens");
    shard_test_dataset_free(&ds);
}

static const mn_test_case loader_cases[] = {
    {"the seeded permutation is a bijection and depends on the seed", test_permutation},
    {"without shuffling, samples are consecutive T+1 windows in dataset order",
     test_packed_in_order},
    {"each epoch visits every sample exactly once, in a new order",
     test_epochs_visit_everything_once},
    {"landmarks sit after every 63 text tokens with targets -1 and skip-over targets",
     test_landmarks},
    {"document-aligned samples start at documents and pad after them", test_document_aligned},
    {"weights draw round(weight * samples) per epoch, covering down-weighted entries over epochs",
     test_weights},
    {"the union of all ranks' micro-batches is the same global batch at 1, 2 and 4 ranks",
     test_world_size_invariance},
    {"batches do not depend on prefetch depth or timing", test_timing_independent},
    {"a restored cursor continues with exactly the uninterrupted samples", test_cursor_resume},
    {"cursors from another dataset, T, order or global batch are refused; world size may change "
     "at a step boundary",
     test_cursor_refused},
    {"shards from another tokenizer and replaced shards are refused, naming the shard",
     test_foreign_tokenizer_and_replaced_shards},
    {"a damaged block reaches loader_next as an error naming shard and block",
     test_damaged_block_reported},
    {"bad options and datasets too small for one sample are refused", test_bad_inputs},
    {0}};

static const mn_test_suite suites[] = {{"loader", loader_cases}, {0}};

int main(int argc, char **argv) {
    return mn_test_main(argc, argv, suites);
}
