/* Distributed pieces at 1, 2 and 4 ranks: the bounded all-to-all exchange, the work queue,
 * and global deduplication checked against a one-process reference on a synthetic corpus
 * with exact, URL and near-duplicate groups (results must not depend on the rank count). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/io.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/rng.h"
#include "ingest/dedup.h"
#include "ingest/exchange.h"
#include "ingest/queue.h"
#include "ingest/work.h"
#include "tests/harness/mn_test.h"

static int rank_, world_;

/* --- exchange ---------------------------------------------------------------------------- */

typedef struct xctx {
    uint64_t next_k[8]; /* per destination: next item to send */
    uint64_t got[8];    /* per source: items received so far */
    int wrong;
    int fail_at_round; /* consume fails on this rank at this call (-1: never) */
    int calls;
} xctx;

static uint64_t items_for(int src, int dest) {
    return (uint64_t)(src + 1) * (uint64_t)(dest + 2) * 50;
}

static mn_status x_produce(void *vctx, ingest_exchange *ex, bool *more) {
    xctx *c = vctx;
    *more = false;
    for (int d = 0; d < world_; d++) {
        while (c->next_k[d] < items_for(rank_, d)) {
            if (ingest_exchange_full(ex)) {
                *more = true;
                return MN_OK;
            }
            uint64_t v = (uint64_t)rank_ * 1000000 + (uint64_t)d * 1000 + c->next_k[d]++;
            MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, d, &v));
        }
    }
    return MN_OK;
}

static mn_status x_consume(void *vctx, int source, const void *items, size_t count) {
    xctx *c = vctx;
    if (c->fail_at_round >= 0 && c->calls++ == c->fail_at_round)
        return mn_error(MN_ERR_IO, "injected failure in consume");
    const uint64_t *v = items;
    for (size_t i = 0; i < count; i++) {
        uint64_t expect = (uint64_t)source * 1000000 + (uint64_t)rank_ * 1000 + c->got[source]++;
        c->wrong += v[i] != expect;
    }
    return MN_OK;
}

static void test_exchange_in_many_small_rounds(void) {
    xctx c = {.fail_at_round = -1};
    /* 64 bytes a round: 8 items, so hundreds of rounds. */
    MN_ASSERT_OK(ingest_exchange_run(MPI_COMM_WORLD, 8, 64, x_produce, x_consume, &c));
    MN_ASSERT_EQ_INT(c.wrong, 0);
    for (int s = 0; s < world_; s++)
        MN_ASSERT_EQ_U64(c.got[s], items_for(s, rank_));
}

static void test_exchange_failure_stops_everyone(void) {
    xctx c = {.fail_at_round = rank_ == world_ - 1 ? 3 : -1};
    mn_status status = ingest_exchange_run(MPI_COMM_WORLD, 8, 64, x_produce, x_consume, &c);
    MN_ASSERT_STATUS(status, MN_ERR_IO);
    MN_ASSERT_ERROR_CONTAINS("injected failure");
}

/* --- queue -------------------------------------------------------------------------------- */

static void test_queue_hands_out_each_input_once(void) {
    enum { N = 300 };
    uint64_t sizes[N];
    uint32_t todo[N];
    mn_rng rng;
    mn_rng_seed(&rng, 9);
    for (int i = 0; i < N; i++) {
        sizes[i] = mn_rng_below(&rng, 1000000);
        todo[i] = (uint32_t)i;
    }
    ingest_queue *q = NULL;
    MN_ASSERT_OK_FATAL(ingest_queue_create(&q, MPI_COMM_WORLD, todo, rank_ == 0 ? N : 0, sizes));
    int mine[N] = {0}, all[N];
    uint64_t previous = UINT64_MAX;
    int order_ok = 1;
    for (;;) {
        uint32_t input;
        bool have;
        MN_ASSERT_OK_FATAL(ingest_queue_next(q, &input, &have));
        if (!have)
            break;
        mine[input]++;
        if (rank_ == 0) {
            /* rank 0 takes from the front: sizes never grow */
            order_ok &= sizes[input] <= previous;
            previous = sizes[input];
        }
        for (int k = 0; k < 3; k++)
            ingest_queue_poll(q);
    }
    MN_ASSERT_OK(ingest_queue_finish(q, MN_OK));
    MPI_Allreduce(mine, all, N, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    int wrong = 0;
    for (int i = 0; i < N; i++)
        wrong += all[i] != 1;
    MN_ASSERT_EQ_INT(wrong, 0);
    MN_ASSERT_TRUE(order_ok);
}

static void test_queue_stop_on_error_reaches_all(void) {
    enum { N = 50 };
    uint64_t sizes[N];
    uint32_t todo[N];
    for (int i = 0; i < N; i++) {
        sizes[i] = 100;
        todo[i] = (uint32_t)i;
    }
    ingest_queue *q = NULL;
    MN_ASSERT_OK_FATAL(ingest_queue_create(&q, MPI_COMM_WORLD, todo, rank_ == 0 ? N : 0, sizes));
    /* The last rank fails on its first item (or when it finds the queue already empty,
     * which depends on timing); the others work on until the queue stops. */
    mn_status local = MN_OK;
    for (;;) {
        uint32_t input = 0;
        bool have;
        MN_ASSERT_OK_FATAL(ingest_queue_next(q, &input, &have));
        if (rank_ == world_ - 1) {
            local = mn_error(MN_ERR_IO, "disk full while writing input %u", input);
            break;
        }
        if (!have)
            break;
    }
    mn_status status = ingest_queue_finish(q, local);
    MN_ASSERT_STATUS(status, MN_ERR_IO);
    MN_ASSERT_ERROR_CONTAINS("disk full");
}

/* --- deduplication against a reference --------------------------------------------------- */

enum { BANDS = 6, N_INPUTS = 9 };
static const uint64_t input_docs[N_INPUTS] = {0, 1, 5, 100, 37, 2500, 3, 1800, 700};

typedef struct synth_doc {
    uint64_t text_hash, url_hash, bands[BANDS];
    bool has_sig;
} synth_doc;

static synth_doc *synth[N_INPUTS];

static void synth_build(void) {
    mn_rng rng;
    mn_rng_seed(&rng, 2024);
    for (int i = 0; i < N_INPUTS; i++) {
        synth[i] = calloc(input_docs[i] + 1, sizeof(synth_doc));
        for (uint64_t j = 0; j < input_docs[i]; j++) {
            synth_doc *d = &synth[i][j];
            double u = mn_rng_uniform(&rng);
            d->text_hash = u < 0.2 ? 1000 + mn_rng_below(&rng, 30) : mn_rng_u64(&rng) | 1;
            u = mn_rng_uniform(&rng);
            d->url_hash = u < 0.3   ? 0
                          : u < 0.5 ? 5000 + mn_rng_below(&rng, 20)
                                    : mn_rng_u64(&rng) | 1;
            d->has_sig = mn_rng_uniform(&rng) < 0.9;
            bool near = mn_rng_uniform(&rng) < 0.15;
            uint64_t cluster = mn_rng_below(&rng, 15);
            for (int b = 0; b < BANDS; b++)
                d->bands[b] = near && mn_rng_uniform(&rng) < 0.5
                                  ? 77000 + cluster * 100 + (uint64_t)b
                                  : mn_rng_u64(&rng);
        }
    }
}

static void synth_free(void) {
    for (int i = 0; i < N_INPUTS; i++)
        free(synth[i]);
}

static char *keys_path_of(int i) {
    return mn_asprintf("%s/keys-%d", mn_test_tmpdir(), i);
}

/* Rank 0 writes the keys files (as phase 1 would) through the work writer's record format. */
static void synth_write_keys(void) {
    if (rank_ == 0) {
        for (int i = 0; i < N_INPUTS; i++) {
            char *path = keys_path_of(i);
            FILE *fp = fopen(path, "wb");
            MN_ASSERT_FATAL(fp != NULL);
            uint8_t rec[256];
            for (uint64_t j = 0; j < input_docs[i]; j++) {
                const synth_doc *d = &synth[i][j];
                ingest_key key = {.record = j * 3,
                                  .text_bytes = 100 + j,
                                  .text_hash = d->text_hash,
                                  .url_hash = d->url_hash,
                                  .flags = d->has_sig ? INGEST_KEY_HAS_SIGNATURE : 0,
                                  .bands = d->bands};
                ingest_key_pack(&key, BANDS, rec);
                MN_ASSERT_FATAL(fwrite(rec, ingest_key_size(BANDS), 1, fp) == 1);
            }
            fclose(fp);
            free(path);
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

/* The reference: one process, everything in memory, the rules of dedup.h written plainly. */
static uint8_t *ref_flags[N_INPUTS];
static uint64_t ref_removed[4], ref_clusters;

typedef struct node {
    uint64_t id;
    size_t parent;
} node;

static size_t ref_find(node *nodes, size_t x) {
    while (nodes[x].parent != x)
        x = nodes[x].parent;
    return x;
}

static void reference(bool exact, bool url, bool fuzzy) {
    memset(ref_removed, 0, sizeof ref_removed);
    ref_clusters = 0;
    size_t total = 0;
    for (int i = 0; i < N_INPUTS; i++) {
        free(ref_flags[i]);
        ref_flags[i] = calloc(input_docs[i] + 1, 1);
        total += input_docs[i];
    }
    /* Global order = (input, index) = id order; a stage keeps the first of equal keys. */
    for (int stage = 1; stage <= 2; stage++) {
        if ((stage == 1 && !exact) || (stage == 2 && !url))
            continue;
        mn_map64 seen = {0};
        for (int i = 0; i < N_INPUTS; i++)
            for (uint64_t j = 0; j < input_docs[i]; j++) {
                if (ref_flags[i][j])
                    continue;
                uint64_t k = stage == 1 ? synth[i][j].text_hash : synth[i][j].url_hash;
                if (stage == 2 && k == 0)
                    continue;
                if (mn_map64_get(&seen, k)) {
                    ref_flags[i][j] = (uint8_t)stage;
                    ref_removed[stage]++;
                } else {
                    mn_map64_put(&seen, k, 1);
                }
            }
        mn_map64_free(&seen);
    }
    if (!fuzzy)
        return;
    node *nodes = calloc(total + 1, sizeof(node));
    size_t n = 0;
    mn_map64 first_of_key = {0}; /* band key -> node index of the first member */
    for (int i = 0; i < N_INPUTS; i++)
        for (uint64_t j = 0; j < input_docs[i]; j++) {
            if (ref_flags[i][j] || !synth[i][j].has_sig)
                continue;
            size_t me = n++;
            nodes[me] = (node){ingest_global_id((uint64_t)i, j), me};
            for (int b = 0; b < BANDS; b++) {
                uint64_t *other = mn_map64_get(&first_of_key, synth[i][j].bands[b]);
                if (other == NULL) {
                    mn_map64_put(&first_of_key, synth[i][j].bands[b], me);
                    continue;
                }
                size_t ra = ref_find(nodes, (size_t)*other), rb = ref_find(nodes, me);
                if (ra != rb) {
                    /* ids grow with node index, so the smaller index is the smaller id */
                    if (ra < rb)
                        nodes[rb].parent = ra;
                    else
                        nodes[ra].parent = rb;
                }
            }
        }
    size_t *members = calloc(n + 1, sizeof(size_t));
    for (size_t k = 0; k < n; k++)
        members[ref_find(nodes, k)]++;
    for (size_t k = 0; k < n; k++) {
        if (ref_find(nodes, k) != k) {
            uint64_t id = nodes[k].id;
            ref_flags[ingest_id_input(id)][ingest_id_index(id)] = 3;
            ref_removed[3]++;
        } else if (members[k] > 1) {
            ref_clusters++;
        }
    }
    free(members);
    free(nodes);
    mn_map64_free(&first_of_key);
}

static void check_dedup(bool exact, bool url, bool fuzzy, size_t sort_memory) {
    ingest_dedup_input inputs[N_INPUTS];
    char *paths[N_INPUTS], *flags[N_INPUTS];
    for (int i = 0; i < N_INPUTS; i++) {
        paths[i] = keys_path_of(i);
        flags[i] = mn_asprintf("%s/flags-%d", mn_test_tmpdir(), i);
        inputs[i] = (ingest_dedup_input){.keys_path = paths[i],
                                         .flags_path = flags[i],
                                         .kept = input_docs[i],
                                         .owner = (i * 7 + 3) % world_};
    }
    char spill[4200];
    snprintf(spill, sizeof spill, "%s/spill-%d", mn_test_tmpdir(), rank_);
    ingest_dedup_config cfg = {.comm = MPI_COMM_WORLD,
                               .exact = exact,
                               .url = url,
                               .fuzzy = fuzzy,
                               .bands = BANDS,
                               .sort_memory = sort_memory,
                               .round_bytes = 4096,
                               .spill_dir = spill};
    ingest_dedup_stats stats;
    MN_ASSERT_OK_FATAL(ingest_dedup_run(&cfg, inputs, N_INPUTS, &stats));
    reference(exact, url, fuzzy);
    int wrong = 0;
    for (int i = 0; i < N_INPUTS; i++) {
        if (inputs[i].owner != rank_)
            continue;
        uint8_t *got = NULL;
        size_t size = 0;
        MN_ASSERT_OK_FATAL(mn_read_file(flags[i], 1 << 20, &got, &size));
        MN_ASSERT_EQ_U64(size, input_docs[i]);
        for (uint64_t j = 0; j < input_docs[i] && j < size; j++)
            wrong += got[j] != ref_flags[i][j];
        free(got);
    }
    MN_ASSERT_EQ_INT(wrong, 0);
    for (int s = 1; s <= 3; s++)
        MN_ASSERT_EQ_U64(stats.removed[s], ref_removed[s]);
    if (fuzzy)
        MN_ASSERT_EQ_U64(stats.clusters, ref_clusters);
    /* The corpus really has work for every stage. */
    MN_ASSERT_TRUE(!exact || ref_removed[1] > 100);
    MN_ASSERT_TRUE(!url || ref_removed[2] > 100);
    MN_ASSERT_TRUE(!fuzzy || ref_removed[3] > 50);
    for (int i = 0; i < N_INPUTS; i++) {
        free(flags[i]);
        free(paths[i]);
    }
}

static void test_dedup_all_stages_match_reference(void) {
    synth_build();
    synth_write_keys();
    check_dedup(true, true, true, 1 << 20);
    /* Tiny sort memory: every stage spills to disk and merges; same answer. */
    check_dedup(true, true, true, 64 << 10);
}

static void test_dedup_stages_alone(void) {
    check_dedup(false, false, true, 1 << 20);
    check_dedup(false, true, false, 1 << 20);
    check_dedup(true, false, false, 1 << 20);
    for (int i = 0; i < N_INPUTS; i++)
        free(ref_flags[i]);
    synth_free();
}

static int setup(void) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_);
    return 0;
}

static const mn_test_case exchange_cases[] = {
    {"every item reaches its destination in order over hundreds of small rounds",
     test_exchange_in_many_small_rounds},
    {"a failure on one rank stops the exchange on every rank with its message",
     test_exchange_failure_stops_everyone},
    {0}};

static const mn_test_case queue_cases[] = {
    {"the queue hands out every input exactly once, largest first on rank 0",
     test_queue_hands_out_each_input_once},
    {"a rank that fails stops the queue and every rank learns its error",
     test_queue_stop_on_error_reaches_all},
    {0}};

static const mn_test_case dedup_cases[] = {
    {"exact, URL and fuzzy dedup match a one-process reference, in memory and spilling",
     test_dedup_all_stages_match_reference},
    {"each stage alone matches the reference", test_dedup_stages_alone},
    {0}};

static const mn_test_suite suites[] = {{"exchange", exchange_cases, setup},
                                       {"queue", queue_cases, setup},
                                       {"dedup", dedup_cases, setup},
                                       {0}};

int main(int argc, char **argv) {
    return mn_test_main_mpi(argc, argv, suites);
}
