#include "common/stats.h"

#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/mpi_helpers.h"

mn_stats *mn_stats_create(void) {
    return mn_calloc(1, sizeof(mn_stats));
}

void mn_stats_free(mn_stats *stats) {
    if (stats == NULL)
        return;
    for (size_t i = 0; i < stats->count; i++)
        free(stats->items[i].name);
    free(stats->items);
    free(stats);
}

const mn_stat *mn_stats_find(const mn_stats *stats, const char *name) {
    for (size_t i = 0; i < stats->count; i++)
        if (strcmp(stats->items[i].name, name) == 0)
            return &stats->items[i];
    return NULL;
}

static mn_status stats_entry(mn_stats *stats, const char *name, mn_stat_op op, mn_stat_type type,
                             mn_stat **out) {
    mn_stat *found = (mn_stat *)mn_stats_find(stats, name);
    if (found != NULL) {
        MN_RETURN_ERROR_IF(found->op != op || found->type != type, MN_ERR_ARG,
                           "counter '%s' used with two different kinds", name);
        *out = found;
        return MN_OK;
    }
    if (stats->count == stats->capacity) {
        size_t capacity = stats->capacity ? stats->capacity * 2 : 16;
        void *items = stats->items;
        MN_FORWARD_IF_ERROR(mn_realloc_array(&items, capacity, sizeof(mn_stat)));
        stats->items = items;
        stats->capacity = capacity;
    }
    mn_stat *item = &stats->items[stats->count];
    *item = (mn_stat){.name = mn_strdup(name), .op = op, .type = type};
    if (item->name == NULL)
        return MN_ERR_NOMEM;
    if (op == MN_STAT_MIN) {
        item->i = INT64_MAX;
        item->d = 1e308;
    } else if (op == MN_STAT_MAX) {
        item->i = INT64_MIN;
        item->d = -1e308;
    }
    stats->count++;
    *out = item;
    return MN_OK;
}

static void stat_combine_int(mn_stat *s, int64_t v) {
    if (s->op == MN_STAT_SUM)
        s->i += v;
    else if (s->op == MN_STAT_MAX)
        s->i = v > s->i ? v : s->i;
    else
        s->i = v < s->i ? v : s->i;
}

static void stat_combine_real(mn_stat *s, double v) {
    if (s->op == MN_STAT_SUM)
        s->d += v;
    else if (s->op == MN_STAT_MAX)
        s->d = v > s->d ? v : s->d;
    else
        s->d = v < s->d ? v : s->d;
}

mn_status mn_stats_add(mn_stats *stats, const char *name, int64_t delta) {
    mn_stat *s;
    MN_FORWARD_IF_ERROR(stats_entry(stats, name, MN_STAT_SUM, MN_STAT_INT, &s));
    stat_combine_int(s, delta);
    return MN_OK;
}

mn_status mn_stats_add_f64(mn_stats *stats, const char *name, double delta) {
    mn_stat *s;
    MN_FORWARD_IF_ERROR(stats_entry(stats, name, MN_STAT_SUM, MN_STAT_REAL, &s));
    stat_combine_real(s, delta);
    return MN_OK;
}

mn_status mn_stats_max(mn_stats *stats, const char *name, int64_t value) {
    mn_stat *s;
    MN_FORWARD_IF_ERROR(stats_entry(stats, name, MN_STAT_MAX, MN_STAT_INT, &s));
    stat_combine_int(s, value);
    return MN_OK;
}

mn_status mn_stats_max_f64(mn_stats *stats, const char *name, double value) {
    mn_stat *s;
    MN_FORWARD_IF_ERROR(stats_entry(stats, name, MN_STAT_MAX, MN_STAT_REAL, &s));
    stat_combine_real(s, value);
    return MN_OK;
}

mn_status mn_stats_min(mn_stats *stats, const char *name, int64_t value) {
    mn_stat *s;
    MN_FORWARD_IF_ERROR(stats_entry(stats, name, MN_STAT_MIN, MN_STAT_INT, &s));
    stat_combine_int(s, value);
    return MN_OK;
}

int64_t mn_stats_get(const mn_stats *stats, const char *name) {
    const mn_stat *s = mn_stats_find(stats, name);
    return s == NULL ? 0 : s->type == MN_STAT_INT ? s->i : (int64_t)s->d;
}

double mn_stats_get_f64(const mn_stats *stats, const char *name) {
    const mn_stat *s = mn_stats_find(stats, name);
    return s == NULL ? 0.0 : s->type == MN_STAT_REAL ? s->d : (double)s->i;
}

/* Wire form of one entry: op (1 byte), type (1), name length (2, little-endian), name,
 * value (8 bytes: int64 or double). */
static mn_status stats_pack(const mn_stats *stats, mn_buf *out) {
    for (size_t i = 0; i < stats->count; i++) {
        const mn_stat *s = &stats->items[i];
        size_t len = strlen(s->name);
        MN_RETURN_ERROR_IF(len > 65535, MN_ERR_LIMIT, "counter name too long");
        uint8_t head[4] = {(uint8_t)s->op, (uint8_t)s->type, (uint8_t)(len & 0xff),
                           (uint8_t)(len >> 8)};
        MN_FORWARD_IF_ERROR(mn_buf_append(out, head, 4));
        MN_FORWARD_IF_ERROR(mn_buf_append(out, s->name, len));
        MN_FORWARD_IF_ERROR(
            mn_buf_append(out, s->type == MN_STAT_INT ? (void *)&s->i : (void *)&s->d, 8));
    }
    return MN_OK;
}

static mn_status stats_merge_packed(mn_stats *into, const uint8_t *p, size_t len) {
    size_t at = 0;
    while (at < len) {
        MN_RETURN_ERROR_IF(len - at < 4, MN_ERR_CORRUPT, "truncated counter record");
        mn_stat_op op = (mn_stat_op)p[at];
        mn_stat_type type = (mn_stat_type)p[at + 1];
        size_t name_len = (size_t)p[at + 2] | ((size_t)p[at + 3] << 8);
        at += 4;
        MN_RETURN_ERROR_IF(len - at < name_len + 8, MN_ERR_CORRUPT, "truncated counter record");
        char name[65536];
        memcpy(name, p + at, name_len);
        name[name_len] = '\0';
        at += name_len;
        mn_stat *s;
        MN_FORWARD_IF_ERROR(stats_entry(into, name, op, type, &s));
        if (type == MN_STAT_INT) {
            int64_t v;
            memcpy(&v, p + at, 8);
            stat_combine_int(s, v);
        } else {
            double v;
            memcpy(&v, p + at, 8);
            stat_combine_real(s, v);
        }
        at += 8;
    }
    return MN_OK;
}

static int compare_stat_names(const void *a, const void *b) {
    return strcmp(((const mn_stat *)a)->name, ((const mn_stat *)b)->name);
}

mn_status mn_stats_reduce(mn_stats *stats, MPI_Comm comm) {
    int rank = 0, world = 1;
    MN_MPI_TRY(MPI_Comm_rank(comm, &rank));
    MN_MPI_TRY(MPI_Comm_size(comm, &world));
    mn_buf packed = {0};
    mn_status status = stats_pack(stats, &packed);
    status = mn_mpi_agree(status, comm);
    if (status != MN_OK) {
        mn_buf_free(&packed);
        return status;
    }
    int my_len = (int)packed.len;
    int *lens = NULL, *offsets = NULL;
    uint8_t *all = NULL;
    size_t total = 0;
    if (rank == 0) {
        lens = mn_calloc((size_t)world, sizeof *lens);
        offsets = mn_calloc((size_t)world, sizeof *offsets);
        if (lens == NULL || offsets == NULL)
            status = MN_ERR_NOMEM;
    }
    status = mn_mpi_agree(status, comm);
    if (status == MN_OK)
        status =
            mn_mpi_check(MPI_Gather(&my_len, 1, MPI_INT, lens, 1, MPI_INT, 0, comm), "MPI_Gather");
    if (status == MN_OK && rank == 0) {
        for (int r = 0; r < world; r++) {
            offsets[r] = (int)total;
            total += (size_t)lens[r];
        }
        if ((all = mn_malloc(total)) == NULL)
            status = MN_ERR_NOMEM;
    }
    status = mn_mpi_agree(status, comm);
    if (status == MN_OK)
        status = mn_mpi_check(
            MPI_Gatherv(packed.data, my_len, MPI_BYTE, all, lens, offsets, MPI_BYTE, 0, comm),
            "MPI_Gatherv");
    mn_buf_free(&packed);
    mn_buf merged_packed = {0};
    if (status == MN_OK && rank == 0) {
        /* Rank order fixes the order of additions, so double sums are reproducible. */
        mn_stats merged = {0};
        for (int r = 0; r < world && status == MN_OK; r++)
            status = stats_merge_packed(&merged, all + offsets[r], (size_t)lens[r]);
        if (status == MN_OK) {
            if (merged.count > 1)
                qsort(merged.items, merged.count, sizeof(mn_stat), compare_stat_names);
            status = stats_pack(&merged, &merged_packed);
        }
        for (size_t i = 0; i < merged.count; i++)
            free(merged.items[i].name);
        free(merged.items);
    }
    free(all);
    free(lens);
    free(offsets);
    status = mn_mpi_agree(status, comm);
    void *data = merged_packed.data;
    size_t len = merged_packed.len;
    if (status == MN_OK)
        status = mn_mpi_bcast_bytes(&data, &len, 0, comm);
    if (status == MN_OK) {
        for (size_t i = 0; i < stats->count; i++)
            free(stats->items[i].name);
        stats->count = 0;
        status = stats_merge_packed(stats, data, len);
    }
    if (rank != 0)
        free(data);
    mn_buf_free(&merged_packed);
    return status;
}
