#include "ingest/dedup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/mpi_helpers.h"
#include "common/util.h"
#include "ingest/exchange.h"
#include "ingest/extsort.h"
#include "ingest/work.h"

typedef struct stage_ctx {
    const ingest_dedup_config *cfg;
    ingest_dedup_input *inputs;
    size_t n_inputs;
    int stage, rank, world;
    bool have_flags; /* flags files exist (an earlier stage of this run wrote them) */
    /* producing keys from the owned inputs */
    size_t input;
    ingest_keys_reader *keys;
    FILE *flags_in; /* the current input's flags, or NULL: all kept */
    uint64_t index;
    uint64_t pairs;
    ingest_sorter *sorter;
    /* walking the sorted pairs */
    bool have_group;
    ingest_pair group; /* first (smallest id) of the current group of equal keys */
    /* removals received for owned documents, sorted by id, merged into the flags files */
    ingest_sorter *removals;
    uint64_t removed;
    /* fuzzy: rank 0's union-find over global ids (absent = its own root) */
    mn_map64 parent;
    size_t uf_cursor;
    uint64_t edges;
} stage_ctx;

static int key_owner(uint64_t key, int world) {
    return (int)(mn_mix64(key) % (uint64_t)world);
}

/* --- stage input: keys of the surviving documents of owned inputs --------------------- */

static mn_status open_input(stage_ctx *c) {
    const ingest_dedup_input *in = &c->inputs[c->input];
    MN_FORWARD_IF_ERROR(ingest_keys_open(&c->keys, in->keys_path, c->cfg->bands, in->kept));
    c->index = 0;
    if (c->have_flags) {
        c->flags_in = fopen(in->flags_path, "rb");
        if (c->flags_in == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot read work file %s", in->flags_path);
    }
    return MN_OK;
}

static void close_input(stage_ctx *c) {
    ingest_keys_close(c->keys);
    c->keys = NULL;
    if (c->flags_in)
        fclose(c->flags_in);
    c->flags_in = NULL;
}

static mn_status produce_keys(void *vctx, ingest_exchange *ex, bool *more) {
    stage_ctx *c = vctx;
    *more = true;
    while (!ingest_exchange_full(ex)) {
        if (c->keys == NULL) {
            while (c->input < c->n_inputs &&
                   (c->inputs[c->input].owner != c->rank || c->inputs[c->input].kept == 0))
                c->input++;
            if (c->input >= c->n_inputs) {
                *more = false;
                return MN_OK;
            }
            MN_FORWARD_IF_ERROR(open_input(c));
        }
        ingest_key key;
        bool done;
        MN_FORWARD_IF_ERROR(ingest_keys_next(c->keys, &key, &done));
        if (done) {
            close_input(c);
            c->input++;
            continue;
        }
        uint64_t index = c->index++;
        int flag = c->flags_in ? getc(c->flags_in) : INGEST_DEDUP_KEPT;
        MN_RETURN_ERROR_IF(flag == EOF, MN_ERR_CORRUPT, "work file %s ends early",
                           c->inputs[c->input].flags_path);
        if (flag != INGEST_DEDUP_KEPT)
            continue;
        ingest_pair pair = {.id = ingest_global_id(c->input, index)};
        if (c->stage == INGEST_DEDUP_EXACT) {
            pair.key = key.text_hash;
            MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, key_owner(pair.key, c->world), &pair));
            c->pairs++;
        } else if (c->stage == INGEST_DEDUP_URL) {
            if (key.url_hash == 0)
                continue;
            pair.key = key.url_hash;
            MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, key_owner(pair.key, c->world), &pair));
            c->pairs++;
        } else if (key.flags & INGEST_KEY_HAS_SIGNATURE) {
            for (int b = 0; b < c->cfg->bands; b++) {
                pair.key = key.bands[b];
                MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, key_owner(pair.key, c->world), &pair));
                c->pairs++;
            }
        }
    }
    return MN_OK;
}

static mn_status consume_keys(void *vctx, int source, const void *items, size_t count) {
    stage_ctx *c = vctx;
    return ingest_sorter_add(c->sorter, items, count);
}

/* --- removals travel back to the owners of the documents ------------------------------ */

static mn_status check_id(const stage_ctx *c, uint64_t id) {
    uint64_t input = ingest_id_input(id), index = ingest_id_index(id);
    MN_RETURN_ERROR_IF(
        input >= c->n_inputs || c->inputs[input].owner != c->rank || index >= c->inputs[input].kept,
        MN_ERR_CORRUPT, "deduplication received document id %llx that rank %d does not own",
        (unsigned long long)id, c->rank);
    return MN_OK;
}

static mn_status consume_removals(void *vctx, int source, const void *items, size_t count) {
    stage_ctx *c = vctx;
    const uint8_t *p = items;
    for (size_t i = 0; i < count; i++) {
        ingest_pair removal = {0};
        memcpy(&removal.key, p + 8 * i, 8);
        MN_FORWARD_IF_ERROR(check_id(c, removal.key));
        MN_FORWARD_IF_ERROR(ingest_sorter_add(c->removals, &removal, 1));
    }
    return MN_OK;
}

/* Rewrites the flags file of every owned input: the old flags (or all kept) merged with the
 * sorted removals of this stage, sequentially, through NAME.tmp and a rename. */
static mn_status merge_removals(stage_ctx *c) {
    MN_FORWARD_IF_ERROR(ingest_sorter_finish(c->removals));
    ingest_pair next = {0};
    bool done = false;
    MN_FORWARD_IF_ERROR(ingest_sorter_next(c->removals, &next, &done));
    for (size_t i = 0; i < c->n_inputs; i++) {
        const ingest_dedup_input *in = &c->inputs[i];
        if (in->owner != c->rank)
            continue;
        char tmp[4200];
        snprintf(tmp, sizeof tmp, "%s.tmp", in->flags_path);
        FILE *old = NULL, *out = fopen(tmp, "wb");
        if (out == NULL)
            return mn_error_errno(MN_ERR_IO, "cannot create work file %s", tmp);
        mn_status status = MN_OK;
        if (c->have_flags && (old = fopen(in->flags_path, "rb")) == NULL)
            status = mn_error_errno(MN_ERR_IO, "cannot read work file %s", in->flags_path);
        for (uint64_t index = 0; status == MN_OK && index < in->kept; index++) {
            int flag = old ? getc(old) : INGEST_DEDUP_KEPT;
            if (flag == EOF) {
                status = mn_error(MN_ERR_CORRUPT, "work file %s ends early", in->flags_path);
                break;
            }
            uint64_t id = ingest_global_id(i, index);
            while (!done && next.key <= id && status == MN_OK) {
                if (next.key == id && flag == INGEST_DEDUP_KEPT) {
                    flag = c->stage;
                    c->removed++;
                }
                status = ingest_sorter_next(c->removals, &next, &done);
            }
            if (status == MN_OK && putc(flag, out) == EOF)
                status = mn_error_errno(MN_ERR_IO, "cannot write work file %s", tmp);
        }
        if (old)
            fclose(old);
        if (fclose(out) != 0 && status == MN_OK)
            status = mn_error_errno(MN_ERR_IO, "cannot write work file %s", tmp);
        if (status == MN_OK && rename(tmp, in->flags_path) != 0)
            status = mn_error_errno(MN_ERR_IO, "cannot rename %s", tmp);
        if (status != MN_OK) {
            unlink(tmp);
            return status;
        }
    }
    MN_RETURN_ERROR_IF(!done, MN_ERR_CORRUPT,
                       "deduplication received a removal for document %llx, which rank %d "
                       "does not hold",
                       (unsigned long long)next.key, c->rank);
    return MN_OK;
}

/* Exact and URL: in every group of equal keys all but the first (smallest id) go. */
static mn_status produce_group_removals(void *vctx, ingest_exchange *ex, bool *more) {
    stage_ctx *c = vctx;
    *more = true;
    while (!ingest_exchange_full(ex)) {
        ingest_pair p;
        bool done;
        MN_FORWARD_IF_ERROR(ingest_sorter_next(c->sorter, &p, &done));
        if (done) {
            *more = false;
            return MN_OK;
        }
        if (c->have_group && p.key == c->group.key) {
            int owner = c->inputs[ingest_id_input(p.id)].owner;
            MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, owner, &p.id));
        } else {
            c->group = p;
            c->have_group = true;
        }
    }
    return MN_OK;
}

/* --- fuzzy: edges to rank 0, union-find, removals back ------------------------------- */

static mn_status produce_edges(void *vctx, ingest_exchange *ex, bool *more) {
    stage_ctx *c = vctx;
    *more = true;
    while (!ingest_exchange_full(ex)) {
        ingest_pair p;
        bool done;
        MN_FORWARD_IF_ERROR(ingest_sorter_next(c->sorter, &p, &done));
        if (done) {
            *more = false;
            return MN_OK;
        }
        if (c->have_group && p.key == c->group.key) {
            if (p.id != c->group.id) {
                ingest_pair edge = {.key = c->group.id, .id = p.id};
                MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, 0, &edge));
            }
        } else {
            c->group = p;
            c->have_group = true;
        }
    }
    return MN_OK;
}

static uint64_t uf_find(stage_ctx *c, uint64_t x) {
    uint64_t root = x;
    for (;;) {
        uint64_t *p = mn_map64_get(&c->parent, root);
        if (p == NULL || *p == root)
            break;
        root = *p;
    }
    /* Path compression; only existing entries are updated, so the map never grows here. */
    while (x != root) {
        uint64_t *p = mn_map64_get(&c->parent, x);
        if (p == NULL)
            break;
        uint64_t next = *p;
        *p = root;
        x = next;
    }
    return root;
}

static mn_status uf_union(stage_ctx *c, uint64_t a, uint64_t b) {
    if (mn_map64_get(&c->parent, a) == NULL)
        MN_FORWARD_IF_ERROR(mn_map64_put(&c->parent, a, a));
    if (mn_map64_get(&c->parent, b) == NULL)
        MN_FORWARD_IF_ERROR(mn_map64_put(&c->parent, b, b));
    uint64_t ra = uf_find(c, a), rb = uf_find(c, b);
    if (ra == rb)
        return MN_OK;
    /* The smaller id becomes the root, so a root is always its cluster's smallest id. */
    if (ra < rb)
        *mn_map64_get(&c->parent, rb) = ra;
    else
        *mn_map64_get(&c->parent, ra) = rb;
    return MN_OK;
}

static mn_status consume_edges(void *vctx, int source, const void *items, size_t count) {
    stage_ctx *c = vctx;
    const ingest_pair *edges = items;
    for (size_t i = 0; i < count; i++) {
        MN_FORWARD_IF_ERROR(uf_union(c, edges[i].key, edges[i].id));
        c->edges++;
    }
    return MN_OK;
}

static mn_status produce_cluster_removals(void *vctx, ingest_exchange *ex, bool *more) {
    stage_ctx *c = vctx;
    *more = true;
    while (!ingest_exchange_full(ex)) {
        if (c->uf_cursor >= c->parent.capacity) {
            *more = false;
            return MN_OK;
        }
        size_t slot = c->uf_cursor++;
        if (!c->parent.used[slot])
            continue;
        uint64_t id = c->parent.keys[slot];
        if (uf_find(c, id) == id)
            continue;
        MN_RETURN_ERROR_IF(ingest_id_input(id) >= c->n_inputs, MN_ERR_CORRUPT,
                           "fuzzy deduplication met an unknown document id %llx",
                           (unsigned long long)id);
        MN_FORWARD_IF_ERROR(ingest_exchange_push(ex, c->inputs[ingest_id_input(id)].owner, &id));
    }
    return MN_OK;
}

static mn_status produce_nothing(void *vctx, ingest_exchange *ex, bool *more) {
    *more = false;
    return MN_OK;
}

/* --- one stage ------------------------------------------------------------------------ */

static mn_status run_stage(stage_ctx *c) {
    const ingest_dedup_config *cfg = c->cfg;
    char dir[4096], dir2[4096];
    snprintf(dir, sizeof dir, "%s/stage-%d", cfg->spill_dir, c->stage);
    snprintf(dir2, sizeof dir2, "%s/stage-%d-removals", cfg->spill_dir, c->stage);
    /* Three quarters of the sort memory for the keys, a quarter for the removals (fewer). */
    mn_status status = ingest_sorter_create(&c->sorter, dir, cfg->sort_memory / 4 * 3);
    if (status == MN_OK)
        status = ingest_sorter_create(&c->removals, dir2, cfg->sort_memory / 4);
    status = mn_mpi_agree(status, cfg->comm);
    if (status != MN_OK)
        return status;
    status = ingest_exchange_run(cfg->comm, sizeof(ingest_pair), cfg->round_bytes, produce_keys,
                                 consume_keys, c);
    close_input(c);
    if (status == MN_OK)
        status = mn_mpi_agree(ingest_sorter_finish(c->sorter), cfg->comm);
    if (status == MN_OK && c->stage != INGEST_DEDUP_FUZZY) {
        status = ingest_exchange_run(cfg->comm, sizeof(uint64_t), cfg->round_bytes,
                                     produce_group_removals, consume_removals, c);
    } else if (status == MN_OK) {
        status = ingest_exchange_run(cfg->comm, sizeof(ingest_pair), cfg->round_bytes,
                                     produce_edges, consume_edges, c);
        if (status == MN_OK)
            status = ingest_exchange_run(cfg->comm, sizeof(uint64_t), cfg->round_bytes,
                                         c->rank == 0 ? produce_cluster_removals : produce_nothing,
                                         consume_removals, c);
    }
    if (status == MN_OK)
        status = mn_mpi_agree(merge_removals(c), cfg->comm);
    return status;
}

mn_status ingest_dedup_run(const ingest_dedup_config *cfg, ingest_dedup_input *inputs,
                           size_t n_inputs, ingest_dedup_stats *stats) {
    *stats = (ingest_dedup_stats){0};
    int rank, world;
    MN_MPI_TRY(MPI_Comm_rank(cfg->comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(cfg->comm, &world));
    MN_RETURN_ERROR_IF(n_inputs >= (1ULL << (64 - INGEST_ID_INPUT_SHIFT)), MN_ERR_LIMIT,
                       "%zu inputs: at most %llu are supported", n_inputs,
                       (unsigned long long)(1ULL << (64 - INGEST_ID_INPUT_SHIFT)));
    const bool enabled[4] = {false, cfg->exact, cfg->url, cfg->fuzzy && cfg->bands > 0};
    uint64_t local[12] = {0}; /* removed[4], pairs[4], clusters, spill runs */
    bool have_flags = false;
    for (int stage = INGEST_DEDUP_EXACT; stage <= INGEST_DEDUP_FUZZY; stage++) {
        if (!enabled[stage])
            continue;
        stage_ctx c = {.cfg = cfg,
                       .inputs = inputs,
                       .n_inputs = n_inputs,
                       .stage = stage,
                       .rank = rank,
                       .world = world,
                       .have_flags = have_flags};
        double start = mn_now();
        mn_status status = run_stage(&c);
        local[stage] = c.removed;
        local[4 + stage] = c.pairs;
        local[11] += c.sorter ? (uint64_t)ingest_sorter_runs(c.sorter) : 0;
        if (stage == INGEST_DEDUP_FUZZY && rank == 0) {
            stats->edges = c.edges;
            for (size_t s = 0; s < c.parent.capacity; s++)
                if (c.parent.used[s] && c.parent.values[s] == c.parent.keys[s])
                    local[8]++;
        }
        local[11] += c.removals ? (uint64_t)ingest_sorter_runs(c.removals) : 0;
        ingest_sorter_free(c.sorter);
        ingest_sorter_free(c.removals);
        mn_map64_free(&c.parent);
        MN_FORWARD_IF_ERROR(status);
        have_flags = true;
        static const char *const names[] = {"", "exact", "url", "fuzzy"};
        uint64_t removed = 0;
        MN_MPI_TRY(MPI_Allreduce(&c.removed, &removed, 1, MPI_UINT64_T, MPI_SUM, cfg->comm));
        mn_info0("dedup %s: %llu documents removed (%.1f s)", names[stage],
                 (unsigned long long)removed, mn_now() - start);
    }
    uint64_t global[12];
    MN_MPI_TRY(MPI_Allreduce(local, global, 12, MPI_UINT64_T, MPI_SUM, cfg->comm));
    for (int s = 0; s < 4; s++) {
        stats->removed[s] = global[s];
        stats->pairs[s] = global[4 + s];
    }
    stats->clusters = global[8];
    stats->spill_runs = global[11];
    MN_MPI_TRY(MPI_Bcast(&stats->edges, 1, MPI_UINT64_T, 0, cfg->comm));
    return MN_OK;
}
